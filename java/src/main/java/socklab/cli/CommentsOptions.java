package socklab.cli;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import socklab.http.Router;
import socklab.idem.CommentRoutes;
import socklab.idem.CommentService;
import socklab.idem.CommentsConfig;
import socklab.idem.FaultInjector;
import socklab.idem.StoreException;

/**
 * The {@code serve} flags of the comments API ({@code POST /comments}, {@code GET /comments},
 * {@code GET /comments/add}): on with {@code --data-dir}, off (those paths 404) without it.
 */
public final class CommentsOptions {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "serve the comments API, keeping comments in DIR/socklab.db (SQLite; created on first run)")
    Path dataDir;

    @Option(names = "--require-idempotency-key",
            description = "answer 400 to a POST /comments or GET /comments/add without an Idempotency-Key")
    boolean requireKey;

    @Option(names = "--idempotency-ttl", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "24h",
            description = "how long a key and its stored response are kept (default: ${DEFAULT-VALUE})")
    Duration keyTtl;

    @CommandLine.Mixin
    FaultOptions faults;

    private static final List<String> NEED_DATA_DIR = List.of("--require-idempotency-key", "--idempotency-ttl",
            "--fault-drop", "--fault-delay", "--fault-delay-for", "--seed");

    /** True when --data-dir was given: the comments API is on. */
    boolean enabled() {
        return dataDir != null;
    }

    /** A flag that only the comments API uses, given without --data-dir, is a usage error. */
    void refuseFlagsWithoutDataDir() {
        CommandLine cli = mixee.commandLine();
        for (String flag : NEED_DATA_DIR) {
            if (cli.getParseResult().hasMatchedOption(flag)) {
                throw new CommandLine.ParameterException(cli, flag + " applies to the comments API: give --data-dir DIR too");
            }
        }
    }

    /** The comments service and its routes, or nothing. */
    public record Comments(CommentService service, Consumer<Router> routes) implements AutoCloseable {
        @Override
        public void close() {
            if (service != null) {
                service.close();
            }
        }
    }

    /**
     * Opens the database and returns the routes to add ({@code connections}: the threads that may run
     * handlers at once). Without --data-dir, no routes; a flag that needs it, or a bad value, is a usage error.
     */
    Comments open(int connections) {
        CommandLine cli = mixee.commandLine();
        if (dataDir == null) {
            refuseFlagsWithoutDataDir();
            return new Comments(null, router -> { });
        }
        CommentsConfig config;
        try {
            config = new CommentsConfig(dataDir, requireKey, keyTtl, faults.plan());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
        CommentService service;
        try {
            service = CommentService.open(config, connections);
        } catch (UncheckedIOException | StoreException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
        FaultInjector injector = new FaultInjector(config.faults());
        return new Comments(service, router -> CommentRoutes.addTo(router, service, injector));
    }
}
