package socklab.peers;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import socklab.cli.DurationConverter;

/**
 * {@code bench}: {@code make bench-peers}. Runs {@link PeerBench}, prints {@link PeerTable}'s table
 * on stdout (progress on stderr) and keeps, under {@code --results}, the table as text and the whole
 * run as one self-describing JSON document ({@code "kind": "socklab.bench-peers"}: settings, machine,
 * load averages, every peer's outcome and response head, every run, the rows, the goals and the
 * table text), named after its parameters and the git SHA. Exit 0 when every peer that could run was
 * measured and stopped cleanly, 1 otherwise.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure socklab's models next to nginx, Netty, JDK NIO and the C server, with wrk and socklab load.")
final class BenchPeersCommand implements Callable<Integer> {
    /** What the report builder recognises the file by. */
    static final String KIND = socklab.report.ReportBuilder.PEERS_KIND;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--connections", defaultValue = "64", description = "keep-alive connections per run (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--threads", defaultValue = "2", description = "loader threads, for wrk and socklab load alike (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--duration", defaultValue = "3s", converter = DurationConverter.class,
            description = "one run; whole seconds when wrk runs, its unit (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "10s", converter = DurationConverter.OrZero.class,
            description = "at most this much socklab load per server before the rounds, in 1 s runs until two agree "
                    + "within 5%%; 0 for none (default: ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(names = "--rounds", defaultValue = "3", description = "interleaved rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--workers", description = "threads or processes of the multi-worker forms (default: one per CPU)")
    Integer workers;

    @Option(names = "--servers", defaultValue = "all", description = "comma-separated server ids, or all (default: ${DEFAULT-VALUE})")
    String servers;

    @Option(names = "--loaders", defaultValue = "wrk,socklab", split = ",", description = "wrk, socklab or both (default: ${DEFAULT-VALUE})")
    List<String> loaders;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "loopback address the servers listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--root", defaultValue = ".", description = "the socklab checkout: jvm.options, native/build/cserver (default: ${DEFAULT-VALUE})")
    Path root;

    @Option(names = "--results", defaultValue = "results", description = "where the JSON and text go (default: ${DEFAULT-VALUE})")
    Path results;

    @Option(names = "--git-sha", defaultValue = "unknown", description = "for the result names (the Makefile passes it)")
    String gitSha;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PeerBench.Settings settings = settings();
        Path workDir = Files.createTempDirectory("socklab-peers-");
        PeerBench.Result result;
        try {
            result = PeerBench.run(settings, PeerProcess.Launcher.of(root.toAbsolutePath(), host), workDir, System.err);
        } finally {
            deleteTree(workDir);
        }
        PeerTable.Table table = PeerTable.of(result);
        String text = PeerTable.text(table, result);
        PrintWriter out = spec.commandLine().getOut();
        out.print(text);
        Files.createDirectories(results);
        String name = String.format("peers-c%d-t%d-d%s-r%d-%s", connections, threads, PeerTable.durationLabel(duration), rounds, gitSha);
        Path json = results.resolve(name + ".json");
        Path txt = results.resolve(name + ".txt");
        Files.writeString(txt, text);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), document(result, table, text));
        out.println("bench-peers: table in " + txt + ", the whole run in " + json + " (" + result.elapsed().toSeconds() + " s)");
        out.flush();
        boolean allWell = result.entries().stream().allMatch(e -> !e.status.equals("failed"))
                && table.rows().stream().noneMatch(r -> r.status().equals("failed"));
        return allWell ? 0 : 1;
    }

    private PeerBench.Settings settings() {
        CommandLine cli = spec.commandLine();
        try {
            int w = workers != null ? workers : Runtime.getRuntime().availableProcessors();
            require(connections >= 1 && threads >= 1 && threads <= connections, "--threads must be 1 to --connections");
            require(rounds >= 1 && rounds <= 100, "--rounds must be 1-100, got " + rounds);
            require(w >= 1 && w <= 256, "--workers must be 1-256, got " + w);
            List<Loader> chosen = new ArrayList<>();
            for (String l : loaders) {
                chosen.add(switch (l.trim()) {
                    case "wrk" -> Loader.WRK;
                    case "socklab" -> Loader.SOCKLAB;
                    default -> throw new IllegalArgumentException("--loaders: '" + l + "' is not wrk or socklab");
                });
            }
            require(!chosen.contains(Loader.WRK) || duration.equals(Duration.ofSeconds(duration.toSeconds())),
                    "--duration must be whole seconds when wrk runs (its unit), e.g. 5s, not " + duration.toMillis() + " ms");
            Loader.Shape shape = new Loader.Shape(connections, threads, duration);
            return new PeerBench.Settings(shape, warmup, rounds, Peer.select(servers, w), List.copyOf(chosen), host);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The JSON document: self-describing, so that a report can include it without knowing this class. */
    private Map<String, Object> document(PeerBench.Result r, PeerTable.Table table, String text) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("kind", KIND);
        doc.put("title", "socklab next to nginx, Netty, JDK NIO and a C epoll server");
        doc.put("method", "Every server runs at once on loopback and stays up for the whole bench. Each is first warmed "
                + "with 1 s runs of socklab load until two in a row agree within " + PeerBench.WARM_AGREEMENT_PERCENT
                + "% (at most " + r.settings().warmup().toSeconds() + " s; not measured). Then, in each round, every server "
                + "in turn gets one run of each loader (closed loop, keep-alive HTTP/1.1 GET /, same connections, threads and "
                + "duration); the order of the servers rotates each round and the loader that goes first alternates. A row gives "
                + "the median of the rounds, min-max and spread = (max - min) / median; p50/p99 are the medians of the runs' "
                + "percentiles (wrk's own, socklab load's HdrHistogram). socklab load runs inside the bench's JVM "
                + "(LoadGenerator.run, what ./socklab load calls). The load average is read before every run.");
        doc.put("git_sha", gitSha);
        doc.put("started", r.started().toString());
        doc.put("elapsed_seconds", r.elapsed().toMillis() / 1000.0);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("connections", r.settings().shape().connections());
        settings.put("threads", r.settings().shape().threads());
        settings.put("duration_ms", r.settings().shape().duration().toMillis());
        settings.put("warmup_ms", r.settings().warmup().toMillis());
        settings.put("rounds", r.settings().rounds());
        settings.put("host", r.settings().host());
        settings.put("loaders", r.settings().loaders().stream().map(l -> l.label).toList());
        doc.put("settings", settings);
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("kernel", readOrUnknown(Path.of("/proc/sys/kernel/osrelease")));
        machine.put("jdk", System.getProperty("java.vm.vendor") + " " + Runtime.version());
        machine.put("netty", io.netty.util.Version.identify().values().stream().findFirst()
                .map(io.netty.util.Version::artifactVersion).orElse("unknown"));
        machine.put("nginx", r.nginxVersion());
        machine.put("wrk", r.wrkVersion());
        machine.put("load_average_start", r.loadAverageStart());
        machine.put("load_average_end", r.loadAverageEnd());
        machine.put("shared", "other jobs may run on the same machine: compare rows of one run, and read the load average");
        doc.put("machine", machine);
        doc.put("skipped_loaders", r.skippedLoaders());
        doc.put("servers", r.entries().stream().map(e -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("id", e.peer.id());
            p.put("family", e.peer.family().label);
            p.put("about", e.peer.about());
            p.put("workers", e.peer.workers());
            p.put("status", e.status);
            p.put("reason", e.reason);
            p.put("address", e.address);
            p.put("response_bytes", e.responseBytes);
            p.put("response_head", e.responseHead);
            p.put("stopped", e.stopped);
            return p;
        }).toList());
        doc.put("runs", r.samples());
        doc.put("rows", table.rows());
        doc.put("references", Map.of("nginx", String.valueOf(table.nginxReference()), "c", String.valueOf(table.cReference())));
        doc.put("goals", table.goals());
        doc.put("table_text", text);
        return doc;
    }

    private static String readOrUnknown(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
