/*
 * test_source.c: capture/source.c pieces that need no packet socket:
 * src_ts_ns(), the packet timestamp conversion every file and live packet
 * goes through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capture/source.h"
#include "common/compat.h"

static void test_ts_ns(void **state)
{
    static const struct {
        int nano;
        int64_t sec, frac;
        int64_t want;
    } cases[] = {
        {1, 1700000000, 123456789, INT64_C(1700000000123456789)}, /* nanosecond file */
        {0, 1700000000, 123456, INT64_C(1700000000123456000)},    /* microsecond file */
        {0, 1, 999999, INT64_C(1999999000)},                      /* largest valid fraction */
        {0, 1, 4294967295, INT64_C(1999999999)},  /* pcap fraction field past a second */
        {1, 1, 4294967295, INT64_C(1999999999)},  /* same, nanosecond file */
        {1, INT64_MAX, 0, INT64_C(9223372035000000000)}, /* pcapng seconds past 2262 saturate
                                                            (fuzz regress pcap/ub-ts-overflow-1) */
        {1, INT64_C(9223372036), 854775807, INT64_C(9223372035854775807)}, /* seconds past the end */
        {1, INT64_C(9223372035), 999999999, INT64_C(9223372035999999999)}, /* the last one kept */
        {1, -5, 7, 7},                            /* negative seconds (a wrapped uint64) */
        {0, 0, -1, 0},                            /* negative fraction */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct src s = {.ts_nano = cases[i].nano};
        struct pcap_pkthdr h;

        memset(&h, 0, sizeof(h));
        h.ts.tv_sec = (time_t)cases[i].sec;
        h.ts.tv_usec = (suseconds_t)cases[i].frac;
        assert_int_equal(src_ts_ns(&s, &h), cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_ns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
