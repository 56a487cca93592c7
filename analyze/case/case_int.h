/*
 * case_int.h: what the modules of analyze/case/ share and no other room
 * sees, as SQLite's btree.c and btreeInt.h do.  The calls go one way:
 * case.c (open a case, stream its flows) calls pair.c (which rows are
 * ends of one connection) and flowrow.c (the fields of a flows row, read
 * and checked alike by both); pair.c calls flowrow.c; nothing calls back.
 */
#ifndef PODFLOW_ANALYZE_CASE_INT_H
#define PODFLOW_ANALYZE_CASE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "analyze/case/case.h"
#include "common/attrs.h"

struct diag;
struct ipaddr;

/* ---- flowrow.c ------------------------------------------------------------ */

/* case_memo.first before its user set it. */
#define CASE_MEMO_UNSET UINT32_MAX

/* Text address column i parsed into ip; 0 or ERR_PARSE (NULL, or not an
 * address). */
int frow_ip(sqlite3_stmt *st, int i, struct ipaddr *ip) MUST_CHECK;

/*
 * The same through c's memo of address texts (when c->memo is set up):
 * *slot is the text's memo entry, whose first field belongs to the
 * caller (CASE_MEMO_UNSET in a new entry), or NULL when the text is not
 * remembered (too long, or the memo is full).
 */
int frow_ip_memo(struct case_db *c, sqlite3_stmt *st, int i, struct ipaddr *ip,
                 struct case_memo **slot) MUST_CHECK;

/* Integer port column i into port; 0, or ERR_INVALID outside 0..65535. */
int frow_port(sqlite3_stmt *st, int i, uint16_t *port) MUST_CHECK;

/* An ICMP type or code column: 0..255, or -1 when not an integer or out of
 * range (a hand-made .db may hold anything). */
int frow_byte(sqlite3_stmt *st, int i);

/* ---- pair.c --------------------------------------------------------------- */

/*
 * Pair the rows of c's connections seen at several vantage points
 * (docs/schema.md, "Connections seen at both ends") into c->conns, each
 * end with its flow's ids, state and packets (node and iface left NULL
 * for the caller to name).  0, ERR_DB or ERR_LIMIT, reported through d.
 */
int pair_flows(struct case_db *c, struct diag *d) MUST_CHECK;

/* The connection flow id belongs to, or NULL; *first: 1 when the flow is
 * its reported end (ends[0]). */
const struct case_conn *pair_find(const struct case_db *c, int64_t id, int *first);

/* Vantage points (capture, interface) -> dense tags, for the hash pairing. */
struct vmap_slot {
    int64_t cap, iface;
    uint32_t tag; /* 0: empty */
    int has_iface;
};

struct vmap {
    struct vmap_slot *slots; /* malloc'd, size a power of two */
    size_t size, n;
    uint32_t max; /* tags 1..max */
};

/* A candidate row: a flow whose 5-tuple another vantage point saw too. */
struct prow {
    struct case_end e;
    int64_t last_ns;
    int used;
};

#ifdef PODFLOW_TEST
/* Dotted-quad IPv4 exactly as inet_pton(3) accepts it; 0 or ERR_PARSE. */
int fast_v4(const char *s, size_t len, struct ipaddr *ip);

/* An empty map handing out tags 1..max. */
void vmap_init(struct vmap *m, uint32_t max);
void vmap_release(struct vmap *m);

/* The tag of (cap, iface), iface ignored unless has_iface; a new one
 * (the next number) for a new vantage point; 0 once max are taken. */
uint32_t vmap_tag(struct vmap *m, int64_t cap, int has_iface, int64_t iface);

/* Pair the n rows of one 5-tuple, sorted by first_ns then id, into
 * c->conns by the rule of docs/schema.md (*conn_alloc: c->conns' room). */
void pair_group(struct case_db *c, struct prow *r, size_t n, size_t *conn_alloc);
#endif

#endif
