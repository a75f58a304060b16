package socklab.server;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import socklab.http.ConnectionHost;
import socklab.http.ConnectionTimers;
import socklab.http.Handler;
import socklab.http.HttpConnection;
import socklab.http.HttpLimits;
import socklab.http.WorkerStats;
import socklab.sys.Binding;
import socklab.sys.Epoll;
import socklab.sys.NativeException;

/**
 * One thread, one epoll instance: the loop every model is made of. What a loop does depends on how the
 * model wires it: it may watch a listening socket and accept (serving the connection itself or passing
 * it on), take connections handed to it, serve connections, and run handlers itself or pass requests
 * to a {@link WorkerPool}.
 *
 * <p>The epoll data word says what an event is for: {@code 0} the listening socket ({@link ListenerWatch}), {@code 1} the
 * {@link Wakeup} eventfd, anything else a connection, as {@code generation << 32 | fd}. The generation
 * tells a stale event for a closed descriptor from an event for a new connection that reuses the number.
 * Connection objects and their native buffers are pooled per loop, so a new connection allocates nothing
 * once the pool has grown to the peak number of connections.
 */
final class EventLoop implements ConnectionHost {
    private static final int WAKEUP = 1;
    private static final int FIRST_GENERATION = 2;
    /** Registered once per connection and never modified; see {@link HttpConnection}. */
    private static final int CONNECTION_EVENTS = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET;
    /** Responses are copied in piece by piece when larger, so this only bounds a response head and a pipelined batch. */
    private static final int OUTPUT_CAPACITY = 8 * 1024;
    private static final int MAX_EVENTS = 256;

    private final Binding sys;
    private final HttpLimits limits;
    private final WorkerStats io;
    private final Handler handler;
    private final WorkerPool pool;
    private final Consumer<Throwable> onFailure;
    private final ConnectionTimers timers;
    private final Arena arena = Arena.ofShared(); // buffers are read by pool threads too
    private final int epfd;
    private final Wakeup wakeup;
    private final MemorySegment events;
    private final Thread thread;
    private HttpConnection[] byFd = new HttpConnection[1024];
    private final ArrayDeque<HttpConnection> spare = new ArrayDeque<>();
    private final ConcurrentLinkedQueue<Integer> handoffs = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<HttpConnection> answered = new ConcurrentLinkedQueue<>();
    private int open;
    private int generation = FIRST_GENERATION;
    private long now = System.nanoTime();

    private ListenerWatch listener;
    private boolean acceptStopped;
    private final CountDownLatch acceptStopAck = new CountDownLatch(1);
    private volatile boolean closing;
    private volatile boolean stopAccepting;
    private volatile boolean stop;
    private boolean draining;

    /** A loop whose requests are handled on its own thread ({@code pool} null) or by {@code pool}. */
    EventLoop(Binding sys, HttpLimits limits, WorkerStats io, Handler handler, WorkerPool pool,
              String threadName, Consumer<Throwable> onFailure) {
        this.sys = sys;
        this.limits = limits;
        this.io = io;
        this.handler = handler;
        this.pool = pool;
        this.onFailure = onFailure;
        this.timers = new ConnectionTimers(limits);
        this.events = Epoll.allocateEvents(arena, MAX_EVENTS);
        this.epfd = sys.epollCreate(Epoll.EPOLL_CLOEXEC);
        Wakeup w = null;
        try {
            w = new Wakeup(sys, arena);
            sys.epollCtl(epfd, Epoll.EPOLL_CTL_ADD, w.fd(), Epoll.EPOLLIN, (long) WAKEUP << 32);
        } catch (RuntimeException e) {
            if (w != null) {
                w.close();
            }
            sys.close(epfd);
            arena.close();
            throw e;
        }
        this.wakeup = w;
        this.thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::run);
    }

    /**
     * Makes this loop accept on {@code fd}, registered with {@code epollEvents} (EPOLLIN, perhaps with
     * EPOLLEXCLUSIVE); each connection goes to {@code target} (null: this loop serves it). With a mutex
     * the socket is watched only while the mutex is held. Call before {@link #start}.
     */
    void acceptOn(int fd, int epollEvents, AcceptMutex acceptMutex, IntConsumer target) {
        listener = new ListenerWatch(sys, epfd, fd, epollEvents, acceptMutex, target == null ? this::serve : target, io,
                () -> open);
    }

    void start() {
        thread.start();
    }

    /** Hands this loop a connection accepted elsewhere (any thread). */
    void handOff(int fd) {
        handoffs.offer(fd);
        wakeup.signal();
    }

    /** Returns a connection whose request a pool thread has answered (that thread). */
    void answered(HttpConnection c) {
        answered.offer(c);
        wakeup.signal();
    }

    /** The server is closing: from now on every response says {@code Connection: close} (any thread). */
    void closing() {
        closing = true;
    }

    /** Asks the loop to stop watching its listening socket; {@link #awaitAcceptStopped} waits for it. */
    void stopAccepting() {
        stopAccepting = true;
        wakeup.signal();
    }

    void awaitAcceptStopped() throws InterruptedException {
        if (thread.isAlive()) {
            acceptStopAck.await();
        }
    }

    /** Asks the loop to answer what is in flight, close the rest and end. */
    void stop() {
        stop = true;
        wakeup.signal();
    }

    /** Waits until the loop's thread has ended (at once if it never started: the server failed while it was being built). */
    void join() throws InterruptedException {
        if (thread.getState() != Thread.State.NEW) {
            thread.join();
        }
    }

    /**
     * Closes what is left: connections handed over after a failure had ended the loop, the eventfd, the
     * epoll instance and the buffers. The server calls it once no thread can
     * signal this loop any more: after {@link #join}, and after the accepters, receivers and the pool's
     * threads have ended. The loop's own thread must not: other threads signal after setting a flag,
     * so the loop may see {@link #stop} (or the last answered request) and end before their write(2)
     * comes, which would then hit a closed eventfd (EBADF) or, worse, a descriptor that reuses its number.
     */
    void close() {
        for (Integer fd = handoffs.poll(); fd != null; fd = handoffs.poll()) {
            sys.close(fd); // handed over after a failure had ended this loop: nobody will serve it
        }
        wakeup.close();
        sys.close(epfd);
        arena.close();
    }

    private void run() {
        io.bindToCurrentThread();
        try {
            if (listener != null) {
                listener.start();
            }
            while (true) {
                if (stopAccepting && !acceptStopped) {
                    if (listener != null) {
                        listener.stop();
                    }
                    acceptStopped = true;
                    acceptStopAck.countDown();
                }
                if (stop && !draining) {
                    drain();
                }
                if (draining && open == 0) {
                    break;
                }
                if (listener != null) {
                    listener.beforeWait();
                }
                int n = sys.epollWait(epfd, events, timeoutMillis());
                now = System.nanoTime();
                if (listener != null) {
                    for (int i = 0; i < n; i++) {
                        if (Epoll.data(events, i) == ListenerWatch.DATA) {
                            listener.ready(now);
                        }
                    }
                    listener.afterAccepts();
                }
                for (int i = 0; i < n; i++) {
                    long data = Epoll.data(events, i);
                    int kind = (int) (data >>> 32);
                    if (kind == WAKEUP) {
                        wokenUp();
                    } else if (data != ListenerWatch.DATA) {
                        connectionEvent((int) data, kind, Epoll.events(events, i));
                    }
                }
                timers.expire(now);
                if (listener != null) {
                    listener.tick(now);
                }
            }
        } catch (Throwable t) {
            onFailure.accept(t);
        } finally {
            acceptStopAck.countDown();
            abortConnections();
        }
    }

    /** Until the earliest connection deadline, or the listener's next turn; -1 for none. */
    private int timeoutMillis() {
        long nowNanos = System.nanoTime();
        long next = timers.nextDeadline();
        int millis = next == Long.MAX_VALUE ? -1
                : (int) Math.min(Integer.MAX_VALUE, Math.max(0, Math.ceilDiv(next - nowNanos, 1_000_000L)));
        return listener == null ? millis : listener.capTimeout(millis, nowNanos);
    }

    private void wokenUp() {
        wakeup.consume();
        takeHandoffs();
        for (HttpConnection c = answered.poll(); c != null; c = answered.poll()) {
            try {
                c.handled();
            } catch (RuntimeException e) {
                internalError(c, e);
            }
        }
    }

    /**
     * Serves every connection handed to this loop so far. At the stop nothing is handed over any more:
     * the server sets {@link #stop} only after every thread that hands off (acceptor, blocking
     * accepters, channel receiver) has stopped, so the drain's call takes the last of them.
     */
    private void takeHandoffs() {
        for (Integer fd = handoffs.poll(); fd != null; fd = handoffs.poll()) {
            serve(fd);
        }
    }

    /** Starts serving an accepted descriptor on this loop. */
    private void serve(int fd) {
        HttpConnection c = spare.poll();
        if (c == null) {
            c = new HttpConnection(this, arena.allocate(limits.inputCapacity()), arena.allocate(OUTPUT_CAPACITY));
        }
        int gen = generation;
        generation = gen == Integer.MAX_VALUE ? FIRST_GENERATION : gen + 1;
        if (fd >= byFd.length) {
            byFd = Arrays.copyOf(byFd, Math.max(fd + 1, 2 * byFd.length));
        }
        try {
            sys.epollCtl(epfd, Epoll.EPOLL_CTL_ADD, fd, CONNECTION_EVENTS, ((long) gen << 32) | fd);
        } catch (NativeException e) {
            sys.close(fd); // ENOMEM, or ENOSPC at fs.epoll.max_user_watches: refuse this one connection
            spare.push(c);
            return;
        }
        byFd[fd] = c;
        open++;
        io.countConnection();
        // The header timeout runs from here: read the clock again, because a batch of hand-offs (or of
        // events) can hold connections accepted after this loop's epoll_wait returned.
        now = System.nanoTime();
        c.open(fd, gen);
    }

    private void connectionEvent(int fd, int gen, int ready) {
        HttpConnection c = fd < byFd.length ? byFd[fd] : null;
        if (c == null || c.generation() != gen) {
            return; // for a descriptor closed earlier in this batch
        }
        try {
            c.onEvent(ready);
        } catch (RuntimeException e) {
            internalError(c, e);
        }
    }

    /** A bug, not the client's doing: the connection is closed, the loop goes on, and stderr says where. */
    private void internalError(HttpConnection c, RuntimeException e) {
        StackTraceElement[] where = e.getStackTrace();
        System.err.println("socklab: worker " + io.id() + ": closed a connection after an internal error: " + e
                + (where.length > 0 ? " at " + where[0] : ""));
        c.abort();
    }

    /**
     * The server is stopping: read what has arrived. The server said {@code closing} before, so from
     * this pass on a connection with a request in progress closes after its response, and one with
     * none waits for one more until the drain time is up (HttpLimits.drainMillis), then closes its
     * side first. The loop ends when the last has closed.
     */
    private void drain() {
        draining = true;
        takeHandoffs(); // those handed over just before the stop, whose wake-up this loop has not read yet
        for (HttpConnection c : byFd) {
            if (c != null && !c.isClosed()) {
                try {
                    c.onEvent(Epoll.EPOLLIN);
                } catch (RuntimeException e) {
                    internalError(c, e);
                }
            }
        }
    }

    /** The loop's last act: after a failure, connections still open are aborted (none are after a drain). */
    private void abortConnections() {
        for (HttpConnection c : byFd) {
            if (c != null) {
                c.abort();
            }
        }
    }

    // ConnectionHost: called by this loop's connections, on this loop's thread.

    @Override
    public Binding binding() {
        return sys;
    }

    @Override
    public HttpLimits limits() {
        return limits;
    }

    @Override
    public ConnectionTimers timers() {
        return timers;
    }

    @Override
    public long now() {
        return now;
    }

    @Override
    public WorkerStats io() {
        return io;
    }

    @Override
    public boolean stopping() {
        return closing;
    }

    @Override
    public boolean dispatch(HttpConnection c) {
        if (pool == null) {
            c.handle(io, handler);
            return true;
        }
        pool.submit(c, this);
        return false;
    }

    @Override
    public void closed(HttpConnection c) {
        byFd[c.fd()] = null;
        open--;
        spare.push(c);
    }
}
