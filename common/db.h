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

#include <stddef.h>

#include <sqlite3.h>

#include "common/attrs.h"

struct diag;

#define DB_FORMAT_VERSION 3

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
int db_open_writer(const char *path, struct diag *d, sqlite3 **out) MUST_CHECK;

/*
 * The same, holding the writer's exclusive lock on the case (flock(2) on
 * *lockfd, which the caller keeps open for as long as it writes, then
 * closes): a second locked writer waits LIM_DB_BUSY_MS and then gets
 * "cannot write 'x': database is locked" (ERR_DB).  Readers are not
 * affected.  For podflow-capture, whose run is one long write.
 *
 * Both openers add only to a case that is the running user's own
 * (outfile_case_ok(): a regular file, not a symlink, owned by the user or
 * root, with no group or other write permission, and the same of its
 * -wal, -shm and -journal): otherwise ERR_INVALID or ERR_PERM, the file
 * untouched.
 */
int db_open_writer_locked(const char *path, struct diag *d, sqlite3 **out, int *lockfd) MUST_CHECK;

/*
 * Open path read-only for analysis: SQLITE_OPEN_READONLY, defensive mode
 * (SQLITE_DBCONFIG_DEFENSIVE), trusted_schema=OFF, no extension loading;
 * check the format version.  A case may come from a stranger: nothing in
 * it is executed (views and triggers of a hostile file cannot run our
 * functions or write).  Same errors as db_open_writer().
 *
 * In detail: views and triggers are disabled on the connection (query the
 * tables, never flows_named: a view would fail; the writer's connection is
 * the same), query_only is on, one
 * value is at most LIM_DB_VALUE bytes, and db_check_tables() has passed.
 * The file itself is never written; a WAL-mode file whose -wal is present
 * is read with it (the flows a killed capture committed), which may create
 * its -shm index beside it.  A file of an older format is refused with
 * ERR_FORMAT (a reader does not migrate).
 */
int db_open_reader(const char *path, struct diag *d, sqlite3 **out) MUST_CHECK;

/*
 * Check that db (called path in messages) holds podflow's tables as tables:
 * every table of schema.sql exists as an ordinary table (not a view, not a
 * virtual table), with every column schema.sql gives it (extra columns are
 * allowed, generated ones are not); every view of schema.sql is there with
 * podflow's own text; and the file defines no trigger.  So a hostile file
 * cannot put its own SQL behind a name the analyzer reads.  0, or
 * ERR_FORMAT ("'path' is not a podflow case file: ...") or ERR_DB,
 * reported through d.  Called by both openers.
 */
int db_check_tables(sqlite3 *db, struct diag *d, const char *path) MUST_CHECK;

/*
 * Attach the case at path to db (a writer's connection) under the schema
 * name schema, read-only, for INSERT ... SELECT across files.  The file is
 * first opened and checked exactly as db_open_reader() does (format
 * version, tables, no triggers) and closed; then attached with the same
 * URI rule (mode=ro, immutable for a WAL-mode file with no -wal), and its
 * version and the absence of triggers are checked again on the attached
 * copy.  db's own settings (views and triggers disabled, trusted_schema
 * off, defensive) cover the attached file too, so none of its SQL runs.
 * Detach with "DETACH DATABASE <schema>" outside a transaction.  Same
 * errors as db_open_reader().
 */
int db_attach_reader(sqlite3 *db, const char *path, const char *schema, struct diag *d) MUST_CHECK;

/* Close, reporting a failure through d; *db is set to NULL.  A writer's
 * connection first switches the file back to the rollback journal when no
 * other connection has it open, so that a finished case is one file with
 * no -wal or -shm beside it. */
void db_close(sqlite3 **db, struct diag *d);

/* 1 when s[0..len) is one of Zeek's 13 conn_state words, the list
 * schema.sql's CHECK on flows.state allows; else 0. */
int db_state_valid(const char *s, size_t len);

/* Run sql (no results) reporting errors as "cannot <what>: <sqlite msg>". */
int db_exec(sqlite3 *db, struct diag *d, const char *what, const char *sql) MUST_CHECK;

/*
 * SQLite's threading mode for this process: one thread (no mutexes, the
 * fastest), or several threads each with connections of its own
 * (SQLITE_CONFIG_MULTITHREAD), SQLite's memory statistics off either way.
 * Only while no connection is open (it shuts the library down and starts
 * it again).  0, or ERR_DB when SQLite refuses (a build without threads).
 */
int db_threads(int several) MUST_CHECK;

/* 1 when table (of schema main) has a column named col, else 0 (also on
 * error).  For columns a later format added (flows.dnat_ip, ...). */
int db_has_column(sqlite3 *db, const char *table, const char *col);

/* meta table access: value malloc'd (caller frees) or NULL when absent;
 * 0 or ERR_DB (nothing reported: sqlite3_errmsg(db) says why).  A set
 * inserts or replaces. */
int db_meta_get(sqlite3 *db, const char *key, char **value) MUST_CHECK;
int db_meta_set(sqlite3 *db, const char *key, const char *value) MUST_CHECK;

#endif
