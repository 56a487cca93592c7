/*
 * policy.c: the policy model's names, the order of tiers and of policies
 * within a tier (docs/semantics.md §4), the per-family existence of a rule
 * (§3.1), and releasing a set.  Loading is in pol_load.c.
 */
#include "analyze/policy/policy.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/policy/pol_int.h"
#include "common/labels.h"
#include "common/xmalloc.h"
#include "common/compat.h"

const char *pol_kind_short(enum pol_kind k)
{
    switch (k) {
    case POL_NP:
        return "np";
    case POL_GNP:
        return "gnp";
    case POL_KNP:
        return "knp";
    case POL_SNP:
        return "snp";
    case POL_SGNP:
        return "sgnp";
    case POL_SKNP:
        return "sknp";
    }
    return "?";
}

/* The kind strings of felix/calc/policy_sorter.go's tie-break key. */
const char *pol_kind_name(enum pol_kind k)
{
    switch (k) {
    case POL_NP:
        return "NetworkPolicy";
    case POL_GNP:
        return "GlobalNetworkPolicy";
    case POL_KNP:
        return "KubernetesNetworkPolicy";
    case POL_SNP:
        return "StagedNetworkPolicy";
    case POL_SGNP:
        return "StagedGlobalNetworkPolicy";
    case POL_SKNP:
        return "StagedKubernetesNetworkPolicy";
    }
    return "?";
}

const char *rule_action_name(enum rule_action a)
{
    switch (a) {
    case ACT_ALLOW:
        return "Allow";
    case ACT_DENY:
        return "Deny";
    case ACT_PASS:
        return "Pass";
    case ACT_LOG:
        return "Log";
    }
    return "?";
}

const char *rule_action_flowlog(enum rule_action a)
{
    switch (a) {
    case ACT_ALLOW:
        return "allow";
    case ACT_DENY:
        return "deny";
    case ACT_PASS:
        return "pass";
    case ACT_LOG:
        return "log";
    }
    return "?";
}

/* 1 when any CIDR of nets[0..n) is of family. */
static int nets_have_family(const struct cidr *nets, size_t n, int family)
{
    for (size_t i = 0; i < n; i++)
        if (nets[i].addr.family == family)
            return 1;
    return 0;
}

static int notnets_have_catchall(const struct cidr *nets, size_t n, int family)
{
    for (size_t i = 0; i < n; i++)
        if (nets[i].addr.family == family && cidr_is_catchall(&nets[i]))
            return 1;
    return 0;
}

int rule_applies_to_family(const struct rule *r, int family)
{
    const struct entity *sides[2] = {&r->src, &r->dst};

    if (r->ip_version != 0 && r->ip_version != family)
        return 0;
    for (size_t i = 0; i < 2; i++) {
        const struct entity *e = sides[i];

        if (e->nnets && !nets_have_family(e->nets, e->nnets, family))
            return 0;
        if (e->nnotnets && !nets_have_family(e->notnets, e->nnotnets, family))
            return 0;
        if (notnets_have_catchall(e->notnets, e->nnotnets, family))
            return 0;
    }
    return 1;
}

/*
 * §4.1 (felix/calc/policy_sorter.go PolKVLess, v3.32): ascending order, a
 * missing order after every numeric one; ties by a byte comparison of
 * "<name>/<namespace>/<kind>".
 */
int policy_cmp(const struct policy *x, const struct policy *y)
{
    const char *parts_x[3], *parts_y[3];

    if (x->has_order != y->has_order)
        return x->has_order ? -1 : 1;
    if (x->has_order && x->order != y->order)
        return x->order < y->order ? -1 : 1;
    /* Calico compares the joined strings, and '-' and '.' sort before
     * '/', so comparing the parts one by one would differ ("a-b" vs "a"):
     * walk the joined keys byte by byte without building them. */
    parts_x[0] = x->name;
    parts_x[1] = x->ns ? x->ns : "";
    parts_x[2] = pol_kind_name(x->kind);
    parts_y[0] = y->name;
    parts_y[1] = y->ns ? y->ns : "";
    parts_y[2] = pol_kind_name(y->kind);
    {
        size_t ix = 0, iy = 0, px = 0, py = 0;

        for (;;) {
            int cx, cy;

            /* Next byte of each joined key, -1 at its end. */
            if (px < 3 && parts_x[px][ix] == '\0') {
                cx = px < 2 ? '/' : -1;
                px++;
                ix = 0;
            } else {
                cx = px < 3 ? (unsigned char)parts_x[px][ix++] : -1;
            }
            if (py < 3 && parts_y[py][iy] == '\0') {
                cy = py < 2 ? '/' : -1;
                py++;
                iy = 0;
            } else {
                cy = py < 3 ? (unsigned char)parts_y[py][iy++] : -1;
            }
            if (cx != cy)
                return cx < cy ? -1 : 1;
            if (cx == -1)
                return 0;
        }
    }
}

static int policy_ptr_cmp(const void *a, const void *b)
{
    const struct policy *const *x = a;
    const struct policy *const *y = b;

    return policy_cmp(*x, *y);
}

/*
 * §4.2 (felix/calc/policy_sorter.go TierLess): tiers that exist as Tier
 * resources first, then ascending order with a missing order last, then by
 * name.
 */
static int tier_cmp(const void *a, const void *b)
{
    const struct tier *x = a;
    const struct tier *y = b;

    if (x->defined != y->defined)
        return x->defined ? -1 : 1;
    if (x->has_order != y->has_order)
        return x->has_order ? -1 : 1;
    if (x->has_order && x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

/*
 * Tiers Calico always has, with the order and default action its CEL rules
 * force on them (api/pkg/apis/projectcalico/v3/tier.go; §4.2): the default
 * tier exists in every cluster; kube-admin and kube-baseline hold
 * ClusterNetworkPolicies and appear here only when a policy or a Tier
 * object names them.
 */
static const struct {
    const char *name;
    double order;
    int pass;
    int always;
} builtin_tiers[] = {
    {"default", 1000000.0, 0, 1},
    {"kube-admin", 1000.0, 1, 0},
    {"kube-baseline", 10000000.0, 1, 0},
};

static struct tier *tier_find(struct tier *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

void policy_set_build_tiers(struct pol_ctx *c)
{
    struct policy_set *ps = c->ps;
    size_t cap = c->ntiers + ps->npolicies + ARRAY_SIZE(builtin_tiers);
    struct tier *tiers = arena_calloc(c->a, cap ? cap : 1, sizeof(*tiers));
    size_t nt = 0;

    /* Built-in tiers first, so that a Tier object for one of them (whose
     * order and action the validator already checked) merges into it. */
    for (size_t i = 0; i < ARRAY_SIZE(builtin_tiers); i++) {
        int used = builtin_tiers[i].always;

        for (size_t j = 0; !used && j < c->ntiers; j++)
            used = strcmp(c->tiers[j].name, builtin_tiers[i].name) == 0;
        for (size_t j = 0; !used && j < ps->npolicies; j++)
            used = strcmp(ps->policies[j].tier, builtin_tiers[i].name) == 0;
        if (!used)
            continue;
        tiers[nt].name = builtin_tiers[i].name;
        tiers[nt].defined = 1;
        tiers[nt].has_order = 1;
        tiers[nt].order = builtin_tiers[i].order;
        tiers[nt].default_pass = builtin_tiers[i].pass;
        nt++;
    }
    for (size_t j = 0; j < c->ntiers; j++) {
        const struct tier_def *td = &c->tiers[j];

        if (tier_find(tiers, nt, td->name))
            continue;
        tiers[nt].name = td->name;
        tiers[nt].defined = 1;
        tiers[nt].has_order = td->has_order;
        tiers[nt].order = td->order;
        tiers[nt].default_pass = td->default_pass;
        nt++;
    }
    /* Tiers only policies name: accepted with a warning (DESIGN.md), with
     * no order and an empty default action, which acts as Deny (§4.2). */
    for (size_t j = 0; j < ps->npolicies; j++) {
        const struct policy *p = &ps->policies[j];

        if (tier_find(tiers, nt, p->tier))
            continue;
        diag_at(c->d, DIAG_WARNING, p->file, p->line, 0,
                "tier '%s' of %s '%s' has no Tier object; it is ordered after every "
                "defined tier, with default action Deny",
                p->tier, pol_kind_name(p->kind), p->name);
        tiers[nt].name = p->tier;
        tiers[nt].defined = 0;
        tiers[nt].has_order = 0;
        nt++;
    }
    qsort(tiers, nt, sizeof(*tiers), tier_cmp);

    /* The policies of each tier, in policy order. */
    for (size_t t = 0; t < nt; t++) {
        size_t n = 0;

        for (size_t j = 0; j < ps->npolicies; j++)
            if (strcmp(ps->policies[j].tier, tiers[t].name) == 0)
                n++;
        tiers[t].policies = arena_calloc(c->a, n ? n : 1, sizeof(*tiers[t].policies));
        for (size_t j = 0; j < ps->npolicies; j++)
            if (strcmp(ps->policies[j].tier, tiers[t].name) == 0)
                tiers[t].policies[tiers[t].npolicies++] = &ps->policies[j];
        qsort(tiers[t].policies, tiers[t].npolicies, sizeof(*tiers[t].policies), policy_ptr_cmp);
    }
    ps->tiers = tiers;
    ps->ntiers = nt;
}

void policy_set_release(struct policy_set *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->nnetsets; i++)
        labels_release(&ps->netsets[i].labels);
    arena_release(&ps->arena);
    memset(ps, 0, sizeof(*ps));
}
