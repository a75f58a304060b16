package socklab.http;

import java.util.concurrent.TimeUnit;

/**
 * The deadlines of one event loop's connections, in O(1) per operation and without allocation.
 *
 * <p>Every timeout of a kind has the same length, so a deadline set later never falls before one set
 * earlier: one intrusive FIFO list per kind is already sorted by deadline. Setting a deadline moves the
 * connection to the tail of its list; the loop sleeps until the earliest head and expires heads from
 * the front. (nginx keeps a red-black tree because its timeouts differ per location.)
 */
public final class ConnectionTimers {
    /** What a connection is waiting for, which decides its timeout. */
    enum Wait {
        /** No deadline: a handler has the request. */
        NONE,
        /** The head of a request: header timeout from its first byte (from accept on a new connection); not extended. */
        HEAD,
        /** A keep-alive connection between requests: idle timeout, restarted after each request. */
        IDLE,
        /** A body arriving or a response leaving: idle timeout, restarted whenever bytes move. */
        PROGRESS,
        /** Discarding input before the close: linger time; not extended. */
        LINGER,
        /** The server is stopping and no request is in progress: drain time for one more; not extended. */
        DRAIN
    }

    private final long[] durations = new long[Wait.values().length];
    private final HttpConnection[] heads = new HttpConnection[Wait.values().length];
    private final HttpConnection[] tails = new HttpConnection[Wait.values().length];

    public ConnectionTimers(HttpLimits limits) {
        durations[Wait.HEAD.ordinal()] = TimeUnit.MILLISECONDS.toNanos(limits.headerTimeoutMillis());
        durations[Wait.IDLE.ordinal()] = TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMillis());
        durations[Wait.PROGRESS.ordinal()] = TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMillis());
        durations[Wait.LINGER.ordinal()] = TimeUnit.MILLISECONDS.toNanos(limits.lingerMillis());
        durations[Wait.DRAIN.ordinal()] = TimeUnit.MILLISECONDS.toNanos(limits.drainMillis());
    }

    /**
     * Puts {@code c} in the list for {@code wait}. A change of wait starts a new deadline; staying in
     * IDLE or PROGRESS restarts it when the connection made progress; HEAD, LINGER and DRAIN are never extended.
     */
    void schedule(HttpConnection c, Wait wait, boolean progress, long now) {
        if (wait == c.timerWait && !(progress && (wait == Wait.IDLE || wait == Wait.PROGRESS))) {
            return;
        }
        cancel(c);
        if (wait == Wait.NONE) {
            return;
        }
        int k = wait.ordinal();
        c.timerWait = wait;
        c.deadline = now + durations[k];
        c.timerPrev = tails[k];
        if (tails[k] == null) {
            heads[k] = c;
        } else {
            tails[k].timerNext = c;
        }
        tails[k] = c;
    }

    /** Takes {@code c} out of its list, if it is in one. */
    void cancel(HttpConnection c) {
        if (c.timerWait == Wait.NONE) {
            return;
        }
        int k = c.timerWait.ordinal();
        if (c.timerPrev == null) {
            heads[k] = c.timerNext;
        } else {
            c.timerPrev.timerNext = c.timerNext;
        }
        if (c.timerNext == null) {
            tails[k] = c.timerPrev;
        } else {
            c.timerNext.timerPrev = c.timerPrev;
        }
        c.timerPrev = null;
        c.timerNext = null;
        c.timerWait = Wait.NONE;
    }

    /** The earliest deadline (System.nanoTime), or Long.MAX_VALUE when no connection has one. */
    public long nextDeadline() {
        long next = Long.MAX_VALUE;
        for (HttpConnection head : heads) {
            if (head != null && head.deadline < next) {
                next = head.deadline;
            }
        }
        return next;
    }

    /** Expires every connection whose deadline is at or before {@code now}. */
    public void expire(long now) {
        for (int k = 0; k < heads.length; k++) {
            while (heads[k] != null && heads[k].deadline - now <= 0) {
                HttpConnection c = heads[k];
                Wait waited = c.timerWait;
                cancel(c);
                c.expired(waited);
            }
        }
    }
}
