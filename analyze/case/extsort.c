/*
 * extsort.c: an external merge sort of fixed-size records in bounded
 * memory (Knuth, TAOCP vol. 3, 5.4: sorted runs, then a k-way merge
 * through a heap).
 *
 * Records gather in a buffer that grows up to the memory given.  While
 * all of them fit, they are sorted (through an array of pointers: a
 * pointer moves faster than a record, and glibc's qsort would otherwise
 * copy the whole buffer) and read from memory: a small case never touches
 * the disk.  When the buffer fills, its records are sorted and written as
 * one run to an anonymous temporary file, and the buffer starts again;
 * cursors then merge the runs, each read through a window of XSORT_WINDOW
 * bytes, positioned by a binary search of each run.
 */
#include "analyze/case/extsort.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "common/compat.h"

/* One run being read by a cursor. */
struct xsort_src {
    const struct xsort_run *run;
    size_t pos;         /* its next record */
    unsigned char *win; /* disk runs: records [wpos, wpos + wn) (malloc'd) */
    size_t wpos, wn, wcap;
};

void xsort_init(struct xsort *x, size_t recsize, xsort_cmp_fn cmp, void *arg, size_t mem)
{
    memset(x, 0, sizeof(*x));
    x->recsize = recsize;
    x->cmp = cmp;
    x->arg = arg;
    /* A record and its pointer, and qsort's copy of the pointer. */
    x->cap = mem / (recsize + 2 * sizeof(void *));
    if (x->cap < 4)
        x->cap = 4;
    x->fd = -1;
}

/* A file in $TMPDIR (default /tmp) that disappears with its descriptor. */
static int tmp_file(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd, n;

    if (!dir || !*dir)
        dir = "/tmp";
    n = snprintf(path, sizeof(path), "%s/podflow-sort-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    fd = mkstemp(path);
    if (fd < 0)
        return -errno;
    unlink(path);
    return fd;
}

static int write_all(int fd, const unsigned char *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -ENOSPC;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static int read_all(int fd, unsigned char *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO; /* the file is ours: short means damaged */
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* qsort_r's comparator: the array holds record pointers. */
static int ptr_cmp(const void *a, const void *b, void *arg)
{
    const struct xsort *x = arg;

    return x->cmp(*(const unsigned char *const *)a, *(const unsigned char *const *)b, x->arg);
}

/* The gathered records, sorted, as an array of pointers (malloc'd). */
static const unsigned char **sort_buf(struct xsort *x)
{
    const unsigned char **p = xcalloc(x->n ? x->n : 1, sizeof(*p));

    for (size_t i = 0; i < x->n; i++)
        p[i] = x->buf + i * x->recsize;
    qsort_r(p, x->n, sizeof(*p), ptr_cmp, x);
    return p;
}

/* Sort the buffer and write it as a run; the buffer is then empty. */
static int spill(struct xsort *x)
{
    const unsigned char **p;
    unsigned char *out;
    size_t per = XSORT_WINDOW / x->recsize, k = 0;
    uint64_t off;
    int rc = 0;

    if (!x->n)
        return 0;
    if (x->fd < 0) {
        x->fd = tmp_file();
        if (x->fd < 0) {
            rc = x->fd;
            x->fd = -1;
            return rc;
        }
    }
    if (!per)
        per = 1;
    p = sort_buf(x);
    out = xmalloc(per * x->recsize);
    off = x->end;
    for (size_t i = 0; i < x->n && !rc; i++) {
        memcpy(out + k * x->recsize, p[i], x->recsize);
        if (++k == per || i + 1 == x->n) {
            rc = write_all(x->fd, out, k * x->recsize, off);
            off += k * x->recsize;
            k = 0;
        }
    }
    free(out);
    free(p);
    if (rc)
        return rc;
    ALLOC_GROW(x->runs, x->nruns + 1, x->runs_alloc);
    x->runs[x->nruns].recs = NULL;
    x->runs[x->nruns].off = x->end;
    x->runs[x->nruns].n = x->n;
    x->nruns++;
    x->end = off;
    x->n = 0;
    return 0;
}

int xsort_add(struct xsort *x, const void *rec)
{
    if (x->n == x->cap) {
        int rc = spill(x);

        if (rc)
            return rc;
    }
    if (x->n == x->alloc) {
        /* Grow by doubling up to the cap: a small input takes little. */
        size_t na = x->alloc ? x->alloc * 2 : 256;

        if (na > x->cap)
            na = x->cap;
        x->buf = xreallocarray(x->buf, na, x->recsize);
        x->alloc = na;
    }
    memcpy(x->buf + x->n * x->recsize, rec, x->recsize);
    x->n++;
    x->total++;
    return 0;
}

int xsort_finish(struct xsort *x)
{
    int rc = 0;

    if (x->finished)
        return 0;
    x->finished = 1;
    if (!x->nruns) {
        /* Everything fits: one run, in memory. */
        ALLOC_GROW(x->runs, 1, x->runs_alloc);
        x->runs[0].recs = sort_buf(x);
        x->runs[0].off = 0;
        x->runs[0].n = x->n;
        x->nruns = 1;
        return 0;
    }
    rc = spill(x);
    free(x->buf);
    x->buf = NULL;
    x->n = x->alloc = 0;
    return rc;
}

uint64_t xsort_count(const struct xsort *x)
{
    return x->total;
}

size_t xsort_runs_on_disk(const struct xsort *x)
{
    return x->fd < 0 ? 0 : x->nruns;
}

void xsort_release(struct xsort *x)
{
    for (size_t i = 0; i < x->nruns; i++)
        free(x->runs[i].recs);
    free(x->runs);
    free(x->buf);
    if (x->fd >= 0)
        close(x->fd);
    memset(x, 0, sizeof(*x));
    x->fd = -1;
}

/* ---- reading ---------------------------------------------------------------- */

/* Record i of a run on disk into the source's window, which then holds
 * the records from i on; 0 or -errno. */
static int src_fill(const struct xsort *x, struct xsort_src *s, size_t i)
{
    size_t n = s->run->n - i;

    if (n > s->wcap)
        n = s->wcap;
    s->wpos = i;
    s->wn = n;
    return read_all(x->fd, s->win, n * x->recsize, s->run->off + (uint64_t)i * x->recsize);
}

/* Record i of the source's run (the window is moved to it if needed), or
 * NULL with *err set. */
static const unsigned char *src_rec(const struct xsort *x, struct xsort_src *s, size_t i, int *err)
{
    if (s->run->recs)
        return s->run->recs[i];
    if (i < s->wpos || i >= s->wpos + s->wn) {
        int rc = src_fill(x, s, i);

        if (rc) {
            *err = rc;
            return NULL;
        }
    }
    return s->win + (i - s->wpos) * x->recsize;
}

/* The first record of the run not below from: a binary search, one record
 * read per step on disk. */
static int src_seek(const struct xsort *x, struct xsort_src *s, const void *from)
{
    size_t lo = 0, hi = s->run->n;
    unsigned char *one = NULL;
    int rc = 0;

    if (!from) {
        s->pos = 0;
        return 0;
    }
    if (!s->run->recs)
        one = xmalloc(x->recsize);
    while (lo < hi && !rc) {
        size_t mid = lo + (hi - lo) / 2;
        const void *r;

        if (s->run->recs) {
            r = s->run->recs[mid];
        } else {
            rc = read_all(x->fd, one, x->recsize, s->run->off + (uint64_t)mid * x->recsize);
            r = one;
        }
        if (!rc && x->cmp(r, from, x->arg) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    free(one);
    s->pos = lo;
    return rc;
}

/* Heap order: the smaller next record, then the earlier run. */
static int heap_less(struct xsort_cur *cu, size_t a, size_t b)
{
    const struct xsort *x = cu->x;
    struct xsort_src *sa = &cu->src[a], *sb = &cu->src[b];
    const unsigned char *ra = src_rec(x, sa, sa->pos, &cu->err);
    const unsigned char *rb = src_rec(x, sb, sb->pos, &cu->err);
    int c;

    if (!ra || !rb)
        return 0;
    c = x->cmp(ra, rb, x->arg);
    return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct xsort_cur *cu, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i, t;

        if (l < cu->nheap && heap_less(cu, cu->heap[l], cu->heap[m]))
            m = l;
        if (r < cu->nheap && heap_less(cu, cu->heap[r], cu->heap[m]))
            m = r;
        if (m == i)
            return;
        t = cu->heap[i];
        cu->heap[i] = cu->heap[m];
        cu->heap[m] = t;
        i = m;
    }
}

int xsort_cur_open(struct xsort_cur *cu, const struct xsort *x, const void *from)
{
    int rc = 0;

    memset(cu, 0, sizeof(*cu));
    cu->x = x;
    cu->top = SIZE_MAX;
    cu->src = xcalloc(x->nruns ? x->nruns : 1, sizeof(*cu->src));
    cu->heap = xcalloc(x->nruns ? x->nruns : 1, sizeof(*cu->heap));
    for (size_t i = 0; i < x->nruns && !rc; i++) {
        struct xsort_src *s = &cu->src[i];

        s->run = &x->runs[i];
        if (!s->run->recs) {
            s->wcap = XSORT_WINDOW / x->recsize;
            if (!s->wcap)
                s->wcap = 1;
            s->win = xmalloc(s->wcap * x->recsize);
        }
        rc = src_seek(x, s, from);
        if (!rc && s->pos < s->run->n)
            cu->heap[cu->nheap++] = i;
    }
    for (size_t i = cu->nheap; i-- > 0 && !rc;)
        sift_down(cu, i);
    if (!rc)
        rc = cu->err;
    cu->err = rc;
    return rc;
}

const void *xsort_cur_next(struct xsort_cur *cu)
{
    struct xsort_src *s;

    if (cu->err)
        return NULL;
    /* Advance past the record returned last, now that the caller is done
     * with it (it may sit in the window a refill would overwrite). */
    if (cu->top != SIZE_MAX) {
        s = &cu->src[cu->top];
        cu->top = SIZE_MAX;
        if (++s->pos >= s->run->n)
            cu->heap[0] = cu->heap[--cu->nheap];
        if (cu->nheap)
            sift_down(cu, 0);
        if (cu->err)
            return NULL;
    }
    if (!cu->nheap)
        return NULL;
    cu->top = cu->heap[0];
    s = &cu->src[cu->top];
    return src_rec(cu->x, s, s->pos, &cu->err);
}

void xsort_cur_close(struct xsort_cur *cu)
{
    if (cu->src)
        for (size_t i = 0; i < cu->x->nruns; i++)
            free(cu->src[i].win);
    free(cu->src);
    free(cu->heap);
    memset(cu, 0, sizeof(*cu));
}
