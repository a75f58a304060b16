package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static socklab.sys.Libc.C_INT;
import static socklab.sys.Libc.C_POINTER;

/**
 * setsockopt(2) and getsockopt(2): int options by name ({@link SocketOption}), SO_LINGER, TCP_INFO,
 * and two classic BPF programs: one for SO_ATTACH_REUSEPORT_CBPF, one for SO_ATTACH_FILTER that a
 * stopping server puts on its listeners. Set-up and stop calls: they allocate a small confined arena
 * per call, which is fine off the hot path.
 */
public final class SocketOptions {
    private SocketOptions() {}

    public static final int SOL_SOCKET = 1;
    public static final int IPPROTO_IPV6 = 41;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_KEEPALIVE = 9;
    public static final int SO_LINGER = 13;
    public static final int SO_REUSEPORT = 15;
    public static final int SO_ATTACH_FILTER = 26;
    public static final int SO_ACCEPTCONN = 30;
    public static final int SO_INCOMING_CPU = 49;
    public static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    public static final int TCP_NODELAY = 1;
    public static final int TCP_DEFER_ACCEPT = 9;
    public static final int TCP_INFO = 11;
    public static final int TCP_FASTOPEN = 23;
    public static final int IPV6_V6ONLY = 26;

    // Classic BPF opcodes (linux/filter.h, linux/bpf_common.h) for the two programs below.
    public static final int BPF_LD = 0x00;
    public static final int BPF_W = 0x00;
    public static final int BPF_B = 0x10;
    public static final int BPF_ABS = 0x20;
    public static final int BPF_JMP = 0x05;
    public static final int BPF_JSET = 0x40;
    public static final int BPF_ALU = 0x04;
    public static final int BPF_MOD = 0x90;
    public static final int BPF_K = 0x00;
    public static final int BPF_RET = 0x06;
    public static final int BPF_A = 0x10;
    public static final int SKF_AD_OFF = -0x1000;
    public static final int SKF_AD_CPU = 36;
    /** The byte of the TCP header that holds the flags, and the SYN bit in it (RFC 9293 3.1). */
    private static final int TCP_FLAGS_OFFSET = 13;
    private static final int TCP_FLAG_SYN = 0x02;
    /** A socket filter's verdict: keep the whole packet, or drop it. */
    private static final int KEEP_PACKET = -1;
    private static final int DROP_PACKET = 0;

    /** <pre>struct linger { int l_onoff; int l_linger; };</pre> */
    public static final StructLayout LINGER = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("l_onoff"),
            ValueLayout.JAVA_INT.withName("l_linger")).withName("linger");

    /** <pre>struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; };</pre> */
    public static final StructLayout SOCK_FILTER = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("code"),
            ValueLayout.JAVA_BYTE.withName("jt"),
            ValueLayout.JAVA_BYTE.withName("jf"),
            ValueLayout.JAVA_INT.withName("k")).withName("sock_filter");

    /** <pre>struct sock_fprog { unsigned short len; struct sock_filter *filter; };</pre> */
    public static final StructLayout SOCK_FPROG = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("len"),
            MemoryLayout.paddingLayout(6),
            ValueLayout.ADDRESS.withName("filter")).withName("sock_fprog");

    private static final MethodHandle SETSOCKOPT =
            Libc.withErrno("setsockopt", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle GETSOCKOPT =
            Libc.withErrno("getsockopt", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER));

    private static void set(int fd, int level, int optname, String name, MemorySegment value) {
        MemorySegment state = Libc.callState();
        try {
            int r = (int) SETSOCKOPT.invokeExact(state, fd, level, optname, value, (int) value.byteSize());
            Errors.check("setsockopt", name, r >= 0 ? r : -Libc.errno(state));
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** getsockopt into {@code value}; returns the length the kernel wrote (it may be shorter than the segment). */
    private static int get(int fd, int level, int optname, String name, MemorySegment value, Arena arena) {
        MemorySegment len = arena.allocateFrom(ValueLayout.JAVA_INT, (int) value.byteSize());
        MemorySegment state = Libc.callState();
        try {
            int r = (int) GETSOCKOPT.invokeExact(state, fd, level, optname, value, len);
            Errors.check("getsockopt", name, r >= 0 ? r : -Libc.errno(state));
            return len.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    /** setsockopt(fd, level, option, &amp;value, sizeof(int)). */
    public static void setInt(int fd, SocketOption option, int value) {
        try (Arena arena = Arena.ofConfined()) {
            set(fd, option.level(), option.optname(), option.name(), arena.allocateFrom(ValueLayout.JAVA_INT, value));
        }
    }

    /** getsockopt of an int option. */
    public static int getInt(int fd, SocketOption option) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            get(fd, option.level(), option.optname(), option.name(), value, arena);
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /**
     * SO_LINGER. {@code onoff} with {@code seconds} 0 makes close(2) send a RST and drop unsent data
     * (an abortive close: the way tests produce connection resets); {@code onoff} false restores the
     * default graceful close.
     */
    public static void setLinger(int fd, boolean onoff, int seconds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment linger = arena.allocate(LINGER);
            linger.set(ValueLayout.JAVA_INT, LINGER.byteOffset(groupElement("l_onoff")), onoff ? 1 : 0);
            linger.set(ValueLayout.JAVA_INT, LINGER.byteOffset(groupElement("l_linger")), seconds);
            set(fd, SOL_SOCKET, SO_LINGER, "SO_LINGER", linger);
        }
    }

    /** SO_LINGER's seconds when lingering is on, -1 when off. */
    public static int getLinger(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment linger = arena.allocate(LINGER);
            get(fd, SOL_SOCKET, SO_LINGER, "SO_LINGER", linger, arena);
            boolean on = linger.get(ValueLayout.JAVA_INT, LINGER.byteOffset(groupElement("l_onoff"))) != 0;
            return on ? linger.get(ValueLayout.JAVA_INT, LINGER.byteOffset(groupElement("l_linger"))) : -1;
        }
    }

    /**
     * TCP_INFO. On a listening socket the kernel reports the accept-queue length in tcpi_unacked and
     * the backlog in tcpi_sacked, the same two numbers ss prints as Recv-Q and Send-Q.
     */
    public static TcpInfo tcpInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(TcpInfo.LAYOUT);
            int len = get(fd, Sockets.IPPROTO_TCP, TCP_INFO, "TCP_INFO", info, arena);
            return TcpInfo.read(info, len);
        }
    }

    /**
     * Attaches to a SO_REUSEPORT listener the classic BPF program {@code A = cpu; A = A % groupSize;
     * return A}: each new connection goes to the group's socket whose index (in bind order) is the CPU
     * that received the SYN, modulo the group size (Linux >= 4.6). The program is shared by the whole
     * group, so attaching it to one socket is enough; when the returned index is out of range the
     * kernel falls back to hashing.
     */
    public static void attachReuseportCpuProgram(int fd, int groupSize) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("reuseport group size must be >= 1, got " + groupSize);
        }
        attach(fd, SO_ATTACH_REUSEPORT_CBPF, "SO_ATTACH_REUSEPORT_CBPF", new int[][] {
                {BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_OFF + SKF_AD_CPU},
                {BPF_ALU | BPF_MOD | BPF_K, 0, 0, groupSize},
                {BPF_RET | BPF_A, 0, 0, 0}});
    }

    /**
     * Attaches to a listening socket the socket filter {@code ldb [13]; jset #SYN, drop; ret keep;
     * drop: ret 0}: every segment with SYN set is dropped, everything else passes. TCP runs a
     * socket's filter on each segment it delivers to the socket (tcp_filter, with the segment seen
     * from its TCP header on, so byte 13 is the flags) before the SYN creates a request or the ACK
     * completes one (the listener's filter is consulted for that ACK too). So no new handshake starts,
     * while those in progress complete: a connecting client hears nothing, retransmits its SYN after
     * 1 s, and by then meets a closed port (a refusal, ECONNREFUSED) instead of a reset. Connections
     * accepted afterwards inherit the filter; an established connection never receives a SYN that
     * matters (only a stray one, answered by a challenge ACK), so it costs them nothing but the run
     * of four instructions per segment. Linux >= 2.2; for IPv4 and IPv6 alike.
     */
    public static void attachSynDropFilter(int fd) {
        attach(fd, SO_ATTACH_FILTER, "SO_ATTACH_FILTER", new int[][] {
                {BPF_LD | BPF_B | BPF_ABS, 0, 0, TCP_FLAGS_OFFSET},
                {BPF_JMP | BPF_JSET | BPF_K, 1, 0, TCP_FLAG_SYN},
                {BPF_RET | BPF_K, 0, 0, KEEP_PACKET},
                {BPF_RET | BPF_K, 0, 0, DROP_PACKET}});
    }

    /** setsockopt(fd, SOL_SOCKET, option, &amp;sock_fprog) for {@code code, jt, jf, k} instructions. */
    private static void attach(int fd, int option, String name, int[][] instructions) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(SOCK_FILTER, instructions.length);
            for (int i = 0; i < instructions.length; i++) {
                instruction(filter, i, instructions[i]);
            }
            MemorySegment program = arena.allocate(SOCK_FPROG);
            program.set(ValueLayout.JAVA_SHORT, SOCK_FPROG.byteOffset(groupElement("len")), (short) instructions.length);
            program.set(ValueLayout.ADDRESS, SOCK_FPROG.byteOffset(groupElement("filter")), filter);
            set(fd, SOL_SOCKET, option, name, program);
        }
    }

    private static void instruction(MemorySegment filter, int index, int[] codeJtJfK) {
        long base = index * SOCK_FILTER.byteSize();
        filter.set(ValueLayout.JAVA_SHORT, base + SOCK_FILTER.byteOffset(groupElement("code")), (short) codeJtJfK[0]);
        filter.set(ValueLayout.JAVA_BYTE, base + SOCK_FILTER.byteOffset(groupElement("jt")), (byte) codeJtJfK[1]);
        filter.set(ValueLayout.JAVA_BYTE, base + SOCK_FILTER.byteOffset(groupElement("jf")), (byte) codeJtJfK[2]);
        filter.set(ValueLayout.JAVA_INT, base + SOCK_FILTER.byteOffset(groupElement("k")), codeJtJfK[3]);
    }
}
