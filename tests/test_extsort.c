/*
 * test_extsort.c: analyze/case/extsort.c, the external sort of the
 * pairing: records come back in order whether they stayed in memory or
 * went to disk in many runs; a cursor starts at the first record not
 * below a key; two cursors read one sort at once; an empty sort is empty;
 * a spill that cannot be written is an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/case/extsort.h"
#include "common/compat.h"

/* 40 bytes: a key with many repeats, an id that makes the order total,
 * and a payload that must travel with them. */
struct rec {
    int64_t key, id;
    char pay[24];
};

static int rec_cmp(const void *x, const void *y, void *arg)
{
    const struct rec *a = x, *b = y;

    (void)arg;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int qcmp(const void *x, const void *y)
{
    return rec_cmp(x, y, NULL);
}

static void fill(struct rec *r, size_t n, unsigned seed)
{
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].key = rand() % 97 - 40;
        r[i].id = (int64_t)i;
        snprintf(r[i].pay, sizeof(r[i].pay), "p%zu", i * 7);
    }
}

/* Every record from the cursor at from (NULL: all) equals want[k..n). */
static void expect_from(const struct xsort *x, const struct rec *want, size_t n,
                        const struct rec *from)
{
    struct xsort_cur cu;
    const struct rec *r;
    size_t k = 0;

    if (from)
        while (k < n && rec_cmp(&want[k], from, NULL) < 0)
            k++;
    assert_int_equal(xsort_cur_open(&cu, x, from), 0);
    while ((r = xsort_cur_next(&cu)) != NULL) {
        assert_true(k < n);
        if (memcmp(r, &want[k], sizeof(*r)) != 0)
            fail_msg("record %zu: key %lld id %lld, want key %lld id %lld", k, (long long)r->key,
                     (long long)r->id, (long long)want[k].key, (long long)want[k].id);
        k++;
    }
    assert_int_equal(cu.err, 0);
    assert_int_equal(k, n);
    xsort_cur_close(&cu);
}

static void test_extsort_orders(void **state)
{
    static const struct {
        size_t n, mem;
        int on_disk; /* runs expected on disk: 0, or at least this many */
    } cases[] = {
        {0, 1 << 20, 0},        /* empty */
        {1, 1 << 20, 0},        /* one record */
        {5000, 1 << 20, 0},     /* fits: memory only */
        {5000, 56 * 100, 50},   /* 100 records a run: 50 runs */
        {5001, 56 * 100, 51},   /* a last run of one record */
        {3000, 56 * 4, 750},    /* the smallest buffer: runs of 4 */
        {20000, 56 * 1500, 13}, /* runs larger than a cursor's window */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = cases[i].n;
        struct rec *r = calloc(n ? n : 1, sizeof(*r));
        struct xsort x;

        fill(r, n, (unsigned)i + 1);
        xsort_init(&x, sizeof(struct rec), rec_cmp, NULL, cases[i].mem);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(xsort_add(&x, &r[k]), 0);
        assert_int_equal(xsort_finish(&x), 0);
        assert_int_equal(xsort_count(&x), n);
        if (cases[i].on_disk)
            assert_true(xsort_runs_on_disk(&x) >= (size_t)cases[i].on_disk);
        else
            assert_int_equal(xsort_runs_on_disk(&x), 0);
        qsort(r, n, sizeof(*r), qcmp);
        expect_from(&x, r, n, NULL);
        /* From keys below, inside and above the range, and between ids. */
        for (int64_t key = -45; key <= 60; key += 7) {
            struct rec from = {.key = key, .id = 100};

            expect_from(&x, r, n, &from);
        }
        xsort_release(&x);
        free(r);
    }
}

/* Two cursors at once, one from the start and one from the middle, read
 * in turn (as two threads would, each with its own windows). */
static void test_extsort_two_cursors(void **state)
{
    enum { N = 7000 };
    struct rec *r = calloc(N, sizeof(*r));
    struct xsort x;
    struct xsort_cur a, b;
    struct rec mid;
    size_t ka = 0, kb = 0, start;

    (void)state;
    fill(r, N, 42);
    xsort_init(&x, sizeof(struct rec), rec_cmp, NULL, 40 * 300);
    for (size_t k = 0; k < N; k++)
        assert_int_equal(xsort_add(&x, &r[k]), 0);
    assert_int_equal(xsort_finish(&x), 0);
    assert_true(xsort_runs_on_disk(&x) > 1);
    qsort(r, N, sizeof(*r), qcmp);
    start = N / 2;
    mid = r[start];
    assert_int_equal(xsort_cur_open(&a, &x, NULL), 0);
    assert_int_equal(xsort_cur_open(&b, &x, &mid), 0);
    for (;;) {
        const struct rec *ra = xsort_cur_next(&a), *rb = xsort_cur_next(&b);

        if (!ra && !rb)
            break;
        if (ra)
            assert_memory_equal(ra, &r[ka++], sizeof(*ra));
        if (rb)
            assert_memory_equal(rb, &r[start + kb++], sizeof(*rb));
    }
    assert_int_equal(ka, N);
    assert_int_equal(kb, N - start);
    xsort_cur_close(&a);
    xsort_cur_close(&b);
    xsort_release(&x);
    free(r);
}

/* A spill that cannot be written (no such $TMPDIR) is an error from
 * xsort_add(), not a crash or a silent loss; in memory it never asks. */
static void test_extsort_spill_fails(void **state)
{
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    struct rec r;
    struct xsort x;
    int rc = 0;

    (void)state;
    setenv("TMPDIR", "/nonexistent/podflow-test", 1);
    memset(&r, 0, sizeof(r));
    xsort_init(&x, sizeof(struct rec), rec_cmp, NULL, 56 * 10);
    for (int i = 0; i < 100 && !rc; i++) {
        r.id = i;
        rc = xsort_add(&x, &r);
    }
    assert_int_equal(rc, -ENOENT);
    xsort_release(&x);
    xsort_init(&x, sizeof(struct rec), rec_cmp, NULL, 1 << 20);
    for (int i = 0; i < 100; i++)
        assert_int_equal(xsort_add(&x, &r), 0);
    assert_int_equal(xsort_finish(&x), 0);
    xsort_release(&x);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extsort_orders),
        cmocka_unit_test(test_extsort_two_cursors),
        cmocka_unit_test(test_extsort_spill_fails),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
