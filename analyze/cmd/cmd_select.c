/*
 * cmd_select.c: podflow-analyze select: which endpoints of a case a
 * Calico selector matches, evaluated on the labels Calico gives them
 * (own labels plus the projectcalico.org/... ones and pcns./pcsa. inherited
 * ones, docs/semantics.md §1.6).  Only pods are Calico workload
 * endpoints; hosts, services and external addresses carry no labels in
 * Calico's model and are never matched.
 */
#include <stdio.h>

#include <getopt.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/cmd/cmd.h"
#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/util.h"
#include "common/compat.h"

const char cmd_select_usage[] =
    "usage: podflow-analyze select CASE.db SELECTOR [--format table|json]\n"
    "\n"
    "List the endpoints of CASE.db that the Calico selector SELECTOR matches, with\n"
    "the labels Calico sees on them (projectcalico.org/..., pcns.*, pcsa.*).\n"
    "\n"
    "  -f, --format FMT   table (default) or json (JSON Lines: ip, kind, namespace,\n"
    "                     name, workload, labels, valid_from, valid_to)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 success (even when nothing matches), 2 bad input or usage.\n";

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

int cmd_select(int argc, char **argv, struct diag *d)
{
    static const struct option lopts[] = {{"format", required_argument, NULL, 'f'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    struct case_db c;
    struct arena a;
    struct sel *sel = NULL;
    struct sel_error serr;
    struct buf out;
    const char *casepath = NULL, *text = NULL;
    size_t i, matched = 0;
    int json = 0, opt, rc, status = EXIT_BAD;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":f:h", lopts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "json") == 0)
                json = 1;
            else if (strcmp(optarg, "table") != 0) {
                diag_err(d, "--format takes table or json, not '%s'", optarg);
                return EXIT_BAD;
            }
            break;
        case 'h':
            fputs(cmd_select_usage, stdout);
            return EXIT_OK;
        default:
            diag_err(d, "unknown option or missing argument '%s'", argv[optind - 1]);
            fputs(cmd_select_usage, stderr);
            return EXIT_BAD;
        }
    }
    if (argc - optind != 2) {
        diag_err(d, "select takes a case file and one selector");
        fputs(cmd_select_usage, stderr);
        return EXIT_BAD;
    }
    casepath = argv[optind];
    text = argv[optind + 1];

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
