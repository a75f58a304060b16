package socklab.load;

import com.fasterxml.jackson.annotation.JsonValue;

import socklab.sys.Errno;

/**
 * Why a request or a connect did not end in a response. Every request the generator starts ends in
 * exactly one response or one of these; every connect in an established connection or one of the
 * first three.
 */
public enum ErrorKind {
    /** ECONNREFUSED: nothing listens, or the listener answered the SYN with a RST. */
    CONNECT_REFUSED("connect-refused", true),
    /** No handshake within the timeout: typically SYNs dropped by a full accept queue and retransmitted. */
    CONNECT_TIMEOUT("connect-timeout", true),
    /** Any other connect failure (EADDRNOTAVAIL: no ephemeral port left; ENETUNREACH; EMFILE …). */
    CONNECT_ERROR("connect-error", true),
    /** ECONNRESET or EPIPE on an established connection. */
    RESET("reset", false),
    /** The peer closed the connection before the whole response arrived. */
    CLOSED_EARLY("closed-early", false),
    /** The response was not complete within the timeout. */
    TIMEOUT("timeout", false),
    /** Not an HTTP/1.x response this parser accepts (bad status line, header too large, chunked …). */
    BAD_RESPONSE("bad-response", false),
    /** Any other read or send failure. */
    IO_ERROR("io-error", false);

    private final String label;
    private final boolean connectPhase;

    ErrorKind(String label, boolean connectPhase) {
        this.label = label;
        this.connectPhase = connectPhase;
    }

    /** The name the summary and the JSON use. */
    @JsonValue
    public String label() {
        return label;
    }

    /** True for the kinds a connect attempt can end in. */
    public boolean connectPhase() {
        return connectPhase;
    }

    /** The kind a failed connect ends in, by errno. */
    static ErrorKind ofConnect(int errno) {
        return switch (errno) {
            case Errno.ECONNREFUSED, Errno.ECONNRESET -> CONNECT_REFUSED;
            case Errno.ETIMEDOUT -> CONNECT_TIMEOUT;
            default -> CONNECT_ERROR;
        };
    }

    /** The kind a failed read or send on an established connection ends in, by errno. */
    static ErrorKind ofTransfer(int errno) {
        return errno == Errno.ECONNRESET || errno == Errno.EPIPE ? RESET : IO_ERROR;
    }

    @Override
    public String toString() {
        return label;
    }
}
