/*
 * test_decode.c: the packet decoder (capture/decode.c) on exact frames from
 * tests/helpers/pcapw: header fields, options and extension headers,
 * padding and TSO lengths, quoted packets, and every malformed or
 * truncated frame counted, never read past (each truncated copy lives in a
 * heap block of its exact size so ASan sees any overread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "capture/decode.h"
#include "capture/decode_int.h"
#include "capture/flow.h"
#include "tests/helpers/pcapw.h"
#include "common/compat.h"

static enum decode_result dec(const struct pcapw_pkt *p, struct decode_pkt *out)
{
    return decode_frame(p->dlt, p->b, p->len, p->len, out);
}

static void test_fields(void **state)
{
    struct pcapw_pkt p;
    struct decode_pkt d;
    struct pcapw_ip ip = {.src = "198.18.0.1", .dst = "198.18.0.2", .proto = 6, .opt_len = 12};

    (void)state;
    /* IPv4 with 12 bytes of options */
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0800);
    pcapw_ipv4(&p, &ip);
    pcapw_tcp(&p, 1234, 443, PCAPW_SYN, 0xdeadbeef, 0, 7);
    pcapw_finish(&p);
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.family, 4);
    assert_int_equal(d.proto, 6);
    assert_int_equal(d.l4, DECODE_L4_PORTS);
    assert_int_equal(d.sport, 1234);
    assert_int_equal(d.dport, 443);
    assert_true(d.tcp_seq == 0xdeadbeef);
    assert_int_equal(d.tcp_flags, PCAPW_SYN);
    assert_int_equal(d.payload, 7);
    assert_int_equal(d.ip_len, 32 + 20 + 7);
    assert_int_equal(d.vlan, -1);
    assert_int_equal(d.src[0], 198);
    assert_int_equal(d.dst[3], 2);

    /* Ethernet padding after the IP packet is not counted or parsed */
    pcapw_udp_frame(&p, "198.18.0.1", 1, "198.18.0.2", 2, 0);
    pcapw_payload(&p, 18); /* pad 42 -> 60 bytes */
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.ip_len, 28);
    assert_int_equal(d.payload, 0);

    /* IPv4 total length 0: a TSO send, the wire length is taken */
    pcapw_tcp_frame(&p, "198.18.0.1", 1, "198.18.0.2", 2, PCAPW_ACK, 1, 3000);
    p.b[16] = p.b[17] = 0;
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.ip_len, 20 + 20 + 3000);
    assert_int_equal(d.payload, 3000);

    /* not IP: ARP */
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0806);
    pcapw_payload(&p, 28);
    assert_int_equal(dec(&p, &d), DECODE_NOT_IP);
    /* 802.3 length field (LLC follows) */
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 46);
    pcapw_payload(&p, 46);
    assert_int_equal(dec(&p, &d), DECODE_NOT_IP);
    /* unknown link type */
    assert_int_equal(decode_frame(147, p.b, p.len, p.len, &d), DECODE_BAD_DLT);
    assert_int_equal(decode_dlt_supported(147), 0);
    assert_int_equal(flow_dlt_supported(276), 1);
}

static void test_ipv6_chain(void **state)
{
    struct pcapw_pkt p;
    struct decode_pkt d;
    struct pcapw_ip ip = {.src = "2001:db8::1", .dst = "2001:db8::2", .proto = 0};

    (void)state;
    /* Hop-by-Hop, Destination Options, Routing, then SCTP */
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x86dd);
    pcapw_ipv6(&p, &ip);
    pcapw_ipv6_ext(&p, 60, 8);
    pcapw_ipv6_ext(&p, 43, 16);
    pcapw_ipv6_ext(&p, 132, 24);
    pcapw_sctp(&p, 3868, 3869, 16);
    pcapw_finish(&p);
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.family, 6);
    assert_int_equal(d.proto, 132);
    assert_int_equal(d.sport, 3868);
    assert_int_equal(d.dport, 3869);
    assert_int_equal(d.ip_len, 40 + 48 + 12 + 16);

    /* LIM_IPV6_EXT_HDRS (8) Destination Options headers pass, 9 do not */
    for (int n = 8; n <= 9; n++) {
        ip.proto = 60;
        pcapw_init(&p, PCAPW_DLT_EN10MB);
        pcapw_eth(&p, 0x86dd);
        pcapw_ipv6(&p, &ip);
        for (int i = 0; i < n; i++)
            pcapw_ipv6_ext(&p, i + 1 < n ? 60 : 17, 8);
        pcapw_udp(&p, 1, 2, 0);
        pcapw_finish(&p);
        assert_int_equal(dec(&p, &d), n == 8 ? DECODE_OK : DECODE_MALFORMED);
    }

    /* ESP: no ports, proto 50 */
    ip.proto = 50;
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x86dd);
    pcapw_ipv6(&p, &ip);
    pcapw_payload(&p, 32);
    pcapw_finish(&p);
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.proto, 50);
    assert_int_equal(d.l4, DECODE_L4_NONE);
}

static void test_icmp_quote(void **state)
{
    struct pcapw_pkt p;
    struct decode_pkt d;

    (void)state;
    pcapw_icmp_error_frame(&p, "198.18.0.254", 3, 13, 6, "198.18.0.1", 40000, "198.18.0.2", 80);
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.l4, DECODE_L4_ICMP_ERROR);
    assert_int_equal(d.icmp_type, 3);
    assert_int_equal(d.icmp_code, 13);
    assert_int_equal(d.quoted.ok, 1);
    assert_int_equal(d.quoted.proto, 6);
    assert_int_equal(d.quoted.sport, 40000);
    assert_int_equal(d.quoted.dport, 80);
    assert_int_equal(d.quoted.src[3], 1);
    assert_int_equal(d.quoted.dst[3], 2);

    pcapw_icmp_error_frame(&p, "2001:db8::2", 1, 4, 17, "2001:db8::1", 5353, "2001:db8::2", 53);
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.l4, DECODE_L4_ICMP_ERROR);
    assert_int_equal(d.quoted.ok, 1);
    assert_int_equal(d.quoted.family, 6);
    assert_int_equal(d.quoted.sport, 5353);

    /* a quote cut before the ports: recognised as an error, not matchable */
    pcapw_icmp_error_frame(&p, "198.18.0.254", 3, 1, 17, "198.18.0.1", 1, "198.18.0.2", 2);
    p.len -= 6;
    p.b[16] = 0;
    p.b[17] = (uint8_t)(p.len - 14);
    assert_int_equal(dec(&p, &d), DECODE_OK);
    assert_int_equal(d.l4, DECODE_L4_ICMP_ERROR);
    assert_int_equal(d.quoted.ok, 0);

    assert_int_equal(decode_icmp_is_error(4, 3), 1);
    assert_int_equal(decode_icmp_is_error(4, 8), 0);
    assert_int_equal(decode_icmp_is_error(6, 2), 1);
    assert_int_equal(decode_icmp_is_error(6, 128), 0);
}

/* Hand-broken frames: each is counted malformed by the flow table. */
static void test_malformed(void **state)
{
    struct pcapw_pkt base, p;
    struct decode_pkt d;
    static const struct {
        size_t off;
        uint8_t val;
        const char *why;
    } cases[] = {
        {14, 0x44, "IHL 4 (< 20 bytes)"},
        {14, 0x55, "IP version 5 under EtherType IPv4"},
        {16, 0x00, "total length 0x00xx smaller than the header"},
        {16, 0xff, "total length past the wire"},
        {14 + 20 + 12, 0x40, "TCP data offset 4"},
        {14 + 20 + 12, 0xf0, "TCP data offset 60 past the packet"},
    };
    struct flow_stats st;
    struct flow_table *ft = flow_table_new(NULL, NULL, NULL);

    (void)state;
    pcapw_tcp_frame(&base, "198.18.0.1", 1, "198.18.0.2", 2, PCAPW_SYN, 1, 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        p = base;
        p.b[cases[i].off] = cases[i].val;
        if (cases[i].off == 16 && cases[i].val == 0)
            p.b[17] = 10;
        print_message("malformed: %s\n", cases[i].why);
        assert_int_equal(dec(&p, &d), DECODE_MALFORMED);
        assert_int_equal(flow_table_packet(ft, p.dlt, 1, p.b, p.len, p.len, 0), 0);
    }
    /* UDP length 4 */
    pcapw_udp_frame(&p, "198.18.0.1", 1, "198.18.0.2", 2, 10);
    p.b[14 + 20 + 5] = 4;
    assert_int_equal(dec(&p, &d), DECODE_MALFORMED);
    assert_int_equal(flow_table_packet(ft, p.dlt, 1, p.b, p.len, p.len, 0), 0);
    /* IPIP whose inner header is IPv6 */
    {
        struct pcapw_ip o = {.src = "10.0.0.1", .dst = "10.0.0.2", .proto = 4};
        struct pcapw_ip in6 = {.src = "2001:db8::1", .dst = "2001:db8::2", .proto = 59};
        pcapw_init(&p, PCAPW_DLT_EN10MB);
        pcapw_eth(&p, 0x0800);
        pcapw_ipv4(&p, &o);
        pcapw_ipv6(&p, &in6);
        pcapw_finish(&p);
        assert_int_equal(dec(&p, &d), DECODE_MALFORMED);
        assert_int_equal(flow_table_packet(ft, p.dlt, 1, p.b, p.len, p.len, 0), 0);
    }
    /* IPIP nested past LIM_ENCAP_DEPTH (4) */
    {
        struct pcapw_ip o = {.src = "10.0.0.1", .dst = "10.0.0.2", .proto = 4};
        pcapw_init(&p, PCAPW_DLT_EN10MB);
        pcapw_eth(&p, 0x0800);
        for (int i = 0; i < 6; i++)
            pcapw_ipv4(&p, &o);
        o.proto = 17;
        pcapw_ipv4(&p, &o);
        pcapw_udp(&p, 1, 2, 0);
        pcapw_finish(&p);
        assert_int_equal(dec(&p, &d), DECODE_MALFORMED);
        assert_int_equal(flow_table_packet(ft, p.dlt, 1, p.b, p.len, p.len, 0), 0);
    }
    flow_table_stats(ft, &st);
    assert_true(st.malformed == ARRAY_SIZE(cases) + 3);
    assert_true(st.packets == ARRAY_SIZE(cases) + 3);
    assert_int_equal(st.active, 0);
    flow_table_free(&ft);
}

/* Frames of every kind, for the truncation loop. */
static size_t build_all(struct pcapw_pkt *out, size_t max)
{
    struct pcapw_ip o4 = {.src = "10.0.0.1", .dst = "10.0.0.2", .proto = 17};
    struct pcapw_ip i4 = {.src = "198.18.0.1", .dst = "198.18.0.2", .proto = 6, .opt_len = 8};
    struct pcapw_ip i6 = {.src = "2001:db8::1", .dst = "2001:db8::2", .proto = 0};
    size_t n = 0;

    assert_true(max >= 8);
    /* VLAN + IPv4 options + TCP */
    pcapw_init(&out[n], PCAPW_DLT_EN10MB);
    pcapw_eth(&out[n], 0x8100);
    pcapw_vlan(&out[n], 5, 0x0800);
    pcapw_ipv4(&out[n], &i4);
    pcapw_tcp(&out[n], 1, 2, PCAPW_SYN, 1, 0, 0);
    pcapw_finish(&out[n++]);
    /* SLL2 + IPv6 with Hop-by-Hop and Fragment (first) + UDP */
    pcapw_init(&out[n], PCAPW_DLT_LINUX_SLL2);
    pcapw_sll2(&out[n], 0x86dd, 2);
    pcapw_ipv6(&out[n], &i6);
    pcapw_ipv6_ext(&out[n], 44, 8);
    pcapw_ipv6_frag(&out[n], 17, 0, 1, 77);
    pcapw_udp(&out[n], 3, 4, 8);
    pcapw_finish(&out[n++]);
    /* VXLAN carrying IPv4 TCP */
    pcapw_init(&out[n], PCAPW_DLT_EN10MB);
    pcapw_eth(&out[n], 0x0800);
    pcapw_ipv4(&out[n], &o4);
    pcapw_udp(&out[n], 9, 4789, 0);
    pcapw_vxlan(&out[n], 1);
    pcapw_eth(&out[n], 0x0800);
    i4.opt_len = 0;
    pcapw_ipv4(&out[n], &i4);
    pcapw_tcp(&out[n], 1, 2, PCAPW_SYN, 1, 0, 0);
    pcapw_finish(&out[n++]);
    /* ICMPv6 error quoting TCP */
    pcapw_icmp_error_frame(&out[n++], "2001:db8::fe", 1, 1, 6, "2001:db8::1", 1, "2001:db8::2", 2);
    /* ICMP error quoting UDP, under SLL */
    pcapw_icmp_error_frame(&out[n], "198.18.0.2", 3, 3, 17, "198.18.0.1", 1, "198.18.0.2", 2);
    memmove(out[n].b + 2, out[n].b, out[n].len);
    out[n].len += 2;
    out[n].dlt = PCAPW_DLT_LINUX_SLL;
    memset(out[n].b, 0, 14);
    out[n].b[14] = 0x08;
    out[n].b[15] = 0x00;
    n++;
    /* DLT_NULL IPv6 ICMPv6 echo */
    pcapw_init(&out[n], PCAPW_DLT_NULL);
    pcapw_null(&out[n], 10, 0);
    i6.proto = 58;
    pcapw_ipv6(&out[n], &i6);
    pcapw_icmp(&out[n], 128, 0, 0x10001, 8);
    pcapw_finish(&out[n++]);
    /* 6in4 with an SCTP inner */
    pcapw_init(&out[n], PCAPW_DLT_RAW);
    o4.proto = 41;
    pcapw_ipv4(&out[n], &o4);
    i6.proto = 132;
    pcapw_ipv6(&out[n], &i6);
    pcapw_sctp(&out[n], 5, 6, 4);
    pcapw_finish(&out[n++]);
    /* QinQ + IPIP + UDP */
    pcapw_init(&out[n], PCAPW_DLT_EN10MB);
    pcapw_eth(&out[n], 0x88a8);
    pcapw_vlan(&out[n], 7, 0x8100);
    pcapw_vlan(&out[n], 8, 0x0800);
    o4.proto = 4;
    pcapw_ipv4(&out[n], &o4);
    i4.proto = 17;
    pcapw_ipv4(&out[n], &i4);
    pcapw_udp(&out[n], 7, 8, 3);
    pcapw_finish(&out[n++]);
    return n;
}

/*
 * Every prefix of every frame, twice: cut on the wire (the IP length then
 * claims more than the frame holds: always malformed) and cut by the snap
 * length (wire length intact: decoded as far as the headers allow).
 */
static void test_truncation(void **state)
{
    static struct pcapw_pkt frames[8];
    size_t n = build_all(frames, ARRAY_SIZE(frames));
    struct flow_table *ft = flow_table_new(NULL, NULL, NULL);
    struct flow_stats st;
    uint64_t cuts = 0;

    (void)state;
    for (size_t f = 0; f < n; f++) {
        struct decode_pkt d;
        /* the whole frame decodes */
        assert_int_equal(decode_frame(frames[f].dlt, frames[f].b, frames[f].len, frames[f].len, &d),
                         DECODE_OK);
        for (size_t len = 0; len < frames[f].len; len++) {
            uint8_t *copy = test_malloc(len ? len : 1);
            memcpy(copy, frames[f].b, len);
            /* cut on the wire */
            assert_int_equal(decode_frame(frames[f].dlt, copy, len, len, &d), DECODE_MALFORMED);
            assert_int_equal(flow_table_packet(ft, frames[f].dlt, 1, copy, len, len, 0), 0);
            cuts++;
            /* cut by the snap length: any result, no overread (ASan) */
            (void)decode_frame(frames[f].dlt, copy, len, frames[f].len, &d);
            test_free(copy);
        }
    }
    flow_table_stats(ft, &st);
    assert_true(st.malformed == cuts);
    assert_true(st.packets == cuts);
    assert_int_equal(st.active, 0);
    flow_table_free(&ft);
}

/* Random bytes after valid headers never crash and are always counted. */
static void test_garbage(void **state)
{
    struct flow_table *ft = flow_table_new(NULL, NULL, NULL);
    struct flow_stats st;
    uint64_t x = 88172645463325252ULL;
    static const int dlts[] = {0, 1, 12, 101, 108, 113, 228, 229, 276};
    uint64_t sent = 0;

    (void)state;
    for (int i = 0; i < 20000; i++) {
        uint8_t buf[96];
        size_t len;
        uint8_t *copy;
        for (size_t j = 0; j < sizeof(buf); j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[j] = (uint8_t)x;
        }
        /* steer towards deeper headers: Ethernet IPv4/IPv6 type, version nibble */
        if (i & 1) {
            buf[12] = (i & 2) ? 0x86 : 0x08;
            buf[13] = (i & 2) ? 0xdd : 0x00;
            buf[14] = (uint8_t)((i & 2) ? 0x60 : 0x45);
        }
        len = (size_t)(x % sizeof(buf));
        copy = test_malloc(len ? len : 1);
        memcpy(copy, buf, len);
        assert_int_equal(flow_table_packet(ft, (i & 1) ? 1 : dlts[(x >> 8) % ARRAY_SIZE(dlts)], i,
                                           copy, len, len + (x >> 60), 0),
                         0);
        sent++;
        test_free(copy);
    }
    flow_table_flush(ft);
    flow_table_stats(ft, &st);
    assert_true(st.packets == sent);
    assert_int_equal(st.active, 0);
    flow_table_free(&ft);
}

/* decode_frame() (fast path first) and decode_frame_full() agree: same
 * result and, when OK, the same fields (quoted beyond .ok is unspecified). */
static void same_decode(int dlt, const uint8_t *b, size_t caplen, size_t wirelen)
{
    struct decode_pkt x, y;
    enum decode_result rx, ry;

    memset(&x, 0xa5, sizeof(x));
    memset(&y, 0x5a, sizeof(y));
    rx = decode_frame(dlt, b, caplen, wirelen, &x);
    ry = decode_frame_full(dlt, b, caplen, wirelen, &y);
    assert_int_equal(rx, ry);
    if (rx == DECODE_OK) {
        assert_memory_equal(&x, &y, offsetof(struct decode_pkt, quoted));
        assert_int_equal(x.quoted.ok, y.quoted.ok);
    }
}

/*
 * The fast path (plain Ethernet/802.1Q, IPv4, TCP/UDP) against the full
 * decoder on frames it takes and frames it must hand over: every header
 * byte the fast path reads is mutated at random (version/IHL, total
 * length, fragment bits, protocol, TCP data offset, UDP length and ports
 * including VXLAN's), with random snap and wire lengths; plus every frame
 * of build_all() cut at every length.
 */
static void test_fast_path(void **state)
{
    static struct pcapw_pkt frames[8];
    struct pcapw_pkt base[4];
    size_t n = build_all(frames, ARRAY_SIZE(frames));
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    /* byte offsets (from the start of IP) worth mutating */
    static const size_t hot[] = {0, 2, 3, 6, 7, 9, 20, 21, 22, 23, 24, 25, 32, 33};

    (void)state;
    for (size_t f = 0; f < n; f++)
        for (size_t len = 0; len <= frames[f].len; len++) {
            uint8_t *copy = test_malloc(len ? len : 1);
            memcpy(copy, frames[f].b, len);
            same_decode(frames[f].dlt, copy, len, len);
            same_decode(frames[f].dlt, copy, len, frames[f].len);
            test_free(copy);
        }

    pcapw_tcp_frame(&base[0], "198.18.0.1", 40000, "198.18.0.2", 443, PCAPW_SYN | PCAPW_ACK, 7,
                    100);
    pcapw_udp_frame(&base[1], "198.18.0.1", 53, "198.18.0.2", 4789, 30);
    pcapw_init(&base[2], PCAPW_DLT_EN10MB);
    pcapw_eth(&base[2], 0x8100);
    pcapw_vlan(&base[2], 4095, 0x0800);
    {
        struct pcapw_ip ip = {.src = "10.1.2.3", .dst = "10.3.2.1", .proto = 17};
        pcapw_ipv4(&base[2], &ip);
    }
    pcapw_udp(&base[2], 8472, 5353, 12);
    pcapw_finish(&base[2]);
    pcapw_init(&base[3], PCAPW_DLT_EN10MB);
    pcapw_eth(&base[3], 0x8100);
    pcapw_vlan(&base[3], 12, 0x0800);
    {
        struct pcapw_ip ip = {.src = "10.1.2.3", .dst = "10.3.2.1", .proto = 6};
        pcapw_ipv4(&base[3], &ip);
    }
    pcapw_tcp(&base[3], 1, 2, PCAPW_FIN | PCAPW_ACK, 0xffffffffu, 0, 0);
    pcapw_finish(&base[3]);

    for (int i = 0; i < 200000; i++) {
        const struct pcapw_pkt *b = &base[i & 3];
        size_t ip = (i & 2) ? 18 : 14;
        uint8_t buf[256];
        size_t caplen, wirelen;
        uint8_t *copy;

        assert_true(b->len <= sizeof(buf));
        memcpy(buf, b->b, b->len);
        for (int m = 0; m < 1 + (i % 3); m++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t at = ip + hot[x % ARRAY_SIZE(hot)];
            uint8_t v = (uint8_t)(x >> 24);
            if (at < b->len) {
                /* half the time a near miss of the original value */
                buf[at] = (x >> 40) & 1 ? v : (uint8_t)(buf[at] + (int)((x >> 48) % 5) - 2);
            }
        }
        if (i % 7 == 0) /* the EtherType or the tag's */
            buf[(i & 2) && (x & 1) ? 16 : 12] ^= (uint8_t)(x >> 56);
        caplen = (x >> 16) % 4 == 0 ? (size_t)((x >> 20) % (b->len + 1)) : b->len;
        wirelen = (x >> 28) % 3 == 0 ? caplen + (size_t)((x >> 32) % 3000) : caplen;
        if ((x >> 36) % 11 == 0)
            wirelen = caplen / 2; /* a broken record: wire shorter than capture */
        copy = test_malloc(caplen ? caplen : 1);
        memcpy(copy, buf, caplen);
        same_decode(PCAPW_DLT_EN10MB, copy, caplen, wirelen);
        test_free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),     cmocka_unit_test(test_ipv6_chain),
        cmocka_unit_test(test_icmp_quote), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncation), cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_fast_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
