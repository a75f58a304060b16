package socklab.kernel;

import socklab.sys.Netlink;
import socklab.sys.SockAddr;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The sock_diag inet protocol (linux/inet_diag.h, linux/sock_diag.h): the request that dumps TCP
 * sockets of one address family filtered by state and local port, and the reply message that
 * describes one socket. Layouts and constants are checked against the C headers by HeaderConstantsTest.
 *
 * <p>The port filter is inet_diag bytecode (INET_DIAG_REQ_BYTECODE) run by the kernel for each
 * socket, as {@code ss … sport = :P} does, rather than a state-filtered dump filtered in Java: a
 * machine running a benchmark has thousands of connections, and the sampler dumps every few
 * milliseconds, so only the port's sockets should be copied out. The program is two comparisons,
 * {@code sport >= P} then {@code sport <= P} (INET_DIAG_BC_S_GE/S_LE, which every kernel with
 * inet_diag bytecode has; the single S_EQ needs Linux 4.16).
 */
public final class InetDiag {
    private InetDiag() {}

    public static final int SOCK_DIAG_BY_FAMILY = 20;
    public static final int INET_DIAG_REQ_BYTECODE = 1;
    public static final int INET_DIAG_BC_S_GE = 2;
    public static final int INET_DIAG_BC_S_LE = 3;

    // State masks for idiag_states: 1 << the state's number in the kernel's enum (netinet/tcp.h).
    public static final int TCPF_ESTABLISHED = 1 << 1;
    public static final int TCPF_SYN_SENT = 1 << 2;
    public static final int TCPF_SYN_RECV = 1 << 3;
    public static final int TCPF_FIN_WAIT1 = 1 << 4;
    public static final int TCPF_FIN_WAIT2 = 1 << 5;
    public static final int TCPF_TIME_WAIT = 1 << 6;
    public static final int TCPF_CLOSE = 1 << 7;
    public static final int TCPF_CLOSE_WAIT = 1 << 8;
    public static final int TCPF_LAST_ACK = 1 << 9;
    public static final int TCPF_LISTEN = 1 << 10;
    public static final int TCPF_CLOSING = 1 << 11;

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * <pre>
     * struct inet_diag_sockid {
     *     __be16 idiag_sport, idiag_dport;
     *     __be32 idiag_src[4], idiag_dst[4];   // IPv4 uses the first word
     *     __u32  idiag_if;
     *     __u32  idiag_cookie[2];
     * };
     * </pre>
     */
    public static final StructLayout INET_DIAG_SOCKID = MemoryLayout.structLayout(
            NET_SHORT.withName("idiag_sport"),
            NET_SHORT.withName("idiag_dport"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("idiag_src"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("idiag_dst"),
            ValueLayout.JAVA_INT.withName("idiag_if"),
            MemoryLayout.sequenceLayout(2, ValueLayout.JAVA_INT).withName("idiag_cookie")).withName("inet_diag_sockid");

    /**
     * <pre>
     * struct inet_diag_req_v2 {
     *     __u8  sdiag_family, sdiag_protocol;   // AF_INET or AF_INET6; IPPROTO_TCP
     *     __u8  idiag_ext, pad;                 // no extensions asked for
     *     __u32 idiag_states;                   // TCPF_* mask
     *     struct inet_diag_sockid id;           // zero: the dump filters with bytecode instead
     * };
     * </pre>
     */
    public static final StructLayout INET_DIAG_REQ_V2 = MemoryLayout.structLayout(
            ValueLayout.JAVA_BYTE.withName("sdiag_family"),
            ValueLayout.JAVA_BYTE.withName("sdiag_protocol"),
            ValueLayout.JAVA_BYTE.withName("idiag_ext"),
            ValueLayout.JAVA_BYTE.withName("pad"),
            ValueLayout.JAVA_INT.withName("idiag_states"),
            INET_DIAG_SOCKID.withName("id")).withName("inet_diag_req_v2");

    /**
     * <pre>
     * struct inet_diag_msg {
     *     __u8  idiag_family, idiag_state, idiag_timer, idiag_retrans;
     *     struct inet_diag_sockid id;
     *     __u32 idiag_expires;
     *     __u32 idiag_rqueue;   // LISTEN: accept-queue length; else bytes received, not yet read
     *     __u32 idiag_wqueue;   // LISTEN: backlog; else bytes sent, not yet acknowledged
     *     __u32 idiag_uid, idiag_inode;
     * };
     * </pre>
     */
    public static final StructLayout INET_DIAG_MSG = MemoryLayout.structLayout(
            ValueLayout.JAVA_BYTE.withName("idiag_family"),
            ValueLayout.JAVA_BYTE.withName("idiag_state"),
            ValueLayout.JAVA_BYTE.withName("idiag_timer"),
            ValueLayout.JAVA_BYTE.withName("idiag_retrans"),
            INET_DIAG_SOCKID.withName("id"),
            ValueLayout.JAVA_INT.withName("idiag_expires"),
            ValueLayout.JAVA_INT.withName("idiag_rqueue"),
            ValueLayout.JAVA_INT.withName("idiag_wqueue"),
            ValueLayout.JAVA_INT.withName("idiag_uid"),
            ValueLayout.JAVA_INT.withName("idiag_inode")).withName("inet_diag_msg");

    /**
     * <pre>
     * struct inet_diag_bc_op {
     *     unsigned char  code;   // INET_DIAG_BC_*
     *     unsigned char  yes;    // bytes to skip forward when the test holds
     *     unsigned short no;     // … when it fails; a port test's second op carries the port here
     * };
     * </pre>
     */
    public static final StructLayout INET_DIAG_BC_OP = MemoryLayout.structLayout(
            ValueLayout.JAVA_BYTE.withName("code"),
            ValueLayout.JAVA_BYTE.withName("yes"),
            ValueLayout.JAVA_SHORT.withName("no")).withName("inet_diag_bc_op");

    private static final long OP = INET_DIAG_BC_OP.byteSize();
    /** sport >= P, then sport <= P: two ops each followed by an op-sized slot holding the port. */
    private static final long PORT_PROGRAM = 4 * OP;
    private static final long REQUEST_OFFSET = Netlink.NLMSGHDR.byteSize();
    private static final long ATTRIBUTE_OFFSET = REQUEST_OFFSET + INET_DIAG_REQ_V2.byteSize();
    /** Room for a request with the port program: header, inet_diag_req_v2, nlattr, bytecode. */
    static final long MAX_REQUEST = Netlink.align(ATTRIBUTE_OFFSET + Netlink.NLATTR.byteSize() + PORT_PROGRAM);

    private static final VarHandle REQ_FAMILY = INET_DIAG_REQ_V2.varHandle(groupElement("sdiag_family"));
    private static final VarHandle REQ_PROTOCOL = INET_DIAG_REQ_V2.varHandle(groupElement("sdiag_protocol"));
    private static final VarHandle REQ_STATES = INET_DIAG_REQ_V2.varHandle(groupElement("idiag_states"));
    private static final VarHandle NLA_LEN = Netlink.NLATTR.varHandle(groupElement("nla_len"));
    private static final VarHandle NLA_TYPE = Netlink.NLATTR.varHandle(groupElement("nla_type"));
    private static final VarHandle OP_CODE = INET_DIAG_BC_OP.varHandle(groupElement("code"));
    private static final VarHandle OP_YES = INET_DIAG_BC_OP.varHandle(groupElement("yes"));
    private static final VarHandle OP_NO = INET_DIAG_BC_OP.varHandle(groupElement("no"));

    private static final VarHandle MSG_FAMILY = INET_DIAG_MSG.varHandle(groupElement("idiag_family"));
    private static final VarHandle MSG_STATE = INET_DIAG_MSG.varHandle(groupElement("idiag_state"));
    private static final VarHandle MSG_SPORT = INET_DIAG_MSG.varHandle(groupElement("id"), groupElement("idiag_sport"));
    private static final VarHandle MSG_DPORT = INET_DIAG_MSG.varHandle(groupElement("id"), groupElement("idiag_dport"));
    private static final long MSG_SRC = INET_DIAG_MSG.byteOffset(groupElement("id"), groupElement("idiag_src"));
    private static final long MSG_DST = INET_DIAG_MSG.byteOffset(groupElement("id"), groupElement("idiag_dst"));
    private static final VarHandle MSG_RQUEUE = INET_DIAG_MSG.varHandle(groupElement("idiag_rqueue"));
    private static final VarHandle MSG_WQUEUE = INET_DIAG_MSG.varHandle(groupElement("idiag_wqueue"));
    private static final VarHandle MSG_UID = INET_DIAG_MSG.varHandle(groupElement("idiag_uid"));
    private static final VarHandle MSG_INODE = INET_DIAG_MSG.varHandle(groupElement("idiag_inode"));

    /**
     * Writes into {@code into} (at least {@link #MAX_REQUEST} bytes) a dump request for the sockets of
     * {@code family} and {@code protocol} whose state is in {@code states} (a TCPF_* mask) and, when
     * {@code localPort} is not 0, whose local port is {@code localPort}. Returns the request's length.
     */
    static int writeDumpRequest(MemorySegment into, int seq, int family, int protocol, int states, int localPort) {
        into.asSlice(0, MAX_REQUEST).fill((byte) 0);
        MemorySegment request = into.asSlice(REQUEST_OFFSET, INET_DIAG_REQ_V2.byteSize());
        REQ_FAMILY.set(request, 0L, (byte) family);
        REQ_PROTOCOL.set(request, 0L, (byte) protocol);
        REQ_STATES.set(request, 0L, states);
        long length = ATTRIBUTE_OFFSET;
        if (localPort != 0) {
            MemorySegment attribute = into.asSlice(ATTRIBUTE_OFFSET);
            NLA_LEN.set(attribute, 0L, (short) (Netlink.NLATTR.byteSize() + PORT_PROGRAM));
            NLA_TYPE.set(attribute, 0L, (short) INET_DIAG_REQ_BYTECODE);
            MemorySegment program = attribute.asSlice(Netlink.NLATTR.byteSize(), PORT_PROGRAM);
            // Each test: pass -> skip this op and its port slot (2 ops); fail -> jump past the end (reject).
            portTest(program, 0, INET_DIAG_BC_S_GE, (int) (PORT_PROGRAM + OP), localPort);
            portTest(program, 2 * OP, INET_DIAG_BC_S_LE, (int) (2 * OP + OP), localPort);
            length += Netlink.NLATTR.byteSize() + PORT_PROGRAM;
        }
        Netlink.writeHeader(into, (int) length, SOCK_DIAG_BY_FAMILY, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP, seq);
        return (int) length;
    }

    private static void portTest(MemorySegment program, long at, int code, int failJump, int port) {
        OP_CODE.set(program, at, (byte) code);
        OP_YES.set(program, at, (byte) (2 * OP));
        OP_NO.set(program, at, (short) failJump);
        OP_NO.set(program, at + OP, (short) port); // the port, in host order, in the next op's "no"
    }

    /** Decodes one SOCK_DIAG_BY_FAMILY reply (an inet_diag_msg and its attributes, which are not read). */
    static TcpSocket read(MemorySegment message) {
        if (message.byteSize() < INET_DIAG_MSG.byteSize()) {
            throw new IllegalStateException("sock_diag reply of " + message.byteSize() + " bytes, shorter than inet_diag_msg ("
                    + INET_DIAG_MSG.byteSize() + ")");
        }
        int family = Byte.toUnsignedInt((byte) MSG_FAMILY.get(message, 0L));
        return new TcpSocket(
                TcpState.of(Byte.toUnsignedInt((byte) MSG_STATE.get(message, 0L))),
                address(message, family, MSG_SRC, (short) MSG_SPORT.get(message, 0L)),
                address(message, family, MSG_DST, (short) MSG_DPORT.get(message, 0L)),
                Integer.toUnsignedLong((int) MSG_RQUEUE.get(message, 0L)),
                Integer.toUnsignedLong((int) MSG_WQUEUE.get(message, 0L)),
                Integer.toUnsignedLong((int) MSG_UID.get(message, 0L)),
                Integer.toUnsignedLong((int) MSG_INODE.get(message, 0L)));
    }

    private static InetSocketAddress address(MemorySegment message, int family, long offset, short port) {
        int length = switch (family) {
            case SockAddr.AF_INET -> 4;
            case SockAddr.AF_INET6 -> 16;
            default -> throw new IllegalStateException("sock_diag reply for address family " + family + ", asked for "
                    + SockAddr.AF_INET + " or " + SockAddr.AF_INET6);
        };
        try {
            byte[] ip = message.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
            return new InetSocketAddress(InetAddress.getByAddress(ip), Short.toUnsignedInt(port));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot happen: the address length is 4 or 16", e);
        }
    }
}
