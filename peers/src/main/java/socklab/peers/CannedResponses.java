package socklab.peers;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The peers' answers, byte for byte in socklab's layout (socklab.http.OutputBuffer): the status line,
 * {@code Date}, {@code X-Worker}, {@code Content-Type}, {@code Content-Length}, then {@code Connection}
 * only when the connection closes ({@code close}) or an HTTP/1.0 client asked to keep it
 * ({@code keep-alive}); {@code GET /} answers {@code hello\n}. The peers answer {@code GET /} only:
 * other paths get 404 and other methods 405 (and a close).
 *
 * <p>One instance per worker thread: the encoded responses are kept for the current second and
 * rebuilt when the Date changes, so a response costs a lookup, not an encoding.
 */
final class CannedResponses {
    /** What the peers can answer. */
    enum Status {
        OK("200 OK", "hello\n"),
        NOT_FOUND("404 Not Found", "not found\n"),
        METHOD_NOT_ALLOWED("405 Method Not Allowed", "only GET\n"),
        HEAD_TOO_LARGE("431 Request Header Fields Too Large", "header too large\n");

        final String line;
        final String body;

        Status(String line, String body) {
            this.line = line;
            this.body = body;
        }
    }

    /** The Connection field socklab sends: none on HTTP/1.1 keep-alive. */
    enum ConnectionField {
        NONE(""), CLOSE("Connection: close\r\n"), KEEP_ALIVE("Connection: keep-alive\r\n");

        final String line;

        ConnectionField(String line) {
            this.line = line;
        }

        /** The field for a request of HTTP/1.{@code minorVersion} that keeps the connection or not. */
        static ConnectionField of(boolean keepAlive, int minorVersion) {
            return !keepAlive ? CLOSE : minorVersion == 0 ? KEEP_ALIVE : NONE;
        }
    }

    static final String CONTENT_TYPE = "text/plain";

    /** IMF-fixdate (RFC 9110 §5.6.7), as socklab.http.HttpDate writes it. */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private record Stamp(long second, String value) {}

    private static volatile Stamp date = new Stamp(-1, "");

    private final int worker;
    private final byte[][][] cache = new byte[Status.values().length][ConnectionField.values().length][];
    private long cachedSecond = -1;

    CannedResponses(int worker) {
        this.worker = worker;
    }

    /** The whole response, head and body, for this second. */
    byte[] get(Status status, ConnectionField connection) {
        long second = System.currentTimeMillis() / 1000;
        if (second != cachedSecond) {
            for (byte[][] row : cache) {
                java.util.Arrays.fill(row, null);
            }
            cachedSecond = second;
        }
        byte[] bytes = cache[status.ordinal()][connection.ordinal()];
        if (bytes == null) {
            bytes = encode(status, connection, worker, dateValue()).getBytes(StandardCharsets.US_ASCII);
            cache[status.ordinal()][connection.ordinal()] = bytes;
        }
        return bytes;
    }

    static String encode(Status status, ConnectionField connection, int worker, String date) {
        return "HTTP/1.1 " + status.line + "\r\n"
                + "Date: " + date + "\r\n"
                + "X-Worker: " + worker + "\r\n"
                + "Content-Type: " + CONTENT_TYPE + "\r\n"
                + "Content-Length: " + status.body.length() + "\r\n"
                + connection.line
                + "\r\n"
                + status.body;
    }

    /** The Date value for the current second, shared by all threads (a benign race rebuilds the same value). */
    static String dateValue() {
        long second = System.currentTimeMillis() / 1000;
        Stamp s = date;
        if (s.second != second) {
            s = new Stamp(second, IMF_FIXDATE.format(Instant.ofEpochSecond(second)));
            date = s;
        }
        return s.value;
    }
}
