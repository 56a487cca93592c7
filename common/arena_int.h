/*
 * arena_int.h: arena internals reachable from unit tests only.
 */
#ifndef PODFLOW_ARENA_INT_H
#define PODFLOW_ARENA_INT_H

#ifdef PODFLOW_TEST
#include <stddef.h>

struct arena;

/* Blocks held by a; *total gets the sum of their usable sizes. */
size_t arena_blocks(const struct arena *a, size_t *total);
#endif

#endif
