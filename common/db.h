/*
 * db.h: the case file (.db) layer: create and migrate for the writer, open
 * read-only and defensively for readers.  schema.sql, embedded at build
 * time as db_schema_sql, is the only source of the schema.
 *
 * Format versions: PRAGMA user_version and meta.format_version hold the
 * same number.  A reader refuses a file whose version is newer than
 * DB_FORMAT_VERSION ("was written by a newer podflow"), and one that is not
 * a podflow case at all.  A writer migrates an older file in place, in one
 * transaction.
 */
#ifndef PODFLOW_DB_H
#define PODFLOW_DB_H

#include <sqlite3.h>

struct diag;

#define DB_FORMAT_VERSION 1

/* The text of schema.sql (NUL-terminated). */
extern const char db_schema_sql[];

/*
 * Open path for writing: create it (mode 0600) with the schema when it does
 * not exist, migrate it when older, refuse it when newer or foreign.  WAL
 * journal, synchronous=NORMAL, foreign keys on, a busy timeout so a second
 * writer gets a clear "database is locked" rather than a hang.  Writes
 * meta.tool_version and meta.created (on creation).  On failure reports
 * through d, leaves the file as it was, and returns ERR_DB, ERR_FORMAT or
 * ERR_VERSION.
 */
int db_open_writer(const char *path, struct diag *d, sqlite3 **out)
    __attribute__((warn_unused_result));

/*
 * Open path read-only for analysis: SQLITE_OPEN_READONLY, defensive mode
 * (SQLITE_DBCONFIG_DEFENSIVE), trusted_schema=OFF, no extension loading;
 * check the format version.  A case may come from a stranger: nothing in
 * it is executed (views and triggers of a hostile file cannot run our
 * functions or write).  Same errors as db_open_writer().
 */
int db_open_reader(const char *path, struct diag *d, sqlite3 **out)
    __attribute__((warn_unused_result));

/* Close, reporting a failure through d; *db is set to NULL. */
void db_close(sqlite3 **db, struct diag *d);

/* Run sql (no results) reporting errors as "cannot <what>: <sqlite msg>". */
int db_exec(sqlite3 *db, struct diag *d, const char *what, const char *sql)
    __attribute__((warn_unused_result));

/* meta table access: value malloc'd (caller frees) or NULL when absent. */
int db_meta_get(sqlite3 *db, const char *key, char **value) __attribute__((warn_unused_result));
int db_meta_set(sqlite3 *db, const char *key, const char *value)
    __attribute__((warn_unused_result));

#endif
