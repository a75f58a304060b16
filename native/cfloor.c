/*
 * cfloor: the floor under every Java binding. Measures, in plain C on this machine, the per-call cost
 * of the five calls the JMH benchmarks in socklab.bench.ffi measure, through the same glibc functions
 * with the same arguments and the same set-up, so that the FFI cost table can say how far each binding
 * is above what the kernel and libc cost anyway.
 *
 * Output, one line per call: the call's key (as the JMH benchmark class is named) and the ns/op of
 * each measured round. socklab's ffi-table computes the mean and its 99.9% confidence interval from
 * the rounds exactly as JMH does from iterations. A call that did not behave as set up (a recv that
 * did not say EAGAIN, a short write, an accept queue that did not fill) is counted and reported on
 * stderr, and the program exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_BYTES 64   /* the benchmarks' buffer: one small message */
#define MAX_EVENTS 16     /* epoll_wait's event array, as an event loop would size it */
#define ACCEPT_BATCH 64   /* pending connections made before each timed batch of accept4 calls */
#define ACCEPT_BATCHES 16 /* batches per round of accept4: set-up (connects) dominates its wall time */

static long failures;

static void die(const char *what) {
    fprintf(stderr, "cfloor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A listening TCP socket on 127.0.0.1, kernel-chosen port; its address in *addr. */
static int listener(struct sockaddr_in *addr, int flags) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    socklen_t len = sizeof *addr;
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0 || listen(fd, 2 * ACCEPT_BATCH) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
        die("listener on 127.0.0.1");
    }
    return fd;
}

static int connected_client(const struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
        die("connect to 127.0.0.1");
    }
    return fd;
}

/* Closes with SO_LINGER 0: an RST, so that thousands of connections leave no TIME_WAIT behind. */
static void close_abortively(int fd) {
    struct linger abort_now = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now);
    close(fd);
}

static struct {
    char buf[BUFFER_BYTES];
    int empty;    /* a connected non-blocking TCP socket nobody writes to */
    int pair[2];  /* a non-blocking AF_UNIX stream socketpair */
    int ready[2]; /* another one, with one unread byte in ready[1] */
    int epfd;     /* watches ready[1] for EPOLLIN: always exactly one ready descriptor */
    struct epoll_event events[MAX_EVENTS];
    int listen_fd; /* non-blocking listener for accept4 */
    struct sockaddr_in listen_addr;
} fx;

static void set_up(void) {
    struct sockaddr_in addr;
    int server = listener(&addr, 0);
    fx.empty = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fx.empty < 0 || connect(fx.empty, (struct sockaddr *)&addr, sizeof addr) < 0) {
        die("connect the recv socket");
    }
    if (accept4(server, NULL, NULL, SOCK_CLOEXEC) < 0 || fcntl(fx.empty, F_SETFL, O_NONBLOCK) < 0) {
        die("accept the recv socket's peer");
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fx.pair) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fx.ready) < 0) {
        die("socketpair");
    }
    if (write(fx.ready[0], "x", 1) != 1) {
        die("write the ready byte");
    }
    struct epoll_event in = {.events = EPOLLIN, .data.fd = fx.ready[1]};
    fx.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (fx.epfd < 0 || epoll_ctl(fx.epfd, EPOLL_CTL_ADD, fx.ready[1], &in) < 0) {
        die("epoll set-up");
    }
    fx.listen_fd = listener(&fx.listen_addr, SOCK_NONBLOCK);
}

/* Each run_* makes n calls and returns their cost in nanoseconds per call, timing the calls alone. */

static double run_getpid(long n) {
    double start = now_ns();
    for (long i = 0; i < n; i++) {
        getpid();
    }
    return (now_ns() - start) / (double)n;
}

static double run_recv_eagain(long n) {
    double start = now_ns();
    for (long i = 0; i < n; i++) {
        if (recv(fx.empty, fx.buf, BUFFER_BYTES, 0) != -1 || errno != EAGAIN) {
            failures++;
        }
    }
    return (now_ns() - start) / (double)n;
}

static double run_write_read(long n) {
    double start = now_ns();
    for (long i = 0; i < n; i++) {
        if (write(fx.pair[0], fx.buf, BUFFER_BYTES) != BUFFER_BYTES ||
            read(fx.pair[1], fx.buf, BUFFER_BYTES) != BUFFER_BYTES) {
            failures++;
        }
    }
    return (now_ns() - start) / (double)n;
}

static double run_epoll_wait(long n) {
    double start = now_ns();
    for (long i = 0; i < n; i++) {
        if (epoll_wait(fx.epfd, fx.events, MAX_EVENTS, 0) != 1) {
            failures++;
        }
    }
    return (now_ns() - start) / (double)n;
}

/* The listener's accept-queue length, from TCP_INFO (tcpi_unacked on a listening socket). */
static unsigned queued(void) {
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(fx.listen_fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) {
        die("getsockopt(TCP_INFO)");
    }
    return info.tcpi_unacked;
}

/*
 * accept4 of pending loopback connections: each batch first connects ACCEPT_BATCH clients and waits
 * (bounded) until all are in the accept queue, then times only the accept4 calls. n is rounded up to
 * whole batches.
 */
static double run_accept4(long n) {
    int clients[ACCEPT_BATCH], accepted[ACCEPT_BATCH];
    double elapsed = 0;
    long done = 0;
    for (; done < n; done += ACCEPT_BATCH) {
        for (int i = 0; i < ACCEPT_BATCH; i++) {
            clients[i] = connected_client(&fx.listen_addr);
        }
        double deadline = now_ns() + 1e9;
        while (queued() < ACCEPT_BATCH && now_ns() < deadline) {
            sched_yield();
        }
        double start = now_ns();
        for (int i = 0; i < ACCEPT_BATCH; i++) {
            accepted[i] = accept4(fx.listen_fd, NULL, NULL, SOCK_CLOEXEC);
        }
        elapsed += now_ns() - start;
        for (int i = 0; i < ACCEPT_BATCH; i++) {
            close_abortively(clients[i]);
            if (accepted[i] < 0) {
                failures++;
            } else {
                close(accepted[i]);
            }
        }
    }
    return elapsed / (double)done;
}

struct call {
    const char *key; /* the JMH benchmark class's name, without "Benchmark", first letter lower case */
    double (*run)(long n);
    long max_calls; /* per round; 0 when only the round's duration limits it */
};

static const struct call CALLS[] = {
    {"getpid", run_getpid, 0},
    {"recvEagain", run_recv_eagain, 0},
    {"writeRead", run_write_read, 0},
    {"epollWait", run_epoll_wait, 0},
    {"accept4", run_accept4, (long)ACCEPT_BATCH * ACCEPT_BATCHES},
};

static void usage(FILE *to) {
    fprintf(to,
            "Usage: cfloor [--rounds N] [--round-ms MS] [--help]\n"
            "Measures in C the per-call cost of getpid, recv on an empty non-blocking TCP socket (EAGAIN),\n"
            "a 64-byte write+read over an AF_UNIX socketpair, epoll_wait with one ready descriptor and\n"
            "accept4 of a pending loopback connection. After one warm-up round, prints per call:\n"
            "  <call> <ns/op of round 1> ... <ns/op of round N>\n"
            "  --rounds N     measured rounds per call (default 10, at least 2)\n"
            "  --round-ms MS  length of a round in milliseconds of measured calls (default 100)\n");
}

int main(int argc, char **argv) {
    static const struct option options[] = {
        {"rounds", required_argument, NULL, 'r'},
        {"round-ms", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long rounds = 10, round_ms = 100;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'r': rounds = strtol(optarg, NULL, 10); break;
        case 'm': round_ms = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || rounds < 2 || round_ms < 1) {
        fprintf(stderr, "cfloor: --rounds must be >= 2 and --round-ms >= 1, with no other arguments (try --help)\n");
        return 2;
    }
    set_up();
    for (size_t k = 0; k < sizeof CALLS / sizeof CALLS[0]; k++) {
        const struct call *call = &CALLS[k];
        /* Calibrate: how many calls make a round of round_ms. */
        double ns_per_call = call->run(1000);
        long n = (long)((double)round_ms * 1e6 / (ns_per_call > 0 ? ns_per_call : 1));
        if (n < 1000) {
            n = 1000;
        }
        if (call->max_calls > 0 && n > call->max_calls) {
            n = call->max_calls;
        }
        call->run(n); /* warm-up round, not printed */
        printf("%s", call->key);
        for (long r = 0; r < rounds; r++) {
            printf(" %.3f", call->run(n));
        }
        printf("\n");
        fflush(stdout);
    }
    if (failures > 0) {
        fprintf(stderr, "cfloor: %ld calls did not behave as set up (see the source for what each expects)\n", failures);
        return 1;
    }
    return ferror(stdout) ? 1 : 0;
}
