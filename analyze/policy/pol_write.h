/*
 * pol_write.h: writing the policy language, for `suggest` (docs/semantics.md
 * §18): new objects as Calico projectcalico.org/v3 or Kubernetes
 * networking.k8s.io/v1 YAML (policies, a Tier, GlobalNetworkSets), and
 * edits of the files a policy set was loaded from (a port added to a
 * rule, a rule inserted into a policy), found through the same document
 * tree (common/ydoc) the loader reads, so an edit lands where the loader
 * found the rule.  Nothing here judges: the engine's suggest.c decides
 * what to write, and proves it by loading the written files back through
 * policy_set_load().
 *
 * Everything appends to caller-owned buffers; errors are ERR_LIMIT (a
 * buffer full), ERR_NOTFOUND (the policy or rule is not where the loaded
 * set says: the file changed) or ERR_INVALID (a form this module does not
 * edit: a flow-style sequence spanning lines, a rule list that is absent
 * or written inline, a file breaking lines other than by "\n" or "\r\n");
 * the caller then falls back to a larger change.
 */
#ifndef PODFLOW_ANALYZE_POL_WRITE_H
#define PODFLOW_ANALYZE_POL_WRITE_H

#include <stddef.h>

#include "analyze/policy/policy.h"
#include "common/attrs.h"
#include "common/ipaddr.h"
#include "common/labels.h"

struct buf;
struct diag;

/* The other end of a suggested rule: the source of an ingress rule, the
 * destination of an egress rule. */
struct pw_peer {
    const struct labels *pod; /* labels every member carries (a selector of their
                                 conjunction), or NULL: no selector */
    const char *ns;           /* the peer's namespace (namespaceSelector
                                 projectcalico.org/name == ns), or NULL: the
                                 policy's own (a namespaced policy) */
    int global_set;           /* pod names a GlobalNetworkSet's labels: Calico's
                                 namespaceSelector global() (§18.4) */
    const struct cidr *nets;  /* nets (Kubernetes: ipBlock), or NULL */
    size_t nnets;
};

/* A suggested rule (action Allow). */
struct pw_rule {
    int proto; /* 6, 17, 132, 1, 58 or another number; 0: any */
    struct pw_peer peer;
    const struct port_match *ports; /* destination ports (named ones not written); 0: any */
    size_t nports;
    const char *comment; /* lines (split on '\n') written as "# ..." above the rule */
};

/* Output flavours. */
enum pw_kind {
    PW_CALICO_STAGED, /* projectcalico.org/v3 StagedNetworkPolicy */
    PW_CALICO,        /* projectcalico.org/v3 NetworkPolicy */
    PW_K8S_STAGED,    /* projectcalico.org/v3 StagedKubernetesNetworkPolicy */
    PW_K8S            /* networking.k8s.io/v1 NetworkPolicy */
};

/* A suggested namespaced policy. */
struct pw_policy {
    enum pw_kind kind;
    const char *name, *ns;
    const char *tier; /* Calico kinds: spec.tier (NULL: default) */
    int has_order;
    double order;
    const struct labels *select; /* the endpoints it applies to (conjunction) */
    unsigned types;              /* DIR_INGRESS | DIR_EGRESS */
    const struct pw_rule *ingress;
    size_t ningress;
    const struct pw_rule *egress;
    size_t negress;
    const char *comment; /* above the document */
};

/* Calico's selector text for "every label of l" (k == "v" && ...), into
 * out; "all()" for an empty set.  0 or ERR_LIMIT. */
int pw_selector_text(const struct labels *l, struct buf *out) MUST_CHECK;

/* A YAML mapping value, quoted when a plain scalar would read otherwise
 * (a number, a bool, null, a leading indicator, ": " or " #"). */
int pw_yaml_scalar(const char *s, struct buf *out) MUST_CHECK;

/*
 * Rule r of direction dir (DIR_INGRESS or DIR_EGRESS) as a YAML block
 * sequence item in Calico v3 form: its comment lines, then "- action:
 * Allow" and the rest.  first prefixes the item's first line (e.g. "  - "),
 * rest every other line (spaces as wide as first); comment lines are
 * indented as the dash.  0 or ERR_LIMIT.
 */
int pw_rule_yaml(const struct pw_rule *r, int dir, const char *first, const char *rest,
                 struct buf *out) MUST_CHECK;

/* p as one YAML document ("---" first), in the form p->kind says.  0 or
 * ERR_LIMIT. */
int pw_policy_yaml(const struct pw_policy *p, struct buf *out) MUST_CHECK;

/* A Tier document (projectcalico.org/v3; defaultAction Deny). */
int pw_tier_yaml(const char *name, double order, const char *comment, struct buf *out) MUST_CHECK;

/* A GlobalNetworkSet document: name, labels, nets. */
int pw_netset_yaml(const char *name, const struct labels *labels, const struct cidr *nets,
                   size_t nnets, const char *comment, struct buf *out) MUST_CHECK;

/* ---- edits of a loaded file ------------------------------------------- */

/* One edit of a file: lines [line, line + ndel) (1-based, of the file as
 * it was) replaced by text; ndel 0 inserts before line (nlines + 1: at
 * the end). */
struct pw_edit {
    size_t line;
    size_t ndel;
    char *text; /* whole lines, each ending in '\n' (malloc'd, owned) */
};
void pw_edit_release(struct pw_edit *e);

/*
 * Add items (port entries as written: "42001", "\"42001:42002\"") to the
 * destination ports of rule index rule of direction dir of policy p, which
 * was loaded from text[0..len) (named name in messages; p->file, p->line
 * say where).  The rule must have a destination ports list already
 * (block or one-line flow style).  comment (may be NULL) goes on a line
 * above the new items (not in a .json file).  Into *out.  0,
 * ERR_NOTFOUND, ERR_INVALID or ERR_LIMIT; nothing is reported (the caller
 * falls back).
 */
int pw_edit_add_ports(const char *name, const char *text, size_t len, const struct policy *p,
                      int dir, size_t rule, const char *const *items, size_t nitems,
                      const char *comment, struct pw_edit *out, struct diag *d) MUST_CHECK;

/*
 * Insert r as a new rule of direction dir of p, before its rule index
 * before, or after the last rule when before is SIZE_MAX.  The direction's
 * rules must be a block sequence with at least one rule.  0, ERR_NOTFOUND,
 * ERR_INVALID or ERR_LIMIT, unreported.
 */
int pw_edit_insert_rule(const char *name, const char *text, size_t len, const struct policy *p,
                        int dir, size_t before, const struct pw_rule *r, struct pw_edit *out,
                        struct diag *d) MUST_CHECK;

/* Apply edits e[0..n) (sorted by line, not overlapping; several
 * insertions at one line keep their order) to text, into out.  0 or
 * ERR_LIMIT. */
int pw_edits_apply(const char *text, size_t len, const struct pw_edit *e, size_t n,
                   struct buf *out) MUST_CHECK;

/* A unified diff (3 lines of context) of text and the same with edits
 * e[0..n) applied, labelled a and b, into out.  0 or ERR_LIMIT. */
int pw_edits_udiff(const char *a, const char *b, const char *text, size_t len,
                   const struct pw_edit *e, size_t n, struct buf *out) MUST_CHECK;

#endif
