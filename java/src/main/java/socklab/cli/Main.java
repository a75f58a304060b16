package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./socklab}: the command-line entry point. Subcommands are registered here; each is a small
 * class of its own in this package.
 */
@Command(name = "socklab",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "A Linux laboratory for TCP server architectures and the kernel queues under them.",
        subcommands = {VersionCommand.class, ServeCommand.class, QueuesCommand.class, CountersCommand.class,
                LoadCommand.class, FfiTableCommand.class, ExperimentCommand.class, ReportCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** With no subcommand: usage on stderr, exit 2, as for any other usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: give one of the commands below");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code: 0 done, 1 failed, 2 usage error. Tests call this directly. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        ExperimentCommand.addExperiments(cli.getSubcommands().get("experiment"));
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("socklab: " + e.getMessage());
            return 1;
        });
        return cli;
    }

    /** One line naming the problem, then the usage of the command it concerns; exit code 2. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        cli.getErr().println("socklab: " + e.getMessage());
        cli.usage(cli.getErr());
        return 2;
    }
}
