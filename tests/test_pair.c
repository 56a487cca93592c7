/*
 * test_pair.c: analyze/case/pair.c, the ends of one connection seen at
 * several vantage points (docs/schema.md, "Connections seen at both
 * ends"): the rule on hand-made rows of one 5-tuple (pair_group), the
 * vantage-point tags, and on generated cases the pairing as case_flows()
 * reports it, against the SQL oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/compat.h"

/* ---- the rule, on the rows of one 5-tuple ---------------------------------- */

/* One row: vantage point "cN" (capture N itself) or "cN/iM" (its
 * interface M), window [first, last] in seconds. */
struct hrow {
    const char *at;
    double first, last;
};

/* Rows (sorted by first, then id = index + 1) paired with skew_ns by
 * pair.c's window (oracle 0) or the oracle's array (1) into "1,2 3,4,5":
 * each connection's flow ids, ends[0] first, as case_flows() meets them. */
static void pair_rows(const struct hrow *h, size_t n, int64_t skew_ns, int oracle, struct buf *out)
{
    struct case_db c;
    struct prow r[80];
    struct pair_cursor pc;
    int first = 1;

    assert_true(n <= ARRAY_SIZE(r));
    memset(&c, 0, sizeof(c));
    arena_init(&c.arena, 0);
    c.opts.skew_ns = skew_ns;
    for (size_t i = 0; i < n; i++) {
        long cap = 0, ifc = 0;
        int got = sscanf(h[i].at, "c%ld/i%ld", &cap, &ifc);

        assert_true(got >= 1);
        memset(&r[i], 0, sizeof(r[i]));
        r[i].e.flow_id = (int64_t)i + 1;
        r[i].e.capture_id = cap;
        r[i].e.has_iface = got == 2;
        r[i].e.iface_id = ifc;
        r[i].e.first_ns = (int64_t)(h[i].first * 1e9);
        r[i].last_ns = (int64_t)(h[i].last * 1e9);
        r[i].e.state = "SF";
    }
    pair_result_new(&c);
    assert_int_equal(oracle ? pair_group_oracle(&c, r, n) : pair_window_rows(&c, r, n), 0);
    assert_int_equal(pair_finish(&c), 0);
    buf_reset(out);
    assert_int_equal(buf_addstr(out, ""), 0);
    assert_int_equal(pair_cursor_open(&pc, &c, INT64_MIN), 0);
    for (size_t i = 0; i < n; i++) {
        const struct case_conn *cn;
        int at = pair_cursor_at(&pc, &c, (int64_t)i + 1, &cn);

        assert_true(at >= 0 && at <= 2);
        if (at != 1)
            continue;
        for (size_t k = 0; k < cn->nends; k++)
            assert_int_equal(buf_addf(out, "%s%lld",
                                      k       ? ","
                                      : first ? ""
                                              : " ",
                                      (long long)cn->ends[k].flow_id),
                             0);
        first = 0;
    }
    pair_cursor_close(&pc);
    pair_result_free(&c);
    arena_release(&c.arena);
}

static void test_pair_rule(void **state)
{
    static const struct {
        const char *name;
        struct hrow rows[6];
        size_t n;
        const char *want;
    } cases[] = {
        {"two captures overlapping", {{"c1", 0, 1}, {"c2", 0.3, 1.3}}, 2, "1,2"},
        {"one vantage point twice: never ends of each other",
         {{"c1/i1", 0, 1}, {"c1/i1", 0.3, 1.3}},
         2,
         ""},
        {"two interfaces of one capture", {{"c1/i1", 0, 1}, {"c1/i2", 0.3, 1.3}}, 2, "1,2"},
        {"the capture itself and one of its interfaces",
         {{"c1", 0, 1}, {"c1/i1", 0.3, 1.3}},
         2,
         "1,2"},
        {"within the skew after the end", {{"c1", 0, 1}, {"c2", 2.9, 3}}, 2, "1,2"},
        {"past the skew", {{"c1", 0, 1}, {"c2", 3.1, 4}}, 2, ""},
        {"three vantage points: one connection of three",
         {{"c1", 0, 1}, {"c2", 0.1, 1}, {"c3", 0.2, 1}},
         3,
         "1,2,3"},
        {"each vantage point adds its first unpaired row only",
         {{"c1", 0, 1}, {"c2", 0.1, 1}, {"c2", 0.2, 1}, {"c1", 0.3, 1}},
         4,
         "1,2 3,4"},
        {"a row past the first one's reach starts its own",
         {{"c1", 0, 1}, {"c1", 5, 6}, {"c2", 5.5, 6}},
         3,
         "2,3"},
        {"a lone row between two connections",
         {{"c1", 0, 1}, {"c2", 0.5, 1}, {"c1", 10, 11}, {"c3", 20, 21}, {"c1", 20.5, 21}},
         5,
         "1,2 4,5"},
    };
    struct buf out;

    (void)state;
    buf_init(&out, 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        for (int oracle = 0; oracle <= 1; oracle++) {
            pair_rows(cases[i].rows, cases[i].n, 2000000000LL, oracle, &out);
            if (strcmp(out.data, cases[i].want) != 0)
                fail_msg("%s%s: got '%s', want '%s'", cases[i].name, oracle ? " (oracle)" : "",
                         out.data, cases[i].want);
        }
    }
    buf_release(&out);
}

/* At most LIM_CASE_ENDS ends a connection, at most LIM_CASE_PAIR_SCAN later
 * rows looked at for one. */
static void test_pair_limits(void **state)
{
    struct hrow h[80];
    char names[80][16];
    struct buf out, want;

    (void)state;
    buf_init(&out, 0);
    buf_init(&want, 0);
    /* 20 captures at once: 16 ends, then the other 4 make a connection. */
    for (size_t i = 0; i < 20; i++) {
        snprintf(names[i], sizeof(names[i]), "c%zu", i + 1);
        h[i] = (struct hrow){names[i], 0.01 * (double)i, 1};
    }
    for (int oracle = 0; oracle <= 1; oracle++) {
        pair_rows(h, 20, 0, oracle, &out);
        buf_reset(&want);
        for (size_t i = 0; i < 20; i++)
            assert_int_equal(buf_addf(&want, "%s%zu",
                                      i == 0               ? ""
                                      : i == LIM_CASE_ENDS ? " "
                                                           : ",",
                                      i + 1),
                             0);
        assert_string_equal(out.data, want.data);
    }

    /* The other end 70 rows later (all of one vantage point between):
     * past the scan limit, not found. */
    for (size_t i = 0; i < 70; i++)
        h[i] = (struct hrow){"c1", 0.001 * (double)i, 1};
    h[70] = (struct hrow){"c2", 0.5, 1};
    /* Row 1 looks at rows 2..65 only; row 7 (71 - 64) is the first whose
     * look reaches row 71. */
    for (int oracle = 0; oracle <= 1; oracle++) {
        pair_rows(h, 71, 0, oracle, &out);
        assert_string_equal(out.data, "7,71");
    }
    buf_release(&out);
    buf_release(&want);
}

/* ---- generated cases: the pairing against the SQL oracle --------------------- */

static char dir[64];

/* A case of n flows over 3 captures (capture 1 with interfaces 1..4,
 * capture 2 with 5..6, capture 3 with none), drawn from seed: 5-tuples
 * from a small pool, so that one tuple recurs at several vantage points
 * and times, some rows on no interface, some with a Service translation
 * or an ICMP id, and a few damaged rows (an address that does not parse,
 * a port out of range). */
static void make_case(const char *path, unsigned n, unsigned seed)
{
    struct diag d;
    sqlite3 *db;
    char sql[1024];

    diag_init(&d, stderr, "test");
    unlink(path);
    assert_int_equal(db_open_writer(path, &d, &db), 0);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO captures (id, node, started_ns, tool_version) VALUES "
                     "(1, 'n1', 0, 't'), (2, 'n2', 0, 't'), (3, 'n3', 0, 't');"
                     "INSERT INTO interfaces (id, capture_id, name) VALUES (1, 1, 'a1'), "
                     "(2, 1, 'a2'), (3, 1, 'a3'), (4, 1, 'a4'), (5, 2, 'b1'), (6, 2, 'b2');"
                     "BEGIN",
                     NULL, NULL, NULL),
        SQLITE_OK);
    srand(seed);
    for (unsigned i = 0; i < n; i++) {
        unsigned t = (unsigned)rand() % (n / 8 + 1), cap = 1 + (unsigned)rand() % 3;
        unsigned r = (unsigned)rand() % 100;
        long long first = (long long)(t * 7 % 50) * 1000000000LL + (rand() % 4000) * 1000000LL;
        long long last = first + (rand() % 3000) * 1000000LL;
        char ifc[16], dnat[64], icmp[16];

        if (cap == 3 || r < 10)
            snprintf(ifc, sizeof(ifc), "NULL");
        else
            snprintf(ifc, sizeof(ifc), "%u",
                     cap == 1 ? 1 + (unsigned)rand() % 4 : 5 + (unsigned)rand() % 2);
        if (t % 9 == 0 && r % 2)
            snprintf(dnat, sizeof(dnat), "'10.1.%u.%u', %u", t % 3, t % 5, 8080 + t % 2);
        else
            snprintf(dnat, sizeof(dnat), "NULL, NULL");
        if (t % 13 == 0)
            snprintf(icmp, sizeof(icmp), "%u", r % 2);
        else
            snprintf(icmp, sizeof(icmp), "NULL");
        snprintf(sql, sizeof(sql),
                 "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
                 " first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state,"
                 " iface, dnat_ip, dnat_port, icmp_id) VALUES (%u, %u, '%s', %u, '%s', %u,"
                 " %lld, %lld, %u, 100, %u, 100, '%s', %s, %s, %s)",
                 cap, t % 11 == 0 ? 17u : 6u,
                 r == 99       ? "not-an-address"
                 : t % 17 == 0 ? "fd00::1"
                 : t % 3 == 0  ? "10.0.0.1"
                               : "10.0.0.2",
                 r == 98 ? 70000 : 30000 + t / 3,
                 t % 17 == 0  ? "fd00::2"
                 : t % 5 == 0 ? "10.0.9.9"
                              : "10.0.0.3",
                 t % 7 == 0 ? 53u : 80u, first, last, 1 + r % 5, r % 3, r % 4 ? "SF" : "S0", ifc,
                 dnat, icmp);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    db_close(&db, &d);
}

/* Each reported flow as case_flows() gives it: "id" or "id[a/iface/state/fwd/rev,...]" */
static int dump_flow(void *ctx, const struct case_flow *fl)
{
    struct buf *b = ctx;
    int rc = buf_addf(b, "%lld", (long long)fl->id);

    if (!rc && fl->conn) {
        for (size_t k = 0; k < fl->conn->nends && !rc; k++) {
            const struct case_end *e = &fl->conn->ends[k];

            rc = buf_addf(b, "%c%lld/%s/%s/%s/%lld/%lld", k ? ',' : '[', (long long)e->flow_id,
                          e->node ? e->node : "-", e->iface ? e->iface : "-", e->state,
                          (long long)e->packets_fwd, (long long)e->packets_rev);
        }
        if (!rc)
            rc = buf_addch(b, ']');
    }
    if (!rc && fl->reach)
        rc = buf_addf(b, "<%s>", fl->reach);
    return rc ? rc : buf_addch(b, '\n');
}

/* Read the case at path: pairing by the oracle, or by pair.c with
 * pair_mem bytes of records in memory (0: the default); *spilled: runs
 * written to disk. */
static void read_case(const char *path, int oracle, size_t pair_mem, struct buf *out,
                      size_t *nconns, size_t *spilled)
{
    struct case_opts o = {.skew_ns = CASE_SKEW_DEFAULT_NS, .pair_mem = pair_mem};
    char *paths[1] = {(char *)path};
    FILE *quiet = fopen("/dev/null", "w"); /* the damaged rows' warnings */
    struct case_db c;
    struct diag d;

    assert_non_null(quiet);
    diag_init(&d, quiet, "test");
    if (oracle)
        setenv("PODFLOW_PAIR_SQL", "1", 1);
    else
        unsetenv("PODFLOW_PAIR_SQL");
    assert_int_equal(case_open_many(&c, paths, 1, &o, &d), 0);
    buf_reset(out);
    assert_int_equal(case_flows(&c, NULL, dump_flow, out, &d), 0);
    *nconns = c.nconns;
    *spilled = c.pairs ? c.pairs->spilled : 0;
    case_close(&c);
    fclose(quiet);
    unsetenv("PODFLOW_PAIR_SQL");
}

/* pair.c in memory, pair.c spilling runs of 40 records (so a tuple's rows
 * and a connection's ends straddle runs), and the oracle: the same flows
 * reported, with the same ends. */
static void test_pair_matches_oracle(void **state)
{
    char path[128];
    struct buf a, b, s;

    (void)state;
    buf_init(&a, 0);
    buf_init(&b, 0);
    buf_init(&s, 0);
    snprintf(path, sizeof(path), "%s/gen.db", dir);
    for (unsigned seed = 1; seed <= 6; seed++) {
        size_t na = 0, nb = 0, ns = 0, spa = 0, spb = 0, sps = 0;

        make_case(path, 400 * seed, seed);
        read_case(path, 0, 0, &a, &na, &spa);
        read_case(path, 0, 40 * 120, &s, &ns, &sps);
        read_case(path, 1, 0, &b, &nb, &spb);
        if (na < 10)
            fail_msg("seed %u: only %zu connections: the generator pairs too little", seed, na);
        if (spa != 0 || sps < 10)
            fail_msg("seed %u: %zu runs on disk by default, %zu in 4.8 KB: want 0 and many", seed,
                     spa, sps);
        /* (The oracle also pairs damaged rows among themselves, which
         * case_flows() skips either way: compare what it reports.) */
        if (nb < na || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            fail_msg(
                "seed %u: %zu connections, the oracle %zu; flows differ:\n%.2000s\n---\n%.2000s",
                seed, na, nb, a.data, b.data);
        if (ns != na || s.len != a.len || memcmp(s.data, a.data, a.len) != 0)
            fail_msg("seed %u: spilling: %zu connections, in memory %zu; flows differ", seed, ns,
                     na);
    }
    unlink(path);
    buf_release(&a);
    buf_release(&b);
    buf_release(&s);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_pair.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char path[128];

    (void)state;
    snprintf(path, sizeof(path), "%s/gen.db", dir);
    unlink(path);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_rule),
        cmocka_unit_test(test_pair_limits),
        cmocka_unit_test(test_pair_matches_oracle),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
