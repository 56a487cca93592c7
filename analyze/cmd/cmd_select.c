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
#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/util.h"
#include "common/compat.h"

/* The option table (cmd.h), handled in cmd_select(). */
enum { O_FORMAT = 1 };
/* -o's values: the table shows names whole, so wide is the table. */
static const char *const select_fmts[] = {"table", "wide", "json", NULL};

static const struct cmd_opt select_opts[] = {
    {O_FORMAT, 'o', "output", CMD_ARG_ONE, "FMT", select_fmts,
     "table (default; names whole, so wide is the same)\n"
     "or json (JSON Lines: ip, kind, namespace, name,\n"
     "workload, labels, valid_from, valid_to)"},
    {O_FORMAT, 'f', "format", CMD_ARG_ONE, "FMT", select_fmts, "the same as -o"},
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
    size_t i, matched = 0;
    int json = 0, rc, status = EXIT_BAD;

    for (i = 0; i < args->n; i++) {
        const struct cmd_item *it = &args->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            if (!casepath)
                casepath = it->val;
            else if (!text)
                text = it->val;
            else
                return cmd_usage_err(args, "%s", "select takes a case file and one selector");
            break;
        case O_FORMAT:
            json = it->choice == 2;
            break;
        }
    }
    if (!text)
        return cmd_usage_err(args, "%s", "select takes a case file and one selector");

    arena_init(&a, 0);
    rc = sel_parse(&a, text, strlen(text), &sel, &serr);
    if (rc) {
        diag_err(d, "invalid selector at column %zu: %s", serr.col, serr.msg);
        fprintf(stderr, "    %s\n    %*s^\n", text, (int)(serr.col ? serr.col - 1 : 0), "");
        arena_release(&a);
        return EXIT_BAD;
    }
    rc = case_open(&c, casepath, d);
    if (rc) {
        arena_release(&a);
        return EXIT_BAD;
    }
    buf_init(&out, 0);
    if (!json && buf_addf(&out, "%-40s %-5s %-16s %s\n", "IP", "KIND", "NAMESPACE", "NAME"))
        goto done;
    for (i = 0; i < c.neps; i++) {
        const struct case_ep *ep = &c.eps[i];

        if (ep->kind != EP_POD || !sel_eval(sel, &ep->calico))
            continue;
        matched++;
        rc = json ? select_json(ep, &out)
                  : buf_addf(&out, "%-40s %-5s %-16s %s\n", ep->ip_text, ep_kind_name(ep->kind),
                             ep->ns ? ep->ns : "-", ep->name ? ep->name : "-");
        if (rc) {
            diag_err(d, "cannot write the results: %s", err_str(rc));
            goto done;
        }
        if (out.len > (1u << 20) && cmd_flush(&out, stdout))
            goto werr;
    }
    if (!json && buf_addf(&out, "%zu of %zu endpoints match\n", matched, c.neps))
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
    return status;
}

const struct cmd_spec cmd_select_spec = {
    .name = "select",
    .run = cmd_select,
    .opts = select_opts,
    .args = "CASE.db SELECTOR [options]",
    .summary = "the endpoints a Calico selector matches",
    .about = "List the endpoints of CASE.db that the Calico selector SELECTOR matches, with\n"
             "the labels Calico sees on them (projectcalico.org/..., pcns.*, pcsa.*).\n",
    .exit_status = "Exit status: 0 success (even when nothing matches), 2 bad input or usage.\n",
};
