package socklab.peers;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import socklab.load.LoadConfig;
import socklab.load.LoadGenerator;
import socklab.load.LoadResult;
import socklab.sys.SockAddr;

/**
 * The two load generators, driven the same way: closed loop on keep-alive HTTP/1.1 connections,
 * {@code GET /}, the same connections, threads and duration. wrk is the C reference; socklab's
 * generator runs in this JVM through {@link LoadGenerator#run}, which is what {@code ./socklab load}
 * calls (no warm-up window inside a run: the servers were warmed before the first round, and this
 * JVM's generator with them).
 */
enum Loader {
    WRK("wrk", "apt-get install -y wrk"),
    SOCKLAB("socklab load", null);

    final String label;
    /** What makes the loader available when it is missing; null when it is always there. */
    final String install;

    Loader(String label, String install) {
        this.label = label;
        this.install = install;
    }

    /**
     * One run's numbers: responses per second over the run, wrk-style percentiles in microseconds,
     * and every request that did not end in a 200 (transport errors and other statuses).
     */
    record Measurement(double requestsPerSecond, double p50Micros, double p99Micros, long responses, long errors, String firstError) {}

    /** The settings every run shares. */
    record Shape(int connections, int threads, Duration duration) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WRK_LINE = "socklab-wrk ";

    /** Runs this loader once against {@code target}. */
    Measurement run(InetSocketAddress target, Shape shape, Path wrk, Path workDir) throws IOException, InterruptedException {
        return switch (this) {
            case WRK -> runWrk(wrk, target, shape, workDir);
            case SOCKLAB -> runLoad(target, shape, Duration.ZERO);
        };
    }

    /** socklab load against {@code target}: a warm-up when {@code warmup} is the whole of it. */
    static Measurement runLoad(InetSocketAddress target, Shape shape, Duration warmup) throws InterruptedException {
        LoadConfig config = LoadConfig.builder(SockAddr.format(target))
                .connections(shape.connections())
                .threads(shape.threads())
                .duration(shape.duration())
                .warmup(warmup)
                .build();
        LoadResult r = LoadGenerator.run(config);
        long ok = r.statuses().getOrDefault(200, 0L);
        long errors = r.errorCount() + r.connectErrorCount() + (r.responses() - ok);
        String first = r.errorExamples().values().stream().findFirst()
                .orElse(r.responses() > ok ? "statuses " + r.statuses() : null);
        return new Measurement(r.requestsPerSecond(), r.latency().getValueAtPercentile(50) / 1000.0,
                r.latency().getValueAtPercentile(99) / 1000.0, r.responses(), errors, first);
    }

    private static Measurement runWrk(Path wrk, InetSocketAddress target, Shape shape, Path workDir)
            throws IOException, InterruptedException {
        long seconds = shape.duration().toSeconds();
        if (seconds < 1 || !shape.duration().equals(Duration.ofSeconds(seconds))) {
            throw new IllegalArgumentException("wrk runs whole seconds: give --duration in s (at least 1s), not " + shape.duration());
        }
        Path script = workDir.resolve("wrk-report.lua");
        if (!Files.exists(script)) {
            try (InputStream in = Loader.class.getResourceAsStream("wrk-report.lua")) {
                Files.copy(in, script);
            }
        }
        Path out = workDir.resolve("wrk.out");
        Process p = new ProcessBuilder(List.of(wrk.toString(), "-t", Integer.toString(shape.threads()),
                "-c", Integer.toString(shape.connections()), "-d", seconds + "s", "--timeout", "5s", "-s", script.toString(),
                "http://" + SockAddr.format(target) + "/"))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(seconds + 30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException("wrk did not finish within 30 s of its " + seconds + " s run");
        }
        List<String> lines = Files.readAllLines(out);
        String line = lines.stream().filter(l -> l.startsWith(WRK_LINE)).findFirst()
                .orElseThrow(() -> new IOException("wrk exited with " + p.exitValue() + " and no summary: "
                        + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()))));
        JsonNode s = JSON.readTree(line.substring(WRK_LINE.length()));
        long errors = 0;
        String first = null;
        for (Map.Entry<String, JsonNode> e : s.properties()) {
            if ((e.getKey().endsWith("_errors") || e.getKey().equals("timeouts")) && e.getValue().asLong() > 0) {
                errors += e.getValue().asLong();
                first = first == null ? e.getKey() + " " + e.getValue().asLong() : first;
            }
        }
        long requests = s.get("requests").asLong();
        double elapsed = s.get("duration_us").asDouble() / 1e6;
        return new Measurement(requests / elapsed, s.get("p50_us").asDouble(), s.get("p99_us").asDouble(),
                requests, errors, first);
    }
}
