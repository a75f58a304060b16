package socklab.cli;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import socklab.http.HttpLimits;
import socklab.proc.GroupConfig;
import socklab.proc.ProcessGroup;
import socklab.server.AcceptMode;
import socklab.server.Model;
import socklab.server.QueueAtStop;
import socklab.server.Server;
import socklab.server.ServerConfig;
import socklab.server.Steer;
import socklab.sys.Binding;
import socklab.sys.Errno;
import socklab.sys.NativeException;

/**
 * {@code socklab serve}: runs one server model until SIGINT or SIGTERM, then stops it cleanly and
 * exits 0 (in-flight requests answered, sockets closed). With {@code --processes P} the model runs in P
 * worker processes under this one as their supervising parent ({@link ProcessGroup}).
 *
 * <p>Signals are taken with {@code sun.misc.Signal} rather than a shutdown hook. A hook runs only once
 * the JVM has decided to exit, and a JVM ended by a signal exits with 128+signal (130, 143) whatever the
 * hook does, short of Runtime.halt; with a signal handler the signal is just a request to stop, the
 * command returns normally and chooses its exit code, and a second Ctrl-C can still force the exit.
 * The price is javac's "internal proprietary API" warning for this one file; the API is in the
 * exported jdk.unsupported module and supported as such.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run one server architecture speaking HTTP/1.1 (GET /, /work?us=N, /sleep?ms=N, /stats; "
                + "with --data-dir also POST /comments, GET /comments, GET /comments/add) until Ctrl-C or SIGTERM.")
public final class ServeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "single",
            description = "single, acceptor-readers, dispatcher-workers, shared-accept, reuseport or cluster (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--workers", paramLabel = "N",
            description = "worker threads (default: 1 for single and in each process of --processes, else one per CPU)")
    Integer workers;

    @Option(names = "--processes", paramLabel = "P",
            description = "run P worker processes, each with --workers threads, under a supervising parent: "
                    + "shared-accept, reuseport or cluster (which needs it)")
    Integer processes;

    @Option(names = "--host", defaultValue = ServerConfig.DEFAULT_HOST, description = "IP address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--backlog", description = "listen(2) backlog, capped by net.core.somaxconn (default: ${DEFAULT-VALUE})")
    int backlog = ServerConfig.DEFAULT_BACKLOG;

    @Option(names = "--binding", defaultValue = "ffm", description = "how Java calls libc: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
            completionCandidates = BindingNames.class)
    String binding;

    @Option(names = "--accept", paramLabel = "HOW",
            description = "shared-accept only: blocking, epoll, exclusive or mutex (default: exclusive)")
    String accept;

    @Option(names = "--steer", paramLabel = "HOW", description = "reuseport only: hash or cpu (default: hash)")
    String steer;

    @Option(names = "--accept-queue-at-stop", paramLabel = "WHAT", defaultValue = "drain",
            description = "at SIGTERM, the connections waiting in the accept queue: drain (serve them, then close the listener) "
                    + "or reset (close it at once, as nginx and Node do) (default: ${DEFAULT-VALUE})")
    String queueAtStop;

    @Option(names = "--max-head-bytes", description = "request line + headers; more gets 431 (default: ${DEFAULT-VALUE})")
    int maxHeadBytes = HttpLimits.DEFAULTS.maxHeadBytes();

    @Option(names = "--max-body-bytes", description = "request body; more gets 413 (default: ${DEFAULT-VALUE})")
    long maxBodyBytes = HttpLimits.DEFAULTS.maxBodyBytes();

    @Option(names = "--idle-timeout-ms", description = "close an idle keep-alive connection after this (default: ${DEFAULT-VALUE})")
    long idleTimeoutMillis = HttpLimits.DEFAULTS.idleTimeoutMillis();

    @Option(names = "--header-timeout-ms", description = "a request head slower than this gets 408 (default: ${DEFAULT-VALUE})")
    long headerTimeoutMillis = HttpLimits.DEFAULTS.headerTimeoutMillis();

    @Option(names = "--linger-ms", description = "after a closing response, drain the client's input this long (default: ${DEFAULT-VALUE})")
    long lingerMillis = HttpLimits.DEFAULTS.lingerMillis();

    @Option(names = "--drain-ms", description = "when stopping, keep a connection with no request in progress open this long "
            + "for one more, answered with Connection: close (default: ${DEFAULT-VALUE})")
    long drainMillis = HttpLimits.DEFAULTS.drainMillis();

    @CommandLine.Mixin
    CommentsOptions comments;

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config = config();
        if (processes != null) {
            if (comments.enabled()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--data-dir serves the comments API from one process: drop --processes, or run one serve per process on the same --data-dir");
            }
            comments.refuseFlagsWithoutDataDir();
            return serveGroup(groupConfig(config));
        }
        try (CommentsOptions.Comments api = comments.open(config.workers() + 1)) {
            return serve(config, api);
        }
    }

    private int serve(ServerConfig config, CommentsOptions.Comments api) throws InterruptedException {
        Server server;
        try {
            server = Server.start(config, api.routes());
        } catch (NativeException e) {
            return startFailed(e);
        }
        return untilStopped(config.describe(), server.address(), "pid", server::close, () -> {
            server.awaitStopped();
            return server.failure();
        });
    }

    /** {@code --processes P}: the parent supervises P worker processes; its events go to stderr, one line each. */
    private int serveGroup(GroupConfig config) throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        ProcessGroup group;
        try {
            group = ProcessGroup.start(config, line -> {
                err.println(line);
                err.flush();
            });
        } catch (NativeException e) {
            return startFailed(e);
        } catch (IllegalStateException e) {
            err.println("socklab: serve: " + e.getMessage());
            return 1;
        }
        String workers = group.pids().stream().map(String::valueOf).collect(Collectors.joining(" "));
        return untilStopped(config.describe(), group.address(), "parent pid", group::close, () -> {
            group.awaitStopped();
            return group.failure();
        }, ", worker pids " + workers);
    }

    /** What {@link #untilStopped} waits on: returns once stopped, with the failure that stopped it or null. */
    @FunctionalInterface
    private interface Stopped {
        Throwable await() throws InterruptedException;
    }

    /**
     * Prints the one line (model, address, {@code pidLabel} and this pid, {@code more}, how to stop), stops
     * with {@code close} on SIGINT/SIGTERM and waits: 0 after a clean stop, 1 after a failure.
     */
    private int untilStopped(String description, InetSocketAddress address, String pidLabel, Runnable close,
                             Stopped stopped, String... more) throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        stopOnSignals(close, err);
        long pid = ProcessHandle.current().pid();
        PrintWriter out = spec.commandLine().getOut();
        // The host as given (::1, not the 0:0:0:0:0:0:0:1 that Java prints), with the port actually bound.
        String at = (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        out.println("socklab serve: " + description + " listening on http://" + at
                + "/ (" + pidLabel + " " + pid + String.join("", more) + "); stop with Ctrl-C or kill -TERM " + pid);
        out.flush();
        Throwable failure = stopped.await();
        if (failure != null) {
            err.println("socklab: serve: stopped after a failure: " + failure);
            return 1;
        }
        return 0;
    }

    private int startFailed(NativeException e) {
        String fix = fix(e.errno());
        spec.commandLine().getErr().println("socklab: serve: " + e.getMessage() + (fix == null ? "" : ": " + fix));
        return fix == null ? 1 : 2;
    }

    /** The options as a config; a bad value or a flag that does not fit the model is a usage error (exit 2). */
    private ServerConfig config() {
        CommandLine cli = spec.commandLine();
        try {
            Model m = Model.byName(model);
            if (accept != null && m != Model.SHARED_ACCEPT) {
                throw new IllegalArgumentException("--accept applies to --model shared-accept only");
            }
            if (steer != null && m != Model.REUSEPORT) {
                throw new IllegalArgumentException("--steer applies to --model reuseport only");
            }
            if (m == Model.CLUSTER && processes == null) {
                throw new IllegalArgumentException("--model cluster runs worker processes: give --processes P");
            }
            ServerConfig config = ServerConfig.of(m)
                    .withAddress(host, port)
                    .withBacklog(backlog)
                    .withBinding(binding)
                    .withLimits(new HttpLimits(maxHeadBytes, maxBodyBytes, idleTimeoutMillis, headerTimeoutMillis, lingerMillis, drainMillis));
            config = workers != null ? config.withWorkers(workers) : processes != null ? config.withWorkers(1) : config;
            config = accept == null ? config : config.withAccept(AcceptMode.byName(accept));
            config = config.withQueueAtStop(QueueAtStop.byName(queueAtStop));
            return steer == null ? config : config.withSteer(Steer.byName(steer));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
    }

    private GroupConfig groupConfig(ServerConfig server) {
        try {
            return new GroupConfig(server, processes);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The fix for a start-up failure that the user's options caused, or null when it is not one. */
    private String fix(int errno) {
        return switch (errno) {
            case Errno.EADDRINUSE -> "another socket listens there; pick another --port, or --port 0 for a free one";
            case Errno.EADDRNOTAVAIL -> "--host " + host + " is not an address of this machine";
            case Errno.EACCES -> "ports below 1024 need root or CAP_NET_BIND_SERVICE; pick --port 1024 or above";
            default -> null;
        };
    }

    /** First SIGINT/SIGTERM: stop cleanly (the main thread then returns 0); a second one: exit at once. */
    private static void stopOnSignals(Runnable close, PrintWriter err) {
        AtomicBoolean stopping = new AtomicBoolean();
        sun.misc.SignalHandler handler = signal -> {
            if (stopping.compareAndSet(false, true)) {
                close.run();
            } else {
                err.println("socklab: serve: second signal: exiting without waiting for requests in flight");
                err.flush();
                Runtime.getRuntime().halt(1);
            }
        };
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
    }

    static final class BindingNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Binding.NAMES.iterator();
        }
    }
}
