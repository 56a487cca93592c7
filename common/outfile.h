/*
 * outfile.h: every file podflow writes goes through here, by one rule
 * (docs/security.md, "What podflow writes").  Use it for any new output
 * (an -o FILE, an --out DIR, a case written whole): never fopen(path, "w")
 * or rename() over a path a user named.
 *
 * An output path is, by what lstat(2) and stat(2) find there:
 *
 *   "-"                   standard output, written directly;
 *   a FIFO or a character device, or a symlink to one
 *                         opened and written directly: nothing is replaced
 *                         (`-o /dev/null`, `-o /dev/stdout`, a named pipe);
 *   absent, or a regular file owned by the running user, or a symlink to
 *   such a file           written to a temporary file beside it (beside
 *                         the symlink's target), synced and renamed over
 *                         it: a reader sees the old file or the new one,
 *                         never half of either, and a failure leaves the
 *                         old one as it was;
 *   anything else         refused before anything is written (exit 2): a
 *                         directory, a block device, a socket, a regular
 *                         file of another user, a symlink to one of those
 *                         or to nothing.
 *
 * Temporary files (the ones beside an output, and scratch files such as
 * the merged copy several cases are read through) are registered: a
 * SIGINT, SIGTERM or SIGHUP removes them (outfile_signals()), and each is
 * flock(2)ed by its creator for as long as it exists, so that after a
 * kill -9 a later run finds it unlocked and removes it (outfile_sweep()).
 *
 * A case file that a writer adds to (podflow-capture -w, podflow-analyze
 * inventory) follows a stricter rule, outfile_case_ok(): it is not
 * replaced, it is opened and written in place, so it must be the running
 * user's own.
 *
 * Errors: every function reports through d and returns 0 or a negative
 * code (ERR_INVALID: a kind of file we do not write to; ERR_PERM: another
 * user's file; ERR_LIMIT; -errno).  Callers exit 2 on any of them.
 */
#ifndef PODFLOW_OUTFILE_H
#define PODFLOW_OUTFILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/attrs.h"

struct diag;

/* How an output is written, decided by outfile_open(). */
enum outfile_kind {
    OUTFILE_STDOUT,  /* "-" */
    OUTFILE_STREAM,  /* a FIFO or character device, written directly */
    OUTFILE_REPLACE, /* a temporary file renamed over the target */
};

enum outfile_flags {
    /* The writer needs a file name to write to (SQLite builds a case by
     * name): for a stream or stdout, outfile_open() makes a scratch file
     * in $TMPDIR, and outfile_commit() copies it to the stream. */
    OUTFILE_NEED_PATH = (1 << 0),
    /* The target must be a regular file that exists (an in-place rewrite
     * such as redact): no stream, no "-", no creation. */
    OUTFILE_EXISTING = (1 << 1),
    /* The target must not exist (or --force was given by the caller who
     * leaves this flag out): refused with ERR_EXISTS when it does,
     * streams and "-" excepted (they replace nothing). */
    OUTFILE_NO_CLOBBER = (1 << 2),
};

/* One output being written.  Caller-owned; fields are read-only for it. */
struct outfile {
    enum outfile_kind kind;
    const char *name; /* the path as given, for messages (borrowed) */
    char *target;     /* OUTFILE_REPLACE: the file renamed over (a symlink
                         resolved), malloc'd; else NULL */
    char *tmp;        /* the file being written: beside target, or the
                         scratch file of OUTFILE_NEED_PATH; malloc'd or NULL */
    int fd;           /* where to write: tmp's, or the stream's (or 1) */
    int lockfd;       /* tmp's flock holder (-1: none) */
    mode_t mode;      /* permissions of a new file, before the umask */
};

/*
 * Decide how path is written (see the top), and open it: for
 * OUTFILE_REPLACE (and OUTFILE_NEED_PATH) a temporary file, mode 0600
 * until outfile_commit() gives it mode & ~umask; for a stream the stream
 * itself (O_WRONLY, which blocks on a FIFO until a reader opens it).
 * mode: the permissions of the finished file (0600 for a report and for
 * a case).  0, or an error reported through d; on error o needs no
 * release.
 */
int outfile_open(struct outfile *o, const char *path, mode_t mode, unsigned flags,
                 struct diag *d) MUST_CHECK;

/* Write all of p[0..n) to o->fd, retrying short writes and EINTR.  0, or
 * -errno reported as "cannot write 'name'". */
int outfile_write(struct outfile *o, const void *p, size_t n, struct diag *d) MUST_CHECK;

/*
 * Finish: a temporary file is synced, given its mode and renamed over the
 * target (and the directory synced); a scratch file is copied to the
 * stream and removed; a stream is closed (standard output is flushed, not
 * closed).  o is released either way.  0, or an error reported through d
 * (the target is then as it was).
 */
int outfile_commit(struct outfile *o, struct diag *d) MUST_CHECK;

/* Give up: remove the temporary file, close what was opened, release o.
 * Harmless on a released or zeroed o. */
void outfile_abort(struct outfile *o);

/*
 * A directory of outputs (suggest --out DIR): create path with mode (less
 * the umask) when absent; else it must be a directory (a symlink to one
 * is followed) that no one but its owner may write unless the sticky bit
 * protects its entries (as in /tmp), and it must be the running user's or
 * root's.  Write each file in it with outfile_open() (dir/name): the rule
 * above then holds for every file.  0, or ERR_INVALID / ERR_PERM /
 * -errno, reported.
 */
int outfile_dir(const char *path, mode_t mode, struct diag *d) MUST_CHECK;

/*
 * May a writer add to the case at path, which it found there with st
 * (from fstat(2) of a descriptor opened with O_NOFOLLOW, or lstat(2))?
 * Only a regular file (not a symlink) owned by the running user or by
 * root, writable by its owner alone (no group or other write bit); and the
 * same of each of SQLite's side files (path-wal, -shm, -journal) that
 * exists.  Otherwise reported ("cannot add to 'x.db': ...") and
 * ERR_INVALID or ERR_PERM.
 */
int outfile_case_ok(const char *path, const struct stat *st, struct diag *d) MUST_CHECK;

/*
 * A scratch file in dir (NULL: $TMPDIR, else /tmp) named prefix + 6
 * random characters, created O_EXCL mode 0600, registered for removal on
 * signals (with SQLite's side files: name-journal, -wal, -shm) and locked
 * (flock) until outfile_tmp_remove().  *path is malloc'd (caller frees
 * after outfile_tmp_remove()); *lockfd holds the lock.  Before creating
 * it, stale files of the same prefix in dir (unlocked: their creator
 * died) are removed (outfile_sweep()).  0 or -errno, reported.
 */
int outfile_tmp_create(const char *dir, const char *prefix, char **path, int *lockfd,
                       struct diag *d) MUST_CHECK;

/* Remove a scratch file made by outfile_tmp_create() (and its side
 * files), unregister it and drop its lock.  Harmless with NULL / -1. */
void outfile_tmp_remove(const char *path, int lockfd);

/* Remove a database file and SQLite's side files beside it (-journal,
 * -wal, -shm), whichever exist. */
void outfile_remove_db(const char *path);

/*
 * Remove the files in dir whose names start with prefix that are regular
 * files of the running user and that nobody holds a flock on: temporary
 * files whose creator died (kill -9), with their SQLite side files, and
 * side files whose database is gone.  Only files at least a minute old are
 * considered (a new one is unlocked for an instant).  Returns how many
 * files were removed, side files removed with their database not counted.
 */
size_t outfile_sweep(const char *dir, const char *prefix);

/*
 * Install handlers for SIGINT, SIGTERM and SIGHUP that remove every
 * registered temporary file and then die of the signal as before (the
 * default action, so the exit status still tells which).  For programs
 * that do not handle these signals themselves (podflow-analyze).
 */
void outfile_signals(void);

#endif
