package socklab.experiment;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import socklab.load.ErrorKind;
import socklab.load.LoadConfig;
import socklab.load.LoadGenerator;
import socklab.load.LoadResult;
import socklab.load.Mode;
import socklab.load.Progress;
import socklab.report.Charts;
import socklab.report.Finding;
import socklab.report.Finding.Verdict;
import socklab.report.Markdown;
import socklab.report.ReportSection;
import socklab.server.QueueAtStop;
import socklab.sys.SockAddr;

/**
 * {@code shutdown}: SIGTERM to {@code socklab serve} while clients send requests, and what the clients
 * saw. Two loads run at once: keep-alive connections in a closed loop (told {@code Connection: close}
 * by the stopping server, they reconnect) and a connection per request, so that connections are
 * arriving in the accept queue when the stop comes. Each server variant is stopped twice: with
 * {@code --accept-queue-at-stop drain} (socklab's stop: the door shuts, the queue is served, then the
 * listener closes; {@link socklab.server.AcceptQueueDrain}) and with {@code reset} (the listener closes
 * at once, as nginx and Node do, and the kernel resets what is queued). A request on an established
 * connection must end in a response; a refused connect after the stop is what a stopped server is.
 */
public final class ShutdownExperiment extends Experiment<ShutdownExperiment.Result> {
    private static final List<ErrorKind> REFUSALS = List.of(ErrorKind.CONNECT_REFUSED, ErrorKind.CONNECT_TIMEOUT);

    /** A server variant by its {@code serve} flags. */
    public record ServeVariant(String label, List<String> serveArgs) {
        @Override
        public String toString() {
            return label;
        }
    }

    static final List<ServeVariant> SERVERS = List.of(
            new ServeVariant("single", List.of("--model", "single")),
            new ServeVariant("acceptor-readers", List.of("--model", "acceptor-readers", "--workers", "2")),
            new ServeVariant("dispatcher-workers", List.of("--model", "dispatcher-workers", "--workers", "2")),
            new ServeVariant("shared-accept/blocking", List.of("--model", "shared-accept", "--workers", "2", "--accept", "blocking")),
            new ServeVariant("shared-accept/exclusive", List.of("--model", "shared-accept", "--workers", "2", "--accept", "exclusive")),
            new ServeVariant("reuseport", List.of("--model", "reuseport", "--workers", "2")),
            new ServeVariant("shared-accept/2-processes", List.of("--model", "shared-accept", "--processes", "2")),
            new ServeVariant("reuseport/2-processes", List.of("--model", "reuseport", "--processes", "2")),
            new ServeVariant("cluster/2-processes", List.of("--model", "cluster", "--processes", "2")));

    /**
     * What one load saw; every request ends in exactly one response or error, every connect
     * established or in an error.
     *
     * @param lost requests sent on an established connection that got no response (reset, closed early,
     *             timed out, any other failure): what a graceful stop must not produce
     */
    public record LoadCounts(String mode, long requests, long responses, long non200, long reset, long lost,
                             long connectRefused, long connectTimedOut) {
        static LoadCounts of(LoadResult r) {
            long lost = r.errors().entrySet().stream().filter(e -> !REFUSALS.contains(e.getKey())).mapToLong(Map.Entry::getValue).sum();
            long non200 = r.responses() - r.statuses().getOrDefault(200, 0L);
            return new LoadCounts(r.config().mode().label(), r.requests(), r.responses(), non200,
                    r.errors().getOrDefault(ErrorKind.RESET, 0L), lost + r.unaccountedRequests(),
                    r.connectErrors().getOrDefault(ErrorKind.CONNECT_REFUSED, 0L),
                    r.connectErrors().getOrDefault(ErrorKind.CONNECT_TIMEOUT, 0L));
        }
    }

    /**
     * One SIGTERM under load.
     *
     * @param stopMillis        from SIGTERM until the process had exited
     * @param stoppedDuringLoad the server had exited before the loads ended (else the trial shows nothing)
     * @param stopLines         what serve said on stderr about its accept queues while stopping
     */
    public record Trial(String server, String queueAtStop, int exitStatus, long stopMillis, boolean stoppedDuringLoad,
                        LoadCounts keepAlive, LoadCounts perRequest, List<String> stopLines) {
        long lost() {
            return keepAlive.lost + perRequest.lost;
        }

        long reset() {
            return keepAlive.reset + perRequest.reset;
        }
    }

    /**
     * How a trial is run.
     *
     * @param loadMillis  how long each load runs, the stop included
     * @param drainMillis serve's --drain-ms
     */
    public record Settings(int connections, int responsesBeforeStop, long loadMillis, long drainMillis) {}

    public record Result(Settings settings, List<Trial> trials) {}

    public ShutdownExperiment() {
        super("shutdown", "Shutdown under load: the accept queue drained or reset",
                "SIGTERM to socklab serve while two loads run (C keep-alive connections in a closed loop, C connections "
                + "opened per request). Each server variant is stopped twice: --accept-queue-at-stop drain (socklab's stop: "
                + "no new handshakes, the queued connections served, then the listener closed) and reset (the listener "
                + "closed at once, as nginx and Node do). Counted per load: responses, resets, and requests lost in any "
                + "other way, and refused connects after the stop.", Result.class);
    }

    @Override
    public List<Knob> knobs() {
        return List.of(
                Knob.names("servers", "server variants", "single,reuseport,shared-accept/2-processes,cluster/2-processes",
                        Knob.ALL, () -> SERVERS.stream().map(ServeVariant::label).toList()),
                Knob.count("connections", "connections of each of the two loads", 4, 8),
                Knob.count("responses-before-stop", "SIGTERM once each load has had this many responses", 300, 1000),
                Knob.duration("load", "how long each load runs, the stop included", "3s", "5s"));
    }

    @Override
    public Map<String, String> fields() {
        return fields(
                "trials[].keep_alive / per_request", "the two loads' counts (socklab load, closed loop with keep-alive / one "
                        + "connection per request): requests started, responses, resets (ECONNRESET or EPIPE), lost (requests that "
                        + "ended without a response for any reason but a refused or timed-out connect), refused connects",
                "trials[].stop_millis", "from SIGTERM until the serve process had exited (its workers included)",
                "trials[].stopped_during_load", "the server had exited before the loads ended",
                "trials[].stop_lines", "serve's own lines about its accept queues while stopping (what it served before closing "
                        + "the listener, or what it left to be reset)",
                "settings.drain_millis", "--drain-ms: how long an idle keep-alive connection is kept for one more request");
    }

    @Override
    public Result run(Params p, PrintWriter out) throws InterruptedException {
        Settings s = new Settings(p.count("connections"), p.count("responses-before-stop"), p.duration("load").toMillis(), 2_000);
        List<Trial> trials = new ArrayList<>();
        for (String label : p.names("servers")) {
            ServeVariant server = SERVERS.stream().filter(v -> v.label.equals(label)).findFirst().orElseThrow();
            for (QueueAtStop q : QueueAtStop.values()) {
                Trial t = trial(server, q, s);
                out.println("  " + line(t));
                out.flush();
                trials.add(t);
            }
        }
        return new Result(s, trials);
    }

    /** Starts {@code server}, runs both loads, sends SIGTERM after their first responses, and counts. */
    static Trial trial(ServeVariant server, QueueAtStop queueAtStop, Settings s) throws InterruptedException {
        try {
            Path log = Files.createTempFile("socklab-shutdown-", ".log");
            try {
                return trial(server, queueAtStop, s, log);
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Trial trial(ServeVariant server, QueueAtStop queueAtStop, Settings s, Path log) throws InterruptedException, IOException {
        List<String> args = new ArrayList<>(server.serveArgs);
        args.addAll(List.of("--port", "0", "--drain-ms", Long.toString(s.drainMillis), "--accept-queue-at-stop", queueAtStop.cliName()));
        try (ChildServer child = ChildServer.start(args, log)) {
            String target = SockAddr.format(child.address());
            CountDownLatch flowing = new CountDownLatch(2);
            long loadStart = System.nanoTime();
            CompletableFuture<LoadResult> keepAlive = load(LoadConfig.builder(target).mode(Mode.CLOSED), s, flowing);
            CompletableFuture<LoadResult> perRequest = load(LoadConfig.builder(target).mode(Mode.CONN_PER_REQUEST), s, flowing);
            if (!flowing.await(s.loadMillis, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(server.label + ": the loads did not get " + s.responsesBeforeStop
                        + " responses each within " + s.loadMillis + " ms; the server's output: " + Files.readString(log).strip());
            }
            long sigterm = System.nanoTime();
            int status = child.terminate();
            long exited = System.nanoTime();
            LoadResult k = keepAlive.get(s.loadMillis + 60_000, TimeUnit.MILLISECONDS);
            LoadResult r = perRequest.get(s.loadMillis + 60_000, TimeUnit.MILLISECONDS);
            boolean duringLoad = exited < loadStart + TimeUnit.MILLISECONDS.toNanos(s.loadMillis)
                    && r.connectErrors().getOrDefault(ErrorKind.CONNECT_REFUSED, 0L) > 0;
            List<String> stopLines = Files.readAllLines(log).stream().filter(l -> l.contains("stopping: ")).toList();
            return new Trial(server.label, queueAtStop.cliName(), status, TimeUnit.NANOSECONDS.toMillis(exited - sigterm), duringLoad,
                    LoadCounts.of(k), LoadCounts.of(r), stopLines);
        } catch (ExecutionException e) {
            throw new IllegalStateException(server.label + ": a load failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(server.label + ": a load did not end", e);
        }
    }

    /** Runs one load in a thread of its own (not the common pool, which has one thread on 2 cores); counts {@code flowing} down once it had its responses. */
    private static CompletableFuture<LoadResult> load(LoadConfig.Builder config, Settings s, CountDownLatch flowing) {
        LoadConfig c = config.connections(s.connections).threads(1).warmup(Duration.ZERO).duration(Duration.ofMillis(s.loadMillis)).build();
        Progress.Listener listener = new Progress.Listener() {
            private boolean counted;

            @Override
            public void update(Progress progress) {
                if (!counted && progress.responses() >= s.responsesBeforeStop) {
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
        }, task -> Thread.ofPlatform().name("socklab-shutdown-load-" + c.mode().label()).daemon().start(task));
    }

    private static String counts(LoadCounts c) {
        return String.format("%s %d responses, %d reset, %d lost, %d refused", c.mode(), c.responses(), c.reset(), c.lost(), c.connectRefused());
    }

    private static String line(Trial t) {
        return String.format("%-26s %-5s stop %5d ms (exit %d)%s: %s; %s", t.server(), t.queueAtStop(), t.stopMillis(), t.exitStatus(),
                t.stoppedDuringLoad() ? "" : " AFTER the load ended", counts(t.keepAlive()), counts(t.perRequest()));
    }

    @Override
    public List<String> table(Result result) {
        return result.trials().stream().map(ShutdownExperiment::line).toList();
    }

    @Override
    public ReportSection report(Result result, Params p, Charts charts) {
        List<List<String>> rows = new ArrayList<>();
        for (Trial t : result.trials()) {
            rows.add(List.of(t.server(), t.queueAtStop(), Long.toString(t.stopMillis()),
                    t.keepAlive().responses() + " / " + t.keepAlive().reset() + " / " + t.keepAlive().lost(),
                    t.perRequest().responses() + " / " + t.perRequest().reset() + " / " + t.perRequest().lost(),
                    Long.toString(t.keepAlive().connectRefused() + t.perRequest().connectRefused()),
                    t.stopLines().isEmpty() ? "–" : String.join(" ", t.stopLines()).replaceAll("socklab: (serve: )?stopping: ", "")));
        }
        Settings s = result.settings();
        String md = "Each load: " + s.connections() + " connections; SIGTERM after " + s.responsesBeforeStop() + " responses of each; "
                + "loads of " + s.loadMillis() + " ms; --drain-ms " + s.drainMillis() + ".\n\n"
                + Markdown.table(List.of("server", "accept queue at stop", "stop (ms)", "keep-alive: responses / reset / lost",
                "per request: responses / reset / lost", "refused connects", "serve said"), rows);
        return new ReportSection(title(), md, findings(result));
    }

    List<Finding> findings(Result result) {
        List<Finding> out = new ArrayList<>();
        List<Trial> drained = result.trials().stream().filter(t -> t.queueAtStop().equals(QueueAtStop.DRAIN.cliName())).toList();
        List<Trial> reset = result.trials().stream().filter(t -> t.queueAtStop().equals(QueueAtStop.RESET.cliName())).toList();
        if (!drained.isEmpty()) {
            boolean valid = drained.stream().allMatch(t -> t.stoppedDuringLoad() && t.exitStatus() == 0);
            out.add(new Finding("Stop with the accept queue drained",
                    summary(drained) + (valid ? "" : " (some trials did not stop while the load ran, or exited non-zero: see the table)"),
                    "socklab's own requirement (issue 9): SIGTERM while a load runs, every accepted request is answered and the "
                            + "client counts no reset.",
                    "every trial exited 0 while the loads ran, with 0 requests lost and 0 non-200",
                    Verdict.of(valid && drained.stream().allMatch(t -> t.lost() == 0 && t.keepAlive().non200() + t.perRequest().non200() == 0))));
        }
        if (!reset.isEmpty()) {
            out.add(new Finding("Stop with the listener closed at once", summary(reset),
                    "nginx (anchors: `listen … reuseport`): connections queued on a socket are reset if that socket closes; the same "
                            + "holds for any listener closed with connections in its queue (inet_csk_listen_stop).",
                    "resets in at least one trial",
                    Verdict.of(reset.stream().anyMatch(t -> t.reset() > 0))));
        }
        return out;
    }

    private static String summary(List<Trial> trials) {
        return trials.stream().map(t -> t.server() + ": " + t.reset() + " reset, " + t.lost() + " lost")
                .reduce((a, b) -> a + "; " + b).orElse("") + ".";
    }
}
