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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

void print_tcp_info(void);

#define CONST(cls, name) printf("const %s.%s %d\n", cls, #name, (int32_t)(name))
#define SIZE(type, label) printf("size %s %zu\n", label, sizeof(type))
#define OFFSET(type, label, field) printf("offset %s %s %zu\n", label, #field, offsetof(type, field))

static void errno_values(void) {
    CONST("Errno", EPERM); CONST("Errno", ENOENT); CONST("Errno", EINTR); CONST("Errno", EBADF);
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
    CONST("SocketOptions", TCP_NODELAY); CONST("SocketOptions", TCP_DEFER_ACCEPT);
    CONST("SocketOptions", TCP_INFO); CONST("SocketOptions", TCP_FASTOPEN); CONST("SocketOptions", IPV6_V6ONLY);
    CONST("SocketOptions", BPF_LD); CONST("SocketOptions", BPF_W); CONST("SocketOptions", BPF_ABS);
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
    CONST("Fd", EFD_CLOEXEC); CONST("Fd", EFD_NONBLOCK);
    CONST("Fd", POLLIN); CONST("Fd", POLLOUT); CONST("Fd", POLLERR); CONST("Fd", POLLHUP);
    SIZE(struct pollfd, "pollfd");
    OFFSET(struct pollfd, "pollfd", fd);
    OFFSET(struct pollfd, "pollfd", events);
    OFFSET(struct pollfd, "pollfd", revents);
}

static void epoll(void) {
    CONST("Epoll", EPOLL_CLOEXEC); CONST("Epoll", EPOLL_CTL_ADD); CONST("Epoll", EPOLL_CTL_DEL);
    CONST("Epoll", EPOLL_CTL_MOD); CONST("Epoll", EPOLLIN); CONST("Epoll", EPOLLPRI); CONST("Epoll", EPOLLOUT);
    CONST("Epoll", EPOLLERR); CONST("Epoll", EPOLLHUP); CONST("Epoll", EPOLLRDHUP);
    CONST("Epoll", EPOLLEXCLUSIVE); CONST("Epoll", EPOLLONESHOT); CONST("Epoll", EPOLLET);
    SIZE(struct epoll_event, "epoll_event");
    OFFSET(struct epoll_event, "epoll_event", events);
    OFFSET(struct epoll_event, "epoll_event", data);
}

int main(void) {
    errno_values();
    sockets();
    socket_options();
    descriptors();
    epoll();
    print_tcp_info();
    return ferror(stdout) ? 1 : 0;
}
