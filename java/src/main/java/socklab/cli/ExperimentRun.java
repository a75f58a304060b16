package socklab.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import socklab.experiment.Experiment;
import socklab.experiment.Knob;
import socklab.experiment.NetNamespace;
import socklab.experiment.Params;
import socklab.experiment.Profile;
import socklab.experiment.Runner;
import socklab.experiment.SocklabJvm;

/**
 * {@code socklab experiment NAME} for an experiment of the registry: the subcommand is built from the
 * experiment's knobs (one option each, its defaults per profile in the help), plus {@code --profile},
 * {@code --results} and {@code --shared-netns}.
 *
 * <p>As root, the run moves into a network namespace of its own: the command starts itself again in a
 * child JVM under {@code unshare --net} ({@link NetNamespace}), so the TCP counter deltas it reports are
 * its own traffic. {@code --shared-netns}, or not being root, runs it here and says the counters are shared.
 */
final class ExperimentRun implements Callable<Integer> {
    static final String PROFILE = "--profile";
    static final String RESULTS = "--results";
    static final String SHARED_NETNS = "--shared-netns";

    private final Experiment<?> experiment;
    private CommandSpec spec;

    private ExperimentRun(Experiment<?> experiment) {
        this.experiment = experiment;
    }

    static CommandLine commandLine(Experiment<?> experiment) {
        ExperimentRun run = new ExperimentRun(experiment);
        CommandSpec spec = CommandSpec.wrapWithoutInspection(run).name(experiment.name()).mixinStandardHelpOptions(true);
        // picocli reads descriptions as format strings: a literal % must be doubled.
        spec.usageMessage().description((experiment.title() + ".").replace("%", "%%"), experiment.description().replace("%", "%%"))
                .sortOptions(false);
        for (Knob k : experiment.knobs()) {
            String choices = k.kind() == Knob.Kind.NAMES
                    ? "; one or more of " + String.join(", ", k.choices().get()) + ", or all" : "";
            spec.addOption(OptionSpec.builder("--" + k.name()).type(String.class).paramLabel(paramLabel(k))
                    .description((k.description() + " (quick: " + k.quick() + ", full: " + k.full() + choices + ")")
                            .replace("%", "%%")).build());
        }
        spec.addOption(OptionSpec.builder(PROFILE).type(String.class).paramLabel("quick|full").defaultValue("quick")
                .description("Where the knobs' defaults come from (default: ${DEFAULT-VALUE}).").build());
        spec.addOption(OptionSpec.builder(RESULTS).type(Path.class).paramLabel("DIR").defaultValue("results")
                .description("Where the JSON goes (default: ${DEFAULT-VALUE}).").build());
        spec.addOption(OptionSpec.builder(SHARED_NETNS).arity("0").type(boolean.class).defaultValue("false")
                .description("Run in this network namespace even as root (counter deltas then include other traffic).").build());
        run.spec = spec;
        return new CommandLine(spec);
    }

    private static String paramLabel(Knob k) {
        return switch (k.kind()) {
            case COUNT -> "N";
            case DURATION -> "TIME";
            case COUNTS -> "N[,N…]";
            case NAMES -> "NAME[,NAME…]";
        };
    }

    private static Profile profile(CommandSpec spec) {
        try {
            return Profile.byName(spec.findOption(PROFILE).getValue());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), PROFILE + ": " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> given = new LinkedHashMap<>();
        for (Knob k : experiment.knobs()) {
            String value = spec.findOption("--" + k.name()).getValue();
            if (value != null) {
                given.put(k.name(), value);
            }
        }
        Params params;
        try {
            params = Params.of(experiment.knobs(), profile(spec), given);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Path results = spec.findOption(RESULTS).getValue();
        PrintWriter out = spec.commandLine().getOut();
        boolean shared = spec.findOption(SHARED_NETNS).getValue();
        if (!shared && !NetNamespace.own()) {
            List<String> args = new ArrayList<>(List.of("experiment", experiment.name(), PROFILE, params.profile().cliName(),
                    RESULTS, results.toString()));
            given.forEach((name, value) -> args.addAll(List.of("--" + name, value)));
            StringBuilder why = new StringBuilder();
            Optional<List<String>> wrapped = NetNamespace.wrap(SocklabJvm.command(args), why);
            if (wrapped.isPresent()) {
                return runChild(wrapped.get(), true, out, spec.commandLine().getErr());
            }
            out.println(experiment.name() + ": running in the shared network namespace: " + why);
        }
        Runner.run(experiment, params, results, VersionCommand.gitSha(), out);
        return 0;
    }

    /**
     * Runs {@code command}, marked when it is in a namespace of its own, copying its output line by
     * line to {@code out} and {@code err} (never straight onto this process's descriptors, which a
     * caller may be using for something else); returns its exit code.
     */
    static int runChild(List<String> command, boolean ownNetns, PrintWriter out, PrintWriter err) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT);
        if (ownNetns) {
            pb.environment().put(NetNamespace.MARK, "1");
        } else {
            pb.environment().remove(NetNamespace.MARK);
        }
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
        Thread errors = Thread.ofPlatform().daemon().name("child-stderr").start(() -> copy(child.getErrorStream(), err));
        try {
            copy(child.getInputStream(), out);
            int exit = child.waitFor();
            errors.join();
            return exit;
        } catch (InterruptedException e) {
            child.destroy();
            child.waitFor();
            throw e;
        }
    }

    private static void copy(InputStream from, PrintWriter to) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                synchronized (to) {
                    to.println(line);
                    to.flush();
                }
            }
        } catch (IOException e) {
            synchronized (to) {
                to.println("socklab: lost the rest of a child's output: " + e.getMessage());
            }
        }
    }
}
