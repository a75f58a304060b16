package socklab.experiment;

import java.util.List;
import java.util.Optional;

/**
 * Every experiment of the suite, in the order {@code make bench} runs them and the report shows them.
 * An experiment added here gets its {@code socklab experiment NAME} subcommand, its place in
 * {@code socklab experiment all} and its report section without any other change.
 */
public final class Experiments {
    private Experiments() {}

    public static final List<Experiment<?>> ALL = List.of(
            new BalanceExperiment(), new SlowWorkerExperiment(), new OverflowExperiment(), new HerdExperiment(),
            new ThroughputExperiment(), new FailoverExperiment(), new ShutdownExperiment());

    public static Optional<Experiment<?>> byName(String name) {
        return ALL.stream().filter(e -> e.name().equals(name)).findFirst();
    }
}
