/*
 * extsort.h: an external merge sort of fixed-size records in bounded
 * memory, for the pairing of a case's flows (pair.c), whose records may
 * be a hundred million.
 *
 * Add records (xsort_add), close the input (xsort_finish), then read them
 * back in order through any number of cursors (xsort_cur_open), each from
 * the first record not below a key.  Records that compare equal come back
 * in no set order: give the comparator a tiebreak (an id) for a stable
 * result.  Once finished, the sort is read-only: cursors in several
 * threads may read it at once.
 *
 * Memory: at most mem bytes of records while adding (plus a pointer per
 * record for the sort); a window of XSORT_WINDOW bytes per run for each
 * open cursor.  Disk: every record once spilled, in one temporary file
 * that no other process can reach (unlinked when made).
 */
#ifndef PODFLOW_ANALYZE_EXTSORT_H
#define PODFLOW_ANALYZE_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

/* What a cursor reads of a run on disk at once. */
#define XSORT_WINDOW (64u * 1024u)

/* A sorted run: in memory (recs, pointers into the buffer) or in the file. */
struct xsort_run {
    const unsigned char **recs; /* in memory: n sorted pointers (malloc'd), else NULL */
    uint64_t off;               /* on disk: the first record's offset */
    size_t n;
};

typedef int (*xsort_cmp_fn)(const void *a, const void *b, void *arg);

struct xsort {
    size_t recsize;
    xsort_cmp_fn cmp;
    void *arg;
    unsigned char *buf; /* records being gathered (malloc'd) */
    size_t n, alloc;    /* in buf, room for */
    size_t cap;         /* records that fit in mem */
    struct xsort_run *runs;
    size_t nruns, runs_alloc;
    int fd;       /* the spill file, or -1 */
    uint64_t end; /* its length */
    uint64_t total;
    int finished;
};

/*
 * Set up x for records of recsize bytes ordered by cmp(a, b, arg), with at
 * most mem bytes of them in memory (at least a few).  Never fails.
 */
void xsort_init(struct xsort *x, size_t recsize, xsort_cmp_fn cmp, void *arg, size_t mem);

/* Copy one record in; a full buffer is sorted and spilled.  0, or -errno
 * when the temporary file cannot be made or written (full disk). */
int xsort_add(struct xsort *x, const void *rec) MUST_CHECK;

/* The end of the input: sort what is gathered (kept in memory when nothing
 * was spilled, else spilled too).  0 or -errno. */
int xsort_finish(struct xsort *x) MUST_CHECK;

/* Records added (and spilled runs, for tests and the bench's notes). */
uint64_t xsort_count(const struct xsort *x);
size_t xsort_runs_on_disk(const struct xsort *x);

void xsort_release(struct xsort *x);

/* A reader of a finished sort, in order. */
struct xsort_src;
struct xsort_cur {
    const struct xsort *x;
    struct xsort_src *src; /* one per run (malloc'd) */
    size_t *heap;          /* sources by their next record (malloc'd) */
    size_t nheap;
    size_t top; /* the source whose record was last returned, or SIZE_MAX */
    int err;    /* -errno once a read failed */
};

/*
 * A cursor at the first record r with cmp(r, from) >= 0 (from NULL: the
 * first record).  0 or -errno.  Release with xsort_cur_close() either way.
 */
int xsort_cur_open(struct xsort_cur *cu, const struct xsort *x, const void *from) MUST_CHECK;

/* The next record (valid until the next call), or NULL at the end or on a
 * read error (then cu->err says which). */
const void *xsort_cur_next(struct xsort_cur *cu);

void xsort_cur_close(struct xsort_cur *cu);

#endif
