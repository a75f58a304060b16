package socklab.kernel;

import socklab.sys.Fd;
import socklab.sys.Netlink;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A sock_diag client: dumps the TCP sockets (IPv4 and IPv6) of this process's network namespace,
 * filtered by state and local port, the way {@code ss -tn state … sport = :P} does, through a
 * NETLINK_SOCK_DIAG socket.
 *
 * <p>One client owns one netlink socket and its request and receive buffers, allocated once; a dump
 * allocates only the returned records. Not thread-safe: each thread (the sampler, a CLI loop) opens
 * its own. If a dump fails part-way, the socket may still hold the rest of that dump (and the kernel
 * refuses a new dump on it with EBUSY until it is read), so the client closes it and opens a fresh
 * one for the next dump.
 */
public final class SockDiag implements AutoCloseable {
    /** Receive buffer: the kernel sends at most 32 KiB of a dump per datagram; twice that for margin. */
    private static final long RECEIVE_BUFFER = 64 * 1024;
    private static final int[] FAMILIES = {SockAddr.AF_INET, SockAddr.AF_INET6};

    private final Arena arena = Arena.ofShared();
    private final MemorySegment request = arena.allocate(InetDiag.MAX_REQUEST, 8);
    private final MemorySegment buffer = arena.allocate(RECEIVE_BUFFER, 8);
    private int fd = -1;
    private int seq;

    private SockDiag() {}

    /** A client with its netlink socket open; fails with a NativeException if the kernel has no sock_diag. */
    public static SockDiag open() {
        SockDiag client = new SockDiag();
        try {
            client.fd = Netlink.open(Netlink.NETLINK_SOCK_DIAG);
            return client;
        } catch (RuntimeException e) {
            client.arena.close();
            throw e;
        }
    }

    /** The listening TCP sockets on {@code port} (0: every port), IPv4 then IPv6. */
    public List<TcpSocket> listeners(int port) {
        return tcp(EnumSet.of(TcpState.LISTEN), port);
    }

    /** Connections waiting in the accept queues of the listeners on {@code port}: their Recv-Q summed, as ss shows it. */
    public long acceptQueue(int port) {
        return listeners(port).stream().mapToLong(TcpSocket::recvQ).sum();
    }

    /**
     * Handshakes with {@code port} the server's side has not completed: request sockets (and children
     * not yet queued) in SYN-RECV whose local port it is.
     */
    public long handshakesInProgress(int port) {
        return tcp(EnumSet.of(TcpState.SYN_RECV), port).size();
    }

    /** Clients waiting for an answer to their SYN to {@code port}: sockets in SYN-SENT whose remote port it is. */
    public long connectsWaiting(int port) {
        return tcp(EnumSet.of(TcpState.SYN_SENT), 0).stream().filter(s -> s.remote().getPort() == port).count();
    }

    /** The TCP sockets in one of {@code states} whose local port is {@code port} (0: every port), IPv4 then IPv6. */
    public List<TcpSocket> tcp(Set<TcpState> states, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 0..65535");
        }
        if (states.isEmpty()) {
            throw new IllegalArgumentException("no TCP state asked for");
        }
        List<TcpSocket> sockets = new ArrayList<>();
        for (int family : FAMILIES) {
            dump(family, Sockets.IPPROTO_TCP, TcpState.mask(states), port, sockets);
        }
        return sockets;
    }

    /** One dump request for {@code family}/{@code protocol}; replies are appended to {@code into}. */
    void dump(int family, int protocol, int states, int port, List<TcpSocket> into) {
        if (fd < 0) {
            fd = Netlink.open(Netlink.NETLINK_SOCK_DIAG);
        }
        String call = "sock_diag(" + familyName(family) + (port == 0 ? "" : " port " + port) + ")";
        int length = InetDiag.writeDumpRequest(request, ++seq, family, protocol, states, port);
        try {
            Netlink.dump(fd, request.asSlice(0, length), buffer, call, (type, payload) -> {
                if (type != InetDiag.SOCK_DIAG_BY_FAMILY) {
                    throw new IllegalStateException(call + ": unexpected netlink message type " + type);
                }
                into.add(InetDiag.read(payload));
            });
        } catch (RuntimeException e) {
            Fd.closeQuietly(fd); // the failure reported is e; a close error here would only hide it
            fd = -1;
            throw e;
        }
    }

    private static String familyName(int family) {
        return switch (family) {
            case SockAddr.AF_INET -> "AF_INET";
            case SockAddr.AF_INET6 -> "AF_INET6";
            default -> "family " + family;
        };
    }

    @Override
    public void close() {
        if (fd >= 0) {
            Fd.close(fd);
            fd = -1;
        }
        arena.close();
    }
}
