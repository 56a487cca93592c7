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

#define S_NS 1000000000LL
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

static void feed(struct flow_table *ft, const struct pcapw_pkt *p, int64_t ts)
{
    assert_int_equal(flow_table_packet(ft, p->dlt, ts, p->b, p->len, p->len, 7), 0);
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

#define C "198.18.0.1"
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

enum { F_S = PCAPW_SYN, F_SA = PCAPW_SYN | PCAPW_ACK, F_A = PCAPW_ACK,
       F_PA = PCAPW_PSH | PCAPW_ACK, F_FA = PCAPW_FIN | PCAPW_ACK, F_R = PCAPW_RST,
       F_RA = PCAPW_RST | PCAPW_ACK, F_F = PCAPW_FIN };

#define END {-1, 0, 0, 0}

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
        {"SF", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {0, F_PA, 101, 10},
                {1, F_PA, 501, 20}, {0, F_FA, 111, 0}, {1, F_FA, 521, 0}, {0, F_A, 112, 0}, END},
         "SF", "ShADdFf", 1},
        /* established, not closed */
        {"S1", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, END}, "S1", "ShA", 1},
        /* established, the originator closed */
        {"S2", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {0, F_FA, 101, 0}, END},
         "S2", "ShAF", 1},
        /* established, the responder closed */
        {"S3", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {1, F_FA, 501, 0}, END},
         "S3", "ShAf", 1},
        /* established, the originator reset */
        {"RSTO", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {0, F_R, 101, 0}, END},
         "RSTO", "ShAR", 1},
        /* established, the responder reset */
        {"RSTR", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0}, {1, F_RA, 501, 0}, END},
         "RSTR", "ShAr", 1},
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
        {"fin rst", {{0, F_S, 100, 0}, {1, F_SA, 500, 0}, {0, F_A, 101, 0},
                     {0, PCAPW_FIN | PCAPW_RST, 101, 0}, END}, "RSTO", "ShAI", 1},
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conn_states),
        cmocka_unit_test(test_udp_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
