package socklab.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_LONG;

/**
 * membarrier(2), for the one thing socklab needs from it: {@link #awaitGracePeriod}, a wait until
 * every CPU has left the read-side critical sections it was in, which is how a process learns that
 * the kernel's packet processing has stopped using what it replaced (a socket filter: see
 * {@link SocketOptions#attachSynDropFilter}). glibc has no wrapper, so it goes through syscall(2).
 */
public final class Membarrier {
    private Membarrier() {}

    /** linux/membarrier.h: "all threads of all processes have passed through a memory barrier". */
    public static final int MEMBARRIER_CMD_GLOBAL = 1;
    /** The system call's number, which differs by architecture (asm/unistd.h). */
    public static final int SYS_membarrier = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 324;
        case "aarch64" -> 283;
        default -> -1;
    };

    // long syscall(long number, ...): the three arguments are membarrier's int cmd, unsigned flags, int cpu_id.
    private static final MethodHandle SYSCALL = Libc.withErrno("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_INT, C_INT, C_INT), Linker.Option.firstVariadicArg(1));

    /**
     * membarrier(MEMBARRIER_CMD_GLOBAL, 0, 0): returns after an RCU grace period (the kernel calls
     * synchronize_rcu()). Network receive processing runs in softirq context under rcu_read_lock, so
     * once this returns, every segment that the kernel was processing before the call has been
     * processed to the end. Takes milliseconds; Linux >= 4.3, and fails (EINVAL) on kernels booted
     * with nohz_full, where the command does not exist.
     */
    public static void awaitGracePeriod() {
        if (SYS_membarrier < 0) {
            throw new UnsupportedOperationException("membarrier: no system call number known for " + System.getProperty("os.arch")
                    + ": socklab runs on x86-64 and aarch64");
        }
        MemorySegment state = Libc.callState();
        try {
            long r = (long) SYSCALL.invokeExact(state, (long) SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
            Errors.check("membarrier(MEMBARRIER_CMD_GLOBAL)", r >= 0 ? (int) r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }
}
