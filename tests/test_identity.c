/*
 * test_identity.c: who held an address when: the interval join of
 * inventory identities with netlink's interface intervals
 * (common/ident.c), and the rebuild of a case's endpoint rows from its
 * endpoints and ip_ifaces tables.
 *
 * Times are small numbers; O is an open bound.  Inventory ids are 1, 2, 3
 * (their position + 1); netlink ids are their position, 0, 1, ...
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "capture/identity.h"
#include "capture/writer.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/util.h"
#include "common/compat.h"

#define O    IDENT_OPEN
#define MAXS 4

struct jcase {
    const char *what;
    struct {
        int64_t from, to;
        const char *kind;
    } inv[MAXS];
    struct {
        int64_t from, to;
        const char *iface;
        int64_t start;
    } nl[MAXS];
    struct ident_piece want[MAXS + 2];
    size_t nwant;
};

/* A row of inv or nl with kind/iface NULL ends its list. */
static const struct jcase jcases[] = {
    {"inventory only: one open identity", {{O, O, "pod"}}, {{0}}, {{O, O, 1, -1}}, 1},
    {"inventory only: an IP given to a second pod at 100",
     {{O, O, "pod"}, {100, O, "pod"}},
     {{0}},
     {{O, 100, 1, -1}, {100, O, 2, -1}},
     2},
    {"netlink only: a pod known by its interface, route gone at 50",
     {{0}},
     {{O, 50, "caliA", 20}},
     {{O, 50, -1, 0}},
     1},
    {"stale inventory: pod A's route goes at 50, its IP reappears on caliB at 70: not A",
     {{10, O, "pod"}},
     {{O, 50, "caliA", 20}, {70, O, "caliB", 20}},
     {{O, 50, 1, 0}, {70, O, -1, 1}},
     2},
    {"reuse race: B starts at 45 before A's route goes at 50; B's route at 60",
     {{10, O, "pod"}, {45, O, "pod"}},
     {{O, 50, "caliA", 20}, {60, O, "caliB", 20}},
     {{O, 50, 1, 0}, {50, 60, 2, -1}, {60, O, 2, 1}},
     3},
    {"deletionTimestamp 40 before the route goes at 50: A until 50",
     {{10, 40, "pod"}},
     {{O, 50, "caliA", 20}},
     {{O, 50, 1, 0}},
     1},
    {"a pod started at 100 during the capture, its route at 105",
     {{100, O, "pod"}},
     {{105, O, "caliB", 20}},
     {{100, 105, 1, -1}, {105, O, 1, 0}},
     2},
    {"a node address: the node row holding at the capture's start names the link",
     {{5, O, "host"}, {50, O, "host"}},
     {{O, O, "eth0", 20}},
     {{O, O, 1, 0}},
     1},
    {"a route flapping on the same veth keeps its pod",
     {{10, O, "pod"}},
     {{O, 50, "caliA", 20}, {55, O, "caliA", 20}},
     {{O, 50, 1, 0}, {50, 55, 1, -1}, {55, O, 1, 1}},
     3},
    {"a pod and a service open on one address: the pod (kind order)",
     {{O, O, "service"}, {O, O, "pod"}},
     {{0}},
     {{O, O, 2, -1}},
     1},
    {"empty intervals are ignored", {{50, 50, "pod"}}, {{60, 60, "caliA", 20}}, {{0}}, 0},
    {"two captures' intervals overlap: the later start names the link",
     {{0}},
     {{O, O, "caliA", 10}, {30, O, "caliX", 10}},
     {{O, 30, -1, 0}, {30, O, -1, 1}},
     2},
    {"no identity held at the route's start: the interface alone, the pod before it",
     {{O, 15, "pod"}},
     {{30, O, "caliA", 20}},
     {{O, 15, 1, -1}, {30, O, -1, 0}},
     2},
};

static void test_join(void **state)
{
    (void)state;
    for (size_t c = 0; c < ARRAY_SIZE(jcases); c++) {
        const struct jcase *jc = &jcases[c];
        struct ident_span inv[MAXS], nl[MAXS];
        struct ident_piece *p = NULL;
        size_t ninv = 0, nnl = 0, np = 0;

        memset(inv, 0, sizeof(inv));
        memset(nl, 0, sizeof(nl));
        for (; ninv < MAXS && jc->inv[ninv].kind; ninv++) {
            inv[ninv].from_ns = jc->inv[ninv].from;
            inv[ninv].to_ns = jc->inv[ninv].to;
            inv[ninv].kind_rank = ident_kind_rank(jc->inv[ninv].kind);
            inv[ninv].id = (int64_t)ninv + 1;
        }
        for (; nnl < MAXS && jc->nl[nnl].iface; nnl++) {
            nl[nnl].from_ns = jc->nl[nnl].from;
            nl[nnl].to_ns = jc->nl[nnl].to;
            nl[nnl].iface = jc->nl[nnl].iface;
            nl[nnl].start_ns = jc->nl[nnl].start;
            nl[nnl].id = (int64_t)nnl;
        }
        ident_join(inv, ninv, nl, nnl, &p, &np);
        if (np != jc->nwant)
            fail_msg("%s: %zu pieces, want %zu", jc->what, np, jc->nwant);
        for (size_t i = 0; i < np; i++) {
            const struct ident_piece *g = &p[i], *w = &jc->want[i];

            if (g->from_ns != w->from_ns || g->to_ns != w->to_ns || g->inv != w->inv ||
                g->nl != w->nl)
                fail_msg("%s: piece %zu is [%lld, %lld) inv %lld nl %lld, want [%lld, %lld) inv "
                         "%lld nl %lld",
                         jc->what, i, (long long)g->from_ns, (long long)g->to_ns, (long long)g->inv,
                         (long long)g->nl, (long long)w->from_ns, (long long)w->to_ns,
                         (long long)w->inv, (long long)w->nl);
        }
        free(p);
    }
}

static void test_kind_rank(void **state)
{
    (void)state;
    assert_int_equal(ident_kind_rank("pod"), 0);
    assert_int_equal(ident_kind_rank("host"), 1);
    assert_int_equal(ident_kind_rank("service"), 2);
    assert_int_equal(ident_kind_rank("external"), 3);
    assert_int_equal(ident_kind_rank("Pod"), 3); /* exact spelling only */
    assert_int_equal(ident_kind_rank(NULL), 3);
}

/* --- ident_rebuild on a case ------------------------------------------------- */

static char tmpdir[256];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    const char *t = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/podflow-test-identity.XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* The endpoints as one text, a row a line, in a fixed order. */
static char *dump(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT ip, coalesce(valid_from_ns, 'O'), coalesce(valid_to_ns, 'O'),"
                           " kind, coalesce(name, '-'), coalesce(iface, '-'), labels, source,"
                           " coalesce(node, '-') FROM endpoints"
                           " ORDER BY ip, coalesce(valid_from_ns, -1), source, name",
                           -1, &st, NULL),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < 9; i++)
            fprintf(f, "%s%s", i ? " " : "", (const char *)sqlite3_column_text(st, i));
        fputc('\n', f);
    }
    sqlite3_finalize(st);
    fclose(f);
    return out;
}

static void test_rebuild(void **state)
{
    static const char want[] = "198.18.0.10 O 50 pod web-1 caliA {\"app\":\"web\"} inventory n1\n"
                               "198.18.0.10 50 60 pod web-2 - {\"app\":\"web2\"} inventory n1\n"
                               "198.18.0.10 60 O pod web-2 caliB {\"app\":\"web2\"} inventory n1\n"
                               "198.18.0.20 O O pod - cali9 {} netlink n1\n"
                               "198.18.0.30 O O service db - {} inventory -\n"
                               "198.18.0.40 O O host n1 eth0 {} netlink n1\n"
                               "198.18.0.50 O O external - - {} manual -\n";
    char path[512], *got, *again;
    struct diag d;
    sqlite3 *db = NULL;
    size_t rows = 0;

    (void)state;
    diag_init(&d, stderr, "test");
    snprintf(path, sizeof(path), "%s/rebuild.db", tmpdir);
    assert_int_equal(db_open_writer(path, &d, &db), 0);
    exec_ok(db,
            "INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'n1', 20, 't');"
            /* the reuse race of test_join, with names and labels */
            "INSERT INTO endpoints (ip, valid_from_ns, valid_to_ns, kind, namespace, name,"
            " labels, node, source) VALUES"
            " ('198.18.0.10', 10, NULL, 'pod', 'shop', 'web-1', '{\"app\":\"web\"}', 'n1',"
            "  'inventory'),"
            " ('198.18.0.10', 45, NULL, 'pod', 'shop', 'web-2', '{\"app\":\"web2\"}', 'n1',"
            "  'inventory'),"
            " ('198.18.0.30', NULL, NULL, 'service', 'shop', 'db', '{}', NULL, 'inventory'),"
            /* a row of another source stays as it is */
            " ('198.18.0.50', NULL, NULL, 'external', NULL, NULL, '{}', NULL, 'manual'),"
            /* a netlink row of an earlier rebuild is replaced */
            " ('198.18.0.20', 5, 6, 'pod', NULL, NULL, '{}', NULL, 'netlink');"
            "INSERT INTO ip_ifaces (capture_id, ip, iface, kind, via, valid_from_ns,"
            " valid_to_ns) VALUES"
            " (1, '198.18.0.10', 'caliA', 'pod', 'route', NULL, 50),"
            " (1, '198.18.0.10', 'caliB', 'pod', 'route', 60, NULL),"
            " (1, '198.18.0.20', 'cali9', 'pod', 'route', NULL, NULL),"
            " (1, '198.18.0.40', 'eth0', 'host', 'addr', NULL, NULL);");
    assert_int_equal(ident_rebuild(db, &rows, &d), 0);
    assert_int_equal(rows, 6);
    got = dump(db);
    assert_string_equal(got, want);
    /* Idempotent. */
    assert_int_equal(ident_rebuild(db, &rows, &d), 0);
    again = dump(db);
    assert_string_equal(again, want);
    free(again);
    /* A stranger's case with too many rows for one address: refused,
     * nothing changed. */
    exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1025)"
                " INSERT INTO ip_ifaces (capture_id, ip, iface, kind, via, valid_from_ns,"
                " valid_to_ns) SELECT 1, '198.18.0.99', 'cali' || i, 'pod', 'route', 2 * i,"
                " 2 * i + 1 FROM n;");
    {
        FILE *devnull = fopen("/dev/null", "w");
        struct diag dn;

        assert_non_null(devnull);
        diag_init(&dn, devnull, "test");
        assert_int_equal(ident_rebuild(db, &rows, &dn), ERR_LIMIT);
        fclose(devnull);
    }
    again = dump(db);
    assert_string_equal(again, want);
    free(got);
    free(again);
    db_close(&db, &d);
}

/* --- capture/identity.c: an --inventory file's versions --------------------- */

static void write_file(const char *path, const char *text, int64_t mtime_s)
{
    FILE *f = fopen(path, "w");
    struct timespec ts[2] = {{mtime_s, 0}, {mtime_s, 0}};

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

#define POD(name, ip)                                                                              \
    "- {kind: Pod, apiVersion: v1, metadata: {namespace: shop, name: " name "},"                   \
    " status: {podIP: " ip ", startTime: '2020-01-01T00:00:00Z'}}\n"

static void test_inventory_versions(void **state)
{
    const int64_t s = 1000000000;
    char path[512], *files[1];
    struct ident_cap ic;
    struct diag d;
    FILE *devnull = fopen("/dev/null", "w");

    (void)state;
    assert_non_null(devnull);
    diag_init(&d, devnull, "test");
    snprintf(path, sizeof(path), "%s/inv.yaml", tmpdir);
    files[0] = path;
    write_file(path, "kind: List\nitems:\n" POD("a", "198.18.0.1") POD("b", "198.18.0.2"),
               1700000000);
    assert_int_equal(ident_cap_open(&ic, &d, files, 1, 0), 0);
    assert_int_equal(ic.inv.npods, 2);
    assert_true(ident_cap_dirty(&ic));
    ic.inv_dirty = 0;
    ic.written = 1;

    /* A new version: a gone, c new.  Loaded once it held still 1 s. */
    write_file(path, "kind: List\nitems:\n" POD("b", "198.18.0.2") POD("c", "198.18.0.3"),
               1700000100);
    ident_cap_tick(&ic, 10 * s);
    ident_cap_tick(&ic, 10 * s + s / 2);
    assert_int_equal(ic.reloads, 0);
    assert_false(ident_cap_dirty(&ic));
    ident_cap_tick(&ic, 11 * s + 1);
    assert_int_equal(ic.reloads, 1);
    assert_true(ident_cap_dirty(&ic));
    assert_int_equal(ic.inv.npods, 3);
    /* a ends at the new version's time, never at the time it was read. */
    assert_true(inventory_pod(&ic.inv, "shop", "a")->deleted_ns == 1700000100 * s);
    assert_true(inventory_pod(&ic.inv, "shop", "b")->deleted_ns == INV_TIME_NONE);
    assert_true(inventory_pod(&ic.inv, "shop", "c")->deleted_ns == INV_TIME_NONE);

    /* A version that does not parse is ignored (and not tried again). */
    ic.inv_dirty = 0;
    write_file(path, "{ not: [yaml", 1700000200);
    ident_cap_tick(&ic, 20 * s);
    ident_cap_tick(&ic, 21 * s + 1);
    assert_int_equal(ic.reloads, 1);
    assert_false(ident_cap_dirty(&ic));
    assert_true(inventory_pod(&ic.inv, "shop", "b")->deleted_ns == INV_TIME_NONE);
    ident_cap_tick(&ic, 30 * s);
    assert_int_equal(ic.reloads, 1);

    /* a listed again: its new copy holds again. */
    write_file(path, "kind: List\nitems:\n" POD("a", "198.18.0.1"), 1700000300);
    ident_cap_tick(&ic, 40 * s);
    ident_cap_tick(&ic, 42 * s);
    assert_int_equal(ic.reloads, 2);
    assert_true(inventory_pod(&ic.inv, "shop", "a")->deleted_ns == INV_TIME_NONE);
    assert_true(inventory_pod(&ic.inv, "shop", "b")->deleted_ns == 1700000300 * s);
    ident_cap_release(&ic);
    fclose(devnull);
}

/* --- capture/identity.c: writing through the capture's writer ------------- */

static int exec_fn(sqlite3 *db, void *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ERR_DB;
}

/* Run sql on w's connection, in its transaction. */
static int writer_sql(struct writer *w, const char *sql)
{
    char *copy = strdup(sql);
    int rc = writer_with_db(w, exec_fn, copy);

    free(copy);
    return rc;
}

static void expect_count(const char *path, const char *sql, int want)
{
    sqlite3 *db;
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_int(st, 0) != want)
        fail_msg("%s: %d, want %d", sql, sqlite3_column_int(st, 0), want);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ident_cap_post(): a new inventory is written while the caller waits
 * (the inventory is the caller's), then the rest on the writer's thread:
 * the endpoints joined again there, committed with the next commit; a
 * write that fails there leaves the identities dirty for the next one. */
static void test_post(void **state)
{
    struct writer_capture wc = {NULL, "cali*", NULL, NULL, "live", 0, 1};
    char inv[512], path[512], *files[1];
    struct ident_cap ic;
    struct writer *w;
    struct diag d;
    int64_t cid;
    FILE *devnull = fopen("/dev/null", "w");

    (void)state;
    assert_non_null(devnull);
    diag_init(&d, devnull, "test");
    snprintf(inv, sizeof(inv), "%s/post.yaml", tmpdir);
    snprintf(path, sizeof(path), "%s/post.db", tmpdir);
    files[0] = inv;
    write_file(inv, "kind: List\nitems:\n" POD("a", "198.18.0.1"), 1700000000);
    assert_int_equal(ident_cap_open(&ic, &d, files, 1, 0), 0);
    assert_int_equal(writer_open(path, 0, &d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    assert_int_equal(writer_sql(w, "INSERT INTO ip_ifaces (capture_id, ip, iface, kind, via)"
                                   " VALUES (1, '198.18.0.9', 'cali9', 'pod', 'route')"),
                     0);
    /* the inventory's first version: written at once */
    assert_true(ident_cap_dirty(&ic));
    assert_int_equal(ident_cap_post(&ic, w, cid), 0);
    assert_false(ident_cap_dirty(&ic));
    assert_int_equal(writer_commit(w), 0);
    expect_count(path, "SELECT count(*) FROM endpoints", 2);

    /* nothing new of the inventory: the writer's thread joins again */
    assert_int_equal(writer_sql(w, "INSERT INTO ip_ifaces (capture_id, ip, iface, kind, via)"
                                   " VALUES (1, '198.18.0.8', 'cali8', 'pod', 'route')"),
                     0);
    atomic_store(&ic.write_failed, 1); /* as after a failed write */
    assert_true(ident_cap_dirty(&ic));
    assert_int_equal(ident_cap_post(&ic, w, cid), 0);
    assert_false(ident_cap_dirty(&ic));
    assert_int_equal(writer_commit(w), 0);
    expect_count(path, "SELECT count(*) FROM endpoints", 3);

    /* a join that fails there (too many rows for one address): reported,
     * not the writer's failure, and the identities are dirty again */
    assert_int_equal(
        writer_sql(w, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                      " WHERE i < 1025) INSERT INTO ip_ifaces (capture_id, ip, iface, kind,"
                      " via, valid_from_ns, valid_to_ns) SELECT 1, '198.18.0.99', 'cali' || i,"
                      " 'pod', 'route', 2 * i, 2 * i + 1 FROM n"),
        0);
    atomic_store(&ic.write_failed, 1);
    assert_int_equal(ident_cap_post(&ic, w, cid), 0);
    assert_int_equal(writer_commit(w), 0);
    assert_int_equal(writer_failed(w), 0);
    assert_true(ident_cap_dirty(&ic));
    expect_count(path, "SELECT count(*) FROM endpoints", 3);
    writer_close(&w);
    ident_cap_release(&ic);
    fclose(devnull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join),    cmocka_unit_test(test_kind_rank),
        cmocka_unit_test(test_rebuild), cmocka_unit_test(test_inventory_versions),
        cmocka_unit_test(test_post),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
