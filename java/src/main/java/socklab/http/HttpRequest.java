package socklab.http;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One parsed request, as a view on the connection's input buffer: the parser records offsets, and
 * nothing is copied or decoded until a handler asks for it. The object belongs to its connection and
 * is reused for every request on it, so a handler must not keep it (or a segment from it) after
 * returning.
 *
 * <p>The accessors that routing and the built-in handlers use ({@link #isMethod}, {@link #pathEquals},
 * {@link #queryLong}) compare bytes in place and allocate nothing; those that return a String allocate.
 * The path is matched as sent, without percent-decoding.
 */
public final class HttpRequest {
    /** Header fields kept per request; a request with more gets 431 (nginx keeps no such count, but bounds the bytes). */
    static final int MAX_HEADERS = 100;

    private static final String[] KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

    MemorySegment buf;
    /** Where the head starts in {@link #buf}; every offset below is relative to it, so compaction only moves this. */
    int base;
    int methodEnd;
    int targetStart;
    int targetEnd;
    /** Path and query, relative to base; pathStart -1 means an absolute-form target without a path: "/". */
    int pathStart;
    int pathEnd;
    int queryStart;
    int minorVersion;
    boolean keepAlive;
    boolean expectContinue;
    long contentLength;
    int headerCount;
    final int[] headers = new int[MAX_HEADERS * 4];
    MemorySegment body = MemorySegment.NULL;
    /** Why the parser rejected the request, for the error response's body. */
    String error;

    void reset(MemorySegment buf, int base) {
        this.buf = buf;
        this.base = base;
        methodEnd = 0;
        pathStart = 0;
        pathEnd = 0;
        queryStart = -1;
        minorVersion = 1;
        keepAlive = true;
        expectContinue = false;
        contentLength = 0;
        headerCount = 0;
        body = MemorySegment.NULL;
        error = null;
    }

    byte at(int relative) {
        return buf.get(ValueLayout.JAVA_BYTE, base + relative);
    }

    /** The method as sent: {@code GET}. Known methods come back as constants, without allocating. */
    public String method() {
        for (String known : KNOWN_METHODS) {
            if (isMethod(known)) {
                return known;
            }
        }
        return text(0, methodEnd);
    }

    /** Whether the method is {@code method} (case-sensitive, as RFC 9110 §9.1 says). */
    public boolean isMethod(String method) {
        return equalsAscii(0, methodEnd, method, false);
    }

    /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
    public int minorVersion() {
        return minorVersion;
    }

    /** Whether the connection stays open after this request (HTTP/1.1 unless "close"; 1.0 only with "keep-alive"). */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** The path, without the query: {@code /work}. */
    public String path() {
        return pathStart < 0 ? "/" : text(pathStart, pathEnd);
    }

    /** Whether the path is exactly {@code path}, compared in place. */
    public boolean pathEquals(byte[] path) {
        if (pathStart < 0) {
            return path.length == 1 && path[0] == '/';
        }
        if (pathEnd - pathStart != path.length) {
            return false;
        }
        for (int i = 0; i < path.length; i++) {
            if (at(pathStart + i) != path[i]) {
                return false;
            }
        }
        return true;
    }

    /** The query after {@code ?}, or null when there is none. */
    public String query() {
        return queryStart < 0 ? null : text(queryStart, targetEnd);
    }

    /**
     * The decimal value of query parameter {@code name}, or {@code absent} when the query has no such
     * parameter. A value that is not a non-negative decimal number below 10^15 is the client's mistake:
     * {@link HttpException} with 400, naming the parameter.
     */
    public long queryLong(String name, long absent) {
        if (queryStart < 0) {
            return absent;
        }
        int i = queryStart;
        while (i < targetEnd) {
            int end = i;
            while (end < targetEnd && at(end) != '&') {
                end++;
            }
            int eq = i + name.length();
            if (eq < end && at(eq) == '=' && equalsAscii(i, eq, name, false)) {
                return decimal(eq + 1, end, name);
            }
            i = end + 1;
        }
        return absent;
    }

    private long decimal(int from, int to, String name) {
        if (from == to || to - from > 15) {
            throw new HttpException(HttpStatus.BAD_REQUEST, "query parameter " + name + " must be a number below 10^15");
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = at(i) - '0';
            if (digit < 0 || digit > 9) {
                throw new HttpException(HttpStatus.BAD_REQUEST, "query parameter " + name + " must be a non-negative decimal number");
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** The value of the first header field called {@code name} (case-insensitive), trimmed; null when absent. */
    public String header(String name) {
        for (int h = 0; h < headerCount; h++) {
            if (equalsAscii(headers[4 * h], headers[4 * h + 1], name, true)) {
                return text(headers[4 * h + 2], headers[4 * h + 3]);
            }
        }
        return null;
    }

    /** Number of header fields. */
    public int headerCount() {
        return headerCount;
    }

    /** The declared body length (0 without Content-Length). */
    public long contentLength() {
        return contentLength;
    }

    /** The body: a view valid until the handler returns (a copy if the handler needs it later). */
    public MemorySegment body() {
        return body;
    }

    boolean equalsAscii(int from, int to, String text, boolean ignoreCase) {
        if (to - from != text.length()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            int b = at(from + i);
            int c = text.charAt(i);
            if (b != c && !(ignoreCase && lower(b) == lower(c))) {
                return false;
            }
        }
        return true;
    }

    static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }

    private String text(int from, int to) {
        byte[] bytes = new byte[to - from];
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, base + from, bytes, 0, bytes.length);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
