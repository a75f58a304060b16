package socklab.load;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import socklab.sys.Fd;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load generator against {@link TestHttpServer} and against sockets that misbehave on purpose.
 * Runs are a few hundred milliseconds; the assertions are on counts that must close exactly (every
 * request and connect accounted for, client counts equal the server's), never on speed.
 */
@Timeout(30)
class LoadGeneratorTest {
    private static final Duration SHORT = Duration.ofMillis(300);

    private TestHttpServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = new TestHttpServer(3);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    private LoadConfig.Builder load(String target) {
        return LoadConfig.builder(target).duration(SHORT).warmup(Duration.ZERO).timeout(Duration.ofSeconds(5));
    }

    /** Both ledgers close: no request and no connect is lost track of. */
    private static void assertAccounted(LoadResult r) {
        assertEquals(0, r.unaccountedRequests(), "requests " + r.requests() + " responses " + r.responses() + " errors " + r.errors());
        assertEquals(0, r.unaccountedConnects(), "connects " + r.connects() + " established " + r.established() + " errors " + r.connectErrors());
        assertEquals(r.responses(), r.latency().getTotalCount());
        assertEquals(r.established(), r.connectLatency().getTotalCount());
        assertEquals(r.responses(), r.statuses().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(r.responses(), sum(r.responsesPerWorker()));
    }

    private static long sum(Map<?, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void closedLoopCountsEveryResponseAndSplitsConnectionsByWorker() throws Exception {
        LoadResult r = LoadGenerator.run(load(server.target()).connections(6).threads(2).build());

        assertAccounted(r);
        assertTrue(r.responses() > 6, "only " + r.responses() + " responses in " + SHORT);
        assertEquals(r.requests(), r.responses(), "errors: " + r.errors() + " " + r.errorExamples());
        assertEquals(Map.of(200, r.responses()), r.statuses());
        // The server saw exactly the requests the client counted (the run drains before returning).
        assertEquals(server.requests(), r.requests());
        assertEquals(6, r.connects());
        assertEquals(6, r.established());
        // Connection k is served by w(k mod 3): six connections, two per worker, each counted once.
        assertEquals(Map.of("w0", 2L, "w1", 2L, "w2", 2L), r.connectionsPerWorker());
        assertEquals(r.requests(), r.scheduled());
        assertNull(r.sendDelay());
        assertTrue(r.requestsPerSecond() > 0);
    }

    @Test
    void pathMixInterleavesAndCountsStatusesPerPath() throws Exception {
        LoadResult r = LoadGenerator.run(load(server.target()).connections(2).threads(1)
                .path("/").path(new RequestPath("/status/503", 1)).build());

        assertAccounted(r);
        assertEquals(0, r.errorCount(), r.errorExamples().toString());
        LoadResult.PathResult ok = r.paths().get(0);
        LoadResult.PathResult unavailable = r.paths().get(1);
        assertEquals("/status/503", unavailable.path());
        assertEquals(Map.of(200, ok.responses(), 503, unavailable.responses()), r.statuses());
        // Weights 1:1 alternate on the one thread: the counts differ by at most one.
        assertTrue(Math.abs(ok.requests() - unavailable.requests()) <= 1, ok.requests() + " vs " + unavailable.requests());
        assertEquals(ok.responses(), ok.latency().getTotalCount());
    }

    @Test
    void connectionPerRequestOpensOneConnectionPerRequest() throws Exception {
        LoadResult r = LoadGenerator.run(load(server.target()).mode(Mode.CONN_PER_REQUEST).connections(4).threads(1).build());

        assertAccounted(r);
        assertEquals(0, r.errorCount(), r.errorExamples().toString());
        assertTrue(r.responses() > 4);
        assertEquals(r.requests(), r.connects());
        assertEquals(r.connects(), r.established());
        assertEquals(server.connections(), r.connects());
        assertEquals(server.requests(), r.requests());
        // Accept order alternates workers w0, w1, w2: each connection counted once, shares within one.
        assertEquals(r.connects(), sum(r.connectionsPerWorker()));
        long min = r.connectionsPerWorker().values().stream().mapToLong(Long::longValue).min().orElseThrow();
        long max = r.connectionsPerWorker().values().stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(max - min <= 1, r.connectionsPerWorker().toString());
        assertEquals("the connect", r.latencyFrom());
    }

    @Test
    void openLoopSendsRateTimesDurationAndMeasuresFromTheIntendedTime() throws Exception {
        LoadResult r = LoadGenerator.run(load(server.target()).mode(Mode.OPEN).rate(200).duration(Duration.ofSeconds(1))
                .connections(32).threads(1).build());

        assertAccounted(r);
        // 200/s for 1 s: intended times start + 5 ms * i, i = 0 … 199.
        assertEquals(200, r.scheduled());
        // A request is unsent only when every connection is busy at its time: how many that is depends on how
        // loaded the machine is (other builds share these cores), so the test asks for the ledger, not a count.
        assertEquals(r.scheduled(), r.requests() + r.unsent());
        assertTrue(r.requests() > 0, "nothing sent");
        assertEquals(r.requests(), r.responses(), r.errorExamples().toString());
        assertNotNull(r.sendDelay());
        assertEquals(r.requests(), r.sendDelay().getTotalCount());
        assertTrue(r.latency().getTotalCount() > 0);
        assertEquals("the intended send time", r.latencyFrom());
        assertTrue(r.elapsedSeconds() >= 1.0, "ran " + r.elapsedSeconds() + " s");
    }

    @Test
    void stormAgainstAFullAcceptQueueCountsEveryConnect() throws Exception {
        // Backlog 1 and nobody accepts: the queue takes backlog + 1 handshakes, later SYNs are dropped
        // and retransmitted until the timeout.
        int listener = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1, Sockets.SOCK_CLOEXEC);
        try {
            String target = SockAddr.format(Sockets.localAddress(listener));
            LoadResult r = LoadGenerator.run(LoadConfig.builder(target).mode(Mode.STORM).connectOnly(true)
                    .connections(20).threads(1).timeout(Duration.ofSeconds(1)).build());

            assertAccounted(r);
            assertEquals(20, r.connects());
            assertEquals(0, r.requests());
            assertTrue(r.established() >= 1, "no connect completed: " + r.connectErrors());
            assertTrue(r.connectErrors().get(ErrorKind.CONNECT_TIMEOUT) >= 1, "none timed out: " + r.connectErrors());
            assertEquals(20, r.established() + r.connectErrors().get(ErrorKind.CONNECT_TIMEOUT)
                    + r.connectErrors().get(ErrorKind.CONNECT_REFUSED) + r.connectErrors().get(ErrorKind.CONNECT_ERROR));
            assertTrue(r.errorExamples().get(ErrorKind.CONNECT_TIMEOUT).contains("no handshake within 1000 ms"));
        } finally {
            Fd.close(listener);
        }
    }

    @Test
    void stormWithRequestsCountsConnectionsPerWorker() throws Exception {
        LoadResult r = LoadGenerator.run(LoadConfig.builder(server.target()).mode(Mode.STORM).connections(9).threads(1).build());

        assertAccounted(r);
        assertEquals(9, r.established());
        assertEquals(9, r.responses());
        assertEquals(Map.of("w0", 3L, "w1", 3L, "w2", 3L), r.connectionsPerWorker());
        assertEquals(9, server.connections());
    }

    @Test
    void nothingListeningCountsRefusedConnectsAndEnds() throws Exception {
        // A bound socket that does not listen: the port stays ours and every SYN gets a RST.
        int bound = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        try {
            Sockets.bind(bound, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            String target = SockAddr.format(Sockets.localAddress(bound));
            LoadResult r = LoadGenerator.run(load(target).connections(2).threads(1).build());

            assertAccounted(r);
            assertEquals(0, r.established());
            assertEquals(0, r.responses());
            assertTrue(r.connects() >= 2);
            assertEquals(r.connects(), r.connectErrors().get(ErrorKind.CONNECT_REFUSED));
            // Each closed-loop request needed a connection: it carries the refusal too.
            assertEquals(r.requests(), r.errors().get(ErrorKind.CONNECT_REFUSED));
            assertTrue(r.errorExamples().get(ErrorKind.CONNECT_REFUSED).contains("ECONNREFUSED"));
        } finally {
            Fd.close(bound);
        }
    }

    @Test
    void eachFailureEndsInItsKind() throws Exception {
        assertOnlyError("/reset", ErrorKind.RESET);
        assertOnlyError("/bad", ErrorKind.BAD_RESPONSE);
        assertOnlyError("/chunked", ErrorKind.BAD_RESPONSE);
        assertOnlyError("/short", ErrorKind.CLOSED_EARLY);
    }

    @Test
    void unansweredRequestsTimeOut() throws Exception {
        LoadResult r = assertOnlyError("/hang", ErrorKind.TIMEOUT);
        assertTrue(r.errorExamples().get(ErrorKind.TIMEOUT).contains("within 200 ms"));
    }

    private LoadResult assertOnlyError(String path, ErrorKind kind) throws InterruptedException {
        LoadResult r = LoadGenerator.run(load(server.target()).connections(1).threads(1).path(path)
                .timeout(Duration.ofMillis(200)).build());
        assertAccounted(r);
        assertTrue(r.requests() >= 1);
        assertEquals(0, r.responses(), path);
        assertEquals(r.requests(), r.errors().get(kind), path + ": " + r.errors() + " " + r.errorExamples());
        assertNotNull(r.errorExamples().get(kind));
        return r;
    }

    @Test
    void moreConnectionsThanDescriptorsIsRejectedBeforeAnyConnect() {
        long limit = LoadGenerator.openFileLimit();
        Assumptions.assumeTrue(limit > 0 && limit < 1_000_000, "RLIMIT_NOFILE is unlimited here");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load(server.target()).connections((int) limit).build());
        assertTrue(e.getMessage().contains("open-file limit (RLIMIT_NOFILE) is " + limit), e.getMessage());
        assertEquals(0, server.connections());
    }

    @Test
    void warmupIsCountedApart() throws Exception {
        LoadResult r = LoadGenerator.run(load(server.target()).connections(2).threads(1).warmup(Duration.ofMillis(200)).build());

        assertAccounted(r);
        assertTrue(r.warmup().responses() > 0);
        assertEquals(server.requests(), r.requests() + r.warmup().requests());
        // Keep-alive connections open in the warm-up; in the window they are counted by their first response there.
        assertEquals(2, r.warmup().connects());
        assertEquals(0, r.connects());
        assertEquals(2, sum(r.connectionsPerWorker()));
    }

    /**
     * The request path allocates nothing once compiled. How soon C2 compiles it depends on the machine,
     * so rounds repeat until one window allocates under a byte per response (a per-response object is at
     * least 16 bytes), and the test fails only when none of {@value #ROUNDS} rounds gets there.
     */
    private static final int ROUNDS = 15;

    @Test
    void theLoadLoopAllocatesNothingPerResponse() throws Exception {
        String last = "";
        for (int round = 0; round < ROUNDS; round++) {
            LoadResult r = LoadGenerator.run(load(server.target()).connections(4).threads(1)
                    .warmup(Duration.ofMillis(200)).duration(Duration.ofMillis(400)).build());
            assertAccounted(r);
            if (r.responses() > 1000 && r.allocatedBytes() < r.responses()) {
                return;
            }
            last = r.allocatedBytes() + " bytes for " + r.responses() + " responses";
        }
        throw new AssertionError("every round allocated on the request path; the last: " + last);
    }
}
