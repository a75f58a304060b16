package socklab.server;

import java.util.concurrent.TimeUnit;

import socklab.sys.Errno;
import socklab.sys.NativeException;

/**
 * What every model does when accept4(2) fails for want of a descriptor or of kernel memory (EMFILE,
 * ENFILE, ENOBUFS, ENOMEM): nginx's pause-and-retry. The accepting thread stops accepting for
 * {@link #PAUSE_NANOS} (an event loop takes the listener out of its epoll set and sleeps on its timers;
 * a blocking accepter sleeps), then tries one accept again; the same on every failure until one
 * succeeds. nginx does this in ngx_event_accept (accept events disabled, re-enabled by a timer of
 * accept_mutex_delay); memcached stops accepting and polls on a timer until a connection closes.
 *
 * <p>Why not libuv's spare-descriptor trick (keep one descriptor open; on EMFILE close it, accept, close
 * the connection at once, reopen the spare): it is a race in a process whose threads share one
 * descriptor table, as every socklab model's do (its accepting loops and the JVM's own threads may
 * take the freed number first; libuv's comment says it is racy in multi-threaded programs), and it
 * turns a connection the kernel has completed into a closed one although it could have been served a
 * moment later. Pausing loses nothing: the connections stay in the accept queue and are served once a
 * descriptor is free; beyond backlog + 1 the kernel itself sheds new ones (it drops their SYN and counts
 * ListenOverflows; the client retransmits), the back-pressure of any overloaded listener. What it costs
 * is at most one failed accept per pause per accepting thread, instead of a spin: a level-triggered
 * listener with a queued connection is ready at once again, so retrying without a pause would burn a
 * core while nothing can be served.
 *
 * <p>Every accepting thread uses it: the event loops' listeners ({@link ListenerWatch}), the blocking
 * accepters ({@link BlockingAccepter}) and the primary of the cluster model (socklab.proc). A cluster
 * worker process at its limit is handed connections whose descriptor the kernel drops (MSG_CTRUNC): its
 * {@link ChannelReceiver} counts that as a failed accept here and refuses the hand-off as
 * {@link GroupMember#SHORT_OF_DESCRIPTORS}, and the primary gives that worker nothing for
 * {@link #PAUSE_NANOS}, then tries it again: one refused hand-off per pause, where retrying at once
 * would bounce the connection between the primary and workers that are all at their limit.
 * One instance per accepting thread. It prints one line on stderr when a shortage starts and one when
 * accepting works again, with the number of retries in between, which shows the pause at work.
 */
public final class AcceptShortage {
    /** How long accepting pauses after a shortage. */
    public static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    static {
        // Load Errno now, not at the first shortage: at the descriptor limit nothing may need a new
        // descriptor, and loading a class from a directory on the class path does (open(2) fails with
        // EMFILE, and the NoClassDefFoundError would stop the server).
        Errno.isShortage(0);
    }

    private final String worker;
    private final String whereTheyWait;
    private long failures;
    private long startedAt;

    /** For a thread that accepts from a listening socket: meanwhile connections wait in its accept queue. */
    public AcceptShortage(String worker) {
        this(worker, "the accept queue");
    }

    /** For a thread whose connections wait in {@code whereTheyWait} while it cannot take them. */
    public AcceptShortage(String worker, String whereTheyWait) {
        this.worker = worker;
        this.whereTheyWait = whereTheyWait;
    }

    /** Whether accept4's failure is a shortage ({@link Errno#isShortage}), which passes, rather than a bug or a dead socket. */
    public static boolean is(NativeException e) {
        return Errno.isShortage(e.errno());
    }

    /** accept4 failed with a shortage at {@code now} (System.nanoTime): returns when to try again. */
    public long failed(NativeException e, long now) {
        return failed(e.getMessage(), now);
    }

    /** A connection could not be taken at {@code now} for the reason {@code cause}, a shortage: returns when to try again. */
    public long failed(String cause, long now) {
        if (failures++ == 0) {
            startedAt = now;
            System.err.println("socklab: worker " + worker + ": " + cause
                    + ": new connections wait in " + whereTheyWait + "; retrying every "
                    + TimeUnit.NANOSECONDS.toMillis(PAUSE_NANOS) + " ms");
        }
        return now + PAUSE_NANOS;
    }

    /** accept4 returned a connection (or found none) at {@code now}: ends a shortage, if there was one. */
    public void recovered(long now) {
        if (failures > 0) {
            // One println is one write(2); printf writes each piece on its own, which other worker
            // processes sharing this stderr could cut into.
            System.err.println(String.format("socklab: worker %s: accepting again after %d failed accepts in %.1f s",
                    worker, failures, (now - startedAt) / 1e9));
            failures = 0;
        }
    }
}
