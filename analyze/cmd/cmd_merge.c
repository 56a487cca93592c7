/*
 * cmd_merge.c: podflow-analyze merge OUT.db IN.db... (or --out OUT.db
 * IN.db...): one case from the per-node cases a DaemonSet collected
 * (deploy/README.md).  The work is merge.c's; this is the command line.
 */
#include <stdio.h>

#include <string.h>

#include "analyze/cmd/cmd.h"
#include "analyze/case/merge.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The option table (cmd.h), handled in cmd_merge(). */
enum { O_FORCE = 1, O_QUIET, O_OUT };

static const struct cmd_opt merge_opts[] = {
    {O_OUT, 0, "out", CMD_ARG_ONE, "OUT.db", NULL,
     "the case to write; then every operand is an input"},
    {O_FORCE, 'f', "force", CMD_ARG_NONE, NULL, NULL, "replace OUT.db when it exists"},
    {O_QUIET, 'q', "quiet", CMD_ARG_NONE, NULL, NULL, "no summary line"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

static int cmd_merge(struct cmd_args *a)
{
    struct merge_opts o = {0};
    const char *out = NULL;
    char **in;
    size_t i, n = 0;
    int rc;

    in = xcalloc(a->n + 1, sizeof(*in));
    for (i = 0; i < a->n; i++) {
        const struct cmd_item *it = &a->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            in[n++] = (char *)it->val; /* an argv string, as merge_files() takes them */
            break;
        case O_OUT:
            out = it->val;
            break;
        case O_FORCE:
            o.force = 1;
            break;
        case O_QUIET:
            o.quiet = 1;
            break;
        }
    }
    /* Without --out, the first operand is the output (the older form). */
    if (!out && n) {
        out = in[0];
        memmove(in, in + 1, (n - 1) * sizeof(*in));
        n--;
    }
    if (!out || !n) {
        free(in);
        return cmd_usage_err(a, "%s", "merge needs an output and at least one input");
    }
    rc = merge_files(out, in, n, &o, a->d);
    free(in);
    return rc < 0 ? EXIT_BAD : EXIT_OK;
}

const struct cmd_spec cmd_merge_spec = {
    .name = "merge",
    .run = cmd_merge,
    .opts = merge_opts,
    .args = "[--force] [--out] OUT.db IN.db...",
    .summary = "one case from several (one per node)",
    .about = "Make one case OUT.db from several (one per node, usually).  Captures,\n"
             "interfaces, flows and ip_ifaces keep their origin: ids are renumbered and\n"
             "each flow still points at its capture, so at captures.node.  Endpoints and\n"
             "namespaces are the cluster's: identical rows are kept once; a namespace\n"
             "whose labels differ between inputs keeps the first, with a warning.\n"
             "Connections seen at both ends are paired when the case is read\n"
             "(check --skew), not here.\n"
             "\n"
             "OUT.db is written whole or not at all (a temporary file renamed at the\n"
             "end); - or a FIFO gets the finished case's bytes.  An existing OUT.db is\n"
             "refused (to add to it, give it as an input of a new merge), and so is\n"
             "another user's file, a directory or a symlink to either.\n",
    .exit_status = "Exit status: 0 success, 2 bad input or usage.\n",
};
