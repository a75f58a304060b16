package socklab.load;

/**
 * One loop's open-loop schedule: request i is due at start + i × interval, whether or not the server
 * kept up, and the slots free to take a due request wait in first-in-first-out order, so the load
 * spreads over the connections. Only the loop's own thread uses it; nothing here allocates.
 */
final class PacedSchedule {
    private final double intervalNanos;
    private final int[] free;
    private final boolean[] queued;
    private int head;
    private int count;

    private long start;
    private long total;
    private long inWindow;
    private long next;

    /** @param rate this loop's requests per second; {@code slots} its number of connections */
    PacedSchedule(double rate, int slots) {
        this.intervalNanos = 1e9 / rate;
        this.free = new int[slots];
        this.queued = new boolean[slots];
    }

    /** Fixes the clock: requests intended before {@code windowEnd} are scheduled, those from {@code windowStart} on are measured. */
    void fix(long start, long windowStart, long windowEnd) {
        this.start = start;
        this.total = before(windowEnd);
        this.inWindow = total - before(windowStart);
    }

    /** Requests whose intended time lies in the measured window. */
    long inWindow() {
        return inWindow;
    }

    /** The number of requests whose intended time is before {@code t}. */
    private long before(long t) {
        return Math.max(0, (long) Math.ceil((t - start) / intervalNanos));
    }

    private long intended(long index) {
        return start + (long) (index * intervalNanos);
    }

    /** True while a request is due by {@code now} and not yet handed out. */
    boolean due(long now) {
        return next < Math.min(total, before(now + 1));
    }

    /** Hands out the next request: its intended time. */
    long take() {
        return intended(next++);
    }

    /** When the loop should wake for the next request, or Long.MAX_VALUE when none is due or no slot could take it. */
    long wakeAt() {
        return count > 0 && next < total ? intended(next) : Long.MAX_VALUE;
    }

    /** Queues slot {@code index} as free, unless it is queued already. */
    void offer(int index) {
        if (!queued[index]) {
            queued[index] = true;
            free[(head + count) % free.length] = index;
            count++;
        }
    }

    /**
     * The longest-waiting free slot, or -1. The caller checks that the slot is still free: an entry
     * whose slot has moved on since (a connection lost while idle) is simply dropped.
     */
    int poll() {
        if (count == 0) {
            return -1;
        }
        int index = free[head];
        head = (head + 1) % free.length;
        count--;
        queued[index] = false;
        return index;
    }
}
