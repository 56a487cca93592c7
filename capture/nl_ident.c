/*
 * nl_ident.c: address-behind-interface intervals from rtnetlink (see
 * nl_ident.h for what is mapped and why).
 *
 * One code path for dumps and events: both arrive as rtnetlink messages
 * (RTM_NEWxxx and RTM_DELxxx), which libnl parses into route/link, route/addr,
 * route/route and route/neigh objects (nl_msg_parse()), and nli_object()
 * applies each to the current state.  Dumps are RTM_GET* requests with
 * NLM_F_DUMP on a second socket: AF_UNSPEC for links, addresses, routes
 * and ARP/ND neighbours; AF_BRIDGE for the bridges' FDB, which the kernel
 * serves from another handler (PF_BRIDGE RTM_GETNEIGH).
 *
 * A node has at most a few hundred pods and events are rare next to
 * packets, so the state is flat arrays searched linearly.
 */
#include "capture/nl_ident.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <string.h>
#include <sys/socket.h>

#include "capture/nl_sock.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* Receive buffer of the events socket: a node starting a few hundred pods
 * at once sends a link, an address, a route and neighbours for each; 4 MB
 * holds thousands of messages before the kernel must drop (and we
 * re-dump). */
#define NLI_RCVBUF (4 << 20)

struct nli_link {
    int ifindex;
    char name[IF_NAMESIZE];
    int veth, bridge; /* IFLA_INFO_KIND "veth", "bridge" */
    int up;           /* IFF_UP */
    int master;       /* IFLA_MASTER: the bridge of a port, or 0 */
    int seen;         /* resync: reported by the dump */
};

/* A neighbour on a bridge: ip has MAC mac there. */
struct nli_neigh {
    struct ipaddr ip;
    int bridge;
    uint8_t mac[ETH_ALEN];
};

/* A bridge FDB entry: mac was learnt on port of bridge. */
struct nli_fdb {
    uint8_t mac[ETH_ALEN];
    int bridge, port;
};

/* A Calico IPAM block the node routes (docs/semantics.md §11): a pod
 * network.  local: a blackhole route (a block of this node's). */
struct nli_block {
    struct cidr net;
    int local;
    int64_t from_ns, to_ns; /* as intervals' */
    int open;
};

struct nl_ident {
    struct nl_sock *dump;   /* owned: request socket */
    struct nl_sock *events; /* owned: the subscription */
    struct diag *d;         /* not owned */
    int64_t now;            /* stamp of what is being applied; IDENT_OPEN at start */
    int type;               /* nlmsg_type of the message being parsed */
    int resync;             /* a re-dump is running: mark what it reports */
    int dirty;
    int warned_limit;

    struct nli_link *links;
    size_t nlinks, alinks;
    struct nli_neigh *neighs;
    size_t nneighs, aneighs;
    struct nli_fdb *fdb;
    size_t nfdb, afdb;
    struct nl_ident_iv *ivs; /* every interval, open and closed, in order opened */
    size_t nivs, aivs;
    struct nli_block *blocks; /* every block route seen, open and closed */
    size_t nblocks, ablocks;
    unsigned char *iv_seen; /* resync: per interval */
};

/* --- state ------------------------------------------------------------------- */

static struct nli_link *nli_link(struct nl_ident *m, int ifindex)
{
    for (size_t i = 0; i < m->nlinks; i++) {
        if (m->links[i].ifindex == ifindex)
            return &m->links[i];
    }
    return NULL;
}

static int nli_ipaddr(struct nl_addr *a, struct ipaddr *out)
{
    const uint8_t *b;

    if (!a)
        return -1;
    b = nl_addr_get_binary_addr(a);
    if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
        ipaddr_from_v4(out, b);
    else if (nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16)
        ipaddr_from_v6(out, b);
    else
        return -1;
    return 0;
}

static int nli_mac(struct nl_addr *a, uint8_t mac[ETH_ALEN])
{
    if (!a || nl_addr_get_len(a) != ETH_ALEN)
        return -1;
    memcpy(mac, nl_addr_get_binary_addr(a), ETH_ALEN);
    return 0;
}

/* The open interval of (via, ip) (and ifindex, for addresses: a node may
 * hold one address on several links), or NULL. */
static struct nl_ident_iv *nli_open_iv(struct nl_ident *m, enum nl_ident_via via,
                                       const struct ipaddr *ip, int ifindex)
{
    for (size_t i = 0; i < m->nivs; i++) {
        struct nl_ident_iv *v = &m->ivs[i];

        if (v->open && v->via == via && ipaddr_cmp(&v->ip, ip) == 0 &&
            (via != NLI_ADDR || v->ifindex == ifindex))
            return v;
    }
    return NULL;
}

static void nli_close_iv(struct nl_ident *m, struct nl_ident_iv *v)
{
    v->open = 0;
    m->dirty = 1;
    if (m->now == IDENT_OPEN) {
        /* Replaced within the start-up dump: it held nothing we saw. */
        v->from_ns = v->to_ns = 0;
        return;
    }
    v->to_ns = m->now;
    if (v->from_ns != IDENT_OPEN && v->to_ns != IDENT_OPEN && v->to_ns < v->from_ns)
        v->to_ns = v->from_ns;
    m->dirty = 1;
}

/* ip is behind ifindex (via): keep the open interval if it says so, else
 * close it and open a new one. */
static void nli_set(struct nl_ident *m, enum nl_ident_via via, const struct ipaddr *ip, int ifindex)
{
    struct nl_ident_iv *v = nli_open_iv(m, via, ip, ifindex);
    struct nli_link *l = nli_link(m, ifindex);

    if (v && v->ifindex == ifindex) {
        if (m->resync)
            m->iv_seen[v - m->ivs] = 1;
        return;
    }
    if (v)
        nli_close_iv(m, v);
    if (!l)
        return; /* a link we do not know (yet): the link's own report comes first */
    if (m->nivs >= LIM_NL_INTERVALS) {
        if (!m->warned_limit)
            diag_warn(m->d, "more than %d address-to-interface changes: later ones not recorded",
                      LIM_NL_INTERVALS);
        m->warned_limit = 1;
        return;
    }
    ALLOC_GROW(m->ivs, m->nivs + 1, m->aivs);
    if (m->resync)
        m->iv_seen = xreallocarray(m->iv_seen, m->aivs, 1);
    v = &m->ivs[m->nivs++];
    memset(v, 0, sizeof(*v));
    v->ip = *ip;
    v->ifindex = ifindex;
    snprintf(v->iface, sizeof(v->iface), "%s", l->name);
    v->via = via;
    v->from_ns = m->now;
    v->to_ns = IDENT_OPEN;
    v->open = 1;
    if (m->resync)
        m->iv_seen[v - m->ivs] = 1;
    m->dirty = 1;
}

/* (via, ip[, ifindex]) went away. */
static void nli_unset(struct nl_ident *m, enum nl_ident_via via, const struct ipaddr *ip,
                      int ifindex)
{
    struct nl_ident_iv *v = nli_open_iv(m, via, ip, ifindex);

    if (v && v->ifindex == ifindex)
        nli_close_iv(m, v);
}

/* Close every open interval through ifindex (of the vias given). */
static void nli_close_link(struct nl_ident *m, int ifindex, int routes_only)
{
    for (size_t i = 0; i < m->nivs; i++) {
        struct nl_ident_iv *v = &m->ivs[i];

        if (v->open && v->ifindex == ifindex && (!routes_only || v->via == NLI_ROUTE))
            nli_close_iv(m, v);
    }
}

/* A bridge neighbour's address is behind the FDB port of its MAC. */
static void nli_neigh_resolve(struct nl_ident *m, const struct nli_neigh *n)
{
    for (size_t i = 0; i < m->nfdb; i++) {
        const struct nli_fdb *f = &m->fdb[i];

        if (f->bridge == n->bridge && memcmp(f->mac, n->mac, ETH_ALEN) == 0) {
            nli_set(m, NLI_NEIGH, &n->ip, f->port);
            return;
        }
    }
    /* No FDB entry yet: the mapping waits for it (or keeps its old port). */
}

/* --- objects ------------------------------------------------------------------- */

static void nli_on_link(struct nl_ident *m, struct rtnl_link *link, int del)
{
    int ifindex = rtnl_link_get_ifindex(link);
    const char *name = rtnl_link_get_name(link);
    const char *kind = rtnl_link_get_type(link);
    struct nli_link *l = nli_link(m, ifindex);
    size_t i;

    if (del) {
        nli_close_link(m, ifindex, 0);
        for (i = m->nfdb; i-- > 0;) {
            if (m->fdb[i].port == ifindex || m->fdb[i].bridge == ifindex)
                m->fdb[i] = m->fdb[--m->nfdb];
        }
        for (i = m->nneighs; i-- > 0;) {
            if (m->neighs[i].bridge == ifindex)
                m->neighs[i] = m->neighs[--m->nneighs];
        }
        if (l)
            *l = m->links[--m->nlinks];
        return;
    }
    if (!name)
        return;
    if (!l) {
        ALLOC_GROW(m->links, m->nlinks + 1, m->alinks);
        l = &m->links[m->nlinks++];
        memset(l, 0, sizeof(*l));
        l->ifindex = ifindex;
    }
    snprintf(l->name, sizeof(l->name), "%s", name);
    /* A change message may lack IFLA_LINKINFO: keep what we knew. */
    if (kind) {
        l->veth = strcmp(kind, "veth") == 0;
        l->bridge = strcmp(kind, "bridge") == 0;
    }
    l->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    l->master = rtnl_link_get_master(link);
    l->seen = 1;
    /* An IPv4 route through a link set down is flushed without any
     * RTM_DELROUTE: the link's own report is the only sign. */
    if (!l->up)
        nli_close_link(m, ifindex, 1);
}

static int nli_is_local_only(const struct ipaddr *ip)
{
    if (ip->family == 4)
        return ip->a[0] == 127 || (ip->a[0] == 169 && ip->a[1] == 254) || ip->a[0] == 0;
    /* ::1, fe80::/10, :: */
    if (ip->a[0] == 0xfe && (ip->a[1] & 0xc0) == 0x80)
        return 1;
    for (int i = 0; i < 15; i++) {
        if (ip->a[i])
            return 0;
    }
    return ip->a[15] <= 1;
}

static void nli_on_addr(struct nl_ident *m, struct rtnl_addr *a, int del)
{
    struct ipaddr ip;
    int ifindex = rtnl_addr_get_ifindex(a);

    if (nli_ipaddr(rtnl_addr_get_local(a), &ip) < 0 || nli_is_local_only(&ip))
        return;
    if (rtnl_addr_get_scope(a) >= RT_SCOPE_LINK)
        return;
    if (del)
        nli_unset(m, NLI_ADDR, &ip, ifindex);
    else
        nli_set(m, NLI_ADDR, &ip, ifindex);
}

/* Calico's route protocols: BIRD's (BGP and IP-in-IP modes) and Felix's
 * own (VXLAN, no encapsulation: felix/dataplane/linux/dataplanedefs,
 * DefaultRouteProto 80). */
#define NLI_RTPROT_BIRD  12
#define NLI_RTPROT_FELIX 80

/*
 * A route to a network shorter than a host's: a Calico IPAM block when it
 * is a blackhole (the node's own blocks: BIRD and Felix install one per
 * block so that an unallocated address goes nowhere) or Calico installed
 * it (another node's block, through a tunnel or a peer).  Its addresses
 * are pods', named or not (§11).
 */
static void nli_on_block(struct nl_ident *m, struct rtnl_route *r, const struct ipaddr *ip,
                         unsigned plen, int del)
{
    int local = rtnl_route_get_type(r) == RTN_BLACKHOLE;
    int proto = rtnl_route_get_protocol(r);
    struct cidr net;
    size_t i;

    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || plen == 0 ||
        (!local && proto != NLI_RTPROT_BIRD && proto != NLI_RTPROT_FELIX))
        return;
    memset(&net, 0, sizeof(net));
    net.addr = *ip;
    net.plen = (uint8_t)plen;
    for (i = 0; i < m->nblocks; i++)
        if (m->blocks[i].open && m->blocks[i].net.plen == net.plen &&
            !ipaddr_cmp(&m->blocks[i].net.addr, &net.addr))
            break;
    if (del) {
        if (i < m->nblocks) {
            m->blocks[i].open = 0;
            m->blocks[i].to_ns = m->now;
            m->dirty = 1;
        }
        return;
    }
    if (i < m->nblocks || m->nblocks >= LIM_NL_INTERVALS)
        return;
    ALLOC_GROW(m->blocks, m->nblocks + 1, m->ablocks);
    m->blocks[m->nblocks].net = net;
    m->blocks[m->nblocks].local = local;
    m->blocks[m->nblocks].from_ns = m->now;
    m->blocks[m->nblocks].to_ns = IDENT_OPEN;
    m->blocks[m->nblocks++].open = 1;
    m->dirty = 1;
}

static void nli_on_route(struct nl_ident *m, struct rtnl_route *r, int del)
{
    struct nl_addr *dst = rtnl_route_get_dst(r);
    struct rtnl_nexthop *nh;
    struct nli_link *l;
    struct ipaddr ip;
    unsigned plen;
    int ifindex;

    if (nli_ipaddr(dst, &ip) < 0)
        return;
    plen = nl_addr_get_prefixlen(dst);
    if (plen < (ip.family == 4 ? 32u : 128u)) {
        nli_on_block(m, r, &ip, plen, del);
        return;
    }
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
        rtnl_route_get_nnexthops(r) != 1)
        return;
    nh = rtnl_route_nexthop_n(r, 0);
    if (!nh || rtnl_route_nh_get_gateway(nh))
        return;
    ifindex = rtnl_route_nh_get_ifindex(nh);
    if (del) {
        nli_unset(m, NLI_ROUTE, &ip, ifindex);
        return;
    }
    l = nli_link(m, ifindex);
    if (!l || !(l->veth || strncmp(l->name, "cali", 4) == 0))
        return;
    nli_set(m, NLI_ROUTE, &ip, ifindex);
}

static void nli_on_neigh(struct nl_ident *m, struct rtnl_neigh *n, int del)
{
    uint8_t mac[ETH_ALEN];
    int ifindex = rtnl_neigh_get_ifindex(n);
    size_t i;

    if (rtnl_neigh_get_family(n) == AF_BRIDGE) {
        /* FDB: mac learnt on port ifindex of bridge master. */
        int bridge = rtnl_neigh_get_master(n);
        struct nli_link *port = nli_link(m, ifindex);

        if (bridge <= 0 && port)
            bridge = port->master;
        if (nli_mac(rtnl_neigh_get_lladdr(n), mac) < 0 || bridge <= 0 || !port || port->bridge)
            return;
        for (i = 0; i < m->nfdb; i++) {
            if (m->fdb[i].bridge == bridge && memcmp(m->fdb[i].mac, mac, ETH_ALEN) == 0)
                break;
        }
        if (del) {
            /* Ageing: the mapping stays; only a new port changes it. */
            if (i < m->nfdb && m->fdb[i].port == ifindex)
                m->fdb[i] = m->fdb[--m->nfdb];
            return;
        }
        if (i == m->nfdb) {
            ALLOC_GROW(m->fdb, m->nfdb + 1, m->afdb);
            m->nfdb++;
        }
        memcpy(m->fdb[i].mac, mac, ETH_ALEN);
        m->fdb[i].bridge = bridge;
        m->fdb[i].port = ifindex;
        for (i = 0; i < m->nneighs; i++) {
            if (m->neighs[i].bridge == bridge && memcmp(m->neighs[i].mac, mac, ETH_ALEN) == 0)
                nli_neigh_resolve(m, &m->neighs[i]);
        }
        return;
    }
    {
        struct nli_link *br = nli_link(m, ifindex);
        struct ipaddr ip;
        int state = rtnl_neigh_get_state(n);

        if (!br || !br->bridge || nli_ipaddr(rtnl_neigh_get_dst(n), &ip) < 0 ||
            nli_is_local_only(&ip))
            return;
        for (i = 0; i < m->nneighs; i++) {
            if (m->neighs[i].bridge == ifindex && ipaddr_cmp(&m->neighs[i].ip, &ip) == 0)
                break;
        }
        /* Forgotten (garbage collection) or failed: the mapping stays;
         * only a different MAC or port changes it. */
        if (del || (state & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP)) ||
            nli_mac(rtnl_neigh_get_lladdr(n), mac) < 0)
            return;
        if (i == m->nneighs) {
            ALLOC_GROW(m->neighs, m->nneighs + 1, m->aneighs);
            m->nneighs++;
        }
        m->neighs[i].ip = ip;
        m->neighs[i].bridge = ifindex;
        memcpy(m->neighs[i].mac, mac, ETH_ALEN);
        nli_neigh_resolve(m, &m->neighs[i]);
    }
}

static void nli_object(struct nl_object *obj, void *arg)
{
    struct nl_ident *m = arg;
    const char *type = nl_object_get_type(obj);
    int t = m->type;

    if (strcmp(type, "route/link") == 0)
        nli_on_link(m, (struct rtnl_link *)obj, t == RTM_DELLINK);
    else if (strcmp(type, "route/addr") == 0)
        nli_on_addr(m, (struct rtnl_addr *)obj, t == RTM_DELADDR);
    else if (strcmp(type, "route/route") == 0)
        nli_on_route(m, (struct rtnl_route *)obj, t == RTM_DELROUTE);
    else if (strcmp(type, "route/neigh") == 0)
        nli_on_neigh(m, (struct rtnl_neigh *)obj, t == RTM_DELNEIGH);
}

/* NL_CB_VALID of both sockets. */
static int nli_msg(struct nl_msg *msg, void *arg)
{
    struct nl_ident *m = arg;

    m->type = nlmsg_hdr(msg)->nlmsg_type;
    /* A message libnl cannot parse is skipped: the next dump corrects. */
    (void)nl_msg_parse(msg, nli_object, m);
    return NL_OK;
}

/* --- sockets ------------------------------------------------------------------ */

int nl_ident_open(struct diag *d, struct nl_ident **out)
{
    static const int groups[] = {RTNLGRP_LINK,       RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                 RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,  RTNLGRP_NEIGH};
    struct nl_ident *m = xcalloc(1, sizeof(*m));
    int rc;

    *out = NULL;
    m->d = d;
    m->now = IDENT_OPEN;
    rc = nl_sock_events(d, NETLINK_ROUTE, groups, sizeof(groups) / sizeof(groups[0]), NLI_RCVBUF,
                        nli_msg, m, "subscribe to route, address and neighbour events", &m->events);
    if (!rc)
        rc = nl_sock_request(d, NETLINK_ROUTE, nli_msg, m, &m->dump);
    if (rc)
        goto out_free;
    *out = m;
    return 0;

out_free:
    nl_ident_close(&m);
    return rc;
}

/* Everything, in the order the mappings need: links first (the kind of a
 * route's or neighbour's link), the FDB before the neighbours it
 * resolves. */
static int nli_dump_all(struct nl_ident *m)
{
    /* Each request carries its type's own header (every one starts with
     * the family byte): the bridge FDB dump refuses the short rtgenmsg
     * that the others accept (rtnetlink.c, valid_fdb_dump_legacy()). */
    static const struct {
        int type, family;
        size_t hdrlen;
        const char *what;
    } reqs[] = {
        {RTM_GETLINK, AF_UNSPEC, sizeof(struct ifinfomsg), "list network links"},
        {RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), "list addresses"},
        {RTM_GETROUTE, AF_UNSPEC, sizeof(struct rtmsg), "list routes"},
        {RTM_GETNEIGH, AF_BRIDGE, sizeof(struct ndmsg), "list the bridge forwarding tables"},
        {RTM_GETNEIGH, AF_UNSPEC, sizeof(struct ndmsg), "list neighbours"},
    };
    int rc;

    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        union {
            struct ifinfomsg ifi;
            struct ifaddrmsg ifa;
            struct rtmsg rtm;
            struct ndmsg ndm;
        } hdr;

        memset(&hdr, 0, sizeof(hdr));
        hdr.ndm.ndm_family = (uint8_t)reqs[i].family; /* the first byte of each */
        rc = nl_send_simple(m->dump, reqs[i].type, NLM_F_DUMP, &hdr, reqs[i].hdrlen);
        if (rc >= 0)
            rc = nl_recvmsgs_default(m->dump);
        /* A dump the kernel interrupted (the table changed meanwhile) is
         * complete enough: the events that changed it follow. */
        if (rc < 0 && rc != -NLE_DUMP_INTR)
            return nl_sock_fail(m->d, reqs[i].what, rc);
    }
    return 0;
}

int nl_ident_dump(struct nl_ident *m)
{
    m->now = IDENT_OPEN;
    return nli_dump_all(m);
}

/* Events were lost: dump again, and end what the dump no longer shows
 * (links gone, routes and addresses gone; a bridge neighbour only with its
 * port). */
static int nli_resync(struct nl_ident *m)
{
    size_t i;
    int rc;

    m->resync = 1;
    m->iv_seen = xcalloc(m->aivs + 1, 1);
    for (i = 0; i < m->nlinks; i++)
        m->links[i].seen = 0;
    rc = nli_dump_all(m);
    if (rc == 0) {
        for (i = m->nlinks; i-- > 0;) {
            if (!m->links[i].seen) {
                int ifindex = m->links[i].ifindex;

                nli_close_link(m, ifindex, 0);
                m->links[i] = m->links[--m->nlinks];
            }
        }
        for (i = 0; i < m->nivs; i++) {
            if (m->ivs[i].open && !m->iv_seen[i] && m->ivs[i].via != NLI_NEIGH)
                nli_close_iv(m, &m->ivs[i]);
        }
    }
    free(m->iv_seen);
    m->iv_seen = NULL;
    m->resync = 0;
    return rc;
}

int nl_ident_fd(const struct nl_ident *m)
{
    return nl_socket_get_fd(m->events);
}

int nl_ident_read(struct nl_ident *m, int64_t now_ns)
{
    int rc;

    m->now = now_ns;
    rc = nl_sock_drain(m->events);
    if (rc < 0)
        return nl_sock_fail(m->d, "read netlink events", rc);
    return rc ? nli_resync(m) : 0;
}

const struct nl_ident_iv *nl_ident_intervals(const struct nl_ident *m, size_t *n)
{
    *n = m->nivs;
    return m->ivs;
}

int nl_ident_dirty(const struct nl_ident *m)
{
    return m->dirty;
}

static int nli_db_fail(sqlite3 *db, struct diag *d)
{
    diag_err(d, "cannot write the address-to-interface table: %s", sqlite3_errmsg(db));
    return ERR_DB;
}

struct nl_ident_rows {
    struct nl_ident_iv *ivs; /* malloc'd */
    size_t nivs;
    struct nli_block *blocks; /* malloc'd */
    size_t nblocks;
};

struct nl_ident_rows *nl_ident_rows_take(struct nl_ident *m)
{
    struct nl_ident_rows *r = xcalloc(1, sizeof(*r));

    r->nivs = m->nivs;
    if (m->nivs) {
        r->ivs = xreallocarray(NULL, m->nivs, sizeof(*m->ivs));
        memcpy(r->ivs, m->ivs, m->nivs * sizeof(*m->ivs));
    }
    r->nblocks = m->nblocks;
    if (m->nblocks) {
        r->blocks = xreallocarray(NULL, m->nblocks, sizeof(*m->blocks));
        memcpy(r->blocks, m->blocks, m->nblocks * sizeof(*m->blocks));
    }
    m->dirty = 0;
    return r;
}

void nl_ident_rows_free(struct nl_ident_rows **rp)
{
    struct nl_ident_rows *r = *rp;

    if (!r)
        return;
    *rp = NULL;
    free(r->ivs);
    free(r->blocks);
    free(r);
}

/* Replace capture_id's netlink pod_networks rows by the blocks seen: a
 * local block is the capture's node's. */
static int nli_write_blocks(const struct nl_ident_rows *m, sqlite3 *db, int64_t capture_id,
                            struct diag *d)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    char cb[IPADDR_STRLEN + 4];
    int rc = 0;

    if (sqlite3_prepare_v2(db,
                           "DELETE FROM pod_networks WHERE capture_id = ?1 AND source = 'netlink'",
                           -1, &del, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO pod_networks (cidr, node, source, capture_id,"
                           " valid_from_ns, valid_to_ns) VALUES (?1, CASE WHEN ?2 THEN (SELECT"
                           " node FROM captures WHERE id = ?3) END, 'netlink', ?3, ?4, ?5)",
                           -1, &ins, NULL) != SQLITE_OK) {
        rc = nli_db_fail(db, d);
        goto out;
    }
    sqlite3_bind_int64(del, 1, capture_id);
    if (sqlite3_step(del) != SQLITE_DONE)
        rc = nli_db_fail(db, d);
    for (size_t i = 0; i < m->nblocks && !rc; i++) {
        const struct nli_block *b = &m->blocks[i];

        if (!b->open && b->from_ns != IDENT_OPEN && b->to_ns <= b->from_ns)
            continue;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, cidr_format(&b->net, cb), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 2, b->local);
        sqlite3_bind_int64(ins, 3, capture_id);
        if (b->from_ns == IDENT_OPEN)
            sqlite3_bind_null(ins, 4);
        else
            sqlite3_bind_int64(ins, 4, b->from_ns);
        if (b->open || b->to_ns == IDENT_OPEN)
            sqlite3_bind_null(ins, 5);
        else
            sqlite3_bind_int64(ins, 5, b->to_ns);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = nli_db_fail(db, d);
    }
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return rc;
}

int nl_ident_rows_write_db(const struct nl_ident_rows *m, sqlite3 *db, int64_t capture_id,
                           struct diag *d)
{
    static const char *const via_name[] = {"route", "neigh", "addr"};
    sqlite3_stmt *del = NULL, *ins = NULL;
    char ip[IPADDR_STRLEN];
    int rc = 0;

    if (sqlite3_exec(db, "SAVEPOINT nl_ident", NULL, NULL, NULL) != SQLITE_OK)
        return nli_db_fail(db, d);
    if (sqlite3_prepare_v2(db, "DELETE FROM ip_ifaces WHERE capture_id = ?1", -1, &del, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO ip_ifaces (capture_id, ip, iface, ifindex, kind, via,"
                           " valid_from_ns, valid_to_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &ins, NULL) != SQLITE_OK) {
        rc = nli_db_fail(db, d);
        goto out;
    }
    sqlite3_bind_int64(del, 1, capture_id);
    if (sqlite3_step(del) != SQLITE_DONE) {
        rc = nli_db_fail(db, d);
        goto out;
    }
    for (size_t i = 0; i < m->nivs && !rc; i++) {
        const struct nl_ident_iv *v = &m->ivs[i];

        /* An interval closed the instant it opened held nothing. */
        if (!v->open && v->from_ns != IDENT_OPEN && v->to_ns <= v->from_ns)
            continue;
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, capture_id);
        sqlite3_bind_text(ins, 2, ipaddr_format(&v->ip, ip), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, v->iface, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 4, v->ifindex);
        sqlite3_bind_text(ins, 5, v->via == NLI_ADDR ? "host" : "pod", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, via_name[v->via], -1, SQLITE_STATIC);
        if (v->from_ns == IDENT_OPEN)
            sqlite3_bind_null(ins, 7);
        else
            sqlite3_bind_int64(ins, 7, v->from_ns);
        if (v->open || v->to_ns == IDENT_OPEN)
            sqlite3_bind_null(ins, 8);
        else
            sqlite3_bind_int64(ins, 8, v->to_ns);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = nli_db_fail(db, d);
    }
    if (!rc)
        rc = nli_write_blocks(m, db, capture_id, d);
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    if (rc)
        sqlite3_exec(db, "ROLLBACK TO nl_ident; RELEASE nl_ident", NULL, NULL, NULL);
    else if (sqlite3_exec(db, "RELEASE nl_ident", NULL, NULL, NULL) != SQLITE_OK)
        rc = nli_db_fail(db, d);
    return rc;
}

void nl_ident_close(struct nl_ident **mp)
{
    struct nl_ident *m = *mp;

    if (!m)
        return;
    *mp = NULL;
    if (m->events)
        nl_socket_free(m->events);
    if (m->dump)
        nl_socket_free(m->dump);
    free(m->links);
    free(m->neighs);
    free(m->fdb);
    free(m->ivs);
    free(m->iv_seen);
    free(m->blocks);
    free(m);
}
