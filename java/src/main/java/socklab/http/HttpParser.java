package socklab.http;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The HTTP/1.1 request head parser (RFC 9112 §2–§6), on bytes in a native buffer.
 *
 * <p>Two steps, so that a head arriving a byte at a time is scanned once: {@link #findHeadEnd} looks for
 * the blank line from where the previous call stopped; once it is there, {@link #parseHead} reads the
 * whole head in one pass, recording offsets in an {@link HttpRequest}. Either the request is accepted
 * (0) or the status to answer with is returned and {@link HttpRequest#error} says why. The parser is
 * strict where leniency has caused request smuggling (whitespace before a colon, folded lines,
 * conflicting Content-Length, bare CR) and lenient where RFC 9112 allows it (bare LF line ends, empty
 * lines before the request line).
 */
final class HttpParser {
    private HttpParser() {}

    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    /** The offset after any empty lines at {@code start} (RFC 9112 §2.2: a server should ignore them). */
    static int skipEmptyLines(MemorySegment buf, int start, int limit) {
        while (start < limit) {
            byte b = buf.get(ValueLayout.JAVA_BYTE, start);
            if (b == '\n') {
                start++;
            } else if (b == '\r' && start + 1 < limit && buf.get(ValueLayout.JAVA_BYTE, start + 1) == '\n') {
                start += 2;
            } else {
                break;
            }
        }
        return start;
    }

    /**
     * The offset just past the blank line that ends the head starting at {@code start}, or -1 when it
     * is not in {@code [start, limit)} yet. Bytes before {@code from} were scanned by an earlier call.
     */
    static int findHeadEnd(MemorySegment buf, int start, int from, int limit) {
        for (int i = Math.max(from, start); i < limit; i++) {
            if (buf.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                if (i - 1 >= start && buf.get(ValueLayout.JAVA_BYTE, i - 1) == '\n') {
                    return i + 1;
                }
                if (i - 2 >= start && buf.get(ValueLayout.JAVA_BYTE, i - 1) == '\r'
                        && buf.get(ValueLayout.JAVA_BYTE, i - 2) == '\n') {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    /** Parses the complete head {@code [start, end)} into {@code req}: 0, or the status to answer with. */
    static int parseHead(MemorySegment buf, int start, int end, long maxBody, HttpRequest req) {
        req.reset(buf, start);
        int len = end - start;

        int i = 0;
        while (tchar(at(req, len, i))) {
            i++;
        }
        if (i == 0 || at(req, len, i) != ' ') {
            return fail(req, HttpStatus.BAD_REQUEST, "the request line must be: method SP target SP HTTP-version");
        }
        req.methodEnd = i++;
        req.targetStart = i;
        for (int c = at(req, len, i); c > 0x20 && c < 0x7f; c = at(req, len, ++i)) {
            // the target is visible ASCII (RFC 3986); anything else ends it
        }
        if (i == req.targetStart || at(req, len, i) != ' ') {
            return fail(req, HttpStatus.BAD_REQUEST, "the request target must be visible ASCII, then one space");
        }
        req.targetEnd = i++;
        if (!splitTarget(req)) {
            return fail(req, HttpStatus.BAD_REQUEST, "the request target must be a path starting with '/' or an absolute http URI");
        }
        int status = version(req, len, i);
        if (status != 0) {
            return status;
        }
        i = lineEnd(req, len, i + 8);
        if (i < 0) {
            return fail(req, HttpStatus.BAD_REQUEST, "the request line must end with CRLF right after the version");
        }
        return headers(req, len, i, maxBody);
    }

    private static int version(HttpRequest req, int len, int i) {
        if (!req.equalsAscii(i, Math.min(i + 5, len), "HTTP/", false) || !digit(at(req, len, i + 5))
                || at(req, len, i + 6) != '.' || !digit(at(req, len, i + 7))) {
            return fail(req, HttpStatus.BAD_REQUEST, "the version must be HTTP/1.1 or HTTP/1.0");
        }
        if (at(req, len, i + 5) != '1') {
            return fail(req, HttpStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.x is spoken here");
        }
        req.minorVersion = at(req, len, i + 7) == '0' ? 0 : 1; // 1.x with x > 1 is answered as 1.1
        req.keepAlive = req.minorVersion == 1;
        return 0;
    }

    private static int headers(HttpRequest req, int len, int i, long maxBody) {
        int hosts = 0;
        long contentLength = -1;
        boolean transferEncoding = false;
        while (true) {
            int c = at(req, len, i);
            if (c == '\r' || c == '\n') {
                break; // the blank line: findHeadEnd guarantees it is the last
            }
            if (c == ' ' || c == '\t') {
                return fail(req, HttpStatus.BAD_REQUEST, "obsolete line folding is not accepted");
            }
            int nameStart = i;
            while (tchar(at(req, len, i))) {
                i++;
            }
            if (i == nameStart || at(req, len, i) != ':') {
                return fail(req, HttpStatus.BAD_REQUEST, "a header field must be a token name, ':' and a value");
            }
            int nameEnd = i++;
            while (at(req, len, i) == ' ' || at(req, len, i) == '\t') {
                i++;
            }
            int valueStart = i;
            int valueEnd = i;
            for (c = at(req, len, i); c != '\r' && c != '\n'; c = at(req, len, ++i)) {
                if (c < 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
                    return fail(req, HttpStatus.BAD_REQUEST, "a header field value contains a control character");
                }
                if (c != ' ' && c != '\t') {
                    valueEnd = i + 1;
                }
            }
            i = lineEnd(req, len, i);
            if (i < 0) {
                return fail(req, HttpStatus.BAD_REQUEST, "a CR must be followed by LF");
            }
            if (req.headerCount == HttpRequest.MAX_HEADERS) {
                return fail(req, HttpStatus.HEADER_FIELDS_TOO_LARGE, "more than " + HttpRequest.MAX_HEADERS + " header fields");
            }
            int[] h = req.headers;
            int at = 4 * req.headerCount++;
            h[at] = nameStart;
            h[at + 1] = nameEnd;
            h[at + 2] = valueStart;
            h[at + 3] = valueEnd;

            if (req.equalsAscii(nameStart, nameEnd, "content-length", true)) {
                long value = contentLength(req, valueStart, valueEnd);
                if (value == -1 || (contentLength >= 0 && value != contentLength)) {
                    return fail(req, HttpStatus.BAD_REQUEST, "Content-Length must be one decimal number");
                }
                if (value == -2) {
                    return fail(req, HttpStatus.CONTENT_TOO_LARGE, "the body is larger than " + maxBody + " bytes");
                }
                contentLength = value;
            } else if (req.equalsAscii(nameStart, nameEnd, "transfer-encoding", true)) {
                transferEncoding = true;
            } else if (req.equalsAscii(nameStart, nameEnd, "host", true)) {
                hosts++;
            } else if (req.equalsAscii(nameStart, nameEnd, "connection", true)) {
                connection(req, valueStart, valueEnd);
            } else if (req.equalsAscii(nameStart, nameEnd, "expect", true)) {
                req.expectContinue = req.equalsAscii(valueStart, valueEnd, "100-continue", true);
            }
        }
        if (transferEncoding) {
            return fail(req, HttpStatus.NOT_IMPLEMENTED, "Transfer-Encoding (chunked request bodies) is not supported: send Content-Length");
        }
        if (hosts > 1 || (hosts == 0 && req.minorVersion == 1)) {
            return fail(req, HttpStatus.BAD_REQUEST, "an HTTP/1.1 request needs exactly one Host header field");
        }
        if (contentLength > maxBody) {
            return fail(req, HttpStatus.CONTENT_TOO_LARGE, "the body is larger than " + maxBody + " bytes");
        }
        req.contentLength = Math.max(contentLength, 0);
        return 0;
    }

    /** The value as a number; -1 when it is not a decimal number, -2 when it has more than 18 digits. */
    private static long contentLength(HttpRequest req, int from, int to) {
        if (from == to) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = req.at(i) - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            if (i - from == 18) {
                return -2;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** Connection: a comma-separated token list; "close" wins over "keep-alive". */
    private static void connection(HttpRequest req, int from, int to) {
        int i = from;
        while (i < to) {
            while (i < to && (req.at(i) == ' ' || req.at(i) == '\t' || req.at(i) == ',')) {
                i++;
            }
            int tokenStart = i;
            while (i < to && req.at(i) != ',' && req.at(i) != ' ' && req.at(i) != '\t') {
                i++;
            }
            if (req.equalsAscii(tokenStart, i, "close", true)) {
                req.keepAlive = false;
                return;
            }
            if (req.equalsAscii(tokenStart, i, "keep-alive", true)) {
                req.keepAlive = true;
            }
        }
    }

    /**
     * Splits the target into path and query. Origin-form ({@code /p?q}) is the norm; absolute-form
     * ({@code http://host/p?q}) must be accepted too (RFC 9112 §3.2.2); {@code *} is kept as the path.
     */
    private static boolean splitTarget(HttpRequest req) {
        int start = req.targetStart;
        int end = req.targetEnd;
        int pathStart = start;
        if (req.at(start) != '/' && !(end - start == 1 && req.at(start) == '*')) {
            int scheme = req.equalsAscii(start, Math.min(start + 7, end), "http://", true) ? 7
                    : req.equalsAscii(start, Math.min(start + 8, end), "https://", true) ? 8 : 0;
            if (scheme == 0) {
                return false;
            }
            pathStart = start + scheme;
            while (pathStart < end && req.at(pathStart) != '/' && req.at(pathStart) != '?') {
                pathStart++;
            }
        }
        int pathEnd = pathStart;
        while (pathEnd < end && req.at(pathEnd) != '?') {
            pathEnd++;
        }
        boolean noPath = pathEnd == pathStart;
        req.pathStart = noPath ? -1 : pathStart;
        req.pathEnd = noPath ? -1 : pathEnd;
        req.queryStart = pathEnd < end ? pathEnd + 1 : -1;
        return true;
    }

    /** The offset after the line end (CRLF or LF) at {@code i}, or -1 when there is none. */
    private static int lineEnd(HttpRequest req, int len, int i) {
        int c = at(req, len, i);
        if (c == '\n') {
            return i + 1;
        }
        return c == '\r' && at(req, len, i + 1) == '\n' ? i + 2 : -1;
    }

    /** The unsigned byte at head offset {@code i}, or -1 past the head. */
    private static int at(HttpRequest req, int len, int i) {
        return i < len ? req.at(i) & 0xFF : -1;
    }

    private static boolean tchar(int c) {
        return c >= 0 && TCHAR[c];
    }

    private static boolean digit(int c) {
        return c >= '0' && c <= '9';
    }

    private static int fail(HttpRequest req, int status, String why) {
        req.error = why;
        return status;
    }
}
