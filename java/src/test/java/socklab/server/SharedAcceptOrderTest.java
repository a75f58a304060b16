package socklab.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import socklab.kernel.ProcFs;
import socklab.sys.Loopback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads blocked in accept4 on one socket are woken in FIFO order (Cloudflare's "2 1 0 2 1 0"): with
 * three workers, sequential connections go round all three in a fixed rotation.
 *
 * <p>The order is the kernel's only if every accepter is queued in accept before each connection
 * arrives; otherwise a thread still on its way back would take its turn late. So before each connect
 * the test waits until /proc shows all three threads asleep (state S) inside accept4, instead of
 * sleeping and hoping.
 */
class SharedAcceptOrderTest {
    /** accept4's system call number, as /proc/&lt;tid&gt;/syscall shows it. */
    private static final int ACCEPT4 = switch (System.getProperty("os.arch")) {
        case "amd64" -> 288;
        case "aarch64" -> 242;
        default -> throw new IllegalStateException("accept4's syscall number is not known for " + System.getProperty("os.arch"));
    };

    @Test
    void blockingAcceptersTakeSequentialConnectionsInFifoRotation() throws Exception {
        ServerConfig config = ServerConfig.of(Model.SHARED_ACCEPT).withWorkers(3).withAccept(AcceptMode.BLOCKING)
                .withLimits(ServerContractTest.TEST_LIMITS);
        try (Server server = Server.start(config)) {
            List<Long> tids = server.accepterTids();
            assertTrue(tids.size() == 3 && tids.stream().allMatch(tid -> tid > 0), "start returns with every thread running: " + tids);
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                assertTrue(Loopback.await(() -> tids.stream().allMatch(SharedAcceptOrderTest::asleepInAccept4), 10),
                        "all three accepters are queued in accept4 before connection " + i);
                try (TestClient c = new TestClient(server.address())) {
                    order.add(c.get("/").worker());
                }
            }
            assertEquals(3, Set.copyOf(order.subList(0, 3)).size(), "the first three go to three workers: " + order);
            for (int i = 3; i < order.size(); i++) {
                assertEquals(order.get(i % 3), order.get(i), "connection " + i + " breaks the rotation: " + order);
            }
            Map<String, Long> perWorker = order.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertEquals(Map.of("0", 10L, "1", 10L, "2", 10L), perWorker);
            assertEquals(List.of(10L, 10L, 10L), server.workers().stream().map(w -> w.accepted()).toList());
        }
    }

    /** Whether thread {@code tid} of this process sleeps inside accept4, i.e. waits in the socket's queue. */
    static boolean asleepInAccept4(long tid) {
        try {
            Path task = Path.of("/proc/self/task/" + tid);
            char state = ProcFs.DEFAULT.stat("self/task/" + tid)[3].charAt(0);
            String syscall = Files.readString(task.resolve("syscall")).trim();
            return state == 'S' && syscall.startsWith(ACCEPT4 + " ");
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc for thread " + tid, e);
        }
    }
}
