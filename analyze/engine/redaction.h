/*
 * redaction.h: which verdicts a redacted case cannot be trusted on
 * (docs/security.md, "Redaction and verdicts").
 *
 * Redaction replaces external addresses by pseudonyms from documentation
 * ranges; a rule that names an external CIDR (nets, notNets, an ipBlock),
 * or whose selector chooses a network set of external CIDRs, then judges
 * the pseudonym, not the address it stands for, unless the CIDR was kept
 * unredacted (--keep-policy-nets, --keep-net: meta.redaction_kept).  Such
 * rules are listed, and a flow with a pseudonymised peer is flagged when
 * any such rule exists in the direction that faces the peer (egress for a
 * destination, ingress for a source): over-flagged rather than trusted.
 * Catch-alls (0.0.0.0/0, ::/0) match a pseudonym as they match anything,
 * and are trusted.  The verdicts themselves are the engine's: unknown
 * (redacted-peer) when such a rule was tried before the decision
 * (engine.c, docs/semantics.md §11); this module only warns and flags.
 */
#ifndef PODFLOW_ANALYZE_REDACTION_H
#define PODFLOW_ANALYZE_REDACTION_H

#include <stddef.h>

#include "analyze/case/case.h"
#include "analyze/engine/engine.h"
#include "analyze/policy/policy.h"

struct diag;

/* One rule whose verdicts on pseudonyms cannot be trusted. */
struct red_rule {
    const struct policy *pol;
    int dir;      /* DIR_INGRESS or DIR_EGRESS */
    size_t rule;  /* 0-based */
    char why[96]; /* the CIDR, or "network set NAME" */
};

struct red_ctx {
    const struct case_db *c;
    int redacted;           /* the case is (partly) redacted */
    struct red_rule *rules; /* malloc'd */
    size_t nrules;
    unsigned dirs; /* DIR_* bits with at least one such rule */
};

/* Find the untrusted rules of the policy set engine e judges with, for
 * case c (nothing when c is not redacted), choosing network sets by the
 * labels e gives them (engine_netset_labels(): call it after
 * engine_use_namespaces()).  e is used during the call only, and may be
 * NULL when c is not redacted; c is borrowed and must outlive r.  Release
 * with red_release(). */
void red_init(struct red_ctx *r, const struct engine *e, const struct case_db *c);
void red_release(struct red_ctx *r);

/* 1 when the verdict of recorded flow fl cannot be trusted: a peer
 * without identity is a pseudonym, and the direction facing it has an
 * untrusted rule. */
int red_flow_untrusted(const struct red_ctx *r, const struct case_flow *fl);

/* "ns/name egress rule 0 (52.94.0.0/16)" into buf; returns buf. */
const char *red_rule_text(const struct red_rule *rr, char *buf, size_t size);

/* The warning for check, diff and report, naming the rules (the first
 * ten, and how many more); nothing when there is none. */
void red_warn(const struct red_ctx *r, struct diag *d);

#endif
