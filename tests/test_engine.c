/*
 * test_engine.c: the evaluation engine (analyze/engine.c) against
 * docs/semantics.md §2.3, §3, §5 and the evaluation items of §9.
 *
 * Policies are built here directly in the backend model of
 * analyze/policy.h (effective selectors already combined, as Calico's
 * converters leave them), so each case pins one engine semantic and no
 * loader behaviour.  Every case is written to fail under the nearest wrong
 * reading of the rule it tests; the comment above it names that reading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "analyze/engine/engine.h"
#include "analyze/engine/redaction.h"
#include "analyze/policy/policy.h"
#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/polnets.h"
#include "common/compat.h"

/* ---- a tiny world builder ------------------------------------------------- */

#define MAXP 16
#define MAXT 4
#define MAXE 12

struct world {
    struct policy_set ps;
    struct tier tiers[MAXT];
    struct policy pols[MAXP];
    struct policy *tpols[MAXT][MAXP];
    struct netset nsets[2];
    struct case_ep eps[MAXE];
    struct case_ns nss[2];
    size_t neps;
};

static struct world W;

static struct sel *S(const char *text)
{
    struct sel *s = NULL;
    struct sel_error err;

    if (!text)
        return NULL;
    assert_int_equal(sel_parse(&W.ps.arena, text, strlen(text), &s, &err), 0);
    return s;
}

static void world_init(void)
{
    memset(&W, 0, sizeof(W));
    arena_init(&W.ps.arena, 0);
    W.ps.tiers = W.tiers;
    W.ps.policies = W.pols;
    W.ps.netsets = W.nsets;
    W.nss[0].name = "fme";
    labels_init(&W.nss[0].labels);
    assert_int_equal(labels_set(&W.nss[0].labels, "kubernetes.io/metadata.name", "fme"), 0);
    assert_int_equal(labels_set(&W.nss[0].labels, "team", "flow"), 0);
}

static void world_release(void)
{
    size_t i;

    for (i = 0; i < W.neps; i++) {
        labels_release(&W.eps[i].labels);
        labels_release(&W.eps[i].calico);
    }
    for (i = 0; i < W.ps.nnetsets; i++)
        labels_release(&W.nsets[i].labels);
    labels_release(&W.nss[0].labels);
    arena_release(&W.ps.arena);
}

static struct tier *tier(const char *name, double order, int default_pass)
{
    struct tier *t = &W.tiers[W.ps.ntiers];

    t->name = name;
    t->defined = 1;
    t->has_order = 1;
    t->order = order;
    t->default_pass = default_pass;
    t->policies = W.tpols[W.ps.ntiers];
    W.ps.ntiers++;
    return t;
}

static void rule_init(struct rule *r, enum rule_action a)
{
    memset(r, 0, sizeof(*r));
    r->action = a;
    r->proto = -1;
    r->notproto = -1;
    r->icmp.type = r->icmp.code = -1;
    r->noticmp.type = r->noticmp.code = -1;
}

/* A policy in tier t (appended in policy order); selector is the
 * effective one.  rules are given later with add_rule(). */
static struct policy *pol(struct tier *t, enum pol_kind kind, const char *ns, const char *name,
                          const char *selector, unsigned types)
{
    struct policy *p = &W.pols[W.ps.npolicies++];

    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->ns = ns;
    p->name = name;
    p->tier = t->name;
    p->has_order = 1;
    p->order = (double)t->npolicies;
    p->selector = S(selector);
    p->selector_text = selector;
    p->types = types;
    p->staged = kind == POL_SNP || kind == POL_SGNP || kind == POL_SKNP;
    p->ingress = arena_calloc(&W.ps.arena, 8, sizeof(struct rule));
    p->egress = arena_calloc(&W.ps.arena, 8, sizeof(struct rule));
    t->policies[t->npolicies++] = p;
    return p;
}

static struct rule *add_rule(struct policy *p, int dir, enum rule_action a)
{
    struct rule *r = dir == DIR_INGRESS ? &p->ingress[p->ningress++] : &p->egress[p->negress++];

    rule_init(r, a);
    return r;
}

static struct cidr *cidrs(const char *a, const char *b, size_t *n)
{
    struct cidr *v = arena_calloc(&W.ps.arena, 2, sizeof(*v));

    *n = 0;
    if (a)
        assert_int_equal(cidr_parse(a, strlen(a), &v[(*n)++], NULL), 0);
    if (b)
        assert_int_equal(cidr_parse(b, strlen(b), &v[(*n)++], NULL), 0);
    return v;
}

static struct port_match *ports1(uint16_t lo, uint16_t hi, const char *name, size_t *n)
{
    struct port_match *v = arena_calloc(&W.ps.arena, 1, sizeof(*v));

    v->lo = lo;
    v->hi = hi;
    v->name = name;
    *n = 1;
    return v;
}

/* A pod in namespace ns with labels "k=v,k=v" and an optional service
 * account; its Calico labels are built as case.c builds them. */
static struct case_ep *pod(const char *ip, const char *ns, const char *name, const char *labels,
                           const char *sa)
{
    struct case_ep *ep = &W.eps[W.neps++];
    char buf[256], *p, *save = NULL;

    memset(ep, 0, sizeof(*ep));
    assert_int_equal(ipaddr_parse(ip, strlen(ip), &ep->ip), 0);
    ep->ip_text = ip;
    ep->kind = EP_POD;
    ep->ns = ns;
    ep->name = name;
    ep->sa = sa;
    labels_init(&ep->labels);
    snprintf(buf, sizeof(buf), "%s", labels ? labels : "");
    for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(p, '=');

        assert_non_null(eq);
        *eq = 0;
        assert_int_equal(labels_set(&ep->labels, p, eq + 1), 0);
    }
    assert_int_equal(
        case_calico_labels(ep, ns && strcmp(ns, "fme") == 0 ? &W.nss[0] : NULL, &ep->calico), 0);
    return ep;
}

static struct case_ep *other(const char *ip, enum ep_kind kind)
{
    struct case_ep *ep = &W.eps[W.neps++];

    memset(ep, 0, sizeof(*ep));
    assert_int_equal(ipaddr_parse(ip, strlen(ip), &ep->ip), 0);
    ep->ip_text = ip;
    ep->kind = kind;
    labels_init(&ep->labels);
    labels_init(&ep->calico);
    return ep;
}

static void add_port(struct case_ep *ep, const char *name, int proto, uint16_t port)
{
    struct case_port *v = arena_calloc(&W.ps.arena, ep->nports + 1, sizeof(*v));

    if (ep->nports)
        memcpy(v, ep->ports, ep->nports * sizeof(*v));
    v[ep->nports].name = name;
    v[ep->nports].proto = proto;
    v[ep->nports].port = port;
    ep->ports = v;
    ep->nports++;
}

static struct engine *E;

static const struct eng_verdict *judge_ip(const struct case_ep *s, const char *sip,
                                          const struct case_ep *d, const char *dip, int proto,
                                          uint16_t sport, uint16_t dport)
{
    struct eng_flow f;

    memset(&f, 0, sizeof(f));
    f.src = s;
    f.dst = d;
    if (s)
        f.src_ip = s->ip;
    else
        assert_int_equal(ipaddr_parse(sip, strlen(sip), &f.src_ip), 0);
    if (d)
        f.dst_ip = d->ip;
    else
        assert_int_equal(ipaddr_parse(dip, strlen(dip), &f.dst_ip), 0);
    f.proto = proto;
    f.src_port = sport;
    f.dst_port = dport;
    f.icmp_type = f.icmp_code = -1;
    if (!E)
        E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    return engine_judge(E, &f);
}

static const struct eng_verdict *judge(const struct case_ep *s, const struct case_ep *d, int proto,
                                       uint16_t dport)
{
    return judge_ip(s, NULL, d, NULL, proto, 40000, dport);
}

static int setup(void **state)
{
    (void)state;
    world_init();
    E = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    engine_free(&E);
    world_release();
    return 0;
}

#define NSSEL(sel) "(" sel ") && projectcalico.org/namespace == 'fme'"

/* ---- cases ------------------------------------------------------------------- */

/* §9.1: `role != "db"` selects a pod WITHOUT role; reading a missing label
 * as "no match" would leave the pod unselected and allowed by profile. */
static void test_ne_on_missing_label(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    const struct eng_verdict *v;

    (void)state;
    pol(t, POL_NP, "fme", "not-db", NSSEL("role != \"db\""), DIR_INGRESS);
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->decided_dir, DIR_INGRESS);
    assert_int_equal(v->ingress.reason, REASON_END_OF_TIER);
    assert_int_equal(v->ingress.nselected, 1);
    assert_string_equal(v->ingress.selected[0]->name, "not-db");
    assert_int_equal(v->ingress.dec.rule, -1);
    /* Egress at a: nothing selects a for egress (types: Ingress only). */
    assert_true(v->egress.judged && v->egress.allow);
    assert_int_equal(v->egress.reason, REASON_NO_POLICY);
}

/* §9.9: Pass in the last applicable tier falls to the profile, which allows
 * a pod; treating Pass as a deny (or an end-of-tier) would deny. */
static void test_pass_at_last_tier(void **state)
{
    struct tier *t1 = tier("security", 10, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t1, POL_GNP, NULL, "pass-all", "all()", DIR_INGRESS);
    const struct eng_verdict *v;
    struct buf out;

    (void)state;
    add_rule(p, DIR_INGRESS, ACT_PASS);
    v = judge(a, b, 6, 80);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.reason, REASON_PROFILE);
    assert_int_equal(v->ingress.nsteps, 2);
    buf_init(&out, 0);
    assert_int_equal(eng_step_format(&v->ingress.steps[0], 0, &out), 0);
    assert_string_equal(out.data, "0|security|security.pass-all|pass|0");
    buf_reset(&out);
    assert_int_equal(eng_step_format(&v->ingress.steps[1], 1, &out), 0);
    assert_string_equal(out.data, "1|__PROFILE__|__PROFILE__.kns.fme|allow|0");
    buf_release(&out);
}

/* Which policies select a pod is found through the index of the labels
 * their selectors require (need_index(), lset_cands()): the policies
 * listed under one of its labels (an equality, any member of an `in`,
 * one operand of a conjunction) and those listed under none (all(), a
 * negation), in policy order; never one whose required label it lacks. */
static void test_selected_through_index(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    static const char *const sels[] = {
        NSSEL("app == 'y'"),        /* b: its app and its namespace */
        "all()",                    /* both: listed under no label */
        "app in {'a', 'y'}",        /* b: the second member */
        NSSEL("app == 'x'"),        /* a */
        "!(app == 'q')",            /* both: a negation requires nothing */
        "app == 'y' || app == 'x'", /* both: a disjunction requires nothing */
        "app == 'q'",               /* neither */
    };
    static const char *const names[] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6"};
    const struct eng_verdict *v;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(sels); i++)
        pol(t, POL_NP, "fme", names[i], sels[i], DIR_INGRESS);
    v = judge(a, b, 6, 80);
    assert_int_equal(v->ingress.reason, REASON_END_OF_TIER);
    assert_int_equal(v->ingress.nselected, 5);
    assert_string_equal(v->ingress.selected[0]->name, "p0");
    assert_string_equal(v->ingress.selected[1]->name, "p1");
    assert_string_equal(v->ingress.selected[2]->name, "p2");
    assert_string_equal(v->ingress.selected[3]->name, "p4");
    assert_string_equal(v->ingress.selected[4]->name, "p5");
    v = judge(b, a, 6, 80);
    assert_int_equal(v->ingress.reason, REASON_END_OF_TIER);
    assert_int_equal(v->ingress.nselected, 4);
    assert_string_equal(v->ingress.selected[0]->name, "p1");
    assert_string_equal(v->ingress.selected[1]->name, "p3");
    assert_string_equal(v->ingress.selected[2]->name, "p4");
    assert_string_equal(v->ingress.selected[3]->name, "p5");
}

/* Pass leaves the tier at once: a Deny later in the same tier is not
 * consulted, but the next tier is (its end-of-tier denies here). */
static void test_pass_skips_rest_of_tier(void **state)
{
    struct tier *t1 = tier("security", 10, 0);
    struct tier *t2 = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p1 = pol(t1, POL_GNP, NULL, "p1", "all()", DIR_INGRESS);
    struct policy *p2 = pol(t1, POL_GNP, NULL, "p2", "all()", DIR_INGRESS);
    const struct eng_verdict *v;

    (void)state;
    add_rule(p1, DIR_INGRESS, ACT_PASS);
    add_rule(p2, DIR_INGRESS, ACT_DENY);
    pol(t2, POL_NP, "fme", "deny-in", NSSEL("all()"), DIR_INGRESS);
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.reason, REASON_END_OF_TIER);
    assert_ptr_equal(v->ingress.dec.tier, t2);
    assert_string_equal(v->ingress.dec.pol->name, "deny-in");
}

/* §4.2, §5: a tier with defaultAction Pass that does not decide falls
 * through; treating every tier's end as Deny would deny. */
static void test_tier_default_pass(void **state)
{
    struct tier *t1 = tier("platform", 10, 1);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t1, POL_GNP, NULL, "only-dns", "all()", DIR_INGRESS);
    struct rule *r;
    const struct eng_verdict *v;

    (void)state;
    r = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    r->proto = 17;
    r->dst.ports = ports1(53, 53, NULL, &r->dst.nports);
    v = judge(a, b, 6, 80);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.reason, REASON_TIER_DEFAULT);
    assert_int_equal(v->ingress.steps[0].action, ACT_PASS);
    assert_int_equal(v->ingress.steps[0].rule, -1);
}

/* §9.8 and §5: the end-of-tier deny only when a policy of the tier selected
 * the endpoint for that direction.  A tier whose policy selects other pods
 * is skipped: applying its end-of-tier to everyone would deny. */
static void test_tier_not_applying(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    const struct eng_verdict *v;

    (void)state;
    pol(t, POL_NP, "fme", "db-only", NSSEL("app == \"db\""), DIR_INGRESS | DIR_EGRESS);
    v = judge(a, b, 6, 80);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->egress.reason, REASON_NO_POLICY);
    assert_int_equal(v->ingress.reason, REASON_NO_POLICY);
}

/* §9.8: a policy that covers only the other direction has no effect, while
 * one that selects the endpoint with no rules for the direction denies. */
static void test_types_direction(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    const struct eng_verdict *v;

    (void)state;
    pol(t, POL_NP, "fme", "egress-only", NSSEL("app == \"y\""), DIR_EGRESS);
    pol(t, POL_NP, "fme", "deny-egress", NSSEL("app == \"x\""), DIR_EGRESS);
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->decided_dir, DIR_EGRESS);
    assert_int_equal(v->egress.reason, REASON_END_OF_TIER);
    assert_string_equal(v->egress.dec.pol->name, "deny-egress");
    assert_true(v->ingress.allow); /* egress-only never applies to b's ingress */
}

/* §9.10: a staged-only tier has no end-of-tier action; the staged policy
 * is reported as what it would do.  Counting staged policies as selecting
 * the endpoint would deny. */
static void test_staged_only_tier(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    const struct eng_verdict *v;

    (void)state;
    pol(t, POL_SNP, "fme", "lockdown", NSSEL("all()"), DIR_INGRESS);
    v = judge(a, b, 6, 80);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.reason, REASON_NO_POLICY);
    assert_non_null(v->staged);
    assert_false(v->staged->verdict == VERDICT_ALLOW);
    assert_int_equal(v->staged->ingress.reason, REASON_END_OF_TIER);
    assert_string_equal(v->staged->ingress.dec.pol->name, "lockdown");
}

/* §9.10: in a mixed tier the end-of-tier still applies, and a staged Allow
 * does not rescue the flow (enforcing staged policies would allow). */
static void test_staged_mixed_tier(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *sp = pol(t, POL_SNP, "fme", "a-allow", NSSEL("all()"), DIR_INGRESS);
    const struct eng_verdict *v;
    struct buf out;

    (void)state;
    add_rule(sp, DIR_INGRESS, ACT_ALLOW);
    pol(t, POL_NP, "fme", "deny", NSSEL("all()"), DIR_INGRESS);
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.nselected, 1); /* the staged one is not counted */
    assert_string_equal(v->ingress.dec.pol->name, "deny");
    assert_non_null(v->staged);
    assert_true(v->staged->verdict == VERDICT_ALLOW);
    buf_init(&out, 0);
    assert_int_equal(eng_step_format(&v->staged->ingress.dec, 0, &out), 0);
    assert_string_equal(out.data, "0|default|fme/default.staged:a-allow|allow|0");
    buf_release(&out);
    /* Explain lists the staged policy as skipped. */
    assert_int_equal(v->ingress.nx, 2);
    assert_true(v->ingress.x[0].staged);
}

/* §5: the first deciding policy wins: a Deny in a lower-order policy
 * overrides an Allow later in the tier (a union-of-allows reading would
 * allow). */
static void test_first_decision_wins(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p1 = pol(t, POL_NP, "fme", "deny-80", NSSEL("all()"), DIR_INGRESS);
    struct policy *p2 = pol(t, POL_NP, "fme", "allow-all", NSSEL("all()"), DIR_INGRESS);
    struct rule *r;
    const struct eng_verdict *v;

    (void)state;
    r = add_rule(p1, DIR_INGRESS, ACT_DENY);
    r->proto = 6;
    r->dst.ports = ports1(80, 80, NULL, &r->dst.nports);
    add_rule(p2, DIR_INGRESS, ACT_ALLOW);
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.reason, REASON_RULE);
    assert_string_equal(v->ingress.dec.pol->name, "deny-80");
    v = judge(a, b, 6, 81);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_string_equal(v->ingress.dec.pol->name, "allow-all");
}

/* §9.21: Log never terminates; a Log-as-final reading would stop at it
 * (and hit the end-of-tier deny). */
static void test_log_continues(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "log-then-allow", NSSEL("all()"), DIR_INGRESS);
    const struct eng_verdict *v;

    (void)state;
    add_rule(p, DIR_INGRESS, ACT_LOG);
    add_rule(p, DIR_INGRESS, ACT_ALLOW);
    v = judge(a, b, 6, 80);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.dec.rule, 1);
}

/* Port ranges are inclusive at both ends (endPort is "port:endPort"); a
 * reading that only compares the first port denies 42001 and 43000. */
static void test_port_range(void **state)
{
    struct tier *t = tier("application", 37, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "engine", "c=engine", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "core", "c=core", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "engine", NSSEL("c == \"engine\""), DIR_EGRESS);
    struct rule *r = add_rule(p, DIR_EGRESS, ACT_ALLOW);

    (void)state;
    r->proto = 6;
    r->dst.ports = ports1(42000, 43000, NULL, &r->dst.nports);
    assert_true(judge(a, b, 6, 42000)->verdict == VERDICT_ALLOW);
    assert_true(judge(a, b, 6, 42001)->verdict == VERDICT_ALLOW);
    assert_true(judge(a, b, 6, 43000)->verdict == VERDICT_ALLOW);
    assert_false(judge(a, b, 6, 43001)->verdict == VERDICT_ALLOW);
    assert_false(judge(a, b, 6, 41999)->verdict == VERDICT_ALLOW);
    assert_false(judge(a, b, 17, 42001)->verdict == VERDICT_ALLOW); /* protocol too */
}

/* §3.2, §9.14: a named port resolves per destination endpoint and its
 * declared protocol.  With protocol UDP a TCP-declared "http" does not
 * match; with no protocol it matches under TCP.  Name-only matching would
 * allow both. */
static void test_named_port_protocol(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "http-in", NSSEL("app == \"y\""), DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    const struct eng_verdict *v;

    (void)state;
    add_port(b, "http", 6, 8080);
    r->proto = 17;
    r->dst.ports = ports1(0, 0, "http", &r->dst.nports);
    v = judge(a, b, 17, 8080);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_string_equal(v->ingress.x[0].rules[0].field, "destination port");
    assert_string_equal(v->ingress.x[0].rules[0].detail,
                        "destination port 8080 is not in ports [http]");
    v = judge(a, b, 6, 8080);
    assert_false(v->verdict == VERDICT_ALLOW); /* the rule is UDP-only */
    r->proto = -1;
    engine_free(&E);
    assert_true(judge(a, b, 6, 8080)->verdict == VERDICT_ALLOW);
    assert_false(judge(a, b, 17, 8080)->verdict == VERDICT_ALLOW); /* declared TCP only */
    assert_false(judge(a, b, 6, 8081)->verdict ==
                 VERDICT_ALLOW); /* the number is the declared one */
}

/* §3.2: a named port matches only addresses of endpoints that match the
 * side's positive selector; another pod declaring the same name elsewhere
 * does not make it match. */
static void test_named_port_selector(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "to-z", NSSEL("app == \"x\""), DIR_EGRESS);
    struct rule *r = add_rule(p, DIR_EGRESS, ACT_ALLOW);

    (void)state;
    add_port(b, "metrics", 6, 9090);
    r->dst.sel = S(NSSEL("app == \"z\""));
    r->dst.ports = ports1(0, 0, "metrics", &r->dst.nports);
    assert_false(judge(a, b, 6, 9090)->verdict == VERDICT_ALLOW);
}

/* §3.1, §9.12: notNets of the other family drops the rule for IPv6, so an
 * IPv6 flow is not allowed by it; "not in 10/8, so match" would allow. */
static void test_notnets_other_family(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("fd00::1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("fd00::2", "fme", "b", "app=y", NULL);
    struct case_ep *c = pod("10.1.0.1", "fme", "c", "app=x", NULL);
    struct case_ep *d = pod("192.168.0.2", "fme", "d", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "not-10", NSSEL("all()"), DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    const struct eng_verdict *v;

    (void)state;
    r->src.notnets = cidrs("10.0.0.0/8", NULL, &r->src.nnotnets);
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_string_equal(v->ingress.x[0].rules[0].field, "net");
    assert_false(judge(c, d, 6, 80)->verdict == VERDICT_ALLOW); /* in notNets */
    assert_true(judge_ip(NULL, "172.16.0.1", d, NULL, 6, 1, 80)->verdict ==
                VERDICT_ALLOW); /* v4, outside */
}

/* §3.1: nets of one family never match the other family. */
static void test_nets_family(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *b = pod("fd00::2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "from-all-v4", NSSEL("all()"), DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);

    (void)state;
    r->src.nets = cidrs("0.0.0.0/0", NULL, &r->src.nnets);
    assert_false(judge_ip(NULL, "fd00::9", b, NULL, 6, 1, 80)->verdict == VERDICT_ALLOW);
}

/* §2.3, §9.3: selector all() matches only known endpoints and network
 * sets; no selector matches any address.  Treating all() as "anything"
 * would allow the external source. */
static void test_all_vs_absent(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct policy *p = pol(t, POL_GNP, NULL, "from-known", "all()", DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);

    (void)state;
    r->src.sel = S("all()");
    assert_false(judge_ip(NULL, "203.0.113.9", b, NULL, 6, 1, 80)->verdict == VERDICT_ALLOW);
    assert_true(judge(a, b, 6, 80)->verdict == VERDICT_ALLOW);
    r->src.sel = NULL;
    engine_free(&E);
    assert_true(judge_ip(NULL, "203.0.113.9", b, NULL, 6, 1, 80)->verdict == VERDICT_ALLOW);
}

/* §2.2, §9.4: notSelector alone in a GNP matches every address outside its
 * IP set, external ones included; one matching it does not match. */
static void test_notselector_alone(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct case_ep *bad = pod("10.0.0.3", "fme", "bad", "app=bad", NULL);
    struct policy *p = pol(t, POL_GNP, NULL, "not-bad", "all()", DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);

    (void)state;
    r->src.notsel = S("app == \"bad\"");
    assert_true(judge_ip(NULL, "203.0.113.9", b, NULL, 6, 1, 80)->verdict == VERDICT_ALLOW);
    assert_false(judge(bad, b, 6, 80)->verdict == VERDICT_ALLOW);
    /* A namespaced policy's converter adds the namespace clause as the
     * positive side: then the external source no longer matches. */
    r->src.sel = S("projectcalico.org/namespace == 'fme'");
    engine_free(&E);
    assert_false(judge_ip(NULL, "203.0.113.9", b, NULL, 6, 1, 80)->verdict == VERDICT_ALLOW);
}

/* §2.3: an address inside a labelled network set matches a selector on the
 * set's labels; without the set it would be unknown and not match. */
static void test_network_set(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "to-partners", NSSEL("all()"), DIR_EGRESS);
    struct rule *r = add_rule(p, DIR_EGRESS, ACT_ALLOW);
    struct netset *ns = &W.nsets[W.ps.nnetsets++];

    (void)state;
    ns->name = "partners";
    labels_init(&ns->labels);
    assert_int_equal(labels_set(&ns->labels, "role", "partner"), 0);
    ns->nets = cidrs("198.51.100.0/24", NULL, &ns->nnets);
    r->dst.sel = S("role == \"partner\"");
    assert_true(judge_ip(a, NULL, NULL, "198.51.100.7", 6, 1, 443)->verdict == VERDICT_ALLOW);
    assert_false(judge_ip(a, NULL, NULL, "198.51.101.7", 6, 1, 443)->verdict == VERDICT_ALLOW);
}

/* §2.4: a namespaced NetworkSet inherits its namespace's labels (pcns.*)
 * through the kns.<ns> profile, so a rule's namespaceSelector with a
 * selector chooses it; without the case's namespaces it would not match.
 * An own label wins over an inherited one; a GlobalNetworkSet inherits
 * nothing. */
static void test_namespaced_network_set(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct policy *p = pol(t, POL_GNP, NULL, "to-partners", "all()", DIR_EGRESS);
    struct rule *r = add_rule(p, DIR_EGRESS, ACT_ALLOW);
    struct rule *r2 = add_rule(p, DIR_EGRESS, ACT_ALLOW);
    struct netset *ns = &W.nsets[W.ps.nnetsets++];
    struct netset *gs = &W.nsets[W.ps.nnetsets++];
    struct case_db c;
    struct red_ctx red;

    (void)state;
    ns->name = "partners";
    ns->ns = "fme";
    labels_init(&ns->labels);
    assert_int_equal(labels_set(&ns->labels, "role", "partner"), 0);
    assert_int_equal(labels_set(&ns->labels, "projectcalico.org/namespace", "fme"), 0);
    assert_int_equal(labels_set(&ns->labels, "pcns.kubernetes.io/metadata.name", "own"), 0);
    ns->nets = cidrs("198.51.100.0/24", NULL, &ns->nnets);
    gs->name = "global-partners";
    labels_init(&gs->labels);
    assert_int_equal(labels_set(&gs->labels, "role", "partner"), 0);
    gs->nets = cidrs("203.0.113.0/24", NULL, &gs->nnets);
    /* namespaceSelector team == 'flow' with selector role == 'partner', as
     * §2.2 combines them */
    r->dst.sel = S("(pcns.team == \"flow\") && (role == \"partner\")");
    r->proto = 6;
    r2->dst.sel = S("pcns.projectcalico.org/name == \"fme\" && "
                    "pcns.kubernetes.io/metadata.name == \"own\"");
    r2->proto = 17; /* UDP only: tells the second rule apart */
    memset(&c, 0, sizeof(c));
    c.nss = W.nss;
    c.nnss = 1;
    c.redacted = 1; /* for red_init() below: nothing kept */
    E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    /* before: the set carries no pcns. label, the rule does not match */
    assert_false(judge_ip(a, NULL, NULL, "198.51.100.7", 6, 1, 443)->verdict == VERDICT_ALLOW);
    red_init(&red, E, &c);
    assert_int_equal(red.nrules, 0);
    red_release(&red);
    engine_free(&E);
    E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    engine_use_namespaces(E, &c);
    assert_true(judge_ip(a, NULL, NULL, "198.51.100.7", 6, 1, 443)->verdict == VERDICT_ALLOW);
    /* the own pcns. label wins over the inherited one */
    assert_true(judge_ip(a, NULL, NULL, "198.51.100.7", 17, 1, 53)->verdict == VERDICT_ALLOW);
    /* a GlobalNetworkSet with the same label inherits nothing */
    assert_false(judge_ip(a, NULL, NULL, "203.0.113.7", 6, 1, 443)->verdict == VERDICT_ALLOW);
    assert_string_equal(labels_get(engine_netset_labels(E, 0), "pcns.team"), "flow");
    assert_null(labels_get(engine_netset_labels(E, 1), "pcns.team"));
    /* On a redacted case, the rules that choose the set as the engine does
     * (through its namespace's labels) judge pseudonyms: both are named. */
    red_init(&red, E, &c);
    assert_int_equal(red.nrules, 2);
    assert_string_equal(red.rules[0].why, "network set fme/partners");
    assert_int_equal(red.rules[1].rule, 1);
    red_release(&red);
}

/* §5: egress at the source and ingress at the destination must both allow;
 * the deny of either end decides.  Judging only the destination would
 * allow. */
static void test_both_ends(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *in = pol(t, POL_NP, "fme", "b-in", NSSEL("app == \"y\""), DIR_INGRESS);
    const struct eng_verdict *v;

    (void)state;
    add_rule(in, DIR_INGRESS, ACT_ALLOW);
    pol(t, POL_NP, "fme", "a-out", NSSEL("app == \"x\""), DIR_EGRESS);
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->decided_dir, DIR_EGRESS);
    assert_true(v->ingress.allow);
}

/* §5: an end that is not a pod imposes nothing: a host or external source
 * to an unselected pod is allowed, and a pod to an external address is
 * judged by its egress only. */
static void test_non_pod_ends(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *h = other("192.168.1.10", EP_HOST);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    const struct eng_verdict *v;

    (void)state;
    pol(t, POL_GNP, NULL, "deny-hosts", "all()", DIR_INGRESS | DIR_EGRESS);
    v = judge(h, a, 6, 80);
    assert_false(v->egress.judged);
    assert_false(v->verdict == VERDICT_ALLOW); /* the pod's ingress: end of tier */
    v = judge_ip(NULL, "203.0.113.1", NULL, "203.0.113.2", 6, 1, 80);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->decided_dir, 0);
}

/* §6.2, §9.18: doNotTrack and preDNAT policies never affect workload
 * flows; applying them would deny. */
static void test_dnt_prednat_ignored(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p1 = pol(t, POL_GNP, NULL, "dnt", "all()", DIR_INGRESS);
    struct policy *p2 = pol(t, POL_GNP, NULL, "prednat", "all()", DIR_INGRESS);

    (void)state;
    p1->do_not_track = 1;
    p2->pre_dnat = 1;
    add_rule(p1, DIR_INGRESS, ACT_DENY);
    add_rule(p2, DIR_INGRESS, ACT_DENY);
    assert_true(judge(a, b, 6, 80)->verdict == VERDICT_ALLOW);
}

/* §9.22: VXLAN (UDP 4789) and IP-in-IP from a workload are dropped before
 * policy, even with an allow-all policy. */
static void test_vxlan_drop(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct policy *p = pol(t, POL_GNP, NULL, "allow-all", "all()", DIR_EGRESS);
    const struct eng_verdict *v;

    (void)state;
    add_rule(p, DIR_EGRESS, ACT_ALLOW);
    v = judge_ip(a, NULL, NULL, "203.0.113.2", 17, 1, 4789);
    assert_false(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->egress.reason, REASON_DATAPLANE);
    assert_true(judge_ip(a, NULL, NULL, "203.0.113.2", 17, 1, 4790)->verdict == VERDICT_ALLOW);
}

/* §3: protocol/notProtocol, ipVersion and ICMP type/code. */
static void test_protocol_icmp_version(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct case_ep *a6 = pod("fd00::1", "fme", "a6", "app=x", NULL);
    struct case_ep *b6 = pod("fd00::2", "fme", "b6", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "p", NSSEL("all()"), DIR_INGRESS);
    struct rule *r1 = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    struct rule *r2 = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    struct rule *r3 = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    struct eng_flow f;
    const struct eng_verdict *v;

    (void)state;
    /* r1: ICMP echo request only (type 8, any code), IPv4 (as the loader
     * sets for protocol: ICMP). */
    r1->proto = 1;
    r1->ip_version = 4;
    r1->icmp.type = 8;
    /* r2: anything but TCP and UDP... written as notProtocol TCP plus
     * protocol 17 never both; here: notProtocol TCP alone. */
    r2->notproto = 6;
    r2->ip_version = 6;
    /* r3: never for 132 since notProtocol. */
    r3->proto = 132;
    r3->notproto = 132;
    engine_free(&E);
    E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    memset(&f, 0, sizeof(f));
    f.src = a;
    f.dst = b;
    f.src_ip = a->ip;
    f.dst_ip = b->ip;
    f.proto = 1;
    f.icmp_type = 8;
    f.icmp_code = 0;
    assert_true(engine_judge(E, &f)->verdict == VERDICT_ALLOW);
    f.icmp_type = 13; /* timestamp: another type */
    assert_false(engine_judge(E, &f)->verdict == VERDICT_ALLOW);
    f.icmp_type = -1; /* not recorded: cannot match an icmp rule */
    assert_false(engine_judge(E, &f)->verdict == VERDICT_ALLOW);
    f.proto = 6;
    assert_false(engine_judge(E, &f)->verdict == VERDICT_ALLOW); /* r2 is IPv6 only */
    f.src = a6;
    f.dst = b6;
    f.src_ip = a6->ip;
    f.dst_ip = b6->ip;
    assert_false(engine_judge(E, &f)->verdict == VERDICT_ALLOW); /* notProtocol TCP */
    f.proto = 17;
    v = engine_judge(E, &f);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.dec.rule, 1);
    f.proto = 132;
    f.dst_port = 5;
    v = engine_judge(E, &f);
    assert_true(v->verdict == VERDICT_ALLOW);
    assert_int_equal(v->ingress.dec.rule, 1); /* r3 can never match */
}

/* §1.6, §9.19: pcns.* labels come from the namespace, a pod's own pcns.*
 * labels are stripped, projectcalico.org/namespace is forced. */
static void test_inherited_labels(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a =
        pod("10.0.0.1", "fme", "a", "pcns.team=evil,projectcalico.org/namespace=x", "eng-sa");
    struct case_ep *b = pod("10.0.0.2", "other", "b", "pcns.team=flow", NULL);
    struct policy *p = pol(t, POL_GNP, NULL, "team-flow-out",
                           "pcns.team == \"flow\" && projectcalico.org/namespace == \"fme\""
                           " && pcsa.projectcalico.org/name == \"eng-sa\""
                           " && projectcalico.org/serviceaccount == \"eng-sa\"",
                           DIR_EGRESS);
    const struct eng_verdict *v;

    (void)state;
    (void)p;
    assert_string_equal(labels_get(&a->calico, "pcns.team"), "flow");
    assert_string_equal(labels_get(&a->calico, "pcns.projectcalico.org/name"), "fme");
    assert_string_equal(labels_get(&a->calico, "projectcalico.org/orchestrator"), "k8s");
    assert_null(labels_get(&b->calico, "pcns.team"));
    assert_string_equal(labels_get(&b->calico, "pcns.kubernetes.io/metadata.name"), "other");
    v = judge(a, b, 6, 80);
    assert_false(v->verdict == VERDICT_ALLOW); /* a is selected: end of tier */
    v = judge(b, a, 6, 80);
    assert_true(v->verdict == VERDICT_ALLOW); /* b claims pcns.team but it is stripped */
}

/* Verdicts are cached per tuple: the same tuple gives the same verdict
 * object; the source port is not part of the key unless a rule needs it. */
static void test_cache(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "p", NSSEL("all()"), DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    struct eng_stats st;

    (void)state;
    r->proto = 6;
    assert_ptr_equal(judge_ip(a, NULL, b, NULL, 6, 1000, 80),
                     judge_ip(a, NULL, b, NULL, 6, 2000, 80));
    engine_stats(E, &st);
    assert_true(st.judged == 2 && st.tuples == 1);
    /* A rule on source ports makes the source port part of the key. */
    r->src.ports = ports1(1000, 1000, NULL, &r->src.nports);
    engine_free(&E);
    assert_true(judge_ip(a, NULL, b, NULL, 6, 1000, 80)->verdict == VERDICT_ALLOW);
    assert_false(judge_ip(a, NULL, b, NULL, 6, 2000, 80)->verdict == VERDICT_ALLOW);
}

/* Pods of one workload (same labels, namespace, node, ports) share their
 * verdicts: judged once.  A pod of another node, or a rule naming nets
 * (the address then matters), keeps them apart. */
static void test_cache_twins(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a1 = pod("10.0.0.1", "fme", "a-1", "app=x", NULL);
    struct case_ep *a2 = pod("10.0.0.2", "fme", "a-2", "app=x", NULL);
    struct case_ep *a3 = pod("10.0.0.3", "fme", "a-3", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.9", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "p", NSSEL("app == 'y'"), DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    const struct eng_verdict *v1;
    struct eng_stats st;

    (void)state;
    a1->node = a2->node = b->node = "n1";
    a3->node = "n2";
    r->proto = 6;
    r->src.sel = S(NSSEL("app == 'x'"));
    E = engine_new(&W.ps, W.eps, W.neps, 0);
    v1 = judge(a1, b, 6, 80);
    assert_int_equal(v1->verdict, VERDICT_ALLOW);
    assert_ptr_equal(judge(a2, b, 6, 80), v1);
    assert_ptr_not_equal(judge(a3, b, 6, 80), v1);
    engine_stats(E, &st);
    assert_true(st.judged == 3 && st.tuples == 2);
    /* The source's address decides: each pod judged on its own. */
    r->src.sel = NULL;
    r->src.nets = cidrs("10.0.0.1/32", NULL, &r->src.nnets);
    engine_free(&E);
    E = engine_new(&W.ps, W.eps, W.neps, 0);
    assert_int_equal(judge(a1, b, 6, 80)->verdict, VERDICT_ALLOW);
    assert_int_equal(judge(a2, b, 6, 80)->verdict, VERDICT_DENY);
}

/* engine_judge_case() finds the verdict engine_judge() gives the flow
 * eng_flow_from_case() makes: the same cached entry, whichever was asked
 * first, for pods and unidentified ends, TCP and ICMP, each source port
 * (a rule looks at them, so the key holds them).  Fails when the case
 * path keys a flow differently (a field left out or added: another entry
 * or another verdict), and when an end that is not one of the case's is
 * cached. */
static void test_judge_case(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "to-y", NSSEL("app == 'y'"), DIR_INGRESS);
    struct rule *r = add_rule(p, DIR_INGRESS, ACT_ALLOW);
    const struct case_ep *ends[2][2] = {{a, NULL}, {b, NULL}};
    const char *ips[2][2] = {{"10.0.0.1", "198.18.9.9"}, {"10.0.0.2", "198.18.9.10"}};
    static const int protos[3][3] = {{6, -1, -1}, {1, 8, 0}, {58, 128, 0}};
    static const uint16_t sports[2] = {40000, 53}, dports[2] = {80, 81};
    struct case_db c;
    struct case_ep stray;
    struct case_flow fl;
    struct eng_flow ef;
    struct eng_stats st;
    struct ipaddr o;
    size_t n = 0;
    int dnat;

    (void)state;
    r->src.ports = ports1(53, 53, NULL, &r->src.nports); /* the key holds source ports */
    memset(&c, 0, sizeof(c));
    E = engine_new(&W.ps, W.eps, W.neps, 0);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < 2 * 2 * 3 * 2 * 2; i++) {
            size_t si = i % 2, di = i / 2 % 2, pi = i / 4 % 3, spi = i / 12 % 2, dpi = i / 24;
            const struct eng_verdict *vc, *vj;

            memset(&fl, 0, sizeof(fl));
            fl.src = ends[0][si];
            fl.dst = ends[1][di];
            assert_int_equal(ipaddr_parse(ips[0][si], strlen(ips[0][si]), &fl.src_ip), 0);
            assert_int_equal(ipaddr_parse(ips[1][di], strlen(ips[1][di]), &fl.dst_ip), 0);
            fl.proto = protos[pi][0];
            fl.icmp_type = protos[pi][1];
            fl.icmp_code = protos[pi][2];
            fl.src_port = sports[spi];
            fl.dst_port = dports[dpi];
            eng_flow_from_case(&ef, &c, &fl, NULL);
            /* The first pass asks each path first in turn, the second
             * finds every flow cached. */
            if ((i + (size_t)pass) % 2) {
                vc = engine_judge_case(E, &c, &fl, &o, &dnat);
                vj = engine_judge(E, &ef);
            } else {
                vj = engine_judge(E, &ef);
                vc = engine_judge_case(E, &c, &fl, &o, &dnat);
            }
            assert_ptr_equal(vc, vj);
            assert_int_equal(dnat, 0);
            n += pass == 0 && si == 0 && di == 0 && pi == 0 && vc->verdict == VERDICT_ALLOW;
        }
        engine_stats(E, &st);
        assert_int_equal(st.judged, 96 * (pass + 1));
        assert_int_equal(st.tuples, 48);
    }
    /* a -> b by TCP: allowed from source port 53 only, to either port. */
    assert_int_equal(n, 2);
    /* An end that is not one of the case's: judged afresh each time. */
    stray = *a;
    memset(&fl, 0, sizeof(fl));
    fl.src = &stray;
    fl.dst = b;
    fl.src_ip = a->ip;
    fl.dst_ip = b->ip;
    fl.proto = 6;
    fl.src_port = 53;
    fl.dst_port = 80;
    fl.icmp_type = fl.icmp_code = -1;
    assert_int_equal(engine_judge_case(E, &c, &fl, &o, &dnat)->verdict, VERDICT_ALLOW);
    assert_int_equal(engine_judge_case(E, &c, &fl, &o, &dnat)->verdict, VERDICT_ALLOW);
    engine_stats(E, &st);
    assert_int_equal(st.tuples, 50);
}

/* §3: destination.services matches the backends of the Service the flow
 * was DNATed from; the Service's cluster IP itself never matches. */
static void test_services(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct case_ep *svc = other("10.96.0.10", EP_SERVICE);
    struct policy *p = pol(t, POL_NP, "fme", "to-core", NSSEL("app == \"x\""), DIR_EGRESS);
    struct rule *r = add_rule(p, DIR_EGRESS, ACT_ALLOW);
    struct eng_flow f;

    (void)state;
    svc->ns = "fme";
    svc->name = "core";
    r->dst.svc_name = "core";
    r->dst.svc_ns = "fme";
    E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    memset(&f, 0, sizeof(f));
    f.src = a;
    f.dst = b;
    f.src_ip = a->ip;
    f.dst_ip = b->ip;
    f.proto = 6;
    f.dst_port = 7070;
    f.icmp_type = f.icmp_code = -1;
    assert_false(engine_judge(E, &f)->verdict ==
                 VERDICT_ALLOW); /* direct to the pod: unknown membership */
    f.orig_dst = svc;
    assert_true(engine_judge(E, &f)->verdict == VERDICT_ALLOW);
}

/* §5.1 trace spellings for each kind. */
/* §13.1: the node's own address (or a host-network pod) to a pod of the
 * same node is never policed: reading it as ordinary ingress would deny
 * every kubelet probe under a default-deny ingress.  Another node's
 * address is policed as usual. */
static void test_host_to_local_workload(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *h1 = other("192.0.2.1", EP_HOST), *h2 = other("192.0.2.2", EP_HOST);
    const struct eng_verdict *v;

    (void)state;
    a->node = h1->node = "n1";
    h1->name = "n1";
    h2->node = h2->name = "n2";
    pol(t, POL_NP, "fme", "deny-in", NSSEL("all()"), DIR_INGRESS);
    v = judge(h1, a, 6, 8080);
    assert_int_equal(v->verdict, VERDICT_ALLOW);
    assert_int_equal(v->decided_dir, DIR_INGRESS);
    assert_int_equal(eng_decided(v)->reason, REASON_HOST_LOCAL);
    assert_int_equal(v->ingress.nsteps, 0); /* no policy was consulted */
    v = judge(h2, a, 6, 8080);
    assert_int_equal(v->verdict, VERDICT_DENY);
    assert_int_equal(eng_decided(v)->reason, REASON_END_OF_TIER);
}

/* §13.2: a pod to its own host: its egress, then defaultEndpointToHostAction
 * (ACCEPT as installs set it, else what FelixConfiguration says, node.<n>
 * over default).  Reading the host as an outside address would allow it
 * whatever Felix is told; skipping the egress would allow what egress
 * denies. */
static void test_endpoint_to_host(void **state)
{
    static struct felix_config fc[2];
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct case_ep *h1 = other("192.0.2.1", EP_HOST), *h2 = other("192.0.2.2", EP_HOST);
    struct policy *p;
    const struct eng_verdict *v;

    (void)state;
    a->node = b->node = h1->node = "n1";
    h2->node = "n2";
    p = pol(t, POL_NP, "fme", "egress-b", NSSEL("app == 'y'"), DIR_EGRESS);
    add_rule(p, DIR_EGRESS, ACT_DENY);
    v = judge(a, h1, 6, 10250);
    assert_int_equal(v->verdict, VERDICT_ALLOW);
    assert_int_equal(v->ingress.reason, REASON_TO_HOST);
    assert_int_equal(v->ingress.to_host, TOHOST_ACCEPT);
    assert_null(v->ingress.to_host_by);
    v = judge(b, h1, 6, 10250); /* egress denies first */
    assert_int_equal(v->verdict, VERDICT_DENY);
    assert_int_equal(v->decided_dir, DIR_EGRESS);
    v = judge(a, h2, 6, 10250); /* another node: forwarded, no host action */
    assert_false(v->ingress.judged);

    engine_free(&E);
    memset(fc, 0, sizeof(fc));
    fc[0].name = "default";
    fc[0].has_to_host = 1;
    fc[0].to_host = TOHOST_DROP;
    fc[1].name = "node.n2";
    fc[1].node = "n2";
    fc[1].has_to_host = 1;
    fc[1].to_host = TOHOST_RETURN;
    W.ps.felix = fc;
    W.ps.nfelix = 2;
    v = judge(a, h1, 6, 10250);
    assert_int_equal(v->verdict, VERDICT_DENY);
    assert_int_equal(v->decided_dir, DIR_INGRESS);
    assert_int_equal(v->ingress.to_host, TOHOST_DROP);
    assert_ptr_equal(v->ingress.to_host_by, &fc[0]);
    h2->kind = EP_HOST;
    a->node = "n2"; /* the same pod on n2: node.n2's Return, not Calico's to decide */
    engine_free(&E);
    v = judge(a, h2, 6, 10250);
    assert_int_equal(v->verdict, VERDICT_ALLOW);
    assert_int_equal(v->ingress.to_host, TOHOST_RETURN);
    W.ps.felix = NULL;
    W.ps.nfelix = 0;
}

/* §13.4: ICMPv6 neighbour discovery from a pod is allowed before any
 * policy; other ICMPv6 is not. */
static void test_icmpv6_nd(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("fd00::1", "fme", "a", "app=x", NULL);
    const struct eng_verdict *v;
    struct eng_flow f;

    (void)state;
    pol(t, POL_NP, "fme", "deny-out", NSSEL("all()"), DIR_EGRESS);
    E = engine_new(&W.ps, W.eps, W.neps, 0);
    memset(&f, 0, sizeof(f));
    f.src = a;
    f.src_ip = a->ip;
    assert_int_equal(ipaddr_parse("ff02::1:ff00:1", 14, &f.dst_ip), 0);
    f.proto = 58;
    f.icmp_type = 135;
    f.icmp_code = 0;
    v = engine_judge(E, &f);
    assert_int_equal(v->verdict, VERDICT_ALLOW);
    assert_int_equal(eng_decided(v)->reason, REASON_FELIX_ALLOWS);
    f.icmp_type = 134; /* router advertisement: not in Felix's list */
    assert_int_equal(engine_judge(E, &f)->verdict, VERDICT_DENY);
    f.icmp_type = 128;
    assert_int_equal(engine_judge(E, &f)->verdict, VERDICT_DENY);
}

/* §11: an address of a pod network (an IPPool) without an identity, or a
 * pod known only by its interface, gives unknown, never the allow a
 * missing selector match would give; an address outside is judged. */
static void test_unknown_identity(void **state)
{
    static struct ippool pool;
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *b = pod("10.0.0.2", "fme", "b", "app=y", NULL);
    struct case_ep *anon = other("10.0.0.3", EP_POD);
    struct policy *p;
    const struct eng_verdict *v;

    (void)state;
    memset(&pool, 0, sizeof(pool));
    pool.name = "default-ipv4-ippool";
    pool.workload = 1;
    assert_int_equal(cidr_parse("10.0.0.0/16", 11, &pool.cidr, NULL), 0);
    W.ps.ippools = &pool;
    W.ps.nippools = 1;
    p = pol(t, POL_NP, "fme", "in-b", NSSEL("app == 'y'"), DIR_INGRESS);
    add_rule(p, DIR_INGRESS, ACT_ALLOW)->src.sel = S("app == 'x'");
    v = judge_ip(NULL, "10.0.9.9", b, NULL, 6, 40000, 80);
    assert_int_equal(v->verdict, VERDICT_UNKNOWN);
    assert_int_equal(v->unknown, UNK_SRC_IDENTITY);
    assert_non_null(strstr(v->why, "10.0.9.9 lies in pod network 10.0.0.0/16 (IPPool "
                                   "default-ipv4-ippool)"));
    v = judge(anon, b, 6, 80);
    assert_int_equal(v->verdict, VERDICT_UNKNOWN);
    v = judge_ip(NULL, "192.0.2.9", b, NULL, 6, 40000, 80);
    assert_int_equal(v->verdict, VERDICT_DENY);
    assert_true(eng_counts_denied(v, 0));
    v = judge_ip(NULL, "10.0.9.9", b, NULL, 6, 40000, 80);
    assert_false(eng_counts_denied(v, 0));
    assert_true(eng_counts_denied(v, 1));
    W.ps.ippools = NULL;
    W.ps.nippools = 0;
}

/* §11: on a redacted case, a rule tried before the decision that names an
 * external CIDR redaction did not keep makes the verdict on a
 * pseudonymised peer unknown: the pseudonym lies outside 52.94.0.0/16, so
 * judging it would deny what the real address may have been allowed.  A
 * rule whose other criteria do not match, a Log rule, a catch-all, a rule
 * after the decision, an address outside the pseudonym ranges and a kept
 * CIDR leave the verdict known. */
static void test_redacted_peer(void **state)
{
    struct tier *t = tier("default", 1e6, 0);
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    struct policy *p = pol(t, POL_NP, "fme", "a-out", NSSEL("app == 'x'"), DIR_EGRESS);
    struct rule *r;
    struct case_db c;
    const struct eng_verdict *v;

    (void)state;
    r = add_rule(p, DIR_EGRESS, ACT_DENY); /* 0: TCP/22 denied, whoever it goes to */
    r->proto = 6;
    r->dst.ports = ports1(22, 22, NULL, &r->dst.nports);
    r = add_rule(p, DIR_EGRESS, ACT_LOG); /* 1: Log never decides */
    r->dst.nets = cidrs("52.94.0.0/16", NULL, &r->dst.nnets);
    r = add_rule(p, DIR_EGRESS, ACT_ALLOW); /* 2: TCP to the partner */
    r->proto = 6;
    r->dst.nets = cidrs("52.94.0.0/16", NULL, &r->dst.nnets);
    r = add_rule(p, DIR_EGRESS, ACT_ALLOW); /* 3: UDP anywhere */
    r->proto = 17;
    r->dst.nets = cidrs("0.0.0.0/0", NULL, &r->dst.nnets);
    memset(&c, 0, sizeof(c));
    c.has_identities = 1;
    polnets_init(&c.redaction_kept);

    /* not redacted: the address is real, the deny is known */
    E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    engine_set_case(E, &c);
    assert_int_equal(judge_ip(a, NULL, NULL, "198.51.100.7", 6, 40000, 443)->verdict, VERDICT_DENY);
    engine_free(&E);

    c.redacted = 1;
    E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    engine_set_case(E, &c);
    v = judge_ip(a, NULL, NULL, "198.51.100.7", 6, 40000, 443);
    assert_int_equal(v->verdict, VERDICT_UNKNOWN);
    assert_int_equal(v->unknown, UNK_REDACTED);
    assert_string_equal(eng_unknown_name(v->unknown), "redacted-peer");
    assert_ptr_equal(v->egress.redacted_pol, p);
    assert_int_equal(v->egress.redacted_rule, 2);
    assert_non_null(strstr(v->why, "the destination 198.51.100.7 is a pseudonym"));
    assert_non_null(strstr(v->why, "egress rule 2 of fme/a-out"));
    assert_non_null(strstr(v->why, "names 52.94.0.0/16, which redaction did not keep"));
    assert_false(eng_counts_denied(v, 0));
    assert_true(eng_counts_denied(v, 1));
    /* decided before the partner's rule: known */
    assert_int_equal(judge_ip(a, NULL, NULL, "198.51.100.7", 6, 40000, 22)->verdict, VERDICT_DENY);
    /* UDP: rule 2's protocol does not match, the Log rule does not count,
     * the catch-all matches any address */
    v = judge_ip(a, NULL, NULL, "198.51.100.7", 17, 40000, 53);
    assert_int_equal(v->verdict, VERDICT_ALLOW);
    assert_null(v->egress.redacted_pol);
    /* an address outside the pseudonym ranges is real */
    assert_int_equal(judge_ip(a, NULL, NULL, "8.8.8.8", 6, 40000, 443)->verdict, VERDICT_DENY);
    assert_int_equal(judge_ip(a, NULL, NULL, "52.94.1.1", 6, 40000, 443)->verdict, VERDICT_ALLOW);
    engine_free(&E);

    /* the partner's network kept: a pseudonym is no address of it */
    assert_int_equal(polnets_add_text(&c.redaction_kept, "52.94.0.0/16", "test", 1, NULL), 0);
    polnets_index(&c.redaction_kept);
    E = engine_new(&W.ps, W.eps, W.neps, ENG_EXPLAIN);
    engine_set_case(E, &c);
    assert_int_equal(judge_ip(a, NULL, NULL, "198.51.100.7", 6, 40000, 443)->verdict, VERDICT_DENY);
    /* ... nor is an address inside it */
    assert_int_equal(judge_ip(a, NULL, NULL, "52.94.1.1", 6, 40000, 443)->verdict, VERDICT_ALLOW);
    polnets_release(&c.redaction_kept);
}

/* §13.5: the VXLAN drop follows FelixConfiguration's vxlanPort and
 * allowVXLANPacketsFromWorkloads. */
static void test_vxlan_port(void **state)
{
    static struct felix_config fc;
    struct case_ep *a = pod("10.0.0.1", "fme", "a", "app=x", NULL);
    const struct eng_verdict *v;

    (void)state;
    tier("default", 1e6, 0);
    v = judge_ip(a, NULL, NULL, "192.0.2.9", 17, 40000, 4789);
    assert_int_equal(eng_decided(v)->reason, REASON_DATAPLANE);
    engine_free(&E);
    memset(&fc, 0, sizeof(fc));
    fc.name = "default";
    fc.has_vxlan_port = 1;
    fc.vxlan_port = 4790;
    W.ps.felix = &fc;
    W.ps.nfelix = 1;
    assert_int_equal(judge_ip(a, NULL, NULL, "192.0.2.9", 17, 40000, 4789)->verdict, VERDICT_ALLOW);
    assert_int_equal(eng_decided(judge_ip(a, NULL, NULL, "192.0.2.9", 17, 40000, 4790))->reason,
                     REASON_DATAPLANE);
    engine_free(&E);
    fc.has_allow_vxlan = fc.allow_vxlan = 1;
    assert_int_equal(judge_ip(a, NULL, NULL, "192.0.2.9", 17, 40000, 4790)->verdict, VERDICT_ALLOW);
    W.ps.felix = NULL;
    W.ps.nfelix = 0;
}

static void test_trace_names(void **state)
{
    static const struct {
        enum pol_kind kind;
        const char *ns, *tier, *name;
        const char *want;
    } cases[] = {
        {POL_NP, "fme", "application", "engine", "0|application|fme/application.engine|deny|-1"},
        /* pre-3.30 names carry their tier prefix: not doubled */
        {POL_NP, "fme", "application", "application.engine",
         "0|application|fme/application.engine|deny|-1"},
        {POL_GNP, NULL, "security", "zero-trust", "0|security|security.zero-trust|deny|-1"},
        {POL_KNP, "fme", "default", "web", "0|default|fme/knp.default.web|deny|-1"},
        {POL_SKNP, "fme", "default", "web", "0|default|fme/staged:knp.default.web|deny|-1"},
        {POL_SGNP, NULL, "security", "z", "0|security|security.staged:z|deny|-1"},
        /* §15.6: v3.30-v3.31's Felix writes "<tier>.<backend name>" for the
         * converted admin policies (policy_lookup_cache.go setFlowLogPolicyName) */
        {POL_ANP, NULL, "adminnetworkpolicy", "x",
         "0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.x|deny|-1"},
        {POL_BANP, NULL, "baselineadminnetworkpolicy", "default",
         "0|baselineadminnetworkpolicy|baselineadminnetworkpolicy.kbanp."
         "baselineadminnetworkpolicy.default|deny|-1"},
        /* §16: v3.32 writes "<tier>|kcnp:<name>" */
        {POL_CNP, NULL, "kube-baseline", "x", "0|kube-baseline|kcnp:x|deny|-1"},
    };
    struct tier t;
    struct policy p;
    struct eng_step s;
    struct buf out;
    size_t i;

    (void)state;
    buf_init(&out, 0);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        memset(&t, 0, sizeof(t));
        memset(&p, 0, sizeof(p));
        t.name = cases[i].tier;
        p.kind = cases[i].kind;
        p.ns = cases[i].ns;
        p.tier = cases[i].tier;
        p.name = cases[i].name;
        memset(&s, 0, sizeof(s));
        s.tier = &t;
        s.pol = &p;
        s.profile = NULL;
        s.action = ACT_DENY;
        s.rule = -1;
        buf_reset(&out);
        assert_int_equal(eng_step_format(&s, 0, &out), 0);
        assert_string_equal(out.data, cases[i].want);
    }
    buf_release(&out);
}

/* ---- policies loaded from YAML (tests/fixtures/engine/) ------------------------ */

/*
 * The same engine, with policy sets built by the loader, for semantics
 * that live where conversion and evaluation meet.  One world of pods:
 *   a  10.0.0.1 fme   app=web  sa web-sa   b  10.0.0.2 fme app=db (dns UDP 53, pg TCP 5432)
 *   c  10.0.1.1 other app=web              d  10.0.0.3 fme app=cache
 *   a6 fd00::1  fme   app=web              b6 fd00::2  fme app=db
 * and "x", the external address 203.0.113.5.
 */
struct ycase {
    const char *fixture;
    const char *src, *dst; /* pod names, or "x" */
    int proto;
    uint16_t dport;
    int allow;
    const char *policy; /* deciding policy name, NULL: not checked */
    enum eng_reason reason;
    const char *trace; /* the deciding end's trace, entries joined by " ", or NULL */
};

static const struct ycase ycases[] = {
    /* endPort is inclusive; a reading with only "port" denies 42001 */
    {"k8s-endport", "a", "b", 6, 42001, 1, "db-pool", REASON_RULE, NULL},
    {"k8s-endport", "a", "b", 6, 43000, 1, "db-pool", REASON_RULE, NULL},
    {"k8s-endport", "a", "b", 6, 43001, 0, "db-pool", REASON_END_OF_TIER, NULL},
    /* podSelector alone means the policy's namespace: c is elsewhere */
    {"k8s-endport", "c", "b", 6, 42001, 0, "db-pool", REASON_END_OF_TIER, NULL},
    /* named ports with their declared protocol */
    {"k8s-named-port", "a", "b", 17, 53, 1, "db-named", REASON_RULE, NULL},
    {"k8s-named-port", "a", "b", 6, 5432, 1, "db-named", REASON_RULE, NULL},
    {"k8s-named-port", "a", "b", 17, 5432, 0, "db-named", REASON_END_OF_TIER, NULL},
    /* "dns" over TCP: declared UDP only, so no match (name-only would allow) */
    {"k8s-named-port", "a", "b", 6, 53, 0, "db-named", REASON_END_OF_TIER, NULL},
    /* no policyTypes: Ingress only; its egress rules never apply */
    {"k8s-types-default", "a", "b", 6, 80, 1, NULL, REASON_NO_POLICY, NULL},
    {"k8s-types-default", "b", "a", 6, 9, 0, "web-isolate", REASON_END_OF_TIER, NULL},
    /* Calico egress rules without types: Egress only */
    {"calico-egress-only", "a", "b", 6, 80, 1, "web-out", REASON_RULE, NULL},
    {"calico-egress-only", "a", "b", 6, 81, 0, "web-out", REASON_END_OF_TIER, NULL},
    {"calico-egress-only", "b", "a", 6, 81, 1, NULL, REASON_NO_POLICY, NULL},
    /* ports: [{}] is every TCP port, not every protocol */
    {"k8s-empty-port", "a", "b", 6, 1234, 1, "db-any-tcp", REASON_RULE, NULL},
    {"k8s-empty-port", "a", "b", 17, 1234, 0, "db-any-tcp", REASON_END_OF_TIER, NULL},
    /* notSelector alone, namespaced: own namespace only */
    {"np-notselector", "d", "a", 6, 80, 1, "web-in", REASON_RULE, NULL},
    {"np-notselector", "b", "a", 6, 80, 0, "web-in", REASON_END_OF_TIER, NULL},
    {"np-notselector", "c", "a", 6, 80, 0, "web-in", REASON_END_OF_TIER, NULL},
    {"np-notselector", "x", "a", 6, 80, 0, "web-in", REASON_END_OF_TIER, NULL},
    /* namespaceSelector: all() is any namespaced pod, not any address */
    {"gnp-nssel-all", "c", "a", 6, 80, 1, "web-from-pods", REASON_RULE, NULL},
    {"gnp-nssel-all", "x", "a", 6, 80, 0, "web-from-pods", REASON_END_OF_TIER, NULL},
    /* protocol: ICMP is IPv4 only; protocol: 1 implies nothing */
    {"icmp-name", "a", "b", 1, 0, 1, "db-ping", REASON_RULE, NULL},
    {"icmp-name", "a6", "b6", 1, 0, 0, "db-ping", REASON_END_OF_TIER, NULL},
    {"icmp-number", "a6", "b6", 1, 0, 1, "db-proto-1", REASON_RULE, NULL},
    /* ipBlock matches pod addresses too, minus except */
    {"k8s-ipblock", "d", "b", 6, 80, 1, "db-from-block", REASON_RULE, NULL},
    {"k8s-ipblock", "c", "b", 6, 80, 1, "db-from-block", REASON_RULE, NULL},
    {"k8s-ipblock", "a", "b", 6, 80, 0, "db-from-block", REASON_END_OF_TIER, NULL},
    {"k8s-ipblock", "x", "b", 6, 80, 0, "db-from-block", REASON_END_OF_TIER, NULL},
    /* equal orders: name order; a missing order comes last */
    {"order-tiebreak", "a", "b", 6, 80, 0, "a-deny", REASON_RULE, NULL},
    /* stagedAction Delete: nothing at all */
    {"staged-delete", "a", "b", 6, 80, 1, NULL, REASON_NO_POLICY, NULL},
    /* serviceAccounts.names */
    {"service-account", "a", "b", 6, 80, 1, "db-from-web-sa", REASON_RULE, NULL},
    {"service-account", "d", "b", 6, 80, 0, "db-from-web-sa", REASON_END_OF_TIER, NULL},
    /* a k8s rule with one bad port is dropped whole; the other rule stays */
    {"k8s-bad-port", "a", "b", 6, 80, 0, "db-bad-port", REASON_END_OF_TIER, NULL},
    {"k8s-bad-port", "a", "b", 6, 81, 1, "db-bad-port", REASON_RULE, NULL},
    /* Pass in tier security then the default tier's isolation decides */
    {"tiers-pass", "a", "b", 6, 80, 0, "db-deny", REASON_END_OF_TIER, NULL},
    {"tiers-pass", "b", "a", 6, 80, 1, NULL, REASON_PROFILE, NULL},
    /* §5: the end of tier counts against the last policy, not the first */
    {"eot-last", "d", "b", 6, 80, 0, "b-second", REASON_END_OF_TIER,
     "0|default|fme/knp.default.b-second|deny|-1"},
    /* §15.4: the ANP tier before the default tier: an ANP Deny beats the
     * NetworkPolicy's Allow, an ANP Allow its isolation, a Pass (or no
     * match: the tier's default Pass) leaves it to the NetworkPolicy */
    {"anp-over-np", "a", "b", 6, 80, 1, "db-in", REASON_RULE,
     "0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.guard|pass|-1 "
     "1|default|fme/knp.default.db-in|allow|0"},
    {"anp-over-np", "a", "b", 6, 5432, 0, "guard", REASON_RULE,
     "0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.guard|deny|0"},
    {"anp-over-np", "d", "b", 6, 80, 1, "guard", REASON_RULE,
     "0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.guard|allow|1"},
    {"anp-over-np", "c", "b", 6, 80, 0, "db-in", REASON_END_OF_TIER,
     "0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.guard|pass|2 "
     "1|default|fme/knp.default.db-in|deny|-1"},
    /* §15.4: the baseline decides only where nothing before it selected the
     * pod (a), never where a NetworkPolicy did (b) */
    {"banp", "c", "a", 6, 80, 0, "default", REASON_RULE,
     "0|baselineadminnetworkpolicy|baselineadminnetworkpolicy.kbanp."
     "baselineadminnetworkpolicy.default|deny|0"},
    {"banp", "d", "a", 6, 80, 1, "default", REASON_RULE, NULL},
    {"banp", "c", "b", 6, 80, 1, "db-in", REASON_RULE, NULL},
    {"banp", "d", "b", 6, 80, 0, "db-in", REASON_END_OF_TIER, NULL},
    {"banp", "a", "x", 6, 443, 0, "default", REASON_RULE, NULL},
    /* no rule matches an external source: the tier's default Pass, then the
     * profile (a reading with an end-of-tier Deny would deny) */
    {"banp", "x", "a", 6, 80, 1, NULL, REASON_TIER_DEFAULT,
     "0|baselineadminnetworkpolicy|baselineadminnetworkpolicy.kbanp."
     "baselineadminnetworkpolicy.default|pass|-1 1|__PROFILE__|__PROFILE__.kns.fme|allow|0"},
    /* §15.4: networks match pod addresses; an ANP without ingress rules
     * does not govern ingress */
    {"anp-networks", "a", "b", 6, 80, 0, "no-10-0-0", REASON_RULE, NULL},
    {"anp-networks", "a", "c", 6, 80, 1, NULL, REASON_TIER_DEFAULT, NULL},
    {"anp-networks", "c", "a", 6, 80, 1, NULL, REASON_NO_POLICY, NULL},
    /* §16: kube-admin then kube-baseline; a named port without protocol */
    {"cnp", "c", "b", 6, 80, 0, "admin-guard", REASON_RULE, "0|kube-admin|kcnp:admin-guard|deny|1"},
    {"cnp", "d", "b", 17, 53, 1, "base", REASON_RULE,
     "0|kube-admin|kcnp:admin-guard|pass|0 1|kube-baseline|kcnp:base|allow|0"},
    {"cnp", "d", "b", 6, 53, 0, "base", REASON_RULE, NULL},
    {"cnp", "a", "d", 6, 80, 0, "base", REASON_RULE,
     "0|kube-admin|kcnp:admin-guard|pass|-1 1|kube-baseline|kcnp:base|deny|1"},
    /* §15.5: a Deny rule Calico cannot convert denies everything; the Allow
     * rule before it is gone */
    {"anp-fail-closed", "a", "b", 6, 80, 0, "web-out", REASON_RULE,
     "0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.web-out|deny|0"},
    {"anp-fail-closed", "b", "a", 6, 80, 1, NULL, REASON_NO_POLICY, NULL},
    /* §15.4: a namedPort makes an ANP rule match every protocol and port */
    {"anp-named-port", "d", "b", 17, 9999, 0, "db-named", REASON_RULE, NULL},
    /* §15.1: Calico v3.32 (ClusterInformation) does not enforce ANPs */
    {"anp-v332", "a", "b", 6, 80, 1, NULL, REASON_NO_POLICY, NULL},
};

/* The steps of one end joined by " " into out. */
static void trace_text(const struct eng_dir *d, struct buf *out)
{
    for (size_t i = 0; i < d->nsteps; i++) {
        if (i)
            assert_int_equal(buf_addch(out, ' '), 0);
        assert_int_equal(eng_step_format(&d->steps[i], (unsigned)i, out), 0);
    }
}

static struct case_ep *ypod(const char *name)
{
    size_t i;

    for (i = 0; i < W.neps; i++)
        if (W.eps[i].name && strcmp(W.eps[i].name, name) == 0)
            return &W.eps[i];
    return NULL;
}

static void yworld(void)
{
    struct case_ep *b;

    pod("10.0.0.1", "fme", "a", "app=web", "web-sa");
    b = pod("10.0.0.2", "fme", "b", "app=db", NULL);
    add_port(b, "dns", 17, 53);
    add_port(b, "pg", 6, 5432);
    pod("10.0.1.1", "other", "c", "app=web", NULL);
    pod("10.0.0.3", "fme", "d", "app=cache", NULL);
    pod("fd00::1", "fme", "a6", "app=web", NULL);
    pod("fd00::2", "fme", "b6", "app=db", NULL);
}

static void test_yaml_fixtures(void **state)
{
    size_t i;

    (void)state;
    yworld();
    for (i = 0; i < ARRAY_SIZE(ycases); i++) {
        const struct ycase *y = &ycases[i];
        struct policy_set ps;
        struct diag d;
        char path[256];
        const char *paths[1];
        const struct case_ep *s = strcmp(y->src, "x") ? ypod(y->src) : NULL;
        const struct case_ep *t = strcmp(y->dst, "x") ? ypod(y->dst) : NULL;
        struct engine *e;
        struct eng_flow f;
        const struct eng_verdict *v;
        const struct eng_dir *dd;

        snprintf(path, sizeof(path), "tests/fixtures/engine/%s.yaml", y->fixture);
        paths[0] = path;
        diag_init(&d, stderr, "test_engine");
        assert_int_equal(policy_set_load(&ps, paths, 1, 0, &d), 0);
        e = engine_new(&ps, W.eps, W.neps, 0);
        memset(&f, 0, sizeof(f));
        f.src = s;
        f.dst = t;
        if (s)
            f.src_ip = s->ip;
        else
            assert_int_equal(ipaddr_parse("203.0.113.5", 11, &f.src_ip), 0);
        if (t)
            f.dst_ip = t->ip;
        else
            assert_int_equal(ipaddr_parse("203.0.113.5", 11, &f.dst_ip), 0);
        f.proto = y->proto;
        f.src_port = 40000;
        f.dst_port = y->dport;
        f.icmp_type = y->proto == 1 || y->proto == 58 ? 8 : -1;
        f.icmp_code = y->proto == 1 || y->proto == 58 ? 0 : -1;
        v = engine_judge(e, &f);
        dd = eng_decided(v);
        if ((v->verdict == VERDICT_ALLOW) != y->allow || !dd || dd->reason != y->reason ||
            (y->policy && (!dd->dec.pol || strcmp(dd->dec.pol->name, y->policy) != 0)))
            fail_msg("row %zu (%s %s->%s %d/%u): got %s reason %s policy %s", i, y->fixture, y->src,
                     y->dst, y->proto, y->dport, verdict_name(v->verdict),
                     dd ? eng_reason_name(dd->reason) : "-",
                     dd && dd->dec.pol ? dd->dec.pol->name : "-");
        if (y->trace) {
            struct buf tb;

            buf_init(&tb, 0);
            trace_text(dd, &tb);
            if (strcmp(tb.data, y->trace) != 0)
                fail_msg("row %zu (%s %s->%s %d/%u): trace\n  %s\nwanted\n  %s", i, y->fixture,
                         y->src, y->dst, y->proto, y->dport, tb.data, y->trace);
            buf_release(&tb);
        }
        assert_null(v->staged);
        engine_free(&e);
        policy_set_release(&ps);
    }
}

/* ---- host endpoints (§17) -------------------------------------------------------- */

/* Policy sets for the host endpoint rows, each with the host endpoints it
 * needs.  n1-eth0 protects node n1's uplink eth0 (198.18.0.1). */
#define HEP_N1                                                                                     \
    "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\n"                                       \
    "metadata: {name: n1-eth0, labels: {role: node}}\n"                                            \
    "spec: {node: n1, interfaceName: eth0, expectedIPs: [198.18.0.1], ports: [{name: https, "      \
    "protocol: TCP, port: 8443}]}\n---\n"
#define NODE_IN                                                                                    \
    "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: node-in}\n"     \
    "spec:\n  selector: role == 'node'\n  types: [Ingress]\n"                                      \
    "  ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080, https]}}]\n---\n"

static const char *const hep_sets[] = {
    /* 0: normal policy on an interface-specific host endpoint */
    HEP_N1 NODE_IN,
    /* 1: + applyOnForward ingress Deny of TCP 80 (normal policy too) */
    HEP_N1 NODE_IN "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                   "metadata: {name: fwd}\nspec:\n  order: 10\n  selector: role == 'node'\n"
                   "  applyOnForward: true\n  types: [Ingress]\n"
                   "  ingress: [{action: Deny, protocol: TCP, destination: {ports: [80]}}]\n",
    /* 2: + preDNAT: Deny 8080 from 203.0.113.0/24, Allow 9090 */
    HEP_N1 NODE_IN "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                   "metadata: {name: pre}\nspec:\n  selector: role == 'node'\n"
                   "  preDNAT: true\n  applyOnForward: true\n  types: [Ingress]\n"
                   "  ingress:\n  - {action: Deny, protocol: TCP, source: {nets: "
                   "[203.0.113.0/24]}, destination: {ports: [8080]}}\n"
                   "  - {action: Allow, protocol: TCP, destination: {ports: [9090]}}\n",
    /* 3: + doNotTrack Allow of 9091 */
    HEP_N1 NODE_IN "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                   "metadata: {name: untracked}\nspec:\n  selector: role == 'node'\n"
                   "  doNotTrack: true\n  applyOnForward: true\n  types: [Ingress]\n"
                   "  ingress: [{action: Allow, protocol: TCP, destination: {ports: [9091]}}]\n",
    /* 4: an automatic host endpoint ("*", projectcalico-default-allow),
     * and an applyOnForward egress Deny of TCP 5432 */
    "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\n"
    "metadata: {name: n1-auto-hep, labels: {kubernetes.io/hostname: n1}}\n"
    "spec: {node: n1, interfaceName: '*', expectedIPs: [198.18.0.1], profiles: "
    "[projectcalico-default-allow]}\n---\n"
    "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: no-pg}\n"
    "spec:\n  selector: has(kubernetes.io/hostname)\n  applyOnForward: true\n"
    "  types: [Egress]\n  egress: [{action: Deny, protocol: TCP, destination: {ports: "
    "[5432]}}]\n",
    /* 5: a profile podflow does not model */
    "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\n"
    "metadata: {name: n1-odd}\nspec: {node: n1, interfaceName: '*', profiles: [custom]}\n",
    /* 6: no failsafe ports at all */
    HEP_N1 NODE_IN "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\n"
                   "metadata: {name: default}\nspec: {failsafeInboundHostPorts: []}\n",
    /* 7: a pod's egress policy naming nodes by their host endpoint's labels */
    HEP_N1 "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\n"
           "metadata: {name: n2-eth0, labels: {role: node}}\n"
           "spec: {node: n2, interfaceName: '*', expectedIPs: [198.18.0.2], profiles: "
           "[projectcalico-default-allow]}\n---\n"
           "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
           "metadata: {name: web-out}\nspec:\n  selector: app == 'web'\n"
           "  types: [Egress]\n  egress: [{action: Allow, destination: {selector: role == "
           "'node'}}]\n",
};

struct hcase {
    int set;
    const char *src, *dst; /* pod or host names, or "x" (external 203.0.113.5) */
    int proto;
    uint16_t dport;
    const char *seen; /* "node/iface" the capture saw it at, or NULL */
    enum verdict verdict;
    enum eng_reason reason; /* of the deciding end (not checked for unknown) */
    const char *hep;        /* host endpoint that decided, or NULL */
    enum eng_stage stage;
    const char *trace; /* the deciding end's trace, or NULL */
};

static const struct hcase hcases[] = {
    /* §17.4: host-terminated traffic through the host endpoint of the
     * interface it entered by: its normal policies, Allow ... */
    {0, "x", "n1", 6, 8080, "n1/eth0", VERDICT_ALLOW, REASON_RULE, "n1-eth0", STAGE_NORMAL,
     "0|default|default.node-in|allow|0"},
    /* ... a named port of the host endpoint ... */
    {0, "x", "n1", 6, 8443, "n1/eth0", VERDICT_ALLOW, REASON_RULE, "n1-eth0", STAGE_NORMAL, NULL},
    /* ... the end-of-tier Deny (a reading without host endpoints allows) */
    {0, "x", "n1", 6, 9090, "n1/eth0", VERDICT_DENY, REASON_END_OF_TIER, "n1-eth0", STAGE_NORMAL,
     "0|default|default.node-in|deny|-1"},
    /* §17.5: Felix's default failsafe inbound TCP 22, before any policy */
    {0, "x", "n1", 6, 22, "n1/eth0", VERDICT_ALLOW, REASON_FAILSAFE, "n1-eth0", STAGE_FAILSAFE,
     "0|__FAILSAFE__|__FAILSAFE__.inbound|allow|-1"},
    /* §17.3: an interface-specific host endpoint and no recorded interface */
    {0, "x", "n1", 6, 9090, NULL, VERDICT_UNKNOWN, REASON_RULE, NULL, STAGE_WORKLOAD, NULL},
    /* host-originated: no egress policy and no profile: dropped ... */
    {0, "n1", "x", 6, 443, "n1/eth0", VERDICT_DENY, REASON_NO_PROFILE, "n1-eth0", STAGE_NORMAL,
     "0|__PROFILE__|__PROFILE__.__NO_MATCH__|deny|0"},
    /* ... but for the failsafe outbound UDP 53 */
    {0, "n1", "x", 17, 53, "n1/eth0", VERDICT_ALLOW, REASON_FAILSAFE, "n1-eth0", STAGE_FAILSAFE,
     "0|__FAILSAFE__|__FAILSAFE__.outbound|allow|-1"},
    /* §13.2: a pod to its own node never meets host endpoint policy */
    {0, "a", "n1", 6, 9090, NULL, VERDICT_ALLOW, REASON_TO_HOST, NULL, STAGE_WORKLOAD, NULL},
    /* forwarded to a pod: no applyOnForward policy, so the host endpoint
     * allows; the pod's own (no policy) says as much */
    {0, "x", "a", 6, 80, "n1/eth0", VERDICT_ALLOW, REASON_NO_POLICY, NULL, STAGE_WORKLOAD, NULL},
    /* a pod of another node to n1: n1's host endpoint judges it there */
    {0, "c", "n1", 6, 9090, "n1/eth0", VERDICT_DENY, REASON_END_OF_TIER, "n1-eth0", STAGE_NORMAL,
     NULL},
    /* §17.4: an applyOnForward policy applies to forwarded traffic ... */
    {1, "x", "a", 6, 80, "n1/eth0", VERDICT_DENY, REASON_RULE, "n1-eth0", STAGE_FORWARD,
     "0|default|default.fwd|deny|0"},
    /* ... and is normal policy too */
    {1, "x", "n1", 6, 80, "n1/eth0", VERDICT_DENY, REASON_RULE, "n1-eth0", STAGE_NORMAL, NULL},
    /* ... an Ingress one never touches the way out */
    {1, "a", "x", 6, 80, "n1/eth0", VERDICT_ALLOW, REASON_NO_POLICY, NULL, STAGE_WORKLOAD, NULL},
    /* preDNAT: a Deny before the normal policy's Allow ... */
    {2, "x", "n1", 6, 8080, "n1/eth0", VERDICT_DENY, REASON_RULE, "n1-eth0", STAGE_PREDNAT,
     "0|default|default.pre|deny|0"},
    /* ... also for traffic forwarded to a pod ... */
    {2, "x", "a", 6, 8080, "n1/eth0", VERDICT_DENY, REASON_RULE, "n1-eth0", STAGE_PREDNAT, NULL},
    /* ... and an Allow that skips the normal policies (which would deny) */
    {2, "x", "n1", 6, 9090, "n1/eth0", VERDICT_ALLOW, REASON_RULE, "n1-eth0", STAGE_PREDNAT, NULL},
    /* ... and a preDNAT tier that decides nothing passes (no end-of-tier
     * Deny: event_sequencer.go makes those tiers Pass) */
    {2, "x", "n1", 6, 8443, "n1/eth0", VERDICT_ALLOW, REASON_RULE, "n1-eth0", STAGE_NORMAL,
     "0|default|default.pre|pass|-1 1|default|default.node-in|allow|0"},
    /* doNotTrack: a tier that decides nothing passes too ... */
    {3, "x", "n1", 6, 8080, "n1/eth0", VERDICT_ALLOW, REASON_RULE, "n1-eth0", STAGE_NORMAL, NULL},
    /* ... it also sees traffic forwarded to a pod from outside (raw
     * PREROUTING takes every packet not from a workload), and its Allow
     * skips the forward chain, not the pod's own policy */
    {3, "x", "a", 6, 9091, "n1/eth0", VERDICT_ALLOW, REASON_RULE, "n1-eth0", STAGE_UNTRACKED, NULL},
    /* ... and an Allow comes before preDNAT and normal policy */
    {3, "x", "n1", 6, 9091, "n1/eth0", VERDICT_ALLOW, REASON_RULE, "n1-eth0", STAGE_UNTRACKED,
     "0|default|default.untracked|allow|0"},
    /* §17.6: an automatic host endpoint: no policy, its default-allow profile */
    {4, "x", "n1", 6, 9090, NULL, VERDICT_ALLOW, REASON_NO_POLICY, "n1-auto-hep", STAGE_NORMAL,
     "0|__PROFILE__|__PROFILE__.projectcalico-default-allow|allow|0"},
    /* "*": its applyOnForward policies apply between pods of its node ... */
    {4, "a", "b", 6, 5432, NULL, VERDICT_DENY, REASON_RULE, "n1-auto-hep", STAGE_FORWARD,
     "0|__PROFILE__|__PROFILE__.kns.fme|allow|0 1|default|default.no-pg|deny|0"},
    /* ... and to the world, without knowing the interface; and, as the
     * policy selects it for egress, what no rule allows meets the tier's
     * end (Felix's forward chain drops at the end of a tier too) */
    {4, "a", "x", 6, 5432, NULL, VERDICT_DENY, REASON_RULE, "n1-auto-hep", STAGE_FORWARD, NULL},
    {4, "a", "x", 6, 443, NULL, VERDICT_DENY, REASON_END_OF_TIER, "n1-auto-hep", STAGE_FORWARD,
     "0|__PROFILE__|__PROFILE__.kns.fme|allow|0 1|default|default.no-pg|deny|-1"},
    /* ... and so is traffic into the pod: "*" governs the pod's link too,
     * and forwarded traffic leaves by it (dispatch.go applies the "*" forward
     * chain to every interface; only normal policy skips workloads) */
    {4, "x", "a", 6, 443, NULL, VERDICT_DENY, REASON_END_OF_TIER, "n1-auto-hep", STAGE_FORWARD,
     NULL},
    /* a profile podflow does not model: unknown, not a guess */
    {5, "x", "n1", 6, 9090, NULL, VERDICT_UNKNOWN, REASON_RULE, NULL, STAGE_WORKLOAD, NULL},
    /* §17.5: failsafeInboundHostPorts: [] turns them off */
    {6, "x", "n1", 6, 22, "n1/eth0", VERDICT_DENY, REASON_END_OF_TIER, "n1-eth0", STAGE_NORMAL,
     NULL},
    /* §17.2: a host endpoint's expected IPs are members of selectors' sets
     * (a GlobalNetworkPolicy's: a namespaced one's selectors carry its
     * namespace, which host endpoints never have) */
    {7, "a", "n2", 6, 80, "n1/eth0", VERDICT_ALLOW, REASON_RULE, NULL, STAGE_WORKLOAD,
     "0|default|default.web-out|allow|0"},
    {7, "a", "x", 6, 80, "n1/eth0", VERDICT_DENY, REASON_END_OF_TIER, NULL, STAGE_WORKLOAD, NULL},
};

static void hworld(void)
{
    struct case_ep *h;

    pod("10.0.0.1", "fme", "a", "app=web", NULL)->node = "n1";
    pod("10.0.0.2", "fme", "b", "app=db", NULL)->node = "n1";
    pod("10.0.1.1", "other", "c", "app=web", NULL)->node = "n2";
    h = other("198.18.0.1", EP_HOST);
    h->name = "n1";
    h->node = "n1";
    h->iface = "eth0";
    h = other("198.18.0.2", EP_HOST);
    h->name = "n2";
    h->node = "n2";
    h->iface = "eth0";
}

static struct case_ep *hep_ep(const char *name)
{
    for (size_t i = 0; i < W.neps; i++)
        if (W.eps[i].name && strcmp(W.eps[i].name, name) == 0)
            return &W.eps[i];
    return NULL;
}

/* §17: host endpoints, end to end through the loader and the engine; each
 * row fails under the nearest wrong reading named in its comment. */
static void test_hostendpoints(void **state)
{
    (void)state;
    hworld();
    for (size_t i = 0; i < ARRAY_SIZE(hcases); i++) {
        const struct hcase *y = &hcases[i];
        const char *text = hep_sets[y->set];
        struct policy_set ps;
        struct diag d;
        struct engine *e;
        struct eng_flow f;
        const struct eng_verdict *v;
        const struct eng_dir *dd;
        char seen[64];
        int bad;

        diag_init(&d, stderr, "test_engine");
        assert_int_equal(policy_set_load_mem(&ps, "hep.yaml", text, strlen(text), 0, &d), 0);
        e = engine_new(&ps, W.eps, W.neps, ENG_EXPLAIN);
        memset(&f, 0, sizeof(f));
        f.src = strcmp(y->src, "x") ? hep_ep(y->src) : NULL;
        f.dst = strcmp(y->dst, "x") ? hep_ep(y->dst) : NULL;
        if (f.src)
            f.src_ip = f.src->ip;
        else
            assert_int_equal(ipaddr_parse("203.0.113.5", 11, &f.src_ip), 0);
        if (f.dst)
            f.dst_ip = f.dst->ip;
        else
            assert_int_equal(ipaddr_parse("203.0.113.5", 11, &f.dst_ip), 0);
        f.proto = y->proto;
        f.src_port = 40000;
        f.dst_port = y->dport;
        f.icmp_type = f.icmp_code = -1;
        if (y->seen) {
            char *slash;

            snprintf(seen, sizeof(seen), "%s", y->seen);
            slash = strchr(seen, '/');
            *slash = 0;
            eng_flow_seen(&f, seen, slash + 1);
        }
        v = engine_judge(e, &f);
        dd = eng_decided(v);
        bad = v->verdict != y->verdict;
        if (!bad && y->verdict != VERDICT_UNKNOWN) {
            bad = !dd || dd->reason != y->reason;
            if (!bad && y->hep)
                bad = !dd->hep || strcmp(dd->hep->name, y->hep) != 0 || dd->stage != y->stage;
            else if (!bad)
                bad = dd->hep != NULL;
        }
        if (bad)
            fail_msg("row %zu (set %d %s->%s %d/%u): got %s reason %s hep %s stage %s (%s)", i,
                     y->set, y->src, y->dst, y->proto, y->dport, verdict_name(v->verdict),
                     dd ? eng_reason_name(dd->reason) : "-", dd && dd->hep ? dd->hep->name : "-",
                     dd && dd->hep ? eng_stage_name(dd->stage) : "-", v->why ? v->why : "");
        if (y->trace) {
            struct buf tb;

            buf_init(&tb, 0);
            trace_text(dd, &tb);
            if (strcmp(tb.data, y->trace) != 0)
                fail_msg("row %zu: trace\n  %s\nwanted\n  %s", i, tb.data, y->trace);
            buf_release(&tb);
        }
        engine_free(&e);
        policy_set_release(&ps);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ne_on_missing_label, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pass_at_last_tier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selected_through_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pass_skips_rest_of_tier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tier_default_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tier_not_applying, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types_direction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staged_only_tier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staged_mixed_tier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_decision_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_port_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_port_selector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notnets_other_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nets_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_vs_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notselector_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespaced_network_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_network_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_pod_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dnt_prednat_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vxlan_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_icmp_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inherited_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_twins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_judge_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_to_local_workload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_to_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icmpv6_nd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redacted_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vxlan_port, setup, teardown),
        cmocka_unit_test(test_trace_names),
        cmocka_unit_test_setup_teardown(test_yaml_fixtures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostendpoints, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
