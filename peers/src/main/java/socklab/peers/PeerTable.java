package socklab.peers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The table of a side-by-side run: one row per server and loader with the median of the rounds and
 * their spread, the ratios to the references, and the goals judged from the same numbers.
 * Nothing here is written from expectation: a ratio whose reference was not measured is empty, and a
 * goal whose servers were not measured says so.
 */
final class PeerTable {
    private PeerTable() {}

    /**
     * One server under one loader. Rates in requests per second, latencies in microseconds (medians of
     * the rounds' p50 and p99); spread is (max - min) / median in percent. Null where nothing was measured.
     */
    record Row(String server, String family, int workers, String loader, String status, String note, int runs,
               Double requestsPerSecond, Double min, Double max, Double spreadPercent, Double p50Micros, Double p99Micros,
               long errors, Double loadAverage, Double vsNginxReuseport, Double vsCReuseport, Double loadVsWrk) {}

    /** A goal of the issue: {@code subject / reference >= target}, judged on {@code loader}'s medians. */
    record Goal(String name, String subject, String reference, String loader, double target, Double ratio, String verdict) {}

    /** The whole table. */
    record Table(List<Row> rows, List<Goal> goals, String nginxReference, String cReference) {}

    static Table of(PeerBench.Result r) {
        List<Loader> loaders = new ArrayList<>(r.loaders());
        String nginxRef = reference(r, Peer.Family.NGINX);
        String cRef = reference(r, Peer.Family.C);
        List<Row> rows = new ArrayList<>();
        for (PeerBench.Entry e : r.entries()) {
            for (Loader l : r.settings().loaders()) {
                if (!loaders.contains(l)) {
                    rows.add(empty(e, l, "skipped", l.install == null ? "not run" : "loader not installed: " + l.install));
                } else if (!e.status.equals("measured") && samples(r, e.peer.id(), l).isEmpty()) {
                    rows.add(empty(e, l, e.status, e.reason));
                } else {
                    rows.add(measured(r, e, l, nginxRef, cRef));
                }
            }
        }
        Loader judge = loaders.contains(Loader.WRK) ? Loader.WRK : loaders.isEmpty() ? null : loaders.getFirst();
        List<Goal> goals = judge == null ? List.of() : goals(rows, judge, nginxRef);
        return new Table(rows, goals, nginxRef, cRef);
    }

    /** The reuseport form of a family with the most workers (nginx's 2 workers with reuseport, cserver's reuseport). */
    private static String reference(PeerBench.Result r, Peer.Family family) {
        return r.entries().stream().map(e -> e.peer)
                .filter(p -> p.family() == family && p.reuseport())
                .max(Comparator.comparingInt(Peer::workers)).map(Peer::id).orElse(null);
    }

    private static Row empty(PeerBench.Entry e, Loader l, String status, String note) {
        return new Row(e.peer.id(), e.peer.family().name().toLowerCase(Locale.ROOT), e.peer.workers(), l.label, status, note, 0,
                null, null, null, null, null, null, 0, null, null, null, null);
    }

    private static Row measured(PeerBench.Result r, PeerBench.Entry e, Loader l, String nginxRef, String cRef) {
        List<PeerBench.Sample> all = samples(r, e.peer.id(), l);
        List<Loader.Measurement> ok = all.stream().map(PeerBench.Sample::measurement).filter(Objects::nonNull).toList();
        String failures = all.stream().map(PeerBench.Sample::failure).filter(Objects::nonNull).findFirst().orElse(null);
        String note = !e.status.equals("measured") ? e.reason
                : failures != null ? (all.size() - ok.size()) + " run(s) failed: " + failures
                : ok.stream().map(Loader.Measurement::firstError).filter(Objects::nonNull).findFirst().orElse(null);
        String status = ok.isEmpty() ? "failed" : e.status;
        if (ok.isEmpty()) {
            return new Row(e.peer.id(), e.peer.family().name().toLowerCase(Locale.ROOT), e.peer.workers(), l.label, status, note,
                    all.size(), null, null, null, null, null, null, 0, null, null, null, null);
        }
        double[] rps = ok.stream().mapToDouble(Loader.Measurement::requestsPerSecond).sorted().toArray();
        double median = median(rps);
        Double vsNginx = ratio(median, medianRate(r, nginxRef, l));
        Double vsC = ratio(median, medianRate(r, cRef, l));
        Double vsWrk = l == Loader.SOCKLAB ? ratio(median, medianRate(r, e.peer.id(), Loader.WRK)) : null;
        return new Row(e.peer.id(), e.peer.family().name().toLowerCase(Locale.ROOT), e.peer.workers(), l.label, status, note,
                all.size(), median, rps[0], rps[rps.length - 1], 100 * (rps[rps.length - 1] - rps[0]) / median,
                median(ok.stream().mapToDouble(Loader.Measurement::p50Micros).sorted().toArray()),
                median(ok.stream().mapToDouble(Loader.Measurement::p99Micros).sorted().toArray()),
                ok.stream().mapToLong(Loader.Measurement::errors).sum(),
                median(all.stream().mapToDouble(PeerBench.Sample::loadAverage).sorted().toArray()), vsNginx, vsC, vsWrk);
    }

    private static List<PeerBench.Sample> samples(PeerBench.Result r, String peer, Loader l) {
        return r.samples().stream().filter(s -> s.peer().equals(peer) && s.loader() == l).toList();
    }

    private static Double medianRate(PeerBench.Result r, String peer, Loader l) {
        if (peer == null) {
            return null;
        }
        double[] rps = samples(r, peer, l).stream().map(PeerBench.Sample::measurement).filter(Objects::nonNull)
                .mapToDouble(Loader.Measurement::requestsPerSecond).sorted().toArray();
        return rps.length == 0 ? null : median(rps);
    }

    private static Double ratio(double value, Double reference) {
        return reference == null || reference == 0 ? null : value / reference;
    }

    /** The median of sorted values (the mean of the middle two for an even count). */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static List<Goal> goals(List<Row> rows, Loader judge, String nginxRef) {
        Optional<Row> best = best(rows, judge, row -> row.family().equals("socklab"));
        String subject = best.map(Row::server).orElse("socklab (none measured)");
        return List.of(
                goal("socklab's best >= 1.0x nginx (reuseport)", best, rows, judge, row -> row.server().equals(nginxRef), 1.0, subject),
                goal("socklab's best >= 1.1x Netty (its best form)", best, rows, judge, row -> row.family().equals("netty"), 1.1, subject),
                goal("socklab's best >= 0.9x the C server (its best form)", best, rows, judge, row -> row.family().equals("c"), 0.9, subject));
    }

    private static Goal goal(String name, Optional<Row> best, List<Row> rows, Loader judge, Predicate<Row> which, double target, String subject) {
        Optional<Row> ref = best(rows, judge, which);
        if (best.isEmpty() || ref.isEmpty()) {
            return new Goal(name, subject, ref.map(Row::server).orElse("(not measured)"), judge.label, target, null,
                    "not judged: " + (best.isEmpty() ? "no socklab model" : "the reference") + " was not measured");
        }
        double ratio = best.get().requestsPerSecond() / ref.get().requestsPerSecond();
        return new Goal(name, subject, ref.get().server(), judge.label, target, ratio,
                String.format(Locale.ROOT, "%.2fx: %s", ratio, ratio >= target ? "met" : "missed"));
    }

    private static Optional<Row> best(List<Row> rows, Loader judge, Predicate<Row> which) {
        return rows.stream().filter(row -> row.loader().equals(judge.label) && row.requestsPerSecond() != null && which.test(row))
                .max(Comparator.comparingDouble(Row::requestsPerSecond));
    }

    /** The table as aligned text, with a header line naming the conditions and the goals below. */
    static String text(Table t, PeerBench.Result r) {
        StringBuilder out = new StringBuilder();
        PeerBench.Settings s = r.settings();
        double[] loads = r.samples().stream().mapToDouble(PeerBench.Sample::loadAverage).sorted().toArray();
        out.append(String.format(Locale.ROOT,
                "bench-peers: GET / on keep-alive HTTP/1.1, closed loop, %d connections, %d loader threads, %s a run, "
                        + "%d round(s) interleaved; %d cores; load average (1 min) before the runs: %s%n",
                s.shape().connections(), s.shape().threads(), durationLabel(s.shape().duration()), s.rounds(),
                Runtime.getRuntime().availableProcessors(),
                loads.length == 0 ? "-" : String.format(Locale.ROOT, "median %.1f, %.1f-%.1f (the machine was shared with other jobs)",
                        median(loads), loads[0], loads[loads.length - 1])));
        out.append(String.format(Locale.ROOT, "%-26s %2s %-12s %9s %-19s %6s %8s %8s %6s %7s %7s %8s%n",
                "server", "w", "loader", "req/s", "min-max", "spread", "p50 us", "p99 us", "errors",
                "x nginx", "x C", "load/wrk"));
        String last = null;
        for (Row row : t.rows()) {
            String name = row.server().equals(last) ? "" : row.server();
            String w = row.server().equals(last) ? "" : Integer.toString(row.workers());
            last = row.server();
            if (row.requestsPerSecond() == null) {
                out.append(String.format(Locale.ROOT, "%-26s %2s %-12s %s: %s%n", name, w, row.loader(), row.status(), row.note()));
                continue;
            }
            out.append(String.format(Locale.ROOT, "%-26s %2s %-12s %,9.0f %-19s %5.1f%% %8.0f %8.0f %6d %7s %7s %8s%n",
                    name, w, row.loader(), row.requestsPerSecond(),
                    String.format(Locale.ROOT, "%,.0f-%,.0f", row.min(), row.max()), row.spreadPercent(),
                    row.p50Micros(), row.p99Micros(), row.errors(), times(row.vsNginxReuseport()), times(row.vsCReuseport()),
                    times(row.loadVsWrk())));
        }
        out.append(String.format("x nginx, x C: req/s over %s and over %s with the same loader; load/wrk: socklab load's req/s over wrk's on that server%n",
                t.nginxReference() == null ? "(nginx not run)" : t.nginxReference(), t.cReference() == null ? "(C not run)" : t.cReference()));
        for (String skipped : r.skippedLoaders()) {
            out.append("skipped loader: ").append(skipped).append('\n');
        }
        for (Goal g : t.goals()) {
            out.append(String.format(Locale.ROOT, "goal %s (%s over %s, by %s medians): %s%n", g.name(), g.subject(), g.reference(),
                    g.loader(), g.verdict()));
        }
        return out.toString();
    }

    /** {@code 5s}, or {@code 200ms} when not whole seconds: the CLI's spelling, for the table and file names. */
    static String durationLabel(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static String times(Double ratio) {
        return ratio == null ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }
}
