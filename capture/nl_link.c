/*
 * nl_link.c: link dump and link events through libnl-route-3 (see
 * nl_link.h).  libnl's -NLE_* codes are translated here into ERR_NETLINK
 * with nl_geterror()'s text.
 *
 * Two sockets: `dump` answers requests (RTM_GETLINK with NLM_F_DUMP, which
 * rtnl_link_alloc_cache() sends), `events` only listens to the
 * RTNLGRP_LINK multicast group, non-blocking, so poll() can watch it.
 * Keeping them apart means a dump never interleaves with events.
 */
#include "capture/nl_link.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* Receive buffer of the events socket: a node starting a few hundred pods
 * at once sends a few hundred RTM_NEWLINK of ~1.5 KB each; 4 MB holds
 * thousands before the kernel must drop (and we re-dump). */
#define NL_LINK_RCVBUF (4 << 20)

struct nl_link_mon {
    struct nl_sock *dump;   /* owned: request socket */
    struct nl_sock *events; /* owned: RTNLGRP_LINK subscription */
    struct diag *d;         /* not owned */
    nl_link_fn fn;          /* during nl_link_read() only */
    void *ctx;
};

static int nl_fail(struct nl_link_mon *m, const char *what, int nlerr)
{
    int e = nlerr < 0 ? -nlerr : nlerr;

    if (e == NLE_PERM) {
        diag_err(m->d, "cannot %s: %s (needs CAP_NET_ADMIN or root)", what, nl_geterror(e));
        return ERR_PERM;
    }
    diag_err(m->d, "cannot %s: %s", what, nl_geterror(e));
    return ERR_NETLINK;
}

/* Report one struct rtnl_link. */
static void nl_report(nl_link_fn fn, void *ctx, enum nl_link_event ev, struct rtnl_link *link)
{
    const char *name = rtnl_link_get_name(link);

    if (!name)
        return;
    fn(ctx, ev, rtnl_link_get_ifindex(link), name, rtnl_link_get_flags(link));
}

struct nl_parse_ctx {
    struct nl_link_mon *m;
    enum nl_link_event ev;
};

static void nl_parsed(struct nl_object *obj, void *arg)
{
    struct nl_parse_ctx *pc = arg;

    if (strcmp(nl_object_get_type(obj), "route/link") != 0)
        return;
    nl_report(pc->m->fn, pc->m->ctx, pc->ev, (struct rtnl_link *)obj);
}

/* NL_CB_VALID of the events socket: one RTM_NEWLINK or RTM_DELLINK. */
static int nl_event(struct nl_msg *msg, void *arg)
{
    struct nl_link_mon *m = arg;
    struct nl_parse_ctx pc = { m, NL_LINK_PRESENT };
    int type = nlmsg_hdr(msg)->nlmsg_type;

    if (type != RTM_NEWLINK && type != RTM_DELLINK)
        return NL_OK;
    pc.ev = type == RTM_DELLINK ? NL_LINK_GONE : NL_LINK_PRESENT;
    /* A message libnl cannot parse is skipped: the next dump corrects. */
    (void)nl_msg_parse(msg, nl_parsed, &pc);
    return NL_OK;
}

int nl_link_open(struct diag *d, struct nl_link_mon **out)
{
    struct nl_link_mon *m = xcalloc(1, sizeof(*m));
    int rc;

    *out = NULL;
    m->d = d;
    m->dump = nl_socket_alloc();
    m->events = nl_socket_alloc();
    if (!m->dump || !m->events) {
        diag_err(d, "cannot allocate a netlink socket");
        rc = ERR_NETLINK;
        goto out_free;
    }
    /* Events carry no sequence numbers of ours. */
    nl_socket_disable_seq_check(m->events);
    nl_socket_modify_cb(m->events, NL_CB_VALID, NL_CB_CUSTOM, nl_event, m);
    rc = nl_connect(m->events, NETLINK_ROUTE);
    if (rc < 0) {
        rc = nl_fail(m, "open a netlink socket", rc);
        goto out_free;
    }
    rc = nl_socket_add_membership(m->events, RTNLGRP_LINK);
    if (rc < 0) {
        rc = nl_fail(m, "subscribe to link events", rc);
        goto out_free;
    }
    (void)nl_socket_set_buffer_size(m->events, NL_LINK_RCVBUF, 0);
    rc = nl_socket_set_nonblocking(m->events);
    if (rc < 0) {
        rc = nl_fail(m, "set up the netlink socket", rc);
        goto out_free;
    }
    rc = nl_connect(m->dump, NETLINK_ROUTE);
    if (rc < 0) {
        rc = nl_fail(m, "open a netlink socket", rc);
        goto out_free;
    }
    *out = m;
    return 0;

out_free:
    nl_link_close(&m);
    return rc;
}

struct nl_dump_ctx {
    nl_link_fn fn;
    void *ctx;
};

static void nl_dumped(struct nl_object *obj, void *arg)
{
    struct nl_dump_ctx *dc = arg;

    nl_report(dc->fn, dc->ctx, NL_LINK_PRESENT, (struct rtnl_link *)obj);
}

int nl_link_dump(struct nl_link_mon *m, nl_link_fn fn, void *ctx)
{
    struct nl_cache *cache = NULL;
    struct nl_dump_ctx dc = { fn, ctx };
    int rc;

    rc = rtnl_link_alloc_cache(m->dump, AF_UNSPEC, &cache);
    if (rc < 0)
        return nl_fail(m, "list network links", rc);
    nl_cache_foreach(cache, nl_dumped, &dc);
    nl_cache_free(cache);
    return 0;
}

int nl_link_fd(const struct nl_link_mon *m)
{
    return nl_socket_get_fd(m->events);
}

int nl_link_read(struct nl_link_mon *m, nl_link_fn fn, void *ctx)
{
    int lost = 0;
    int rc;

    m->fn = fn;
    m->ctx = ctx;
    for (;;) {
        rc = nl_recvmsgs_default(m->events);
        if (rc >= 0)
            continue;
        if (rc == -NLE_AGAIN)
            break;
        if (rc == -NLE_INTR)
            continue;
        /* ENOBUFS (libnl: NLE_NOMEM): the kernel dropped events. */
        if (rc == -NLE_NOMEM || rc == -NLE_DUMP_INTR) {
            lost = 1;
            continue;
        }
        m->fn = NULL;
        return nl_fail(m, "read link events", rc);
    }
    m->fn = NULL;
    return lost;
}

void nl_link_close(struct nl_link_mon **mp)
{
    struct nl_link_mon *m = *mp;

    if (!m)
        return;
    *mp = NULL;
    if (m->events)
        nl_socket_free(m->events);
    if (m->dump)
        nl_socket_free(m->dump);
    free(m);
}
