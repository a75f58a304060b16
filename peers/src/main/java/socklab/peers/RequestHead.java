package socklab.peers;

import java.nio.ByteBuffer;

/**
 * The little the NIO peer reads from a request head: where it ends, whether it is {@code GET /},
 * the HTTP/1.x minor version and whether the connection stays open (RFC 9112 §9.3: HTTP/1.1 unless
 * {@code Connection: close}, HTTP/1.0 only with {@code Connection: keep-alive}). Bodies are not read:
 * the peers answer GET only and close after anything else. Works in place on the connection's buffer.
 */
final class RequestHead {
    private RequestHead() {}

    /** The index just past the {@code \r\n\r\n} ending the head that starts at {@code from}, or -1. */
    static int end(ByteBuffer in, int from, int limit) {
        for (int i = from; i + 3 < limit; i++) {
            if (in.get(i + 3) == '\n' && in.get(i + 2) == '\r' && in.get(i + 1) == '\n' && in.get(i) == '\r') {
                return i + 4;
            }
        }
        return -1;
    }

    /** 200 for {@code GET /}, 404 for GET of another path, 405 for any other method. */
    static CannedResponses.Status status(ByteBuffer in, int start, int end) {
        if (!startsWith(in, start, end, "GET ")) {
            return CannedResponses.Status.METHOD_NOT_ALLOWED;
        }
        return startsWith(in, start + 4, end, "/ ") ? CannedResponses.Status.OK : CannedResponses.Status.NOT_FOUND;
    }

    /** The Connection field of the answer to the head in [start, end). */
    static CannedResponses.ConnectionField connection(ByteBuffer in, int start, int end) {
        int lineEnd = lineEnd(in, start, end);
        int minor = lineEnd >= start + 2 && in.get(lineEnd - 1) == '0' && in.get(lineEnd - 2) == '.' ? 0 : 1;
        boolean close = false;
        boolean keepAlive = false;
        for (int line = lineEnd + 2; line < end - 2; line = lineEnd(in, line, end) + 2) {
            if (startsWithIgnoreCase(in, line, end, "connection:")) {
                int valueEnd = lineEnd(in, line, end);
                close |= contains(in, line + 11, valueEnd, "close");
                keepAlive |= contains(in, line + 11, valueEnd, "keep-alive");
            }
        }
        boolean keep = minor == 0 ? keepAlive && !close : !close;
        return CannedResponses.ConnectionField.of(keep, minor);
    }

    private static int lineEnd(ByteBuffer in, int from, int end) {
        for (int i = from; i + 1 < end; i++) {
            if (in.get(i) == '\r' && in.get(i + 1) == '\n') {
                return i;
            }
        }
        return end;
    }

    private static boolean startsWith(ByteBuffer in, int at, int end, String prefix) {
        return matches(in, at, end, prefix, false);
    }

    private static boolean startsWithIgnoreCase(ByteBuffer in, int at, int end, String lowerPrefix) {
        return matches(in, at, end, lowerPrefix, true);
    }

    /** Whether the bytes at {@code at} (before {@code end}) are {@code text}, ASCII case folded to lower case if asked. */
    private static boolean matches(ByteBuffer in, int at, int end, String text, boolean ignoreCase) {
        if (at + text.length() > end) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = (char) in.get(at + i);
            if ((ignoreCase ? Character.toLowerCase(c) : c) != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(ByteBuffer in, int from, int end, String lowerToken) {
        for (int i = from; i + lowerToken.length() <= end; i++) {
            if (startsWithIgnoreCase(in, i, end, lowerToken)) {
                return true;
            }
        }
        return false;
    }
}
