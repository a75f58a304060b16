/* Part of sysconst: struct tcp_info as the kernel's UAPI header <linux/tcp.h> defines it. */
#include <linux/tcp.h>
#include <stddef.h>
#include <stdio.h>

void print_tcp_info(void);

#define SIZE(type, label) printf("size %s %zu\n", label, sizeof(type))
#define TCPI(field) printf("offset tcp_info %s %zu\n", #field, offsetof(struct tcp_info, field))

void print_tcp_info(void) {
    SIZE(struct tcp_info, "tcp_info");
    TCPI(tcpi_state); TCPI(tcpi_ca_state); TCPI(tcpi_retransmits); TCPI(tcpi_probes); TCPI(tcpi_backoff);
    TCPI(tcpi_options);
    /* tcpi_snd_wscale/tcpi_rcv_wscale and the rate-limited/fastopen flags are bit-fields: no offsetof. */
    TCPI(tcpi_rto); TCPI(tcpi_ato); TCPI(tcpi_snd_mss); TCPI(tcpi_rcv_mss);
    TCPI(tcpi_unacked); TCPI(tcpi_sacked); TCPI(tcpi_lost); TCPI(tcpi_retrans); TCPI(tcpi_fackets);
    TCPI(tcpi_last_data_sent); TCPI(tcpi_last_ack_sent); TCPI(tcpi_last_data_recv); TCPI(tcpi_last_ack_recv);
    TCPI(tcpi_pmtu); TCPI(tcpi_rcv_ssthresh); TCPI(tcpi_rtt); TCPI(tcpi_rttvar); TCPI(tcpi_snd_ssthresh);
    TCPI(tcpi_snd_cwnd); TCPI(tcpi_advmss); TCPI(tcpi_reordering); TCPI(tcpi_rcv_rtt); TCPI(tcpi_rcv_space);
    TCPI(tcpi_total_retrans); TCPI(tcpi_pacing_rate); TCPI(tcpi_max_pacing_rate); TCPI(tcpi_bytes_acked);
    TCPI(tcpi_bytes_received); TCPI(tcpi_segs_out); TCPI(tcpi_segs_in); TCPI(tcpi_notsent_bytes);
    TCPI(tcpi_min_rtt); TCPI(tcpi_data_segs_in); TCPI(tcpi_data_segs_out); TCPI(tcpi_delivery_rate);
    TCPI(tcpi_busy_time); TCPI(tcpi_rwnd_limited); TCPI(tcpi_sndbuf_limited); TCPI(tcpi_delivered);
    TCPI(tcpi_delivered_ce); TCPI(tcpi_bytes_sent); TCPI(tcpi_bytes_retrans); TCPI(tcpi_dsack_dups);
    TCPI(tcpi_reord_seen); TCPI(tcpi_rcv_ooopack); TCPI(tcpi_snd_wnd);
}
