package socklab.server;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's fast path, a keep-alive {@code GET /}, allocates no object per request on the worker's
 * thread that grows with the request: read, parse, route, encode, write and count work on native
 * buffers and reused objects. Measured with the JVM's per-thread allocation counter.
 *
 * <p>One object may remain: the 40-byte slice of the output buffer passed to write(2). C2 removes it
 * when it compiles the binding's write into the connection's code, which it usually does (0 bytes a
 * request here); when it compiled the write on its own first, or other code made the JDK's slicing
 * polymorphic, the slice is allocated. So a round passes with nothing per request or exactly one slice
 * per request (its size measured here, 40 bytes with compressed pointers); anything else (a String,
 * a boxed number, a lambda, a stream, on top of the slice or not) fails.
 *
 * <p>As in {@code HotPathAllocationTest}, the interpreter and C1 allocate until C2 has compiled the
 * path, so the test runs rounds until one passes, and fails only if none of
 * {@value #MAX_ROUNDS} is (C2 gets there in two or three here).
 */
class ServerAllocationTest {
    private static final int REQUESTS = 20_000;
    private static final int MAX_ROUNDS = 40;

    @Test
    void keepAliveHelloAllocatesAtMostOneSlicePerRequestOnTheWorker() throws Exception {
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

            double slice = bytesPerSlice(threads);
            double perRequest = Double.MAX_VALUE;
            for (int round = 0; round < MAX_ROUNDS && !(perRequest < 1 || Math.abs(perRequest - slice) < 1); round++) {
                long before = threads.getThreadAllocatedBytes(worker);
                for (int i = 0; i < REQUESTS; i++) {
                    exchange(out, in, request, buf, responseLength);
                }
                perRequest = (threads.getThreadAllocatedBytes(worker) - before) / (double) REQUESTS;
            }
            // Under one byte per request is a one-off (a TLAB refill, a deoptimisation), not a per-request object.
            assertTrue(perRequest < 1 || Math.abs(perRequest - slice) < 1, perRequest + " bytes per request even after "
                    + MAX_ROUNDS + " rounds: neither nothing nor one " + slice + "-byte slice");
        }
    }

    /**
     * The heap size of one segment slice, measured on this thread with every slice kept alive. The
     * smallest of several rounds: the first ones may also count what the interpreter allocates around
     * the call, and one such inflated figure once made a 40-byte-per-request round fail.
     */
    private static double bytesPerSlice(com.sun.management.ThreadMXBean threads) {
        MemorySegment segment = Arena.ofAuto().allocate(64);
        double smallest = Double.MAX_VALUE;
        for (int round = 0; round < 20; round++) {
            MemorySegment[] kept = new MemorySegment[1000];
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < kept.length; i++) {
                kept[i] = segment.asSlice(i % 8, 8);
            }
            double perSlice = (threads.getCurrentThreadAllocatedBytes() - before) / (double) kept.length;
            assertTrue(kept[kept.length - 1].byteSize() == 8 && perSlice >= 16, "measured " + perSlice + " bytes per slice");
            smallest = Math.min(smallest, perSlice);
        }
        return smallest;
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
