/*
 * main.c: podflow-capture's command line and main loop.
 *
 *   podflow-capture -w CASE.db (-i IFACE|GLOB ... | -r FILE ...) [-f BPF]
 *       [-s SNAPLEN] [-B MIB] [-G SECONDS] [--idle-timeout S]
 *       [--active-timeout S] [--commit-interval S] [--max-flows N]
 *       [--node NAME] [--inventory FILE ...] [--redact-external] [-Z USER] [-q]
 *
 * Files (-r) are read in order through one flow table.  Live interfaces
 * (-i) are each one pcap handle, all served by one poll() loop together
 * with the netlink link events that open links matching a glob as they
 * appear and close links as they vanish.  Finished flows go to the writer
 * (writer.h), which commits every --commit-interval seconds (files too:
 * a pipe or FIFO read with -r is waited on through poll(), so its flows
 * are committed on time even while the pipe is silent).  With
 * --redact-external each flow's external addresses are replaced
 * (identity.h) before it reaches the writer.  SIGINT,
 * SIGTERM, SIGHUP, -G and the end of the files stop the capture the same
 * way: flush every open flow, write the totals, commit, exit 0.
 *
 * Order of start-up, for -Z: the netlink sockets and every packet socket
 * are opened, then the .db, then privileges are dropped, then packets are
 * read.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/cap_opts.h"
#include "capture/flow.h"
#include "capture/identity.h"
#include "capture/ifset.h"
#include "capture/nl_link.h"
#include "capture/priv.h"
#include "capture/proc_attr.h"
#include "capture/source.h"
#include "capture/writer.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/polnets.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define PROG     "podflow-capture"
#define NS_PER_S INT64_C(1000000000)

/* TPACKET_V3 retires a ring block after this long even when it is not
 * full: the delivery latency of a quiet interface. */
#define CAP_BLOCK_TIMEOUT_MS 200
/* Packets read from a file between checks of signals, clock and writer. */
#define CAP_FILE_CHECK_EVERY 65536

/* The one global: signal handlers can only reach static storage.  Holds
 * the signal that asked to stop, 0 while running. */
static volatile sig_atomic_t cap_stop_signal;

struct cap {
    struct cap_opts o;
    struct diag d;
    struct writer *w;        /* owned */
    struct flow_table *ft;   /* owned */
    struct nl_link_mon *nl;  /* owned, live only */
    struct ident_cap ident;  /* inventories, netlink identities, conntrack (identity.h) */
    struct pa_client *pa;    /* owned: process attribution's helper (proc_attr.h), or NULL */
    unsigned ident_failures; /* periodic identity writes that failed (reported) */
    struct ifset set;        /* live (-i): the interfaces, in step with the links */
    struct src *files;       /* -r: the files (malloc'd) */
    size_t n_files, alloc_files;
    struct src_live_opts live; /* options for every live handle */
    int64_t capture_id;
    int64_t last_commit;       /* now_ns() of the last periodic commit */
    struct priv_helper helper; /* -Z: removes the case's empty -wal and -shm at the end */
    uint64_t packets;          /* packets given to the flow table */
    uint64_t closed_drops;     /* pcap_stats of sources closed already */
    uint64_t closed_if_drops;
    int failed; /* exit status to use, 0: fine */

    struct polnets keep; /* --keep-policy-nets, --keep-net: kept unredacted */
    /* progress line */
    int progress; /* stderr is a terminal and no -q */
    int64_t prog_last_ns;
    uint64_t prog_last_packets;
};

/* --- signals --------------------------------------------------------------- */

static void cap_on_signal(int sig)
{
    /* A second SIGINT leaves at once: what was committed is intact (WAL),
     * the open transaction is discarded when the file is next opened. */
    if (cap_stop_signal && sig == SIGINT)
        _exit(128 + SIGINT);
    cap_stop_signal = sig;
}

static void cap_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cap_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() returns EINTR at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* --- progress -------------------------------------------------------------- */

/* The open sources: the live set's, or the files. */
static struct src *cap_srcs(struct cap *c, size_t *n)
{
    if (c->set.n) {
        *n = c->set.n;
        return c->set.srcs;
    }
    *n = c->n_files;
    return c->files;
}

static uint64_t cap_drops(struct cap *c)
{
    uint64_t sum = c->closed_drops + c->closed_if_drops;
    size_t i, n;
    struct src *srcs = cap_srcs(c, &n);

    for (i = 0; i < n; i++)
        sum += srcs[i].drops + srcs[i].if_drops;
    return sum;
}

/* Refresh the progress line when a second has passed (or final). */
static void cap_progress(struct cap *c, int64_t now, int final)
{
    struct flow_stats st;
    double rate;
    size_t i, n;
    struct src *srcs = cap_srcs(c, &n);

    if (!final && now - c->prog_last_ns < NS_PER_S)
        return;
    for (i = 0; i < n; i++)
        src_update_stats(&srcs[i]);
    if (!c->progress)
        goto out;
    flow_table_stats(c->ft, &st);
    rate = now > c->prog_last_ns
               ? (double)(c->packets - c->prog_last_packets) * 1e9 / (double)(now - c->prog_last_ns)
               : 0.0;
    if (c->o.n_ifaces) /* live: how many links are being captured now */
        fprintf(stderr, "\r%zu interface%s  ", c->set.n, c->set.n == 1 ? "" : "s");
    else
        fputc('\r', stderr);
    fprintf(stderr,
            "%" PRIu64 " packets  %.0f packets/s  %zu active flows  %" PRIu64
            " flows written  %" PRIu64 " dropped\033[K%s",
            c->packets, rate, st.active, writer_flows(c->w), cap_drops(c), final ? "\n" : "");
    fflush(stderr);
out:
    c->prog_last_ns = now;
    c->prog_last_packets = c->packets;
}

/* --- packets --------------------------------------------------------------- */

static int64_t cap_ts_ns(const struct src *s, const struct pcap_pkthdr *h)
{
    return src_ts_ns(s, h);
}

struct cap_pkt_ctx {
    struct cap *c;
    struct src *s;
};

static void cap_on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct cap_pkt_ctx *pc = (struct cap_pkt_ctx *)user;

    (void)flow_table_packet(pc->c->ft, pc->s->dlt, cap_ts_ns(pc->s, h), data, h->caplen, h->len,
                            (uint32_t)pc->s->db_id);
    pc->s->packets++;
    pc->c->packets++;
}

/* A new flow: look for the sockets at its ends (proc_attr.h). */
static void cap_on_new_flow(void *ctx, int family, int proto, const uint8_t *src, uint16_t sport,
                            const uint8_t *dst, uint16_t dport)
{
    struct cap *c = ctx;

    pa_lookup(c->pa, family, proto, src, sport, dst, dport, coarse_ns());
}

/* --redact-external for the sockets' peers (pa_write()). */
static void cap_redact_ip(void *ctx, struct ipaddr *ip)
{
    struct cap *c = ctx;

    ident_cap_redact_ip(&c->ident, ip);
}

/* Finished flows: the Service backend from conntrack, then the writer. */
static void cap_emit(void *ctx, const struct flow_rec *rec)
{
    struct cap *c = ctx;
    struct flow_rec r = *rec;

    ident_cap_annotate(&c->ident, &r);
    ident_cap_redact(&c->ident, &r); /* nothing without --redact-external */
    writer_flow(c->w, &r);
}

/* The periodic commit: the open flows' state so far, identities with the
 * flows they name (a failure is reported and tried again next time), then
 * the flows.  0, or the writer's latched error. */
static int cap_commit(struct cap *c, int64_t now)
{
    /* Flows still active go in as open rows (upserted): a kill -9 from
     * now on loses at most one interval of any flow's packets. */
    if (c->ft)
        flow_table_snapshot(c->ft);
    if (ident_cap_dirty(&c->ident) && ident_cap_post(&c->ident, c->w, c->capture_id))
        c->ident_failures++;
    if (c->pa) {
        (void)pa_read(c->pa);
        if (pa_write(c->pa, c->w, c->capture_id, cap_redact_ip, c))
            c->ident_failures++;
    }
    c->last_commit = now;
    /* The writer's thread commits: the packets are not kept waiting. */
    return writer_commit_async(c->w);
}

/* A file source waiting (a pipe, a FIFO) or being read: commit when due,
 * look at the inventories, and stop on a signal (src_wait_fn). */
static int cap_file_wait(void *ctx, int64_t mono_ns)
{
    struct cap *c = ctx;
    int64_t now = now_ns();

    (void)mono_ns;
    if (cap_stop_signal || writer_failed(c->w))
        return 1;
    if (c->pa) {
        pa_flush(c->pa);
        (void)pa_read(c->pa);
    }
    if (now - c->last_commit >= (int64_t)c->o.commit_s * NS_PER_S) {
        ident_cap_tick(&c->ident, now);
        if (cap_commit(c, now))
            return 1;
    }
    return 0;
}

/* --- files (-r) ------------------------------------------------------------ */

/* Every CAP_FILE_CHECK_EVERY packets of a file: stop on a signal or a
 * writer failure (ERR_INTERRUPTED), commit when --commit-interval has
 * passed, refresh the progress line.  A regular file read fast commits
 * every LIM_WRITE_BATCH flows (the writer's batch) anyway; a slow one (a
 * slow disk, a huge file) at least on time.  0 or ERR_INTERRUPTED. */
static int cap_file_check(struct cap *c, uint64_t packets)
{
    int64_t now;

    c->packets = packets;
    if (cap_stop_signal || writer_failed(c->w))
        return ERR_INTERRUPTED;
    if (c->pa) {
        pa_flush(c->pa);
        (void)pa_read(c->pa);
    }
    now = now_ns();
    if (now - c->last_commit >= (int64_t)c->o.commit_s * NS_PER_S && cap_commit(c, now))
        return ERR_INTERRUPTED;
    if (c->progress)
        cap_progress(c, now, 0);
    return 0;
}

/* Records taken from the file's window at a time (pcapfile_batch()). */
#define CAP_WALK_BATCH 32

/* Walk the records of a classic pcap file (pcapfile.h), n counting the
 * packets handed on.  Returns 0 at the end of the file, 1 at a record the
 * walk does not take (libpcap reads on from pcapfile_offset(): a record
 * cut short, oversized, or the file unreadable from there), or
 * ERR_INTERRUPTED. */
static int cap_walk_file(struct cap *c, struct src *s, uint64_t base, uint64_t *np)
{
    struct pcapfile_rec r[CAP_WALK_BATCH];
    struct pcap_pkthdr ph;
    uint64_t n = *np;
    size_t got, i;
    int end, rc = 0;

    memset(&ph, 0, sizeof(ph));
    do {
        got = pcapfile_batch(&s->pf, r, CAP_WALK_BATCH, &end);
        for (i = 0; i < got; i++) {
            if (s->has_filter) {
                ph.caplen = r[i].caplen;
                ph.len = r[i].len;
                if (!pcap_offline_filter(&s->filter, &ph, r[i].data))
                    continue;
            }
            (void)flow_table_packet(c->ft, s->dlt, r[i].ts_ns, r[i].data, r[i].caplen, r[i].len,
                                    (uint32_t)s->db_id);
            n++;
            /* On a stop the rest of this batch is not read: as if the
             * stop had come a few packets earlier. */
            if (n % CAP_FILE_CHECK_EVERY == 0 && (rc = cap_file_check(c, base + n)) != 0)
                goto out;
        }
    } while (end == 1);
    if (end == -1)
        rc = 1;
out:
    *np = n;
    return rc;
}

/* Read one file to its end.  0, ERR_INTERRUPTED (a signal or the writer
 * asked to stop), or ERR_FORMAT (a truncated or corrupt file, reported with
 * the packet number and byte offset). */
static int cap_read_file(struct cap *c, struct src *s)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t base = c->packets, n = 0;
    int64_t commit_every = (int64_t)c->o.commit_s * NS_PER_S;
    int rc;

    src_file_on_wait(s, cap_file_wait, c, commit_every);
    if (s->pf.buf) {
        rc = cap_walk_file(c, s, base, &n);
        if (rc <= 0)
            goto out;
        /* A record the walk does not take: libpcap reads on from it, and
         * reports it exactly as it would have, had it read every record. */
        {
            FILE *f = pcap_file(s->pcap);

            if (!f || fseeko(f, (off_t)pcapfile_offset(&s->pf), SEEK_SET) != 0) {
                diag_err(&c->d, "'%s': packet %" PRIu64 " (byte offset %zu): cannot seek: %s",
                         s->name, n + 1, pcapfile_offset(&s->pf), strerror(errno));
                rc = ERR_FORMAT;
                goto out;
            }
        }
    }
    while ((rc = pcap_next_ex(s->pcap, &h, &data)) == 1) {
        (void)flow_table_packet(c->ft, s->dlt, cap_ts_ns(s, h), data, h->caplen, h->len,
                                (uint32_t)s->db_id);
        n++;
        if (n % CAP_FILE_CHECK_EVERY == 0 && (rc = cap_file_check(c, base + n)) != 0)
            goto out;
    }
    if (rc == PCAP_ERROR_BREAK && cap_stop_signal) {
        rc = ERR_INTERRUPTED; /* a pipe's wait ended by a signal */
        goto out;
    }
    if (rc == PCAP_ERROR) {
        /* libpcap read the record header or body short, or found a length
         * no writer could have meant; ftell() is where its reading stopped. */
        FILE *f = pcap_file(s->pcap);
        long off = f ? ftell(f) : -1;

        if (off >= 0)
            diag_err(&c->d, "'%s': packet %" PRIu64 " (byte offset %ld): %s", s->name, n + 1, off,
                     pcap_geterr(s->pcap));
        else
            diag_err(&c->d, "'%s': packet %" PRIu64 ": %s", s->name, n + 1, pcap_geterr(s->pcap));
        rc = ERR_FORMAT;
    } else {
        rc = 0; /* PCAP_ERROR_BREAK: end of file */
    }
out:
    c->packets = base + n;
    s->packets = n;
    return rc;
}

/* --- live (-i) ------------------------------------------------------------- */

/* The interface set's outside (ifset.h): netlink, libpcap, the writer. */
static int cap_ifs_dump(void *ctx, nl_link_fn fn, void *fn_ctx)
{
    struct cap *c = ctx;

    return nl_link_dump(c->nl, fn, fn_ctx);
}

static int cap_ifs_read(void *ctx, nl_link_fn fn, void *fn_ctx)
{
    struct cap *c = ctx;

    return nl_link_read(c->nl, fn, fn_ctx);
}

static int cap_ifs_open(void *ctx, struct src *s, const char *name, int ifindex)
{
    struct cap *c = ctx;

    return src_open_live(s, name, ifindex, &c->live, &c->d);
}

static int cap_ifs_added(void *ctx, struct src *s)
{
    struct cap *c = ctx;

    return writer_iface_add(c->w, s->name, s->ifindex, now_ns(), s->dlt, &s->db_id);
}

/* Record a leaving source's counters (and vanished_ns when the link went
 * away), then close it. */
static int cap_ifs_closed(void *ctx, struct src *s, int64_t vanished_ns)
{
    struct cap *c = ctx;
    int rc = 0;

    src_update_stats(s);
    c->closed_drops += s->drops;
    c->closed_if_drops += s->if_drops;
    if (s->db_id)
        rc = writer_iface_end(c->w, s->db_id, vanished_ns, s->packets, s->drops, s->if_drops);
    src_close(s);
    return rc;
}

static int cap_ifs_ifindex(void *ctx, const char *name)
{
    (void)ctx;
    return (int)if_nametoindex(name);
}

/* 1 when the link is there and up (SIOCGIFFLAGS needs no privilege). */
static int cap_ifs_is_up(void *ctx, const char *name)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int up = 0;

    (void)ctx;
    if (fd < 0)
        return 0;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
        up = (ifr.ifr_flags & IFF_UP) != 0;
    close(fd);
    return up;
}

static const struct ifset_ops cap_ifs_ops = {
    cap_ifs_dump,   cap_ifs_read,    cap_ifs_open,  cap_ifs_added,
    cap_ifs_closed, cap_ifs_ifindex, cap_ifs_is_up,
};

/* Start-up: the link monitor, then the interface set. */
static int cap_open_live(struct cap *c)
{
    int rc;

    c->live.snaplen = c->o.snaplen;
    c->live.buffer_bytes = c->o.buffer_mib * 1024 * 1024;
    c->live.timeout_ms = CAP_BLOCK_TIMEOUT_MS;
    c->live.filter = c->o.filter;

    rc = nl_link_open(&c->d, &c->nl);
    if (rc)
        return rc;
    ifset_init(&c->set, c->o.ifaces, c->o.n_ifaces, &cap_ifs_ops, c, &c->d);
    return ifset_start(&c->set);
}

/* Drain one live source. */
static void cap_dispatch(struct cap *c, size_t i, int64_t now)
{
    struct cap_pkt_ctx pc = {c, &c->set.srcs[i]};
    int n = pcap_dispatch(pc.s->pcap, -1, cap_on_packet, (u_char *)&pc);

    if (n >= 0 || n == PCAP_ERROR_BREAK)
        return;
    /* The interface went down or away, or the handle failed. */
    ifset_failed(&c->set, i, pcap_geterr(pc.s->pcap), now);
}

/* Before stopping, read what the rings still hold.  A TPACKET_V3 block is
 * handed to us only when full or when its timeout retires it, so packets
 * of the last CAP_BLOCK_TIMEOUT_MS would be lost without waiting that
 * long once more. */
static void cap_drain(struct cap *c)
{
    struct timespec ts = {0, (CAP_BLOCK_TIMEOUT_MS + 50) * 1000000L};
    int64_t now;
    size_t i;

    if (c->failed || c->set.failed)
        return;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    now = now_ns();
    for (i = c->set.n; i-- > 0;)
        cap_dispatch(c, i, now);
}

static int cap_run_live(struct cap *c)
{
    int64_t start = now_ns(), now = start;
    int64_t deadline = c->o.duration_s ? start + (int64_t)c->o.duration_s * NS_PER_S : 0;
    int64_t commit_every = (int64_t)c->o.commit_s * NS_PER_S;
    int64_t last_commit = start, last_expire = start;
    struct pollfd *pfd = NULL;
    size_t alloc_pfd = 0, n, i;
    int rc;

    while (!cap_stop_signal && !c->failed && !c->set.failed) {
        int ifds[2];
        size_t nsrc, nid;

        n = 0;
        ALLOC_GROW(pfd, c->set.n + 4, alloc_pfd);
        pfd[n].fd = nl_link_fd(c->nl);
        pfd[n++].events = POLLIN;
        for (i = 0; i < c->set.n; i++) {
            pfd[n].fd = c->set.srcs[i].fd;
            pfd[n++].events = POLLIN;
        }
        /* Identity events (netlink, conntrack) after the sources. */
        nsrc = n;
        nid = ident_cap_fds(&c->ident, ifds);
        for (i = 0; i < nid; i++) {
            pfd[n].fd = ifds[i];
            pfd[n++].events = POLLIN;
        }
        if (c->pa) {
            pa_flush(c->pa);
            pfd[n].fd = pa_fd(c->pa); /* -1 once the helper is gone: ignored */
            pfd[n++].events = POLLIN;
        }
        rc = poll(pfd, (nfds_t)n, 250);
        if (rc < 0 && errno != EINTR) {
            diag_err(&c->d, "poll: %s", strerror(errno));
            c->failed = 1;
            break;
        }
        now = now_ns();
        if (rc > 0) {
            /* Sources first, by index from the end: closing one moves the
             * last into its place. */
            for (i = c->set.n; i-- > 0;) {
                if (i + 1 < n && pfd[i + 1].revents && pfd[i + 1].fd == c->set.srcs[i].fd)
                    cap_dispatch(c, i, now);
            }
            for (i = nsrc; i < nsrc + nid; i++) {
                if (pfd[i].revents && ident_cap_events(&c->ident, now) < 0)
                    c->failed = 1;
            }
            if (c->pa && pfd[n - 1].revents)
                (void)pa_read(c->pa);
            if (pfd[0].revents && ifset_events(&c->set, now)) {
                c->failed = 1;
                break;
            }
        }
        if (now - last_expire >= NS_PER_S) {
            flow_table_expire(c->ft, now);
            ident_cap_tick(&c->ident, now);
            last_expire = now;
        }
        if (now - last_commit >= commit_every) {
            if (cap_commit(c, now)) {
                c->failed = 1;
                break;
            }
            last_commit = now;
        }
        if (writer_failed(c->w)) {
            c->failed = 1;
            break;
        }
        cap_progress(c, now, 0);
        if (deadline && now >= deadline)
            break;
    }
    free(pfd);
    cap_drain(c);
    return 0;
}

/* --- the run --------------------------------------------------------------- */

static void cap_flow_config(const struct cap_opts *o, struct flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    if (o->idle_s) {
        int64_t ns = (int64_t)o->idle_s * NS_PER_S;

        cfg->tcp_established_ns = ns;
        cfg->udp_ns = ns;
        cfg->icmp_ns = ns;
    }
    cfg->active_ns = (int64_t)o->active_s * NS_PER_S;
    cfg->max_flows = (size_t)o->max_flows;
}

/* meta.redacted_external: the ids of the captures redacted as they were
 * written, space separated ("1 3"): a case may hold others that were not
 * (docs/schema.md); meta.redaction_kept: the CIDRs kept, so that check
 * tells kept addresses from pseudonyms (on a case redacted before, only
 * what the earlier redactions kept too: polnets_record_kept()).
 * Committed with the first commit. */
static int cap_mark_redacted(sqlite3 *db, void *ctx)
{
    struct cap *c = ctx;
    char *old = NULL, *val;
    int rc = polnets_record_kept(db, &c->keep);

    if (!rc && db_meta_get(db, "redacted_external", &old) != 0)
        rc = ERR_DB;
    if (!rc) {
        size_t n = (old ? strlen(old) : 0) + 32;

        val = xmalloc(n);
        if (old && *old)
            snprintf(val, n, "%s %" PRId64, old, c->capture_id);
        else
            snprintf(val, n, "%" PRId64, c->capture_id);
        rc = db_meta_set(db, "redacted_external", val);
        free(val);
    }
    if (rc == ERR_LIMIT)
        diag_err(&c->d, "cannot record the redaction: more than %d CIDRs kept (LIM_KEEP_NETS)",
                 LIM_KEEP_NETS);
    else if (rc)
        diag_err(&c->d, "cannot record the redaction: %s", sqlite3_errmsg(db));
    free(old);
    return rc;
}

/* Open the writer and the captures row; record the sources opened so far. */
static int cap_start_db(struct cap *c, int argc, char **argv, int live)
{
    struct writer_capture wc;
    char host[256];
    char *cmd, *what;
    size_t i, n;
    struct src *srcs;
    int rc;

    /* Offline, commit every LIM_WRITE_BATCH flows; live, the thread's
     * batch bounds a burst, the clock does the rest. */
    rc = writer_open(c->o.db_path, LIM_WRITE_BATCH, &c->d, &c->w);
    if (rc)
        return rc;
    memset(&wc, 0, sizeof(wc));
    if (c->o.node) {
        wc.node = c->o.node;
    } else if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        wc.node = host;
    }
    /* A filter may name external hosts ("host 203.0.113.9"): redacted,
     * it is recorded nowhere (as podflow-analyze redact clears it). */
    cmd = c->o.redact_external ? cap_opts_command_line_hiding(argc, argv, c->o.filter)
                               : cap_opts_command_line(argc, argv);
    what =
        live ? cap_opts_join(c->o.ifaces, c->o.n_ifaces) : cap_opts_join(c->o.files, c->o.n_files);
    wc.interfaces = what;
    wc.filter = c->o.redact_external && c->o.filter ? "[redacted]" : c->o.filter;
    wc.command = cmd;
    wc.source = live ? "live" : "file";
    wc.snaplen = live ? c->o.snaplen : 0;
    wc.started_ns = now_ns();
    rc = writer_capture_begin(c->w, &wc, &c->capture_id);
    free(cmd);
    free(what);
    if (!rc && c->o.redact_external)
        rc = writer_with_db(c->w, cap_mark_redacted, c);
    if (rc)
        return rc;
    srcs = cap_srcs(c, &n);
    for (i = 0; i < n; i++) {
        struct src *s = &srcs[i];

        rc = writer_iface_add(c->w, s->name, s->ifindex, live ? wc.started_ns : 0, s->dlt,
                              &s->db_id);
        if (rc)
            return rc;
    }
    /* links found from now on appear at their own time */
    ifset_recording(&c->set);
    c->last_commit = now_ns();
    return 0;
}

/* Flush, write every counter, commit. */
static int cap_finish(struct cap *c)
{
    struct writer_totals t;
    struct flow_stats st;
    size_t i, n;
    struct src *srcs = cap_srcs(c, &n);
    int rc, lost = 0;

    /* Conntrack events of the last moments, before the flows they name. */
    if (ident_cap_events(&c->ident, now_ns()) < 0)
        c->failed = 1;
    flow_table_flush(c->ft);
    if (ident_cap_write(&c->ident, c->w, c->capture_id))
        lost = 1;
    if (c->pa) {
        pa_finish(c->pa);
        if (pa_write(c->pa, c->w, c->capture_id, cap_redact_ip, c))
            lost = 1;
    }
    memset(&t, 0, sizeof(t));
    t.packets_dropped = c->closed_drops;
    t.packets_if_dropped = c->closed_if_drops;
    for (i = 0; i < n; i++) {
        struct src *s = &srcs[i];

        src_update_stats(s);
        t.packets_dropped += s->drops;
        t.packets_if_dropped += s->if_drops;
        rc = writer_iface_end(c->w, s->db_id, 0, s->packets, s->drops, s->if_drops);
        if (rc)
            return rc;
    }
    flow_table_stats(c->ft, &st);
    t.ended_ns = now_ns();
    t.packets_seen = c->packets;
    t.packets_malformed = st.malformed;
    t.packets_other = st.other;
    t.fragments_orphan = st.fragments_orphan;
    t.flows_evicted = st.flows_evicted;
    t.icmp_unmatched = st.icmp_unmatched;
    rc = writer_capture_end(c->w, &t);
    /* The writer's thread has run every job now: identities or sockets
     * that could not be written (reported) make the status 1. */
    if (!rc && (lost || (c->pa && pa_write_failed(c->pa))))
        rc = ERR_DB;
    return rc;
}

static void cap_release(struct cap *c)
{
    size_t i;

    ifset_release(&c->set);
    for (i = 0; i < c->n_files; i++)
        src_close(&c->files[i]);
    free(c->files);
    flow_table_free(&c->ft);
    writer_close(&c->w); /* its thread may still write what pa_write() handed it */
    pa_close(&c->pa);
    nl_link_close(&c->nl);
    ident_cap_release(&c->ident);
    polnets_release(&c->keep);
    cap_opts_release(&c->o);
}

int main(int argc, char **argv)
{
    struct cap c;
    struct flow_config cfg;
    int live, status = EXIT_OK;
    size_t i;
    int rc;

    memset(&c, 0, sizeof(c));
    c.helper.fd = -1;
    diag_init(&c.d, NULL, PROG);
    rc = cap_opts_parse(&c.o, &c.d, argc, argv, stdout);
    if (rc) {
        cap_opts_release(&c.o);
        return rc == 1 ? EXIT_OK : EXIT_BAD;
    }
    live = c.o.n_ifaces > 0;
    cap_signals();

    /* 1. Everything that needs privilege: packet and netlink sockets, or
     *    the files (checked for format and link type before any write). */
    if (live) {
        rc = cap_open_live(&c);
    } else {
        for (i = 0; i < c.o.n_files && !rc; i++) {
            struct src s;

            rc = src_open_file(&s, c.o.files[i], c.o.filter, &c.d);
            if (rc)
                break;
            ALLOC_GROW(c.files, c.n_files + 1, c.alloc_files);
            c.files[c.n_files++] = s;
        }
    }
    /*    Inventories (a file that does not parse stops here), and for a
     *    live capture the netlink and conntrack sockets. */
    if (!rc)
        rc = ident_cap_open(&c.ident, &c.d, c.o.inventories, c.o.n_inventories, live);
    if (!rc && c.o.redact_external)
        rc = ident_cap_redact_enable(&c.ident);
    /*    The CIDRs the customer's policies name, kept unredacted: a file
     *    that cannot be read stops here, before anything is recorded. */
    for (i = 0; !rc && i < c.o.n_keep_nets; i++)
        if (polnets_add_text(&c.keep, c.o.keep_nets[i], "--keep-net", 1, &c.d) < 0)
            rc = ERR_USAGE;
    if (!rc && c.o.n_keep_paths)
        rc = polnets_load(&c.keep, (const char *const *)c.o.keep_paths, c.o.n_keep_paths, &c.d);
    polnets_index(&c.keep);
    if (!rc && c.keep.n)
        ident_cap_redact_keep(&c.ident, &c.keep);
    /*    Process attribution's helper, forked while we are one thread and
     *    still privileged (it keeps what it needs under -Z: proc_attr.h). */
    if (!rc && (c.o.process == 1 || (c.o.process < 0 && live)))
        rc = pa_start(&c.pa, c.o.user, &c.d);
    if (rc) {
        status = EXIT_BAD;
        goto out;
    }
    /* 2. The case file (root-owned, 0600), its captures and interfaces rows. */
    rc = cap_start_db(&c, argc, argv, live);
    if (rc) {
        status = EXIT_BAD;
        goto out;
    }
    /* 3. Privilege goes before the first packet is decoded; a helper
     *    that stays root only to remove the case's side files at the end
     *    (capture/priv.h) is forked first. */
    if (c.o.user) {
        (void)!priv_helper_start(&c.helper, c.o.db_path, &c.d);
        rc = priv_drop(c.o.user, &c.d);
        if (rc) {
            status = EXIT_BAD;
            goto out;
        }
        ifset_no_open(&c.set);
    }
    cap_flow_config(&c.o, &cfg);
    c.ft = flow_table_new(&cfg, cap_emit, &c);
    if (c.pa) {
        flow_table_on_new(c.ft, cap_on_new_flow, &c);
        if (live)
            pa_no_wait(c.pa);
    }
    c.progress = !c.o.quiet && isatty(STDERR_FILENO);
    c.prog_last_ns = now_ns();

    if (live) {
        rc = cap_run_live(&c);
    } else {
        for (i = 0; i < c.n_files && !rc; i++)
            rc = cap_read_file(&c, &c.files[i]);
    }
    if (rc == ERR_FORMAT)
        status = EXIT_BAD; /* reported; what was read is written below */
    if (c.failed || c.set.failed || writer_failed(c.w))
        status = 1;
    /* 4. Whatever stopped us: write what we have. */
    if (!writer_failed(c.w) && cap_finish(&c))
        status = 1;
    cap_progress(&c, now_ns(), 1);
    /* A capture that saw nothing must not look like a quiet network. */
    if (status == EXIT_OK && c.packets == 0) {
        if (!live)
            diag_err(&c.d, "no packet recorded: the file%s hold%s no packet",
                     c.o.n_files == 1 ? "" : "s", c.o.n_files == 1 ? "s" : "");
        else if (!c.set.opened)
            diag_err(&c.d, "no packet recorded: no interface matched -i %s%s", c.o.ifaces[0],
                     c.o.n_ifaces > 1 ? " ..." : "");
        else
            diag_err(&c.d, "no packet recorded on the %zu interface%s captured", c.set.opened,
                     c.set.opened == 1 ? "" : "s");
        status = 1;
    }
    /* An inventory object reported as an error was skipped: its pods have
     * no names in the case.  The flows are written; the status says so. */
    if (c.ident.inv.malformed) {
        diag_err(&c.d, "%zu inventory object%s reported above %s skipped (over every load)",
                 c.ident.inv.malformed, c.ident.inv.malformed == 1 ? "" : "s",
                 c.ident.inv.malformed == 1 ? "was" : "were");
        if (status == EXIT_OK)
            status = EXIT_BAD;
    }
out:
    cap_release(&c);
    /* The case is closed: the helper may tidy it now. */
    priv_helper_finish(&c.helper);
    return status;
}
