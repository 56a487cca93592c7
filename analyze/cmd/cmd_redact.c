/*
 * cmd_redact.c: podflow-analyze redact CASE.db [--out NEW.db]
 * [--keep-policy-nets PATH...] [--keep-net CIDR]...: replace the external
 * addresses of a case by keyed pseudonyms before it is shipped (redact.h,
 * docs/security.md), in place or into a new file, keeping those inside the
 * CIDRs the customer's policies name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/cmd/cmd.h"
#include "analyze/case/redact.h"
#include "common/err.h"
#include "common/polnets.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The option table (cmd.h), handled in cmd_redact(). */
enum { O_OUT = 1, O_KEEP_POLICY_NETS, O_KEEP_NET };

static const struct cmd_opt redact_opts[] = {
    {O_OUT, 0, "out", CMD_ARG_ONE, "NEW.db", NULL,
     "write the redacted case to NEW.db (which must not\nexist) and leave CASE.db as it is"},
    {O_KEEP_POLICY_NETS, 0, "keep-policy-nets", CMD_ARG_LIST, "PATH...", NULL,
     "keep, unredacted, the addresses inside every CIDR\nthe policies in PATH name (nets, "
     "notNets, ipBlock,\nNetworkSets: they are in the customer's own files),\nso those rules "
     "judge as before"},
    {O_KEEP_NET, 0, "keep-net", CMD_ARG_ONE, "CIDR", NULL,
     "keep the addresses inside CIDR too (repeatable)"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

static int cmd_redact(struct cmd_args *a)
{
    struct redact_stats st;
    const char *path = NULL, *out = NULL;
    const char **paths = xcalloc(a->n + 1, sizeof(*paths));
    size_t npaths = 0, i;
    struct polnets keep;
    int status = EXIT_BAD;

    polnets_init(&keep);
    for (i = 0; i < a->n; i++) {
        const struct cmd_item *it = &a->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            if (path) {
                status = cmd_usage_err(a, "%s", "redact takes one CASE.db");
                goto out;
            }
            path = it->val;
            break;
        case O_OUT:
            out = it->val;
            break;
        case O_KEEP_POLICY_NETS:
            paths[npaths++] = it->val;
            break;
        case O_KEEP_NET:
            if (polnets_add_text(&keep, it->val, "--keep-net", 1, a->d) < 0)
                goto out;
            break;
        }
    }
    if (!path) {
        status = cmd_usage_err(a, "%s", "redact takes one CASE.db");
        goto out;
    }
    if (npaths && polnets_load(&keep, paths, npaths, a->d))
        goto out;
    polnets_index(&keep);
    if (redact_case(path, out, &keep, &st, a->d))
        goto out;
    printf("redacted '%s'%s%s%s: %zu IPv4 and %zu IPv6 external addresses%s in %zu flow fields "
           "and %zu external endpoints; the key is discarded\n",
           path, out ? " into '" : "", out ? out : "", out ? "'" : "", st.addrs_v4, st.addrs_v6,
           st.addrs_bad ? " (and malformed address texts)" : "", st.flow_fields, st.endpoints);
    if (keep.n)
        printf("kept: %zu external addresses inside the %zu CIDRs the policies name\n",
               st.addrs_kept, keep.n);
    status = fflush(stdout) ? EXIT_BAD : EXIT_OK;
out:
    polnets_release(&keep);
    free(paths);
    return status;
}

const struct cmd_spec cmd_redact_spec = {
    .name = "redact",
    .run = cmd_redact,
    .opts = redact_opts,
    .args = "CASE.db [--out NEW.db] [--keep-policy-nets PATH...] [--keep-net CIDR]...",
    .summary = "external addresses to keyed pseudonyms",
    .about = "Replace every external address of CASE.db (neither a pod, a node nor a\n"
             "Service of the case) by a pseudonym of the same family from the documentation\n"
             "ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, then 240.0.0.0/4;\n"
             "2001:db8::/32), keyed by a random key that is not kept: one address, one\n"
             "pseudonym within the case, so flows still group by peer; no way back.  The\n"
             "capture's command line and filter are cleared too.  The result is written\n"
             "whole through a temp copy, never partially: renamed over CASE.db (in place),\n"
             "or linked as NEW.db with --out.  The addresses inside the CIDRs the\n"
             "customer's policies name (--keep-policy-nets) and inside --keep-net stay as\n"
             "they are, and no pseudonym is drawn inside one.\n",
    .exit_status = "Exit status: 0 success, 2 bad input, usage, or the case is in use.\n",
};
