package socklab.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import socklab.kernel.ProcFs;

/**
 * What /proc says about one thread of this process: its scheduler state, the system call it is in,
 * and how many times it has gone to sleep by itself (voluntary context switches: each is one wait
 * that ended in a wake-up once the thread runs again).
 *
 * @param state      the state letter of /proc/self/task/TID/stat: R running, S sleeping, D disk, …
 * @param syscall    the system call number it is blocked in, or -1 when running (/proc/…/syscall)
 * @param voluntary  voluntary_ctxt_switches of /proc/…/status
 */
public record ThreadState(long tid, char state, int syscall, long voluntary) {

    /** The calls a thread waits for connections in: accept, accept4, epoll_wait, epoll_pwait, epoll_pwait2. */
    private static final Set<Integer> WAITS = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> Set.of(43, 288, 232, 281, 441);
        case "aarch64" -> Set.of(202, 242, 22, 441);
        default -> Set.of();
    };

    public static ThreadState of(long tid) {
        Path task = Path.of("/proc/self/task/" + tid);
        try {
            char state = ProcFs.DEFAULT.stat("self/task/" + tid)[3].charAt(0);
            String call = Files.readString(task.resolve("syscall")).trim();
            int syscall = call.equals("running") ? -1 : Integer.parseInt(call.split(" ", 2)[0]);
            long voluntary = Files.readString(task.resolve("status")).lines()
                    .filter(l -> l.startsWith("voluntary_ctxt_switches:")).findFirst()
                    .map(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim()))
                    .orElseThrow(() -> new IllegalStateException("no voluntary_ctxt_switches in " + task.resolve("status")));
            return new ThreadState(tid, state, syscall, voluntary);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc for thread " + tid + " (did it end?): " + e.getMessage(), e);
        }
    }

    /** True when the thread sleeps inside accept or epoll_wait: it waits for a connection. */
    public boolean waitingForConnections() {
        if (WAITS.isEmpty()) {
            throw new IllegalStateException("the system call numbers of accept and epoll_wait are not known for "
                    + System.getProperty("os.arch") + ": the herd experiment runs on x86-64 and aarch64");
        }
        return state == 'S' && WAITS.contains(syscall);
    }
}
