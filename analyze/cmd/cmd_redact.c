/*
 * cmd_redact.c: podflow-analyze redact CASE.db [--out NEW.db]: replace
 * the external addresses of a case by keyed pseudonyms before it is
 * shipped (redact.h, docs/security.md), in place or into a new file.
 */
#include <stdio.h>

#include <string.h>

#include "analyze/cmd/cmd.h"
#include "analyze/case/redact.h"
#include "common/err.h"
#include "common/compat.h"

/* The option table (cmd.h), handled in cmd_redact(). */
enum { O_OUT = 1 };

static const struct cmd_opt redact_opts[] = {
    {O_OUT, 0, "out", CMD_ARG_ONE, "NEW.db", NULL,
     "write the redacted case to NEW.db (which must not\nexist) and leave CASE.db as it is"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

static int cmd_redact(struct cmd_args *a)
{
    struct redact_stats st;
    const char *path = NULL, *out = NULL;
    size_t i;

    for (i = 0; i < a->n; i++) {
        const struct cmd_item *it = &a->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            if (path)
                return cmd_usage_err(a, "%s", "redact takes one CASE.db");
            path = it->val;
            break;
        case O_OUT:
            out = it->val;
            break;
        }
    }
    if (!path)
        return cmd_usage_err(a, "%s", "redact takes one CASE.db");
    if (redact_case(path, out, &st, a->d))
        return EXIT_BAD;
    printf("redacted '%s'%s%s%s: %zu IPv4 and %zu IPv6 external addresses%s in %zu flow fields "
           "and %zu external endpoints; the key is discarded\n",
           path, out ? " into '" : "", out ? out : "", out ? "'" : "", st.addrs_v4, st.addrs_v6,
           st.addrs_bad ? " (and malformed address texts)" : "", st.flow_fields, st.endpoints);
    return fflush(stdout) ? EXIT_BAD : EXIT_OK;
}

const struct cmd_spec cmd_redact_spec = {
    .name = "redact",
    .run = cmd_redact,
    .opts = redact_opts,
    .args = "CASE.db [--out NEW.db]",
    .summary = "external addresses to keyed pseudonyms",
    .about = "Replace every external address of CASE.db (neither a pod, a node nor a\n"
             "Service of the case) by a pseudonym of the same family from the documentation\n"
             "ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, then 240.0.0.0/4;\n"
             "2001:db8::/32), keyed by a random key that is not kept: one address, one\n"
             "pseudonym within the case, so flows still group by peer; no way back.  The\n"
             "capture's command line and filter are cleared too.  The result is written\n"
             "whole through a temp copy, never partially: renamed over CASE.db (in place),\n"
             "or linked as NEW.db with --out.\n",
    .exit_status = "Exit status: 0 success, 2 bad input, usage, or the case is in use.\n",
};
