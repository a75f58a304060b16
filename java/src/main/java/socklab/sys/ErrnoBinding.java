package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * The error policy of {@link Binding} for the bindings whose native calls hand back {@code >= 0 or
 * -errno} (JNI, where the C shim negates errno, and jnr, where the binding reads jnr's saved errno).
 * A subclass supplies only the raw calls, one native call each with nothing retried; everything a
 * caller sees (EINTR retried, EAGAIN and EINPROGRESS as values, ECONNABORTED skipped, the exception
 * text) is decided here, with the same {@link Errors} and {@link Epoll} helpers the FFM classes use,
 * so the three bindings cannot drift apart.
 *
 * <p>Pointers cross as raw addresses ({@code long}). Before a segment's address is passed, it is
 * checked as an FFM downcall checks it: native, alive and accessible from this thread. Unlike FFM,
 * these bindings cannot keep a shared arena from being closed by another thread during the call: the
 * caller owns its buffers for the duration, as in C.
 */
abstract class ErrnoBinding implements Binding {

    abstract int socket0(int domain, int type, int protocol);

    abstract int setsockopt0(int fd, int level, int optname, long value, int length);

    abstract int getsockopt0(int fd, int level, int optname, long value, long length);

    abstract int bind0(int fd, long address, int length);

    abstract int listen0(int fd, int backlog);

    /** accept4 without the peer address (NULL, NULL). */
    abstract int accept0(int fd, int flags);

    abstract int connect0(int fd, long address, int length);

    abstract long read0(int fd, long buf, long count);

    abstract long write0(int fd, long buf, long count);

    abstract long recv0(int fd, long buf, long count, int flags);

    abstract int close0(int fd);

    abstract int shutdown0(int fd, int how);

    abstract int epollCreate0(int flags);

    abstract int epollCtl0(int epfd, int op, int fd, long event);

    abstract int epollWait0(int epfd, long events, int maxEvents, int timeoutMillis);

    abstract int eventfd0(int initialValue, int flags);

    /** {@code binding} when its native part loaded ({@code failure} null), else one line naming the cause and fix. */
    static <B extends ErrnoBinding> B loaded(B binding, String failure) {
        if (failure != null) {
            throw new UnsupportedOperationException(failure);
        }
        return binding;
    }

    /** The binding's name: tests and the CLI display a binding by it. */
    @Override
    public String toString() {
        return name();
    }

    @Override
    public final int socket(int domain, int type, int protocol) {
        return Errors.check("socket", socket0(domain, type, protocol));
    }

    @Override
    public final void setInt(int fd, SocketOption option, int value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocateFrom(ValueLayout.JAVA_INT, value);
            Errors.check("setsockopt", option.name(),
                    setsockopt0(fd, option.level(), option.optname(), v.address(), (int) v.byteSize()));
        }
    }

    @Override
    public final int getInt(int fd, SocketOption option) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, (int) v.byteSize());
            Errors.check("getsockopt", option.name(),
                    getsockopt0(fd, option.level(), option.optname(), v.address(), length.address()));
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    @Override
    public final void bind(int fd, InetSocketAddress address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(arena, address);
            Errors.check("bind", SockAddr.format(address), bind0(fd, sa.address(), (int) sa.byteSize()));
        }
    }

    @Override
    public final void listen(int fd, int backlog) {
        Errors.check("listen", listen0(fd, backlog));
    }

    @Override
    public final int accept(int fd, int flags) {
        int r;
        do {
            r = accept0(fd, flags);
        } while (r == -Errno.EINTR || r == -Errno.ECONNABORTED);
        return Errors.checkAgain("accept4", r);
    }

    @Override
    public final int connect(int fd, InetSocketAddress address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(arena, address);
            return Errors.checkConnect("connect(" + SockAddr.format(address) + ")",
                    connect0(fd, sa.address(), (int) sa.byteSize()));
        }
    }

    @Override
    public final long read(int fd, MemorySegment buf) {
        long address = address(buf);
        long r;
        do {
            r = read0(fd, address, buf.byteSize());
        } while (r == -Errno.EINTR);
        return Errors.checkAgain("read", r);
    }

    @Override
    public final long write(int fd, MemorySegment buf) {
        long address = address(buf);
        long r;
        do {
            r = write0(fd, address, buf.byteSize());
        } while (r == -Errno.EINTR);
        return Errors.checkAgain("write", r);
    }

    @Override
    public final long recv(int fd, MemorySegment buf, int flags) {
        long address = address(buf);
        long r;
        do {
            r = recv0(fd, address, buf.byteSize(), flags);
        } while (r == -Errno.EINTR);
        return Errors.checkAgain("recv", r);
    }

    @Override
    public final void close(int fd) {
        Errors.checkClose(close0(fd));
    }

    @Override
    public final void shutdown(int fd, int how) {
        Errors.check("shutdown", shutdown0(fd, how));
    }

    @Override
    public final int epollCreate(int flags) {
        return Errors.check("epoll_create1", epollCreate0(flags));
    }

    @Override
    public final void epollCtl(int epfd, int op, int fd, int events, long data) {
        Epoll.checkCtl(op, fd, epollCtl0(epfd, op, fd, Epoll.scratchEvent(events, data).address()));
    }

    @Override
    public final int epollWait(int epfd, MemorySegment events, int timeoutMillis) {
        long address = address(events);
        int r;
        do {
            r = epollWait0(epfd, address, Epoll.capacity(events), timeoutMillis);
        } while (r == -Errno.EINTR);
        return Errors.check("epoll_wait", r);
    }

    @Override
    public final int eventfd(int initialValue, int flags) {
        return Errors.check("eventfd", eventfd0(initialValue, flags));
    }

    /**
     * The address of a caller-owned segment, checked as an FFM downcall checks its arguments (same
     * exception types), so that a bad buffer fails the same way in every binding instead of handing C
     * a heap offset or freed memory.
     */
    private static long address(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("Heap segment not allowed: " + segment);
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("Already closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("Attempted access outside owning thread");
        }
        return segment.address();
    }
}
