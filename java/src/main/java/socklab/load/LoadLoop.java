package socklab.load;

import socklab.sys.Epoll;
import socklab.sys.Fd;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One load-generator thread: an epoll loop over its share of the connections ("slots",
 * {@link ConnectionSlots}) on the run's clock, through the warm-up and the measured window, and on
 * until every outcome still to come is in.
 *
 * <p>Everything a request touches is allocated up front: the request bytes (one native segment per
 * path), the read buffer, the event array, the slots with their parsers, the counters and the
 * histograms. Timeouts are found by a scan of the slots every {@value #TICK_MILLIS} ms. The loop waits
 * with epoll_pwait2, whose timeout is in nanoseconds, so a paced schedule is kept to the kernel's timer
 * slack rather than to whole milliseconds; the lag that remains is measured and reported (send delay).
 * What is counted, and in which phase: {@link Accounting}.
 */
final class LoadLoop implements Runnable {
    static final int TICK_MILLIS = 10;
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
    private static final int EVENTS = 256;

    private final LoadConfig config;
    private final boolean paced;
    private final boolean storm;
    private final AtomicBoolean abort;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment events;
    private final MemorySegment timespec;
    private final int epfd;

    /** Paced modes: when requests are due, and which slots are free to take them; null when unpaced. */
    private final PacedSchedule schedule;
    private final ConnectionSlots slots;
    final Accounting accounting;

    private long start;
    private long windowStart;
    private long windowEnd;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private boolean windowOpen;
    private long allocatedAtWindowStart;
    /** Bytes this loop's thread allocated on the Java heap during the window: the no-allocation self-check. */
    long allocatedInWindow;

    /**
     * @param connections this loop's share of the connections
     * @param rate        this loop's share of the rate (0 when unpaced)
     */
    LoadLoop(LoadConfig config, int connections, double rate, byte[][] requestBytes, AtomicBoolean abort) {
        this.config = config;
        Mode mode = config.mode();
        this.storm = mode == Mode.STORM;
        this.paced = rate > 0;
        this.abort = abort;
        this.schedule = paced ? new PacedSchedule(rate, connections) : null;
        this.accounting = new Accounting(requestBytes.length, paced, !paced && mode != Mode.CONN_PER_REQUEST);
        this.events = Epoll.allocateEvents(arena, Math.min(EVENTS, connections));
        this.timespec = arena.allocate(Epoll.TIMESPEC);
        this.epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        try {
            this.slots = new ConnectionSlots(config, connections, schedule,
                    new SlotSockets(config, requestBytes, arena, epfd, accounting.workers), accounting);
        } catch (RuntimeException | Error e) {
            Fd.closeQuietly(epfd);
            arena.close();
            throw e;
        }
    }

    /** Fixes the run's clock: every loop of a run gets the same start, so their schedules line up. */
    void startClock(long startNanos) {
        start = startNanos;
        windowStart = start + config.warmup().toNanos();
        windowEnd = storm ? Long.MAX_VALUE : windowStart + config.duration().toNanos();
        accounting.fixWindow(windowStart, windowEnd);
        if (paced) {
            schedule.fix(start, windowStart, windowEnd);
        }
    }

    /** Paced: requests intended inside the window; 0 when unpaced. */
    long scheduledInWindow() {
        return paced ? schedule.inWindow() : 0;
    }

    @Override
    public void run() {
        long nextTick = start + TICK_NANOS;
        while (!abort.get()) {
            long now = System.nanoTime();
            if (paced && slots.accepting()) {
                slots.dispatchDue(now); // before the window check: requests due inside the window still leave
            }
            if (!windowOpen && now >= windowStart) {
                windowOpen = true;
                allocatedAtWindowStart = THREADS.getCurrentThreadAllocatedBytes();
            }
            if (slots.accepting() && now >= windowEnd) {
                allocatedInWindow = THREADS.getCurrentThreadAllocatedBytes() - allocatedAtWindowStart;
                slots.stopAccepting();
            }
            if (!slots.allLaunched()) {
                slots.launch(now);
            }
            if (slots.finished()) {
                break;
            }
            if (now >= nextTick) {
                slots.expire(now);
                nextTick = now + TICK_NANOS;
            }
            // Nanosecond timeouts: an open-loop schedule wakes the loop when the next request is due,
            // not at the next millisecond (which would add up to 1 ms of the generator's own lag).
            int ready = Epoll.waitNanos(epfd, events, timespec, nanosUntilWake(now, nextTick));
            for (int i = 0; i < ready; i++) {
                slots.onEvent(Epoll.data(events, i), Epoll.events(events, i), System.nanoTime());
            }
            accounting.publishProgress();
        }
        if (storm) {
            allocatedInWindow = THREADS.getCurrentThreadAllocatedBytes() - allocatedAtWindowStart;
        }
    }

    /** Closes every descriptor still open (storm holds its connections until here) and frees the buffers. */
    void close() {
        slots.close();
        Fd.closeQuietly(epfd);
        arena.close();
    }

    private long nanosUntilWake(long now, long nextTick) {
        if (!slots.allLaunched()) {
            return 0;
        }
        long until = nextTick;
        if (slots.accepting()) {
            until = Math.min(until, windowEnd);
            if (paced) {
                until = Math.min(until, schedule.wakeAt());
            }
        }
        return until - now;
    }
}
