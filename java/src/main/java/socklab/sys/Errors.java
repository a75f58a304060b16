package socklab.sys;

/**
 * Turns the internal {@code >= 0 or -errno} convention into results and {@link NativeException}s.
 * The raw helpers in each family class, and the raw calls of the JNI and jnr bindings
 * ({@link ErrnoBinding}), return {@code -errno}; the public methods pass that through here, so the
 * policy (which errno is a value and which is an exception) lives in one file.
 */
public final class Errors {
    private Errors() {}

    /** Returns {@code result} when it is not an error, otherwise throws naming {@code call}. */
    public static int check(String call, int result) {
        if (result < 0) {
            throw new NativeException(call, -result);
        }
        return result;
    }

    /** As {@link #check(String, int)}, for calls that return ssize_t. */
    public static long check(String call, long result) {
        if (result < 0) {
            throw new NativeException(call, (int) -result);
        }
        return result;
    }

    /** As {@link #check(String, int)}, with the call's argument named in the message: {@code call(arg)}. */
    public static int check(String call, Object arg, int result) {
        if (result < 0) {
            throw new NativeException(call + "(" + arg + ")", -result);
        }
        return result;
    }

    /**
     * For non-blocking calls: {@code -EAGAIN} is a value ("nothing now") and is returned as is;
     * any other failure throws.
     */
    public static int checkAgain(String call, int result) {
        if (result < 0 && result != -Errno.EAGAIN) {
            throw new NativeException(call, -result);
        }
        return result;
    }

    /** As {@link #checkAgain(String, int)}, for calls that return ssize_t. */
    public static long checkAgain(String call, long result) {
        if (result < 0 && result != -Errno.EAGAIN) {
            throw new NativeException(call, (int) -result);
        }
        return result;
    }

    /**
     * connect(2)'s policy: 0 when connected; {@code -EINPROGRESS} on a non-blocking socket still
     * connecting. An EINTR'd connect goes on in the kernel, so it is reported as in progress too rather
     * than retried (a retry would give EALREADY). Anything else throws naming {@code call}.
     */
    public static int checkConnect(String call, int result) {
        if (result == -Errno.EINPROGRESS || result == -Errno.EINTR) {
            return -Errno.EINPROGRESS;
        }
        return check(call, result);
    }

    /**
     * close(2)'s policy: EINTR is not an error and is never retried (on Linux the descriptor is gone
     * even then, and a retry could close a descriptor another thread has just been given); anything
     * else (EBADF: a double close, a bug) throws.
     */
    public static void checkClose(int result) {
        if (result != -Errno.EINTR) {
            check("close", result);
        }
    }

    /** The exception for a call named by the caller with an errno it already has. */
    public static NativeException of(String call, int errno) {
        return new NativeException(call, errno);
    }

    /**
     * {@code invokeExact} declares Throwable; a downcall does not throw, so anything here is a bug in
     * a handle's type (WrongMethodTypeException) or an Error, and is rethrown unchanged where possible.
     */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall failed: " + t, t);
    }
}
