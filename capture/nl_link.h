/*
 * nl_link.h: the network links of this namespace, from rtnetlink (libnl-
 * route-3): a dump of every link at start, then a subscription to
 * RTNLGRP_LINK so links that appear (a pod starting: its cali* veth) or
 * vanish during a capture are reported as they happen.
 *
 * The subscription is made before the dump, so no link can fall between
 * them; a link may therefore be reported twice, and callers treat reports
 * as idempotent.  When the kernel drops events (the socket's buffer
 * overflowed), nl_link_read() says so and the caller re-dumps, treating a
 * link it holds that the dump does not report as gone.
 */
#ifndef PODFLOW_CAPTURE_NL_LINK_H
#define PODFLOW_CAPTURE_NL_LINK_H

#include "common/attrs.h"

struct diag;
struct nl_link_mon;

enum nl_link_event {
    NL_LINK_PRESENT, /* the link exists (new, changed, or found by a dump) */
    NL_LINK_GONE     /* the link was deleted (or left the namespace) */
};

/* Called for each link reported; name is only valid during the call;
 * flags are IFF_* (IFF_UP, ...). */
typedef void (*nl_link_fn)(void *ctx, enum nl_link_event ev, int ifindex, const char *name,
                           unsigned flags);

/* Connect both sockets (subscription first).  ERR_NETLINK or ERR_PERM,
 * reported through d, which must outlive the monitor. */
int nl_link_open(struct diag *d, struct nl_link_mon **out) MUST_CHECK;

/* Report every link now present as NL_LINK_PRESENT.  ERR_NETLINK or
 * ERR_PERM, reported. */
int nl_link_dump(struct nl_link_mon *m, nl_link_fn fn, void *ctx) MUST_CHECK;

/* The subscription's descriptor, for poll(): readable when events wait. */
int nl_link_fd(const struct nl_link_mon *m);

/* Read every pending event without blocking and report it.  Returns 0, 1
 * when events were lost (the caller re-dumps), or ERR_NETLINK or ERR_PERM,
 * reported. */
int nl_link_read(struct nl_link_mon *m, nl_link_fn fn, void *ctx) MUST_CHECK;

/* Free the monitor; NULL does nothing.  *m is set to NULL. */
void nl_link_close(struct nl_link_mon **m);

#endif
