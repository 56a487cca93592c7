/*
 * suggest.h: policies from recorded traffic (docs/semantics.md §18).
 *
 * Two questions, one answer shape (a policy set as files):
 *
 *   sg_fix()      the smallest change to the current set that allows the
 *                 recorded flows it denies (and that failed): widen a rule
 *                 of the deciding policy by the missing ports, else a new
 *                 rule in that policy, else a new policy in the deciding
 *                 tier; policies that took no part in the denial are never
 *                 touched.  The result is the current files with edits.
 *   sg_scratch()  least-privilege policies for every workload with
 *                 recorded traffic, in a tier of their own.
 *
 * Neither trusts itself: the caller writes the files, loads them back
 * through the policy loader (flowset_add_set()) and sg_prove() replays
 * every recorded flow against what was written, counts what changed by
 * diff's classes, and measures how much wider than the traffic the result
 * is.  Flows that cannot be expressed (no identity, host traffic, a
 * Service whose backend is not known) are listed, never dropped silently.
 */
#ifndef PODFLOW_ANALYZE_SUGGEST_H
#define PODFLOW_ANALYZE_SUGGEST_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/engine/flowset.h"
#include "analyze/policy/pol_write.h"
#include "common/attrs.h"

struct diag;

/* A file of the result: a current one (read by the caller, maybe edited)
 * or a new one. */
struct sg_file {
    char *path; /* where it was read (the loader's name for it), or NULL: new (malloc'd) */
    char *rel;  /* its path in the output directory (malloc'd) */
    char *text; /* its contents as read, or the new file's (malloc'd) */
    size_t len;
    struct pw_edit *edits; /* sorted by line (malloc'd) */
    size_t nedits, alloc;
};

/* A recorded flow the result does not express, and why (static text). */
struct sg_listed {
    const struct flowset_flow *f;
    const char *why;
};

/* A change --fix makes, for people. */
struct sg_change {
    char *text; /* "widened egress rule 0 of ns/name [tier t]: ports + ..." (malloc'd) */
    const struct policy *pol; /* the policy edited, or the deciding one a new policy goes
                                 before (the loaded set's) */
};

struct sg_opts {
    int denied_any;    /* --flows denied: fix denied flows not seen failing too */
    const char *tier;  /* from scratch: the tier (podflow-suggested) */
    double tier_order; /* its order */
    enum pw_kind kind; /* what to write from scratch */
    int prefix4;       /* --external-prefix: IPv4 external addresses per network set */
    int prefix6;       /* ... IPv6 */
};

struct sg_result {
    struct sg_file *files; /* (malloc'd) */
    size_t nfiles, falloc;
    struct sg_listed *listed; /* (malloc'd) */
    size_t nlisted, lalloc;
    struct sg_change *changes; /* one per change, for people (malloc'd) */
    size_t nchanges, calloc;
    uint64_t targets;  /* fix: flows the fix is for */
    uint64_t policies; /* from scratch: policies, rules and network sets written */
    uint64_t rules;
    uint64_t netsets;
};

void sg_result_init(struct sg_result *r);
void sg_result_release(struct sg_result *r);

/* Add a file read from path (text[0..len) taken over, malloc'd), named rel
 * in the output. */
void sg_result_add_file(struct sg_result *r, const char *path, const char *rel, char *text,
                        size_t len);

/*
 * --fix: plan and write the edits to r's files (the current set, added by
 * the caller with sg_result_add_file()) and any new files, for the flows
 * denied under set cur of fs (judged with ENG_EXPLAIN).  0 or ERR_LIMIT;
 * a file that no longer parses is reported through d and its change
 * falls back to a new policy.
 */
int sg_fix(const struct flowset *fs, int cur, const struct sg_opts *o, struct sg_result *r,
           struct diag *d) MUST_CHECK;

/* From scratch: the files of least-privilege policies for every recorded
 * flow of fs (set cur judged them as the context).  0 or ERR_LIMIT. */
int sg_scratch(const struct flowset *fs, int cur, const struct sg_opts *o,
               struct sg_result *r) MUST_CHECK;

struct sg_proof {
    uint64_t flows;                        /* recorded flows replayed */
    uint64_t expected;                     /* those the result must allow (not listed) */
    uint64_t allowed;                      /* ... and does */
    uint64_t cls[FC_N];                    /* fix: diff's classes, current -> result */
    uint64_t unseen_allowed;               /* breadth: candidate tuples allowed, never seen */
    uint64_t seen;                         /* ... tuples seen */
    uint64_t candidates;                   /* ... judged (workload pairs x destination ports) */
    int breadth_skipped;                   /* too many candidates (LIM_SUGGEST_BREADTH) */
    const struct flowset_flow *failed[10]; /* the first expected flows not allowed */
    size_t nfailed;
};

/*
 * Replay: every flow of fs under set before (the current one, or the
 * context) and after (the written result, loaded back), with r's listed
 * flows excepted from what must be allowed; staged policies count as
 * enforced (what they would do).  Breadth: for every ordered pair of
 * workloads of the case and every port the destination was seen on or
 * declares, whether after allows it (and, with fix, before did not),
 * never seen.  fix: 1 for --fix (targets are what must be allowed).
 */
void sg_prove(const struct flowset *fs, int before, int after, int fix, const struct sg_opts *o,
              const struct sg_result *r, struct sg_proof *p);

/* ---- the parts, for tests ---------------------------------------------- */

/*
 * The selector of the pods of workload w (an endpoint of it) among
 * eps[0..n): the labels every pod of the workload carries, without the
 * per-pod and per-revision ones (pod-template-hash, controller-revision-
 * hash, statefulset.kubernetes.io/pod-name, ...), cut to the fewest
 * (preferring app.kubernetes.io/name, k8s-app, app, ...) that no other
 * workload's pod of the namespace carries all of.  Into out (initialised
 * here).  1: exact; 0: every stable label, yet another workload's pod
 * matches too; -1: no stable label (out empty).
 */
int sg_selector(const struct case_ep *eps, size_t n, const struct case_ep *w, struct labels *out);

/*
 * Ports to allow, p[0..n) (sorted, distinct), as ranges into out (room
 * for n): adjacent ports merge, and a gap between two of them is bridged
 * when every port in it is in honest[0..nh) (sorted, distinct: the
 * destination's recorded and declared ports).  Returns the number of
 * ranges.
 */
size_t sg_port_ranges(const uint16_t *p, size_t n, const uint16_t *honest, size_t nh,
                      struct port_match *out);

/* The network an external address falls in for --external-prefix (the
 * address with host bits cleared), and the GlobalNetworkSet's name for
 * it ("podflow-ext-203-0-113-0-24"), into name[size]. */
void sg_ext_net(const struct ipaddr *ip, int prefix4, int prefix6, struct cidr *out);
void sg_netset_name(const struct cidr *c, char *name, size_t size);

#endif
