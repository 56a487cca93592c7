/*
 * ident.h: who held an address when: the join of an inventory's identities
 * with the interfaces netlink saw an address behind (schema.sql's
 * endpoints and ip_ifaces tables).
 *
 * Both programs need it: podflow-capture joins as it writes, and
 * `podflow-analyze inventory` joins an inventory added after the fact with
 * the ip_ifaces rows a capture left; so it lives in common/ and knows
 * neither libnl nor the inventory loader, only intervals and the .db.
 *
 * Times are Unix ns; IDENT_OPEN (INT64_MIN, the same value as
 * INV_TIME_NONE) is an open bound: "since always" as a start, "still, or
 * forever" as an end.  Intervals are half-open, [from, to).
 *
 * The join, for one address (ident_join()).  A veth belongs to one pod for
 * its whole life, and netlink's intervals are real-time observations,
 * while an inventory's times are coarse (seconds) and its snapshots late;
 * so netlink decides where it knows, and the inventory names:
 *   1. Binding: each netlink interval N (an address behind one interface,
 *      from its appearance to its removal) is given the identity that held
 *      the address, by the endpoint-at-time rule of docs/schema.md, at N's
 *      start, or for an interval already there when the capture started,
 *      at the capture's start (a pod's startTime precedes its route).  An
 *      identity bound to one interface is not bound to another: a pod
 *      never moves between veths, a new pod with the same address has a
 *      new veth.
 *   2. Inside N the address is N's identity (or nobody's) on N's
 *      interface, whatever the inventory's coarse bounds say.
 *   3. Outside every netlink interval the rule decides among the
 *      identities, each cut at the end of the last netlink interval it was
 *      bound to (the route vanished: that pod no longer holds it, even if
 *      no later inventory says so).
 *   4. The timeline is cut wherever the (identity, interface) pair
 *      changes; each piece held by an identity, an interface or both is
 *      one output row.  Rows do not overlap, so the endpoint-at-time rule
 *      gives the same answer on them as this join.
 */
#ifndef PODFLOW_IDENT_H
#define PODFLOW_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/attrs.h"

struct diag;

#define IDENT_OPEN INT64_MIN

/* An endpoint kind's rank in the endpoint-at-time rule (lower wins a
 * tie): pod 0, host 1, service 2, external (and anything else) 3. */
int ident_kind_rank(const char *kind);

/* One interval of one address: an inventory identity or a netlink
 * interval.  id is the caller's reference, unique within its list (the
 * row's id, >= 0). */
struct ident_span {
    int64_t from_ns, to_ns; /* IDENT_OPEN: open-ended */
    int64_t id;
    int kind_rank;     /* identities: ident_kind_rank() */
    const char *iface; /* netlink: the interface's name (not owned) */
    int64_t start_ns;  /* netlink: the capture's start, for an open from_ns */
};

/* One output piece: who (inv, an id of the inventory list, or -1) on which
 * interface (nl, an id of the netlink list, or -1) from when to when. */
struct ident_piece {
    int64_t from_ns, to_ns;
    int64_t inv, nl;
};

/*
 * Join the identities inv[0..ninv) and netlink intervals nl[0..nnl) of one
 * address (rules above).  *out (malloc'd, the caller frees; NULL when
 * *nout is 0) gets the pieces in time order, adjacent pieces with the same
 * (inv, nl) merged.  Intervals with to <= from are ignored.  Never fails
 * (out of memory is fatal).
 */
void ident_join(const struct ident_span *inv, size_t ninv, const struct ident_span *nl, size_t nnl,
                struct ident_piece **out, size_t *nout);

/*
 * Rebuild the joined endpoint rows of an open case (a db_open_writer()
 * connection), in one savepoint (nested in the caller's transaction if one
 * is open): read the endpoints whose source is 'inventory' (as
 * inventory_write_db() wrote them, or as an earlier rebuild left them) and
 * every ip_ifaces row, join them per address, and replace those endpoints
 * and every 'netlink' endpoint by the pieces: a piece with an identity is
 * that row (source 'inventory') with the piece's bounds and the
 * interface's name in iface; a piece with an interface only is a 'netlink'
 * row: kind 'pod' (name NULL) or 'host' (name and node: the capture's
 * node), iface set.  Endpoints of other sources are left alone.
 * Idempotent.  *rows, when not NULL, gets the number of rows written.
 * On failure nothing is changed, the error is reported through d, and
 * ERR_DB is returned, or ERR_LIMIT when one address has more than
 * LIM_IDENT_PER_IP rows of either kind.
 */
int ident_rebuild(sqlite3 *db, size_t *rows, struct diag *d) MUST_CHECK;

#endif
