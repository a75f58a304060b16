package socklab.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Splits what a server sent on one connection into its responses and checks that each is well formed:
 * a status line, header fields, a blank line, and as many body bytes as Content-Length says (none for
 * a 100 Continue or for the answer to a HEAD request), with nothing left over.
 */
public final class ResponseStream {
    private ResponseStream() {}

    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 [1-5]\\d\\d [A-Za-z -]+");

    /**
     * @param statuses the final responses' status codes, in order
     * @param interim  how many 100 Continue responses came between them
     * @param error    what is malformed, or null
     */
    public record Parsed(List<Integer> statuses, int interim, String error) {}

    /** Parses {@code out}; {@code heads} says, for each request a handler answered, whether it was HEAD. */
    public static Parsed parse(byte[] out, List<Boolean> heads) {
        List<Integer> statuses = new ArrayList<>();
        int interim = 0;
        int at = 0;
        while (at < out.length) {
            int lineEnd = lineEnd(out, at);
            String statusLine = lineEnd < 0 ? "" : new String(out, at, lineEnd - at, StandardCharsets.ISO_8859_1);
            if (!STATUS_LINE.matcher(statusLine).matches()) {
                return new Parsed(statuses, interim, "not a status line at byte " + at + ": '" + statusLine + "'");
            }
            int status = Integer.parseInt(statusLine.substring(9, 12));
            at = lineEnd + 2;
            long length = -1;
            while (true) {
                lineEnd = lineEnd(out, at);
                if (lineEnd < 0) {
                    return new Parsed(statuses, interim, "a response head without its blank line");
                }
                if (lineEnd == at) {
                    at += 2;
                    break;
                }
                String field = new String(out, at, lineEnd - at, StandardCharsets.ISO_8859_1);
                if (field.toLowerCase(Locale.ROOT).startsWith("content-length: ")) {
                    length = Long.parseLong(field.substring(16));
                }
                at = lineEnd + 2;
            }
            if (status == HttpStatus.CONTINUE) {
                interim++;
                continue;
            }
            if (length < 0) {
                return new Parsed(statuses, interim, "a " + status + " response without Content-Length");
            }
            boolean head = statuses.size() < heads.size() && heads.get(statuses.size());
            long body = head ? 0 : length;
            if (at + body > out.length) {
                return new Parsed(statuses, interim, "a " + status + " response cut short: " + (out.length - at) + " of " + body + " body bytes");
            }
            at += (int) body;
            statuses.add(status);
        }
        return new Parsed(statuses, interim, null);
    }

    private static int lineEnd(byte[] out, int from) {
        for (int i = from; i + 1 < out.length; i++) {
            if (out[i] == '\r' && out[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
