/*
 * pcapfile.h: a reader of classic pcap savefiles for `podflow-capture -r`
 * that hands out records in place, from a window of the file it reads in
 * large steps.
 *
 * libpcap reads a savefile with two fread() calls per record, copying each
 * packet into its own buffer: at 10M packets that copy and the stdio
 * bookkeeping cost as much as our whole decoder.  This reader reads the
 * file with pread(2) into one window (PCAPFILE_WINDOW bytes plus one
 * record of the snapshot length) and hands out pointers into it.  It read
 * a memory mapping before: on the virtual machines we run on each page of
 * a mapping costs a fault whose handling is dear, and walking the bench's
 * 72 MB file took 55 ms of CPU mapped against 12 ms read (the read's copy
 * lands in a window that stays in the cache).
 *
 * It takes only the plain case: the classic format version 2.4, micro- or
 * nanosecond magic, either byte order, records whose captured length fits
 * the file's snapshot length, and time stamps libpcap reads the same way
 * (fields below 2^31).  Anything else -- pcapng, another version, a
 * truncated or oversized record -- is left to libpcap: pcapfile_open()
 * refuses the file, or the walk stops at the record and pcapfile_offset()
 * says where libpcap is to carry on, so its messages and results stay ours.
 *
 * Classic pcap (pcap-savefile(5)):
 *
 *     file header, 24 bytes             record header, 16 bytes
 *     +----------------------------+    +----------------------------+
 *     | magic         a1b2c3d4 (us)|    | ts seconds                 |
 *     |               a1b23c4d (ns)|    | ts micro- or nanoseconds   |
 *     | major 2       | minor 4    |    | captured length (caplen)   |
 *     | thiszone                   |    | original length (len)      |
 *     | sigfigs                    |    +----------------------------+
 *     | snaplen                    |    | caplen bytes of packet     |
 *     | linktype                   |    +----------------------------+
 *     +----------------------------+
 *
 * Every field is in the writer's byte order, told by the magic.
 */
#ifndef PODFLOW_CAPTURE_PCAPFILE_H
#define PODFLOW_CAPTURE_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>

#define PCAPFILE_HDR_LEN 24
#define PCAPFILE_REC_LEN 16
/* The window's size beyond one whole record: read in steps of at least
 * this much.  256 KB stays in a core's L2 cache (the walk of 72 MB took
 * 12 ms of CPU with it, 16 ms with 1 MB) and makes a read() per ~3,500
 * packets of the bench. */
#define PCAPFILE_WINDOW (256u << 10)

struct pcapfile {
    const uint8_t *buf; /* the bytes held: the whole file (pcapfile_init()) or
                         * the window (pcapfile_open()); NULL: not walked */
    size_t size;        /* bytes in buf */
    size_t off;         /* offset in buf of the next record header */
    size_t base;        /* offset in the file of buf[0] */
    uint8_t *win;       /* pcapfile_open(): the window (buf), malloc'd, owned */
    size_t cap;         /* its size */
    int fd;             /* pcapfile_open(): a duplicate of the file's descriptor,
                         * owned; -1 for bytes in memory */
    int eof;            /* 1: buf ends where the file (or the memory) does */
    uint32_t snaplen;   /* records captured longer than this go to libpcap */
    int swapped;        /* 1: fields in the other byte order than ours */
    int nano;           /* 1: nanosecond magic */
};

/* One record: data points into the file's bytes. */
struct pcapfile_rec {
    int64_t ts_ns;   /* nanoseconds since the epoch */
    uint32_t caplen; /* bytes at data */
    uint32_t len;    /* bytes on the wire */
    const uint8_t *data;
};

/*
 * Take buf[0..size) as a savefile whose records have at most snaplen
 * captured bytes (libpcap's pcap_snapshot() of the same file, so that a
 * record libpcap would refuse or cut is left to libpcap).  Returns 0 when
 * the header is a classic pcap 2.4 header this reader walks, -1 otherwise
 * (pf is then unusable; buf is not kept).
 */
int pcapfile_init(struct pcapfile *pf, const uint8_t *buf, size_t size, uint32_t snaplen);

/*
 * The next record into *r.  Returns 1 for a record, 0 at the end of the
 * file exactly on a record boundary, -1 when the record at
 * pcapfile_offset() is not one this reader takes (a header or packet cut
 * short by the end of the file, caplen above snaplen, a time stamp field
 * of 2^31 or more, or the file could not be read on): the caller hands
 * that offset to libpcap, which reads on (or reports the damage) from
 * there.  Never reads outside buf.  r->data stays valid until the next
 * call of pcapfile_next() or pcapfile_batch().
 */
int pcapfile_next(struct pcapfile *pf, struct pcapfile_rec *r);

/*
 * Up to max records into r[0..), as pcapfile_next() would return them one
 * by one; returns how many (0..max).  *end is 1 when the walk can go on
 * (call again), 0 at the end of the file, -1 at a record for libpcap (see
 * pcapfile_next()).  Every record's data stays valid until the next call
 * of pcapfile_next() or pcapfile_batch() (which may read the file on into
 * the window), and no longer.
 */
size_t pcapfile_batch(struct pcapfile *pf, struct pcapfile_rec *r, size_t max, int *end);

/* Offset of the next record header in the file. */
static inline size_t pcapfile_offset(const struct pcapfile *pf)
{
    return pf->base + pf->off;
}

/*
 * Walk the regular file fd (from its start; the descriptor's own offset is
 * neither used nor moved, and fd may be closed afterwards: the reader
 * keeps a duplicate) and pcapfile_init() it.  Returns 0, or -1 when the
 * file cannot or should not be read this way (not a regular file, not
 * classic pcap 2.4): use libpcap alone.  A file that shrinks while it is
 * read ends where it now ends: the record cut short goes to libpcap, which
 * reports the truncation.
 */
int pcapfile_open(struct pcapfile *pf, int fd, uint32_t snaplen);

/* Free what pcapfile_open() holds; harmless on a closed, in-memory or
 * zeroed pf. */
void pcapfile_close(struct pcapfile *pf);

#endif
