/*
 * series.h: traffic over time (issue 15): connections, packets and bytes
 * of judged flows in buckets of a fixed interval, for the cluster and per
 * namespace, each split by verdict (allowed, denied, unknown), with the share of
 * each bucket a capture was running.  `check --interval DUR` writes it as
 * JSON Lines, CSV or a table; the report's traffic section draws it.
 *
 * A case records each flow's totals, not its packets' times, so:
 *   - a connection counts in the bucket where it starts (its first_ns,
 *     or the series' start for one that began before it);
 *   - its packets and bytes are spread over the buckets its [first_ns,
 *     last_ns] overlaps in proportion to the overlap, as whole numbers
 *     that add up to its totals.
 * A flow counts once for the cluster and once in each namespace one of
 * its ends belongs to (a pod's or a Service's), so the namespaces' rows
 * may add up to more than the cluster's.
 */
#ifndef PODFLOW_ANALYZE_SERIES_H
#define PODFLOW_ANALYZE_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"
#include "common/htab.h"

struct buf;

/* One bucket of one scope and verdict. */
struct series_cell {
    uint64_t conns;   /* connections started in the bucket */
    uint64_t packets; /* both directions, spread as above */
    uint64_t bytes;
};

/* The verdicts a series splits by (docs/semantics.md §11: unknown is one). */
enum { SERIES_ALLOW = 0, SERIES_DENY = 1, SERIES_UNKNOWN = 2, SERIES_NV = 3 };

struct series {
    int64_t t0;   /* the first bucket's start (Unix ns, a multiple of step) */
    int64_t step; /* the interval (ns, > 0) */
    size_t nb;    /* buckets */
    char **ns;    /* namespace of scope i + 1 (malloc'd, each malloc'd) */
    size_t nns, ns_alloc;
    struct htab nsidx;         /* hash of a namespace -> its index in ns */
    struct series_cell *cells; /* [scope][bucket][verdict], scope 0 the cluster (malloc'd) */
    int64_t *covered;          /* per bucket: ns within it a capture ran (malloc'd) */
    int64_t (*caps)[2];        /* capture intervals given (malloc'd) */
    size_t ncaps, caps_alloc;
    size_t *order; /* after series_finish(): scopes 1.. by namespace name (malloc'd) */
};

/* An interval that cuts [first, last] into at most about 120 buckets, a
 * round one (1 s, 2 s, 5 s, 10 s, 15 s, 30 s, 1 min, ... 1 day). */
int64_t series_auto_step(int64_t first, int64_t last);

/*
 * Set up s (caller storage) for times [first, last] in buckets of step
 * ns.  0; ERR_INVALID when step <= 0, last < first or first < 0 (before
 * 1970: not a capture's time); ERR_LIMIT when that makes more than
 * LIM_SERIES_BUCKETS buckets (or LIM_SERIES_CELLS / SERIES_NV).  On failure s needs no release.
 */
int series_init(struct series *s, int64_t first, int64_t last, int64_t step) MUST_CHECK;
void series_release(struct series *s);

/* Add one flow: its ends' namespaces (NULL: none; the same twice counts
 * once), its verdict (SERIES_ALLOW, _DENY, _UNKNOWN), its times and totals (negative totals, as
 * a hostile case may hold, count as 0).  Times outside the series are
 * held at its ends.  0, or ERR_LIMIT (nothing added) when a namespace
 * not seen before would take the series past LIM_SERIES_CELLS. */
int series_add(struct series *s, const char *ns_a, const char *ns_b, int verdict, int64_t first_ns,
               int64_t last_ns, int64_t packets, int64_t bytes) MUST_CHECK;

/* A capture ran from from_ns to to_ns: counted once however many
 * captures overlap (series_finish() merges them). */
void series_capture(struct series *s, int64_t from_ns, int64_t to_ns);

/* Done adding: merge the capture intervals into covered[] and order the
 * namespaces by name. */
void series_finish(struct series *s);

/* The cell of scope (0: cluster, 1 + i: s->ns[i]), bucket b, verdict. */
static inline const struct series_cell *series_cell(const struct series *s, size_t scope, size_t b,
                                                    int verdict)
{
    return &s->cells[(scope * s->nb + b) * SERIES_NV + (size_t)verdict];
}

/* The bucket holding t, t held within the series. */
size_t series_bucket(const struct series *s, int64_t t);

/* Totals of a scope over all buckets, per verdict (out[SERIES_NV]). */
void series_total(const struct series *s, size_t scope, struct series_cell out[SERIES_NV]);

/*
 * Append the series (after series_finish()) to out, one record per
 * bucket, scope and verdict: every bucket of the cluster, and the buckets
 * of a namespace where it had traffic of that verdict.  Fields: start,
 * end (RFC 3339), start_ns, end_ns, scope ("cluster" or "namespace"),
 * namespace, verdict, connections, packets, bytes, cps, pps, bps (per
 * second of the bucket), coverage (the share of the bucket a capture ran,
 * 0 to 1).  JSON Lines, CSV with its header, or a table.  0 or ERR_LIMIT.
 */
enum series_fmt { SERIES_JSON, SERIES_CSV, SERIES_TABLE };
int series_write(const struct series *s, enum series_fmt fmt, struct buf *out) MUST_CHECK;

#endif
