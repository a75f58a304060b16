package socklab.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain JDK NIO peer: what a Java server looks like without socklab's FFM layer or Netty. One
 * thread per worker, each with its own {@link Selector}; {@code single} is one such thread,
 * {@code reuseport} gives every thread its own listening channel with SO_REUSEPORT on the same port
 * (the kernel hashes each new connection to one of them), the shape of socklab's reuseport model and
 * of {@code cserver --mode reuseport}.
 *
 * <p>Per wake-up a listener accepts at most {@value #ACCEPT_BURST} connections, so a busy listener
 * cannot starve its loop's connections. Requests are answered from {@link CannedResponses}; pipelined
 * requests go out in one write; when the socket is full the loop stops reading that connection until
 * it drains (OP_WRITE). Connection buffers are direct and recycled by their loop.
 */
final class NioServer implements AutoCloseable {
    static final int ACCEPT_BURST = 64;
    private static final int HEAD_LIMIT = 8192;
    private static final int OUT_LIMIT = 65536;
    /** Room kept in the output buffer for one more response before a head is answered. */
    private static final int RESPONSE_ROOM = 512;

    private final List<Loop> loops = new ArrayList<>();
    private final InetSocketAddress address;

    private NioServer(String host, int port, boolean reuseport, int workers, int backlog) throws IOException {
        InetSocketAddress bind = new InetSocketAddress(host, port);
        for (int i = 0; i < workers; i++) {
            ServerSocketChannel listener = ServerSocketChannel.open();
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reuseport) {
                listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            listener.bind(bind, backlog);
            bind = (InetSocketAddress) listener.getLocalAddress(); // later sockets take the port the first got
            loops.add(new Loop(i, listener));
        }
        address = bind;
        for (Loop loop : loops) {
            loop.thread.start();
        }
    }

    /** Starts {@code workers} loops; {@code reuseport} false means exactly one. */
    static NioServer start(String host, int port, boolean reuseport, int workers, int backlog) throws IOException {
        if (!reuseport && workers != 1) {
            throw new IllegalArgumentException("--mode single has one worker; use --mode reuseport for more");
        }
        return new NioServer(host, port, reuseport, workers, backlog);
    }

    InetSocketAddress address() {
        return address;
    }

    /** Stops every loop and waits for it: listeners, connections and selectors closed. */
    @Override
    public void close() {
        for (Loop loop : loops) {
            loop.stopping = true;
            loop.selector.wakeup();
        }
        for (Loop loop : loops) {
            try {
                loop.thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static final class Loop implements Runnable {
        final Thread thread;
        final Selector selector;
        final ServerSocketChannel listener;
        final CannedResponses canned;
        final ArrayDeque<Connection> spare = new ArrayDeque<>();
        volatile boolean stopping;

        Loop(int id, ServerSocketChannel listener) throws IOException {
            this.listener = listener;
            this.canned = new CannedResponses(id);
            this.selector = Selector.open();
            listener.configureBlocking(false);
            listener.register(selector, SelectionKey.OP_ACCEPT);
            this.thread = new Thread(this, "nio-worker-" + id);
        }

        @Override
        public void run() {
            try (selector; listener) {
                while (!stopping) {
                    selector.select(this::ready);
                }
                for (SelectionKey key : selector.keys()) {
                    if (key.attachment() instanceof Connection c) {
                        c.channel.close();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("nio loop " + thread.getName(), e);
            }
        }

        private void ready(SelectionKey key) {
            try {
                if (key.attachment() instanceof Connection c) {
                    c.ready(key);
                } else {
                    acceptBurst();
                }
            } catch (IOException e) {
                if (key.attachment() instanceof Connection c) {
                    c.close(key); // the peer reset or vanished: nobody to answer
                } else {
                    System.err.println("nio: accept: " + e.getMessage()); // EMFILE and the like: the connection waits in the queue
                }
            }
        }

        private void acceptBurst() throws IOException {
            for (int i = 0; i < ACCEPT_BURST; i++) {
                SocketChannel channel = listener.accept();
                if (channel == null) {
                    return;
                }
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Connection c = spare.isEmpty() ? new Connection(this) : spare.pop();
                c.open(channel);
                channel.register(selector, SelectionKey.OP_READ, c);
            }
        }
    }

    private static final class Connection {
        final Loop loop;
        final ByteBuffer in = ByteBuffer.allocateDirect(HEAD_LIMIT);
        final ByteBuffer out = ByteBuffer.allocateDirect(OUT_LIMIT);
        SocketChannel channel;
        boolean closeAfterWrite;

        Connection(Loop loop) {
            this.loop = loop;
        }

        void open(SocketChannel channel) {
            this.channel = channel;
            in.clear();
            out.clear();
            closeAfterWrite = false;
        }

        void ready(SelectionKey key) throws IOException {
            if (key.isWritable()) {
                if (!flush(key)) {
                    return;
                }
                key.interestOps(SelectionKey.OP_READ);
            } else if (channel.read(in) < 0) {
                close(key);
                return;
            }
            answer();
            if (flush(key) && closeAfterWrite) {
                close(key);
            }
        }

        /** Answers every complete head in the input while the output has room; keeps the rest. */
        private void answer() {
            int start = 0;
            int limit = in.position();
            while (!closeAfterWrite && out.remaining() >= RESPONSE_ROOM) {
                int end = RequestHead.end(in, start, limit);
                if (end < 0) {
                    break;
                }
                CannedResponses.Status status = RequestHead.status(in, start, end);
                CannedResponses.ConnectionField field = status == CannedResponses.Status.METHOD_NOT_ALLOWED
                        ? CannedResponses.ConnectionField.CLOSE : RequestHead.connection(in, start, end);
                out.put(loop.canned.get(status, field));
                closeAfterWrite = field == CannedResponses.ConnectionField.CLOSE;
                start = end;
            }
            in.flip().position(start);
            in.compact();
            if (!in.hasRemaining() && !closeAfterWrite) { // a head that does not fit: answered, not left waiting
                out.put(loop.canned.get(CannedResponses.Status.HEAD_TOO_LARGE, CannedResponses.ConnectionField.CLOSE));
                closeAfterWrite = true;
            }
        }

        /** Writes what is buffered; false when the socket is full (then waits for OP_WRITE). */
        private boolean flush(SelectionKey key) throws IOException {
            out.flip();
            channel.write(out);
            boolean all = !out.hasRemaining();
            out.compact();
            if (!all) {
                key.interestOps(SelectionKey.OP_WRITE);
            }
            return all;
        }

        void close(SelectionKey key) {
            key.cancel();
            try {
                channel.close();
            } catch (IOException e) {
                // a close that fails still released the descriptor; nothing to tell the client
            }
            loop.spare.push(this);
        }
    }
}
