package socklab.sys;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The system calls on every server's hot path and set-up, behind one interface so that the way
 * Java reaches libc (FFM, JNI, jnr) is a dimension of every experiment.
 *
 * <p>Every implementation follows the same error policy ({@link Errors}): results are returned as
 * values, {@code -EAGAIN} is a value on non-blocking descriptors, EINTR is retried, accept skips
 * ECONNABORTED, connect reports {@code -EINPROGRESS} as a value, and any other failure throws one
 * {@link NativeException} whose message names the call and the errno. Buffers and event arrays are
 * native segments owned by the caller; the hot calls (accept, read, write, epollWait) take them as
 * they are and, in the FFM binding, allocate nothing.
 */
public interface Binding {

    /** The binding's name as the CLI spells it: ffm, jni or jnr. */
    String name();

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

    void close(int fd);

    void shutdown(int fd, int how);

    int epollCreate(int flags);

    /** epoll_ctl with EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL. */
    void epollCtl(int epfd, int op, int fd, int events, long data);

    /** Ready events written into {@code events} (see {@link Epoll#allocateEvents}); 0 on timeout. */
    int epollWait(int epfd, MemorySegment events, int timeoutMillis);

    int eventfd(int initialValue, int flags);

    /** The names {@link #byName} accepts, default first. */
    List<String> NAMES = List.of("ffm");

    /** The binding called {@code name}; an unknown name gives one line listing the known ones. */
    static Binding byName(String name) {
        return switch (name) {
            case "ffm" -> FfmBinding.INSTANCE;
            default -> throw new IllegalArgumentException(
                    "unknown binding '" + name + "': choose one of " + String.join(", ", NAMES));
        };
    }
}
