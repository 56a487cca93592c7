/*
 * pcapcount.c: the bench's baseline: read a pcap with pcap_loop() and
 * count packets and bytes, nothing else.  What libpcap alone costs is the
 * ceiling for podflow-capture -r on the same file.
 *
 *   pcapcount FILE   prints "packets N bytes N seconds S pps R"
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct count {
    uint64_t packets;
    uint64_t bytes;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct count *c = (struct count *)user;

    (void)data;
    c->packets++;
    c->bytes += h->len;
}

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct count c = {0, 0};
    struct timespec t0, t1;
    double secs;
    pcap_t *p;

    if (argc != 2) {
        fputs("usage: pcapcount FILE\n", stderr);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    p = pcap_open_offline(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "pcapcount: %s\n", errbuf);
        return 2;
    }
    if (pcap_loop(p, -1, on_packet, (u_char *)&c) == PCAP_ERROR) {
        fprintf(stderr, "pcapcount: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 2;
    }
    pcap_close(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("packets %llu bytes %llu seconds %.3f pps %.0f\n", (unsigned long long)c.packets,
           (unsigned long long)c.bytes, secs, secs > 0 ? (double)c.packets / secs : 0.0);
    return 0;
}
