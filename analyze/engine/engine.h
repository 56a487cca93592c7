/*
 * engine.h: judge a flow against a policy set as Calico's dataplane would
 * (docs/semantics.md §0, §2.3, §3, §5): egress at a pod source, ingress
 * at a pod destination, both must allow; tiers in order, policies in
 * order, rules in order; Pass, Log, the end-of-tier deny, tier default
 * actions and the profile default.  Every verdict carries what decided it
 * and the Calico-style policy trace, and on request an explanation of why
 * each rule did or did not match.  Staged policies never decide; they are
 * judged a second time as if enforced and reported as what they would do.
 *
 * Verdicts are cached per (source identity, destination identity,
 * protocol, port) tuple, and selector results per label set, so a case of
 * a million flows costs about as much as its distinct tuples.
 */
#ifndef PODFLOW_ANALYZE_ENGINE_H
#define PODFLOW_ANALYZE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/case/case.h"
#include "analyze/policy/policy.h"
#include "common/attrs.h"
#include "common/ipaddr.h"

struct buf;

/* Why an end decided as it did (the JSON decided_by.reason). */
enum eng_reason {
    REASON_RULE,         /* a rule's Allow or Deny */
    REASON_END_OF_TIER,  /* a tier selected the endpoint and nothing in it decided: Deny */
    REASON_TIER_DEFAULT, /* the last tier's defaultAction Pass fell through to the profile */
    REASON_NO_POLICY,    /* no policy selected the endpoint: the profile's default */
    REASON_PROFILE,      /* a Pass rule fell through every tier to the profile */
    REASON_DATAPLANE     /* dropped before policy (VXLAN / IP-in-IP from a workload) */
};
const char *eng_reason_name(enum eng_reason r); /* "rule", "end-of-tier", ... */

/* The input: one flow with its identities (policy sees post-DNAT). */
struct eng_flow {
    const struct case_ep *src, *dst; /* identity at the flow's time, or NULL */
    const struct case_ep *orig_dst;  /* the Service the flow was DNATed from, or NULL */
    struct ipaddr src_ip, dst_ip;
    int proto; /* 0..255 */
    uint16_t src_port, dst_port;
    int icmp_type, icmp_code; /* -1: not recorded */
};

/*
 * The engine's view of a recorded flow of case c: its identities, addresses,
 * ports and ICMP fields, and the Service it was DNATed from (looked up in c
 * at first_ns).  Returns 1 when the flow carries a recorded DNAT (then
 * *orig, if not NULL, is the address it was sent to), else 0.
 */
int eng_flow_from_case(struct eng_flow *ef, const struct case_db *c, const struct case_flow *fl,
                       struct ipaddr *orig);

/* One entry of a policy trace (§5.1): a Pass, or the decision. */
struct eng_step {
    const struct tier *tier;  /* NULL for a profile or the dataplane */
    const struct policy *pol; /* NULL for a profile or the dataplane */
    const char *profile;      /* "kns.<ns>" for a profile step, else NULL (engine-owned) */
    enum rule_action action;  /* Allow, Deny or Pass */
    int rule;                 /* 0-based; -1: end of tier / tier default */
};

/* --explain: one rule tried, and why it did or did not match. */
struct eng_xrule {
    int index;
    enum rule_action action;
    const struct rule *rule; /* the rule tried (policy set-owned) */
    int matched;
    const char *field;  /* the first criterion that failed: "protocol", "ipVersion",
                           "icmp", "source net", "source selector", "source port",
                           "destination ...", "service", or NULL when matched */
    const char *detail; /* human text (engine-owned) */
};

/* --explain: one policy considered, in evaluation order. */
struct eng_xpol {
    const struct tier *tier;
    const struct policy *pol;
    int staged;              /* skipped: staged policies never decide */
    struct eng_xrule *rules; /* rules tried, in order, up to the deciding one */
    size_t nrules;
    const char *outcome; /* "allow by rule 2", "pass by rule 0", "no rule matched", ... */
};

/* The judgement of one end (egress at the source or ingress at the destination). */
struct eng_dir {
    int judged; /* that end is a pod: policy applies */
    int allow;
    enum eng_reason reason;
    struct eng_step dec;    /* what decided */
    struct eng_step *steps; /* the trace: Pass entries, then dec (engine-owned) */
    size_t nsteps;
    const struct policy **selected; /* end-of-tier: the enforced policies of that tier
                                       that selected the endpoint, in order */
    size_t nselected;
    struct eng_xpol *x; /* with explain: every policy considered */
    size_t nx;
};

struct eng_verdict {
    int allow;       /* both ends allow */
    int decided_dir; /* DIR_EGRESS, DIR_INGRESS, or 0 when neither end is a pod */
    struct eng_dir egress, ingress;
    /* Staged policies judged as if enforced; non-NULL only when that would
     * change the verdict or what decided it. */
    const struct eng_verdict *staged;
};

/* The end that decided: the first denying end (egress before ingress);
 * for an allowed flow the end that says most (a rule's Allow, then a
 * fall-through to the profile, then no policy; egress on a tie); NULL when
 * neither end is a pod. */
const struct eng_dir *eng_decided(const struct eng_verdict *v);

enum eng_flags {
    ENG_EXPLAIN = 1 << 0 /* keep the per-rule explanation */
};

struct eng_stats {
    uint64_t judged;     /* engine_judge() calls */
    uint64_t tuples;     /* distinct tuples evaluated (cache misses) */
    uint64_t label_sets; /* distinct label sets seen */
    uint64_t selectors;  /* distinct selectors */
};

struct engine;

/*
 * A new engine over ps (borrowed: it must outlive the engine) and the
 * case's endpoints eps[0..neps) (borrowed likewise; they may be NULL/0).
 * flags: enum eng_flags.  Never fails but for out of memory (fatal).
 */
struct engine *engine_new(const struct policy_set *ps, const struct case_ep *eps, size_t neps,
                          unsigned flags);
void engine_free(struct engine **e);

/* Judge f.  The verdict is engine-owned and lives as long as the engine
 * (identical tuples return the same verdict). */
const struct eng_verdict *engine_judge(struct engine *e, const struct eng_flow *f);

void engine_stats(const struct engine *e, struct eng_stats *out);

/*
 * Append a trace entry as Calico flow logs write it (DESIGN.md contract):
 * "index|tier|namespace/tier.name|action|ruleIndex", with the knp.default.,
 * staged: and __PROFILE__ spellings of §5.1.  0 or ERR_LIMIT.
 */
int eng_step_format(const struct eng_step *s, unsigned index, struct buf *out) MUST_CHECK;

/* "namespace/name" or "name" of a policy into out; the admin kinds as Calico
 * names them ("kanp.adminnetworkpolicy.<name>", ...). */
int eng_policy_name(const struct policy *p, struct buf *out) MUST_CHECK;

/* The rule of p that step index rule names in direction dir (DIR_*), or
 * NULL for a tier default or profile. */
const struct rule *eng_rule_of(const struct policy *p, int dir, int rule);

/* A rule's label for people: "" for Calico's own rules; for rules converted
 * from an admin policy " 'name'" (the rule's name as written) and, for the
 * deny-all that replaces a rule Calico could not convert, " (fail-closed)".
 * Into out. */
int eng_rule_label(const struct rule *r, struct buf *out) MUST_CHECK;

#endif
