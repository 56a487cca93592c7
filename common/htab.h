/*
 * htab.h: the one open-addressing table of both programs: an index from a
 * key's hash to the caller's entry number.
 *
 * The table holds no keys.  The caller keeps its entries in an array of
 * its own (or anything numbered) and stores in the table, per entry, the
 * key's hash and the entry's number; a lookup returns, one by one, the
 * numbers whose stored hash equals the one asked for, and the caller
 * compares its keys.  So one table serves every key type without
 * callbacks, a slot is 8 bytes (32 bits of hash, 32 of number: eight
 * slots to a cache line), and growing never hashes a key again.
 *
 * Linear probing in a power-of-two array kept at most half full, so an
 * unsuccessful probe is short and always ends on an empty slot; removal
 * shifts the followers back (no tombstones, which would lengthen every
 * chain).  The slot is picked by the hash's low bits: give it a hash
 * whose low bits depend on the whole key (common/hash.h).
 *
 * Use:
 *
 *     struct htab_iter it;
 *     uint64_t h = hash_str(name, 0);
 *
 *     for (uint32_t i = htab_first(&t, h, &it); i != HTAB_NONE; i = htab_next(&t, &it))
 *         if (strcmp(names[i], name) == 0)
 *             return i;
 *     names[n] = name;
 *     htab_add(&t, h, (uint32_t)n);
 *
 * A hot path uses htab_find() instead, with an inline predicate, which
 * compiles into one tight loop; a prefetching pipeline uses htab_home()
 * and htab_peek().
 *
 * A zeroed struct htab is an empty table, as after htab_init(), and
 * allocates nothing.  Out of memory is fatal (xmalloc.h);
 * more than LIM_HTAB_ENTRIES entries is a caller's error (abort).
 */
#ifndef PODFLOW_HTAB_H
#define PODFLOW_HTAB_H

#include <stddef.h>
#include <stdint.h>

/* The number no entry has: an empty slot, the end of a lookup. */
#define HTAB_NONE UINT32_MAX

struct htab_slot {
    uint32_t hash; /* the low 32 bits of the entry's hash */
    uint32_t val;  /* the caller's entry number; HTAB_NONE: empty */
};

struct htab {
    struct htab_slot *slot; /* mask + 1 slots (xmalloc'd, owned), or NULL */
    size_t mask;            /* slots - 1 (slots: a power of two) */
    size_t n;               /* entries held */
};

/* Where a lookup stands (caller's storage, nothing to release). */
struct htab_iter {
    size_t i;      /* the slot probed next */
    uint32_t hash; /* what is looked for */
};

/* An empty table (allocates nothing; the same as zeroing it). */
void htab_init(struct htab *t);

/* Free the slots; t is then as after htab_init(). */
void htab_release(struct htab *t);

/* Make room for n entries in all, so that adding up to n never grows. */
void htab_reserve(struct htab *t, size_t n);

/* The slot a lookup of hash starts at (for __builtin_prefetch); t must
 * hold slots (an entry was added, or htab_reserve()). */
static inline const struct htab_slot *htab_home(const struct htab *t, uint64_t hash)
{
    return &t->slot[(uint32_t)hash & t->mask];
}

/* The next entry number whose stored hash is it->hash, or HTAB_NONE when
 * the chain ends (it is then spent).  The table must not change between
 * htab_first() and the last htab_next(). */
static inline uint32_t htab_next(const struct htab *t, struct htab_iter *it)
{
    for (;;) {
        const struct htab_slot *s = &t->slot[it->i];

        it->i = (it->i + 1) & t->mask;
        if (s->val == HTAB_NONE)
            return HTAB_NONE;
        if (s->hash == it->hash)
            return s->val;
    }
}

/* Start a lookup of hash: the first entry number stored with it, or
 * HTAB_NONE. */
static inline uint32_t htab_first(const struct htab *t, uint64_t hash, struct htab_iter *it)
{
    it->hash = (uint32_t)hash;
    it->i = it->hash & t->mask;
    if (!t->n)
        return HTAB_NONE; /* also when no slots were ever allocated */
    return htab_next(t, it);
}

/* The first entry number stored under hash for which eq(ctx, number) is
 * true, or HTAB_NONE.  For hot paths: with eq a function the compiler can
 * see, the probe loop and eq compile into the caller as one tight loop,
 * which the iterator form above does not always give (the capture's flow
 * lookup: 16 instructions a packet fewer, cachegrind). */
static inline uint32_t htab_find(const struct htab *t, uint64_t hash,
                                 int (*eq)(const void *ctx, uint32_t val), const void *ctx)
{
    uint32_t h = (uint32_t)hash;
    size_t i = h & t->mask;

    if (!t->n)
        return HTAB_NONE;
    for (;;) {
        const struct htab_slot *s = &t->slot[i];

        if (s->val == HTAB_NONE)
            return HTAB_NONE;
        if (s->hash == h && eq(ctx, s->val))
            return s->val;
        i = (i + 1) & t->mask;
    }
}

/* For prefetching: the first entry number stored under hash within the
 * first max slots of its probe, or HTAB_NONE.  A hint only (it may be an
 * entry whose key differs); bounded, so a long run costs no more than max
 * probes. */
static inline uint32_t htab_peek(const struct htab *t, uint64_t hash, unsigned max)
{
    uint32_t h = (uint32_t)hash;
    size_t i = h & t->mask;

    for (unsigned n = 0; n < max && t->n; n++) {
        const struct htab_slot *s = &t->slot[i];

        if (s->val == HTAB_NONE)
            return HTAB_NONE;
        if (s->hash == h)
            return s->val;
        i = (i + 1) & t->mask;
    }
    return HTAB_NONE;
}

/* Add entry number val (not HTAB_NONE) under hash, growing the table when
 * it would be more than half full.  Never looks whether val or an equal
 * key is there already: look first. */
void htab_add(struct htab *t, uint64_t hash, uint32_t val);

/* Remove entry number val stored under hash.  1 when it was there, 0 when
 * not (nothing changes). */
int htab_remove(struct htab *t, uint64_t hash, uint32_t val);

#endif
