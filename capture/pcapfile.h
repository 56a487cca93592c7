/*
 * pcapfile.h: a reader of classic pcap savefiles that walks the records of
 * a memory mapping in place, for `podflow-capture -r`.
 *
 * libpcap reads a savefile with two fread() calls per record, copying each
 * packet into its own buffer: at 10M packets that copy and the stdio
 * bookkeeping cost as much as our whole decoder.  This reader hands out
 * pointers into the mapping instead.  It takes only the plain case: the
 * classic format version 2.4, micro- or nanosecond magic, either byte
 * order, records whose captured length fits the file's snapshot length and
 * the mapping, and time stamps libpcap reads the same way (fields below
 * 2^31).  Anything else -- pcapng, another version, a truncated or
 * oversized record -- is left to libpcap: pcapfile_init() refuses the
 * file, or pcapfile_next() stops at the record and pcapfile_offset() says
 * where libpcap is to carry on, so its messages and results stay ours.
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

struct pcapfile {
    const uint8_t *buf; /* the whole file (mapped or, in tests, any buffer) */
    size_t size;        /* bytes in buf */
    size_t off;         /* offset of the next record header */
    size_t released;    /* mapped bytes before this were given back to the kernel */
    uint32_t snaplen;   /* records captured longer than this go to libpcap */
    int swapped;        /* 1: fields in the other byte order than ours */
    int nano;           /* 1: nanosecond magic */
    int mapped;         /* 1: buf is our mmap() of the file (pcapfile_map()) */
    int slot;           /* mapped: its entry in the SIGBUS handler's table */
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
 * bytes exactly on a record boundary, -1 when the record at
 * pcapfile_offset() is not one this reader takes (a header or packet cut
 * short by the end of the bytes, caplen above snaplen, a time stamp field
 * of 2^31 or more): the caller hands that
 * offset to libpcap, which reads on (or reports the damage) from there.
 * Never reads outside buf.
 */
int pcapfile_next(struct pcapfile *pf, struct pcapfile_rec *r);

/*
 * Up to max records into r[0..), as pcapfile_next() would return them one
 * by one; returns how many (0..max).  Fewer than max means the walk
 * stopped: *end is then 0 at the end of the bytes, -1 at a record for
 * libpcap (see pcapfile_next()), -2 when the file shrank under the
 * mapping (pcapfile_shrunk(): the records returned are whole, the rest is
 * gone).  Each record's last byte is read before it is returned, so a
 * record returned was in the file then.
 */
size_t pcapfile_batch(struct pcapfile *pf, struct pcapfile_rec *r, size_t max, int *end);

/* Offset of the next record header in the file. */
static inline size_t pcapfile_offset(const struct pcapfile *pf)
{
    return pf->off;
}

/*
 * Map the regular file fd read-only and pcapfile_init() it.  Returns 0, or
 * -1 when the file cannot or should not be read this way (not a regular
 * file, empty, too large to map, not classic pcap 2.4): use libpcap alone.
 * The bytes already walked are given back to the kernel as the walk goes
 * on, so the mapping does not count against the process's memory.  A file
 * that shrinks while mapped does not crash the reader: see
 * pcapfile_shrunk().
 */
int pcapfile_map(struct pcapfile *pf, int fd, uint32_t snaplen);

/*
 * 1 when a page of pf's mapping was found gone (the file was truncated
 * under us): the bytes read from it were zeros and the walk must stop,
 * reported as a truncated file.  pcapfile_batch() checks it itself.
 */
int pcapfile_shrunk(const struct pcapfile *pf);

/* Unmap a pcapfile_map() mapping; harmless on an unmapped or zeroed pf. */
void pcapfile_unmap(struct pcapfile *pf);

#endif
