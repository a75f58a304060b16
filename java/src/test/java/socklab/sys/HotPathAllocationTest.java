package socklab.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot-path calls (read, write, epoll_wait, a non-blocking accept) allocate nothing on the Java
 * heap per call, measured with the JVM's per-thread allocation counter.
 */
class HotPathAllocationTest {
    private static final int CALLS = 200_000;

    @Test
    void readWriteEpollWaitAndAcceptAllocateNothingPerCall() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] pair = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        int listener = Loopback.listen(Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            MemorySegment events = Epoll.allocateEvents(arena, 4);
            Epoll.add(epfd, pair[1], Epoll.EPOLLIN, pair[1]);

            loop(pair, listener, epfd, buf, events, 20_000); // warm-up: class init, thread-locals, JIT
            long before = threads.getCurrentThreadAllocatedBytes();
            loop(pair, listener, epfd, buf, events, CALLS);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // Zero per call: anything under one byte per iteration is a one-off (a deoptimisation, a
            // TLAB refill record), not a per-call object (the smallest object is 16 bytes).
            assertTrue(allocated < CALLS, allocated + " bytes allocated over " + CALLS + " iterations");
        } finally {
            Fd.close(epfd);
            Fd.close(listener);
            Fd.close(pair[0]);
            Fd.close(pair[1]);
        }
    }

    private static void loop(int[] pair, int listener, int epfd, MemorySegment buf, MemorySegment events, int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(64, Fd.write(pair[0], buf));
            assertEquals(1, Epoll.wait(epfd, events, 1000));
            assertEquals(64, Fd.read(pair[1], buf));
            assertEquals(-Errno.EAGAIN, Sockets.accept(listener, Sockets.SOCK_CLOEXEC));
        }
    }
}
