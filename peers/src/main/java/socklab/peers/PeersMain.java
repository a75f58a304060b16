package socklab.peers;

import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code java -jar peers/target/socklab-peers.jar}: the servers socklab is compared with, and the
 * comparison. {@code serve netty|nio} runs one peer server until SIGTERM; {@code bench} is
 * {@code make bench-peers}.
 */
@Command(name = "socklab-peers", mixinStandardHelpOptions = true,
        description = "socklab's peers (Netty, JDK NIO) and the side-by-side run with nginx and the C server.",
        subcommands = {PeersMain.Serve.class, BenchPeersCommand.class, CommandLine.HelpCommand.class})
public final class PeersMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: give serve or bench");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI: 0 done, 1 failed, 2 usage error (one line naming it, then the usage). */
    static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The CLI with socklab's error conventions; tests set its output writers. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new PeersMain());
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("socklab-peers: " + e.getMessage());
            e.getCommandLine().usage(e.getCommandLine().getErr());
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("socklab-peers: " + e.getMessage());
            return 1;
        });
        return cli;
    }

    /** {@code serve netty|nio}: one peer server; prints one line with its address; SIGTERM stops it. */
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Run the Netty or the JDK NIO peer, answering GET / as socklab does, until SIGTERM or Ctrl-C.")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SERVER", description = "netty or nio")
        String server;

        @Option(names = "--mode", description = "netty: boss-workers (default) or reuseport; nio: single (default) or reuseport")
        String mode;

        @Option(names = "--workers", paramLabel = "N", description = "worker loops (default: 1 for nio single, else one per CPU)")
        Integer workers;

        @Option(names = "--host", defaultValue = "127.0.0.1", description = "IP address to listen on (default: ${DEFAULT-VALUE})")
        String host;

        @Option(names = "--port", defaultValue = "8080", description = "port; 0 picks a free one (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--backlog", defaultValue = "511", description = "listen(2) backlog (default: ${DEFAULT-VALUE})")
        int backlog;

        @Override
        public Integer call() throws InterruptedException, IOException {
            boolean netty = switch (server) {
                case "netty" -> true;
                case "nio" -> false;
                default -> throw usage("SERVER must be netty or nio, not '" + server + "'");
            };
            String m = mode != null ? mode : netty ? "boss-workers" : "single";
            boolean reuseport = m.equals("reuseport");
            if (!reuseport && !m.equals(netty ? "boss-workers" : "single")) {
                throw usage("--mode for " + server + " must be " + (netty ? "boss-workers" : "single") + " or reuseport, not '" + m + "'");
            }
            int n = workers != null ? workers : !netty && !reuseport ? 1 : Runtime.getRuntime().availableProcessors();
            if (n < 1 || n > 256 || (!netty && !reuseport && n != 1)) {
                throw usage(!netty && !reuseport ? "--mode single has one worker; use --mode reuseport for more"
                        : "--workers must be 1-256, got " + n);
            }
            AutoCloseable running;
            java.net.InetSocketAddress address;
            try {
                if (netty) {
                    NettyServer s = NettyServer.start(host, port, reuseport, n, backlog);
                    running = s;
                    address = s.address();
                } else {
                    NioServer s = NioServer.start(host, port, reuseport, n, backlog);
                    running = s;
                    address = s.address();
                }
            } catch (BindException e) {
                spec.commandLine().getErr().println("socklab-peers: serve " + server + ": bind " + host + ":" + port + ": "
                        + e.getMessage() + ": pick another --port, or --port 0 for a free one");
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> { // SIGTERM, SIGINT: close, then the JVM exits
                try {
                    running.close();
                } catch (Exception e) {
                    System.err.println("socklab-peers: serve " + server + ": while stopping: " + e);
                }
                stopped.countDown();
            }, "peer-stop"));
            spec.commandLine().getOut().println(server + ": " + m + " workers=" + n + " listening on "
                    + socklab.sys.SockAddr.format(address));
            spec.commandLine().getOut().flush();
            stopped.await();
            return 0;
        }

        private CommandLine.ParameterException usage(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }
}
