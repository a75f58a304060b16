package socklab.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import socklab.sys.Loopback;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /proc/net/snmp and /proc/net/netstat, parsed generically and checked against nstat. */
class NetCountersTest {
    private static final String SNMP = """
            Ip: Forwarding DefaultTTL InReceives
            Ip: 1 64 1000
            Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens CurrEstab RetransSegs
            Tcp: 1 200 120000 -1 %d 61 4 0
            """;
    private static final String NETSTAT = """
            TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPTimeouts
            TcpExt: 0 %d %d 2
            IpExt: InOctets OutOctets
            IpExt: 500 600
            """;

    private static ProcFs fakeProc(Path root, int activeOpens, int overflows) throws IOException {
        Files.createDirectories(root.resolve("net"));
        Files.writeString(root.resolve("net/snmp"), SNMP.formatted(activeOpens));
        Files.writeString(root.resolve("net/netstat"), NETSTAT.formatted(overflows, overflows));
        return new ProcFs(root);
    }

    @Test
    void everyGroupIsParsedUnderNstatNames(@TempDir Path dir) throws IOException {
        NetCounters.Snapshot s = NetCounters.read(fakeProc(dir, 87, 5));
        assertEquals(List.of("IpForwarding", "IpDefaultTTL", "IpInReceives", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax",
                "TcpMaxConn", "TcpActiveOpens", "TcpPassiveOpens", "TcpCurrEstab", "TcpRetransSegs", "TcpExtSyncookiesSent",
                "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPTimeouts", "IpExtInOctets", "IpExtOutOctets"),
                new ArrayList<>(s.values().keySet()));
        assertEquals(-1, s.get("TcpMaxConn"), "values are signed");
        assertEquals(87, s.get("TcpActiveOpens"));
        assertEquals(600, s.get("IpExtOutOctets"));
        assertEquals("unknown", s.netns(), "a fake procfs has no self/ns/net link");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.get("TcpExtNoSuchCounter"));
        assertEquals("no counter TcpExtNoSuchCounter in unknown (this kernel does not export it)", e.getMessage());
    }

    @Test
    void deltaShowsKeyCountersAlwaysAndOthersWhenTheyMoved(@TempDir Path dir) throws IOException {
        NetCounters.Snapshot before = NetCounters.read(fakeProc(dir.resolve("a"), 87, 5));
        NetCounters.Snapshot after = NetCounters.read(fakeProc(dir.resolve("b"), 90, 12));
        NetCounters.Delta delta = before.to(after);
        assertEquals(7, delta.get("TcpExtListenOverflows"));
        assertEquals(3, delta.get("TcpActiveOpens"));
        Map<String, Long> tcp = delta.tcp();
        assertEquals(List.of("TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtSyncookiesSent", "TcpExtTCPTimeouts",
                "TcpActiveOpens", "TcpPassiveOpens", "TcpRetransSegs"), new ArrayList<>(tcp.keySet()),
                "the key counters this kernel has, in KEY order; no other Tcp counter moved; Ip groups are not TCP");
        assertTrue(delta.scope().contains("per namespace"), delta.scope());
        assertTrue(delta.over().toNanos() >= 0);
    }

    @Test
    void aMissingProcFileGivesOneMessageNamingTheFileAndTheCause(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("net"));
        Files.writeString(dir.resolve("net/snmp"), SNMP.formatted(1));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> NetCounters.read(new ProcFs(dir)));
        assertEquals(dir.resolve("net/netstat") + " is missing: the kernel's network counters (nstat's TcpExt*, Tcp*, …)"
                + " come from it (is procfs mounted at " + dir + "?)", e.getMessage());
    }

    @Test
    void linesThatDoNotPairUpAreRejectedNamingTheLines() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NetCounters.parse("TcpExt: A B C\nTcpExt: 1 2\n", "/proc/net/netstat", new HashMap<>()));
        assertEquals("/proc/net/netstat: line 1 (TcpExt: 3 names) and line 2 (TcpExt: 2 values) do not pair up", e.getMessage());
        IllegalStateException notNumber = assertThrows(IllegalStateException.class,
                () -> NetCounters.parse("Tcp: A\nTcp: x\n", "/proc/net/snmp", new HashMap<>()));
        assertEquals("/proc/net/snmp: line 2: TcpA is 'x', not a number", notNumber.getMessage());
    }

    /** nstat names of the groups in /proc/net/snmp and /proc/net/netstat (Ip6InReceives and UdpLite6InDatagrams are snmp6's); the
     * atomic group keeps UdpLite6 from matching as Udp + L. */
    private static final Pattern FROM_SNMP_AND_NETSTAT = Pattern.compile("(?>UdpLite|Udp|IcmpMsg|Icmp|TcpExt|Tcp|IpExt|Ip|MPTcpExt)[A-Z]");

    /**
     * The real files against nstat. Other processes move the counters while the test runs, so each
     * nstat value must lie between a Java reading taken before nstat ran and one taken after; gauges
     * (CurrEstab) can go down and are only checked to exist.
     */
    @Test
    void realCountersAgreeWithNstat(@TempDir Path dir) {
        NetCounters.Snapshot before = NetCounters.read(ProcFs.DEFAULT);
        List<String> nstat = Loopback.run("env", "NSTAT_HISTORY=" + dir.resolve("nstat.history"), "nstat", "-asz");
        NetCounters.Snapshot after = NetCounters.read(ProcFs.DEFAULT);
        int compared = 0;
        for (String line : nstat) {
            String[] f = line.trim().split("\\s+");
            if (line.startsWith("#") || !FROM_SNMP_AND_NETSTAT.matcher(f[0]).lookingAt()) {
                continue; // nstat also reads /proc/net/snmp6 (Ip6*, Udp6*, …) and others
            }
            long value = Long.parseLong(f[1]);
            assertTrue(after.values().containsKey(f[0]), "nstat's " + f[0] + " is read from /proc too");
            if (!NetCounters.GAUGES.contains(f[0]) && value >= 0) {
                assertTrue(before.get(f[0]) <= value && value <= after.get(f[0]),
                        f[0] + ": nstat " + value + " is not between " + before.get(f[0]) + " and " + after.get(f[0]));
                compared++;
            }
        }
        assertTrue(compared > 100, "compared only " + compared + " counters: " + nstat);
        assertTrue(after.values().keySet().containsAll(NetCounters.KEY), "this kernel exports every key counter");
        assertTrue(after.netns().matches("net:\\[\\d+]"), after.netns());
    }
}
