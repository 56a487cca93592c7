/*
 * case_int.h: what the modules of analyze/case/ share and no other room
 * sees, as SQLite's btree.c and btreeInt.h do.  The calls go one way:
 * case.c (open a case, stream its flows) calls pair.c (which rows are
 * ends of one connection) and flowrow.c (the fields of a flows row, read
 * and checked alike by both); pair.c calls flowrow.c and extsort.c (an
 * external sort in bounded memory); case.c also calls case_svc.c (the
 * Services, EndpointSlice endpoints and pod networks of format 3), which
 * calls nothing of the room; nothing calls back.
 */
#ifndef PODFLOW_ANALYZE_CASE_INT_H
#define PODFLOW_ANALYZE_CASE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "analyze/case/case.h"
#include "analyze/case/extsort.h"
#include "common/attrs.h"
#include "common/ipaddr.h"
#include "common/limits.h"

struct diag;

/* ---- flowrow.c ------------------------------------------------------------ */

/* case_memo.first before its user set it. */
#define CASE_MEMO_UNSET UINT32_MAX

/* A reader's memo of address texts and what it found for them (one per
 * scan, so one per thread: not shared). */
struct frow_memo {
    struct case_memo *slots; /* the texts remembered, in order (malloc'd) */
    size_t cap, used;        /* room for, and held */
    struct htab idx;         /* hash of the text -> index in slots */
};

/* Room for want addresses (within LIM_CASE_ADDR_MEMO). */
void frow_memo_init(struct frow_memo *m, size_t want);
void frow_memo_release(struct frow_memo *m);

/* Text address column i parsed into ip; 0 or ERR_PARSE (NULL, or not an
 * address). */
int frow_ip(sqlite3_stmt *st, int i, struct ipaddr *ip) MUST_CHECK;

/* Integer port column i into port; 0, or ERR_INVALID when it is not an
 * integer (SQLite's type: '80x' is text) or outside 0..65535. */
int frow_port(sqlite3_stmt *st, int i, uint16_t *port) MUST_CHECK;

/*
 * The columns of a flow's 5-tuple, selected in this order by every reader
 * (the %s: FROW_DNAT_COLS when the case has them, else FROW_NO_DNAT_COLS).
 */
#define FROW_TUPLE_COLS   "proto, src_ip, src_port, dst_ip, dst_port, %s"
#define FROW_DNAT_COLS    "dnat_ip, dnat_port"
#define FROW_NO_DNAT_COLS "NULL, NULL"
enum { FROW_PROTO, FROW_SRC, FROW_SPORT, FROW_DST, FROW_DPORT, FROW_DNAT_IP, FROW_DNAT_PORT };

/* A flow's 5-tuple as policy sees it. */
struct frow_tuple {
    int proto;
    struct ipaddr src, dst; /* dst: the DNAT backend when dnat */
    uint16_t sport, dport;
    int dnat;           /* 1: the capture recorded the Service's backend */
    struct ipaddr odst; /* when dnat: the address and port it was sent to */
    uint16_t odport;
    /* memo entries of src and dst, or NULL (flowrow.c, frow_ip_memo()):
     * their first field belongs to the reader (CASE_MEMO_UNSET when new) */
    struct case_memo *smemo, *dmemo;
};

/*
 * The columns of a flows row that every reader selects, in this order
 * (the %s: FROW_DNAT_COLS or FROW_NO_DNAT_COLS), and that frow_read()
 * checks, so that the scan, the pairing and the count before a streamed
 * output leave out exactly the same rows (docs/schema.md, "What the
 * analyzer reads").
 */
#define FROW_COLS                                                                                  \
    "id, capture_id, first_ns, last_ns, packets_fwd, packets_rev, bytes_fwd, bytes_rev, state,"    \
    " icmp_type, icmp_code, icmp_count, iface, icmp_id, open, " FROW_TUPLE_COLS
enum {
    FROW_ID,
    FROW_CAP,
    FROW_FIRST,
    FROW_LAST,
    FROW_PF,
    FROW_PR,
    FROW_BF,
    FROW_BR,
    FROW_STATE,
    FROW_ITYPE,
    FROW_ICODE,
    FROW_ICOUNT,
    FROW_IFACE,
    FROW_ICMPID,
    FROW_OPEN,
    FROW_TUPLE /* FROW_TUPLE_COLS */
};

/*
 * The flow scan's query (case_reader_new(); the %s as in FROW_COLS): the
 * columns FROW_COLS, in id order (a rowid scan: no sort): the pairing's
 * results are read beside, in that order.  Rows whose times are no
 * integers pass the window, to be counted as unusable (a NULL first_ns
 * must not vanish in the WHERE).  The benchmark's baseline
 * (tests/bench/scan.c) runs this very text and reads every column as
 * case_reader_flows() does, so that check is measured against a scan of
 * the same work.
 */
#define CASE_FLOWS_SQL                                                                             \
    "SELECT " FROW_COLS " FROM flows WHERE id BETWEEN ?3 AND ?4 AND"                               \
    " (NOT (typeof(first_ns) = 'integer' AND typeof(last_ns) = 'integer')"                         \
    " OR (last_ns >= ?1 AND first_ns <= ?2)) ORDER BY id"

/*
 * A flows row as frow_read() reads it: every column once, checked.  The
 * texts are SQLite's, valid until the statement steps or is reset.
 */
struct frow {
    int64_t id, capture_id, first_ns, last_ns;
    int64_t packets_fwd, packets_rev, bytes_fwd, bytes_rev, icmp_count; /* >= 0 */
    const char *state;                                                  /* one of Zeek's words */
    size_t state_len;                                                   /* its bytes */
    int icmp_type, icmp_code;                                           /* 0..255, or -1 for NULL */
    int has_icmp_id, has_iface, open;                                   /* open: 0 or 1 */
    int64_t icmp_id, iface;          /* when has_icmp_id, has_iface */
    const char *src_text, *dst_text; /* the tuple's address texts */
    const char *dnat_text;           /* when t.dnat: the backend's */
    struct frow_tuple t;
};

/*
 * The row at st (FROW_COLS) checked column by column into r: -1 when
 * usable, else the first reason (enum case_why) it is not (r->id is set
 * whenever the id column is an integer, else 0).  Each column is fetched
 * once (sqlite3_column_value(): a reader's connection is used by one
 * thread only, so the value needs no mutex of its own).
 */
int frow_read(struct frow_memo *m, sqlite3_stmt *st, struct frow *r);

/* The id column of the row at st as frow_read() reads it (0 when not an
 * integer), and frow_read() of that row given the id so read. */
int64_t frow_id(sqlite3_stmt *st);
int frow_read_rest(struct frow_memo *m, sqlite3_stmt *st, int64_t id, struct frow *r);

/* ---- pair.c --------------------------------------------------------------- */

/* State texts a pairing remembers (one byte each in its records). */
#define PAIR_STATES 256

/* The pairing of a case: connections as result records by flow id. */
struct pair_result {
    struct xsort *res;               /* finished; struct pres records (malloc'd) */
    const char *states[PAIR_STATES]; /* by code: Zeek's, then others (static or
                                        case arena) */
    unsigned nstates;
    size_t spilled; /* runs the two passes wrote to disk */
};

/*
 * Pair the rows of c's connections seen at several vantage points
 * (docs/schema.md, "Connections seen at both ends") into c->pairs (made
 * here), counting them in c->nconns.  Every flow row is read on the way
 * (frow_read()): the unusable ones are counted into sk, whose read is
 * then the number of rows, so that case.c need not count them again
 * (read stays 0 when the test oracle paired instead).  0, ERR_DB, or
 * -errno when the temporary file fails; reported through d.
 */
int pair_flows(struct case_db *c, struct case_skips *sk, struct diag *d) MUST_CHECK;
void pair_result_free(struct case_db *c);

/* A reader of the pairing beside a scan of flows in id order. */
struct pair_cursor {
    struct xsort_cur cur;
    const void *next; /* the next result not yet consumed, or NULL */
    struct case_end ends[LIM_CASE_ENDS];
    struct case_conn conn;
    int open;
};

/* A cursor at flow id from (nothing to read when c was not paired).
 * 0 or -errno.  Close it either way. */
int pair_cursor_open(struct pair_cursor *pc, const struct case_db *c, int64_t from) MUST_CHECK;

/*
 * What the pairing says of flow id (ids in increasing order): 0 nothing,
 * 1 it is a connection's reported end (*conn: every end, node and iface
 * NULL for the caller to name; valid until the next call), 2 it is
 * another end (reported with another row), or -errno.
 */
int pair_cursor_at(struct pair_cursor *pc, const struct case_db *c, int64_t id,
                   const struct case_conn **conn);
void pair_cursor_close(struct pair_cursor *pc);

/* ---- case_svc.c ------------------------------------------------------------ */

/*
 * case_svc.c (below case.c: it calls nothing of case.c).  Read the
 * services, service_endpoints and pod_networks tables of the open case c
 * and index them (malloc'd arrays case_close() frees).  0, ERR_DB or
 * ERR_LIMIT (reported through d); a malformed row is skipped with a
 * warning.
 */
int case_svc_load(struct case_db *c, struct diag *d);

/* The Service answering on address ip (cluster, external or load
 * balancer) with that port at t, or NULL; *port_index as case_svc_at(). */
const struct case_svc *case_svc_addr(const struct case_db *c, const struct ipaddr *ip, int proto,
                                     uint16_t port, int64_t t, size_t *port_index);

/* The Service with that nodePort at t, or NULL (any node address). */
const struct case_svc *case_svc_nodeport(const struct case_db *c, int proto, uint16_t port,
                                         int64_t t, size_t *port_index);

/* case_svc_backends() without the identities (out[].ep left NULL). */
size_t case_svc_seps(const struct case_db *c, const struct case_svc *svc, size_t port_index,
                     int64_t t, struct case_backend *out, size_t max);

/* 1 when (ip, port) is an endpoint address of svc at t, ready or not,
 * with the port svc's port port_index resolves to there: a connection
 * seen going there went through the Service. */
int case_svc_is_backend(const struct case_db *c, const struct case_svc *svc, size_t port_index,
                        const struct ipaddr *ip, uint16_t port, int64_t t);

#ifdef PODFLOW_TEST
/* A row of one 5-tuple, as the oracle and the tests hand rows over. */
struct prow {
    struct case_end e;
    int64_t last_ns;
    int used;
};

/* A connection (ends[0] reported) into c->pairs, for the oracle.  0 or
 * -errno. */
int pair_emit(struct case_db *c, const struct case_end *ends, size_t nends) MUST_CHECK;

/* Dotted-quad IPv4 exactly as inet_pton(3) accepts it; 0 or ERR_PARSE. */
int fast_v4(const char *s, size_t len, struct ipaddr *ip);

/* An address text through the memo of a scan (flowrow.c). */
int frow_ip_memo(struct frow_memo *mm, const char *t, size_t len, struct ipaddr *ip,
                 struct case_memo **slot);

/* The test oracle (pair_sql.c, test builds only): the same pairing with
 * SQLite's GROUP BY and a plain array per tuple; PODFLOW_PAIR_SQL=1 in
 * the environment of a test build picks it. */
int pair_flows_sql(struct case_db *c, struct diag *d);

/* The rows r[0..n) of one 5-tuple, sorted by first_ns then id, paired
 * into c->pairs (pair_result_new() first; finish with pair_finish()):
 * pair.c's window, and the oracle's array.  0 or -errno. */
int pair_window_rows(struct case_db *c, const struct prow *r, size_t n);
int pair_group_oracle(struct case_db *c, struct prow *r, size_t n);
void pair_result_new(struct case_db *c);
int pair_finish(struct case_db *c);
#endif

#endif
