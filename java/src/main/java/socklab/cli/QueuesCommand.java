package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import socklab.kernel.NetCounters;
import socklab.kernel.ProcFs;
import socklab.kernel.SockDiag;
import socklab.kernel.SocketOwner;
import socklab.kernel.SocketOwners;
import socklab.kernel.TcpSocket;
import socklab.kernel.TcpState;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code socklab queues --port P [--watch 200ms]}: an ss-like table of the TCP sockets on a port, read
 * through sock_diag, with each socket's owner and the namespace's TCP counters.
 */
@Command(name = "queues",
        description = "Show the listening sockets on a port with their accept queue (Recv-Q) and backlog (Send-Q), read "
                + "through sock_diag netlink as ss does, each with its owner process and fd, and the network "
                + "namespace's TcpExt/Tcp counters (totals once; changes since start with --watch).")
public final class QueuesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", required = true, paramLabel = "PORT", description = "The local port (1-65535).")
    int port;

    @Option(names = "--watch", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Print the table again every DURATION (e.g. 200ms, 1s) until interrupted.")
    Duration watch;

    @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N tables.")
    Integer count;

    @Option(names = "--connections", description = "Also list the connected sockets whose local port is PORT (queues in bytes).")
    boolean connections;

    private final Map<Long, List<SocketOwner>> owners = new HashMap<>();

    @Override
    public void run() {
        if (port < 1 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--port " + port + " is out of range: give 1-65535");
        }
        if (count != null && (watch == null || count < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--count needs --watch and a value of at least 1");
        }
        Set<TcpState> states = connections ? EnumSet.allOf(TcpState.class) : EnumSet.of(TcpState.LISTEN);
        PrintWriter out = spec.commandLine().getOut();
        NetCounters.Snapshot start = NetCounters.read(ProcFs.DEFAULT);
        try (SockDiag diag = SockDiag.open()) {
            long startNanos = System.nanoTime();
            for (int table = 1; ; table++) {
                List<TcpSocket> sockets = diag.tcp(states, port);
                NetCounters.Snapshot now = NetCounters.read(ProcFs.DEFAULT);
                print(out, sockets, watch == null ? null : start.to(now), now);
                out.flush();
                if (watch == null || (count != null && table >= count)) {
                    return;
                }
                sleepUntil(startNanos + table * watch.toNanos());
            }
        }
    }

    private void print(PrintWriter out, List<TcpSocket> sockets, NetCounters.Delta sinceStart, NetCounters.Snapshot now) {
        out.printf("port %d, network namespace %s, %s%n", port, now.netns(), Instant.now());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"State", "Recv-Q", "Send-Q", "Local", "Peer", "Inode", "Owner"});
        Map<Long, List<SocketOwner>> found = owners(sockets);
        for (TcpSocket s : sockets) {
            List<SocketOwner> held = found.getOrDefault(s.inode(), List.of());
            rows.add(new String[] {s.state().ssName(), Long.toString(s.recvQ()), Long.toString(s.sendQ()), s.localText(),
                    s.remoteText(), Long.toString(s.inode()),
                    held.isEmpty() ? "-" : held.stream().map(SocketOwner::toString).collect(Collectors.joining(", "))});
        }
        printTable(out, rows);
        if (sockets.isEmpty()) {
            out.printf("(no %s on port %d)%n", connections ? "TCP socket" : "listening TCP socket", port);
        }
        out.println("LISTEN: Recv-Q = connections waiting for accept, Send-Q = backlog (full at backlog + 1).");
        if (sinceStart == null) {
            out.println("TCP counters, totals in " + now.netns() + " (per namespace: every process in it counts):");
            CounterLines.print(out, now.key(), false);
        } else {
            out.printf("TCP counter changes over %.1f s, %s:%n", sinceStart.over().toNanos() / 1e9, sinceStart.scope());
            CounterLines.print(out, sinceStart.tcp(), true);
        }
        out.println();
    }

    /** Owners of the sockets' inodes; /proc is scanned again only when a socket not seen before appears. */
    private Map<Long, List<SocketOwner>> owners(List<TcpSocket> sockets) {
        Set<Long> unknown = sockets.stream().map(TcpSocket::inode)
                .filter(inode -> inode != 0 && !owners.containsKey(inode)).collect(Collectors.toSet());
        if (!unknown.isEmpty()) {
            Map<Long, List<SocketOwner>> found = SocketOwners.find(ProcFs.DEFAULT, unknown);
            unknown.forEach(inode -> owners.put(inode, found.getOrDefault(inode, List.of())));
        }
        return owners;
    }

    private static void printTable(PrintWriter out, List<String[]> rows) {
        int[] widths = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static void sleepUntil(long deadlineNanos) {
        long wait = deadlineNanos - System.nanoTime();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
