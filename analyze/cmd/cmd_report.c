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
#include "analyze/engine/redaction.h"
#include "analyze/engine/suggest.h"
#include "analyze/out/graph.h"
#include "analyze/out/report.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/outfile.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The option table (cmd.h), handled in cmd_report(). */
enum { O_POLICIES = 1, O_OLD, O_OUT, O_OUTPUT, O_NO_POLICIES, O_STRICT };

static const struct cmd_opt report_opts[] = {
    {O_POLICIES, 'p', "policies", CMD_ARG_LIST, "PATH...", NULL,
     "the policies to judge by (repeatable)"},
    {O_NO_POLICIES, 0, "no-policies", CMD_ARG_NONE, NULL, NULL,
     "a set whose paths hold no policy object is meant\n(otherwise an error: it would allow "
     "everything)"},
    {O_OLD, 0, "old", CMD_ARG_LIST, "PATH...", NULL, "the policies in force, to compare with"},
    {O_OUT, 0, "out", CMD_ARG_ONE, "FILE", NULL,
     "the page to write: a file of yours (replaced\n"
     "atomically), a FIFO, a device, or - (stdout)"},
    /* -o is the output format everywhere else: "-o FILE" is kept for
     * scripts, with a warning; "-o html" names the only format. */
    {O_OUTPUT, 'o', "output", CMD_ARG_ONE, "html", NULL,
     "the format: html, the only one (-o FILE: deprecated,\nthe same as --out FILE)"},
    {O_STRICT, 0, "strict", CMD_ARG_NONE, NULL, NULL,
     "a row of the case that cannot be used is an\n"
     "error (exit 2), not left out with a warning\n"
     "(the page says how many, at the top)"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

static int cmd_report(struct cmd_args *a)
{
    struct diag *d = a->d;
    struct flowset fs;
    struct flowset_opts fo;
    struct report_opts ro;
    const char **paths[2];
    size_t npaths[2] = {0, 0}, i;
    const char *casepath = NULL, *output = NULL;
    int status = EXIT_BAD, rc;
    struct buf page;
    struct outfile of;
    struct sg_result sr;
    struct report_fix *fixes = NULL; /* sr's changes, for the board (malloc'd) */

    memset(&fo, 0, sizeof(fo));
    paths[FS_NEW] = xcalloc(a->n + 1, sizeof(*paths[0]));
    paths[FS_OLD] = xcalloc(a->n + 1, sizeof(*paths[0]));
    for (i = 0; i < a->n; i++) {
        const struct cmd_item *it = &a->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            if (casepath) {
                status = cmd_usage_err(a, "unexpected argument '%s'", it->val);
                goto out;
            }
            casepath = it->val;
            break;
        case O_POLICIES:
            paths[FS_NEW][npaths[FS_NEW]++] = it->val;
            break;
        case O_OLD:
            paths[FS_OLD][npaths[FS_OLD]++] = it->val;
            break;
        case O_OUTPUT:
            if (strcmp(it->val, "html") == 0)
                break;
            diag_warn(d, "report: '-o FILE' is deprecated (-o names the output format): "
                         "use --out FILE");
            output = it->val;
            break;
        case O_OUT:
            output = it->val;
            break;
        case O_STRICT:
            fo.strict = 1;
            break;
        case O_NO_POLICIES:
            fo.load_flags |= POLICY_LOAD_ALLOW_EMPTY;
            break;
        }
    }
    if (!casepath) {
        status = cmd_usage_err(a, "%s", "no case file given");
        goto out;
    }
    if (!npaths[FS_NEW] && !fo.load_flags) {
        status = cmd_usage_err(
            a, "%s", "no policies given (-p PATH, or --no-policies to judge against none)");
        goto out;
    }
    if (!output || !*output) {
        status = cmd_usage_err(a, "%s", "no output file given (--out FILE.html)");
        goto out;
    }

    fo.paths[FS_NEW] = paths[FS_NEW];
    fo.paths[FS_OLD] = paths[FS_OLD];
    fo.npaths[FS_NEW] = npaths[FS_NEW];
    fo.npaths[FS_OLD] = npaths[FS_OLD];
    /* Refuse an output we may not write before doing the work (a FIFO
     * blocks here until its reader comes).  0600: the page holds what the
     * case holds (names, addresses, labels), and the case is 0600. */
    if (outfile_open(&of, output, 0600, 0, d))
        goto out;
    /* The board's "suggested fix" reads the engine's explanation. */
    fo.eng_flags = npaths[FS_NEW] ? ENG_EXPLAIN : 0;
    if (flowset_load(&fs, casepath, &fo, d)) {
        outfile_abort(&of);
        goto out;
    }
    for (int set = 0; set < fs.nsets; set++) {
        struct red_ctx red;

        red_init(&red, fs.e[set], &fs.c);
        red_warn(&red, d);
        red_release(&red);
    }
    memset(&ro, 0, sizeof(ro));
    ro.case_path = casepath;
    ro.paths = paths[FS_NEW];
    ro.npaths = npaths[FS_NEW];
    ro.old_paths = paths[FS_OLD];
    ro.nold = npaths[FS_OLD];
    ro.generated_ns = now_ns();
    sg_result_init(&sr);
    if (npaths[FS_NEW] &&
        cmd_suggest_fix(&fs, (const char *const *)paths[FS_NEW], npaths[FS_NEW], &sr, d) == 0 &&
        sr.nchanges) {
        fixes = xcalloc(sr.nchanges, sizeof(*fixes));
        for (i = 0; i < sr.nchanges; i++) {
            fixes[i].pol = sr.changes[i].pol;
            fixes[i].text = sr.changes[i].text;
        }
        ro.fixes = fixes;
        ro.nfixes = sr.nchanges;
    }
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
    free(fixes);
    sg_result_release(&sr);
    flowset_release(&fs);
out:
    free(paths[FS_NEW]);
    free(paths[FS_OLD]);
    return status;
}

const struct cmd_spec cmd_report_spec = {
    .name = "report",
    .run = cmd_report,
    .opts = report_opts,
    .args = "CASE.db (-p PATH... | --no-policies) [--old PATH...] --out FILE.html",
    .summary = "one HTML page: service graph, flows, policy board",
    .about = "Write one self-contained HTML page (opens offline, fetches nothing): the\n"
             "service graph coloured by verdict, every flow with what decided it, the\n"
             "policy board (hits per tier, policy and rule; rules never hit), port\n"
             "coverage and capture coverage.  With --old, edges and flows whose verdict\n"
             "would change are marked.\n"
             "PATH: files, directories (*.yaml, *.yml, *.json) or - for stdin.\n",
    .exit_status = "Exit status: 0 page written, 2 bad input or usage.\n",
};
