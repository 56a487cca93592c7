/*
 * pseudo.c: keyed pseudonyms of addresses (pseudo.h).
 *
 * The tables hash addresses with a seed taken from the key, so a sender
 * choosing source addresses (a capture sees whatever the network sends)
 * cannot aim them at one chain; the seed is as secret as the key.
 */
#include "common/pseudo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/xmalloc.h"
#include "common/hash.h"
#include "common/polnets.h"
#include "common/util.h"
#include "common/compat.h"

/* RFC 5737 TEST-NET-1, -2, -3: 3 x 256 addresses. */
static const uint8_t ps_testnets[3][3] = {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}};
#define PS_TESTNET_SIZE 768u
#define PS_TABLE_MIN    1024u

static uint64_t ps_load64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t ps_hash(uint64_t seed, const struct ipaddr *a)
{
    return hash_bytes(a->a, sizeof(a->a), seed ^ a->family);
}

/* Grow a wiped array: the old block held addresses, so it is wiped before
 * it is freed (realloc would free it as it is). */
static void *ps_grow(void *v, size_t n, size_t *alloc, size_t size)
{
    void *nv;

    if (n < *alloc)
        return v;
    nv = xreallocarray(NULL, *alloc ? *alloc * 2 : PS_TABLE_MIN, size);
    if (v) {
        memcpy(nv, v, n * size);
        explicit_bzero(v, *alloc * size);
        free(v);
    }
    *alloc = *alloc ? *alloc * 2 : PS_TABLE_MIN;
    return nv;
}

static int ps_set_has(const struct pseudo_set *s, uint64_t seed, const struct ipaddr *a)
{
    struct htab_iter it;

    for (uint32_t i = htab_first(&s->idx, ps_hash(seed, a), &it); i != HTAB_NONE;
         i = htab_next(&s->idx, &it))
        if (ipaddr_cmp(&s->v[i], a) == 0)
            return 1;
    return 0;
}

static void ps_set_add(struct pseudo_set *s, uint64_t seed, const struct ipaddr *a)
{
    if (ps_set_has(s, seed, a))
        return;
    s->v = ps_grow(s->v, s->n, &s->alloc, sizeof(*s->v));
    s->v[s->n] = *a;
    htab_add(&s->idx, ps_hash(seed, a), (uint32_t)s->n);
    s->n++;
}

static void ps_set_release(struct pseudo_set *s)
{
    if (s->v)
        explicit_bzero(s->v, s->alloc * sizeof(*s->v));
    free(s->v);
    htab_release(&s->idx);
}

/* The memo's entry for a, or NULL. */
static struct pseudo_pair *ps_memo_find(const struct pseudo *p, const struct ipaddr *a)
{
    struct htab_iter it;

    for (uint32_t i = htab_first(&p->memo_idx, ps_hash(p->seed, a), &it); i != HTAB_NONE;
         i = htab_next(&p->memo_idx, &it))
        if (ipaddr_cmp(&p->memo[i].from, a) == 0)
            return &p->memo[i];
    return NULL;
}

static void ps_overflow_addr(int family, struct ipaddr *out)
{
    const char *t = family == 4 ? PSEUDO_OVERFLOW_V4 : PSEUDO_OVERFLOW_V6;

    if (ipaddr_parse(t, strlen(t), out) != 0)
        abort(); /* constant text */
}

void pseudo_init(struct pseudo *p, const uint8_t key[PSEUDO_KEY_LEN], size_t limit)
{
    uint8_t mac[SHA256_LEN];
    struct ipaddr o;

    memset(p, 0, sizeof(*p));
    htab_init(&p->used.idx);
    htab_init(&p->internal.idx);
    htab_init(&p->memo_idx);
    memcpy(p->key, key, PSEUDO_KEY_LEN);
    /* The seed is a MAC too, so it says nothing about the key. */
    hmac_sha256(p->key, sizeof(p->key), "podflow table seed", 18, mac);
    p->seed = ps_load64(mac);
    explicit_bzero(mac, sizeof(mac));
    p->limit = limit;
    ps_overflow_addr(4, &o);
    ps_set_add(&p->used, p->seed, &o);
    ps_overflow_addr(6, &o);
    ps_set_add(&p->used, p->seed, &o);
}

int pseudo_init_random(struct pseudo *p, size_t limit)
{
    uint8_t key[PSEUDO_KEY_LEN];
    int rc = 0;

    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
        rc = errno ? -errno : -EIO;
    else
        pseudo_init(p, key, limit);
    explicit_bzero(key, sizeof(key));
    if (rc)
        memset(p, 0, sizeof(*p));
    return rc;
}

void pseudo_release(struct pseudo *p)
{
    /* The memo and the sets hold original addresses: wiped, not just
     * freed.  Their indexes hold keyed hashes and array indexes only. */
    if (p->memo)
        explicit_bzero(p->memo, p->memo_alloc * sizeof(*p->memo));
    free(p->memo);
    htab_release(&p->memo_idx);
    ps_set_release(&p->used);
    ps_set_release(&p->internal);
    free(p->keep_targets);
    explicit_bzero(p, sizeof(*p));
}

int pseudo_is_special(const struct ipaddr *a)
{
    static const uint8_t zero[16];

    if (a->family == 4)
        return a->a[0] == 0 || a->a[0] == 127 ||     /* this network, loopback */
               (a->a[0] == 169 && a->a[1] == 254) || /* link-local */
               (a->a[0] >= 224 && a->a[0] < 240) ||  /* multicast */
               (a->a[0] == 255 && a->a[1] == 255 && a->a[2] == 255 && a->a[3] == 255);
    return memcmp(a->a, zero, 16) == 0 ||                    /* :: */
           (memcmp(a->a, zero, 15) == 0 && a->a[15] == 1) || /* ::1 */
           a->a[0] == 0xff ||                                /* multicast */
           (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80);    /* fe80::/10 */
}

void pseudo_add_internal(struct pseudo *p, const struct ipaddr *a)
{
    if (a->family != 4 && a->family != 6)
        return;
    ps_set_add(&p->internal, p->seed, a);
    ps_set_add(&p->used, p->seed, a);
}

int pseudo_is_internal(const struct pseudo *p, const struct ipaddr *a)
{
    return ps_set_has(&p->internal, p->seed, a);
}

/* The pseudonym ranges (pseudo.h), to find the kept CIDRs that meet them. */
static const char *const ps_ranges[] = {"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                        "240.0.0.0/4", "2001:db8::/32"};

int pseudo_in_ranges(const struct ipaddr *a)
{
    if (pseudo_is_special(a))
        return 0;
    for (size_t r = 0; r < sizeof(ps_ranges) / sizeof(ps_ranges[0]); r++) {
        struct cidr range;

        if (cidr_parse(ps_ranges[r], strlen(ps_ranges[r]), &range, NULL) != 0)
            abort(); /* constant text */
        if (cidr_contains(&range, a))
            return 1;
    }
    return 0;
}

static int ps_cidrs_meet(const struct cidr *a, const struct cidr *b)
{
    return a->plen <= b->plen ? cidr_contains(a, &b->addr) : cidr_contains(b, &a->addr);
}

void pseudo_keep(struct pseudo *p, const struct polnets *keep)
{
    const struct cidr *v = keep ? keep->v : NULL;
    size_t n = keep ? keep->n : 0;

    free(p->keep_targets);
    p->keep = n ? keep : NULL;
    p->keep_targets = NULL;
    p->nkeep_targets = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < sizeof(ps_ranges) / sizeof(ps_ranges[0]); r++) {
            struct cidr range;

            if (cidr_parse(ps_ranges[r], strlen(ps_ranges[r]), &range, NULL) != 0)
                abort(); /* constant text */
            if (ps_cidrs_meet(&v[i], &range)) {
                p->keep_targets =
                    xreallocarray(p->keep_targets, p->nkeep_targets + 1, sizeof(*p->keep_targets));
                p->keep_targets[p->nkeep_targets++] = v[i];
                break;
            }
        }
    }
}

/* 1 when a pseudonym candidate is taken: given already, internal, or
 * inside a kept CIDR. */
static int ps_taken(const struct pseudo *p, const struct ipaddr *a)
{
    if (ps_set_has(&p->used, p->seed, a))
        return 1;
    for (size_t i = 0; i < p->nkeep_targets; i++)
        if (cidr_contains(&p->keep_targets[i], a))
            return 1;
    return 0;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void ps_v4(struct ipaddr *out, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    ipaddr_from_v4(out, b);
}

void pseudo_derive(struct pseudo *p, int family, const uint8_t *bytes, size_t n, struct ipaddr *out)
{
    uint8_t msg[1 + 256], mac[SHA256_LEN];
    int found = 0;

    if (n > sizeof(msg) - 1)
        n = sizeof(msg) - 1;
    msg[0] = (uint8_t)family;
    memcpy(msg + 1, bytes, n);
    hmac_sha256(p->key, sizeof(p->key), msg, n + 1, mac);
    explicit_bzero(msg, sizeof(msg));
    if (family == 4 && p->v4_testnet < PS_TESTNET_SIZE) {
        uint32_t slot = be32(mac) % PS_TESTNET_SIZE;

        /* Internal addresses may fill TEST-NET too (a lab using it): after
         * one round the address goes to 240.0.0.0/4 below. */
        for (unsigned tries = 0; !found && tries < PS_TESTNET_SIZE; tries++) {
            uint8_t b[4] = {ps_testnets[slot / 256][0], ps_testnets[slot / 256][1],
                            ps_testnets[slot / 256][2], (uint8_t)(slot % 256)};

            ipaddr_from_v4(out, b);
            found = !ps_taken(p, out);
            slot = (slot + 1) % PS_TESTNET_SIZE;
        }
        p->v4_testnet = found ? p->v4_testnet + 1 : PS_TESTNET_SIZE;
    }
    if (found) {
        /* given from TEST-NET */
    } else if (family == 4) {
        /* 240.0.0.0/4 less 255.255.255.255 (broadcast, kept as itself;
         * the overflow pseudonym is in used from the start).  An
         * internal address there would only be skipped: 2^28 - 2 free. */
        uint32_t v = be32(mac + 4) & 0x0fffffffu, tries = 0;

        for (;;) {
            ps_v4(out, 0xf0000000u | v);
            if ((0xf0000000u | v) != 0xffffffffu && !ps_taken(p, out))
                break;
            v = (v + 1) & 0x0fffffffu;
            if (++tries == 0x10000000u) { /* every one taken (kept CIDRs) */
                ps_overflow_addr(4, out);
                explicit_bzero(mac, sizeof(mac));
                return;
            }
        }
    } else {
        /* 2001:db8::/32, 96 bits from the MAC (texts that are no address too). */
        uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};

        memcpy(b + 4, mac, 12);
        for (;;) {
            ipaddr_from_v6(out, b);
            if (!ps_taken(p, out))
                break;
            for (int i = 15; i >= 4 && ++b[i] == 0; i--)
                ;
        }
    }
    ps_set_add(&p->used, p->seed, out);
    explicit_bzero(mac, sizeof(mac));
}

int pseudo_addr(struct pseudo *p, const struct ipaddr *a, struct ipaddr *out)
{
    struct pseudo_pair *e;
    struct ipaddr in = *a;

    if ((in.family != 4 && in.family != 6) || pseudo_is_special(&in) ||
        pseudo_is_internal(p, &in)) {
        *out = in;
        return 0;
    }
    e = ps_memo_find(p, &in);
    if (e) {
        *out = e->to;
        return 1;
    }
    /* Inside a kept CIDR: kept, and remembered as internal so that the
     * next time costs one lookup. */
    if (p->keep && polnets_contains(p->keep, &in)) {
        pseudo_add_internal(p, &in);
        *out = in;
        return 0;
    }
    if (p->limit && p->memo_n >= p->limit) {
        p->overflowed = 1;
        ps_overflow_addr(in.family, out);
        return 2;
    }
    p->memo = ps_grow(p->memo, p->memo_n, &p->memo_alloc, sizeof(*p->memo));
    e = &p->memo[p->memo_n];
    e->from = in;
    pseudo_derive(p, in.family, in.a, in.family == 4 ? 4 : 16, &e->to);
    htab_add(&p->memo_idx, ps_hash(p->seed, &in), (uint32_t)p->memo_n);
    p->memo_n++;
    *out = e->to;
    return 1;
}
