package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_POINTER;

/**
 * epoll(7) through FFM: epoll_create1, epoll_ctl, epoll_wait, epoll_pwait2.
 *
 * <p>The event array is owned by the loop that waits on it ({@link #allocateEvents}); epoll_wait and
 * the accessors allocate nothing. epoll_ctl uses a per-thread scratch event, so adding a connection
 * allocates nothing either.
 */
public final class Epoll {
    private Epoll() {}

    public static final int EPOLL_CLOEXEC = 02000000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLPRI = 0x002;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    /**
     * Wake one waiter, not all, when several epoll instances watch the same descriptor (Linux >= 4.5).
     * Only valid with EPOLL_CTL_ADD; EPOLL_CTL_MOD of such an entry fails with EINVAL.
     */
    public static final int EPOLLEXCLUSIVE = 1 << 28;
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLET = 1 << 31;

    /**
     * <pre>
     * typedef union epoll_data { void *ptr; int fd; uint32_t u32; uint64_t u64; } epoll_data_t;
     * struct epoll_event { uint32_t events; epoll_data_t data; } __EPOLL_PACKED;
     * </pre>
     * On x86-64 the struct is packed (12 bytes, data at offset 4) so that 32- and 64-bit ABIs agree;
     * on other architectures it has natural alignment (16 bytes, data at offset 8).
     */
    public static final StructLayout EPOLL_EVENT = "amd64".equals(System.getProperty("os.arch"))
            ? MemoryLayout.structLayout(
                    ValueLayout.JAVA_INT.withName("events"),
                    ValueLayout.JAVA_LONG_UNALIGNED.withName("data")).withName("epoll_event")
            : MemoryLayout.structLayout(
                    ValueLayout.JAVA_INT.withName("events"),
                    MemoryLayout.paddingLayout(4),
                    ValueLayout.JAVA_LONG.withName("data")).withName("epoll_event");
    private static final long EVENT_SIZE = EPOLL_EVENT.byteSize();

    /** <pre>struct timespec { time_t tv_sec; long tv_nsec; };</pre> (both 64-bit on LP64 Linux) */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"),
            ValueLayout.JAVA_LONG.withName("tv_nsec")).withName("timespec");
    private static final VarHandle TV_SEC = TIMESPEC.varHandle(groupElement("tv_sec"));
    private static final VarHandle TV_NSEC = TIMESPEC.varHandle(groupElement("tv_nsec"));
    private static final VarHandle EVENTS = EPOLL_EVENT.varHandle(groupElement("events"));
    private static final VarHandle DATA = EPOLL_EVENT.varHandle(groupElement("data"));

    private static final MethodHandle EPOLL_CREATE1 = Libc.withErrno("epoll_create1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle EPOLL_CTL =
            Libc.withErrno("epoll_ctl", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle EPOLL_WAIT =
            Libc.withErrno("epoll_wait", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT));

    private static final ThreadLocal<MemorySegment> SCRATCH_EVENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(EPOLL_EVENT));

    /** epoll_create1(2); pass EPOLL_CLOEXEC unless the instance must survive exec. */
    public static int create(int flags) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) EPOLL_CREATE1.invokeExact(state, flags);
            return Errors.check("epoll_create1", r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** This thread's scratch {@code struct epoll_event}, filled with {@code events} and {@code data}, for epoll_ctl. */
    static MemorySegment scratchEvent(int events, long data) {
        MemorySegment event = SCRATCH_EVENT.get();
        EVENTS.set(event, 0L, events);
        DATA.set(event, 0L, data);
        return event;
    }

    /** Raw epoll_ctl(2): 0 or {@code -errno}. */
    static int ctlRaw(int epfd, int op, int fd, int events, long data) {
        MemorySegment event = scratchEvent(events, data);
        MemorySegment state = Libc.callState();
        try {
            int r = (int) EPOLL_CTL.invokeExact(state, epfd, op, fd, event);
            return r >= 0 ? r : -Libc.errno(state);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * epoll_ctl's error policy, shared by every binding: a failure throws naming the op and the
     * descriptor, {@code epoll_ctl(DEL, fd 7): ENOENT (No such file or directory)}. An op other than
     * ADD, MOD or DEL reaches the kernel, which answers EINVAL.
     */
    static void checkCtl(int op, int fd, int result) {
        if (result < 0) {
            String name = switch (op) {
                case EPOLL_CTL_ADD -> "ADD";
                case EPOLL_CTL_MOD -> "MOD";
                case EPOLL_CTL_DEL -> "DEL";
                default -> "op " + op;
            };
            Errors.check("epoll_ctl", name + ", fd " + fd, result);
        }
    }

    /** Registers {@code fd} for {@code events} with {@code data} returned in its events (usually the fd). */
    public static void add(int epfd, int fd, int events, long data) {
        checkCtl(EPOLL_CTL_ADD, fd, ctlRaw(epfd, EPOLL_CTL_ADD, fd, events, data));
    }

    /** Changes the events of a registered descriptor. */
    public static void modify(int epfd, int fd, int events, long data) {
        checkCtl(EPOLL_CTL_MOD, fd, ctlRaw(epfd, EPOLL_CTL_MOD, fd, events, data));
    }

    /** Removes a registered descriptor (close(2) does this too once the last reference is gone). */
    public static void delete(int epfd, int fd) {
        checkCtl(EPOLL_CTL_DEL, fd, ctlRaw(epfd, EPOLL_CTL_DEL, fd, 0, 0L));
    }

    /** An event array for {@code maxEvents} events, owned by {@code arena}. */
    public static MemorySegment allocateEvents(Arena arena, int maxEvents) {
        return arena.allocate(EPOLL_EVENT, maxEvents);
    }

    /**
     * epoll_wait(2) into {@code events} (from {@link #allocateEvents}): the number of ready events,
     * 0 on timeout. {@code timeoutMillis} -1 waits for ever; EINTR is retried.
     */
    public static int wait(int epfd, MemorySegment events, int timeoutMillis) {
        int maxEvents = capacity(events);
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                int r = (int) EPOLL_WAIT.invokeExact(state, epfd, events, maxEvents, timeoutMillis);
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    throw Errors.of("epoll_wait", errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** Looked up on first use, so that a libc older than 2.35 fails only the callers of {@link #waitNanos}. */
    private static final class Pwait2 {
        static final MethodHandle HANDLE =
                Libc.withErrno("epoll_pwait2", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_POINTER, C_POINTER));
    }

    /**
     * epoll_pwait2(2) (Linux >= 5.11, glibc >= 2.35): as {@link #wait}, with a timeout in nanoseconds
     * instead of milliseconds, for loops that must wake at a planned instant (an open-loop schedule).
     * {@code timespec} is a caller-owned {@link #TIMESPEC} segment, so the call allocates nothing. The
     * kernel still adds the thread's timer slack (50 µs by default) to the wake-up. A kernel without
     * the call fails with ENOSYS, an older libc with an error naming the missing symbol.
     */
    public static int waitNanos(int epfd, MemorySegment events, MemorySegment timespec, long timeoutNanos) {
        int maxEvents = capacity(events);
        long nanos = Math.max(0, timeoutNanos);
        TV_SEC.set(timespec, 0L, nanos / 1_000_000_000L);
        TV_NSEC.set(timespec, 0L, nanos % 1_000_000_000L);
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                int r = (int) Pwait2.HANDLE.invokeExact(state, epfd, events, maxEvents, timespec, MemorySegment.NULL);
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    throw Errors.of("epoll_pwait2", errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** How many events fit in {@code events}: the maxevents passed to epoll_wait. */
    static int capacity(MemorySegment events) {
        return (int) (events.byteSize() / EVENT_SIZE);
    }

    /** The event mask of ready event {@code i}. */
    public static int events(MemorySegment events, int i) {
        return (int) EVENTS.get(events, i * EVENT_SIZE);
    }

    /** The data word of ready event {@code i}, as given to {@link #add}. */
    public static long data(MemorySegment events, int i) {
        return (long) DATA.get(events, i * EVENT_SIZE);
    }
}
