package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_POINTER;
import static socklab.sys.Libc.C_SSIZE_T;

/**
 * Descriptors passed between processes over a Unix socket: sendmsg(2) and recvmsg(2) with one
 * {@code SCM_RIGHTS} control message (unix(7)). Each message is one byte of data, a tag the two ends
 * agree on, and at most one descriptor. The receiver gets a new descriptor number for the same open
 * file description, the way Node's cluster primary hands an accepted connection to a worker.
 *
 * <p>A message buffer ({@link #allocateMessage}) holds the msghdr, its one iovec, the data byte and the
 * control buffer, wired together once; {@link #send} and {@link #receive} only fill and read it, so a
 * hand-off allocates nothing. Received descriptors get FD_CLOEXEC (MSG_CMSG_CLOEXEC), so a process the
 * receiver starts later does not inherit them by accident.
 */
public final class FdPassing {
    private FdPassing() {}

    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int MSG_CTRUNC = 0x8;
    /** CMSG_LEN(sizeof(int)): the cmsg_len of a control message carrying one descriptor. */
    public static final int CMSG_LEN_ONE_FD = 20;
    /** CMSG_SPACE(sizeof(int)): the control buffer one descriptor needs, padding included. */
    public static final int CMSG_SPACE_ONE_FD = 24;

    /**
     * <pre>
     * struct iovec { void *iov_base; size_t iov_len; };
     * </pre>
     */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("iov_base"),
            ValueLayout.JAVA_LONG.withName("iov_len")).withName("iovec");

    /**
     * <pre>
     * struct msghdr {
     *     void         *msg_name;       socklen_t msg_namelen;   // (4 bytes of padding)
     *     struct iovec *msg_iov;        size_t    msg_iovlen;
     *     void         *msg_control;    size_t    msg_controllen;
     *     int           msg_flags;      // (4 bytes of padding)
     * };
     * </pre>
     */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("msg_name"),
            ValueLayout.JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.ADDRESS.withName("msg_iov"),
            ValueLayout.JAVA_LONG.withName("msg_iovlen"),
            ValueLayout.ADDRESS.withName("msg_control"),
            ValueLayout.JAVA_LONG.withName("msg_controllen"),
            ValueLayout.JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4)).withName("msghdr");

    /**
     * <pre>
     * struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; unsigned char cmsg_data[]; };
     * </pre>
     */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("cmsg_len"),
            ValueLayout.JAVA_INT.withName("cmsg_level"),
            ValueLayout.JAVA_INT.withName("cmsg_type")).withName("cmsghdr");

    private static final VarHandle MSG_CONTROLLEN = MSGHDR.varHandle(groupElement("msg_controllen"));
    private static final VarHandle MSG_FLAGS = MSGHDR.varHandle(groupElement("msg_flags"));
    private static final VarHandle CMSG_LEN = CMSGHDR.varHandle(groupElement("cmsg_len"));
    private static final VarHandle CMSG_LEVEL = CMSGHDR.varHandle(groupElement("cmsg_level"));
    private static final VarHandle CMSG_TYPE = CMSGHDR.varHandle(groupElement("cmsg_type"));

    // The message buffer: msghdr | iovec | control (one cmsghdr and its int) | the data byte.
    private static final long IOV_AT = MSGHDR.byteSize();
    private static final long CONTROL_AT = IOV_AT + IOVEC.byteSize();
    private static final long FD_AT = CONTROL_AT + CMSGHDR.byteSize();
    private static final long DATA_AT = CONTROL_AT + CMSG_SPACE_ONE_FD;
    private static final long MESSAGE_BYTES = DATA_AT + 8;

    private static final MethodHandle SENDMSG = Libc.withErrno("sendmsg", FunctionDescriptor.of(C_SSIZE_T, C_INT, C_POINTER, C_INT));
    private static final MethodHandle RECVMSG = Libc.withErrno("recvmsg", FunctionDescriptor.of(C_SSIZE_T, C_INT, C_POINTER, C_INT));

    /** A message buffer for one end of a channel, living as long as {@code arena}; one thread uses it at a time. */
    public static MemorySegment allocateMessage(Arena arena) {
        MemorySegment m = arena.allocate(MESSAGE_BYTES, 8);
        MemorySegment iov = m.asSlice(IOV_AT, IOVEC.byteSize());
        iov.set(ValueLayout.ADDRESS, IOVEC.byteOffset(groupElement("iov_base")), m.asSlice(DATA_AT, 1));
        iov.set(ValueLayout.JAVA_LONG, IOVEC.byteOffset(groupElement("iov_len")), 1L);
        m.set(ValueLayout.ADDRESS, MSGHDR.byteOffset(groupElement("msg_iov")), iov);
        m.set(ValueLayout.JAVA_LONG, MSGHDR.byteOffset(groupElement("msg_iovlen")), 1L);
        m.set(ValueLayout.ADDRESS, MSGHDR.byteOffset(groupElement("msg_control")), m.asSlice(CONTROL_AT, CMSG_SPACE_ONE_FD));
        return m;
    }

    /**
     * Sends the byte {@code tag} and, when {@code fd >= 0}, the descriptor {@code fd}: 1 when sent,
     * {@code -EAGAIN} on a full non-blocking socket. A peer that has gone (EPIPE, ECONNRESET) throws, as
     * any other failure; MSG_NOSIGNAL keeps EPIPE from raising SIGPIPE.
     */
    public static long send(int socket, MemorySegment message, byte tag, int fd) {
        message.set(ValueLayout.JAVA_BYTE, DATA_AT, tag);
        if (fd >= 0) {
            CMSG_LEN.set(message, CONTROL_AT, (long) CMSG_LEN_ONE_FD);
            CMSG_LEVEL.set(message, CONTROL_AT, SocketOptions.SOL_SOCKET);
            CMSG_TYPE.set(message, CONTROL_AT, SCM_RIGHTS);
            message.set(ValueLayout.JAVA_INT, FD_AT, fd);
        }
        MSG_CONTROLLEN.set(message, 0L, fd >= 0 ? (long) CMSG_SPACE_ONE_FD : 0L);
        MSG_FLAGS.set(message, 0L, 0);
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                long r = (long) SENDMSG.invokeExact(state, socket, message, Fd.MSG_NOSIGNAL | Fd.MSG_DONTWAIT);
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    return Errors.checkAgain("sendmsg", (long) -errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /**
     * Receives one message into {@code message}: 1 when one arrived (read it with {@link #tag} and
     * {@link #receivedFd}), 0 at end of stream (the peer closed or shut down), {@code -EAGAIN} when none
     * is waiting on a non-blocking socket. Blocks on a blocking socket.
     */
    public static long receive(int socket, MemorySegment message) {
        MSG_CONTROLLEN.set(message, 0L, (long) CMSG_SPACE_ONE_FD);
        MSG_FLAGS.set(message, 0L, 0);
        CMSG_LEN.set(message, CONTROL_AT, 0L);
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                long r = (long) RECVMSG.invokeExact(state, socket, message, MSG_CMSG_CLOEXEC);
                if (r >= 0) {
                    return r;
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    return Errors.checkAgain("recvmsg", (long) -errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** The data byte of the message {@link #receive} read. */
    public static byte tag(MemorySegment message) {
        return message.get(ValueLayout.JAVA_BYTE, DATA_AT);
    }

    /**
     * The descriptor that came with the message, or -1 when none did: none was sent, or the kernel
     * dropped it (MSG_CTRUNC, e.g. the receiver was at its RLIMIT_NOFILE).
     */
    public static int receivedFd(MemorySegment message) {
        boolean carries = (long) MSG_CONTROLLEN.get(message, 0L) >= CMSG_LEN_ONE_FD
                && (long) CMSG_LEN.get(message, CONTROL_AT) == CMSG_LEN_ONE_FD
                && (int) CMSG_LEVEL.get(message, CONTROL_AT) == SocketOptions.SOL_SOCKET
                && (int) CMSG_TYPE.get(message, CONTROL_AT) == SCM_RIGHTS;
        return carries ? message.get(ValueLayout.JAVA_INT, FD_AT) : -1;
    }

    /** Whether the kernel cut the control data of the last message (a descriptor was lost on the way). */
    public static boolean truncated(MemorySegment message) {
        return ((int) MSG_FLAGS.get(message, 0L) & MSG_CTRUNC) != 0;
    }
}
