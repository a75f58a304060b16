package socklab.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_LONG;
import static socklab.sys.Libc.C_POINTER;
import static socklab.sys.Libc.C_SIZE_T;
import static socklab.sys.Libc.C_SSIZE_T;

/**
 * Descriptor I/O through FFM: read(2), write(2), recv(2), send(2), close(2), fcntl(2), poll(2),
 * eventfd(2), memfd_create(2), isatty(3).
 *
 * <p>read/write/recv/send are hot: they take a caller-owned native segment and transfer up to its
 * size, allocate nothing, retry EINTR, and return {@code -EAGAIN} as a value on a non-blocking
 * descriptor. Any other failure (ECONNRESET, EPIPE, EBADF, …) throws a {@link NativeException}.
 */
public final class Fd {
    private Fd() {}

    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;
    public static final int O_RDONLY = 0;
    public static final int O_NONBLOCK = 04000;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int EFD_CLOEXEC = 02000000;
    public static final int EFD_NONBLOCK = 04000;
    public static final int MFD_CLOEXEC = 1;
    public static final int POLLIN = 0x001;
    public static final int POLLOUT = 0x004;
    public static final int POLLERR = 0x008;
    public static final int POLLHUP = 0x010;

    /**
     * <pre>
     * struct pollfd { int fd; short events; short revents; };
     * </pre>
     */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("fd"),
            ValueLayout.JAVA_SHORT.withName("events"),
            ValueLayout.JAVA_SHORT.withName("revents")).withName("pollfd");
    private static final VarHandle POLL_FD = POLLFD.varHandle(groupElement("fd"));
    private static final VarHandle POLL_EVENTS = POLLFD.varHandle(groupElement("events"));
    private static final VarHandle POLL_REVENTS = POLLFD.varHandle(groupElement("revents"));

    private static final MethodHandle READ = Libc.withErrno("read", FunctionDescriptor.of(C_SSIZE_T, C_INT, C_POINTER, C_SIZE_T));
    private static final MethodHandle WRITE = Libc.withErrno("write", FunctionDescriptor.of(C_SSIZE_T, C_INT, C_POINTER, C_SIZE_T));
    private static final MethodHandle RECV =
            Libc.withErrno("recv", FunctionDescriptor.of(C_SSIZE_T, C_INT, C_POINTER, C_SIZE_T, C_INT));
    private static final MethodHandle SEND =
            Libc.withErrno("send", FunctionDescriptor.of(C_SSIZE_T, C_INT, C_POINTER, C_SIZE_T, C_INT));
    private static final MethodHandle CLOSE = Libc.withErrno("close", FunctionDescriptor.of(C_INT, C_INT));
    // fcntl is variadic: int fcntl(int fd, int cmd, ...); the int argument is the first variadic one.
    private static final MethodHandle FCNTL = Libc.withErrno("fcntl",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = Libc.withErrno("poll", FunctionDescriptor.of(C_INT, C_POINTER, C_LONG, C_INT));
    private static final MethodHandle EVENTFD = Libc.withErrno("eventfd", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle MEMFD_CREATE = Libc.withErrno("memfd_create", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    // isatty's only failures (ENOTTY, EBADF) both mean "not a terminal", so errno is not captured.
    private static final MethodHandle ISATTY = Libc.plain("isatty", FunctionDescriptor.of(C_INT, C_INT));

    /** read(2) into all of {@code buf}: bytes read (0 at end of stream), or {@code -EAGAIN}. */
    public static long read(int fd, MemorySegment buf) {
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                long r = (long) READ.invokeExact(state, fd, buf, buf.byteSize());
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    return Errors.checkAgain("read", (long) -errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** write(2) from all of {@code buf}: bytes written (maybe fewer), or {@code -EAGAIN}. */
    public static long write(int fd, MemorySegment buf) {
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                long r = (long) WRITE.invokeExact(state, fd, buf, buf.byteSize());
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    return Errors.checkAgain("write", (long) -errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** recv(2) with {@code flags} (MSG_DONTWAIT, …): as {@link #read}. */
    public static long recv(int fd, MemorySegment buf, int flags) {
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                long r = (long) RECV.invokeExact(state, fd, buf, buf.byteSize(), flags);
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    return Errors.checkAgain("recv", (long) -errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * send(2) with {@code flags}: as {@link #write}. Pass MSG_NOSIGNAL on sockets: a write to a
     * connection the peer has closed then fails with EPIPE instead of raising SIGPIPE.
     */
    public static long send(int fd, MemorySegment buf, int flags) {
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                long r = (long) SEND.invokeExact(state, fd, buf, buf.byteSize(), flags);
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    return Errors.checkAgain("send", (long) -errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** Raw close(2): 0 or {@code -errno}. Never retried: on Linux the descriptor is gone even after EINTR. */
    static int closeRaw(int fd) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) CLOSE.invokeExact(state, fd);
            return r >= 0 ? r : -Libc.errno(state);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** close(2); EBADF (a double close, a bug) throws ({@link Errors#checkClose}). */
    public static void close(int fd) {
        Errors.checkClose(closeRaw(fd));
    }

    /**
     * close(2) on a path that is already reporting another failure: the result is returned, not
     * thrown, so the first failure is the one the caller sees.
     */
    public static int closeQuietly(int fd) {
        return closeRaw(fd);
    }

    /** fcntl(2) with an int argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD). */
    public static int fcntl(int fd, int cmd, int arg) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) FCNTL.invokeExact(state, fd, cmd, arg);
            return Errors.check("fcntl", r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** Sets or clears O_NONBLOCK. */
    public static void setNonBlocking(int fd, boolean nonBlocking) {
        int flags = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
    }

    /** Sets or clears FD_CLOEXEC. */
    public static void setCloseOnExec(int fd, boolean closeOnExec) {
        int flags = fcntl(fd, F_GETFD, 0);
        fcntl(fd, F_SETFD, closeOnExec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
    }

    /**
     * poll(2) on one descriptor: the revents (0 on timeout). {@code pollfd} is a caller-owned
     * {@link #POLLFD} segment; {@code timeoutMillis} -1 waits for ever. EINTR is retried with the full
     * timeout again, which is fine for the short waits socklab uses.
     */
    public static int poll(MemorySegment pollfd, int fd, int events, int timeoutMillis) {
        POLL_FD.set(pollfd, 0L, fd);
        POLL_EVENTS.set(pollfd, 0L, (short) events);
        POLL_REVENTS.set(pollfd, 0L, (short) 0);
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                int r = (int) POLL.invokeExact(state, pollfd, 1L, timeoutMillis);
                if (r >= 0) {
                    return r == 0 ? 0 : Short.toUnsignedInt((short) POLL_REVENTS.get(pollfd, 0L));
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    throw Errors.of("poll", errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** eventfd(2): a counter descriptor that one thread writes to wake another's epoll. */
    public static int eventfd(int initialValue, int flags) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) EVENTFD.invokeExact(state, initialValue, flags);
            return Errors.check("eventfd", r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * memfd_create(2) with MFD_CLOEXEC: an anonymous file in memory, empty, named {@code name} in
     * /proc/&lt;pid&gt;/fd (as {@code /memfd:name}). Shared memory that can be passed to a child as a descriptor.
     */
    public static int memfd(String name) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment cName = arena.allocateFrom(name);
            MemorySegment state = Libc.callState();
            int r = (int) MEMFD_CREATE.invokeExact(state, cName, MFD_CLOEXEC);
            return Errors.check("memfd_create", name, r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** isatty(3): true when {@code fd} is a terminal (false for a file, a pipe, or a closed descriptor). */
    public static boolean isTerminal(int fd) {
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }
}
