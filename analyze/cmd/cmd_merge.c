/*
 * cmd_merge.c: podflow-analyze merge OUT.db IN.db...: one case from the
 * per-node cases a DaemonSet collected (deploy/README.md).  The work is
 * merge.c's; this is the command line.
 */
#include <stdio.h>

#include <getopt.h>
#include <string.h>

#include "analyze/cmd/cmd.h"
#include "analyze/case/merge.h"
#include "common/err.h"
#include "common/compat.h"

const char cmd_merge_usage[] =
    "usage: podflow-analyze merge [--force] OUT.db IN.db...\n"
    "\n"
    "Make one case OUT.db from several (one per node, usually).  Captures,\n"
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
    "another user's file, a directory or a symlink to either.\n"
    "\n"
    "  -f, --force   replace OUT.db when it exists\n"
    "  -q, --quiet   no summary line\n"
    "  -h, --help    this text\n"
    "\n"
    "Exit status: 0 success, 2 bad input or usage.\n";

int cmd_merge(int argc, char **argv, struct diag *d)
{
    static const struct option lopts[] = {
        {"force", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct merge_opts o = {0};
    int opt;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+fqh", lopts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            o.force = 1;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'h':
            fputs(cmd_merge_usage, stdout);
            return EXIT_OK;
        default:
            diag_err(d, "unknown option '%s'", argv[optind - 1]);
            fputs(cmd_merge_usage, stderr);
            return EXIT_BAD;
        }
    }
    if (argc - optind < 2) {
        diag_err(d, "merge needs an output and at least one input");
        fputs(cmd_merge_usage, stderr);
        return EXIT_BAD;
    }
    if (merge_files(argv[optind], argv + optind + 1, (size_t)(argc - optind - 1), &o, d) < 0)
        return EXIT_BAD;
    return EXIT_OK;
}
