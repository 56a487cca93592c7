/*
 * selector.c: the selector tree (libcalico-go/lib/selector/parser/ast.go):
 * construction, evaluation (docs/semantics.md §1.3), the canonical text
 * (§1.4) and label-prefix rewriting (§1.5).
 *
 * Evaluation runs once per (selector, label set) pair the engine has not
 * cached, so it allocates nothing: a label lookup is a binary search in the
 * sorted label array and a set membership test a binary search in the
 * sorted set.  Values are compared as bytes with their lengths, because a
 * quoted value may hold any byte but its quote (a NUL included), while label
 * values are C strings.
 */
#include "analyze/policy/selector.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/policy/selector_int.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/labels.h"
#include "common/compat.h"

/* --- construction --------------------------------------------------------- */

struct sel *sel_node(struct arena *a, enum sel_op op)
{
    struct sel *n = arena_calloc(a, 1, sizeof(*n));

    n->op = op;
    return n;
}

struct sel *sel_node_value(struct arena *a, enum sel_op op, const char *key, size_t klen,
                           const char *value, size_t vlen)
{
    struct sel *n = sel_node(a, op);

    n->key = arena_memdupz(a, key, klen);
    if (value) {
        n->value.s = arena_memdupz(a, value, vlen);
        n->value.len = vlen;
    }
    return n;
}

/* Go's string order: bytes, then length. */
static int sel_str_cmp(const char *x, size_t xlen, const char *y, size_t ylen)
{
    int c = memcmp(x, y, xlen < ylen ? xlen : ylen);

    if (c)
        return c;
    return (xlen > ylen) - (xlen < ylen);
}

static int sel_str_qsort_cmp(const void *x, const void *y)
{
    const struct sel_str *a = x, *b = y;

    return sel_str_cmp(a->s, a->len, b->s, b->len);
}

struct sel *sel_node_set(struct arena *a, enum sel_op op, const char *key, size_t klen,
                         const struct sel_str *members, size_t n)
{
    struct sel *node = sel_node(a, op);
    size_t i, out = 0;

    node->key = arena_memdupz(a, key, klen);
    if (!n)
        return node;
    node->set = arena_calloc(a, n, sizeof(*node->set));
    memcpy(node->set, members, n * sizeof(*members));
    /* ConvertToStringSetInPlace: sort, then drop repeats. */
    qsort(node->set, n, sizeof(*node->set), sel_str_qsort_cmp);
    for (i = 0; i < n; i++) {
        if (out && !sel_str_qsort_cmp(&node->set[out - 1], &node->set[i]))
            continue;
        node->set[out].s = arena_memdupz(a, node->set[i].s, node->set[i].len);
        node->set[out].len = node->set[i].len;
        out++;
    }
    node->n = out;
    return node;
}

struct sel *sel_node_list(struct arena *a, enum sel_op op, struct sel *const *kids, size_t n)
{
    struct sel *node = sel_node(a, op);

    assert(n >= 2);
    node->kids = arena_calloc(a, n, sizeof(*node->kids));
    memcpy(node->kids, kids, n * sizeof(*kids));
    node->n = n;
    return node;
}

/* --- evaluation ----------------------------------------------------------- */

size_t sel_needs(const struct sel *sel, struct sel_need *out, size_t max)
{
    size_t n = 0;

    if (!sel || !max)
        return 0;
    switch (sel->op) {
    case SEL_EQ:
        out[0].key = sel->key;
        out[0].vals = &sel->value;
        out[0].nvals = 1;
        return 1;
    case SEL_IN:
        /* key in {} matches nothing: no need to index it by. */
        if (!sel->n)
            return 0;
        out[0].key = sel->key;
        out[0].vals = sel->set;
        out[0].nvals = sel->n;
        return 1;
    case SEL_AND:
        /* Every operand must hold: what each requires, the set does. */
        for (size_t i = 0; i < sel->n && n < max; i++)
            n += sel_needs(sel->kids[i], out + n, max - n);
        return n;
    case SEL_ALL:
    case SEL_GLOBAL:
    case SEL_HAS:
    case SEL_NE:
    case SEL_CONTAINS:
    case SEL_STARTS:
    case SEL_ENDS:
    case SEL_NOTIN:
    case SEL_NOT:
    case SEL_OR:
        break;
    }
    return 0;
}

static int sel_set_contains(const struct sel *node, const char *v, size_t vlen)
{
    size_t lo = 0, hi = node->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = sel_str_cmp(v, vlen, node->set[mid].s, node->set[mid].len);

        if (!c)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

int sel_eval(const struct sel *sel, const struct labels *labels)
{
    const char *v;
    size_t vlen, i;

    switch (sel->op) {
    case SEL_ALL:
    case SEL_GLOBAL:
        return 1;
    case SEL_NOT:
        return !sel_eval(sel->kids[0], labels);
    case SEL_AND:
        for (i = 0; i < sel->n; i++)
            if (!sel_eval(sel->kids[i], labels))
                return 0;
        return 1;
    case SEL_OR:
        for (i = 0; i < sel->n; i++)
            if (sel_eval(sel->kids[i], labels))
                return 1;
        return 0;
    case SEL_HAS:
    case SEL_EQ:
    case SEL_NE:
    case SEL_CONTAINS:
    case SEL_STARTS:
    case SEL_ENDS:
    case SEL_IN:
    case SEL_NOTIN:
        break;
    }
    v = labels_get(labels, sel->key);
    if (!v) /* only the negative forms match a missing label */
        return sel->op == SEL_NE || sel->op == SEL_NOTIN;
    vlen = strlen(v);
    switch (sel->op) {
    case SEL_HAS:
        return 1;
    case SEL_EQ:
        return vlen == sel->value.len && !memcmp(v, sel->value.s, vlen);
    case SEL_NE:
        return !(vlen == sel->value.len && !memcmp(v, sel->value.s, vlen));
    case SEL_CONTAINS:
        return memmem(v, vlen, sel->value.s, sel->value.len) != NULL;
    case SEL_STARTS:
        return vlen >= sel->value.len && !memcmp(v, sel->value.s, sel->value.len);
    case SEL_ENDS:
        return vlen >= sel->value.len &&
               !memcmp(v + vlen - sel->value.len, sel->value.s, sel->value.len);
    case SEL_IN:
        return sel_set_contains(sel, v, vlen);
    case SEL_NOTIN:
        return !sel_set_contains(sel, v, vlen);
    case SEL_ALL:
    case SEL_GLOBAL:
    case SEL_NOT:
    case SEL_AND:
    case SEL_OR:
        break;
    }
    return 0; /* not reached */
}

/* --- canonical text ------------------------------------------------------- */

/* Where canonical text goes, and the first buffer error. */
struct sel_out {
    struct buf *buf;
    int rc;
};

static void out_add(struct sel_out *o, const char *s, size_t n)
{
    if (!o->rc)
        o->rc = buf_add(o->buf, s, n);
}

static void out_str(struct sel_out *o, const char *s)
{
    out_add(o, s, strlen(s));
}

/* ast.go appendLabelOpAndQuotedString: ' only when the value holds a ". */
static void out_quoted(struct sel_out *o, const struct sel_str *v)
{
    const char *q = memchr(v->s, '"', v->len) ? "'" : "\"";

    out_str(o, q);
    out_add(o, v->s, v->len);
    out_str(o, q);
}

static void sel_collect(const struct sel *sel, struct sel_out *o)
{
    static const char *const binop[] = {[SEL_EQ] = " == ",
                                        [SEL_NE] = " != ",
                                        [SEL_CONTAINS] = " contains ",
                                        [SEL_STARTS] = " starts with ",
                                        [SEL_ENDS] = " ends with "};
    size_t i;

    switch (sel->op) {
    case SEL_ALL:
        out_str(o, "all()");
        return;
    case SEL_GLOBAL:
        out_str(o, "global()");
        return;
    case SEL_HAS:
        out_str(o, "has(");
        out_str(o, sel->key);
        out_str(o, ")");
        return;
    case SEL_EQ:
    case SEL_NE:
    case SEL_CONTAINS:
    case SEL_STARTS:
    case SEL_ENDS:
        out_str(o, sel->key);
        out_str(o, binop[sel->op]);
        out_quoted(o, &sel->value);
        return;
    case SEL_IN:
    case SEL_NOTIN:
        out_str(o, sel->key);
        out_str(o, sel->op == SEL_IN ? " in {" : " not in {");
        for (i = 0; i < sel->n; i++) {
            if (i)
                out_str(o, ", ");
            out_quoted(o, &sel->set[i]);
        }
        out_str(o, "}");
        return;
    case SEL_NOT:
        out_str(o, "!");
        sel_collect(sel->kids[0], o);
        return;
    case SEL_AND:
    case SEL_OR:
        out_str(o, "(");
        for (i = 0; i < sel->n; i++) {
            if (i)
                out_str(o, sel->op == SEL_AND ? " && " : " || ");
            sel_collect(sel->kids[i], o);
        }
        out_str(o, ")");
        return;
    }
}

int sel_format(const struct sel *sel, struct buf *out)
{
    struct sel_out o = {out, 0};

    sel_collect(sel, &o);
    return o.rc;
}

/* --- rewriting ---------------------------------------------------------------- */

static const char *sel_prefix_key(struct arena *a, const char *prefix, size_t plen, const char *key)
{
    size_t klen = strlen(key);
    char *k = arena_alloc(a, plen + klen + 1);

    memcpy(k, prefix, plen);
    memcpy(k + plen, key, klen + 1);
    return k;
}

static struct sel *sel_copy_prefixed(struct arena *a, const struct sel *sel, const char *prefix,
                                     size_t plen)
{
    struct sel *n = sel_node(a, sel->op);
    size_t i;

    n->n = sel->n;
    switch (sel->op) {
    case SEL_ALL:
    case SEL_GLOBAL:
        break;
    case SEL_NOT:
    case SEL_AND:
    case SEL_OR:
        n->kids = arena_calloc(a, sel->n, sizeof(*n->kids));
        for (i = 0; i < sel->n; i++)
            n->kids[i] = sel_copy_prefixed(a, sel->kids[i], prefix, plen);
        break;
    case SEL_IN:
    case SEL_NOTIN:
        n->key = sel_prefix_key(a, prefix, plen, sel->key);
        if (sel->n)
            n->set = arena_calloc(a, sel->n, sizeof(*n->set));
        for (i = 0; i < sel->n; i++) {
            n->set[i].s = arena_memdupz(a, sel->set[i].s, sel->set[i].len);
            n->set[i].len = sel->set[i].len;
        }
        break;
    case SEL_HAS:
    case SEL_EQ:
    case SEL_NE:
    case SEL_CONTAINS:
    case SEL_STARTS:
    case SEL_ENDS:
        n->key = sel_prefix_key(a, prefix, plen, sel->key);
        if (sel->value.s) {
            n->value.s = arena_memdupz(a, sel->value.s, sel->value.len);
            n->value.len = sel->value.len;
        }
        break;
    }
    return n;
}

struct sel *sel_prefixed(struct arena *a, const struct sel *sel, const char *prefix)
{
    return sel_copy_prefixed(a, sel, prefix, strlen(prefix));
}

/* --- messages ----------------------------------------------------------------- */

void sel_error_set(struct sel_error *err, size_t col, const char *fmt, ...)
{
    va_list ap;

    err->col = col;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

void sel_snippet(char *dst, size_t size, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;
    size_t show = len > 24 ? 24 : len;

    if (!size)
        return;
    for (i = 0; i < show && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\n' || c == '\t' || c == '\r' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : '\\';
        } else if (c < 0x20 || c >= 0x7f) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        } else {
            dst[o++] = (char)c;
        }
    }
    if (i < len && o + 4 <= size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}
