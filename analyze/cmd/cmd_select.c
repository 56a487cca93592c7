/*
 * cmd_select.c: podflow-analyze select: which endpoints of a case a
 * Calico selector matches, evaluated on the labels Calico gives them
 * (own labels plus the projectcalico.org/... ones and pcns./pcsa. inherited
 * ones, docs/semantics.md §1.6).  Only pods are Calico workload
 * endpoints; hosts, services and external addresses carry no labels in
 * Calico's model and are never matched.
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
enum { O_FORMAT = 1, O_POLICIES };
/* -o's values: the table shows names whole, so wide is the table. */
static const char *const select_fmts[] = {"table", "wide", "json", NULL};

static const struct cmd_opt select_opts[] = {
    {O_FORMAT, 'o', "output", CMD_ARG_ONE, "FMT", select_fmts,
     "table (default; names whole, so wide is the same)\n"
     "or json (JSON Lines: ip, kind, namespace, name,\n"
     "workload, labels, valid_from, valid_to)"},
    {O_FORMAT, 'f', "format", CMD_ARG_ONE, "FMT", select_fmts, "the same as -o"},
    {O_POLICIES, 'p', "policies", CMD_ARG_LIST, "PATH...", NULL,
     "match the NetworkSets and GlobalNetworkSets of\n"
     "these policy files and directories too"},
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

/* A network set as select shows it: its CIDRs, kind, namespace, name; in
 * JSON with the labels selectors see on it. */
static int select_netset(const struct netset *ns, int json, int kind_w, struct buf *out)
{
    struct buf nets;
    char cb[IPADDR_STRLEN + 4];
    struct json j;
    size_t i;
    const char *kind = pol_member_kind_name(ns->ns ? PM_NETWORKSET : PM_GLOBALNETWORKSET);
    int rc = 0;

    if (!json) {
        buf_init(&nets, 0);
        for (i = 0; i < ns->nnets && !rc; i++)
            rc = buf_addf(&nets, "%s%s", i ? "," : "", cidr_format(&ns->nets[i], cb));
        if (!rc)
            rc = buf_addf(out, "%-40s %-*s %-16s %s\n", ns->nnets ? nets.data : "-", kind_w, kind,
                          ns->ns ? ns->ns : "-", ns->name);
        buf_release(&nets);
        return rc;
    }
    json_init(&j, out);
    json_obj_begin(&j);
    json_key(&j, "kind");
    json_str(&j, kind);
    json_key(&j, "namespace");
    json_str(&j, ns->ns);
    json_key(&j, "name");
    json_str(&j, ns->name);
    json_key(&j, "nets");
    json_arr_begin(&j);
    for (i = 0; i < ns->nnets; i++)
        json_str(&j, cidr_format(&ns->nets[i], cb));
    json_arr_end(&j);
    json_key(&j, "labels");
    json_obj_begin(&j);
    for (i = 0; i < ns->labels.n; i++) {
        json_key(&j, ns->labels.v[i].key);
        json_str(&j, ns->labels.v[i].value);
    }
    json_obj_end(&j);
    json_obj_end(&j);
    rc = json_finish(&j);
    return rc ? rc : buf_addch(out, '\n');
}

static int select_json(const struct case_ep *ep, struct buf *out)
{
    struct json j;
    size_t i;
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
    json_key(&j, "labels");
    json_obj_begin(&j);
    for (i = 0; i < ep->calico.n; i++) {
        json_key(&j, ep->calico.v[i].key);
        json_str(&j, ep->calico.v[i].value);
    }
    json_obj_end(&j);
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
    size_t i, matched = 0, npaths = 0, sets_matched = 0;
    int json = 0, rc, status = EXIT_BAD, kind_w = 5, have_ps = 0;

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
        }
    }
    if (cmd_operands(args) != 2) {
        free(paths);
        return cmd_usage_err(args, "%s", "select takes a case file and one selector");
    }
    /* The network sets (host endpoints join them with issue 13); a set of
     * sets alone, without any policy, is what select wants. */
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
    rc = case_open(&c, casepath, d);
    if (rc) {
        arena_release(&a);
        if (have_ps)
            policy_set_release(&ps);
        return EXIT_BAD;
    }
    buf_init(&out, 0);
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
        if (out.len > (1u << 20) && cmd_flush(&out, stdout))
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
    if (!json && have_ps &&
        buf_addf(&out, "%zu of %zu endpoints, %zu of %zu network sets match\n", matched, c.neps,
                 sets_matched, ps.nnetsets))
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
    .summary = "the endpoints and network sets a Calico selector matches",
    .about = "List the endpoints of CASE.db that the Calico selector SELECTOR matches, with\n"
             "the labels Calico sees on them (projectcalico.org/..., pcns.*, pcsa.*); with\n"
             "-p, the NetworkSets and GlobalNetworkSets of those policy files too.\n",
    .exit_status = "Exit status: 0 success (even when nothing matches), 2 bad input or usage.\n",
};
