/*
 * htab.c: the open-addressing index (htab.h says what and why).
 *
 * Invariants: the slot count is a power of two; at most half the slots
 * are full, so every probe meets an empty slot; an entry sits at its home
 * slot (hash & mask) or after it with no empty slot between.
 */
#include "common/htab.h"

#include <stdint.h>
#include <stdlib.h>

#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define HTAB_MIN_SLOTS 16

void htab_init(struct htab *t)
{
    t->slot = NULL;
    t->mask = 0;
    t->n = 0;
}

void htab_release(struct htab *t)
{
    free(t->slot);
    htab_init(t);
}

static void htab_put(struct htab *t, uint32_t hash, uint32_t val)
{
    size_t i = hash & t->mask;

    while (t->slot[i].val != HTAB_NONE)
        i = (i + 1) & t->mask;
    t->slot[i].hash = hash;
    t->slot[i].val = val;
}

/* Move the entries into nslots slots (a power of two, more than twice n). */
static void htab_rehash(struct htab *t, size_t nslots)
{
    struct htab_slot *old = t->slot;
    size_t oldn = t->slot ? t->mask + 1 : 0;

    t->slot = xreallocarray(NULL, nslots, sizeof(*t->slot));
    xadvise_hugepages(t->slot, nslots * sizeof(*t->slot)); /* 16 MB at 1M entries */
    for (size_t i = 0; i < nslots; i++)
        t->slot[i].val = HTAB_NONE;
    t->mask = nslots - 1;
    for (size_t i = 0; i < oldn; i++)
        if (old[i].val != HTAB_NONE)
            htab_put(t, old[i].hash, old[i].val);
    free(old);
}

void htab_reserve(struct htab *t, size_t n)
{
    size_t nslots = HTAB_MIN_SLOTS;

    if (n > LIM_HTAB_ENTRIES || n > SIZE_MAX / 4)
        abort();
    while (nslots < 2 * n)
        nslots *= 2;
    if (!t->slot || nslots > t->mask + 1)
        htab_rehash(t, nslots);
}

void htab_add(struct htab *t, uint64_t hash, uint32_t val)
{
    if (!t->slot)
        htab_reserve(t, 1);
    else if ((t->n + 1) * 2 > t->mask + 1)
        htab_reserve(t, t->mask + 1); /* twice the slots */
    htab_put(t, (uint32_t)hash, val);
    t->n++;
}

int htab_remove(struct htab *t, uint64_t hash, uint32_t val)
{
    size_t mask = t->mask, i = (uint32_t)hash & mask, j;

    if (!t->n)
        return 0;
    for (;; i = (i + 1) & mask) {
        if (t->slot[i].val == HTAB_NONE)
            return 0;
        if (t->slot[i].val == val && t->slot[i].hash == (uint32_t)hash)
            break;
    }
    /* Linear probing's backward shift: fill the hole with the next entry
     * of the run whose home does not lie cyclically in (hole, j]. */
    for (j = i;;) {
        size_t home;

        j = (j + 1) & mask;
        if (t->slot[j].val == HTAB_NONE)
            break;
        home = t->slot[j].hash & mask;
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        t->slot[i] = t->slot[j];
        i = j;
    }
    t->slot[i].val = HTAB_NONE;
    t->n--;
    return 1;
}
