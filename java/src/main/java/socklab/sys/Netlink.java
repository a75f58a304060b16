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
import static socklab.sys.Libc.C_SIZE_T;
import static socklab.sys.Libc.C_SSIZE_T;

/**
 * Netlink sockets (netlink(7)) through FFM: open one, send a request to the kernel, and walk the
 * multipart reply of a dump message by message. socklab.kernel.SockDiag speaks NETLINK_SOCK_DIAG
 * over it, the protocol {@code ss} uses.
 *
 * <p>Addressing: a request goes to the kernel when its destination port id is 0. An unconnected
 * netlink socket's send(2) would use that default too, but the request names the kernel explicitly
 * with sendto(2) and a {@link #SOCKADDR_NL} whose nl_pid is 0, so the code says where it goes. The
 * socket is bound implicitly (autobind) on that first send; replies carry our port id.
 *
 * <p>Replies: the kernel fills each datagram with as many messages as fit (up to 32 KiB for a dump,
 * or the largest buffer recv was called with, whichever is smaller) and ends the dump with
 * NLMSG_DONE. recv is called with MSG_TRUNC, so a datagram larger than the caller's buffer is
 * reported instead of silently cut. An NLMSG_ERROR reply becomes a {@link NativeException} naming
 * the request and the errno the kernel sent.
 */
public final class Netlink {
    private Netlink() {}

    public static final int AF_NETLINK = 16;
    public static final int SOCK_RAW = 3;
    public static final int NETLINK_SOCK_DIAG = 4;
    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_DUMP = 0x300;
    public static final int NLMSG_ALIGNTO = 4;
    public static final int NLMSG_ERROR = 0x2;
    public static final int NLMSG_DONE = 0x3;
    public static final int MSG_TRUNC = 0x20;

    /**
     * <pre>
     * struct nlmsghdr {
     *     __u32 nlmsg_len;     // length of the message, header included
     *     __u16 nlmsg_type;    // NLMSG_DONE, NLMSG_ERROR, or the protocol's type (SOCK_DIAG_BY_FAMILY)
     *     __u16 nlmsg_flags;   // NLM_F_*
     *     __u32 nlmsg_seq;     // echoed by the kernel in every reply message
     *     __u32 nlmsg_pid;     // sender's port id (0: the kernel)
     * };
     * </pre>
     */
    public static final StructLayout NLMSGHDR = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("nlmsg_len"),
            ValueLayout.JAVA_SHORT.withName("nlmsg_type"),
            ValueLayout.JAVA_SHORT.withName("nlmsg_flags"),
            ValueLayout.JAVA_INT.withName("nlmsg_seq"),
            ValueLayout.JAVA_INT.withName("nlmsg_pid")).withName("nlmsghdr");

    /** <pre>struct nlmsgerr { int error; struct nlmsghdr msg; };   // error is -errno, 0 for an ACK</pre> */
    public static final StructLayout NLMSGERR = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("error"),
            NLMSGHDR.withName("msg")).withName("nlmsgerr");

    /** <pre>struct nlattr { __u16 nla_len; __u16 nla_type; };   // nla_len includes these 4 bytes</pre> */
    public static final StructLayout NLATTR = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("nla_len"),
            ValueLayout.JAVA_SHORT.withName("nla_type")).withName("nlattr");

    /**
     * <pre>
     * struct sockaddr_nl {
     *     __kernel_sa_family_t nl_family;   // AF_NETLINK
     *     unsigned short       nl_pad;      // zero
     *     __u32                nl_pid;      // port id; 0 is the kernel
     *     __u32                nl_groups;   // multicast groups mask
     * };
     * </pre>
     */
    public static final StructLayout SOCKADDR_NL = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("nl_family"),
            ValueLayout.JAVA_SHORT.withName("nl_pad"),
            ValueLayout.JAVA_INT.withName("nl_pid"),
            ValueLayout.JAVA_INT.withName("nl_groups")).withName("sockaddr_nl");

    private static final VarHandle LEN = NLMSGHDR.varHandle(groupElement("nlmsg_len"));
    private static final VarHandle TYPE = NLMSGHDR.varHandle(groupElement("nlmsg_type"));
    private static final VarHandle FLAGS = NLMSGHDR.varHandle(groupElement("nlmsg_flags"));
    private static final VarHandle SEQ = NLMSGHDR.varHandle(groupElement("nlmsg_seq"));
    private static final VarHandle PID = NLMSGHDR.varHandle(groupElement("nlmsg_pid"));
    private static final VarHandle ERROR = NLMSGERR.varHandle(groupElement("error"));
    private static final long HEADER = NLMSGHDR.byteSize();

    /** The kernel's address (nl_pid 0), written once; every request is sent to it. */
    private static final MemorySegment KERNEL = kernelAddress();

    private static MemorySegment kernelAddress() {
        MemorySegment address = Arena.global().allocate(SOCKADDR_NL);
        address.set(ValueLayout.JAVA_SHORT, SOCKADDR_NL.byteOffset(groupElement("nl_family")), (short) AF_NETLINK);
        return address;
    }

    private static final MethodHandle SENDTO = Libc.withErrno("sendto",
            FunctionDescriptor.of(C_SSIZE_T, C_INT, C_POINTER, C_SIZE_T, C_INT, C_POINTER, C_INT));

    /** What a caller does with one reply message of a dump; {@code payload} is valid until the handler returns. */
    @FunctionalInterface
    public interface ReplyHandler {
        void message(int type, MemorySegment payload);
    }

    /** A blocking, close-on-exec netlink socket of {@code protocol} (NETLINK_SOCK_DIAG, …). */
    public static int open(int protocol) {
        return Sockets.socket(AF_NETLINK, SOCK_RAW | Sockets.SOCK_CLOEXEC, protocol);
    }

    /** Writes a request header at the start of {@code message}; {@code length} counts the header and the payload. */
    public static void writeHeader(MemorySegment message, int length, int type, int flags, int seq) {
        LEN.set(message, 0L, length);
        TYPE.set(message, 0L, (short) type);
        FLAGS.set(message, 0L, (short) flags);
        SEQ.set(message, 0L, seq);
        PID.set(message, 0L, 0);
    }

    /** {@code length} rounded up to the netlink alignment, as NLMSG_ALIGN does. */
    public static long align(long length) {
        return (length + NLMSG_ALIGNTO - 1) & -NLMSG_ALIGNTO;
    }

    /**
     * Sends {@code request} (a whole message: header, payload, attributes) to the kernel, then reads
     * the reply into {@code buffer} (caller-owned, reused for every datagram; 32 KiB holds any dump
     * datagram) and hands each message of the request's sequence number to {@code handler}, until
     * NLMSG_DONE. Messages of another sequence number (left over from an earlier request) are
     * skipped. {@code call} names the request in errors: {@code sock_diag(AF_INET6): EINVAL (…)}.
     *
     * @return the number of messages handed to {@code handler}
     */
    public static int dump(int fd, MemorySegment request, MemorySegment buffer, String call, ReplyHandler handler) {
        int seq = (int) SEQ.get(request, 0L);
        sendToKernel(fd, request, call);
        int handled = 0;
        while (true) {
            long received = Fd.recv(fd, buffer, MSG_TRUNC);
            if (received > buffer.byteSize()) {
                throw new IllegalStateException(call + ": a netlink reply of " + received
                        + " bytes does not fit the " + buffer.byteSize() + "-byte receive buffer; give a larger one");
            }
            if (received <= 0) {
                throw new IllegalStateException(call + ": recv on the netlink socket returned " + received + " before NLMSG_DONE");
            }
            for (long offset = 0; offset + HEADER <= received; ) {
                int length = (int) LEN.get(buffer, offset);
                if (length < HEADER || offset + length > received) {
                    throw new IllegalStateException(call + ": malformed netlink message of length " + length
                            + " at offset " + offset + " of a " + received + "-byte reply");
                }
                if ((int) SEQ.get(buffer, offset) == seq) {
                    int type = Short.toUnsignedInt((short) TYPE.get(buffer, offset));
                    MemorySegment payload = buffer.asSlice(offset + HEADER, length - HEADER);
                    if (type == NLMSG_DONE) {
                        // The dump's final status: 0, or -errno when the dump itself failed part-way.
                        int status = payload.byteSize() >= Integer.BYTES ? payload.get(ValueLayout.JAVA_INT, 0) : 0;
                        if (status < 0) {
                            throw Errors.of(call, -status);
                        }
                        return handled;
                    }
                    if (type == NLMSG_ERROR) {
                        int error = (int) ERROR.get(payload, 0L);
                        if (error < 0) {
                            throw Errors.of(call, -error);
                        }
                        // error 0 is an acknowledgement; a dump request does not ask for one.
                    } else {
                        handler.message(type, payload);
                        handled++;
                    }
                }
                offset += align(length);
            }
        }
    }

    /** sendto(2) of the whole of {@code message} to the kernel; EINTR retried, any failure throws naming {@code call}. */
    private static void sendToKernel(int fd, MemorySegment message, String call) {
        MemorySegment state = Libc.callState();
        try {
            while (true) {
                long r = (long) SENDTO.invokeExact(state, fd, message, message.byteSize(), 0, KERNEL, (int) SOCKADDR_NL.byteSize());
                if (r >= 0) {
                    return; // a netlink datagram is sent whole or not at all
                }
                int errno = Libc.errno(state);
                if (errno != Errno.EINTR) {
                    throw Errors.of("sendto(" + call + ")", errno);
                }
            }
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }
}
