/*
 * case_svc.c: the Services, EndpointSlice endpoints and pod networks of a
 * case (format 3: services, service_endpoints, pod_networks), read once
 * when the case is opened, and the lookups the analyzer needs
 * (docs/semantics.md §11, §12): which Service answers on an address and
 * port, its ready backends at a time, Calico's `services` rule match, and
 * whether an address lies in a pod network.
 *
 * Nothing in the file is trusted.  Every column is checked by SQLite type
 * (and every JSON value by json_type()) and range, never coerced; JSON
 * columns must be text holding an array, read through SQLite's json_each;
 * counts are bounded by common/limits.h; every address and CIDR goes
 * through the ipaddr parsers.  These rows say who an address is (§11,
 * §12): one left out would let a flow to a Service, or from a pod
 * network, be judged with a confident verdict on less than the case
 * holds, so a damaged row stops the reading (exit 2), named, as a
 * damaged endpoint row does (docs/schema.md, "What the analyzer reads").
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
    const unsigned char *t;

    if (sqlite3_column_type(st, i) != SQLITE_TEXT)
        return NULL;
    t = sqlite3_column_text(st, i);
    if (!t || !*t)
        return NULL;
    return arena_memdupz(&c->arena, t, (size_t)sqlite3_column_bytes(st, i));
}

static int sv_fail(struct case_db *c, struct diag *d, const char *what)
{
    diag_err(d, "cannot read %s from '%s': %s", what, c->path, sqlite3_errmsg(c->db));
    return ERR_DB;
}

/* A damaged row: named, and the reading stops (ERR_PARSE). */
static int sv_bad(struct case_db *c, struct diag *d, const char *row, int64_t id, const char *why)
{
    diag_err(d, "'%s': %s %lld: %s", c->path, row, (long long)id, why);
    return ERR_PARSE;
}

/* A protocol name as Kubernetes writes it; NULL (absent): TCP. */
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

/* An integer column (SQLite's type, never text) in lo..hi, else -1. */
static int col_int_in(sqlite3_stmt *st, int i, int lo, int hi)
{
    sqlite3_int64 v;

    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return -1;
    v = sqlite3_column_int64(st, i);
    return v < lo || v > hi ? -1 : (int)v;
}

/* Column i is text of at least one byte. */
static int col_name(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_TEXT && sqlite3_column_bytes(st, i) > 0;
}

static int col_null_or_text(sqlite3_stmt *st, int i)
{
    int t = sqlite3_column_type(st, i);

    return t == SQLITE_NULL || t == SQLITE_TEXT;
}

/* The validity columns i and i + 1: each NULL (open-ended) or an integer,
 * the end not before the start.  0, or -1 when not so. */
static int col_times(sqlite3_stmt *st, int i, int *has_from, int64_t *from, int *has_to,
                     int64_t *to)
{
    int tf = sqlite3_column_type(st, i), tt = sqlite3_column_type(st, i + 1);

    if ((tf != SQLITE_NULL && tf != SQLITE_INTEGER) || (tt != SQLITE_NULL && tt != SQLITE_INTEGER))
        return -1;
    *has_from = tf == SQLITE_INTEGER;
    *from = *has_from ? sqlite3_column_int64(st, i) : 0;
    *has_to = tt == SQLITE_INTEGER;
    *to = *has_to ? sqlite3_column_int64(st, i + 1) : 0;
    return *has_from && *has_to && *to < *from ? -1 : 0;
}

static int valid_at(int has_from, int64_t from, int has_to, int64_t to, int64_t t)
{
    return (!has_from || from <= t) && (!has_to || t < to);
}

/*
 * Column col of row is text holding a JSON array (isarr: SELECT
 * json_valid(?1) AND json_type(?1) = 'array', guarded).  0 or -1.
 */
static int col_json_array(sqlite3_stmt *isarr, sqlite3_stmt *row, int col)
{
    int ok;

    if (sqlite3_column_type(row, col) != SQLITE_TEXT)
        return -1;
    sqlite3_reset(isarr);
    sqlite3_bind_value(isarr, 1, sqlite3_column_value(row, col));
    ok = sqlite3_step(isarr) == SQLITE_ROW && sqlite3_column_int64(isarr, 0) == 1;
    sqlite3_reset(isarr);
    return ok ? 0 : -1;
}

#define SV_ISARR_SQL "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'array' ELSE 0 END"

/* Column col of row must hold a JSON array (col_json_array()): each then
 * reads its elements through each (a json_each statement), bound here.
 * 0 or -1. */
static int json_rows(sqlite3_stmt *isarr, sqlite3_stmt *each, sqlite3_stmt *row, int col)
{
    if (col_json_array(isarr, row, col))
        return -1;
    sqlite3_reset(each);
    sqlite3_bind_value(each, 1, sqlite3_column_value(row, col));
    return 0;
}

/* The arena array arr of *n items (size bytes each) with item appended,
 * in a new array (grown by copying: rows hold a few), *n counting it;
 * NULL past LIM_CASE_SVC_ITEMS. */
static void *sv_append(struct case_db *c, const void *arr, size_t *n, const void *item, size_t size)
{
    unsigned char *nv;

    if (*n >= LIM_CASE_SVC_ITEMS)
        return NULL;
    nv = arena_calloc(&c->arena, *n + 1, size);
    if (*n)
        memcpy(nv, arr, *n * size);
    memcpy(nv + *n * size, item, size);
    (*n)++;
    return nv;
}

/*
 * The addresses of a JSON array (one column of services) appended to
 * *ips (arena, grown by copying: rows hold a few).  NULL, or what is
 * wrong: not an array of address texts, more than LIM_CASE_SVC_ITEMS.
 */
static const char *read_ips(struct case_db *c, sqlite3_stmt *isarr, sqlite3_stmt *arr,
                            sqlite3_stmt *row, int col, struct ipaddr **ips, size_t *n)
{
    int rc;

    if (json_rows(isarr, arr, row, col))
        return "an address list is not text holding a JSON array";
    while ((rc = sqlite3_step(arr)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(arr, 0);
        const char *type = (const char *)sqlite3_column_text(arr, 1);
        struct ipaddr ip, *nv;

        if (!t || !type || strcmp(type, "text") != 0 ||
            ipaddr_parse(t, (size_t)sqlite3_column_bytes(arr, 0), &ip))
            return "an address list holds something that is no address text";
        if (!(nv = sv_append(c, *ips, n, &ip, sizeof(ip))))
            return "more addresses than the analyzer takes";
        *ips = nv;
    }
    return rc == SQLITE_DONE ? NULL : "an address list is not JSON";
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

/* JSON type column i of a port statement: "null" when the key is absent. */
static const char *jtype(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);

    return t ? t : "null";
}

/* A port's name (columns i, i + 1: value, json_type): absent, null or
 * text.  0, or -1. */
static int port_name(struct case_db *c, sqlite3_stmt *pst, int i, const char **name)
{
    const char *t = jtype(pst, i + 1);

    *name = NULL;
    if (!strcmp(t, "null"))
        return 0;
    if (strcmp(t, "text") != 0)
        return -1;
    *name = sv_text(c, pst, i);
    return 0;
}

/* A port's protocol (columns i, i + 1): absent or null (TCP), or TCP, UDP,
 * SCTP.  The protocol number, or -1. */
static int port_proto(sqlite3_stmt *pst, int i)
{
    const char *t = jtype(pst, i + 1);

    if (!strcmp(t, "null"))
        return 6;
    if (strcmp(t, "text") != 0)
        return -1;
    return proto_of((const char *)sqlite3_column_text(pst, i));
}

/* The ports of a Service row (column col): a JSON array of objects
 * {name, port 1..65535, protocol, targetPort (a port or a name, absent:
 * port), nodePort (absent, null or a port)}.  NULL, or what is wrong. */
static const char *read_svc_ports(struct case_db *c, sqlite3_stmt *isarr, sqlite3_stmt *pst,
                                  sqlite3_stmt *row, int col, struct case_svc *s)
{
    int rc;

    if (json_rows(isarr, pst, row, col))
        return "ports are not text holding a JSON array";
    while ((rc = sqlite3_step(pst)) == SQLITE_ROW) {
        struct case_svc_port p, *nv;
        const char *tt = jtype(pst, 7), *nt = jtype(pst, 9);
        int port, np;

        memset(&p, 0, sizeof(p));
        if (strcmp(jtype(pst, 0), "object") != 0)
            return "a port is not a JSON object";
        if (port_name(c, pst, 1, &p.name))
            return "a port's name is not text";
        if (strcmp(jtype(pst, 4), "integer") != 0 || (port = col_int_in(pst, 3, 1, 65535)) < 0)
            return "a port's port is not an integer from 1 to 65535";
        p.port = (uint16_t)port;
        if ((p.proto = port_proto(pst, 5)) < 0)
            return "a port's protocol is not TCP, UDP or SCTP";
        if (!strcmp(tt, "null")) {
            p.target_port = p.port; /* absent: the same as port */
        } else if (!strcmp(tt, "integer") && (np = col_int_in(pst, 8, 1, 65535)) > 0) {
            p.target_port = (uint16_t)np;
        } else if (!strcmp(tt, "text") && sqlite3_column_bytes(pst, 8) > 0) {
            p.target_name = sv_text(c, pst, 8);
        } else {
            return "a port's targetPort is not a port nor a name";
        }
        if (!strcmp(nt, "null"))
            p.node_port = 0;
        else if (!strcmp(nt, "integer") && (np = col_int_in(pst, 10, 1, 65535)) > 0)
            p.node_port = (uint16_t)np;
        else
            return "a port's nodePort is not null nor an integer from 1 to 65535";
        if (!(nv = sv_append(c, s->ports, &s->nports, &p, sizeof(p))))
            return "more ports than the analyzer takes";
        s->ports = nv;
    }
    return rc == SQLITE_DONE ? NULL : "ports are not JSON";
}

static int load_services(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL, *arr = NULL, *pst = NULL, *isarr = NULL;
    struct case_svc *v = NULL;
    size_t alloc = 0;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, namespace, name, type, cluster_ips, external_ips, lb_ips,"
                           " ports, valid_from_ns, valid_to_ns FROM services",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, "SELECT value, type FROM json_each(?1)", -1, &arr, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(c->db, SV_ISARR_SQL, -1, &isarr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "SELECT type, json_extract(value, '$.name'), json_type(value, '$.name'),"
                           " json_extract(value, '$.port'), json_type(value, '$.port'),"
                           " json_extract(value, '$.protocol'), json_type(value, '$.protocol'),"
                           " json_type(value, '$.targetPort'), json_extract(value,"
                           " '$.targetPort'), json_type(value, '$.nodePort'),"
                           " json_extract(value, '$.nodePort') FROM json_each(?1)",
                           -1, &pst, NULL) != SQLITE_OK) {
        ret = sv_fail(c, d, "services");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_svc s;
        const char *why = NULL;

        memset(&s, 0, sizeof(s));
        s.id = sqlite3_column_int64(st, 0);
        if (!col_name(st, 1) || !col_name(st, 2) || sqlite3_column_type(st, 3) != SQLITE_TEXT)
            why = "namespace, name or type is not text";
        else if (col_times(st, 8, &s.has_from, &s.from_ns, &s.has_to, &s.to_ns))
            why = "valid_from_ns and valid_to_ns are not NULL or integers, in order";
        else if (!(why = read_ips(c, isarr, arr, st, 4, &s.ips, &s.nips))) {
            s.ncluster = s.nips;
            if (!(why = read_ips(c, isarr, arr, st, 5, &s.ips, &s.nips)) &&
                !(why = read_ips(c, isarr, arr, st, 6, &s.ips, &s.nips)))
                why = read_svc_ports(c, isarr, pst, st, 7, &s);
        }
        if (why) {
            ret = sv_bad(c, d, "service", s.id, why);
            break;
        }
        s.ns = sv_text(c, st, 1);
        s.name = sv_text(c, st, 2);
        s.type = sv_text(c, st, 3);
        if (!s.type)
            s.type = "ClusterIP"; /* "": Kubernetes' default */
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
    sqlite3_finalize(isarr);
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

/* The ports of an EndpointSlice row (column col): a JSON array of objects
 * {name, port (absent, null: none given; else 0..65535), protocol}.
 * NULL, or what is wrong. */
static const char *read_sep_ports(struct case_db *c, sqlite3_stmt *isarr, sqlite3_stmt *pst,
                                  sqlite3_stmt *row, int col, struct case_sep *e)
{
    int rc;

    if (json_rows(isarr, pst, row, col))
        return "ports are not text holding a JSON array";
    while ((rc = sqlite3_step(pst)) == SQLITE_ROW) {
        struct case_port p, *nv;
        const char *pt = jtype(pst, 4);
        int port = 0;

        memset(&p, 0, sizeof(p));
        if (strcmp(jtype(pst, 0), "object") != 0)
            return "a port is not a JSON object";
        if (port_name(c, pst, 1, &p.name))
            return "a port's name is not text";
        if (strcmp(pt, "null") != 0 &&
            (strcmp(pt, "integer") != 0 || (port = col_int_in(pst, 3, 0, 65535)) < 0))
            return "a port's port is not null nor an integer from 0 to 65535";
        p.port = (uint16_t)port;
        if ((p.proto = port_proto(pst, 5)) < 0)
            return "a port's protocol is not TCP, UDP or SCTP";
        if (!(nv = sv_append(c, e->ports, &e->nports, &p, sizeof(p))))
            return "more ports than the analyzer takes";
        e->ports = nv;
    }
    return rc == SQLITE_DONE ? NULL : "ports are not JSON";
}

static int load_seps(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL, *pst = NULL, *isarr = NULL;
    struct case_sep *v = NULL;
    size_t alloc = 0;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, namespace, service, slice, ip, ready, node, target_kind,"
                           " target_namespace, target_name, ports, valid_from_ns, valid_to_ns"
                           " FROM service_endpoints",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, SV_ISARR_SQL, -1, &isarr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "SELECT type, json_extract(value, '$.name'), json_type(value, '$.name'),"
                           " json_extract(value, '$.port'), json_type(value, '$.port'),"
                           " json_extract(value, '$.protocol'), json_type(value, '$.protocol')"
                           " FROM json_each(?1)",
                           -1, &pst, NULL) != SQLITE_OK) {
        ret = sv_fail(c, d, "service endpoints");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_sep e;
        const char *why = NULL;
        int ready = col_int_in(st, 5, 0, 1);

        memset(&e, 0, sizeof(e));
        e.id = sqlite3_column_int64(st, 0);
        if (!col_name(st, 1) || !col_name(st, 3))
            why = "namespace or slice is not text";
        else if (!col_null_or_text(st, 2) || !col_null_or_text(st, 6) || !col_null_or_text(st, 7) ||
                 !col_null_or_text(st, 8) || !col_null_or_text(st, 9))
            why = "a name (service, node, target) is not NULL or text";
        else if (sqlite3_column_type(st, 4) != SQLITE_TEXT ||
                 ipaddr_parse((const char *)sqlite3_column_text(st, 4),
                              (size_t)sqlite3_column_bytes(st, 4), &e.ip))
            why = "ip is not IPv4 or IPv6 address text";
        else if (ready < 0)
            why = "ready is not the integer 0 or 1";
        else if (col_times(st, 11, &e.has_from, &e.from_ns, &e.has_to, &e.to_ns))
            why = "valid_from_ns and valid_to_ns are not NULL or integers, in order";
        else
            why = read_sep_ports(c, isarr, pst, st, 10, &e);
        if (why) {
            ret = sv_bad(c, d, "service endpoint", e.id, why);
            break;
        }
        e.ns = sv_text(c, st, 1);
        e.service = sv_text(c, st, 2);
        e.slice = sv_text(c, st, 3);
        e.ready = ready;
        e.node = sv_text(c, st, 6);
        e.target_kind = sv_text(c, st, 7);
        e.target_ns = sv_text(c, st, 8);
        e.target_name = sv_text(c, st, 9);
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
    sqlite3_finalize(isarr);
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
    int rc, ret = 0;

    if (sqlite3_prepare_v2(c->db, "SELECT id, cidr, node, source FROM pod_networks", -1, &st,
                           NULL) != SQLITE_OK)
        return sv_fail(c, d, "pod networks");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_podnet p;
        int64_t id = sqlite3_column_int64(st, 0);

        memset(&p, 0, sizeof(p));
        if (sqlite3_column_type(st, 1) != SQLITE_TEXT ||
            cidr_parse((const char *)sqlite3_column_text(st, 1),
                       (size_t)sqlite3_column_bytes(st, 1), &p.net, NULL)) {
            ret = sv_bad(c, d, "pod network", id, "cidr is not a CIDR in text");
            break;
        }
        if (!col_null_or_text(st, 2) || sqlite3_column_type(st, 3) != SQLITE_TEXT) {
            ret = sv_bad(c, d, "pod network", id, "node is not NULL or text, or source not text");
            break;
        }
        if (c->npodnets >= LIM_CASE_SVC_ROWS) {
            diag_err(d, "'%s': more than %u pod networks", c->path, LIM_CASE_SVC_ROWS);
            ret = ERR_LIMIT;
            break;
        }
        p.node = sv_text(c, st, 2);
        p.source = sv_text(c, st, 3);
        if (!p.source)
            p.source = "";
        ALLOC_GROW(v, c->npodnets + 1, alloc);
        v[c->npodnets++] = p;
    }
    sqlite3_finalize(st);
    if (!ret && rc != SQLITE_DONE)
        ret = sv_fail(c, d, "pod networks");
    if (ret) {
        free(v);
        c->npodnets = 0;
        return ret;
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
