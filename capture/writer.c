/*
 * writer.c: the .db writer of podflow-capture (see writer.h for the model).
 *
 * Why a thread: at a million flows the capture spends about as long in
 * SQLite as in decoding (one row costs roughly as much as ten packets), and
 * the machines we run on have two cores.  The decoding thread copies each
 * finished flow into a batch of WRITER_BATCH records; full batches go
 * through a small bounded queue to the writer thread, which is the only
 * thread touching SQLite while batches are in flight.  What a live
 * capture does every --commit-interval goes through the same queue, in
 * order with the rows: writer_post()'s jobs (the sockets of process
 * attribution, netlink's identities) and writer_commit_async()'s commits,
 * which the thread runs with the WAL's checkpoints, so the packet thread
 * never waits on SQLite or on the disk there: while it waits, nobody
 * empties the capture's rings.  Rare operations (captures and interfaces rows, writer_with_db(),
 * writer_commit()) first wait until the queue is empty and the thread
 * idle, then run in the caller's thread: the connection is never used by
 * two threads at once.
 *
 * Rows are written with statements prepared once (SQLITE_PREPARE_
 * PERSISTENT), WRITER_MULTI rows each, bound per row, inside BEGIN
 * IMMEDIATE ... COMMIT so a second writer on the same file gets "database
 * is locked" at once.  Open rows (flows still active at a commit) go in
 * with the others; the later records that replace them are UPDATEs by id,
 * which make no id, so they do not break the runs of inserts: rows wait in
 * a carry until WRITER_MULTI of them fill a statement, and the thread
 * inserts what waits before it goes idle.  (When a run of plain rows was
 * what made a statement, the updates after each commit's open rows sent
 * most rows in one at a time, at a higher cost a row.)
 */
#include "capture/writer.h"

#include <arpa/inet.h>
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "capture/flow.h"
#include "capture/writer_int.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* Flows per hand-over between the threads: large enough that the lock is
 * taken once per thousand rows, small enough to keep memory flat. */
#define WRITER_BATCH 1024
/* Rows per INSERT statement in bulk: one statement's fixed cost (step,
 * reset, opening the table cursor) shared by 16 rows cut the writer
 * thread's time per row by a fifth (1.3 to 1.05 us at 1M flows); 64 rows
 * cut another 3% of its instructions (256: 1% more); 64 x 25 parameters
 * stay far below SQLite's limit of 32766. */
#define WRITER_MULTI 64

/* Batches queued at most before writer_flow() waits: 64 x 1024 records of
 * ~130 bytes bound the queue at ~8 MB, enough to ride out a checkpoint's
 * sync (tens of ms) without stalling the decoder. */
#define WRITER_QUEUE 64

/* WAL pages after which the writer thread checkpoints (PASSIVE) after a
 * commit: 4096 pages (16 MB) rather than SQLite's 1000, since each
 * checkpoint syncs the file; the WAL stays bounded for long captures. */
#define WRITER_CHECKPOINT_PAGES 4096

/* Columns of a flows row we bind. */
#define WRITER_COLS 26
/* Columns of a lean row: the first WRITER_COLS_LEAN of them (up to
 * icmp_id), all a row needs when interim, dnat_ip, dnat_port and open
 * hold their defaults (0, NULL, NULL, 0), as every row of a file without
 * a commit on time does: SQLite loads a default once per statement, and a
 * bound column costs a bind check and two VM steps a row. */
#define WRITER_COLS_LEAN 22

/*
 * What each parameter of an insert statement holds now.  SQLite keeps
 * bindings across sqlite3_reset(), and most integer columns repeat from
 * row to row (capture_id, interim, icmp_count, the NULLs of the optional
 * columns): those are bound again only when their value changes, which
 * saves a bind call (about 80 instructions) each.  Text is always bound:
 * its buffers are reused.
 */
enum { MEMO_UNSET, MEMO_NULL, MEMO_INT, MEMO_TEXT };

struct bind_memo {
    uint8_t kind[WRITER_MULTI * WRITER_COLS];
    int64_t v[WRITER_MULTI * WRITER_COLS];
};

/* writer_post()'s job: fn(db, ctx) on the thread, then release(ctx). */
struct writer_job {
    int (*fn)(sqlite3 *db, void *ctx); /* NULL: none */
    void (*release)(void *ctx);        /* may be NULL */
    void *ctx;                         /* owned by the writer once posted */
};

struct writer_batch {
    size_t n;                          /* records used */
    struct writer_job job;             /* run after the records */
    int commit;                        /* then commit (writer_commit_async()) */
    struct flow_rec rec[WRITER_BATCH]; /* copies of emitted flows */
};

struct writer {
    sqlite3 *db;               /* owned */
    int lockfd;                /* holds the writer's lock on the case (db.h) */
    sqlite3_stmt *ins_flow;    /* owned, prepared once: one row */
    sqlite3_stmt *ins_multi;   /* owned, prepared once: WRITER_MULTI rows */
    sqlite3_stmt *ins_lean;    /* owned, prepared once: WRITER_MULTI lean rows */
    sqlite3_stmt *upd_flow;    /* owned, prepared once: a flow's open row, replaced */
    struct bind_memo memo_upd; /* parameters of upd_flow */
    int64_t *open_rowid;       /* malloc'd: flows.id of the open row of each flow_rec.slot,
                                  0: none, -1: waiting in carry (writer thread only) */
    size_t n_open_rowid;
    struct bind_memo memo_flow; /* parameters of ins_flow, of ins_multi, of ins_lean */
    struct bind_memo memo_multi;
    struct bind_memo memo_lean;
    /* Rows to insert, in order, waiting to fill one ins_multi statement
     * (writer thread only; inserted before the thread goes idle).  An
     * open row waiting here has open_rowid -1. */
    struct flow_rec carry[WRITER_MULTI];
    size_t n_carry;
    struct diag *d;     /* not owned; outlives the writer */
    char *path;         /* malloc'd, for messages */
    int64_t capture_id; /* captures.id, 0 before writer_capture_begin() */
    int wal_pages;      /* pages in the WAL after the last commit (the WAL hook) */
    size_t batch_rows;  /* commit after this many rows in a transaction */

    /* Touched by the writer thread only while it holds a batch; by the
     * caller only while the thread is idle with an empty queue. */
    int in_txn;      /* a transaction is open */
    size_t txn_rows; /* rows in the open transaction */
    /* Rows inserted: written by whichever thread inserts, read by
     * writer_flows() at any time (the progress line), hence atomic. */
    _Atomic uint64_t flows;

    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;                   /* queue not empty, or stop */
    pthread_cond_t cv_idle;                   /* a batch was done (queue shorter, maybe idle) */
    struct writer_batch *queue[WRITER_QUEUE]; /* ring of full batches */
    size_t q_head, q_len;
    struct writer_batch *spare[WRITER_QUEUE + 1]; /* free batches */
    size_t n_spare;
    size_t n_alloc; /* batches allocated in all */
    int busy;       /* the thread is inserting a batch */
    int stop;       /* the thread should exit once the queue is empty */
    int err;        /* first error, latched (under mu) */

    struct writer_batch *cur; /* batch being filled by the caller, or NULL */
};

static const char sql_ins_flow[] =
    "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,"
    " last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, flags_fwd, flags_rev, state,"
    " history, icmp_type, icmp_code, iface, vlan, icmp_count, icmp_id, interim, dnat_ip,"
    " dnat_port, open) VALUES ";
/* One row's parameters, WRITER_COLS of them. */
static const char sql_ins_row[] = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
/* The same for lean rows (WRITER_COLS_LEAN). */
static const char sql_ins_lean[] =
    "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,"
    " last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, flags_fwd, flags_rev, state,"
    " history, icmp_type, icmp_code, iface, vlan, icmp_count, icmp_id) VALUES ";
static const char sql_lean_row[] = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
/* A flow's open row replaced by its later state, the same WRITER_COLS
 * columns in the same order, then the row's id. */
static const char sql_upd_flow[] =
    "UPDATE flows SET (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,"
    " last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, flags_fwd, flags_rev, state,"
    " history, icmp_type, icmp_code, iface, vlan, icmp_count, icmp_id, interim, dnat_ip,"
    " dnat_port, open) = (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) WHERE id = ?";

static void writer_latch(struct writer *w, int err)
{
    pthread_mutex_lock(&w->mu);
    if (!w->err)
        w->err = err;
    pthread_mutex_unlock(&w->mu);
}

/* Report a SQLite failure once and latch ERR_DB. */
static int writer_sqlfail(struct writer *w, const char *what)
{
    int first;

    pthread_mutex_lock(&w->mu);
    first = !w->err;
    if (first)
        w->err = ERR_DB;
    pthread_mutex_unlock(&w->mu);
    if (first)
        diag_err(w->d, "cannot %s in '%s': %s", what, w->path, sqlite3_errmsg(w->db));
    return ERR_DB;
}

static int writer_exec(struct writer *w, const char *what, const char *sql)
{
    if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return writer_sqlfail(w, what);
    return 0;
}

/* captures.flows_written = the rows inserted so far; SQLite's code. */
static int writer_set_written(struct writer *w)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(w->db, "UPDATE captures SET flows_written = ?2 WHERE id = ?1", -1,
                                 &st, NULL);

    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, w->capture_id);
        sqlite3_bind_int64(st, 2, (int64_t)atomic_load_explicit(&w->flows, memory_order_relaxed));
        src = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    return src;
}

/* sqlite3_wal_hook(): after every commit, how many pages the WAL holds.
 * Called in the committing thread, which holds the connection. */
static int writer_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct writer *w = arg;

    (void)db;
    (void)name;
    w->wal_pages = pages;
    return SQLITE_OK;
}

/*
 * Copy the WAL back into the file once it holds WRITER_CHECKPOINT_PAGES,
 * as SQLite's automatic checkpoint would (PASSIVE: it waits for no reader,
 * such as an analyzer reading the case meanwhile), but only here, after a
 * commit of a transaction of ours (writer_commit_txn()): the automatic one
 * is off (writer_open()), since it would run after any commit, the
 * interfaces rows' autocommits on the caller's thread too, and it syncs
 * the file.  A checkpoint that cannot finish is tried again after the
 * next commit: the WAL only grows meanwhile.
 */
static void writer_checkpoint(struct writer *w)
{
    if (w->wal_pages < WRITER_CHECKPOINT_PAGES)
        return;
    if (sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
        w->wal_pages = 0;
}

static int writer_begin_txn(struct writer *w)
{
    int rc;

    if (w->in_txn)
        return 0;
    rc = writer_exec(w, "begin a transaction", "BEGIN IMMEDIATE");
    if (rc == 0) {
        w->in_txn = 1;
        w->txn_rows = 0;
    }
    return rc;
}

static int writer_commit_txn(struct writer *w)
{
    if (!w->in_txn)
        return 0;
    /* captures.flows_written is true after every commit, not only at the
     * end: a capture stopped by a full disk (or kill -9) still says how
     * many rows it committed.  Same transaction: both or neither. */
    if (w->capture_id && w->txn_rows && writer_set_written(w) != 0)
        return writer_sqlfail(w, "update the capture");
    if (sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = writer_sqlfail(w, "commit");

        /* A failed COMMIT (disk full) may leave the transaction open:
         * roll it back so the connection is usable and the file holds
         * exactly what was committed before. */
        if (!sqlite3_get_autocommit(w->db))
            sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
        w->in_txn = 0;
        return rc;
    }
    w->in_txn = 0;
    w->txn_rows = 0;
    writer_checkpoint(w);
    return 0;
}

/* Dotted quad of a[0..4) into buf (>= 16 bytes); returns the length.
 * glibc's inet_ntop() formats IPv4 through sprintf, which was a tenth of
 * the writer's time; this is the same canonical text. */
TESTABLE int fmt_ipv4(const uint8_t *a, char *buf)
{
    char *p = buf;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned v = a[i];

        if (i)
            *p++ = '.';
        if (v >= 100) {
            *p++ = (char)('0' + v / 100);
            v %= 100;
            *p++ = (char)('0' + v / 10);
        } else if (v >= 10) {
            *p++ = (char)('0' + v / 10);
        }
        *p++ = (char)('0' + v % 10);
    }
    *p = '\0';
    return (int)(p - buf);
}

/*
 * Text of the IPv6 address a[0..16) into buf (>= INET6_ADDRSTRLEN bytes);
 * returns the length.  glibc's inet_ntop() builds each group with
 * sprintf("%x"): ten sprintf calls an address, the writer's largest cost
 * after SQLite on IPv6 rows.  Same text as inet_ntop (RFC 5952 section 4):
 * lower-case hex without leading zeros; the longest run of two or more zero
 * groups, the leftmost of equal runs, becomes "::", a single zero group
 * stays "0"; and as glibc does, an address whose first 96 bits are zero
 * (and not ::, ::1 style: a run of exactly six groups) or that is
 * ::ffff:0:0/96 ends in a dotted quad.
 */
TESTABLE int fmt_ipv6(const uint8_t *a, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    unsigned g[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    char *p = buf;
    int i;

    for (i = 0; i < 8; i++) {
        g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
        if (g[i] == 0) {
            if (cur < 0) {
                cur = i;
                cur_len = 0;
            }
            cur_len++;
            if (cur_len > best_len) {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur = -1;
        }
    }
    if (best_len < 2)
        best = -1;
    for (i = 0; i < 8; i++) {
        unsigned v = g[i];

        if (i == best) {
            *p++ = ':';
            i += best_len - 1;
            if (i == 7)
                *p++ = ':';
            continue;
        }
        if (i)
            *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && g[5] == 0xffff))) {
            p += fmt_ipv4(a + 12, p);
            return (int)(p - buf);
        }
        if (v >= 0x1000)
            *p++ = hex[v >> 12];
        if (v >= 0x100)
            *p++ = hex[(v >> 8) & 0xf];
        if (v >= 0x10)
            *p++ = hex[(v >> 4) & 0xf];
        *p++ = hex[v & 0xf];
    }
    *p = '\0';
    return (int)(p - buf);
}

static void bind_ip(sqlite3_stmt *st, int col, int family, const uint8_t *addr, char *buf,
                    size_t size)
{
    int len;

    (void)size;
    if (family == 6) {
        len = fmt_ipv6(addr, buf);
    } else {
        len = fmt_ipv4(addr, buf);
    }
    sqlite3_bind_text(st, col, buf, len, SQLITE_STATIC);
}

/* Bind integer v (or NULL) to parameter col unless it holds it already. */
static inline void memo_int(sqlite3_stmt *st, struct bind_memo *m, int col, int64_t v)
{
    if (m->kind[col - 1] != MEMO_INT || m->v[col - 1] != v) {
        sqlite3_bind_int64(st, col, v);
        m->kind[col - 1] = MEMO_INT;
        m->v[col - 1] = v;
    }
}

static inline void memo_null(sqlite3_stmt *st, struct bind_memo *m, int col)
{
    if (m->kind[col - 1] != MEMO_NULL) {
        sqlite3_bind_null(st, col);
        m->kind[col - 1] = MEMO_NULL;
    }
}

static inline void memo_opt(sqlite3_stmt *st, struct bind_memo *m, int col, int64_t v, int present)
{
    if (present)
        memo_int(st, m, col, v);
    else
        memo_null(st, m, col);
}

static void bind_opt(sqlite3_stmt *st, int col, int64_t v, int present)
{
    if (present)
        sqlite3_bind_int64(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

/* Bind r as the row starting at parameter base + 1 of st, its first cols
 * columns (WRITER_COLS, or WRITER_COLS_LEAN for a lean row).  src, dst and
 * dnat (INET6_ADDRSTRLEN each) hold the address texts until the step.
 * ERR_INVALID (reported, latched) when the state word is not Zeek's. */
static int writer_bind_row(struct writer *w, sqlite3_stmt *st, struct bind_memo *m, int base,
                           int cols, const struct flow_rec *r, char *src, char *dst, char *dnat)
{
    size_t slen;

    memo_int(st, m, base + 1, w->capture_id);
    memo_int(st, m, base + 2, r->proto);
    bind_ip(st, base + 3, r->family, r->src, src, INET6_ADDRSTRLEN);
    m->kind[base + 2] = MEMO_TEXT;
    memo_int(st, m, base + 4, r->src_port);
    bind_ip(st, base + 5, r->family, r->dst, dst, INET6_ADDRSTRLEN);
    m->kind[base + 4] = MEMO_TEXT;
    memo_int(st, m, base + 6, r->dst_port);
    memo_int(st, m, base + 7, r->first_ns);
    memo_int(st, m, base + 8, r->last_ns);
    memo_int(st, m, base + 9, (int64_t)r->packets_fwd);
    memo_int(st, m, base + 10, (int64_t)r->bytes_fwd);
    memo_int(st, m, base + 11, (int64_t)r->packets_rev);
    memo_int(st, m, base + 12, (int64_t)r->bytes_rev);
    memo_int(st, m, base + 13, r->flags_fwd);
    memo_int(st, m, base + 14, r->flags_rev);
    /* state and history are NUL-terminated inside fixed arrays; bound with
     * an explicit bound so a missing NUL cannot run past them. */
    slen = strnlen(r->state, sizeof(r->state));
    if (!db_state_valid(r->state, slen)) {
        int first;

        pthread_mutex_lock(&w->mu);
        first = !w->err;
        if (first)
            w->err = ERR_INVALID;
        pthread_mutex_unlock(&w->mu);
        if (first)
            diag_err(w->d, "cannot insert a flow in '%s': invalid state '%.*s'", w->path, (int)slen,
                     r->state);
        return ERR_INVALID;
    }
    sqlite3_bind_text(st, base + 15, r->state, (int)slen, SQLITE_STATIC);
    m->kind[base + 14] = MEMO_TEXT;
    if (r->history[0]) {
        sqlite3_bind_text(st, base + 16, r->history, (int)strnlen(r->history, sizeof(r->history)),
                          SQLITE_STATIC);
        m->kind[base + 15] = MEMO_TEXT;
    } else {
        memo_null(st, m, base + 16);
    }
    memo_opt(st, m, base + 17, r->icmp_type, r->icmp_type >= 0);
    memo_opt(st, m, base + 18, r->icmp_code, r->icmp_code >= 0);
    memo_opt(st, m, base + 19, r->iface, r->iface != 0);
    memo_opt(st, m, base + 20, r->vlan, r->vlan >= 0);
    memo_int(st, m, base + 21, r->icmp_count);
    memo_opt(st, m, base + 22, r->icmp_id, r->icmp_id >= 0);
    if (cols == WRITER_COLS_LEAN)
        return 0;
    memo_int(st, m, base + 23, r->interim ? 1 : 0);
    if (r->dnat_family == 4 || r->dnat_family == 6) {
        bind_ip(st, base + 24, r->dnat_family, r->dnat, dnat, INET6_ADDRSTRLEN);
        m->kind[base + 23] = MEMO_TEXT;
        memo_int(st, m, base + 25, r->dnat_port);
    } else {
        memo_null(st, m, base + 24);
        memo_null(st, m, base + 25);
    }
    memo_int(st, m, base + 26, r->open ? 1 : 0);
    return 0;
}

/* Whether the last WRITER_COLS - WRITER_COLS_LEAN columns of every row of
 * rec[0..n) hold their defaults. */
static int writer_all_lean(const struct flow_rec *rec, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (rec[i].interim || rec[i].open || rec[i].dnat_family == 4 || rec[i].dnat_family == 6)
            return 0;
    return 1;
}

/* Insert rec[0..n), n being 1 or WRITER_MULTI, with one statement (the
 * lean one when every row is). */
static int writer_insert(struct writer *w, const struct flow_rec *rec, size_t n)
{
    sqlite3_stmt *st = n == 1 ? w->ins_flow : w->ins_multi;
    struct bind_memo *m = n == 1 ? &w->memo_flow : &w->memo_multi;
    char src[WRITER_MULTI][INET6_ADDRSTRLEN], dst[WRITER_MULTI][INET6_ADDRSTRLEN];
    char dnat[WRITER_MULTI][INET6_ADDRSTRLEN];
    int cols = WRITER_COLS;
    size_t i;
    int rc;

    if (n == WRITER_MULTI && writer_all_lean(rec, n)) {
        st = w->ins_lean;
        m = &w->memo_lean;
        cols = WRITER_COLS_LEAN;
    }
    for (i = 0; i < n; i++) {
        rc = writer_bind_row(w, st, m, (int)i * cols, cols, &rec[i], src[i], dst[i], dnat[i]);
        if (rc) {
            sqlite3_reset(st);
            return rc;
        }
    }
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return writer_sqlfail(w, "insert a flow");
    atomic_fetch_add_explicit(&w->flows, n, memory_order_relaxed);
    w->txn_rows += n;
    return 0;
}

/* The open row of flow slot (0: none), and a place to set it. */
static int64_t *writer_open_slot(struct writer *w, uint32_t slot)
{
    if (slot >= w->n_open_rowid) {
        size_t n = w->n_open_rowid ? w->n_open_rowid : 1024;

        while (n <= slot)
            n *= 2;
        w->open_rowid = xreallocarray(w->open_rowid, n, sizeof(*w->open_rowid));
        memset(w->open_rowid + w->n_open_rowid, 0, (n - w->n_open_rowid) * sizeof(*w->open_rowid));
        w->n_open_rowid = n;
    }
    return &w->open_rowid[slot];
}

/* Remember the ids of the open rows among rec[0..n), just inserted by one
 * statement: a rowid table without AUTOINCREMENT gives each new row the
 * largest id plus one (https://sqlite.org/autoinc.html), so one
 * statement's rows hold consecutive ids ending at the last one inserted
 * (this writer holds the case's lock: no other connection inserts). */
static void writer_note_open(struct writer *w, const struct flow_rec *rec, size_t n)
{
    int64_t first = sqlite3_last_insert_rowid(w->db) - (int64_t)n + 1;
    size_t i;

    for (i = 0; i < n; i++)
        if (rec[i].open)
            *writer_open_slot(w, rec[i].slot) = first + (int64_t)i;
}

/*
 * Insert what waits in the carry: WRITER_MULTI rows with one statement
 * when the carry is full and the transaction has room for them, else
 * (all, or the transaction's commit mark is nearer than WRITER_MULTI rows)
 * one row at a time from the front, so that the thread commits every
 * batch_rows rows exactly.  0, or the latched error.
 */
static int writer_carry_insert(struct writer *w, int all)
{
    size_t done = 0;
    int rc = 0;

    while (done < w->n_carry) {
        size_t left = w->n_carry - done;
        size_t room = w->batch_rows - w->txn_rows;
        size_t n;

        if (left == WRITER_MULTI && room >= WRITER_MULTI)
            n = WRITER_MULTI;
        else if (all || room < WRITER_MULTI)
            n = 1;
        else
            break;
        rc = writer_begin_txn(w);
        if (!rc)
            rc = writer_insert(w, &w->carry[done], n);
        if (rc)
            break;
        writer_note_open(w, &w->carry[done], n);
        done += n;
        if (w->txn_rows >= w->batch_rows) {
            rc = writer_commit_txn(w);
            if (rc)
                break;
        }
    }
    if (done > 0) {
        memmove(w->carry, w->carry + done, (w->n_carry - done) * sizeof(w->carry[0]));
        w->n_carry -= done;
    }
    return rc;
}

/* The open row of slot waiting in the carry (there is at most one: a
 * later record of the flow replaces it in place), or NULL. */
static struct flow_rec *writer_carried_open(struct writer *w, uint32_t slot)
{
    size_t i;

    for (i = 0; i < w->n_carry; i++)
        if (w->carry[i].slot == slot && w->carry[i].open)
            return &w->carry[i];
    return NULL;
}

/*
 * One record.  A record replacing its flow's open row (flow.h: open,
 * replaces) updates that row in place, or, when the row still waits in
 * the carry, takes its place there; the final record of a flow (open 0)
 * forgets the row.  Every other record joins the carry, in order: rows
 * get their ids in the order the flow table emitted them, only the
 * updates (which make no id) go ahead.
 */
static int writer_put(struct writer *w, const struct flow_rec *r)
{
    int64_t *rowid = NULL;
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], dnat[INET6_ADDRSTRLEN];
    int rc;

    if (r->open | r->replaces)
        rowid = writer_open_slot(w, r->slot);
    if (r->replaces && *rowid == -1) {
        struct flow_rec *c = writer_carried_open(w, r->slot);

        if (c) {
            *c = *r;
            if (!r->open)
                *rowid = 0;
            return 0;
        }
        *rowid = 0; /* lost with a failed insert: this record makes a new row */
    }
    if (r->replaces && *rowid > 0) {
        rc = writer_begin_txn(w);
        if (rc)
            return rc;
        rc = writer_bind_row(w, w->upd_flow, &w->memo_upd, 0, WRITER_COLS, r, src, dst, dnat);
        if (rc) {
            sqlite3_reset(w->upd_flow);
            return rc;
        }
        sqlite3_bind_int64(w->upd_flow, WRITER_COLS + 1, *rowid);
        rc = sqlite3_step(w->upd_flow);
        sqlite3_reset(w->upd_flow);
        if (rc != SQLITE_DONE)
            return writer_sqlfail(w, "update an open flow");
        if (!r->open)
            *rowid = 0;
        w->txn_rows++;
        if (w->txn_rows >= w->batch_rows)
            return writer_commit_txn(w);
        return 0;
    }
    assert(w->n_carry < WRITER_MULTI); /* writer_carry_insert() left room, or failed */
    w->carry[w->n_carry++] = *r;
    if (r->open)
        *rowid = -1;
    return writer_carry_insert(w, 0);
}

/* Whether rec[0..n) starts with WRITER_MULTI plain rows (no open row
 * made or replaced). */
static int writer_plain_run(const struct flow_rec *rec, size_t n)
{
    size_t i;

    if (n < WRITER_MULTI)
        return 0;
    for (i = 0; i < WRITER_MULTI; i++)
        if (rec[i].open | rec[i].replaces)
            return 0;
    return 1;
}

/* Insert one batch; what does not fill a statement waits in the carry.
 * WRITER_MULTI plain rows in a row, with nothing waiting, go in straight
 * from the batch (the common case: no copy). */
static void writer_do_batch(struct writer *w, const struct writer_batch *b)
{
    size_t i = 0;
    int err;

    pthread_mutex_lock(&w->mu);
    err = w->err;
    pthread_mutex_unlock(&w->mu);
    if (err)
        return;
    while (i < b->n) {
        if (w->n_carry == 0 && w->batch_rows - w->txn_rows >= WRITER_MULTI &&
            writer_plain_run(&b->rec[i], b->n - i)) {
            if (writer_begin_txn(w) || writer_insert(w, &b->rec[i], WRITER_MULTI))
                return;
            i += WRITER_MULTI;
            if (w->txn_rows >= w->batch_rows && writer_commit_txn(w))
                return;
            continue;
        }
        if (writer_put(w, &b->rec[i]))
            return;
        i++;
    }
}

/* Drop a batch's job unrun (the writer failed, or is closing). */
static void writer_job_release(struct writer_job *j)
{
    if (j->fn && j->release)
        j->release(j->ctx);
    memset(j, 0, sizeof(*j));
}

/* A batch on the thread: its rows, then its job in the same transaction
 * (a failure of the job is its own: reported by fn, not latched), then
 * the commit it carries.  The rows waiting in the carry go in before
 * either: the job sees every row queued before it, the commit covers
 * them.  Nothing after a latched error. */
static void writer_run_batch(struct writer *w, struct writer_batch *b)
{
    int err;

    writer_do_batch(w, b);
    pthread_mutex_lock(&w->mu);
    err = w->err;
    pthread_mutex_unlock(&w->mu);
    if (!err && (b->job.fn || b->commit) && w->n_carry > 0 && writer_carry_insert(w, 1))
        err = 1; /* latched */
    if (!err && b->job.fn && writer_begin_txn(w) == 0)
        (void)b->job.fn(w->db, b->job.ctx);
    writer_job_release(&b->job);
    if (!err && b->commit)
        (void)writer_commit_txn(w); /* a failure is latched */
    b->commit = 0;
}

static void *writer_thread(void *arg)
{
    struct writer *w = arg;
    struct writer_batch *b;
    int err;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->q_len == 0 && !w->stop)
            pthread_cond_wait(&w->cv_work, &w->mu);
        if (w->q_len == 0)
            break;
        b = w->queue[w->q_head];
        w->q_head = (w->q_head + 1) % WRITER_QUEUE;
        w->q_len--;
        w->busy = 1;
        pthread_mutex_unlock(&w->mu);

        writer_run_batch(w, b);

        pthread_mutex_lock(&w->mu);
        b->n = 0;
        w->spare[w->n_spare++] = b;
        if (w->q_len == 0 && w->n_carry > 0) {
            /* About to idle: the caller may use the connection next
             * (writer_sync()) and expects every row inserted.  A batch
             * queued meanwhile is taken next, behind these rows. */
            err = w->err;
            pthread_mutex_unlock(&w->mu);
            if (!err)
                (void)writer_carry_insert(w, 1);
            w->n_carry = 0;
            pthread_mutex_lock(&w->mu);
        }
        w->busy = 0;
        pthread_cond_broadcast(&w->cv_idle);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Start the thread on first use, so that -Z can drop privileges while the
 * process is still single-threaded (see priv.c).  The thread takes no
 * signals: the main thread handles them. */
static int writer_start(struct writer *w)
{
    sigset_t all, old;
    int rc;

    if (w->thread_started)
        return 0;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->thread, NULL, writer_thread, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        diag_err(w->d, "cannot start the writer thread: %s", strerror(rc));
        writer_latch(w, -rc);
        return -rc;
    }
    w->thread_started = 1;
    return 0;
}

/* Hand the batch being filled to the thread. */
static void writer_submit(struct writer *w)
{
    struct writer_batch *b = w->cur;

    if (!b || (b->n == 0 && !b->job.fn && !b->commit))
        return;
    if (writer_start(w)) {
        b->n = 0;
        writer_job_release(&b->job);
        b->commit = 0;
        return;
    }
    w->cur = NULL;
    pthread_mutex_lock(&w->mu);
    while (w->q_len == WRITER_QUEUE)
        pthread_cond_wait(&w->cv_idle, &w->mu);
    w->queue[(w->q_head + w->q_len) % WRITER_QUEUE] = b;
    w->q_len++;
    pthread_cond_signal(&w->cv_work);
    pthread_mutex_unlock(&w->mu);
}

/* Submit what is pending and wait until the thread is idle with an empty
 * queue: afterwards the caller may use the connection.  Returns the
 * latched error. */
static int writer_sync(struct writer *w)
{
    int err;

    writer_submit(w);
    pthread_mutex_lock(&w->mu);
    while (w->q_len > 0 || w->busy)
        pthread_cond_wait(&w->cv_idle, &w->mu);
    err = w->err;
    pthread_mutex_unlock(&w->mu);
    return err;
}

/* Make sure w->cur is a batch to fill, taken from the spares (waiting for
 * one when every batch is queued).  0, or after a failure the latched
 * error (and no batch). */
static int writer_cur(struct writer *w)
{
    if (w->cur)
        return 0;
    pthread_mutex_lock(&w->mu);
    if (w->err) {
        int err = w->err;

        pthread_mutex_unlock(&w->mu);
        return err;
    }
    /* Batches are allocated on demand up to the queue's size plus the
     * one being filled; then the caller waits for one to come back. */
    if (w->n_spare == 0 && w->n_alloc < WRITER_QUEUE + 1) {
        w->n_alloc++;
        pthread_mutex_unlock(&w->mu);
        w->cur = xmalloc(sizeof(*w->cur));
    } else {
        while (w->n_spare == 0)
            pthread_cond_wait(&w->cv_idle, &w->mu);
        w->cur = w->spare[--w->n_spare];
        pthread_mutex_unlock(&w->mu);
    }
    w->cur->n = 0;
    w->cur->commit = 0;
    memset(&w->cur->job, 0, sizeof(w->cur->job));
    return 0;
}

void writer_flow(struct writer *w, const struct flow_rec *rec)
{
    if (writer_cur(w))
        return;
    w->cur->rec[w->cur->n++] = *rec;
    if (w->cur->n == WRITER_BATCH)
        writer_submit(w);
}

/* Prepare head followed by n copies of row, comma-separated, into *st. */
static int writer_prepare_rows(struct writer *w, const char *head, const char *row, int n,
                               sqlite3_stmt **st)
{
    struct buf sql;
    int i, src;

    buf_init(&sql, 0);
    for (i = 0; i < n; i++) {
        if (buf_addstr(&sql, i ? "," : head) || buf_addstr(&sql, row)) {
            buf_release(&sql);
            diag_err(w->d, "cannot prepare the flow insert: statement too long");
            return ERR_LIMIT;
        }
    }
    src = sqlite3_prepare_v3(w->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    buf_release(&sql);
    if (src != SQLITE_OK)
        return writer_sqlfail(w, "prepare the flow insert");
    return 0;
}

/* The one-row, the WRITER_MULTI-row and the lean insert statements, and
 * the open row's update. */
static int writer_prepare_inserts(struct writer *w)
{
    int rc = writer_prepare_rows(w, sql_ins_flow, sql_ins_row, 1, &w->ins_flow);

    if (!rc)
        rc = writer_prepare_rows(w, sql_ins_flow, sql_ins_row, WRITER_MULTI, &w->ins_multi);
    if (!rc)
        rc = writer_prepare_rows(w, sql_ins_lean, sql_lean_row, WRITER_MULTI, &w->ins_lean);
    if (!rc && sqlite3_prepare_v3(w->db, sql_upd_flow, -1, SQLITE_PREPARE_PERSISTENT, &w->upd_flow,
                                  NULL) != SQLITE_OK)
        rc = writer_sqlfail(w, "prepare the flow insert");
    return rc;
}

int writer_open(const char *path, size_t batch_rows, struct diag *d, struct writer **out)
{
    struct writer *w;
    int rc;

    *out = NULL;
    w = xcalloc(1, sizeof(*w));
    atomic_init(&w->flows, 0);
    w->lockfd = -1;
    w->d = d;
    w->path = xstrdup(path);
    w->batch_rows = batch_rows ? batch_rows : LIM_WRITE_BATCH;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv_work, NULL);
    pthread_cond_init(&w->cv_idle, NULL);

    /* Our connection is used by one thread at a time (see above), so
     * SQLite's per-call mutexes are pure cost: 25 binds and a step per
     * row.  Only possible before SQLite initialises; harmless after. */
    (void)sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    /* Nor do we read SQLite's memory statistics, whose upkeep takes a
     * global mutex on every allocation. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* One capture at a time on a case: the lock is held until
     * writer_close(). */
    rc = db_open_writer_locked(path, d, &w->db, &w->lockfd);
    if (rc)
        goto out_free;
    /*
     * Two settings of this connection only, for speed:
     * - foreign_keys off: every flow row would look up its captures and
     *   interfaces parents (a fifth of the insert's cost); we insert those
     *   parents before any row that names them, so the references hold by
     *   construction.
     * - CHECK constraints off: flows.state's CHECK (state IN (...13
     *   words)) makes SQLite build an ephemeral index per row, which
     *   cost more than the rest of the insert (1.8 us a row);
     *   writer_insert() checks the same list in C (db_state_valid()).
     * - no automatic WAL checkpoint, which would run after any commit:
     *   writer_checkpoint() does it after ours, on the writer thread
     *   (and on the caller's only in the calls that wait anyway:
     *   writer_commit(), writer_capture_begin() and _end()), never while
     *   the caller reads packets.
     */
    if (sqlite3_exec(w->db,
                     "PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 0;"
                     " PRAGMA ignore_check_constraints = ON",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = writer_sqlfail(w, "set up the connection");
        goto out_close;
    }
    sqlite3_wal_hook(w->db, writer_wal_hook, w);
    rc = writer_prepare_inserts(w);
    if (rc)
        goto out_close;
    *out = w;
    return 0;

out_close:
    sqlite3_finalize(w->ins_flow);
    sqlite3_finalize(w->ins_multi);
    sqlite3_finalize(w->ins_lean);
    sqlite3_finalize(w->upd_flow);
    db_close(&w->db, d);
    close(w->lockfd);
out_free:
    pthread_cond_destroy(&w->cv_idle);
    pthread_cond_destroy(&w->cv_work);
    pthread_mutex_destroy(&w->mu);
    free(w->path);
    free(w);
    return rc < 0 ? rc : ERR_DB;
}

static void bind_text_or_null(sqlite3_stmt *st, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, col);
}

/* Prepare sql, or report what failed. */
static int writer_prepare(struct writer *w, const char *what, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return writer_sqlfail(w, what);
    }
    return 0;
}

/* Step a one-shot statement to completion and finalize it. */
static int writer_step_once(struct writer *w, const char *what, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE) {
        rc = writer_sqlfail(w, what);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return 0;
}

int writer_capture_begin(struct writer *w, const struct writer_capture *c, int64_t *id)
{
    sqlite3_stmt *st;
    int rc;

    rc = writer_sync(w);
    if (!rc)
        rc = writer_commit_txn(w);
    if (rc)
        return rc;
    rc = writer_prepare(w, "add the capture",
                        "INSERT INTO captures (node, started_ns, interfaces, filter, snaplen,"
                        " tool_version, command, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        &st);
    if (rc)
        return rc;
    bind_text_or_null(st, 1, c->node);
    sqlite3_bind_int64(st, 2, c->started_ns);
    bind_text_or_null(st, 3, c->interfaces);
    bind_text_or_null(st, 4, c->filter);
    bind_opt(st, 5, c->snaplen, c->snaplen > 0);
    sqlite3_bind_text(st, 6, PODFLOW_VERSION, -1, SQLITE_STATIC);
    bind_text_or_null(st, 7, c->command);
    bind_text_or_null(st, 8, c->source);
    /* Autocommit: the row is on disk before the first packet. */
    rc = writer_step_once(w, "add the capture", st);
    if (rc)
        return rc;
    w->capture_id = sqlite3_last_insert_rowid(w->db);
    *id = w->capture_id;
    return 0;
}

int writer_iface_add(struct writer *w, const char *name, int ifindex, int64_t appeared_ns,
                     int linktype, int64_t *id)
{
    sqlite3_stmt *st;
    int rc;

    rc = writer_sync(w);
    if (rc)
        return rc;
    rc = writer_prepare(w, "add an interface",
                        "INSERT INTO interfaces (capture_id, name, ifindex, appeared_ns, linktype)"
                        " VALUES (?1, ?2, ?3, ?4, ?5)",
                        &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, w->capture_id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    bind_opt(st, 3, ifindex, ifindex >= 0);
    bind_opt(st, 4, appeared_ns, appeared_ns != 0);
    sqlite3_bind_int(st, 5, linktype);
    rc = writer_step_once(w, "add an interface", st);
    if (rc)
        return rc;
    *id = sqlite3_last_insert_rowid(w->db);
    return 0;
}

int writer_iface_end(struct writer *w, int64_t id, int64_t vanished_ns, uint64_t seen,
                     uint64_t dropped, uint64_t if_dropped)
{
    sqlite3_stmt *st;
    int rc;

    rc = writer_sync(w);
    if (rc)
        return rc;
    rc = writer_prepare(w, "update an interface",
                        "UPDATE interfaces SET vanished_ns = ?2, packets_seen = ?3,"
                        " packets_dropped = ?4, packets_if_dropped = ?5 WHERE id = ?1",
                        &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    bind_opt(st, 2, vanished_ns, vanished_ns != 0);
    sqlite3_bind_int64(st, 3, (int64_t)seen);
    sqlite3_bind_int64(st, 4, (int64_t)dropped);
    sqlite3_bind_int64(st, 5, (int64_t)if_dropped);
    return writer_step_once(w, "update an interface", st);
}

int writer_with_db(struct writer *w, int (*fn)(sqlite3 *db, void *ctx), void *ctx)
{
    int rc = writer_sync(w);

    if (!rc && !w->in_txn)
        rc = writer_begin_txn(w);
    if (rc)
        return rc;
    return fn(w->db, ctx);
}

int writer_commit(struct writer *w)
{
    int rc = writer_sync(w);

    if (rc)
        return rc;
    return writer_commit_txn(w);
}

int writer_post(struct writer *w, int (*fn)(sqlite3 *db, void *ctx), void (*release)(void *ctx),
                void *ctx)
{
    int rc = writer_cur(w);

    if (rc) {
        if (release)
            release(ctx);
        return rc;
    }
    w->cur->job.fn = fn;
    w->cur->job.release = release;
    w->cur->job.ctx = ctx;
    /* Rows queued from now on go in a later batch: after the job. */
    writer_submit(w);
    return writer_failed(w);
}

int writer_commit_async(struct writer *w)
{
    int rc = writer_cur(w);

    if (rc)
        return rc;
    w->cur->commit = 1;
    writer_submit(w);
    return writer_failed(w);
}

int writer_capture_end(struct writer *w, const struct writer_totals *t)
{
    sqlite3_stmt *st;
    int rc;

    rc = writer_sync(w);
    if (rc)
        return rc;
    rc = writer_prepare(w, "update the capture",
                        "UPDATE captures SET ended_ns = ?2, packets_seen = ?3,"
                        " packets_dropped = ?4, packets_if_dropped = ?5, flows_written = ?6,"
                        " packets_malformed = ?7, packets_other = ?8, fragments_orphan = ?9,"
                        " flows_evicted = ?10, icmp_unmatched = ?11 WHERE id = ?1",
                        &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, w->capture_id);
    sqlite3_bind_int64(st, 2, t->ended_ns);
    sqlite3_bind_int64(st, 3, (int64_t)t->packets_seen);
    sqlite3_bind_int64(st, 4, (int64_t)t->packets_dropped);
    sqlite3_bind_int64(st, 5, (int64_t)t->packets_if_dropped);
    sqlite3_bind_int64(st, 6, (int64_t)atomic_load_explicit(&w->flows, memory_order_relaxed));
    sqlite3_bind_int64(st, 7, (int64_t)t->packets_malformed);
    sqlite3_bind_int64(st, 8, (int64_t)t->packets_other);
    sqlite3_bind_int64(st, 9, (int64_t)t->fragments_orphan);
    sqlite3_bind_int64(st, 10, (int64_t)t->flows_evicted);
    sqlite3_bind_int64(st, 11, (int64_t)t->icmp_unmatched);
    rc = writer_step_once(w, "update the capture", st);
    if (rc)
        return rc;
    return writer_commit_txn(w);
}

uint64_t writer_flows(const struct writer *w)
{
    return atomic_load_explicit(&w->flows, memory_order_relaxed);
}

int writer_failed(const struct writer *w)
{
    int err;

    pthread_mutex_lock((pthread_mutex_t *)&w->mu);
    err = w->err;
    pthread_mutex_unlock((pthread_mutex_t *)&w->mu);
    return err;
}

void writer_close(struct writer **wp)
{
    struct writer *w = *wp;
    size_t i;

    if (!w)
        return;
    *wp = NULL;
    /* The batch being filled is dropped; the thread inserts the queued
     * ones (and runs their jobs and commits) before it stops, and what no
     * commit covers is rolled back: only writer_commit(),
     * writer_commit_async() and writer_capture_end() make rows durable. */
    if (w->cur)
        writer_job_release(&w->cur->job);
    free(w->cur);
    w->cur = NULL;
    if (w->thread_started) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_signal(&w->cv_work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    if (w->in_txn)
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    for (i = 0; i < w->q_len; i++) {
        writer_job_release(&w->queue[(w->q_head + i) % WRITER_QUEUE]->job);
        free(w->queue[(w->q_head + i) % WRITER_QUEUE]);
    }
    for (i = 0; i < w->n_spare; i++)
        free(w->spare[i]);
    sqlite3_finalize(w->ins_flow);
    sqlite3_finalize(w->ins_multi);
    sqlite3_finalize(w->ins_lean);
    sqlite3_finalize(w->upd_flow);
    free(w->open_rowid);
    db_close(&w->db, w->d);
    if (w->lockfd >= 0)
        close(w->lockfd);
    pthread_cond_destroy(&w->cv_idle);
    pthread_cond_destroy(&w->cv_work);
    pthread_mutex_destroy(&w->mu);
    free(w->path);
    free(w);
}
