package socklab.idem;

/**
 * A request the comments service refuses, with the status to answer and a one-line reason. Nothing
 * was stored for it. No stack trace is recorded: this is an answer, not a bug.
 */
public final class Rejection extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    Rejection(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
