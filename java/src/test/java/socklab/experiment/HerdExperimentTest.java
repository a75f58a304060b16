package socklab.experiment;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HerdExperimentTest {
    @TempDir
    Path dir;

    /**
     * Three waiters, ten connections, each mode. The experiment itself fails unless every connection
     * was accepted and every waiter slept again. Counts, with margins: each connection wakes at least
     * the waiter that takes it; blocking accept never returns EAGAIN; without EPOLLEXCLUSIVE the kernel
     * wakes every epoll set watching the socket (3 here; asked for 2 or more), with it one (asked for at
     * most 2: "one or more" is the documented promise).
     */
    @Test
    void countsWakeUpsPerConnectionForEachAcceptMode() throws Exception {
        HerdExperiment.Result r = Tiny.run(new HerdExperiment(), dir, "accept", "blocking,epoll,exclusive",
                "waiters", "3", "connections", "10");
        Map<String, HerdExperiment.Mode> byName = r.modes().stream()
                .collect(Collectors.toMap(HerdExperiment.Mode::accept, Function.identity()));
        assertEquals(3, byName.size());
        for (HerdExperiment.Mode m : r.modes()) {
            assertEquals(10, m.connections());
            assertEquals(10, m.wakeupsDistribution().values().stream().mapToInt(Integer::intValue).sum());
            assertTrue(m.wakeupsPerAccept() >= 1.0, m.accept() + ": the winner woke for each: " + m);
        }
        assertEquals(0.0, byName.get("blocking").eagainPerAccept(), "accept4 on a blocking socket waits, never EAGAIN");
        assertTrue(byName.get("epoll").wokenWaitersPerAccept() >= 2.0, "the herd: " + byName.get("epoll"));
        assertTrue(byName.get("exclusive").wokenWaitersPerAccept() <= 2.0, "exclusive: " + byName.get("exclusive"));
    }
}
