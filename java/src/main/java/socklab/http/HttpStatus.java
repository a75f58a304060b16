package socklab.http;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** The status codes socklab sends, with their status lines encoded once (RFC 9110 §15 reason phrases). */
public final class HttpStatus {
    private HttpStatus() {}

    public static final int CONTINUE = 100;
    public static final int OK = 200;
    public static final int BAD_REQUEST = 400;
    public static final int NOT_FOUND = 404;
    public static final int METHOD_NOT_ALLOWED = 405;
    public static final int REQUEST_TIMEOUT = 408;
    public static final int CONTENT_TOO_LARGE = 413;
    public static final int HEADER_FIELDS_TOO_LARGE = 431;
    public static final int INTERNAL_SERVER_ERROR = 500;
    public static final int NOT_IMPLEMENTED = 501;
    public static final int SERVICE_UNAVAILABLE = 503;
    public static final int HTTP_VERSION_NOT_SUPPORTED = 505;

    private static final MemorySegment[] LINES = new MemorySegment[600];

    static {
        define(CONTINUE, "Continue");
        define(OK, "OK");
        define(201, "Created");
        define(204, "No Content");
        define(BAD_REQUEST, "Bad Request");
        define(403, "Forbidden");
        define(NOT_FOUND, "Not Found");
        define(METHOD_NOT_ALLOWED, "Method Not Allowed");
        define(REQUEST_TIMEOUT, "Request Timeout");
        define(409, "Conflict");
        define(CONTENT_TOO_LARGE, "Content Too Large");
        define(422, "Unprocessable Content");
        define(HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large");
        define(INTERNAL_SERVER_ERROR, "Internal Server Error");
        define(NOT_IMPLEMENTED, "Not Implemented");
        define(SERVICE_UNAVAILABLE, "Service Unavailable");
        define(HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported");
    }

    private static void define(int code, String reason) {
        LINES[code] = encode("HTTP/1.1 " + code + " " + reason + "\r\n");
    }

    /** {@code text} as ASCII bytes in a native segment that lives as long as the JVM. */
    static MemorySegment encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return Arena.global().allocate(bytes.length).copyFrom(MemorySegment.ofArray(bytes));
    }

    /** Whether socklab knows how to send {@code code}. */
    public static boolean isKnown(int code) {
        return code >= 0 && code < LINES.length && LINES[code] != null;
    }

    /** {@code HTTP/1.1 200 OK\r\n}. */
    static MemorySegment statusLine(int code) {
        if (!isKnown(code)) {
            throw new IllegalArgumentException("status " + code + " has no reason phrase in HttpStatus");
        }
        return LINES[code];
    }
}
