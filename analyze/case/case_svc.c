/*
 * case_svc.c: the Services, EndpointSlice endpoints and pod networks of a
 * case (format 3: services, service_endpoints, pod_networks), read once
 * when the case is opened, and the lookups the analyzer needs
 * (docs/semantics.md §11, §12): which Service answers on an address and
 * port, its ready backends at a time, Calico's `services` rule match, and
 * whether an address lies in a pod network.
 *
 * Nothing in the file is trusted: JSON columns are read through SQLite's
 * json_each, which fails on malformed text (the row is then skipped with
 * a warning), counts are bounded by common/limits.h, and every address
 * and CIDR goes through the ipaddr parsers.
 */
#include "analyze/case/case.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/case/case_int.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* An address a Service answers on. */
struct case_svcaddr {
    struct ipaddr ip;
    size_t svc; /* index into svcs */
};

/* A nodePort of a Service (any node address answers on it). */
struct case_nodeport {
    int proto;
    uint16_t port;
    size_t svc; /* index into svcs */
};

static const char *sv_text(struct case_db *c, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    if (!t || !*t)
        return NULL;
    return arena_memdupz(&c->arena, t, (size_t)sqlite3_column_bytes(st, i));
}

static int sv_fail(struct case_db *c, struct diag *d, const char *what)
{
    diag_err(d, "cannot read %s from '%s': %s", what, c->path, sqlite3_errmsg(c->db));
    return ERR_DB;
}

static int proto_of(const char *s)
{
    if (!s || !strcmp(s, "TCP"))
        return 6;
    if (!strcmp(s, "UDP"))
        return 17;
    if (!strcmp(s, "SCTP"))
        return 132;
    return -1;
}

/* A 0..65535 integer column, else -1 (NULL, text, out of range). */
static int col_port(sqlite3_stmt *st, int i)
{
    sqlite3_int64 v;

    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return -1;
    v = sqlite3_column_int64(st, i);
    return v < 0 || v > 65535 ? -1 : (int)v;
}

static void col_times(sqlite3_stmt *st, int i, int *has_from, int64_t *from, int *has_to,
                      int64_t *to)
{
    *has_from = sqlite3_column_type(st, i) == SQLITE_INTEGER;
    *from = *has_from ? sqlite3_column_int64(st, i) : 0;
    *has_to = sqlite3_column_type(st, i + 1) == SQLITE_INTEGER;
    *to = *has_to ? sqlite3_column_int64(st, i + 1) : 0;
}

static int valid_at(int has_from, int64_t from, int has_to, int64_t to, int64_t t)
{
    return (!has_from || from <= t) && (!has_to || t < to);
}

/*
 * The addresses of a JSON array (one column of services) appended to
 * *ips (arena, grown by copying: rows hold a few).  0, or -1 when the
 * JSON is malformed or holds more than LIM_CASE_SVC_ITEMS.
 */
static int read_ips(struct case_db *c, sqlite3_stmt *arr, sqlite3_stmt *row, int col,
                    struct ipaddr **ips, size_t *n)
{
    int rc;

    sqlite3_reset(arr);
    sqlite3_bind_value(arr, 1, sqlite3_column_value(row, col));
    while ((rc = sqlite3_step(arr)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(arr, 0);
        struct ipaddr ip, *nv;

        if (!t || ipaddr_parse(t, (size_t)sqlite3_column_bytes(arr, 0), &ip))
            continue;
        if (*n >= LIM_CASE_SVC_ITEMS)
            return -1;
        nv = arena_calloc(&c->arena, *n + 1, sizeof(*nv));
        if (*n)
            memcpy(nv, *ips, *n * sizeof(*nv));
        nv[(*n)++] = ip;
        *ips = nv;
    }
    return rc == SQLITE_DONE ? 0 : -1;
}

static int svc_cmp(const void *x, const void *y)
{
    const struct case_svc *a = x, *b = y;
    int r = strcmp(a->ns, b->ns);

    if (!r)
        r = strcmp(a->name, b->name);
    if (!r && a->has_from != b->has_from)
        r = a->has_from ? 1 : -1;
    if (!r && a->from_ns != b->from_ns)
        r = a->from_ns < b->from_ns ? -1 : 1;
    if (!r)
        r = a->id < b->id ? -1 : a->id > b->id;
    return r;
}

static int load_services(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL, *arr = NULL, *pst = NULL;
    struct case_svc *v = NULL;
    size_t alloc = 0;
    unsigned bad = 0;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, namespace, name, type, cluster_ips, external_ips, lb_ips,"
                           " ports, valid_from_ns, valid_to_ns FROM services",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, "SELECT value FROM json_each(?1) WHERE type = 'text'", -1, &arr,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "SELECT json_extract(value, '$.name'), json_extract(value, '$.port'),"
                           " json_extract(value, '$.protocol'), json_extract(value,"
                           " '$.targetPort'), json_type(value, '$.targetPort'),"
                           " json_extract(value, '$.nodePort') FROM json_each(?1)"
                           " WHERE json_type(value) = 'object'",
                           -1, &pst, NULL) != SQLITE_OK) {
        ret = sv_fail(c, d, "services");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_svc s;
        int prc = SQLITE_DONE, ok = 1;

        memset(&s, 0, sizeof(s));
        s.id = sqlite3_column_int64(st, 0);
        s.ns = sv_text(c, st, 1);
        s.name = sv_text(c, st, 2);
        s.type = sv_text(c, st, 3);
        if (!s.type)
            s.type = "ClusterIP";
        col_times(st, 8, &s.has_from, &s.from_ns, &s.has_to, &s.to_ns);
        ok = s.ns && s.name;
        if (ok && read_ips(c, arr, st, 4, &s.ips, &s.nips))
            ok = 0;
        s.ncluster = s.nips;
        if (ok &&
            (read_ips(c, arr, st, 5, &s.ips, &s.nips) || read_ips(c, arr, st, 6, &s.ips, &s.nips)))
            ok = 0;
        sqlite3_reset(pst);
        sqlite3_bind_value(pst, 1, sqlite3_column_value(st, 7));
        while (ok && (prc = sqlite3_step(pst)) == SQLITE_ROW) {
            struct case_svc_port p, *nv;
            int port = col_port(pst, 1);
            const char *tt = (const char *)sqlite3_column_text(pst, 4);

            memset(&p, 0, sizeof(p));
            p.name = sv_text(c, pst, 0);
            p.proto = proto_of((const char *)sqlite3_column_text(pst, 2));
            if (port < 1 || p.proto < 0)
                continue;
            p.port = (uint16_t)port;
            p.node_port = (uint16_t)(col_port(pst, 5) > 0 ? col_port(pst, 5) : 0);
            if (tt && !strcmp(tt, "text")) {
                p.target_name = sv_text(c, pst, 3);
            } else if (tt && !strcmp(tt, "integer") && col_port(pst, 3) > 0) {
                p.target_port = (uint16_t)col_port(pst, 3);
            } else if (!tt || !strcmp(tt, "null")) {
                p.target_port = p.port; /* absent: the same as port */
            } else {
                continue;
            }
            if (s.nports >= LIM_CASE_SVC_ITEMS) {
                ok = 0;
                break;
            }
            nv = arena_calloc(&c->arena, s.nports + 1, sizeof(*nv));
            if (s.nports)
                memcpy(nv, s.ports, s.nports * sizeof(*nv));
            nv[s.nports++] = p;
            s.ports = nv;
        }
        if (ok && prc != SQLITE_DONE)
            ok = 0;
        if (!ok) {
            if (bad++ < 10)
                diag_warn(d, "'%s': service %lld: malformed, row skipped", c->path,
                          (long long)s.id);
            continue;
        }
        if (c->nsvcs >= LIM_CASE_SVC_ROWS) {
            diag_err(d, "'%s': more than %u services", c->path, LIM_CASE_SVC_ROWS);
            ret = ERR_LIMIT;
            break;
        }
        ALLOC_GROW(v, c->nsvcs + 1, alloc);
        v[c->nsvcs++] = s;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sv_fail(c, d, "services");
out:
    sqlite3_finalize(st);
    sqlite3_finalize(arr);
    sqlite3_finalize(pst);
    if (ret) {
        free(v);
        c->nsvcs = 0;
        return ret;
    }
    if (c->nsvcs)
        qsort(v, c->nsvcs, sizeof(*v), svc_cmp);
    c->svcs = v;
    return 0;
}

static int strcmp_null(const char *a, const char *b)
{
    return !a || !b ? (a != NULL) - (b != NULL) : strcmp(a, b);
}

static int sep_cmp(const void *x, const void *y)
{
    const struct case_sep *a = x, *b = y;
    int r = strcmp(a->ns, b->ns);

    if (!r)
        r = strcmp_null(a->service, b->service);
    if (!r)
        r = ipaddr_cmp(&a->ip, &b->ip);
    if (!r)
        r = a->id < b->id ? -1 : a->id > b->id;
    return r;
}

static int load_seps(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL, *pst = NULL;
    struct case_sep *v = NULL;
    size_t alloc = 0;
    unsigned bad = 0;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, namespace, service, slice, ip, ready, node, target_kind,"
                           " target_namespace, target_name, ports, valid_from_ns, valid_to_ns"
                           " FROM service_endpoints",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "SELECT json_extract(value, '$.name'), json_extract(value, '$.port'),"
                           " json_extract(value, '$.protocol') FROM json_each(?1)"
                           " WHERE json_type(value) = 'object'",
                           -1, &pst, NULL) != SQLITE_OK) {
        ret = sv_fail(c, d, "service endpoints");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_sep e;
        const char *ip = (const char *)sqlite3_column_text(st, 4);
        int prc = SQLITE_DONE, ok;

        memset(&e, 0, sizeof(e));
        e.id = sqlite3_column_int64(st, 0);
        e.ns = sv_text(c, st, 1);
        e.service = sv_text(c, st, 2);
        e.slice = sv_text(c, st, 3);
        ok = e.ns && e.slice && ip && !ipaddr_parse(ip, (size_t)sqlite3_column_bytes(st, 4), &e.ip);
        e.ready = sqlite3_column_type(st, 5) != SQLITE_INTEGER || sqlite3_column_int64(st, 5) != 0;
        e.node = sv_text(c, st, 6);
        e.target_kind = sv_text(c, st, 7);
        e.target_ns = sv_text(c, st, 8);
        e.target_name = sv_text(c, st, 9);
        col_times(st, 11, &e.has_from, &e.from_ns, &e.has_to, &e.to_ns);
        sqlite3_reset(pst);
        sqlite3_bind_value(pst, 1, sqlite3_column_value(st, 10));
        while (ok && (prc = sqlite3_step(pst)) == SQLITE_ROW) {
            struct case_port p, *nv;
            int port = sqlite3_column_type(pst, 1) == SQLITE_NULL ? 0 : col_port(pst, 1);

            p.name = sv_text(c, pst, 0);
            p.proto = proto_of((const char *)sqlite3_column_text(pst, 2));
            if (port < 0 || p.proto < 0)
                continue;
            p.port = (uint16_t)port;
            if (e.nports >= LIM_CASE_SVC_ITEMS) {
                ok = 0;
                break;
            }
            nv = arena_calloc(&c->arena, e.nports + 1, sizeof(*nv));
            if (e.nports)
                memcpy(nv, e.ports, e.nports * sizeof(*nv));
            nv[e.nports++] = p;
            e.ports = nv;
        }
        if (ok && prc != SQLITE_DONE)
            ok = 0;
        if (!ok) {
            if (bad++ < 10)
                diag_warn(d, "'%s': service endpoint %lld: malformed, row skipped", c->path,
                          (long long)e.id);
            continue;
        }
        if (c->nseps >= LIM_CASE_SVC_ROWS) {
            diag_err(d, "'%s': more than %u service endpoints", c->path, LIM_CASE_SVC_ROWS);
            ret = ERR_LIMIT;
            break;
        }
        ALLOC_GROW(v, c->nseps + 1, alloc);
        v[c->nseps++] = e;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sv_fail(c, d, "service endpoints");
out:
    sqlite3_finalize(st);
    sqlite3_finalize(pst);
    if (ret) {
        free(v);
        c->nseps = 0;
        return ret;
    }
    if (c->nseps)
        qsort(v, c->nseps, sizeof(*v), sep_cmp);
    c->seps = v;
    return 0;
}

static int load_podnets(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    struct case_podnet *v = NULL;
    size_t alloc = 0;
    int rc;

    if (sqlite3_prepare_v2(c->db, "SELECT cidr, node, source FROM pod_networks", -1, &st, NULL) !=
        SQLITE_OK)
        return sv_fail(c, d, "pod networks");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        struct case_podnet p;

        memset(&p, 0, sizeof(p));
        if (!t || cidr_parse(t, (size_t)sqlite3_column_bytes(st, 0), &p.net, NULL)) {
            diag_warn(d, "'%s': pod network '%s' does not parse, row skipped", c->path, t ? t : "");
            continue;
        }
        if (c->npodnets >= LIM_CASE_SVC_ROWS) {
            diag_err(d, "'%s': more than %u pod networks", c->path, LIM_CASE_SVC_ROWS);
            sqlite3_finalize(st);
            free(v);
            c->npodnets = 0;
            return ERR_LIMIT;
        }
        p.node = sv_text(c, st, 1);
        p.source = sv_text(c, st, 2);
        if (!p.source)
            p.source = "";
        ALLOC_GROW(v, c->npodnets + 1, alloc);
        v[c->npodnets++] = p;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        c->npodnets = 0;
        return sv_fail(c, d, "pod networks");
    }
    c->podnets = v;
    return 0;
}

static int addr_cmp(const void *x, const void *y)
{
    const struct case_svcaddr *a = x, *b = y;
    int r = ipaddr_cmp(&a->ip, &b->ip);

    return r ? r : a->svc < b->svc ? -1 : a->svc > b->svc;
}

static int nodeport_cmp(const void *x, const void *y)
{
    const struct case_nodeport *a = x, *b = y;

    if (a->proto != b->proto)
        return a->proto < b->proto ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    return a->svc < b->svc ? -1 : a->svc > b->svc;
}

static int i64_cmp(const void *x, const void *y)
{
    const int64_t *a = x, *b = y;

    return *a < *b ? -1 : *a > *b;
}

int case_svc_load(struct case_db *c, struct diag *d)
{
    size_t n = 0, k = 0;
    int rc;

    rc = load_services(c, d);
    if (!rc)
        rc = load_seps(c, d);
    if (!rc)
        rc = load_podnets(c, d);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->nsvcs; i++)
        n += c->svcs[i].nips;
    c->svcaddrs = xcalloc(n ? n : 1, sizeof(*c->svcaddrs));
    for (size_t i = 0; i < c->nsvcs; i++)
        for (size_t j = 0; j < c->svcs[i].nips; j++) {
            c->svcaddrs[c->nsvcaddrs].ip = c->svcs[i].ips[j];
            c->svcaddrs[c->nsvcaddrs++].svc = i;
        }
    if (c->nsvcaddrs)
        qsort(c->svcaddrs, c->nsvcaddrs, sizeof(*c->svcaddrs), addr_cmp);
    n = 0;
    for (size_t i = 0; i < c->nsvcs; i++)
        for (size_t j = 0; j < c->svcs[i].nports; j++)
            n += c->svcs[i].ports[j].node_port != 0;
    c->nodeports = xcalloc(n ? n : 1, sizeof(*c->nodeports));
    for (size_t i = 0; i < c->nsvcs; i++)
        for (size_t j = 0; j < c->svcs[i].nports; j++) {
            const struct case_svc_port *p = &c->svcs[i].ports[j];

            if (!p->node_port)
                continue;
            c->nodeports[c->nnodeports].proto = p->proto;
            c->nodeports[c->nnodeports].port = p->node_port;
            c->nodeports[c->nnodeports++].svc = i;
        }
    if (c->nnodeports)
        qsort(c->nodeports, c->nnodeports, sizeof(*c->nodeports), nodeport_cmp);
    /* The times at which some slice endpoint starts or ends. */
    c->sep_times = xcalloc(2 * c->nseps + 1, sizeof(*c->sep_times));
    for (size_t i = 0; i < c->nseps; i++) {
        if (c->seps[i].has_from)
            c->sep_times[k++] = c->seps[i].from_ns;
        if (c->seps[i].has_to)
            c->sep_times[k++] = c->seps[i].to_ns;
    }
    if (k)
        qsort(c->sep_times, k, sizeof(*c->sep_times), i64_cmp);
    for (size_t i = 0; i < k; i++)
        if (!c->nsep_times || c->sep_times[c->nsep_times - 1] != c->sep_times[i])
            c->sep_times[c->nsep_times++] = c->sep_times[i];
    return 0;
}

/* ---- lookups ----------------------------------------------------------------- */

static int svc_valid(const struct case_svc *s, int64_t t)
{
    return valid_at(s->has_from, s->from_ns, s->has_to, s->to_ns, t);
}

/* A port of s with this protocol and number (nodeport: its nodePort). */
static int svc_port_of(const struct case_svc *s, int proto, uint16_t port, int nodeport,
                       size_t *idx)
{
    for (size_t i = 0; i < s->nports; i++) {
        const struct case_svc_port *p = &s->ports[i];

        if (p->proto == proto && (nodeport ? p->node_port : p->port) == port && port) {
            *idx = i;
            return 1;
        }
    }
    return 0;
}

const struct case_svc *case_svc_addr(const struct case_db *c, const struct ipaddr *ip, int proto,
                                     uint16_t port, int64_t t, size_t *port_index)
{
    size_t lo = 0, hi = c->nsvcaddrs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ipaddr_cmp(&c->svcaddrs[mid].ip, ip) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < c->nsvcaddrs && !ipaddr_cmp(&c->svcaddrs[lo].ip, ip); lo++) {
        const struct case_svc *s = &c->svcs[c->svcaddrs[lo].svc];

        if (svc_valid(s, t) && svc_port_of(s, proto, port, 0, port_index))
            return s;
    }
    return NULL;
}

const struct case_svc *case_svc_nodeport(const struct case_db *c, int proto, uint16_t port,
                                         int64_t t, size_t *port_index)
{
    size_t lo = 0, hi = c->nnodeports;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct case_nodeport *np = &c->nodeports[mid];

        if (np->proto < proto || (np->proto == proto && np->port < port))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < c->nnodeports && c->nodeports[lo].proto == proto && c->nodeports[lo].port == port;
         lo++) {
        const struct case_svc *s = &c->svcs[c->nodeports[lo].svc];

        if (svc_valid(s, t) && svc_port_of(s, proto, port, 1, port_index))
            return s;
    }
    return NULL;
}

const struct case_svc *case_svc_find(const struct case_db *c, const char *ns, const char *name,
                                     int64_t t)
{
    const struct case_svc *best = NULL;

    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct case_svc *s = &c->svcs[i];

        if (!strcmp(s->ns, ns) && !strcmp(s->name, name) && svc_valid(s, t))
            best = s; /* sorted by valid_from: the latest wins */
    }
    return best;
}

/* The first endpoint row of Service ns/name (index), or nseps. */
static size_t sep_first(const struct case_db *c, const char *ns, const char *name)
{
    size_t lo = 0, hi = c->nseps;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->seps[mid].ns, ns);

        if (!r)
            r = strcmp_null(c->seps[mid].service, name);
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int sep_of(const struct case_sep *e, const char *ns, const char *name)
{
    return !strcmp(e->ns, ns) && e->service && !strcmp(e->service, name);
}

static int sep_valid(const struct case_sep *e, int64_t t)
{
    return valid_at(e->has_from, e->from_ns, e->has_to, e->to_ns, t);
}

/* The port svc's port sp resolves to on endpoint e, or 0: the slice port
 * named after the Service port holds the target port resolved on the
 * backend (a named targetPort included). */
static uint16_t sep_port(const struct case_sep *e, const struct case_svc_port *sp)
{
    for (size_t k = 0; k < e->nports; k++) {
        const struct case_port *p = &e->ports[k];

        if (!strcmp_null(p->name, sp->name) && p->proto == sp->proto && p->port)
            return p->port;
    }
    return 0;
}

size_t case_svc_seps(const struct case_db *c, const struct case_svc *svc, size_t port_index,
                     int64_t t, struct case_backend *out, size_t max)
{
    const struct case_svc_port *sp = &svc->ports[port_index];
    size_t n = 0;

    for (size_t i = sep_first(c, svc->ns, svc->name);
         i < c->nseps && sep_of(&c->seps[i], svc->ns, svc->name); i++) {
        const struct case_sep *e = &c->seps[i];
        uint16_t port;

        if (!e->ready || !sep_valid(e, t) || !(port = sep_port(e, sp)))
            continue;
        if (n < max) {
            out[n].sep = e;
            out[n].ep = NULL;
            out[n].port = port;
        }
        n++;
    }
    return n;
}

int case_svc_is_backend(const struct case_db *c, const struct case_svc *svc, size_t port_index,
                        const struct ipaddr *ip, uint16_t port, int64_t t)
{
    for (size_t i = sep_first(c, svc->ns, svc->name);
         i < c->nseps && sep_of(&c->seps[i], svc->ns, svc->name); i++) {
        const struct case_sep *e = &c->seps[i];

        if (!ipaddr_cmp(&e->ip, ip) && sep_valid(e, t) &&
            sep_port(e, &svc->ports[port_index]) == port)
            return 1;
    }
    return 0;
}

int case_svc_member(const struct case_db *c, const char *ns, const char *name,
                    const struct ipaddr *ip, int with_port, int proto, uint16_t port, int64_t t)
{
    for (size_t i = sep_first(c, ns, name); i < c->nseps && sep_of(&c->seps[i], ns, name); i++) {
        const struct case_sep *e = &c->seps[i];

        if (ipaddr_cmp(&e->ip, ip) || !sep_valid(e, t))
            continue;
        if (!with_port)
            return 1;
        for (size_t k = 0; k < e->nports; k++)
            if (e->ports[k].port && e->ports[k].port == port && e->ports[k].proto == proto)
                return 1;
    }
    return 0;
}

uint32_t case_svc_epoch(const struct case_db *c, int64_t t)
{
    size_t lo = 0, hi = c->nsep_times;

    /* The number of bounds at or before t. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (c->sep_times[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

const struct case_podnet *case_pod_network(const struct case_db *c, const struct ipaddr *ip)
{
    for (size_t i = 0; i < c->npodnets; i++)
        if (cidr_contains(&c->podnets[i].net, ip))
            return &c->podnets[i];
    return NULL;
}
