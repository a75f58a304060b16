package socklab.server;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import socklab.kernel.SockDiag;
import socklab.sys.Membarrier;
import socklab.sys.SocketOptions;

/**
 * Closing listening sockets without resetting the connections the kernel has already accepted for
 * them. close(2) of the last descriptor of a listener resets every connection still in its accept
 * queue (inet_csk_listen_stop): clients whose connect succeeded, who may have sent their request, get
 * ECONNRESET. nginx, Node and most servers close their listeners that way when they stop. A stop here
 * goes in three steps instead:
 * <ol>
 * <li>Shut the door: {@link SocketOptions#attachSynDropFilter} on each listener. No new handshake
 *     starts (the client's SYN goes unanswered; its retransmissions, 1 s, 3 s, 7 s … after the first,
 *     meet a closed port once the stop is over: a refusal, or a connect timeout for a client that gives
 *     up sooner); handshakes in progress still complete.</li>
 * <li>{@link Membarrier#awaitGracePeriod}: a SYN that the kernel was processing when the filter went on
 *     (it had read the socket's filter pointer under RCU before the change) has, once this returns,
 *     created its request socket, so that the count below misses nothing. Where the kernel refuses
 *     membarrier (booted with nohz_full, or a seccomp policy) the stop waits {@value #NO_BARRIER_MILLIS}
 *     ms instead: such a SYN's processing takes microseconds.</li>
 * <li>Keep accepting as before until no handshake with the port is in progress (sock_diag: no
 *     SYN-RECV socket whose local port is the server's) and, looked at after that, every listener's
 *     accept queue is empty (TCP_INFO's tcpi_unacked, ss's Recv-Q). The order matters: a completing
 *     handshake is a request socket, then a child socket still in SYN-RECV that joins the queue and
 *     only then turns ESTABLISHED, so no SYN-RECV at the first look means that everything that got
 *     past the door is in a queue by the second. From then on nothing can enter the queue: the
 *     listeners close and reset nobody.</li>
 * </ol>
 * A handshake whose last ACK the kernel dropped because the queue was full completes when the client
 * sends again (its request, on its ~200 ms retransmission timeout) or the server resends its SYN-ACK
 * (after 1 s, then 2 s more). {@link #TIMEOUT_MILLIS} covers both SYN-ACK retransmissions; a server
 * that cannot accept (out of descriptors, its only loop stuck in a handler) stops waiting then, and
 * the close resets what is left, which the stop line on stderr counts.
 *
 * <p>Not covered: a handshake by SYN cookie (the kernel's answer when the SYN queue is full, as under a
 * SYN flood) leaves no request socket to count; its ACK, which has no SYN bit, can still complete it
 * after the last look, and the close resets it. It would take a SYN flood during the stop.
 *
 * <p>Listeners other processes share (the shared-accept group's) are watched but not filtered here:
 * their door belongs to the group's parent, which shuts it before it signals the workers, so that one
 * worker stopping alone does not stop the whole group's admissions. A SYN-RECV socket cannot be told
 * apart by listener, so with SO_REUSEPORT processes a worker also waits for the others' handshakes;
 * the group stops all of them together.
 *
 * <p>Its calls go through FFM directly whatever {@code --binding} says, as the set-up calls do: they
 * run once per stop, on no path the comparison of bindings measures.
 */
public final class AcceptQueueDrain implements AutoCloseable {
    /** Two SYN-ACK retransmissions (1 s, then 2 s later) and a margin for a loaded machine. */
    public static final long TIMEOUT_MILLIS = 4_000;
    /** How often the queues are looked at while they drain: a few syscalls and one sock_diag dump each time. */
    public static final long POLL_MILLIS = 5;
    /** The wait that stands in for membarrier's grace period where the kernel refuses the call. */
    static final long NO_BARRIER_MILLIS = 10;

    private final List<Integer> listeners;
    private final boolean shared; // some listener is held by other processes too
    private final int port;
    private final long startedAt;
    private final long deadline;
    private final SockDiag diag = SockDiag.open();
    private long queued;
    private long handshakes;
    private long queuedAtStart = -1; // at the first look
    private long handshakesAtStart;

    private AcceptQueueDrain(List<Integer> listeners, boolean shared, int port, long now) {
        this.listeners = List.copyOf(listeners);
        this.shared = shared;
        this.port = port;
        this.startedAt = now;
        this.deadline = now + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
    }

    /**
     * Shuts the door of {@code own} listeners (steps 1 and 2) and starts watching them and
     * {@code shared} ones, all on {@code port}; {@code now} is System.nanoTime. Nothing accepts here:
     * the caller's threads go on accepting until {@link #drained} says the queues are empty.
     */
    public static AcceptQueueDrain begin(List<Integer> own, List<Integer> shared, int port, long now) {
        shutDoors(own);
        return new AcceptQueueDrain(Stream.concat(own.stream(), shared.stream()).toList(), !shared.isEmpty(), port, now);
    }

    /**
     * Makes, once when the server starts, the calls a stop will need: in a JVM that has not made them
     * yet, building their downcalls and loading sock_diag's classes took 300 to 450 ms here (measured
     * in a fresh JVM: membarrier 190-250 ms, the first sock_diag dump 170-330 ms; then 7-14 ms and
     * 10-70 ms), which the stop should not add; and a kernel that refuses one is better known at the
     * start. {@code shutsDoors}: whether this process shuts a door itself (membarrier), or only
     * watches a queue others shut. Returns null, or the line for stderr that says what the stops lose.
     */
    public static String prepare(int port, boolean shutsDoors) {
        try (SockDiag diag = SockDiag.open()) {
            diag.handshakesInProgress(port);
        } catch (RuntimeException e) {
            return "cannot prepare to drain the accept queue at the stop (" + e.getMessage()
                    + "): a stop will close the listener at once and reset the connections still in it";
        }
        if (shutsDoors) {
            try {
                Membarrier.awaitGracePeriod();
            } catch (RuntimeException e) {
                return e.getMessage() + ": a stop will wait " + NO_BARRIER_MILLIS + " ms instead of an RCU grace period "
                        + "for SYNs the kernel is processing as the door shuts";
            }
        }
        return null;
    }

    /** Steps 1 and 2 alone, for a parent that shuts the door of a socket its workers accept on. */
    public static void shutDoors(List<Integer> listeners) {
        if (listeners.isEmpty()) {
            return;
        }
        listeners.forEach(SocketOptions::attachSynDropFilter);
        try {
            Membarrier.awaitGracePeriod();
        } catch (RuntimeException e) {
            // prepare() said so at the start; the door is shut, and this is the wait's stand-in
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(NO_BARRIER_MILLIS));
        }
    }

    /**
     * True once no handshake is in progress and nothing is queued: the listeners may close. Looks at
     * the kernel each time, in step 3's order: the handshakes, then the queues.
     */
    public boolean drained() {
        handshakes = diag.handshakesInProgress(port);
        queued = 0;
        for (int fd : listeners) {
            queued += SocketOptions.tcpInfo(fd).unacked();
        }
        if (queuedAtStart < 0) {
            queuedAtStart = queued;
            handshakesAtStart = handshakes;
        }
        return queued == 0 && handshakes == 0;
    }

    /** Whether {@link #TIMEOUT_MILLIS} has passed since the door shut ({@code now}: System.nanoTime). */
    public boolean timedOut(long now) {
        return now - deadline > 0;
    }

    /**
     * For a thread with nothing else to do meanwhile: looks every {@link #POLL_MILLIS} until the
     * queues are drained or the time is up, and returns {@link #outcome}.
     */
    public String await() throws InterruptedException {
        while (!drained() && !timedOut(System.nanoTime())) {
            Thread.sleep(POLL_MILLIS);
        }
        return outcome(System.nanoTime());
    }

    /**
     * The line for stderr once the drain is over: what was served before the close, or what the close
     * resets; null when the queues were empty from the first look on.
     */
    public String outcome(long now) {
        long millis = TimeUnit.NANOSECONDS.toMillis(now - startedAt);
        if (queued == 0 && handshakes == 0) {
            return queuedAtStart <= 0 && handshakesAtStart == 0 ? null
                    : "stopping: served the " + queuedAtStart + " connections in the accept queue and the " + handshakesAtStart
                    + " handshakes in progress before closing the listener (" + millis + " ms)";
        }
        return "stopping: " + queued + " connections still in the accept queue and " + handshakes + " handshakes in progress with the port after "
                + millis + " ms (nothing accepts them: out of descriptors, every accepting thread busy, or the door left open); "
                + (shared ? "closing the listener resets them once no other process holds it" : "closing the listener resets them");
    }

    /** The line for stderr when the kernel refused a step of the drain: the stop goes on without it. */
    public static String failed(RuntimeException e) {
        return "stopping: cannot drain the accept queue (" + e.getMessage() + "); closing the listener resets the connections still in it";
    }

    /** The accept-queue length over the listeners at the last {@link #drained}. */
    public long queued() {
        return queued;
    }

    /** Handshakes in progress with the port at the last {@link #drained}. */
    public long handshakes() {
        return handshakes;
    }

    @Override
    public void close() {
        diag.close();
    }
}
