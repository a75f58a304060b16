package socklab.server;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

import socklab.sys.Binding;
import socklab.sys.Fd;

/**
 * An eventfd in an event loop's epoll set, by which other threads wake the loop: to hand it a
 * connection (memcached's notify), to return an answered request (RAMCloud's reply path), or to stop.
 *
 * <p>A producer first queues its item, then writes the eventfd only if no wake-up is pending already;
 * the loop reads the eventfd, clears the flag, and only then drains its queues, so an item queued
 * while a wake-up was pending is always seen. Under load most hand-offs cost no system call.
 * (memcached writes for every connection; it makes no difference to what the reader sees.)
 */
final class Wakeup {
    /** The 8-byte counter value 1, read-only and shared by every producer thread. */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_LONG);

    static {
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    private final Binding sys;
    private final int fd;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final MemorySegment counter;

    Wakeup(Binding sys, Arena arena) {
        this.sys = sys;
        this.fd = sys.eventfd(0, Fd.EFD_NONBLOCK | Fd.EFD_CLOEXEC);
        this.counter = arena.allocate(ValueLayout.JAVA_LONG);
    }

    int fd() {
        return fd;
    }

    /** Wakes the loop (any thread). */
    void signal() {
        if (!pending.get() && pending.compareAndSet(false, true)) {
            sys.write(fd, ONE); // 8 bytes, or -EAGAIN only if the counter were at 2^64-2: it is not
        }
    }

    /** Resets the eventfd (the loop's thread), before the loop drains what it was woken for. */
    void consume() {
        sys.read(fd, counter);
        pending.set(false);
    }

    void close() {
        sys.close(fd);
    }
}
