/*
 * nl_ident.h: which address sits behind which interface of the node, and
 * when, from rtnetlink (libnl-route-3): the node-local truth about pods
 * even without any inventory (schema.sql's ip_ifaces table).
 *
 * At start it dumps links, addresses, routes, neighbours and the bridge
 * FDB; then it follows their changes for the whole capture through one
 * NETLINK_ROUTE socket subscribed to RTNLGRP_LINK, _IPV4_IFADDR,
 * _IPV6_IFADDR, _IPV4_ROUTE, _IPV6_ROUTE and _NEIGH, read from the
 * capture's poll loop.  The subscription is made before the dump, so
 * nothing falls between them (reports are idempotent).  What it maps:
 *
 *   - Calico style: a /32 or /128 route in the main table, unicast, with
 *     no gateway, out of a veth (or a link named cali...): that address is
 *     a pod behind that link (via 'route').
 *   - Bridge style: a neighbour entry (ARP/ND) on a bridge gives the pod's
 *     MAC; the bridge's FDB names the port that MAC was learnt on: the pod
 *     is behind that port (via 'neigh').  A neighbour the kernel forgets
 *     (garbage collection, FDB ageing) does not end the mapping; the port
 *     vanishing, or the address showing up behind another port, does.
 *     The node must have exchanged ARP/ND with the pod once (kubelet's
 *     probes do); pod-to-pod traffic on the bridge alone is invisible here.
 *   - Node addresses (not loopback, not link-local): kind host (via 'addr').
 *
 * A mapping that moves to another interface, or whose route, address or
 * link goes away, closes one interval and may open another.  Times:
 * what the first dump finds is open at the start (NULL: already there);
 * events are stamped with the wall clock when read, as they are
 * real-time observations.  When the kernel drops events (the socket's
 * buffer overflowed), everything is dumped again and compared.
 */
#ifndef PODFLOW_CAPTURE_NL_IDENT_H
#define PODFLOW_CAPTURE_NL_IDENT_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/attrs.h"
#include "common/ipaddr.h"

struct diag;
struct nl_ident;

enum nl_ident_via { NLI_ROUTE, NLI_NEIGH, NLI_ADDR };

/* One interval: ip behind iface from from_ns to to_ns (IDENT_OPEN: open). */
struct nl_ident_iv {
    struct ipaddr ip;
    int ifindex;
    char iface[IF_NAMESIZE];
    enum nl_ident_via via; /* kind: 'host' for NLI_ADDR, else 'pod' */
    int64_t from_ns, to_ns;
    int open; /* still current */
};

/* Connect and subscribe.  ERR_NETLINK or ERR_PERM, reported through d,
 * which must outlive the monitor. */
int nl_ident_open(struct diag *d, struct nl_ident **out) MUST_CHECK;

/* The start-up dump (every mapping found is open since before the
 * capture).  ERR_NETLINK or ERR_PERM, reported. */
int nl_ident_dump(struct nl_ident *m) MUST_CHECK;

/* The subscription's descriptor, for poll(). */
int nl_ident_fd(const struct nl_ident *m);

/* Read every pending event without blocking, stamped now_ns; re-dump when
 * events were lost.  0, or ERR_NETLINK or ERR_PERM, reported. */
int nl_ident_read(struct nl_ident *m, int64_t now_ns) MUST_CHECK;

/* Every interval so far (open and closed), valid until the next call on
 * m.  *n gets the count. */
const struct nl_ident_iv *nl_ident_intervals(const struct nl_ident *m, size_t *n);

/* 1 when intervals changed since the last nl_ident_rows_take(). */
int nl_ident_dirty(const struct nl_ident *m);

/* What nl_ident_rows_write_db() writes: a copy of every interval and
 * block route so far, which another thread may write while m goes on. */
struct nl_ident_rows;

/* Copy every interval and block route into a new nl_ident_rows (the
 * caller's: nl_ident_rows_free()); m is no longer dirty. */
struct nl_ident_rows *nl_ident_rows_take(struct nl_ident *m);

/*
 * Replace capture_id's ip_ifaces rows by r's intervals, and its netlink
 * pod_networks rows by the Calico IPAM block routes seen (blackhole
 * routes: the node's own blocks; routes Calico installed, BIRD's or
 * Felix's protocol: other nodes'), inside the caller's transaction, in a
 * savepoint.  0 or ERR_DB (reported through d).
 */
int nl_ident_rows_write_db(const struct nl_ident_rows *r, sqlite3 *db, int64_t capture_id,
                           struct diag *d) MUST_CHECK;

/* Free r; NULL does nothing.  *r is set to NULL. */
void nl_ident_rows_free(struct nl_ident_rows **r);

/* Free the monitor; NULL does nothing.  *m is set to NULL. */
void nl_ident_close(struct nl_ident **m);

#endif
