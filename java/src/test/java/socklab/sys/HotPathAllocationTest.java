package socklab.sys;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot-path calls (read, write, epoll_wait, epoll_pwait2, a non-blocking accept) allocate nothing on the Java
 * heap per call once compiled, in every binding, measured with the JVM's per-thread allocation counter.
 *
 * <p>The interpreter and C1 do allocate (boxing inside the linker's adapters) until C2 has compiled
 * the loop, and when that happens depends on the background compiler. So the test does not guess a
 * warm-up length: it runs rounds until one round is allocation-free, and fails only if none of
 * {@value #MAX_ROUNDS} rounds (millions of calls, far beyond C2's thresholds) gets there.
 */
class HotPathAllocationTest {
    private static final int CALLS = 50_000;
    private static final int MAX_ROUNDS = 60;

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void readWriteEpollWaitAndAcceptAllocateNothingPerCall(Binding binding) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] pair = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        int listener = Loopback.listen(binding, Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        int epfd = binding.epollCreate(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            MemorySegment events = Epoll.allocateEvents(arena, 4);
            MemorySegment timespec = arena.allocate(Epoll.TIMESPEC);
            binding.epollCtl(epfd, Epoll.EPOLL_CTL_ADD, pair[1], Epoll.EPOLLIN, pair[1]);

            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < MAX_ROUNDS && allocated >= CALLS; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                loop(binding, pair, listener, epfd, buf, events, timespec, CALLS);
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

    private static void loop(Binding binding, int[] pair, int listener, int epfd, MemorySegment buf, MemorySegment events,
                             MemorySegment timespec, int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(64, binding.write(pair[0], buf));
            assertEquals(1, binding.epollWait(epfd, events, 1000));
            assertEquals(64, binding.read(pair[1], buf));
            assertEquals(0, Epoll.waitNanos(epfd, events, timespec, 0)); // FFM only: not in the Binding interface
            assertEquals(-Errno.EAGAIN, binding.accept(listener, Sockets.SOCK_CLOEXEC));
        }
    }
}
