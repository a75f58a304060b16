package socklab.proc;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import socklab.server.Server;
import socklab.server.ServerConfig;
import socklab.sys.Processes;
import socklab.sys.Spawn;

/**
 * The entry point of a worker process: {@code java <the parent's JVM flags> -cp <its class path>
 * socklab.proc.WorkerMain '<json>'}, started by {@link ProcessGroup} without a shell.
 *
 * <p>First it arranges to die with its parent (PR_SET_PDEATHSIG, SIGKILL), then checks that the parent
 * is still the one that started it: had the parent died before the prctl, the signal would never come
 * and getppid() would already name another process. It finds its descriptors by systemd's convention
 * ({@code LISTEN_FDS}, {@code LISTEN_FDNAMES}, from fd 3), runs the server on them, marks its slot of
 * the shared table as serving, and on SIGTERM stops the server (answering what is in flight) and exits 0.
 *
 * <p>{@code LISTEN_PID}: systemd writes the child's own pid there between fork and exec. posix_spawn has
 * no such point, so the parent cannot know the pid in time and writes its own; a worker accepts the
 * descriptors when LISTEN_PID is its own pid (systemd) or its parent's (socklab). Either way, a process
 * the worker might start, whose pid and parent differ, would not take them for its own.
 */
public final class WorkerMain {
    private WorkerMain() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the parent tells a worker process on its command line.
     *
     * @param slot      the process's index in the group and the stats table, 0..processes-1
     * @param processes how many processes the group runs
     * @param parentPid the pid of the parent, checked after PR_SET_PDEATHSIG
     * @param server    the server to run; its port is the group's
     */
    record WorkerArgs(int slot, int processes, long parentPid, ServerConfig server) {
        String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write a worker's arguments as JSON", e);
            }
        }

        static WorkerArgs fromJson(String json) {
            try {
                return JSON.readValue(json, WorkerArgs.class);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("a worker's arguments are not what socklab writes: " + e.getOriginalMessage());
            }
        }
    }

    /** The command line that starts a worker process on this JVM, with its flags and class path. */
    static List<String> command(WorkerArgs args) {
        List<String> argv = new ArrayList<>();
        argv.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        argv.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(WorkerMain.class.getName());
        argv.add(args.toJson());
        return argv;
    }

    /** systemd's variables for {@code fds} passed from fd 3 on, named {@code names}. */
    static Map<String, String> listenEnvironment(List<String> names) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("LISTEN_FDS", Integer.toString(names.size()));
        env.put("LISTEN_PID", Long.toString(ProcessHandle.current().pid()));
        env.put("LISTEN_FDNAMES", String.join(":", names));
        return env;
    }

    public static void main(String[] argv) throws InterruptedException {
        Processes.setParentDeathSignal(Processes.SIGKILL);
        WorkerArgs args = WorkerArgs.fromJson(argv[0]);
        if (Processes.parentPid() != args.parentPid()) {
            System.err.println("socklab: worker " + args.slot() + ": the parent (pid " + args.parentPid() + ") died before this process started");
            System.exit(1);
        }
        long pid = ProcessHandle.current().pid();
        try {
            serve(args, pid);
        } catch (RuntimeException e) {
            // One line; the parent adds which worker exited and how.
            System.err.println("socklab: worker " + args.slot() + " (pid " + pid + "): " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }

    /** Runs the server on the passed descriptors until SIGTERM stops it; exits 1 after a failure. */
    private static void serve(WorkerArgs args, long pid) throws InterruptedException {
        Map<String, Integer> fds = passedDescriptors();
        try (StatsTable table = StatsTable.open(fds.get("stats"), args.processes(), new GroupConfig(args.server(), args.processes()).blocksPerProcess())) {
            TableMember member = new TableMember(fds.getOrDefault("listener", -1), fds.getOrDefault("channel", -1), args.slot(), table, pid);
            Server server = Server.start(args.server(), member, router -> {});
            stopOnSignals(server);
            table.ready(args.slot(), server.workers().size(), pid);
            server.awaitStopped();
            if (server.failure() != null) {
                System.err.println("socklab: worker " + args.slot() + " (pid " + pid + "): stopped after a failure: " + server.failure());
                System.exit(1);
            }
        }
    }

    /** The descriptors from fd 3 on, by their LISTEN_FDNAMES name; fails unless they are meant for this process. */
    private static Map<String, Integer> passedDescriptors() {
        String listenPid = System.getenv("LISTEN_PID");
        long pid = ProcessHandle.current().pid();
        if (listenPid == null || !(Long.parseLong(listenPid) == pid || Long.parseLong(listenPid) == Processes.parentPid())) {
            throw new IllegalStateException("LISTEN_PID is " + listenPid + ", neither this process (" + pid + ") nor its parent: "
                    + "the descriptors are not meant for it");
        }
        String[] names = System.getenv().getOrDefault("LISTEN_FDNAMES", "").split(":");
        int count = Integer.parseInt(System.getenv().getOrDefault("LISTEN_FDS", "0"));
        if (names.length != count) {
            throw new IllegalStateException("LISTEN_FDS is " + count + " but LISTEN_FDNAMES names " + names.length);
        }
        Map<String, Integer> fds = new HashMap<>();
        for (int i = 0; i < count; i++) {
            fds.put(names[i], Spawn.FIRST_PASSED_FD + i);
        }
        return fds;
    }

    /**
     * SIGTERM (from the parent) stops the server, answering what is in flight; the main thread then
     * exits 0. SIGINT is ignored: Ctrl-C reaches the whole foreground process group, and the parent,
     * which gets it too, stops its workers itself, in order, without respawning them.
     */
    private static void stopOnSignals(Server server) {
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> Thread.ofPlatform().name("socklab-stop").start(server::close));
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), sun.misc.SignalHandler.SIG_IGN);
    }
}
