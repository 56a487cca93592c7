/*
 * case.c: read a case .db for the analyzer.
 *
 * Endpoints are loaded whole and sorted by address and then by the
 * identity rule of schema.sql (latest valid_from_ns first, pods before
 * hosts before services before external, lowest id), so that the first
 * row of an address whose validity covers a time is the identity at that
 * time.  An open-addressing table maps an address to its first row, which
 * keeps the per-flow lookup at a hash and a short scan.
 *
 * Nothing in the file is trusted: every text is bounded by SQLite, labels
 * go through labels_from_json() with its limits, ports through json_each
 * with range checks, and a row that does not make sense is reported with
 * its table and id.
 */
#include "analyze/case.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/case_int.h"
#include "analyze/engine.h"
#include "common/db.h"
#include "common/err.h"
#include "common/limits.h"
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
    /* Two words and the family, multiplied and folded: twice per flow. */
    uint64_t w0, w1, h;

    memcpy(&w0, ip->a, 8);
    memcpy(&w1, ip->a + 8, 8);
    h = (w0 ^ ((uint64_t)ip->family << 56)) * 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 29) ^ w1) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
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

    if (sqlite3_prepare_v2(c->db, "SELECT name, labels FROM namespaces", -1, &st, NULL) != SQLITE_OK)
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
        if (ep->nports >= 1024) {
            diag_warn(d, "'%s': endpoint %lld: more than 1024 ports, the rest ignored", c->path,
                      (long long)ep->id);
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

    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, ip, valid_from_ns, valid_to_ns, kind, namespace, name,"
                           " workload_kind, workload, labels, service_account, node FROM endpoints",
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
        if (eng_calico_labels(ep, ep->ns ? case_ns_find(c, ep->ns) : NULL, &ep->calico)) {
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
    /* Address index: a table at most half full. */
    c->ipidx_size = 16;
    while (c->ipidx_size < c->neps * 2)
        c->ipidx_size *= 2;
    c->ipidx = xcalloc(c->ipidx_size, sizeof(*c->ipidx));
    for (i = 0; i < c->neps; i++) {
        size_t h;

        if (i && ipaddr_cmp(&c->eps[i - 1].ip, &c->eps[i].ip) == 0)
            continue;
        h = (size_t)ip_hash(&c->eps[i].ip) & (c->ipidx_size - 1);
        while (c->ipidx[h])
            h = (h + 1) & (c->ipidx_size - 1);
        c->ipidx[h] = (uint32_t)(i + 1);
    }
    return 0;
}

static int has_column(sqlite3 *db, const char *table, const char *col)
{
    sqlite3_stmt *st = NULL;
    int found = 0;

    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1)", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (!found && sqlite3_step(st) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);

        found = n && strcmp(n, col) == 0;
    }
    sqlite3_finalize(st);
    return found;
}

int case_open(struct case_db *c, const char *path, struct diag *d)
{
    int rc;

    memset(c, 0, sizeof(*c));
    arena_init(&c->arena, 0);
    c->path = arena_strdup(&c->arena, path);
    rc = db_open_reader(path, d, &c->db);
    if (rc) {
        arena_release(&c->arena);
        memset(c, 0, sizeof(*c));
        return rc;
    }
    c->has_dnat = has_column(c->db, "flows", "dnat_ip") && has_column(c->db, "flows", "dnat_port");
    rc = load_namespaces(c, d);
    if (!rc)
        rc = load_endpoints(c, d);
    if (rc)
        case_close(c);
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
    free(c->ipidx);
    free(c->keys);
    free(c->memo);
    if (c->db)
        db_close(&c->db, NULL);
    arena_release(&c->arena);
    memset(c, 0, sizeof(*c));
}

static int ip_eq(const struct ipaddr *x, const struct ipaddr *y);

/* The first endpoint row of ip (index + 1), or 0 when no row has it. */
static uint32_t first_row(const struct case_db *c, const struct ipaddr *ip)
{
    size_t h;

    if (!c->neps)
        return 0;
    h = (size_t)ip_hash(ip) & (c->ipidx_size - 1);
    while (c->ipidx[h]) {
        uint32_t i = c->ipidx[h] - 1;

        if (ip_eq(&c->keys[i].ip, ip))
            return i + 1;
        h = (h + 1) & (c->ipidx_size - 1);
    }
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

static uint64_t text_hash(const char *t, size_t len)
{
    uint64_t w[3] = {0, 0, 0}, h;

    memcpy(w, t, len); /* len <= CASE_MEMO_TEXT < sizeof(w) */
    h = (w[0] ^ len) * 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 29) ^ w[1]) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 31) ^ w[2]) * 0x94d049bb133111ebull;
    return h ^ (h >> 32);
}

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
    size_t len = (size_t)sqlite3_column_bytes(st, i), k;
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
    h = text_hash(t, len);
    k = (size_t)h & (c->memo_size - 1);
    for (m = &c->memo[k]; m->len; m = &c->memo[k]) {
        if (m->hash == h && m->len == len && memcmp(m->text, t, len) == 0) {
            *ip = m->ip;
            *first = m->first;
            return 0;
        }
        k = (k + 1) & (c->memo_size - 1);
    }
    rc = fast_v4(t, len, ip);
    if (rc)
        rc = ipaddr_parse(t, len, ip);
    if (rc)
        return rc;
    *first = first_row(c, ip);
    /* An empty slot was found: fill it while the table is at most half
     * full (the probe above always ends on an empty slot). */
    if ((c->memo_used + 1) * 2 <= c->memo_size) {
        m->hash = h;
        m->len = (uint8_t)len;
        memcpy(m->text, t, len);
        m->ip = *ip;
        m->first = *first;
        c->memo_used++;
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
    int rc, ret = 0;

    snprintf(sql, sizeof(sql),
             "SELECT id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,"
             " packets_fwd, packets_rev, bytes_fwd, bytes_rev, state, icmp_type, icmp_code,"
             " icmp_count, %s FROM flows WHERE last_ns >= ?1 AND first_ns <= ?2",
             c->has_dnat ? "dnat_ip, dnat_port" : "NULL, NULL");
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "flows");
    if (!c->memo) {
        /* Room for the endpoints' addresses and as many others, within
         * the limit. */
        c->memo_size = 1024;
        while (c->memo_size < 4 * c->neps && c->memo_size < 2 * LIM_CASE_ADDR_MEMO)
            c->memo_size *= 2;
        c->memo = xcalloc(c->memo_size, sizeof(*c->memo));
        c->memo_used = 0;
    }
    sqlite3_bind_int64(st, 1, f && f->has_since ? f->since_ns : INT64_MIN);
    sqlite3_bind_int64(st, 2, f && f->has_until ? f->until_ns : INT64_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_flow fl;
        sqlite3_int64 proto = sqlite3_column_int64(st, 2);
        uint32_t sfirst = 0, dfirst = 0;

        memset(&fl, 0, sizeof(fl));
        fl.id = sqlite3_column_int64(st, 0);
        if (proto < 0 || proto > 255 || col_ip_row(c, st, 3, &fl.src_ip, &sfirst) ||
            col_ip_row(c, st, 5, &fl.dst_ip, &dfirst) ||
            col_port(st, 4, &fl.src_port) || col_port(st, 6, &fl.dst_port)) {
            if (bad++ < 10)
                diag_warn(d, "'%s': flow %lld: bad protocol, address or port, row skipped",
                          c->path, (long long)fl.id);
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
