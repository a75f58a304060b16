package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_LONG;
import static socklab.sys.Libc.C_POINTER;

/**
 * Processes through FFM: getppid(2), prctl(2) PR_SET_PDEATHSIG, kill(2), pidfd_open(2) and
 * waitpid(2). Set-up and supervision calls, none on a hot path.
 *
 * <p>A supervisor watches its children with pidfds (Linux 5.3+): a pidfd becomes readable in epoll
 * when its process exits, so one event loop can wait for exits, sockets and timers together; the
 * exit status is then collected with waitpid(WNOHANG).
 */
public final class Processes {
    private Processes() {}

    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int WNOHANG = 1;
    public static final int PR_SET_PDEATHSIG = 1;

    private static final MethodHandle GETPPID = Libc.plain("getppid", FunctionDescriptor.of(C_INT));
    // prctl is variadic: int prctl(int option, ...); PR_SET_PDEATHSIG takes one unsigned long.
    private static final MethodHandle PRCTL = Libc.withErrno("prctl",
            FunctionDescriptor.of(C_INT, C_INT, C_LONG), java.lang.foreign.Linker.Option.firstVariadicArg(1));
    private static final MethodHandle KILL = Libc.withErrno("kill", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle PIDFD_OPEN = Libc.withErrno("pidfd_open", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle WAITPID = Libc.withErrno("waitpid", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    // glibc >= 2.32; "KILL" for 9, NULL for a number that names no signal.
    private static final MethodHandle SIGABBREV_NP = Libc.plain("sigabbrev_np", FunctionDescriptor.of(C_POINTER, C_INT));

    /** getppid(2): the parent's pid; 1 (or a subreaper's) once the parent has died. */
    public static int parentPid() {
        try {
            return (int) GETPPID.invokeExact();
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * prctl(PR_SET_PDEATHSIG, signal): the kernel sends {@code signal} to this process when the
     * <em>thread</em> that started it exits (prctl(2)), so a parent must start its children from a
     * thread that lives as long as they should. The setting is cleared by fork, kept across execve.
     */
    public static void setParentDeathSignal(int signal) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) PRCTL.invokeExact(state, PR_SET_PDEATHSIG, (long) signal);
            Errors.check("prctl(PR_SET_PDEATHSIG)", r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** kill(2): true when sent, false when the process is gone (ESRCH); any other failure throws. */
    public static boolean signal(int pid, int signal) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) KILL.invokeExact(state, pid, signal);
            if (r == 0) {
                return true;
            }
            int errno = Libc.errno(state);
            if (errno == Errno.ESRCH) {
                return false;
            }
            throw Errors.of("kill(" + pid + ", " + signalName(signal) + ")", errno);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** pidfd_open(2): a descriptor (close-on-exec) that epoll reports readable once {@code pid} has exited. */
    public static int pidfd(int pid) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) PIDFD_OPEN.invokeExact(state, pid, 0);
            return Errors.check("pidfd_open", pid, r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * waitpid(pid, WNOHANG): the wait status once the child has exited (and is reaped by this call),
     * or -1 while it still runs. A pid that is not a child of this process throws (ECHILD).
     */
    public static int reap(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment state = Libc.callState();
            while (true) {
                int r = (int) WAITPID.invokeExact(state, pid, status, WNOHANG);
                if (r == pid) {
                    return status.get(ValueLayout.JAVA_INT, 0);
                }
                if (r == 0) {
                    return -1;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    throw Errors.of("waitpid(" + pid + ")", errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** A wait status in words, decoded as sys/wait.h's macros do: {@code exit status 1}, {@code killed by SIGKILL}. */
    public static String describeStatus(int status) {
        int signal = status & 0x7f;
        if (signal == 0) {
            return "exit status " + ((status >> 8) & 0xff);
        }
        return "killed by " + signalName(signal) + ((status & 0x80) != 0 ? " (core dumped)" : "");
    }

    /** Whether the status says the process called exit(0). */
    public static boolean exitedCleanly(int status) {
        return status == 0;
    }

    /** {@code SIGKILL} for 9, as kill -l spells the names. */
    public static String signalName(int signal) {
        try {
            MemorySegment p = (MemorySegment) SIGABBREV_NP.invokeExact(signal);
            return p.equals(MemorySegment.NULL) ? "signal " + signal : "SIG" + p.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }
}
