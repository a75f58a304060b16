package socklab.kernel;

import socklab.sys.SocketOptions;
import socklab.sys.TcpInfo;

/**
 * A listening socket's accept-queue length and backlog read with getsockopt(TCP_INFO) on one of this
 * process's own descriptors: on a listener the kernel puts them in tcpi_unacked and tcpi_sacked. A
 * cheap way to read the queue (one syscall, no netlink dump), limited to sockets the process holds.
 */
public record ListenerQueue(long acceptQueue, long backlog) {

    /** The queue of listening descriptor {@code fd}; fails naming the state when fd is not listening. */
    public static ListenerQueue of(int fd) {
        TcpInfo info = SocketOptions.tcpInfo(fd);
        if (info.state() != TcpInfo.TCP_LISTEN) {
            throw new IllegalArgumentException("fd " + fd + " is not a listening socket: its TCP state is "
                    + TcpState.of(info.state()).ssName());
        }
        return new ListenerQueue(info.unacked(), info.sacked());
    }
}
