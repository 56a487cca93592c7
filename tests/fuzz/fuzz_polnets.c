/*
 * fuzz_polnets.c: libFuzzer target for the extractor of the CIDRs policy
 * files name (common/polnets.c over ydoc: --keep-policy-nets of redact and
 * of the capture), and for what is done with them: the range index, the
 * text a case records (meta.redaction_kept), the intersection of two
 * redactions' lists, and the pseudonyms' keeping (common/pseudo.c).
 *
 * For any input polnets_load_mem() returns 0, ERR_PARSE or ERR_LIMIT (a
 * message on failure); whatever it kept is a CIDR no wider than the
 * limits allow, found by the index as by a plain scan (its first address,
 * the one before it and the one past its last), written and read back to
 * the same list, its own intersection, and never given a pseudonym.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "common/buf.h"
#include "common/limits.h"
#include "common/polnets.h"
#include "common/pseudo.h"
#include "common/compat.h"

static const uint8_t key[PSEUDO_KEY_LEN] = {7};

/* The address n steps (-1 or +1) from a, in its family; 0 when it wraps. */
static int step(const struct ipaddr *a, int n, struct ipaddr *out)
{
    int last = a->family == 4 ? 3 : 15;

    *out = *a;
    for (int i = last; i >= 0; i--) {
        if (n > 0 && out->a[i]++ != 0xff)
            return 1;
        if (n < 0 && out->a[i]-- != 0)
            return 1;
    }
    return 0;
}

/* The last address of c. */
static void last_of(const struct cidr *c, struct ipaddr *out)
{
    unsigned bits = c->addr.family == 4 ? 32 : 128;

    *out = c->addr;
    for (unsigned b = c->plen; b < bits; b++)
        out->a[b / 8] |= (uint8_t)(0x80u >> (b % 8));
}

/* The index and the plain scan (scan: the same CIDRs, not indexed) agree on a. */
static void same_answer(const struct polnets *pn, const struct polnets *scan,
                        const struct ipaddr *a)
{
    if (polnets_contains(pn, a) != polnets_contains(scan, a))
        fuzz_fail("fuzz_polnets", "the index and the scan disagree on an address");
}

static char *text_of(const struct polnets *pn)
{
    struct buf b;

    buf_init(&b, 0);
    if (polnets_text(pn, &b) || buf_addch(&b, 0))
        fuzz_fail("fuzz_polnets", "the kept CIDRs' text does not build");
    return b.data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct polnets pn, scan, back, both;
    struct pseudo ps;
    struct diag d;
    char *t, *t2;
    int rc;

    fuzz_diag(&d);
    polnets_init(&pn);
    rc = polnets_load_mem(&pn, "fuzz.yaml", (const char *)data, size, &d);
    if (rc && rc != ERR_PARSE && rc != ERR_LIMIT)
        fuzz_fail("fuzz_polnets", "unexpected error code");
    if (rc && d.errors == 0)
        fuzz_fail("fuzz_polnets", "failed without a message");
    if (pn.n > LIM_KEEP_NETS)
        fuzz_fail("fuzz_polnets", "more CIDRs than LIM_KEEP_NETS");
    if (pn.n && !pn.r)
        fuzz_fail("fuzz_polnets", "not indexed after loading");
    /* The same CIDRs without the index: the oracle. */
    polnets_init(&scan);
    if (pn.n) {
        scan.v = malloc(pn.n * sizeof(*scan.v));
        if (!scan.v)
            abort();
        memcpy(scan.v, pn.v, pn.n * sizeof(*scan.v));
        scan.n = scan.alloc = pn.n;
    }
    pseudo_init(&ps, key, 0);
    pseudo_keep(&ps, &pn);
    for (size_t i = 0; i < pn.n; i++) {
        const struct cidr *c = &pn.v[i];
        struct ipaddr a, out;
        int min = c->addr.family == 4 ? LIM_KEEP_NET_MIN_PLEN4 : LIM_KEEP_NET_MIN_PLEN6;

        if ((c->addr.family != 4 && c->addr.family != 6) || c->plen < min ||
            c->plen > (c->addr.family == 4 ? 32 : 128))
            fuzz_fail("fuzz_polnets", "a CIDR kept that is no CIDR, or too wide");
        if (!polnets_contains(&pn, &c->addr) || !polnets_covers(&pn, c))
            fuzz_fail("fuzz_polnets", "a kept CIDR is not found");
        if (polnets_covers(&pn, c) != polnets_covers(&scan, c))
            fuzz_fail("fuzz_polnets", "the index and the scan disagree on a CIDR");
        if (step(&c->addr, -1, &a))
            same_answer(&pn, &scan, &a);
        last_of(c, &a);
        same_answer(&pn, &scan, &a);
        if (step(&a, 1, &a))
            same_answer(&pn, &scan, &a);
        /* Kept as it is, never a pseudonym. */
        if (pseudo_addr(&ps, &c->addr, &out) != 0 || ipaddr_cmp(&out, &c->addr) != 0)
            fuzz_fail("fuzz_polnets", "an address inside a kept CIDR was given a pseudonym");
    }
    pseudo_release(&ps);
    /* What a case records reads back as the same list (meta.redaction_kept). */
    t = text_of(&pn);
    polnets_init(&back);
    if (polnets_add_list(&back, t, "meta.redaction_kept"))
        fuzz_fail("fuzz_polnets", "the recorded list does not read back");
    t2 = text_of(&back);
    if (strcmp(t, t2) != 0)
        fuzz_fail("fuzz_polnets", "the recorded list reads back otherwise");
    free(t2);
    /* Two redactions that kept the same: they keep all of it together. */
    if (polnets_intersect(&pn, &back, &both))
        fuzz_fail("fuzz_polnets", "the intersection failed");
    for (size_t i = 0; i < pn.n; i++)
        if (!polnets_covers(&both, &pn.v[i]))
            fuzz_fail("fuzz_polnets", "the intersection with itself lost a CIDR");
    for (size_t i = 0; i < both.n; i++)
        if (!polnets_covers(&pn, &both.v[i]))
            fuzz_fail("fuzz_polnets", "the intersection holds a CIDR not kept");
    polnets_release(&both);
    free(t);
    polnets_release(&back);
    polnets_release(&scan);
    polnets_release(&pn);
    return 0;
}
