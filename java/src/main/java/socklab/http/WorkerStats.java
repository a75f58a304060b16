package socklab.http;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
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
    /**
     * Where a worker's pid, tid and counters live: a Java array for a server alone, or shared memory
     * when the worker runs in one process of a group, so that every process can read every other
     * process's counters (socklab.proc). Eight-byte aligned longs:
     * <pre>
     * struct { int64 pid, tid, accepted, connections, requests, bytes_in, bytes_out, accept_eagain; }
     * </pre>
     */
    public static final StructLayout BLOCK = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("pid"),
            ValueLayout.JAVA_LONG.withName("tid"),
            ValueLayout.JAVA_LONG.withName("accepted"),
            ValueLayout.JAVA_LONG.withName("connections"),
            ValueLayout.JAVA_LONG.withName("requests"),
            ValueLayout.JAVA_LONG.withName("bytes_in"),
            ValueLayout.JAVA_LONG.withName("bytes_out"),
            ValueLayout.JAVA_LONG.withName("accept_eagain")).withName("worker_stats");
    private static final VarHandle PID = counter("pid");
    private static final VarHandle TID = counter("tid");
    private static final VarHandle ACCEPTED = counter("accepted");
    private static final VarHandle CONNECTIONS = counter("connections");
    private static final VarHandle REQUESTS = counter("requests");
    private static final VarHandle BYTES_IN = counter("bytes_in");
    private static final VarHandle BYTES_OUT = counter("bytes_out");
    private static final VarHandle ACCEPT_EAGAIN = counter("accept_eagain");

    private static VarHandle counter(String name) {
        // Coordinates (segment, offset) with the offset bound to 0: a block always starts its segment.
        return MethodHandles.insertCoordinates(BLOCK.varHandle(MemoryLayout.PathElement.groupElement(name)), 1, 0L);
    }

    private final String id;
    private final String role;
    private final MemorySegment workerLine;
    private final MemorySegment block;
    private volatile String thread = "";
    private final CountDownLatch bound = new CountDownLatch(1);

    /** {@code id} as sent in X-Worker ("0", "1", … or "acceptor", "dispatcher"); {@code role} names its job. */
    public WorkerStats(String id, String role) {
        this(id, role, MemorySegment.ofArray(new long[(int) (BLOCK.byteSize() / Long.BYTES)]));
    }

    /**
     * A worker of this process whose pid, tid and counters go to {@code block} ({@link #BLOCK}, e.g.
     * in shared memory): the counters start from zero and the pid is this process's.
     */
    public WorkerStats(String id, String role, MemorySegment block) {
        this(id, role, "", block);
        block.asSlice(0, BLOCK.byteSize()).fill((byte) 0);
        PID.setRelease(block, ProcessHandle.current().pid());
    }

    private WorkerStats(String id, String role, String thread, MemorySegment block) {
        if (!id.chars().allMatch(c -> c > 32 && c < 127)) {
            throw new IllegalArgumentException("worker id must be printable ASCII without spaces: '" + id + "'");
        }
        this.id = id;
        this.role = role;
        this.thread = thread;
        this.block = block;
        this.workerLine = HttpStatus.encode("X-Worker: " + id + "\r\n");
    }

    /**
     * A read-only view of a worker of another process of the group, whose counters it writes to
     * {@code block}: pid, tid and counters are read live from there; {@code thread} names its thread.
     */
    public static WorkerStats view(String id, String role, String thread, MemorySegment block) {
        return new WorkerStats(id, role, thread, block);
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
        TID.setRelease(block, currentTid());
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

    /** The Linux thread id of the worker's thread (0 until it runs). */
    public long tid() {
        return (long) TID.getAcquire(block);
    }

    /** The pid of the process the worker runs in. */
    public long pid() {
        return (long) PID.getAcquire(block);
    }

    // Increments: only ever called by this counter's one writer thread.

    public void countAccepted() {
        ACCEPTED.setRelease(block, (long) ACCEPTED.get(block) + 1);
    }

    /** An accept4 that found the queue empty after a wake-up: another waiter took the connection (the herd). */
    public void countAcceptEagain() {
        ACCEPT_EAGAIN.setRelease(block, (long) ACCEPT_EAGAIN.get(block) + 1);
    }

    public void countConnection() {
        CONNECTIONS.setRelease(block, (long) CONNECTIONS.get(block) + 1);
    }

    void countRequest() {
        REQUESTS.setRelease(block, (long) REQUESTS.get(block) + 1);
    }

    void addBytesIn(long n) {
        BYTES_IN.setRelease(block, (long) BYTES_IN.get(block) + n);
    }

    void addBytesOut(long n) {
        BYTES_OUT.setRelease(block, (long) BYTES_OUT.get(block) + n);
    }

    /** Connections this worker took out of an accept queue itself. */
    public long accepted() {
        return (long) ACCEPTED.getAcquire(block);
    }

    /** accept4 calls of this worker that returned EAGAIN: wake-ups for a connection another worker took. */
    public long acceptEagain() {
        return (long) ACCEPT_EAGAIN.getAcquire(block);
    }

    /** Connections this worker read and wrote (accepted itself, or handed to it). */
    public long connections() {
        return (long) CONNECTIONS.getAcquire(block);
    }

    /** Requests this worker answered (handled, or rejected as malformed). */
    public long requests() {
        return (long) REQUESTS.getAcquire(block);
    }

    public long bytesIn() {
        return (long) BYTES_IN.getAcquire(block);
    }

    public long bytesOut() {
        return (long) BYTES_OUT.getAcquire(block);
    }
}
