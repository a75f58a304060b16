package socklab.sys;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * The default binding: the FFM family classes of this package, called directly. Their error policy is
 * the one {@link ErrnoBinding} applies for JNI and jnr, built from the same {@link Errors} helpers.
 */
final class FfmBinding implements Binding {
    static final FfmBinding INSTANCE = new FfmBinding();

    private FfmBinding() {}

    @Override
    public String name() {
        return "ffm";
    }

    @Override
    public String toString() {
        return name();
    }

    @Override
    public int getpid() {
        return Libc.getpid();
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        return Sockets.socket(domain, type, protocol);
    }

    @Override
    public void setInt(int fd, SocketOption option, int value) {
        SocketOptions.setInt(fd, option, value);
    }

    @Override
    public int getInt(int fd, SocketOption option) {
        return SocketOptions.getInt(fd, option);
    }

    @Override
    public void bind(int fd, InetSocketAddress address) {
        Sockets.bind(fd, address);
    }

    @Override
    public void listen(int fd, int backlog) {
        Sockets.listen(fd, backlog);
    }

    @Override
    public int accept(int fd, int flags) {
        return Sockets.accept(fd, flags);
    }

    @Override
    public int connect(int fd, InetSocketAddress address) {
        return Sockets.connect(fd, address);
    }

    @Override
    public long read(int fd, MemorySegment buf) {
        return Fd.read(fd, buf);
    }

    @Override
    public long write(int fd, MemorySegment buf) {
        return Fd.write(fd, buf);
    }

    @Override
    public long recv(int fd, MemorySegment buf, int flags) {
        return Fd.recv(fd, buf, flags);
    }

    @Override
    public void close(int fd) {
        Fd.close(fd);
    }

    @Override
    public void shutdown(int fd, int how) {
        Sockets.shutdown(fd, how);
    }

    @Override
    public int epollCreate(int flags) {
        return Epoll.create(flags);
    }

    @Override
    public void epollCtl(int epfd, int op, int fd, int events, long data) {
        Epoll.checkCtl(op, fd, Epoll.ctlRaw(epfd, op, fd, events, data));
    }

    @Override
    public int epollWait(int epfd, MemorySegment events, int timeoutMillis) {
        return Epoll.wait(epfd, events, timeoutMillis);
    }

    @Override
    public int eventfd(int initialValue, int flags) {
        return Fd.eventfd(initialValue, flags);
    }
}
