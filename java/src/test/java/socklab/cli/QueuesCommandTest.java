package socklab.cli;

import org.junit.jupiter.api.Test;
import socklab.sys.Fd;
import socklab.sys.Loopback;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code socklab queues}: the table, the owner column, the counters, and bad input. */
class QueuesCommandTest {

    @Test
    void tableShowsTheListenerQueueOwnerAndCounterTotals() throws Exception {
        int listener = Loopback.listen(Loopback.V4, 7, 0);
        List<Integer> clients = new ArrayList<>();
        try {
            InetSocketAddress address = Sockets.localAddress(listener);
            for (int i = 0; i < 3; i++) {
                clients.add(Loopback.connect(address));
            }
            long inode = Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self/fd/" + listener)).toString().replaceAll("\\D", ""));
            String port = Integer.toString(address.getPort());
            assertTrue(Loopback.await(() -> row(CliRun.of("queues", "--port", port).out(), inode)[1].equals("3"), 10));

            CliRun run = CliRun.of("queues", "--port", port);
            assertEquals(0, run.exit(), run.err());
            String[] row = row(run.out(), inode);
            assertEquals(List.of("LISTEN", "3", "7", SockAddr.format(address), "0.0.0.0:*", Long.toString(inode), "java"),
                    List.of(row).subList(0, 7));
            assertTrue(String.join(" ", row).endsWith("pid=" + ProcessHandle.current().pid() + " fd=" + listener), String.join(" ", row));
            assertTrue(run.out().contains("per namespace"), run.out());
            assertTrue(run.out().lines().anyMatch(l -> l.matches("\\s+TcpExtListenOverflows\\s+\\d+")), run.out());
        } finally {
            clients.forEach(Fd::closeQuietly);
            Fd.close(listener);
        }
    }

    /** The table row of the socket with {@code inode}, split on blanks; an empty row when there is none. */
    private static String[] row(String table, long inode) {
        return table.lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length > 5 && f[5].equals(Long.toString(inode))).findFirst().orElse(new String[] {"", ""});
    }

    @Test
    void aPortWithNoListenerIsAnEmptyTableNotAnError() {
        // Bound but not listening: the port is ours, and nobody listens on it.
        int reserved = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        try {
            Sockets.bind(reserved, new InetSocketAddress(Loopback.V4, 0));
            int port = Sockets.localAddress(reserved).getPort();
            CliRun run = CliRun.of("queues", "--port", Integer.toString(port));
            assertEquals(0, run.exit(), run.err());
            assertEquals("", run.err());
            List<String> lines = run.out().lines().toList();
            assertTrue(lines.get(0).startsWith("port " + port + ", network namespace net:["), lines.get(0));
            assertEquals("State  Recv-Q  Send-Q  Local  Peer  Inode  Owner", lines.get(1));
            assertEquals("(no listening TCP socket on port " + port + ")", lines.get(2));
        } finally {
            Fd.close(reserved);
        }
    }

    @Test
    void watchPrintsATableEveryIntervalWithCounterChangesSinceStart() {
        int listener = Loopback.listen(Loopback.V4, 4, 0);
        try {
            String port = Integer.toString(Sockets.localAddress(listener).getPort());
            CliRun run = CliRun.of("queues", "--port", port, "--watch", "50ms", "--count", "3");
            assertEquals(0, run.exit(), run.err());
            assertEquals(3, run.out().lines().filter(l -> l.startsWith("port " + port + ",")).count(), run.out());
            assertEquals(3, run.out().lines().filter(l -> l.startsWith("TCP counter changes over ")).count(), run.out());
            assertTrue(run.out().lines().anyMatch(l -> l.matches("\\s+TcpExtListenOverflows\\s+\\+\\d+")), run.out());
        } finally {
            Fd.close(listener);
        }
    }

    @Test
    void badValuesAreOneLineNamingTheProblemAndExitTwo() {
        CliRun duration = CliRun.of("queues", "--port", "80", "--watch", "2x");
        assertEquals(2, duration.exit());
        assertEquals("socklab: Invalid value for option '--watch': '2x' is not a duration: give a whole number and a unit"
                + " ms, s, m or h, e.g. 200ms or 1s", duration.firstErrorLine());

        CliRun zero = CliRun.of("queues", "--port", "80", "--watch", "0ms");
        assertEquals(2, zero.exit());
        assertTrue(zero.firstErrorLine().endsWith("'0ms' is not a usable interval: give more than 0"), zero.firstErrorLine());

        CliRun port = CliRun.of("queues", "--port", "70000");
        assertEquals(2, port.exit());
        assertEquals("socklab: --port 70000 is out of range: give 1-65535", port.firstErrorLine());

        CliRun count = CliRun.of("queues", "--port", "80", "--count", "2");
        assertEquals(2, count.exit());
        assertEquals("socklab: --count needs --watch and a value of at least 1", count.firstErrorLine());
    }
}
