/*
 * sel_parse.c: the selector parser, a recursive descent over the token
 * array of sel_lex.c that builds the same tree as Calico's
 * libcalico-go/lib/selector/parser/parser.go (docs/semantics.md §1.2):
 *
 *   selector  := EOF                                   -> all()
 *              | or_expr EOF
 *   or_expr   := and_expr ( "||" and_expr )*
 *   and_expr  := operation ( "&&" operation )*
 *   operation := "!"* primary              -- the !'s collapse by parity
 *   primary   := HAS | ALL | GLOBAL
 *              | LABEL ( "==" | "!=" | CONTAINS | STARTSWITH | ENDSWITH ) STRING
 *              | LABEL ( IN | NOTIN ) "{" [ STRING ( "," STRING )* [ "," ] ] "}"
 *              | "(" or_expr ")"
 *
 * The two binary levels come from a precedence table, loosest first (after
 * Lua's subexpr()).  Each level makes one n-ary node of all its operands
 * ("a && b && c" is one AND of three) and a single operand is passed up
 * unwrapped, exactly as Calico does; "(a && b) && c" stays nested.  That
 * shape matters because the canonical text (§1.4) prints every AND/OR in
 * parentheses.
 *
 * Nesting is bounded by LIM_SELECTOR_DEPTH, counted on entry to every
 * or_expr; a run of "!" is counted, not recursed, so it needs no limit.
 */
#include "analyze/policy/selector.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/policy/selector_int.h"
#include "common/arena.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

struct sel_parser {
    struct arena *a;           /* where the tree goes */
    const char *s;             /* the selector text (not NUL-terminated) */
    const struct sel_tok *tok; /* current token; never moves past EOF */
    unsigned depth;            /* or_expr levels entered */
    struct sel **stack;        /* operands of open AND/OR levels, malloc'd */
    size_t nstack, astack;
    struct sel_str *vals; /* members of the set being read, malloc'd */
    size_t nvals, avals;
    struct sel_error *err;
};

/* Binary operators by precedence, loosest first. */
static const struct {
    enum sel_tok_kind tok;
    enum sel_op op;
} sel_binops[] = {
    {SEL_TOK_OR, SEL_OR},   /* or_expr  := and_expr ( "||" and_expr )* */
    {SEL_TOK_AND, SEL_AND}, /* and_expr := operation ( "&&" operation )* */
};

static int parse_or_expr(struct sel_parser *p, struct sel **out);

static void parse_advance(struct sel_parser *p)
{
    if (p->tok->kind != SEL_TOK_EOF)
        p->tok++;
}

/* "token 'x'", "string 'x'" (in its own quotes) or "end of selector". */
static void parse_tok_desc(const struct sel_parser *p, const struct sel_tok *t, char *dst,
                           size_t size)
{
    char text[64];

    if (t->kind == SEL_TOK_EOF) {
        snprintf(dst, size, "end of selector");
        return;
    }
    sel_snippet(text, sizeof(text), p->s + t->start, t->len);
    if (t->kind == SEL_TOK_STRING)
        snprintf(dst, size, "string %s", text);
    else
        snprintf(dst, size, "token '%s'", text);
}

/* "unexpected <token>, expected <what>" at the token's column. */
static int parse_unexpected(struct sel_parser *p, const struct sel_tok *t, const char *what)
{
    char desc[80];

    parse_tok_desc(p, t, desc, sizeof(desc));
    sel_error_set(p->err, (size_t)t->start + 1, "unexpected %s, expected %s", desc, what);
    return ERR_PARSE;
}

/*
 * set := "{" [ STRING ( "," STRING )* [ "," ] ] "}"
 * Called on the token after IN / NOTIN.  A comma is only accepted after a
 * string, so "{,}" fails while "{'a',}" is fine (Calico's loop).
 */
static int parse_set(struct sel_parser *p, const struct sel_tok *label, enum sel_op op,
                     struct sel **out)
{
    size_t first = p->nvals;
    int after_string = 0;

    if (p->tok->kind != SEL_TOK_LBRACE)
        return parse_unexpected(p, p->tok, "'{' (a set literal)");
    parse_advance(p);
    while (p->tok->kind == SEL_TOK_STRING) {
        ALLOC_GROW(p->vals, p->nvals + 1, p->avals);
        p->vals[p->nvals].s = p->s + p->tok->vstart;
        p->vals[p->nvals].len = p->tok->vlen;
        p->nvals++;
        parse_advance(p);
        after_string = 1;
        if (p->tok->kind != SEL_TOK_COMMA)
            break;
        parse_advance(p);
        after_string = 0;
    }
    if (p->tok->kind != SEL_TOK_RBRACE) {
        p->nvals = first;
        return parse_unexpected(p, p->tok, after_string ? "',' or '}'" : "a string or '}'");
    }
    parse_advance(p);
    /* vals is NULL until the first member: no arithmetic on it before. */
    *out = sel_node_set(p->a, op, p->s + label->vstart, label->vlen,
                        p->nvals > first ? p->vals + first : NULL, p->nvals - first);
    p->nvals = first;
    return 0;
}

/*
 * LABEL ( "==" | "!=" | CONTAINS | STARTSWITH | ENDSWITH ) STRING
 * LABEL ( IN | NOTIN ) set
 * Called on the LABEL token.
 */
static int parse_comparison(struct sel_parser *p, struct sel **out)
{
    const struct sel_tok *label = p->tok;
    const struct sel_tok *optok;
    enum sel_op op;
    char name[64], what[96];

    parse_advance(p);
    optok = p->tok;
    switch (optok->kind) {
    case SEL_TOK_EQ:
        op = SEL_EQ;
        break;
    case SEL_TOK_NE:
        op = SEL_NE;
        break;
    case SEL_TOK_CONTAINS:
        op = SEL_CONTAINS;
        break;
    case SEL_TOK_STARTSWITH:
        op = SEL_STARTS;
        break;
    case SEL_TOK_ENDSWITH:
        op = SEL_ENDS;
        break;
    case SEL_TOK_IN:
        parse_advance(p);
        return parse_set(p, label, SEL_IN, out);
    case SEL_TOK_NOTIN:
        parse_advance(p);
        return parse_set(p, label, SEL_NOTIN, out);
    default:
        sel_snippet(name, sizeof(name), p->s + label->vstart, label->vlen);
        snprintf(what, sizeof(what), "an operator after '%s'", name);
        return parse_unexpected(p, optok, what);
    }
    parse_advance(p);
    if (p->tok->kind != SEL_TOK_STRING)
        return parse_unexpected(p, p->tok, "a quoted string");
    *out = sel_node_value(p->a, op, p->s + label->vstart, label->vlen, p->s + p->tok->vstart,
                          p->tok->vlen);
    parse_advance(p);
    return 0;
}

/*
 * operation := "!"* primary
 * primary   := HAS | ALL | GLOBAL | comparison | "(" or_expr ")"
 */
static int parse_operation(struct sel_parser *p, struct sel **out)
{
    int negated = 0;
    const struct sel_tok *open;
    struct sel *node = NULL;
    int rc = 0;

    while (p->tok->kind == SEL_TOK_NOT) {
        negated = !negated;
        parse_advance(p);
    }
    switch (p->tok->kind) {
    case SEL_TOK_HAS:
        node = sel_node_value(p->a, SEL_HAS, p->s + p->tok->vstart, p->tok->vlen, NULL, 0);
        parse_advance(p);
        break;
    case SEL_TOK_ALL:
        node = sel_node(p->a, SEL_ALL);
        parse_advance(p);
        break;
    case SEL_TOK_GLOBAL:
        node = sel_node(p->a, SEL_GLOBAL);
        parse_advance(p);
        break;
    case SEL_TOK_LABEL:
        rc = parse_comparison(p, &node);
        break;
    case SEL_TOK_LPAREN:
        open = p->tok;
        parse_advance(p);
        rc = parse_or_expr(p, &node);
        if (rc)
            return rc;
        if (p->tok->kind != SEL_TOK_RPAREN) {
            char what[64];

            snprintf(what, sizeof(what), "')' to close the '(' at column %u", open->start + 1);
            return parse_unexpected(p, p->tok, what);
        }
        parse_advance(p);
        break;
    default:
        return parse_unexpected(p, p->tok, "an expression");
    }
    if (rc)
        return rc;
    if (negated) {
        struct sel *n = sel_node(p->a, SEL_NOT);

        n->kids = arena_alloc(p->a, sizeof(*n->kids));
        n->kids[0] = node;
        n->n = 1;
        node = n;
    }
    *out = node;
    return 0;
}

/* expr at precedence level: operand ( sel_binops[level].tok operand )* */
static int parse_binary(struct sel_parser *p, size_t level, struct sel **out)
{
    size_t base = p->nstack;
    struct sel *node;
    int rc;

    for (;;) {
        if (level + 1 < ARRAY_SIZE(sel_binops))
            rc = parse_binary(p, level + 1, &node);
        else
            rc = parse_operation(p, &node);
        if (rc) {
            p->nstack = base;
            return rc;
        }
        ALLOC_GROW(p->stack, p->nstack + 1, p->astack);
        p->stack[p->nstack++] = node;
        if (p->tok->kind != sel_binops[level].tok)
            break;
        parse_advance(p);
    }
    if (p->nstack - base == 1)
        *out = p->stack[base];
    else
        *out = sel_node_list(p->a, sel_binops[level].op, p->stack + base, p->nstack - base);
    p->nstack = base;
    return 0;
}

/* or_expr, with the nesting check on entry. */
static int parse_or_expr(struct sel_parser *p, struct sel **out)
{
    int rc;

    if (p->depth >= LIM_SELECTOR_DEPTH) {
        /* Nested calls come right after a "(": blame that parenthesis. */
        const struct sel_tok *at = p->depth ? p->tok - 1 : p->tok;

        sel_error_set(p->err, (size_t)at->start + 1, "selector nested deeper than %d levels",
                      LIM_SELECTOR_DEPTH);
        return ERR_LIMIT;
    }
    p->depth++;
    rc = parse_binary(p, 0, out);
    p->depth--;
    return rc;
}

/* selector := EOF | or_expr EOF */
int sel_parse(struct arena *a, const char *s, size_t len, struct sel **out, struct sel_error *err)
{
    struct sel_toks toks;
    struct sel_parser p;
    struct sel *root = NULL;
    int rc;

    *out = NULL;
    err->col = 0;
    err->msg[0] = '\0';
    if (len > LIM_SELECTOR_LEN) {
        sel_error_set(err, (size_t)LIM_SELECTOR_LEN + 1, "selector longer than %d bytes",
                      LIM_SELECTOR_LEN);
        return ERR_LIMIT;
    }
    rc = sel_lex(s, len, &toks, err);
    if (rc)
        goto out_toks;
    if (toks.v[0].kind == SEL_TOK_EOF) {
        *out = sel_node(a, SEL_ALL);
        goto out_toks;
    }
    memset(&p, 0, sizeof(p));
    p.a = a;
    p.s = s;
    p.tok = toks.v;
    p.err = err;
    rc = parse_or_expr(&p, &root);
    if (!rc && p.tok->kind != SEL_TOK_EOF)
        rc = parse_unexpected(&p, p.tok, "'&&', '||' or the end");
    if (!rc)
        *out = root;
    free(p.stack);
    free(p.vals);
out_toks:
    sel_toks_release(&toks);
    return rc;
}
