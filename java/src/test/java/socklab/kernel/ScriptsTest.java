package socklab.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import socklab.sys.Fd;
import socklab.sys.Loopback;
import socklab.sys.Sockets;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** scripts/watch-queues.sh, nstat-delta.sh and capture.sh: help, bad options, and the files they write. */
class ScriptsTest {
    private static final Path ROOT = Path.of(System.getProperty("socklab.root", "..")).toAbsolutePath().normalize();

    private record Result(int exit, String out, String err) {}

    private static Result script(String name, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("scripts").resolve(name).toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        // Read stderr on the side so neither pipe can fill up and stall the script.
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        String out = readAll(p.getInputStream());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(name + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), out, err.join());
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"watch-queues.sh", "nstat-delta.sh", "capture.sh"})
    void helpPrintsUsageAndAnUnknownOptionIsOneLineAndExitTwo(String name) throws Exception {
        Result help = script(name, "--help");
        assertEquals(0, help.exit(), help.err());
        assertTrue(help.out().startsWith("Usage: scripts/" + name + " "), help.out());

        Result bad = script(name, "--no-such-option");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith(name + ": unknown option '--no-such-option' (try --help"), bad.err());
        assertEquals(1, bad.err().lines().count(), bad.err());
    }

    @Test
    void watchQueuesShowsTheListenerQueueAtEachTick(@TempDir Path dir) throws Exception {
        int listener = Loopback.listen(Loopback.V4, 5, 0);
        List<Integer> clients = new ArrayList<>();
        try {
            int port = Sockets.localAddress(listener).getPort();
            for (int i = 0; i < 2; i++) {
                clients.add(Loopback.connect(Sockets.localAddress(listener)));
            }
            assertTrue(Loopback.await(() -> ListenerQueue.of(listener).acceptQueue() == 2, 10));
            Result run = script("watch-queues.sh", "--port", Integer.toString(port), "--interval", "0.05", "--count", "2",
                    "--out-dir", dir.toString());
            assertEquals(0, run.exit(), run.err());
            assertEquals(2, run.out().lines().filter(l -> l.matches("# \\S+Z net:\\[\\d+]")).count(), run.out());
            List<String> listens = run.out().lines().filter(l -> l.startsWith("LISTEN")).toList();
            assertEquals(2, listens.size(), run.out());
            listens.forEach(l -> assertTrue(l.matches("LISTEN\\s+2\\s+5\\s+127\\.0\\.0\\.1:" + port + "\\s.*"), l));
            try (Stream<Path> files = Files.list(dir)) {
                Path log = files.findFirst().orElseThrow();
                assertTrue(log.getFileName().toString().matches("watch-queues-port" + port + "-every0\\.05s-[0-9a-f]{7,}(-dirty)?-\\d{8}T\\d{6}Z\\.log"),
                        log.toString());
                assertEquals(run.out(), Files.readString(log));
            }
        } finally {
            clients.forEach(Fd::closeQuietly);
            Fd.close(listener);
        }
    }

    @Test
    void nstatDeltaRunsTheCommandAndKeepsItsExitCode(@TempDir Path dir) throws Exception {
        Result run = script("nstat-delta.sh", "--all", "--out-dir", dir.toString(), "--", "sh", "-c", "exit 3");
        assertEquals(3, run.exit(), run.err());
        assertTrue(run.out().startsWith("# counter deltas of network namespace net:["), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("TcpExtListenOverflows\\s+\\+?\\d+")), run.out());
        try (Stream<Path> dirs = Files.list(dir)) {
            Path saved = dirs.findFirst().orElseThrow();
            assertTrue(saved.getFileName().toString().startsWith("nstat-delta-sh-"), saved.toString());
            assertEquals(Set.of("nstat-before.txt", "nstat-after.txt", "nstat-delta.txt"), names(saved));
        }
        Result none = script("nstat-delta.sh");
        assertEquals(2, none.exit());
        assertTrue(none.err().startsWith("nstat-delta.sh: no command given"), none.err());
    }

    @Test
    void captureSavesSsNstatAndTheEnvironmentBeforeAndAfter(@TempDir Path dir) throws Exception {
        Result run = script("capture.sh", "--name", "smoke", "--port", "9", "--out-dir", dir.toString(), "--", "true");
        assertEquals(0, run.exit(), run.err());
        Path saved;
        try (Stream<Path> dirs = Files.list(dir)) {
            saved = dirs.findFirst().orElseThrow();
        }
        assertTrue(saved.getFileName().toString().matches("capture-smoke-port9-[0-9a-f]{7,}(-dirty)?-\\d{8}T\\d{6}Z"), saved.toString());
        assertEquals(Set.of("env-before.txt", "env-after.txt", "ss-before.txt", "ss-after.txt", "nstat-before.txt",
                "nstat-after.txt", "nstat-delta.txt", "output.log", "command.txt"), names(saved));
        for (String when : List.of("before", "after")) {
            String env = Files.readString(saved.resolve("env-" + when + ".txt"));
            for (String line : List.of("kernel: Linux ", "netns: net:[", "cpu: ", "jdk: ", "net.core.somaxconn = ",
                    "net.ipv4.tcp_max_syn_backlog = ", "net.ipv4.tcp_syncookies = ")) {
                assertTrue(env.lines().anyMatch(l -> l.startsWith(line)), line + " in env-" + when + ": " + env);
            }
            assertTrue(Files.readString(saved.resolve("nstat-" + when + ".txt")).lines().anyMatch(l -> l.startsWith("TcpExtListenOverflows ")));
            assertTrue(Files.readString(saved.resolve("ss-" + when + ".txt")).contains("Recv-Q"));
        }
        assertTrue(Files.readString(saved.resolve("command.txt")).lines().anyMatch(l -> l.equals("exit: 0")));
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }
}
