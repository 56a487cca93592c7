/*
 * db_int.h: what common/db.c shares with its unit test: the migration step
 * table's layout and the static functions marked TESTABLE.
 */
#ifndef PODFLOW_DB_INT_H
#define PODFLOW_DB_INT_H

#include <stddef.h>

#include <sqlite3.h>

struct diag;

/*
 * One migration step: the SQL that turns a file of format to - 1 into
 * format to.  The steps of a migration run in order, in the writer's one
 * transaction, followed by the update of user_version and
 * meta.format_version; so a file is either fully migrated or untouched.
 */
struct db_migration {
    int to;          /* format version the step produces */
    const char *sql; /* statements, static text */
};

#ifdef PODFLOW_TEST
/* Migrate db (inside an open write transaction) from format from to format
 * to with steps[0..n); each version in (from, to] needs exactly one step.
 * 0, or ERR_DB (reported as "cannot migrate 'path' ...") with the
 * transaction left for the caller to roll back. */
int db_migrate(sqlite3 *db, struct diag *d, const char *path, const struct db_migration *steps,
               size_t n, int from, int to);

/* "file:" URI for path with query (e.g. "mode=ro"): malloc'd. */
char *db_uri(const char *path, const char *query);
#endif

#endif
