/*
 * fuzz_ydoc.c: libFuzzer target for the YAML/JSON document tree
 * (common/ydoc.c over libyaml).
 *
 * For any input, ystream_load_mem() returns 0, ERR_PARSE or ERR_LIMIT; on
 * error it reported something and left nothing to release; on success every
 * node lies within the limits of common/limits.h (depth, scalar size, node
 * count), scalars are NUL-terminated at their length, positions are
 * 1-based, and the typed helpers answer without crashing on every node.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "common/limits.h"
#include "common/ydoc.h"
#include "common/compat.h"

struct walk {
    struct diag *d;
    const struct ystream *ys;
    size_t nodes;
};

static void walk_node(struct walk *w, const struct ynode *n, unsigned depth)
{
    const char *s;
    int64_t i;
    double x;
    int b;

    if (!n)
        return;
    w->nodes++;
    if (depth > LIM_YAML_DEPTH + 1)
        fuzz_fail("fuzz_ydoc", "tree deeper than LIM_YAML_DEPTH");
    if (n->line < 1 || n->col < 1)
        fuzz_fail("fuzz_ydoc", "position not 1-based");
    switch (n->kind) {
    case YNODE_SCALAR:
        if (!n->u.scalar.s || n->u.scalar.s[n->u.scalar.len] != '\0')
            fuzz_fail("fuzz_ydoc", "scalar not NUL-terminated at its length");
        if (n->u.scalar.len > LIM_YAML_SCALAR)
            fuzz_fail("fuzz_ydoc", "scalar longer than LIM_YAML_SCALAR");
        (void)ynode_is_null(n);
        (void)!ynode_str(w->d, w->ys, n, "x", &s);
        (void)!ynode_int(w->d, w->ys, n, "x", INT64_MIN, INT64_MAX, &i);
        (void)!ynode_int(w->d, w->ys, n, "x", 0, 65535, &i);
        (void)!ynode_double(w->d, w->ys, n, "x", &x);
        (void)!ynode_bool(w->d, w->ys, n, "x", &b);
        return;
    case YNODE_SEQ:
        (void)!ynode_expect(w->d, w->ys, n, YNODE_MAP, "x");
        for (size_t k = 0; k < n->u.seq.n; k++)
            walk_node(w, n->u.seq.items[k], depth + 1);
        return;
    case YNODE_MAP:
        for (size_t k = 0; k < n->u.map.n; k++) {
            const struct ypair *p = &n->u.map.pairs[k];

            if (!p->key || p->key->kind != YNODE_SCALAR)
                fuzz_fail("fuzz_ydoc", "mapping key not a scalar");
            /* Keys are unique, so looking one up finds this pair. */
            if (ynode_get(n, p->key->u.scalar.s) != p->value &&
                strlen(p->key->u.scalar.s) == p->key->u.scalar.len)
                fuzz_fail("fuzz_ydoc", "ynode_get does not find a key");
            walk_node(w, p->key, depth + 1);
            walk_node(w, p->value, depth + 1);
        }
        return;
    }
    fuzz_fail("fuzz_ydoc", "bad node kind");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ystream ys;
    struct diag d;
    struct walk w;
    int rc;

    fuzz_diag(&d);
    memset(&ys, 0, sizeof(ys));
    rc = ystream_load_mem(&ys, "fuzz.yaml", (const char *)data, size, &d);
    if (rc) {
        if (rc != ERR_PARSE && rc != ERR_LIMIT)
            fuzz_fail("fuzz_ydoc", "unexpected error code");
        if (d.errors == 0)
            fuzz_fail("fuzz_ydoc", "failed without a message");
        return 0;
    }
    w.d = &d;
    w.ys = &ys;
    w.nodes = 0;
    for (size_t i = 0; i < ys.ndocs; i++)
        walk_node(&w, ys.docs[i], 1);
    ystream_release(&ys);
    return 0;
}
