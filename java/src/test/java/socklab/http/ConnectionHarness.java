package socklab.http;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import socklab.sys.Binding;
import socklab.sys.Epoll;
import socklab.sys.Errno;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

/**
 * The server's connection state machine ({@link HttpConnection}: input buffer, parser, handler,
 * encoder, lingering close) on one end of an AF_UNIX socketpair, without an event loop: the harness
 * plays the client at the other end and the loop at this one. It writes the client's bytes (whole, or
 * in pieces), then its end of stream, and calls the connection with the events epoll would report
 * until the connection closes, collecting everything it sends. This is what lets the fuzzer push a
 * hundred thousand inputs through the real code in seconds, with no TCP, no timers firing (no time
 * passes for the connection: a request it would wait for ends at the client's end of stream) and no
 * scheduler in the way.
 *
 * <p>One harness serves input after input with one connection object and its buffers, as a loop
 * reuses them. Not thread-safe.
 */
public final class ConnectionHarness implements ConnectionHost, AutoCloseable {
    private static final int ALL_EVENTS = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP;
    /** Calls without progress after which a connection counts as stuck (it would wait for a timeout). */
    private static final int MAX_IDLE_ROUNDS = 3;

    private final Binding sys = Binding.byName("ffm");
    private final HttpLimits limits;
    private final Handler handler;
    private final ConnectionTimers timers;
    private final WorkerStats io = new WorkerStats("fuzz", "worker");
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment chunk = arena.allocate(64 * 1024);
    private final HttpConnection connection;
    private boolean closed;

    /** What the client received for one input, and whether the connection closed by itself. */
    public record Exchange(byte[] output, boolean closed) {}

    public ConnectionHarness(HttpLimits limits, Handler handler) {
        this.limits = limits;
        this.handler = handler;
        this.timers = new ConnectionTimers(limits);
        this.connection = new HttpConnection(this, arena.allocate(limits.inputCapacity()), arena.allocate(16 * 1024));
    }

    /** Sends {@code input} in one write, then the end of stream. */
    public Exchange run(byte[] input) {
        return run(input, new int[] {input.length});
    }

    /**
     * Sends {@code input} in pieces of the given sizes (the last piece takes what is left), letting the
     * connection read after each, then the end of stream.
     */
    public Exchange run(byte[] input, int[] pieces) {
        int[] pair = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        int server = pair[0];
        int client = pair[1];
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try {
            closed = false;
            connection.open(server, 1);
            int at = 0;
            for (int i = 0; i < pieces.length && at < input.length && !closed; i++) {
                int n = i == pieces.length - 1 ? input.length - at : Math.min(pieces[i], input.length - at);
                writeAll(client, input, at, n, received);
                at += n;
                drive(client, received, Epoll.EPOLLIN | Epoll.EPOLLOUT);
            }
            sys.shutdown(client, Sockets.SHUT_WR);
            int idle = 0;
            while (!closed && idle < MAX_IDLE_ROUNDS) {
                idle = drive(client, received, ALL_EVENTS) ? 0 : idle + 1;
            }
            drain(client, received);
            boolean closedByItself = closed;
            if (!closedByItself) {
                connection.abort(); // stuck: it would have waited for a timeout; the caller sees closed == false
            }
            return new Exchange(received.toByteArray(), closedByItself);
        } finally {
            sys.close(client);
        }
    }

    /** One event for the connection, then whatever it sent; true when the client got bytes or the connection closed. */
    private boolean drive(int client, ByteArrayOutputStream received, int events) {
        if (closed) {
            return false;
        }
        int before = received.size();
        connection.onEvent(events);
        drain(client, received);
        return closed || received.size() > before;
    }

    /** Writes input, reading the server's output whenever the socket is full (it may be answering pipelined requests). */
    private void writeAll(int client, byte[] input, int from, int length, ByteArrayOutputStream received) {
        int at = from;
        while (at < from + length && !closed) {
            int n = Math.min(from + length - at, (int) chunk.byteSize());
            MemorySegment.copy(input, at, chunk, ValueLayout.JAVA_BYTE, 0, n);
            long w = sys.write(client, chunk.asSlice(0, n));
            if (w == -Errno.EAGAIN) {
                drive(client, received, Epoll.EPOLLIN | Epoll.EPOLLOUT);
            } else {
                at += (int) w;
            }
        }
    }

    private void drain(int client, ByteArrayOutputStream received) {
        while (true) {
            long n = sys.read(client, chunk);
            if (n <= 0) {
                return; // -EAGAIN, or 0 once the connection has closed
            }
            received.write(chunk.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, (int) n);
        }
    }

    @Override
    public void close() {
        arena.close();
    }

    // ConnectionHost: the harness is the loop.

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
        return System.nanoTime();
    }

    @Override
    public WorkerStats io() {
        return io;
    }

    @Override
    public boolean stopping() {
        return false;
    }

    @Override
    public boolean dispatch(HttpConnection c) {
        c.handle(io, handler);
        return true;
    }

    @Override
    public void closed(HttpConnection c) {
        closed = true;
    }
}
