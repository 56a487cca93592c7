/*
 * polnets.c: the CIDRs that policy files name (polnets.h).
 */
#include "common/polnets.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/pathwalk.h"
#include "common/xmalloc.h"
#include "common/ydoc.h"
#include "common/compat.h"

struct pn_ctx {
    struct polnets *pn;
    struct diag *d;
    const struct ystream *ys;
    int rc; /* first fatal error */
};

void polnets_init(struct polnets *pn)
{
    memset(pn, 0, sizeof(*pn));
}

void polnets_release(struct polnets *pn)
{
    free(pn->v);
    free(pn->r);
    memset(pn, 0, sizeof(*pn));
}

static int range_cmp(const void *x, const void *y)
{
    const struct polnets_range *a = x, *b = y;

    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->lo, b->lo, 16);
}

void polnets_index(struct polnets *pn)
{
    size_t out = 0;

    free(pn->r);
    pn->r = NULL;
    pn->nr = 0;
    if (!pn->n)
        return;
    pn->r = xreallocarray(NULL, pn->n, sizeof(*pn->r));
    for (size_t i = 0; i < pn->n; i++) {
        struct polnets_range *r = &pn->r[i];
        unsigned bits = pn->v[i].addr.family == 4 ? 32 : 128;

        r->family = pn->v[i].addr.family;
        memcpy(r->lo, pn->v[i].addr.a, 16);
        memcpy(r->hi, pn->v[i].addr.a, 16);
        for (unsigned b = pn->v[i].plen; b < bits; b++)
            r->hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
    }
    qsort(pn->r, pn->n, sizeof(*pn->r), range_cmp);
    /* CIDRs nest or are disjoint: a range that starts inside the one
     * before lies inside it. */
    for (size_t i = 0; i < pn->n; i++) {
        struct polnets_range *prev = out ? &pn->r[out - 1] : NULL;
        const struct polnets_range *r = &pn->r[i];

        if (prev && prev->family == r->family && memcmp(r->lo, prev->hi, 16) <= 0) {
            if (memcmp(r->hi, prev->hi, 16) > 0)
                memcpy(prev->hi, r->hi, 16);
        } else {
            pn->r[out++] = *r;
        }
    }
    pn->nr = out;
}

/* The indexed range holding address bytes a of family, or NULL. */
static const struct polnets_range *range_of(const struct polnets *pn, uint8_t family,
                                            const uint8_t a[16])
{
    size_t lo = 0, hi = pn->nr;

    /* The last range whose (family, lo) is at most a's. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct polnets_range *r = &pn->r[mid];

        if (r->family < family || (r->family == family && memcmp(r->lo, a, 16) <= 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo || pn->r[lo - 1].family != family || memcmp(a, pn->r[lo - 1].hi, 16) > 0)
        return NULL;
    return &pn->r[lo - 1];
}

static int same_cidr(const struct cidr *a, const struct cidr *b)
{
    return a->plen == b->plen && ipaddr_cmp(&a->addr, &b->addr) == 0;
}

/* Report at (file, line, col) when file is not NULL, else after where. */
static void report(struct diag *d, enum diag_level level, const char *file, unsigned line,
                   unsigned col, const char *where, const char *fmt, ...) PRINTF_LIKE(7, 8);

static void report(struct diag *d, enum diag_level level, const char *file, unsigned line,
                   unsigned col, const char *where, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!d)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (file)
        diag_at(d, level, file, line, col, "%s", msg);
    else if (level == DIAG_ERROR)
        diag_err(d, "%s: %s", where, msg);
    else
        diag_warn(d, "%s: %s", where, msg);
}

static int add(struct polnets *pn, const char *s, const char *file, unsigned line, unsigned col,
               const char *where, int strict, struct diag *d)
{
    struct cidr c;
    char buf[IPADDR_STRLEN + 8];
    int min;

    if (cidr_parse(s, strlen(s), &c, NULL) != 0) {
        if (strict)
            report(d, DIAG_ERROR, file, line, col, where, "'%s' is not a CIDR or an address", s);
        else
            report(d, DIAG_WARNING, file, line, col, where,
                   "'%s' is not a CIDR or an address: not kept", s);
        return ERR_PARSE;
    }
    min = c.addr.family == 4 ? LIM_KEEP_NET_MIN_PLEN4 : LIM_KEEP_NET_MIN_PLEN6;
    if (c.plen < min) {
        if (c.plen)
            report(d, DIAG_WARNING, file, line, col, where,
                   "%s is too wide to keep unredacted (shorter than /%d): the addresses in it "
                   "are redacted",
                   cidr_format(&c, buf), min);
        return 1;
    }
    /* The same CIDR as the one before (a list written twice): once. */
    if (pn->n && same_cidr(&pn->v[pn->n - 1], &c))
        return 0;
    if (pn->n >= LIM_KEEP_NETS) {
        report(d, DIAG_ERROR, file, line, col, where, "more than %d CIDRs to keep (LIM_KEEP_NETS)",
               LIM_KEEP_NETS);
        return ERR_LIMIT;
    }
    ALLOC_GROW(pn->v, pn->n + 1, pn->alloc);
    pn->v[pn->n++] = c;
    /* The index no longer holds every CIDR. */
    free(pn->r);
    pn->r = NULL;
    pn->nr = 0;
    return 0;
}

int polnets_add_text(struct polnets *pn, const char *s, const char *where, int strict,
                     struct diag *d)
{
    return add(pn, s, NULL, 0, 0, where, strict, d);
}

int polnets_add_list(struct polnets *pn, const char *text, const char *where)
{
    int rc = 0;

    while (*text && !rc) {
        size_t len = strcspn(text, " ");
        char tok[IPADDR_STRLEN + 8];

        if (len && len < sizeof(tok)) {
            memcpy(tok, text, len);
            tok[len] = '\0';
            if (add(pn, tok, NULL, 0, 0, where, 0, NULL) == ERR_LIMIT)
                rc = ERR_LIMIT;
        }
        text += len;
        text += strspn(text, " ");
    }
    polnets_index(pn);
    return rc;
}

/* One string node: a CIDR to keep. */
static void take(struct pn_ctx *x, const struct ynode *n)
{
    if (!n || n->kind != YNODE_SCALAR || ynode_is_null(n))
        return;
    if (add(x->pn, n->u.scalar.s, x->ys->name ? x->ys->name : "<stdin>", n->line, n->col, NULL, 0,
            x->d) == ERR_LIMIT &&
        !x->rc)
        x->rc = ERR_LIMIT;
}
static void take_seq(struct pn_ctx *x, const struct ynode *n)
{
    if (!n)
        return;
    if (n->kind != YNODE_SEQ) {
        take(x, n);
        return;
    }
    for (size_t i = 0; i < n->u.seq.n; i++)
        take(x, n->u.seq.items[i]);
}

/* Every nets / notNets / networks / ipBlock below n. */
static void scan(struct pn_ctx *x, const struct ynode *n, int depth)
{
    if (!n || depth > LIM_YAML_DEPTH)
        return;
    if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->u.seq.n; i++)
            scan(x, n->u.seq.items[i], depth + 1);
        return;
    }
    if (n->kind != YNODE_MAP)
        return;
    for (size_t i = 0; i < n->u.map.n; i++) {
        const char *k = n->u.map.pairs[i].key->u.scalar.s;
        const struct ynode *v = n->u.map.pairs[i].value;

        if (strcmp(k, "nets") == 0 || strcmp(k, "notNets") == 0 || strcmp(k, "networks") == 0) {
            take_seq(x, v);
        } else if (strcmp(k, "ipBlock") == 0 && v && v->kind == YNODE_MAP) {
            take(x, ynode_get(v, "cidr"));
            take_seq(x, ynode_get(v, "except"));
        } else {
            scan(x, v, depth + 1);
        }
    }
}

static int policy_group(const char *api)
{
    return strcmp(api, "projectcalico.org/v3") == 0 ||
           strcmp(api, "crd.projectcalico.org/v1") == 0 ||
           strcmp(api, "networking.k8s.io/v1") == 0 ||
           strncmp(api, "policy.networking.k8s.io/", 25) == 0;
}

static void doc(struct pn_ctx *x, const struct ynode *d, const char *list_api, int depth)
{
    const struct ynode *api, *items;

    if (!d || d->kind != YNODE_MAP || depth > 1)
        return;
    items = ynode_get(d, "items");
    if (items && items->kind == YNODE_SEQ) {
        api = ynode_get(d, "apiVersion");
        for (size_t i = 0; i < items->u.seq.n; i++)
            doc(x, items->u.seq.items[i], api && api->kind == YNODE_SCALAR ? api->u.scalar.s : NULL,
                depth + 1);
        return;
    }
    api = ynode_get(d, "apiVersion");
    if (api && api->kind == YNODE_SCALAR ? policy_group(api->u.scalar.s)
                                         : list_api && policy_group(list_api))
        scan(x, ynode_get(d, "spec"), 0);
}

/* The documents of ys, loaded (rc 0) or not. */
static void stream(struct pn_ctx *x, struct ystream *ys, int rc)
{
    if (rc) {
        if (!x->rc)
            x->rc = rc;
        return;
    }
    x->ys = ys;
    for (size_t i = 0; i < ys->ndocs; i++)
        doc(x, ys->docs[i], NULL, 0);
    x->ys = NULL;
    ystream_release(ys);
}

static void file(void *ctx, const char *path)
{
    struct pn_ctx *x = ctx;
    struct ystream ys;

    memset(&ys, 0, sizeof(ys));
    stream(x, &ys, ystream_load_file(&ys, path, x->d));
}

int polnets_load(struct polnets *pn, const char *const *paths, size_t npaths, struct diag *d)
{
    struct pn_ctx x;

    memset(&x, 0, sizeof(x));
    x.pn = pn;
    x.d = d;
    for (size_t i = 0; i < npaths && !x.rc; i++) {
        struct stat st;

        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) != 0) {
            x.rc = -errno;
            diag_err(d, "cannot read policy path '%s': %s", paths[i], strerror(errno));
        } else if (strcmp(paths[i], "-") != 0 && S_ISDIR(st.st_mode)) {
            if (pathwalk_dir(paths[i], file, &x, d) && !x.rc)
                x.rc = ERR_INVALID;
        } else {
            file(&x, paths[i]);
        }
    }
    polnets_index(pn);
    return x.rc;
}

int polnets_load_mem(struct polnets *pn, const char *name, const char *data, size_t len,
                     struct diag *d)
{
    struct pn_ctx x;
    struct ystream ys;

    memset(&x, 0, sizeof(x));
    x.pn = pn;
    x.d = d;
    memset(&ys, 0, sizeof(ys));
    stream(&x, &ys, ystream_load_mem(&ys, name, data, len, d));
    polnets_index(pn);
    return x.rc;
}

static int cidr_cmp(const void *x, const void *y)
{
    const struct cidr *a = x, *b = y;
    int c = ipaddr_cmp(&a->addr, &b->addr);

    return c ? c : (a->plen > b->plen) - (a->plen < b->plen);
}

/* Of from's CIDRs, those inside other's, appended to out. */
static int inside(const struct polnets *from, const struct polnets *other, struct polnets *out)
{
    for (size_t i = 0; i < from->n; i++) {
        if (!polnets_covers(other, &from->v[i]))
            continue;
        if (out->n >= LIM_KEEP_NETS)
            return ERR_LIMIT;
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        out->v[out->n++] = from->v[i];
    }
    return 0;
}

int polnets_intersect(const struct polnets *a, const struct polnets *b, struct polnets *out)
{
    size_t n = 0;
    int rc;

    polnets_init(out);
    rc = inside(a, b, out);
    if (!rc)
        rc = inside(b, a, out);
    if (out->n) {
        qsort(out->v, out->n, sizeof(*out->v), cidr_cmp);
        for (size_t i = 0; i < out->n; i++)
            if (!n || cidr_cmp(&out->v[n - 1], &out->v[i]) != 0)
                out->v[n++] = out->v[i];
        out->n = n;
    }
    polnets_index(out);
    return rc;
}

int polnets_record_kept(sqlite3 *db, const struct polnets *keep)
{
    char *redacted = NULL, *external = NULL, *before_text = NULL;
    struct polnets before, after;
    struct buf b;
    int rc = 0;

    polnets_init(&before);
    polnets_init(&after);
    buf_init(&b, 0);
    if (db_meta_get(db, "redacted", &redacted) != 0 ||
        db_meta_get(db, "redacted_external", &external) != 0 ||
        db_meta_get(db, "redaction_kept", &before_text) != 0)
        rc = ERR_DB;
    else if ((before_text && polnets_add_list(&before, before_text, "meta.redaction_kept")) ||
             polnets_after_redaction(redacted || (external && *external), &before, keep, &after) ||
             polnets_text(&after, &b) || buf_addch(&b, '\0'))
        rc = ERR_LIMIT;
    else if (after.n)
        rc = db_meta_set(db, "redaction_kept", b.data) ? ERR_DB : 0;
    else if (before_text)
        rc = sqlite3_exec(db, "DELETE FROM meta WHERE key = 'redaction_kept'", NULL, NULL, NULL) ==
                     SQLITE_OK
                 ? 0
                 : ERR_DB;
    buf_release(&b);
    polnets_release(&after);
    polnets_release(&before);
    free(before_text);
    free(external);
    free(redacted);
    return rc;
}

int polnets_text(const struct polnets *pn, struct buf *out)
{
    char buf[IPADDR_STRLEN + 8];

    for (size_t i = 0; i < pn->n; i++)
        if (buf_addf(out, "%s%s", i ? " " : "", cidr_format(&pn->v[i], buf)))
            return ERR_LIMIT;
    return 0;
}

int polnets_after_redaction(int was_redacted, const struct polnets *before,
                            const struct polnets *keep, struct polnets *out)
{
    static const struct polnets none;

    if (!keep)
        keep = &none;
    if (was_redacted)
        return polnets_intersect(before, keep, out);
    polnets_init(out);
    if (keep->n) {
        out->v = xreallocarray(NULL, keep->n, sizeof(*out->v));
        memcpy(out->v, keep->v, keep->n * sizeof(*out->v));
        out->n = out->alloc = keep->n;
    }
    polnets_index(out);
    return 0;
}

int polnets_contains(const struct polnets *pn, const struct ipaddr *a)
{
    if (pn->r)
        return range_of(pn, a->family, a->a) != NULL;
    for (size_t i = 0; i < pn->n; i++)
        if (cidr_contains(&pn->v[i], a))
            return 1;
    return 0;
}

int polnets_covers(const struct polnets *pn, const struct cidr *c)
{
    if (pn->r) {
        const struct polnets_range *r = range_of(pn, c->addr.family, c->addr.a);
        uint8_t last[16];
        unsigned bits = c->addr.family == 4 ? 32 : 128;

        if (!r)
            return 0;
        memcpy(last, c->addr.a, 16);
        for (unsigned b = c->plen; b < bits; b++)
            last[b / 8] |= (uint8_t)(0x80u >> (b % 8));
        return memcmp(last, r->hi, 16) <= 0;
    }
    for (size_t i = 0; i < pn->n; i++)
        if (pn->v[i].plen <= c->plen && cidr_contains(&pn->v[i], &c->addr))
            return 1;
    return 0;
}
