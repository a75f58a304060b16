package socklab.server;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import socklab.http.WorkerStats;
import socklab.sys.Binding;
import socklab.sys.Errno;
import socklab.sys.NativeException;
import socklab.sys.Sockets;

/**
 * A thread blocked in accept4(2) on a blocking listening socket, handing each connection to its
 * worker's loop. Threads blocked in accept on one socket wait in the socket's queue in arrival order
 * and the kernel wakes the first (prepare_to_wait_exclusive in inet_csk_wait_for_connect): connections
 * go round the workers in FIFO order, as Cloudflare's "2 1 0 2 1 0" shows.
 *
 * <p>It stops when the server shuts the listening socket down: shutdown(2) on a listener wakes every
 * blocked accept with EINVAL (closing the descriptor would not wake them on Linux).
 */
final class BlockingAccepter {
    private static final long SHORTAGE_PAUSE_MILLIS = 100;

    private final Binding sys;
    private final int listenFd;
    private final WorkerStats worker;
    private final EventLoop loop;
    private final Consumer<Throwable> onFailure;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile long tid;
    private final CountDownLatch started = new CountDownLatch(1);

    BlockingAccepter(Binding sys, int listenFd, WorkerStats worker, EventLoop loop, Consumer<Throwable> onFailure) {
        this.sys = sys;
        this.listenFd = listenFd;
        this.worker = worker;
        this.loop = loop;
        this.onFailure = onFailure;
        this.thread = Thread.ofPlatform().name("accept-" + worker.id()).daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** The Linux thread id of the accepting thread (0 until it runs): tests look it up in /proc. */
    long tid() {
        return tid;
    }

    /** Waits until the thread runs; false if it did not within {@code millis}. */
    boolean awaitStarted(long millis) throws InterruptedException {
        return started.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Marks the thread as stopping; the server then shuts the socket down to wake it. */
    void stopping() {
        stopping = true;
    }

    void join() throws InterruptedException {
        if (thread.getState() != Thread.State.NEW) {
            thread.join();
        }
    }

    private void run() {
        tid = WorkerStats.currentTid();
        started.countDown();
        try {
            while (!stopping) {
                int fd;
                try {
                    fd = sys.accept(listenFd, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
                } catch (NativeException e) {
                    if (stopping) {
                        return; // EINVAL from the shutdown that stops us
                    }
                    if (!Errno.isShortage(e.errno())) {
                        throw e;
                    }
                    TimeUnit.MILLISECONDS.sleep(SHORTAGE_PAUSE_MILLIS);
                    continue;
                }
                worker.countAccepted();
                loop.handOff(fd);
            }
        } catch (Throwable t) {
            onFailure.accept(t);
        }
    }
}
