package socklab.bench.ffi;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import socklab.bench.BenchmarkBase;
import socklab.sys.Errno;
import socklab.sys.Fd;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Row 2: recv(2) of up to 64 bytes on a connected, non-blocking loopback TCP socket that nobody writes
 * to: the EAGAIN path every event loop takes when a readiness notification was spurious or the socket
 * is drained. The failure path is the point: through FFM and jnr it is where errno is captured and read
 * back; the critical FFM variant captures nothing, so it returns -1 without knowing why.
 */
public class RecvEagainBenchmark extends BenchmarkBase {
    private static final int BUFFER_BYTES = 64;

    private Arena arena;
    private MemorySegment buf;
    private int listener;
    private int empty;
    private int peer;

    @Setup(Level.Trial)
    public void connect() {
        arena = Arena.ofConfined();
        buf = arena.allocate(BUFFER_BYTES);
        listener = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4, Sockets.SOCK_CLOEXEC);
        empty = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        Sockets.connect(empty, Sockets.localAddress(listener));
        peer = Sockets.accept(listener, Sockets.SOCK_CLOEXEC);
        Fd.setNonBlocking(empty, true);
    }

    @TearDown(Level.Trial)
    public void close() {
        Fd.close(peer);
        Fd.close(empty);
        Fd.close(listener);
        arena.close();
    }

    @Benchmark
    public long binding(BindingState state, Failures failures) {
        return failures.expect(-Errno.EAGAIN, state.calls.recv(empty, buf, 0));
    }

    @Benchmark
    public long ffmCritical(Failures failures) {
        return failures.expect(-1, CriticalFfm.recv(empty, buf, 0));
    }

    @Benchmark
    public long nio(NioSocket nio, Failures failures) throws IOException {
        return failures.expect(0, nio.channel.read(nio.buffer));
    }

    /** The same connection through java.nio: a non-blocking SocketChannel whose read returns 0 on EAGAIN. */
    @State(Scope.Thread)
    public static class NioSocket {
        ServerSocketChannel server;
        SocketChannel channel;
        SocketChannel peer;
        final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);

        @Setup(Level.Trial)
        public void connect() throws IOException {
            server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            channel = SocketChannel.open(server.getLocalAddress());
            peer = server.accept();
            channel.configureBlocking(false);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            peer.close();
            channel.close();
            server.close();
        }
    }
}
