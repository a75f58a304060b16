package socklab.proc;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import socklab.server.AcceptQueueDrain;

/**
 * A parent and its worker processes, each a JVM running one server ({@link WorkerMain}), the way nginx
 * runs a master and its workers:
 * <ul>
 * <li>{@code shared-accept}: the parent opens the listening socket and every worker inherits it at
 *     fd 3 and accepts on it (nginx without {@code reuseport}).</li>
 * <li>{@code reuseport}: every worker binds a socket of its own to the port with SO_REUSEPORT and the
 *     kernel spreads connections over them (nginx's {@code listen … reuseport}). The parent keeps a
 *     socket bound to the port, never listening, so that the port stays the group's while a worker is
 *     being replaced (a bound socket that does not listen takes no connections).</li>
 * <li>{@code cluster}: the parent accepts and hands connections to the workers ({@link ClusterPrimary}).</li>
 * </ul>
 *
 * <p>One supervisor thread ({@link Supervisor}) starts the workers ({@link WorkerSlots}) and watches
 * them; the parent's descriptors are {@link GroupResources}.
 *
 * <p>Supervision: a worker that exits while the group runs is logged with its pid and wait status and
 * replaced after a back-off: {@value Supervisor#FIRST_BACKOFF_MILLIS} ms, doubled for each exit in a
 * row of a worker that ran less than {@value Supervisor#STABLE_MILLIS} ms, at most
 * {@value Supervisor#MAX_BACKOFF_MILLIS} ms. {@link #close} stops the group ({@link GroupStop}) without
 * resetting a connection the kernel has accepted ({@link AcceptQueueDrain}): shared-accept: the parent
 * shuts the door of the shared socket (no new handshakes), closes its copy and sends SIGTERM to every
 * worker, each of which goes on accepting until the queue is empty, then answers what it has in flight
 * and exits 0; reuseport: SIGTERM at once, each worker drains its own socket's queue; cluster: the
 * parent shuts its socket's door, accepts until the queue is empty, closes it, still hands out what it
 * accepted, then sends SIGTERM. A worker still running {@value GroupStop#STOP_TIMEOUT_MILLIS} ms after
 * SIGTERM gets SIGKILL. A worker that fails while the group starts fails the start.
 */
public final class ProcessGroup implements AutoCloseable {
    private final GroupConfig config;
    private final GroupResources resources;
    private final WorkerSlots workers;
    private final Supervisor supervisor;

    private ProcessGroup(GroupConfig config, Consumer<String> log) {
        this.config = config;
        this.resources = new GroupResources(config);
        this.workers = new WorkerSlots(config, resources);
        this.supervisor = new Supervisor(config, log, resources, workers);
    }

    /**
     * Opens the group's socket, starts the worker processes and returns once each serves. A failure
     * (the port is taken, a worker exits while starting) stops what was started and throws.
     * {@code log} receives one line per event worth telling (a worker exited, was replaced, was killed).
     */
    public static ProcessGroup start(GroupConfig config, Consumer<String> log) throws InterruptedException {
        ProcessGroup group = new ProcessGroup(config, log);
        try {
            group.resources.open();
        } catch (RuntimeException e) {
            group.resources.release();
            throw e;
        }
        Throwable t = group.supervisor.start();
        if (t != null) {
            group.supervisor.awaitStopped();
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
        return group;
    }

    public GroupConfig config() {
        return config;
    }

    /** The address the group serves on, with the port the kernel picked when the config said 0. */
    public InetSocketAddress address() {
        return resources.address;
    }

    /** The pids of the worker processes running now, by slot (a slot being refilled is left out). */
    public List<Integer> pids() {
        return workers.pids();
    }

    /**
     * The X-Worker ids of the serving workers of the processes running now, in slot order: every
     * process's workers {@code 0..W-1}, each prefixed with the process's pid as in /stats.
     */
    public List<String> workerIds() {
        List<String> ids = new ArrayList<>();
        for (int pid : pids()) {
            for (int i = 0; i < config.server().workers(); i++) {
                ids.add(TableMember.idPrefix(pid) + i);
            }
        }
        return ids;
    }

    /** Workers started to replace one that exited, so far. */
    public int restarts() {
        return supervisor.restarts();
    }

    /** What stopped the supervisor, if anything did. */
    public Throwable failure() {
        return supervisor.failure();
    }

    /** Waits until the group has stopped: by {@link #close}, or after a failure. */
    public void awaitStopped() throws InterruptedException {
        supervisor.awaitStopped();
    }

    /** Stops the group as the class comment says and waits for it; idempotent. */
    @Override
    public void close() {
        supervisor.requestStop();
        try {
            supervisor.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
