/*
 * main.c: podflow-capture's command line and main loop.
 *
 *   podflow-capture -w CASE.db (-i IFACE|GLOB ... | -r FILE ...) [-f BPF]
 *       [-s SNAPLEN] [-B MIB] [-G SECONDS] [--idle-timeout S]
 *       [--active-timeout S] [--commit-interval S] [--max-flows N]
 *       [--node NAME] [-Z USER] [-q]
 *
 * Files (-r) are read in order through one flow table.  Live interfaces
 * (-i) are each one pcap handle, all served by one poll() loop together
 * with the netlink link events that open links matching a glob as they
 * appear and close links as they vanish.  Finished flows go to the writer
 * (writer.h), which commits every --commit-interval seconds.  SIGINT,
 * SIGTERM, SIGHUP, -G and the end of the files stop the capture the same
 * way: flush every open flow, write the totals, commit, exit 0.
 *
 * Order of start-up, for -Z: the netlink sockets and every packet socket
 * are opened, then the .db, then privileges are dropped, then packets are
 * read.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/flow.h"
#include "capture/nl_link.h"
#include "capture/priv.h"
#include "capture/source.h"
#include "capture/writer.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define PROG "podflow-capture"
#define NS_PER_S INT64_C(1000000000)

/* TPACKET_V3 retires a ring block after this long even when it is not
 * full: the delivery latency of a quiet interface. */
#define CAP_BLOCK_TIMEOUT_MS 200
/* Packets read from a file between checks of signals, clock and writer. */
#define CAP_FILE_CHECK_EVERY 65536

/* The one global: signal handlers can only reach static storage.  Holds
 * the signal that asked to stop, 0 while running. */
static volatile sig_atomic_t cap_stop_signal;

struct cap_opts {
    const char *db_path;     /* -w */
    char **ifaces;           /* -i patterns, malloc'd array of argv strings */
    size_t n_ifaces;
    char **files;            /* -r files, malloc'd array of argv strings */
    size_t n_files;
    const char *filter;      /* -f, or NULL */
    int snaplen;             /* -s */
    int buffer_mib;          /* -B, 0: libpcap's default */
    uint64_t duration_s;     /* -G, 0: until a signal */
    uint64_t idle_s;         /* --idle-timeout, 0: defaults */
    uint64_t active_s;       /* --active-timeout, 0: default */
    uint64_t commit_s;       /* --commit-interval */
    uint64_t max_flows;      /* --max-flows, 0: default */
    const char *node;        /* --node, or NULL: host name */
    const char *user;        /* -Z, or NULL */
    int quiet;               /* -q */
};

struct cap {
    struct cap_opts o;
    struct diag d;
    struct writer *w;          /* owned */
    struct flow_table *ft;     /* owned */
    struct nl_link_mon *nl;    /* owned, live only */
    struct src *srcs;          /* malloc'd: open sources */
    size_t n_srcs, alloc_srcs;
    struct src_live_opts live; /* options for every live handle */
    int64_t capture_id;
    int started;               /* the captures row exists: links found now are appeared_ns */
    int dropped_priv;          /* -Z done: new links can no longer be opened */
    int warned_priv;           /* said so once */
    uint64_t packets;          /* packets given to the flow table */
    uint64_t closed_drops;     /* pcap_stats of sources closed already */
    uint64_t closed_if_drops;
    int failed;                /* exit status to use, 0: fine */

    /* progress line */
    int progress;              /* stderr is a terminal and no -q */
    int64_t prog_last_ns;
    uint64_t prog_last_packets;
};

/* --- command line ---------------------------------------------------------- */

static const char usage_text[] =
    "usage: " PROG " -w CASE.db (-i IFACE|GLOB ... | -r FILE ...) [-f BPF] [-s SNAPLEN]\n"
    "                       [-B MIB] [-G SECONDS] [--idle-timeout S] [--active-timeout S]\n"
    "                       [--commit-interval S] [--max-flows N] [--node NAME] [-Z USER] [-q]\n"
    "\n"
    "Record the flows seen on live interfaces or in pcap/pcapng files into CASE.db.\n"
    "\n"
    "  -w CASE.db            the case file (created 0600, or a new capture added to it)\n"
    "  -i IFACE|GLOB         capture live on an interface, or on every link matching a\n"
    "                        glob ('cali*'), including links that appear later; repeatable\n"
    "  -r FILE               read a pcap or pcapng file; repeatable, read in order\n"
    "  -f BPF                capture filter (pcap-filter(7) syntax)\n"
    "  -s SNAPLEN            bytes kept per packet (default 256: headers only)\n"
    "  -B MIB                kernel ring buffer per interface, MiB\n"
    "  -G SECONDS            stop after this many seconds\n"
    "  --idle-timeout S      idle timeout of established TCP, UDP and ICMP flows\n"
    "  --active-timeout S    write long flows as interim rows every S seconds (300)\n"
    "  --commit-interval S   commit to CASE.db every S seconds (5)\n"
    "  --max-flows N         flows held in memory at most (1000000)\n"
    "  --node NAME           node name recorded (default: host name)\n"
    "  -Z USER               drop to USER after opening the sockets\n"
    "  -q                    no progress line\n"
    "  --help, --version\n";

enum {
    OPT_HELP = 256,
    OPT_VERSION,
    OPT_IDLE,
    OPT_ACTIVE,
    OPT_COMMIT,
    OPT_MAX_FLOWS,
    OPT_NODE
};

static const struct option long_opts[] = {
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "active-timeout", required_argument, NULL, OPT_ACTIVE },
    { "commit-interval", required_argument, NULL, OPT_COMMIT },
    { "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
    { "node", required_argument, NULL, OPT_NODE },
    { NULL, 0, NULL, 0 },
};

/* A number option: one line naming the option and the range on error. */
static int opt_num(struct diag *d, const char *name, const char *arg, uint64_t min, uint64_t max,
                   uint64_t *out)
{
    if (parse_u64(arg, strlen(arg), min, max, out) != 0) {
        diag_err(d, "invalid %s '%s': expected a whole number from %" PRIu64 " to %" PRIu64,
                 name, arg, min, max);
        return ERR_USAGE;
    }
    return 0;
}

/* One seconds value of at most a year (far past any sensible timeout). */
#define SECONDS_MAX (366u * 24 * 3600)

/* Parse argv into o.  Returns 0, 1 (--help/--version done: exit 0) or
 * ERR_USAGE (reported, one line). */
static int cap_parse_args(struct cap_opts *o, struct diag *d, int argc, char **argv)
{
    uint64_t v;
    int c;

    memset(o, 0, sizeof(*o));
    o->snaplen = LIM_SNAPLEN_DEFAULT;
    o->commit_s = 5;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:i:r:f:s:B:G:Z:q", long_opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            o->db_path = optarg;
            break;
        case 'i':
            if (o->n_ifaces >= LIM_IFACES) {
                diag_err(d, "too many -i (at most %d)", LIM_IFACES);
                return ERR_USAGE;
            }
            o->ifaces = xreallocarray(o->ifaces, o->n_ifaces + 1, sizeof(*o->ifaces));
            o->ifaces[o->n_ifaces++] = optarg;
            break;
        case 'r':
            if (o->n_files >= LIM_IFACES) {
                diag_err(d, "too many -r (at most %d)", LIM_IFACES);
                return ERR_USAGE;
            }
            o->files = xreallocarray(o->files, o->n_files + 1, sizeof(*o->files));
            o->files[o->n_files++] = optarg;
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 's':
            if (opt_num(d, "snap length", optarg, 64, LIM_SNAPLEN_MAX, &v))
                return ERR_USAGE;
            o->snaplen = (int)v;
            break;
        case 'B':
            if (opt_num(d, "buffer size (-B)", optarg, 1, LIM_BUFFER_MIB_MAX, &v))
                return ERR_USAGE;
            o->buffer_mib = (int)v;
            break;
        case 'G':
            if (opt_num(d, "duration (-G)", optarg, 1, SECONDS_MAX, &o->duration_s))
                return ERR_USAGE;
            break;
        case 'Z':
            o->user = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_IDLE:
            if (opt_num(d, "--idle-timeout", optarg, 1, SECONDS_MAX, &o->idle_s))
                return ERR_USAGE;
            break;
        case OPT_ACTIVE:
            if (opt_num(d, "--active-timeout", optarg, 1, SECONDS_MAX, &o->active_s))
                return ERR_USAGE;
            break;
        case OPT_COMMIT:
            if (opt_num(d, "--commit-interval", optarg, 1, SECONDS_MAX, &o->commit_s))
                return ERR_USAGE;
            break;
        case OPT_MAX_FLOWS:
            if (opt_num(d, "--max-flows", optarg, 1, LIM_FLOWS_MAX, &o->max_flows))
                return ERR_USAGE;
            break;
        case OPT_NODE:
            o->node = optarg;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 1;
        case OPT_VERSION:
            printf(PROG " %s\n", PODFLOW_VERSION);
            return 1;
        case ':':
            if (optopt)
                diag_err(d, "option -%c needs a value (see --help)", optopt);
            else
                diag_err(d, "option '%s' needs a value (see --help)", argv[optind - 1]);
            return ERR_USAGE;
        default:
            if (optopt)
                diag_err(d, "unknown option -%c (see --help)", optopt);
            else
                diag_err(d, "unknown option '%s' (see --help)", argv[optind - 1]);
            return ERR_USAGE;
        }
    }
    if (optind < argc) {
        diag_err(d, "unexpected argument '%s' (see --help)", argv[optind]);
        return ERR_USAGE;
    }
    if (!o->db_path) {
        diag_err(d, "no case file: -w CASE.db is required (see --help)");
        return ERR_USAGE;
    }
    if (!o->n_ifaces == !o->n_files) {
        diag_err(d, "%s (see --help)", o->n_ifaces ? "-i and -r cannot be mixed"
                                                   : "nothing to capture: give -i or -r");
        return ERR_USAGE;
    }
    return 0;
}

/* The command line as one string, arguments with spaces or quotes quoted
 * the way a shell would read them back. */
static char *cap_command_line(int argc, char **argv)
{
    struct buf b;
    int i;

    buf_init(&b, 0);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != '\0' && strcspn(a, " \t\n'\"\\$`*?[]<>|&;()#~") == strlen(a);

        if (i && buf_addch(&b, ' '))
            break;
        if (plain) {
            if (buf_addstr(&b, a))
                break;
            continue;
        }
        if (buf_addch(&b, '\''))
            break;
        for (; *a; a++) {
            if (*a == '\'' ? buf_addstr(&b, "'\\''") : buf_addch(&b, *a))
                break;
        }
        if (buf_addch(&b, '\''))
            break;
    }
    return buf_detach(&b, NULL);
}

/* Strings joined by spaces. */
static char *cap_join(char **v, size_t n)
{
    struct buf b;
    size_t i;

    buf_init(&b, 0);
    for (i = 0; i < n; i++) {
        if ((i && buf_addch(&b, ' ')) || buf_addstr(&b, v[i]))
            break;
    }
    return buf_detach(&b, NULL);
}

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

static uint64_t cap_drops(struct cap *c)
{
    uint64_t sum = c->closed_drops + c->closed_if_drops;
    size_t i;

    for (i = 0; i < c->n_srcs; i++)
        sum += c->srcs[i].drops + c->srcs[i].if_drops;
    return sum;
}

/* Refresh the progress line when a second has passed (or final). */
static void cap_progress(struct cap *c, int64_t now, int final)
{
    struct flow_stats st;
    double rate;
    size_t i;

    if (!final && now - c->prog_last_ns < NS_PER_S)
        return;
    for (i = 0; i < c->n_srcs; i++)
        src_update_stats(&c->srcs[i]);
    if (!c->progress)
        goto out;
    flow_table_stats(c->ft, &st);
    rate = now > c->prog_last_ns
               ? (double)(c->packets - c->prog_last_packets) * 1e9 / (double)(now - c->prog_last_ns)
               : 0.0;
    fprintf(stderr,
            "\r%" PRIu64 " packets  %.0f packets/s  %zu active flows  %" PRIu64
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

/* --- files (-r) ------------------------------------------------------------ */

/* Read one file to its end.  0, ERR_INTERRUPTED (a signal or the writer
 * asked to stop), or ERR_FORMAT (a truncated or corrupt file, reported with
 * the packet number and byte offset). */
static int cap_read_file(struct cap *c, struct src *s)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t base = c->packets, n = 0;
    int rc;

    while ((rc = pcap_next_ex(s->pcap, &h, &data)) == 1) {
        (void)flow_table_packet(c->ft, s->dlt, cap_ts_ns(s, h), data, h->caplen, h->len,
                                (uint32_t)s->db_id);
        n++;
        if (n % CAP_FILE_CHECK_EVERY == 0) {
            c->packets = base + n;
            if (cap_stop_signal || writer_failed(c->w)) {
                rc = ERR_INTERRUPTED;
                goto out;
            }
            if (c->progress)
                cap_progress(c, now_ns(), 0);
        }
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
            diag_err(&c->d, "'%s': packet %" PRIu64 ": %s", s->name, n + 1,
                     pcap_geterr(s->pcap));
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

static int is_glob(const char *p)
{
    return strpbrk(p, "*?[") != NULL;
}

static int cap_matches(const struct cap *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->o.n_ifaces; i++) {
        if (fnmatch(c->o.ifaces[i], name, 0) == 0)
            return 1;
    }
    return 0;
}

static struct src *cap_find_ifindex(struct cap *c, int ifindex)
{
    size_t i;

    for (i = 0; i < c->n_srcs; i++) {
        if (c->srcs[i].ifindex == ifindex)
            return &c->srcs[i];
    }
    return NULL;
}

/* Close source s (in c->srcs): record its counters (and vanished_ns when
 * the link went away) and remove it. */
static void cap_close_src(struct cap *c, struct src *s, int64_t vanished_ns)
{
    size_t i = (size_t)(s - c->srcs);

    src_update_stats(s);
    c->closed_drops += s->drops;
    c->closed_if_drops += s->if_drops;
    if (s->db_id &&
        writer_iface_end(c->w, s->db_id, vanished_ns, s->packets, s->drops, s->if_drops))
        c->failed = 1;
    src_close(s);
    c->srcs[i] = c->srcs[c->n_srcs - 1];
    c->n_srcs--;
}

/* Open link (ifindex, name) and, once the capture has started, record it
 * in interfaces.  fatal: a failure is the run's failure (named on the
 * command line, at start). */
static int cap_open_link(struct cap *c, int ifindex, const char *name, int fatal)
{
    struct src s;
    int rc;

    if (c->dropped_priv) {
        /* Opening a packet socket needs CAP_NET_RAW, which -Z gave up. */
        if (!c->warned_priv)
            diag_warn(&c->d, "'%s' appeared but cannot be captured after -Z dropped privileges",
                      name);
        c->warned_priv = 1;
        return 0;
    }
    if (c->n_srcs >= LIM_IFACES) {
        diag_warn(&c->d, "'%s' not captured: already capturing on %d interfaces", name,
                  LIM_IFACES);
        return fatal ? ERR_LIMIT : 0;
    }
    rc = src_open_live(&s, name, ifindex, &c->live, &c->d);
    if (rc)
        return fatal || rc == ERR_PERM || rc == ERR_USAGE ? rc : 0;
    if (c->started &&
        writer_iface_add(c->w, s.name, s.ifindex, now_ns(), s.dlt, &s.db_id)) {
        src_close(&s);
        c->failed = 1;
        return ERR_DB;
    }
    ALLOC_GROW(c->srcs, c->n_srcs + 1, c->alloc_srcs);
    c->srcs[c->n_srcs++] = s;
    return 0;
}

struct cap_link_ctx {
    struct cap *c;
    int fatal;       /* open failures are fatal (start-up) */
    int rc;          /* first fatal failure */
    int64_t now;
    unsigned char *seen; /* resync: per source, reported by the dump; or NULL */
};

static void cap_on_link(void *arg, enum nl_link_event ev, int ifindex, const char *name,
                        unsigned flags)
{
    struct cap_link_ctx *lc = arg;
    struct cap *c = lc->c;
    struct src *s = cap_find_ifindex(c, ifindex);
    int rc;

    (void)flags;
    if (ev == NL_LINK_GONE) {
        if (s)
            cap_close_src(c, s, lc->now);
        return;
    }
    if (s && strcmp(s->name, name) != 0) {
        /* Renamed: the old name is gone; the new one may or may not match. */
        cap_close_src(c, s, lc->now);
        s = NULL;
    }
    if (s) {
        if (lc->seen)
            lc->seen[s - c->srcs] = 1;
        return;
    }
    if (!cap_matches(c, name))
        return;
    rc = cap_open_link(c, ifindex, name, lc->fatal);
    if (rc && !lc->rc)
        lc->rc = rc;
    if (!rc && lc->seen && c->n_srcs && c->srcs[c->n_srcs - 1].ifindex == ifindex)
        lc->seen[c->n_srcs - 1] = 1;
}

/* Events were lost: re-dump, and close what the dump no longer shows. */
static int cap_resync(struct cap *c, int64_t now)
{
    struct cap_link_ctx lc = { c, 0, 0, now, NULL };
    size_t i;
    int rc;

    /* Room for the sources now plus any the dump opens. */
    lc.seen = xcalloc(c->n_srcs + LIM_IFACES + 1, 1);
    rc = nl_link_dump(c->nl, cap_on_link, &lc);
    if (rc == 0) {
        for (i = c->n_srcs; i-- > 0;) {
            if (!lc.seen[i])
                cap_close_src(c, &c->srcs[i], now);
        }
    }
    free(lc.seen);
    return rc;
}

/* Start-up: find the links, open each, check that named ones exist. */
static int cap_open_live(struct cap *c)
{
    struct cap_link_ctx lc = { c, 0, 0, 0, NULL };
    size_t i, j;
    int rc;

    c->live.snaplen = c->o.snaplen;
    c->live.buffer_bytes = c->o.buffer_mib * 1024 * 1024;
    c->live.timeout_ms = CAP_BLOCK_TIMEOUT_MS;
    c->live.filter = c->o.filter;

    rc = nl_link_open(&c->d, &c->nl);
    if (rc)
        return rc;
    /* Interfaces named without a glob must exist now. */
    for (i = 0; i < c->o.n_ifaces; i++) {
        const char *p = c->o.ifaces[i];

        if (!is_glob(p) && if_nametoindex(p) == 0) {
            diag_err(&c->d, "cannot capture on '%s': no such interface", p);
            return ERR_NOTFOUND;
        }
    }
    lc.fatal = 1;
    rc = nl_link_dump(c->nl, cap_on_link, &lc);
    if (!rc)
        rc = lc.rc;
    if (rc)
        return rc;
    for (i = 0; i < c->o.n_ifaces; i++) {
        int found = 0;

        for (j = 0; j < c->n_srcs && !found; j++)
            found = fnmatch(c->o.ifaces[i], c->srcs[j].name, 0) == 0;
        if (!found && is_glob(c->o.ifaces[i]) && !c->o.quiet)
            diag_warn(&c->d, "no interface matches '%s' yet: waiting for one to appear",
                      c->o.ifaces[i]);
    }
    return 0;
}

/* Drain one live source. */
static void cap_dispatch(struct cap *c, size_t i, int64_t now)
{
    struct cap_pkt_ctx pc = { c, &c->srcs[i] };
    int n = pcap_dispatch(pc.s->pcap, -1, cap_on_packet, (u_char *)&pc);

    if (n >= 0 || n == PCAP_ERROR_BREAK)
        return;
    /* The interface went down or away (libpcap: ENETDOWN, ENODEV).  Close
     * it; if it comes back, netlink reports it and it is opened anew. */
    diag_warn(&c->d, "'%s': capture stopped: %s", pc.s->name, pcap_geterr(pc.s->pcap));
    cap_close_src(c, pc.s, if_nametoindex(pc.s->name) == 0 ? now : 0);
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

    while (!cap_stop_signal && !c->failed) {
        n = 0;
        ALLOC_GROW(pfd, c->n_srcs + 1, alloc_pfd);
        pfd[n].fd = nl_link_fd(c->nl);
        pfd[n++].events = POLLIN;
        for (i = 0; i < c->n_srcs; i++) {
            pfd[n].fd = c->srcs[i].fd;
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
            for (i = c->n_srcs; i-- > 0;) {
                if (i + 1 < n && pfd[i + 1].revents && pfd[i + 1].fd == c->srcs[i].fd)
                    cap_dispatch(c, i, now);
            }
            if (pfd[0].revents) {
                struct cap_link_ctx lc = { c, 0, 0, now, NULL };

                rc = nl_link_read(c->nl, cap_on_link, &lc);
                if (rc == 1)
                    rc = cap_resync(c, now);
                if (rc < 0 || lc.rc == ERR_DB) {
                    c->failed = 1;
                    break;
                }
            }
        }
        if (now - last_expire >= NS_PER_S) {
            flow_table_expire(c->ft, now);
            last_expire = now;
        }
        if (now - last_commit >= commit_every) {
            if (writer_commit(c->w)) {
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

/* Open the writer and the captures row; record the sources opened so far. */
static int cap_start_db(struct cap *c, int argc, char **argv, int live)
{
    struct writer_capture wc;
    char host[256];
    char *cmd, *what;
    size_t i;
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
    cmd = cap_command_line(argc, argv);
    what = live ? cap_join(c->o.ifaces, c->o.n_ifaces) : cap_join(c->o.files, c->o.n_files);
    wc.interfaces = what;
    wc.filter = c->o.filter;
    wc.command = cmd;
    wc.source = live ? "live" : "file";
    wc.snaplen = live ? c->o.snaplen : 0;
    wc.started_ns = now_ns();
    rc = writer_capture_begin(c->w, &wc, &c->capture_id);
    free(cmd);
    free(what);
    if (rc)
        return rc;
    for (i = 0; i < c->n_srcs; i++) {
        struct src *s = &c->srcs[i];

        rc = writer_iface_add(c->w, s->name, s->ifindex, live ? wc.started_ns : 0, s->dlt,
                              &s->db_id);
        if (rc)
            return rc;
    }
    c->started = 1;
    return 0;
}

/* Flush, write every counter, commit. */
static int cap_finish(struct cap *c)
{
    struct writer_totals t;
    struct flow_stats st;
    size_t i;
    int rc;

    flow_table_flush(c->ft);
    memset(&t, 0, sizeof(t));
    t.packets_dropped = c->closed_drops;
    t.packets_if_dropped = c->closed_if_drops;
    for (i = 0; i < c->n_srcs; i++) {
        struct src *s = &c->srcs[i];

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
    return writer_capture_end(c->w, &t);
}

static void cap_release(struct cap *c)
{
    size_t i;

    for (i = 0; i < c->n_srcs; i++)
        src_close(&c->srcs[i]);
    free(c->srcs);
    flow_table_free(&c->ft);
    writer_close(&c->w);
    nl_link_close(&c->nl);
    free(c->o.ifaces);
    free(c->o.files);
}

int main(int argc, char **argv)
{
    struct cap c;
    struct flow_config cfg;
    int live, status = EXIT_OK;
    size_t i;
    int rc;

    memset(&c, 0, sizeof(c));
    diag_init(&c.d, NULL, PROG);
    rc = cap_parse_args(&c.o, &c.d, argc, argv);
    if (rc) {
        free(c.o.ifaces);
        free(c.o.files);
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
            ALLOC_GROW(c.srcs, c.n_srcs + 1, c.alloc_srcs);
            c.srcs[c.n_srcs++] = s;
        }
    }
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
    /* 3. Privilege goes before the first packet is decoded. */
    if (c.o.user) {
        rc = priv_drop(c.o.user, &c.d);
        if (rc) {
            status = EXIT_BAD;
            goto out;
        }
        c.dropped_priv = 1;
    }
    cap_flow_config(&c.o, &cfg);
    c.ft = flow_table_new(&cfg, writer_emit, c.w);
    c.progress = !c.o.quiet && isatty(STDERR_FILENO);
    c.prog_last_ns = now_ns();

    if (live) {
        rc = cap_run_live(&c);
    } else {
        for (i = 0; i < c.n_srcs && !rc; i++)
            rc = cap_read_file(&c, &c.srcs[i]);
    }
    if (rc == ERR_FORMAT)
        status = EXIT_BAD; /* reported; what was read is written below */
    if (c.failed || writer_failed(c.w))
        status = 1;
    /* 4. Whatever stopped us: write what we have. */
    if (!writer_failed(c.w) && cap_finish(&c))
        status = 1;
    cap_progress(&c, now_ns(), 1);
out:
    cap_release(&c);
    return status;
}
