package socklab.experiment;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 request on a connection of its own, with a timeout, and what came of it: a response or
 * one of the failures a retrying client retries on. Written for the experiments rather than taken from
 * the JDK's HttpClient, which retries some requests by itself: here every attempt is the caller's and
 * is counted.
 *
 * @param method  {@code GET}, {@code POST}
 * @param target  the request target, {@code /comments}
 * @param headers extra header fields (Host, Connection and Content-Length are added)
 * @param body    the body (empty for none)
 */
public record HttpCall(String method, String target, Map<String, String> headers, byte[] body) {

    /** What one attempt gave. */
    public sealed interface Outcome {
        /** A complete response; header names in lower case. */
        record Response(int status, Map<String, String> headers, byte[] body) implements Outcome {
            public String header(String name) {
                return headers.get(name.toLowerCase(Locale.ROOT));
            }

            public String bodyText() {
                return new String(body, StandardCharsets.UTF_8);
            }
        }

        /** No (complete) response; {@code detail} says what the socket said. */
        record Failure(FailureKind kind, String detail) implements Outcome {}
    }

    /** Why an attempt has no response. */
    public enum FailureKind {
        /** Nobody listens (the server is down or restarting). */
        REFUSED,
        /** The connection closed or was reset before the response was complete. */
        RESET,
        /** No response within the timeout. */
        TIMEOUT
    }

    /** Sends the request to {@code to} and reads the response; each connect or read waits at most {@code timeout}. */
    public Outcome send(InetSocketAddress to, Duration timeout) {
        int millis = (int) Math.max(1, timeout.toMillis());
        try (Socket socket = new Socket()) {
            socket.connect(to, millis);
            socket.setSoTimeout(millis);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            out.write(head(to).getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            return read(socket.getInputStream());
        } catch (ConnectException e) {
            return new Outcome.Failure(FailureKind.REFUSED, e.getMessage());
        } catch (SocketTimeoutException e) {
            return new Outcome.Failure(FailureKind.TIMEOUT, "no response within " + millis + " ms");
        } catch (EOFException e) {
            return new Outcome.Failure(FailureKind.RESET, e.getMessage());
        } catch (SocketException e) {
            return new Outcome.Failure(FailureKind.RESET, e.getMessage());
        } catch (IOException e) {
            return new Outcome.Failure(FailureKind.RESET, e.toString());
        }
    }

    private String head(InetSocketAddress to) {
        StringBuilder head = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(to.getHostString()).append(':').append(to.getPort()).append("\r\n")
                .append("Connection: close\r\n");
        if (body.length > 0 || method.equals("POST")) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        return head.append("\r\n").toString();
    }

    /** Reads status line, fields and a Content-Length body (or the body up to the close when there is none). */
    private static Outcome read(InputStream in) throws IOException {
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field = line(in); !field.isEmpty(); field = line(in)) {
            int colon = field.indexOf(':');
            if (colon > 0) {
                fields.put(field.substring(0, colon).trim().toLowerCase(Locale.ROOT), field.substring(colon + 1).trim());
            }
        }
        String length = fields.get("content-length");
        byte[] body = length == null ? in.readAllBytes() : in.readNBytes(Integer.parseInt(length));
        if (length != null && body.length < Integer.parseInt(length)) {
            throw new EOFException("the connection closed after " + body.length + " of " + length + " body bytes");
        }
        return new Outcome.Response(status, fields, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new EOFException(line.size() == 0 ? "the connection closed without a response"
                        : "the connection closed inside the response head");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
