/*
 * proc_attr.h: process attribution: which socket, of which process, of
 * which container, owned each end of a flow that lives on this node
 * (schema.sql's sockets table, joined in flows_named as src_pid, src_comm,
 * src_container and dst_...).
 *
 * The work is done by a helper process, forked at start-up before
 * privileges are dropped (-Z), so that the packet-decoding process never
 * holds what the helper needs, and so that the helper's reading of /proc
 * never stalls the packet loop.  The two speak over a SOCK_SEQPACKET
 * socketpair in fixed-size, length-checked messages:
 *
 *   capture -> helper   LOOKUP: up to PA_BATCH new flows (5-tuples), FINISH
 *   helper -> capture   SOCKET: a socket found, with its process (a row);
 *                       GONE: a recorded socket closed (its valid_to_ns);
 *                       STATS: counters; DONE: the last counters, exiting
 *
 * What the helper does with a new flow: each end whose address belongs
 * to a network namespace of this node (the addresses of every namespace
 * some process is in, found through /proc/PID/ns/net and an RTM_GETADDR
 * dump inside it; pods' and the node's own alike) is looked for in that
 * namespace's NETLINK_SOCK_DIAG dump (TCP, UDP, SCTP): the connected
 * socket of the same 5-tuple, else (UDP, SCTP) the one unconnected socket
 * bound to the end's port.  The processes holding the socket's inode are
 * read from /proc/PID/fd of the processes in that namespace, with their
 * comm, cgroup and container id (proc_scan.h).  A namespace is dumped at
 * most every LIM_PROC_POLL_MS, when new flows ask; one holding a recorded
 * socket still open every LIM_PROC_RESCAN_MS, to see it close.  An end no
 * socket is found for (it closed before the poll, several could be it, or
 * no process holds it) is counted unattributed, never guessed.
 *
 * Privileges the helper keeps under -Z (everything else is dropped, with
 * the uid and gid): CAP_SYS_ADMIN (setns(2) into a pod's namespace to open
 * the netlink sockets there), CAP_SYS_PTRACE (reading other processes'
 * /proc/PID/ns/net and /proc/PID/fd links) and CAP_DAC_READ_SEARCH
 * (listing their /proc/PID/fd directories).
 */
#ifndef PODFLOW_CAPTURE_PROC_ATTR_H
#define PODFLOW_CAPTURE_PROC_ATTR_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"
#include "common/ipaddr.h"

struct diag;
struct writer;

/* A socket found (a sockets row), as the capture receives it. */
struct pa_socket {
    uint32_t key; /* the helper's number for it (1, 2, ...) */
    uint8_t proto;
    struct ipaddr local, remote; /* remote.family 0: not connected */
    uint16_t lport, rport;
    uint64_t inode, netns;
    int64_t from_ns;     /* 0: there at the namespace's first poll (NULL) */
    int32_t pid;         /* 0: several processes (NULL) */
    uint32_t processes;  /* how many held it */
    char comm[16];       /* "" when they differ (NULL) */
    char container[65];  /* "" none or they differ */
    char cgroup[256];    /* "" when they differ */
    uint8_t same_comm;   /* comm is every holder's */
    uint8_t same_cgroup; /* cgroup and container are every holder's */
};

/* The helper's counters. */
struct pa_stats {
    uint64_t sought;       /* flow ends on this node looked for */
    uint64_t unattributed; /* of those, no socket found */
    uint64_t polls;        /* namespace dumps made */
    uint64_t scans;        /* /proc scans made */
    uint64_t cpu_ns;       /* the helper's CPU time (user + system) */
};

struct pa_client;

/*
 * Fork the helper.  user (-Z, or NULL) is the user it drops to, keeping
 * only the three capabilities above.  0, or -errno (reported through d,
 * which must outlive the client).  Call while the process is single-
 * threaded, before priv_drop().
 */
int pa_start(struct pa_client **out, const char *user, struct diag *d) MUST_CHECK;

/* The socket to poll() for the helper's messages. */
int pa_fd(const struct pa_client *c);

/* A new flow (first packet src -> dst): queue its lookup.  Past
 * LIM_PROC_LOOKUPS_PER_S a second it is counted in flows_unsought
 * instead.  now_ns is a clock in ns for the rate, any monotonic one
 * (called per new flow: the capture passes coarse_ns()). */
void pa_lookup(struct pa_client *c, int family, int proto, const uint8_t *src, uint16_t sport,
               const uint8_t *dst, uint16_t dport, int64_t now_ns);

/* Live captures: from now on pa_flush() never waits for the helper.  A
 * batch of lookups its socket cannot take at once (the helper is behind)
 * is counted in flows_unsought instead, so that the thread reading the
 * rings is not held up.  Without it (files), lookups wait for the
 * helper. */
void pa_no_wait(struct pa_client *c);

/* Send the queued lookups (call every loop; pa_lookup() does when a
 * batch is full). */
void pa_flush(struct pa_client *c);

/* Read what the helper sent, without blocking; keep it for pa_write().
 * 0, or -1 when the helper is gone (reported once; attribution stops). */
int pa_read(struct pa_client *c);

/*
 * Hand the sockets found, the ones that closed, and the capture's
 * sockets_sought, sockets_unattributed and flows_unsought to w's thread
 * (writer_post()), which writes them in its transaction; the caller does
 * not wait.  redact(ctx, ip), unless NULL, replaces an external remote
 * address first, here (--redact-external).  A write that fails is
 * reported by the writer's thread and tried again with the next
 * pa_write().  The writer's thread uses c until it has run the job: close
 * w (writer_close()) before pa_close(c).  0, or the writer's latched
 * error.
 */
int pa_write(struct pa_client *c, struct writer *w, int64_t capture_id,
             void (*redact)(void *ctx, struct ipaddr *ip), void *ctx) MUST_CHECK;

/* Whether the last write of pa_write()'s rows failed.  Ask only once the
 * writer's thread has run every job (after writer_capture_end() or
 * writer_commit()). */
int pa_write_failed(const struct pa_client *c);

/* Ask the helper to answer what it holds and stop; read until it has
 * (at most a few seconds).  pa_write() then writes the rest. */
void pa_finish(struct pa_client *c);

/* The helper's last counters. */
void pa_get_stats(const struct pa_client *c, struct pa_stats *out);

/* Stop the helper if it runs, free everything.  *c NULL afterwards. */
void pa_close(struct pa_client **c);

#endif
