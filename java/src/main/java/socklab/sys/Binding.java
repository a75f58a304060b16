package socklab.sys;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The system calls on every server's hot path and set-up, behind one interface so that the way
 * Java reaches libc (FFM, JNI, jnr) is a dimension of every experiment.
 *
 * <p>Three implementations: {@code ffm} (the Foreign Function &amp; Memory classes of this package,
 * the default), {@code jni} (a thin C shim, native/socklab_jni.c, shipped inside the jar) and
 * {@code jnr} (jnr-ffi on libc, with jnr-posix where it has the call).
 *
 * <p>Every implementation follows the same error policy ({@link Errors}): results are returned as
 * values, {@code -EAGAIN} is a value on non-blocking descriptors, EINTR is retried, accept skips
 * ECONNABORTED, connect reports {@code -EINPROGRESS} as a value, and any other failure throws one
 * {@link NativeException} whose message names the call and the errno, word for word the same in every
 * binding. Buffers and event arrays are native segments owned by the caller; the hot calls (accept,
 * read, write, recv, epollWait) take them as they are and allocate nothing.
 */
public interface Binding {

    /** The binding's name as the CLI spells it: ffm, jni or jnr. */
    String name();

    /**
     * getpid(2), which cannot fail: the cheapest system call there is, so its cost through a binding is
     * the binding's own cost per call (the benchmarks' first row).
     */
    int getpid();

    int socket(int domain, int type, int protocol);

    void setInt(int fd, SocketOption option, int value);

    int getInt(int fd, SocketOption option);

    void bind(int fd, InetSocketAddress address);

    void listen(int fd, int backlog);

    /** accept4 without the peer address: the new fd, or {@code -EAGAIN}. */
    int accept(int fd, int flags);

    /** 0 when connected, {@code -EINPROGRESS} on a non-blocking socket still connecting. */
    int connect(int fd, InetSocketAddress address);

    /** Bytes read into all of {@code buf} (0 at end of stream), or {@code -EAGAIN}. */
    long read(int fd, MemorySegment buf);

    /** Bytes written from all of {@code buf}, or {@code -EAGAIN}. */
    long write(int fd, MemorySegment buf);

    /** recv(2) with {@code flags} (MSG_DONTWAIT, …) into all of {@code buf}: as {@link #read}. */
    long recv(int fd, MemorySegment buf, int flags);

    void close(int fd);

    void shutdown(int fd, int how);

    int epollCreate(int flags);

    /** epoll_ctl with EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL; failures name the op and the fd. */
    void epollCtl(int epfd, int op, int fd, int events, long data);

    /** Ready events written into {@code events} (see {@link Epoll#allocateEvents}); 0 on timeout. */
    int epollWait(int epfd, MemorySegment events, int timeoutMillis);

    int eventfd(int initialValue, int flags);

    /**
     * A listening TCP socket on {@code address}: socket, the given options set to 1 (typically
     * SO_REUSEADDR, SO_REUSEPORT), bind, listen. The descriptor is closed if any step fails, and the
     * first failure is the one thrown.
     */
    default int listenTcp(InetSocketAddress address, int backlog, int flags, SocketOption... enabled) {
        int fd = socket(SockAddr.family(address.getAddress()), Sockets.SOCK_STREAM | flags, Sockets.IPPROTO_TCP);
        try {
            for (SocketOption option : enabled) {
                setInt(fd, option, 1);
            }
            bind(fd, address);
            listen(fd, backlog);
            return fd;
        } catch (RuntimeException e) {
            try {
                close(fd);
            } catch (NativeException second) {
                e.addSuppressed(second);
            }
            throw e;
        }
    }

    /** The names {@link #byName} accepts, default first. */
    List<String> NAMES = List.of("ffm", "jni", "jnr");

    /**
     * The binding called {@code name}. An unknown name gives one line listing the known ones; a binding
     * whose native part cannot be loaded gives one line naming the cause and the fix.
     */
    static Binding byName(String name) {
        return switch (name) {
            case "ffm" -> FfmBinding.INSTANCE;
            case "jni" -> JniBinding.instance();
            case "jnr" -> JnrBinding.instance();
            default -> throw new IllegalArgumentException(
                    "unknown binding '" + name + "': choose one of " + String.join(", ", NAMES));
        };
    }
}
