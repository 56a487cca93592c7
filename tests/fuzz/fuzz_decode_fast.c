/*
 * fuzz_decode_fast.c: libFuzzer target proving the decoder's fast path
 * equal to the bounds-checked decoder (capture/decode.c).
 *
 * decode_frame() first tries decode_fast_ether(), a straight pass over the
 * common frame (Ethernet, at most one 802.1Q tag, IPv4 without options or
 * fragments, TCP or UDP), and hands anything else to decode_frame_full(),
 * which reads every byte through the bounds-checked cursor.  The two must
 * never differ: for any frame and any snap and wire length, both return
 * the same result and, when it is DECODE_OK, the same fields (everything
 * before .quoted, and .quoted.ok).  Any difference aborts.
 *
 * Input:
 *
 *     +--------+--------+--------...
 *     | mode   | extra  | frame bytes (caplen: the rest)
 *     +--------+--------+--------...
 *
 * mode & 3 gives the wire length: 0 caplen; 1 caplen + extra * 8 (a frame
 * cut by the snap length); 2 caplen / 2 (a broken record: the wire shorter
 * than the capture); 3 caplen + 65536 + extra.  mode & 4 flips the frame's
 * link type to one the fast path never takes (Linux SLL), as a control.
 */
#include "tests/fuzz/fuzz.h"

#include <stddef.h>
#include <string.h>

#include "capture/decode.h"
#include "capture/decode_int.h"
#include "common/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct decode_pkt x, y;
    enum decode_result rx, ry;
    size_t caplen, wirelen;
    int dlt;

    if (size < 2)
        return 0;
    caplen = size - 2;
    switch (data[0] & 3) {
    case 0:
        wirelen = caplen;
        break;
    case 1:
        wirelen = caplen + (size_t)data[1] * 8;
        break;
    case 2:
        wirelen = caplen / 2;
        break;
    default:
        wirelen = caplen + 65536 + data[1];
        break;
    }
    dlt = (data[0] & 4) ? DECODE_DLT_LINUX_SLL : DECODE_DLT_EN10MB;
    /* Different garbage in each: a field one decoder leaves unset shows. */
    memset(&x, 0xa5, sizeof(x));
    memset(&y, 0x5a, sizeof(y));
    rx = decode_frame(dlt, data + 2, caplen, wirelen, &x);
    ry = decode_frame_full(dlt, data + 2, caplen, wirelen, &y);
    if (rx != ry)
        fuzz_fail("fuzz_decode_fast",
                  "the fast path and the checked decoder disagree on the result");
    if (rx == DECODE_OK &&
        (memcmp(&x, &y, offsetof(struct decode_pkt, quoted)) != 0 || x.quoted.ok != y.quoted.ok))
        fuzz_fail("fuzz_decode_fast", "the fast path and the checked decoder disagree on a field");
    return 0;
}
