/*
 * engine.c: Calico's policy evaluation, replayed offline.
 *
 * The model (docs/semantics.md): a flow from S to D is judged as egress
 * at S when S is a workload (pod), and independently as ingress at D when
 * D is a pod; both must allow (§5).  A side that is not a pod imposes
 * nothing.  Each end walks the tiers in order; in a tier, the policies
 * that select the endpoint for that direction (effective selector on the
 * endpoint's Calico labels, §2.1, §1.6) in policy order; in a policy, the
 * rules in order (§3.3).  Allow and Deny decide, Pass leaves the tier, Log
 * goes on.  A tier that some enforced policy made apply and that did not
 * decide ends in its default action: Deny (the end-of-tier deny) or Pass.
 * Past every tier, a pod's kns.<ns> profile allows (§1.6).
 *
 * Rule peers are matched as Felix's IP sets do (§2.3): an address matches
 * a selector only when it belongs to a known endpoint (here: a pod at the
 * flow's time) or a network set whose labels match; no selector means any
 * address.
 *
 * Caches: label sets are interned, and each keeps a byte per distinct
 * selector (unknown / no / yes) and its applicable-policy lists per
 * direction; verdicts are kept per tuple (identities, protocol, ports and
 * ICMP type), the source port only when some rule looks at source ports.
 */
#include "analyze/engine/engine.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/engine/hostep.h"
#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/err.h"
#include "common/labels.h"
#include "common/limits.h"
#include "common/polnets.h"
#include "common/pseudo.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* ---- label sets and selectors ------------------------------------------ */

struct eng_pol;

/* Which of a policy set's lists an evaluation walks (§5, §17.4): Felix
 * programs a workload's and a host endpoint's own traffic with the normal
 * policies, traffic forwarded through a host endpoint with the
 * applyOnForward ones, and the preDNAT and doNotTrack ones in chains of
 * their own. */
enum eng_class { CL_NORMAL, CL_FORWARD, CL_PREDNAT, CL_UNTRACKED, CL_N };

/* The most chains one end passes (§17.4): see engine_new(). */
#define ENG_STAGES_MAX 5

/* Policies that apply to one label set in one direction, tier by tier. */
struct eng_app {
    int done;
    struct eng_pol **v; /* malloc'd */
    size_t n;
};

struct eng_lset {
    const struct labels *l;      /* borrowed (case endpoint or netset) */
    uint8_t *res;                /* per selector id: 0 unknown, 1 no, 2 yes (malloc'd) */
    struct eng_app app[CL_N][2]; /* per class: [0] ingress, [1] egress */
    uint32_t *cand;              /* the policies whose selector it may match, in order
                                    (lset_cands()) (malloc'd) */
    size_t ncand;
    int cand_done;
};

/* One label value the selectors of some policies require (sel_needs()):
 * the index that spares a label set the selectors it cannot match. */
struct eng_need {
    const char *key, *val; /* borrowed from a selector's tree */
    size_t vlen;
    size_t count;   /* policies that could be listed under it (first pass) */
    uint32_t *pols; /* the policies listed under it, increasing (malloc'd) */
    size_t npols, pols_alloc;
};

/* Requirements of one selector the index considers. */
#define ENG_NEEDS_MAX 8

struct eng_pol {
    const struct policy *p;
    size_t tier;           /* index into ps->tiers */
    int selid;             /* effective selector, -1 none (all) */
    int *ids[2];           /* per direction: 4 ids per rule: src sel, src notsel,
                              dst sel, dst notsel (-1 none) (malloc'd) */
    int eligible[CL_N][2]; /* can ever apply for that class and direction */
    uint8_t *red[2];       /* a redacted case, per direction and rule: bit 1 << SIDE_SRC or
                              SIDE_DST when that entity names an external CIDR not kept
                              (engine_entity_redacted()), or NULL (malloc'd) */
};

/* What a verdict depends on.  Endpoints are named by their index in the
 * case (+1; 0 for none), which fixes their address too; the addresses are
 * in the key for the ends no endpoint holds.  Its head (up to sip) is 32
 * bytes without padding, hashed and compared as such; the addresses are
 * zero but for an end without an index, and hashed only then
 * (key_hash()).  64 bytes, so that a cached entry's key and its
 * verdict's first fields share a cache line. */
struct eng_key {
    uint32_t sid, did, oid;
    uint16_t sport, dport;
    int16_t itype, icode;
    uint8_t proto, sfam, dfam, pad;
    uint32_t epoch; /* case_svc_epoch() when some rule has services, else 0 */
    uint32_t seen;  /* where the flow met nodes' own interfaces (interned), when some host
                       endpoint is interface-specific (§17.3), else 0 */
    uint8_t sip[16], dip[16];
};

/* A cached verdict with its key (arena, 64-byte aligned: the key and the
 * verdict's first fields share a cache line). */
struct eng_centry {
    _Alignas(64) struct eng_key key;
    struct eng_verdict v;
};

/* Cached entries, numbered for the cache's table, live in chunks of
 * ENG_CHUNK (arena): an entry never moves (verdicts are handed out by
 * pointer), and the chunk list is small enough to stay in cache. */
#define ENG_CHUNK_SHIFT 8
#define ENG_CHUNK       ((size_t)1 << ENG_CHUNK_SHIFT)

/* A cached verdict of a flow judged through a Service's backends (§12),
 * keyed by the source, the Service port and the backend set (arena). */
struct eng_sventry {
    size_t klen;
    unsigned char *key;
    struct eng_verdict v;
};

struct engine {
    const struct policy_set *ps;
    const struct case_ep *eps;
    size_t neps;
    const struct case_ep *eps_end; /* eps + neps (eps when NULL) */
    const struct case_db *c;       /* the case, for Services and pod networks, or NULL */
    unsigned flags;
    struct arena arena; /* verdicts, traces, explanations */

    const struct sel **sels; /* distinct selectors, by id (malloc'd) */
    char **sel_texts;        /* their canonical text (malloc'd) */
    size_t nsels, sels_alloc;
    struct htab selmap; /* hash of the text -> id */

    struct eng_lset **lsets; /* interned (malloc'd) */
    size_t nlsets, lsets_alloc;
    struct htab lsmap; /* labels_hash() -> lset id */
    int *ep_lsid;      /* per case endpoint (pods), -1 otherwise */
    uint32_t *twin;    /* per case endpoint: the first one no verdict can tell from it
                          (ep_twins()), itself if none; NULL until the first judge (malloc'd) */
    int *netset_lsid;
    struct labels *netset_labels; /* per network set with inherited labels, once
                                     engine_use_namespaces() ran (malloc'd), or NULL */
    int *hep_lsid;                /* per host endpoint of the set */
    int hep_specific;             /* some host endpoint is not an all-interfaces one */

    char **seen_keys; /* interned eng_flow.seen texts, by id - 1 (malloc'd) */
    size_t nseen, seen_alloc;
    struct htab seenmap; /* hash of the text -> id - 1 */

    struct eng_pol *pols; /* in tier order, policy order */
    size_t npols;
    /* The policies by a label value their selector requires (need_index()),
     * and those no value indexes (no selector, or none it requires). */
    struct eng_need *needs; /* (malloc'd) */
    size_t nneeds, needs_alloc;
    struct htab needmap; /* need_hash() -> needs index */
    uint32_t *pols_free; /* increasing (malloc'd) */
    size_t npols_free;
    uint8_t *cand_mark; /* scratch, per policy (malloc'd) */

    int key_sport; /* some rule looks at source ports */
    int has_staged;
    int has_svc_rules; /* some rule has services: verdicts depend on the slices in force */
    int red_ready;     /* eng_pol.red computed (a redacted case) */

    struct eng_sventry **svents; /* judged through backends, by number (malloc'd) */
    size_t nsvents, svents_alloc;
    struct htab svmap; /* hash of the key -> svents number */

    struct htab cache;           /* hash of the key -> cached entry number */
    struct eng_centry **cchunks; /* ENG_CHUNK entries each (arena) (malloc'd) */
    size_t ncentries, cchunks_alloc;

    struct eng_step *steps_scratch; /* a trace being built: ntiers + 2 entries */
    uint32_t *members;              /* scratch: lset ids of an address */
    size_t members_alloc;

    struct eng_stats stats;
};

/* Register a selector, sharing ids between selectors of the same canonical
 * text so that their results are computed once per label set. */
static int sel_id(struct engine *e, const struct sel *s)
{
    struct buf b;
    struct htab_iter it;
    uint64_t h;
    uint32_t id;

    if (!s)
        return -1;
    buf_init(&b, 0);
    if (sel_format(s, &b)) {
        /* Too long to print: give it an id of its own. */
        buf_release(&b);
        ALLOC_GROW(e->sels, e->nsels + 1, e->sels_alloc);
        e->sel_texts = xreallocarray(e->sel_texts, e->sels_alloc, sizeof(*e->sel_texts));
        e->sels[e->nsels] = s;
        e->sel_texts[e->nsels] = NULL;
        return (int)e->nsels++;
    }
    h = hash_bytes(b.data, b.len, 0);
    for (id = htab_first(&e->selmap, h, &it); id != HTAB_NONE; id = htab_next(&e->selmap, &it)) {
        if (strcmp(e->sel_texts[id], b.data) == 0) {
            buf_release(&b);
            return (int)id;
        }
    }
    ALLOC_GROW(e->sels, e->nsels + 1, e->sels_alloc);
    e->sel_texts = xreallocarray(e->sel_texts, e->sels_alloc, sizeof(*e->sel_texts));
    e->sels[e->nsels] = s;
    e->sel_texts[e->nsels] = buf_detach(&b, NULL);
    htab_add(&e->selmap, h, (uint32_t)e->nsels);
    return (int)e->nsels++;
}

static int lset_intern(struct engine *e, const struct labels *l)
{
    uint64_t h = labels_hash(l, 0);
    struct htab_iter it;
    struct eng_lset *ls;
    uint32_t id;

    for (id = htab_first(&e->lsmap, h, &it); id != HTAB_NONE; id = htab_next(&e->lsmap, &it))
        if (labels_cmp(e->lsets[id]->l, l) == 0)
            return (int)id;
    ls = xcalloc(1, sizeof(*ls));
    ls->l = l;
    ALLOC_GROW(e->lsets, e->nlsets + 1, e->lsets_alloc);
    e->lsets[e->nlsets] = ls;
    htab_add(&e->lsmap, h, (uint32_t)e->nlsets);
    e->stats.label_sets++;
    return (int)e->nlsets++;
}

/* The label set of a pod (its Calico labels), or -1 for other kinds. */
static int ep_lsid(struct engine *e, const struct case_ep *ep)
{
    if (!ep || ep->kind != EP_POD)
        return -1;
    if (e->eps && ep >= e->eps && ep < e->eps + e->neps) {
        size_t k = (size_t)(ep - e->eps);

        if (e->ep_lsid[k] < 0)
            e->ep_lsid[k] = lset_intern(e, &ep->calico);
        return e->ep_lsid[k];
    }
    return lset_intern(e, &ep->calico);
}

static int lset_match(struct engine *e, int lsid, int selid)
{
    struct eng_lset *ls = e->lsets[lsid];

    if (selid < 0)
        return 1;
    if (!ls->res)
        ls->res = xcalloc(e->nsels ? e->nsels : 1, 1);
    if (!ls->res[selid])
        ls->res[selid] = sel_eval(e->sels[selid], ls->l) ? 2 : 1;
    return ls->res[selid] == 2;
}

/* ---- which policies a label set may be selected by ---------------------- */

static uint64_t need_hash(const char *key, const char *val, size_t vlen)
{
    return hash_bytes(val, vlen, hash_str(key, 0));
}

/* The index entry of key = val[0..vlen), added when add, else NULL when
 * there is none. */
static struct eng_need *need_at(struct engine *e, const char *key, const char *val, size_t vlen,
                                int add)
{
    uint64_t h = need_hash(key, val, vlen);
    struct htab_iter it;
    struct eng_need *n;

    for (uint32_t i = htab_first(&e->needmap, h, &it); i != HTAB_NONE;
         i = htab_next(&e->needmap, &it)) {
        n = &e->needs[i];
        if (n->vlen == vlen && memcmp(n->val, val, vlen) == 0 && strcmp(n->key, key) == 0)
            return n;
    }
    if (!add)
        return NULL;
    ALLOC_GROW(e->needs, e->nneeds + 1, e->needs_alloc);
    n = &e->needs[e->nneeds];
    memset(n, 0, sizeof(*n));
    n->key = key;
    n->val = val;
    n->vlen = vlen;
    htab_add(&e->needmap, h, (uint32_t)e->nneeds++);
    return n;
}

/*
 * Index the policies by a label their effective selector requires
 * (sel_needs()): a label set can only be selected by the policies listed
 * under one of its own labels, and by those listed under none.  Of a
 * selector's requirements, the one the fewest policies share is chosen
 * (a namespace's label is shared by all of its policies, a workload's is
 * not).  Correct whatever the choice: a set without the label is never
 * selected.
 */
static void need_index(struct engine *e)
{
    struct sel_need nd[ENG_NEEDS_MAX];
    size_t k, i, j, n, best, cost, best_cost, alloc = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (k = 0; k < e->npols; k++) {
            const struct eng_pol *p = &e->pols[k];

            n = p->selid < 0 ? 0 : sel_needs(e->sels[p->selid], nd, ENG_NEEDS_MAX);
            if (!n) {
                if (pass) {
                    ALLOC_GROW(e->pols_free, e->npols_free + 1, alloc);
                    e->pols_free[e->npols_free++] = (uint32_t)k;
                }
                continue;
            }
            if (!pass) {
                for (i = 0; i < n; i++)
                    for (j = 0; j < nd[i].nvals; j++)
                        need_at(e, nd[i].key, nd[i].vals[j].s, nd[i].vals[j].len, 1)->count++;
                continue;
            }
            best = 0;
            best_cost = SIZE_MAX;
            for (i = 0; i < n; i++) {
                cost = 0;
                for (j = 0; j < nd[i].nvals; j++)
                    cost += need_at(e, nd[i].key, nd[i].vals[j].s, nd[i].vals[j].len, 0)->count;
                if (cost < best_cost) {
                    best = i;
                    best_cost = cost;
                }
            }
            for (j = 0; j < nd[best].nvals; j++) {
                struct eng_need *x =
                    need_at(e, nd[best].key, nd[best].vals[j].s, nd[best].vals[j].len, 0);

                /* `in` lists each value once: a policy comes once per value. */
                if (x->npols && x->pols[x->npols - 1] == (uint32_t)k)
                    continue;
                ALLOC_GROW(x->pols, x->npols + 1, x->pols_alloc);
                x->pols[x->npols++] = (uint32_t)k;
            }
        }
    }
    e->cand_mark = xcalloc(e->npols ? e->npols : 1, 1);
}

/* The policies label set ls may be selected by, in policy order: those
 * listed under one of its labels, and those listed under none. */
static void lset_cands(struct engine *e, struct eng_lset *ls)
{
    const struct labels *l = ls->l;
    size_t i, k, n = 0;

    for (i = 0; i < l->n; i++) {
        const struct eng_need *x = need_at(e, l->v[i].key, l->v[i].value, strlen(l->v[i].value), 0);

        for (k = 0; x && k < x->npols; k++) {
            n += !e->cand_mark[x->pols[k]];
            e->cand_mark[x->pols[k]] = 1;
        }
    }
    for (k = 0; k < e->npols_free; k++) {
        n += !e->cand_mark[e->pols_free[k]];
        e->cand_mark[e->pols_free[k]] = 1;
    }
    ls->cand = xmalloc((n ? n : 1) * sizeof(*ls->cand));
    for (k = 0; k < e->npols && ls->ncand < n; k++) {
        if (e->cand_mark[k]) {
            e->cand_mark[k] = 0;
            ls->cand[ls->ncand++] = (uint32_t)k;
        }
    }
    ls->cand_done = 1;
}

/* ---- set-up ------------------------------------------------------------- */

static int dir_index(int dir)
{
    return dir == DIR_EGRESS;
}

static int entity_uses_src_ports(const struct entity *en)
{
    return en->nports || en->nnotports;
}

struct engine *engine_new(const struct policy_set *ps, const struct case_ep *eps, size_t neps,
                          unsigned flags)
{
    struct engine *e = xcalloc(1, sizeof(*e));
    size_t t, k, n = 0;

    e->ps = ps;
    e->eps = eps;
    e->neps = neps;
    e->eps_end = eps ? eps + neps : eps;
    e->flags = flags;
    arena_init(&e->arena, 0);
    e->ep_lsid = xmalloc((neps ? neps : 1) * sizeof(*e->ep_lsid));
    for (k = 0; k < neps; k++)
        e->ep_lsid[k] = -1;
    e->netset_lsid = xmalloc((ps->nnetsets ? ps->nnetsets : 1) * sizeof(*e->netset_lsid));
    for (k = 0; k < ps->nnetsets; k++)
        e->netset_lsid[k] = lset_intern(e, &ps->netsets[k].labels);
    e->hep_lsid = xmalloc((ps->nheps ? ps->nheps : 1) * sizeof(*e->hep_lsid));
    for (k = 0; k < ps->nheps; k++) {
        e->hep_lsid[k] = lset_intern(e, &ps->heps[k].labels);
        if (!ps->heps[k].iface || strcmp(ps->heps[k].iface, "*") != 0)
            e->hep_specific = 1;
    }

    for (t = 0; t < ps->ntiers; t++)
        n += ps->tiers[t].npolicies;
    e->pols = xcalloc(n ? n : 1, sizeof(*e->pols));
    for (t = 0; t < ps->ntiers; t++) {
        const struct tier *tr = &ps->tiers[t];

        for (k = 0; k < tr->npolicies; k++) {
            const struct policy *p = tr->policies[k];
            struct eng_pol *ep = &e->pols[e->npols++];
            int d;

            ep->p = p;
            ep->tier = t;
            ep->selid = sel_id(e, p->selector);
            for (d = 0; d < 2; d++) {
                const struct rule *rules = d ? p->egress : p->ingress;
                size_t nr = d ? p->negress : p->ningress, r;
                unsigned bit = d ? DIR_EGRESS : DIR_INGRESS;
                int base = (p->types & bit) && !p->staged_delete, any;

                /* doNotTrack and preDNAT policies live in tier lists that
                 * only host endpoints use (§6.2, §17.4: event_sequencer.go
                 * splits them off; preDNAT is ingress only); applyOnForward
                 * ones are in the normal list too; stagedAction Delete is
                 * never sent to Felix (§5). */
                ep->eligible[CL_NORMAL][d] = base && !p->do_not_track && !p->pre_dnat;
                ep->eligible[CL_FORWARD][d] = ep->eligible[CL_NORMAL][d] && p->apply_on_forward;
                ep->eligible[CL_PREDNAT][d] = base && p->pre_dnat && d == 0;
                ep->eligible[CL_UNTRACKED][d] = base && p->do_not_track;
                any = ep->eligible[CL_NORMAL][d] || ep->eligible[CL_PREDNAT][d] ||
                      ep->eligible[CL_UNTRACKED][d];
                ep->ids[d] = xmalloc((nr ? nr : 1) * 4 * sizeof(int));
                for (r = 0; r < nr; r++) {
                    ep->ids[d][4 * r + 0] = sel_id(e, rules[r].src.sel);
                    ep->ids[d][4 * r + 1] = sel_id(e, rules[r].src.notsel);
                    ep->ids[d][4 * r + 2] = sel_id(e, rules[r].dst.sel);
                    ep->ids[d][4 * r + 3] = sel_id(e, rules[r].dst.notsel);
                    if (any && entity_uses_src_ports(&rules[r].src))
                        e->key_sport = 1;
                    if (any && (rules[r].src.svc_name || rules[r].dst.svc_name))
                        e->has_svc_rules = 1;
                }
                if (p->staged && any)
                    e->has_staged = 1;
            }
        }
    }
    /* At most one Pass per tier, then the decision or the profile, for each
     * chain an end may pass (§17.4: a workload's, and at most three of
     * host endpoints: preDNAT and forward on the way in, forward out;
     * or a host endpoint's failsafe, untracked, preDNAT, normal). */
    e->steps_scratch = xcalloc(ENG_STAGES_MAX * (ps->ntiers + 2), sizeof(*e->steps_scratch));
    e->members_alloc = 2 * (1 + ps->nnetsets + ps->nheps);
    e->members = xcalloc(e->members_alloc, sizeof(*e->members));
    e->stats.selectors = e->nsels;
    need_index(e);
    return e;
}

void engine_set_case(struct engine *e, const struct case_db *c)
{
    e->c = c;
}

void engine_use_namespaces(struct engine *e, const struct case_db *c)
{
    const struct policy_set *ps = e->ps;

    if (e->netset_labels || !ps->nnetsets)
        return;
    e->netset_labels = xcalloc(ps->nnetsets, sizeof(*e->netset_labels));
    for (size_t k = 0; k < ps->nnetsets; k++) {
        const struct netset *s = &ps->netsets[k];

        labels_init(&e->netset_labels[k]);
        if (!s->ns)
            continue; /* a GlobalNetworkSet inherits nothing */
        /* Too many labels for the limits: keep its own, as before. */
        if (case_netset_labels(&s->labels, s->ns, case_ns_find(c, s->ns), &e->netset_labels[k]) ==
            0)
            e->netset_lsid[k] = lset_intern(e, &e->netset_labels[k]);
        else
            labels_init(&e->netset_labels[k]);
    }
}

const struct policy_set *engine_policies(const struct engine *e)
{
    return e->ps;
}

const struct labels *engine_netset_labels(const struct engine *e, size_t k)
{
    /* Inherited labels always hold pcns.projectcalico.org/name: none means
     * the set inherits nothing (global, or too many labels), as in
     * engine_use_namespaces(). */
    if (e->netset_labels && e->netset_labels[k].n)
        return &e->netset_labels[k];
    return &e->ps->netsets[k].labels;
}

static int cidr_redacted(const struct polnets *kept, const struct cidr *c)
{
    return !cidr_is_catchall(c) && !polnets_covers(kept, c);
}

int engine_entity_redacted(const struct engine *e, const struct polnets *kept,
                           const struct entity *en, char *why, size_t size)
{
    const struct policy_set *ps = e->ps;
    char buf[IPADDR_STRLEN + 8];

    for (size_t i = 0; i < en->nnets; i++)
        if (cidr_redacted(kept, &en->nets[i])) {
            if (why)
                snprintf(why, size, "%s", cidr_format(&en->nets[i], buf));
            return 1;
        }
    for (size_t i = 0; i < en->nnotnets; i++)
        if (cidr_redacted(kept, &en->notnets[i])) {
            if (why)
                snprintf(why, size, "not %s", cidr_format(&en->notnets[i], buf));
            return 1;
        }
    if (!en->sel && !en->notsel)
        return 0;
    for (size_t k = 0; k < ps->nnetsets; k++) {
        const struct netset *s = &ps->netsets[k];
        const struct labels *ls = engine_netset_labels(e, k);
        int chosen = (en->sel && sel_eval(en->sel, ls)) || (en->notsel && sel_eval(en->notsel, ls));
        size_t i;

        for (i = 0; chosen && i < s->nnets && !cidr_redacted(kept, &s->nets[i]); i++)
            ;
        if (chosen && i < s->nnets) {
            if (why)
                snprintf(why, size, "network set %s%s%s", s->ns ? s->ns : "", s->ns ? "/" : "",
                         s->name);
            return 1;
        }
    }
    return 0;
}

void engine_free(struct engine **ep)
{
    struct engine *e = *ep;
    size_t k;

    if (!e)
        return;
    free(e->svents);
    htab_release(&e->svmap);
    for (k = 0; k < e->nlsets; k++) {
        free(e->lsets[k]->res);
        free(e->lsets[k]->cand);
        for (size_t c = 0; c < CL_N; c++) {
            free(e->lsets[k]->app[c][0].v);
            free(e->lsets[k]->app[c][1].v);
        }
        free(e->lsets[k]);
    }
    for (k = 0; k < e->nseen; k++)
        free(e->seen_keys[k]);
    free(e->seen_keys);
    htab_release(&e->seenmap);
    free(e->hep_lsid);
    free(e->twin);
    for (k = 0; k < e->npols; k++) {
        free(e->pols[k].ids[0]);
        free(e->pols[k].ids[1]);
        free(e->pols[k].red[0]);
        free(e->pols[k].red[1]);
    }
    for (k = 0; k < e->nsels; k++)
        free(e->sel_texts[k]);
    free(e->sel_texts);
    free(e->sels);
    htab_release(&e->selmap);
    free(e->lsets);
    htab_release(&e->lsmap);
    for (k = 0; k < e->nneeds; k++)
        free(e->needs[k].pols);
    free(e->needs);
    htab_release(&e->needmap);
    free(e->pols_free);
    free(e->cand_mark);
    free(e->ep_lsid);
    free(e->netset_lsid);
    if (e->netset_labels)
        for (k = 0; k < e->ps->nnetsets; k++)
            labels_release(&e->netset_labels[k]);
    free(e->netset_labels);
    free(e->pols);
    htab_release(&e->cache);
    free(e->cchunks);
    free(e->members);
    free(e->steps_scratch);
    arena_release(&e->arena);
    free(e);
    *ep = NULL;
}

void eng_flow_seen(struct eng_flow *ef, const char *node, const char *iface)
{
    if (!node || !iface || hostep_workload_iface(iface))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(ef->seen); i++) {
        if (ef->seen[i].node && strcmp(ef->seen[i].node, node) == 0)
            return; /* one interface a node */
        if (!ef->seen[i].node) {
            ef->seen[i].node = node;
            ef->seen[i].iface = iface;
            return;
        }
    }
}

int eng_flow_from_case(struct eng_flow *ef, const struct case_db *c, const struct case_flow *fl,
                       struct ipaddr *orig)
{
    struct ipaddr o;

    memset(ef, 0, sizeof(*ef));
    ef->src = fl->src;
    ef->dst = fl->dst;
    ef->src_ip = fl->src_ip;
    ef->dst_ip = fl->dst_ip;
    ef->proto = fl->proto;
    ef->src_port = fl->src_port;
    ef->dst_port = fl->dst_port;
    ef->icmp_type = fl->icmp_type;
    ef->icmp_code = fl->icmp_code;
    ef->t = fl->first_ns;
    /* §17.3: where the capture saw it on a node's own interfaces. */
    eng_flow_seen(ef, fl->node, fl->iface);
    for (size_t i = 0; fl->conn && i < fl->conn->nends; i++)
        eng_flow_seen(ef, fl->conn->ends[i].node, fl->conn->ends[i].iface);
    if (!fl->dnat && fl->svc) {
        ef->svc = fl->svc;
        ef->svc_port = fl->svc_port;
    }
    if (fl->dnat && fl->orig_dst_text &&
        ipaddr_parse(fl->orig_dst_text, strlen(fl->orig_dst_text), &o) == 0) {
        ef->orig_dst = case_lookup(c, &o, fl->first_ns);
        if (orig)
            *orig = o;
        return 1;
    }
    return 0;
}

void engine_stats(const struct engine *e, struct eng_stats *out)
{
    *out = e->stats;
    out->selectors = e->nsels;
}

/* The policies of class cls that apply to a label set for a direction,
 * tier by tier (§5: selector matches, direction in types), computed once
 * per set, trying only the policies its labels let through (lset_cands()). */
static const struct eng_app *applicable(struct engine *e, int lsid, int cls, int d)
{
    struct eng_lset *ls = e->lsets[lsid];
    struct eng_app *app = &ls->app[cls][d];
    size_t k, alloc = 0;

    if (app->done)
        return app;
    if (!ls->cand_done)
        lset_cands(e, ls);
    for (k = 0; k < ls->ncand; k++) {
        struct eng_pol *p = &e->pols[ls->cand[k]];

        if (!p->eligible[cls][d] || !lset_match(e, lsid, p->selid))
            continue;
        ALLOC_GROW(app->v, app->n + 1, alloc);
        app->v[app->n++] = p;
    }
    app->done = 1;
    return app;
}

/* ---- rule matching (§3) ------------------------------------------------- */

enum side { SIDE_SRC, SIDE_DST };

struct jctx {
    struct engine *e;
    const struct eng_flow *f;
    int fam;
    int src_ls, dst_ls; /* label set of a pod at that end, or -1 */
    uint32_t *mem[2];   /* member label sets per side (§2.3) */
    size_t nmem[2];
    int explain;
    const char *pol_ns; /* the namespace of the policy whose rule is tried, or NULL */
    int pseud[2];       /* a redacted case: that end is a pseudonym (§11) */
    int skip_addr;      /* side + 1 whose address criteria are not tried, or 0 */
    const char *field;  /* on a miss */
    char detail[480];
};

PRINTF_LIKE(3, 4) static int miss(struct jctx *j, const char *field, const char *fmt, ...)
{
    va_list ap;

    j->field = field;
    if (j->explain) {
        va_start(ap, fmt);
        vsnprintf(j->detail, sizeof(j->detail), fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* The member label sets of an address (§2.3): the pod holding it at the
 * flow's time, every host endpoint that expects it (§17.2: a selector's IP
 * set holds the expected IPs of the host endpoints it matches, on every
 * node), and every network set with a CIDR containing it. */
static void members_of(struct jctx *j, int side, const struct ipaddr *ip, int pod_ls)
{
    struct engine *e = j->e;
    const struct policy_set *ps = e->ps;
    uint32_t *m = e->members + (size_t)side * (1 + ps->nnetsets + ps->nheps);
    size_t k, i, n = 0;

    if (pod_ls >= 0)
        m[n++] = (uint32_t)pod_ls;
    for (k = 0; k < ps->nheps; k++)
        if (hostep_holds(&ps->heps[k], ip))
            m[n++] = (uint32_t)e->hep_lsid[k];
    for (k = 0; k < ps->nnetsets; k++) {
        const struct netset *s = &ps->netsets[k];

        for (i = 0; i < s->nnets; i++) {
            if (cidr_contains(&s->nets[i], ip)) {
                m[n++] = (uint32_t)e->netset_lsid[k];
                break;
            }
        }
    }
    j->mem[side] = m;
    j->nmem[side] = n;
}

static int any_member(struct jctx *j, int side, int selid, int notid)
{
    size_t i;

    for (i = 0; i < j->nmem[side]; i++) {
        int m = (int)j->mem[side][i];

        if (lset_match(j->e, m, selid) && (notid < 0 || !lset_match(j->e, m, notid)))
            return 1;
    }
    return 0;
}

/* §3.2: a named port matches when the endpoint at that end matches the
 * side's positive selector (or the side has none), and declares a port of
 * that name, of a protocol the rule allows, equal to the packet's
 * protocol and port.  Only known endpoints carry named ports: pods, and
 * host endpoints at their expected IPs (§17.2). */
static int named_port_match(struct jctx *j, const char *name, int side, int selid, int rule_proto,
                            uint16_t port)
{
    const struct case_ep *ep = side == SIDE_SRC ? j->f->src : j->f->dst;
    const struct ipaddr *ip = side == SIDE_SRC ? &j->f->src_ip : &j->f->dst_ip;
    const struct policy_set *ps = j->e->ps;
    int ls = side == SIDE_SRC ? j->src_ls : j->dst_ls;
    size_t i;

    for (size_t k = 0; k < ps->nheps; k++) {
        const struct hostep *h = &ps->heps[k];

        if (!hostep_holds(h, ip) || (selid >= 0 && !lset_match(j->e, j->e->hep_lsid[k], selid)))
            continue;
        for (i = 0; i < h->nports; i++) {
            const struct hep_port *p = &h->ports[i];

            if (strcmp(p->name, name) == 0 && (rule_proto <= 0 || p->proto == rule_proto) &&
                p->proto == j->f->proto && p->port == port)
                return 1;
        }
    }
    if (ls < 0 || !ep)
        return 0;
    if (selid >= 0 && !lset_match(j->e, ls, selid))
        return 0;
    for (i = 0; i < ep->nports; i++) {
        const struct case_port *p = &ep->ports[i];

        if (strcmp(p->name, name) != 0)
            continue;
        if (rule_proto > 0 && p->proto != rule_proto)
            continue;
        if (p->proto == j->f->proto && p->port == port)
            return 1;
    }
    return 0;
}

static int ports_match(struct jctx *j, const struct port_match *v, size_t n, int side, int selid,
                       int rule_proto, uint16_t port)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (v[i].name) {
            if (named_port_match(j, v[i].name, side, selid, rule_proto, port))
                return 1;
        } else if (port >= v[i].lo && port <= v[i].hi) {
            return 1;
        }
    }
    return 0;
}

static void ports_text(const struct port_match *v, size_t n, char *out, size_t size)
{
    size_t i, len = 0;

    out[0] = 0;
    for (i = 0; i < n && len + 1 < size; i++) {
        int w;

        if (v[i].name)
            w = snprintf(out + len, size - len, "%s%s", i ? ", " : "", v[i].name);
        else if (v[i].lo == v[i].hi)
            w = snprintf(out + len, size - len, "%s%u", i ? ", " : "", v[i].lo);
        else
            w = snprintf(out + len, size - len, "%s%u:%u", i ? ", " : "", v[i].lo, v[i].hi);
        if (w < 0)
            break;
        len += (size_t)w;
        if (len >= size)
            len = size - 1;
    }
}

/* --explain, on a selector miss: a namespaced policy's rule selector is
 * limited to the policy's namespace (§2.2) unless a namespaceSelector says
 * otherwise, and namespaceSelector: global() is the only way to reach a
 * GlobalNetworkSet or a HostEndpoint (§17.2: neither has a namespace).
 * When ip is in one whose labels the selector would match but for that,
 * say so in b (else b is ""). */
static void global_set_hint(const struct jctx *j, const struct entity *en, const struct ipaddr *ip,
                            char *b, size_t size)
{
    struct pol_member m[8];
    struct labels l;
    size_t n, i;

    b[0] = 0;
    if (!j->pol_ns || !en->sel)
        return;
    n = policy_members_of(j->e->ps, ip, m, ARRAY_SIZE(m));
    for (i = 0; i < n && i < ARRAY_SIZE(m); i++) {
        int hit;

        if (m[i].kind == PM_NETWORKSET)
            continue;
        labels_copy(&l, m[i].labels);
        hit = labels_set(&l, "projectcalico.org/namespace", j->pol_ns) == 0 &&
              sel_eval(en->sel, &l) && !(en->notsel && sel_eval(en->notsel, m[i].labels));
        labels_release(&l);
        if (hit) {
            snprintf(b, size,
                     "; %s %s %s it and its labels match, but a rule of a namespaced policy "
                     "reaches %s only with namespaceSelector: global()",
                     pol_member_kind_name(m[i].kind), m[i].name, m[i].hep ? "expects" : "holds",
                     m[i].hep ? "host endpoints" : "global sets");
            return;
        }
    }
}

static int entity_match(struct jctx *j, const struct rule *r, const struct entity *en, int side,
                        int selid, int notid)
{
    const struct eng_flow *f = j->f;
    const struct ipaddr *ip = side == SIDE_SRC ? &f->src_ip : &f->dst_ip;
    uint16_t port = side == SIDE_SRC ? f->src_port : f->dst_port;
    const char *sname = side == SIDE_SRC ? "source" : "destination";
    char ipb[IPADDR_STRLEN], cb[IPADDR_STRLEN + 4], pl[160];
    size_t i;

    pl[0] = 0;
    /* Whether the other criteria could match, whatever the address
     * (redacted_match()). */
    if (j->skip_addr == side + 1)
        goto other;
    if (en->nnets) {
        int in = 0;

        for (i = 0; i < en->nnets && !in; i++)
            in = cidr_contains(&en->nets[i], ip);
        if (!in)
            return miss(j, side == SIDE_SRC ? "source net" : "destination net",
                        "%s %s is in none of nets (%s%s)", sname, ipaddr_format(ip, ipb),
                        cidr_format(&en->nets[0], cb), en->nnets > 1 ? ", ..." : "");
    }
    for (i = 0; i < en->nnotnets; i++) {
        if (cidr_contains(&en->notnets[i], ip))
            return miss(j, side == SIDE_SRC ? "source net" : "destination net",
                        "%s %s is in notNets %s", sname, ipaddr_format(ip, ipb),
                        cidr_format(&en->notnets[i], cb));
    }
    /* §2.3: P and N fold into one set (P && !N); P alone needs a member
     * matching P; N alone needs no member matching N. */
    if (selid >= 0 && !any_member(j, side, selid, notid)) {
        char hint[320];

        if (j->explain)
            global_set_hint(j, en, ip, hint, sizeof(hint));
        else
            hint[0] = 0;
        return miss(j, side == SIDE_SRC ? "source selector" : "destination selector",
                    "%s %s belongs to no endpoint or network set matching %s%s%s%s%s", sname,
                    ipaddr_format(ip, ipb), en->sel_text ? en->sel_text : "the selector",
                    notid >= 0 ? " and not " : "",
                    notid >= 0 && en->notsel_text ? en->notsel_text : "",
                    j->nmem[side] ? "" : " (it is not a known endpoint)", hint);
    }
    if (selid < 0 && notid >= 0 && any_member(j, side, notid, -1))
        return miss(j, side == SIDE_SRC ? "source selector" : "destination selector",
                    "%s %s belongs to an endpoint or network set matching notSelector %s", sname,
                    ipaddr_format(ip, ipb), en->notsel_text ? en->notsel_text : "");
other:
    if (en->svc_name && j->e->c) {
        /* §12: the addresses of the Service's EndpointSlices (with their
         * ports on the destination side), as Felix's IP sets hold them;
         * never the Service's own address. */
        if (!case_svc_member(j->e->c, en->svc_ns ? en->svc_ns : "", en->svc_name, ip,
                             side == SIDE_DST, f->proto, port, f->t))
            return miss(j, "service", "%s%s%u is not an endpoint of service %s/%s",
                        ipaddr_format(ip, ipb), side == SIDE_DST ? " port " : "",
                        side == SIDE_DST ? port : 0u, en->svc_ns ? en->svc_ns : "", en->svc_name);
    } else if (en->svc_name) {
        /* No case (hand-built callers): known only through a recorded
         * translation of this flow. */
        const struct case_ep *o = f->orig_dst;

        if (side != SIDE_DST || !o || o->kind != EP_SERVICE || !o->name ||
            strcmp(o->name, en->svc_name) != 0 ||
            strcmp(o->ns ? o->ns : "", en->svc_ns ? en->svc_ns : "") != 0)
            return miss(j, "service", "%s is not known to be an endpoint of service %s/%s",
                        ipaddr_format(ip, ipb), en->svc_ns ? en->svc_ns : "", en->svc_name);
    }
    if (en->nports && !ports_match(j, en->ports, en->nports, side, selid, r->proto, port)) {
        if (j->explain) /* miss() formats only then */
            ports_text(en->ports, en->nports, pl, sizeof(pl));
        return miss(j, side == SIDE_SRC ? "source port" : "destination port",
                    "%s port %u is not in ports [%s]", sname, port, pl);
    }
    if (en->nnotports && ports_match(j, en->notports, en->nnotports, side, selid, r->proto, port)) {
        if (j->explain) /* miss() formats only then */
            ports_text(en->notports, en->nnotports, pl, sizeof(pl));
        return miss(j, side == SIDE_SRC ? "source port" : "destination port",
                    "%s port %u is in notPorts [%s]", sname, port, pl);
    }
    return 1;
}

static int is_icmp(int proto)
{
    return proto == 1 || proto == 58;
}

/* 1 when rule r of policy p (direction d) matches the flow (§3). */
static int rule_match(struct jctx *j, const struct eng_pol *p, int d, size_t ri,
                      const struct rule *r)
{
    const struct eng_flow *f = j->f;
    const int *ids = p->ids[d] + 4 * ri;

    j->field = NULL;
    if (r->ip_version && r->ip_version != j->fam)
        return miss(j, "ipVersion", "the rule exists for IPv%d only", r->ip_version);
    /* §3.1: a rule whose nets/notNets hold no CIDR of the packet's family
     * (or a catch-all in notNets) does not exist for that family. */
    if (!rule_applies_to_family(r, j->fam))
        return miss(j, "net",
                    "the rule's nets/notNets hold no IPv%d CIDR, so it does not exist for IPv%d",
                    j->fam, j->fam);
    if (r->proto == 0)
        return miss(j, "protocol", "the rule's protocol name is unknown to Calico");
    if (r->proto > 0 && r->proto != f->proto)
        return miss(j, "protocol", "protocol %d is not the rule's %d", f->proto, r->proto);
    if (r->notproto == 0)
        return miss(j, "protocol", "the rule's notProtocol name is unknown to Calico");
    if (r->notproto > 0 && r->notproto == f->proto)
        return miss(j, "protocol", "protocol %d is the rule's notProtocol", f->proto);
    if (r->icmp.type >= 0) {
        if (!is_icmp(f->proto) || f->icmp_type < 0)
            return miss(j, "icmp", "the flow has no recorded ICMP type");
        if (f->icmp_type != r->icmp.type || (r->icmp.code >= 0 && f->icmp_code != r->icmp.code))
            return miss(j, "icmp", "ICMP type %d code %d is not the rule's %d/%d", f->icmp_type,
                        f->icmp_code, r->icmp.type, r->icmp.code);
    }
    if (r->noticmp.type >= 0) {
        if (!is_icmp(f->proto) || f->icmp_type < 0)
            return miss(j, "icmp", "the flow has no recorded ICMP type");
        if (f->icmp_type == r->noticmp.type &&
            (r->noticmp.code < 0 || f->icmp_code == r->noticmp.code))
            return miss(j, "icmp", "ICMP type %d code %d is the rule's notICMP", f->icmp_type,
                        f->icmp_code);
    }
    j->pol_ns = p->p->ns;
    if (!entity_match(j, r, &r->src, SIDE_SRC, ids[0], ids[1]))
        return 0;
    if (!entity_match(j, r, &r->dst, SIDE_DST, ids[2], ids[3]))
        return 0;
    return 1;
}

/* ---- evaluation (§5) ---------------------------------------------------- */

static void push_step(struct eng_dir *out, const struct tier *t, const struct policy *p,
                      const char *profile, enum rule_action a, int rule)
{
    struct eng_step *s = &out->steps[out->nsteps++];

    s->tier = t;
    s->pol = p;
    s->profile = profile;
    s->action = a;
    s->rule = rule;
}

static const char *xstr(struct engine *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
static const char *xstr(struct engine *e, const char *fmt, ...)
{
    char tmp[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return arena_strdup(&e->arena, tmp);
}

/*
 * A redacted case (§11): 1 when rule ri of p (direction d) faces a
 * pseudonymised peer (the destination for egress, the source for
 * ingress), names an external CIDR not kept on that side, decides (not
 * Log), and its other criteria match: whether it matches then depends on
 * the real address, which no one can name.
 */
static int redacted_match(struct jctx *j, const struct eng_pol *p, int d, size_t ri,
                          const struct rule *r)
{
    int peer = d ? SIDE_DST : SIDE_SRC, m;

    if (!j->pseud[peer] || !p->red[d] || !(p->red[d][ri] & (1u << peer)) || r->action == ACT_LOG)
        return 0;
    j->skip_addr = peer + 1;
    m = rule_match(j, p, d, ri, r);
    j->skip_addr = 0;
    return m;
}

/* What one chain decided (§17.4): an end may pass several. */
struct eng_res {
    int set;         /* the chain decided (else it left the packet to the next) */
    int allow;       /* ... allowed it, or dropped it */
    int unknown;     /* ... cannot be said (the end goes on, a later drop still counts) */
    const char *why; /* unknown: said for people */
    enum eng_reason reason;
    struct eng_step dec;
    const struct policy **selected;
    size_t nselected;
    const struct hostep *hep;
    enum eng_stage stage;
};

/* The outcome of one chain's tiers. */
enum tier_out {
    TO_NONE,   /* no tier applied */
    TO_PASSED, /* some tier applied and each one passed */
    TO_DECIDED /* a rule, or a tier's end-of-tier Deny, decided (in *r) */
};

/* The explanation array of out, grown by n entries (arena). */
static void x_grow(struct engine *e, struct eng_dir *out, size_t n)
{
    struct eng_xpol *x = arena_calloc(&e->arena, out->nx + n, sizeof(*x));

    if (out->nx)
        memcpy(x, out->x, out->nx * sizeof(*x));
    out->x = x;
}

/*
 * The tiers of class cls for label set lsid and direction dir (§5),
 * appended to out's trace (and, with explain, to its explanation, each
 * policy marked with hep and stage); staged: staged policies count as
 * enforced (the "would do" pass).  preDNAT and doNotTrack chains never end
 * a tier in a Deny (event_sequencer.go: "For untracked and preDNAT tiers,
 * DefaultAction must be Pass").  A decision goes into *r; *tier_pass is
 * set when the last tier applied ended in its default Pass.
 */
static enum tier_out eval_tiers(struct jctx *j, int lsid, int cls, int dir, int staged,
                                const struct hostep *hep, enum eng_stage stage, struct eng_dir *out,
                                struct eng_res *r, int *tier_pass)
{
    struct engine *e = j->e;
    int d = dir_index(dir);
    const struct eng_app *app = applicable(e, lsid, cls, d);
    size_t i = 0, ntiers_seen = 0;
    int explain = j->explain && !staged;

    *tier_pass = 0;
    if (explain && app->n)
        x_grow(e, out, app->n);
    while (i < app->n) {
        size_t t = app->v[i]->tier, end = i, k, nenf = 0;
        const struct tier *tr = &e->ps->tiers[t];
        const struct policy *last = NULL;

        while (end < app->n && app->v[end]->tier == t)
            end++;
        for (k = i; k < end; k++) {
            if (!app->v[k]->p->staged || staged) {
                last = app->v[k]->p;
                nenf++;
            }
        }
        if (!last) {
            /* Only staged policies select the endpoint here: the tier does
             * not apply and has no end-of-tier action (§5, §9.10). */
            for (k = i; explain && k < end; k++) {
                struct eng_xpol *x = &out->x[out->nx++];

                x->tier = tr;
                x->pol = app->v[k]->p;
                x->hep = hep;
                x->stage = stage;
                x->staged = 1;
                x->outcome = "staged: not enforced";
            }
            i = end;
            continue;
        }
        ntiers_seen++;
        for (k = i; k < end; k++) {
            const struct eng_pol *p = app->v[k];
            const struct rule *rules = d ? p->p->egress : p->p->ingress;
            size_t nr = d ? p->p->negress : p->p->ningress, ri;
            struct eng_xpol *x = NULL;

            if (explain) {
                x = &out->x[out->nx++];
                x->tier = tr;
                x->pol = p->p;
                x->hep = hep;
                x->stage = stage;
                x->staged = p->p->staged && !staged;
                if (x->staged) {
                    x->outcome = "staged: not enforced";
                    continue;
                }
                x->rules = arena_calloc(&e->arena, nr ? nr : 1, sizeof(*x->rules));
                x->outcome = nr ? "no rule matched" : "no rules for this direction";
            }
            if (p->p->staged && !staged)
                continue;
            for (ri = 0; ri < nr; ri++) {
                const struct rule *rl = &rules[ri];
                int m = rule_match(j, p, d, ri, rl);

                if (x) {
                    struct eng_xrule *xr = &x->rules[x->nrules++];

                    xr->index = (int)ri;
                    xr->action = rl->action;
                    xr->rule = rl;
                    xr->matched = m;
                    xr->field = j->field;
                    xr->detail = m ? NULL : arena_strdup(&e->arena, j->detail);
                }
                if (!out->redacted_pol && redacted_match(j, p, d, ri, rl)) {
                    out->redacted_pol = p->p;
                    out->redacted_rule = (int)ri;
                }
                if (!m)
                    continue;
                switch (rl->action) {
                case ACT_LOG:
                    /* Log never terminates (§3.3, §9.21). */
                    continue;
                case ACT_ALLOW:
                case ACT_DENY:
                    r->set = 1;
                    r->allow = rl->action == ACT_ALLOW;
                    r->reason = REASON_RULE;
                    r->hep = hep;
                    r->stage = stage;
                    push_step(out, tr, p->p, NULL, rl->action, (int)ri);
                    r->dec = out->steps[out->nsteps - 1];
                    if (x)
                        x->outcome = xstr(e, "%s by rule %zu", r->allow ? "allow" : "deny", ri);
                    return TO_DECIDED;
                case ACT_PASS:
                    push_step(out, tr, p->p, NULL, ACT_PASS, (int)ri);
                    if (x)
                        x->outcome = xstr(e, "pass by rule %zu: on to the next tier", ri);
                    *tier_pass = 0;
                    goto next_tier;
                }
            }
        }
        /* Nothing in the tier decided: its default action, attributed to
         * the last enforced policy of the tier that governs this direction
         * (§5; felix/calc/endpoint_lookup_cache.go sets the tier's
         * TierDefaultActionRuleID for each such policy in order, so the
         * last one stays). */
        if (tr->default_pass || cls == CL_PREDNAT || cls == CL_UNTRACKED) {
            push_step(out, tr, last, NULL, ACT_PASS, -1);
            *tier_pass = 1;
            goto next_tier;
        }
        r->set = 1;
        r->allow = 0;
        r->reason = REASON_END_OF_TIER;
        r->hep = hep;
        r->stage = stage;
        push_step(out, tr, last, NULL, ACT_DENY, -1);
        r->dec = out->steps[out->nsteps - 1];
        r->selected = arena_calloc(&e->arena, nenf, sizeof(*r->selected));
        r->nselected = 0;
        for (k = i; k < end; k++) {
            if (!app->v[k]->p->staged || staged)
                r->selected[r->nselected++] = app->v[k]->p;
        }
        return TO_DECIDED;
    next_tier:
        i = end;
    }
    return ntiers_seen ? TO_PASSED : TO_NONE;
}

/* A decision that is no policy's (a profile, a failsafe, a default) as the
 * last step of out's trace, into r. */
static void res_step(struct eng_dir *out, struct eng_res *r, int allow, enum eng_reason reason,
                     const char *profile, const char *failsafe, int rule)
{
    struct eng_step *st;

    r->set = 1;
    r->allow = allow;
    r->reason = reason;
    push_step(out, NULL, NULL, profile, allow ? ACT_ALLOW : ACT_DENY, rule);
    st = &out->steps[out->nsteps - 1];
    st->failsafe = failsafe;
    r->dec = *st;
}

/* Workload endpoint E (a pod, label set els) for direction dir (§5). */
static void stage_workload(struct jctx *j, const struct case_ep *E, int els, int dir, int staged,
                           struct eng_dir *out, struct eng_res *r)
{
    struct engine *e = j->e;
    enum tier_out to;
    int tp;

    memset(r, 0, sizeof(*r));
    r->stage = STAGE_WORKLOAD;
    /* Workload egress of VXLAN or IP-in-IP is dropped before any policy
     * (§13.5: unless FelixConfiguration allows it; vxlanPort 4789 by
     * default). */
    if (dir == DIR_EGRESS) {
        struct felix_eff fe;

        felix_effective(e->ps, E->node, &fe);
        if ((j->f->proto == 17 && j->f->dst_port == fe.vxlan_port && !fe.allow_vxlan) ||
            (j->f->proto == 4 && !fe.allow_ipip)) {
            r->set = 1;
            r->allow = 0;
            r->reason = REASON_DATAPLANE;
            r->dec.action = ACT_DENY;
            r->dec.rule = -1;
            return;
        }
    }
    to = eval_tiers(j, els, CL_NORMAL, dir, staged, NULL, STAGE_WORKLOAD, out, r, &tp);
    if (to == TO_DECIDED)
        return;
    /* Past every tier: the profiles.  A pod's kns.<ns> profile allows
     * everything in both directions (§1.6, §5). */
    res_step(out, r, 1,
             to == TO_NONE ? REASON_NO_POLICY
             : tp          ? REASON_TIER_DEFAULT
                           : REASON_PROFILE,
             xstr(e, "kns.%s", E->ns ? E->ns : ""), NULL, 0);
}

/* §17.5: Felix's failsafe ports of node (FelixConfiguration, else its
 * defaults): inbound by destination port, restricted to sources in the
 * entry's net; outbound by destination port, restricted to destinations
 * in it.  An entry whose net is of the other family does not exist for
 * this one (static.go failsafeInChain). */
static int failsafe_match(const struct jctx *j, const char *node, int dir)
{
    const struct eng_flow *f = j->f;
    struct felix_eff fe;
    const struct failsafe_port *v;
    size_t n;

    felix_effective(j->e->ps, node, &fe);
    v = dir == DIR_INGRESS ? fe.failsafe_in : fe.failsafe_out;
    n = dir == DIR_INGRESS ? fe.nfailsafe_in : fe.nfailsafe_out;
    for (size_t i = 0; i < n; i++) {
        if (v[i].proto != f->proto || v[i].port != f->dst_port)
            continue;
        if (v[i].has_net && !cidr_contains(&v[i].net, dir == DIR_INGRESS ? &f->src_ip : &f->dst_ip))
            continue;
        return 1;
    }
    return 0;
}

static int all_interfaces(const struct hostep *h)
{
    return h->iface && strcmp(h->iface, "*") == 0;
}

/* The label set of host endpoint h. */
static int hep_ls(const struct engine *e, const struct hostep *h)
{
    return e->hep_lsid[h - e->ps->heps];
}

/*
 * Traffic to or from node's own address through host endpoint h (§17.4,
 * felix/rules/endpoints.go HostEndpointToFilterChains and the raw and
 * mangle chains): the failsafe ports; its doNotTrack policies (not on an
 * all-interfaces one); its preDNAT policies (ingress); its normal policies,
 * ending in a tier's Deny; then its profiles, in order, and a drop "if no
 * profiles matched".
 */
static void stage_hep_own(struct jctx *j, const struct hostep *h, const char *node, int dir,
                          int staged, struct eng_dir *out, struct eng_res *r)
{
    struct engine *e = j->e;
    int ls = hep_ls(e, h), tp;
    enum tier_out to;

    memset(r, 0, sizeof(*r));
    r->hep = h;
    if (failsafe_match(j, node, dir)) {
        r->stage = STAGE_FAILSAFE;
        res_step(out, r, 1, REASON_FAILSAFE, NULL, dir == DIR_INGRESS ? "inbound" : "outbound", -1);
        return;
    }
    if (!all_interfaces(h) &&
        eval_tiers(j, ls, CL_UNTRACKED, dir, staged, h, STAGE_UNTRACKED, out, r, &tp) == TO_DECIDED)
        return;
    if (dir == DIR_INGRESS &&
        eval_tiers(j, ls, CL_PREDNAT, dir, staged, h, STAGE_PREDNAT, out, r, &tp) == TO_DECIDED)
        return;
    to = eval_tiers(j, ls, CL_NORMAL, dir, staged, h, STAGE_NORMAL, out, r, &tp);
    if (to == TO_DECIDED)
        return;
    r->hep = h;
    r->stage = STAGE_NORMAL;
    for (size_t i = 0; i < h->nprofiles; i++) {
        if (hostep_profile_allows(h->profiles[i])) {
            res_step(out, r, 1,
                     to == TO_NONE ? REASON_NO_POLICY
                     : tp          ? REASON_TIER_DEFAULT
                                   : REASON_PROFILE,
                     h->profiles[i], NULL, 0);
            return;
        }
        r->unknown = 1;
        r->why =
            xstr(e, "host endpoint %s: its profile %s is not modelled", h->name, h->profiles[i]);
        return;
    }
    res_step(out, r, 0, REASON_NO_PROFILE, "__NO_MATCH__", NULL, 0);
}

/*
 * Traffic forwarded through host endpoint h (§17.4): entering it from
 * outside the node (ingress, from_outside: its doNotTrack policies, not on
 * an all-interfaces one, then its preDNAT ones, either's Allow skipping the
 * forward chain; then its applyOnForward policies) or leaving it (egress:
 * its applyOnForward policies).  No failsafe, no profile; no applyOnForward
 * policy in that direction allows ("Allow forwarded traffic by default"),
 * and so does a chain whose tiers all passed (it returns to the kernel's
 * FORWARD chain undecided).
 */
static void stage_hep_fwd(struct jctx *j, const struct hostep *h, int dir, int from_outside,
                          int staged, struct eng_dir *out, struct eng_res *r)
{
    int ls = hep_ls(j->e, h), tp;
    enum tier_out to;

    memset(r, 0, sizeof(*r));
    if (dir == DIR_INGRESS && from_outside && !all_interfaces(h) &&
        eval_tiers(j, ls, CL_UNTRACKED, dir, staged, h, STAGE_UNTRACKED, out, r, &tp) == TO_DECIDED)
        return;
    if (dir == DIR_INGRESS && from_outside &&
        eval_tiers(j, ls, CL_PREDNAT, dir, staged, h, STAGE_PREDNAT, out, r, &tp) == TO_DECIDED)
        return;
    to = eval_tiers(j, ls, CL_FORWARD, dir, staged, h, STAGE_FORWARD, out, r, &tp);
    if (to == TO_DECIDED)
        return;
    r->set = 1;
    r->allow = 1;
    r->reason = to == TO_NONE ? REASON_NO_POLICY : REASON_TIER_DEFAULT;
    r->hep = h;
    r->stage = STAGE_FORWARD;
    r->dec.action = ACT_ALLOW;
    r->dec.rule = -1;
}

static int allow_rank_of(enum eng_reason reason);

/* An end being judged: the chains it passes, in the order a packet meets
 * them.  A drop ends it; else the most telling allow (a rule's first, then
 * a profile or default; the workload's own on a tie) is what decided. */
struct eng_end {
    struct eng_dir *out;
    int judged, denied, unknown;
    const char *why;
    struct eng_res best;
};

static void end_take(struct eng_end *b, const struct eng_res *r)
{
    int rank, brank;

    if (b->denied)
        return;
    if (r->unknown) {
        b->judged = 1;
        if (!b->unknown) {
            b->unknown = 1;
            b->why = r->why;
        }
        return;
    }
    if (!r->set)
        return;
    b->judged = 1;
    if (!r->allow) {
        b->denied = 1;
        b->best = *r;
        return;
    }
    rank = allow_rank_of(r->reason);
    brank = b->best.set ? allow_rank_of(b->best.reason) : -1;
    if (rank > brank || (rank == brank && r->stage == STAGE_WORKLOAD))
        b->best = *r;
}

/* The end cannot be judged: an interface podflow cannot place, or a node
 * it does not know (§17.3). */
PRINTF_LIKE(3, 4) static void end_unknown(struct jctx *j, struct eng_end *b, const char *fmt, ...)
{
    struct eng_res r;
    char tmp[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    memset(&r, 0, sizeof(r));
    r.unknown = 1;
    r.why = arena_strdup(&j->e->arena, tmp);
    end_take(b, &r);
}

/* The interface the capture saw the flow on at node (non-workload), or NULL. */
static const char *seen_iface(const struct eng_flow *f, const char *node)
{
    for (size_t i = 0; i < ARRAY_SIZE(f->seen); i++)
        if (f->seen[i].node && node && strcmp(f->seen[i].node, node) == 0)
            return f->seen[i].iface;
    return NULL;
}

/* The host endpoint of node for the traffic's way in or out by a node's own
 * interface (§17.3), into *h (NULL: none); 0, or -1 after making the end
 * unknown. */
static int hep_at(struct jctx *j, struct eng_end *b, const char *node, const char *what,
                  const struct hostep **h)
{
    struct engine *e = j->e;
    struct hep_pick pk;

    *h = NULL;
    if (!e->ps->nheps)
        return 0;
    if (!node) {
        end_unknown(j, b, "host endpoints exist and the node the flow %s is not known", what);
        return -1;
    }
    hostep_pick(e->ps, e->eps, e->neps, node, seen_iface(j->f, node), &pk);
    if (pk.unplaced) {
        end_unknown(j, b,
                    "node %s has interface-specific host endpoints, and the interface the flow "
                    "%s was not recorded",
                    node, what);
        return -1;
    }
    *h = pk.hep;
    return 0;
}

/* The all-interfaces host endpoint of node (it alone governs workload
 * interfaces), or NULL. */
static const struct hostep *star_of(const struct engine *e, const char *node)
{
    struct hep_pick pk;

    if (!node || !e->ps->nheps)
        return NULL;
    hostep_pick(e->ps, e->eps, e->neps, node, "cali", &pk);
    return pk.hep;
}

/* The node an end belongs to: a pod's or a host's, or that of a host
 * endpoint expecting the address (§17.2); NULL when none is known. */
static const char *end_node(const struct engine *e, const struct case_ep *ep,
                            const struct ipaddr *ip)
{
    if (ep && (ep->kind == EP_POD || ep->kind == EP_HOST))
        return ep->node && *ep->node ? ep->node : NULL;
    for (size_t k = 0; k < e->ps->nheps; k++)
        if (hostep_holds(&e->ps->heps[k], ip))
            return e->ps->heps[k].node;
    return NULL;
}

/* An end that is a node's own address: a host identity, or an address a
 * host endpoint expects. */
static int host_end(const struct engine *e, const struct case_ep *ep, const struct ipaddr *ip)
{
    if (ep && ep->kind == EP_HOST)
        return 1;
    if (ep && ep->kind != EP_EXTERNAL)
        return 0;
    for (size_t k = 0; k < e->ps->nheps; k++)
        if (hostep_holds(&e->ps->heps[k], ip))
            return 1;
    return 0;
}

static int str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/*
 * One end of the flow (§5, §17.3): egress is everything on the source's
 * side, ingress everything on the destination's.  At a pod: the host
 * endpoints its packets cross on its node (the all-interfaces one's
 * preDNAT and forward chains at its own link; the uplink's forward chains
 * when the flow leaves or enters the node), and its own policies.  At a
 * node's own address: the host endpoint of the interface the flow left or
 * entered by.
 */
static void eval_end(struct jctx *j, int dir, int staged, struct eng_dir *out)
{
    struct engine *e = j->e;
    const struct eng_flow *f = j->f;
    int egress = dir == DIR_EGRESS;
    const struct case_ep *me = egress ? f->src : f->dst, *peer = egress ? f->dst : f->src;
    const struct ipaddr *my_ip = egress ? &f->src_ip : &f->dst_ip;
    const struct ipaddr *peer_ip = egress ? &f->dst_ip : &f->src_ip;
    int ls = egress ? j->src_ls : j->dst_ls;
    const char *node = end_node(e, me, my_ip), *peer_node = end_node(e, peer, peer_ip);
    int peer_host = host_end(e, peer, peer_ip);
    int peer_local = str_eq(node, peer_node) && ((peer && peer->kind == EP_POD) || peer_host);
    const struct hostep *h, *star;
    struct eng_end b;
    struct eng_res r;
    int tp;

    memset(out, 0, sizeof(*out));
    memset(&b, 0, sizeof(b));
    out->steps = e->steps_scratch;
    b.out = out;
    if (ls >= 0) {
        star = star_of(e, node);
        if (e->ps->nheps && !node)
            end_unknown(j, &b, "host endpoints exist and the node of the %s pod is not known",
                        egress ? "source" : "destination");
        if (egress) {
            /* A pod's packets meet the all-interfaces host endpoint at its
             * own link: its preDNAT policies (mangle PREROUTING, §17.4)
             * whatever the destination, and, when forwarded (not to its own
             * node), its forward chain unless preDNAT accepted them. */
            if (star) {
                memset(&r, 0, sizeof(r));
                if (eval_tiers(j, hep_ls(e, star), CL_PREDNAT, DIR_INGRESS, staged, star,
                               STAGE_PREDNAT, out, &r, &tp) == TO_DECIDED) {
                    end_take(&b, &r);
                } else if (!(str_eq(node, peer_node) && peer_host)) {
                    stage_hep_fwd(j, star, DIR_INGRESS, 0, staged, out, &r);
                    end_take(&b, &r);
                }
            }
            if (!b.denied) {
                stage_workload(j, me, ls, dir, staged, out, &r);
                end_take(&b, &r);
            }
            if (!b.denied && !peer_local && hep_at(j, &b, node, "leaves it by", &h) == 0 && h) {
                stage_hep_fwd(j, h, DIR_EGRESS, 0, staged, out, &r);
                end_take(&b, &r);
            }
        } else {
            if (!peer_local && hep_at(j, &b, node, "enters it by", &h) == 0 && h) {
                stage_hep_fwd(j, h, DIR_INGRESS, 1, staged, out, &r);
                end_take(&b, &r);
            }
            if (!b.denied) {
                stage_workload(j, me, ls, dir, staged, out, &r);
                end_take(&b, &r);
            }
            if (!b.denied && star) {
                stage_hep_fwd(j, star, DIR_EGRESS, 0, staged, out, &r);
                end_take(&b, &r);
            }
        }
    } else if (e->ps->nheps && host_end(e, me, my_ip) && !peer_local) {
        /* The node's own traffic, to or from elsewhere (from its own pods:
         * §13, never its host endpoints'). */
        if (hep_at(j, &b, node, egress ? "leaves it by" : "enters it by", &h) == 0 && h) {
            stage_hep_own(j, h, node, dir, staged, out, &r);
            end_take(&b, &r);
        }
    }
    out->judged = b.judged;
    out->unknown = b.unknown && !b.denied;
    out->why = out->unknown ? b.why : NULL;
    if (b.best.set) {
        out->allow = b.best.allow;
        out->reason = b.best.reason;
        out->dec = b.best.dec;
        out->selected = b.best.selected;
        out->nselected = b.best.nselected;
        out->hep = b.best.hep;
        out->stage = b.best.stage;
    } else {
        out->allow = 1;
        out->reason = REASON_NO_POLICY;
    }
    out->steps = out->nsteps ? arena_alloc(&e->arena, out->nsteps * sizeof(*out->steps)) : NULL;
    if (out->nsteps)
        memcpy(out->steps, e->steps_scratch, out->nsteps * sizeof(*out->steps));
}

static int allow_rank_of(enum eng_reason reason)
{
    switch (reason) {
    case REASON_RULE:
    case REASON_HOST_LOCAL:
    case REASON_FELIX_ALLOWS:
    case REASON_FAILSAFE:
        return 3;
    case REASON_TO_HOST:
    case REASON_PROFILE:
    case REASON_TIER_DEFAULT:
        return 2;
    case REASON_NO_POLICY:
    case REASON_END_OF_TIER:
    case REASON_DATAPLANE:
    case REASON_NO_PROFILE:
        break;
    }
    return 1;
}

static int allow_rank(const struct eng_dir *d)
{
    return allow_rank_of(d->reason);
}

static int decided_dir_of(const struct eng_verdict *v)
{
    if (v->egress.judged && !v->egress.allow)
        return DIR_EGRESS;
    if (v->ingress.judged && !v->ingress.allow)
        return DIR_INGRESS;
    /* Allowed: the end that says most, egress first as Calico evaluates
     * it: a rule's Allow, then a fall-through past policies, then "no
     * policy". */
    if (v->egress.judged && v->ingress.judged)
        return allow_rank(&v->ingress) > allow_rank(&v->egress) ? DIR_INGRESS : DIR_EGRESS;
    if (v->egress.judged)
        return DIR_EGRESS;
    if (v->ingress.judged)
        return DIR_INGRESS;
    return 0;
}

const struct eng_dir *eng_decided(const struct eng_verdict *v)
{
    switch (v->decided_dir) {
    case DIR_EGRESS:
        return &v->egress;
    case DIR_INGRESS:
        return &v->ingress;
    default:
        return NULL;
    }
}

/* Both ends are on one known node. */
static int same_node(const struct case_ep *a, const struct case_ep *b)
{
    return a && b && a->node && b->node && *a->node && !strcmp(a->node, b->node);
}

/*
 * A redacted case (§11): unknown when an end's decision came after a rule
 * whose match on the pseudonymised peer is not known, unless another end
 * denies on rules that are all known (then it is denied whatever the
 * address).
 */
static void redacted_unknown(struct jctx *j, struct eng_verdict *v)
{
    struct engine *e = j->e;
    const struct eng_dir *d = NULL;
    const struct rule *r;
    char why[160], ipb[IPADDR_STRLEN];
    struct buf name;
    int peer;

    if ((v->egress.judged && !v->egress.allow && !v->egress.redacted_pol) ||
        (v->ingress.judged && !v->ingress.allow && !v->ingress.redacted_pol))
        return;
    if (v->egress.judged && v->egress.redacted_pol)
        d = &v->egress;
    else if (v->ingress.judged && v->ingress.redacted_pol)
        d = &v->ingress;
    if (!d)
        return;
    peer = d == &v->egress ? SIDE_DST : SIDE_SRC;
    r = eng_rule_of(d->redacted_pol, peer == SIDE_DST ? DIR_EGRESS : DIR_INGRESS, d->redacted_rule);
    if (!r || !engine_entity_redacted(e, &e->c->redaction_kept,
                                      peer == SIDE_DST ? &r->dst : &r->src, why, sizeof(why)))
        snprintf(why, sizeof(why), "%s", "an external CIDR");
    buf_init(&name, 0);
    (void)!eng_policy_name(d->redacted_pol, &name);
    v->verdict = VERDICT_UNKNOWN;
    v->unknown = UNK_REDACTED;
    v->why = xstr(e,
                  "the %s %s is a pseudonym (the case is redacted), and %s rule %d of %.*s, "
                  "tried before the decision, names %s, which redaction did not keep: whether "
                  "the real address matches is not known (redact with --keep-policy-nets)",
                  peer == SIDE_DST ? "destination" : "source",
                  ipaddr_format(peer == SIDE_DST ? &j->f->dst_ip : &j->f->src_ip, ipb),
                  peer == SIDE_DST ? "egress" : "ingress", d->redacted_rule, (int)name.len,
                  name.data ? name.data : "", why);
    buf_release(&name);
}

static void eval_all(struct jctx *j, int staged, struct eng_verdict *v)
{
    const struct eng_flow *f = j->f;
    int allow;

    memset(v, 0, sizeof(*v));
    eval_end(j, DIR_EGRESS, staged, &v->egress);
    eval_end(j, DIR_INGRESS, staged, &v->ingress);
    /* §13.2: a workload's traffic to its own host (the node's address, or
     * a host-network pod of the node), once its egress allowed it, meets
     * Felix's defaultEndpointToHostAction; no host endpoint policy. */
    if (j->src_ls >= 0 && f->dst && f->dst->kind == EP_HOST && same_node(f->src, f->dst) &&
        v->egress.allow) {
        struct felix_eff fe;

        felix_effective(j->e->ps, f->src->node, &fe);
        v->ingress.judged = 1;
        v->ingress.reason = REASON_TO_HOST;
        v->ingress.to_host = fe.to_host;
        v->ingress.to_host_by = fe.to_host_by;
        v->ingress.allow = fe.to_host != TOHOST_DROP;
        v->ingress.dec.action = v->ingress.allow ? ACT_ALLOW : ACT_DENY;
        v->ingress.dec.rule = -1;
    }
    allow = (!v->egress.judged || v->egress.allow) && (!v->ingress.judged || v->ingress.allow);
    v->verdict = allow ? VERDICT_ALLOW : VERDICT_DENY;
    v->decided_dir = decided_dir_of(v);
    redacted_unknown(j, v);
    /* §17.3: a host endpoint that cannot be placed or judged makes an
     * allowed flow unknown; a drop elsewhere still decides. */
    if (v->verdict == VERDICT_ALLOW && (v->egress.unknown || v->ingress.unknown)) {
        const struct eng_dir *u = v->egress.unknown ? &v->egress : &v->ingress;

        v->verdict = VERDICT_UNKNOWN;
        v->unknown = strstr(u->why, "profile")        ? UNK_HEP_PROFILE
                     : strstr(u->why, "is not known") ? UNK_HEP_NODE
                                                      : UNK_HEP_UNPLACED;
        v->why = u->why;
    }
}

static int step_eq(const struct eng_step *a, const struct eng_step *b)
{
    if (a->tier != b->tier || a->pol != b->pol || a->action != b->action || a->rule != b->rule)
        return 0;
    if (!a->profile || !b->profile)
        return a->profile == b->profile;
    return strcmp(a->profile, b->profile) == 0;
}

/* Cached entry number i. */
static struct eng_centry *centry_at(const struct engine *e, uint32_t i)
{
    return &e->cchunks[i >> ENG_CHUNK_SHIFT][i & (ENG_CHUNK - 1)];
}

/* A new cached entry, zeroed; its number is e->ncentries - 1. */
static struct eng_centry *centry_new(struct engine *e)
{
    size_t c = e->ncentries >> ENG_CHUNK_SHIFT;
    struct eng_centry *ce;

    if ((e->ncentries & (ENG_CHUNK - 1)) == 0) {
        ALLOC_GROW(e->cchunks, c + 1, e->cchunks_alloc);
        e->cchunks[c] =
            (struct eng_centry *)(((uintptr_t)arena_alloc(&e->arena, ENG_CHUNK * sizeof(*ce) + 63) +
                                   63) &
                                  ~(uintptr_t)63);
    }
    ce = &e->cchunks[c][e->ncentries & (ENG_CHUNK - 1)];
    e->ncentries++;
    memset(ce, 0, sizeof(*ce));
    return ce;
}

/* The case index + 1 of ep in *id (0 for NULL); 0 when ep is not one of
 * the case's endpoints. */
static int ep_index(const struct engine *e, const struct case_ep *ep, uint32_t *id)
{
    if (!ep) {
        *id = 0;
        return 1;
    }
    if (ep < e->eps || ep >= e->eps_end) /* also when e->eps is NULL */
        return 0;
    *id = (uint32_t)(ep - e->eps) + 1;
    return 1;
}

/*
 * Whether no verdict can depend on a named pod's own address, only on
 * what ep_twins() compares: no rule names nets or notNets (Kubernetes
 * ipBlock, admin networks), no network set or host endpoint holds
 * addresses (members_of(), §17.2), no rule names Services (their
 * EndpointSlices hold addresses, §12), the case is not redacted (§11: a
 * pseudonym's match is not known), and no explanation is kept (--explain
 * writes the address into the trace).
 */
static int addr_blind(const struct engine *e)
{
    const struct policy_set *ps = e->ps;

    if ((e->flags & ENG_EXPLAIN) || ps->nheps || ps->nnetsets || e->has_svc_rules ||
        (e->c && e->c->redacted))
        return 0;
    for (size_t k = 0; k < e->npols; k++) {
        const struct policy *p = e->pols[k].p;

        for (int d = 0; d < 2; d++) {
            const struct rule *rules = d ? p->egress : p->ingress;
            size_t nr = d ? p->negress : p->ningress;

            for (size_t r = 0; r < nr; r++)
                if (rules[r].src.nnets || rules[r].src.nnotnets || rules[r].dst.nnets ||
                    rules[r].dst.nnotnets)
                    return 0;
        }
    }
    return 1;
}

static int str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* A named pod whose verdicts twins may share: IPv6 link-local and
 * multicast addresses are Felix's own business (felix_allows()). */
static int twin_kind(const struct case_ep *ep)
{
    return ep->kind == EP_POD && ep->name &&
           !(ep->ip.family == 6 &&
             (ep->ip.a[0] == 0xff || (ep->ip.a[0] == 0xfe && (ep->ip.a[1] & 0xc0) == 0x80)));
}

/* What the engine reads of a named pod besides its address (ep_lsid(),
 * stage_workload(), end_node(), same_node(), named_port_match()). */
static int twin_eq(struct engine *e, const struct case_ep *a, const struct case_ep *b)
{
    if (ep_lsid(e, a) != ep_lsid(e, b) || a->ip.family != b->ip.family || !str_same(a->ns, b->ns) ||
        !str_same(a->sa, b->sa) || !str_same(a->node, b->node) || !str_same(a->iface, b->iface) ||
        a->nports != b->nports)
        return 0;
    for (size_t i = 0; i < a->nports; i++)
        if (!str_same(a->ports[i].name, b->ports[i].name) ||
            a->ports[i].proto != b->ports[i].proto || a->ports[i].port != b->ports[i].port)
            return 0;
    return 1;
}

/*
 * Every case endpoint's twin: pods of one workload share labels, namespace,
 * node and ports and differ by address and name only, and when the policy
 * set cannot tell addresses apart (addr_blind()) every verdict of one is a
 * verdict of the other.  The cache keys endpoints by their twin, so that a
 * million flows between the pods of a few hundred workloads are judged
 * once per pair of workloads, not once per pair of pods.
 */
static void ep_twins(struct engine *e)
{
    struct htab map;
    int blind = addr_blind(e);

    e->twin = xmalloc((e->neps ? e->neps : 1) * sizeof(*e->twin));
    memset(&map, 0, sizeof(map));
    for (size_t k = 0; k < e->neps; k++) {
        const struct case_ep *ep = &e->eps[k];
        struct htab_iter it;
        uint64_t h;
        uint32_t i;

        e->twin[k] = (uint32_t)k;
        if (!blind || !twin_kind(ep))
            continue;
        h = hash_u64((uint64_t)ep_lsid(e, ep), hash_str(ep->node ? ep->node : "", 0));
        for (i = htab_first(&map, h, &it); i != HTAB_NONE; i = htab_next(&map, &it)) {
            if (twin_eq(e, &e->eps[i], ep)) {
                e->twin[k] = i;
                break;
            }
        }
        if (e->twin[k] == k)
            htab_add(&map, h, (uint32_t)k);
    }
    htab_release(&map);
}

static void judge_into(struct engine *e, const struct eng_flow *f, struct eng_verdict *v);
static const struct eng_verdict *judge_uncached(struct engine *e, const struct eng_flow *f);

/* The interned id (+1) of where f met nodes' own interfaces, 0: nowhere. */
static uint32_t seen_id(struct engine *e, const struct eng_flow *f)
{
    struct buf b;
    struct htab_iter it;
    uint64_t h;
    uint32_t i;

    if (!f->seen[0].node)
        return 0;
    buf_init(&b, 0);
    for (size_t k = 0; k < ARRAY_SIZE(f->seen) && f->seen[k].node; k++)
        if (buf_addf(&b, "%s\x1f%s\x1e", f->seen[k].node, f->seen[k].iface) != 0)
            break;
    h = hash_bytes(b.data, b.len, 0);
    for (i = htab_first(&e->seenmap, h, &it); i != HTAB_NONE; i = htab_next(&e->seenmap, &it)) {
        if (strcmp(e->seen_keys[i], b.data) == 0) {
            buf_release(&b);
            return i + 1;
        }
    }
    ALLOC_GROW(e->seen_keys, e->nseen + 1, e->seen_alloc);
    e->seen_keys[e->nseen] = buf_detach(&b, NULL);
    htab_add(&e->seenmap, h, (uint32_t)e->nseen);
    return (uint32_t)++e->nseen;
}

static const struct eng_verdict *judge_service(struct engine *e, const struct eng_flow *f);

/* The key of a flow whose ends have indexes sid, did and oid (0: none;
 * ep_index()), but key->seen (0 here).  Inline: both callers have their
 * flow's fields at hand, in a struct eng_flow or a struct case_flow. */
static inline void key_make(struct engine *e, struct eng_key *key, uint32_t sid, uint32_t did,
                            uint32_t oid, const struct ipaddr *src_ip, const struct ipaddr *dst_ip,
                            int proto, uint16_t src_port, uint16_t dst_port, int icmp_type,
                            int icmp_code, int64_t t)
{
    if (!e->twin)
        ep_twins(e);
    memset(key, 0, sizeof(*key));
    /* An end by its twin's index (ep_twins()); the families always, as
     * the twins share theirs. */
    key->sid = sid ? e->twin[sid - 1] + 1 : 0;
    key->did = did ? e->twin[did - 1] + 1 : 0;
    key->oid = oid;
    key->sfam = src_ip->family;
    key->dfam = dst_ip->family;
    if (!key->sid)
        memcpy(key->sip, src_ip->a, 16);
    if (!key->did)
        memcpy(key->dip, dst_ip->a, 16);
    key->dport = dst_port;
    key->sport = e->key_sport ? src_port : 0;
    key->proto = (uint8_t)proto;
    key->itype = (int16_t)(is_icmp(proto) ? icmp_type : -1);
    key->icode = (int16_t)(is_icmp(proto) ? icmp_code : -1);
    key->epoch = e->has_svc_rules && e->c ? case_svc_epoch(e->c, t) : 0;
}

static uint64_t key_hash(const struct eng_key *key)
{
    uint64_t h = hash_bytes(key, offsetof(struct eng_key, sip), 0);

    if (!key->sid || !key->did)
        h = hash_bytes(key->sip, sizeof(key->sip) + sizeof(key->dip), h);
    return h;
}

/* What cache_get() compares a cached entry's key with. */
struct cache_probe {
    const struct engine *e;
    const struct eng_key *key;
};

static inline int cache_key_eq(const void *ctx, uint32_t i)
{
    const struct cache_probe *q = ctx;
    const struct eng_key *a = &centry_at(q->e, i)->key, *b = q->key;

    return memcmp(a, b, offsetof(struct eng_key, sip)) == 0 &&
           ((b->sid && b->did) || memcmp(a->sip, b->sip, sizeof(b->sip) + sizeof(b->dip)) == 0);
}

/* The cached verdict of key (hash h), or NULL.  Inline, with its probe
 * (htab_find()): it runs once a flow. */
static inline const struct eng_verdict *cache_get(const struct engine *e, const struct eng_key *key,
                                                  uint64_t h)
{
    struct cache_probe q = {e, key};
    uint32_t i = htab_find(&e->cache, h, cache_key_eq, &q);

    return i == HTAB_NONE ? NULL : &centry_at(e, i)->v;
}

/* Judge f, whose key is key (hash h), into a new cached entry. */
static const struct eng_verdict *cache_add(struct engine *e, const struct eng_flow *f,
                                           const struct eng_key *key, uint64_t h)
{
    struct eng_centry *ce;

    e->stats.tuples++;
    ce = centry_new(e);
    ce->key = *key;
    judge_into(e, f, &ce->v);
    htab_add(&e->cache, h, (uint32_t)(e->ncentries - 1));
    return &ce->v;
}

const struct eng_verdict *engine_judge(struct engine *e, const struct eng_flow *f)
{
    struct eng_key key;
    const struct eng_verdict *v;
    uint32_t sid, did, oid;
    uint64_t h;

    if (f->svc && e->c)
        return judge_service(e, f);
    e->stats.judged++;
    /* An endpoint that is not one of the case's has no index: judge
     * afresh, uncached (only hand-built callers do this). */
    if (!ep_index(e, f->src, &sid) || !ep_index(e, f->dst, &did) || !ep_index(e, f->orig_dst, &oid))
        return judge_uncached(e, f);
    key_make(e, &key, sid, did, oid, &f->src_ip, &f->dst_ip, f->proto, f->src_port, f->dst_port,
             f->icmp_type, f->icmp_code, f->t);
    key.seen = e->hep_specific ? seen_id(e, f) : 0;
    h = key_hash(&key);
    v = cache_get(e, &key, h);
    return v ? v : cache_add(e, f, &key, h);
}

const struct eng_verdict *engine_judge_case(struct engine *e, const struct case_db *c,
                                            const struct case_flow *fl, struct ipaddr *orig,
                                            int *dnat)
{
    struct eng_flow ef;
    struct eng_key key;
    const struct eng_verdict *v;
    uint32_t sid, did;
    uint64_t h;

    /* A recorded translation, a Service's backends, host endpoints by
     * interface, an end not of the case: what eng_flow_from_case() makes,
     * judged. */
    if (fl->dnat || fl->svc || e->hep_specific || !ep_index(e, fl->src, &sid) ||
        !ep_index(e, fl->dst, &did)) {
        *dnat = eng_flow_from_case(&ef, c, fl, orig);
        return engine_judge(e, &ef);
    }
    *dnat = 0;
    e->stats.judged++;
    key_make(e, &key, sid, did, 0, &fl->src_ip, &fl->dst_ip, fl->proto, fl->src_port, fl->dst_port,
             fl->icmp_type, fl->icmp_code, fl->first_ns);
    h = key_hash(&key);
    v = cache_get(e, &key, h);
    if (v)
        return v;
    eng_flow_from_case(&ef, c, fl, NULL);
    return cache_add(e, &ef, &key, h);
}

/* §13.4: ICMPv6 multicast listener (130-132), router solicitation (133)
 * and neighbour solicitation and advertisement (135, 136), which Felix
 * accepts from a workload to its host before any policy; a workload
 * exchanges them with its host only (link-local or multicast
 * destinations, or the host itself). */
static int felix_allows(const struct eng_flow *f)
{
    static const uint8_t types[] = {130, 131, 132, 133, 135, 136};
    int t = 0;

    if (f->proto != 58 || f->icmp_type < 0)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        t |= f->icmp_type == types[i];
    if (!t || f->dst_ip.family != 6)
        return 0;
    return f->dst_ip.a[0] == 0xff || (f->dst_ip.a[0] == 0xfe && (f->dst_ip.a[1] & 0xc0) == 0x80) ||
           (f->dst && f->dst->kind == EP_HOST && same_node(f->src, f->dst));
}

/* An end without an identity (§11): no endpoint, or a pod netlink saw
 * behind an interface without a name; inside the cluster's pod networks
 * (the case's, or an IPPool's), or a pod whatever its address.  Its
 * network's description goes into net (may be empty). */
static int unidentified(const struct engine *e, const struct case_ep *ep, const struct ipaddr *ip,
                        char *net, size_t size)
{
    const struct case_podnet *pn;
    const struct ippool *pool;
    char cb[IPADDR_STRLEN + 4];

    net[0] = 0;
    if (ep && (ep->kind != EP_POD || ep->name))
        return 0;
    if (ep) {
        snprintf(net, size, "a pod behind %s", ep->iface ? ep->iface : "an interface");
        return 1;
    }
    pn = e->c ? case_pod_network(e->c, ip) : NULL;
    if (pn) {
        snprintf(net, size, "pod network %s (%s%s%s)", cidr_format(&pn->net, cb), pn->source,
                 pn->node ? ", node " : "", pn->node ? pn->node : "");
        return 1;
    }
    pool = policy_pod_pool(e->ps, ip);
    if (pool) {
        snprintf(net, size, "pod network %s (IPPool %s)", cidr_format(&pool->cidr, cb), pool->name);
        return 1;
    }
    return 0;
}

/*
 * What Felix decides before any policy, or what makes the verdict
 * unknown; 1 when v is decided so.
 */
static int judge_before(struct engine *e, const struct eng_flow *f, struct eng_verdict *v)
{
    char net[160], ipb[IPADDR_STRLEN];

    memset(v, 0, sizeof(*v));
    if (felix_allows(f)) {
        struct eng_dir *d = f->src && f->src->kind == EP_POD ? &v->egress : &v->ingress;

        d->judged = 1;
        d->allow = 1;
        d->reason = REASON_FELIX_ALLOWS;
        d->dec.action = ACT_ALLOW;
        d->dec.rule = -1;
        v->verdict = VERDICT_ALLOW;
        v->decided_dir = d == &v->egress ? DIR_EGRESS : DIR_INGRESS;
        return 1;
    }
    /* §13.1: from the host (its address, or a host-network pod) to a
     * workload of the same node: never policed. */
    if (f->src && f->src->kind == EP_HOST && f->dst && f->dst->kind == EP_POD &&
        same_node(f->src, f->dst)) {
        v->ingress.judged = 1;
        v->ingress.allow = 1;
        v->ingress.reason = REASON_HOST_LOCAL;
        v->ingress.dec.action = ACT_ALLOW;
        v->ingress.dec.rule = -1;
        v->verdict = VERDICT_ALLOW;
        v->decided_dir = DIR_INGRESS;
        return 1;
    }
    if (e->c && !e->c->has_identities) {
        v->verdict = VERDICT_UNKNOWN;
        v->unknown = UNK_NO_IDENTITIES;
        v->why = "the case has no identities (no inventory)";
        return 1;
    }
    for (int side = 0; side < 2; side++) {
        const struct case_ep *ep = side ? f->dst : f->src;
        const struct ipaddr *ip = side ? &f->dst_ip : &f->src_ip;

        if (!unidentified(e, ep, ip, net, sizeof(net)))
            continue;
        v->verdict = VERDICT_UNKNOWN;
        v->unknown = side ? UNK_DST_IDENTITY : UNK_SRC_IDENTITY;
        v->why = xstr(e, "the %s %s lies in %s and has no identity at the flow's time",
                      side ? "destination" : "source", ipaddr_format(ip, ipb), net);
        return 1;
    }
    return 0;
}

/* A redacted case: which rules name external CIDRs not kept (eng_pol.red),
 * once. */
static void redacted_prepare(struct engine *e)
{
    if (e->red_ready)
        return;
    e->red_ready = 1;
    for (size_t k = 0; k < e->npols; k++) {
        struct eng_pol *p = &e->pols[k];

        for (int d = 0; d < 2; d++) {
            const struct rule *rules = d ? p->p->egress : p->p->ingress;
            size_t nr = d ? p->p->negress : p->p->ningress;

            int any = 0;

            for (int c = 0; c < CL_N; c++)
                any |= p->eligible[c][d];
            if (!any || !nr)
                continue;
            p->red[d] = xcalloc(nr, 1);
            for (size_t r = 0; r < nr; r++) {
                const struct polnets *kept = &e->c->redaction_kept;

                if (engine_entity_redacted(e, kept, &rules[r].src, NULL, 0))
                    p->red[d][r] |= 1u << SIDE_SRC;
                if (engine_entity_redacted(e, kept, &rules[r].dst, NULL, 0))
                    p->red[d][r] |= 1u << SIDE_DST;
            }
        }
    }
}

/* Evaluate f into v (engine-owned storage). */
static void judge_into(struct engine *e, const struct eng_flow *f, struct eng_verdict *v)
{
    struct jctx j;

    if (judge_before(e, f, v))
        return;
    memset(&j, 0, sizeof(j));
    j.e = e;
    j.f = f;
    j.fam = f->src_ip.family;
    j.explain = (e->flags & ENG_EXPLAIN) != 0;
    j.src_ls = ep_lsid(e, f->src);
    j.dst_ls = ep_lsid(e, f->dst);
    members_of(&j, 0, &f->src_ip, j.src_ls);
    members_of(&j, 1, &f->dst_ip, j.dst_ls);
    if (e->c && e->c->redacted) {
        redacted_prepare(e);
        j.pseud[SIDE_SRC] = !f->src && !polnets_contains(&e->c->redaction_kept, &f->src_ip) &&
                            pseudo_in_ranges(&f->src_ip);
        j.pseud[SIDE_DST] = !f->dst && !polnets_contains(&e->c->redaction_kept, &f->dst_ip) &&
                            pseudo_in_ranges(&f->dst_ip);
    }

    eval_all(&j, 0, v);
    if (e->has_staged) {
        struct eng_verdict *sv = arena_calloc(&e->arena, 1, sizeof(*sv));
        const struct eng_dir *a, *b;

        j.explain = 0;
        eval_all(&j, 1, sv);
        a = eng_decided(v);
        b = eng_decided(sv);
        if (sv->verdict != v->verdict || sv->decided_dir != v->decided_dir ||
            (a && b && !step_eq(&a->dec, &b->dec)))
            v->staged = sv;
    }
}

/* Append n bytes of p to the key being built in k (at most size). */
static void key_add(unsigned char *k, size_t *len, size_t size, const void *p, size_t n)
{
    if (*len <= size && n <= size - *len)
        memcpy(k + *len, p, n);
    *len += n;
}

/*
 * §12: a flow to a Service whose translation was neither recorded nor
 * paired is judged against every ready backend at its time; if all give
 * the same known verdict, that is the verdict (the first backend's, with
 * the Service named), else unknown.  Cached per (source, Service port,
 * backend set, ...): the set changes with the EndpointSlices in force.
 */
static const struct eng_verdict *judge_service(struct engine *e, const struct eng_flow *f)
{
    struct case_backend bk[LIM_SVC_BACKENDS];
    unsigned char key[64 + LIM_SVC_BACKENDS * 24];
    size_t n = case_svc_backends(e->c, f->svc, f->svc_port, f->t, bk, LIM_SVC_BACKENDS);
    size_t nb = n < LIM_SVC_BACKENDS ? n : LIM_SVC_BACKENDS, klen = 0, i, nallow = 0, ndeny = 0;
    uint32_t sid = 0, si;
    uint64_t h;
    struct htab_iter it;
    int16_t itype = (int16_t)(is_icmp(f->proto) ? f->icmp_type : -1);
    uint16_t sport = e->key_sport ? f->src_port : 0;
    struct eng_sventry *se;
    struct eng_backend *b;
    struct eng_via *via;
    struct eng_verdict *v;
    char sname[300];

    e->stats.judged++;
    if (!ep_index(e, f->src, &sid))
        sid = 0;
    key_add(key, &klen, sizeof(key), &sid, sizeof(sid));
    if (!sid)
        key_add(key, &klen, sizeof(key), &f->src_ip, sizeof(f->src_ip));
    key_add(key, &klen, sizeof(key), &f->svc, sizeof(f->svc));
    key_add(key, &klen, sizeof(key), &f->svc_port, sizeof(f->svc_port));
    key_add(key, &klen, sizeof(key), &sport, sizeof(sport));
    key_add(key, &klen, sizeof(key), &itype, sizeof(itype));
    key_add(key, &klen, sizeof(key), &n, sizeof(n));
    {
        /* §17.3: where the flow met nodes' own interfaces places it. */
        uint32_t seen = e->hep_specific ? seen_id(e, f) : 0;

        key_add(key, &klen, sizeof(key), &seen, sizeof(seen));
    }
    for (i = 0; i < nb; i++) {
        key_add(key, &klen, sizeof(key), &bk[i].sep, sizeof(bk[i].sep));
        key_add(key, &klen, sizeof(key), &bk[i].ep, sizeof(bk[i].ep));
        key_add(key, &klen, sizeof(key), &bk[i].port, sizeof(bk[i].port));
    }
    if (klen > sizeof(key))
        klen = sizeof(key); /* cannot happen: sized for LIM_SVC_BACKENDS */
    h = hash_bytes(key, klen, 0);
    for (si = htab_first(&e->svmap, h, &it); si != HTAB_NONE; si = htab_next(&e->svmap, &it)) {
        se = e->svents[si];
        if (se->klen == klen && memcmp(se->key, key, klen) == 0)
            return &se->v;
    }
    se = arena_calloc(&e->arena, 1, sizeof(*se));
    se->klen = klen;
    se->key = (unsigned char *)arena_memdupz(&e->arena, key, klen);
    ALLOC_GROW(e->svents, e->nsvents + 1, e->svents_alloc);
    e->svents[e->nsvents] = se;
    htab_add(&e->svmap, h, (uint32_t)e->nsvents++);
    v = &se->v;

    via = arena_calloc(&e->arena, 1, sizeof(*via));
    via->svc = f->svc;
    via->svc_port = f->svc_port;
    via->nbackends = n;
    b = arena_calloc(&e->arena, nb ? nb : 1, sizeof(*b));
    for (i = 0; i < nb; i++) {
        struct eng_flow bf = *f;

        bf.svc = NULL;
        bf.orig_dst = f->dst;
        bf.dst = bk[i].ep;
        bf.dst_ip = bk[i].sep->ip;
        bf.dst_port = bk[i].port;
        b[i].ep = bk[i].ep;
        b[i].ip = bk[i].sep->ip;
        b[i].port = bk[i].port;
        b[i].v = engine_judge(e, &bf);
        nallow += b[i].v->verdict == VERDICT_ALLOW;
        ndeny += b[i].v->verdict == VERDICT_DENY;
    }
    via->b = b;
    via->nb = nb;
    snprintf(sname, sizeof(sname), "%s/%s", f->svc->ns, f->svc->name);
    if (n && n <= LIM_SVC_BACKENDS && (nallow == n || ndeny == n)) {
        *v = *b[0].v;
        via->agree = 1;
        v->via = via;
        v->why =
            n == 1
                ? xstr(e, "via Service %s, backend not recorded: its one ready backend", sname)
                : xstr(e, "via Service %s, backend not recorded, all %zu backends agree", sname, n);
        return v;
    }
    memset(v, 0, sizeof(*v));
    v->verdict = VERDICT_UNKNOWN;
    v->via = via;
    if (!n) {
        v->unknown = UNK_NO_BACKENDS;
        v->why =
            xstr(e, "via Service %s, backend not recorded: no ready backend at that time", sname);
    } else if (n > LIM_SVC_BACKENDS) {
        v->unknown = UNK_MANY_BACKENDS;
        v->why = xstr(e,
                      "via Service %s, backend not recorded: %zu ready backends, more than "
                      "the %d podflow judges",
                      sname, n, LIM_SVC_BACKENDS);
    } else {
        v->unknown = nallow + ndeny < n ? UNK_BACKEND_UNKNOWN : UNK_BACKENDS_DISAGREE;
        v->why = xstr(e,
                      "via Service %s, backend not recorded: of %zu backends %zu allow, %zu "
                      "deny, %zu unknown",
                      sname, n, nallow, ndeny, n - nallow - ndeny);
    }
    return v;
}

static const struct eng_verdict *judge_uncached(struct engine *e, const struct eng_flow *f)
{
    struct eng_verdict *v = arena_calloc(&e->arena, 1, sizeof(*v));

    e->stats.tuples++;
    judge_into(e, f, v);
    return v;
}

/* ---- names ---------------------------------------------------------------- */

const char *eng_reason_name(enum eng_reason r)
{
    switch (r) {
    case REASON_RULE:
        return "rule";
    case REASON_END_OF_TIER:
        return "end-of-tier";
    case REASON_TIER_DEFAULT:
        return "tier-default";
    case REASON_NO_POLICY:
        return "no-policy";
    case REASON_PROFILE:
        return "profile";
    case REASON_DATAPLANE:
        return "dataplane";
    case REASON_HOST_LOCAL:
        return "host-to-local-workload";
    case REASON_TO_HOST:
        return "endpoint-to-host";
    case REASON_FELIX_ALLOWS:
        return "felix-always-allows";
    case REASON_FAILSAFE:
        return "failsafe";
    case REASON_NO_PROFILE:
        return "no-profile";
    }
    return "?";
}

const char *eng_stage_name(enum eng_stage st)
{
    switch (st) {
    case STAGE_WORKLOAD:
        return "workload";
    case STAGE_FAILSAFE:
        return "failsafe";
    case STAGE_UNTRACKED:
        return "untracked";
    case STAGE_PREDNAT:
        return "pre-dnat";
    case STAGE_NORMAL:
        return "normal";
    case STAGE_FORWARD:
        return "forward";
    }
    return "?";
}

const char *verdict_name(enum verdict v)
{
    switch (v) {
    case VERDICT_ALLOW:
        return "allow";
    case VERDICT_DENY:
        return "deny";
    case VERDICT_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

const char *eng_unknown_name(enum eng_unknown u)
{
    switch (u) {
    case UNK_NONE:
        return NULL;
    case UNK_NO_IDENTITIES:
        return "no-identities";
    case UNK_SRC_IDENTITY:
        return "source-unidentified";
    case UNK_DST_IDENTITY:
        return "destination-unidentified";
    case UNK_BACKENDS_DISAGREE:
        return "backends-disagree";
    case UNK_BACKEND_UNKNOWN:
        return "backend-unknown";
    case UNK_NO_BACKENDS:
        return "no-ready-backend";
    case UNK_MANY_BACKENDS:
        return "too-many-backends";
    case UNK_REDACTED:
        return "redacted-peer";
    case UNK_HEP_UNPLACED:
        return "host-endpoint-unplaced";
    case UNK_HEP_PROFILE:
        return "host-endpoint-profile";
    case UNK_HEP_NODE:
        return "host-endpoint-node-unknown";
    }
    return NULL;
}

int eng_felix_text(const struct eng_dir *d, struct buf *out)
{
    int rc;

    switch (d->reason) {
    case REASON_HOST_LOCAL:
        rc = buf_addstr(out, "from its node's host: never policed (host-to-local-workload)");
        break;
    case REASON_FELIX_ALLOWS:
        rc = buf_addstr(out, "ICMPv6 Felix allows before any policy");
        break;
    case REASON_TO_HOST:
        if (d->to_host_by)
            rc = buf_addf(out,
                          "to its own node: defaultEndpointToHostAction %s (FelixConfiguration %s)",
                          felix_to_host_name(d->to_host), d->to_host_by->name);
        else
            rc = buf_addf(out,
                          "to its own node: defaultEndpointToHostAction %s (Calico's installs' "
                          "ACCEPT)",
                          felix_to_host_name(d->to_host));
        break;
    default:
        return 0;
    }
    return rc ? rc : 1;
}

/* "namespace/name" or "name"; the converted admin kinds as Calico names
 * them (§15.6, §16): "kanp.adminnetworkpolicy.<name>",
 * "kbanp.baselineadminnetworkpolicy.<name>", "kcnp.<name>". */
/* What judged the end at a host endpoint, for people: "host endpoint X, its
 * normal policies: ".  0 or ERR_LIMIT. */
static int hep_prefix(const struct eng_dir *d, struct buf *out)
{
    static const char *const what[] = {[STAGE_WORKLOAD] = "",
                                       [STAGE_FAILSAFE] = "failsafe ports",
                                       [STAGE_UNTRACKED] = "doNotTrack policies",
                                       [STAGE_PREDNAT] = "preDNAT policies",
                                       [STAGE_NORMAL] = "policies",
                                       [STAGE_FORWARD] = "applyOnForward policies"};

    if (!d->hep)
        return 0;
    return buf_addf(out, "host endpoint %s (node %s), its %s: ", d->hep->name, d->hep->node,
                    what[d->stage]);
}

int eng_decider_text(const struct eng_verdict *v, int with_selected, struct buf *out)
{
    const struct eng_dir *d = eng_decided(v);
    int rc;

    if (v->verdict == VERDICT_UNKNOWN)
        return buf_addf(out, "unknown: %s", v->why ? v->why : eng_unknown_name(v->unknown));
    if (!d)
        return buf_addstr(out, "no pod at either end");
    rc = eng_felix_text(d, out);
    if (rc)
        return rc < 0 ? rc : 0;
    rc = buf_addf(out, "%s ", v->decided_dir == DIR_EGRESS ? "egress" : "ingress");
    if (!rc && d->hep && d->reason == REASON_FAILSAFE)
        return buf_addf(out,
                        "host endpoint %s (node %s): a failsafe %s port, allowed before any "
                        "policy",
                        d->hep->name, d->hep->node, d->dec.failsafe);
    if (!rc)
        rc = hep_prefix(d, out);
    if (rc)
        return rc;
    switch (d->reason) {
    case REASON_RULE:
        rc = buf_addf(out, "rule %d", d->dec.rule);
        if (!rc)
            rc = eng_rule_label(eng_rule_of(d->dec.pol, v->decided_dir, d->dec.rule), out);
        if (!rc)
            rc = buf_addf(out, " (%s) of ", rule_action_name(d->dec.action));
        if (!rc)
            rc = eng_policy_name(d->dec.pol, out);
        return rc ? rc : buf_addf(out, " [tier %s]", d->dec.tier->name);
    case REASON_END_OF_TIER:
        rc = buf_addf(out, "end of tier %s", d->dec.tier->name);
        for (size_t i = 0; with_selected && i < d->nselected && !rc; i++) {
            rc = buf_addstr(out, i ? ", " : ": selected by ");
            if (!rc)
                rc = eng_policy_name(d->selected[i], out);
        }
        return rc ? rc : buf_addstr(out, with_selected && d->nselected ? "; no rule matched" : "");
    case REASON_TIER_DEFAULT:
        if (!d->dec.profile)
            return buf_addstr(out, "every tier passed: not decided by Calico, allowed");
        return buf_addf(out, "tier default Pass, profile %s", d->dec.profile);
    case REASON_PROFILE:
        return buf_addf(out, "passed, profile %s", d->dec.profile);
    case REASON_NO_POLICY:
        if (!d->dec.profile)
            return buf_addstr(out, "none applies: allowed");
        return buf_addf(out, "no policy, profile %s", d->dec.profile);
    case REASON_DATAPLANE:
        return buf_addstr(out, "dataplane drop (VXLAN/IPIP from a workload)");
    case REASON_FAILSAFE:
        return buf_addf(out, "a failsafe %s port", d->dec.failsafe);
    case REASON_NO_PROFILE:
        return buf_addstr(out, "no policy decided and no profile allowed: dropped");
    case REASON_HOST_LOCAL:
    case REASON_TO_HOST:
    case REASON_FELIX_ALLOWS:
        break;
    }
    return 0;
}

int eng_policy_name(const struct policy *p, struct buf *out)
{
    switch (p->kind) {
    case POL_ANP:
        return buf_addf(out, "kanp.adminnetworkpolicy.%s", p->name);
    case POL_BANP:
        return buf_addf(out, "kbanp.baselineadminnetworkpolicy.%s", p->name);
    case POL_CNP:
        return buf_addf(out, "kcnp.%s", p->name);
    case POL_NP:
    case POL_GNP:
    case POL_KNP:
    case POL_SNP:
    case POL_SGNP:
    case POL_SKNP:
        break;
    }
    if (p->ns)
        return buf_addf(out, "%s/%s", p->ns, p->name);
    return buf_addstr(out, p->name);
}

/* The name part of a trace entry (§5.1; DESIGN.md): "[ns/]tier.name",
 * with Calico's spellings for converted Kubernetes policies
 * ("knp.default.<name>") and staged ones ("staged:" before the name).  A
 * name that already carries its tier prefix (the pre-3.30 convention,
 * e.g. "application.engine-fmeserver") is not prefixed twice.  The admin
 * kinds are spelt as the Calico versions that enforce them print them
 * (§15.6, §16): v3.30-v3.31's "<tier>.<backend name>" for AdminNetworkPolicy
 * and BaselineAdminNetworkPolicy, v3.32's "kcnp:<name>" for
 * ClusterNetworkPolicy. */
static int trace_name(const struct policy *p, struct buf *out)
{
    int rc = 0;
    size_t tl = strlen(p->tier);
    int has_prefix = strncmp(p->name, p->tier, tl) == 0 && p->name[tl] == '.';

    if (p->ns)
        rc = buf_addstr(out, p->ns);
    if (p->ns && !rc)
        rc = buf_addch(out, '/');
    switch (p->kind) {
    case POL_KNP:
        return rc ? rc : buf_addf(out, "knp.default.%s", p->name);
    case POL_SKNP:
        return rc ? rc : buf_addf(out, "staged:knp.default.%s", p->name);
    case POL_SNP:
    case POL_SGNP:
        if (has_prefix)
            return rc ? rc : buf_addf(out, "%s.staged:%s", p->tier, p->name + tl + 1);
        return rc ? rc : buf_addf(out, "%s.staged:%s", p->tier, p->name);
    case POL_ANP:
        return rc ? rc : buf_addf(out, "%s.kanp.adminnetworkpolicy.%s", p->tier, p->name);
    case POL_BANP:
        return rc ? rc : buf_addf(out, "%s.kbanp.baselineadminnetworkpolicy.%s", p->tier, p->name);
    case POL_CNP:
        return rc ? rc : buf_addf(out, "kcnp:%s", p->name);
    case POL_NP:
    case POL_GNP:
        break;
    }
    if (!has_prefix && !rc)
        rc = buf_addstr(out, p->tier);
    if (!has_prefix && !rc)
        rc = buf_addch(out, '.');
    return rc ? rc : buf_addstr(out, p->name);
}

const struct rule *eng_rule_of(const struct policy *p, int dir, int rule)
{
    if (!p || rule < 0)
        return NULL;
    if (dir == DIR_INGRESS)
        return (size_t)rule < p->ningress ? &p->ingress[rule] : NULL;
    return (size_t)rule < p->negress ? &p->egress[rule] : NULL;
}

int eng_rule_label(const struct rule *r, struct buf *out)
{
    int rc = 0;

    if (r && r->name)
        rc = buf_addf(out, " '%s'", r->name);
    if (!rc && r && r->fail_closed)
        rc = buf_addstr(out, " (fail-closed: Calico could not convert it)");
    return rc;
}

int eng_step_format(const struct eng_step *s, unsigned index, struct buf *out)
{
    int rc;

    if (s->profile)
        return buf_addf(out, "%u|__PROFILE__|__PROFILE__.%s|%s|%d", index, s->profile,
                        rule_action_flowlog(s->action), s->rule);
    /* Felix logs nothing for its failsafe rules: podflow's own spelling
     * (§17.5). */
    if (s->failsafe)
        return buf_addf(out, "%u|__FAILSAFE__|__FAILSAFE__.%s|%s|%d", index, s->failsafe,
                        rule_action_flowlog(s->action), s->rule);
    if (!s->pol || !s->tier)
        return buf_addf(out, "%u|__DATAPLANE__|__DATAPLANE__|%s|%d", index,
                        rule_action_flowlog(s->action), s->rule);
    /* "%u|%s|", the name, "|%s|%d", without printf (a JSON record per
     * flow writes a few of these). */
    rc = buf_addu(out, index);
    if (!rc)
        rc = buf_addch(out, '|');
    if (!rc)
        rc = buf_addstr(out, s->tier->name);
    if (!rc)
        rc = buf_addch(out, '|');
    if (!rc)
        rc = trace_name(s->pol, out);
    if (!rc)
        rc = buf_addch(out, '|');
    if (!rc)
        rc = buf_addstr(out, rule_action_flowlog(s->action));
    if (!rc)
        rc = buf_addch(out, '|');
    if (!rc)
        rc = buf_addi(out, s->rule);
    return rc;
}
