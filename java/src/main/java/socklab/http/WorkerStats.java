package socklab.http;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One worker's identity (the id clients see in {@code X-Worker}) and its counters for {@code /stats}.
 *
 * <p>Each counter has exactly one writer thread (a loop thread, an acceptor, a handler thread), so an
 * increment is a plain read of the writer's own value and a release store: no lock, no atomic
 * read-modify-write, no contention on the hot path. Readers (the {@code /stats} handler on any thread)
 * load with acquire. Which thread writes which counter is fixed by the model; see {@code socklab.server}.
 */
public final class WorkerStats {
    private static final VarHandle ACCEPTED;
    private static final VarHandle CONNECTIONS;
    private static final VarHandle REQUESTS;
    private static final VarHandle BYTES_IN;
    private static final VarHandle BYTES_OUT;
    private static final VarHandle ACCEPT_EAGAIN;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ACCEPTED = lookup.findVarHandle(WorkerStats.class, "accepted", long.class);
            CONNECTIONS = lookup.findVarHandle(WorkerStats.class, "connections", long.class);
            REQUESTS = lookup.findVarHandle(WorkerStats.class, "requests", long.class);
            BYTES_IN = lookup.findVarHandle(WorkerStats.class, "bytesIn", long.class);
            BYTES_OUT = lookup.findVarHandle(WorkerStats.class, "bytesOut", long.class);
            ACCEPT_EAGAIN = lookup.findVarHandle(WorkerStats.class, "acceptEagain", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String id;
    private final String role;
    private final MemorySegment workerLine;
    private volatile String thread = "";
    private volatile long tid;
    private final CountDownLatch bound = new CountDownLatch(1);
    @SuppressWarnings("unused") // through the VarHandles
    private long accepted;
    @SuppressWarnings("unused")
    private long connections;
    @SuppressWarnings("unused")
    private long requests;
    @SuppressWarnings("unused")
    private long bytesIn;
    @SuppressWarnings("unused")
    private long bytesOut;
    @SuppressWarnings("unused")
    private long acceptEagain;

    /** {@code id} as sent in X-Worker ("0", "1", … or "acceptor", "dispatcher"); {@code role} names its job. */
    public WorkerStats(String id, String role) {
        if (!id.chars().allMatch(c -> c > 32 && c < 127)) {
            throw new IllegalArgumentException("worker id must be printable ASCII without spaces: '" + id + "'");
        }
        this.id = id;
        this.role = role;
        this.workerLine = HttpStatus.encode("X-Worker: " + id + "\r\n");
    }

    public String id() {
        return id;
    }

    public String role() {
        return role;
    }

    MemorySegment workerLine() {
        return workerLine;
    }

    /** Records the calling thread as this worker's (name and Linux thread id); call first thing in its run(). */
    public void bindToCurrentThread() {
        thread = Thread.currentThread().getName();
        tid = currentTid();
        bound.countDown();
    }

    /** Waits until a thread has called {@link #bindToCurrentThread}; false if none did within {@code millis}. */
    public boolean awaitBound(long millis) throws InterruptedException {
        return bound.await(millis, TimeUnit.MILLISECONDS);
    }

    /** The Linux thread id of the calling thread, from /proc/thread-self, as ps -L and perf show it. */
    public static long currentTid() {
        try {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read /proc/thread-self: is /proc mounted?", e);
        }
    }

    public String thread() {
        return thread;
    }

    public long tid() {
        return tid;
    }

    // Increments: only ever called by this counter's one writer thread.

    public void countAccepted() {
        ACCEPTED.setRelease(this, (long) ACCEPTED.get(this) + 1);
    }

    /** An accept4 that found the queue empty after a wake-up: another waiter took the connection (the herd). */
    public void countAcceptEagain() {
        ACCEPT_EAGAIN.setRelease(this, (long) ACCEPT_EAGAIN.get(this) + 1);
    }

    public void countConnection() {
        CONNECTIONS.setRelease(this, (long) CONNECTIONS.get(this) + 1);
    }

    void countRequest() {
        REQUESTS.setRelease(this, (long) REQUESTS.get(this) + 1);
    }

    void addBytesIn(long n) {
        BYTES_IN.setRelease(this, (long) BYTES_IN.get(this) + n);
    }

    void addBytesOut(long n) {
        BYTES_OUT.setRelease(this, (long) BYTES_OUT.get(this) + n);
    }

    /** Connections this worker took out of an accept queue itself. */
    public long accepted() {
        return (long) ACCEPTED.getAcquire(this);
    }

    /** accept4 calls of this worker that returned EAGAIN: wake-ups for a connection another worker took. */
    public long acceptEagain() {
        return (long) ACCEPT_EAGAIN.getAcquire(this);
    }

    /** Connections this worker read and wrote (accepted itself, or handed to it). */
    public long connections() {
        return (long) CONNECTIONS.getAcquire(this);
    }

    /** Requests this worker answered (handled, or rejected as malformed). */
    public long requests() {
        return (long) REQUESTS.getAcquire(this);
    }

    public long bytesIn() {
        return (long) BYTES_IN.getAcquire(this);
    }

    public long bytesOut() {
        return (long) BYTES_OUT.getAcquire(this);
    }
}
