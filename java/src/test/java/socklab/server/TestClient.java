package socklab.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A raw HTTP/1.1 client on a JDK socket (independent of the binding under test) that sends exactly the
 * bytes it is given and counts what goes each way, so tests can compare with the server's counters.
 * Every read has a 10 s timeout: a server that never answers fails the test instead of hanging it.
 * Public for the tests of other packages that talk to a server (socklab.experiment, socklab.proc).
 */
public final class TestClient implements Closeable {
    static final int READ_TIMEOUT_MILLIS = 10_000;

    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String worker() {
            return header("X-Worker");
        }

        /** The pid in a worker process's X-Worker id ({@code 4711.0}): the process that answered. */
        public long workerPid() {
            return Long.parseLong(worker().substring(0, worker().indexOf('.')));
        }
    }

    /** {@code counter} summed over the {@code workers} of a /stats answer (with --processes, over every process). */
    public static long total(JsonNode stats, String counter) {
        long sum = 0;
        for (JsonNode w : stats.get("workers")) {
            sum += w.get(counter).asLong();
        }
        return sum;
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    long sent;
    long received;

    public TestClient(InetSocketAddress address) {
        try {
            socket = new Socket(address.getAddress(), address.getPort());
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException("connect to " + address, e);
        }
    }

    /** The client's own port: how ss and sock_diag tell its connection from the others. */
    public int localPort() {
        return socket.getLocalPort();
    }

    /** The bytes of {@code GET target} with the one header HTTP/1.1 requires. */
    public static String request(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: socklab\r\n\r\n";
    }

    /** Sends {@code raw} in one write. */
    public TestClient send(String raw) {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    public TestClient send(byte[] raw) {
        try {
            out.write(raw);
            out.flush();
            sent += raw.length;
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response get(String target) {
        return send(request(target)).read();
    }

    /** Reads one response framed by Content-Length (every socklab response has one). */
    public Response read() {
        return read(false);
    }

    /** As {@link #read()}, for the answer to a HEAD request: no body follows the head. */
    public Response read(boolean head) {
        String statusLine = line();
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new AssertionError("not a status line: '" + statusLine + "'");
        }
        Map<String, String> headers = new TreeMap<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = bytes(length);
        return new Response(Integer.parseInt(statusLine.substring(9, 12)), headers, new String(body, StandardCharsets.UTF_8));
    }

    /**
     * True when the server closed its side gracefully: the next read sees end of stream within the
     * timeout. A reset fails the test: it can destroy a response before the client reads it.
     */
    public boolean finishedByServer() {
        return closedByServer(false);
    }

    /** True when the server closed its side: the next read sees end of stream (or a reset) within the timeout. */
    public boolean closedByServer() {
        return closedByServer(true);
    }

    private boolean closedByServer(boolean resetCounts) {
        try {
            int b = in.read();
            if (b >= 0) {
                throw new AssertionError("expected the server to close, got more bytes starting with " + b);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            if (resetCounts) {
                return true; // a reset is a close too
            }
            throw new AssertionError("the server reset the connection instead of closing it: " + e, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String line() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = next();
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }

    private byte[] bytes(int n) {
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) next();
        }
        return bytes;
    }

    private int next() {
        try {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the server closed the connection in the middle of a response");
            }
            received++;
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
