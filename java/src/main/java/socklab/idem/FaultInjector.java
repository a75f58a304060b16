package socklab.idem;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Draws a {@link Fault} for each response that follows a commit, from a generator seeded by the plan;
 * counts what it injected. Thread-safe: draws are serialised, so their sequence depends only on the
 * seed and the order in which requests commit.
 */
public final class FaultInjector {
    private final FaultPlan plan;
    private final SplittableRandom random;
    private final AtomicLong drops = new AtomicLong();
    private final AtomicLong delays = new AtomicLong();

    public FaultInjector(FaultPlan plan) {
        this.plan = plan;
        this.random = new SplittableRandom(plan.seed());
    }

    public FaultPlan plan() {
        return plan;
    }

    /** The fault for the next committed response. */
    public Fault next() {
        if (!plan.any()) {
            return Fault.NONE;
        }
        double u;
        synchronized (random) {
            u = random.nextDouble();
        }
        if (u < plan.dropProbability()) {
            drops.incrementAndGet();
            return Fault.DROP;
        }
        if (u < plan.dropProbability() + plan.delayProbability()) {
            delays.incrementAndGet();
            return Fault.DELAY;
        }
        return Fault.NONE;
    }

    /** Connections dropped so far. */
    public long drops() {
        return drops.get();
    }

    /** Responses delayed so far. */
    public long delays() {
        return delays.get();
    }
}
