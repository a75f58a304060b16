package socklab.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import socklab.report.Charts;
import socklab.report.Finding;

/**
 * The shutdown experiment at a small size, through the CLI's runner: one server variant stopped both
 * ways, the result file read back, the report section and its findings built from it. The drained
 * stop loses nothing (GracefulShutdownTest holds every variant to that); how many connections the
 * reset stop resets depends on what was queued at the close, so only its accounting is checked.
 */
class ShutdownExperimentTest {
    @TempDir
    Path dir;

    @Test
    void stopsTheServerBothWaysAndReportsWhatTheClientsSaw() throws Exception {
        ShutdownExperiment experiment = new ShutdownExperiment();
        ShutdownExperiment.Result r = Tiny.run(experiment, dir, "servers", "single", "connections", "2", "responses-before-stop", "100");
        List<ShutdownExperiment.Trial> trials = r.trials();
        assertEquals(List.of("drain", "reset"), trials.stream().map(ShutdownExperiment.Trial::queueAtStop).toList());
        for (ShutdownExperiment.Trial t : trials) {
            assertEquals(0, t.exitStatus(), t.toString());
            assertTrue(t.stoppedDuringLoad(), t.toString());
            for (ShutdownExperiment.LoadCounts c : List.of(t.keepAlive(), t.perRequest())) {
                assertTrue(c.responses() >= 100 && c.connectRefused() > 0, t.toString());
                assertTrue(c.reset() <= c.lost() && c.lost() <= c.requests() - c.responses(), "resets are lost requests: " + t);
            }
        }
        assertEquals(0, trials.getFirst().lost(), trials.getFirst().toString());

        List<Finding> findings = experiment.report(r, null, new Charts("charts")).findings();
        assertEquals(List.of("Stop with the accept queue drained", "Stop with the listener closed at once"),
                findings.stream().map(Finding::topic).toList());
        assertEquals(Finding.Verdict.REPRODUCED, findings.getFirst().verdict(), findings.getFirst().measured());
    }
}
