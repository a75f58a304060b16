package socklab.experiment;

import org.HdrHistogram.Histogram;

/**
 * Percentiles of a latency histogram, in milliseconds (HdrHistogram, 3 significant digits).
 *
 * @param count requests or connects recorded
 */
public record LatencySummary(long count, double mean, double p50, double p90, double p99, double p999, double max) {

    /** From a histogram of nanoseconds. */
    public static LatencySummary of(Histogram nanos) {
        if (nanos.getTotalCount() == 0) {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        }
        return new LatencySummary(nanos.getTotalCount(), ms(nanos.getMean()), ms(nanos.getValueAtPercentile(50)),
                ms(nanos.getValueAtPercentile(90)), ms(nanos.getValueAtPercentile(99)),
                ms(nanos.getValueAtPercentile(99.9)), ms(nanos.getMaxValue()));
    }

    private static double ms(double nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }
}
