package socklab.idem;

import java.time.Duration;

/**
 * Which faults the server injects into the responses of requests that committed a comment, and how
 * often: drop the connection after the commit and before the response, or hold the response back
 * for {@code delay} (longer than the client's or proxy's timeout). Draws come from a generator
 * seeded with {@code seed}, in the order requests commit, so a sequential client sees the same faults
 * on every run.
 */
public record FaultPlan(double dropProbability, double delayProbability, Duration delay, long seed) {
    public static final FaultPlan NONE = new FaultPlan(0, 0, Duration.ZERO, 1);

    public FaultPlan {
        checkProbability("--fault-drop", dropProbability);
        checkProbability("--fault-delay", delayProbability);
        if (dropProbability + delayProbability > 1) {
            throw new IllegalArgumentException("--fault-drop and --fault-delay add up to more than 1 ("
                    + (dropProbability + delayProbability) + "): a response gets at most one fault");
        }
        if (delay.isNegative() || (delayProbability > 0 && delay.isZero())) {
            throw new IllegalArgumentException("--fault-delay needs a positive --fault-delay-for, e.g. 2s");
        }
    }

    /** Whether any fault can happen. */
    public boolean any() {
        return dropProbability > 0 || delayProbability > 0;
    }

    public FaultPlan withSeed(long newSeed) {
        return new FaultPlan(dropProbability, delayProbability, delay, newSeed);
    }

    private static void checkProbability(String flag, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(flag + " is a probability from 0 to 1, got " + p);
        }
    }
}
