/*
 * graph.c: build the service graph from judged flows, write it as DOT and
 * lay it out into SVG with graphviz (libgvc / libcgraph).
 *
 * Flows fold into (source node, destination node, protocol, port) first so
 * that a port's colour says whether its flows agree; ports of one colour
 * between the same two nodes then share an edge, so engine -> core shows a
 * green 7070 edge and a red 42001-42002 edge rather than one amber edge.
 */
#include "analyze/out/graph.h"

#include <stdlib.h>
#include <string.h>

#include <gvc.h>

#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

const char *graph_color_name(enum graph_color c)
{
    switch (c) {
    case GC_ALLOW:
        return "allow";
    case GC_DENY:
        return "deny";
    case GC_MIXED:
        return "mixed";
    case GC_BREAK:
        return "would-break";
    case GC_NEWDENY:
        return "newly-denied";
    case GC_FIX:
        return "would-fix";
    case GC_NEWALLOW:
        return "newly-allowed";
    case GC_UNKNOWN:
        return "unknown";
    }
    return "mixed";
}

/* Green and red for the verdicts, amber for a mix; the changes in hues
 * apart from those and from each other: purple for what breaks, dark red
 * for a new denial, blue for a fix, teal for a new allowance. */
const char *graph_color_hex(enum graph_color c)
{
    switch (c) {
    case GC_ALLOW:
        return "#2e8b57";
    case GC_DENY:
        return "#d0312d";
    case GC_MIXED:
        return "#e69500";
    case GC_BREAK:
        return "#9c27b0";
    case GC_NEWDENY:
        return "#7f1d1d";
    case GC_FIX:
        return "#1f6fd1";
    case GC_NEWALLOW:
        return "#0f9d9a";
    case GC_UNKNOWN:
        return "#808080";
    }
    return "#e69500";
}

/* ---- a string -> value table (common/htab.h over malloc'd keys) -------- */

struct smap {
    char **keys;  /* malloc'd, each malloc'd */
    size_t *vals; /* malloc'd */
    size_t n, alloc;
    struct htab idx; /* hash of the key -> index in keys */
};

/* The value of key, or val after inserting it (*created says which). */
static size_t smap_get(struct smap *m, const char *key, size_t val, int *created)
{
    uint64_t h = hash_str(key, 0);
    struct htab_iter it;

    for (uint32_t j = htab_first(&m->idx, h, &it); j != HTAB_NONE; j = htab_next(&m->idx, &it)) {
        if (strcmp(m->keys[j], key) == 0) {
            *created = 0;
            return m->vals[j];
        }
    }
    ALLOC_GROW(m->keys, m->n + 1, m->alloc);
    m->vals = xreallocarray(m->vals, m->alloc, sizeof(*m->vals));
    m->keys[m->n] = xstrdup(key);
    m->vals[m->n] = val;
    htab_add(&m->idx, h, (uint32_t)m->n);
    m->n++;
    *created = 1;
    return val;
}

static void smap_release(struct smap *m)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    htab_release(&m->idx);
    memset(m, 0, sizeof(*m));
}

/* ---- building ------------------------------------------------------------ */

struct builder {
    struct graph *g;
    const struct policy_set *ps; /* -p: whose network sets name addresses */
    size_t nodes_alloc, ports_alloc, edges_alloc;
    struct smap nodes, ports, edges, members;
    struct smap sets; /* address -> 1 + its network set's entry in names, or 0 */
    char **names;     /* network sets' node names (malloc'd, each malloc'd) */
    size_t nnames, names_alloc;
    char key[1024];
};

#define MEMBERS_SHOWN 3

/* RFC 1918 and RFC 4193 addresses, and loopback: none of them is
 * somewhere on the Internet (link-local ones are addr_link()'s). */
static int addr_private(const struct ipaddr *ip)
{
    const uint8_t *a = ip->a;

    if (ip->family == 4)
        return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
               a[0] == 127;
    if (ip->family == 6) {
        static const uint8_t loop[16] = {[15] = 1};

        return (a[0] & 0xfe) == 0xfc || memcmp(a, loop, 16) == 0;
    }
    return 0;
}

/* Link-local or multicast (169.254.0.0/16, 224.0.0.0/4, fe80::/10,
 * ff00::/8): an address of the link the pod is on, not of a place. */
static int addr_link(const struct ipaddr *ip)
{
    if (ip->family == 4)
        return (ip->a[0] == 169 && ip->a[1] == 254) || (ip->a[0] & 0xf0) == 224;
    return ip->family == 6 && (ip->a[0] == 0xff || (ip->a[0] == 0xfe && (ip->a[1] & 0xc0) == 0x80));
}

/* IPv6 link-local (fe80::/10) or multicast (ff00::/8): where neighbour
 * and router discovery and MLD talk (RFC 4861 §3, RFC 3810). */
static int addr_v6_link(const struct ipaddr *ip)
{
    return ip->family == 6 && (ip->a[0] == 0xff || (ip->a[0] == 0xfe && (ip->a[1] & 0xc0) == 0x80));
}

/* Whether policy governs f: a workload end was judged, and it is not
 * ICMPv6 to or from a link-local or multicast address: neighbour and
 * router discovery and MLD keep the link itself working (RFC 4861, RFC
 * 3810), which is not what a reader of the graph looks for.  Only the
 * drawing leaves them out; their verdicts, whatever decided them, stay in
 * the tables (what Felix does with such traffic is docs/semantics.md
 * §13's business).  A flow whose verdict is unknown (§11) was judged by
 * no end either, but only because the case cannot say who an end was:
 * policy may well govern it, and a drawing that hid it would hide what
 * cannot be judged, so it counts as governed. */
static int flow_governed(const struct flowset_flow *f)
{
    const struct eng_verdict *v = f->v[FS_NEW];

    if (!v->egress.judged && !v->ingress.judged && v->verdict != VERDICT_UNKNOWN)
        return 0;
    return !(f->proto == 58 && (addr_v6_link(&f->src_ip) || addr_v6_link(&f->dst_ip)));
}

/* The network set holding ip, as a node name ("GlobalNetworkSet x",
 * "NetworkSet ns/x"), or NULL: the one whose net holding it is the most
 * specific, the first loaded on a tie.  Cached per address. */
static const char *netset_of(struct builder *b, const struct ipaddr *ip)
{
    struct pol_member m[16];
    char ipb[IPADDR_STRLEN], name[600];
    size_t n, i, best = 0, v;
    int created;

    if (!b->ps || !b->ps->nnetsets)
        return NULL;
    snprintf(b->key, sizeof(b->key), "%s", ipaddr_format(ip, ipb));
    v = smap_get(&b->sets, b->key, 0, &created);
    if (!created)
        return v ? b->names[v - 1] : NULL;
    n = policy_members_of(b->ps, ip, m, ARRAY_SIZE(m));
    if (n > ARRAY_SIZE(m))
        n = ARRAY_SIZE(m);
    if (!n)
        return NULL;
    for (i = 1; i < n; i++)
        if (m[i].net->plen > m[best].net->plen)
            best = i;
    if (m[best].kind == PM_NETWORKSET)
        snprintf(name, sizeof(name), "%s %s/%s", pol_member_kind_name(m[best].kind), m[best].ns,
                 m[best].name);
    else
        snprintf(name, sizeof(name), "%s %s", pol_member_kind_name(m[best].kind), m[best].name);
    ALLOC_GROW(b->names, b->nnames + 1, b->names_alloc);
    b->names[b->nnames++] = xstrdup(name);
    b->sets.vals[b->sets.n - 1] = b->nnames; /* the entry made above */
    return b->names[b->nnames - 1];
}

/* The net of the rule that decided f which holds the address at the
 * outside end (the destination when ext_is_dst), the most specific; or
 * NULL: no rule decided there, or it named no net holding it. */
static const struct cidr *rule_net_of(const struct flowset_flow *f, int ext_is_dst)
{
    const struct eng_verdict *v = f->v[FS_NEW];
    const struct eng_dir *d = ext_is_dst ? &v->egress : &v->ingress;
    const struct ipaddr *ip = ext_is_dst ? &f->dst_ip : &f->src_ip;
    const struct policy *p = d->dec.pol;
    const struct entity *peer;
    const struct cidr *best = NULL;
    size_t i;

    if (!d->judged || d->reason != REASON_RULE || !p || d->dec.rule < 0)
        return NULL;
    if (ext_is_dst && (size_t)d->dec.rule < p->negress)
        peer = &p->egress[d->dec.rule].dst;
    else if (!ext_is_dst && (size_t)d->dec.rule < p->ningress)
        peer = &p->ingress[d->dec.rule].src;
    else
        return NULL;
    for (i = 0; i < peer->nnets; i++)
        if (cidr_contains(&peer->nets[i], ip) && (!best || peer->nets[i].plen > best->plen))
            best = &peer->nets[i];
    return best;
}

/* 1 when a set judged the end (the destination when dst) unknown because
 * it lies in a pod network with no identity (§11): a pod the case does
 * not name, not an outside address. */
static int end_unidentified(const struct flowset_flow *f, int dst)
{
    size_t i;

    for (i = 0; i < FS_MAX; i++)
        if (f->v[i] && f->v[i]->verdict == VERDICT_UNKNOWN &&
            f->v[i]->unknown == (dst ? UNK_DST_IDENTITY : UNK_SRC_IDENTITY))
            return 1;
    return 0;
}

static size_t node_of(struct builder *b, const struct flowset_flow *f, int dst)
{
    const struct case_ep *ep = dst ? f->dst : f->src;
    const struct ipaddr *ip = dst ? &f->dst_ip : &f->src_ip;
    struct graph *g = b->g;
    struct flowset_node k;
    struct graph_node *n;
    char ipb[IPADDR_STRLEN], group[IPADDR_STRLEN + 8];
    const char *member, *own = NULL;
    size_t idx;
    int created;

    flowset_node_of(ep, &k);
    if (strcmp(k.kind, "external") == 0) {
        const struct cidr *net;

        if (end_unidentified(f, dst)) {
            k.kind = "unidentified";
        } else if ((own = netset_of(b, ip)) != NULL) {
            k.kind = "netset";
        } else if ((net = rule_net_of(f, dst)) != NULL && !cidr_is_catchall(net)) {
            k.kind = "cidr";
            own = cidr_format(net, group);
        } else {
            k.kind = addr_link(ip) ? "link-local" : addr_private(ip) ? "private" : "public";
        }
    }
    snprintf(b->key, sizeof(b->key), "%s\x1f%s\x1f%s", k.kind, k.ns ? k.ns : "",
             own      ? own
             : k.name ? k.name
                      : "");
    idx = smap_get(&b->nodes, b->key, g->nnodes, &created);
    if (created) {
        ALLOC_GROW(g->nodes, g->nnodes + 1, b->nodes_alloc);
        n = &g->nodes[g->nnodes++];
        memset(n, 0, sizeof(*n));
        n->key = k;
        if (own) {
            n->own = xstrdup(own);
            n->key.name = n->own;
        }
    }
    n = &g->nodes[idx];
    n->flows++;
    /* Members: pods by endpoint, hosts by name, other addresses by address. */
    member = ep && ep->kind == EP_HOST && ep->name ? ep->name : ipaddr_format(ip, ipb);
    snprintf(b->key, sizeof(b->key), "%zu\x1f%s", idx, member);
    smap_get(&b->members, b->key, 0, &created);
    if (created) {
        n->members++;
        if (n->members <= MEMBERS_SHOWN) {
            struct buf t;

            buf_init(&t, 0);
            if (n->members_text && (buf_addstr(&t, n->members_text) || buf_addstr(&t, ", ")))
                buf_reset(&t);
            if (buf_addstr(&t, member) == 0) {
                free(n->members_text);
                n->members_text = buf_detach(&t, NULL);
            }
            buf_release(&t);
        }
    }
    return idx;
}

static int port_cmp(const void *x, const void *y)
{
    const struct graph_port *a = x, *b = y;

    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->dst != b->dst)
        return a->dst < b->dst ? -1 : 1;
    if (a->proto != b->proto)
        return a->proto < b->proto ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    return (a->governed > b->governed) - (a->governed < b->governed);
}

static enum graph_color port_color(const struct graph_port *p)
{
    if (p->breaks)
        return GC_BREAK;
    if (p->newdeny)
        return GC_NEWDENY;
    if (p->fixes)
        return GC_FIX;
    if (p->newallow)
        return GC_NEWALLOW;
    if ((p->allowed != 0) + (p->denied != 0) + (p->unknown != 0) > 1)
        return GC_MIXED;
    return p->denied ? GC_DENY : p->unknown ? GC_UNKNOWN : GC_ALLOW;
}

/* Edge labels, "TCP 7070, 42001–42002": an edge's ports in order (the
 * ports are sorted by nodes, protocol and port), consecutive ports folded
 * into ranges, at most LABEL_ITEMS items then "+N more".  One pass over
 * the ports with a run open per edge. */
#define LABEL_ITEMS 4

struct lrun {
    struct buf b;
    int proto;       /* of the open run; -1 none yet */
    int last_proto;  /* of the last item written */
    unsigned lo, hi; /* the open run */
    size_t items, more;
};

static void run_flush(struct lrun *r)
{
    const char *pn;
    int rc;

    if (r->proto < 0)
        return;
    if (r->items >= LABEL_ITEMS) {
        r->more++;
        return;
    }
    pn = proto_name(r->proto);
    if (r->proto != r->last_proto) {
        rc = r->items ? buf_addstr(&r->b, "; ") : 0;
        if (!rc)
            rc = pn ? buf_addstr(&r->b, pn) : buf_addf(&r->b, "proto %d", r->proto);
    } else {
        rc = buf_addstr(&r->b, ",");
    }
    /* ICMP and other protocols have no ports: their "port" is 0. */
    if (!rc && (r->proto == 6 || r->proto == 17 || r->proto == 132))
        rc = r->hi > r->lo ? buf_addf(&r->b, " %u\xe2\x80\x93%u", r->lo, r->hi)
                           : buf_addf(&r->b, " %u", r->lo);
    (void)rc; /* a label cut short by the buffer limit is still a label */
    r->last_proto = r->proto;
    r->items++;
}

static void edge_labels(struct graph *g)
{
    struct lrun *runs = xcalloc(g->nedges ? g->nedges : 1, sizeof(*runs));
    size_t i;

    for (i = 0; i < g->nedges; i++) {
        buf_init(&runs[i].b, 0);
        runs[i].proto = runs[i].last_proto = -1;
    }
    for (i = 0; i < g->nports; i++) {
        const struct graph_port *p = &g->ports[i];
        struct lrun *r = &runs[p->edge];

        if (r->proto == p->proto && p->port == r->hi + 1) {
            r->hi = p->port;
            continue;
        }
        run_flush(r);
        r->proto = p->proto;
        r->lo = r->hi = p->port;
    }
    for (i = 0; i < g->nedges; i++) {
        run_flush(&runs[i]);
        if (runs[i].more)
            (void)!buf_addf(&runs[i].b, " +%zu more", runs[i].more);
        g->edges[i].label = buf_detach(&runs[i].b, NULL);
    }
    free(runs);
}

void graph_build(struct graph *g, const struct flowset *fs)
{
    struct builder b;
    size_t i, *flow_port;
    int created;

    memset(g, 0, sizeof(*g));
    memset(&b, 0, sizeof(b));
    b.g = g;
    flow_port = xcalloc(fs->nflows ? fs->nflows : 1, sizeof(*flow_port));
    g->flow_edge = xcalloc(fs->nflows ? fs->nflows : 1, sizeof(*g->flow_edge));
    b.ps = fs->nsets ? &fs->ps[FS_NEW] : NULL;
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        size_t s = node_of(&b, f, 0), d = node_of(&b, f, 1), p;
        int gov = flow_governed(f);
        enum verdict nv = f->v[FS_NEW]->verdict;
        struct graph_port *gp;

        snprintf(b.key, sizeof(b.key), "%zu\x1f%zu\x1f%d\x1f%u\x1f%d", s, d, f->proto, f->dst_port,
                 gov);
        p = smap_get(&b.ports, b.key, g->nports, &created);
        if (created) {
            ALLOC_GROW(g->ports, g->nports + 1, b.ports_alloc);
            gp = &g->ports[g->nports++];
            memset(gp, 0, sizeof(*gp));
            gp->src = s;
            gp->dst = d;
            gp->proto = f->proto;
            gp->port = f->dst_port;
            gp->governed = gov;
        }
        gp = &g->ports[p];
        gp->allowed += nv == VERDICT_ALLOW;
        gp->denied += nv == VERDICT_DENY;
        gp->unknown += nv == VERDICT_UNKNOWN;
        if (f->v[FS_OLD] && f->v[FS_OLD]->verdict != nv) {
            /* A change to or from unknown has no colour of its own: the
             * verdicts' colours show it. */
            gp->changed++;
            if (nv == VERDICT_DENY && f->obs == OBS_OK)
                gp->breaks++;
            else if (nv == VERDICT_DENY)
                gp->newdeny++;
            else if (nv == VERDICT_ALLOW && f->obs == OBS_FAILED)
                gp->fixes++;
            else if (nv == VERDICT_ALLOW)
                gp->newallow++;
        }
        if (gov) {
            g->nodes[s].governed = 1;
            g->nodes[d].governed = 1;
        }
        flow_port[i] = p;
    }
    /* Edges: ports of one colour between the same nodes.  Ports are sorted
     * first so that labels list them in order; flow_port is remapped. */
    {
        struct graph_port *sorted = xcalloc(g->nports ? g->nports : 1, sizeof(*sorted));
        size_t *pos = xcalloc(g->nports ? g->nports : 1, sizeof(*pos));

        /* No flows, no ports: g->ports may be NULL, which memcpy() may
         * not be given even for 0 bytes. */
        if (g->nports)
            memcpy(sorted, g->ports, g->nports * sizeof(*sorted));
        for (i = 0; i < g->nports; i++)
            sorted[i].edge = i; /* the old index, for the remap */
        if (g->nports)
            qsort(sorted, g->nports, sizeof(*sorted), port_cmp);
        for (i = 0; i < g->nports; i++)
            pos[sorted[i].edge] = i;
        free(g->ports);
        g->ports = sorted;
        for (i = 0; i < fs->nflows; i++)
            flow_port[i] = pos[flow_port[i]];
        free(pos);
    }
    for (i = 0; i < g->nports; i++) {
        struct graph_port *p = &g->ports[i];
        enum graph_color c = port_color(p);
        struct graph_edge *e;
        size_t ei;

        snprintf(b.key, sizeof(b.key), "%zu\x1f%zu\x1f%d\x1f%d", p->src, p->dst, (int)c,
                 p->governed);
        ei = smap_get(&b.edges, b.key, g->nedges, &created);
        if (created) {
            ALLOC_GROW(g->edges, g->nedges + 1, b.edges_alloc);
            e = &g->edges[g->nedges++];
            memset(e, 0, sizeof(*e));
            e->src = p->src;
            e->dst = p->dst;
            e->color = c;
            e->governed = p->governed;
        }
        e = &g->edges[ei];
        e->allowed += p->allowed;
        e->denied += p->denied;
        e->unknown += p->unknown;
        e->changed += p->changed;
        e->flows += p->allowed + p->denied + p->unknown;
        p->edge = ei;
    }
    for (i = 0; i < fs->nflows; i++) {
        struct graph_edge *e = &g->edges[g->ports[flow_port[i]].edge];

        g->flow_edge[i] = g->ports[flow_port[i]].edge;
        ALLOC_GROW(e->flow_idx, e->nflow_idx + 1, e->flow_alloc);
        e->flow_idx[e->nflow_idx++] = i;
    }
    edge_labels(g);
    free(flow_port);
    smap_release(&b.nodes);
    smap_release(&b.ports);
    smap_release(&b.edges);
    smap_release(&b.members);
    smap_release(&b.sets);
    for (i = 0; i < b.nnames; i++)
        free(b.names[i]);
    free(b.names);
}

int graph_has_ungoverned(const struct graph *g)
{
    size_t i;

    for (i = 0; i < g->nedges; i++)
        if (!g->edges[i].governed)
            return 1;
    return 0;
}

void graph_release(struct graph *g)
{
    size_t i;

    for (i = 0; i < g->nnodes; i++) {
        free(g->nodes[i].members_text);
        free(g->nodes[i].own);
    }
    for (i = 0; i < g->nedges; i++) {
        free(g->edges[i].label);
        free(g->edges[i].flow_idx);
    }
    free(g->nodes);
    free(g->edges);
    free(g->ports);
    free(g->flow_edge);
    memset(g, 0, sizeof(*g));
}

void graph_node_text(const struct graph_node *n, char *b, size_t size)
{
    if (strcmp(n->key.kind, "pod") == 0)
        snprintf(b, size, "%s/%s", n->key.ns, n->key.name);
    else if (strcmp(n->key.kind, "service") == 0)
        snprintf(b, size, "svc %s/%s", n->key.ns, n->key.name);
    else if (strcmp(n->key.kind, "host") == 0)
        snprintf(b, size, "host network");
    else if (strcmp(n->key.kind, "unidentified") == 0)
        snprintf(b, size, "unidentified (pod network)");
    else if (n->own)
        snprintf(b, size, "%s", n->own);
    else
        snprintf(b, size, "%s", n->key.kind); /* "public", "private", "external" */
}

/* ---- DOT ----------------------------------------------------------------- */

/* A DOT double-quoted string: '"' and '\' escaped (so graphviz's label
 * escapes \N, \G, \l ... cannot be injected), a newline as the label
 * line break \n, other control bytes and invalid UTF-8 as '?' (graphviz
 * rejects them). */
static int dot_str(struct buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    int rc = buf_addch(out, '"');

    while (*p && !rc) {
        size_t n = utf8_len(p, (size_t)(end - p));

        if (*p == '"' || *p == '\\') {
            rc = buf_addch(out, '\\');
            if (!rc)
                rc = buf_addch(out, (char)*p);
            p++;
        } else if (*p == '\n') {
            rc = buf_addstr(out, "\\n");
            p++;
        } else if (*p < 0x20 || *p == 0x7f || !n) {
            rc = buf_addch(out, '?');
            p++;
        } else {
            rc = buf_add(out, p, n);
            p += n;
        }
    }
    return rc ? rc : buf_addch(out, '"');
}

/* What an edge's colour says, for its tooltip. */
static const char *color_text(enum graph_color c)
{
    switch (c) {
    case GC_ALLOW:
        return "allowed";
    case GC_DENY:
        return "denied";
    case GC_MIXED:
        return "some allowed, some denied";
    case GC_BREAK:
        return "would break: seen working, now denied";
    case GC_NEWDENY:
        return "newly denied";
    case GC_FIX:
        return "would fix: seen failing, now allowed";
    case GC_NEWALLOW:
        return "newly allowed";
    case GC_UNKNOWN:
        return "unknown";
    }
    return "mixed";
}

static int dot_node(const struct graph *g, size_t i, unsigned flags, const char *idp,
                    const char *indent, struct buf *out)
{
    const struct graph_node *n = &g->nodes[i];
    char name[600], label[900];
    const char *style = "rounded,filled", *fill = "#ffffff", *shape = "box";
    int rc;

    graph_node_text(n, name, sizeof(name));
    if (strcmp(n->key.kind, "pod") == 0)
        snprintf(label, sizeof(label), "%s\n%llu pod%s", n->key.name,
                 (unsigned long long)n->members, n->members == 1 ? "" : "s");
    else if (strcmp(n->key.kind, "service") == 0)
        snprintf(label, sizeof(label), "svc %s", n->key.name);
    else
        snprintf(label, sizeof(label), "%s\n%s%s", name, n->members_text ? n->members_text : "",
                 n->members > MEMBERS_SHOWN ? ", ..." : "");
    if (strcmp(n->key.kind, "host") == 0) {
        fill = "#eef1f5";
    } else if (strcmp(n->key.kind, "netset") == 0 || strcmp(n->key.kind, "cidr") == 0) {
        fill = "#f4f0fa";
        style = "rounded,filled,dashed";
    } else if (strcmp(n->key.kind, "public") == 0 || strcmp(n->key.kind, "private") == 0 ||
               strcmp(n->key.kind, "link-local") == 0 || strcmp(n->key.kind, "external") == 0 ||
               strcmp(n->key.kind, "unidentified") == 0) {
        fill = "#f7f7f7";
        style = "rounded,filled,dashed";
    } else if (strcmp(n->key.kind, "service") == 0) {
        shape = "cds";
    }
    rc = buf_addf(out, "%sn%zu [label=", indent, i);
    if (!rc)
        rc = dot_str(out, label);
    if (!rc)
        rc = buf_addf(out, ", shape=%s, style=\"%s\", fillcolor=\"%s\"", shape, style, fill);
    if (!rc && (flags & GRAPH_DOT_SVG)) {
        rc = buf_addf(out, ", id=\"%sn%zu\", class=\"node-%s%s\", tooltip=", idp, i, n->key.kind,
                      n->governed ? "" : " ungoverned");
        if (!rc)
            rc = dot_str(out, name);
    }
    return rc ? rc : buf_addstr(out, "];\n");
}

/* Whether node i is drawn: with GRAPH_DOT_GOVERNED, only nodes an edge
 * policy governs touches. */
static int node_shown(const struct graph *g, size_t i, unsigned flags)
{
    return !(flags & GRAPH_DOT_GOVERNED) || g->nodes[i].governed;
}

int graph_dot(const struct graph *g, unsigned flags, const char *idp, struct buf *out)
{
    size_t i, j;
    int rc;

    if (!idp || !(flags & GRAPH_DOT_SVG))
        idp = "";
    /* Edge labels are laid out as dot lays out nodes (a label is a
     * virtual node of its edge's middle rank, kept apart from boxes by
     * nodesep and ranksep: 0.65 in leaves room for a browser's fonts,
     * wider than graphviz's estimate), never as xlabels placed after the
     * layout over
     * whatever is there; splines=true routes edges round the boxes and
     * labels rather than through them, and labels stay beside their
     * edge's middle (labelfloat=false). */
    rc = buf_addstr(out, "digraph podflow {\n"
                         "  graph [rankdir=LR, fontname=\"Helvetica,Arial,sans-serif\", "
                         "fontsize=12, nodesep=0.65, ranksep=1.3, pad=0.2, splines=true, "
                         "newrank=true];\n"
                         "  node [fontname=\"Helvetica,Arial,sans-serif\", fontsize=11, "
                         "color=\"#5b6b7f\", penwidth=1.2, margin=\"0.15,0.06\"];\n"
                         "  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=10, "
                         "arrowsize=0.7, labelfloat=false, decorate=false];\n");
    if (!rc && (flags & GRAPH_DOT_SVG))
        rc = buf_addf(out, "  id=\"%sgraph0\";\n", idp);
    /* Namespaces as clusters, in first-seen order; a node belongs to the
     * cluster of its namespace. */
    for (i = 0; i < g->nnodes && !rc; i++) {
        const char *ns = g->nodes[i].key.ns;
        int first = 1, any = 0;

        if (!ns)
            continue;
        for (j = 0; j < i && first; j++)
            if (g->nodes[j].key.ns && strcmp(g->nodes[j].key.ns, ns) == 0)
                first = 0;
        for (j = i; j < g->nnodes && first && !any; j++)
            any = g->nodes[j].key.ns && strcmp(g->nodes[j].key.ns, ns) == 0 &&
                  node_shown(g, j, flags);
        if (!first || !any)
            continue;
        rc = buf_addf(out, "  subgraph cluster_%zu {\n    label=", i);
        if (!rc) {
            char l[600];

            snprintf(l, sizeof(l), "namespace %s", ns);
            rc = dot_str(out, l);
        }
        if (!rc)
            rc = buf_addstr(out, "; style=\"rounded,filled\"; fillcolor=\"#f3f6fb\"; "
                                 "color=\"#c5d0de\"; fontcolor=\"#34495e\";\n");
        if (!rc && (flags & GRAPH_DOT_SVG))
            rc = buf_addf(out, "    id=\"%sns%zu\"; class=\"namespace\";\n", idp, i);
        for (j = i; j < g->nnodes && !rc; j++)
            if (g->nodes[j].key.ns && strcmp(g->nodes[j].key.ns, ns) == 0 &&
                node_shown(g, j, flags))
                rc = dot_node(g, j, flags, idp, "    ", out);
        if (!rc)
            rc = buf_addstr(out, "  }\n");
    }
    for (i = 0; i < g->nnodes && !rc; i++)
        if (!g->nodes[i].key.ns && node_shown(g, i, flags))
            rc = dot_node(g, i, flags, idp, "  ", out);
    for (i = 0; i < g->nedges && !rc; i++) {
        const struct graph_edge *e = &g->edges[i];
        double width = e->flows >= 100 ? 3.0 : e->flows >= 10 ? 2.2 : 1.5;
        const char *hex = graph_color_hex(e->color);

        if ((flags & GRAPH_DOT_GOVERNED) && !e->governed)
            continue;
        rc = buf_addf(
            out, "  n%zu -> n%zu [color=\"%s\", fontcolor=\"%s\", penwidth=%.1f%s, label=", e->src,
            e->dst, hex, hex, width,
            e->color == GC_DENY || e->color == GC_BREAK         ? ", style=bold"
            : e->color == GC_NEWDENY || e->color == GC_NEWALLOW ? ", style=dashed"
            : !e->governed                                      ? ", style=dotted"
                                                                : "");
        if (!rc)
            rc = dot_str(out, e->label);
        if (!rc && (flags & GRAPH_DOT_SVG)) {
            char a[600], b[600], tip[1600];

            graph_node_text(&g->nodes[e->src], a, sizeof(a));
            graph_node_text(&g->nodes[e->dst], b, sizeof(b));
            snprintf(tip, sizeof(tip), "%s -> %s: %s, %llu flow%s, %s%s", a, b, e->label,
                     (unsigned long long)e->flows, e->flows == 1 ? "" : "s", color_text(e->color),
                     e->governed ? "" : " (policy does not govern)");
            rc = buf_addf(out, ", id=\"%se%zu\", class=\"edge-%s%s\", tooltip=", idp, i,
                          graph_color_name(e->color), e->governed ? "" : " ungoverned");
            if (!rc)
                rc = dot_str(out, tip);
        } else if (!rc) {
            rc = buf_addf(out, ", verdict=\"%s\"%s", graph_color_name(e->color),
                          e->governed ? "" : ", governed=false");
        }
        if (!rc)
            rc = buf_addstr(out, "];\n");
    }
    return rc ? rc : buf_addstr(out, "}\n");
}

/* ---- SVG through graphviz -------------------------------------------------- */

/*
 * One graphviz context for the whole process, made on first use and never
 * freed.  graphviz 2.42's pango plugin keeps, in a static, a pointer to
 * the last font name it measured, a string owned by the context's font
 * cache: after gvFreeContext() the next context's first label compares
 * against freed memory (AddressSanitizer: heap-use-after-free in
 * textspan_size).  The only global state of the analyzer, for that reason.
 */
static GVC_t *the_gvc;

static GVC_t *gvc_get(void)
{
    if (!the_gvc)
        the_gvc = gvContext();
    return the_gvc;
}

int graph_svg(const struct graph *g, unsigned flags, const char *idp, struct buf *out,
              struct diag *d)
{
    struct buf dot;
    GVC_t *gvc;
    Agraph_t *ag;
    char *data = NULL;
    unsigned int len = 0;
    const char *svg;
    int rc;

    if (g->nnodes > LIM_GRAPH_NODES)
        return ERR_LIMIT;
    buf_init(&dot, 0);
    rc = graph_dot(g, flags | GRAPH_DOT_SVG, idp, &dot);
    if (rc) {
        buf_release(&dot);
        return rc;
    }
    /* Warnings (an unknown font, say) are graphviz's business, not the
     * reader's: only errors are printed. */
    agseterr(AGERR);
    gvc = gvc_get();
    ag = agmemread(dot.data);
    if (!ag) {
        diag_err(d, "%s", "graphviz cannot read the service graph");
        rc = ERR_INVALID;
    } else if (gvLayout(gvc, ag, "dot") != 0) {
        diag_err(d, "%s",
                 "graphviz cannot lay out the service graph (is its dot plugin "
                 "installed? Debian: libgvc6)");
        rc = ERR_INVALID;
    } else {
        if (gvRenderData(gvc, ag, "svg", &data, &len) != 0 || !data) {
            diag_err(d, "%s", "graphviz cannot render the service graph as SVG");
            rc = ERR_INVALID;
        } else {
            /* Keep the <svg> element only: the XML prologue and DOCTYPE
             * do not belong inside HTML. */
            svg = strstr(data, "<svg");
            rc = svg ? buf_add(out, svg, len - (size_t)(svg - data)) : ERR_INVALID;
            gvFreeRenderData(data);
        }
        gvFreeLayout(gvc, ag);
    }
    if (ag)
        agclose(ag);
    buf_release(&dot);
    return rc;
}
