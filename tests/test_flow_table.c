/*
 * test_flow_table.c: packets in, flow records out (capture/flow_table.c,
 * capture/flow_state.c): every Zeek conn_state with its history, the role
 * flip, ICMP error correlation, encapsulations, fragments, timeouts,
 * eviction and exact counts.  Frames come from tests/helpers/pcapw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "capture/flow.h"
#include "tests/helpers/pcapw.h"
#include "common/compat.h"

#define S_NS     1000000000LL
#define MAX_RECS 64

struct sink {
    struct flow_rec rec[MAX_RECS];
    size_t n;
};

static void sink_emit(void *ctx, const struct flow_rec *r)
{
    struct sink *s = ctx;

    assert_true(s->n < MAX_RECS);
    s->rec[s->n++] = *r;
}

static struct flow_table *table(struct sink *s, const struct flow_config *cfg)
{
    struct flow_config c;

    memset(s, 0, sizeof(*s));
    if (cfg) {
        c = *cfg;
    } else {
        memset(&c, 0, sizeof(c));
    }
    if (!c.hash_seed)
        c.hash_seed = 0x1234567887654321ULL; /* deterministic tests */
    return flow_table_new(&c, sink_emit, s);
}

/* One packet, accounted at once (flow_table_drain): the tests look at the
 * records after every step.  test_pipeline checks that not draining gives
 * the same records. */
static void feed(struct flow_table *ft, const struct pcapw_pkt *p, int64_t ts)
{
    assert_int_equal(flow_table_packet(ft, p->dlt, ts, p->b, p->len, p->len, 7), 0);
    flow_table_drain(ft);
}

static struct flow_stats stats(struct flow_table *ft)
{
    struct flow_stats st;
    flow_table_stats(ft, &st);
    return st;
}

static void assert_addr(const uint8_t *got, const char *want)
{
    uint8_t a[16] = {0};

    if (strchr(want, ':'))
        assert_int_equal(inet_pton(AF_INET6, want, a), 1);
    else
        assert_int_equal(inet_pton(AF_INET, want, a), 1);
    assert_memory_equal(got, a, 16);
}

#define C  "198.18.0.1"
#define SV "198.18.0.2"
#define CP 40000
#define SP 80

/* One TCP segment of a conversation: dir 0 client->server, 1 back. */
struct seg {
    int dir;
    uint8_t flags;
    uint32_t seq;
    size_t payload;
};

enum {
    F_S = PCAPW_SYN,
    F_SA = PCAPW_SYN | PCAPW_ACK,
    F_A = PCAPW_ACK,
    F_PA = PCAPW_PSH | PCAPW_ACK,
    F_FA = PCAPW_FIN | PCAPW_ACK,
    F_R = PCAPW_RST,
    F_RA = PCAPW_RST | PCAPW_ACK,
    F_F = PCAPW_FIN
};

#define END                                                                                        \
    {                                                                                              \
        -1, 0, 0, 0                                                                                \
    }

static void test_conn_states(void **state)
{
    static const struct {
        const char *name;
        struct seg segs[10];
        const char *state;
        const char *history;
        int client_is_orig; /* 1: the record's src is the client */
    } cases[] = {
        /* an unanswered SYN */
        {"S0", {{0, F_S, 100, 0}, END}, "S0", "S", 1},
        /* SYN retransmitted with the same sequence: still one S */
        {"S0 rexmit", {{0, F_S, 100, 0}, {0, F_S, 100, 0}, END}, "S0", "S", 1},
        /* SYN answered by RST-ACK: rejected */
        {"REJ", {{0, F_S, 100, 0}, {1, F_RA, 0, 0}, END}, "REJ", "Sr", 1},
        /* handshake, data both ways, FIN both ways */
        {"SF",
         {{0, F_S, 100, 0},
          {1, F_SA, 500, 0},
          {0, F_A, 101, 0},
          {0, F_PA, 101, 10},
          {1, F_PA, 501, 20},
          {0, F_FA, 111, 0},
          {1, F_FA, 521, 0},
          {0, F_A, 112, 0},
          END},
         "SF",
         "ShADdFf",
         1},
        /* established, not closed */
        {"S1", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, END}, "S1", "ShA", 1},
        /* established, the originator closed */
        {"S2",
         {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {0, F_FA, 101, 0}, END},
         "S2",
         "ShAF",
         1},
        /* established, the responder closed */
        {"S3",
         {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {1, F_FA, 501, 0}, END},
         "S3",
         "ShAf",
         1},
        /* established, the originator reset */
        {"RSTO",
         {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {0, F_R, 101, 0}, END},
         "RSTO",
         "ShAR",
         1},
        /* established, the responder reset */
        {"RSTR",
         {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {1, F_RA, 501, 0}, END},
         "RSTR",
         "ShAr",
         1},
        /* SYN then RST from the originator, no SYN-ACK */
        {"RSTOS0", {{0, F_S, 100, 0}, {0, F_R, 101, 0}, END}, "RSTOS0", "SR", 1},
        /* SYN-ACK then RST from the responder, no SYN seen: flipped */
        {"RSTRH", {{1, F_SA, 500, 0}, {1, F_R, 501, 0}, END}, "RSTRH", "^hr", 1},
        /* SYN then FIN from the originator, no SYN-ACK */
        {"SH", {{0, F_S, 100, 0}, {0, F_F, 101, 0}, END}, "SH", "SF", 1},
        /* SYN-ACK then FIN from the responder, no SYN seen */
        {"SHR", {{1, F_SA, 500, 0}, {1, F_FA, 501, 0}, END}, "SHR", "^hf", 1},
        /* midstream: data and ACK, no SYN */
        {"OTH", {{0, F_PA, 100, 10}, {1, F_A, 500, 0}, END}, "OTH", "Da", 1},
        /* SYN-ACK first, then the client's ACK: flip, then established */
        {"flip S1", {{1, F_SA, 500, 0}, {0, F_A, 101, 0}, {1, F_PA, 501, 5}, END}, "S1", "^hAd", 1},
        /* SYN+FIN in one segment: Q, and the state machine still runs */
        {"multi flag", {{0, F_S | F_F, 100, 0}, END}, "SH", "Q", 1},
        /* FIN+RST: I */
        {"fin rst",
         {{0, F_S, 100, 0},
          {1, F_SA, 500, 0},
          {0, F_A, 101, 0},
          {0, PCAPW_FIN | PCAPW_RST, 101, 0},
          END},
         "RSTO",
         "ShAI",
         1},
        /* a second SYN with a new sequence number records S again */
        {"S S", {{0, F_S, 100, 0}, {0, F_S, 900, 0}, END}, "S0", "SS", 1},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sink s;
        struct flow_table *ft = table(&s, NULL);
        struct pcapw_pkt p;
        uint64_t pk[2] = {0, 0}, by[2] = {0, 0};
        uint8_t fl[2] = {0, 0};
        int64_t t = 1000 * S_NS;

        for (const struct seg *g = cases[i].segs; g->dir >= 0; g++) {
            if (g->dir == 0)
                pcapw_tcp_frame(&p, C, CP, SV, SP, g->flags, g->seq, g->payload);
            else
                pcapw_tcp_frame(&p, SV, SP, C, CP, g->flags, g->seq, g->payload);
            feed(ft, &p, t);
            t += 1000; /* 1 us apart */
            pk[g->dir]++;
            by[g->dir] += 40 + g->payload;
            fl[g->dir] |= g->flags;
        }
        flow_table_flush(ft);
        print_message("case %s\n", cases[i].name);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.rec[0].state, cases[i].state);
        assert_string_equal(s.rec[0].history, cases[i].history);
        assert_int_equal(s.rec[0].proto, 6);
        assert_int_equal(s.rec[0].family, 4);
        assert_addr(s.rec[0].src, C);
        assert_addr(s.rec[0].dst, SV);
        assert_int_equal(s.rec[0].src_port, CP);
        assert_int_equal(s.rec[0].dst_port, SP);
        assert_true(s.rec[0].packets_fwd == pk[0] && s.rec[0].packets_rev == pk[1]);
        assert_true(s.rec[0].bytes_fwd == by[0] && s.rec[0].bytes_rev == by[1]);
        assert_int_equal(s.rec[0].flags_fwd, fl[0]);
        assert_int_equal(s.rec[0].flags_rev, fl[1]);
        assert_int_equal(s.rec[0].icmp_type, -1);
        assert_int_equal(s.rec[0].icmp_count, 0);
        assert_int_equal(s.rec[0].icmp_id, -1);
        assert_int_equal(s.rec[0].iface, 7);
        assert_int_equal(s.rec[0].vlan, -1);
        assert_int_equal(s.rec[0].interim, 0);
        assert_true(s.rec[0].first_ns == 1000 * S_NS);
        assert_true(s.rec[0].last_ns == t - 1000);
        assert_int_equal(stats(ft).active, 0);
        assert_true(stats(ft).flows_emitted == 1);
        flow_table_free(&ft);
        assert_null(ft);
    }
}

static void test_udp_states(void **state)
{
    struct sink s;
    struct flow_table *ft = table(&s, NULL);
    struct pcapw_pkt p;

    (void)state;
    /* query and answer: SF, history Dd */
    pcapw_udp_frame(&p, C, 5353, SV, 53, 30);
    feed(ft, &p, S_NS);
    pcapw_udp_frame(&p, SV, 53, C, 5353, 60);
    feed(ft, &p, S_NS + 10);
    /* unanswered: S0 */
    pcapw_udp_frame(&p, C, 5354, SV, 53, 30);
    feed(ft, &p, S_NS + 20);
    pcapw_udp_frame(&p, C, 5354, SV, 53, 30);
    feed(ft, &p, S_NS + 30);
    /* empty datagram: no D */
    pcapw_udp_frame(&p, C, 5355, SV, 9, 0);
    feed(ft, &p, S_NS + 40);
    flow_table_flush(ft);
    assert_int_equal(s.n, 3);
    for (size_t i = 0; i < s.n; i++) {
        const struct flow_rec *r = &s.rec[i];
        if (r->src_port == 5353) {
            assert_string_equal(r->state, "SF");
            assert_string_equal(r->history, "Dd");
            assert_true(r->packets_fwd == 1 && r->packets_rev == 1);
            assert_true(r->bytes_fwd == 20 + 8 + 30 && r->bytes_rev == 20 + 8 + 60);
        } else if (r->src_port == 5354) {
            assert_string_equal(r->state, "S0");
            assert_string_equal(r->history, "D");
            assert_true(r->packets_fwd == 2 && r->packets_rev == 0);
        } else {
            assert_int_equal(r->src_port, 5355);
            assert_string_equal(r->state, "S0");
            assert_string_equal(r->history, "");
        }
        assert_int_equal(r->proto, 17);
    }
    flow_table_free(&ft);
}

/* ICMP errors recorded on the flow they quote, v4 and v6, never as flows. */
static void test_icmp_correlation(void **state)
{
    static const struct {
        const char *client, *server, *router; /* router: who sends the error */
        uint8_t proto, type, code;
    } cases[] = {
        {C, SV, SV, 17, 3, 3},                                    /* v4 port unreachable on UDP */
        {C, SV, "198.18.0.254", 6, 3, 13},                        /* v4 admin prohibited on TCP */
        {C, SV, "198.18.0.254", 17, 11, 0},                       /* v4 time exceeded on UDP */
        {"2001:db8::1", "2001:db8::2", "2001:db8::2", 17, 1, 4},  /* v6 port unreachable */
        {"2001:db8::1", "2001:db8::2", "2001:db8::fe", 6, 1, 1},  /* v6 admin prohibited */
        {"2001:db8::1", "2001:db8::2", "2001:db8::fe", 17, 2, 0}, /* v6 packet too big */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sink s;
        struct flow_table *ft = table(&s, NULL);
        struct pcapw_pkt p;

        if (cases[i].proto == 6)
            pcapw_tcp_frame(&p, cases[i].client, CP, cases[i].server, SP, F_S, 100, 0);
        else
            pcapw_udp_frame(&p, cases[i].client, CP, cases[i].server, SP, 20);
        feed(ft, &p, S_NS);
        /* the error quotes the client's packet, travelling back to the client */
        pcapw_icmp_error_frame(&p, cases[i].router, cases[i].type, cases[i].code, cases[i].proto,
                               cases[i].client, CP, cases[i].server, SP);
        feed(ft, &p, S_NS + 100);
        feed(ft, &p, S_NS + 200);
        /* an error quoting a flow never seen (other port) */
        pcapw_icmp_error_frame(&p, cases[i].router, cases[i].type, cases[i].code, cases[i].proto,
                               cases[i].client, CP + 1, cases[i].server, SP);
        feed(ft, &p, S_NS + 300);
        flow_table_flush(ft);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.rec[0].proto, cases[i].proto);
        assert_string_equal(s.rec[0].state, "S0"); /* Zeek's state is kept */
        assert_int_equal(s.rec[0].icmp_type, cases[i].type);
        assert_int_equal(s.rec[0].icmp_code, cases[i].code);
        assert_int_equal(s.rec[0].icmp_count, 2);
        assert_true(s.rec[0].packets_fwd == 1 && s.rec[0].packets_rev == 0);
        assert_true(s.rec[0].last_ns == S_NS); /* errors are not the flow's packets */
        assert_true(stats(ft).icmp_unmatched == 1);
        assert_true(stats(ft).packets == 4);
        flow_table_free(&ft);
    }
}

/* ICMP echo: one flow per (addresses, id); the request sender originates. */
static void test_icmp_echo(void **state)
{
    struct sink s;
    struct flow_table *ft = table(&s, NULL);
    struct pcapw_pkt p;

    (void)state;
    pcapw_echo_frame(&p, C, SV, 77, 1, 0);
    feed(ft, &p, S_NS);
    pcapw_echo_frame(&p, SV, C, 77, 1, 1);
    feed(ft, &p, S_NS + 1);
    pcapw_echo_frame(&p, C, SV, 78, 1, 0); /* another id: another flow */
    feed(ft, &p, S_NS + 2);
    /* reply first (request missed): the receiver is still the originator */
    pcapw_echo_frame(&p, "2001:db8::2", "2001:db8::1", 5, 1, 1);
    feed(ft, &p, S_NS + 3);
    flow_table_flush(ft);
    assert_int_equal(s.n, 3);
    for (size_t i = 0; i < s.n; i++) {
        const struct flow_rec *r = &s.rec[i];
        assert_string_equal(r->state, "OTH");
        assert_int_equal(r->src_port, 0);
        assert_int_equal(r->dst_port, 0);
        if (r->icmp_id == 77) {
            assert_addr(r->src, C);
            assert_int_equal(r->icmp_type, 8);
            assert_true(r->packets_fwd == 1 && r->packets_rev == 1);
            assert_true(r->bytes_fwd == 20 + 8 + 56);
        } else if (r->icmp_id == 78) {
            assert_true(r->packets_fwd == 1 && r->packets_rev == 0);
        } else {
            assert_int_equal(r->icmp_id, 5);
            assert_int_equal(r->proto, 58);
            assert_addr(r->src, "2001:db8::1");
            assert_int_equal(r->icmp_type, 129);
            assert_true(r->packets_fwd == 0 && r->packets_rev == 1);
        }
    }
    flow_table_free(&ft);
}

/* Build a client SYN to the server in one of the encapsulations. */
enum encap {
    E_VLAN,
    E_QINQ,
    E_SLL,
    E_SLL2,
    E_RAW,
    E_RAW101,
    E_IPV4LT,
    E_IPV6LT,
    E_NULL_LE,
    E_NULL_BE6,
    E_LOOP,
    E_IPIP,
    E_6IN4,
    E_VXLAN,
    E_VXLAN6
};

static void encap_syn(struct pcapw_pkt *p, enum encap how, int reply)
{
    struct pcapw_ip ip = {.src = reply ? SV : C, .dst = reply ? C : SV, .proto = 6};
    struct pcapw_ip ip6 = {.src = reply ? "2001:db8::2" : "2001:db8::1",
                           .dst = reply ? "2001:db8::1" : "2001:db8::2",
                           .proto = 6};
    struct pcapw_ip outer = {.src = "10.0.0.1", .dst = "10.0.0.2"};
    uint16_t sp = reply ? SP : CP, dp = reply ? CP : SP;
    uint8_t fl = reply ? F_SA : F_S;
    const struct pcapw_ip *inner = &ip;

    switch (how) {
    case E_VLAN:
        pcapw_init(p, PCAPW_DLT_EN10MB);
        pcapw_eth(p, 0x8100);
        pcapw_vlan(p, 10, 0x0800);
        break;
    case E_QINQ:
        pcapw_init(p, PCAPW_DLT_EN10MB);
        pcapw_eth(p, 0x88a8);
        pcapw_vlan(p, 100, 0x8100);
        pcapw_vlan(p, 10, 0x0800);
        break;
    case E_SLL:
        pcapw_init(p, PCAPW_DLT_LINUX_SLL);
        pcapw_sll(p, 0x0800);
        break;
    case E_SLL2:
        pcapw_init(p, PCAPW_DLT_LINUX_SLL2);
        pcapw_sll2(p, 0x86dd, 3);
        inner = &ip6;
        break;
    case E_RAW:
        pcapw_init(p, PCAPW_DLT_RAW);
        break;
    case E_RAW101:
        pcapw_init(p, PCAPW_LINKTYPE_RAW);
        inner = &ip6;
        break;
    case E_IPV4LT:
        pcapw_init(p, PCAPW_LINKTYPE_IPV4);
        break;
    case E_IPV6LT:
        pcapw_init(p, PCAPW_LINKTYPE_IPV6);
        inner = &ip6;
        break;
    case E_NULL_LE:
        pcapw_init(p, PCAPW_DLT_NULL);
        pcapw_null(p, 2, 0);
        break;
    case E_NULL_BE6:
        pcapw_init(p, PCAPW_DLT_NULL);
        pcapw_null(p, 30, 1); /* AF_INET6 on macOS, big-endian writer */
        inner = &ip6;
        break;
    case E_LOOP:
        pcapw_init(p, PCAPW_DLT_LOOP);
        pcapw_null(p, 2, 1);
        break;
    case E_IPIP:
        pcapw_init(p, PCAPW_DLT_EN10MB);
        pcapw_eth(p, 0x0800);
        outer.proto = 4;
        pcapw_ipv4(p, &outer);
        break;
    case E_6IN4:
        pcapw_init(p, PCAPW_DLT_EN10MB);
        pcapw_eth(p, 0x0800);
        outer.proto = 41;
        pcapw_ipv4(p, &outer);
        inner = &ip6;
        break;
    case E_VXLAN:
    case E_VXLAN6:
        pcapw_init(p, PCAPW_DLT_EN10MB);
        pcapw_eth(p, 0x0800);
        outer.proto = 17;
        pcapw_ipv4(p, &outer);
        pcapw_udp(p, reply ? 33333 : 44444, how == E_VXLAN ? 4789 : 8472, 0);
        pcapw_vxlan(p, 4096);
        pcapw_eth(p, 0x0800);
        break;
    }
    if (inner == &ip6)
        pcapw_ipv6(p, inner);
    else
        pcapw_ipv4(p, inner);
    pcapw_tcp(p, sp, dp, fl, reply ? 500 : 100, 0, 0);
    pcapw_finish(p);
}

static void test_encapsulations(void **state)
{
    static const struct {
        enum encap how;
        int v6;
        int32_t vlan;
    } cases[] = {
        {E_VLAN, 0, 10},     /* 802.1Q */
        {E_QINQ, 0, 100},    /* 802.1ad outer tag is the flow's VLAN */
        {E_SLL, 0, -1},      /* Linux cooked v1 */
        {E_SLL2, 1, -1},     /* Linux cooked v2, IPv6 */
        {E_RAW, 0, -1},      /* DLT_RAW */
        {E_RAW101, 1, -1},   /* LINKTYPE_RAW with IPv6 */
        {E_IPV4LT, 0, -1},   /* LINKTYPE_IPV4 */
        {E_IPV6LT, 1, -1},   /* LINKTYPE_IPV6 */
        {E_NULL_LE, 0, -1},  /* DLT_NULL little-endian AF_INET */
        {E_NULL_BE6, 1, -1}, /* DLT_NULL big-endian AF_INET6 (30) */
        {E_LOOP, 0, -1},     /* DLT_LOOP */
        {E_IPIP, 0, -1},     /* IPv4 in IPv4 (Calico IPIP) */
        {E_6IN4, 1, -1},     /* IPv6 in IPv4 */
        {E_VXLAN, 0, -1},    /* VXLAN on 4789 (Calico) */
        {E_VXLAN6, 0, -1},   /* VXLAN on 8472 (Flannel) */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sink s;
        struct flow_table *ft = table(&s, NULL);
        struct pcapw_pkt p;

        encap_syn(&p, cases[i].how, 0);
        feed(ft, &p, S_NS);
        encap_syn(&p, cases[i].how, 1);
        feed(ft, &p, S_NS + 1);
        flow_table_flush(ft);
        print_message("encap %zu\n", i);
        assert_int_equal(s.n, 1);
        assert_int_equal(stats(ft).malformed, 0);
        assert_int_equal(s.rec[0].family, cases[i].v6 ? 6 : 4);
        assert_addr(s.rec[0].src, cases[i].v6 ? "2001:db8::1" : C);
        assert_addr(s.rec[0].dst, cases[i].v6 ? "2001:db8::2" : SV);
        assert_int_equal(s.rec[0].src_port, CP);
        assert_int_equal(s.rec[0].dst_port, SP);
        assert_string_equal(s.rec[0].state, "S1");
        assert_string_equal(s.rec[0].history, "Sh");
        assert_true(s.rec[0].bytes_fwd == (cases[i].v6 ? 60u : 40u)); /* inner IP bytes */
        assert_int_equal(s.rec[0].vlan, cases[i].vlan);
        flow_table_free(&ft);
    }
}

/* Fragments: ports from the first only; later ones attributed or orphaned. */
static void test_fragments(void **state)
{
    struct sink s;
    struct flow_table *ft = table(&s, NULL);
    struct pcapw_pkt p;
    struct pcapw_ip ip = {.src = C, .dst = SV, .proto = 17, .id = 4242, .mf = 1};
    struct pcapw_ip ip6 = {.src = "2001:db8::1", .dst = "2001:db8::2", .proto = 44};

    (void)state;
    /* v4: first fragment: UDP header + 992 bytes; UDP length says 2008 */
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0800);
    pcapw_ipv4(&p, &ip);
    pcapw_udp(&p, 5000, 6000, 992);
    pcapw_finish(&p);
    p.b[14 + 20 + 4] = 2008 >> 8;
    p.b[14 + 20 + 5] = 2008 & 0xff;
    feed(ft, &p, S_NS);
    /* second fragment at offset 1000: its first bytes look like ports 0/0 */
    ip.frag_off = 1000;
    ip.mf = 0;
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0800);
    pcapw_ipv4(&p, &ip);
    pcapw_payload(&p, 1008);
    pcapw_finish(&p);
    feed(ft, &p, S_NS + 1);
    /* a later fragment of a datagram whose first fragment was never seen */
    ip.id = 9999;
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0800);
    pcapw_ipv4(&p, &ip);
    pcapw_payload(&p, 100);
    pcapw_finish(&p);
    feed(ft, &p, S_NS + 2);

    /* v6: first fragment (offset 0, M) with a TCP SYN, then a later one */
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x86dd);
    pcapw_ipv6(&p, &ip6);
    pcapw_ipv6_frag(&p, 6, 0, 1, 0xabcdef);
    pcapw_tcp(&p, CP, SP, F_S, 100, 0, 1000);
    pcapw_finish(&p);
    feed(ft, &p, S_NS + 3);
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x86dd);
    pcapw_ipv6(&p, &ip6);
    pcapw_ipv6_frag(&p, 6, 1024, 0, 0xabcdef);
    pcapw_payload(&p, 500);
    pcapw_finish(&p);
    feed(ft, &p, S_NS + 4);
    /* v6 later fragment, unknown id */
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x86dd);
    pcapw_ipv6(&p, &ip6);
    pcapw_ipv6_frag(&p, 6, 1024, 0, 0x1);
    pcapw_payload(&p, 500);
    pcapw_finish(&p);
    feed(ft, &p, S_NS + 5);

    flow_table_flush(ft);
    assert_int_equal(s.n, 2);
    assert_true(stats(ft).fragments_orphan == 2);
    assert_true(stats(ft).malformed == 0);
    for (size_t i = 0; i < s.n; i++) {
        const struct flow_rec *r = &s.rec[i];
        if (r->proto == 17) {
            assert_int_equal(r->src_port, 5000);
            assert_int_equal(r->dst_port, 6000);
            assert_true(r->packets_fwd == 2);
            assert_true(r->bytes_fwd == (20 + 8 + 992) + (20 + 1008));
        } else {
            assert_int_equal(r->proto, 6);
            assert_int_equal(r->family, 6);
            assert_int_equal(r->src_port, CP);
            assert_string_equal(r->state, "S0");
            assert_string_equal(r->history, "S"); /* the later fragment adds no D */
            assert_true(r->packets_fwd == 2);
            assert_true(r->bytes_fwd == (40 + 8 + 20 + 1000) + (40 + 8 + 500));
        }
    }
    flow_table_free(&ft);
}

/* Idle timeouts per class, by packet time. */
static void test_idle_timeouts(void **state)
{
    struct flow_config cfg = {0};
    struct sink s;
    struct flow_table *ft;
    struct pcapw_pkt p;

    (void)state;
    ft = table(&s, &cfg); /* defaults: TCP 300 s, linger 5 s, UDP 60 s, ICMP 60 s */
    pcapw_tcp_frame(&p, C, 1, SV, SP, F_S, 1, 0); /* S0: linger */
    feed(ft, &p, 0);
    pcapw_tcp_frame(&p, C, 2, SV, SP, F_S, 1, 0); /* S1: established */
    feed(ft, &p, 0);
    pcapw_tcp_frame(&p, SV, SP, C, 2, F_SA, 1, 0);
    feed(ft, &p, 0);
    pcapw_udp_frame(&p, C, 3, SV, 53, 1); /* UDP */
    feed(ft, &p, 0);
    pcapw_echo_frame(&p, C, SV, 4, 1, 0); /* ICMP */
    feed(ft, &p, 0);
    assert_int_equal(stats(ft).active, 4);

    flow_table_expire(ft, 5 * S_NS); /* exactly 5 s idle: not yet */
    assert_int_equal(s.n, 0);
    flow_table_expire(ft, 5 * S_NS + 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rec[0].src_port, 1);
    /* a packet moves time too: 61 s expires UDP and ICMP */
    pcapw_udp_frame(&p, C, 9, SV, 53, 1);
    feed(ft, &p, 61 * S_NS);
    assert_int_equal(s.n, 3);
    assert_true(s.rec[1].proto == 17 || s.rec[1].proto == 1);
    assert_true(s.rec[2].proto == 17 || s.rec[2].proto == 1);
    assert_int_equal(stats(ft).active, 2);
    flow_table_expire(ft, 121 * S_NS); /* 60 s after the last UDP packet */
    assert_int_equal(s.n, 3);
    flow_table_expire(ft, 121 * S_NS + 1);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.rec[3].src_port, 9);
    flow_table_expire(ft, 300 * S_NS);
    assert_int_equal(s.n, 4);
    flow_table_expire(ft, 300 * S_NS + 1);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.rec[4].src_port, 2);
    assert_string_equal(s.rec[4].state, "S1");
    /* time never goes back: an older time expires nothing more */
    flow_table_expire(ft, 0);
    flow_table_flush(ft);
    assert_int_equal(s.n, 5);
    flow_table_free(&ft);

    /* configured timeouts */
    cfg.udp_ns = 2 * S_NS;
    ft = table(&s, &cfg);
    pcapw_udp_frame(&p, C, 3, SV, 53, 1);
    feed(ft, &p, 0);
    feed(ft, &p, 2 * S_NS);     /* 2 s idle: same flow */
    feed(ft, &p, 4 * S_NS + 1); /* > 2 s idle: the flow ended, a new one starts */
    flow_table_flush(ft);
    assert_int_equal(s.n, 2);
    assert_true(s.rec[0].packets_fwd == 2 && s.rec[1].packets_fwd == 1);
    flow_table_free(&ft);
}

/* The active timeout cuts interim rows that continue the flow. */
static void test_active_timeout(void **state)
{
    struct flow_config cfg = {.active_ns = 300 * S_NS};
    struct sink s;
    struct flow_table *ft = table(&s, &cfg);
    struct pcapw_pkt p;
    uint64_t total = 0;

    (void)state;
    pcapw_tcp_frame(&p, C, CP, SV, SP, F_S, 100, 0);
    feed(ft, &p, 0);
    pcapw_tcp_frame(&p, SV, SP, C, CP, F_SA, 500, 0);
    feed(ft, &p, 0);
    for (int64_t t = 10; t <= 700; t += 10) {
        pcapw_tcp_frame(&p, C, CP, SV, SP, F_PA, 101, 100);
        feed(ft, &p, t * S_NS);
    }
    flow_table_flush(ft);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.rec[0].interim, 1);
    assert_int_equal(s.rec[1].interim, 1);
    assert_int_equal(s.rec[2].interim, 0);
    assert_true(s.rec[0].first_ns == 0 && s.rec[0].last_ns == 290 * S_NS);
    assert_true(s.rec[1].first_ns == 300 * S_NS && s.rec[1].last_ns == 590 * S_NS);
    assert_true(s.rec[2].first_ns == 600 * S_NS && s.rec[2].last_ns == 700 * S_NS);
    for (size_t i = 0; i < s.n; i++) {
        total += s.rec[i].packets_fwd + s.rec[i].packets_rev;
        assert_string_equal(s.rec[i].state, "S1"); /* the connection's state so far */
        assert_addr(s.rec[i].src, C);
    }
    assert_true(total == 72);
    assert_true(s.rec[0].packets_rev == 1 && s.rec[1].packets_rev == 0);
    flow_table_free(&ft);
}

/* Past max_flows the flow idle longest is written early. */
static void test_eviction(void **state)
{
    struct flow_config cfg = {.max_flows = 3};
    struct sink s;
    struct flow_table *ft = table(&s, &cfg);
    struct pcapw_pkt p;

    (void)state;
    for (uint16_t port = 1; port <= 3; port++) {
        pcapw_udp_frame(&p, C, port, SV, 53, 1);
        feed(ft, &p, port * S_NS);
    }
    pcapw_udp_frame(&p, C, 1, SV, 53, 1); /* port 1 is now the most recent */
    feed(ft, &p, 4 * S_NS);
    pcapw_udp_frame(&p, C, 4, SV, 53, 1); /* a fourth flow: port 2 goes */
    feed(ft, &p, 5 * S_NS);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rec[0].src_port, 2);
    assert_true(stats(ft).flows_evicted == 1);
    assert_int_equal(stats(ft).active, 3);
    flow_table_flush(ft);
    assert_int_equal(s.n, 4);
    flow_table_free(&ft);
}

/* A SYN after a finished connection on the same 5-tuple starts a new flow. */
static void test_port_reuse(void **state)
{
    struct sink s;
    struct flow_table *ft = table(&s, NULL);
    struct pcapw_pkt p;

    (void)state;
    pcapw_tcp_frame(&p, C, CP, SV, SP, F_S, 100, 0);
    feed(ft, &p, 0);
    pcapw_tcp_frame(&p, SV, SP, C, CP, F_RA, 0, 0);
    feed(ft, &p, 1);
    pcapw_tcp_frame(&p, C, CP, SV, SP, F_S, 7000, 0);
    feed(ft, &p, 2);
    flow_table_flush(ft);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rec[0].state, "REJ");
    assert_string_equal(s.rec[1].state, "S0");
    flow_table_free(&ft);
}

/* Many flows: the index grows, entries are reused, every flow comes out once. */
struct counter {
    uint64_t flows;
    uint64_t packets;
};

static void count_emit(void *ctx, const struct flow_rec *r)
{
    struct counter *c = ctx;

    c->flows++;
    c->packets += r->packets_fwd + r->packets_rev;
    assert_int_equal(r->packets_fwd, 2);
    assert_int_equal(r->packets_rev, 1);
    assert_string_equal(r->state, "SF");
}

static void test_many_flows(void **state)
{
    enum { N = 20000 };
    struct flow_config cfg = {.max_flows = 4096, .udp_ns = 1 * S_NS};
    struct counter c = {0, 0};
    struct flow_table *ft = flow_table_new(&cfg, count_emit, &c); /* random seed */
    struct pcapw_pkt p;
    char a[32], b[32];

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(a, sizeof(a), "10.%d.%d.1", i / 250, i % 250);
        snprintf(b, sizeof(b), "10.%d.%d.2", i / 250, i % 250);
        pcapw_udp_frame(&p, a, 1000, b, 53, 10);
        feed(ft, &p, (int64_t)i * 1000000);
        pcapw_udp_frame(&p, b, 53, a, 1000, 10);
        feed(ft, &p, (int64_t)i * 1000000 + 1);
        pcapw_udp_frame(&p, a, 1000, b, 53, 10);
        feed(ft, &p, (int64_t)i * 1000000 + 2);
    }
    flow_table_flush(ft);
    assert_true(c.flows == N);
    assert_true(c.packets == 3 * (uint64_t)N);
    assert_true(stats(ft).flows_evicted == 0); /* 1 s idle keeps < 1001 open */
    assert_int_equal(stats(ft).active, 0);
    flow_table_free(&ft);
}

/* Expiry against a brute-force model: random traffic over 300 UDP flows.
 * A record never comes out before its flow was idle longer than the
 * timeout, always by twice the timeout (flow_table.c's lazy re-queueing),
 * and splits happen exactly where the idle gaps are. */
struct model {
    int64_t last[300]; /* last packet time per source port, -1: no flow */
    int64_t now;
    int64_t timeout;
    uint64_t emitted;
    int flushing; /* flow_table_flush(): every flow comes out */
};

static void model_emit(void *ctx, const struct flow_rec *r)
{
    struct model *m = ctx;
    unsigned port = r->src_port;

    assert_true(port < 300);
    assert_true(m->last[port] >= 0);
    assert_true(m->flushing || m->now - m->last[port] > m->timeout); /* not early */
    assert_true(r->last_ns == m->last[port]);
    m->last[port] = -1;
    m->emitted++;
}

static void test_expiry_model(void **state)
{
    struct model m;
    struct flow_config cfg = {.udp_ns = 10 * S_NS, .hash_seed = 99};
    struct flow_table *ft;
    struct pcapw_pkt p;
    uint64_t x = 0x9e3779b97f4a7c15ULL, sent = 0;

    (void)state;
    memset(&m, 0, sizeof(m));
    for (int i = 0; i < 300; i++)
        m.last[i] = -1;
    m.timeout = cfg.udp_ns;
    ft = flow_table_new(&cfg, model_emit, &m);
    for (int step = 0; step < 20000; step++) {
        unsigned port;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        m.now += (int64_t)(x % (S_NS / 4)) * ((x >> 40) % 8 == 0 ? 20 : 1);
        port = (unsigned)((x >> 20) % ((x >> 50) % 4 == 0 ? 300 : 30)); /* some hot flows */
        pcapw_udp_frame(&p, C, (uint16_t)port, SV, 53, 1);
        feed(ft, &p, m.now);
        /* after the packet: nothing idle past twice the timeout remains */
        for (int i = 0; i < 300; i++)
            assert_false(m.last[i] >= 0 && m.now - m.last[i] > 2 * m.timeout);
        /* the packet's own flow, if it was idle too long, was ended first */
        assert_true(m.last[port] < 0 || m.now - m.last[port] <= m.timeout);
        m.last[port] = m.now;
        sent++;
    }
    m.flushing = 1;
    flow_table_flush(ft);
    assert_true(stats(ft).packets == sent);
    assert_true(m.emitted == stats(ft).flows_emitted);
    flow_table_free(&ft);
}

/* The prefetch pipeline changes nothing: random TCP, UDP, ICMP error and
 * fragment traffic gives the same records drained per packet or not. */
struct digest {
    uint64_t n;
    uint64_t sum;
};

static void digest_emit(void *ctx, const struct flow_rec *r)
{
    struct digest *d = ctx;
    uint64_t h = (uint64_t)r->src_port * 31 + r->dst_port;

    h = h * 1000003 + r->packets_fwd * 7 + r->packets_rev * 13 + r->bytes_fwd + r->bytes_rev * 3;
    h = h * 1000003 + (uint64_t)r->first_ns + (uint64_t)r->last_ns * 5;
    for (const char *c = r->state; *c; c++)
        h = h * 131 + (uint8_t)*c;
    for (const char *c = r->history; *c; c++)
        h = h * 137 + (uint8_t)*c;
    h = h * 1000003 + r->icmp_count + (uint64_t)(r->icmp_type + 1) * 17 + r->interim;
    d->n++;
    d->sum += h * (h | 1); /* order-independent */
}

static void test_pipeline(void **state)
{
    struct digest d[2] = {{0, 0}, {0, 0}};
    struct flow_config cfg = {.udp_ns = 3 * S_NS,
                              .tcp_linger_ns = 2 * S_NS,
                              .active_ns = 20 * S_NS,
                              .max_flows = 40,
                              .hash_seed = 5};
    struct flow_table *ft[2];
    struct pcapw_pkt p;
    uint64_t x = 12345;
    int64_t t = S_NS;

    (void)state;
    ft[0] = flow_table_new(&cfg, digest_emit, &d[0]);
    ft[1] = flow_table_new(&cfg, digest_emit, &d[1]);
    for (int step = 0; step < 30000; step++) {
        static const uint8_t fl[] = {F_S, F_SA, F_A, F_PA, F_FA, F_R, F_RA};
        uint16_t port;
        int dir;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t += (int64_t)(x % (S_NS / 8));
        port = (uint16_t)(1000 + (x >> 8) % 60);
        dir = (int)((x >> 20) & 1);
        switch ((x >> 24) % 8) {
        case 0:
        case 1:
            pcapw_udp_frame(&p, dir ? SV : C, dir ? 53 : port, dir ? C : SV, dir ? port : 53, 10);
            break;
        case 2:
            pcapw_icmp_error_frame(&p, SV, 3, 3, (x >> 30) & 1 ? 17 : 6, C, port, SV,
                                   (x >> 30) & 1 ? 53 : SP);
            break;
        case 3: {
            struct pcapw_ip ip = {.src = C,
                                  .dst = SV,
                                  .proto = 17,
                                  .id = (uint16_t)port,
                                  .frag_off = (x >> 32) & 1 ? 0 : 1480,
                                  .mf = 1};
            pcapw_init(&p, PCAPW_DLT_EN10MB);
            pcapw_eth(&p, 0x0800);
            pcapw_ipv4(&p, &ip);
            if (ip.frag_off == 0)
                pcapw_udp(&p, port, 53, 100);
            else
                pcapw_payload(&p, 100);
            pcapw_finish(&p);
            break;
        }
        default:
            pcapw_tcp_frame(&p, dir ? SV : C, dir ? SP : port, dir ? C : SV, dir ? port : SP,
                            fl[(x >> 36) % ARRAY_SIZE(fl)], (uint32_t)(x >> 40) % 3,
                            (x >> 50) % 2 * 10);
            break;
        }
        for (int k = 0; k < 2; k++) {
            assert_int_equal(flow_table_packet(ft[k], p.dlt, t, p.b, p.len, p.len, 1), 0);
            if (k == 0)
                flow_table_drain(ft[0]);
        }
        if (step % 5000 == 0) {
            flow_table_expire(ft[0], t);
            flow_table_expire(ft[1], t);
        }
    }
    for (int k = 0; k < 2; k++)
        flow_table_flush(ft[k]);
    assert_true(d[0].n > 1000);
    assert_true(d[0].n == d[1].n);
    assert_true(d[0].sum == d[1].sum);
    assert_true(stats(ft[0]).flows_evicted == stats(ft[1]).flows_evicted);
    assert_true(stats(ft[0]).flows_evicted > 0);
    assert_true(stats(ft[0]).icmp_unmatched == stats(ft[1]).icmp_unmatched);
    assert_true(stats(ft[0]).fragments_orphan == stats(ft[1]).fragments_orphan);
    for (int k = 0; k < 2; k++)
        flow_table_free(&ft[k]);
}

/* Other protocols: SCTP keeps its ports (state OTH), GRE has none; an
 * ICMP error quoting an echo request counts on the echo flow; history
 * stops at FLOW_HIST_LETTERS letters. */
static void test_misc_protocols(void **state)
{
    struct sink s;
    struct flow_table *ft = table(&s, NULL);
    struct pcapw_pkt p;
    struct pcapw_ip ip = {.src = C, .dst = SV, .proto = 132, .opt_len = 4};

    (void)state;
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0800);
    pcapw_ipv4(&p, &ip);
    pcapw_sctp(&p, 2905, 2906, 20);
    pcapw_finish(&p);
    feed(ft, &p, S_NS);
    ip.proto = 47; /* GRE */
    ip.opt_len = 0;
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0800);
    pcapw_ipv4(&p, &ip);
    pcapw_payload(&p, 24);
    pcapw_finish(&p);
    feed(ft, &p, S_NS + 1);
    /* ping, then a host unreachable quoting the request */
    pcapw_echo_frame(&p, C, SV, 300, 1, 0);
    feed(ft, &p, S_NS + 2);
    ip.src = "198.18.0.254";
    ip.dst = C;
    ip.proto = 1;
    pcapw_init(&p, PCAPW_DLT_EN10MB);
    pcapw_eth(&p, 0x0800);
    pcapw_ipv4(&p, &ip);
    pcapw_icmp(&p, 3, 1, 0, 0);
    pcapw_quote_begin(&p);
    ip.src = C;
    ip.dst = SV;
    ip.tot_len = 84;
    pcapw_ipv4(&p, &ip);
    pcapw_icmp(&p, 8, 0, (uint32_t)300 << 16 | 1, 0);
    pcapw_finish(&p);
    feed(ft, &p, S_NS + 3);
    /* 20 SYNs with new sequence numbers: 12 S kept */
    for (uint32_t k = 0; k < 20; k++) {
        pcapw_tcp_frame(&p, C, 7777, SV, SP, F_S, 1000 + k, 0);
        feed(ft, &p, S_NS + 4 + k);
    }
    flow_table_flush(ft);
    assert_int_equal(s.n, 4);
    for (size_t i = 0; i < s.n; i++) {
        const struct flow_rec *r = &s.rec[i];
        assert_string_equal(r->state, r->proto == 6 ? "S0" : "OTH");
        switch (r->proto) {
        case 132:
            assert_int_equal(r->src_port, 2905);
            assert_int_equal(r->dst_port, 2906);
            assert_true(r->bytes_fwd == 24 + 12 + 20);
            break;
        case 47:
            assert_int_equal(r->src_port, 0);
            assert_true(r->bytes_fwd == 20 + 24);
            break;
        case 1:
            assert_int_equal(r->icmp_id, 300);
            assert_int_equal(r->icmp_type, 8);
            assert_int_equal(r->icmp_count, 1);
            break;
        default:
            assert_int_equal(r->proto, 6);
            assert_string_equal(r->history, "SSSSSSSSSSSS");
            assert_true(r->packets_fwd == 20);
            break;
        }
    }
    assert_true(stats(ft).icmp_unmatched == 0);
    flow_table_free(&ft);
}

/* Open records (flow_table_snapshot()): each active flow that saw a
 * packet since its last one, with open set, its counters so far and a slot
 * shared by every record of the flow; an idle flow is not repeated; the
 * interim and final records say they replace an open one; none of them
 * counts as emitted. */
static void test_snapshot(void **state)
{
    struct flow_config cfg;
    struct pcapw_pkt p;
    struct sink s;
    struct flow_table *ft;
    uint32_t slot;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.active_ns = 100 * S_NS;
    cfg.udp_ns = 1000 * S_NS; /* the UDP flow stays to the end */
    ft = table(&s, &cfg);
    flow_table_snapshot(ft); /* nothing yet */
    assert_int_equal(s.n, 0);
    pcapw_tcp_frame(&p, C, CP, SV, SP, F_S, 100, 0);
    feed(ft, &p, 1 * S_NS);
    pcapw_tcp_frame(&p, SV, SP, C, CP, F_SA, 500, 0);
    feed(ft, &p, 1 * S_NS + 1000);
    pcapw_udp_frame(&p, C, 5353, SV, 53, 10);
    feed(ft, &p, 2 * S_NS);

    flow_table_snapshot(ft);
    assert_int_equal(s.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(s.rec[i].open, 1);
        assert_int_equal(s.rec[i].replaces, 0);
    }
    assert_int_equal(s.rec[0].proto, 6); /* TCP's list comes first */
    assert_int_equal(s.rec[0].packets_fwd, 1);
    assert_int_equal(s.rec[0].packets_rev, 1);
    assert_string_equal(s.rec[0].state, "S1");
    assert_addr(s.rec[0].src, C);
    slot = s.rec[0].slot;
    assert_true(slot != s.rec[1].slot);
    assert_int_equal(stats(ft).flows_emitted, 0);

    /* Only the TCP flow moved: only it comes again, replacing its row. */
    pcapw_tcp_frame(&p, C, CP, SV, SP, F_A, 101, 0);
    feed(ft, &p, 3 * S_NS);
    flow_table_snapshot(ft);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.rec[2].open, 1);
    assert_int_equal(s.rec[2].replaces, 1);
    assert_int_equal(s.rec[2].slot, slot);
    assert_int_equal(s.rec[2].packets_fwd, 2);
    flow_table_snapshot(ft); /* nothing changed */
    assert_int_equal(s.n, 3);

    /* The active timeout cuts an interim row: it replaces the open row;
     * the row after it starts without one. */
    pcapw_tcp_frame(&p, C, CP, SV, SP, F_A, 101, 0);
    feed(ft, &p, 200 * S_NS);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.rec[3].interim, 1);
    assert_int_equal(s.rec[3].open, 0);
    assert_int_equal(s.rec[3].replaces, 1);
    assert_int_equal(s.rec[3].slot, slot);
    assert_int_equal(s.rec[3].packets_fwd, 2);

    /* The end: the TCP flow's row (with one packet) has no open row yet,
     * the UDP flow's has. */
    flow_table_flush(ft);
    assert_int_equal(s.n, 6);
    for (size_t i = 4; i < 6; i++) {
        assert_int_equal(s.rec[i].open, 0);
        if (s.rec[i].proto == 6) {
            assert_int_equal(s.rec[i].replaces, 0);
            assert_int_equal(s.rec[i].packets_fwd, 1);
        } else {
            assert_int_equal(s.rec[i].replaces, 1);
        }
    }
    assert_int_equal(stats(ft).flows_emitted, 3);
    flow_table_free(&ft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conn_states),      cmocka_unit_test(test_udp_states),
        cmocka_unit_test(test_icmp_correlation), cmocka_unit_test(test_icmp_echo),
        cmocka_unit_test(test_encapsulations),   cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_idle_timeouts),    cmocka_unit_test(test_active_timeout),
        cmocka_unit_test(test_eviction),         cmocka_unit_test(test_port_reuse),
        cmocka_unit_test(test_many_flows),       cmocka_unit_test(test_expiry_model),
        cmocka_unit_test(test_pipeline),         cmocka_unit_test(test_misc_protocols),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
