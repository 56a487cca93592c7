/*
 * redaction.c: which verdicts a redacted case cannot be trusted on
 * (redaction.h).
 */
#include "analyze/engine/redaction.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/pseudo.h"
#include "common/xmalloc.h"
#include "common/compat.h"

void red_init(struct red_ctx *r, const struct engine *e, const struct case_db *c)
{
    const struct policy_set *ps;
    size_t alloc = 0;

    memset(r, 0, sizeof(*r));
    r->c = c;
    r->redacted = c->redacted;
    if (!r->redacted)
        return;
    ps = engine_policies(e);
    for (size_t i = 0; i < ps->npolicies; i++) {
        const struct policy *p = &ps->policies[i];

        for (int d = 0; d < 2; d++) {
            const struct rule *rules = d ? p->egress : p->ingress;
            size_t n = d ? p->negress : p->ningress;

            for (size_t k = 0; k < n; k++) {
                struct red_rule rr;

                memset(&rr, 0, sizeof(rr));
                if (!engine_entity_redacted(e, &c->redaction_kept, &rules[k].src, rr.why,
                                            sizeof(rr.why)) &&
                    !engine_entity_redacted(e, &c->redaction_kept, &rules[k].dst, rr.why,
                                            sizeof(rr.why)))
                    continue;
                rr.pol = p;
                rr.dir = d ? DIR_EGRESS : DIR_INGRESS;
                rr.rule = k;
                ALLOC_GROW(r->rules, r->nrules + 1, alloc);
                r->rules[r->nrules++] = rr;
                r->dirs |= (unsigned)rr.dir;
            }
        }
    }
}

void red_release(struct red_ctx *r)
{
    free(r->rules);
    memset(r, 0, sizeof(*r));
}

/* A peer without identity whose address is a pseudonym. */
static int pseudonym(const struct red_ctx *r, const struct case_ep *ep, const struct ipaddr *a)
{
    return !ep && !polnets_contains(&r->c->redaction_kept, a) && pseudo_in_ranges(a);
}

int red_flow_untrusted(const struct red_ctx *r, const struct case_flow *fl)
{
    if (!r->nrules)
        return 0;
    return ((r->dirs & DIR_EGRESS) && pseudonym(r, fl->dst, &fl->dst_ip)) ||
           ((r->dirs & DIR_INGRESS) && pseudonym(r, fl->src, &fl->src_ip));
}

const char *red_rule_text(const struct red_rule *rr, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s %s rule %zu (%s)", rr->pol->ns ? rr->pol->ns : "",
             rr->pol->ns ? "/" : "", rr->pol->name, rr->dir == DIR_EGRESS ? "egress" : "ingress",
             rr->rule, rr->why);
    return buf;
}

void red_warn(const struct red_ctx *r, struct diag *d)
{
    struct buf b;

    if (!r->nrules)
        return;
    buf_init(&b, 0);
    for (size_t i = 0; i < r->nrules && i < 10; i++) {
        char t[512];

        (void)!buf_addf(&b, "%s%s", i ? ", " : "", red_rule_text(&r->rules[i], t, sizeof(t)));
    }
    if (r->nrules > 10)
        (void)!buf_addf(&b, " and %zu more", r->nrules - 10);
    diag_warn(d,
              "this case is redacted, and %zu rule%s name external addresses that were not "
              "kept (--keep-policy-nets, --keep-net): verdicts on flows with a pseudonymised "
              "peer cannot be trusted (JSON: redaction_untrusted): %.*s",
              r->nrules, r->nrules == 1 ? "" : "s", (int)b.len, b.data ? b.data : "");
    buf_release(&b);
}
