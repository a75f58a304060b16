package socklab.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import socklab.http.Handler;
import socklab.http.HttpLimits;
import socklab.http.Router;
import socklab.http.WorkerStats;

/**
 * An in-process server for the fault tests (slowloris, resets, hostile input), checked when it is
 * closed: no loop or worker failed, no exception reached a loop (EventLoop reports those on stderr as
 * "internal error", so stderr is captured while the server runs), and the process holds exactly the
 * socket, epoll and eventfd descriptors and the threads it held before. Close the test's own clients
 * before closing this.
 */
final class CheckedServer implements AutoCloseable {
    /** One configuration per model that runs in one process (not cluster), two workers where the model has several. */
    static List<ServerConfig> everyModel(HttpLimits limits) {
        return java.util.Arrays.stream(Model.values())
                .filter(m -> m != Model.CLUSTER)
                .map(m -> ServerConfig.of(m).withWorkers(m == Model.SINGLE ? 1 : 2).withLimits(limits))
                .toList();
    }

    /** A handler that answers {@code released} only once {@code latch} (read when a request comes) is counted down; 30 s at most. */
    static Handler blockingUntil(Supplier<CountDownLatch> latch) {
        return (request, response) -> {
            try {
                assertTrue(latch.get().await(30, TimeUnit.SECONDS), "released within 30 s");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            response.text("released\n");
        };
    }

    private final Map<String, String> descriptorsBefore;
    private final Set<Thread> threadsBefore;
    private final PrintStream stderr = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final Server server;

    CheckedServer(ServerConfig config, Consumer<Router> moreRoutes) {
        descriptorsBefore = ServerContractTest.kernelObjectDescriptors();
        threadsBefore = Thread.getAllStackTraces().keySet();
        System.setErr(new PrintStream(new Tee(stderr, captured), true, StandardCharsets.UTF_8));
        server = Server.start(config, moreRoutes);
    }

    Server server() {
        return server;
    }

    InetSocketAddress address() {
        return server.address();
    }

    /** The sum of one counter over every worker. */
    long total(ToLongFunction<WorkerStats> counter) {
        return server.workers().stream().mapToLong(counter).sum();
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            System.setErr(stderr);
        }
        assertNull(server.failure(), "no loop or worker failed");
        String err = captured.toString(StandardCharsets.UTF_8);
        assertEquals(List.of(), err.lines().filter(l -> l.contains("internal error")).toList(), "no exception reached a loop");
        assertEquals(descriptorsBefore, ServerContractTest.kernelObjectDescriptors(), "sockets, epoll and eventfd descriptors after close");
        List<String> left = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !threadsBefore.contains(t) && t.isAlive() && ServerContractTest.isServerThread(t.getName()))
                .map(Thread::getName).toList();
        assertEquals(List.of(), left, "server threads still alive after close");
    }

    /** Writes to both streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] bytes, int off, int len) throws java.io.IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }
}
