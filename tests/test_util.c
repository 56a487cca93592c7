/*
 * test_util.c: checked number parsing and RFC 3339 times (common/util.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
        {"0", 0, 10, 0, 0},                                     /* zero */
        {"65535", 1, 65535, 0, 65535},                          /* upper bound included */
        {"65536", 1, 65535, ERR_LIMIT, 0},                      /* one past */
        {"0", 1, 65535, ERR_LIMIT, 0},                          /* below min */
        {"", 0, 10, ERR_PARSE, 0},                              /* empty */
        {"12a", 0, 100, ERR_PARSE, 0},                          /* trailing garbage */
        {"-1", 0, 100, ERR_PARSE, 0},                           /* sign refused */
        {" 1", 0, 100, ERR_PARSE, 0},                           /* space refused */
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
        {"1970-01-01T00:00:00Z", 0, 0},                                       /* epoch */
        {"2024-05-01T10:00:00Z", 0, 1714557600LL * 1000000000},               /* kubectl style */
        {"2024-05-01T10:00:00.5Z", 0, 1714557600LL * 1000000000 + 500000000}, /* fraction */
        {"2024-05-01T12:00:00+02:00", 0, 1714557600LL * 1000000000},          /* offset */
        {"2024-05-01 10:00:00Z", 0, 1714557600LL * 1000000000},               /* space separator */
        {"2024-05-01T10:00:00", ERR_PARSE, 0},                                /* no zone */
        {"2024-13-01T10:00:00Z", ERR_PARSE, 0},                               /* bad month */
        {"2024-05-01T10:00:00Zjunk", ERR_PARSE, 0},                           /* trailing */
        {"2024-02-29T00:00:00Z", 0, 1709164800LL * 1000000000},               /* leap day */
        {"2023-02-29T00:00:00Z", ERR_PARSE, 0},                               /* not a leap year */
        {"2100-02-29T00:00:00Z", ERR_PARSE, 0},                /* century, not leap */
        {"2000-02-29T00:00:00Z", 0, 951782400LL * 1000000000}, /* 400-year leap */
        {"2024-04-31T00:00:00Z", ERR_PARSE, 0},                /* April has 30 days */
        {"2024-05-01T10:00:00.123456789123Z", 0,
         1714557600LL * 1000000000 + 123456789},          /* digits past ns dropped */
        {"2024-05-01T10:00:00.Z", ERR_PARSE, 0},          /* empty fraction */
        {"1969-12-31T23:59:59.5Z", 0, -500000000},        /* before the epoch */
        {"2262-04-11T23:47:16.854775807Z", 0, INT64_MAX}, /* last representable ns */
        {"2262-04-11T23:47:16.854775808Z", ERR_LIMIT, 0}, /* one ns past: no wrap */
        {"9999-12-31T23:59:59Z", ERR_LIMIT, 0},           /* far future */
        {"1677-09-21T00:12:43.145224192Z", 0, INT64_MIN}, /* first representable ns */
        {"1000-01-01T00:00:00Z", ERR_LIMIT, 0},           /* far past */
        {"2024-05-01T10:00:00+24:00", ERR_PARSE, 0},      /* offset hour out of range */
        {"2024-05-01T10:00:00+02:0", ERR_PARSE, 0},       /* short offset */
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
    static const struct {
        int64_t ns;
        const char *want;
    } cases[] = {
        {1714557600LL * 1000000000 + 1500, "2024-05-01T10:00:00.000001Z"}, /* sub-us truncated */
        {0, "1970-01-01T00:00:00.000000Z"},                                /* epoch */
        {-1, "1969-12-31T23:59:59.999999Z"},          /* floor, not toward zero */
        {-500, "1969-12-31T23:59:59.999999Z"},        /* under a microsecond */
        {-1000000000, "1969-12-31T23:59:59.000000Z"}, /* whole second before */
        {-1500000000, "1969-12-31T23:59:58.500000Z"}, /* and a half */
        {INT64_MAX, "2262-04-11T23:47:16.854775Z"},   /* largest */
        {INT64_MIN, "1677-09-21T00:12:43.145224Z"},   /* smallest */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char buf[40];
        format_rfc3339(cases[i].ns, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].want);
    }
}

/* format_rfc3339() as gmtime_r() and snprintf() write it. */
static void rfc3339_ref(int64_t ns, char *buf, size_t size)
{
    int64_t sec = ns / 1000000000, rem = ns % 1000000000;
    time_t t;
    struct tm tm;

    if (rem < 0) {
        sec -= 1;
        rem += 1000000000;
    }
    t = (time_t)sec;
    assert_non_null(gmtime_r(&t, &tm));
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(rem / 1000));
}

/* The date computed without gmtime_r() (from 1970): leap days, century
 * years, and random times over the whole range, the same as gmtime_r(). */
static void test_format_rfc3339_dates(void **state)
{
    static const int64_t secs[] = {68169599,   68169600,   951782400,  951868799, 951868800,
                                   4107542400, 4107628800, 1709164800, 86399,     86400};
    uint64_t seed = 88172645463325252u;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(secs) + 100000; i++) {
        char got[40], want[96];
        int64_t ns;

        if (i < ARRAY_SIZE(secs)) {
            ns = secs[i] * 1000000000 + 999999999;
        } else {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ns = (int64_t)seed;
        }
        format_rfc3339(ns, got, sizeof(got));
        rfc3339_ref(ns, want, sizeof(want));
        assert_string_equal(got, want);
    }
}

static void test_parse_double_time_arg(void **state)
{
    static const struct {
        const char *s;
        int rc;
        int64_t want;
    } cases[] = {
        {"1714557600", 0, 1714557600LL * 1000000000},                /* Unix seconds */
        {"1714557600.25", 0, 1714557600LL * 1000000000 + 250000000}, /* fraction */
        {"1714557600.123456789", 0, 1714557600123456789LL},          /* exact to the ns */
        {"1714557600.x", ERR_PARSE, 0},                              /* garbage after the dot */
        {"1.7e9", 0, 1700000000LL * 1000000000},                     /* exponent form via double */
        {"2024-05-01T10:00:00Z", 0, 1714557600LL * 1000000000},      /* RFC 3339 */
        {"-5", ERR_PARSE, 0},                                        /* negative seconds */
        {"inf", ERR_PARSE, 0},                                       /* not finite */
        {"1e300", ERR_PARSE, 0},                                     /* out of range */
        {"1e999", ERR_PARSE, 0},                                     /* past a double */
        {"", ERR_PARSE, 0},                                          /* empty */
        {"12abc", ERR_PARSE, 0},                                     /* trailing garbage */
    };
    double d;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t v = -1;
        int rc = parse_time_arg(cases[i].s, &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(v == cases[i].want);
    }
    assert_int_equal(parse_double("2.5", 3, &d), 0);
    assert_true(d == 2.5);
    assert_int_equal(parse_double("1e999", 5, &d), ERR_LIMIT);  /* a number, out of range */
    assert_int_equal(parse_double("-1e999", 6, &d), ERR_LIMIT); /* the other way */
    assert_int_equal(parse_double("1e-999", 6, &d), ERR_LIMIT); /* underflow */
    assert_int_equal(parse_double("1e9x9", 5, &d), ERR_PARSE);  /* not a number */
    assert_int_equal(parse_double("0x10", 4, &d), ERR_PARSE);   /* hex refused */
    assert_int_equal(parse_double("nan", 3, &d), ERR_PARSE);    /* NaN refused */
    assert_int_equal(parse_double("2.5", 2, &d), 0);            /* only len bytes */
    assert_true(d == 2.0);
}

static void test_term_safe(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain text", "plain text"},               /* untouched */
        {"tab\tand\nnewline", "tab\tand\nnewline"}, /* layout kept */
        {"\x1b[31mred", "?[31mred"},                /* CSI: colours */
        {"\x1b]0;title\x07", "?]0;title?"},         /* OSC: window title */
        {"over\rwrite", "over?write"},              /* carriage return spoofing */
        {"del\x7f", "del?"},                        /* DEL */
        {"c1 \xc2\x9b"
         "31m",
         "c1 ??31m"}, /* U+009B (C1 CSI) in UTF-8 */
        {"raw \x9b"
         "31m",
         "raw ?31m"},                                             /* lone 8-bit CSI */
        {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"}, /* UTF-8 kept: é € */
        {"\xc3\x9b", "\xc3\x9b"}, /* U+00DB: 0x9b as a continuation byte */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char b[64];
        size_t n = strlen(cases[i].in);

        memcpy(b, cases[i].in, n + 1);
        term_safe(b, n);
        assert_string_equal(b, cases[i].out);
    }
}

/* term_safe() as it read every byte, one at a time. */
static void term_safe_ref(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;

    for (size_t i = 0; i < len; i++) {
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f) {
            p[i] = '?';
        } else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            p[i] = '?';
            p[i + 1] = '?';
            i++;
        } else if (p[i] >= 0x80 && p[i] <= 0x9f && (i == 0 || p[i - 1] < 0x80)) {
            p[i] = '?';
        }
    }
}

/* Random text of printable runs and the bytes term_safe() looks at, of
 * every length up to 40: the same result as a byte at a time (it skips
 * printable text eight bytes at a time). */
static void test_term_safe_words(void **state)
{
    static const unsigned char odd[] = {0x00, 0x07, '\n', '\t', 0x1b, 0x1f, 0x7e, 0x7f,
                                        0x80, 0x9b, 0x9f, 0xa0, 0xc2, 0xc3, 0xff};
    uint32_t seed = 12345;

    (void)state;
    for (int round = 0; round < 20000; round++) {
        char a[48], b[48];
        size_t n;

        seed = seed * 1103515245u + 12345u;
        n = (seed >> 16) % 41;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            a[i] = (seed >> 16) % 4 ? (char)(' ' + (seed >> 20) % 95)
                                    : (char)odd[(seed >> 20) % sizeof(odd)];
        }
        memcpy(b, a, n);
        term_safe(a, n);
        term_safe_ref(b, n);
        assert_memory_equal(a, b, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_format_rfc3339),
        cmocka_unit_test(test_format_rfc3339_dates),
        cmocka_unit_test(test_parse_double_time_arg),
        cmocka_unit_test(test_term_safe),
        cmocka_unit_test(test_term_safe_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
