package socklab.proc;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import socklab.http.WorkerStats;
import socklab.server.GroupMember;

/**
 * A worker process's place in its group: the descriptors its parent passed, its slot of the
 * {@link StatsTable}, and the view of the other slots that /stats reports. Every process of a group
 * runs the same model with the same number of workers, so worker {@code i} of any process has the id,
 * role and thread name of this process's worker {@code i}, with that process's pid in front.
 */
final class TableMember implements GroupMember {
    private final int listener;
    private final int channel;
    private final int slot;
    private final StatsTable table;
    private final String prefix;

    TableMember(int listener, int channel, int slot, StatsTable table, long pid) {
        this.listener = listener;
        this.channel = channel;
        this.slot = slot;
        this.table = table;
        this.prefix = idPrefix(pid);
    }

    /** {@code 4711.}: the start of the X-Worker id of every worker of process 4711. */
    static String idPrefix(long pid) {
        return pid + ".";
    }

    @Override
    public int listener() {
        return listener;
    }

    @Override
    public int channel() {
        return channel;
    }

    @Override
    public String workerIdPrefix() {
        return prefix;
    }

    @Override
    public MemorySegment counters(int index) {
        return table.block(slot, index);
    }

    @Override
    public int processes() {
        return table.processes();
    }

    /** By slot: this process's own workers, and for each other slot that serves, views of its blocks. */
    @Override
    public List<WorkerStats> groupWorkers(List<WorkerStats> own) {
        List<WorkerStats> all = new ArrayList<>();
        for (int s = 0; s < table.processes(); s++) {
            if (s == slot) {
                all.addAll(own);
                continue;
            }
            long pid = table.pid(s);
            if (pid == 0) {
                continue; // starting, or gone and not yet replaced
            }
            int n = Math.min(table.workers(s), own.size());
            for (int i = 0; i < n; i++) {
                WorkerStats mine = own.get(i);
                String id = idPrefix(pid) + mine.id().substring(prefix.length());
                all.add(WorkerStats.view(id, mine.role(), mine.thread(), table.block(s, i)));
            }
        }
        return all;
    }
}
