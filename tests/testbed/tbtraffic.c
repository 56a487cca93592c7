/*
 * tbtraffic.c: the testbed's traffic helper, a tiny TCP/UDP server and
 * client with timeouts.
 *
 * The end-to-end tests need traffic whose outcome is known exactly: a
 * connection that completes (SF), one whose SYN is silently dropped (S0),
 * one answered by a TCP reset or an ICMP error (REJ).  nc variants differ in
 * flags, timeouts and exit codes, so the tests use this instead:
 *
 *   tbtraffic serve [--ready FILE] PROTO:PORT...
 *       listen on every TCP/UDP port given (all addresses of the namespace);
 *       answer each TCP connection's request with one line and close, each
 *       UDP datagram with one datagram.  FILE is created once every socket
 *       is bound, so a script can wait for it.  Runs until killed.
 *
 *   tbtraffic connect [-w MS] PROTO HOST PORT
 *       send one request and wait at most MS milliseconds (default 2000) for
 *       the answer.  Prints one word and exits with its code:
 *         0 ok           the answer came back (TCP: and the server closed)
 *         1 timeout      nothing came back: the SYN or datagram was dropped
 *         2 refused      TCP reset, or ICMP port unreachable
 *         3 unreachable  ICMP host/net unreachable or administratively
 *                        prohibited (nftables "reject with icmp ...")
 *         4 error        anything else (message on stderr)
 *        64 usage
 *
 * Linux maps an ICMP "communication administratively prohibited" (type 3
 * code 13) on a SYN_SENT socket or a connected UDP socket to EHOSTUNREACH
 * (net/ipv4/icmp.c icmp_err_convert[], fatal), a TCP reset during connect()
 * and an ICMP port unreachable to ECONNREFUSED: that is how the client tells
 * REJ-by-reset from REJ-by-ICMP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "common/compat.h"

enum tb_result {
    TB_OK = 0,
    TB_TIMEOUT = 1,
    TB_REFUSED = 2,
    TB_UNREACHABLE = 3,
    TB_ERROR = 4,
    TB_USAGE = 64
};

/* Most ports one serve process listens on: the tests need a handful. */
#define TB_MAX_PORTS 32
/* How long the server waits for a TCP client's request. */
#define TB_SERVER_READ_MS 2000

struct tb_port {
    int proto;     /* IPPROTO_TCP or IPPROTO_UDP */
    uint16_t port; /* host byte order */
    int fd;        /* listening or bound socket, owned */
};

static const char usage_text[] =
    "usage: tbtraffic serve [--ready FILE] PROTO:PORT...\n"
    "       tbtraffic connect [-w MS] PROTO HOST PORT\n"
    "PROTO is tcp or udp.  connect prints ok, timeout, refused, unreachable or error\n"
    "and exits 0, 1, 2, 3 or 4.\n";

static int tb_usage(void)
{
    fputs(usage_text, stderr);
    return TB_USAGE;
}

static int tb_parse_proto(const char *s, size_t len, int *proto)
{
    if (len == 3 && memcmp(s, "tcp", 3) == 0) {
        *proto = IPPROTO_TCP;
        return 0;
    }
    if (len == 3 && memcmp(s, "udp", 3) == 0) {
        *proto = IPPROTO_UDP;
        return 0;
    }
    return -1;
}

static int tb_parse_port(const char *s, size_t len, uint16_t *port)
{
    uint64_t v;

    if (parse_u64(s, len, 1, 65535, &v) != 0)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* Milliseconds on the monotonic clock. */
static int64_t tb_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The result an errno from connect/send/recv stands for. */
static enum tb_result tb_errno_result(int err)
{
    switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
        return TB_REFUSED;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EACCES:
    case EPERM:
        return TB_UNREACHABLE;
    case ETIMEDOUT:
        return TB_TIMEOUT;
    default:
        return TB_ERROR;
    }
}

static const char *tb_result_word(enum tb_result r)
{
    switch (r) {
    case TB_OK:
        return "ok";
    case TB_TIMEOUT:
        return "timeout";
    case TB_REFUSED:
        return "refused";
    case TB_UNREACHABLE:
        return "unreachable";
    case TB_ERROR:
        return "error";
    case TB_USAGE:
        return "usage";
    }
    return "error";
}

/* Wait until fd has one of events, or the deadline passes.  Returns 1 when
 * ready, 0 on timeout, -errno on error. */
static int tb_wait(int fd, short events, int64_t deadline_ms)
{
    struct pollfd p;
    int64_t left;
    int n;

    for (;;) {
        left = deadline_ms - tb_now_ms();
        if (left <= 0)
            return 0;
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        return n > 0;
    }
}

/* The pending error of a socket (SO_ERROR), 0 when none. */
static int tb_sock_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return errno;
    return err;
}

/* TCP: non-blocking connect, one request, read the answer until the server
 * closes.  The socket is closed normally (FIN) on success so the recorded
 * flow ends SF; on timeout the SYN_SENT socket is closed, which sends
 * nothing, so the flow stays S0. */
static enum tb_result tb_connect_tcp(const struct sockaddr_in *sa, const char *req,
                                     int64_t deadline_ms)
{
    char buf[256];
    ssize_t n;
    size_t got = 0;
    int fd, rc, err;
    enum tb_result r;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "tbtraffic: socket: %s\n", strerror(errno));
        return TB_ERROR;
    }
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 && errno != EINPROGRESS) {
        r = tb_errno_result(errno);
        goto out_close;
    }
    rc = tb_wait(fd, POLLOUT, deadline_ms);
    if (rc <= 0) {
        r = rc == 0 ? TB_TIMEOUT : tb_errno_result(-rc);
        goto out_close;
    }
    err = tb_sock_error(fd);
    if (err != 0) {
        r = tb_errno_result(err);
        goto out_close;
    }
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
        r = tb_errno_result(errno);
        goto out_close;
    }
    for (;;) {
        rc = tb_wait(fd, POLLIN, deadline_ms);
        if (rc <= 0) {
            r = rc == 0 ? TB_TIMEOUT : tb_errno_result(-rc);
            goto out_close;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0) {
            r = tb_errno_result(errno);
            goto out_close;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    r = got > 0 ? TB_OK : TB_REFUSED;
out_close:
    close(fd);
    return r;
}

/* UDP: a connected socket, so ICMP errors come back as ECONNREFUSED or
 * EHOSTUNREACH on recv (net/ipv4/udp.c __udp4_lib_err: hard errors are
 * reported to connected sockets even without IP_RECVERR). */
static enum tb_result tb_connect_udp(const struct sockaddr_in *sa, const char *req,
                                     int64_t deadline_ms)
{
    char buf[256];
    ssize_t n;
    int fd, rc;
    enum tb_result r;

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "tbtraffic: socket: %s\n", strerror(errno));
        return TB_ERROR;
    }
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
        r = tb_errno_result(errno);
        goto out_close;
    }
    if (send(fd, req, strlen(req), 0) < 0) {
        r = tb_errno_result(errno);
        goto out_close;
    }
    for (;;) {
        rc = tb_wait(fd, POLLIN, deadline_ms);
        if (rc <= 0) {
            r = rc == 0 ? TB_TIMEOUT : tb_errno_result(-rc);
            goto out_close;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        r = n < 0 ? tb_errno_result(errno) : TB_OK;
        break;
    }
out_close:
    close(fd);
    return r;
}

static int tb_cmd_connect(int argc, char **argv)
{
    struct sockaddr_in sa;
    uint64_t wait_ms = 2000;
    char req[64];
    enum tb_result r;
    uint16_t port;
    int proto, i = 0;

    if (argc >= 2 && strcmp(argv[0], "-w") == 0) {
        if (parse_u64(argv[1], strlen(argv[1]), 1, 600000, &wait_ms) != 0) {
            fprintf(stderr, "tbtraffic: invalid wait '%s': expected 1 to 600000 ms\n", argv[1]);
            return TB_USAGE;
        }
        i = 2;
    }
    if (argc - i != 3)
        return tb_usage();
    if (tb_parse_proto(argv[i], strlen(argv[i]), &proto) != 0) {
        fprintf(stderr, "tbtraffic: unknown protocol '%s'\n", argv[i]);
        return TB_USAGE;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[i + 1], &sa.sin_addr) != 1) {
        fprintf(stderr, "tbtraffic: invalid IPv4 address '%s'\n", argv[i + 1]);
        return TB_USAGE;
    }
    if (tb_parse_port(argv[i + 2], strlen(argv[i + 2]), &port) != 0) {
        fprintf(stderr, "tbtraffic: invalid port '%s'\n", argv[i + 2]);
        return TB_USAGE;
    }
    sa.sin_port = htons(port);
    snprintf(req, sizeof(req), "tbtraffic %s:%u\n", argv[i], (unsigned)port);
    if (proto == IPPROTO_TCP)
        r = tb_connect_tcp(&sa, req, tb_now_ms() + (int64_t)wait_ms);
    else
        r = tb_connect_udp(&sa, req, tb_now_ms() + (int64_t)wait_ms);
    printf("%s\n", tb_result_word(r));
    return (int)r;
}

/* Bind one server socket on every address of the namespace. */
static int tb_listen(struct tb_port *p)
{
    struct sockaddr_in sa;
    int one = 1;
    int type = p->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;

    p->fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        return -errno;
    setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    sa.sin_port = htons(p->port);
    if (bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return -errno;
    if (p->proto == IPPROTO_TCP && listen(p->fd, 16) != 0)
        return -errno;
    return 0;
}

/* One TCP client: read its request (bounded wait), answer, close.  Handled
 * inline: the tests make one connection at a time. */
static void tb_serve_tcp(const struct tb_port *p)
{
    char buf[256], ans[64];
    struct timeval tv = {TB_SERVER_READ_MS / 1000, (TB_SERVER_READ_MS % 1000) * 1000};
    int fd;

    fd = accept4(p->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (recv(fd, buf, sizeof(buf), 0) > 0) {
        snprintf(ans, sizeof(ans), "ok tcp:%u\n", (unsigned)p->port);
        (void)!send(fd, ans, strlen(ans), MSG_NOSIGNAL);
    }
    close(fd);
}

static void tb_serve_udp(const struct tb_port *p)
{
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    char buf[256], ans[64];
    ssize_t n;

    n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    if (n < 0)
        return;
    snprintf(ans, sizeof(ans), "ok udp:%u\n", (unsigned)p->port);
    (void)!sendto(p->fd, ans, strlen(ans), 0, (struct sockaddr *)&from, flen);
}

static int tb_cmd_serve(int argc, char **argv)
{
    struct tb_port ports[TB_MAX_PORTS];
    struct pollfd pfd[TB_MAX_PORTS];
    const char *ready = NULL, *colon;
    size_t n = 0;
    int i = 0, rc, fd;

    if (argc >= 2 && strcmp(argv[0], "--ready") == 0) {
        ready = argv[1];
        i = 2;
    }
    if (i >= argc)
        return tb_usage();
    for (; i < argc; i++) {
        if (n >= TB_MAX_PORTS) {
            fprintf(stderr, "tbtraffic: too many ports (at most %d)\n", TB_MAX_PORTS);
            return TB_USAGE;
        }
        colon = strchr(argv[i], ':');
        if (!colon || tb_parse_proto(argv[i], (size_t)(colon - argv[i]), &ports[n].proto) != 0 ||
            tb_parse_port(colon + 1, strlen(colon + 1), &ports[n].port) != 0) {
            fprintf(stderr, "tbtraffic: invalid port '%s': expected tcp:N or udp:N\n", argv[i]);
            return TB_USAGE;
        }
        rc = tb_listen(&ports[n]);
        if (rc != 0) {
            fprintf(stderr, "tbtraffic: cannot listen on '%s': %s\n", argv[i], strerror(-rc));
            return TB_ERROR;
        }
        pfd[n].fd = ports[n].fd;
        pfd[n].events = POLLIN;
        n++;
    }
    if (ready) {
        fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "tbtraffic: cannot create '%s': %s\n", ready, strerror(errno));
            return TB_ERROR;
        }
        close(fd);
    }
    for (;;) {
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "tbtraffic: poll: %s\n", strerror(errno));
            return TB_ERROR;
        }
        for (size_t k = 0; k < n; k++) {
            if (!(pfd[k].revents & POLLIN))
                continue;
            if (ports[k].proto == IPPROTO_TCP)
                tb_serve_tcp(&ports[k]);
            else
                tb_serve_udp(&ports[k]);
        }
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return tb_usage();
    if (strcmp(argv[1], "serve") == 0)
        return tb_cmd_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "connect") == 0)
        return tb_cmd_connect(argc - 2, argv + 2);
    return tb_usage();
}
