/*
 * redaction.c: which verdicts a redacted case cannot be trusted on
 * (redaction.h).
 */
#include "analyze/engine/redaction.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The ranges pseudonyms are drawn from (common/pseudo.h). */
static const char *const red_ranges[] = {"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                         "240.0.0.0/4", "2001:db8::/32"};

/* 1 when c is external and not kept: a rule naming it judges pseudonyms. */
static int cidr_untrusted(const struct red_ctx *r, const struct cidr *c)
{
    return !cidr_is_catchall(c) && !polnets_covers(&r->c->redaction_kept, c);
}

static int netset_untrusted(const struct red_ctx *r, const struct netset *s)
{
    for (size_t i = 0; i < s->nnets; i++)
        if (cidr_untrusted(r, &s->nets[i]))
            return 1;
    return 0;
}

/* The first reason the entity makes its rule untrusted, into why; 0 if none.
 * A network set counts when the entity's selector or notSelector chooses
 * it by the labels the engine matches (its namespace's included). */
static int entity_untrusted(const struct red_ctx *r, const struct engine *eng,
                            const struct entity *e, char *why, size_t size)
{
    const struct policy_set *ps = engine_policies(eng);

    char buf[IPADDR_STRLEN + 8];

    for (size_t i = 0; i < e->nnets; i++)
        if (cidr_untrusted(r, &e->nets[i])) {
            snprintf(why, size, "%s", cidr_format(&e->nets[i], buf));
            return 1;
        }
    for (size_t i = 0; i < e->nnotnets; i++)
        if (cidr_untrusted(r, &e->notnets[i])) {
            snprintf(why, size, "not %s", cidr_format(&e->notnets[i], buf));
            return 1;
        }
    for (size_t i = 0; i < ps->nnetsets; i++) {
        const struct netset *s = &ps->netsets[i];
        const struct labels *ls = engine_netset_labels(eng, i);

        if (((e->sel && sel_eval(e->sel, ls)) || (e->notsel && sel_eval(e->notsel, ls))) &&
            netset_untrusted(r, s)) {
            snprintf(why, size, "network set %s%s%s", s->ns ? s->ns : "", s->ns ? "/" : "",
                     s->name);
            return 1;
        }
    }
    return 0;
}

void red_init(struct red_ctx *r, const struct engine *e, const struct case_db *c)
{
    const struct policy_set *ps = engine_policies(e);
    size_t alloc = 0;

    memset(r, 0, sizeof(*r));
    r->c = c;
    r->redacted = c->redacted;
    if (!r->redacted)
        return;
    for (size_t i = 0; i < ps->npolicies; i++) {
        const struct policy *p = &ps->policies[i];

        for (int d = 0; d < 2; d++) {
            const struct rule *rules = d ? p->egress : p->ingress;
            size_t n = d ? p->negress : p->ningress;

            for (size_t k = 0; k < n; k++) {
                struct red_rule rr;

                memset(&rr, 0, sizeof(rr));
                if (!entity_untrusted(r, e, &rules[k].src, rr.why, sizeof(rr.why)) &&
                    !entity_untrusted(r, e, &rules[k].dst, rr.why, sizeof(rr.why)))
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
    if (ep || polnets_contains(&r->c->redaction_kept, a))
        return 0;
    for (size_t i = 0; i < sizeof(red_ranges) / sizeof(red_ranges[0]); i++) {
        struct cidr c;

        if (cidr_parse(red_ranges[i], strlen(red_ranges[i]), &c, NULL) == 0 && cidr_contains(&c, a))
            return 1;
    }
    return 0;
}

int red_flow_untrusted(const struct red_ctx *r, const struct eng_flow *f)
{
    if (!r->nrules)
        return 0;
    return ((r->dirs & DIR_EGRESS) && pseudonym(r, f->dst, &f->dst_ip)) ||
           ((r->dirs & DIR_INGRESS) && pseudonym(r, f->src, &f->src_ip));
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
