/*
 * test_selector.c: the Calico selector language (analyze/sel_lex.c,
 * sel_parse.c, selector.c) against docs/semantics.md §1 and §9 items 1-2,
 * and the facts in Calico's own tokenizer_test.go / parser_test.go.
 *
 * Semantic rows are chosen so that the nearest wrong reading fails them:
 * "a != 'x'" is tried against a set without "a", "&&" over "||" with a set
 * where left-to-right grouping would differ, and so on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/policy/selector.h"
#include "analyze/policy/selector_int.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/labels.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* Labels from {key, value, key, value, ..., NULL}; release with labels_release(). */
static void test_labels(struct labels *l, const char *const *kv)
{
    labels_init(l);
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(labels_set(l, kv[i], kv[i + 1]), 0);
}

struct fixture {
    struct arena arena;
    struct buf out;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    arena_init(&f->arena, 0);
    buf_init(&f->out, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    arena_release(&f->arena);
    buf_release(&f->out);
    free(f);
    return 0;
}

static struct sel *parse_ok(struct fixture *f, const char *s)
{
    struct sel *sel = NULL;
    struct sel_error err;
    int rc = sel_parse(&f->arena, s, strlen(s), &sel, &err);

    if (rc)
        print_error("sel_parse(\"%s\") = %d at col %zu: %s\n", s, rc, err.col, err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(sel);
    return sel;
}

static const char *format(struct fixture *f, const struct sel *sel)
{
    buf_reset(&f->out);
    assert_int_equal(sel_format(sel, &f->out), 0);
    return f->out.data;
}

/* --- tokens ------------------------------------------------------------------ */

static const char *const tok_names[] = {
    [SEL_TOK_EOF] = "EOF",       [SEL_TOK_LABEL] = "L",     [SEL_TOK_STRING] = "S",
    [SEL_TOK_LBRACE] = "{",      [SEL_TOK_RBRACE] = "}",    [SEL_TOK_COMMA] = ",",
    [SEL_TOK_EQ] = "==",         [SEL_TOK_NE] = "!=",       [SEL_TOK_IN] = "in",
    [SEL_TOK_NOT] = "!",         [SEL_TOK_NOTIN] = "notin", [SEL_TOK_CONTAINS] = "contains",
    [SEL_TOK_STARTSWITH] = "sw", [SEL_TOK_ENDSWITH] = "ew", [SEL_TOK_ALL] = "all",
    [SEL_TOK_HAS] = "has",       [SEL_TOK_LPAREN] = "(",    [SEL_TOK_RPAREN] = ")",
    [SEL_TOK_AND] = "&&",        [SEL_TOK_OR] = "||",       [SEL_TOK_GLOBAL] = "global",
};

/* Token kinds, space-separated; LABEL, STRING and HAS show their value. */
static void tok_describe(const char *s, const struct sel_toks *t, char *dst, size_t size)
{
    size_t o = 0;

    dst[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        const struct sel_tok *k = &t->v[i];
        int w;

        if (k->kind == SEL_TOK_LABEL || k->kind == SEL_TOK_STRING || k->kind == SEL_TOK_HAS)
            w = snprintf(dst + o, size - o, "%s%s(%.*s)", i ? " " : "", tok_names[k->kind],
                         (int)k->vlen, s + k->vstart);
        else
            w = snprintf(dst + o, size - o, "%s%s", i ? " " : "", tok_names[k->kind]);
        assert_true(w > 0 && (size_t)w < size - o);
        o += (size_t)w;
    }
}

static void test_lex_tokens(void **state)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"a==\"b\"", "L(a) == S(b) EOF"}, /* no spaces needed around == */
        {"calico/k8s_NS-.1/role == 'x'",  /* every label character */
         "L(calico/k8s_NS-.1/role) == S(x) EOF"},
        {"contains contains \"contains\"", /* operator word as a label */
         "L(contains) contains S(contains) EOF"},
        {"in in {'in'}", "L(in) in { S(in) } EOF"},  /* 'in' as a label and a value */
        {"not not in {}", "L(not) notin { } EOF"},   /* 'not' as a label */
        {"a startswith 'v'", "L(a) sw S(v) EOF"},    /* two words, no space */
        {"a starts with 'v'", "L(a) sw S(v) EOF"},   /* one space */
        {"a starts   with 'v'", "L(a) sw S(v) EOF"}, /* several spaces */
        {"a ends\twith 'v'", "L(a) ew S(v) EOF"},    /* a tab */
        {"a endswith 'v'", "L(a) ew S(v) EOF"},      /* ends, no space */
        {"a not  in {}", "L(a) notin { } EOF"},      /* not  in, two spaces */
        {"startswith starts with 'v'", "L(startswith) sw S(v) EOF"}, /* label named like an op */
        {"a contains\"v\"", "L(a) contains S(v) EOF"}, /* a quote is a word boundary */
        {"a in{'v'}", "L(a) in { S(v) } EOF"},         /* so is a brace */
        {"a notin\"bar\"&&!has(foo)||b in\"c\"",       /* Calico's dense example */
         "L(a) notin S(bar) && ! has(foo) || L(b) in S(c) EOF"},
        {"! has( foo )", "! has(foo) EOF"},      /* spaces inside has( ) */
        {"all(  )", "all EOF"},                  /* spaces inside all( ) */
        {"global(\t)", "global EOF"},            /* a tab inside global( ) */
        {"has (a)", "L(has) ( L(a) ) EOF"},      /* "has (" is a label and a paren */
        {"role 'x'", "L(role) S(x) EOF"},        /* a quote starts a string anywhere */
        {"a == '\\' && b == \"'\" && c == '\"'", /* no escapes; other quote is text */
         "L(a) == S(\\) && L(b) == S(') && L(c) == S(\") EOF"},
        {"a == 'x\ny'", "L(a) == S(x\ny) EOF"}, /* a newline inside a string is text */
        {"a!='x'&&!b=='y'", "L(a) != S(x) && ! L(b) == S(y) EOF"}, /* != versus ! */
        {" \t ", "EOF"},                                           /* blanks only */
        {"", "EOF"},                                               /* nothing */
    };
    char got[512];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sel_toks t;
        struct sel_error err;
        int rc = sel_lex(cases[i].in, strlen(cases[i].in), &t, &err);

        if (rc)
            print_error("case %zu \"%s\": %s\n", i, cases[i].in, err.msg);
        assert_int_equal(rc, 0);
        tok_describe(cases[i].in, &t, got, sizeof(got));
        if (strcmp(got, cases[i].want))
            print_error("case %zu \"%s\"\n", i, cases[i].in);
        assert_string_equal(got, cases[i].want);
        sel_toks_release(&t);
    }
}

/* Token arrays longer than the built-in 64 grow on the heap. */
static void test_lex_many_tokens(void **state)
{
    struct fixture *f = *state;
    struct buf b;
    struct sel *sel;

    buf_init(&b, 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(buf_addf(&b, "%shas(l%d)", i ? " || " : "", i), 0);
    sel = parse_ok(f, b.data);
    assert_int_equal(sel->op, SEL_OR);
    assert_int_equal(sel->n, 200);
    /* the canonical form is the input in one pair of parentheses */
    buf_reset(&f->out);
    assert_int_equal(sel_format(sel, &f->out), 0);
    assert_int_equal(f->out.len, b.len + 2);
    assert_memory_equal(f->out.data + 1, b.data, b.len);
    buf_release(&b);
}

/* --- accepted and rejected, with column and message ----------------------- */

static void test_errors(void **state)
{
    static const struct {
        const char *in;
        int rc;
        size_t col;
        const char *msg; /* a substring of the message */
    } cases[] = {
        {"a == 'x'\n", ERR_PARSE, 9, "line break"}, /* a trailing newline (YAML "|") is not blank */
        {"a\n== 'x'", ERR_PARSE, 2, "line break"},  /* nor is one between tokens */
        {"a == 'x'\r", ERR_PARSE, 9, "line break"}, /* nor a CR */
        {"a\v== 'x'", ERR_PARSE, 2, "'\\x0b'"},     /* nor a vertical tab */
        {"\fa == 'x'", ERR_PARSE, 1, "'\\x0c'"},    /* nor a form feed */
        /* '=' is no label character */
        {"a=b", ERR_PARSE, 2, "unexpected token '=', expected '=='"},
        {"a = 'x'", ERR_PARSE, 3, "expected '=='"},          /* a lone '=' is no operator */
        {"a => 'x'", ERR_PARSE, 3, "unexpected token '=>'"}, /* the bad punctuation shown whole */
        {"a =", ERR_PARSE, 3, "expected '=='"},              /* '=' at the very end */
        {"has(a) & has(b)", ERR_PARSE, 8, "unexpected token '&', expected '&&'"}, /* single & */
        {"has(a) | has(b)", ERR_PARSE, 8, "unexpected token '|', expected '||'"}, /* single | */
        {"a == 'x' &", ERR_PARSE, 10, "expected '&&'"},       /* single & at the end */
        {"has()", ERR_PARSE, 5, "has() needs a label name"},  /* has() is empty */
        {"has( )", ERR_PARSE, 6, "has() needs a label name"}, /* blank is empty too */
        {"has(foo", ERR_PARSE, 8, "expected ')'"},            /* has( never closed */
        {"has(foo bar)", ERR_PARSE, 9, "unexpected token 'bar', expected ')'"}, /* one label only */
        {"has('a')", ERR_PARSE, 5, "expected a label"}, /* has() takes a label, not a string */
        {"has(", ERR_PARSE, 5, "unexpected end of selector"},           /* input ends inside has( */
        {"all(x)", ERR_PARSE, 5, "unexpected token 'x', expected ')'"}, /* all() takes nothing */
        {"global(", ERR_PARSE, 8, "expected ')' after 'global('"},      /* global( never closed */
        /* in needs a boundary */
        {"label inf \"v\"", ERR_PARSE, 7,
         "unexpected token 'inf', expected an operator after 'label'"},
        /* with needs one */
        {"label ends withs \"v\"", ERR_PARSE, 7, "expected an operator after 'label'"},
        {"label starts foo \"v\"", ERR_PARSE, 7, "expected an operator"}, /* starts needs with */
        {"a containsx 'v'", ERR_PARSE, 3, "'containsx'"},            /* contains needs a boundary */
        {"a notinx {}", ERR_PARSE, 3, "expected an operator"},       /* notin needs one */
        {"a not inx {}", ERR_PARSE, 3, "expected an operator"},      /* not in needs one */
        {"a starts", ERR_PARSE, 3, "expected an operator"},          /* starts at the end */
        {"label squiggles 'v'", ERR_PARSE, 7, "'squiggles'"},        /* no such operator */
        {"a all()", ERR_PARSE, 3, "expected an operator after 'a'"}, /* all() after a label */
        /* has + space */
        {"has (a)", ERR_PARSE, 5, "unexpected token '(', expected an operator after 'has'"},
        /* no op */
        {"role 'x'", ERR_PARSE, 6, "unexpected string 'x', expected an operator after 'role'"},
        /* label == label */
        {"b == b", ERR_PARSE, 6, "unexpected token 'b', expected a quoted string"},
        {"b contains b", ERR_PARSE, 12, "expected a quoted string"}, /* label contains label */
        /* label starts with label */
        {"b starts with b", ERR_PARSE, 15, "expected a quoted string"},
        /* no value */
        {"a ==", ERR_PARSE, 5, "unexpected end of selector, expected a quoted string"},
        {"foo != ||", ERR_PARSE, 8, "unexpected token '||'"},  /* operator for a value */
        {"'b1' == b", ERR_PARSE, 1, "unexpected string 'b1'"}, /* literal on the left */
        /* bare label */
        {"b", ERR_PARSE, 2, "unexpected end of selector, expected an operator after 'b'"},
        {"a ", ERR_PARSE, 3, "unexpected end of selector"}, /* bare label and a blank */
        /* two labels */
        {"a b", ERR_PARSE, 3, "unexpected token 'b', expected an operator after 'a'"},
        /* bare */
        {"a && b == 'x'", ERR_PARSE, 3, "unexpected token '&&', expected an operator after 'a'"},
        {"!", ERR_PARSE, 2, "unexpected end of selector"},            /* a lone ! */
        {"%", ERR_PARSE, 1, "unexpected token '%'"},                  /* unknown character */
        {"a == 'b' && %", ERR_PARSE, 13, "unexpected token '%'"},     /* ...after && */
        {"a == 'b' || %", ERR_PARSE, 13, "'%'"},                      /* ...after || */
        {"has(foo) &&", ERR_PARSE, 12, "unexpected end of selector"}, /* && with no right side */
        {"a:b == 'x'", ERR_PARSE, 2, "unexpected token ':'"}, /* ':' is no label character */
        {"\xc3\xa9 == 'x'", ERR_PARSE, 1, "'\\xc3\\xa9'"},    /* non-ASCII label, shown escaped */
        /* in needs a set literal */
        {"foo in \"\"", ERR_PARSE, 8, "unexpected string \"\", expected '{'"},
        {"foo in", ERR_PARSE, 7, "unexpected end of selector, expected '{'"}, /* in at the end */
        /* set starts with , */
        {"a in {,}", ERR_PARSE, 7, "unexpected token ',', expected a string or '}'"},
        {"a in {'a',,}", ERR_PARSE, 11, "expected a string or '}'"}, /* two commas */
        /* no comma */
        {"a in {'a' 'b'}", ERR_PARSE, 11, "unexpected string 'b', expected ',' or '}'"},
        {"foo in {\"\", ||", ERR_PARSE, 13, "'||'"},                /* Calico's garbage case */
        {"a in {'a'", ERR_PARSE, 10, "unexpected end of selector"}, /* set never closed */
        {"a in {a}", ERR_PARSE, 7, "unexpected token 'a'"},   /* members are strings, not labels */
        {"\"FOO", ERR_PARSE, 1, "unterminated string \"FOO"}, /* unterminated, at the quote */
        {"\"FOO'", ERR_PARSE, 1, "unterminated string"},      /* the other quote does not close */
        {"a == 'x\"", ERR_PARSE, 6, "unterminated string"},   /* column of the opening quote */
        {"()", ERR_PARSE, 2, "unexpected token ')'"},         /* empty parentheses */
        {"(", ERR_PARSE, 2, "unexpected end of selector"},    /* unclosed, empty */
        {")", ERR_PARSE, 1, "unexpected token ')'"},          /* unopened */
        /* unclosed */
        {"(a == \"foo\"", ERR_PARSE, 12, "expected ')' to close the '(' at column 1"},
        {"((has(a))", ERR_PARSE, 10, "at column 1"}, /* the outer one unclosed */
        /* one too many */
        {"(has(a)))", ERR_PARSE, 9, "unexpected token ')', expected '&&', '||' or the end"},
        {"a == 'x' b == 'y'", ERR_PARSE, 10, "unexpected token 'b'"}, /* trailing comparison */
        {"has(a) has(b)", ERR_PARSE, 8, "unexpected token 'has(b)'"}, /* trailing has() */
        {"all() all()", ERR_PARSE, 7, "unexpected token 'all()'"},    /* trailing all() */
        {"a == 'x' !", ERR_PARSE, 10, "unexpected token '!'"},        /* trailing ! */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct arena a;
        struct sel *sel = (struct sel *)&a; /* must be cleared on failure */
        struct sel_error err;
        int rc;

        arena_init(&a, 0);
        rc = sel_parse(&a, cases[i].in, strlen(cases[i].in), &sel, &err);
        if (rc != cases[i].rc || err.col != cases[i].col || !strstr(err.msg, cases[i].msg))
            print_error("case %zu \"%s\": rc %d col %zu msg \"%s\"\n", i, cases[i].in, rc, err.col,
                        err.msg);
        assert_int_equal(rc, cases[i].rc);
        assert_null(sel);
        assert_int_equal(err.col, cases[i].col);
        assert_non_null(strstr(err.msg, cases[i].msg));
        arena_release(&a);
    }
}

/* A NUL byte is not whitespace outside a string, but is content inside. */
static void test_nul_bytes(void **state)
{
    struct fixture *f = *state;
    static const char outside[] = "a == 'x'\0";
    static const char inside[] = "a == 'x\0y'";
    struct sel *sel = NULL;
    struct sel_error err;
    struct labels l;
    static const char *const kv[] = {"a", "x", NULL};

    assert_int_equal(sel_parse(&f->arena, outside, sizeof(outside) - 1, &sel, &err), ERR_PARSE);
    assert_int_equal(err.col, 9);
    assert_non_null(strstr(err.msg, "'\\x00'"));
    assert_int_equal(sel_parse(&f->arena, inside, sizeof(inside) - 1, &sel, &err), 0);
    assert_int_equal(sel->value.len, 3);
    /* "x\0y" is not "x": lengths count, not C-string ends */
    test_labels(&l, kv);
    assert_int_equal(sel_eval(sel, &l), 0);
    labels_release(&l);
    buf_reset(&f->out);
    assert_int_equal(sel_format(sel, &f->out), 0);
    assert_int_equal(f->out.len, 10);
    assert_memory_equal(f->out.data, "a == \"x\0y\"", 10);
}

/* --- limits ------------------------------------------------------------------ */

static void test_limits(void **state)
{
    struct fixture *f = *state;
    struct buf b;
    struct sel *sel = NULL;
    struct sel_error err;
    int rc;

    buf_init(&b, 0);

    /* a label of exactly LIM_LABEL_LEN bytes is fine, one more is not */
    for (int i = 0; i < LIM_LABEL_LEN; i++)
        assert_int_equal(buf_addch(&b, 'k'), 0);
    assert_int_equal(buf_addstr(&b, " == 'v'"), 0);
    sel = parse_ok(f, b.data);
    assert_int_equal(strlen(sel->key), LIM_LABEL_LEN);
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "x == 'y' && "), 0);
    for (int i = 0; i < LIM_LABEL_LEN + 1; i++)
        assert_int_equal(buf_addch(&b, 'k'), 0);
    assert_int_equal(buf_addstr(&b, " == 'v'"), 0);
    rc = sel_parse(&f->arena, b.data, b.len, &sel, &err);
    assert_int_equal(rc, ERR_LIMIT);
    assert_int_equal(err.col, 13);
    assert_non_null(strstr(err.msg, "label longer than 512 bytes"));

    /* the same inside has( ) */
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "has("), 0);
    for (int i = 0; i < LIM_LABEL_LEN; i++)
        assert_int_equal(buf_addch(&b, 'h'), 0);
    assert_int_equal(buf_addstr(&b, ")"), 0);
    (void)parse_ok(f, b.data);
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "has( "), 0);
    for (int i = 0; i < LIM_LABEL_LEN + 1; i++)
        assert_int_equal(buf_addch(&b, 'h'), 0);
    assert_int_equal(buf_addstr(&b, ")"), 0);
    rc = sel_parse(&f->arena, b.data, b.len, &sel, &err);
    assert_int_equal(rc, ERR_LIMIT);
    assert_int_equal(err.col, 6);

    /* a value is not a label: 513 bytes in quotes are fine */
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "a == '"), 0);
    for (int i = 0; i < LIM_LABEL_LEN + 1; i++)
        assert_int_equal(buf_addch(&b, 'v'), 0);
    assert_int_equal(buf_addstr(&b, "'"), 0);
    (void)parse_ok(f, b.data);

    /* nesting: LIM_SELECTOR_DEPTH - 1 parentheses fit, one more does not */
    buf_reset(&b);
    for (int i = 0; i < LIM_SELECTOR_DEPTH - 1; i++)
        assert_int_equal(buf_addch(&b, '('), 0);
    assert_int_equal(buf_addstr(&b, "has(a)"), 0);
    for (int i = 0; i < LIM_SELECTOR_DEPTH - 1; i++)
        assert_int_equal(buf_addch(&b, ')'), 0);
    sel = parse_ok(f, b.data);
    assert_int_equal(sel->op, SEL_HAS);
    buf_reset(&b);
    for (int i = 0; i < LIM_SELECTOR_DEPTH; i++)
        assert_int_equal(buf_addstr(&b, "!("), 0);
    assert_int_equal(buf_addstr(&b, "has(a)"), 0);
    for (int i = 0; i < LIM_SELECTOR_DEPTH; i++)
        assert_int_equal(buf_addch(&b, ')'), 0);
    rc = sel_parse(&f->arena, b.data, b.len, &sel, &err);
    assert_int_equal(rc, ERR_LIMIT);
    assert_int_equal(err.col, 2 * LIM_SELECTOR_DEPTH); /* the last "(" */
    assert_non_null(strstr(err.msg, "nested deeper than 64"));

    /* the canonical text adds parentheses around AND/OR, so a selector at
     * the limit can print as one past it (documented in selector.h) */
    buf_reset(&b);
    for (int i = 0; i < LIM_SELECTOR_DEPTH - 1; i++)
        assert_int_equal(buf_addstr(&b, "has(x) && ("), 0);
    assert_int_equal(buf_addstr(&b, "has(x) && has(y)"), 0);
    for (int i = 0; i < LIM_SELECTOR_DEPTH - 1; i++)
        assert_int_equal(buf_addch(&b, ')'), 0);
    sel = parse_ok(f, b.data);
    format(f, sel);
    assert_int_equal(f->out.data[0], '(');
    rc = sel_parse(&f->arena, f->out.data, f->out.len, &sel, &err);
    assert_int_equal(rc, ERR_LIMIT);

    /* a long run of "!" is counted, not nested: no limit applies */
    buf_reset(&b);
    for (int i = 0; i < 10001; i++)
        assert_int_equal(buf_addch(&b, '!'), 0);
    assert_int_equal(buf_addstr(&b, "has(a)"), 0);
    sel = parse_ok(f, b.data);
    assert_string_equal(format(f, sel), "!has(a)");

    /* length: LIM_SELECTOR_LEN bytes parse, one more is refused unread */
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, "a == '"), 0);
    while (b.len < LIM_SELECTOR_LEN - 1)
        assert_int_equal(buf_addch(&b, 'v'), 0);
    assert_int_equal(buf_addch(&b, '\''), 0);
    assert_int_equal(b.len, LIM_SELECTOR_LEN);
    (void)parse_ok(f, b.data);
    assert_int_equal(buf_addch(&b, ' '), 0);
    rc = sel_parse(&f->arena, b.data, b.len, &sel, &err);
    assert_int_equal(rc, ERR_LIMIT);
    assert_null(sel);
    assert_int_equal(err.col, LIM_SELECTOR_LEN + 1);

    buf_release(&b);
}

/* --- canonical text (ast.go collectFragments) ------------------------------- */

static void test_format(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *in;
        const char *want;
        int stable; /* format(parse(want)) == want */
    } cases[] = {
        {"", "all()", 1},                                      /* empty is all() */
        {" \t", "all()", 1},                                   /* so is blank */
        {" all() ", "all()", 1},                               /* blanks around all() */
        {" (all() )", "all()", 1},                             /* parentheses leave no trace */
        {"global( )", "global()", 1},                          /* global() keeps its name */
        {"! (has( b)||! has(a ))", "!(has(b) || !has(a))", 1}, /* Calico: ! over an OR */
        /* Calico: ! inside an AND */
        {"! (a == \"b\"&&! c != \"d\")", "!(a == \"b\" && !c != \"d\")", 1},
        {"a == \"'\"", "a == \"'\"", 1},                /* a ' value keeps " quotes */
        {"a == '\"'", "a == '\"'", 1},                  /* a " value takes ' quotes */
        {"a contains '\"'", "a contains '\"'", 1},      /* same for contains */
        {"a startswith '\"'", "a starts with '\"'", 1}, /* startswith printed as two words */
        {"a endswith \"'\"", "a ends with \"'\"", 1},   /* endswith likewise */
        {"a!='\"'", "a != '\"'", 1},                    /* spaces around != */
        {"a == 'x'", "a == \"x\"", 1},                  /* ' quotes become " by default */
        {"a in {\"d\", \"a\", \"b\"}", "a in {\"a\", \"b\", \"d\"}", 1}, /* members sorted */
        /* and unique */
        {"a in {\"z\", \"z\", \"x\", \"y\", \"x\", \"a\"}", "a in {\"a\", \"x\", \"y\", \"z\"}", 1},
        {"a in {'b', 'B', 'a'}", "a in {\"B\", \"a\", \"b\"}", 1}, /* by bytes: upper case first */
        {"a in {'ab', 'a', ''}", "a in {\"\", \"a\", \"ab\"}", 1}, /* a prefix sorts first */
        {"a not in {'\"', \"'\"}", "a not in {'\"', \"'\"}", 1}, /* each member quoted on its own */
        {"a in {}", "a in {}", 1},                               /* the empty set */
        {"a notin {'x',}", "a not in {\"x\"}", 1}, /* trailing comma dropped, notin spelled out */
        /* one AND of 3 */
        {"a == 'x' && b == 'y' && c == 'z'", "(a == \"x\" && b == \"y\" && c == \"z\")", 1},
        /* grouping kept */
        {"(a == 'x' && b == 'y') && c == 'z'", "((a == \"x\" && b == \"y\") && c == \"z\")", 1},
        /* && binds tighter (right) */
        {"has(a) || has(b) && has(c)", "(has(a) || (has(b) && has(c)))", 1},
        /* && binds tighter (left) */
        {"has(a) && has(b) || has(c)", "((has(a) && has(b)) || has(c))", 1},
        /* ! takes one operation only */
        {"!a == 'x' && b == 'y'", "(!a == \"x\" && b == \"y\")", 1},
        /* ! on each side of || */
        {"! a == 'a1' || ! b == 'b1'", "(!a == \"a1\" || !b == \"b1\")", 1},
        {"!!has(b)", "has(b)", 1},                 /* two ! cancel */
        {"!!all()", "all()", 1},                   /* ... leaving no NOT node */
        {"all() && all()", "(all() && all())", 1}, /* an AND of all()s stays an AND */
        {"has(a) && !(b == 'x' || global())", "(has(a) && !(b == \"x\" || global()))",
         1}, /* global() deep down kept */
        {"has(global) && a == 'global()'", "(has(global) && a == \"global()\")",
         1},                                 /* a label and a value spelled global */
        {"! !! has(a)", "!has(a)", 1},       /* three ! make one, across blanks */
        {"!(!a == 'x')", "!!a == \"x\"", 0}, /* ! over a parenthesised ! keeps both (Calico) */
        /* Calico's visitor case */
        {"!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
         "!(!((k == \"v\" && has(t)) || all()) && a in {\"b\", \"c\"})", 1},
        {"a == ' x\ty\n'", "a == \" x\ty\n\"", 1}, /* blanks and newlines inside values kept */
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sel *sel = parse_ok(f, cases[i].in);
        struct sel *again;
        const char *got = format(f, sel);

        if (strcmp(got, cases[i].want))
            print_error("case %zu \"%s\"\n", i, cases[i].in);
        assert_string_equal(got, cases[i].want);
        /* the canonical text parses again; stable rows reproduce it */
        again = parse_ok(f, cases[i].want);
        if (cases[i].stable) {
            assert_string_equal(format(f, again), cases[i].want);
        } else {
            assert_string_not_equal(format(f, again), cases[i].want);
        }
    }
}

/* --- evaluation (ast.go Evaluate; §1.3, §9 items 1-2) ----------------------- */

/* Every label sel requires (sel_needs()) is in l with one of its values. */
static int needs_hold(const struct sel *sel, const struct labels *l)
{
    struct sel_need nd[8];
    size_t n = sel_needs(sel, nd, 8);

    for (size_t i = 0; i < n; i++) {
        const char *v = labels_get(l, nd[i].key);
        size_t j;

        for (j = 0; v && j < nd[i].nvals; j++)
            if (strlen(v) == nd[i].vals[j].len && memcmp(v, nd[i].vals[j].s, strlen(v)) == 0)
                break;
        if (!v || j == nd[i].nvals)
            return 0;
    }
    return 1;
}

static void test_eval(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *sel;
        const char *kv[9]; /* key, value, ..., NULL */
        int want;
    } cases[] = {
        {"a == 'x'", {"a", "x", NULL}, 1},        /* == with the value */
        {"a == 'x'", {NULL}, 0},                  /* == needs the label present */
        {"a == 'x'", {"a", "X", NULL}, 0},        /* values are case-sensitive */
        {"A == 'x'", {"a", "x", NULL}, 0},        /* keys are case-sensitive */
        {"a == 'x'", {"a", "xx", NULL}, 0},       /* == is not a prefix match */
        {"a == ''", {"a", "", NULL}, 1},          /* empty value equals '' */
        {"a == ''", {NULL}, 0},                   /* ...but absence does not */
        {"a != 'x'", {NULL}, 1},                  /* != matches a MISSING label (§9.1) */
        {"a != 'x'", {"b", "x", NULL}, 1},        /* ...whatever else is there */
        {"a != 'x'", {"a", "x", NULL}, 0},        /* != with the value */
        {"a != 'x'", {"a", "y", NULL}, 1},        /* != with another value */
        {"a != ''", {"a", "", NULL}, 0},          /* != '' with an empty value */
        {"a in {'x', 'y'}", {"a", "y", NULL}, 1}, /* in: a member */
        {"a in {'x', 'y'}", {"a", "z", NULL}, 0}, /* in: not a member */
        {"a in {'x', 'y'}", {NULL}, 0},           /* in needs the label present */
        {"a in {'e', 'd', 'c', 'b', 'a'}", {"a", "a", NULL}, 1}, /* first of the sorted set */
        {"a in {'e', 'd', 'c', 'b', 'a'}", {"a", "e", NULL}, 1}, /* last of the sorted set */
        {"a in {'ab'}", {"a", "a", NULL}, 0},                    /* no prefix match in sets */
        {"a in {''}", {"a", "", NULL}, 1},                       /* the empty string as a member */
        {"a in {}", {"a", "", NULL}, 0},                         /* a in {} is never true (§9.2) */
        {"a in {}", {NULL}, 0},                                  /* ...not even without a */
        {"a in {'x',}", {"a", "x", NULL}, 1},                    /* trailing comma */
        {"a not in {'x'}", {NULL}, 1},                 /* not in matches a MISSING label (§9.1) */
        {"a not in {'x'}", {"a", "x", NULL}, 0},       /* not in: a member */
        {"a not in {'x'}", {"a", "y", NULL}, 1},       /* not in: another value */
        {"a not in {}", {NULL}, 1},                    /* not in {} always true, absent */
        {"a not in {}", {"a", "x", NULL}, 1},          /* ...and present */
        {"has(a)", {"a", "", NULL}, 1},                /* an empty value counts as present */
        {"has(a)", {"ab", "x", NULL}, 0},              /* has() is not a prefix match */
        {"!has(a)", {"a", "", NULL}, 0},               /* !has() with an empty value */
        {"!has(a)", {"b", "b", NULL}, 1},              /* !has() without the label */
        {"a contains 'b'", {"a", "abc", NULL}, 1},     /* substring in the middle */
        {"a contains 'b'", {"a", "aBc", NULL}, 0},     /* case-sensitive */
        {"a contains 'b'", {"b", "b", NULL}, 0},       /* needs the label present */
        {"a contains ''", {"a", "", NULL}, 1},         /* '' is in any present value */
        {"a contains ''", {NULL}, 0},                  /* ...but not in an absent one */
        {"a starts with 'ab'", {"a", "abc", NULL}, 1}, /* a prefix */
        {"a starts with 'ab'", {"a", "a", NULL}, 0},   /* value shorter than the prefix */
        {"a starts with 'bc'", {"a", "abc", NULL}, 0}, /* a substring is no prefix */
        {"a starts with ''", {"a", "", NULL}, 1},      /* '' starts any present value */
        {"a ends with 'bc'", {"a", "abc", NULL}, 1},   /* a suffix */
        {"a ends with 'bc'", {"a", "bca", NULL}, 0},   /* a substring is no suffix */
        {"a ends with 'abcd'", {"a", "bcd", NULL}, 0}, /* value shorter than the suffix */
        {"a ends with ''", {NULL}, 0},                 /* needs the label present */
        {"all()", {NULL}, 1},                          /* all() on nothing */
        {"global()", {"x", "y", NULL}, 1},             /* global() evaluates as all() */
        {"", {NULL}, 1},                               /* the empty selector is all() */
        {"!all()", {NULL}, 0},                         /* nothing */
        {"!a == 'x'", {NULL}, 1},           /* !a == 'x' is !(a == 'x') (§9.2): absent */
        {"!a == 'x'", {"a", "x", NULL}, 0}, /* ...and equal */
        {"!a == 'x' && b == 'y'", {"a", "z", NULL}, 0},       /* not !(a == 'x' && b == 'y') */
        {"! a == 'a1' || ! b == 'b1'", {"a", "a1", NULL}, 1}, /* not !(a == 'a1' || !b == 'b1') */
        {"! a == 'a1' || ! b == 'b1'", {"a", "a1", "b", "b1", NULL}, 0}, /* both equal: false */
        {"!!has(b)", {"b", "", NULL}, 1},                    /* !!has(b) is has(b) (§9.2) */
        {"!!has(b)", {NULL}, 0},                             /* ...false without b */
        {"!!!has(b)", {NULL}, 1},                            /* three ! are one */
        {"!(!has(a) || has(b))", {"a", "a", NULL}, 1},       /* ! over a parenthesised || */
        {"has(a) || has(b) && has(c)", {"a", "1", NULL}, 1}, /* a || (b && c), not (a || b) && c */
        {"has(a) || has(b) && has(c)", {"b", "1", NULL}, 0}, /* b alone is not enough */
        {"has(a) && has(b) || has(c)", {"c", "1", NULL}, 1}, /* (a && b) || c, not a && (b || c) */
        {"has(a) && has(b) || has(c)", {"a", "1", NULL}, 0}, /* a alone is not enough */
        {"(has(a) || has(b)) && has(c)", {"a", "1", NULL}, 0},   /* parentheses regroup */
        {"a == '\"'", {"a", "\"", NULL}, 1},                     /* a " value */
        {"a in {\"'\", '\"', \"c\"}", {"a", "'", NULL}, 1},      /* a ' member */
        {"a not in {\"'\", '\"', \"c\"}", {"a", "\"", NULL}, 0}, /* a " member */
        /* real names */
        {"projectcalico.org/namespace == 'prod' && pcns.team in {'a', 'b'}",
         {"projectcalico.org/namespace", "prod", "pcns.team", "b", NULL},
         1},
        /* team is not pcns.team */
        {"projectcalico.org/namespace == 'prod' && pcns.team in {'a', 'b'}",
         {"projectcalico.org/namespace", "prod", "team", "b", NULL},
         0},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sel *sel = parse_ok(f, cases[i].sel);
        struct sel *canon;
        struct labels l;

        test_labels(&l, cases[i].kv);
        if (sel_eval(sel, &l) != cases[i].want)
            print_error("case %zu \"%s\"\n", i, cases[i].sel);
        assert_int_equal(sel_eval(sel, &l), cases[i].want);
        /* the canonical text means the same */
        canon = parse_ok(f, format(f, sel));
        assert_int_equal(sel_eval(canon, &l), cases[i].want);
        /* a set it matches holds every label it requires (sel_needs()) */
        if (cases[i].want)
            assert_true(needs_hold(sel, &l));
        labels_release(&l);
    }
}

/* --- what a selector requires (sel_needs(): the engine's index) -------------- */

/* needs as text: "key=v1|v2;key=v" in sel_needs()'s order. */
static const char *needs_text(struct fixture *f, const struct sel *sel, size_t max)
{
    struct sel_need nd[8];
    size_t n = sel_needs(sel, nd, max);

    buf_reset(&f->out);
    for (size_t i = 0; i < n; i++) {
        assert_true(nd[i].nvals >= 1);
        assert_int_equal(buf_addf(&f->out, "%s%s=", i ? ";" : "", nd[i].key), 0);
        for (size_t j = 0; j < nd[i].nvals; j++)
            assert_int_equal(
                buf_addf(&f->out, "%s%.*s", j ? "|" : "", (int)nd[i].vals[j].len, nd[i].vals[j].s),
                0);
    }
    return f->out.len ? f->out.data : "";
}

static void test_needs(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *sel;
        const char *want;
    } cases[] = {
        {"a == 'x'", "a=x"},                                   /* an equality */
        {"a in {'y', 'x'}", "a=x|y"},                          /* in: its members (sorted) */
        {"a in {}", ""},                                       /* matches nothing: no index by it */
        {"a == 'x' && b in {'y'}", "a=x;b=y"},                 /* both operands of && */
        {"a == 'x' && (b == 'y' && c == 'z')", "a=x;b=y;c=z"}, /* nested && */
        {"a == 'x' || b == 'y'", ""},                          /* || requires neither */
        {"a == 'x' && (b == 'y' || c == 'z')", "a=x"},         /* nothing under || */
        {"!(a == 'x')", ""},                                   /* nothing under ! */
        {"!a != 'x'", ""},                                     /* !(a != 'x') is no equality node */
        {"a != 'x' && has(b)", ""},                            /* != and has() require no value */
        {"a not in {'x'} && b contains 'y'", ""},              /* neither do not in, contains */
        {"b starts with 'y' && c ends with 'z'", ""},          /* nor starts with, ends with */
        {"all()", ""},                                         /* all() */
        {"global() && a == 'x'", "a=x"},                       /* global() && an equality */
        {"projectcalico.org/namespace == 'ns0' && app == 'd1'",
         "projectcalico.org/namespace=ns0;app=d1"}, /* a namespaced policy's */
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sel *sel = parse_ok(f, cases[i].sel);

        if (strcmp(needs_text(f, sel, 8), cases[i].want) != 0)
            print_error("case %zu \"%s\"\n", i, cases[i].sel);
        assert_string_equal(needs_text(f, sel, 8), cases[i].want);
    }
    /* at most max, the first ones */
    assert_string_equal(needs_text(f, parse_ok(f, "a == 'x' && b == 'y' && c == 'z'"), 2),
                        "a=x;b=y");
    assert_string_equal(needs_text(f, parse_ok(f, "a == 'x'"), 0), "");
}

/* --- prefix rewriting (ast.go PrefixVisitor; §1.5) --------------------------- */

static void test_prefixed(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *in;
        const char *prefix;
        const char *want;
    } cases[] = {
        {"k == 'v'", "visited/", "visited/k == \"v\""},                   /* == */
        {"k != 'v'", "visited/", "visited/k != \"v\""},                   /* != */
        {"k contains 'v'", "visited/", "visited/k contains \"v\""},       /* contains */
        {"k starts with 'v'", "visited/", "visited/k starts with \"v\""}, /* starts with */
        {"k ends with 'v'", "visited/", "visited/k ends with \"v\""},     /* ends with */
        /* both sides of && */
        {"k == 'v' && x == 'y'", "visited/", "(visited/k == \"v\" && visited/x == \"y\")"},
        /* has() under || */
        {"k == 'v' || has(x)", "visited/", "(visited/k == \"v\" || has(visited/x))"},
        {"!(k == 'v')", "visited/", "!visited/k == \"v\""},         /* under ! */
        {"k in {'v'}", "visited/", "visited/k in {\"v\"}"},         /* in */
        {"k not in {'v'}", "visited/", "visited/k not in {\"v\"}"}, /* not in */
        /* Calico's complex case */
        {"!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))", "visited/",
         "!(!((visited/k == \"v\" && has(visited/t)) || all()) && visited/a in {\"b\", \"c\"})"},
        {"all()", "pcns.", "all()"}, /* all() untouched */
        /* global() untouched, value too */
        {"global() || k == 'k'", "pcns.", "(global() || pcns.k == \"k\")"},
        /* §2.2 ns */
        {"projectcalico.org/name == 'prod'", "pcns.", "pcns.projectcalico.org/name == \"prod\""},
        {"team in {}", "pcsa.", "pcsa.team in {}"}, /* empty set, service-account prefix */
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sel *sel = parse_ok(f, cases[i].in);
        char *before = xstrdup(format(f, sel));
        struct sel *p = sel_prefixed(&f->arena, sel, cases[i].prefix);

        assert_string_equal(format(f, p), cases[i].want);
        /* the original is not modified */
        assert_string_equal(format(f, sel), before);
        free(before);
    }
}

/* sel_format appends and reports a full buffer. */
static void test_format_buffer(void **state)
{
    struct fixture *f = *state;
    struct sel *sel = parse_ok(f, "a in {'x', 'y'}");
    struct buf small;

    buf_reset(&f->out);
    assert_int_equal(buf_addstr(&f->out, "sel: "), 0);
    assert_int_equal(sel_format(sel, &f->out), 0);
    assert_string_equal(f->out.data, "sel: a in {\"x\", \"y\"}");
    buf_init(&small, 8);
    assert_int_equal(sel_format(sel, &small), ERR_LIMIT);
    buf_release(&small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lex_tokens),
        cmocka_unit_test_setup_teardown(test_lex_many_tokens, setup, teardown),
        cmocka_unit_test(test_errors),
        cmocka_unit_test_setup_teardown(test_nul_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_needs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_buffer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
