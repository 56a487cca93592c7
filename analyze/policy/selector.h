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

#endif
