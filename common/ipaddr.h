/*
 * ipaddr.h: IPv4 and IPv6 addresses and CIDRs: parse, format, compare,
 * contain.  Text forms are what inet_pton(3)/inet_ntop(3) accept and print;
 * the canonical text of an address is inet_ntop's (RFC 5952 for IPv6), which
 * is how the .db stores addresses.
 */
#ifndef PODFLOW_IPADDR_H
#define PODFLOW_IPADDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/attrs.h"

#define IPADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct ipaddr {
    uint8_t family; /* 4 or 6; 0 for "none" */
    uint8_t a[16];  /* network order; IPv4 uses a[0..3], the rest zero */
};

struct cidr {
    struct ipaddr addr; /* host bits cleared */
    uint8_t plen;       /* prefix length, 0..32 or 0..128 */
};

/* Parse an address from s[0..len).  0 or ERR_PARSE. */
int ipaddr_parse(const char *s, size_t len, struct ipaddr *out) MUST_CHECK;
/* Build from raw bytes (4 or 16 of them). */
void ipaddr_from_v4(struct ipaddr *out, const uint8_t b[4]);
void ipaddr_from_v6(struct ipaddr *out, const uint8_t b[16]);
/* Canonical text into buf (IPADDR_STRLEN bytes); returns buf. */
char *ipaddr_format(const struct ipaddr *ip, char *buf);
/* Total order: family first, then bytes.  <0, 0, >0. */
int ipaddr_cmp(const struct ipaddr *x, const struct ipaddr *y);

/* Same address, the test of ipaddr_cmp() == 0 inline (per-flow callers):
 * an address made by this module has its unused bytes zero, so the bytes
 * compare whole. */
static inline int ipaddr_eq(const struct ipaddr *x, const struct ipaddr *y)
{
    return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

/*
 * Parse "addr/plen" or a plain address (meaning /32 or /128) from s[0..len).
 * Host bits set under the prefix are cleared (Calico masks them:
 * 192.168.4.10/16 becomes 192.168.0.0/16); *had_host_bits, if not NULL,
 * says whether any were set.  A prefix length with a leading zero
 * ("/08") is refused.  0 or ERR_PARSE.
 */
int cidr_parse(const char *s, size_t len, struct cidr *out, int *had_host_bits) MUST_CHECK;
/* "addr/plen" into buf (IPADDR_STRLEN + 4 bytes); returns buf. */
char *cidr_format(const struct cidr *c, char *buf);
/* 1 when ip is inside c (same family only), else 0. */
int cidr_contains(const struct cidr *c, const struct ipaddr *ip);
/* The name Calico and Kubernetes give IP protocol number proto ("TCP",
 * "UDP", "SCTP", "ICMP", "ICMPv6"), or NULL for another number. */
const char *ipproto_name(int proto);

/* 1 when c covers its whole family (0.0.0.0/0 or ::/0). */
int cidr_is_catchall(const struct cidr *c);

#endif
