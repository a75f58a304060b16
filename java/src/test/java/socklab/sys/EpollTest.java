package socklab.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** epoll through the FFM layer: readiness of listeners, connections and eventfds. */
class EpollTest {

    @Test
    void reportsAListenerReadableOnceAConnectionIsQueued() {
        int listener = Loopback.listen(Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 8);
            Epoll.add(epfd, listener, Epoll.EPOLLIN, 1234L);
            assertEquals(0, Epoll.wait(epfd, events, 0), "nothing queued yet");

            int client = Loopback.connect(Sockets.localAddress(listener));
            assertEquals(1, Epoll.wait(epfd, events, 10_000), "the queued connection makes the listener readable");
            assertEquals(Epoll.EPOLLIN, Epoll.events(events, 0) & Epoll.EPOLLIN);
            assertEquals(1234L, Epoll.data(events, 0), "data word comes back unchanged");

            int server = Sockets.accept(listener, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
            assertTrue(server >= 0);
            Epoll.add(epfd, server, Epoll.EPOLLIN | Epoll.EPOLLRDHUP, ((long) server << 32) | 7L);
            assertEquals(0, Epoll.wait(epfd, events, 0), "accepted: listener no longer readable, no data yet");

            Loopback.writeAll(client, "x");
            assertEquals(1, Epoll.wait(epfd, events, 10_000));
            assertEquals(((long) server << 32) | 7L, Epoll.data(events, 0), "full 64-bit data word at the packed offset");

            Epoll.delete(epfd, server);
            NativeException e = assertThrows(NativeException.class, () -> Epoll.delete(epfd, server));
            assertEquals("epoll_ctl(DEL, fd " + server + "): ENOENT (No such file or directory)", e.getMessage());
            Fd.close(server);
            Fd.close(client);
        }
        Fd.close(epfd);
        Fd.close(listener);
    }

    @Test
    void exclusiveRegistrationOnASharedListenerDeliversTheConnection() {
        int listener = Loopback.listen(Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        int first = Epoll.create(Epoll.EPOLL_CLOEXEC);
        int second = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 4);
            Epoll.add(first, listener, Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, 1L);
            Epoll.add(second, listener, Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, 2L);

            int client = Loopback.connect(Sockets.localAddress(listener));
            assertEquals(1, Epoll.wait(first, events, 10_000));
            assertEquals(1L, Epoll.data(events, 0));
            int server = Sockets.accept(listener, Sockets.SOCK_CLOEXEC);
            assertTrue(server >= 0, "the connection is there to accept");

            // The kernel's documented limit: an exclusive entry cannot be modified.
            NativeException e = assertThrows(NativeException.class,
                    () -> Epoll.modify(first, listener, Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, 1L));
            assertEquals(Errno.EINVAL, e.errno());
            Fd.close(server);
            Fd.close(client);
        }
        Fd.close(second);
        Fd.close(first);
        Fd.close(listener);
    }

    @Test
    void eventfdWakesAnEpollLoop() {
        int efd = Fd.eventfd(0, Fd.EFD_NONBLOCK | Fd.EFD_CLOEXEC);
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 1);
            MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
            Epoll.add(epfd, efd, Epoll.EPOLLIN, efd);
            assertEquals(-Errno.EAGAIN, Fd.read(efd, counter), "an unsignalled eventfd has nothing to read");

            Thread waker = Thread.ofPlatform().start(() -> {
                try (Arena own = Arena.ofConfined()) {
                    MemorySegment one = own.allocate(ValueLayout.JAVA_LONG);
                    one.set(ValueLayout.JAVA_LONG, 0, 3L);
                    Fd.write(efd, one);
                }
            });
            assertEquals(1, Epoll.wait(epfd, events, 10_000));
            assertEquals(8, Fd.read(efd, counter));
            assertEquals(3L, counter.get(ValueLayout.JAVA_LONG, 0));
            waker.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        Fd.close(epfd);
        Fd.close(efd);
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
