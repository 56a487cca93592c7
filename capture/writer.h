/*
 * writer.h: podflow-capture's .db writer.
 *
 * One writer owns the SQLite connection for a capture run.  Flow rows go in
 * through writer_flow(), which only copies the record into a batch: a
 * writer thread inserts the batches through one prepared statement inside
 * a transaction, so SQLite's work overlaps the decoding on a second core.
 * The transaction is committed every `batch_rows` flows by the thread and
 * whenever the caller asks: writer_commit_async() (every --commit-interval
 * seconds: the caller does not wait) or writer_commit() (waits).  A
 * capture killed with SIGKILL loses at most the rows since the last commit
 * the thread made and leaves a .db that opens cleanly (WAL journal).  The
 * thread also copies the WAL back into the file (a checkpoint, which
 * syncs) after its commits, when the WAL has grown past 16 MB; the caller
 * never does.
 *
 * Other rows go two ways.  writer_post() hands the thread a job (fn and
 * the data it owns) that it runs in order with the flow rows, so the
 * caller never waits: for what comes every interval.  The rest (the
 * captures row, interfaces rows, writer_with_db()) is rare and done
 * synchronously by the caller once the thread has drained its queue.
 * Only one thread ever uses the connection at a time.
 *
 * Errors: the first SQLite failure is reported once through the diag and
 * latched; writer_flow() then drops rows and writer_failed() returns it.
 */
#ifndef PODFLOW_CAPTURE_WRITER_H
#define PODFLOW_CAPTURE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/attrs.h"

struct diag;
struct flow_rec;
struct writer;

/* The captures row as it is known at start. */
struct writer_capture {
    const char *node;       /* --node or the host name; may be NULL */
    const char *interfaces; /* -i patterns or -r files, space separated */
    const char *filter;     /* -f, or NULL */
    const char *command;    /* the command line */
    const char *source;     /* "live" or "file" */
    int snaplen;            /* 0: NULL (files keep their own) */
    int64_t started_ns;     /* Unix ns */
};

/* The captures row's totals, written at the end. */
struct writer_totals {
    int64_t ended_ns;
    uint64_t packets_seen;
    uint64_t packets_dropped;    /* pcap_stats ps_drop, summed */
    uint64_t packets_if_dropped; /* pcap_stats ps_ifdrop, summed */
    uint64_t packets_malformed;
    uint64_t packets_other;
    uint64_t fragments_orphan;
    uint64_t flows_evicted;
    uint64_t icmp_unmatched;
};

/*
 * Open (create, mode 0600, or migrate) the .db at path through
 * db_open_writer_locked(): the case must be the user's own (db.h), and no
 * other capture may be writing it (its lock is held until writer_close());
 * prepare the statements and start the writer thread.
 * batch_rows (0: LIM_WRITE_BATCH) is how many flows the thread inserts
 * before it commits on its own.  Reports failures through d (which must
 * outlive the writer) and returns ERR_DB, ERR_FORMAT or ERR_VERSION.
 */
int writer_open(const char *path, size_t batch_rows, struct diag *d,
                struct writer **out) MUST_CHECK;

/* Insert the captures row (ended_ns NULL) and commit it; *id is its id,
 * carried by every later flow and interface row. */
int writer_capture_begin(struct writer *w, const struct writer_capture *c, int64_t *id) MUST_CHECK;

/* Insert an interfaces row for the current capture.  ifindex < 0 and
 * appeared_ns 0 are stored as NULL.  *id is the row's id (flow_rec.iface). */
int writer_iface_add(struct writer *w, const char *name, int ifindex, int64_t appeared_ns,
                     int linktype, int64_t *id) MUST_CHECK;

/* Update an interfaces row's counters; vanished_ns 0 leaves it NULL. */
int writer_iface_end(struct writer *w, int64_t id, int64_t vanished_ns, uint64_t seen,
                     uint64_t dropped, uint64_t if_dropped) MUST_CHECK;

/* Queue one flow row (copied).  Blocks only when the thread is a full
 * queue behind.  Does nothing after a failure (see writer_failed()). */
void writer_flow(struct writer *w, const struct flow_rec *rec);

/* Insert every queued row and commit, waiting for both.  0 or the
 * latched error. */
int writer_commit(struct writer *w) MUST_CHECK;

/*
 * Queue a commit of every row (and job) queued so far: the thread makes
 * it, with a checkpoint when one is due, once it has inserted them; the
 * caller does not wait (only, as writer_flow(), when the thread is a full
 * queue behind).  A failure of the commit is reported and latched
 * (writer_failed()).  0, or the error latched before the call.
 */
int writer_commit_async(struct writer *w) MUST_CHECK;

/*
 * Queue fn(db, ctx) to run on the writer thread once every flow row
 * queued before it is inserted, in the open transaction (one is begun if
 * none is), so fn's rows are committed with those flows; the caller does
 * not wait (only when the thread is a full queue behind).  ctx belongs to
 * the writer from now on: release(ctx) (unless NULL) is called once fn
 * has run, or instead of running it (after a latched error, or when the
 * writer closes first).  fn runs on another thread than the caller's: it
 * may touch only ctx and what no other thread touches meanwhile.  fn
 * reports its own failure, must undo it with a savepoint of its own, and
 * its failure is not latched (the flows go on).  0, or the latched error
 * (ctx released then, fn never run).
 */
int writer_post(struct writer *w, int (*fn)(sqlite3 *db, void *ctx), void (*release)(void *ctx),
                void *ctx) MUST_CHECK;

/* Write the captures row's totals and end time (flows_written is the
 * writer's own count) and commit. */
int writer_capture_end(struct writer *w, const struct writer_totals *t) MUST_CHECK;

/*
 * Run fn(db, ctx) on the writer's connection once every queued flow row is
 * inserted, in the open transaction (one is begun if none is), so fn's rows
 * are committed with the flows (capture/identity.c: endpoints and
 * ip_ifaces).  fn must use a savepoint of its own to undo a failure; its
 * failure is returned but not latched (the flows go on).  Returns the
 * latched error first, else fn's result.
 */
int writer_with_db(struct writer *w, int (*fn)(sqlite3 *db, void *ctx), void *ctx) MUST_CHECK;

/* Flow rows inserted so far (committed or not); any thread may ask. */
uint64_t writer_flows(const struct writer *w);

/* 0, or the first error met (already reported). */
int writer_failed(const struct writer *w);

/* Stop the thread once it has done what was handed to it (rows, jobs,
 * commits; the batch of rows still being filled is dropped), roll back
 * anything uncommitted, close the .db (which checkpoints the WAL into it).
 * *w is set to NULL; NULL does nothing. */
void writer_close(struct writer **w);

#endif
