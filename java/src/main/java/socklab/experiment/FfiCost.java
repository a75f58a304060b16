package socklab.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The "FFI cost" experiment's table: what one call costs through each binding (FFM, FFM with
 * {@code Linker.Option.critical}, JNI, jnr, java.nio), next to the same call made from C on the same
 * machine, and the ratio of each to that C floor.
 *
 * <p>Input: the JMH JSON of the socklab.bench.ffi benchmarks and the output of native/cfloor. A JMH
 * result maps to a cell by its class (the call) and its method ({@code binding} with the binding
 * {@code @Param}, {@code ffmCritical} or {@code nio}). The C floor's error is computed from its rounds
 * exactly as JMH computes its own from iterations: the half-width of the 99.9% confidence interval of
 * the mean, from Student's t distribution.
 */
public final class FfiCost {
    private FfiCost() {}

    /** The calls, in table order: the key JMH (class name) and cfloor both use, and the label printed. */
    public enum Call {
        GETPID("getpid", "getpid"),
        RECV_EAGAIN("recvEagain", "recv, EAGAIN"),
        WRITE_READ("writeRead", "write+read 64 B"),
        EPOLL_WAIT("epollWait", "epoll_wait, 1 ready"),
        ACCEPT4("accept4", "accept4, queued");

        final String key;
        final String label;

        Call(String key, String label) {
            this.key = key;
            this.label = label;
        }

        static Optional<Call> byKey(String key) {
            return Stream.of(values()).filter(c -> c.key.equals(key)).findFirst();
        }
    }

    /** The columns, in table order: the C floor first, then the Java ways in. */
    public static final List<String> VARIANTS = List.of("c", "ffm", "ffm-critical", "jni", "jnr", "nio");

    private static final double CONFIDENCE = 0.999;
    /** What the goal allows FFM above the C floor on the trivial call. */
    static final double GETPID_GOAL_RATIO = 1.3;

    /** One measured cell: mean ns/op, its error (NaN when too few samples), and failed calls (-1: not counted). */
    public record Cell(Call call, String variant, double nanos, double error, long failures) {}

    /**
     * The table for a JMH JSON result file and native/cfloor's output lines. JMH results of other
     * benchmarks in the same file are left out.
     */
    public static List<String> report(Path jmhJson, List<String> floorLines) throws IOException {
        JsonNode results = new ObjectMapper().readTree(jmhJson.toFile());
        List<Cell> cells = new ArrayList<>(readFloor(floorLines));
        cells.addAll(jmhCells(results));
        if (cells.stream().noneMatch(c -> !c.variant().equals("c"))) {
            throw new IllegalArgumentException(jmhJson + " holds no socklab.bench.ffi result: run 'make bench-ffi'");
        }
        return table(cells, title(results));
    }

    /** The cells of the FFI benchmarks in a JMH result array; other benchmarks are skipped. */
    static List<Cell> jmhCells(JsonNode results) {
        List<Cell> cells = new ArrayList<>();
        for (JsonNode result : results) {
            String[] name = result.path("benchmark").asText().split("\\.");
            if (name.length < 2 || !result.path("mode").asText().equals("avgt")) {
                continue;
            }
            String className = name[name.length - 2];
            String method = name[name.length - 1];
            String key = Character.toLowerCase(className.charAt(0)) + className.substring(1).replace("Benchmark", "");
            Optional<Call> call = Call.byKey(key);
            if (call.isEmpty()) {
                continue;
            }
            String variant = switch (method) {
                case "binding" -> result.path("params").path("binding").asText();
                case "ffmCritical" -> "ffm-critical";
                default -> method;
            };
            JsonNode primary = result.path("primaryMetric");
            if (!primary.path("scoreUnit").asText().equals("ns/op")) {
                throw new IllegalArgumentException(result.path("benchmark").asText() + " is in "
                        + primary.path("scoreUnit").asText() + ", not ns/op: run it with socklab's BenchmarkBase settings");
            }
            JsonNode failures = result.path("secondaryMetrics").path("failures");
            cells.add(new Cell(call.get(), variant, primary.path("score").asDouble(),
                    primary.path("scoreError").asDouble(Double.NaN),
                    failures.isMissingNode() ? -1 : Math.round(failures.path("score").asDouble())));
        }
        return cells;
    }

    /** The C floor's cells from native/cfloor's output: per line a call's key, then ns/op per round. */
    public static List<Cell> readFloor(List<String> lines) {
        List<Cell> cells = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.trim().split("\\s+");
            Call call = Call.byKey(fields[0]).orElseThrow(
                    () -> new IllegalArgumentException("cfloor printed an unknown call '" + fields[0] + "': " + line));
            SummaryStatistics rounds = new SummaryStatistics();
            for (int i = 1; i < fields.length; i++) {
                rounds.addValue(Double.parseDouble(fields[i]));
            }
            cells.add(new Cell(call, "c", rounds.getMean(), meanError(rounds), -1));
        }
        return cells;
    }

    /** Half-width of the 99.9% confidence interval of the mean, as JMH's Statistics.getMeanErrorAt: NaN for n <= 2. */
    static double meanError(SummaryStatistics samples) {
        long n = samples.getN();
        if (n <= 2) {
            return Double.NaN;
        }
        double t = new TDistribution(n - 1).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
        return t * samples.getStandardDeviation() / Math.sqrt(n);
    }

    /** The table, one line per (call, variant) that was measured, then the goal lines. */
    public static List<String> table(List<Cell> cells, String title) {
        List<String> out = new ArrayList<>();
        out.add(title);
        out.add(String.format(Locale.ROOT, "%-20s %-13s %10s %9s %8s %8s", "call", "binding", "ns/op", "± error", "× C", "failures"));
        List<Cell> sorted = cells.stream()
                .sorted(Comparator.comparing(Cell::call).thenComparing(c -> VARIANTS.indexOf(c.variant())))
                .toList();
        Call previous = null;
        for (Cell cell : sorted) {
            Optional<Cell> floor = find(cells, cell.call(), "c");
            out.add(String.format(Locale.ROOT, "%-20s %-13s %10.1f %9s %8s %8s",
                    cell.call() == previous ? "" : cell.call().label, cell.variant(), cell.nanos(),
                    Double.isNaN(cell.error()) ? "n/a" : String.format(Locale.ROOT, "%.1f", cell.error()),
                    floor.map(f -> String.format(Locale.ROOT, "%.2fx", cell.nanos() / f.nanos())).orElse("n/a"),
                    cell.failures() < 0 ? "-" : Long.toString(cell.failures())));
            previous = cell.call();
        }
        out.addAll(goal(cells));
        return out;
    }

    /**
     * The goal, judged from these numbers only: FFM <= JNI <= jnr on every call, and FFM within
     * 1.3x of the C floor on getpid. An order broken by less than the two errors together is said to be.
     */
    static List<String> goal(List<Cell> cells) {
        List<String> broken = new ArrayList<>();
        int judged = 0;
        int met = 0;
        for (Call call : Call.values()) {
            Optional<Cell> ffm = find(cells, call, "ffm");
            Optional<Cell> jni = find(cells, call, "jni");
            Optional<Cell> jnr = find(cells, call, "jnr");
            if (ffm.isEmpty() || jni.isEmpty() || jnr.isEmpty()) {
                continue;
            }
            judged++;
            int before = broken.size();
            order(call, ffm.get(), jni.get()).ifPresent(broken::add);
            order(call, jni.get(), jnr.get()).ifPresent(broken::add);
            met += broken.size() == before ? 1 : 0;
        }
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "goal ffm <= jni <= jnr: met on %d of %d calls%s", met, judged,
                broken.isEmpty() ? "" : "; not met on:"));
        broken.forEach(b -> lines.add("  " + b));
        Optional<Cell> ffm = find(cells, Call.GETPID, "ffm");
        Optional<Cell> floor = find(cells, Call.GETPID, "c");
        if (ffm.isPresent() && floor.isPresent()) {
            double ratio = ffm.get().nanos() / floor.get().nanos();
            lines.add(String.format(Locale.ROOT, "goal ffm within %.1fx of the C floor on getpid: %.2fx, %s",
                    GETPID_GOAL_RATIO, ratio, ratio <= GETPID_GOAL_RATIO ? "met" : "not met"));
        }
        return lines;
    }

    /** Empty when {@code faster} is not slower than {@code slower}; else how the order is broken. */
    private static Optional<String> order(Call call, Cell faster, Cell slower) {
        if (faster.nanos() <= slower.nanos()) {
            return Optional.empty();
        }
        boolean withinErrors = faster.nanos() - slower.nanos() <= faster.error() + slower.error();
        return Optional.of(String.format(Locale.ROOT, "%s: %s %.1f > %s %.1f ns/op%s", call.label, faster.variant(),
                faster.nanos(), slower.variant(), slower.nanos(), withinErrors ? " (within the errors)" : ""));
    }

    private static Optional<Cell> find(List<Cell> cells, Call call, String variant) {
        return cells.stream().filter(c -> c.call() == call && c.variant().equals(variant)).findFirst();
    }

    /** A title naming the run from the JMH file's own metadata: forks, iterations, JDK. */
    static String title(JsonNode results) {
        JsonNode first = results.path(0);
        return String.format(Locale.ROOT,
                "FFI cost per call, ns/op ± 99.9%% CI (JMH avgt, %d fork x %d x %s; JDK %s); × C = ratio to the C floor (native/cfloor)",
                first.path("forks").asInt(), first.path("measurementIterations").asInt(),
                first.path("measurementTime").asText(), first.path("jdkVersion").asText());
    }
}
