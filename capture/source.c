/*
 * source.c: libpcap handles for files and live interfaces (see source.h).
 *
 * libpcap's own errors are translated here, once: the pcap_activate()
 * codes become ERR_NOTFOUND / ERR_PERM / ERR_PCAP with a line that names
 * the interface, so the caller never sees a PCAP_ERROR_* value.
 */
#include "capture/source.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/flow.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* stdio buffer of a file source (see src_open_file()). */
#define SRC_FILE_BUFFER (1 << 20)
#define NS_PER_S        INT64_C(1000000000)

static void src_init(struct src *s, const char *name, enum src_kind kind)
{
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(name);
    s->kind = kind;
    s->ifindex = -1;
    s->fd = -1;
}

/* Compile and install filter (NULL: none) on s->pcap. */
static int src_set_filter(struct src *s, const char *filter, struct diag *d)
{
    struct bpf_program prog;

    if (!filter)
        return 0;
    if (pcap_compile(s->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        diag_err(d, "invalid filter '%s': %s", filter, pcap_geterr(s->pcap));
        return ERR_USAGE;
    }
    if (pcap_setfilter(s->pcap, &prog) != 0) {
        diag_err(d, "cannot set the filter on '%s': %s", s->name, pcap_geterr(s->pcap));
        pcap_freecode(&prog);
        return ERR_PCAP;
    }
    pcap_freecode(&prog);
    return 0;
}

/* Refuse a link type the decoder does not know, naming it. */
static int src_check_dlt(struct src *s, struct diag *d)
{
    const char *name;

    s->dlt = pcap_datalink(s->pcap);
    if (flow_dlt_supported(s->dlt))
        return 0;
    name = pcap_datalink_val_to_name(s->dlt);
    diag_err(d, "'%s': link type %s (%d) is not supported", s->name, name ? name : "unknown",
             s->dlt);
    return ERR_FORMAT;
}

/* A pipe source's stream: read(2) after poll(), waking for the caller's
 * function on time (src_file_on_wait()). */
struct src_pipe {
    int fd;         /* owned */
    src_wait_fn fn; /* or NULL */
    void *ctx;
    int64_t every_ns;
    int64_t next_ns; /* CLOCK_MONOTONIC when fn is due */
};

static int64_t src_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* fopencookie's read: at most size bytes, fewer when fewer are there; 0
 * at the end of the data, or when fn asks to stop. */
static ssize_t src_pipe_read(void *cookie, char *buf, size_t size)
{
    struct src_pipe *p = cookie;

    for (;;) {
        struct pollfd pfd = {p->fd, POLLIN, 0};
        int64_t now = src_mono_ns(), wait_ms = -1;
        int pr;

        if (p->fn) {
            if (now >= p->next_ns) {
                p->next_ns = now + p->every_ns;
                if (p->fn(p->ctx, now))
                    return 0;
            }
            wait_ms = (p->next_ns - now + 999999) / 1000000;
        }
        pr = poll(&pfd, 1, wait_ms > INT32_MAX ? INT32_MAX : (int)wait_ms);
        if (pr < 0 && errno == EINTR) {
            /* A signal: let fn see it at once (it may ask to stop). */
            if (p->fn && p->fn(p->ctx, src_mono_ns()))
                return 0;
            continue;
        }
        if (pr < 0)
            return -1;
        if (pr == 0)
            continue; /* fn is due */
        {
            ssize_t n = read(p->fd, buf, size);

            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            return n;
        }
    }
}

static int src_pipe_close(void *cookie)
{
    struct src_pipe *p = cookie;
    int rc = close(p->fd);

    p->fd = -1;
    return rc;
}

void src_file_on_wait(struct src *s, src_wait_fn fn, void *ctx, int64_t every_ns)
{
    if (!s->pipe)
        return;
    s->pipe->fn = fn;
    s->pipe->ctx = ctx;
    s->pipe->every_ns = every_ns;
    s->pipe->next_ns = src_mono_ns() + every_ns;
}

/* Open path ("-": a duplicate of the standard input) for reading: a
 * regular file as a plain stream, anything else through a src_pipe. */
static FILE *src_fopen(struct src *s, const char *path)
{
    static const cookie_io_functions_t io = {src_pipe_read, NULL, NULL, src_pipe_close};
    struct stat st;
    FILE *fp;
    int fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                                    : open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        fp = fdopen(fd, "rb");
        if (!fp)
            close(fd);
        return fp;
    }
    s->pipe = xcalloc(1, sizeof(*s->pipe));
    s->pipe->fd = fd;
    fp = fopencookie(s->pipe, "rb", io);
    if (!fp) {
        close(fd);
        free(s->pipe);
        s->pipe = NULL;
    }
    return fp;
}

/* Open a classic pcap file for the walk of pcapfile.h, with its own copy
 * of the filter (libpcap's is inside the handle, applied only by its
 * reads).  Where the file cannot be walked, or the filter copy cannot be
 * made (it compiled a moment ago), libpcap alone reads the file. */
static void src_walk_file(struct src *s, int fd, const char *filter)
{
    int snap = pcap_snapshot(s->pcap);

    if (fd < 0 || snap <= 0 || pcapfile_open(&s->pf, fd, (uint32_t)snap) != 0)
        return;
    if (filter) {
        if (pcap_compile(s->pcap, &s->filter, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            pcapfile_close(&s->pf);
            return;
        }
        s->has_filter = 1;
    }
}

int src_open_file(struct src *s, const char *path, const char *filter, struct diag *d)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    FILE *fp;
    int rc;

    src_init(s, path, SRC_FILE);
    errbuf[0] = '\0';
    /* We open the file so that its stdio buffer can be large: libpcap
     * reads each record with two fread() calls, and with the default
     * buffer (the file system's block, 4 KB) that is a read(2) every
     * ~50 packets. */
    fp = src_fopen(s, path);
    if (!fp) {
        rc = -errno;
        diag_err(d, "cannot read '%s': %s", path, strerror(errno));
        goto out_fail;
    }
    s->iobuf = xmalloc(SRC_FILE_BUFFER);
    setvbuf(fp, s->iobuf, _IOFBF, SRC_FILE_BUFFER);
    s->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!s->pcap) {
        /* On failure libpcap leaves the stream to us. */
        fclose(fp);
        diag_err(d, "cannot read '%s': %s", path, errbuf);
        rc = ERR_PCAP;
        goto out_fail;
    }
    s->ts_nano = 1;
    {
        /* libpcap reads a savefile with two fread()s a packet, and once
         * the writer thread exists glibc locks the FILE for each; only
         * this thread ever touches it, so the locks are pure cost. */
        FILE *f = pcap_file(s->pcap);
        if (f)
            (void)__fsetlocking(f, FSETLOCKING_BYCALLER);
    }
    rc = src_check_dlt(s, d);
    if (!rc)
        rc = src_set_filter(s, filter, d);
    if (rc)
        goto out_fail;
    /* A pipe is libpcap's alone: it cannot be read at an offset. */
    src_walk_file(s, s->pipe ? -1 : fileno(fp), filter);
    return 0;

out_fail:
    src_close(s);
    return rc;
}

/* Translate pcap_activate()'s result for interface name. */
static int src_activate_error(struct src *s, int status, struct diag *d)
{
    const char *detail = pcap_geterr(s->pcap);

    switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        diag_err(d, "cannot capture on '%s': no such interface", s->name);
        return ERR_NOTFOUND;
    case PCAP_ERROR_PERM_DENIED:
        diag_err(d,
                 "cannot capture on '%s': permission denied (capturing needs root or "
                 "CAP_NET_RAW)",
                 s->name);
        return ERR_PERM;
    case PCAP_ERROR_IFACE_NOT_UP:
        diag_err(d, "cannot capture on '%s': interface is down", s->name);
        return ERR_PCAP;
    default:
        diag_err(d, "cannot capture on '%s': %s", s->name,
                 detail && *detail ? detail : pcap_statustostr(status));
        return ERR_PCAP;
    }
}

int src_open_live(struct src *s, const char *name, int ifindex, const struct src_live_opts *o,
                  struct diag *d)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    int status;
    int rc;

    src_init(s, name, SRC_LIVE);
    s->ifindex = ifindex;
    errbuf[0] = '\0';
    s->pcap = pcap_create(name, errbuf);
    if (!s->pcap) {
        diag_err(d, "cannot capture on '%s': %s", name, errbuf);
        rc = ERR_PCAP;
        goto out_fail;
    }
    /* Set before activation; each can only fail on an activated handle. */
    pcap_set_snaplen(s->pcap, o->snaplen);
    pcap_set_promisc(s->pcap, 1); /* a bridge passes up forwarded frames only when promiscuous */
    pcap_set_timeout(s->pcap, o->timeout_ms);
    pcap_set_immediate_mode(s->pcap, 0);
    if (o->buffer_bytes > 0)
        pcap_set_buffer_size(s->pcap, o->buffer_bytes);
    s->ts_nano = pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0;

    status = pcap_activate(s->pcap);
    if (status < 0) {
        rc = src_activate_error(s, status, d);
        goto out_fail;
    }
    if (status > 0)
        diag_warn(d, "'%s': %s", name, pcap_statustostr(status));
    s->ts_nano = pcap_get_tstamp_precision(s->pcap) == PCAP_TSTAMP_PRECISION_NANO;
    rc = src_check_dlt(s, d);
    if (!rc)
        rc = src_set_filter(s, o->filter, d);
    if (rc)
        goto out_fail;
    if (pcap_setnonblock(s->pcap, 1, errbuf) != 0) {
        diag_err(d, "cannot capture on '%s': %s", name, errbuf);
        rc = ERR_PCAP;
        goto out_fail;
    }
    s->fd = pcap_get_selectable_fd(s->pcap);
    if (s->fd < 0) {
        diag_err(d, "cannot capture on '%s': no selectable descriptor", name);
        rc = ERR_PCAP;
        goto out_fail;
    }
    return 0;

out_fail:
    src_close(s);
    return rc;
}

void src_update_stats(struct src *s)
{
    struct pcap_stat st;

    if (s->kind != SRC_LIVE || !s->pcap)
        return;
    if (pcap_stats(s->pcap, &st) == 0) {
        s->drops = st.ps_drop;
        s->if_drops = st.ps_ifdrop;
    }
}

void src_close(struct src *s)
{
    if (s->pcap)
        pcap_close(s->pcap); /* closes a file's stream too, before its buffer goes */
    s->pcap = NULL;
    pcapfile_close(&s->pf);
    if (s->has_filter)
        pcap_freecode(&s->filter);
    s->has_filter = 0;
    free(s->iobuf);
    s->iobuf = NULL;
    free(s->pipe); /* its descriptor went with the stream */
    s->pipe = NULL;
    s->fd = -1;
    free(s->name);
    s->name = NULL;
}

int64_t src_ts_ns(const struct src *s, const struct pcap_pkthdr *h)
{
    /* Whole seconds that still fit in int64 nanoseconds (year 2262). */
    const int64_t max_sec = INT64_MAX / NS_PER_S - 1;
    int64_t sec = (int64_t)h->ts.tv_sec;
    int64_t frac = (int64_t)h->ts.tv_usec;

    /* A file is untrusted: a pcapng timestamp is a 64-bit count of any unit
     * (if_tsresol 10^0 makes it seconds), and a pcap's fraction field is 32
     * bits whatever the precision.  Saturate instead of overflowing. */
    if (!s->ts_nano)
        frac = frac > 999999 ? 999999999 : frac * 1000;
    if (frac < 0)
        frac = 0;
    else if (frac > NS_PER_S - 1)
        frac = NS_PER_S - 1;
    if (sec < 0)
        sec = 0;
    else if (sec > max_sec)
        sec = max_sec;
    return sec * NS_PER_S + frac;
}
