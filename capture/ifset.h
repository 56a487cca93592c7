/*
 * ifset.h: the set of interfaces a live capture reads (-i), kept in step
 * with the links of the namespace.
 *
 * The command line names interfaces and globs ("cali*"); "any" is
 * libpcap's pseudo-device.  At start every link that matches and is up is
 * opened, and a name given without a glob must exist.  Then each link
 * event is one decision: a link that appears (or comes up) and matches is
 * opened; one that goes away, goes down or is renamed is closed (its
 * interfaces row gets vanished_ns), and opened anew, as a new row, when it
 * is back.  When the kernel dropped events, the set re-dumps the links and
 * closes the ones the dump no longer shows.  A source whose handle fails is
 * closed, as vanished when its link went away or down.
 *
 * Everything outside the set goes through struct ifset_ops: the netlink
 * dump and events (nl_link.h), opening a handle (source.h), recording
 * rows (writer.h), the kernel's view of a name.  main.c wires them to the
 * real things; the unit tests (tests/test_ifset.c) to synthetic links and
 * events.
 */
#ifndef PODFLOW_CAPTURE_IFSET_H
#define PODFLOW_CAPTURE_IFSET_H

#include <stddef.h>
#include <stdint.h>

#include "capture/nl_link.h"
#include "capture/source.h"
#include "common/attrs.h"

struct diag;

/* What the set needs from outside; ctx is ifset.ctx.  Every function is
 * required. */
struct ifset_ops {
    /* Report every link present through fn (nl_link_dump()).  0, or an
     * ERR_* (reported). */
    int (*dump)(void *ctx, nl_link_fn fn, void *fn_ctx);
    /* Report the pending link events through fn (nl_link_read()).  0, 1
     * when events were lost, or an ERR_* (reported). */
    int (*read)(void *ctx, nl_link_fn fn, void *fn_ctx);
    /* Open a handle on link (ifindex, name) into *s (src_open_live();
     * ifindex -1 for "any").  0, or an ERR_* (reported). */
    int (*open)(void *ctx, struct src *s, const char *name, int ifindex);
    /* A source opened after ifset_recording(): record it (its interfaces
     * row, s->db_id).  0, or ERR_DB (reported). */
    int (*added)(void *ctx, struct src *s);
    /* Source s is leaving the set: read its counters, record its end
     * (vanished_ns, 0 when the link is still there) when it has a row, and
     * close it.  0, or ERR_DB (reported; s is closed anyway). */
    int (*closed)(void *ctx, struct src *s, int64_t vanished_ns);
    /* The kernel's ifindex for name now (if_nametoindex()), 0 for none. */
    int (*ifindex)(void *ctx, const char *name);
    /* 1 when link name is there and up (SIOCGIFFLAGS). */
    int (*is_up)(void *ctx, const char *name);
};

struct ifset {
    char *const *pats; /* -i names and globs (borrowed) */
    size_t npats;
    const struct ifset_ops *ops; /* borrowed */
    void *ctx;                   /* passed to ops */
    struct diag *d;              /* borrowed: warnings and errors */
    struct src *srcs;            /* open sources (malloc'd, owned) */
    size_t n, alloc;
    int recording; /* ifset_recording() was called: new sources get rows */
    int no_open;   /* -Z dropped privileges: links can no longer be opened */
    int warned_no_open;
    int failed;    /* a row could not be written (ERR_DB): the run fails */
    size_t opened; /* sources opened over the whole run */
};

/* Set up an empty set over the -i patterns pats[0..npats) (borrowed: they
 * must outlive the set). */
void ifset_init(struct ifset *set, char *const *pats, size_t npats, const struct ifset_ops *ops,
                void *ctx, struct diag *d);

/* Close every source (through ops->closed when recording, else plainly)
 * and free the set.  vanished_ns: 0 (the capture ends, links stay). */
void ifset_release(struct ifset *set);

/*
 * Start-up: check that every name given without a glob exists (else
 * ERR_NOTFOUND, "no such interface"), open "any" when named, then open
 * every link the dump reports that matches and is up; a failure to open a
 * link named on the command line (or to dump) is the run's failure.  A
 * glob nothing matches yet is a warning, even with -q (links may come, but
 * on a node whose links are named otherwise none ever will).
 * 0 or an ERR_* (reported).
 */
int ifset_start(struct ifset *set) MUST_CHECK;

/* From now on new sources get interfaces rows (the captures row exists;
 * the sources open so far were recorded by the caller). */
void ifset_recording(struct ifset *set);

/* From now on links can no longer be opened (-Z gave up CAP_NET_RAW): one
 * that appears is named in a warning, once. */
void ifset_no_open(struct ifset *set);

/* Read the pending link events (ops->read) and apply them at time now;
 * re-dump when events were lost.  0, or an ERR_* when netlink failed or a
 * row could not be written (set->failed). */
int ifset_events(struct ifset *set, int64_t now) MUST_CHECK;

/*
 * Source i's handle failed (pcap_dispatch() < 0): close it.  When its link
 * is still there and up the failure is the handle's: a warning naming the
 * error text err, and no vanished_ns; else the link went away or down
 * (the handle often learns first): vanished at now, reopened when netlink
 * reports it back.  The last source takes its place, so a loop over the
 * sources that may fail runs from the end.
 */
void ifset_failed(struct ifset *set, size_t i, const char *err, int64_t now);

#endif
