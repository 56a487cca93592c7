/*
 * fuzz_pcap.c: libFuzzer target for the file reading path of
 * podflow-capture -r: libpcap's pcap and pcapng readers on the input
 * (pcap_fopen_offline_with_tstamp_precision over fmemopen, nanosecond
 * precision as capture/source.c asks), then every packet through
 * src_ts_ns() and the flow table, as capture/main.c reads a file.
 *
 * libpcap itself is not instrumented (the system library); what is under
 * test is that whatever it hands back (any link type, caplen, timestamp
 * of any size) is safe for our code.  A file of a link type we do not
 * decode is refused as src_open_file() refuses it.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/flow.h"
#include "capture/source.h"
#include "common/compat.h"

/* Packets read per input at most (a long file adds time, not coverage). */
#define FP_MAX_PACKETS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct flow_config cfg;
    struct flow_table *ft;
    struct pcap_pkthdr *h;
    const u_char *pkt;
    struct src s;
    FILE *f;
    unsigned n = 0;

    if (size == 0)
        return 0;
    f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    memset(&s, 0, sizeof(s));
    /* On failure libpcap leaves f open; on success the handle owns it. */
    s.pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!s.pcap) {
        fclose(f);
        return 0;
    }
    s.dlt = pcap_datalink(s.pcap);
    s.ts_nano = pcap_get_tstamp_precision(s.pcap) == PCAP_TSTAMP_PRECISION_NANO;
    if (!flow_dlt_supported(s.dlt)) {
        pcap_close(s.pcap);
        return 0;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_flows = 64;
    cfg.hash_seed = 0x5eed;
    ft = flow_table_new(&cfg, NULL, NULL);
    while (n++ < FP_MAX_PACKETS && pcap_next_ex(s.pcap, &h, &pkt) == 1)
        (void)flow_table_packet(ft, s.dlt, src_ts_ns(&s, h), pkt, h->caplen, h->len, 1);
    flow_table_flush(ft);
    flow_table_free(&ft);
    pcap_close(s.pcap);
    return 0;
}
