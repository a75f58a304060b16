package socklab.sys;

/**
 * The entry points of the JNI shim, native/socklab_jni.c: one libc call each, primitives and raw
 * addresses in, {@code >= 0 or -errno} out, nothing retried (the error policy is
 * {@link ErrnoBinding}'s). The Makefile generates the C header from this file with {@code javac -h},
 * so the C side cannot disagree with these signatures; that is also why this class depends on
 * nothing. {@link JniBinding} loads the library before the first call.
 */
final class JniCalls {
    private JniCalls() {}

    static native int getpid();

    static native int socket(int domain, int type, int protocol);

    static native int setsockopt(int fd, int level, int optname, long value, int length);

    static native int getsockopt(int fd, int level, int optname, long value, long length);

    static native int bind(int fd, long address, int length);

    static native int listen(int fd, int backlog);

    /** accept4(fd, NULL, NULL, flags). */
    static native int accept4(int fd, int flags);

    static native int connect(int fd, long address, int length);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native long recv(int fd, long buf, long count, int flags);

    static native int close(int fd);

    static native int shutdown(int fd, int how);

    static native int epollCreate1(int flags);

    static native int epollCtl(int epfd, int op, int fd, long event);

    static native int epollWait(int epfd, long events, int maxEvents, int timeoutMillis);

    static native int eventfd(int initialValue, int flags);
}
