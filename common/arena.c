/*
 * arena.c: bump allocation in chained blocks.  Large requests get a block
 * of their own so that the common block size stays small.
 */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena_int.h"
#include "common/xmalloc.h"
#include "common/compat.h"

struct arena_block {
    struct arena_block *next; /* older block */
    size_t size;              /* usable bytes in data[] */
    size_t used;              /* bytes handed out from data[] */
    max_align_t data[];       /* storage, aligned for any type */
};

#define ARENA_ALIGN (sizeof(max_align_t))

void arena_init(struct arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used = 0;
}

void arena_release(struct arena *a)
{
    struct arena_block *b = a->head;

    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}

void arena_reset(struct arena *a)
{
    struct arena_block *b = a->head;
    struct arena_block *keep = NULL;

    /* Keep one block of the normal size for reuse.  Not simply the last in
     * the chain: big requests get blocks of their own linked behind the
     * current one, so the chain is not in allocation order and its tail may
     * be an oversized block that would otherwise be held forever. */
    while (b) {
        struct arena_block *next = b->next;
        if (!keep && b->size == a->block_size) {
            keep = b;
        } else {
            free(b);
        }
        b = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
    a->used = 0;
}

static struct arena_block *block_new(size_t size)
{
    struct arena_block *b;

    if (size > SIZE_MAX - sizeof(*b))
        size = SIZE_MAX - sizeof(*b); /* xmalloc will abort */
    b = xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *arena_alloc(struct arena *a, size_t size)
{
    struct arena_block *b = a->head;
    size_t need;
    void *p;

    if (size > SIZE_MAX - ARENA_ALIGN)
        size = SIZE_MAX - ARENA_ALIGN;
    need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (!need)
        need = ARENA_ALIGN;
    if (!b || b->size - b->used < need) {
        if (need > a->block_size / 4) {
            /* A big request: own block, linked behind the current one so the
             * current block keeps serving small requests. */
            struct arena_block *big = block_new(need);
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                a->head = big;
            }
            big->used = need;
            a->used += need;
            return big->data;
        }
        b = block_new(a->block_size);
        b->next = a->head;
        a->head = b;
    }
    p = (char *)b->data + b->used;
    b->used += need;
    a->used += need;
    return p;
}

void *arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
    void *p;

    if (size && nmemb > SIZE_MAX / size)
        return xmalloc(SIZE_MAX); /* aborts with the size */
    p = arena_alloc(a, nmemb * size);
    memset(p, 0, nmemb * size);
    return p;
}

char *arena_memdupz(struct arena *a, const void *s, size_t len)
{
    char *p;

    if (len == SIZE_MAX)
        return xmalloc(SIZE_MAX); /* len + 1 would wrap to 0; aborts */
    p = arena_alloc(a, len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_memdupz(a, s, strlen(s));
}

#ifdef PODFLOW_TEST
size_t arena_blocks(const struct arena *a, size_t *total)
{
    size_t n = 0;

    *total = 0;
    for (const struct arena_block *b = a->head; b; b = b->next) {
        n++;
        *total += b->size;
    }
    return n;
}
#endif
