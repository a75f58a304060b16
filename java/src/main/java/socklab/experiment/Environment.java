package socklab.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine an experiment ran on, read when it starts, from inside its network namespace (the net.*
 * sysctls are per namespace, so a fresh namespace may differ from the host).
 *
 * @param kernel        /proc/sys/kernel/osrelease
 * @param cpus          processors this JVM may use (Runtime.availableProcessors)
 * @param cpuModel      the first "model name" of /proc/cpuinfo
 * @param memTotal      MemTotal of /proc/meminfo
 * @param jdk           vendor and version of this JVM
 * @param gitSha        the commit socklab was built from (with -dirty for uncommitted changes)
 * @param sysctls       the settings that shape accept queues and handshakes, as read
 * @param netns         the network namespace ({@code net:[…]})
 * @param ownNetns      true when the namespace was created for this experiment alone
 * @param countersScope one line on whose traffic the counter deltas count
 * @param loadAverage   /proc/loadavg at the start: other work on the machine competes for the same cores
 */
public record Environment(String kernel, int cpus, String cpuModel, String memTotal, String jdk, String gitSha,
                          Map<String, String> sysctls, String netns, boolean ownNetns, String countersScope,
                          String loadAverage) {

    private static final List<String> SYSCTLS = List.of(
            "net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_syn_retries",
            "net.ipv4.tcp_synack_retries", "net.ipv4.tcp_abort_on_overflow", "net.ipv4.tcp_tw_reuse",
            "net.ipv4.ip_local_port_range", "net.ipv4.tcp_migrate_req");

    public static Environment capture(String gitSha) {
        Map<String, String> sysctls = new LinkedHashMap<>();
        for (String name : SYSCTLS) {
            sysctls.put(name, read("/proc/sys/" + name.replace('.', '/')).replaceAll("\\s+", " "));
        }
        return new Environment(read("/proc/sys/kernel/osrelease"), Runtime.getRuntime().availableProcessors(),
                field("/proc/cpuinfo", "model name"), field("/proc/meminfo", "MemTotal"),
                System.getProperty("java.vm.vendor") + " " + Runtime.version(), gitSha, sysctls,
                NetNamespace.current(), NetNamespace.own(), NetNamespace.scope(), read("/proc/loadavg"));
    }

    /** One line for a report: kernel, CPUs, JDK. */
    public String describe() {
        return "Linux " + kernel + ", " + cpus + " CPUs (" + cpuModel + "), " + memTotal + ", " + jdk;
    }

    /**
     * The whole file in one read: a /proc/sys handler answers only a read at offset 0 (a second read
     * gets end of file), and Files.readString of a file whose size shows as 0 reads it in small pieces.
     */
    private static String read(String file) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "unavailable";
        }
    }

    private static String field(String file, String name) {
        return read(file).lines().filter(l -> l.startsWith(name)).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown");
    }
}
