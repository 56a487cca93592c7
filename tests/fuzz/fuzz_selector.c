/*
 * fuzz_selector.c: libFuzzer target for the selector parser
 * (analyze/sel_lex.c, sel_parse.c, selector.c).
 *
 * For any input:
 *   - sel_parse() returns 0, ERR_PARSE or ERR_LIMIT; on error the column
 *     lies inside the text (or just past it) and there is a message;
 *   - the canonical text parses again (unless its added parentheses pass
 *     LIM_SELECTOR_DEPTH) and prints the same, unless the tree holds a NOT
 *     directly over a NOT (Calico prints !(!x) as "!!x", which reads back
 *     as x); the reparsed tree never holds one;
 *   - the reparsed tree evaluates like the first on label sets built from
 *     the selector's own keys and values, and the tree prefixed with "p/"
 *     evaluates on the prefixed set like the tree on the plain one.
 * Any violation aborts.
 *
 * Build by hand until `make fuzz` exists (clang 14 or later):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I. \
 *     tests/fuzz/fuzz_selector.c analyze/sel_lex.c analyze/sel_parse.c \
 *     analyze/selector.c common/arena.c common/buf.c common/labels.c \
 *     common/json.c common/xmalloc.c common/err.c -o fuzz_selector
 *   ./fuzz_selector -dict=tests/fuzz/selector.dict NEW_DIR tests/fuzz/corpus/selector
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/policy/selector.h"
#include "analyze/policy/selector_int.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/labels.h"
#include "common/limits.h"
#include "common/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_KEYS   8
#define FUZZ_VALUES 6
#define FUZZ_TRIALS 12
#define FUZZ_PREFIX "p/"

/* Keys the selector tests and values worth trying for each. */
struct fuzz_key {
    const char *key;
    const char *values[FUZZ_VALUES];
    size_t nvalues;
};

struct fuzz_keys {
    struct fuzz_key k[FUZZ_KEYS];
    size_t n;
};

static void fuzz_fail(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_selector: %s\n  [%s]\n  [%s]\n", what, a ? a : "", b ? b : "");
    abort();
}

static struct fuzz_key *keys_add(struct fuzz_keys *ks, const char *key)
{
    for (size_t i = 0; i < ks->n; i++)
        if (!strcmp(ks->k[i].key, key))
            return &ks->k[i];
    if (ks->n == FUZZ_KEYS)
        return NULL;
    ks->k[ks->n].key = key;
    ks->k[ks->n].nvalues = 0;
    return &ks->k[ks->n++];
}

static void key_value(struct fuzz_key *k, const char *v)
{
    if (k && k->nvalues < FUZZ_VALUES)
        k->values[k->nvalues++] = v;
}

static void collect(const struct sel *s, struct fuzz_keys *ks, struct arena *a)
{
    struct fuzz_key *k;

    switch (s->op) {
    case SEL_ALL:
    case SEL_GLOBAL:
        return;
    case SEL_NOT:
    case SEL_AND:
    case SEL_OR:
        for (size_t i = 0; i < s->n; i++)
            collect(s->kids[i], ks, a);
        return;
    case SEL_HAS:
        keys_add(ks, s->key);
        return;
    case SEL_IN:
    case SEL_NOTIN:
        k = keys_add(ks, s->key);
        for (size_t i = 0; i < s->n && i < 2; i++)
            key_value(k, s->set[i].s);
        return;
    case SEL_EQ:
    case SEL_NE:
    case SEL_CONTAINS:
    case SEL_STARTS:
    case SEL_ENDS:
        k = keys_add(ks, s->key);
        key_value(k, s->value.s);
        /* near misses: one byte longer on each side, one byte shorter */
        if (k && s->value.len < 64) {
            char *v = arena_alloc(a, s->value.len + 3);

            v[0] = 'x';
            memcpy(v + 1, s->value.s, s->value.len);
            v[s->value.len + 1] = 'y';
            v[s->value.len + 2] = '\0';
            key_value(k, v);
            key_value(k, v + 1);
            if (s->value.len)
                key_value(k, arena_memdupz(a, s->value.s, s->value.len - 1));
        }
        return;
    }
}

/* 1 when global() appears anywhere in the tree. */
static int uses_global(const struct sel *s)
{
    if (s->op == SEL_GLOBAL)
        return 1;
    if (s->op == SEL_NOT || s->op == SEL_AND || s->op == SEL_OR)
        for (size_t i = 0; i < s->n; i++)
            if (uses_global(s->kids[i]))
                return 1;
    return 0;
}

/* 1 when a NOT sits directly on a NOT somewhere (the one shape whose
 * canonical text reads back as a different tree). */
static int has_double_not(const struct sel *s)
{
    if (s->op == SEL_NOT && s->kids[0]->op == SEL_NOT)
        return 1;
    if (s->op == SEL_NOT || s->op == SEL_AND || s->op == SEL_OR)
        for (size_t i = 0; i < s->n; i++)
            if (has_double_not(s->kids[i]))
                return 1;
    return 0;
}

static void format_or_die(const struct sel *s, struct buf *b)
{
    buf_reset(b);
    if (sel_format(s, b))
        fuzz_fail("sel_format failed", NULL, NULL);
}

/* Build label set number t: each key absent, empty, or one of its values. */
static void build_labels(const struct fuzz_keys *ks, unsigned t, struct labels *plain,
                         struct labels *prefixed, struct buf *scratch)
{
    uint32_t h = 2166136261u ^ t;

    labels_init(plain);
    labels_init(prefixed);
    for (size_t i = 0; i < ks->n; i++) {
        const struct fuzz_key *k = &ks->k[i];
        size_t choice;
        const char *v;

        h = (h ^ (uint32_t)i) * 16777619u;
        choice = t == 0 ? 0 : (h >> 8) % (k->nvalues + 2);
        if (choice == 0)
            continue;
        v = choice == 1 ? "" : k->values[choice - 2];
        /* Keys past LIM_LABEL_KEY cannot be labels: leave them absent in
         * both sets so the two evaluations still agree. */
        buf_reset(scratch);
        if (buf_addstr(scratch, FUZZ_PREFIX) || buf_addstr(scratch, k->key))
            continue;
        if (labels_set(prefixed, scratch->data, v))
            continue;
        if (labels_set(plain, k->key, v))
            labels_del(prefixed, scratch->data);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    struct sel *s1 = NULL, *s2 = NULL, *sp;
    struct sel_error err;
    struct buf f1, f2, scratch;
    struct fuzz_keys ks = {.n = 0};
    int rc;

    arena_init(&a, 0);
    buf_init(&f1, 0);
    buf_init(&f2, 0);
    buf_init(&scratch, 0);

    rc = sel_parse(&a, (const char *)data, size, &s1, &err);
    if (rc) {
        if (rc != ERR_PARSE && rc != ERR_LIMIT)
            fuzz_fail("unexpected error code", err.msg, NULL);
        if (s1 || !err.msg[0] || err.col < 1 ||
            (err.col > size + 1 && err.col != (size_t)LIM_SELECTOR_LEN + 1))
            fuzz_fail("bad error report", err.msg, NULL);
        goto out;
    }
    if (!s1)
        fuzz_fail("no tree", NULL, NULL);

    /* The canonical text reads back; repeated, it is a fixed point. */
    format_or_die(s1, &f1);
    rc = sel_parse(&a, f1.data, f1.len, &s2, &err);
    if (rc == ERR_LIMIT)
        goto out; /* printing adds spaces and (a && b) parentheses */
    if (rc)
        fuzz_fail("canonical text does not parse", f1.data, err.msg);
    format_or_die(s2, &f2);
    if (!has_double_not(s1)) {
        if (f1.len != f2.len || memcmp(f1.data, f2.data, f1.len))
            fuzz_fail("canonical text is not a fixed point", f1.data, f2.data);
    }
    /* Printed "!" runs collapse by parity, so no NOT sits on a NOT now. */
    if (has_double_not(s2))
        fuzz_fail("double negation survived printing", f1.data, f2.data);
    if (uses_global(s1) != uses_global(s2))
        fuzz_fail("global() lost", f1.data, f2.data);

    /* Same verdicts before and after printing, and after prefixing. */
    sp = sel_prefixed(&a, s1, FUZZ_PREFIX);
    collect(s1, &ks, &a);
    for (unsigned t = 0; t < FUZZ_TRIALS; t++) {
        struct labels plain, prefixed;
        int r1, r2, rp;

        build_labels(&ks, t, &plain, &prefixed, &scratch);
        r1 = sel_eval(s1, &plain);
        r2 = sel_eval(s2, &plain);
        rp = sel_eval(sp, &prefixed);
        labels_release(&plain);
        labels_release(&prefixed);
        if (r1 != r2)
            fuzz_fail("canonical text evaluates differently", f1.data, f2.data);
        if (r1 != rp)
            fuzz_fail("prefixed tree evaluates differently", f1.data, NULL);
    }

out:
    buf_release(&f1);
    buf_release(&f2);
    buf_release(&scratch);
    arena_release(&a);
    return 0;
}
