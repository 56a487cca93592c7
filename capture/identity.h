/*
 * identity.h: who is behind each address of a capture: the inventories
 * given with --inventory (reloaded when their file changes), netlink's
 * address-behind-interface intervals (capture/nl_ident.h) and conntrack's
 * Service translations (capture/conntrack.h), joined into the case's
 * endpoints rows by common/ident.h.
 *
 * Inventory validity (DESIGN.md, "An inventory is a snapshot"): every
 * version of an --inventory file is loaded into one inventory, a later
 * version replacing the objects it lists again.  An object that an earlier
 * version listed and the new one does not is ended at the new version's
 * modification time (the snapshot's time, the best the file says), unless
 * it already has a deletionTimestamp.  The time at which a file is read is
 * never used.  A file is reloaded once its size and modification time have
 * held still for a second (kubectl ... > inv.yaml writes it in pieces); a
 * version that does not parse is reported and ignored.
 *
 * Rows are written through the capture's writer when something changed,
 * at each commit (ident_cap_post(): on the writer's thread, but for a new
 * version of an inventory), and at the end (ident_cap_write()): ip_ifaces
 * rows of this capture, the inventory (inventory_write_db()), then
 * ident_rebuild().
 */
#ifndef PODFLOW_CAPTURE_IDENTITY_H
#define PODFLOW_CAPTURE_IDENTITY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"
#include "common/inventory.h"

struct ct_map;
struct diag;
struct flow_rec;
struct nl_ident;
struct polnets;
struct pseudo;
struct writer;

struct ident_file {
    const char *path; /* not owned: argv */
    int64_t mtime_ns; /* of the version loaded */
    int64_t size;
    uint64_t ino;
    int64_t pend_mtime_ns; /* a change seen, waiting to hold still; 0: none */
    int64_t pend_size;
    int64_t pend_since; /* when the change was first seen (monotonic use only) */
    size_t problems;    /* problems its last load reported (objects skipped, fields dropped) */
};

struct ident_cap {
    struct diag *d;           /* not owned */
    struct inventory inv;     /* every version of every file, owned */
    struct ident_file *files; /* malloc'd */
    size_t nfiles;
    struct nl_ident *nl;     /* owned, live captures only, or NULL */
    struct ct_map *ct;       /* owned, live captures only, or NULL (conntrack unavailable) */
    int inv_dirty;           /* the inventory changed since the last write */
    int written;             /* rows were written once (the first write always happens) */
    atomic_int write_failed; /* the last write failed (set on the writer's thread) */
    size_t reloads;          /* versions loaded after the first */
    struct pseudo *redact;   /* owned: --redact-external, or NULL */
    size_t redact_inv_seq;   /* inventory's seq when its addresses were last made internal */
    size_t redact_nl_n;      /* netlink intervals made internal so far */
    int redact_warned;       /* the pseudonym limit was reported */
    const struct polnets *redact_keep; /* kept CIDRs (borrowed), or NULL */
};

/*
 * Load every file (they must parse: ERR_PARSE, ERR_LIMIT or -errno,
 * reported, means exit 2), then for a live capture open and dump netlink
 * (ERR_NETLINK or ERR_PERM are fatal) and conntrack (a failure is a
 * warning: flows then carry no dnat_*).  files stay the caller's.
 */
int ident_cap_open(struct ident_cap *ic, struct diag *d, char **files, size_t nfiles,
                   int live) MUST_CHECK;

/* The descriptors to poll (netlink, conntrack), into fds[0..2); returns
 * how many. */
size_t ident_cap_fds(const struct ident_cap *ic, int fds[2]);

/* Read what netlink and conntrack have, stamping netlink changes now_ns.
 * 0 or ERR_NETLINK (reported). */
int ident_cap_events(struct ident_cap *ic, int64_t now_ns) MUST_CHECK;

/* Look at the inventory files (call about once a second): reload a file
 * whose new version has held still for a second. */
void ident_cap_tick(struct ident_cap *ic, int64_t now_ns);

/* Set rec's dnat_* from conntrack (a flow_emit_fn's first step). */
void ident_cap_annotate(const struct ident_cap *ic, struct flow_rec *rec);

/*
 * --redact-external: from now on ident_cap_redact() replaces external
 * addresses, under a key drawn from getrandom(2) for this run and stored
 * nowhere.  Internal are the addresses known when a flow is redacted:
 * every address any loaded version of an inventory gave a pod, Service
 * (cluster IPs), EndpointSlice endpoint or node, and every address netlink
 * saw behind one of the node's interfaces (pods' routes and neighbours,
 * the node's own addresses).  An address learnt later was pseudonymised
 * until then (over-redaction, never a leak).  0, or -errno (reported).
 */
int ident_cap_redact_enable(struct ident_cap *ic) MUST_CHECK;

/* Keep, unredacted, the addresses inside keep's CIDRs (borrowed: it must
 * outlive ic), and give no pseudonym inside them.  After
 * ident_cap_redact_enable(). */
void ident_cap_redact_keep(struct ident_cap *ic, const struct polnets *keep);

/* Replace rec's external src, dst and dnat addresses by their pseudonyms
 * (common/pseudo.h; one-to-one for the run).  Nothing without
 * ident_cap_redact_enable().  Call after ident_cap_annotate(). */
void ident_cap_redact(struct ident_cap *ic, struct flow_rec *rec);

/* The same for one address (a socket's peer, proc_attr.h), in place. */
void ident_cap_redact_ip(struct ident_cap *ic, struct ipaddr *ip);

/* 1 when rows should be written (something changed, or never written). */
int ident_cap_dirty(const struct ident_cap *ic);

/* Write ip_ifaces, the inventory and the joined endpoints through w, in
 * its transaction (committed with the next commit), waiting for it
 * (writer_with_db()).  0, or ERR_DB / ERR_LIMIT (reported); a failure
 * leaves ic dirty. */
int ident_cap_write(struct ident_cap *ic, struct writer *w, int64_t capture_id) MUST_CHECK;

/*
 * The same, written by w's thread without the caller waiting
 * (writer_post(): a copy of the netlink rows; the endpoints joined there)
 * unless the inventory must be written too (a version of a file not
 * written yet): then as ident_cap_write(), since the inventory is the
 * caller's.  A failure on w's thread is reported there and leaves ic
 * dirty (for the next commit).  0, or the error of ident_cap_write(), or
 * w's latched error.  w's thread uses ic until it has run the job: close
 * w before ident_cap_release().
 */
int ident_cap_post(struct ident_cap *ic, struct writer *w, int64_t capture_id) MUST_CHECK;

void ident_cap_release(struct ident_cap *ic);

#endif
