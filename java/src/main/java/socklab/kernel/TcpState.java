package socklab.kernel;

import java.util.Set;

/**
 * The TCP states as the kernel numbers them (netinet/tcp.h), with the names {@code ss} prints.
 * Each state's number comes from its TCPF_* mask in {@link InetDiag}, which is checked against the headers.
 * A connection still in the SYN queue (the kernel's NEW_SYN_RECV request socket) is reported by
 * sock_diag as SYN_RECV.
 */
public enum TcpState {
    ESTABLISHED(InetDiag.TCPF_ESTABLISHED, "ESTAB"),
    SYN_SENT(InetDiag.TCPF_SYN_SENT, "SYN-SENT"),
    SYN_RECV(InetDiag.TCPF_SYN_RECV, "SYN-RECV"),
    FIN_WAIT1(InetDiag.TCPF_FIN_WAIT1, "FIN-WAIT-1"),
    FIN_WAIT2(InetDiag.TCPF_FIN_WAIT2, "FIN-WAIT-2"),
    TIME_WAIT(InetDiag.TCPF_TIME_WAIT, "TIME-WAIT"),
    CLOSE(InetDiag.TCPF_CLOSE, "UNCONN"),
    CLOSE_WAIT(InetDiag.TCPF_CLOSE_WAIT, "CLOSE-WAIT"),
    LAST_ACK(InetDiag.TCPF_LAST_ACK, "LAST-ACK"),
    LISTEN(InetDiag.TCPF_LISTEN, "LISTEN"),
    CLOSING(InetDiag.TCPF_CLOSING, "CLOSING");

    private final int mask;
    private final String ssName;

    TcpState(int mask, String ssName) {
        this.mask = mask;
        this.ssName = ssName;
    }

    /** The state's number in the kernel's enum (TCP_LISTEN is 10). */
    public int number() {
        return Integer.numberOfTrailingZeros(mask);
    }

    /** The state's bit in an idiag_states mask. */
    public int mask() {
        return mask;
    }

    /** The state as ss prints it: ESTAB, LISTEN, SYN-RECV, … */
    public String ssName() {
        return ssName;
    }

    /** The idiag_states mask selecting {@code states}. */
    public static int mask(Set<TcpState> states) {
        int mask = 0;
        for (TcpState state : states) {
            mask |= state.mask;
        }
        return mask;
    }

    /** The state numbered {@code number} by the kernel. */
    public static TcpState of(int number) {
        for (TcpState state : values()) {
            if (state.number() == number) {
                return state;
            }
        }
        throw new IllegalArgumentException("TCP state " + number + " is not one the kernel reports through sock_diag");
    }
}
