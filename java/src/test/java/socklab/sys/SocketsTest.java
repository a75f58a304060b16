package socklab.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Raw sockets on loopback through the FFM layer. */
class SocketsTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void echoRoundTrip(String host) throws Exception {
        InetAddress ip = InetAddress.getByName(host);
        int listener = Loopback.listen(ip, 16, 0, SocketOption.SO_REUSEADDR);
        InetSocketAddress bound = Sockets.localAddress(listener);
        assertEquals(ip, bound.getAddress());
        assertTrue(bound.getPort() > 0, "kernel picked a port");

        int client = Loopback.connect(bound);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment peer = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            MemorySegment peerLen = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, (int) peer.byteSize());
            int server = Sockets.accept(listener, peer, peerLen, Sockets.SOCK_CLOEXEC);
            assertEquals(Sockets.localAddress(client), SockAddr.read(peer), "accept4 reports the client's address");
            assertEquals(Sockets.localAddress(client), Sockets.peerAddress(server));

            Loopback.writeAll(client, "ping over FFM\n");
            String got = Loopback.readExactly(server, 14);
            Loopback.writeAll(server, got.toUpperCase());
            assertEquals("PING OVER FFM\n", Loopback.readExactly(client, 14));

            Sockets.shutdown(client, Sockets.SHUT_WR);
            try (Arena one = Arena.ofConfined()) {
                assertEquals(0, Fd.read(server, one.allocate(16)), "read after the peer's FIN is end of stream");
            }
            Fd.close(server);
        }
        Fd.close(client);
        Fd.close(listener);
    }

    @Test
    void nonBlockingAcceptOnEmptyQueueReturnsEagainAsAValue() {
        int listener = Loopback.listen(Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        assertEquals(-Errno.EAGAIN, Sockets.accept(listener, Sockets.SOCK_CLOEXEC));
        int client = Loopback.connect(Sockets.localAddress(listener));
        int server = awaitAccept(listener);
        assertTrue(server >= 0);
        assertEquals(-Errno.EAGAIN, Sockets.accept(listener, Sockets.SOCK_CLOEXEC), "queue empty again");
        Fd.close(server);
        Fd.close(client);
        Fd.close(listener);
    }

    /** Accepts on a non-blocking listener, waiting with poll(2) for the connection to be queued. */
    static int awaitAccept(int listener) {
        try (Arena arena = Arena.ofConfined()) {
            int revents = Fd.poll(arena.allocate(Fd.POLLFD), listener, Fd.POLLIN, 10_000);
            assertTrue((revents & Fd.POLLIN) != 0, "connection queued within 10 s");
        }
        return Sockets.accept(listener, Sockets.SOCK_CLOEXEC);
    }

    @Test
    void reuseportLetsTwoSocketsBindOnePortAndWithoutItBindFailsNamingTheAddress() {
        int first = Loopback.listen(Loopback.V4, 8, 0, SocketOption.SO_REUSEPORT);
        InetSocketAddress address = Sockets.localAddress(first);
        int second = Sockets.listenTcp(address, 8, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEPORT);
        assertEquals(address, Sockets.localAddress(second));
        assertEquals(2, Loopback.ssListeners(address.getPort()).size(), "ss shows both listeners");
        assertEquals(1, SocketOptions.getInt(second, SocketOption.SO_REUSEPORT));

        int before = Loopback.openDescriptors();
        NativeException e = assertThrows(NativeException.class,
                () -> Sockets.listenTcp(address, 8, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEADDR));
        assertEquals("bind(127.0.0.1:" + address.getPort() + "): EADDRINUSE (Address already in use)", e.getMessage());
        assertEquals(Errno.EADDRINUSE, e.errno());
        assertEquals(before, Loopback.openDescriptors(), "the failed listener's socket was closed");
        Fd.close(second);
        Fd.close(first);
    }

    @Test
    void ssShowsAcceptQueueLengthAndBacklogOfAListener() throws Exception {
        int listener = Loopback.listen(Loopback.V4, 7, 0);
        int port = Sockets.localAddress(listener).getPort();
        List<Integer> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(Loopback.connect(Sockets.localAddress(listener)));
        }
        // The final ACK of each handshake is processed in softirq; wait (bounded) until all three are queued.
        assertTrue(Loopback.await(() -> Loopback.ssListeners(port).getFirst().recvQ() == 3, 10),
                "ss -ltn shows Recv-Q 3: " + Loopback.ssListeners(port));
        Loopback.SsListener row = Loopback.ssListeners(port).getFirst();
        assertEquals(7, row.sendQ(), "Send-Q of a listener is its backlog");

        TcpInfo info = SocketOptions.tcpInfo(listener);
        assertEquals(TcpInfo.TCP_LISTEN, info.state());
        assertEquals(3, info.unacked(), "TCP_INFO tcpi_unacked is the accept-queue length");
        assertEquals(7, info.sacked(), "TCP_INFO tcpi_sacked is the backlog");
        for (int client : clients) {
            Fd.close(client);
        }
        Fd.close(listener);
    }

    @Test
    void closedDescriptorGivesTypedEbadf() {
        int fd = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        Fd.close(fd);
        NativeException e = assertThrows(NativeException.class, () -> Fd.close(fd));
        assertEquals("close: EBADF (Bad file descriptor)", e.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            NativeException read = assertThrows(NativeException.class, () -> Fd.read(fd, arena.allocate(8)));
            assertEquals(Errno.EBADF, read.errno());
            assertEquals("read", read.call());
        }
        NativeException listen = assertThrows(NativeException.class, () -> Sockets.listen(fd, 1));
        assertEquals("listen: EBADF (Bad file descriptor)", listen.getMessage());
    }

    @Test
    void hundredThousandSocketsOpenedAndClosedLeaveNoDescriptor() {
        int before = Loopback.openDescriptors();
        for (int i = 0; i < 100_000; i++) {
            Fd.close(Sockets.tcpSocket(i % 2 == 0 ? SockAddr.AF_INET : SockAddr.AF_INET6, Sockets.SOCK_CLOEXEC));
        }
        assertEquals(before, Loopback.openDescriptors());
    }

    @Test
    void socketOptionsRoundTrip() {
        int fd = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        SocketOptions.setInt(fd, SocketOption.TCP_NODELAY, 1);
        assertEquals(1, SocketOptions.getInt(fd, SocketOption.TCP_NODELAY));
        SocketOptions.setInt(fd, SocketOption.SO_RCVBUF, 64 * 1024);
        assertEquals(2 * 64 * 1024, SocketOptions.getInt(fd, SocketOption.SO_RCVBUF), "Linux doubles SO_RCVBUF");
        SocketOptions.setLinger(fd, true, 0);
        assertEquals(0, SocketOptions.getLinger(fd));
        SocketOptions.setLinger(fd, false, 0);
        assertEquals(-1, SocketOptions.getLinger(fd));
        assertEquals(0, SocketOptions.getInt(fd, SocketOption.SO_ACCEPTCONN));
        NativeException e = assertThrows(NativeException.class, () -> SocketOptions.setInt(fd, SocketOption.SO_ERROR, 1));
        assertEquals("setsockopt(SO_ERROR): ENOPROTOOPT (Protocol not available)", e.getMessage());
        Fd.close(fd);

        int listener = Loopback.listen(Loopback.V4, 8, 0, SocketOption.SO_REUSEPORT);
        assertEquals(1, SocketOptions.getInt(listener, SocketOption.SO_ACCEPTCONN));
        SocketOptions.setInt(listener, SocketOption.TCP_DEFER_ACCEPT, 1);
        assertTrue(SocketOptions.getInt(listener, SocketOption.TCP_DEFER_ACCEPT) >= 1);
        SocketOptions.setInt(listener, SocketOption.TCP_FASTOPEN, 16);
        SocketOptions.attachReuseportCpuProgram(listener, 2); // the kernel verifies the cBPF program
        Fd.close(listener);
    }

    @Test
    void nonBlockingConnectCompletesThroughPoll() {
        int listener = Loopback.listen(Loopback.V4, 4, 0);
        int client = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        int r = Sockets.connect(client, Sockets.localAddress(listener));
        assertTrue(r == 0 || r == -Errno.EINPROGRESS, "connect gave " + r);
        try (Arena arena = Arena.ofConfined()) {
            int revents = Fd.poll(arena.allocate(Fd.POLLFD), client, Fd.POLLOUT, 10_000);
            assertTrue((revents & Fd.POLLOUT) != 0);
        }
        assertEquals(0, SocketOptions.getInt(client, SocketOption.SO_ERROR));
        Fd.close(client);
        Fd.close(listener);
    }

    @Test
    void connectToAPortWithNoListenerNamesTheAddress() {
        int listener = Loopback.listen(Loopback.V4, 1, 0);
        InetSocketAddress address = Sockets.localAddress(listener);
        Fd.close(listener); // the port is now free: nobody listens there
        int client = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        NativeException e = assertThrows(NativeException.class, () -> Sockets.connect(client, address));
        assertEquals("connect(127.0.0.1:" + address.getPort() + "): ECONNREFUSED (Connection refused)", e.getMessage());
        Fd.close(client);
    }
}
