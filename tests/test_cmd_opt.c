/*
 * test_cmd_opt.c: podflow-analyze's option parser and command table
 * (analyze/cmd/cmd.c, cmd_table.c): the accepted forms, the one-line
 * usage errors with their suggestions, the similarity measure, and that
 * the help text and the man page list every command and option of the
 * table exactly as the table has them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/cmd/cmd.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/compat.h"

/* A command for the parser alone: one option of every kind. */
enum { T_FLAG = 1, T_QUIET, T_ONE, T_LIST, T_OLD, T_FMT, T_STRICT };
static const char *const t_fmts[] = {"table", "json", "csv", NULL};
static const struct cmd_opt t_opts[] = {
    {T_FLAG, 'e', "explain", CMD_ARG_NONE, NULL, NULL, "a flag"},
    {T_QUIET, 'q', "quiet", CMD_ARG_NONE, NULL, NULL, "another flag"},
    {T_ONE, 'n', "namespace", CMD_ARG_ONE, "NS", NULL, "one value"},
    {T_LIST, 'p', "policies", CMD_ARG_LIST, "PATH...", NULL, "a list"},
    {T_OLD, 0, "old", CMD_ARG_LIST, "PATH...", NULL, "a list, long only"},
    {T_FMT, 'o', "output", CMD_ARG_ONE, "FMT", t_fmts, "choices"},
    {T_FMT, 'f', "format", CMD_ARG_ONE, "FMT", t_fmts, "the same as -o"},
    {T_STRICT, 0, "strict", CMD_ARG_NONE, NULL, NULL, NULL /* hidden */},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

static int t_run(struct cmd_args *a)
{
    (void)a;
    return 0;
}

static const struct cmd_spec t_cmd = {
    .name = "t",
    .run = t_run,
    .opts = t_opts,
    .args = "CASE.db [options]",
    .summary = "a test command",
    .about = "About t.\n",
    .exit_status = "Exit status: 0.\n",
};

/* The items as text: "e", "n=ns", "p+b" (a list's further operand),
 * "o=json(1)" (with the choice), "@x.db" (an operand). */
static void items_text(const struct cmd_args *a, char *b, size_t size)
{
    size_t i, len = 0;

    b[0] = 0;
    for (i = 0; i < a->n && len < size; i++) {
        const struct cmd_item *it = &a->v[i];
        const char *name = it->opt ? (it->opt->lng ? it->opt->lng : "?") : "";
        int w;

        if (it->id == CMD_OPERAND)
            w = snprintf(b + len, size - len, "%s@%s", i ? " " : "", it->val);
        else if (!it->val)
            w = snprintf(b + len, size - len, "%s%s", i ? " " : "", name);
        else if (it->choice >= 0)
            w = snprintf(b + len, size - len, "%s%s=%s(%d)", i ? " " : "", name, it->val,
                         it->choice);
        else
            w = snprintf(b + len, size - len, "%s%s%c%s", i ? " " : "", name, it->cont ? '+' : '=',
                         it->val);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* Parse the words of line (split on spaces) as "t WORDS"; the result,
 * the items as text, stderr and stdout. */
static int parse_line(const char *line, char *items, size_t isize, char *err, size_t esize,
                      char *out, size_t osize)
{
    char copy[256], *argv[32], *save = NULL, *w;
    int argc = 0, rc;
    struct cmd_args a;
    struct diag d;
    FILE *ef = tmpfile(), *of = tmpfile();
    size_t n;

    assert_non_null(ef);
    assert_non_null(of);
    snprintf(copy, sizeof(copy), "%s", line);
    argv[argc++] = (char *)"t";
    for (w = strtok_r(copy, " ", &save); w && argc < 31; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    diag_init(&d, ef, "podflow-analyze");
    rc = cmd_parse(&t_cmd, argc, argv, &d, of, &a);
    items_text(&a, items, isize);
    cmd_args_release(&a);
    rewind(ef);
    n = fread(err, 1, esize - 1, ef);
    err[n] = 0;
    rewind(of);
    n = fread(out, 1, osize - 1, of);
    out[n] = 0;
    fclose(ef);
    fclose(of);
    return rc;
}

static void test_parse_forms(void **state)
{
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"x.db", "@x.db"},                   /* an operand */
        {"-e x.db", "explain @x.db"},        /* a short flag */
        {"x.db --explain", "@x.db explain"}, /* options after operands */
        {"-n ns", "namespace=ns"},           /* -x V */
        {"-nns", "namespace=ns"},            /* -xV */
        {"--namespace=ns", "namespace=ns"},  /* --name=V */
        {"--namespace ns", "namespace=ns"},  /* --name V */
        {"--namespace=", "namespace="},      /* an empty value is a value */
        {"-n -x", "namespace=-x"},           /* a value may begin with '-' */
        {"-p a b/ c x.db", "policies=a policies+b/ policies+c @x.db"}, /* a list */
        {"-p a -e b", "policies=a explain @b"},                        /* an option ends the list */
        {"--old A B -p C", "old=A old+B policies=C"},                  /* two lists */
        {"--old=A B", "old=A old+B"},                       /* --name=V starts a list too */
        {"-p - x.db", "policies=- @x.db"},                  /* '-' (stdin) is a value */
        {"-p a - b", "policies=a policies+- policies+b"},   /* and continues a list */
        {"-p a -- -e", "policies=a @-e"},                   /* '--' ends options */
        {"-eq", "explain quiet"},                           /* flags clustered */
        {"-ep a b", "explain policies=a policies+b"},       /* the last takes a value */
        {"-epa", "explain policies=a"},                     /* ... attached */
        {"-p a -p b", "policies=a policies=b"},             /* repeated */
        {"-o json -f csv", "output=json(1) format=csv(2)"}, /* synonyms, last wins */
        {"--format=table", "format=table(0)"},              /* a choice, index 0 */
        {"-", "@-"},                                        /* '-' alone is an operand */
        {"a - b", "@a @- @b"},                              /* in any place */
        {"--strict", "strict"},                             /* hidden rows still parse */
        {"", ""},                                           /* nothing at all */
    };
    char items[512], err[512], out[4096];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int rc =
            parse_line(cases[i].line, items, sizeof(items), err, sizeof(err), out, sizeof(out));

        if (rc != 0 || strcmp(items, cases[i].want) != 0)
            fail_msg("'%s': rc %d, items '%s', want '%s'; stderr: %s", cases[i].line, rc, items,
                     cases[i].want, err);
        assert_string_equal(err, "");
        assert_string_equal(out, "");
    }
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *line, *msg;
    } cases[] = {
        /* misspelt: the closest name (Damerau-Levenshtein, git's weights) */
        {"--stirct", "unknown option '--stirct'; did you mean '--strict'?"},
        {"--namspace ns", "unknown option '--namspace'; did you mean '--namespace'?"},
        /* no abbreviations, but the suggestion */
        {"--form json", "unknown option '--form'; did you mean '--format'?"},
        /* nothing close: no guess */
        {"--zzzzzzzzz", "unknown option '--zzzzzzzzz'"},
        {"--nope=3", "unknown option '--nope'"},
        {"-x", "unknown option '-x'"},
        {"-ex", "unknown option '-x'"},
        /* one dash for two */
        {"-strict", "unknown option '-s'; did you mean '--strict' (with two dashes)?"},
        {"-n", "option '-n' needs a value (NS)"},
        {"--namespace", "option '--namespace' needs a value (NS)"},
        {"-p", "option '-p' needs a value (PATH...)"},
        {"-p -e", "option '-p' needs a value (PATH...)"},
        {"--old x.db", "option '--old' needs a value (PATH...)"},
        {"--explain=1", "option '--explain' takes no value"},
        {"-o jsno", "-o takes table, json or csv, not 'jsno'; did you mean 'json'?"},
        {"--format xml", "--format takes table, json or csv, not 'xml'"},
        {"--output=JSON", "--output takes table, json or csv, not 'JSON'"},
    };
    char items[512], err[512], out[512], want[600];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int rc =
            parse_line(cases[i].line, items, sizeof(items), err, sizeof(err), out, sizeof(out));

        /* One line, then where to look: nothing else, no usage dump. */
        snprintf(want, sizeof(want), "podflow-analyze: t: %s\nsee 'podflow-analyze t --help'\n",
                 cases[i].msg);
        if (rc != ERR_USAGE || strcmp(err, want) != 0)
            fail_msg("'%s': rc %d, stderr\n%swant\n%s", cases[i].line, rc, err, want);
        assert_string_equal(out, "");
    }
}

static void test_parse_help(void **state)
{
    static const char *const lines[] = {"--help", "-h", "-eh", "x.db -p a --help"};
    char items[512], err[512], out[4096];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
        int rc = parse_line(lines[i], items, sizeof(items), err, sizeof(err), out, sizeof(out));

        assert_int_equal(rc, CMD_PARSE_HELP);
        assert_string_equal(err, "");
        assert_non_null(strstr(out, "usage: podflow-analyze t CASE.db [options]\n\nAbout t.\n"));
        assert_non_null(strstr(out, "  -o, --output FMT           choices\n"));
        assert_non_null(strstr(out, "  -p, --policies PATH...     a list\n"));
        assert_non_null(strstr(out, "      --old PATH...          a list, long only\n"));
        assert_non_null(strstr(out, "  -h, --help                 this text\n"));
        assert_null(strstr(out, "strict")); /* hidden */
        assert_non_null(strstr(out, "\nExit status: 0.\n"));
    }
}

static void test_similarity(void **state)
{
    static const char *const cmds[] = {"check", "diff",      "report", "select",
                                       "show",  "inventory", "merge",  "redact"};
    static const struct {
        const char *typed, *want; /* want NULL: no suggestion */
    } cases[] = {
        {"chekc", "check"},  /* swapped letters */
        {"chek", "check"},   /* a missing letter (and a prefix) */
        {"checkk", "check"}, /* one extra */
        {"inventroy", "inventory"},
        {"rport", "report"},
        {"redcat", "redact"},
        {"sh", "show"},       /* a prefix of show only */
        {"s", NULL},          /* a prefix of select and show: a tie */
        {"frobnicate", NULL}, /* nothing close */
        {"xyz", NULL},
    };

    (void)state;
    assert_int_equal(cmd_similarity("form", "format"), 0);
    assert_int_equal(cmd_similarity("stirct", "strict"), 1);  /* a swap costs nothing */
    assert_int_equal(cmd_similarity("strct", "strict"), 2);   /* a missing letter 1 */
    assert_int_equal(cmd_similarity("striict", "strict"), 4); /* an extra one 3 */
    assert_int_equal(cmd_similarity("strect", "strict"), 3);  /* a wrong one 2 */
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *got = cmd_suggest(cases[i].typed, cmds, ARRAY_SIZE(cmds));

        if (cases[i].want ? !got || strcmp(got, cases[i].want) != 0 : got != NULL)
            fail_msg("'%s': got '%s', want '%s'", cases[i].typed, got ? got : "(none)",
                     cases[i].want ? cases[i].want : "(none)");
    }
}

static void test_duration(void **state)
{
    static const struct {
        const char *s;
        int rc;
        int64_t ns;
    } cases[] = {
        {"5m", 0, 300000000000},                 /* kubectl's --since 5m */
        {"1h30m", 0, 5400000000000},             /* units in sequence */
        {"1.5h", 0, 5400000000000},              /* a decimal */
        {"90s", 0, 90000000000},                 /* seconds */
        {"250ms", 0, 250000000},                 /* "ms" is not "m" then "s" */
        {"2d", 0, 172800000000000},              /* days, beyond Go */
        {"1us", 0, 1000},                        /* micro */
        {"7ns", 0, 7},                           /* nano */
        {"0s", 0, 0},                            /* zero is a duration */
        {"5", ERR_PARSE, 0},                     /* a unit is needed */
        {"", ERR_PARSE, 0},                      /* empty */
        {"m", ERR_PARSE, 0},                     /* a unit alone */
        {"5x", ERR_PARSE, 0},                    /* an unknown unit */
        {"-5m", ERR_PARSE, 0},                   /* no sign: before the end already */
        {"5m ", ERR_PARSE, 0},                   /* trailing garbage */
        {"1e3s", ERR_PARSE, 0},                  /* no exponents */
        {"36500d", 0, 36500 * 86400000000000LL}, /* 100 years is fine */
        {"40000d", ERR_LIMIT, 0},                /* past 100 years */
        {"99999999999999999999h", ERR_LIMIT, 0}, /* overflow is a limit */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t ns = -1;
        int rc = cmd_parse_duration(cases[i].s, &ns);

        if (rc != cases[i].rc || (rc == 0 && ns != cases[i].ns))
            fail_msg("'%s': rc %d ns %lld, want rc %d ns %lld", cases[i].s, rc, (long long)ns,
                     cases[i].rc, (long long)cases[i].ns);
    }
}

/* The real table: names unique, every option row well formed. */
static void test_table_sane(void **state)
{
    (void)state;
    for (size_t i = 0; i < cmd_table_len; i++) {
        const struct cmd_spec *c = cmd_table[i];

        assert_non_null(c->run);
        assert_non_null(c->opts);
        assert_non_null(c->summary);
        for (size_t j = i + 1; j < cmd_table_len; j++)
            assert_string_not_equal(c->name, cmd_table[j]->name);
        for (const struct cmd_opt *o = c->opts; o->id; o++) {
            assert_true(o->lng != NULL); /* every option has a long name */
            assert_true(o->shrt != 'h'); /* -h is --help everywhere */
            assert_string_not_equal(o->lng, "help");
            assert_true((o->arg == CMD_ARG_NONE) == (o->argname == NULL));
            for (const struct cmd_opt *p = o + 1; p->id; p++) {
                assert_string_not_equal(o->lng, p->lng);
                assert_false(o->shrt && o->shrt == p->shrt);
            }
            /* -o and --output are the output format wherever they exist
             * (report's keeps the old file meaning, with a warning). */
            if (o->shrt == 'o' && strcmp(c->name, "report") != 0) {
                assert_non_null(o->choices);
                assert_string_equal(o->choices[0], "table");
            }
        }
    }
}

/* The top-level help lists every command exactly once. */
static void test_main_usage(void **state)
{
    FILE *f = tmpfile();
    char text[8192], key[64];
    size_t n;

    (void)state;
    assert_non_null(f);
    cmd_main_usage(cmd_table, cmd_table_len, f);
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = 0;
    fclose(f);
    for (size_t i = 0; i < cmd_table_len; i++) {
        const char *p, *first;

        snprintf(key, sizeof(key), "\n  %s ", cmd_table[i]->name);
        first = strstr(text, key);
        if (!first)
            fail_msg("'%s' missing from the help", cmd_table[i]->name);
        p = strstr(first + 1, key);
        if (p)
            fail_msg("'%s' twice in the help", cmd_table[i]->name);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *s;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* The man page names every command in SYNOPSIS and COMMANDS, and every
 * long option of every command: it cannot fall behind the table. */
static void test_man_page(void **state)
{
    char *man = slurp("docs/podflow-analyze.1"), key[128], *cmds, *opts;

    (void)state;
    if (!man)
        fail_msg("cannot read docs/podflow-analyze.1 (run from the checkout)");
    cmds = strstr(man, "\n.SH COMMANDS\n");
    opts = strstr(man, "\n.SH OPTIONS\n");
    assert_non_null(cmds);
    assert_non_null(opts);
    for (size_t i = 0; i < cmd_table_len; i++) {
        const struct cmd_spec *c = cmd_table[i];

        snprintf(key, sizeof(key), "\n.B podflow-analyze %s\n", c->name);
        if (!strstr(man, key))
            fail_msg("SYNOPSIS lacks '%s'", c->name);
        snprintf(key, sizeof(key), "\n.TP\n.B %s\n", c->name);
        {
            char *at = strstr(cmds, key);

            if (!at || at > opts)
                fail_msg("COMMANDS lacks '%s'", c->name);
        }
        for (const struct cmd_opt *o = c->opts; o->id; o++) {
            char lng[80], *p = lng;

            for (const char *s = o->lng; *s && p < lng + sizeof(lng) - 3; s++) {
                if (*s == '-')
                    *p++ = '\\';
                *p++ = *s;
            }
            *p = 0;
            snprintf(key, sizeof(key), "\\-\\-%s", lng);
            if (!strstr(man, key))
                fail_msg("the man page lacks '--%s' (%s)", o->lng, c->name);
        }
    }
    free(man);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms), cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_help),  cmocka_unit_test(test_similarity),
        cmocka_unit_test(test_table_sane),  cmocka_unit_test(test_main_usage),
        cmocka_unit_test(test_man_page),    cmocka_unit_test(test_duration),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
