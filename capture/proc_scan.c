/*
 * proc_scan.c: processes, their namespaces, sockets and cgroups from /proc
 * (see proc_scan.h).  Directory entries are read with readdir(3) and links
 * with readlink(2) into fixed buffers: nothing here allocates.
 */
#include "capture/proc_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "common/compat.h"

int proc_link_inode(const char *link, size_t len, const char *prefix, uint64_t *ino)
{
    size_t plen = strlen(prefix);

    if (len < plen + 4 || memcmp(link, prefix, plen) != 0 || link[plen] != ':' ||
        link[plen + 1] != '[' || link[len - 1] != ']')
        return -1;
    return parse_u64(link + plen + 2, len - plen - 3, 1, UINT64_MAX, ino) == 0 ? 0 : -1;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int proc_container_id(const char *cgroup, char out[PROC_CONTAINER_LEN + 1])
{
    size_t n = strlen(cgroup), end = n;

    out[0] = '\0';
    while (end > 0) {
        size_t start = end;

        while (start > 0 && is_hex(cgroup[start - 1]))
            start--;
        if (end - start == PROC_CONTAINER_LEN) {
            memcpy(out, cgroup + start, PROC_CONTAINER_LEN);
            out[PROC_CONTAINER_LEN] = '\0';
            return 1;
        }
        end = start > 0 ? start - 1 : 0;
    }
    return 0;
}

/* A /proc entry name that is a pid: decimal digits only. */
static int proc_pid_of(const char *name)
{
    uint64_t v;

    if (name[0] < '1' || name[0] > '9')
        return -1;
    if (parse_u64(name, strlen(name), 1, INT_MAX, &v) != 0)
        return -1;
    return (int)v;
}

/* readlink(root/pid/rel) as text into buf; its length, or -1. */
static ssize_t proc_readlink(const char *root, int pid, const char *rel, char *buf, size_t size)
{
    char path[PATH_MAX];
    ssize_t n;

    snprintf(path, sizeof(path), "%s/%d/%s", root, pid, rel);
    n = readlink(path, buf, size - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

int proc_each_netns(const char *root, void (*fn)(void *ctx, int pid, uint64_t netns), void *ctx)
{
    DIR *dir = opendir(root);
    struct dirent *de;
    char link[64];

    if (!dir)
        return -errno;
    while ((de = readdir(dir)) != NULL) {
        int pid = proc_pid_of(de->d_name);
        uint64_t ino;
        ssize_t n;

        if (pid < 0)
            continue;
        n = proc_readlink(root, pid, "ns/net", link, sizeof(link));
        if (n > 0 && proc_link_inode(link, (size_t)n, "net", &ino) == 0)
            fn(ctx, pid, ino);
    }
    closedir(dir);
    return 0;
}

int proc_each_socket(const char *root, int pid, void (*fn)(void *ctx, uint64_t inode), void *ctx)
{
    char path[PATH_MAX], link[64];
    struct dirent *de;
    DIR *dir;

    snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
    dir = opendir(path);
    if (!dir)
        return -errno;
    while ((de = readdir(dir)) != NULL) {
        char rel[300]; /* "fd/" and a d_name (at most 255 bytes) */
        uint64_t ino;
        ssize_t n;

        if (de->d_name[0] == '.')
            continue;
        snprintf(rel, sizeof(rel), "fd/%s", de->d_name);
        n = proc_readlink(root, pid, rel, link, sizeof(link));
        if (n > 0 && proc_link_inode(link, (size_t)n, "socket", &ino) == 0)
            fn(ctx, ino);
    }
    closedir(dir);
    return 0;
}

/* Read root/pid/name into buf (NUL-terminated, cut to size - 1); its
 * length, or -errno. */
static ssize_t proc_read_file(const char *root, int pid, const char *name, char *buf, size_t size)
{
    char path[PATH_MAX];
    size_t got = 0;
    int fd, err;

    snprintf(path, sizeof(path), "%s/%d/%s", root, pid, name);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    while (got < size - 1) {
        ssize_t n = read(fd, buf + got, size - 1 - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            close(fd);
            return -err;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

/*
 * The cgroup path from /proc/PID/cgroup text: the cgroup v2 line
 * "0::/path", else cgroup v1's "N:name=systemd:/path", else the first
 * line's path.
 */
static void proc_cgroup_path(const char *text, char *out, size_t size)
{
    const char *best = NULL, *p = text;
    int rank = 0;

    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *c1 = strchr(p, ':'), *c2;
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        int r;

        if (c1 && c1 < p + n && (c2 = strchr(c1 + 1, ':')) != NULL && c2 < p + n) {
            if (p[0] == '0' && c1 == p + 1 && c2 == c1 + 1)
                r = 3;
            else if (c2 - c1 - 1 == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0)
                r = 2;
            else
                r = 1;
            if (r > rank) {
                rank = r;
                best = c2 + 1;
            }
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    out[0] = '\0';
    if (best) {
        size_t n = strcspn(best, "\n");

        if (n >= size)
            n = size - 1;
        memcpy(out, best, n);
        out[n] = '\0';
    }
}

int proc_read_info(const char *root, int pid, struct proc_info *out)
{
    char text[4096];
    ssize_t n;

    memset(out, 0, sizeof(*out));
    n = proc_read_file(root, pid, "comm", out->comm, sizeof(out->comm));
    if (n < 0)
        return (int)n;
    out->comm[strcspn(out->comm, "\n")] = '\0';
    n = proc_read_file(root, pid, "cgroup", text, sizeof(text));
    if (n >= 0) {
        char full[sizeof(text)];
        size_t len;

        proc_cgroup_path(text, full, sizeof(full));
        /* The id from the whole path; the path kept may be cut. */
        proc_container_id(full, out->container);
        len = strlen(full);
        if (len >= sizeof(out->cgroup))
            len = sizeof(out->cgroup) - 1;
        memcpy(out->cgroup, full, len);
        out->cgroup[len] = '\0';
    }
    return 0;
}
