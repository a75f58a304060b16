package socklab.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot-path calls (read, write, epoll_wait, epoll_pwait2, a non-blocking accept) allocate nothing on the Java
 * heap per call once compiled, measured with the JVM's per-thread allocation counter.
 *
 * <p>The interpreter and C1 do allocate (boxing inside the linker's adapters) until C2 has compiled
 * the loop, and when that happens depends on the background compiler. So the test does not guess a
 * warm-up length: it runs rounds until one round is allocation-free, and fails only if none of
 * {@value #MAX_ROUNDS} rounds (millions of calls, far beyond C2's thresholds) gets there.
 */
class HotPathAllocationTest {
    private static final int CALLS = 50_000;
    private static final int MAX_ROUNDS = 60;

    @Test
    void readWriteEpollWaitAndAcceptAllocateNothingPerCall() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] pair = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        int listener = Loopback.listen(Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            MemorySegment events = Epoll.allocateEvents(arena, 4);
            MemorySegment timespec = arena.allocate(Epoll.TIMESPEC);
            Epoll.add(epfd, pair[1], Epoll.EPOLLIN, pair[1]);

            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < MAX_ROUNDS && allocated >= CALLS; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                loop(pair, listener, epfd, buf, events, timespec, CALLS);
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            // Zero per call: anything under one byte per iteration is a one-off (a deoptimisation, a
            // TLAB refill record), not a per-call object (the smallest object is 16 bytes).
            assertTrue(allocated < CALLS, allocated + " bytes allocated over " + CALLS + " iterations, even after "
                    + MAX_ROUNDS + " rounds of warm-up");
        } finally {
            Fd.close(epfd);
            Fd.close(listener);
            Fd.close(pair[0]);
            Fd.close(pair[1]);
        }
    }

    private static void loop(int[] pair, int listener, int epfd, MemorySegment buf, MemorySegment events,
                             MemorySegment timespec, int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(64, Fd.write(pair[0], buf));
            assertEquals(1, Epoll.wait(epfd, events, 1000));
            assertEquals(64, Fd.read(pair[1], buf));
            assertEquals(0, Epoll.waitNanos(epfd, events, timespec, 0));
            assertEquals(-Errno.EAGAIN, Sockets.accept(listener, Sockets.SOCK_CLOEXEC));
        }
    }
}
