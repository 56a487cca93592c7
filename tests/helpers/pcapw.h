/*
 * pcapw.h: build exact packets and write them to pcap files (tests only).
 *
 * A struct pcapw_pkt is built outside in, one header per call, each call
 * given the fields that matter; length fields (IPv4 total length and
 * header checksum, IPv6 payload length, UDP length) are filled in by
 * pcapw_finish() from what follows each header.  Between
 * pcapw_quote_begin() and pcapw_finish(), headers are written as the
 * quoted packet of an ICMP error: their length fields are the nominal ones
 * given, not fixed up, and TCP/UDP payloads are not appended.
 *
 *   struct pcapw_pkt p;
 *   pcapw_init(&p, PCAPW_DLT_EN10MB);
 *   pcapw_eth(&p, 0x0800);
 *   pcapw_ipv4(&p, &(struct pcapw_ip){.src = "198.18.0.1", .dst = "198.18.0.2",
 *                                    .proto = 6});
 *   pcapw_tcp(&p, 40000, 80, PCAPW_SYN, 1000, 0, 0);
 *   pcapw_finish(&p);
 *
 * Or in one line: pcapw_tcp_frame(&p, "198.18.0.1", 40000, "198.18.0.2", 80,
 * PCAPW_SYN, 1000, 0) (Ethernet, IPv4 or IPv6 from the address text).
 *
 * IPv4 header checksums are computed; TCP/UDP/ICMP checksums are left zero
 * (podflow never checks them; tcpdump reports them as incorrect).
 *
 * Builders never fail: misuse (a packet past PCAPW_MAX, an address that does
 * not parse) aborts the test with a message, since it is a bug in the test.
 */
#ifndef PODFLOW_TESTS_PCAPW_H
#define PODFLOW_TESTS_PCAPW_H

#include <stddef.h>
#include <stdint.h>

#define PCAPW_MAX    9216 /* bytes in one built packet */
#define PCAPW_FIXUPS 16

/* Link types (pcap file LINKTYPE_* values). */
enum {
    PCAPW_DLT_NULL = 0,
    PCAPW_DLT_EN10MB = 1,
    PCAPW_DLT_RAW = 12, /* what pcap_datalink() says for LINKTYPE_RAW on Linux */
    PCAPW_LINKTYPE_RAW = 101,
    PCAPW_DLT_LOOP = 108,
    PCAPW_DLT_LINUX_SLL = 113,
    PCAPW_LINKTYPE_IPV4 = 228,
    PCAPW_LINKTYPE_IPV6 = 229,
    PCAPW_DLT_LINUX_SLL2 = 276
};

/* TCP flags. */
enum { PCAPW_FIN = 0x01, PCAPW_SYN = 0x02, PCAPW_RST = 0x04, PCAPW_PSH = 0x08, PCAPW_ACK = 0x10 };

struct pcapw_pkt {
    uint8_t b[PCAPW_MAX]; /* the frame */
    size_t len;           /* bytes built so far */
    int dlt;              /* link type given to pcapw_init() */
    int quoting;          /* inside pcapw_quote_begin() */
    size_t nfix;
    struct {
        size_t off; /* where the header starts */
        int kind;   /* 4: IPv4, 6: IPv6, 17: UDP */
    } fix[PCAPW_FIXUPS];
};

/* IPv4 or IPv6 header fields (family from the address text). */
struct pcapw_ip {
    const char *src; /* "198.18.0.1" or "2001:db8::1" */
    const char *dst;
    uint8_t proto;     /* IPv4 protocol / IPv6 next header */
    uint8_t ttl;       /* 0: 64 */
    uint16_t id;       /* IPv4 identification */
    uint16_t frag_off; /* IPv4 fragment offset in bytes (multiple of 8) */
    int mf;            /* IPv4 more-fragments flag */
    int df;            /* IPv4 don't-fragment flag */
    size_t opt_len;    /* IPv4 options (NOPs then EOL), multiple of 4, <= 40 */
    uint16_t tot_len;  /* when quoting: the IPv4 total / IPv6 payload length to write */
};

/* Start an empty packet of link type dlt. */
void pcapw_init(struct pcapw_pkt *p, int dlt);

/* Link layers.  type is the EtherType of what follows. */
void pcapw_eth(struct pcapw_pkt *p, uint16_t type);
/* One 802.1Q/802.1ad tag (the previous header's type said 0x8100 or 0x88a8). */
void pcapw_vlan(struct pcapw_pkt *p, uint16_t vid, uint16_t type);
void pcapw_sll(struct pcapw_pkt *p, uint16_t type);
void pcapw_sll2(struct pcapw_pkt *p, uint16_t type, uint32_t ifindex);
/* BSD loopback family word: DLT_NULL in little-endian host order unless
 * big_endian, DLT_LOOP always big-endian. */
void pcapw_null(struct pcapw_pkt *p, uint32_t family, int big_endian);

/* Network layers. */
void pcapw_ipv4(struct pcapw_pkt *p, const struct pcapw_ip *ip);
void pcapw_ipv6(struct pcapw_pkt *p, const struct pcapw_ip *ip);
/* A generic IPv6 extension header (Hop-by-Hop 0, Routing 43, Destination
 * Options 60) of len bytes (multiple of 8, >= 8), padded with PadN. */
void pcapw_ipv6_ext(struct pcapw_pkt *p, uint8_t next, size_t len);
/* An IPv6 Fragment header: offset in bytes (multiple of 8), M flag, id. */
void pcapw_ipv6_frag(struct pcapw_pkt *p, uint8_t next, uint16_t offset, int more, uint32_t id);

/* Transport layers; payload bytes are zeros. */
void pcapw_tcp(struct pcapw_pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
               uint32_t ack, size_t payload);
void pcapw_udp(struct pcapw_pkt *p, uint16_t sport, uint16_t dport, size_t payload);
void pcapw_sctp(struct pcapw_pkt *p, uint16_t sport, uint16_t dport, size_t payload);
/* ICMP or ICMPv6 (the IP header's protocol decides): type, code, the 4
 * bytes after the checksum (echo: id << 16 | seq; errors: 0 or MTU). */
void pcapw_icmp(struct pcapw_pkt *p, uint8_t type, uint8_t code, uint32_t rest, size_t payload);
/* VXLAN header (RFC 7348) after a UDP header to port 4789; inner Ethernet follows. */
void pcapw_vxlan(struct pcapw_pkt *p, uint32_t vni);
/* n zero bytes. */
void pcapw_payload(struct pcapw_pkt *p, size_t n);

/* What follows is the packet an ICMP error quotes (until pcapw_finish). */
void pcapw_quote_begin(struct pcapw_pkt *p);

/* Fill in length fields and checksums.  Call once, last. */
void pcapw_finish(struct pcapw_pkt *p);

/* Shortcuts: a whole Ethernet frame (IPv4 or IPv6 by the address text). */
void pcapw_tcp_frame(struct pcapw_pkt *p, const char *src, uint16_t sport, const char *dst,
                     uint16_t dport, uint8_t flags, uint32_t seq, size_t payload);
void pcapw_udp_frame(struct pcapw_pkt *p, const char *src, uint16_t sport, const char *dst,
                     uint16_t dport, size_t payload);
/* ICMP / ICMPv6 echo request (reply = 0) or reply (reply = 1). */
void pcapw_echo_frame(struct pcapw_pkt *p, const char *src, const char *dst, uint16_t id,
                      uint16_t seq, int reply);
/* ICMP / ICMPv6 error from `from` to the quoted packet's source, quoting a
 * proto (6, 17, 132) packet qsrc:qsport -> qdst:qdport. */
void pcapw_icmp_error_frame(struct pcapw_pkt *p, const char *from, uint8_t type, uint8_t code,
                            uint8_t proto, const char *qsrc, uint16_t qsport, const char *qdst,
                            uint16_t qdport);

/* --- pcap files (nanosecond format, written by hand) --------------------- */

struct pcapw_file;

/* Create path for link type linktype.  Aborts on I/O errors. */
struct pcapw_file *pcapw_open(const char *path, int linktype, uint32_t snaplen);
/* Append one record: caplen bytes of data (cut to the snap length), wirelen on the wire. */
void pcapw_write(struct pcapw_file *f, int64_t ts_ns, const uint8_t *data, size_t caplen,
                 size_t wirelen);
/* Append a built packet. */
void pcapw_write_pkt(struct pcapw_file *f, int64_t ts_ns, const struct pcapw_pkt *p);
/* Close and free *f; sets it NULL. */
void pcapw_close(struct pcapw_file **f);

#endif
