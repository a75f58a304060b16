package socklab.kernel;

import socklab.sys.SockAddr;

import java.net.InetSocketAddress;

/**
 * One TCP socket as sock_diag reports it (struct inet_diag_msg).
 *
 * @param recvQ on a LISTEN socket the accept-queue length (idiag_rqueue: connections whose handshake
 *              is complete, waiting for accept); otherwise bytes received and not yet read
 * @param sendQ on a LISTEN socket the backlog (idiag_wqueue: listen()'s argument, capped at
 *              net.core.somaxconn; the queue holds backlog + 1); otherwise bytes sent and not yet acknowledged
 * @param uid   the socket owner's user id
 * @param inode the socket's inode, which /proc/PID/fd links name as {@code socket:[inode]}; 0 for a
 *              connection not yet accepted (it has no file)
 */
public record TcpSocket(TcpState state, InetSocketAddress local, InetSocketAddress remote,
                        long recvQ, long sendQ, long uid, long inode) {

    public boolean listening() {
        return state == TcpState.LISTEN;
    }

    /** The local address as ss prints it: {@code 127.0.0.1:8080}, {@code [::]:8080}. */
    public String localText() {
        return SockAddr.format(local);
    }

    /** The peer as ss prints it; {@code *} port for a listener, which has none. */
    public String remoteText() {
        return listening() ? SockAddr.format(remote).replaceFirst(":0$", ":*") : SockAddr.format(remote);
    }
}
