/*
 * pol_model.c: every v3 policy (read by pol_calico.c, or converted from a
 * Kubernetes one by pol_k8s.c) turned into the backend model the engine
 * evaluates (policy.h).
 *
 * This mirrors libcalico-go's update processors
 * (syncersv1/updateprocessors/{networkpolicyprocessor,
 * globalnetworkpolicyprocessor,rules,selectors}.go; docs/semantics.md
 * §2): Calico builds each effective selector by pasting selector TEXT
 * together, after canonicalising the prefixed parts (parse, prefix, print)
 * and with plain string replacement of "all()" and "global()" (which also
 * hits an "all()" inside a quoted value).  We do exactly that, then parse the
 * result once.
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

/* --- v3 policy -> model -------------------------------------------------------- */

/* Replace every occurrence of from in s by to (strings.Replace(s, from, to, -1)). */
static char *replace_all(struct pol_ctx *c, const char *s, const char *from, const char *to)
{
    struct buf b;
    size_t flen = strlen(from);
    const char *p;
    char *out;

    if (!strstr(s, from))
        return (char *)s;
    buf_init(&b, 0);
    while ((p = strstr(s, from))) {
        if (buf_add(&b, s, (size_t)(p - s)) != 0 || buf_addstr(&b, to) != 0)
            break;
        s = p + flen;
    }
    if (buf_addstr(&b, s) != 0)
        pv_err(c, NULL, "selector too long after rewriting");
    out = arena_strdup(c->a, b.data);
    buf_release(&b);
    return out;
}

/* parseSelectorAttachPrefix: parse, prefix every label, print in Calico's
 * canonical form.  NULL when s does not parse (Calico then uses ""). */
static const char *canon_prefixed(struct pol_ctx *c, const char *s, const char *prefix)
{
    struct sel *sel = NULL, *p;
    struct sel_error err;
    struct buf b;
    const char *out = NULL;

    if (sel_parse(c->a, s, strlen(s), &sel, &err) != 0)
        return NULL;
    p = prefix ? sel_prefixed(c->a, sel, prefix) : sel;
    buf_init(&b, 0);
    if (sel_format(p, &b) == 0)
        out = arena_strdup(c->a, b.data);
    buf_release(&b);
    return out;
}

/* The ways Calico pastes two selector texts together. */
enum join_form {
    JOIN_AND_RAW,  /* "(%s) && %s"   (selectors.go, networkpolicyprocessor.go) */
    JOIN_AND_BOTH, /* "(%s) && (%s)" (rules.go) */
    JOIN_EQ_QUOTED /* "%s == '%s'"   (a label equal to a value) */
};

/* The pieces are added, not formatted: buf_addf() into an empty buffer
 * runs vsnprintf twice, and every rule's selector comes through here.  The
 * limit is the buffer's either way (the whole text past LIM_BUF_DEFAULT). */
static const char *join2(struct pol_ctx *c, enum join_form form, const char *x, const char *y)
{
    static const char *const parts[][3] = {
        [JOIN_AND_RAW] = {"(", ") && ", ""},
        [JOIN_AND_BOTH] = {"(", ") && (", ")"},
        [JOIN_EQ_QUOTED] = {"", " == '", "'"},
    };
    const char *const *p = parts[form];
    struct buf b;
    const char *out;
    int rc;

    buf_init(&b, 0);
    rc = buf_addstr(&b, p[0]);
    if (!rc)
        rc = buf_addstr(&b, x);
    if (!rc)
        rc = buf_addstr(&b, p[1]);
    if (!rc)
        rc = buf_addstr(&b, y);
    if (!rc)
        rc = buf_addstr(&b, p[2]);
    if (rc != 0) {
        buf_release(&b);
        pv_err(c, NULL, "selector too long after rewriting");
        return x;
    }
    out = arena_strdup(c->a, b.data);
    buf_release(&b);
    return out;
}

/* selectors.go prefixAndAppendSelector. */
static const char *prefix_and_append(struct pol_ctx *c, const char *cur, const char *add,
                                     const char *prefix)
{
    const char *p;

    if (!add || !*add)
        return cur;
    p = canon_prefixed(c, add, prefix);
    if (!p || !*p)
        return cur;
    return *cur ? join2(c, JOIN_AND_RAW, cur, p) : p;
}

/* rules.go parseServiceAccounts. */
static const char *sa_selector_text(struct pol_ctx *c, const struct v3_entity *e)
{
    const char *updated = "";
    const char *names;
    struct buf b;

    if (e->sa_selector) {
        const char *p = canon_prefixed(c, e->sa_selector, "pcsa.");

        updated = p ? p : "";
    }
    if (!e->nsa_names)
        return updated;
    buf_init(&b, 0);
    if (buf_addstr(&b, "projectcalico.org/serviceaccount in { '") != 0)
        goto out_fail;
    for (size_t i = 0; i < e->nsa_names; i++)
        if ((i && buf_addstr(&b, "', '") != 0) || buf_addstr(&b, e->sa_names[i]) != 0)
            goto out_fail;
    if (buf_addstr(&b, "' }") != 0)
        goto out_fail;
    names = canon_prefixed(c, b.data, NULL);
    buf_release(&b);
    if (!names) {
        /* A name with a quote in it: Calico logs and drops the whole
         * service-account match. */
        pv_warn(c, e->n_self,
                "serviceAccounts.names do not form a valid selector; Calico "
                "ignores this service account match");
        return "";
    }
    return *updated ? join2(c, JOIN_AND_BOTH, updated, names) : names;
out_fail:
    buf_release(&b);
    pv_err(c, e->n_self, "serviceAccounts.names too long");
    return "";
}

/* rules.go getEndpointSelector. */
static const char *entity_selector_text(struct pol_ctx *c, const struct v3_entity *e,
                                        const char *ns)
{
    const char *nssel = "", *sel = "", *sa;

    if (e->nsselector) {
        const char *p = canon_prefixed(c, e->nsselector, "pcns.");

        nssel = p ? p : "";
        nssel = replace_all(c, nssel, "all()", "has(projectcalico.org/namespace)");
        nssel = replace_all(c, nssel, "global()", "!has(projectcalico.org/namespace)");
    } else if (ns) {
        nssel = join2(c, JOIN_EQ_QUOTED, "projectcalico.org/namespace", ns);
    }
    sa = e->has_sa ? sa_selector_text(c, e) : "";
    if (*sa && e->selector)
        sel = join2(c, JOIN_AND_BOTH, sa, e->selector);
    else if (*sa)
        sel = sa;
    else if (e->selector)
        sel = e->selector;
    if (*nssel && (*sel || e->notselector || e->nsselector))
        sel = *sel ? join2(c, JOIN_AND_BOTH, nssel, sel) : nssel;
    return sel;
}

/* Parse rewritten selector text; store AST and canonical text. */
static int finish_selector(struct pol_ctx *c, const struct ynode *where, const char *text,
                           const char *what, struct sel **sel, const char **canon)
{
    struct sel_error err;
    struct buf b;

    if (sel_parse(c->a, text, strlen(text), sel, &err) != 0) {
        pv_err(c, where,
               "%s: Calico's rewriting gives the selector '%s', which does not "
               "parse (%s)",
               what, text, err.msg);
        return -1;
    }
    buf_init(&b, 0);
    *canon = sel_format(*sel, &b) == 0 ? arena_strdup(c->a, b.data) : arena_strdup(c->a, text);
    buf_release(&b);
    return 0;
}

static int convert_entity(struct pol_ctx *c, const struct v3_rule *vr, const struct v3_entity *ve,
                          const char *ns, struct entity *e)
{
    const char *text = entity_selector_text(c, ve, ns);
    const struct ynode *where = ve->n_self ? ve->n_self : vr->n_self;

    memset(e, 0, sizeof(*e));
    if (*text && finish_selector(c, where, text, "rule selector", &e->sel, &e->sel_text) != 0)
        return -1;
    if (ve->notselector &&
        finish_selector(c, where, ve->notselector, "notSelector", &e->notsel, &e->notsel_text) != 0)
        return -1;
    e->nets = ve->nets;
    e->nnets = ve->nnets;
    e->notnets = ve->notnets;
    e->nnotnets = ve->nnotnets;
    e->ports = ve->ports;
    e->nports = ve->nports;
    e->notports = ve->notports;
    e->nnotports = ve->nnotports;
    if (ve->has_svc) {
        e->svc_name = ve->svc_name ? arena_strdup(c->a, ve->svc_name) : NULL;
        e->svc_ns = ve->svc_ns ? arena_strdup(c->a, ve->svc_ns) : ns;
    }
    return 0;
}

static struct rule *convert_rules(struct pol_ctx *c, const struct v3_rule *vr, size_t n,
                                  const char *ns)
{
    struct rule *out = arena_calloc(c->a, n ? n : 1, sizeof(*out));

    for (size_t i = 0; i < n; i++) {
        struct rule *r = &out[i];

        r->action = vr[i].action;
        r->proto = vr[i].proto;
        r->notproto = vr[i].notproto;
        /* rule_convert.go ipVersionToProtoIPVersion: only the names ICMP and
         * ICMPv6 imply a family; 1 and 58 imply nothing. */
        r->ip_version = vr[i].ip_version;
        if (!r->ip_version && vr[i].proto_by_name && vr[i].proto == 1)
            r->ip_version = 4;
        if (!r->ip_version && vr[i].proto_by_name && vr[i].proto == 58)
            r->ip_version = 6;
        r->icmp = vr[i].icmp;
        r->noticmp = vr[i].noticmp;
        r->name = vr[i].name ? arena_strdup(c->a, vr[i].name) : NULL;
        r->src_rule = vr[i].src_rule1 - 1;
        r->fail_closed = vr[i].fail_closed;
        r->file = c->file;
        r->line = vr[i].line;
        r->col = vr[i].col;
        (void)convert_entity(c, &vr[i], &vr[i].src, ns, &r->src);
        (void)convert_entity(c, &vr[i], &vr[i].dst, ns, &r->dst);
    }
    return out;
}

/*
 * The effective endpoint selector (§2.1): networkpolicyprocessor.go for
 * namespaced kinds, globalnetworkpolicyprocessor.go for global ones.  The
 * user's own selector text is pasted in raw, as Calico does.
 */
static const char *policy_selector_text(struct pol_ctx *c, const struct v3_policy *vp)
{
    const char *sel = vp->selector ? vp->selector : "";

    if (vp->ns) {
        const char *nsc = join2(c, JOIN_EQ_QUOTED, "projectcalico.org/namespace", vp->ns);

        sel = *sel ? join2(c, JOIN_AND_RAW, sel, nsc) : nsc;
        return prefix_and_append(c, sel, vp->sa_selector, "pcsa.");
    }
    if (vp->ns_selector) {
        sel = prefix_and_append(c, sel, vp->ns_selector, "pcns.");
        sel = replace_all(c, sel, "all()", "has(projectcalico.org/namespace)");
    }
    if (vp->sa_selector) {
        sel = prefix_and_append(c, sel, vp->sa_selector, "pcsa.");
        sel = replace_all(c, sel, "all()", "has(projectcalico.org/serviceaccount)");
    }
    return sel;
}

void pm_add_policy(struct pol_ctx *c, const struct v3_policy *vp)
{
    struct policy p;
    const char *text;
    unsigned errs = c->errors;

    memset(&p, 0, sizeof(p));
    p.kind = vp->kind;
    p.name = vp->name;
    p.ns = vp->ns;
    p.tier = arena_strdup(c->a, vp->tier); /* the YAML tree goes with its file */
    p.has_order = vp->has_order;
    p.order = vp->order;
    p.priority = vp->priority;
    p.types_v329 = vp->types_v329;
    p.staged = vp->staged;
    p.staged_delete = vp->staged_delete;
    p.do_not_track = vp->do_not_track;
    p.pre_dnat = vp->pre_dnat;
    p.apply_on_forward = vp->apply_on_forward;
    p.file = c->file;
    p.line = vp->line;

    /* §6.1 defaulting of types (api/pkg/defaults/networkpolicy.go). */
    if (vp->types_given)
        p.types = vp->types;
    else if (!vp->negress)
        p.types = DIR_INGRESS;
    else if (!vp->ningress)
        p.types = DIR_EGRESS;
    else
        p.types = DIR_INGRESS | DIR_EGRESS;

    text = policy_selector_text(c, vp);
    if (!*text)
        text = "all()";
    if (finish_selector(c, vp->n_self, text, "policy selector", &p.selector, &p.selector_text) != 0)
        return;
    p.ingress = convert_rules(c, vp->ingress, vp->ningress, vp->ns);
    p.ningress = vp->ningress;
    p.egress = convert_rules(c, vp->egress, vp->negress, vp->ns);
    p.negress = vp->negress;
    if (c->errors != errs)
        return;
    if (c->npols >= LIM_POLICIES) {
        pv_err(c, vp->n_self, "more than %d policies", LIM_POLICIES);
        return;
    }
    ALLOC_GROW(c->pols, c->npols + 1, c->apols);
    c->pols[c->npols++] = p;
}
