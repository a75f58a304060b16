package socklab.experiment;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;

import socklab.http.WorkerStats;
import socklab.server.Server;
import socklab.server.ServerConfig;
import socklab.sys.SockAddr;

/** What the experiments share about running a socklab server in this JVM. */
final class Lab {
    private Lab() {}

    /** Roles that hand work out rather than serve it: not counted among the workers that share connections. */
    private static final Set<String> DISTRIBUTORS = Set.of("acceptor", "dispatcher");

    /**
     * Starts {@code config}, or returns null and records why in {@code skipped} when the model cannot run
     * as a server in this JVM (a model that runs only as worker processes says so with an
     * IllegalArgumentException): a model added to the code shows up as skipped, with its reason, instead
     * of stopping the experiment.
     */
    static Server startOrSkip(String label, ServerConfig config, List<String> skipped, PrintWriter out) {
        try {
            return Server.start(config);
        } catch (IllegalArgumentException e) {
            String why = label + ": " + e.getMessage();
            if (!skipped.contains(why)) {
                skipped.add(why);
            }
            out.println("  " + label + ": skipped: " + e.getMessage());
            out.flush();
            return null;
        }
    }

    /** The skipped variants as a report paragraph, or nothing. */
    static String skippedNote(List<String> skipped) {
        return skipped.isEmpty() ? "" : "Not run here: " + String.join("; ", skipped) + ".\n\n";
    }

    /** {@code host:port} of the server, as the load generator takes it. */
    static String target(Server server) {
        return SockAddr.format(server.address());
    }

    /** The ids of the workers that serve connections (X-Worker), in /stats order. */
    static List<String> servingWorkers(Server server) {
        return server.workers().stream().filter(w -> !DISTRIBUTORS.contains(w.role())).map(WorkerStats::id).toList();
    }
}
