package socklab.experiment;

import java.util.List;
import java.util.Set;

import socklab.http.WorkerStats;
import socklab.server.Server;
import socklab.sys.SockAddr;

/** What the experiments share about running a socklab server in this JVM. */
final class Lab {
    private Lab() {}

    /** Roles that hand work out rather than serve it: not counted among the workers that share connections. */
    private static final Set<String> DISTRIBUTORS = Set.of("acceptor", "dispatcher");

    /** {@code host:port} of the server, as the load generator takes it. */
    static String target(Server server) {
        return SockAddr.format(server.address());
    }

    /** The ids of the workers that serve connections (X-Worker), in /stats order. */
    static List<String> servingWorkers(Server server) {
        return server.workers().stream().filter(w -> !DISTRIBUTORS.contains(w.role())).map(WorkerStats::id).toList();
    }
}
