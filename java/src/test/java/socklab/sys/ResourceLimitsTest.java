package socklab.sys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** prlimit(2) on this process and on a child, checked against /proc/PID/limits. */
class ResourceLimitsTest {
    private Process child;

    @AfterEach
    void stopChild() throws InterruptedException {
        if (child != null) {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child ended");
        }
    }

    @Test
    void readsThisProcessesOpenFileLimitAsProcShowsIt() throws IOException {
        ResourceLimits.Limit limit = ResourceLimits.get(0, ResourceLimits.RLIMIT_NOFILE);
        assertEquals(procLimit(ProcessHandle.current().pid()), limit.soft() + " " + limit.hard());
    }

    @Test
    void lowersAChildsOpenFileLimitAndTheChildSeesIt() throws IOException {
        child = new ProcessBuilder("sleep", "60").start();
        int pid = (int) child.pid();
        ResourceLimits.Limit before = ResourceLimits.get(pid, ResourceLimits.RLIMIT_NOFILE);
        ResourceLimits.Limit old = ResourceLimits.set(pid, ResourceLimits.RLIMIT_NOFILE, new ResourceLimits.Limit(32, before.hard()));
        assertEquals(before, old, "set returns the limit it replaced");
        assertEquals("32 " + before.hard(), procLimit(pid));
        assertEquals(new ResourceLimits.Limit(32, before.hard()), ResourceLimits.get(pid, ResourceLimits.RLIMIT_NOFILE));
    }

    @Test
    void aSoftLimitAboveTheHardOneIsEinvalNamingTheCall() {
        ResourceLimits.Limit mine = ResourceLimits.get(0, ResourceLimits.RLIMIT_NOFILE);
        assumeTrue(mine.hard() != ResourceLimits.UNLIMITED, "no hard open-file limit to exceed here");
        NativeException e = assertThrows(NativeException.class, () -> ResourceLimits.set(0, ResourceLimits.RLIMIT_NOFILE,
                new ResourceLimits.Limit(mine.hard() + 1, mine.hard())));
        assertEquals("prlimit(pid 0): EINVAL (Invalid argument)", e.getMessage());
        assertEquals(mine, ResourceLimits.get(0, ResourceLimits.RLIMIT_NOFILE), "unchanged");
    }

    /** "soft hard" of the Max open files row of /proc/PID/limits. */
    private static String procLimit(long pid) throws IOException {
        String row = Files.readAllLines(Path.of("/proc/" + pid + "/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        String[] f = row.substring("Max open files".length()).trim().split("\\s+");
        return f[0] + " " + f[1];
    }
}
