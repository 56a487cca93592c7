/*
 * test_case.c: the case reader's per-flow address parser
 * (analyze/case/flowrow.c fast_v4) must accept and refuse exactly what
 * inet_pton(3) does, and give the same bytes.  Pairing: test_pair.c.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_v4_matches_inet_pton),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
