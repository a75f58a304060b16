package socklab.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real nginx as a retrying reverse proxy in front of socklab backends: a configuration generated
 * into a directory of its own (pid, logs and temp files there too), listening on a free loopback
 * port, started and stopped by this object.
 *
 * <p>It runs with {@code master_process off}: one process, so stopping it leaves no worker behind
 * (the proxy logic is the same as under a master). Every backend has {@code max_fails=0}: nginx never
 * marks one down, so a fault on one request does not change where the next ones go. The access log
 * records {@code $upstream_addr} and {@code $upstream_status}: one entry per try, which is how nginx's
 * own retries are counted.
 */
public final class Nginx implements AutoCloseable {
    /** What to tell a user without nginx. */
    public static final String INSTALL_HINT = "nginx is not installed: install it with 'apt-get install -y nginx' "
            + "(Debian) to run the proxy part";
    private static final List<Path> WELL_KNOWN = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/local/sbin/nginx"),
            Path.of("/usr/local/nginx/sbin/nginx"));
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final int PORT_ATTEMPTS = 5;

    /**
     * How nginx proxies.
     *
     * @param backends       the upstream servers, tried round-robin
     * @param nonIdempotent  whether {@code proxy_next_upstream} includes {@code non_idempotent} (retry POST too)
     * @param readTimeout    {@code proxy_read_timeout}: a backend slower than this is a "timeout" failure
     */
    public record Proxy(List<InetSocketAddress> backends, boolean nonIdempotent, Duration readTimeout) {
        /** The {@code proxy_next_upstream} value. */
        public String nextUpstream() {
            return "error timeout" + (nonIdempotent ? " non_idempotent" : "");
        }
    }

    /** One access-log line: the request, the status sent to the client, and every upstream tried, in order. */
    public record AccessEntry(String method, String uri, int status, List<String> upstreams, List<String> upstreamStatuses) {
        /** Tries beyond the first: nginx's retries for this request. */
        public int retries() {
            return Math.max(0, upstreams.size() - 1);
        }
    }

    private final Path dir;
    private final Process process;
    private final InetSocketAddress address;

    private Nginx(Path dir, Process process, InetSocketAddress address) {
        this.dir = dir;
        this.process = process;
        this.address = address;
    }

    /** The nginx binary on PATH or in a usual place, if there is one. */
    public static Optional<Path> binary() {
        Stream<Path> onPath = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "nginx"));
        return Stream.concat(onPath, WELL_KNOWN.stream()).filter(Files::isExecutable).findFirst();
    }

    /**
     * Starts nginx from {@code binary} with its files in {@code dir} (created), on a free port of
     * 127.0.0.1; returns once it accepts connections. The port is found by binding port 0 and handing
     * it over, so another process may take it in between: nginx then fails to bind, and another port
     * is tried.
     */
    public static Nginx start(Path binary, Path dir, Proxy proxy) {
        try {
            Files.createDirectories(dir.resolve("tmp"));
            String lastError = "";
            for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
                InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort());
                Files.writeString(dir.resolve("nginx.conf"), config(dir, address, proxy));
                Files.deleteIfExists(dir.resolve("error.log"));
                Process process = new ProcessBuilder(binary.toString(), "-p", dir.toString(),
                        "-c", dir.resolve("nginx.conf").toString(), "-e", dir.resolve("error.log").toString())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("nginx.out").toFile())
                        .start();
                if (awaitListening(process, address)) {
                    return new Nginx(dir, process, address);
                }
                Processes.stop(process, Duration.ofSeconds(5));
                lastError = lastErrorLine(dir);
                if (!lastError.contains("Address already in use")) {
                    break;
                }
            }
            throw new IllegalStateException("nginx did not start (" + lastError + "); its files are in " + dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start nginx from " + binary + ": " + e.getMessage(), e);
        }
    }

    /** The generated configuration. */
    static String config(Path dir, InetSocketAddress listen, Proxy proxy) {
        String servers = proxy.backends().stream()
                .map(b -> "    server " + b.getAddress().getHostAddress() + ":" + b.getPort() + " max_fails=0;")
                .collect(Collectors.joining("\n"));
        String temp = Stream.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                .map(t -> "  " + t + "_temp_path " + dir.resolve("tmp").resolve(t) + ";")
                .collect(Collectors.joining("\n"));
        return """
                # Generated by socklab experiment idempotency.
                daemon off;
                master_process off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log notice;
                events {
                  worker_connections 512;
                }
                http {
                  log_format tries '$request_method|$request_uri|$status|$upstream_addr|$upstream_status';
                  access_log %1$s/access.log tries;
                %2$s
                  upstream socklab {
                %3$s
                  }
                  server {
                    listen %4$s:%5$d;
                    location / {
                      proxy_pass http://socklab;
                      proxy_next_upstream %6$s;
                      proxy_connect_timeout 1s;
                      proxy_send_timeout 1s;
                      proxy_read_timeout %7$dms;
                    }
                  }
                }
                """.formatted(dir, temp, servers, listen.getAddress().getHostAddress(), listen.getPort(),
                proxy.nextUpstream(), proxy.readTimeout().toMillis());
    }

    public InetSocketAddress address() {
        return address;
    }

    /** {@code nginx/1.22.1}, from {@code nginx -v}; "unknown" if it says nothing usable. */
    public static String version(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "-v").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            return out.startsWith("nginx version: ") ? out.substring("nginx version: ".length()) : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** The access log so far, one entry per request (complete once nginx is stopped). */
    public List<AccessEntry> accessLog() {
        Path log = dir.resolve("access.log");
        try {
            if (!Files.exists(log)) {
                return List.of();
            }
            return Files.readAllLines(log).stream().filter(l -> !l.isBlank()).map(Nginx::entry).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read nginx's access log " + log, e);
        }
    }

    private static AccessEntry entry(String line) {
        String[] f = line.split("\\|", -1);
        if (f.length != 5) {
            throw new IllegalStateException("unexpected nginx access-log line: " + line);
        }
        return new AccessEntry(f[0], f[1], Integer.parseInt(f[2]), tries(f[3]), tries(f[4]));
    }

    /** {@code a, b : c}: nginx separates tries with a comma and internal redirects with a colon. */
    private static List<String> tries(String field) {
        return field.equals("-") ? List.of() : Arrays.stream(field.split("\\s*[,:]\\s+")).toList();
    }

    /** Stops nginx (SIGTERM: fast shutdown) and waits for it. */
    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(5));
    }

    private static boolean awaitListening(Process process, InetSocketAddress address) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket probe = new Socket()) {
                probe.connect(address, 200);
                return process.isAlive();
            } catch (IOException notYet) {
                try {
                    process.waitFor(20, TimeUnit.MILLISECONDS); // returns at once if nginx exits
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String lastErrorLine(Path dir) {
        for (String name : List.of("error.log", "nginx.out")) {
            try {
                List<String> lines = Files.readAllLines(dir.resolve(name));
                for (int i = lines.size() - 1; i >= 0; i--) {
                    if (lines.get(i).contains("[emerg]") || lines.get(i).contains("[alert]") || lines.get(i).contains("[crit]")) {
                        return lines.get(i);
                    }
                }
            } catch (IOException ignored) {
                // try the other file
            }
        }
        return "no error in its logs";
    }
}
