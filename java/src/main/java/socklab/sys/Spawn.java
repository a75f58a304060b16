package socklab.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.SpawnFileAction;

/**
 * posix_spawnp(3) through jnr-posix, with file actions that give the child exactly the descriptors
 * meant for it: stdin from /dev/null, stdout and stderr shared with this process, and the descriptors
 * to pass at 3, 4, … in order (systemd's {@code SD_LISTEN_FDS_START}). Nothing else reaches the child.
 *
 * <p>That needs explicit close actions: the JVM opens its own descriptors (jar files, /dev/random, the
 * jimage) without O_CLOEXEC, and ProcessBuilder hides this only because its helper closes everything.
 * The plan, built from /proc/self/fd just before the call:
 * <ol>
 * <li>dup2 each passed descriptor to a free number above every open one (so that no source is
 *     overwritten by another one's target), then dup2 that to its target 3+i. dup2 clears FD_CLOEXEC
 *     on the copy, so the sources may be (and in socklab are) close-on-exec.</li>
 * <li>close every number from 3+n up to the highest in use plus {@value #MARGIN}. A descriptor another
 *     thread opens between the listing and the spawn takes the lowest free number (POSIX), which is in
 *     that range; glibc ignores EBADF on a close action for a number that is not open.</li>
 * </ol>
 * glibc (2.34+) has posix_spawn_file_actions_addclosefrom_np, which would do step 2 in one action, but
 * jnr-posix does not expose it.
 */
public final class Spawn {
    private Spawn() {}

    /** The first passed descriptor's number in the child: systemd's SD_LISTEN_FDS_START. */
    public static final int FIRST_PASSED_FD = 3;
    /** Descriptors other threads may open while a spawn is being prepared, closed in the child too. */
    static final int MARGIN = 64;

    private static final class Holder {
        // Loaded on first use: jnr-posix extracts and loads its native stub, tens of milliseconds.
        static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    }

    /**
     * Starts {@code argv[0]} (looked up in PATH when it has no slash) with {@code argv} and exactly the
     * environment {@code env}, passing {@code passFds} at 3, 4, …; returns the child's pid.
     */
    public static int spawn(List<String> argv, Map<String, String> env, int... passFds) {
        POSIX posix = Holder.POSIX;
        List<SpawnFileAction> actions = fileActions(openDescriptors(), passFds);
        List<String> environment = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        long pid = posix.posix_spawnp(argv.getFirst(), actions, argv, environment);
        if (pid <= 0) {
            // jnr-posix drops posix_spawnp's error number; errno is the best it leaves.
            int errno = posix.errno();
            throw Errors.of("posix_spawnp(" + argv.getFirst() + ")", errno > 0 ? errno : Errno.ENOENT);
        }
        return (int) pid;
    }

    /** The file actions described in the class comment, for a process whose open descriptors are {@code open}. */
    static List<SpawnFileAction> fileActions(List<Integer> open, int... passFds) {
        int highest = Math.max(FIRST_PASSED_FD + passFds.length - 1, open.stream().mapToInt(Integer::intValue).max().orElse(2));
        List<SpawnFileAction> actions = new ArrayList<>();
        actions.add(SpawnFileAction.open("/dev/null", 0, Fd.O_RDONLY, 0));
        for (int i = 0; i < passFds.length; i++) {
            actions.add(SpawnFileAction.dup(passFds[i], highest + 1 + i));
        }
        for (int i = 0; i < passFds.length; i++) {
            actions.add(SpawnFileAction.dup(highest + 1 + i, FIRST_PASSED_FD + i));
        }
        for (int fd = FIRST_PASSED_FD + passFds.length; fd <= highest + passFds.length + MARGIN; fd++) {
            actions.add(SpawnFileAction.close(fd));
        }
        return actions;
    }

    /** The descriptor numbers /proc/self/fd lists now (including the listing's own, closed since). */
    private static List<Integer> openDescriptors() {
        try (var entries = Files.list(Path.of("/proc/self/fd"))) {
            return entries.map(p -> Integer.parseInt(p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc/self/fd: is /proc mounted?", e);
        }
    }
}
