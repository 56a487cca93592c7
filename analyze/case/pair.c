/*
 * pair.c: the ends of a connection seen at several vantage points
 * (docs/schema.md, "Connections seen at both ends"): which rows of the
 * flows table are one connection, found when a case is opened, in memory
 * that does not grow with the case.
 *
 * Two sorted passes (extsort.c), each in at most LIM_CASE_PAIR_MEM bytes
 * of records, the rest spilled to a temporary file:
 *
 *   1. One scan of flows: each row whose fields case_flows() accepts
 *      becomes a fixed-size record (its 5-tuple as bytes, post-DNAT, with
 *      the ICMP id; its vantage point, window, state and packets), sorted
 *      by (tuple, first_ns, id).
 *   2. The sorted records, read in order, meet their tuple's other rows
 *      in a window of LIM_CASE_PAIR_SCAN + 1 rows, which is all the rule
 *      looks at; each connection found becomes result records keyed by
 *      the flow id where case_flows() needs them: every end's record at
 *      the reported end's id (ends[0], the earliest), and a "peer" mark at
 *      each other end's id.  The results are sorted by (id, end).
 *
 * case_flows() scans flows in id order and reads the results beside it
 * through a cursor (pair_cursor_*), so a connection's ends are in memory
 * only while its reported row is judged.  Memory: the two buffers, a
 * window per spilled run, the window of rows; never a table of every
 * flow.  Disk: 104 bytes per flow and 64 per paired end, in $TMPDIR,
 * freed as soon as each pass is read.
 *
 * case.c calls in; nothing here calls case.c back (case_int.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "analyze/case/extsort.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/*
 * One flow as pass 1 reads it.  The first PREC_TUPLE bytes are its
 * 5-tuple, compared as bytes; no padding anywhere, so equal tuples are
 * equal bytes.
 */
struct prec {
    uint8_t src[16], dst[16]; /* ipaddr.a: IPv4 in the first 4 bytes, zeros after */
    int64_t icmp_id;          /* -1: NULL */
    uint16_t sport, dport;
    uint8_t proto, fams; /* src family | dst family << 4 */
    uint8_t has_iface, state;
    int64_t first_ns, last_ns, id;
    int64_t cap, iface;
    int64_t pf, pr;
};
#define PREC_TUPLE offsetof(struct prec, has_iface)
_Static_assert(sizeof(struct prec) == 104, "struct prec has no padding");

/* What case_flows() reads at a flow id: one end of the connection it
 * reports (k < nends), or the mark of an end reported with another row. */
struct pres {
    int64_t at; /* the flow id it is read at */
    int64_t flow_id, cap, iface, first_ns, pf, pr;
    uint8_t k, nends, has_iface, state;
    uint32_t pad; /* 0 */
};
#define PRES_PEER 0xFF
_Static_assert(sizeof(struct pres) == 64, "struct pres has no padding");

static int prec_cmp(const void *x, const void *y, void *arg)
{
    const struct prec *a = x, *b = y;
    int m = memcmp(a, b, PREC_TUPLE);

    (void)arg;
    if (m)
        return m;
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int pres_cmp(const void *x, const void *y, void *arg)
{
    const struct pres *a = x, *b = y;

    (void)arg;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

/* ---- states: Zeek's names, and any other text a file holds, as one byte -- */

static const char *const zeek_states[] = {"",     "S0",   "S1",     "SF",    "REJ", "S2",  "S3",
                                          "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH"};

/* The code of state text s (n bytes), a new one for a text not seen yet
 * (copied into the case's arena); past 255 texts, the code of "?". */
static uint8_t state_code(struct case_db *c, struct pair_result *p, const char *s, size_t n)
{
    for (unsigned i = 0; i < p->nstates; i++)
        if (strlen(p->states[i]) == n && memcmp(p->states[i], s, n) == 0)
            return (uint8_t)i;
    if (p->nstates == PAIR_STATES) {
        for (unsigned i = 0; i < p->nstates; i++)
            if (strcmp(p->states[i], "?") == 0)
                return (uint8_t)i;
        return 0;
    }
    p->states[p->nstates] = p->nstates == PAIR_STATES - 1 ? "?" : arena_memdupz(&c->arena, s, n);
    return (uint8_t)p->nstates++;
}

static int pair_fail(struct case_db *c, struct diag *d, const char *what)
{
    diag_err(d, "cannot read %s from '%s': %s", what, c->path, sqlite3_errmsg(c->db));
    return ERR_DB;
}

static int spill_fail(struct case_db *c, struct diag *d, int rc)
{
    diag_err(d, "'%s': cannot pair the ends of connections: temporary file in %s: %s", c->path,
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", err_str(rc));
    return rc;
}

/* ---- pass 1: the flows as records, sorted by tuple and time ---------------- */

static int pass1(struct case_db *c, struct xsort *xs, struct case_skips *sk, struct diag *d)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    struct frow_memo memo;
    int rc, ret = 0;

    snprintf(sql, sizeof(sql), "SELECT " FROW_COLS " FROM flows",
             c->has_dnat ? FROW_DNAT_COLS : FROW_NO_DNAT_COLS);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return pair_fail(c, d, "flows (both ends)");
    frow_memo_init(&memo, 4 * c->neps);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct frow f;
        struct prec r;
        int why = frow_read(&memo, st, &f);

        sk->read++;
        if (why >= 0) {
            /* Unusable: case_flows() leaves it out too; counted here for
             * the head of the output. */
            if (sk->bad < CASE_BAD_SHOWN) {
                sk->bad_ids[sk->bad] = f.id;
                sk->bad_why[sk->bad] = (uint8_t)why;
            }
            sk->bad++;
            sk->why[why]++;
            continue;
        }
        memset(&r, 0, sizeof(r));
        memcpy(r.src, f.t.src.a, 16);
        memcpy(r.dst, f.t.dst.a, 16);
        r.fams = (uint8_t)(f.t.src.family | f.t.dst.family << 4);
        r.proto = (uint8_t)f.t.proto;
        r.sport = f.t.sport;
        r.dport = f.t.dport;
        r.icmp_id = f.has_icmp_id ? f.icmp_id : -1;
        r.id = f.id;
        r.cap = f.capture_id;
        r.has_iface = (uint8_t)f.has_iface;
        r.iface = f.iface;
        r.first_ns = f.first_ns;
        r.last_ns = f.last_ns; /* >= first_ns: frow_read() */
        r.state = state_code(c, c->pairs, f.state, f.state_len);
        r.pf = f.packets_fwd;
        r.pr = f.packets_rev;
        ret = xsort_add(xs, &r);
        if (ret) {
            ret = spill_fail(c, d, ret);
            break;
        }
    }
    if (!ret && rc != SQLITE_DONE)
        ret = pair_fail(c, d, "flows (both ends)");
    sqlite3_finalize(st);
    frow_memo_release(&memo);
    if (!ret) {
        ret = xsort_finish(xs);
        if (ret)
            ret = spill_fail(c, d, ret);
    }
    return ret;
}

/* ---- pass 2: the rule, over a window of each tuple's rows ------------------ */

#define PWIN (LIM_CASE_PAIR_SCAN + 1)

/* The rows of one tuple under consideration: the oldest not yet decided
 * and the LIM_CASE_PAIR_SCAN after it, a ring. */
struct pwin {
    struct prec r[PWIN];
    uint8_t used[PWIN];
    size_t head, n;
};

struct pass2 {
    struct case_db *c;
    struct xsort *res;
    int64_t skew;
    int err;
};

static int same_vantage(const struct prec *a, const struct prec *b)
{
    return a->cap == b->cap && a->has_iface == b->has_iface &&
           (!a->has_iface || a->iface == b->iface);
}

static void pres_of(struct pres *o, const struct prec *r)
{
    memset(o, 0, sizeof(*o));
    o->flow_id = r->id;
    o->cap = r->cap;
    o->iface = r->iface;
    o->has_iface = r->has_iface;
    o->first_ns = r->first_ns;
    o->pf = r->pf;
    o->pr = r->pr;
    o->state = r->state;
}

/* A connection of ne ends (e[0] reported) into the results. */
static void emit(struct pass2 *p2, const struct prec *const *e, size_t ne)
{
    struct pres o;

    for (size_t k = 0; k < ne && !p2->err; k++) {
        pres_of(&o, e[k]);
        o.at = e[0]->id;
        o.k = (uint8_t)k;
        o.nends = (uint8_t)ne;
        p2->err = xsort_add(p2->res, &o);
        if (!p2->err && k) {
            o.at = e[k]->id;
            o.k = PRES_PEER;
            p2->err = xsort_add(p2->res, &o);
        }
    }
    p2->c->nconns++;
}

/*
 * The oldest row of the window, by the rule of docs/schema.md: unless an
 * earlier row took it, it starts a connection, and each other vantage
 * point adds its first unpaired row of the next LIM_CASE_PAIR_SCAN whose
 * window overlaps (widened by the skew); two ends or more are kept.  The
 * row then leaves the window.
 */
static void decide_oldest(struct pass2 *p2, struct pwin *w)
{
    size_t idx[LIM_CASE_ENDS], ne = 1;
    const struct prec *e[LIM_CASE_ENDS];
    const struct prec *a = &w->r[w->head];
    int64_t reach;

    if (!w->used[w->head]) {
        idx[0] = w->head;
        if (__builtin_add_overflow(a->last_ns, p2->skew, &reach))
            reach = INT64_MAX;
        for (size_t j = 1; j < w->n && ne < LIM_CASE_ENDS; j++) {
            size_t s = (w->head + j) % PWIN;
            int other = 1;

            if (w->r[s].first_ns > reach)
                break;
            if (w->used[s])
                continue;
            for (size_t k = 0; k < ne && other; k++)
                other = !same_vantage(&w->r[idx[k]], &w->r[s]);
            if (other)
                idx[ne++] = s;
        }
        if (ne >= 2) {
            for (size_t k = 0; k < ne; k++) {
                w->used[idx[k]] = 1;
                e[k] = &w->r[idx[k]];
            }
            emit(p2, e, ne);
        }
    }
    w->head = (w->head + 1) % PWIN;
    w->n--;
}

static void win_push(struct pass2 *p2, struct pwin *w, const struct prec *r)
{
    size_t s;

    if (w->n && memcmp(&w->r[w->head], r, PREC_TUPLE) != 0)
        while (w->n)
            decide_oldest(p2, w); /* another tuple: the last one's rows are all seen */
    if (w->n == PWIN)
        decide_oldest(p2, w);
    s = (w->head + w->n) % PWIN;
    w->r[s] = *r;
    w->used[s] = 0;
    w->n++;
}

static int pass2(struct case_db *c, const struct xsort *xs, struct diag *d)
{
    struct pass2 p2 = {.c = c, .res = c->pairs->res, .skew = c->opts.skew_ns};
    struct pwin *w = xcalloc(1, sizeof(*w));
    struct xsort_cur cu;
    const struct prec *r;
    int rc = xsort_cur_open(&cu, xs, NULL);

    while (!rc && !p2.err && (r = xsort_cur_next(&cu)) != NULL)
        win_push(&p2, w, r);
    while (!rc && !p2.err && w->n)
        decide_oldest(&p2, w);
    if (!rc)
        rc = cu.err ? cu.err : p2.err;
    xsort_cur_close(&cu);
    free(w);
    if (!rc)
        rc = xsort_finish(c->pairs->res);
    return rc ? spill_fail(c, d, rc) : 0;
}

/* ---- the pairing, and its reader -------------------------------------------- */

static int pair_flows_sorted(struct case_db *c, struct case_skips *sk, struct diag *d)
{
    size_t mem = c->opts.pair_mem ? c->opts.pair_mem : LIM_CASE_PAIR_MEM;
    struct xsort xs;
    int rc;

    xsort_init(&xs, sizeof(struct prec), prec_cmp, NULL, mem);
    rc = pass1(c, &xs, sk, d);
    if (!rc)
        rc = pass2(c, &xs, d);
    c->pairs->spilled = xsort_runs_on_disk(&xs) + xsort_runs_on_disk(c->pairs->res);
    xsort_release(&xs);
    return rc;
}

TESTABLE void pair_result_new(struct case_db *c)
{
    size_t mem = c->opts.pair_mem ? c->opts.pair_mem : LIM_CASE_PAIR_MEM;
    struct pair_result *p = xcalloc(1, sizeof(*p));

    for (size_t i = 0; i < ARRAY_SIZE(zeek_states); i++)
        p->states[p->nstates++] = zeek_states[i];
    p->res = xcalloc(1, sizeof(*p->res));
    xsort_init(p->res, sizeof(struct pres), pres_cmp, NULL, mem);
    c->pairs = p;
}

int pair_flows(struct case_db *c, struct case_skips *sk, struct diag *d)
{
    int rc;

    pair_result_new(c);
    /* One read transaction: the pairing and the flow scans see the same
     * rows, even while a capture is still adding to the file. */
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return pair_fail(c, d, "flows (both ends)");
#ifdef PODFLOW_TEST
    {
        const char *oracle = getenv("PODFLOW_PAIR_SQL");

        if (oracle && *oracle == '1') {
            rc = pair_flows_sql(c, d);
            if (!rc)
                rc = xsort_finish(c->pairs->res);
        } else
            rc = pair_flows_sorted(c, sk, d);
    }
#else
    rc = pair_flows_sorted(c, sk, d);
#endif
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

void pair_result_free(struct case_db *c)
{
    if (!c->pairs)
        return;
    xsort_release(c->pairs->res);
    free(c->pairs->res);
    free(c->pairs);
    c->pairs = NULL;
}

int pair_cursor_open(struct pair_cursor *pc, const struct case_db *c, int64_t from)
{
    struct pres key;
    int rc;

    memset(pc, 0, sizeof(*pc));
    if (!c->pairs || !c->nconns)
        return 0;
    memset(&key, 0, sizeof(key));
    key.at = from;
    rc = xsort_cur_open(&pc->cur, c->pairs->res, &key);
    pc->open = 1;
    if (!rc)
        pc->next = xsort_cur_next(&pc->cur);
    return rc ? rc : pc->cur.err;
}

int pair_cursor_at(struct pair_cursor *pc, const struct case_db *c, int64_t id,
                   const struct case_conn **conn)
{
    const struct pres *r;

    *conn = NULL;
    if (!pc->open)
        return 0;
    while ((r = pc->next) != NULL && r->at < id)
        pc->next = xsort_cur_next(&pc->cur);
    if (pc->cur.err)
        return pc->cur.err;
    if (!r || r->at != id)
        return 0;
    if (r->k == PRES_PEER) {
        pc->next = xsort_cur_next(&pc->cur);
        return pc->cur.err ? pc->cur.err : 2;
    }
    pc->conn.ends = pc->ends;
    pc->conn.nends = 0;
    while ((r = pc->next) != NULL && r->at == id && r->k != PRES_PEER) {
        struct case_end *e;

        if (pc->conn.nends < LIM_CASE_ENDS) {
            e = &pc->ends[pc->conn.nends++];
            memset(e, 0, sizeof(*e));
            e->flow_id = r->flow_id;
            e->capture_id = r->cap;
            e->has_iface = r->has_iface;
            e->iface_id = r->iface;
            e->first_ns = r->first_ns;
            e->packets_fwd = r->pf;
            e->packets_rev = r->pr;
            e->state = c->pairs->states[r->state];
        }
        pc->next = xsort_cur_next(&pc->cur);
    }
    if (pc->cur.err)
        return pc->cur.err;
    *conn = &pc->conn;
    return 1;
}

void pair_cursor_close(struct pair_cursor *pc)
{
    if (pc->open)
        xsort_cur_close(&pc->cur);
    memset(pc, 0, sizeof(*pc));
}

#ifdef PODFLOW_TEST
/* For the oracle (pair_sql.c) and the tests: connections found elsewhere,
 * rows fed to the window by hand. */
int pair_emit(struct case_db *c, const struct case_end *ends, size_t ne)
{
    struct prec r[LIM_CASE_ENDS];
    const struct prec *e[LIM_CASE_ENDS];
    struct pass2 p2 = {.c = c, .res = c->pairs->res};

    for (size_t k = 0; k < ne && k < LIM_CASE_ENDS; k++) {
        memset(&r[k], 0, sizeof(r[k]));
        r[k].id = ends[k].flow_id;
        r[k].cap = ends[k].capture_id;
        r[k].has_iface = (uint8_t)ends[k].has_iface;
        r[k].iface = ends[k].iface_id;
        r[k].first_ns = ends[k].first_ns;
        r[k].pf = ends[k].packets_fwd;
        r[k].pr = ends[k].packets_rev;
        r[k].state = state_code(c, c->pairs, ends[k].state, strlen(ends[k].state));
        e[k] = &r[k];
    }
    emit(&p2, e, ne < LIM_CASE_ENDS ? ne : LIM_CASE_ENDS);
    return p2.err;
}

int pair_finish(struct case_db *c)
{
    return xsort_finish(c->pairs->res);
}

/* Rows of one tuple, as pass 2 would meet them. */
int pair_window_rows(struct case_db *c, const struct prow *r, size_t n)
{
    struct pass2 p2 = {.c = c, .res = c->pairs->res, .skew = c->opts.skew_ns};
    struct pwin *w = xcalloc(1, sizeof(*w));

    for (size_t i = 0; i < n && !p2.err; i++) {
        struct prec x;

        memset(&x, 0, sizeof(x));
        x.id = r[i].e.flow_id;
        x.cap = r[i].e.capture_id;
        x.has_iface = (uint8_t)r[i].e.has_iface;
        x.iface = r[i].e.iface_id;
        x.first_ns = r[i].e.first_ns;
        x.last_ns = r[i].last_ns < x.first_ns ? x.first_ns : r[i].last_ns;
        x.state = state_code(c, c->pairs, r[i].e.state, strlen(r[i].e.state));
        win_push(&p2, w, &x);
    }
    while (!p2.err && w->n)
        decide_oldest(&p2, w);
    free(w);
    return p2.err;
}
#endif
