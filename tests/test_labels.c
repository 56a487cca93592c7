/*
 * test_labels.c: sorted label sets, their JSON form, and the hostile-JSON
 * reader (common/labels.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/labels.h"
#include "common/limits.h"
#include "common/compat.h"

/* The JSON form of l, in a static buffer (tests only). */
static const char *to_json(const struct labels *l)
{
    static char out[4096];
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(labels_to_json(l, &b), 0);
    assert_true(b.len < sizeof(out));
    memcpy(out, b.data, b.len + 1);
    buf_release(&b);
    return out;
}

static void test_labels_set_sorted(void **state)
{
    /* Operations applied in order; want is the JSON after each. */
    static const struct {
        char op; /* 's' set, 'd' delete */
        const char *key, *value;
        const char *want;
    } steps[] = {
        {'s', "tier", "web", "{\"tier\":\"web\"}"},                  /* first label */
        {'s', "app", "shop", "{\"app\":\"shop\",\"tier\":\"web\"}"}, /* insert before */
        {'s', "zone", "a", "{\"app\":\"shop\",\"tier\":\"web\",\"zone\":\"a\"}"}, /* append */
        {'s', "k8s-app", "",
         "{\"app\":\"shop\",\"k8s-app\":\"\",\"tier\":\"web\",\"zone\":\"a\"}"}, /* middle,
                                                                                    empty
                                                                                    value */
        {'s', "tier", "db",
         "{\"app\":\"shop\",\"k8s-app\":\"\",\"tier\":\"db\",\"zone\":\"a\"}"}, /* replace
                                                                                   keeps
                                                                                   place */
        {'s', "App", "x",
         "{\"App\":\"x\",\"app\":\"shop\",\"k8s-app\":\"\",\"tier\":\"db\",\"zone\":"
         "\"a\"}"}, /* byte
                       order:
                       upper
                       case
                       first
                     */
        {'d', "k8s-app", NULL,
         "{\"App\":\"x\",\"app\":\"shop\",\"tier\":\"db\",\"zone\":\"a\"}"}, /* delete
                                                                                middle */
        {'d', "nope", NULL,
         "{\"App\":\"x\",\"app\":\"shop\",\"tier\":\"db\",\"zone\":\"a\"}"},     /* delete
                                                                                    absent */
        {'d', "App", NULL, "{\"app\":\"shop\",\"tier\":\"db\",\"zone\":\"a\"}"}, /* delete first */
        {'d', "zone", NULL, "{\"app\":\"shop\",\"tier\":\"db\"}"},               /* delete last */
        {'s', "ap", "p",
         "{\"ap\":\"p\",\"app\":\"shop\",\"tier\":\"db\"}"},     /* prefix sorts first */
        {'d', "ap", NULL, "{\"app\":\"shop\",\"tier\":\"db\"}"}, /* prefix deleted, not "app" */
        {'d', "app", NULL, "{\"tier\":\"db\"}"},                 /* down to one */
        {'d', "tier", NULL, "{}"},                               /* empty set */
    };
    struct labels l;

    (void)state;
    labels_init(&l);
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        if (steps[i].op == 's')
            assert_int_equal(labels_set(&l, steps[i].key, steps[i].value), 0);
        else
            labels_del(&l, steps[i].key);
        assert_string_equal(to_json(&l), steps[i].want);
    }
    labels_release(&l);
}

static void test_labels_get_copy_cmp_hash(void **state)
{
    struct labels a, b, c;

    (void)state;
    labels_init(&a);
    assert_null(labels_get(&a, "app"));
    assert_int_equal(labels_set(&a, "app", "web"), 0);
    assert_int_equal(labels_set(&a, "env", "prod"), 0);
    assert_string_equal(labels_get(&a, "app"), "web");
    assert_null(labels_get(&a, "ap"));
    assert_null(labels_get(&a, "appx"));

    labels_copy(&b, &a);
    assert_int_equal(labels_cmp(&a, &b), 0);
    assert_true(labels_hash(&a, 1) == labels_hash(&b, 1));
    assert_true(labels_hash(&a, 1) != labels_hash(&a, 2)); /* seed matters */
    /* The copy is deep. */
    assert_int_equal(labels_set(&b, "app", "db"), 0);
    assert_string_equal(labels_get(&a, "app"), "web");
    assert_true(labels_cmp(&a, &b) > 0); /* "web" > "db" */
    assert_true(labels_cmp(&b, &a) < 0);
    assert_true(labels_hash(&a, 1) != labels_hash(&b, 1));

    /* A prefix set sorts first. */
    labels_init(&c);
    assert_int_equal(labels_set(&c, "app", "web"), 0);
    assert_true(labels_cmp(&c, &a) < 0);
    assert_true(labels_cmp(&a, &c) > 0);
    labels_release(&c);

    /* Key/value boundaries are hashed: {"ab":""} differs from {"a":"b"}. */
    labels_init(&c);
    assert_int_equal(labels_set(&c, "ab", ""), 0);
    {
        struct labels d;
        labels_init(&d);
        assert_int_equal(labels_set(&d, "a", "b"), 0);
        assert_true(labels_hash(&c, 0) != labels_hash(&d, 0));
        assert_true(labels_cmp(&c, &d) != 0);
        labels_release(&d);
    }
    labels_release(&c);

    /* Copy of an empty set. */
    labels_init(&c);
    labels_release(&b);
    labels_copy(&b, &c);
    assert_int_equal(b.n, 0);
    assert_int_equal(labels_cmp(&b, &c), 0);
    labels_release(&b);
    labels_release(&c);
    labels_release(&a);
}

static void test_labels_limits(void **state)
{
    struct labels l;
    char key[LIM_LABEL_KEY + 2];
    char val[LIM_LABEL_VALUE + 2];

    (void)state;
    labels_init(&l);
    memset(key, 'k', sizeof(key));
    memset(val, 'v', sizeof(val));
    assert_int_equal(labels_setn(&l, key, LIM_LABEL_KEY, "v", 1), 0);             /* key at limit */
    assert_int_equal(labels_setn(&l, key, LIM_LABEL_KEY + 1, "v", 1), ERR_LIMIT); /* one past */
    assert_int_equal(labels_setn(&l, "k", 1, val, LIM_LABEL_VALUE), 0); /* value at limit */
    assert_int_equal(labels_setn(&l, "k", 1, val, LIM_LABEL_VALUE + 1), ERR_LIMIT); /* one past */
    assert_int_equal(strlen(labels_get(&l, "k")), LIM_LABEL_VALUE); /* unchanged by the failure */
    assert_int_equal(labels_setn(&l, "a\0b", 3, "v", 1), ERR_INVALID); /* NUL in key */
    assert_int_equal(labels_setn(&l, "a", 1, "v\0", 2), ERR_INVALID);  /* NUL in value */
    /* setn reads only the given lengths. */
    assert_int_equal(labels_setn(&l, "keyXX", 3, "valYY", 3), 0);
    assert_string_equal(labels_get(&l, "key"), "val");
    labels_release(&l);

    /* LIM_LABELS labels fit; one more does not; replacing still works. */
    labels_init(&l);
    for (unsigned i = 0; i < LIM_LABELS; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%05u", i);
        assert_int_equal(labels_set(&l, k, "v"), 0);
    }
    assert_int_equal(labels_set(&l, "zzz", "v"), ERR_LIMIT);
    assert_int_equal(labels_set(&l, "k00000", "w"), 0);
    assert_int_equal(l.n, LIM_LABELS);
    for (size_t i = 1; i < l.n; i++)
        assert_true(strcmp(l.v[i - 1].key, l.v[i].key) < 0);
    labels_release(&l);
}

static void test_labels_json_round_trip(void **state)
{
    static const struct {
        const char *key, *value;
    } cases[] = {
        {"app.kubernetes.io/name", "web"},        /* prefixed key */
        {"quote\"d", "back\\slash"},              /* quote and backslash */
        {"ctl", "a\tb\nc\x01"},                   /* control characters */
        {"utf8", "caf\xc3\xa9 \xf0\x9f\x98\x80"}, /* multi-byte UTF-8 */
        {"empty", ""},                            /* empty value */
        {"slash", "a/b"},                         /* solidus */
    };
    struct labels l, back;
    struct buf b;

    (void)state;
    labels_init(&l);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(labels_set(&l, cases[i].key, cases[i].value), 0);
    buf_init(&b, 0);
    assert_int_equal(labels_to_json(&l, &b), 0);
    assert_int_equal(labels_from_json(&back, b.data, b.len), 0);
    assert_int_equal(labels_cmp(&l, &back), 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_string_equal(labels_get(&back, cases[i].key), cases[i].value);
    buf_release(&b);
    labels_release(&back);
    labels_release(&l);
}

static void test_labels_json_invalid_utf8_written(void **state)
{
    struct labels l, back;
    struct buf b;

    (void)state;
    /* Bytes that are not UTF-8 are written as U+FFFD and read back so. */
    labels_init(&l);
    assert_int_equal(labels_set(&l, "k", "a\xff"), 0);
    buf_init(&b, 0);
    assert_int_equal(labels_to_json(&l, &b), 0);
    assert_string_equal(b.data, "{\"k\":\"a\xef\xbf\xbd\"}");
    assert_int_equal(labels_from_json(&back, b.data, b.len), 0);
    assert_string_equal(labels_get(&back, "k"), "a\xef\xbf\xbd");
    buf_release(&b);
    labels_release(&back);
    labels_release(&l);
}

static void test_labels_from_json(void **state)
{
    static const struct {
        const char *in;
        int rc;
        const char *want; /* labels_to_json of the result */
    } cases[] = {
        {"{}", 0, "{}"},                                               /* empty object */
        {" \t\r\n{ } \n", 0, "{}"},                                    /* whitespace around */
        {"{\"b\":\"2\",\"a\":\"1\"}", 0, "{\"a\":\"1\",\"b\":\"2\"}"}, /* unsorted input sorted */
        {"{\"n\":42}", 0, "{\"n\":\"42\"}"},                           /* number kept as text */
        {"{\"n\":-1.5e+3}", 0, "{\"n\":\"-1.5e+3\"}"},                 /* number text verbatim */
        {"{\"t\":true,\"f\":false,\"z\":null}", 0,
         "{\"f\":\"false\",\"t\":\"true\",\"z\":\"null\"}"},               /* literals as text */
        {"{\"e\":\"\\u00e9\\/\\b\"}", 0, "{\"e\":\"\xc3\xa9/\\u0008\"}"},  /* escapes decoded */
        {"{\"s\":\"\\ud83d\\ude00\"}", 0, "{\"s\":\"\xf0\x9f\x98\x80\"}"}, /* surrogate pair */
        {"{\"k\":\"\"}", 0, "{\"k\":\"\"}"},                               /* empty value */
        {"{\"\":\"v\"}", 0, "{\"\":\"v\"}"},                               /* empty key accepted */
        {"{\"a\":\"1\",\"a\":\"2\"}", ERR_PARSE, NULL},  /* duplicate key refused */
        {"{\"a\":{\"b\":\"c\"}}", ERR_PARSE, NULL},      /* nested object refused */
        {"{\"a\":[\"b\"]}", ERR_PARSE, NULL},            /* array refused */
        {"[]", ERR_PARSE, NULL},                         /* not an object */
        {"\"x\"", ERR_PARSE, NULL},                      /* a bare string */
        {"", ERR_PARSE, NULL},                           /* empty input */
        {"{", ERR_PARSE, NULL},                          /* truncated after { */
        {"{\"a\"", ERR_PARSE, NULL},                     /* truncated after key */
        {"{\"a\":", ERR_PARSE, NULL},                    /* truncated after : */
        {"{\"a\":\"b", ERR_PARSE, NULL},                 /* unterminated string */
        {"{\"a\":\"b\"", ERR_PARSE, NULL},               /* no closing brace */
        {"{\"a\":\"b\",}", ERR_PARSE, NULL},             /* trailing comma */
        {"{\"a\":\"b\"} x", ERR_PARSE, NULL},            /* trailing garbage */
        {"{\"a\":\"b\"}{}", ERR_PARSE, NULL},            /* two objects */
        {"{a:\"b\"}", ERR_PARSE, NULL},                  /* unquoted key */
        {"{'a':'b'}", ERR_PARSE, NULL},                  /* single quotes */
        {"{\"a\" \"b\"}", ERR_PARSE, NULL},              /* missing colon */
        {"{\"a\":\"b\" \"c\":\"d\"}", ERR_PARSE, NULL},  /* missing comma */
        {"{\"a\":\"x\ty\"}", ERR_PARSE, NULL},           /* raw control char */
        {"{\"a\":\"\\x41\"}", ERR_PARSE, NULL},          /* unknown escape */
        {"{\"a\":\"\\u00\"}", ERR_PARSE, NULL},          /* short \\u */
        {"{\"a\":\"\\u00zz\"}", ERR_PARSE, NULL},        /* bad hex */
        {"{\"a\":\"\\u0000\"}", ERR_PARSE, NULL},        /* NUL refused */
        {"{\"a\":\"\\ud800\"}", ERR_PARSE, NULL},        /* lone high surrogate */
        {"{\"a\":\"\\ud800\\u0041\"}", ERR_PARSE, NULL}, /* high + non-low */
        {"{\"a\":\"\\udc00\"}", ERR_PARSE, NULL},        /* lone low surrogate */
        {"{\"a\":\"\xff\"}", ERR_PARSE, NULL},           /* invalid UTF-8 */
        {"{\"a\":\"\xc3\"}", ERR_PARSE, NULL},           /* truncated UTF-8 */
        {"{\"a\":01}", ERR_PARSE, NULL},                 /* leading zero */
        {"{\"a\":1.}", ERR_PARSE, NULL},                 /* no fraction digits */
        {"{\"a\":1e}", ERR_PARSE, NULL},                 /* no exponent digits */
        {"{\"a\":-}", ERR_PARSE, NULL},                  /* lone minus */
        {"{\"a\":+1}", ERR_PARSE, NULL},                 /* plus sign */
        {"{\"a\":tru}", ERR_PARSE, NULL},                /* truncated literal */
        {"{\"a\":True}", ERR_PARSE, NULL},               /* wrong case literal */
        {"{\"a\":nullx}", ERR_PARSE, NULL},              /* literal run-on */
        {"{\"a\":NaN}", ERR_PARSE, NULL},                /* not JSON */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct labels l;
        int rc = labels_from_json(&l, cases[i].in, strlen(cases[i].in));

        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_string_equal(to_json(&l), cases[i].want);
        else
            assert_int_equal(l.n, 0); /* left empty on error */
        labels_release(&l);
    }
}

static void test_labels_from_json_bounds(void **state)
{
    struct labels l;
    struct buf b;

    (void)state;
    /* Only s[0..len) is read. */
    assert_int_equal(labels_from_json(&l, "{\"a\":\"1\"}garbage", 9), 0);
    assert_string_equal(labels_get(&l, "a"), "1");
    labels_release(&l);
    /* Cut one byte short: truncated. */
    assert_int_equal(labels_from_json(&l, "{\"a\":\"1\"}", 8), ERR_PARSE);
    labels_release(&l);
    /* Embedded NUL byte in the text. */
    assert_int_equal(labels_from_json(&l, "{\"a\":\"\0\"}", 8), ERR_PARSE);
    labels_release(&l);

    /* Whole-text limit, checked before parsing. */
    buf_init(&b, LIM_LABELS_JSON + 16);
    assert_int_equal(buf_addch(&b, '{'), 0);
    while (b.len < LIM_LABELS_JSON)
        assert_int_equal(buf_addch(&b, ' '), 0);
    assert_int_equal(buf_addch(&b, '}'), 0);
    assert_int_equal(labels_from_json(&l, b.data, b.len), ERR_LIMIT);
    assert_int_equal(labels_from_json(&l, b.data + 1, b.len - 1), ERR_PARSE); /* at limit: parsed */
    buf_release(&b);

    /* Key and value length limits, including via escapes that expand. */
    buf_init(&b, 0);
    assert_int_equal(buf_addstr(&b, "{\""), 0);
    for (int i = 0; i < LIM_LABEL_KEY + 1; i++)
        assert_int_equal(buf_addch(&b, 'k'), 0);
    assert_int_equal(buf_addstr(&b, "\":\"v\"}"), 0);
    assert_int_equal(labels_from_json(&l, b.data, b.len), ERR_LIMIT);
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "{\"k\":\""), 0);
    for (int i = 0; i < LIM_LABEL_VALUE / 2 + 1; i++)
        assert_int_equal(buf_addstr(&b, "\\u00e9"), 0); /* 2 bytes each once decoded */
    assert_int_equal(buf_addstr(&b, "\"}"), 0);
    assert_int_equal(labels_from_json(&l, b.data, b.len), ERR_LIMIT);
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "{\"k\":\""), 0);
    for (int i = 0; i < LIM_LABEL_VALUE / 2; i++)
        assert_int_equal(buf_addstr(&b, "\\u00e9"), 0); /* exactly at the limit */
    assert_int_equal(buf_addstr(&b, "\"}"), 0);
    assert_int_equal(labels_from_json(&l, b.data, b.len), 0);
    assert_int_equal(strlen(labels_get(&l, "k")), LIM_LABEL_VALUE);
    labels_release(&l);
    /* A plain key of exactly the limit (read as runs of ASCII), and runs
     * broken by escapes and multi-byte UTF-8, decode byte for byte. */
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "{\""), 0);
    for (int i = 0; i < LIM_LABEL_KEY; i++)
        assert_int_equal(buf_addch(&b, 'k'), 0);
    assert_int_equal(buf_addstr(&b, "\":\"a b\\\"c\\u00e9d\xc3\xa9"
                                    "e\\/f\"}"),
                     0);
    assert_int_equal(labels_from_json(&l, b.data, b.len), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(strlen(l.v[0].key), LIM_LABEL_KEY);
    assert_string_equal(l.v[0].value, "a b\"c\xc3\xa9"
                                      "d\xc3\xa9"
                                      "e/f");
    labels_release(&l);
    /* A control byte ends a run as an error. */
    assert_int_equal(labels_from_json(&l, "{\"ab\tc\":\"v\"}", 12), ERR_PARSE);
    /* A number longer than a value may be is ERR_LIMIT too. */
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "{\"k\":"), 0);
    for (int i = 0; i < LIM_LABEL_VALUE + 1; i++)
        assert_int_equal(buf_addch(&b, '7'), 0);
    assert_int_equal(buf_addstr(&b, "}"), 0);
    assert_int_equal(labels_from_json(&l, b.data, b.len), ERR_LIMIT);

    /* Count limit: LIM_LABELS + 1 members. */
    buf_reset(&b);
    assert_int_equal(buf_addch(&b, '{'), 0);
    for (int i = 0; i <= LIM_LABELS; i++)
        assert_int_equal(buf_addf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i), 0);
    assert_int_equal(buf_addch(&b, '}'), 0);
    assert_int_equal(labels_from_json(&l, b.data, b.len), ERR_LIMIT);
    assert_int_equal(l.n, 0);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_set_sorted),
        cmocka_unit_test(test_labels_get_copy_cmp_hash),
        cmocka_unit_test(test_labels_limits),
        cmocka_unit_test(test_labels_json_round_trip),
        cmocka_unit_test(test_labels_json_invalid_utf8_written),
        cmocka_unit_test(test_labels_from_json),
        cmocka_unit_test(test_labels_from_json_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
