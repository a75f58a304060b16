package socklab.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.StringWriter;
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
import socklab.sys.SocketOption;
import socklab.sys.Sockets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code socklab serve}: its one line, clean stop on SIGTERM and SIGINT, and one-line usage errors. */
class ServeCommandTest {
    private static final Pattern LINE = Pattern.compile(
            "socklab serve: model=reuseport steer=hash workers=2 binding=ffm listening on http://127\\.0\\.0\\.1:(\\d+)/ "
                    + "\\(pid (\\d+)\\); stop with Ctrl-C or kill -TERM \\2");

    private final CapturedCli cli = new CapturedCli();
    private final StringWriter out = cli.out;
    private final StringWriter err = cli.err;

    private int run(String... args) {
        return cli.run(args);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--workers 0                       | --workers must be 1..1024, got 0",
            "--model nope                      | unknown model 'nope': choose one of single, acceptor-readers, dispatcher-workers, shared-accept, reuseport",
            "--model single --workers 2        | --model single runs one thread",
            "--model single --accept blocking  | --accept applies to --model shared-accept only",
            "--model shared-accept --accept x  | unknown accept mode 'x': choose one of blocking, epoll, exclusive, mutex",
            "--model reuseport --steer x       | unknown steering 'x': choose one of hash, cpu",
            "--host localhost                  | --host must be an IP address",
            "--binding nope                    | unknown binding 'nope'",
            "--port 70000                      | --port must be 0..65535",
            "--max-head-bytes 10               | --max-head-bytes must be 256..1048576"})
    void badValueIsOneLineNamingItThenUsageAndExitTwo(String args, String expected) {
        assertEquals(2, run(("serve " + args.trim()).split(" ")));
        String first = err.toString().lines().findFirst().orElseThrow();
        assertTrue(first.startsWith("socklab: ") && first.contains(expected), first);
        assertTrue(err.toString().contains("Usage: socklab serve"), err.toString());
    }

    @Test
    void portInUseIsOneLineWithTheFixAndExitTwo() {
        int taken = Sockets.listenTcp(new InetSocketAddress("127.0.0.1", 0), 4, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEADDR);
        try {
            int port = Sockets.localAddress(taken).getPort();
            assertEquals(2, run("serve", "--port", Integer.toString(port)));
            assertEquals(List.of("socklab: serve: bind(127.0.0.1:" + port + "): EADDRINUSE (Address already in use): "
                    + "another socket listens there; pick another --port, or --port 0 for a free one"), err.toString().lines().toList());
            assertEquals("", out.toString());
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

    /** {@code serve} in a JVM of its own, as ./socklab runs it. */
    private static Process startServe() throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("@" + jvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--model", "reuseport", "--workers", "2", "--port", "0"));
        return new ProcessBuilder(command).start();
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
