package socklab.server;

import java.lang.foreign.MemorySegment;
import java.util.List;

import socklab.http.WorkerStats;

/**
 * What a server running as one process of a group gets from the parent that started it (socklab.proc):
 * the descriptors the parent passed, and shared memory for the counters, so that /stats on any process
 * shows every process. A server alone has none.
 */
public interface GroupMember {
    /** The cluster hand-off protocol, one byte a message: the parent's "here is a connection" (with its descriptor) … */
    byte HANDOFF = 'C';
    /** … and the worker's answers: it took the connection, or it did not (it is stopping, or no descriptor came with it) … */
    byte ACCEPTED = 'A';
    byte REFUSED = 'R';
    /**
     * … or it could not take it for want of a descriptor: the hand-off arrived truncated (MSG_CTRUNC), the
     * worker being at RLIMIT_NOFILE. The parent hands that worker nothing for {@link AcceptShortage#PAUSE_NANOS}.
     */
    byte SHORT_OF_DESCRIPTORS = 'S';

    /** The inherited listening socket the workers accept on (shared-accept), or -1. */
    int listener();

    /** The Unix socket on which the parent hands over accepted connections (cluster), or -1. */
    int channel();

    /** Prefixed to every worker id of this process, e.g. {@code 4711.}, so that X-Worker names the process. */
    String workerIdPrefix();

    /** Where this process's worker number {@code index} keeps its counters: a {@link WorkerStats#BLOCK}. */
    MemorySegment counters(int index);

    /** Every worker of the group, this process's {@code own} among them, in /stats order. */
    List<WorkerStats> groupWorkers(List<WorkerStats> own);

    /** How many processes the group runs. */
    int processes();
}
