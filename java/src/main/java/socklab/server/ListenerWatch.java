package socklab.server;

import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;

import socklab.http.WorkerStats;
import socklab.sys.Binding;
import socklab.sys.Epoll;
import socklab.sys.Errno;
import socklab.sys.NativeException;
import socklab.sys.Sockets;

/**
 * The accepting side of an {@link EventLoop}: a listening socket in the loop's epoll set, level-triggered,
 * and accept4 of one connection per readiness report (as Node, memcached and nginx without multi_accept
 * do; the socket is reported again while its queue is not empty). Each connection goes to a target:
 * the loop itself, or (acceptor-readers) the next reader.
 *
 * <p>With an {@link AcceptMutex} the socket is in the set only while this loop holds the mutex, and the
 * loop is woken every accept_mutex_delay to try again, as nginx. Out of descriptors or kernel memory
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM), the socket leaves the set for {@value #PAUSE_MILLIS} ms and comes
 * back on a timer, as memcached re-enables accepting; the connection waits in the accept queue meanwhile.
 */
final class ListenerWatch {
    /** The epoll data word of listener events (connections carry a generation of 2 or more). */
    static final long DATA = 0;
    private static final long PAUSE_MILLIS = 100;

    private final Binding sys;
    private final int epfd;
    private final int fd;
    private final int events;
    private final AcceptMutex mutex;
    private final IntConsumer target;
    private final WorkerStats io;
    private final IntSupplier openConnections;
    private boolean listening;
    private int skipMutexTurns;
    private long pausedUntil;
    private boolean stopped;

    ListenerWatch(Binding sys, int epfd, int fd, int events, AcceptMutex mutex, IntConsumer target, WorkerStats io,
                  IntSupplier openConnections) {
        this.sys = sys;
        this.epfd = epfd;
        this.fd = fd;
        this.events = events;
        this.mutex = mutex;
        this.target = target;
        this.io = io;
        this.openConnections = openConnections;
    }

    /** Called once on the loop's thread before its first wait. */
    void start() {
        if (mutex == null) {
            watch(true);
        }
    }

    /** Before each epoll_wait: ngx_trylock_accept_mutex (see {@link AcceptMutex}). */
    void beforeWait() {
        if (mutex == null || stopped || pausedUntil != 0) {
            return;
        }
        if (skipMutexTurns > 0) {
            skipMutexTurns--;
        } else if (mutex.tryLock(this)) {
            if (!listening) {
                watch(true);
            }
        } else if (listening) {
            watch(false);
        }
    }

    /** The epoll_wait timeout, shortened to come back for a paused socket or, without the mutex, to try it again. */
    int capTimeout(int millis, long now) {
        if (pausedUntil != 0) {
            int untilResume = (int) Math.max(0, Math.ceilDiv(pausedUntil - now, 1_000_000L));
            return millis < 0 ? untilResume : Math.min(millis, untilResume);
        }
        if (mutex != null && !listening && !stopped) {
            return millis < 0 ? AcceptMutex.DELAY_MILLIS : Math.min(millis, AcceptMutex.DELAY_MILLIS);
        }
        return millis;
    }

    /** The socket was reported readable: accept one connection and pass it on. */
    void ready(long now) {
        if (!listening) {
            return; // reported before we stopped watching
        }
        int conn;
        try {
            conn = sys.accept(fd, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        } catch (NativeException e) {
            if (!Errno.isShortage(e.errno())) {
                throw e;
            }
            watch(false);
            pausedUntil = (now + TimeUnit.MILLISECONDS.toNanos(PAUSE_MILLIS)) | 1; // never 0, which means "not paused"
            return;
        }
        if (conn == -Errno.EAGAIN) {
            io.countAcceptEagain(); // another worker took it (the herd), or it was reset while queued
            return;
        }
        io.countAccepted();
        target.accept(conn);
        if (mutex != null) {
            skipMutexTurns = AcceptMutex.turnsToSkip(openConnections.getAsInt());
        }
    }

    /** After the accepts of a wake-up, before the other events: the holder releases the mutex, as nginx. */
    void afterAccepts() {
        if (mutex != null) {
            mutex.unlock(this);
        }
    }

    /** After each wake-up: resumes a paused socket once its pause is over. */
    void tick(long now) {
        if (pausedUntil != 0 && now - pausedUntil >= 0) {
            pausedUntil = 0;
            if (mutex == null && !stopped) {
                watch(true);
            }
        }
    }

    /** Stops watching for good; the server closes the socket once every loop has stopped. */
    void stop() {
        if (listening) {
            watch(false);
        }
        afterAccepts();
        stopped = true;
    }

    private void watch(boolean on) {
        sys.epollCtl(epfd, on ? Epoll.EPOLL_CTL_ADD : Epoll.EPOLL_CTL_DEL, fd, events, DATA);
        listening = on;
    }
}
