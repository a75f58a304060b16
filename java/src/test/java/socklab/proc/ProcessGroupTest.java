package socklab.proc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;

import socklab.kernel.ProcFs;
import socklab.server.Model;
import socklab.server.ServerConfig;
import socklab.server.TestClient;
import socklab.sys.Loopback;
import socklab.sys.Processes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process models with real worker JVMs: every process serves, /stats on any of them shows all,
 * a worker gets only its own descriptors, a killed worker is replaced while the others go on, and a
 * stop answers what is in flight. Every group a test starts is closed in {@link #stopGroup}, failed
 * test or not; closing waits until every worker has exited.
 *
 * <p>Where the kernel's choice decides which process gets a connection, the test first brings about
 * the state that decides it (a worker busy in a handler, seen in /proc) instead of hoping for it.
 */
class ProcessGroupTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SYS_KCMP = "aarch64".equals(System.getProperty("os.arch")) ? 272 : 312;
    private static final int KCMP_FILE = 0;
    private static final MethodHandle SYSCALL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    private final List<String> log = new CopyOnWriteArrayList<>();
    private ProcessGroup group;

    @AfterEach
    void stopGroup() {
        if (group != null) {
            List<Integer> workers = group.pids();
            group.close();
            assertNull(group.failure(), "the supervisor did not fail");
            for (int pid : workers) {
                assertFalse(Files.exists(Path.of("/proc/" + pid)), "worker " + pid + " has exited and been reaped");
            }
        }
    }

    private ProcessGroup start(Model model, int processes) throws InterruptedException {
        group = ProcessGroup.start(new GroupConfig(ServerConfig.of(model).withWorkers(1), processes), log::add);
        assertEquals(processes, group.pids().size(), "every worker serves once start returns");
        return group;
    }

    /**
     * Children are spawned without a shell: posix_spawnp with an argv. Each worker is this JVM's direct
     * child (no /bin/sh in between), its argv[0] is this JVM's java binary, and its last argument, the
     * worker's JSON with quotes and braces a shell would have interpreted, arrives as one argument, byte for byte.
     */
    @Test
    void workersAreSpawnedFromAnArgvWithoutAShell() throws Exception {
        start(Model.REUSEPORT, 2);
        String java = ProcessHandle.current().info().command().orElseThrow();
        for (int pid : group.pids()) {
            List<String> argv = List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
            assertEquals(java, argv.getFirst(), "argv[0] is the java binary: " + argv);
            assertEquals(WorkerMain.class.getName(), argv.get(argv.size() - 2), "argv: " + argv);
            JsonNode args = JSON.readTree(argv.getLast());
            assertTrue(args.isObject() && argv.getLast().contains("\""), "the worker's JSON, quotes and all, as one argument: " + argv.getLast());
            long parent = Long.parseLong(ProcFs.DEFAULT.stat(Integer.toString(pid))[4]);
            assertEquals(ProcessHandle.current().pid(), parent, "the worker is this JVM's own child, not a shell's");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"SHARED_ACCEPT", "REUSEPORT", "CLUSTER"})
    void everyProcessServesStatsShowsThemAllAndEachHoldsOnlyItsDescriptors(Model model) throws Throwable {
        int processes = model == Model.CLUSTER ? 3 : 2;
        start(model, processes);
        List<Long> servedBy = switch (model) {
            case SHARED_ACCEPT -> oneBusyOneIdle();
            case REUSEPORT -> untilTwoPids(200);
            default -> roundRobin(30);
        };
        Set<Long> pids = group.pids().stream().map(Long::valueOf).collect(Collectors.toSet());
        assertEquals(pids, new HashSet<>(servedBy), "responses came from every worker process: " + servedBy);

        try (TestClient c = new TestClient(group.address())) {
            JsonNode stats = JSON.readTree(c.get("/stats").body());
            assertEquals(processes, stats.get("processes").asInt());
            Set<Long> reported = new HashSet<>();
            long requests = 0;
            for (JsonNode w : stats.get("workers")) {
                reported.add(w.get("pid").asLong());
                assertTrue(w.get("id").asText().startsWith(w.get("pid").asText() + "."), w.toString());
                assertTrue(w.get("tid").asLong() > 0, w.toString());
                requests += w.get("requests").asLong();
            }
            assertEquals(pids, reported, "/stats reports every process with its pid");
            assertEquals(servedBy.size() + 1, requests, "every request counted once, in whichever process, and /stats itself");
        }
        for (long pid : pids) {
            assertOnlyItsOwnDescriptors(model, pid);
        }
    }

    /**
     * shared-accept with EPOLLEXCLUSIVE wakes one idle worker; an idle group would give every
     * connection to the last waiter. So: a request that keeps one worker's only thread in its handler,
     * then, once /proc shows that thread asleep outside epoll_wait and the other worker's inside it, a
     * second connection, which the kernel must give to the other worker.
     *
     * <p>/proc cannot tell the handler's sleep from a brief stop elsewhere (a GC safepoint or a lock
     * taken while the request has not been read yet): on a machine at load average 13 the check once
     * passed before the busy worker had read its request, and both connections went to it. So an
     * attempt whose two answers came from one process is repeated, up to {@value #BUSY_IDLE_ATTEMPTS}
     * times; a group in which one process never serves still fails every attempt. Every attempt's
     * answers are returned, so the caller's count of requests served includes the repeated ones.
     */
    private List<Long> oneBusyOneIdle() throws Exception {
        List<Long> servedBy = new ArrayList<>();
        for (int attempt = 0; attempt < BUSY_IDLE_ATTEMPTS && new HashSet<>(servedBy).size() < 2; attempt++) {
            servedBy.addAll(oneBusyOneIdleAttempt());
        }
        return servedBy;
    }

    private static final int BUSY_IDLE_ATTEMPTS = 5;

    private List<Long> oneBusyOneIdleAttempt() throws Exception {
        try (TestClient busy = new TestClient(group.address())) {
            busy.send(TestClient.request("/sleep?ms=3000")); // long enough to be seen in /proc however loaded the machine
            assertTrue(Loopback.await(() -> group.pids().stream().filter(LoopThreads::handling).count() == 1
                    && group.pids().stream().filter(LoopThreads::waitingInEpoll).count() == 1, 10),
                    "one worker's thread sleeps in the handler, the other waits in epoll");
            long idle;
            try (TestClient other = new TestClient(group.address())) {
                idle = other.get("/").workerPid();
            }
            return List.of(busy.read().workerPid(), idle);
        }
    }

    /** reuseport: the kernel hashes each connection's 4-tuple; new connections until two processes answered. */
    private List<Long> untilTwoPids(int most) {
        List<Long> servedBy = new ArrayList<>();
        while (servedBy.size() < most && new HashSet<>(servedBy).size() < 2) {
            try (TestClient c = new TestClient(group.address())) {
                servedBy.add(c.get("/").workerPid());
            }
        }
        return servedBy;
    }

    /** cluster: sequential connections go round the processes in a fixed order, each getting every third. */
    private List<Long> roundRobin(int connections) {
        List<Long> order = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            try (TestClient c = new TestClient(group.address())) {
                order.add(c.get("/").workerPid());
            }
        }
        int n = group.pids().size();
        for (int i = n; i < order.size(); i++) {
            assertEquals(order.get(i % n), order.get(i), "connection " + i + " breaks the rotation: " + order);
        }
        Map<Long, Long> perProcess = order.stream().collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
        assertEquals(List.of(10L, 10L, 10L), List.copyOf(perProcess.values()), "10 of 30 each: " + perProcess);
        return order;
    }

    @ParameterizedTest
    @EnumSource(names = {"SHARED_ACCEPT", "CLUSTER"})
    void aKilledWorkerIsReplacedWhileTheOthersGoOnServing(Model model) throws Exception {
        start(model, 2);
        int victim = group.pids().getFirst();
        assertTrue(Processes.signal(victim, Processes.SIGKILL));
        assertTrue(Loopback.await(() -> !group.pids().contains(victim), 10), "the supervisor saw the exit");
        Set<Long> servedBy = new TreeSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // Until the replacement has answered: every request meanwhile is answered by someone.
        while (System.nanoTime() < deadline && !(group.pids().size() == 2 && servedBy.size() == 2 && group.restarts() == 1)) {
            try (TestClient c = new TestClient(group.address())) {
                TestClient.Response r = c.get("/");
                assertEquals(200, r.status());
                long pid = r.workerPid();
                assertNotEquals(victim, pid);
                servedBy.add(pid);
            }
        }
        assertEquals(2, servedBy.size(), "the survivor and the replacement answered within 30 s: " + servedBy);
        assertEquals(1, group.restarts());
        assertTrue(log.stream().anyMatch(l -> l.contains("worker") && l.contains("(pid " + victim + ") killed by SIGKILL")
                && l.contains("starting a new one in 100 ms")), log.toString());
        assertTrue(Loopback.await(() -> log.stream().anyMatch(l -> l.matches("socklab: serve: worker \\d \\(pid \\d+\\) serving \\d+ ms after it was started")), 10),
                "the replacement's start is logged: " + log);
    }

    @Test
    void stopAnswersTheRequestInFlightThenEveryWorkerExitsCleanly() throws Exception {
        start(Model.SHARED_ACCEPT, 2);
        List<Integer> workers = group.pids();
        try (TestClient busy = new TestClient(group.address())) {
            busy.send(TestClient.request("/sleep?ms=1000"));
            assertTrue(Loopback.await(() -> workers.stream().anyMatch(LoopThreads::handling), 10), "the request reached a handler");
            Thread closer = Thread.ofPlatform().start(group::close);
            TestClient.Response r = busy.read();
            assertEquals(200, r.status());
            assertEquals("slept 1000 ms\n", r.body());
            assertEquals("close", r.header("Connection"), "answered during the stop, so the connection closes");
            assertTrue(busy.closedByServer());
            closer.join(TimeUnit.SECONDS.toMillis(40));
            assertFalse(closer.isAlive(), "close() returned");
        }
        for (int pid : workers) {
            assertFalse(Files.exists(Path.of("/proc/" + pid)), "worker " + pid + " has exited");
        }
        assertEquals(List.of(), log, "every worker exited with status 0: nothing to report");
    }

    /**
     * A start interrupted while the workers boot leaves nothing behind: the caller gets no group to
     * close, so start stops what it spawned before it throws. The starting thread is interrupted as
     * soon as the first worker process exists, about a second (a JVM's boot) before the workers
     * serve; an attempt in which they served first anyway (start returned a group) is closed and
     * repeated, up to {@value #INTERRUPTED_START_ATTEMPTS} times.
     */
    @Test
    void anInterruptedStartStopsTheWorkersItSpawned() throws Exception {
        Set<Long> childrenBefore = children();
        Object outcome = null;
        for (int attempt = 0; attempt < INTERRUPTED_START_ATTEMPTS && !(outcome instanceof InterruptedException); attempt++) {
            AtomicReference<Object> result = new AtomicReference<>();
            Thread starter = Thread.ofPlatform().start(() -> {
                try {
                    result.set(ProcessGroup.start(new GroupConfig(ServerConfig.of(Model.REUSEPORT).withWorkers(1), 2), log::add));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            assertTrue(Loopback.await(() -> children().size() > childrenBefore.size() || !starter.isAlive(), 30), "a worker was spawned");
            starter.interrupt();
            starter.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(starter.isAlive(), "start returned within 60 s of the interrupt");
            outcome = result.get();
            if (outcome instanceof ProcessGroup served) {
                served.close();
            }
        }
        assertTrue(outcome instanceof InterruptedException, "start threw InterruptedException: " + outcome);
        assertEquals(childrenBefore, children(), "every worker it spawned has exited and been reaped");
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("socklab-supervisor")),
                "the supervisor thread has ended");
    }

    private static final int INTERRUPTED_START_ATTEMPTS = 5;

    private static Set<Long> children() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    /**
     * The worker's descriptors: stdin is /dev/null; 3, 4, … are the ones passed (by LISTEN_FDNAMES);
     * and besides stdout, stderr and those, none shares an open file description with any descriptor
     * of this JVM, its parent (kcmp(2) KCMP_FILE): what else it has, it opened itself.
     */
    private static void assertOnlyItsOwnDescriptors(Model model, long pid) throws Throwable {
        List<String> passed = switch (model) {
            case SHARED_ACCEPT -> List.of("socket:", "/memfd:socklab-stats");
            case CLUSTER -> List.of("socket:", "/memfd:socklab-stats");
            default -> List.of("/memfd:socklab-stats");
        };
        Path fdDir = Path.of("/proc/" + pid + "/fd");
        assertEquals("/dev/null", Files.readSymbolicLink(fdDir.resolve("0")).toString());
        for (int i = 0; i < passed.size(); i++) {
            String target = Files.readSymbolicLink(fdDir.resolve(Integer.toString(3 + i))).toString();
            assertTrue(target.startsWith(passed.get(i)), "fd " + (3 + i) + " of worker " + pid + " is " + target);
        }
        long self = ProcessHandle.current().pid();
        List<Integer> ours = descriptors(Path.of("/proc/self/fd"));
        List<String> inherited = new ArrayList<>();
        for (int fd : descriptors(fdDir)) {
            if (fd <= 2 || fd < 3 + passed.size()) {
                continue;
            }
            for (int mine : ours) {
                if ((long) SYSCALL.invokeExact(SYS_KCMP, self, pid, (long) KCMP_FILE, (long) mine, (long) fd) == 0) {
                    inherited.add(fd + " (our " + mine + ": " + Files.readSymbolicLink(Path.of("/proc/self/fd/" + mine)) + ")");
                }
            }
        }
        assertEquals(List.of(), inherited, "descriptors of worker " + pid + " that are this JVM's");
    }

    private static List<Integer> descriptors(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.map(p -> Integer.parseInt(p.getFileName().toString())).toList();
        }
    }
}
