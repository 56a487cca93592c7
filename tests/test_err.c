/*
 * test_err.c: error code texts and the diagnostic printer (common/err.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/compat.h"

static void test_err_str(void **state)
{
    static const struct {
        int code;
        const char *want;
    } cases[] = {
        {0, "success"},                         /* success */
        {ERR_PARSE, "syntax error"},            /* first ERR_* */
        {ERR_LIMIT, "limit exceeded"},          /* a middle one */
        {ERR_INTERRUPTED, "interrupted"},       /* last ERR_* */
        {ERR_FIRST, "unknown error"},           /* the sentinel is not an error */
        {ERR_INTERRUPTED + 1, "unknown error"}, /* gap between ERR_* and errno */
        {-5000, "unknown error"},               /* neither range */
        {1, "unknown error"},                   /* positive */
        {-20000, "unknown error"},              /* below ERR_FIRST */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_string_equal(err_str(cases[i].code), cases[i].want);
    /* -errno goes to strerror. */
    assert_string_equal(err_str(-ENOENT), strerror(ENOENT));
    assert_string_equal(err_str(-EACCES), strerror(EACCES));
}

static void test_err_str_all_distinct(void **state)
{
    (void)state;
    /* Every ERR_* value has a text of its own (a new one added without a
     * text would fall to "unknown error" or repeat another). */
    for (int a = ERR_FIRST + 1; a <= ERR_INTERRUPTED; a++) {
        assert_non_null(err_str(a));
        assert_string_not_equal(err_str(a), "unknown error");
        for (int b = a + 1; b <= ERR_INTERRUPTED; b++)
            assert_string_not_equal(err_str(a), err_str(b));
    }
}

/* Run one diagnostic into a memory stream; returns the text (static). */
static const char *capture(struct diag *d, int which)
{
    static char out[512];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    d->out = f;
    switch (which) {
    case 0:
        diag_err(d, "cannot open '%s': %s", "eth9", "No such device");
        break;
    case 1:
        diag_warn(d, "interface '%s' vanished", "cali1");
        break;
    case 2:
        diag_at(d, DIAG_ERROR, "policy.yaml", 12, 7, "unknown operator near '%s'", "=>");
        break;
    case 3:
        diag_at(d, DIAG_WARNING, "pods.yaml", 3, 0, "no column");
        break;
    case 4:
        diag_at(d, DIAG_NOTE, NULL, 0, 9, "no line: col is left out too");
        break;
    case 5:
        diag_at(d, DIAG_ERROR, "f.json", 0, 0, "whole file");
        break;
    }
    fclose(f);
    assert_true(len < sizeof(out));
    memcpy(out, text, len + 1);
    free(text);
    d->out = NULL;
    return out;
}

static void test_diag(void **state)
{
    static const struct {
        const char *prog;
        int which;
        const char *want;
        unsigned errors, warnings; /* counts after this message alone */
    } cases[] = {
        {"podflow-capture", 0, "podflow-capture: cannot open 'eth9': No such device\n", 1,
         0},                                                     /* error with prog */
        {NULL, 0, "cannot open 'eth9': No such device\n", 1, 0}, /* error without prog */
        {"podflow-capture", 1, "podflow-capture: warning: interface 'cali1' vanished\n", 0,
         1}, /* warning */
        {"x", 2, "policy.yaml:12:7: error: unknown operator near '=>'\n", 1,
         0},                                                  /* located error, prog unused */
        {NULL, 3, "pods.yaml:3: warning: no column\n", 0, 1}, /* line only */
        {NULL, 4, "<stdin>: note: no line: col is left out too\n", 0,
         0},                                            /* NULL file, note not counted */
        {NULL, 5, "f.json: error: whole file\n", 1, 0}, /* no position */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct diag d;

        diag_init(&d, NULL, cases[i].prog);
        assert_string_equal(capture(&d, cases[i].which), cases[i].want);
        assert_int_equal(d.errors, cases[i].errors);
        assert_int_equal(d.warnings, cases[i].warnings);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_str),
        cmocka_unit_test(test_err_str_all_distinct),
        cmocka_unit_test(test_diag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
