/*
 * outfile.c: the one way podflow writes files (outfile.h).
 *
 * Why each rule:
 * - rename(2) over a path replaces whatever name is there: a device node
 *   (`-o /dev/full` as root left a regular file in its place), a FIFO a
 *   reader waits on, the symlink itself.  So only a regular file is ever
 *   replaced, and only one of the running user's own: in a shared
 *   directory another user can plant a file or a symlink under the name
 *   root is about to write.
 * - A stream (FIFO, character device) is the user asking for the bytes to
 *   go somewhere that is not a file: written to, never replaced.
 * - A temporary file is flock(2)ed by its creator for as long as it
 *   exists: a kill -9 cannot remove it, but the lock dies with the process,
 *   so a later run knows an unlocked one is garbage.  A fresh file is
 *   unlocked for an instant (between mkstemp() and flock()), so the sweep
 *   leaves files younger than OUTFILE_SWEEP_AGE alone.
 *
 * The signal registry is the one piece of static storage: a signal
 * handler can reach nothing else.  Its entries are filled before they are
 * marked used, and changed with the signals blocked.
 */
#include "common/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* Seconds a temporary file must be old before a sweep may remove it. */
#define OUTFILE_SWEEP_AGE 60

/* SQLite's files beside a database it writes. */
static const char *const outfile_sides[] = {"-journal", "-wal", "-shm"};
#define OUTFILE_NAMES (1 + ARRAY_SIZE(outfile_sides))

/* ---- the registry of temporary files ---------------------------------- */

struct outfile_reg {
    volatile sig_atomic_t used;
    char *names[OUTFILE_NAMES]; /* the file, then its side files (or NULL) */
};

static struct outfile_reg outfile_regs[LIM_TMP_FILES];

static void outfile_block(sigset_t *old)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, old);
}

/* Register path (and its SQLite side files when sides); quietly nothing
 * when the registry is full (the sweep still finds the file later). */
static void outfile_reg_add(const char *path, bool sides)
{
    sigset_t old;

    outfile_block(&old);
    for (size_t i = 0; i < ARRAY_SIZE(outfile_regs); i++) {
        struct outfile_reg *r = &outfile_regs[i];

        if (r->used)
            continue;
        r->names[0] = xstrdup(path);
        for (size_t k = 0; k < ARRAY_SIZE(outfile_sides); k++) {
            size_t len = strlen(path) + strlen(outfile_sides[k]) + 1;

            r->names[k + 1] = NULL;
            if (sides) {
                r->names[k + 1] = xmalloc(len);
                snprintf(r->names[k + 1], len, "%s%s", path, outfile_sides[k]);
            }
        }
        r->used = 1;
        break;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void outfile_reg_del(const char *path)
{
    sigset_t old;

    outfile_block(&old);
    for (size_t i = 0; i < ARRAY_SIZE(outfile_regs); i++) {
        struct outfile_reg *r = &outfile_regs[i];

        if (!r->used || strcmp(r->names[0], path) != 0)
            continue;
        r->used = 0;
        for (size_t k = 0; k < OUTFILE_NAMES; k++) {
            free(r->names[k]);
            r->names[k] = NULL;
        }
        break;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void outfile_on_signal(int sig)
{
    int saved = errno;

    for (size_t i = 0; i < ARRAY_SIZE(outfile_regs); i++) {
        if (!outfile_regs[i].used)
            continue;
        for (size_t k = 0; k < OUTFILE_NAMES; k++)
            if (outfile_regs[i].names[k])
                unlink(outfile_regs[i].names[k]);
    }
    /* Die of the signal, as without us (SA_RESETHAND restored the
     * default; the signal is blocked until we return). */
    errno = saved;
    raise(sig);
}

void outfile_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = outfile_on_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        sigaddset(&sa.sa_mask, sigs[i]);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        struct sigaction cur;

        /* Leave an ignored signal ignored (nohup). */
        if (sigaction(sigs[i], NULL, &cur) == 0 && cur.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

/* ---- temporary files ---------------------------------------------------- */

/* path's directory and last component (malloc'd). */
static void outfile_split(const char *path, char **dir, char **base)
{
    const char *slash = strrchr(path, '/');

    if (!slash) {
        *dir = xstrdup(".");
        *base = xstrdup(path);
    } else {
        *dir = slash == path ? xstrdup("/") : xmemdupz(path, (size_t)(slash - path));
        *base = xstrdup(slash + 1);
    }
}

/* Is name prefix + 6 characters of mkstemp's alphabet + one of suffixes
 * (or none when sfx is NULL)?  *side: which side suffix (0: none). */
static bool outfile_tmp_name(const char *name, const char *prefix, size_t *side)
{
    size_t plen = strlen(prefix), i;

    if (strncmp(name, prefix, plen) != 0)
        return false;
    name += plen;
    for (i = 0; i < 6; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    name += 6;
    *side = 0;
    if (!*name)
        return true;
    for (i = 0; i < ARRAY_SIZE(outfile_sides); i++) {
        if (strcmp(name, outfile_sides[i]) == 0) {
            *side = i + 1;
            return true;
        }
    }
    return false;
}

void outfile_remove_db(const char *path)
{
    size_t len = strlen(path) + sizeof("-journal");
    char *name = xmalloc(len);

    for (size_t k = 0; k < ARRAY_SIZE(outfile_sides); k++) {
        snprintf(name, len, "%s%s", path, outfile_sides[k]);
        unlink(name);
    }
    free(name);
    unlink(path);
}

size_t outfile_sweep(const char *dir, const char *prefix)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    size_t removed = 0;
    time_t now = time(NULL);
    int dfd;

    if (!dh)
        return 0;
    dfd = dirfd(dh);
    while ((de = readdir(dh)) != NULL) {
        struct stat st;
        size_t side;
        int fd;

        if (!outfile_tmp_name(de->d_name, prefix, &side))
            continue;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            st.st_uid != geteuid() || now - st.st_mtime < OUTFILE_SWEEP_AGE)
            continue;
        if (side) {
            /* A side file whose database is gone. */
            size_t n = strlen(de->d_name) - strlen(outfile_sides[side - 1]);
            char *main_name = xmemdupz(de->d_name, n);
            struct stat ms;

            if (fstatat(dfd, main_name, &ms, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT &&
                unlinkat(dfd, de->d_name, 0) == 0)
                removed++;
            free(main_name);
            continue;
        }
        fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            continue;
        /* Locked: its creator is alive.  Ours now: it is garbage. */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            size_t len = strlen(dir) + strlen(de->d_name) + 2;
            char *full = xmalloc(len);

            snprintf(full, len, "%s/%s", dir, de->d_name);
            outfile_remove_db(full);
            free(full);
            removed++;
        }
        close(fd);
    }
    closedir(dh);
    return removed;
}

/* mkstemp(dir/prefixXXXXXX), locked and registered. */
static int outfile_mktemp(const char *dir, const char *prefix, bool sides, char **path, int *fdp,
                          struct diag *d)
{
    size_t len = strlen(dir) + strlen(prefix) + sizeof("/XXXXXX");
    char *p = xmalloc(len);
    int fd, err;

    snprintf(p, len, "%s/%s%s", dir, prefix, "XXXXXX");
    fd = mkostemp(p, O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        diag_err(d, "cannot create a temporary file in '%s': %s", dir, strerror(err));
        free(p);
        return -err;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        err = errno;
        diag_err(d, "cannot lock '%s': %s", p, strerror(err));
        unlink(p);
        close(fd);
        free(p);
        return -err;
    }
    outfile_reg_add(p, sides);
    *path = p;
    *fdp = fd;
    return 0;
}

int outfile_tmp_create(const char *dir, const char *prefix, char **path, int *lockfd,
                       struct diag *d)
{
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    *path = NULL;
    *lockfd = -1;
    outfile_sweep(dir, prefix);
    return outfile_mktemp(dir, prefix, true, path, lockfd, d);
}

void outfile_tmp_remove(const char *path, int lockfd)
{
    if (path) {
        outfile_remove_db(path);
        outfile_reg_del(path);
    }
    if (lockfd >= 0)
        close(lockfd);
}

/* ---- outputs ------------------------------------------------------------ */

static int outfile_refuse(struct diag *d, const char *path, int code, const char *why)
{
    diag_err(d, "refusing to write '%s': %s", path, why);
    return code;
}

/* What path is, for outfile_open(): its kind, the file to replace (for
 * OUTFILE_REPLACE; NULL when absent is the target itself), whether it
 * exists. */
static int outfile_classify(const char *path, enum outfile_kind *kind, char **target, bool *exists,
                            struct diag *d)
{
    struct stat lst, st;
    char msg[96];

    *target = NULL;
    *exists = false;
    if (strcmp(path, "-") == 0) {
        *kind = OUTFILE_STDOUT;
        return 0;
    }
    if (lstat(path, &lst) != 0) {
        if (errno != ENOENT) {
            int err = errno;

            diag_err(d, "cannot write '%s': %s", path, strerror(err));
            return -err;
        }
        *kind = OUTFILE_REPLACE;
        *target = xstrdup(path);
        return 0;
    }
    st = lst;
    if (S_ISLNK(lst.st_mode) && stat(path, &st) != 0)
        return outfile_refuse(d, path, ERR_INVALID, "it is a symbolic link to nothing");
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        *kind = OUTFILE_STREAM;
        *exists = true;
        return 0;
    }
    if (S_ISDIR(st.st_mode))
        return outfile_refuse(d, path, ERR_INVALID, "it is a directory");
    if (!S_ISREG(st.st_mode))
        return outfile_refuse(d, path, ERR_INVALID,
                              "it is not a regular file, a FIFO or a character device");
    if (st.st_uid != geteuid()) {
        snprintf(msg, sizeof(msg), "%s a file of another user (uid %lu)",
                 S_ISLNK(lst.st_mode) ? "it is a symbolic link to" : "it is",
                 (unsigned long)st.st_uid);
        return outfile_refuse(d, path, ERR_PERM, msg);
    }
    *kind = OUTFILE_REPLACE;
    *exists = true;
    if (S_ISLNK(lst.st_mode)) {
        /* Replace the link's target, keep the link. */
        char *real = realpath(path, NULL);

        if (!real) {
            int err = errno;

            diag_err(d, "cannot resolve '%s': %s", path, strerror(err));
            return -err;
        }
        *target = xstrdup(real);
        free(real);
    } else {
        *target = xstrdup(path);
    }
    return 0;
}

/* A stream opened for writing, checked to be one still. */
static int outfile_open_stream(struct outfile *o, const char *path, struct diag *d)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC), err;

    if (fd < 0) {
        err = errno;
        diag_err(d, "cannot write '%s': %s", path, strerror(err));
        return -err;
    }
    if (fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
        close(fd);
        return outfile_refuse(d, path, ERR_INVALID, "it changed while being opened");
    }
    o->fd = fd;
    return 0;
}

int outfile_open(struct outfile *o, const char *path, mode_t mode, unsigned flags, struct diag *d)
{
    bool exists;
    int rc;

    memset(o, 0, sizeof(*o));
    o->fd = -1;
    o->lockfd = -1;
    o->name = path;
    o->mode = mode;
    if (!path || !*path)
        return outfile_refuse(d, "", ERR_INVALID, "an empty file name");
    rc = outfile_classify(path, &o->kind, &o->target, &exists, d);
    if (rc)
        return rc;
    if ((flags & OUTFILE_EXISTING) && (o->kind != OUTFILE_REPLACE || !exists)) {
        outfile_abort(o);
        if (o->kind == OUTFILE_REPLACE) {
            diag_err(d, "cannot open '%s': %s", path, strerror(ENOENT));
            return -ENOENT;
        }
        return outfile_refuse(d, path, ERR_INVALID, "it must be a regular file");
    }
    if ((flags & OUTFILE_NO_CLOBBER) && o->kind == OUTFILE_REPLACE && exists) {
        outfile_abort(o);
        diag_err(d, "'%s' exists (--force replaces it)", path);
        return ERR_EXISTS;
    }
    if (o->kind == OUTFILE_REPLACE) {
        char *dir, *base, *prefix;
        size_t len;

        outfile_split(o->target, &dir, &base);
        len = strlen(base) + sizeof(".podflow-tmp-");
        prefix = xmalloc(len);
        snprintf(prefix, len, "%s.podflow-tmp-", base);
        outfile_sweep(dir, prefix);
        rc = outfile_mktemp(dir, prefix, (flags & OUTFILE_NEED_PATH) != 0, &o->tmp, &o->fd, d);
        free(prefix);
        free(base);
        free(dir);
        if (rc) {
            outfile_abort(o);
            return rc;
        }
        o->lockfd = o->fd;
        return 0;
    }
    if (flags & OUTFILE_NEED_PATH) {
        /* Built in a scratch file, copied to the stream at the end. */
        rc = outfile_tmp_create(NULL, "podflow-out-", &o->tmp, &o->lockfd, d);
        if (rc) {
            outfile_abort(o);
            return rc;
        }
    }
    if (o->kind == OUTFILE_STDOUT) {
        o->fd = STDOUT_FILENO;
        return 0;
    }
    rc = outfile_open_stream(o, path, d);
    if (rc)
        outfile_abort(o);
    return rc;
}

static int outfile_write_fd(int fd, const void *p, size_t n)
{
    const char *b = p;

    while (n) {
        ssize_t w = write(fd, b, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        if (w == 0)
            return -EIO;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int outfile_write(struct outfile *o, const void *p, size_t n, struct diag *d)
{
    int rc = outfile_write_fd(o->fd, p, n);

    if (rc)
        diag_err(d, "cannot write '%s': %s", o->name, strerror(-rc));
    return rc;
}

/* Copy the scratch file to the stream. */
static int outfile_copy_out(struct outfile *o, struct diag *d)
{
    char buf[65536];
    int in = open(o->tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

    if (in < 0) {
        rc = -errno;
        diag_err(d, "cannot read '%s': %s", o->tmp, strerror(-rc));
        return rc;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            diag_err(d, "cannot read '%s': %s", o->tmp, strerror(-rc));
            break;
        }
        if (n == 0)
            break;
        rc = outfile_write(o, buf, (size_t)n, d);
        if (rc)
            break;
    }
    close(in);
    return rc;
}

/* fsync the directory holding path, so that a rename in it is durable. */
static void outfile_sync_dir(const char *path)
{
    char *dir, *base;
    int fd;

    outfile_split(path, &dir, &base);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
    free(base);
}

int outfile_commit(struct outfile *o, struct diag *d)
{
    int rc = 0;

    if (o->kind == OUTFILE_REPLACE) {
        mode_t mask = umask(0);

        umask(mask);
        if (fsync(o->fd) != 0 || fchmod(o->fd, o->mode & ~mask) != 0)
            rc = -errno;
        if (!rc && rename(o->tmp, o->target) != 0)
            rc = -errno;
        if (rc) {
            diag_err(d, "cannot write '%s': %s", o->name, strerror(-rc));
            outfile_abort(o);
            return rc;
        }
        outfile_sync_dir(o->target);
        outfile_reg_del(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        outfile_abort(o);
        return 0;
    }
    if (o->tmp)
        rc = outfile_copy_out(o, d);
    if (o->kind == OUTFILE_STREAM) {
        if (close(o->fd) != 0 && !rc) {
            rc = -errno;
            diag_err(d, "cannot write '%s': %s", o->name, strerror(-rc));
        }
        o->fd = -1;
    }
    outfile_abort(o);
    return rc;
}

void outfile_abort(struct outfile *o)
{
    if (o->tmp) {
        outfile_tmp_remove(o->tmp, -1);
        free(o->tmp);
        o->tmp = NULL;
    }
    if (o->lockfd >= 0 && o->lockfd != o->fd)
        close(o->lockfd);
    if (o->fd >= 0 && o->fd != STDOUT_FILENO)
        close(o->fd);
    free(o->target);
    o->target = NULL;
    o->fd = -1;
    o->lockfd = -1;
}

int outfile_dir(const char *path, mode_t mode, struct diag *d)
{
    struct stat st;

    if (!path || !*path)
        return outfile_refuse(d, "", ERR_INVALID, "an empty directory name");
    if (stat(path, &st) != 0) {
        int err = errno;

        if (err == ENOENT && mkdir(path, mode) == 0)
            return 0;
        if (err == ENOENT)
            err = errno;
        diag_err(d, "cannot make directory '%s': %s", path, strerror(err));
        return -err;
    }
    if (!S_ISDIR(st.st_mode))
        return outfile_refuse(d, path, ERR_INVALID, "it is not a directory");
    if (st.st_uid != geteuid() && st.st_uid != 0)
        return outfile_refuse(d, path, ERR_PERM, "it is a directory of another user");
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
        return outfile_refuse(d, path, ERR_PERM,
                              "others may write in it (and replace what is written there)");
    return 0;
}

/* ---- cases added to ----------------------------------------------------- */

/* The checks of outfile_case_ok() on one file (what: its role). */
static int outfile_case_file(const char *path, const char *what, const struct stat *st,
                             struct diag *d)
{
    if (S_ISLNK(st->st_mode)) {
        diag_err(d, "cannot add to '%s': %s is a symbolic link (name the file itself)", path, what);
        return ERR_INVALID;
    }
    if (!S_ISREG(st->st_mode)) {
        diag_err(d, "cannot add to '%s': %s is not a regular file", path, what);
        return ERR_INVALID;
    }
    if (st->st_uid != geteuid() && st->st_uid != 0) {
        diag_err(d, "cannot add to '%s': %s belongs to another user (uid %lu)", path, what,
                 (unsigned long)st->st_uid);
        return ERR_PERM;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        diag_err(d, "cannot add to '%s': %s is writable by other users (mode %04o; chmod go-w)",
                 path, what, (unsigned)(st->st_mode & 07777));
        return ERR_PERM;
    }
    return 0;
}

int outfile_case_ok(const char *path, const struct stat *st, struct diag *d)
{
    size_t len = strlen(path) + sizeof("-journal");
    char *side = xmalloc(len), what[32];
    int rc = outfile_case_file(path, "it", st, d);

    for (size_t k = 0; k < ARRAY_SIZE(outfile_sides) && !rc; k++) {
        struct stat sst;

        snprintf(side, len, "%s%s", path, outfile_sides[k]);
        if (lstat(side, &sst) != 0)
            continue;
        snprintf(what, sizeof(what), "its %s file", outfile_sides[k] + 1);
        rc = outfile_case_file(path, what, &sst, d);
    }
    free(side);
    return rc;
}
