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

/* A string value: may hold any byte but its own quote, NUL included. */
struct sel_str {
    const char *s; /* arena, NUL-terminated after len bytes */
    size_t len;
};

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

/*
 * A label that every set sel matches holds (sel_needs()): key with one of
 * vals[0..nvals) (all borrowed from the tree).
 */
struct sel_need {
    const char *key;
    const struct sel_str *vals;
    size_t nvals; /* >= 1 */
};

/*
 * The labels sel requires, for an index that spares evaluating it against
 * sets that lack them: its equalities and non-empty `in`s, alone or as
 * operands of a conjunction (at any depth of conjunctions; nothing under
 * a negation or a disjunction).  Writes up to max of them into out and
 * returns how many it wrote; 0 means none is known (all(), negations,
 * disjunctions), never that sel matches nothing.
 */
size_t sel_needs(const struct sel *sel, struct sel_need *out, size_t max);

/* Calico's canonical String() form (§1.4) appended to out; 0 or ERR_LIMIT
 * when out is full.  The text parses back to the same tree, except that
 * Calico writes a NOT over a NOT ("!(!x)") as "!!x", which reads as x, and
 * that the parentheses it adds around AND/OR can pass LIM_SELECTOR_DEPTH. */
int sel_format(const struct sel *sel, struct buf *out) MUST_CHECK;

/* A copy of sel in a with every label name prefixed (§1.5: pcns., pcsa.);
 * all() and global() are kept, sel is unchanged. */
struct sel *sel_prefixed(struct arena *a, const struct sel *sel, const char *prefix);

#endif
