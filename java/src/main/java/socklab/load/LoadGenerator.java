package socklab.load;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code socklab load} as a library: {@link #run(LoadConfig)} drives a target with one {@link LoadLoop}
 * thread per configured thread, each with an even share of the connections and of the rate, all on
 * one clock, and returns the merged {@link LoadResult}. Experiments call it in-process; the CLI is a
 * thin wrapper around it.
 */
public final class LoadGenerator {
    private LoadGenerator() {}

    /** Descriptors kept aside for the JVM itself (jars, epoll instances, stdio) beyond one per connection. */
    static final int SPARE_DESCRIPTORS = 64;
    private static final long PROGRESS_MILLIS = 200;

    public static LoadResult run(LoadConfig config) throws InterruptedException {
        return run(config, Progress.Listener.NONE);
    }

    /**
     * Runs {@code config} to the end and returns what it measured. Blocks the calling thread, which
     * reports progress to {@code listener}. A failure inside a loop (not a request error: those are
     * counted) stops every loop and is rethrown as an IllegalStateException; nothing stays open.
     */
    public static LoadResult run(LoadConfig config, Progress.Listener listener) throws InterruptedException {
        byte[][] requestBytes = config.paths().stream()
                .map(p -> p.request(config.hostHeader(), config.mode() == Mode.CONN_PER_REQUEST))
                .toArray(byte[][]::new);
        SlotSockets.linkDowncalls();
        AtomicBoolean abort = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<LoadLoop> loops = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try {
            int t = config.threads();
            for (int i = 0; i < t; i++) {
                int share = config.connections() / t + (i < config.connections() % t ? 1 : 0);
                loops.add(new LoadLoop(config, share, config.rate() * share / config.connections(), requestBytes, abort));
            }
            long start = System.nanoTime();
            for (LoadLoop loop : loops) {
                loop.startClock(start);
            }
            for (int i = 0; i < t; i++) {
                Thread thread = new Thread(loops.get(i), "socklab-load-" + i);
                thread.setDaemon(true);
                thread.setUncaughtExceptionHandler((th, e) -> {
                    failure.compareAndSet(null, e);
                    abort.set(true);
                });
                threads.add(thread);
                thread.start();
            }
            try {
                watch(config, start, loops, threads, listener);
            } catch (InterruptedException e) {
                abort.set(true);
                for (Thread thread : threads) {
                    thread.join();
                }
                throw e;
            }
            long end = System.nanoTime();
            if (failure.get() != null) {
                Throwable e = failure.get();
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                throw new IllegalStateException("load generator thread failed: " + root, e);
            }
            return merge(config, loops, (end - start) / 1e9);
        } finally {
            loops.forEach(LoadLoop::close);
        }
    }

    private static void watch(LoadConfig config, long start, List<LoadLoop> loops, List<Thread> threads,
                              Progress.Listener listener) throws InterruptedException {
        double planned = (config.warmup().toNanos() + config.duration().toNanos()) / 1e9;
        for (Thread thread : threads) {
            while (!thread.join(java.time.Duration.ofMillis(PROGRESS_MILLIS))) {
                long responses = 0;
                long errors = 0;
                long settled = 0;
                for (LoadLoop loop : loops) {
                    responses += loop.accounting.progressResponses;
                    errors += loop.accounting.progressErrors;
                    settled += loop.accounting.progressSettled;
                }
                listener.update(new Progress((System.nanoTime() - start) / 1e9, planned, responses, errors, settled,
                        config.connections()));
            }
        }
        listener.finished();
    }

    private static LoadResult merge(LoadConfig config, List<LoadLoop> loops, double elapsedSeconds) {
        int paths = config.paths().size();
        Histogram latency = Tally.histogram();
        Histogram connectLatency = Tally.histogram();
        Histogram sendDelay = Tally.histogram();
        Histogram[] pathLatency = new Histogram[paths];
        long[] pathRequests = new long[paths];
        long[] pathResponses = new long[paths];
        for (int p = 0; p < paths; p++) {
            pathLatency[p] = Tally.histogram();
        }
        long requests = 0, responses = 0, inWindow = 0, connects = 0, established = 0, scheduled = 0;
        long allocated = 0;
        long warmRequests = 0, warmResponses = 0, warmErrors = 0, warmConnects = 0;
        long[] errors = new long[ErrorKind.values().length];
        long[] connectErrors = new long[ErrorKind.values().length];
        long[] statuses = new long[Tally.MAX_STATUS + 1];
        Map<String, Long> perWorker = new TreeMap<>();
        Map<String, Long> connectionsPerWorker = new TreeMap<>();
        Map<ErrorKind, String> examples = new EnumMap<>(ErrorKind.class);
        for (LoadLoop loop : loops) {
            Tally w = loop.accounting.window;
            Tally warm = loop.accounting.warm;
            WorkerTable workers = loop.accounting.workers;
            requests += w.requests;
            responses += w.responses;
            inWindow += w.responsesInWindow;
            connects += w.connects;
            established += w.established;
            scheduled += loop.scheduledInWindow();
            add(errors, w.errors);
            add(connectErrors, w.connectErrors);
            add(statuses, w.statuses);
            for (int p = 0; p < paths; p++) {
                pathLatency[p].add(w.latencyPerPath[p]);
                pathRequests[p] += w.requestsPerPath[p];
                pathResponses[p] += w.responsesPerPath[p];
            }
            connectLatency.add(w.connectLatency);
            sendDelay.add(w.sendDelay);
            for (int i = 0; i < workers.size(); i++) {
                String name = workers.name(i);
                addCount(perWorker, name, w.responsesPerWorker[i]);
                addCount(connectionsPerWorker, name, w.connectionsPerWorker[i]);
            }
            for (ErrorKind kind : ErrorKind.values()) {
                String example = w.errorExamples[kind.ordinal()] != null ? w.errorExamples[kind.ordinal()] : warm.errorExamples[kind.ordinal()];
                if (example != null) {
                    examples.putIfAbsent(kind, example);
                }
            }
            allocated += loop.allocatedInWindow;
            warmRequests += warm.requests;
            warmResponses += warm.responses;
            warmErrors += warm.errorCount();
            warmConnects += warm.connects;
        }
        List<LoadResult.PathResult> pathResults = new ArrayList<>();
        for (int p = 0; p < paths; p++) {
            latency.add(pathLatency[p]);
            RequestPath path = config.paths().get(p);
            pathResults.add(new LoadResult.PathResult(path.path(), path.weight(), pathRequests[p], pathResponses[p], pathLatency[p]));
        }
        Map<Integer, Long> statusCounts = new TreeMap<>();
        for (int code = 0; code < statuses.length; code++) {
            if (statuses[code] > 0) {
                statusCounts.put(code, statuses[code]);
            }
        }
        boolean storm = config.mode() == Mode.STORM;
        double window = storm ? elapsedSeconds : config.duration().toNanos() / 1e9;
        return new LoadResult(config, config.mode().latencyFrom(config.paced()), window, elapsedSeconds,
                requests, responses, inWindow, inWindow / window, counts(errors, false), config.paced() ? scheduled : requests,
                config.paced() ? scheduled - requests : 0, statusCounts, connects, established, counts(connectErrors, true),
                perWorker, connectionsPerWorker, latency, connectLatency, config.paced() ? sendDelay : null, pathResults,
                examples, new LoadResult.Warmup(config.warmup().toNanos() / 1e9, warmRequests, warmResponses, warmErrors, warmConnects),
                allocated);
    }

    /** Every kind of the phase, zero counts included, so that the JSON always has the same keys. */
    private static Map<ErrorKind, Long> counts(long[] byKind, boolean connectPhase) {
        Map<ErrorKind, Long> map = new LinkedHashMap<>();
        for (ErrorKind kind : ErrorKind.values()) {
            if (!connectPhase || kind.connectPhase()) {
                map.put(kind, byKind[kind.ordinal()]);
            }
        }
        return map;
    }

    private static void add(long[] into, long[] values) {
        for (int i = 0; i < values.length; i++) {
            into[i] += values[i];
        }
    }

    private static void addCount(Map<String, Long> map, String key, long count) {
        if (count > 0) {
            map.merge(key, count, Long::sum);
        }
    }

    /**
     * Fails before any connect when the run needs more descriptors than RLIMIT_NOFILE allows, rather
     * than counting EMFILE as connect errors.
     */
    static void checkDescriptorBudget(int needed) {
        long limit = openFileLimit();
        if (limit > 0 && needed + SPARE_DESCRIPTORS > limit) {
            throw new IllegalArgumentException("--connections needs about " + (needed + SPARE_DESCRIPTORS)
                    + " descriptors but the open-file limit (RLIMIT_NOFILE) is " + limit
                    + ": lower --connections or raise the limit with ulimit -n");
        }
    }

    /** The soft RLIMIT_NOFILE as /proc/self/limits shows it, or -1 when it cannot be read or is unlimited. */
    static long openFileLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
