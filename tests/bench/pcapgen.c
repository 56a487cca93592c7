/*
 * pcapgen.c: write a mixed, reproducible pcap for `make bench` and the
 * integration tests.
 *
 *   pcapgen -f FLOWS [-s SEED] [-c CONCURRENT] [-g GAP_US] -o OUT.pcap
 *
 * FLOWS flows of these kinds (share of flows), interleaved CONCURRENT at a
 * time (default 1024) so the flow table sees a realistic working set, one
 * packet every GAP_US microseconds of capture time (default 100).  The next
 * packet of a flow is picked at random among the concurrent ones, so the
 * gap inside a flow is geometric: with 1024 flows at 100 us, a gap of 5 s
 * (Zeek's attempt/close linger, past which a flow is rightly split) has a
 * probability near e^-49, and the ground truth below stays exact.
 *
 *   tcp-sf   55%  handshake, 2..15 data segments, FIN both ways (Zeek SF)
 *   tcp-s0    8%  a SYN sent 1..3 times, never answered (S0)
 *   tcp-rej   7%  SYN answered by RST+ACK (REJ)
 *   tcp-rsto  5%  handshake, 2 data segments, RST from the originator (RSTO)
 *   udp-dns  12%  query and answer to port 53 (SF)
 *   udp-unr   3%  query answered by an ICMP port unreachable (S0 + ICMP error)
 *   icmp-echo 5%  1..4 echo request/reply pairs, one id (one flow)
 *   tcp6-sf   3%  tcp-sf over IPv6
 *   udp6-dns  2%  udp-dns over IPv6
 *
 * About 10 packets a flow.  A tenth of the IPv4 flows carry an 802.1Q tag.
 * Frames hold headers only (caplen), with the original length in len and
 * in the IP total length, as a capture with a small snap length has.
 * Every flow has its own (client address, client port), so no two flows
 * share a 5-tuple.  Fixed seed: the same arguments give the same bytes.
 *
 * On stdout: "packets N flows N", one "KIND N" line per kind and "vlan N"
 * (flows tagged), the ground truth the tests compare with.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { K_SF, K_S0, K_REJ, K_RSTO, K_DNS, K_UNR, K_ECHO, K_SF6, K_DNS6, K_N };

static const char *const kind_name[K_N] = {"tcp-sf",  "tcp-s0",    "tcp-rej", "tcp-rsto", "udp-dns",
                                           "udp-unr", "icmp-echo", "tcp6-sf", "udp6-dns"};
/* Cumulative shares in per mille, in enum order. */
static const unsigned kind_cum[K_N] = {550, 630, 700, 750, 870, 900, 950, 980, 1000};

struct gflow {
    enum kind kind;
    unsigned step;   /* next packet */
    unsigned steps;  /* packets in all */
    unsigned data;   /* data segments (tcp) or exchanges (echo) */
    uint32_t idx;    /* flow number: makes addresses and ports unique */
    uint32_t server; /* server number */
    int vlan;        /* -1: untagged */
    uint32_t cseq, sseq;
};

struct gen {
    uint64_t rng;
    FILE *out;
    uint64_t ts_us;
    uint64_t gap_us;
    uint64_t packets;
    uint64_t per_kind[K_N];
    uint64_t vlan_flows;
    uint8_t frame[256];
};

static uint64_t rnd(struct gen *g)
{
    /* xorshift64*: fast, and the same sequence everywhere */
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * UINT64_C(2685821657736338717);
}

static unsigned rnd_below(struct gen *g, unsigned n)
{
    return (unsigned)((rnd(g) >> 32) % n);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static unsigned ip_csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (~s) & 0xffff;
}

static int is_v6(enum kind k)
{
    return k == K_SF6 || k == K_DNS6;
}

/* Client and server addresses of flow f (v4 in the first 4 bytes). */
static void addrs(const struct gflow *f, uint8_t *cli, uint8_t *srv)
{
    memset(cli, 0, 16);
    memset(srv, 0, 16);
    if (is_v6(f->kind)) {
        cli[0] = srv[0] = 0xfd;
        cli[7] = 1;
        srv[7] = 2;
        put32(cli + 12, f->idx);
        put32(srv + 12, f->server);
    } else {
        /* 50000 clients from 10.1.0.0; the port tells apart the flows of
         * one client (client_port()) */
        put32(cli, ((10u << 24) | (1u << 16)) + f->idx % 50000u);
        put32(srv, (10u << 24) | (200u << 16) | (f->server & 0xffff));
    }
}

static unsigned client_port(const struct gflow *f)
{
    return 10000u + (f->idx / 50000u) % 50000u;
}

/* Ethernet (+VLAN) header; returns its length. */
static size_t put_eth(uint8_t *p, int vlan, int v6)
{
    static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 1}, mac_b[6] = {0x02, 0, 0, 0, 0, 2};

    memcpy(p, mac_a, 6);
    memcpy(p + 6, mac_b, 6);
    if (vlan >= 0) {
        put16(p + 12, 0x8100);
        put16(p + 14, (unsigned)vlan);
        put16(p + 16, v6 ? 0x86dd : 0x0800);
        return 18;
    }
    put16(p + 12, v6 ? 0x86dd : 0x0800);
    return 14;
}

/* IP header from a to b carrying l4len bytes of protocol proto. */
static size_t put_ip(uint8_t *p, int v6, const uint8_t *a, const uint8_t *b, unsigned proto,
                     unsigned l4len)
{
    if (v6) {
        memset(p, 0, 40);
        p[0] = 0x60;
        put16(p + 4, l4len);
        p[6] = (uint8_t)proto;
        p[7] = 64;
        memcpy(p + 8, a, 16);
        memcpy(p + 24, b, 16);
        return 40;
    }
    memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, 20 + l4len);
    p[6] = 0x40; /* DF */
    p[8] = 64;
    p[9] = (uint8_t)proto;
    memcpy(p + 12, a, 4);
    memcpy(p + 16, b, 4);
    put16(p + 10, ip_csum(p, 20));
    return 20;
}

static void emit(struct gen *g, size_t caplen, size_t wirelen)
{
    uint8_t rec[16];

    put32le(rec, (uint32_t)(g->ts_us / 1000000u));
    put32le(rec + 4, (uint32_t)(g->ts_us % 1000000u));
    put32le(rec + 8, (uint32_t)caplen);
    put32le(rec + 12, (uint32_t)wirelen);
    fwrite(rec, 1, 16, g->out);
    fwrite(g->frame, 1, caplen, g->out);
    g->ts_us += g->gap_us;
    g->packets++;
}

enum { TF_FIN = 1, TF_SYN = 2, TF_RST = 4, TF_PSH = 8, TF_ACK = 16 };

/* One TCP segment; fromcli: client to server.  payload bytes are counted
 * in the lengths but not captured. */
static void tcp_pkt(struct gen *g, struct gflow *f, int fromcli, unsigned flags, unsigned payload)
{
    uint8_t cli[16], srv[16];
    int v6 = is_v6(f->kind);
    size_t l2 = put_eth(g->frame, v6 ? -1 : f->vlan, v6), l3;
    uint8_t *t;

    addrs(f, cli, srv);
    l3 = put_ip(g->frame + l2, v6, fromcli ? cli : srv, fromcli ? srv : cli, 6, 20 + payload);
    t = g->frame + l2 + l3;
    memset(t, 0, 20);
    put16(t, fromcli ? client_port(f) : 443);
    put16(t + 2, fromcli ? 443 : client_port(f));
    put32(t + 4, fromcli ? f->cseq : f->sseq);
    put32(t + 8, (flags & TF_ACK) ? (fromcli ? f->sseq : f->cseq) : 0);
    t[12] = 5 << 4;
    t[13] = (uint8_t)flags;
    put16(t + 14, 65535);
    if (fromcli)
        f->cseq += payload + ((flags & (TF_SYN | TF_FIN)) ? 1 : 0);
    else
        f->sseq += payload + ((flags & (TF_SYN | TF_FIN)) ? 1 : 0);
    emit(g, l2 + l3 + 20, l2 + l3 + 20 + payload);
}

static void udp_pkt(struct gen *g, struct gflow *f, int fromcli, unsigned payload)
{
    uint8_t cli[16], srv[16];
    int v6 = is_v6(f->kind);
    size_t l2 = put_eth(g->frame, v6 ? -1 : f->vlan, v6), l3;
    uint8_t *u;

    addrs(f, cli, srv);
    l3 = put_ip(g->frame + l2, v6, fromcli ? cli : srv, fromcli ? srv : cli, 17, 8 + payload);
    u = g->frame + l2 + l3;
    put16(u, fromcli ? client_port(f) : 53);
    put16(u + 2, fromcli ? 53 : client_port(f));
    put16(u + 4, 8 + payload);
    put16(u + 6, 0);
    emit(g, l2 + l3 + 8, l2 + l3 + 8 + payload);
}

/* ICMP port unreachable from the server quoting the client's query. */
static void icmp_unreach(struct gen *g, struct gflow *f)
{
    uint8_t cli[16], srv[16];
    size_t l2 = put_eth(g->frame, f->vlan, 0), l3;
    uint8_t *ic, *q;

    addrs(f, cli, srv);
    l3 = put_ip(g->frame + l2, 0, srv, cli, 1, 8 + 20 + 8);
    ic = g->frame + l2 + l3;
    memset(ic, 0, 8);
    ic[0] = 3; /* destination unreachable */
    ic[1] = 3; /* port unreachable */
    q = ic + 8;
    put_ip(q, 0, cli, srv, 17, 8 + 40);
    put16(q + 20, client_port(f));
    put16(q + 22, 53);
    put16(q + 24, 8 + 40);
    put16(q + 26, 0);
    put16(ic + 2, ip_csum(ic, 36));
    emit(g, l2 + l3 + 36, l2 + l3 + 36);
}

static void icmp_echo(struct gen *g, struct gflow *f, int request, unsigned seq)
{
    uint8_t cli[16], srv[16];
    size_t l2 = put_eth(g->frame, f->vlan, 0), l3;
    uint8_t *ic;

    addrs(f, cli, srv);
    l3 = put_ip(g->frame + l2, 0, request ? cli : srv, request ? srv : cli, 1, 8 + 56);
    ic = g->frame + l2 + l3;
    memset(ic, 0, 8);
    ic[0] = request ? 8 : 0;
    put16(ic + 4, f->idx & 0xffff);
    put16(ic + 6, seq);
    put16(ic + 2, ip_csum(ic, 8));
    emit(g, l2 + l3 + 8, l2 + l3 + 8 + 56);
}

static void flow_start(struct gen *g, struct gflow *f, uint32_t idx)
{
    unsigned r = rnd_below(g, 1000), k = 0;

    while (r >= kind_cum[k])
        k++;
    memset(f, 0, sizeof(*f));
    f->kind = (enum kind)k;
    f->idx = idx;
    f->server = rnd_below(g, 1000);
    f->vlan = !is_v6(f->kind) && rnd_below(g, 10) == 0 ? (int)(100 + rnd_below(g, 10)) : -1;
    f->cseq = (uint32_t)rnd(g);
    f->sseq = (uint32_t)rnd(g);
    switch (f->kind) {
    case K_SF:
    case K_SF6:
        f->data = 2 + rnd_below(g, 14);
        f->steps = 3 + f->data + 4;
        break;
    case K_S0:
        f->steps = 1 + rnd_below(g, 3);
        break;
    case K_REJ:
    case K_DNS:
    case K_DNS6:
    case K_UNR:
        f->steps = 2;
        break;
    case K_RSTO:
        f->steps = 6;
        break;
    case K_ECHO:
        f->data = 1 + rnd_below(g, 4);
        f->steps = 2 * f->data;
        break;
    case K_N:
        break;
    }
    g->per_kind[k]++;
    g->vlan_flows += f->vlan >= 0;
}

/* Emit flow f's next packet. */
static void flow_step(struct gen *g, struct gflow *f)
{
    unsigned s = f->step++;

    switch (f->kind) {
    case K_SF:
    case K_SF6:
        if (s == 0)
            tcp_pkt(g, f, 1, TF_SYN, 0);
        else if (s == 1)
            tcp_pkt(g, f, 0, TF_SYN | TF_ACK, 0);
        else if (s == 2)
            tcp_pkt(g, f, 1, TF_ACK, 0);
        else if (s < 3 + f->data)
            tcp_pkt(g, f, (s - 3) % 2 == 0, TF_PSH | TF_ACK, (s - 3) % 2 == 0 ? 200 : 1400);
        else if (s == 3 + f->data)
            tcp_pkt(g, f, 1, TF_FIN | TF_ACK, 0);
        else if (s == 4 + f->data)
            tcp_pkt(g, f, 0, TF_ACK, 0);
        else if (s == 5 + f->data)
            tcp_pkt(g, f, 0, TF_FIN | TF_ACK, 0);
        else
            tcp_pkt(g, f, 1, TF_ACK, 0);
        break;
    case K_S0:
        f->cseq -= s ? 1 : 0; /* a retransmission repeats the sequence number */
        tcp_pkt(g, f, 1, TF_SYN, 0);
        break;
    case K_REJ:
        if (s == 0)
            tcp_pkt(g, f, 1, TF_SYN, 0);
        else
            tcp_pkt(g, f, 0, TF_RST | TF_ACK, 0);
        break;
    case K_RSTO:
        if (s == 0)
            tcp_pkt(g, f, 1, TF_SYN, 0);
        else if (s == 1)
            tcp_pkt(g, f, 0, TF_SYN | TF_ACK, 0);
        else if (s == 2)
            tcp_pkt(g, f, 1, TF_ACK, 0);
        else if (s == 3)
            tcp_pkt(g, f, 1, TF_PSH | TF_ACK, 100);
        else if (s == 4)
            tcp_pkt(g, f, 0, TF_PSH | TF_ACK, 100);
        else
            tcp_pkt(g, f, 1, TF_RST | TF_ACK, 0);
        break;
    case K_DNS:
    case K_DNS6:
        udp_pkt(g, f, s == 0, s == 0 ? 40 : 120);
        break;
    case K_UNR:
        if (s == 0)
            udp_pkt(g, f, 1, 40);
        else
            icmp_unreach(g, f);
        break;
    case K_ECHO:
        icmp_echo(g, f, s % 2 == 0, s / 2 + 1);
        break;
    case K_N:
        break;
    }
}

static void usage(void)
{
    fputs("usage: pcapgen -f FLOWS [-s SEED] [-c CONCURRENT] [-g GAP_US] -o OUT.pcap\n", stderr);
    exit(2);
}

static unsigned long long num(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    if (!*s || *end)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    struct gen g;
    struct gflow *act;
    uint64_t flows = 0, started = 0, conc = 1024, seed = 1;
    const char *out = NULL;
    size_t n = 0, j;
    uint8_t hdr[24];
    static char iobuf[1 << 20];
    unsigned k;
    int c;

    memset(&g, 0, sizeof(g));
    g.gap_us = 100;
    while ((c = getopt(argc, argv, "f:s:c:g:o:")) != -1) {
        switch (c) {
        case 'f':
            flows = num(optarg);
            break;
        case 's':
            seed = num(optarg);
            break;
        case 'c':
            conc = num(optarg);
            break;
        case 'g':
            g.gap_us = num(optarg);
            break;
        case 'o':
            out = optarg;
            break;
        default:
            usage();
        }
    }
    if (!out || !flows || !conc || flows > 2500000000u)
        usage();
    g.rng = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
    g.ts_us = UINT64_C(1700000000) * 1000000u;
    g.out = fopen(out, "wb");
    if (!g.out) {
        perror(out);
        return 1;
    }
    setvbuf(g.out, iobuf, _IOFBF, sizeof(iobuf));
    /* pcap file header: microsecond magic, version 2.4, snaplen 256,
     * LINKTYPE_ETHERNET */
    memset(hdr, 0, sizeof(hdr));
    put32le(hdr, 0xa1b2c3d4);
    hdr[4] = 2;
    hdr[6] = 4;
    put32le(hdr + 16, 256);
    put32le(hdr + 20, 1);
    fwrite(hdr, 1, sizeof(hdr), g.out);

    act = calloc((size_t)conc, sizeof(*act));
    if (!act)
        return 1;
    while (n < conc && started < flows)
        flow_start(&g, &act[n++], (uint32_t)started++);
    while (n > 0) {
        j = rnd_below(&g, (unsigned)n);
        flow_step(&g, &act[j]);
        if (act[j].step == act[j].steps) {
            if (started < flows)
                flow_start(&g, &act[j], (uint32_t)started++);
            else
                act[j] = act[--n];
        }
    }
    if (fclose(g.out) != 0) {
        perror(out);
        return 1;
    }
    free(act);
    printf("packets %llu flows %llu\n", (unsigned long long)g.packets, (unsigned long long)started);
    for (k = 0; k < K_N; k++)
        printf("%s %llu\n", kind_name[k], (unsigned long long)g.per_kind[k]);
    printf("vlan %llu\n", (unsigned long long)g.vlan_flows);
    return 0;
}
