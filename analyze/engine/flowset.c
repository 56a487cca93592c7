/*
 * flowset.c: load a case and one or two policy sets, and judge every flow
 * under each, keeping the results for diff, report and the DOT graph.
 *
 * Flows are judged as check judges them (post-DNAT destination, the
 * Service as orig_dst), so all commands agree on every verdict.
 */
#include "analyze/engine/flowset.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "common/util.h"
#include "common/compat.h"

static const char *intern_state(struct flowset *fs, const char *s)
{
    static const char *const known[] = {"S0",   "S1",     "SF",    "REJ", "S2",  "S3",  "RSTO",
                                        "RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH", ""};
    size_t i;

    if (!s)
        return "";
    for (i = 0; i < ARRAY_SIZE(known); i++)
        if (strcmp(s, known[i]) == 0)
            return known[i];
    return arena_strdup(&fs->arena, s);
}

struct load_ctx {
    struct flowset *fs;
    const char *ns;
};

static int on_flow(void *ctx, const struct case_flow *fl)
{
    struct load_ctx *lc = ctx;
    struct flowset *fs = lc->fs;
    struct flowset_flow *f;
    struct eng_flow ef;
    int i;

    if (lc->ns && !((fl->src && fl->src->ns && strcmp(fl->src->ns, lc->ns) == 0) ||
                    (fl->dst && fl->dst->ns && strcmp(fl->dst->ns, lc->ns) == 0)))
        return 0;
    eng_flow_from_case(&ef, &fs->c, fl, NULL);

    ALLOC_GROW(fs->flows, fs->nflows + 1, fs->alloc);
    f = &fs->flows[fs->nflows++];
    memset(f, 0, sizeof(*f));
    f->id = fl->id;
    f->first_ns = fl->first_ns;
    f->last_ns = fl->last_ns;
    f->src = fl->src;
    f->dst = fl->dst;
    f->src_proc = fl->src_proc;
    f->dst_proc = fl->dst_proc;
    f->src_ip = fl->src_ip;
    f->dst_ip = fl->dst_ip;
    f->src_port = fl->src_port;
    f->dst_port = fl->dst_port;
    f->proto = fl->proto;
    f->state = intern_state(fs, fl->state);
    f->obs = observed_of_flow(fl);
    f->packets = i64_add_sat(fl->packets_fwd, fl->packets_rev);
    f->bytes = i64_add_sat(fl->bytes_fwd, fl->bytes_rev);
    f->ef = ef;
    for (i = 0; i < fs->nsets; i++)
        f->v[i] = engine_judge(fs->e[i], &ef);
    return 0;
}

int flowset_load(struct flowset *fs, const char *casepath, const struct flowset_opts *o,
                 struct diag *d)
{
    char *one[1];

    one[0] = (char *)casepath;
    return flowset_load_many(fs, one, 1, o, d);
}

int flowset_load_many(struct flowset *fs, char *const *cases, size_t ncases,
                      const struct flowset_opts *o, struct diag *d)
{
    struct case_filter none;
    struct load_ctx lc;
    int rc, i;

    memset(fs, 0, sizeof(*fs));
    memset(&none, 0, sizeof(none));
    fs->nsets = o->npaths[FS_OLD] ? 2 : 1;
    for (i = 0; i < fs->nsets; i++) {
        rc = policy_set_load(&fs->ps[i], o->paths[i], o->npaths[i], o->load_flags, d);
        if (rc) {
            if (i)
                policy_set_release(&fs->ps[0]);
            return rc;
        }
    }
    {
        struct case_opts co = {.skew_ns = CASE_SKEW_DEFAULT_NS, .strict = o->strict};

        rc = case_open_many(&fs->c, cases, ncases, &co, d);
    }
    if (rc) {
        for (i = 0; i < fs->nsets; i++)
            policy_set_release(&fs->ps[i]);
        return rc;
    }
    arena_init(&fs->arena, 0);
    for (i = 0; i < fs->nsets; i++) {
        fs->e[i] = engine_new(&fs->ps[i], fs->c.eps, fs->c.neps, o->eng_flags);
        engine_set_case(fs->e[i], &fs->c);
        engine_use_namespaces(fs->e[i], &fs->c);
    }
    lc.fs = fs;
    lc.ns = o->ns;
    rc = case_flows(&fs->c, o->filter ? o->filter : &none, on_flow, &lc, d);
    if (rc) {
        flowset_release(fs);
        return rc;
    }
    return 0;
}

int flowset_add_set(struct flowset *fs, const char *const *paths, size_t npaths,
                    unsigned load_flags, unsigned eng_flags, int *index, struct diag *d)
{
    int k = fs->nsets, rc;
    size_t i;

    if (k >= FS_MAX)
        return ERR_LIMIT;
    rc = policy_set_load(&fs->ps[k], paths, npaths, load_flags, d);
    if (rc)
        return rc;
    fs->e[k] = engine_new(&fs->ps[k], fs->c.eps, fs->c.neps, eng_flags);
    engine_set_case(fs->e[k], &fs->c);
    for (i = 0; i < fs->nflows; i++)
        fs->flows[i].v[k] = engine_judge(fs->e[k], &fs->flows[i].ef);
    fs->nsets = k + 1;
    *index = k;
    return 0;
}

const char *const flowset_class_names[FC_N] = {"would-break", "newly-denied",  "newly-unknown",
                                               "would-fix",   "newly-allowed", "decided-elsewhere"};

int flowset_classify(enum observed obs, const struct eng_verdict *o, const struct eng_verdict *n)
{
    if (flowset_same_decision(o, n))
        return -1;
    if (n->verdict == VERDICT_UNKNOWN)
        return FC_NEWLY_UNKNOWN;
    if (o->verdict != VERDICT_DENY && n->verdict == VERDICT_DENY)
        return obs == OBS_OK ? FC_WOULD_BREAK : FC_NEWLY_DENIED;
    if (o->verdict != VERDICT_ALLOW && n->verdict == VERDICT_ALLOW)
        return obs == OBS_FAILED ? FC_WOULD_FIX : FC_NEWLY_ALLOWED;
    return FC_ELSEWHERE;
}

void flowset_release(struct flowset *fs)
{
    int i;

    for (i = 0; i < fs->nsets; i++) {
        engine_free(&fs->e[i]);
        policy_set_release(&fs->ps[i]);
    }
    free(fs->flows);
    arena_release(&fs->arena);
    case_close(&fs->c);
    memset(fs, 0, sizeof(*fs));
}

void flowset_node_of(const struct case_ep *ep, struct flowset_node *out)
{
    memset(out, 0, sizeof(*out));
    if (!ep) {
        out->kind = "external";
        return;
    }
    switch (ep->kind) {
    case EP_POD:
        out->kind = "pod";
        out->ns = ep->ns ? ep->ns : "";
        out->name = ep->workload ? ep->workload : ep->name ? ep->name : ep->ip_text;
        return;
    case EP_SERVICE:
        out->kind = "service";
        out->ns = ep->ns ? ep->ns : "";
        out->name = ep->name ? ep->name : ep->ip_text;
        return;
    case EP_HOST:
        out->kind = "host";
        return;
    case EP_EXTERNAL:
        out->kind = "external";
        return;
    }
}

int flowset_same_decision(const struct eng_verdict *a, const struct eng_verdict *b)
{
    const struct eng_dir *da, *db;

    if (a->verdict != b->verdict || a->decided_dir != b->decided_dir)
        return 0;
    if (a->verdict == VERDICT_UNKNOWN)
        return a->unknown == b->unknown;
    da = eng_decided(a);
    db = eng_decided(b);
    if (!da || !db)
        return !da && !db;
    if (da->reason != db->reason || da->dec.rule != db->dec.rule ||
        da->dec.action != db->dec.action)
        return 0;
    /* Two policy sets are two arenas: compare by name, not pointer. */
    if (!da->dec.tier != !db->dec.tier || !da->dec.pol != !db->dec.pol)
        return 0;
    if (da->dec.tier && strcmp(da->dec.tier->name, db->dec.tier->name) != 0)
        return 0;
    if (da->dec.pol &&
        (da->dec.pol->kind != db->dec.pol->kind || strcmp(da->dec.pol->name, db->dec.pol->name) ||
         strcmp(da->dec.pol->ns ? da->dec.pol->ns : "", db->dec.pol->ns ? db->dec.pol->ns : "")))
        return 0;
    if (!da->dec.profile != !db->dec.profile ||
        (da->dec.profile && strcmp(da->dec.profile, db->dec.profile) != 0))
        return 0;
    if (da->reason == REASON_TO_HOST && da->to_host != db->to_host)
        return 0;
    return 1;
}

int flowset_decider_text(const struct eng_verdict *v, struct buf *out)
{
    return eng_decider_text(v, 1, out);
}
