package socklab.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import socklab.sys.Fd;
import socklab.sys.Loopback;
import socklab.sys.SocketOption;
import socklab.sys.Sockets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code socklab serve}: its one line, clean stop on SIGTERM and SIGINT, and one-line usage errors; with
 * {@code --processes}, the parent and its workers as separate processes, stopped or killed from outside.
 */
class ServeCommandTest {
    private static final Pattern LINE = Pattern.compile(
            "socklab serve: model=reuseport steer=hash workers=2 binding=ffm listening on http://127\\.0\\.0\\.1:(\\d+)/ "
                    + "\\(pid (\\d+)\\); stop with Ctrl-C or kill -TERM \\2");


    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--workers 0                       | --workers must be 1..1024, got 0",
            "--model nope                      | unknown model 'nope': choose one of single, acceptor-readers, dispatcher-workers, shared-accept, reuseport, cluster",
            "--model cluster                   | --model cluster runs worker processes: give --processes P",
            "--model single --processes 2      | --processes applies to --model shared-accept, reuseport or cluster, not single",
            "--model cluster --processes 0     | --processes must be 1..64, got 0",
            "--model shared-accept --processes 2 --accept mutex    | --accept mutex is a lock between the threads of one process",
            "--model shared-accept --processes 2 --accept blocking | --accept blocking cannot be stopped in one process",
            "--model reuseport --processes 2 --steer cpu           | --steer cpu indexes the sockets of one process",
            "--model reuseport --processes 2 --data-dir /nonexistent | --data-dir serves the comments API from one process",
            "--model reuseport --processes 2 --seed 7              | --seed applies to the comments API: give --data-dir DIR too",
            "--model single --workers 2        | --model single runs one thread",
            "--model single --accept blocking  | --accept applies to --model shared-accept only",
            "--model shared-accept --accept x  | unknown accept mode 'x': choose one of blocking, epoll, exclusive, mutex",
            "--model reuseport --steer x       | unknown steering 'x': choose one of hash, cpu",
            "--host localhost                  | --host must be an IP address",
            "--binding nope                    | unknown binding 'nope'",
            "--port 70000                      | --port must be 0..65535",
            "--max-head-bytes 10               | --max-head-bytes must be 256..1048576",
            "--drain-ms 0                      | --drain-ms must be >= 1 ms, got 0",
            "--accept-queue-at-stop x          | unknown accept-queue-at-stop 'x': choose one of drain, reset"})
    void badValueIsOneLineNamingItThenUsageAndExitTwo(String args, String expected) {
        CliRun run = CliRun.of(("serve " + args.trim()).split(" "));
        assertEquals(2, run.exit());
        assertTrue(run.firstErrorLine().startsWith("socklab: ") && run.firstErrorLine().contains(expected), run.err());
        assertTrue(run.err().contains("Usage: socklab serve"), run.err());
    }

    @Test
    void portInUseIsOneLineWithTheFixAndExitTwo() {
        int taken = Sockets.listenTcp(new InetSocketAddress("127.0.0.1", 0), 4, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEADDR);
        try {
            int port = Sockets.localAddress(taken).getPort();
            CliRun run = CliRun.of("serve", "--port", Integer.toString(port));
            assertEquals(2, run.exit());
            assertEquals(List.of("socklab: serve: bind(127.0.0.1:" + port + "): EADDRINUSE (Address already in use): "
                    + "another socket listens there; pick another --port, or --port 0 for a free one"), run.err().lines().toList());
            assertEquals("", run.out());
        } finally {
            Fd.close(taken);
        }
    }

    @Test
    void printsOneLineServesAndStopsWithExitZeroOnSigterm() throws Exception {
        Process serve = startServe();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
        int port = portFromTheOneLine(serve, stdout);
        assertEquals("hello\n", bodyOfGet(port));
        assertTrue(serve.toHandle().destroy(), "SIGTERM sent"); // Process.destroy would also close our ends of its pipes
        assertTrue(serve.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
        assertEquals(0, serve.exitValue());
        assertEquals("", new String(serve.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(null, stdout.readLine(), "nothing printed after the one line");
    }

    @Test
    void stopsWithExitZeroOnSigint() throws Exception {
        Process serve = startServe();
        portFromTheOneLine(serve, new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8)));
        String ignored = Files.readAllLines(Path.of("/proc/" + serve.pid() + "/status")).stream()
                .filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow().split(":")[1].trim();
        boolean sigintIgnored = (Long.parseUnsignedLong(ignored, 16) & (1L << (2 - 1))) != 0;
        if (sigintIgnored) {
            serve.destroyForcibly().waitFor();
        }
        assumeTrue(!sigintIgnored, "this test runs as a background job whose SIGINT is ignored; the JVM keeps that");
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(serve.pid())).start();
        assertEquals(0, kill.waitFor());
        assertTrue(serve.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
        assertEquals(0, serve.exitValue());
    }

    private static final Pattern GROUP_LINE = Pattern.compile(
            "socklab serve: model=[a-z-]+(?: accept=[a-z]+)? processes=2 workers=1 binding=ffm listening on http://127\\.0\\.0\\.1:(\\d+)/ "
                    + "\\(parent pid (\\d+), worker pids (\\d+) (\\d+)\\); stop with Ctrl-C or kill -TERM \\2");

    /** The parents started by the tests below, stopped even when a test fails; their workers die with them. */
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopWhatWasStarted() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void processGroupPrintsOneLineAndSigtermStopsParentAndWorkersWithExitZero() throws Exception {
        Process serve = startServe("--model", "cluster", "--processes", "2", "--port", "0");
        BufferedReader stdout = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
        Matcher line = groupLine(serve, stdout);
        List<Long> workers = List.of(Long.parseLong(line.group(3)), Long.parseLong(line.group(4)));
        assertEquals(workers, childrenOf(serve.pid()), "the two worker pids the line names are the parent's children");
        assertEquals("hello\n", bodyOfGet(Integer.parseInt(line.group(1))));
        assertTrue(serve.toHandle().destroy(), "SIGTERM sent");
        assertTrue(serve.waitFor(60, TimeUnit.SECONDS), "stopped within 60 s");
        assertEquals(0, serve.exitValue());
        assertEquals("", new String(serve.getErrorStream().readAllBytes(), StandardCharsets.UTF_8), "no worker exited unexpectedly");
        for (long pid : workers) {
            assertFalse(Files.exists(Path.of("/proc/" + pid)), "worker " + pid + " stopped with the parent");
        }
    }

    @Test
    void killingTheParentWithSigkillKillsEveryWorker() throws Exception {
        Process serve = startServe("--model", "shared-accept", "--processes", "2", "--port", "0");
        Matcher line = groupLine(serve, new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8)));
        List<Long> workers = List.of(Long.parseLong(line.group(3)), Long.parseLong(line.group(4)));
        assertTrue(serve.toHandle().destroyForcibly(), "SIGKILL sent to the parent");
        assertTrue(serve.waitFor(30, TimeUnit.SECONDS));
        // PR_SET_PDEATHSIG: the kernel sends each worker SIGKILL as the parent's thread exits; init reaps them.
        assertTrue(Loopback.await(() -> workers.stream().noneMatch(pid -> Files.exists(Path.of("/proc/" + pid))), 20),
                "no worker outlives the parent: " + workers.stream().filter(pid -> Files.exists(Path.of("/proc/" + pid))).toList());
    }

    private Matcher groupLine(Process serve, BufferedReader stdout) throws IOException {
        String text = stdout.readLine();
        Matcher m = GROUP_LINE.matcher(text == null ? "" : text);
        assertTrue(m.matches(), "the one line: " + text + " " + new String(serve.getErrorStream().readNBytes(
                text == null ? 4096 : 0), StandardCharsets.UTF_8));
        assertEquals(serve.pid(), Long.parseLong(m.group(2)));
        return m;
    }

    /** The pids of {@code pid}'s children, from /proc/&lt;pid&gt;/task/&lt;tid&gt;/children, sorted. */
    private static List<Long> childrenOf(long pid) throws IOException {
        List<Long> children = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                for (String child : Files.readString(task.resolve("children")).trim().split(" ")) {
                    if (!child.isEmpty()) {
                        children.add(Long.parseLong(child));
                    }
                }
            }
        }
        return children.stream().sorted().toList();
    }

    /** {@code serve} in a JVM of its own, as ./socklab runs it (reuseport, 2 workers, port 0 unless told otherwise). */
    private Process startServe(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("@" + jvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve"));
        command.addAll(args.length > 0 ? List.of(args) : List.of("--model", "reuseport", "--workers", "2", "--port", "0"));
        Process p = new ProcessBuilder(command).start();
        started.add(p);
        return p;
    }

    private static int portFromTheOneLine(Process serve, BufferedReader stdout) throws IOException {
        String line = stdout.readLine();
        Matcher m = LINE.matcher(line == null ? "" : line);
        assertTrue(m.matches(), "the one line: " + line);
        assertEquals(serve.pid(), Long.parseLong(m.group(2)));
        return Integer.parseInt(m.group(1));
    }

    private static String bodyOfGet(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            o.write("GET / HTTP/1.1\r\nHost: socklab\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    /** The repository's jvm.options, found from the working directory up (surefire runs in java/). */
    private static Path jvmOptions() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("jvm.options"))) {
                return dir.resolve("jvm.options");
            }
        }
        throw new AssertionError("no jvm.options above " + Path.of("").toAbsolutePath());
    }
}
