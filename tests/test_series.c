/*
 * test_series.c: traffic over time (analyze/out/series.c): buckets,
 * connections where they start, packets and bytes spread in whole numbers
 * that add up, namespaces counted once per flow, capture coverage merged
 * across overlapping captures, the limits, and the CSV form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "analyze/out/series.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/compat.h"

#define S 1000000000LL /* one second in ns */

static void test_init(void **state)
{
    static const struct {
        int64_t first, last, step;
        int rc;
        size_t nb;
        int64_t t0;
    } rows[] = {
        {10 * S, 10 * S, 10 * S, 0, 1, 10 * S},                   /* one instant, one bucket */
        {15 * S, 40 * S, 10 * S, 0, 4, 10 * S},                   /* t0 rounded down: 10..50 */
        {15 * S, 39 * S, 10 * S, 0, 3, 10 * S},                   /* the last bucket holds 39 */
        {0, 0, 0, ERR_INVALID, 0, 0},                             /* no step */
        {20 * S, 10 * S, S, ERR_INVALID, 0, 0},                   /* ends before it starts */
        {-S, S, S, ERR_INVALID, 0, 0},                            /* before 1970 */
        {0, (int64_t)LIM_SERIES_BUCKETS * S, S, ERR_LIMIT, 0, 0}, /* one bucket too many */
        {0, INT64_MAX, 1, ERR_LIMIT, 0, 0},                       /* no overflow on the count */
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(rows); i++) {
        struct series s;
        int rc = series_init(&s, rows[i].first, rows[i].last, rows[i].step);

        assert_int_equal(rc, rows[i].rc);
        if (!rc) {
            assert_int_equal(s.nb, rows[i].nb);
            assert_int_equal(s.t0, rows[i].t0);
            series_release(&s);
        }
    }
}

static void test_spread(void **state)
{
    struct series s;
    struct series_cell tot[SERIES_NV];
    uint64_t sum = 0;
    size_t b;

    (void)state;
    assert_int_equal(series_init(&s, 0, 100 * S, 10 * S), 0);
    /* 7 packets, 1001 bytes over 5 s .. 35 s: buckets 0 to 3. */
    assert_int_equal(series_add(&s, "a", "b", 0, 5 * S, 35 * S, 7, 1001), 0);
    /* Denied, the same namespace at both ends: counted once in it. */
    assert_int_equal(series_add(&s, "b", "b", 1, 50 * S, 50 * S, 3, 30), 0);
    /* A hostile row: ends before it starts, negative totals, far outside. */
    assert_int_equal(series_add(&s, NULL, NULL, 1, 500 * S, -5, -1, -1), 0);
    series_finish(&s);
    assert_int_equal(s.nns, 2);
    assert_string_equal(s.ns[s.order[0] - 1], "a");
    assert_int_equal(series_cell(&s, 0, 0, SERIES_ALLOW)->conns, 1);
    assert_int_equal(series_cell(&s, 0, 1, SERIES_ALLOW)->conns, 0);
    for (b = 0; b < s.nb; b++)
        sum += series_cell(&s, 0, b, SERIES_ALLOW)->bytes;
    assert_int_equal(sum, 1001);
    /* 5 of 30 s in bucket 0: a sixth of the bytes, rounded down. */
    assert_int_equal(series_cell(&s, 0, 0, SERIES_ALLOW)->bytes, 166);
    assert_int_equal(series_cell(&s, 0, 4, SERIES_ALLOW)->bytes, 0);
    series_total(&s, s.order[1], tot); /* b */
    assert_int_equal(tot[SERIES_ALLOW].conns, 1);
    assert_int_equal(tot[SERIES_DENY].conns, 1);
    assert_int_equal(tot[SERIES_DENY].bytes, 30);
    series_total(&s, 0, tot);
    assert_int_equal(tot[SERIES_DENY].conns, 2); /* the hostile row held at the end */
    assert_int_equal(series_cell(&s, 0, s.nb - 1, SERIES_DENY)->conns, 1);
    assert_int_equal(tot[SERIES_UNKNOWN].conns, 0);
    series_release(&s);
}

/* An unknown verdict is a verdict of its own (§11), neither allowed nor
 * denied; the cluster writes its row only when there is some. */
static void test_unknown(void **state)
{
    struct series s;
    struct series_cell tot[SERIES_NV];
    struct buf out;

    (void)state;
    assert_int_equal(series_init(&s, 0, 10 * S, 10 * S), 0);
    buf_init(&out, 0);
    series_finish(&s);
    assert_int_equal(series_write(&s, SERIES_CSV, &out), 0);
    assert_null(strstr(out.data, ",unknown,"));
    series_release(&s);
    assert_int_equal(series_init(&s, 0, 10 * S, 10 * S), 0);
    assert_int_equal(series_add(&s, "a", NULL, SERIES_UNKNOWN, 1 * S, 2 * S, 4, 400), 0);
    series_finish(&s);
    series_total(&s, 0, tot);
    assert_int_equal(tot[SERIES_UNKNOWN].conns, 1);
    assert_int_equal(tot[SERIES_ALLOW].conns, 0);
    assert_int_equal(tot[SERIES_DENY].conns, 0);
    buf_reset(&out);
    assert_int_equal(series_write(&s, SERIES_CSV, &out), 0);
    assert_non_null(strstr(out.data, ",cluster,,unknown,1,4,400,"));
    assert_non_null(strstr(out.data, ",namespace,a,unknown,1,4,400,"));
    buf_release(&out);
    series_release(&s);
}

static void test_coverage(void **state)
{
    struct series s;
    struct buf out;

    (void)state;
    assert_int_equal(series_init(&s, 0, 39 * S, 10 * S), 0);
    /* Two captures overlapping 5..25 and 15..28: 5..28 counted once. */
    series_capture(&s, 15 * S, 28 * S);
    series_capture(&s, 5 * S, 25 * S);
    series_capture(&s, 30 * S, 20 * S); /* ends before it starts: ignored */
    series_finish(&s);
    assert_int_equal(s.covered[0], 5 * S);
    assert_int_equal(s.covered[1], 10 * S);
    assert_int_equal(s.covered[2], 8 * S);
    assert_int_equal(s.covered[3], 0);
    /* CSV: header, two cluster rows per bucket, a namespace name quoted. */
    assert_int_equal(series_add(&s, "x,\"y\"", NULL, 0, 0, 0, 1, 1), 0);
    series_finish(&s);
    buf_init(&out, 0);
    assert_int_equal(series_write(&s, SERIES_CSV, &out), 0);
    assert_non_null(strstr(out.data, "namespace,\"x,\"\"y\"\"\",allow,1,1,1,"));
    assert_non_null(strstr(out.data, ",cluster,,deny,0,0,0,0,0,0,0.8000\n"));
    buf_release(&out);
    series_release(&s);
}

static void test_cells_limit(void **state)
{
    struct series s;
    char ns[32];
    size_t i;
    int rc = 0;

    (void)state;
    /* Buckets so many that a few namespaces fill LIM_SERIES_CELLS. */
    assert_int_equal(series_init(&s, 0, (int64_t)(LIM_SERIES_BUCKETS - 1) * S, S), 0);
    for (i = 0; i < 64 && !rc; i++) {
        snprintf(ns, sizeof(ns), "ns%zu", i);
        rc = series_add(&s, ns, NULL, 0, 0, S, 1, 1);
    }
    assert_int_equal(rc, ERR_LIMIT);
    assert_int_equal(s.nns, LIM_SERIES_CELLS / LIM_SERIES_BUCKETS - 1);
    /* A namespace already there is still counted. */
    assert_int_equal(series_add(&s, "ns0", NULL, 0, 0, S, 1, 1), 0);
    series_release(&s);
}

static void test_auto_step(void **state)
{
    (void)state;
    assert_int_equal(series_auto_step(0, 40 * S), S);
    assert_int_equal(series_auto_step(0, 300 * S), 5 * S);
    assert_int_equal(series_auto_step(0, 3600 * S), 60 * S); /* 120 of 30 s: one too many */
    assert_int_equal(series_auto_step(0, 86400 * S), 900 * S);
    assert_int_equal(series_auto_step(5, 0), S); /* no span */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),      cmocka_unit_test(test_spread),
        cmocka_unit_test(test_coverage),  cmocka_unit_test(test_cells_limit),
        cmocka_unit_test(test_auto_step), cmocka_unit_test(test_unknown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
