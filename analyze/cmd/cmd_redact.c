/*
 * cmd_redact.c: podflow-analyze redact CASE.db: replace the external
 * addresses of a case by keyed pseudonyms before it is shipped (redact.h,
 * docs/security.md).
 */
#include <stdio.h>

#include <getopt.h>
#include <string.h>

#include "analyze/cmd/cmd.h"
#include "analyze/case/redact.h"
#include "common/err.h"
#include "common/compat.h"

const char cmd_redact_usage[] =
    "usage: podflow-analyze redact CASE.db\n"
    "\n"
    "Replace, in place, every external address of CASE.db (neither a pod, a node\n"
    "nor a Service of the case) by a pseudonym of the same family from the\n"
    "documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, then\n"
    "240.0.0.0/4; 2001:db8::/32), keyed by a random key that is not kept: one\n"
    "address, one pseudonym within the case, so flows still group by peer; no way\n"
    "back.  The capture's command line and filter are cleared too.  The file is\n"
    "rewritten whole through a temp copy and a rename, never partially.\n"
    "\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 success, 2 bad input, usage, or the case is in use.\n";

int cmd_redact(int argc, char **argv, struct diag *d)
{
    static const struct option lopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    struct redact_stats st;
    int opt;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(cmd_redact_usage, stdout);
            return EXIT_OK;
        }
        diag_err(d, "unknown option '%s'", argv[optind - 1]);
        fputs(cmd_redact_usage, stderr);
        return EXIT_BAD;
    }
    if (argc - optind != 1) {
        diag_err(d, "redact takes one CASE.db");
        fputs(cmd_redact_usage, stderr);
        return EXIT_BAD;
    }
    if (redact_case(argv[optind], &st, d))
        return EXIT_BAD;
    printf("redacted '%s': %zu IPv4 and %zu IPv6 external addresses%s in %zu flow fields and "
           "%zu external endpoints; the key is discarded\n",
           argv[optind], st.addrs_v4, st.addrs_v6,
           st.addrs_bad ? " (and malformed address texts)" : "", st.flow_fields, st.endpoints);
    return fflush(stdout) ? EXIT_BAD : EXIT_OK;
}
