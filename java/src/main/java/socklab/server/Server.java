package socklab.server;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import socklab.http.Handler;
import socklab.http.Router;
import socklab.http.WorkerStats;
import socklab.sys.Binding;
import socklab.sys.SockAddr;
import socklab.sys.SocketOption;
import socklab.sys.Sockets;

/**
 * A running server: one core, many models. Every model is built from the same parts, the
 * {@link EventLoop} (epoll, connections, timers), the shared HTTP state machine
 * ({@link socklab.http.HttpConnection}), the {@link BlockingAccepter} and the {@link WorkerPool}; a
 * model's class only says who accepts, who reads and who handles.
 *
 * <p>Stopping ({@link #close}) goes in the same order for all. From its start every response says
 * {@code Connection: close}. Then the door shuts without dropping anyone already inside
 * ({@link AcceptQueueDrain}): no new handshake starts, and the accepting threads go on until the
 * kernel's accept queues are empty. Then the server stops taking connections (wakes blocked accepters
 * by shutting the listening sockets down; has each loop stop watching its listener and confirm) and
 * closes the listening sockets, which resets nobody now. Then every loop answers the requests it has
 * in flight, gives idle connections the drain time for one more request, closes them and ends; then
 * the worker pool ends; finally, with no thread left that could signal a loop, the loops' eventfds
 * and epoll instances close. No descriptor or thread is left behind. After a failure the door step is
 * skipped: a broken server stops at once; with {@link QueueAtStop#RESET} too, for comparison.
 */
public abstract class Server implements AutoCloseable {
    private static final long THREAD_START_MILLIS = 10_000;

    protected final ServerConfig config;
    protected final Binding sys;
    private final List<WorkerStats> workers = new ArrayList<>();
    private final List<Integer> listeners = new ArrayList<>();
    /** Listening sockets other processes share: closed here, never shut down (that would stop them for all). */
    private final List<Integer> sharedListeners = new ArrayList<>();
    private final List<ChannelReceiver> receivers = new ArrayList<>();
    private GroupMember member;
    private final List<EventLoop> loops = new ArrayList<>();
    private final List<BlockingAccepter> accepters = new ArrayList<>();
    private WorkerPool pool;
    private InetSocketAddress address;
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean serving; // every thread started: the door step has someone to accept
    private volatile boolean stopping;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    protected Server(ServerConfig config) {
        this.config = config;
        this.sys = Binding.byName(config.binding());
    }

    /** Starts a server answering the standard routes ({@link LabRoutes}). */
    public static Server start(ServerConfig config) {
        return start(config, router -> {});
    }

    /** Starts a server answering the standard routes plus those {@code moreRoutes} adds. */
    public static Server start(ServerConfig config, Consumer<Router> moreRoutes) {
        return start(config, null, moreRoutes);
    }

    /**
     * Starts a server as one process of a group: with what its parent passed ({@code member}), or
     * alone when {@code member} is null.
     */
    public static Server start(ServerConfig config, GroupMember member, Consumer<Router> moreRoutes) {
        Server server = switch (config.model()) {
            case SINGLE -> new SingleServer(config);
            case ACCEPTOR_READERS -> new AcceptorReadersServer(config);
            case DISPATCHER_WORKERS -> new DispatcherWorkersServer(config);
            case SHARED_ACCEPT -> new SharedAcceptServer(config);
            case REUSEPORT -> new ReuseportServer(config);
            case CLUSTER -> new ClusterWorkerServer(config);
        };
        server.member = member;
        Router router = LabRoutes.router(server);
        moreRoutes.accept(router);
        try {
            server.build(router);
            server.loops.forEach(EventLoop::start);
            server.accepters.forEach(BlockingAccepter::start);
            server.receivers.forEach(ChannelReceiver::start);
            if (server.pool != null) {
                server.pool.start();
            }
            server.awaitThreads();
            server.prepareStop();
            server.serving = true;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** Returns once every thread runs, so that /stats names them all from the first request on. */
    private void awaitThreads() {
        try {
            for (WorkerStats w : workers) {
                if (!w.awaitBound(THREAD_START_MILLIS)) {
                    throw new IllegalStateException("worker " + w.id() + " did not start within " + THREAD_START_MILLIS + " ms");
                }
            }
            for (BlockingAccepter a : accepters) {
                if (!a.awaitStarted(THREAD_START_MILLIS)) {
                    throw new IllegalStateException("an accepting thread did not start within " + THREAD_START_MILLIS + " ms");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the server started", e);
        }
    }

    /** Opens the model's sockets and creates its loops, accepters and pool (nothing runs yet). */
    protected abstract void build(Handler handler);

    /**
     * A listening socket on the configured address (the port of the first one, for the sockets after
     * it): SO_REUSEADDR, SO_REUSEPORT if asked, and TCP_NODELAY, which accepted connections inherit
     * (memcached sets it on the listener too), so no setsockopt per connection.
     */
    protected int listen(boolean blocking, boolean reuseport) {
        if (member != null && member.listener() >= 0) {
            return adoptSharedListener(member.listener(), blocking);
        }
        InetSocketAddress at = address == null ? config.address() : address;
        int fd = sys.socket(SockAddr.family(at.getAddress()),
                Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC | (blocking ? 0 : Sockets.SOCK_NONBLOCK), Sockets.IPPROTO_TCP);
        listeners.add(fd);
        sys.setInt(fd, SocketOption.SO_REUSEADDR, 1);
        if (reuseport) {
            sys.setInt(fd, SocketOption.SO_REUSEPORT, 1);
        }
        sys.setInt(fd, SocketOption.TCP_NODELAY, 1);
        sys.bind(fd, at);
        sys.listen(fd, config.backlog());
        if (address == null) {
            address = Sockets.localAddress(fd); // getsockname: set-up only, so through FFM directly
        }
        return fd;
    }

    /**
     * The listening socket the parent passed, which every process of the group accepts on. It is
     * non-blocking (the parent made it so, and the flag is shared with every process), so a blocking
     * accept is refused: a thread blocked in accept4 could only be woken by shutdown(2), which would
     * stop the socket for the whole group.
     */
    private int adoptSharedListener(int fd, boolean blocking) {
        if (blocking) {
            throw new IllegalArgumentException("a blocking accept cannot run on a listening socket shared by processes: use --accept exclusive or epoll");
        }
        if (sys.getInt(fd, SocketOption.SO_ACCEPTCONN) != 1) {
            throw new IllegalArgumentException("descriptor " + fd + " from the parent is not a listening socket");
        }
        sharedListeners.add(fd);
        address = Sockets.localAddress(fd);
        return fd;
    }

    /** A worker's identity and counters, listed in /stats in the order created. */
    protected WorkerStats worker(String id, String role) {
        WorkerStats w = member == null ? new WorkerStats(id, role)
                : new WorkerStats(member.workerIdPrefix() + id, role, member.counters(workers.size()));
        workers.add(w);
        return w;
    }

    /** What the parent passed this process, or null for a server alone. */
    protected GroupMember member() {
        return member;
    }

    /** An event loop named {@code threadName}, reporting for {@code io}; its handlers run on it unless a pool is given. */
    protected EventLoop loop(WorkerStats io, Handler handler, WorkerPool handlers, String threadName) {
        EventLoop loop = new EventLoop(sys, config.limits(), io, handler, handlers, threadName, this::failed);
        loops.add(loop);
        return loop;
    }

    protected BlockingAccepter accepter(int listenFd, WorkerStats worker, EventLoop loop) {
        BlockingAccepter a = new BlockingAccepter(sys, listenFd, worker, loop, this::failed);
        accepters.add(a);
        return a;
    }

    /** A thread taking connections handed over on {@code channel} (cluster) and giving each to {@code target}. */
    protected ChannelReceiver receiver(int channel, WorkerStats worker, IntConsumer target) {
        ChannelReceiver r = new ChannelReceiver(sys, channel, worker, target, this::failed);
        receivers.add(r);
        return r;
    }

    protected WorkerPool pool(List<WorkerStats> handlers, Handler handler) {
        pool = new WorkerPool(handlers, handler, this::failed);
        return pool;
    }

    public ServerConfig config() {
        return config;
    }

    /** The address the server listens on, with the port the kernel picked when the config said 0. */
    public InetSocketAddress address() {
        return address;
    }

    /**
     * The listening descriptors in the order opened: one shared socket, or (reuseport) worker i's
     * socket at index i. For watching their queues (TCP_INFO, sock_diag by inode); never close them.
     */
    public List<Integer> listeners() {
        return List.copyOf(listeners);
    }

    /** Every worker's identity and counters, in /stats order. */
    public List<WorkerStats> workers() {
        return List.copyOf(workers);
    }

    /** The workers /stats reports: this server's, or, in a process of a group, every process's. */
    public List<WorkerStats> reportedWorkers() {
        return member == null ? workers() : member.groupWorkers(workers());
    }

    /** The number of processes /stats reports: null for a server alone. */
    public Integer processes() {
        return member == null ? null : member.processes();
    }

    /** The Linux thread ids of the blocking accepters (shared-accept with blocking accept; empty otherwise). */
    public List<Long> accepterTids() {
        return accepters.stream().map(BlockingAccepter::tid).toList();
    }

    /** True once {@link #close} has begun: from then on every response says {@code Connection: close}. */
    public boolean isStopping() {
        return stopping;
    }

    /** What made a loop or worker fail, if anything did; a failure stops the server. */
    public Throwable failure() {
        return failure.get();
    }

    /** Waits until the server has stopped, by {@link #close} or after a failure. */
    public void awaitStopped() throws InterruptedException {
        closed.await();
    }

    private void failed(Throwable t) {
        if (failure.compareAndSet(null, t)) {
            Thread.ofPlatform().name("socklab-stop").start(this::close);
        }
    }

    /** Stops the server as the class comment says; idempotent, and safe on a half-built server. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitQuietly();
            return;
        }
        boolean interrupted = false;
        try {
            loops.forEach(EventLoop::closing);
            stopping = true;
            if (serving && failure.get() == null && config.queueAtStop() == QueueAtStop.DRAIN) {
                interrupted = !drainAcceptQueues();
            }
            accepters.forEach(BlockingAccepter::stopping);
            if (!accepters.isEmpty()) {
                listeners.forEach(fd -> sys.shutdown(fd, Sockets.SHUT_RDWR));
            }
            for (BlockingAccepter a : accepters) {
                a.join();
            }
            for (ChannelReceiver r : receivers) {
                r.stop();
            }
            loops.forEach(EventLoop::stopAccepting);
            for (EventLoop loop : loops) {
                loop.awaitAcceptStopped();
            }
            listeners.forEach(sys::close);
            sharedListeners.forEach(sys::close);
            loops.forEach(EventLoop::stop);
            for (EventLoop loop : loops) {
                loop.join();
            }
            if (pool != null) {
                pool.stop();
            }
            loops.forEach(EventLoop::close); // only now: until every thread above has ended, any may signal a loop
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            closed.countDown();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Makes the first stop as quick as the next ({@link AcceptQueueDrain#prepare}). */
    private void prepareStop() {
        if (config.queueAtStop() == QueueAtStop.DRAIN && acceptsItself()) {
            String problem = AcceptQueueDrain.prepare(address.getPort(), !listeners.isEmpty());
            if (problem != null) {
                System.err.println("socklab: " + problem);
            }
        }
    }

    /**
     * Shuts the door and waits until the accepting threads have taken what the kernel queued
     * ({@link AcceptQueueDrain}); says on stderr what was served meanwhile, or what the close will
     * reset. A cluster worker has no listener (its parent accepts) and nothing to do here. If the
     * kernel refuses a step, the stop goes on as before that step existed, and says so. Returns false
     * when the wait was interrupted: the stop then goes on at once, and the caller restores the
     * interrupt once everything is closed.
     */
    private boolean drainAcceptQueues() {
        if (!acceptsItself()) {
            return true;
        }
        try (AcceptQueueDrain drain = AcceptQueueDrain.begin(listeners, sharedListeners, address.getPort(), System.nanoTime())) {
            String outcome = drain.await();
            if (outcome != null) {
                System.err.println("socklab: " + outcome);
            }
            return true;
        } catch (InterruptedException e) {
            System.err.println("socklab: stopping: interrupted while the accept queue drained; closing the listener now");
            return false;
        } catch (RuntimeException e) {
            System.err.println("socklab: " + AcceptQueueDrain.failed(e));
            return true;
        }
    }

    /** Whether this server takes connections off a listening socket (a cluster worker is handed them instead). */
    private boolean acceptsItself() {
        return !(listeners.isEmpty() && sharedListeners.isEmpty());
    }

    private void awaitQuietly() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
