/*
 * test_pseudo.c: common/pseudo.c: which addresses are kept (special,
 * internal, internal learnt late), the same address and key giving the
 * same pseudonym (in one context and in two), another key others, the
 * mapping one-to-one (past the 768 TEST-NET addresses, and with TEST-NET
 * full of internal addresses), families and ranges, texts that are no
 * address, and the limit's overflow pseudonym.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <string.h>

#include "common/ipaddr.h"
#include "common/polnets.h"
#include "common/pseudo.h"
#include "common/compat.h"

static const uint8_t key1[PSEUDO_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t key2[PSEUDO_KEY_LEN] = {8, 7, 6, 5, 4, 3, 2, 1};

static struct ipaddr ip(const char *t)
{
    struct ipaddr a;

    if (ipaddr_parse(t, strlen(t), &a) != 0)
        fail_msg("bad test address %s", t);
    return a;
}

static struct ipaddr v4n(uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    struct ipaddr a;

    ipaddr_from_v4(&a, b);
    return a;
}

static int in_cidr(const struct ipaddr *a, const char *c)
{
    struct cidr n;

    if (cidr_parse(c, strlen(c), &n, NULL) != 0)
        fail_msg("bad test cidr %s", c);
    return cidr_contains(&n, a);
}

static int in_testnet(const struct ipaddr *a)
{
    return in_cidr(a, "192.0.2.0/24") || in_cidr(a, "198.51.100.0/24") ||
           in_cidr(a, "203.0.113.0/24");
}

static void test_special(void **state)
{
    static const struct {
        const char *ip;
        int special;
    } cases[] = {
        {"127.0.0.1", 1},       /* loopback */
        {"0.0.0.0", 1},         /* unspecified */
        {"169.254.1.1", 1},     /* link-local */
        {"224.0.0.251", 1},     /* multicast (mDNS) */
        {"239.255.255.250", 1}, /* multicast, top */
        {"255.255.255.255", 1}, /* limited broadcast */
        {"::", 1},              /* unspecified */
        {"::1", 1},             /* loopback */
        {"fe80::1", 1},         /* link-local */
        {"febf::1", 1},         /* link-local, top of fe80::/10 */
        {"ff02::1", 1},         /* multicast */
        {"8.8.8.8", 0},         /* a public address */
        {"10.0.0.1", 0},        /* private, not in the inventory: external */
        {"240.0.0.1", 0},       /* reserved but unicast */
        {"fec0::1", 0},         /* past fe80::/10 */
        {"2001:db8::1", 0},     /* documentation, still a peer */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ipaddr a;

        assert_int_equal(ipaddr_parse(cases[i].ip, strlen(cases[i].ip), &a), 0);
        if (pseudo_is_special(&a) != cases[i].special)
            fail_msg("%s: special %d", cases[i].ip, !cases[i].special);
    }
}

static void test_kept(void **state)
{
    struct pseudo p;
    struct ipaddr in = ip("10.1.0.5"), out, late = ip("198.18.7.7");
    (void)state;

    pseudo_init(&p, key1, 0);
    pseudo_add_internal(&p, &in);
    /* internal: itself, returns 0 */
    assert_int_equal(pseudo_addr(&p, &in, &out), 0);
    assert_int_equal(ipaddr_cmp(&in, &out), 0);
    /* special: itself */
    in = ip("ff02::1");
    assert_int_equal(pseudo_addr(&p, &in, &out), 0);
    assert_int_equal(ipaddr_cmp(&in, &out), 0);
    /* external first, internal later: pseudonymised, then kept */
    assert_int_equal(pseudo_addr(&p, &late, &out), 1);
    assert_int_not_equal(ipaddr_cmp(&late, &out), 0);
    pseudo_add_internal(&p, &late);
    assert_int_equal(pseudo_addr(&p, &late, &out), 0);
    assert_int_equal(ipaddr_cmp(&late, &out), 0);
    /* out may be the input */
    in = ip("8.8.8.8");
    assert_int_equal(pseudo_addr(&p, &in, &in), 1);
    assert_true(in_testnet(&in));
    pseudo_release(&p);
}

static void test_same_key_same_output(void **state)
{
    static const char *const addrs[] = {"8.8.8.8", "1.1.1.1", "2606:4700::1111", "10.9.9.9",
                                        "203.0.113.9"};
    struct pseudo a, b, c;
    size_t differ = 0;
    (void)state;

    pseudo_init(&a, key1, 0);
    pseudo_init(&b, key1, 0);
    pseudo_init(&c, key2, 0);
    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
        struct ipaddr in = ip(addrs[i]), x, y, z, again;

        assert_int_equal(pseudo_addr(&a, &in, &x), 1);
        assert_int_equal(pseudo_addr(&b, &in, &y), 1);
        assert_int_equal(pseudo_addr(&c, &in, &z), 1);
        /* the same context again: the memo */
        assert_int_equal(pseudo_addr(&a, &in, &again), 1);
        assert_int_equal(ipaddr_cmp(&x, &again), 0);
        /* another context, the same key and order: the same pseudonym */
        assert_int_equal(ipaddr_cmp(&x, &y), 0);
        differ += ipaddr_cmp(&x, &z) != 0;
        /* families kept, ranges */
        assert_int_equal(x.family, in.family);
        if (in.family == 4)
            assert_true(in_testnet(&x));
        else
            assert_true(in_cidr(&x, "2001:db8::/32"));
    }
    /* another key: not the same pseudonyms (5 of 768: a tie is possible, all five not) */
    assert_true(differ > 0);
    pseudo_release(&a);
    pseudo_release(&b);
    pseudo_release(&c);
}

/* 2000 IPv4 and 300 IPv6 addresses, none internal, all distinct. */
static void test_one_to_one(void **state)
{
    enum { N4 = 2000, N6 = 300 };
    static struct ipaddr out[N4 + N6];
    struct pseudo p, seen;
    struct ipaddr internal = ip("10.0.0.1");
    (void)state;

    pseudo_init(&p, key1, 0);
    pseudo_init(&seen, key2, 0); /* a set of the outputs, by its internal set */
    pseudo_add_internal(&p, &internal);
    for (uint32_t i = 0; i < N4 + N6; i++) {
        struct ipaddr in;

        if (i < N4) {
            in = v4n(0x0b000000u + i * 7919u); /* 11.x.y.z */
        } else {
            uint8_t b[16] = {0x26, 0x06, 0x47, 0};

            b[14] = (uint8_t)(i >> 8);
            b[15] = (uint8_t)i;
            ipaddr_from_v6(&in, b);
        }
        assert_int_equal(pseudo_addr(&p, &in, &out[i]), 1);
        assert_int_equal(out[i].family, in.family);
        if (pseudo_is_internal(&seen, &out[i]))
            fail_msg("pseudonym %u given twice", i);
        pseudo_add_internal(&seen, &out[i]);
        assert_int_not_equal(ipaddr_cmp(&out[i], &internal), 0);
        if (i < 768)
            assert_true(in_testnet(&out[i])); /* the first 768: TEST-NET */
        else if (i < N4)
            assert_true(in_cidr(&out[i], "240.0.0.0/4"));
        else
            assert_true(in_cidr(&out[i], "2001:db8::/32"));
    }
    pseudo_release(&p);
    pseudo_release(&seen);
}

/* TEST-NET entirely internal (a lab using it): pseudonyms move to 240/4,
 * none is internal, and nothing loops. */
static void test_testnet_full(void **state)
{
    struct pseudo p;
    (void)state;

    pseudo_init(&p, key1, 0);
    for (uint32_t i = 0; i < 256; i++) {
        struct ipaddr a = v4n(0xc0000200u + i), b = v4n(0xc6336400u + i), c = v4n(0xcb007100u + i);

        pseudo_add_internal(&p, &a);
        pseudo_add_internal(&p, &b);
        pseudo_add_internal(&p, &c);
    }
    for (uint32_t i = 0; i < 10; i++) {
        struct ipaddr in = v4n(0x08080800u + i), out;

        assert_int_equal(pseudo_addr(&p, &in, &out), 1);
        assert_true(in_cidr(&out, "240.0.0.0/4"));
        assert_false(pseudo_is_internal(&p, &out));
    }
    pseudo_release(&p);
}

static void test_derive_text(void **state)
{
    struct pseudo p;
    struct ipaddr x, y;
    (void)state;

    pseudo_init(&p, key1, 0);
    pseudo_derive(&p, 0, (const uint8_t *)"not-an-ip", 9, &x);
    pseudo_derive(&p, 0, (const uint8_t *)"not-an-ip", 9, &y);
    assert_int_equal(x.family, 6);
    assert_true(in_cidr(&x, "2001:db8::/32"));
    /* not remembered: a second call gives a second, unused address */
    assert_int_not_equal(ipaddr_cmp(&x, &y), 0);
    pseudo_release(&p);
}

static void test_limit(void **state)
{
    struct pseudo p;
    struct ipaddr a = ip("8.8.8.8"), b = ip("8.8.4.4"), c = ip("9.9.9.9"),
                  d = ip("2001:4860::8888");
    struct ipaddr oa, ob, oc, od, again;
    (void)state;

    pseudo_init(&p, key1, 2);
    assert_int_equal(pseudo_addr(&p, &a, &oa), 1);
    assert_int_equal(pseudo_addr(&p, &b, &ob), 1);
    /* past the limit: the family's overflow pseudonym, no leak */
    assert_int_equal(pseudo_addr(&p, &c, &oc), 2);
    {
        struct ipaddr o4 = ip(PSEUDO_OVERFLOW_V4), o6 = ip(PSEUDO_OVERFLOW_V6);

        assert_int_equal(ipaddr_cmp(&oc, &o4), 0);
        assert_int_equal(pseudo_addr(&p, &d, &od), 2);
        assert_int_equal(ipaddr_cmp(&od, &o6), 0);
    }
    assert_true(p.overflowed);
    /* those met before keep theirs */
    assert_int_equal(pseudo_addr(&p, &a, &again), 1);
    assert_int_equal(ipaddr_cmp(&oa, &again), 0);
    pseudo_release(&p);
}

static void test_random(void **state)
{
    struct pseudo p, q;
    struct ipaddr in = ip("8.8.8.8"), x, y;
    int differ = 0;
    (void)state;

    /* two random keys: some of ten addresses map differently */
    assert_int_equal(pseudo_init_random(&p, 0), 0);
    assert_int_equal(pseudo_init_random(&q, 0), 0);
    for (uint32_t i = 0; i < 10; i++) {
        in = v4n(0x08080800u + i);
        assert_int_equal(pseudo_addr(&p, &in, &x), 1);
        assert_int_equal(pseudo_addr(&q, &in, &y), 1);
        differ += ipaddr_cmp(&x, &y) != 0;
    }
    assert_true(differ > 0);
    pseudo_release(&p);
    pseudo_release(&q);
}

/* --keep-policy-nets: an address inside a kept CIDR is kept; no
 * pseudonym is drawn inside one, even one that covers a whole TEST-NET
 * range (the next range is used). */
static void test_keep_cidrs(void **state)
{
    static const char *const kept_text[] = {"52.94.0.0/16", "198.51.100.0/24", "2001:db8:1::/48"};
    struct polnets keep;
    const struct cidr *kept;
    struct pseudo p;
    struct ipaddr a, out;

    (void)state;
    polnets_init(&keep);
    assert_int_equal(polnets_add_list(&keep, "52.94.0.0/16 198.51.100.0/24 2001:db8:1::/48", "t"),
                     0);
    assert_int_equal(keep.n, 3);
    kept = keep.v;
    pseudo_init(&p, key1, 0);
    pseudo_keep(&p, &keep);
    a = ip("52.94.10.5");
    assert_int_equal(pseudo_addr(&p, &a, &out), 0);
    assert_int_equal(ipaddr_cmp(&a, &out), 0);
    a = ip("52.95.10.5"); /* outside: a pseudonym */
    assert_int_equal(pseudo_addr(&p, &a, &out), 1);
    for (uint32_t v = 0; v < 2000; v++) {
        a = v4n(0x08000000u + v); /* 8.0.0.0 + v */
        assert_int_equal(pseudo_addr(&p, &a, &out), 1);
        for (size_t i = 0; i < 2; i++)
            if (cidr_contains(&kept[i], &out))
                fail_msg("a pseudonym inside the kept %s", kept_text[i]);
    }
    for (unsigned v = 0; v < 200; v++) {
        char t[64];

        snprintf(t, sizeof(t), "2600::%x", v);
        a = ip(t);
        assert_int_equal(pseudo_addr(&p, &a, &out), 1);
        assert_false(cidr_contains(&kept[2], &out));
    }
    pseudo_release(&p);
    polnets_release(&keep);
}

/* The kept CIDRs are looked up as sorted, merged ranges: nested,
 * overlapping and adjacent CIDRs, their edges, both families. */
static void test_keep_ranges(void **state)
{
    static const char kept_text[] =
        "10.0.128.0/17 10.0.0.0/16 10.0.64.0/18 10.2.0.0/16 10.3.0.0/16 fd00:1::/64";
    static const struct {
        const char *ip;
        int kept;
    } rows[] = {{"10.0.0.0", 1},  {"10.0.255.255", 1}, {"10.1.0.0", 0}, {"9.255.255.255", 0},
                {"10.2.0.0", 1},  {"10.3.255.255", 1}, {"10.4.0.0", 0}, {"fd00:1::ffff", 1},
                {"fd00:2::1", 0}, {"11.0.0.1", 0}};
    struct polnets keep;
    struct pseudo p;

    (void)state;
    polnets_init(&keep);
    assert_int_equal(polnets_add_list(&keep, kept_text, "t"), 0);
    assert_int_equal(keep.n, 6);
    pseudo_init(&p, key1, 0);
    pseudo_keep(&p, &keep);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct ipaddr a = ip(rows[i].ip), out;
        int rc = pseudo_addr(&p, &a, &out);

        if ((rc == 0) != rows[i].kept)
            fail_msg("%s: kept %d, want %d", rows[i].ip, rc == 0, rows[i].kept);
    }
    pseudo_release(&p);
    polnets_release(&keep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special),
        cmocka_unit_test(test_kept),
        cmocka_unit_test(test_keep_cidrs),
        cmocka_unit_test(test_keep_ranges),
        cmocka_unit_test(test_same_key_same_output),
        cmocka_unit_test(test_one_to_one),
        cmocka_unit_test(test_testnet_full),
        cmocka_unit_test(test_derive_text),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
