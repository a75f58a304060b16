package socklab.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** epoll through every binding: readiness of listeners, connections and eventfds. */
class EpollTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void reportsAListenerReadableOnceAConnectionIsQueued(Binding binding) {
        int listener = Loopback.listen(binding, Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        int epfd = binding.epollCreate(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 8);
            binding.epollCtl(epfd, Epoll.EPOLL_CTL_ADD, listener, Epoll.EPOLLIN, 1234L);
            assertEquals(0, binding.epollWait(epfd, events, 0), "nothing queued yet");

            int client = Loopback.connect(binding, Sockets.localAddress(listener));
            assertEquals(1, binding.epollWait(epfd, events, 10_000), "the queued connection makes the listener readable");
            assertEquals(Epoll.EPOLLIN, Epoll.events(events, 0) & Epoll.EPOLLIN);
            assertEquals(1234L, Epoll.data(events, 0), "data word comes back unchanged");

            int server = binding.accept(listener, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
            assertTrue(server >= 0);
            binding.epollCtl(epfd, Epoll.EPOLL_CTL_ADD, server, Epoll.EPOLLIN | Epoll.EPOLLRDHUP, ((long) server << 32) | 7L);
            assertEquals(0, binding.epollWait(epfd, events, 0), "accepted: listener no longer readable, no data yet");

            Loopback.writeAll(binding, client, "x");
            assertEquals(1, binding.epollWait(epfd, events, 10_000));
            assertEquals(((long) server << 32) | 7L, Epoll.data(events, 0), "full 64-bit data word at the packed offset");

            binding.epollCtl(epfd, Epoll.EPOLL_CTL_DEL, server, 0, 0L);
            NativeException e = assertThrows(NativeException.class, () -> binding.epollCtl(epfd, Epoll.EPOLL_CTL_DEL, server, 0, 0L));
            assertEquals("epoll_ctl(DEL, fd " + server + "): ENOENT (No such file or directory)", e.getMessage());
            binding.close(server);
            binding.close(client);
        }
        binding.close(epfd);
        binding.close(listener);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void exclusiveRegistrationOnASharedListenerDeliversTheConnection(Binding binding) {
        int listener = Loopback.listen(binding, Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        int first = binding.epollCreate(Epoll.EPOLL_CLOEXEC);
        int second = binding.epollCreate(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 4);
            binding.epollCtl(first, Epoll.EPOLL_CTL_ADD, listener, Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, 1L);
            binding.epollCtl(second, Epoll.EPOLL_CTL_ADD, listener, Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, 2L);

            int client = Loopback.connect(binding, Sockets.localAddress(listener));
            assertEquals(1, binding.epollWait(first, events, 10_000));
            assertEquals(1L, Epoll.data(events, 0));
            int server = binding.accept(listener, Sockets.SOCK_CLOEXEC);
            assertTrue(server >= 0, "the connection is there to accept");

            // The kernel's documented limit: an exclusive entry cannot be modified.
            NativeException e = assertThrows(NativeException.class,
                    () -> binding.epollCtl(first, Epoll.EPOLL_CTL_MOD, listener, Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, 1L));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("epoll_ctl(MOD, fd " + listener + "): EINVAL (Invalid argument)", e.getMessage());
            binding.close(server);
            binding.close(client);
        }
        binding.close(second);
        binding.close(first);
        binding.close(listener);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void eventfdWakesAnEpollLoop(Binding binding) {
        int efd = binding.eventfd(0, Fd.EFD_NONBLOCK | Fd.EFD_CLOEXEC);
        int epfd = binding.epollCreate(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 1);
            MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
            binding.epollCtl(epfd, Epoll.EPOLL_CTL_ADD, efd, Epoll.EPOLLIN, efd);
            assertEquals(-Errno.EAGAIN, binding.read(efd, counter), "an unsignalled eventfd has nothing to read");

            Thread waker = Thread.ofPlatform().start(() -> {
                try (Arena own = Arena.ofConfined()) {
                    MemorySegment one = own.allocate(ValueLayout.JAVA_LONG);
                    one.set(ValueLayout.JAVA_LONG, 0, 3L);
                    binding.write(efd, one);
                }
            });
            assertEquals(1, binding.epollWait(epfd, events, 10_000));
            assertEquals(8, binding.read(efd, counter));
            assertEquals(3L, counter.get(ValueLayout.JAVA_LONG, 0));
            waker.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        binding.close(epfd);
        binding.close(efd);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void anUnknownCtlOpIsTheKernelsEinvalNamingTheOp(Binding binding) {
        int epfd = binding.epollCreate(Epoll.EPOLL_CLOEXEC);
        int efd = binding.eventfd(0, Fd.EFD_CLOEXEC);
        NativeException e = assertThrows(NativeException.class, () -> binding.epollCtl(epfd, 99, efd, Epoll.EPOLLIN, 0L));
        assertEquals("epoll_ctl(op 99, fd " + efd + "): EINVAL (Invalid argument)", e.getMessage());
        binding.close(efd);
        binding.close(epfd);
    }

    @Test
    void nanosecondWaitTimesOutNoEarlierThanAskedAndReportsReadiness() {
        int efd = Fd.eventfd(0, Fd.EFD_NONBLOCK | Fd.EFD_CLOEXEC);
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 1);
            MemorySegment timespec = arena.allocate(Epoll.TIMESPEC);
            Epoll.add(epfd, efd, Epoll.EPOLLIN, 42L);
            long before = System.nanoTime();
            assertEquals(0, Epoll.waitNanos(epfd, events, timespec, 1_500_000_000L / 100)); // 15 ms
            // The kernel never wakes before the timeout; how much later is the scheduler's business.
            assertTrue(System.nanoTime() - before >= 15_000_000L, "woke early");
            assertEquals(0, Epoll.waitNanos(epfd, events, timespec, -5), "a past deadline polls");

            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Fd.write(efd, one);
            assertEquals(1, Epoll.waitNanos(epfd, events, timespec, 10_000_000_000L));
            assertEquals(42L, Epoll.data(events, 0));
        }
        Fd.close(epfd);
        Fd.close(efd);
    }
}
