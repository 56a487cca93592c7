/*
 * pair_sql.c: the test oracle of pair.c (test builds only: -DPODFLOW_TEST;
 * the programs pair by pair.c alone).  The same rule found another way:
 * SQLite groups the flows by 5-tuple (GROUP BY and ORDER BY on the texts
 * as recorded) and keeps the tuples several vantage points saw; each
 * tuple's rows are then paired in a plain array, every row against the
 * next LIM_CASE_PAIR_SCAN.  Tests compare what case_flows() reports after
 * each (tests/test_pair.c, and tests/it/ through the test build of the
 * analyzer, where PODFLOW_PAIR_SQL=1 picks this one).
 *
 * It leaves out the rows of the wrong SQLite types as frow_read() does
 * (ROW_TYPES below); unlike pair.c it groups rows whose addresses do not
 * parse, which case_flows() leaves out either way.
 */
#include "analyze/case/case.h"

#ifdef PODFLOW_TEST
#include <stdlib.h>
#include <string.h>

#include "analyze/case/case_int.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* frow_read()'s checks that SQL can make: each column of its type. */
#define ROW_TYPES                                                                                  \
    "typeof(f.capture_id) = 'integer' AND typeof(f.proto) = 'integer' AND"                         \
    " typeof(f.src_ip) = 'text' AND typeof(f.dst_ip) = 'text' AND"                                 \
    " typeof(f.src_port) = 'integer' AND typeof(f.dst_port) = 'integer' AND"                       \
    " typeof(f.first_ns) = 'integer' AND typeof(f.last_ns) = 'integer' AND"                        \
    " f.last_ns >= f.first_ns AND typeof(f.state) = 'text' AND"                                    \
    " typeof(f.packets_fwd) = 'integer' AND typeof(f.packets_rev) = 'integer' AND"                 \
    " typeof(f.icmp_id) IN ('integer', 'null') AND typeof(f.iface) IN ('integer', 'null') AND"     \
    " typeof(f.open) = 'integer' AND f.open IN (0, 1)"

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
int pair_group_oracle(struct case_db *c, struct prow *r, size_t n)
{
    int64_t skew = c->opts.skew_ns;

    for (size_t i = 0; i < n; i++) {
        size_t idx[LIM_CASE_ENDS], ne = 1, scanned = 0;
        int64_t reach;
        struct case_end e[LIM_CASE_ENDS];
        int rc;

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
        for (size_t k = 0; k < ne; k++) {
            r[idx[k]].used = 1;
            e[k] = r[idx[k]].e;
        }
        rc = pair_emit(c, e, ne);
        if (rc)
            return rc;
    }
    return 0;
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
int pair_flows_sql(struct case_db *c, struct diag *d)
{
    const char *dst = pair_dst_sql(c, 0), *dport = pair_dst_sql(c, 1);
    struct buf sql, key, prev;
    sqlite3_stmt *st = NULL;
    struct prow *rows = NULL;
    size_t nrows = 0, rows_alloc = 0;
    int rc, ret = 0;

    buf_init(&sql, 0);
    buf_init(&key, 0);
    buf_init(&prev, 0);
    if (buf_addf(&sql,
                 "WITH g AS MATERIALIZED (SELECT f.proto AS p, f.src_ip AS s, f.src_port AS sp,"
                 " %s AS d, %s AS dp, coalesce(f.icmp_id, -1) AS ii FROM flows AS f"
                 " WHERE " ROW_TYPES
                 " GROUP BY 1, 2, 3, 4, 5, 6 HAVING min(f.capture_id) <> max(f.capture_id)"
                 " OR min(" PAIR_IFACE ") <> max(" PAIR_IFACE ")"
                 " OR count(" PAIR_IFACE ") NOT IN (0, count(*)))"
                 " SELECT f.id, f.capture_id, f.first_ns, f.last_ns, f.state, f.packets_fwd,"
                 " f.packets_rev, g.p, g.s, g.sp, g.d, g.dp, g.ii, " PAIR_IFACE
                 " FROM flows AS f CROSS JOIN g"
                 " WHERE g.p = f.proto AND g.s = f.src_ip AND g.sp = f.src_port AND g.d = %s"
                 " AND g.dp = %s AND g.ii = coalesce(f.icmp_id, -1) AND " ROW_TYPES
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
            ret = pair_group_oracle(c, rows, nrows);
            nrows = 0;
            if (ret)
                break;
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
        ret = pair_group_oracle(c, rows, nrows);
    sqlite3_finalize(st);
    free(rows);
    buf_release(&prev);
    buf_release(&key);
    buf_release(&sql);
    return ret;
}

#else
/* ISO C wants a declaration in every translation unit. */
typedef int pair_sql_unused;
#endif
