/*
 * pcapfile.c: classic pcap records walked in a window of the file (see
 * pcapfile.h).
 *
 * The checks mirror libpcap 1.10's sf-pcap.c so that whatever this reader
 * accepts, libpcap would have returned with the same header and bytes:
 * libpcap takes version 2.4 records as they are (older versions may have
 * caplen and len swapped: refused here), refuses a caplen above
 * max_snaplen_for_dlt(), and cuts one above the file's snapshot length
 * (refused here); pcap_pkthdr's time fields come from 32-bit signed fields,
 * so values of 2^31 and up would be negative there (refused here, libpcap
 * decides what they mean).  A microsecond file read at nanosecond precision
 * has its fraction multiplied by 1000, as libpcap's SCALE_UP does.
 */
#include "capture/pcapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du

static inline uint32_t bswap32(uint32_t v)
{
    return __builtin_bswap32(v);
}

/* The 32-bit field at p, of which the caller checked 4 bytes exist. */
static inline uint32_t rd32(const struct pcapfile *pf, const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return pf->swapped ? bswap32(v) : v;
}

static inline uint16_t rd16(const struct pcapfile *pf, const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, 2);
    if (!pf->swapped)
        return v;
    return (uint16_t)((v >> 8) | (v << 8));
}

int pcapfile_init(struct pcapfile *pf, const uint8_t *buf, size_t size, uint32_t snaplen)
{
    uint32_t magic;

    memset(pf, 0, sizeof(*pf));
    pf->fd = -1;
    if (!buf || size < PCAPFILE_HDR_LEN)
        return -1;
    memcpy(&magic, buf, 4);
    if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
        pf->swapped = 0;
    } else if (magic == bswap32(PCAP_MAGIC_US) || magic == bswap32(PCAP_MAGIC_NS)) {
        pf->swapped = 1;
        magic = bswap32(magic);
    } else {
        return -1; /* pcapng, a modified format, or not a capture: libpcap's */
    }
    pf->nano = magic == PCAP_MAGIC_NS;
    if (rd16(pf, buf + 4) != 2 || rd16(pf, buf + 6) != 4)
        return -1;
    if (snaplen == 0 || snaplen > LIM_SNAPLEN_MAX)
        return -1;
    pf->buf = buf;
    pf->size = size;
    pf->off = PCAPFILE_HDR_LEN;
    pf->eof = 1;
    pf->snaplen = snaplen;
    return 0;
}

/* The record at pf->off into *r: 1, -1 for libpcap's, 0 at the end, or
 * 2 when it runs past the bytes held but the file goes on (read on). */
static inline int next_rec(struct pcapfile *pf, struct pcapfile_rec *r)
{
    const uint8_t *h;
    uint32_t sec, frac, caplen, len;
    size_t left;

    left = pf->size - pf->off;
    if (left < PCAPFILE_REC_LEN) {
        if (!pf->eof)
            return 2;
        /* libpcap: "truncated dump file; tried to read 16 header bytes" */
        return left == 0 ? 0 : -1;
    }
    h = pf->buf + pf->off;
    sec = rd32(pf, h);
    frac = rd32(pf, h + 4);
    caplen = rd32(pf, h + 8);
    len = rd32(pf, h + 12);
    if (caplen > pf->snaplen)
        return -1;
    if (caplen > left - PCAPFILE_REC_LEN)
        return pf->eof ? -1 : 2;
    if ((sec | frac) & 0x80000000u)
        return -1;
    r->ts_ns = (int64_t)sec * 1000000000 + (pf->nano ? (int64_t)frac : (int64_t)frac * 1000);
    r->caplen = caplen;
    r->len = len;
    r->data = h + PCAPFILE_REC_LEN;
    pf->off += PCAPFILE_REC_LEN + (size_t)caplen;
    return 1;
}

/*
 * Read on: the bytes from pf->off (a record cut by the window's end) to
 * the window's start, then the file after them until the window is full
 * or the file ends.  Records handed out before are overwritten.  A read
 * error ends the bytes there, as the file's end would: the record cut
 * short goes to libpcap, which meets the error itself and reports it.
 */
static void pcapfile_fill(struct pcapfile *pf)
{
    size_t keep = pf->size - pf->off;

    if (pf->eof || pf->fd < 0)
        return;
    memmove(pf->win, pf->win + pf->off, keep);
    pf->base += pf->off;
    pf->off = 0;
    pf->size = keep;
    while (pf->size < pf->cap) {
        ssize_t n =
            pread(pf->fd, pf->win + pf->size, pf->cap - pf->size, (off_t)(pf->base + pf->size));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            pf->eof = 1;
            break;
        }
        pf->size += (size_t)n;
    }
}

size_t pcapfile_batch(struct pcapfile *pf, struct pcapfile_rec *r, size_t max, int *end)
{
    struct pcapfile w;
    size_t n = 0;
    int rc = 1;

    /* At most two passes: the second, when the first record of the batch
     * runs past the window, reads on first.  The caller is done with the
     * last batch, so the window may move now; never between the records
     * of a batch, which stop short of the window's end instead. */
    for (int pass = 0; pass < 2 && n == 0; pass++) {
        if (pass) {
            if (rc != 2)
                break;
            pcapfile_fill(pf);
        }
        /* A local copy stays in registers through the loop (the records'
         * stores cannot alias it). */
        w = *pf;
        for (n = 0; n < max; n++) {
            rc = next_rec(&w, &r[n]);
            if (rc != 1)
                break;
        }
        pf->off = w.off;
    }
    /* 2: the next record runs past the window; the next call reads on. */
    *end = rc == 2 ? 1 : rc;
    return n;
}

int pcapfile_next(struct pcapfile *pf, struct pcapfile_rec *r)
{
    int end;

    if (pcapfile_batch(pf, r, 1, &end) == 1)
        return 1;
    return end;
}

int pcapfile_open(struct pcapfile *pf, int fd, uint32_t snaplen)
{
    uint8_t hdr[PCAPFILE_HDR_LEN];
    struct stat st;
    ssize_t n;
    int dup;

    memset(pf, 0, sizeof(*pf));
    pf->fd = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    do
        n = pread(fd, hdr, sizeof(hdr), 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(hdr) || pcapfile_init(pf, hdr, sizeof(hdr), snaplen) != 0) {
        memset(pf, 0, sizeof(*pf));
        pf->fd = -1;
        return -1;
    }
    dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) {
        memset(pf, 0, sizeof(*pf));
        pf->fd = -1;
        return -1;
    }
    /* One whole record of the snapshot length always fits after the
     * bytes kept of a record cut by the window's end. */
    pf->cap = PCAPFILE_WINDOW + PCAPFILE_REC_LEN + (size_t)snaplen;
    pf->win = xmalloc(pf->cap);
    memcpy(pf->win, hdr, sizeof(hdr));
    pf->buf = pf->win;
    pf->size = sizeof(hdr);
    pf->fd = dup;
    pf->eof = 0;
    (void)posix_fadvise(dup, 0, 0, POSIX_FADV_SEQUENTIAL);
    return 0;
}

void pcapfile_close(struct pcapfile *pf)
{
    if (pf->fd >= 0)
        close(pf->fd);
    free(pf->win);
    memset(pf, 0, sizeof(*pf));
    pf->fd = -1;
}
