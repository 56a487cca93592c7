/*
 * conntrack.c: Service DNAT translations from the conntrack table (see
 * conntrack.h for why events rather than queries).
 *
 * The map is a ring of entries (the oldest is overwritten when full) with
 * a hash index over it (common/htab.h): an insert removes the entry it
 * overwrites from the index first.  Keys are the original tuple; the value is the
 * reply tuple's source, which is where the DNAT sent the connection.
 */
#include "capture/conntrack.h"

#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "capture/flow.h"
#include "capture/nl_sock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* Receive buffer of the events socket: each NEW event is ~250 bytes, so
 * 8 MB holds ~30 000 new connections between two reads (a read happens
 * at least every 250 ms) before the kernel drops and we re-dump. */
#define CT_RCVBUF (8 << 20)
#define CT_NONE   UINT32_MAX

struct ct_key {
    uint8_t family, proto;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

struct ct_entry {
    struct ct_key key;
    uint8_t to[16];
    uint16_t to_port;
    int used;
};

struct ct_map {
    struct ct_entry *ring; /* malloc'd, cap entries */
    struct htab idx;       /* hash of the key -> index in ring */
    size_t cap, pos;
    uint64_t noted;
    struct nl_sock *sk; /* owned, or NULL */
    struct diag *d;     /* not owned */
};

/* The map is fed by the kernel, not by the packets, so a seedless hash is
 * enough. */
static uint64_t ct_hash(const struct ct_key *k)
{
    return hash_bytes(k, sizeof(*k), 0);
}

static void ct_key_make(struct ct_key *k, int family, uint8_t proto, const uint8_t *src,
                        uint16_t sport, const uint8_t *dst, uint16_t dport)
{
    size_t len = family == 6 ? 16 : 4;

    memset(k, 0, sizeof(*k)); /* padding too: the key is hashed and compared as bytes */
    k->family = (uint8_t)family;
    k->proto = proto;
    k->sport = sport;
    k->dport = dport;
    memcpy(k->src, src, len);
    memcpy(k->dst, dst, len);
}

struct ct_map *ct_map_new(size_t capacity)
{
    struct ct_map *m = xcalloc(1, sizeof(*m));

    m->cap = capacity ? capacity : LIM_CT_ENTRIES;
    m->ring = xcalloc(m->cap, sizeof(*m->ring));
    htab_reserve(&m->idx, m->cap);
    return m;
}

static uint32_t ct_find(const struct ct_map *m, const struct ct_key *k)
{
    struct htab_iter it;

    for (uint32_t i = htab_first(&m->idx, ct_hash(k), &it); i != HTAB_NONE;
         i = htab_next(&m->idx, &it))
        if (memcmp(&m->ring[i].key, k, sizeof(*k)) == 0)
            return i;
    return CT_NONE;
}

void ct_note(struct ct_map *m, int family, uint8_t proto, const uint8_t *src, uint16_t sport,
             const uint8_t *dst, uint16_t dport, const uint8_t *to, uint16_t to_port)
{
    struct ct_key k;
    struct ct_entry *e;
    uint32_t idx;

    if (family != 4 && family != 6)
        return;
    ct_key_make(&k, family, proto, src, sport, dst, dport);
    idx = ct_find(m, &k);
    if (idx == CT_NONE) {
        idx = (uint32_t)m->pos;
        m->pos = (m->pos + 1) % m->cap;
        if (m->ring[idx].used)
            (void)htab_remove(&m->idx, ct_hash(&m->ring[idx].key), idx);
        e = &m->ring[idx];
        e->key = k;
        e->used = 1;
        htab_add(&m->idx, ct_hash(&k), idx);
    }
    e = &m->ring[idx];
    memset(e->to, 0, sizeof(e->to));
    memcpy(e->to, to, family == 6 ? 16 : 4);
    e->to_port = to_port;
    m->noted++;
}

int ct_annotate(const struct ct_map *m, struct flow_rec *rec)
{
    struct ct_key k;
    uint32_t idx;

    rec->dnat_family = 0;
    if (!m || (rec->family != 4 && rec->family != 6))
        return 0;
    ct_key_make(&k, rec->family, rec->proto, rec->src, rec->src_port, rec->dst, rec->dst_port);
    idx = ct_find(m, &k);
    if (idx == CT_NONE)
        return 0;
    rec->dnat_family = rec->family;
    memcpy(rec->dnat, m->ring[idx].to, sizeof(rec->dnat));
    rec->dnat_port = m->ring[idx].to_port;
    return 1;
}

uint64_t ct_noted(const struct ct_map *m)
{
    return m ? m->noted : 0;
}

/* --- the kernel side ------------------------------------------------------------ */

static int ct_addr(struct nl_addr *a, int family, uint8_t out[16])
{
    size_t len = family == 6 ? 16 : 4;

    if (!a || nl_addr_get_len(a) != len)
        return -1;
    memset(out, 0, 16);
    memcpy(out, nl_addr_get_binary_addr(a), len);
    return 0;
}

/* One conntrack entry (a NEW event or a dump's row): keep it when its
 * destination was translated. */
static void ct_entry_seen(struct ct_map *m, const struct nfnl_ct *ct)
{
    uint8_t src[16], dst[16], to[16];
    int family = nfnl_ct_get_family(ct) == AF_INET6 ? 6 : 4;
    uint8_t proto = nfnl_ct_get_proto(ct);
    uint16_t sport, dport, to_port;

    if (!(nfnl_ct_get_status(ct) & IPS_DST_NAT))
        return;
    if (proto != 6 && proto != 17 && proto != 132)
        return; /* ICMP tuples carry no ports to translate */
    if (ct_addr(nfnl_ct_get_src(ct, 0), family, src) < 0 ||
        ct_addr(nfnl_ct_get_dst(ct, 0), family, dst) < 0 ||
        ct_addr(nfnl_ct_get_src(ct, 1), family, to) < 0)
        return;
    sport = nfnl_ct_get_src_port(ct, 0);
    dport = nfnl_ct_get_dst_port(ct, 0);
    to_port = nfnl_ct_get_src_port(ct, 1);
    ct_note(m, family, proto, src, sport, dst, dport, to, to_port);
}

static int ct_msg(struct nl_msg *msg, void *arg)
{
    struct ct_map *m = arg;
    struct nfnl_ct *ct = NULL;

    if (nfnlmsg_ct_parse(nlmsg_hdr(msg), &ct) < 0 || !ct)
        return NL_OK; /* not a conntrack entry, or one libnl cannot read */
    ct_entry_seen(m, ct);
    nfnl_ct_put(ct);
    return NL_OK;
}

/* Dump the table on a socket of its own (the events socket is
 * non-blocking and carries no sequence numbers of ours). */
static int ct_dump(struct ct_map *m)
{
    struct nl_sock *sk = nl_socket_alloc();
    int rc;

    if (!sk) {
        diag_err(m->d, "cannot allocate a netlink socket");
        return ERR_NETLINK;
    }
    nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, ct_msg, m);
    rc = nfnl_connect(sk);
    if (rc >= 0)
        rc = nfnl_ct_dump_request(sk);
    if (rc >= 0)
        rc = nl_recvmsgs_default(sk);
    nl_socket_free(sk);
    if (rc < 0 && rc != -NLE_DUMP_INTR)
        return nl_sock_fail(m->d, "list the conntrack table", rc);
    return 0;
}

/* sysctl net.netfilter.nf_conntrack_events: 0 means no events at all. */
static void ct_check_events(struct ct_map *m)
{
    FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_events", "r");
    int c;

    if (!f)
        return;
    c = fgetc(f);
    fclose(f);
    if (c == '0')
        diag_warn(m->d, "conntrack events are off (net.netfilter.nf_conntrack_events = 0): "
                        "Service flows started during the capture will not show their backend");
}

int ct_open(struct diag *d, struct ct_map **out)
{
    struct ct_map *m = ct_map_new(0);
    int rc;

    *out = NULL;
    m->d = d;
    m->sk = nl_socket_alloc();
    if (!m->sk) {
        diag_err(d, "cannot allocate a netlink socket");
        ct_close(&m);
        return ERR_NETLINK;
    }
    nl_socket_disable_seq_check(m->sk);
    nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, ct_msg, m);
    rc = nfnl_connect(m->sk);
    if (rc >= 0)
        rc = nl_socket_add_membership(m->sk, NFNLGRP_CONNTRACK_NEW);
    if (rc < 0) {
        rc = nl_sock_fail(m->d, "subscribe to conntrack events", rc);
        ct_close(&m);
        return rc;
    }
    (void)nl_socket_set_buffer_size(m->sk, CT_RCVBUF, 0);
    rc = nl_socket_set_nonblocking(m->sk);
    if (rc < 0) {
        rc = nl_sock_fail(m->d, "set up the conntrack socket", rc);
        ct_close(&m);
        return rc;
    }
    /* Subscribed first, dumped second: nothing falls between them. */
    rc = ct_dump(m);
    if (rc) {
        ct_close(&m);
        return rc;
    }
    ct_check_events(m);
    *out = m;
    return 0;
}

int ct_fd(const struct ct_map *m)
{
    return m && m->sk ? nl_socket_get_fd(m->sk) : -1;
}

int ct_read(struct ct_map *m)
{
    int rc;

    if (!m || !m->sk)
        return 0;
    rc = nl_sock_drain(m->sk);
    if (rc < 0)
        return nl_sock_fail(m->d, "read conntrack events", rc);
    return rc ? ct_dump(m) : 0;
}

void ct_close(struct ct_map **mp)
{
    struct ct_map *m = *mp;

    if (!m)
        return;
    *mp = NULL;
    if (m->sk)
        nl_socket_free(m->sk);
    free(m->ring);
    htab_release(&m->idx);
    free(m);
}
