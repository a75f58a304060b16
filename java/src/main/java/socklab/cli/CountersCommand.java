package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import socklab.kernel.NetCounters;
import socklab.kernel.ProcFs;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code socklab counters [--interval 1s] [-- COMMAND…]}: how the namespace's TcpExt and Tcp counters
 * moved over an interval, or around a command.
 */
@Command(name = "counters",
        description = "Show how the TcpExt and Tcp counters (/proc/net/netstat, /proc/net/snmp, named as nstat names them) "
                + "moved over an interval, or while COMMAND ran. The key listener counters are always shown; other "
                + "counters when they moved. Counters are per network namespace: they count every process in it. With a "
                + "COMMAND, exits with the command's exit code.")
public final class CountersCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to count when no COMMAND is given (default 1s; e.g. 200ms, 5s).")
    Duration interval;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "A command to run (after --); counted from its start to its exit.")
    List<String> command = List.of();

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (interval != null && !command.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --interval or a COMMAND, not both");
        }
        PrintWriter out = spec.commandLine().getOut();
        NetCounters.Snapshot before = NetCounters.read(ProcFs.DEFAULT);
        int exit = 0;
        String what;
        if (command.isEmpty()) {
            Duration over = interval == null ? Duration.ofSeconds(1) : interval;
            Thread.sleep(over);
            what = "an interval of " + over.toMillis() + " ms";
        } else {
            exit = run(command);
            what = "'" + String.join(" ", command) + "' (exit " + exit + ")";
        }
        NetCounters.Delta delta = before.to(NetCounters.read(ProcFs.DEFAULT));
        out.printf("TCP counter changes over %s, measured %.3f s, %s:%n", what, delta.over().toNanos() / 1e9, delta.scope());
        CounterLines.print(out, delta.tcp(), true);
        out.flush();
        return exit;
    }

    /** Runs {@code command} with this terminal's stdin/stdout/stderr and returns its exit code. */
    private static int run(List<String> command) throws InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot run '" + command.getFirst() + "': " + e.getMessage()
                    + " (give a program on PATH after --)", e);
        }
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            process.destroy(); // leave no child behind
            throw e;
        }
    }
}
