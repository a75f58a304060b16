package socklab.experiment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How evenly work went to workers: each worker's count and three standard measures of balance.
 *
 * @param perWorker    worker id to count, every worker that could have taken work (zeros included)
 * @param total        the sum
 * @param largestShare the largest count over the total: 1/n when even, 1 when one worker took everything
 * @param maxMinRatio  the largest count over the smallest; null when a worker got none (unbounded)
 * @param cv           coefficient of variation: population standard deviation over the mean (0 when even)
 * @param jain         Jain's fairness index (sum x)^2 / (n sum x^2): 1 when even, 1/n when one worker took all
 */
public record Shares(Map<String, Long> perWorker, long total, double largestShare, Double maxMinRatio, double cv,
                     double jain) {

    /** The measures of {@code counts}; workers in {@code workers} that are missing from it count 0. */
    public static Shares of(List<String> workers, Map<String, Long> counts) {
        Map<String, Long> all = new LinkedHashMap<>();
        workers.forEach(w -> all.put(w, counts.getOrDefault(w, 0L)));
        counts.forEach(all::putIfAbsent); // an id the caller did not expect still counts
        int n = all.size();
        long total = all.values().stream().mapToLong(Long::longValue).sum();
        if (n == 0 || total == 0) {
            return new Shares(all, total, 0, null, 0, 0);
        }
        long max = all.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        long min = all.values().stream().mapToLong(Long::longValue).min().orElseThrow();
        double mean = (double) total / n;
        double sumSquares = all.values().stream().mapToDouble(x -> (double) x * x).sum();
        double variance = sumSquares / n - mean * mean;
        return new Shares(all, total, round((double) max / total), min == 0 ? null : round((double) max / min),
                round(Math.sqrt(Math.max(0, variance)) / mean), round((double) total * total / (n * sumSquares)));
    }

    /** True when every worker got work and none more than {@code ratio} times another. */
    public boolean evenWithin(double ratio) {
        return maxMinRatio != null && maxMinRatio <= ratio;
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
