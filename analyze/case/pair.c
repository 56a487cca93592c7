/*
 * pair.c: the ends of a connection seen at several vantage points
 * (docs/schema.md, "Connections seen at both ends"): which rows of the
 * flows table are one connection, found when a case is opened.
 *
 * case.c calls in (pair_flows() when it opens a case, pair_find() per
 * flow); nothing here calls case.c back: what both read of a flow row is
 * in case_int.h, as SQLite's btree.c and its btreeInt.h share a struct.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

static int pair_fail(struct case_db *c, struct diag *d, const char *what)
{
    diag_err(d, "cannot read %s from '%s': %s", what, c->path, sqlite3_errmsg(c->db));
    return ERR_DB;
}

/* A text column copied into the case's arena, or NULL. */
static const char *pair_text(struct case_db *c, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    if (!t)
        return NULL;
    return arena_memdupz(&c->arena, t, (size_t)sqlite3_column_bytes(st, i));
}

/*
 * Both ends.  The map from a flow id to its connection: open addressing,
 * three words a slot (id, connection index + 1, 1 when the flow is the
 * reported end).
 */
static uint64_t id_hash(int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;

    return h ^ (h >> 31);
}

static void pairmap_put(struct case_db *c, int64_t id, size_t conn, int first)
{
    size_t h = (size_t)id_hash(id) & (c->pairmap_size - 1);

    while (c->pairmap[3 * h + 1]) {
        if (c->pairmap[3 * h] == id)
            return; /* ids are unique in a case: a hostile one keeps the first */
        h = (h + 1) & (c->pairmap_size - 1);
    }
    c->pairmap[3 * h] = id;
    c->pairmap[3 * h + 1] = (int64_t)conn + 1;
    c->pairmap[3 * h + 2] = first;
}

const struct case_conn *pair_find(const struct case_db *c, int64_t id, int *first)
{
    size_t h;

    if (!c->pairmap_size)
        return NULL;
    h = (size_t)id_hash(id) & (c->pairmap_size - 1);
    while (c->pairmap[3 * h + 1]) {
        if (c->pairmap[3 * h] == id) {
            *first = (int)c->pairmap[3 * h + 2];
            return &c->conns[c->pairmap[3 * h + 1] - 1];
        }
        h = (h + 1) & (c->pairmap_size - 1);
    }
    return NULL;
}

/* A text column for a %s, NULL (a damaged file) as "". */
static const char *coltext_or_empty(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);

    return t ? t : "";
}

/* The tuple in columns k..k+5 (proto, src, sport, dst, dport, icmp id) as
 * one text into key, length-prefixed so no text can imitate another.
 * 0 or ERR_LIMIT. */
static int pair_key(sqlite3_stmt *st, int k, struct buf *key)
{
    return buf_addf(key, "%lld|%d:%s|%lld|%d:%s|%lld|%lld", (long long)sqlite3_column_int64(st, k),
                    sqlite3_column_bytes(st, k + 1), coltext_or_empty(st, k + 1),
                    (long long)sqlite3_column_int64(st, k + 2), sqlite3_column_bytes(st, k + 3),
                    coltext_or_empty(st, k + 3), (long long)sqlite3_column_int64(st, k + 4),
                    (long long)sqlite3_column_int64(st, k + 5));
}

/*
 * flows.iface as a vantage point's interface: an integer, else none (the
 * capture itself).  Both pairing ways read it through this expression, so
 * they agree on what a damaged row's vantage point is.
 */
#define PAIR_IFACE "CASE WHEN typeof(f.iface) = 'integer' THEN f.iface END"

/* Columns at k: flow id, capture id, first_ns, last_ns, state, packets
 * fwd and rev; the interface at vi (PAIR_IFACE). */
static void prow_fill(struct case_db *c, sqlite3_stmt *st, int k, int vi, struct prow *p)
{
    memset(p, 0, sizeof(*p));
    p->e.flow_id = sqlite3_column_int64(st, k);
    p->e.capture_id = sqlite3_column_int64(st, k + 1);
    p->e.first_ns = sqlite3_column_int64(st, k + 2);
    p->last_ns = sqlite3_column_int64(st, k + 3);
    if (p->last_ns < p->e.first_ns)
        p->last_ns = p->e.first_ns;
    p->e.state = pair_text(c, st, k + 4);
    if (!p->e.state)
        p->e.state = "";
    p->e.packets_fwd = sqlite3_column_int64(st, k + 5);
    p->e.packets_rev = sqlite3_column_int64(st, k + 6);
    p->e.has_iface = sqlite3_column_type(st, vi) == SQLITE_INTEGER;
    p->e.iface_id = p->e.has_iface ? sqlite3_column_int64(st, vi) : 0;
}

/* Do a and b come from the same vantage point (capture, interface)? */
static int same_vantage(const struct case_end *a, const struct case_end *b)
{
    return a->capture_id == b->capture_id && a->has_iface == b->has_iface &&
           (!a->has_iface || a->iface_id == b->iface_id);
}

/*
 * Pair the rows of one 5-tuple (sorted by first_ns, then id), by the rule
 * of docs/schema.md: starting from the earliest row not yet paired, each
 * other vantage point contributes its first unpaired row whose window
 * overlaps (each widened by the skew); a connection with two ends or more
 * is kept, its earliest row reported.
 */
TESTABLE void pair_group(struct case_db *c, struct prow *r, size_t n, size_t *conn_alloc)
{
    int64_t skew = c->opts.skew_ns;

    for (size_t i = 0; i < n; i++) {
        size_t idx[LIM_CASE_ENDS], ne = 1, scanned = 0;
        int64_t reach;
        struct case_conn *cn;

        if (r[i].used)
            continue;
        idx[0] = i;
        if (__builtin_add_overflow(r[i].last_ns, skew, &reach))
            reach = INT64_MAX;
        for (size_t j = i + 1; j < n && ne < LIM_CASE_ENDS && scanned < LIM_CASE_PAIR_SCAN; j++) {
            int other = 1;

            scanned++;
            if (r[j].e.first_ns > reach)
                break;
            if (r[j].used)
                continue;
            for (size_t k = 0; k < ne && other; k++)
                other = !same_vantage(&r[idx[k]].e, &r[j].e);
            if (other)
                idx[ne++] = j;
        }
        if (ne < 2)
            continue;
        ALLOC_GROW(c->conns, c->nconns + 1, *conn_alloc);
        cn = &c->conns[c->nconns++];
        cn->nends = ne;
        cn->ends = arena_calloc(&c->arena, ne, sizeof(*cn->ends));
        for (size_t k = 0; k < ne; k++) {
            r[idx[k]].used = 1;
            cn->ends[k] = r[idx[k]].e;
        }
    }
}

/* The destination (port: the port) the rule pairs on, as SQL: the DNAT
 * backend where the capture recorded one. */
static const char *pair_dst_sql(const struct case_db *c, int port)
{
    if (!c->has_dnat)
        return port ? "f.dst_port" : "f.dst_ip";
    return port ? "CASE WHEN f.dnat_ip IS NOT NULL AND f.dnat_port IS NOT NULL"
                  " THEN f.dnat_port ELSE f.dst_port END"
                : "CASE WHEN f.dnat_ip IS NOT NULL AND f.dnat_port IS NOT NULL"
                  " THEN f.dnat_ip ELSE f.dst_ip END";
}

/*
 * Find the connections seen at several ends.  SQLite groups the flows by
 * 5-tuple (a sort in temporary storage: the file is not written) and
 * returns only the rows of tuples more than one vantage point saw: several
 * captures, or in one capture several interfaces (two distinct ones, or
 * one and none); the pairing by time is done here, group by group.
 */
static int pair_flows_sql(struct case_db *c, struct diag *d)
{
    const char *dst = pair_dst_sql(c, 0), *dport = pair_dst_sql(c, 1);
    struct buf sql, key, prev;
    sqlite3_stmt *st = NULL;
    struct prow *rows = NULL;
    size_t nrows = 0, rows_alloc = 0, conn_alloc = 0;
    int rc, ret = 0;

    buf_init(&sql, 0);
    buf_init(&key, 0);
    buf_init(&prev, 0);
    if (buf_addf(&sql,
                 "WITH g AS MATERIALIZED (SELECT f.proto AS p, f.src_ip AS s, f.src_port AS sp,"
                 " %s AS d, %s AS dp, coalesce(f.icmp_id, -1) AS ii FROM flows AS f"
                 " GROUP BY 1, 2, 3, 4, 5, 6 HAVING min(f.capture_id) <> max(f.capture_id)"
                 " OR min(" PAIR_IFACE ") <> max(" PAIR_IFACE ")"
                 " OR count(" PAIR_IFACE ") NOT IN (0, count(*)))"
                 " SELECT f.id, f.capture_id, f.first_ns, f.last_ns, f.state, f.packets_fwd,"
                 " f.packets_rev, g.p, g.s, g.sp, g.d, g.dp, g.ii, " PAIR_IFACE
                 " FROM flows AS f CROSS JOIN g"
                 " WHERE g.p = f.proto AND g.s = f.src_ip AND g.sp = f.src_port AND g.d = %s"
                 " AND g.dp = %s AND g.ii = coalesce(f.icmp_id, -1)"
                 " ORDER BY g.p, g.s, g.sp, g.d, g.dp, g.ii, f.first_ns, f.id",
                 dst, dport, dst, dport)) {
        buf_release(&sql);
        return ERR_LIMIT;
    }
    if (sqlite3_prepare_v2(c->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
        buf_release(&sql);
        return pair_fail(c, d, "flows (both ends)");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_reset(&key);
        if (pair_key(st, 7, &key)) {
            ret = ERR_LIMIT;
            break;
        }
        if (nrows && (key.len != prev.len || memcmp(key.data, prev.data, key.len) != 0)) {
            pair_group(c, rows, nrows, &conn_alloc);
            nrows = 0;
        }
        buf_reset(&prev);
        if (buf_add(&prev, key.data, key.len)) {
            ret = ERR_LIMIT;
            break;
        }
        ALLOC_GROW(rows, nrows + 1, rows_alloc);
        prow_fill(c, st, 0, 13, &rows[nrows++]);
    }
    if (!ret && rc != SQLITE_DONE)
        ret = pair_fail(c, d, "flows (both ends)");
    if (!ret && nrows)
        pair_group(c, rows, nrows, &conn_alloc);
    sqlite3_finalize(st);
    free(rows);
    buf_release(&prev);
    buf_release(&key);
    buf_release(&sql);
    return ret;
}

/* The flow id -> connection map, once the connections are known. */
static void pairmap_build(struct case_db *c)
{
    size_t ends = 0;

    if (!c->nconns)
        return;
    for (size_t i = 0; i < c->nconns; i++)
        ends += c->conns[i].nends;
    c->pairmap_size = 16;
    while (c->pairmap_size < 2 * ends)
        c->pairmap_size *= 2;
    c->pairmap = xcalloc(c->pairmap_size * 3, sizeof(*c->pairmap));
    for (size_t i = 0; i < c->nconns; i++)
        for (size_t k = 0; k < c->conns[i].nends; k++)
            pairmap_put(c, c->conns[i].ends[k].flow_id, i, k == 0);
}

/*
 * The same pairing without SQLite's sort, which dominates on large cases
 * (35 s for 10M flows, measured): two scans of flows.  The first marks,
 * in a table of 32-bit slots keyed by a 64-bit hash of the 5-tuple, each
 * tuple's first vantage point (a 16-bit tag), or "several"; the second
 * keeps the rows of tuples several vantage points saw (hash collisions
 * only add candidates: the full tuple is compared afterwards), which are
 * sorted and paired as by the SQL way.  Memory: 4-6 bytes a flow for the
 * table, plus the candidates (~120 bytes each: every flow seen at two
 * ends is one).
 */
#define PAIR_MULTI 0xFFFFu

/*
 * Vantage point -> dense tag 1..max, in an open-addressing table kept at
 * most half full: a case has a few vantage points per capture (its
 * interfaces), looked up once per flow.
 */
static uint64_t vmap_hash(int64_t cap, int has_iface, int64_t iface)
{
    uint64_t h = ((uint64_t)cap ^ ((uint64_t)has_iface << 63)) * 0x9E3779B97F4A7C15ull;

    h = (h ^ (h >> 29) ^ (uint64_t)iface) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

TESTABLE void vmap_init(struct vmap *m, uint32_t max)
{
    memset(m, 0, sizeof(*m));
    m->max = max;
    m->size = 16;
    m->slots = xcalloc(m->size, sizeof(*m->slots));
}

TESTABLE void vmap_release(struct vmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

TESTABLE uint32_t vmap_tag(struct vmap *m, int64_t cap, int has_iface, int64_t iface)
{
    size_t i;

    has_iface = !!has_iface;
    if (!has_iface)
        iface = 0;
    i = (size_t)vmap_hash(cap, has_iface, iface) & (m->size - 1);
    for (; m->slots[i].tag; i = (i + 1) & (m->size - 1)) {
        const struct vmap_slot *v = &m->slots[i];

        if (v->cap == cap && v->has_iface == has_iface && v->iface == iface)
            return v->tag;
    }
    if (m->n >= m->max)
        return 0;
    if ((m->n + 1) * 2 > m->size) {
        struct vmap_slot *old = m->slots;
        size_t oldsize = m->size;

        m->size *= 2;
        m->slots = xcalloc(m->size, sizeof(*m->slots));
        for (size_t k = 0; k < oldsize; k++) {
            size_t j;

            if (!old[k].tag)
                continue;
            j = (size_t)vmap_hash(old[k].cap, old[k].has_iface, old[k].iface) & (m->size - 1);
            while (m->slots[j].tag)
                j = (j + 1) & (m->size - 1);
            m->slots[j] = old[k];
        }
        free(old);
        i = (size_t)vmap_hash(cap, has_iface, iface) & (m->size - 1);
        while (m->slots[i].tag)
            i = (i + 1) & (m->size - 1);
    }
    m->slots[i].cap = cap;
    m->slots[i].iface = iface;
    m->slots[i].has_iface = has_iface;
    m->slots[i].tag = (uint32_t)++m->n;
    return m->slots[i].tag;
}

struct pcand {
    uint64_t h;
    const char *key; /* the tuple, length-prefixed texts (temporary arena) */
    size_t keylen;
    struct prow r;
};

static uint64_t pair_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Hash of the tuple in columns k..k+5 (proto, src, sport, dst, dport, icmp id). */
static uint64_t pair_hash(sqlite3_stmt *st, int k)
{
    uint64_t h = 1469598103934665603ull;

    for (int i = 0; i < 6; i++) {
        if (i == 1 || i == 3) {
            const unsigned char *t = sqlite3_column_text(st, k + i);
            uint32_t len = (uint32_t)sqlite3_column_bytes(st, k + i);

            h = pair_mix(h, &len, sizeof(len));
            if (t)
                h = pair_mix(h, t, len);
        } else {
            int64_t v = sqlite3_column_int64(st, k + i);

            h = pair_mix(h, &v, sizeof(v));
        }
    }
    h ^= h >> 33; /* spread the last bytes into the slot bits */
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static int pcand_cmp(const void *x, const void *y)
{
    const struct pcand *a = x, *b = y;
    int m;

    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    if (a->keylen != b->keylen)
        return a->keylen < b->keylen ? -1 : 1;
    m = memcmp(a->key, b->key, a->keylen);
    if (m)
        return m;
    if (a->r.e.first_ns != b->r.e.first_ns)
        return a->r.e.first_ns < b->r.e.first_ns ? -1 : 1;
    return a->r.e.flow_id < b->r.e.flow_id ? -1 : a->r.e.flow_id > b->r.e.flow_id;
}

/* Slot of hash h holding fp, or the empty slot where it would go. */
static size_t pair_slot(const uint32_t *tab, size_t mask, uint64_t h, uint32_t fp)
{
    size_t i = (size_t)h & mask;

    while (tab[i] && (tab[i] >> 16) != fp)
        i = (i + 1) & mask;
    return i;
}

/* 1 when done, 0 when the case is unsuited (fall back to SQL), < 0 error. */
static int pair_flows_hash(struct case_db *c, struct diag *d)
{
    const char *dst = pair_dst_sql(c, 0), *dport = pair_dst_sql(c, 1);
    char sql[768];
    sqlite3_stmt *st = NULL;
    uint32_t *tab = NULL;
    struct pcand *cands = NULL;
    struct prow *rows = NULL;
    struct arena keys;
    struct buf key;
    size_t ncands = 0, cands_alloc = 0, rows_alloc = 0, conn_alloc = 0, nslots = 1024, mask;
    size_t used = 0;
    int64_t nflows = 0;
    struct vmap vm;
    int rc, ret = 1;

    if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM flows", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return pair_fail(c, d, "flows (both ends)");
    }
    nflows = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (nflows > (1LL << 27))
        return 0; /* the table would pass 1 GiB: let SQLite sort on disk */
    while (nslots < (size_t)nflows + (size_t)nflows / 2)
        nslots *= 2;
    mask = nslots - 1;
    tab = xcalloc(nslots, sizeof(*tab));

    /* Pass 1: each tuple's vantage point, or several.  Tags are 16 bits,
     * PAIR_MULTI reserved: past PAIR_MULTI - 1 vantage points, SQL. */
    snprintf(sql, sizeof(sql),
             "SELECT f.capture_id, f.proto, f.src_ip, f.src_port, %s, %s, coalesce(f.icmp_id, -1),"
             " " PAIR_IFACE " FROM flows AS f",
             dst, dport);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        free(tab);
        return pair_fail(c, d, "flows (both ends)");
    }
    vmap_init(&vm, PAIR_MULTI - 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t h = pair_hash(st, 1);
        uint32_t fp = (uint32_t)(h >> 48) | 0x8000u;
        uint32_t tag =
            vmap_tag(&vm, sqlite3_column_int64(st, 0), sqlite3_column_type(st, 7) == SQLITE_INTEGER,
                     sqlite3_column_int64(st, 7));
        size_t i;

        /* More rows than counted (a capture still writing the file):
         * never let the table fill up; SQLite's sort does it instead.
         * Nor the tags run out. */
        if (!tag || used >= nslots - nslots / 4) {
            sqlite3_finalize(st);
            free(tab);
            vmap_release(&vm);
            return 0;
        }
        i = pair_slot(tab, mask, h, fp);
        if (!tab[i]) {
            tab[i] = fp << 16 | tag;
            used++;
        } else if ((tab[i] & 0xFFFFu) != tag)
            tab[i] = fp << 16 | PAIR_MULTI;
    }
    sqlite3_finalize(st);
    st = NULL;
    vmap_release(&vm);
    if (rc != SQLITE_DONE) {
        free(tab);
        return pair_fail(c, d, "flows (both ends)");
    }

    /* Pass 2: the rows of tuples seen by several vantage points. */
    arena_init(&keys, 0);
    buf_init(&key, 0);
    snprintf(sql, sizeof(sql),
             "SELECT f.id, f.capture_id, f.first_ns, f.last_ns, f.state, f.packets_fwd,"
             " f.packets_rev, f.proto, f.src_ip, f.src_port, %s, %s, coalesce(f.icmp_id, -1),"
             " " PAIR_IFACE " FROM flows AS f",
             dst, dport);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret = pair_fail(c, d, "flows (both ends)");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t h = pair_hash(st, 7);
        uint32_t fp = (uint32_t)(h >> 48) | 0x8000u;
        size_t i = pair_slot(tab, mask, h, fp);
        struct pcand *p;

        if ((tab[i] & 0xFFFFu) != PAIR_MULTI)
            continue;
        buf_reset(&key);
        if (pair_key(st, 7, &key)) {
            ret = ERR_LIMIT;
            goto out;
        }
        ALLOC_GROW(cands, ncands + 1, cands_alloc);
        p = &cands[ncands++];
        memset(p, 0, sizeof(*p));
        p->h = h;
        p->keylen = key.len;
        p->key = arena_memdupz(&keys, key.data, key.len);
        prow_fill(c, st, 0, 13, &p->r);
    }
    if (rc != SQLITE_DONE) {
        ret = pair_fail(c, d, "flows (both ends)");
        goto out;
    }
    free(tab);
    tab = NULL;
    if (ncands)
        qsort(cands, ncands, sizeof(*cands), pcand_cmp);
    for (size_t i = 0; i < ncands;) {
        size_t j = i, n = 0;

        while (j < ncands && cands[j].h == cands[i].h && cands[j].keylen == cands[i].keylen &&
               memcmp(cands[j].key, cands[i].key, cands[i].keylen) == 0)
            j++;
        ALLOC_GROW(rows, j - i, rows_alloc);
        for (size_t k = i; k < j; k++)
            rows[n++] = cands[k].r;
        pair_group(c, rows, n, &conn_alloc);
        i = j;
    }
out:
    sqlite3_finalize(st);
    free(tab);
    free(cands);
    free(rows);
    buf_release(&key);
    arena_release(&keys);
    return ret;
}

int pair_flows(struct case_db *c, struct diag *d)
{
    /* PODFLOW_PAIR_SQL=1: the SQL way only, for tests comparing both. */
    const char *force_sql = getenv("PODFLOW_PAIR_SQL");
    int rc;

    /* One read transaction: both scans see the same rows, even while a
     * capture is still adding to the file. */
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return pair_fail(c, d, "flows (both ends)");
    rc = force_sql && *force_sql == '1' ? 0 : pair_flows_hash(c, d);
    if (rc == 0)
        rc = pair_flows_sql(c, d);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc < 0)
        return rc;
    pairmap_build(c);
    return 0;
}
