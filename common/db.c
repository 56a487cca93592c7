/*
 * db.c: the case file (.db) layer over SQLite.
 *
 * Writers (podflow-capture, the analyzer's writing commands) create a case
 * from the embedded schema.sql or migrate an older one, in one transaction,
 * then run it in WAL mode.  Readers (the analyzer) open a case that may
 * come from a stranger: read-only, defensive, with no SQL of the file's own
 * ever run (views and triggers disabled, generated columns refused), and
 * with its tables checked against schema.sql before anything is read.
 *
 * Files are looked at with plain read(2) before SQLite opens them, so that
 * a file which is not SQLite at all is refused without SQLite (or anything
 * else) writing to it.
 *
 * Read-only opening and WAL.  A WAL-mode file keeps committed transactions
 * in "x.db-wal" until a checkpoint copies them into x.db, and reading them
 * needs the "-shm" index.  Measured with SQLite 3.40:
 *   - mode=ro reads everything committed, including what is still in -wal
 *     (a capture killed with kill -9), and never writes x.db (the file is
 *     opened O_RDONLY); but on a WAL-mode file it creates -shm and an empty
 *     -wal when they are missing, and leaves them behind;
 *   - immutable=1 creates nothing and takes no locks, but ignores -wal: the
 *     flows of a killed capture would silently be missing.
 * So the reader uses mode=ro, except for a WAL-mode file with no -wal
 * beside it: nothing committed can be outside x.db then (a WAL writer
 * keeps -wal in place for as long as it has the file open), and
 * immutable=1 reads it exactly, creating nothing (even in a read-only
 * directory).  And
 * the writer, on a clean close, switches the file back to the rollback
 * journal (which checkpoints and deletes -wal and -shm): a finished case is
 * one self-contained file, which readers open without creating anything.
 */
#include "common/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/db_int.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/outfile.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#ifndef PODFLOW_VERSION
#define PODFLOW_VERSION "unknown"
#endif

/*
 * 1 -> 2: flows.dnat_ip/dnat_port (the Service backend conntrack saw), the
 * ip_ifaces table (netlink's IP-behind-interface intervals), and
 * flows_named with src_iface, dst_iface and the DNAT backend's endpoint.
 * The view's text must be schema.sql's byte for byte (db_check_tables()
 * compares it; test_db checks a migrated v1 file).
 */
static const char db_migrate_2[] =
    "ALTER TABLE flows ADD COLUMN dnat_ip TEXT;\n"
    "ALTER TABLE flows ADD COLUMN dnat_port INTEGER;\n"
    "CREATE TABLE ip_ifaces (\n"
    "    id            INTEGER PRIMARY KEY,\n"
    "    capture_id    INTEGER NOT NULL REFERENCES captures (id),\n"
    "    ip            TEXT NOT NULL,\n"
    "    iface         TEXT NOT NULL,          -- link name (cali..., the bridge port, eth0)\n"
    "    ifindex       INTEGER,\n"
    "    kind          TEXT NOT NULL CHECK (kind IN ('pod', 'host')), -- pod: behind a link; host: "
    "the node's own\n"
    "    via           TEXT NOT NULL CHECK (via IN ('route', 'neigh', 'addr')),\n"
    "    valid_from_ns INTEGER,\n"
    "    valid_to_ns   INTEGER\n"
    ");\n"
    "CREATE INDEX ip_ifaces_ip ON ip_ifaces (ip, valid_from_ns);\n"
    "DROP VIEW flows_named;\n"
    "CREATE VIEW flows_named AS\n"
    "SELECT f.*,\n"
    "       i.name AS iface_name,\n"
    "       s.kind AS src_kind, s.namespace AS src_namespace, s.name AS src_name,\n"
    "       s.workload_kind AS src_workload_kind, s.workload AS src_workload, s.labels AS "
    "src_labels,\n"
    "       d.kind AS dst_kind, d.namespace AS dst_namespace, d.name AS dst_name,\n"
    "       d.workload_kind AS dst_workload_kind, d.workload AS dst_workload, d.labels AS "
    "dst_labels,\n"
    "       s.iface AS src_iface, d.iface AS dst_iface,\n"
    "       b.kind AS dnat_kind, b.namespace AS dnat_namespace, b.name AS dnat_name,\n"
    "       b.labels AS dnat_labels\n"
    "FROM flows AS f\n"
    "LEFT JOIN interfaces AS i ON i.id = f.iface\n"
    "LEFT JOIN endpoints AS s ON s.id = (\n"
    "    SELECT e.id FROM endpoints AS e\n"
    "    WHERE e.ip = f.src_ip\n"
    "      AND (e.valid_from_ns IS NULL OR e.valid_from_ns <= f.first_ns)\n"
    "      AND (e.valid_to_ns IS NULL OR f.first_ns < e.valid_to_ns)\n"
    "    ORDER BY coalesce(e.valid_from_ns, -9223372036854775808) DESC,\n"
    "             CASE e.kind WHEN 'pod' THEN 0 WHEN 'host' THEN 1 WHEN 'service' THEN 2 ELSE 3 "
    "END,\n"
    "             e.id\n"
    "    LIMIT 1)\n"
    "LEFT JOIN endpoints AS d ON d.id = (\n"
    "    SELECT e.id FROM endpoints AS e\n"
    "    WHERE e.ip = f.dst_ip\n"
    "      AND (e.valid_from_ns IS NULL OR e.valid_from_ns <= f.first_ns)\n"
    "      AND (e.valid_to_ns IS NULL OR f.first_ns < e.valid_to_ns)\n"
    "    ORDER BY coalesce(e.valid_from_ns, -9223372036854775808) DESC,\n"
    "             CASE e.kind WHEN 'pod' THEN 0 WHEN 'host' THEN 1 WHEN 'service' THEN 2 ELSE 3 "
    "END,\n"
    "             e.id\n"
    "    LIMIT 1)\n"
    "LEFT JOIN endpoints AS b ON b.id = (\n"
    "    SELECT e.id FROM endpoints AS e\n"
    "    WHERE e.ip = f.dnat_ip\n"
    "      AND (e.valid_from_ns IS NULL OR e.valid_from_ns <= f.first_ns)\n"
    "      AND (e.valid_to_ns IS NULL OR f.first_ns < e.valid_to_ns)\n"
    "    ORDER BY coalesce(e.valid_from_ns, -9223372036854775808) DESC,\n"
    "             CASE e.kind WHEN 'pod' THEN 0 WHEN 'host' THEN 1 WHEN 'service' THEN 2 ELSE 3 "
    "END,\n"
    "             e.id\n"
    "    LIMIT 1);\n";

/*
 * 2 -> 3: the services, service_endpoints and pod_networks tables (the
 * inventory's Services and EndpointSlices, and the cluster's pod
 * networks).  The text is schema.sql's (db_check_tables() compares
 * columns; test_db migrates a real format 2 file).  Process attribution's
 * additions to format 3 are the next step, of the same version.
 */
static const char db_migrate_3[] =
    "CREATE TABLE services (\n"
    "    id            INTEGER PRIMARY KEY,\n"
    "    namespace     TEXT NOT NULL,\n"
    "    name          TEXT NOT NULL,\n"
    "    type          TEXT NOT NULL,\n"
    "    cluster_ips   TEXT NOT NULL DEFAULT '[]',\n"
    "    external_ips  TEXT NOT NULL DEFAULT '[]',\n"
    "    lb_ips        TEXT NOT NULL DEFAULT '[]',\n"
    "    ports         TEXT NOT NULL DEFAULT '[]',\n"
    "    selector      TEXT,\n"
    "    labels        TEXT NOT NULL DEFAULT '{}',\n"
    "    valid_from_ns INTEGER,\n"
    "    valid_to_ns   INTEGER,\n"
    "    source        TEXT\n"
    ");\n"
    "CREATE INDEX services_name ON services (namespace, name);\n"
    "CREATE TABLE service_endpoints (\n"
    "    id               INTEGER PRIMARY KEY,\n"
    "    namespace        TEXT NOT NULL,\n"
    "    service          TEXT,\n"
    "    slice            TEXT NOT NULL,\n"
    "    ip               TEXT NOT NULL,\n"
    "    ready            INTEGER NOT NULL DEFAULT 1,\n"
    "    node             TEXT,\n"
    "    target_kind      TEXT,\n"
    "    target_namespace TEXT,\n"
    "    target_name      TEXT,\n"
    "    ports            TEXT NOT NULL DEFAULT '[]',\n"
    "    valid_from_ns    INTEGER,\n"
    "    valid_to_ns      INTEGER,\n"
    "    source           TEXT\n"
    ");\n"
    "CREATE INDEX service_endpoints_service ON service_endpoints (namespace, service);\n"
    "CREATE TABLE pod_networks (\n"
    "    id            INTEGER PRIMARY KEY,\n"
    "    cidr          TEXT NOT NULL,\n"
    "    node          TEXT,\n"
    "    source        TEXT NOT NULL,\n"
    "    capture_id    INTEGER REFERENCES captures (id),\n"
    "    valid_from_ns INTEGER,\n"
    "    valid_to_ns   INTEGER\n"
    ");\n";

/*
 * 2 -> 3, process attribution and open flows: captures.sockets_sought,
 * sockets_unattributed and flows_unsought, flows.open, and the sockets
 * table with its index and the new flows_named (both made by db_create_missing() from
 * schema.sql itself, once every step has run: no copy of their text here).
 */
static const char db_migrate_3_proc[] =
    "ALTER TABLE captures ADD COLUMN sockets_sought INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE captures ADD COLUMN sockets_unattributed INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE captures ADD COLUMN flows_unsought INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE flows ADD COLUMN open INTEGER NOT NULL DEFAULT 0;\n"
    "DROP VIEW flows_named;\n";

/*
 * Migration steps, in version order: steps {N, sql} turn format N - 1 into
 * format N (every step of a version runs, in this order).  A step may only
 * ALTER, CREATE, and DROP a view; then every table, index and view of
 * schema.sql that the file lacks is created from schema.sql's own text
 * (db_create_missing()): after migrating, a file must pass
 * db_check_tables() against the current schema.sql exactly as a new file
 * does.
 */
static const struct db_migration db_migrations[] = {
    {2, db_migrate_2},
    {3, db_migrate_3},
    {3, db_migrate_3_proc},
};

/* What a look at the file, before SQLite opens it, found. */
struct db_probe {
    int fd;       /* the file, kept open for a writer's lock, or -1 */
    bool created; /* we created it just now (empty, mode 0600) */
    bool empty;   /* zero bytes long */
    bool wal;     /* the header says WAL mode (file format write version 2) */
};

/* The SQLite database header (https://sqlite.org/fileformat2.html 1.3):
 *   offset 0   16 bytes "SQLite format 3\0"
 *   offset 18   1 byte  write version: 1 rollback journal, 2 WAL
 *   offset 19   1 byte  read version:  1 rollback journal, 2 WAL
 * The whole header is 100 bytes; a shorter non-empty file is not SQLite. */
#define DB_HEADER_SIZE          100
#define DB_HEADER_WRITE_VERSION 18
static const char db_magic[16] = "SQLite format 3";

static int db_not_case(struct diag *d, const char *path)
{
    diag_err(d, "'%s' is not a podflow case file", path);
    return ERR_FORMAT;
}

static void db_probe_release(struct db_probe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

/*
 * Report SQLite result src for an operation (verb: "open", "read",
 * "write") on path.  A file that SQLite finds is no database is "not a
 * podflow case file"; a damaged one says so; anything else is "cannot
 * <verb> 'path': <sqlite message>" ("database is locked" for SQLITE_BUSY).
 */
static int db_report(struct diag *d, const char *verb, const char *path, sqlite3 *db, int src)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(src);

    /* A read-only connection cannot roll back a hot journal (a writer in
     * rollback mode died mid-transaction); SQLite's own words for it are
     * "attempt to write a readonly database". */
    if (src == SQLITE_READONLY_ROLLBACK) {
        diag_err(d,
                 "cannot %s '%s': a transaction left unfinished in '%s-journal' must be "
                 "rolled back first (open the file once for writing)",
                 verb, path, path);
        return ERR_DB;
    }
    switch (src & 0xff) {
    case SQLITE_NOTADB:
        return db_not_case(d, path);
    case SQLITE_CORRUPT:
        diag_err(d, "'%s' is damaged: %s", path, msg);
        return ERR_FORMAT;
    default:
        diag_err(d, "cannot %s '%s': %s", verb, path, msg);
        return ERR_DB;
    }
}

/*
 * Look at path before SQLite does.  A writer (create) makes it (O_EXCL,
 * mode 0600: a case describes the customer's network) when it does not
 * exist, and otherwise adds only to a case that is the running user's own
 * (outfile_case_ok(): not a symlink, no other writer).  Refuses what is
 * not a regular file, and a non-empty file without the SQLite header,
 * reading nothing past the first 100 bytes and writing nothing.  With
 * keep, p->fd stays open (for a lock).  0, -errno, ERR_FORMAT, ERR_INVALID
 * or ERR_PERM, reported.
 */
static int db_probe(const char *path, struct diag *d, bool create, bool keep, struct db_probe *p)
{
    unsigned char hdr[DB_HEADER_SIZE];
    struct stat st;
    size_t got = 0;
    int fd, err, rc;

    memset(p, 0, sizeof(*p));
    p->fd = -1;
    if (create) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            if (keep)
                p->fd = fd;
            else
                close(fd);
            p->created = true;
            p->empty = true;
            return 0;
        }
        if (errno != EEXIST) {
            err = errno;
            diag_err(d, "cannot create '%s': %s", path, strerror(err));
            return -err;
        }
    }
    /* O_NONBLOCK: a FIFO named like a case must not hang us in open().
     * A writer follows no symlink: what it adds to must be the file. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (create ? O_NOFOLLOW : 0));
    if (fd < 0) {
        err = errno;
        if (create && err == ELOOP && lstat(path, &st) == 0)
            return outfile_case_ok(path, &st, d);
        diag_err(d, "cannot open '%s': %s", path, strerror(err));
        return -err;
    }
    if (fstat(fd, &st) < 0) {
        err = errno;
        close(fd);
        diag_err(d, "cannot open '%s': %s", path, strerror(err));
        return -err;
    }
    if (create) {
        rc = outfile_case_ok(path, &st, d);
        if (rc) {
            close(fd);
            return rc;
        }
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        diag_err(d, "'%s' is not a regular file", path);
        return ERR_FORMAT;
    }
    while (got < sizeof(hdr)) {
        ssize_t n = read(fd, hdr + got, sizeof(hdr) - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            close(fd);
            diag_err(d, "cannot read '%s': %s", path, strerror(err));
            return -err;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (keep)
        p->fd = fd;
    else
        close(fd);
    if (got == 0) {
        p->empty = true;
        return 0;
    }
    if (got < sizeof(hdr) || memcmp(hdr, db_magic, sizeof(db_magic)) != 0) {
        db_probe_release(p);
        return db_not_case(d, path);
    }
    p->wal = hdr[DB_HEADER_WRITE_VERSION] == 2;
    return 0;
}

/*
 * Take the writer's exclusive lock on the case open at fd: flock(2), which
 * SQLite's own (fcntl) locks neither use nor disturb, so readers go on
 * reading.  Waits LIM_DB_BUSY_MS for another writer to let go, like
 * SQLite's busy timeout.  0 or ERR_DB, reported.
 */
static int db_lock(int fd, const char *path, struct diag *d)
{
    for (int waited = 0;; waited += 50) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int err = errno;

            diag_err(d, "cannot lock '%s': %s", path, strerror(err));
            return ERR_DB;
        }
        if (waited >= LIM_DB_BUSY_MS) {
            diag_err(d, "cannot write '%s': database is locked (another capture is writing it)",
                     path);
            return ERR_DB;
        }
        usleep(50 * 1000);
    }
}

/* Does path + suffix exist (as anything)? */
static bool db_side_exists(const char *path, const char *suffix)
{
    size_t len = strlen(path) + strlen(suffix) + 1;
    char *name = xmalloc(len);
    struct stat st;
    bool exists;

    snprintf(name, len, "%s%s", path, suffix);
    exists = lstat(name, &st) == 0 || errno != ENOENT;
    free(name);
    return exists;
}

/*
 * A "file:" URI for path (https://sqlite.org/uri.html): every byte but the
 * unreserved ones and '/' percent-encoded, so that no '?', '#' or '%' in a
 * file name can add query parameters (vfs=, mode=...).  An absolute path
 * gets an empty authority ("file:///abs"), so that a path starting "//" is
 * not read as a host name.
 */
TESTABLE char *db_uri(const char *path, const char *query)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(path);
    char *uri = xmalloc(sizeof("file://") + 3 * len + 1 + strlen(query));
    char *p = uri;

    memcpy(p, "file:", 5);
    p += 5;
    if (path[0] == '/') {
        memcpy(p, "//", 2);
        p += 2;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p++ = '?';
    memcpy(p, query, strlen(query) + 1);
    return uri;
}

/* Run a statement returning one integer (a PRAGMA, a count).  SQLite code. */
static int db_read_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int src;

    src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return src;
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        src = SQLITE_OK;
    } else if (src == SQLITE_DONE) {
        src = SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    return src;
}

/* Run sql, reporting "cannot <verb> 'path': <message>". */
static int db_exec_path(sqlite3 *db, struct diag *d, const char *verb, const char *path,
                        const char *sql)
{
    char *msg = NULL;
    int src = sqlite3_exec(db, sql, NULL, NULL, &msg);

    if (src == SQLITE_OK)
        return 0;
    if ((src & 0xff) == SQLITE_NOTADB || (src & 0xff) == SQLITE_CORRUPT) {
        sqlite3_free(msg);
        return db_report(d, verb, path, db, src);
    }
    diag_err(d, "cannot %s '%s': %s", verb, path, msg ? msg : sqlite3_errstr(src));
    sqlite3_free(msg);
    return ERR_DB;
}

/*
 * Settings both sides share, and the reader's extra locks.  Defensive mode
 * stops writes to sqlite_schema and other ways of corrupting the file
 * through SQL; trusted_schema=OFF keeps functions with side effects out of
 * anything the schema defines; no extension can be loaded; triggers never
 * fire and views cannot be used (the format has no triggers, and podflow
 * reads tables only, checked by db_check_tables(): a writer adding
 * inventory to a stranger's case must not run the stranger's SQL either).
 * The reader also bounds the size of any one value, and is query_only on
 * top of SQLITE_OPEN_READONLY.
 */
static int db_configure(sqlite3 *db, struct diag *d, const char *path, bool reader)
{
    static const struct {
        int op;
        int writer; /* value for the writer */
        int reader; /* value for the reader */
    } flags[] = {
        {SQLITE_DBCONFIG_DEFENSIVE, 1, 1},
        {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, 0},
        {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, 0},
        {SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, 0},
        /* Disabled views can still be created (flows_named), not used. */
        {SQLITE_DBCONFIG_ENABLE_VIEW, 0, 0},
    };
    int src;

    sqlite3_extended_result_codes(db, 1);
    for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
        int want = reader ? flags[i].reader : flags[i].writer;
        int got = -1;

        src = sqlite3_db_config(db, flags[i].op, want, &got);
        if (src != SQLITE_OK || got != want) {
            diag_err(d, "cannot open '%s': SQLite refused setting %d", path, flags[i].op);
            return ERR_DB;
        }
    }
    sqlite3_busy_timeout(db, LIM_DB_BUSY_MS);
    if (reader) {
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, LIM_DB_VALUE);
        /* cell_size_check: find a damaged b-tree page before using it. */
        return db_exec_path(db, d, "open", path,
                            "PRAGMA query_only = ON;"
                            "PRAGMA cell_size_check = ON;"
                            "PRAGMA mmap_size = 0;");
    }
    /* foreign_keys must be set outside a transaction; synchronous=NORMAL
     * in WAL mode loses at most the last commits on power loss, never
     * consistency (https://sqlite.org/pragma.html#pragma_synchronous). */
    return db_exec_path(db, d, "open", path,
                        "PRAGMA foreign_keys = ON;"
                        "PRAGMA synchronous = NORMAL;");
}

static int db_refuse_newer(struct diag *d, const char *path, int64_t version)
{
    diag_err(d, "'%s' was written by a newer podflow (format %lld, this one reads up to %d)", path,
             (long long)version, DB_FORMAT_VERSION);
    return ERR_VERSION;
}

/* meta.format_version must say what user_version says. */
static int db_check_meta(sqlite3 *db, struct diag *d, const char *path, int64_t version)
{
    char *text = NULL;
    int64_t v;
    int rc;

    if (db_meta_get(db, "format_version", &text) < 0) {
        diag_err(d, "cannot read '%s': %s", path, sqlite3_errmsg(db));
        return ERR_DB;
    }
    if (!text) {
        diag_err(d, "'%s' is damaged: meta.format_version is missing", path);
        return ERR_FORMAT;
    }
    rc = parse_i64(text, strlen(text), 1, INT32_MAX, &v);
    if (rc < 0 || v != version) {
        diag_err(d, "'%s' is damaged: meta.format_version is '%.20s' but user_version is %lld",
                 path, text, (long long)version);
        free(text);
        return ERR_FORMAT;
    }
    free(text);
    return 0;
}

TESTABLE int db_migrate(sqlite3 *db, struct diag *d, const char *path,
                        const struct db_migration *steps, size_t n, int from, int to)
{
    char sql[64], num[16];
    int rc;

    for (int v = from + 1; v <= to; v++) {
        size_t found = 0;

        for (size_t i = 0; i < n; i++) {
            if (steps[i].to != v || !steps[i].sql)
                continue;
            found++;
            rc = db_exec_path(db, d, "migrate", path, steps[i].sql);
            if (rc < 0)
                return rc;
        }
        if (!found) {
            diag_err(d, "cannot migrate '%s': no step from format %d to format %d", path, v - 1, v);
            return ERR_DB;
        }
    }
    snprintf(sql, sizeof(sql), "PRAGMA main.user_version = %d", to);
    snprintf(num, sizeof(num), "%d", to);
    rc = db_exec_path(db, d, "migrate", path, sql);
    if (rc < 0)
        return rc;
    if (db_meta_set(db, "format_version", num) < 0) {
        diag_err(d, "cannot migrate '%s': %s", path, sqlite3_errmsg(db));
        return ERR_DB;
    }
    return 0;
}

/*
 * The reference: schema.sql itself, applied to a private memory database
 * (*ref), and the statement sql prepared on it (*objs), so that what the
 * format holds is never written twice.  0, or ERR_DB reported as "cannot
 * <verb> 'path': ..."; the caller finalizes and closes either way.
 */
static int db_reference(struct diag *d, const char *verb, const char *path, const char *sql,
                        sqlite3 **ref, sqlite3_stmt **objs)
{
    int src = sqlite3_open_v2(":memory:", ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

    if (src == SQLITE_OK)
        src = sqlite3_exec(*ref, db_schema_sql, NULL, NULL, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(*ref, sql, -1, objs, NULL);
    if (src == SQLITE_OK)
        return 0;
    diag_err(d, "cannot %s '%s': %s", verb, path,
             *ref ? sqlite3_errmsg(*ref) : sqlite3_errstr(src));
    return ERR_DB;
}

/*
 * Create every table, index and view of schema.sql that db lacks, with
 * schema.sql's own text (read back from a private memory database the
 * schema is applied to), in schema.sql's order: a migrated file then holds
 * the new objects exactly as a new file does.  0 or ERR_DB, reported.
 */
static int db_create_missing(sqlite3 *db, struct diag *d, const char *path)
{
    sqlite3 *ref = NULL;
    sqlite3_stmt *objs = NULL, *have = NULL;
    int src, rc = 0;

    rc = db_reference(d, "migrate", path,
                      "SELECT name, sql FROM main.sqlite_schema WHERE sql IS NOT NULL"
                      " AND type IN ('table', 'index', 'view') ORDER BY rowid",
                      &ref, &objs);
    if (rc < 0)
        goto out;
    src = sqlite3_prepare_v2(db, "SELECT count(*) FROM main.sqlite_schema WHERE name = ?1", -1,
                             &have, NULL);
    if (src != SQLITE_OK) {
        rc = db_report(d, "migrate", path, db, src);
        goto out;
    }
    while ((src = sqlite3_step(objs)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(objs, 0);

        sqlite3_reset(have);
        sqlite3_bind_text(have, 1, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(have) != SQLITE_ROW) {
            rc = db_report(d, "migrate", path, db, sqlite3_errcode(db));
            goto out;
        }
        if (sqlite3_column_int64(have, 0) > 0)
            continue;
        rc = db_exec_path(db, d, "migrate", path, (const char *)sqlite3_column_text(objs, 1));
        if (rc < 0)
            goto out;
    }
    if (src != SQLITE_DONE) {
        diag_err(d, "cannot migrate '%s': %s", path, sqlite3_errmsg(ref));
        rc = ERR_DB;
    }
out:
    sqlite3_finalize(have);
    sqlite3_finalize(objs);
    sqlite3_close(ref);
    return rc;
}

/* Apply schema.sql to an empty file and record who created it, when. */
static int db_create_schema(sqlite3 *db, struct diag *d, const char *path)
{
    char created[40];
    int rc;

    rc = db_exec_path(db, d, "write", path, db_schema_sql);
    if (rc < 0)
        return rc;
    format_rfc3339(now_ns(), created, sizeof(created));
    if (db_meta_set(db, "tool_version", PODFLOW_VERSION) < 0 ||
        db_meta_set(db, "created", created) < 0) {
        diag_err(d, "cannot write '%s': %s", path, sqlite3_errmsg(db));
        return ERR_DB;
    }
    return 0;
}

/*
 * Decide what the file is, inside the writer's write transaction: new
 * (apply the schema), ours (check it), older (migrate), newer or foreign
 * (refuse).
 */
static int db_writer_setup(sqlite3 *db, struct diag *d, const char *path,
                           const struct db_probe *probe)
{
    int64_t version, objects;
    int src, rc;

    src = db_read_int(db, "PRAGMA main.user_version", &version);
    if (src == SQLITE_OK)
        src = db_read_int(db, "SELECT count(*) FROM main.sqlite_schema", &objects);
    if (src != SQLITE_OK)
        return db_report(d, "read", path, db, src);
    if (version == 0 && objects == 0 && probe->empty) {
        rc = db_create_schema(db, d, path);
        if (rc < 0)
            return rc;
        version = DB_FORMAT_VERSION;
    } else if (version <= 0) {
        return db_not_case(d, path);
    } else if (version > DB_FORMAT_VERSION) {
        return db_refuse_newer(d, path, version);
    } else if (version < DB_FORMAT_VERSION) {
        /* Migration SQL runs with triggers disabled (db_configure). */
        rc = db_migrate(db, d, path, db_migrations, ARRAY_SIZE(db_migrations), (int)version,
                        DB_FORMAT_VERSION);
        if (rc == 0)
            rc = db_create_missing(db, d, path);
        if (rc < 0)
            return rc;
        version = DB_FORMAT_VERSION;
    }
    rc = db_check_tables(db, d, path);
    if (rc < 0)
        return rc;
    return db_check_meta(db, d, path, version);
}

int db_open_writer(const char *path, struct diag *d, sqlite3 **out)
{
    return db_open_writer_locked(path, d, out, NULL);
}

int db_open_writer_locked(const char *path, struct diag *d, sqlite3 **out, int *lockfd)
{
    struct db_probe probe;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool in_txn = false;
    const char *mode;
    char *uri;
    int src, rc;

    *out = NULL;
    if (lockfd)
        *lockfd = -1;
    rc = db_probe(path, d, true, lockfd != NULL, &probe);
    if (rc < 0)
        return rc;
    if (lockfd) {
        rc = db_lock(probe.fd, path, d);
        if (rc < 0)
            goto out_close;
    }
    uri = db_uri(path, "mode=rw");
    src = sqlite3_open_v2(uri, &db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE |
                              SQLITE_OPEN_NOFOLLOW,
                          NULL);
    free(uri);
    if (src != SQLITE_OK) {
        rc = db_report(d, "open", path, db, src);
        goto out_close;
    }
    rc = db_configure(db, d, path, false);
    if (rc < 0)
        goto out_close;
    /* IMMEDIATE: take the write lock now, so that a second writer learns
     * "database is locked" at once (after the busy timeout), and so that
     * nobody changes the file between our checks and our changes.  In
     * rollback mode the lock alone writes nothing to the file. */
    src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        rc = db_report(d, "write", path, db, src);
        goto out_close;
    }
    in_txn = true;
    rc = db_writer_setup(db, d, path, &probe);
    if (rc < 0)
        goto out_close;
    src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        rc = db_report(d, "write", path, db, src);
        goto out_close;
    }
    in_txn = false;
    /* WAL only now: a file we refuse must not have its header changed. */
    src = sqlite3_prepare_v2(db, "PRAGMA main.journal_mode = WAL", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        rc = db_report(d, "write", path, db, src);
        goto out_finalize;
    }
    mode = (const char *)sqlite3_column_text(st, 0);
    if (!mode || strcasecmp(mode, "wal") != 0) {
        /* SQLite keeps the old mode where WAL cannot work (no shared
         * memory, e.g. some network filesystems). */
        diag_err(d, "cannot write '%s': WAL journal mode is not available there", path);
        rc = ERR_DB;
        goto out_finalize;
    }
    sqlite3_finalize(st);
    *out = db;
    if (lockfd)
        *lockfd = probe.fd;
    return 0;

out_finalize:
    sqlite3_finalize(st);
out_close:
    if (in_txn)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    if (probe.created)
        outfile_remove_db(path); /* we created it */
    db_probe_release(&probe);
    return rc;
}

/* The URI a reader opens path by (malloc'd): immutable=1 for a WAL-mode
 * file without its -wal, else mode=ro; see the top of this file for why. */
static char *db_reader_uri(const char *path, const struct db_probe *probe)
{
    return db_uri(path,
                  probe->wal && !db_side_exists(path, "-wal") ? "mode=ro&immutable=1" : "mode=ro");
}

int db_open_reader(const char *path, struct diag *d, sqlite3 **out)
{
    struct db_probe probe;
    sqlite3 *db = NULL;
    int64_t version;
    char *uri;
    int src, rc;

    *out = NULL;
    rc = db_probe(path, d, false, false, &probe);
    if (rc < 0)
        return rc;
    if (probe.empty)
        return db_not_case(d, path);
    uri = db_reader_uri(path, &probe);
    src = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE,
                          NULL);
    free(uri);
    if (src != SQLITE_OK) {
        rc = db_report(d, "open", path, db, src);
        goto out_close;
    }
    rc = db_configure(db, d, path, true);
    if (rc < 0)
        goto out_close;
    src = db_read_int(db, "PRAGMA main.user_version", &version);
    if (src != SQLITE_OK) {
        rc = db_report(d, "read", path, db, src);
        goto out_close;
    }
    if (version <= 0) {
        rc = db_not_case(d, path);
        goto out_close;
    }
    if (version > DB_FORMAT_VERSION) {
        rc = db_refuse_newer(d, path, version);
        goto out_close;
    }
    if (version < DB_FORMAT_VERSION) {
        /* A reader never writes the case; migrating is a writer's job. */
        diag_err(d,
                 "'%s' is in the older format %lld (this podflow reads %d): let a podflow "
                 "writer migrate a copy of it first",
                 path, (long long)version, DB_FORMAT_VERSION);
        rc = ERR_FORMAT;
        goto out_close;
    }
    rc = db_check_tables(db, d, path);
    if (rc < 0)
        goto out_close;
    rc = db_check_meta(db, d, path, version);
    if (rc < 0)
        goto out_close;
    *out = db;
    return 0;

out_close:
    sqlite3_close(db);
    return rc;
}

int db_attach_reader(sqlite3 *db, const char *path, const char *schema, struct diag *d)
{
    struct db_probe probe;
    sqlite3 *chk = NULL;
    sqlite3_stmt *st = NULL;
    char sql[128];
    int64_t version = 0, triggers = 1;
    char *uri;
    int src, rc;

    rc = db_open_reader(path, d, &chk);
    if (rc < 0)
        return rc;
    db_close(&chk, d);
    rc = db_probe(path, d, false, false, &probe);
    if (rc < 0)
        return rc;
    uri = db_reader_uri(path, &probe);
    src = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS ?2", -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
        src = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    free(uri);
    if (src != SQLITE_DONE)
        return db_report(d, "open", path, db, src);
    /* The file may have changed since the check above: the attached copy
     * is what will be read, so look at it once more. */
    snprintf(sql, sizeof(sql), "PRAGMA \"%s\".user_version", schema);
    src = db_read_int(db, sql, &version);
    if (src == SQLITE_OK) {
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM \"%s\".sqlite_schema WHERE type = 'trigger'", schema);
        src = db_read_int(db, sql, &triggers);
    }
    if (src != SQLITE_OK)
        rc = db_report(d, "read", path, db, src);
    else if (version != DB_FORMAT_VERSION || triggers != 0)
        rc = db_not_case(d, path);
    if (rc < 0) {
        snprintf(sql, sizeof(sql), "DETACH DATABASE \"%s\"", schema);
        sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    return rc;
}

/* Columns of the file's table name against the reference's. */
static int db_check_columns(sqlite3 *db, sqlite3 *ref, struct diag *d, const char *path,
                            const char *name)
{
    sqlite3_stmt *want = NULL, *have = NULL, *gen = NULL;
    int src, rc = 0;

    src =
        sqlite3_prepare_v2(ref, "SELECT name FROM pragma_table_xinfo(?1, 'main')", -1, &want, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(db,
                                 "SELECT count(*) FROM pragma_table_xinfo(?1, 'main') "
                                 "WHERE name = ?2 COLLATE NOCASE",
                                 -1, &have, NULL);
    /* Generated columns (hidden 2 and 3) compute SQL from the file on
     * every read; hidden 1 belongs to virtual tables, refused before. */
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(db,
                                 "SELECT name FROM pragma_table_xinfo(?1, 'main') "
                                 "WHERE hidden <> 0 LIMIT 1",
                                 -1, &gen, NULL);
    if (src != SQLITE_OK) {
        rc = db_report(d, "read", path, db, src);
        goto out;
    }
    sqlite3_bind_text(want, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(have, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(gen, 1, name, -1, SQLITE_STATIC);
    src = sqlite3_step(gen);
    if (src == SQLITE_ROW) {
        diag_err(d, "'%s' is not a podflow case file: column '%s.%s' is generated", path, name,
                 (const char *)sqlite3_column_text(gen, 0));
        rc = ERR_FORMAT;
        goto out;
    }
    if (src != SQLITE_DONE) {
        rc = db_report(d, "read", path, db, src);
        goto out;
    }
    while ((src = sqlite3_step(want)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(want, 0);

        sqlite3_reset(have);
        sqlite3_bind_text(have, 2, col, -1, SQLITE_TRANSIENT);
        src = sqlite3_step(have);
        if (src != SQLITE_ROW) {
            rc = db_report(d, "read", path, db, src);
            goto out;
        }
        if (sqlite3_column_int64(have, 0) != 1) {
            diag_err(d, "'%s' is not a podflow case file: table '%s' has no column '%s'", path,
                     name, col);
            rc = ERR_FORMAT;
            goto out;
        }
    }
    if (src != SQLITE_DONE)
        rc = db_report(d, "read", path, ref, src);
out:
    sqlite3_finalize(gen);
    sqlite3_finalize(have);
    sqlite3_finalize(want);
    return rc;
}

/*
 * One object of the reference schema (a table or view called name, whose
 * CREATE text is sql) against the file's object of the same name.
 */
static int db_check_object(sqlite3 *db, sqlite3 *ref, sqlite3_stmt *find, struct diag *d,
                           const char *path, const char *type, const char *name, const char *sql)
{
    const char *ftype, *fsql;
    int src;

    sqlite3_reset(find);
    sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
    src = sqlite3_step(find);
    if (src != SQLITE_ROW)
        return db_report(d, "read", path, db, src);
    if (sqlite3_column_int64(find, 2) == 0) {
        diag_err(d, "'%s' is not a podflow case file: %s '%s' is missing", path, type, name);
        return ERR_FORMAT;
    }
    /* Names are unique in sqlite_schema, unless someone wrote it by
     * hand: then trust none of them. */
    if (sqlite3_column_int64(find, 2) != 1) {
        diag_err(d, "'%s' is not a podflow case file: '%s' is defined more than once", path, name);
        return ERR_FORMAT;
    }
    ftype = (const char *)sqlite3_column_text(find, 0);
    fsql = (const char *)sqlite3_column_text(find, 1);
    if (!ftype || strcmp(ftype, type) != 0) {
        diag_err(d, "'%s' is not a podflow case file: '%s' is a %s, not a %s", path, name,
                 ftype ? ftype : "null", type);
        return ERR_FORMAT;
    }
    if (strcmp(type, "view") == 0) {
        /* Our own view text, byte for byte: anything else named like it
         * is someone else's SQL. */
        if (!fsql || strcmp(fsql, sql) != 0) {
            diag_err(d, "'%s' is not a podflow case file: view '%s' is not podflow's", path, name);
            return ERR_FORMAT;
        }
        return 0;
    }
    /* SQLite stores an ordinary table's text as "CREATE TABLE ...": a
     * virtual table ("CREATE VIRTUAL TABLE") would run a module's code. */
    if (!fsql || strncmp(fsql, "CREATE TABLE ", 13) != 0) {
        diag_err(d, "'%s' is not a podflow case file: '%s' is not an ordinary table", path, name);
        return ERR_FORMAT;
    }
    return db_check_columns(db, ref, d, path, name);
}

int db_check_tables(sqlite3 *db, struct diag *d, const char *path)
{
    sqlite3 *ref = NULL;
    sqlite3_stmt *objs = NULL, *find = NULL, *trig = NULL;
    int src, rc = 0;

    rc = db_reference(d, "check", path,
                      "SELECT type, name, sql FROM main.sqlite_schema "
                      "WHERE type IN ('table', 'view') ORDER BY rowid",
                      &ref, &objs);
    if (rc < 0)
        goto out;
    src = sqlite3_prepare_v2(
        db, "SELECT name FROM main.sqlite_schema WHERE type = 'trigger' LIMIT 1", -1, &trig, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(db,
                                 "SELECT min(type), min(sql), count(*) FROM main.sqlite_schema "
                                 "WHERE name = ?1 COLLATE NOCASE",
                                 -1, &find, NULL);
    if (src != SQLITE_OK) {
        rc = db_report(d, "read", path, db, src);
        goto out;
    }
    src = sqlite3_step(trig);
    if (src == SQLITE_ROW) {
        diag_err(d, "'%s' is not a podflow case file: it defines trigger '%s'", path,
                 (const char *)sqlite3_column_text(trig, 0));
        rc = ERR_FORMAT;
        goto out;
    }
    if (src != SQLITE_DONE) {
        rc = db_report(d, "read", path, db, src);
        goto out;
    }
    while ((src = sqlite3_step(objs)) == SQLITE_ROW) {
        rc = db_check_object(db, ref, find, d, path, (const char *)sqlite3_column_text(objs, 0),
                             (const char *)sqlite3_column_text(objs, 1),
                             (const char *)sqlite3_column_text(objs, 2));
        if (rc < 0)
            goto out;
    }
    if (src != SQLITE_DONE) {
        diag_err(d, "cannot check '%s': %s", path, sqlite3_errmsg(ref));
        rc = ERR_DB;
    }
out:
    sqlite3_finalize(find);
    sqlite3_finalize(trig);
    sqlite3_finalize(objs);
    sqlite3_close(ref);
    return rc;
}

/* Set the journal mode to mode (or only ask when NULL): 1 when it then
 * is want. */
static int db_journal_mode(sqlite3 *db, const char *mode, const char *want)
{
    char sql[64];
    sqlite3_stmt *st = NULL;
    int ok = 0;

    snprintf(sql, sizeof(sql), "PRAGMA main.journal_mode%s%s", mode ? " = " : "", mode ? mode : "");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *got = (const char *)sqlite3_column_text(st, 0);

        ok = got && strcasecmp(got, want) == 0;
    }
    sqlite3_finalize(st);
    return ok;
}

/* May this process create files beside db's file (its directory)? */
static int db_dir_writable(sqlite3 *db)
{
    const char *file = sqlite3_db_filename(db, "main");
    char *dir;
    int ok;

    if (!file || !*file)
        return 0;
    dir = xstrdup(file);
    if (strrchr(dir, '/'))
        *strrchr(dir, '/') = '\0';
    ok = access(*dir ? dir : "/", W_OK | X_OK) == 0;
    free(dir);
    return ok;
}

/* Checkpoint every frame and truncate the WAL to nothing: 1 when done
 * (no reader kept a frame). */
static int db_checkpoint_all(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int ok = 0;

    if (sqlite3_prepare_v2(db, "PRAGMA main.wal_checkpoint(TRUNCATE)", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = sqlite3_column_int(st, 0) == 0 && sqlite3_column_int(st, 1) == 0;
    sqlite3_finalize(st);
    return ok;
}

void db_close(sqlite3 **pdb, struct diag *d)
{
    sqlite3 *db = *pdb;
    int src;

    if (!db)
        return;
    *pdb = NULL;
    /* A writer leaves a finished case as one self-contained file in
     * rollback-journal mode (see the top of this file).  Best effort, and
     * without waiting: while another connection has the file open the
     * switch fails, the file stays in WAL mode, and the last connection
     * to close checkpoints it. */
    if (sqlite3_db_readonly(db, "main") == 0 && sqlite3_get_autocommit(db)) {
        sqlite3_busy_timeout(db, 0);
        if (!db_journal_mode(db, NULL, "wal") || db_dir_writable(db)) {
            (void)db_journal_mode(db, "DELETE", "delete");
        } else if (db_checkpoint_all(db)) {
            /* A directory we may not create files in (a capture that
             * dropped to -Z USER, in root's directory): the rollback
             * journal DELETE needs cannot be made, and the WAL, once
             * closed, could not be opened again.  Everything is in the
             * file now and the WAL is empty: switch the header with the
             * journal in memory (page 1 alone is written, with nothing
             * to roll back), so the file is in rollback mode as after any
             * other run.  The empty -wal and the -shm stay for whoever
             * may remove them (podflow-capture's -Z helper,
             * capture/priv.c). */
            (void)db_journal_mode(db, "MEMORY", "memory");
        }
    }
    src = sqlite3_close(db);
    if (src != SQLITE_OK) {
        const char *file = sqlite3_db_filename(db, "main");

        diag_err(d, "cannot close '%s': %s", file ? file : "", sqlite3_errmsg(db));
        /* Unfinalized statements (a bug): free it when they are. */
        sqlite3_close_v2(db);
    }
}

int db_state_valid(const char *s, size_t len)
{
    /* The 13 words of schema.sql's CHECK, by length, compared in place
     * (the analyzer asks once per flow: a memcmp() call a word cost more
     * than the rest of the test; memcmp() with a constant length == 0 is
     * compiled inline). */
    if (!s)
        return 0;
    switch (len) {
    case 2: /* SF S0 S1 S2 S3 SH */
        return s[0] == 'S' && (s[1] == 'F' || s[1] == '0' || s[1] == '1' || s[1] == '2' ||
                               s[1] == '3' || s[1] == 'H');
    case 3:
        return memcmp(s, "REJ", 3) == 0 || memcmp(s, "SHR", 3) == 0 || memcmp(s, "OTH", 3) == 0;
    case 4:
        return memcmp(s, "RSTO", 4) == 0 || memcmp(s, "RSTR", 4) == 0;
    case 5:
        return memcmp(s, "RSTRH", 5) == 0;
    case 6:
        return memcmp(s, "RSTOS0", 6) == 0;
    default:
        return 0;
    }
}

int db_exec(sqlite3 *db, struct diag *d, const char *what, const char *sql)
{
    char *msg = NULL;
    int src = sqlite3_exec(db, sql, NULL, NULL, &msg);

    if (src == SQLITE_OK)
        return 0;
    diag_err(d, "cannot %s: %s", what, msg ? msg : sqlite3_errstr(src));
    sqlite3_free(msg);
    return ERR_DB;
}

int db_meta_get(sqlite3 *db, const char *key, char **value)
{
    sqlite3_stmt *st = NULL;
    int src, rc = 0;

    *value = NULL;
    src = sqlite3_prepare_v2(db, "SELECT value FROM main.meta WHERE key = ?1", -1, &st, NULL);
    if (src != SQLITE_OK)
        return ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(st, 0);

        /* NULL (a hand-edited file: the schema says NOT NULL) is absent. */
        if (text)
            *value = xmemdupz(text, (size_t)sqlite3_column_bytes(st, 0));
    } else if (src != SQLITE_DONE) {
        rc = ERR_DB;
    }
    sqlite3_finalize(st);
    return rc;
}

int db_meta_set(sqlite3 *db, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;
    int src;

    src = sqlite3_prepare_v2(db,
                             "INSERT INTO main.meta (key, value) VALUES (?1, ?2) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             -1, &st, NULL);
    if (src != SQLITE_OK)
        return ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? 0 : ERR_DB;
}

int db_has_column(sqlite3 *db, const char *table, const char *col)
{
    sqlite3_stmt *st = NULL;
    int found = 0;

    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 'main')", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (!found && sqlite3_step(st) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);

        found = n && strcmp(n, col) == 0;
    }
    sqlite3_finalize(st);
    return found;
}

int db_threads(int several)
{
    if (several && !sqlite3_threadsafe())
        return ERR_DB;
    if (sqlite3_shutdown() != SQLITE_OK)
        return ERR_DB;
    if (sqlite3_config(several ? SQLITE_CONFIG_MULTITHREAD : SQLITE_CONFIG_SINGLETHREAD) !=
        SQLITE_OK)
        return ERR_DB;
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return sqlite3_initialize() == SQLITE_OK ? 0 : ERR_DB;
}
