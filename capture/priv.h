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

/*
 * The one thing root must still do after -Z: a finished case is one file,
 * but once the capture is USER it may not remove the -wal and -shm SQLite
 * left in root's directory (common/db.c's db_close() empties the WAL and
 * puts the file back in rollback mode).  priv_helper_start(), called as
 * root before priv_drop(), forks a helper that closes every descriptor
 * but a pipe's read end, ignores SIGINT/SIGTERM/SIGHUP, and waits.  When
 * the capture calls priv_helper_finish() (after closing the case), or
 * dies (the pipe's end of file), the helper takes the case's writer lock
 * (flock: no other capture has it open) and removes path-wal only if it
 * is a regular file of 0 bytes, and then path-shm; otherwise it leaves
 * both (a killed capture's committed rows are in the -wal).  It reads
 * nothing else and parses nothing.
 */
struct priv_helper {
    int pid; /* the helper, or 0 */
    int fd;  /* the pipe's write end, or -1 */
};

/* 0, or -errno (reported): no helper, the capture goes on without one. */
int priv_helper_start(struct priv_helper *h, const char *case_path, struct diag *d) MUST_CHECK;
/* Tell the helper the case is closed and wait for it.  Harmless when
 * none was started. */
void priv_helper_finish(struct priv_helper *h);

#endif
