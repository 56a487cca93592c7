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

/* Replace the inventory and join, in one transaction. */
static int inv_apply(sqlite3 *db, const struct inventory *inv, struct diag *d, size_t *rows)
{
    int rc;

    rc = db_exec(db, d, "write the case", "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    rc = inventory_write_db(db, inv, NULL, NULL, d);
    if (!rc)
        rc = inventory_write_problems(db, inv->malformed + inv->field_problems, d);
    if (!rc)
        rc = ident_rebuild(db, rows, d);
    if (!rc)
        rc = db_exec(db, d, "write the case", "COMMIT");
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int cmd_inventory(struct cmd_args *a)
{
    struct diag *d = a->d;
    struct inventory inv;
    struct buf skipped;
    struct stat st;
    sqlite3 *db = NULL;
    const char *path;
    size_t rows = 0, i;
    int rc = 0;

    if (a->n < 2)
        return cmd_usage_err(a, "%s",
                             a->n < 1 ? "no case file and no inventory file" : "no inventory file");
    /* inventory has no options: the items are the operands. */
    path = a->v[0].val;
    /* The case must exist: this command adds to a capture, it does not
     * make an empty case. */
    if (stat(path, &st) < 0) {
        diag_err(d, "cannot open '%s': %s", path, strerror(errno));
        return EXIT_BAD;
    }

    inventory_init(&inv);
    for (i = 1; i < a->n && !rc; i++)
        rc = inventory_load_file(&inv, a->v[i].val, d);
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
               "(%zu malformed, skipped; %zu fields dropped, their objects kept); %zu endpoint "
               "rows\n",
               path, inv.npods, inv.nsvcs, inv.nnodes, inv.nnss, inv.malformed, inv.field_problems,
               rows);
        /* The well-formed objects are written; an object reported as an
         * error is not silently fine: the status says so.  (A dropped
         * field is a warning: its object is kept, the case counts it.) */
        if (inv.malformed) {
            diag_err(d, "%zu inventory object%s reported above %s not added (exit 2)",
                     inv.malformed, inv.malformed == 1 ? "" : "s",
                     inv.malformed == 1 ? "was" : "were");
            rc = ERR_INVALID;
        }
    }
    inventory_release(&inv);
    return rc ? EXIT_BAD : EXIT_OK;
}

static const struct cmd_opt inventory_opts[] = {
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

const struct cmd_spec cmd_inventory_spec = {
    .name = "inventory",
    .run = cmd_inventory,
    .opts = inventory_opts,
    .args = "CASE.db FILE...",
    .summary = "add the cluster's pods, services, nodes to a case",
    .about = "Add or replace the inventory of CASE.db with FILE ('-' is stdin): what\n"
             "  kubectl get pods,namespaces,services,endpointslices,nodes -A -o yaml\n"
             "prints (or -o json; single objects, multi-document YAML and Lists too).\n"
             "The endpoints are joined again with the interfaces the capture saw, so\n"
             "flows_named and the analyzer show pods by name.  CASE.db must exist; an\n"
             "older format is upgraded.\n",
    .exit_status = "Exit status: 0 success, 2 bad input or usage (also when an object of FILE\n"
                   "was malformed: it is reported, the others are added).\n",
};
