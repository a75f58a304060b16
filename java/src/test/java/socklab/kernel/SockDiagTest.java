package socklab.kernel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import socklab.sys.Errno;
import socklab.sys.Fd;
import socklab.sys.Loopback;
import socklab.sys.NativeException;
import socklab.sys.SockAddr;
import socklab.sys.SocketOption;
import socklab.sys.SocketOptions;
import socklab.sys.Sockets;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sock_diag against the kernel's own view, TCP_INFO and ss. Other processes on this machine open
 * sockets concurrently, so every check picks this test's sockets by inode (and its ports are
 * kernel-chosen), never by "the only socket there is".
 */
class SockDiagTest {
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeAll() {
        fds.forEach(Fd::closeQuietly);
    }

    private int keep(int fd) {
        fds.add(fd);
        return fd;
    }

    private static long inode(int fd) {
        return SocketOwners.inodeOf(ProcFs.DEFAULT, fd);
    }

    /** This test's listening sockets on {@code port}, by inode, from one dump. */
    private static Map<Long, TcpSocket> listenersByInode(SockDiag diag, int port) {
        List<TcpSocket> all = diag.listeners(port);
        all.forEach(s -> assertEquals(port, s.local().getPort(), "the kernel's port filter let through " + s));
        return all.stream().collect(Collectors.toMap(TcpSocket::inode, Function.identity()));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void backlogSevenAndThreeUnacceptedClientsIsRecvQThreeSendQSevenInNetlinkTcpInfoAndSs(String host) throws Exception {
        InetAddress ip = InetAddress.getByName(host);
        int listener = keep(Loopback.listen(ip, 7, 0));
        InetSocketAddress address = Sockets.localAddress(listener);
        int port = address.getPort();
        long inode = inode(listener);
        List<InetSocketAddress> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(Sockets.localAddress(keep(Loopback.connect(address))));
        }
        try (SockDiag diag = SockDiag.open()) {
            // The handshake's final ACK is processed in softirq: wait (bounded) until all three are queued.
            assertTrue(Loopback.await(() -> listenersByInode(diag, port).get(inode).recvQ() == 3, 10),
                    "netlink shows 3 queued: " + diag.listeners(port));
            TcpSocket row = listenersByInode(diag, port).get(inode);
            assertEquals(TcpState.LISTEN, row.state());
            assertEquals(7, row.sendQ(), "idiag_wqueue of a listener is its backlog");
            assertEquals(address, row.local());
            assertEquals(((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue(), row.uid());

            assertEquals(new ListenerQueue(3, 7), ListenerQueue.of(listener), "TCP_INFO tcpi_unacked/tcpi_sacked");
            Loopback.SsListener ss = Loopback.ssListeners(port).stream().filter(r -> r.inode() == inode).findFirst().orElseThrow();
            assertEquals(3, ss.recvQ(), "ss Recv-Q");
            assertEquals(7, ss.sendQ(), "ss Send-Q");

            // The three connections wait in the queue: ESTAB server-side sockets with no file yet (inode 0).
            Map<InetSocketAddress, TcpSocket> queued = diag.tcp(EnumSet.of(TcpState.ESTABLISHED), port).stream()
                    .filter(s -> clients.contains(s.remote())).collect(Collectors.toMap(TcpSocket::remote, Function.identity()));
            assertEquals(Set.copyOf(clients), queued.keySet());
            queued.values().forEach(s -> assertEquals(0, s.inode(), "not accepted: no file, inode 0: " + s));
        }
    }

    @Test
    void connectedSocketsReportUnreadBytesAsRecvQ() throws Exception {
        int listener = keep(Loopback.listen(Loopback.V4, 4, 0));
        int port = Sockets.localAddress(listener).getPort();
        int client = keep(Loopback.connect(Sockets.localAddress(listener)));
        int server = keep(Sockets.accept(listener, Sockets.SOCK_CLOEXEC));
        Loopback.writeAll(client, "twelve bytes");
        long serverInode = inode(server);
        try (SockDiag diag = SockDiag.open()) {
            assertTrue(Loopback.await(() -> diag.tcp(EnumSet.of(TcpState.ESTABLISHED), port).stream()
                    .anyMatch(s -> s.inode() == serverInode && s.recvQ() == 12), 10), "12 unread bytes on the accepted socket");
            TcpSocket accepted = diag.tcp(EnumSet.of(TcpState.ESTABLISHED), port).stream()
                    .filter(s -> s.inode() == serverInode).findFirst().orElseThrow();
            assertEquals(Sockets.localAddress(client), accepted.remote());
            assertEquals(TcpState.ESTABLISHED, accepted.state());
        }
    }

    /**
     * Backlog 2: the accept queue holds 3. With it full and accept paused, every further SYN is
     * dropped and counted in TcpExtListenOverflows and TcpExtListenDrops. The counters are per network
     * namespace and other processes may move them too, but only upwards: so the test asserts a lower
     * bound, the drops of its own extra clients, rather than an exact count (each dropped client also
     * retransmits its SYN after 1 s, 3 s, …, adding one more each time).
     */
    @Test
    void fullAcceptQueueDropsFurtherSynsAndRaisesListenOverflows() throws Exception {
        int listener = keep(Loopback.listen(Loopback.V4, 2, 0));
        InetSocketAddress address = Sockets.localAddress(listener);
        long inode = inode(listener);
        for (int i = 0; i < 3; i++) {
            keep(Loopback.connect(address));
        }
        try (SockDiag diag = SockDiag.open()) {
            assertTrue(Loopback.await(() -> listenersByInode(diag, address.getPort()).get(inode).recvQ() == 3, 10),
                    "backlog 2 holds 3: " + diag.listeners(address.getPort()));
            NetCounters.Snapshot before = NetCounters.read(ProcFs.DEFAULT);
            int extra = 4;
            List<Integer> stuck = new ArrayList<>();
            for (int i = 0; i < extra; i++) {
                int fd = keep(Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC));
                assertEquals(-Errno.EINPROGRESS, Sockets.connect(fd, address), "non-blocking connect to a full queue");
                stuck.add(fd);
            }
            assertTrue(Loopback.await(() -> {
                NetCounters.Delta d = before.to(NetCounters.read(ProcFs.DEFAULT));
                return d.get("TcpExtListenOverflows") >= extra && d.get("TcpExtListenDrops") >= extra;
            }, 10), "at least " + extra + " overflows and drops: " + before.to(NetCounters.read(ProcFs.DEFAULT)).tcp());
            assertEquals(3, listenersByInode(diag, address.getPort()).get(inode).recvQ(), "the queue stays at backlog + 1");
            for (int fd : stuck) {
                assertEquals(TcpState.SYN_SENT, TcpState.of(SocketOptions.tcpInfo(fd).state()), "dropped SYN: the client waits");
            }
        }
    }

    @Test
    void fourReuseportListenersAreFourSocketsWithTheirOwnQueuesAndNetlinkEqualsSs() throws Exception {
        int first = keep(Loopback.listen(Loopback.V4, 16, 0, SocketOption.SO_REUSEPORT));
        InetSocketAddress address = Sockets.localAddress(first);
        int port = address.getPort();
        Map<Long, Integer> backlogByInode = new HashMap<>(Map.of(inode(first), 16));
        Map<Long, Integer> fdByInode = new HashMap<>(Map.of(inode(first), first));
        for (int backlog = 17; backlog <= 19; backlog++) {
            int fd = keep(Sockets.listenTcp(address, backlog, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEPORT));
            backlogByInode.put(inode(fd), backlog);
            fdByInode.put(inode(fd), fd);
        }
        int clients = 12; // at most 12 on any socket, below each backlog: no drop whatever the hash does
        for (int i = 0; i < clients; i++) {
            keep(Loopback.connect(address));
        }
        try (SockDiag diag = SockDiag.open()) {
            assertTrue(Loopback.await(() -> listenersByInode(diag, port).entrySet().stream()
                    .filter(e -> backlogByInode.containsKey(e.getKey())).mapToLong(e -> e.getValue().recvQ()).sum() == clients, 10),
                    "the 12 connections are queued over the group: " + diag.listeners(port));

            Map<Long, TcpSocket> before = listenersByInode(diag, port);
            List<Loopback.SsListener> ss = Loopback.ssListeners(port);
            Map<Long, TcpSocket> after = listenersByInode(diag, port);
            assertTrue(after.keySet().containsAll(backlogByInode.keySet()), "all four listeners are dumped: " + after);
            for (var entry : backlogByInode.entrySet()) {
                TcpSocket socket = after.get(entry.getKey());
                assertEquals((long) entry.getValue(), socket.sendQ(), "each socket has its own backlog: " + socket);
                assertEquals(ListenerQueue.of(fdByInode.get(entry.getKey())), new ListenerQueue(socket.recvQ(), socket.sendQ()),
                        "netlink equals TCP_INFO for " + socket);
            }
            assertTrue(ss.stream().map(Loopback.SsListener::inode).collect(Collectors.toSet()).containsAll(backlogByInode.keySet()),
                    "ss shows the four: " + ss);
            for (Loopback.SsListener row : ss) {
                // A socket of another process whose queue moved between the two dumps cannot be compared; ours do not move.
                if (before.get(row.inode()) != null && before.get(row.inode()).equals(after.get(row.inode()))) {
                    TcpSocket socket = after.get(row.inode());
                    assertEquals(row.recvQ(), socket.recvQ(), "Recv-Q of ino:" + row.inode());
                    assertEquals(row.sendQ(), socket.sendQ(), "Send-Q of ino:" + row.inode());
                } else {
                    assertTrue(!backlogByInode.containsKey(row.inode()), "this test's socket ino:" + row.inode() + " changed or vanished");
                }
            }
        }
    }

    @Test
    void aPortWithNoListenerGivesAnEmptyList() {
        // A dual-stack socket bound to [::]:P but not listening reserves P for IPv4 and IPv6: nobody else can listen there.
        int reserved = keep(Sockets.tcpSocket(SockAddr.AF_INET6, Sockets.SOCK_CLOEXEC));
        SocketOptions.setInt(reserved, SocketOption.IPV6_V6ONLY, 0);
        Sockets.bind(reserved, new InetSocketAddress(anyV6(), 0));
        int port = Sockets.localAddress(reserved).getPort();
        try (SockDiag diag = SockDiag.open()) {
            assertEquals(List.of(), diag.listeners(port));
            assertEquals(List.of(), diag.tcp(EnumSet.allOf(TcpState.class), port), "a bound, unconnected socket is not dumped by state filter");
        }
    }

    private static InetAddress anyV6() {
        try {
            return InetAddress.getByName("::");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aRequestTheKernelRejectsIsANativeExceptionNamingErrnoAndTheClientRecovers() {
        int listener = keep(Loopback.listen(Loopback.V4, 5, 0));
        int port = Sockets.localAddress(listener).getPort();
        try (SockDiag diag = SockDiag.open()) {
            NativeException e = assertThrows(NativeException.class,
                    () -> diag.dump(255, Sockets.IPPROTO_TCP, TcpState.LISTEN.mask(), port, new ArrayList<>()));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("sock_diag(family 255 port " + port + "): EINVAL (Invalid argument)", e.getMessage());
            assertEquals(5, listenersByInode(diag, port).get(inode(listener)).sendQ(), "the next dump works on a fresh socket");
        }
    }

    @Test
    void portOutOfRangeIsRejectedBeforeAnyRequest() {
        try (SockDiag diag = SockDiag.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> diag.listeners(70000));
            assertEquals("port 70000 is out of range 0..65535", e.getMessage());
        }
    }
}
