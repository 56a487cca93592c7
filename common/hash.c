/*
 * hash.c: hash_bytes() (hash.h says what and why).
 *
 * Each 8-byte word goes through MurmurHash64A's mix (Austin Appleby,
 * public domain: multiply by m, fold the top bits down, multiply again)
 * into the running value, which is then multiplied by m; the tail (fewer
 * than 8 bytes) is one zero-padded word.  The length enters the starting
 * value, so padding cannot make two lengths collide.  fmix64 ends it:
 * MurmurHash64A's own ending mixes the low bits, which pick a table's
 * slot, less well.
 */
#include "common/hash.h"

#include <string.h>

#include "common/compat.h"

#define HASH_M 0xc6a4a7935bd1e995ULL
#define HASH_R 47

static inline uint64_t hash_word(uint64_t h, uint64_t w)
{
    w *= HASH_M;
    w ^= w >> HASH_R;
    w *= HASH_M;
    h ^= w;
    h *= HASH_M;
    return h;
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = seed ^ ((uint64_t)n * HASH_M), w;

    for (; n >= 8; n -= 8, b += 8) {
        memcpy(&w, b, 8);
        h = hash_word(h, w);
    }
    if (n) {
        w = 0;
        memcpy(&w, b, n);
        h = hash_word(h, w);
    }
    return hash_fmix64(h);
}

uint64_t hash_str(const char *s, uint64_t seed)
{
    return hash_bytes(s, strlen(s), seed);
}
