/*
 * fuzz_decode.c: libFuzzer target for the packet decoder with the flow
 * table behind it (capture/decode.c, flow_table.c, flow_state.c).
 *
 * Input: byte 0 picks the link type (every one flow_dlt_supported()
 * accepts); then frames, each as
 *
 *     +--------+--------+--------+--------+--------...
 *     | len (2, big endian)     | dt (1)  | frame bytes (len)
 *     +--------+--------+--------+--------+--------...
 *
 * Time starts in 2023, or when the top bit of byte 0 is set, a minute
 * before the largest time src_ts_ns() returns (hostile pcapng timestamps
 * saturate there).  dt advances packet time by dt * 250 ms (so idle and active timeouts and
 * fragment expiry fire within one input); wire length is the frame length
 * plus the top bit of dt times 1000 (snaplen-cut frames).  A short last
 * record takes what is left.  The table is small (max 8 flows) so eviction
 * runs too.
 *
 * Invariants: flow_table_packet() returns 0 for a supported link type;
 * every emitted record has family 4 or 6, a Zeek state word, a terminated
 * history, first_ns <= last_ns; after the flush no flow is active and the
 * table counted every packet and every record it emitted.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "capture/flow.h"
#include "common/compat.h"

static const int fd_dlts[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};

struct fd_ctx {
    uint64_t emitted;
};

static void fd_emit(void *ctx, const struct flow_rec *r)
{
    static const char *const states[] = {"S0",   "S1",     "SF",    "REJ", "S2",  "S3", "RSTO",
                                         "RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH"};
    struct fd_ctx *c = ctx;
    size_t i;

    c->emitted++;
    if (r->family != 4 && r->family != 6)
        fuzz_fail("fuzz_decode", "record family not 4 or 6");
    if (memchr(r->state, '\0', sizeof(r->state)) == NULL ||
        memchr(r->history, '\0', sizeof(r->history)) == NULL)
        fuzz_fail("fuzz_decode", "state or history not terminated");
    for (i = 0; i < ARRAY_SIZE(states); i++)
        if (strcmp(r->state, states[i]) == 0)
            break;
    if (i == ARRAY_SIZE(states))
        fuzz_fail("fuzz_decode", "state is not a Zeek conn_state");
    if (r->first_ns > r->last_ns)
        fuzz_fail("fuzz_decode", "flow ends before it starts");
    if (r->packets_fwd + r->packets_rev == 0)
        fuzz_fail("fuzz_decode", "flow of no packet");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_config cfg;
    struct flow_table *ft;
    struct flow_stats st;
    struct fd_ctx ctx = {0};
    int64_t t = 1700000000000000000;
    uint64_t packets = 0;
    int dlt;

    if (size < 1)
        return 0;
    dlt = fd_dlts[(data[0] & 0x7f) % ARRAY_SIZE(fd_dlts)];
    if (data[0] & 0x80)
        t = (INT64_MAX / 1000000000 - 1) * 1000000000 - INT64_C(60000000000);
    if (!flow_dlt_supported(dlt))
        fuzz_fail("fuzz_decode", "a link type of the list is not supported");
    data++;
    size--;
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_flows = 8;
    cfg.hash_seed = 0x5eed;
    ft = flow_table_new(&cfg, fd_emit, &ctx);
    while (size > 0) {
        size_t len = size >= 2 ? (size_t)data[0] << 8 | data[1] : 0;
        uint8_t dt = size >= 3 ? data[2] : 0;
        size_t hdr = size >= 3 ? 3 : size;

        data += hdr;
        size -= hdr;
        if (len > size)
            len = size;
        if (t <= INT64_MAX - INT64_C(127) * 250000000)
            t += (int64_t)(dt & 0x7f) * 250000000;
        if (flow_table_packet(ft, dlt, t, data, len, len + (dt & 0x80 ? 1000 : 0), 1) != 0)
            fuzz_fail("fuzz_decode", "flow_table_packet failed on a supported link type");
        packets++;
        data += len;
        size -= len;
    }
    flow_table_flush(ft);
    flow_table_stats(ft, &st);
    if (st.active != 0)
        fuzz_fail("fuzz_decode", "flows left after the flush");
    if (st.packets != packets)
        fuzz_fail("fuzz_decode", "packets miscounted");
    if (st.flows_emitted != ctx.emitted)
        fuzz_fail("fuzz_decode", "emitted records miscounted");
    flow_table_free(&ft);
    return 0;
}
