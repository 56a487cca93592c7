/*
 * decode.h: one captured frame to the facts the flow table needs.
 *
 * decode_frame() walks a frame from its link-layer header down to the
 * transport header of the innermost IP packet (through VLAN tags, IP-in-IP
 * and VXLAN), and fills a struct decode_pkt: addresses, protocol, ports,
 * TCP flags and sequence number, IP length, fragment identity, and for
 * ICMP errors the 5-tuple of the packet they quote.  Every byte of the frame
 * is untrusted: all reads go through the bounds-checked accessors in
 * decode_int.h, nothing is cast to a header struct, and any frame, however
 * short or hostile, gives DECODE_MALFORMED rather than a bad read.
 */
#ifndef PODFLOW_CAPTURE_DECODE_H
#define PODFLOW_CAPTURE_DECODE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Link types, as pcap_datalink() reports them on Linux (DLT_*) and as pcap
 * files store them (LINKTYPE_*, www.tcpdump.org/linktypes.html).  Where the
 * two differ (raw IP) both are accepted.
 */
enum decode_dlt {
    DECODE_DLT_NULL = 0,        /* BSD loopback: 4-byte family, host order */
    DECODE_DLT_EN10MB = 1,      /* Ethernet */
    DECODE_DLT_RAW_LINUX = 12,  /* raw IP (DLT_RAW on Linux and most systems) */
    DECODE_DLT_RAW_BSDOS = 14,  /* raw IP (DLT_RAW on BSD/OS) */
    DECODE_LINKTYPE_RAW = 101,  /* raw IP in a pcap file header */
    DECODE_DLT_LOOP = 108,      /* OpenBSD loopback: 4-byte family, network order */
    DECODE_DLT_LINUX_SLL = 113, /* Linux cooked capture v1 (-i any) */
    DECODE_LINKTYPE_IPV4 = 228, /* raw IPv4 only */
    DECODE_LINKTYPE_IPV6 = 229, /* raw IPv6 only */
    DECODE_DLT_LINUX_SLL2 = 276 /* Linux cooked capture v2 */
};

enum decode_result {
    DECODE_OK = 0,        /* an IP packet: pkt is filled */
    DECODE_NOT_IP = 1,    /* a frame of another network protocol (ARP, LLDP, ...) */
    DECODE_MALFORMED = 2, /* truncated or inconsistent: count and skip */
    DECODE_BAD_DLT = 3    /* a link type we do not decode */
};

/* What the transport part of the packet holds. */
enum decode_l4 {
    DECODE_L4_PORTS = 0,  /* TCP, UDP or SCTP with ports (first fragment included) */
    DECODE_L4_NONE,       /* another protocol (ESP, GRE, ...): no ports */
    DECODE_L4_FRAG_LATER, /* a fragment past the first: the ports are elsewhere */
    DECODE_L4_ICMP_ECHO,  /* ICMP / ICMPv6 echo request or reply */
    DECODE_L4_ICMP_ERROR, /* ICMP / ICMPv6 error quoting a packet (see quoted) */
    DECODE_L4_ICMP_OTHER  /* any other ICMP / ICMPv6 message */
};

/* The 5-tuple of the packet an ICMP error quotes, as that packet was sent. */
struct decode_quoted {
    uint8_t ok;      /* 1: quoted header and first 8 bytes were readable */
    uint8_t family;  /* 4 or 6 */
    uint8_t proto;   /* IANA protocol number */
    uint8_t echo;    /* 1: the quoted packet is an ICMP echo (sport = id) */
    uint8_t src[16]; /* quoted source (v4 in [0..3], rest zero) */
    uint8_t dst[16];
    uint16_t sport; /* ports, or the echo id in sport and dport */
    uint16_t dport;
};

/* One decoded packet.  Addresses are network order, v4 in [0..3]. */
struct decode_pkt {
    uint8_t family;    /* 4 or 6 (innermost IP header) */
    uint8_t proto;     /* IANA protocol number (after extension headers) */
    uint8_t l4;        /* enum decode_l4 */
    uint8_t tcp_flags; /* TCP: the flags byte (CWR..FIN) */
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t sport;      /* L4_PORTS; ICMP echo: the identifier */
    uint16_t dport;      /* L4_PORTS; ICMP echo: the identifier */
    uint32_t ip_len;     /* IP-layer bytes of the innermost packet */
    uint32_t tcp_seq;    /* TCP: sequence number */
    uint32_t payload;    /* TCP, UDP: payload bytes (from the IP / UDP length) */
    uint16_t tcp_window; /* TCP: window field */
    uint8_t icmp_type;   /* ICMP kinds: type and code */
    uint8_t icmp_code;
    uint8_t frag;                /* 1: a fragment (first or later) */
    uint8_t encap;               /* encapsulation layers removed (IPIP, 6in4, VXLAN) */
    uint32_t frag_id;            /* fragment identification (v4: 16 bits; v6: 32) */
    int32_t vlan;                /* outermost 802.1Q/802.1ad VLAN id, -1: none */
    struct decode_quoted quoted; /* L4_ICMP_ERROR only */
};

/*
 * Decode data[0..caplen) of link type dlt; wirelen is the frame's length on
 * the wire (used to guess TSO lengths).  Fills *pkt on DECODE_OK (and
 * leaves it unspecified otherwise).  Never reads outside data[0..caplen).
 */
enum decode_result decode_frame(int dlt, const uint8_t *data, size_t caplen, size_t wirelen,
                                struct decode_pkt *pkt);

/* 1 when decode_frame() knows link type dlt, else 0. */
int decode_dlt_supported(int dlt);

/* 1 when ICMP (family 4) or ICMPv6 (family 6) type is an error message that
 * quotes the offending packet (RFC 792, RFC 4443 section 2.1). */
int decode_icmp_is_error(int family, uint8_t type);

#endif
