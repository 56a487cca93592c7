/*
 * selector.h: the Calico selector language, exactly as Calico parses and
 * evaluates it (../shared/reference/docs/semantics.md §1; Calico's
 * libcalico-go/lib/selector).
 *
 * A selector is parsed once into an AST held in a caller's arena and
 * evaluated against an endpoint's full label set: its own labels plus the
 * inherited pcns.* / pcsa.* ones and the projectcalico.org/<name> labels Calico
 * adds (the engine builds that set).
 */
#ifndef PODFLOW_ANALYZE_SELECTOR_H
#define PODFLOW_ANALYZE_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

struct arena;
struct buf;
struct labels;

struct sel; /* opaque AST, arena-owned */

struct sel_error {
    size_t col;    /* 1-based byte column of the fault in the selector text */
    char msg[128]; /* "unexpected token '=>', expected '=='": lower-case, no
                      full stop, bytes outside printable ASCII as \xNN */
};

/*
 * Parse s[0..len) (empty or whitespace-only means all()).  On success
 * *out is set and 0 returned; on error *out is NULL, and ERR_PARSE (or
 * ERR_LIMIT past LIM_SELECTOR_LEN / LIM_SELECTOR_DEPTH parenthesis levels
 * / LIM_LABEL_LEN) is returned with err filled.  s need not be
 * NUL-terminated; only SPACE and TAB count as blanks (a trailing newline
 * is an error, as in Calico).  The tree, with copies of every string, is
 * allocated in a (some of it is left there on error too).
 */
int sel_parse(struct arena *a, const char *s, size_t len, struct sel **out,
              struct sel_error *err) MUST_CHECK;

/* 1 when labels match the selector, else 0.  Allocates nothing. */
int sel_eval(const struct sel *sel, const struct labels *labels);

/* Calico's canonical String() form (§1.4) appended to out; 0 or ERR_LIMIT
 * when out is full.  The text parses back to the same tree, except that
 * Calico writes a NOT over a NOT ("!(!x)") as "!!x", which reads as x, and
 * that the parentheses it adds around AND/OR can pass LIM_SELECTOR_DEPTH. */
int sel_format(const struct sel *sel, struct buf *out) MUST_CHECK;

/* A copy of sel in a with every label name prefixed (§1.5: pcns., pcsa.);
 * all() and global() are kept, sel is unchanged. */
struct sel *sel_prefixed(struct arena *a, const struct sel *sel, const char *prefix);

/* Constructors for selectors the converters build, in a; strings are
 * copied, operands must not be NULL.  sel_and(x, y) is one AND of two, as
 * parsing "(x) && (y)" gives: an AND operand is not flattened into it. */
struct sel *sel_all(struct arena *a);
struct sel *sel_and(struct arena *a, struct sel *x, struct sel *y);
struct sel *sel_not(struct arena *a, struct sel *x);
struct sel *sel_has(struct arena *a, const char *key);
struct sel *sel_eq(struct arena *a, const char *key, const char *value);

/* 1 when the selector (anywhere) uses global() / is exactly all(). */
int sel_uses_global(const struct sel *sel);
int sel_is_all(const struct sel *sel);

/* The canonical text as a NUL-terminated copy in a (for traces and
 * messages); never NULL (cut at LIM_BUF_DEFAULT bytes, which no parsed
 * selector comes near). */
const char *sel_text(struct arena *a, const struct sel *sel);

#endif
