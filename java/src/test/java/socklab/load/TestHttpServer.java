package socklab.load;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP/1.1 server for the load generator's tests, on 127.0.0.1 with a kernel-chosen port: one
 * virtual thread per connection, keep-alive, and connection k (in accept order) served by worker
 * {@code w(k mod workers)}, named in {@code X-Worker}, so per-worker shares are known exactly.
 *
 * <p>Paths: {@code /} 200 hello; {@code /status/N} status N; {@code /hang} no answer; {@code /reset}
 * RST instead of an answer; {@code /bad} not HTTP; {@code /chunked} a chunked body; {@code /short}
 * a head promising 100 bytes, 3 bytes, then close. It counts connections and requests, so a test can
 * hold the client's counts against the server's.
 */
public final class TestHttpServer implements AutoCloseable {
    private final ServerSocket listener;
    private final int workers;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final ConcurrentLinkedQueue<Socket> open = new ConcurrentLinkedQueue<>();
    private final Thread acceptor;

    public TestHttpServer(int workers) throws IOException {
        this.workers = workers;
        this.listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().name("test-http-acceptor").start(this::acceptLoop);
    }

    public String target() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    public long connections() {
        return connections.get();
    }

    public long requests() {
        return requests.get();
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket socket = listener.accept();
                long index = connections.getAndIncrement();
                open.add(socket);
                Thread.ofVirtual().start(() -> serve(socket, "w" + index % workers));
            }
        } catch (IOException closed) {
            // close() closed the listener
        }
    }

    private void serve(Socket socket, String worker) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                List<String> head = readHead(in);
                if (head == null) {
                    return;
                }
                requests.incrementAndGet();
                String path = head.getFirst().split(" ")[1];
                boolean close = head.stream().anyMatch(h -> h.equalsIgnoreCase("Connection: close"));
                switch (path) {
                    case "/hang" -> {
                        while (in.read() >= 0) {
                            // hold the request unanswered until the client gives up
                        }
                        return;
                    }
                    case "/reset" -> {
                        socket.setSoLinger(true, 0);
                        return;
                    }
                    case "/bad" -> write(out, "garbage\r\n\r\n");
                    case "/chunked" -> write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Worker: " + worker
                            + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
                    case "/short" -> {
                        write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
                        return;
                    }
                    default -> {
                        int status = path.startsWith("/status/") ? Integer.parseInt(path.substring(8)) : 200;
                        write(out, "HTTP/1.1 " + status + " X\r\nContent-Length: 6\r\nX-Worker: " + worker + "\r\n"
                                + (close ? "Connection: close\r\n" : "") + "\r\nhello\n");
                    }
                }
                if (close) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            open.remove(socket);
        }
    }

    /** The request line and headers, or null at the end of the stream. */
    private static List<String> readHead(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            text.append((char) b);
            if (b == '\n' && text.length() >= 4 && text.substring(text.length() - 4).equals("\r\n\r\n")) {
                return List.of(text.substring(0, text.length() - 4).split("\r\n"));
            }
        }
        return null;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : open) {
            s.close();
        }
        try {
            if (!acceptor.join(java.time.Duration.ofSeconds(5))) {
                throw new IllegalStateException("test server acceptor did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the test server", e);
        }
    }
}
