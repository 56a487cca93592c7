/*
 * source.h: packet sources of podflow-capture: a pcap/pcapng file (-r) or
 * a live interface (-i), each one libpcap handle.
 *
 * Live handles are AF_PACKET sockets with libpcap's TPACKET_V3 ring (its
 * default on Linux), immediate mode off, non-blocking, so that one poll()
 * loop serves every interface through src_fd().  Timestamps are asked for
 * in nanoseconds; files are opened with nanosecond precision too, so
 * struct pcap_pkthdr.ts.tv_usec holds nanoseconds for both.
 */
#ifndef PODFLOW_CAPTURE_SOURCE_H
#define PODFLOW_CAPTURE_SOURCE_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "capture/pcapfile.h"
#include "common/attrs.h"

struct diag;

enum src_kind { SRC_FILE, SRC_LIVE };

struct src {
    pcap_t *pcap; /* owned; NULL once closed */
    char *name;   /* malloc'd, owned: file path or interface name */
    enum src_kind kind;
    int ifindex;           /* live: kernel ifindex; files: -1 */
    int dlt;               /* pcap_datalink() */
    int fd;                /* live: pcap_get_selectable_fd(); files: -1 */
    int ts_nano;           /* 1: ts.tv_usec holds nanoseconds, 0: microseconds */
    int64_t db_id;         /* interfaces.id of this source, 0 before it is added */
    uint64_t packets;      /* packets handed to the flow table */
    uint64_t drops;        /* live: last pcap_stats ps_drop */
    uint64_t if_drops;     /* live: last pcap_stats ps_ifdrop */
    char *iobuf;           /* files: malloc'd stdio buffer of the stream, owned */
    struct src_pipe *pipe; /* files that are no regular file (pipe, FIFO, stdin):
                            * the stream's cookie, owned; else NULL */
    /* Files: a classic pcap file is also walked by pcapfile.h's reader;
     * pf.buf is NULL when libpcap alone reads it.  libpcap's
     * handle stays open: it reads on from pcapfile_offset() when the walk
     * meets a record it does not take. */
    struct pcapfile pf;
    struct bpf_program filter; /* -f compiled for the walk, when has_filter */
    int has_filter;
};

/*
 * Called while a pipe source waits for data or is read (see
 * src_file_on_wait()): now_ns is CLOCK_MONOTONIC.  Returns 1 to end the
 * file there (as if at its end), 0 to go on.
 */
typedef int (*src_wait_fn)(void *ctx, int64_t now_ns);

/* Options of a live handle. */
struct src_live_opts {
    int snaplen;        /* bytes kept per packet */
    int buffer_bytes;   /* ring size, 0: libpcap's default */
    int timeout_ms;     /* TPACKET_V3 block timeout: latency of delivery */
    const char *filter; /* BPF expression, or NULL */
};

/*
 * Open a savefile (pcap or pcapng) for reading, with an optional BPF
 * filter.  Refuses a link type that flow_dlt_supported() does not accept.
 * path "-" is the standard input.  A path that is no regular file (a
 * pipe, a FIFO, "-") is read through poll() and read(2) (s->pipe; see
 * src_file_on_wait()).
 * Every failure is one line through d naming the file; returns ERR_PCAP,
 * ERR_FORMAT (link type) or -errno.  A classic pcap file is also opened
 * for pcapfile.h's walk (s->pf, see struct src); s->pcap is usable either
 * way.
 */
int src_open_file(struct src *s, const char *path, const char *filter, struct diag *d) MUST_CHECK;

/*
 * For a file source that is a pipe, a FIFO or a terminal (s->pipe set):
 * call fn(ctx, now) at least every every_ns of wall time while the file is
 * read, including while the read blocks waiting for the writer of the
 * pipe, and when a signal interrupts the wait (so a capture fed through a
 * pipe commits on time, and stops on SIGTERM).  A regular file needs none
 * of this: its reads never wait.  Does nothing for other sources.
 */
void src_file_on_wait(struct src *s, src_wait_fn fn, void *ctx, int64_t every_ns);

/*
 * Open interface name live (ifindex is recorded as given).  Returns
 * ERR_NOTFOUND (no such interface), ERR_PERM (no CAP_NET_RAW: the message
 * says so), ERR_FORMAT (link type not decoded), ERR_PCAP (anything else),
 * each reported through d.
 */
int src_open_live(struct src *s, const char *name, int ifindex, const struct src_live_opts *o,
                  struct diag *d) MUST_CHECK;

/* Read the live handle's kernel counters into s->drops / s->if_drops. */
void src_update_stats(struct src *s);

/* Close the handle and free the name; s may be closed twice. */
void src_close(struct src *s);

/* A packet header's timestamp as Unix nanoseconds, by s->ts_nano. */
int64_t src_ts_ns(const struct src *s, const struct pcap_pkthdr *h);

#endif
