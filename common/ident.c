/*
 * ident.c: the join of inventory identities with netlink's interface
 * intervals, per address (the rules are in ident.h), and the rebuild of a
 * case's joined endpoint rows from its endpoints and ip_ifaces tables.
 *
 * Per address the lists are short (a handful of pods over a capture, a few
 * hostNetwork pods on a node address), so the join simply evaluates every
 * elementary segment of the timeline against every interval:
 * O(boundaries x intervals) per address.
 */
#include "common/ident.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

int ident_kind_rank(const char *kind)
{
    if (!kind)
        return 3;
    if (strcmp(kind, "pod") == 0)
        return 0;
    if (strcmp(kind, "host") == 0)
        return 1;
    if (strcmp(kind, "service") == 0)
        return 2;
    return 3;
}

/* Bounds as plain numbers: an open start is the earliest time, an open end
 * the latest. */
static int64_t lo(int64_t from)
{
    return from; /* IDENT_OPEN is INT64_MIN already */
}

static int64_t hi(int64_t to)
{
    return to == IDENT_OPEN ? INT64_MAX : to;
}

static int span_valid(const struct ident_span *s)
{
    return lo(s->from_ns) < hi(s->to_ns);
}

/* s holds at t; t = INT64_MIN means "since always" (only open starts). */
static int span_holds(const struct ident_span *s, int64_t t, int64_t end)
{
    return lo(s->from_ns) <= t && t < end;
}

/* 1 when a wins over b by the endpoint-at-time rule: the latest start,
 * then the lower kind rank, then the lower id. */
static int ident_better(const struct ident_span *a, const struct ident_span *b)
{
    if (lo(a->from_ns) != lo(b->from_ns))
        return lo(a->from_ns) > lo(b->from_ns);
    if (a->kind_rank != b->kind_rank)
        return a->kind_rank < b->kind_rank;
    return a->id < b->id;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* Netlink intervals in order of start (open first), then id. */
static int cmp_nl_order(const void *a, const void *b, void *arg)
{
    const struct ident_span *nl = arg;
    const struct ident_span *x = &nl[*(const size_t *)a], *y = &nl[*(const size_t *)b];

    if (lo(x->from_ns) != lo(y->from_ns))
        return lo(x->from_ns) < lo(y->from_ns) ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

void ident_join(const struct ident_span *inv, size_t ninv, const struct ident_span *nl, size_t nnl,
                struct ident_piece **out, size_t *nout)
{
    const char **bound_iface = xcalloc(ninv + 1, sizeof(*bound_iface));
    int64_t *bound_end = xcalloc(ninv + 1, sizeof(*bound_end));
    int64_t *eff_end = xcalloc(ninv + 1, sizeof(*eff_end));
    ptrdiff_t *nl_ident = xcalloc(nnl + 1, sizeof(*nl_ident));
    size_t *order = xcalloc(nnl + 1, sizeof(*order));
    int64_t *bounds = xcalloc(2 * (ninv + nnl) + 2, sizeof(*bounds));
    struct ident_piece *pieces = NULL;
    size_t npieces = 0, apieces = 0, nb = 0, i, k;

    /* 1. Bind each netlink interval to the identity holding at its start
     *    (or at the capture's start), one interface per identity. */
    for (i = 0; i < nnl; i++)
        order[i] = i;
    qsort_r(order, nnl, sizeof(*order), cmp_nl_order, (void *)nl);
    for (k = 0; k < nnl; k++) {
        const struct ident_span *n = &nl[order[k]];
        int64_t t = n->from_ns != IDENT_OPEN ? n->from_ns : n->start_ns;
        ptrdiff_t best = -1;

        nl_ident[order[k]] = -1;
        if (!span_valid(n))
            continue;
        for (i = 0; i < ninv; i++) {
            const struct ident_span *s = &inv[i];

            if (!span_valid(s) || !span_holds(s, t, hi(s->to_ns)))
                continue;
            if (bound_iface[i] && (!n->iface || strcmp(bound_iface[i], n->iface) != 0))
                continue;
            if (best < 0 || ident_better(s, &inv[best]))
                best = (ptrdiff_t)i;
        }
        nl_ident[order[k]] = best;
        if (best >= 0) {
            if (!bound_iface[best]) {
                bound_iface[best] = n->iface ? n->iface : "";
                bound_end[best] = hi(n->to_ns);
            } else if (hi(n->to_ns) > bound_end[best]) {
                bound_end[best] = hi(n->to_ns);
            }
        }
    }

    /* 2. Each identity, outside netlink's intervals, ends where its last
     *    bound interval ended. */
    for (i = 0; i < ninv; i++) {
        eff_end[i] = hi(inv[i].to_ns);
        if (bound_iface[i] && bound_end[i] < eff_end[i])
            eff_end[i] = bound_end[i];
    }

    /* 3. The elementary segments of the timeline. */
    bounds[nb++] = INT64_MIN;
    bounds[nb++] = INT64_MAX;
    for (i = 0; i < ninv; i++) {
        if (!span_valid(&inv[i]))
            continue;
        bounds[nb++] = lo(inv[i].from_ns);
        bounds[nb++] = eff_end[i];
    }
    for (i = 0; i < nnl; i++) {
        if (!span_valid(&nl[i]))
            continue;
        bounds[nb++] = lo(nl[i].from_ns);
        bounds[nb++] = hi(nl[i].to_ns);
    }
    qsort(bounds, nb, sizeof(*bounds), cmp_i64);

    for (k = 0; k + 1 < nb; k++) {
        int64_t x = bounds[k], y = bounds[k + 1];
        ptrdiff_t wn = -1, wi = -1;
        int64_t inv_id, nl_id;

        if (x == y)
            continue;
        /* The interface: the netlink interval holding at x that started
         * last (then the lower id). */
        for (i = 0; i < nnl; i++) {
            const struct ident_span *n = &nl[i];

            if (!span_valid(n) || !span_holds(n, x, hi(n->to_ns)))
                continue;
            if (wn < 0 || lo(n->from_ns) > lo(nl[wn].from_ns) ||
                (lo(n->from_ns) == lo(nl[wn].from_ns) && n->id < nl[wn].id))
                wn = (ptrdiff_t)i;
        }
        if (wn >= 0) {
            wi = nl_ident[wn];
        } else {
            for (i = 0; i < ninv; i++) {
                if (!span_valid(&inv[i]) || !span_holds(&inv[i], x, eff_end[i]))
                    continue;
                if (wi < 0 || ident_better(&inv[i], &inv[wi]))
                    wi = (ptrdiff_t)i;
            }
        }
        if (wn < 0 && wi < 0)
            continue;
        inv_id = wi >= 0 ? inv[wi].id : -1;
        nl_id = wn >= 0 ? nl[wn].id : -1;
        if (npieces && hi(pieces[npieces - 1].to_ns) == x && pieces[npieces - 1].inv == inv_id &&
            pieces[npieces - 1].nl == nl_id) {
            pieces[npieces - 1].to_ns = y == INT64_MAX ? IDENT_OPEN : y;
            continue;
        }
        ALLOC_GROW(pieces, npieces + 1, apieces);
        pieces[npieces].from_ns = x; /* INT64_MIN is IDENT_OPEN */
        pieces[npieces].to_ns = y == INT64_MAX ? IDENT_OPEN : y;
        pieces[npieces].inv = inv_id;
        pieces[npieces].nl = nl_id;
        npieces++;
    }

    free(bound_iface);
    free(bound_end);
    free(eff_end);
    free(nl_ident);
    free(order);
    free(bounds);
    *out = pieces;
    *nout = npieces;
}

/* --- the rebuild of a case's endpoints -------------------------------------- */

/* One row read back, with the strings the join and the inserts need. */
struct ident_row {
    char *ip;    /* malloc'd */
    char *iface; /* netlink: malloc'd */
    char *kind;  /* netlink: malloc'd ('pod' or 'host') */
    char *node;  /* netlink: the capture's node, malloc'd or NULL */
    struct ident_span span;
};

struct ident_rows {
    struct ident_row *v;
    size_t n, alloc;
};

static void ident_rows_release(struct ident_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].ip);
        free(r->v[i].iface);
        free(r->v[i].kind);
        free(r->v[i].node);
    }
    free(r->v);
    memset(r, 0, sizeof(*r));
}

static char *col_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);

    return s ? xstrdup((const char *)s) : NULL;
}

static int64_t col_time(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
        return IDENT_OPEN;
    return sqlite3_column_int64(st, col);
}

static int ident_fail(sqlite3 *db, struct diag *d, const char *what)
{
    diag_err(d, "cannot %s: %s", what, sqlite3_errmsg(db));
    return ERR_DB;
}

/* Inventory rows: id, ip, from, to, kind.  Netlink rows: id, ip, from, to,
 * kind, iface, capture start, node.  Rows without an address or interface
 * (a stranger's file) are skipped. */
static int ident_read(sqlite3 *db, struct diag *d, const char *sql, int netlink,
                      struct ident_rows *out)
{
    sqlite3_stmt *st = NULL;
    int src;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return ident_fail(db, d, "read the endpoints");
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct ident_row r;

        memset(&r, 0, sizeof(r));
        if (sqlite3_column_type(st, 1) != SQLITE_TEXT ||
            (netlink && sqlite3_column_type(st, 5) != SQLITE_TEXT))
            continue;
        r.span.id = sqlite3_column_int64(st, 0);
        r.ip = col_dup(st, 1);
        r.span.from_ns = col_time(st, 2);
        r.span.to_ns = col_time(st, 3);
        r.kind = col_dup(st, 4);
        r.span.kind_rank = ident_kind_rank(r.kind);
        r.span.start_ns = IDENT_OPEN;
        if (netlink) {
            r.iface = col_dup(st, 5);
            r.span.iface = r.iface;
            r.span.start_ns = col_time(st, 6);
            r.node = col_dup(st, 7);
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        out->v[out->n++] = r;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return ident_fail(db, d, "read the endpoints");
    return 0;
}

static void bind_time(sqlite3_stmt *st, int col, int64_t ns)
{
    if (ns == IDENT_OPEN)
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_int64(st, col, ns);
}

static void bind_str(sqlite3_stmt *st, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static const char sql_copy_inv[] =
    "INSERT INTO endpoints (ip, valid_from_ns, valid_to_ns, kind, namespace, name,"
    " workload_kind, workload, labels, service_account, node, iface, ports, source)"
    " SELECT ip, ?1, ?2, kind, namespace, name, workload_kind, workload, labels,"
    " service_account, node, ?3, ports, source FROM endpoints WHERE id = ?4";
static const char sql_ins_nl[] =
    "INSERT INTO endpoints (ip, valid_from_ns, valid_to_ns, kind, name, node, iface, source)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'netlink')";

struct ident_ctx {
    sqlite3 *db;
    struct diag *d;
    sqlite3_stmt *copy_inv, *ins_nl;
    size_t rows;
};

/* Join one address's rows and insert the pieces. */
static int ident_address(struct ident_ctx *c, const struct ident_row *inv, size_t ninv,
                         const struct ident_row *nl, size_t nnl)
{
    struct ident_span *is = xcalloc(ninv + 1, sizeof(*is));
    struct ident_span *ns = xcalloc(nnl + 1, sizeof(*ns));
    struct ident_piece *p = NULL;
    size_t np = 0, i, j;
    int rc = 0;

    for (i = 0; i < ninv; i++)
        is[i] = inv[i].span;
    /* Netlink ids are positions here, so a piece finds its row at once. */
    for (i = 0; i < nnl; i++) {
        ns[i] = nl[i].span;
        ns[i].id = (int64_t)i;
    }
    ident_join(is, ninv, ns, nnl, &p, &np);
    for (j = 0; j < np && !rc; j++) {
        const struct ident_row *n = p[j].nl >= 0 ? &nl[p[j].nl] : NULL;
        sqlite3_stmt *st;

        if (p[j].inv >= 0) {
            st = c->copy_inv;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            bind_time(st, 1, p[j].from_ns);
            bind_time(st, 2, p[j].to_ns);
            bind_str(st, 3, n ? n->iface : NULL);
            sqlite3_bind_int64(st, 4, p[j].inv);
        } else {
            int host = n->kind && strcmp(n->kind, "host") == 0;

            st = c->ins_nl;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            bind_str(st, 1, n->ip);
            bind_time(st, 2, p[j].from_ns);
            bind_time(st, 3, p[j].to_ns);
            bind_str(st, 4, host ? "host" : "pod");
            bind_str(st, 5, host ? n->node : NULL);
            bind_str(st, 6, n->node);
            bind_str(st, 7, n->iface);
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = ident_fail(c->db, c->d, "write the endpoints");
        else
            c->rows++;
    }
    free(p);
    free(is);
    free(ns);
    return rc;
}

static int ident_rebuild_in(sqlite3 *db, struct ident_ctx *c)
{
    struct ident_rows inv = {0}, nl = {0};
    sqlite3_stmt *st = NULL;
    int64_t max_id = 0;
    size_t a = 0, b = 0;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM endpoints", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return ident_fail(db, c->d, "read the endpoints");
    }
    max_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);

    rc = ident_read(db, c->d,
                    "SELECT id, ip, valid_from_ns, valid_to_ns, kind FROM endpoints"
                    " WHERE source = 'inventory' ORDER BY ip, id",
                    0, &inv);
    if (!rc)
        rc = ident_read(db, c->d,
                        "SELECT i.id, i.ip, i.valid_from_ns, i.valid_to_ns, i.kind, i.iface,"
                        " c.started_ns, c.node FROM ip_ifaces AS i"
                        " LEFT JOIN captures AS c ON c.id = i.capture_id ORDER BY i.ip, i.id",
                        1, &nl);
    if (!rc && (sqlite3_prepare_v2(db, sql_copy_inv, -1, &c->copy_inv, NULL) != SQLITE_OK ||
                sqlite3_prepare_v2(db, sql_ins_nl, -1, &c->ins_nl, NULL) != SQLITE_OK))
        rc = ident_fail(db, c->d, "write the endpoints");

    /* Both lists are in address order: walk them together. */
    while (!rc && (a < inv.n || b < nl.n)) {
        const char *ip;
        size_t ea = a, eb = b;
        int cmp;

        if (a >= inv.n)
            cmp = 1;
        else if (b >= nl.n)
            cmp = -1;
        else
            cmp = strcmp(inv.v[a].ip, nl.v[b].ip);
        ip = cmp <= 0 ? inv.v[a].ip : nl.v[b].ip;
        if (cmp <= 0)
            while (ea < inv.n && strcmp(inv.v[ea].ip, ip) == 0)
                ea++;
        if (cmp >= 0)
            while (eb < nl.n && strcmp(nl.v[eb].ip, ip) == 0)
                eb++;
        if (ea - a > LIM_IDENT_PER_IP || eb - b > LIM_IDENT_PER_IP) {
            diag_err(c->d, "cannot join the endpoints of %.*s: more than %d rows for one address",
                     IPADDR_STRLEN, ip, LIM_IDENT_PER_IP);
            rc = ERR_LIMIT;
            break;
        }
        rc = ident_address(c, &inv.v[a], ea - a, &nl.v[b], eb - b);
        a = ea;
        b = eb;
    }
    sqlite3_finalize(c->copy_inv);
    sqlite3_finalize(c->ins_nl);
    c->copy_inv = c->ins_nl = NULL;
    ident_rows_release(&inv);
    ident_rows_release(&nl);
    if (rc)
        return rc;

    if (sqlite3_prepare_v2(db,
                           "DELETE FROM endpoints WHERE id <= ?1"
                           " AND source IN ('inventory', 'netlink')",
                           -1, &st, NULL) != SQLITE_OK)
        return ident_fail(db, c->d, "write the endpoints");
    sqlite3_bind_int64(st, 1, max_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ident_fail(db, c->d, "write the endpoints");
    sqlite3_finalize(st);
    return rc;
}

int ident_rebuild(sqlite3 *db, size_t *rows, struct diag *d)
{
    struct ident_ctx c = {db, d, NULL, NULL, 0};
    int rc;

    if (sqlite3_exec(db, "SAVEPOINT ident_rebuild", NULL, NULL, NULL) != SQLITE_OK)
        return ident_fail(db, d, "write the endpoints");
    rc = ident_rebuild_in(db, &c);
    if (rc) {
        sqlite3_exec(db, "ROLLBACK TO ident_rebuild; RELEASE ident_rebuild", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(db, "RELEASE ident_rebuild", NULL, NULL, NULL) != SQLITE_OK) {
        rc = ident_fail(db, d, "write the endpoints");
        sqlite3_exec(db, "ROLLBACK TO ident_rebuild; RELEASE ident_rebuild", NULL, NULL, NULL);
        return rc;
    }
    if (rows)
        *rows = c.rows;
    return 0;
}
