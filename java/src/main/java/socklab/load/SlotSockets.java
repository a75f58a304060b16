package socklab.load;

import socklab.sys.Epoll;
import socklab.sys.Errno;
import socklab.sys.Fd;
import socklab.sys.Libc;
import socklab.sys.NativeException;
import socklab.sys.SockAddr;
import socklab.sys.SocketOption;
import socklab.sys.SocketOptions;
import socklab.sys.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The syscalls of a {@link LoadLoop}'s connections, and the memory they use, allocated up front: the
 * target's address, the request bytes (one native segment per path) and the read buffer. Sockets are
 * non-blocking and registered edge-triggered for reading and writing once per connection, so a
 * keep-alive request costs one send, one read and a share of one epoll_wait, and no epoll_ctl.
 *
 * <p>A call that fails says how in {@link #failure} and {@link #problem} (set on error paths only) and
 * leaves what the slot does next to {@link ConnectionSlots}.
 */
final class SlotSockets {
    static final int EDGE = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET;
    /** In a harvested event: the stream has ended or failed, so a short read does not mean "drained". */
    private static final int END = Epoll.EPOLLRDHUP | Epoll.EPOLLHUP | Epoll.EPOLLERR;
    private static final int READ_BUFFER = 64 * 1024;

    // What a send or a read came to.
    static final int MORE = 0;   // not done yet: the rest comes with a later edge
    static final int DONE = 1;   // the whole request sent, the whole response read
    static final int FAILED = 2; // the request failed: failure and problem say how

    private final String target;
    /** What a timed-out response and a timed-out handshake count as (ConnectionSlots times them out). */
    final String timeoutMessage;
    final String connectTimeoutMessage;
    private final MemorySegment address;
    private final int addressLength;
    private final int family;
    private final MemorySegment[] requests;
    private final MemorySegment readBuffer;
    private final int epfd;
    private final WorkerTable workers;

    /** The last call's failure and its text. */
    ErrorKind failure;
    String problem;

    SlotSockets(LoadConfig config, byte[][] requestBytes, Arena arena, int epfd, WorkerTable workers) {
        this.target = SockAddr.format(config.target());
        this.timeoutMessage = "no complete response from " + target + " within " + config.timeout().toMillis() + " ms";
        this.connectTimeoutMessage = "connect(" + target + "): no handshake within " + config.timeout().toMillis() + " ms";
        this.address = arena.allocate(SockAddr.SOCKADDR_STORAGE);
        this.addressLength = SockAddr.write(config.target(), address);
        this.family = SockAddr.family(config.target().getAddress());
        this.requests = new MemorySegment[requestBytes.length];
        for (int i = 0; i < requestBytes.length; i++) {
            requests[i] = arena.allocate(requestBytes[i].length);
            MemorySegment.copy(requestBytes[i], 0, requests[i], ValueLayout.JAVA_BYTE, 0, requestBytes[i].length);
        }
        this.readBuffer = arena.allocate(READ_BUFFER);
        this.epfd = epfd;
        this.workers = workers;
    }

    /**
     * Makes the first call through each downcall handle the loop uses, against a port of its own: a
     * socket bound but not listening, so the connect is refused without a packet leaving loopback or
     * a server seeing it. The first call links the handle (milliseconds of method-handle set-up);
     * without this, a storm's first connects would carry that set-up in their latency.
     */
    static void linkDowncalls() {
        int bound = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        int fd = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        try (Arena scratch = Arena.ofConfined()) {
            Sockets.bind(bound, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            MemorySegment address = scratch.allocate(SockAddr.SOCKADDR_STORAGE);
            int length = SockAddr.write(Sockets.localAddress(bound), address);
            MemorySegment oneByte = scratch.allocate(1);
            try {
                Sockets.connect(fd, address, length);
                Epoll.add(epfd, fd, EDGE, 0);
                Epoll.waitNanos(epfd, Epoll.allocateEvents(scratch, 1), scratch.allocate(Epoll.TIMESPEC), 100_000_000L);
                SocketOptions.getInt(fd, SocketOption.SO_ERROR);
                Fd.send(fd, oneByte, Fd.MSG_NOSIGNAL);
            } catch (NativeException refused) {
                // expected: nothing listens there; the handles are linked all the same
            }
            try {
                Fd.read(fd, oneByte);
            } catch (NativeException notConnected) {
                // expected as well
            }
        } finally {
            Fd.closeQuietly(fd);
            Fd.closeQuietly(epfd);
            Fd.closeQuietly(bound);
        }
    }

    /** Opens a socket for {@code s} and starts its handshake; false when either failed. */
    boolean connect(Slot s) {
        int fd;
        try {
            fd = Sockets.tcpSocket(family, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        } catch (NativeException e) {
            failed(ErrorKind.CONNECT_ERROR, e.getMessage());
            return false;
        }
        s.fd = fd;
        s.generation++;
        int r;
        try {
            r = Sockets.connect(fd, address, addressLength);
        } catch (NativeException e) {
            failed(ErrorKind.ofConnect(e.errno()), describeConnect(e.errno()));
            return false;
        }
        // Registered once for both directions, edge-triggered: the handshake's end shows as EPOLLOUT
        // (also when connect returned 0: ADD reports readiness that is already there).
        Epoll.add(epfd, fd, EDGE, ((long) s.generation << 32) | s.index);
        assert r == 0 || r == -Errno.EINPROGRESS;
        return true;
    }

    /** The handshake on {@code s} ended in an error or a hang-up: which. */
    void handshakeFailed(Slot s) {
        int errno = SocketOptions.getInt(s.fd, SocketOption.SO_ERROR);
        failed(errno == 0 ? ErrorKind.CONNECT_ERROR : ErrorKind.ofConnect(errno),
                errno == 0 ? "connect(" + target + "): hung up" : describeConnect(errno));
    }

    /** Sends what is left of the request on {@code s}. */
    int send(Slot s) {
        MemorySegment request = requests[s.path];
        long n;
        try {
            n = Fd.send(s.fd, s.written == 0 ? request : request.asSlice(s.written), Fd.MSG_NOSIGNAL);
        } catch (NativeException e) {
            return failed(ErrorKind.ofTransfer(e.errno()), e.getMessage());
        }
        if (n > 0) {
            s.written += n;
        }
        return s.written == request.byteSize() ? DONE : MORE;
    }

    /**
     * Reads until the response is complete or the socket is drained. Edge-triggered, a short read
     * means drained: bytes arriving later bring a new edge. The end of the stream is the exception:
     * a FIN that arrived before the event was harvested brings no new edge, but shows in the event
     * as EPOLLRDHUP, and then the loop reads on to the 0 (or the error).
     */
    int read(Slot s, int ready) {
        while (true) {
            long n;
            try {
                n = Fd.read(s.fd, readBuffer);
            } catch (NativeException e) {
                return failed(ErrorKind.ofTransfer(e.errno()), e.getMessage());
            }
            if (n == -Errno.EAGAIN) {
                return MORE;
            }
            int result = n == 0 ? s.parser.endOfStream() : s.parser.feed(readBuffer, (int) n, workers);
            if (result == ResponseParser.COMPLETE) {
                return DONE;
            }
            if (n == 0) {
                return failed(ErrorKind.CLOSED_EARLY, "connection closed by the server before the whole response");
            }
            if (result == ResponseParser.BAD) {
                return failed(ErrorKind.BAD_RESPONSE, s.parser.problem());
            }
            if (n < READ_BUFFER && (ready & END) == 0) {
                return MORE;
            }
        }
    }

    /**
     * Input on a connection with no request: true when it means the end of the connection (the server
     * closed it, or sent something unasked), false when there was nothing to read after all.
     */
    boolean idleInputEnds(Slot s) {
        try {
            if (Fd.read(s.fd, readBuffer) == -Errno.EAGAIN) {
                return false;
            }
        } catch (NativeException e) {
            // reset while idle: nothing was lost, the slot reconnects
        }
        return true;
    }

    void close(Slot s) {
        if (s.fd >= 0) {
            Fd.closeQuietly(s.fd); // close(2) also takes it out of the epoll set
            s.fd = -1;
        }
    }

    private int failed(ErrorKind kind, String example) {
        failure = kind;
        problem = example;
        return FAILED;
    }

    private String describeConnect(int errno) {
        return "connect(" + target + "): " + Libc.errnoName(errno) + " (" + Libc.errnoText(errno) + ")";
    }
}
