package socklab.server;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's fast path, a keep-alive {@code GET /}, allocates nothing on the worker's thread once
 * compiled: read, parse, route, encode, write and count, all on native buffers and reused objects.
 * Measured with the JVM's per-thread allocation counter of the worker thread.
 *
 * <p>As in {@code HotPathAllocationTest}, the interpreter and C1 allocate until C2 has compiled the
 * path, and when that happens is the compiler's business; so the test runs rounds until one is free of
 * allocation and fails only if none of {@value #MAX_ROUNDS} is (C2 gets there in two or three here).
 */
class ServerAllocationTest {
    private static final int REQUESTS = 20_000;
    private static final int MAX_ROUNDS = 40;

    @Test
    void keepAliveHelloAllocatesNothingPerRequestOnTheWorker() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ServerConfig config = ServerConfig.of(Model.SINGLE).withLimits(ServerContractTest.TEST_LIMITS);
        try (Server server = Server.start(config);
             Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] request = TestClient.request("/").getBytes(StandardCharsets.US_ASCII);
            byte[] buf = new byte[4096];
            int responseLength = exchange(out, in, request, buf, -1);
            long worker = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("worker-0")).findFirst().orElseThrow().threadId();

            double perRequest = Double.MAX_VALUE;
            for (int round = 0; round < MAX_ROUNDS && perRequest >= 1; round++) {
                long before = threads.getThreadAllocatedBytes(worker);
                for (int i = 0; i < REQUESTS; i++) {
                    exchange(out, in, request, buf, responseLength);
                }
                perRequest = (threads.getThreadAllocatedBytes(worker) - before) / (double) REQUESTS;
            }
            // Under one byte per request is a one-off (a TLAB refill, a deoptimisation), not a per-request object.
            assertTrue(perRequest < 1, perRequest + " bytes per request even after " + MAX_ROUNDS + " rounds");
        }
    }

    /** Sends one request and reads its response whole: {@code length} bytes, or (when -1) up to the hello body. */
    private static int exchange(OutputStream out, InputStream in, byte[] request, byte[] buf, int length) throws Exception {
        out.write(request);
        int got = 0;
        while (length > 0 ? got < length : !new String(buf, 0, got, StandardCharsets.US_ASCII).endsWith("\r\n\r\nhello\n")) {
            int n = in.read(buf, got, buf.length - got);
            assertTrue(n > 0, "the server closed the connection");
            got += n;
        }
        assertTrue(new String(buf, 0, got, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200 OK\r\n"));
        return got;
    }
}
