package socklab.server;

import socklab.http.Handler;
import socklab.sys.Epoll;

/**
 * {@code single}: one thread listens, accepts, reads, handles and writes, all in one epoll loop.
 *
 * <p>The notes' "Single Listener / Single Worker Thread", which is Node's event loop (libuv's epoll loop
 * with the listening socket in it). Nothing is handed between threads, so nothing is paid for hand-offs;
 * but a handler that burns CPU ({@code /work}) or blocks ({@code /sleep}) stops every connection, and
 * while the thread is busy new connections wait in the kernel's accept queue (watch Recv-Q in
 * {@code ss -ltn}). Node scales this by running one such process per core (its cluster module).
 * Accepting takes one connection per readiness report, as Node, memcached and nginx (without
 * multi_accept) do; the level-triggered listener reports again while the queue is not empty.
 */
final class SingleServer extends Server {
    SingleServer(ServerConfig config) {
        super(config);
    }

    @Override
    protected void build(Handler handler) {
        int fd = listen(false, false);
        loop(worker("0", "worker"), handler, null, "worker-0").acceptOn(fd, Epoll.EPOLLIN, null, null);
    }
}
