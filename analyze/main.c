/*
 * main.c: podflow-analyze's command line: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "analyze/cmd/cmd.h"
#include "common/err.h"
#include "common/outfile.h"
#include "common/compat.h"

static const char usage[] =
    "usage: podflow-analyze COMMAND [ARGS]\n"
    "\n"
    "Replay the flows of a podflow case (.db) against Calico and Kubernetes\n"
    "network policies.\n"
    "\n"
    "  check CASE.db -p PATH...   judge every flow: allowed or denied, and by what\n"
    "  select CASE.db SELECTOR    the endpoints a Calico selector matches\n"
    "  show CASE.db               what a case holds\n"
    "  merge OUT.db IN.db...      one case from several (one per node)\n"
    "  inventory CASE.db FILE...  add the cluster's pods, services, nodes to a case\n"
    "  diff CASE.db --old PATH... --new PATH...\n"
    "                             what a policy change would break or fix\n"
    "  report CASE.db -p PATH... -o FILE.html\n"
    "                             one HTML page: service graph, flows, policy board\n"
    "  inventory CASE.db FILE...  attach a kubectl inventory to a case after the fact\n"
    "  redact CASE.db             external addresses to keyed pseudonyms, in place\n"
    "\n"
    "  podflow-analyze COMMAND --help   options of a command\n"
    "  podflow-analyze --version\n"
    "\n"
    "Exit status: 0 nothing denied, 1 at least one flow denied (check) or\n"
    "a working flow would break (diff),\n"
    "2 bad input or usage.\n";

int main(int argc, char **argv)
{
    struct diag d;

    diag_init(&d, NULL, "podflow-analyze");
    /* One thread: SQLite need not lock around every call (a tenth of a
     * million-flow scan goes to its mutexes otherwise).  Must precede any
     * other SQLite call; failure only costs speed. */
    (void)sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
    /* SIGINT, SIGTERM, SIGHUP: remove our temporary files, then die. */
    outfile_signals();
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_BAD;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("podflow-analyze %s\n", PODFLOW_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "select") == 0)
        return cmd_select(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "show") == 0)
        return cmd_show(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "merge") == 0)
        return cmd_merge(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "inventory") == 0)
        return cmd_inventory(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "diff") == 0)
        return cmd_diff(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "report") == 0)
        return cmd_report(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "inventory") == 0)
        return cmd_inventory(argc - 1, argv + 1, &d);
    if (strcmp(argv[1], "redact") == 0)
        return cmd_redact(argc - 1, argv + 1, &d);
    diag_err(&d, "unknown command '%s'", argv[1]);
    fputs(usage, stderr);
    return EXIT_BAD;
}
