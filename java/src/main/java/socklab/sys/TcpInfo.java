package socklab.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The fields of {@code struct tcp_info} (linux/tcp.h) that socklab reports, read with
 * getsockopt(TCP_INFO). Unsigned 32-bit fields are widened to long. A field the running kernel did not
 * fill (an older kernel returns a shorter struct) reads as -1.
 *
 * <p>On a listening socket: {@code unacked} is the accept-queue length and {@code sacked} the
 * backlog (what ss prints as Recv-Q and Send-Q); the other fields describe no connection.
 */
public record TcpInfo(
        int state,
        int caState,
        int retransmits,
        int probes,
        int backoff,
        long rto,
        long ato,
        long sndMss,
        long rcvMss,
        long unacked,
        long sacked,
        long lost,
        long retrans,
        long lastDataSent,
        long lastDataRecv,
        long pmtu,
        long rtt,
        long rttvar,
        long sndSsthresh,
        long sndCwnd,
        long reordering,
        long rcvSpace,
        long totalRetrans,
        long bytesAcked,
        long bytesReceived,
        long segsOut,
        long segsIn,
        long notsentBytes,
        long minRtt,
        long deliveryRate,
        long bytesSent,
        long bytesRetrans,
        long sndWnd) {

    /** TCP_ESTABLISHED … TCP_CLOSING as in the kernel's enum; 10 is TCP_LISTEN. */
    public static final int TCP_ESTABLISHED = 1;
    public static final int TCP_LISTEN = 10;

    /**
     * <pre>
     * struct tcp_info {                       // linux/tcp.h, as installed by linux-libc-dev
     *     __u8  tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff, tcpi_options;
     *     __u8  tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;                       // tcpi_wscale_bits here
     *     __u8  tcpi_delivery_rate_app_limited:1, tcpi_fastopen_client_fail:2;  // tcpi_rate_flags_bits here
     *     __u32 tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
     *     __u32 tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
     *     __u32 tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;
     *     __u32 tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh, tcpi_snd_cwnd,
     *           tcpi_advmss, tcpi_reordering, tcpi_rcv_rtt, tcpi_rcv_space, tcpi_total_retrans;
     *     __u64 tcpi_pacing_rate, tcpi_max_pacing_rate, tcpi_bytes_acked, tcpi_bytes_received;
     *     __u32 tcpi_segs_out, tcpi_segs_in, tcpi_notsent_bytes, tcpi_min_rtt,
     *           tcpi_data_segs_in, tcpi_data_segs_out;
     *     __u64 tcpi_delivery_rate, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;
     *     __u32 tcpi_delivered, tcpi_delivered_ce;
     *     __u64 tcpi_bytes_sent, tcpi_bytes_retrans;
     *     __u32 tcpi_dsack_dups, tcpi_reord_seen, tcpi_rcv_ooopack, tcpi_snd_wnd;
     * };
     * </pre>
     * The two bit-field bytes are named {@code *_bits}: C cannot take their offsetof, so the header
     * test checks the fields around them instead.
     */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_BYTE.withName("tcpi_state"),
            ValueLayout.JAVA_BYTE.withName("tcpi_ca_state"),
            ValueLayout.JAVA_BYTE.withName("tcpi_retransmits"),
            ValueLayout.JAVA_BYTE.withName("tcpi_probes"),
            ValueLayout.JAVA_BYTE.withName("tcpi_backoff"),
            ValueLayout.JAVA_BYTE.withName("tcpi_options"),
            ValueLayout.JAVA_BYTE.withName("tcpi_wscale_bits"),
            ValueLayout.JAVA_BYTE.withName("tcpi_rate_flags_bits"),
            ValueLayout.JAVA_INT.withName("tcpi_rto"),
            ValueLayout.JAVA_INT.withName("tcpi_ato"),
            ValueLayout.JAVA_INT.withName("tcpi_snd_mss"),
            ValueLayout.JAVA_INT.withName("tcpi_rcv_mss"),
            ValueLayout.JAVA_INT.withName("tcpi_unacked"),
            ValueLayout.JAVA_INT.withName("tcpi_sacked"),
            ValueLayout.JAVA_INT.withName("tcpi_lost"),
            ValueLayout.JAVA_INT.withName("tcpi_retrans"),
            ValueLayout.JAVA_INT.withName("tcpi_fackets"),
            ValueLayout.JAVA_INT.withName("tcpi_last_data_sent"),
            ValueLayout.JAVA_INT.withName("tcpi_last_ack_sent"),
            ValueLayout.JAVA_INT.withName("tcpi_last_data_recv"),
            ValueLayout.JAVA_INT.withName("tcpi_last_ack_recv"),
            ValueLayout.JAVA_INT.withName("tcpi_pmtu"),
            ValueLayout.JAVA_INT.withName("tcpi_rcv_ssthresh"),
            ValueLayout.JAVA_INT.withName("tcpi_rtt"),
            ValueLayout.JAVA_INT.withName("tcpi_rttvar"),
            ValueLayout.JAVA_INT.withName("tcpi_snd_ssthresh"),
            ValueLayout.JAVA_INT.withName("tcpi_snd_cwnd"),
            ValueLayout.JAVA_INT.withName("tcpi_advmss"),
            ValueLayout.JAVA_INT.withName("tcpi_reordering"),
            ValueLayout.JAVA_INT.withName("tcpi_rcv_rtt"),
            ValueLayout.JAVA_INT.withName("tcpi_rcv_space"),
            ValueLayout.JAVA_INT.withName("tcpi_total_retrans"),
            ValueLayout.JAVA_LONG.withName("tcpi_pacing_rate"),
            ValueLayout.JAVA_LONG.withName("tcpi_max_pacing_rate"),
            ValueLayout.JAVA_LONG.withName("tcpi_bytes_acked"),
            ValueLayout.JAVA_LONG.withName("tcpi_bytes_received"),
            ValueLayout.JAVA_INT.withName("tcpi_segs_out"),
            ValueLayout.JAVA_INT.withName("tcpi_segs_in"),
            ValueLayout.JAVA_INT.withName("tcpi_notsent_bytes"),
            ValueLayout.JAVA_INT.withName("tcpi_min_rtt"),
            ValueLayout.JAVA_INT.withName("tcpi_data_segs_in"),
            ValueLayout.JAVA_INT.withName("tcpi_data_segs_out"),
            ValueLayout.JAVA_LONG.withName("tcpi_delivery_rate"),
            ValueLayout.JAVA_LONG.withName("tcpi_busy_time"),
            ValueLayout.JAVA_LONG.withName("tcpi_rwnd_limited"),
            ValueLayout.JAVA_LONG.withName("tcpi_sndbuf_limited"),
            ValueLayout.JAVA_INT.withName("tcpi_delivered"),
            ValueLayout.JAVA_INT.withName("tcpi_delivered_ce"),
            ValueLayout.JAVA_LONG.withName("tcpi_bytes_sent"),
            ValueLayout.JAVA_LONG.withName("tcpi_bytes_retrans"),
            ValueLayout.JAVA_INT.withName("tcpi_dsack_dups"),
            ValueLayout.JAVA_INT.withName("tcpi_reord_seen"),
            ValueLayout.JAVA_INT.withName("tcpi_rcv_ooopack"),
            ValueLayout.JAVA_INT.withName("tcpi_snd_wnd")).withName("tcp_info");

    static TcpInfo read(MemorySegment info, int len) {
        return new TcpInfo(
                u8(info, len, "tcpi_state"),
                u8(info, len, "tcpi_ca_state"),
                u8(info, len, "tcpi_retransmits"),
                u8(info, len, "tcpi_probes"),
                u8(info, len, "tcpi_backoff"),
                u32(info, len, "tcpi_rto"),
                u32(info, len, "tcpi_ato"),
                u32(info, len, "tcpi_snd_mss"),
                u32(info, len, "tcpi_rcv_mss"),
                u32(info, len, "tcpi_unacked"),
                u32(info, len, "tcpi_sacked"),
                u32(info, len, "tcpi_lost"),
                u32(info, len, "tcpi_retrans"),
                u32(info, len, "tcpi_last_data_sent"),
                u32(info, len, "tcpi_last_data_recv"),
                u32(info, len, "tcpi_pmtu"),
                u32(info, len, "tcpi_rtt"),
                u32(info, len, "tcpi_rttvar"),
                u32(info, len, "tcpi_snd_ssthresh"),
                u32(info, len, "tcpi_snd_cwnd"),
                u32(info, len, "tcpi_reordering"),
                u32(info, len, "tcpi_rcv_space"),
                u32(info, len, "tcpi_total_retrans"),
                u64(info, len, "tcpi_bytes_acked"),
                u64(info, len, "tcpi_bytes_received"),
                u32(info, len, "tcpi_segs_out"),
                u32(info, len, "tcpi_segs_in"),
                u32(info, len, "tcpi_notsent_bytes"),
                u32(info, len, "tcpi_min_rtt"),
                u64(info, len, "tcpi_delivery_rate"),
                u64(info, len, "tcpi_bytes_sent"),
                u64(info, len, "tcpi_bytes_retrans"),
                u32(info, len, "tcpi_snd_wnd"));
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }

    private static boolean filled(int len, String field, long size) {
        return offset(field) + size <= len;
    }

    private static int u8(MemorySegment info, int len, String field) {
        return filled(len, field, 1) ? Byte.toUnsignedInt(info.get(ValueLayout.JAVA_BYTE, offset(field))) : -1;
    }

    private static long u32(MemorySegment info, int len, String field) {
        return filled(len, field, 4) ? Integer.toUnsignedLong(info.get(ValueLayout.JAVA_INT, offset(field))) : -1;
    }

    private static long u64(MemorySegment info, int len, String field) {
        return filled(len, field, 8) ? info.get(ValueLayout.JAVA_LONG, offset(field)) : -1;
    }
}
