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
 * with range checks, and every column used is checked by SQLite type and
 * range before it is read (never sqlite3_column_int64() of a text).  A
 * flow, capture or interface row that fails is left out and counted by
 * reason (case.h, struct case_bad): flowrow.c's frow_read() checks a
 * flows row alike for every reader (the scan, the pairing, the count
 * case_check_flows() makes before a streamed output), so what one leaves
 * out no other sees.  An endpoint or namespace whose identity data is
 * damaged stops the reading, named by table and id.
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
#include "common/util.h"
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

static int strcmp_null(const char *a, const char *b)
{
    return !a || !b ? (a != NULL) - (b != NULL) : strcmp(a, b);
}

static int ns_cmp(const void *x, const void *y)
{
    const struct case_ns *a = x, *b = y;

    return strcmp(a->name, b->name);
}

static int db_fail(struct case_db *c, struct diag *d, const char *what)
{
    diag_err(d, "cannot read %s from '%s': %s", what, c->path, sqlite3_errmsg(c->db));
    return ERR_DB;
}

/* ---- rows the reader cannot use (case.h, struct case_bad) ------------- */

static const char *const case_tab_names[CASE_TAB_N] = {"flows",    "endpoints",  "namespaces",
                                                       "captures", "interfaces", "sockets"};
static const char *const case_tab_row[CASE_TAB_N] = {"flow",    "endpoint",  "namespace",
                                                     "capture", "interface", "socket"};
static const char *const case_why_names[CASE_WHY_N] = {
    "capture_id", "proto", "address", "port", "time", "counter", "state",
    "icmp",       "dnat",  "iface",   "name", "open", "process"};
static const char *const case_why_text[CASE_WHY_N] = {
    "capture_id is not an integer",
    "proto is not an integer from 0 to 255",
    "an address is not IPv4 or IPv6 address text",
    "a port is not an integer from 0 to 65535",
    "a time is not an integer, or the end is before the start",
    "a packet, byte or ICMP count is not an integer >= 0",
    "state is not one of Zeek's conn_state words",
    "icmp_type or icmp_code is not NULL or 0..255, or icmp_id not NULL or an integer",
    "dnat_ip and dnat_port are neither both NULL nor an address and a port",
    "iface is not NULL or an integer",
    "a name is not text",
    "open is not 0 or 1",
    "pid is not NULL or 1..2147483647, or processes not an integer >= 0",
};

const char *case_table_name(enum case_table t)
{
    return (unsigned)t < CASE_TAB_N ? case_tab_names[t] : "?";
}

const char *case_why_name(enum case_why w)
{
    return (unsigned)w < CASE_WHY_N ? case_why_names[w] : "?";
}

int case_bad_text(const struct case_bad *b, struct buf *out)
{
    int rc = 0, first = 1;

    if (!b->total)
        return 0;
    rc = buf_addf(out, "%" PRIu64 " row%s left out as unusable:", b->total,
                  b->total == 1 ? "" : "s");
    for (size_t t = 0; t < CASE_TAB_N && !rc; t++) {
        uint64_t sum = 0;
        int inner = 1;

        for (size_t w = 0; w < CASE_WHY_N; w++)
            sum += b->n[t][w];
        if (!sum)
            continue;
        rc = buf_addf(out, "%s %s %" PRIu64 " (", first ? "" : ",", case_tab_names[t], sum);
        first = 0;
        for (size_t w = 0; w < CASE_WHY_N && !rc; w++) {
            if (!b->n[t][w])
                continue;
            rc = buf_addf(out, "%s%s %" PRIu64, inner ? "" : ", ", case_why_names[w], b->n[t][w]);
            inner = 0;
        }
        if (!rc)
            rc = buf_addch(out, ')');
    }
    return rc;
}

static int id_cmp(const void *x, const void *y)
{
    const int64_t *a = x, *b = y;

    return *a < *b ? -1 : *a > *b;
}

int case_bad_summary(const struct case_db *c, struct buf *out)
{
    int rc = 0, first = 1;

    for (size_t i = 0; i < c->nfiles && !rc; i++) {
        if (!c->files[i].bad.total)
            continue;
        rc = buf_addf(out, "%s'%s': ", first ? "" : "; ", c->files[i].path);
        if (!rc)
            rc = case_bad_text(&c->files[i].bad, out);
        first = 0;
    }
    return rc;
}

/* Say what was left out (a warning), or refuse it (strict: ERR_INVALID). */
static int case_bad_report(const struct case_db *c, struct diag *d);

/*
 * Every row of the case has now been looked at: sort what was left out
 * (for bsearch), and say it once, or refuse it (strict).
 */
static int case_counted(struct case_db *c, struct diag *d)
{
    c->counted = 1;
    for (size_t t = 0; t < CASE_TAB_N; t++)
        if (c->nbad_ids[t])
            qsort(c->bad_ids[t], c->nbad_ids[t], sizeof(int64_t), id_cmp);
    if (c->nfiles == 1)
        c->files[0].bad = c->bad;
    return case_bad_report(c, d);
}

static int case_bad_report(const struct case_db *c, struct diag *d)
{
    struct buf b;
    int rc = 0;

    if (!c->bad.total)
        return 0;
    buf_init(&b, 0);
    if (case_bad_summary(c, &b))
        rc = ERR_LIMIT;
    else if (c->opts.strict) {
        diag_err(d, "%s (--strict)", b.data);
        rc = ERR_INVALID;
    } else {
        diag_warn(d, "%s", b.data);
    }
    buf_release(&b);
    return rc;
}

/* Leave row id of table t out for reason w: count it, remember it (for
 * pairing and merging), name the first few on d.  0, or ERR_LIMIT past
 * LIM_CASE_BAD_ROWS. */
static int case_bad_row(struct case_db *c, enum case_table t, enum case_why w, int64_t id,
                        struct diag *d)
{
    if (c->bad.total >= LIM_CASE_BAD_ROWS) {
        diag_err(d, "'%s': more than %u rows cannot be used: not a usable case", c->path,
                 LIM_CASE_BAD_ROWS);
        return ERR_LIMIT;
    }
    c->bad.n[t][w]++;
    c->bad.total++;
    ALLOC_GROW(c->bad_ids[t], c->nbad_ids[t] + 1, c->bad_alloc[t]);
    c->bad_ids[t][c->nbad_ids[t]++] = id;
    if (c->bad.total <= CASE_BAD_SHOWN)
        diag_warn(d, "'%s': %s %lld: %s: left out", c->path, case_tab_row[t], (long long)id,
                  case_why_text[w]);
    return 0;
}

/* Column i is an integer (SQLite's type: never text read as a number). */
static int col_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_INTEGER;
}

/* Column i is NULL or text (a name, for instance). */
static int col_null_or_text(sqlite3_stmt *st, int i)
{
    int t = sqlite3_column_type(st, i);

    return t == SQLITE_NULL || t == SQLITE_TEXT;
}

/* A text column's value (arena), NULL when NULL; the caller has checked
 * col_null_or_text(). */
static const char *col_text(struct case_db *c, sqlite3_stmt *st, int i)
{
    const unsigned char *t;

    if (sqlite3_column_type(st, i) != SQLITE_TEXT)
        return NULL;
    t = sqlite3_column_text(st, i);
    return t ? arena_memdupz(&c->arena, t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

static int load_namespaces(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    size_t alloc = 0;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(c->db, "SELECT rowid, name, labels FROM namespaces", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(c, d, "namespaces");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_ns *ns;
        const char *js = (const char *)sqlite3_column_text(st, 2);
        int lrc;

        /* Without a name no pod joins it: left out.  Its labels, though,
         * are what namespaceSelectors see: damaged, they stop us. */
        if (sqlite3_column_type(st, 1) != SQLITE_TEXT) {
            ret =
                case_bad_row(c, CASE_TAB_NAMESPACES, CASE_WHY_NAME, sqlite3_column_int64(st, 0), d);
            if (ret)
                break;
            continue;
        }
        ALLOC_GROW(c->nss, c->nnss + 1, alloc);
        ns = &c->nss[c->nnss];
        ns->name = col_text(c, st, 1);
        if (sqlite3_column_type(st, 2) != SQLITE_TEXT) {
            diag_err(d, "'%s': namespace '%s': labels are not JSON text", c->path, ns->name);
            ret = ERR_PARSE;
            break;
        }
        lrc = labels_from_json(&ns->labels, js, (size_t)sqlite3_column_bytes(st, 2));
        if (lrc) {
            diag_err(d, "'%s': namespace '%s': bad labels: %s", c->path, ns->name, err_str(lrc));
            ret = lrc;
            break;
        }
        /* Kubernetes sets kubernetes.io/metadata.name on every namespace. */
        if (!labels_get(&ns->labels, "kubernetes.io/metadata.name") &&
            labels_set(&ns->labels, "kubernetes.io/metadata.name", ns->name)) {
            labels_release(&ns->labels);
            ret = ERR_LIMIT;
            break;
        }
        c->nnss++;
    }
    sqlite3_finalize(st);
    if (ret)
        return ret;
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
 * Only named ports with a usable number matter to policy (§3.2).  ?1: the
 * endpoint's ports text. */
static const char ports_sql[] =
    "SELECT json_extract(value, '$.name'), json_extract(value, '$.port'),"
    " json_extract(value, '$.protocol') FROM json_each(?1) WHERE json_type(value) = 'object'";

/*
 * Texts read so far, each with what reading it gave (an endpoint's named
 * ports, its labels).  The pods of one workload share their texts, and
 * reading one costs thousands of instructions (json_each() with three
 * json_extract()s some 10,000 an endpoint): a text read once serves every
 * endpoint that has it (the bench's 5,000 pods have 50 of each).
 */
struct text_memo {
    struct arena a;  /* the texts, owned */
    struct htab idx; /* hash_bytes() of a text -> its entry in v */
    struct text_seen {
        const char *text; /* in a */
        size_t len;       /* its bytes */
        void *p;          /* ports: the array (c's arena), shared by the endpoints */
        size_t n;         /* ports: their count */
        size_t owner;     /* labels: the endpoint (index in c->eps) that owns them */
        int full;         /* ports: more than LIM_ENDPOINT_PORTS, warned at each endpoint */
    } * v;                /* malloc'd, owned */
    size_t n, alloc;
};

static void text_memo_init(struct text_memo *m)
{
    memset(m, 0, sizeof(*m));
    arena_init(&m->a, 0);
}

static void text_memo_release(struct text_memo *m)
{
    arena_release(&m->a);
    htab_release(&m->idx);
    free(m->v);
}

/* The entry of text[0..len) (h: its hash_bytes()), or NULL. */
static struct text_seen *text_memo_find(struct text_memo *m, const char *text, size_t len,
                                        uint64_t h)
{
    struct htab_iter it;

    for (uint32_t i = htab_first(&m->idx, h, &it); i != HTAB_NONE; i = htab_next(&m->idx, &it))
        if (m->v[i].len == len && memcmp(m->v[i].text, text, len) == 0)
            return &m->v[i];
    return NULL;
}

/* A new entry for text[0..len) (copied), its payload zero. */
static struct text_seen *text_memo_add(struct text_memo *m, const char *text, size_t len,
                                       uint64_t h)
{
    struct text_seen *seen;

    ALLOC_GROW(m->v, m->n + 1, m->alloc);
    seen = &m->v[m->n];
    memset(seen, 0, sizeof(*seen));
    seen->text = arena_memdupz(&m->a, text, len);
    seen->len = len;
    htab_add(&m->idx, h, (uint32_t)m->n++);
    return seen;
}

struct ports_memo {
    sqlite3_stmt *st;    /* ports_sql, owned */
    struct text_memo tm; /* the ports texts read */
};

static void ports_full_warn(struct case_db *c, const struct case_ep *ep, struct diag *d)
{
    diag_warn(d, "'%s': endpoint %lld: more than %d ports, the rest ignored", c->path,
              (long long)ep->id, LIM_ENDPOINT_PORTS);
}

/* ep's named ports, from text[0..len) (its ports column, JSON text). */
static int load_ports(struct case_db *c, struct ports_memo *m, struct case_ep *ep, const char *text,
                      size_t len, struct diag *d)
{
    uint64_t h = hash_bytes(text, len, 0);
    struct text_seen *seen = text_memo_find(&m->tm, text, len, h);
    size_t alloc = 0;
    int rc, full = 0;

    if (seen) {
        ep->ports = seen->p;
        ep->nports = seen->n;
        if (seen->full)
            ports_full_warn(c, ep, d);
        return 0;
    }
    sqlite3_reset(m->st);
    sqlite3_bind_text(m->st, 1, text, (int)len, SQLITE_STATIC);
    while ((rc = sqlite3_step(m->st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(m->st, 0);
        sqlite3_int64 port = sqlite3_column_int64(m->st, 1);
        int proto = proto_from_name((const char *)sqlite3_column_text(m->st, 2));
        struct case_port *p;

        if (!name || !*name || sqlite3_column_type(m->st, 1) != SQLITE_INTEGER || port < 1 ||
            port > 65535 || proto < 0)
            continue;
        if (ep->nports >= LIM_ENDPOINT_PORTS) {
            ports_full_warn(c, ep, d);
            full = 1;
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
    /* The text is bound in place: unbound before the caller's next step. */
    sqlite3_reset(m->st);
    sqlite3_clear_bindings(m->st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        diag_err(d, "'%s': endpoint %lld: bad ports: %s", c->path, (long long)ep->id,
                 sqlite3_errmsg(c->db));
        return ERR_PARSE;
    }
    seen = text_memo_add(&m->tm, text, len, h);
    seen->p = ep->ports;
    seen->n = ep->nports;
    seen->full = full;
    return 0;
}

/* What case_calico_labels() reads of a pod: its labels, its namespace's
 * name and its service account (NULL and "" differ: a NULL namespace is
 * looked up as none). */
static uint64_t calico_inputs_hash(const struct case_ep *ep)
{
    uint64_t h = hash_u64((uint64_t) !!ep->ns << 1 | (uint64_t) !!ep->sa, 0);

    if (ep->ns)
        h = hash_str(ep->ns, h);
    if (ep->sa)
        h = hash_str(ep->sa, h);
    return labels_hash(&ep->labels, h);
}

static int calico_inputs_same(const struct case_ep *x, const struct case_ep *y)
{
    return strcmp_null(x->ns, y->ns) == 0 && strcmp_null(x->sa, y->sa) == 0 &&
           (x->labels.v == y->labels.v || labels_cmp(&x->labels, &y->labels) == 0);
}

static int load_endpoints(struct case_db *c, struct diag *d)
{
    struct htab cmemo = {0};
    struct ports_memo pm = {0};
    struct text_memo lm;
    sqlite3_stmt *st = NULL;
    size_t alloc = 0, i;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(
            c->db,
            "SELECT id, ip, valid_from_ns, valid_to_ns, kind, namespace, name,"
            " workload_kind, workload, labels, service_account, node, iface, ports FROM endpoints",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "endpoints");
    if (sqlite3_prepare_v2(c->db, ports_sql, -1, &pm.st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(c, d, "endpoint ports");
    }
    text_memo_init(&pm.tm);
    text_memo_init(&lm);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_ep *ep;
        const char *ip = (const char *)sqlite3_column_text(st, 1);
        const char *kind = (const char *)sqlite3_column_text(st, 4);
        const char *js = (const char *)sqlite3_column_text(st, 9);
        const char *ports = (const char *)sqlite3_column_text(st, 13);
        int64_t id = sqlite3_column_int64(st, 0);
        const char *why = NULL;
        struct text_seen *seen;
        size_t jlen;
        uint64_t h;
        int lrc;

        /* An address that is no address matches no flow: left out. */
        if (sqlite3_column_type(st, 1) != SQLITE_TEXT || !ip) {
            ret = case_bad_row(c, CASE_TAB_ENDPOINTS, CASE_WHY_ADDRESS, id, d);
            if (ret)
                break;
            continue;
        }
        ALLOC_GROW(c->eps, c->neps + 1, alloc);
        ep = &c->eps[c->neps];
        memset(ep, 0, sizeof(*ep));
        ep->id = id;
        if (ipaddr_parse(ip, (size_t)sqlite3_column_bytes(st, 1), &ep->ip)) {
            ret = case_bad_row(c, CASE_TAB_ENDPOINTS, CASE_WHY_ADDRESS, id, d);
            if (ret)
                break;
            continue;
        }
        /* The rest says who the address is: damaged, it stops the reading
         * (left out, a pod would be judged as a stranger). */
        if (sqlite3_column_type(st, 4) != SQLITE_TEXT || ep_kind_parse(kind, &ep->kind))
            why = "kind is not pod, host, service or external";
        else if (!(sqlite3_column_type(st, 2) == SQLITE_NULL || col_int(st, 2)) ||
                 !(sqlite3_column_type(st, 3) == SQLITE_NULL || col_int(st, 3)) ||
                 (col_int(st, 2) && col_int(st, 3) &&
                  sqlite3_column_int64(st, 3) < sqlite3_column_int64(st, 2)))
            why = "valid_from_ns and valid_to_ns are not NULL or integers, in order";
        else if (!col_null_or_text(st, 5) || !col_null_or_text(st, 6) || !col_null_or_text(st, 7) ||
                 !col_null_or_text(st, 8) || !col_null_or_text(st, 10) ||
                 !col_null_or_text(st, 11) || !col_null_or_text(st, 12))
            why = "a name (namespace, name, workload, service account, node, iface) is not text";
        else if (sqlite3_column_type(st, 9) != SQLITE_TEXT)
            why = "labels are not JSON text";
        else if (sqlite3_column_type(st, 13) != SQLITE_TEXT)
            why = "ports are not JSON text";
        if (why) {
            diag_err(d, "'%s': endpoint %lld (%s): %s", c->path, (long long)id, ip, why);
            ret = ERR_PARSE;
            break;
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
        /* Labels read once per text, lent to the endpoints with the same
         * text (a text that does not parse stops the reading here). */
        if (!js)
            js = "";
        jlen = (size_t)sqlite3_column_bytes(st, 9);
        h = hash_bytes(js, jlen, 0);
        seen = text_memo_find(&lm, js, jlen, h);
        if (seen) {
            ep->labels = c->eps[seen->owner].labels;
            ep->labels_borrowed = 1;
        } else {
            lrc = labels_from_json(&ep->labels, js, jlen);
            if (lrc) {
                diag_err(d, "'%s': endpoint %lld (%s): bad labels: %s", c->path, (long long)id, ip,
                         err_str(lrc));
                ret = lrc;
                break;
            }
            text_memo_add(&lm, js, jlen, h)->owner = c->neps;
        }
        labels_init(&ep->calico);
        c->neps++;
        lrc = load_ports(c, &pm, ep, ports ? ports : "", (size_t)sqlite3_column_bytes(st, 13), d);
        if (lrc) {
            ret = lrc;
            break;
        }
    }
    if (!ret && rc != SQLITE_DONE)
        ret = db_fail(c, d, "endpoints");
    sqlite3_finalize(st);
    sqlite3_finalize(pm.st);
    text_memo_release(&pm.tm);
    text_memo_release(&lm);
    if (ret)
        return ret;

    for (i = 0; i < c->neps; i++) {
        struct case_ep *ep = &c->eps[i];
        struct htab_iter it;
        uint32_t j;
        uint64_t h;

        /* §11: a named pod or Service is an identity; a pod netlink saw
         * behind an interface (no name) is not. */
        if ((ep->kind == EP_POD || ep->kind == EP_SERVICE) && ep->name)
            c->has_identities = 1;
        if (ep->kind != EP_POD)
            continue;
        /* The pods of a workload have the same labels, namespace and
         * service account, so the same Calico labels: built once, lent
         * to the others (the bench's 5,000 pods have 50 such sets). */
        h = calico_inputs_hash(ep);
        for (j = htab_first(&cmemo, h, &it); j != HTAB_NONE; j = htab_next(&cmemo, &it))
            if (calico_inputs_same(&c->eps[j], ep))
                break;
        if (j != HTAB_NONE) {
            ep->calico = c->eps[j].calico;
            ep->calico_borrowed = 1;
            continue;
        }
        if (case_calico_labels(ep, ep->ns ? case_ns_find(c, ep->ns) : NULL, &ep->calico)) {
            diag_err(d, "'%s': endpoint %lld: too many labels", c->path, (long long)ep->id);
            htab_release(&cmemo);
            return ERR_LIMIT;
        }
        htab_add(&cmemo, h, (uint32_t)i);
    }
    htab_release(&cmemo);
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
        int64_t id = sqlite3_column_int64(st, 0);
        int bad = -1;

        /* A capture says where and when its flows were seen: a damaged
         * one is left out (its flows lose their node, not their verdict). */
        if (!col_null_or_text(st, 1))
            bad = CASE_WHY_NAME;
        else if (!col_int(st, 2) ||
                 !(sqlite3_column_type(st, 3) == SQLITE_NULL || col_int(st, 3)) ||
                 (col_int(st, 3) && sqlite3_column_int64(st, 3) < sqlite3_column_int64(st, 2)))
            bad = CASE_WHY_TIME;
        if (bad >= 0) {
            if (case_bad_row(c, CASE_TAB_CAPTURES, (enum case_why)bad, id, d)) {
                rc = SQLITE_ERROR;
                break;
            }
            continue;
        }
        ALLOC_GROW(caps, c->ncaps + 1, alloc);
        cp = &caps[c->ncaps++];
        cp->id = id;
        cp->node = col_text(c, st, 1);
        cp->started_ns = sqlite3_column_int64(st, 2);
        cp->has_end = sqlite3_column_type(st, 3) != SQLITE_NULL;
        cp->ended_ns = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ERROR) {
        free(caps);
        c->ncaps = 0;
        return ERR_LIMIT;
    }
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
        int64_t id = sqlite3_column_int64(st, 0);
        int bad = !col_int(st, 1)                             ? CASE_WHY_CAPTURE
                  : sqlite3_column_type(st, 2) != SQLITE_TEXT ? CASE_WHY_NAME
                                                              : -1;

        if (bad >= 0) {
            if (case_bad_row(c, CASE_TAB_INTERFACES, (enum case_why)bad, id, d)) {
                rc = SQLITE_ERROR;
                break;
            }
            continue;
        }
        ALLOC_GROW(ifs, c->nifaces + 1, alloc);
        ifc = &ifs[c->nifaces++];
        ifc->id = id;
        ifc->capture_id = sqlite3_column_int64(st, 1);
        ifc->name = col_text(c, st, 2);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ERROR) {
        free(ifs);
        c->nifaces = 0;
        return ERR_LIMIT;
    }
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

static int sock_cmp(const void *x, const void *y)
{
    const struct case_sock *a = x, *b = y;

    if (a->proto != b->proto)
        return a->proto < b->proto ? -1 : 1;
    if (a->lport != b->lport)
        return a->lport < b->lport ? -1 : 1;
    return a->proc.id < b->proc.id ? -1 : a->proc.id > b->proc.id;
}

/* Column i is NULL or an integer in lo..hi (SQLite's type). */
static int col_null_or_int_in(sqlite3_stmt *st, int i, int64_t lo, int64_t hi)
{
    int64_t v;

    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return 1;
    if (!col_int(st, i))
        return 0;
    v = sqlite3_column_int64(st, i);
    return v >= lo && v <= hi;
}

/*
 * A sockets row (format 3) checked column by column, as frow_read() checks
 * a flow: -1 when usable (k filled but for the names), else the first
 * reason (enum case_why) it is not.  Columns: id, proto, local_ip,
 * local_port, remote_ip, remote_port, pid, processes, comm, container,
 * cgroup, valid_from_ns, valid_to_ns.
 */
static int sock_read(sqlite3_stmt *st, struct case_sock *k)
{
    int rt = sqlite3_column_type(st, 4), rpt = sqlite3_column_type(st, 5);

    memset(k, 0, sizeof(*k));
    if (!col_int(st, 1) || !col_null_or_int_in(st, 1, 0, 255))
        return CASE_WHY_PROTO;
    if (sqlite3_column_type(st, 2) != SQLITE_TEXT || frow_ip(st, 2, &k->local))
        return CASE_WHY_ADDRESS;
    if (frow_port(st, 3, &k->lport))
        return CASE_WHY_PORT;
    /* Connected: a peer address and port; else neither. */
    k->connected = rt != SQLITE_NULL || rpt != SQLITE_NULL;
    if (k->connected && (rt != SQLITE_TEXT || frow_ip(st, 4, &k->remote)))
        return CASE_WHY_ADDRESS;
    if (k->connected && frow_port(st, 5, &k->rport))
        return CASE_WHY_PORT;
    if (!col_null_or_int_in(st, 6, 1, INT32_MAX) || !col_int(st, 7) ||
        sqlite3_column_int64(st, 7) < 0)
        return CASE_WHY_PROCESS;
    if (!col_null_or_text(st, 8) || !col_null_or_text(st, 9) || !col_null_or_text(st, 10))
        return CASE_WHY_NAME;
    if (!col_null_or_int_in(st, 11, INT64_MIN, INT64_MAX) ||
        !col_null_or_int_in(st, 12, INT64_MIN, INT64_MAX) ||
        (col_int(st, 11) && col_int(st, 12) &&
         sqlite3_column_int64(st, 12) < sqlite3_column_int64(st, 11)))
        return CASE_WHY_TIME;
    k->proto = (uint8_t)sqlite3_column_int64(st, 1);
    k->proc.id = sqlite3_column_int64(st, 0);
    k->proc.has_pid = col_int(st, 6);
    k->proc.pid = k->proc.has_pid ? sqlite3_column_int64(st, 6) : 0;
    k->proc.processes = sqlite3_column_int64(st, 7);
    k->has_from = sqlite3_column_type(st, 11) == SQLITE_INTEGER;
    k->from_ns = k->has_from ? sqlite3_column_int64(st, 11) : 0;
    k->has_to = sqlite3_column_type(st, 12) == SQLITE_INTEGER;
    k->to_ns = k->has_to ? sqlite3_column_int64(st, 12) : 0;
    return -1;
}

/* (format 3) The sockets rows: the processes at flows' ends.  A row that
 * sock_read() finds unusable is left out and counted (docs/schema.md,
 * "What the analyzer reads"): the ends it would name show none. */
static int load_sockets(struct case_db *c, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    size_t alloc = 0;
    struct case_sock *socks = NULL;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, proto, local_ip, local_port, remote_ip, remote_port, pid,"
                           " processes, comm, container, cgroup, valid_from_ns, valid_to_ns"
                           " FROM sockets",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "sockets");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_sock k;
        int why = sock_read(st, &k);

        if (why >= 0) {
            ret = case_bad_row(c, CASE_TAB_SOCKETS, (enum case_why)why, sqlite3_column_int64(st, 0),
                               d);
            if (ret)
                break;
            continue;
        }
        k.proc.comm = col_text(c, st, 8);
        k.proc.container = col_text(c, st, 9);
        k.proc.cgroup = col_text(c, st, 10);
        ALLOC_GROW(socks, c->nsocks + 1, alloc);
        socks[c->nsocks++] = k;
    }
    sqlite3_finalize(st);
    if (ret || rc != SQLITE_DONE) {
        free(socks);
        c->nsocks = 0;
        return ret ? ret : db_fail(c, d, "sockets");
    }
    c->socks = case_take_sorted(c, socks, c->nsocks, sizeof(*socks), sock_cmp);
    return 0;
}

/*
 * The process at one end of a flow, by flows_named's rule (schema.sql):
 * the socket of proto whose local address and port are the end's, whose
 * peer is the other end or that is not connected, and that existed while
 * the flow did; a connected one first, then the earliest, then the lowest
 * id.  NULL when none.
 */
static const struct case_proc *sock_find(const struct case_db *c, int proto,
                                         const struct ipaddr *lip, uint16_t lport,
                                         const struct ipaddr *rip, uint16_t rport, int64_t first,
                                         int64_t last)
{
    const struct case_sock *best = NULL;
    size_t lo = 0, hi = c->nsocks;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct case_sock *k = &c->socks[mid];

        if (k->proto < proto || (k->proto == proto && k->lport < lport))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < c->nsocks && c->socks[lo].proto == proto && c->socks[lo].lport == lport; lo++) {
        const struct case_sock *k = &c->socks[lo];

        if (!ipaddr_eq(&k->local, lip) ||
            (k->connected && (k->rport != rport || !ipaddr_eq(&k->remote, rip))) ||
            (k->has_from && k->from_ns > last) || (k->has_to && first >= k->to_ns))
            continue;
        if (!best || k->connected > best->connected ||
            (k->connected == best->connected &&
             (best->has_from && (!k->has_from || k->from_ns < best->from_ns))))
            best = k;
    }
    return best ? &best->proc : NULL;
}

const struct case_iface *case_iface_find(const struct case_db *c, int64_t id)
{
    struct case_iface key = {.id = id};

    return c->nifaces ? bsearch(&key, c->ifaces, c->nifaces, sizeof(*c->ifaces), iface_cmp) : NULL;
}

int case_end_ns(const struct case_db *c, int64_t *end, int *has, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc;

    *has = 0;
    *end = 0;
    for (i = 0; i < c->ncaps; i++) {
        if (c->caps[i].has_end && (!*has || c->caps[i].ended_ns > *end)) {
            *end = c->caps[i].ended_ns;
            *has = 1;
        }
    }
    /* A capture killed before it wrote its end leaves the flows to say. */
    if (sqlite3_prepare_v2(c->db, "SELECT max(last_ns) FROM flows", -1, &st, NULL) != SQLITE_OK) {
        diag_err(d, "cannot read '%s': %s", c->path, sqlite3_errmsg(c->db));
        return ERR_DB;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
        (!*has || sqlite3_column_int64(st, 0) > *end)) {
        *end = sqlite3_column_int64(st, 0);
        *has = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        diag_err(d, "cannot read '%s': %s", c->path, sqlite3_errmsg(c->db));
        return ERR_DB;
    }
    return 0;
}

int case_flow_span(const struct case_db *c, int64_t *first, int64_t *last, int *has, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *has = 0;
    *first = *last = 0;
    if (sqlite3_prepare_v2(c->db, "SELECT min(first_ns), max(max(first_ns, last_ns)) FROM flows",
                           -1, &st, NULL) != SQLITE_OK) {
        diag_err(d, "cannot read '%s': %s", c->path, sqlite3_errmsg(c->db));
        return ERR_DB;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
        sqlite3_column_type(st, 1) == SQLITE_INTEGER) {
        *first = sqlite3_column_int64(st, 0);
        *last = sqlite3_column_int64(st, 1);
        *has = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        diag_err(d, "cannot read '%s': %s", c->path, sqlite3_errmsg(c->db));
        return ERR_DB;
    }
    return 0;
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

/* Each end's node and interface name, from the captures and interfaces
 * rows. */
static void name_ends(const struct case_db *c, struct case_conn *cn)
{
    for (size_t k = 0; k < cn->nends; k++) {
        struct case_end *e = &cn->ends[k];
        const struct case_cap *cap = case_cap_find(c, e->capture_id);

        e->node = cap ? cap->node : NULL;
        e->iface = iface_name(c, e->has_iface, e->iface_id);
    }
}

const struct case_conn *case_conn_copy(struct arena *a, const struct case_conn *cn)
{
    struct case_conn *n = arena_alloc(a, sizeof(*n));

    n->nends = cn->nends;
    n->ends = arena_calloc(a, cn->nends, sizeof(*n->ends));
    memcpy(n->ends, cn->ends, cn->nends * sizeof(*n->ends));
    for (size_t i = 0; i < n->nends; i++)
        if (n->ends[i].state)
            n->ends[i].state = arena_strdup(a, n->ends[i].state);
    return n;
}

/*
 * Service legs (§12).  A capture that recorded no translation (a pcap, no
 * conntrack) may still hold both legs of a connection to a Service: the
 * client's link sees it sent to the Service address, the backend's link
 * (on the backend's node) sees it after kube-proxy's DNAT.  The legs share
 * the protocol and the client's address and port; the second goes to a
 * backend of the Service, on the port the Service port resolves to there;
 * their windows overlap within the skew.  A capture that keeps only what
 * enters the node (tcpdump -Q in) sees of the second leg only the
 * backend's answers, recorded with the backend as initiator for protocols
 * without a handshake: such a row is taken reversed.  The first leg (the
 * earliest of its tuple, as the both-ends pairing reports) is reported,
 * judged against the second's destination; the second is one of its ends.
 */

struct dleg {
    struct case_end e; /* its end (reversed rows: packets swapped); node and
                          iface named when paired */
    int64_t last_ns;
    char state[8]; /* Zeek's words are shorter */
    int proto;
    struct ipaddr cli; /* the client */
    uint16_t cport;
    struct ipaddr srv; /* the other address: the Service (first legs) or a backend */
    uint16_t sport;
    const struct case_svc *svc; /* first legs: the Service, and its port */
    size_t svc_port;
    uint64_t key; /* hash of (proto, client, client port) */
    int used;
};

static uint64_t dleg_key(int proto, const struct ipaddr *ip, uint16_t port)
{
    return hash_fmix64(ip_hash(ip) ^ ((uint64_t)(unsigned)proto << 40) ^ ((uint64_t)port << 16));
}

static int dleg_cmp(const void *x, const void *y)
{
    const struct dleg *a = x, *b = y;

    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->e.first_ns != b->e.first_ns)
        return a->e.first_ns < b->e.first_ns ? -1 : 1;
    return a->e.flow_id < b->e.flow_id ? -1 : a->e.flow_id > b->e.flow_id;
}

/* Is key among the first legs (sorted)? */
static int dleg_has(const struct dleg *firsts, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (firsts[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && firsts[lo].key == key;
}

/* Read the rows of flows without a recorded translation: first legs (to a
 * Service's address and port at their time) into *out when !firsts; else
 * the rows that are no first leg and share a first leg's client end,
 * either way round. */
static int dnat_scan(struct case_db *c, struct diag *d, const struct dleg *firsts, size_t nfirsts,
                     struct dleg **out, size_t *n)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    struct frow_memo memo;
    size_t alloc = 0;
    int rc;

    /* The rows frow_read() finds unusable are left out here as by the
     * scan, which counts them. */
    snprintf(sql, sizeof(sql), "SELECT " FROW_COLS " FROM flows%s",
             c->has_dnat ? FROW_DNAT_COLS : FROW_NO_DNAT_COLS,
             c->has_dnat ? " WHERE dnat_ip IS NULL AND dnat_port IS NULL" : "");
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "flows (service legs)");
    frow_memo_init(&memo, 4 * c->neps);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct dleg l;
        struct frow f;
        int64_t first;
        size_t pi = 0;
        int rev = 0;

        if (frow_read(&memo, st, &f) >= 0)
            continue;
        first = f.first_ns;
        memset(&l, 0, sizeof(l));
        l.proto = f.t.proto;
        l.svc = case_svc_at(c, &f.t.dst, l.proto, f.t.dport, first, &pi);
        if (!firsts) {
            if (!l.svc)
                continue;
            l.svc_port = pi;
            l.key = dleg_key(l.proto, &f.t.src, f.t.sport);
        } else {
            if (l.svc)
                continue; /* a first leg itself */
            l.key = dleg_key(l.proto, &f.t.src, f.t.sport);
            if (!dleg_has(firsts, nfirsts, l.key)) {
                l.key = dleg_key(l.proto, &f.t.dst, f.t.dport);
                if (!dleg_has(firsts, nfirsts, l.key))
                    continue;
                rev = 1;
            }
        }
        l.cli = rev ? f.t.dst : f.t.src;
        l.cport = rev ? f.t.dport : f.t.sport;
        l.srv = rev ? f.t.src : f.t.dst;
        l.sport = rev ? f.t.sport : f.t.dport;
        l.e.flow_id = f.id;
        l.e.capture_id = f.capture_id;
        l.e.first_ns = first;
        l.last_ns = f.last_ns; /* >= first: frow_read() */
        snprintf(l.state, sizeof(l.state), "%s", f.state);
        l.e.packets_fwd = rev ? f.packets_rev : f.packets_fwd;
        l.e.packets_rev = rev ? f.packets_fwd : f.packets_rev;
        l.e.has_iface = f.has_iface;
        l.e.iface_id = f.iface;
        ALLOC_GROW(*out, *n + 1, alloc);
        (*out)[(*n)++] = l;
    }
    sqlite3_finalize(st);
    frow_memo_release(&memo);
    if (rc != SQLITE_DONE)
        return db_fail(c, d, "flows (service legs)");
    return 0;
}

/* Record that first leg a goes to the backend b went to, with b's end. */
static void dnat_join(struct case_db *c, const struct dleg *a, const struct dleg *b, size_t *alloc)
{
    struct case_dpair *p;
    const struct case_cap *cap = case_cap_find(c, b->e.capture_id);

    ALLOC_GROW(c->dpairs, c->ndpairs + 2, *alloc);
    p = &c->dpairs[c->ndpairs++];
    memset(p, 0, sizeof(*p));
    p->id = a->e.flow_id;
    p->role = 1;
    p->ip = b->srv;
    p->port = b->sport;
    p->other = b->e;
    p->other.node = cap ? cap->node : NULL;
    p->other.iface = iface_name(c, b->e.has_iface, b->e.iface_id);
    p->other.state = arena_strdup(&c->arena, b->state);
    p = &c->dpairs[c->ndpairs++];
    memset(p, 0, sizeof(*p));
    p->id = b->e.flow_id;
    p->role = 2;
    c->flows_dnat_paired++;
}

static int pair_dnat(struct case_db *c, struct diag *d)
{
    struct dleg *firsts = NULL, *seconds = NULL;
    size_t nf = 0, ns = 0, alloc = 0;
    int64_t skew = c->opts.skew_ns;
    int rc;

    if (!c->nsvcs || !c->nseps)
        return 0;
    /* One read transaction: both scans see the same rows. */
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(c, d, "flows (service legs)");
    rc = dnat_scan(c, d, NULL, 0, &firsts, &nf);
    if (!rc && nf) {
        qsort(firsts, nf, sizeof(*firsts), dleg_cmp);
        rc = dnat_scan(c, d, firsts, nf, &seconds, &ns);
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (!rc && ns)
        qsort(seconds, ns, sizeof(*seconds), dleg_cmp);
    /* Each first leg, earliest first within a client, takes the first
     * unused second leg that fits. */
    for (size_t i = 0, j = 0; !rc && ns && i < nf; i++) {
        const struct dleg *a = &firsts[i];
        int64_t ra;

        if (i && firsts[i - 1].key == a->key && firsts[i - 1].proto == a->proto &&
            firsts[i - 1].cport == a->cport && ipaddr_eq(&firsts[i - 1].cli, &a->cli) &&
            firsts[i - 1].used)
            continue; /* the same connection at another vantage point */
        if (__builtin_add_overflow(a->last_ns, skew, &ra))
            ra = INT64_MAX;
        while (j < ns && seconds[j].key < a->key)
            j++;
        for (size_t k = j; k < ns && seconds[k].key == a->key; k++) {
            struct dleg *b = &seconds[k];
            int64_t rb;

            if (b->used || b->proto != a->proto || b->cport != a->cport ||
                !ipaddr_eq(&b->cli, &a->cli))
                continue;
            if (__builtin_add_overflow(b->last_ns, skew, &rb))
                rb = INT64_MAX;
            if (b->e.first_ns > ra || a->e.first_ns > rb ||
                !case_svc_is_backend(c, a->svc, a->svc_port, &b->srv, b->sport, a->e.first_ns))
                continue;
            b->used = 1;
            firsts[i].used = 1;
            dnat_join(c, a, b, &alloc);
            break;
        }
    }
    for (size_t i = 0; i < c->ndpairs; i++)
        htab_add(&c->dpidx, hash_u64((uint64_t)c->dpairs[i].id, 0), (uint32_t)i);
    free(firsts);
    free(seconds);
    return rc;
}

/* The Service-leg pairing of flow id, or NULL. */
static const struct case_dpair *dpair_find(const struct case_db *c, int64_t id)
{
    struct htab_iter it;

    for (uint32_t i = htab_first(&c->dpidx, hash_u64((uint64_t)id, 0), &it); i != HTAB_NONE;
         i = htab_next(&c->dpidx, &it))
        if (c->dpairs[i].id == id)
            return &c->dpairs[i];
    return NULL;
}

static int case_skips_fold(struct case_db *c, const struct case_skips *s, struct diag *d);

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
    /* The readers' connections, now: a merged case's file is unlinked as
     * soon as it is open. */
    if (c->opts.readers) {
        c->rdb = xcalloc(c->opts.readers, sizeof(*c->rdb));
        for (; c->nrdb < c->opts.readers && !rc; c->nrdb++)
            rc = db_open_reader(path, d, &c->rdb[c->nrdb]);
        if (rc) {
            case_close(c);
            return rc;
        }
    }
    c->has_dnat =
        db_has_column(c->db, "flows", "dnat_ip") && db_has_column(c->db, "flows", "dnat_port");
    {
        char *v = NULL;
        int64_t n;

        if (db_meta_get(c->db, "inventory_problems", &v) == 0 && v &&
            parse_i64(v, strlen(v), 0, INT64_MAX, &n) == 0)
            c->inventory_problems = n;
        free(v);
        v = NULL;
        if (db_meta_get(c->db, "redacted", &v) == 0 && v)
            c->redacted = 1;
        free(v);
        v = NULL;
        if (db_meta_get(c->db, "redacted_external", &v) == 0 && v && *v)
            c->redacted = 1;
        free(v);
        v = NULL;
        /* The CIDRs kept unredacted: whatever does not parse is simply
         * not known as kept (its verdicts are then flagged). */
        if (db_meta_get(c->db, "redaction_kept", &v) == 0 && v)
            (void)!polnets_add_list(&c->redaction_kept, v, "meta.redaction_kept");
        free(v);
    }
    rc = load_namespaces(c, d);
    if (!rc)
        rc = load_endpoints(c, d);
    if (!rc)
        rc = load_captures(c, d);
    if (!rc)
        rc = load_interfaces(c, d);
    if (!rc)
        rc = load_sockets(c, d);
    if (!rc) {
        c->nfiles = 1;
        c->files = arena_calloc(&c->arena, 1, sizeof(*c->files));
        c->files[0].path = c->path;
    }
    if (!rc)
        rc = case_svc_load(c, d);
    /* Pairing leaves out what frow_read() finds unusable, as the scan
     * does; the flows are counted by case_check_flows() or by the first
     * whole case_flows() scan, whichever comes first. */
    if (!rc && !c->opts.no_flows && case_several_vantages(c) && !c->opts.no_pair) {
        struct case_skips sk;

        /* The pairing reads every row: its count is the count. */
        memset(&sk, 0, sizeof(sk));
        rc = pair_flows(c, &sk, d);
        if (!rc && sk.read)
            rc = case_skips_fold(c, &sk, d);
    }
    if (!rc && !c->opts.no_flows && !c->opts.no_pair)
        rc = pair_dnat(c, d);
    if (!rc && c->opts.no_flows)
        rc = case_counted(c, d);
    if (rc)
        case_close(c);
    return rc;
}

/* ---- Calico's labels for a pod (§1.6) ---------------------------------- */

/*
 * The labels of profile kns.<nsname> that an endpoint or a namespaced
 * network set inherits (§1.6, §2.4): pcns.<k> for each label of namespace
 * ns (may be NULL: then only the name label Kubernetes puts on every
 * namespace), and pcns.projectcalico.org/name.  keep_own: a key out
 * already holds is left alone (own labels win over inherited ones, Felix's
 * label inheritance index).  0 or ERR_LIMIT.
 */
static int ns_profile_labels(struct labels *out, const char *nsname, const struct case_ns *ns,
                             int keep_own)
{
    int rc = 0;

    if (ns) {
        for (size_t i = 0; i < ns->labels.n && !rc; i++) {
            char key[LIM_LABEL_KEY + 8];
            size_t klen = strlen(ns->labels.v[i].key);

            /* "pcns." and the key by memcpy: every pod asks (snprintf was
             * 600 instructions a label). */
            if (5 + klen >= sizeof(key))
                return ERR_LIMIT;
            memcpy(key, "pcns.", 5);
            memcpy(key + 5, ns->labels.v[i].key, klen + 1);
            if (!keep_own || !labels_get(out, key))
                rc = labels_set(out, key, ns->labels.v[i].value);
        }
    } else if (*nsname && (!keep_own || !labels_get(out, "pcns.kubernetes.io/metadata.name"))) {
        rc = labels_set(out, "pcns.kubernetes.io/metadata.name", nsname);
    }
    if (!rc && (!keep_own || !labels_get(out, "pcns.projectcalico.org/name")))
        rc = labels_set(out, "pcns.projectcalico.org/name", nsname);
    return rc;
}

int case_netset_labels(const struct labels *own, const char *nsname, const struct case_ns *ns,
                       struct labels *out)
{
    int rc = 0;

    labels_init(out);
    for (size_t i = 0; i < own->n && !rc; i++)
        rc = labels_set(out, own->v[i].key, own->v[i].value);
    if (!rc)
        rc = ns_profile_labels(out, nsname, ns, 1);
    if (rc)
        labels_release(out);
    return rc;
}

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
    /* Inherited from profile kns.<ns>: pcns.<k> for each namespace label
     * (a namespace the case does not describe still has the name label
     * Kubernetes puts on every namespace), and the namespace's name.  The
     * pod's own pcns. labels were dropped above. */
    if (!rc)
        rc = ns_profile_labels(out, nsname, ns, 0);
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
    struct case_opts one = {.skew_ns = CASE_SKEW_DEFAULT_NS};
    struct case_file *files;
    struct merge_skip *skip;
    struct arena keep;
    struct buf label;
    size_t nskip = 0;
    char *tmp;
    int lockfd, rc = 0;

    if (n == 1)
        return case_open_file(c, paths[0], paths[0], o, d);
    /* Each file checked on its own, so that messages name it and its own
     * row ids; its unusable rows are then left out of the merge. */
    if (o)
        one = *o;
    one.no_pair = 1;
    arena_init(&keep, 0);
    files = arena_calloc(&keep, n, sizeof(*files));
    skip = xcalloc(n * CASE_TAB_N, sizeof(*skip));
    for (size_t i = 0; i < n && !rc; i++) {
        struct case_db in;

        rc = case_open_file(&in, paths[i], paths[i], &one, d);
        if (rc)
            break;
        rc = case_check_flows(&in, d);
        if (rc) {
            case_close(&in);
            break;
        }
        files[i].path = arena_strdup(&keep, paths[i]);
        files[i].bad = in.bad;
        for (size_t t = 0; t < CASE_TAB_N; t++) {
            int64_t *ids;

            if (!in.nbad_ids[t])
                continue;
            skip[nskip].input = i;
            skip[nskip].table = case_tab_names[t];
            ids = arena_calloc(&keep, in.nbad_ids[t], sizeof(*ids));
            memcpy(ids, in.bad_ids[t], in.nbad_ids[t] * sizeof(*ids));
            skip[nskip].ids = ids;
            skip[nskip].n = in.nbad_ids[t];
            nskip++;
        }
        case_close(&in);
    }
    /* A scratch file in $TMPDIR: removed on SIGINT/SIGTERM, and after a
     * kill -9 by the next run (common/outfile.h). */
    if (!rc)
        rc = outfile_tmp_create(NULL, "podflow-case-", &tmp, &lockfd, d);
    if (rc) {
        free(skip);
        arena_release(&keep);
        return rc;
    }
    rc = merge_into_new(tmp, paths, n, skip, nskip, d);
    free(skip);
    buf_init(&label, 0);
    for (size_t i = 0; i < n && !rc; i++)
        if (buf_addf(&label, "%s%s", i ? " + " : "", paths[i]))
            rc = ERR_LIMIT;
    if (!rc)
        rc = case_open_file(c, tmp, label.data, o, d);
    /* Open (or failed): the file is no longer needed by name. */
    outfile_tmp_remove(tmp, lockfd);
    free(tmp);
    buf_release(&label);
    if (!rc) {
        /* What was left out is what the files held (the copy has none). */
        c->nfiles = n;
        c->files = arena_calloc(&c->arena, n, sizeof(*c->files));
        c->bad.flows_read = 0;
        c->counted = 1; /* each file was, and said so */
        for (size_t i = 0; i < n; i++) {
            c->files[i].path = arena_strdup(&c->arena, files[i].path);
            c->files[i].bad = files[i].bad;
            c->bad.total += files[i].bad.total;
            c->bad.flows_read += files[i].bad.flows_read;
            for (size_t t = 0; t < CASE_TAB_N; t++)
                for (size_t w = 0; w < CASE_WHY_N; w++)
                    c->bad.n[t][w] += files[i].bad.n[t][w];
        }
    }
    arena_release(&keep);
    return rc;
}

void case_close(struct case_db *c)
{
    size_t i;

    for (i = 0; i < c->neps; i++) {
        if (!c->eps[i].labels_borrowed)
            labels_release(&c->eps[i].labels);
        if (!c->eps[i].calico_borrowed)
            labels_release(&c->eps[i].calico);
    }
    for (i = 0; i < c->nnss; i++)
        labels_release(&c->nss[i].labels);
    free(c->eps);
    free(c->nss);
    htab_release(&c->ipidx);
    free(c->keys);
    pair_result_free(c);
    free(c->svcs);
    free(c->seps);
    free(c->svcaddrs);
    free(c->nodeports);
    free(c->podnets);
    free(c->sep_times);
    free(c->dpairs);
    htab_release(&c->dpidx);
    polnets_release(&c->redaction_kept);
    for (i = 0; i < CASE_TAB_N; i++)
        free(c->bad_ids[i]);
    if (c->db)
        db_close(&c->db, NULL);
    for (i = 0; i < c->nrdb; i++)
        if (c->rdb[i])
            db_close(&c->rdb[i], NULL);
    free(c->rdb);
    arena_release(&c->arena);
    memset(c, 0, sizeof(*c));
}

/* The first endpoint row of ip (index + 1), or 0 when no row has it. */
static uint32_t first_row(const struct case_db *c, const struct ipaddr *ip)
{
    struct htab_iter it;

    for (uint32_t i = htab_first(&c->ipidx, ip_hash(ip), &it); i != HTAB_NONE;
         i = htab_next(&c->ipidx, &it))
        if (ipaddr_eq(&c->keys[i].ip, ip))
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
    for (i = first - 1; i < c->neps && ipaddr_eq(&c->keys[i].ip, ip); i++) {
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

const struct case_svc *case_svc_at(const struct case_db *c, const struct ipaddr *ip, int proto,
                                   uint16_t port, int64_t t, size_t *port_index)
{
    const struct case_svc *s = case_svc_addr(c, ip, proto, port, t, port_index);
    const struct case_ep *host;

    if (s || !c->nnodeports)
        return s;
    /* A NodePort: any address of a node (§12). */
    host = case_lookup(c, ip, t);
    if (!host || host->kind != EP_HOST)
        return NULL;
    return case_svc_nodeport(c, proto, port, t, port_index);
}

size_t case_svc_backends(const struct case_db *c, const struct case_svc *svc, size_t port_index,
                         int64_t t, struct case_backend *out, size_t max)
{
    size_t n = case_svc_seps(c, svc, port_index, t, out, max);

    for (size_t i = 0; i < n && i < max; i++)
        out[i].ep = case_lookup(c, &out[i].sep->ip, t);
    return n;
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
 * Who held address ip at time t, read through the address's memo entry m
 * (or looked up when m is NULL): the entry remembers the address's first
 * endpoint row, and that row's endpoint when its window is unbounded
 * (valid_from_row() would return it whatever the time).  The common case
 * (an address seen before, held by one endpoint all along) is inline.
 */
static const struct case_ep *ep_at_lookup(const struct case_db *c, struct case_memo *m,
                                          const struct ipaddr *ip, int64_t t)
{
    if (!m)
        return valid_from_row(c, first_row(c, ip), ip, t);
    if (m->first == CASE_MEMO_UNSET) {
        const struct case_epkey *k;

        m->first = first_row(c, ip);
        k = m->first ? &c->keys[m->first - 1] : NULL;
        m->always = k && !k->has_from && !k->has_to ? &c->eps[m->first - 1] : NULL;
    }
    return m->always ? m->always : valid_from_row(c, m->first, ip, t);
}

static inline const struct case_ep *ep_at_memo(const struct case_db *c, struct case_memo *m,
                                               const struct ipaddr *ip, int64_t t)
{
    return m && m->always ? m->always : ep_at_lookup(c, m, ip, t);
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
    /* A pod's veth is past the node's policy; a node's own address sits
     * behind the interface packets arrive by, before it (§17). */
    const char *difc = fl->dst && fl->dst->kind == EP_POD ? fl->dst->iface : NULL;
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

struct case_reader {
    struct case_db *c;
    sqlite3 *db; /* borrowed: c->db or one of c->rdb */
    sqlite3_stmt *st;
    struct frow_memo memo;
    int64_t last_iface;    /* the previous row's interface: flows of */
    const char *last_name; /* one interface come in runs */
    int has_last;
    /* A flow paired with its Service leg (§12): its ends, the backend's text. */
    struct case_end dends[LIM_CASE_ENDS];
    struct case_conn dconn;
    char dnat_text[IPADDR_STRLEN];
};

int case_reader_new(struct case_db *c, size_t k, struct case_reader **out, struct diag *d)
{
    struct case_reader *r;
    char sql[640];

    *out = NULL;
    if (k != SIZE_MAX && k >= c->nrdb) {
        diag_err(d, "'%s': no reader %zu (%zu opened)", c->path, k, c->nrdb);
        return ERR_INVALID;
    }
    r = xcalloc(1, sizeof(*r));
    r->c = c;
    r->db = k == SIZE_MAX ? c->db : c->rdb[k];
    snprintf(sql, sizeof(sql), CASE_FLOWS_SQL, c->has_dnat ? FROW_DNAT_COLS : FROW_NO_DNAT_COLS);
    if (sqlite3_prepare_v2(r->db, sql, -1, &r->st, NULL) != SQLITE_OK) {
        diag_err(d, "cannot read flows from '%s': %s", c->path, sqlite3_errmsg(r->db));
        free(r);
        return ERR_DB;
    }
    /* Room for the endpoints' addresses and as many others. */
    frow_memo_init(&r->memo, 4 * c->neps);
    *out = r;
    return 0;
}

void case_reader_free(struct case_reader **rp)
{
    struct case_reader *r = *rp;

    if (!r)
        return;
    sqlite3_finalize(r->st);
    frow_memo_release(&r->memo);
    free(r);
    *rp = NULL;
}

int case_id_range(struct case_db *c, int64_t *lo, int64_t *hi, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *lo = 1;
    *hi = 0;
    /* Two subqueries, not "SELECT min(id), max(id)": SQLite answers a lone
     * min() or max() of the rowid from the b-tree's edge, but both in one
     * query by a scan of every row (7.6% of check's instructions on the
     * bench's 1M flows, callgrind). */
    if (sqlite3_prepare_v2(c->db, "SELECT (SELECT min(id) FROM flows), (SELECT max(id) FROM flows)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "flows");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
        *lo = sqlite3_column_int64(st, 0);
        *hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(c, d, "flows");
}

void case_skips_add(struct case_skips *to, const struct case_skips *from)
{
    for (uint64_t i = 0; i < from->bad && i < CASE_BAD_SHOWN; i++) {
        if (to->bad + i < CASE_BAD_SHOWN) {
            to->bad_ids[to->bad + i] = from->bad_ids[i];
            to->bad_why[to->bad + i] = from->bad_why[i];
        }
    }
    to->bad += from->bad;
    for (size_t w = 0; w < CASE_WHY_N; w++)
        to->why[w] += from->why[w];
    to->peers += from->peers;
    to->read += from->read;
}

void case_skips_report(const struct case_db *c, const struct case_skips *s, struct diag *d)
{
    for (uint64_t i = 0; i < s->bad && i < CASE_BAD_SHOWN; i++)
        diag_warn(d, "'%s': flow %lld: %s: left out", c->path, (long long)s->bad_ids[i],
                  case_why_text[s->bad_why[i] < CASE_WHY_N ? s->bad_why[i] : 0]);
}

/* The rows a whole scan left out, into c->bad: the count is complete. */
static int case_skips_fold(struct case_db *c, const struct case_skips *s, struct diag *d)
{
    case_skips_report(c, s, d);
    for (size_t w = 0; w < CASE_WHY_N; w++)
        c->bad.n[CASE_TAB_FLOWS][w] += s->why[w];
    c->bad.total += s->bad;
    c->bad.flows_read += s->read;
    return case_counted(c, d);
}

int case_skips_done(struct case_db *c, const struct case_skips *s, struct diag *d)
{
    return c->counted ? 0 : case_skips_fold(c, s, d);
}

int case_check_flows(struct case_db *c, struct diag *d)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    struct frow_memo memo;
    int rc, ret = 0;

    if (c->counted)
        return 0;
    snprintf(sql, sizeof(sql), "SELECT " FROW_COLS " FROM flows",
             c->has_dnat ? FROW_DNAT_COLS : FROW_NO_DNAT_COLS);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, d, "flows");
    frow_memo_init(&memo, 4 * c->neps);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct frow f;
        int why = frow_read(&memo, st, &f);

        c->bad.flows_read++;
        if (why >= 0 && (ret = case_bad_row(c, CASE_TAB_FLOWS, (enum case_why)why, f.id, d)))
            break;
    }
    sqlite3_finalize(st);
    frow_memo_release(&memo);
    if (!ret && rc != SQLITE_DONE)
        ret = db_fail(c, d, "flows");
    return ret ? ret : case_counted(c, d);
}

int case_reader_flows(struct case_reader *r, const struct case_filter *f, int64_t lo, int64_t hi,
                      int (*fn)(void *ctx, const struct case_flow *fl), void *ctx,
                      struct case_skips *skips, struct diag *d)
{
    struct case_db *c = r->c;
    sqlite3_stmt *st = r->st;
    struct pair_cursor pc;
    int rc, ret;

    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, f && f->has_since ? f->since_ns : INT64_MIN);
    sqlite3_bind_int64(st, 2, f && f->has_until ? f->until_ns : INT64_MAX);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    ret = pair_cursor_open(&pc, c, lo);
    if (ret) {
        diag_err(d, "'%s': cannot read the pairing of connections: %s", c->path, err_str(ret));
        pair_cursor_close(&pc);
        return ret;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct case_flow fl;
        struct frow row;
        struct frow_tuple *t = &row.t;
        const struct case_conn *conn = NULL;
        const struct case_cap *cap;
        const struct case_dpair *dp;
        int why;

        memset(&fl, 0, sizeof(fl));
        /* The id first: a row the pairing reported with another end is
         * not read further (the rowid: always an integer). */
        fl.id = frow_id(st);
        skips->read++;
        ret = pair_cursor_at(&pc, c, fl.id, &conn);
        if (ret < 0) {
            diag_err(d, "'%s': cannot read the pairing of connections: %s", c->path, err_str(ret));
            break;
        }
        if (ret == 2) {
            ret = 0;
            skips->peers++; /* another end of a flow reported with it */
            continue;
        }
        ret = 0;
        dp = c->ndpairs ? dpair_find(c, fl.id) : NULL;
        if (dp && dp->role == 2) {
            skips->peers++; /* a Service's second leg, reported with its first */
            continue;
        }
        why = frow_read_rest(&r->memo, st, fl.id, &row);
        if (why >= 0) {
            /* Unusable: counted, never judged (nor paired: pair.c and
             * pair_dnat() read rows through frow_read() too). */
            if (skips->bad < CASE_BAD_SHOWN) {
                skips->bad_ids[skips->bad] = fl.id;
                skips->bad_why[skips->bad] = (uint8_t)why;
            }
            skips->bad++;
            skips->why[why]++;
            continue;
        }
        if (conn) {
            name_ends(c, &pc.conn);
            fl.conn = conn;
        }
        fl.proto = t->proto;
        fl.src_ip = t->src;
        fl.dst_ip = t->dst;
        fl.src_port = t->sport;
        fl.dst_port = t->dport;
        fl.src_text = row.src_text;
        fl.dst_text = row.dst_text;
        if (t->dnat) {
            /* Policy sees post-DNAT addresses (§5, §9.17): the backend is
             * judged, the Service kept as where it was sent. */
            fl.dnat = 1;
            fl.dnat_how = CASE_DNAT_RECORDED;
            fl.orig_dst_text = fl.dst_text;
            fl.orig_dst_port = t->odport;
            fl.dst_text = row.dnat_text;
        } else if (dp) {
            /* §12: no translation recorded, but the second leg is in the
             * case: its destination is the backend. */
            fl.dnat = 1;
            fl.dnat_how = CASE_DNAT_PAIRED;
            fl.orig_dst_text = fl.dst_text;
            fl.orig_dst_port = t->dport;
            fl.dst_ip = dp->ip;
            fl.dst_port = dp->port;
            fl.dst_text = ipaddr_format(&dp->ip, r->dnat_text);
            t->dmemo = NULL;
            t->odst = t->dst; /* where it was sent, for the source's socket */
            t->odport = t->dport;
            t->dst = dp->ip;
        }
        fl.capture_id = row.capture_id;
        fl.first_ns = row.first_ns;
        fl.last_ns = row.last_ns;
        fl.packets_fwd = row.packets_fwd;
        fl.packets_rev = row.packets_rev;
        fl.bytes_fwd = row.bytes_fwd;
        fl.bytes_rev = row.bytes_rev;
        fl.state = row.state; /* checked text */
        fl.icmp_type = row.icmp_type;
        fl.icmp_code = row.icmp_code;
        fl.icmp_count = row.icmp_count;
        fl.src = ep_at_memo(c, t->smemo, &t->src, fl.first_ns);
        fl.dst = ep_at_memo(c, t->dmemo, &t->dst, fl.first_ns);
        cap = case_cap_find(c, fl.capture_id);
        fl.node = cap ? cap->node : NULL;
        if (row.has_iface) {
            int64_t ifc = row.iface;

            if (!r->has_last || ifc != r->last_iface) {
                r->last_name = iface_name(c, 1, ifc);
                r->last_iface = ifc;
                r->has_last = 1;
            }
            fl.iface = r->last_name;
        }
        fl.open = row.open;
        if (c->nsocks) {
            /* the source's peer is what it sent to (the Service address
             * before DNAT); the destination's socket is the backend's */
            fl.src_proc =
                sock_find(c, fl.proto, &fl.src_ip, fl.src_port, t->dnat || dp ? &t->odst : &t->dst,
                          t->dnat || dp ? t->odport : t->dport, fl.first_ns, fl.last_ns);
            fl.dst_proc = sock_find(c, fl.proto, &fl.dst_ip, fl.dst_port, &fl.src_ip, fl.src_port,
                                    fl.first_ns, fl.last_ns);
        }
        if (dp) {
            /* The connection's ends: the first leg's (all of them when the
             * both-ends pairing found several), then the second leg. */
            size_t ne = 0;

            if (fl.conn) {
                for (size_t k = 0; k < fl.conn->nends && ne < LIM_CASE_ENDS - 1; k++)
                    r->dends[ne++] = fl.conn->ends[k];
            } else {
                memset(&r->dends[0], 0, sizeof(r->dends[0]));
                r->dends[0].flow_id = fl.id;
                r->dends[0].capture_id = fl.capture_id;
                r->dends[0].has_iface = row.has_iface;
                r->dends[0].iface_id = row.iface;
                r->dends[0].node = fl.node;
                r->dends[0].iface = fl.iface;
                r->dends[0].state = fl.state;
                r->dends[0].first_ns = fl.first_ns;
                r->dends[0].packets_fwd = fl.packets_fwd;
                r->dends[0].packets_rev = fl.packets_rev;
                ne = 1;
            }
            r->dends[ne++] = dp->other;
            r->dconn.ends = r->dends;
            r->dconn.nends = ne;
            fl.conn = &r->dconn;
        } else if (!fl.dnat && c->nsvcs) {
            /* A Service flow with no translation known: the engine judges
             * its ready backends (§12). */
            fl.svc = case_svc_at(c, &fl.dst_ip, fl.proto, fl.dst_port, fl.first_ns, &fl.svc_port);
        }
        fl.reach = flow_reach(c, &fl);
        ret = fn(ctx, &fl);
        if (ret)
            break;
    }
    if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        diag_err(d, "cannot read flows from '%s': %s", c->path, sqlite3_errmsg(r->db));
        ret = ERR_DB;
    }
    sqlite3_reset(st);
    pair_cursor_close(&pc);
    return ret;
}

int case_flows(struct case_db *c, const struct case_filter *f,
               int (*fn)(void *ctx, const struct case_flow *fl), void *ctx, struct diag *d)
{
    struct case_reader *r;
    struct case_skips sk;
    int rc, full;

    /* A window reads part of the rows: count them all first. */
    if (!c->counted && f && (f->has_since || f->has_until)) {
        rc = case_check_flows(c, d);
        if (rc)
            return rc;
    }
    full = !c->counted;
    rc = case_reader_new(c, SIZE_MAX, &r, d);
    if (rc)
        return rc;
    memset(&sk, 0, sizeof(sk));
    rc = case_reader_flows(r, f, INT64_MIN, INT64_MAX, fn, ctx, &sk, d);
    case_reader_free(&r);
    c->flows_peer += sk.peers;
    /* A whole first scan has seen every row: what it left out is the
     * count (a scan after case_check_flows() says nothing again). */
    if (!rc && full)
        rc = case_skips_fold(c, &sk, d);
    return rc;
}
