/*
 * cmd_check.c: podflow-analyze check: judge every recorded flow of a case
 * against a policy set and say, for each, allow, deny or unknown and what
 * decided it.
 *
 * Flows are streamed from the .db into the engine (which caches verdicts
 * per tuple).  JSON Lines and CSV of single flows are written as they
 * come; the table, and any grouping, collect records first so that denied
 * lines come first.
 */
#include <stdio.h>

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/cmd/cmd.h"
#include "analyze/engine/engine.h"
#include "analyze/engine/flowset.h"
#include "analyze/engine/redaction.h"
#include "analyze/out/graph.h"
#include "analyze/out/out.h"
#include "analyze/out/series.h"
#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_DOT };
enum only { ONLY_ALL, ONLY_DENIED, ONLY_ALLOWED, ONLY_UNKNOWN };

/* The option table (cmd.h): one row per option, handled in cmd_check(). */
enum {
    O_POLICIES = 1,
    O_FORMAT,
    O_ONLY,
    O_GROUP,
    O_EXPLAIN,
    O_NAMESPACE,
    O_SINCE,
    O_UNTIL,
    O_SKEW,
    O_NO_PAIR,
    O_NO_POLICIES,
    O_JOBS,
    O_INTERVAL,
    O_STRICT,
    O_FELIX_ALWAYS
};
/* -o's values, and the format each stands for (wide: a table of whole
 * names, whatever the terminal, with the process at each end). */
static const char *const check_fmts[] = {"table", "wide", "json", "csv", "dot", NULL};
static const enum fmt check_fmt_of[] = {FMT_TABLE, FMT_TABLE, FMT_JSON, FMT_CSV, FMT_DOT};
static const char *const check_onlys[] = {"all", "denied", "allowed", "unknown", NULL};
static const char *const check_groups[] = {"flow", "tuple", "workload", NULL};

static const struct cmd_opt check_opts[] = {
    {O_POLICIES, 'p', "policies", CMD_ARG_LIST, "PATH...", NULL,
     "policy files, directories or - (repeatable); paths\n"
     "that hold no policy object are an error"},
    {O_NO_POLICIES, 0, "no-policies", CMD_ARG_NONE, NULL, NULL,
     "an empty policy set is meant: judge against none\n(or let the -p paths hold none)"},
    {O_FORMAT, 'o', "output", CMD_ARG_ONE, "FMT", check_fmts,
     "table (default; on a terminal, names cut to its\n"
     "width), wide (names whole, and the process at\n"
     "each end), json (JSON Lines), csv, or dot (the\n"
     "service graph for graphviz)"},
    {O_FORMAT, 'f', "format", CMD_ARG_ONE, "FMT", check_fmts, "the same as -o"},
    {O_ONLY, 0, "only", CMD_ARG_ONE, "WHICH", check_onlys,
     "denied, allowed, unknown or all (default)"},
    {O_GROUP, 'g', "group", CMD_ARG_ONE, "BY", check_groups, "flow (default), tuple or workload"},
    {O_EXPLAIN, 'e', "explain", CMD_ARG_NONE, NULL, NULL,
     "why each rule of each policy did or did not match"},
    {O_NAMESPACE, 'n', "namespace", CMD_ARG_ONE, "NS", NULL,
     "only flows with an end in namespace NS"},
    {O_SINCE, 0, "since", CMD_ARG_ONE, "T", NULL,
     "only flows overlapping that window (T: RFC 3339,\n"
     "Unix seconds, or a duration before the case's end:\n"
     "5m, 1h30m, 90s, 2d)"},
    {O_UNTIL, 0, "until", CMD_ARG_ONE, "T", NULL, "the same, the window's end"},
    {O_SKEW, 0, "skew", CMD_ARG_ONE, "SECONDS", NULL,
     "clock skew allowed between nodes when pairing\nthe ends of a connection (default 2; "
     "decimals)"},
    {O_NO_PAIR, 0, "no-pair", CMD_ARG_NONE, NULL, NULL,
     "report every end of a connection on its own"},
    {O_JOBS, 'j', "jobs", CMD_ARG_ONE, "N", NULL,
     "judge in N threads (default: the cores); the\noutput is the same for any N"},
    {O_INTERVAL, 0, "interval", CMD_ARG_ONE, "DUR", NULL,
     "traffic over time instead of flows: connections,\n"
     "packets and bytes per DUR (10s, 1m, ...) for the\n"
     "cluster and each namespace, by verdict"},
    {O_STRICT, 0, "strict", CMD_ARG_NONE, NULL, NULL,
     "fail closed: an unknown verdict counts as denied\n"
     "(exit status), and a row of a case that cannot\n"
     "be used (a wrong type, a value out of range) is\n"
     "an error (exit 2) rather than left out with a\n"
     "warning and counted on the first line"},
    {O_FELIX_ALWAYS, 0, "felix-always", CMD_ARG_NONE, NULL, NULL,
     "also list what Felix allows whatever the policy\n"
     "(ICMPv6 neighbour discovery; counted, not listed,\n"
     "by default)"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

/* What records of one group share (--group tuple or workload), field by
 * field (gkey_eq()).  The first four fields are 32 bytes without padding,
 * hashed as bytes (gkey_hash()). */
struct gkey {
    const void *s, *d; /* endpoints, or workload identities (wl_end()) */
    uint64_t dec;      /* decision_sig() (workload), or verdict_id(): the
                          verdict as written (tuple) */
    uint32_t proto, dport;
    struct ipaddr sip, dip; /* zeroed (family 0) when the end is a pod (workload) */
};

/* What check counts (the table's last lines, the exit status). */
struct counts {
    uint64_t flows, denied, allowed, ok, failed, unknown, would_break, explained, unexplained;
    uint64_t unk;         /* unknown verdicts (unknown above: observed unknown) */
    uint64_t felix_quiet; /* flows Felix always allows, not listed (§13.4) */
};

/* A flow judged, as --interval's series takes it (series_add()). */
struct sitem {
    const char *ns_a, *ns_b; /* its ends' namespaces (case-owned), or NULL */
    int verdict;             /* SERIES_ALLOW, SERIES_DENY or SERIES_UNKNOWN */
    int64_t first_ns, last_ns, packets, bytes;
};

/* A flow judged, kept for the table, or a group of a part's flows. */
struct item {
    struct out_rec r;
    struct gkey key; /* groups only */
};

/*
 * A part of the flows (ids [lo, hi]): judged by a worker, then committed
 * by the main thread in part order.  The parts are the same for any
 * number of threads, and so is the output.
 */
struct part {
    int64_t lo, hi;
    int state; /* PART_TODO, PART_BUSY, PART_DONE */
    int rc;    /* the scan's */
};
enum { PART_TODO, PART_BUSY, PART_DONE };

/* What a part's worker fills and the commit empties: part p uses buffer
 * p % window, free again once part p - window is committed (kept, not
 * freed, so that its pages are not faulted in again for every part). */
struct pbuf {
    struct buf text; /* streamed formats: the records, written */
    struct item *items;
    size_t nitems, items_alloc;
    struct htab tab;      /* groups: hash of the key -> item index */
    struct sitem *sitems; /* --interval: the part's flows */
    size_t nsitems, sitems_alloc;
    struct counts cnt;
    struct case_skips skips;
};

struct check;

/* One thread's state: its reader of the case, its engine, its strings. */
struct worker {
    struct check *k;
    size_t idx;
    struct case_reader *r;
    struct engine *e;
    struct arena arena; /* interned states, copies of ends */
    struct diag d;      /* its own counts; messages to stderr */
    /* What depends on a verdict only, for the last one judged (flows
     * follow one another with the same verdict; verdict_memo()). */
    const struct eng_verdict *memo_v;
    uint64_t memo_dec; /* its decision_sig() (--group workload) or verdict_id() (tuple) */
    int memo_quiet;    /* Felix allows it whatever the policy: not listed (§13.4) */
    struct part *p;    /* being judged */
    struct pbuf *pb;   /* its buffer */
    pthread_t th;
    int started;
};

struct check {
    struct diag *d;
    struct case_db c;
    const struct policy_set *ps;
    unsigned eng_flags;
    struct red_ctx red; /* what redaction makes untrustworthy (read-only once set) */
    enum fmt fmt;
    enum only only;
    struct out_opts oo;
    const char *ns;
    const struct case_filter *filt;
    int stream; /* write records as they come */
    struct buf out;
    int werr;             /* a write failed */
    struct out_rec *recs; /* collected (malloc'd) */
    size_t nrecs, recs_alloc;
    struct gkey *gkeys;    /* per record when grouping (malloc'd, recs_alloc) */
    struct htab groups;    /* hash of the group key -> record index */
    const void **wl;       /* per case endpoint: its workload's identity (the first pod of it) */
    struct series *series; /* --interval: the committed flows go here (else NULL) */
    struct counts cnt;     /* committed */
    struct case_skips skips;

    /* The parts and the threads judging them. */
    struct worker *w;
    size_t jobs;
    struct part *parts;
    size_t nparts;
    struct pbuf *pbufs; /* window of them */
    size_t next;        /* the next part to judge */
    size_t done;        /* parts committed */
    size_t window;      /* parts judged ahead of the commit, at most */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a part was judged or committed */
    int stop;          /* an error: workers stop taking parts */
    int strict;        /* --strict: an unknown verdict counts as denied */
    int felix_always;  /* --felix-always: list them too */
};

static const char *intern_state(struct worker *w, const char *s)
{
    static const char *const known[] = {"S0",   "S1",     "SF",    "REJ", "S2",  "S3",  "RSTO",
                                        "RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH", ""};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(known); i++)
        if (strcmp(s, known[i]) == 0)
            return known[i];
    return arena_strdup(&w->arena, s);
}

/* The name a workload goes by for grouping: its workload, else the pod. */
static const char *wl_name(const struct case_ep *ep)
{
    return ep->workload ? ep->workload : ep->name ? ep->name : "";
}

/* Every pod's workload identity for grouping: the first pod (in the
 * case's order) of the same namespace and workload.  Computed once,
 * before any thread reads it. */
static void wl_index(struct check *k)
{
    const struct case_ep *eps = k->c.eps;
    size_t n = k->c.neps;
    struct htab map;

    memset(&map, 0, sizeof(map));
    k->wl = xcalloc(n ? n : 1, sizeof(*k->wl));
    for (size_t idx = 0; idx < n; idx++) {
        const struct case_ep *ep = &eps[idx];
        const char *ns = ep->ns ? ep->ns : "", *wl = wl_name(ep);
        struct htab_iter it;
        uint64_t h;

        k->wl[idx] = ep;
        if (ep->kind != EP_POD)
            continue;
        h = hash_str(wl, hash_str(ns, 0));
        for (uint32_t i = htab_first(&map, h, &it); i != HTAB_NONE; i = htab_next(&map, &it)) {
            const struct case_ep *o = &eps[i];

            if (strcmp(o->ns ? o->ns : "", ns) == 0 && strcmp(wl_name(o), wl) == 0) {
                k->wl[idx] = o;
                break;
            }
        }
        if (k->wl[idx] == ep)
            htab_add(&map, h, (uint32_t)idx);
    }
    htab_release(&map);
}

/* An end of a group of --group workload, into *id and *ip: a pod by its
 * workload's identity (wl_index(); itself when it is not one of the
 * case's) and no address, anything else by itself and its address. */
static inline void wl_end(const struct check *k, const struct case_ep *ep,
                          const struct ipaddr *addr, const void **id, struct ipaddr *ip)
{
    static const struct ipaddr none;
    const struct case_ep *eps = k->c.eps;

    if (ep && ep->kind == EP_POD) {
        *id = ep >= eps && ep < eps + k->c.neps ? k->wl[ep - eps] : ep;
        *ip = none;
    } else {
        *id = ep;
        *ip = *addr;
    }
}

/* The decision a record stands for, so groups never mix verdicts. */
static uint64_t decision_sig(const struct eng_verdict *v)
{
    const struct eng_dir *d = eng_decided(v);
    uint64_t h = 0;
    struct {
        const void *tier, *pol, *hep;
        int verdict, unknown, dir, rule, action, reason, stage;
    } s;

    memset(&s, 0, sizeof(s));
    s.verdict = (int)v->verdict;
    s.unknown = (int)v->unknown;
    s.dir = v->decided_dir;
    if (d) {
        s.tier = d->dec.tier;
        s.pol = d->dec.pol;
        s.rule = d->dec.rule;
        s.action = (int)d->dec.action;
        s.reason = (int)d->reason;
        s.hep = d->hep; /* §17: the host endpoint and chain that decided */
        s.stage = (int)d->stage;
        if (d->dec.profile)
            h = hash_str(d->dec.profile, 0);
        if (d->dec.failsafe)
            h = hash_str(d->dec.failsafe, h);
    }
    return hash_u64(v->staged ? 1 : 0, hash_bytes(&s, sizeof(s), h));
}

static uint64_t step_id(uint64_t h, const struct eng_step *st)
{
    struct {
        const void *tier, *pol;
        int action, rule;
    } s;

    memset(&s, 0, sizeof(s));
    s.tier = st->tier;
    s.pol = st->pol;
    s.action = (int)st->action;
    s.rule = st->rule;
    h = hash_str(st->failsafe ? st->failsafe : "", hash_bytes(&s, sizeof(s), h));
    return hash_str(st->profile ? st->profile : "", h);
}

static uint64_t dir_id(uint64_t h, const struct eng_dir *d)
{
    int head[7] = {d->judged,       d->allow,      (int)d->reason, d->dec.profile != NULL,
                   (int)d->to_host, (int)d->stage, d->unknown};
    const void *by[2] = {d->to_host_by, d->hep};

    h = hash_bytes(by, sizeof(by), hash_bytes(head, sizeof(head), h));
    h = hash_str(d->why ? d->why : "", h);
    h = step_id(h, &d->dec);
    for (size_t i = 0; i < d->nsteps; i++)
        h = step_id(h, &d->steps[i]);
    h = hash_bytes(d->selected, d->nselected * sizeof(*d->selected), h);
    for (size_t i = 0; i < d->nx; i++) {
        const struct eng_xpol *x = &d->x[i];
        const void *tp[3] = {x->tier, x->pol, x->hep};

        h = hash_u64((uint64_t)x->staged, hash_bytes(tp, sizeof(tp), h));
        h = hash_u64((uint64_t)x->stage, h);
        h = hash_str(x->outcome ? x->outcome : "", h);
        for (size_t r = 0; r < x->nrules; r++) {
            const struct eng_xrule *xr = &x->rules[r];
            int v3[3] = {xr->index, (int)xr->action, xr->matched};

            h = hash_str(xr->field ? xr->field : "", hash_bytes(v3, sizeof(v3), h));
            h = hash_str(xr->detail ? xr->detail : "", h);
        }
    }
    return h;
}

/*
 * The verdict as written (what decided, the trace, the policies of an
 * end of tier, the explanation, the staged verdict): equal for equal
 * verdicts of any engine, so that --group tuple groups alike whichever
 * thread judged a flow.  Tiers and policies are the policy set's (one
 * for every engine): their addresses name them.
 */
static uint64_t verdict_id(const struct eng_verdict *v)
{
    uint64_t h = 0;

    for (; v; v = v->staged) {
        int head[5] = {(int)v->verdict, (int)v->unknown, v->decided_dir, v->via ? 1 : 0,
                       v->via ? v->via->agree : 0};

        h = hash_str(v->why ? v->why : "", hash_bytes(head, sizeof(head), h));
        if (v->via) {
            const void *svc = v->via->svc;

            h = hash_u64((uint64_t)v->via->nbackends, hash_bytes(&svc, sizeof(svc), h));
            for (size_t i = 0; i < v->via->nb; i++) {
                const struct eng_backend *b = &v->via->b[i];

                h = hash_u64((uint64_t)b->port, hash_bytes(b->ip.a, sizeof(b->ip.a), h));
                h = hash_u64((uint64_t)b->v->verdict, h);
            }
        }
        h = dir_id(dir_id(h, &v->egress), &v->ingress);
    }
    return h;
}

/* Groups are looked up once a flow: the key's head (ends, decision,
 * protocol and port) is hashed as 32 bytes, the addresses only when set
 * (with --group workload, an end that is a pod has none). */
static inline uint64_t gkey_hash(const struct gkey *key)
{
    uint64_t h = hash_bytes(key, offsetof(struct gkey, sip), 0);

    if (key->sip.family)
        h = hash_bytes(&key->sip, sizeof(key->sip), h);
    if (key->dip.family)
        h = hash_bytes(&key->dip, sizeof(key->dip), h ^ 1);
    return h;
}

static int gkey_eq(const struct gkey *a, const struct gkey *b)
{
    return a->s == b->s && a->d == b->d && a->dec == b->dec && a->proto == b->proto &&
           a->dport == b->dport && ipaddr_eq(&a->sip, &b->sip) && ipaddr_eq(&a->dip, &b->dip);
}

/* What depends on verdict v only, into w's memo. */
static void verdict_memo(struct worker *w, const struct eng_verdict *v)
{
    const struct check *k = w->k;
    const struct eng_dir *d = eng_decided(v);

    w->memo_v = v;
    /* §13.4: traffic Felix allows whatever the policy (ICMPv6 neighbour
     * discovery) is counted, and listed only when asked for. */
    w->memo_quiet =
        !k->felix_always && v->verdict == VERDICT_ALLOW && d && d->reason == REASON_FELIX_ALLOWS;
    w->memo_dec = k->oo.group == GROUP_TUPLE      ? verdict_id(v)
                  : k->oo.group == GROUP_WORKLOAD ? decision_sig(v)
                                                  : 0;
}

static struct out_rec *group_find(struct check *k, const struct gkey *key, int *created)
{
    uint64_t h = gkey_hash(key);
    struct htab_iter it;

    for (uint32_t i = htab_first(&k->groups, h, &it); i != HTAB_NONE;
         i = htab_next(&k->groups, &it)) {
        if (gkey_eq(&k->gkeys[i], key)) {
            *created = 0;
            return &k->recs[i];
        }
    }
    ALLOC_GROW(k->recs, k->nrecs + 1, k->recs_alloc);
    k->gkeys = xreallocarray(k->gkeys, k->recs_alloc, sizeof(*k->gkeys));
    k->gkeys[k->nrecs] = *key;
    htab_add(&k->groups, h, (uint32_t)k->nrecs);
    *created = 1;
    return &k->recs[k->nrecs++];
}

static void fill_rec(struct out_rec *r, const struct case_flow *fl, const struct eng_verdict *v,
                     enum observed obs, const struct ipaddr *orig_dst)
{
    memset(r, 0, sizeof(*r));
    r->v = v;
    r->src = fl->src;
    r->dst = fl->dst;
    r->src_ip = fl->src_ip;
    r->dst_ip = fl->dst_ip;
    if (orig_dst) {
        r->dnat = 1;
        r->dnat_how = fl->dnat_how;
        r->orig_dst_ip = *orig_dst;
        r->orig_dst_port = fl->orig_dst_port;
    }
    r->src_port = fl->src_port;
    r->dst_port = fl->dst_port;
    r->proto = fl->proto;
    r->state = fl->state;
    r->id = fl->id;
    r->first_ns = fl->first_ns;
    r->last_ns = fl->last_ns;
    r->flows = 1;
    r->n_ok = obs == OBS_OK;
    r->n_failed = obs == OBS_FAILED;
    r->n_unknown = obs == OBS_UNKNOWN;
    r->packets = i64_add_sat(fl->packets_fwd, fl->packets_rev);
    r->bytes = i64_add_sat(fl->bytes_fwd, fl->bytes_rev);
    r->obs = obs;
    r->node = fl->node;
    r->iface = fl->iface;
    r->conn = fl->conn;
    r->reach = fl->reach;
    r->src_proc = fl->src_proc;
    r->dst_proc = fl->dst_proc;
    r->open = fl->open;
}

/* Fold record r (a flow, or a group of them) into group g. */
static inline void group_add(struct out_rec *g, const struct out_rec *r)
{
    g->flows += r->flows;
    g->n_ok += r->n_ok;
    g->n_failed += r->n_failed;
    g->n_unknown += r->n_unknown;
    g->redaction_untrusted |= r->redaction_untrusted;
    g->packets = i64_add_sat(g->packets, r->packets);
    g->bytes = i64_add_sat(g->bytes, r->bytes);
    if (r->first_ns < g->first_ns)
        g->first_ns = r->first_ns;
    if (r->last_ns > g->last_ns)
        g->last_ns = r->last_ns;
    /* A group failed if any of its flows failed; else ok if any was. */
    g->obs = g->n_failed ? OBS_FAILED : g->n_ok ? OBS_OK : OBS_UNKNOWN;
}

/* The part's group of key (hash h): *created when new (then only its
 * key is set). */
struct part_probe {
    const struct pbuf *pb;
    const struct gkey *key;
};

static inline int part_key_eq(const void *ctx, uint32_t i)
{
    const struct part_probe *q = ctx;

    return gkey_eq(&q->pb->items[i].key, q->key);
}

static struct item *part_group(struct pbuf *pb, const struct gkey *key, uint64_t h, int *created)
{
    struct part_probe q = {pb, key};
    uint32_t i = htab_find(&pb->tab, h, part_key_eq, &q);
    struct item *g;

    if (i != HTAB_NONE) {
        *created = 0;
        return &pb->items[i];
    }
    ALLOC_GROW(pb->items, pb->nitems + 1, pb->items_alloc);
    g = &pb->items[pb->nitems];
    g->key = *key;
    htab_add(&pb->tab, h, (uint32_t)pb->nitems++);
    *created = 1;
    return g;
}

/* A worker: judge one flow into its part (case_reader_flows' callback). */
static int judge_flow(void *ctx, const struct case_flow *fl)
{
    struct worker *w = ctx;
    struct check *k = w->k;
    struct pbuf *pb = w->pb;
    struct counts *cnt = &pb->cnt;
    const struct eng_verdict *v;
    struct ipaddr odst;
    struct item *it;
    struct gkey key;
    int dnat, created, untrusted;
    enum observed obs;

    if (k->ns && !((fl->src && fl->src->ns && strcmp(fl->src->ns, k->ns) == 0) ||
                   (fl->dst && fl->dst->ns && strcmp(fl->dst->ns, k->ns) == 0)))
        return 0;
    v = engine_judge_case(w->e, &k->c, fl, &odst, &dnat);
    untrusted = red_flow_untrusted(&k->red, fl);
    obs = observed_of_flow(fl);

    cnt->flows++;
    cnt->allowed += v->verdict == VERDICT_ALLOW;
    cnt->denied += v->verdict == VERDICT_DENY;
    cnt->unk += v->verdict == VERDICT_UNKNOWN;
    switch (obs) {
    case OBS_OK:
        cnt->ok++;
        cnt->would_break += v->verdict == VERDICT_DENY;
        break;
    case OBS_FAILED:
        cnt->failed++;
        cnt->explained += v->verdict == VERDICT_DENY;
        cnt->unexplained += v->verdict == VERDICT_ALLOW;
        break;
    case OBS_UNKNOWN:
        cnt->unknown++;
        break;
    }
    if ((k->only == ONLY_DENIED && v->verdict != VERDICT_DENY) ||
        (k->only == ONLY_ALLOWED && v->verdict != VERDICT_ALLOW) ||
        (k->only == ONLY_UNKNOWN && v->verdict != VERDICT_UNKNOWN))
        return 0;
    if (k->series) {
        struct sitem *si;

        ALLOC_GROW(pb->sitems, pb->nsitems + 1, pb->sitems_alloc);
        si = &pb->sitems[pb->nsitems++];
        si->ns_a = fl->src ? fl->src->ns : NULL;
        si->ns_b = fl->dst ? fl->dst->ns : NULL;
        si->verdict = v->verdict == VERDICT_DENY      ? SERIES_DENY
                      : v->verdict == VERDICT_UNKNOWN ? SERIES_UNKNOWN
                                                      : SERIES_ALLOW;
        si->first_ns = fl->first_ns;
        si->last_ns = fl->last_ns;
        si->packets = i64_add_sat(fl->packets_fwd, fl->packets_rev);
        si->bytes = i64_add_sat(fl->bytes_fwd, fl->bytes_rev);
        return 0;
    }
    if (v != w->memo_v)
        verdict_memo(w, v);
    if (w->memo_quiet) {
        cnt->felix_quiet++;
        return 0;
    }

    if (k->stream) {
        struct out_rec r;

        fill_rec(&r, fl, v, obs, dnat ? &odst : NULL);
        r.redaction_untrusted = untrusted;
        return k->fmt == FMT_JSON ? out_json(&r, &k->oo, &pb->text)
                                  : out_csv(&r, &k->oo, &pb->text);
    }
    if (k->oo.group == GROUP_FLOW) {
        ALLOC_GROW(pb->items, pb->nitems + 1, pb->items_alloc);
        it = &pb->items[pb->nitems++];
        fill_rec(&it->r, fl, v, obs, dnat ? &odst : NULL);
        it->r.state = intern_state(w, fl->state);
        /* The ends live during the callback only: keep a copy. */
        if (fl->conn)
            it->r.conn = case_conn_copy(&w->arena, fl->conn);
        it->r.redaction_untrusted = untrusted;
        return 0;
    }
    key.proto = (uint32_t)fl->proto;
    key.dport = fl->dst_port;
    if (k->oo.group == GROUP_TUPLE) {
        key.s = fl->src;
        key.d = fl->dst;
        key.sip = fl->src_ip;
        key.dip = fl->dst_ip;
        key.dec = w->memo_dec;
    } else {
        wl_end(k, fl->src, &fl->src_ip, &key.s, &key.sip);
        wl_end(k, fl->dst, &fl->dst_ip, &key.d, &key.dip);
        key.dec = w->memo_dec;
    }
    it = part_group(pb, &key, gkey_hash(&key), &created);
    if (created) {
        fill_rec(&it->r, fl, v, obs, dnat ? &odst : NULL);
        it->r.state = intern_state(w, fl->state);
        it->r.conn = NULL; /* a group's flows have ends of their own */
        it->r.redaction_untrusted = untrusted;
    } else {
        struct out_rec one;

        /* What group_add() reads of one flow. */
        one.flows = 1;
        one.n_ok = obs == OBS_OK;
        one.n_failed = obs == OBS_FAILED;
        one.n_unknown = obs == OBS_UNKNOWN;
        one.packets = i64_add_sat(fl->packets_fwd, fl->packets_rev);
        one.bytes = i64_add_sat(fl->bytes_fwd, fl->bytes_rev);
        one.first_ns = fl->first_ns;
        one.last_ns = fl->last_ns;
        one.redaction_untrusted = untrusted;
        group_add(&it->r, &one);
    }
    return 0;
}

/* A worker judges part p into buffer pb (emptied first). */
static void judge_part(struct worker *w, struct part *p, struct pbuf *pb)
{
    buf_reset(&pb->text);
    pb->nitems = 0;
    pb->nsitems = 0;
    htab_release(&pb->tab); /* a part's groups are few: start afresh */
    memset(&pb->cnt, 0, sizeof(pb->cnt));
    memset(&pb->skips, 0, sizeof(pb->skips));
    w->p = p;
    w->pb = pb;
    p->rc = case_reader_flows(w->r, w->k->filt, p->lo, p->hi, judge_flow, w, &pb->skips, &w->d);
    w->p = NULL;
    w->pb = NULL;
}

static void counts_add(struct counts *to, const struct counts *from)
{
    to->flows += from->flows;
    to->denied += from->denied;
    to->allowed += from->allowed;
    to->ok += from->ok;
    to->failed += from->failed;
    to->unknown += from->unknown;
    to->would_break += from->would_break;
    to->explained += from->explained;
    to->unexplained += from->unexplained;
    to->unk += from->unk;
    to->felix_quiet += from->felix_quiet;
}

/* The main thread: part p's results (in buffer pb) into the output, in
 * part order.  0 or the part's error. */
static int commit_part(struct check *k, struct part *p, struct pbuf *pb)
{
    int rc = p->rc;

    counts_add(&k->cnt, &pb->cnt);
    case_skips_add(&k->skips, &pb->skips);
    if (!rc && k->series) {
        for (size_t i = 0; i < pb->nsitems && !rc; i++) {
            const struct sitem *si = &pb->sitems[i];

            rc = series_add(k->series, si->ns_a, si->ns_b, si->verdict, si->first_ns, si->last_ns,
                            si->packets, si->bytes);
        }
    } else if (!rc && k->stream) {
        rc = buf_add(&k->out, pb->text.data, pb->text.len);
        if (!rc && cmd_drain(&k->out, stdout))
            k->werr = 1;
    } else if (!rc && k->oo.group == GROUP_FLOW) {
        ALLOC_GROW(k->recs, k->nrecs + pb->nitems, k->recs_alloc);
        for (size_t i = 0; i < pb->nitems; i++)
            k->recs[k->nrecs++] = pb->items[i].r;
    } else if (!rc) {
        /* The part's groups, in the order their first flows came. */
        for (size_t i = 0; i < pb->nitems; i++) {
            int created;
            struct out_rec *g = group_find(k, &pb->items[i].key, &created);

            if (created)
                *g = pb->items[i].r;
            else
                group_add(g, &pb->items[i].r);
        }
    }
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct check *k = w->k;

    pthread_mutex_lock(&k->mu);
    for (;;) {
        struct part *p;

        while (!k->stop && k->next < k->nparts && k->next >= k->done + k->window)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->stop || k->next >= k->nparts)
            break;
        p = &k->parts[k->next++];
        p->state = PART_BUSY;
        pthread_mutex_unlock(&k->mu);
        judge_part(w, p, &k->pbufs[(size_t)(p - k->parts) % k->window]);
        pthread_mutex_lock(&k->mu);
        p->state = PART_DONE;
        pthread_cond_broadcast(&k->cv);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* The flows' ids cut into parts of LIM_CHECK_PART_IDS ids (wider when the
 * ids are spread far apart, so that there are at most 65,536 parts). */
static int make_parts(struct check *k)
{
    int64_t lo, hi;
    uint64_t span, width = LIM_CHECK_PART_IDS;
    int rc = case_id_range(&k->c, &lo, &hi, k->d);

    if (rc)
        return rc;
    if (lo > hi) {
        k->parts = xcalloc(1, sizeof(*k->parts));
        k->parts[0].lo = 1;
        k->parts[0].hi = 0;
        k->nparts = 1;
        return 0;
    }
    span = (uint64_t)hi - (uint64_t)lo; /* ids - 1: no overflow */
    if (span / width >= 65536)
        width = span / 65535 + 1;
    k->nparts = (size_t)(span / width) + 1;
    k->parts = xcalloc(k->nparts, sizeof(*k->parts));
    for (size_t i = 0; i < k->nparts; i++) {
        uint64_t a = (uint64_t)lo + i * width;

        k->parts[i].lo = (int64_t)a;
        k->parts[i].hi = i + 1 == k->nparts ? hi : (int64_t)(a + width - 1);
    }
    return 0;
}

/*
 * Judge every part, in k->jobs threads (each with its reader and engine)
 * or in this one, committing the parts in order as they are done.  0, or
 * the first error of a part (in part order).
 */
static int judge_all(struct check *k)
{
    int rc = 0;

    k->window = k->jobs == 1 ? 1 : 2 * k->jobs;
    k->pbufs = xcalloc(k->window, sizeof(*k->pbufs));
    for (size_t i = 0; i < k->window; i++)
        buf_init(&k->pbufs[i].text, 0);
    if (k->jobs == 1) {
        for (size_t i = 0; i < k->nparts && !rc; i++) {
            judge_part(&k->w[0], &k->parts[i], &k->pbufs[0]);
            rc = commit_part(k, &k->parts[i], &k->pbufs[0]);
        }
        return rc;
    }
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    for (size_t i = 0; i < k->jobs; i++)
        k->w[i].started = pthread_create(&k->w[i].th, NULL, worker_main, &k->w[i]) == 0;
    pthread_mutex_lock(&k->mu);
    while (k->done < k->nparts) {
        struct part *p = &k->parts[k->done];

        if (p->state != PART_DONE) {
            pthread_cond_wait(&k->cv, &k->mu);
            continue;
        }
        pthread_mutex_unlock(&k->mu);
        if (!rc)
            rc = commit_part(k, p, &k->pbufs[k->done % k->window]);
        pthread_mutex_lock(&k->mu);
        k->done++;
        if (rc)
            k->stop = 1;
        pthread_cond_broadcast(&k->cv);
        if (k->stop)
            break;
    }
    k->stop = 1;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
    for (size_t i = 0; i < k->jobs; i++)
        if (k->w[i].started)
            pthread_join(k->w[i].th, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    return rc;
}

/* Each worker's reader and engine; 0 or the reader's error. */
static int workers_new(struct check *k)
{
    k->w = xcalloc(k->jobs, sizeof(*k->w));
    for (size_t i = 0; i < k->jobs; i++) {
        struct worker *w = &k->w[i];
        int rc;

        w->k = k;
        w->idx = i;
        arena_init(&w->arena, 0);
        diag_init(&w->d, k->d->out, k->d->prog);
        rc = case_reader_new(&k->c, k->jobs == 1 ? SIZE_MAX : i, &w->r, k->d);
        if (rc)
            return rc;
        w->e = engine_new(k->ps, k->c.eps, k->c.neps, k->eng_flags);
        engine_set_case(w->e, &k->c);
        engine_use_namespaces(w->e, &k->c);
    }
    return 0;
}

static void workers_free(struct check *k, struct eng_stats *sum)
{
    memset(sum, 0, sizeof(*sum));
    for (size_t i = 0; k->w && i < k->jobs; i++) {
        struct worker *w = &k->w[i];

        if (w->e) {
            struct eng_stats st;

            engine_stats(w->e, &st);
            sum->judged += st.judged;
            sum->tuples += st.tuples;
            sum->label_sets = st.label_sets > sum->label_sets ? st.label_sets : sum->label_sets;
            sum->selectors = st.selectors > sum->selectors ? st.selectors : sum->selectors;
        }
        k->d->errors += w->d.errors;
        k->d->warnings += w->d.warnings;
        engine_free(&w->e);
        case_reader_free(&w->r);
        arena_release(&w->arena);
    }
    free(k->w);
    k->w = NULL;
}

/* Denied first, then unknown, then allowed; then by time, then by flow id. */
static int rec_rank(const struct eng_verdict *v)
{
    return v->verdict == VERDICT_DENY ? 0 : v->verdict == VERDICT_UNKNOWN ? 1 : 2;
}

static int rec_cmp(const void *x, const void *y)
{
    const struct out_rec *a = x, *b = y;

    if (rec_rank(a->v) != rec_rank(b->v))
        return rec_rank(a->v) < rec_rank(b->v) ? -1 : 1;
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* --format dot: the service graph (graph.h) of the flows passing filter
 * and ns as DOT text, for people who render graphs themselves. */
static int cmd_check_dot(const char *casepath, const char *const *paths, size_t npaths,
                         unsigned load_flags, const struct case_filter *filter, const char *ns,
                         int strict, struct diag *d)
{
    struct flowset fs;
    struct flowset_opts fo;
    struct graph g;
    struct buf out;
    size_t i;
    int status = EXIT_BAD, denied = 0;

    memset(&fo, 0, sizeof(fo));
    fo.paths[FS_NEW] = paths;
    fo.npaths[FS_NEW] = npaths;
    fo.filter = filter;
    fo.ns = ns;
    fo.load_flags = load_flags;
    fo.strict = strict;
    if (flowset_load(&fs, casepath, &fo, d))
        return EXIT_BAD;
    for (i = 0; i < fs.nflows; i++)
        denied |= eng_counts_denied(fs.flows[i].v[FS_NEW], strict);
    graph_build(&g, &fs);
    buf_init(&out, 0);
    if (cmd_case_head(&fs.c, CMD_HEAD_DOT, &out) || graph_dot(&g, 0, NULL, &out))
        diag_err(d, "%s", "the graph is too large to write");
    else if (cmd_flush(&out, stdout) || fflush(stdout))
        diag_err(d, "cannot write to standard output: %s", strerror(errno));
    else
        status = denied ? EXIT_DENIED : EXIT_OK;
    buf_release(&out);
    graph_release(&g);
    flowset_release(&fs);
    return status;
}

/* --since/--until given as durations: count them back from the case's end
 * (kubectl logs --since, hubble observe --since count from now; a case's
 * now is when it ends).  0 or ERR_DB. */
static int relative_window(const struct case_db *c, const int rel[2], const int64_t ago[2],
                           struct case_filter *filt, struct diag *d)
{
    int64_t end;
    int has;

    if (case_end_ns(c, &end, &has, d))
        return ERR_DB;
    if (!has) /* an empty case: nothing to count back from, nothing to show */
        end = 0;
    if (rel[0])
        filt->since_ns = end - ago[0];
    if (rel[1])
        filt->until_ns = end - ago[1];
    return 0;
}

/* --interval: the series' span is the flows' and the captures' (held
 * within --since and --until), its coverage the captures'.  0, or EXIT_BAD once reported. */
static int series_setup(struct check *k, struct series *s, int64_t step,
                        const struct case_filter *filt)
{
    int64_t first, last;
    int has, rc;
    size_t i;

    if (case_flow_span(&k->c, &first, &last, &has, k->d))
        return EXIT_BAD;
    /* The captures' runs too: a quiet minute they covered is news. */
    for (i = 0; i < k->c.ncaps; i++) {
        const struct case_cap *cp = &k->c.caps[i];

        if (!has || cp->started_ns < first)
            first = cp->started_ns;
        if (cp->has_end && cp->ended_ns > last)
            last = cp->ended_ns;
        if (!has)
            last = cp->has_end && cp->ended_ns > first ? cp->ended_ns : first;
        has = 1;
    }
    if (filt->has_since && (!has || first < filt->since_ns))
        first = filt->since_ns;
    if (filt->has_until && (!has || last > filt->until_ns))
        last = filt->until_ns;
    if (!has && !(filt->has_since && filt->has_until))
        first = last = 0; /* no flow, no window: one empty bucket at the epoch */
    if (last < first)
        last = first;
    rc = series_init(s, first < 0 ? 0 : first, last < 0 ? 0 : last, step);
    if (rc == ERR_LIMIT) {
        diag_err(k->d,
                 "--interval: the flows span %.0f s, more than %d buckets of %.3g s; take a "
                 "longer interval or a window (--since, --until)",
                 (double)(last - first) / 1e9, LIM_SERIES_BUCKETS, (double)step / 1e9);
        return EXIT_BAD;
    }
    if (rc) {
        diag_err(k->d, "--interval: '%s' holds no usable flow times", k->c.path);
        return EXIT_BAD;
    }
    for (i = 0; i < k->c.ncaps; i++)
        series_capture(s, k->c.caps[i].started_ns,
                       k->c.caps[i].has_end ? k->c.caps[i].ended_ns
                                            : s->t0 + (int64_t)s->nb * s->step);
    return 0;
}

static int cmd_check(struct cmd_args *a)
{
    struct diag *d = a->d;
    struct check k;
    struct case_filter filt;
    struct policy_set ps;
    const char **paths = NULL;
    size_t npaths = 0, i;
    char **cases = NULL; /* case_open_many() takes argv's type */
    size_t ncases = 0;
    struct case_opts copts = {.skew_ns = CASE_SKEW_DEFAULT_NS};
    struct eng_stats st;
    int rc, status = EXIT_BAD, wide = 0;
    unsigned load_flags = 0;
    int rel[2] = {0, 0};     /* --since, --until given as durations */
    int64_t ago[2] = {0, 0}; /* ... of this many ns before the case's end */
    int64_t interval = 0;    /* --interval, or 0 */
    struct series series;

    memset(&k, 0, sizeof(k));
    memset(&filt, 0, sizeof(filt));
    k.d = d;
    k.jobs = cmd_cores();
    paths = xcalloc(a->n + 1, sizeof(*paths));
    cases = xcalloc(a->n + 1, sizeof(*cases));
    for (i = 0; i < a->n; i++) {
        const struct cmd_item *it = &a->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            cases[ncases++] = (char *)it->val; /* an argv string */
            break;
        case O_POLICIES:
            paths[npaths++] = it->val;
            break;
        case O_FORMAT:
            k.fmt = check_fmt_of[it->choice];
            wide = it->choice == 1;
            break;
        case O_ONLY:
            k.only = (enum only)it->choice;
            break;
        case O_GROUP:
            k.oo.group = (enum out_group)it->choice;
            break;
        case O_EXPLAIN:
            k.oo.explain = 1;
            break;
        case O_NAMESPACE:
            k.ns = it->val;
            break;
        case O_SINCE:
        case O_UNTIL: {
            int w = it->id == O_UNTIL;

            /* An absolute time, else a duration before the case's end. */
            rel[w] = parse_time_arg(it->val, w ? &filt.until_ns : &filt.since_ns) != 0;
            if (rel[w] && cmd_parse_duration(it->val, &ago[w])) {
                status = cmd_usage_err(a,
                                       "cannot parse time '%s' (RFC 3339, Unix seconds, or a "
                                       "duration before the case's end: 5m, 1h30m)",
                                       it->val);
                goto out;
            }
            if (w)
                filt.has_until = 1;
            else
                filt.has_since = 1;
            break;
        }
        case O_SKEW: {
            double sec;

            if (parse_double(it->val, strlen(it->val), &sec) || !(sec >= 0 && sec <= 86400)) {
                status =
                    cmd_usage_err(a, "--skew takes seconds from 0 to 86400, not '%s'", it->val);
                goto out;
            }
            copts.skew_ns = (int64_t)(sec * 1e9 + 0.5);
            break;
        }
        case O_NO_PAIR:
            copts.no_pair = 1;
            break;
        case O_NO_POLICIES:
            load_flags |= POLICY_LOAD_ALLOW_EMPTY;
            break;
        case O_JOBS: {
            uint64_t n;

            if (parse_u64(it->val, strlen(it->val), 1, LIM_JOBS, &n)) {
                status = cmd_usage_err(a, "--jobs takes 1 to %d, not '%s'", LIM_JOBS, it->val);
                goto out;
            }
            k.jobs = (size_t)n;
            break;
        }
        case O_INTERVAL:
            if (cmd_parse_duration(it->val, &interval) || interval < 1000000) {
                status = cmd_usage_err(
                    a, "--interval takes a duration of 1ms or more (10s, 1m, 1h), not '%s'",
                    it->val);
                goto out;
            }
            break;
        case O_STRICT:
            k.strict = 1;
            copts.strict = 1;
            break;
        case O_FELIX_ALWAYS:
            k.felix_always = 1;
            break;
        }
    }
    if (!ncases) {
        status = cmd_usage_err(a, "%s", "no case file given");
        goto out;
    }
    if (!npaths && !load_flags) {
        status = cmd_usage_err(
            a, "%s", "no policies given (-p PATH, or --no-policies to judge against none)");
        goto out;
    }
    if (interval && (k.fmt == FMT_DOT || k.oo.group != GROUP_FLOW || k.oo.explain)) {
        status = cmd_usage_err(a, "%s",
                               "--interval writes a series: not with -o dot, --group or --explain");
        goto out;
    }
    memset(&series, 0, sizeof(series));
    if (k.fmt == FMT_DOT) {
        if (ncases > 1) {
            status = cmd_usage_err(a, "%s", "-o dot reads one case: merge them first");
            goto out;
        }
        if ((rel[0] || rel[1]) && case_open(&k.c, cases[0], d) == 0) {
            rc = relative_window(&k.c, rel, ago, &filt, d);
            case_close(&k.c);
            if (rc)
                goto out;
        } else if (rel[0] || rel[1]) {
            goto out;
        }
        status = cmd_check_dot(cases[0], paths, npaths, load_flags, &filt, k.ns, k.strict, d);
        goto out;
    }
    rc = policy_set_load(&ps, paths, npaths, load_flags, d);
    if (rc)
        goto out;
    /* Before the first connection: several threads, SQLite with a mutex
     * where connections share state (each thread reads through its own
     * connection); one, SQLite single-threaded, without them. */
    if (k.jobs > 1 && db_threads(1)) {
        diag_warn(d, "%s", "SQLite was built without threads: --jobs 1");
        k.jobs = 1;
    }
    if (k.jobs == 1)
        (void)!db_threads(0); /* else SQLite's default (serialized): slower, as right */
    copts.readers = k.jobs > 1 ? k.jobs : 0;
    rc = case_open_many(&k.c, cases, ncases, &copts, d);
    if (rc)
        goto out_ps;
    if ((rel[0] || rel[1]) && relative_window(&k.c, rel, ago, &filt, d)) {
        case_close(&k.c);
        goto out_ps;
    }
    if (k.c.inventory_problems)
        diag_warn(d,
                  "the case's inventory had %lld problem%s when it was loaded (objects skipped "
                  "or fields dropped; 'show' says more): some identities may lack labels, "
                  "addresses, ports or times",
                  (long long)k.c.inventory_problems, k.c.inventory_problems == 1 ? "" : "s");
    k.ps = &ps;
    k.eng_flags = k.oo.explain ? ENG_EXPLAIN : 0;
    k.filt = &filt;
    wl_index(&k);
    k.oo.ends = case_several_vantages(&k.c) || k.c.flows_dnat_paired;
    k.oo.ps = &ps;
    {
        /* The untrusted rules, by the labels the engines match (an engine
         * of its own, used during the call only, and only when the case
         * is redacted: building one costs what the judges' own does). */
        struct engine *re = NULL;

        if (k.c.redacted) {
            re = engine_new(&ps, k.c.eps, k.c.neps, 0);
            engine_set_case(re, &k.c);
            engine_use_namespaces(re, &k.c);
        }
        red_init(&k.red, re, &k.c);
        engine_free(&re);
    }
    red_warn(&k.red, d);
    buf_init(&k.out, 0);
    /* §11: the first thing said about a case without identities. */
    if (!k.c.has_identities) {
        static const char note[] =
            "no identities: the case names no pod or Service (captured without --inventory),\n"
            "so every verdict is unknown but what Felix decides before policy.  Add them:\n"
            "  kubectl get pods,namespaces,services,endpointslices,nodes -A -o yaml > inv.yaml\n"
            "  podflow-analyze inventory CASE.db inv.yaml\n";

        if (k.fmt == FMT_TABLE) {
            for (const char *p = note; *p;) {
                const char *nl = strchr(p, '\n');

                (void)!buf_addf(&k.out, "# %.*s\n", (int)(nl - p), p);
                p = nl + 1;
            }
        } else {
            diag_warn(d, "%s",
                      "no identities: the case names no pod or Service, so every verdict is "
                      "unknown; add them with 'podflow-analyze inventory CASE.db inv.yaml'");
        }
    }
    k.stream = k.fmt != FMT_TABLE && k.oo.group == GROUP_FLOW && !interval;
    /* Rows of the case left out as unusable are said on the first line:
     * a stream must count them before its first record, and a window
     * reads only part of them (else the judging counts them). */
    if ((k.stream || filt.has_since || filt.has_until) && case_check_flows(&k.c, d))
        goto out_case;
    if (k.stream && cmd_case_head(&k.c, k.fmt == FMT_JSON ? CMD_HEAD_JSON : CMD_HEAD_CSV, &k.out))
        goto out_case;
    if (interval) {
        if (series_setup(&k, &series, interval, &filt))
            goto out_case;
        k.series = &series;
    } else if (k.stream && k.fmt == FMT_CSV && out_csv_header(&k.oo, &k.out)) {
        goto out_case;
    }
    rc = workers_new(&k);
    if (!rc)
        rc = make_parts(&k);
    if (!rc)
        rc = judge_all(&k);
    if (!rc)
        rc = case_skips_done(&k.c, &k.skips, d);
    if (rc == ERR_LIMIT && k.series) {
        diag_err(d,
                 "--interval: %zu buckets for each of more namespaces than %u cells hold; "
                 "take a longer interval or a window (--since, --until)",
                 series.nb, LIM_SERIES_CELLS);
        goto out_case;
    } else if (rc) {
        if (rc != ERR_DB && rc != ERR_INVALID && rc != ERR_LIMIT)
            diag_err(d, "cannot write the results: %s", err_str(rc));
        goto out_case;
    }
    if (!k.stream && cmd_case_head(&k.c,
                                   k.fmt == FMT_JSON  ? CMD_HEAD_JSON
                                   : k.fmt == FMT_CSV ? CMD_HEAD_CSV
                                                      : CMD_HEAD_TEXT,
                                   &k.out))
        goto out_case;
    if (k.series) {
        series_finish(&series);
        if (series_write(&series,
                         k.fmt == FMT_JSON  ? SERIES_JSON
                         : k.fmt == FMT_CSV ? SERIES_CSV
                                            : SERIES_TABLE,
                         &k.out)) {
            diag_err(d, "%s", "cannot write the results: the series is too large");
            goto out_case;
        }
    } else if (!k.stream) {
        if (k.fmt == FMT_CSV && out_csv_header(&k.oo, &k.out))
            goto out_case;
        if (k.nrecs)
            qsort(k.recs, k.nrecs, sizeof(*k.recs), rec_cmp);
        if (k.fmt == FMT_TABLE) {
            /* Names whole through a pipe or with -o wide (they can be pasted
             * into kubectl), cut to a terminal's width otherwise. */
            k.oo.width = wide ? 0 : cmd_term_width(stdout);
            /* -o wide also names the process at each end, as kubectl's
             * adds columns (format 3; "-" where none is recorded). */
            k.oo.procs = wide;
            out_table_fit(&k.oo, k.recs, k.nrecs);
        }
        if (k.fmt == FMT_TABLE && out_table_header(&k.oo, &k.out))
            goto out_case;
        for (i = 0; i < k.nrecs; i++) {
            const struct out_rec *r = &k.recs[i];

            rc = k.fmt == FMT_JSON  ? out_json(r, &k.oo, &k.out)
                 : k.fmt == FMT_CSV ? out_csv(r, &k.oo, &k.out)
                                    : out_table(r, &k.oo, &k.out);
            if (rc) {
                diag_err(d, "cannot write the results: %s", err_str(rc));
                goto out_case;
            }
            if (cmd_drain(&k.out, stdout))
                k.werr = 1;
        }
        if (k.fmt == FMT_TABLE &&
            buf_addf(&k.out,
                     "%llu flows: %llu allowed, %llu denied, %llu unknown; observed %llu ok, "
                     "%llu failed, %llu unknown\n%llu denied and failed (explained), %llu "
                     "denied but ok (would break), %llu failed though allowed\n",
                     (unsigned long long)k.cnt.flows, (unsigned long long)k.cnt.allowed,
                     (unsigned long long)k.cnt.denied, (unsigned long long)k.cnt.unk,
                     (unsigned long long)k.cnt.ok, (unsigned long long)k.cnt.failed,
                     (unsigned long long)k.cnt.unknown, (unsigned long long)k.cnt.explained,
                     (unsigned long long)k.cnt.would_break, (unsigned long long)k.cnt.unexplained))
            goto out_case;
        if (k.fmt == FMT_TABLE && k.cnt.felix_quiet &&
            buf_addf(&k.out,
                     "%llu flows Felix allows whatever the policy (ICMPv6 neighbour "
                     "discovery) not listed: --felix-always lists them\n",
                     (unsigned long long)k.cnt.felix_quiet))
            goto out_case;
    }
    if (cmd_flush(&k.out, stdout) || k.werr || fflush(stdout)) {
        diag_err(d, "cannot write to standard output: %s", strerror(errno));
        goto out_case;
    }
    workers_free(&k, &st);
    if (getenv("PODFLOW_STATS")) {
        fprintf(stderr,
                "podflow-analyze: %llu flows judged, %llu distinct tuples evaluated, %llu label "
                "sets, %llu selectors\n",
                (unsigned long long)st.judged, (unsigned long long)st.tuples,
                (unsigned long long)st.label_sets, (unsigned long long)st.selectors);
    }
    status = k.cnt.denied || (k.strict && k.cnt.unk) ? EXIT_DENIED : EXIT_OK;
out_case:
    series_release(&series);
    buf_release(&k.out);
    workers_free(&k, &st);
    for (i = 0; k.pbufs && i < k.window; i++) {
        buf_release(&k.pbufs[i].text);
        free(k.pbufs[i].items);
        free(k.pbufs[i].sitems);
        htab_release(&k.pbufs[i].tab);
    }
    free(k.pbufs);
    free(k.parts);
    red_release(&k.red);
    free(k.recs);
    free(k.gkeys);
    htab_release(&k.groups);
    free(k.wl);
    case_close(&k.c);
out_ps:
    policy_set_release(&ps);
out:
    free(paths);
    free(cases);
    return status;
}

const struct cmd_spec cmd_check_spec = {
    .name = "check",
    .run = cmd_check,
    .opts = check_opts,
    .args = "CASE.db... (-p PATH... | --no-policies) [options]",
    .summary = "judge every flow: allowed, denied or unknown, and by what",
    .about = "Judge every flow of CASE.db against the policies in PATH (files, directories\n"
             "searched for *.yaml, *.yml, *.json, or - for stdin; -p is repeatable and takes\n"
             "the operands after it up to the next option or CASE.db).  Several CASE.db (one\n"
             "per node) are read as one case, as if merged.  A connection captured at several\n"
             "vantage points (two nodes, or two interfaces of one node: the client's and the\n"
             "server's cali link) is judged and reported once, with what each end saw.\n"
             "With --interval DUR, check writes traffic over time instead: for each DUR, the\n"
             "connections started, packets and bytes, allowed, denied and unknown, of the\n"
             "cluster and of each namespace, and the share of it a capture was running.\n"
             "\n"
             "A verdict is allow, deny or unknown: unknown when an end inside the cluster's\n"
             "pod networks has no identity at the flow's time, when the case holds none,\n"
             "or when the backends of a Service whose translation was not recorded do not\n"
             "agree.\n",
    .exit_status = "Exit status: 0 nothing denied, 1 at least one flow denied (or, with\n"
                   "--strict, unknown), 2 bad input or usage.\n",
};
