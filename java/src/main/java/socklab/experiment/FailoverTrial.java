package socklab.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.SerializationFeature;

import socklab.kernel.NetCounters;
import socklab.kernel.ProcFs;
import socklab.kernel.SockDiag;
import socklab.kernel.SocketOwner;
import socklab.kernel.SocketOwners;
import socklab.kernel.TcpSocket;
import socklab.sys.Processes;

/**
 * One trial of the failover experiment, run in a JVM inside a network namespace of its own
 * ({@link NamedNetns}): sets net.ipv4.tcp_migrate_req there, starts {@code socklab serve --processes P},
 * stops one worker (SIGSTOP, so that every connection the kernel gives it waits in its accept queue),
 * opens M connections at once, each sending one request, and once all of them are established kills
 * the stopped worker with SIGKILL. Then it waits for every connection's outcome: answered, reset, closed
 * without an answer, or timed out. With reuseport the dead worker's listening socket closes with its
 * queue: without tcp_migrate_req the kernel resets those connections, with it it moves them to the
 * other sockets of the group. With shared-accept the socket survives in the other processes.
 *
 * <p>Prints the result as one JSON line after {@link #RESULT_PREFIX} on stdout.
 */
final class FailoverTrial {
    static final String RESULT_PREFIX = "failover-trial-result ";

    /** What a trial does; {@code sleepMs} is each request's handler time (GET /sleep?ms=N), which keeps queues filled. */
    record Settings(String netns, String model, int processes, int connections, int sleepMs, int backlog, long timeoutMs,
                    int migrateReq) {
        List<String> args() {
            return List.of(netns, model, Integer.toString(processes), Integer.toString(connections), Integer.toString(sleepMs),
                    Integer.toString(backlog), Long.toString(timeoutMs), Integer.toString(migrateReq));
        }

        static Settings of(String[] a) {
            return new Settings(a[0], a[1], Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]),
                    Integer.parseInt(a[5]), Long.parseLong(a[6]), Integer.parseInt(a[7]));
        }
    }

    /**
     * @param victimQueue    connections in the killed worker's own accept queue just before the kill (sock_diag
     *                       Recv-Q of the listener it owned); -1 with shared-accept, where it owns none of its own
     * @param sharedQueue    with shared-accept, the shared listener's Recv-Q just before the kill; -1 otherwise
     * @param otherAnswer    connections answered with a status other than 200 (none expected)
     * @param migrated       TcpExtTCPMigrateReqSuccess in the trial's namespace, after minus before
     */
    record Result(String model, int processes, int migrateReq, int connections, long victimPid, long victimQueue,
                  long sharedQueue, long answered, long reset, long closedWithoutAnswer, long otherAnswer, long timedOut,
                  long migrated, long migrateFailed, String netns) {}

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        try {
            Result r = run(Settings.of(args), Files.createTempDirectory("socklab-failover-"));
            out.println(RESULT_PREFIX + ResultFile.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
            out.flush();
            System.exit(0);
        } catch (RuntimeException e) {
            System.err.println("socklab: failover trial: " + e.getMessage());
            System.exit(1);
        }
    }

    static Result run(Settings s, Path scratch) throws InterruptedException, IOException {
        String migrate = NamedNetns.setSysctlInside(s.netns(), "net.ipv4.tcp_migrate_req", Integer.toString(s.migrateReq()));
        Path log = scratch.resolve("serve.log");
        try (ChildServer server = ChildServer.start(List.of("--model", s.model(), "--processes", Integer.toString(s.processes()),
                "--workers", "1", "--port", "0", "--backlog", Integer.toString(s.backlog())), log)) {
            int port = server.address().getPort();
            int victim = Math.toIntExact(server.workerPids().getFirst());
            NetCounters.Snapshot before = NetCounters.read(ProcFs.DEFAULT);
            Processes.signal(victim, Processes.SIGSTOP);
            awaitStopped(victim);
            Storm storm = new Storm(server.address(), s.connections(), s.sleepMs());
            storm.connectAll(s.timeoutMs());
            long victimQueue = -1;
            long sharedQueue = -1;
            try (SockDiag diag = SockDiag.open()) {
                List<TcpSocket> listeners = diag.listeners(port);
                if (s.model().equals("reuseport")) {
                    victimQueue = queueOwnedBy(listeners, victim);
                } else {
                    sharedQueue = listeners.stream().mapToLong(TcpSocket::recvQ).sum();
                }
            }
            Processes.signal(victim, Processes.SIGKILL);
            storm.finish(s.timeoutMs());
            NetCounters.Delta delta = before.to(NetCounters.read(ProcFs.DEFAULT));
            return new Result(s.model(), s.processes(), Integer.parseInt(migrate), s.connections(), victim, victimQueue, sharedQueue,
                    storm.count(Storm.ANSWERED), storm.count(Storm.RESET), storm.count(Storm.CLOSED), storm.count(Storm.OTHER),
                    storm.count(Storm.OPEN),
                    delta.get("TcpExtTCPMigrateReqSuccess"), delta.get("TcpExtTCPMigrateReqFailure"), s.netns());
        }
    }

    /** Waits until {@code pid} is stopped (state T in /proc/PID/stat): from then on it accepts nothing. */
    private static void awaitStopped(int pid) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (ProcFs.DEFAULT.stat(Integer.toString(pid))[3].equals("T")) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("worker " + pid + " did not stop within 10 s of SIGSTOP");
    }

    /** The Recv-Q of the listening socket {@code pid} holds (reuseport: one per worker). */
    private static long queueOwnedBy(List<TcpSocket> listeners, int pid) {
        Set<Long> inodes = listeners.stream().map(TcpSocket::inode).collect(java.util.stream.Collectors.toSet());
        Map<Long, List<SocketOwner>> owners = SocketOwners.find(ProcFs.DEFAULT, inodes);
        return listeners.stream()
                .filter(l -> owners.getOrDefault(l.inode(), List.of()).stream().anyMatch(o -> o.pid() == pid))
                .mapToLong(TcpSocket::recvQ)
                .findFirst().orElseThrow(() -> new IllegalStateException("no listening socket of worker " + pid + " on the port"));
    }

    /**
     * M connections opened at once on one selector, each sending one {@code Connection: close} request
     * and reading until the server closes: the outcome of each is what the client saw.
     */
    static final class Storm {
        static final int OPEN = 0;
        static final int ANSWERED = 1;
        static final int RESET = 2;
        static final int CLOSED = 3;
        /** An answer other than 200: not expected from GET /sleep, counted so that nothing goes unseen. */
        static final int OTHER = 4;
        private static final byte[] STATUS_200 = "HTTP/1.1 200".getBytes(StandardCharsets.US_ASCII);

        private final Selector selector;
        private final List<SocketChannel> channels = new ArrayList<>();
        private final int[] outcome;
        private final int[] received;
        private final byte[][] head;
        private final byte[] request;
        private final ByteBuffer in = ByteBuffer.allocate(4096);
        private int connected;

        Storm(InetSocketAddress to, int connections, int sleepMs) throws IOException {
            this.selector = Selector.open();
            this.outcome = new int[connections];
            this.received = new int[connections];
            this.head = new byte[connections][STATUS_200.length];
            this.request = ("GET /sleep?ms=" + sleepMs + " HTTP/1.1\r\nHost: socklab\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < connections; i++) {
                SocketChannel c = SocketChannel.open();
                c.configureBlocking(false);
                channels.add(c);
                if (c.connect(to)) {
                    established(i);
                } else {
                    c.register(selector, SelectionKey.OP_CONNECT, i);
                }
            }
        }

        /** Runs until every connect has completed (the handshake done, the request sent). */
        void connectAll(long timeoutMs) throws IOException {
            loop(timeoutMs, () -> connected == channels.size());
            if (connected < channels.size()) {
                throw new IllegalStateException(connected + " of " + channels.size() + " connects completed within " + timeoutMs + " ms");
            }
        }

        /** Runs until every connection has an outcome or the timeout passes; then closes them all. */
        void finish(long timeoutMs) throws IOException {
            try {
                loop(timeoutMs, () -> count(OPEN) == 0);
            } finally {
                for (SocketChannel c : channels) {
                    c.close();
                }
                selector.close();
            }
        }

        long count(int kind) {
            return Arrays.stream(outcome).filter(o -> o == kind).count();
        }

        private void loop(long timeoutMs, java.util.function.BooleanSupplier done) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (!done.getAsBoolean() && System.nanoTime() < deadline) {
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                for (SelectionKey key : selector.selectedKeys()) {
                    int i = (Integer) key.attachment();
                    if (key.isConnectable()) {
                        try {
                            if (channels.get(i).finishConnect()) {
                                established(i);
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException("connect " + i + " failed", e);
                        }
                    } else if (key.isReadable()) {
                        read(i, key);
                    }
                }
                selector.selectedKeys().clear();
            }
        }

        private void established(int i) throws IOException {
            SocketChannel c = channels.get(i);
            c.write(ByteBuffer.wrap(request)); // 70 bytes into an empty send buffer: written whole
            c.register(selector, SelectionKey.OP_READ, i);
            connected++;
        }

        private void read(int i, SelectionKey key) {
            in.clear();
            int n;
            try {
                n = channels.get(i).read(in);
            } catch (IOException e) {
                outcome[i] = RESET; // ECONNRESET: the only read error a loopback client sees here
                key.cancel();
                return;
            }
            if (n > 0) {
                int keep = Math.min(n, STATUS_200.length - received[i]);
                if (keep > 0) {
                    System.arraycopy(in.array(), 0, head[i], received[i], keep);
                }
                received[i] += n;
            } else if (n < 0) {
                outcome[i] = Arrays.equals(head[i], STATUS_200) ? ANSWERED : received[i] > 0 ? OTHER : CLOSED;
                key.cancel();
            }
        }
    }
}
