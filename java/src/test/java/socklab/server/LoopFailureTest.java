package socklab.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import socklab.http.HttpLimits;

/**
 * A worker thread that dies (an Error escapes a handler, as a NoClassDefFoundError at the descriptor
 * limit once did) stops the whole server, and that stop must be complete: every other loop ended,
 * the listening sockets closed, no descriptor or thread left, and nothing written to a descriptor the
 * dead loop had already closed (its wakeup eventfd stays open until the server has joined it).
 */
class LoopFailureTest {
    static Stream<ServerConfig> models() {
        return CheckedServer.everyModel(new HttpLimits(8192, 1 << 20, 10_000, 10_000, 2_000, 1_000)).stream();
    }

    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void anErrorInAHandlerStopsTheServerCompletely(ServerConfig config) throws Exception {
        Map<String, String> descriptorsBefore = ServerContractTest.kernelObjectDescriptors();
        Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
        Error death = new Error("a worker dies");
        server = Server.start(config, router -> router.get("/die", (request, response) -> {
            throw death;
        }));
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
            s.getOutputStream().write(TestClient.request("/die").getBytes(StandardCharsets.US_ASCII));
            try {
                assertEquals(-1, s.getInputStream().read(), "no answer: the connection is closed");
            } catch (IOException reset) {
                // or reset, if it was aborted with input unread
            }
        }
        CompletableFuture.runAsync(() -> {
            try {
                server.awaitStopped();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).get(30, TimeUnit.SECONDS); // the failure stops the server by itself
        assertEquals(death, server.failure());
        server.close(); // returns once the stop that the failure started has finished
        assertEquals(descriptorsBefore, ServerContractTest.kernelObjectDescriptors(), "descriptors after the failure");
        assertTrue(socklab.sys.Loopback.await(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> !threadsBefore.contains(t) && t.isAlive() && ServerContractTest.isServerThread(t.getName())), 10),
                "no server thread left: " + Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> !threadsBefore.contains(t) && t.isAlive()).map(Thread::getName).toList());
    }
}
