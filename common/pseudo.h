/*
 * pseudo.h: keyed pseudonyms of external addresses, shared by
 * `podflow-analyze redact` (analyze/redact.c, on a finished case) and
 * `podflow-capture --redact-external` (capture/identity.c, before a flow
 * is written); docs/security.md.
 *
 * The pseudonym of an address is HMAC-SHA256(key, family || address bytes)
 * folded into a target range of the same family: IPv4 inside the
 * documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24
 * (RFC 5737), past 768 of them inside 240.0.0.0/4 (reserved, RFC 1112);
 * IPv6 inside 2001:db8::/32 (RFC 3849).  A collision (two addresses, one
 * target, or a target that is an internal address) moves on to the next
 * address of the range, so the mapping is one-to-one among the addresses
 * one context has seen; the order they are met in only decides who moves
 * on.  With a random key that is stored nowhere the pseudonyms cannot be
 * reversed, nor linked across contexts (cases, or capture runs).
 *
 * Internal addresses (pods, nodes, Services: the caller says which) and
 * addresses that identify nobody (pseudo_is_special()) are kept as they
 * are.  Internal addresses only accumulate: an address learnt as internal
 * after it was given a pseudonym is from then on kept, and its earlier
 * pseudonym stays given.
 *
 * Memory: a context remembers each address it replaced (about 100 bytes
 * each).  Past `limit` distinct addresses, every new one gets the
 * family's overflow pseudonym (PSEUDO_OVERFLOW_V4 / _V6, never given
 * otherwise): still no leak, but those addresses no longer tell apart.
 */
#ifndef PODFLOW_PSEUDO_H
#define PODFLOW_PSEUDO_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"
#include "common/htab.h"
#include "common/ipaddr.h"
#include "common/sha256.h"

struct polnets;

#define PSEUDO_KEY_LEN SHA256_LEN

/* The overflow pseudonyms (see above), reserved in every context. */
#define PSEUDO_OVERFLOW_V4 "255.255.255.254"
#define PSEUDO_OVERFLOW_V6 "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"

/* A set of addresses: an array, and an index keyed by their hash. */
struct pseudo_set {
    struct ipaddr *v; /* malloc'd, wiped before it is freed */
    size_t n, alloc;
    struct htab idx; /* keyed hash -> index in v */
};

/* The memo: address -> pseudonym. */
struct pseudo_pair {
    struct ipaddr from, to;
};

struct pseudo {
    uint8_t key[PSEUDO_KEY_LEN]; /* a copy, wiped by pseudo_release() */
    uint64_t seed;               /* of the tables' hash, from the key */
    struct pseudo_set used;      /* internal addresses and pseudonyms given */
    struct pseudo_set internal;
    struct pseudo_pair *memo; /* malloc'd, wiped before it is freed */
    size_t memo_n, memo_alloc;
    struct htab memo_idx;       /* keyed hash of from -> index in memo */
    size_t v4_testnet;          /* TEST-NET addresses given */
    size_t limit;               /* distinct addresses memoised at most; 0: no limit */
    int overflowed;             /* the limit was reached */
    const struct polnets *keep; /* kept CIDRs (borrowed, pseudo_keep()), or NULL */
    struct cidr *keep_targets;  /* those of them that meet a pseudonym range (malloc'd) */
    size_t nkeep_targets;
};

/* Start a context under key (copied), remembering at most limit
 * addresses (0: no limit).  Never fails. */
void pseudo_init(struct pseudo *p, const uint8_t key[PSEUDO_KEY_LEN], size_t limit);

/* The same with a key from getrandom(2), wiped from the stack.  0, or
 * -errno (p is then released). */
int pseudo_init_random(struct pseudo *p, size_t limit) MUST_CHECK;

/* Free the tables and wipe the key and every address p holds; p may be
 * initialised again. */
void pseudo_release(struct pseudo *p);

/* 1 for addresses that identify nobody, kept as they are: unspecified,
 * this-network (0/8), loopback, link-local, multicast, limited
 * broadcast; IPv6 ::, ::1, fe80::/10, ff00::/8. */
int pseudo_is_special(const struct ipaddr *a);

/* 1 when a lies in a range pseudonyms are drawn from (above) and is not
 * special: in a redacted case, such an address without identity and
 * outside the kept CIDRs stands for an address no one can name. */
int pseudo_in_ranges(const struct ipaddr *a);

/* Record a as internal (kept, and never given as a pseudonym).  Idempotent. */
void pseudo_add_internal(struct pseudo *p, const struct ipaddr *a);

/*
 * Keep every address inside keep's CIDRs as it is (the CIDRs the customer's
 * policies name: --keep-policy-nets, --keep-net), and never give a
 * pseudonym inside one, so that a kept CIDR matches exactly the addresses
 * it matched before.  keep (may be NULL: none) is borrowed: it must
 * outlive p, unchanged, and be indexed (polnets_index(): each lookup is
 * then a binary search).  Replaces an earlier list.
 */
void pseudo_keep(struct pseudo *p, const struct polnets *keep);

/* 1 when a was recorded internal. */
int pseudo_is_internal(const struct pseudo *p, const struct ipaddr *a);

/*
 * Replace an address: *out gets a itself when a is internal, special or
 * inside a kept CIDR (returns 0), else a's pseudonym, the same every time within p (returns
 * 1), or, past the limit for an address not met before, the family's
 * overflow pseudonym (returns 2).  out may be a.
 */
int pseudo_addr(struct pseudo *p, const struct ipaddr *a, struct ipaddr *out);

/*
 * A fresh pseudonym for (family, bytes[0..n)), n at most 256, not
 * remembered: for a text that is no address (family 0, the text's bytes;
 * the result is IPv6).  Every call gives a new, unused address, so call it
 * once per distinct input.
 */
void pseudo_derive(struct pseudo *p, int family, const uint8_t *bytes, size_t n,
                   struct ipaddr *out);

#endif
