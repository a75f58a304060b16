package socklab.experiment;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import socklab.sys.Binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThroughputExperimentTest {
    @TempDir
    Path dir;

    /** Two models on every binding with the skewed mix: one cell each, every request answered, percentiles in order. */
    @Test
    void oneCellPerModelBindingAndMix() throws Exception {
        ThroughputExperiment.Result r = Tiny.run(new ThroughputExperiment(), dir, "variants", "single,dispatcher-workers",
                "bindings", "all", "mixes", "skewed", "workers", "2", "connections", "4", "warmup", "100ms", "duration", "300ms");
        assertEquals(2 * Binding.NAMES.size(), r.cells().size());
        for (ThroughputExperiment.Cell c : r.cells()) {
            assertEquals("skewed", c.mix());
            assertEquals(0, c.errors(), c.toString());
            assertTrue(c.responses() > 0 && c.requestsPerSecond() > 0, c.toString());
            assertTrue(c.latency().p50() <= c.latency().p99() && c.latency().p99() <= c.latency().max(), c.toString());
        }
        assertTrue(r.cells().stream().anyMatch(c -> c.variant().equals("dispatcher-workers")
                && c.responsesPerWorker().keySet().containsAll(java.util.List.of("0", "1"))), "both handler threads served");
    }
}
