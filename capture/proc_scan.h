/*
 * proc_scan.h: what /proc says about processes, for process attribution
 * (proc_attr.h): the network namespace of each process
 * (/proc/PID/ns/net -> "net:[INODE]"), the sockets it holds
 * (/proc/PID/fd/N -> "socket:[INODE]"), its command name
 * (/proc/PID/comm) and its cgroup (/proc/PID/cgroup), with the container
 * id the container runtimes put in the cgroup's path.
 *
 * Reading another user's ns and fd links takes CAP_SYS_PTRACE (the ptrace
 * access check) and CAP_DAC_READ_SEARCH (the fd directory is mode 0500);
 * comm and cgroup are world-readable.  The proc root is a parameter so
 * that tests can give a tree of their own.  A process that exits while it
 * is read is skipped, never an error.
 */
#ifndef PODFLOW_CAPTURE_PROC_SCAN_H
#define PODFLOW_CAPTURE_PROC_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

#define PROC_COMM_LEN      16  /* TASK_COMM_LEN, NUL included */
#define PROC_CONTAINER_LEN 64  /* a container id: 64 hex digits */
#define PROC_CGROUP_LEN    256 /* cgroup path kept; longer ones are cut (kubepods: ~200) */

struct proc_info {
    char comm[PROC_COMM_LEN];               /* NUL-terminated */
    char container[PROC_CONTAINER_LEN + 1]; /* "" when none */
    char cgroup[PROC_CGROUP_LEN];           /* cgroup v2 path (or v1's systemd one), "" unknown */
};

/* The inode in a /proc link's text link[0..len) of the form
 * "<prefix>:[<decimal>]" (prefix "net": "net:[4026531840]"; "socket":
 * "socket:[12345]").  0, or -1 when it is not of that form. */
int proc_link_inode(const char *link, size_t len, const char *prefix, uint64_t *ino) MUST_CHECK;

/* The container id in a cgroup path: the last run of exactly 64 lower-case
 * hex digits between non-hex characters (docker-ID.scope,
 * cri-containerd-ID.scope, crio-ID.scope, .../ID).  Copies it into out
 * and returns 1, or returns 0 with out "". */
int proc_container_id(const char *cgroup, char out[PROC_CONTAINER_LEN + 1]);

/* fn(ctx, pid, netns inode) for every process of root (/proc) whose
 * namespace link can be read.  0, or -errno when root cannot be listed. */
int proc_each_netns(const char *root, void (*fn)(void *ctx, int pid, uint64_t netns), void *ctx);

/* fn(ctx, inode) for every socket process pid holds.  0, or -errno (the
 * process is gone, or its fds cannot be read). */
int proc_each_socket(const char *root, int pid, void (*fn)(void *ctx, uint64_t inode), void *ctx);

/* Command name, cgroup path and container id of pid.  0, or -errno. */
int proc_read_info(const char *root, int pid, struct proc_info *out) MUST_CHECK;

#endif
