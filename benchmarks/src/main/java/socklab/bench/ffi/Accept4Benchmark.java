package socklab.bench.ffi;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import socklab.bench.BenchmarkBase;
import socklab.sys.Fd;
import socklab.sys.SockAddr;
import socklab.sys.SocketOptions;
import socklab.sys.Sockets;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Row 5: accept4(2) on a non-blocking loopback listener whose accept queue already holds the
 * connection, so that only the accept is measured, not the handshake.
 *
 * <p>How the set-up stays outside the measurement: JMH can run set-up before every invocation
 * ({@code Level.Invocation}) but then times each invocation alone, which costs two timer reads (tens
 * of ns) per invocation. So each invocation accepts a batch of {@value #BATCH} connections
 * ({@code @OperationsPerInvocation}), and its set-up connects {@value #BATCH} clients and waits until
 * the kernel shows all of them queued (TCP_INFO tcpi_unacked on the listener, bounded to one second);
 * the timer overhead is then below 1 ns per accept. The tear-down closes the clients with SO_LINGER 0
 * (an RST: no TIME_WAIT piles up over the hundreds of thousands of connections a run makes) and the
 * accepted descriptors. native/cfloor does exactly the same for the C floor.
 */
public class Accept4Benchmark extends BenchmarkBase {
    static final int BATCH = 64;
    private static final long QUEUE_WAIT_NANOS = 1_000_000_000L;

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void binding(BindingState state, Listener listener, Failures failures) {
        for (int i = 0; i < BATCH; i++) {
            int fd = state.calls.accept(listener.fd, Sockets.SOCK_CLOEXEC);
            listener.accepted[i] = fd;
            if (fd < 0) {
                failures.failures++;
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void nio(NioListener listener, Failures failures) throws IOException {
        for (int i = 0; i < BATCH; i++) {
            SocketChannel channel = listener.server.accept();
            listener.accepted[i] = channel;
            if (channel == null) {
                failures.failures++;
            }
        }
    }

    /** Connects {@value #BATCH} blocking clients to {@code address}. */
    static void connectBatch(InetSocketAddress address, int[] clients) {
        for (int i = 0; i < BATCH; i++) {
            clients[i] = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
            Sockets.connect(clients[i], address);
        }
    }

    /** Closes the clients with an RST, so that no TIME_WAIT is left behind. */
    static void resetBatch(int[] clients) {
        for (int client : clients) {
            SocketOptions.setLinger(client, true, 0);
            Fd.close(client);
        }
    }

    /** A socklab listener (FFM set-up) and the batch of connections queued on it for one invocation. */
    @State(Scope.Thread)
    public static class Listener {
        int fd;
        InetSocketAddress address;
        final int[] clients = new int[BATCH];
        final int[] accepted = new int[BATCH];

        @Setup(Level.Trial)
        public void listen() {
            fd = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2 * BATCH,
                    Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
            address = Sockets.localAddress(fd);
        }

        @Setup(Level.Invocation)
        public void queueBatch() {
            connectBatch(address, clients);
            long deadline = System.nanoTime() + QUEUE_WAIT_NANOS;
            while (SocketOptions.tcpInfo(fd).unacked() < BATCH && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }

        @TearDown(Level.Invocation)
        public void closeBatch() {
            resetBatch(clients);
            for (int i = 0; i < BATCH; i++) {
                if (accepted[i] >= 0) {
                    Fd.close(accepted[i]);
                }
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            Fd.close(fd);
        }
    }

    /**
     * The same through java.nio: a non-blocking ServerSocketChannel. nio hides the listener's
     * descriptor, so TCP_INFO cannot be read: the batch is not waited for. On loopback the handshake's
     * last ACK is processed before connect returns, so the queue is full anyway; an accept that finds it
     * empty is counted as a failure and shown in the table.
     */
    @State(Scope.Thread)
    public static class NioListener {
        ServerSocketChannel server;
        InetSocketAddress address;
        final int[] clients = new int[BATCH];
        final SocketChannel[] accepted = new SocketChannel[BATCH];

        @Setup(Level.Trial)
        public void listen() throws IOException {
            server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2 * BATCH);
            server.configureBlocking(false);
            address = (InetSocketAddress) server.getLocalAddress();
        }

        @Setup(Level.Invocation)
        public void queueBatch() {
            connectBatch(address, clients);
        }

        @TearDown(Level.Invocation)
        public void closeBatch() throws IOException {
            resetBatch(clients);
            for (SocketChannel channel : accepted) {
                if (channel != null) {
                    channel.close();
                }
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            server.close();
        }
    }
}
