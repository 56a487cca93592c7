/*
 * test_util.c: checked number parsing and RFC 3339 times (common/util.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "common/compat.h"

static void test_parse_u64(void **state)
{
    static const struct {
        const char *s;
        uint64_t min, max;
        int rc;
        uint64_t want;
    } cases[] = {
        {"0", 0, 10, 0, 0},                                   /* zero */
        {"65535", 1, 65535, 0, 65535},                        /* upper bound included */
        {"65536", 1, 65535, ERR_LIMIT, 0},                    /* one past */
        {"0", 1, 65535, ERR_LIMIT, 0},                        /* below min */
        {"", 0, 10, ERR_PARSE, 0},                            /* empty */
        {"12a", 0, 100, ERR_PARSE, 0},                        /* trailing garbage */
        {"-1", 0, 100, ERR_PARSE, 0},                         /* sign refused */
        {" 1", 0, 100, ERR_PARSE, 0},                         /* space refused */
        {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX}, /* max */
        {"18446744073709551616", 0, UINT64_MAX, ERR_LIMIT, 0},  /* overflow */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t v = 0;
        int rc = parse_u64(cases[i].s, strlen(cases[i].s), cases[i].min, cases[i].max, &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(v == cases[i].want);
    }
}

static void test_parse_i64(void **state)
{
    int64_t v;

    (void)state;
    assert_int_equal(parse_i64("-42", 3, -100, 100, &v), 0);
    assert_true(v == -42);
    assert_int_equal(parse_i64("-9223372036854775808", 20, INT64_MIN, INT64_MAX, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(parse_i64("101", 3, -100, 100, &v), ERR_LIMIT);
    assert_int_equal(parse_i64("-", 1, -100, 100, &v), ERR_PARSE);
}

static void test_rfc3339(void **state)
{
    static const struct {
        const char *s;
        int rc;
        int64_t want;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0, 0},                        /* epoch */
        {"2024-05-01T10:00:00Z", 0, 1714557600LL * 1000000000}, /* kubectl style */
        {"2024-05-01T10:00:00.5Z", 0, 1714557600LL * 1000000000 + 500000000}, /* fraction */
        {"2024-05-01T12:00:00+02:00", 0, 1714557600LL * 1000000000}, /* offset */
        {"2024-05-01 10:00:00Z", 0, 1714557600LL * 1000000000}, /* space separator */
        {"2024-05-01T10:00:00", ERR_PARSE, 0},                  /* no zone */
        {"2024-13-01T10:00:00Z", ERR_PARSE, 0},                 /* bad month */
        {"2024-05-01T10:00:00Zjunk", ERR_PARSE, 0},             /* trailing */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t v = -1;
        int rc = parse_rfc3339(cases[i].s, strlen(cases[i].s), &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(v == cases[i].want);
    }
}

static void test_format_rfc3339(void **state)
{
    char buf[40];

    (void)state;
    format_rfc3339(1714557600LL * 1000000000 + 1500, buf, sizeof(buf));
    assert_string_equal(buf, "2024-05-01T10:00:00.000001Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_format_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
