package socklab.server;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import socklab.http.HttpLimits;
import socklab.http.WorkerStats;
import socklab.sys.Binding;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNull;

class EventLoopTest {
    /**
     * Another thread signals a loop after setting a flag ({@link EventLoop#stop}, a pool thread's
     * answered request), so the loop may see the flag, finish and end before that thread's write(2)
     * comes. This plays that interleaving without timing: the loop has ended (joined) when the signal
     * is written. When the loop closed its own eventfd on the way out, this write (or the first stop's,
     * if the loop ended before it) failed with {@code write: EBADF}, as Server.close once did under load.
     */
    @Test
    void aLoopThatHasEndedCanStillBeSignalledUntilItIsClosed() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        EventLoop loop = new EventLoop(Binding.byName("ffm"), HttpLimits.DEFAULTS, new WorkerStats("0", "io"),
                (request, response) -> {}, null, "test-loop", failure::set);
        try {
            loop.start();
            loop.stop();
            loop.join();
            assertDoesNotThrow(loop::stop);
            assertDoesNotThrow(loop::stopAccepting);
        } finally {
            loop.close();
        }
        assertNull(failure.get());
    }
}
