/*
 * hash.h: the one hash function of both programs.
 *
 * hash_bytes() hashes a byte string a word at a time (MurmurHash64A's
 * multiply-shift-multiply per word, the length folded in first so a
 * short string padded with zeros differs from a longer one) and ends with
 * MurmurHash3's fmix64, so every input bit reaches every output bit, the
 * low ones that pick a table slot included.  hash_u64() is the same for
 * one word.  Several fields are hashed by passing one hash as the next
 * call's seed.
 *
 * A seed chosen at run time (pseudo.c draws it from its key) keeps a
 * sender who picks the input from aiming it at one probe chain; tables
 * fed only by the case or the kernel pass 0.
 *
 * The value depends on the machine's byte order and may change between
 * versions: tables use it, nothing stores it.  The capture's flow table
 * keeps a hash of its own, seeded and computed from the key words in
 * registers (capture/flow_table.c says why).
 */
#ifndef PODFLOW_HASH_H
#define PODFLOW_HASH_H

#include <stddef.h>
#include <stdint.h>

/* MurmurHash3's fmix64 finaliser: a bijection in which every input bit
 * reaches every output bit. */
static inline uint64_t hash_fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The hash of p[0..n) under seed.  p may be NULL when n is 0. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

/* The hash of the NUL-terminated string s under seed (its bytes, not the
 * NUL: chain calls for several strings, the length keeps them apart). */
uint64_t hash_str(const char *s, uint64_t seed);

/* The hash of one word under seed: cheaper than hash_bytes() of its 8
 * bytes (and not equal to it). */
static inline uint64_t hash_u64(uint64_t x, uint64_t seed)
{
    return hash_fmix64((x ^ seed) * 0xc6a4a7935bd1e995ULL + 8);
}

#endif
