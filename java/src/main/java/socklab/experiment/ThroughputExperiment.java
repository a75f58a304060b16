package socklab.experiment;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import socklab.http.HttpLimits;
import socklab.load.LoadConfig;
import socklab.load.LoadGenerator;
import socklab.load.LoadResult;
import socklab.load.Mode;
import socklab.load.RequestPath;
import socklab.report.Charts;
import socklab.report.Finding;
import socklab.report.Finding.Verdict;
import socklab.report.Markdown;
import socklab.report.ReportSection;
import socklab.server.Model;
import socklab.server.Server;
import socklab.server.ServerConfig;
import socklab.sys.Binding;

/**
 * {@code throughput}: requests per second and latency for every model on every binding, at a fixed
 * number of keep-alive connections (closed loop), with uniform cheap requests and with a skewed mix
 * where 1% of the requests are 100 times heavier: a per-connection model serves a connection's
 * requests on one worker, so a heavy request holds up everything queued behind it on that worker,
 * while the dispatcher hands each request to whichever worker is free.
 */
public final class ThroughputExperiment extends Experiment<ThroughputExperiment.Result> {

    /** The request mixes, each a list of weighted paths. */
    static final Map<String, List<RequestPath>> MIXES = mixes();

    private static Map<String, List<RequestPath>> mixes() {
        Map<String, List<RequestPath>> m = new LinkedHashMap<>();
        m.put("hello", List.of(new RequestPath("/", 1)));
        m.put("uniform", List.of(new RequestPath("/work?us=10", 1)));
        m.put("skewed", List.of(new RequestPath("/work?us=10", 99), new RequestPath("/work?us=1000", 1)));
        return m;
    }

    /** One model on one binding with one mix. */
    public record Cell(String variant, String binding, String mix, double requestsPerSecond, LatencySummary latency,
                       long responses, long errors, Map<String, Long> responsesPerWorker) {}

    /** @param skipped variants that could not run as a server in this JVM, with the reason */
    public record Result(int workers, int connections, List<Cell> cells, List<String> skipped) {
        Optional<Cell> cell(String variant, String binding, String mix) {
            return cells.stream().filter(c -> c.variant.equals(variant) && c.binding.equals(binding) && c.mix.equals(mix)).findFirst();
        }
    }

    /** One variant per model, with the model's default accept mode and steering (what `socklab serve` runs). */
    static String modelDefaults() {
        ServerConfig d = ServerConfig.of(Model.SINGLE);
        return String.join(",", Variant.all().stream()
                .filter(v -> (v.accept() == null || v.accept() == d.accept()) && (v.steer() == null || v.steer() == d.steer()))
                .map(Variant::label).toList());
    }

    public ThroughputExperiment() {
        super("throughput", "Throughput: requests per second and latency per model and binding",
                "Each model (and binding) serves C keep-alive connections in a closed loop for a fixed window, with uniform "
                + "cheap requests (GET /work?us=10) and with a skewed mix (1% GET /work?us=1000). The load generator runs in "
                + "the same JVM as the server, on the same cores.", Result.class);
    }

    @Override
    public List<Knob> knobs() {
        return List.of(
                Knob.names("variants", "server variants", modelDefaults(), Knob.ALL, Variant::labels),
                Knob.names("bindings", "bindings", Knob.ALL, Knob.ALL, () -> Binding.NAMES),
                Knob.names("mixes", "request mixes: hello (GET /), uniform (/work?us=10), skewed (99 x us=10, 1 x us=1000)",
                        "uniform,skewed", "hello,uniform,skewed", () -> List.copyOf(MIXES.keySet())),
                Knob.count("workers", "workers per server (single: 1)", Runtime.getRuntime().availableProcessors(),
                        Runtime.getRuntime().availableProcessors()),
                Knob.count("connections", "keep-alive connections", 32, 64),
                Knob.duration("warmup", "load before the window, not counted (JIT)", "500ms", "2s"),
                Knob.duration("duration", "measured window per cell", "1s", "5s"));
    }

    @Override
    public Map<String, String> fields() {
        return fields(
                "cells[].requests_per_second", "responses that arrived inside the window over its length, closed loop: each "
                        + "connection sends its next request when the previous response arrived",
                "cells[].latency", "ms from each request's send to its response (closed loop: a stalled server also stalls "
                        + "sending, so the tail is under-reported: coordinated omission), HdrHistogram",
                "cells[].responses_per_worker", "responses by X-Worker",
                "method", "server and load generator (one event-loop thread) in one JVM on the same CPUs; each cell starts a "
                        + "fresh server, warms it up, then measures");
    }

    @Override
    public Result run(Params p, PrintWriter out) throws InterruptedException {
        List<Cell> cells = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int workers = p.count("workers");
        int connections = p.count("connections");
        for (String mix : p.names("mixes")) {
            for (String label : p.names("variants")) {
                for (String binding : p.names("bindings")) {
                    Variant v = Variant.byLabel(label);
                    Server started = Lab.startOrSkip(label + " " + binding, v.config(workers, binding, 511, HttpLimits.DEFAULTS),
                            skipped, out);
                    if (started == null) {
                        continue;
                    }
                    try (Server server = started) {
                        LoadConfig.Builder b = LoadConfig.builder(Lab.target(server)).mode(Mode.CLOSED).connections(connections)
                                .warmup(p.duration("warmup")).duration(p.duration("duration"));
                        MIXES.get(mix).forEach(b::path);
                        LoadResult load = LoadGenerator.run(b.build());
                        Cell c = new Cell(label, binding, mix, Math.round(load.requestsPerSecond()), LatencySummary.of(load.latency()),
                                load.responses(), load.errorCount(), load.responsesPerWorker());
                        out.printf("  %-8s %-26s %-4s %9.0f req/s  p50 %6.3f ms  p99 %7.3f ms%n", mix, label, binding,
                                c.requestsPerSecond, c.latency.p50(), c.latency.p99());
                        out.flush();
                        cells.add(c);
                    }
                }
            }
        }
        return new Result(workers, connections, cells, skipped);
    }

    @Override
    public Map<String, List<List<Object>>> csv(Result r) {
        List<List<Object>> rows = new ArrayList<>();
        rows.add(List.<Object>of("mix", "variant", "binding", "requests_per_second", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "errors"));
        r.cells.forEach(c -> rows.add(List.<Object>of(c.mix, c.variant, c.binding, c.requestsPerSecond, c.latency.p50(), c.latency.p90(),
                c.latency.p99(), c.latency.p999(), c.latency.max(), c.errors)));
        return Map.of("cells", rows);
    }

    @Override
    public List<String> table(Result r) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-8s %-26s %-7s %10s %9s %9s %9s %9s %7s", "mix", "variant", "binding", "req/s", "p50 ms",
                "p99 ms", "p99.9 ms", "max ms", "errors"));
        for (Cell c : r.cells) {
            lines.add(String.format("%-8s %-26s %-7s %10.0f %9.3f %9.3f %9.3f %9.3f %7d", c.mix, c.variant, c.binding,
                    c.requestsPerSecond, c.latency.p50(), c.latency.p99(), c.latency.p999(), c.latency.max(), c.errors));
        }
        return lines;
    }

    @Override
    public ReportSection report(Result r, Params p, Charts charts) {
        StringBuilder md = new StringBuilder();
        md.append(String.format("%d keep-alive connections, %d workers (single: 1). The load generator shares the JVM and "
                + "the CPUs with the server, so every number here is the pair's, not the server's alone.%n%n", r.connections, r.workers));
        List<List<String>> rows = new ArrayList<>();
        for (Cell c : r.cells) {
            rows.add(List.of(c.mix, c.variant, c.binding, Markdown.count((long) c.requestsPerSecond), Markdown.num(c.latency.p50(), 3),
                    Markdown.num(c.latency.p99(), 3), Markdown.num(c.latency.p999(), 3), Markdown.num(c.latency.max(), 3),
                    Long.toString(c.errors)));
        }
        md.append(Lab.skippedNote(r.skipped));
        md.append(Markdown.table(List.of("mix", "variant", "binding", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors"), rows));
        // Latency curves for one binding (the first), one line per model: with every binding the chart is a tangle.
        String curveBinding = r.cells.isEmpty() ? Binding.NAMES.getFirst() : r.cells.getFirst().binding;
        for (String mix : r.cells.stream().map(Cell::mix).distinct().toList()) {
            Map<String, Map<String, Double>> rates = new LinkedHashMap<>();
            Map<String, Map<String, Double>> curves = new LinkedHashMap<>();
            for (Cell c : r.cells) {
                if (c.mix.equals(mix)) {
                    rates.computeIfAbsent(c.variant, k -> new LinkedHashMap<>()).put(c.binding, c.requestsPerSecond);
                }
                if (c.mix.equals(mix) && c.binding.equals(curveBinding)) {
                    Map<String, Double> curve = new LinkedHashMap<>();
                    curve.put("p50", c.latency.p50());
                    curve.put("p90", c.latency.p90());
                    curve.put("p99", c.latency.p99());
                    curve.put("p99.9", c.latency.p999());
                    curve.put("max", c.latency.max());
                    curves.put(c.variant, curve);
                }
            }
            md.append(charts.bars("throughput-" + mix, "Requests per second, " + mix + " mix", "variant", "requests/s", rates));
            md.append(charts.categoryLines("latency-" + mix, "Latency percentiles, " + mix + " mix, " + curveBinding
                    + " (closed loop)", "percentile",
                    "ms (log scale)", curves, true));
        }
        return new ReportSection(title(), md.toString(), findings(r));
    }

    List<Finding> findings(Result r) {
        List<Finding> out = new ArrayList<>();
        String binding = r.cells.isEmpty() ? Binding.NAMES.getFirst() : r.cells.getFirst().binding;
        for (String mix : r.cells.stream().map(Cell::mix).distinct().toList()) {
            r.cells.stream().filter(c -> c.mix.equals(mix)).max((a, b) -> Double.compare(a.requestsPerSecond, b.requestsPerSecond))
                    .ifPresent(best -> out.add(Finding.measured("Fastest, " + mix + " mix", String.format(
                            "%s on %s: %.0f req/s (p99 %.3f ms).", best.variant, best.binding, best.requestsPerSecond, best.latency.p99()))));
        }
        Optional<Cell> single = r.cell("single", binding, "uniform");
        Optional<Cell> dispatcher = r.cell("dispatcher-workers", binding, "uniform");
        if (single.isPresent() && dispatcher.isPresent()) {
            out.add(new Finding("Hand-off cost", String.format("uniform cheap requests: dispatcher-workers %.0f req/s, single %.0f req/s.",
                    dispatcher.get().requestsPerSecond, single.get().requestsPerSecond),
                    "a hand-off to a worker thread costs a wake-up, so more workers can be slower (RAMCloud).",
                    "dispatcher-workers below single", Verdict.of(dispatcher.get().requestsPerSecond < single.get().requestsPerSecond)));
        }
        Optional<Cell> skewedDispatcher = r.cell("dispatcher-workers", binding, "skewed");
        List<Cell> perConnection = r.cells.stream().filter(c -> c.mix.equals("skewed") && c.binding.equals(binding)
                && !c.variant.equals("dispatcher-workers") && !c.variant.equals("single")).toList();
        if (skewedDispatcher.isPresent() && !perConnection.isEmpty()) {
            Cell best = perConnection.stream().min((a, b) -> Double.compare(a.latency.p99(), b.latency.p99())).orElseThrow();
            out.add(Finding.measured("Head-of-line blocking (skewed mix)", String.format("p99 %.3f ms for dispatcher-workers "
                    + "(a free worker takes the next request) vs %.3f ms for the best per-connection model (%s); p99.9 %.3f vs %.3f ms.",
                    skewedDispatcher.get().latency.p99(), best.latency.p99(), best.variant,
                    skewedDispatcher.get().latency.p999(), best.latency.p999())));
        }
        return out;
    }
}
