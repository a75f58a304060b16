package socklab.experiment;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OverflowExperimentTest {
    @TempDir
    Path dir;

    /**
     * Backlog 2, acceptor paused, 8 connects: the queue holds exactly backlog + 1 = 3 (read through
     * TCP_INFO at the end of the pause, and in the sock_diag samples); every connect beyond those 3
     * met a full queue at least once, so ListenOverflows rose by at least 5. It may rise more: the
     * SYN retransmissions are dropped again, and in a shared network namespace other processes count
     * too; so the test bounds it from below only. ListenDrops counts every overflow and more.
     */
    @Test
    void fullQueueHoldsBacklogPlusOneAndCountsItsDrops() throws Exception {
        OverflowExperiment.Result r = Tiny.run(new OverflowExperiment(), dir, "backlog", "2", "connects", "8",
                "pause", "300ms", "timeout", "1500ms", "sample", "10ms");
        assertEquals(2, r.sendQ(), "Send-Q is the backlog");
        assertEquals(3, r.recvQPinned(), "TCP_INFO: backlog + 1 waiting");
        assertEquals(3, r.recvQMaxSampled(), "sock_diag agrees");
        assertEquals(5, r.droppedAtLeast());
        assertTrue(r.listenOverflows() >= 5, "ListenOverflows +" + r.listenOverflows());
        assertTrue(r.listenDrops() >= r.listenOverflows(), "ListenDrops +" + r.listenDrops());
        long failed = r.connectErrors().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(8, r.established() + failed, "every connect established or failed");
        assertEquals(r.connectLatency().count(), r.established());
        assertEquals(r.established(), r.steps().entrySet().stream().filter(e -> !e.getKey().equals("timed out"))
                .mapToLong(java.util.Map.Entry::getValue).sum(), "every established connect falls in one band");
        assertTrue(r.accepted() <= r.established());
    }
}
