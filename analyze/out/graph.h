/*
 * graph.h: the service graph of a judged case (issue 6): namespaces as
 * clusters, one node per workload (its pods merged), one per Service,
 * every host endpoint in one "host network" node; an address in a pod
 * network with no identity (its verdict unknown, docs/semantics.md §11)
 * to one "unidentified (pod network)" node; an address outside the
 * cluster goes to the node of the NetworkSet or GlobalNetworkSet it falls
 * in (the most specific net; named), else of the CIDR of the rule that
 * decided its flow (a rule's nets), else to "public" or "private" (RFC
 * 1918, RFC 4193, link-local); an edge per (source node, destination
 * node, colour, governed), labelled with the protocols and ports its
 * flows used.
 *
 * Colours: a (protocol, port) between two nodes is green when all its
 * flows are allowed, red when all are denied, grey when all are unknown
 * (docs/semantics.md §11), amber when its flows are mixed; given an old policy set, a port where
 * any flow's verdict changes takes the colour of the change (would break: seen working, now denied;
 * newly denied; would fix: seen failing, now allowed; newly allowed, in
 * that order of precedence).
 *
 * Traffic policy does not govern (no end is a workload judged by policy:
 * host to host, host-local; ICMPv6 to or from a link-local or multicast
 * address: neighbour and router discovery, MLD) is kept apart: its edges
 * are marked, and graph_dot() can leave them out.
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

enum graph_color {
    GC_ALLOW,
    GC_DENY,
    GC_MIXED,
    GC_BREAK,    /* --old allowed it, seen ok, now denied */
    GC_NEWDENY,  /* --old allowed it, now denied (not seen working) */
    GC_FIX,      /* --old denied it, seen failing, now allowed */
    GC_NEWALLOW, /* --old denied it, now allowed (not seen failing) */
    GC_UNKNOWN   /* every flow's verdict unknown (§11) */
};
/* "allow", "deny", "mixed", "would-break", "newly-denied", "would-fix",
 * "newly-allowed", "unknown" */
const char *graph_color_name(enum graph_color c);
/* Its stroke, "#rrggbb": each colour distinct. */
const char *graph_color_hex(enum graph_color c);

struct graph_node {
    struct flowset_node key; /* borrowed from the case, or key.name = own */
    char *own;               /* a group's name: "GlobalNetworkSet x", a CIDR (malloc'd) */
    uint64_t members;        /* distinct endpoints (pods, hosts, addresses) */
    char *members_text;      /* up to a few member names, ", "-joined (malloc'd) */
    uint64_t flows;
    int governed; /* an edge policy governs touches it */
};

/* One (protocol, destination port) between two nodes. */
struct graph_port {
    size_t src, dst; /* node indices */
    int proto;
    uint16_t port;
    int governed; /* 0: traffic policy does not govern (see above) */
    uint64_t allowed, denied, unknown, changed;
    uint64_t breaks, newdeny, fixes, newallow; /* the changes, by kind */
    size_t edge;                               /* the edge it was merged into */
};

struct graph_edge {
    size_t src, dst; /* node indices */
    enum graph_color color;
    int governed;
    uint64_t flows, allowed, denied, unknown, changed;
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
 * "unidentified (pod network)",
 * "GlobalNetworkSet payments-api", "203.0.113.0/24", "public", "private".
 * Into b (size bytes). */
void graph_node_text(const struct graph_node *n, char *b, size_t size);

enum graph_dot_flags {
    GRAPH_DOT_SVG = 1 << 0,     /* ids, classes and tooltips for the report's SVG */
    GRAPH_DOT_GOVERNED = 1 << 1 /* leave out what policy does not govern */
};

/* Append g as a DOT digraph to out; with GRAPH_DOT_SVG, ids are prefixed
 * with idp (NULL: none), so that two drawings of one graph can share a
 * page.  0 or ERR_LIMIT. */
int graph_dot(const struct graph *g, unsigned flags, const char *idp, struct buf *out) MUST_CHECK;

/*
 * Lay g out with graphviz's dot (graph_dot()'s flags and idp, GRAPH_DOT_SVG
 * implied) and append the <svg> element (no XML prologue) to out.  0, ERR_LIMIT (more than
 * LIM_GRAPH_NODES nodes, or out full), or ERR_INVALID when graphviz fails (reported through d).
 */
int graph_svg(const struct graph *g, unsigned flags, const char *idp, struct buf *out,
              struct diag *d) MUST_CHECK;

/* 1 when the graph has edges policy does not govern (a drawing without
 * them differs). */
int graph_has_ungoverned(const struct graph *g);

#endif
