package socklab.peers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;

/**
 * The side-by-side run: starts every peer once, warms each up, then measures in rounds. A round runs
 * every live peer in turn, each with both loaders; the order of the peers rotates from round to round
 * and the loader that goes first alternates, so slow drift on a shared machine (another job starting,
 * a thermal step) spreads over everyone instead of landing on whoever ran last. The load average is
 * read before every run. Peers stay up between their runs and are stopped with SIGTERM at the end;
 * a JVM shutdown hook kills whatever is left if the bench itself is stopped.
 */
final class PeerBench {
    private PeerBench() {}

    /** Warm-up ends when two 1 s runs in a row are this close (percent of the first). */
    static final int WARM_AGREEMENT_PERCENT = 5;

    /** What to run. */
    record Settings(Loader.Shape shape, Duration warmup, int rounds, List<Peer> peers, List<Loader> loaders, String host) {}

    /** A peer's part: how it went, and its process while it runs. */
    static final class Entry {
        final Peer peer;
        /** measured, skipped (not installed), or failed (with the reason). */
        String status = "measured";
        String reason;
        String address;
        String responseHead;
        int responseBytes;
        String stopped;
        PeerProcess process;

        Entry(Peer peer) {
            this.peer = peer;
        }

        boolean live() {
            return process != null && status.equals("measured");
        }
    }

    /** One run of one loader against one peer. Latencies in microseconds; measurement null when the run failed. */
    record Sample(String peer, Loader loader, int round, double loadAverage, Loader.Measurement measurement, String failure) {}

    /** Everything the table and the JSON are made from. */
    record Result(Settings settings, List<Entry> entries, List<Loader> loaders, List<String> skippedLoaders,
                  List<Sample> samples, double[] loadAverageStart, double[] loadAverageEnd, Instant started,
                  Duration elapsed, String wrkVersion, String nginxVersion) {}

    static Result run(Settings settings, PeerProcess.Launcher launcher, Path workDir, PrintStream progress)
            throws IOException, InterruptedException {
        Instant started = Instant.now();
        double[] loadStart = loadAverage();
        Path wrk = PeerProcess.findOnPath("wrk", null);
        List<Loader> loaders = new ArrayList<>();
        List<String> skippedLoaders = new ArrayList<>();
        for (Loader l : settings.loaders()) {
            if (l == Loader.WRK && wrk == null) {
                skippedLoaders.add(l.label + ": not installed (" + l.install + ")");
            } else {
                loaders.add(l);
            }
        }
        List<Entry> entries = settings.peers().stream().map(Entry::new).toList();
        Thread killer = new Thread(() -> entries.forEach(e -> {
            if (e.process != null) {
                e.process.close();
            }
        }), "bench-peers-cleanup");
        Runtime.getRuntime().addShutdownHook(killer);
        List<Sample> samples = new ArrayList<>();
        try {
            startAll(entries, launcher, workDir, settings, progress);
            for (int round = 1; round <= settings.rounds(); round++) {
                List<Entry> order = rotated(entries, round - 1);
                for (Entry e : order) {
                    List<Loader> turn = round % 2 == 1 ? loaders : loaders.reversed();
                    for (Loader l : turn) {
                        if (e.live()) {
                            samples.add(measure(e, l, round, settings, wrk, workDir, progress));
                        }
                    }
                }
            }
        } finally {
            for (Entry e : entries) {
                if (e.process != null) {
                    e.stopped = e.process.stop();
                    if (!PeerProcess.cleanStop(e.stopped) && e.status.equals("measured")) {
                        e.status = "failed";
                        e.reason = "did not stop cleanly: " + e.stopped;
                    }
                }
            }
            Runtime.getRuntime().removeShutdownHook(killer);
        }
        return new Result(settings, entries, loaders, skippedLoaders, samples, loadStart, loadAverage(), started,
                Duration.between(started, Instant.now()), wrk == null ? null : versionLine(wrk, "--version").replaceFirst(" Copyright.*", ""),
                launcher.nginx() == null ? null : versionLine(launcher.nginx(), "-v").replaceFirst("^nginx version: ", ""));
    }

    /**
     * Starts the peers one per CPU at a time (JVM start-up is CPU-bound: more at once only slows each),
     * then warms them one by one.
     */
    private static void startAll(List<Entry> entries, PeerProcess.Launcher launcher, Path workDir, Settings settings,
                                 PrintStream progress) throws InterruptedException {
        List<Thread> starters = new ArrayList<>();
        Semaphore slots = new Semaphore(Runtime.getRuntime().availableProcessors());
        for (Entry e : entries) {
            String missing = launcher.missing(e.peer.family());
            if (missing != null) {
                e.status = "skipped";
                e.reason = "not installed: " + missing;
                progress.println("bench-peers: " + e.peer.id() + " skipped (" + missing + ")");
                continue;
            }
            starters.add(Thread.ofVirtual().start(() -> {
                try {
                    slots.acquire();
                    try {
                        e.process = PeerProcess.start(e.peer, launcher, workDir);
                    } finally {
                        slots.release();
                    }
                } catch (IOException | RuntimeException ex) {
                    e.status = "failed";
                    e.reason = ex.getMessage();
                } catch (InterruptedException ex) {
                    e.status = "failed";
                    e.reason = "interrupted while starting";
                }
            }));
        }
        for (Thread t : starters) {
            t.join();
        }
        for (Entry e : entries) {
            if (e.process != null) {
                e.address = e.process.address.getHostString() + ":" + e.process.address.getPort();
                e.responseHead = e.process.responseHead;
                e.responseBytes = e.process.responseBytes;
                String warm = warmUp(e, settings);
                progress.println("bench-peers: " + e.peer.id() + " up on " + e.address + " (pid " + e.process.pid() + ")" + warm);
            } else if (e.status.equals("failed")) {
                progress.println("bench-peers: " + e.peer.id() + " failed: " + e.reason);
            }
        }
    }

    /**
     * Warms a peer with 1 s runs of socklab load until two in a row agree within {@value #WARM_AGREEMENT_PERCENT}%
     * or {@code --warmup} is spent: a JVM server compiles its hot path here (Netty needs seconds), and this
     * JVM's generator with it. Returns what it did, for the progress line.
     */
    private static String warmUp(Entry e, Settings settings) throws InterruptedException {
        Duration slice = Duration.ofSeconds(1);
        Loader.Shape shape = new Loader.Shape(settings.shape().connections(), settings.shape().threads(), slice);
        double previous = Double.NaN;
        int slices = 0;
        for (Duration spent = Duration.ZERO; spent.compareTo(settings.warmup()) < 0; spent = spent.plus(slice)) {
            double rate = Loader.runLoad(e.process.address, shape, Duration.ZERO).requestsPerSecond();
            slices++;
            if (Math.abs(rate - previous) <= previous * WARM_AGREEMENT_PERCENT / 100) {
                return String.format(Locale.ROOT, ", warm after %d s (%,.0f then %,.0f req/s)", slices, previous, rate);
            }
            previous = rate;
        }
        return slices == 0 ? ", no warm-up" : String.format(Locale.ROOT, ", warm-up %d s without two runs within %d%%", slices,
                WARM_AGREEMENT_PERCENT);
    }

    private static Sample measure(Entry e, Loader loader, int round, Settings settings, Path wrk, Path workDir, PrintStream progress)
            throws InterruptedException {
        double load = loadAverage()[0];
        try {
            Loader.Measurement m = loader.run(e.process.address, settings.shape(), wrk, workDir);
            progress.printf(Locale.ROOT, "bench-peers: round %d/%d %-26s %-12s %,10.0f req/s  p50 %7.0f us  p99 %7.0f us%s  (load %.1f)%n",
                    round, settings.rounds(), e.peer.id(), loader.label, m.requestsPerSecond(), m.p50Micros(), m.p99Micros(),
                    m.errors() == 0 ? "" : "  errors " + m.errors(), load);
            return new Sample(e.peer.id(), loader, round, load, m, null);
        } catch (IOException | RuntimeException ex) {
            progress.println("bench-peers: round " + round + " " + e.peer.id() + " " + loader.label + " failed: " + ex.getMessage());
            if (!e.process.isAlive()) {
                e.status = "failed";
                e.reason = "exited during the runs: " + e.process.stop();
            }
            return new Sample(e.peer.id(), loader, round, load, null, ex.getMessage());
        }
    }

    /** The entries starting at {@code by}, wrapping around. */
    static <T> List<T> rotated(List<T> list, int by) {
        if (list.isEmpty()) {
            return list;
        }
        int k = Math.floorMod(by, list.size());
        List<T> out = new ArrayList<>(list.subList(k, list.size()));
        out.addAll(list.subList(0, k));
        return out;
    }

    /** The 1-, 5- and 15-minute load averages (/proc/loadavg). */
    static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException e) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
    }

    /** The first line a program prints about its version ({@code wrk --version}, {@code nginx -v}). */
    static String versionLine(Path program, String flag) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(program.toString(), flag).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("").strip();
            p.waitFor();
            return text;
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
