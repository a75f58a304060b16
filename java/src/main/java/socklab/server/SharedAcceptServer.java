package socklab.server;

import socklab.http.Handler;
import socklab.http.WorkerStats;
import socklab.sys.Epoll;

/**
 * {@code shared-accept}: N workers, each with its own epoll loop, take connections from one shared
 * listening socket and serve them themselves. {@code --accept} says how, and each way is one that
 * Cloudflare's "Why does one NGINX worker take all the load?" (2017) measured:
 * <ul>
 * <li>{@code blocking}: each worker has a thread blocked in accept4 ({@link BlockingAccepter}); the
 *     kernel wakes them in FIFO order, so connections go round the workers evenly.</li>
 * <li>{@code epoll}: every worker's epoll watches the socket, level-triggered; each connection wakes
 *     all of them (the thundering herd), one wins the accept and the rest get EAGAIN.</li>
 * <li>{@code exclusive}: EPOLLEXCLUSIVE (nginx's default since 1.11.3): one waiter is woken, the one
 *     that went to sleep last (LIFO), so the least busy worker takes nearly everything.</li>
 * <li>{@code mutex}: nginx's accept_mutex ({@link AcceptMutex}): only the holder watches the socket.</li>
 * </ul>
 * The notes' "Multiple Acceptor threads on a Single Socket" (nginx). One queue for all keeps latency
 * even, because a connection waits for whichever worker is free; the balance of connections depends on
 * the wake-up order.
 */
final class SharedAcceptServer extends Server {
    SharedAcceptServer(ServerConfig config) {
        super(config);
    }

    @Override
    protected void build(Handler handler) {
        AcceptMode mode = config.accept();
        int fd = listen(mode == AcceptMode.BLOCKING, false);
        AcceptMutex mutex = mode == AcceptMode.MUTEX ? new AcceptMutex() : null;
        for (int i = 0; i < config.workers(); i++) {
            WorkerStats worker = worker(Integer.toString(i), "worker");
            EventLoop loop = loop(worker, handler, null, "worker-" + i);
            switch (mode) {
                case BLOCKING -> accepter(fd, worker, loop);
                case EPOLL -> loop.acceptOn(fd, Epoll.EPOLLIN, null, null);
                case EXCLUSIVE -> loop.acceptOn(fd, Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, null, null);
                case MUTEX -> loop.acceptOn(fd, Epoll.EPOLLIN, mutex, null);
            }
        }
    }
}
