package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;

import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_POINTER;

/**
 * socket(2), socketpair(2), bind(2), listen(2), accept4(2), connect(2), getsockname(2),
 * getpeername(2), shutdown(2) through FFM.
 *
 * <p>Each call exists twice: a package-private raw form that returns {@code >= 0 or -errno} (retrying
 * EINTR), and a public form that applies the error policy of {@link Errors}. accept4 and a
 * non-blocking connect are the only hot-path calls here; they take caller-owned segments (or NULL)
 * and allocate nothing.
 */
public final class Sockets {
    private Sockets() {}

    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = 04000;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int IPPROTO_TCP = 6;
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    private static final MethodHandle SOCKET = Libc.withErrno("socket", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle SOCKETPAIR =
            Libc.withErrno("socketpair", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle BIND = Libc.withErrno("bind", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle LISTEN = Libc.withErrno("listen", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle ACCEPT4 =
            Libc.withErrno("accept4", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT));
    private static final MethodHandle CONNECT = Libc.withErrno("connect", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle GETSOCKNAME =
            Libc.withErrno("getsockname", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle GETPEERNAME =
            Libc.withErrno("getpeername", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle SHUTDOWN = Libc.withErrno("shutdown", FunctionDescriptor.of(C_INT, C_INT, C_INT));

    /** A TCP socket for {@code family} (AF_INET or AF_INET6); {@code flags} may add SOCK_NONBLOCK and SOCK_CLOEXEC. */
    public static int tcpSocket(int family, int flags) {
        return socket(family, SOCK_STREAM | flags, IPPROTO_TCP);
    }

    /** socket(2). */
    public static int socket(int domain, int type, int protocol) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) SOCKET.invokeExact(state, domain, type, protocol);
            return Errors.check("socket", r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** socketpair(2): two connected descriptors. */
    public static int[] socketpair(int domain, int type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment state = Libc.callState();
            int r = (int) SOCKETPAIR.invokeExact(state, domain, type, 0, fds);
            Errors.check("socketpair", r >= 0 ? r : -Libc.errno(state));
            return fds.toArray(ValueLayout.JAVA_INT);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** bind(2); failure names the address: {@code bind(127.0.0.1:8080): EADDRINUSE (Address already in use)}. */
    public static void bind(int fd, InetSocketAddress address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(arena, address);
            MemorySegment state = Libc.callState();
            int r = (int) BIND.invokeExact(state, fd, sa, (int) sa.byteSize());
            Errors.check("bind", SockAddr.format(address), r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * listen(2). The kernel silently caps {@code backlog} at net.core.somaxconn; the accept queue then
     * holds backlog + 1 established connections before it drops SYNs (or final ACKs).
     */
    public static void listen(int fd, int backlog) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) LISTEN.invokeExact(state, fd, backlog);
            Errors.check("listen", r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** Raw accept4(2): {@code fd >= 0} or {@code -errno}, EINTR retried. */
    static int accept4Raw(int fd, MemorySegment addr, MemorySegment addrLen, int flags) {
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                int r = (int) ACCEPT4.invokeExact(state, fd, addr, addrLen, flags);
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    return -errno;
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * accept4(2) without the peer address. Returns the new descriptor, or {@code -EAGAIN} when the
     * queue is empty on a non-blocking socket. ECONNABORTED (the peer reset while queued) is skipped:
     * the next queued connection is taken instead. Any other failure (EMFILE, ENFILE, ENOBUFS, …) throws.
     */
    public static int accept(int fd, int flags) {
        return accept(fd, MemorySegment.NULL, MemorySegment.NULL, flags);
    }

    /** As {@link #accept(int, int)}, with the peer address written to caller-owned {@code addr}/{@code addrLen}. */
    public static int accept(int fd, MemorySegment addr, MemorySegment addrLen, int flags) {
        while (true) {
            int r = accept4Raw(fd, addr, addrLen, flags);
            if (r != -Errno.ECONNABORTED) {
                return Errors.checkAgain("accept4", r);
            }
        }
    }

    /** Raw connect(2) to an address already encoded in {@code sa}: 0 or {@code -errno}. */
    static int connectRaw(int fd, MemorySegment sa, int len) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) CONNECT.invokeExact(state, fd, sa, len);
            return r >= 0 ? r : -Libc.errno(state);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * connect(2) to an encoded address. Returns 0 when connected, or {@code -EINPROGRESS} on a
     * non-blocking socket (wait for EPOLLOUT/POLLOUT, then read SO_ERROR); see {@link Errors#checkConnect}.
     */
    public static int connect(int fd, MemorySegment sa, int len) {
        return Errors.checkConnect("connect", connectRaw(fd, sa, len));
    }

    /** connect(2) to {@code address}; as {@link #connect(int, MemorySegment, int)}, naming the address on failure. */
    public static int connect(int fd, InetSocketAddress address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(arena, address);
            return Errors.checkConnect("connect(" + SockAddr.format(address) + ")", connectRaw(fd, sa, (int) sa.byteSize()));
        }
    }

    /** getsockname(2): the local address, e.g. to learn the port the kernel picked for port 0. */
    public static InetSocketAddress localAddress(int fd) {
        return name(GETSOCKNAME, "getsockname", fd);
    }

    /** getpeername(2). */
    public static InetSocketAddress peerAddress(int fd) {
        return name(GETPEERNAME, "getpeername", fd);
    }

    private static InetSocketAddress name(MethodHandle handle, String call, int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            MemorySegment len = arena.allocateFrom(ValueLayout.JAVA_INT, (int) SockAddr.SOCKADDR_STORAGE.byteSize());
            MemorySegment state = Libc.callState();
            int r = (int) handle.invokeExact(state, fd, sa, len);
            Errors.check(call, r >= 0 ? r : -Libc.errno(state));
            return SockAddr.read(sa);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** shutdown(2) with SHUT_RD, SHUT_WR or SHUT_RDWR. */
    public static void shutdown(int fd, int how) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) SHUTDOWN.invokeExact(state, fd, how);
            Errors.check("shutdown", r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** {@link Binding#listenTcp} through FFM. */
    public static int listenTcp(InetSocketAddress address, int backlog, int flags, SocketOption... enabled) {
        return FfmBinding.INSTANCE.listenTcp(address, backlog, flags, enabled);
    }
}
