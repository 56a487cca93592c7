/*
 * inventory.c: the inventory model: tables of pods, namespaces, services,
 * EndpointSlices and nodes, kept sorted by name so that lookups bisect and
 * a later copy of an object replaces an earlier one.
 *
 * Loading appends; inv_finish() then sorts each table by (namespace, name,
 * load order) and keeps the last of each run.  Sorting once per file rather
 * than inserting in order keeps a 100k-pod inventory at n log n.
 */
#include "common/inventory.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/inv_int.h"
#include "common/xmalloc.h"
#include "common/compat.h"

void inventory_init(struct inventory *inv)
{
    memset(inv, 0, sizeof(*inv));
    arena_init(&inv->arena, 0);
}

void inv_pod_release(struct inv_pod *p)
{
    labels_release(&p->labels);
    free(p->ips);
    free(p->ports);
    p->ips = NULL;
    p->ports = NULL;
    p->nips = p->nports = 0;
}

void inv_namespace_release(struct inv_namespace *n)
{
    labels_release(&n->labels);
}

void inv_service_release(struct inv_service *s)
{
    labels_release(&s->labels);
    labels_release(&s->selector);
    free(s->ips);
    free(s->ext_ips);
    free(s->lb_ips);
    free(s->ports);
    s->ips = s->ext_ips = s->lb_ips = NULL;
    s->ports = NULL;
    s->nips = s->next_ips = s->nlb_ips = s->nports = 0;
}

void inv_slice_release(struct inv_slice *s)
{
    for (size_t i = 0; i < s->neps; i++)
        free(s->eps[i].addrs);
    free(s->eps);
    free(s->ports);
    s->eps = NULL;
    s->ports = NULL;
    s->neps = s->nports = 0;
}

void inv_node_release(struct inv_node *n)
{
    labels_release(&n->labels);
    free(n->addrs);
    free(n->pod_cidrs);
    n->addrs = NULL;
    n->pod_cidrs = NULL;
    n->naddrs = n->npod_cidrs = 0;
}

void inventory_release(struct inventory *inv)
{
    for (size_t i = 0; i < inv->npods; i++)
        inv_pod_release(&inv->pods[i]);
    for (size_t i = 0; i < inv->nnss; i++)
        inv_namespace_release(&inv->nss[i]);
    for (size_t i = 0; i < inv->nsvcs; i++)
        inv_service_release(&inv->svcs[i]);
    for (size_t i = 0; i < inv->nslices; i++)
        inv_slice_release(&inv->slices[i]);
    for (size_t i = 0; i < inv->nnodes; i++)
        inv_node_release(&inv->nodes[i]);
    free(inv->pods);
    free(inv->nss);
    free(inv->svcs);
    free(inv->slices);
    free(inv->nodes);
    free(inv->skipped);
    arena_release(&inv->arena);
    inventory_init(inv);
}

void inv_count_skipped(struct inventory *inv, const char *kind)
{
    inv->skipped_total++;
    for (size_t i = 0; i < inv->nskipped; i++) {
        if (!strcmp(inv->skipped[i].kind, kind)) {
            inv->skipped[i].count++;
            return;
        }
    }
    ALLOC_GROW(inv->skipped, inv->nskipped + 1, inv->askipped);
    inv->skipped[inv->nskipped].kind = arena_strdup(&inv->arena, kind);
    inv->skipped[inv->nskipped].count = 1;
    inv->nskipped++;
}

int inventory_skipped_text(const struct inventory *inv, struct buf *out)
{
    int rc = 0;

    for (size_t i = 0; i < inv->nskipped && !rc; i++)
        rc =
            buf_addf(out, "%s%s (%zu)", i ? ", " : "", inv->skipped[i].kind, inv->skipped[i].count);
    return rc;
}

uint8_t inventory_proto(const char *s)
{
    if (!strcmp(s, "TCP"))
        return 6;
    if (!strcmp(s, "UDP"))
        return 17;
    if (!strcmp(s, "SCTP"))
        return 132;
    return 0;
}

const char *inv_proto_name(uint8_t proto)
{
    switch (proto) {
    case 17:
        return "UDP";
    case 132:
        return "SCTP";
    default:
        return "TCP";
    }
}

/* ---- ordering ------------------------------------------------------------ */

static int cmp_seq(size_t a, size_t b)
{
    return a < b ? -1 : a > b;
}

/* Order by namespace, then name, then load order. */
static int cmp_nsname(const char *ans, const char *aname, size_t aseq, const char *bns,
                      const char *bname, size_t bseq)
{
    int c = strcmp(ans, bns);

    if (c)
        return c;
    c = strcmp(aname, bname);
    if (c)
        return c;
    return cmp_seq(aseq, bseq);
}

static int pod_cmp(const void *a, const void *b)
{
    const struct inv_pod *x = a, *y = b;

    return cmp_nsname(x->ns, x->name, x->seq, y->ns, y->name, y->seq);
}

static int svc_cmp(const void *a, const void *b)
{
    const struct inv_service *x = a, *y = b;

    return cmp_nsname(x->ns, x->name, x->seq, y->ns, y->name, y->seq);
}

static int slice_cmp(const void *a, const void *b)
{
    const struct inv_slice *x = a, *y = b;

    return cmp_nsname(x->ns, x->name, x->seq, y->ns, y->name, y->seq);
}

static int node_cmp(const void *a, const void *b)
{
    const struct inv_node *x = a, *y = b;

    return cmp_nsname("", x->name, x->seq, "", y->name, y->seq);
}

/* Implied namespaces sort before explicit ones, so an explicit Namespace
 * (whatever its load order) is the last of its run and wins. */
static int ns_cmp(const void *a, const void *b)
{
    const struct inv_namespace *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    if (x->implied != y->implied)
        return x->implied ? -1 : 1;
    return cmp_seq(x->seq, y->seq);
}

/*
 * Sort a table and keep the last element of each run of equal names.
 * same(a, b) says whether two elements name the same object; release()
 * frees a dropped element.
 */
static size_t sort_dedupe(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
                          int (*same)(const void *, const void *), void (*release)(void *))
{
    char *v = base;
    size_t out = 0;

    if (n == 0)
        return 0;
    qsort(v, n, size, cmp);
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && same(v + i * size, v + (i + 1) * size)) {
            release(v + i * size);
            continue;
        }
        if (out != i)
            memcpy(v + out * size, v + i * size, size);
        out++;
    }
    return out;
}

static int pod_same(const void *a, const void *b)
{
    const struct inv_pod *x = a, *y = b;

    return !strcmp(x->ns, y->ns) && !strcmp(x->name, y->name);
}

static int svc_same(const void *a, const void *b)
{
    const struct inv_service *x = a, *y = b;

    return !strcmp(x->ns, y->ns) && !strcmp(x->name, y->name);
}

static int slice_same(const void *a, const void *b)
{
    const struct inv_slice *x = a, *y = b;

    return !strcmp(x->ns, y->ns) && !strcmp(x->name, y->name);
}

static int node_same(const void *a, const void *b)
{
    const struct inv_node *x = a, *y = b;

    return !strcmp(x->name, y->name);
}

static int ns_same(const void *a, const void *b)
{
    const struct inv_namespace *x = a, *y = b;

    return !strcmp(x->name, y->name);
}

static void pod_rel(void *p)
{
    inv_pod_release(p);
}

static void svc_rel(void *p)
{
    inv_service_release(p);
}

static void slice_rel(void *p)
{
    inv_slice_release(p);
}

static void node_rel(void *p)
{
    inv_node_release(p);
}

static void ns_rel(void *p)
{
    inv_namespace_release(p);
}

/* Bisect a sorted table of n elements of size bytes for (ns, name); the
 * accessors give an element's namespace ("" for cluster-scoped kinds) and
 * name.  NULL when absent. */
static const void *inv_bsearch(const void *base, size_t n, size_t size, const char *ns,
                               const char *name, const char *(*get_ns)(const void *),
                               const char *(*get_name)(const void *))
{
    const char *v = base;
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const void *e = v + mid * size;
        int c = strcmp(ns, get_ns(e));
        if (!c)
            c = strcmp(name, get_name(e));
        if (!c)
            return e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static const char *no_ns(const void *e)
{
    (void)e;
    return "";
}

static const char *pod_ns(const void *e)
{
    return ((const struct inv_pod *)e)->ns;
}

static const char *pod_name(const void *e)
{
    return ((const struct inv_pod *)e)->name;
}

static const char *svc_ns(const void *e)
{
    return ((const struct inv_service *)e)->ns;
}

static const char *svc_name(const void *e)
{
    return ((const struct inv_service *)e)->name;
}

static const char *ns_name(const void *e)
{
    return ((const struct inv_namespace *)e)->name;
}

static const char *node_name(const void *e)
{
    return ((const struct inv_node *)e)->name;
}

const struct inv_pod *inventory_pod(const struct inventory *inv, const char *ns, const char *name)
{
    return inv_bsearch(inv->pods, inv->npods, sizeof(*inv->pods), ns ? ns : "default", name, pod_ns,
                       pod_name);
}

const struct inv_service *inventory_service(const struct inventory *inv, const char *ns,
                                            const char *name)
{
    return inv_bsearch(inv->svcs, inv->nsvcs, sizeof(*inv->svcs), ns ? ns : "default", name, svc_ns,
                       svc_name);
}

const struct inv_namespace *inventory_namespace(const struct inventory *inv, const char *name)
{
    return inv_bsearch(inv->nss, inv->nnss, sizeof(*inv->nss), "", name, no_ns, ns_name);
}

const struct inv_node *inventory_node(const struct inventory *inv, const char *name)
{
    return inv_bsearch(inv->nodes, inv->nnodes, sizeof(*inv->nodes), "", name, no_ns, node_name);
}

/* Append an implied namespace for name (deduplicated by inv_finish). */
static void add_implied(struct inventory *inv, const char *name)
{
    struct inv_namespace *n;

    ALLOC_GROW(inv->nss, inv->nnss + 1, inv->anss);
    n = &inv->nss[inv->nnss++];
    memset(n, 0, sizeof(*n));
    n->name = name; /* arena-owned already */
    labels_init(&n->labels);
    /* A name is at most LIM_YAML_SCALAR bytes but a label value at most
     * LIM_LABEL_VALUE; a longer one is left without the label. */
    if (labels_set(&n->labels, INV_NS_NAME_LABEL, name))
        labels_release(&n->labels);
    n->implied = 1;
    n->created_ns = INV_TIME_NONE;
    n->seq = inv->seq++;
}

void inv_finish(struct inventory *inv)
{
    const char *last = NULL;

    /* Implied namespaces: one per distinct namespace of a namespaced
     * object.  Pods first (sorted, so runs collapse cheaply). */
    inv->npods = sort_dedupe(inv->pods, inv->npods, sizeof(*inv->pods), pod_cmp, pod_same, pod_rel);
    inv->nsvcs = sort_dedupe(inv->svcs, inv->nsvcs, sizeof(*inv->svcs), svc_cmp, svc_same, svc_rel);
    inv->nslices = sort_dedupe(inv->slices, inv->nslices, sizeof(*inv->slices), slice_cmp,
                               slice_same, slice_rel);
    inv->nnodes =
        sort_dedupe(inv->nodes, inv->nnodes, sizeof(*inv->nodes), node_cmp, node_same, node_rel);
    for (size_t i = 0; i < inv->npods; i++) {
        if (!last || strcmp(last, inv->pods[i].ns))
            add_implied(inv, inv->pods[i].ns);
        last = inv->pods[i].ns;
    }
    last = NULL;
    for (size_t i = 0; i < inv->nsvcs; i++) {
        if (!last || strcmp(last, inv->svcs[i].ns))
            add_implied(inv, inv->svcs[i].ns);
        last = inv->svcs[i].ns;
    }
    last = NULL;
    for (size_t i = 0; i < inv->nslices; i++) {
        if (!last || strcmp(last, inv->slices[i].ns))
            add_implied(inv, inv->slices[i].ns);
        last = inv->slices[i].ns;
    }
    inv->nnss = sort_dedupe(inv->nss, inv->nnss, sizeof(*inv->nss), ns_cmp, ns_same, ns_rel);
}
