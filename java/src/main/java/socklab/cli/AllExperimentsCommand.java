package socklab.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import socklab.experiment.Experiment;
import socklab.experiment.Experiments;
import socklab.experiment.NetNamespace;
import socklab.experiment.SocklabJvm;

/**
 * {@code socklab experiment all}: every experiment subcommand in turn (those of {@link Experiments}
 * first, in its order, then any other, such as idempotency), each in a JVM of its own and, as root, a
 * network namespace of its own; every experiment runs even if one before it failed. {@code make bench}
 * runs this.
 */
@Command(name = "all", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run every experiment, each in a JVM (and, as root, a network namespace) of its own.")
final class AllExperimentsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--profile", paramLabel = "quick|full", defaultValue = "quick",
            description = "Where the knobs' defaults come from (default: ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--results", paramLabel = "DIR", defaultValue = "results",
            description = "Where the JSON goes (default: ${DEFAULT-VALUE}).")
    Path results;

    @Option(names = "--skip", paramLabel = "NAME[,NAME…]", split = ",", description = "Experiments not to run.")
    List<String> skip = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        Map<String, CommandLine> experiments = experiments();
        for (String name : skip) {
            if (!experiments.containsKey(name)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--skip: no experiment '" + name
                        + "': choose from " + String.join(", ", experiments.keySet()));
            }
        }
        var out = spec.commandLine().getOut();
        List<String> failed = new ArrayList<>();
        List<String> names = experiments.keySet().stream().filter(n -> !skip.contains(n)).toList();
        long start = System.nanoTime();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            CommandLine.Model.CommandSpec sub = experiments.get(name).getCommandSpec();
            List<String> args = new ArrayList<>(List.of("experiment", name));
            if (sub.findOption(ExperimentRun.PROFILE) != null) {
                args.addAll(List.of(ExperimentRun.PROFILE, profile));
            }
            args.addAll(List.of(ExperimentRun.RESULTS, results.toString()));
            StringBuilder why = new StringBuilder();
            List<String> command = SocklabJvm.command(args);
            Optional<List<String>> wrapped = NetNamespace.wrap(command, why);
            out.printf("[%d/%d] %s (%s)%n", i + 1, names.size(), name,
                    wrapped.isPresent() ? "own network namespace" : "shared network namespace: " + why);
            out.flush();
            long t0 = System.nanoTime();
            int exit = ExperimentRun.runChild(wrapped.orElse(command), wrapped.isPresent(), out, spec.commandLine().getErr());
            out.printf("[%d/%d] %s: %s in %.1f s%n", i + 1, names.size(), name, exit == 0 ? "done" : "FAILED (exit " + exit + ")",
                    (System.nanoTime() - t0) / 1e9);
            out.flush();
            if (exit != 0) {
                failed.add(name);
            }
        }
        out.printf("experiments: %d run in %.0f s%s%n", names.size(), (System.nanoTime() - start) / 1e9,
                failed.isEmpty() ? "" : "; failed: " + String.join(", ", failed));
        return failed.isEmpty() ? 0 : 1;
    }

    /** The experiment subcommands by name: the registry's in its order, then the others as registered. */
    private Map<String, CommandLine> experiments() {
        Map<String, CommandLine> all = new LinkedHashMap<>();
        Map<String, CommandLine> subcommands = spec.parent().subcommands();
        Experiments.ALL.stream().map(Experiment::name).forEach(n -> all.put(n, subcommands.get(n)));
        subcommands.forEach((n, cli) -> {
            if (!n.equals(spec.name())) {
                all.putIfAbsent(n, cli);
            }
        });
        return all;
    }
}
