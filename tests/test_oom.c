/*
 * test_oom.c: allocation failures inside the readers' libraries are errors,
 * never crashes, never silently wrong results (issue 17, item 7).
 *
 * tests/helpers/oom.h fails allocations of libyaml (a renamed copy of
 * libyaml.a) and of SQLite (its allocator wrapped), never one of our own
 * (xmalloc() aborts by design; see oom.h for why that is honest).  For
 * each reader and input: a clean run gives the reference result and the
 * number N of library allocations; then every allocation 1..N is failed
 * in turn (a stride over N when N is large), and then failures are drawn
 * at random from fixed seeds.  Each run must either fail with an error
 * code, or succeed with exactly the reference result; a run in which
 * nothing was failed must succeed.  Under make unit-san the same runs are
 * checked by ASan and UBSan, leaks on the error paths included.
 *
 * Readers: the YAML/JSON tree (ystream_load_mem), the policy loader over
 * it, the inventory loader, and the case reader (case_open_many() on one
 * case and on two, case_flows(), over a case with rows it must leave out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/case/case.h"
#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/inventory.h"
#include "common/ydoc.h"
#include "tests/helpers/oom.h"
#include "common/compat.h"

/* Failing every allocation of a long run costs N runs: past sweep runs
 * (OOM_SWEEP_YAML, OOM_SWEEP_CASE), every (N / sweep)th is failed
 * instead.  Then OOM_RANDOM runs where each allocation fails with odds
 * 1/OOM_ONE_IN.  About 20 s in all (a plain build), a minute under ASan. */
#define OOM_SWEEP_YAML 1000
#define OOM_SWEEP_CASE 250
#define OOM_RANDOM     40
#define OOM_ONE_IN     40

static char tmpdir[256], case1[300], case2[300];
static struct diag quiet;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[4096];
    size_t n;

    assert_non_null(f);
    buf_init(&b, 0);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(buf_add(&b, chunk, n), 0);
    fclose(f);
    *len = b.len;
    return buf_detach(&b, NULL);
}

/* ---- what each reader gives: a text to compare runs by ---------------- */

static void dump_node(const struct ynode *n, struct buf *out)
{
    if (!n) {
        (void)!buf_addstr(out, "~");
        return;
    }
    (void)!buf_addf(out, "@%u:%u", n->line, n->col);
    switch (n->kind) {
    case YNODE_SCALAR:
        (void)!buf_addf(out, "'%s'", n->u.scalar.s);
        break;
    case YNODE_SEQ:
        (void)!buf_addch(out, '[');
        for (size_t i = 0; i < n->u.seq.n; i++)
            dump_node(n->u.seq.items[i], out);
        (void)!buf_addch(out, ']');
        break;
    case YNODE_MAP:
        (void)!buf_addch(out, '{');
        for (size_t i = 0; i < n->u.map.n; i++) {
            dump_node(n->u.map.pairs[i].key, out);
            dump_node(n->u.map.pairs[i].value, out);
        }
        (void)!buf_addch(out, '}');
        break;
    }
}

struct input {
    const char *name;
    char *data;
    size_t len;
};

typedef int (*reader_fn)(const struct input *in, struct buf *out);

static int read_ydoc(const struct input *in, struct buf *out)
{
    struct ystream ys;
    int rc = ystream_load_mem(&ys, in->name, in->data, in->len, &quiet);

    if (rc)
        return rc;
    for (size_t i = 0; i < ys.ndocs; i++)
        dump_node(ys.docs[i], out);
    ystream_release(&ys);
    return 0;
}

static int read_policies(const struct input *in, struct buf *out)
{
    struct policy_set ps;
    int rc = policy_set_load_mem(&ps, in->name, in->data, in->len, 0, &quiet);

    if (rc)
        return rc;
    (void)!buf_addf(out, "tiers %zu policies %zu netsets %zu", ps.ntiers, ps.npolicies,
                    ps.nnetsets);
    for (size_t i = 0; i < ps.npolicies; i++)
        (void)!buf_addf(out, " %s", ps.policies[i].name);
    policy_set_release(&ps);
    return 0;
}

static int read_inventory(const struct input *in, struct buf *out)
{
    struct inventory inv;
    int rc;

    inventory_init(&inv);
    rc = inventory_load_mem(&inv, in->name, in->data, in->len, &quiet);
    if (!rc)
        (void)!buf_addf(out, "pods %zu svcs %zu nodes %zu nss %zu malformed %zu", inv.npods,
                        inv.nsvcs, inv.nnodes, inv.nnss, inv.malformed);
    inventory_release(&inv);
    return rc;
}

static int count_flow(void *ctx, const struct case_flow *fl)
{
    struct buf *out = ctx;

    return buf_addf(out, " %lld/%s/%s", (long long)fl->id, fl->src ? fl->src->name : "-",
                    fl->dst ? fl->dst->name : "-");
}

static int read_case(const struct input *in, struct buf *out)
{
    char *paths[2] = {case1, case2};
    struct case_db c;
    int rc = case_open_many(&c, paths, in->data ? 2 : 1, NULL, &quiet);

    if (rc)
        return rc;
    (void)!buf_addf(out, "eps %zu nss %zu conns %zu:", c.neps, c.nnss, c.nconns);
    rc = case_flows(&c, NULL, count_flow, out, &quiet);
    if (!rc)
        (void)!buf_addf(out, " bad %llu", (unsigned long long)c.bad.total);
    case_close(&c);
    return rc;
}

/* ---- the sweep ------------------------------------------------------------ */

static void sweep(const char *what, reader_fn fn, const struct input *in, uint64_t runs)
{
    struct buf ref, got;
    uint64_t n, step;
    unsigned failed_runs = 0, ok_runs = 0;
    int rc;

    buf_init(&ref, 0);
    buf_init(&got, 0);
    oom_arm(0, 0, 0);
    rc = fn(in, &ref);
    n = oom_seen();
    oom_disarm();
    if (rc)
        fail_msg("%s: the clean run fails (%s)", what, err_str(rc));
    /* PODFLOW_OOM_RUNS=N: sweep with N runs per reader (a full sweep by
     * hand: a large N). */
    if (getenv("PODFLOW_OOM_RUNS"))
        runs = strtoull(getenv("PODFLOW_OOM_RUNS"), NULL, 10);
    step = runs && n > runs ? n / runs : 1;
    for (uint64_t k = 1; k <= n + OOM_RANDOM; k += k <= n ? step : 1) {
        buf_reset(&got);
        if (k <= n)
            oom_arm(k, 0, 0);
        else
            oom_arm(0, OOM_ONE_IN, k);
        rc = fn(in, &got);
        oom_disarm();
        if (rc) {
            failed_runs++;
            if (!oom_failed())
                fail_msg("%s: run %llu fails (%s) with no allocation failed", what,
                         (unsigned long long)k, err_str(rc));
        } else {
            ok_runs++;
            if (got.len != ref.len || memcmp(got.data, ref.data, ref.len) != 0)
                fail_msg("%s: run %llu (%llu allocations failed) succeeded with another "
                         "result:\n  got  %.*s\n  want %.*s",
                         what, (unsigned long long)k, (unsigned long long)oom_failed(),
                         (int)(got.len > 300 ? 300 : got.len), got.data,
                         (int)(ref.len > 300 ? 300 : ref.len), ref.data);
        }
    }
    print_message("%-28s %6llu library allocations; %u runs failed cleanly, %u succeeded "
                  "unchanged\n",
                  what, (unsigned long long)n, failed_runs, ok_runs);
    buf_release(&ref);
    buf_release(&got);
}

static void test_yaml_readers(void **state)
{
    static const struct {
        const char *path;
        int policies, inventory;
    } files[] = {
        {"samples/fme/policies/current/20-application.yaml", 1, 0},
        {"samples/fme/policies/proposed/30-engine.yaml", 1, 0},
        {"tests/fixtures/engine/k8s-named-port.yaml", 1, 0},
        {"samples/fme/inventory.yaml", 0, 1},
        {"tests/fixtures/inventory/mixed.json", 0, 1},
        {"tests/fixtures/inventory/malformed.yaml", 0, 1},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        struct input in = {files[i].path, NULL, 0};
        char what[80];

        in.data = slurp(files[i].path, &in.len);
        snprintf(what, sizeof(what), "ydoc %s", strrchr(files[i].path, '/') + 1);
        sweep(what, read_ydoc, &in, OOM_SWEEP_YAML);
        if (files[i].policies) {
            snprintf(what, sizeof(what), "policy %s", strrchr(files[i].path, '/') + 1);
            sweep(what, read_policies, &in, OOM_SWEEP_YAML);
        }
        if (files[i].inventory) {
            snprintf(what, sizeof(what), "inventory %s", strrchr(files[i].path, '/') + 1);
            sweep(what, read_inventory, &in, OOM_SWEEP_YAML);
        }
        free(in.data);
    }
}

static void test_case_reader(void **state)
{
    struct input one = {"case", NULL, 0}, two = {"cases", (char *)"two", 0};

    (void)state;
    sweep("case reader, one case", read_case, &one, OOM_SWEEP_CASE);
    sweep("case reader, two cases", read_case, &two, OOM_SWEEP_CASE);
}

/* ---- fixtures ------------------------------------------------------------- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* The FME case (tests/it/fme-case.sql), with rows the reader leaves out. */
static void make_case(const char *path, const char *node)
{
    sqlite3 *db = NULL;
    size_t len;
    char *sql = slurp("tests/it/fme-case.sql", &len), more[512];

    assert_int_equal(db_open_writer(path, &quiet, &db), 0);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(more, sizeof(more),
             "PRAGMA ignore_check_constraints = ON;"
             "UPDATE captures SET node = '%s';"
             "UPDATE flows SET dst_port = '80x' WHERE id = (SELECT min(id) FROM flows);"
             "UPDATE flows SET state = 'XYZ' WHERE id = (SELECT max(id) FROM flows);",
             node);
    assert_int_equal(sqlite3_exec(db, more, NULL, NULL, NULL), SQLITE_OK);
    db_close(&db, &quiet);
    free(sql);
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/podflow-test-oom.XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    diag_init(&quiet, getenv("TEST_VERBOSE") ? stderr : fopen("/dev/null", "w"), "test");
    snprintf(case1, sizeof(case1), "%s/a.db", tmpdir);
    snprintf(case2, sizeof(case2), "%s/b.db", tmpdir);
    make_case(case1, "node-a");
    make_case(case2, "node-b");
    /* The several-case copy goes to $TMPDIR: ours. */
    setenv("TMPDIR", tmpdir, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if (quiet.out != stderr)
        fclose(quiet.out);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_readers),
        cmocka_unit_test(test_case_reader),
    };

    /* Before SQLite is first used. */
    if (oom_sqlite_install() != 0) {
        fprintf(stderr, "test_oom: SQLite's allocator cannot be wrapped\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
