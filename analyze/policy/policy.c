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
    case POL_ANP:
        return "kanp";
    case POL_BANP:
        return "kbanp";
    case POL_CNP:
        return "kcnp";
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
    case POL_ANP:
        return "KubernetesAdminNetworkPolicy";
    case POL_BANP:
        return "KubernetesBaselineAdminNetworkPolicy";
    case POL_CNP:
        return "KubernetesClusterNetworkPolicy";
    }
    return "?";
}

const char *pol_kind_resource(enum pol_kind k)
{
    switch (k) {
    case POL_NP:
    case POL_KNP:
        return "NetworkPolicy";
    case POL_GNP:
        return "GlobalNetworkPolicy";
    case POL_SNP:
        return "StagedNetworkPolicy";
    case POL_SGNP:
        return "StagedGlobalNetworkPolicy";
    case POL_SKNP:
        return "StagedKubernetesNetworkPolicy";
    case POL_ANP:
        return "AdminNetworkPolicy";
    case POL_BANP:
        return "BaselineAdminNetworkPolicy";
    case POL_CNP:
        return "ClusterNetworkPolicy";
    }
    return "?";
}

/*
 * §15.1: AdminNetworkPolicy from Calico v3.29 (commit 800b96f, "Add
 * AdminNetworkPolicy"), BaselineAdminNetworkPolicy from v3.30 (20f048e),
 * both removed in v3.32 (bac09c1), which added ClusterNetworkPolicy
 * (04f9feb).  CALICO_AUTO: each kind as the versions that enforce it.
 */
int calico_enforces(int v, enum pol_kind k)
{
    switch (k) {
    case POL_ANP:
        return v == CALICO_AUTO || (v >= 329 && v <= 331);
    case POL_BANP:
        return v == CALICO_AUTO || (v >= 330 && v <= 331);
    case POL_CNP:
        return v == CALICO_AUTO || v >= 332;
    case POL_NP:
    case POL_GNP:
    case POL_KNP:
    case POL_SNP:
    case POL_SGNP:
    case POL_SKNP:
        break;
    }
    return 1;
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

/* The tiers that exist only in Calico v3.29-v3.31 (§15.2). */
static int tier_is_v331_admin(const char *tier)
{
    return strcmp(tier, "adminnetworkpolicy") == 0 ||
           strcmp(tier, "baselineadminnetworkpolicy") == 0;
}

/* The next byte of the key parts[0] sep parts[1] sep ... (sep 0: parts
 * simply concatenated) at part *p, byte *i; -1 at its end. */
static int key_byte(const char *const *parts, size_t nparts, char sep, size_t *p, size_t *i)
{
    while (*p < nparts && parts[*p][*i] == '\0') {
        (*p)++;
        *i = 0;
        if (sep && *p < nparts)
            return sep;
    }
    if (*p >= nparts)
        return -1;
    return (unsigned char)parts[*p][(*i)++];
}

/* Byte comparison of two keys joined from parts, without building them. */
static int key_cmp(const char *const *px, const char *const *py, size_t nparts, char sep)
{
    size_t ix = 0, iy = 0, jx = 0, jy = 0;

    for (;;) {
        int cx = key_byte(px, nparts, sep, &jx, &ix);
        int cy = key_byte(py, nparts, sep, &jy, &iy);

        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (cx == -1)
            return 0;
    }
}

/*
 * The backend policy name Felix v3.31 sorted ties by (§4.1 version note,
 * §15.2): "kanp.adminnetworkpolicy.<name>", "kbanp.baselineadminnetworkpolicy.
 * <name>", "<ns>/knp.default.<name>", and for Calico's own kinds the name
 * with its "<tier>." prefix (which v3.29-v3.31 require outside the default
 * tier; libcalico-go/lib/names/policy.go), "staged:" before it for staged
 * kinds, "<ns>/" before namespaced ones.  parts[0..3) concatenated give it.
 */
static void v331_key(const struct policy *p, const char **parts, char *mid, size_t size)
{
    size_t tl = strlen(p->tier);
    /* v3.31's reader strips "default." from default-tier names; other tiers
     * require the prefix, so a name without it would have had it. */
    int has_prefix = (strncmp(p->name, p->tier, tl) == 0 && p->name[tl] == '.') ||
                     strcmp(p->tier, "default") == 0;
    int staged = p->kind == POL_SNP || p->kind == POL_SGNP;

    snprintf(mid, size, "%s%s%s%s", p->ns ? "/" : "", staged ? "staged:" : "",
             has_prefix ? "" : p->tier, has_prefix ? "" : ".");
    parts[0] = p->ns ? p->ns : "";
    parts[1] = mid;
    parts[2] = p->name;
    switch (p->kind) {
    case POL_ANP:
        parts[1] = "kanp.adminnetworkpolicy.";
        break;
    case POL_BANP:
        parts[1] = "kbanp.baselineadminnetworkpolicy.";
        break;
    case POL_KNP:
        parts[1] = "/knp.default.";
        break;
    case POL_SKNP:
        parts[1] = "/staged:knp.default.";
        break;
    case POL_NP:
    case POL_GNP:
    case POL_SNP:
    case POL_SGNP:
    case POL_CNP:
        break;
    }
}

/*
 * §4.1 (felix/calc/policy_sorter.go PolKVLess): ascending order, a missing
 * order after every numeric one; ties in v3.32 by a byte comparison of
 * "<name>/<namespace>/<kind>", in v3.31 of the backend name (v331_key).
 * The version is the set's (§15.1); the tiers that exist only in v3.29-
 * v3.31 always sort as v3.31 did.
 */
int policy_cmp_calico(const struct policy *x, const struct policy *y, int calico)
{
    const char *parts_x[3], *parts_y[3];

    if (x->has_order != y->has_order)
        return x->has_order ? -1 : 1;
    if (x->has_order && x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if ((calico != CALICO_AUTO && calico < 332) || tier_is_v331_admin(x->tier)) {
        char tx[160], ty[160];

        v331_key(x, parts_x, tx, sizeof(tx));
        v331_key(y, parts_y, ty, sizeof(ty));
        return key_cmp(parts_x, parts_y, 3, 0);
    }
    /* Calico compares the joined strings, and '-' and '.' sort before
     * '/', so comparing the parts one by one would differ ("a-b" vs "a"):
     * walk the joined keys byte by byte without building them. */
    parts_x[0] = x->name;
    parts_x[1] = x->ns ? x->ns : "";
    parts_x[2] = pol_kind_name(x->kind);
    parts_y[0] = y->name;
    parts_y[1] = y->ns ? y->ns : "";
    parts_y[2] = pol_kind_name(y->kind);
    return key_cmp(parts_x, parts_y, 3, '/');
}

/* qsort comparators for the two tie-break rules (qsort takes no context). */
static int policy_ptr_cmp_v332(const void *a, const void *b)
{
    const struct policy *const *x = a;
    const struct policy *const *y = b;

    return policy_cmp_calico(*x, *y, CALICO_AUTO);
}

static int policy_ptr_cmp_v331(const void *a, const void *b)
{
    const struct policy *const *x = a;
    const struct policy *const *y = b;

    return policy_cmp_calico(*x, *y, 331);
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
 * or start-up code give them (api/pkg/apis/projectcalico/v3/tier.go;
 * libcalico-go/lib/clientv3/client.go ensureTierExists; §4.2, §15.2, §16):
 * the default tier exists in every cluster; adminnetworkpolicy and
 * baselineadminnetworkpolicy in v3.29-v3.31 (the latter from v3.30), for
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy; kube-admin and
 * kube-baseline from v3.32, for ClusterNetworkPolicy.  A tier appears here
 * only when a policy or a Tier object names it, and only in the versions
 * that have it (lo..hi; 0: unbounded).
 */
static const struct {
    const char *name;
    double order;
    int pass;
    int always;
    int lo, hi;
} builtin_tiers[] = {
    {"default", 1000000.0, 0, 1, 0, 0},
    {"adminnetworkpolicy", 1000.0, 1, 0, 329, 331},
    {"baselineadminnetworkpolicy", 10000000.0, 1, 0, 330, 331},
    {"kube-admin", 1000.0, 1, 0, 332, 0},
    {"kube-baseline", 10000000.0, 1, 0, 332, 0},
};

/* 1 when Calico version v (CALICO_AUTO: any) has built-in tier i. */
static int builtin_in_version(size_t i, int v)
{
    return v == CALICO_AUTO || ((!builtin_tiers[i].lo || v >= builtin_tiers[i].lo) &&
                                (!builtin_tiers[i].hi || v <= builtin_tiers[i].hi));
}

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

        if (!builtin_in_version(i, ps->calico))
            continue;

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
        qsort(tiers[t].policies, tiers[t].npolicies, sizeof(*tiers[t].policies),
              ps->calico != CALICO_AUTO && ps->calico < 332 ? policy_ptr_cmp_v331
                                                            : policy_ptr_cmp_v332);
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
    for (size_t i = 0; i < ps->nheps; i++)
        labels_release(&ps->heps[i].labels);
    arena_release(&ps->arena);
    memset(ps, 0, sizeof(*ps));
}

const char *pol_member_kind_name(enum pol_member_kind k)
{
    switch (k) {
    case PM_NETWORKSET:
        return "NetworkSet";
    case PM_GLOBALNETWORKSET:
        return "GlobalNetworkSet";
    case PM_HOSTENDPOINT:
        return "HostEndpoint";
    }
    return "?";
}

size_t policy_members_of(const struct policy_set *ps, const struct ipaddr *ip,
                         struct pol_member *out, size_t max)
{
    size_t n = 0;

    for (size_t k = 0; k < ps->nnetsets; k++) {
        const struct netset *s = &ps->netsets[k];

        for (size_t i = 0; i < s->nnets; i++) {
            if (!cidr_contains(&s->nets[i], ip))
                continue;
            if (n < max) {
                out[n].kind = s->ns ? PM_NETWORKSET : PM_GLOBALNETWORKSET;
                out[n].ns = s->ns;
                out[n].name = s->name;
                out[n].labels = &s->labels;
                out[n].net = &s->nets[i];
                out[n].hep = NULL;
            }
            n++;
            break;
        }
    }
    for (size_t k = 0; k < ps->nheps; k++) {
        const struct hostep *h = &ps->heps[k];

        if (!hostep_holds(h, ip))
            continue;
        if (n < max) {
            out[n].kind = PM_HOSTENDPOINT;
            out[n].ns = NULL;
            out[n].name = h->name;
            out[n].labels = &h->labels;
            out[n].net = NULL;
            out[n].hep = h;
        }
        n++;
    }
    return n;
}

int hostep_holds(const struct hostep *h, const struct ipaddr *ip)
{
    for (size_t i = 0; i < h->nips; i++)
        if (ipaddr_cmp(&h->ips[i], ip) == 0)
            return 1;
    return 0;
}
