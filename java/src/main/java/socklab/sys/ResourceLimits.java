package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_POINTER;

/**
 * Resource limits of this or another process through prlimit(2): how socklab puts a server at its
 * open-file limit (RLIMIT_NOFILE) to see what it does under EMFILE, without touching its own limit.
 *
 * <p>prlimit(2) on another pid needs the same real and effective uid as the target (or
 * CAP_SYS_RESOURCE); lowering a limit below the number of descriptors already open is allowed: those
 * stay open, and the next call that needs a descriptor numbered at or above the soft limit fails
 * with EMFILE (the kernel gives the lowest free number, so the limit bounds the numbers, not a count).
 * Raising the soft limit above the hard one is EINVAL. Set-up calls only: they allocate.
 */
public final class ResourceLimits {
    private ResourceLimits() {}

    /** The open-file limit: one more than the highest descriptor number a process may be given. */
    public static final int RLIMIT_NOFILE = 7;
    /** rlim_t's "no limit" (RLIM_INFINITY, all bits set); as a Java long it reads -1. */
    public static final long UNLIMITED = -1L;

    /**
     * <pre>
     * struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; };   // rlim_t: unsigned long
     * </pre>
     */
    public static final StructLayout RLIMIT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("rlim_cur"),
            ValueLayout.JAVA_LONG.withName("rlim_max")).withName("rlimit");
    private static final VarHandle CUR = RLIMIT.varHandle(groupElement("rlim_cur"));
    private static final VarHandle MAX = RLIMIT.varHandle(groupElement("rlim_max"));

    // int prlimit(pid_t pid, int resource, const struct rlimit *new_limit, struct rlimit *old_limit);
    private static final MethodHandle PRLIMIT =
            Libc.withErrno("prlimit", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER, C_POINTER));

    /** A soft and a hard limit; {@link #UNLIMITED} for none. */
    public record Limit(long soft, long hard) {}

    /** The limit {@code resource} of process {@code pid} (0: this process). */
    public static Limit get(int pid, int resource) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(RLIMIT);
            prlimit(pid, resource, MemorySegment.NULL, old);
            return read(old);
        }
    }

    /** Sets the limit {@code resource} of process {@code pid} (0: this process); returns the one it replaced. */
    public static Limit set(int pid, int resource, Limit limit) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment next = arena.allocate(RLIMIT);
            CUR.set(next, 0L, limit.soft());
            MAX.set(next, 0L, limit.hard());
            MemorySegment old = arena.allocate(RLIMIT);
            prlimit(pid, resource, next, old);
            return read(old);
        }
    }

    private static void prlimit(int pid, int resource, MemorySegment next, MemorySegment old) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) PRLIMIT.invokeExact(state, pid, resource, next, old);
            Errors.check("prlimit", "pid " + pid, r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    private static Limit read(MemorySegment rlimit) {
        return new Limit((long) CUR.get(rlimit, 0L), (long) MAX.get(rlimit, 0L));
    }
}
