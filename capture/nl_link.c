/*
 * nl_link.c: link dump and link events through libnl-route-3 (see
 * nl_link.h).  libnl's -NLE_* codes are translated into ERR_NETLINK with
 * nl_geterror()'s text by nl_sock_fail().
 *
 * Two sockets: `dump` answers requests (RTM_GETLINK with NLM_F_DUMP, which
 * rtnl_link_alloc_cache() sends), `events` only listens to the
 * RTNLGRP_LINK multicast group, non-blocking, so poll() can watch it.
 * Keeping them apart means a dump never interleaves with events.
 */
#include "capture/nl_link.h"

#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "capture/nl_sock.h"
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
    struct nl_parse_ctx pc = {m, NL_LINK_PRESENT};
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
    static const int groups[] = {RTNLGRP_LINK};
    struct nl_link_mon *m = xcalloc(1, sizeof(*m));
    int rc;

    *out = NULL;
    m->d = d;
    rc = nl_sock_events(d, NETLINK_ROUTE, groups, 1, NL_LINK_RCVBUF, nl_event, m,
                        "subscribe to link events", &m->events);
    if (!rc)
        rc = nl_sock_request(d, NETLINK_ROUTE, NULL, NULL, &m->dump);
    if (rc) {
        nl_link_close(&m);
        return rc;
    }
    *out = m;
    return 0;
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
    struct nl_dump_ctx dc = {fn, ctx};
    int rc;

    rc = rtnl_link_alloc_cache(m->dump, AF_UNSPEC, &cache);
    if (rc < 0)
        return nl_sock_fail(m->d, "list network links", rc);
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
    int rc;

    m->fn = fn;
    m->ctx = ctx;
    rc = nl_sock_drain(m->events);
    m->fn = NULL;
    if (rc < 0)
        return nl_sock_fail(m->d, "read link events", rc);
    return rc;
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
