/*
 * pol_crd.c: Calico's storage form (crd.projectcalico.org/v1, what kubectl
 * prints on a cluster without the Calico API server) read back into the
 * projectcalico.org/v3 form, as libcalico-go does for Felix
 * (docs/semantics.md §14).  The spec is the same type in both forms; only
 * the metadata differs:
 *
 *   - no 'projectcalico.org/metadata' annotation: the object is taken as it
 *     is (one applied straight to the CRD with kubectl);
 *   - otherwise the annotation (JSON ObjectMeta) gives the labels and
 *     annotations, merged over the CR's own (the annotation wins), and for
 *     the four policy kinds the v3 name; a policy whose annotation has no
 *     name and whose tier is "default" (or empty) loses a leading
 *     "default." (Calico v3.29-v3.31 stored default-tier policies so);
 *   - a Calico policy with no types reaches Felix with none, which Felix
 *     reads as Ingress and Egress (the v3 API would have defaulted them on
 *     write): the caller sets c->crd_form so that read_types() does so.
 */
#include "analyze/policy/pol_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/ydoc.h"
#include "common/compat.h"

#define CRD_META_ANNOTATION "projectcalico.org/metadata"

/* Every node of n at (line, col): nodes parsed from the annotation's JSON
 * are reported at the annotation itself. */
static void place(struct ynode *n, unsigned line, unsigned col, int depth)
{
    if (!n || depth > 64)
        return;
    n->line = line;
    n->col = col;
    if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->u.seq.n; i++)
            place(n->u.seq.items[i], line, col, depth + 1);
    } else if (n->kind == YNODE_MAP) {
        for (size_t i = 0; i < n->u.map.n; i++) {
            place(n->u.map.pairs[i].key, line, col, depth + 1);
            place(n->u.map.pairs[i].value, line, col, depth + 1);
        }
    }
}

static struct ynode *new_scalar(struct arena *a, const struct ynode *at, const char *s)
{
    struct ynode *n = arena_calloc(a, 1, sizeof(*n));

    n->kind = YNODE_SCALAR;
    n->line = at->line;
    n->col = at->col;
    n->u.scalar.s = arena_strdup(a, s);
    n->u.scalar.len = strlen(s);
    n->u.scalar.style = YSCALAR_QUOTED;
    return n;
}

/* A mapping with the pairs of base (keys skip_key left out), then those of
 * over replacing equal keys: Go's map merge, in a stable order. */
static struct ynode *merge_maps(struct arena *a, const struct ynode *at, const struct ynode *base,
                                const struct ynode *over, const char *skip_key)
{
    size_t nb = base && base->kind == YNODE_MAP ? base->u.map.n : 0;
    size_t no = over && over->kind == YNODE_MAP ? over->u.map.n : 0;
    struct ynode *m = arena_calloc(a, 1, sizeof(*m));

    m->kind = YNODE_MAP;
    m->line = base ? base->line : at->line;
    m->col = base ? base->col : at->col;
    m->u.map.pairs = arena_calloc(a, nb + no + 1, sizeof(*m->u.map.pairs));
    for (size_t i = 0; i < nb; i++) {
        const struct ypair *p = &base->u.map.pairs[i];

        if (skip_key && strcmp(p->key->u.scalar.s, skip_key) == 0)
            continue;
        if (no && ynode_get(over, p->key->u.scalar.s))
            continue;
        m->u.map.pairs[m->u.map.n++] = *p;
    }
    for (size_t i = 0; i < no; i++)
        m->u.map.pairs[m->u.map.n++] = over->u.map.pairs[i];
    return m;
}

static int is_policy_kind(const char *kind)
{
    return strcmp(kind, "NetworkPolicy") == 0 || strcmp(kind, "GlobalNetworkPolicy") == 0 ||
           strcmp(kind, "StagedNetworkPolicy") == 0 ||
           strcmp(kind, "StagedGlobalNetworkPolicy") == 0;
}

/* Parse the annotation's JSON into a tree in c's arena (placed at n), or
 * NULL after reporting. */
static struct ynode *parse_meta(struct pol_ctx *c, const struct ynode *n)
{
    struct ystream ys;
    struct diag qd;
    char *msgs = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&msgs, &len);
    struct ynode *out = NULL;
    int rc;

    if (!mf)
        abort(); /* out of memory: xmalloc's policy */
    diag_init(&qd, mf, "podflow-analyze");
    memset(&ys, 0, sizeof(ys));
    rc = ystream_load_mem(&ys, "annotation", n->u.scalar.s, n->u.scalar.len, &qd);
    fclose(mf);
    if (rc != 0 || ys.ndocs != 1 || !ys.docs[0] || ys.docs[0]->kind != YNODE_MAP) {
        char *nl = msgs ? strchr(msgs, '\n') : NULL;

        if (nl)
            *nl = '\0';
        pv_err(c, n, "annotation '%s' is not a JSON object (%s): Calico cannot read this object",
               CRD_META_ANNOTATION, msgs && *msgs ? msgs : "empty");
    } else {
        out = ynode_clone(c->a, ys.docs[0]);
        place(out, n->line, n->col, 0);
    }
    if (rc == 0)
        ystream_release(&ys);
    free(msgs);
    return out;
}

const struct ynode *pcrd_to_v3(struct pol_ctx *c, const struct ynode *doc, const char *kind)
{
    const struct ynode *meta = ynode_get(doc, "metadata");
    const struct ynode *ann = ynode_get(meta, "annotations");
    const struct ynode *mdn = ynode_get(ann, CRD_META_ANNOTATION);
    const struct ynode *md, *crname = ynode_get(meta, "name");
    const char *name = NULL, *s = NULL;
    struct ynode *nmeta, *ndoc;
    size_t k = 0;

    if (!mdn)
        return doc; /* §14: no annotation, no change */
    if (pv_str(c, mdn, "metadata.annotations." CRD_META_ANNOTATION, &s) != 0)
        return NULL;
    md = parse_meta(c, mdn);
    if (!md)
        return NULL;
    /* The name: the annotation's, else the CR's (a default-tier policy
     * without "default."). */
    if (is_policy_kind(kind) && pv_str(c, ynode_get(md, "name"), "annotation name", &s) == 0 && *s)
        name = s;
    if (!name && crname && crname->kind == YNODE_SCALAR) {
        const struct ynode *tier = ynode_get(ynode_get(doc, "spec"), "tier");
        const char *t = tier && tier->kind == YNODE_SCALAR ? tier->u.scalar.s : "";

        name = crname->u.scalar.s;
        if (is_policy_kind(kind) && (!*t || strcmp(t, "default") == 0) &&
            strncmp(name, "default.", 8) == 0)
            name += 8;
    }

    nmeta = arena_calloc(c->a, 1, sizeof(*nmeta));
    *nmeta = *meta;
    nmeta->u.map.pairs = arena_calloc(c->a, meta->u.map.n + 3, sizeof(*nmeta->u.map.pairs));
    for (size_t i = 0; i < meta->u.map.n; i++) {
        const char *key = meta->u.map.pairs[i].key->u.scalar.s;

        if (strcmp(key, "name") && strcmp(key, "labels") && strcmp(key, "annotations"))
            nmeta->u.map.pairs[k++] = meta->u.map.pairs[i];
    }
    if (name) {
        const struct ynode *at = crname ? crname : meta;

        nmeta->u.map.pairs[k].key = new_scalar(c->a, at, "name");
        nmeta->u.map.pairs[k++].value = new_scalar(c->a, at, name);
    }
    nmeta->u.map.pairs[k].key = new_scalar(c->a, meta, "labels");
    nmeta->u.map.pairs[k++].value =
        merge_maps(c->a, meta, ynode_get(meta, "labels"), ynode_get(md, "labels"), NULL);
    nmeta->u.map.pairs[k].key = new_scalar(c->a, meta, "annotations");
    nmeta->u.map.pairs[k++].value =
        merge_maps(c->a, meta, ann, ynode_get(md, "annotations"), CRD_META_ANNOTATION);
    nmeta->u.map.n = k;

    ndoc = arena_calloc(c->a, 1, sizeof(*ndoc));
    *ndoc = *doc;
    ndoc->u.map.pairs = arena_calloc(c->a, doc->u.map.n, sizeof(*ndoc->u.map.pairs));
    for (size_t i = 0; i < doc->u.map.n; i++) {
        ndoc->u.map.pairs[i] = doc->u.map.pairs[i];
        if (strcmp(doc->u.map.pairs[i].key->u.scalar.s, "metadata") == 0)
            ndoc->u.map.pairs[i].value = nmeta;
    }
    return ndoc;
}
