/*
 * pcapw.c: the packet builder and pcap writer of pcapw.h.  Test code: any
 * misuse aborts with a message naming the call.
 */
#include "tests/helpers/pcapw.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compat.h"

struct pcapw_file {
    FILE *fp; /* owned */
    uint32_t snaplen;
};

static void die(const char *what)
{
    fprintf(stderr, "pcapw: %s\n", what);
    abort();
}

static uint8_t *room(struct pcapw_pkt *p, size_t n)
{
    uint8_t *at;

    if (n > PCAPW_MAX - p->len)
        die("packet larger than PCAPW_MAX");
    at = p->b + p->len;
    memset(at, 0, n);
    p->len += n;
    return at;
}

static void put16(uint8_t *at, uint32_t v)
{
    at[0] = (uint8_t)(v >> 8);
    at[1] = (uint8_t)v;
}

static void put32(uint8_t *at, uint32_t v)
{
    at[0] = (uint8_t)(v >> 24);
    at[1] = (uint8_t)(v >> 16);
    at[2] = (uint8_t)(v >> 8);
    at[3] = (uint8_t)v;
}

static void fixup(struct pcapw_pkt *p, size_t off, int kind)
{
    if (p->quoting)
        return;
    if (p->nfix == PCAPW_FIXUPS)
        die("too many headers to fix up");
    p->fix[p->nfix].off = off;
    p->fix[p->nfix].kind = kind;
    p->nfix++;
}

static int addr(const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, out) != 1)
            die("bad IPv6 address");
        return 6;
    }
    if (inet_pton(AF_INET, s, out) != 1)
        die("bad IPv4 address");
    return 4;
}

void pcapw_init(struct pcapw_pkt *p, int dlt)
{
    p->len = 0;
    p->dlt = dlt;
    p->quoting = 0;
    p->nfix = 0;
}

void pcapw_eth(struct pcapw_pkt *p, uint16_t type)
{
    static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
    uint8_t *h = room(p, 14);

    memcpy(h, macs, 12);
    put16(h + 12, type);
}

void pcapw_vlan(struct pcapw_pkt *p, uint16_t vid, uint16_t type)
{
    uint8_t *h = room(p, 4);

    put16(h, vid & 0x0fffu);
    put16(h + 2, type);
}

void pcapw_sll(struct pcapw_pkt *p, uint16_t type)
{
    uint8_t *h = room(p, 16);

    put16(h, 0);     /* packet type: to us */
    put16(h + 2, 1); /* ARPHRD_ETHER */
    put16(h + 4, 6); /* address length */
    h[6] = 0x02;
    h[11] = 0x01;
    put16(h + 14, type);
}

void pcapw_sll2(struct pcapw_pkt *p, uint16_t type, uint32_t ifindex)
{
    uint8_t *h = room(p, 20);

    put16(h, type);
    put32(h + 4, ifindex);
    put16(h + 8, 1); /* ARPHRD_ETHER */
    h[10] = 0;       /* to us */
    h[11] = 6;
    h[12] = 0x02;
    h[17] = 0x01;
}

void pcapw_null(struct pcapw_pkt *p, uint32_t family, int big_endian)
{
    uint8_t *h = room(p, 4);

    if (big_endian) {
        put32(h, family);
    } else {
        h[0] = (uint8_t)family;
        h[1] = (uint8_t)(family >> 8);
        h[2] = (uint8_t)(family >> 16);
        h[3] = (uint8_t)(family >> 24);
    }
}

void pcapw_ipv4(struct pcapw_pkt *p, const struct pcapw_ip *ip)
{
    size_t off = p->len;
    size_t hl = 20 + ip->opt_len;
    uint8_t *h;
    uint16_t ff;
    uint8_t a[16], b[16];

    if (ip->opt_len % 4 || ip->opt_len > 40)
        die("IPv4 options must be a multiple of 4, at most 40");
    h = room(p, hl);
    h[0] = (uint8_t)(0x40 | (hl / 4));
    put16(h + 2, ip->tot_len);
    put16(h + 4, ip->id);
    ff = (uint16_t)(((unsigned)ip->frag_off / 8) | (ip->mf ? 0x2000u : 0) | (ip->df ? 0x4000u : 0));
    put16(h + 6, ff);
    h[8] = ip->ttl ? ip->ttl : 64;
    h[9] = ip->proto;
    if (addr(ip->src, a) != 4 || addr(ip->dst, b) != 4)
        die("pcapw_ipv4 given an IPv6 address");
    memcpy(h + 12, a, 4);
    memcpy(h + 16, b, 4);
    for (size_t i = 0; i < ip->opt_len; i++)
        h[20 + i] = i + 1 == ip->opt_len ? 0 : 1; /* NOPs, then EOL */
    fixup(p, off, 4);
}

void pcapw_ipv6(struct pcapw_pkt *p, const struct pcapw_ip *ip)
{
    size_t off = p->len;
    uint8_t *h = room(p, 40);

    h[0] = 0x60;
    put16(h + 4, ip->tot_len);
    h[6] = ip->proto;
    h[7] = ip->ttl ? ip->ttl : 64;
    if (addr(ip->src, h + 8) != 6 || addr(ip->dst, h + 24) != 6)
        die("pcapw_ipv6 given an IPv4 address");
    fixup(p, off, 6);
}

void pcapw_ipv6_ext(struct pcapw_pkt *p, uint8_t next, size_t len)
{
    uint8_t *h;

    if (len < 8 || len % 8 || len > 2048)
        die("IPv6 extension header length must be a multiple of 8");
    h = room(p, len);
    h[0] = next;
    h[1] = (uint8_t)(len / 8 - 1);
    h[2] = 1; /* PadN covering the rest */
    h[3] = (uint8_t)(len - 4);
}

void pcapw_ipv6_frag(struct pcapw_pkt *p, uint8_t next, uint16_t offset, int more, uint32_t id)
{
    uint8_t *h = room(p, 8);

    h[0] = next;
    put16(h + 2, (uint16_t)((offset & 0xfff8u) | (more ? 1u : 0u)));
    put32(h + 4, id);
}

void pcapw_tcp(struct pcapw_pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
               uint32_t ack, size_t payload)
{
    uint8_t *h = room(p, 20);

    put16(h, sport);
    put16(h + 2, dport);
    put32(h + 4, seq);
    put32(h + 8, ack);
    h[12] = 5 << 4;
    h[13] = flags;
    put16(h + 14, 65535);
    if (!p->quoting)
        room(p, payload);
}

void pcapw_udp(struct pcapw_pkt *p, uint16_t sport, uint16_t dport, size_t payload)
{
    size_t off = p->len;
    uint8_t *h = room(p, 8);

    put16(h, sport);
    put16(h + 2, dport);
    put16(h + 4, (uint32_t)(8 + payload));
    if (!p->quoting)
        room(p, payload);
    fixup(p, off, 17);
}

void pcapw_sctp(struct pcapw_pkt *p, uint16_t sport, uint16_t dport, size_t payload)
{
    uint8_t *h = room(p, 12);

    put16(h, sport);
    put16(h + 2, dport);
    put32(h + 4, 0x01020304); /* verification tag */
    if (!p->quoting)
        room(p, payload);
}

void pcapw_icmp(struct pcapw_pkt *p, uint8_t type, uint8_t code, uint32_t rest, size_t payload)
{
    uint8_t *h = room(p, 8);

    h[0] = type;
    h[1] = code;
    put32(h + 4, rest);
    room(p, payload);
}

void pcapw_vxlan(struct pcapw_pkt *p, uint32_t vni)
{
    uint8_t *h = room(p, 8);

    h[0] = 0x08; /* I flag: the VNI is valid */
    put32(h + 4, vni << 8);
}

void pcapw_payload(struct pcapw_pkt *p, size_t n)
{
    room(p, n);
}

void pcapw_quote_begin(struct pcapw_pkt *p)
{
    p->quoting = 1;
}

static uint16_t csum(const uint8_t *d, size_t n)
{
    uint32_t s = 0;

    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)d[i] << 8 | d[i + 1];
    if (n & 1)
        s += (uint32_t)d[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

void pcapw_finish(struct pcapw_pkt *p)
{
    /* Innermost first does not matter: each length is "to the end". */
    for (size_t i = 0; i < p->nfix; i++) {
        size_t off = p->fix[i].off;
        size_t n = p->len - off;
        switch (p->fix[i].kind) {
        case 4: {
            size_t hl = (size_t)(p->b[off] & 0x0f) * 4;
            put16(p->b + off + 2, (uint32_t)n);
            put16(p->b + off + 10, 0);
            put16(p->b + off + 10, csum(p->b + off, hl));
            break;
        }
        case 6:
            put16(p->b + off + 4, (uint32_t)(n - 40));
            break;
        case 17:
            put16(p->b + off + 4, (uint32_t)n);
            break;
        default:
            die("unknown fixup");
        }
    }
    p->quoting = 0;
    p->nfix = 0;
}

static void ip_of(struct pcapw_pkt *p, const char *src, const char *dst, uint8_t proto)
{
    struct pcapw_ip ip;

    memset(&ip, 0, sizeof(ip));
    ip.src = src;
    ip.dst = dst;
    if (strchr(src, ':')) {
        ip.proto = proto == 1 ? 58 : proto;
        pcapw_eth(p, 0x86dd);
        pcapw_ipv6(p, &ip);
    } else {
        ip.proto = proto;
        pcapw_eth(p, 0x0800);
        pcapw_ipv4(p, &ip);
    }
}

void pcapw_tcp_frame(struct pcapw_pkt *p, const char *src, uint16_t sport, const char *dst,
                     uint16_t dport, uint8_t flags, uint32_t seq, size_t payload)
{
    pcapw_init(p, PCAPW_DLT_EN10MB);
    ip_of(p, src, dst, 6);
    pcapw_tcp(p, sport, dport, flags, seq, (flags & PCAPW_ACK) ? 1 : 0, payload);
    pcapw_finish(p);
}

void pcapw_udp_frame(struct pcapw_pkt *p, const char *src, uint16_t sport, const char *dst,
                     uint16_t dport, size_t payload)
{
    pcapw_init(p, PCAPW_DLT_EN10MB);
    ip_of(p, src, dst, 17);
    pcapw_udp(p, sport, dport, payload);
    pcapw_finish(p);
}

void pcapw_echo_frame(struct pcapw_pkt *p, const char *src, const char *dst, uint16_t id,
                      uint16_t seq, int reply)
{
    int v6 = strchr(src, ':') != NULL;
    uint8_t type = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);

    pcapw_init(p, PCAPW_DLT_EN10MB);
    ip_of(p, src, dst, 1);
    pcapw_icmp(p, type, 0, (uint32_t)id << 16 | seq, 56);
    pcapw_finish(p);
}

void pcapw_icmp_error_frame(struct pcapw_pkt *p, const char *from, uint8_t type, uint8_t code,
                            uint8_t proto, const char *qsrc, uint16_t qsport, const char *qdst,
                            uint16_t qdport)
{
    struct pcapw_ip q;

    pcapw_init(p, PCAPW_DLT_EN10MB);
    ip_of(p, from, qsrc, 1);
    pcapw_icmp(p, type, code, 0, 0);
    pcapw_quote_begin(p);
    memset(&q, 0, sizeof(q));
    q.src = qsrc;
    q.dst = qdst;
    q.proto = proto;
    if (strchr(qsrc, ':')) {
        q.tot_len = 8 + 100;
        pcapw_ipv6(p, &q);
    } else {
        q.tot_len = 20 + 8 + 100;
        pcapw_ipv4(p, &q);
    }
    switch (proto) {
    case 6:
        pcapw_tcp(p, qsport, qdport, PCAPW_SYN, 1000, 0, 0);
        break;
    case 17:
        pcapw_udp(p, qsport, qdport, 100);
        break;
    default:
        pcapw_sctp(p, qsport, qdport, 0);
        break;
    }
    pcapw_finish(p);
}

/* --- files -------------------------------------------------------------- */

static void le32(uint8_t *at, uint32_t v)
{
    at[0] = (uint8_t)v;
    at[1] = (uint8_t)(v >> 8);
    at[2] = (uint8_t)(v >> 16);
    at[3] = (uint8_t)(v >> 24);
}

struct pcapw_file *pcapw_open(const char *path, int linktype, uint32_t snaplen)
{
    struct pcapw_file *f = calloc(1, sizeof(*f));
    uint8_t h[24];

    if (!f)
        die("out of memory");
    f->fp = fopen(path, "wb");
    if (!f->fp)
        die("cannot create the pcap file");
    f->snaplen = snaplen ? snaplen : 262144;
    le32(h, 0xa1b23c4d); /* nanosecond-resolution pcap */
    h[4] = 2;            /* version 2.4 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    le32(h + 8, 0);  /* thiszone */
    le32(h + 12, 0); /* sigfigs */
    le32(h + 16, f->snaplen);
    le32(h + 20, (uint32_t)linktype);
    if (fwrite(h, sizeof(h), 1, f->fp) != 1)
        die("cannot write the pcap header");
    return f;
}

void pcapw_write(struct pcapw_file *f, int64_t ts_ns, const uint8_t *data, size_t caplen,
                 size_t wirelen)
{
    uint8_t h[16];

    if (caplen > f->snaplen)
        caplen = f->snaplen;
    le32(h, (uint32_t)(ts_ns / 1000000000));
    le32(h + 4, (uint32_t)(ts_ns % 1000000000));
    le32(h + 8, (uint32_t)caplen);
    le32(h + 12, (uint32_t)wirelen);
    if (fwrite(h, sizeof(h), 1, f->fp) != 1 || (caplen && fwrite(data, caplen, 1, f->fp) != 1))
        die("cannot write a pcap record");
}

void pcapw_write_pkt(struct pcapw_file *f, int64_t ts_ns, const struct pcapw_pkt *p)
{
    pcapw_write(f, ts_ns, p->b, p->len, p->len);
}

void pcapw_close(struct pcapw_file **fp)
{
    struct pcapw_file *f = *fp;

    if (!f)
        return;
    if (fclose(f->fp) != 0)
        die("cannot close the pcap file");
    free(f);
    *fp = NULL;
}
