package socklab.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The {@code jnr} binding: libc through jnr-ffi, under the shared error policy of {@link ErrnoBinding}.
 *
 * <p>jnr-posix already binds getpid and close, so those go through its {@link POSIX}; it has no
 * socket, accept, epoll or eventfd calls, and its read/write take Java arrays or ByteBuffers rather
 * than addresses, so {@link SocketCalls} declares the rest in the same style as jnr-posix's
 * {@code LibC}: primitive arguments, pointers as raw addresses. jnr-ffi saves errno right after each
 * call (its default); {@link #errno()} reads it back from jnr's per-thread copy.
 *
 * <p>On JDK 25 jffi needs {@code --enable-native-access=ALL-UNNAMED} (it loads its own JNI stub) and
 * {@code --sun-misc-unsafe-memory-access=allow}; both are in jvm.options, so nothing is printed.
 */
final class JnrBinding extends ErrnoBinding {

    /** The libc calls jnr-posix does not bind (or not with addresses), as jnr-ffi maps them. */
    public interface SocketCalls {
        int socket(int domain, int type, int protocol);

        int setsockopt(int fd, int level, int optname, @intptr_t long value, int length);

        int getsockopt(int fd, int level, int optname, @intptr_t long value, @intptr_t long length);

        int bind(int fd, @intptr_t long address, int length);

        int listen(int fd, int backlog);

        int accept4(int fd, @intptr_t long address, @intptr_t long length, int flags);

        int connect(int fd, @intptr_t long address, int length);

        @ssize_t long read(int fd, @intptr_t long buf, @size_t long count);

        @ssize_t long write(int fd, @intptr_t long buf, @size_t long count);

        @ssize_t long recv(int fd, @intptr_t long buf, @size_t long count, int flags);

        int shutdown(int fd, int how);

        int epoll_create1(int flags);

        int epoll_ctl(int epfd, int op, int fd, @intptr_t long event);

        int epoll_wait(int epfd, @intptr_t long events, int maxEvents, int timeoutMillis);

        int eventfd(int initialValue, int flags);
    }

    private static final JnrBinding INSTANCE;
    /** Why jnr could not bind libc, or null when it did. */
    private static final String LOAD_FAILURE;

    static {
        JnrBinding binding = null;
        String failure = null;
        try {
            binding = new JnrBinding(POSIXFactory.getNativePOSIX(), LibraryLoader.create(SocketCalls.class)
                    .failImmediately()
                    .load(Platform.getNativePlatform().getStandardCLibraryName()));
        } catch (LinkageError | RuntimeException e) {
            failure = "the jnr binding could not bind libc through jnr-ffi (" + e + "): check that jffi's native "
                    + "jar is on the class path ('make build' puts it in the socklab jar)";
        }
        INSTANCE = binding;
        LOAD_FAILURE = failure;
    }

    private final POSIX posix;
    private final SocketCalls libc;
    private final jnr.ffi.Runtime runtime;

    private JnrBinding(POSIX posix, SocketCalls libc) {
        this.posix = posix;
        this.libc = libc;
        this.runtime = jnr.ffi.Runtime.getRuntime(libc);
    }

    /** The binding, or one line naming why jnr cannot bind libc here. */
    static JnrBinding instance() {
        return loaded(INSTANCE, LOAD_FAILURE);
    }

    /** errno as jnr saved it after this thread's last call, negated: the raw-call convention. */
    private int errno() {
        return -runtime.getLastError();
    }

    private int result(int r) {
        return r >= 0 ? r : errno();
    }

    private long result(long r) {
        return r >= 0 ? r : errno();
    }

    @Override
    public String name() {
        return "jnr";
    }

    @Override
    public int getpid() {
        return posix.getpid();
    }

    @Override
    int socket0(int domain, int type, int protocol) {
        return result(libc.socket(domain, type, protocol));
    }

    @Override
    int setsockopt0(int fd, int level, int optname, long value, int length) {
        return result(libc.setsockopt(fd, level, optname, value, length));
    }

    @Override
    int getsockopt0(int fd, int level, int optname, long value, long length) {
        return result(libc.getsockopt(fd, level, optname, value, length));
    }

    @Override
    int bind0(int fd, long address, int length) {
        return result(libc.bind(fd, address, length));
    }

    @Override
    int listen0(int fd, int backlog) {
        return result(libc.listen(fd, backlog));
    }

    @Override
    int accept0(int fd, int flags) {
        return result(libc.accept4(fd, 0L, 0L, flags));
    }

    @Override
    int connect0(int fd, long address, int length) {
        return result(libc.connect(fd, address, length));
    }

    @Override
    long read0(int fd, long buf, long count) {
        return result(libc.read(fd, buf, count));
    }

    @Override
    long write0(int fd, long buf, long count) {
        return result(libc.write(fd, buf, count));
    }

    @Override
    long recv0(int fd, long buf, long count, int flags) {
        return result(libc.recv(fd, buf, count, flags));
    }

    @Override
    int close0(int fd) {
        return result(posix.libc().close(fd));
    }

    @Override
    int shutdown0(int fd, int how) {
        return result(libc.shutdown(fd, how));
    }

    @Override
    int epollCreate0(int flags) {
        return result(libc.epoll_create1(flags));
    }

    @Override
    int epollCtl0(int epfd, int op, int fd, long event) {
        return result(libc.epoll_ctl(epfd, op, fd, event));
    }

    @Override
    int epollWait0(int epfd, long events, int maxEvents, int timeoutMillis) {
        return result(libc.epoll_wait(epfd, events, maxEvents, timeoutMillis));
    }

    @Override
    int eventfd0(int initialValue, int flags) {
        return result(libc.eventfd(initialValue, flags));
    }
}
