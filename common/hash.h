/*
 * hash.h: the one hash function of both programs.
 *
 * Its step is hash_mum() (wyhash's "mum"): the 128-bit product of two
 * 64-bit words folded to 64 bits by xoring its halves, one multiply that
 * mixes every bit of both words into every bit of the result, the low
 * bits that pick a table slot included.  hash_bytes() takes a byte string
 * 16 bytes at a time, each pair of words xored with the seed's constants
 * and multiplied, the running value chained through the second word; the
 * last 1 to 16 bytes are zero-padded, and a last mum with the length
 * keeps strings that differ only by trailing zeros apart.  It is inline so
 * that a key of constant size (a struct) compiles to straight-line code:
 * hashing a 56-byte key is four multiplies.
 *
 * A seed chosen at run time (pseudo.c takes it from its key) keeps a sender
 * who picks the input from aiming it at one probe chain, or at the inputs
 * that zero a multiply; tables fed only by the case or the kernel pass 0.
 * Several fields are hashed by passing one hash as the next one's seed.
 * hash_u64() hashes one word with MurmurHash3's fmix64, a bijection.
 *
 * The value depends on the machine's byte order and may change between
 * versions: tables use it, nothing stores it.  The capture's flow table
 * hashes its 42-byte key with the same step from the words it holds in
 * registers, under seed words of its own (capture/flow_table.c says why).
 */
#ifndef PODFLOW_HASH_H
#define PODFLOW_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* wyhash's constants (odd, half their bits set). */
#define HASH_K0 0xa0761d6478bd642fULL
#define HASH_K1 0xe7037ed1a0b428dbULL
#define HASH_K2 0x8ebc6af09c88c6e3ULL

/* The 128-bit product of x and y, its halves xored. */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 hash_u128;

static inline uint64_t hash_mum(uint64_t x, uint64_t y)
{
    hash_u128 r = (hash_u128)x * y;

    return (uint64_t)r ^ (uint64_t)(r >> 64);
}
#else
/* No 128-bit integers (32-bit targets): the same fold from four 32-bit
 * partial products. */
static inline uint64_t hash_mum(uint64_t x, uint64_t y)
{
    uint64_t xl = (uint32_t)x, xh = x >> 32, yl = (uint32_t)y, yh = y >> 32;
    uint64_t ll = xl * yl, lh = xl * yh, hl = xh * yl, hh = xh * yh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    uint64_t lo = (mid << 32) | (uint32_t)ll;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);

    return lo ^ hi;
}
#endif

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
static inline uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t s = seed ^ HASH_K0, h = seed ^ HASH_K1, a, c;
    size_t left = n;

    for (; left > 16; left -= 16, b += 16) {
        memcpy(&a, b, 8);
        memcpy(&c, b + 8, 8);
        h = hash_mum(a ^ s, c ^ h);
    }
    a = c = 0;
    if (left > 8) {
        memcpy(&a, b, 8);
        memcpy(&c, b + 8, left - 8);
    } else if (left) {
        memcpy(&a, b, left);
    }
    h = hash_mum(a ^ s, c ^ h);
    return hash_mum(h ^ HASH_K2, (uint64_t)n ^ HASH_K0);
}

/* The hash of the NUL-terminated string s under seed (its bytes, not the
 * NUL: chain calls for several strings, the length keeps them apart). */
static inline uint64_t hash_str(const char *s, uint64_t seed)
{
    return hash_bytes(s, strlen(s), seed);
}

/* The hash of one word under seed: cheaper than hash_bytes() of its 8
 * bytes (and not equal to it). */
static inline uint64_t hash_u64(uint64_t x, uint64_t seed)
{
    return hash_fmix64((x ^ seed) * 0xc6a4a7935bd1e995ULL + 8);
}

#endif
