package socklab.peers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One running peer: started as a child process, its address learnt from the line it prints (or, for
 * nginx, chosen free beforehand), checked to answer {@code GET /} with 200 and {@code hello\n}, and
 * stopped with SIGTERM. Its stdout and stderr go to files in its own directory, so a full pipe can
 * never stall it and a failure can quote the last line. Every failure is an IOException whose message
 * names the peer and the cause.
 */
final class PeerProcess implements AutoCloseable {
    /** "listening on http://127.0.0.1:PORT/" (socklab serve) or "listening on 127.0.0.1:PORT" (cserver, netty, nio). */
    private static final Pattern LISTENING = Pattern.compile("listening on (?:http://)?\\[?([0-9a-fA-F.:]+?)\\]?:(\\d+)");
    /** JVMs on a 2-core machine that other jobs share can take seconds to start. */
    private static final long START_TIMEOUT_MS = 60_000;
    /**
     * The probe's bound on the first answer, which carries the server's lazy set-up (Netty loads and
     * initialises its HTTP codec on the first request): more than 5 s was seen with a dozen JVMs starting
     * at once on 2 busy cores.
     */
    private static final int PROBE_TIMEOUT_MS = 30_000;
    private static final long STOP_TIMEOUT_MS = 10_000;
    private static final int NGINX_PORT_TRIES = 3;

    /** Where the programs are. */
    record Launcher(Path root, String host, Path java, String classpath, Path nginx) {
        static Launcher of(Path root, String host) {
            Path nginx = findOnPath("nginx", Path.of("/usr/sbin/nginx"));
            return new Launcher(root, host, Path.of(System.getProperty("java.home"), "bin", "java"),
                    System.getProperty("java.class.path"), nginx);
        }

        Path cserver() {
            return root.resolve("native/build/cserver");
        }

        /** Null when {@code family} can run here; otherwise the command that makes it available. */
        String missing(Peer.Family family) {
            return switch (family) {
                case C -> Files.isExecutable(cserver()) ? null : family.install;
                case NGINX -> nginx != null ? null : family.install;
                case SOCKLAB, NETTY, NIO -> null;
            };
        }

        private List<String> javaCommand(String mainClass, String command) {
            return new ArrayList<>(List.of(java.toString(), "@" + root.resolve("jvm.options"), "-cp", classpath, mainClass, command));
        }
    }

    final Peer peer;
    final InetSocketAddress address;
    /** The head of the answer to the probe's GET /, lines joined by \n. */
    final String responseHead;
    /** Head and body of that answer, in bytes. */
    final int responseBytes;
    private final Process process;
    private final Path dir;

    private PeerProcess(Peer peer, Process process, Path dir, InetSocketAddress address, String responseHead, int responseBytes) {
        this.peer = peer;
        this.process = process;
        this.dir = dir;
        this.address = address;
        this.responseHead = responseHead;
        this.responseBytes = responseBytes;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Starts {@code peer} with its files under {@code workDir/<id>}; returns once it has answered GET /. */
    static PeerProcess start(Peer peer, Launcher launcher, Path workDir) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(workDir.resolve(peer.id()));
        if (peer.family() != Peer.Family.NGINX) {
            Process process = spawn(command(peer, launcher), dir);
            InetSocketAddress address = awaitAddressLine(peer, process, dir);
            return probed(peer, process, dir, address);
        }
        for (int attempt = 1; ; attempt++) { // the free port can be taken by someone else before nginx binds it
            int port = freePort(launcher.host());
            Path conf = NginxConfig.write(dir, launcher.host(), port, peer.workers(), peer.reuseport());
            Process process = spawn(List.of(launcher.nginx().toString(), "-p", dir.toString(), "-c", conf.toString(),
                    "-e", dir.resolve(NginxConfig.ERROR_LOG).toString()), dir);
            InetSocketAddress address = new InetSocketAddress(launcher.host(), port);
            try {
                awaitConnectable(peer, process, dir, address);
                return probed(peer, process, dir, address);
            } catch (IOException e) {
                stopQuietly(process);
                if (attempt == NGINX_PORT_TRIES || !e.getMessage().contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static List<String> command(Peer peer, Launcher launcher) {
        List<String> cmd = switch (peer.family()) {
            case SOCKLAB -> launcher.javaCommand("socklab.cli.Main", "serve");
            case NETTY, NIO -> launcher.javaCommand(PeersMain.class.getName(), "serve");
            case C -> new ArrayList<>(List.of(launcher.cserver().toString()));
            case NGINX -> throw new IllegalArgumentException("nginx is started from its generated configuration");
        };
        cmd.addAll(peer.args());
        cmd.addAll(List.of("--host", launcher.host(), "--port", "0"));
        return cmd;
    }

    private static Process spawn(List<String> command, Path dir) throws IOException {
        return new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .redirectError(dir.resolve("stderr.log").toFile())
                .start();
    }

    private static InetSocketAddress awaitAddressLine(Peer peer, Process process, Path dir) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(Files.readString(dir.resolve("stdout.log")));
            if (m.find()) {
                return new InetSocketAddress(InetAddress.getByName(m.group(1)), Integer.parseInt(m.group(2)));
            }
            if (process.waitFor(20, TimeUnit.MILLISECONDS)) {
                throw new IOException(peer.id() + " exited with " + process.exitValue() + " before listening: " + lastLine(dir));
            }
        }
        stopQuietly(process);
        throw new IOException(peer.id() + " printed no 'listening on' line within " + START_TIMEOUT_MS / 1000 + " s: " + lastLine(dir));
    }

    private static void awaitConnectable(Peer peer, Process process, Path dir, InetSocketAddress address)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            if (process.waitFor(20, TimeUnit.MILLISECONDS)) {
                throw new IOException(peer.id() + " exited with " + process.exitValue() + " before listening: " + lastLine(dir));
            }
            try (Socket s = new Socket()) {
                s.connect(address, 1000);
                return;
            } catch (IOException notYet) {
                // not listening yet: poll again until the deadline
            }
        }
        throw new IOException(peer.id() + " did not listen on " + address + " within " + START_TIMEOUT_MS / 1000 + " s: " + lastLine(dir));
    }

    private static PeerProcess probed(Peer peer, Process process, Path dir, InetSocketAddress address) throws IOException {
        try {
            Probe answer = probe(address, PROBE_TIMEOUT_MS);
            if (!answer.head.startsWith("HTTP/1.1 200 ") || !answer.body.equals("hello\n")) {
                throw new IOException(peer.id() + " answered GET / with '" + answer.head.lines().findFirst().orElse("")
                        + "' and body '" + answer.body.strip() + "', not 200 and hello");
            }
            return new PeerProcess(peer, process, dir, address, answer.head, answer.bytes);
        } catch (IOException e) {
            stopQuietly(process);
            throw e.getMessage() != null && e.getMessage().startsWith(peer.id()) ? e
                    : new IOException(peer.id() + ": GET / on " + address + " failed: " + e.getMessage(), e);
        }
    }

    private record Probe(String head, String body, int bytes) {}

    /** One GET / on a fresh connection: the head (lines joined by \n) and the body read by Content-Length. */
    static Probe probe(InetSocketAddress address, int timeoutMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                int b = in.read();
                if (b < 0 || head.length() > 8192) {
                    throw new IOException("the connection closed before a whole response head");
                }
                head.append((char) b);
            }
            Matcher length = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)").matcher(head);
            byte[] body = in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
            String text = head.toString().strip().replace("\r\n", "\n");
            return new Probe(text, new String(body, StandardCharsets.US_ASCII), head.length() + body.length);
        }
    }

    /** SIGTERM, then wait; the outcome in words ("exit 0 on SIGTERM after 35 ms"), or what had to be done. */
    String stop() throws InterruptedException {
        if (!process.isAlive()) {
            return "had exited already with " + process.exitValue() + ": " + lastLine(dir);
        }
        long start = System.nanoTime();
        process.destroy(); // SIGTERM
        if (process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            return "exit " + process.exitValue() + " on SIGTERM after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms";
        }
        stopQuietly(process);
        return "still running " + STOP_TIMEOUT_MS / 1000 + " s after SIGTERM: killed";
    }

    /** Whether a stop outcome is a clean stop: 0, or 143 for a JVM whose shutdown hook closed it on SIGTERM. */
    static boolean cleanStop(String outcome) {
        return outcome.startsWith("exit 0 ") || outcome.startsWith("exit 143 ");
    }

    @Override
    public void close() {
        stopQuietly(process);
    }

    /** SIGKILL for the process and whatever it started (nginx's workers), if still there. */
    static void stopQuietly(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A port free on {@code host} now (nginx cannot report the one the kernel would pick for port 0). */
    private static int freePort(String host) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    /** The last non-blank line of the peer's stderr (nginx: its error log), for failure messages. */
    private static String lastLine(Path dir) {
        for (String name : List.of(NginxConfig.ERROR_LOG, "stderr.log")) {
            try {
                Path file = dir.resolve(name);
                if (Files.exists(file)) {
                    List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
                    if (!lines.isEmpty()) {
                        return lines.getLast().strip();
                    }
                }
            } catch (IOException e) {
                return "(" + name + " unreadable: " + e.getMessage() + ")";
            }
        }
        return "(nothing on stderr)";
    }

    /** {@code name} on the PATH, else {@code fallback} when it is executable, else null. */
    static Path findOnPath(String name, Path fallback) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fallback != null && Files.isExecutable(fallback) ? fallback : null;
    }
}
