package socklab.idem;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a server keeps comments: where the database lives, whether a mutating request must carry an
 * Idempotency-Key, how long keys are kept, and the faults to inject. The {@code serve} flags
 * {@code --data-dir}, {@code --require-idempotency-key}, {@code --idempotency-ttl} and
 * {@code --fault-*}/{@code --seed} map one to one onto it.
 */
public record CommentsConfig(Path dataDir, boolean requireKey, Duration keyTtl, FaultPlan faults) {
    /** Stripe keeps keys 24 hours; the draft leaves it to the server. */
    public static final Duration DEFAULT_KEY_TTL = Duration.ofHours(24);

    public CommentsConfig {
        if (keyTtl.isNegative() || keyTtl.isZero()) {
            throw new IllegalArgumentException("--idempotency-ttl must be positive, got " + keyTtl);
        }
    }

    /** Keys optional, kept 24 h, no faults. */
    public static CommentsConfig of(Path dataDir) {
        return new CommentsConfig(dataDir, false, DEFAULT_KEY_TTL, FaultPlan.NONE);
    }

    public CommentsConfig withRequireKey(boolean require) {
        return new CommentsConfig(dataDir, require, keyTtl, faults);
    }

    public CommentsConfig withKeyTtl(Duration ttl) {
        return new CommentsConfig(dataDir, requireKey, ttl, faults);
    }

    public CommentsConfig withFaults(FaultPlan plan) {
        return new CommentsConfig(dataDir, requireKey, keyTtl, plan);
    }
}
