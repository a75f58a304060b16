package socklab.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import socklab.kernel.SockDiag;
import socklab.sys.Errno;
import socklab.sys.Fd;
import socklab.sys.Loopback;
import socklab.sys.Sockets;

/**
 * The kernel facts {@link AcceptQueueDrain} rests on, on a bare listening socket: with the SYN filter
 * on, connections already in the accept queue are still accepted and served, a new connect is never
 * answered while the listener is open and is refused once it is closed (never established, so never
 * reset), and the drain reports the queue until it is empty.
 */
class AcceptQueueDrainTest {
    private static final int QUEUED = 3;

    @Test
    void queuedConnectionsAreServedAndALateConnectIsRefusedNotReset() throws Exception {
        int listener = Loopback.listen(Loopback.V4, 16, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        InetSocketAddress address = Sockets.localAddress(listener);
        List<Socket> queued = new ArrayList<>();
        CompletableFuture<String> late;
        boolean listenerOpen = true;
        try {
            for (int i = 0; i < QUEUED; i++) {
                Socket s = new Socket(address.getAddress(), address.getPort()); // the kernel completes the handshake
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("request " + i).getBytes(StandardCharsets.US_ASCII));
                queued.add(s);
            }
            try (AcceptQueueDrain drain = AcceptQueueDrain.begin(List.of(listener), List.of(), address.getPort(), System.nanoTime())) {
                assertFalse(drain.drained());
                assertEquals(QUEUED, drain.queued(), "the queue as ss shows it");

                late = CompletableFuture.supplyAsync(() -> connectOutcome(address));
                assertTrue(Loopback.await(() -> synSent(address.getPort()) == 1, 10), "the late client sent its SYN");
                // Its SYN was dropped, so it does not enter the queue: each accept takes one of ours.
                for (int i = 0; i < QUEUED; i++) {
                    int fd = acceptOne(listener);
                    assertEquals("request " + i, Loopback.readExactly(fd, ("request " + i).length()));
                    Loopback.writeAll(fd, "answer " + i);
                    Fd.close(fd);
                }
                assertTrue(Loopback.await(drain::drained, 10), "empty queue, no handshake: " + drain.queued() + " queued, "
                        + drain.handshakes() + " handshakes");
                assertEquals(-Errno.EAGAIN, Sockets.accept(listener, Sockets.SOCK_NONBLOCK), "nothing more was queued");
                assertFalse(late.isDone(), "the late connect is still waiting for an answer to its SYN: " + (late.isDone() ? late.get() : ""));
            }
            Fd.close(listener);
            listenerOpen = false;
            // The client retransmits its SYN 1 s after the first; the closed port answers with a reset.
            assertEquals("refused", late.get(30, TimeUnit.SECONDS), "the late client's connect never completed");
            for (int i = 0; i < QUEUED; i++) {
                InputStream in = queued.get(i).getInputStream();
                assertEquals("answer " + i, new String(in.readNBytes(("answer " + i).length()), StandardCharsets.US_ASCII));
                assertEquals(-1, in.read(), "closed, not reset");
            }
        } finally {
            if (listenerOpen) {
                Fd.close(listener);
            }
            for (Socket s : queued) {
                s.close();
            }
        }
    }

    /** Clients of {@code port} waiting for an answer to their SYN. */
    private static long synSent(int port) {
        try (SockDiag diag = SockDiag.open()) {
            return diag.connectsWaiting(port);
        }
    }

    /** accept4 of one connection known to be queued. */
    private static int acceptOne(int listener) {
        int fd = Sockets.accept(listener, Sockets.SOCK_CLOEXEC);
        assertTrue(fd >= 0, "a queued connection to accept, got " + fd);
        return fd;
    }

    /** A blocking connect: "refused", or what else happened. */
    private static String connectOutcome(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 30_000);
            return "connected";
        } catch (ConnectException e) {
            return e.getMessage().contains("refused") ? "refused" : e.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }
}
