/*
 * pcapfile.c: classic pcap records walked in a memory mapping (see
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

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/compat.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du

/* Walked bytes are given back to the kernel in steps of this many: the
 * page cache keeps them, but our resident set does not grow with the
 * file.  A madvise() per 2 MB is nothing next to the packets in it. */
#define PCAPFILE_RELEASE_STEP (2u << 20)

/*
 * A file truncated while mapped raises SIGBUS on the first access past its
 * new end.  The handler maps a page of zeros over the faulting page and
 * notes it for that mapping; the access is retried and reads zeros, and
 * pcapfile_batch() stops before the record it was reading.  A signal
 * handler can only find its ranges in static storage: these are the one
 * piece of process-wide state of the module.
 */
#define PCAPFILE_MAX_MAPS 64

struct pcapfile_range {
    uintptr_t start, end;
};

static struct pcapfile_range pcapfile_maps[PCAPFILE_MAX_MAPS];
static volatile sig_atomic_t pcapfile_gone[PCAPFILE_MAX_MAPS];

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
    pf->snaplen = snaplen;
    return 0;
}

/* Give back to the kernel the mapped pages wholly before pf->off. */
static void pcapfile_release(struct pcapfile *pf)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t end = pf->off & ~(page - 1);

    if (end > pf->released) {
        (void)madvise((void *)(uintptr_t)(pf->buf + pf->released), end - pf->released,
                      MADV_DONTNEED);
        pf->released = end;
    }
}

/* pcapfile_next() without giving pages back: the records handed out
 * before may still be in use. */
static inline int next_rec(struct pcapfile *pf, struct pcapfile_rec *r)
{
    const uint8_t *h;
    uint32_t sec, frac, caplen, len;
    size_t left;

    left = pf->size - pf->off;
    if (left == 0)
        return 0;
    if (left < PCAPFILE_REC_LEN)
        return -1; /* libpcap: "truncated dump file; tried to read 16 header bytes" */
    h = pf->buf + pf->off;
    sec = rd32(pf, h);
    frac = rd32(pf, h + 4);
    caplen = rd32(pf, h + 8);
    len = rd32(pf, h + 12);
    if (caplen > pf->snaplen || caplen > left - PCAPFILE_REC_LEN)
        return -1;
    if ((sec | frac) & 0x80000000u)
        return -1;
    r->ts_ns = (int64_t)sec * 1000000000 + (pf->nano ? (int64_t)frac : (int64_t)frac * 1000);
    r->caplen = caplen;
    r->len = len;
    r->data = h + PCAPFILE_REC_LEN;
    pf->off += PCAPFILE_REC_LEN + (size_t)caplen;
    return 1;
}

int pcapfile_next(struct pcapfile *pf, struct pcapfile_rec *r)
{
    /* The caller is done with the record before: its pages may go. */
    if (pf->mapped && pf->off - pf->released >= PCAPFILE_RELEASE_STEP)
        pcapfile_release(pf);
    return next_rec(pf, r);
}

size_t pcapfile_batch(struct pcapfile *pf, struct pcapfile_rec *r, size_t max, int *end)
{
    static const volatile sig_atomic_t never;
    const volatile sig_atomic_t *gone = pf->mapped ? &pcapfile_gone[pf->slot] : &never;
    struct pcapfile w;
    size_t n;

    /* The caller is done with the last batch (and only with it): release
     * before the first record of this one, never between its records. */
    if (pf->mapped && pf->off - pf->released >= PCAPFILE_RELEASE_STEP)
        pcapfile_release(pf);
    /* A local copy stays in registers through the loop (the records'
     * stores cannot alias it). */
    w = *pf;
    *end = 0;
    for (n = 0; n < max; n++) {
        int rc = next_rec(&w, &r[n]);

        if (rc != 1) {
            *end = rc;
            break;
        }
        /* A file truncated under us faults on a record's last byte first
         * (a file loses its tail); the fault reads zeros and is noted:
         * stop before the zeros are taken for a packet.  (The read also
         * brings the packet's last line in ahead of the decoder.) */
        if (r[n].caplen)
            (void)*(const volatile uint8_t *)(r[n].data + r[n].caplen - 1);
        if (*gone) {
            w.off -= PCAPFILE_REC_LEN + (size_t)r[n].caplen;
            *end = -2;
            break;
        }
    }
    pf->off = w.off;
    return n;
}

/* --- mapping --------------------------------------------------------------- */

static void pcapfile_sigbus(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    int i;

    (void)uc;
    for (i = 0; i < PCAPFILE_MAX_MAPS; i++) {
        if (a >= pcapfile_maps[i].start && a < pcapfile_maps[i].end) {
            void *p = (void *)(a & ~(uintptr_t)(page - 1));

            if (mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
                MAP_FAILED)
                break;
            pcapfile_gone[i] = 1;
            return;
        }
    }
    /* Not ours: the default action, when the access is retried. */
    signal(sig, SIG_DFL);
}

int pcapfile_shrunk(const struct pcapfile *pf)
{
    return pf->mapped && pcapfile_gone[pf->slot] != 0;
}

int pcapfile_map(struct pcapfile *pf, int fd, uint32_t snaplen)
{
    struct stat st;
    void *m;
    int slot;

    memset(pf, 0, sizeof(*pf));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < PCAPFILE_HDR_LEN ||
        (uintmax_t)st.st_size > SIZE_MAX)
        return -1;
    for (slot = 0; slot < PCAPFILE_MAX_MAPS && pcapfile_maps[slot].start; slot++)
        ;
    if (slot == PCAPFILE_MAX_MAPS)
        return -1;
    {
        /* Set at every mapping, not once: whoever set another handler
         * since (a test harness) is not reading our mappings. */
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = pcapfile_sigbus;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGBUS, &sa, NULL) != 0)
            return -1;
    }
    m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return -1;
    if (pcapfile_init(pf, m, (size_t)st.st_size, snaplen) != 0) {
        munmap(m, (size_t)st.st_size);
        memset(pf, 0, sizeof(*pf));
        return -1;
    }
    (void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    pcapfile_gone[slot] = 0;
    pcapfile_maps[slot].end = (uintptr_t)m + (size_t)st.st_size;
    pcapfile_maps[slot].start = (uintptr_t)m;
    pf->mapped = 1;
    pf->slot = slot;
    return 0;
}

void pcapfile_unmap(struct pcapfile *pf)
{
    int i;

    if (!pf->mapped)
        return;
    for (i = 0; i < PCAPFILE_MAX_MAPS; i++) {
        if (pcapfile_maps[i].start == (uintptr_t)pf->buf) {
            pcapfile_maps[i].start = 0;
            pcapfile_maps[i].end = 0;
        }
    }
    munmap((void *)(uintptr_t)pf->buf, pf->size);
    memset(pf, 0, sizeof(*pf));
}
