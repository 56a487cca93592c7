/*
 * case.c: read a case .db for the analyzer.
 *
 * Endpoints are loaded whole and sorted by address and then by the
 * identity rule of schema.sql (latest valid_from_ns first, pods before
 * hosts before services before external, lowest id), so that the first
 * row of an address whose validity covers a time is the identity at that
 * time.  A hash index (common/htab.h) maps an address to its first row, which
 * keeps the per-flow lookup at a hash and a short scan.
 *
 * Nothing in the file is trusted: every text is bounded by SQLite, labels
 * go through labels_from_json() with its limits, ports through json_each
 * with range checks, and a row that does not make sense is reported with
 * its table and id.
 */
#include "analyze/case/case.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/case/case_int.h"
#include "analyze/case/merge.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/limits.h"
#include "common/outfile.h"
#include "common/xmalloc.h"
#include "common/compat.h"

const char *ep_kind_name(enum ep_kind k)
{
    switch (k) {
    case EP_POD:
        return "pod";
    case EP_HOST:
        return "host";
    case EP_SERVICE:
        return "service";
    case EP_EXTERNAL:
        return "external";
    }
    return "?";
}

static int ep_kind_parse(const char *s, enum ep_kind *out)
{
    static const char *const names[] = {"pod", "host", "service", "external"};
    size_t i;

    for (i = 0; s && i < ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum ep_kind)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

static uint64_t ip_hash(const struct ipaddr *ip)
{
    return hash_bytes(ip->a, sizeof(ip->a), ip->family);
}

/* The identity rule's order: address, then latest valid_from_ns first
 * (NULL counts as the smallest), then kind, then id. */
static int ep_cmp(const void *x, const void *y)
{
    const struct case_ep *a = x, *b = y;
    int c = ipaddr_cmp(&a->ip, &b->ip);

    if (c)
        return c;
    if (a->has_from != b->has_from)
        return a->has_from ? -1 : 1;
    if (a->has_from && a->from_ns != b->from_ns)
        return a->from_ns > b->from_ns ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int ns_cmp(const void *x, const void *y)
{
    const struct case_ns *a = x, *b = y;

    return strcmp(a->name, b->name);
}

static const char *col_text(struct case_db *c, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    if (!t)
        return NULL;
    return arena_memdupz(&c->arena, t, (size_t)sqlite3_column_bytes(st, i));
}

static int db_fail(struct case_db *c, struct diag *d, const char *what)
{
    diag_err(d, "cannot read %s from '%s': %s", what, c->path, sqlite3_errmsg(c->db));
    return ERR_DB;
}

static int load_namespaces(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    size_t alloc = 0;
    int rc;

    if (sqlite3_prepare_v2(c->db, "SELECT name, labels FROM namespaces", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(c, d, "namespaces");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_ns *ns;
        const char *js = (const char *)sqlite3_column_text(st, 1);
        int lrc;

        ALLOC_GROW(c->nss, c->nnss + 1, alloc);
        ns = &c->nss[c->nnss];
        ns->name = col_text(c, st, 0);
        if (!ns->name) {
            diag_warn(d, "'%s': a namespace without a name is skipped", c->path);
            continue;
        }
        lrc = labels_from_json(&ns->labels, js ? js : "{}",
                               js ? (size_t)sqlite3_column_bytes(st, 1) : 2);
        if (lrc) {
            diag_err(d, "'%s': namespace '%s': bad labels: %s", c->path, ns->name, err_str(lrc));
            sqlite3_finalize(st);
            return lrc;
        }
        /* Kubernetes sets kubernetes.io/metadata.name on every namespace. */
        if (!labels_get(&ns->labels, "kubernetes.io/metadata.name") &&
            labels_set(&ns->labels, "kubernetes.io/metadata.name", ns->name)) {
            labels_release(&ns->labels);
            sqlite3_finalize(st);
            return ERR_LIMIT;
        }
        c->nnss++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(c, d, "namespaces");
    if (c->nnss)
        qsort(c->nss, c->nnss, sizeof(*c->nss), ns_cmp);
    return 0;
}

static int proto_from_name(const char *s)
{
    if (!s || strcmp(s, "TCP") == 0 || strcmp(s, "tcp") == 0)
        return 6;
    if (strcmp(s, "UDP") == 0 || strcmp(s, "udp") == 0)
        return 17;
    if (strcmp(s, "SCTP") == 0 || strcmp(s, "sctp") == 0)
        return 132;
    return -1;
}

/* Named ports: JSON [{name, port, protocol}], read with SQLite's json_each
 * so a malformed array is an SQL error rather than our parser's problem.
 * Only named ports with a usable number matter to policy (§3.2). */
static int load_ports(struct case_db *c, sqlite3_stmt *pst, struct case_ep *ep, struct diag *d)
{
    size_t alloc = 0;
    int rc;

    sqlite3_reset(pst);
    sqlite3_bind_int64(pst, 1, ep->id);
    while ((rc = sqlite3_step(pst)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(pst, 0);
        sqlite3_int64 port = sqlite3_column_int64(pst, 1);
        int proto = proto_from_name((const char *)sqlite3_column_text(pst, 2));
        struct case_port *p;

        if (!name || !*name || sqlite3_column_type(pst, 1) != SQLITE_INTEGER || port < 1 ||
            port > 65535 || proto < 0)
            continue;
        if (ep->nports >= LIM_ENDPOINT_PORTS) {
            diag_warn(d, "'%s': endpoint %lld: more than %d ports, the rest ignored", c->path,
                      (long long)ep->id, LIM_ENDPOINT_PORTS);
            break;
        }
        if (ep->nports + 1 > alloc) {
            struct case_port *n;

            alloc = alloc ? alloc * 2 : 4;
            n = arena_calloc(&c->arena, alloc, sizeof(*n));
            if (ep->nports)
                memcpy(n, ep->ports, ep->nports * sizeof(*n));
            ep->ports = n;
        }
        p = &ep->ports[ep->nports++];
        p->name = arena_strdup(&c->arena, name);
        p->port = (uint16_t)port;
        p->proto = proto;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        diag_err(d, "'%s': endpoint %lld: bad ports: %s", c->path, (long long)ep->id,
                 sqlite3_errmsg(c->db));
        return ERR_PARSE;
    }
    return 0;
}

static int load_endpoints(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL, *pst = NULL;
    size_t alloc = 0, i;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(
            c->db,
            "SELECT id, ip, valid_from_ns, valid_to_ns, kind, namespace, name,"
            " workload_kind, workload, labels, service_account, node, iface FROM endpoints",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "endpoints");
    if (sqlite3_prepare_v2(c->db,
                           "SELECT json_extract(value, '$.name'), json_extract(value, '$.port'),"
                           " json_extract(value, '$.protocol')"
                           " FROM endpoints, json_each(endpoints.ports) WHERE endpoints.id = ?1"
                           " AND json_type(value) = 'object'",
                           -1, &pst, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(c, d, "endpoint ports");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_ep *ep;
        const char *ip = (const char *)sqlite3_column_text(st, 1);
        const char *kind = (const char *)sqlite3_column_text(st, 4);
        const char *js = (const char *)sqlite3_column_text(st, 9);
        int lrc;

        ALLOC_GROW(c->eps, c->neps + 1, alloc);
        ep = &c->eps[c->neps];
        memset(ep, 0, sizeof(*ep));
        ep->id = sqlite3_column_int64(st, 0);
        if (!ip || ipaddr_parse(ip, (size_t)sqlite3_column_bytes(st, 1), &ep->ip)) {
            diag_warn(d, "'%s': endpoint %lld: address '%s' does not parse, row skipped", c->path,
                      (long long)ep->id, ip ? ip : "");
            continue;
        }
        if (ep_kind_parse(kind, &ep->kind)) {
            diag_warn(d, "'%s': endpoint %lld: unknown kind '%s', row skipped", c->path,
                      (long long)ep->id, kind ? kind : "");
            continue;
        }
        ep->ip_text = col_text(c, st, 1);
        ep->has_from = sqlite3_column_type(st, 2) != SQLITE_NULL;
        ep->from_ns = sqlite3_column_int64(st, 2);
        ep->has_to = sqlite3_column_type(st, 3) != SQLITE_NULL;
        ep->to_ns = sqlite3_column_int64(st, 3);
        ep->ns = col_text(c, st, 5);
        ep->name = col_text(c, st, 6);
        ep->workload_kind = col_text(c, st, 7);
        ep->workload = col_text(c, st, 8);
        ep->sa = col_text(c, st, 10);
        ep->node = col_text(c, st, 11);
        ep->iface = col_text(c, st, 12);
        if (ep->iface && !*ep->iface)
            ep->iface = NULL;
        if (ep->sa && !*ep->sa)
            ep->sa = NULL;
        lrc = labels_from_json(&ep->labels, js ? js : "{}",
                               js ? (size_t)sqlite3_column_bytes(st, 9) : 2);
        if (lrc) {
            diag_err(d, "'%s': endpoint %lld: bad labels: %s", c->path, (long long)ep->id,
                     err_str(lrc));
            ret = lrc;
            break;
        }
        labels_init(&ep->calico);
        c->neps++;
        lrc = load_ports(c, pst, ep, d);
        if (lrc) {
            ret = lrc;
            break;
        }
    }
    if (!ret && rc != SQLITE_DONE)
        ret = db_fail(c, d, "endpoints");
    sqlite3_finalize(st);
    sqlite3_finalize(pst);
    if (ret)
        return ret;

    for (i = 0; i < c->neps; i++) {
        struct case_ep *ep = &c->eps[i];

        if (ep->kind != EP_POD)
            continue;
        if (case_calico_labels(ep, ep->ns ? case_ns_find(c, ep->ns) : NULL, &ep->calico)) {
            diag_err(d, "'%s': endpoint %lld: too many labels", c->path, (long long)ep->id);
            return ERR_LIMIT;
        }
    }
    if (c->neps)
        qsort(c->eps, c->neps, sizeof(*c->eps), ep_cmp);

    c->keys = xcalloc(c->neps ? c->neps : 1, sizeof(*c->keys));
    for (i = 0; i < c->neps; i++) {
        c->keys[i].ip = c->eps[i].ip;
        c->keys[i].has_from = (uint8_t)c->eps[i].has_from;
        c->keys[i].has_to = (uint8_t)c->eps[i].has_to;
        c->keys[i].from_ns = c->eps[i].from_ns;
        c->keys[i].to_ns = c->eps[i].to_ns;
    }
    /* Address index: each address's first row (rows are sorted by address). */
    htab_reserve(&c->ipidx, c->neps);
    for (i = 0; i < c->neps; i++) {
        if (i && ipaddr_cmp(&c->eps[i - 1].ip, &c->eps[i].ip) == 0)
            continue;
        htab_add(&c->ipidx, ip_hash(&c->eps[i].ip), (uint32_t)i);
    }
    return 0;
}

/* Move the malloc'd array v of n elements of size bytes into c's arena
 * (pointers into it then live until case_close()), sorted by cmp; v is
 * freed.  Never NULL. */
static void *case_take_sorted(struct case_db *c, void *v, size_t n, size_t size,
                              int (*cmp)(const void *, const void *))
{
    void *a = arena_calloc(&c->arena, n ? n : 1, size);

    if (n) {
        memcpy(a, v, n * size);
        qsort(a, n, size, cmp);
    }
    free(v);
    return a;
}

static int cap_cmp(const void *x, const void *y)
{
    const struct case_cap *a = x, *b = y;

    return a->id < b->id ? -1 : a->id > b->id;
}

static int load_captures(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    size_t alloc = 0;
    struct case_cap *caps = NULL;
    int rc;

    if (sqlite3_prepare_v2(c->db, "SELECT id, node, started_ns, ended_ns FROM captures", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(c, d, "captures");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_cap *cp;

        ALLOC_GROW(caps, c->ncaps + 1, alloc);
        cp = &caps[c->ncaps++];
        cp->id = sqlite3_column_int64(st, 0);
        cp->node = col_text(c, st, 1);
        cp->started_ns = sqlite3_column_int64(st, 2);
        cp->has_end = sqlite3_column_type(st, 3) != SQLITE_NULL;
        cp->ended_ns = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(caps);
        c->ncaps = 0;
        return db_fail(c, d, "captures");
    }
    /* Into the arena: case_cap pointers stay valid until case_close(). */
    c->caps = case_take_sorted(c, caps, c->ncaps, sizeof(*caps), cap_cmp);
    return 0;
}

const struct case_cap *case_cap_find(const struct case_db *c, int64_t id)
{
    struct case_cap key = {.id = id};

    return c->ncaps ? bsearch(&key, c->caps, c->ncaps, sizeof(*c->caps), cap_cmp) : NULL;
}

static int iface_cmp(const void *x, const void *y)
{
    const struct case_iface *a = x, *b = y;

    return a->id < b->id ? -1 : a->id > b->id;
}

static int strcmp_null(const char *a, const char *b)
{
    return !a || !b ? (a != NULL) - (b != NULL) : strcmp(a, b);
}

static int iface_name_cmp(const void *x, const void *y)
{
    const struct case_iface *a = x, *b = y;
    int r = strcmp_null(a->node, b->node);

    return r ? r : strcmp_null(a->name, b->name);
}

/* The interfaces rows, for the names of vantage points.  Ids are the
 * table's primary key, unique across the captures of a case (merge
 * renumbers them). */
static int load_interfaces(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    size_t alloc = 0;
    struct case_iface *ifs = NULL;
    int rc;

    if (sqlite3_prepare_v2(c->db, "SELECT id, capture_id, name FROM interfaces", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(c, d, "interfaces");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_iface *ifc;

        ALLOC_GROW(ifs, c->nifaces + 1, alloc);
        ifc = &ifs[c->nifaces++];
        ifc->id = sqlite3_column_int64(st, 0);
        ifc->capture_id = sqlite3_column_int64(st, 1);
        ifc->name = col_text(c, st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(ifs);
        c->nifaces = 0;
        return db_fail(c, d, "interfaces");
    }
    c->ifaces = case_take_sorted(c, ifs, c->nifaces, sizeof(*ifs), iface_cmp);
    /* The captures are loaded: name each interface's node, and index them
     * by (node, name) for flow_reach(), which asks per unanswered flow. */
    for (size_t i = 0; i < c->nifaces; i++) {
        const struct case_cap *cp = case_cap_find(c, c->ifaces[i].capture_id);

        c->ifaces[i].node = cp ? cp->node : NULL;
    }
    c->ifaces_by_name = arena_calloc(&c->arena, c->nifaces ? c->nifaces : 1, sizeof(*ifs));
    if (c->nifaces) {
        memcpy(c->ifaces_by_name, c->ifaces, c->nifaces * sizeof(*ifs));
        qsort(c->ifaces_by_name, c->nifaces, sizeof(*ifs), iface_name_cmp);
    }
    return 0;
}

const struct case_iface *case_iface_find(const struct case_db *c, int64_t id)
{
    struct case_iface key = {.id = id};

    return c->nifaces ? bsearch(&key, c->ifaces, c->nifaces, sizeof(*c->ifaces), iface_cmp) : NULL;
}

int case_several_vantages(const struct case_db *c)
{
    return c->ncaps > 1 || c->nifaces > 1;
}

/* The name of interface id, or NULL when there is none (not an integer,
 * no such row). */
static const char *iface_name(const struct case_db *c, int has_iface, int64_t id)
{
    const struct case_iface *ifc = has_iface ? case_iface_find(c, id) : NULL;

    return ifc ? ifc->name : NULL;
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

/* The connection of flow id, or NULL; *first: is it the reported end. */
static const struct case_conn *pairmap_get(const struct case_db *c, int64_t id, int *first)
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

/* A candidate row: a flow whose 5-tuple another vantage point saw too. */
struct prow {
    struct case_end e;
    int64_t last_ns;
    int used;
};

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
    const struct case_cap *cap;

    memset(p, 0, sizeof(*p));
    p->e.flow_id = sqlite3_column_int64(st, k);
    p->e.capture_id = sqlite3_column_int64(st, k + 1);
    p->e.first_ns = sqlite3_column_int64(st, k + 2);
    p->last_ns = sqlite3_column_int64(st, k + 3);
    if (p->last_ns < p->e.first_ns)
        p->last_ns = p->e.first_ns;
    p->e.state = col_text(c, st, k + 4);
    if (!p->e.state)
        p->e.state = "";
    p->e.packets_fwd = sqlite3_column_int64(st, k + 5);
    p->e.packets_rev = sqlite3_column_int64(st, k + 6);
    cap = case_cap_find(c, p->e.capture_id);
    p->e.node = cap ? cap->node : NULL;
    p->e.has_iface = sqlite3_column_type(st, vi) == SQLITE_INTEGER;
    p->e.iface_id = p->e.has_iface ? sqlite3_column_int64(st, vi) : 0;
    p->e.iface = iface_name(c, p->e.has_iface, p->e.iface_id);
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
static void pair_group(struct case_db *c, struct prow *r, size_t n, size_t *conn_alloc)
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

/*
 * Find the connections seen at several ends.  SQLite groups the flows by
 * 5-tuple (a sort in temporary storage: the file is not written) and
 * returns only the rows of tuples more than one vantage point saw: several
 * captures, or in one capture several interfaces (two distinct ones, or
 * one and none); the pairing by time is done here, group by group.
 */
static int pair_flows_sql(struct case_db *c, struct diag *d)
{
    const char *dst = c->has_dnat ? "CASE WHEN f.dnat_ip IS NOT NULL AND f.dnat_port IS NOT NULL "
                                    "THEN f.dnat_ip ELSE f.dst_ip END"
                                  : "f.dst_ip";
    const char *dport = c->has_dnat ? "CASE WHEN f.dnat_ip IS NOT NULL AND f.dnat_port IS NOT "
                                      "NULL THEN f.dnat_port ELSE f.dst_port END"
                                    : "f.dst_port";
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
        return db_fail(c, d, "flows (both ends)");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* The group key, length-prefixed so no text can imitate another. */
        buf_reset(&key);
        if (buf_addf(&key, "%lld|%d:%s|%lld|%d:%s|%lld|%lld",
                     (long long)sqlite3_column_int64(st, 7), sqlite3_column_bytes(st, 8),
                     coltext_or_empty(st, 8), (long long)sqlite3_column_int64(st, 9),
                     sqlite3_column_bytes(st, 10), coltext_or_empty(st, 10),
                     (long long)sqlite3_column_int64(st, 11),
                     (long long)sqlite3_column_int64(st, 12))) {
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
        ret = db_fail(c, d, "flows (both ends)");
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
    const char *dst = c->has_dnat ? "CASE WHEN f.dnat_ip IS NOT NULL AND f.dnat_port IS NOT NULL "
                                    "THEN f.dnat_ip ELSE f.dst_ip END"
                                  : "f.dst_ip";
    const char *dport = c->has_dnat ? "CASE WHEN f.dnat_ip IS NOT NULL AND f.dnat_port IS NOT "
                                      "NULL THEN f.dnat_port ELSE f.dst_port END"
                                    : "f.dst_port";
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
        return db_fail(c, d, "flows (both ends)");
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
        return db_fail(c, d, "flows (both ends)");
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
        return db_fail(c, d, "flows (both ends)");
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
        ret = db_fail(c, d, "flows (both ends)");
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
        if (buf_addf(&key, "%lld|%d:%s|%lld|%d:%s|%lld|%lld",
                     (long long)sqlite3_column_int64(st, 7), sqlite3_column_bytes(st, 8),
                     coltext_or_empty(st, 8), (long long)sqlite3_column_int64(st, 9),
                     sqlite3_column_bytes(st, 10), coltext_or_empty(st, 10),
                     (long long)sqlite3_column_int64(st, 11),
                     (long long)sqlite3_column_int64(st, 12))) {
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
        ret = db_fail(c, d, "flows (both ends)");
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

static int pair_flows(struct case_db *c, struct diag *d)
{
    /* PODFLOW_PAIR_SQL=1: the SQL way only, for tests comparing both. */
    const char *force_sql = getenv("PODFLOW_PAIR_SQL");
    int rc;

    /* One read transaction: both scans see the same rows, even while a
     * capture is still adding to the file. */
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(c, d, "flows (both ends)");
    rc = force_sql && *force_sql == '1' ? 0 : pair_flows_hash(c, d);
    if (rc == 0)
        rc = pair_flows_sql(c, d);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc < 0)
        return rc;
    pairmap_build(c);
    return 0;
}

/* Open one file (path) as the case; shown in messages as label. */
static int case_open_file(struct case_db *c, const char *path, const char *label,
                          const struct case_opts *o, struct diag *d)
{
    int rc;

    memset(c, 0, sizeof(*c));
    arena_init(&c->arena, 0);
    c->path = arena_strdup(&c->arena, label);
    if (o)
        c->opts = *o;
    else
        c->opts.skew_ns = CASE_SKEW_DEFAULT_NS;
    if (c->opts.skew_ns < 0)
        c->opts.skew_ns = 0;
    rc = db_open_reader(path, d, &c->db);
    if (rc) {
        arena_release(&c->arena);
        memset(c, 0, sizeof(*c));
        return rc;
    }
    c->has_dnat =
        db_has_column(c->db, "flows", "dnat_ip") && db_has_column(c->db, "flows", "dnat_port");
    rc = load_namespaces(c, d);
    if (!rc)
        rc = load_endpoints(c, d);
    if (!rc)
        rc = load_captures(c, d);
    if (!rc)
        rc = load_interfaces(c, d);
    if (!rc && case_several_vantages(c) && !c->opts.no_pair)
        rc = pair_flows(c, d);
    if (rc)
        case_close(c);
    return rc;
}

/* ---- Calico's labels for a pod (§1.6) ---------------------------------- */

int case_calico_labels(const struct case_ep *ep, const struct case_ns *ns, struct labels *out)
{
    const char *nsname = ep->ns ? ep->ns : "";
    size_t i;
    int rc = 0;

    labels_init(out);
    /* Own labels minus pcns./pcsa. ones: a pod cannot claim another
     * namespace's or service account's labels (§1.6). */
    for (i = 0; i < ep->labels.n && !rc; i++) {
        const char *k = ep->labels.v[i].key;

        if (strncmp(k, "pcns.", 5) == 0 || strncmp(k, "pcsa.", 5) == 0)
            continue;
        rc = labels_set(out, k, ep->labels.v[i].value);
    }
    /* Forced by the converter, overriding any pod label of that name. */
    if (!rc)
        rc = labels_set(out, "projectcalico.org/namespace", nsname);
    if (!rc)
        rc = labels_set(out, "projectcalico.org/orchestrator", "k8s");
    if (!rc && ep->sa)
        rc = labels_set(out, "projectcalico.org/serviceaccount", ep->sa);
    /* Inherited from profile kns.<ns>: pcns.<k> for each namespace label,
     * and the namespace's name. */
    if (ns) {
        for (i = 0; i < ns->labels.n && !rc; i++) {
            char key[LIM_LABEL_KEY + 8];
            int n = snprintf(key, sizeof(key), "pcns.%s", ns->labels.v[i].key);

            if (n < 0 || (size_t)n >= sizeof(key)) {
                rc = ERR_LIMIT;
                break;
            }
            rc = labels_set(out, key, ns->labels.v[i].value);
        }
    }
    /* A namespace the case does not describe still has the name label
     * Kubernetes puts on every namespace. */
    if (!rc && !ns && ep->ns)
        rc = labels_set(out, "pcns.kubernetes.io/metadata.name", ep->ns);
    if (!rc)
        rc = labels_set(out, "pcns.projectcalico.org/name", nsname);
    /* Inherited from profile ksa.<ns>.<sa>: the .db records no service
     * account labels, only the name. */
    if (!rc && ep->sa)
        rc = labels_set(out, "pcsa.projectcalico.org/name", ep->sa);
    if (rc)
        labels_release(out);
    return rc;
}

int case_open(struct case_db *c, const char *path, struct diag *d)
{
    return case_open_file(c, path, path, NULL, d);
}

int case_open_many(struct case_db *c, char *const *paths, size_t n, const struct case_opts *o,
                   struct diag *d)
{
    char *tmp, *label;
    size_t len;
    int lockfd, rc;

    if (n == 1)
        return case_open_file(c, paths[0], paths[0], o, d);
    /* A scratch file in $TMPDIR: removed on SIGINT/SIGTERM, and after a
     * kill -9 by the next run (common/outfile.h). */
    rc = outfile_tmp_create(NULL, "podflow-case-", &tmp, &lockfd, d);
    if (rc)
        return rc;
    rc = merge_into_new(tmp, paths, n, d);
    if (rc) {
        outfile_tmp_remove(tmp, lockfd);
        free(tmp);
        return rc;
    }
    len = strlen(paths[0]) + 2;
    label = xmalloc(len);
    snprintf(label, len, "%s+", paths[0]);
    rc = case_open_file(c, tmp, label, o, d);
    /* Open (or failed): the file is no longer needed by name. */
    outfile_tmp_remove(tmp, lockfd);
    free(label);
    free(tmp);
    return rc;
}

void case_close(struct case_db *c)
{
    size_t i;

    for (i = 0; i < c->neps; i++) {
        labels_release(&c->eps[i].labels);
        labels_release(&c->eps[i].calico);
    }
    for (i = 0; i < c->nnss; i++)
        labels_release(&c->nss[i].labels);
    free(c->eps);
    free(c->nss);
    htab_release(&c->ipidx);
    free(c->keys);
    free(c->memo);
    htab_release(&c->memo_idx);
    free(c->conns);
    free(c->pairmap);
    if (c->db)
        db_close(&c->db, NULL);
    arena_release(&c->arena);
    memset(c, 0, sizeof(*c));
}

static int ip_eq(const struct ipaddr *x, const struct ipaddr *y);

/* The first endpoint row of ip (index + 1), or 0 when no row has it. */
static uint32_t first_row(const struct case_db *c, const struct ipaddr *ip)
{
    struct htab_iter it;

    for (uint32_t i = htab_first(&c->ipidx, ip_hash(ip), &it); i != HTAB_NONE;
         i = htab_next(&c->ipidx, &it))
        if (ip_eq(&c->keys[i].ip, ip))
            return i + 1;
    return 0;
}

/* The endpoint holding ip at t among the rows from first (index + 1). */
static const struct case_ep *valid_from_row(const struct case_db *c, uint32_t first,
                                            const struct ipaddr *ip, int64_t t)
{
    size_t i;

    if (!first)
        return NULL;
    for (i = first - 1; i < c->neps && ip_eq(&c->keys[i].ip, ip); i++) {
        const struct case_epkey *k = &c->keys[i];

        if ((!k->has_from || k->from_ns <= t) && (!k->has_to || t < k->to_ns))
            return &c->eps[i];
    }
    return NULL;
}

const struct case_ep *case_lookup(const struct case_db *c, const struct ipaddr *ip, int64_t t)
{
    return valid_from_row(c, first_row(c, ip), ip, t);
}

const struct case_ns *case_ns_find(const struct case_db *c, const char *name)
{
    size_t lo = 0, hi = c->nnss;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(name, c->nss[mid].name);

        if (r == 0)
            return &c->nss[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/*
 * Dotted-quad IPv4 as inet_pton(3) accepts it (four decimal parts of
 * 0..255, no leading zeros), parsed in place: this runs twice per flow.
 * Anything else (IPv6, odd forms) goes to ipaddr_parse().
 */
TESTABLE int fast_v4(const char *s, size_t len, struct ipaddr *ip)
{
    const char *p = s, *end = s + len;
    uint8_t b[4];
    int part;

    for (part = 0; part < 4; part++) {
        const char *start = p;
        unsigned v;

        if (p == end || (unsigned)(*p - '0') > 9)
            return ERR_PARSE;
        v = (unsigned)(*p++ - '0');
        while (p < end && (unsigned)(*p - '0') <= 9) {
            v = v * 10 + (unsigned)(*p++ - '0');
            if (v > 255)
                return ERR_PARSE;
        }
        if (*start == '0' && p - start > 1)
            return ERR_PARSE;
        b[part] = (uint8_t)v;
        if (part < 3) {
            if (p == end || *p != '.')
                return ERR_PARSE;
            p++;
        }
    }
    if (p != end)
        return ERR_PARSE;
    memset(ip, 0, sizeof(*ip));
    ip->family = 4;
    memcpy(ip->a, b, 4);
    return 0;
}

/* Parse a text address column into ip; 0 or ERR_PARSE. */
static int col_ip(sqlite3_stmt *st, int i, struct ipaddr *ip)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t len = (size_t)sqlite3_column_bytes(st, i);

    if (!t)
        return ERR_PARSE;
    if (fast_v4(t, len, ip) == 0)
        return 0;
    return ipaddr_parse(t, len, ip);
}

/* Same address: both are fully initialised (zeroed unused bytes). */
static int ip_eq(const struct ipaddr *x, const struct ipaddr *y)
{
    return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

static uint32_t first_row(const struct case_db *c, const struct ipaddr *ip);

/*
 * Address column -> (address, first endpoint row), remembered per distinct
 * text: a case has few distinct addresses and millions of flows, so most
 * rows skip both the parse and the index probe.  The table stops growing
 * at LIM_CASE_ADDR_MEMO entries; later addresses are parsed every time.
 */
static int col_ip_row(struct case_db *c, sqlite3_stmt *st, int i, struct ipaddr *ip,
                      uint32_t *first)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t len = (size_t)sqlite3_column_bytes(st, i);
    struct htab_iter it;
    struct case_memo *m;
    uint64_t h;
    int rc;

    if (!t)
        return ERR_PARSE;
    if (len > CASE_MEMO_TEXT || !c->memo) {
        rc = col_ip(st, i, ip);
        if (!rc)
            *first = first_row(c, ip);
        return rc;
    }
    h = hash_bytes(t, len, 0);
    for (uint32_t k = htab_first(&c->memo_idx, h, &it); k != HTAB_NONE;
         k = htab_next(&c->memo_idx, &it)) {
        m = &c->memo[k];
        if (m->len == len && memcmp(m->text, t, len) == 0) {
            *ip = m->ip;
            *first = m->first;
            return 0;
        }
    }
    rc = fast_v4(t, len, ip);
    if (rc)
        rc = ipaddr_parse(t, len, ip);
    if (rc)
        return rc;
    *first = first_row(c, ip);
    if (c->memo_used < c->memo_cap) {
        m = &c->memo[c->memo_used];
        m->len = (uint8_t)len;
        memcpy(m->text, t, len);
        m->ip = *ip;
        m->first = *first;
        htab_add(&c->memo_idx, h, (uint32_t)c->memo_used++);
    }
    return 0;
}

static int col_port(sqlite3_stmt *st, int i, uint16_t *port)
{
    sqlite3_int64 v = sqlite3_column_int64(st, i);

    if (v < 0 || v > 65535)
        return ERR_INVALID;
    *port = (uint16_t)v;
    return 0;
}

/* Is there a capture on node covering t (within the skew)? */
static int node_captured(const struct case_db *c, const char *node, int64_t t)
{
    int64_t skew = c->opts.skew_ns;

    for (size_t i = 0; i < c->ncaps; i++) {
        const struct case_cap *cp = &c->caps[i];

        if (!cp->node || strcmp(cp->node, node) != 0)
            continue;
        if (cp->started_ns - skew <= t && (!cp->has_end || t <= cp->ended_ns + skew))
            return 1;
    }
    return 0;
}

/* Did a capture on node record interface name around t (within the skew)? */
static int iface_captured(const struct case_db *c, const char *node, const char *name, int64_t t)
{
    struct case_iface key = {.node = node, .name = name};

    return c->nifaces &&
           bsearch(&key, c->ifaces_by_name, c->nifaces, sizeof(key), iface_name_cmp) &&
           node_captured(c, node, t);
}

/*
 * Where an unanswered flow got to (docs/schema.md, "Both ends"): NULL
 * when some end saw a reply, or when the destination's node is unknown.
 *
 * When the destination pod's own interface is known (endpoints.iface) and
 * was captured, it says more than the node: the host hands a packet to a
 * pod's veth only after the node's policy (Calico judges both the
 * source's egress and the destination's ingress on the host), so a
 * request seen there but unanswered was not dropped by policy on that
 * node, and one the node saw but never handed to that interface was
 * dropped inside the node.
 */
static const char *flow_reach(const struct case_db *c, const struct case_flow *fl)
{
    const char *dnode = fl->dst ? fl->dst->node : NULL;
    const char *difc = fl->dst ? fl->dst->iface : NULL;
    struct case_end self;
    const struct case_end *ends = &self;
    size_t n = 1;
    int at_node = 0;

    if (!dnode || !*dnode || fl->icmp_count > 0)
        return NULL;
    memset(&self, 0, sizeof(self));
    self.node = fl->node;
    self.iface = fl->iface;
    self.packets_fwd = fl->packets_fwd;
    self.packets_rev = fl->packets_rev;
    if (fl->conn) {
        ends = fl->conn->ends;
        n = fl->conn->nends;
    }
    for (size_t i = 0; i < n; i++)
        if (ends[i].packets_rev > 0)
            return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!ends[i].node || strcmp(ends[i].node, dnode) != 0 || ends[i].packets_fwd <= 0)
            continue;
        if (difc && ends[i].iface && strcmp(ends[i].iface, difc) == 0)
            return "unanswered-at-dst-pod";
        at_node = 1;
    }
    if (at_node) {
        /* Seen on the destination's node: was the pod's own link watched? */
        if (difc && !c->opts.no_pair && iface_captured(c, dnode, difc, fl->first_ns))
            return "dropped-in-dst-node";
        return "unanswered-at-dst-node";
    }
    /* Without pairing, the other end may be a row of its own. */
    if (c->opts.no_pair)
        return NULL;
    return node_captured(c, dnode, fl->first_ns) ? "missing-at-dst-node" : NULL;
}

/* An ICMP type or code column: 0..255, or -1 when NULL or out of range
 * (a hand-made .db may hold anything). */
static int col_byte(sqlite3_stmt *st, int i)
{
    sqlite3_int64 v;

    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return -1;
    v = sqlite3_column_int64(st, i);
    return v < 0 || v > 255 ? -1 : (int)v;
}

int case_flows(struct case_db *c, const struct case_filter *f,
               int (*fn)(void *ctx, const struct case_flow *fl), void *ctx, struct diag *d)
{
    char sql[640];
    sqlite3_stmt *st = NULL;
    unsigned bad = 0;
    int64_t last_iface = 0;       /* the previous row's interface: flows of */
    const char *last_name = NULL; /* one interface come in runs */
    int rc, ret = 0, has_last = 0;

    snprintf(sql, sizeof(sql),
             "SELECT id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,"
             " packets_fwd, packets_rev, bytes_fwd, bytes_rev, state, icmp_type, icmp_code,"
             " icmp_count, %s, iface FROM flows WHERE last_ns >= ?1 AND first_ns <= ?2",
             c->has_dnat ? "dnat_ip, dnat_port" : "NULL, NULL");
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "flows");
    if (!c->memo) {
        /* Room for the endpoints' addresses and as many others, within
         * the limit. */
        c->memo_cap = 512;
        while (c->memo_cap < 2 * c->neps && c->memo_cap < LIM_CASE_ADDR_MEMO)
            c->memo_cap *= 2;
        c->memo = xcalloc(c->memo_cap, sizeof(*c->memo));
        c->memo_used = 0;
        htab_reserve(&c->memo_idx, c->memo_cap);
    }
    sqlite3_bind_int64(st, 1, f && f->has_since ? f->since_ns : INT64_MIN);
    sqlite3_bind_int64(st, 2, f && f->has_until ? f->until_ns : INT64_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_flow fl;
        sqlite3_int64 proto = sqlite3_column_int64(st, 2);
        uint32_t sfirst = 0, dfirst = 0;

        memset(&fl, 0, sizeof(fl));
        fl.id = sqlite3_column_int64(st, 0);
        if (c->pairmap_size) {
            int first = 0;

            fl.conn = pairmap_get(c, fl.id, &first);
            if (fl.conn && !first) {
                c->flows_peer++; /* another end of a flow reported with it */
                continue;
            }
        }
        if (proto < 0 || proto > 255 || col_ip_row(c, st, 3, &fl.src_ip, &sfirst) ||
            col_ip_row(c, st, 5, &fl.dst_ip, &dfirst) || col_port(st, 4, &fl.src_port) ||
            col_port(st, 6, &fl.dst_port)) {
            if (bad++ < 10)
                diag_warn(d, "'%s': flow %lld: bad protocol, address or port, row skipped", c->path,
                          (long long)fl.id);
            continue;
        }
        fl.capture_id = sqlite3_column_int64(st, 1);
        fl.proto = (int)proto;
        fl.src_text = (const char *)sqlite3_column_text(st, 3);
        fl.dst_text = (const char *)sqlite3_column_text(st, 5);
        fl.first_ns = sqlite3_column_int64(st, 7);
        fl.last_ns = sqlite3_column_int64(st, 8);
        fl.packets_fwd = sqlite3_column_int64(st, 9);
        fl.packets_rev = sqlite3_column_int64(st, 10);
        fl.bytes_fwd = sqlite3_column_int64(st, 11);
        fl.bytes_rev = sqlite3_column_int64(st, 12);
        fl.state = (const char *)sqlite3_column_text(st, 13);
        if (!fl.state)
            fl.state = "";
        fl.icmp_type = col_byte(st, 14);
        fl.icmp_code = col_byte(st, 15);
        fl.icmp_count = sqlite3_column_int64(st, 16);
        /* Policy sees post-DNAT addresses (§5, §9.17): judge the backend
         * when the capture recorded it. */
        if (sqlite3_column_type(st, 17) != SQLITE_NULL) {
            struct ipaddr nip;
            uint16_t nport;

            if (!col_ip(st, 17, &nip) && !col_port(st, 18, &nport) &&
                sqlite3_column_type(st, 18) != SQLITE_NULL) {
                fl.orig_dst_text = fl.dst_text;
                fl.orig_dst_port = fl.dst_port;
                fl.dst_ip = nip;
                dfirst = first_row(c, &nip);
                fl.dst_port = nport;
                fl.dst_text = (const char *)sqlite3_column_text(st, 17);
                fl.dnat = 1;
            }
        }
        fl.src = valid_from_row(c, sfirst, &fl.src_ip, fl.first_ns);
        fl.dst = valid_from_row(c, dfirst, &fl.dst_ip, fl.first_ns);
        {
            const struct case_cap *cap = case_cap_find(c, fl.capture_id);

            fl.node = cap ? cap->node : NULL;
        }
        if (sqlite3_column_type(st, 19) == SQLITE_INTEGER) {
            int64_t ifc = sqlite3_column_int64(st, 19);

            if (!has_last || ifc != last_iface) {
                last_name = iface_name(c, 1, ifc);
                last_iface = ifc;
                has_last = 1;
            }
            fl.iface = last_name;
        }
        fl.reach = flow_reach(c, &fl);
        ret = fn(ctx, &fl);
        if (ret)
            break;
    }
    if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = db_fail(c, d, "flows");
    if (bad > 10)
        diag_warn(d, "'%s': %u flows skipped as malformed", c->path, bad);
    sqlite3_finalize(st);
    return ret;
}
