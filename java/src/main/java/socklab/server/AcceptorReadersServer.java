package socklab.server;

import socklab.http.Handler;
import socklab.sys.Epoll;

/**
 * {@code acceptor-readers}: one acceptor thread; N reader threads, each with its own epoll loop, that
 * read, handle and write the connections handed to them.
 *
 * <p>The notes' "Single Listener / Multiple Worker Threads", which is memcached (thread.c): the listener
 * thread accepts, and dispatch_conn_new() picks the next worker round-robin, pushes the connection on
 * that worker's queue and wakes it through an eventfd (or a pipe byte); the worker registers the
 * connection in its own event loop and owns it until it closes. The acceptor here does exactly that
 * with {@link EventLoop#handOff} ({@link Wakeup}: queue plus eventfd). Round-robin balances connections,
 * not work: a reader given the heavy connections stays busy while another idles, the imbalance the notes
 * point out. In /stats the acceptor counts what it accepted, the readers what they were handed.
 */
final class AcceptorReadersServer extends Server {
    AcceptorReadersServer(ServerConfig config) {
        super(config);
    }

    @Override
    protected void build(Handler handler) {
        int fd = listen(false, false);
        EventLoop acceptor = loop(worker("acceptor", "acceptor"), handler, null, "acceptor");
        EventLoop[] readers = new EventLoop[config.workers()];
        for (int i = 0; i < readers.length; i++) {
            readers[i] = loop(worker(Integer.toString(i), "reader"), handler, null, "reader-" + i);
        }
        int[] next = {0}; // touched only by the acceptor's thread
        acceptor.acceptOn(fd, Epoll.EPOLLIN, null, conn -> {
            readers[next[0]].handOff(conn);
            next[0] = (next[0] + 1) % readers.length; // memcached: last_thread = (last_thread + 1) % num_threads
        });
    }
}
