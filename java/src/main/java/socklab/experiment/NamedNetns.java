package socklab.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import socklab.sys.Processes;

/**
 * A network namespace made for one run with {@code ip netns add}, for runs that set a sysctl of their
 * own (net.ipv4.tcp_migrate_req): its loopback is brought up, processes are started in it with
 * {@code ip netns exec}, and a process inside sets sysctls only after it has checked that it is in this
 * namespace ({@link #setSysctlInside}), so the host's value is never touched. {@link #close} kills
 * whatever still runs in it ({@code ip netns pids}) and deletes it, whatever happened before.
 * Needs root and iproute2.
 */
public final class NamedNetns implements AutoCloseable {
    private static final Path RUN_NETNS = Path.of("/run/netns");
    private static final long KILL_WAIT_MILLIS = 10_000;

    private final String name;

    private NamedNetns(String name) {
        this.name = name;
    }

    /** {@code ip netns add NAME}, then loopback up inside; a failure deletes what was made and says why. */
    public static NamedNetns create(String name) {
        ip("netns", "add", name);
        NamedNetns netns = new NamedNetns(name);
        try {
            ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
            return netns;
        } catch (RuntimeException e) {
            netns.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** {@code command} run inside the namespace: {@code ip netns exec NAME command…} (an argv, no shell). */
    public List<String> exec(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", name));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Whether this process runs in the namespace called {@code name}: the inodes of the two net namespaces agree. */
    public static boolean inside(String name) {
        try {
            String mine = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[4026532177]
            long inode = (Long) Files.getAttribute(RUN_NETNS.resolve(name), "unix:ino");
            return mine.equals("net:[" + inode + "]");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Sets {@code key} (such as {@code net.ipv4.tcp_migrate_req}) to {@code value} in this process's
     * network namespace, and returns the value read back; refuses unless the process is inside the
     * namespace called {@code name}, so that it never changes the host's.
     */
    public static String setSysctlInside(String name, String key, String value) {
        if (!inside(name)) {
            throw new IllegalStateException("not setting " + key + ": this process is not in network namespace " + name
                    + " (it would change another namespace's, perhaps the host's)");
        }
        Path file = Path.of("/proc/sys", key.replace('.', '/'));
        try {
            Files.writeString(file, value);
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set " + key + " in network namespace " + name + ": " + e.getMessage(), e);
        }
    }

    /** Kills every process still in the namespace (SIGKILL, waited for), then {@code ip netns delete}. */
    @Override
    public void close() {
        List<Integer> pids = new ArrayList<>();
        for (String line : ip("netns", "pids", name).lines().toList()) {
            if (!line.isBlank()) {
                pids.add(Integer.parseInt(line.strip()));
            }
        }
        pids.forEach(pid -> Processes.signal(pid, Processes.SIGKILL));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_WAIT_MILLIS);
        for (int pid : pids) {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        ip("netns", "delete", name);
    }

    /** Runs {@code ip ARGS}; its output, or one line naming the command, its output and the likely fix. */
    private static String ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 30 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.strip()
                        + " (network namespaces need root and iproute2)");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run ip (install iproute2): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }
}
