/*
 * ydoc_int.h: what the unit tests see of ydoc.c.  The loader takes its
 * limits from a struct so that tests can exercise each limit with small
 * values; the public ystream_load_*() pass the ones in common/limits.h.
 */
#ifndef PODFLOW_YDOC_INT_H
#define PODFLOW_YDOC_INT_H

#include <stddef.h>

#include "common/ydoc.h"

struct ylimits {
    unsigned depth; /* collections open at once (LIM_YAML_DEPTH) */
    size_t scalar;  /* bytes in one scalar (LIM_YAML_SCALAR) */
    size_t file;    /* bytes in the whole input (LIM_YAML_FILE) */
    size_t nodes;   /* nodes in the whole stream (LIM_YAML_NODES) */
};

#ifdef PODFLOW_TEST
int ystream_load_file_lim(struct ystream *ys, const char *path, const struct ylimits *lim,
                          struct diag *d);
int ystream_load_mem_lim(struct ystream *ys, const char *name, const char *data, size_t len,
                         const struct ylimits *lim, struct diag *d);
int ystream_each_mem_lim(const char *name, const char *data, size_t len, const struct ylimits *lim,
                         ystream_each_fn fn, void *ctx, struct diag *d);
#endif

#endif
