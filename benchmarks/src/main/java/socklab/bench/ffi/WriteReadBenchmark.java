package socklab.bench.ffi;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import socklab.bench.BenchmarkBase;
import socklab.sys.Fd;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Row 3: a 64-byte write(2) into one end of a non-blocking AF_UNIX socketpair and the read(2) of those
 * 64 bytes from the other end: two calls that move data, the core of a request/response. Reported per
 * round trip (two calls).
 */
public class WriteReadBenchmark extends BenchmarkBase {
    private static final int BUFFER_BYTES = 64;

    private Arena arena;
    private MemorySegment buf;
    private int[] pair;

    @Setup(Level.Trial)
    public void open() {
        arena = Arena.ofConfined();
        buf = arena.allocate(BUFFER_BYTES);
        pair = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
    }

    @TearDown(Level.Trial)
    public void close() {
        Fd.close(pair[0]);
        Fd.close(pair[1]);
        arena.close();
    }

    @Benchmark
    public long binding(BindingState state, Failures failures) {
        failures.expect(BUFFER_BYTES, state.calls.write(pair[0], buf));
        return failures.expect(BUFFER_BYTES, state.calls.read(pair[1], buf));
    }

    @Benchmark
    public long ffmCritical(Failures failures) {
        failures.expect(BUFFER_BYTES, CriticalFfm.write(pair[0], buf));
        return failures.expect(BUFFER_BYTES, CriticalFfm.read(pair[1], buf));
    }

    @Benchmark
    public long nio(NioChannels nio, Failures failures) throws IOException {
        nio.buffer.clear();
        failures.expect(BUFFER_BYTES, nio.pair.first.write(nio.buffer));
        nio.buffer.clear();
        return failures.expect(BUFFER_BYTES, nio.pair.second.read(nio.buffer));
    }

    @State(Scope.Thread)
    public static class NioChannels {
        NioPair pair;
        final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);

        @Setup(Level.Trial)
        public void open() throws IOException {
            pair = new NioPair();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            pair.close();
        }
    }
}
