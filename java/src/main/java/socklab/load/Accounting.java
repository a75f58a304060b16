package socklab.load;

/**
 * What one {@link LoadLoop} counts, and in which phase's {@link Tally}: the warm-up's or the measured
 * window's. A request is counted when it starts (on a connected slot, or on a slot that must connect
 * first) and ends in exactly one response or one {@link ErrorKind}; a connect is counted when issued
 * and ends established or in a connect-phase kind. A request that waited for its connection also
 * carries that connection's failure. Requests belong to the phase (warm-up or window) of their start
 * (paced: of their intended time); connects to the phase they were issued in.
 *
 * <p>The slots carry what a count needs ({@link Slot#measured}, the latency's start); the tallies are
 * sized up front, so counting allocates nothing. Only the loop's own thread counts; the generator
 * reads the tallies after joining it, and the progress fields while it runs.
 */
final class Accounting {
    final WorkerTable workers = new WorkerTable();
    final Tally warm;
    final Tally window;

    private final boolean paced;
    private final boolean latencyFromSend;
    private long windowStart;
    private long windowEnd;

    // Read by the generator's progress reporting while the loop runs.
    volatile long progressResponses;
    volatile long progressErrors;
    volatile long progressSettled;

    /**
     * @param paths           the number of request paths
     * @param paced           requests follow a schedule: the send's lag behind it is measured
     * @param latencyFromSend latency runs from the send rather than from the request's start
     */
    Accounting(int paths, boolean paced, boolean latencyFromSend) {
        this.warm = new Tally(paths);
        this.window = new Tally(paths);
        this.paced = paced;
        this.latencyFromSend = latencyFromSend;
    }

    /** The measured window on the run's clock ({@link LoadLoop#startClock}). */
    void fixWindow(long windowStart, long windowEnd) {
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
    }

    /** A request on path {@code s.path} starts at {@code intendedOrNow}: its phase and its latency's start. */
    void requestStarted(Slot s, long intendedOrNow) {
        s.measured = intendedOrNow >= windowStart;
        s.latencyStart = intendedOrNow;
        Tally t = tally(s);
        t.requests++;
        t.requestsPerPath[s.path]++;
    }

    /** A connect is issued on {@code s}: a new connection, not yet counted for the worker that answers it. */
    void connectIssued(Slot s, long now) {
        s.connectStart = now;
        s.connectMeasured = now >= windowStart;
        connectTally(s).connects++;
        s.countedWarm = false;
        s.countedWindow = false;
    }

    void established(Slot s, long now) {
        Tally t = connectTally(s);
        t.established++;
        Tally.record(t.connectLatency, now - s.connectStart);
    }

    /** The request on {@code s} is about to be sent. */
    void sending(Slot s, long now) {
        if (latencyFromSend) {
            s.latencyStart = now;
        } else if (paced) {
            Tally.record(tally(s).sendDelay, now - s.latencyStart);
        }
    }

    /** The response on {@code s} is complete: its status, its worker, its latency. */
    void responded(Slot s, long now) {
        Tally t = tally(s);
        t.responses++;
        t.responsesPerPath[s.path]++;
        if (s.measured && now < windowEnd) {
            t.responsesInWindow++;
        }
        t.statuses[s.parser.status()]++;
        int worker = s.parser.worker();
        t.responsesPerWorker[worker]++;
        if (!(s.measured ? s.countedWindow : s.countedWarm)) {
            t.connectionsPerWorker[worker]++; // each connection once per phase, by its first response there
            if (s.measured) {
                s.countedWindow = true;
            } else {
                s.countedWarm = true;
            }
        }
        Tally.record(t.latencyPerPath[s.path], now - s.latencyStart);
    }

    void requestFailed(Slot s, ErrorKind kind, String example) {
        tally(s).requestFailed(kind, example);
    }

    void connectFailed(Slot s, ErrorKind kind, String example) {
        connectTally(s).connectFailed(kind, example);
    }

    /** Publishes the totals so far for the generator's progress line. */
    void publishProgress() {
        progressResponses = warm.responses + window.responses;
        progressErrors = warm.errorCount() + window.errorCount();
        progressSettled = window.established + sum(window.connectErrors);
    }

    private Tally tally(Slot s) {
        return s.measured ? window : warm;
    }

    private Tally connectTally(Slot s) {
        return s.connectMeasured ? window : warm;
    }

    private static long sum(long[] values) {
        long n = 0;
        for (long v : values) {
            n += v;
        }
        return n;
    }
}
