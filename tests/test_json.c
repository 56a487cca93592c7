/*
 * test_json.c: the JSON writer (common/json.c): escaping, invalid UTF-8,
 * commas, nesting limits, misuse, and buffer limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/compat.h"

static void test_json_quote(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } cases[] = {
        {"", 0, "\"\""},                                              /* empty */
        {"plain", 5, "\"plain\""},                                    /* nothing to escape */
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},                            /* quote and backslash */
        {"a/b", 3, "\"a/b\""},                                        /* solidus left alone */
        {"\n\t\r\b\f", 5, "\"\\u000a\\u0009\\u000d\\u0008\\u000c\""}, /* controls as \u00XX */
        {"\x01\x1f", 2, "\"\\u0001\\u001f\""},           /* lowest and highest control */
        {"a\0b", 3, "\"a\\u0000b\""},                    /* embedded NUL */
        {"\x7f", 1, "\"\x7f\""},                         /* DEL needs no escape */
        {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},           /* valid 2-byte UTF-8 kept */
        {"\xe2\x82\xac", 3, "\"\xe2\x82\xac\""},         /* valid 3-byte (euro) kept */
        {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""}, /* valid 4-byte (emoji) kept */
        {"\xff", 1, "\"\xef\xbf\xbd\""},                 /* never-valid byte */
        {"a\x80z", 3, "\"a\xef\xbf\xbdz\""},             /* lone continuation */
        {"\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""}, /* overlong '/': two subparts */
        {"\xe0\x80\xaf", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* overlong 3-byte */
        {"\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* UTF-8 surrogate D800 */
        {"\xf4\x90\x80\x80", 4,
         "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* past U+10FFFF */
        {"\xe2\x82", 2, "\"\xef\xbf\xbd\""},     /* truncated 3-byte at end: one FFFD */
        {"\xe2\x82z", 3, "\"\xef\xbf\xbdz\""},   /* truncated 3-byte mid-string */
        {"\xf0\x9f\x98", 3, "\"\xef\xbf\xbd\""}, /* truncated 4-byte: one FFFD */
        {"\xc3\"", 2, "\"\xef\xbf\xbd\\\"\""},   /* broken lead then a quote */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b;

        buf_init(&b, 0);
        assert_int_equal(json_quote(&b, cases[i].in, cases[i].len), 0);
        assert_string_equal(b.data, cases[i].want);
        buf_release(&b);
    }
}

/* Bytes that need escaping (or checking as UTF-8) at every offset of a
 * longer plain string: whatever the word they fall in, each is found
 * (json_quote() skips plain text eight bytes at a time). */
static void test_json_quote_offsets(void **state)
{
    static const struct {
        const char *in, *want;
    } sp[] = {
        {"\"", "\\\""},
        {"\\", "\\\\"},
        {"\x01", "\\u0001"},
        {"\x1f", "\\u001f"},
        {"\x7f", "\x7f"},
        {"\xc3\xa9", "\xc3\xa9"},
        {"\xff", "\xef\xbf\xbd"},
        {"\x80", "\xef\xbf\xbd"},
        {"!", "!"},
        {"~", "~"},
    };
    const char plain[] = "abcdefghijklmnopqrstuvwxyz0123";
    (void)state;
    for (size_t k = 0; k < ARRAY_SIZE(sp); k++) {
        for (size_t at = 0; at + 1 < sizeof(plain); at++) {
            char in[64], want[96];
            struct buf b;

            snprintf(in, sizeof(in), "%.*s%s%s", (int)at, plain, sp[k].in, plain + at);
            snprintf(want, sizeof(want), "\"%.*s%s%s\"", (int)at, plain, sp[k].want, plain + at);
            buf_init(&b, 0);
            assert_int_equal(json_quote(&b, in, strlen(in)), 0);
            assert_string_equal(b.data, want);
            buf_release(&b);
        }
    }
}

static void test_json_quote_limit(void **state)
{
    struct buf b;

    (void)state;
    /* A string that does not fit leaves the buffer as it was. */
    buf_init(&b, 8);
    assert_int_equal(buf_addstr(&b, "ab"), 0);
    assert_int_equal(json_quote(&b, "0123456789", 10), ERR_LIMIT);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    /* Escapes count against the limit: 1 byte becomes 6. */
    assert_int_equal(json_quote(&b, "\x01", 1), ERR_LIMIT);
    assert_string_equal(b.data, "ab");
    assert_int_equal(json_quote(&b, "xy", 2), 0);
    assert_string_equal(b.data, "ab\"xy\"");
    buf_release(&b);
}

static void test_json_document(void **state)
{
    struct buf b;
    struct json j;

    (void)state;
    buf_init(&b, 0);
    json_init(&j, &b);
    json_obj_begin(&j);
    json_key(&j, "src_ip");
    json_str(&j, "10.0.0.1");
    json_key(&j, "ports");
    json_arr_begin(&j);
    json_int(&j, 80);
    json_int(&j, -1);
    json_uint(&j, UINT64_MAX);
    json_arr_end(&j);
    json_key(&j, "empty_obj");
    json_obj_begin(&j);
    json_obj_end(&j);
    json_key(&j, "empty_arr");
    json_arr_begin(&j);
    json_arr_end(&j);
    json_key(&j, "nested");
    json_arr_begin(&j);
    json_obj_begin(&j);
    json_key(&j, "k\n");
    json_null(&j);
    json_obj_end(&j);
    json_arr_begin(&j);
    json_arr_end(&j);
    json_arr_end(&j);
    json_key(&j, "t");
    json_bool(&j, 7);
    json_key(&j, "f");
    json_bool(&j, 0);
    json_key(&j, "nullstr");
    json_str(&j, NULL);
    json_key(&j, "raw");
    json_raw(&j, "{\"x\":1}", 7);
    json_key(&j, "min");
    json_int(&j, INT64_MIN);
    json_obj_end(&j);
    assert_int_equal(json_finish(&j), 0);
    assert_string_equal(b.data, "{\"src_ip\":\"10.0.0.1\",\"ports\":[80,-1,18446744073709551615],"
                                "\"empty_obj\":{},\"empty_arr\":[],"
                                "\"nested\":[{\"k\\u000a\":null},[]],"
                                "\"t\":true,\"f\":false,\"nullstr\":null,\"raw\":{\"x\":1},"
                                "\"min\":-9223372036854775808}");
    buf_release(&b);
}

static void test_json_double(void **state)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.5, "0.5"},                      /* short form */
        {0.1, "0.1"},                      /* shortest that reads back */
        {1.0 / 3.0, "0.3333333333333333"}, /* needs 16 digits */
        {1e300, "1e+300"},                 /* exponent form is valid JSON */
        {-2.0, "-2"},                      /* integral */
        {NAN, "null"},                     /* non-finite */
        {INFINITY, "null"},                /* non-finite */
        {-INFINITY, "null"},               /* non-finite */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b;
        struct json j;

        buf_init(&b, 0);
        json_init(&j, &b);
        json_double(&j, cases[i].v);
        assert_int_equal(json_finish(&j), 0);
        assert_string_equal(b.data, cases[i].want);
        buf_release(&b);
    }
}

/* The misuse cases drive the writer with a small script of opcodes. */
enum op { O_OBJ, O_END_OBJ, O_ARR, O_END_ARR, O_KEY, O_STR, O_NULLKEY, O_STOP };

static void run_ops(struct json *j, const enum op *ops)
{
    for (; *ops != O_STOP; ops++) {
        switch (*ops) {
        case O_OBJ:
            json_obj_begin(j);
            break;
        case O_END_OBJ:
            json_obj_end(j);
            break;
        case O_ARR:
            json_arr_begin(j);
            break;
        case O_END_ARR:
            json_arr_end(j);
            break;
        case O_KEY:
            json_key(j, "k");
            break;
        case O_STR:
            json_str(j, "v");
            break;
        case O_NULLKEY:
            json_key(j, NULL);
            break;
        case O_STOP:
            break;
        }
    }
}

static void test_json_misuse(void **state)
{
    static const struct {
        enum op ops[8];
        int rc;
        const char *out; /* what was written before the error */
    } cases[] = {
        {{O_OBJ, O_KEY, O_STR, O_END_OBJ, O_STOP}, 0, "{\"k\":\"v\"}"}, /* well formed */
        {{O_STOP}, ERR_INVALID, ""},                                    /* nothing written */
        {{O_OBJ, O_STOP}, ERR_INVALID, "{"},                            /* left open */
        {{O_ARR, O_ARR, O_END_ARR, O_STOP}, ERR_INVALID, "[[]"},        /* outer left open */
        {{O_OBJ, O_KEY, O_STOP}, ERR_INVALID, "{\"k\":"},               /* key without value */
        {{O_OBJ, O_KEY, O_END_OBJ, O_STOP}, ERR_INVALID, "{\"k\":"},    /* close after key */
        {{O_OBJ, O_STR, O_STOP}, ERR_INVALID, "{"},                     /* value without key */
        {{O_ARR, O_KEY, O_STOP}, ERR_INVALID, "["},                     /* key in an array */
        {{O_KEY, O_STOP}, ERR_INVALID, ""},                             /* key at top level */
        {{O_OBJ, O_KEY, O_KEY, O_STOP}, ERR_INVALID, "{\"k\":"},        /* two keys */
        {{O_OBJ, O_END_ARR, O_STOP}, ERR_INVALID, "{"},                 /* mismatched close */
        {{O_END_OBJ, O_STOP}, ERR_INVALID, ""},                         /* close with none open */
        {{O_STR, O_STR, O_STOP}, ERR_INVALID, "\"v\""},                 /* two top-level values */
        {{O_OBJ, O_NULLKEY, O_STOP}, ERR_INVALID, "{"},                 /* NULL key */
        {{O_OBJ, O_STR, O_KEY, O_STR, O_END_OBJ, O_STOP}, ERR_INVALID, "{"}, /* no-op after error */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b;
        struct json j;

        buf_init(&b, 0);
        json_init(&j, &b);
        run_ops(&j, cases[i].ops);
        assert_int_equal(json_finish(&j), cases[i].rc);
        assert_string_equal(b.data, cases[i].out);
        buf_release(&b);
    }
}

static void test_json_depth(void **state)
{
    struct buf b;
    struct json j;
    int i;

    (void)state;
    /* Exactly LIM_JSON_DEPTH levels are allowed. */
    buf_init(&b, 0);
    json_init(&j, &b);
    for (i = 0; i < LIM_JSON_DEPTH; i++)
        json_arr_begin(&j);
    for (i = 0; i < LIM_JSON_DEPTH; i++)
        json_arr_end(&j);
    assert_int_equal(json_finish(&j), 0);
    assert_int_equal(b.len, 2 * LIM_JSON_DEPTH);
    buf_release(&b);

    /* One more is ERR_LIMIT, and everything after it is ignored. */
    buf_init(&b, 0);
    json_init(&j, &b);
    for (i = 0; i < LIM_JSON_DEPTH + 1; i++)
        json_arr_begin(&j);
    assert_int_equal(j.err, ERR_LIMIT);
    for (i = 0; i < LIM_JSON_DEPTH + 1; i++)
        json_arr_end(&j);
    assert_int_equal(json_finish(&j), ERR_LIMIT);
    assert_int_equal(b.len, LIM_JSON_DEPTH);
    buf_release(&b);
}

static void test_json_buf_limit(void **state)
{
    struct buf b;
    struct json j;

    (void)state;
    buf_init(&b, 16);
    json_init(&j, &b);
    json_arr_begin(&j);
    json_str(&j, "0123456789");
    json_str(&j, "0123456789"); /* does not fit */
    json_int(&j, 1);            /* would fit, but the writer has failed */
    json_arr_end(&j);
    assert_int_equal(json_finish(&j), ERR_LIMIT);
    assert_true(b.len <= 16);
    assert_null(strstr(b.data, "1]"));
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_quote),       cmocka_unit_test(test_json_quote_offsets),
        cmocka_unit_test(test_json_quote_limit), cmocka_unit_test(test_json_document),
        cmocka_unit_test(test_json_double),      cmocka_unit_test(test_json_misuse),
        cmocka_unit_test(test_json_depth),       cmocka_unit_test(test_json_buf_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
