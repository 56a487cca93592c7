/*
 * sock_diag.c: sockets and addresses of a network namespace over plain
 * netlink (see sock_diag.h).
 *
 * A dump is one request with NLM_F_DUMP and replies read until
 * NLMSG_DONE.  Replies are walked with the NLMSG_* macros only after
 * checking each header's length against what recv() returned, and every
 * payload is copied out with memcpy (netlink buffers are aligned, but the
 * code does not rely on it).
 *
 *   SOCK_DIAG_BY_FAMILY reply (struct inet_diag_msg, linux/inet_diag.h):
 *     u8 family, state, timer, retrans;
 *     struct inet_diag_sockid { be16 sport, dport; be32 src[4], dst[4];
 *                               u32 if; u32 cookie[2]; }
 *     u32 expires, rqueue, wqueue, uid, inode;
 */
#include "capture/sock_diag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/compat.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#define SD_TCP_LISTEN 10 /* TCP_LISTEN of linux/tcp.h */

/* Receive buffer of one recv(): the kernel fills dumps in pages. */
#define SD_RECV_BUF 32768

static int sd_socket(int protocol)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, protocol);

    return fd < 0 ? -errno : fd;
}

int sd_open_in(struct sd_ns *ns, int nsfd, int selffd)
{
    int rc = 0;

    memset(ns, 0, sizeof(*ns));
    ns->diag = ns->route = -1;
    if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
        return -errno;
    ns->diag = sd_socket(NETLINK_SOCK_DIAG);
    if (ns->diag < 0)
        rc = ns->diag;
    if (!rc) {
        ns->route = sd_socket(NETLINK_ROUTE);
        if (ns->route < 0)
            rc = ns->route;
    }
    /* Back home whatever happened: the rest of the process must not find
     * itself in a pod's namespace. */
    if (nsfd >= 0 && setns(selffd, CLONE_NEWNET) < 0 && !rc)
        rc = -errno;
    if (rc)
        sd_close(ns);
    return rc;
}

void sd_close(struct sd_ns *ns)
{
    if (ns->diag >= 0)
        close(ns->diag);
    if (ns->route >= 0)
        close(ns->route);
    ns->diag = ns->route = -1;
}

/* Address from 4 or 16 bytes; IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4. */
static void sd_addr(struct ipaddr *out, int family, const uint8_t *b)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (family == AF_INET6 && memcmp(b, mapped, 12) == 0)
        ipaddr_from_v4(out, b + 12);
    else if (family == AF_INET6)
        ipaddr_from_v6(out, b);
    else
        ipaddr_from_v4(out, b);
}

TESTABLE int sd_parse_diag(const uint8_t *p, size_t len, uint8_t proto, struct sd_sock *out)
{
    struct inet_diag_msg m;
    uint8_t src[16], dst[16];

    if (len < sizeof(m))
        return -1;
    memcpy(&m, p, sizeof(m));
    if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
        return -1;
    memset(out, 0, sizeof(*out));
    memcpy(src, m.id.idiag_src, 16);
    memcpy(dst, m.id.idiag_dst, 16);
    sd_addr(&out->local, m.idiag_family, src);
    sd_addr(&out->remote, m.idiag_family, dst);
    out->lport = ntohs(m.id.idiag_sport);
    out->rport = ntohs(m.id.idiag_dport);
    out->inode = m.idiag_inode;
    out->proto = proto;
    out->state = m.idiag_state;
    return 0;
}

/* What a dump hands each reply to. */
typedef void (*sd_msg_fn)(void *ctx, const struct nlmsghdr *h, const uint8_t *payload, size_t len);

/* Send req (len bytes, a netlink message with NLM_F_DUMP) on fd and read
 * the replies up to NLMSG_DONE, giving each of type want to fn.  0, or
 * -errno (a NLMSG_ERROR reply's, or the socket's). */
static int sd_dump(int fd, void *req, size_t len, uint32_t seq, uint16_t want, sd_msg_fn fn,
                   void *ctx)
{
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    uint8_t buf[SD_RECV_BUF];

    if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        return -errno;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        size_t off = 0;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPROTO;
        while (off + sizeof(struct nlmsghdr) <= (size_t)n) {
            struct nlmsghdr h;
            size_t plen;

            memcpy(&h, buf + off, sizeof(h));
            if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)n - off)
                return -EPROTO;
            plen = h.nlmsg_len - NLMSG_HDRLEN;
            if (h.nlmsg_seq == seq) {
                if (h.nlmsg_type == NLMSG_DONE)
                    return 0;
                if (h.nlmsg_type == NLMSG_ERROR) {
                    struct nlmsgerr e;

                    if (plen < sizeof(e))
                        return -EPROTO;
                    memcpy(&e, buf + off + NLMSG_HDRLEN, sizeof(e));
                    return e.error < 0 ? e.error : -EPROTO;
                }
                if (h.nlmsg_type == want)
                    fn(ctx, &h, buf + off + NLMSG_HDRLEN, plen);
            }
            off += NLMSG_ALIGN(h.nlmsg_len);
        }
    }
}

struct sd_sock_ctx {
    sd_sock_fn fn;
    void *ctx;
    uint8_t proto;
};

static void sd_on_sock(void *arg, const struct nlmsghdr *h, const uint8_t *p, size_t len)
{
    struct sd_sock_ctx *c = arg;
    struct sd_sock s;

    (void)h;
    if (sd_parse_diag(p, len, c->proto, &s) == 0 && s.inode != 0)
        c->fn(c->ctx, &s);
}

int sd_dump_sockets(struct sd_ns *ns, sd_sock_fn fn, void *ctx)
{
    static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP};
    static const uint8_t families[] = {AF_INET, AF_INET6};
    struct {
        struct nlmsghdr h;
        struct inet_diag_req_v2 r;
    } req;
    struct sd_sock_ctx c = {fn, ctx, 0};
    int rc;

    for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
        if (protos[i] == IPPROTO_SCTP && ns->no_sctp)
            continue;
        for (size_t j = 0; j < ARRAY_SIZE(families); j++) {
            memset(&req, 0, sizeof(req));
            req.h.nlmsg_len = sizeof(req);
            req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
            req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
            req.h.nlmsg_seq = ++ns->seq;
            req.r.sdiag_family = families[j];
            req.r.sdiag_protocol = protos[i];
            req.r.idiag_states = ~0u; /* every state; TIME_WAIT has no inode */
            c.proto = protos[i];
            rc = sd_dump(ns->diag, &req, sizeof(req), req.h.nlmsg_seq, SOCK_DIAG_BY_FAMILY,
                         sd_on_sock, &c);
            if (rc == -ENOENT && protos[i] == IPPROTO_SCTP) {
                ns->no_sctp = 1; /* no sctp_diag module: no SCTP sockets to see */
                break;
            }
            if (rc)
                return rc;
        }
    }
    return 0;
}

struct sd_addr_ctx {
    sd_addr_fn fn;
    void *ctx;
};

/* Neither loopback nor link-local: an address a flow could name. */
static int sd_addr_wanted(const struct ipaddr *ip)
{
    static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    if (ip->family == 4)
        return ip->a[0] != 127 && !(ip->a[0] == 169 && ip->a[1] == 254);
    return memcmp(ip->a, lo6, 16) != 0 && !(ip->a[0] == 0xfe && (ip->a[1] & 0xc0) == 0x80);
}

/*
 * RTM_NEWADDR: struct ifaddrmsg { u8 family, prefixlen, flags, scope;
 * u32 index; } then attributes; IFA_LOCAL is the address of an IPv4
 * point-to-point link, IFA_ADDRESS otherwise (and always for IPv6).
 */
static void sd_on_addr(void *arg, const struct nlmsghdr *h, const uint8_t *p, size_t len)
{
    struct sd_addr_ctx *c = arg;
    struct ifaddrmsg ifa;
    struct ipaddr local = {0}, address = {0};
    size_t off = NLMSG_ALIGN(sizeof(ifa));
    size_t alen;

    (void)h;
    if (len < sizeof(ifa))
        return;
    memcpy(&ifa, p, sizeof(ifa));
    if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
        return;
    alen = ifa.ifa_family == AF_INET6 ? 16 : 4;
    while (off + sizeof(struct rtattr) <= len) {
        struct rtattr a;

        memcpy(&a, p + off, sizeof(a));
        if (a.rta_len < sizeof(a) || a.rta_len > len - off)
            return;
        if ((a.rta_type == IFA_LOCAL || a.rta_type == IFA_ADDRESS) &&
            a.rta_len - RTA_LENGTH(0) == alen) {
            uint8_t b[16];

            memcpy(b, p + off + RTA_LENGTH(0), alen);
            sd_addr(a.rta_type == IFA_LOCAL ? &local : &address, ifa.ifa_family, b);
        }
        off += RTA_ALIGN(a.rta_len);
    }
    if (local.family)
        address = local;
    if (address.family && sd_addr_wanted(&address))
        c->fn(c->ctx, &address);
}

int sd_dump_addrs(struct sd_ns *ns, sd_addr_fn fn, void *ctx)
{
    struct {
        struct nlmsghdr h;
        struct ifaddrmsg a;
    } req;
    struct sd_addr_ctx c = {fn, ctx};

    memset(&req, 0, sizeof(req));
    req.h.nlmsg_len = sizeof(req);
    req.h.nlmsg_type = RTM_GETADDR;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = ++ns->seq;
    req.a.ifa_family = AF_UNSPEC;
    return sd_dump(ns->route, &req, sizeof(req), req.h.nlmsg_seq, RTM_NEWADDR, sd_on_addr, &c);
}

int sd_is_listener(const struct sd_sock *s)
{
    return s->proto == IPPROTO_TCP && s->state == SD_TCP_LISTEN;
}
