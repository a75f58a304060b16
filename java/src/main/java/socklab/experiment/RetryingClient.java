package socklab.experiment;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

import socklab.experiment.HttpCall.Outcome;

/**
 * Sends one logical request, again and again with the same bytes (so the same Idempotency-Key, if it
 * has one), until an answer it accepts or {@code maxAttempts}. It retries on a timeout, a reset or a
 * refused connection, and on the statuses the policy names (a 409 from a key still in progress, say).
 */
final class RetryingClient {
    private RetryingClient() {}

    /**
     * @param timeout       per connect and per read
     * @param maxAttempts   1 for a client that never retries
     * @param pause         between attempts (0 for at once)
     * @param retryStatuses statuses answered that are retried rather than accepted
     */
    record Policy(Duration timeout, int maxAttempts, Duration pause, Set<Integer> retryStatuses) {
        static Policy once(Duration timeout) {
            return new Policy(timeout, 1, Duration.ZERO, Set.of());
        }
    }

    /** How a logical request ended: the attempts it took and the last outcome. */
    record Result(int attempts, Outcome last) {
        /** Whether the client got a 2xx: the comment is acknowledged. */
        boolean acknowledged() {
            return last instanceof Outcome.Response r && r.status() / 100 == 2;
        }

        /** Whether the last answer was a replay of a stored response. */
        boolean replayed() {
            return last instanceof Outcome.Response r && "true".equals(r.header("Idempotent-Replayed"));
        }

        /** {@code 201}, {@code 502}, or the failure: {@code reset}, {@code timeout}, {@code refused}. */
        String ending() {
            return switch (last) {
                case Outcome.Response r -> Integer.toString(r.status());
                case Outcome.Failure f -> f.kind().name().toLowerCase();
            };
        }
    }

    /** Sends {@code call} to wherever {@code target} says the server is now (it moves when a server restarts). */
    static Result send(Supplier<InetSocketAddress> target, HttpCall call, Policy policy) throws InterruptedException {
        Outcome last = null;
        int attempts = 0;
        while (attempts < policy.maxAttempts()) {
            if (attempts > 0 && policy.pause().isPositive()) {
                Thread.sleep(policy.pause());
            }
            attempts++;
            last = call.send(target.get(), policy.timeout());
            if (last instanceof Outcome.Response r && !policy.retryStatuses().contains(r.status())) {
                break;
            }
        }
        return new Result(attempts, last);
    }
}
