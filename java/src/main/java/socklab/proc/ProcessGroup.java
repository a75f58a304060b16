package socklab.proc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import socklab.server.AcceptQueueDrain;
import socklab.server.Model;
import socklab.server.QueueAtStop;
import socklab.server.ServerConfig;
import socklab.sys.Epoll;
import socklab.sys.Fd;
import socklab.sys.Processes;
import socklab.sys.SockAddr;
import socklab.sys.SocketOption;
import socklab.sys.SocketOptions;
import socklab.sys.Sockets;
import socklab.sys.Spawn;

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
 * <p>One supervisor thread does everything: it starts the workers (posix_spawn, {@link Spawn}), and
 * its epoll waits for their exits (pidfds), for the cluster's listener and channels, for timers and
 * for the stop request. It must be one long-lived thread: PR_SET_PDEATHSIG fires when the thread that
 * started a process exits, not the process.
 *
 * <p>Supervision: a worker that exits while the group runs is logged with its pid and wait status and
 * replaced after a back-off: {@value #FIRST_BACKOFF_MILLIS} ms, doubled for each exit in a row of a
 * worker that ran less than {@value #STABLE_MILLIS} ms, at most {@value #MAX_BACKOFF_MILLIS} ms.
 * {@link #close} stops the group without resetting a connection the kernel has accepted
 * ({@link AcceptQueueDrain}): shared-accept: the parent shuts the door of the shared socket (no new
 * handshakes), closes its copy and sends SIGTERM to every worker, each of which goes on accepting until
 * the queue is empty, then answers what it has in flight and exits 0; reuseport: SIGTERM at once, each
 * worker drains its own socket's queue; cluster: the parent shuts its socket's door, accepts until the
 * queue is empty, closes it, still hands out what it accepted, then sends SIGTERM. A worker still
 * running {@value #STOP_TIMEOUT_MILLIS} ms after SIGTERM gets SIGKILL. A worker that fails while the
 * group starts fails the start.
 */
public final class ProcessGroup implements AutoCloseable {
    static final long FIRST_BACKOFF_MILLIS = 100;
    static final long MAX_BACKOFF_MILLIS = 10_000;
    static final long STABLE_MILLIS = 10_000;
    static final long START_TIMEOUT_MILLIS = 60_000;
    static final long STOP_TIMEOUT_MILLIS = 30_000;
    /** While a worker starts, how often the supervisor looks at the table to see whether it serves. */
    private static final int START_POLL_MILLIS = 10;

    // Epoll data: kind << 32 | slot.
    private static final long CONTROL = 0;
    private static final long EXIT = 1L << 32;
    private static final long LISTENER = 2L << 32;
    private static final long CHANNEL = 3L << 32;

    private final GroupConfig config;
    private final Consumer<String> log;
    private final int parentPid = (int) ProcessHandle.current().pid();
    private final List<Integer> fds = new ArrayList<>(); // what the parent opened, closed in reverse at the end
    private int socketFd = -1;
    private InetSocketAddress address;
    private StatsTable table;
    private int epfd;
    private int controlFd;
    private ClusterPrimary primary;
    private final Worker[] workers;
    private final AtomicIntegerArray pids;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopRequested;
    private volatile int restarts;

    /** One slot of the group: the process in it now, and its history. */
    private static final class Worker {
        int pid;
        int pidfd = -1;
        long startedAt;
        long respawnAt; // 0: none scheduled
        long backoffMillis;
        boolean serving; // its server runs: it has marked its slot of the table
    }

    private ProcessGroup(GroupConfig config, Consumer<String> log) {
        this.config = config;
        this.log = log;
        this.workers = new Worker[config.processes()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
        }
        this.pids = new AtomicIntegerArray(config.processes());
        this.thread = Thread.ofPlatform().name("socklab-supervisor").unstarted(this::supervise);
    }

    /**
     * Opens the group's socket, starts the worker processes and returns once each serves. A failure
     * (the port is taken, a worker exits while starting) stops what was started and throws.
     * {@code log} receives one line per event worth telling (a worker exited, was replaced, was killed).
     */
    public static ProcessGroup start(GroupConfig config, Consumer<String> log) throws InterruptedException {
        ProcessGroup group = new ProcessGroup(config, log);
        try {
            group.open();
        } catch (RuntimeException e) {
            group.release();
            throw e;
        }
        group.prepareStop();
        group.thread.start();
        group.started.await();
        Throwable t = group.failure.get();
        if (t != null) {
            group.stopped.await();
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
        return group;
    }

    /** The sockets, the shared table, the epoll set and the stop eventfd; on the caller's thread. */
    private void open() {
        ServerConfig server = config.server();
        InetSocketAddress at = server.address();
        if (server.model() == Model.REUSEPORT) {
            socketFd = keep(Sockets.socket(SockAddr.family(at.getAddress()), Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, Sockets.IPPROTO_TCP));
            SocketOptions.setInt(socketFd, SocketOption.SO_REUSEADDR, 1);
            SocketOptions.setInt(socketFd, SocketOption.SO_REUSEPORT, 1);
            Sockets.bind(socketFd, at);
        } else {
            // Non-blocking: the flag belongs to the socket, shared by every process that has it; the
            // workers' epoll loops and the cluster primary need it. TCP_NODELAY is inherited by accepted sockets.
            socketFd = keep(Sockets.listenTcp(at, server.backlog(), Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC,
                    SocketOption.SO_REUSEADDR, SocketOption.TCP_NODELAY));
        }
        address = Sockets.localAddress(socketFd);
        table = StatsTable.create(config.processes(), config.blocksPerProcess());
        epfd = keep(Epoll.create(Epoll.EPOLL_CLOEXEC));
        controlFd = keep(Fd.eventfd(0, Fd.EFD_CLOEXEC | Fd.EFD_NONBLOCK));
        Epoll.add(epfd, controlFd, Epoll.EPOLLIN, CONTROL);
        if (server.model() == Model.CLUSTER) {
            primary = new ClusterPrimary(epfd, socketFd, LISTENER, CHANNEL, config.processes(), server.backlog());
        }
    }

    /** The parent shuts the door of a shared or cluster socket: makes its first stop as quick as the next. */
    private void prepareStop() {
        Model model = config.server().model();
        if (config.server().queueAtStop() == QueueAtStop.DRAIN && (model == Model.SHARED_ACCEPT || model == Model.CLUSTER)) {
            String problem = AcceptQueueDrain.prepare(address.getPort(), true);
            if (problem != null) {
                log.accept("socklab: serve: " + problem);
            }
        }
    }

    private int keep(int fd) {
        fds.add(fd);
        return fd;
    }

    public GroupConfig config() {
        return config;
    }

    /** The address the group serves on, with the port the kernel picked when the config said 0. */
    public InetSocketAddress address() {
        return address;
    }

    /** The pids of the worker processes running now, by slot (a slot being refilled is left out). */
    public List<Integer> pids() {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < pids.length(); i++) {
            if (pids.get(i) != 0) {
                list.add(pids.get(i));
            }
        }
        return list;
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
        return restarts;
    }

    /** What stopped the supervisor, if anything did. */
    public Throwable failure() {
        return failure.get();
    }

    /** Waits until the group has stopped: by {@link #close}, or after a failure. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Stops the group as the class comment says and waits for it; idempotent. */
    @Override
    public void close() {
        stopRequested = true;
        synchronized (fds) { // the supervisor closes controlFd under this lock when it ends
            if (thread.getState() != Thread.State.NEW && !fds.isEmpty()) {
                try (Arena arena = Arena.ofConfined()) {
                    Fd.write(controlFd, arena.allocateFrom(ValueLayout.JAVA_LONG, 1L));
                }
            }
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the supervisor thread ----

    private boolean running; // every worker served once: from now on an exit is a crash, not a failed start
    private boolean stopping;
    private AcceptQueueDrain acceptDrain; // cluster, while the primary takes what is queued before the socket closes
    private long drainDeadline;
    private long killDeadline; // 0 until SIGTERM went out
    private boolean killed;

    private void supervise() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 16);
            MemorySegment eventfdValue = arena.allocate(ValueLayout.JAVA_LONG);
            long now = System.nanoTime();
            for (int slot = 0; slot < workers.length; slot++) {
                spawn(slot, now);
            }
            long startDeadline = now + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
            while (true) {
                checkServing(now);
                if (!running && allServing()) {
                    running = true;
                    started.countDown();
                }
                if (!running && now - startDeadline > 0) {
                    throw new IllegalStateException("the worker processes did not all start within " + START_TIMEOUT_MILLIS + " ms");
                }
                if (stopRequested && !stopping) {
                    beginStop(now);
                }
                if (stopping && advanceStop(now)) {
                    return;
                }
                int n = Epoll.wait(epfd, events, timeoutMillis(now));
                now = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    long data = Epoll.data(events, i);
                    int slot = (int) data;
                    switch ((int) (data >>> 32)) {
                        case 0 -> Fd.read(controlFd, eventfdValue);
                        case 1 -> exited(slot, now);
                        case 2 -> primary.acceptReady(now);
                        default -> primary.channelReady(slot, now);
                    }
                }
                if (primary != null) {
                    primary.updateWatch(now);
                }
                respawnDue(now);
            }
        } catch (Throwable t) {
            failure.set(t);
            log.accept("socklab: serve: supervisor failed: " + t);
            killAll();
        } finally {
            started.countDown();
            try {
                release();
            } finally {
                stopped.countDown();
            }
        }
    }

    /** Notes the workers that have started serving since; a replacement's start time is logged. */
    private void checkServing(long now) {
        for (int slot = 0; slot < workers.length; slot++) {
            Worker w = workers[slot];
            if (w.pidfd >= 0 && !w.serving && table.pid(slot) == w.pid) {
                w.serving = true;
                if (running) {
                    log.accept("socklab: serve: worker " + slot + " (pid " + w.pid + ") serving "
                            + TimeUnit.NANOSECONDS.toMillis(now - w.startedAt) + " ms after it was started");
                }
            }
        }
    }

    private boolean allServing() {
        for (Worker w : workers) {
            if (!w.serving) {
                return false;
            }
        }
        return true;
    }

    private boolean anyStarting() {
        for (Worker w : workers) {
            if (w.pidfd >= 0 && !w.serving) {
                return true;
            }
        }
        return false;
    }

    private int timeoutMillis(long now) {
        long next = Long.MAX_VALUE;
        for (Worker w : workers) {
            if (w.respawnAt != 0) {
                next = Math.min(next, w.respawnAt);
            }
        }
        if (primary != null && primary.pausedUntil() != 0) {
            next = Math.min(next, primary.pausedUntil());
        }
        if (stopping) {
            next = Math.min(next, killDeadline != 0 ? killDeadline : drainDeadline);
        }
        if (acceptDrain != null) {
            next = Math.min(next, now + TimeUnit.MILLISECONDS.toNanos(AcceptQueueDrain.POLL_MILLIS));
        }
        long millis = next == Long.MAX_VALUE ? -1 : Math.max(0, Math.ceilDiv(next - now, 1_000_000L));
        if (anyStarting()) {
            millis = millis < 0 ? START_POLL_MILLIS : Math.min(millis, START_POLL_MILLIS);
        }
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }

    /** Starts a worker process in {@code slot}, passing it its descriptors; see {@link WorkerMain}. */
    private void spawn(int slot, long now) {
        table.clear(slot);
        List<Integer> passed = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int[] channel = null;
        Model model = config.server().model();
        if (model == Model.SHARED_ACCEPT) {
            passed.add(socketFd);
            names.add("listener");
        } else if (model == Model.CLUSTER) {
            channel = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_SEQPACKET | Sockets.SOCK_CLOEXEC);
            Fd.setNonBlocking(channel[0], true); // the parent's end; the worker blocks on its own
            passed.add(channel[1]);
            names.add("channel");
        }
        passed.add(table.fd());
        names.add("stats");
        WorkerMain.WorkerArgs args = new WorkerMain.WorkerArgs(slot, config.processes(), parentPid,
                config.server().withAddress(config.server().host(), address.getPort()));
        Worker w = workers[slot];
        try {
            w.pid = Spawn.spawn(WorkerMain.command(args), WorkerMain.listenEnvironment(names),
                    passed.stream().mapToInt(Integer::intValue).toArray());
        } catch (RuntimeException e) {
            if (channel != null) {
                Fd.close(channel[0]);
            }
            throw e;
        } finally {
            if (channel != null) {
                Fd.close(channel[1]);
            }
        }
        w.pidfd = Processes.pidfd(w.pid);
        Epoll.add(epfd, w.pidfd, Epoll.EPOLLIN, EXIT | slot);
        w.startedAt = now;
        w.respawnAt = 0;
        w.serving = false;
        pids.set(slot, w.pid);
        if (channel != null) {
            primary.attach(slot, channel[0]);
        }
    }

    /** The pidfd of {@code slot} is readable: its process has exited. Reap it; replace it unless stopping. */
    private void exited(int slot, long now) {
        Worker w = workers[slot];
        int status = Processes.reap(w.pid);
        if (status < 0) {
            return; // not yet: pidfds signal exit, so this does not happen, but a status is what counts
        }
        Fd.close(w.pidfd); // also leaves the epoll set
        w.pidfd = -1;
        pids.set(slot, 0);
        if (primary != null) {
            primary.detach(slot);
        }
        String what = "worker " + slot + " (pid " + w.pid + ") " + Processes.describeStatus(status);
        if (!running) {
            throw new IllegalStateException(what + " while the group was starting (its error, if any, is above)");
        }
        if (stopping) {
            if (!Processes.exitedCleanly(status)) {
                log.accept("socklab: serve: " + what + " while stopping");
            }
            return;
        }
        long ranMillis = TimeUnit.NANOSECONDS.toMillis(now - w.startedAt);
        w.backoffMillis = ranMillis >= STABLE_MILLIS || w.backoffMillis == 0 ? FIRST_BACKOFF_MILLIS
                : Math.min(MAX_BACKOFF_MILLIS, 2 * w.backoffMillis);
        w.respawnAt = now + TimeUnit.MILLISECONDS.toNanos(w.backoffMillis) | 1; // never 0, which means "none"
        log.accept("socklab: serve: " + what + " after " + ranMillis + " ms; starting a new one in " + w.backoffMillis + " ms");
    }

    private void respawnDue(long now) {
        for (int slot = 0; slot < workers.length; slot++) {
            Worker w = workers[slot];
            if (w.respawnAt != 0 && now - w.respawnAt >= 0) {
                spawn(slot, now);
                restarts++;
                log.accept("socklab: serve: worker " + slot + " started again as pid " + w.pid);
            }
        }
    }

    /** No more new connections; what the kernel accepted is still served (see the class comment). */
    private void beginStop(long now) {
        stopping = true;
        for (Worker w : workers) {
            w.respawnAt = 0;
        }
        drainDeadline = now + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS);
        boolean drain = config.server().queueAtStop() == QueueAtStop.DRAIN; // RESET: the socket closes at once, for comparison
        try {
            if (drain && config.server().model() == Model.SHARED_ACCEPT) {
                AcceptQueueDrain.shutDoors(List.of(socketFd));
            } else if (drain && primary != null) {
                acceptDrain = AcceptQueueDrain.begin(List.of(socketFd), List.of(), address.getPort(), now);
                return; // the socket closes once the primary has taken what is queued (advanceStop)
            }
        } catch (RuntimeException e) {
            log.accept("socklab: serve: " + AcceptQueueDrain.failed(e));
        }
        stopAccepting();
    }

    /**
     * The parent's copy of the socket goes. The workers of shared-accept hold their own copies (the
     * last one to close resets what is still queued, which their stop waits for); a reuseport port
     * holder is not needed any more; the cluster primary stops accepting first.
     */
    private void stopAccepting() {
        if (primary != null) {
            primary.stopAccepting();
        }
        synchronized (fds) {
            Fd.close(socketFd);
            fds.remove((Integer) socketFd);
        }
        socketFd = -1;
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

    /** Moves the stop along; true once every worker has exited. */
    private boolean advanceStop(long now) {
        if (!acceptQueueDrained(now)) {
            return false;
        }
        if (killDeadline == 0 && (primary == null || primary.idle() || now - drainDeadline > 0)) {
            signalAll(Processes.SIGTERM);
            killDeadline = now + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS) | 1;
        }
        if (killDeadline != 0 && !killed && now - killDeadline > 0) {
            log.accept("socklab: serve: workers " + pids() + " still running " + STOP_TIMEOUT_MILLIS + " ms after SIGTERM: SIGKILL");
            signalAll(Processes.SIGKILL);
            killed = true;
        }
        for (Worker w : workers) {
            if (w.pidfd >= 0) {
                return false;
            }
        }
        return true;
    }

    private void signalAll(int signal) {
        for (Worker w : workers) {
            if (w.pidfd >= 0) {
                Processes.signal(w.pid, signal);
            }
        }
    }

    /** After a failure: SIGKILL every worker and reap it (each dies within milliseconds of SIGKILL). */
    private void killAll() {
        for (int slot = 0; slot < workers.length; slot++) {
            Worker w = workers[slot];
            if (w.pidfd < 0) {
                continue;
            }
            Processes.signal(w.pid, Processes.SIGKILL);
            try {
                while (Processes.reap(w.pid) < 0) {
                    Thread.sleep(1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            Fd.close(w.pidfd);
            w.pidfd = -1;
            pids.set(slot, 0);
        }
    }

    private void release() {
        if (acceptDrain != null) {
            acceptDrain.close();
        }
        if (primary != null) {
            primary.close();
        }
        if (table != null) {
            table.close();
        }
        synchronized (fds) {
            for (int i = fds.size() - 1; i >= 0; i--) {
                Fd.close(fds.get(i));
            }
            fds.clear();
        }
    }
}
