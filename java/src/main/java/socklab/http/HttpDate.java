package socklab.http;

import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date:} header line (RFC 9110 §6.6.1: an origin server with a clock must send it), encoded
 * once a second and shared by all threads. The race between two threads refreshing it at the turn of a
 * second is benign: both build the same line, and the pair (second, bytes) is one immutable object.
 */
final class HttpDate {
    private HttpDate() {}

    /** IMF-fixdate (RFC 9110 §5.6.7): two-digit day, English names, always GMT. */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private record Stamp(long second, MemorySegment line) {}

    private static volatile Stamp current = stamp(System.currentTimeMillis() / 1000);

    /** {@code Date: Thu, 27 Nov 2026 21:20:55 GMT\r\n} for the current second. */
    static MemorySegment line() {
        long second = System.currentTimeMillis() / 1000;
        Stamp s = current;
        if (s.second != second) {
            s = stamp(second);
            current = s;
        }
        return s.line;
    }

    private static Stamp stamp(long second) {
        String date = IMF_FIXDATE.format(Instant.ofEpochSecond(second));
        return new Stamp(second, MemorySegment.ofArray(("Date: " + date + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }
}
