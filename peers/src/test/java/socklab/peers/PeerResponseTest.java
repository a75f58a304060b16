package socklab.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import socklab.server.Model;
import socklab.server.Server;
import socklab.server.ServerConfig;

/**
 * The peers answer GET / as socklab does, byte for byte but the Date value: the same status line,
 * fields, order and body, with the Connection field where socklab puts it (closing, HTTP/1.0
 * keep-alive) and the close where socklab closes. And each keeps up with a pipelining client that
 * does not read until it has written everything (the server must stop reading, not drop the
 * connection or lose a response). socklab's single model, run in this JVM, is the reference.
 */
class PeerResponseTest {
    private static final Path CSERVER = Path.of(System.getProperty("socklab.root", ".."), "native", "build", "cserver");
    private static final Map<String, String> REQUESTS = new LinkedHashMap<>();

    static {
        REQUESTS.put("HTTP/1.1 keep-alive", "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        REQUESTS.put("HTTP/1.1 close", "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        REQUESTS.put("HTTP/1.0", "GET / HTTP/1.0\r\n\r\n");
        REQUESTS.put("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    }

    private static Server socklab;
    private static NioServer nio;
    private static NettyServer netty;
    private static Process cserver;
    private static InetSocketAddress cserverAddress;

    @BeforeAll
    static void start() throws Exception {
        socklab = Server.start(ServerConfig.of(Model.SINGLE).withAddress("127.0.0.1", 0));
        nio = NioServer.start("127.0.0.1", 0, false, 1, 511);
        netty = NettyServer.start("127.0.0.1", 0, false, 1, 511);
        assertTrue(Files.isExecutable(CSERVER), CSERVER + " is missing: run make native");
        cserver = new ProcessBuilder(CSERVER.toString(), "--port", "0").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String line = new BufferedReader(new InputStreamReader(cserver.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        Matcher m = Pattern.compile("listening on ([0-9.]+):(\\d+)").matcher(String.valueOf(line));
        assertTrue(m.find(), "cserver's first line: " + line);
        cserverAddress = new InetSocketAddress(InetAddress.getByName(m.group(1)), Integer.parseInt(m.group(2)));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (cserver != null) {
            cserver.destroy();
            assertTrue(cserver.waitFor(10, TimeUnit.SECONDS), "cserver stops on SIGTERM");
            assertEquals(0, cserver.exitValue(), "cserver's exit status after SIGTERM");
        }
        for (AutoCloseable s : new AutoCloseable[] {socklab, nio, netty}) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (Exception e) {
                throw new AssertionError("closing " + s, e);
            }
        }
    }

    private static Map<String, InetSocketAddress> peers() {
        return Map.of("nio", nio.address(), "netty", netty.address(), "cserver", cserverAddress);
    }

    @Test
    void everyPeerAnswersGetRootWithSocklabsBytesAndClosesWhereSocklabCloses() throws IOException {
        for (Map.Entry<String, String> request : REQUESTS.entrySet()) {
            Exchange expected = exchange(socklab.address(), request.getValue());
            assertTrue(expected.response.startsWith("HTTP/1.1 200 OK\r\n") && expected.response.endsWith("\r\n\r\nhello\n"),
                    "socklab's answer to " + request.getKey() + ": " + expected.response);
            for (Map.Entry<String, InetSocketAddress> peer : peers().entrySet()) {
                Exchange actual = exchange(peer.getValue(), request.getValue());
                assertEquals(expected, actual, peer.getKey() + " on " + request.getKey());
            }
        }
    }

    @Test
    void everyPeerAnswersAllOfALongPipelineFromAClientThatReadsLate() throws Exception {
        int requests = 3000; // ~80 KB of requests, ~360 KB of answers: more than the socket buffers hold unread
        for (Map.Entry<String, InetSocketAddress> peer : peers().entrySet()) {
            assertEquals(requests, pipelined(peer.getValue(), requests), peer.getKey() + ": responses to " + requests + " pipelined requests");
        }
        assertEquals(requests, pipelined(socklab.address(), requests), "socklab: responses to " + requests + " pipelined requests");
    }

    /** One response with the Date value blanked, and whether the server closed the connection after it. */
    private record Exchange(String response, boolean closed) {}

    private static Exchange exchange(InetSocketAddress address, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String response = readResponse(in);
            s.setSoTimeout(300); // a server that keeps the connection stays silent; one that closes does so at once
            boolean closed;
            try {
                closed = in.read() < 0;
            } catch (java.net.SocketTimeoutException open) {
                closed = false;
            }
            return new Exchange(response.replaceFirst("\r\nDate: [^\r]*\r\n", "\r\nDate: *\r\n"), closed);
        }
    }

    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after '" + head + "'");
            }
            head.append((char) b);
        }
        Matcher length = Pattern.compile("\r\nContent-Length: (\\d+)\r\n").matcher(head);
        assertTrue(length.find(), "Content-Length in " + head);
        return head + new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.US_ASCII);
    }

    /** Writes all the requests from another thread, then counts whole 200 responses until it has them all. */
    private static int pipelined(InetSocketAddress address, int requests) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(address, 5000);
            s.setSoTimeout(10_000);
            byte[] all = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".repeat(requests).getBytes(StandardCharsets.US_ASCII);
            OutputStream out = s.getOutputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(all);
                } catch (IOException e) {
                    // the count below tells what arrived
                }
            });
            InputStream in = s.getInputStream();
            int answered = 0;
            while (answered < requests) {
                String r = readResponse(in);
                assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n") && r.endsWith("hello\n"), "response " + answered + ": " + r);
                answered++;
            }
            writer.join(10_000);
            return answered;
        }
    }
}
