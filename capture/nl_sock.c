/*
 * nl_sock.c: libnl socket set-up and event reading shared by the netlink
 * modules (see nl_sock.h).  Each module keeps two kinds of socket apart:
 * a blocking one for requests (dumps) and a non-blocking one that only
 * listens, so poll() can watch it and a dump never interleaves with events.
 */
#include "capture/nl_sock.h"

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "common/err.h"
#include "common/compat.h"

int nl_sock_fail(struct diag *d, const char *what, int nlerr)
{
    int e = nlerr < 0 ? -nlerr : nlerr;

    if (e == NLE_PERM) {
        diag_err(d, "cannot %s: %s (needs CAP_NET_ADMIN or root)", what, nl_geterror(e));
        return ERR_PERM;
    }
    diag_err(d, "cannot %s: %s", what, nl_geterror(e));
    return ERR_NETLINK;
}

/* A socket with fn(msg, arg), unless fn is NULL, as its NL_CB_VALID
 * callback; NULL, reported, when libnl cannot allocate one. */
static struct nl_sock *nl_sock_new(struct diag *d, nl_recvmsg_msg_cb_t fn, void *arg)
{
    struct nl_sock *sk = nl_socket_alloc();

    if (!sk) {
        diag_err(d, "cannot allocate a netlink socket");
        return NULL;
    }
    if (fn)
        nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
    return sk;
}

int nl_sock_request(struct diag *d, int protocol, nl_recvmsg_msg_cb_t fn, void *arg,
                    struct nl_sock **out)
{
    struct nl_sock *sk = nl_sock_new(d, fn, arg);
    int rc;

    *out = NULL;
    if (!sk)
        return ERR_NETLINK;
    rc = nl_connect(sk, protocol);
    if (rc < 0) {
        nl_socket_free(sk);
        return nl_sock_fail(d, "open a netlink socket", rc);
    }
    *out = sk;
    return 0;
}

int nl_sock_events(struct diag *d, int protocol, const int *groups, size_t ngroups, int rcvbuf,
                   nl_recvmsg_msg_cb_t fn, void *arg, const char *subscribe_what,
                   struct nl_sock **out)
{
    struct nl_sock *sk = nl_sock_new(d, fn, arg);
    int rc;

    *out = NULL;
    if (!sk)
        return ERR_NETLINK;
    nl_socket_disable_seq_check(sk);
    rc = nl_connect(sk, protocol);
    if (rc < 0) {
        rc = nl_sock_fail(d, "open a netlink socket", rc);
        goto out_free;
    }
    for (size_t i = 0; i < ngroups; i++) {
        rc = nl_socket_add_membership(sk, groups[i]);
        if (rc < 0) {
            rc = nl_sock_fail(d, subscribe_what, rc);
            goto out_free;
        }
    }
    /* Best effort: a smaller buffer only means the kernel drops sooner
     * and the caller re-dumps more often. */
    (void)nl_socket_set_buffer_size(sk, rcvbuf, 0);
    rc = nl_socket_set_nonblocking(sk);
    if (rc < 0) {
        rc = nl_sock_fail(d, "set up the netlink socket", rc);
        goto out_free;
    }
    *out = sk;
    return 0;

out_free:
    nl_socket_free(sk);
    return rc;
}

int nl_sock_drain(struct nl_sock *sk)
{
    int lost = 0;
    int rc;

    for (;;) {
        rc = nl_recvmsgs_default(sk);
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
        return rc;
    }
    return lost;
}
