/*
 * xmalloc.h: allocation that cannot fail.  Out of memory is fatal: these
 * print the size asked for and abort (after Redis' zmalloc).  Every size
 * that comes from input is checked against common/limits.h before it gets
 * here; the multiplying forms also check for overflow.
 */
#ifndef PODFLOW_XMALLOC_H
#define PODFLOW_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* realloc to nmemb * size, aborting on overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* Copy of s[0..len) plus a NUL. */
char *xmemdupz(const void *s, size_t len);

/* Ask for transparent huge pages over the whole 2 MB pages inside
 * p[0..len): a table of many megabytes probed at random would otherwise
 * miss the TLB on nearly every probe.  Advice only: failure changes
 * nothing. */
void xadvise_hugepages(void *p, size_t len);

/* Grow array p (of *alloc elements) to hold at least n elements. */
#define ALLOC_GROW(p, n, alloc)                                                                    \
    do {                                                                                           \
        if ((n) > (alloc)) {                                                                       \
            size_t alloc_grow_n_ = (alloc) < 8 ? 8 : (alloc)*2;                                    \
            if (alloc_grow_n_ < (n))                                                               \
                alloc_grow_n_ = (n);                                                               \
            (p) = xreallocarray((p), alloc_grow_n_, sizeof(*(p)));                                 \
            (alloc) = alloc_grow_n_;                                                               \
        }                                                                                          \
    } while (0)

#endif
