/*
 * test_case.c: the case reader's per-flow address parser (analyze/case.c
 * fast_v4) must accept and refuse exactly what inet_pton(3) does, and give
 * the same bytes; the hash pairing's vantage-point tags (vmap) are dense,
 * stable, tell "no interface" from interface 0, and run out at their limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "common/err.h"
#include "common/compat.h"

static void test_fast_v4_matches_inet_pton(void **state)
{
    static const char *const cases[] = {
        "10.0.0.1",        /* plain */
        "0.0.0.0",         /* zeros */
        "255.255.255.255", /* maxima */
        "256.0.0.1",       /* part too large */
        "1.2.3",           /* three parts */
        "1.2.3.4.5",       /* five parts */
        "01.2.3.4",        /* leading zero: inet_pton refuses */
        "1.2.3.04",        /* leading zero in the last part */
        "1..2.3",          /* empty part */
        "1.2.3.4 ",        /* trailing space */
        " 1.2.3.4",        /* leading space */
        "1.2.3.",          /* trailing dot */
        "a.b.c.d",         /* not digits */
        "1.2.3.4a",        /* trailing garbage */
        "9999.1.1.1",      /* long part */
        "",                /* empty */
        "::1",             /* IPv6: not ours */
        "1.2.3.-4",        /* sign */
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ipaddr ip;
        unsigned char want[4];
        int ok = inet_pton(AF_INET, cases[i], want) == 1;
        int rc = fast_v4(cases[i], strlen(cases[i]), &ip);

        if (ok != (rc == 0))
            fail_msg("'%s': inet_pton %s, fast_v4 %s", cases[i], ok ? "accepts" : "refuses",
                     rc == 0 ? "accepts" : "refuses");
        if (ok) {
            assert_int_equal(ip.family, 4);
            assert_memory_equal(ip.a, want, 4);
        }
    }
}

static void test_vmap_tags(void **state)
{
    static const struct {
        int64_t cap;
        int has_iface;
        int64_t iface;
        uint32_t want;
    } steps[] = {
        {1, 0, 0, 1},          /* capture 1 itself: the first tag */
        {1, 1, 0, 2},          /* its interface 0: not the capture itself */
        {1, 0, 77, 1},         /* no interface: the value is ignored */
        {1, 1, 5, 3},          /* another interface */
        {2, 1, 5, 4},          /* the same interface id in another capture: another point */
        {1, 1, 5, 3},          /* seen again: the same tag */
        {-1, 1, INT64_MIN, 5}, /* extreme values */
        {2, 0, 0, 6},          /* capture 2 itself */
    };
    struct vmap m;

    (void)state;
    vmap_init(&m, 1000);
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
        if (vmap_tag(&m, steps[i].cap, steps[i].has_iface, steps[i].iface) != steps[i].want)
            fail_msg("step %zu: tag %u, want %u", i,
                     vmap_tag(&m, steps[i].cap, steps[i].has_iface, steps[i].iface), steps[i].want);
    /* Growth past the initial 16 slots keeps every tag. */
    for (int64_t k = 0; k < 500; k++)
        assert_int_equal(vmap_tag(&m, 9, 1, k), 7 + (uint32_t)k);
    for (int64_t k = 0; k < 500; k++)
        assert_int_equal(vmap_tag(&m, 9, 1, k), 7 + (uint32_t)k);
    assert_int_equal(vmap_tag(&m, 1, 1, 5), 3);
    vmap_release(&m);

    /* The limit: max tags, then 0 for new points, old ones still known. */
    vmap_init(&m, 3);
    assert_int_equal(vmap_tag(&m, 1, 1, 1), 1);
    assert_int_equal(vmap_tag(&m, 1, 1, 2), 2);
    assert_int_equal(vmap_tag(&m, 1, 1, 3), 3);
    assert_int_equal(vmap_tag(&m, 1, 1, 4), 0);
    assert_int_equal(vmap_tag(&m, 1, 1, 2), 2);
    vmap_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_v4_matches_inet_pton),
        cmocka_unit_test(test_vmap_tags),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
