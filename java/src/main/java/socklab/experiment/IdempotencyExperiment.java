package socklab.experiment;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import socklab.idem.Comment;
import socklab.idem.CommentRoutes;
import socklab.idem.CommentService;
import socklab.idem.CommentsConfig;
import socklab.idem.FaultInjector;
import socklab.idem.FaultPlan;
import socklab.server.Model;
import socklab.server.Server;
import socklab.server.ServerConfig;

/**
 * {@code socklab experiment idempotency}: how a retry becomes a duplicate comment, and how an
 * Idempotency-Key stops it. Three parts, each scenario on a database of its own:
 * <ol>
 * <li>Client retries: N POSTs to a server that drops the connection or delays the response after
 *     committing (seeded); the client retries on reset or timeout. Without a key every fault is a
 *     duplicate; with one, none is.</li>
 * <li>nginx retries: a real nginx before two backends sharing one database, the client sending each
 *     request once. With {@code proxy_next_upstream error timeout} nginx retries the mutating GET on the
 *     other backend and not POST; with {@code non_idempotent} it retries POST too; the key makes the
 *     retried POST a replay. Skipped, saying how to install nginx, when there is none.</li>
 * <li>Crash: keyed POSTs from several clients to {@code socklab serve} in a JVM of its own, killed with
 *     SIGKILL halfway and restarted on the same database; the clients retry throughout.</li>
 * </ol>
 * Every scenario ends with a {@link Ledger}: each request's ending against the rows it left.
 */
public final class IdempotencyExperiment {
    private IdempotencyExperiment() {}

    /**
     * @param requests        logical requests per scenario
     * @param seed            fault seed (backend k of a pair uses seed + k)
     * @param faults          what the servers inject after a commit (the seed above replaces the plan's)
     * @param clientTimeout   a client's wait per connect and per read in parts 1 and 3 (below the fault delay)
     * @param proxyTimeout    nginx's proxy_read_timeout (below the fault delay)
     * @param model           the server architecture of every backend
     * @param workers         its worker threads (a delayed response holds one)
     * @param crashClients    concurrent clients in part 3
     * @param nginx           the nginx binary, or empty to skip part 2
     */
    public record Settings(int requests, long seed, FaultPlan faults, Duration clientTimeout, Duration proxyTimeout,
                           Model model, int workers, int crashClients, Optional<Path> nginx) {
        public Settings {
            if (requests < 2) {
                throw new IllegalArgumentException("--requests must be at least 2, got " + requests);
            }
            if (faults.delayProbability() > 0
                    && (faults.delay().compareTo(clientTimeout) <= 0 || faults.delay().compareTo(proxyTimeout) <= 0)) {
                throw new IllegalArgumentException("--fault-delay-for (" + faults.delay().toMillis() + " ms) must exceed both "
                        + "--client-timeout and --proxy-timeout, or a delayed response is no timeout");
            }
            if (workers < 1 || crashClients < 1) {
                throw new IllegalArgumentException("--workers and --crash-clients must be at least 1");
            }
            faults = faults.withSeed(seed);
        }
    }

    /**
     * One scenario's outcome.
     *
     * @param part            1 client retries, 2 nginx retries, 3 crash
     * @param name            what it shows
     * @param request         the request line sent: {@code POST /comments} or {@code GET /comments/add}
     * @param idempotencyKey  whether each request carried a key of its own
     * @param retriedBy       who retries: {@code client}, or nginx's {@code proxy_next_upstream} value
     * @param ledger          the requests against the rows
     * @param injectedDrops   connections the backends dropped after a commit; null where not counted (part 3's server is killed)
     * @param injectedDelays  responses the backends delayed after a commit; null where not counted
     * @param nginxRetries    tries beyond the first in nginx's access log ($upstream_addr); null without nginx
     * @param note            what else was seen (part 3: requests in flight at the kill)
     * @param seconds         wall time of the scenario, start-up of servers and nginx included
     */
    public record Scenario(int part, String name, String request, boolean idempotencyKey, String retriedBy, Ledger ledger,
                           Long injectedDrops, Long injectedDelays, Integer nginxRetries, String note, double seconds) {

        Scenario timed(long startNanos) {
            return new Scenario(part, name, request, idempotencyKey, retriedBy, ledger, injectedDrops, injectedDelays,
                    nginxRetries, note, Math.round((System.nanoTime() - startNanos) / 1e7) / 100.0);
        }
    }

    /**
     * @param scenarios     in the order run
     * @param nginxSkipped  why part 2 did not run, or null
     * @param nginxVersion  {@code nginx -v}'s answer, or null
     */
    public record Result(List<Scenario> scenarios, String nginxSkipped, String nginxVersion) {}

    /** Runs the three parts in {@code workDir} (a scratch directory: databases, nginx's files, server logs). */
    public static Result run(Settings settings, Path workDir, PrintWriter progress) throws InterruptedException {
        List<Scenario> scenarios = new ArrayList<>();
        for (boolean keyed : new boolean[] {false, true}) {
            progress.println("part 1: client retries, " + (keyed ? "with" : "without") + " Idempotency-Key ...");
            progress.flush();
            long start = System.nanoTime();
            scenarios.add(clientRetries(settings, workDir.resolve("client-" + tag(keyed)), keyed).timed(start));
        }
        String skipped = null;
        String version = null;
        if (settings.nginx().isEmpty()) {
            skipped = Nginx.INSTALL_HINT;
            progress.println("part 2: skipped: " + skipped);
        } else {
            Path nginx = settings.nginx().get();
            version = Nginx.version(nginx);
            record Case(String route, boolean keyed, boolean nonIdempotent) {}
            for (Case c : List.of(new Case(ADD, false, false), new Case(POST, false, false),
                    new Case(POST, false, true), new Case(POST, true, true))) {
                progress.println("part 2: nginx, " + c.route + (c.keyed ? " with key" : "") + ", proxy_next_upstream "
                        + new Nginx.Proxy(List.of(), c.nonIdempotent, settings.proxyTimeout()).nextUpstream() + " ...");
                progress.flush();
                long start = System.nanoTime();
                scenarios.add(viaNginx(settings, nginx, workDir.resolve("nginx-" + scenarios.size()), c.route, c.keyed,
                        c.nonIdempotent).timed(start));
            }
        }
        progress.println("part 3: kill -9 in the middle of a keyed run, restart on the same database ...");
        progress.flush();
        long start = System.nanoTime();
        scenarios.add(crash(settings, workDir.resolve("crash")).timed(start));
        return new Result(scenarios, skipped, version);
    }

    private static final String POST = "POST /comments";
    private static final String ADD = "GET /comments/add";

    private static String tag(boolean keyed) {
        return keyed ? "key" : "nokey";
    }

    /** Request {@code i} of a scenario: a text no other request has, and a key of its own when keyed. */
    static HttpCall call(String route, String scenario, int i, boolean keyed) {
        String text = text(scenario, i);
        Map<String, String> headers = keyed ? Map.of(CommentRoutes.KEY_FIELD, scenario + "-" + i) : Map.of();
        if (route.equals(ADD)) {
            return new HttpCall("GET", "/comments/add?author=lab&text=" + URLEncoder.encode(text, StandardCharsets.UTF_8),
                    headers, new byte[0]);
        }
        String json = "{\"author\":\"lab\",\"text\":\"" + text + "\"}";
        Map<String, String> withType = new java.util.LinkedHashMap<>(headers);
        withType.put("Content-Type", "application/json");
        return new HttpCall("POST", "/comments", withType, json.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(String scenario, int i) {
        return scenario + " request " + i;
    }

    /** An in-process server with the comment routes on the database in {@code dataDir}. */
    private record Backend(CommentService service, FaultInjector faults, Server server) implements AutoCloseable {
        static Backend start(Settings s, Path dataDir, FaultPlan plan) {
            CommentService service = CommentService.open(CommentsConfig.of(dataDir).withFaults(plan), s.workers() + 1);
            FaultInjector faults = new FaultInjector(plan);
            try {
                Server server = Server.start(ServerConfig.of(s.model()).withWorkers(s.workers()),
                        router -> CommentRoutes.addTo(router, service, faults));
                return new Backend(service, faults, server);
            } catch (RuntimeException | Error e) {
                service.close();
                throw e;
            }
        }

        @Override
        public void close() {
            server.close();
            service.close();
        }
    }

    private static Scenario clientRetries(Settings s, Path dir, boolean keyed) throws InterruptedException {
        String scenario = "client-" + tag(keyed);
        RetryingClient.Policy policy = new RetryingClient.Policy(s.clientTimeout(), 20, Duration.ZERO, Set.of());
        try (Backend b = Backend.start(s, dir, s.faults())) {
            List<Ledger.Sent> sent = new ArrayList<>();
            for (int i = 0; i < s.requests(); i++) {
                sent.add(new Ledger.Sent(text(scenario, i),
                        RetryingClient.send(b.server()::address, call(POST, scenario, i, keyed), policy)));
            }
            Ledger ledger = Ledger.of(sent, texts(b.service()));
            return new Scenario(1, keyed ? "client retries, each request with its own key" : "client retries, no key",
                    POST, keyed, "client", ledger, b.faults().drops(), b.faults().delays(), null, null, 0);
        }
    }

    private static Scenario viaNginx(Settings s, Path nginxBinary, Path dir, String route, boolean keyed, boolean nonIdempotent)
            throws InterruptedException {
        String scenario = dir.getFileName() + "-" + tag(keyed);
        List<Ledger.Sent> sent = new ArrayList<>();
        try (Backend a = Backend.start(s, dir.resolve("data"), s.faults());
             Backend b = Backend.start(s, dir.resolve("data"), s.faults().withSeed(s.seed() + 1))) {
            Nginx.Proxy proxy = new Nginx.Proxy(List.of(a.server().address(), b.server().address()), nonIdempotent, s.proxyTimeout());
            Nginx nginx = Nginx.start(nginxBinary, dir.resolve("nginx"), proxy);
            try {
                // nginx's own timeouts end every request; the client waits longer and never retries.
                RetryingClient.Policy once = RetryingClient.Policy.once(s.proxyTimeout().multipliedBy(2).plus(Duration.ofSeconds(5)));
                for (int i = 0; i < s.requests(); i++) {
                    sent.add(new Ledger.Sent(text(scenario, i),
                            RetryingClient.send(nginx::address, call(route, scenario, i, keyed), once)));
                }
            } finally {
                nginx.close(); // after which its access log is complete
            }
            List<Nginx.AccessEntry> log = nginx.accessLog();
            Ledger ledger = Ledger.of(sent, texts(a.service()));
            int retries = log.stream().mapToInt(Nginx.AccessEntry::retries).sum();
            String name = "nginx retries " + (route.equals(ADD) ? "the mutating GET" : "POST")
                    + (nonIdempotent ? " (non_idempotent)" : "") + (keyed ? ", each request with its own key" : ", no key");
            return new Scenario(2, name, route, keyed, proxy.nextUpstream(), ledger,
                    a.faults().drops() + b.faults().drops(), a.faults().delays() + b.faults().delays(), retries, null, 0);
        }
    }

    private static Scenario crash(Settings s, Path dir) throws InterruptedException {
        String scenario = "crash-key";
        Path dataDir = dir.resolve("data");
        List<String> serveArgs = List.of("--model", s.model().cliName(), "--workers", Integer.toString(s.workers()),
                "--port", "0", "--data-dir", dataDir.toString(),
                "--fault-drop", Double.toString(s.faults().dropProbability()),
                "--fault-delay", Double.toString(s.faults().delayProbability()),
                "--fault-delay-for", s.faults().delay().toMillis() + "ms", "--seed", Long.toString(s.seed()));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Until the server is back, attempts are refused; 409 is a key still held by the dead process's
        // claim being taken over; 503 a database locked past the busy timeout.
        RetryingClient.Policy patient = new RetryingClient.Policy(s.clientTimeout(), 1000, Duration.ofMillis(20), Set.of(409, 503));
        List<Ledger.Sent> sent = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicReference<Throwable> clientFailure = new AtomicReference<>();
        int inFlightAtKill;
        ChildServer first = ChildServer.start(serveArgs, dir.resolve("serve-1.log"));
        AtomicReference<InetSocketAddress> target = new AtomicReference<>(first.address());
        List<Thread> clients = new ArrayList<>();
        try {
            for (int c = 0; c < s.crashClients(); c++) {
                clients.add(Thread.ofPlatform().name("crash-client-" + c).start(() -> {
                    try {
                        for (int i = next.getAndIncrement(); i < s.requests(); i = next.getAndIncrement()) {
                            RetryingClient.Result r = RetryingClient.send(target::get, call(POST, scenario, i, true), patient);
                            sent.add(new Ledger.Sent(text(scenario, i), r));
                            if (r.acknowledged()) {
                                acknowledged.incrementAndGet();
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException | Error e) {
                        clientFailure.compareAndSet(null, e);
                    }
                }));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (acknowledged.get() < s.requests() / 2 && System.nanoTime() < deadline && clientFailure.get() == null) {
                Thread.sleep(2);
            }
            inFlightAtKill = Math.min(next.get(), s.requests()) - sent.size();
            first.kill9();
        } finally {
            first.close();
        }
        long killed = System.nanoTime();
        double downSeconds;
        try (ChildServer second = ChildServer.start(serveArgs, dir.resolve("serve-2.log"))) {
            target.set(second.address());
            downSeconds = (System.nanoTime() - killed) / 1e9;
            for (Thread t : clients) {
                t.join();
            }
        }
        if (clientFailure.get() != null) {
            throw new IllegalStateException("a crash-run client failed: " + clientFailure.get(), clientFailure.get());
        }
        List<String> stored;
        try (CommentService view = CommentService.open(CommentsConfig.of(dataDir), 1)) {
            stored = texts(view);
        }
        Ledger ledger = Ledger.of(List.copyOf(sent), stored);
        return new Scenario(3, "kill -9 halfway, restart on the same database, each request with its own key", POST, true,
                "client", ledger, null, null, null, String.format("%d requests in flight at the kill; down %.1f s (JVM restart)", inFlightAtKill, downSeconds), 0);
    }

    private static List<String> texts(CommentService service) {
        return service.comments().stream().map(Comment::text).toList();
    }
}
