/*
 * pol_k8s.c: Kubernetes NetworkPolicy (networking.k8s.io/v1) and the spec
 * of Calico's StagedKubernetesNetworkPolicy, validated as the API server
 * does (pkg/apis/networking/validation) and converted into a v3
 * NetworkPolicy exactly as Calico converts it (libcalico-go/lib/backend/
 * k8s/conversion/conversion.go K8sNetworkPolicyToCalico, k8sRuleToCalico,
 * k8sSelectorToCalico, k8sPeerToCalicoFields, k8sPortToCalico,
 * SimplifyPorts; docs/semantics.md §7).
 *
 * Where the two disagree we follow Calico and warn (DESIGN.md): a port
 * given as text that is not a valid Kubernetes port name is read the way
 * Calico's PortFromString reads it ("80", "80:90"), and a rule whose port
 * text Calico cannot read at all is dropped whole, with a warning, the rest
 * of the policy still applying (for a StagedKubernetesNetworkPolicy Calico's
 * validator runs the conversion, so there it is an error).  Typed fields the
 * API server checks (numeric port and endPort ranges, protocol, peers,
 * ipBlock CIDRs, label selectors) are errors.
 */
#include "analyze/policy/pol_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ipaddr.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* --- label selectors ---------------------------------------------------------- */

static int str_cmp(const void *a, const void *b)
{
    const char *const *x = a;
    const char *const *y = b;

    return strcmp(*x, *y);
}

/*
 * k8sSelectorToCalico over a metav1.LabelSelector written at n (validated
 * on the way, ValidateLabelSelector).  PK_SEL_POD: the pod form, which
 * always starts with the orchestrator clause; otherwise the namespace form,
 * where an absent selector is "" and an empty one "all()".  PK_SEL_CRD: a
 * selector inside a custom resource, whose schema checks only that each
 * matchExpression has a key and an operator; Calico then converts what it
 * can (its switch on the operator has no default, so an unknown operator
 * drops the term; In with no values becomes "in { '' }"), and so do we,
 * with a warning (§15.2).  Returns arena text, or NULL after an error.
 */
const char *pk_selector(struct pol_ctx *c, const struct ynode *n, const char *what, unsigned flags)
{
    int pod = (flags & PK_SEL_POD) != 0, crd = (flags & PK_SEL_CRD) != 0;
    static const char *const fields[] = {"matchLabels", "matchExpressions", NULL};
    static const char *const expr_fields[] = {"key", "operator", "values", NULL};
    const struct ynode *ml, *me;
    struct buf b;
    const char *out;
    unsigned errs = c->errors;
    char w[128];

    buf_init(&b, 0);
    if (pod && buf_addstr(&b, "projectcalico.org/orchestrator == 'k8s'") != 0)
        goto out_long;
    if (pv_map(c, n, what) != 0) {
        /* nil selector */
        out = arena_strdup(c->a, b.data);
        buf_release(&b);
        return c->errors == errs ? out : NULL;
    }
    pv_fields(c, n, fields, what);
    ml = ynode_get(n, "matchLabels");
    me = ynode_get(n, "matchExpressions");
    pv_path(w, sizeof(w), what, "matchLabels");
    if (pv_map(c, ml, w) == 0 && ml->u.map.n) {
        const char **keys = xcalloc(ml->u.map.n, sizeof(*keys));

        for (size_t i = 0; i < ml->u.map.n; i++)
            keys[i] = ml->u.map.pairs[i].key->u.scalar.s;
        qsort(keys, ml->u.map.n, sizeof(*keys), str_cmp);
        for (size_t i = 0; i < ml->u.map.n; i++) {
            const struct ynode *kn = NULL, *vn;
            const char *v = NULL;

            for (size_t j = 0; j < ml->u.map.n; j++)
                if (ml->u.map.pairs[j].key->u.scalar.s == keys[i])
                    kn = ml->u.map.pairs[j].key;
            vn = ynode_get(ml, keys[i]);
            if (!pv_is_qualified_name(keys[i]))
                pv_err(c, kn,
                       "invalid label key '%s' in '%s': it must be a qualified name "
                       "([prefix/]name, name at most 63 characters of [A-Za-z0-9_.-])",
                       keys[i], w);
            if (pv_str(c, vn, w, &v) != 0)
                continue;
            if (!v)
                v = "";
            if (!pv_is_label_value(v))
                pv_err(c, vn, "invalid label value '%s' in '%s'", v, w);
            if (buf_addf(&b, "%s%s == '%s'", b.len ? " && " : "", keys[i], v) != 0) {
                free(keys);
                goto out_long;
            }
        }
        free(keys);
    }
    pv_path(w, sizeof(w), what, "matchExpressions");
    if (pv_seq(c, me, w) == 0) {
        for (size_t i = 0; i < me->u.seq.n; i++) {
            const struct ynode *e = me->u.seq.items[i], *vals;
            const char *key = NULL, *op = NULL;
            size_t nvals = 0;

            if (pv_map(c, e, w) != 0)
                continue;
            pv_fields(c, e, expr_fields, w);
            /* An absent key or operator (pv_str returns 1) is reported
             * below, not skipped. */
            if (pv_str(c, ynode_get(e, "key"), w, &key) < 0 ||
                pv_str(c, ynode_get(e, "operator"), w, &op) < 0)
                continue;
            if (!key || !pv_is_qualified_name(key)) {
                pv_err(c, ynode_get(e, "key") ? ynode_get(e, "key") : e,
                       "invalid or missing label key '%s' in '%s'", key ? key : "", w);
                continue;
            }
            vals = ynode_get(e, "values");
            if (pv_seq(c, vals, w) == 0)
                nvals = vals->u.seq.n;
            if (crd && !op) {
                pv_err(c, e, "'%s.operator' is required", w);
                continue;
            }
            if (!op || (strcmp(op, "In") != 0 && strcmp(op, "NotIn") != 0 &&
                        strcmp(op, "Exists") != 0 && strcmp(op, "DoesNotExist") != 0)) {
                if (crd) {
                    pv_warn(c, ynode_get(e, "operator"),
                            "'%s' is not a selector operator (In, NotIn, Exists, "
                            "DoesNotExist): the API server admits it here, and Calico drops "
                            "this term, so the selector matches more",
                            op);
                    continue;
                }
                pv_err(c, ynode_get(e, "operator") ? ynode_get(e, "operator") : e,
                       "'%s' is not a valid selector operator (In, NotIn, Exists, DoesNotExist)",
                       op ? op : "");
                continue;
            }
            if ((strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) && nvals == 0) {
                if (!crd) {
                    pv_err(c, e, "values must be given when operator is '%s'", op);
                    continue;
                }
                pv_warn(c, e,
                        "operator '%s' without values: Calico converts it to \"%s %s { '' }\"", op,
                        key, strcmp(op, "In") == 0 ? "in" : "not in");
            }
            if ((strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) && nvals) {
                if (!crd) {
                    pv_err(c, vals, "values may not be given when operator is '%s'", op);
                    continue;
                }
                pv_warn(c, vals, "values are ignored when operator is '%s'", op);
            }
            if (b.len && buf_addstr(&b, " && ") != 0)
                goto out_long;
            if (strcmp(op, "Exists") == 0) {
                if (buf_addf(&b, "has(%s)", key) != 0)
                    goto out_long;
                continue;
            }
            if (strcmp(op, "DoesNotExist") == 0) {
                if (buf_addf(&b, "! has(%s)", key) != 0)
                    goto out_long;
                continue;
            }
            if (buf_addf(&b, "%s %s { '", key, strcmp(op, "In") == 0 ? "in" : "not in") != 0)
                goto out_long;
            for (size_t j = 0; j < nvals; j++) {
                const char *v = NULL;

                if (pv_str(c, vals->u.seq.items[j], w, &v) != 0)
                    continue;
                if (!v)
                    v = "";
                if (!pv_is_label_value(v))
                    pv_err(c, vals->u.seq.items[j], "invalid label value '%s' in '%s'", v, w);
                if (buf_addf(&b, "%s%s", j ? "', '" : "", v) != 0)
                    goto out_long;
            }
            if (buf_addstr(&b, "' }") != 0)
                goto out_long;
        }
    }
    /* A namespace selector present but with nothing written in it selects
     * every namespace ("all()").  Calico tests what was written, not the
     * terms it kept: a selector whose only term it dropped is "", no
     * namespace constraint at all (§15.2). */
    if (!pod && (!ml || ml->kind != YNODE_MAP || !ml->u.map.n) &&
        (!me || me->kind != YNODE_SEQ || !me->u.seq.n) && buf_addstr(&b, "all()") != 0)
        goto out_long;
    out = arena_strdup(c->a, b.data);
    buf_release(&b);
    return c->errors == errs ? out : NULL;
out_long:
    buf_release(&b);
    pv_err(c, n, "selector '%s' is too long", what);
    return NULL;
}

/* --- peers and ports ----------------------------------------------------------- */

/* A peer as k8sPeerToCalicoFields gives it. */
struct k8s_peer {
    const char *selector;   /* "" when none */
    const char *nsselector; /* "" when none */
    struct cidr *nets;
    size_t nnets;
    struct cidr *notnets;
    size_t nnotnets;
};

/* ValidateIPBlock: cidr required and a CIDR; each except a CIDR strictly
 * inside it.  Calico masks host bits (cnet.ParseCIDR then String()). */
static int read_ipblock(struct pol_ctx *c, const struct ynode *n, const char *what,
                        struct k8s_peer *p)
{
    static const char *const fields[] = {"cidr", "except", NULL};
    const char *s = NULL;
    const struct ynode *ex;
    struct cidr base;
    unsigned errs = c->errors;
    char w[128];

    pv_fields(c, n, fields, what);
    pv_path(w, sizeof(w), what, "cidr");
    if (pv_str(c, ynode_get(n, "cidr"), w, &s) != 0)
        return -1;
    if (!s || !*s) {
        pv_err(c, n, "'%s' is required", w);
        return -1;
    }
    if (!strchr(s, '/') || cidr_parse(s, strlen(s), &base, NULL) != 0) {
        pv_err(c, ynode_get(n, "cidr"), "invalid CIDR '%s' in '%s'", s, w);
        return -1;
    }
    p->nets = arena_calloc(c->a, 1, sizeof(*p->nets));
    p->nets[0] = base;
    p->nnets = 1;
    ex = ynode_get(n, "except");
    pv_path(w, sizeof(w), what, "except");
    if (pv_seq(c, ex, w) == 0) {
        p->notnets = arena_calloc(c->a, ex->u.seq.n ? ex->u.seq.n : 1, sizeof(*p->notnets));
        for (size_t i = 0; i < ex->u.seq.n; i++) {
            const struct ynode *it = ex->u.seq.items[i];
            struct cidr e;

            if (pv_str(c, it, w, &s) != 0)
                continue;
            if (!s || !strchr(s, '/') || cidr_parse(s, strlen(s), &e, NULL) != 0) {
                pv_err(c, it, "invalid CIDR '%s' in '%s'", s ? s : "", w);
                continue;
            }
            if (e.addr.family != base.addr.family || e.plen <= base.plen ||
                !cidr_contains(&base, &e.addr)) {
                pv_err(c, it, "'%s' in '%s' must be a strict subset of the ipBlock cidr", s, w);
                continue;
            }
            p->notnets[p->nnotnets++] = e;
        }
    }
    return c->errors == errs ? 0 : -1;
}

/* ValidateNetworkPolicyPeer and k8sPeerToCalicoFields. */
static int read_peer(struct pol_ctx *c, const struct ynode *n, const char *what, struct k8s_peer *p)
{
    static const char *const fields[] = {"podSelector", "namespaceSelector", "ipBlock", NULL};
    const struct ynode *ps, *nss, *ipb;
    int npeer = 0;
    char w[128];

    memset(p, 0, sizeof(*p));
    p->selector = "";
    p->nsselector = "";
    switch (pv_map(c, n, what)) {
    case -1:
        return -1;
    case 1:
        pv_err(c, n, "'%s' must specify a peer (podSelector, namespaceSelector or ipBlock)", what);
        return -1;
    default:
        break;
    }
    pv_fields(c, n, fields, what);
    ps = ynode_get(n, "podSelector");
    nss = ynode_get(n, "namespaceSelector");
    ipb = ynode_get(n, "ipBlock");
    npeer = !ynode_is_null(ps) + !ynode_is_null(nss) + !ynode_is_null(ipb);
    if (npeer == 0) {
        pv_err(c, n, "'%s' must specify a peer (podSelector, namespaceSelector or ipBlock)", what);
        return -1;
    }
    if (npeer > 1 && !ynode_is_null(ipb)) {
        pv_err(c, n, "'%s' may not specify both ipBlock and another peer", what);
        return -1;
    }
    if (!ynode_is_null(ipb)) {
        pv_path(w, sizeof(w), what, "ipBlock");
        if (pv_map(c, ipb, w) != 0)
            return -1;
        return read_ipblock(c, ipb, w, p);
    }
    pv_path(w, sizeof(w), what, "podSelector");
    p->selector = pk_selector(c, ps, w, PK_SEL_POD);
    pv_path(w, sizeof(w), what, "namespaceSelector");
    p->nsselector = pk_selector(c, nss, w, 0);
    return p->selector && p->nsselector ? 0 : -1;
}

/*
 * Calico's numorstring.PortFromString: digits (a uint16), digits:digits
 * (min <= max), or a name of 1-128 [A-Za-z0-9_.-].  0 or -1.
 */
static int calico_port_from_string(struct pol_ctx *c, const char *s, struct port_match *out)
{
    const char *colon = strchr(s, ':');
    size_t len = strlen(s);
    uint64_t lo, hi;

    memset(out, 0, sizeof(*out));
    if (len && strspn(s, "0123456789") == len) {
        if (parse_u64(s, len, 0, 65535, &lo) != 0)
            return -1;
        out->lo = out->hi = (uint16_t)lo;
        return 0;
    }
    if (colon && colon > s && strspn(s, "0123456789") == (size_t)(colon - s) && colon[1] &&
        strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        if (parse_u64(s, (size_t)(colon - s), 0, 65535, &lo) != 0 ||
            parse_u64(colon + 1, strlen(colon + 1), 0, 65535, &hi) != 0 || lo > hi)
            return -1;
        out->lo = (uint16_t)lo;
        out->hi = (uint16_t)hi;
        return 0;
    }
    if (len == 0 || len > 128 ||
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
        return -1;
    out->name = arena_strdup(c->a, s);
    return 0;
}

/* One group of ports of one protocol, as k8sRuleToCalico's protocolPorts
 * map holds them: all set means "every port" (a port entry without port). */
struct port_group {
    int present;
    int all;
    struct port_match *ports; /* malloc'd while building */
    size_t n, alloc;
};

/* Index of a protocol in sorted key order: "", "SCTP", "TCP", "UDP". */
enum { PG_NONE, PG_SCTP, PG_TCP, PG_UDP, PG_N };
static const int pg_proto[PG_N] = {-1, 132, 6, 17};

/*
 * One NetworkPolicyPort.  Returns 0 and fills the group, 1 when Calico
 * cannot read the port (the rule is dropped), -1 on an API-server error.
 */
static int read_port(struct pol_ctx *c, const struct ynode *n, const char *what,
                     struct port_group *groups, int staged)
{
    static const char *const fields[] = {"protocol", "port", "endPort", NULL};
    const struct ynode *pn, *en, *prn;
    const char *proto = "TCP";
    int g;
    struct port_match pm;
    char text[160];
    long endport = 0, portnum = 0;
    unsigned errs = c->errors;
    char w[128];

    if (pv_map(c, n, what) < 0)
        return -1;
    pv_fields(c, n, fields, what);
    prn = ynode_get(n, "protocol");
    pv_path(w, sizeof(w), what, "protocol");
    if (pv_str(c, prn, w, &proto) < 0)
        return -1;
    if (strcmp(proto, "TCP") == 0) {
        g = PG_TCP;
    } else if (strcmp(proto, "UDP") == 0) {
        g = PG_UDP;
    } else if (strcmp(proto, "SCTP") == 0) {
        g = PG_SCTP;
    } else {
        pv_err(c, prn, "unsupported protocol '%s' in '%s': use TCP, UDP or SCTP", proto, w);
        return -1;
    }
    pn = ynode_get(n, "port");
    en = ynode_get(n, "endPort");
    pv_path(w, sizeof(w), what, "endPort");
    if (!ynode_is_null(en) && pv_int(c, en, w, 1, 65535, &endport) != 0)
        return -1;
    if (ynode_is_null(pn)) {
        if (endport)
            pv_err(c, en, "'%s' may not be given without port", w);
        if (c->errors != errs)
            return -1;
        /* A port entry with no port: every port of the protocol. */
        groups[g].present = 1;
        groups[g].all = 1;
        return 0;
    }
    if (pn->kind != YNODE_SCALAR) {
        pv_err(c, pn, "expected a number or a port name for '%s.port'", what);
        return -1;
    }
    {
        int b;

        /* IntOrString refuses a boolean; a name "true" must be quoted. */
        if (pv_plain_bool(pn, &b)) {
            pv_err(c, pn,
                   "expected a number or a port name for '%s.port', found a boolean (quote it "
                   "to mean a name)",
                   what);
            return -1;
        }
    }
    if (pv_plain_number(pn)) {
        pv_path(w, sizeof(w), what, "port");
        if (pv_int(c, pn, w, 1, 65535, &portnum) != 0)
            return -1;
        if (endport && endport < portnum) {
            pv_err(c, en, "'%s.endPort' (%ld) must be greater than or equal to port (%ld)", what,
                   endport, portnum);
            return -1;
        }
        if (endport)
            snprintf(text, sizeof(text), "%ld:%ld", portnum, endport);
        else
            snprintf(text, sizeof(text), "%ld", portnum);
    } else {
        if (endport) {
            pv_err(c, en, "'%s.endPort' may not be given when port is not a number", what);
            return -1;
        }
        snprintf(text, sizeof(text), "%s", pn->u.scalar.s);
    }
    if (calico_port_from_string(c, text, &pm) != 0) {
        if (staged) {
            pv_err(c, pn,
                   "invalid port '%s' in '%s': Calico cannot convert this "
                   "StagedKubernetesNetworkPolicy",
                   text, what);
            return -1;
        }
        pv_warn(c, pn,
                "invalid port '%s' in '%s': Calico drops this whole rule and applies "
                "the rest of the policy",
                text, what);
        return 1;
    }
    if (!pv_plain_number(pn) && !pv_is_port_name(pn->u.scalar.s))
        pv_warn(c, pn,
                "port '%s' in '%s' is not a valid Kubernetes port name; "
                "Calico reads it as %s",
                text, what,
                pm.name ? "a port name" : (pm.lo == pm.hi ? "a port number" : "a port range"));
    groups[g].present = 1;
    if (!groups[g].all) {
        ALLOC_GROW(groups[g].ports, groups[g].n + 1, groups[g].alloc);
        groups[g].ports[groups[g].n++] = pm;
    }
    return 0;
}

static int range_cmp(const void *a, const void *b)
{
    const struct port_match *x = a, *y = b;

    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/*
 * SimplifyPorts: named ports pass through first, numeric ones are merged
 * into the fewest ranges (overlapping or adjacent ones join).  Calico
 * returns a list of at most one numeric port unchanged, which merges to
 * the same set.
 */
void pk_simplify_ports(struct port_match *ports, size_t *n)
{
    size_t named = 0, out;

    if (*n <= 1)
        return;
    /* Stable partition: named first, in order. */
    for (size_t i = 0; i < *n; i++) {
        if (ports[i].name) {
            struct port_match t = ports[i];

            memmove(&ports[named + 1], &ports[named], (i - named) * sizeof(*ports));
            ports[named++] = t;
        }
    }
    if (*n - named <= 1)
        return;
    qsort(ports + named, *n - named, sizeof(*ports), range_cmp);
    out = named;
    for (size_t i = named; i < *n; i++) {
        if (out > named && (uint32_t)ports[i].lo <= (uint32_t)ports[out - 1].hi + 1) {
            if (ports[i].hi > ports[out - 1].hi)
                ports[out - 1].hi = ports[i].hi;
        } else {
            ports[out++] = ports[i];
        }
    }
    *n = out;
}

/*
 * k8sRuleToCalico: one Kubernetes rule (peers under peers_key, ports) into
 * protocols x peers Allow rules appended to *rules.  Returns 0, 1 when the
 * rule is dropped, -1 on errors.
 */
static int convert_rule(struct pol_ctx *c, const struct ynode *n, const char *what,
                        const char *peers_key, int ingress, int staged, struct v3_rule **rules,
                        size_t *nrules, size_t *arules)
{
    static const char *const in_fields[] = {"from", "ports", NULL};
    static const char *const out_fields[] = {"to", "ports", NULL};
    const struct ynode *peers_n, *ports_n;
    struct k8s_peer *peers = NULL;
    size_t npeers = 0;
    struct port_group groups[PG_N];
    int rc = 0, bad = 0;
    char w[128];

    memset(groups, 0, sizeof(groups));
    if (pv_map(c, n, what) < 0)
        return -1;
    pv_fields(c, n, ingress ? in_fields : out_fields, what);
    peers_n = ynode_get(n, peers_key);
    ports_n = ynode_get(n, "ports");

    snprintf(w, sizeof(w), "%s.%s", what, peers_key);
    if (pv_seq(c, peers_n, w) == 0 && peers_n->u.seq.n) {
        peers = arena_calloc(c->a, peers_n->u.seq.n, sizeof(*peers));
        for (size_t i = 0; i < peers_n->u.seq.n; i++) {
            char pw[160];

            pv_index(pw, sizeof(pw), w, i);
            if (read_peer(c, peers_n->u.seq.items[i], pw, &peers[npeers]) == 0)
                npeers++;
            else
                bad = 1;
        }
    }
    pv_path(w, sizeof(w), what, "ports");
    if (pv_seq(c, ports_n, w) == 0 && ports_n->u.seq.n) {
        for (size_t i = 0; i < ports_n->u.seq.n; i++) {
            char pw[160];
            int prc;

            pv_index(pw, sizeof(pw), w, i);
            prc = read_port(c, ports_n->u.seq.items[i], pw, groups, staged);
            if (prc < 0)
                bad = 1;
            else if (prc > 0)
                rc = 1;
        }
    } else {
        /* No ports: one group with no protocol and no ports. */
        groups[PG_NONE].present = 1;
        groups[PG_NONE].all = 1;
    }
    if (bad || rc) {
        for (size_t g = 0; g < PG_N; g++)
            free(groups[g].ports);
        return bad ? -1 : 1;
    }
    if (npeers == 0) {
        /* No peers: one rule with an empty peer, so any address. */
        peers = arena_calloc(c->a, 1, sizeof(*peers));
        peers[0].selector = "";
        peers[0].nsselector = "";
        npeers = 1;
    }
    for (size_t g = 0; g < PG_N; g++) {
        struct port_match *ports = NULL;
        size_t np = 0;

        if (!groups[g].present)
            continue;
        if (!groups[g].all && groups[g].n) {
            np = groups[g].n;
            pk_simplify_ports(groups[g].ports, &np);
            ports = arena_calloc(c->a, np, sizeof(*ports));
            memcpy(ports, groups[g].ports, np * sizeof(*ports));
        }
        free(groups[g].ports);
        groups[g].ports = NULL;
        for (size_t p = 0; p < npeers; p++) {
            struct v3_rule *r;
            struct v3_entity *peer_e, *port_e;

            if (*nrules >= LIM_RULES_PER_POLICY) {
                pv_err(c, n, "Kubernetes rules expand to more than %d Calico rules",
                       LIM_RULES_PER_POLICY);
                for (size_t h = g + 1; h < PG_N; h++)
                    free(groups[h].ports);
                return -1;
            }
            ALLOC_GROW(*rules, *nrules + 1, *arules);
            r = &(*rules)[(*nrules)++];
            memset(r, 0, sizeof(*r));
            r->action = ACT_ALLOW;
            r->proto = pg_proto[g];
            r->notproto = -1;
            r->icmp.type = r->icmp.code = r->noticmp.type = r->noticmp.code = -1;
            r->n_self = n;
            r->line = n->line;
            r->col = n->col;
            peer_e = ingress ? &r->src : &r->dst;
            port_e = &r->dst;
            peer_e->n_self = n;
            port_e->n_self = n;
            peer_e->selector = *peers[p].selector ? peers[p].selector : NULL;
            peer_e->nsselector = *peers[p].nsselector ? peers[p].nsselector : NULL;
            peer_e->nets = peers[p].nets;
            peer_e->nnets = peers[p].nnets;
            peer_e->notnets = peers[p].notnets;
            peer_e->nnotnets = peers[p].nnotnets;
            port_e->ports = ports;
            port_e->nports = np;
        }
    }
    return 0;
}

static void convert_rules(struct pol_ctx *c, const struct ynode *seq, const char *what, int ingress,
                          int staged, struct v3_rule **out, size_t *n)
{
    struct v3_rule *rules = NULL;
    size_t nrules = 0, arules = 0;
    char w[96];

    *out = NULL;
    *n = 0;
    if (pv_seq(c, seq, what) != 0)
        return;
    for (size_t i = 0; i < seq->u.seq.n; i++) {
        pv_index(w, sizeof(w), what, i);
        (void)convert_rule(c, seq->u.seq.items[i], w, ingress ? "from" : "to", ingress, staged,
                           &rules, &nrules, &arules);
    }
    if (nrules) {
        *out = arena_calloc(c->a, nrules, sizeof(**out));
        memcpy(*out, rules, nrules * sizeof(**out));
        *n = nrules;
    }
    free(rules);
}

void pk_read_object(struct pol_ctx *c, const struct ynode *doc, int staged)
{
    static const char *const fields[] = {"podSelector", "ingress", "egress", "policyTypes", NULL};
    static const char *const sfields[] = {"stagedAction", "podSelector", "ingress",
                                          "egress",       "policyTypes", NULL};
    struct v3_policy vp;
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec"), *pt;
    unsigned errs = c->errors;
    const char *sel;

    memset(&vp, 0, sizeof(vp));
    vp.kind = staged ? POL_SKNP : POL_KNP;
    vp.staged = staged;
    vp.tier = "default";
    vp.has_order = 1;
    vp.order = 1000.0; /* "We insert all the NetworkPolicy Policies at order 1000.0" */
    vp.line = doc->line;
    vp.col = doc->col;
    vp.n_self = doc;
    vp.apply_on_forward = 1;
    if (pv_meta(c, doc, 1, &vp.name, &vp.ns, &meta) != 0)
        return;
    if (vp.name && !pv_is_dns_subdomain(vp.name))
        pv_err(c, ynode_get(meta, "name"),
               "invalid NetworkPolicy name '%s': it must be a DNS "
               "subdomain (a-z, 0-9, '-' and '.', at most 253 characters)",
               vp.name);
    pv_meta_labels(c, meta);
    if (pv_map(c, spec, "spec") < 0)
        return;
    pv_fields(c, spec, staged ? sfields : fields, "spec");
    if (staged) {
        const char *sa = NULL;
        const struct ynode *san = ynode_get(spec, "stagedAction");

        if (pv_str(c, san, "spec.stagedAction", &sa) == 0 && *sa) {
            if (strcmp(sa, "Delete") == 0) {
                vp.staged_delete = 1;
                for (size_t i = 0; spec && i < spec->u.map.n; i++) {
                    const char *k = spec->u.map.pairs[i].key->u.scalar.s;

                    if (strcmp(k, "stagedAction") != 0 && !pv_is_zero(spec->u.map.pairs[i].value))
                        pv_err(c, spec->u.map.pairs[i].key,
                               "'spec.%s' must be empty when "
                               "stagedAction is Delete",
                               k);
                }
            } else if (strcmp(sa, "Learn") == 0 || strcmp(sa, "Ignore") == 0) {
                pv_warn(c, san, "stagedAction '%s' is evaluated like Set", sa);
            } else if (strcmp(sa, "Set") != 0) {
                pv_err(c, san, "invalid stagedAction '%s': use Set, Delete, Learn or Ignore", sa);
            }
        }
    }

    /* The endpoint selector: always the pod form (a nil podSelector still
     * gives the orchestrator clause). */
    sel = pk_selector(c, ynode_get(spec, "podSelector"), "spec.podSelector", PK_SEL_POD);
    vp.selector = sel && *sel ? sel : NULL;

    /* policyTypes: used as listed, ordered Ingress then Egress; none at
     * all means [Ingress], whatever egress rules there are. */
    pt = ynode_get(spec, "policyTypes");
    if (pv_seq(c, pt, "spec.policyTypes") == 0) {
        if (pt->u.seq.n > 2)
            pv_err(c, pt, "may not specify more than two policyTypes");
        for (size_t i = 0; i < pt->u.seq.n; i++) {
            const char *s = NULL;

            if (pv_str(c, pt->u.seq.items[i], "spec.policyTypes", &s) != 0)
                continue;
            if (strcmp(s, "Ingress") == 0)
                vp.types |= DIR_INGRESS;
            else if (strcmp(s, "Egress") == 0)
                vp.types |= DIR_EGRESS;
            else
                pv_err(c, pt->u.seq.items[i],
                       "unsupported policyType '%s': use Ingress or "
                       "Egress",
                       s);
        }
    }
    if (!vp.types)
        vp.types = DIR_INGRESS;
    vp.types_given = 1;

    convert_rules(c, ynode_get(spec, "ingress"), "spec.ingress", 1, staged, &vp.ingress,
                  &vp.ningress);
    convert_rules(c, ynode_get(spec, "egress"), "spec.egress", 0, staged, &vp.egress, &vp.negress);
    if (vp.negress && !(vp.types & DIR_EGRESS) && ynode_get(spec, "egress"))
        pv_warn(c, ynode_get(spec, "egress"),
                "egress rules are ignored: policyTypes %s "
                "Egress",
                ynode_get(spec, "policyTypes") ? "does not include"
                                               : "is not set, "
                                                 "so it means Ingress only, not");
    if (c->errors == errs)
        pm_add_policy(c, &vp);
}
