/*
 * pol_admin.c: the cluster administrator's policy kinds of
 * policy.networking.k8s.io: AdminNetworkPolicy and BaselineAdminNetworkPolicy
 * (v1alpha1) and ClusterNetworkPolicy (v1alpha2).  Each object is validated
 * as the API server validates it (the CRD schemas and CEL rules Calico
 * ships: experimental channel v0.1.1 for v1alpha1, standard channel v0.2.0
 * for v1alpha2), then converted into a GlobalNetworkPolicy exactly as
 * Calico converts it (libcalico-go/lib/backend/k8s/conversion: conversion.go
 * K8sAdminNetworkPolicyToCalico and K8sBaselineAdminNetworkPolicyToCalico
 * at v3.31, clusternetworkpolicy.go at v3.32; docs/semantics.md §15, §16):
 *
 *   - the tier: adminnetworkpolicy / baselineadminnetworkpolicy (v3.29-
 *     v3.31), kube-admin / kube-baseline (v3.32); order = priority (the
 *     BaselineAdminNetworkPolicy: 1000);
 *   - the subject as a namespace selector plus a pod selector that always
 *     carries projectcalico.org/orchestrator == 'k8s' (pods only);
 *   - each rule expanded into (protocol groups, sorted by name) x (peers)
 *     Calico rules, so that a trace's rule index counts Calico's rules;
 *   - a rule Calico cannot convert (a nodes or domainNames peer, a CIDR it
 *     cannot parse, a port range whose start is past its end, a named port
 *     it refuses) fails closed: a Deny or Pass rule becomes an unconditional
 *     Deny at its place, an Allow rule disappears (§15.5);
 *   - types from the converted rules: a direction with no rule is not
 *     governed, none at all means both (Felix's back-compatibility).
 *
 * Which Calico version enforces which kind is settled after every file is
 * read (pa_settle_version, §15.1).
 */
#include "analyze/policy/pol_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/ipaddr.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The API's own limits (kubebuilder markers): v1alpha1 / v1alpha2. */
#define ADM_RULES_V1    100 /* ingress or egress rules per policy */
#define ADM_RULES_V2    25
#define ADM_PEERS_V1    100 /* from / to entries per rule */
#define ADM_PEERS_V2    25
#define ADM_PORTS_V1    100 /* ports (v1alpha1) */
#define ADM_PORTS_V2    25  /* protocols (v1alpha2) */
#define ADM_NETWORKS    25  /* networks per peer (both) */
#define ADM_NAME_LEN    100 /* a rule's name */
#define ADM_CIDR_LEN    43
#define ADM_PRIORITY_HI 1000

/* One object being read. */
struct adm {
    struct pol_ctx *c;
    enum pol_kind kind;
    int v2; /* v1alpha2 (ClusterNetworkPolicy) */
};

static const char *kind_res(const struct adm *a)
{
    return pol_kind_resource(a->kind);
}

/*
 * MinProperties=1, MaxProperties=1 ("exactly one field must be set"): the
 * index in keys[] of the one key set in map (a null value is absent, as the
 * API server prunes it), or -1 after reporting.
 */
static int one_of(struct pol_ctx *c, const struct ynode *map, const char *const *keys,
                  const char *what)
{
    int found = -1, n = 0;

    for (int i = 0; keys[i]; i++) {
        if (!ynode_is_null(ynode_get(map, keys[i]))) {
            if (found < 0)
                found = i;
            n++;
        }
    }
    if (n != 1) {
        char list[256] = "";
        size_t len = 0;

        for (int i = 0; keys[i] && len < sizeof(list); i++)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", keys[i]);
        pv_err(c, map, "exactly one of %s must be set in '%s'%s", list, what,
               n ? "" : " (none is)");
        return -1;
    }
    return found;
}

/* A sequence field with the API's item bounds (min 0: none).  0 when read
 * (absent: *out NULL), -1 after reporting. */
static int read_seq(struct pol_ctx *c, const struct ynode *n, const char *what, size_t min,
                    size_t max, const struct ynode **out)
{
    *out = NULL;
    switch (pv_seq(c, n, what)) {
    case -1:
        return -1;
    case 1:
        return 0;
    default:
        break;
    }
    if (n->u.seq.n < min) {
        pv_err(c, n, "'%s' must have at least %zu item%s", what, min, min == 1 ? "" : "s");
        return -1;
    }
    if (max && n->u.seq.n > max) {
        pv_err(c, n, "'%s' has %zu items, more than the %zu the API allows", what, n->u.seq.n, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* --- peers ------------------------------------------------------------------------ */

/* A peer as Calico converts it. */
struct adm_peer {
    const char *selector;   /* pod selector text, or NULL */
    const char *nsselector; /* namespace selector text, or NULL */
    struct cidr *nets;      /* arena */
    size_t nnets;
    const char *fail; /* why Calico cannot convert it (the rule fails closed), or NULL */
};

/* NamespacedPod: namespaceSelector (required in v1alpha1, optional in
 * v1alpha2, where absent is an empty selector: every namespace) and
 * podSelector (required). */
static int read_namespaced_pod(struct adm *a, const struct ynode *n, const char *what,
                               const char **sel, const char **nssel)
{
    static const char *const fields[] = {"namespaceSelector", "podSelector", NULL};
    struct pol_ctx *c = a->c;
    const struct ynode *nsn, *pn;
    unsigned errs = c->errors;
    char w[192];

    if (pv_map(c, n, what) != 0)
        return -1;
    pv_fields(c, n, fields, what);
    nsn = ynode_get(n, "namespaceSelector");
    pn = ynode_get(n, "podSelector");
    if (ynode_is_null(pn))
        pv_err(c, n, "'%s.podSelector' is required", what);
    if (ynode_is_null(nsn) && !a->v2)
        pv_err(c, n, "'%s.namespaceSelector' is required", what);
    if (c->errors != errs)
        return -1;
    pv_path(w, sizeof(w), what, "podSelector");
    if (pv_map(c, pn, w) != 0)
        return -1;
    *sel = pk_selector(c, pn, w, PK_SEL_POD | PK_SEL_CRD);
    pv_path(w, sizeof(w), what, "namespaceSelector");
    if (ynode_is_null(nsn)) {
        /* v1alpha2: the Go struct field is a value, so an absent selector
         * is an empty one, "all()" (clusternetworkpolicy.go takes its
         * address). */
        *nssel = "all()";
    } else {
        if (pv_map(c, nsn, w) != 0)
            return -1;
        *nssel = pk_selector(c, nsn, w, PK_SEL_CRD);
    }
    return *sel && *nssel ? 0 : -1;
}

/* networks: 1..25 unique CIDRs of at most 43 characters; v1alpha1's CEL
 * lets any text with exactly one of ':' and '.' through, which Calico then
 * parses with net.ParseCIDR (failing the rule if it cannot); v1alpha2's CEL
 * is isCIDR() itself. */
static void read_networks(struct adm *a, const struct ynode *n, const char *what,
                          struct adm_peer *p)
{
    struct pol_ctx *c = a->c;
    const struct ynode *seq;

    if (read_seq(c, n, what, 1, ADM_NETWORKS, &seq) != 0 || !seq)
        return;
    p->nets = arena_calloc(c->a, seq->u.seq.n, sizeof(*p->nets));
    for (size_t i = 0; i < seq->u.seq.n; i++) {
        const struct ynode *it = seq->u.seq.items[i];
        const char *s = NULL;
        struct cidr cd;
        int host = 0;

        if (pv_str(c, it, what, &s) != 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            const char *t = NULL;

            if (pv_str(c, seq->u.seq.items[j], what, &t) == 0 && strcmp(s, t) == 0)
                pv_err(c, it, "duplicate entry '%s' in '%s' (a set)", s, what);
        }
        if (strlen(s) > ADM_CIDR_LEN) {
            pv_err(c, it, "'%s' in '%s' is longer than %d characters", s, what, ADM_CIDR_LEN);
            continue;
        }
        if (!a->v2 && (strchr(s, ':') != NULL) == (strchr(s, '.') != NULL)) {
            pv_err(c, it,
                   "'%s' in '%s' must be either an IPv4 or an IPv6 CIDR (IPv4 addresses "
                   "embedded in IPv6 are not supported)",
                   s, what);
            continue;
        }
        if (!strchr(s, '/') || cidr_parse(s, strlen(s), &cd, &host) != 0) {
            if (a->v2) {
                pv_err(c, it, "invalid CIDR '%s' in '%s'", s, what);
                continue;
            }
            if (!p->fail)
                p->fail = "a network Calico cannot parse as a CIDR";
            pv_warn(c, it,
                    "'%s' in '%s' is not a CIDR: the API server admits it, but Calico "
                    "cannot convert the rule",
                    s, what);
            continue;
        }
        /* cnet.ParseCIDR then String(): host bits cleared (cidr_parse did). */
        p->nets[p->nnets++] = cd;
    }
}

/* One peer of from (ingress) or to (egress). */
static int read_peer(struct adm *a, const struct ynode *n, const char *what, int egress,
                     struct adm_peer *p)
{
    static const char *const in_keys[] = {"namespaces", "pods", NULL};
    static const char *const out_keys_v1[] = {"namespaces", "pods", "nodes", "networks", NULL};
    static const char *const out_keys_v2[] = {"namespaces", "pods",        "nodes",
                                              "networks",   "domainNames", NULL};
    const char *const *keys = !egress ? in_keys : a->v2 ? out_keys_v2 : out_keys_v1;
    struct pol_ctx *c = a->c;
    const struct ynode *v;
    unsigned errs = c->errors;
    int k;
    char w[192];

    memset(p, 0, sizeof(*p));
    if (pv_map(c, n, what) != 0) {
        if (!n || ynode_is_null(n))
            pv_err(c, n, "'%s' must set one of its fields", what);
        return -1;
    }
    pv_fields(c, n, keys, what);
    if (c->errors != errs)
        return -1;
    k = one_of(c, n, keys, what);
    if (k < 0)
        return -1;
    v = ynode_get(n, keys[k]);
    pv_path(w, sizeof(w), what, keys[k]);
    if (strcmp(keys[k], "namespaces") == 0) {
        if (pv_map(c, v, w) != 0)
            return -1;
        p->nsselector = pk_selector(c, v, w, PK_SEL_CRD);
        return p->nsselector ? 0 : -1;
    }
    if (strcmp(keys[k], "pods") == 0)
        return read_namespaced_pod(a, v, w, &p->selector, &p->nsselector);
    if (strcmp(keys[k], "networks") == 0) {
        read_networks(a, v, w, p);
        return c->errors == errs ? 0 : -1;
    }
    if (strcmp(keys[k], "nodes") == 0) {
        if (pv_map(c, v, w) != 0 || !pk_selector(c, v, w, PK_SEL_CRD))
            return -1;
        p->fail = "a nodes peer, which Calico does not support";
        pv_warn(c, v,
                "'%s': Calico does not support nodes peers (its conversion finds \"none of "
                "supported fields in 'To'\")%s",
                w,
                a->v2 ? "; nodes is not in the standard-channel CRD Calico ships, whose API "
                        "server rejects this peer"
                      : "");
        return 0;
    }
    /* domainNames (v1alpha2, experimental) */
    {
        const struct ynode *seq;

        if (read_seq(c, v, w, 1, ADM_NETWORKS, &seq) != 0)
            return -1;
        for (size_t i = 0; seq && i < seq->u.seq.n; i++) {
            const char *s = NULL;

            (void)pv_str(c, seq->u.seq.items[i], w, &s);
        }
        p->fail = "a domainNames peer, which Calico does not support";
        pv_warn(c, v,
                "'%s': Calico does not support domainNames peers; domainNames is not in the "
                "standard-channel CRD Calico ships, whose API server rejects this peer",
                w);
    }
    return c->errors == errs ? 0 : -1;
}

/* --- ports and protocols ------------------------------------------------------------- */

/* Protocol groups in the order Calico's sort.Strings gives them: "" (no
 * protocol), "SCTP", "TCP", "UDP". */
enum { AG_NONE, AG_SCTP, AG_TCP, AG_UDP, AG_N };
static const int ag_proto[AG_N] = {-1, 132, 6, 17};

struct adm_group {
    int present;
    int all;                  /* every port of the protocol (or, for AG_NONE, of all) */
    struct port_match *ports; /* malloc'd while building */
    size_t n, alloc;
};

struct adm_ports {
    struct adm_group g[AG_N];
    const char *fail; /* why Calico cannot convert them, or NULL */
};

static void ports_release(struct adm_ports *ap)
{
    for (size_t i = 0; i < AG_N; i++)
        free(ap->g[i].ports);
    memset(ap, 0, sizeof(*ap));
}

/* unpackANPPorts' "match everything" (no ports, or an entry it reads as
 * neither a protocol nor a port): one group, no protocol, no ports. */
static void ports_all(struct adm_ports *ap)
{
    for (size_t i = 0; i < AG_N; i++) {
        free(ap->g[i].ports);
        memset(&ap->g[i], 0, sizeof(ap->g[i]));
    }
    ap->g[AG_NONE].present = 1;
    ap->g[AG_NONE].all = 1;
}

static void group_add(struct adm_group *g, const struct port_match *pm)
{
    /* A group that already holds "all ports" stays so. */
    if (g->present && g->all)
        return;
    g->present = 1;
    if (!pm) {
        g->all = 1;
        return;
    }
    ALLOC_GROW(g->ports, g->n + 1, g->alloc);
    g->ports[g->n++] = *pm;
}

/*
 * Entry i of a ports / protocols list: a map with exactly one of keys set.
 * w gets the entry's path, w2 the path of the field set; *v its value.
 * The index in keys of that field, or -1 after reporting.
 */
static int read_entry(struct adm *a, const struct ynode *seq, size_t i, const char *what,
                      const char *const *keys, char *w, size_t wsize, char *w2, size_t w2size,
                      const struct ynode **v)
{
    struct pol_ctx *c = a->c;
    const struct ynode *it = seq->u.seq.items[i];
    int k;

    snprintf(w, wsize, "%s[%zu]", what, i);
    if (pv_map(c, it, w) != 0) {
        if (!it || ynode_is_null(it))
            pv_err(c, it, "'%s' must set one of its fields", w);
        return -1;
    }
    pv_fields(c, it, keys, w);
    k = one_of(c, it, keys, w);
    if (k < 0)
        return -1;
    *v = ynode_get(it, keys[k]);
    pv_path(w2, w2size, w, keys[k]);
    return k;
}

/* v1alpha1 Port / PortRange protocol: default TCP; the CRD has no enum,
 * and the API documents TCP, UDP and SCTP, which are all Calico's
 * conversion was written for: anything else is refused here (§15.2). */
static int read_v1_protocol(struct adm *a, const struct ynode *n, const char *what)
{
    const char *s = "TCP";

    if (pv_str(a->c, n, what, &s) < 0)
        return -1;
    if (strcmp(s, "TCP") == 0)
        return AG_TCP;
    if (strcmp(s, "UDP") == 0)
        return AG_UDP;
    if (strcmp(s, "SCTP") == 0)
        return AG_SCTP;
    pv_err(a->c, n,
           "unsupported protocol '%s' in '%s': use TCP, UDP or SCTP (how Calico converts other "
           "values is not defined)",
           s, what);
    return -1;
}

/* A port number field: required, an integer 1..65535. */
static int read_port_num(struct adm *a, const struct ynode *map, const char *key, const char *what,
                         long *out)
{
    const struct ynode *n = ynode_get(map, key);
    char w[224];

    pv_path(w, sizeof(w), what, key);
    if (ynode_is_null(n)) {
        pv_err(a->c, map, "'%s' is required", w);
        return -1;
    }
    return pv_int(a->c, n, w, 1, 65535, out);
}

/*
 * v1alpha1 ports[] as unpackANPPorts reads it, entry by entry in order:
 * portNumber and portRange add (protocol, port) to their protocol's group;
 * the first namedPort (for which k8sAdminPolicyPortToCalicoFields returns
 * neither: "TODO: Add support for NamedPorts") turns the whole list into
 * "every protocol and port" and ends the walk; a range with start past end
 * fails the rule (PortFromRange) - unless a namedPort came first.
 */
static int read_v1_ports(struct adm *a, const struct ynode *seq, const char *what,
                         struct adm_ports *ap)
{
    static const char *const keys[] = {"portNumber", "portRange", "namedPort", NULL};
    static const char *const num_fields[] = {"protocol", "port", NULL};
    static const char *const range_fields[] = {"protocol", "start", "end", NULL};
    struct pol_ctx *c = a->c;
    unsigned errs = c->errors;
    int done = 0;

    for (size_t i = 0; i < seq->u.seq.n; i++) {
        const struct ynode *v = NULL;
        struct port_match pm;
        char w[256], w2[288];
        int k, g;
        long lo = 0, hi = 0;

        k = read_entry(a, seq, i, what, keys, w, sizeof(w), w2, sizeof(w2), &v);
        if (k < 0)
            continue;
        memset(&pm, 0, sizeof(pm));
        if (k == 2) {
            const char *name = NULL;

            if (pv_str(c, v, w2, &name) != 0)
                continue;
            if (!done) {
                pv_warn(c, v,
                        "'%s': Calico v3.29-v3.31 do not convert named ports; this rule "
                        "then matches every protocol and port",
                        w2);
                if (!ap->fail)
                    ports_all(ap);
                done = 1;
            }
            continue;
        }
        if (pv_map(c, v, w2) != 0)
            continue;
        pv_fields(c, v, k == 0 ? num_fields : range_fields, w2);
        {
            char pw[320];

            pv_path(pw, sizeof(pw), w2, "protocol");
            g = read_v1_protocol(a, ynode_get(v, "protocol"), pw);
        }
        if (k == 0) {
            if (read_port_num(a, v, "port", w2, &lo) != 0 || g < 0)
                continue;
            hi = lo;
        } else {
            if (read_port_num(a, v, "start", w2, &lo) != 0 ||
                read_port_num(a, v, "end", w2, &hi) != 0 || g < 0)
                continue;
            if (lo > hi) {
                if (!done && !ap->fail) {
                    ap->fail = "a port range whose start is past its end";
                    pv_warn(c, v,
                            "'%s': start %ld is past end %ld; the API server admits it, but "
                            "Calico cannot convert the rule",
                            w2, lo, hi);
                }
                continue;
            }
        }
        if (done || ap->fail)
            continue;
        pm.lo = (uint16_t)lo;
        pm.hi = (uint16_t)hi;
        group_add(&ap->g[g], &pm);
    }
    return c->errors == errs ? 0 : -1;
}

/* Calico's numorstring nameRegex for a named port. */
static int calico_port_name(const char *s)
{
    size_t len = strlen(s);

    return len >= 1 && len <= 128 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

/*
 * v1alpha2 protocols[] as unpackCNPProtocols reads it: tcp / udp / sctp
 * with a destinationPort (number, or range with start < end by CEL) add to
 * their group; destinationNamedPort adds a named port with no protocol (so
 * it matches under whatever protocol the destination declared, §3.2); an
 * empty destinationNamedPort is neither and makes the list "everything".
 */
static int read_v2_protocols(struct adm *a, const struct ynode *seq, const char *what,
                             struct adm_ports *ap)
{
    static const char *const keys[] = {"tcp", "udp", "sctp", "destinationNamedPort", NULL};
    static const char *const proto_fields[] = {"destinationPort", NULL};
    static const char *const port_keys[] = {"number", "range", NULL};
    static const char *const range_fields[] = {"start", "end", NULL};
    static const int groups[] = {AG_TCP, AG_UDP, AG_SCTP};
    struct pol_ctx *c = a->c;
    unsigned errs = c->errors;
    int done = 0;

    for (size_t i = 0; i < seq->u.seq.n; i++) {
        const struct ynode *v = NULL, *dp, *pv;
        struct port_match pm;
        char w[256], w2[288], w3[320];
        int k, pk;
        long lo = 0, hi = 0;

        k = read_entry(a, seq, i, what, keys, w, sizeof(w), w2, sizeof(w2), &v);
        if (k < 0)
            continue;
        memset(&pm, 0, sizeof(pm));
        if (k == 3) {
            const char *name = NULL;

            if (pv_str(c, v, w2, &name) != 0)
                continue;
            if (done || ap->fail)
                continue;
            if (!*name) {
                pv_warn(c, v, "'%s' is empty: Calico then matches every protocol and port", w2);
                ports_all(ap);
                done = 1;
                continue;
            }
            if (!calico_port_name(name)) {
                ap->fail = "a named port Calico refuses";
                pv_warn(c, v,
                        "'%s': '%s' is not a port name Calico accepts (1-128 of [A-Za-z0-9_.-]), "
                        "so it cannot convert the rule",
                        w2, name);
                continue;
            }
            pm.name = arena_strdup(c->a, name);
            group_add(&ap->g[AG_NONE], &pm);
            continue;
        }
        if (pv_map(c, v, w2) != 0)
            continue;
        pv_fields(c, v, proto_fields, w2);
        dp = ynode_get(v, "destinationPort");
        pv_path(w3, sizeof(w3), w2, "destinationPort");
        if (ynode_is_null(dp)) {
            pv_err(c, v, "'%s' must set destinationPort", w2);
            continue;
        }
        if (pv_map(c, dp, w3) != 0)
            continue;
        pv_fields(c, dp, port_keys, w3);
        pk = one_of(c, dp, port_keys, w3);
        if (pk < 0)
            continue;
        if (pk == 0) {
            if (read_port_num(a, dp, "number", w3, &lo) != 0)
                continue;
            hi = lo;
        } else {
            char w4[352];

            pv = ynode_get(dp, "range");
            pv_path(w4, sizeof(w4), w3, "range");
            if (pv_map(c, pv, w4) != 0)
                continue;
            pv_fields(c, pv, range_fields, w4);
            if (read_port_num(a, pv, "start", w4, &lo) != 0 ||
                read_port_num(a, pv, "end", w4, &hi) != 0)
                continue;
            if (lo >= hi) {
                pv_err(c, pv, "'%s': start port must be less than end port", w4);
                continue;
            }
        }
        if (done || ap->fail)
            continue;
        pm.lo = (uint16_t)lo;
        pm.hi = (uint16_t)hi;
        group_add(&ap->g[groups[k]], &pm);
    }
    return c->errors == errs ? 0 : -1;
}

/* --- rules ------------------------------------------------------------------------ */

/* The rules of one direction, built as they are converted (malloc'd). */
struct adm_rules {
    struct v3_rule *v;
    size_t n, alloc;
    size_t as_written; /* rules as written (for the v3.29 types) */
};

static struct v3_rule *new_rule(struct adm *a, struct adm_rules *out, const struct ynode *n,
                                enum rule_action act, const char *name, size_t index)
{
    struct v3_rule *r;

    if (out->n >= LIM_RULES_PER_POLICY) {
        pv_err(a->c, n, "the rules expand to more than %d Calico rules", LIM_RULES_PER_POLICY);
        return NULL;
    }
    ALLOC_GROW(out->v, out->n + 1, out->alloc);
    r = &out->v[out->n++];
    memset(r, 0, sizeof(*r));
    r->action = act;
    r->proto = r->notproto = -1;
    r->icmp.type = r->icmp.code = r->noticmp.type = r->noticmp.code = -1;
    r->name = name;
    r->src_rule1 = (int)index + 1;
    r->n_self = n;
    r->line = n->line;
    r->col = n->col;
    return r;
}

/* The action of a rule: ANP Allow|Deny|Pass, BANP Allow|Deny, CNP
 * Accept|Deny|Pass (Accept is Calico's Allow).  -1 after reporting. */
static int read_action(struct adm *a, const struct ynode *rule, const char *what,
                       enum rule_action *out)
{
    const struct ynode *n = ynode_get(rule, "action");
    const char *s = NULL;
    char w[192];

    pv_path(w, sizeof(w), what, "action");
    if (ynode_is_null(n)) {
        pv_err(a->c, rule, "'%s' is required", w);
        return -1;
    }
    if (pv_str(a->c, n, w, &s) != 0)
        return -1;
    if (strcmp(s, a->v2 ? "Accept" : "Allow") == 0)
        *out = ACT_ALLOW;
    else if (strcmp(s, "Deny") == 0)
        *out = ACT_DENY;
    else if (strcmp(s, "Pass") == 0 && a->kind != POL_BANP)
        *out = ACT_PASS;
    else {
        pv_err(a->c, n, "invalid action '%s' in '%s': use %s", s, w,
               a->v2                 ? "Accept, Deny or Pass"
               : a->kind == POL_BANP ? "Allow or Deny"
                                     : "Allow, Deny or Pass");
        return -1;
    }
    return 0;
}

/*
 * One rule as written at index i: validated, then expanded as
 * combinePortsWith{ANP,CNP}{Ingress,Egress}Peers do it (for each protocol
 * group in sorted order, for each peer in order: one Calico rule with the
 * group's protocol and simplified ports on the destination, and the peer on
 * the source (ingress) or the destination (egress)), or failed closed.
 */
static void read_rule(struct adm *a, const struct ynode *n, const char *what, size_t index,
                      int egress, struct adm_rules *out)
{
    static const char *const in_v1[] = {"name", "action", "from", "ports", NULL};
    static const char *const out_v1[] = {"name", "action", "to", "ports", NULL};
    static const char *const in_v2[] = {"name", "action", "from", "protocols", NULL};
    static const char *const out_v2[] = {"name", "action", "to", "protocols", NULL};
    struct pol_ctx *c = a->c;
    const char *peers_key = egress ? "to" : "from";
    const char *ports_key = a->v2 ? "protocols" : "ports";
    const struct ynode *peers_n = NULL, *ports_n = NULL, *nn;
    struct adm_peer *peers = NULL;
    struct adm_ports ap;
    const char *name = NULL, *fail = NULL;
    enum rule_action act = ACT_DENY;
    unsigned errs = c->errors;
    char w[192];

    memset(&ap, 0, sizeof(ap));
    if (pv_map(c, n, what) != 0)
        return;
    pv_fields(c, n, a->v2 ? (egress ? out_v2 : in_v2) : (egress ? out_v1 : in_v1), what);
    nn = ynode_get(n, "name");
    pv_path(w, sizeof(w), what, "name");
    if (pv_str(c, nn, w, &name) == 0 && name) {
        if (strlen(name) > ADM_NAME_LEN)
            pv_err(c, nn, "'%s' is longer than %d characters", w, ADM_NAME_LEN);
        if (!*name)
            name = NULL; /* k8sAdminNetworkPolicyToCalicoMetadata: no annotation */
    }
    (void)read_action(a, n, what, &act);

    snprintf(w, sizeof(w), "%s.%s", what, peers_key);
    if (ynode_is_null(ynode_get(n, peers_key)))
        pv_err(c, n, "'%s' is required", w);
    else if (read_seq(c, ynode_get(n, peers_key), w, 1, a->v2 ? ADM_PEERS_V2 : ADM_PEERS_V1,
                      &peers_n) == 0 &&
             peers_n) {
        peers = arena_calloc(c->a, peers_n->u.seq.n, sizeof(*peers));
        for (size_t i = 0; i < peers_n->u.seq.n; i++) {
            char pw[224];

            pv_index(pw, sizeof(pw), w, i);
            if (read_peer(a, peers_n->u.seq.items[i], pw, egress, &peers[i]) == 0 &&
                peers[i].fail && !fail)
                fail = peers[i].fail;
        }
    }

    pv_path(w, sizeof(w), what, ports_key);
    if (read_seq(c, ynode_get(n, ports_key), w, a->v2 ? 1 : 0, a->v2 ? ADM_PORTS_V2 : ADM_PORTS_V1,
                 &ports_n) == 0 &&
        ports_n && ports_n->u.seq.n) {
        if (a->v2)
            (void)read_v2_protocols(a, ports_n, w, &ap);
        else
            (void)read_v1_ports(a, ports_n, w, &ap);
    } else {
        /* "If there are no ports, represent that as zero struct": every
         * protocol and port. */
        ports_all(&ap);
    }

    /* The experimental channel's CEL on egress rules (v1alpha1 as Calico
     * ships it): no namedPort beside a networks or nodes peer.  The
     * standard v1alpha2 CRD Calico ships has no such rule. */
    if (!a->v2 && egress && peers_n && ports_n && c->errors == errs) {
        int has_named = 0, has_net = 0;

        for (size_t i = 0; i < ports_n->u.seq.n; i++)
            has_named |= !ynode_is_null(ynode_get(ports_n->u.seq.items[i], "namedPort"));
        for (size_t i = 0; i < peers_n->u.seq.n; i++)
            has_net |= !ynode_is_null(ynode_get(peers_n->u.seq.items[i], "networks")) ||
                       !ynode_is_null(ynode_get(peers_n->u.seq.items[i], "nodes"));
        if (has_named && has_net)
            pv_err(c, n,
                   "'%s': networks/nodes peer cannot be set with namedPorts since there are "
                   "no namedPorts for networks/nodes",
                   what);
    }
    if (!fail)
        fail = ap.fail;
    if (c->errors != errs)
        goto out;
    out->as_written++;

    if (fail) {
        /* k8sANPHandleFailedRules / k8sBANPHandleFailedRules /
         * k8sClusterNetPolHandleFailedRules. */
        if (act == ACT_ALLOW) {
            pv_warn(c, n,
                    "'%s'%s%s%s: Calico cannot convert this rule (%s) and, as it is an %s rule, "
                    "drops it",
                    what, name ? " ('" : "", name ? name : "", name ? "')" : "", fail,
                    a->v2 ? "Accept" : "Allow");
        } else {
            struct v3_rule *r = new_rule(a, out, n, ACT_DENY, name, index);

            if (r)
                r->fail_closed = 1;
            pv_warn(c, n,
                    "'%s'%s%s%s: Calico cannot convert this rule (%s) and, as it is a %s rule, "
                    "replaces it with a rule that denies everything",
                    what, name ? " ('" : "", name ? name : "", name ? "')" : "", fail,
                    rule_action_name(act));
        }
        goto out;
    }

    for (size_t g = 0; g < AG_N; g++) {
        struct port_match *ports = NULL;
        size_t np = 0;

        if (!ap.g[g].present)
            continue;
        if (!ap.g[g].all && ap.g[g].n) {
            np = ap.g[g].n;
            pk_simplify_ports(ap.g[g].ports, &np);
            ports = arena_calloc(c->a, np, sizeof(*ports));
            memcpy(ports, ap.g[g].ports, np * sizeof(*ports));
        }
        for (size_t p = 0; p < peers_n->u.seq.n; p++) {
            struct v3_rule *r = new_rule(a, out, n, act, name, index);
            struct v3_entity *pe;

            if (!r)
                goto out;
            r->proto = ag_proto[g];
            pe = egress ? &r->dst : &r->src;
            pe->n_self = peers_n->u.seq.items[p];
            r->dst.n_self = pe->n_self;
            pe->selector = peers[p].selector;
            pe->nsselector =
                peers[p].nsselector && *peers[p].nsselector ? peers[p].nsselector : NULL;
            pe->nets = peers[p].nets;
            pe->nnets = peers[p].nnets;
            r->dst.ports = ports;
            r->dst.nports = np;
        }
    }
out:
    ports_release(&ap);
}

static void read_rules(struct adm *a, const struct ynode *seq, const char *what, int egress,
                       struct v3_rule **out, size_t *n, size_t *as_written)
{
    struct adm_rules rs;
    const struct ynode *s;

    memset(&rs, 0, sizeof(rs));
    *out = NULL;
    *n = 0;
    *as_written = 0;
    if (read_seq(a->c, seq, what, 0, a->v2 ? ADM_RULES_V2 : ADM_RULES_V1, &s) != 0 || !s)
        return;
    for (size_t i = 0; i < s->u.seq.n; i++) {
        char w[96];

        pv_index(w, sizeof(w), what, i);
        read_rule(a, s->u.seq.items[i], w, i, egress, &rs);
    }
    if (rs.n) {
        *out = arena_calloc(a->c->a, rs.n, sizeof(**out));
        memcpy(*out, rs.v, rs.n * sizeof(**out));
        *n = rs.n;
    }
    *as_written = rs.as_written;
    free(rs.v);
}

/* --- the object ------------------------------------------------------------------- */

/* spec.subject: exactly one of namespaces (then the pod selector is just
 * the orchestrator clause, "to exclude heps") and pods. */
static int read_subject(struct adm *a, const struct ynode *spec, struct v3_policy *vp)
{
    static const char *const keys[] = {"namespaces", "pods", NULL};
    struct pol_ctx *c = a->c;
    const struct ynode *n = ynode_get(spec, "subject"), *v;
    const char *sel = NULL, *nssel = NULL;
    int k;

    if (ynode_is_null(n)) {
        pv_err(c, spec ? spec : n, "'spec.subject' is required");
        return -1;
    }
    if (pv_map(c, n, "spec.subject") != 0)
        return -1;
    pv_fields(c, n, keys, "spec.subject");
    k = one_of(c, n, keys, "spec.subject");
    if (k < 0)
        return -1;
    v = ynode_get(n, keys[k]);
    if (k == 0) {
        if (pv_map(c, v, "spec.subject.namespaces") != 0)
            return -1;
        nssel = pk_selector(c, v, "spec.subject.namespaces", PK_SEL_CRD);
        sel = pk_selector(c, NULL, "spec.subject", PK_SEL_POD);
    } else if (read_namespaced_pod(a, v, "spec.subject.pods", &sel, &nssel) != 0) {
        return -1;
    }
    if (!sel || !nssel)
        return -1;
    vp->selector = *sel ? sel : NULL;
    vp->ns_selector = *nssel ? nssel : NULL;
    return 0;
}

void pa_read_object(struct pol_ctx *c, const struct ynode *doc, enum pol_kind kind)
{
    static const char *const anp_fields[] = {"priority", "subject", "ingress", "egress", NULL};
    static const char *const banp_fields[] = {"subject", "ingress", "egress", NULL};
    static const char *const cnp_fields[] = {"tier",    "priority", "subject",
                                             "ingress", "egress",   NULL};
    struct adm a;
    struct v3_policy vp;
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec"), *n;
    const char *ns = NULL;
    size_t win = 0, weg = 0;
    unsigned errs = c->errors;

    memset(&a, 0, sizeof(a));
    a.c = c;
    a.kind = kind;
    a.v2 = kind == POL_CNP;
    memset(&vp, 0, sizeof(vp));
    vp.kind = kind;
    vp.line = doc->line;
    vp.col = doc->col;
    vp.n_self = doc;
    vp.priority = -1;
    if (pv_meta(c, doc, 0, &vp.name, &ns, &meta) != 0)
        return;
    if (vp.name && !pv_is_dns_subdomain(vp.name))
        pv_err(c, ynode_get(meta, "name"),
               "invalid %s name '%s': it must be a DNS subdomain (a-z, 0-9, '-' and '.', at "
               "most 253 characters)",
               kind_res(&a), vp.name);
    /* The CEL rule on BaselineAdminNetworkPolicy: a singleton. */
    if (kind == POL_BANP && vp.name && strcmp(vp.name, "default") != 0)
        pv_err(c, ynode_get(meta, "name"),
               "only one baseline admin network policy with metadata.name=\"default\" can be "
               "created in the cluster (this one is '%s')",
               vp.name);
    pv_meta_labels(c, meta);
    if (ynode_is_null(spec)) {
        pv_err(c, doc, "'spec' is required");
        return;
    }
    if (pv_map(c, spec, "spec") != 0)
        return;
    pv_fields(c, spec,
              kind == POL_ANP    ? anp_fields
              : kind == POL_BANP ? banp_fields
                                 : cnp_fields,
              "spec");

    if (kind == POL_CNP) {
        const char *t = NULL;

        n = ynode_get(spec, "tier");
        if (ynode_is_null(n))
            pv_err(c, spec, "'spec.tier' is required (Admin or Baseline)");
        else if (pv_str(c, n, "spec.tier", &t) == 0) {
            /* clusterNetworkPolicyTier (names.KubeAdminTierName, ...). */
            if (strcmp(t, "Admin") == 0)
                vp.tier = "kube-admin";
            else if (strcmp(t, "Baseline") == 0)
                vp.tier = "kube-baseline";
            else
                pv_err(c, n, "invalid tier '%s' in 'spec.tier': use Admin or Baseline", t);
        }
    } else {
        vp.tier = kind == POL_ANP ? "adminnetworkpolicy" : "baselineadminnetworkpolicy";
    }
    if (kind != POL_BANP) {
        long prio = 0;

        n = ynode_get(spec, "priority");
        if (ynode_is_null(n))
            pv_err(c, spec, "'spec.priority' is required (0 to %d)", ADM_PRIORITY_HI);
        else if (pv_int(c, n, "spec.priority", 0, ADM_PRIORITY_HI, &prio) == 0)
            vp.priority = (int)prio;
        vp.order = (double)prio;
    } else {
        /* K8sBaselineAdminNetworkPolicyToCalico: order := float64(1000). */
        vp.order = 1000.0;
    }
    vp.has_order = 1;
    (void)read_subject(&a, spec, &vp);
    read_rules(&a, ynode_get(spec, "ingress"), "spec.ingress", 0, &vp.ingress, &vp.ningress, &win);
    read_rules(&a, ynode_get(spec, "egress"), "spec.egress", 1, &vp.egress, &vp.negress, &weg);
    if (c->errors != errs)
        return;

    /* calculateANPPolicyTypes / clusterNetPolicyTypes: a direction is
     * governed only when it has a converted rule ("The ANP Tiers are
     * default-Pass so the only reason to enable a policy type is if we have
     * rules").  No type at all reaches Felix as "both" (policy_sorter.go:
     * "Back compatibility: no Types means Ingress and Egress").  v3.29 took
     * the types from the rules as written instead. */
    vp.types = (vp.ningress ? DIR_INGRESS : 0) | (vp.negress ? DIR_EGRESS : 0);
    if (!vp.types)
        vp.types = DIR_INGRESS | DIR_EGRESS;
    vp.types_v329 = (win ? DIR_INGRESS : 0) | (weg ? DIR_EGRESS : 0);
    if (!vp.types_v329)
        vp.types_v329 = DIR_INGRESS | DIR_EGRESS;
    vp.types_given = 1;
    pm_add_policy(c, &vp);
}

/* --- the Calico version ------------------------------------------------------------- */

int calico_version_parse(const char *s)
{
    uint64_t major, minor;
    size_t i = 0, j;

    if (s[i] == 'v')
        i++;
    j = i + strspn(s + i, "0123456789");
    if (j == i || s[j] != '.' || parse_u64(s + i, j - i, 0, 99, &major) != 0 || major != 3)
        return 0;
    i = j + 1;
    j = i + strspn(s + i, "0123456789");
    if (j == i || parse_u64(s + i, j - i, 0, 99, &minor) != 0)
        return 0;
    return 300 + (int)minor;
}

void pa_read_cluster_info(struct pol_ctx *c, const struct ynode *doc)
{
    const struct ynode *n = ynode_get(ynode_get(doc, "spec"), "calicoVersion");
    const char *s = NULL;
    int v;

    if (pv_str(c, n, "spec.calicoVersion", &s) != 0 || !s || !*s)
        return;
    v = calico_version_parse(s);
    if (!v) {
        pv_warn(c, n,
                "calicoVersion '%s' is not a Calico 3.x version; each admin policy kind is "
                "judged as the Calico versions that enforce it",
                s);
        return;
    }
    if (c->cluster_calico && c->cluster_calico != v) {
        pv_warn(c, n,
                "calicoVersion '%s' differs from v3.%d given by the ClusterInformation at "
                "%s:%u; the first is used",
                s, c->cluster_calico % 100, c->cluster_calico_file, c->cluster_calico_line);
        return;
    }
    c->cluster_calico = v;
    c->cluster_calico_file = c->file;
    c->cluster_calico_line = doc->line;
}

/* The Calico versions that enforce kind k, for messages. */
static const char *enforced_by(enum pol_kind k)
{
    if (k == POL_ANP)
        return "Calico v3.29 to v3.31";
    if (k == POL_BANP)
        return "Calico v3.30 and v3.31";
    if (k == POL_CNP)
        return "Calico v3.32 and later";
    return "every Calico version";
}

/* Admin policies by kind, tier, priority, name: ties become neighbours. */
static int tie_cmp(const void *a, const void *b)
{
    const struct policy *const *x = a;
    const struct policy *const *y = b;
    int r;

    if ((*x)->kind != (*y)->kind)
        return (*x)->kind < (*y)->kind ? -1 : 1;
    r = strcmp((*x)->tier, (*y)->tier);
    if (r)
        return r;
    if ((*x)->priority != (*y)->priority)
        return (*x)->priority < (*y)->priority ? -1 : 1;
    return strcmp((*x)->name, (*y)->name);
}

void pa_settle_version(struct pol_ctx *c, int requested)
{
    int v = requested ? requested : c->cluster_calico;

    if (requested && c->cluster_calico && requested != c->cluster_calico)
        diag_at(c->d, DIAG_WARNING, c->cluster_calico_file, c->cluster_calico_line, 0,
                "the cluster's ClusterInformation says Calico v3.%d; judged as v3.%d, as asked",
                c->cluster_calico % 100, requested % 100);
    size_t out = 0;
    int has_v1 = 0, has_v2 = 0;

    c->ps->calico = v;
    for (size_t i = 0; i < c->npols; i++) {
        struct policy *p = &c->pols[i];

        if (!calico_enforces(v, p->kind)) {
            diag_at(c->d, DIAG_WARNING, p->file, p->line, 0,
                    "%s '%s' is not enforced by Calico v3.%d (only by %s); ignored",
                    pol_kind_resource(p->kind), p->name, v % 100, enforced_by(p->kind));
            continue;
        }
        has_v1 |= p->kind == POL_ANP || p->kind == POL_BANP;
        has_v2 |= p->kind == POL_CNP;
        /* §15.3: v3.29 took an ANP's types from its rules as written. */
        if (v == 329 && p->kind == POL_ANP)
            p->types = p->types_v329;
        c->pols[out++] = *p;
    }
    c->npols = out;
    if (v == CALICO_AUTO && has_v1 && has_v2)
        diag_warn(c->d,
                  "the policies mix AdminNetworkPolicy/BaselineAdminNetworkPolicy (enforced "
                  "only by Calico v3.29 to v3.31) with ClusterNetworkPolicy (only by v3.32 and "
                  "later): no Calico version enforces both; each is judged as the versions "
                  "that enforce it.  Give the cluster's version (a ClusterInformation object "
                  "in -p) to judge them as that cluster does");

    /* Equal priorities (§15.2, §16): the API leaves the order undefined;
     * say which one Calico evaluates first.  Sorted so that ties are
     * neighbours. */
    {
        struct policy **v_adm = xcalloc(c->npols ? c->npols : 1, sizeof(*v_adm));
        size_t n = 0;

        for (size_t i = 0; i < c->npols; i++)
            if (c->pols[i].kind == POL_ANP || c->pols[i].kind == POL_CNP)
                v_adm[n++] = &c->pols[i];
        if (n > 1)
            qsort(v_adm, n, sizeof(*v_adm), tie_cmp);
        for (size_t i = 1; i < n; i++) {
            const struct policy *x = v_adm[i - 1], *y = v_adm[i];

            if (y->kind != x->kind || strcmp(y->tier, x->tier) != 0 || y->priority != x->priority)
                continue;
            diag_at(c->d, DIAG_WARNING, y->file, y->line, 0,
                    "%ss '%s' and '%s'%s%s have the same priority %d: the API leaves their "
                    "order undefined; Calico %s evaluates '%s' first (ties go by name)",
                    pol_kind_resource(x->kind), x->name, y->name,
                    x->kind == POL_CNP ? " in tier " : "", x->kind == POL_CNP ? x->tier : "",
                    x->priority, x->kind == POL_CNP ? "v3.32" : "v3.29-v3.31",
                    policy_cmp_calico(x, y, v) <= 0 ? x->name : y->name);
        }
        free(v_adm);
    }
}
