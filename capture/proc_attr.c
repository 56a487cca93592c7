/*
 * proc_attr.c: process attribution: the helper process and the capture's
 * side of it (see proc_attr.h for the model, the messages and the
 * privileges).
 *
 * The helper's state is per network namespace, identified by its inode:
 * its addresses, the sockets its last dump showed (sorted by inode, each
 * with the time from which it is known to exist), and the sockets
 * recorded as rows that are still open.  Nothing holds a namespace open
 * between polls: a descriptor of a namespace, or a socket created in it,
 * would keep a deleted pod's namespace (and its veth) alive.  So every
 * poll finds a process in the namespace from a fresh /proc scan, enters
 * it, opens its netlink sockets, dumps, and closes them.
 *
 * One tick of the helper (after lookups arrive, or when a re-dump is due):
 *   1. one /proc scan: which processes are in which namespace;
 *   2. each lookup's ends to the namespace holding their address (a
 *      namespace first met has its addresses dumped; an address found in
 *      none has every namespace's dumped again, at most once a second),
 *      found by binary search in every namespace's addresses sorted
 *      together (pa_addr_index()) after each dump of them;
 *   3. each namespace with lookups (at most every LIM_PROC_POLL_MS) or with
 *      recorded sockets (every LIM_PROC_RESCAN_MS) is dumped: recorded
 *      sockets missing from the dump are GONE, lookups matched;
 *   4. the matched sockets not recorded yet get their processes from
 *      /proc/PID/fd of that namespace's processes: a SOCKET each.
 */
#include "capture/proc_attr.h"
#include "capture/proc_attr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/priv.h"
#include "capture/proc_scan.h"
#include "capture/sock_diag.h"
#include "capture/writer.h"
#include <sqlite3.h>
#include "common/err.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S  INT64_C(1000000000)
#define PA_PROC   "/proc"

/* --- messages -------------------------------------------------------------- */

/* Lookups per LOOKUP message: 256 x 40 bytes stays well inside a
 * SOCK_SEQPACKET datagram. */
#define PA_BATCH 256

enum pa_type { PA_LOOKUP = 1, PA_FINISH, PA_SOCKET, PA_GONE, PA_STATS, PA_DONE };

struct pa_tuple {
    uint8_t family, proto;
    uint16_t sport, dport;
    uint8_t pad[2];
    uint8_t src[16], dst[16];
};

struct pa_msg_lookup {
    uint32_t type, n;
    struct pa_tuple t[PA_BATCH];
};

struct pa_msg_socket {
    uint32_t type, pad;
    struct pa_socket s;
};

struct pa_msg_gone {
    uint32_t type, key;
    int64_t to_ns;
};

struct pa_msg_stats {
    uint32_t type, pad;
    struct pa_stats st;
};

/* The largest message either side reads. */
union pa_any {
    uint32_t type;
    struct pa_msg_lookup lookup;
    struct pa_msg_socket socket;
    struct pa_msg_gone gone;
    struct pa_msg_stats stats;
};

/* --- the helper ------------------------------------------------------------ */

/* A socket of a namespace's last dump. */
struct pa_known {
    struct sd_sock s;
    int64_t from_ns; /* known to exist since after this poll; 0: since the first */
};

/* A recorded socket still open: (inode, local address) is one row. */
struct pa_rec {
    uint64_t inode;
    struct ipaddr local;
    uint32_t key;
};

/* A lookup waiting for its ends' namespaces, since at. */
struct pa_pend {
    struct pa_tuple t;
    int64_t at;
    int64_t tried; /* the last_scan whose addresses held neither end; 0: not tried */
};

/* A flow end to find in a namespace. */
struct pa_want {
    uint8_t proto;
    struct ipaddr local, remote;
    uint16_t lport, rport;
    int64_t at; /* when the lookup arrived (LIM_PROC_SETTLE_MS) */
};

/* A matched socket waiting for its processes. */
struct pa_need {
    size_t ns; /* index in h->ns */
    struct sd_sock s;
    struct ipaddr local; /* the end's address (a wildcard bind's is the pod's) */
    int64_t from_ns;
    uint32_t holders;
    int32_t pid; /* the first holder */
    struct proc_info info;
    uint8_t same_comm, same_cgroup;
};

struct pa_ns {
    uint64_t ino;
    int self;             /* the helper's own namespace (the node's) */
    int pid;              /* a process in it at the last scan, 0: none */
    int seen;             /* met by the current scan */
    struct ipaddr *addrs; /* malloc'd */
    size_t naddrs, aaddrs;
    struct pa_known *known; /* malloc'd, sorted by pa_known_cmp_tuple() */
    size_t nknown, aknown;
    int64_t last_poll;  /* 0: never */
    int force;          /* poll at the next tick, whenever the last was (finishing) */
    struct pa_rec *rec; /* malloc'd */
    size_t nrec, arec;
    struct pa_want *wants; /* malloc'd: lookups for the next poll */
    size_t nwants, awants;
    struct sd_ns sd; /* open only during a poll */
};

struct pa_helper {
    int sock;
    struct pa_addr_ns *ix; /* malloc'd: every namespace's addresses (pa_addr_index()) */
    size_t nix, aix;
    int selffd; /* our own namespace */
    uint64_t self_ino;
    struct pa_ns *ns;
    size_t nns, ans;
    struct pa_pend *pending; /* lookups not yet resolved to namespaces */
    size_t npending, apending;
    int64_t last_scan; /* the last /proc scan and address dumps */
    int scan_needed;   /* a namespace's process was gone: scan at the next tick */
    struct pa_need *needs;
    size_t nneeds, aneeds;
    uint32_t next_key;
    struct pa_stats st, st_sent;
    int finishing;
    /* during a dump */
    struct pa_known *dump;
    size_t ndump, adump;
    int dump_full;
};

static int64_t pa_cpu_ns(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return ((int64_t)ru.ru_utime.tv_sec + (int64_t)ru.ru_stime.tv_sec) * NS_PER_S +
           ((int64_t)ru.ru_utime.tv_usec + (int64_t)ru.ru_stime.tv_usec) * 1000;
}

static void pa_send(int fd, const void *msg, size_t len)
{
    while (send(fd, msg, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

static struct pa_ns *pa_ns_find(struct pa_helper *h, uint64_t ino)
{
    for (size_t i = 0; i < h->nns; i++)
        if (h->ns[i].ino == ino)
            return &h->ns[i];
    return NULL;
}

static void pa_on_pid(void *ctx, int pid, uint64_t ino)
{
    struct pa_helper *h = ctx;
    struct pa_ns *ns = pa_ns_find(h, ino);

    if (!ns) {
        if (h->nns >= LIM_PROC_NETNS)
            return;
        ALLOC_GROW(h->ns, h->nns + 1, h->ans);
        ns = &h->ns[h->nns++];
        memset(ns, 0, sizeof(*ns));
        ns->ino = ino;
        ns->self = ino == h->self_ino;
        ns->sd.diag = ns->sd.route = -1;
    }
    if (!ns->seen) {
        ns->seen = 1;
        ns->pid = pid;
    }
}

static void pa_gone(struct pa_helper *h, uint32_t key, int64_t now)
{
    struct pa_msg_gone m = {PA_GONE, key, now};

    pa_send(h->sock, &m, sizeof(m));
}

static void pa_ns_free(struct pa_ns *ns)
{
    sd_close(&ns->sd);
    free(ns->addrs);
    free(ns->known);
    free(ns->rec);
    free(ns->wants);
}

/* 1. Which process is in which namespace.  A namespace no process is in
 * any more is forgotten; its recorded sockets end now (no process can
 * hold them). */
static void pa_scan(struct pa_helper *h, int64_t now)
{
    size_t i, j;

    for (i = 0; i < h->nns; i++)
        h->ns[i].seen = 0;
    h->st.scans++;
    (void)proc_each_netns(PA_PROC, pa_on_pid, h);
    for (i = j = 0; i < h->nns; i++) {
        struct pa_ns *ns = &h->ns[i];

        if (ns->seen || ns->self) {
            h->ns[j++] = *ns;
            continue;
        }
        for (size_t k = 0; k < ns->nrec; k++)
            pa_gone(h, ns->rec[k].key, now);
        h->st.unattributed += ns->nwants;
        pa_ns_free(ns);
    }
    h->nns = j;
}

/* Open the netlink sockets of ns (entering it through a process in it). */
static int pa_ns_open(struct pa_helper *h, struct pa_ns *ns)
{
    char path[64];
    int fd, rc;

    if (ns->self)
        return sd_open_in(&ns->sd, -1, h->selffd);
    if (!ns->pid)
        return -ESRCH;
    snprintf(path, sizeof(path), PA_PROC "/%d/ns/net", ns->pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        h->scan_needed = 1; /* the process left: find another at the next tick */
        return -errno;
    }
    rc = sd_open_in(&ns->sd, fd, h->selffd);
    close(fd);
    return rc;
}

static void pa_on_addr(void *ctx, const struct ipaddr *ip)
{
    struct pa_ns *ns = ctx;

    if (ns->naddrs >= LIM_INV_OBJECT_IPS)
        return;
    ALLOC_GROW(ns->addrs, ns->naddrs + 1, ns->aaddrs);
    ns->addrs[ns->naddrs++] = *ip;
}

static void pa_ns_addrs(struct pa_helper *h, struct pa_ns *ns)
{
    if (pa_ns_open(h, ns) < 0)
        return;
    ns->naddrs = 0;
    /* A failed dump keeps the addresses it gave: the next scan tries again. */
    if (sd_dump_addrs(&ns->sd, pa_on_addr, ns) < 0)
        h->scan_needed = 1;
    sd_close(&ns->sd);
}

static int pa_addr_cmp(const void *x, const void *y)
{
    const struct pa_addr_ns *a = x, *b = y;
    int c = ipaddr_cmp(&a->ip, &b->ip);

    if (c)
        return c;
    return a->ns < b->ns ? -1 : a->ns > b->ns;
}

TESTABLE size_t pa_addr_index(struct pa_addr_ns *ix, size_t n)
{
    size_t i, k = 0;

    if (n == 0)
        return 0;
    qsort(ix, n, sizeof(*ix), pa_addr_cmp);
    for (i = 1; i < n; i++) {
        if (ipaddr_cmp(&ix[i].ip, &ix[k].ip) != 0)
            ix[++k] = ix[i];
        else if (ix[i].ns != ix[k].ns)
            ix[k].ns = PA_NS_SEVERAL;
    }
    return k + 1;
}

TESTABLE uint32_t pa_addr_find(const struct pa_addr_ns *ix, size_t n, const struct ipaddr *ip)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ipaddr_cmp(&ix[mid].ip, ip);

        if (c == 0)
            return ix[mid].ns;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return PA_NS_SEVERAL;
}

/* Index every namespace's addresses (after a scan: h->ns's order holds
 * until the next). */
static void pa_index_addrs(struct pa_helper *h)
{
    h->nix = 0;
    for (size_t i = 0; i < h->nns; i++) {
        for (size_t j = 0; j < h->ns[i].naddrs; j++) {
            ALLOC_GROW(h->ix, h->nix + 1, h->aix);
            h->ix[h->nix].ip = h->ns[i].addrs[j];
            h->ix[h->nix++].ns = (uint32_t)i;
        }
    }
    h->nix = pa_addr_index(h->ix, h->nix);
}

/* The namespace holding address ip, or NULL (several do: none, never a
 * guess). */
static struct pa_ns *pa_ns_of(struct pa_helper *h, const struct ipaddr *ip)
{
    uint32_t i = pa_addr_find(h->ix, h->nix, ip);

    return i == PA_NS_SEVERAL ? NULL : &h->ns[i];
}

static void pa_want(struct pa_helper *h, struct pa_ns *ns, const struct pa_pend *pd, int src)
{
    const struct pa_tuple *t = &pd->t;
    struct pa_want *w;

    h->st.sought++;
    if (ns->nwants >= LIM_PROC_PENDING) {
        h->st.unattributed++;
        return;
    }
    ALLOC_GROW(ns->wants, ns->nwants + 1, ns->awants);
    w = &ns->wants[ns->nwants++];
    memset(w, 0, sizeof(*w));
    w->proto = t->proto;
    if (t->family == 6) {
        ipaddr_from_v6(&w->local, src ? t->src : t->dst);
        ipaddr_from_v6(&w->remote, src ? t->dst : t->src);
    } else {
        ipaddr_from_v4(&w->local, src ? t->src : t->dst);
        ipaddr_from_v4(&w->remote, src ? t->dst : t->src);
    }
    w->lport = src ? t->sport : t->dport;
    w->rport = src ? t->dport : t->sport;
    w->at = pd->at;
}

/* 2. Each pending lookup's ends to their namespaces.  A lookup whose
 * addresses no namespace holds waits for the next scan (a pod's address
 * comes after its namespace), and is dropped, not local, after one.  It
 * is looked up again only once the addresses changed (a scan since): the
 * ticks between (ten a second) would find nothing again, and most
 * lookups of a busy capture are of the outside world. */
static void pa_resolve(struct pa_helper *h)
{
    size_t i, kept = 0;

    for (i = 0; i < h->npending; i++) {
        const struct pa_tuple *t = &h->pending[i].t;
        struct ipaddr a, b;
        struct pa_ns *na, *nb;

        if (h->pending[i].tried == h->last_scan) {
            if (h->last_scan < h->pending[i].at)
                h->pending[kept++] = h->pending[i];
            continue;
        }
        if (t->family == 6) {
            ipaddr_from_v6(&a, t->src);
            ipaddr_from_v6(&b, t->dst);
        } else {
            ipaddr_from_v4(&a, t->src);
            ipaddr_from_v4(&b, t->dst);
        }
        na = pa_ns_of(h, &a);
        nb = pa_ns_of(h, &b);
        if (!na && !nb) {
            h->pending[i].tried = h->last_scan;
            if (h->last_scan < h->pending[i].at)
                h->pending[kept++] = h->pending[i];
            continue;
        }
        if (na)
            pa_want(h, na, &h->pending[i], 1);
        if (nb)
            pa_want(h, nb, &h->pending[i], 0);
    }
    h->npending = kept;
}

static void pa_on_sock(void *ctx, const struct sd_sock *s)
{
    struct pa_helper *h = ctx;

    if (sd_is_listener(s))
        return;
    if (h->ndump >= LIM_PROC_NS_SOCKETS) {
        h->dump_full = 1;
        return;
    }
    ALLOC_GROW(h->dump, h->ndump + 1, h->adump);
    h->dump[h->ndump].s = *s;
    h->dump[h->ndump].from_ns = 0;
    h->ndump++;
}

/* By inode: pa_known_find()'s order. */
static int pa_known_cmp(const void *x, const void *y)
{
    uint64_t a = ((const struct pa_known *)x)->s.inode, b = ((const struct pa_known *)y)->s.inode;

    return a < b ? -1 : a > b;
}

/* By inode, then 5-tuple: the order a dump is sorted in, so that the many
 * sockets without an inode (TIME_WAIT, not yet accepted) are found by
 * their 5-tuple with a binary search too (pa_known_unaccepted()). */
static int pa_known_cmp_tuple(const void *x, const void *y)
{
    const struct sd_sock *a = &((const struct pa_known *)x)->s,
                         *b = &((const struct pa_known *)y)->s;
    int c = pa_known_cmp(x, y);

    if (!c)
        c = (a->proto > b->proto) - (a->proto < b->proto);
    if (!c)
        c = (a->lport > b->lport) - (a->lport < b->lport);
    if (!c)
        c = (a->rport > b->rport) - (a->rport < b->rport);
    if (!c)
        c = ipaddr_cmp(&a->local, &b->local);
    return c ? c : ipaddr_cmp(&a->remote, &b->remote);
}

static const struct pa_known *pa_known_find(const struct pa_known *k, size_t n, uint64_t inode)
{
    struct pa_known key;

    if (!n)
        return NULL; /* k may be NULL then, which bsearch() must not get */
    key.s.inode = inode;
    return bsearch(&key, k, n, sizeof(*k), pa_known_cmp);
}

static int pa_is_zero(const struct ipaddr *ip)
{
    static const uint8_t zero[16];

    return memcmp(ip->a, zero, 16) == 0;
}

/* The socket of k[0..n) (sorted by pa_known_cmp_tuple()) with s's 5-tuple
 * and no inode: s before accept() gave it one (a request, or in the accept
 * queue); the same connection, so it has existed since that one did.
 * NULL: none. */
static const struct pa_known *pa_known_unaccepted(const struct pa_known *k, size_t n,
                                                  const struct sd_sock *s)
{
    struct pa_known key;

    if (!n)
        return NULL; /* k may be NULL then, which bsearch() must not get */
    key.s = *s;
    key.s.inode = 0;
    return bsearch(&key, k, n, sizeof(*k), pa_known_cmp_tuple);
}

/* The socket of want w among ns's known sockets: the connected one of its
 * 5-tuple, else (not TCP) the one unconnected socket bound to its port on
 * its address or a wildcard.  NULL: none, or several could be it. */
static const struct pa_known *pa_match(const struct pa_ns *ns, const struct pa_want *w)
{
    const struct pa_known *unconn = NULL;
    int several = 0;

    for (size_t i = 0; i < ns->nknown; i++) {
        const struct sd_sock *s = &ns->known[i].s;

        if (s->proto != w->proto || s->lport != w->lport)
            continue;
        if (s->rport != 0) {
            if (s->rport == w->rport && ipaddr_cmp(&s->remote, &w->remote) == 0 &&
                (ipaddr_cmp(&s->local, &w->local) == 0 || pa_is_zero(&s->local)))
                return &ns->known[i];
            continue;
        }
        if (w->proto == 6 || !(ipaddr_cmp(&s->local, &w->local) == 0 || pa_is_zero(&s->local)))
            continue;
        if (unconn)
            several = 1;
        unconn = &ns->known[i];
    }
    return several ? NULL : unconn;
}

/* 3. Dump ns: close the recorded sockets it no longer shows, match its
 * wants; matched sockets not yet recorded become needs. */
static void pa_poll(struct pa_helper *h, size_t idx, int64_t now)
{
    struct pa_ns *ns = &h->ns[idx];
    size_t i, j, kept;
    int rc;

    h->ndump = 0;
    h->dump_full = 0;
    ns->force = 0;
    rc = pa_ns_open(h, ns);
    if (!rc) {
        rc = sd_dump_sockets(&ns->sd, pa_on_sock, h);
        sd_close(&ns->sd);
    }
    h->st.polls++;
    if (rc) {
        /* Its process left between the scan and now: try at the next. */
        return;
    }
    if (h->ndump)
        qsort(h->dump, h->ndump, sizeof(*h->dump), pa_known_cmp_tuple);
    for (i = 0; i < h->ndump; i++) {
        const struct pa_known *old = pa_known_find(ns->known, ns->nknown, h->dump[i].s.inode);

        /* Inodes are no key before accept(): by the 5-tuple then, and an
         * accepted socket is known since its unaccepted self was (the
         * flow's first packet came before the accept: flows_named joins
         * sockets known from before it). */
        if (!h->dump[i].s.inode || !old)
            old = pa_known_unaccepted(ns->known, ns->nknown, &h->dump[i].s);
        h->dump[i].from_ns = old ? old->from_ns : ns->last_poll;
    }
    /* the dump becomes the namespace's known sockets */
    ALLOC_GROW(ns->known, h->ndump, ns->aknown);
    if (h->ndump)
        memcpy(ns->known, h->dump, h->ndump * sizeof(*ns->known));
    ns->nknown = h->ndump;
    ns->last_poll = now;
    for (i = j = 0; i < ns->nrec; i++) {
        if (h->dump_full || pa_known_find(ns->known, ns->nknown, ns->rec[i].inode))
            ns->rec[j++] = ns->rec[i];
        else
            pa_gone(h, ns->rec[i].key, now);
    }
    ns->nrec = j;
    for (i = kept = 0; i < ns->nwants; i++) {
        const struct pa_want *w = &ns->wants[i];
        const struct pa_known *k = pa_match(ns, w);
        struct pa_need *nd;
        int done = 0;

        /* Not there yet, or not yet anyone's (inode 0: a connection in
         * the listener's accept queue): the first packet of a flow is
         * seen before the server's end is accepted.  Asked again at the
         * next polls for LIM_PROC_SETTLE_MS, then counted unattributed. */
        if (!k || !k->s.inode) {
            if (!h->finishing && now - w->at < LIM_PROC_SETTLE_MS * NS_PER_MS)
                ns->wants[kept++] = *w;
            else
                h->st.unattributed++;
            continue;
        }
        for (j = 0; j < ns->nrec && !done; j++)
            done = ns->rec[j].inode == k->s.inode && ipaddr_cmp(&ns->rec[j].local, &w->local) == 0;
        for (j = 0; j < h->nneeds && !done; j++)
            done = h->needs[j].ns == idx && h->needs[j].s.inode == k->s.inode &&
                   ipaddr_cmp(&h->needs[j].local, &w->local) == 0;
        if (done)
            continue; /* already a row, or about to be */
        ALLOC_GROW(h->needs, h->nneeds + 1, h->aneeds);
        nd = &h->needs[h->nneeds++];
        memset(nd, 0, sizeof(*nd));
        nd->ns = idx;
        nd->s = k->s;
        nd->local = w->local;
        nd->from_ns = k->from_ns;
    }
    ns->nwants = kept;
}

struct pa_owner_ctx {
    struct pa_helper *h;
    size_t ns;
    int pid;
    int have_info;
    struct proc_info info;
};

static void pa_on_fd(void *ctx, uint64_t inode)
{
    struct pa_owner_ctx *oc = ctx;
    struct pa_helper *h = oc->h;

    for (size_t i = 0; i < h->nneeds; i++) {
        struct pa_need *nd = &h->needs[i];

        if (nd->ns != oc->ns || nd->s.inode != inode)
            continue;
        if (!oc->have_info) {
            if (proc_read_info(PA_PROC, oc->pid, &oc->info) < 0)
                return;
            oc->have_info = 1;
        }
        if (nd->holders++ == 0) {
            nd->pid = oc->pid;
            nd->info = oc->info;
            nd->same_comm = nd->same_cgroup = 1;
            continue;
        }
        if (strcmp(nd->info.comm, oc->info.comm) != 0)
            nd->same_comm = 0;
        if (strcmp(nd->info.cgroup, oc->info.cgroup) != 0 ||
            strcmp(nd->info.container, oc->info.container) != 0)
            nd->same_cgroup = 0;
    }
}

struct pa_pids_ctx {
    struct pa_helper *h;
};

/* Every process of a namespace with needs: its fds. */
static void pa_on_pid_owner(void *ctx, int pid, uint64_t ino)
{
    struct pa_helper *h = ctx;
    struct pa_owner_ctx oc;
    size_t i;

    for (i = 0; i < h->nneeds; i++)
        if (h->ns[h->needs[i].ns].ino == ino)
            break;
    if (i == h->nneeds)
        return;
    memset(&oc, 0, sizeof(oc));
    oc.h = h;
    oc.ns = h->needs[i].ns;
    oc.pid = pid;
    (void)proc_each_socket(PA_PROC, pid, pa_on_fd, &oc);
}

/* 4. The processes of the needs; a SOCKET message each. */
static void pa_owners(struct pa_helper *h)
{
    if (!h->nneeds)
        return;
    h->st.scans++;
    (void)proc_each_netns(PA_PROC, pa_on_pid_owner, h);
    for (size_t i = 0; i < h->nneeds; i++) {
        struct pa_need *nd = &h->needs[i];
        struct pa_ns *ns = &h->ns[nd->ns];
        struct pa_msg_socket m;
        struct pa_socket *s = &m.s;

        if (nd->holders == 0) {
            h->st.unattributed++; /* closed since the dump, or held by no process */
            continue;
        }
        memset(&m, 0, sizeof(m));
        m.type = PA_SOCKET;
        s->key = ++h->next_key;
        s->proto = nd->s.proto;
        s->local = nd->local;
        s->lport = nd->s.lport;
        if (nd->s.rport) {
            s->remote = nd->s.remote;
            s->rport = nd->s.rport;
        }
        s->inode = nd->s.inode;
        s->netns = ns->ino;
        s->from_ns = nd->from_ns;
        s->processes = nd->holders;
        s->pid = nd->holders == 1 ? nd->pid : 0;
        s->same_comm = nd->same_comm;
        s->same_cgroup = nd->same_cgroup;
        if (nd->same_comm)
            memcpy(s->comm, nd->info.comm, sizeof(s->comm));
        if (nd->same_cgroup) {
            memcpy(s->container, nd->info.container, sizeof(s->container));
            memcpy(s->cgroup, nd->info.cgroup, sizeof(s->cgroup));
        }
        pa_send(h->sock, &m, sizeof(m));
        if (ns->nrec < LIM_PROC_NS_SOCKETS) {
            ALLOC_GROW(ns->rec, ns->nrec + 1, ns->arec);
            ns->rec[ns->nrec].inode = nd->s.inode;
            ns->rec[ns->nrec].local = nd->local;
            ns->rec[ns->nrec].key = s->key;
            ns->nrec++;
        }
    }
    h->nneeds = 0;
}

/* Is there anything to do now? */
static int pa_due(const struct pa_ns *ns, int64_t now)
{
    int64_t since = now - ns->last_poll;

    if (ns->force)
        return 1;
    if (ns->nwants)
        return since >= LIM_PROC_POLL_MS * NS_PER_MS;
    return ns->nrec && since >= LIM_PROC_RESCAN_MS * NS_PER_MS;
}

static void pa_tick(struct pa_helper *h, int64_t now)
{
    int due = 0;

    for (size_t i = 0; i < h->nns && !due; i++)
        due = pa_due(&h->ns[i], now);
    if (!due && !h->npending)
        return;
    /* A /proc scan (and every namespace's addresses) at most once per
     * LIM_PROC_RESCAN_MS, however much traffic asks: lookups of addresses
     * no namespace holds (the outside world) cost nothing more. */
    if (h->scan_needed ||
        (now - h->last_scan >= LIM_PROC_RESCAN_MS * NS_PER_MS && (h->npending || !h->last_scan))) {
        pa_scan(h, now);
        for (size_t i = 0; i < h->nns; i++)
            pa_ns_addrs(h, &h->ns[i]);
        pa_index_addrs(h);
        h->last_scan = now;
        h->scan_needed = 0;
    }
    pa_resolve(h);
    for (size_t i = 0; i < h->nns; i++)
        if (pa_due(&h->ns[i], now))
            pa_poll(h, i, now);
    pa_owners(h);
}

static void pa_send_stats(struct pa_helper *h, uint32_t type)
{
    struct pa_msg_stats m;

    h->st.cpu_ns = (uint64_t)pa_cpu_ns();
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.st = h->st;
    pa_send(h->sock, &m, sizeof(m));
    h->st_sent = h->st;
}

/* Read every message waiting.  0, or -1 when the capture is gone. */
static int pa_helper_read(struct pa_helper *h)
{
    union pa_any m;

    for (;;) {
        ssize_t n = recv(h->sock, &m, sizeof(m), MSG_DONTWAIT);
        size_t want;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        if (n == 0)
            return -1;
        if ((size_t)n < sizeof(uint32_t))
            return -1;
        if (m.type == PA_FINISH) {
            h->finishing = 1;
            continue;
        }
        /* LOOKUP only; its length must be what its count says. */
        if (m.type != PA_LOOKUP || (size_t)n < 2 * sizeof(uint32_t) || m.lookup.n > PA_BATCH)
            return -1;
        want = 2 * sizeof(uint32_t) + m.lookup.n * sizeof(struct pa_tuple);
        if ((size_t)n != want)
            return -1;
        for (uint32_t i = 0; i < m.lookup.n; i++) {
            const struct pa_tuple *t = &m.lookup.t[i];

            if ((t->family != 4 && t->family != 6) ||
                (t->proto != 6 && t->proto != 17 && t->proto != 132))
                continue;
            if (h->npending >= LIM_PROC_PENDING) {
                h->st.unattributed++;
                continue;
            }
            ALLOC_GROW(h->pending, h->npending + 1, h->apending);
            h->pending[h->npending].t = *t;
            h->pending[h->npending].tried = 0;
            h->pending[h->npending++].at = now_ns();
        }
    }
}

static uint64_t pa_self_ino(void)
{
    char link[64];
    ssize_t n = readlink(PA_PROC "/self/ns/net", link, sizeof(link) - 1);
    uint64_t ino = 0;

    if (n > 0) {
        link[n] = '\0';
        if (proc_link_inode(link, (size_t)n, "net", &ino) != 0)
            ino = 0;
    }
    return ino;
}

static void pa_helper_main(int sock)
{
    struct pa_helper h;
    int64_t last_tick = 0;

    memset(&h, 0, sizeof(h));
    h.sock = sock;
    h.selffd = open(PA_PROC "/self/ns/net", O_RDONLY | O_CLOEXEC);
    h.self_ino = pa_self_ino();
    for (;;) {
        struct pollfd p = {sock, POLLIN, 0};
        int64_t now = now_ns(), wait = last_tick + LIM_PROC_POLL_MS * NS_PER_MS - now;

        if (poll(&p, 1, wait > 0 ? (int)(wait / NS_PER_MS) + 1 : 0) < 0 && errno != EINTR)
            break;
        if (pa_helper_read(&h) < 0)
            break;
        now = now_ns();
        /* One tick per LIM_PROC_POLL_MS at most, however often lookups
         * arrive: a tick costs a /proc scan. */
        if (!h.finishing && now - last_tick < LIM_PROC_POLL_MS * NS_PER_MS)
            continue;
        last_tick = now;
        pa_tick(&h, now);
        if (h.finishing) {
            /* What was asked before FINISH is answered first, and every
             * recorded socket is looked at once more: one that closed is
             * ended now, not left open-ended. */
            for (size_t i = 0; i < h.nns; i++)
                if (h.ns[i].nwants || h.ns[i].nrec)
                    h.ns[i].force = 1;
            pa_tick(&h, now);
            pa_send_stats(&h, PA_DONE);
            break;
        }
        if (memcmp(&h.st, &h.st_sent, sizeof(h.st)) != 0)
            pa_send_stats(&h, PA_STATS);
    }
    for (size_t i = 0; i < h.nns; i++)
        pa_ns_free(&h.ns[i]);
    free(h.ns);
    free(h.ix);
    free(h.pending);
    free(h.needs);
    free(h.dump);
    if (h.selffd >= 0)
        close(h.selffd);
}

/* --- the capture's side ---------------------------------------------------- */

struct pa_client {
    int fd;    /* our end of the socketpair, -1 once the helper is gone */
    pid_t pid; /* the helper */
    struct diag *d;
    struct pa_msg_lookup out; /* lookups not sent yet */
    int64_t rate_sec;         /* the second being counted */
    uint64_t rate_n;          /* lookups queued in it */
    uint64_t unsought;        /* flows past the rate, or while the helper was behind */
    int no_wait;              /* pa_no_wait(): lookups never wait for the helper */
    struct pa_socket *socks;  /* malloc'd: received, not yet handed to the writer */
    size_t nsocks, asocks;
    struct pa_msg_gone *gone; /* malloc'd: received, not yet handed to the writer */
    size_t ngone, agone;
    /* The writer thread's alone once pa_write() has posted a job
     * (pa_write_fn()): */
    int64_t *rowid; /* malloc'd: sockets.id by key */
    size_t nrowid;
    struct pa_socket *wsocks; /* malloc'd: handed over, not yet written (a failed write) */
    size_t nwsocks, awsocks;
    struct pa_msg_gone *wgone; /* malloc'd: handed over, not yet written */
    size_t nwgone, awgone;
    int wfailed; /* the last write failed */
    struct pa_stats st;
    int done;
};

/*
 * Close every descriptor from first up except keep.  close_range(2) (Linux
 * 5.9) does it in two calls; the loop it replaces made one close() per
 * possible descriptor, 20,000 under the usual limit: 25 ms of CPU at every
 * start, a third of what attribution cost a file capture of 1M flows.
 * The loop stays for older kernels.
 */
static void pa_close_from(int first, int keep)
{
    int max = (int)sysconf(_SC_OPEN_MAX);

    if ((keep <= first || close_range((unsigned)first, (unsigned)keep - 1, 0) == 0) &&
        close_range((unsigned)(keep < first ? first : keep + 1), ~0u, 0) == 0)
        return;
    for (int fd = first; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        if (fd != keep)
            close(fd);
}

/* A client on fd, our end of the pair (owned from now on), with no helper
 * process yet (pid 0). */
TESTABLE struct pa_client *pa_client_on_fd(int fd, struct diag *d)
{
    struct pa_client *c = xcalloc(1, sizeof(*c));

    c->fd = fd;
    c->d = d;
    c->out.type = PA_LOOKUP;
    return c;
}

int pa_start(struct pa_client **out, const char *user, struct diag *d)
{
    static const uint64_t keep = (UINT64_C(1) << CAP_SYS_ADMIN) | (UINT64_C(1) << CAP_SYS_PTRACE) |
                                 (UINT64_C(1) << CAP_DAC_READ_SEARCH);
    struct pa_client *c;
    int sp[2], err;
    pid_t pid;

    *out = NULL;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        err = errno;
        diag_err(d, "cannot start process attribution: %s", strerror(err));
        return -err;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        err = errno;
        close(sp[0]);
        close(sp[1]);
        diag_err(d, "cannot start process attribution: %s", strerror(err));
        return -err;
    }
    if (pid == 0) {
        /* The helper: only its end of the pair, stderr and what it opens. */
        signal(SIGINT, SIG_IGN); /* the capture stops it, in its own time */
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_IGN);
        pa_close_from(3, sp[1]);
        if (user && priv_drop_keep(user, keep, d) < 0)
            _exit(2);
        pa_helper_main(sp[1]);
        _exit(0);
    }
    close(sp[1]);
    c = pa_client_on_fd(sp[0], d);
    c->pid = pid;
    *out = c;
    return 0;
}

int pa_fd(const struct pa_client *c)
{
    return c->fd;
}

void pa_no_wait(struct pa_client *c)
{
    c->no_wait = 1;
}

void pa_flush(struct pa_client *c)
{
    size_t len = 2 * sizeof(uint32_t) + c->out.n * sizeof(struct pa_tuple);

    if (c->out.n == 0)
        return;
    if (c->fd >= 0 && !c->no_wait) {
        pa_send(c->fd, &c->out, len);
    } else if (c->fd >= 0) {
        ssize_t n;

        while ((n = send(c->fd, &c->out, len, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
            ;
        /* The helper is behind (its socket full): these flows are not
         * looked up, and say so, rather than keep the rings waiting. */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            c->unsought += c->out.n;
    }
    c->out.n = 0;
}

void pa_lookup(struct pa_client *c, int family, int proto, const uint8_t *src, uint16_t sport,
               const uint8_t *dst, uint16_t dport, int64_t now_ns)
{
    struct pa_tuple *t;
    int64_t sec = now_ns / NS_PER_S;

    if (c->fd < 0)
        return;
    if (sec != c->rate_sec) {
        c->rate_sec = sec;
        c->rate_n = 0;
    }
    if (c->rate_n >= LIM_PROC_LOOKUPS_PER_S) {
        c->unsought++;
        return;
    }
    c->rate_n++;
    t = &c->out.t[c->out.n++];
    memset(t, 0, sizeof(*t));
    t->family = (uint8_t)family;
    t->proto = (uint8_t)proto;
    t->sport = sport;
    t->dport = dport;
    memcpy(t->src, src, 16);
    memcpy(t->dst, dst, 16);
    if (c->out.n == PA_BATCH)
        pa_flush(c);
}

static void pa_lost(struct pa_client *c)
{
    if (c->fd < 0)
        return;
    if (!c->done)
        diag_warn(c->d, "process attribution stopped: its helper went away");
    close(c->fd);
    c->fd = -1;
}

int pa_read(struct pa_client *c)
{
    union pa_any m;

    while (c->fd >= 0) {
        ssize_t n = recv(c->fd, &m, sizeof(m), MSG_DONTWAIT);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0 || (size_t)n < sizeof(uint32_t)) {
            pa_lost(c);
            return -1;
        }
        if (m.type == PA_SOCKET && (size_t)n == sizeof(m.socket)) {
            struct pa_socket *s;

            ALLOC_GROW(c->socks, c->nsocks + 1, c->asocks);
            s = &c->socks[c->nsocks++];
            *s = m.socket.s;
            s->comm[sizeof(s->comm) - 1] = '\0';
            s->container[sizeof(s->container) - 1] = '\0';
            s->cgroup[sizeof(s->cgroup) - 1] = '\0';
        } else if (m.type == PA_GONE && (size_t)n == sizeof(m.gone)) {
            ALLOC_GROW(c->gone, c->ngone + 1, c->agone);
            c->gone[c->ngone++] = m.gone;
        } else if ((m.type == PA_STATS || m.type == PA_DONE) && (size_t)n == sizeof(m.stats)) {
            c->st = m.stats.st;
            if (m.type == PA_DONE) {
                c->done = 1;
                pa_lost(c);
                return 0;
            }
        } else {
            pa_lost(c);
            return -1;
        }
    }
    return 0;
}

void pa_finish(struct pa_client *c)
{
    uint32_t fin[2] = {PA_FINISH, 0};
    int64_t deadline = now_ns() + 5 * NS_PER_S;

    c->no_wait = 0; /* the rings are not read any more */
    pa_flush(c);
    if (c->fd < 0)
        return;
    pa_send(c->fd, fin, sizeof(fin));
    while (c->fd >= 0 && now_ns() < deadline) {
        struct pollfd p = {c->fd, POLLIN, 0};

        if (poll(&p, 1, 100) > 0)
            (void)pa_read(c);
    }
}

void pa_get_stats(const struct pa_client *c, struct pa_stats *out)
{
    *out = c->st;
}

/* pa_write()'s job for the writer thread: what was received since the
 * last one, and the counters then. */
struct pa_job {
    struct pa_client *c; /* its writer-side fields (rowid, wsocks, wgone) */
    int64_t capture_id;
    struct pa_socket *socks; /* malloc'd, owned; remote addresses redacted */
    size_t nsocks;
    struct pa_msg_gone *gone; /* malloc'd, owned */
    size_t ngone;
    struct pa_stats st;
    uint64_t unsought;
};

static void pa_job_free(void *arg)
{
    struct pa_job *j = arg;

    free(j->socks);
    free(j->gone);
    free(j);
}

static void pa_bind_text(sqlite3_stmt *st, int col, const char *s, int present)
{
    if (present && s[0])
        sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, col);
}

/* On the writer thread: the job's sockets and ends after those a failed
 * write left, in one savepoint. */
static int pa_write_fn(sqlite3 *db, void *arg)
{
    struct pa_job *j = arg;
    struct pa_client *c = j->c;
    sqlite3_stmt *ins = NULL, *upd = NULL, *cap = NULL;
    int rc = ERR_DB;

    ALLOC_GROW(c->wsocks, c->nwsocks + j->nsocks, c->awsocks);
    if (j->nsocks)
        memcpy(c->wsocks + c->nwsocks, j->socks, j->nsocks * sizeof(*j->socks));
    c->nwsocks += j->nsocks;
    ALLOC_GROW(c->wgone, c->nwgone + j->ngone, c->awgone);
    if (j->ngone)
        memcpy(c->wgone + c->nwgone, j->gone, j->ngone * sizeof(*j->gone));
    c->nwgone += j->ngone;
    if (sqlite3_exec(db, "SAVEPOINT pa_write", NULL, NULL, NULL) != SQLITE_OK) {
        diag_err(c->d, "cannot write the sockets: %s", sqlite3_errmsg(db));
        c->wfailed = 1;
        return ERR_DB;
    }
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO sockets (capture_id, proto, local_ip, local_port,"
                           " remote_ip, remote_port, inode, netns, pid, processes, comm,"
                           " container, cgroup, valid_from_ns) VALUES"
                           " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE sockets SET valid_to_ns = ?2 WHERE id = ?1", -1, &upd,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "UPDATE captures SET sockets_sought = ?2, sockets_unattributed = ?3,"
                           " flows_unsought = ?4 WHERE id = ?1",
                           -1, &cap, NULL) != SQLITE_OK)
        goto out;
    for (size_t i = 0; i < c->nwsocks; i++) {
        const struct pa_socket *s = &c->wsocks[i];
        char lip[IPADDR_STRLEN], rip[IPADDR_STRLEN];

        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, j->capture_id);
        sqlite3_bind_int(ins, 2, s->proto);
        sqlite3_bind_text(ins, 3, ipaddr_format(&s->local, lip), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 4, s->lport);
        if (s->remote.family) {
            sqlite3_bind_text(ins, 5, ipaddr_format(&s->remote, rip), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(ins, 6, s->rport);
        } else {
            sqlite3_bind_null(ins, 5);
            sqlite3_bind_null(ins, 6);
        }
        sqlite3_bind_int64(ins, 7, (int64_t)s->inode);
        sqlite3_bind_int64(ins, 8, (int64_t)s->netns);
        if (s->pid > 0)
            sqlite3_bind_int(ins, 9, s->pid);
        else
            sqlite3_bind_null(ins, 9);
        sqlite3_bind_int64(ins, 10, s->processes);
        pa_bind_text(ins, 11, s->comm, s->same_comm);
        pa_bind_text(ins, 12, s->container, s->same_cgroup);
        pa_bind_text(ins, 13, s->cgroup, s->same_cgroup);
        if (s->from_ns)
            sqlite3_bind_int64(ins, 14, s->from_ns);
        else
            sqlite3_bind_null(ins, 14);
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto out;
        if (s->key >= c->nrowid) {
            size_t n = c->nrowid ? c->nrowid : 256;

            while (n <= s->key)
                n *= 2;
            c->rowid = xreallocarray(c->rowid, n, sizeof(*c->rowid));
            memset(c->rowid + c->nrowid, 0, (n - c->nrowid) * sizeof(*c->rowid));
            c->nrowid = n;
        }
        c->rowid[s->key] = sqlite3_last_insert_rowid(db);
    }
    for (size_t i = 0; i < c->nwgone; i++) {
        const struct pa_msg_gone *g = &c->wgone[i];

        if (g->key >= c->nrowid || !c->rowid[g->key])
            continue; /* a socket not written (a failed write is reported) */
        sqlite3_reset(upd);
        sqlite3_bind_int64(upd, 1, c->rowid[g->key]);
        sqlite3_bind_int64(upd, 2, g->to_ns);
        if (sqlite3_step(upd) != SQLITE_DONE)
            goto out;
    }
    sqlite3_bind_int64(cap, 1, j->capture_id);
    sqlite3_bind_int64(cap, 2, (int64_t)j->st.sought);
    sqlite3_bind_int64(cap, 3, (int64_t)j->st.unattributed);
    sqlite3_bind_int64(cap, 4, (int64_t)j->unsought);
    if (sqlite3_step(cap) != SQLITE_DONE)
        goto out;
    rc = 0;
    c->nwsocks = 0;
    c->nwgone = 0;
out:
    c->wfailed = rc != 0;
    if (rc)
        diag_err(c->d, "cannot write the sockets: %s", sqlite3_errmsg(db));
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    sqlite3_finalize(cap);
    /* A failure leaves the rows (and the rowids of the sockets written
     * before, kept: a rowid of a row rolled back is overwritten when the
     * socket is written again) for the next try. */
    sqlite3_exec(db, rc ? "ROLLBACK TO pa_write; RELEASE pa_write" : "RELEASE pa_write", NULL, NULL,
                 NULL);
    return rc;
}

int pa_write(struct pa_client *c, struct writer *w, int64_t capture_id,
             void (*redact)(void *ctx, struct ipaddr *ip), void *ctx)
{
    struct pa_job *j = xcalloc(1, sizeof(*j));

    /* Redacted here, once, on the caller's thread, which owns the
     * pseudonyms. */
    for (size_t i = 0; i < c->nsocks && redact; i++)
        if (c->socks[i].remote.family)
            redact(ctx, &c->socks[i].remote);
    j->c = c;
    j->capture_id = capture_id;
    j->socks = c->socks;
    j->nsocks = c->nsocks;
    j->gone = c->gone;
    j->ngone = c->ngone;
    j->st = c->st;
    j->unsought = c->unsought;
    c->socks = NULL;
    c->nsocks = c->asocks = 0;
    c->gone = NULL;
    c->ngone = c->agone = 0;
    return writer_post(w, pa_write_fn, pa_job_free, j);
}

int pa_write_failed(const struct pa_client *c)
{
    return c->wfailed;
}

void pa_close(struct pa_client **cp)
{
    struct pa_client *c = *cp;

    if (!c)
        return;
    *cp = NULL;
    if (c->fd >= 0)
        close(c->fd); /* the helper reads the end of the pair, and exits */
    if (c->pid > 0) {
        int status;
        int64_t deadline = now_ns() + 2 * NS_PER_S;

        while (waitpid(c->pid, &status, WNOHANG) == 0) {
            struct timespec ts = {0, 20 * 1000000L};

            if (now_ns() > deadline) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, &status, 0);
                break;
            }
            nanosleep(&ts, NULL);
        }
    }
    free(c->socks);
    free(c->gone);
    free(c->rowid);
    free(c->wsocks);
    free(c->wgone);
    free(c);
}
