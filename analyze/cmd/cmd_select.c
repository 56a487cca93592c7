/*
 * cmd_select.c: podflow-analyze select: which endpoints of a case a
 * Calico selector matches, evaluated on the labels Calico gives them
 * (own labels plus the projectcalico.org/... ones and pcns./pcsa. inherited
 * ones, docs/semantics.md §1.6).  Only pods are Calico workload
 * endpoints; hosts, services and external addresses carry no labels in
 * Calico's model and are never matched: with -p, the policy files' network
 * sets and host endpoints (§17.2) are.
 */
#include <stdio.h>

#include <string.h>

#include "analyze/case/case.h"
#include "analyze/cmd/cmd.h"
#include "analyze/policy/policy.h"
#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The option table (cmd.h), handled in cmd_select(). */
enum { O_FORMAT = 1, O_POLICIES, O_STRICT };
/* -o's values: the table shows names whole, so wide is the table. */
static const char *const select_fmts[] = {"table", "wide", "json", NULL};

static const struct cmd_opt select_opts[] = {
    {O_FORMAT, 'o', "output", CMD_ARG_ONE, "FMT", select_fmts,
     "table (default; names whole, so wide is the same)\n"
     "or json (JSON Lines: ip, kind, namespace, name,\n"
     "workload, labels, valid_from, valid_to)"},
    {O_FORMAT, 'f', "format", CMD_ARG_ONE, "FMT", select_fmts, "the same as -o"},
    {O_POLICIES, 'p', "policies", CMD_ARG_LIST, "PATH...", NULL,
     "match the NetworkSets, GlobalNetworkSets and\n"
     "HostEndpoints of these policy files and\n"
     "directories too"},
    {O_STRICT, 0, "strict", CMD_ARG_NONE, NULL, NULL,
     "an endpoint or namespace row that cannot be used is\n"
     "an error (exit 2), not left out with a warning"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

static void time_or_null(struct json *j, int has, int64_t ns)
{
    char tb[40];

    if (!has) {
        json_null(j);
        return;
    }
    format_rfc3339(ns, tb, sizeof(tb));
    json_str(j, tb);
}

static void json_labels(struct json *j, const struct labels *l)
{
    json_key(j, "labels");
    json_obj_begin(j);
    for (size_t i = 0; i < l->n; i++) {
        json_key(j, l->v[i].key);
        json_str(j, l->v[i].value);
    }
    json_obj_end(j);
}

/* A network set or host endpoint as select shows it (member_view): its
 * addresses, kind, namespace, name; in JSON with the labels selectors see
 * on it and what extra adds. */
typedef const char *member_addr_fn(const void *obj, size_t i, char *b);

struct member_view {
    const char *kind, *ns, *name;
    const struct labels *labels;
    const void *obj;
    size_t naddrs;
    member_addr_fn *addr; /* the i-th address into b (IPADDR_STRLEN + 4) */
    const char *addrs_key;
    void (*extra)(struct json *j, const void *obj); /* more keys, or NULL */
};

static int select_member(const struct member_view *m, int json, int kind_w, struct buf *out)
{
    struct buf addrs;
    char b[IPADDR_STRLEN + 4];
    struct json j;
    size_t i;
    int rc = 0;

    if (!json) {
        buf_init(&addrs, 0);
        for (i = 0; i < m->naddrs && !rc; i++)
            rc = buf_addf(&addrs, "%s%s", i ? "," : "", m->addr(m->obj, i, b));
        if (!rc)
            rc = buf_addf(out, "%-40s %-*s %-16s %s\n", m->naddrs ? addrs.data : "-", kind_w,
                          m->kind, m->ns ? m->ns : "-", m->name);
        buf_release(&addrs);
        return rc;
    }
    json_init(&j, out);
    json_obj_begin(&j);
    json_key(&j, "kind");
    json_str(&j, m->kind);
    json_key(&j, "namespace");
    json_str(&j, m->ns);
    json_key(&j, "name");
    json_str(&j, m->name);
    json_key(&j, m->addrs_key);
    json_arr_begin(&j);
    for (i = 0; i < m->naddrs; i++)
        json_str(&j, m->addr(m->obj, i, b));
    json_arr_end(&j);
    json_labels(&j, m->labels);
    if (m->extra)
        m->extra(&j, m->obj);
    json_obj_end(&j);
    rc = json_finish(&j);
    return rc ? rc : buf_addch(out, '\n');
}

static const char *netset_addr(const void *obj, size_t i, char *b)
{
    return cidr_format(&((const struct netset *)obj)->nets[i], b);
}

/* A network set: its CIDRs. */
static int select_netset(const struct netset *ns, int json, int kind_w, struct buf *out)
{
    struct member_view m = {
        .kind = pol_member_kind_name(ns->ns ? PM_NETWORKSET : PM_GLOBALNETWORKSET),
        .ns = ns->ns,
        .name = ns->name,
        .labels = &ns->labels,
        .obj = ns,
        .naddrs = ns->nnets,
        .addr = netset_addr,
        .addrs_key = "nets",
    };

    return select_member(&m, json, kind_w, out);
}

static const char *hostep_addr(const void *obj, size_t i, char *b)
{
    return ipaddr_format(&((const struct hostep *)obj)->ips[i], b);
}

static void hostep_extra(struct json *j, const void *obj)
{
    const struct hostep *h = obj;

    json_key(j, "node");
    json_str(j, h->node);
    json_key(j, "interface");
    json_str(j, h->iface);
    json_key(j, "profiles");
    json_arr_begin(j);
    for (size_t i = 0; i < h->nprofiles; i++)
        json_str(j, h->profiles[i]);
    json_arr_end(j);
}

/* A host endpoint: its expected IPs (one with none lends selectors no
 * address, §17.2); in JSON its node, interface and profiles too. */
static int select_hostep(const struct hostep *h, int json, int kind_w, struct buf *out)
{
    struct member_view m = {
        .kind = pol_member_kind_name(PM_HOSTENDPOINT),
        .name = h->name,
        .labels = &h->labels,
        .obj = h,
        .naddrs = h->nips,
        .addr = hostep_addr,
        .addrs_key = "expected_ips",
        .extra = hostep_extra,
    };

    return select_member(&m, json, kind_w, out);
}

static int select_json(const struct case_ep *ep, struct buf *out)
{
    struct json j;
    int rc;

    json_init(&j, out);
    json_obj_begin(&j);
    json_key(&j, "ip");
    json_str(&j, ep->ip_text);
    json_key(&j, "kind");
    json_str(&j, ep_kind_name(ep->kind));
    json_key(&j, "namespace");
    json_str(&j, ep->ns);
    json_key(&j, "name");
    json_str(&j, ep->name);
    json_key(&j, "workload");
    json_str(&j, ep->workload);
    json_key(&j, "service_account");
    json_str(&j, ep->sa);
    json_labels(&j, &ep->calico);
    json_key(&j, "valid_from");
    time_or_null(&j, ep->has_from, ep->from_ns);
    json_key(&j, "valid_to");
    time_or_null(&j, ep->has_to, ep->to_ns);
    json_obj_end(&j);
    rc = json_finish(&j);
    return rc ? rc : buf_addch(out, '\n');
}

static int cmd_select(struct cmd_args *args)
{
    struct diag *d = args->d;
    struct case_db c;
    struct arena a;
    struct sel *sel = NULL;
    struct sel_error serr;
    struct buf out;
    const char *casepath = NULL, *text = NULL;
    const char **paths;
    struct policy_set ps;
    size_t i, matched = 0, npaths = 0, sets_matched = 0, heps_matched = 0;
    int json = 0, rc, status = EXIT_BAD, kind_w = 5, have_ps = 0;
    struct case_opts co = {.skew_ns = CASE_SKEW_DEFAULT_NS, .no_flows = 1};

    paths = xcalloc(args->n + 1, sizeof(*paths));
    for (i = 0; i < args->n; i++) {
        const struct cmd_item *it = &args->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            if (!casepath)
                casepath = it->val;
            else
                text = it->val; /* more operands are refused below */
            break;
        case O_FORMAT:
            json = it->choice == 2;
            break;
        case O_POLICIES:
            paths[npaths++] = it->val;
            break;
        case O_STRICT:
            co.strict = 1;
            break;
        }
    }
    if (cmd_operands(args) != 2) {
        free(paths);
        return cmd_usage_err(args, "%s", "select takes a case file and one selector");
    }
    /* The network sets and host endpoints; a file of them alone, without
     * any policy, is what select wants. */
    if (npaths) {
        rc = policy_set_load(&ps, paths, npaths, POLICY_LOAD_ALLOW_EMPTY, d);
        free(paths);
        if (rc)
            return EXIT_BAD;
        have_ps = 1;
        kind_w = 16;
    } else {
        free(paths);
    }

    arena_init(&a, 0);
    rc = sel_parse(&a, text, strlen(text), &sel, &serr);
    if (rc) {
        diag_err(d, "invalid selector at column %zu: %s", serr.col, serr.msg);
        fprintf(stderr, "    %s\n    %*s^\n", text, (int)(serr.col ? serr.col - 1 : 0), "");
        arena_release(&a);
        if (have_ps)
            policy_set_release(&ps);
        return EXIT_BAD;
    }
    {
        char *one[1] = {(char *)casepath};

        rc = case_open_many(&c, one, 1, &co, d);
    }
    if (rc) {
        arena_release(&a);
        if (have_ps)
            policy_set_release(&ps);
        return EXIT_BAD;
    }
    buf_init(&out, 0);
    /* Endpoint or namespace rows left out as unusable: said first. */
    if (cmd_case_head(&c, json ? CMD_HEAD_JSON : CMD_HEAD_TEXT, &out))
        goto done;
    if (!json && buf_addf(&out, "%-40s %-*s %-16s %s\n", "IP", kind_w, "KIND", "NAMESPACE", "NAME"))
        goto done;
    for (i = 0; i < c.neps; i++) {
        const struct case_ep *ep = &c.eps[i];

        if (ep->kind != EP_POD || !sel_eval(sel, &ep->calico))
            continue;
        matched++;
        rc = json ? select_json(ep, &out)
                  : buf_addf(&out, "%-40s %-*s %-16s %s\n", ep->ip_text, kind_w,
                             ep_kind_name(ep->kind), ep->ns ? ep->ns : "-",
                             ep->name ? ep->name : "-");
        if (rc) {
            diag_err(d, "cannot write the results: %s", err_str(rc));
            goto done;
        }
        if (cmd_drain(&out, stdout))
            goto werr;
    }
    for (i = 0; have_ps && i < ps.nnetsets; i++) {
        if (!sel_eval(sel, &ps.netsets[i].labels))
            continue;
        sets_matched++;
        rc = select_netset(&ps.netsets[i], json, kind_w, &out);
        if (rc) {
            diag_err(d, "cannot write the results: %s", err_str(rc));
            goto done;
        }
    }
    for (i = 0; have_ps && i < ps.nheps; i++) {
        if (!sel_eval(sel, &ps.heps[i].labels))
            continue;
        heps_matched++;
        rc = select_hostep(&ps.heps[i], json, kind_w, &out);
        if (rc) {
            diag_err(d, "cannot write the results: %s", err_str(rc));
            goto done;
        }
    }
    if (!json && have_ps &&
        buf_addf(&out,
                 "%zu of %zu endpoints, %zu of %zu network sets, %zu of %zu host endpoints match\n",
                 matched, c.neps, sets_matched, ps.nnetsets, heps_matched, ps.nheps))
        goto done;
    if (!json && !have_ps && buf_addf(&out, "%zu of %zu endpoints match\n", matched, c.neps))
        goto done;
    if (cmd_flush(&out, stdout) || fflush(stdout))
        goto werr;
    status = EXIT_OK;
    goto done;
werr:
    diag_err(d, "cannot write to standard output");
done:
    buf_release(&out);
    case_close(&c);
    arena_release(&a);
    if (have_ps)
        policy_set_release(&ps);
    return status;
}

const struct cmd_spec cmd_select_spec = {
    .name = "select",
    .run = cmd_select,
    .opts = select_opts,
    .args = "CASE.db SELECTOR [-p PATH...] [options]",
    .summary = "the endpoints, network sets and host endpoints a Calico selector matches",
    .about = "List the endpoints of CASE.db that the Calico selector SELECTOR matches, with\n"
             "the labels Calico sees on them (projectcalico.org/..., pcns.*, pcsa.*); with\n"
             "-p, the NetworkSets, GlobalNetworkSets and HostEndpoints of those policy files\n"
             "too.\n",
    .exit_status = "Exit status: 0 success (even when nothing matches), 2 bad input or usage.\n",
};
