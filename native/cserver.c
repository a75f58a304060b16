/*
 * cserver: the C baseline for socklab's servers: the limit this machine reaches for GET / over
 * HTTP/1.1 keep-alive, with the same response as socklab's `GET /` (200, "hello\n", X-Worker).
 *
 *   cserver [--host 127.0.0.1] [--port 0] [--mode single|reuseport] [--workers N] [--backlog 511]
 *
 * single:    one thread, one listening socket, one epoll loop (Node's shape).
 * reuseport: N threads, each with its own SO_REUSEPORT listening socket and epoll loop (nginx with
 *            `listen ... reuseport`); the kernel hashes each new connection to one of them.
 *
 * Each loop: level-triggered epoll; accept4(SOCK_NONBLOCK|SOCK_CLOEXEC) at most ACCEPT_BURST times
 * per wake-up so one busy listener cannot starve the connections of its loop; pipelined requests are
 * answered in one write; when the socket is full the connection stops being read (EPOLLOUT only)
 * until it drains, then its buffered requests are answered. Responses have socklab's bytes: status
 * line, Date, X-Worker, Content-Type, Content-Length, and Connection only when the connection closes
 * or an HTTP/1.0 client asked to keep it; the common one (200, keep-alive HTTP/1.1) is encoded once a
 * second per loop and copied. EMFILE/ENFILE policy: libuv's spare-descriptor trick (close the spare, accept
 * and close the connection so the client sees a clean close instead of a SYN timeout, reopen the
 * spare). Every failing call is named in the message. SIGINT/SIGTERM stop all loops; exit 0.
 * Prints one line when listening: "cserver: <mode> workers=N listening on HOST:PORT".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ACCEPT_BURST 64
#define MAX_EVENTS 256
#define HEAD_LIMIT 8192
#define OUT_LIMIT 65536
#define RESPONSE_ROOM 512 /* free output kept for one more response before a request is answered */

struct conn {
    int fd;
    int closing; /* the last response closes the connection once written */
    size_t in_len;
    size_t out_len, out_off;
    char in[HEAD_LIMIT];
    char out[OUT_LIMIT];
};

struct worker {
    int id;
    int listen_fd;
    pthread_t thread;
    unsigned long long accepted, requests, emfile_sheds;
    char date[32];      /* the Date value, refreshed once a second */
    time_t date_at;
    char hello[256];    /* "200 hello" on a keep-alive HTTP/1.1 connection, for this second */
    size_t hello_len;
};

enum connection_field { CONN_NONE, CONN_CLOSE, CONN_KEEP_ALIVE };

static const char *opt_host = "127.0.0.1";
static int opt_port = 0, opt_workers = 1, opt_backlog = 511, opt_reuseport = 0;
static int stop_fd = -1; /* eventfd: written by the signal handler, watched by every loop */

static void die(const char *call, int err) {
    fprintf(stderr, "cserver: %s: %s (%s)\n", call, strerrorname_np(err), strerrordesc_np(err));
    exit(1);
}

static void on_signal(int sig) {
    (void)sig;
    uint64_t one = 1;
    ssize_t r = write(stop_fd, &one, sizeof one); /* async-signal-safe */
    (void)r;
}

static int listen_socket(void) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, opt_host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(opt_port);
        len = sizeof *in4;
    } else if (inet_pton(AF_INET6, opt_host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(opt_port);
        len = sizeof *in6;
    } else {
        fprintf(stderr, "cserver: --host %s is not an IPv4 or IPv6 address\n", opt_host);
        exit(2);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) die("socket", errno);
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt(SO_REUSEADDR)", errno);
    if (opt_reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        die("setsockopt(SO_REUSEPORT)", errno);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        int err = errno;
        fprintf(stderr, "cserver: bind(%s:%d): %s (%s)%s\n", opt_host, opt_port, strerrorname_np(err),
                strerrordesc_np(err), err == EADDRINUSE ? ": choose another --port or stop what listens there" : "");
        exit(2);
    }
    if (listen(fd, opt_backlog) < 0) die("listen", errno);
    if (opt_port == 0) { /* later sockets of a reuseport group bind the port the kernel picked */
        if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) die("getsockname", errno);
        opt_port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
    }
    return fd;
}

static int respond_into(char *out, size_t room, int status, const char *reason, const char *body,
                        enum connection_field field, int worker_id, const char *date) {
    static const char *const fields[] = {"", "Connection: close\r\n", "Connection: keep-alive\r\n"};
    return snprintf(out, room,
                    "HTTP/1.1 %d %s\r\nDate: %s\r\nX-Worker: %d\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                    "%s\r\n%s",
                    status, reason, date, worker_id, strlen(body), fields[field], body);
}

/* Refreshes the Date value and the canned 200 once a second. */
static void refresh_date(struct worker *w) {
    time_t now = time(NULL);
    if (now == w->date_at) return;
    w->date_at = now;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(w->date, sizeof w->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int n = respond_into(w->hello, sizeof w->hello, 200, "OK", "hello\n", CONN_NONE, w->id, w->date);
    if (n < 0 || (size_t)n >= sizeof w->hello) die("snprintf(canned response)", EOVERFLOW);
    w->hello_len = (size_t)n;
}

static void conn_close(int epfd, struct conn *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL); /* close() would do it too; explicit for clarity */
    if (close(c->fd) < 0 && errno != EINTR) die("close", errno);
    free(c);
}

/* Appends one response (the caller keeps RESPONSE_ROOM free in the output buffer). */
static void respond(struct conn *c, struct worker *w, int status, const char *reason, const char *body,
                    enum connection_field field) {
    if (status == 200 && field == CONN_NONE) {
        memcpy(c->out + c->out_len, w->hello, w->hello_len);
        c->out_len += w->hello_len;
        return;
    }
    int n = respond_into(c->out + c->out_len, OUT_LIMIT - c->out_len, status, reason, body, field, w->id, w->date);
    if (n < 0 || (size_t)n >= OUT_LIMIT - c->out_len) die("snprintf(response)", EOVERFLOW);
    c->out_len += (size_t)n;
}

/* Writes what is pending. Returns 1 when all is written, 0 when the socket is full, -1 on error. */
static int flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1; /* EPIPE, ECONNRESET: the peer is gone */
        }
        c->out_off += (size_t)n;
    }
    c->out_len = c->out_off = 0;
    return 1;
}

/* Whether the head [head, head+len) contains needle, compared case-insensitively. */
static int head_contains(const char *head, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(head + i, needle, n) == 0) return 1;
    return 0;
}

/*
 * Answers every complete request in the input while the output has room, then writes. Returns 1 to
 * keep reading, 0 to wait for EPOLLOUT (the socket is full; unanswered requests stay in the input),
 * -1 to close.
 */
static int serve_requests(struct conn *c, struct worker *w) {
    size_t start = 0;
    int closing = 0;
    while (!closing && OUT_LIMIT - c->out_len >= RESPONSE_ROOM) {
        char *end = memmem(c->in + start, c->in_len - start, "\r\n\r\n", 4);
        if (end == NULL) break;
        size_t head_len = (size_t)(end - (c->in + start)) + 4;
        char *head = c->in + start;
        char *line_end = memmem(head, head_len, "\r\n", 2);
        int http10 = line_end - head >= 9 && memcmp(line_end - 9, " HTTP/1.0", 9) == 0;
        int keep_alive = http10 ? head_contains(head, head_len, "\r\nConnection: keep-alive")
                                : !head_contains(head, head_len, "\r\nConnection: close");
        enum connection_field field = !keep_alive ? CONN_CLOSE : http10 ? CONN_KEEP_ALIVE : CONN_NONE;
        if (head_len >= 6 && memcmp(head, "GET / ", 6) == 0) {
            respond(c, w, 200, "OK", "hello\n", field);
        } else if (head_len >= 4 && memcmp(head, "GET ", 4) == 0) {
            respond(c, w, 404, "Not Found", "not found\n", field);
        } else {
            respond(c, w, 405, "Method Not Allowed", "only GET\n", CONN_CLOSE);
            field = CONN_CLOSE;
        }
        closing = field == CONN_CLOSE;
        w->requests++;
        start += head_len;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (!closing && c->in_len == HEAD_LIMIT) { /* a head that does not fit: answered, not left waiting */
        respond(c, w, 431, "Request Header Fields Too Large", "header too large\n", CONN_CLOSE);
        closing = 1;
    }
    int flushed = flush_out(c);
    if (flushed < 0) return -1;
    if (flushed == 0) {
        c->closing = closing;
        return 0;
    }
    return closing ? -1 : 1;
}

static void accept_burst(struct worker *w, int epfd, int *spare_fd) {
    for (int i = 0; i < ACCEPT_BURST; i++) {
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (err == EAGAIN || err == ECONNABORTED || err == EINTR) {
                if (err == EAGAIN) return;
                continue;
            }
            if ((err == EMFILE || err == ENFILE) && *spare_fd >= 0) {
                close(*spare_fd); /* libuv's uv__emfile_trick: shed the connection cleanly */
                int shed = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (shed >= 0) { close(shed); w->emfile_sheds++; }
                *spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                return;
            }
            die("accept4", err);
        }
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt(TCP_NODELAY)", errno);
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) die("malloc", ENOMEM);
        c->fd = fd;
        c->closing = 0;
        c->in_len = c->out_len = c->out_off = 0;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl(ADD)", errno);
        w->accepted++;
    }
}

static void *worker_loop(void *arg) {
    struct worker *w = arg;
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1", errno);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, w->listen_fd, &ev) < 0) die("epoll_ctl(ADD listener)", errno);
    ev.data.ptr = &stop_fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd, &ev) < 0) die("epoll_ctl(ADD stop)", errno);
    int spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait", errno);
        }
        refresh_date(w);
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &stop_fd) return NULL; /* level-triggered: every loop sees the stop */
            if (p == w) { accept_burst(w, epfd, &spare_fd); continue; }
            struct conn *c = p;
            if (events[i].events & EPOLLOUT) {
                int f = flush_out(c);
                if (f < 0 || (f == 1 && c->closing)) { conn_close(epfd, c); continue; }
                if (f == 0) continue;
            } else {
                ssize_t r = read(c->fd, c->in + c->in_len, HEAD_LIMIT - c->in_len);
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (r <= 0) { conn_close(epfd, c); continue; } /* EOF, or ECONNRESET: nobody to answer */
                c->in_len += (size_t)r;
            }
            int served = serve_requests(c, w); /* after a drain: the requests that waited in the input */
            if (served < 0) { conn_close(epfd, c); continue; }
            int want = served == 0 ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
            if ((want == EPOLLOUT) != ((events[i].events & EPOLLOUT) != 0)) { /* stop reading while the socket is full */
                struct epoll_event ev2 = {.events = (uint32_t)want, .data.ptr = c};
                if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev2) < 0) die("epoll_ctl(MOD)", errno);
            }
        }
    }
}

static void usage(FILE *to) {
    fprintf(to, "Usage: cserver [--host ADDR] [--port P] [--mode single|reuseport] [--workers N] [--backlog B]\n"
                "The C baseline HTTP server: GET / -> 200 hello. SIGINT/SIGTERM stop it.\n");
}

static int parse_int(const char *flag, const char *value, int min, int max) {
    char *end;
    long v = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "cserver: %s must be a whole number from %d to %d, not '%s'\n", flag, min, max, value);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv) {
    static const struct option options[] = {
        {"host", required_argument, 0, 'h'}, {"port", required_argument, 0, 'p'},
        {"mode", required_argument, 0, 'm'}, {"workers", required_argument, 0, 'w'},
        {"backlog", required_argument, 0, 'b'}, {"help", no_argument, 0, '?' + 256}, {0, 0, 0, 0}};
    const char *mode = "single";
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'h': opt_host = optarg; break;
        case 'p': opt_port = parse_int("--port", optarg, 0, 65535); break;
        case 'm': mode = optarg; break;
        case 'w': opt_workers = parse_int("--workers", optarg, 1, 256); break;
        case 'b': opt_backlog = parse_int("--backlog", optarg, 1, 1 << 20); break;
        case '?' + 256: usage(stdout); return 0;
        default:
            fprintf(stderr, "cserver: unknown or incomplete option '%s' (try --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cserver: unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }
    if (strcmp(mode, "reuseport") == 0) {
        opt_reuseport = 1;
    } else if (strcmp(mode, "single") == 0) {
        if (opt_workers != 1) { fprintf(stderr, "cserver: --mode single has one worker; use --mode reuseport for more\n"); return 2; }
    } else {
        fprintf(stderr, "cserver: --mode must be single or reuseport, not '%s'\n", mode);
        return 2;
    }

    stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0) die("eventfd", errno);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) die("sigaction", errno);

    struct worker *workers = calloc((size_t)opt_workers, sizeof *workers);
    if (workers == NULL) die("calloc", ENOMEM);
    for (int i = 0; i < opt_workers; i++) {
        workers[i].id = i;
        workers[i].listen_fd = listen_socket();
    }
    int v6 = strchr(opt_host, ':') != NULL;
    printf("cserver: %s workers=%d listening on %s%s%s:%d\n", mode, opt_workers, v6 ? "[" : "", opt_host, v6 ? "]" : "", opt_port);
    fflush(stdout);
    for (int i = 0; i < opt_workers; i++) {
        int err = pthread_create(&workers[i].thread, NULL, worker_loop, &workers[i]);
        if (err != 0) die("pthread_create", err);
    }
    unsigned long long accepted = 0, requests = 0, sheds = 0;
    for (int i = 0; i < opt_workers; i++) {
        int err = pthread_join(workers[i].thread, NULL);
        if (err != 0) die("pthread_join", err);
        accepted += workers[i].accepted;
        requests += workers[i].requests;
        sheds += workers[i].emfile_sheds;
    }
    fprintf(stderr, "cserver: stopped: %llu connections, %llu requests, %llu shed on EMFILE\n", accepted, requests, sheds);
    return 0;
}
