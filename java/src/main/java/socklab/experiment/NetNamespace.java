package socklab.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import socklab.kernel.ProcFs;

/**
 * Whose network namespace an experiment runs in. TCP counters (ListenOverflows, …) and the sysctls
 * that shape the queues are per namespace: in the host's, a delta counts every other process's
 * traffic too. So, when root, an experiment runs in a child JVM inside a namespace of its own:
 * {@code unshare --net}, then {@code ip link set lo up} (a new namespace has only a loopback, and it is
 * down), then the JVM. The child learns it from {@link #MARK} and checks it really is in a namespace
 * other than init's before it says so in its results.
 */
public final class NetNamespace {
    private NetNamespace() {}

    /** Set to "1" in the environment of a child started by {@link #wrap}. */
    public static final String MARK = "SOCKLAB_OWN_NETNS";
    private static final List<String> SEARCH_PATH = List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin");

    /** This process's namespace, {@code net:[4026531840]}, or "unknown" without procfs. */
    public static String current() {
        return ProcFs.DEFAULT.networkNamespace();
    }

    /** True when a {@link #wrap}ped launch put this JVM in a namespace of its own (not init's). */
    public static boolean own() {
        if (!"1".equals(System.getenv(MARK))) {
            return false;
        }
        String mine = current();
        return !mine.equals("unknown") && !mine.equals(initNamespace());
    }

    /** One line for results and the report: whose traffic the counter deltas include. */
    public static String scope() {
        return own()
                ? "own network namespace " + current() + ", created for this experiment: counter deltas are its traffic alone"
                : "shared network namespace " + current() + " (not root, or unshare/ip missing): other processes' traffic "
                        + "can add to the counter deltas";
    }

    /**
     * {@code command} run inside a new network namespace with loopback up, or empty (with the reason in
     * {@code why}) when that is not possible here: not root, or no unshare or ip.
     */
    public static Optional<List<String>> wrap(List<String> command, StringBuilder why) {
        if (!isRoot()) {
            why.append("not root: unshare --net needs CAP_SYS_ADMIN");
            return Optional.empty();
        }
        Optional<Path> unshare = find("unshare");
        Optional<Path> ip = find("ip");
        if (unshare.isEmpty() || ip.isEmpty()) {
            why.append("no ").append(unshare.isEmpty() ? "unshare (util-linux)" : "ip (iproute2)").append(" on this machine");
            return Optional.empty();
        }
        List<String> wrapped = new ArrayList<>(List.of(unshare.get().toString(), "--net", "--", "/bin/sh", "-c",
                ip.get() + " link set lo up && exec \"$@\"", "socklab-netns"));
        wrapped.addAll(command);
        return Optional.of(wrapped);
    }

    private static boolean isRoot() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .filter(l -> l.startsWith("Uid:")).findFirst()
                    .map(l -> l.split("\\s+")[2].equals("0")).orElse(false); // the effective uid
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<Path> find(String tool) {
        return SEARCH_PATH.stream().map(dir -> Path.of(dir, tool)).filter(Files::isExecutable).findFirst();
    }

    /** The namespace of pid 1, the one the machine's processes share unless told otherwise. */
    private static String initNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/1/ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }
}
