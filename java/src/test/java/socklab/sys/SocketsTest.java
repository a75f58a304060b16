package socklab.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Raw sockets on loopback: the contract every binding keeps (parameterised over {@link Binding#NAMES}),
 * and the FFM-only calls (accept with the peer address, TCP_INFO, SO_LINGER, the reuseport program).
 * Addresses are observed with getsockname/getpeername through FFM whatever the binding under test.
 */
class SocketsTest {

    static Stream<Arguments> bindingsAndHosts() {
        return Loopback.bindings().flatMap(b -> Stream.of("127.0.0.1", "::1").map(host -> Arguments.of(b, host)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bindingsAndHosts")
    void echoRoundTrip(Binding binding, String host) throws Exception {
        InetAddress ip = InetAddress.getByName(host);
        int listener = Loopback.listen(binding, ip, 16, 0, SocketOption.SO_REUSEADDR);
        InetSocketAddress bound = Sockets.localAddress(listener);
        assertEquals(ip, bound.getAddress());
        assertTrue(bound.getPort() > 0, "kernel picked a port");

        int client = Loopback.connect(binding, bound);
        int server = binding.accept(listener, Sockets.SOCK_CLOEXEC);
        assertEquals(Sockets.localAddress(client), Sockets.peerAddress(server));

        String ping = "ping over " + binding.name().toUpperCase(Locale.ROOT) + "\n";
        Loopback.writeAll(binding, client, ping);
        String got = Loopback.readExactly(binding, server, 14);
        Loopback.writeAll(binding, server, got.toUpperCase(Locale.ROOT));
        assertEquals(ping.toUpperCase(Locale.ROOT), Loopback.readExactly(binding, client, 14));

        binding.shutdown(client, Sockets.SHUT_WR);
        try (Arena one = Arena.ofConfined()) {
            assertEquals(0, binding.read(server, one.allocate(16)), "read after the peer's FIN is end of stream");
        }
        binding.close(server);
        binding.close(client);
        binding.close(listener);
    }

    @Test
    void acceptReportsThePeerAddress() {
        int listener = Loopback.listen(Loopback.V4, 4, 0);
        int client = Loopback.connect(Sockets.localAddress(listener));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment peer = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            MemorySegment peerLen = arena.allocateFrom(ValueLayout.JAVA_INT, (int) peer.byteSize());
            int server = Sockets.accept(listener, peer, peerLen, Sockets.SOCK_CLOEXEC);
            assertEquals(Sockets.localAddress(client), SockAddr.read(peer), "accept4 reports the client's address");
            Fd.close(server);
        }
        Fd.close(client);
        Fd.close(listener);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void nonBlockingAcceptOnEmptyQueueReturnsEagainAsAValue(Binding binding) {
        int listener = Loopback.listen(binding, Loopback.V4, 4, Sockets.SOCK_NONBLOCK);
        assertEquals(-Errno.EAGAIN, binding.accept(listener, Sockets.SOCK_CLOEXEC));
        int client = Loopback.connect(binding, Sockets.localAddress(listener));
        int server = awaitAccept(binding, listener);
        assertTrue(server >= 0);
        assertEquals(-Errno.EAGAIN, binding.accept(listener, Sockets.SOCK_CLOEXEC), "queue empty again");
        binding.close(server);
        binding.close(client);
        binding.close(listener);
    }

    /** Accepts on a non-blocking listener, waiting with poll(2) for the connection to be queued. */
    static int awaitAccept(Binding binding, int listener) {
        try (Arena arena = Arena.ofConfined()) {
            int revents = Fd.poll(arena.allocate(Fd.POLLFD), listener, Fd.POLLIN, 10_000);
            assertTrue((revents & Fd.POLLIN) != 0, "connection queued within 10 s");
        }
        return binding.accept(listener, Sockets.SOCK_CLOEXEC);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void recvOnAnEmptyNonBlockingSocketIsEagainAndGetpidIsThisProcess(Binding binding) {
        int listener = Loopback.listen(binding, Loopback.V4, 4, 0);
        int client = Loopback.connect(binding, Sockets.localAddress(listener));
        Fd.setNonBlocking(client, true);
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(-Errno.EAGAIN, binding.recv(client, arena.allocate(64), 0));
        }
        assertEquals(ProcessHandle.current().pid(), binding.getpid());
        binding.close(client);
        binding.close(listener);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void reuseportLetsTwoSocketsBindOnePortAndWithoutItBindFailsNamingTheAddress(Binding binding) {
        int first = Loopback.listen(binding, Loopback.V4, 8, 0, SocketOption.SO_REUSEPORT);
        InetSocketAddress address = Sockets.localAddress(first);
        int second = binding.listenTcp(address, 8, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEPORT);
        assertEquals(address, Sockets.localAddress(second));
        assertEquals(2, Loopback.ssListeners(address.getPort()).size(), "ss shows both listeners");
        assertEquals(1, binding.getInt(second, SocketOption.SO_REUSEPORT));

        int before = Loopback.openDescriptors();
        NativeException e = assertThrows(NativeException.class,
                () -> binding.listenTcp(address, 8, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEADDR));
        assertEquals("bind(127.0.0.1:" + address.getPort() + "): EADDRINUSE (Address already in use)", e.getMessage());
        assertEquals(Errno.EADDRINUSE, e.errno());
        assertEquals(before, Loopback.openDescriptors(), "the failed listener's socket was closed");
        binding.close(second);
        binding.close(first);
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void closedDescriptorGivesTypedEbadf(Binding binding) {
        int fd = Loopback.tcpSocket(binding, SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        binding.close(fd);
        NativeException e = assertThrows(NativeException.class, () -> binding.close(fd));
        assertEquals("close: EBADF (Bad file descriptor)", e.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            NativeException read = assertThrows(NativeException.class, () -> binding.read(fd, arena.allocate(8)));
            assertEquals(Errno.EBADF, read.errno());
            assertEquals("read", read.call());
        }
        NativeException listen = assertThrows(NativeException.class, () -> binding.listen(fd, 1));
        assertEquals("listen: EBADF (Bad file descriptor)", listen.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void aBufferFFMWouldRefuseIsRefusedTheSameWay(Binding binding) {
        int[] pair = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        assertThrows(IllegalArgumentException.class, () -> binding.write(pair[0], MemorySegment.ofArray(new byte[8])),
                "a heap segment has no address C could use");
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(8);
        }
        assertThrows(IllegalStateException.class, () -> binding.write(pair[0], closed), "freed memory");
        binding.close(pair[0]);
        binding.close(pair[1]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void hundredThousandSocketsOpenedAndClosedLeaveNoDescriptor(Binding binding) {
        int before = Loopback.openDescriptors();
        for (int i = 0; i < 100_000; i++) {
            binding.close(Loopback.tcpSocket(binding, i % 2 == 0 ? SockAddr.AF_INET : SockAddr.AF_INET6, Sockets.SOCK_CLOEXEC));
        }
        assertEquals(before, Loopback.openDescriptors());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void intSocketOptionsRoundTrip(Binding binding) {
        int fd = Loopback.tcpSocket(binding, SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        binding.setInt(fd, SocketOption.TCP_NODELAY, 1);
        assertEquals(1, binding.getInt(fd, SocketOption.TCP_NODELAY));
        binding.setInt(fd, SocketOption.SO_RCVBUF, 64 * 1024);
        assertEquals(2 * 64 * 1024, binding.getInt(fd, SocketOption.SO_RCVBUF), "Linux doubles SO_RCVBUF");
        assertEquals(0, binding.getInt(fd, SocketOption.SO_ACCEPTCONN));
        NativeException e = assertThrows(NativeException.class, () -> binding.setInt(fd, SocketOption.SO_ERROR, 1));
        assertEquals("setsockopt(SO_ERROR): ENOPROTOOPT (Protocol not available)", e.getMessage());
        binding.close(fd);

        int listener = Loopback.listen(binding, Loopback.V4, 8, 0, SocketOption.SO_REUSEPORT);
        assertEquals(1, binding.getInt(listener, SocketOption.SO_ACCEPTCONN));
        binding.setInt(listener, SocketOption.TCP_DEFER_ACCEPT, 1);
        assertTrue(binding.getInt(listener, SocketOption.TCP_DEFER_ACCEPT) >= 1);
        binding.setInt(listener, SocketOption.TCP_FASTOPEN, 16);
        binding.close(listener);
    }

    @Test
    void lingerAndTheReuseportCpuProgram() {
        int fd = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        SocketOptions.setLinger(fd, true, 0);
        assertEquals(0, SocketOptions.getLinger(fd));
        SocketOptions.setLinger(fd, false, 0);
        assertEquals(-1, SocketOptions.getLinger(fd));
        Fd.close(fd);

        int listener = Loopback.listen(Loopback.V4, 8, 0, SocketOption.SO_REUSEPORT);
        SocketOptions.attachReuseportCpuProgram(listener, 2); // the kernel verifies the cBPF program
        Fd.close(listener);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void nonBlockingConnectCompletesThroughPoll(Binding binding) {
        int listener = Loopback.listen(binding, Loopback.V4, 4, 0);
        int client = Loopback.tcpSocket(binding, SockAddr.AF_INET, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        int r = binding.connect(client, Sockets.localAddress(listener));
        assertTrue(r == 0 || r == -Errno.EINPROGRESS, "connect gave " + r);
        try (Arena arena = Arena.ofConfined()) {
            int revents = Fd.poll(arena.allocate(Fd.POLLFD), client, Fd.POLLOUT, 10_000);
            assertTrue((revents & Fd.POLLOUT) != 0);
        }
        assertEquals(0, binding.getInt(client, SocketOption.SO_ERROR));
        binding.close(client);
        binding.close(listener);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("socklab.sys.Loopback#bindings")
    void connectToAPortWithNoListenerNamesTheAddress(Binding binding) {
        int listener = Loopback.listen(binding, Loopback.V4, 1, 0);
        InetSocketAddress address = Sockets.localAddress(listener);
        binding.close(listener); // the port is now free: nobody listens there
        int client = Loopback.tcpSocket(binding, SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        NativeException e = assertThrows(NativeException.class, () -> binding.connect(client, address));
        assertEquals("connect(127.0.0.1:" + address.getPort() + "): ECONNREFUSED (Connection refused)", e.getMessage());
        binding.close(client);
    }
}
