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
    case GC_CHANGE:
        return "change";
    }
    return "mixed";
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
    size_t nodes_alloc, ports_alloc, edges_alloc;
    struct smap nodes, ports, edges, members;
    char key[1024];
};

#define MEMBERS_SHOWN 3

static size_t node_of(struct builder *b, const struct case_ep *ep, const struct ipaddr *ip)
{
    struct graph *g = b->g;
    struct flowset_node k;
    struct graph_node *n;
    char ipb[IPADDR_STRLEN];
    const char *member;
    size_t idx;
    int created;

    flowset_node_of(ep, &k);
    snprintf(b->key, sizeof(b->key), "%s\x1f%s\x1f%s", k.kind, k.ns ? k.ns : "",
             k.name ? k.name : "");
    idx = smap_get(&b->nodes, b->key, g->nnodes, &created);
    if (created) {
        ALLOC_GROW(g->nodes, g->nnodes + 1, b->nodes_alloc);
        n = &g->nodes[g->nnodes++];
        memset(n, 0, sizeof(*n));
        n->key = k;
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
    return (a->port > b->port) - (a->port < b->port);
}

static enum graph_color port_color(const struct graph_port *p)
{
    if (p->changed)
        return GC_CHANGE;
    if (p->allowed && p->denied)
        return GC_MIXED;
    return p->denied ? GC_DENY : GC_ALLOW;
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
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        size_t s = node_of(&b, f->src, &f->src_ip), d = node_of(&b, f->dst, &f->dst_ip), p;
        struct graph_port *gp;

        snprintf(b.key, sizeof(b.key), "%zu\x1f%zu\x1f%d\x1f%u", s, d, f->proto, f->dst_port);
        p = smap_get(&b.ports, b.key, g->nports, &created);
        if (created) {
            ALLOC_GROW(g->ports, g->nports + 1, b.ports_alloc);
            gp = &g->ports[g->nports++];
            memset(gp, 0, sizeof(*gp));
            gp->src = s;
            gp->dst = d;
            gp->proto = f->proto;
            gp->port = f->dst_port;
        }
        gp = &g->ports[p];
        if (f->v[FS_NEW]->allow)
            gp->allowed++;
        else
            gp->denied++;
        if (f->v[FS_OLD] && f->v[FS_OLD]->allow != f->v[FS_NEW]->allow)
            gp->changed++;
        flow_port[i] = p;
    }
    /* Edges: ports of one colour between the same nodes.  Ports are sorted
     * first so that labels list them in order; flow_port is remapped. */
    {
        struct graph_port *sorted = xcalloc(g->nports ? g->nports : 1, sizeof(*sorted));
        size_t *pos = xcalloc(g->nports ? g->nports : 1, sizeof(*pos));

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

        snprintf(b.key, sizeof(b.key), "%zu\x1f%zu\x1f%d", p->src, p->dst, (int)c);
        ei = smap_get(&b.edges, b.key, g->nedges, &created);
        if (created) {
            ALLOC_GROW(g->edges, g->nedges + 1, b.edges_alloc);
            e = &g->edges[g->nedges++];
            memset(e, 0, sizeof(*e));
            e->src = p->src;
            e->dst = p->dst;
            e->color = c;
        }
        e = &g->edges[ei];
        e->allowed += p->allowed;
        e->denied += p->denied;
        e->changed += p->changed;
        e->flows += p->allowed + p->denied;
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
}

void graph_release(struct graph *g)
{
    size_t i;

    for (i = 0; i < g->nnodes; i++)
        free(g->nodes[i].members_text);
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
    else
        snprintf(b, size, "external");
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

static const char *edge_hex(enum graph_color c)
{
    switch (c) {
    case GC_ALLOW:
        return "#2e8b57";
    case GC_DENY:
        return "#d0312d";
    case GC_MIXED:
    case GC_CHANGE:
        return "#e69500";
    }
    return "#e69500";
}

static int dot_node(const struct graph *g, size_t i, unsigned flags, const char *indent,
                    struct buf *out)
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
    if (strcmp(n->key.kind, "host") == 0)
        fill = "#eef1f5";
    else if (strcmp(n->key.kind, "external") == 0) {
        fill = "#f7f7f7";
        style = "rounded,filled,dashed";
    } else if (strcmp(n->key.kind, "service") == 0)
        shape = "cds";
    rc = buf_addf(out, "%sn%zu [label=", indent, i);
    if (!rc)
        rc = dot_str(out, label);
    if (!rc)
        rc = buf_addf(out, ", shape=%s, style=\"%s\", fillcolor=\"%s\"", shape, style, fill);
    if (!rc && (flags & GRAPH_DOT_SVG)) {
        rc = buf_addf(out, ", id=\"n%zu\", class=\"node-%s\", tooltip=", i, n->key.kind);
        if (!rc)
            rc = dot_str(out, name);
    }
    return rc ? rc : buf_addstr(out, "];\n");
}

int graph_dot(const struct graph *g, unsigned flags, struct buf *out)
{
    size_t i, j;
    int rc;

    rc = buf_addstr(out, "digraph podflow {\n"
                         "  graph [rankdir=LR, fontname=\"Helvetica,Arial,sans-serif\", "
                         "fontsize=12, nodesep=0.35, ranksep=1.1, pad=0.2];\n"
                         "  node [fontname=\"Helvetica,Arial,sans-serif\", fontsize=11, "
                         "color=\"#5b6b7f\", penwidth=1.2, margin=\"0.15,0.06\"];\n"
                         "  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=10, "
                         "arrowsize=0.7];\n");
    /* Namespaces as clusters, in first-seen order; a node belongs to the
     * cluster of its namespace. */
    for (i = 0; i < g->nnodes && !rc; i++) {
        const char *ns = g->nodes[i].key.ns;
        int first = 1;

        if (!ns)
            continue;
        for (j = 0; j < i && first; j++)
            if (g->nodes[j].key.ns && strcmp(g->nodes[j].key.ns, ns) == 0)
                first = 0;
        if (!first)
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
            rc = buf_addf(out, "    id=\"ns%zu\"; class=\"namespace\";\n", i);
        for (j = i; j < g->nnodes && !rc; j++)
            if (g->nodes[j].key.ns && strcmp(g->nodes[j].key.ns, ns) == 0)
                rc = dot_node(g, j, flags, "    ", out);
        if (!rc)
            rc = buf_addstr(out, "  }\n");
    }
    for (i = 0; i < g->nnodes && !rc; i++)
        if (!g->nodes[i].key.ns)
            rc = dot_node(g, i, flags, "  ", out);
    for (i = 0; i < g->nedges && !rc; i++) {
        const struct graph_edge *e = &g->edges[i];
        double width = e->flows >= 100 ? 3.0 : e->flows >= 10 ? 2.2 : 1.5;

        rc = buf_addf(
            out, "  n%zu -> n%zu [color=\"%s\", fontcolor=\"%s\", penwidth=%.1f%s, label=", e->src,
            e->dst, edge_hex(e->color), edge_hex(e->color), width,
            e->color == GC_DENY ? ", style=bold" : "");
        if (!rc)
            rc = dot_str(out, e->label);
        if (!rc && (flags & GRAPH_DOT_SVG)) {
            char a[600], b[600], tip[1600];

            graph_node_text(&g->nodes[e->src], a, sizeof(a));
            graph_node_text(&g->nodes[e->dst], b, sizeof(b));
            snprintf(tip, sizeof(tip), "%s -> %s: %s, %llu flow%s, %s", a, b, e->label,
                     (unsigned long long)e->flows, e->flows == 1 ? "" : "s",
                     e->color == GC_ALLOW    ? "allowed"
                     : e->color == GC_DENY   ? "denied"
                     : e->color == GC_CHANGE ? "verdict changes"
                                             : "some allowed, some denied");
            rc = buf_addf(out, ", id=\"e%zu\", class=\"edge-%s\", tooltip=", i,
                          graph_color_name(e->color));
            if (!rc)
                rc = dot_str(out, tip);
        } else if (!rc) {
            rc = buf_addf(out, ", verdict=\"%s\"", graph_color_name(e->color));
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

int graph_svg(const struct graph *g, struct buf *out, struct diag *d)
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
    rc = graph_dot(g, GRAPH_DOT_SVG, &dot);
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
