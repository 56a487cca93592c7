/*
 * test_buf.c: growable buffers with a ceiling (common/buf.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/compat.h"

static void test_buf_empty(void **state)
{
    struct buf b;
    char *s;
    size_t len = 99;

    (void)state;
    buf_init(&b, 0);
    /* Before the first add: "" without an allocation, default maximum. */
    assert_string_equal(b.data, "");
    assert_int_equal(b.len, 0);
    assert_int_equal(b.alloc, 0);
    assert_int_equal(b.max, LIM_BUF_DEFAULT);
    buf_reset(&b); /* on the static "" */
    assert_string_equal(b.data, "");
    /* Detach of an empty buffer still gives a malloc'd string. */
    s = buf_detach(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    buf_release(&b);
    buf_release(&b); /* twice is harmless */
}

static void test_buf_add(void **state)
{
    /* Each step appends to the same buffer; want is the content after it. */
    static const struct {
        char op; /* 'a' add, 's' addstr, 'c' addch, 'f' addf "%d-%s" */
        const char *arg;
        size_t len;
        const char *want;
    } steps[] = {
        {'s', "abc", 0, "abc"},         /* addstr */
        {'a', "defXX", 3, "abcdef"},    /* add reads only len bytes */
        {'a', "", 0, "abcdef"},         /* empty add */
        {'c', "!", 0, "abcdef!"},       /* addch */
        {'f', "x", 0, "abcdef!42-x"},   /* addf */
        {'f', "", 0, "abcdef!42-x42-"}, /* addf with empty %s */
    };
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        int rc = 0;
        switch (steps[i].op) {
        case 'a':
            rc = buf_add(&b, steps[i].arg, steps[i].len);
            break;
        case 's':
            rc = buf_addstr(&b, steps[i].arg);
            break;
        case 'c':
            rc = buf_addch(&b, steps[i].arg[0]);
            break;
        case 'f':
            rc = buf_addf(&b, "%d-%s", 42, steps[i].arg);
            break;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(b.data, steps[i].want);
        assert_int_equal(b.len, strlen(steps[i].want));
        assert_true(b.alloc > b.len); /* room for the NUL */
    }
    /* Binary content with NULs keeps its length. */
    assert_int_equal(buf_add(&b, "\0\0", 2), 0);
    assert_int_equal(b.len, 16);
    assert_int_equal(b.data[16], '\0');
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_true(b.alloc > 0); /* memory kept */
    buf_release(&b);
}

static void test_buf_grow_large(void **state)
{
    struct buf b;
    char chunk[1000];

    (void)state;
    memset(chunk, 'x', sizeof(chunk));
    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_add(&b, chunk, sizeof(chunk)), 0);
    assert_int_equal(b.len, 1000000);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[999999], 'x');
    buf_release(&b);
}

static void test_buf_limit(void **state)
{
    static const struct {
        size_t max;
        size_t first;  /* bytes added first */
        size_t second; /* then these */
        int rc;        /* result of the second add */
    } cases[] = {
        {10, 10, 0, 0},         /* exactly full, then nothing */
        {10, 5, 5, 0},          /* fills to max */
        {10, 5, 6, ERR_LIMIT},  /* one past max */
        {10, 0, 11, ERR_LIMIT}, /* a single add past max */
        {1, 1, 1, ERR_LIMIT},   /* tiny buffer */
    };
    static const char src[32] = "0123456789abcdefghijklmnopqrstu";
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b;

        buf_init(&b, cases[i].max);
        assert_int_equal(buf_add(&b, src, cases[i].first), 0);
        assert_int_equal(buf_add(&b, src, cases[i].second), cases[i].rc);
        /* A failed add leaves the buffer as it was. */
        assert_int_equal(b.len, cases[i].first + (cases[i].rc ? 0 : cases[i].second));
        assert_int_equal(b.data[b.len], '\0');
        buf_release(&b);
    }
}

static void test_buf_limit_formats(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_addstr(&b, "1234"), 0);
    assert_int_equal(buf_addf(&b, "%s", "56789"), ERR_LIMIT); /* 9 > 8 */
    assert_string_equal(b.data, "1234");
    assert_int_equal(buf_addf(&b, "%04d", 7), 0); /* exactly 8 */
    assert_string_equal(b.data, "12340007");
    assert_int_equal(buf_addch(&b, 'x'), ERR_LIMIT);
    assert_string_equal(b.data, "12340007");
    buf_release(&b);
    /* A maximum near SIZE_MAX cannot make len + extra + 1 wrap. */
    buf_init(&b, SIZE_MAX);
    assert_int_equal(buf_addstr(&b, "ab"), 0);
    assert_int_equal(buf_add(&b, "x", SIZE_MAX - 2), ERR_LIMIT);
    assert_string_equal(b.data, "ab");
    buf_release(&b);
}

/* buf_addf() formats in place when the text fits the memory left, else
 * grows and formats again: the text is whole either way, and a text that
 * fits the memory but not max leaves the buffer as it was. */
static void test_buf_addf_in_place(void **state)
{
    char want[300];
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_addstr(&b, "0123456789012345678901234567890123456789012345678901234567"),
                     0); /* 58 bytes: 64 allocated, 6 left with the NUL */
    assert_int_equal(b.alloc, 64);
    assert_int_equal(buf_addf(&b, "%d", 12345), 0); /* fits exactly */
    assert_int_equal(b.alloc, 64);
    assert_int_equal(b.len, 63);
    assert_int_equal(buf_addf(&b, "<%s>", "abc"), 0); /* 5 > 1: grows */
    assert_true(b.alloc > 64);
    snprintf(want, sizeof(want), "%s12345<abc>",
             "0123456789012345678901234567890123456789012345678901234567");
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    buf_release(&b);
    buf_init(&b, 10);
    assert_int_equal(buf_addstr(&b, "12345"), 0); /* 64 allocated, max 10 */
    assert_int_equal(buf_addf(&b, "%s", "678901"), ERR_LIMIT);
    assert_string_equal(b.data, "12345");
    assert_int_equal(b.len, 5);
    assert_int_equal(buf_addf(&b, "%s", "67890"), 0);
    assert_string_equal(b.data, "1234567890");
    assert_int_equal(buf_addch(&b, 'x'), ERR_LIMIT); /* room in memory, not in max */
    assert_string_equal(b.data, "1234567890");
    buf_release(&b);
}

static void test_buf_detach(void **state)
{
    struct buf b;
    char *s;
    size_t len = 0;

    (void)state;
    buf_init(&b, 100);
    assert_int_equal(buf_addstr(&b, "hello"), 0);
    s = buf_detach(&b, &len);
    assert_string_equal(s, "hello");
    assert_int_equal(len, 5);
    /* b is re-initialised with the same maximum. */
    assert_int_equal(b.len, 0);
    assert_int_equal(b.alloc, 0);
    assert_int_equal(b.max, 100);
    assert_string_equal(b.data, "");
    free(s);
    s = buf_detach(&b, NULL); /* len may be NULL */
    assert_string_equal(s, "");
    free(s);
    buf_release(&b);
}

/* Numbers as printf writes them, the extremes included. */
static void test_buf_numbers(void **state)
{
    static const int64_t iv[] = {0, 1, -1, 9, 10, -10, 99, 100, 4294967296LL, INT64_MAX, INT64_MIN};
    static const uint64_t uv[] = {0, 1, 9, 10, 18446744073709551615u, 4294967295u};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(iv); i++) {
        char want[32];
        struct buf b;

        buf_init(&b, 0);
        assert_int_equal(buf_addch(&b, 'x'), 0);
        assert_int_equal(buf_addi(&b, iv[i]), 0);
        snprintf(want, sizeof(want), "x%lld", (long long)iv[i]);
        assert_string_equal(b.data, want);
        buf_release(&b);
    }
    for (size_t i = 0; i < ARRAY_SIZE(uv); i++) {
        char want[32];
        struct buf b;

        buf_init(&b, 0);
        assert_int_equal(buf_addu(&b, uv[i]), 0);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)uv[i]);
        assert_string_equal(b.data, want);
        buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_empty),         cmocka_unit_test(test_buf_add),
        cmocka_unit_test(test_buf_grow_large),    cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_buf_limit_formats), cmocka_unit_test(test_buf_detach),
        cmocka_unit_test(test_buf_addf_in_place), cmocka_unit_test(test_buf_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
