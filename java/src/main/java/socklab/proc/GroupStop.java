package socklab.proc;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import socklab.server.AcceptQueueDrain;
import socklab.server.Model;
import socklab.server.QueueAtStop;
import socklab.sys.Processes;

/**
 * The stop of a {@link ProcessGroup}, as its class comment describes it, one step each time the
 * supervisor's loop comes round: the door shut (shared-accept and cluster, with
 * {@code --accept-queue-at-stop drain}), the cluster primary's last accepts ({@link AcceptQueueDrain}), the
 * parent's copy of the socket closed, SIGTERM once the primary has handed out what it holds (or the
 * time is up), SIGKILL {@value #STOP_TIMEOUT_MILLIS} ms later for a worker still running. Runs on the
 * supervisor's thread, apart from {@link #prepare}.
 */
final class GroupStop {
    static final long STOP_TIMEOUT_MILLIS = 30_000;

    private final GroupConfig config;
    private final Consumer<String> log;
    private final GroupResources resources;
    private final WorkerSlots workers;
    private boolean stopping;
    private AcceptQueueDrain acceptDrain; // cluster, while the primary takes what is queued before the socket closes
    private long drainDeadline;
    private long killDeadline; // 0 until SIGTERM went out
    private boolean killed;

    GroupStop(GroupConfig config, Consumer<String> log, GroupResources resources, WorkerSlots workers) {
        this.config = config;
        this.log = log;
        this.resources = resources;
        this.workers = workers;
    }

    /** The parent shuts the door of a shared or cluster socket: makes its first stop as quick as the next. */
    void prepare() {
        Model model = config.server().model();
        if (config.server().queueAtStop() == QueueAtStop.DRAIN && (model == Model.SHARED_ACCEPT || model == Model.CLUSTER)) {
            String problem = AcceptQueueDrain.prepare(resources.address.getPort(), true);
            if (problem != null) {
                log.accept("socklab: serve: " + problem);
            }
        }
    }

    boolean stopping() {
        return stopping;
    }

    /** No more new connections; what the kernel accepted is still served (see the class comment). */
    void begin(long now) {
        stopping = true;
        workers.cancelRespawns();
        drainDeadline = now + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS);
        boolean drain = config.server().queueAtStop() == QueueAtStop.DRAIN; // RESET: the socket closes at once, for comparison
        try {
            if (drain && config.server().model() == Model.SHARED_ACCEPT) {
                AcceptQueueDrain.shutDoors(List.of(resources.socketFd));
            } else if (drain && resources.primary != null) {
                acceptDrain = AcceptQueueDrain.begin(List.of(resources.socketFd), List.of(), resources.address.getPort(), now);
                return; // the socket closes once the primary has taken what is queued (advance)
            }
        } catch (RuntimeException e) {
            log.accept("socklab: serve: " + AcceptQueueDrain.failed(e));
        }
        stopAccepting();
    }

    /** Moves the stop along; true once every worker has exited. */
    boolean advance(long now) {
        if (!acceptQueueDrained(now)) {
            return false;
        }
        ClusterPrimary primary = resources.primary;
        if (killDeadline == 0 && (primary == null || primary.idle() || now - drainDeadline > 0)) {
            workers.signalAll(Processes.SIGTERM);
            killDeadline = now + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS) | 1;
        }
        if (killDeadline != 0 && !killed && now - killDeadline > 0) {
            log.accept("socklab: serve: workers " + workers.pids() + " still running " + STOP_TIMEOUT_MILLIS + " ms after SIGTERM: SIGKILL");
            workers.signalAll(Processes.SIGKILL);
            killed = true;
        }
        return !workers.anyRunning();
    }

    /** When the stop wants the supervisor awake next (System.nanoTime), or Long.MAX_VALUE. */
    long wakeAt(long now) {
        long next = Long.MAX_VALUE;
        if (stopping) {
            // after SIGKILL only the workers' exits (their pidfds) are awaited: no deadline is left
            next = killed ? Long.MAX_VALUE : killDeadline != 0 ? killDeadline : drainDeadline;
        }
        if (acceptDrain != null) {
            next = Math.min(next, now + TimeUnit.MILLISECONDS.toNanos(AcceptQueueDrain.POLL_MILLIS));
        }
        return next;
    }

    /** When the supervisor ends: the drain's own resources, if a stop was under way. */
    void release() {
        if (acceptDrain != null) {
            acceptDrain.close();
        }
    }

    /**
     * The parent's copy of the socket goes. The workers of shared-accept hold their own copies (the
     * last one to close resets what is still queued, which their stop waits for); a reuseport port
     * holder is not needed any more; the cluster primary stops accepting first.
     */
    private void stopAccepting() {
        if (resources.primary != null) {
            resources.primary.stopAccepting();
        }
        resources.closeSocket();
    }

    /** Cluster: true once the primary has accepted what was queued when the door shut (or the time is up). */
    private boolean acceptQueueDrained(long now) {
        if (acceptDrain == null) {
            return true;
        }
        try {
            if (!acceptDrain.drained() && !acceptDrain.timedOut(now)) {
                return false;
            }
            String outcome = acceptDrain.outcome(now);
            if (outcome != null) {
                log.accept("socklab: serve: " + outcome);
            }
        } catch (RuntimeException e) {
            log.accept("socklab: serve: " + AcceptQueueDrain.failed(e));
        }
        acceptDrain.close();
        acceptDrain = null;
        stopAccepting();
        return true;
    }
}
