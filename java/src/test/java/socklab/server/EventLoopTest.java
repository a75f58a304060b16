package socklab.server;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;

import socklab.http.HttpLimits;
import socklab.http.WorkerStats;
import socklab.sys.Binding;
import socklab.sys.Fd;
import socklab.sys.Loopback;
import socklab.sys.Sockets;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * A connection handed to a loop just before the stop, whose wake-up the loop has not read yet, is
     * still served: an acceptor (acceptor-readers), a blocking accepter or a cluster worker's receiver
     * hands off, then the server stops the loops. Played without timing: the hand-off and the stop
     * happen before the loop's thread starts, so its first look sees both. The loop used to end at once
     * (nothing open), leaving the accepted connection unanswered and its descriptor open.
     */
    @Test
    void aConnectionHandedOverJustBeforeTheStopIsServed() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        EventLoop loop = new EventLoop(Binding.byName("ffm"), HttpLimits.DEFAULTS, new WorkerStats("0", "io"),
                (request, response) -> response.text("served\n"), null, "test-loop", failure::set);
        int listener = Loopback.listen(Loopback.V4, 4, Sockets.SOCK_CLOEXEC);
        try {
            InetSocketAddress address = Sockets.localAddress(listener);
            try (TestClient client = new TestClient(address)) {
                client.send(TestClient.request("/"));
                loop.handOff(Sockets.accept(listener, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC));
                loop.closing();
                loop.stop();
                loop.start();
                TestClient.Response r = client.read();
                assertEquals("served\n", r.body());
                assertEquals("close", r.header("Connection"));
                assertTrue(client.finishedByServer());
            }
            loop.join();
        } finally {
            Fd.close(listener);
            loop.close();
        }
        assertNull(failure.get());
    }
}
