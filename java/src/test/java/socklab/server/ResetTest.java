package socklab.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import socklab.http.HttpLimits;
import socklab.http.WorkerStats;
import socklab.sys.Loopback;

/**
 * Clients that reset (SO_LINGER 0, then close: an RST instead of a FIN) at every point of an exchange,
 * against every model: in the request line, in the head, in the body, in the middle of a 16 MiB
 * response the server is still writing, while a handler runs, while the server lingers after an error
 * response, and after the first of five pipelined responses. The server must close each connection's
 * descriptor while it runs (the process is back to its listeners, epoll sets and eventfds), let no
 * exception reach a loop (CheckedServer),
 * go on serving, and count exactly: every connection accepted once, and as requests only those that
 * reached a handler or got an error answer.
 */
class ResetTest {
    /** Each kind of reset, this many times. */
    private static final int ROUNDS = 10;
    private static final int BIG = 16 << 20;
    private static final Arena ARENA = Arena.ofShared();
    /** Far more than the client's small receive buffer and the server's send buffer hold together. */
    private static final MemorySegment BIG_BODY = ARENA.allocate(BIG);

    static Stream<ServerConfig> models() {
        return CheckedServer.everyModel(new HttpLimits(8192, 1 << 20, 10_000, 10_000, 2_000, 1_000)).stream();
    }

    @AfterAll
    static void free() {
        ARENA.close();
    }

    private CheckedServer server;
    private volatile CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void resetsAnywhereLeaveNoConnectionNoExceptionAndExactCounts(ServerConfig config) throws Exception {
        server = new CheckedServer(config, router -> router
                .get("/big", (request, response) -> response.contentType("application/octet-stream").body(BIG_BODY))
                .add("POST", "/sink", (request, response) -> response.text("ok\n"))
                .get("/block", CheckedServer.blockingUntil(() -> release)));
        InetSocketAddress address = server.address();
        var idle = ServerContractTest.kernelObjectDescriptors(); // listeners, epoll sets, eventfds: no connection yet
        String host = "Host: socklab\r\n";
        long requests = 0;
        for (int round = 0; round < ROUNDS; round++) {
            resetAfter(address, "GET /wor", 0);
            resetAfter(address, "GET / HTTP/1.1\r\n" + host + "X-Half: abc", 0);
            resetAfter(address, "POST /sink HTTP/1.1\r\n" + host + "Content-Length: 100000\r\n\r\n" + "b".repeat(1000), 0);
            resetAfter(address, TestClient.request("/big"), 1000);
            requests += 1;
            resetAfter(address, "BAD REQUEST\r\n\r\nand more bytes the server reads while it lingers", "HTTP/1.1 400".length());
            requests += 1;
            resetAfter(address, TestClient.request("/").repeat(5), "HTTP/1.1 200".length());
            requests += 5; // answered in one write: all five were counted before the first response left

            long before = server.total(WorkerStats::requests);
            release = new CountDownLatch(1);
            try (Socket s = resetting(address)) {
                s.getOutputStream().write(TestClient.request("/block").getBytes(StandardCharsets.US_ASCII));
                assertTrue(Loopback.await(() -> server.total(WorkerStats::requests) == before + 1, 10), "the handler runs");
            } // reset while the handler holds the request
            release.countDown();
            requests += 1;
        }
        assertTrue(Loopback.await(() -> ServerContractTest.kernelObjectDescriptors().equals(idle), 10),
                "the server closed the descriptor of every reset connection while running: "
                        + ServerContractTest.kernelObjectDescriptors() + " against " + idle);
        try (TestClient c = new TestClient(address)) {
            assertEquals("hello\n", c.get("/").body(), "still serves");
        }
        long connections = 7L * ROUNDS + 1;
        assertEquals(connections, server.total(WorkerStats::accepted), "every connection accepted once");
        assertEquals(connections, server.total(WorkerStats::connections), "and served by one loop");
        assertEquals(requests + 1, server.total(WorkerStats::requests), "requests that reached a handler or got an error");
    }

    /** A client that resets when closed: SO_LINGER on with a 0 s timeout, and a small receive buffer. */
    private static Socket resetting(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // before connect, so the window is small from the start
        s.connect(address, TestClient.READ_TIMEOUT_MILLIS);
        s.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
        s.setSoLinger(true, 0);
        return s;
    }

    /** Sends {@code raw}, reads {@code bytes} of the answer (0: none), then resets. */
    private static void resetAfter(InetSocketAddress address, String raw, int bytes) {
        try (Socket s = resetting(address)) {
            s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            byte[] got = in.readNBytes(bytes);
            assertEquals(bytes, got.length, "the answer started: " + new String(got, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
