package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code socklab experiment NAME}: the experiments, one subcommand each. Each prints a table and
 * writes a self-describing JSON file under results/.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Run one experiment: it prints a table and writes JSON under results/.",
        subcommands = {IdempotencyCommand.class})
public final class ExperimentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing experiment: give one of the experiments below");
    }
}
