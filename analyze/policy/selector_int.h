/*
 * selector_int.h: layouts shared by the selector module's three files
 * (sel_lex.c tokenizes, sel_parse.c builds the AST, selector.c evaluates,
 * formats and copies it).  Nothing outside analyze/sel*.c and the
 * selector tests should include this.
 */
#ifndef PODFLOW_ANALYZE_SELECTOR_INT_H
#define PODFLOW_ANALYZE_SELECTOR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/policy/selector.h"
#include "common/attrs.h"

struct arena;

/* --- tokens (libcalico-go/lib/selector/tokenizer) ----------------------- */

enum sel_tok_kind {
    SEL_TOK_EOF,        /* end of input; always the last token */
    SEL_TOK_LABEL,      /* [a-zA-Z0-9_./-]{1,512} */
    SEL_TOK_STRING,     /* "..." or '...', no escapes */
    SEL_TOK_LBRACE,     /* { */
    SEL_TOK_RBRACE,     /* } */
    SEL_TOK_COMMA,      /* , */
    SEL_TOK_EQ,         /* == */
    SEL_TOK_NE,         /* != */
    SEL_TOK_IN,         /* in            (only right after a label) */
    SEL_TOK_NOT,        /* ! */
    SEL_TOK_NOTIN,      /* not in, notin (only right after a label) */
    SEL_TOK_CONTAINS,   /* contains      (only right after a label) */
    SEL_TOK_STARTSWITH, /* starts with   (only right after a label) */
    SEL_TOK_ENDSWITH,   /* ends with     (only right after a label) */
    SEL_TOK_ALL,        /* all( ) */
    SEL_TOK_HAS,        /* has( label ) */
    SEL_TOK_LPAREN,     /* ( */
    SEL_TOK_RPAREN,     /* ) */
    SEL_TOK_AND,        /* && */
    SEL_TOK_OR,         /* || */
    SEL_TOK_GLOBAL      /* global( ) */
};

/* Offsets fit in 32 bits because input is capped at LIM_SELECTOR_LEN. */
struct sel_tok {
    enum sel_tok_kind kind;
    uint32_t start;  /* byte offset of the token's first byte */
    uint32_t len;    /* bytes of source text the token covers */
    uint32_t vstart; /* LABEL, HAS: the label name; STRING: the contents */
    uint32_t vlen;
};

struct sel_toks {
    struct sel_tok *v;        /* local[] or malloc'd (owned when alloc > 0) */
    size_t n;                 /* tokens in v, the last one SEL_TOK_EOF */
    size_t alloc;             /* capacity of a malloc'd v, 0 while v == local */
    struct sel_tok local[64]; /* storage for the common short selector */
};

/*
 * Tokenize s[0..len) (len <= LIM_SELECTOR_LEN, checked by the caller) into
 * caller-owned toks (initialised here; release with sel_toks_release() on
 * success and failure alike).  0, or ERR_PARSE / ERR_LIMIT (a label longer
 * than LIM_LABEL_LEN) with err filled in.
 */
int sel_lex(const char *s, size_t len, struct sel_toks *toks, struct sel_error *err);
void sel_toks_release(struct sel_toks *toks);

/* --- AST (libcalico-go/lib/selector/parser/ast.go) ----------------------- */

enum sel_op {
    SEL_ALL,      /* all() */
    SEL_GLOBAL,   /* global() */
    SEL_HAS,      /* has(key) */
    SEL_EQ,       /* key == value */
    SEL_NE,       /* key != value */
    SEL_CONTAINS, /* key contains value */
    SEL_STARTS,   /* key starts with value */
    SEL_ENDS,     /* key ends with value */
    SEL_IN,       /* key in {set} */
    SEL_NOTIN,    /* key not in {set} */
    SEL_NOT,      /* !kids[0] */
    SEL_AND,      /* kids[0] && ... && kids[n-1], n >= 2 */
    SEL_OR        /* kids[0] || ... || kids[n-1], n >= 2 */
};

struct sel {
    enum sel_op op;
    const char *key;      /* label ops: arena, NUL-terminated; else NULL */
    struct sel_str value; /* EQ, NE, CONTAINS, STARTS, ENDS */
    struct sel_str *set;  /* IN, NOTIN: arena array sorted byte-wise, unique */
    struct sel **kids;    /* NOT: 1 operand; AND, OR: n operands (arena) */
    size_t n;             /* AND, OR: operands; IN, NOTIN: set members */
};

/* Nodes in arena a; strings are copied. */
struct sel *sel_node(struct arena *a, enum sel_op op);
struct sel *sel_node_value(struct arena *a, enum sel_op op, const char *key, size_t klen,
                           const char *value, size_t vlen);
/* IN / NOTIN over members[0..n) (copied, sorted and de-duplicated). */
struct sel *sel_node_set(struct arena *a, enum sel_op op, const char *key, size_t klen,
                         const struct sel_str *members, size_t n);
/* AND / OR over kids[0..n) (the array is copied; n >= 2). */
struct sel *sel_node_list(struct arena *a, enum sel_op op, struct sel *const *kids, size_t n);

/* Fill err: col is 1-based, the message is printf-formatted and truncated. */
void sel_error_set(struct sel_error *err, size_t col, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Quote s[0..len) for a message into dst: at most ~24 bytes of it, with
 * control and non-ASCII bytes as \n, \t, \xNN, and "..." when cut. */
void sel_snippet(char *dst, size_t size, const char *s, size_t len);

#endif
