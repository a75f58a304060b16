package socklab.experiment;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import socklab.http.HttpLimits;
import socklab.kernel.QueueSample;
import socklab.kernel.QueueSampler;
import socklab.kernel.QueueSeries;
import socklab.load.LoadConfig;
import socklab.load.LoadGenerator;
import socklab.load.LoadResult;
import socklab.load.Mode;
import socklab.report.Charts;
import socklab.report.Finding;
import socklab.report.Finding.Verdict;
import socklab.report.Markdown;
import socklab.report.ReportSection;
import socklab.server.Model;
import socklab.server.Server;
import socklab.sys.Binding;

/**
 * {@code slow-worker}: one blocked cashier. Under a steady rate of new connections (one request each),
 * one request {@code GET /sleep?ms=S} blocks the worker that takes it for S ms. With one shared accept
 * queue the other workers keep taking connections; with a queue per worker (SO_REUSEPORT) the blocked
 * worker's queue fills and every connection the kernel put there waits. The queue of every listening
 * socket is sampled through sock_diag while it happens, and the client measures latency from each
 * connection's intended start (the rate is paced, so a stall is not hidden by coordinated omission).
 */
public final class SlowWorkerExperiment extends Experiment<SlowWorkerExperiment.Result> {

    /** One listening socket's queue over the run: {elapsed ms, accept queue} points. */
    public record SocketSeries(String label, long backlog, long maxAcceptQueue, List<double[]> points) {}

    /**
     * One variant's run.
     *
     * @param stalledWorker the X-Worker of the /sleep response: the worker that was blocked
     * @param stallFromMs   when the /sleep request was sent, ms since sampling started
     * @param stallToMs     when its response arrived
     */
    public record Run(String variant, String stalledWorker, double stallFromMs, double stallToMs, LatencySummary latency,
                      long requests, long errors, long unsent, Map<String, Long> connectionsPerWorker,
                      List<SocketSeries> sockets, Map<String, Long> tcpCounterDeltas) {
        long maxQueue() {
            return sockets.stream().mapToLong(SocketSeries::maxAcceptQueue).max().orElse(0);
        }
    }

    /** @param skipped variants that could not run as a server in this JVM, with the reason */
    public record Result(int workers, double rate, long stallMs, List<Run> runs, List<String> skipped) {}

    public SlowWorkerExperiment() {
        super("slow-worker", "Slow worker: one blocked cashier, shared queue vs a queue per worker",
                "A paced stream of new connections (one GET / each) runs against a server with N workers; a while into the "
                + "window one request GET /sleep?ms=S blocks the worker that takes it. The accept queue of every listening "
                + "socket is sampled through sock_diag, and latency is measured from each connection's intended start.", Result.class);
    }

    @Override
    public List<Knob> knobs() {
        return List.of(
                Knob.names("variants", "server variants", "shared-accept/exclusive,shared-accept/blocking,reuseport/hash",
                        "shared-accept/exclusive,shared-accept/blocking,shared-accept/epoll,reuseport/hash",
                        () -> Variant.all().stream().filter(v -> v.model() != Model.SINGLE).map(Variant::label).toList()),
                Knob.count("workers", "workers per server", 4, 4),
                Knob.count("rate", "new connections per second", 1000, 2000),
                Knob.duration("stall", "how long the one request blocks its worker", "1s", "2s"),
                Knob.duration("stall-after", "when the blocking request is sent, from the start of the window", "1s", "2s"),
                Knob.duration("duration", "measured window", "3s", "6s"),
                Knob.duration("sample", "queue sampling interval", "20ms", "10ms"));
    }

    @Override
    public Map<String, String> fields() {
        return fields(
                "runs[].latency", "ms per request, from its intended start (connect included) to the end of the response; "
                        + "paced conn-per-request at --rate, so requests due while the server stalls count their wait (HdrHistogram)",
                "runs[].sockets[].points", "[ms since sampling started, accept-queue length] of each listening socket, one "
                        + "sock_diag dump per interval (idiag_rqueue, what ss shows as Recv-Q)",
                "runs[].sockets[].max_accept_queue", "the largest sampled accept-queue length of that socket",
                "runs[].stall_from_ms/stall_to_ms", "when GET /sleep was sent and when its response came back, on the sampler's clock",
                "runs[].stalled_worker", "X-Worker of the /sleep response",
                "runs[].unsent", "requests due but never started because every client slot was busy (0 means the client kept its schedule)",
                "runs[].tcp_counter_deltas", "TCP counters over the run, for the namespace (see environment.counters_scope)");
    }

    @Override
    public Result run(Params p, PrintWriter out) throws InterruptedException {
        List<Run> runs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> Thread.ofPlatform().daemon().name("slow-worker").unstarted(r));
        try {
            for (String label : p.names("variants")) {
                Run r = runOne(Variant.byLabel(label), p, pool, skipped, out);
                if (r == null) {
                    continue;
                }
                runs.add(r);
                out.printf("  %s: stalled worker %s, max queue %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", label,
                        r.stalledWorker, r.maxQueue(), r.latency.p50(), r.latency.p99(), r.latency.max());
                out.flush();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Result(p.count("workers"), p.count("rate"), p.duration("stall").toMillis(), runs, skipped);
    }

    /** One variant's run, or null when it cannot run here (recorded in {@code skipped}). */
    private Run runOne(Variant v, Params p, ExecutorService pool, List<String> skipped, PrintWriter out) throws InterruptedException {
        Duration stall = p.duration("stall");
        Duration warmup = Duration.ofMillis(500);
        int rate = p.count("rate");
        // Room for every connection due during the stall plus a second more: the client must not run out of slots.
        int slots = (int) Math.min(15_000, rate * (stall.toMillis() + 1000) / 1000 + 64);
        Server started = Lab.startOrSkip(v.label(), v.config(p.count("workers"), Binding.NAMES.getFirst(), 511, HttpLimits.DEFAULTS),
                skipped, out);
        if (started == null) {
            return null;
        }
        try (Server server = started) {
            Map<Integer, String> labels = new LinkedHashMap<>();
            List<Integer> fds = server.listeners();
            for (int i = 0; i < fds.size(); i++) {
                labels.put(fds.get(i), fds.size() == 1 ? "shared socket" : "socket of worker " + i);
            }
            LoadConfig config = LoadConfig.builder(Lab.target(server)).mode(Mode.CONN_PER_REQUEST).rate(rate)
                    .connections(slots).warmup(warmup).duration(p.duration("duration"))
                    .timeout(stall.plus(Duration.ofSeconds(5))).build();
            QueueSampler sampler = QueueSampler.start(server.address().getPort(), p.duration("sample"), QueueSampler.labelsByFd(labels));
            long t0 = sampler.startNanos(); // stall times on the samples' clock
            QueueSeries series;
            LoadResult load;
            HttpCall.Outcome sleep;
            double from;
            double to;
            try {
                Future<LoadResult> loadRun = pool.submit(() -> LoadGenerator.run(config));
                TimeUnit.NANOSECONDS.sleep(warmup.plus(p.duration("stall-after")).toNanos() - (System.nanoTime() - t0));
                from = (System.nanoTime() - t0) / 1e6;
                sleep = new HttpCall("GET", "/sleep?ms=" + stall.toMillis(), Map.of(), new byte[0])
                        .send(server.address(), stall.plus(Duration.ofSeconds(5)));
                to = (System.nanoTime() - t0) / 1e6;
                load = loadRun.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("the load run failed: " + e.getCause().getMessage(), e.getCause());
            } finally {
                series = sampler.stop();
            }
            String stalled = sleep instanceof HttpCall.Outcome.Response r ? r.header("X-Worker") : "none (" + sleep + ")";
            return new Run(v.label(), stalled, round(from), round(to), LatencySummary.of(load.latency()), load.requests(),
                    load.errorCount(), load.unsent(), load.connectionsPerWorker(), sockets(series, List.copyOf(labels.values())),
                    series.tcpCounterDeltas());
        }
    }

    /** The samples per socket, in {@code order} (the server's listener order; a dump lists sockets in the kernel's). */
    private static List<SocketSeries> sockets(QueueSeries series, List<String> order) {
        Map<String, List<QueueSample>> byLabel = new LinkedHashMap<>();
        order.forEach(label -> byLabel.put(label, new ArrayList<>()));
        series.samples().forEach(s -> byLabel.computeIfAbsent(s.label(), k -> new ArrayList<>()).add(s));
        List<SocketSeries> out = new ArrayList<>();
        byLabel.values().removeIf(List::isEmpty);
        byLabel.forEach((label, samples) -> out.add(new SocketSeries(label, samples.getFirst().backlog(),
                samples.stream().mapToLong(QueueSample::acceptQueue).max().orElse(0),
                samples.stream().map(s -> new double[] {s.elapsedMs(), s.acceptQueue()}).toList())));
        return out;
    }

    private static double round(double ms) {
        return Math.round(ms * 10) / 10.0;
    }

    @Override
    public Map<String, List<List<Object>>> csv(Result r) {
        List<List<Object>> rows = new ArrayList<>();
        rows.add(List.<Object>of("variant", "socket", "elapsed_ms", "accept_queue", "backlog"));
        for (Run run : r.runs) {
            for (SocketSeries s : run.sockets) {
                s.points.forEach(pt -> rows.add(List.<Object>of(run.variant, s.label, pt[0], (long) pt[1], s.backlog)));
            }
        }
        return Map.of("queues", rows);
    }

    @Override
    public List<String> table(Result r) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-26s %8s %9s %8s %8s %8s %8s %8s %6s %6s", "variant", "stalled", "max queue", "p50 ms",
                "p90 ms", "p99 ms", "max ms", "requests", "errors", "unsent"));
        for (Run run : r.runs) {
            lines.add(String.format("%-26s %8s %9d %8.1f %8.1f %8.1f %8.1f %8d %6d %6d", run.variant, run.stalledWorker,
                    run.maxQueue(), run.latency.p50(), run.latency.p90(), run.latency.p99(), run.latency.max(), run.requests,
                    run.errors, run.unsent));
        }
        return lines;
    }

    @Override
    public ReportSection report(Result r, Params p, Charts charts) {
        StringBuilder md = new StringBuilder();
        md.append(String.format("%d workers, %s new connections/s, one request blocks a worker for %d ms.%n%n",
                r.workers, Markdown.num(r.rate, 0), r.stallMs));
        List<List<String>> rows = new ArrayList<>();
        Map<String, Map<String, Double>> curves = new LinkedHashMap<>();
        for (Run run : r.runs) {
            LatencySummary l = run.latency;
            rows.add(List.of(run.variant, run.stalledWorker, Long.toString(run.maxQueue()), Markdown.num(l.p50(), 1),
                    Markdown.num(l.p90(), 1), Markdown.num(l.p99(), 1), Markdown.num(l.p999(), 1), Markdown.num(l.max(), 1),
                    Markdown.count(run.requests), Long.toString(run.errors), Long.toString(run.unsent)));
            curves.put(run.variant, Map.of("p50", l.p50(), "p90", l.p90(), "p99", l.p99(), "p99.9", l.p999(), "max", l.max()));
        }
        md.append(Markdown.table(List.of("variant", "stalled worker", "max accept queue", "p50 ms", "p90 ms", "p99 ms",
                "p99.9 ms", "max ms", "requests", "errors", "unsent"), rows));
        md.append(charts.categoryLines("slow-worker-latency", "Latency percentiles with one worker blocked " + r.stallMs + " ms",
                "percentile", "ms (log scale)", ordered(curves), true));
        for (Run run : r.runs) {
            Map<String, List<double[]>> lines = new LinkedHashMap<>();
            run.sockets.forEach(s -> lines.put(s.label, s.points));
            md.append(charts.lines("slow-worker-queue-" + run.variant.replaceAll("[^a-z0-9]+", "-"),
                    run.variant + ": accept queue per listening socket (blocked " + Markdown.num(run.stallFromMs, 0) + "–"
                            + Markdown.num(run.stallToMs, 0) + " ms)", "ms since sampling started", "connections waiting", lines, true));
        }
        md.append(Lab.skippedNote(r.skipped));
        md.append("With `shared-accept/blocking` each worker's accepting thread is separate from its event loop: the "
                + "blocked worker's accepter keeps taking its turn, so the connections wait in user space (the hand-off "
                + "queue), invisible to `ss`, and latency suffers as with a queue per worker.\n\n");
        return new ReportSection(title(), md.toString(), findings(r));
    }

    /** Percentile columns in order for every series (Map.of has none). */
    private static Map<String, Map<String, Double>> ordered(Map<String, Map<String, Double>> curves) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        curves.forEach((series, values) -> {
            Map<String, Double> m = new LinkedHashMap<>();
            for (String k : List.of("p50", "p90", "p99", "p99.9", "max")) {
                m.put(k, Math.max(values.get(k), 1e-3));
            }
            out.put(series, m);
        });
        return out;
    }

    List<Finding> findings(Result r) {
        Run shared = r.runs.stream().filter(x -> x.variant.equals("shared-accept/exclusive")).findFirst().orElse(null);
        Run perWorker = r.runs.stream().filter(x -> x.variant.startsWith("reuseport/")).findFirst().orElse(null);
        if (shared == null || perWorker == null) {
            return r.runs.stream().map(x -> Finding.measured("Slow worker, " + x.variant, describe(x))).toList();
        }
        boolean held = perWorker.maxQueue() >= 10 && perWorker.latency.p99() >= 5 * Math.max(shared.latency.p99(), 1);
        return List.of(new Finding("One blocked worker", String.format("shared queue (%s): largest queue %d, p99 %.1f ms; "
                        + "queue per worker (%s): largest queue %d, p99 %.1f ms (blocked %d ms).", shared.variant, shared.maxQueue(),
                shared.latency.p99(), perWorker.variant, perWorker.maxQueue(), perWorker.latency.p99(), r.stallMs),
                "with a queue per worker one blocked worker stalls its whole queue; a shared queue keeps latency tight "
                        + "(Cloudflare 2017: max 144.6 ms vs 72.7 ms).",
                "the blocked socket's queue reached 10 and its p99 is at least 5 times the shared queue's", Verdict.of(held)));
    }

    private static String describe(Run run) {
        return String.format("largest accept queue %d, p99 %.1f ms, max %.1f ms.", run.maxQueue(), run.latency.p99(), run.latency.max());
    }
}
