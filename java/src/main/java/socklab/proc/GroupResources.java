package socklab.proc;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import socklab.server.Model;
import socklab.server.ServerConfig;
import socklab.sys.Epoll;
import socklab.sys.Fd;
import socklab.sys.SockAddr;
import socklab.sys.SocketOption;
import socklab.sys.SocketOptions;
import socklab.sys.Sockets;

/**
 * What the parent of a {@link ProcessGroup} holds: the group's socket (listening, or for reuseport a
 * port holder), the counters the workers share ({@link StatsTable}), the supervisor's epoll set with
 * the eventfd that wakes it for the stop, and the cluster's {@link ClusterPrimary}. Opened on the
 * caller's thread before the supervisor starts; closed, in reverse, by the supervisor when it ends.
 * The list of descriptors is also the lock under which another thread's {@link ProcessGroup#close}
 * writes to the eventfd: once released, the list is empty and nothing is written.
 *
 * <p>The fields are set by {@link #open} and read by the supervisor's classes.
 */
final class GroupResources {
    // Epoll data: kind << 32 | slot.
    static final long CONTROL = 0;
    static final long EXIT = 1L << 32;
    static final long LISTENER = 2L << 32;
    static final long CHANNEL = 3L << 32;

    private final GroupConfig config;
    private final List<Integer> fds = new ArrayList<>(); // what the parent opened, closed in reverse at the end
    int socketFd = -1;
    InetSocketAddress address;
    StatsTable table;
    int epfd;
    int controlFd;
    ClusterPrimary primary;

    GroupResources(GroupConfig config) {
        this.config = config;
    }

    /** The sockets, the shared table, the epoll set and the stop eventfd; on the caller's thread. */
    void open() {
        ServerConfig server = config.server();
        InetSocketAddress at = server.address();
        if (server.model() == Model.REUSEPORT) {
            socketFd = keep(Sockets.socket(SockAddr.family(at.getAddress()), Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, Sockets.IPPROTO_TCP));
            SocketOptions.setInt(socketFd, SocketOption.SO_REUSEADDR, 1);
            SocketOptions.setInt(socketFd, SocketOption.SO_REUSEPORT, 1);
            Sockets.bind(socketFd, at);
        } else {
            // Non-blocking: the flag belongs to the socket, shared by every process that has it; the
            // workers' epoll loops and the cluster primary need it. TCP_NODELAY is inherited by accepted sockets.
            socketFd = keep(Sockets.listenTcp(at, server.backlog(), Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC,
                    SocketOption.SO_REUSEADDR, SocketOption.TCP_NODELAY));
        }
        address = Sockets.localAddress(socketFd);
        table = StatsTable.create(config.processes(), config.blocksPerProcess());
        epfd = keep(Epoll.create(Epoll.EPOLL_CLOEXEC));
        controlFd = keep(Fd.eventfd(0, Fd.EFD_CLOEXEC | Fd.EFD_NONBLOCK));
        Epoll.add(epfd, controlFd, Epoll.EPOLLIN, CONTROL);
        if (server.model() == Model.CLUSTER) {
            primary = new ClusterPrimary(epfd, socketFd, LISTENER, CHANNEL, config.processes(), server.backlog());
        }
    }

    private int keep(int fd) {
        fds.add(fd);
        return fd;
    }

    /** Wakes the supervisor through the eventfd, unless it has ended (and closed the eventfd). */
    void wakeSupervisor() {
        synchronized (fds) { // the supervisor closes controlFd under this lock when it ends
            if (!fds.isEmpty()) {
                try (Arena arena = Arena.ofConfined()) {
                    Fd.write(controlFd, arena.allocateFrom(ValueLayout.JAVA_LONG, 1L));
                }
            }
        }
    }

    /** The parent's copy of the group's socket goes (see {@link GroupStop} for when). */
    void closeSocket() {
        synchronized (fds) {
            Fd.close(socketFd);
            fds.remove((Integer) socketFd);
        }
        socketFd = -1;
    }

    void release() {
        if (primary != null) {
            primary.close();
        }
        if (table != null) {
            table.close();
        }
        synchronized (fds) {
            for (int i = fds.size() - 1; i >= 0; i--) {
                Fd.close(fds.get(i));
            }
            fds.clear();
        }
    }
}
