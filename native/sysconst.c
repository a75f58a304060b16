/*
 * sysconst: prints, from the system headers, every constant, struct size and field offset that the
 * Java FFM layer (java/src/main/java/socklab/sys) hard-codes. HeaderConstantsTest runs this program
 * and compares each line with the Java side, in both directions.
 *
 * Output, one fact per line:
 *   const <JavaClass>.<NAME> <value as a signed 32-bit int>
 *   size <struct> <bytes>
 *   offset <struct> <field> <bytes>
 *
 * struct tcp_info comes from <linux/tcp.h>, which cannot be included together with glibc's
 * <netinet/tcp.h>; it is printed by sysconst_tcpinfo.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/membarrier.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

void print_tcp_info(void);

#define CONST(cls, name) printf("const %s.%s %d\n", cls, #name, (int32_t)(name))
#define SIZE(type, label) printf("size %s %zu\n", label, sizeof(type))
#define OFFSET(type, label, field) printf("offset %s %s %zu\n", label, #field, offsetof(type, field))

static void errno_values(void) {
    CONST("Errno", EPERM); CONST("Errno", ENOENT); CONST("Errno", ESRCH); CONST("Errno", EINTR); CONST("Errno", EBADF);
    CONST("Errno", EAGAIN); CONST("Errno", ENOMEM); CONST("Errno", EACCES); CONST("Errno", EINVAL);
    CONST("Errno", ENFILE); CONST("Errno", EMFILE); CONST("Errno", EPIPE); CONST("Errno", ENOPROTOOPT);
    CONST("Errno", EPROTONOSUPPORT); CONST("Errno", EOPNOTSUPP); CONST("Errno", EAFNOSUPPORT);
    CONST("Errno", EADDRINUSE); CONST("Errno", EADDRNOTAVAIL); CONST("Errno", ECONNABORTED);
    CONST("Errno", ECONNRESET); CONST("Errno", ENOBUFS); CONST("Errno", ENOTCONN); CONST("Errno", ETIMEDOUT);
    CONST("Errno", ECONNREFUSED); CONST("Errno", EINPROGRESS);
}

static void sockets(void) {
    CONST("Sockets", SOCK_STREAM); CONST("Sockets", SOCK_DGRAM); CONST("Sockets", SOCK_NONBLOCK);
    CONST("Sockets", SOCK_CLOEXEC); CONST("Sockets", IPPROTO_TCP);
    CONST("Sockets", SHUT_RD); CONST("Sockets", SHUT_WR); CONST("Sockets", SHUT_RDWR);

    CONST("SockAddr", AF_UNIX); CONST("SockAddr", AF_INET); CONST("SockAddr", AF_INET6);
    SIZE(struct sockaddr_in, "sockaddr_in");
    OFFSET(struct sockaddr_in, "sockaddr_in", sin_family);
    OFFSET(struct sockaddr_in, "sockaddr_in", sin_port);
    OFFSET(struct sockaddr_in, "sockaddr_in", sin_addr);
    OFFSET(struct sockaddr_in, "sockaddr_in", sin_zero);
    SIZE(struct sockaddr_in6, "sockaddr_in6");
    OFFSET(struct sockaddr_in6, "sockaddr_in6", sin6_family);
    OFFSET(struct sockaddr_in6, "sockaddr_in6", sin6_port);
    OFFSET(struct sockaddr_in6, "sockaddr_in6", sin6_flowinfo);
    OFFSET(struct sockaddr_in6, "sockaddr_in6", sin6_addr);
    OFFSET(struct sockaddr_in6, "sockaddr_in6", sin6_scope_id);
    SIZE(struct sockaddr_storage, "sockaddr_storage");
}

static void socket_options(void) {
    CONST("SocketOptions", SOL_SOCKET); CONST("SocketOptions", IPPROTO_IPV6);
    CONST("SocketOptions", SO_REUSEADDR); CONST("SocketOptions", SO_ERROR); CONST("SocketOptions", SO_SNDBUF);
    CONST("SocketOptions", SO_RCVBUF); CONST("SocketOptions", SO_KEEPALIVE); CONST("SocketOptions", SO_LINGER);
    CONST("SocketOptions", SO_REUSEPORT); CONST("SocketOptions", SO_ACCEPTCONN);
    CONST("SocketOptions", SO_INCOMING_CPU); CONST("SocketOptions", SO_ATTACH_REUSEPORT_CBPF);
    CONST("SocketOptions", SO_ATTACH_FILTER);
    CONST("SocketOptions", TCP_NODELAY); CONST("SocketOptions", TCP_DEFER_ACCEPT);
    CONST("SocketOptions", TCP_INFO); CONST("SocketOptions", TCP_FASTOPEN); CONST("SocketOptions", IPV6_V6ONLY);
    CONST("SocketOptions", BPF_LD); CONST("SocketOptions", BPF_W); CONST("SocketOptions", BPF_B); CONST("SocketOptions", BPF_ABS);
    CONST("SocketOptions", BPF_JMP); CONST("SocketOptions", BPF_JSET);
    CONST("SocketOptions", BPF_ALU); CONST("SocketOptions", BPF_MOD); CONST("SocketOptions", BPF_K);
    CONST("SocketOptions", BPF_RET); CONST("SocketOptions", BPF_A);
    CONST("SocketOptions", SKF_AD_OFF); CONST("SocketOptions", SKF_AD_CPU);

    SIZE(struct linger, "linger");
    OFFSET(struct linger, "linger", l_onoff);
    OFFSET(struct linger, "linger", l_linger);
    SIZE(struct sock_filter, "sock_filter");
    OFFSET(struct sock_filter, "sock_filter", code);
    OFFSET(struct sock_filter, "sock_filter", jt);
    OFFSET(struct sock_filter, "sock_filter", jf);
    OFFSET(struct sock_filter, "sock_filter", k);
    SIZE(struct sock_fprog, "sock_fprog");
    OFFSET(struct sock_fprog, "sock_fprog", len);
    OFFSET(struct sock_fprog, "sock_fprog", filter);

    CONST("TcpInfo", TCP_ESTABLISHED); CONST("TcpInfo", TCP_LISTEN);
}

static void descriptors(void) {
    CONST("Fd", F_GETFD); CONST("Fd", F_SETFD); CONST("Fd", F_GETFL); CONST("Fd", F_SETFL);
    CONST("Fd", FD_CLOEXEC); CONST("Fd", O_NONBLOCK); CONST("Fd", MSG_DONTWAIT); CONST("Fd", MSG_NOSIGNAL);
    CONST("Fd", EFD_CLOEXEC); CONST("Fd", EFD_NONBLOCK); CONST("Fd", MFD_CLOEXEC); CONST("Fd", O_RDONLY);
    CONST("Fd", POLLIN); CONST("Fd", POLLOUT); CONST("Fd", POLLERR); CONST("Fd", POLLHUP);
    SIZE(struct pollfd, "pollfd");
    OFFSET(struct pollfd, "pollfd", fd);
    OFFSET(struct pollfd, "pollfd", events);
    OFFSET(struct pollfd, "pollfd", revents);
}

static void resource_limits(void) {
    CONST("ResourceLimits", RLIMIT_NOFILE);
    SIZE(struct rlimit, "rlimit");
    OFFSET(struct rlimit, "rlimit", rlim_cur);
    OFFSET(struct rlimit, "rlimit", rlim_max);
}

static void fd_passing(void) {
    CONST("Sockets", SOCK_SEQPACKET);
    CONST("FdPassing", SCM_RIGHTS); CONST("FdPassing", MSG_CMSG_CLOEXEC); CONST("FdPassing", MSG_CTRUNC);
    printf("const FdPassing.CMSG_LEN_ONE_FD %d\n", (int32_t)CMSG_LEN(sizeof(int)));
    printf("const FdPassing.CMSG_SPACE_ONE_FD %d\n", (int32_t)CMSG_SPACE(sizeof(int)));
    SIZE(struct iovec, "iovec");
    OFFSET(struct iovec, "iovec", iov_base);
    OFFSET(struct iovec, "iovec", iov_len);
    SIZE(struct msghdr, "msghdr");
    OFFSET(struct msghdr, "msghdr", msg_name);
    OFFSET(struct msghdr, "msghdr", msg_namelen);
    OFFSET(struct msghdr, "msghdr", msg_iov);
    OFFSET(struct msghdr, "msghdr", msg_iovlen);
    OFFSET(struct msghdr, "msghdr", msg_control);
    OFFSET(struct msghdr, "msghdr", msg_controllen);
    OFFSET(struct msghdr, "msghdr", msg_flags);
    SIZE(struct cmsghdr, "cmsghdr");
    OFFSET(struct cmsghdr, "cmsghdr", cmsg_len);
    OFFSET(struct cmsghdr, "cmsghdr", cmsg_level);
    OFFSET(struct cmsghdr, "cmsghdr", cmsg_type);
}

static void processes(void) {
    CONST("Processes", SIGKILL); CONST("Processes", SIGTERM); CONST("Processes", SIGSTOP); CONST("Processes", WNOHANG);
    CONST("Processes", PR_SET_PDEATHSIG);
}

static void epoll(void) {
    CONST("Epoll", EPOLL_CLOEXEC); CONST("Epoll", EPOLL_CTL_ADD); CONST("Epoll", EPOLL_CTL_DEL);
    CONST("Epoll", EPOLL_CTL_MOD); CONST("Epoll", EPOLLIN); CONST("Epoll", EPOLLPRI); CONST("Epoll", EPOLLOUT);
    CONST("Epoll", EPOLLERR); CONST("Epoll", EPOLLHUP); CONST("Epoll", EPOLLRDHUP);
    CONST("Epoll", EPOLLEXCLUSIVE); CONST("Epoll", EPOLLONESHOT); CONST("Epoll", EPOLLET);
    SIZE(struct epoll_event, "epoll_event");
    OFFSET(struct epoll_event, "epoll_event", events);
    OFFSET(struct epoll_event, "epoll_event", data);
    SIZE(struct timespec, "timespec");
    OFFSET(struct timespec, "timespec", tv_sec);
    OFFSET(struct timespec, "timespec", tv_nsec);
}

static void netlink(void) {
    CONST("Netlink", AF_NETLINK); CONST("Netlink", SOCK_RAW); CONST("Netlink", NETLINK_SOCK_DIAG);
    CONST("Netlink", NLM_F_REQUEST); CONST("Netlink", NLM_F_DUMP); CONST("Netlink", NLMSG_ALIGNTO);
    CONST("Netlink", NLMSG_ERROR); CONST("Netlink", NLMSG_DONE); CONST("Netlink", MSG_TRUNC);
    SIZE(struct nlmsghdr, "nlmsghdr");
    OFFSET(struct nlmsghdr, "nlmsghdr", nlmsg_len);
    OFFSET(struct nlmsghdr, "nlmsghdr", nlmsg_type);
    OFFSET(struct nlmsghdr, "nlmsghdr", nlmsg_flags);
    OFFSET(struct nlmsghdr, "nlmsghdr", nlmsg_seq);
    OFFSET(struct nlmsghdr, "nlmsghdr", nlmsg_pid);
    SIZE(struct nlmsgerr, "nlmsgerr");
    OFFSET(struct nlmsgerr, "nlmsgerr", error);
    OFFSET(struct nlmsgerr, "nlmsgerr", msg);
    SIZE(struct nlattr, "nlattr");
    OFFSET(struct nlattr, "nlattr", nla_len);
    OFFSET(struct nlattr, "nlattr", nla_type);
    SIZE(struct sockaddr_nl, "sockaddr_nl");
    OFFSET(struct sockaddr_nl, "sockaddr_nl", nl_family);
    OFFSET(struct sockaddr_nl, "sockaddr_nl", nl_pad);
    OFFSET(struct sockaddr_nl, "sockaddr_nl", nl_pid);
    OFFSET(struct sockaddr_nl, "sockaddr_nl", nl_groups);
}

/* TCPF_<state>: the state's bit in inet_diag_req_v2.idiag_states, from the TCP_<state> enum of netinet/tcp.h. */
#define TCPF(state) printf("const InetDiag.TCPF_%s %d\n", #state, 1 << TCP_##state)

static void inet_diag(void) {
    CONST("InetDiag", SOCK_DIAG_BY_FAMILY); CONST("InetDiag", INET_DIAG_REQ_BYTECODE);
    CONST("InetDiag", INET_DIAG_BC_S_GE); CONST("InetDiag", INET_DIAG_BC_S_LE);
    TCPF(ESTABLISHED); TCPF(SYN_SENT); TCPF(SYN_RECV); TCPF(FIN_WAIT1); TCPF(FIN_WAIT2); TCPF(TIME_WAIT);
    TCPF(CLOSE); TCPF(CLOSE_WAIT); TCPF(LAST_ACK); TCPF(LISTEN); TCPF(CLOSING);
    SIZE(struct inet_diag_sockid, "inet_diag_sockid");
    OFFSET(struct inet_diag_sockid, "inet_diag_sockid", idiag_sport);
    OFFSET(struct inet_diag_sockid, "inet_diag_sockid", idiag_dport);
    OFFSET(struct inet_diag_sockid, "inet_diag_sockid", idiag_src);
    OFFSET(struct inet_diag_sockid, "inet_diag_sockid", idiag_dst);
    OFFSET(struct inet_diag_sockid, "inet_diag_sockid", idiag_if);
    OFFSET(struct inet_diag_sockid, "inet_diag_sockid", idiag_cookie);
    SIZE(struct inet_diag_req_v2, "inet_diag_req_v2");
    OFFSET(struct inet_diag_req_v2, "inet_diag_req_v2", sdiag_family);
    OFFSET(struct inet_diag_req_v2, "inet_diag_req_v2", sdiag_protocol);
    OFFSET(struct inet_diag_req_v2, "inet_diag_req_v2", idiag_ext);
    OFFSET(struct inet_diag_req_v2, "inet_diag_req_v2", pad);
    OFFSET(struct inet_diag_req_v2, "inet_diag_req_v2", idiag_states);
    OFFSET(struct inet_diag_req_v2, "inet_diag_req_v2", id);
    SIZE(struct inet_diag_msg, "inet_diag_msg");
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_family);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_state);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_timer);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_retrans);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", id);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_expires);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_rqueue);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_wqueue);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_uid);
    OFFSET(struct inet_diag_msg, "inet_diag_msg", idiag_inode);
    SIZE(struct inet_diag_bc_op, "inet_diag_bc_op");
    OFFSET(struct inet_diag_bc_op, "inet_diag_bc_op", code);
    OFFSET(struct inet_diag_bc_op, "inet_diag_bc_op", yes);
    OFFSET(struct inet_diag_bc_op, "inet_diag_bc_op", no);
}

static void membarrier(void) {
    CONST("Membarrier", MEMBARRIER_CMD_GLOBAL); CONST("Membarrier", SYS_membarrier);
}

int main(void) {
    errno_values();
    sockets();
    socket_options();
    descriptors();
    resource_limits();
    fd_passing();
    processes();
    membarrier();
    epoll();
    netlink();
    inet_diag();
    print_tcp_info();
    return ferror(stdout) ? 1 : 0;
}
