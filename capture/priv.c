/*
 * priv.c: -Z USER (see priv.h).
 *
 * The order matters.  The bounding set can only be emptied while we still
 * hold CAP_SETPCAP, so it goes first; groups and gid before the uid,
 * because after setresuid() we may no longer change them; capset() after
 * the uid change clears what a target uid 0 would keep; no_new_privs last
 * so that no execve() (there is none, but a library might) can regain
 * anything through set-uid files or file capabilities.  Must run while the
 * process is single-threaded: capset() and prctl() act on the calling
 * thread only.
 */
#include "capture/priv.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "common/compat.h"

/* Look up user by name, else as a numeric uid. */
static int priv_lookup(const char *user, struct passwd *pw, char *buf, size_t size, struct diag *d)
{
    struct passwd *res = NULL;
    uint64_t uid;
    int rc;

    rc = getpwnam_r(user, pw, buf, size, &res);
    if (!res && parse_u64(user, strlen(user), 0, UINT32_MAX - 1, &uid) == 0)
        rc = getpwuid_r((uid_t)uid, pw, buf, size, &res);
    if (!res) {
        if (rc)
            diag_err(d, "cannot look up user '%s': %s", user, strerror(rc));
        else
            diag_err(d, "unknown user '%s'", user);
        return ERR_NOTFOUND;
    }
    return 0;
}

/* The value of "Name:\t<hex>" in /proc/self/status, or -1. */
static long long priv_status_hex(const char *key)
{
    char line[256];
    size_t klen = strlen(key);
    long long v = -1;
    FILE *f = fopen("/proc/self/status", "re");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            char *end;

            v = (long long)strtoull(line + klen + 1, &end, 16);
            if (end == line + klen + 1)
                v = -1;
            break;
        }
    }
    fclose(f);
    return v;
}

static int priv_fail(struct diag *d, const char *user, const char *what)
{
    int e = errno;

    diag_err(d, "cannot drop privileges to '%s': %s: %s%s", user, what, strerror(e),
             e == EPERM ? " (-Z needs root)" : "");
    return e == EPERM ? ERR_PERM : -e;
}

int priv_drop(const char *user, struct diag *d)
{
    return priv_drop_keep(user, 0, d);
}

int priv_drop_keep(const char *user, uint64_t keep, struct diag *d)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
    struct passwd pw;
    char buf[16384];
    unsigned long cap;
    int rc;

    rc = priv_lookup(user, &pw, buf, sizeof(buf), d);
    if (rc)
        return rc;

    /* Empty the bounding set: EINVAL marks the first capability this
     * kernel does not know, which ends the walk. */
    for (cap = 0; cap < 64; cap++) {
        if (keep & (UINT64_C(1) << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break;
            return priv_fail(d, user, "bounding set");
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return priv_fail(d, user, "ambient capabilities");
    /* Capabilities to keep survive the uid change only with keepcaps. */
    if (prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0) < 0)
        return priv_fail(d, user, "keepcaps");
    if (initgroups(pw.pw_name, pw.pw_gid) < 0)
        return priv_fail(d, user, "groups");
    if (setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) < 0)
        return priv_fail(d, user, "gid");
    if (setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) < 0)
        return priv_fail(d, user, "uid");
    memset(caps, 0, sizeof(caps));
    caps[0].effective = caps[0].permitted = (uint32_t)keep;
    caps[1].effective = caps[1].permitted = (uint32_t)(keep >> 32);
    if (syscall(SYS_capset, &hdr, caps) < 0)
        return priv_fail(d, user, "capabilities");
    if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return priv_fail(d, user, "keepcaps");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return priv_fail(d, user, "no_new_privs");

    /* Trust, but verify: the kernel's own view of what we hold. */
    if (priv_status_hex("CapEff") != (long long)keep ||
        priv_status_hex("CapPrm") != (long long)keep || priv_status_hex("NoNewPrivs") != 1) {
        diag_err(d, "cannot drop privileges to '%s': capabilities remain", user);
        return ERR_PERM;
    }
    if (pw.pw_uid != 0 && setuid(0) == 0) {
        diag_err(d, "cannot drop privileges to '%s': uid 0 could be regained", user);
        return ERR_PERM;
    }
    return 0;
}

/* The helper's side (a forked child of a process that may have threads:
 * async-signal-safe calls only, every string made before the fork). */
static void priv_helper_run(int in, const char *path, const char *wal, const char *shm)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    struct stat st;
    char byte;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        sigaction(sigs[i], &sa, NULL);
    /* Nothing of the capture's: no socket, no case, no pcap handle. */
    if (dup2(in, STDIN_FILENO) < 0)
        _exit(1);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
        for (int i = 3; i < 65536; i++)
            close(i);
    while (read(STDIN_FILENO, &byte, 1) < 0 && errno == EINTR)
        ;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
        _exit(0); /* gone, or another capture writes it now */
    if (lstat(wal, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && unlink(wal) == 0 &&
        lstat(shm, &st) == 0 && S_ISREG(st.st_mode))
        unlink(shm);
    _exit(0);
}

int priv_helper_start(struct priv_helper *h, const char *case_path, struct diag *d)
{
    size_t len = strlen(case_path) + sizeof("-wal");
    char *wal = malloc(len), *shm = malloc(len);
    int p[2], err;
    pid_t pid;

    h->pid = 0;
    h->fd = -1;
    if (!wal || !shm || pipe2(p, O_CLOEXEC) < 0) {
        err = wal && shm ? errno : ENOMEM;
        free(wal);
        free(shm);
        diag_warn(d, "no helper to tidy the case after -Z: %s", strerror(err));
        return -err;
    }
    snprintf(wal, len, "%s-wal", case_path);
    snprintf(shm, len, "%s-shm", case_path);
    pid = fork();
    if (pid == 0) {
        close(p[1]);
        priv_helper_run(p[0], case_path, wal, shm);
    }
    err = errno;
    free(wal);
    free(shm);
    close(p[0]);
    if (pid < 0) {
        close(p[1]);
        diag_warn(d, "no helper to tidy the case after -Z: %s", strerror(err));
        return -err;
    }
    h->pid = (int)pid;
    h->fd = p[1];
    return 0;
}

void priv_helper_finish(struct priv_helper *h)
{
    int status;

    if (h->fd >= 0) {
        (void)!write(h->fd, "x", 1);
        close(h->fd);
        h->fd = -1;
    }
    if (h->pid > 0) {
        while (waitpid((pid_t)h->pid, &status, 0) < 0 && errno == EINTR)
            ;
        h->pid = 0;
    }
}
