/*
 * cmd_diff.c: podflow-analyze diff: judge every recorded flow under two
 * policy sets (what runs now, --old, and a proposal, --new) and list the
 * flows whose verdict or deciding policy differs, classified by what the
 * capture saw happen:
 *
 *   would-break        observed ok, denied by the proposal, not before
 *   newly-denied       denied now, not before, outcome not seen ok
 *   newly-unknown      unknown now (docs/semantics.md §11), not before, or for
 *                      another reason
 *   would-fix          observed failed, allowed now, not before
 *   newly-allowed      allowed now, not before, outcome not seen failed
 *   decided-elsewhere  same verdict, another policy, rule or tier decides
 *
 * Exit status 1 when anything would break (with --strict, also when a
 * verdict becomes unknown), so that a CI job can gate a policy change on
 * recorded traffic.
 */
#include <stdio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/cmd/cmd.h"
#include "analyze/engine/flowset.h"
#include "analyze/engine/redaction.h"
#include "analyze/out/out.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/json.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The classes are flowset.h's enum flowset_class (suggest's proof speaks
 * them too). */
enum dfmt { DF_TABLE, DF_JSON, DF_CSV };
enum dgroup { DG_FLOW, DG_TUPLE, DG_WORKLOAD };

/* The option table (cmd.h), handled in cmd_diff(). */
enum { O_OLD = 1, O_NEW, O_GROUP, O_FORMAT, O_NO_POLICIES, O_STRICT };
/* In enum dgroup's order; -o's values and the format each stands for (the
 * table always shows names whole: wide is the table). */
static const char *const diff_fmts[] = {"table", "wide", "json", "csv", NULL};
static const enum dfmt diff_fmt_of[] = {DF_TABLE, DF_TABLE, DF_JSON, DF_CSV};
static const char *const diff_groups[] = {"flow", "tuple", "workload", NULL};

static const struct cmd_opt diff_opts[] = {
    {O_NO_POLICIES, 0, "no-policies", CMD_ARG_NONE, NULL, NULL,
     "a set whose paths hold no policy object is meant\n(otherwise an error: it would allow "
     "everything)"},
    {O_OLD, 0, "old", CMD_ARG_LIST, "PATH...", NULL, "the policies in force (repeatable)"},
    {O_NEW, 0, "new", CMD_ARG_LIST, "PATH...", NULL, "the proposal (repeatable)"},
    {O_GROUP, 'g', "group", CMD_ARG_ONE, "BY", diff_groups, "flow (default), tuple or workload"},
    {O_FORMAT, 'o', "output", CMD_ARG_ONE, "FMT", diff_fmts,
     "table (default; names whole, so wide is the same),\n"
     "json (JSON Lines) or csv"},
    {O_FORMAT, 'f', "format", CMD_ARG_ONE, "FMT", diff_fmts, "the same as -o"},
    {O_STRICT, 0, "strict", CMD_ARG_NONE, NULL, NULL,
     "fail closed: a newly unknown verdict counts as\n"
     "breaking, and a row of the case that cannot be\n"
     "used is an error (exit 2), not left out with a\n"
     "warning"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

/* One output line: a flow or a group of flows of one class. */
struct drec {
    enum flowset_class cls;
    const struct flowset_flow *f; /* the first flow */
    uint64_t flows;
    int64_t first_ns;
};

struct diff {
    struct diag *d;
    struct flowset fs;
    enum dfmt fmt;
    enum dgroup group;
    struct drec *recs;
    size_t nrecs, alloc;
    uint64_t count[FC_N];
    uint64_t changed_flows;
    int strict; /* --strict: a newly unknown verdict makes the exit status 1, an
                   unusable row of the case exit 2 */
    int werr;   /* writing to standard output failed */
};

/* After each record: what is made so far goes out (cmd_drain()). */
static void diff_drain(struct diff *k, struct buf *out)
{
    if (cmd_drain(out, stdout))
        k->werr = 1;
}

/* The class of a flow, or -1 when both sets decide it alike. */
static int classify(const struct flowset_flow *f)
{
    return flowset_classify(f->obs, f->v[FS_OLD], f->v[FS_NEW]);
}

/* Group key: two records share a line when this text is equal. */
static int group_key(const struct diff *k, const struct flowset_flow *f, int cls, struct buf *key)
{
    struct flowset_node s, t;
    char sip[IPADDR_STRLEN], dip[IPADDR_STRLEN];
    struct buf dec;
    int rc;

    buf_reset(key);
    buf_init(&dec, 0);
    rc = flowset_decider_text(f->v[FS_OLD], &dec);
    if (!rc)
        rc = buf_addstr(&dec, "\x1f");
    if (!rc)
        rc = flowset_decider_text(f->v[FS_NEW], &dec);
    if (!rc && k->group == DG_TUPLE)
        rc = buf_addf(key, "%d\x1f%p\x1f%p\x1f%s\x1f%s\x1f%d\x1f%u\x1f%s", cls,
                      (const void *)f->src, (const void *)f->dst, ipaddr_format(&f->src_ip, sip),
                      ipaddr_format(&f->dst_ip, dip), f->proto, f->dst_port, dec.data);
    else if (!rc) {
        flowset_node_of(f->src, &s);
        flowset_node_of(f->dst, &t);
        rc = buf_addf(key, "%d\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%u\x1f%s", cls, s.kind,
                      s.ns ? s.ns : "", s.name ? s.name : "", t.kind, t.ns ? t.ns : "",
                      t.name ? t.name : "", f->proto, f->dst_port, dec.data);
    }
    buf_release(&dec);
    return rc;
}

static int collect(struct diff *k)
{
    char **keys = NULL; /* per record when grouping (malloc'd, each malloc'd) */
    struct htab tab;    /* hash of the group key -> record index */
    size_t i;
    struct buf key;
    int rc = 0;

    buf_init(&key, 0);
    htab_init(&tab);
    for (i = 0; i < k->fs.nflows && !rc; i++) {
        const struct flowset_flow *f = &k->fs.flows[i];
        int cls = classify(f);
        struct htab_iter it;
        uint32_t j;
        uint64_t h = 0;

        if (cls < 0)
            continue;
        k->count[cls]++;
        k->changed_flows++;
        if (k->group != DG_FLOW) {
            rc = group_key(k, f, cls, &key);
            if (rc)
                break;
            h = hash_bytes(key.data, key.len, 0);
            for (j = htab_first(&tab, h, &it); j != HTAB_NONE; j = htab_next(&tab, &it))
                if (strcmp(keys[j], key.data) == 0)
                    break;
            if (j != HTAB_NONE) {
                struct drec *g = &k->recs[j];

                g->flows++;
                if (f->first_ns < g->first_ns)
                    g->first_ns = f->first_ns;
                continue;
            }
        }
        ALLOC_GROW(k->recs, k->nrecs + 1, k->alloc);
        if (k->group != DG_FLOW) {
            keys = xreallocarray(keys, k->alloc, sizeof(*keys));
            keys[k->nrecs] = xstrdup(key.data);
            htab_add(&tab, h, (uint32_t)k->nrecs);
        }
        k->recs[k->nrecs].cls = (enum flowset_class)cls;
        k->recs[k->nrecs].f = f;
        k->recs[k->nrecs].flows = 1;
        k->recs[k->nrecs].first_ns = f->first_ns;
        k->nrecs++;
    }
    if (keys)
        for (i = 0; i < k->nrecs; i++)
            free(keys[i]);
    free(keys);
    htab_release(&tab);
    buf_release(&key);
    return rc;
}

/* Worst news first (the class order), then by time, then flow id. */
static int drec_cmp(const void *x, const void *y)
{
    const struct drec *a = x, *b = y;

    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->f->id < b->f->id ? -1 : a->f->id > b->f->id;
}

static void ident(const struct diff *k, const struct case_ep *ep, const struct ipaddr *ip, char *b,
                  size_t size)
{
    struct flowset_node n;

    if (k->group == DG_WORKLOAD) {
        flowset_node_of(ep, &n);
        if (n.ns) {
            snprintf(b, size, "%s/%s", n.ns, n.name);
            return;
        }
        if (strcmp(n.kind, "host") == 0) {
            snprintf(b, size, "host network");
            return;
        }
    }
    out_ident(ep, ip, b, size);
}

static void port_text(const struct flowset_flow *f, char *b, size_t size)
{
    const char *p = proto_name(f->proto);

    if (p)
        snprintf(b, size, "%s/%u", p, f->dst_port);
    else
        snprintf(b, size, "%d/%u", f->proto, f->dst_port);
}

static void json_decided(struct json *j, const struct eng_verdict *v, struct buf *tmp)
{
    json_obj_begin(j);
    json_key(j, "verdict");
    json_str(j, verdict_name(v->verdict));
    out_json_decider(j, v, tmp);
    json_key(j, "text");
    buf_reset(tmp);
    if (flowset_decider_text(v, tmp) == 0)
        json_strn(j, tmp->data, tmp->len);
    else
        json_null(j);
    json_obj_end(j);
}

static int write_json(struct diff *k, struct buf *out)
{
    struct json j;
    struct buf tmp;
    size_t i;
    int c;

    buf_init(&tmp, 0);
    json_init(&j, out);
    json_obj_begin(&j);
    json_key(&j, "summary");
    json_obj_begin(&j);
    json_key(&j, "flows");
    json_uint(&j, k->fs.nflows);
    json_key(&j, "changed");
    json_uint(&j, k->changed_flows);
    for (c = 0; c < FC_N; c++) {
        json_key(&j, flowset_class_names[c]);
        json_uint(&j, k->count[c]);
    }
    json_obj_end(&j);
    json_obj_end(&j);
    if (json_finish(&j) || buf_addch(out, '\n'))
        goto fail;
    for (i = 0; i < k->nrecs; i++) {
        const struct drec *r = &k->recs[i];
        const struct flowset_flow *f = r->f;
        char b[IPADDR_STRLEN + 300];
        const char *pn = proto_name(f->proto);

        json_init(&j, out);
        json_obj_begin(&j);
        json_key(&j, "class");
        json_str(&j, flowset_class_names[r->cls]);
        json_key(&j, "src");
        ident(k, f->src, &f->src_ip, b, sizeof(b));
        json_str(&j, b);
        json_key(&j, "dst");
        ident(k, f->dst, &f->dst_ip, b, sizeof(b));
        json_str(&j, b);
        json_key(&j, "src_ip");
        json_str(&j, ipaddr_format(&f->src_ip, b));
        json_key(&j, "src_port");
        json_uint(&j, f->src_port);
        json_key(&j, "dst_ip");
        json_str(&j, ipaddr_format(&f->dst_ip, b));
        json_key(&j, "dst_port");
        json_uint(&j, f->dst_port);
        json_key(&j, "proto");
        if (pn)
            json_str(&j, pn);
        else
            json_int(&j, f->proto);
        json_key(&j, "state");
        json_str(&j, f->state);
        json_key(&j, "observed");
        json_str(&j, observed_name(f->obs));
        json_key(&j, "flows");
        json_uint(&j, r->flows);
        json_key(&j, "old");
        json_decided(&j, f->v[FS_OLD], &tmp);
        json_key(&j, "new");
        json_decided(&j, f->v[FS_NEW], &tmp);
        json_obj_end(&j);
        if (json_finish(&j) || buf_addch(out, '\n'))
            goto fail;
        diff_drain(k, out);
    }
    buf_release(&tmp);
    return 0;
fail:
    buf_release(&tmp);
    return ERR_LIMIT;
}

/* RFC 4180: quote a field holding a comma, quote or line break. */
static int csv_field(struct buf *out, const char *s, int last)
{
    int rc = 0;

    if (strpbrk(s, ",\"\r\n")) {
        rc = buf_addch(out, '"');
        for (; *s && !rc; s++)
            rc = *s == '"' ? buf_addstr(out, "\"\"") : buf_addch(out, *s);
        if (!rc)
            rc = buf_addch(out, '"');
    } else {
        rc = buf_addstr(out, s);
    }
    return rc ? rc : buf_addch(out, last ? '\n' : ',');
}

static int write_csv(struct diff *k, struct buf *out)
{
    struct buf o, n;
    size_t i;
    int rc;

    rc = buf_addstr(out, "class,src,dst,src_ip,src_port,dst_ip,dst_port,proto,state,observed,"
                         "flows,old_verdict,old_decided_by,new_verdict,new_decided_by\n");
    buf_init(&o, 0);
    buf_init(&n, 0);
    for (i = 0; i < k->nrecs && !rc; i++) {
        const struct drec *r = &k->recs[i];
        const struct flowset_flow *f = r->f;
        char b[IPADDR_STRLEN + 300], num[32];
        const char *pn = proto_name(f->proto);

        buf_reset(&o);
        buf_reset(&n);
        rc = flowset_decider_text(f->v[FS_OLD], &o);
        if (!rc)
            rc = flowset_decider_text(f->v[FS_NEW], &n);
        if (!rc)
            rc = csv_field(out, flowset_class_names[r->cls], 0);
        ident(k, f->src, &f->src_ip, b, sizeof(b));
        if (!rc)
            rc = csv_field(out, b, 0);
        ident(k, f->dst, &f->dst_ip, b, sizeof(b));
        if (!rc)
            rc = csv_field(out, b, 0);
        if (!rc)
            rc = csv_field(out, ipaddr_format(&f->src_ip, b), 0);
        snprintf(num, sizeof(num), "%u", f->src_port);
        if (!rc)
            rc = csv_field(out, num, 0);
        if (!rc)
            rc = csv_field(out, ipaddr_format(&f->dst_ip, b), 0);
        snprintf(num, sizeof(num), "%u", f->dst_port);
        if (!rc)
            rc = csv_field(out, num, 0);
        snprintf(num, sizeof(num), "%d", f->proto);
        if (!rc)
            rc = csv_field(out, pn ? pn : num, 0);
        if (!rc)
            rc = csv_field(out, f->state, 0);
        if (!rc)
            rc = csv_field(out, observed_name(f->obs), 0);
        snprintf(num, sizeof(num), "%llu", (unsigned long long)r->flows);
        if (!rc)
            rc = csv_field(out, num, 0);
        if (!rc)
            rc = csv_field(out, verdict_name(f->v[FS_OLD]->verdict), 0);
        if (!rc)
            rc = csv_field(out, o.data, 0);
        if (!rc)
            rc = csv_field(out, verdict_name(f->v[FS_NEW]->verdict), 0);
        if (!rc)
            rc = csv_field(out, n.data, 1);
        diff_drain(k, out);
    }
    buf_release(&o);
    buf_release(&n);
    return rc;
}

static int write_table(struct diff *k, struct buf *out)
{
    size_t i;
    int rc, c;

    rc = buf_addf(out, "%zu flows judged under both sets; %llu differ:", k->fs.nflows,
                  (unsigned long long)k->changed_flows);
    for (c = 0; c < FC_N && !rc; c++)
        rc = buf_addf(out, "%s %llu %s", c ? "," : "", (unsigned long long)k->count[c],
                      flowset_class_names[c]);
    if (!rc)
        rc = buf_addstr(out, "\n");
    /* One record per paragraph: identities are printed whole (pod names
     * are long), the class and port in fixed columns in front. */
    if (!rc && k->nrecs)
        rc = buf_addf(out, "\n%-17s %-11s %-13s %s\n", "CLASS", "PORT",
                      k->group == DG_FLOW ? "SEEN" : "FLOWS", "SOURCE -> DESTINATION");
    for (i = 0; i < k->nrecs && !rc; i++) {
        const struct drec *r = &k->recs[i];
        const struct flowset_flow *f = r->f;
        char s[IPADDR_STRLEN + 300], d[IPADDR_STRLEN + 300], p[32], seen[32];

        ident(k, f->src, &f->src_ip, s, sizeof(s));
        ident(k, f->dst, &f->dst_ip, d, sizeof(d));
        port_text(f, p, sizeof(p));
        if (k->group == DG_FLOW)
            snprintf(seen, sizeof(seen), "%s %s", observed_name(f->obs), f->state);
        else
            snprintf(seen, sizeof(seen), "%llu", (unsigned long long)r->flows);
        rc = buf_addf(out, "%-17s %-11s %-13s %s -> %s\n", flowset_class_names[r->cls], p, seen, s,
                      d);
        if (!rc)
            rc = buf_addf(out, "    old: %s, ", verdict_name(f->v[FS_OLD]->verdict));
        if (!rc)
            rc = flowset_decider_text(f->v[FS_OLD], out);
        if (!rc)
            rc = buf_addf(out, "\n    new: %s, ", verdict_name(f->v[FS_NEW]->verdict));
        if (!rc)
            rc = flowset_decider_text(f->v[FS_NEW], out);
        if (!rc)
            rc = buf_addch(out, '\n');
        diff_drain(k, out);
    }
    return rc;
}

static int cmd_diff(struct cmd_args *a)
{
    struct diag *d = a->d;
    struct diff k;
    struct flowset_opts fo;
    const char **paths[2];
    size_t npaths[2] = {0, 0}, i;
    const char *casepath = NULL;
    int status = EXIT_BAD, rc;
    unsigned load_flags = 0;
    struct buf out;

    memset(&k, 0, sizeof(k));
    k.d = d;
    paths[FS_NEW] = xcalloc(a->n + 1, sizeof(*paths[0]));
    paths[FS_OLD] = xcalloc(a->n + 1, sizeof(*paths[0]));
    for (i = 0; i < a->n; i++) {
        const struct cmd_item *it = &a->v[i];

        switch (it->id) {
        case CMD_OPERAND:
            if (casepath) {
                status = cmd_usage_err(a, "unexpected argument '%s'", it->val);
                goto out;
            }
            casepath = it->val;
            break;
        case O_OLD:
        case O_NEW: {
            int w = it->id == O_OLD ? FS_OLD : FS_NEW;

            paths[w][npaths[w]++] = it->val;
            break;
        }
        case O_GROUP:
            k.group = (enum dgroup)it->choice;
            break;
        case O_FORMAT:
            k.fmt = diff_fmt_of[it->choice];
            break;
        case O_NO_POLICIES:
            load_flags |= POLICY_LOAD_ALLOW_EMPTY;
            break;
        case O_STRICT:
            k.strict = 1;
            break;
        }
    }
    if (!casepath) {
        status = cmd_usage_err(a, "%s", "no case file given");
        goto out;
    }
    if (!npaths[FS_OLD] || !npaths[FS_NEW]) {
        status = cmd_usage_err(a, "%s", "both --old PATH and --new PATH are needed");
        goto out;
    }

    memset(&fo, 0, sizeof(fo));
    fo.paths[FS_NEW] = paths[FS_NEW];
    fo.paths[FS_OLD] = paths[FS_OLD];
    fo.npaths[FS_NEW] = npaths[FS_NEW];
    fo.npaths[FS_OLD] = npaths[FS_OLD];
    fo.load_flags = load_flags;
    fo.strict = k.strict;
    if (flowset_load(&k.fs, casepath, &fo, d))
        goto out;
    /* A redacted case: which rules of either set judge pseudonyms. */
    for (int set = 0; set < k.fs.nsets; set++) {
        struct red_ctx red;

        red_init(&red, k.fs.e[set], &k.fs.c);
        red_warn(&red, d);
        red_release(&red);
    }
    rc = collect(&k);
    if (!rc && k.nrecs)
        qsort(k.recs, k.nrecs, sizeof(*k.recs), drec_cmp);
    buf_init(&out, 0);
    /* Rows of the case left out as unusable: said on the first line. */
    if (!rc)
        rc = cmd_case_head(&k.fs.c,
                           k.fmt == DF_JSON  ? CMD_HEAD_JSON
                           : k.fmt == DF_CSV ? CMD_HEAD_CSV
                                             : CMD_HEAD_TEXT,
                           &out);
    if (!rc)
        rc = k.fmt == DF_JSON  ? write_json(&k, &out)
             : k.fmt == DF_CSV ? write_csv(&k, &out)
                               : write_table(&k, &out);
    if (rc)
        diag_err(d, "cannot write the results: %s", err_str(rc));
    else if (cmd_flush(&out, stdout) || k.werr || fflush(stdout))
        diag_err(d, "cannot write to standard output: %s", strerror(errno));
    else
        status = k.count[FC_WOULD_BREAK] || (k.strict && k.count[FC_NEWLY_UNKNOWN]) ? EXIT_DENIED
                                                                                    : EXIT_OK;
    buf_release(&out);
    flowset_release(&k.fs);
out:
    free(k.recs);
    free(paths[FS_NEW]);
    free(paths[FS_OLD]);
    return status;
}

const struct cmd_spec cmd_diff_spec = {
    .name = "diff",
    .run = cmd_diff,
    .opts = diff_opts,
    .args = "CASE.db --old PATH... --new PATH... [options]",
    .summary = "what a policy change would break or fix",
    .about = "Judge every flow of CASE.db under two policy sets and list those whose\n"
             "verdict or deciding policy differs: would-break (seen working, newly\n"
             "denied), newly-denied, newly-unknown (the verdict cannot be told),\n"
             "would-fix (seen failing, newly allowed), newly-allowed, decided-elsewhere\n"
             "(same verdict, another policy).\n"
             "PATH: files, directories (*.yaml, *.yml, *.json) or - for stdin.\n",
    .exit_status = "Exit status: 0 nothing would break, 1 at least one working flow would be\n"
                   "denied (with --strict: or a verdict becomes unknown), 2 bad input or usage.\n",
};
