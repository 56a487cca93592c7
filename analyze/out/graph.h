/*
 * graph.h: the service graph of a judged case (issue 6): namespaces as
 * clusters, one node per workload (its pods merged), one per Service,
 * every host endpoint in one "host network" node and every other address
 * in one "external" node; an edge per (source node, destination node,
 * colour), labelled with the protocols and ports its flows used.
 *
 * Colours: a (protocol, port) between two nodes is green when all its
 * flows are allowed, red when all are denied, amber when its flows are
 * mixed or, given an old policy set, when any flow's verdict would change.
 *
 * Written as DOT text (check --format dot) or laid out by graphviz's dot
 * (libgvc, libcgraph) into SVG for the report.  Strings from the case are
 * escaped for DOT; graphviz escapes them again for SVG.
 */
#ifndef PODFLOW_ANALYZE_GRAPH_H
#define PODFLOW_ANALYZE_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/engine/flowset.h"
#include "analyze/out/out.h"
#include "common/attrs.h"

struct buf;
struct diag;

enum graph_color { GC_ALLOW, GC_DENY, GC_MIXED, GC_CHANGE };
const char *graph_color_name(enum graph_color c); /* "allow", "deny", "mixed", "change" */

struct graph_node {
    struct flowset_node key; /* borrowed from the case */
    uint64_t members;        /* distinct endpoints (pods, hosts, addresses) */
    char *members_text;      /* up to a few member names, ", "-joined (malloc'd) */
    uint64_t flows;
};

/* One (protocol, destination port) between two nodes. */
struct graph_port {
    size_t src, dst; /* node indices */
    int proto;
    uint16_t port;
    uint64_t allowed, denied, changed;
    size_t edge; /* the edge it was merged into */
};

struct graph_edge {
    size_t src, dst; /* node indices */
    enum graph_color color;
    uint64_t flows, allowed, denied, changed;
    char *label;      /* "TCP 42001–42002" (malloc'd) */
    size_t *flow_idx; /* indices into the flowset's flows (malloc'd) */
    size_t nflow_idx, flow_alloc;
};

struct graph {
    struct graph_node *nodes; /* malloc'd */
    size_t nnodes;
    struct graph_edge *edges; /* malloc'd, by source then destination node */
    size_t nedges;
    struct graph_port *ports; /* malloc'd */
    size_t nports;
    size_t *flow_edge; /* per flowset flow: its edge (malloc'd) */
};

/* Build g (caller storage) from fs, whose flows it indexes (fs must
 * outlive g).  Never fails but for out of memory (fatal). */
void graph_build(struct graph *g, const struct flowset *fs);
void graph_release(struct graph *g);

/* A node as people name it: "fme/engine", "svc fme/core", "host network",
 * "external".  Into b (size bytes). */
void graph_node_text(const struct graph_node *n, char *b, size_t size);

enum graph_dot_flags {
    GRAPH_DOT_SVG = 1 << 0 /* ids, classes and tooltips for the report's SVG */
};

/* Append g as a DOT digraph to out.  0 or ERR_LIMIT. */
int graph_dot(const struct graph *g, unsigned flags, struct buf *out) MUST_CHECK;

/*
 * Lay g out with graphviz's dot and append the <svg> element (no XML
 * prologue) to out.  0, ERR_LIMIT (more than LIM_GRAPH_NODES nodes, or out
 * full), or ERR_INVALID when graphviz fails (reported through d).
 */
int graph_svg(const struct graph *g, struct buf *out, struct diag *d) MUST_CHECK;

#endif
