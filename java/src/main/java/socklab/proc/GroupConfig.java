package socklab.proc;

import java.util.Set;

import socklab.server.AcceptMode;
import socklab.server.Model;
import socklab.server.ServerConfig;
import socklab.server.Steer;

/**
 * A group of worker processes: each runs {@code server} (its {@code workers} threads inside); the parent
 * supervises them.
 *
 * @param server    what every worker process runs; its address is the group's
 * @param processes worker processes, 1..{@value #MAX_PROCESSES}
 */
public record GroupConfig(ServerConfig server, int processes) {
    public static final int MAX_PROCESSES = 64;
    /** The models that run as processes. */
    public static final Set<Model> MODELS = Set.of(Model.SHARED_ACCEPT, Model.REUSEPORT, Model.CLUSTER);

    public GroupConfig {
        if (!MODELS.contains(server.model())) {
            throw new IllegalArgumentException("--processes applies to --model shared-accept, reuseport or cluster, not "
                    + server.model().cliName());
        }
        if (processes < 1 || processes > MAX_PROCESSES) {
            throw new IllegalArgumentException("--processes must be 1.." + MAX_PROCESSES + ", got " + processes);
        }
        if (server.model() == Model.SHARED_ACCEPT && server.accept() == AcceptMode.MUTEX) {
            throw new IllegalArgumentException("--accept mutex is a lock between the threads of one process; "
                    + "across processes use --accept exclusive or epoll");
        }
        if (server.model() == Model.SHARED_ACCEPT && server.accept() == AcceptMode.BLOCKING) {
            throw new IllegalArgumentException("--accept blocking cannot be stopped in one process without shutting "
                    + "the shared socket for all; across processes use --accept exclusive or epoll");
        }
        if (server.model() == Model.REUSEPORT && server.steer() == Steer.CPU) {
            throw new IllegalArgumentException("--steer cpu indexes the sockets of one process; across processes use --steer hash");
        }
    }

    /** {@code model=cluster processes=2 workers=1 binding=ffm}. */
    public String describe() {
        String one = server.describe();
        int at = one.indexOf(" workers=");
        return one.substring(0, at) + " processes=" + processes + one.substring(at);
    }

    /** Counter blocks one process needs in the shared table: its workers plus a receiver or acceptor. */
    int blocksPerProcess() {
        return server.workers() + 1;
    }
}
