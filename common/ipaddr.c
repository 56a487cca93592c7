/*
 * ipaddr.c: IPv4/IPv6 addresses and CIDRs.
 *
 * Text is parsed and printed by inet_pton(3)/inet_ntop(3), so our forms are
 * exactly the C library's: dotted quads without leading zeros for IPv4
 * (glibc refuses "010.0.0.1", as Go's net.ParseIP has since Go 1.17), and
 * RFC 4291 section 2.2 text for IPv6, printed in the RFC 5952 canonical form
 * (lower case, longest zero run compressed, IPv4-mapped as ::ffff:a.b.c.d).
 * Zone indices ("fe80::1%eth0") are not addresses and are refused.
 *
 * An IPv4-mapped IPv6 address (::ffff:1.2.3.4) stays an IPv6 address: a
 * Calico CIDR of one family never matches an address of the other, and the
 * kernel hands us mapped addresses only on IPv6 sockets.
 */
#include "common/ipaddr.h"

#include <arpa/inet.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "common/compat.h"

/* Longest text accepted before inet_pton: an IPv6 address with an embedded
 * IPv4 part is at most 45 characters; anything longer is not an address. */
#define IPADDR_TEXT_MAX (IPADDR_STRLEN - 1)

void ipaddr_from_v4(struct ipaddr *out, const uint8_t b[4])
{
    memset(out, 0, sizeof(*out));
    out->family = 4;
    memcpy(out->a, b, 4);
}

void ipaddr_from_v6(struct ipaddr *out, const uint8_t b[16])
{
    memset(out, 0, sizeof(*out));
    out->family = 6;
    memcpy(out->a, b, 16);
}

int ipaddr_parse(const char *s, size_t len, struct ipaddr *out)
{
    char tmp[IPADDR_STRLEN];
    uint8_t b[16];

    /* inet_pton wants a C string: copy, refusing embedded NULs (which would
     * make "1.2.3.4\0junk" look valid). */
    if (len == 0 || len > IPADDR_TEXT_MAX || memchr(s, '\0', len))
        return ERR_PARSE;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (memchr(tmp, ':', len)) {
        if (inet_pton(AF_INET6, tmp, b) != 1)
            return ERR_PARSE;
        ipaddr_from_v6(out, b);
    } else {
        if (inet_pton(AF_INET, tmp, b) != 1)
            return ERR_PARSE;
        ipaddr_from_v4(out, b);
    }
    return 0;
}

char *ipaddr_format(const struct ipaddr *ip, char *buf)
{
    /* inet_ntop cannot fail for these families and this buffer size; the
     * "none" address prints as the empty string. */
    buf[0] = '\0';
    if (ip->family == 4) {
        /* inet_ntop()'s dotted quad, a tenth of its cost (a record per
         * flow writes two addresses). */
        char *p = buf;

        for (int i = 0; i < 4; i++) {
            unsigned v = ip->a[i];

            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
            *p++ = i < 3 ? '.' : '\0';
        }
    } else if (ip->family == 6) {
        if (!inet_ntop(AF_INET6, ip->a, buf, IPADDR_STRLEN))
            buf[0] = '\0';
    }
    return buf;
}

int ipaddr_cmp(const struct ipaddr *x, const struct ipaddr *y)
{
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    /* Unused bytes of an IPv4 address are zero, so 16 bytes compare right
     * for both families. */
    return memcmp(x->a, y->a, sizeof(x->a));
}

static unsigned family_bits(uint8_t family)
{
    return family == 4 ? 32 : family == 6 ? 128 : 0;
}

/* Clear every bit past plen; returns 1 when any was set. */
static int mask_host_bits(struct ipaddr *ip, unsigned plen)
{
    unsigned bits = family_bits(ip->family);
    int had = 0;

    for (unsigned i = plen; i < bits; i++) {
        uint8_t m = (uint8_t)(0x80u >> (i % 8));
        if (ip->a[i / 8] & m) {
            had = 1;
            ip->a[i / 8] &= (uint8_t)~m;
        }
    }
    return had;
}

/*
 * cidr := address [ "/" plen ]
 * plen := DIGIT+          (0..32 for IPv4, 0..128 for IPv6)
 *
 * Leading zeros in plen are refused ("10.0.0.0/08"), as Go's
 * netip.ParsePrefix refuses them (net.ParseCIDR's dtoi() took them): a
 * prefix that reads like octal is a typo to fix, not to guess at.
 */
int cidr_parse(const char *s, size_t len, struct cidr *out, int *had_host_bits)
{
    const char *slash = memchr(s, '/', len);
    struct ipaddr ip;
    uint64_t plen;
    int had;
    int rc;

    rc = ipaddr_parse(s, slash ? (size_t)(slash - s) : len, &ip);
    if (rc)
        return rc;
    if (slash) {
        const char *p = slash + 1;
        size_t plen_len = len - (size_t)(p - s);
        if (plen_len == 0 || plen_len > 3 || (plen_len > 1 && p[0] == '0') ||
            parse_u64(p, plen_len, 0, family_bits(ip.family), &plen))
            return ERR_PARSE;
    } else {
        plen = family_bits(ip.family);
    }
    had = mask_host_bits(&ip, (unsigned)plen);
    out->addr = ip;
    out->plen = (uint8_t)plen;
    if (had_host_bits)
        *had_host_bits = had;
    return 0;
}

char *cidr_format(const struct cidr *c, char *buf)
{
    char ip[IPADDR_STRLEN];

    snprintf(buf, IPADDR_STRLEN + 4, "%s/%u", ipaddr_format(&c->addr, ip), (unsigned)c->plen);
    return buf;
}

int cidr_contains(const struct cidr *c, const struct ipaddr *ip)
{
    unsigned full = c->plen / 8;
    unsigned rest = c->plen % 8;

    if (c->addr.family == 0 || c->addr.family != ip->family)
        return 0;
    if (c->plen > family_bits(c->addr.family))
        return 0; /* not a CIDR cidr_parse() could make */
    if (memcmp(c->addr.a, ip->a, full) != 0)
        return 0;
    if (rest) {
        uint8_t m = (uint8_t)(0xffu << (8 - rest));
        if ((c->addr.a[full] & m) != (ip->a[full] & m))
            return 0;
    }
    return 1;
}

int cidr_is_catchall(const struct cidr *c)
{
    return (c->addr.family == 4 || c->addr.family == 6) && c->plen == 0;
}

const char *ipproto_name(int proto)
{
    switch (proto) {
    case 1:
        return "ICMP";
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 58:
        return "ICMPv6";
    case 132:
        return "SCTP";
    default:
        return NULL;
    }
}
