package socklab.load;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An incremental parser for one HTTP/1.x response at a time, as much as a load generator needs: the
 * status code, Content-Length, {@code Connection: close}, {@code X-Worker}. The head is copied into a
 * per-connection array (allocated once, on first use) and scanned there; body bytes are only counted.
 * Parsing a response allocates nothing.
 *
 * <p>Accepted: a status line {@code HTTP/1.0} or {@code HTTP/1.1}, a head of at most
 * {@value #HEAD_LIMIT} bytes, a Content-Length body, no body for 1xx/204/304, or a body up to the end
 * of the stream when there is no length. Not accepted (ends as a bad response): chunked or other
 * transfer codings, conflicting lengths, and bytes after the response (socklab never pipelines).
 */
final class ResponseParser {
    static final int HEAD_LIMIT = 8192;

    /** Results of {@link #feed} and {@link #endOfStream}. */
    static final int MORE = 0;
    static final int COMPLETE = 1;
    static final int BAD = 2;

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] X_WORKER = ascii("x-worker");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");

    private byte[] head;
    private int headLength;
    private boolean inBody;
    private boolean untilEof;
    private long bodyRemaining;
    private int status;
    private int worker;
    private boolean closeAfter;
    private String problem;

    /** Forget the previous response: the next bytes start a new one. */
    void reset() {
        headLength = 0;
        inBody = false;
        untilEof = false;
        bodyRemaining = 0;
        status = 0;
        worker = WorkerTable.NONE;
        closeAfter = false;
        problem = null;
    }

    /** True once any byte of the current response has arrived. */
    boolean started() {
        return inBody || headLength > 0;
    }

    int status() {
        return status;
    }

    /** The {@link WorkerTable} index of the X-Worker id, {@link WorkerTable#NONE} without one. */
    int worker() {
        return worker;
    }

    /** True when the server will close the connection after this response. */
    boolean closeAfter() {
        return closeAfter;
    }

    /** Why the response was bad (a constant: nothing is built on the error path either). */
    String problem() {
        return problem;
    }

    /** Feeds the first {@code length} bytes of {@code data}: {@link #MORE}, {@link #COMPLETE} or {@link #BAD}. */
    int feed(MemorySegment data, int length, WorkerTable workers) {
        if (inBody) {
            return body(length);
        }
        if (head == null) {
            head = new byte[HEAD_LIMIT];
        }
        int copied = Math.min(length, HEAD_LIMIT - headLength);
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, head, headLength, copied);
        int scanFrom = Math.max(0, headLength - 3);
        headLength += copied;
        int end = endOfHead(scanFrom);
        if (end < 0) {
            return copied < length || headLength == HEAD_LIMIT ? bad("response head larger than " + HEAD_LIMIT + " bytes") : MORE;
        }
        if (!parseHead(end, workers)) {
            return BAD;
        }
        inBody = true;
        return body(headLength - end + (length - copied));
    }

    /** The stream ended: complete when the body runs to the end of the stream, otherwise cut short. */
    int endOfStream() {
        return inBody && untilEof ? COMPLETE : BAD;
    }

    private int body(long length) {
        if (untilEof) {
            return MORE;
        }
        if (length > bodyRemaining) {
            return bad("bytes after the response (socklab sends one request at a time)");
        }
        bodyRemaining -= length;
        return bodyRemaining == 0 ? COMPLETE : MORE;
    }

    /** Index just past the blank line ending the head, or -1. */
    private int endOfHead(int from) {
        for (int i = from; i + 3 < headLength; i++) {
            if (head[i] == '\r' && head[i + 1] == '\n' && head[i + 2] == '\r' && head[i + 3] == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    private boolean parseHead(int end, WorkerTable workers) {
        // "HTTP/1.x SSS" then a space or the end of the line.
        if (end < 14 || !startsWith(head, 0, "HTTP/1.") || (head[7] != '0' && head[7] != '1') || head[8] != ' '
                || !digit(head[9]) || !digit(head[10]) || !digit(head[11]) || (head[12] != ' ' && head[12] != '\r')) {
            bad("no HTTP/1.x status line");
            return false;
        }
        status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
        if (status < 100 || status > Tally.MAX_STATUS) {
            bad("status code outside 100-599");
            return false;
        }
        boolean http10 = head[7] == '0';
        boolean keepAlive = false;
        long contentLength = -1;
        int line = lineEnd(0, end) + 2;
        while (line < end - 2) {
            int eol = lineEnd(line, end);
            int colon = indexOf(line, eol, (byte) ':');
            if (colon < 0) {
                bad("header line without a colon");
                return false;
            }
            int valueFrom = skipSpace(colon + 1, eol);
            int valueTo = trimSpace(valueFrom, eol);
            if (nameIs(line, colon, CONTENT_LENGTH)) {
                long length = number(valueFrom, valueTo);
                if (length < 0 || (contentLength >= 0 && contentLength != length)) {
                    bad("bad or conflicting Content-Length");
                    return false;
                }
                contentLength = length;
            } else if (nameIs(line, colon, TRANSFER_ENCODING)) {
                bad("Transfer-Encoding (chunked) responses are not supported: the server should send Content-Length");
                return false;
            } else if (nameIs(line, colon, CONNECTION)) {
                closeAfter |= containsToken(valueFrom, valueTo, CLOSE);
                keepAlive |= containsToken(valueFrom, valueTo, KEEP_ALIVE);
            } else if (nameIs(line, colon, X_WORKER)) {
                worker = workers.indexOf(head, valueFrom, valueTo);
            }
            line = eol + 2;
        }
        closeAfter |= http10 && !keepAlive;
        if (status < 200 || status == 204 || status == 304) {
            bodyRemaining = 0;
        } else if (contentLength >= 0) {
            bodyRemaining = contentLength;
        } else {
            untilEof = true;
            closeAfter = true;
        }
        return true;
    }

    private int bad(String why) {
        problem = why;
        return BAD;
    }

    private int lineEnd(int from, int end) {
        for (int i = from; i + 1 < end; i++) {
            if (head[i] == '\r' && head[i + 1] == '\n') {
                return i;
            }
        }
        return end - 2;
    }

    private int indexOf(int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (head[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private int skipSpace(int from, int to) {
        while (from < to && (head[from] == ' ' || head[from] == '\t')) {
            from++;
        }
        return from;
    }

    private int trimSpace(int from, int to) {
        while (to > from && (head[to - 1] == ' ' || head[to - 1] == '\t')) {
            to--;
        }
        return to;
    }

    /** A decimal of 1 to 18 digits, or -1. */
    private long number(int from, int to) {
        if (to <= from || to - from > 18) {
            return -1;
        }
        long n = 0;
        for (int i = from; i < to; i++) {
            if (!digit(head[i])) {
                return -1;
            }
            n = n * 10 + (head[i] - '0');
        }
        return n;
    }

    private boolean nameIs(int from, int to, byte[] lowerName) {
        if (to - from != lowerName.length) {
            return false;
        }
        for (int i = 0; i < lowerName.length; i++) {
            if (lower(head[from + i]) != lowerName[i]) {
                return false;
            }
        }
        return true;
    }

    /** True when the comma-separated value in {@code [from, to)} has {@code token} (case-insensitive). */
    private boolean containsToken(int from, int to, byte[] token) {
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i == to || head[i] == ',') {
                int a = skipSpace(start, i);
                int b = trimSpace(a, i);
                if (nameIs(a, b, token)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    private static boolean startsWith(byte[] buf, int at, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (buf[at + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
