package socklab.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The head parser on its own, on bytes in a native segment as the connection gives them. */
class HttpParserTest {
    private static final long MAX_BODY = 1 << 20;

    private final Arena arena = Arena.ofAuto();
    private final HttpRequest request = new HttpRequest();

    /** Parses {@code head} placed after some unrelated bytes, as in a buffer holding earlier requests. */
    private int parse(String head) {
        byte[] bytes = ("junk" + head).getBytes(StandardCharsets.ISO_8859_1);
        MemorySegment buf = arena.allocate(bytes.length + 16).copyFrom(MemorySegment.ofArray(bytes));
        int end = HttpParser.findHeadEnd(buf, 4, 4, bytes.length);
        assertEquals(bytes.length, end, "the head ends where the blank line ends");
        return HttpParser.parseHead(buf, 4, end, MAX_BODY, request);
    }

    @Test
    void readsMethodPathQueryAndHeadersInPlace() {
        assertEquals(0, parse("GET /work?us=250&x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  spaced value \t\r\n\r\n"));
        assertEquals("GET", request.method());
        assertTrue(request.isMethod("GET"));
        assertEquals("/work", request.path());
        assertTrue(request.pathEquals("/work".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("us=250&x=1", request.query());
        assertEquals(250, request.queryLong("us", -1));
        assertEquals(1, request.queryLong("x", -1));
        assertEquals(-1, request.queryLong("u", -1), "a prefix of a name is not the name");
        assertEquals("spaced value", request.header("x-thing"), "case-insensitive name, trimmed value");
        assertNull(request.header("missing"));
        assertEquals(2, request.headerCount());
        assertEquals(1, request.minorVersion());
        assertTrue(request.keepAlive());
        assertEquals(0, request.contentLength());
    }

    @Test
    void badQueryNumberIsTheClientsMistake() {
        assertEquals(0, parse("GET /sleep?ms=12x HTTP/1.1\r\nHost: a\r\n\r\n"));
        HttpException e = assertThrows(HttpException.class, () -> request.queryLong("ms", 0));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("ms"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "HTTP/1.1 default                 | GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                           | true",
            "HTTP/1.1 close                   | GET / HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n      | false",
            "close in a token list            | GET / HTTP/1.1\\r\\nHost: a\\r\\nConnection: Upgrade, CLOSE\\r\\n\\r\\n | false",
            "HTTP/1.0 default                 | GET / HTTP/1.0\\r\\n\\r\\n                                      | false",
            "HTTP/1.0 keep-alive (ab -k)      | GET / HTTP/1.0\\r\\nConnection: Keep-Alive\\r\\n\\r\\n            | true"})
    void keepAliveFollowsVersionAndConnection(String why, String head, boolean keepAlive) {
        assertEquals(0, parse(head.replace("\\r\\n", "\r\n")), why);
        assertEquals(keepAlive, request.keepAlive(), why);
    }

    @Test
    void absoluteFormTargetsAndBareLineFeedsAreAccepted() {
        assertEquals(0, parse("GET http://example.com/a/b?q=1 HTTP/1.1\nHost: example.com\n\n"));
        assertEquals("/a/b", request.path());
        assertEquals("q=1", request.query());
        assertEquals(0, parse("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"));
        assertEquals("/", request.path());
        assertTrue(request.pathEquals(new byte[] {'/'}));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "lower-case junk              | hello\\r\\n\\r\\n                                                              | 400",
            "two spaces after the method  | GET  / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                                        | 400",
            "target not a path            | GET foo HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                                       | 400",
            "version garbage              | GET / HTTP/x.y\\r\\nHost: a\\r\\n\\r\\n                                         | 400",
            "HTTP/2                       | GET / HTTP/2.0\\r\\nHost: a\\r\\n\\r\\n                                         | 505",
            "space before the colon       | GET / HTTP/1.1\\r\\nHost : a\\r\\n\\r\\n                                        | 400",
            "folded header                | GET / HTTP/1.1\\r\\nHost: a\\r\\nX: 1\\r\\n 2\\r\\n\\r\\n                            | 400",
            "bare CR in a value           | GET / HTTP/1.1\\r\\nHost: a\\rb\\r\\n\\r\\n                                      | 400",
            "no Host in 1.1               | GET / HTTP/1.1\\r\\nX: 1\\r\\n\\r\\n                                            | 400",
            "two Hosts                    | GET / HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n                              | 400",
            "length not a number          | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1e3\\r\\n\\r\\n                  | 400",
            "conflicting lengths          | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 3\\r\\nContent-Length: 4\\r\\n\\r\\n | 400",
            "length over the limit        | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1048577\\r\\n\\r\\n              | 413",
            "length of 19 digits          | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1000000000000000000\\r\\n\\r\\n  | 413",
            "chunked                      | POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n           | 501"})
    void malformedHeadsGetTheirStatusAndAReason(String why, String head, int status) {
        assertEquals(status, parse(head.replace("\\r\\n", "\r\n").replace("\\r", "\r")), why);
        assertFalse(request.error == null || request.error.isEmpty(), why + ": the reason for the body");
    }

    @Test
    void duplicateEqualLengthsAreOne() {
        assertEquals(0, parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n"));
        assertEquals(5, request.contentLength());
    }

    @Test
    void headEndIsFoundOnceWhenBytesArriveOneAtATime() {
        byte[] head = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next".getBytes(StandardCharsets.US_ASCII);
        MemorySegment buf = arena.allocate(head.length).copyFrom(MemorySegment.ofArray(head));
        int scanned = 0;
        int found = -1;
        for (int limit = 1; limit <= head.length && found < 0; limit++) {
            found = HttpParser.findHeadEnd(buf, 0, scanned, limit);
            scanned = limit;
        }
        assertEquals(27, found, "just past the blank line, before the next request");
    }

    @Test
    void emptyLinesBeforeARequestAreSkipped() {
        byte[] bytes = "\r\n\n\r\nGET".getBytes(StandardCharsets.US_ASCII);
        MemorySegment buf = arena.allocate(bytes.length).copyFrom(MemorySegment.ofArray(bytes));
        assertEquals(5, HttpParser.skipEmptyLines(buf, 0, bytes.length));
        assertEquals(0, HttpParser.skipEmptyLines(buf, 0, 1), "a lone CR may be the start of CRLF: wait");
    }
}
