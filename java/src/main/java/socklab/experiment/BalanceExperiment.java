package socklab.experiment;

import java.io.PrintWriter;
import java.time.Duration;
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
import socklab.report.Charts;
import socklab.report.Finding;
import socklab.report.Finding.Verdict;
import socklab.report.Markdown;
import socklab.report.ReportSection;
import socklab.server.Model;
import socklab.server.Server;
import socklab.sys.Binding;

/**
 * {@code balance}: which worker gets each new connection. For each variant and each concurrency, a
 * server with N workers takes connection-per-request load for a while, and every response's
 * {@code X-Worker} says who served the connection; the shares per worker give max/min, CV and Jain's
 * index. Compared with Cloudflare's 2017 finding: blocking accept goes round the workers (FIFO),
 * EPOLLEXCLUSIVE piles onto one (LIFO), SO_REUSEPORT spreads by hash.
 */
public final class BalanceExperiment extends Experiment<BalanceExperiment.Result> {

    /** One variant at one concurrency. */
    public record Cell(String variant, int concurrency, long connectionErrors, Shares shares) {}

    /** @param skipped variants that could not run as a server in this JVM, with the reason */
    public record Result(int workers, List<Cell> cells, List<String> skipped) {
        Optional<Cell> cell(String variant, int concurrency) {
            return cells.stream().filter(c -> c.variant.equals(variant) && c.concurrency == concurrency).findFirst();
        }
    }

    /** A variant is "even" when no worker got more than this times another's connections. */
    static final double EVEN = 1.25;
    /** … and "piled onto one" when one worker got at least this share. */
    static final double PILED = 0.8;

    /** Variants where connections are spread over workers: not single (one worker) nor dispatcher-workers (one I/O thread). */
    static List<String> spreadingVariants() {
        return Variant.all().stream()
                .filter(v -> v.model() != Model.SINGLE && v.model() != Model.DISPATCHER_WORKERS)
                .map(Variant::label).toList();
    }

    public BalanceExperiment() {
        super("balance", "Balance: which worker gets each new connection",
                "For each server variant and each client concurrency, a server with N workers takes connection-per-request "
                + "load (connect, GET /, close) for a fixed window; the X-Worker header of each response names the worker "
                + "that served the connection. Reports each worker's share, max/min, coefficient of variation and Jain's "
                + "index, and compares with Cloudflare's 2017 finding.", Result.class);
    }

    @Override
    public List<Knob> knobs() {
        return List.of(
                Knob.names("variants", "server variants", Knob.ALL, Knob.ALL, BalanceExperiment::spreadingVariants),
                Knob.count("workers", "workers per server", 4, 4),
                Knob.counts("concurrency", "concurrent connections of the client (each value is a run)", "1,16", "1,16,64"),
                Knob.duration("duration", "measured window per run", "1s", "5s"));
    }

    @Override
    public Map<String, String> fields() {
        return fields(
                "cells[].shares.per_worker", "connections per worker id, counted by the client from the X-Worker header of each "
                        + "connection's response inside the measured window (a 200 ms warm-up before it is not counted); every serving "
                        + "worker of the server is listed, with 0 if it got none",
                "cells[].shares.largest_share", "the largest worker's connections over all connections",
                "cells[].shares.max_min_ratio", "largest over smallest count; null when a worker got none",
                "cells[].shares.cv", "population standard deviation of the counts over their mean",
                "cells[].shares.jain", "Jain's index (sum x)^2 / (n sum x^2): 1 even, 1/n all on one",
                "cells[].connection_errors", "requests that failed (connect or response), from the load generator",
                "method", "server and load generator in one JVM on the same cores; load: socklab load --mode conn-per-request "
                        + "--connections C (closed loop: each of C slots connects again as soon as its response arrived)");
    }

    @Override
    public Result run(Params p, PrintWriter out) throws InterruptedException {
        int workers = p.count("workers");
        String binding = Binding.NAMES.getFirst(); // the kernel picks the worker: the binding plays no part
        List<Cell> cells = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String label : p.names("variants")) {
            Variant v = Variant.byLabel(label);
            for (int c : p.counts("concurrency")) {
                Server started = Lab.startOrSkip(label, v.config(workers, binding, 511, HttpLimits.DEFAULTS), skipped, out);
                if (started == null) {
                    break;
                }
                try (Server server = started) {
                    LoadResult load = LoadGenerator.run(LoadConfig.builder(Lab.target(server)).mode(Mode.CONN_PER_REQUEST)
                            .connections(c).warmup(Duration.ofMillis(200)).duration(p.duration("duration")).build());
                    Cell cell = new Cell(label, c, load.errorCount(), Shares.of(Lab.servingWorkers(server), load.connectionsPerWorker()));
                    out.println("  " + label + " c=" + c + ": " + cell.shares.perWorker() + " jain " + cell.shares.jain());
                    out.flush();
                    cells.add(cell);
                }
            }
        }
        return new Result(workers, cells, skipped);
    }

    @Override
    public Map<String, List<List<Object>>> csv(Result r) {
        List<List<Object>> rows = new ArrayList<>();
        rows.add(List.<Object>of("variant", "concurrency", "worker", "connections"));
        r.cells.forEach(c -> c.shares.perWorker().forEach((w, n) -> rows.add(List.<Object>of(c.variant, c.concurrency, w, n))));
        return Map.of("shares", rows);
    }

    @Override
    public List<String> table(Result r) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-30s %5s %8s %8s %8s %6s %6s  %s", "variant", "conc", "conns", "largest", "max/min", "cv", "jain", "per worker"));
        for (Cell c : r.cells) {
            Shares s = c.shares;
            lines.add(String.format("%-30s %5d %8d %8.3f %8s %6.3f %6.3f  %s", c.variant, c.concurrency, s.total(),
                    s.largestShare(), Markdown.numOrDash(s.maxMinRatio(), 2), s.cv(), s.jain(), s.perWorker().values()));
        }
        return lines;
    }

    @Override
    public ReportSection report(Result r, Params p, Charts charts) {
        StringBuilder md = new StringBuilder();
        List<List<String>> rows = new ArrayList<>();
        for (Cell c : r.cells) {
            Shares s = c.shares;
            rows.add(List.of(c.variant, Integer.toString(c.concurrency), Markdown.count(s.total()),
                    s.perWorker().values().stream().map(String::valueOf).reduce((a, b) -> a + " / " + b).orElse(""),
                    Markdown.num(s.largestShare(), 3), Markdown.numOrDash(s.maxMinRatio(), 2), Markdown.num(s.cv(), 3),
                    Markdown.num(s.jain(), 3), Long.toString(c.connectionErrors)));
        }
        md.append(Markdown.table(List.of("variant", "concurrency", "connections", "per worker", "largest share",
                "max/min", "CV", "Jain", "errors"), rows));
        for (int c : p.counts("concurrency")) {
            Map<String, Map<String, Double>> data = new LinkedHashMap<>();
            for (Cell cell : r.cells) {
                if (cell.concurrency == c) {
                    Map<String, Double> shares = new LinkedHashMap<>();
                    cell.shares.perWorker().forEach((w, n) -> shares.put("worker " + w,
                            cell.shares.total() == 0 ? 0 : (double) n / cell.shares.total()));
                    data.put(cell.variant, shares);
                }
            }
            md.append(charts.bars("balance-c" + c, "Share of connections per worker, " + c + " concurrent connection"
                    + (c == 1 ? "" : "s"), "variant", "share of connections", data));
        }
        md.append(Lab.skippedNote(r.skipped));
        md.append("A dash in max/min means a worker got no connection. With `reuseport/cpu` the kernel picks socket "
                + "`cpu % workers` (a BPF program), so with more workers than CPUs the sockets above the CPU count get nothing.\n\n");
        return new ReportSection(title(), md.toString(), findings(r));
    }

    /** Cloudflare's three observations, at the lowest concurrency run (their order test connected one at a time). */
    List<Finding> findings(Result r) {
        int c = r.cells.stream().mapToInt(Cell::concurrency).min().orElse(1);
        List<Finding> out = new ArrayList<>();
        String even = "every worker got connections and max/min <= " + EVEN;
        String piled = "one worker got at least " + Math.round(PILED * 100) + "% of the connections";
        r.cell("shared-accept/blocking", c).ifPresent(cell -> out.add(new Finding("Blocking accept()", describe(cell),
                "FIFO wake-up sends connections round the workers (Cloudflare 2017).", even,
                Verdict.of(cell.shares.evenWithin(EVEN)))));
        r.cell("shared-accept/exclusive", c).ifPresent(cell -> out.add(new Finding("epoll + EPOLLEXCLUSIVE", describe(cell),
                "LIFO wake-up: the worker that waited last takes nearly all (Cloudflare 2017).", piled,
                Verdict.of(cell.shares.largestShare() >= PILED))));
        r.cell("shared-accept/mutex", c).ifPresent(cell -> out.add(new Finding("accept_mutex (nginx style)", describe(cell),
                "one worker grabs all connections, why nginx turned accept_mutex off in 1.11.3.", piled,
                Verdict.of(cell.shares.largestShare() >= PILED))));
        r.cell("shared-accept/epoll", c).ifPresent(cell -> out.add(Finding.measured("epoll without EPOLLEXCLUSIVE", describe(cell))));
        r.cells.stream().filter(cell -> cell.variant.equals("reuseport/hash")).max((a, b) -> a.concurrency - b.concurrency)
                .ifPresent(cell -> out.add(new Finding("SO_REUSEPORT, hash", describe(cell),
                        "the kernel spreads connections over the sockets by a hash of the 4-tuple (Cloudflare 2017).",
                        "every worker got connections and max/min <= 2", Verdict.of(cell.shares.evenWithin(2.0)))));
        return out;
    }

    private static String describe(Cell cell) {
        Shares s = cell.shares;
        return String.format("largest share %.2f, max/min %s, Jain %.3f over %d workers (%s connections, %d at a time).",
                s.largestShare(), Markdown.numOrDash(s.maxMinRatio(), 2), s.jain(), s.perWorker().size(), Markdown.count(s.total()),
                cell.concurrency);
    }
}
