package socklab.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import com.sun.management.OperatingSystemMXBean;

import socklab.kernel.ProcFs;

/**
 * How much of the machine other processes used while an experiment ran: the CPU time the kernel
 * counts as user, nice and system on all CPUs (/proc/stat), less this JVM's own CPU time and that of
 * the children it started and reaped (a serve JVM, its worker JVMs, nginx: /proc/self/stat's cutime
 * and cstime, which hold a descendant's time once it and every process between it and this JVM have
 * been reaped by their parents), over all CPUs' elapsed time. A child still running when the share is
 * read, or a worker whose parent was killed (init reaps it), still counts as another process: the
 * experiments stop their children before they end. Interrupt and softirq time are left out on both
 * sides: the kernel accounts loopback packet processing there whoever caused it. A share well above zero means the numbers
 * were measured on a busy machine.
 */
final class MachineShare {
    private final long[] start = cpuTicks();
    private final long ownStartNanos = ownCpuNanos();
    private final long childrenStartTicks = reapedChildrenTicks();

    /** Clock ticks per second of /proc/stat (USER_HZ): 100 on every Linux architecture socklab runs on. */
    private static final double USER_HZ = 100;

    /** The share of all CPUs' time that other processes used since this object was made, 0 to 1. */
    double othersSinceStart() {
        long[] now = cpuTicks();
        double busy = (now[0] - start[0]) / USER_HZ;
        double total = (now[1] - start[1]) / USER_HZ;
        double own = (ownCpuNanos() - ownStartNanos) / 1e9 + (reapedChildrenTicks() - childrenStartTicks) / USER_HZ;
        return total <= 0 ? 0 : Math.round(Math.clamp((busy - own) / total, 0, 1) * 1000) / 1000.0;
    }

    /** {user + nice + system, all fields} of the aggregate cpu line, in ticks. */
    private static long[] cpuTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]);
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
                total += Long.parseLong(f[i]);
            }
            return new long[] {busy, total};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/stat: " + e.getMessage(), e);
        }
    }

    /** cutime + cstime of this process (fields 16 and 17 of /proc/self/stat), in ticks. */
    private static long reapedChildrenTicks() {
        String[] f = ProcFs.DEFAULT.stat("self");
        return Long.parseLong(f[16]) + Long.parseLong(f[17]);
    }

    private static long ownCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
