/*
 * pol_calico.c: projectcalico.org/v3 resources (NetworkPolicy,
 * GlobalNetworkPolicy, the staged kinds, Tier, NetworkSet, GlobalNetworkSet)
 * read into v3 policies (struct v3_policy), which pol_model.c turns into
 * the backend model.
 */
#include "analyze/policy/pol_int.h"

#include <string.h>
#include <strings.h>

#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/ipaddr.h"
#include "common/labels.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* --- reading values ---------------------------------------------------------- */

/* A string field: "" is the same as absent (Go's omitempty), so both give
 * NULL.  Returns -1 after reporting a wrong type. */
static int read_str(struct pol_ctx *c, const struct ynode *map, const char *key, const char *what,
                    const char **out)
{
    const char *s = NULL;
    int rc = pv_str(c, ynode_get(map, key), what, &s);

    *out = (rc == 0 && *s) ? s : NULL;
    return rc < 0 ? -1 : 0;
}

/* A selector field: read, parse (reporting the column of a fault).
 * maxlen: the CRD's MaxLength for the field (1024 on EntityRule and
 * GlobalNetworkPolicy selectors), 0 when it has none. */
static const char *read_selector(struct pol_ctx *c, const struct ynode *map, const char *key,
                                 const char *what, size_t maxlen, const struct ynode **node)
{
    const char *s = NULL;
    const struct ynode *n = ynode_get(map, key);

    if (node)
        *node = n;
    if (read_str(c, map, key, what, &s) < 0 || !s)
        return NULL;
    if (maxlen && strlen(s) > maxlen)
        pv_err(c, n, "'%s' is longer than %zu characters", what, maxlen);
    (void)pv_selector(c, n, s, what);
    return s;
}

/*
 * protocol / notProtocol (numorstring.Protocol; validator.go protocolRegex):
 * a number 1..255 (a quoted "6" is read as a number too), or exactly one
 * of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite.  Names are case-sensitive:
 * "tcp" is refused.
 */
static int read_protocol(struct pol_ctx *c, const struct ynode *n, const char *what, int *proto,
                         int *by_name)
{
    static const struct {
        const char *name;
        int num;
    } names[] = {{"TCP", 6},     {"UDP", 17},   {"ICMP", 1},
                 {"ICMPv6", 58}, {"SCTP", 132}, {"UDPLite", 136}};
    const char *s;
    uint64_t v;

    *proto = -1;
    *by_name = 0;
    if (!n || ynode_is_null(n))
        return 0;
    if (n->kind != YNODE_SCALAR) {
        pv_err(c, n, "expected a protocol name or number for '%s', found %s", what,
               ynode_kind_name(n->kind));
        return -1;
    }
    s = n->u.scalar.s;
    if (*s >= '0' && *s <= '9') {
        if (parse_u64(s, strlen(s), 0, 255, &v) != 0) {
            pv_err(c, n, "invalid protocol '%s' for '%s': a number must be 1 to 255", s, what);
            return -1;
        }
        if (v == 0) {
            pv_err(c, n, "invalid protocol number 0 for '%s': it must be 1 to 255", what);
            return -1;
        }
        *proto = (int)v;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *proto = names[i].num;
            *by_name = 1;
            return 0;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            pv_err(c, n,
                   "invalid protocol name '%s' for '%s': names are case-sensitive, "
                   "use '%s'",
                   s, what, names[i].name);
            return -1;
        }
    }
    pv_err(c, n,
           "invalid protocol name '%s' for '%s': use TCP, UDP, ICMP, ICMPv6, SCTP, "
           "UDPLite or a number 1 to 255",
           s, what);
    return -1;
}

/*
 * One port (numorstring.Port, PortFromString; validator.go validatePort and
 * the portName tag): a number 1..65535, "min:max" with 1 <= min <= max, or
 * a port name as Kubernetes allows them (IsValidPortName).
 */
static int read_port(struct pol_ctx *c, const struct ynode *n, const char *what,
                     struct port_match *out)
{
    const char *s, *colon;
    uint64_t lo, hi;

    memset(out, 0, sizeof(*out));
    if (!n || n->kind != YNODE_SCALAR || ynode_is_null(n)) {
        pv_err(c, n, "expected a port for '%s'", what);
        return -1;
    }
    s = n->u.scalar.s;
    colon = strchr(s, ':');
    if (strspn(s, "0123456789") == strlen(s) && *s) {
        if (parse_u64(s, strlen(s), 1, 65535, &lo) != 0) {
            pv_err(c, n, "invalid port '%s' in '%s': port numbers are 1 to 65535", s, what);
            return -1;
        }
        out->lo = out->hi = (uint16_t)lo;
        return 0;
    }
    if (colon && colon > s && strspn(s, "0123456789") == (size_t)(colon - s) && colon[1] &&
        strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        if (parse_u64(s, (size_t)(colon - s), 1, 65535, &lo) != 0 ||
            parse_u64(colon + 1, strlen(colon + 1), 1, 65535, &hi) != 0) {
            pv_err(c, n, "invalid port range '%s' in '%s': port numbers are 1 to 65535", s, what);
            return -1;
        }
        if (lo > hi) {
            pv_err(c, n,
                   "invalid port range '%s' in '%s': the minimum is greater than the "
                   "maximum",
                   s, what);
            return -1;
        }
        out->lo = (uint16_t)lo;
        out->hi = (uint16_t)hi;
        return 0;
    }
    if (n->u.scalar.style == YSCALAR_PLAIN && pv_plain_number(n)) {
        pv_err(c, n, "invalid port '%s' in '%s'", s, what);
        return -1;
    }
    {
        int b;

        /* ports: [true] is a boolean to Calico's JSON decoding, not the
         * port name "true" (which must be quoted). */
        if (pv_plain_bool(n, &b)) {
            pv_err(c, n,
                   "invalid port %s in '%s': a boolean, not a port number, range or name "
                   "(quote it to mean a name)",
                   s, what);
            return -1;
        }
    }
    if (!pv_is_port_name(s)) {
        pv_err(c, n,
               "invalid port '%s' in '%s': a number, \"min:max\", or a port name "
               "(1-15 of a-z, 0-9 and '-', with a letter)",
               s, what);
        return -1;
    }
    out->name = arena_strdup(c->a, s);
    return 0;
}

static int read_ports(struct pol_ctx *c, const struct ynode *seq, const char *what,
                      struct port_match **out, size_t *n)
{
    int bad = 0;

    *out = NULL;
    *n = 0;
    if (pv_seq(c, seq, what) != 0)
        return 0;
    if (seq->u.seq.n > 50) /* kubebuilder MaxItems=50 */
        pv_err(c, seq, "'%s' has more than 50 entries", what);
    *out = arena_calloc(c->a, seq->u.seq.n ? seq->u.seq.n : 1, sizeof(**out));
    for (size_t i = 0; i < seq->u.seq.n; i++) {
        if (read_port(c, seq->u.seq.items[i], what, &(*out)[*n]) == 0)
            (*n)++;
        else
            bad = 1;
    }
    return bad ? -1 : 0;
}

/*
 * nets / notNets (the "net" tag: strictly masked; validateRule's scanNets:
 * cnet.ParseCIDR, so a prefix length is required).
 */
static void read_nets(struct pol_ctx *c, const struct ynode *seq, const char *what,
                      struct cidr **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (pv_seq(c, seq, what) != 0)
        return;
    if (seq->u.seq.n > 256) /* kubebuilder MaxItems=256 */
        pv_err(c, seq, "'%s' has more than 256 entries", what);
    *out = arena_calloc(c->a, seq->u.seq.n ? seq->u.seq.n : 1, sizeof(**out));
    for (size_t i = 0; i < seq->u.seq.n; i++) {
        const struct ynode *it = seq->u.seq.items[i];
        const char *s = NULL;
        int host = 0;

        if (pv_str(c, it, what, &s) != 0)
            continue;
        if (!strchr(s, '/')) {
            pv_err(c, it,
                   "invalid CIDR '%s' in '%s': a prefix length is required "
                   "(e.g. '%s/%s')",
                   s, what, s, strchr(s, ':') ? "128" : "32");
            continue;
        }
        if (cidr_parse(s, strlen(s), &(*out)[*n], &host) != 0) {
            pv_err(c, it, "invalid CIDR '%s' in '%s'", s, what);
            continue;
        }
        if (host) {
            char buf[IPADDR_STRLEN + 8];

            pv_err(c, it, "invalid CIDR '%s' in '%s': host bits are set (did you mean '%s'?)", s,
                   what, cidr_format(&(*out)[*n], buf));
            continue;
        }
        (*n)++;
    }
}

static void read_icmp(struct pol_ctx *c, const struct ynode *n, const char *what,
                      struct icmp_match *out, int *has)
{
    static const char *const fields[] = {"type", "code", NULL};
    long type = -1, code = -1;
    char w[256];

    out->type = -1;
    out->code = -1;
    *has = 0;
    if (pv_map(c, n, what) != 0)
        return;
    *has = 1;
    pv_fields(c, n, fields, what);
    pv_path(w, sizeof(w), what, "type");
    (void)pv_int(c, ynode_get(n, "type"), w, 0, 254, &type);
    pv_path(w, sizeof(w), what, "code");
    (void)pv_int(c, ynode_get(n, "code"), w, 0, 255, &code);
    if (code >= 0 && type < 0)
        pv_err(c, n, "ICMP code specified without an ICMP type in '%s'", what);
    out->type = (int)type;
    out->code = (int)code;
}

static void read_entity(struct pol_ctx *c, const struct ynode *n, const char *what,
                        struct v3_entity *e)
{
    static const char *const fields[] = {
        "nets",  "notNets",  "selector",        "notSelector", "namespaceSelector",
        "ports", "notPorts", "serviceAccounts", "services",    NULL};
    static const char *const sa_fields[] = {"names", "selector", NULL};
    static const char *const svc_fields[] = {"name", "namespace", NULL};
    char w[256];
    const struct ynode *sel_n, *nssel_n, *sa, *svc;

    memset(e, 0, sizeof(*e));
    e->n_self = n;
    if (pv_map(c, n, what) != 0)
        return;
    pv_fields(c, n, fields, what);

    pv_path(w, sizeof(w), what, "nets");
    read_nets(c, ynode_get(n, "nets"), w, &e->nets, &e->nnets);
    pv_path(w, sizeof(w), what, "notNets");
    read_nets(c, ynode_get(n, "notNets"), w, &e->notnets, &e->nnotnets);

    pv_path(w, sizeof(w), what, "selector");
    e->selector = read_selector(c, n, "selector", w, 1024, &sel_n);
    pv_no_global(c, sel_n, e->selector, w);
    pv_path(w, sizeof(w), what, "notSelector");
    e->notselector = read_selector(c, n, "notSelector", w, 1024, NULL);
    pv_path(w, sizeof(w), what, "namespaceSelector");
    e->nsselector = read_selector(c, n, "namespaceSelector", w, 1024, &nssel_n);
    pv_global_alone(c, nssel_n, e->nsselector, w);

    e->n_ports = ynode_get(n, "ports");
    pv_path(w, sizeof(w), what, "ports");
    (void)read_ports(c, e->n_ports, w, &e->ports, &e->nports);
    e->n_notports = ynode_get(n, "notPorts");
    pv_path(w, sizeof(w), what, "notPorts");
    (void)read_ports(c, e->n_notports, w, &e->notports, &e->nnotports);

    sa = ynode_get(n, "serviceAccounts");
    pv_path(w, sizeof(w), what, "serviceAccounts");
    if (pv_map(c, sa, w) == 0) {
        const struct ynode *names = ynode_get(sa, "names");

        e->has_sa = 1;
        pv_fields(c, sa, sa_fields, w);
        pv_path(w, sizeof(w), what, "serviceAccounts.names");
        if (pv_seq(c, names, w) == 0) {
            e->sa_names =
                arena_calloc(c->a, names->u.seq.n ? names->u.seq.n : 1, sizeof(*e->sa_names));
            for (size_t i = 0; i < names->u.seq.n; i++) {
                const char *s = NULL;

                if (pv_str(c, names->u.seq.items[i], w, &s) == 0)
                    e->sa_names[e->nsa_names++] = s;
            }
        }
        pv_path(w, sizeof(w), what, "serviceAccounts.selector");
        e->sa_selector = read_selector(c, sa, "selector", w, 0, NULL);
    }

    svc = ynode_get(n, "services");
    e->n_svc = svc;
    pv_path(w, sizeof(w), what, "services");
    if (pv_map(c, svc, w) == 0) {
        const struct ynode *nn;

        e->has_svc = 1;
        pv_fields(c, svc, svc_fields, w);
        pv_path(w, sizeof(w), what, "services.name");
        nn = ynode_get(svc, "name");
        if (read_str(c, svc, "name", w, &e->svc_name) == 0 && e->svc_name &&
            !pv_is_dns_subdomain(e->svc_name))
            pv_err(c, nn, "invalid service name '%s'", e->svc_name);
        pv_path(w, sizeof(w), what, "services.namespace");
        nn = ynode_get(svc, "namespace");
        if (read_str(c, svc, "namespace", w, &e->svc_ns) == 0 && e->svc_ns &&
            !pv_is_dns_subdomain(e->svc_ns))
            pv_err(c, nn, "invalid service namespace '%s'", e->svc_ns);
    }
}

static void read_http(struct pol_ctx *c, const struct ynode *n, const char *what)
{
    static const char *const fields[] = {"methods", "paths", NULL};
    static const char *const path_fields[] = {"exact", "prefix", NULL};
    const struct ynode *m = ynode_get(n, "methods");
    const struct ynode *p = ynode_get(n, "paths");
    char w[256];

    pv_fields(c, n, fields, what);
    pv_path(w, sizeof(w), what, "methods");
    if (pv_seq(c, m, w) == 0) {
        for (size_t i = 0; i < m->u.seq.n; i++) {
            const char *s = NULL, *t = NULL;

            if (pv_str(c, m->u.seq.items[i], w, &s) != 0)
                continue;
            for (size_t j = 0; j < i; j++)
                if (pv_str(c, m->u.seq.items[j], w, &t) == 0 && strcmp(s, t) == 0)
                    pv_err(c, m->u.seq.items[i], "duplicate HTTP method '%s'", s);
        }
    }
    pv_path(w, sizeof(w), what, "paths");
    if (pv_seq(c, p, w) == 0) {
        for (size_t i = 0; i < p->u.seq.n; i++) {
            const struct ynode *it = p->u.seq.items[i];
            const char *ex = NULL, *pre = NULL, *v;

            if (pv_map(c, it, w) != 0)
                continue;
            pv_fields(c, it, path_fields, w);
            (void)read_str(c, it, "exact", w, &ex);
            (void)read_str(c, it, "prefix", w, &pre);
            if (ex && pre)
                pv_err(c, it, "invalid path match: both 'exact' and 'prefix' are set");
            v = ex ? ex : pre;
            if (!v)
                pv_err(c, it, "invalid path match: either 'exact' or 'prefix' must be set");
            else if (v[0] != '/' || strpbrk(v, "? #"))
                pv_err(c, it,
                       "invalid path '%s': it must start with '/' and not contain "
                       "'?', '#' or spaces",
                       v);
        }
    }
}

/*
 * Rule (policy_common.go): action, ipVersion, protocol, notProtocol, icmp,
 * notICMP, source, destination, http, metadata.
 */
static void read_rule(struct pol_ctx *c, const struct ynode *n, const char *what, int egress,
                      int global, struct v3_rule *r)
{
    static const char *const fields[] = {"action", "ipVersion", "protocol", "notProtocol",
                                         "icmp",   "notICMP",   "source",   "destination",
                                         "http",   "metadata",  NULL};
    static const char *const meta_fields[] = {"annotations", NULL};
    const char *action = NULL;
    const struct ynode *an = ynode_get(n, "action");
    const struct ynode *meta = ynode_get(n, "metadata");
    char w[256];
    long ipv = 0;

    memset(r, 0, sizeof(*r));
    r->proto = r->notproto = -1;
    r->icmp.type = r->icmp.code = r->noticmp.type = r->noticmp.code = -1;
    r->n_self = n;
    r->line = n->line;
    r->col = n->col;
    if (pv_map(c, n, what) != 0)
        return;
    pv_fields(c, n, fields, what);

    pv_path(w, sizeof(w), what, "action");
    if (read_str(c, n, "action", w, &action) == 0) {
        if (!action)
            pv_err(c, an ? an : n, "'%s' is required (Allow, Deny, Log or Pass)", w);
        else if (strcmp(action, "Allow") == 0)
            r->action = ACT_ALLOW;
        else if (strcmp(action, "Deny") == 0)
            r->action = ACT_DENY;
        else if (strcmp(action, "Log") == 0)
            r->action = ACT_LOG;
        else if (strcmp(action, "Pass") == 0)
            r->action = ACT_PASS;
        else
            pv_err(c, an, "invalid action '%s' in '%s': use Allow, Deny, Log or Pass", action, w);
    }
    pv_path(w, sizeof(w), what, "ipVersion");
    if (pv_int(c, ynode_get(n, "ipVersion"), w, 4, 6, &ipv) == 0) {
        if (ipv != 4 && ipv != 6)
            pv_err(c, ynode_get(n, "ipVersion"), "'%s' must be 4 or 6", w);
        else
            r->ip_version = (int)ipv;
    }
    pv_path(w, sizeof(w), what, "protocol");
    (void)read_protocol(c, ynode_get(n, "protocol"), w, &r->proto, &r->proto_by_name);
    pv_path(w, sizeof(w), what, "notProtocol");
    (void)read_protocol(c, ynode_get(n, "notProtocol"), w, &r->notproto, &r->notproto_by_name);
    pv_path(w, sizeof(w), what, "icmp");
    read_icmp(c, ynode_get(n, "icmp"), w, &r->icmp, &r->has_icmp);
    pv_path(w, sizeof(w), what, "notICMP");
    read_icmp(c, ynode_get(n, "notICMP"), w, &r->noticmp, &r->has_noticmp);
    pv_path(w, sizeof(w), what, "source");
    read_entity(c, ynode_get(n, "source"), w, &r->src);
    pv_path(w, sizeof(w), what, "destination");
    read_entity(c, ynode_get(n, "destination"), w, &r->dst);
    pv_path(w, sizeof(w), what, "http");
    if (pv_map(c, ynode_get(n, "http"), w) == 0) {
        r->has_http = 1;
        read_http(c, ynode_get(n, "http"), w);
        pv_warn(c, ynode_get(n, "http"),
                "'%s' is enforced only by L7 (application layer) "
                "policy; the L3/L4 verdicts here ignore it",
                w);
    }
    pv_path(w, sizeof(w), what, "metadata");
    if (pv_map(c, meta, w) == 0) {
        const struct ynode *ann = ynode_get(meta, "annotations");

        pv_fields(c, meta, meta_fields, w);
        pv_path(w, sizeof(w), what, "metadata.annotations");
        if (pv_map(c, ann, w) == 0)
            for (size_t i = 0; i < ann->u.map.n; i++) {
                const char *s = NULL;

                (void)pv_str(c, ann->u.map.pairs[i].value, w, &s);
            }
    }
    pv_rule(c, r, egress, global);
}

int pc_read_rules(struct pol_ctx *c, const struct ynode *seq, const char *what, int egress,
                  int global, struct v3_rule **out, size_t *n)
{
    char w[256];

    *out = NULL;
    *n = 0;
    if (pv_seq(c, seq, what) != 0)
        return 0;
    if (seq->u.seq.n > LIM_RULES_PER_POLICY) {
        pv_err(c, seq, "'%s' has %zu rules, more than the limit of %d", what, seq->u.seq.n,
               LIM_RULES_PER_POLICY);
        return -1;
    }
    *out = arena_calloc(c->a, seq->u.seq.n ? seq->u.seq.n : 1, sizeof(**out));
    for (size_t i = 0; i < seq->u.seq.n; i++) {
        pv_index(w, sizeof(w), what, i);
        read_rule(c, seq->u.seq.items[i], w, egress, global, &(*out)[i]);
    }
    *n = seq->u.seq.n;
    return 0;
}

/* --- policies ------------------------------------------------------------------ */

static void read_types(struct pol_ctx *c, const struct ynode *n, const char *what, unsigned *types,
                       int *given)
{
    *types = 0;
    *given = 0;
    if (pv_seq(c, n, what) != 0) {
        if (c->crd_form) { /* §14: no types in storage is both for Felix */
            *types = DIR_INGRESS | DIR_EGRESS;
            *given = 1;
        }
        return;
    }
    if (n->u.seq.n > 2)
        pv_err(c, n, "'%s' has more than 2 entries", what);
    for (size_t i = 0; i < n->u.seq.n; i++) {
        const struct ynode *it = n->u.seq.items[i];
        const char *s = NULL;
        unsigned bit;

        if (pv_str(c, it, what, &s) != 0)
            continue;
        if (strcmp(s, "Ingress") == 0) {
            bit = DIR_INGRESS;
        } else if (strcmp(s, "Egress") == 0) {
            bit = DIR_EGRESS;
        } else {
            pv_err(c, it, "invalid policy type '%s' in '%s': use Ingress or Egress", s, what);
            continue;
        }
        if (*types & bit)
            pv_err(c, it, "'%s' type specified more than once in '%s'", s, what);
        *types |= bit;
    }
    /* An empty list is the same as none: the API defaults it (§6.1).  In
     * Calico's storage form nothing defaults it: Felix reads no types as
     * Ingress and Egress (§14). */
    *given = *types != 0;
    if (!*given && c->crd_form) {
        *types = DIR_INGRESS | DIR_EGRESS;
        *given = 1;
    }
}

/* spec keys of each kind (networkpolicy.go, globalnetworkpolicy.go,
 * stagednetworkpolicy.go, stagedglobalnetworkpolicy.go). */
static const char *const np_fields[] = {"tier",
                                        "order",
                                        "ingress",
                                        "egress",
                                        "selector",
                                        "types",
                                        "serviceAccountSelector",
                                        "performanceHints",
                                        "stagedAction",
                                        NULL};
static const char *const gnp_fields[] = {"tier",
                                         "order",
                                         "ingress",
                                         "egress",
                                         "selector",
                                         "types",
                                         "serviceAccountSelector",
                                         "namespaceSelector",
                                         "doNotTrack",
                                         "preDNAT",
                                         "applyOnForward",
                                         "performanceHints",
                                         "stagedAction",
                                         NULL};

static void read_policy(struct pol_ctx *c, const struct ynode *doc, enum pol_kind kind)
{
    int global = kind == POL_GNP || kind == POL_SGNP;
    int staged = kind == POL_SNP || kind == POL_SGNP;
    struct v3_policy vp;
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec"), *n;
    const char *staged_action = NULL;
    unsigned errs = c->errors;

    memset(&vp, 0, sizeof(vp));
    vp.kind = kind;
    vp.staged = staged;
    vp.line = doc->line;
    vp.col = doc->col;
    vp.n_self = doc;
    vp.tier = "default";
    if (pv_meta(c, doc, !global, &vp.name, &vp.ns, &meta) != 0)
        return;
    if (vp.name && !(global ? pv_is_gnp_name(vp.name) : pv_is_np_name(vp.name)))
        pv_err(c, ynode_get(meta, "name"), "invalid %s name '%s': %s", pol_kind_name(kind), vp.name,
               global ? "one DNS label, optionally '<label>.' before it"
                      : "one DNS label, optionally '.<label>' after it, or 'knp.default.' / "
                        "'ossg.default.' and a DNS subdomain");
    pv_meta_labels(c, meta);
    /* With no spec every field is absent: ynode_get(NULL, ...) is NULL. */
    if (pv_map(c, spec, "spec") < 0)
        return;
    pv_fields(c, spec, global ? gnp_fields : np_fields, "spec");

    if (staged) {
        n = ynode_get(spec, "stagedAction");
        if (read_str(c, spec, "stagedAction", "spec.stagedAction", &staged_action) == 0 &&
            staged_action) {
            if (strcmp(staged_action, "Delete") == 0)
                vp.staged_delete = 1;
            else if (strcmp(staged_action, "Learn") == 0 || strcmp(staged_action, "Ignore") == 0)
                pv_warn(c, n, "stagedAction '%s' is evaluated like Set", staged_action);
            else if (strcmp(staged_action, "Set") != 0)
                pv_err(c, n, "invalid stagedAction '%s': use Set, Delete, Learn or Ignore",
                       staged_action);
        }
    } else if (ynode_get(spec, "stagedAction")) {
        pv_err(c, ynode_get(spec, "stagedAction"), "unknown field 'spec.stagedAction'");
    }

    n = ynode_get(spec, "tier");
    if (read_str(c, spec, "tier", "spec.tier", &vp.tier) == 0) {
        if (!vp.tier)
            vp.tier = "default";
        else if (!pv_is_dns_subdomain(vp.tier))
            pv_err(c, n, "invalid tier name '%s'", vp.tier);
    } else {
        vp.tier = "default";
    }
    vp.has_order = pv_number(c, ynode_get(spec, "order"), "spec.order", &vp.order) == 0;
    vp.selector = read_selector(c, spec, "selector", "spec.selector", global ? 1024 : 0, &n);
    pv_no_global(c, n, vp.selector, "spec.selector");
    vp.sa_selector = read_selector(c, spec, "serviceAccountSelector", "spec.serviceAccountSelector",
                                   global ? 1024 : 0, &n);
    pv_no_global(c, n, vp.sa_selector, "spec.serviceAccountSelector");
    if (global) {
        vp.ns_selector =
            read_selector(c, spec, "namespaceSelector", "spec.namespaceSelector", 1024, &n);
        pv_no_global(c, n, vp.ns_selector, "spec.namespaceSelector");
    }
    read_types(c, ynode_get(spec, "types"), "spec.types", &vp.types, &vp.types_given);
    n = ynode_get(spec, "performanceHints");
    if (pv_seq(c, n, "spec.performanceHints") == 0) {
        for (size_t i = 0; i < n->u.seq.n; i++) {
            const char *s = NULL;

            if (pv_str(c, n->u.seq.items[i], "spec.performanceHints", &s) == 0 &&
                strcmp(s, "AssumeNeededOnEveryNode") != 0)
                pv_err(c, n->u.seq.items[i],
                       "invalid performance hint '%s': use "
                       "AssumeNeededOnEveryNode",
                       s);
        }
    }
    if (global) {
        (void)pv_bool(c, ynode_get(spec, "doNotTrack"), "spec.doNotTrack", &vp.do_not_track);
        (void)pv_bool(c, ynode_get(spec, "preDNAT"), "spec.preDNAT", &vp.pre_dnat);
        (void)pv_bool(c, ynode_get(spec, "applyOnForward"), "spec.applyOnForward",
                      &vp.apply_on_forward);
    } else {
        /* networkpolicyprocessor.go: namespaced policies always apply on
         * forward (only host endpoints care). */
        vp.apply_on_forward = 1;
    }
    (void)pc_read_rules(c, ynode_get(spec, "ingress"), "spec.ingress", 0, global, &vp.ingress,
                        &vp.ningress);
    (void)pc_read_rules(c, ynode_get(spec, "egress"), "spec.egress", 1, global, &vp.egress,
                        &vp.negress);

    /* validateGlobalNetworkPolicySpec / CEL (§6.2). */
    if (vp.do_not_track && vp.pre_dnat)
        pv_err(c, spec, "preDNAT and doNotTrack cannot both be true");
    if (vp.pre_dnat && vp.negress)
        pv_err(c, ynode_get(spec, "egress"), "a preDNAT policy cannot have egress rules");
    if (vp.pre_dnat && (vp.types & DIR_EGRESS))
        pv_err(c, ynode_get(spec, "types"), "a preDNAT policy cannot have the Egress type");
    if ((vp.do_not_track || vp.pre_dnat) && !vp.apply_on_forward)
        pv_err(c, spec, "applyOnForward must be true if either preDNAT or doNotTrack is true");

    /* validateStaged*: a Delete carries nothing but the tier. */
    if (vp.staged_delete) {
        for (size_t i = 0; spec && i < spec->u.map.n; i++) {
            const char *k = spec->u.map.pairs[i].key->u.scalar.s;

            if (strcmp(k, "tier") != 0 && strcmp(k, "stagedAction") != 0 &&
                !pv_is_zero(spec->u.map.pairs[i].value))
                pv_err(c, spec->u.map.pairs[i].key,
                       "'spec.%s' must be empty when stagedAction "
                       "is Delete (only the tier may be given)",
                       k);
        }
    }
    if (c->errors == errs)
        pm_add_policy(c, &vp);
}

static void read_tier(struct pol_ctx *c, const struct ynode *doc)
{
    static const char *const fields[] = {"order", "defaultAction", NULL};
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec");
    const char *name = NULL, *ns = NULL, *action = NULL;
    struct tier_def td;
    unsigned errs = c->errors;

    memset(&td, 0, sizeof(td));
    if (pv_meta(c, doc, 0, &name, &ns, &meta) != 0)
        return;
    pv_meta_labels(c, meta);
    if (name && !pv_is_dns_label(name))
        pv_err(c, ynode_get(meta, "name"),
               "invalid Tier name '%s': one DNS label of at most "
               "63 characters (a-z, 0-9, '-')",
               name);
    if (pv_map(c, spec, "spec") == 0) {
        pv_fields(c, spec, fields, "spec");
        td.has_order = pv_number(c, ynode_get(spec, "order"), "spec.order", &td.order) == 0;
        if (read_str(c, spec, "defaultAction", "spec.defaultAction", &action) == 0 && action) {
            if (strcmp(action, "Pass") == 0)
                td.default_pass = 1;
            else if (strcmp(action, "Deny") != 0)
                pv_err(c, ynode_get(spec, "defaultAction"),
                       "invalid defaultAction '%s': use Deny or Pass", action);
        }
    }
    if (name) {
        /* CEL on tier.go (v3.32) and validator.go validateTier (v3.29-v3.31):
         * the well-known tiers' order is fixed, and but for the two admin
         * tiers of v3.29-v3.31 their default action too (those are created
         * with Pass, and a Tier object may say otherwise: §15.2). */
        static const struct {
            const char *name;
            double order;
            int pass;
            int action_fixed;
        } fixed[] = {{"default", 1000000.0, 0, 1},
                     {"kube-admin", 1000.0, 1, 1},
                     {"kube-baseline", 10000000.0, 1, 1},
                     {"adminnetworkpolicy", 1000.0, 1, 0},
                     {"baselineadminnetworkpolicy", 10000000.0, 1, 0}};

        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
            if (strcmp(name, fixed[i].name) != 0)
                continue;
            if (td.has_order && td.order != fixed[i].order)
                pv_err(c, ynode_get(spec, "order"), "the %s tier's order must be %.0f", name,
                       fixed[i].order);
            if (action && td.default_pass != fixed[i].pass && fixed[i].action_fixed)
                pv_err(c, ynode_get(spec, "defaultAction"),
                       "the %s tier's defaultAction must be %s", name,
                       fixed[i].pass ? "Pass" : "Deny");
            else if (action && td.default_pass != fixed[i].pass)
                pv_warn(c, ynode_get(spec, "defaultAction"),
                        "Calico creates the %s tier with defaultAction Pass; with %s, "
                        "every flow a policy of this tier selects and none decides is denied",
                        name, action);
            td.has_order = 1;
            td.order = fixed[i].order;
            if (!action)
                td.default_pass = fixed[i].pass;
        }
    }
    if (c->errors != errs || !name)
        return;
    for (size_t i = 0; i < c->ntiers; i++) {
        if (strcmp(c->tiers[i].name, name) == 0) {
            pv_err(c, doc, "duplicate Tier '%s' (first defined at %s:%u)", name, c->tiers[i].file,
                   c->tiers[i].line);
            return;
        }
    }
    td.name = name;
    td.file = c->file;
    td.line = doc->line;
    ALLOC_GROW(c->tiers, c->ntiers + 1, c->atiers);
    c->tiers[c->ntiers++] = td;
}

/*
 * NetworkSet / GlobalNetworkSet: labelled CIDRs (networkset.go; validator
 * validateNetworkSet; the "cidr" tag: plain addresses allowed, host bits
 * masked, §2.3).
 */
static void read_netset(struct pol_ctx *c, const struct ynode *doc, int global)
{
    static const char *const fields[] = {"nets", NULL};
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec"), *nets;
    const char *name = NULL, *ns = NULL;
    struct netset ns_out;
    unsigned errs = c->errors;
    const struct ynode *labels;

    memset(&ns_out, 0, sizeof(ns_out));
    if (pv_meta(c, doc, !global, &name, &ns, &meta) != 0)
        return;
    if (name && !pv_is_dns_subdomain(name))
        pv_err(c, ynode_get(meta, "name"), "invalid %s name '%s'",
               global ? "GlobalNetworkSet" : "NetworkSet", name);
    pv_meta_labels(c, meta);
    labels = ynode_get(meta, "labels");
    if (ynode_get(labels, "projectcalico.org/namespace"))
        pv_err(c, ynode_get(labels, "projectcalico.org/namespace"),
               "projectcalico.org/namespace is not a valid label name here");
    if (pv_map(c, spec, "spec") == 0)
        pv_fields(c, spec, fields, "spec");
    nets = ynode_get(spec, "nets");
    if (c->errors != errs || !name)
        return;
    labels_init(&ns_out.labels);
    if (labels && labels->kind == YNODE_MAP) {
        for (size_t i = 0; i < labels->u.map.n; i++) {
            const struct ynode *v = labels->u.map.pairs[i].value;

            if (labels_set(&ns_out.labels, labels->u.map.pairs[i].key->u.scalar.s,
                           ynode_is_null(v) ? "" : v->u.scalar.s) != 0)
                pv_err(c, labels, "too many labels");
        }
    }
    if (!global && labels_set(&ns_out.labels, "projectcalico.org/namespace", ns) != 0)
        pv_err(c, labels, "too many labels");
    if (pv_seq(c, nets, "spec.nets") == 0) {
        ns_out.nets = arena_calloc(c->a, nets->u.seq.n ? nets->u.seq.n : 1, sizeof(*ns_out.nets));
        for (size_t i = 0; i < nets->u.seq.n; i++) {
            const char *s = NULL;

            if (pv_str(c, nets->u.seq.items[i], "spec.nets", &s) != 0)
                continue;
            if (cidr_parse(s, strlen(s), &ns_out.nets[ns_out.nnets], NULL) != 0)
                pv_err(c, nets->u.seq.items[i], "invalid CIDR '%s' in 'spec.nets'", s);
            else
                ns_out.nnets++;
        }
    }
    if (c->errors != errs) {
        labels_release(&ns_out.labels);
        return;
    }
    for (size_t i = 0; i < c->nsets; i++) {
        const struct netset *o = &c->sets[i];

        if (strcmp(o->name, name) == 0 && (!o->ns) == global &&
            (global || strcmp(o->ns, ns) == 0)) {
            pv_err(c, doc, "duplicate %s '%s%s%s'", global ? "GlobalNetworkSet" : "NetworkSet",
                   global ? "" : ns, global ? "" : "/", name);
            labels_release(&ns_out.labels);
            return;
        }
    }
    ns_out.name = name;
    ns_out.ns = global ? NULL : ns;
    ALLOC_GROW(c->sets, c->nsets + 1, c->asets);
    c->sets[c->nsets++] = ns_out;
}

/*
 * HostEndpoint (hostendpoint.go; its CEL rules and validator.go): node
 * required; interfaceName "*" or 1-15 of [A-Za-z0-9_.-]; at least one of
 * interfaceName and expectedIPs; expectedIPs plain addresses, a set;
 * profiles resource names, a set; ports {name (a port name), protocol
 * supporting ports, port 1-65535} (§17.1).
 */
static void read_hostep(struct pol_ctx *c, const struct ynode *doc)
{
    static const char *const fields[] = {"node",     "interfaceName", "expectedIPs",
                                         "profiles", "ports",         NULL};
    static const char *const port_fields[] = {"name", "protocol", "port", NULL};
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec"), *n, *labels;
    const char *name = NULL, *ns = NULL, *s = NULL;
    struct hostep h;
    unsigned errs = c->errors;

    memset(&h, 0, sizeof(h));
    if (pv_meta(c, doc, 0, &name, &ns, &meta) != 0)
        return;
    if (name && !pv_is_dns_subdomain(name))
        pv_err(c, ynode_get(meta, "name"), "invalid HostEndpoint name '%s'", name);
    pv_meta_labels(c, meta);
    if (pv_map(c, spec, "spec") != 0) {
        pv_err(c, doc, "a HostEndpoint needs a spec with its node");
        return;
    }
    pv_fields(c, spec, fields, "spec");
    n = ynode_get(spec, "node");
    if (read_str(c, spec, "node", "spec.node", &s) == 0) {
        if (!s)
            pv_err(c, n ? n : spec, "node must be specified ('spec.node')");
        else if (strlen(s) > 253 || !pv_is_dns_subdomain(s))
            pv_err(c, n, "invalid node name '%s' in 'spec.node'", s);
        else
            h.node = arena_strdup(c->a, s);
    }
    n = ynode_get(spec, "interfaceName");
    s = NULL;
    if (read_str(c, spec, "interfaceName", "spec.interfaceName", &s) == 0 && s) {
        if (strcmp(s, "*") != 0 &&
            (strlen(s) > 15 ||
             strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                 strlen(s)))
            pv_err(c, n,
                   "invalid interface name '%s' in 'spec.interfaceName': \"*\" or 1-15 of "
                   "[A-Za-z0-9_.-]",
                   s);
        else
            h.iface = arena_strdup(c->a, s);
    }
    n = ynode_get(spec, "expectedIPs");
    if (pv_seq(c, n, "spec.expectedIPs") == 0) {
        h.ips = arena_calloc(c->a, n->u.seq.n ? n->u.seq.n : 1, sizeof(*h.ips));
        for (size_t i = 0; i < n->u.seq.n; i++) {
            const struct ynode *it = n->u.seq.items[i];

            s = NULL;
            if (pv_str(c, it, "spec.expectedIPs", &s) != 0)
                continue;
            if (ipaddr_parse(s, strlen(s), &h.ips[h.nips]) != 0) {
                pv_err(c, it, "invalid IP address '%s' in 'spec.expectedIPs'", s);
                continue;
            }
            for (size_t j = 0; j < h.nips; j++)
                if (ipaddr_cmp(&h.ips[j], &h.ips[h.nips]) == 0)
                    pv_err(c, it, "duplicate address '%s' in 'spec.expectedIPs' (a set)", s);
            h.nips++;
        }
    }
    if (!h.iface && !h.nips && c->errors == errs)
        pv_err(c, spec, "at least one of interfaceName or expectedIPs must be specified");
    n = ynode_get(spec, "profiles");
    if (pv_seq(c, n, "spec.profiles") == 0) {
        h.profiles = arena_calloc(c->a, n->u.seq.n ? n->u.seq.n : 1, sizeof(*h.profiles));
        for (size_t i = 0; i < n->u.seq.n; i++) {
            const struct ynode *it = n->u.seq.items[i];

            s = NULL;
            if (pv_str(c, it, "spec.profiles", &s) != 0)
                continue;
            if (!*s || !pv_is_dns_subdomain(s)) {
                pv_err(c, it, "invalid profile name '%s' in 'spec.profiles'", s);
                continue;
            }
            for (size_t j = 0; j < h.nprofiles; j++)
                if (strcmp(h.profiles[j], s) == 0)
                    pv_err(c, it, "duplicate profile '%s' in 'spec.profiles' (a set)", s);
            if (!hostep_profile_allows(s))
                pv_warn(c, it,
                        "profile '%s' is not modelled (only projectcalico-default-allow is); "
                        "traffic of this host endpoint that reaches its profiles is judged "
                        "unknown",
                        s);
            h.profiles[h.nprofiles++] = arena_strdup(c->a, s);
        }
    }
    n = ynode_get(spec, "ports");
    if (pv_seq(c, n, "spec.ports") == 0) {
        h.ports = arena_calloc(c->a, n->u.seq.n ? n->u.seq.n : 1, sizeof(*h.ports));
        for (size_t i = 0; i < n->u.seq.n; i++) {
            const struct ynode *it = n->u.seq.items[i];
            char w[64];
            int proto = -1, by_name = 0;
            long port = 0;

            snprintf(w, sizeof(w), "spec.ports[%zu]", i);
            if (pv_map(c, it, w) != 0)
                continue;
            pv_fields(c, it, port_fields, w);
            s = NULL;
            if (read_str(c, it, "name", "spec.ports.name", &s) == 0 &&
                (!s || !pv_is_port_name(s))) {
                pv_err(c, ynode_get(it, "name") ? ynode_get(it, "name") : it,
                       "invalid port name '%s' in '%s'", s ? s : "", w);
                continue;
            }
            if (read_protocol(c, ynode_get(it, "protocol"), "spec.ports.protocol", &proto,
                              &by_name) != 0)
                continue;
            if (proto != 6 && proto != 17 && proto != 132 && proto != 136) {
                pv_err(c, ynode_get(it, "protocol") ? ynode_get(it, "protocol") : it,
                       "EndpointPort protocol does not support ports in '%s'", w);
                continue;
            }
            if (ynode_is_null(ynode_get(it, "port"))) {
                pv_err(c, it, "'%s.port' is required", w);
                continue;
            }
            if (pv_int(c, ynode_get(it, "port"), "spec.ports.port", 1, 65535, &port) != 0)
                continue;
            h.ports[h.nports].name = arena_strdup(c->a, s);
            h.ports[h.nports].proto = proto;
            h.ports[h.nports].port = (uint16_t)port;
            h.nports++;
        }
    }
    if (c->errors != errs || !name)
        return;
    for (size_t i = 0; i < c->nheps; i++) {
        if (strcmp(c->heps[i].name, name) == 0) {
            pv_err(c, doc, "duplicate HostEndpoint '%s' (also defined at %s:%u)", name,
                   c->heps[i].file, c->heps[i].line);
            return;
        }
    }
    labels_init(&h.labels);
    labels = ynode_get(meta, "labels");
    if (labels && labels->kind == YNODE_MAP) {
        for (size_t i = 0; i < labels->u.map.n; i++) {
            const struct ynode *v = labels->u.map.pairs[i].value;

            if (labels_set(&h.labels, labels->u.map.pairs[i].key->u.scalar.s,
                           ynode_is_null(v) ? "" : v->u.scalar.s) != 0) {
                pv_err(c, labels, "too many labels");
                labels_release(&h.labels);
                return;
            }
        }
    }
    h.name = name;
    h.file = c->file;
    h.line = doc->line;
    ALLOC_GROW(c->heps, c->nheps + 1, c->aheps);
    c->heps[c->nheps++] = h;
}

int hostep_profile_allows(const char *profile)
{
    /* libcalico-go/lib/resources/static.go: Ingress and Egress [{Action: Allow}]. */
    return strcmp(profile, "projectcalico-default-allow") == 0;
}

void pc_read_object(struct pol_ctx *c, const struct ynode *doc, const char *kind)
{
    if (strcmp(kind, "NetworkPolicy") == 0)
        read_policy(c, doc, POL_NP);
    else if (strcmp(kind, "GlobalNetworkPolicy") == 0)
        read_policy(c, doc, POL_GNP);
    else if (strcmp(kind, "StagedNetworkPolicy") == 0)
        read_policy(c, doc, POL_SNP);
    else if (strcmp(kind, "StagedGlobalNetworkPolicy") == 0)
        read_policy(c, doc, POL_SGNP);
    else if (strcmp(kind, "Tier") == 0)
        read_tier(c, doc);
    else if (strcmp(kind, "NetworkSet") == 0)
        read_netset(c, doc, 0);
    else if (strcmp(kind, "GlobalNetworkSet") == 0)
        read_netset(c, doc, 1);
    else if (strcmp(kind, "HostEndpoint") == 0)
        read_hostep(c, doc);
}
