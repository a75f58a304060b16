package socklab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import socklab.experiment.IdempotencyExperiment;
import socklab.experiment.IdempotencyReport;
import socklab.experiment.Nginx;
import socklab.server.Model;

/** {@code socklab experiment idempotency}: see {@link IdempotencyExperiment}. */
@Command(name = "idempotency", mixinStandardHelpOptions = true, defaultValueProvider = IdempotencyCommand.Defaults.class,
        description = {"Retries and duplicates: client retries, nginx's proxy_next_upstream, and kill -9, "
                + "each with and without an Idempotency-Key, on POST /comments (SQLite).",
                "Part 2 needs nginx (apt-get install -y nginx); without it that part is skipped."})
public final class IdempotencyCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--requests", defaultValue = "100", description = "logical requests per scenario (default: ${DEFAULT-VALUE})")
    int requests;

    @CommandLine.Mixin
    FaultOptions faults;

    @Option(names = "--client-timeout", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "200ms",
            description = "the retrying client's timeout (default: ${DEFAULT-VALUE})")
    Duration clientTimeout;

    @Option(names = "--proxy-timeout", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "200ms",
            description = "nginx's proxy_read_timeout (default: ${DEFAULT-VALUE})")
    Duration proxyTimeout;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "dispatcher-workers",
            description = "server model of the backends, as for serve (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--workers", defaultValue = "8", description = "worker threads per backend (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--crash-clients", defaultValue = "4", description = "concurrent clients in the kill -9 part (default: ${DEFAULT-VALUE})")
    int crashClients;

    @Option(names = "--nginx", paramLabel = "PATH", description = "the nginx binary (default: nginx on PATH or in /usr/sbin)")
    Path nginx;

    @Option(names = "--results", paramLabel = "DIR", defaultValue = "results", description = "where the JSON goes (default: ${DEFAULT-VALUE})")
    Path results;

    @Override
    public Integer call() throws InterruptedException {
        IdempotencyExperiment.Settings settings = settings();
        PrintWriter out = spec.commandLine().getOut();
        Instant started = Instant.now();
        Path work = tempDir();
        IdempotencyExperiment.Result result;
        try {
            result = IdempotencyExperiment.run(settings, work, out);
        } catch (RuntimeException | InterruptedException e) {
            spec.commandLine().getErr().println("socklab: experiment idempotency: the databases, nginx's files and the "
                    + "servers' logs are kept in " + work);
            throw e;
        }
        delete(work);
        IdempotencyReport.table(result).forEach(out::println);
        Path json = IdempotencyReport.writeJson(settings, result, results, VersionCommand.gitSha(), started);
        out.println("results: " + json);
        out.flush();
        if (!IdempotencyReport.invariantsHold(result)) {
            spec.commandLine().getErr().println("socklab: experiment idempotency: an invariant failed (FAIL above)");
            return 1;
        }
        return 0;
    }

    private IdempotencyExperiment.Settings settings() {
        CommandLine cli = spec.commandLine();
        if (nginx != null && !Files.isExecutable(nginx)) {
            throw new CommandLine.ParameterException(cli, "--nginx " + nginx + " is not an executable file");
        }
        try {
            return new IdempotencyExperiment.Settings(requests, faults.seed, faults.plan(),
                    clientTimeout, proxyTimeout, Model.byName(model), workers, crashClients,
                    nginx != null ? Optional.of(nginx) : Nginx.binary());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("socklab-idempotency-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory: " + e.getMessage(), e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the scratch directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The experiment's fault defaults, where serve's are none: enough faults to see at 100 requests. */
    static final class Defaults implements CommandLine.IDefaultValueProvider {
        private static final Map<String, String> VALUES = Map.of(
                "--fault-drop", "0.15", "--fault-delay", "0.1", "--fault-delay-for", "600ms", "--seed", "42");

        @Override
        public String defaultValue(CommandLine.Model.ArgSpec argument) {
            return argument instanceof CommandLine.Model.OptionSpec option ? VALUES.get(option.longestName()) : null;
        }
    }
}
