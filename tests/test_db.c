/*
 * test_db.c: the case file layer (common/db.c): schema.sql and its fixed
 * columns, creation and modes, versions, foreign and hostile files left
 * untouched, the read-only reader, locking, migration.
 *
 * Runs from the repository root (make unit does), where it reads
 * schema.sql itself; every file it makes lives in a fresh directory under
 * $TMPDIR (or /tmp), removed at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/db.h"
#include "common/db_int.h"
#include "common/err.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* --- fixtures ------------------------------------------------------------ */

static char tmpdir[256];

/* Diagnostics captured in memory. */
struct cap {
    struct diag d;
    FILE *f;
    char *text; /* open_memstream's buffer */
    size_t len;
};

static void cap_init(struct cap *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    diag_init(&c->d, c->f, NULL);
}

/* What was reported so far (valid until the next call). */
static const char *cap_text(struct cap *c)
{
    fflush(c->f);
    return c->text;
}

static void cap_release(struct cap *c)
{
    fclose(c->f);
    free(c->text);
}

/* tmpdir/name, in buf. */
static const char *tpath(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/podflow-test-db.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whole file into a malloc'd buffer; NULL when it does not exist. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    if (!f)
        return NULL;
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    data = xmalloc((size_t)n + 1);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static bool exists(const char *path, const char *suffix)
{
    char name[600];
    struct stat st;

    snprintf(name, sizeof(name), "%s%s", path, suffix);
    return lstat(name, &st) == 0;
}

static void assert_no_side_files(const char *path)
{
    assert_false(exists(path, "-wal"));
    assert_false(exists(path, "-shm"));
    assert_false(exists(path, "-journal"));
}

/* A raw connection, as a person or a hostile tool would have. */
static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A new, valid, closed case at tmpdir/name (path in buf). */
static const char *make_case(char *buf, size_t size, const char *name)
{
    struct cap c;
    sqlite3 *db = NULL;

    tpath(buf, size, name);
    cap_init(&c);
    assert_int_equal(db_open_writer(buf, &c.d, &db), 0);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
    return buf;
}

/* A capture and one flow through a writer connection. */
static void add_flow(sqlite3 *db)
{
    raw_exec(db, "INSERT INTO captures (id, started_ns, tool_version) VALUES (1, 1, 'test');"
                 "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
                 " first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)"
                 " VALUES (1, 6, '198.18.0.1', 40000, '198.18.0.2', 80, 10, 20, 1, 60, 0, 0,"
                 " 'S0');");
}

/* --- schema.sql ---------------------------------------------------------- */

/* The embedded text is schema.sql, byte for byte. */
static void test_embedded_is_schema_sql(void **state)
{
    size_t len;
    char *file = slurp("schema.sql", &len);

    (void)state;
    if (!file)
        fail_msg("cannot read schema.sql: the tests run from the repository root");
    assert_int_equal(strlen(db_schema_sql), len);
    assert_memory_equal(db_schema_sql, file, len);
    free(file);
}

/*
 * The columns issue 2 fixes (other tools rely on them), checked on a file
 * made the way a person would: schema.sql applied to a fresh file, which
 * is what `sqlite3 x.db < schema.sql` does.
 */
/* clang-format off */
static const struct {
    const char *table;
    const char *columns[24]; /* NULL-terminated */
} fixed[] = {
    {"meta", {"key", "value", NULL}},
    {"captures",
     {"id", "node", "started_ns", "ended_ns", "interfaces", "filter", "snaplen", "packets_seen",
      "packets_dropped", "packets_if_dropped", "flows_written", "tool_version", "command", NULL}},
    {"flows",
     {"id", "capture_id", "proto", "src_ip", "src_port", "dst_ip", "dst_port", "first_ns",
      "last_ns", "packets_fwd", "bytes_fwd", "packets_rev", "bytes_rev", "flags_fwd",
      "flags_rev", "state", "history", "icmp_type", "icmp_code", "iface", "vlan", NULL}},
    {"endpoints",
     {"id", "ip", "valid_from_ns", "valid_to_ns", "kind", "namespace", "name", "workload_kind",
      "workload", "labels", "service_account", "node", "iface", "ports", NULL}},
    {"namespaces", {"name", "labels", NULL}},
    {"interfaces", {"capture_id", "name", "ifindex", "appeared_ns", "vanished_ns", NULL}},
};
/* clang-format on */

static void assert_fixed_columns(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM pragma_table_info(?1) "
                                        "WHERE name = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (size_t t = 0; t < ARRAY_SIZE(fixed); t++) {
        for (size_t i = 0; fixed[t].columns[i]; i++) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, fixed[t].table, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, fixed[t].columns[i], -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            if (sqlite3_column_int(st, 0) != 1)
                fail_msg("column %s.%s is missing", fixed[t].table, fixed[t].columns[i]);
        }
    }
    sqlite3_finalize(st);
    /* flows_named is a view, for people. */
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' "
                                 "AND name = 'flows_named'"),
                     1);
}

static void test_schema_sql_by_hand(void **state)
{
    char path[512];
    size_t len;
    char *sql = slurp("schema.sql", &len);
    sqlite3 *db;
    struct cap c;

    (void)state;
    assert_non_null(sql);
    db = raw_open(tpath(path, sizeof(path), "hand.db"));
    raw_exec(db, sql);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), DB_FORMAT_VERSION);
    assert_int_equal(raw_int(db, "SELECT value FROM meta WHERE key = 'format_version'"),
                     DB_FORMAT_VERSION);
    assert_fixed_columns(db);
    sqlite3_close(db);
    free(sql);

    /* A hand-made case is a case: both openers take it. */
    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    db_close(&db, &c.d);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_fixed_columns(db);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
}

/* --- the writer ---------------------------------------------------------- */

static void assert_mode_0600(const char *path, const char *suffix)
{
    char name[600];
    struct stat st;

    snprintf(name, sizeof(name), "%s%s", path, suffix);
    if (stat(name, &st) != 0)
        fail_msg("'%s' is missing", name);
    if ((st.st_mode & 07777) != 0600)
        fail_msg("'%s' has mode %o", name, (unsigned)(st.st_mode & 07777));
}

static void test_writer_creates(void **state)
{
    char path[512], num[16], *value = NULL;
    sqlite3 *db = NULL;
    struct cap c;
    int64_t t;
    mode_t old;

    (void)state;
    tpath(path, sizeof(path), "new.db");
    cap_init(&c);
    /* With umask 0 the modes are ours, not the umask's. */
    old = umask(0);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    add_flow(db);
    umask(old);
    assert_mode_0600(path, "");
    assert_mode_0600(path, "-wal");
    assert_mode_0600(path, "-shm");

    assert_int_equal(raw_int(db, "PRAGMA user_version"), DB_FORMAT_VERSION);
    assert_int_equal(raw_int(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(raw_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
    assert_int_equal(raw_int(db, "PRAGMA trusted_schema"), 0);
    assert_int_equal(raw_int(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    /* No stored SQL runs on the writer either: views cannot be used. */
    assert_int_not_equal(sqlite3_exec(db, "SELECT * FROM flows_named", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(db_meta_get(db, "tool_version", &value), 0);
    assert_string_equal(value, PODFLOW_VERSION);
    free(value);
    assert_int_equal(db_meta_get(db, "created", &value), 0);
    assert_non_null(value);
    assert_int_equal(parse_rfc3339(value, strlen(value), &t), 0);
    assert_true(t > now_ns() - 600LL * 1000000000 && t <= now_ns());
    free(value);
    assert_int_equal(db_meta_get(db, "format_version", &value), 0);
    snprintf(num, sizeof(num), "%d", DB_FORMAT_VERSION);
    assert_string_equal(value, num);
    free(value);
    /* Foreign keys hold: a flow of no capture is refused. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO flows (capture_id, proto, src_ip, src_port,"
                                      " dst_ip, dst_port, first_ns, last_ns, packets_fwd,"
                                      " bytes_fwd, packets_rev, bytes_rev, state) VALUES"
                                      " (99, 6, 'a', 1, 'b', 2, 1, 1, 1, 1, 0, 0, 'S0')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);

    /* A clean close leaves one self-contained file, in rollback-journal
     * mode (header byte 18 is 1), which any reader opens without making
     * -wal and -shm beside it. */
    db_close(&db, &c.d);
    assert_null(db);
    assert_no_side_files(path);
    {
        size_t len;
        char *bytes = slurp(path, &len);

        assert_true(len > 100);
        assert_int_equal(bytes[18], 1);
        free(bytes);
    }

    /* Reopening an existing case keeps its content and its created time. */
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), 1);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
}

/* An existing empty file (touch x.db, mktemp) gets the schema too. */
static void test_writer_empty_file(void **state)
{
    char path[512];
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    tpath(path, sizeof(path), "empty.db");
    spit(path, "", 0);
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), DB_FORMAT_VERSION);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
}

/* A case the writer fails to set up after creating it is removed again:
 * here SQLite cannot make its rollback journal (a directory is in the way). */
static void test_writer_failure_removes(void **state)
{
    char path[512], jpath[520], msg[700];
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    tpath(path, sizeof(path), "fails.db");
    snprintf(jpath, sizeof(jpath), "%s-journal", path);
    assert_int_equal(mkdir(jpath, 0700), 0);
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), ERR_DB);
    assert_null(db);
    snprintf(msg, sizeof(msg), "cannot write '%s': unable to open database file\n", path);
    assert_string_equal(cap_text(&c), msg);
    cap_release(&c);
    assert_false(exists(path, ""));
    assert_false(exists(path, "-wal"));
    assert_false(exists(path, "-shm"));
    assert_int_equal(rmdir(jpath), 0);
}

/* Odd bytes in a file name go through the URI encoded, not as parameters. */
static void test_uri(void **state)
{
    static const struct {
        const char *path, *query, *want;
    } cases[] = {
        {"a.db", "mode=ro", "file:a.db?mode=ro"},                             /* relative */
        {"/tmp/x y.db", "mode=rw", "file:///tmp/x%20y.db?mode=rw"},           /* space */
        {"//srv/a.db", "mode=ro", "file:////srv/a.db?mode=ro"},               /* not a host */
        {"a?vfs=x#.db", "mode=ro", "file:a%3Fvfs%3Dx%23.db?mode=ro"},         /* query chars */
        {"100%.db", "mode=ro", "file:100%25.db?mode=ro"},                     /* percent */
        {"\xc3\xa9t\xc3\xa9.db", "mode=ro", "file:%C3%A9t%C3%A9.db?mode=ro"}, /* UTF-8 */
    };
    char path[512];
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *uri = db_uri(cases[i].path, cases[i].query);

        assert_string_equal(uri, cases[i].want);
        free(uri);
    }
    /* And such a file is created under exactly its own name. */
    tpath(path, sizeof(path), "odd ?mode=ro&x=%41#.db");
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    db_close(&db, &c.d);
    assert_true(exists(path, ""));
    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
}

/* --- files that are not (our) cases --------------------------------------- */

/* Both openers on path: rc and the one line reported; the file (and its
 * absent side files) exactly as before. */
static void assert_refused(const char *path, int want_rc, const char *want_msg)
{
    char line[1024];
    size_t before_len, after_len;
    char *before = slurp(path, &before_len), *after;
    sqlite3 *db = NULL;
    struct cap c;

    snprintf(line, sizeof(line), "%s\n", want_msg);
    for (int writer = 0; writer <= 1; writer++) {
        cap_init(&c);
        if (writer)
            assert_int_equal(db_open_writer(path, &c.d, &db), want_rc);
        else
            assert_int_equal(db_open_reader(path, &c.d, &db), want_rc);
        assert_null(db);
        assert_string_equal(cap_text(&c), line);
        cap_release(&c);
        after = slurp(path, &after_len);
        assert_non_null(after);
        assert_int_equal(after_len, before_len);
        assert_memory_equal(after, before, before_len);
        free(after);
        assert_no_side_files(path);
    }
    free(before);
}

static void test_not_sqlite(void **state)
{
    static const struct {
        const char *name;
        size_t len; /* bytes of content */
        bool magic; /* starts with the SQLite header string */
    } cases[] = {
        {"random.db", 8192, false}, /* random bytes */
        {"short.db", 5, false},     /* shorter than a header */
        {"garbage.db", 8192, true}, /* SQLite's magic, then garbage */
    };
    char path[512], msg[600];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        unsigned char *data = xmalloc(cases[i].len);
        uint32_t x = 2463534242u; /* xorshift32: the same bytes every run */

        for (size_t j = 0; j < cases[i].len; j++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            data[j] = (unsigned char)x;
        }
        if (cases[i].magic)
            memcpy(data, "SQLite format 3", 16);
        tpath(path, sizeof(path), cases[i].name);
        spit(path, data, cases[i].len);
        free(data);
        snprintf(msg, sizeof(msg), "'%s' is not a podflow case file", path);
        assert_refused(path, ERR_FORMAT, msg);
    }
}

/* An SQLite file of someone else's is not ours. */
static void test_foreign_sqlite(void **state)
{
    char path[512], msg[600];
    sqlite3 *db;

    (void)state;
    db = raw_open(tpath(path, sizeof(path), "foreign.db"));
    raw_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (42);");
    sqlite3_close(db);
    snprintf(msg, sizeof(msg), "'%s' is not a podflow case file", path);
    assert_refused(path, ERR_FORMAT, msg);
}

/* An empty file is no case to read (the writer would fill it). */
static void test_reader_empty(void **state)
{
    char path[512], msg[600];
    sqlite3 *db = NULL;
    size_t len = 1;
    char *data;
    struct cap c;

    (void)state;
    tpath(path, sizeof(path), "empty-r.db");
    spit(path, "", 0);
    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), ERR_FORMAT);
    snprintf(msg, sizeof(msg), "'%s' is not a podflow case file\n", path);
    assert_string_equal(cap_text(&c), msg);
    cap_release(&c);
    data = slurp(path, &len);
    assert_int_equal(len, 0);
    free(data);
    assert_no_side_files(path);
}

static void test_missing_and_odd_paths(void **state)
{
    char path[512], msg[600];
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    tpath(path, sizeof(path), "nonexistent.db");
    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), -ENOENT);
    snprintf(msg, sizeof(msg), "cannot open '%s': No such file or directory\n", path);
    assert_string_equal(cap_text(&c), msg);
    assert_false(exists(path, ""));
    cap_release(&c);

    tpath(path, sizeof(path), "no-such-dir/x.db");
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), -ENOENT);
    snprintf(msg, sizeof(msg), "cannot create '%s': No such file or directory\n", path);
    assert_string_equal(cap_text(&c), msg);
    cap_release(&c);

    /* A directory is not a case, for either side. */
    tpath(path, sizeof(path), "adir");
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(msg, sizeof(msg), "'%s' is not a regular file\n", path);
    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), ERR_FORMAT);
    assert_string_equal(cap_text(&c), msg);
    cap_release(&c);
    /* A writer adds only to a regular file of its own (outfile_case_ok()). */
    snprintf(msg, sizeof(msg), "cannot add to '%s': it is not a regular file\n", path);
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), ERR_INVALID);
    assert_string_equal(cap_text(&c), msg);
    cap_release(&c);
    assert_null(db);
}

/* --- versions --------------------------------------------------------------- */

static void test_newer_refused(void **state)
{
    char path[512], msg[600];
    sqlite3 *db;

    (void)state;
    make_case(path, sizeof(path), "newer.db");
    db = raw_open(path);
    raw_exec(db, "UPDATE meta SET value = '99' WHERE key = 'format_version';"
                 "PRAGMA user_version = 99;");
    sqlite3_close(db);
    snprintf(msg, sizeof(msg),
             "'%s' was written by a newer podflow (format 99, this one reads up to %d)", path,
             DB_FORMAT_VERSION);
    assert_refused(path, ERR_VERSION, msg);
}

/* --- the reader --------------------------------------------------------------- */

static void test_reader_read_only(void **state)
{
    char path[512], *before, *after;
    size_t before_len, after_len;
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    make_case(path, sizeof(path), "ro.db");
    before = slurp(path, &before_len);
    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    assert_int_equal(raw_int(db, "PRAGMA trusted_schema"), 0);
    assert_int_equal(raw_int(db, "PRAGMA query_only"), 1);
    /* Writes fail, even with query_only lifted: the handle is read-only. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO captures (started_ns, tool_version)"
                                      " VALUES (1, 'x')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA query_only = OFF", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO captures (started_ns, tool_version)"
                                  " VALUES (1, 'x')",
                                  NULL, NULL, NULL),
                     SQLITE_READONLY);
    /* Views are disabled on the reader: no stored SQL runs. */
    assert_int_not_equal(sqlite3_exec(db, "SELECT * FROM flows_named", NULL, NULL, NULL),
                         SQLITE_OK);
    /* Tables read fine. */
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), 0);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
    after = slurp(path, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    assert_no_side_files(path);
    free(before);
    free(after);
}

/*
 * A capture killed (here: _exit without closing) leaves its last commits in
 * -wal: the reader sees them, and writes neither x.db nor x.db-wal.
 */
static void test_reader_after_crash(void **state)
{
    char path[512], *db_before, *wal_before, *db_after, *wal_after, walpath[520];
    size_t db_len, wal_len, len;
    sqlite3 *db = NULL;
    struct cap c;
    pid_t pid;
    int status;

    (void)state;
    tpath(path, sizeof(path), "crash.db");
    snprintf(walpath, sizeof(walpath), "%s-wal", path);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct diag d;

        diag_init(&d, NULL, "child");
        if (db_open_writer(path, &d, &db) != 0)
            _exit(1);
        add_flow(db);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    db_before = slurp(path, &db_len);
    wal_before = slurp(walpath, &wal_len);
    assert_non_null(wal_before);
    assert_true(wal_len > 0);

    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows WHERE state = 'S0'"), 1);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);

    db_after = slurp(path, &len);
    assert_int_equal(len, db_len);
    assert_memory_equal(db_after, db_before, db_len);
    wal_after = slurp(walpath, &len);
    assert_int_equal(len, wal_len);
    assert_memory_equal(wal_after, wal_before, wal_len);
    free(db_before);
    free(wal_before);
    free(db_after);
    free(wal_after);
}

/* A WAL-mode file with no -wal beside it is read as it is: nothing made. */
static void test_reader_wal_file_alone(void **state)
{
    char path[512], *before, *after;
    size_t before_len, after_len;
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    tpath(path, sizeof(path), "walalone.db");
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    add_flow(db);
    sqlite3_close(db); /* not db_close: the file stays in WAL mode */
    db = NULL;
    assert_no_side_files(path);
    before = slurp(path, &before_len);
    assert_true(before_len > 100);
    assert_int_equal(before[18], 2); /* WAL mode in the header */

    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), 1);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
    assert_no_side_files(path);
    after = slurp(path, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(before);
    free(after);
}

/*
 * A writer in rollback-journal mode that died mid-transaction leaves a hot
 * journal, which only a writer may roll back: the reader says so and
 * touches neither file.
 */
static void test_reader_hot_journal(void **state)
{
    char path[512], jpath[520], msg[1200], *before, *jbefore, *after;
    size_t len, jlen, alen;
    sqlite3 *db = NULL;
    struct cap c;
    pid_t pid;
    int status;

    (void)state;
    make_case(path, sizeof(path), "hot.db");
    snprintf(jpath, sizeof(jpath), "%s-journal", path);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A tiny cache makes the transaction spill into hot.db itself. */
        if (sqlite3_open(path, &db) != SQLITE_OK ||
            sqlite3_exec(db,
                         "PRAGMA cache_size = 2; BEGIN;"
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                         " WHERE i < 3000)"
                         " INSERT INTO namespaces (name) SELECT printf('%0200d', i) FROM n;",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    before = slurp(path, &len);
    jbefore = slurp(jpath, &jlen);
    assert_non_null(jbefore);

    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), ERR_DB);
    assert_null(db);
    snprintf(msg, sizeof(msg),
             "cannot read '%s': a transaction left unfinished in '%s-journal' must be rolled "
             "back first (open the file once for writing)\n",
             path, path);
    assert_string_equal(cap_text(&c), msg);
    cap_release(&c);
    after = slurp(path, &alen);
    assert_int_equal(alen, len);
    assert_memory_equal(after, before, len);
    free(after);
    after = slurp(jpath, &alen);
    assert_int_equal(alen, jlen);
    assert_memory_equal(after, jbefore, jlen);
    free(after);
    free(before);
    free(jbefore);

    /* A writer rolls it back, and the case is whole again. */
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM namespaces"), 0);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
    assert_no_side_files(path);
}

/* --- hostile files ---------------------------------------------------------- */

static void test_hostile(void **state)
{
    static const struct {
        const char *sql; /* applied to a valid case */
        int rc;
        const char *msg; /* after "'path' " */
    } cases[] = {
        /* a view standing in for a table */
        {"DROP TABLE flows; CREATE VIEW flows AS SELECT 1 AS id, 'SF' AS state;", ERR_FORMAT,
         "is not a podflow case file: 'flows' is a view, not a table"},
        /* a trigger, which a writer would fire */
        {"CREATE TRIGGER t AFTER INSERT ON endpoints BEGIN DELETE FROM flows; END;", ERR_FORMAT,
         "is not a podflow case file: it defines trigger 't'"},
        /* a fixed column gone */
        {"ALTER TABLE flows DROP COLUMN history;", ERR_FORMAT,
         "is not a podflow case file: table 'flows' has no column 'history'"},
        /* a generated column computes stored SQL on every read */
        {"ALTER TABLE endpoints ADD COLUMN g GENERATED ALWAYS AS (1) VIRTUAL;", ERR_FORMAT,
         "is not a podflow case file: column 'endpoints.g' is generated"},
        /* our view replaced by another */
        {"DROP VIEW flows_named; CREATE VIEW flows_named AS SELECT * FROM flows;", ERR_FORMAT,
         "is not a podflow case file: view 'flows_named' is not podflow's"},
        /* our view gone */
        {"DROP VIEW flows_named;", ERR_FORMAT,
         "is not a podflow case file: view 'flows_named' is missing"},
        /* a table gone */
        {"DROP TABLE namespaces;", ERR_FORMAT,
         "is not a podflow case file: table 'namespaces' is missing"},
        /* the two version marks disagree */
        {"UPDATE meta SET value = '7' WHERE key = 'format_version';", ERR_FORMAT,
         "is damaged: meta.format_version is '7' but user_version is 3"},
        /* podflow's tables without a version */
        {"PRAGMA user_version = 0;", ERR_FORMAT, "is not a podflow case file"},
        /* a negative version */
        {"PRAGMA user_version = -3;", ERR_FORMAT, "is not a podflow case file"},
        /* two objects under one name, written into sqlite_schema by hand */
        {"PRAGMA writable_schema = ON; INSERT INTO sqlite_schema VALUES ('view', 'Flows',"
         " 'Flows', 0, 'CREATE VIEW Flows AS SELECT 1 AS id');",
         ERR_FORMAT, "is damaged: malformed database schema (Flows) - table Flows already exists"},
        /* a virtual table (runs a module's code) where a table belongs */
        {"DROP TABLE namespaces; CREATE VIRTUAL TABLE namespaces USING fts5(name, labels);",
         ERR_FORMAT, "is not a podflow case file: 'namespaces' is not an ordinary table"},
    };
    char path[512], name[32], msg[700];
    sqlite3 *db;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (strstr(cases[i].sql, "fts5") && !sqlite3_compileoption_used("ENABLE_FTS5"))
            continue;
        snprintf(name, sizeof(name), "hostile%zu.db", i);
        make_case(path, sizeof(path), name);
        db = raw_open(path);
        raw_exec(db, cases[i].sql);
        sqlite3_close(db);
        snprintf(msg, sizeof(msg), "'%s' %s", path, cases[i].msg);
        assert_refused(path, cases[i].rc, msg);
    }
}

/* --- locking ------------------------------------------------------------------ */

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_locked(void **state)
{
    char path[512], msg[600];
    sqlite3 *other, *db = NULL;
    struct cap c;
    double t0, dt;

    (void)state;
    make_case(path, sizeof(path), "locked.db");
    other = raw_open(path);
    raw_exec(other, "BEGIN IMMEDIATE; INSERT INTO namespaces (name) VALUES ('a');");
    cap_init(&c);
    t0 = mono_s();
    assert_int_equal(db_open_writer(path, &c.d, &db), ERR_DB);
    dt = mono_s() - t0;
    snprintf(msg, sizeof(msg), "cannot write '%s': database is locked\n", path);
    assert_string_equal(cap_text(&c), msg);
    /* It waited the busy timeout (a writer committing is waited for), and
     * no longer: a second writer fails, it does not hang. */
    assert_true(dt >= 2.0);
    assert_true(dt < 10.0);
    raw_exec(other, "COMMIT;");
    sqlite3_close(other);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM namespaces"), 1);
    db_close(&db, &c.d);
    cap_release(&c);
}

/* --- migration ------------------------------------------------------------------ */

static void test_migrate(void **state)
{
    static const struct db_migration to2[] = {
        {2, "ALTER TABLE flows ADD COLUMN extra INTEGER;"},
    };
    static const struct db_migration gap[] = {
        {3, "ALTER TABLE flows ADD COLUMN extra INTEGER;"},
    };
    static const struct db_migration bad[] = {
        {2, "ALTER TABLE flows ADD COLUMN extra INTEGER;"},
        {3, "ALTER TABLE nosuch ADD COLUMN y;"},
    };
    char path[512], msg[600], *value = NULL;
    sqlite3 *db;
    struct cap c;

    (void)state;
    make_case(path, sizeof(path), "migrate.db");
    db = raw_open(path);
    /* The mechanism, on a file that says it is format 1. */
    raw_exec(db, "UPDATE meta SET value = '1' WHERE key = 'format_version';"
                 "PRAGMA user_version = 1;");

    /* A missing step: nothing done. */
    cap_init(&c);
    raw_exec(db, "BEGIN IMMEDIATE");
    assert_int_equal(db_migrate(db, &c.d, path, gap, ARRAY_SIZE(gap), 1, 3), ERR_DB);
    raw_exec(db, "ROLLBACK");
    snprintf(msg, sizeof(msg), "cannot migrate '%s': no step from format 1 to format 2\n", path);
    assert_string_equal(cap_text(&c), msg);
    cap_release(&c);

    /* A failing step: the transaction undoes the steps before it too. */
    cap_init(&c);
    raw_exec(db, "BEGIN IMMEDIATE");
    assert_int_equal(db_migrate(db, &c.d, path, bad, ARRAY_SIZE(bad), 1, 3), ERR_DB);
    raw_exec(db, "ROLLBACK");
    snprintf(msg, sizeof(msg), "cannot migrate '%s': no such table: nosuch\n", path);
    assert_string_equal(cap_text(&c), msg);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info('flows') "
                                 "WHERE name = 'extra'"),
                     0);
    cap_release(&c);

    /* 1 -> 2: step, user_version and meta.format_version together. */
    cap_init(&c);
    raw_exec(db, "BEGIN IMMEDIATE");
    assert_int_equal(db_migrate(db, &c.d, path, to2, ARRAY_SIZE(to2), 1, 2), 0);
    raw_exec(db, "COMMIT");
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info('flows') "
                                 "WHERE name = 'extra'"),
                     1);
    assert_int_equal(db_meta_get(db, "format_version", &value), 0);
    assert_string_equal(value, "2");
    free(value);
    sqlite3_close(db);
}

/* A real format 1 file (tests/fixtures/schema-v1.sql, schema.sql as it was)
 * with a flow and an endpoint: the reader refuses it as an older format,
 * the writer migrates it in place to a file db_check_tables() accepts
 * against today's schema.sql, the rows survive, the new columns are NULL,
 * and flows_named (queried on a plain connection) has its new columns. */
static int atoi_ok(const char *s)
{
    int64_t v = -1;

    assert_int_equal(parse_i64(s, strlen(s), 0, 100, &v), 0);
    return (int)v;
}

static void test_migrate_v1_file(void **state)
{
    char path[512], *sql, *value = NULL;
    size_t len;
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    sql = slurp("tests/fixtures/schema-v1.sql", &len);
    assert_non_null(sql);
    db = raw_open(tpath(path, sizeof(path), "v1.db"));
    raw_exec(db, sql);
    free(sql);
    raw_exec(db, "INSERT INTO captures (id, started_ns, tool_version) VALUES (1, 1, 'v1');"
                 "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
                 " first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)"
                 " VALUES (1, 6, '198.18.0.1', 40000, '198.18.0.2', 80, 10, 20, 1, 60, 0, 0,"
                 " 'S0');"
                 "INSERT INTO endpoints (ip, kind, namespace, name, iface)"
                 " VALUES ('198.18.0.1', 'pod', 'shop', 'web-1', 'cali1');");
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 1);
    sqlite3_close(db);

    /* A reader does not migrate. */
    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), ERR_FORMAT);
    cap_release(&c);
    assert_null(db);

    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_string_equal(cap_text(&c), "");
    assert_int_equal(raw_int(db, "PRAGMA user_version"), DB_FORMAT_VERSION);
    assert_int_equal(db_meta_get(db, "format_version", &value), 0);
    assert_int_equal(atoi_ok(value), DB_FORMAT_VERSION);
    free(value);
    assert_int_equal(db_check_tables(db, &c.d, path), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows WHERE dnat_ip IS NULL"
                                 " AND dnat_port IS NULL AND src_port = 40000"),
                     1);
    raw_exec(db, "INSERT INTO ip_ifaces (capture_id, ip, iface, kind, via)"
                 " VALUES (1, '198.18.0.1', 'cali1', 'pod', 'route');"
                 "UPDATE flows SET dnat_ip = '198.18.0.1', dnat_port = 8080;");
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);

    /* The migrated view is today's, new columns and all. */
    db = raw_open(path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows_named WHERE src_name = 'web-1'"
                                 " AND src_iface = 'cali1' AND dnat_name = 'web-1'"
                                 " AND dst_name IS NULL"),
                     1);
    sqlite3_close(db);

    /* And the reader now takes it. */
    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    db_close(&db, &c.d);
    cap_release(&c);
}

/* A real format 2 case (tests/fixtures/format2-case.sqlite: podflow 0.1.0's
 * podflow-capture -r samples/fme/capture.pcap --inventory
 * samples/fme/inventory.yaml): the reader refuses it as older, the writer
 * migrates it in place to format 3, its rows stay, the format 3 tables
 * are there and empty, and the reader takes it. */
static void test_migrate_v2_file(void **state)
{
    char path[512], *data, *value = NULL;
    size_t len;
    sqlite3 *db = NULL;
    struct cap c;
    FILE *f;

    (void)state;
    data = slurp("tests/fixtures/format2-case.sqlite", &len);
    assert_non_null(data);
    tpath(path, sizeof(path), "v2.db");
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(data);

    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), ERR_FORMAT);
    cap_release(&c);
    assert_null(db);

    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_string_equal(cap_text(&c), "");
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 3);
    assert_int_equal(db_meta_get(db, "format_version", &value), 0);
    assert_string_equal(value, "3");
    free(value);
    assert_int_equal(db_check_tables(db, &c.d, path), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), 9);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM endpoints WHERE kind = 'pod'"), 6);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM services") +
                         raw_int(db, "SELECT count(*) FROM service_endpoints") +
                         raw_int(db, "SELECT count(*) FROM pod_networks"),
                     0);
    /* Process attribution's step too: every row final, no socket. */
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows WHERE open = 0"), 9);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sockets"), 0);
    /* The new tables take rows as a new file's do. */
    raw_exec(db, "INSERT INTO services (namespace, name, type) VALUES ('fme', 'core', 'ClusterIP');"
                 "INSERT INTO service_endpoints (namespace, service, slice, ip)"
                 " VALUES ('fme', 'core', 'core-x1', '198.18.1.10');"
                 "INSERT INTO pod_networks (cidr, source) VALUES ('198.18.1.0/24', 'inventory');");
    assert_int_equal(raw_int(db, "SELECT ready FROM service_endpoints"), 1);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);

    /* The view is today's: the process columns there, NULL. */
    db = raw_open(path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows_named WHERE src_pid IS NULL"
                                 " AND dst_comm IS NULL AND open = 0"),
                     9);
    sqlite3_close(db);

    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);
}

/* A real format 2 file (tests/fixtures/schema-v2.sql, schema.sql as it was
 * before format 3) with a flow: the writer migrates it in place; the rows
 * survive with open 0, the sockets table, its index and the new view are
 * schema.sql's own text, and flows_named joins a socket at each end. */
static void test_migrate_v2_sockets(void **state)
{
    char path[512], *sql;
    size_t len;
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    sql = slurp("tests/fixtures/schema-v2.sql", &len);
    assert_non_null(sql);
    db = raw_open(tpath(path, sizeof(path), "v2s.db"));
    raw_exec(db, sql);
    free(sql);
    raw_exec(db, "INSERT INTO captures (id, started_ns, tool_version) VALUES (1, 1, 'v2');"
                 "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
                 " first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)"
                 " VALUES (1, 6, '198.18.0.1', 40000, '198.18.0.2', 80, 10, 20, 1, 60, 0, 0,"
                 " 'S0');");
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
    sqlite3_close(db);

    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_string_equal(cap_text(&c), "");
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 3);
    assert_int_equal(db_check_tables(db, &c.d, path), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows WHERE open = 0 AND src_port = 40000"),
                     1);
    assert_int_equal(raw_int(db, "SELECT sockets_sought + sockets_unattributed FROM captures"), 0);
    raw_exec(db, "INSERT INTO sockets (capture_id, proto, local_ip, local_port, remote_ip,"
                 " remote_port, inode, pid, comm, valid_from_ns, valid_to_ns) VALUES"
                 " (1, 6, '198.18.0.1', 40000, '198.18.0.2', 80, 7, 42, 'curl', NULL, 15),"
                 " (1, 6, '198.18.0.2', 80, '198.18.0.1', 40000, 8, 43, 'python3', 12, NULL),"
                 " (1, 6, '198.18.0.2', 80, '198.18.0.1', 40000, 9, 44, 'later', 25, NULL);");
    db_close(&db, &c.d);
    assert_string_equal(cap_text(&c), "");
    cap_release(&c);

    /* The objects are schema.sql's own, so the file is what a new one is. */
    db = raw_open(path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'sockets_local'"),
                     1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM flows_named WHERE src_pid = 42"
                                 " AND src_comm = 'curl' AND dst_pid = 43"
                                 " AND dst_comm = 'python3' AND open = 0"),
                     1);
    sqlite3_close(db);

    cap_init(&c);
    assert_int_equal(db_open_reader(path, &c.d, &db), 0);
    db_close(&db, &c.d);
    cap_release(&c);
}

/* --- small calls ------------------------------------------------------------------- */

static void test_meta_and_exec(void **state)
{
    char path[512], *value = NULL;
    sqlite3 *db = NULL;
    struct cap c;

    (void)state;
    tpath(path, sizeof(path), "meta.db");
    cap_init(&c);
    assert_int_equal(db_open_writer(path, &c.d, &db), 0);
    assert_int_equal(db_meta_get(db, "nosuch", &value), 0);
    assert_null(value);
    assert_int_equal(db_meta_set(db, "k", "one"), 0);
    assert_int_equal(db_meta_set(db, "k", "two"), 0); /* replaces */
    assert_int_equal(db_meta_get(db, "k", &value), 0);
    assert_string_equal(value, "two");
    free(value);
    assert_int_equal(db_exec(db, &c.d, "frob the case", "FROB"), ERR_DB);
    assert_string_equal(cap_text(&c), "cannot frob the case: near \"FROB\": syntax error\n");
    assert_int_equal(db_exec(db, &c.d, "count", "SELECT 1"), 0);
    db_close(&db, &c.d);
    db_close(&db, &c.d); /* NULL: nothing */
    cap_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_is_schema_sql),
        cmocka_unit_test(test_schema_sql_by_hand),
        cmocka_unit_test(test_writer_creates),
        cmocka_unit_test(test_writer_empty_file),
        cmocka_unit_test(test_writer_failure_removes),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_not_sqlite),
        cmocka_unit_test(test_foreign_sqlite),
        cmocka_unit_test(test_reader_empty),
        cmocka_unit_test(test_missing_and_odd_paths),
        cmocka_unit_test(test_newer_refused),
        cmocka_unit_test(test_reader_read_only),
        cmocka_unit_test(test_reader_after_crash),
        cmocka_unit_test(test_reader_wal_file_alone),
        cmocka_unit_test(test_reader_hot_journal),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_locked),
        cmocka_unit_test(test_migrate),
        cmocka_unit_test(test_migrate_v1_file),
        cmocka_unit_test(test_migrate_v2_file),
        cmocka_unit_test(test_migrate_v2_sockets),
        cmocka_unit_test(test_meta_and_exec),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
