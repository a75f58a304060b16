package socklab.bench.ffi;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import socklab.bench.BenchmarkBase;
import socklab.sys.Epoll;
import socklab.sys.Fd;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * Row 4: epoll_wait(2) with timeout 0 on an epoll instance watching one descriptor that is always
 * ready (an AF_UNIX socket with one unread byte, level-triggered), with room for 16 events as an event
 * loop would have: one ready event per call. java.nio's equivalent is Selector.selectNow with an action
 * per ready key, which is what its event loops call.
 */
public class EpollWaitBenchmark extends BenchmarkBase {
    private static final int MAX_EVENTS = 16;

    private Arena arena;
    private MemorySegment events;
    private int[] ready;
    private int epfd;

    @Setup(Level.Trial)
    public void open() {
        arena = Arena.ofConfined();
        events = Epoll.allocateEvents(arena, MAX_EVENTS);
        ready = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        Fd.write(ready[0], arena.allocate(1));
        epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        Epoll.add(epfd, ready[1], Epoll.EPOLLIN, ready[1]);
    }

    @TearDown(Level.Trial)
    public void close() {
        Fd.close(epfd);
        Fd.close(ready[0]);
        Fd.close(ready[1]);
        arena.close();
    }

    @Benchmark
    public long binding(BindingState state, Failures failures) {
        return failures.expect(1, state.calls.epollWait(epfd, events, 0));
    }

    @Benchmark
    public long ffmCritical(Failures failures) {
        return failures.expect(1, CriticalFfm.epollWait(epfd, events, MAX_EVENTS));
    }

    @Benchmark
    public long nio(NioSelector nio, Failures failures) throws IOException {
        return failures.expect(1, nio.selector.selectNow(NioSelector.NOTHING));
    }

    @State(Scope.Thread)
    public static class NioSelector {
        /** The action per ready key: none, as the binding rows do nothing with the event either. */
        static final Consumer<SelectionKey> NOTHING = key -> { };

        NioPair pair;
        Selector selector;

        @Setup(Level.Trial)
        public void open() throws IOException {
            pair = new NioPair();
            pair.first.write(ByteBuffer.wrap(new byte[1]));
            selector = Selector.open();
            pair.second.register(selector, SelectionKey.OP_READ);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            selector.close();
            pair.close();
        }
    }
}
