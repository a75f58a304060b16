package socklab.sys;

/**
 * A failed system call: which call, on what, and the errno with its symbol and text, e.g.
 * {@code bind(127.0.0.1:8080): EADDRINUSE (Address already in use)}.
 *
 * <p>Unchecked on purpose: the event loops treat every failure of a connection the same way
 * (close it, count it), and the ones that are not failures (EAGAIN, EINTR, ECONNABORTED on accept)
 * never reach here.
 */
public final class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    NativeException(String call, int errno) {
        super(call + ": " + Libc.errnoName(errno) + " (" + Libc.errnoText(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The call as named in the message, with its argument where one was given: {@code bind(127.0.0.1:8080)}. */
    public String call() {
        return call;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }

    /** The errno's symbol, such as {@code EMFILE}. */
    public String errnoName() {
        return Libc.errnoName(errno);
    }
}
