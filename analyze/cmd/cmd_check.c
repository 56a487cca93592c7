/*
 * cmd_check.c: podflow-analyze check: judge every recorded flow of a case
 * against a policy set and say, for each, allow or deny and what decided
 * it.
 *
 * Flows are streamed from the .db into the engine (which caches verdicts
 * per tuple).  JSON Lines and CSV of single flows are written as they
 * come; the table, and any grouping, collect records first so that denied
 * lines come first.
 */
#include <stdio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/cmd/cmd.h"
#include "analyze/engine/engine.h"
#include "analyze/engine/flowset.h"
#include "analyze/out/graph.h"
#include "analyze/out/out.h"
#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_DOT };
enum only { ONLY_ALL, ONLY_DENIED, ONLY_ALLOWED };

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
    O_NO_POLICIES
};
/* -o's values, and the format each stands for (wide: a table of whole
 * names, whatever the terminal). */
static const char *const check_fmts[] = {"table", "wide", "json", "csv", "dot", NULL};
static const enum fmt check_fmt_of[] = {FMT_TABLE, FMT_TABLE, FMT_JSON, FMT_CSV, FMT_DOT};
static const char *const check_onlys[] = {"all", "denied", "allowed", NULL};
static const char *const check_groups[] = {"flow", "tuple", "workload", NULL};

static const struct cmd_opt check_opts[] = {
    {O_POLICIES, 'p', "policies", CMD_ARG_LIST, "PATH...", NULL,
     "policy files, directories or - (repeatable); paths\n"
     "that hold no policy object are an error"},
    {O_NO_POLICIES, 0, "no-policies", CMD_ARG_NONE, NULL, NULL,
     "an empty policy set is meant: judge against none\n(or let the -p paths hold none)"},
    {O_FORMAT, 'o', "output", CMD_ARG_ONE, "FMT", check_fmts,
     "table (default; on a terminal, names cut to its\n"
     "width), wide (names whole), json (JSON Lines), csv,\n"
     "or dot (the service graph for graphviz)"},
    {O_FORMAT, 'f', "format", CMD_ARG_ONE, "FMT", check_fmts, "the same as -o"},
    {O_ONLY, 0, "only", CMD_ARG_ONE, "WHICH", check_onlys, "denied, allowed or all (default)"},
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
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

/* What records of one group share (--group tuple or workload); compared
 * as bytes, so it is zeroed before it is filled. */
struct gkey {
    const void *s, *d; /* endpoints, or workload identities (wl_ident()) */
    struct ipaddr sip, dip;
    uint64_t sig;  /* decision_sig() (workload) */
    const void *v; /* the verdict (tuple) */
    int proto;
    unsigned dport;
};

struct check {
    struct diag *d;
    struct case_db c;
    struct engine *e;
    enum fmt fmt;
    enum only only;
    struct out_opts oo;
    const char *ns;
    int stream; /* write records as they come */
    struct buf out;
    int werr;             /* a write failed */
    struct out_rec *recs; /* collected (malloc'd) */
    size_t nrecs, recs_alloc;
    struct gkey *gkeys;              /* per record when grouping (malloc'd, recs_alloc) */
    struct htab groups;              /* hash of the group key -> record index */
    const char **wl;                 /* per case endpoint: its workload's identity, lazily */
    struct htab wlmap;               /* hash of ns and workload name -> endpoint index */
    struct arena arena;              /* interned strings */
    const struct eng_verdict *sig_v; /* the verdict whose decision_sig() is sig */
    uint64_t sig;
    uint64_t flows, denied, allowed, ok, failed, unknown, would_break, explained, unexplained;
};

static const char *intern_state(struct check *k, const char *s)
{
    static const char *const known[] = {"S0",   "S1",     "SF",    "REJ", "S2",  "S3",  "RSTO",
                                        "RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH", ""};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(known); i++)
        if (strcmp(s, known[i]) == 0)
            return known[i];
    return arena_strdup(&k->arena, s);
}

/* The name a workload goes by for grouping: its workload, else the pod. */
static const char *wl_name(const struct case_ep *ep)
{
    return ep->workload ? ep->workload : ep->name ? ep->name : "";
}

/* A workload's identity for grouping: one pointer per ns/workload (the
 * first pod seen of it), found through a table keyed by the names. */
static const void *wl_ident(struct check *k, const struct case_ep *ep)
{
    const char *ns, *wl;
    struct htab_iter it;
    uint64_t h;
    size_t idx;

    if (!ep || ep->kind != EP_POD || ep < k->c.eps || ep >= k->c.eps + k->c.neps)
        return ep;
    idx = (size_t)(ep - k->c.eps);
    if (k->wl[idx])
        return k->wl[idx];
    ns = ep->ns ? ep->ns : "";
    wl = wl_name(ep);
    h = hash_str(wl, hash_str(ns, 0));
    for (uint32_t i = htab_first(&k->wlmap, h, &it); i != HTAB_NONE;
         i = htab_next(&k->wlmap, &it)) {
        const struct case_ep *o = &k->c.eps[i];

        if (strcmp(o->ns ? o->ns : "", ns) == 0 && strcmp(wl_name(o), wl) == 0) {
            k->wl[idx] = k->wl[i];
            return k->wl[idx];
        }
    }
    htab_add(&k->wlmap, h, (uint32_t)idx);
    k->wl[idx] = (const char *)ep;
    return k->wl[idx];
}

/* The decision a record stands for, so groups never mix verdicts. */
static uint64_t decision_sig(const struct eng_verdict *v)
{
    const struct eng_dir *d = eng_decided(v);
    uint64_t h = 0;
    struct {
        const void *tier, *pol;
        int allow, dir, rule, action, reason;
    } s;

    memset(&s, 0, sizeof(s));
    s.allow = v->allow;
    s.dir = v->decided_dir;
    if (d) {
        s.tier = d->dec.tier;
        s.pol = d->dec.pol;
        s.rule = d->dec.rule;
        s.action = (int)d->dec.action;
        s.reason = (int)d->reason;
        if (d->dec.profile)
            h = hash_str(d->dec.profile, 0);
    }
    return hash_u64(v->staged ? 1 : 0, hash_bytes(&s, sizeof(s), h));
}

static struct out_rec *group_find(struct check *k, const struct gkey *key, int *created)
{
    uint64_t h = hash_bytes(key, sizeof(*key), 0);
    struct htab_iter it;

    for (uint32_t i = htab_first(&k->groups, h, &it); i != HTAB_NONE;
         i = htab_next(&k->groups, &it)) {
        if (memcmp(&k->gkeys[i], key, sizeof(*key)) == 0) {
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
}

/* Fold one more flow into group g. */
static void group_add(struct out_rec *g, const struct case_flow *fl, enum observed obs)
{
    g->flows++;
    g->n_ok += obs == OBS_OK;
    g->n_failed += obs == OBS_FAILED;
    g->n_unknown += obs == OBS_UNKNOWN;
    g->packets = i64_add_sat(g->packets, i64_add_sat(fl->packets_fwd, fl->packets_rev));
    g->bytes = i64_add_sat(g->bytes, i64_add_sat(fl->bytes_fwd, fl->bytes_rev));
    if (fl->first_ns < g->first_ns)
        g->first_ns = fl->first_ns;
    if (fl->last_ns > g->last_ns)
        g->last_ns = fl->last_ns;
    /* A group failed if any of its flows failed; else ok if any was. */
    g->obs = g->n_failed ? OBS_FAILED : g->n_ok ? OBS_OK : OBS_UNKNOWN;
}

static int on_flow(void *ctx, const struct case_flow *fl)
{
    struct check *k = ctx;
    struct eng_flow ef;
    const struct eng_verdict *v;
    struct out_rec *g;
    struct ipaddr odst;
    int dnat;
    enum observed obs;

    if (k->ns && !((fl->src && fl->src->ns && strcmp(fl->src->ns, k->ns) == 0) ||
                   (fl->dst && fl->dst->ns && strcmp(fl->dst->ns, k->ns) == 0)))
        return 0;
    dnat = eng_flow_from_case(&ef, &k->c, fl, &odst);
    v = engine_judge(k->e, &ef);
    obs = observed_of(fl->proto, fl->state, fl->packets_rev, fl->icmp_type, fl->icmp_count);

    k->flows++;
    if (v->allow)
        k->allowed++;
    else
        k->denied++;
    switch (obs) {
    case OBS_OK:
        k->ok++;
        k->would_break += !v->allow;
        break;
    case OBS_FAILED:
        k->failed++;
        k->explained += !v->allow;
        k->unexplained += v->allow ? 1u : 0u;
        break;
    case OBS_UNKNOWN:
        k->unknown++;
        break;
    }
    if ((k->only == ONLY_DENIED && v->allow) || (k->only == ONLY_ALLOWED && !v->allow))
        return 0;

    if (k->stream) {
        struct out_rec r;
        int rc;

        fill_rec(&r, fl, v, obs, dnat ? &odst : NULL);
        rc = k->fmt == FMT_JSON ? out_json(&r, &k->oo, &k->out) : out_csv(&r, &k->oo, &k->out);
        if (rc)
            return rc;
        if (k->out.len > (1u << 20) && cmd_flush(&k->out, stdout))
            k->werr = 1;
        return 0;
    }
    if (k->oo.group == GROUP_FLOW) {
        ALLOC_GROW(k->recs, k->nrecs + 1, k->recs_alloc);
        fill_rec(&k->recs[k->nrecs], fl, v, obs, dnat ? &odst : NULL);
        k->recs[k->nrecs].state = intern_state(k, fl->state);
        /* The ends live during the callback only: keep a copy. */
        if (fl->conn)
            k->recs[k->nrecs].conn = case_conn_copy(&k->arena, fl->conn);
        k->nrecs++;
        return 0;
    } else {
        struct gkey key;
        int created;

        memset(&key, 0, sizeof(key));
        key.proto = fl->proto;
        key.dport = fl->dst_port;
        if (k->oo.group == GROUP_TUPLE) {
            key.s = fl->src;
            key.d = fl->dst;
            key.sip = fl->src_ip;
            key.dip = fl->dst_ip;
            key.v = v;
        } else {
            key.s = wl_ident(k, fl->src);
            key.d = wl_ident(k, fl->dst);
            if (!fl->src || fl->src->kind != EP_POD)
                key.sip = fl->src_ip;
            if (!fl->dst || fl->dst->kind != EP_POD)
                key.dip = fl->dst_ip;
            /* Verdicts repeat: remember the last one's signature. */
            if (v != k->sig_v) {
                k->sig_v = v;
                k->sig = decision_sig(v);
            }
            key.sig = k->sig;
        }
        g = group_find(k, &key, &created);
        if (created) {
            fill_rec(g, fl, v, obs, dnat ? &odst : NULL);
            g->state = intern_state(k, fl->state);
            g->conn = NULL; /* a group's flows have ends of their own */
        } else {
            group_add(g, fl, obs);
        }
        return 0;
    }
}

/* Denied first, then by time, then by flow id. */
static int rec_cmp(const void *x, const void *y)
{
    const struct out_rec *a = x, *b = y;

    if (a->v->allow != b->v->allow)
        return a->v->allow ? 1 : -1;
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* --format dot: the service graph (graph.h) of the flows passing filter
 * and ns as DOT text, for people who render graphs themselves. */
static int cmd_check_dot(const char *casepath, const char *const *paths, size_t npaths,
                         unsigned load_flags, const struct case_filter *filter, const char *ns,
                         struct diag *d)
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
    if (flowset_load(&fs, casepath, &fo, d))
        return EXIT_BAD;
    for (i = 0; i < fs.nflows; i++)
        denied |= !fs.flows[i].v[FS_NEW]->allow;
    graph_build(&g, &fs);
    buf_init(&out, 0);
    if (graph_dot(&g, 0, &out))
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
    int rc, status = EXIT_BAD, wide = 0;
    unsigned load_flags = 0;
    int rel[2] = {0, 0};     /* --since, --until given as durations */
    int64_t ago[2] = {0, 0}; /* ... of this many ns before the case's end */

    memset(&k, 0, sizeof(k));
    memset(&filt, 0, sizeof(filt));
    k.d = d;
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
        status = cmd_check_dot(cases[0], paths, npaths, load_flags, &filt, k.ns, d);
        goto out;
    }
    rc = policy_set_load(&ps, paths, npaths, load_flags, d);
    if (rc)
        goto out;
    rc = case_open_many(&k.c, cases, ncases, &copts, d);
    if (rc)
        goto out_ps;
    if ((rel[0] || rel[1]) && relative_window(&k.c, rel, ago, &filt, d)) {
        case_close(&k.c);
        goto out_ps;
    }
    arena_init(&k.arena, 0);
    k.wl = xcalloc(k.c.neps ? k.c.neps : 1, sizeof(*k.wl));
    k.oo.ends = case_several_vantages(&k.c);
    k.e = engine_new(&ps, k.c.eps, k.c.neps, k.oo.explain ? ENG_EXPLAIN : 0);
    k.oo.ps = &ps;
    buf_init(&k.out, 0);
    k.stream = k.fmt != FMT_TABLE && k.oo.group == GROUP_FLOW;
    if (k.fmt == FMT_CSV && out_csv_header(&k.oo, &k.out))
        goto out_case;

    rc = case_flows(&k.c, &filt, on_flow, &k, d);
    if (rc) {
        if (rc != ERR_DB)
            diag_err(d, "cannot write the results: %s", err_str(rc));
        goto out_case;
    }
    if (!k.stream) {
        if (k.nrecs)
            qsort(k.recs, k.nrecs, sizeof(*k.recs), rec_cmp);
        if (k.fmt == FMT_TABLE) {
            /* Names whole through a pipe or with -o wide (they can be pasted
             * into kubectl), cut to a terminal's width otherwise. */
            k.oo.width = wide ? 0 : cmd_term_width(stdout);
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
            if (k.out.len > (1u << 20) && cmd_flush(&k.out, stdout))
                k.werr = 1;
        }
        if (k.fmt == FMT_TABLE &&
            buf_addf(&k.out,
                     "%llu flows: %llu allowed, %llu denied; observed %llu ok, %llu failed, "
                     "%llu unknown\n%llu denied and failed (explained), %llu denied but ok "
                     "(would break), %llu failed though allowed\n",
                     (unsigned long long)k.flows, (unsigned long long)k.allowed,
                     (unsigned long long)k.denied, (unsigned long long)k.ok,
                     (unsigned long long)k.failed, (unsigned long long)k.unknown,
                     (unsigned long long)k.explained, (unsigned long long)k.would_break,
                     (unsigned long long)k.unexplained))
            goto out_case;
    }
    if (cmd_flush(&k.out, stdout) || k.werr || fflush(stdout)) {
        diag_err(d, "cannot write to standard output: %s", strerror(errno));
        goto out_case;
    }
    if (getenv("PODFLOW_STATS")) {
        struct eng_stats st;

        engine_stats(k.e, &st);
        fprintf(stderr,
                "podflow-analyze: %llu flows judged, %llu distinct tuples evaluated, %llu label "
                "sets, %llu selectors\n",
                (unsigned long long)st.judged, (unsigned long long)st.tuples,
                (unsigned long long)st.label_sets, (unsigned long long)st.selectors);
    }
    status = k.denied ? EXIT_DENIED : EXIT_OK;
out_case:
    buf_release(&k.out);
    engine_free(&k.e);
    free(k.recs);
    free(k.gkeys);
    htab_release(&k.groups);
    free(k.wl);
    htab_release(&k.wlmap);
    arena_release(&k.arena);
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
    .summary = "judge every flow: allowed or denied, and by what",
    .about = "Judge every flow of CASE.db against the policies in PATH (files, directories\n"
             "searched for *.yaml, *.yml, *.json, or - for stdin; -p is repeatable and takes\n"
             "the operands after it up to the next option or CASE.db).  Several CASE.db (one\n"
             "per node) are read as one case, as if merged.  A connection captured at several\n"
             "vantage points (two nodes, or two interfaces of one node: the client's and the\n"
             "server's cali link) is judged and reported once, with what each end saw.\n",
    .exit_status = "Exit status: 0 nothing denied, 1 at least one flow denied,\n"
                   "2 bad input or usage.\n",
};
