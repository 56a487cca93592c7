/*
 * decode.c: link, network and transport headers of one captured frame.
 *
 * The walk goes outside in: link layer (Ethernet, 802.1Q/802.1ad tags,
 * Linux cooked v1 and v2, raw IP, BSD loopback), IPv4 with options or IPv6
 * with its extension-header chain, then the transport header.  IP-in-IP
 * (protocols 4 and 41) and VXLAN start the walk again on the inner packet,
 * at most LIM_ENCAP_DEPTH times, so the flow recorded is the inner one
 * (Calico's IPIP and VXLAN overlays, Flannel's VXLAN).
 *
 * Lengths come from the headers, checked against what the wire carried:
 * an IP packet claiming more bytes than the frame had is malformed, while
 * a frame cut by the snap length is fine as long as the headers we need
 * were captured.  Bytes past the IP total length (Ethernet padding) are
 * never read as transport headers.
 *
 * Fragments: only the first fragment carries the transport header; later
 * ones are returned as DECODE_L4_FRAG_LATER with their identification so
 * the flow table can attribute them to the flow of the first.
 */
#include "capture/decode.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/decode_int.h"
#include "common/limits.h"
#include "common/compat.h"

/* IEEE 802 EtherTypes (IEEE Registration Authority). */
#define ETHERTYPE_IPV4     0x0800
#define ETHERTYPE_IPV6     0x86dd
#define ETHERTYPE_8021Q    0x8100 /* IEEE 802.1Q customer VLAN tag */
#define ETHERTYPE_8021AD   0x88a8 /* IEEE 802.1ad service VLAN tag (QinQ) */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ, still seen */

/* IANA protocol numbers. */
#define PROTO_ICMP         1
#define PROTO_IPIP         4
#define PROTO_TCP          6
#define PROTO_UDP          17
#define PROTO_IPV6         41
#define PROTO_IPV6_ROUTE   43
#define PROTO_IPV6_FRAG    44
#define PROTO_AH           51
#define PROTO_ICMPV6       58
#define PROTO_IPV6_DSTOPTS 60
#define PROTO_HOPOPTS      0
#define PROTO_MOBILITY     135
#define PROTO_HIP          139
#define PROTO_SHIM6        140
#define PROTO_SCTP         132

/* VXLAN: the IANA port (RFC 7348) and the Linux kernel's historical
 * default, which Flannel's vxlan backend uses. */
#define VXLAN_PORT_IANA  4789
#define VXLAN_PORT_LINUX 8472

/* Address families in BSD loopback headers (DLT_NULL, DLT_LOOP): AF_INET is
 * 2 everywhere; AF_INET6 differs by the capturing system. */
#define BSD_AF_INET          2
#define BSD_AF_INET6_LINUX   10
#define BSD_AF_INET6_BSD     24 /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28 /* FreeBSD, DragonFly */
#define BSD_AF_INET6_DARWIN  30 /* macOS */

static enum decode_result decode_ethertype(uint16_t type, struct dcur *c, size_t wire_left,
                                           int depth, int outer, struct decode_pkt *pkt);
static enum decode_result decode_ipv4(struct dcur *c, size_t wire_left, int depth,
                                      struct decode_pkt *pkt);
static enum decode_result decode_ipv6(struct dcur *c, size_t wire_left, int depth,
                                      struct decode_pkt *pkt);

int decode_dlt_supported(int dlt)
{
    switch (dlt) {
    case DECODE_DLT_NULL:
    case DECODE_DLT_EN10MB:
    case DECODE_DLT_RAW_LINUX:
    case DECODE_DLT_RAW_BSDOS:
    case DECODE_LINKTYPE_RAW:
    case DECODE_DLT_LOOP:
    case DECODE_DLT_LINUX_SLL:
    case DECODE_LINKTYPE_IPV4:
    case DECODE_LINKTYPE_IPV6:
    case DECODE_DLT_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

int decode_icmp_is_error(int family, uint8_t type)
{
    if (family == 4) {
        /* RFC 792: destination unreachable (3), source quench (4), redirect
         * (5), time exceeded (11), parameter problem (12) quote the
         * internet header plus 64 bits of the original datagram. */
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }
    /* RFC 4443 section 2.1: types 0..127 are errors; 1 destination
     * unreachable, 2 packet too big, 3 time exceeded, 4 parameter problem
     * quote "as much of invoking packet as possible". */
    return type >= 1 && type <= 4;
}

/* The window of an IP packet's bytes that were captured, no further than
 * its total length (so Ethernet padding is never parsed). */
static struct dcur ip_window(const struct dcur *c, size_t tot)
{
    return dcur_make(c->p, c->len < tot ? c->len : tot);
}

/*
 * The packet an ICMP error quotes (RFC 792 "Internet Header + 64 bits of
 * Original Data Datagram"; RFC 4443 "As much of invoking packet as possible
 * without the ICMPv6 packet exceeding the minimum IPv6 MTU").  Fills q;
 * q->ok stays 0 when the quote is too short or is a later fragment.
 */
static void decode_quoted(struct dcur *c, int family, struct decode_quoted *q)
{
    size_t off;
    uint8_t nh;
    struct dcur l4;

    memset(q, 0, sizeof(*q));
    if (family == 4) {
        uint8_t vihl = dcur_u8(c, 0);
        size_t ihl = (size_t)(vihl & 0x0f) * 4;
        if (c->bad || (vihl >> 4) != 4 || ihl < 20)
            return;
        if ((dcur_be16(c, 6) & 0x1fff) != 0)
            return; /* a later fragment quotes no transport header */
        nh = dcur_u8(c, 9);
        dcur_copy(c, 12, q->src, 4);
        dcur_copy(c, 16, q->dst, 4);
        off = ihl;
    } else {
        int n = 0;
        if ((dcur_u8(c, 0) >> 4) != 6)
            return;
        nh = dcur_u8(c, 6);
        dcur_copy(c, 8, q->src, 16);
        dcur_copy(c, 24, q->dst, 16);
        off = 40;
        for (;;) {
            if (nh == PROTO_HOPOPTS || nh == PROTO_IPV6_ROUTE || nh == PROTO_IPV6_DSTOPTS ||
                nh == PROTO_MOBILITY || nh == PROTO_HIP || nh == PROTO_SHIM6) {
                uint8_t next = dcur_u8(c, off);
                off += ((size_t)dcur_u8(c, off + 1) + 1) * 8;
                nh = next;
            } else if (nh == PROTO_AH) {
                uint8_t next = dcur_u8(c, off);
                off += ((size_t)dcur_u8(c, off + 1) + 2) * 4;
                nh = next;
            } else if (nh == PROTO_IPV6_FRAG) {
                uint8_t next = dcur_u8(c, off);
                if ((dcur_be16(c, off + 2) & 0xfff8) != 0)
                    return;
                off += 8;
                nh = next;
            } else {
                break;
            }
            if (c->bad || ++n > LIM_IPV6_EXT_HDRS)
                return;
        }
    }
    if (c->bad)
        return;
    q->family = (uint8_t)family;
    q->proto = nh;
    l4 = dcur_sub(c, off);
    switch (nh) {
    case PROTO_TCP:
    case PROTO_UDP:
    case PROTO_SCTP:
        /* The ports are the first 4 of the 8 quoted bytes in all three. */
        q->sport = dcur_be16(&l4, 0);
        q->dport = dcur_be16(&l4, 2);
        break;
    case PROTO_ICMP:
    case PROTO_ICMPV6: {
        uint8_t type = dcur_u8(&l4, 0);
        if ((nh == PROTO_ICMP && (type == 8 || type == 0)) ||
            (nh == PROTO_ICMPV6 && (type == 128 || type == 129))) {
            q->echo = 1;
            q->sport = q->dport = dcur_be16(&l4, 4);
        } else {
            return; /* an error quoting a non-echo ICMP message: no flow to find */
        }
        break;
    }
    default:
        break; /* no ports: the flow is keyed by addresses and protocol */
    }
    if (c->bad || l4.bad)
        return;
    q->ok = 1;
}

/*
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): every message starts with
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Identifier          |        Sequence Number        |  echo
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     unused / MTU / pointer    |  ...  then the quoted packet     errors
 */
static enum decode_result decode_icmp(struct dcur *c, size_t l4_wire, struct decode_pkt *pkt)
{
    int family = pkt->family;
    uint8_t type, code;

    if (l4_wire < 8)
        return DECODE_MALFORMED;
    type = dcur_u8(c, 0);
    code = dcur_u8(c, 1);
    if (c->bad)
        return DECODE_MALFORMED;
    pkt->icmp_type = type;
    pkt->icmp_code = code;
    if ((family == 4 && (type == 8 || type == 0)) ||
        (family == 6 && (type == 128 || type == 129))) {
        pkt->sport = pkt->dport = dcur_be16(c, 4);
        if (c->bad)
            return DECODE_MALFORMED;
        pkt->l4 = DECODE_L4_ICMP_ECHO;
    } else if (decode_icmp_is_error(family, type)) {
        struct dcur q = dcur_sub(c, 8);
        pkt->l4 = DECODE_L4_ICMP_ERROR;
        decode_quoted(&q, family, &pkt->quoted);
    } else {
        pkt->l4 = DECODE_L4_ICMP_OTHER;
    }
    return DECODE_OK;
}

/*
 * VXLAN (RFC 7348 section 5), after the outer UDP header:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  inner Ethernet frame ...
 *
 * Returns -1 when the 8 bytes are not a VXLAN header (I flag clear or
 * reserved flag bits set, or not captured): the packet is then an ordinary
 * UDP packet.
 */
static int decode_vxlan(struct dcur *c, size_t wire_left, int depth, struct decode_pkt *pkt,
                        enum decode_result *res)
{
    uint8_t flags = dcur_u8(c, 0);
    struct dcur inner;
    uint16_t type;

    if (c->bad || flags != 0x08 || wire_left < 8 + 14)
        return -1;
    if (depth + 1 > LIM_ENCAP_DEPTH) {
        *res = DECODE_MALFORMED;
        return 0;
    }
    inner = dcur_sub(c, 8);
    type = dcur_be16(&inner, 12);
    if (inner.bad) {
        *res = DECODE_MALFORMED;
        return 0;
    }
    pkt->encap++;
    inner = dcur_sub(&inner, 14);
    *res = decode_ethertype(type, &inner, wire_left - 8 - 14, depth + 1, 0, pkt);
    return 0;
}

/* The transport header in c (l4_wire bytes of it were on the wire). */
static enum decode_result decode_l4(struct dcur *c, size_t l4_wire, int depth,
                                    struct decode_pkt *pkt)
{
    switch (pkt->proto) {
    case PROTO_TCP: {
        /*
         * TCP (RFC 9293 section 3.1):
         *
         *    0                   1                   2                   3
         *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         *   |          Source Port          |       Destination Port        |
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         *   |                        Sequence Number                        |
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         *   |                    Acknowledgment Number                      |
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         *   |  Data |       |C|E|U|A|P|R|S|F|                               |
         *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         */
        size_t doff;
        pkt->sport = dcur_be16(c, 0);
        pkt->dport = dcur_be16(c, 2);
        pkt->tcp_seq = dcur_be32(c, 4);
        doff = (size_t)(dcur_u8(c, 12) >> 4) * 4;
        pkt->tcp_flags = dcur_u8(c, 13);
        pkt->tcp_window = dcur_be16(c, 14);
        if (c->bad || doff < 20 || doff > l4_wire)
            return DECODE_MALFORMED;
        pkt->payload = (uint32_t)(l4_wire - doff);
        pkt->l4 = DECODE_L4_PORTS;
        return DECODE_OK;
    }
    case PROTO_UDP: {
        /*
         * UDP (RFC 768):
         *
         *    0      7 8     15 16    23 24    31
         *   +--------+--------+--------+--------+
         *   |     Source      |   Destination   |
         *   |      Port       |      Port       |
         *   +--------+--------+--------+--------+
         *   |     Length      |    Checksum     |
         *   +--------+--------+--------+--------+
         *
         * Length 0 is allowed for IPv6 jumbograms (RFC 2675).
         */
        uint16_t ulen;
        pkt->sport = dcur_be16(c, 0);
        pkt->dport = dcur_be16(c, 2);
        ulen = dcur_be16(c, 4);
        /* A first fragment carries only part of the datagram that ulen counts. */
        if (c->bad || l4_wire < 8 || (ulen != 0 && (ulen < 8 || (ulen > l4_wire && !pkt->frag))))
            return DECODE_MALFORMED;
        pkt->l4 = DECODE_L4_PORTS;
        pkt->payload = (uint32_t)((ulen != 0 ? ulen : l4_wire) - 8);
        if ((pkt->dport == VXLAN_PORT_IANA || pkt->dport == VXLAN_PORT_LINUX) && !pkt->frag) {
            enum decode_result res = DECODE_OK;
            struct dcur v = dcur_sub(c, 8);
            size_t vwire = (ulen != 0 ? ulen : l4_wire) - 8;
            if (decode_vxlan(&v, vwire, depth, pkt, &res) == 0)
                return res;
        }
        return DECODE_OK;
    }
    case PROTO_SCTP:
        /*
         * SCTP common header (RFC 9260 section 3.1):
         *
         *    0                   1                   2                   3
         *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         *   |     Source Port Number        |     Destination Port Number   |
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         *   |                      Verification Tag                         |
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         *   |                           Checksum                            |
         *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
         */
        pkt->sport = dcur_be16(c, 0);
        pkt->dport = dcur_be16(c, 2);
        if (c->bad || l4_wire < 12)
            return DECODE_MALFORMED;
        pkt->l4 = DECODE_L4_PORTS;
        return DECODE_OK;
    case PROTO_ICMP:
        if (pkt->family != 4)
            break;
        return decode_icmp(c, l4_wire, pkt);
    case PROTO_ICMPV6:
        if (pkt->family != 6)
            break;
        return decode_icmp(c, l4_wire, pkt);
    default:
        break;
    }
    pkt->l4 = DECODE_L4_NONE;
    return DECODE_OK;
}

/* After an IP header: IP-in-IP, or the transport header. */
static enum decode_result decode_ip_payload(struct dcur *c, size_t l4_wire, int depth,
                                            struct decode_pkt *pkt)
{
    if ((pkt->proto == PROTO_IPIP || pkt->proto == PROTO_IPV6) && !pkt->frag) {
        /* IP in IPv4/IPv6 (RFC 2003, RFC 4213 "6in4", RFC 2473): the
         * payload is a whole IP packet of the version the protocol says. */
        uint8_t want = pkt->proto == PROTO_IPIP ? 4 : 6;
        if (depth + 1 > LIM_ENCAP_DEPTH)
            return DECODE_MALFORMED;
        if ((dcur_u8(c, 0) >> 4) != want || c->bad)
            return DECODE_MALFORMED;
        pkt->encap++;
        return want == 4 ? decode_ipv4(c, l4_wire, depth + 1, pkt)
                         : decode_ipv6(c, l4_wire, depth + 1, pkt);
    }
    return decode_l4(c, l4_wire, depth, pkt);
}

/*
 * IPv4 (RFC 791 section 3.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: bit 1 DF, bit 2 MF; the offset counts 8-byte units.  Options are
 * skipped whole (IHL says how long); they never change the flow.
 */
static enum decode_result decode_ipv4(struct dcur *c, size_t wire_left, int depth,
                                      struct decode_pkt *pkt)
{
    uint8_t vihl = dcur_u8(c, 0);
    size_t ihl = (size_t)(vihl & 0x0f) * 4;
    size_t tot = dcur_be16(c, 2);
    uint16_t id = dcur_be16(c, 4);
    uint16_t ff = dcur_be16(c, 6);
    struct dcur w, l4;

    pkt->proto = dcur_u8(c, 9);
    dcur_copy(c, 12, pkt->src, 4);
    dcur_copy(c, 16, pkt->dst, 4);
    if (c->bad || (vihl >> 4) != 4 || ihl < 20)
        return DECODE_MALFORMED;
    /* A total length of 0 is how a TSO send looks when captured before
     * segmentation; tcpdump guesses the wire length then, and so do we. */
    if (tot == 0)
        tot = wire_left;
    if (tot < ihl || tot > wire_left || !dcur_has(c, 0, ihl))
        return DECODE_MALFORMED;
    memset(pkt->src + 4, 0, 12);
    memset(pkt->dst + 4, 0, 12);
    pkt->family = 4;
    pkt->ip_len = (uint32_t)tot;
    pkt->frag = (ff & 0x3fff) != 0; /* MF set or a non-zero offset */
    pkt->frag_id = id;
    if ((ff & 0x1fff) != 0) {
        pkt->l4 = DECODE_L4_FRAG_LATER;
        return DECODE_OK;
    }
    w = ip_window(c, tot);
    l4 = dcur_sub(&w, ihl);
    return decode_ip_payload(&l4, tot - ihl, depth, pkt);
}

/*
 * IPv6 (RFC 8200 section 3):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Source Address (128 bits)                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |              Destination Address (128 bits)                   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (RFC 8200 section 4) are followed, at most
 * LIM_IPV6_EXT_HDRS of them.  Hop-by-Hop, Routing, Destination Options,
 * Mobility (RFC 6275), HIP (RFC 7401) and Shim6 (RFC 5533) share the
 * generic form
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |  Hdr Ext Len  |  (Hdr Ext Len + 1) * 8 bytes  |
 *
 * AH (RFC 4302) counts 4-byte units minus 2; the Fragment header is
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Identification                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * ESP (50) and No Next Header (59) end the walk: what follows is opaque.
 */
static enum decode_result decode_ipv6(struct dcur *c, size_t wire_left, int depth,
                                      struct decode_pkt *pkt)
{
    uint8_t ver = (uint8_t)(dcur_u8(c, 0) >> 4);
    size_t tot = (size_t)dcur_be16(c, 4) + 40;
    uint8_t nh = dcur_u8(c, 6);
    size_t off = 40;
    int n = 0;
    struct dcur w, l4;

    dcur_copy(c, 8, pkt->src, 16);
    dcur_copy(c, 24, pkt->dst, 16);
    if (c->bad || ver != 6)
        return DECODE_MALFORMED;
    /* Payload length 0 with a Hop-by-Hop header: a jumbogram (RFC 2675) or
     * a Linux BIG TCP send, whose length only the wire knows. */
    if (tot == 40 && nh == PROTO_HOPOPTS && wire_left > 40)
        tot = wire_left;
    if (tot > wire_left)
        return DECODE_MALFORMED;
    pkt->family = 6;
    pkt->ip_len = (uint32_t)tot;
    pkt->frag = 0;
    w = ip_window(c, tot);
    for (;;) {
        size_t hlen;
        uint8_t next;

        switch (nh) {
        case PROTO_HOPOPTS:
        case PROTO_IPV6_ROUTE:
        case PROTO_IPV6_DSTOPTS:
        case PROTO_MOBILITY:
        case PROTO_HIP:
        case PROTO_SHIM6:
            next = dcur_u8(&w, off);
            hlen = ((size_t)dcur_u8(&w, off + 1) + 1) * 8;
            break;
        case PROTO_AH:
            next = dcur_u8(&w, off);
            hlen = ((size_t)dcur_u8(&w, off + 1) + 2) * 4;
            break;
        case PROTO_IPV6_FRAG: {
            uint16_t fo;
            next = dcur_u8(&w, off);
            fo = dcur_be16(&w, off + 2);
            pkt->frag_id = dcur_be32(&w, off + 4);
            hlen = 8;
            if (w.bad)
                return DECODE_MALFORMED;
            pkt->frag = 1;
            if ((fo & 0xfff8) != 0) {
                /* A later fragment: what follows is the middle of the
                 * upper-layer data, never a header. */
                pkt->proto = next;
                pkt->l4 = DECODE_L4_FRAG_LATER;
                return DECODE_OK;
            }
            break;
        }
        default:
            goto done;
        }
        if (w.bad || ++n > LIM_IPV6_EXT_HDRS || off + hlen > tot)
            return DECODE_MALFORMED;
        off += hlen;
        nh = next;
    }
done:
    pkt->proto = nh;
    l4 = dcur_sub(&w, off);
    if (w.bad)
        return DECODE_MALFORMED;
    return decode_ip_payload(&l4, tot - off, depth, pkt);
}

TESTABLE enum decode_result decode_ip(struct dcur *c, size_t wire_left, int depth,
                                      struct decode_pkt *pkt)
{
    uint8_t ver = (uint8_t)(dcur_u8(c, 0) >> 4);

    if (c->bad)
        return DECODE_MALFORMED;
    if (ver == 4)
        return decode_ipv4(c, wire_left, depth, pkt);
    if (ver == 6)
        return decode_ipv6(c, wire_left, depth, pkt);
    return DECODE_MALFORMED;
}

/*
 * An EtherType and what follows it.  802.1Q and 802.1ad tags (IEEE 802.1Q
 * section 9.6) are 4 bytes each:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | PCP |D|        VLAN ID        |       next EtherType          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The outermost tag of the outer frame is the flow's VLAN.  At most
 * LIM_ENCAP_DEPTH tags are followed (QinQ is two).
 */
static enum decode_result decode_ethertype(uint16_t type, struct dcur *c, size_t wire_left,
                                           int depth, int outer, struct decode_pkt *pkt)
{
    struct dcur cur = *c;
    int tags = 0;

    while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD || type == ETHERTYPE_QINQ_OLD) {
        uint16_t tci = dcur_be16(&cur, 0);
        type = dcur_be16(&cur, 2);
        if (cur.bad || wire_left < 4 || ++tags > LIM_ENCAP_DEPTH)
            return DECODE_MALFORMED;
        if (outer && pkt->vlan < 0)
            pkt->vlan = tci & 0x0fff;
        cur = dcur_sub(&cur, 4);
        wire_left -= 4;
    }
    if (type == ETHERTYPE_IPV4) {
        if ((dcur_u8(&cur, 0) >> 4) != 4 || cur.bad)
            return DECODE_MALFORMED;
        return decode_ipv4(&cur, wire_left, depth, pkt);
    }
    if (type == ETHERTYPE_IPV6) {
        if ((dcur_u8(&cur, 0) >> 4) != 6 || cur.bad)
            return DECODE_MALFORMED;
        return decode_ipv6(&cur, wire_left, depth, pkt);
    }
    return DECODE_NOT_IP;
}

/* The 4-byte family of DLT_NULL (host order of the capturing machine, so
 * either byte order) or DLT_LOOP (network order). */
static enum decode_result decode_bsd_loop(struct dcur *c, size_t wire_left, int net_order,
                                          struct decode_pkt *pkt)
{
    uint32_t fam = net_order ? dcur_be32(c, 0) : dcur_le32(c, 0);
    struct dcur ip;

    if (c->bad || wire_left < 4)
        return DECODE_MALFORMED;
    if (!net_order && fam > 0xffff)
        fam = dcur_be32(c, 0); /* written by a big-endian host */
    ip = dcur_sub(c, 4);
    switch (fam) {
    case BSD_AF_INET:
        if ((dcur_u8(&ip, 0) >> 4) != 4 || ip.bad)
            return DECODE_MALFORMED;
        return decode_ipv4(&ip, wire_left - 4, 0, pkt);
    case BSD_AF_INET6_LINUX:
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        if ((dcur_u8(&ip, 0) >> 4) != 6 || ip.bad)
            return DECODE_MALFORMED;
        return decode_ipv6(&ip, wire_left - 4, 0, pkt);
    default:
        return DECODE_NOT_IP;
    }
}

static inline uint16_t be16_at(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/*
 * The common case in one straight pass: Ethernet, at most one 802.1Q tag,
 * IPv4 without options or fragmentation, TCP or UDP (not VXLAN), every
 * header whole inside the capture and consistent.  Fills *pkt exactly as
 * decode_frame_full() would and returns 1; returns 0, having written
 * nothing, for anything else (then the full decoder decides, including
 * which frames are malformed).  The same checks as decode_ipv4() and
 * decode_l4() in the same meaning; test_decode compares both decoders
 * frame by frame.  wirelen >= caplen.
 */
static int decode_fast_ether(const uint8_t *d, size_t caplen, size_t wirelen,
                             struct decode_pkt *pkt)
{
    size_t off = 14, tot, win, l4_wire;
    uint16_t type, ff, ulen = 0;
    int32_t vlan = -1;
    const uint8_t *ip, *l4;
    uint8_t proto;

    if (caplen < 14 + 20 + 8)
        return 0;
    type = be16_at(d + 12);
    if (type == ETHERTYPE_8021Q) {
        vlan = be16_at(d + 14) & 0x0fff;
        type = be16_at(d + 16);
        off = 18;
        if (caplen < 18 + 20 + 8)
            return 0;
    }
    if (type != ETHERTYPE_IPV4)
        return 0;
    ip = d + off;
    tot = be16_at(ip + 2);
    ff = be16_at(ip + 6);
    proto = ip[9];
    /* Version 4, IHL 5; neither MF nor an offset; a total length that holds
     * the header and fits the wire (0, the TSO case, goes the long way). */
    if (ip[0] != 0x45 || (ff & 0x3fff) != 0 || tot < 20 || tot > wirelen - off)
        return 0;
    win = caplen - off < tot ? caplen - off : tot; /* ip_window() */
    l4 = ip + 20;
    l4_wire = tot - 20;
    if (proto == PROTO_TCP) {
        size_t doff;
        if (win < 20 + 16) /* decode_l4() reads TCP bytes 0..15 */
            return 0;
        doff = (size_t)(l4[12] >> 4) * 4;
        if (doff < 20 || doff > l4_wire)
            return 0;
    } else if (proto == PROTO_UDP) {
        uint16_t dport = be16_at(l4 + 2);
        if (win < 20 + 6) /* UDP bytes 0..5 */
            return 0;
        ulen = be16_at(l4 + 4);
        if (l4_wire < 8 || (ulen != 0 && (ulen < 8 || ulen > l4_wire)) ||
            dport == VXLAN_PORT_IANA || dport == VXLAN_PORT_LINUX)
            return 0;
    } else {
        return 0;
    }

    memset(pkt, 0, offsetof(struct decode_pkt, quoted));
    pkt->quoted.ok = 0;
    pkt->vlan = vlan;
    pkt->family = 4;
    pkt->proto = proto;
    /* Each address as two 8-byte stores (the v4 address and four zero
     * bytes, then eight zeros), although the memset zeroed them: the flow
     * table reads them back at once as 8-byte words, and a load spanning
     * two stores (a 4-byte one and the memset's, or two of the memset's)
     * cannot be forwarded from the store buffer: a stall of a dozen cycles
     * a word.  The same bytes decode_ipv4() writes. */
    __asm__ volatile("" ::: "memory"); /* keep the stores below: not merged into the memset */
    {
        uint8_t t[8] = {0};
        uint64_t w, z = 0;

        memcpy(t, ip + 12, 4);
        memcpy(&w, t, 8);
        memcpy(pkt->src, &w, 8);
        memcpy(pkt->src + 8, &z, 8);
        memcpy(t, ip + 16, 4);
        memcpy(&w, t, 8);
        memcpy(pkt->dst, &w, 8);
        memcpy(pkt->dst + 8, &z, 8);
    }
    pkt->ip_len = (uint32_t)tot;
    pkt->frag_id = be16_at(ip + 4);
    pkt->l4 = DECODE_L4_PORTS;
    pkt->sport = be16_at(l4);
    pkt->dport = be16_at(l4 + 2);
    if (proto == PROTO_TCP) {
        pkt->tcp_seq =
            (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | (uint32_t)l4[7];
        pkt->tcp_flags = l4[13];
        pkt->tcp_window = be16_at(l4 + 14);
        pkt->payload = (uint32_t)(l4_wire - (size_t)(l4[12] >> 4) * 4);
    } else {
        pkt->payload = (uint32_t)((ulen != 0 ? ulen : l4_wire) - 8);
    }
    return 1;
}

enum decode_result decode_frame(int dlt, const uint8_t *data, size_t caplen, size_t wirelen,
                                struct decode_pkt *pkt)
{
    if (dlt == DECODE_DLT_EN10MB &&
        decode_fast_ether(data, caplen, wirelen < caplen ? caplen : wirelen, pkt))
        return DECODE_OK;
    return decode_frame_full(dlt, data, caplen, wirelen, pkt);
}

enum decode_result decode_frame_full(int dlt, const uint8_t *data, size_t caplen, size_t wirelen,
                                     struct decode_pkt *pkt)
{
    struct dcur c = dcur_make(data, caplen);
    struct dcur rest;
    uint16_t type;

    memset(pkt, 0, offsetof(struct decode_pkt, quoted));
    pkt->quoted.ok = 0;
    pkt->vlan = -1;
    if (wirelen < caplen)
        wirelen = caplen; /* a broken record: trust what we hold */

    switch (dlt) {
    case DECODE_DLT_EN10MB:
        /*
         * Ethernet II (IEEE 802.3 clause 3.2.6): destination (6), source
         * (6), EtherType (2).  A value below 0x0600 is an 802.3 length
         * (LLC follows): not IP.
         */
        type = dcur_be16(&c, 12);
        if (c.bad)
            return DECODE_MALFORMED;
        rest = dcur_sub(&c, 14);
        return decode_ethertype(type, &rest, wirelen - 14, 0, 1, pkt);
    case DECODE_DLT_LINUX_SLL:
        /*
         * Linux cooked capture v1 (www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html):
         *
         *   +---------------------------+
         *   |         Packet type       |  2
         *   |        ARPHRD_ type       |  2
         *   | Link-layer address length |  2
         *   |    Link-layer address     |  8
         *   |        Protocol type      |  2  EtherType, or < 0x0600 special
         *   +---------------------------+
         */
        type = dcur_be16(&c, 14);
        if (c.bad)
            return DECODE_MALFORMED;
        rest = dcur_sub(&c, 16);
        return decode_ethertype(type, &rest, wirelen - 16, 0, 1, pkt);
    case DECODE_DLT_LINUX_SLL2:
        /*
         * Linux cooked capture v2 (www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html):
         *
         *   +---------------------------+
         *   |        Protocol type      |  2
         *   |        Reserved (MBZ)     |  2
         *   |       Interface index     |  4
         *   |        ARPHRD_ type       |  2
         *   |        Packet type        |  1
         *   | Link-layer address length |  1
         *   |    Link-layer address     |  8
         *   +---------------------------+
         */
        type = dcur_be16(&c, 0);
        if (c.bad || caplen < 20)
            return DECODE_MALFORMED;
        rest = dcur_sub(&c, 20);
        return decode_ethertype(type, &rest, wirelen - 20, 0, 1, pkt);
    case DECODE_DLT_RAW_LINUX:
    case DECODE_DLT_RAW_BSDOS:
    case DECODE_LINKTYPE_RAW:
        return decode_ip(&c, wirelen, 0, pkt);
    case DECODE_LINKTYPE_IPV4:
        if ((dcur_u8(&c, 0) >> 4) != 4 || c.bad)
            return DECODE_MALFORMED;
        return decode_ipv4(&c, wirelen, 0, pkt);
    case DECODE_LINKTYPE_IPV6:
        if ((dcur_u8(&c, 0) >> 4) != 6 || c.bad)
            return DECODE_MALFORMED;
        return decode_ipv6(&c, wirelen, 0, pkt);
    case DECODE_DLT_NULL:
        return decode_bsd_loop(&c, wirelen, 0, pkt);
    case DECODE_DLT_LOOP:
        return decode_bsd_loop(&c, wirelen, 1, pkt);
    default:
        return DECODE_BAD_DLT;
    }
}
