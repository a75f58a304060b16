package socklab.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import socklab.kernel.SockDiag;
import socklab.kernel.TcpSocket;
import socklab.kernel.TcpState;
import socklab.load.ErrorKind;
import socklab.load.LoadConfig;
import socklab.load.LoadGenerator;
import socklab.load.LoadResult;
import socklab.load.Mode;
import socklab.load.Progress;
import socklab.server.TestClient;
import socklab.sys.Loopback;

/**
 * Graceful shutdown under load: SIGTERM to {@code socklab serve} while clients send requests, for every
 * model in one process and for the three worker-process models. Two loads run at once: keep-alive
 * connections in a closed loop (a stop turns their next response into {@code Connection: close}, and
 * they reconnect), and a connection per request (so connections keep arriving in the accept queue
 * while the server stops). Every request a client sent on an established connection is answered 200:
 * no reset, no connection closed before its response, no timeout. What the clients may see is a
 * refused connect, once the door has shut: that is what a stopped server is.
 *
 * <p>Why this holds without timing luck, step by step: the server's responses say close from the
 * first moment of the stop; new SYNs are dropped (AcceptQueueDrain), so a connect either completed
 * before, and its connection is in the queue and gets accepted and answered, or it never completes
 * and is refused after the close; a connection idle at the stop gets its next request answered
 * within the drain time, which the test sets to 10 s (closed-loop clients send their next request at
 * once); a connection that sends nothing more is closed with a FIN. The load runs
 * {@value #LOAD_SECONDS} s and the stop comes after its first {@value #RESPONSES_BEFORE_STOP}
 * responses; the test checks that the server had exited before the load ended (and that the load
 * then saw refusals), so it cannot pass by stopping an idle server.
 *
 * <p>Measured before the stop order changed (the listener closed while connections sat in its queue,
 * and keep-alive clients told to reconnect into it): 4 resets out of 4 closed-loop connections, 3 runs
 * out of 3.
 */
class GracefulShutdownTest {
    private static final int LOAD_SECONDS = 3;
    private static final int RESPONSES_BEFORE_STOP = 300;
    private static final Duration DRAIN = Duration.ofSeconds(10);
    private static final EnumSet<ErrorKind> REFUSALS = EnumSet.of(ErrorKind.CONNECT_REFUSED, ErrorKind.CONNECT_TIMEOUT);

    record Variant(String name, List<String> serveArgs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Variant> variants() {
        return Stream.of(
                new Variant("single", List.of("--model", "single")),
                new Variant("acceptor-readers", List.of("--model", "acceptor-readers", "--workers", "2")),
                new Variant("dispatcher-workers", List.of("--model", "dispatcher-workers", "--workers", "2")),
                new Variant("shared-accept blocking", List.of("--model", "shared-accept", "--workers", "2", "--accept", "blocking")),
                new Variant("shared-accept exclusive", List.of("--model", "shared-accept", "--workers", "2", "--accept", "exclusive")),
                new Variant("reuseport", List.of("--model", "reuseport", "--workers", "2")),
                new Variant("shared-accept 2 processes", List.of("--model", "shared-accept", "--processes", "2")),
                new Variant("reuseport 2 processes", List.of("--model", "reuseport", "--processes", "2")),
                new Variant("cluster 2 processes", List.of("--model", "cluster", "--processes", "2")));
    }

    @TempDir
    Path scratch;

    private ChildServer server;
    private final List<TestClient> clients = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        clients.forEach(TestClient::close);
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void sigtermUnderLoadAnswersEveryRequestItAcceptedAndResetsNone(Variant v) throws Exception {
        Path log = scratch.resolve("serve.log");
        server = ChildServer.start(serveArgs(v.serveArgs, "--drain-ms", Long.toString(DRAIN.toMillis())), log);
        String target = "127.0.0.1:" + server.address().getPort();
        CountDownLatch flowing = new CountDownLatch(2);
        CompletableFuture<LoadResult> keepAlive = load(LoadConfig.builder(target).mode(Mode.CLOSED).connections(4), flowing);
        CompletableFuture<LoadResult> perRequest = load(LoadConfig.builder(target).mode(Mode.CONN_PER_REQUEST).connections(4), flowing);

        assertTrue(flowing.await(LOAD_SECONDS, TimeUnit.SECONDS), "both loads got " + RESPONSES_BEFORE_STOP + " responses");
        long stoppedAt = System.nanoTime();
        int status = server.terminate();
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
        String output = Files.readString(log);
        assertEquals(0, status, "serve exits 0 after SIGTERM: " + output);

        for (LoadResult r : List.of(keepAlive.get(60, TimeUnit.SECONDS), perRequest.get(60, TimeUnit.SECONDS))) {
            String what = v + " " + r.config().mode().label() + ": " + r.requests() + " requests, " + r.responses()
                    + " responses, errors " + r.errors() + ", connect errors " + r.connectErrors() + ", statuses " + r.statuses()
                    + ", examples " + r.errorExamples() + "; serve stopped in " + stopMillis + " ms; its output:\n" + output;
            System.out.println("shutdown " + what.substring(0, what.indexOf("; its output")));
            assertEquals(0, r.unaccountedRequests(), what);
            assertEquals(Map.of(), withoutRefusals(r.errors()), "every request sent on an established connection was answered: " + what);
            assertEquals(Map.of(), withoutRefusals(r.connectErrors()), "a connect either completes or is refused: " + what);
            assertEquals(Map.of(200, r.responses()), r.statuses(), what);
            assertTrue(r.connectErrors().getOrDefault(ErrorKind.CONNECT_REFUSED, 0L) > 0,
                    "the load ran past the stop and found the port closed: " + what);
        }
    }

    /**
     * Connections that sit in the accept queue when SIGTERM comes, because every accepting thread is
     * busy in a 3 s /sleep, are accepted and answered once the sleep ends; the stop says it served
     * them. The 3 s are the margin for SIGTERM to reach the server and its stop to take its first look
     * at the queue (milliseconds when measured). Single: one thread accepts and handles; two worker
     * processes on one shared socket: the parent shuts the door, the workers drain the queue.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("busyVariants")
    void connectionsQueuedBehindBusyWorkersAtSigtermAreAnswered(Variant v) throws Exception {
        Path log = scratch.resolve("serve.log");
        server = ChildServer.start(serveArgs(v.serveArgs, "--backlog", "16"), log);
        int port = server.address().getPort();
        int busy = v.serveArgs.contains("--processes") ? 2 : 1;
        List<TestClient> sleepers = new ArrayList<>();
        for (int i = 0; i < busy; i++) {
            TestClient sleeper = client();
            sleeper.send(TestClient.request("/sleep?ms=3000"));
            sleepers.add(sleeper);
            // The server has read the request and so runs the handler on the thread that accepts:
            // nothing else accepts in that process until the sleep is over.
            assertTrue(Loopback.await(() -> requestRead(port, sleeper.localPort()), 10), "sleeper " + i + " is being handled");
        }
        final int queued = 5;
        List<TestClient> waiting = new ArrayList<>();
        for (int i = 0; i < queued; i++) {
            waiting.add(client().send(TestClient.request("/")));
        }
        assertTrue(Loopback.await(() -> acceptQueue(port) == queued, 10), "the " + queued + " connections wait in the accept queue");

        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(server::terminate, task -> Thread.ofPlatform().start(task));
        for (TestClient c : waiting) {
            TestClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("Connection"), "answered during the stop");
            assertTrue(c.finishedByServer());
            c.close(); // as a client does at the end of the stream; it ends the server's lingering close
        }
        for (TestClient c : sleepers) {
            assertEquals(200, c.read().status());
            c.close();
        }
        assertEquals(0, status.get(60, TimeUnit.SECONDS));
        String output = Files.readString(log);
        assertTrue(output.contains("stopping: served the " + queued + " connections in the accept queue"), output);
    }

    static Stream<Variant> busyVariants() {
        return Stream.of(
                new Variant("single", List.of("--model", "single")),
                new Variant("shared-accept 2 processes", List.of("--model", "shared-accept", "--processes", "2", "--accept", "exclusive")));
    }

    private static List<String> serveArgs(List<String> model, String... more) {
        List<String> args = new ArrayList<>(model);
        args.addAll(List.of("--port", "0"));
        args.addAll(List.of(more));
        return args;
    }

    /** Runs {@code config} for {@value #LOAD_SECONDS} s in the background; counts {@code flowing} down once it has had its responses. */
    private static CompletableFuture<LoadResult> load(LoadConfig.Builder config, CountDownLatch flowing) {
        LoadConfig c = config.threads(1).warmup(Duration.ZERO).duration(Duration.ofSeconds(LOAD_SECONDS)).build();
        Progress.Listener listener = new Progress.Listener() {
            private boolean counted;

            @Override
            public void update(Progress progress) {
                if (!counted && progress.responses() >= RESPONSES_BEFORE_STOP) {
                    counted = true;
                    flowing.countDown();
                }
            }

            @Override
            public void finished() {}
        };
        return CompletableFuture.supplyAsync(() -> {
            try {
                return LoadGenerator.run(c, listener);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, task -> Thread.ofPlatform().name("load-" + c.mode().label()).start(task)); // not the common pool: one thread on 2 cores
    }

    private static Map<ErrorKind, Long> withoutRefusals(Map<ErrorKind, Long> errors) {
        return errors.entrySet().stream().filter(e -> !REFUSALS.contains(e.getKey()) && e.getValue() > 0)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private TestClient client() {
        TestClient c = new TestClient(server.address());
        clients.add(c);
        return c;
    }

    private static long acceptQueue(int port) {
        try (SockDiag diag = SockDiag.open()) {
            return diag.listeners(port).stream().mapToLong(TcpSocket::recvQ).sum();
        }
    }

    /**
     * Whether the server has read what the client on {@code clientPort} sent: the client's bytes are
     * acknowledged (its Send-Q is 0), so they have arrived, and the server's side of the connection
     * is accepted (it has an inode) with nothing left unread (its Recv-Q is 0).
     */
    private static boolean requestRead(int port, int clientPort) {
        try (SockDiag diag = SockDiag.open()) {
            List<TcpSocket> established = diag.tcp(EnumSet.of(TcpState.ESTABLISHED), 0);
            boolean arrived = established.stream()
                    .anyMatch(s -> s.local().getPort() == clientPort && s.remote().getPort() == port && s.sendQ() == 0);
            return arrived && established.stream()
                    .anyMatch(s -> s.local().getPort() == port && s.remote().getPort() == clientPort && s.inode() != 0 && s.recvQ() == 0);
        }
    }
}
