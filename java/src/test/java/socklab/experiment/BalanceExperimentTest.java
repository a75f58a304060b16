package socklab.experiment;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BalanceExperimentTest {
    @TempDir
    Path dir;

    /**
     * Blocking accept, 3 workers, one connection at a time: every connection is counted for exactly one
     * of the three workers, and every worker takes some (the kernel wakes the accepters in FIFO order).
     * How even the split is depends on the machine: an accepter that is late back into accept4 because
     * other work holds the CPU loses its turn to one that is running. That is a measurement, for the
     * benchmark; SharedAcceptOrderTest checks the exact FIFO order with every accepter known to wait.
     */
    @Test
    void blockingAcceptSpreadsEveryConnectionOverAllWorkers() throws Exception {
        BalanceExperiment.Result r = Tiny.run(new BalanceExperiment(), dir, "variants", "shared-accept/blocking",
                "workers", "3", "concurrency", "1", "duration", "400ms");
        assertEquals(3, r.workers());
        assertEquals(1, r.cells().size());
        BalanceExperiment.Cell cell = r.cells().getFirst();
        assertEquals(0, cell.connectionErrors());
        Shares s = cell.shares();
        assertEquals(List.of("0", "1", "2"), List.copyOf(s.perWorker().keySet()), "every worker listed, in /stats order");
        assertEquals(s.total(), s.perWorker().values().stream().mapToLong(Long::longValue).sum());
        assertTrue(s.total() >= 30, "a 400 ms window serves dozens of connections at least: " + s.total());
        assertTrue(s.perWorker().values().stream().allMatch(n -> n > 0), "every worker took connections: " + s.perWorker());
        assertTrue(s.maxMinRatio() != null && s.jain() > 1.0 / 3, "so max/min is defined and Jain above 1/n: " + s);
    }

    @Test
    void sharesMeasuresFollowTheirDefinitions() {
        Shares even = Shares.of(List.of("a", "b"), java.util.Map.of("a", 5L, "b", 5L));
        assertEquals(1.0, even.jain());
        assertEquals(0.0, even.cv());
        assertEquals(1.0, even.maxMinRatio());
        Shares one = Shares.of(List.of("a", "b", "c", "d"), java.util.Map.of("c", 8L));
        assertEquals(0.25, one.jain(), "1/n when one worker takes everything");
        assertEquals(1.0, one.largestShare());
        assertEquals(null, one.maxMinRatio(), "undefined when a worker got none");
        assertEquals(8, one.total());
        assertEquals(Math.sqrt(3), one.cv(), 1e-3);
    }
}
