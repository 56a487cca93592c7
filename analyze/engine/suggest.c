/*
 * suggest.c: the smallest fix for what the current policies deny, and
 * least-privilege policies from traffic alone (suggest.h; the rules of
 * both are docs/semantics.md §18).
 *
 * The fix reads the engine's own explanation of each denial: the end that
 * denied, the tier, the policies that took part (the deciding one, or
 * every enforced policy of the tier that selected the endpoint at its end
 * of tier) and, per rule, the first criterion that failed.  The
 * destination port is the last criterion the engine tries (engine.c,
 * entity_match()), so an Allow rule whose only miss is "destination port"
 * (and not a notPorts) matches the flow once the port is added: that is
 * the widening.  Everything else falls back to a new rule in the deciding
 * policy, then to a new policy in the deciding tier.
 *
 * From scratch, every recorded flow between known endpoints becomes an
 * egress rule at a pod source and an ingress rule at a pod destination,
 * per (workload, peer, protocol), ports gathered and compacted.
 */
#include "analyze/engine/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* ---- results ----------------------------------------------------------- */

void sg_result_init(struct sg_result *r)
{
    memset(r, 0, sizeof(*r));
}

void sg_result_release(struct sg_result *r)
{
    size_t i, k;

    for (i = 0; i < r->nfiles; i++) {
        struct sg_file *f = &r->files[i];

        for (k = 0; k < f->nedits; k++)
            pw_edit_release(&f->edits[k]);
        free(f->edits);
        free(f->path);
        free(f->rel);
        free(f->text);
    }
    free(r->files);
    free(r->listed);
    for (i = 0; i < r->nchanges; i++)
        free(r->changes[i].text);
    free(r->changes);
    memset(r, 0, sizeof(*r));
}

void sg_result_add_file(struct sg_result *r, const char *path, const char *rel, char *text,
                        size_t len)
{
    struct sg_file *f;

    ALLOC_GROW(r->files, r->nfiles + 1, r->falloc);
    f = &r->files[r->nfiles++];
    memset(f, 0, sizeof(*f));
    f->path = path ? xstrdup(path) : NULL;
    f->rel = xstrdup(rel);
    f->text = text;
    f->len = len;
}

static void add_listed(struct sg_result *r, const struct flowset_flow *f, const char *why)
{
    ALLOC_GROW(r->listed, r->nlisted + 1, r->lalloc);
    r->listed[r->nlisted].f = f;
    r->listed[r->nlisted].why = why;
    r->nlisted++;
}

static int add_change(struct sg_result *r, const struct policy *pol, struct buf *b)
{
    ALLOC_GROW(r->changes, r->nchanges + 1, r->calloc);
    r->changes[r->nchanges].pol = pol;
    r->changes[r->nchanges++].text = buf_detach(b, NULL);
    return 0;
}

/* Add edit e to file f, keeping edits sorted by line (stable). */
static void file_add_edit(struct sg_file *f, struct pw_edit *e)
{
    size_t i;

    ALLOC_GROW(f->edits, f->nedits + 1, f->alloc);
    i = f->nedits;
    while (i > 0 && f->edits[i - 1].line > e->line) {
        f->edits[i] = f->edits[i - 1];
        i--;
    }
    f->edits[i] = *e;
    f->nedits++;
    memset(e, 0, sizeof(*e));
}

/* ---- selectors --------------------------------------------------------- */

/* Labels that differ between pods of one workload or between its
 * revisions (Kubernetes' well-known labels; a selector on them would
 * break at the next rollout). */
static const char *const volatile_keys[] = {
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-generation",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/job-completion-index",
};

/* Keys tried first, in order: the ones people select by. */
static const char *const preferred_keys[] = {
    "app.kubernetes.io/name", "k8s-app", "app", "app.kubernetes.io/component", "component", "name",
};

/* A label Kubernetes accepts (a case is untrusted; what is written must
 * read back as it was meant): key [prefix/]name, name and value at most
 * 63 of [A-Za-z0-9._-] starting and ending alphanumeric (value may be
 * empty), prefix a DNS subdomain. */
static int label_part_ok(const char *s, size_t n, int empty_ok, int slash_dots)
{
    size_t i;

    if (!n)
        return empty_ok;
    if (n > (slash_dots ? 253u : 63u))
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    (!slash_dots && c >= 'A' && c <= 'Z');

        if (!alnum && c != '-' && c != '.' && !(c == '_' && !slash_dots))
            return 0;
        if ((i == 0 || i == n - 1) && !alnum)
            return 0;
    }
    return 1;
}

static int label_ok(const char *k, const char *v)
{
    const char *slash = strchr(k, '/');

    if (slash && !label_part_ok(k, (size_t)(slash - k), 0, 1))
        return 0;
    if (slash)
        k = slash + 1;
    return label_part_ok(k, strlen(k), 0, 0) && label_part_ok(v, strlen(v), 1, 0);
}

/* A namespace or workload name Kubernetes accepts (a DNS subdomain):
 * names become file names and metadata.name. */
static int name_ok(const char *s)
{
    return s && label_part_ok(s, strlen(s), 0, 1);
}

static int is_volatile(const char *k)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(volatile_keys); i++)
        if (strcmp(k, volatile_keys[i]) == 0)
            return 1;
    return 0;
}

static const char *wl_name(const struct case_ep *e)
{
    return e->workload ? e->workload : e->name ? e->name : e->ip_text;
}

static const char *wl_kind(const struct case_ep *e)
{
    return e->workload ? (e->workload_kind ? e->workload_kind : "") : "Pod";
}

static int str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* 1 when a and b are pods of the same workload. */
static int same_wl(const struct case_ep *a, const struct case_ep *b)
{
    return a->kind == EP_POD && b->kind == EP_POD && str_eq(a->ns, b->ns) &&
           str_eq(wl_kind(a), wl_kind(b)) && str_eq(wl_name(a), wl_name(b));
}

/* 1 when every label of sel is on e with the same value. */
static int carries(const struct case_ep *e, const struct labels *sel)
{
    size_t i;

    for (i = 0; i < sel->n; i++) {
        const char *v = labels_get(&e->labels, sel->v[i].key);

        if (!v || strcmp(v, sel->v[i].value) != 0)
            return 0;
    }
    return 1;
}

/* 1 when no pod of another workload in w's namespace carries sel. */
static int exact(const struct case_ep *eps, size_t n, const struct case_ep *w,
                 const struct labels *sel)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (eps[i].kind == EP_POD && str_eq(eps[i].ns, w->ns) && !same_wl(&eps[i], w) &&
            carries(&eps[i], sel))
            return 0;
    return 1;
}

static int key_rank(const char *k)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(preferred_keys); i++)
        if (strcmp(k, preferred_keys[i]) == 0)
            return (int)i;
    return (int)ARRAY_SIZE(preferred_keys);
}

int sg_selector(const struct case_ep *eps, size_t n, const struct case_ep *w, struct labels *out)
{
    struct labels stable, pick;
    size_t i, k, *order = NULL, ns;
    int rc = 0;

    labels_init(out);
    labels_init(&stable);
    for (i = 0; i < w->labels.n; i++)
        if (!is_volatile(w->labels.v[i].key) &&
            label_ok(w->labels.v[i].key, w->labels.v[i].value) &&
            labels_set(&stable, w->labels.v[i].key, w->labels.v[i].value))
            goto out;
    /* Keep what every pod of the workload carries. */
    for (k = 0; k < n; k++) {
        if (!same_wl(&eps[k], w))
            continue;
        for (i = stable.n; i-- > 0;) {
            const char *v = labels_get(&eps[k].labels, stable.v[i].key);

            if (!v || strcmp(v, stable.v[i].value) != 0)
                labels_del(&stable, stable.v[i].key);
        }
    }
    if (!stable.n) {
        rc = -1;
        goto out;
    }
    /* Keys by preference, then as sorted. */
    ns = stable.n;
    order = xcalloc(ns, sizeof(*order));
    for (i = 0; i < ns; i++)
        order[i] = i;
    for (i = 1; i < ns; i++) {
        size_t j = i, v = order[i];

        while (j > 0 && key_rank(stable.v[order[j - 1]].key) > key_rank(stable.v[v].key)) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    /* One key, then two, else all of them. */
    for (i = 0; i < ns; i++) {
        labels_init(&pick);
        if (labels_set(&pick, stable.v[order[i]].key, stable.v[order[i]].value) == 0 &&
            exact(eps, n, w, &pick)) {
            *out = pick;
            rc = 1;
            goto out;
        }
        labels_release(&pick);
    }
    for (i = 0; i < ns; i++)
        for (k = i + 1; k < ns; k++) {
            labels_init(&pick);
            if (labels_set(&pick, stable.v[order[i]].key, stable.v[order[i]].value) == 0 &&
                labels_set(&pick, stable.v[order[k]].key, stable.v[order[k]].value) == 0 &&
                exact(eps, n, w, &pick)) {
                *out = pick;
                rc = 1;
                goto out;
            }
            labels_release(&pick);
        }
    labels_copy(out, &stable);
    rc = exact(eps, n, w, &stable);
out:
    free(order);
    labels_release(&stable);
    return rc;
}

/* ---- ports ------------------------------------------------------------- */

static int has_port(const uint16_t *h, size_t n, uint16_t p)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (h[mid] == p)
            return 1;
        if (h[mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

size_t sg_port_ranges(const uint16_t *p, size_t n, const uint16_t *honest, size_t nh,
                      struct port_match *out)
{
    size_t i = 0, k = 0;

    while (i < n) {
        uint16_t lo = p[i], hi = p[i];

        while (i + 1 < n) {
            uint32_t g;
            int ok = 1;

            for (g = (uint32_t)hi + 1; g < p[i + 1] && ok; g++)
                ok = has_port(honest, nh, (uint16_t)g);
            if (!ok)
                break;
            hi = p[++i];
        }
        out[k].lo = lo;
        out[k].hi = hi;
        out[k].name = NULL;
        k++;
        i++;
    }
    return k;
}

static int u16_cmp(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

    return x < y ? -1 : x > y;
}

/* Sort and make distinct; returns the new count. */
static size_t u16_uniq(uint16_t *v, size_t n)
{
    size_t i, k = 0;

    if (!n)
        return 0;
    qsort(v, n, sizeof(*v), u16_cmp);
    for (i = 0; i < n; i++)
        if (!k || v[k - 1] != v[i])
            v[k++] = v[i];
    return k;
}

/* The ports pods of workload w were seen receiving on (proto) in fs, and
 * the container ports they declare: the honest reading of a range. */
static size_t honest_ports(const struct flowset *fs, const struct case_ep *w, int proto,
                           uint16_t **out)
{
    uint16_t *v = NULL;
    size_t n = 0, alloc = 0, i, k;

    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];

        if (f->proto == proto && f->dst && same_wl(f->dst, w) && f->dst_port) {
            ALLOC_GROW(v, n + 1, alloc);
            v[n++] = f->dst_port;
        }
    }
    for (i = 0; i < fs->c.neps; i++) {
        const struct case_ep *e = &fs->c.eps[i];

        if (!same_wl(e, w))
            continue;
        for (k = 0; k < e->nports; k++)
            if (e->ports[k].proto == proto && e->ports[k].port) {
                ALLOC_GROW(v, n + 1, alloc);
                v[n++] = e->ports[k].port;
            }
    }
    *out = v;
    return u16_uniq(v, n);
}

/* ---- external networks ------------------------------------------------- */

void sg_ext_net(const struct ipaddr *ip, int prefix4, int prefix6, struct cidr *out)
{
    int plen = ip->family == 4 ? prefix4 : prefix6, max = ip->family == 4 ? 32 : 128, i;

    if (plen < 0 || plen > max)
        plen = max;
    memset(out, 0, sizeof(*out));
    out->addr = *ip;
    out->plen = (uint8_t)plen;
    for (i = plen; i < max; i++)
        out->addr.a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

void sg_netset_name(const struct cidr *c, char *name, size_t size)
{
    char t[IPADDR_STRLEN + 8], *p;

    cidr_format(c, t);
    for (p = t; *p; p++)
        if (*p == '.' || *p == ':' || *p == '/')
            *p = '-';
    snprintf(name, size, "podflow-ext-%s", t);
}

/* ---- describing flows for comments ------------------------------------ */

static const char *proto_word(int proto, char *tmp, size_t size)
{
    const char *n = ipproto_name(proto);

    if (n)
        return n;
    snprintf(tmp, size, "protocol %d", proto);
    return tmp;
}

/* "ns/workload" of an endpoint, or its address. */
static int end_text(const struct case_ep *e, const struct ipaddr *ip, struct buf *out)
{
    char b[IPADDR_STRLEN];

    if (e && e->kind == EP_POD)
        return buf_addf(out, "%s/%s", e->ns ? e->ns : "", wl_name(e));
    if (e && e->kind == EP_HOST)
        return buf_addf(out, "host %s", e->name ? e->name : ipaddr_format(ip, b));
    return buf_addstr(out, ipaddr_format(ip, b));
}

static int ports_text(const struct port_match *pm, size_t n, struct buf *out)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < n && !rc; i++) {
        if (pm[i].lo == pm[i].hi)
            rc = buf_addf(out, "%s%u", i ? ", " : "", pm[i].lo);
        else
            rc = buf_addf(out, "%s%u-%u", i ? ", " : "", pm[i].lo, pm[i].hi);
    }
    return rc;
}

/* ---- the fix ----------------------------------------------------------- */

enum plan_type { PL_WIDEN, PL_RULE, PL_POLICY };

/* One change: flows that one edit allows. */
struct plan {
    enum plan_type type;
    const struct policy *pol; /* the policy edited (PL_WIDEN, PL_RULE) */
    const struct tier *tier;  /* the deciding tier */
    int dir;
    size_t rule;               /* PL_WIDEN: the rule; PL_RULE: before it (SIZE_MAX: append) */
    const struct case_ep *E;   /* the judged end (an endpoint of the policy's workload) */
    const struct case_ep *P;   /* the peer, or NULL: an address */
    struct ipaddr peer_ip;     /* the peer's address (used when P is not a pod) */
    const struct case_ep *dst; /* the destination pod, for the honest ports, or NULL */
    int proto;
    uint16_t *ports; /* distinct (malloc'd) */
    size_t nports, palloc;
    uint64_t flows;
    const struct flowset_flow *first;
};

static int peer_same(const struct plan *p, const struct case_ep *P, const struct ipaddr *ip)
{
    if (p->P && P)
        return same_wl(p->P, P);
    if (p->P || P)
        return 0;
    return ipaddr_cmp(&p->peer_ip, ip) == 0;
}

/* The file of r holding policy pol, or NULL. */
static struct sg_file *file_of(struct sg_result *r, const struct policy *pol)
{
    size_t i;

    if (!pol->file)
        return NULL;
    for (i = 0; i < r->nfiles; i++)
        if (r->files[i].path && strcmp(r->files[i].path, pol->file) == 0)
            return &r->files[i];
    return NULL;
}

static int editable(struct sg_result *r, const struct policy *pol)
{
    return (pol->kind == POL_NP || pol->kind == POL_GNP) && !pol->staged && file_of(r, pol);
}

/* The peer of a plan as a rule's peer (labels into l, the nets into net). */
static int plan_peer(const struct flowset *fs, const struct plan *p, const char *pol_ns,
                     struct labels *l, struct cidr *net, struct pw_peer *out)
{
    memset(out, 0, sizeof(*out));
    labels_init(l);
    if (p->P && p->P->kind == EP_POD) {
        if (!name_ok(p->P->ns) || sg_selector(fs->c.eps, fs->c.neps, p->P, l) < 0)
            return -1;
        out->pod = l;
        if (!pol_ns || !str_eq(pol_ns, p->P->ns))
            out->ns = p->P->ns ? p->P->ns : "";
        return 0;
    }
    sg_ext_net(&p->peer_ip, 32, 128, net);
    out->nets = net;
    out->nnets = 1;
    return 0;
}

/* The ranges of a plan's ports, into *pm (malloc'd); *bridged set when a
 * range holds a port not among the plan's own. */
static size_t plan_ranges(const struct flowset *fs, struct plan *p, struct port_match **pm,
                          int *bridged)
{
    uint16_t *h = NULL;
    size_t nh = 0, n, i;

    p->nports = u16_uniq(p->ports, p->nports);
    if (p->dst)
        nh = honest_ports(fs, p->dst, p->proto, &h);
    *pm = xcalloc(p->nports ? p->nports : 1, sizeof(**pm));
    n = sg_port_ranges(p->ports, p->nports, h, nh, *pm);
    *bridged = 0;
    for (i = 0; i < n; i++)
        if ((size_t)((*pm)[i].hi - (*pm)[i].lo) + 1 > 1) {
            uint32_t q;

            for (q = (*pm)[i].lo; q <= (*pm)[i].hi; q++)
                if (!has_port(p->ports, p->nports, (uint16_t)q))
                    *bridged = 1;
        }
    free(h);
    return n;
}

static int plan_comment(const struct flowset *fs, const struct plan *p, const struct port_match *pm,
                        size_t n, int bridged, struct buf *out)
{
    char tmp[24];
    int rc;

    rc = buf_addf(out, "podflow suggest --fix: %s ", proto_word(p->proto, tmp, sizeof(tmp)));
    if (!rc)
        rc = ports_text(pm, n, out);
    if (!rc)
        rc = buf_addstr(out, " from ");
    if (!rc)
        rc = end_text(p->first->src, &p->first->src_ip, out);
    if (!rc)
        rc = buf_addstr(out, " to ");
    if (!rc)
        rc = end_text(p->first->dst, &p->first->dst_ip, out);
    if (!rc)
        rc = buf_addf(out, " (%llu flow%s denied)", (unsigned long long)p->flows,
                      p->flows == 1 ? "" : "s");
    if (!rc && n < p->nports && bridged)
        rc = buf_addf(out, "; a range only over ports %s/%s was seen on or declares",
                      p->dst->ns ? p->dst->ns : "", wl_name(p->dst));
    else if (!rc && n < p->nports)
        rc = buf_addstr(out, "; adjacent ports as a range");
    (void)fs;
    return rc;
}

/* A policy's name for people, "ns/name" or "name". */
static int pol_text(const struct policy *p, struct buf *out)
{
    return p->ns ? buf_addf(out, "%s/%s", p->ns, p->name) : buf_addstr(out, p->name);
}

/* The new policy of a PL_POLICY plan (or a fallback) as a new file. */
static int plan_new_policy(const struct flowset *fs, struct plan *p, const struct port_match *pm,
                           size_t npm, const char *comment, struct sg_result *r)
{
    struct labels sel, pl;
    struct cidr net;
    struct pw_rule rule;
    struct pw_policy pol;
    struct buf name, text, ch, rel;
    const struct policy *near = p->pol;
    int rc = 0;

    labels_init(&sel);
    if (!name_ok(p->E->ns) || !name_ok(wl_name(p->E))) {
        labels_release(&sel);
        add_listed(r, p->first, "a namespace or workload name Kubernetes would not accept");
        return 0;
    }
    if (sg_selector(fs->c.eps, fs->c.neps, p->E, &sel) < 0) {
        labels_release(&sel);
        add_listed(r, p->first, "the judged end has no stable labels to select it by");
        return 0;
    }
    memset(&rule, 0, sizeof(rule));
    if (plan_peer(fs, p, p->E->ns, &pl, &net, &rule.peer) < 0) {
        labels_release(&sel);
        labels_release(&pl);
        add_listed(r, p->first, "the peer has no stable labels to select it by");
        return 0;
    }
    rule.proto = p->proto;
    rule.ports = pm;
    rule.nports = npm;
    rule.comment = comment;
    buf_init(&name, 0);
    buf_init(&text, 0);
    buf_init(&ch, 0);
    buf_init(&rel, 0);
    if (strcmp(p->tier->name, "default") != 0)
        rc = buf_addf(&name, "%s.", p->tier->name);
    if (!rc)
        rc = buf_addf(&name, "podflow-fix-%s-%s", wl_name(p->E),
                      p->dir == DIR_EGRESS ? "egress" : "ingress");
    memset(&pol, 0, sizeof(pol));
    pol.kind = PW_CALICO;
    pol.name = name.data;
    pol.ns = p->E->ns;
    pol.tier = p->tier->name;
    /* Before the policy whose rule denied (§18.2); anywhere in the tier
     * for an end of tier, where none of its policies decides. */
    pol.has_order = 1;
    pol.order = near && near->has_order ? near->order - 1 : 1000;
    pol.select = &sel;
    pol.types = (unsigned)p->dir;
    if (p->dir == DIR_EGRESS) {
        pol.egress = &rule;
        pol.negress = 1;
    } else {
        pol.ingress = &rule;
        pol.ningress = 1;
    }
    pol.comment = "A new policy from podflow suggest --fix: the deciding policy could not be "
                  "edited in place.";
    if (!rc)
        rc = pw_policy_yaml(&pol, &text);
    if (!rc)
        rc = buf_addf(&rel, "podflow-fix-%s-%s-%s.yaml", p->E->ns, wl_name(p->E),
                      p->dir == DIR_EGRESS ? "egress" : "ingress");
    if (!rc)
        rc = buf_addf(&ch, "new policy %s/%s in tier %s (%s): ", p->E->ns, name.data, p->tier->name,
                      p->dir == DIR_EGRESS ? "egress" : "ingress");
    if (!rc)
        rc = ports_text(pm, npm, &ch);
    if (!rc) {
        size_t len;
        char *t = buf_detach(&text, &len);

        sg_result_add_file(r, NULL, rel.data, t, len);
        rc = add_change(r, p->pol, &ch);
    }
    buf_release(&name);
    buf_release(&text);
    buf_release(&ch);
    buf_release(&rel);
    labels_release(&sel);
    labels_release(&pl);
    return rc;
}

static int plan_apply(const struct flowset *fs, struct plan *p, struct sg_result *r, struct diag *d)
{
    struct port_match *pm = NULL;
    struct buf com, ch;
    struct pw_edit e;
    struct sg_file *f;
    size_t npm, i;
    int bridged, rc = 0, done = 0;

    npm = plan_ranges(fs, p, &pm, &bridged);
    buf_init(&com, 0);
    buf_init(&ch, 0);
    rc = plan_comment(fs, p, pm, npm, bridged, &com);
    if (!rc && p->type == PL_WIDEN) {
        char **items = xcalloc(npm, sizeof(*items));

        for (i = 0; i < npm; i++) {
            char b[24];

            if (pm[i].lo == pm[i].hi)
                snprintf(b, sizeof(b), "%u", pm[i].lo);
            else
                snprintf(b, sizeof(b), "\"%u:%u\"", pm[i].lo, pm[i].hi);
            items[i] = xstrdup(b);
        }
        f = file_of(r, p->pol);
        if (f && pw_edit_add_ports(f->path, f->text, f->len, p->pol, p->dir, p->rule,
                                   (const char *const *)items, npm, com.data, &e, d) == 0) {
            file_add_edit(f, &e);
            rc = buf_addf(&ch, "widened %s rule %zu of ",
                          p->dir == DIR_EGRESS ? "egress" : "ingress", p->rule);
            if (!rc)
                rc = pol_text(p->pol, &ch);
            if (!rc)
                rc = buf_addf(&ch, " [tier %s]: ports + ", p->tier->name);
            if (!rc)
                rc = ports_text(pm, npm, &ch);
            done = 1;
        } else {
            p->type = PL_RULE; /* fall back: a new rule after the last one */
            p->rule = SIZE_MAX;
        }
        for (i = 0; i < npm; i++)
            free(items[i]);
        free(items);
    }
    if (!rc && !done && p->type == PL_RULE) {
        struct labels pl;
        struct cidr net;
        struct pw_rule rule;

        memset(&rule, 0, sizeof(rule));
        f = file_of(r, p->pol);
        if (f && plan_peer(fs, p, p->pol->ns, &pl, &net, &rule.peer) == 0) {
            rule.proto = p->proto;
            rule.ports = pm;
            rule.nports = npm;
            rule.comment = com.data;
            if (pw_edit_insert_rule(f->path, f->text, f->len, p->pol, p->dir, p->rule, &rule, &e,
                                    d) == 0) {
                file_add_edit(f, &e);
                rc = buf_addf(&ch, "new %s rule in ", p->dir == DIR_EGRESS ? "egress" : "ingress");
                if (!rc)
                    rc = pol_text(p->pol, &ch);
                if (!rc)
                    rc = buf_addf(&ch, " [tier %s]", p->tier->name);
                if (!rc && p->rule != SIZE_MAX)
                    rc = buf_addf(&ch, " before its rule %zu", p->rule);
                if (!rc)
                    rc = buf_addstr(&ch, ": ports ");
                if (!rc)
                    rc = ports_text(pm, npm, &ch);
                done = 1;
            }
        }
        labels_release(&pl);
    }
    if (!rc && done)
        rc = add_change(r, p->pol, &ch);
    else if (!rc)
        rc = plan_new_policy(fs, p, pm, npm, com.data, r);
    buf_release(&com);
    buf_release(&ch);
    free(pm);
    return rc;
}

/* The plan for a flow's denied end, found or made. */
static struct plan *plan_get(struct plan **v, size_t *n, size_t *alloc, const struct plan *key)
{
    size_t i;
    struct plan *p;

    for (i = 0; i < *n; i++) {
        p = &(*v)[i];
        if (p->type == key->type && p->pol == key->pol && p->tier == key->tier &&
            p->dir == key->dir && p->rule == key->rule && p->proto == key->proto &&
            (key->type == PL_WIDEN || peer_same(p, key->P, &key->peer_ip)) &&
            (key->type != PL_POLICY || same_wl(p->E, key->E)) &&
            ((!p->dst && !key->dst) || (p->dst && key->dst && same_wl(p->dst, key->dst))))
            return p;
    }
    ALLOC_GROW(*v, *n + 1, *alloc);
    p = &(*v)[(*n)++];
    *p = *key;
    p->ports = NULL;
    p->nports = p->palloc = 0;
    p->flows = 0;
    return p;
}

static int port_in(const struct port_match *v, size_t n, uint16_t port)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!v[i].name && port >= v[i].lo && port <= v[i].hi)
            return 1;
    return 0;
}

/* Plan the fix of end e (direction dir) of flow f. */
static const char *plan_end(struct sg_result *r, const struct flowset_flow *f, int dir,
                            const struct eng_dir *e, struct plan **v, size_t *n, size_t *alloc)
{
    const struct case_ep *E = dir == DIR_EGRESS ? f->src : f->dst;
    const struct case_ep *P = dir == DIR_EGRESS ? f->dst : f->src;
    const struct policy *cands[64];
    size_t ncands = 0, k, i;
    size_t limit = SIZE_MAX;
    struct plan key, *p;

    if (e->reason != REASON_RULE && e->reason != REASON_END_OF_TIER)
        return e->reason == REASON_TO_HOST ? "denied by Felix's defaultEndpointToHostAction, not "
                                             "by a policy"
                                           : "dropped by the dataplane before policy";
    if (!E || E->kind != EP_POD || !e->dec.tier)
        return "the denied end is not a pod";
    memset(&key, 0, sizeof(key));
    key.tier = e->dec.tier;
    key.dir = dir;
    key.E = E;
    key.P = P && P->kind == EP_POD ? P : NULL;
    key.peer_ip = dir == DIR_EGRESS ? f->dst_ip : f->src_ip;
    key.dst = f->dst && f->dst->kind == EP_POD ? f->dst : NULL;
    key.proto = f->proto;
    key.first = f;
    if (e->reason == REASON_RULE) {
        cands[ncands++] = e->dec.pol;
        limit = (size_t)e->dec.rule;
    } else {
        for (k = 0; k < e->nselected && ncands < ARRAY_SIZE(cands); k++)
            cands[ncands++] = e->selected[k];
    }
    /* 1. An Allow rule of a policy in the denial that misses only the
     * destination port (§18.2). */
    if (f->dst_port && (f->proto == 6 || f->proto == 17 || f->proto == 132)) {
        for (k = 0; k < e->nx; k++) {
            const struct eng_xpol *x = &e->x[k];
            int in = 0;

            if (x->tier != e->dec.tier || x->staged)
                continue;
            for (i = 0; i < ncands; i++)
                in |= cands[i] == x->pol;
            if (!in || !editable(r, x->pol))
                continue;
            for (i = 0; i < x->nrules; i++) {
                const struct eng_xrule *xr = &x->rules[i];

                if (xr->action != ACT_ALLOW || xr->matched || !xr->field ||
                    strcmp(xr->field, "destination port") != 0 || (size_t)xr->index >= limit ||
                    port_in(xr->rule->dst.notports, xr->rule->dst.nnotports, f->dst_port))
                    continue;
                key.type = PL_WIDEN;
                key.pol = x->pol;
                key.rule = (size_t)xr->index;
                goto found;
            }
        }
    }
    /* 2. A new rule in the deciding policy: before the Deny rule that
     * decided, or after the last rule at an end of tier. */
    if (editable(r, e->dec.pol) && (P ? P->kind == EP_POD || P->kind != EP_SERVICE : 1)) {
        key.type = PL_RULE;
        key.pol = e->dec.pol;
        key.rule = e->reason == REASON_RULE ? (size_t)e->dec.rule : SIZE_MAX;
        goto found;
    }
    /* 3. A new policy in the deciding tier. */
    key.type = PL_POLICY;
    key.pol = e->dec.pol;
    key.rule = 0;
found:
    p = plan_get(v, n, alloc, &key);
    p->flows++;
    if (f->dst_port) {
        ALLOC_GROW(p->ports, p->nports + 1, p->palloc);
        p->ports[p->nports++] = f->dst_port;
    }
    return NULL;
}

int sg_fix(const struct flowset *fs, int cur, const struct sg_opts *o, struct sg_result *r,
           struct diag *d)
{
    struct plan *plans = NULL;
    size_t nplans = 0, alloc = 0, i;
    int rc = 0;

    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        const struct eng_verdict *v = f->v[cur];
        const char *why = NULL;

        if (v->verdict != VERDICT_DENY || (!o->denied_any && f->obs != OBS_FAILED))
            continue;
        r->targets++;
        if (v->via) {
            add_listed(r, f, "sent to a Service whose backend was not recorded");
            continue;
        }
        if (v->egress.judged && !v->egress.allow)
            why = plan_end(r, f, DIR_EGRESS, &v->egress, &plans, &nplans, &alloc);
        if (!why && v->ingress.judged && !v->ingress.allow)
            why = plan_end(r, f, DIR_INGRESS, &v->ingress, &plans, &nplans, &alloc);
        if (why)
            add_listed(r, f, why);
    }
    for (i = 0; i < nplans && !rc; i++)
        rc = plan_apply(fs, &plans[i], r, d);
    for (i = 0; i < nplans; i++)
        free(plans[i].ports);
    free(plans);
    return rc;
}

/* ---- from scratch ------------------------------------------------------ */

/* Namespaces whose workloads get no policy of their own: the cluster's
 * and Calico's (a capture sees only part of what they do). */
static const char *const system_ns[] = {"kube-system",     "calico-system",   "calico-apiserver",
                                        "tigera-operator", "kube-node-lease", "kube-public"};

static int is_system_ns(const char *ns)
{
    size_t i;

    for (i = 0; ns && i < ARRAY_SIZE(system_ns); i++)
        if (strcmp(ns, system_ns[i]) == 0)
            return 1;
    return 0;
}

struct swl {
    const struct case_ep *rep; /* the first pod seen of it */
    struct labels sel;         /* its selector (owned) */
    int sel_rc;                /* sg_selector()'s */
    size_t first_rule;         /* its rules are linked from here (SIZE_MAX: none) */
};

enum { PEER_WL, PEER_NET };

struct srule {
    size_t wl; /* whose */
    int dir;
    int peer_kind;
    size_t peer; /* workload or network set index */
    int proto;
    uint16_t *ports;
    size_t nports, palloc;
    uint64_t flows;
    const struct flowset_flow *first;
    size_t next; /* the workload's next rule, SIZE_MAX at the end */
};

struct scratch {
    const struct flowset *fs;
    const struct sg_opts *o;
    struct swl *wls;
    size_t nwls, wlalloc;
    struct htab wlidx;
    struct srule *rules;
    size_t nrules, ralloc;
    struct htab ruleidx;
    struct cidr *nets;
    size_t nnets, nalloc;
    struct htab netidx;
};

static uint64_t wl_hash(const struct case_ep *e)
{
    uint64_t h = hash_str(e->ns ? e->ns : "", 1);

    h = hash_str(wl_kind(e), h);
    return hash_str(wl_name(e), h);
}

static size_t wl_get(struct scratch *s, const struct case_ep *e)
{
    uint64_t h = wl_hash(e);
    struct htab_iter it;
    uint32_t j;
    struct swl *w;

    for (j = htab_first(&s->wlidx, h, &it); j != HTAB_NONE; j = htab_next(&s->wlidx, &it))
        if (same_wl(s->wls[j].rep, e))
            return j;
    ALLOC_GROW(s->wls, s->nwls + 1, s->wlalloc);
    w = &s->wls[s->nwls];
    memset(w, 0, sizeof(*w));
    w->rep = e;
    w->sel_rc = sg_selector(s->fs->c.eps, s->fs->c.neps, e, &w->sel);
    w->first_rule = SIZE_MAX;
    htab_add(&s->wlidx, h, (uint32_t)s->nwls);
    return s->nwls++;
}

static size_t net_get(struct scratch *s, const struct ipaddr *ip)
{
    struct cidr c;
    uint64_t h;
    struct htab_iter it;
    uint32_t j;

    sg_ext_net(ip, s->o->prefix4, s->o->prefix6, &c);
    h = hash_bytes(&c, sizeof(c), 7);
    for (j = htab_first(&s->netidx, h, &it); j != HTAB_NONE; j = htab_next(&s->netidx, &it))
        if (s->nets[j].plen == c.plen && ipaddr_cmp(&s->nets[j].addr, &c.addr) == 0)
            return j;
    ALLOC_GROW(s->nets, s->nnets + 1, s->nalloc);
    s->nets[s->nnets] = c;
    htab_add(&s->netidx, h, (uint32_t)s->nnets);
    return s->nnets++;
}

static void rule_add(struct scratch *s, size_t wl, int dir, int peer_kind, size_t peer, int proto,
                     uint16_t port, const struct flowset_flow *f)
{
    uint64_t h = hash_u64(((uint64_t)wl << 34) ^ ((uint64_t)peer << 3) ^
                              (uint64_t)(unsigned)(dir * 2 + peer_kind) ^ ((uint64_t)proto << 56),
                          0);
    struct htab_iter it;
    uint32_t j;
    struct srule *r = NULL;

    for (j = htab_first(&s->ruleidx, h, &it); j != HTAB_NONE; j = htab_next(&s->ruleidx, &it)) {
        struct srule *c = &s->rules[j];

        if (c->wl == wl && c->dir == dir && c->peer_kind == peer_kind && c->peer == peer &&
            c->proto == proto) {
            r = c;
            break;
        }
    }
    if (!r) {
        size_t k;

        ALLOC_GROW(s->rules, s->nrules + 1, s->ralloc);
        r = &s->rules[s->nrules];
        memset(r, 0, sizeof(*r));
        r->wl = wl;
        r->dir = dir;
        r->peer_kind = peer_kind;
        r->peer = peer;
        r->proto = proto;
        r->first = f;
        r->next = SIZE_MAX;
        /* Link at the end of the workload's list: rules keep flow order. */
        if (s->wls[wl].first_rule == SIZE_MAX) {
            s->wls[wl].first_rule = s->nrules;
        } else {
            for (k = s->wls[wl].first_rule; s->rules[k].next != SIZE_MAX; k = s->rules[k].next)
                ;
            s->rules[k].next = s->nrules;
        }
        htab_add(&s->ruleidx, h, (uint32_t)s->nrules);
        s->nrules++;
    }
    r->flows++;
    if (port && (proto == 6 || proto == 17 || proto == 132)) {
        ALLOC_GROW(r->ports, r->nports + 1, r->palloc);
        r->ports[r->nports++] = port;
        if (r->nports > 64)
            r->nports = u16_uniq(r->ports, r->nports);
    }
}

/* One end's role from scratch: a workload's index, an external network,
 * or something not expressed (why). */
struct send {
    int kind; /* 0 pod, 1 net, -1 not expressed */
    size_t idx;
    const char *why;
};

static void end_of(struct scratch *s, const struct case_ep *e, const struct ipaddr *ip,
                   struct send *out)
{
    memset(out, 0, sizeof(*out));
    if (e && e->kind == EP_POD && (!name_ok(e->ns) || !name_ok(wl_name(e)))) {
        out->kind = -1;
        out->why = "a namespace or workload name Kubernetes would not accept";
        return;
    }
    if (e && e->kind == EP_POD && e->ns) {
        out->kind = 0;
        out->idx = wl_get(s, e);
        if (s->wls[out->idx].sel_rc < 0) {
            out->kind = -1;
            out->why = "a pod without stable labels to select it by";
        }
        return;
    }
    if (e && e->kind == EP_HOST) {
        out->kind = -1;
        out->why = "host traffic (a node's address): not expressed";
        return;
    }
    if (e && e->kind == EP_SERVICE) {
        out->kind = -1;
        out->why = "sent to a Service whose backend is not known";
        return;
    }
    if (!e && case_pod_network(&s->fs->c, ip)) {
        out->kind = -1;
        out->why = "an address in a pod network without an identity";
        return;
    }
    out->kind = 1;
    out->idx = net_get(s, ip);
}

static void scratch_flow(struct scratch *s, struct sg_result *res, const struct flowset_flow *f,
                         const struct case_ep *dst, const struct ipaddr *dst_ip, uint16_t port)
{
    struct send a, b;

    end_of(s, f->src, &f->src_ip, &a);
    end_of(s, dst, dst_ip, &b);
    if (a.kind < 0 || b.kind < 0) {
        add_listed(res, f, a.kind < 0 ? a.why : b.why);
        return;
    }
    if (a.kind == 1 && b.kind == 1) {
        add_listed(res, f, "neither end is a pod");
        return;
    }
    if (a.kind == 0 && !is_system_ns(s->wls[a.idx].rep->ns))
        rule_add(s, a.idx, DIR_EGRESS, b.kind == 0 ? PEER_WL : PEER_NET, b.idx, f->proto, port, f);
    if (b.kind == 0 && !is_system_ns(s->wls[b.idx].rep->ns))
        rule_add(s, b.idx, DIR_INGRESS, a.kind == 0 ? PEER_WL : PEER_NET, a.idx, f->proto, port, f);
}

static int wl_cmp_name(const struct swl *a, const struct swl *b)
{
    int c = strcmp(a->rep->ns, b->rep->ns);

    return c ? c : strcmp(wl_name(a->rep), wl_name(b->rep));
}

/* Write one rule of workload w. */
static int scratch_rule(struct scratch *s, const struct swl *w, struct srule *r,
                        struct pw_rule *out, struct labels *nl, struct port_match **pm,
                        struct buf *com)
{
    char tmp[24], name[80];
    int rc;

    memset(out, 0, sizeof(*out));
    r->nports = u16_uniq(r->ports, r->nports);
    *pm = xcalloc(r->nports ? r->nports : 1, sizeof(**pm));
    out->nports = sg_port_ranges(r->ports, r->nports, NULL, 0, *pm);
    out->ports = *pm;
    out->proto = r->proto;
    labels_init(nl);
    if (r->peer_kind == PEER_WL) {
        const struct swl *p = &s->wls[r->peer];

        out->peer.pod = &p->sel;
        if (!str_eq(p->rep->ns, w->rep->ns))
            out->peer.ns = p->rep->ns;
    } else {
        sg_netset_name(&s->nets[r->peer], name, sizeof(name));
        if (labels_set(nl, "podflow.io/network-set", name + strlen("podflow-ext-")))
            return ERR_LIMIT;
        if (s->o->kind == PW_CALICO || s->o->kind == PW_CALICO_STAGED) {
            out->peer.pod = nl;
            out->peer.global_set = 1;
        }
        out->peer.nets = &s->nets[r->peer];
        out->peer.nnets = 1;
    }
    buf_reset(com);
    rc = buf_addf(com, "%llu recorded flow%s, e.g. ", (unsigned long long)r->flows,
                  r->flows == 1 ? "" : "s");
    if (!rc)
        rc = end_text(r->first->src, &r->first->src_ip, com);
    if (!rc)
        rc = buf_addstr(com, " -> ");
    if (!rc)
        rc = end_text(r->first->dst, &r->first->dst_ip, com);
    if (!rc)
        rc = buf_addf(com, " %s", proto_word(r->proto, tmp, sizeof(tmp)));
    if (!rc && r->nports)
        rc = buf_addf(com, " %u", r->first->dst_port);
    if (!rc && r->peer_kind == PEER_WL && r->dir == DIR_EGRESS &&
        str_eq(labels_get(&s->wls[r->peer].rep->labels, "k8s-app"), "kube-dns"))
        rc = buf_addstr(com, " (DNS to kube-dns)");
    if (!rc && r->peer_kind == PEER_WL && s->wls[r->peer].sel_rc == 0)
        rc = buf_addstr(com, "\nnote: the peer's selector also matches pods of another workload");
    if (!rc && r->peer_kind == PEER_NET && s->o->kind != PW_CALICO &&
        s->o->kind != PW_CALICO_STAGED)
        rc = buf_addstr(com, "\nan ipBlock: Kubernetes policies have no network sets");
    if (!rc && (r->proto != 6 && r->proto != 17 && r->proto != 132) &&
        (s->o->kind == PW_K8S || s->o->kind == PW_K8S_STAGED))
        rc = buf_addstr(com, "\nKubernetes policies cannot name this protocol: any protocol "
                             "to this peer");
    out->comment = com->data;
    return rc;
}

static int scratch_write(struct scratch *s, struct sg_result *res)
{
    const struct sg_opts *o = s->o;
    int calico = o->kind == PW_CALICO || o->kind == PW_CALICO_STAGED;
    size_t *order, i, k, j;
    struct buf text, name, rel, hdr;
    int rc = 0;

    buf_init(&text, 0);
    buf_init(&name, 0);
    buf_init(&rel, 0);
    buf_init(&hdr, 0);
    if (calico) {
        rc = pw_tier_yaml(o->tier, o->tier_order,
                          "The tier of podflow's suggested policies (podflow-analyze suggest).",
                          &text);
        if (!rc) {
            size_t len;
            char *t = buf_detach(&text, &len);

            sg_result_add_file(res, NULL, "00-tier.yaml", t, len);
        }
    }
    if (!rc && calico && s->nnets) {
        buf_init(&text, 0);
        for (i = 0; i < s->nnets && !rc; i++) {
            struct labels l;
            char nm[80];

            sg_netset_name(&s->nets[i], nm, sizeof(nm));
            labels_init(&l);
            rc = labels_set(&l, "podflow.io/network-set", nm + strlen("podflow-ext-"));
            if (!rc)
                rc = pw_netset_yaml(nm, &l, &s->nets[i], 1,
                                    "External addresses seen in the recorded traffic.", &text);
            labels_release(&l);
        }
        if (!rc) {
            size_t len;
            char *t = buf_detach(&text, &len);

            sg_result_add_file(res, NULL, "10-network-sets.yaml", t, len);
            res->netsets = s->nnets;
        }
    }
    /* Workloads in (namespace, name) order; one file per namespace. */
    order = xcalloc(s->nwls ? s->nwls : 1, sizeof(*order));
    for (i = 0; i < s->nwls; i++)
        order[i] = i;
    for (i = 1; i < s->nwls; i++) {
        size_t v = order[i];

        j = i;
        while (j > 0 && wl_cmp_name(&s->wls[order[j - 1]], &s->wls[v]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    buf_init(&text, 0);
    for (i = 0; i < s->nwls && !rc; i++) {
        struct swl *w = &s->wls[order[i]];
        struct pw_rule *in = NULL, *eg = NULL;
        struct labels *nls = NULL;
        struct port_match **pms = NULL;
        struct buf *coms = NULL;
        struct pw_policy pol;
        size_t nr = 0, nin = 0, neg = 0, r;

        if (w->first_rule == SIZE_MAX || is_system_ns(w->rep->ns))
            goto next;
        for (k = w->first_rule; k != SIZE_MAX; k = s->rules[k].next)
            nr++;
        in = xcalloc(nr, sizeof(*in));
        eg = xcalloc(nr, sizeof(*eg));
        nls = xcalloc(nr, sizeof(*nls));
        pms = xcalloc(nr, sizeof(*pms));
        coms = xcalloc(nr, sizeof(*coms));
        for (r = 0, k = w->first_rule; k != SIZE_MAX && !rc; k = s->rules[k].next, r++) {
            struct srule *sr = &s->rules[k];

            buf_init(&coms[r], 0);
            rc = scratch_rule(s, w, sr, sr->dir == DIR_INGRESS ? &in[nin] : &eg[neg], &nls[r],
                              &pms[r], &coms[r]);
            if (sr->dir == DIR_INGRESS)
                nin++;
            else
                neg++;
        }
        buf_reset(&name);
        if (!rc && calico && strcmp(o->tier, "default") != 0)
            rc = buf_addf(&name, "%s.", o->tier);
        if (!rc)
            rc = buf_addf(&name, "%s", wl_name(w->rep));
        buf_reset(&hdr);
        if (!rc)
            rc = buf_addf(&hdr,
                          "%s %s/%s: least privilege from the recorded traffic "
                          "(podflow-analyze suggest).",
                          wl_kind(w->rep), w->rep->ns, wl_name(w->rep));
        if (!rc && w->sel_rc == 0)
            rc = buf_addstr(&hdr, "\nnote: its selector also matches pods of another workload.");
        memset(&pol, 0, sizeof(pol));
        pol.kind = o->kind;
        pol.name = name.data;
        pol.ns = w->rep->ns;
        pol.tier = calico ? o->tier : NULL;
        pol.has_order = calico;
        pol.order = 100;
        pol.select = &w->sel;
        pol.types = DIR_INGRESS | DIR_EGRESS;
        pol.ingress = in;
        pol.ningress = nin;
        pol.egress = eg;
        pol.negress = neg;
        pol.comment = hdr.data;
        if (!rc)
            rc = pw_policy_yaml(&pol, &text);
        res->policies++;
        res->rules += nr;
        for (r = 0; r < nr; r++) {
            labels_release(&nls[r]);
            free(pms[r]);
            buf_release(&coms[r]);
        }
        free(in);
        free(eg);
        free(nls);
        free(pms);
        free(coms);
    next:
        /* The namespace's file ends with its last workload. */
        if (!rc && text.len &&
            (i + 1 == s->nwls || strcmp(s->wls[order[i + 1]].rep->ns, w->rep->ns) != 0)) {
            size_t len;
            char *t;

            buf_reset(&rel);
            rc = buf_addf(&rel, "%s.yaml", w->rep->ns);
            t = buf_detach(&text, &len);
            if (!rc)
                sg_result_add_file(res, NULL, rel.data, t, len);
            else
                free(t);
            buf_init(&text, 0);
        }
    }
    free(order);
    buf_release(&text);
    buf_release(&name);
    buf_release(&rel);
    buf_release(&hdr);
    return rc;
}

int sg_scratch(const struct flowset *fs, int cur, const struct sg_opts *o, struct sg_result *res)
{
    struct scratch s;
    size_t i;
    int rc;

    (void)cur;
    memset(&s, 0, sizeof(s));
    s.fs = fs;
    s.o = o;
    htab_init(&s.wlidx);
    htab_init(&s.ruleidx);
    htab_init(&s.netidx);
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];

        if (f->ef.svc && (!f->dst || f->dst->kind == EP_SERVICE)) {
            /* A Service without the translation: its ready backends (§12). */
            struct case_backend b[LIM_SVC_BACKENDS];
            size_t nb = case_svc_backends(&fs->c, f->ef.svc, f->ef.svc_port, f->first_ns, b,
                                          ARRAY_SIZE(b)),
                   k;

            if (!nb || nb > ARRAY_SIZE(b)) {
                add_listed(res, f,
                           nb ? "a Service with more backends than podflow judges"
                              : "a Service with no ready backend at the flow's time");
                continue;
            }
            for (k = 0; k < nb; k++)
                scratch_flow(&s, res, f, b[k].ep, &b[k].sep->ip, b[k].port);
            continue;
        }
        scratch_flow(&s, res, f, f->dst, &f->dst_ip, f->dst_port);
    }
    rc = scratch_write(&s, res);
    for (i = 0; i < s.nwls; i++)
        labels_release(&s.wls[i].sel);
    for (i = 0; i < s.nrules; i++)
        free(s.rules[i].ports);
    free(s.wls);
    free(s.rules);
    free(s.nets);
    htab_release(&s.wlidx);
    htab_release(&s.ruleidx);
    htab_release(&s.netidx);
    return rc;
}

/* ---- the proof --------------------------------------------------------- */

/* What a set does, staged policies counted as enforced. */
static const struct eng_verdict *effective(const struct eng_verdict *v)
{
    return v->staged ? v->staged : v;
}

static int listed(const struct sg_result *r, const struct flowset_flow *f)
{
    size_t i;

    for (i = 0; i < r->nlisted; i++)
        if (r->listed[i].f == f)
            return 1;
    return 0;
}

struct bwl {
    const struct case_ep *rep;
    uint16_t *ports[3]; /* TCP, UDP, SCTP: seen or declared (malloc'd) */
    size_t nports[3], alloc[3];
};

static int pidx(int proto)
{
    return proto == 6 ? 0 : proto == 17 ? 1 : proto == 132 ? 2 : -1;
}

static const int pnum[3] = {6, 17, 132};

static void breadth(const struct flowset *fs, int before, int after, int fix, struct sg_proof *p)
{
    struct bwl *w = NULL;
    size_t nw = 0, alloc = 0, i, k, q;
    struct htab idx, seen;
    uint64_t cand = 0;
    uint64_t *seenkeys = NULL;
    size_t nseen = 0, salloc = 0;

    htab_init(&idx);
    htab_init(&seen);
    /* Workloads of the case, one representative pod each. */
    for (i = 0; i < fs->c.neps; i++) {
        const struct case_ep *e = &fs->c.eps[i];
        uint64_t h;
        struct htab_iter it;
        uint32_t j;

        if (e->kind != EP_POD || !e->ns)
            continue;
        h = wl_hash(e);
        for (j = htab_first(&idx, h, &it); j != HTAB_NONE; j = htab_next(&idx, &it))
            if (same_wl(w[j].rep, e))
                break;
        if (j == HTAB_NONE) {
            ALLOC_GROW(w, nw + 1, alloc);
            memset(&w[nw], 0, sizeof(w[nw]));
            w[nw].rep = e;
            htab_add(&idx, h, (uint32_t)nw);
            j = (uint32_t)nw++;
        }
        for (k = 0; k < e->nports; k++) {
            int x = pidx(e->ports[k].proto);

            if (x >= 0 && e->ports[k].port) {
                ALLOC_GROW(w[j].ports[x], w[j].nports[x] + 1, w[j].alloc[x]);
                w[j].ports[x][w[j].nports[x]++] = e->ports[k].port;
            }
        }
    }
    /* Ports seen, and the (source, destination, protocol, port) seen. */
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        int x = pidx(f->proto);
        uint32_t a = HTAB_NONE, b = HTAB_NONE;
        struct htab_iter it;

        if (x < 0 || !f->src || !f->dst || f->src->kind != EP_POD || f->dst->kind != EP_POD)
            continue;
        for (a = htab_first(&idx, wl_hash(f->src), &it); a != HTAB_NONE; a = htab_next(&idx, &it))
            if (same_wl(w[a].rep, f->src))
                break;
        for (b = htab_first(&idx, wl_hash(f->dst), &it); b != HTAB_NONE; b = htab_next(&idx, &it))
            if (same_wl(w[b].rep, f->dst))
                break;
        if (a == HTAB_NONE || b == HTAB_NONE)
            continue;
        ALLOC_GROW(w[b].ports[x], w[b].nports[x] + 1, w[b].alloc[x]);
        w[b].ports[x][w[b].nports[x]++] = f->dst_port;
        ALLOC_GROW(seenkeys, nseen + 1, salloc);
        seenkeys[nseen] =
            ((uint64_t)a << 40) | ((uint64_t)b << 18) | ((uint64_t)x << 16) | f->dst_port;
        htab_add(&seen, hash_u64(seenkeys[nseen], 0), (uint32_t)nseen);
        nseen++;
    }
    for (i = 0; i < nw; i++)
        for (q = 0; q < 3; q++) {
            w[i].nports[q] = u16_uniq(w[i].ports[q], w[i].nports[q]);
            cand += (uint64_t)nw * w[i].nports[q];
        }
    p->candidates = cand;
    if (cand > LIM_SUGGEST_BREADTH) {
        p->breadth_skipped = 1;
        goto out;
    }
    for (i = 0; i < nw; i++)
        for (k = 0; k < nw; k++)
            for (q = 0; q < 3; q++) {
                size_t j;

                for (j = 0; j < w[k].nports[q]; j++) {
                    struct eng_flow ef;
                    const struct eng_verdict *va;
                    uint64_t key = ((uint64_t)i << 40) | ((uint64_t)k << 18) | ((uint64_t)q << 16) |
                                   w[k].ports[q][j];
                    struct htab_iter it;
                    uint32_t s;
                    int was_seen = 0;

                    for (s = htab_first(&seen, hash_u64(key, 0), &it); s != HTAB_NONE;
                         s = htab_next(&seen, &it))
                        if (seenkeys[s] == key) {
                            was_seen = 1;
                            break;
                        }
                    if (was_seen) {
                        p->seen++;
                        continue;
                    }
                    memset(&ef, 0, sizeof(ef));
                    ef.src = w[i].rep;
                    ef.dst = w[k].rep;
                    ef.src_ip = w[i].rep->ip;
                    ef.dst_ip = w[k].rep->ip;
                    ef.proto = pnum[q];
                    ef.src_port = 0;
                    ef.dst_port = w[k].ports[q][j];
                    ef.icmp_type = ef.icmp_code = -1;
                    ef.t = w[k].rep->has_from ? w[k].rep->from_ns : 0;
                    va = effective(engine_judge(fs->e[after], &ef));
                    if (va->verdict != VERDICT_ALLOW)
                        continue;
                    if (fix &&
                        effective(engine_judge(fs->e[before], &ef))->verdict == VERDICT_ALLOW)
                        continue;
                    p->unseen_allowed++;
                }
            }
out:
    for (i = 0; i < nw; i++)
        for (q = 0; q < 3; q++)
            free(w[i].ports[q]);
    free(w);
    free(seenkeys);
    htab_release(&idx);
    htab_release(&seen);
}

void sg_prove(const struct flowset *fs, int before, int after, int fix, const struct sg_opts *o,
              const struct sg_result *r, struct sg_proof *p)
{
    size_t i;

    memset(p, 0, sizeof(*p));
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        const struct eng_verdict *vb = f->v[before], *va = effective(f->v[after]);
        int must;

        p->flows++;
        if (fix) {
            int c = flowset_classify(f->obs, vb, va);

            if (c >= 0)
                p->cls[c]++;
            must = vb->verdict == VERDICT_DENY && (o->denied_any || f->obs == OBS_FAILED);
        } else {
            must = 1;
        }
        if (!must || listed(r, f))
            continue;
        p->expected++;
        if (va->verdict == VERDICT_ALLOW)
            p->allowed++;
        else if (p->nfailed < ARRAY_SIZE(p->failed))
            p->failed[p->nfailed++] = f;
    }
    breadth(fs, before, after, fix, p);
}
