package socklab.proc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import socklab.sys.Epoll;
import socklab.sys.Fd;
import socklab.sys.Processes;

/**
 * The supervisor thread of a {@link ProcessGroup}. One thread does everything: it starts the workers
 * (posix_spawn, {@link WorkerSlots#spawn}), and its epoll waits for their exits (pidfds), for the
 * cluster's listener and channels, for timers and for the stop request. It must be one long-lived
 * thread: PR_SET_PDEATHSIG fires when the thread that started a process exits, not the process.
 *
 * <p>It replaces a worker that exits while the group runs, after the back-off the group's class comment
 * gives, fails the start when a worker fails while the group starts, and carries out the stop
 * ({@link GroupStop}) once asked. After a failure of its own it kills every worker. Whatever way it
 * ends, it releases what the parent holds ({@link GroupResources}).
 */
final class Supervisor {
    static final long FIRST_BACKOFF_MILLIS = 100;
    static final long MAX_BACKOFF_MILLIS = 10_000;
    static final long STABLE_MILLIS = 10_000;
    static final long START_TIMEOUT_MILLIS = 60_000;
    /** While a worker starts, how often the supervisor looks at the table to see whether it serves. */
    private static final int START_POLL_MILLIS = 10;

    private final Consumer<String> log;
    private final GroupResources resources;
    private final WorkerSlots workers;
    private final GroupStop stop;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopRequested;
    private volatile int restarts;
    private boolean running; // every worker served once: from now on an exit is a crash, not a failed start

    Supervisor(GroupConfig config, Consumer<String> log, GroupResources resources, WorkerSlots workers) {
        this.log = log;
        this.resources = resources;
        this.workers = workers;
        this.stop = new GroupStop(config, log, resources, workers);
        this.thread = Thread.ofPlatform().name("socklab-supervisor").unstarted(this::supervise);
    }

    /**
     * Once the resources are open: prepares the stop, starts the thread and waits until every worker
     * serves or the start failed. Returns the failure, or null.
     */
    Throwable start() throws InterruptedException {
        stop.prepare();
        thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            // the caller gets no group to close: stop what was started before giving up
            requestStop();
            awaitStoppedUninterruptibly();
            throw e;
        }
        return failure.get();
    }

    private void awaitStoppedUninterruptibly() {
        while (true) {
            try {
                thread.join();
                return;
            } catch (InterruptedException again) {
                // keep waiting; the caller's interrupt is rethrown by start
            }
        }
    }

    /** Workers started to replace one that exited, so far. */
    int restarts() {
        return restarts;
    }

    /** What stopped the supervisor, if anything did. */
    Throwable failure() {
        return failure.get();
    }

    /** Waits until the thread has ended: the group stopped and its descriptors released. */
    void awaitStopped() throws InterruptedException {
        thread.join();
    }

    /** Asks the thread to stop the group and wakes it; does not wait. */
    void requestStop() {
        stopRequested = true;
        if (thread.getState() != Thread.State.NEW) {
            resources.wakeSupervisor();
        }
    }

    private void supervise() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = Epoll.allocateEvents(arena, 16);
            MemorySegment eventfdValue = arena.allocate(ValueLayout.JAVA_LONG);
            long now = System.nanoTime();
            for (int slot = 0; slot < workers.count(); slot++) {
                workers.spawn(slot, now);
            }
            long startDeadline = now + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
            while (true) {
                checkServing(now);
                if (!running && workers.allServing()) {
                    running = true;
                    started.countDown();
                }
                if (!running && now - startDeadline > 0) {
                    throw new IllegalStateException("the worker processes did not all start within " + START_TIMEOUT_MILLIS + " ms");
                }
                if (stopRequested && !stop.stopping()) {
                    stop.begin(now);
                }
                if (stop.stopping() && stop.advance(now)) {
                    return;
                }
                int n = Epoll.wait(resources.epfd, events, timeoutMillis(now));
                now = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    long data = Epoll.data(events, i);
                    int slot = (int) data;
                    switch ((int) (data >>> 32)) { // the kinds of GroupResources.CONTROL, EXIT, LISTENER, CHANNEL
                        case 0 -> Fd.read(resources.controlFd, eventfdValue);
                        case 1 -> exited(slot, now);
                        case 2 -> resources.primary.acceptReady(now);
                        default -> resources.primary.channelReady(slot, now);
                    }
                }
                if (resources.primary != null) {
                    resources.primary.updateWatch(now);
                }
                respawnDue(now);
            }
        } catch (Throwable t) {
            failure.set(t);
            log.accept("socklab: serve: supervisor failed: " + t);
            workers.killAll();
        } finally {
            started.countDown();
            try {
                stop.release();
            } finally {
                resources.release();
            }
        }
    }

    /** Notes the workers that have started serving since; a replacement's start time is logged. */
    private void checkServing(long now) {
        for (int slot = 0; slot < workers.count(); slot++) {
            WorkerSlots.Worker w = workers.worker(slot);
            if (w.pidfd >= 0 && !w.serving && resources.table.pid(slot) == w.pid) {
                w.serving = true;
                if (running) {
                    log.accept("socklab: serve: worker " + slot + " (pid " + w.pid + ") serving "
                            + TimeUnit.NANOSECONDS.toMillis(now - w.startedAt) + " ms after it was started");
                }
            }
        }
    }

    private int timeoutMillis(long now) {
        long next = workers.nextRespawn();
        ClusterPrimary primary = resources.primary;
        if (primary != null && primary.pausedUntil() != 0) {
            next = Math.min(next, primary.pausedUntil());
        }
        next = Math.min(next, stop.wakeAt(now));
        long millis = next == Long.MAX_VALUE ? -1 : Math.max(0, Math.ceilDiv(next - now, 1_000_000L));
        if (workers.anyStarting()) {
            millis = millis < 0 ? START_POLL_MILLIS : Math.min(millis, START_POLL_MILLIS);
        }
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }

    /** The pidfd of {@code slot} is readable: its process has exited. Reap it; replace it unless stopping. */
    private void exited(int slot, long now) {
        int status = workers.reap(slot);
        if (status < 0) {
            return; // not yet: pidfds signal exit, so this does not happen, but a status is what counts
        }
        WorkerSlots.Worker w = workers.worker(slot);
        String what = "worker " + slot + " (pid " + w.pid + ") " + Processes.describeStatus(status);
        if (!running) {
            throw new IllegalStateException(what + " while the group was starting (its error, if any, is above)");
        }
        if (stop.stopping()) {
            if (!Processes.exitedCleanly(status)) {
                log.accept("socklab: serve: " + what + " while stopping");
            }
            return;
        }
        long ranMillis = TimeUnit.NANOSECONDS.toMillis(now - w.startedAt);
        w.backoffMillis = ranMillis >= STABLE_MILLIS || w.backoffMillis == 0 ? FIRST_BACKOFF_MILLIS
                : Math.min(MAX_BACKOFF_MILLIS, 2 * w.backoffMillis);
        w.respawnAt = now + TimeUnit.MILLISECONDS.toNanos(w.backoffMillis) | 1; // never 0, which means "none"
        log.accept("socklab: serve: " + what + " after " + ranMillis + " ms; starting a new one in " + w.backoffMillis + " ms");
    }

    private void respawnDue(long now) {
        for (int slot = 0; slot < workers.count(); slot++) {
            WorkerSlots.Worker w = workers.worker(slot);
            if (w.respawnAt != 0 && now - w.respawnAt >= 0) {
                workers.spawn(slot, now);
                restarts++;
                log.accept("socklab: serve: worker " + slot + " started again as pid " + w.pid);
            }
        }
    }
}
