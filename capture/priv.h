/*
 * priv.h: dropping privilege after the packet and netlink sockets are open
 * (-Z USER), as tcpdump's droproot() does, plus Linux's no_new_privs.
 */
#ifndef PODFLOW_CAPTURE_PRIV_H
#define PODFLOW_CAPTURE_PRIV_H

#include <stdint.h>

#include "common/attrs.h"

struct diag;

/*
 * Become user (a name, or a numeric uid): empty the capability bounding
 * set, set the supplementary groups to the user's (initgroups), then the
 * gid, then the uid (real, effective and saved, so there is no way back),
 * clear every remaining capability, set PR_SET_NO_NEW_PRIVS, and check
 * in /proc/self/status that CapEff and CapPrm are zero.  Anything failing
 * is reported through d: ERR_NOTFOUND (no such user), ERR_PERM or -errno.
 * The process must not continue after a failure.
 */
int priv_drop(const char *user, struct diag *d) MUST_CHECK;

/* The same, keeping the capabilities whose bits (1 << CAP_*) are set in
 * keep, permitted and effective, across the uid change (and nothing
 * else: the bounding set holds only them).  priv_drop() is keep 0. */
int priv_drop_keep(const char *user, uint64_t keep, struct diag *d) MUST_CHECK;

#endif
