package socklab.load;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResponseParserTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nx-worker:  w7 \r\n\r\nhello\n";

    private final WorkerTable workers = new WorkerTable();
    private final ResponseParser parser = new ResponseParser();

    /** Bytes fed when the parser last stopped asking for more. */
    private int fed;

    /** Feeds {@code text} in pieces of {@code piece} bytes until the parser is done with it; returns its verdict. */
    private int feed(String text, int piece) {
        parser.reset();
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        int result = ResponseParser.MORE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, bytes.length));
            for (fed = 0; fed < bytes.length && result == ResponseParser.MORE; fed += piece) {
                int n = Math.min(piece, bytes.length - fed);
                MemorySegment.copy(bytes, fed, buf, ValueLayout.JAVA_BYTE, 0, n);
                result = parser.feed(buf, n, workers);
            }
        }
        fed = Math.min(fed, bytes.length);
        return result;
    }

    @Test
    void completesAtTheLastByteWhateverTheSplit() {
        for (int piece = 1; piece <= OK.length(); piece++) {
            assertEquals(ResponseParser.COMPLETE, feed(OK, piece), "pieces of " + piece);
            assertEquals(OK.length(), fed, "complete only with the last byte");
            assertEquals(200, parser.status());
            assertEquals("w7", workers.name(parser.worker()));
            assertFalse(parser.closeAfter());
        }
        assertEquals(3, workers.size(), "one id, seen many times, plus (none) and (other)");
    }

    @Test
    void statusCloseAndHttp10() {
        assertEquals(ResponseParser.COMPLETE, feed("HTTP/1.1 503 Busy\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n", 7));
        assertEquals(503, parser.status());
        assertTrue(parser.closeAfter());
        assertEquals(WorkerTable.NONE, parser.worker());
        assertEquals(ResponseParser.COMPLETE, feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 100));
        assertTrue(parser.closeAfter(), "HTTP/1.0 closes unless keep-alive");
        assertEquals(ResponseParser.COMPLETE, feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", 100));
        assertFalse(parser.closeAfter());
        assertEquals(ResponseParser.COMPLETE, feed("HTTP/1.1 204 No Content\r\n\r\n", 3));
        assertEquals(ResponseParser.COMPLETE, feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", 100));
    }

    @Test
    void withoutLengthTheBodyRunsToTheEndOfTheStream() {
        assertEquals(ResponseParser.MORE, feed("HTTP/1.1 200 OK\r\n\r\nsome body", 4));
        assertTrue(parser.closeAfter());
        assertEquals(ResponseParser.COMPLETE, parser.endOfStream());
        assertEquals(ResponseParser.MORE, feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100));
        assertEquals(ResponseParser.BAD, parser.endOfStream(), "cut short");
    }

    @Test
    void rejectsWhatItCannotCount() {
        for (String bad : List.of("garbage\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")) {
            assertEquals(ResponseParser.BAD, feed(bad, 5), bad);
            assertTrue(parser.problem() != null && !parser.problem().isEmpty(), bad);
        }
        // More bytes than the length in the same read: socklab never pipelines, so they are an error.
        assertEquals(ResponseParser.BAD, feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc", 100));
        assertTrue(parser.problem().contains("after the response"));
        assertEquals(ResponseParser.BAD, feed("HTTP/1.1 200 OK\r\nX: " + "y".repeat(ResponseParser.HEAD_LIMIT) + "\r\n\r\n", 1000));
        assertTrue(parser.problem().contains("larger than"));
    }

    @Test
    void resetStartsTheNextResponseAfresh() {
        assertEquals(ResponseParser.COMPLETE, feed(OK, 10));
        assertEquals(ResponseParser.COMPLETE, feed("HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n", 10));
        assertEquals(404, parser.status());
        assertEquals(WorkerTable.NONE, parser.worker());
        parser.reset();
        assertFalse(parser.started());
    }

    @Test
    void workerTableKeepsIdsApartAndCapsThem() {
        WorkerTable table = new WorkerTable();
        byte[] a = "xa-1y".getBytes(StandardCharsets.US_ASCII);
        byte[] b = "a-10".getBytes(StandardCharsets.US_ASCII);
        int first = table.indexOf(a, 1, 4);
        assertEquals(first, table.indexOf("a-1".getBytes(StandardCharsets.US_ASCII), 0, 3));
        assertTrue(first != table.indexOf(b, 0, 4));
        assertEquals("a-1", table.name(first));
        for (int i = 0; table.size() < WorkerTable.MAX_IDS + 2; i++) {
            byte[] id = ("id" + i).getBytes(StandardCharsets.US_ASCII);
            table.indexOf(id, 0, id.length);
        }
        byte[] more = "one-too-many".getBytes(StandardCharsets.US_ASCII);
        assertEquals(WorkerTable.OTHER, table.indexOf(more, 0, more.length));
        assertEquals(WorkerTable.OTHER_NAME, table.name(WorkerTable.OTHER));
    }

    @Test
    void interleavingSpreadsTheHeavyPath() {
        int[] order = RequestPath.interleave(List.of(new RequestPath("/light", 99), new RequestPath("/heavy", 1)));
        assertEquals(100, order.length);
        assertEquals(1, java.util.Arrays.stream(order).filter(i -> i == 1).count());
        int[] even = RequestPath.interleave(List.of(new RequestPath("/a", 2), new RequestPath("/b", 2)));
        assertEquals(List.of(0, 1, 0, 1), java.util.Arrays.stream(even).boxed().toList());
    }
}
