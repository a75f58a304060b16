package socklab.sys;

/**
 * The errno values socklab's code branches on, as {@code <errno.h>} defines them on Linux.
 * Each is checked against the C headers by {@code HeaderConstantsTest}. Names and texts of any errno
 * come from libc ({@link Libc#errnoName}, {@link Libc#errnoText}), so this list holds only the ones
 * the code needs by value.
 */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EPIPE = 32;
    public static final int ENOPROTOOPT = 92;
    public static final int EPROTONOSUPPORT = 93;
    public static final int EOPNOTSUPP = 95;
    public static final int EAFNOSUPPORT = 97;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EINPROGRESS = 115;

    /**
     * Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM): an accept loop backs off
     * and retries, as memcached does, instead of failing.
     */
    public static boolean isShortage(int errno) {
        return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM;
    }
}
