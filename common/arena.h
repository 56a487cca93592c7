/*
 * arena.h: a bump allocator freed in one call (after git's mem-pool).
 * Policy trees, selector ASTs and YAML documents live in arenas; so does
 * per-packet scratch memory, reset after each packet.
 */
#ifndef PODFLOW_ARENA_H
#define PODFLOW_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* most recent block, malloc'd, owned */
    size_t block_size;        /* size of a new block */
    size_t used;              /* bytes handed out since init/reset (for limits and tests) */
};

/* Set up caller-owned a; block_size 0 means 64 KiB. */
void arena_init(struct arena *a, size_t block_size);
/* Free every block. */
void arena_release(struct arena *a);
/* Forget every allocation but keep the first block for reuse. */
void arena_reset(struct arena *a);

/* size bytes aligned for any type; never NULL (out of memory aborts). */
void *arena_alloc(struct arena *a, size_t size);
/* Zeroed nmemb * size bytes; aborts on overflow. */
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);
/* Copies, NUL-terminated. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_memdupz(struct arena *a, const void *s, size_t len);

#endif
