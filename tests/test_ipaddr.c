/*
 * test_ipaddr.c: address and CIDR parsing, canonical text, order and
 * containment (common/ipaddr.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <arpa/inet.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "common/compat.h"

static void test_ipaddr_parse_format(void **state)
{
    static const struct {
        const char *in;
        int rc;
        int family;
        const char *canon; /* inet_ntop text, RFC 5952 for IPv6 */
    } cases[] = {
        {"10.0.0.1", 0, 4, "10.0.0.1"},                         /* plain IPv4 */
        {"0.0.0.0", 0, 4, "0.0.0.0"},                           /* unspecified */
        {"255.255.255.255", 0, 4, "255.255.255.255"},           /* broadcast */
        {"256.0.0.1", ERR_PARSE, 0, NULL},                      /* octet too big */
        {"010.0.0.1", ERR_PARSE, 0, NULL},                      /* leading zero (octal trap) */
        {"10.0.1", ERR_PARSE, 0, NULL},                         /* three parts (inet_aton form) */
        {"10.0.0.1 ", ERR_PARSE, 0, NULL},                      /* trailing space */
        {"", ERR_PARSE, 0, NULL},                               /* empty */
        {"::", 0, 6, "::"},                                     /* unspecified */
        {"::1", 0, 6, "::1"},                                   /* loopback */
        {"2001:DB8:0:0:0:0:0:1", 0, 6, "2001:db8::1"},          /* lower case, longest run */
        {"2001:db8:0:0:1:0:0:1", 0, 6, "2001:db8::1:0:0:1"},    /* first of equal runs */
        {"2001:db8:0:1:1:1:1:1", 0, 6, "2001:db8:0:1:1:1:1:1"}, /* one 0 field not compressed */
        {"2001:0db8::0001", 0, 6, "2001:db8::1"},               /* leading zeros dropped */
        {"::ffff:1.2.3.4", 0, 6, "::ffff:1.2.3.4"},             /* v4-mapped stays IPv6 */
        {"::FFFF:0102:0304", 0, 6, "::ffff:1.2.3.4"},           /* v4-mapped written in hex */
        {"fe80::1%eth0", ERR_PARSE, 0, NULL},                   /* zone index refused */
        {"1:2:3:4:5:6:7:8:9", ERR_PARSE, 0, NULL},              /* nine groups */
        {"1::2::3", ERR_PARSE, 0, NULL},                        /* two "::" */
        {"[::1]", ERR_PARSE, 0, NULL},                          /* URL brackets */
        {"0000:0000:0000:0000:0000:ffff:255.255.255.255", 0, 6,
         "::ffff:255.255.255.255"}, /* longest text, 45 chars */
        {"0000:0000:0000:0000:0000:ffff:255.255.255.255 ", ERR_PARSE, 0,
         NULL}, /* 46 chars: too long */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ipaddr ip;
        char buf[IPADDR_STRLEN];
        int rc = ipaddr_parse(cases[i].in, strlen(cases[i].in), &ip);

        assert_int_equal(rc, cases[i].rc);
        if (rc)
            continue;
        assert_int_equal(ip.family, cases[i].family);
        assert_string_equal(ipaddr_format(&ip, buf), cases[i].canon);
    }
}

static void test_ipaddr_parse_bounds(void **state)
{
    struct ipaddr ip;
    char buf[IPADDR_STRLEN];
    static const uint8_t v4[4] = {192, 0, 2, 7};

    (void)state;
    /* Only s[0..len) is read: the tail past len is ignored. */
    assert_int_equal(ipaddr_parse("10.1.2.3/24", 8, &ip), 0);
    assert_string_equal(ipaddr_format(&ip, buf), "10.1.2.3");
    /* An embedded NUL inside len is refused, not cut short. */
    assert_int_equal(ipaddr_parse("1.2.3.4\0x", 9, &ip), ERR_PARSE);
    /* from_v4 zeroes the unused bytes so cmp works on all 16. */
    memset(&ip, 0xaa, sizeof(ip));
    ipaddr_from_v4(&ip, v4);
    assert_int_equal(ip.family, 4);
    for (int i = 4; i < 16; i++)
        assert_int_equal(ip.a[i], 0);
    assert_string_equal(ipaddr_format(&ip, buf), "192.0.2.7");
    /* The "none" address prints empty. */
    memset(&ip, 0, sizeof(ip));
    assert_string_equal(ipaddr_format(&ip, buf), "");
}

static int sign(int v)
{
    return v < 0 ? -1 : v > 0;
}

static void test_ipaddr_cmp(void **state)
{
    static const struct {
        const char *x, *y;
        int want;
    } cases[] = {
        {"10.0.0.1", "10.0.0.1", 0},          /* equal */
        {"10.0.0.1", "10.0.0.2", -1},         /* byte order */
        {"10.0.1.0", "10.0.0.255", 1},        /* not text order */
        {"255.255.255.255", "::", -1},        /* IPv4 sorts before IPv6 */
        {"::ffff:1.2.3.4", "1.2.3.4", 1},     /* mapped is not the IPv4 address */
        {"2001:db8::1", "2001:db8::1", 0},    /* equal IPv6 */
        {"2001:db8::2", "2001:db8::1:0", -1}, /* last group vs. the one before */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ipaddr x, y;

        assert_int_equal(ipaddr_parse(cases[i].x, strlen(cases[i].x), &x), 0);
        assert_int_equal(ipaddr_parse(cases[i].y, strlen(cases[i].y), &y), 0);
        assert_int_equal(sign(ipaddr_cmp(&x, &y)), cases[i].want);
        assert_int_equal(sign(ipaddr_cmp(&y, &x)), -cases[i].want);
    }
}

static void test_cidr_parse(void **state)
{
    static const struct {
        const char *in;
        int rc;
        const char *canon;
        int had_host_bits;
    } cases[] = {
        {"10.0.0.0/8", 0, "10.0.0.0/8", 0},                   /* network address */
        {"192.168.4.10/16", 0, "192.168.0.0/16", 1},          /* host bits masked, reported */
        {"10.1.2.3", 0, "10.1.2.3/32", 0},                    /* plain IPv4 is /32 */
        {"10.1.2.3/32", 0, "10.1.2.3/32", 0},                 /* /32 keeps every bit */
        {"10.1.2.3/0", 0, "0.0.0.0/0", 1},                    /* /0 clears everything */
        {"0.0.0.0/0", 0, "0.0.0.0/0", 0},                     /* catch-all */
        {"10.0.0.0/08", ERR_PARSE, NULL, 0},                  /* leading zero (netip refuses) */
        {"10.0.0.0/00", ERR_PARSE, NULL, 0},                  /* even a zero prefix */
        {"2001:db8::/064", ERR_PARSE, NULL, 0},               /* IPv6 too */
        {"10.255.0.0/9", 0, "10.128.0.0/9", 1},               /* mask inside a byte */
        {"10.0.0.0/33", ERR_PARSE, NULL, 0},                  /* plen past 32 */
        {"10.0.0.0/", ERR_PARSE, NULL, 0},                    /* empty plen */
        {"10.0.0.0/-1", ERR_PARSE, NULL, 0},                  /* negative */
        {"10.0.0.0/8/8", ERR_PARSE, NULL, 0},                 /* two slashes */
        {"10.0.0.0/ 8", ERR_PARSE, NULL, 0},                  /* space */
        {"/8", ERR_PARSE, NULL, 0},                           /* no address */
        {"2001:db8::1/64", 0, "2001:db8::/64", 1},            /* IPv6 host bits */
        {"2001:db8::/32", 0, "2001:db8::/32", 0},             /* IPv6 network */
        {"::1", 0, "::1/128", 0},                             /* plain IPv6 is /128 */
        {"::/0", 0, "::/0", 0},                               /* IPv6 catch-all */
        {"2001:db8::/128", 0, "2001:db8::/128", 0},           /* /128 bound */
        {"2001:db8::/129", ERR_PARSE, NULL, 0},               /* plen past 128 */
        {"::ffff:10.0.0.0/104", 0, "::ffff:10.0.0.0/104", 0}, /* mapped prefix */
        {"2001:db8::ff/121", 0, "2001:db8::80/121", 1},       /* mask in the last byte */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct cidr c;
        char buf[IPADDR_STRLEN + 4];
        int had = -1;
        int rc = cidr_parse(cases[i].in, strlen(cases[i].in), &c, &had);

        assert_int_equal(rc, cases[i].rc);
        if (rc)
            continue;
        assert_string_equal(cidr_format(&c, buf), cases[i].canon);
        assert_int_equal(had, cases[i].had_host_bits);
    }
}

static void test_cidr_parse_null_had(void **state)
{
    struct cidr c;

    (void)state;
    /* had_host_bits may be NULL. */
    assert_int_equal(cidr_parse("10.0.0.5/24", 11, &c, NULL), 0);
    assert_int_equal(c.plen, 24);
    /* Longest IPv6 text with a prefix fits cidr_format's buffer. */
    {
        static const char in[] = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128";
        char buf[IPADDR_STRLEN + 4];
        assert_int_equal(cidr_parse(in, strlen(in), &c, NULL), 0);
        assert_string_equal(cidr_format(&c, buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
    }
}

static void test_cidr_contains(void **state)
{
    static const struct {
        const char *cidr, *ip;
        int want;
    } cases[] = {
        {"10.0.0.0/8", "10.200.3.4", 1},            /* inside */
        {"10.0.0.0/8", "11.0.0.0", 0},              /* just past */
        {"10.0.0.0/8", "9.255.255.255", 0},         /* just before */
        {"10.128.0.0/9", "10.127.255.255", 0},      /* partial byte, outside */
        {"10.128.0.0/9", "10.128.0.0", 1},          /* partial byte, inside */
        {"10.1.2.3/32", "10.1.2.3", 1},             /* host route */
        {"10.1.2.3/32", "10.1.2.4", 0},             /* host route, other host */
        {"0.0.0.0/0", "203.0.113.9", 1},            /* catch-all v4 */
        {"0.0.0.0/0", "::1", 0},                    /* never across families */
        {"::/0", "10.0.0.1", 0},                    /* never across families */
        {"::/0", "2001:db8::1", 1},                 /* catch-all v6 */
        {"::ffff:0.0.0.0/96", "1.2.3.4", 0},        /* mapped prefix vs. IPv4: families differ */
        {"::ffff:0.0.0.0/96", "::ffff:1.2.3.4", 1}, /* mapped prefix vs. mapped address */
        {"2001:db8::/32", "2001:db9::", 0},         /* v6 outside */
        {"2001:db8::/33", "2001:db8:7fff::1", 1},   /* v6 partial byte inside */
        {"2001:db8::/33", "2001:db8:8000::", 0},    /* v6 partial byte outside */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct cidr c;
        struct ipaddr ip;

        assert_int_equal(cidr_parse(cases[i].cidr, strlen(cases[i].cidr), &c, NULL), 0);
        assert_int_equal(ipaddr_parse(cases[i].ip, strlen(cases[i].ip), &ip), 0);
        assert_int_equal(cidr_contains(&c, &ip), cases[i].want);
    }
}

static void test_cidr_catchall(void **state)
{
    static const struct {
        const char *cidr;
        int want;
    } cases[] = {
        {"0.0.0.0/0", 1}, /* IPv4 catch-all */
        {"::/0", 1},      /* IPv6 catch-all */
        {"1.2.3.4/0", 1}, /* masked to 0.0.0.0/0 */
        {"0.0.0.0/1", 0}, /* half */
        {"::/1", 0},      /* half */
        {"0.0.0.0", 0},   /* a single address */
    };
    struct cidr none;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct cidr c;

        assert_int_equal(cidr_parse(cases[i].cidr, strlen(cases[i].cidr), &c, NULL), 0);
        assert_int_equal(cidr_is_catchall(&c), cases[i].want);
    }
    /* A zeroed struct (family 0) is nothing, not everything. */
    memset(&none, 0, sizeof(none));
    assert_int_equal(cidr_is_catchall(&none), 0);
    {
        struct ipaddr ip;
        assert_int_equal(ipaddr_parse("1.2.3.4", 7, &ip), 0);
        assert_int_equal(cidr_contains(&none, &ip), 0);
    }
}

/* IPv4 text written without inet_ntop(): the same for every last and
 * first byte and random addresses. */
static void test_ipaddr_format_v4(void **state)
{
    uint32_t seed = 2463534242u;

    (void)state;
    for (uint32_t i = 0; i < 70000; i++) {
        struct ipaddr ip;
        char got[IPADDR_STRLEN], want[INET_ADDRSTRLEN];

        memset(&ip, 0, sizeof(ip));
        ip.family = 4;
        if (i < 65536) {
            ip.a[0] = (uint8_t)(i >> 8);
            ip.a[3] = (uint8_t)i;
        } else {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            memcpy(ip.a, &seed, 4);
        }
        assert_non_null(inet_ntop(AF_INET, ip.a, want, sizeof(want)));
        assert_string_equal(ipaddr_format(&ip, got), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipaddr_parse_format), cmocka_unit_test(test_ipaddr_parse_bounds),
        cmocka_unit_test(test_ipaddr_format_v4),    cmocka_unit_test(test_ipaddr_cmp),
        cmocka_unit_test(test_cidr_parse),          cmocka_unit_test(test_cidr_parse_null_had),
        cmocka_unit_test(test_cidr_contains),       cmocka_unit_test(test_cidr_catchall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
