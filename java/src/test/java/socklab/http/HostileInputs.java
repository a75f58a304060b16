package socklab.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Bad and hostile requests: a corpus of named cases with the answer each must get, and a seeded
 * fuzzer that mutates valid requests. Every input is sent whole and followed by the client's end of
 * stream, so "no answer" means the server closed the connection without one (it waited for more of
 * a request that never came).
 *
 * <p>What may come back: a status from {@link #ALLOWED} (valid requests the fuzzer produced by chance
 * are answered 200, 404 or 405 like any other; bad ones 400, 413, 431, 501 or 505), 100 Continue
 * before a body, or nothing and a close. Never 500 (a handler or the encoder failed) or a 408 (no
 * time passes in these runs).
 */
public final class HostileInputs {
    private HostileInputs() {}

    public static final List<Integer> ALLOWED = List.of(200, 400, 404, 405, 413, 431, 501, 505);

    /** One named input and the statuses of the responses it must get, in order (none: a close). */
    public record Case(String name, byte[] bytes, List<Integer> statuses) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String HOST = "Host: socklab\r\n";

    private static Case of(String name, String raw, Integer... statuses) {
        return new Case(name, raw.getBytes(StandardCharsets.ISO_8859_1), List.of(statuses));
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\n" + HOST + "\r\n";
    }

    private static String withLength(String method, String length, String body) {
        return method + " / HTTP/1.1\r\n" + HOST + "Content-Length: " + length + "\r\n\r\n" + body;
    }

    /** The corpus; the limits are {@link HttpLimits#DEFAULTS} (8 KiB head, 1 MiB body, 100 header fields). */
    public static List<Case> corpus() {
        byte[] binary = new byte[300];
        new SplittableRandom(1).nextBytes(binary);
        String garbage = new String(binary, StandardCharsets.ISO_8859_1);
        String tlsHello = "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003" + garbage.substring(0, 64);
        String exactHead = fill(get("/").length(), 8192);
        List<Case> cases = new ArrayList<>(List.of(
                of("truncated request line", "GET / HT"),
                of("truncated head", "GET / HTTP/1.1\r\nHost: sock"),
                of("truncated body", withLength("POST", "10", "abc")),
                of("only empty lines", "\r\n\n\r\n"),
                of("binary garbage, then a blank line", garbage + "\r\n\r\n", 400),
                of("a TLS ClientHello on the plain port", tlsHello),
                of("NUL in the target", "GET /\0 HTTP/1.1\r\n" + HOST + "\r\n", 400),
                of("NUL in a field name", "GET / HTTP/1.1\r\n" + HOST + "X\0Y: 1\r\n\r\n", 400),
                of("NUL in a field value", "GET / HTTP/1.1\r\n" + HOST + "X: a\0b\r\n\r\n", 400),
                of("byte 0xff in the target", "GET /\u00ff HTTP/1.1\r\n" + HOST + "\r\n", 400),
                of("bare CR as a line end", "GET / HTTP/1.1\r" + HOST + "\r\n", 400),
                of("head of exactly 8192 bytes", exactHead, 200),
                of("head of 8193 bytes", fill(get("/").length(), 8193), 431),
                of("one 9000-byte field", "GET / HTTP/1.1\r\n" + HOST + "X: " + "a".repeat(9000) + "\r\n\r\n", 431),
                of("a method of 10000 letters", "A".repeat(10_000) + " / HTTP/1.1\r\n" + HOST + "\r\n", 431),
                of("100 header fields", manyFields(99), 200),
                of("101 header fields", manyFields(100), 431),
                of("Content-Length not a number", withLength("POST", "abc", ""), 400),
                of("Content-Length negative", withLength("POST", "-1", ""), 400),
                of("Content-Length with a plus sign", withLength("POST", "+5", "hello"), 400),
                of("Content-Length empty", withLength("POST", "", ""), 400),
                of("Content-Length as a list", withLength("POST", "5, 5", "hello"), 400),
                of("Content-Length of 20 digits", withLength("POST", "99999999999999999999", ""), 413),
                of("Content-Length 2^63", withLength("POST", "9223372036854775808", ""), 413),
                of("Content-Length over the body limit", withLength("POST", "2000000", ""), 413),
                of("two different Content-Lengths", "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
                of("two equal Content-Lengths (allowed; POST / is then 405)",
                        "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 405),
                of("Content-Length with Transfer-Encoding",
                        "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
                of("Transfer-Encoding: chunked", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
                of("Transfer-Encoding with a space before the colon",
                        "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
                of("/work?us=abc", get("/work?us=abc"), 400),
                of("/work?us=-1", get("/work?us=-1"), 400),
                of("/work?us=1e3", get("/work?us=1e3"), 400),
                of("/work?us= (empty)", get("/work?us="), 400),
                of("/work?us=10^15", get("/work?us=1000000000000000"), 400),
                of("/sleep?ms=-5", get("/sleep?ms=-5"), 400),
                of("/sleep?ms=2^64", get("/sleep?ms=18446744073709551616"), 400),
                of("/sleep?ms=%31 (not decoded)", get("/sleep?ms=%31"), 400),
                of("unknown method on a known path", "FOO / HTTP/1.1\r\n" + HOST + "\r\n", 405),
                of("unknown method on an unknown path", "FOO /nope HTTP/1.1\r\n" + HOST + "\r\n", 404),
                of("lower-case method", "get / HTTP/1.1\r\n" + HOST + "\r\n", 405),
                of("CONNECT with an authority target", "CONNECT socklab:443 HTTP/1.1\r\n" + HOST + "\r\n", 400),
                of("a request line without a version", "GET /\r\n\r\n", 400),
                of("HTTP/2.0", "GET / HTTP/2.0\r\n" + HOST + "\r\n", 505),
                of("version HTTP/x.y", "GET / HTTP/x.y\r\n" + HOST + "\r\n", 400),
                of("HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400),
                of("two Host fields", "GET / HTTP/1.1\r\n" + HOST + HOST + "\r\n", 400),
                of("obsolete line folding", "GET / HTTP/1.1\r\n" + HOST + "X: a\r\n b\r\n\r\n", 400),
                of("space before a colon", "GET / HTTP/1.1\r\nHost : socklab\r\n\r\n", 400),
                of("a field name with '('", "GET / HTTP/1.1\r\n" + HOST + "X(: 1\r\n\r\n", 400),
                of("a good request, then garbage", get("/") + "GARBAGE\r\n\r\n", 200, 400),
                of("a bad query, then a good request", get("/work?us=x") + get("/"), 400, 200),
                of("Connection: close, then a request that is dropped",
                        "GET / HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n" + get("/"), 200)));
        return cases;
    }

    /** A GET / head padded with one field to exactly {@code size} bytes. */
    private static String fill(int bare, int size) {
        String field = "X: ";
        int pad = size - bare - field.length() - 2;
        return "GET / HTTP/1.1\r\n" + HOST + field + "a".repeat(pad) + "\r\n\r\n";
    }

    /** GET / with Host and {@code extra} more fields. */
    private static String manyFields(int extra) {
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\n" + HOST);
        for (int i = 0; i < extra; i++) {
            head.append("X-").append(i).append(": ").append(i).append("\r\n");
        }
        return head.append("\r\n").toString();
    }

    // The fuzzer: valid requests, mutated one to four times.

    private static final byte[][] TEMPLATES = ascii(
            get("/"),
            get("/work?us=10"),
            "GET /sleep?ms=1 HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n",
            withLength("POST", "5", "hello"),
            "GET /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            "GET /work?us=1&x=2 HTTP/1.1\r\n" + HOST + "Accept: */*\r\nUser-Agent: fuzz/1.0\r\n\r\n",
            "HEAD / HTTP/1.1\r\n" + HOST + "\r\n",
            "PUT /sleep?ms=2 HTTP/1.1\r\n" + HOST + "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
            get("/") + get("/work?us=5") + get("/nope"),
            "GET http://socklab/work?us=3 HTTP/1.1\r\n" + HOST + "\r\n");
    private static final byte[][] FIELDS = ascii(
            "Content-Length: 0\r\n", "Content-Length: 7\r\n", "Content-Length: -1\r\n",
            "Content-Length: 18446744073709551616\r\n", "Content-Length: 2000000\r\n", "Transfer-Encoding: chunked\r\n",
            HOST, "Connection: close\r\n", "Connection: keep-alive\r\n", "Expect: 100-continue\r\n", "X:\r\n",
            ": empty name\r\n", "X: \u0001\r\n", " folded\r\n");
    private static final byte[][] NUMBERS = ascii(
            "0", "-1", "+5", "007", "1e3", "", " 12", "99999999999999999999", "9223372036854775808", "1000000000000000",
            "4294967296", "12abc", "0x10");
    private static final byte[][] METHODS = ascii(
            "FOO", "get", "GE T", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "\u00c4", "A".repeat(100), "");
    private static final byte[][] LINE_ENDS = ascii("\n", "\r", "\r\r\n", "\n\r", "\r\n\r\n", "");
    /** Bytes a mutation likes to insert: delimiters, controls, and the high half. */
    private static final byte[] SPICE = {0, '\r', '\n', ' ', '\t', ':', '/', '?', '=', '&', '%', ',', '"', 0x7f, (byte) 0x80,
            (byte) 0xff, '0', '9', '-', '+'};
    private static final int MAX_INPUT = 24 * 1024;

    /** One fuzzed input from {@code random}: the same seed gives the same sequence of inputs. */
    public static byte[] fuzz(SplittableRandom random) {
        if (random.nextInt(20) == 0) {
            byte[] noise = new byte[random.nextInt(1, 400)];
            random.nextBytes(noise);
            return random.nextBoolean() ? noise : concat(noise, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        byte[] input = TEMPLATES[random.nextInt(TEMPLATES.length)];
        for (int m = 1 + random.nextInt(4); m > 0; m--) {
            input = mutate(input, random);
            if (input.length > MAX_INPUT) {
                input = Arrays.copyOf(input, MAX_INPUT);
            }
        }
        return input;
    }

    private static byte[] mutate(byte[] in, SplittableRandom r) {
        int at = r.nextInt(in.length + 1);
        int to = Math.min(in.length, at + r.nextInt(1, 32));
        return switch (r.nextInt(10)) {
            case 0 -> { // one byte changed
                byte[] out = in.clone();
                if (out.length > 0) {
                    out[Math.min(at, out.length - 1)] = r.nextBoolean() ? SPICE[r.nextInt(SPICE.length)] : (byte) r.nextInt(256);
                }
                yield out;
            }
            case 1 -> { // a few bytes inserted
                byte[] spice = new byte[r.nextInt(1, 9)];
                for (int i = 0; i < spice.length; i++) {
                    spice[i] = SPICE[r.nextInt(SPICE.length)];
                }
                yield splice(in, at, at, spice);
            }
            case 2 -> splice(in, at, to, new byte[0]); // a range deleted
            case 3 -> { // a range repeated up to 400 times: long values, many fields
                byte[] range = Arrays.copyOfRange(in, at, to);
                ByteArrayOutputStream many = new ByteArrayOutputStream();
                for (int i = r.nextInt(2, 400); i > 0 && many.size() < MAX_INPUT; i--) {
                    many.writeBytes(range);
                }
                yield splice(in, at, at, many.toByteArray());
            }
            case 4 -> Arrays.copyOf(in, at); // truncated
            case 5 -> splice(in, afterFirstLine(in), afterFirstLine(in), FIELDS[r.nextInt(FIELDS.length)]);
            case 6 -> replaceRun(in, r, b -> b >= '0' && b <= '9', NUMBERS[r.nextInt(NUMBERS.length)]);
            case 7 -> replaceRun(in, r, b -> b >= 'A' && b <= 'Z', METHODS[r.nextInt(METHODS.length)]);
            case 8 -> replaceLineEnd(in, r);
            default -> { // a field repeated 80 to 120 times: about the 100-field limit
                ByteArrayOutputStream fields = new ByteArrayOutputStream();
                for (int i = r.nextInt(80, 121); i > 0; i--) {
                    fields.writeBytes(("X-" + i + ": v\r\n").getBytes(StandardCharsets.US_ASCII));
                }
                yield splice(in, afterFirstLine(in), afterFirstLine(in), fields.toByteArray());
            }
        };
    }

    private interface BytePredicate {
        boolean test(byte b);
    }

    /** Replaces one run of bytes that are {@code part} of it (a number, a word) with {@code with}. */
    private static byte[] replaceRun(byte[] in, SplittableRandom r, BytePredicate part, byte[] with) {
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < in.length; i++) {
            if (part.test(in[i]) && (i == 0 || !part.test(in[i - 1]))) {
                starts.add(i);
            }
        }
        if (starts.isEmpty()) {
            return in;
        }
        int from = starts.get(r.nextInt(starts.size()));
        int to = from;
        while (to < in.length && part.test(in[to])) {
            to++;
        }
        return splice(in, from, to, with);
    }

    /** Replaces one CRLF with another line ending, or none. */
    private static byte[] replaceLineEnd(byte[] in, SplittableRandom r) {
        List<Integer> crlfs = new ArrayList<>();
        for (int i = 0; i + 1 < in.length; i++) {
            if (in[i] == '\r' && in[i + 1] == '\n') {
                crlfs.add(i);
            }
        }
        if (crlfs.isEmpty()) {
            return in;
        }
        int at = crlfs.get(r.nextInt(crlfs.size()));
        return splice(in, at, at + 2, LINE_ENDS[r.nextInt(LINE_ENDS.length)]);
    }

    private static int afterFirstLine(byte[] in) {
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '\n') {
                return i + 1;
            }
        }
        return in.length;
    }

    private static byte[] splice(byte[] in, int from, int to, byte[] with) {
        byte[] out = new byte[in.length - (to - from) + with.length];
        System.arraycopy(in, 0, out, 0, from);
        System.arraycopy(with, 0, out, from, with.length);
        System.arraycopy(in, to, out, from + with.length, in.length - to);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return splice(a, a.length, a.length, b);
    }

    private static byte[][] ascii(String... texts) {
        return Arrays.stream(texts).map(t -> t.getBytes(StandardCharsets.ISO_8859_1)).toArray(byte[][]::new);
    }

    /** An input as Java string text, for a failure message someone can paste into a test. */
    public static String escape(byte[] input) {
        StringBuilder s = new StringBuilder("\"");
        for (byte b : input) {
            int c = b & 0xff;
            switch (c) {
                case '\r' -> s.append("\\r");
                case '\n' -> s.append("\\n");
                case '\t' -> s.append("\\t");
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                default -> s.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c));
            }
        }
        return s.append('"').toString();
    }
}
