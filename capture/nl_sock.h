/*
 * nl_sock.h: the libnl socket handling that nl_link.c, nl_ident.c and
 * conntrack.c share: opening a request socket and a non-blocking event
 * subscription, draining events, and translating libnl's -NLE_* codes.
 */
#ifndef PODFLOW_NL_SOCK_H
#define PODFLOW_NL_SOCK_H

#include <stddef.h>

#include <netlink/handlers.h>

struct diag;
struct nl_sock;

/* Report a libnl error as "cannot <what>: <nl_geterror() text>" on d
 * (with a hint at CAP_NET_ADMIN for NLE_PERM).  nlerr may be negative or
 * positive.  Returns ERR_PERM for NLE_PERM, else ERR_NETLINK. */
int nl_sock_fail(struct diag *d, const char *what, int nlerr);

/* Open a blocking request socket of protocol (NETLINK_ROUTE...) for dumps;
 * fn(msg, arg), unless fn is NULL, is its NL_CB_VALID callback.  *out is
 * the caller's (nl_socket_free()), or NULL on error: ERR_NETLINK or
 * ERR_PERM, reported on d. */
int nl_sock_request(struct diag *d, int protocol, nl_recvmsg_msg_cb_t fn, void *arg,
                    struct nl_sock **out);

/* Open a non-blocking socket of protocol subscribed to the multicast
 * groups[0..ngroups), with a receive buffer of rcvbuf bytes (best effort)
 * and no sequence checks (events carry none of ours); fn(msg, arg) is its
 * NL_CB_VALID callback.  A failed subscription is reported as "cannot
 * <subscribe_what>".  *out is the caller's (nl_socket_free()), or NULL on
 * error: ERR_NETLINK or ERR_PERM, reported on d. */
int nl_sock_events(struct diag *d, int protocol, const int *groups, size_t ngroups, int rcvbuf,
                   nl_recvmsg_msg_cb_t fn, void *arg, const char *subscribe_what,
                   struct nl_sock **out);

/* Read every message waiting on a non-blocking socket, calling its
 * callbacks.  Returns 0, 1 when the kernel dropped events (ENOBUFS, or a
 * dump interrupted: the caller re-dumps), or a negative libnl error
 * (-NLE_*) for nl_sock_fail(). */
int nl_sock_drain(struct nl_sock *sk);

#endif
