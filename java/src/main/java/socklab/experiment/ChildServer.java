package socklab.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code socklab serve} in a JVM of its own ({@link SocklabJvm}), so that it can be killed with
 * SIGKILL. Its output goes to a log file, where the address it listens on is read from the line
 * {@code serve} prints once it is ready, and with {@code --processes} the worker pids from the same line.
 * Public for the tests of socklab.server that measure a server in a JVM of its own (LeakTest).
 */
public final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://(\\d+\\.\\d+\\.\\d+\\.\\d+):(\\d+)/ \\(([^)]*)\\)");
    private static final Pattern WORKER_PIDS = Pattern.compile("worker pids ([\\d ]+)$");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final InetSocketAddress address;
    private final List<Long> workerPids;

    private ChildServer(Process process, InetSocketAddress address, List<Long> workerPids) {
        this.process = process;
        this.address = address;
        this.workerPids = workerPids;
    }

    /** Starts {@code socklab serve ARGS} and returns once it listens; its output is in {@code log}. */
    static ChildServer start(List<String> serveArgs, Path log) {
        return start(List.of(), serveArgs, log);
    }

    /** As {@link #start(List, Path)}, in a JVM that gets {@code jvmFlags} after those it inherits from this one. */
    public static ChildServer start(List<String> jvmFlags, List<String> serveArgs, Path log) {
        // sqlite-jdbc unpacks its native library into a temp directory and deletes it at exit, which a
        // SIGKILL prevents: let it unpack beside the log, in the experiment's scratch directory.
        List<String> flags = new ArrayList<>(jvmFlags);
        flags.add("-Dorg.sqlite.tmpdir=" + log.toAbsolutePath().getParent());
        List<String> command = new ArrayList<>(SocklabJvm.command(flags, List.of("serve")));
        command.addAll(serveArgs);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return awaitListening(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    private static ChildServer awaitListening(Process process, Path log) throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(Files.readString(log));
            if (m.find()) {
                Matcher workers = WORKER_PIDS.matcher(m.group(3));
                List<Long> pids = workers.find() ? Arrays.stream(workers.group(1).split(" ")).map(Long::parseLong).toList() : List.of();
                return new ChildServer(process, new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))), pids);
            }
            try {
                if (process.waitFor(20, TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("socklab serve exited with " + process.exitValue() + " before listening: "
                            + Files.readString(log).strip());
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while socklab serve started");
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("socklab serve did not say it listens within " + START_TIMEOUT.toSeconds()
                + " s; its output is in " + log);
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The pid of {@code serve}; with {@code --processes}, the supervising parent's. */
    public long pid() {
        return process.pid();
    }

    /** With {@code --processes}, the pids of the worker processes as serve printed them at the start; otherwise none. */
    public List<Long> workerPids() {
        return workerPids;
    }

    /** SIGKILL, and waits until the process is gone: nothing it did not commit survives. */
    void kill9() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** SIGTERM (serve stops cleanly), SIGKILL if it takes more than 10 s; returns the exit status (137 after a SIGKILL). */
    int terminate() {
        Processes.stop(process, Duration.ofSeconds(10));
        return process.exitValue();
    }

    @Override
    public void close() {
        terminate();
    }
}
