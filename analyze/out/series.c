/*
 * series.c: traffic over time in fixed buckets (series.h), and its JSON
 * Lines, CSV and table forms.
 *
 * Cells live in one array, scope-major, so that a namespace seen for the
 * first time adds one block of nb * SERIES_NV cells at the end; the bucket count
 * is fixed at series_init() (the caller knows the case's span first), so
 * a flow costs one hash lookup per namespace and one step per bucket it
 * spans.
 */
#include "analyze/out/series.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/out/out.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

int64_t series_auto_step(int64_t first, int64_t last)
{
    static const int64_t steps[] = {
        1,   2,    5,    10,   15,    30,    60,    120,   300,    600,
        900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
    };
    uint64_t span = last > first ? (uint64_t)last - (uint64_t)first : 0;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(steps); i++)
        if (span / ((uint64_t)steps[i] * 1000000000u) < 120)
            return steps[i] * 1000000000LL;
    return steps[ARRAY_SIZE(steps) - 1] * 1000000000LL;
}

int series_init(struct series *s, int64_t first, int64_t last, int64_t step)
{
    uint64_t nb;

    memset(s, 0, sizeof(*s));
    if (step <= 0 || last < first || first < 0)
        return ERR_INVALID;
    s->step = step;
    s->t0 = first - first % step;
    nb = ((uint64_t)last - (uint64_t)s->t0) / (uint64_t)step + 1;
    if (nb > LIM_SERIES_BUCKETS || nb > LIM_SERIES_CELLS / SERIES_NV)
        return ERR_LIMIT;
    s->nb = (size_t)nb;
    s->cells = xcalloc(s->nb * SERIES_NV, sizeof(*s->cells));
    s->covered = xcalloc(s->nb, sizeof(*s->covered));
    return 0;
}

void series_release(struct series *s)
{
    size_t i;

    for (i = 0; i < s->nns; i++)
        free(s->ns[i]);
    free(s->ns);
    htab_release(&s->nsidx);
    free(s->cells);
    free(s->covered);
    free(s->caps);
    free(s->order);
    memset(s, 0, sizeof(*s));
}

/* The scope of namespace ns, added when new; 0 when a new one would take
 * the series past LIM_SERIES_CELLS. */
static size_t scope_of(struct series *s, const char *ns)
{
    uint64_t h = hash_str(ns, 0);
    struct htab_iter it;
    size_t old;

    for (uint32_t j = htab_first(&s->nsidx, h, &it); j != HTAB_NONE; j = htab_next(&s->nsidx, &it))
        if (strcmp(s->ns[j], ns) == 0)
            return j + 1;
    if ((s->nns + 2) * s->nb > LIM_SERIES_CELLS)
        return 0;
    ALLOC_GROW(s->ns, s->nns + 1, s->ns_alloc);
    s->ns[s->nns] = xstrdup(ns);
    htab_add(&s->nsidx, h, (uint32_t)s->nns);
    s->nns++;
    old = s->nns * s->nb * SERIES_NV;
    s->cells = xreallocarray(s->cells, old + s->nb * SERIES_NV, sizeof(*s->cells));
    memset(&s->cells[old], 0, s->nb * SERIES_NV * sizeof(*s->cells));
    return s->nns;
}

size_t series_bucket(const struct series *s, int64_t t)
{
    uint64_t b;

    if (t <= s->t0)
        return 0;
    b = ((uint64_t)t - (uint64_t)s->t0) / (uint64_t)s->step;
    return b >= s->nb ? s->nb - 1 : (size_t)b;
}

static int64_t clamp(const struct series *s, int64_t t)
{
    int64_t end = s->t0 + (int64_t)s->nb * s->step - 1;

    return t < s->t0 ? s->t0 : t > end ? end : t;
}

/* The part of total falling in buckets up to offset off of a flow of
 * duration dur: cumulative and rounded down, so the parts add up to total
 * exactly. */
static uint64_t share(uint64_t total, int64_t off, int64_t dur)
{
    if (off >= dur)
        return total;
    return (uint64_t)((double)total * ((double)off / (double)dur));
}

static void add_to(struct series *s, size_t scope, int v, int64_t first, int64_t last,
                   uint64_t packets, uint64_t bytes)
{
    size_t b0 = series_bucket(s, first), b1 = series_bucket(s, last), b;
    int64_t dur = last - first;
    uint64_t pdone = 0, bdone = 0;

    s->cells[(scope * s->nb + b0) * SERIES_NV + (size_t)v].conns++;
    for (b = b0; b <= b1; b++) {
        struct series_cell *c = &s->cells[(scope * s->nb + b) * SERIES_NV + (size_t)v];
        int64_t end = b == b1 ? dur : s->t0 + (int64_t)(b + 1) * s->step - first;
        uint64_t p = b == b1 ? packets : share(packets, end, dur);
        uint64_t y = b == b1 ? bytes : share(bytes, end, dur);

        c->packets += p - pdone;
        c->bytes += y - bdone;
        pdone = p;
        bdone = y;
    }
}

int series_add(struct series *s, const char *ns_a, const char *ns_b, int verdict, int64_t first_ns,
               int64_t last_ns, int64_t packets, int64_t bytes)
{
    int64_t first = clamp(s, first_ns), last = clamp(s, last_ns < first_ns ? first_ns : last_ns);
    uint64_t p = packets > 0 ? (uint64_t)packets : 0, y = bytes > 0 ? (uint64_t)bytes : 0;
    int v = verdict == SERIES_DENY || verdict == SERIES_UNKNOWN ? verdict : SERIES_ALLOW;
    size_t a = 0, b = 0;

    if (ns_a && !(a = scope_of(s, ns_a)))
        return ERR_LIMIT;
    if (ns_b && (!ns_a || strcmp(ns_a, ns_b) != 0) && !(b = scope_of(s, ns_b)))
        return ERR_LIMIT;
    add_to(s, 0, v, first, last, p, y);
    if (a)
        add_to(s, a, v, first, last, p, y);
    if (b)
        add_to(s, b, v, first, last, p, y);
    return 0;
}

void series_capture(struct series *s, int64_t from_ns, int64_t to_ns)
{
    if (to_ns < from_ns)
        return;
    ALLOC_GROW(s->caps, s->ncaps + 1, s->caps_alloc);
    s->caps[s->ncaps][0] = from_ns;
    s->caps[s->ncaps][1] = to_ns;
    s->ncaps++;
}

static int iv_cmp(const void *x, const void *y)
{
    const int64_t *a = x, *b = y;

    return (a[0] > b[0]) - (a[0] < b[0]);
}

struct ns_key {
    const char *name;
    size_t scope;
};

static int ns_cmp(const void *x, const void *y)
{
    return strcmp(((const struct ns_key *)x)->name, ((const struct ns_key *)y)->name);
}

/* Add [from, to) to the buckets it overlaps. */
static void cover(struct series *s, int64_t from, int64_t to)
{
    int64_t end = s->t0 + (int64_t)s->nb * s->step;
    size_t b;

    from = from < s->t0 ? s->t0 : from;
    to = to > end ? end : to;
    if (to <= from)
        return;
    for (b = series_bucket(s, from); b < s->nb; b++) {
        int64_t lo = s->t0 + (int64_t)b * s->step, hi = lo + s->step;

        if (lo >= to)
            break;
        s->covered[b] += (hi < to ? hi : to) - (lo > from ? lo : from);
    }
}

void series_finish(struct series *s)
{
    struct ns_key *keys;
    size_t i;

    memset(s->covered, 0, s->nb * sizeof(*s->covered));
    if (s->ncaps) {
        int64_t lo, hi;

        qsort(s->caps, s->ncaps, sizeof(*s->caps), iv_cmp);
        lo = s->caps[0][0];
        hi = s->caps[0][1];
        for (i = 1; i < s->ncaps; i++) {
            if (s->caps[i][0] > hi) {
                cover(s, lo, hi);
                lo = s->caps[i][0];
            }
            if (s->caps[i][1] > hi)
                hi = s->caps[i][1];
        }
        cover(s, lo, hi);
    }
    free(s->order);
    s->order = xcalloc(s->nns + 1, sizeof(*s->order));
    keys = xcalloc(s->nns + 1, sizeof(*keys));
    for (i = 0; i < s->nns; i++) {
        keys[i].name = s->ns[i];
        keys[i].scope = i + 1;
    }
    if (s->nns)
        qsort(keys, s->nns, sizeof(*keys), ns_cmp);
    for (i = 0; i < s->nns; i++)
        s->order[i] = keys[i].scope;
    free(keys);
}

void series_total(const struct series *s, size_t scope, struct series_cell out[SERIES_NV])
{
    size_t b;
    int v;

    memset(out, 0, SERIES_NV * sizeof(*out));
    for (b = 0; b < s->nb; b++)
        for (v = 0; v < SERIES_NV; v++) {
            const struct series_cell *c = series_cell(s, scope, b, v);

            out[v].conns += c->conns;
            out[v].packets += c->packets;
            out[v].bytes += c->bytes;
        }
}

/* ---- writing ---------------------------------------------------------------- */

static int write_rec(const struct series *s, enum series_fmt fmt, size_t scope, size_t b, int v,
                     struct buf *out)
{
    const struct series_cell *c = series_cell(s, scope, b, v);
    int64_t lo = s->t0 + (int64_t)b * s->step, hi = lo + s->step;
    double sec = (double)s->step / 1e9, cov = (double)s->covered[b] / (double)s->step;
    const char *ns = scope ? s->ns[scope - 1] : NULL, *verdict = v == SERIES_DENY      ? "deny"
                                                                 : v == SERIES_UNKNOWN ? "unknown"
                                                                                       : "allow";
    char t0[48], t1[48];
    int rc;

    format_rfc3339(lo, t0, sizeof(t0));
    format_rfc3339(hi, t1, sizeof(t1));
    if (fmt == SERIES_JSON) {
        struct json j;

        json_init(&j, out);
        json_obj_begin(&j);
        json_key(&j, "start");
        json_str(&j, t0);
        json_key(&j, "end");
        json_str(&j, t1);
        json_key(&j, "start_ns");
        json_int(&j, lo);
        json_key(&j, "end_ns");
        json_int(&j, hi);
        json_key(&j, "scope");
        json_str(&j, scope ? "namespace" : "cluster");
        json_key(&j, "namespace");
        json_str(&j, ns);
        json_key(&j, "verdict");
        json_str(&j, verdict);
        json_key(&j, "connections");
        json_uint(&j, c->conns);
        json_key(&j, "packets");
        json_uint(&j, c->packets);
        json_key(&j, "bytes");
        json_uint(&j, c->bytes);
        json_key(&j, "cps");
        json_double(&j, (double)c->conns / sec);
        json_key(&j, "pps");
        json_double(&j, (double)c->packets / sec);
        json_key(&j, "bps");
        json_double(&j, (double)c->bytes * 8 / sec);
        json_key(&j, "coverage");
        json_double(&j, cov);
        json_obj_end(&j);
        rc = json_finish(&j);
        return rc ? rc : buf_addch(out, '\n');
    }
    if (fmt == SERIES_CSV) {
        rc = buf_addf(out, "%s,%s,%lld,%lld,%s,", t0, t1, (long long)lo, (long long)hi,
                      scope ? "namespace" : "cluster");
        if (!rc)
            rc = out_csv_field(out, ns ? ns : "", 0);
        if (!rc)
            rc = buf_addf(out, "%s,%llu,%llu,%llu,%.6g,%.6g,%.6g,%.4f\n", verdict,
                          (unsigned long long)c->conns, (unsigned long long)c->packets,
                          (unsigned long long)c->bytes, (double)c->conns / sec,
                          (double)c->packets / sec, (double)c->bytes * 8 / sec, cov);
        return rc;
    }
    /* The table: times to the second, UTC, as people scan them. */
    if (strlen(t0) >= 19) {
        t0[10] = ' ';
        t0[19] = 0;
    }
    rc = buf_addf(
        out, "%-19s  %-24.24s  %-5s  %11llu  %12llu  %14llu  %9.2f  %10.2f  %12.0f  %3.0f%%\n", t0,
        ns ? ns : "(cluster)", v == SERIES_UNKNOWN ? "unkn" : verdict, (unsigned long long)c->conns,
        (unsigned long long)c->packets, (unsigned long long)c->bytes, (double)c->conns / sec,
        (double)c->packets / sec, (double)c->bytes * 8 / sec, cov * 100);
    return rc;
}

int series_write(const struct series *s, enum series_fmt fmt, struct buf *out)
{
    size_t b, i;
    int v, rc = 0;

    if (fmt == SERIES_CSV)
        rc = buf_addstr(out, "start,end,start_ns,end_ns,scope,namespace,verdict,connections,"
                             "packets,bytes,cps,pps,bps,coverage\n");
    else if (fmt == SERIES_TABLE)
        rc = buf_addf(out, "%-19s  %-24s  %-5s  %11s  %12s  %14s  %9s  %10s  %12s  %4s\n",
                      "START (UTC)", "NAMESPACE", "VERD.", "CONNECTIONS", "PACKETS", "BYTES", "CPS",
                      "PPS", "BPS", "CAPT");
    for (b = 0; b < s->nb && !rc; b++) {
        /* The cluster: allowed and denied always, unknown when there is
         * some (a case with identities mostly has none). */
        for (v = 0; v < SERIES_NV && !rc; v++) {
            const struct series_cell *c = series_cell(s, 0, b, v);

            if (v != SERIES_UNKNOWN || c->conns || c->packets || c->bytes)
                rc = write_rec(s, fmt, 0, b, v, out);
        }
        for (i = 0; i < s->nns && !rc; i++)
            for (v = 0; v < SERIES_NV && !rc; v++) {
                const struct series_cell *c = series_cell(s, s->order[i], b, v);

                if (c->conns || c->packets || c->bytes)
                    rc = write_rec(s, fmt, s->order[i], b, v, out);
            }
    }
    return rc;
}
