package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import socklab.load.ErrorKind;
import socklab.load.LoadConfig;
import socklab.load.LoadGenerator;
import socklab.load.LoadJson;
import socklab.load.LoadReport;
import socklab.load.LoadResult;
import socklab.load.Mode;
import socklab.load.Progress;
import socklab.load.RequestPath;
import socklab.sys.Fd;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code socklab load}: the CLI face of {@link LoadGenerator}. */
@Command(name = "load", sortOptions = false,
        description = {
                "Drive an HTTP/1.1 server and report throughput, latency percentiles, status codes, errors by kind and the",
                "share of responses and connections per X-Worker id. Summary on stdout, JSON with --json, a progress bar on",
                "stderr when it is a terminal. Exit 0 when the run completed (its errors are measurements), 1 when no",
                "connection could be established, 2 for a bad flag."})
public final class LoadCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--target", required = true, paramLabel = "HOST:PORT",
            description = "The server: 127.0.0.1:8080, [::1]:8080 or name:port (only hosts you own).")
    String target;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "closed",
            description = "closed (keep-alive, next request on each response), open (fixed --rate, latency from the intended "
                    + "send time), conn-per-request (a connection per request; paced when --rate is given) or storm "
                    + "(--connections connects at once). Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = {"-c", "--connections"}, paramLabel = "N",
            description = "Concurrent connections; for storm the number of connects. Default: " + LoadConfig.DEFAULT_CONNECTIONS + ".")
    Integer connections;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Event-loop threads. Default: half the processors, at least 1.")
    Integer threads;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", converter = DurationConverter.class,
            description = "Measured window, e.g. 10s, 500ms, 2m. Default: 10s. Not for storm.")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "TIME", converter = DurationConverter.OrZero.class,
            description = "Load before the window, counted apart (JIT and caches settle). Default: 1s; 0 for storm.")
    Duration warmup;

    @Option(names = {"-r", "--rate"}, paramLabel = "REQ/S", description = "Requests per second in total (open; optional for conn-per-request).")
    Double rate;

    @Option(names = "--path", paramLabel = "[WEIGHT:]PATH",
            description = "Request path; repeat for a mix, e.g. --path 99:/work?us=10 --path 1:/work?us=1000. Default: /.")
    List<String> paths = List.of();

    @Option(names = "--timeout", paramLabel = "TIME", converter = DurationConverter.class,
            description = "Bound on each connect and each response. Default: 5s.")
    Duration timeout;

    @Option(names = "--connect-only", description = "Storm: connect and hold, send no request.")
    boolean connectOnly;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the full result as JSON (histograms included) to FILE.")
    Path json;

    @Override
    public Integer call() throws IOException, InterruptedException {
        LoadConfig config = config();
        Path parent = json == null ? null : json.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw usage("--json " + json + ": directory " + parent + " does not exist; create it or pick another file");
        }
        PrintWriter err = spec.commandLine().getErr();
        Progress.Listener progress = Fd.isTerminal(2) ? new ProgressBar(err) : Progress.Listener.NONE;
        LoadResult result = LoadGenerator.run(config, progress);
        PrintWriter out = spec.commandLine().getOut();
        LoadReport.summary(result).forEach(out::println);
        out.flush();
        if (json != null) {
            LoadJson.write(result, json);
            out.println("  json        " + json);
        }
        if (result.connects() > 0 && result.established() == 0) {
            String example = result.errorExamples().getOrDefault(ErrorKind.CONNECT_REFUSED,
                    result.errorExamples().values().stream().findFirst().orElse("every connect failed"));
            err.println("socklab: no connection to " + config.hostHeader() + " was established (" + example
                    + "): is a server listening there?");
            return 1;
        }
        return 0;
    }

    private LoadConfig config() {
        try {
            LoadConfig.Builder b = LoadConfig.builder(target).mode(Mode.byLabel(mode)).connectOnly(connectOnly);
            if (connections != null) {
                b.connections(connections);
            }
            if (threads != null) {
                b.threads(threads);
            }
            if (duration != null) {
                b.duration(duration);
            }
            if (warmup != null) {
                b.warmup(warmup);
            }
            if (rate != null) {
                b.rate(rate);
            }
            if (timeout != null) {
                b.timeout(timeout);
            }
            paths.forEach(p -> b.path(RequestPath.parse(p)));
            return b.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
