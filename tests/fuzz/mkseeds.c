/*
 * mkseeds.c: write the packet seed corpora of the decode and pcap fuzz
 * targets from exact packet sequences built with tests/helpers/pcapw.c.
 *
 *     mkseeds DIR      writes DIR/decode/<name> and DIR/pcap/<name>.pcap,
 *                      DIR/pcap/<name>.pcapng for each sequence, and
 *                      DIR/decode_fast/<name>-<i>[-cut] for each Ethernet frame
 *
 * (make fuzz-seeds regenerates tests/fuzz/corpus/{decode,pcap,decode_fast}.)  Each
 * sequence is one flow's story: a handshake and close, a refused SYN, a UDP
 * exchange with the ICMP error quoting it (v4 and v6), an echo, and the
 * encapsulations and link types the decoder reads (VLAN, SLL, SLL2, null,
 * loop, raw, IP-in-IP, VXLAN) and fragments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/pcapw.h"
#include "common/compat.h"

#define MAXP 8

struct seq {
    const char *name;
    int dlt;
    struct pcapw_pkt p[MAXP];
    size_t n;
};

/* Index of dlt in fuzz_decode.c's table (its first input byte). */
static int decode_index(int dlt)
{
    static const int dlts[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};

    for (size_t i = 0; i < ARRAY_SIZE(dlts); i++)
        if (dlts[i] == dlt)
            return (int)i;
    abort();
}

static void put32(FILE *f, uint32_t v)
{
    (void)!fwrite(&v, 4, 1, f); /* pcapng: the writer's byte order (little here) */
}

static void put16(FILE *f, uint16_t v)
{
    (void)!fwrite(&v, 2, 1, f);
}

/* pcapng (draft-ietf-opsawg-pcapng): SHB, one IDB with if_tsresol 9
 * (nanoseconds), an EPB per packet. */
static void write_pcapng(const char *path, const struct seq *s, int64_t t0)
{
    FILE *f = fopen(path, "wb");

    if (!f)
        abort();
    put32(f, 0x0A0D0D0A);
    put32(f, 28);
    put32(f, 0x1A2B3C4D);
    put16(f, 1);
    put16(f, 0);
    put32(f, 0xffffffff);
    put32(f, 0xffffffff);
    put32(f, 28);
    put32(f, 1);
    put32(f, 32);
    put16(f, (uint16_t)s->dlt);
    put16(f, 0);
    put32(f, 262144);
    put16(f, 9);
    put16(f, 1);
    put32(f, 9); /* if_tsresol = 9, padded */
    put16(f, 0);
    put16(f, 0); /* opt_endofopt */
    put32(f, 32);
    for (size_t i = 0; i < s->n; i++) {
        uint64_t ts = (uint64_t)(t0 + (int64_t)i * 1000000);
        size_t len = s->p[i].len, pad = (4 - len % 4) % 4;
        uint32_t blen = (uint32_t)(32 + len + pad);
        static const uint8_t zero[4];

        put32(f, 6);
        put32(f, blen);
        put32(f, 0);
        put32(f, (uint32_t)(ts >> 32));
        put32(f, (uint32_t)ts);
        put32(f, (uint32_t)len);
        put32(f, (uint32_t)len);
        (void)!fwrite(s->p[i].b, 1, len, f);
        (void)!fwrite(zero, 1, pad, f);
        put32(f, blen);
    }
    if (fclose(f))
        abort();
}

static void write_seq(const char *dir, const struct seq *s)
{
    char path[512];
    FILE *f;
    struct pcapw_file *pf;
    int64_t t0 = INT64_C(1700000000000000000);

    snprintf(path, sizeof(path), "%s/decode/%s", dir, s->name);
    f = fopen(path, "wb");
    if (!f)
        abort();
    fputc(decode_index(s->dlt), f);
    for (size_t i = 0; i < s->n; i++) {
        fputc((int)(s->p[i].len >> 8), f);
        fputc((int)(s->p[i].len & 0xff), f);
        fputc(1, f); /* 250 ms later */
        (void)!fwrite(s->p[i].b, 1, s->p[i].len, f);
    }
    if (fclose(f))
        abort();
    /* decode_fast: each Ethernet frame whole, and cut short of its wire
     * length (mode 1, 8 x 64 bytes more on the wire). */
    for (size_t i = 0; s->dlt == 1 && i < s->n; i++) {
        for (int mode = 0; mode < 2; mode++) {
            snprintf(path, sizeof(path), "%s/decode_fast/%s-%zu%s", dir, s->name, i,
                     mode ? "-cut" : "");
            f = fopen(path, "wb");
            if (!f)
                abort();
            fputc(mode, f);
            fputc(mode ? 64 : 0, f);
            (void)!fwrite(s->p[i].b, 1, mode ? s->p[i].len / 2 : s->p[i].len, f);
            if (fclose(f))
                abort();
        }
    }
    snprintf(path, sizeof(path), "%s/pcap/%s.pcap", dir, s->name);
    pf = pcapw_open(path, s->dlt == 12 ? 101 : s->dlt, 262144);
    for (size_t i = 0; i < s->n; i++)
        pcapw_write_pkt(pf, t0 + (int64_t)i * 1000000, &s->p[i]);
    pcapw_close(&pf);
    snprintf(path, sizeof(path), "%s/pcap/%s.pcapng", dir, s->name);
    write_pcapng(path, s, t0);
}

static struct pcapw_pkt *add(struct seq *s)
{
    if (s->n == MAXP)
        abort();
    return &s->p[s->n++];
}

/* A TCP packet over link type dlt (and an encapsulation for EN10MB). */
enum encap { PLAIN, VLAN, IPIP, VXLAN };

static void tcp_pkt(struct seq *s, enum encap e, const char *a, uint16_t ap, const char *b,
                    uint16_t bp, uint8_t fl)
{
    struct pcapw_pkt *p = add(s);
    struct pcapw_ip ip = {.src = a, .dst = b, .proto = 6};
    struct pcapw_ip outer = {.src = "198.18.1.1", .dst = "198.18.1.2", .proto = 4};
    int v6 = strchr(a, ':') != NULL;

    pcapw_init(p, s->dlt);
    switch (s->dlt) {
    case 0:
        pcapw_null(p, v6 ? 10 : 2, 0);
        break;
    case 108:
        pcapw_null(p, v6 ? 24 : 2, 1);
        break;
    case 113:
        pcapw_sll(p, v6 ? 0x86dd : 0x0800);
        break;
    case 276:
        pcapw_sll2(p, v6 ? 0x86dd : 0x0800, 3);
        break;
    case 1:
        if (e == VLAN) {
            pcapw_eth(p, 0x8100);
            pcapw_vlan(p, 42, v6 ? 0x86dd : 0x0800);
        } else {
            pcapw_eth(p, 0x0800);
        }
        if (e == IPIP) {
            outer.proto = v6 ? 41 : 4;
            pcapw_ipv4(p, &outer);
        } else if (e == VXLAN) {
            outer.proto = 17;
            pcapw_ipv4(p, &outer);
            pcapw_udp(p, 44444, 4789, 0);
            pcapw_vxlan(p, 4096);
            pcapw_eth(p, v6 ? 0x86dd : 0x0800);
        } else if (v6 && e == PLAIN) {
            p->len = 0;
            pcapw_eth(p, 0x86dd);
        }
        break;
    default:
        break;
    }
    if (v6)
        pcapw_ipv6(p, &ip);
    else
        pcapw_ipv4(p, &ip);
    pcapw_tcp(p, ap, bp, fl, fl & PCAPW_ACK ? 500 : 100, fl & PCAPW_ACK ? 101 : 0, 0);
    pcapw_finish(p);
}

static void handshake(struct seq *s, enum encap e, const char *a, const char *b)
{
    tcp_pkt(s, e, a, 40000, b, 80, PCAPW_SYN);
    tcp_pkt(s, e, b, 80, a, 40000, PCAPW_SYN | PCAPW_ACK);
    tcp_pkt(s, e, a, 40000, b, 80, PCAPW_ACK);
    tcp_pkt(s, e, a, 40000, b, 80, PCAPW_FIN | PCAPW_ACK);
    tcp_pkt(s, e, b, 80, a, 40000, PCAPW_FIN | PCAPW_ACK);
    tcp_pkt(s, e, a, 40000, b, 80, PCAPW_ACK);
}

int main(int argc, char **argv)
{
    static struct seq s;
    const char *dir;
    struct pcapw_pkt *p;

    if (argc != 2) {
        fprintf(stderr, "usage: mkseeds DIR\n");
        return 2;
    }
    dir = argv[1];

#define BEGIN(n, d) memset(&s, 0, sizeof(s)), s.name = (n), s.dlt = (d)
    BEGIN("tcp-sf", 1);
    handshake(&s, PLAIN, "198.18.0.1", "198.18.0.2");
    write_seq(dir, &s);
    BEGIN("tcp6-sf", 1);
    handshake(&s, PLAIN, "2001:db8::1", "2001:db8::2");
    write_seq(dir, &s);
    BEGIN("tcp-rej", 1);
    tcp_pkt(&s, PLAIN, "198.18.0.1", 40001, "198.18.0.2", 81, PCAPW_SYN);
    tcp_pkt(&s, PLAIN, "198.18.0.2", 81, "198.18.0.1", 40001, PCAPW_RST | PCAPW_ACK);
    write_seq(dir, &s);
    BEGIN("vlan", 1);
    handshake(&s, VLAN, "198.18.0.1", "198.18.0.2");
    write_seq(dir, &s);
    BEGIN("ipip", 1);
    handshake(&s, IPIP, "198.18.0.1", "198.18.0.2");
    write_seq(dir, &s);
    BEGIN("6in4", 1);
    handshake(&s, IPIP, "2001:db8::1", "2001:db8::2");
    write_seq(dir, &s);
    BEGIN("vxlan", 1);
    handshake(&s, VXLAN, "198.18.0.1", "198.18.0.2");
    write_seq(dir, &s);
    BEGIN("sll", 113);
    handshake(&s, PLAIN, "198.18.0.1", "198.18.0.2");
    write_seq(dir, &s);
    BEGIN("sll2-v6", 276);
    handshake(&s, PLAIN, "2001:db8::1", "2001:db8::2");
    write_seq(dir, &s);
    BEGIN("null", 0);
    handshake(&s, PLAIN, "198.18.0.1", "198.18.0.2");
    write_seq(dir, &s);
    BEGIN("loop6", 108);
    handshake(&s, PLAIN, "2001:db8::1", "2001:db8::2");
    write_seq(dir, &s);
    BEGIN("raw", 12);
    handshake(&s, PLAIN, "198.18.0.1", "198.18.0.2");
    write_seq(dir, &s);
    BEGIN("raw6", 229);
    tcp_pkt(&s, PLAIN, "2001:db8::1", 40000, "2001:db8::2", 80, PCAPW_SYN);
    write_seq(dir, &s);

    BEGIN("udp-icmp-unreach", 1);
    pcapw_udp_frame(add(&s), "198.18.0.1", 5353, "198.18.0.2", 53, 20);
    pcapw_icmp_error_frame(add(&s), "198.18.0.2", 3, 3, 17, "198.18.0.1", 5353, "198.18.0.2", 53);
    pcapw_icmp_error_frame(add(&s), "198.18.0.9", 3, 13, 6, "198.18.0.1", 1, "198.18.0.2", 2);
    write_seq(dir, &s);
    BEGIN("udp6-icmp6-unreach", 1);
    pcapw_udp_frame(add(&s), "2001:db8::1", 5353, "2001:db8::2", 53, 20);
    pcapw_icmp_error_frame(add(&s), "2001:db8::2", 1, 4, 17, "2001:db8::1", 5353, "2001:db8::2",
                           53);
    pcapw_icmp_error_frame(add(&s), "2001:db8::2", 2, 0, 17, "2001:db8::1", 5353, "2001:db8::2",
                           53);
    write_seq(dir, &s);
    BEGIN("echo", 1);
    pcapw_echo_frame(add(&s), "198.18.0.1", "198.18.0.2", 7, 1, 0);
    pcapw_echo_frame(add(&s), "198.18.0.2", "198.18.0.1", 7, 1, 1);
    pcapw_echo_frame(add(&s), "2001:db8::1", "2001:db8::2", 8, 1, 0);
    pcapw_echo_frame(add(&s), "2001:db8::2", "2001:db8::1", 8, 1, 1);
    write_seq(dir, &s);

    BEGIN("frag", 1);
    p = add(&s);
    pcapw_init(p, 1);
    pcapw_eth(p, 0x0800);
    pcapw_ipv4(p, &(struct pcapw_ip){.src = "198.18.0.1",
                                     .dst = "198.18.0.2",
                                     .proto = 17,
                                     .id = 4242,
                                     .mf = 1,
                                     .opt_len = 8});
    pcapw_udp(p, 1000, 2000, 64);
    pcapw_finish(p);
    p = add(&s);
    pcapw_init(p, 1);
    pcapw_eth(p, 0x0800);
    pcapw_ipv4(
        p, &(struct pcapw_ip){
               .src = "198.18.0.1", .dst = "198.18.0.2", .proto = 17, .id = 4242, .frag_off = 72});
    pcapw_payload(p, 32);
    pcapw_finish(p);
    p = add(&s);
    pcapw_init(p, 1);
    pcapw_eth(p, 0x86dd);
    pcapw_ipv6(p, &(struct pcapw_ip){.src = "2001:db8::1", .dst = "2001:db8::2", .proto = 0});
    pcapw_ipv6_ext(p, 44, 8);
    pcapw_ipv6_frag(p, 6, 0, 1, 0xabcdef);
    pcapw_tcp(p, 40000, 443, PCAPW_SYN, 1, 0, 16);
    pcapw_finish(p);
    p = add(&s);
    pcapw_init(p, 1);
    pcapw_eth(p, 0x86dd);
    pcapw_ipv6(p, &(struct pcapw_ip){.src = "2001:db8::1", .dst = "2001:db8::2", .proto = 44});
    pcapw_ipv6_frag(p, 6, 1024, 0, 0xabcdef);
    pcapw_payload(p, 16);
    pcapw_finish(p);
    write_seq(dir, &s);

    BEGIN("sctp", 1);
    p = add(&s);
    pcapw_init(p, 1);
    pcapw_eth(p, 0x0800);
    pcapw_ipv4(p, &(struct pcapw_ip){.src = "198.18.0.1", .dst = "198.18.0.2", .proto = 132});
    pcapw_sctp(p, 5000, 36412, 16);
    pcapw_finish(p);
    write_seq(dir, &s);
    return 0;
}
