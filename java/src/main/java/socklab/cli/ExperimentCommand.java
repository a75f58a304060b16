package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import socklab.experiment.Experiment;
import socklab.experiment.Experiments;

/**
 * {@code socklab experiment NAME}: the experiments, one subcommand each. Each prints a table and
 * writes a self-describing JSON file under results/. The experiments of {@link Experiments} get their
 * subcommands from their knobs ({@link ExperimentRun}); {@code all} runs every subcommand, each in a
 * JVM (and, as root, a network namespace) of its own.
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

    /** Adds a subcommand for each experiment of {@link Experiments}, then {@code all}, to {@code experimentCli}. */
    static void addExperiments(CommandLine experimentCli) {
        for (Experiment<?> e : Experiments.ALL) {
            experimentCli.addSubcommand(e.name(), ExperimentRun.commandLine(e));
        }
        experimentCli.addSubcommand("all", new CommandLine(new AllExperimentsCommand()));
    }
}
