package socklab.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import socklab.http.HttpLimits;
import socklab.proc.GroupConfig;
import socklab.sys.Binding;
import socklab.sys.Loopback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every server model keeps, run for every model on the default binding and for every
 * binding on three models that use it differently (one loop; cross-thread eventfd hand-offs; blocking
 * accept), and for every model that runs as worker processes ({@code serve --processes 2}: one
 * listening socket inherited, a socket each with SO_REUSEPORT, a primary passing connections), each
 * through {@link ServerUnderTest}. After every test the server is closed and must have left no socket,
 * epoll, eventfd or memfd descriptor and no thread behind in this JVM, and no worker process.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("variants")
class ServerContractTest {
    /**
     * Roomy timeouts: no test here waits for them except those that shorten them on purpose. The
     * drain time (10 s) is the margin for a request sent while the server stops to reach it.
     */
    static final HttpLimits TEST_LIMITS = new HttpLimits(8192, 1 << 20, 10_000, 10_000, 2_000, 10_000);
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // The JDK keeps one socket open for good after its first network use; let that happen before
        // the first descriptor snapshot, so that the snapshots see only what the server opens.
        try (java.net.ServerSocket warmUp = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            new Socket(warmUp.getInetAddress(), warmUp.getLocalPort()).close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A server in this JVM when {@code processes} is 0, else a group of that many worker processes. */
    record Variant(String name, ServerConfig config, int processes) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Variant> variants() {
        List<Variant> variants = new ArrayList<>();
        String ffm = Binding.NAMES.getFirst();
        variants.add(variant(Model.SINGLE, 1, ffm));
        variants.add(variant(Model.ACCEPTOR_READERS, 2, ffm));
        variants.add(variant(Model.DISPATCHER_WORKERS, 2, ffm));
        for (AcceptMode mode : AcceptMode.values()) {
            Variant v = variant(Model.SHARED_ACCEPT, 2, ffm);
            variants.add(new Variant(v.name + " accept=" + mode.cliName(), v.config.withAccept(mode), 0));
        }
        for (Steer steer : Steer.values()) {
            Variant v = variant(Model.REUSEPORT, 2, ffm);
            variants.add(new Variant(v.name + " steer=" + steer.cliName(), v.config.withSteer(steer), 0));
        }
        for (String binding : Binding.NAMES.subList(1, Binding.NAMES.size())) {
            variants.add(variant(Model.SINGLE, 1, binding));
            variants.add(variant(Model.DISPATCHER_WORKERS, 2, binding));
            Variant v = variant(Model.SHARED_ACCEPT, 2, binding);
            variants.add(new Variant(v.name + " accept=blocking", v.config.withAccept(AcceptMode.BLOCKING), 0));
        }
        // Worker processes of one worker thread each, as ProcessGroupTest and Node's cluster run them.
        for (Model model : GroupConfig.MODELS.stream().sorted().toList()) {
            Variant v = variant(model, 1, ffm);
            variants.add(new Variant(v.name + " processes=2", v.config, 2));
        }
        return variants;
    }

    private static Variant variant(Model model, int workers, String binding) {
        return new Variant(model.cliName() + " " + binding,
                ServerConfig.of(model).withWorkers(workers).withBinding(binding).withLimits(TEST_LIMITS), 0);
    }

    @Parameter
    Variant variant;

    private ServerUnderTest server;
    private Map<String, String> descriptorsBefore;
    private Set<Thread> threadsBefore;

    /** On a test that starts its servers itself ({@link #startWith}): no server is started for it before. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @interface StartsItsOwnServers {}

    @BeforeEach
    void start(TestInfo test) {
        descriptorsBefore = kernelObjectDescriptors();
        threadsBefore = Thread.getAllStackTraces().keySet();
        if (!test.getTestMethod().orElseThrow().isAnnotationPresent(StartsItsOwnServers.class)) {
            server = ServerUnderTest.start(variant.config, variant.processes);
        }
    }

    /**
     * Stops the server, if one runs, and starts one with {@code limits}. (A group of worker processes
     * takes about a second to start: a test that needs other limits starts no server with the usual ones.)
     */
    private void startWith(HttpLimits limits) {
        if (server != null) {
            server.close();
            server.assertStoppedCleanly();
        }
        server = ServerUnderTest.start(variant.config.withLimits(limits), variant.processes);
    }

    @AfterEach
    void stopAndCheckNothingIsLeft() {
        if (server != null) {
            server.close();
            server.assertStoppedCleanly();
        }
        assertEquals(descriptorsBefore, kernelObjectDescriptors(), "sockets, epoll and eventfd descriptors after close");
        List<String> left = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !threadsBefore.contains(t) && t.isAlive() && isServerThread(t.getName()))
                .map(Thread::getName).toList();
        assertEquals(List.of(), left, "server threads still alive after close");
    }

    private TestClient client() {
        return new TestClient(server.address());
    }

    @Test
    void helloCarriesWorkerDateAndLength() {
        try (TestClient c = client()) {
            TestClient.Response r = c.get("/");
            assertEquals(200, r.status());
            assertEquals("hello\n", r.body());
            assertEquals("6", r.header("Content-Length"));
            assertTrue(r.header("Date").endsWith(" GMT"), r.headers().toString());
            assertTrue(server.handlerIds().contains(r.worker()), r.worker() + " is one of " + server.handlerIds());
        }
    }

    @Test
    void keepAliveAnswersEveryRequestOnOneConnection() throws IOException {
        try (TestClient c = client()) {
            for (int i = 0; i < 20; i++) {
                String target = switch (i % 3) {
                    case 0 -> "/work?us=50";
                    case 1 -> "/sleep?ms=1";
                    default -> "/";
                };
                assertEquals(200, c.get(target).status(), target);
            }
            TestClient.Response head = c.send("HEAD / HTTP/1.1\r\nHost: socklab\r\n\r\n").read(true);
            assertEquals(200, head.status());
            assertEquals("6", head.header("Content-Length"), "HEAD announces the GET body's length");
            JsonNode stats = JSON.readTree(c.get("/stats").body());
            assertEquals(1, TestClient.total(stats, "accepted"));
            assertEquals(1, TestClient.total(stats, "connections"));
            assertEquals(22, TestClient.total(stats, "requests"), "20 requests, HEAD and /stats itself");
        }
    }

    @Test
    void tenPipelinedRequestsInOneWriteAreAnsweredInOrder() {
        String[] targets = {"/", "/work?us=10", "/nope", "/", "/sleep?ms=1", "/", "/work?us=abc", "/", "/stats", "/"};
        int[] statuses = {200, 200, 404, 200, 200, 200, 400, 200, 200, 200};
        try (TestClient c = client()) {
            c.send(java.util.Arrays.stream(targets).map(TestClient::request).collect(Collectors.joining()));
            for (int i = 0; i < targets.length; i++) {
                TestClient.Response r = c.read();
                assertEquals(statuses[i], r.status(), "response " + i + " to " + targets[i]);
                if (targets[i].equals("/")) {
                    assertEquals("hello\n", r.body());
                }
            }
            assertEquals("worked 10 us\n", c.get("/work?us=10").body(), "still open after the pipeline");
        }
    }

    @Test
    void statsTotalsEqualWhatTheClientSent() throws Exception {
        long sent = 0;
        long received = 0;
        int requests = 0;
        for (int conn = 0; conn < 3; conn++) {
            try (TestClient c = client()) {
                for (int i = 0; i <= conn; i++) {
                    assertEquals(200, c.get(i == 0 ? "/" : "/work?us=" + i).status());
                    requests++;
                }
                sent += c.sent;
                received += c.received;
            }
        }
        // A worker counts bytes out just after write(2) returns, which can be after the client has them.
        long expectedOut = received;
        assertTrue(Loopback.await(() -> server.countersSettled(expectedOut), 10));
        try (TestClient c = client()) {
            String statsRequest = TestClient.request("/stats");
            JsonNode stats = JSON.readTree(c.send(statsRequest).read().body());
            assertEquals(variant.config.model().cliName(), stats.get("model").asText());
            assertEquals(variant.config.binding(), stats.get("binding").asText());
            assertTrue(server.pids().contains(stats.get("pid").asLong()), stats.get("pid") + " is one of " + server.pids());
            assertEquals(server.processes(), stats.has("processes") ? stats.get("processes").asInt() : null);
            assertEquals(4, TestClient.total(stats, "accepted"), "3 connections and this one");
            assertEquals(4, TestClient.total(stats, "connections"));
            assertEquals(requests + 1, TestClient.total(stats, "requests"), "and /stats itself");
            assertEquals(sent + statsRequest.length(), TestClient.total(stats, "bytes_in"));
            assertEquals(received, TestClient.total(stats, "bytes_out"), "everything before this response");
            for (JsonNode w : stats.get("workers")) {
                assertTrue(w.get("tid").asLong() > 0 && !w.get("thread").asText().isEmpty(), w.toString());
            }
        }
    }

    @Test
    void eachBadInputGetsItsStatusAndTheServerGoesOn() {
        record Bad(String why, String raw, int status, boolean closes) {}
        String host = "Host: socklab\r\n";
        List<Bad> cases = List.of(
                new Bad("not HTTP", "NOT HTTP AT ALL\r\n\r\n", 400, true),
                new Bad("space in a field name", "GET / HTTP/1.1\r\n" + host + "Bad Name: v\r\n\r\n", 400, true),
                new Bad("no Host", "GET / HTTP/1.1\r\n\r\n", 400, true),
                new Bad("folded line", "GET / HTTP/1.1\r\n" + host + "X: a\r\n b\r\n\r\n", 400, true),
                new Bad("NUL in a value", "GET / HTTP/1.1\r\n" + host + "X: a\0b\r\n\r\n", 400, true),
                new Bad("two lengths", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, true),
                new Bad("9 KiB head", "GET / HTTP/1.1\r\n" + host + "X-Big: " + "a".repeat(9000) + "\r\n\r\n", 431, true),
                new Bad("2 MB body", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 2000000\r\n\r\n", 413, true),
                new Bad("chunked body", "POST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501, true),
                new Bad("HTTP/2", "GET / HTTP/2.0\r\n" + host + "\r\n", 505, true),
                new Bad("bad query value", TestClient.request("/work?us=abc"), 400, false),
                new Bad("unknown path", TestClient.request("/nope"), 404, false),
                new Bad("wrong method", "DELETE / HTTP/1.1\r\n" + host + "\r\n", 405, false));
        for (Bad bad : cases) {
            try (TestClient c = client()) {
                TestClient.Response r = c.send(bad.raw).read();
                assertEquals(bad.status, r.status(), bad.why + ": " + r.body());
                assertTrue(server.workerIds().contains(r.worker()), r.worker() + " is one of " + server.workerIds());
                if (bad.closes) {
                    assertEquals("close", r.header("Connection"), bad.why);
                    assertTrue(c.closedByServer(), bad.why + ": the server closes after the error");
                } else {
                    assertEquals("hello\n", c.get("/").body(), bad.why + ": the connection stays usable");
                }
            }
        }
        try (TestClient c = client()) {
            assertEquals("hello\n", c.get("/").body(), "the server still serves");
        }
    }

    /**
     * Each body is read whole: echoed where the server has the test's echo route; for worker
     * processes, which have none, each request on the connection after a body is parsed right only if
     * that body was consumed to its last byte and no further.
     */
    @Test
    void bodiesFramedByContentLengthAreReadWhole() {
        String post = "POST " + server.postTarget() + " HTTP/1.1\r\nHost: socklab\r\n";
        try (TestClient c = client()) {
            server.assertBodyReadWhole(c.send(post + "Content-Length: 10\r\n\r\nhello body").read(), "hello body");

            c.send(post + "Content-Length: 11\r\n\r\nsplit ").send("body!");
            server.assertBodyReadWhole(c.read(), "split body!");

            String large = "0123456789abcdef".repeat(12_500); // 200 000 bytes, far beyond the input buffer
            c.send(post + "Content-Length: " + large.length() + "\r\n\r\n" + large);
            server.assertBodyReadWhole(c.read(), large);

            String body = "x".repeat(1000);
            c.send(post + "Expect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
            assertEquals(100, c.read().status(), "the server asks for the body");
            c.send(body);
            server.assertBodyReadWhole(c.read(), body);
            assertEquals("hello\n", c.get("/").body());
        }
    }

    /**
     * Timeouts, with short limits. A new connection gets the header timeout from accept (nginx's
     * client_header_timeout), so the silent and the slow clients both hear from the server about
     * {@code SHORT} after they connect; the idle test runs with a long header timeout, so that only the
     * idle timeout can close its connection.
     */
    @Test
    @StartsItsOwnServers
    void slowHeadsGet408AndIdleConnectionsAreClosed() {
        final long shortMillis = 400;
        startWith(new HttpLimits(8192, 1 << 20, 10_000, shortMillis, 2_000, 1_000));
        try (TestClient silent = client(); TestClient slow = client()) {
            slow.send("GET / HTTP/1.1\r\nHo");
            TestClient.Response r = slow.read();
            assertEquals(408, r.status(), r.body());
            assertTrue(slow.closedByServer());
            assertTrue(silent.closedByServer(), "a connection that never sends is closed after the header timeout");
        }
        startWith(new HttpLimits(8192, 1 << 20, shortMillis, 10_000, 2_000, 1_000));
        try (TestClient idle = client()) {
            long start = System.nanoTime(); // before the request, so before the server starts its idle clock
            assertEquals(200, idle.get("/").status());
            assertTrue(idle.closedByServer(), "closed after the idle timeout (waited at most 10 s)");
            long waited = System.nanoTime() - start;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(shortMillis), "closed " + waited + " ns after the request: too early");
        }
    }

    /**
     * A stop answers the request in flight and, on an idle keep-alive connection, the next request
     * that comes within the drain time, both with {@code Connection: close}; then nothing listens.
     * With worker processes both connections are the same process's, so that the busy one's answer,
     * which says close, shows that this process is stopping before the idle one's request is sent.
     */
    @Test
    void shutdownAnswersTheRequestInFlightAndTheNextOnAnIdleConnection() throws Exception {
        Thread closer;
        try (TestClient idle = client()) {
            TestClient.Response first = idle.get("/");
            assertEquals(200, first.status());
            try (TestClient busy = clientOfTheProcessOf(first)) {
                busy.send(TestClient.request(server.blockingTarget()));
                assertTrue(Loopback.await(server::blockedInHandler, 10), "the blocking request reached its handler");
                closer = Thread.ofPlatform().start(server::close);
                assertTrue(Loopback.await(server::isStopping, 10), "close() has begun");
                server.release();
                TestClient.Response r = busy.read();
                assertEquals(200, r.status());
                assertEquals(server.blockedAnswer(), r.body());
                assertEquals("close", r.header("Connection"), "a response during shutdown closes its connection");
                assertTrue(busy.finishedByServer());
            }
            TestClient.Response late = idle.get("/");
            assertEquals(200, late.status(), "a request on an idle connection during the drain time is answered");
            assertEquals("close", late.header("Connection"));
            assertTrue(idle.finishedByServer());
        } // the client's close ends the server's lingering close, which close() waits for
        closer.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(!closer.isAlive(), "close() returned");
        assertThrows(ConnectException.class, () -> new Socket(server.address().getAddress(), server.address().getPort()).close(),
                "nothing listens any more");
    }

    /**
     * A keep-alive connection that sends nothing while the server stops is closed once the drain time
     * is over, not before, and gracefully (end of stream, not a reset).
     */
    @Test
    @StartsItsOwnServers
    void shutdownClosesASilentConnectionAfterTheDrainTime() throws Exception {
        final long drainMillis = 300;
        startWith(new HttpLimits(8192, 1 << 20, 10_000, 10_000, 2_000, drainMillis));
        try (TestClient silent = client()) {
            assertEquals(200, silent.get("/").status());
            long start = System.nanoTime();
            Thread closer = Thread.ofPlatform().start(server::close);
            assertTrue(silent.finishedByServer(), "closed within 10 s");
            long waited = System.nanoTime() - start;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(drainMillis), "closed " + waited + " ns after close() began: before the drain time");
            silent.close(); // ends the server's lingering close
            closer.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(!closer.isAlive(), "close() returned");
        }
    }

    @Test
    void curlGetsAnswersOverOneKeptAliveConnection() throws Exception {
        String base = "http://" + socklab.sys.SockAddr.format(server.address());
        Process curl = new ProcessBuilder("curl", "--silent", "--show-error", "--http1.1", "--max-time", "20",
                "--include", "--write-out", "\ncurl: %{http_code} connects=%{num_connects}\n",
                base + "/", base + "/stats", base + "/work?us=100")
                .redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS) && curl.exitValue() == 0, out);
        assertTrue(out.contains("\nhello\n"), out);
        assertTrue(out.contains("\"model\":\"" + variant.config.model().cliName() + "\""), out);
        assertTrue(out.contains("worked 100 us"), out);
        List<String> results = out.lines().filter(l -> l.startsWith("curl: ")).toList();
        assertEquals(List.of("curl: 200 connects=1", "curl: 200 connects=0", "curl: 200 connects=0"), results,
                "three answers, one connection: curl kept it alive");
        assertTrue(out.lines().filter(l -> l.startsWith("X-Worker: ")).count() == 3, out);
    }

    /**
     * A new connection to the process that sent {@code answer}: any connection when the server is this
     * one process; of worker processes, the first of new connections whose answer to GET / comes from
     * that process (a connection stays with the process that took it). The kernel or the cluster
     * primary picks the process: a hash (reuseport) or a turn (cluster) gives it every other
     * connection, and an idle shared-accept group gives every connection to one process.
     */
    private TestClient clientOfTheProcessOf(TestClient.Response answer) {
        if (server.processes() == null) {
            return client();
        }
        long pid = answer.workerPid();
        List<Long> others = new ArrayList<>();
        for (int attempt = 0; attempt < 50; attempt++) {
            TestClient c = client();
            long got = c.get("/").workerPid();
            if (got == pid) {
                return c;
            }
            others.add(got);
            c.close();
        }
        throw new AssertionError("50 new connections, none to process " + pid + ": " + others);
    }


    static boolean isServerThread(String name) {
        return name.matches("(worker|reader|accept)-.*|acceptor|dispatcher|socklab-(stop|supervisor)");
    }

    /**
     * This process's descriptors for sockets, epoll instances, eventfds, pidfds and memfds (a group's
     * stats table): fd number to what it is.
     */
    static Map<String, String> kernelObjectDescriptors() {
        return kernelObjectDescriptors(ProcessHandle.current().pid());
    }

    /** As {@link #kernelObjectDescriptors()}, of process {@code pid} (one of this user's). */
    static Map<String, String> kernelObjectDescriptors(long pid) {
        Map<String, String> fds = new HashMap<>();
        try (var entries = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : entries.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:") || target.startsWith("anon_inode:") || target.startsWith("/memfd:")) {
                        fds.put(fd.getFileName().toString(), target);
                    }
                } catch (IOException gone) {
                    // the directory stream's own descriptor, closed by now
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return fds;
    }
}
