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

    /**
     * Bytes read into {@code buf[offset, offset + length)}: as {@link #read(int, MemorySegment)}, for
     * buffers filled a piece at a time. A binding should not need a slice from its caller: one made there
     * and passed down is not always scalar-replaced by C2 and then costs an allocation per call. This
     * default slices; FFM slices next to its downcall, where the slice never escapes.
     */
    default long read(int fd, MemorySegment buf, long offset, long length) {
        return read(fd, buf.asSlice(offset, length));
    }

    /** Bytes written from {@code buf[offset, offset + length)}: as {@link #read(int, MemorySegment, long, long)}. */
    default long write(int fd, MemorySegment buf, long offset, long length) {
        return write(fd, buf.asSlice(offset, length));
    }

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
