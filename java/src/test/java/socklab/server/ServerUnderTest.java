package socklab.server;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

import socklab.http.WorkerStats;
import socklab.proc.GroupConfig;
import socklab.proc.LoopThreads;
import socklab.proc.ProcessGroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What {@link ServerContractTest} runs against: one {@link Server} in this JVM, or a
 * {@link ProcessGroup} of worker JVMs ({@code serve --processes N}). The suite talks to both over
 * TCP; this class holds what differs between them:
 * <ul>
 * <li>Routes. The server in this JVM gets two for the tests, added the way a later feature adds its
 *     own: {@code POST /echo} answers the body, {@code GET /block} waits until the test releases it.
 *     A worker process knows only the lab routes ({@code socklab.proc.WorkerMain}): its blocking request is
 *     {@code GET /sleep}, seen in its handler through /proc, and a body goes to {@code POST /}, which
 *     answers 405 only after the parser has read the body whole, so the next request on the
 *     connection is parsed right only if the body was framed right.</li>
 * <li>Counters and ids: the in-process server's {@link Server#workers()}; for processes, the group's
 *     worker ids and /stats, which adds up every process's counters.</li>
 * <li>What must be gone after {@link #close}: the in-process server's failure; for processes, the
 *     supervisor's failure, every worker's exit (each exited 0: the group logs nothing) and its reaping.
 *     The suite itself checks this JVM's descriptors and threads, which covers the group's parent.</li>
 * </ul>
 */
abstract sealed class ServerUnderTest implements AutoCloseable {
    /** A server in this JVM when {@code processes} is 0, else a group of that many worker processes. */
    static ServerUnderTest start(ServerConfig config, int processes) {
        return processes == 0 ? new InProcess(config) : new Processes(config, processes);
    }

    abstract InetSocketAddress address();

    /** The X-Worker ids of the workers that run handlers (not an acceptor or a dispatcher). */
    abstract Set<String> handlerIds();

    /** The X-Worker ids of every worker that may answer a request (an error may come from an acceptor). */
    abstract Set<String> workerIds();

    /** The pids /stats may name as the process that answered it. */
    abstract Set<Long> pids();

    /** What /stats says in {@code processes}: null for a server alone. */
    abstract Integer processes();

    /**
     * True once the workers have counted everything they did for the responses the client has read,
     * whose bytes add up to {@code bytesOut} (a worker counts a write just after write(2) returns,
     * which can be after the client has the bytes).
     */
    abstract boolean countersSettled(long bytesOut);

    /** Where a request with a body goes: an echo, or a route that answers without reading it. */
    abstract String postTarget();

    /** Checks the answer to a request with {@code body} sent to {@link #postTarget()}. */
    abstract void assertBodyReadWhole(TestClient.Response r, String body);

    /** A GET target whose handler keeps its thread until {@link #release}, or for a fixed time. */
    abstract String blockingTarget();

    /** True once the request to {@link #blockingTarget()} runs in its handler. */
    abstract boolean blockedInHandler();

    /** Lets the blocked handlers return (a no-op where they return by themselves). */
    abstract void release();

    /** The body of the answer to {@link #blockingTarget()}. */
    abstract String blockedAnswer();

    /** True once a stop has begun, in every process: every response from then on says close. */
    abstract boolean isStopping();

    /** Stops the server (or the group) and waits; idempotent. */
    @Override
    public abstract void close();

    /** After {@link #close}: nothing failed, and no process the server started is left. */
    abstract void assertStoppedCleanly();

    /** The server in this JVM, with the two routes for the tests. */
    static final class InProcess extends ServerUnderTest {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final Server server;

        InProcess(ServerConfig config) {
            server = Server.start(config, router -> router
                    .add("POST", "/echo", (request, response) -> response.contentType("application/octet-stream").body(request.body()))
                    .get("/block", (request, response) -> {
                        entered.countDown();
                        CheckedServer.blockingUntil(() -> released).handle(request, response);
                    }));
        }

        @Override
        InetSocketAddress address() {
            return server.address();
        }

        @Override
        Set<String> handlerIds() {
            return server.workers().stream().filter(w -> w.role().equals("worker") || w.role().equals("reader"))
                    .map(WorkerStats::id).collect(Collectors.toSet());
        }

        @Override
        Set<String> workerIds() {
            return server.workers().stream().map(WorkerStats::id).collect(Collectors.toSet());
        }

        @Override
        Set<Long> pids() {
            return Set.of(ProcessHandle.current().pid());
        }

        @Override
        Integer processes() {
            return null;
        }

        @Override
        boolean countersSettled(long bytesOut) {
            return server.workers().stream().mapToLong(WorkerStats::bytesOut).sum() == bytesOut;
        }

        @Override
        String postTarget() {
            return "/echo";
        }

        @Override
        void assertBodyReadWhole(TestClient.Response r, String body) {
            assertEquals(body, r.body());
        }

        @Override
        String blockingTarget() {
            return "/block";
        }

        @Override
        boolean blockedInHandler() {
            return entered.getCount() == 0;
        }

        @Override
        void release() {
            released.countDown();
        }

        @Override
        String blockedAnswer() {
            return "released\n";
        }

        @Override
        boolean isStopping() {
            return server.isStopping();
        }

        @Override
        public void close() {
            server.close();
        }

        @Override
        void assertStoppedCleanly() {
            assertNull(server.failure(), "no loop or worker failed");
        }
    }

    /** A group of worker processes, as {@code serve --processes N} runs it, with only the lab routes. */
    static final class Processes extends ServerUnderTest {
        /**
         * How long the blocking request sleeps: the margin for the stop to reach the worker process
         * while it sleeps. The parent signals the workers as soon as close() has shut the door (the
         * cluster primary once its accept queue, empty here, is drained); from close() to the worker's
         * stop thread took 12 to 31 ms when measured, 39 to 78 ms with two CPU hogs on the 2 cores;
         * 3 s leaves a margin of 38 times the worst seen, for a cold worker JVM on a loaded machine.
         */
        static final long BLOCK_MILLIS = 3_000;

        private final List<String> log = new CopyOnWriteArrayList<>();
        private final ProcessGroup group;
        private final List<Integer> started;
        private final Thread supervisor;

        Processes(ServerConfig config, int processes) {
            if (config.workers() != 1) {
                throw new IllegalArgumentException("LoopThreads looks at worker-0 only: one worker per process, not " + config.workers());
            }
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            try {
                group = ProcessGroup.start(new GroupConfig(config, processes), log::add);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the group started", e);
            }
            started = group.pids();
            supervisor = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> !before.contains(t) && t.getName().equals("socklab-supervisor")).findFirst().orElse(null);
            if (supervisor == null || started.size() != processes) {
                group.close();
                throw new AssertionError("a group of " + processes + " processes serves with its supervisor thread: pids "
                        + started + ", supervisor " + supervisor);
            }
        }

        @Override
        InetSocketAddress address() {
            return group.address();
        }

        @Override
        Set<String> handlerIds() {
            return Set.copyOf(group.workerIds());
        }

        /** The workers of a worker process all run handlers; its cluster receiver never answers. */
        @Override
        Set<String> workerIds() {
            return handlerIds();
        }

        @Override
        Set<Long> pids() {
            return group.pids().stream().map(Long::valueOf).collect(Collectors.toSet());
        }

        @Override
        Integer processes() {
            return group.config().processes();
        }

        /**
         * The parent sees the counters only through /stats, which would add its own request to them;
         * so: every process's loop thread sleeps in epoll_wait, which it reaches only after counting
         * its last write. The suite then checks the sum in /stats.
         */
        @Override
        boolean countersSettled(long bytesOut) {
            List<Integer> pids = group.pids();
            return pids.size() == processes() && pids.stream().allMatch(LoopThreads::waitingInEpoll);
        }

        @Override
        String postTarget() {
            return "/";
        }

        @Override
        void assertBodyReadWhole(TestClient.Response r, String body) {
            assertEquals(405, r.status(), "POST / is not a lab route; answered once the body of " + body.length() + " bytes was read: " + r.body());
            assertEquals("GET, HEAD", r.header("Allow"));
        }

        @Override
        String blockingTarget() {
            return "/sleep?ms=" + BLOCK_MILLIS;
        }

        /**
         * Some process's loop thread sleeps outside epoll_wait. /proc cannot tell the handler from a
         * brief stop elsewhere (a GC safepoint before the request was read); the suite's checks hold
         * then too: a request read only once the stop has begun is answered within the drain time.
         */
        @Override
        boolean blockedInHandler() {
            return group.pids().stream().anyMatch(LoopThreads::handling);
        }

        @Override
        void release() {
            // the sleep ends by itself
        }

        @Override
        String blockedAnswer() {
            return "slept " + BLOCK_MILLIS + " ms\n";
        }

        /** Every worker process runs the thread WorkerMain starts on SIGTERM to stop its server. */
        @Override
        boolean isStopping() {
            List<Integer> pids = group.pids();
            return !pids.isEmpty() && pids.stream().allMatch(LoopThreads::stopping);
        }

        @Override
        public void close() {
            group.close();
        }

        /** close() returns once the supervisor thread has ended, so it must be gone by now. */
        @Override
        void assertStoppedCleanly() {
            assertFalse(supervisor.isAlive(), "the supervisor thread ended before close() returned");
            assertNull(group.failure(), "the supervisor did not fail");
            assertEquals(0, group.restarts(), "no worker was replaced");
            assertEquals(List.of(), log, "every worker exited with status 0: nothing to report");
            for (int pid : started) {
                assertFalse(Files.exists(Path.of("/proc/" + pid)), "worker " + pid + " has exited and been reaped");
            }
        }
    }
}
