package socklab.sys;

import static socklab.sys.SocketOptions.IPPROTO_IPV6;
import static socklab.sys.SocketOptions.SOL_SOCKET;
import static socklab.sys.Sockets.IPPROTO_TCP;

/**
 * The integer-valued socket options socklab sets or reads, by name, with their level. Struct-valued
 * options (SO_LINGER, TCP_INFO, SO_ATTACH_REUSEPORT_CBPF) have methods of their own in
 * {@link SocketOptions}. Each constant's value is checked against the C headers.
 */
public enum SocketOption {
    /** Bind a port that still has TIME_WAIT connections; servers always set it. */
    SO_REUSEADDR(SOL_SOCKET, SocketOptions.SO_REUSEADDR),
    /**
     * Linux >= 3.9: several sockets bind the same address and port; the kernel hashes each new
     * connection (4-tuple) to one of the listening sockets of the group, each with its own accept
     * queue. All sockets of a group must set it before bind and belong to the same effective uid.
     */
    SO_REUSEPORT(SOL_SOCKET, SocketOptions.SO_REUSEPORT),
    /** Receive buffer; the kernel doubles the value set (bookkeeping) and getsockopt reports the double. */
    SO_RCVBUF(SOL_SOCKET, SocketOptions.SO_RCVBUF),
    /** Send buffer; doubled by the kernel as SO_RCVBUF. */
    SO_SNDBUF(SOL_SOCKET, SocketOptions.SO_SNDBUF),
    SO_KEEPALIVE(SOL_SOCKET, SocketOptions.SO_KEEPALIVE),
    /** Read-only: the pending error, cleared by reading; how a non-blocking connect reports its outcome. */
    SO_ERROR(SOL_SOCKET, SocketOptions.SO_ERROR),
    /** Read-only: 1 on a listening socket. */
    SO_ACCEPTCONN(SOL_SOCKET, SocketOptions.SO_ACCEPTCONN),
    /**
     * The CPU that handled the socket's packets (read), or, set on a listener before bind in a reuseport
     * group, the CPU whose connections this socket prefers (Linux >= 4.4).
     */
    SO_INCOMING_CPU(SOL_SOCKET, SocketOptions.SO_INCOMING_CPU),
    /** Disable Nagle: small responses leave at once instead of waiting for the previous segment's ACK. */
    TCP_NODELAY(IPPROTO_TCP, SocketOptions.TCP_NODELAY),
    /**
     * On a listener: seconds to keep a handshake-complete connection out of the accept queue until
     * data arrives (the kernel rounds to its SYN-ACK retransmission steps).
     */
    TCP_DEFER_ACCEPT(IPPROTO_TCP, SocketOptions.TCP_DEFER_ACCEPT),
    /**
     * On a listener: the length of the queue of TFO requests not yet accepted; enables server-side TCP
     * Fast Open when net.ipv4.tcp_fastopen has bit 0x2 set.
     */
    TCP_FASTOPEN(IPPROTO_TCP, SocketOptions.TCP_FASTOPEN),
    /** On an AF_INET6 socket: refuse IPv4-mapped peers (default from net.ipv6.bindv6only). */
    IPV6_V6ONLY(IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY);

    private final int level;
    private final int optname;

    SocketOption(int level, int optname) {
        this.level = level;
        this.optname = optname;
    }

    /** The protocol level passed to setsockopt: SOL_SOCKET, IPPROTO_TCP or IPPROTO_IPV6. */
    public int level() {
        return level;
    }

    /** The option's number at its level. */
    public int optname() {
        return optname;
    }
}
