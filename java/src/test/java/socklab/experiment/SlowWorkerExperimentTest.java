package socklab.experiment;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlowWorkerExperimentTest {
    @TempDir
    Path dir;

    /**
     * Two reuseport workers at 200 connections/s, one blocked for 300 ms: the blocked worker's own socket
     * holds connections while it sleeps (the kernel keeps hashing about half the new connections to it;
     * any sample during the 300 ms sees them), the series has one socket per worker, and every request
     * ended in a response. The shared-accept run has one socket.
     */
    @Test
    void blockedWorkersOwnSocketQueuesUp() throws Exception {
        SlowWorkerExperiment.Result r = Tiny.run(new SlowWorkerExperiment(), dir, "variants", "reuseport/hash,shared-accept/exclusive",
                "workers", "2", "rate", "200", "stall", "300ms", "stall-after", "200ms", "duration", "800ms", "sample", "10ms");
        assertEquals(2, r.runs().size());
        SlowWorkerExperiment.Run reuseport = r.runs().getFirst();
        assertEquals(List.of("socket of worker 0", "socket of worker 1"),
                reuseport.sockets().stream().map(SlowWorkerExperiment.SocketSeries::label).toList());
        assertTrue(List.of("0", "1").contains(reuseport.stalledWorker()), reuseport.stalledWorker());
        SlowWorkerExperiment.SocketSeries blocked = reuseport.sockets().get(Integer.parseInt(reuseport.stalledWorker()));
        assertTrue(blocked.maxAcceptQueue() >= 1, "the blocked worker's socket queued connections: " + blocked.maxAcceptQueue());
        assertTrue(reuseport.stallToMs() - reuseport.stallFromMs() >= 300, "/sleep held its worker 300 ms");
        SlowWorkerExperiment.Run shared = r.runs().get(1);
        assertEquals(List.of("shared socket"), shared.sockets().stream().map(SlowWorkerExperiment.SocketSeries::label).toList());
        for (SlowWorkerExperiment.Run run : r.runs()) {
            assertEquals(0, run.errors(), run.variant());
            assertTrue(run.requests() > 0 && run.latency().count() == run.requests(), run.variant() + ": every request answered");
            assertTrue(run.latency().p50() <= run.latency().p99() && run.latency().p99() <= run.latency().max());
        }
    }
}
