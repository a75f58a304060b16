package socklab.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import socklab.http.HttpLimits;
import socklab.sys.Loopback;

/**
 * Leaks: {@value #DEFAULT_CYCLES} connect / GET / close cycles against every in-process model (more
 * with {@code make test LEAK_CYCLES=1000000}, i.e. {@code -Dsocklab.leak.cycles}). While the server
 * still runs, once its last connection has closed (a bounded wait: the server closes its side only
 * after the client's close ends its lingering), the process holds exactly the socket, epoll and eventfd
 * descriptors it held right after the start, and the same server threads; CheckedServer checks both
 * once more after the close.
 *
 * <p>Resident memory (VmRSS after a System.gc) is printed, not asserted. In this shared test JVM it
 * swings between about 130 and 250 MiB from one sample to the next whatever the cycle count (measured:
 * the same values after 10 000 and after 50 000 cycles, the Java heap committed at 28 to 40 MiB, and
 * halfway samples both above and below the final ones), so a 10% bound (the issue's) would pass or fail
 * by luck. Native Memory Tracking, the other check, needs {@code -XX:NativeMemoryTracking=summary}
 * when the JVM starts: a serve child measured with {@code jcmd PID VM.native_memory baseline} and
 * {@code summary.diff} is the way to a memory bound; not done yet.
 */
class LeakTest {
    static final int DEFAULT_CYCLES = 10_000;
    private static final int CYCLES = Integer.getInteger("socklab.leak.cycles", DEFAULT_CYCLES);
    /** Enough for the JIT to compile the request path and for every buffer pool to reach its size. */
    private static final int WARMUP_CYCLES = 5_000;
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: socklab\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    static Stream<ServerConfig> models() {
        return CheckedServer.everyModel(HttpLimits.DEFAULTS).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void connectRequestCloseCyclesLeaveDescriptorsThreadsAndMemoryWhereTheyWere(ServerConfig config) {
        try (CheckedServer server = new CheckedServer(config, r -> {})) {
            Map<String, String> descriptors = ServerContractTest.kernelObjectDescriptors();
            long threads = serverThreads();
            cycles(server.address(), WARMUP_CYCLES);
            assertSettled(descriptors, threads, "after the warm-up");

            long start = System.nanoTime();
            cycles(server.address(), CYCLES / 2);
            long rssHalfway = residentKib();
            cycles(server.address(), CYCLES - CYCLES / 2);
            double seconds = (System.nanoTime() - start) / 1e9;

            assertSettled(descriptors, threads, "after " + CYCLES + " cycles");
            long rssEnd = residentKib();
            String measured = String.format("%s: %d cycles in %.1f s, VmRSS %d KiB halfway, %d KiB at the end, Java heap committed %d KiB",
                    config.describe(), CYCLES, seconds, rssHalfway, rssEnd, Runtime.getRuntime().totalMemory() / 1024);
            System.out.println("LeakTest " + measured);
            assertEquals(WARMUP_CYCLES + CYCLES, server.total(s -> s.requests()), "every cycle's request was served");
        }
    }

    /** Within 10 s (the server closes its last connection once the client's close reaches it): the descriptors and threads of the start. */
    private static void assertSettled(Map<String, String> descriptors, long threads, String when) {
        try {
            Loopback.await(() -> descriptors.equals(ServerContractTest.kernelObjectDescriptors()), 10);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertEquals(descriptors, ServerContractTest.kernelObjectDescriptors(), "sockets, epoll and eventfd descriptors " + when);
        assertEquals(threads, serverThreads(), "server threads " + when);
    }

    /** {@code n} times: connect, GET / with Connection: close, read the whole 200 response, close. */
    private static void cycles(InetSocketAddress address, int n) {
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket(address.getAddress(), address.getPort())) {
                s.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
                s.getOutputStream().write(REQUEST);
                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                if (!response.startsWith("HTTP/1.1 200 ") || !response.endsWith("hello\n")) {
                    throw new AssertionError("cycle " + i + ": " + response);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cycle " + i, e);
            }
        }
    }

    private static long serverThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && ServerContractTest.isServerThread(t.getName())).count();
    }

    /** VmRSS of this process in KiB, after a full collection so that garbage does not count. */
    private static long residentKib() {
        System.gc();
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmRSS:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst().orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
