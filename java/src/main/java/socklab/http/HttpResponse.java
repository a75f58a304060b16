package socklab.http;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * What a handler answers: a status, a content type, a few extra header fields and a body. The
 * connection adds the framing fields itself (Date, X-Worker, Content-Length, Connection) when it
 * encodes the response into its output buffer, possibly on another thread than the handler's (the
 * dispatcher-workers model). Like the request, the object belongs to the connection and is reused.
 *
 * <p>A body given as a segment is copied into the output buffer after the handler returns, so a
 * constant body (a {@code static final} segment) costs no allocation at all.
 */
public final class HttpResponse {
    /** Extra header fields a handler may add. */
    static final int MAX_HEADERS = 16;

    private static final String[] FRAMING = {"content-length", "transfer-encoding", "connection", "date", "x-worker"};
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);

    int status;
    String contentType;
    final String[] names = new String[MAX_HEADERS];
    final String[] values = new String[MAX_HEADERS];
    int headerCount;
    MemorySegment body;
    boolean drop;
    private String worker;
    MemorySegment workerLine;

    /** Starts a new response from the worker whose pre-encoded {@code X-Worker: id\r\n} line is given. */
    void reset(String worker, MemorySegment workerLine) {
        this.worker = worker;
        this.workerLine = workerLine;
        status = HttpStatus.OK;
        contentType = null;
        headerCount = 0;
        body = EMPTY;
        drop = false;
    }

    /** The id of the worker handling the request, as sent in X-Worker. */
    public String worker() {
        return worker;
    }

    public int status() {
        return status;
    }

    public HttpResponse status(int code) {
        if (!HttpStatus.isKnown(code) || code < 200) {
            throw new IllegalArgumentException("status " + code + " is not a final status socklab knows (see HttpStatus)");
        }
        status = code;
        return this;
    }

    public HttpResponse contentType(String type) {
        checkValue(type);
        contentType = type;
        return this;
    }

    /**
     * Adds a header field. The framing fields are the connection's: Content-Length, Transfer-Encoding,
     * Connection, Date and X-Worker are refused, as are names that are not tokens and values with
     * control characters (they would let a handler split the response).
     */
    public HttpResponse header(String name, String value) {
        if (name.isEmpty() || !name.chars().allMatch(c -> c < 128 && c > 32 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
            throw new IllegalArgumentException("header name must be a token: '" + name + "'");
        }
        for (String reserved : FRAMING) {
            if (reserved.equalsIgnoreCase(name)) {
                throw new IllegalArgumentException(name + " is set by the connection, not by handlers");
            }
        }
        checkValue(value);
        if (headerCount == MAX_HEADERS) {
            throw new IllegalStateException("more than " + MAX_HEADERS + " extra header fields");
        }
        names[headerCount] = name;
        values[headerCount++] = value;
        return this;
    }

    /** A loop, not a stream: this runs for every response that sets a content type. */
    private static void checkValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\t' && (c < 0x20 || c >= 0x7f)) {
                throw new IllegalArgumentException("header value must be printable ASCII: '" + value + "'");
            }
        }
    }

    /** The body, copied into the output after the handler returns (a heap or native segment). */
    public HttpResponse body(MemorySegment content) {
        body = content;
        return this;
    }

    /** A UTF-8 text body, with {@code text/plain; charset=utf-8} unless a type was set. */
    public HttpResponse text(String content) {
        if (contentType == null) {
            contentType = "text/plain; charset=utf-8";
        }
        return body(MemorySegment.ofArray(content.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * No response at all: the connection closes as soon as the handler returns, and requests pipelined
     * behind this one go with it. For fault injection: what a client sees of a server that crashed after
     * doing the work and before answering.
     */
    public void dropConnection() {
        drop = true;
    }

    /** An error answer: {@code status} with {@code why} and a newline as the text body. */
    public HttpResponse error(int status, String why) {
        headerCount = 0;
        contentType = null;
        return status(status).text(why + "\n");
    }
}
