/*
 * decode_int.h: the bounds-checked, byte-order-fixing readers every decoder
 * uses (after tcpdump's extract.h and its GET_ macros).
 *
 * A struct dcur is a window [p, p + len) on untrusted bytes.  A read past
 * the window returns 0 and sets the sticky flag bad, so a decoder reads a
 * whole header, then checks bad once; it never reads outside the window and
 * never casts the bytes to a struct (no alignment or padding assumptions).
 */
#ifndef PODFLOW_CAPTURE_DECODE_INT_H
#define PODFLOW_CAPTURE_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/decode.h"

struct dcur {
    const uint8_t *p; /* first byte of the window (borrowed) */
    size_t len;       /* bytes in the window */
    int bad;          /* 1 once any read fell outside the window */
};

static inline struct dcur dcur_make(const uint8_t *p, size_t len)
{
    struct dcur c = {p, len, 0};
    return c;
}

/* 1 when bytes [off, off + n) are inside the window. */
static inline int dcur_has(const struct dcur *c, size_t off, size_t n)
{
    return off <= c->len && n <= c->len - off;
}

static inline uint8_t dcur_u8(struct dcur *c, size_t off)
{
    if (!dcur_has(c, off, 1)) {
        c->bad = 1;
        return 0;
    }
    return c->p[off];
}

/* Big-endian (network order) 16 and 32 bits. */
static inline uint16_t dcur_be16(struct dcur *c, size_t off)
{
    if (!dcur_has(c, off, 2)) {
        c->bad = 1;
        return 0;
    }
    return (uint16_t)((unsigned)c->p[off] << 8 | c->p[off + 1]);
}

static inline uint32_t dcur_be32(struct dcur *c, size_t off)
{
    if (!dcur_has(c, off, 4)) {
        c->bad = 1;
        return 0;
    }
    return (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
           (uint32_t)c->p[off + 2] << 8 | (uint32_t)c->p[off + 3];
}

/* Little-endian 32 bits (DLT_NULL's family written by a little-endian host). */
static inline uint32_t dcur_le32(struct dcur *c, size_t off)
{
    if (!dcur_has(c, off, 4)) {
        c->bad = 1;
        return 0;
    }
    return (uint32_t)c->p[off + 3] << 24 | (uint32_t)c->p[off + 2] << 16 |
           (uint32_t)c->p[off + 1] << 8 | (uint32_t)c->p[off];
}

/* Copy n bytes at off into out (zeroed when outside the window). */
static inline void dcur_copy(struct dcur *c, size_t off, void *out, size_t n)
{
    if (!dcur_has(c, off, n)) {
        c->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, c->p + off, n);
}

/* The window from off to its end (empty and bad when off is past it). */
static inline struct dcur dcur_sub(struct dcur *c, size_t off)
{
    if (off > c->len) {
        c->bad = 1;
        return dcur_make(c->p + c->len, 0);
    }
    return dcur_make(c->p + off, c->len - off);
}

#ifdef PODFLOW_TEST
/* Exposed for tests: decode an IP packet (version from its first nibble). */
enum decode_result decode_ip(struct dcur *c, size_t wire_left, int depth, struct decode_pkt *pkt);
#endif

/* decode_frame() without its fast path (decode_fast_ether()): the
 * bounds-checked decoder alone.  decode_frame() must equal it on every
 * input; test_decode and the fuzz target decode_fast check that. */
enum decode_result decode_frame_full(int dlt, const uint8_t *data, size_t caplen, size_t wirelen,
                                     struct decode_pkt *pkt);

#endif
