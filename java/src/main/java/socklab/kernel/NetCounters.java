package socklab.kernel;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel's SNMP and extended network counters, read from {@code /proc/net/snmp} (Ip, Icmp, Tcp,
 * Udp, …) and {@code /proc/net/netstat} (TcpExt, IpExt, MPTcpExt), every counter of every group,
 * named as {@code nstat} names them: group and counter joined, {@code TcpExtListenOverflows},
 * {@code TcpActiveOpens}.
 *
 * <p>They belong to a network namespace, not to a process: a delta counts everything every process
 * in the namespace did meanwhile. Snapshots carry the namespace ({@code net:[…]}) so output can say so.
 */
public final class NetCounters {
    private NetCounters() {}

    /** What ss and nstat users read first when a listener is in trouble; printed even when they did not move. */
    public static final List<String> KEY = List.of(
            "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop", "TcpExtTCPReqQFullDoCookies",
            "TcpExtSyncookiesSent", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed", "TcpExtTCPTimeouts",
            "TcpActiveOpens", "TcpPassiveOpens", "TcpAttemptFails", "TcpEstabResets", "TcpRetransSegs");

    /**
     * Values that are not counters: CurrEstab is a gauge (connections now established), the Rto*
     * and MaxConn fields are constants. Their delta is a change of level, not a number of events.
     */
    public static final Set<String> GAUGES = Set.of("TcpCurrEstab", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax", "TcpMaxConn");

    /** The {@link #KEY} entries of {@code counters}, in KEY's order. */
    private static Map<String, Long> keyOf(Map<String, Long> counters) {
        Map<String, Long> key = new LinkedHashMap<>();
        KEY.stream().filter(counters::containsKey).forEach(name -> key.put(name, counters.get(name)));
        return key;
    }

    private static final String PURPOSE = "the kernel's network counters (nstat's TcpExt*, Tcp*, …)";

    /** One reading of every counter; {@code nanoTime} orders and times snapshots. */
    public record Snapshot(Instant at, long nanoTime, String netns, Map<String, Long> values) {
        /** The value of {@code name}; fails naming it when this kernel has no such counter. */
        public long get(String name) {
            Long value = values.get(name);
            if (value == null) {
                throw new IllegalArgumentException("no counter " + name + " in " + netns + " (this kernel does not export it)");
            }
            return value;
        }

        /** The {@link #KEY} counters this kernel has, with their values. */
        public Map<String, Long> key() {
            return keyOf(values);
        }

        /** What changed between this snapshot and {@code later}, every counter in file order. */
        public Delta to(Snapshot later) {
            Map<String, Long> changes = new LinkedHashMap<>();
            later.values.forEach((name, value) -> changes.put(name, value - values.getOrDefault(name, 0L)));
            return new Delta(Duration.ofNanos(later.nanoTime - nanoTime), netns, Collections.unmodifiableMap(changes));
        }
    }

    /** Counter changes over {@code over}, in namespace {@code netns}. */
    public record Delta(Duration over, String netns, Map<String, Long> changes) {
        public long get(String name) {
            return changes.getOrDefault(name, 0L);
        }

        /**
         * The {@link #KEY} counters, moved or not, then every other counter of the Tcp and TcpExt groups
         * (the names starting with {@code Tcp}) that moved; in file order.
         */
        public Map<String, Long> tcp() {
            Map<String, Long> shown = keyOf(changes);
            changes.forEach((name, change) -> {
                if (change != 0 && name.startsWith("Tcp")) {
                    shown.putIfAbsent(name, change);
                }
            });
            return shown;
        }

        /** One line saying whose counters these are, for every printed or saved delta. */
        public String scope() {
            return "network namespace " + netns + " (counters are per namespace: they count every process in it)";
        }
    }

    /** Reads every counter of {@code net/snmp} and {@code net/netstat} under {@code proc}. */
    public static Snapshot read(ProcFs proc) {
        Instant at = Instant.now();
        long nanoTime = System.nanoTime();
        Map<String, Long> values = new LinkedHashMap<>();
        for (String file : List.of("net/snmp", "net/netstat")) {
            parse(proc.read(file, PURPOSE), proc.resolve(file).toString(), values);
        }
        return new Snapshot(at, nanoTime, proc.networkNamespace(), Collections.unmodifiableMap(values));
    }

    /**
     * Parses the two-line format both files share: a line {@code Group: Name1 Name2 …} followed by a
     * line {@code Group: value1 value2 …}, for each group. Values are signed (Tcp MaxConn is -1).
     */
    static void parse(String text, String file, Map<String, Long> into) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        if (lines.size() % 2 != 0) {
            throw new IllegalStateException(file + ": " + lines.size() + " lines, expected pairs of a name line and a value line");
        }
        for (int i = 0; i < lines.size(); i += 2) {
            String[] names = lines.get(i).trim().split("\\s+");
            String[] values = lines.get(i + 1).trim().split("\\s+");
            String group = names[0];
            if (!group.endsWith(":") || !group.equals(values[0]) || names.length != values.length) {
                throw new IllegalStateException(file + ": line " + (i + 1) + " (" + group + " " + (names.length - 1)
                        + " names) and line " + (i + 2) + " (" + values[0] + " " + (values.length - 1) + " values) do not pair up");
            }
            String prefix = group.substring(0, group.length() - 1);
            for (int k = 1; k < names.length; k++) {
                try {
                    into.put(prefix + names[k], Long.parseLong(values[k]));
                } catch (NumberFormatException e) {
                    throw new IllegalStateException(file + ": line " + (i + 2) + ": " + prefix + names[k] + " is '" + values[k] + "', not a number", e);
                }
            }
        }
    }
}
