/*
 * sel_lex.c: the selector tokenizer, byte for byte the language of Calico's
 * libcalico-go/lib/selector/tokenizer/tokenizer.go (docs/semantics.md
 * §1.1).
 *
 * Each byte is classified once through a 256-entry table (after SQLite's
 * tokenize.c); the class picks the branch.  The rules that are easy to get
 * subtly wrong, and why they are the way they are:
 *
 *  - Only SPACE and TAB separate tokens.  Calico trims nothing else, so a
 *    newline or CR (a YAML "|" block adds one) makes a selector invalid.
 *  - Operator words (contains, starts with, ends with, not in, in) exist
 *    only right after a LABEL token; anywhere else they are labels, which is
 *    why "contains contains 'contains'" is valid.  Each must end at a word
 *    boundary (end of input or a non-label byte); the two-word ones allow
 *    any run of spaces between the words, none included ("startswith").
 *  - has( / all( / global( are recognised by prefix at token start, the
 *    "(" immediately after the word; "has (x)" is the label "has" and a
 *    parenthesis, which the parser then rejects.
 *  - Quotes end at the next quote of the same kind: there are no escapes,
 *    so a string may hold any byte (a newline too) except its own quote.
 *  - A label is at most LIM_LABEL_LEN bytes (Calico's MaxLabelLength).
 *
 * Calico tokenizes the whole input before parsing, so a lexical error
 * anywhere wins over a syntax error earlier in the text; we do the same.
 */
#include "analyze/policy/selector_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

enum sel_cc {
    CC_BAD,    /* not valid outside a string literal */
    CC_SPACE,  /* SPACE, TAB */
    CC_LABEL,  /* a-z A-Z 0-9 _ . / - */
    CC_QUOTE,  /* " ' */
    CC_LPAREN, /* ( */
    CC_RPAREN, /* ) */
    CC_LBRACE, /* { */
    CC_RBRACE, /* } */
    CC_COMMA,  /* , */
    CC_EQ,     /* = */
    CC_BANG,   /* ! */
    CC_AMP,    /* & */
    CC_PIPE    /* | */
};

#define L CC_LABEL
static const unsigned char sel_class[256] = {
    [' '] = CC_SPACE,  ['\t'] = CC_SPACE, ['"'] = CC_QUOTE,  ['\''] = CC_QUOTE, ['('] = CC_LPAREN,
    [')'] = CC_RPAREN, ['{'] = CC_LBRACE, ['}'] = CC_RBRACE, [','] = CC_COMMA,  ['='] = CC_EQ,
    ['!'] = CC_BANG,   ['&'] = CC_AMP,    ['|'] = CC_PIPE,   ['_'] = L,         ['.'] = L,
    ['/'] = L,         ['-'] = L,         ['0'] = L,         ['1'] = L,         ['2'] = L,
    ['3'] = L,         ['4'] = L,         ['5'] = L,         ['6'] = L,         ['7'] = L,
    ['8'] = L,         ['9'] = L,         ['a'] = L,         ['b'] = L,         ['c'] = L,
    ['d'] = L,         ['e'] = L,         ['f'] = L,         ['g'] = L,         ['h'] = L,
    ['i'] = L,         ['j'] = L,         ['k'] = L,         ['l'] = L,         ['m'] = L,
    ['n'] = L,         ['o'] = L,         ['p'] = L,         ['q'] = L,         ['r'] = L,
    ['s'] = L,         ['t'] = L,         ['u'] = L,         ['v'] = L,         ['w'] = L,
    ['x'] = L,         ['y'] = L,         ['z'] = L,         ['A'] = L,         ['B'] = L,
    ['C'] = L,         ['D'] = L,         ['E'] = L,         ['F'] = L,         ['G'] = L,
    ['H'] = L,         ['I'] = L,         ['J'] = L,         ['K'] = L,         ['L'] = L,
    ['M'] = L,         ['N'] = L,         ['O'] = L,         ['P'] = L,         ['Q'] = L,
    ['R'] = L,         ['S'] = L,         ['T'] = L,         ['U'] = L,         ['V'] = L,
    ['W'] = L,         ['X'] = L,         ['Y'] = L,         ['Z'] = L,
};
#undef L

/*
 * Words with a meaning at one position, sorted by word for bsearch().  A
 * word whose entry has a second word must be followed (after optional
 * spaces) by exactly that word; "startswith" and "notin" are listed whole
 * because Calico accepts them with no space.  Since a match needs a word
 * boundary after it, comparing whole runs of label bytes is the same as
 * Calico's prefix-then-boundary test.
 */
struct sel_kw {
    const char *word;
    const char *second; /* NULL: one word */
    enum sel_tok_kind kind;
};

/* After a LABEL token. */
static const struct sel_kw sel_operators[] = {
    {"contains", NULL, SEL_TOK_CONTAINS},   {"ends", "with", SEL_TOK_ENDSWITH},
    {"endswith", NULL, SEL_TOK_ENDSWITH},   {"in", NULL, SEL_TOK_IN},
    {"not", "in", SEL_TOK_NOTIN},           {"notin", NULL, SEL_TOK_NOTIN},
    {"starts", "with", SEL_TOK_STARTSWITH}, {"startswith", NULL, SEL_TOK_STARTSWITH},
};

/* At token start elsewhere, when "(" follows the word at once. */
static const struct sel_kw sel_functions[] = {
    {"all", NULL, SEL_TOK_ALL},
    {"global", NULL, SEL_TOK_GLOBAL},
    {"has", NULL, SEL_TOK_HAS},
};

struct sel_word {
    const char *s;
    size_t len;
};

static int sel_kw_cmp(const void *key, const void *elem)
{
    const struct sel_word *w = key;
    const struct sel_kw *kw = elem;
    size_t kl = strlen(kw->word);
    int c = memcmp(w->s, kw->word, w->len < kl ? w->len : kl);

    if (c)
        return c;
    return (w->len > kl) - (w->len < kl);
}

static const struct sel_kw *sel_kw_find(const struct sel_kw *tab, size_t n, const char *s,
                                        size_t len)
{
    struct sel_word w = {s, len};

    return bsearch(&w, tab, n, sizeof(*tab), sel_kw_cmp);
}

/* Lexer state: the input, the position, the output. */
struct sel_lexer {
    const char *s;
    size_t len;
    size_t pos;
    struct sel_toks *toks;
    struct sel_error *err;
};

static size_t lex_skip_space(const struct sel_lexer *lx, size_t pos)
{
    while (pos < lx->len && sel_class[(unsigned char)lx->s[pos]] == CC_SPACE)
        pos++;
    return pos;
}

static size_t lex_label_run(const struct sel_lexer *lx, size_t pos)
{
    size_t end = pos;

    while (end < lx->len && sel_class[(unsigned char)lx->s[end]] == CC_LABEL)
        end++;
    return end - pos;
}

static void lex_push(struct sel_lexer *lx, enum sel_tok_kind kind, size_t start, size_t end,
                     size_t vstart, size_t vlen)
{
    struct sel_toks *t = lx->toks;
    struct sel_tok *tok;

    if (t->n == ARRAY_SIZE(t->local) && !t->alloc) {
        size_t alloc = 2 * ARRAY_SIZE(t->local);
        struct sel_tok *v = xreallocarray(NULL, alloc, sizeof(*v));

        memcpy(v, t->local, sizeof(t->local));
        t->v = v;
        t->alloc = alloc;
    } else if (t->alloc) {
        ALLOC_GROW(t->v, t->n + 1, t->alloc);
    }
    tok = &t->v[t->n++];
    tok->kind = kind;
    tok->start = (uint32_t)start;
    tok->len = (uint32_t)(end - start);
    tok->vstart = (uint32_t)vstart;
    tok->vlen = (uint32_t)vlen;
}

/* 1 for printable ASCII that is neither space, label nor quote. */
static int lex_is_punct(unsigned char c)
{
    int cc = sel_class[c];

    return c > 0x20 && c < 0x7f && cc != CC_LABEL && cc != CC_QUOTE;
}

/* The text to quote for an error at pos: a whole word, a run of punctuation
 * (so that "=>" is reported whole), a run of non-ASCII bytes (one UTF-8
 * character), or a single control byte. */
static void lex_bad_text(const struct sel_lexer *lx, size_t pos, char *dst, size_t size)
{
    unsigned char c = (unsigned char)lx->s[pos];
    size_t end = pos + 1;

    if (sel_class[c] == CC_LABEL) {
        end = pos + lex_label_run(lx, pos);
    } else if (c >= 0x80) {
        while (end < lx->len && end - pos < 4 && (unsigned char)lx->s[end] >= 0x80)
            end++;
    } else if (lex_is_punct(c)) {
        while (end < lx->len && end - pos < 8 && lex_is_punct((unsigned char)lx->s[end]))
            end++;
    }
    sel_snippet(dst, size, lx->s + pos, end - pos);
}

static int lex_error_at(struct sel_lexer *lx, size_t pos, const char *what)
{
    char text[64];

    lex_bad_text(lx, pos, text, sizeof(text));
    sel_error_set(lx->err, pos + 1, "unexpected token '%s'%s", text, what);
    return ERR_PARSE;
}

/* A label at pos: [a-zA-Z0-9_./-]{1,LIM_LABEL_LEN}; its length in *n. */
static int lex_label(struct sel_lexer *lx, size_t pos, size_t *n)
{
    *n = lex_label_run(lx, pos);
    if (*n == 0) {
        if (pos >= lx->len) {
            sel_error_set(lx->err, pos + 1, "unexpected end of selector, expected a label");
            return ERR_PARSE;
        }
        return lex_error_at(lx, pos, ", expected a label");
    }
    if (*n > LIM_LABEL_LEN) {
        sel_error_set(lx->err, pos + 1, "label longer than %d bytes", LIM_LABEL_LEN);
        return ERR_LIMIT;
    }
    return 0;
}

/*
 * operator := "contains" | "starts" ws* "with" | "ends" ws* "with"
 *           | "not" ws* "in" | "in"                 -- each then a boundary
 * Only called right after a LABEL token.
 */
static int lex_operator(struct sel_lexer *lx, const struct sel_tok *label)
{
    size_t start = lx->pos;
    size_t n = lex_label_run(lx, start);
    size_t end = start + n;
    const struct sel_kw *kw =
        sel_kw_find(sel_operators, ARRAY_SIZE(sel_operators), lx->s + start, n);
    char name[64];

    if (kw && kw->second) {
        size_t p2 = lex_skip_space(lx, end);
        size_t n2 = lex_label_run(lx, p2);

        if (n2 == strlen(kw->second) && !memcmp(lx->s + p2, kw->second, n2))
            end = p2 + n2;
        else
            kw = NULL;
    }
    if (!kw) {
        char text[64];

        sel_snippet(name, sizeof(name), lx->s + label->vstart, label->vlen);
        sel_snippet(text, sizeof(text), lx->s + start, n ? n : 1);
        sel_error_set(lx->err, start + 1, "unexpected token '%s', expected an operator after '%s'",
                      text, name);
        return ERR_PARSE;
    }
    lex_push(lx, kw->kind, start, end, 0, 0);
    lx->pos = end;
    return 0;
}

/*
 * function := "has(" ws* label ws* ")" | "all(" ws* ")" | "global(" ws* ")"
 * Called with the word before "(" already found in sel_functions.
 */
static int lex_function(struct sel_lexer *lx, const struct sel_kw *kw, size_t wordlen)
{
    size_t start = lx->pos;
    size_t p = lex_skip_space(lx, start + wordlen + 1);
    size_t vstart = 0, vlen = 0;
    int rc;

    if (kw->kind == SEL_TOK_HAS) {
        if (p < lx->len && lx->s[p] == ')') {
            sel_error_set(lx->err, p + 1, "has() needs a label name");
            return ERR_PARSE;
        }
        rc = lex_label(lx, p, &vlen);
        if (rc)
            return rc;
        vstart = p;
        p = lex_skip_space(lx, p + vlen);
    }
    if (p >= lx->len) {
        sel_error_set(lx->err, p + 1, "unexpected end of selector, expected ')' after '%s('",
                      kw->word);
        return ERR_PARSE;
    }
    if (lx->s[p] != ')')
        return lex_error_at(lx, p, ", expected ')'");
    lex_push(lx, kw->kind, start, p + 1, vstart, vlen);
    lx->pos = p + 1;
    return 0;
}

/* string := '"' [^"]* '"' | "'" [^']* "'" */
static int lex_string(struct sel_lexer *lx)
{
    size_t start = lx->pos;
    const char *close = memchr(lx->s + start + 1, lx->s[start], lx->len - start - 1);
    size_t end;

    if (!close) {
        char text[64];

        sel_snippet(text, sizeof(text), lx->s + start, lx->len - start);
        sel_error_set(lx->err, start + 1, "unterminated string %s", text);
        return ERR_PARSE;
    }
    end = (size_t)(close - lx->s);
    lex_push(lx, SEL_TOK_STRING, start, end + 1, start + 1, end - start - 1);
    lx->pos = end + 1;
    return 0;
}

/* A token of two equal bytes ("==", "&&", "||"); the lone byte is an error. */
static int lex_double(struct sel_lexer *lx, enum sel_tok_kind kind, const char *want)
{
    size_t p = lx->pos;
    char c = lx->s[p];

    if (p + 1 < lx->len && lx->s[p + 1] == c) {
        lex_push(lx, kind, p, p + 2, 0, 0);
        lx->pos = p + 2;
        return 0;
    }
    return lex_error_at(lx, p, want);
}

/* Punctuation of one byte. */
static int lex_single(struct sel_lexer *lx, enum sel_tok_kind kind)
{
    lex_push(lx, kind, lx->pos, lx->pos + 1, 0, 0);
    lx->pos++;
    return 0;
}

/* A token starting with a label byte: operator, function or label. */
static int lex_word(struct sel_lexer *lx)
{
    const struct sel_toks *t = lx->toks;
    const struct sel_tok *prev = t->n ? &t->v[t->n - 1] : NULL;
    size_t start = lx->pos;
    size_t n;
    const struct sel_kw *kw;
    int rc;

    if (prev && prev->kind == SEL_TOK_LABEL)
        return lex_operator(lx, prev);
    n = lex_label_run(lx, start);
    if (start + n < lx->len && lx->s[start + n] == '(') {
        kw = sel_kw_find(sel_functions, ARRAY_SIZE(sel_functions), lx->s + start, n);
        if (kw)
            return lex_function(lx, kw, n);
    }
    rc = lex_label(lx, start, &n);
    if (rc)
        return rc;
    lex_push(lx, SEL_TOK_LABEL, start, start + n, start, n);
    lx->pos = start + n;
    return 0;
}

static int lex_bad_byte(struct sel_lexer *lx)
{
    unsigned char c = (unsigned char)lx->s[lx->pos];

    if (c == '\n' || c == '\r') {
        sel_error_set(lx->err, lx->pos + 1,
                      "unexpected line break (only space and tab may separate tokens)");
        return ERR_PARSE;
    }
    return lex_error_at(lx, lx->pos, "");
}

static int lex_token(struct sel_lexer *lx)
{
    switch ((enum sel_cc)sel_class[(unsigned char)lx->s[lx->pos]]) {
    case CC_LPAREN:
        return lex_single(lx, SEL_TOK_LPAREN);
    case CC_RPAREN:
        return lex_single(lx, SEL_TOK_RPAREN);
    case CC_LBRACE:
        return lex_single(lx, SEL_TOK_LBRACE);
    case CC_RBRACE:
        return lex_single(lx, SEL_TOK_RBRACE);
    case CC_COMMA:
        return lex_single(lx, SEL_TOK_COMMA);
    case CC_QUOTE:
        return lex_string(lx);
    case CC_EQ:
        return lex_double(lx, SEL_TOK_EQ, ", expected '=='");
    case CC_AMP:
        return lex_double(lx, SEL_TOK_AND, ", expected '&&'");
    case CC_PIPE:
        return lex_double(lx, SEL_TOK_OR, ", expected '||'");
    case CC_BANG:
        if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '=') {
            lex_push(lx, SEL_TOK_NE, lx->pos, lx->pos + 2, 0, 0);
            lx->pos += 2;
            return 0;
        }
        return lex_single(lx, SEL_TOK_NOT);
    case CC_LABEL:
        return lex_word(lx);
    case CC_BAD:
        /* Calico reports these as a missing operator after a label, or a
         * missing identifier elsewhere: an error either way. */
        return lex_bad_byte(lx);
    case CC_SPACE:
        break;
    }
    return lex_bad_byte(lx); /* not reached: spaces were skipped */
}

void sel_toks_release(struct sel_toks *toks)
{
    if (toks->alloc)
        free(toks->v);
    toks->v = toks->local;
    toks->n = 0;
    toks->alloc = 0;
}

/* selector-text := ( ws* token )* ws* EOF */
int sel_lex(const char *s, size_t len, struct sel_toks *toks, struct sel_error *err)
{
    struct sel_lexer lx = {s, len, 0, toks, err};
    int rc;

    toks->v = toks->local;
    toks->n = 0;
    toks->alloc = 0;
    for (;;) {
        lx.pos = lex_skip_space(&lx, lx.pos);
        if (lx.pos >= len)
            break;
        rc = lex_token(&lx);
        if (rc)
            return rc;
    }
    lex_push(&lx, SEL_TOK_EOF, len, len, 0, 0);
    return 0;
}
