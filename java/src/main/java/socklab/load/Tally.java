package socklab.load;

import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;

/**
 * What one event loop counted in one phase (warm-up or the measured window). Plain fields: only the
 * loop's own thread writes them, and the generator reads them after joining it. Recording allocates
 * nothing: the histograms are sized up front.
 */
final class Tally {
    /** Latencies are recorded in nanoseconds up to an hour; longer ones count as an hour. */
    static final long HIGHEST_NANOS = TimeUnit.HOURS.toNanos(1);
    static final int SIGNIFICANT_DIGITS = 3;
    /** Status codes 100-599 are counted by code; anything else is a bad response. */
    static final int MAX_STATUS = 599;

    long requests;
    long responses;
    /** Responses that arrived inside the measured window (the throughput numerator). */
    long responsesInWindow;
    final long[] errors = new long[ErrorKind.values().length];
    long connects;
    long established;
    final long[] connectErrors = new long[ErrorKind.values().length];
    final long[] statuses = new long[MAX_STATUS + 1];
    final long[] responsesPerWorker = new long[WorkerTable.MAX_IDS + 2];
    final long[] connectionsPerWorker = new long[WorkerTable.MAX_IDS + 2];
    final long[] requestsPerPath;
    final long[] responsesPerPath;
    final Histogram[] latencyPerPath;
    final Histogram connectLatency = histogram();
    /** Open loop: how late each request left after its intended time (the generator's own lag). */
    final Histogram sendDelay = histogram();
    /** The first message seen per error kind, for the summary (allocated only on error paths). */
    final String[] errorExamples = new String[ErrorKind.values().length];

    Tally(int paths) {
        requestsPerPath = new long[paths];
        responsesPerPath = new long[paths];
        latencyPerPath = new Histogram[paths];
        for (int i = 0; i < paths; i++) {
            latencyPerPath[i] = histogram();
        }
    }

    static Histogram histogram() {
        return new Histogram(HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    }

    static void record(Histogram histogram, long nanos) {
        histogram.recordValue(Math.clamp(nanos, 0, HIGHEST_NANOS));
    }

    void requestFailed(ErrorKind kind, String example) {
        errors[kind.ordinal()]++;
        noteExample(kind, example);
    }

    void connectFailed(ErrorKind kind, String example) {
        connectErrors[kind.ordinal()]++;
        noteExample(kind, example);
    }

    private void noteExample(ErrorKind kind, String example) {
        if (errorExamples[kind.ordinal()] == null) {
            errorExamples[kind.ordinal()] = example;
        }
    }

    long errorCount() {
        long n = 0;
        for (long e : errors) {
            n += e;
        }
        return n;
    }
}
