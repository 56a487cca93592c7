/*
 * mkflows.c: a small pcap for integration tests, flow by flow, through
 * tests/helpers/pcapw.c (Ethernet, IPv4 or IPv6 by the address text).
 *
 *   mkflows OUT.pcap < FLOWS
 *
 * Each line of FLOWS: "MS KIND SRC SPORT DST DPORT", MS the start in
 * milliseconds after 2026-01-01T00:00:00Z, SRC the client.  Kinds:
 *   udp       a datagram and its answer 1 ms later (Zeek SF)
 *   tcp       SYN, SYN-ACK, ACK 1 ms apart (S1, still open)
 *   tcp-s0    a SYN and its retransmission 1 s later, never answered (S0)
 *   tcp-out   SYN and ACK only: what a capture of one link's inbound
 *             packets (tcpdump -Q in) sees of the client's side
 *   tcp-back  the SYN-ACK only, from DST to SRC: what it sees of the
 *             server's side (a Service's backend, after the DNAT)
 *   udp-back  the answer only, from DST to SRC
 * Blank lines and lines starting with '#' are skipped.  Exit 0, or 2
 * with a message naming the line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/helpers/pcapw.h"
#include "common/compat.h"

#define T0_NS INT64_C(1767225600000000000) /* 2026-01-01T00:00:00Z */
#define MS    INT64_C(1000000)

int main(int argc, char **argv)
{
    struct pcapw_file *f;
    struct pcapw_pkt p;
    char line[512];
    unsigned n = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: mkflows OUT.pcap < FLOWS\n");
        return 2;
    }
    f = pcapw_open(argv[1], PCAPW_DLT_EN10MB, 65535);
    while (fgets(line, sizeof(line), stdin)) {
        char proto[16], src[64], dst[64];
        unsigned sport, dport;
        int64_t ms, t;

        n++;
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (sscanf(line, "%" SCNd64 " %15s %63s %u %63s %u", &ms, proto, src, &sport, dst,
                   &dport) != 6 ||
            sport > 65535 || dport > 65535 || ms < 0) {
            fprintf(stderr, "mkflows: line %u: expected MS KIND SRC SPORT DST DPORT\n", n);
            return 2;
        }
        t = T0_NS + ms * MS;
        if (strcmp(proto, "tcp-s0") == 0) {
            pcapw_tcp_frame(&p, src, (uint16_t)sport, dst, (uint16_t)dport, PCAPW_SYN, 1000, 0);
            pcapw_write_pkt(f, t, &p);
            pcapw_write_pkt(f, t + 1000 * MS, &p);
        } else if (strcmp(proto, "tcp-out") == 0) {
            pcapw_tcp_frame(&p, src, (uint16_t)sport, dst, (uint16_t)dport, PCAPW_SYN, 1000, 0);
            pcapw_write_pkt(f, t, &p);
            pcapw_tcp_frame(&p, src, (uint16_t)sport, dst, (uint16_t)dport, PCAPW_ACK, 1001, 0);
            pcapw_write_pkt(f, t + 2 * MS, &p);
        } else if (strcmp(proto, "tcp-back") == 0) {
            pcapw_tcp_frame(&p, dst, (uint16_t)dport, src, (uint16_t)sport, PCAPW_SYN | PCAPW_ACK,
                            5000, 0);
            pcapw_write_pkt(f, t + MS, &p);
        } else if (strcmp(proto, "udp-back") == 0) {
            pcapw_udp_frame(&p, dst, (uint16_t)dport, src, (uint16_t)sport, 40);
            pcapw_write_pkt(f, t + MS, &p);
        } else if (strcmp(proto, "udp") == 0) {
            pcapw_udp_frame(&p, src, (uint16_t)sport, dst, (uint16_t)dport, 20);
            pcapw_write_pkt(f, t, &p);
            pcapw_udp_frame(&p, dst, (uint16_t)dport, src, (uint16_t)sport, 40);
            pcapw_write_pkt(f, t + MS, &p);
        } else if (strcmp(proto, "tcp") == 0) {
            pcapw_tcp_frame(&p, src, (uint16_t)sport, dst, (uint16_t)dport, PCAPW_SYN, 1000, 0);
            pcapw_write_pkt(f, t, &p);
            pcapw_tcp_frame(&p, dst, (uint16_t)dport, src, (uint16_t)sport, PCAPW_SYN | PCAPW_ACK,
                            5000, 0);
            pcapw_write_pkt(f, t + MS, &p);
            pcapw_tcp_frame(&p, src, (uint16_t)sport, dst, (uint16_t)dport, PCAPW_ACK, 1001, 0);
            pcapw_write_pkt(f, t + 2 * MS, &p);
        } else {
            fprintf(stderr, "mkflows: line %u: unknown protocol '%s'\n", n, proto);
            return 2;
        }
    }
    pcapw_close(&f);
    return 0;
}
