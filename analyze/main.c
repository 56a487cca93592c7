/*
 * main.c: podflow-analyze's door: set up diagnostics and SQLite, then
 * hand the command line to the command table (analyze/cmd/cmd_table.c).
 */
#include <sqlite3.h>

#include "analyze/cmd/cmd.h"
#include "common/err.h"
#include "common/outfile.h"
#include "common/compat.h"

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
    return cmd_main(argc, argv, &d);
}
