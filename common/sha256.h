/*
 * sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for keyed
 * pseudonyms of addresses (podflow-analyze redact).  Small and
 * dependency-free: neither program links a crypto library, and this is the
 * only digest either needs.  Not for secrets at rest: nothing here is
 * constant-time beyond what the algorithm is by nature.
 */
#ifndef PODFLOW_SHA256_H
#define PODFLOW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN   32
#define SHA256_BLOCK 64

struct sha256 {
    uint32_t h[8];             /* chaining state */
    uint64_t len;              /* bytes hashed so far */
    uint8_t buf[SHA256_BLOCK]; /* partial block */
    size_t nbuf;               /* bytes in buf */
};

/* Start, feed data[0..len), and write the digest into out (the state is
 * then spent: sha256_init() again to reuse it). */
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);

/* HMAC-SHA256 of msg[0..len) under key[0..klen) into out. */
void hmac_sha256(const uint8_t *key, size_t klen, const void *msg, size_t len,
                 uint8_t out[SHA256_LEN]);

#endif
