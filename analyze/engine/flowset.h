/*
 * flowset.h: every flow of a case judged under one policy set, or two
 * (a proposal and what it replaces), kept in memory for the commands that
 * need all flows at once: diff (what flips), report (the HTML page) and
 * check --format dot (the service graph).
 *
 * Verdicts are the engines' (one engine per policy set, so identical
 * tuples are judged once per set); the flowset owns the case, the policy
 * sets and the engines, so every pointer in a flowset_flow lives as long
 * as the flowset.
 */
#ifndef PODFLOW_ANALYZE_FLOWSET_H
#define PODFLOW_ANALYZE_FLOWSET_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/case/case.h"
#include "analyze/engine/engine.h"
#include "analyze/engine/observe.h"
#include "analyze/policy/policy.h"
#include "common/arena.h"
#include "common/attrs.h"

struct diag;

/* The policy sets: FS_NEW is -p (or --new), FS_OLD is --old; a third
 * (FS_MAX) is what flowset_add_set() may add (suggest's proof). */
enum { FS_NEW = 0, FS_OLD = 1, FS_MAX = 3 };

struct flowset_flow {
    int64_t id; /* flows.id */
    int64_t first_ns, last_ns;
    const struct case_ep *src, *dst;             /* identities at first_ns, or NULL (case-owned) */
    const struct case_proc *src_proc, *dst_proc; /* processes at the ends, or NULL (case-owned) */
    struct ipaddr src_ip, dst_ip;                /* dst post-DNAT */
    uint16_t src_port, dst_port;
    int proto;
    const char *state; /* Zeek conn_state (flowset-owned) */
    enum observed obs;
    int64_t packets, bytes;              /* both directions */
    const struct eng_verdict *v[FS_MAX]; /* [FS_NEW], [FS_OLD] (NULL without --old), then
                                            the sets flowset_add_set() added */
    struct eng_flow ef;                  /* what the engines judged (case-owned pointers) */
};

struct flowset {
    struct case_db c;
    struct policy_set ps[FS_MAX];
    int nsets; /* 1, or 2 with an old set; more after flowset_add_set() */
    struct engine *e[FS_MAX];
    struct flowset_flow *flows; /* in the case's rowid order (malloc'd) */
    size_t nflows, alloc;
    struct arena arena; /* interned states */
};

/* What to load: policy paths of each set (old may be empty), and the
 * filters check takes. */
struct flowset_opts {
    const char *const *paths[2];
    size_t npaths[2];
    const struct case_filter *filter; /* may be NULL */
    const char *ns;                   /* only flows with an end in ns, or NULL */
    unsigned eng_flags;               /* enum eng_flags */
    unsigned load_flags;              /* policy_set_load() flags, for both sets */
    int strict;                       /* a row left out as unusable is an error (case.h) */
};

/*
 * Load the policy sets, open the case and judge every flow.  Reports
 * through d; 0, or the loader's / case reader's error (ERR_INVALID,
 * ERR_PARSE, ERR_DB, ERR_FORMAT, ...).  On failure nothing needs
 * releasing; on success release with flowset_release().
 */
int flowset_load(struct flowset *fs, const char *casepath, const struct flowset_opts *o,
                 struct diag *d) MUST_CHECK;
/* The same for several case files, read as one (case_open_many(), with
 * its default options). */
int flowset_load_many(struct flowset *fs, char *const *cases, size_t ncases,
                      const struct flowset_opts *o, struct diag *d) MUST_CHECK;
void flowset_release(struct flowset *fs);

/*
 * Load one more policy set from paths (as policy_set_load() with flags)
 * and judge every flow of fs under it with a new engine (eng_flags), into
 * v[k] where k is returned through *index.  0, ERR_LIMIT (FS_MAX sets
 * already) or the loader's error (reported through d; fs is unchanged).
 */
int flowset_add_set(struct flowset *fs, const char *const *paths, size_t npaths,
                    unsigned load_flags, unsigned eng_flags, int *index, struct diag *d) MUST_CHECK;

/* What a change of verdict means, by what the capture saw (diff's
 * classes, in the order of the worst news first). */
enum flowset_class {
    FC_WOULD_BREAK,   /* observed ok, denied now, not before */
    FC_NEWLY_DENIED,  /* denied now, not before, outcome not seen ok */
    FC_NEWLY_UNKNOWN, /* unknown now, not before, or for another reason */
    FC_WOULD_FIX,     /* observed failed, allowed now, not before */
    FC_NEWLY_ALLOWED, /* allowed now, not before, outcome not seen failed */
    FC_ELSEWHERE,     /* the same verdict, another policy, rule or tier decides */
    FC_N
};
extern const char *const flowset_class_names[FC_N]; /* "would-break", ... */

/* The class of a flow observed obs whose verdict was old and is now
 * new, or -1 when both decide alike (flowset_same_decision()). */
int flowset_classify(enum observed obs, const struct eng_verdict *old,
                     const struct eng_verdict *new);

/* What the end of a flow is in the service graph and --group workload:
 * pods of one workload share a key ("pod", ns, workload); a Service is
 * ("service", ns, name); hosts are all one ("host", NULL, NULL); anything
 * else, known or not, is ("external", NULL, NULL).  Borrowed strings. */
struct flowset_node {
    const char *kind; /* "pod", "service", "host", "external" */
    const char *ns;
    const char *name;
};
void flowset_node_of(const struct case_ep *ep, struct flowset_node *out);

/* 1 when the two verdicts decide alike: same verdict and the same policy,
 * tier, rule and reason at the deciding end. */
int flowset_same_decision(const struct eng_verdict *a, const struct eng_verdict *b);

/* Append how a verdict was decided, as people read it ("egress rule 0
 * (Allow) of fme/app.engine [tier application]", "egress end of tier
 * application", ...).  0 or ERR_LIMIT. */
int flowset_decider_text(const struct eng_verdict *v, struct buf *out) MUST_CHECK;

#endif
