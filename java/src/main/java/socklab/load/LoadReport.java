package socklab.load;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The human summary of a {@link LoadResult}: a few aligned lines, every number with its unit and its basis. */
public final class LoadReport {
    private LoadReport() {}

    private static final double[] PERCENTILES = {50, 90, 99, 99.9};
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    public static List<String> summary(LoadResult r) {
        LoadConfig c = r.config();
        List<String> lines = new ArrayList<>();
        lines.add(headline(r));
        if (c.mode() != Mode.STORM || !c.connectOnly()) {
            lines.add(row("requests", String.format(Locale.ROOT, "%,d started, %,d responses, %,d errors; %,.0f req/s (responses inside the %.1f s window)",
                    r.requests(), r.responses(), r.errorCount(), r.requestsPerSecond(), r.windowSeconds())));
            lines.add(row("latency", "from " + r.latencyFrom() + ": " + percentiles(r.latency())));
        }
        if (r.sendDelay() != null) {
            lines.add(row("schedule", String.format(Locale.ROOT, "%,d due in the window, %,d never sent (no free connection); send delay %s",
                    r.scheduled(), r.unsent(), percentiles(r.sendDelay()))));
        }
        String warmConnects = r.warmup().connects() > 0 ? String.format(Locale.ROOT, " (and %,d during the warm-up)", r.warmup().connects()) : "";
        lines.add(row("connects", String.format(Locale.ROOT, "%,d issued, %,d established%s%s", r.connects(), r.established(),
                nonZero(r.connectErrors()), warmConnects)));
        if (r.connectLatency().getTotalCount() > 0) {
            lines.add(row("connect", percentiles(r.connectLatency())));
        }
        if (r.connectLatency().getMaxValue() >= SECOND) {
            lines.add(row("by second", bySecond(r.connectLatency())));
        }
        if (!r.statuses().isEmpty()) {
            lines.add(row("statuses", r.statuses().entrySet().stream()
                    .map(e -> String.format(Locale.ROOT, "%d: %,d", e.getKey(), e.getValue())).collect(Collectors.joining("  "))));
        }
        if (c.mode() != Mode.STORM || !c.connectOnly()) {
            lines.add(row("errors", r.errorCount() == 0 ? "none" : nonZero(r.errors()).substring(2)));
        }
        String label = "messages";
        for (var e : r.errorExamples().entrySet()) {
            lines.add(row(label, e.getKey() + ": " + e.getValue()));
            label = "";
        }
        if (!r.responsesPerWorker().isEmpty()) {
            lines.add(row("workers", "responses " + shares(r.responsesPerWorker())));
            lines.add(row("", "connections " + shares(r.connectionsPerWorker())));
        }
        if (r.paths().size() > 1) {
            for (LoadResult.PathResult p : r.paths()) {
                lines.add(row("path", String.format(Locale.ROOT, "%s (weight %d): %,d responses; %s", p.path(), p.weight(),
                        p.responses(), percentiles(p.latency()))));
            }
        }
        if (c.warmup().isPositive()) {
            LoadResult.Warmup w = r.warmup();
            lines.add(row("warm-up", String.format(Locale.ROOT, "%.1f s before the window: %,d requests, %,d responses, %,d errors (not counted above)",
                    w.seconds(), w.requests(), w.responses(), w.errors())));
        }
        if (r.unaccountedRequests() != 0 || r.unaccountedConnects() != 0) {
            lines.add(row("BUG", r.unaccountedRequests() + " requests and " + r.unaccountedConnects() + " connects unaccounted for"));
        }
        return lines;
    }

    private static String headline(LoadResult r) {
        LoadConfig c = r.config();
        String threads = c.threads() + (c.threads() == 1 ? " thread" : " threads");
        String paths = c.paths().stream().map(RequestPath::path).collect(Collectors.joining(", "));
        if (c.mode() == Mode.STORM) {
            return String.format(Locale.ROOT, "storm of %,d connects to %s%s on %s, timeout %s: settled in %.2f s",
                    c.connections(), c.hostHeader(), c.connectOnly() ? " (connect only)" : ", GET " + paths, threads,
                    duration(c.timeout().toNanos()), r.windowSeconds());
        }
        String pacing = c.paced() ? String.format(Locale.ROOT, " at %,.0f req/s", c.rate()) : "";
        return String.format(Locale.ROOT, "%s%s to %s, GET %s: %,d connections on %s, %.1f s window after %.1f s warm-up",
                c.mode(), pacing, c.hostHeader(), paths, c.connections(), threads, r.windowSeconds(), r.warmup().seconds());
    }

    private static String row(String label, String text) {
        return String.format(Locale.ROOT, "  %-11s %s", label, text);
    }

    /** {@code p50 1.21 ms  p90 …  max …} or {@code none} for an empty histogram. */
    static String percentiles(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        for (double p : PERCENTILES) {
            b.append('p').append(p == (long) p ? String.valueOf((long) p) : String.valueOf(p)).append(' ')
                    .append(duration(h.getValueAtPercentile(p))).append("  ");
        }
        return b.append("max ").append(duration(h.getMaxValue())).toString();
    }

    /** Counts by whole second, where SYN retransmissions (1 s, 3 s, 7 s …) show as steps. */
    private static String bySecond(Histogram h) {
        StringBuilder b = new StringBuilder();
        for (long s = 0; s <= h.getMaxValue() / SECOND; s++) {
            long n = h.getCountBetweenValues(s * SECOND, (s + 1) * SECOND - 1);
            if (n > 0) {
                b.append(String.format(Locale.ROOT, "[%d,%d) s: %,d  ", s, s + 1, n));
            }
        }
        return b.toString().trim();
    }

    private static String nonZero(Map<ErrorKind, Long> counts) {
        StringBuilder b = new StringBuilder();
        counts.forEach((kind, n) -> {
            if (n > 0) {
                b.append(String.format(Locale.ROOT, ", %,d %s", n, kind));
            }
        });
        return b.toString();
    }

    private static String shares(Map<String, Long> counts) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        return counts.entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s %,d (%.1f%%)", e.getKey(), e.getValue(), 100.0 * e.getValue() / total))
                .collect(Collectors.joining("  "));
    }

    /** Nanoseconds as {@code 850 ns}, {@code 42.1 µs}, {@code 1.21 ms} or {@code 3.02 s}. */
    static String duration(double nanos) {
        if (nanos < 1e3) {
            return String.format(Locale.ROOT, "%.0f ns", nanos);
        }
        if (nanos < 1e6) {
            return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        if (nanos < 1e9) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
