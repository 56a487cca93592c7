/*
 * sock_diag.h: the sockets and addresses of one network namespace, from
 * the kernel's netlink interfaces, for process attribution (proc_attr.h).
 *
 * A netlink socket answers for the network namespace it was created in,
 * whatever namespace the process is in later: sd_open_in() enters a
 * namespace (setns(2), CAP_SYS_ADMIN), creates the sockets there, and
 * returns to its own.  The dumps are plain netlink (no libnl): a
 * NETLINK_SOCK_DIAG SOCK_DIAG_BY_FAMILY dump of TCP, UDP and SCTP over
 * IPv4 and IPv6 (linux/inet_diag.h), and an RTM_GETADDR dump on a
 * NETLINK_ROUTE socket (linux/rtnetlink.h).  Every message is length-
 * checked before use.
 */
#ifndef PODFLOW_CAPTURE_SOCK_DIAG_H
#define PODFLOW_CAPTURE_SOCK_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"
#include "common/ipaddr.h"

/* One socket of a dump.  IPv4-mapped IPv6 addresses are given as IPv4. */
struct sd_sock {
    uint64_t inode;      /* its inode: socket:[inode] in /proc/PID/fd; 0: none (TIME_WAIT) */
    struct ipaddr local; /* bound address; all zeros: a wildcard bind */
    struct ipaddr remote;
    uint16_t lport, rport; /* rport 0: not connected */
    uint8_t proto;         /* 6, 17, 132 */
    uint8_t state;         /* TCP_* of linux/tcp.h (UDP: TCP_ESTABLISHED when connected) */
};

/* The two netlink sockets of a namespace; -1 when closed. */
struct sd_ns {
    int diag;  /* NETLINK_SOCK_DIAG */
    int route; /* NETLINK_ROUTE */
    uint32_t seq;
    int no_sctp; /* the SCTP dump failed once (no sctp_diag): not asked again */
};

/*
 * Open the sockets of the namespace nsfd refers to (an open
 * /proc/PID/ns/net), or of our own with nsfd -1; selffd is an open
 * descriptor of our own namespace, to return to.  0, or -errno (setns:
 * EPERM without CAP_SYS_ADMIN).
 */
int sd_open_in(struct sd_ns *ns, int nsfd, int selffd) MUST_CHECK;

/* Close both sockets (again is harmless). */
void sd_close(struct sd_ns *ns);

/* Called once per socket of a dump; the record is only valid during the
 * call. */
typedef void (*sd_sock_fn)(void *ctx, const struct sd_sock *s);

/* Dump every TCP, UDP and SCTP socket of the namespace (listeners
 * included, TIME_WAIT ones not: they have no inode).  0, or -errno. */
int sd_dump_sockets(struct sd_ns *ns, sd_sock_fn fn, void *ctx) MUST_CHECK;

/* Called once per address of the namespace's links (neither loopback nor
 * link-local: 127/8, ::1, 169.254/16, fe80::/10). */
typedef void (*sd_addr_fn)(void *ctx, const struct ipaddr *ip);

/* Dump the namespace's addresses.  0, or -errno. */
int sd_dump_addrs(struct sd_ns *ns, sd_addr_fn fn, void *ctx) MUST_CHECK;

/* 1 for a listening TCP socket (dumped too; never a flow's own socket). */
int sd_is_listener(const struct sd_sock *s);

#ifdef PODFLOW_TEST
/* Parse one SOCK_DIAG_BY_FAMILY reply payload (struct inet_diag_msg and
 * attributes) of protocol proto: 0 and *out, or -1 when it is too short
 * or of an unknown family. */
int sd_parse_diag(const uint8_t *p, size_t len, uint8_t proto, struct sd_sock *out);
#endif

#endif
