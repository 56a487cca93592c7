/*
 * out.c: JSON Lines, CSV and table writers for check.
 *
 * Everything goes into a caller's struct buf, which the command flushes to
 * stdout in large writes; the JSON writer escapes whatever bytes a hostile
 * .db put into names and labels.
 */
#include "analyze/out/out.h"

#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/util.h"
#include "common/compat.h"

const char *proto_name(int proto)
{
    return ipproto_name(proto);
}

static const char *dir_name(int dir)
{
    return dir == DIR_EGRESS ? "egress" : dir == DIR_INGRESS ? "ingress" : NULL;
}

void out_ident(const struct case_ep *ep, const struct ipaddr *ip, char *buf, size_t size)
{
    char ipb[IPADDR_STRLEN];

    if (!ep) {
        snprintf(buf, size, "%s", ipaddr_format(ip, ipb));
        return;
    }
    switch (ep->kind) {
    case EP_POD:
        snprintf(buf, size, "%s/%s", ep->ns ? ep->ns : "", ep->name ? ep->name : ep->ip_text);
        return;
    case EP_HOST:
        snprintf(buf, size, "host %s", ep->name ? ep->name : ep->ip_text);
        return;
    case EP_SERVICE:
        snprintf(buf, size, "svc %s/%s", ep->ns ? ep->ns : "", ep->name ? ep->name : "");
        return;
    case EP_EXTERNAL:
        snprintf(buf, size, "%s%s%s", ep->name ? ep->name : "", ep->name ? " " : "", ep->ip_text);
        return;
    }
}

/* The workload an endpoint belongs to, as people name it. */
static const char *ep_workload(const struct case_ep *ep)
{
    if (!ep)
        return NULL;
    return ep->workload ? ep->workload : ep->name;
}

/* ---- JSON ---------------------------------------------------------------- */

void out_proc_text(const struct case_proc *p, char *buf, size_t size)
{
    char who[48];

    buf[0] = '\0';
    if (!p)
        return;
    if (p->has_pid)
        snprintf(who, sizeof(who), "pid %lld", (long long)p->pid);
    else
        snprintf(who, sizeof(who), "%lld processes", (long long)p->processes);
    /* A container id is 64 hex digits; its first 12 name it, as docker
     * and crictl print it. */
    if (p->container)
        snprintf(buf, size, "%s (%s, container %.12s)", p->comm ? p->comm : "?", who, p->container);
    else
        snprintf(buf, size, "%s (%s)", p->comm ? p->comm : "?", who);
}

void out_proc_col(const struct case_proc *p, char *buf, size_t size)
{
    size_t i;

    if (!p) {
        snprintf(buf, size, "-");
        return;
    }
    if (p->has_pid)
        snprintf(buf, size, "%s[%lld]", p->comm ? p->comm : "?", (long long)p->pid);
    else
        snprintf(buf, size, "%s[x%lld]", p->comm ? p->comm : "?", (long long)p->processes);
    /* A command name is what the process chose (prctl PR_SET_NAME): no
     * line end or tab may break the table's lines. */
    for (i = 0; buf[i]; i++)
        if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
            buf[i] = '?';
}

/* (format 3) {"pid", "comm", "container", "cgroup"} of the process at
 * one end, null where unknown; null for none. */
static void json_proc(struct json *j, const struct case_proc *p)
{
    if (!p) {
        json_null(j);
        return;
    }
    json_obj_begin(j);
    json_key(j, "pid");
    if (p->has_pid)
        json_int(j, p->pid);
    else
        json_null(j);
    json_key(j, "processes");
    json_int(j, p->processes);
    json_key(j, "comm");
    json_str(j, p->comm);
    json_key(j, "container");
    json_str(j, p->container);
    json_key(j, "cgroup");
    json_str(j, p->cgroup);
    json_obj_end(j);
}

static void json_ip(struct json *j, const struct ipaddr *ip)
{
    char b[IPADDR_STRLEN];

    json_str(j, ipaddr_format(ip, b));
}

static void json_proto(struct json *j, int proto)
{
    const char *n = proto_name(proto);

    if (n)
        json_str(j, n);
    else
        json_int(j, proto);
}

/* In workload groups a pod stands for its workload: no pod name. */
static int wl_level(const struct out_opts *o, const struct case_ep *ep)
{
    return o->group == GROUP_WORKLOAD && ep && ep->kind == EP_POD && ep->workload;
}

static void json_ident(struct json *j, const struct case_ep *ep, int wl)
{
    size_t i;

    json_obj_begin(j);
    json_key(j, "kind");
    json_str(j, ep ? ep_kind_name(ep->kind) : "unknown");
    json_key(j, "namespace");
    json_str(j, ep ? ep->ns : NULL);
    json_key(j, "name");
    json_str(j, ep && !wl ? ep->name : NULL);
    json_key(j, "workload");
    json_str(j, ep ? ep->workload : NULL);
    json_key(j, "workload_kind");
    json_str(j, ep ? ep->workload_kind : NULL);
    json_key(j, "service_account");
    json_str(j, ep ? ep->sa : NULL);
    json_key(j, "labels");
    json_obj_begin(j);
    for (i = 0; ep && i < ep->labels.n; i++) {
        json_key(j, ep->labels.v[i].key);
        json_str(j, ep->labels.v[i].value);
    }
    json_obj_end(j);
    json_obj_end(j);
}

static void json_policy_name(struct json *j, const struct policy *p, struct buf *tmp)
{
    buf_reset(tmp);
    if (eng_policy_name(p, tmp))
        json_null(j);
    else
        json_strn(j, tmp->data, tmp->len);
}

/* The FelixConfiguration an end-to-host action came from, as people name
 * it, or NULL for Calico's installs' default. */
static const char *to_host_by_name(const struct eng_dir *d, char *b, size_t size)
{
    if (!d->to_host_by)
        return NULL;
    snprintf(b, size, "FelixConfiguration %s", d->to_host_by->name);
    return b;
}

void out_json_decider(struct json *j, const struct eng_verdict *v, struct buf *tmp)
{
    const struct eng_dir *d = eng_decided(v);
    char fb[160];

    if (v->verdict == VERDICT_UNKNOWN)
        d = NULL;
    json_key(j, "direction");
    json_str(j, d ? dir_name(v->decided_dir) : NULL);
    json_key(j, "tier");
    json_str(j, d && d->dec.tier ? d->dec.tier->name : d && d->dec.profile ? "__PROFILE__" : NULL);
    json_key(j, "policy");
    if (d && d->dec.pol)
        json_policy_name(j, d->dec.pol, tmp);
    else if (d && d->reason == REASON_TO_HOST)
        json_str(j, to_host_by_name(d, fb, sizeof(fb)));
    else
        json_str(j, d ? d->dec.profile : NULL);
    json_key(j, "kind");
    json_str(j, d && d->dec.pol       ? pol_kind_short(d->dec.pol->kind)
                : d && d->dec.profile ? "pro"
                                      : NULL);
    json_key(j, "rule");
    if (d && d->dec.rule >= 0 && (d->dec.pol || d->dec.profile))
        json_int(j, d->dec.rule);
    else
        json_null(j);
    json_key(j, "action");
    if (v->verdict == VERDICT_UNKNOWN)
        json_null(j);
    else if (d && d->reason == REASON_TO_HOST)
        json_str(j, felix_to_host_name(d->to_host));
    else
        json_str(j, d ? rule_action_name(d->dec.action) : "Allow");
    json_key(j, "reason");
    if (v->verdict == VERDICT_UNKNOWN)
        json_str(j, eng_unknown_name(v->unknown));
    else
        json_str(j, d ? eng_reason_name(d->reason) : "no-policy");
    /* §17: the host endpoint whose chain decided, and which chain. */
    json_key(j, "host_endpoint");
    json_str(j, d && d->hep ? d->hep->name : NULL);
    json_key(j, "stage");
    json_str(j, d && d->hep ? eng_stage_name(d->stage) : NULL);
}

static void json_decided(struct json *j, const struct eng_verdict *v, struct buf *tmp)
{
    const struct eng_dir *d = eng_decided(v);
    size_t i;

    json_obj_begin(j);
    out_json_decider(j, v, tmp);
    json_key(j, "selected_by");
    json_arr_begin(j);
    for (i = 0; d && i < d->nselected; i++)
        json_policy_name(j, d->selected[i], tmp);
    json_arr_end(j);
    json_obj_end(j);
}

static void json_steps(struct json *j, const struct eng_dir *d, struct buf *tmp)
{
    size_t i;

    json_arr_begin(j);
    for (i = 0; i < d->nsteps; i++) {
        buf_reset(tmp);
        if (eng_step_format(&d->steps[i], (unsigned)i, tmp) == 0)
            json_strn(j, tmp->data, tmp->len);
    }
    json_arr_end(j);
}

static void json_policies(struct json *j, const struct eng_verdict *v, struct buf *tmp)
{
    json_obj_begin(j);
    if (v->egress.judged) {
        json_key(j, "egress");
        json_steps(j, &v->egress, tmp);
    }
    if (v->ingress.judged) {
        json_key(j, "ingress");
        json_steps(j, &v->ingress, tmp);
    }
    json_obj_end(j);
}

static void json_xdir(struct json *j, const struct eng_dir *d, struct buf *tmp)
{
    size_t i, k;

    json_arr_begin(j);
    for (i = 0; i < d->nx; i++) {
        const struct eng_xpol *x = &d->x[i];

        json_obj_begin(j);
        json_key(j, "tier");
        json_str(j, x->tier->name);
        json_key(j, "policy");
        json_policy_name(j, x->pol, tmp);
        json_key(j, "kind");
        json_str(j, pol_kind_short(x->pol->kind));
        json_key(j, "staged");
        json_bool(j, x->staged);
        if (x->hep) {
            json_key(j, "host_endpoint");
            json_str(j, x->hep->name);
            json_key(j, "stage");
            json_str(j, eng_stage_name(x->stage));
        }
        json_key(j, "outcome");
        json_str(j, x->outcome);
        json_key(j, "rules");
        json_arr_begin(j);
        for (k = 0; k < x->nrules; k++) {
            const struct eng_xrule *r = &x->rules[k];

            json_obj_begin(j);
            json_key(j, "index");
            json_int(j, r->index);
            json_key(j, "action");
            json_str(j, rule_action_name(r->action));
            if (r->rule && r->rule->name) {
                json_key(j, "name");
                json_str(j, r->rule->name);
            }
            if (r->rule && r->rule->fail_closed) {
                json_key(j, "fail_closed");
                json_bool(j, 1);
            }
            json_key(j, "matched");
            json_bool(j, r->matched);
            json_key(j, "field");
            json_str(j, r->field);
            json_key(j, "why");
            json_str(j, r->detail);
            json_obj_end(j);
        }
        json_arr_end(j);
        json_obj_end(j);
    }
    json_arr_end(j);
}

/* A Service's backends as judged (§12). */
static void json_via(struct json *j, const struct eng_via *via)
{
    char b[160];

    json_obj_begin(j);
    json_key(j, "namespace");
    json_str(j, via->svc->ns);
    json_key(j, "name");
    json_str(j, via->svc->name);
    json_key(j, "port");
    json_int(j, via->svc->ports[via->svc_port].port);
    json_key(j, "backends");
    json_uint(j, via->nbackends);
    json_key(j, "agree");
    json_bool(j, via->agree);
    json_key(j, "judged");
    json_arr_begin(j);
    for (size_t i = 0; i < via->nb; i++) {
        const struct eng_backend *bk = &via->b[i];

        json_obj_begin(j);
        json_key(j, "ip");
        json_ip(j, &bk->ip);
        json_key(j, "port");
        json_int(j, bk->port);
        json_key(j, "name");
        out_ident(bk->ep, &bk->ip, b, sizeof(b));
        json_str(j, b);
        json_key(j, "verdict");
        json_str(j, verdict_name(bk->v->verdict));
        json_obj_end(j);
    }
    json_arr_end(j);
    json_obj_end(j);
}

const char *reach_text(const char *reach)
{
    if (!reach)
        return NULL;
    if (strcmp(reach, "unanswered-at-dst-node") == 0)
        return "reached the destination's node, not answered there (dropped at its ingress)";
    if (strcmp(reach, "unanswered-at-dst-pod") == 0)
        return "reached the pod's own link, not answered by it: past policy, look at the pod";
    if (strcmp(reach, "dropped-in-dst-node") == 0)
        return "seen on the node, never handed to the pod's link: dropped in the node (policy)";
    if (strcmp(reach, "missing-at-dst-node") == 0)
        return "not seen by the destination node's capture: dropped on the way (egress, network, "
               "ingress)";
    return reach;
}

/*
 * A vantage point for people: "NODE/IFACE", or NODE alone when the flow
 * has no interface.  A pcap file (-r) stands as its last component.
 */
static void vantage_text(const char *node, const char *iface, char *b, size_t n)
{
    const char *slash = iface ? strrchr(iface, '/') : NULL;

    if (slash && slash[1])
        iface = slash + 1;
    if (iface)
        snprintf(b, n, "%.30s/%.30s", node ? node : "?", iface);
    else
        snprintf(b, n, "%.30s", node ? node : "?");
}

/* The ends of a connection seen at several (both-ends pairing). */
static void json_ends(struct json *j, const struct case_conn *cn)
{
    json_arr_begin(j);
    for (size_t i = 0; i < cn->nends; i++) {
        const struct case_end *e = &cn->ends[i];

        json_obj_begin(j);
        json_key(j, "node");
        json_str(j, e->node);
        json_key(j, "iface");
        json_str(j, e->iface);
        json_key(j, "capture_id");
        json_int(j, e->capture_id);
        json_key(j, "flow_id");
        json_int(j, e->flow_id);
        json_key(j, "state");
        json_str(j, e->state);
        json_key(j, "packets_fwd");
        json_int(j, e->packets_fwd);
        json_key(j, "packets_rev");
        json_int(j, e->packets_rev);
        json_obj_end(j);
    }
    json_arr_end(j);
}

/* --explain: the network sets and host endpoints (§17.2) an address
 * belongs to, as the policy set o->ps has them. */
#define OUT_MEMBERS_MAX 16

static void json_members(struct json *j, const struct out_opts *o, const struct ipaddr *ip)
{
    struct pol_member m[OUT_MEMBERS_MAX];
    char cb[IPADDR_STRLEN + 4];
    size_t n = o->ps ? policy_members_of(o->ps, ip, m, ARRAY_SIZE(m)) : 0, i;

    json_arr_begin(j);
    for (i = 0; i < n && i < ARRAY_SIZE(m); i++) {
        json_obj_begin(j);
        json_key(j, "kind");
        json_str(j, pol_member_kind_name(m[i].kind));
        json_key(j, "namespace");
        json_str(j, m[i].ns);
        json_key(j, "name");
        json_str(j, m[i].name);
        json_key(j, "net");
        json_str(j, m[i].net ? cidr_format(m[i].net, cb) : NULL);
        json_key(j, "node");
        json_str(j, m[i].hep ? m[i].hep->node : NULL);
        json_obj_end(j);
    }
    json_arr_end(j);
}

static int table_members(const struct out_opts *o, const char *end, const struct ipaddr *ip,
                         struct buf *out)
{
    struct pol_member m[OUT_MEMBERS_MAX];
    char ipb[IPADDR_STRLEN], cb[IPADDR_STRLEN + 4];
    size_t n = o->ps ? policy_members_of(o->ps, ip, m, ARRAY_SIZE(m)) : 0, i;
    int rc;

    rc = buf_addf(out, "      %s %s: %s", end, ipaddr_format(ip, ipb),
                  n ? "in " : "in no network set or host endpoint");
    for (i = 0; i < n && i < ARRAY_SIZE(m) && !rc; i++) {
        rc = buf_addf(out, "%s%s %s%s%s (", i ? ", " : "", pol_member_kind_name(m[i].kind),
                      m[i].ns ? m[i].ns : "", m[i].ns ? "/" : "", m[i].name);
        if (!rc && m[i].net)
            rc = buf_addf(out, "%s)", cidr_format(m[i].net, cb));
        else if (!rc)
            rc = buf_addf(out, "node %s, interface %s)", m[i].hep->node,
                          m[i].hep->iface ? m[i].hep->iface : "of the expected IP");
    }
    if (!rc && n > ARRAY_SIZE(m))
        rc = buf_addf(out, " and %zu more", n - ARRAY_SIZE(m));
    return rc ? rc : buf_addch(out, '\n');
}

int out_json(const struct out_rec *r, const struct out_opts *o, struct buf *out)
{
    struct json j;
    struct buf tmp;
    char tb[40];
    const struct eng_verdict *v = r->v;
    int rc;

    buf_init(&tmp, 0);
    json_init(&j, out);
    json_obj_begin(&j);
    json_key(&j, "src_ip");
    if (o->group == GROUP_WORKLOAD && r->flows > 1 && r->src && r->src->kind == EP_POD)
        json_null(&j);
    else
        json_ip(&j, &r->src_ip);
    json_key(&j, "src_port");
    if (o->group == GROUP_FLOW)
        json_int(&j, r->src_port);
    else
        json_null(&j);
    json_key(&j, "dst_ip");
    if (o->group == GROUP_WORKLOAD && r->flows > 1 && r->dst && r->dst->kind == EP_POD)
        json_null(&j);
    else
        json_ip(&j, &r->dst_ip);
    json_key(&j, "dst_port");
    json_int(&j, r->dst_port);
    json_key(&j, "proto");
    json_proto(&j, r->proto);
    json_key(&j, "state");
    json_str(&j, o->group == GROUP_FLOW ? r->state : NULL);
    json_key(&j, "verdict");
    json_str(&j, verdict_name(v->verdict));
    json_key(&j, "decided_by");
    json_decided(&j, v, &tmp);
    if (v->why) {
        json_key(&j, "why");
        json_str(&j, v->why);
    }
    json_key(&j, "policies");
    json_policies(&j, v, &tmp);
    json_key(&j, "src");
    json_ident(&j, r->src, wl_level(o, r->src));
    json_key(&j, "dst");
    json_ident(&j, r->dst, wl_level(o, r->dst));
    json_key(&j, "staged");
    if (v->staged) {
        json_obj_begin(&j);
        json_key(&j, "verdict");
        json_str(&j, verdict_name(v->staged->verdict));
        json_key(&j, "decided_by");
        json_decided(&j, v->staged, &tmp);
        json_key(&j, "policies");
        json_policies(&j, v->staged, &tmp);
        json_obj_end(&j);
    } else {
        json_null(&j);
    }
    json_key(&j, "observed");
    json_str(&j, observed_name(r->obs));
    json_key(&j, "agreement");
    json_str(&j, agreement_name(r->obs, v->verdict));
    if (r->redaction_untrusted) {
        json_key(&j, "redaction_untrusted");
        json_bool(&j, 1);
    }
    if (r->dnat) {
        json_key(&j, "service_ip");
        json_ip(&j, &r->orig_dst_ip);
        json_key(&j, "service_port");
        json_int(&j, r->orig_dst_port);
    }
    if (r->dnat || v->via) {
        /* §12: how the Service's backend became known. */
        json_key(&j, "translation");
        json_str(&j, r->dnat_how == CASE_DNAT_PAIRED ? "paired"
                     : r->dnat                       ? "recorded"
                                                     : "backends");
    }
    if (v->via) {
        json_key(&j, "service");
        json_via(&j, v->via);
    }
    json_key(&j, o->group == GROUP_FLOW ? "flow_id" : "first_flow_id");
    json_int(&j, r->id);
    json_key(&j, "first");
    format_rfc3339(r->first_ns, tb, sizeof(tb));
    json_str(&j, tb);
    json_key(&j, "last");
    format_rfc3339(r->last_ns, tb, sizeof(tb));
    json_str(&j, tb);
    if (o->group == GROUP_FLOW) {
        json_key(&j, "src_process");
        json_proc(&j, r->src_proc);
        json_key(&j, "dst_process");
        json_proc(&j, r->dst_proc);
        json_key(&j, "open");
        json_bool(&j, r->open);
    }
    if (o->group == GROUP_FLOW && o->ends) {
        json_key(&j, "node");
        json_str(&j, r->node);
        json_key(&j, "iface");
        json_str(&j, r->iface);
        if (r->conn) {
            json_key(&j, "ends");
            json_ends(&j, r->conn);
        }
        if (r->reach) {
            json_key(&j, "reach");
            json_str(&j, r->reach);
        }
    }
    if (o->group != GROUP_FLOW) {
        json_key(&j, "flows");
        json_uint(&j, r->flows);
        json_key(&j, "flows_ok");
        json_uint(&j, r->n_ok);
        json_key(&j, "flows_failed");
        json_uint(&j, r->n_failed);
    }
    if (o->explain) {
        json_key(&j, "trace");
        json_obj_begin(&j);
        json_key(&j, "src_sets");
        json_members(&j, o, &r->src_ip);
        json_key(&j, "dst_sets");
        json_members(&j, o, &r->dst_ip);
        if (v->egress.judged) {
            json_key(&j, "egress");
            json_xdir(&j, &v->egress, &tmp);
        }
        if (v->ingress.judged) {
            json_key(&j, "ingress");
            json_xdir(&j, &v->ingress, &tmp);
        }
        json_obj_end(&j);
    }
    json_obj_end(&j);
    buf_release(&tmp);
    rc = json_finish(&j);
    return rc ? rc : buf_addch(out, '\n');
}

/* ---- CSV ----------------------------------------------------------------- */

int out_csv_field(struct buf *out, const char *s, int last)
{
    int rc = 0;

    if (s && strpbrk(s, ",\"\r\n")) {
        rc = buf_addch(out, '"');
        for (; !rc && *s; s++)
            rc = *s == '"' ? buf_add(out, "\"\"", 2) : buf_addch(out, *s);
        if (!rc)
            rc = buf_addch(out, '"');
    } else if (s) {
        rc = buf_addstr(out, s);
    }
    return rc ? rc : buf_addch(out, last ? '\n' : ',');
}

int out_csv_header(const struct out_opts *o, struct buf *out)
{
    (void)o;
    return buf_addstr(out, "src_ip,src_port,dst_ip,dst_port,proto,state,verdict,direction,tier,"
                           "policy,kind,rule,action,reason,src_kind,src_namespace,src_name,"
                           "src_workload,dst_kind,dst_namespace,dst_name,dst_workload,observed,"
                           "agreement,flows,egress_policies,ingress_policies,staged_verdict,"
                           "first,flows_ok,flows_failed,translation,why\n");
}

static int steps_joined(const struct eng_dir *d, struct buf *out)
{
    size_t i;
    int rc = 0;

    for (i = 0; d->judged && i < d->nsteps && !rc; i++) {
        if (i)
            rc = buf_addch(out, ';');
        if (!rc)
            rc = eng_step_format(&d->steps[i], (unsigned)i, out);
    }
    return rc;
}

int out_csv(const struct out_rec *r, const struct out_opts *o, struct buf *out)
{
    const struct eng_verdict *v = r->v;
    const struct eng_dir *d = eng_decided(v);
    char ipb[IPADDR_STRLEN], num[32], tb[40];
    struct buf tmp;
    const char *pn = proto_name(r->proto);
    int rc;

    buf_init(&tmp, 0);
    rc = out_csv_field(out, ipaddr_format(&r->src_ip, ipb), 0);
    snprintf(num, sizeof(num), "%u", r->src_port);
    if (!rc)
        rc = out_csv_field(out, o->group == GROUP_FLOW ? num : "", 0);
    if (!rc)
        rc = out_csv_field(out, ipaddr_format(&r->dst_ip, ipb), 0);
    snprintf(num, sizeof(num), "%u", r->dst_port);
    if (!rc)
        rc = out_csv_field(out, num, 0);
    snprintf(num, sizeof(num), "%d", r->proto);
    if (!rc)
        rc = out_csv_field(out, pn ? pn : num, 0);
    if (!rc)
        rc = out_csv_field(out, o->group == GROUP_FLOW ? r->state : "", 0);
    if (v->verdict == VERDICT_UNKNOWN)
        d = NULL;
    if (!rc)
        rc = out_csv_field(out, verdict_name(v->verdict), 0);
    if (!rc)
        rc = out_csv_field(out, d ? dir_name(v->decided_dir) : NULL, 0);
    if (!rc)
        rc = out_csv_field(out,
                           d && d->dec.tier      ? d->dec.tier->name
                           : d && d->dec.profile ? "__PROFILE__"
                                                 : "",
                           0);
    buf_reset(&tmp);
    if (!rc && d && d->dec.pol)
        rc = eng_policy_name(d->dec.pol, &tmp);
    else if (!rc && d && d->dec.profile)
        rc = buf_addstr(&tmp, d->dec.profile);
    else if (!rc && d && d->reason == REASON_TO_HOST && d->to_host_by)
        rc = buf_addf(&tmp, "FelixConfiguration %s", d->to_host_by->name);
    if (!rc)
        rc = out_csv_field(out, tmp.data, 0);
    if (!rc)
        rc = out_csv_field(out,
                           d && d->dec.pol       ? pol_kind_short(d->dec.pol->kind)
                           : d && d->dec.profile ? "pro"
                                                 : "",
                           0);
    snprintf(num, sizeof(num), "%d", d ? d->dec.rule : -1);
    if (!rc)
        rc = out_csv_field(out, d && d->dec.rule >= 0 ? num : "", 0);
    if (!rc)
        rc = out_csv_field(out,
                           v->verdict == VERDICT_UNKNOWN      ? ""
                           : d && d->reason == REASON_TO_HOST ? felix_to_host_name(d->to_host)
                           : d                                ? rule_action_name(d->dec.action)
                                                              : "Allow",
                           0);
    if (!rc)
        rc = out_csv_field(out,
                           v->verdict == VERDICT_UNKNOWN ? eng_unknown_name(v->unknown)
                           : d                           ? eng_reason_name(d->reason)
                                                         : "no-policy",
                           0);
    if (!rc)
        rc = out_csv_field(out, r->src ? ep_kind_name(r->src->kind) : "unknown", 0);
    if (!rc)
        rc = out_csv_field(out, r->src ? r->src->ns : "", 0);
    if (!rc)
        rc = out_csv_field(out, r->src && !wl_level(o, r->src) ? r->src->name : "", 0);
    if (!rc)
        rc = out_csv_field(out, ep_workload(r->src), 0);
    if (!rc)
        rc = out_csv_field(out, r->dst ? ep_kind_name(r->dst->kind) : "unknown", 0);
    if (!rc)
        rc = out_csv_field(out, r->dst ? r->dst->ns : "", 0);
    if (!rc)
        rc = out_csv_field(out, r->dst && !wl_level(o, r->dst) ? r->dst->name : "", 0);
    if (!rc)
        rc = out_csv_field(out, ep_workload(r->dst), 0);
    if (!rc)
        rc = out_csv_field(out, observed_name(r->obs), 0);
    if (!rc)
        rc = out_csv_field(out, agreement_name(r->obs, v->verdict), 0);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)r->flows);
    if (!rc)
        rc = out_csv_field(out, num, 0);
    buf_reset(&tmp);
    if (!rc)
        rc = steps_joined(&v->egress, &tmp);
    if (!rc)
        rc = out_csv_field(out, tmp.data, 0);
    buf_reset(&tmp);
    if (!rc)
        rc = steps_joined(&v->ingress, &tmp);
    if (!rc)
        rc = out_csv_field(out, tmp.data, 0);
    if (!rc)
        rc = out_csv_field(out, v->staged ? verdict_name(v->staged->verdict) : "", 0);
    format_rfc3339(r->first_ns, tb, sizeof(tb));
    if (!rc)
        rc = out_csv_field(out, tb, 0);
    /* Last, so that the older columns keep their places. */
    snprintf(num, sizeof(num), "%llu", (unsigned long long)r->n_ok);
    if (!rc)
        rc = out_csv_field(out, num, 0);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)r->n_failed);
    if (!rc)
        rc = out_csv_field(out, num, 0);
    if (!rc)
        rc = out_csv_field(out,
                           r->dnat_how == CASE_DNAT_PAIRED ? "paired"
                           : r->dnat                       ? "recorded"
                           : v->via                        ? "backends"
                                                           : "",
                           0);
    if (!rc)
        rc = out_csv_field(out, v->why ? v->why : "", 1);
    buf_release(&tmp);
    return rc;
}

/* ---- table ----------------------------------------------------------------- */

/* Table columns: VERD(5) SEEN(7) SOURCE DESTINATION PORT(10) [FLOWS(6)],
 * each followed by a space; for groups, SEEN gives way to OK(6) and
 * FAILED(6), counts of flows.  The name columns are as wide as their
 * longest name (out_table_fit()); on a terminal they are cut to fit its
 * width, leaving at least OUT_MIN_INLINE columns for what decided, which
 * follows on the same line when it fits, else on its own line. */
#define OUT_MIN_INLINE 9
#define OUT_NAME_MIN   16

/* Columns taken by everything but the two names and what decided. */
static size_t fixed_cols(const struct out_opts *o)
{
    if (o->group != GROUP_FLOW)
        return 5 + 1 + 6 + 1 + 6 + 1 + 10 + 1 + 6 + 1;
    return 5 + 1 + 7 + 1 + 10 + 1 + (o->procs ? (size_t)o->sp_w + 1 + (size_t)o->dp_w + 1 : 0);
}

/* The source and destination as the table names them. */
static void table_names(const struct out_rec *r, const struct out_opts *o, char *s, char *dd,
                        size_t size)
{
    if (wl_level(o, r->src))
        snprintf(s, size, "%s/%s", r->src->ns ? r->src->ns : "", r->src->workload);
    else
        out_ident(r->src, &r->src_ip, s, size);
    if (wl_level(o, r->dst))
        snprintf(dd, size, "%s/%s", r->dst->ns ? r->dst->ns : "", r->dst->workload);
    else
        out_ident(r->dst, &r->dst_ip, dd, size);
}

void out_table_fit(struct out_opts *o, const struct out_rec *r, size_t n)
{
    char s[OUT_NAME_MAX], dd[OUT_NAME_MAX], sp[OUT_PROC_MAX], dp[OUT_PROC_MAX];
    size_t i, sw = strlen("SOURCE"), dw = strlen("DESTINATION"), cap;
    size_t spw = strlen("SRC-PROCESS"), dpw = strlen("DST-PROCESS");

    o->procs = o->procs && o->group == GROUP_FLOW;
    for (i = 0; i < n; i++) {
        table_names(&r[i], o, s, dd, sizeof(s));
        if (strlen(s) > sw)
            sw = strlen(s);
        if (strlen(dd) > dw)
            dw = strlen(dd);
        if (o->procs) {
            out_proc_col(r[i].src_proc, sp, sizeof(sp));
            out_proc_col(r[i].dst_proc, dp, sizeof(dp));
            if (strlen(sp) > spw)
                spw = strlen(sp);
            if (strlen(dp) > dpw)
                dpw = strlen(dp);
        }
    }
    o->sp_w = (int)spw;
    o->dp_w = (int)dpw;
    if (o->width) {
        /* Each name gets half of what the fixed columns and the shortest
         * inline decision leave, never less than OUT_NAME_MIN; a short
         * one leaves the rest to the other. */
        size_t room = (size_t)o->width > fixed_cols(o) + OUT_MIN_INLINE + 2 * OUT_NAME_MIN + 2
                          ? (size_t)o->width - fixed_cols(o) - OUT_MIN_INLINE - 2
                          : 2 * OUT_NAME_MIN;

        cap = room / 2;
        if (sw < cap && dw > room - sw)
            dw = room - sw;
        else if (dw < cap && sw > room - dw)
            sw = room - dw;
        else if (sw + dw > room) {
            sw = sw < cap ? sw : cap;
            dw = dw < cap ? dw : cap;
        }
    }
    o->src_w = (int)sw;
    o->dst_w = (int)dw;
}

/* Copy s into a column of width w, cutting with '~' when too long; last:
 * no column, s whole. */
static int col(struct buf *out, const char *s, int w, int last)
{
    size_t len = strlen(s);
    int rc;

    if (last)
        return buf_addstr(out, s);
    if (w <= 0) /* no width set: the name whole */
        rc = buf_addstr(out, s);
    else if (len > (size_t)w) {
        /* Pods of one workload differ in their last "-xxxxx" and people
         * know them by their first words: keep both ends, the last
         * dash-separated part whole when it is short, and cut between. */
        const char *dash = strrchr(s, '-');
        size_t tail = dash && (size_t)(s + len - dash) <= (size_t)w / 3 ? (size_t)(s + len - dash)
                                                                        : ((size_t)w - 1) / 2;
        size_t head = (size_t)w - 1 - tail;

        rc = buf_add(out, s, head);
        if (!rc)
            rc = buf_addch(out, '~');
        if (!rc)
            rc = buf_add(out, s + len - tail, tail);
    } else {
        rc = buf_addf(out, "%-*s", w, s);
    }
    return rc ? rc : buf_addch(out, ' ');
}

int out_table_header(const struct out_opts *o, struct buf *out)
{
    if (o->group != GROUP_FLOW)
        return buf_addf(out, "%-5s %-6s %-6s %-*s %-*s %-10s %s\n", "VERD", "OK", "FAILED",
                        o->src_w, "SOURCE", o->dst_w, "DESTINATION", "PORT", "FLOWS");
    if (o->procs)
        return buf_addf(out, "%-5s %-7s %-*s %-*s %-10s %-*s %s\n", "VERD", "SEEN", o->src_w,
                        "SOURCE", o->dst_w, "DESTINATION", "PORT", o->sp_w, "SRC-PROCESS",
                        "DST-PROCESS");
    return buf_addf(out, "%-5s %-7s %-*s %-*s %s\n", "VERD", "SEEN", o->src_w, "SOURCE", o->dst_w,
                    "DESTINATION", "PORT");
}

static int table_decider(const struct eng_verdict *v, struct buf *out)
{
    /* The policies an end of tier names go on a line of their own. */
    return eng_decider_text(v, 0, out);
}

/* The lines under a flow judged through a Service's backends (§12):
 * the Service, then which backends allow and which deny. */
static int table_via(const struct eng_verdict *v, struct buf *out)
{
    const struct eng_via *via = v->via;
    static const enum verdict order[] = {VERDICT_ALLOW, VERDICT_DENY, VERDICT_UNKNOWN};
    int rc;

    if (v->verdict != VERDICT_UNKNOWN)
        rc = buf_addf(out, "      %s\n", v->why);
    else
        rc = 0; /* said on the verdict's line */
    if (via->agree)
        return rc;
    for (size_t o = 0; o < ARRAY_SIZE(order) && !rc; o++) {
        size_t n = 0, line = 0;

        for (size_t i = 0; i < via->nb && !rc; i++) {
            char b[160];

            if (via->b[i].v->verdict != order[o])
                continue;
            out_ident(via->b[i].ep, &via->b[i].ip, b, sizeof(b));
            if (!n) {
                line = out->len;
                rc = buf_addf(out, "      %s: %s", verdict_name(order[o]), b);
            } else if (out->len - line + 2 + strlen(b) > 100) {
                line = out->len + 1;
                rc = buf_addf(out, ",\n        %s", b);
            } else {
                rc = buf_addf(out, ", %s", b);
            }
            n++;
        }
        if (n && !rc)
            rc = buf_addch(out, '\n');
    }
    return rc;
}

/* The chain an explanation line belongs to (§17.4), when it changes. */
static int table_chain(const struct eng_xpol *x, const struct hostep **ph, int *pst,
                       struct buf *out)
{
    if (x->hep == *ph && (!x->hep || (int)x->stage == *pst))
        return 0;
    *ph = x->hep;
    *pst = (int)x->stage;
    if (!x->hep)
        return buf_addstr(out, "        the pod's own policies:\n");
    return buf_addf(out, "        host endpoint %s (node %s), %s policies:\n", x->hep->name,
                    x->hep->node, eng_stage_name(x->stage));
}

static int table_explain(const struct eng_dir *d, const char *name, struct buf *out)
{
    const struct hostep *ph = NULL;
    int pst = -1;
    size_t i, k;
    int rc = 0;

    if (!d->judged)
        return 0;
    rc = buf_addf(out, "      %s:\n", name);
    for (i = 0; i < d->nx && !rc; i++) {
        const struct eng_xpol *x = &d->x[i];

        rc = table_chain(x, &ph, &pst, out);
        if (!rc)
            rc = buf_addf(out, "        %s/", x->tier->name);
        if (!rc)
            rc = eng_policy_name(x->pol, out);
        if (!rc)
            rc = buf_addf(out, " (%s): %s\n", pol_kind_short(x->pol->kind), x->outcome);
        for (k = 0; k < x->nrules && !rc; k++) {
            const struct eng_xrule *r = &x->rules[k];

            rc = buf_addf(out, "          rule %d %s", r->index, rule_action_name(r->action));
            if (!rc)
                rc = eng_rule_label(r->rule, out);
            if (!rc && r->matched)
                rc = buf_addstr(out, ": matched\n");
            else if (!rc)
                rc = buf_addf(out, ": no (%s: %s)\n", r->field ? r->field : "?",
                              r->detail ? r->detail : "");
        }
    }
    if (!rc && d->hep && d->reason == REASON_FAILSAFE)
        rc = buf_addf(out,
                      "        host endpoint %s (node %s): a failsafe %s port, allowed "
                      "before any policy\n",
                      d->hep->name, d->hep->node, d->dec.failsafe);
    else if (!rc && d->hep && d->reason == REASON_NO_PROFILE)
        rc = buf_addf(out,
                      "        host endpoint %s (node %s): no policy decided, no profile "
                      "allowed: dropped\n",
                      d->hep->name, d->hep->node);
    else if (!rc && d->unknown)
        rc = buf_addf(out, "        unknown: %s\n", d->why);
    else if (!rc && !d->nx)
        rc = buf_addstr(out, "        no policy selects this endpoint\n");
    return rc;
}

int out_table(const struct out_rec *r, const struct out_opts *o, struct buf *out)
{
    char s[OUT_NAME_MAX], dd[OUT_NAME_MAX], pp[32], nb[24];
    const char *pn = proto_name(r->proto);
    const struct eng_verdict *v = r->v;
    const struct eng_dir *d = eng_decided(v);
    struct buf tmp;
    size_t start = out->len;
    int rc;

    buf_init(&tmp, 0);
    rc = col(out,
             v->verdict == VERDICT_ALLOW  ? "allow"
             : v->verdict == VERDICT_DENY ? "DENY"
                                          : "UNKN",
             5, 0);
    if (o->group == GROUP_FLOW) {
        if (!rc)
            rc = col(out, observed_name(r->obs), 7, 0);
    } else {
        /* A group says how many of its flows were seen working and how
         * many failing (the rest: not known), not one word for all. */
        snprintf(nb, sizeof(nb), "%llu", (unsigned long long)r->n_ok);
        if (!rc)
            rc = col(out, nb, 6, 0);
        snprintf(nb, sizeof(nb), "%llu", (unsigned long long)r->n_failed);
        if (!rc)
            rc = col(out, nb, 6, 0);
    }
    table_names(r, o, s, dd, sizeof(s));
    if (!rc)
        rc = col(out, s, o->src_w, 0);
    if (!rc)
        rc = col(out, dd, o->dst_w, 0);
    if (pn)
        snprintf(pp, sizeof(pp), "%s/%u", pn, r->dst_port);
    else
        snprintf(pp, sizeof(pp), "%d/%u", r->proto, r->dst_port);
    if (!rc)
        rc = col(out, pp, 10, 0);
    if (!rc && o->group != GROUP_FLOW) {
        snprintf(nb, sizeof(nb), "%llu", (unsigned long long)r->flows);
        rc = col(out, nb, 6, 0);
    }
    if (!rc && o->procs) {
        char sp[OUT_PROC_MAX], dp[OUT_PROC_MAX];

        out_proc_col(r->src_proc, sp, sizeof(sp));
        out_proc_col(r->dst_proc, dp, sizeof(dp));
        rc = col(out, sp, o->sp_w, 0);
        if (!rc)
            rc = col(out, dp, o->dp_w, 0);
    }
    if (!rc)
        rc = table_decider(v, &tmp);
    /* A decision that does not fit in the rest of a terminal's line goes
     * on its own line rather than past its edge. */
    if (!rc && o->width && out->len - start + tmp.len > (size_t)o->width) {
        while (out->len && out->data[out->len - 1] == ' ')
            out->data[--out->len] = 0;
        rc = buf_addstr(out, "\n      ");
    }
    if (!rc)
        rc = col(out, tmp.data, 0, 1);
    if (!rc)
        rc = buf_addch(out, '\n');
    if (!rc && v->via)
        rc = table_via(v, out);
    if (!rc && v->verdict != VERDICT_UNKNOWN && v->decided_dir == DIR_EGRESS && v->ingress.judged &&
        v->ingress.reason == REASON_TO_HOST) {
        /* §13.2: say which applied after the egress that decided. */
        int w;

        rc = buf_addstr(out, "      then ");
        w = rc ? 0 : eng_felix_text(&v->ingress, out);
        if (w < 0)
            rc = w;
        if (!rc)
            rc = buf_addch(out, '\n');
    }
    if (!rc && v->verdict != VERDICT_UNKNOWN && d && d->reason == REASON_END_OF_TIER) {
        size_t i;

        rc = buf_addstr(out, "      selected by ");
        for (i = 0; i < d->nselected && !rc; i++) {
            if (i)
                rc = buf_addstr(out, ", ");
            if (!rc)
                rc = eng_policy_name(d->selected[i], out);
        }
        if (!rc)
            rc = buf_addstr(out, "; no rule matched\n");
    }
    if (!rc && o->group == GROUP_FLOW && (r->conn || r->reach)) {
        /* "seen at NODE/IFACE STATE (SENT/BACK packets)" per end, then what
         * that says, each on its own line to stay within the width. */
        size_t line = out->len;

        rc = buf_addstr(out, "      seen at");
        if (r->conn) {
            for (size_t i = 0; i < r->conn->nends && !rc; i++) {
                const struct case_end *e = &r->conn->ends[i];
                char one[128], at[64];

                vantage_text(e->node, e->iface, at, sizeof(at));
                snprintf(one, sizeof(one), " %s %.8s (%lld/%lld pkts)", at, e->state,
                         (long long)e->packets_fwd, (long long)e->packets_rev);
                /* Next line, indented, rather than past a terminal's edge. */
                if (i && o->width && out->len - line + 1 + strlen(one) > (size_t)o->width) {
                    rc = buf_addstr(out, ",\n             ");
                    line = out->len - 13;
                } else if (i) {
                    rc = buf_addch(out, ',');
                }
                if (!rc)
                    rc = buf_addstr(out, one);
            }
        } else {
            char at[64];

            vantage_text(r->node, r->iface, at, sizeof(at));
            rc = buf_addf(out, " %s only", at);
        }
        if (!rc)
            rc = buf_addch(out, '\n');
        if (!rc && r->reach)
            rc = buf_addf(out, "      %s\n", reach_text(r->reach));
    }
    if (!rc && v->staged) {
        buf_reset(&tmp);
        rc = table_decider(v->staged, &tmp);
        if (!rc)
            rc = buf_addf(out, "      staged policies would %s: %s\n",
                          verdict_name(v->staged->verdict), tmp.data);
    }
    if (!rc && o->explain && o->group == GROUP_FLOW && (r->src_proc || r->dst_proc)) {
        char sp[160], dp[160];

        out_proc_text(r->src_proc, sp, sizeof(sp));
        out_proc_text(r->dst_proc, dp, sizeof(dp));
        rc = buf_addf(out, "      process: %s -> %s\n", sp[0] ? sp : "unknown",
                      dp[0] ? dp : "unknown");
    }
    if (!rc && o->explain && o->group == GROUP_FLOW && r->open)
        rc = buf_addstr(out, "      open: the capture stopped before this flow ended\n");
    if (!rc && o->explain)
        rc = table_members(o, "source", &r->src_ip, out);
    if (!rc && o->explain)
        rc = table_members(o, "destination", &r->dst_ip, out);
    if (!rc && o->explain) {
        rc = table_explain(&v->egress, "egress at source", out);
        if (!rc)
            rc = table_explain(&v->ingress, "ingress at destination", out);
    }
    buf_release(&tmp);
    return rc;
}
