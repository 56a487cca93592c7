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

/* A verdict (docs/semantics.md §11): never allow or deny without the
 * inputs to say so. */
enum verdict { VERDICT_ALLOW, VERDICT_DENY, VERDICT_UNKNOWN };
const char *verdict_name(enum verdict v); /* "allow", "deny", "unknown" */

/* Why an end decided as it did (the JSON decided_by.reason). */
enum eng_reason {
    REASON_RULE,         /* a rule's Allow or Deny */
    REASON_END_OF_TIER,  /* a tier selected the endpoint and nothing in it decided: Deny */
    REASON_TIER_DEFAULT, /* the last tier's defaultAction Pass fell through to the profile */
    REASON_NO_POLICY,    /* no policy selected the endpoint: the profile's default */
    REASON_PROFILE,      /* a Pass rule fell through every tier to the profile */
    REASON_DATAPLANE,    /* dropped before policy (VXLAN / IP-in-IP from a workload) */
    REASON_HOST_LOCAL,   /* host -> a workload on its node: never policed (§13.1) */
    REASON_TO_HOST,      /* workload -> its own host: defaultEndpointToHostAction, after
                            the workload's egress (§13.2) */
    REASON_FELIX_ALLOWS, /* ICMPv6 Felix allows before policy (§13.4) */
    REASON_FAILSAFE,     /* a host endpoint's failsafe port, before any policy (§17.5) */
    REASON_NO_PROFILE    /* a host endpoint's policies did not decide and no profile
                            allowed: Felix drops "if no profiles matched" (§17.4) */
};
const char *eng_reason_name(enum eng_reason r); /* "rule", "end-of-tier", ... */

/* Why a verdict is unknown (§11, §12). */
enum eng_unknown {
    UNK_NONE,
    UNK_NO_IDENTITIES,     /* the case names no pod or Service at all */
    UNK_SRC_IDENTITY,      /* the source lies in a pod network and has no identity then */
    UNK_DST_IDENTITY,      /* the same for the destination */
    UNK_BACKENDS_DISAGREE, /* via a Service, translation not recorded: backends differ */
    UNK_BACKEND_UNKNOWN,   /* ... and some backend's own verdict is unknown */
    UNK_NO_BACKENDS,       /* ... and no ready backend at that time */
    UNK_MANY_BACKENDS,     /* ... and more ready backends than LIM_SVC_BACKENDS */
    UNK_REDACTED,          /* a redacted case: a rule tried before the decision names an
                              external CIDR not kept, and the peer is a pseudonym */
    UNK_HEP_UNPLACED,      /* crosses a node with interface-specific host endpoints by an
                              interface the case did not record (§17.3) */
    UNK_HEP_PROFILE,       /* reached a host endpoint profile podflow does not model */
    UNK_HEP_NODE           /* host endpoints exist, and the node of an end is not known */
};
const char *eng_unknown_name(enum eng_unknown u); /* "no-identities", ... */

/* The input: one flow with its identities (policy sees post-DNAT). */
struct eng_flow {
    const struct case_ep *src, *dst; /* identity at the flow's time, or NULL */
    const struct case_ep *orig_dst;  /* the Service the flow was DNATed from, or NULL */
    struct ipaddr src_ip, dst_ip;
    int proto; /* 0..255 */
    uint16_t src_port, dst_port;
    int icmp_type, icmp_code;   /* -1: not recorded */
    int64_t t;                  /* the flow's time (first_ns): Service endpoints at it */
    const struct case_svc *svc; /* sent to this Service, translation unknown: judged against
                                   each ready backend (§12), or NULL */
    size_t svc_port;            /* the Service port's index */
    /* Where the capture saw the flow on a node's own (non-workload)
     * interface, at most once per node: which host endpoint it crossed
     * there (§17.3).  node NULL: none (case-owned strings). */
    struct {
        const char *node, *iface;
    } seen[2];
};

/*
 * The engine's view of a recorded flow of case c: its identities, addresses,
 * ports and ICMP fields, and the Service it was DNATed from (looked up in c
 * at first_ns).  Returns 1 when the flow carries a recorded DNAT (then
 * *orig, if not NULL, is the address it was sent to), else 0.
 */
int eng_flow_from_case(struct eng_flow *ef, const struct case_db *c, const struct case_flow *fl,
                       struct ipaddr *orig);

/* Note that the flow was seen at node's interface iface (borrowed strings):
 * kept when iface is a node's own (not a workload's) and node has none yet. */
void eng_flow_seen(struct eng_flow *ef, const char *node, const char *iface);

/* One entry of a policy trace (§5.1): a Pass, or the decision. */
struct eng_step {
    const struct tier *tier;  /* NULL for a profile or the dataplane */
    const struct policy *pol; /* NULL for a profile or the dataplane */
    const char *profile;      /* "kns.<ns>" for a profile step, else NULL (engine-owned) */
    enum rule_action action;  /* Allow, Deny or Pass */
    int rule;                 /* 0-based; -1: end of tier / tier default */
    const char *failsafe;     /* a host endpoint's failsafe ports decided: "inbound" or
                                 "outbound" (static), else NULL */
};

/* Which of Felix's chains of a host endpoint (§17.4), or the workload's,
 * judged (part of) an end. */
enum eng_stage {
    STAGE_WORKLOAD,  /* the workload endpoint's policies and profile */
    STAGE_FAILSAFE,  /* the host endpoint's failsafe ports */
    STAGE_UNTRACKED, /* its doNotTrack policies */
    STAGE_PREDNAT,   /* its preDNAT policies */
    STAGE_NORMAL,    /* its normal policies and profiles (host-terminated / originated) */
    STAGE_FORWARD    /* its applyOnForward policies (forwarded through it) */
};
const char *eng_stage_name(enum eng_stage s); /* "workload", "failsafe", "untracked", ... */

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
    const struct hostep *hep; /* judged for this host endpoint, or NULL: the workload */
    enum eng_stage stage;
    int staged;              /* skipped: staged policies never decide */
    struct eng_xrule *rules; /* rules tried, in order, up to the deciding one */
    size_t nrules;
    const char *outcome; /* "allow by rule 2", "pass by rule 0", "no rule matched", ... */
};

/* The judgement of one end (egress at the source or ingress at the destination). */
struct eng_dir {
    int judged; /* that end is a pod: policy applies (or Felix decides, §13) */
    int allow;
    enum eng_reason reason;
    enum felix_to_host to_host;            /* REASON_TO_HOST: the action applied */
    const struct felix_config *to_host_by; /* ... set by this object, or NULL: Calico's
                                              installs' default (policy-set-owned) */
    struct eng_step dec;                   /* what decided */
    struct eng_step *steps;                /* the trace: Pass entries, then dec (engine-owned) */
    size_t nsteps;
    const struct policy **selected; /* end-of-tier: the enforced policies of that tier
                                       that selected the endpoint, in order */
    size_t nselected;
    struct eng_xpol *x; /* with explain: every policy considered */
    size_t nx;
    /* A redacted case (§11): the first rule tried, up to the decision,
     * whose match on the pseudonymised peer is not known (it names an
     * external CIDR redaction did not keep), or NULL. */
    const struct policy *redacted_pol;
    int redacted_rule; /* 0-based */
    /* §17: the host endpoint whose chain decided (NULL: the workload's, or
     * Felix's §13 decisions), and which chain.  An end may pass several:
     * at a pod, the host endpoints its packets cross on its node too. */
    const struct hostep *hep;
    enum eng_stage stage;
    int unknown;     /* a host endpoint that cannot be placed or judged (§17.3) */
    const char *why; /* ... said for people (engine-owned) */
};

struct eng_backend;

/* A flow sent to a Service whose translation was not recorded nor paired
 * (§12): the ready backends at its time, each judged. */
struct eng_via {
    const struct case_svc *svc;
    size_t svc_port;
    size_t nbackends;            /* ready backends at the time */
    const struct eng_backend *b; /* those judged (all unless more than
                                    LIM_SVC_BACKENDS), engine-owned */
    size_t nb;
    int agree; /* every backend's verdict is the same, known one */
};

struct eng_verdict {
    enum verdict verdict;     /* allow: both ends allow; deny: one denies; unknown: §11 */
    enum eng_unknown unknown; /* why unknown, else UNK_NONE */
    int decided_dir;          /* DIR_EGRESS, DIR_INGRESS, or 0 when neither end is a pod */
    struct eng_dir egress, ingress;
    /* Staged policies judged as if enforced; non-NULL only when that would
     * change the verdict or what decided it. */
    const struct eng_verdict *staged;
    /* Judged through the Service's backends (§12), or NULL.  An agreeing
     * verdict is the first backend's, with this added. */
    const struct eng_via *via;
    /* For people: why it is unknown ("the source 198.18.9.9 lies in pod
     * network 198.18.0.0/16 (IPPool default) and has no identity at the
     * flow's time"), or how the Service's backends decided ("via Service
     * shop/web, backend not recorded, all 3 backends agree"); NULL
     * otherwise (engine-owned). */
    const char *why;
};

/* One backend of a Service, judged. */
struct eng_backend {
    const struct case_ep *ep; /* identity at the time, or NULL */
    struct ipaddr ip;
    uint16_t port;
    const struct eng_verdict *v;
};

/* 1 when v counts as denied: deny, or unknown with strict. */
static inline int eng_counts_denied(const struct eng_verdict *v, int strict)
{
    return v->verdict == VERDICT_DENY || (strict && v->verdict == VERDICT_UNKNOWN);
}

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

/* Give the engine the case its endpoints come from (borrowed: it must
 * outlive the engine): its Services (flows to a Service judged through
 * its backends, `services` rules matched through EndpointSlices, §12) and
 * pod networks (unidentified ends, §11).  Without it, neither. */
void engine_set_case(struct engine *e, const struct case_db *c);

/*
 * Give the engine the case's namespaces: a namespaced NetworkSet then
 * carries the labels it inherits from its namespace's profile kns.<ns>
 * (pcns.*, §2.4), as a pod does, so that a rule's namespaceSelector can
 * choose it.  Call once, after engine_new() and before judging; c must
 * outlive nothing (the labels are copied).
 */
void engine_use_namespaces(struct engine *e, const struct case_db *c);

/* The policy set e judges with (engine_new()'s ps, borrowed). */
const struct policy_set *engine_policies(const struct engine *e);

/*
 * A redacted case (§11): 1 when entity en of one of e's rules names an
 * external CIDR that redaction did not keep (kept: the case's
 * meta.redaction_kept, indexed): in its nets or notNets (a catch-all
 * matches any address and counts not), or in a network set its selector
 * or notSelector chooses by the labels e matches (engine_netset_labels()).
 * The first such, as people read it ("52.94.0.0/16", "not 10.0.0.0/8",
 * "network set ns/name"), into why (may be NULL).  0 when none.
 */
int engine_entity_redacted(const struct engine *e, const struct polnets *kept,
                           const struct entity *en, char *why, size_t size);

/* The labels e matches selectors against for network set k of its policy
 * set (§2.4): the set's own, and once engine_use_namespaces() ran, what a
 * namespaced set inherits from its namespace.  Engine-owned. */
const struct labels *engine_netset_labels(const struct engine *e, size_t k);

/* Judge f.  The verdict is engine-owned and lives as long as the engine
 * (identical tuples return the same verdict). */
const struct eng_verdict *engine_judge(struct engine *e, const struct eng_flow *f);

/*
 * The verdict engine_judge() gives the flow eng_flow_from_case(c, fl, orig)
 * makes, and what eng_flow_from_case() returns in *dnat (and *orig, which
 * must not be NULL).  The common case (no recorded translation, no
 * Service's backends, no host endpoint by interface) finds a cached
 * verdict without making the struct eng_flow.
 */
const struct eng_verdict *engine_judge_case(struct engine *e, const struct case_db *c,
                                            const struct case_flow *fl, struct ipaddr *orig,
                                            int *dnat);

void engine_stats(const struct engine *e, struct eng_stats *out);

/*
 * Append a trace entry as Calico flow logs write it (DESIGN.md contract):
 * "index|tier|namespace/tier.name|action|ruleIndex", with the knp.default.,
 * staged: and __PROFILE__ spellings of §5.1.  0 or ERR_LIMIT.
 */
int eng_step_format(const struct eng_step *s, unsigned index, struct buf *out) MUST_CHECK;

/*
 * What Felix decided before or instead of policy at end d (§13: the host
 * to a local pod, ICMPv6 neighbour discovery, defaultEndpointToHostAction),
 * as people read it, appended to out.  1 when d is such an end (and text
 * was appended), 0 when not (nothing appended), or ERR_LIMIT.
 */
int eng_felix_text(const struct eng_dir *d, struct buf *out) MUST_CHECK;

/*
 * How a verdict was decided, as people read it ("egress rule 0 (Allow) of
 * fme/app.engine [tier application]", "ingress host endpoint h (node n),
 * its policies: end of tier default", ...), appended to out; with_selected:
 * an end of tier names the policies that selected the endpoint.  0 or
 * ERR_LIMIT.
 */
int eng_decider_text(const struct eng_verdict *v, int with_selected, struct buf *out) MUST_CHECK;

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
