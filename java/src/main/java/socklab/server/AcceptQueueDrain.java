package socklab.server;

import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import socklab.kernel.SockDiag;
import socklab.kernel.TcpState;
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
 *     starts (the client's SYN goes unanswered, and its retransmission 1 s later meets a closed port:
 *     a refusal); handshakes in progress still complete.</li>
 * <li>{@link Membarrier#awaitGracePeriod}: a SYN that the kernel was processing when the filter went on
 *     (it had read the socket's filter pointer under RCU before the change) has, once this returns,
 *     created its request socket, so that the count below misses nothing.</li>
 * <li>Keep accepting as before until every listener's accept queue is empty (TCP_INFO's
 *     tcpi_unacked, ss's Recv-Q) and no handshake with the port is in progress (sock_diag: no
 *     SYN-RECV socket whose local port is the server's). From then on nothing can enter the queue:
 *     the listeners close and reset nobody.</li>
 * </ol>
 * A handshake whose last ACK the kernel dropped because the queue was full completes when the client
 * sends again (its request, on its ~200 ms retransmission timeout) or the server resends its SYN-ACK
 * (after 1 s, then 2 s more). {@link #TIMEOUT_MILLIS} covers both SYN-ACK retransmissions; a server
 * that cannot accept (out of descriptors, its only loop stuck in a handler) stops waiting then, and
 * the close resets what is left, which the stop line on stderr counts.
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

    private final List<Integer> listeners;
    private final int port;
    private final long startedAt;
    private final long deadline;
    private final SockDiag diag = SockDiag.open();
    private long queued;
    private long handshakes;
    private long queuedAtStart = -1; // at the first look
    private long handshakesAtStart;

    private AcceptQueueDrain(List<Integer> listeners, int port, long now) {
        this.listeners = List.copyOf(listeners);
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
        return new AcceptQueueDrain(Stream.concat(own.stream(), shared.stream()).toList(), port, now);
    }

    /**
     * Runs what a stop will run, once, when the server starts: in a JVM that has not made these calls
     * yet, building their downcalls and loading sock_diag's classes took 300 to 450 ms here (measured
     * in a fresh JVM: membarrier 190-250 ms, the first sock_diag dump 170-330 ms; then 7-14 ms and
     * 10-70 ms), which the stop should not add; and a kernel that refuses a step is better known at
     * the start. Returns null, or the line for stderr that says the stops will reset queued connections.
     */
    public static String prepare(int port) {
        try (SockDiag diag = SockDiag.open()) {
            Membarrier.awaitGracePeriod();
            diag.tcp(EnumSet.of(TcpState.SYN_RECV), port);
            return null;
        } catch (RuntimeException e) {
            return "cannot prepare to drain the accept queue at the stop (" + e.getMessage()
                    + "): a stop will close the listener at once and reset the connections still in it";
        }
    }

    /** Steps 1 and 2 alone, for a parent that shuts the door of a socket its workers accept on. */
    public static void shutDoors(List<Integer> listeners) {
        if (listeners.isEmpty()) {
            return;
        }
        listeners.forEach(SocketOptions::attachSynDropFilter);
        Membarrier.awaitGracePeriod();
    }

    /**
     * True once nothing is queued and no handshake is in progress: the listeners may close. Looks at
     * the kernel each time (the queues, then the handshakes, so that a handshake completing between
     * the two looks is seen in a queue the next time).
     */
    public boolean drained() {
        queued = 0;
        for (int fd : listeners) {
            queued += SocketOptions.tcpInfo(fd).unacked();
        }
        handshakes = diag.tcp(EnumSet.of(TcpState.SYN_RECV), port).size();
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
        return "stopping: " + queued + " connections still in the accept queue and " + handshakes + " handshakes in progress after "
                + millis + " ms (nothing accepts them: out of descriptors, or every accepting thread busy); closing the listener resets them";
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
