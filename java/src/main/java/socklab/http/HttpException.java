package socklab.http;

/**
 * A handler's way to answer with an error status: the connection sends {@code status} with the
 * message as a text body and stays open (the request itself was well-formed HTTP). No stack trace is
 * recorded: this is an answer, not a bug.
 */
public final class HttpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public HttpException(int status, String message) {
        super(message, null, false, false);
        if (!HttpStatus.isKnown(status) || status < 400) {
            throw new IllegalArgumentException("HttpException needs a known 4xx or 5xx status, got " + status);
        }
        this.status = status;
    }

    public int status() {
        return status;
    }
}
