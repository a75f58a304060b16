package socklab.cli;

import java.time.Duration;

import picocli.CommandLine.Option;
import socklab.idem.FaultPlan;

/**
 * The fault-injection flags, shared by {@code serve} (defaults here: no faults) and
 * {@code experiment idempotency} (its own defaults, through its default-value provider).
 */
public final class FaultOptions {
    @Option(names = "--fault-drop", paramLabel = "P", defaultValue = "0",
            description = "probability of closing the connection after a commit, before the response (default: ${DEFAULT-VALUE})")
    double dropProbability;

    @Option(names = "--fault-delay", paramLabel = "P", defaultValue = "0",
            description = "probability of holding the response back after a commit (default: ${DEFAULT-VALUE})")
    double delayProbability;

    @Option(names = "--fault-delay-for", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "1s",
            description = "how long a delayed response is held back (default: ${DEFAULT-VALUE})")
    Duration delay;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the fault draws (default: ${DEFAULT-VALUE})")
    long seed;

    /** The plan; a bad combination throws IllegalArgumentException naming the flag. */
    FaultPlan plan() {
        return new FaultPlan(dropProbability, delayProbability, delay, seed);
    }
}
