package socklab.proc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import socklab.kernel.ProcFs;

/**
 * What a worker process's threads are doing, read from /proc: whether the event loop of a worker
 * process of one worker thread (its thread {@code worker-0}) sleeps in epoll_wait or elsewhere (a
 * handler), and whether the process has begun to stop. For tests that must bring about, or wait for, a
 * state of a process they cannot reach into. Public for the contract suite in socklab.server.
 */
public final class LoopThreads {
    private LoopThreads() {}

    /** The epoll waits' system call numbers, as /proc/&lt;tid&gt;/syscall shows them. */
    private static final Set<Integer> EPOLL_WAITS = switch (System.getProperty("os.arch")) {
        case "amd64" -> Set.of(232, 281, 441);
        case "aarch64" -> Set.of(22, 441);
        default -> throw new IllegalStateException("epoll_wait's syscall numbers are not known for " + System.getProperty("os.arch"));
    };

    /**
     * Whether the worker thread of process {@code pid} is asleep in a handler (not in epoll_wait). /proc
     * cannot tell the handler's sleep from a brief stop elsewhere (a GC safepoint, a lock): a test
     * relying on this must hold when it is wrong, or try again.
     */
    public static boolean handling(int pid) {
        return Boolean.FALSE.equals(asleepInEpoll(pid));
    }

    /**
     * Whether the worker thread of process {@code pid} sleeps in epoll_wait: it has finished (and
     * counted) whatever it did since it last waited.
     */
    public static boolean waitingInEpoll(int pid) {
        return Boolean.TRUE.equals(asleepInEpoll(pid));
    }

    /**
     * Whether process {@code pid} has begun its stop: it runs the thread that WorkerMain starts on
     * SIGTERM to close its server ({@code socklab-stop}).
     */
    public static boolean stopping(int pid) {
        return task(pid, "socklab-stop") != null;
    }

    /**
     * Whether the thread named worker-0 of process {@code pid}, asleep (state S), sleeps in epoll_wait
     * (true) or in another system call (false); null when it runs or is not seen.
     */
    private static Boolean asleepInEpoll(int pid) {
        Path task = task(pid, "worker-0");
        try {
            if (task == null || !ProcFs.DEFAULT.stat(pid + "/task/" + task.getFileName())[3].equals("S")) {
                return null;
            }
            String syscall = Files.readString(task.resolve("syscall")).trim();
            return syscall.equals("running") ? null : EPOLL_WAITS.contains(Integer.parseInt(syscall.split(" ")[0]));
        } catch (IOException | UncheckedIOException e) {
            return null; // the thread went away while we looked (ProcFs wraps it unchecked)
        }
    }

    /** /proc/&lt;pid&gt;/task/&lt;tid&gt; of the thread named {@code name}; null if there is none. */
    private static Path task(int pid, String name) {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                if (comm(task).equals(name)) {
                    return task;
                }
            }
            return null;
        } catch (IOException | UncheckedIOException e) {
            return null; // a thread or the process went away while we looked
        }
    }

    private static String comm(Path task) throws IOException {
        return Files.readString(task.resolve("comm")).trim();
    }
}
