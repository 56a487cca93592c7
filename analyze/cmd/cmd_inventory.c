/*
 * cmd_inventory.c: podflow-analyze inventory CASE.db FILE...
 *
 * One of the analyzer's few commands made to write, and then only to the
 * case named: every FILE is loaded first (a file that does not parse
 * stops here, the case untouched); then the case is opened for writing
 * (db_open_writer(): defensive, no stored SQL runs, an older format is
 * migrated), and in one transaction the previous inventory's endpoint
 * rows and the namespaces are replaced (inventory_write_db()) and the
 * endpoints are joined again with the interfaces the capture saw behind
 * each address (ip_ifaces, ident_rebuild()), so that names and
 * interfaces meet as they would have, had the inventory been given to
 * podflow-capture.  An inventory's validity comes from its objects' own
 * times (DESIGN.md, "An inventory is a snapshot"), never from now.
 */
#include "analyze/cmd/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/inventory.h"
#include "common/compat.h"

const char cmd_inventory_usage[] =
    "usage: podflow-analyze inventory CASE.db FILE...\n"
    "\n"
    "Add or replace the inventory of CASE.db with FILE ('-' is stdin): what\n"
    "  kubectl get pods,namespaces,services,endpointslices,nodes -A -o yaml\n"
    "prints (or -o json; single objects, multi-document YAML and Lists too).\n"
    "The endpoints are joined again with the interfaces the capture saw, so\n"
    "flows_named and the analyzer show pods by name.  CASE.db must exist; an\n"
    "older format is upgraded.\n"
    "\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 success, 2 bad input or usage.\n";

static const struct option inv_long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Replace the inventory and join, in one transaction. */
static int inv_apply(sqlite3 *db, const struct inventory *inv, struct diag *d, size_t *rows)
{
    int rc;

    rc = db_exec(db, d, "write the case", "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    rc = inventory_write_db(db, inv, NULL, NULL, d);
    if (!rc)
        rc = ident_rebuild(db, rows, d);
    if (!rc)
        rc = db_exec(db, d, "write the case", "COMMIT");
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int cmd_inventory(int argc, char **argv, struct diag *d)
{
    struct inventory inv;
    struct buf skipped;
    struct stat st;
    sqlite3 *db = NULL;
    const char *path;
    size_t rows = 0;
    int c, rc = 0;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", inv_long_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(cmd_inventory_usage, stdout);
            return EXIT_OK;
        }
        diag_err(d, "inventory: unknown option '%s' (see --help)", argv[optind - 1]);
        return EXIT_BAD;
    }
    if (argc - optind < 2) {
        diag_err(d, "inventory: %s",
                 argc - optind < 1 ? "no case file and no inventory file" : "no inventory file");
        fputs(cmd_inventory_usage, stderr);
        return EXIT_BAD;
    }
    path = argv[optind++];
    /* The case must exist: this command adds to a capture, it does not
     * make an empty case. */
    if (stat(path, &st) < 0) {
        diag_err(d, "cannot open '%s': %s", path, strerror(errno));
        return EXIT_BAD;
    }

    inventory_init(&inv);
    for (; optind < argc && !rc; optind++)
        rc = inventory_load_file(&inv, argv[optind], d);
    if (!rc)
        rc = db_open_writer(path, d, &db);
    if (!rc)
        rc = inv_apply(db, &inv, d, &rows);
    if (db)
        db_close(&db, d);
    if (!rc) {
        buf_init(&skipped, 0);
        if (inventory_skipped_text(&inv, &skipped) == 0 && skipped.len)
            diag_warn(d, "kinds not used, skipped: %.*s", (int)skipped.len, skipped.data);
        buf_release(&skipped);
        printf("'%s': inventory of %zu pods, %zu services, %zu nodes, %zu namespaces "
               "(%zu malformed, skipped); %zu endpoint rows\n",
               path, inv.npods, inv.nsvcs, inv.nnodes, inv.nnss, inv.malformed, rows);
    }
    inventory_release(&inv);
    return rc ? EXIT_BAD : EXIT_OK;
}
