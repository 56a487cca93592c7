/*
 * pol_felix.c: the Calico configuration objects that change verdicts
 * without being policy (docs/semantics.md §11, §13):
 *
 *   - FelixConfiguration: defaultEndpointToHostAction (workload -> own
 *     host, after the workload's egress policy), failsafeInboundHostPorts
 *     and failsafeOutboundHostPorts (host endpoints, issue 13), vxlanPort,
 *     allowVXLANPacketsFromWorkloads and allowIPIPPacketsFromWorkloads
 *     (encapsulated traffic Felix drops from workloads before policy);
 *   - IPPool: the cluster's pod networks, inside which an address without
 *     an identity is an unnamed pod, never an outside address.
 *
 * A FelixConfiguration has some two hundred fields, nearly all about the
 * dataplane's plumbing: only the ones above are read (and checked as
 * api/pkg/apis/projectcalico/v3/felixconfig.go types them); the others
 * are left alone rather than reported as unknown.
 *
 * felix_effective() resolves one node's values: the node.<node> object,
 * then default, then Felix's built-in default (felix/config/
 * config_params.go), but for defaultEndpointToHostAction, whose default is
 * ACCEPT because every Calico install sets it so through the environment.
 */
#include "analyze/policy/policy.h"

#include <string.h>
#include <strings.h>

#include "analyze/policy/pol_int.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* Felix's defaults (felix/config/config_params.go:442-443 at calico
 * 87c15906): FailsafeInboundHostPorts and FailsafeOutboundHostPorts. */
static const struct failsafe_port failsafe_in_default[] = {
    {6, 22, 0, {{0, {0}}, 0}},   {17, 68, 0, {{0, {0}}, 0}},  {6, 179, 0, {{0, {0}}, 0}},
    {6, 2379, 0, {{0, {0}}, 0}}, {6, 2380, 0, {{0, {0}}, 0}}, {6, 5473, 0, {{0, {0}}, 0}},
    {6, 6443, 0, {{0, {0}}, 0}}, {6, 6666, 0, {{0, {0}}, 0}}, {6, 6667, 0, {{0, {0}}, 0}}};
static const struct failsafe_port failsafe_out_default[] = {
    {17, 53, 0, {{0, {0}}, 0}},  {17, 67, 0, {{0, {0}}, 0}},  {6, 179, 0, {{0, {0}}, 0}},
    {6, 2379, 0, {{0, {0}}, 0}}, {6, 2380, 0, {{0, {0}}, 0}}, {6, 5473, 0, {{0, {0}}, 0}},
    {6, 6443, 0, {{0, {0}}, 0}}, {6, 6666, 0, {{0, {0}}, 0}}, {6, 6667, 0, {{0, {0}}, 0}}};

const char *felix_to_host_name(enum felix_to_host a)
{
    switch (a) {
    case TOHOST_DROP:
        return "Drop";
    case TOHOST_ACCEPT:
        return "Accept";
    case TOHOST_RETURN:
        return "Return";
    }
    return "?";
}

/*
 * A ProtoPort list (felixconfig.go ProtoPort: protocol, port, net).  The
 * validator admits TCP, UDP and SCTP, but Felix's port-list parser takes
 * only tcp and udp (felix/config/param_types.go) and will not start on
 * another, so SCTP is an error here; an absent protocol is TCP, as Felix
 * reads a bare port.
 */
static void read_ports(struct pol_ctx *c, const struct ynode *seq, const char *what,
                       struct failsafe_port **out, size_t *n)
{
    static const char *const fields[] = {"protocol", "port", "net", NULL};

    *out = arena_calloc(c->a, seq->u.seq.n ? seq->u.seq.n : 1, sizeof(**out));
    *n = 0;
    for (size_t i = 0; i < seq->u.seq.n; i++) {
        const struct ynode *e = seq->u.seq.items[i];
        struct failsafe_port fp;
        const char *proto = NULL, *net = NULL;
        long port = 0;
        unsigned errs = c->errors;
        char w[96];

        memset(&fp, 0, sizeof(fp));
        if (pv_map(c, e, what) != 0)
            continue;
        pv_fields(c, e, fields, what);
        pv_path(w, sizeof(w), what, "protocol");
        (void)pv_str(c, ynode_get(e, "protocol"), w, &proto);
        pv_path(w, sizeof(w), what, "port");
        if (!ynode_get(e, "port"))
            pv_err(c, e, "'%s' is required", w);
        else
            (void)pv_int(c, ynode_get(e, "port"), w, 1, 65535, &port);
        pv_path(w, sizeof(w), what, "net");
        (void)pv_str(c, ynode_get(e, "net"), w, &net);
        fp.proto = 6;
        if (proto && *proto) {
            if (!strcasecmp(proto, "udp"))
                fp.proto = 17;
            else if (strcasecmp(proto, "tcp") != 0)
                pv_err(c, ynode_get(e, "protocol"),
                       "failsafe protocol '%s': Felix takes TCP and UDP only (and would not "
                       "start)",
                       proto);
        }
        if (net && *net) {
            if (cidr_parse(net, strlen(net), &fp.net, NULL) != 0)
                pv_err(c, ynode_get(e, "net"), "invalid CIDR '%s' in '%s'", net, w);
            else
                fp.has_net = !cidr_is_catchall(&fp.net);
        }
        if (c->errors != errs)
            continue;
        fp.port = (uint16_t)port;
        (*out)[(*n)++] = fp;
    }
}

void pf_read_felixconfig(struct pol_ctx *c, const struct ynode *doc)
{
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec"), *n;
    const char *name = NULL, *ns = NULL, *s = NULL;
    struct felix_config fc;
    unsigned errs = c->errors;

    memset(&fc, 0, sizeof(fc));
    c->config_objects++;
    if (pv_meta(c, doc, 0, &name, &ns, &meta) != 0 || !name)
        return;
    fc.name = name;
    if (!strncmp(name, "node.", 5) && name[5])
        fc.node = name + 5;
    else if (strcmp(name, "default") != 0)
        fc.selector_scoped = 1;
    if (spec && pv_map(c, spec, "spec") != 0)
        return;
    n = ynode_get(spec, "defaultEndpointToHostAction");
    if (pv_str(c, n, "spec.defaultEndpointToHostAction", &s) == 0 && s && *s) {
        /* Pattern ^(?i)(Drop|Accept|Return)?$ (felixconfig.go). */
        fc.has_to_host = 1;
        if (!strcasecmp(s, "Drop"))
            fc.to_host = TOHOST_DROP;
        else if (!strcasecmp(s, "Accept"))
            fc.to_host = TOHOST_ACCEPT;
        else if (!strcasecmp(s, "Return"))
            fc.to_host = TOHOST_RETURN;
        else
            pv_err(c, n, "invalid defaultEndpointToHostAction '%s': use Drop, Accept or Return", s);
    }
    n = ynode_get(spec, "failsafeInboundHostPorts");
    if (n && !ynode_is_null(n) && pv_seq(c, n, "spec.failsafeInboundHostPorts") == 0) {
        fc.has_failsafe_in = 1;
        read_ports(c, n, "spec.failsafeInboundHostPorts[]", &fc.failsafe_in, &fc.nfailsafe_in);
    }
    n = ynode_get(spec, "failsafeOutboundHostPorts");
    if (n && !ynode_is_null(n) && pv_seq(c, n, "spec.failsafeOutboundHostPorts") == 0) {
        fc.has_failsafe_out = 1;
        read_ports(c, n, "spec.failsafeOutboundHostPorts[]", &fc.failsafe_out, &fc.nfailsafe_out);
    }
    n = ynode_get(spec, "vxlanPort");
    if (n && !ynode_is_null(n)) {
        long v = 0;

        if (pv_int(c, n, "spec.vxlanPort", 1, 65535, &v) == 0) {
            fc.has_vxlan_port = 1;
            fc.vxlan_port = (uint16_t)v;
        }
    }
    n = ynode_get(spec, "allowVXLANPacketsFromWorkloads");
    if (n && !ynode_is_null(n) &&
        pv_bool(c, n, "spec.allowVXLANPacketsFromWorkloads", &fc.allow_vxlan) == 0)
        fc.has_allow_vxlan = 1;
    n = ynode_get(spec, "allowIPIPPacketsFromWorkloads");
    if (n && !ynode_is_null(n) &&
        pv_bool(c, n, "spec.allowIPIPPacketsFromWorkloads", &fc.allow_ipip) == 0)
        fc.has_allow_ipip = 1;
    if (c->errors != errs)
        return;
    for (size_t i = 0; i < c->nfelix; i++) {
        if (strcmp(c->felix[i].name, name) == 0) {
            pv_err(c, doc, "duplicate FelixConfiguration '%s' (first defined at %s:%u)", name,
                   c->felix[i].file, c->felix[i].line);
            return;
        }
    }
    if (fc.selector_scoped)
        pv_warn(c, meta,
                "FelixConfiguration '%s' is neither 'default' nor 'node.<name>': which nodes it "
                "applies to (spec.nodeSelector) is not modelled; ignored",
                name);
    if (fc.has_to_host)
        pv_warn(c, ynode_get(spec, "defaultEndpointToHostAction"),
                "defaultEndpointToHostAction applies only where calico-node does not set "
                "FELIX_DEFAULTENDPOINTTOHOSTACTION; Calico's manifests, Helm chart and operator "
                "set it to ACCEPT, which wins over this field");
    fc.file = c->file;
    fc.line = doc->line;
    ALLOC_GROW(c->felix, c->nfelix + 1, c->afelix);
    c->felix[c->nfelix++] = fc;
}

void pf_read_ippool(struct pol_ctx *c, const struct ynode *doc)
{
    const struct ynode *meta = NULL, *spec = ynode_get(doc, "spec"), *uses;
    const char *name = NULL, *ns = NULL, *cidr = NULL;
    struct ippool p;
    unsigned errs = c->errors;

    memset(&p, 0, sizeof(p));
    c->config_objects++;
    if (pv_meta(c, doc, 0, &name, &ns, &meta) != 0 || !name)
        return;
    if (pv_map(c, spec, "spec") != 0) {
        if (!spec)
            pv_err(c, doc, "'spec.cidr' is required");
        return;
    }
    if (pv_str(c, ynode_get(spec, "cidr"), "spec.cidr", &cidr) < 0)
        return;
    if (!cidr || !*cidr) {
        pv_err(c, spec, "'spec.cidr' is required");
        return;
    }
    if (cidr_parse(cidr, strlen(cidr), &p.cidr, NULL) != 0)
        pv_err(c, ynode_get(spec, "cidr"), "invalid CIDR '%s' in 'spec.cidr'", cidr);
    (void)pv_bool(c, ynode_get(spec, "disabled"), "spec.disabled", &p.disabled);
    /* allowedUses defaults to [Workload, Tunnel] (ippool.go). */
    uses = ynode_get(spec, "allowedUses");
    p.workload = 1;
    if (uses && !ynode_is_null(uses) && pv_seq(c, uses, "spec.allowedUses") == 0 && uses->u.seq.n) {
        p.workload = 0;
        for (size_t i = 0; i < uses->u.seq.n; i++) {
            const char *u = NULL;

            if (pv_str(c, uses->u.seq.items[i], "spec.allowedUses[]", &u) == 0 && u &&
                (!strcmp(u, "Workload") || !strcmp(u, "Tunnel")))
                p.workload = 1;
        }
    }
    if (c->errors != errs)
        return;
    for (size_t i = 0; i < c->npools; i++) {
        if (strcmp(c->pools[i].name, name) == 0) {
            pv_err(c, doc, "duplicate IPPool '%s'", name);
            return;
        }
    }
    p.name = name;
    ALLOC_GROW(c->pools, c->npools + 1, c->apools);
    c->pools[c->npools++] = p;
}

/* The FelixConfiguration "node.<node>", or with node NULL "default"; NULL
 * when there is none. */
static const struct felix_config *felix_find(const struct policy_set *ps, const char *node)
{
    for (size_t i = 0; i < ps->nfelix; i++) {
        const struct felix_config *f = &ps->felix[i];

        if (node ? f->node && !strcmp(f->node, node) : !strcmp(f->name, "default"))
            return f;
    }
    return NULL;
}

void felix_effective(const struct policy_set *ps, const char *node, struct felix_eff *out)
{
    const struct felix_config *scope[2];

    memset(out, 0, sizeof(*out));
    scope[0] = node ? felix_find(ps, node) : NULL; /* node.<node> wins */
    scope[1] = felix_find(ps, NULL);
    out->to_host = TOHOST_ACCEPT;
    out->failsafe_in = failsafe_in_default;
    out->nfailsafe_in = ARRAY_SIZE(failsafe_in_default);
    out->failsafe_out = failsafe_out_default;
    out->nfailsafe_out = ARRAY_SIZE(failsafe_out_default);
    out->vxlan_port = 4789;
    /* The lower scope first, so that the higher one overwrites. */
    for (int i = 1; i >= 0; i--) {
        const struct felix_config *f = scope[i];

        if (!f)
            continue;
        if (f->has_to_host) {
            out->to_host = f->to_host;
            out->to_host_by = f;
        }
        if (f->has_failsafe_in) {
            out->failsafe_in = f->failsafe_in;
            out->nfailsafe_in = f->nfailsafe_in;
        }
        if (f->has_failsafe_out) {
            out->failsafe_out = f->failsafe_out;
            out->nfailsafe_out = f->nfailsafe_out;
        }
        if (f->has_vxlan_port)
            out->vxlan_port = f->vxlan_port;
        if (f->has_allow_vxlan)
            out->allow_vxlan = f->allow_vxlan;
        if (f->has_allow_ipip)
            out->allow_ipip = f->allow_ipip;
    }
}

const struct ippool *policy_pod_pool(const struct policy_set *ps, const struct ipaddr *ip)
{
    for (size_t i = 0; i < ps->nippools; i++)
        if (ps->ippools[i].workload && cidr_contains(&ps->ippools[i].cidr, ip))
            return &ps->ippools[i];
    return NULL;
}
