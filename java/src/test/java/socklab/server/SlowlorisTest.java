package socklab.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import socklab.http.HttpLimits;
import socklab.http.WorkerStats;

/**
 * Slowloris against every model: {@link #SLOW} connections each send one byte of a request head a
 * second, and each must get 408 and be closed once the header timeout has passed since it was
 * accepted (the deadline is not extended by the bytes that trickle in), while a normal client's
 * requests on new connections are all answered meanwhile. The server's counters must then add up:
 * every slow connection and every normal request accepted once and counted as one request.
 *
 * <p>Bounds: a slow connection is closed no earlier than the header timeout after its connect was
 * called (the server starts the clock when a loop takes the accepted connection, which is later; both
 * read the same monotonic clock) and no later than {@link #LATE_MILLIS} after it, which is room for a
 * loaded 2-core machine, not a timing claim.
 */
class SlowlorisTest {
    static final int SLOW = 200;
    static final long HEADER_TIMEOUT_MILLIS = 2000;
    static final long LATE_MILLIS = 8000;
    static final HttpLimits LIMITS = new HttpLimits(8192, 1 << 20, 10_000, HEADER_TIMEOUT_MILLIS, 2_000, 1_000);
    /** What the slow clients send, one byte a second: never complete within the timeout. */
    private static final byte[] HEAD = "GET / HTTP/1.1\r\nHost: socklab\r\nX-Slowloris: 1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    static Stream<ServerConfig> models() {
        return CheckedServer.everyModel(LIMITS).stream();
    }

    private CheckedServer server;
    private final List<SocketChannel> slow = new ArrayList<>();
    private Thread normal;

    @AfterEach
    void stop() throws IOException, InterruptedException {
        for (SocketChannel c : slow) {
            c.close();
        }
        if (normal != null) {
            normal.interrupt();
            normal.join(TimeUnit.SECONDS.toMillis(30));
        }
        if (server != null) {
            server.close();
        }
    }

    /** How one slow connection ended: what it received before the end of stream, and when. */
    record Outcome(String received, long closedAfterNanos, String error) {}

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void slowHeadsGet408AtTheHeaderTimeoutWhileANormalClientIsServed(ServerConfig config) throws Exception {
        server = new CheckedServer(config, router -> {});
        InetSocketAddress address = server.address();
        long[] connectedAt = new long[SLOW];
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < SLOW; i++) {
                connectedAt[i] = System.nanoTime(); // before connect: the server accepts after this
                SocketChannel c = SocketChannel.open(address);
                slow.add(c);
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, i);
            }
            ConcurrentLinkedQueue<String> normalResults = new ConcurrentLinkedQueue<>();
            normal = Thread.ofPlatform().name("normal-client").start(() -> normalClient(address, normalResults));

            Outcome[] outcomes = trickle(selector, connectedAt);
            normal.interrupt();
            normal.join(TimeUnit.SECONDS.toMillis(30));

            List<String> problems = new ArrayList<>();
            for (int i = 0; i < SLOW; i++) {
                Outcome o = outcomes[i];
                if (o == null || o.error != null || !o.received.startsWith("HTTP/1.1 408 Request Timeout\r\n")
                        || !o.received.contains("\r\nConnection: close\r\n")
                        || o.closedAfterNanos < TimeUnit.MILLISECONDS.toNanos(HEADER_TIMEOUT_MILLIS)
                        || o.closedAfterNanos > TimeUnit.MILLISECONDS.toNanos(HEADER_TIMEOUT_MILLIS + LATE_MILLIS)) {
                    problems.add("slow connection " + i + ": " + o);
                }
            }
            assertEquals(List.of(), problems, "every slow connection got 408 and its end of stream at the header timeout");
            System.out.printf("slowloris %s: %d of %d slow connections closed with 408 after %d..%d ms; normal client %d requests%n",
                    config.describe(), SLOW, SLOW, min(outcomes), max(outcomes), normalResults.size());

            List<String> failed = normalResults.stream().filter(r -> !r.equals("200")).toList();
            assertEquals(List.of(), failed, "every normal request was answered 200");
            assertTrue(normalResults.size() >= 3, "the normal client made requests meanwhile (one every 50 ms plus its own time): " + normalResults.size());
            long normalRequests = normalResults.size();
            assertTrue(socklab.sys.Loopback.await(() -> server.total(WorkerStats::requests) == SLOW + normalRequests, 10),
                    "requests counted: " + server.total(WorkerStats::requests) + ", expected " + (SLOW + normalRequests));
            assertEquals(SLOW + normalRequests, server.total(WorkerStats::accepted), "each connection accepted once");
        }
    }

    /**
     * Sends the next byte of {@link #HEAD} on every open slow connection once a second and reads what
     * comes back, until every one has seen its end of stream or the bound has passed.
     */
    private Outcome[] trickle(Selector selector, long[] connectedAt) throws IOException {
        Outcome[] outcomes = new Outcome[SLOW];
        StringBuilder[] received = new StringBuilder[SLOW];
        int[] sent = new int[SLOW];
        ByteBuffer buf = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HEADER_TIMEOUT_MILLIS + LATE_MILLIS + 1000);
        long nextByte = System.nanoTime();
        int open = SLOW;
        while (open > 0 && System.nanoTime() < deadline) {
            if (System.nanoTime() - nextByte >= 0) {
                for (int i = 0; i < SLOW; i++) {
                    if (outcomes[i] == null && sent[i] < HEAD.length) {
                        try {
                            slow.get(i).write(ByteBuffer.wrap(HEAD, sent[i]++, 1));
                        } catch (IOException e) {
                            outcomes[i] = new Outcome(String.valueOf(received[i]), elapsedNanos(connectedAt[i]), "write: " + e);
                            slow.get(i).close();
                            open--;
                        }
                    }
                }
                nextByte += TimeUnit.SECONDS.toNanos(1);
            }
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextByte - System.nanoTime())));
            for (SelectionKey key : selector.selectedKeys()) {
                int i = (Integer) key.attachment();
                if (outcomes[i] != null) {
                    continue;
                }
                buf.clear();
                String error = null;
                int n;
                try {
                    n = slow.get(i).read(buf);
                } catch (IOException e) {
                    n = -1;
                    error = "read: " + e;
                }
                if (received[i] == null) {
                    received[i] = new StringBuilder();
                }
                if (n > 0) {
                    received[i].append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
                } else if (n < 0) {
                    outcomes[i] = new Outcome(received[i].toString(), elapsedNanos(connectedAt[i]), error);
                    key.cancel();
                    slow.get(i).close();
                    open--;
                }
            }
            selector.selectedKeys().clear();
        }
        return outcomes;
    }

    /** New connections, one GET / each, every 50 ms until interrupted: "200", another status, or the error. */
    private static void normalClient(InetSocketAddress address, ConcurrentLinkedQueue<String> results) {
        while (!Thread.currentThread().isInterrupted()) {
            try (TestClient c = new TestClient(address)) {
                results.add(Integer.toString(c.get("/").status()));
            } catch (RuntimeException | AssertionError e) {
                results.add(e.toString());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long elapsedNanos(long since) {
        return System.nanoTime() - since;
    }

    private static long min(Outcome[] outcomes) {
        return TimeUnit.NANOSECONDS.toMillis(Stream.of(outcomes).mapToLong(Outcome::closedAfterNanos).min().orElse(-1));
    }

    private static long max(Outcome[] outcomes) {
        return TimeUnit.NANOSECONDS.toMillis(Stream.of(outcomes).mapToLong(Outcome::closedAfterNanos).max().orElse(-1));
    }
}
