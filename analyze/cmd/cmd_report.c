/*
 * cmd_report.c: podflow-analyze report: judge a case under a policy set
 * (and optionally the set it replaces) and write one self-contained HTML
 * page (report.h).  The page is written by the output rule
 * (common/outfile.h): a file through a temporary file renamed over it, so
 * a reader never sees half a page; a FIFO, a device or - directly.
 */
#include <stdio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/cmd/cmd.h"
#include "analyze/engine/flowset.h"
#include "analyze/out/graph.h"
#include "analyze/out/report.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/outfile.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

const char cmd_report_usage[] =
    "usage: podflow-analyze report CASE.db (-p PATH... | --no-policies) [--old PATH...]\n"
    "                              -o FILE.html\n"
    "\n"
    "Write one self-contained HTML page (opens offline, fetches nothing): the\n"
    "service graph coloured by verdict, every flow with what decided it, the\n"
    "policy board (hits per tier, policy and rule; rules never hit), port\n"
    "coverage and capture coverage.  With --old, edges and flows whose verdict\n"
    "would change are marked.\n"
    "PATH: files, directories (*.yaml, *.yml, *.json) or - for stdin.\n"
    "\n"
    "  -p, --policies PATH...     the policies to judge by (repeatable)\n"
    "      --old PATH...          the policies in force, to compare with\n"
    "      --no-policies          a set whose paths hold no policy object is meant\n"
    "                             (otherwise an error: it would allow everything)\n"
    "  -o, --output FILE          the page to write: a file of yours (replaced\n"
    "                             atomically), a FIFO, a device, or - (stdout)\n"
    "  -h, --help                 this text\n"
    "\n"
    "Exit status: 0 page written, 2 bad input or usage.\n";

int cmd_report(int argc, char **argv, struct diag *d)
{
    struct flowset fs;
    struct flowset_opts fo;
    struct report_opts ro;
    const char **paths[2];
    size_t npaths[2] = {0, 0};
    const char *casepath = NULL, *output = NULL;
    int cur = -1, status = EXIT_BAD, i, rc;
    struct buf page;
    struct outfile of;

    memset(&fo, 0, sizeof(fo));
    paths[FS_NEW] = xcalloc((size_t)argc + 1, sizeof(*paths[0]));
    paths[FS_OLD] = xcalloc((size_t)argc + 1, sizeof(*paths[0]));
    /* Hand-parsed like diff: -p and --old each take the operands after it. */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-") == 0 || a[0] != '-') {
            if (cur >= 0)
                paths[cur][npaths[cur]++] = a;
            else if (!casepath)
                casepath = a;
            else {
                status = cmd_usage_err(d, cmd_report_usage, "unexpected argument '%s'", a);
                goto out;
            }
            continue;
        }
        if (cmd_is_opt(a, "help", 'h')) {
            fputs(cmd_report_usage, stdout);
            status = EXIT_OK;
            goto out;
        }
        if (strcmp(a, "--no-policies") == 0) {
            fo.load_flags |= POLICY_LOAD_ALLOW_EMPTY;
            cur = -1;
            continue;
        }
        if (cmd_is_opt(a, "policies", 'p') || cmd_is_opt(a, "old", 0)) {
            cur = cmd_is_opt(a, "old", 0) ? FS_OLD : FS_NEW;
            if (a[1] == 'p' && a[2])
                paths[cur][npaths[cur]++] = a + 2;
            else if (strchr(a, '='))
                paths[cur][npaths[cur]++] = strchr(a, '=') + 1;
            continue;
        }
        if (cmd_is_opt(a, "output", 'o')) {
            if (a[1] == 'o' && a[2])
                output = a + 2;
            else if (a[1] == '-' && strchr(a, '='))
                output = strchr(a, '=') + 1;
            else if (i + 1 < argc)
                output = argv[++i];
            else {
                status = cmd_usage_err(d, cmd_report_usage, "option '%s' needs an argument", a);
                goto out;
            }
            cur = -1;
            continue;
        }
        status = cmd_usage_err(d, cmd_report_usage, "unknown option '%s'", a);
        goto out;
    }
    if (!casepath) {
        status = cmd_usage_err(d, cmd_report_usage, "%s", "no case file given");
        goto out;
    }
    if (!npaths[FS_NEW] && !fo.load_flags) {
        status =
            cmd_usage_err(d, cmd_report_usage, "%s",
                          "no policies given (-p PATH, or --no-policies to judge against none)");
        goto out;
    }
    if (!output || !*output) {
        status = cmd_usage_err(d, cmd_report_usage, "%s", "no output file given (-o FILE.html)");
        goto out;
    }

    fo.paths[FS_NEW] = paths[FS_NEW];
    fo.paths[FS_OLD] = paths[FS_OLD];
    fo.npaths[FS_NEW] = npaths[FS_NEW];
    fo.npaths[FS_OLD] = npaths[FS_OLD];
    /* Refuse an output we may not write before doing the work (a FIFO
     * blocks here until its reader comes). */
    if (outfile_open(&of, output, 0644, 0, d))
        goto out;
    if (flowset_load(&fs, casepath, &fo, d)) {
        outfile_abort(&of);
        goto out;
    }
    memset(&ro, 0, sizeof(ro));
    ro.case_path = casepath;
    ro.paths = paths[FS_NEW];
    ro.npaths = npaths[FS_NEW];
    ro.old_paths = paths[FS_OLD];
    ro.nold = npaths[FS_OLD];
    ro.generated_ns = now_ns();
    buf_init(&page, 0);
    rc = report_html(&fs, &ro, &page, d);
    if (rc == ERR_LIMIT)
        diag_err(d, "the report would exceed %zu bytes", page.max);
    if (!rc && outfile_write(&of, page.data, page.len, d) == 0) {
        if (outfile_commit(&of, d) == 0)
            status = EXIT_OK;
    } else {
        outfile_abort(&of);
    }
    buf_release(&page);
    flowset_release(&fs);
out:
    free(paths[FS_NEW]);
    free(paths[FS_OLD]);
    return status;
}
