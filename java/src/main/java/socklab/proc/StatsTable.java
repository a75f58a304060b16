package socklab.proc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import socklab.http.WorkerStats;
import socklab.sys.Fd;

/**
 * The group's counters in shared memory: a memfd that the parent creates and passes to every worker
 * process, which maps it too. Each process has a slot; each of its workers writes its counters to one
 * {@link WorkerStats#BLOCK} of the slot, so /stats on any process reads every process's counters live
 * (nginx keeps its stub_status counters in shared memory the same way).
 *
 * <pre>
 * slot i: struct { int64 pid; int64 workers; } then blocks_per_process WorkerStats blocks
 * </pre>
 * A worker process fills {@code workers} then {@code pid} (release) once its server runs: a slot with
 * pid 0 is a process not (or no longer) serving. The parent clears a slot before it starts a process in it.
 */
final class StatsTable implements AutoCloseable {
    private static final StructLayout SLOT_HEADER = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("pid"),
            ValueLayout.JAVA_LONG.withName("workers")).withName("slot_header");
    private static final VarHandle PID = field("pid");
    private static final VarHandle WORKERS = field("workers");

    private static VarHandle field(String name) {
        return SLOT_HEADER.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    private final int fd;
    private final int processes;
    private final int blocksPerProcess;
    private final long slotBytes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment table;

    private StatsTable(int fd, int processes, int blocksPerProcess) {
        this.fd = fd;
        this.processes = processes;
        this.blocksPerProcess = blocksPerProcess;
        this.slotBytes = SLOT_HEADER.byteSize() + blocksPerProcess * WorkerStats.BLOCK.byteSize();
        // Through /proc/self/fd: the JDK maps files it opened itself; reopening the memfd there gives it one.
        try (FileChannel file = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            this.table = file.map(FileChannel.MapMode.READ_WRITE, 0, processes * slotBytes, arena); // grows the file to size
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map the group's counters (memfd " + fd + ")", e);
        }
    }

    /** The parent's: a new, zeroed table in a new memfd. */
    static StatsTable create(int processes, int blocksPerProcess) {
        int fd = Fd.memfd("socklab-stats");
        try {
            return new StatsTable(fd, processes, blocksPerProcess);
        } catch (RuntimeException e) {
            Fd.closeQuietly(fd);
            throw e;
        }
    }

    /** A worker process's: the table in the memfd its parent passed as {@code fd}. */
    static StatsTable open(int fd, int processes, int blocksPerProcess) {
        return new StatsTable(fd, processes, blocksPerProcess);
    }

    int fd() {
        return fd;
    }

    int processes() {
        return processes;
    }

    /** Worker {@code index}'s counter block in {@code slot}. */
    MemorySegment block(int slot, int index) {
        if (index >= blocksPerProcess) {
            throw new IllegalArgumentException("worker " + index + " has no counter block: a process has " + blocksPerProcess);
        }
        return table.asSlice(slot * slotBytes + SLOT_HEADER.byteSize() + index * WorkerStats.BLOCK.byteSize(), WorkerStats.BLOCK.byteSize());
    }

    /** The parent, before starting a process in {@code slot}: no pid, no counters. */
    void clear(int slot) {
        table.asSlice(slot * slotBytes, slotBytes).fill((byte) 0);
    }

    /** A worker process, once it serves: it has {@code workers} counter blocks in use. */
    void ready(int slot, int workers, long pid) {
        WORKERS.setRelease(table, slot * slotBytes, (long) workers);
        PID.setRelease(table, slot * slotBytes, pid);
    }

    /** The pid serving in {@code slot}, or 0. */
    long pid(int slot) {
        return (long) PID.getAcquire(table, slot * slotBytes);
    }

    /** Counter blocks in use in {@code slot}; read after {@link #pid} returned non-zero. */
    int workers(int slot) {
        return (int) (long) WORKERS.getAcquire(table, slot * slotBytes);
    }

    /** Unmaps the table and closes the memfd. */
    @Override
    public void close() {
        arena.close();
        Fd.close(fd);
    }
}
