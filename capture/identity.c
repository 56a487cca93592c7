/*
 * identity.c: podflow-capture's identities: --inventory files reloaded as
 * they change, netlink's intervals and conntrack's translations, written
 * into the case (see identity.h for the validity rules).
 */
#include "capture/identity.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/conntrack.h"
#include "capture/flow.h"
#include "capture/nl_ident.h"
#include "capture/writer.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/limits.h"
#include "common/polnets.h"
#include "common/pseudo.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define NS_PER_S INT64_C(1000000000)

static int64_t stat_mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * NS_PER_S + st->st_mtim.tv_nsec;
}

/* End, at t, every object the version of path just loaded no longer lists
 * (loaded before seq_before from the same file, still without an end). */
static void ident_retire(struct inventory *inv, const char *path, size_t seq_before, int64_t t)
{
    size_t i;

    for (i = 0; i < inv->npods; i++) {
        struct inv_pod *p = &inv->pods[i];

        if (p->seq <= seq_before && p->file && strcmp(p->file, path) == 0 &&
            p->deleted_ns == INV_TIME_NONE)
            p->deleted_ns = t;
    }
    for (i = 0; i < inv->nsvcs; i++) {
        struct inv_service *s = &inv->svcs[i];

        if (s->seq <= seq_before && s->file && strcmp(s->file, path) == 0 &&
            s->deleted_ns == INV_TIME_NONE)
            s->deleted_ns = t;
    }
    for (i = 0; i < inv->nslices; i++) {
        struct inv_slice *s = &inv->slices[i];

        if (s->seq <= seq_before && s->file && strcmp(s->file, path) == 0 &&
            s->deleted_ns == INV_TIME_NONE)
            s->deleted_ns = t;
    }
    for (i = 0; i < inv->nnodes; i++) {
        struct inv_node *n = &inv->nodes[i];

        if (n->seq <= seq_before && n->file && strcmp(n->file, path) == 0 &&
            n->deleted_ns == INV_TIME_NONE)
            n->deleted_ns = t;
    }
}

/* Load (or reload) one file whose stat is st. */
static int ident_load(struct ident_cap *ic, struct ident_file *f, const struct stat *st, int again)
{
    size_t seq_before = ic->inv.seq;
    size_t problems_before = ic->inv.malformed + ic->inv.field_problems;
    int rc = inventory_load_file(&ic->inv, f->path, ic->d);

    if (rc)
        return rc;
    f->problems = ic->inv.malformed + ic->inv.field_problems - problems_before;
    f->mtime_ns = stat_mtime_ns(st);
    f->size = (int64_t)st->st_size;
    f->ino = (uint64_t)st->st_ino;
    if (again) {
        ident_retire(&ic->inv, f->path, seq_before, f->mtime_ns);
        ic->reloads++;
    }
    ic->inv_dirty = 1;
    return 0;
}

int ident_cap_open(struct ident_cap *ic, struct diag *d, char **files, size_t nfiles, int live)
{
    int rc;

    memset(ic, 0, sizeof(*ic));
    atomic_init(&ic->write_failed, 0);
    ic->d = d;
    inventory_init(&ic->inv);
    ic->files = xcalloc(nfiles + 1, sizeof(*ic->files));
    ic->nfiles = nfiles;
    for (size_t i = 0; i < nfiles; i++) {
        struct ident_file *f = &ic->files[i];
        struct stat st;

        f->path = files[i];
        if (stat(f->path, &st) < 0) {
            rc = -errno;
            diag_err(d, "cannot read inventory '%s': %s", f->path, strerror(errno));
            return rc;
        }
        rc = ident_load(ic, f, &st, 0);
        if (rc)
            return rc;
    }
    if (!live)
        return 0;
    rc = nl_ident_open(d, &ic->nl);
    if (!rc)
        rc = nl_ident_dump(ic->nl);
    if (rc)
        return rc;
    if (ct_open(d, &ic->ct))
        diag_warn(d, "Service flows will not show their backend (no conntrack)");
    return 0;
}

size_t ident_cap_fds(const struct ident_cap *ic, int fds[2])
{
    size_t n = 0;

    if (ic->nl)
        fds[n++] = nl_ident_fd(ic->nl);
    if (ic->ct)
        fds[n++] = ct_fd(ic->ct);
    return n;
}

int ident_cap_events(struct ident_cap *ic, int64_t now_ns)
{
    int rc = 0;

    if (ic->nl)
        rc = nl_ident_read(ic->nl, now_ns);
    /* A conntrack failure costs only the translations. */
    if (ic->ct && ct_read(ic->ct) < 0) {
        diag_warn(ic->d, "conntrack stopped: Service flows from now on show no backend");
        ct_close(&ic->ct);
    }
    return rc;
}

void ident_cap_tick(struct ident_cap *ic, int64_t now_ns)
{
    for (size_t i = 0; i < ic->nfiles; i++) {
        struct ident_file *f = &ic->files[i];
        struct stat st;
        int64_t mt;

        if (stat(f->path, &st) < 0)
            continue; /* being replaced (mv): the next tick sees the new one */
        mt = stat_mtime_ns(&st);
        if (mt == f->mtime_ns && (int64_t)st.st_size == f->size && (uint64_t)st.st_ino == f->ino) {
            f->pend_mtime_ns = 0;
            continue;
        }
        if (f->pend_mtime_ns != mt || f->pend_size != (int64_t)st.st_size) {
            /* Changed since the last look: wait for it to hold still. */
            f->pend_mtime_ns = mt;
            f->pend_size = (int64_t)st.st_size;
            f->pend_since = now_ns;
            continue;
        }
        if (now_ns - f->pend_since < NS_PER_S)
            continue;
        f->pend_mtime_ns = 0;
        if (ident_load(ic, f, &st, 1) != 0) {
            diag_warn(ic->d,
                      "inventory '%s' changed but could not be read: keeping the last "
                      "version",
                      f->path);
            /* Do not try this version again. */
            f->mtime_ns = mt;
            f->size = (int64_t)st.st_size;
            f->ino = (uint64_t)st.st_ino;
        }
    }
}

void ident_cap_annotate(const struct ident_cap *ic, struct flow_rec *rec)
{
    if (!ct_annotate(ic->ct, rec))
        rec->dnat_family = 0;
}

/* Make internal what the inventory and netlink know now (addresses only
 * accumulate: cheap to check per flow, work only after a change). */
static void ident_redact_sync(struct ident_cap *ic)
{
    struct pseudo *p = ic->redact;
    const struct inventory *inv = &ic->inv;
    size_t i, j, k;

    if (inv->seq != ic->redact_inv_seq) {
        for (i = 0; i < inv->npods; i++)
            for (j = 0; j < inv->pods[i].nips; j++)
                pseudo_add_internal(p, &inv->pods[i].ips[j]);
        for (i = 0; i < inv->nsvcs; i++) {
            for (j = 0; j < inv->svcs[i].nips; j++)
                pseudo_add_internal(p, &inv->svcs[i].ips[j]);
            for (j = 0; j < inv->svcs[i].next_ips; j++)
                pseudo_add_internal(p, &inv->svcs[i].ext_ips[j]);
            for (j = 0; j < inv->svcs[i].nlb_ips; j++)
                pseudo_add_internal(p, &inv->svcs[i].lb_ips[j]);
        }
        for (i = 0; i < inv->nslices; i++)
            for (j = 0; j < inv->slices[i].neps; j++)
                for (k = 0; k < inv->slices[i].eps[j].naddrs; k++)
                    pseudo_add_internal(p, &inv->slices[i].eps[j].addrs[k]);
        for (i = 0; i < inv->nnodes; i++)
            for (j = 0; j < inv->nodes[i].naddrs; j++)
                pseudo_add_internal(p, &inv->nodes[i].addrs[j].ip); /* family 0: skipped */
        ic->redact_inv_seq = inv->seq;
    }
    if (ic->nl) {
        size_t n;
        const struct nl_ident_iv *iv = nl_ident_intervals(ic->nl, &n);

        /* Intervals are only ever appended (nl_ident.c). */
        for (i = ic->redact_nl_n; i < n; i++)
            pseudo_add_internal(p, &iv[i].ip);
        ic->redact_nl_n = n;
    }
}

int ident_cap_redact_enable(struct ident_cap *ic)
{
    int rc;

    ic->redact = xcalloc(1, sizeof(*ic->redact));
    rc = pseudo_init_random(ic->redact, LIM_PSEUDO_ADDRS);
    if (rc) {
        diag_err(ic->d, "cannot draw a random key: %s", strerror(-rc));
        free(ic->redact);
        ic->redact = NULL;
        return rc;
    }
    ic->redact_inv_seq = (size_t)-1; /* sync on the first flow */
    ic->redact_nl_n = 0;
    ident_redact_sync(ic);
    return 0;
}

void ident_cap_redact_keep(struct ident_cap *ic, const struct polnets *keep)
{
    ic->redact_keep = keep;
    if (ic->redact)
        pseudo_keep(ic->redact, keep);
}

/* One address of rec in place. */
static void ident_redact_addr(struct ident_cap *ic, uint8_t family, uint8_t addr[16])
{
    struct ipaddr a, out;

    if (family == 4)
        ipaddr_from_v4(&a, addr);
    else if (family == 6)
        ipaddr_from_v6(&a, addr);
    else
        return;
    if (pseudo_addr(ic->redact, &a, &out) == 2 && !ic->redact_warned) {
        diag_warn(ic->d,
                  "more than %u distinct external addresses: the further ones all share "
                  "one pseudonym (%s or %s)",
                  (unsigned)LIM_PSEUDO_ADDRS, PSEUDO_OVERFLOW_V4, PSEUDO_OVERFLOW_V6);
        ic->redact_warned = 1;
    }
    memcpy(addr, out.a, 16);
}

void ident_cap_redact(struct ident_cap *ic, struct flow_rec *rec)
{
    if (!ic->redact)
        return;
    ident_redact_sync(ic);
    ident_redact_addr(ic, rec->family, rec->src);
    ident_redact_addr(ic, rec->family, rec->dst);
    if (rec->dnat_family)
        ident_redact_addr(ic, rec->dnat_family, rec->dnat);
}

void ident_cap_redact_ip(struct ident_cap *ic, struct ipaddr *ip)
{
    if (!ic->redact || (ip->family != 4 && ip->family != 6))
        return;
    ident_redact_sync(ic);
    ident_redact_addr(ic, ip->family, ip->a);
}

int ident_cap_dirty(const struct ident_cap *ic)
{
    return !ic->written || ic->inv_dirty || (ic->nl && nl_ident_dirty(ic->nl)) ||
           atomic_load(&ic->write_failed);
}

/* One write of the identities: the netlink rows as copied, the inventory
 * (only while the caller waits: it is the caller's), then the endpoints
 * joined again.  Run on the writer's thread by ident_cap_post(). */
struct ident_job {
    struct nl_ident_rows *nl;    /* owned, or NULL (no netlink) */
    const struct inventory *inv; /* borrowed, or NULL: the inventory is not written */
    size_t problems;             /* with inv: its files' problems */
    int64_t capture_id;
    struct diag *d;     /* not owned */
    atomic_int *failed; /* set to 1 when the write fails: written again */
};

static void ident_job_free(void *arg)
{
    struct ident_job *j = arg;

    nl_ident_rows_free(&j->nl);
    free(j);
}

static int ident_write_fn(sqlite3 *db, void *arg)
{
    struct ident_job *j = arg;
    int rc;

    if (sqlite3_exec(db, "SAVEPOINT ident_cap", NULL, NULL, NULL) != SQLITE_OK) {
        diag_err(j->d, "cannot write the endpoints: %s", sqlite3_errmsg(db));
        atomic_store(j->failed, 1);
        return ERR_DB;
    }
    rc = j->nl ? nl_ident_rows_write_db(j->nl, db, j->capture_id, j->d) : 0;
    if (!rc && j->inv) {
        rc = inventory_write_db(db, j->inv, NULL, NULL, j->d);
        if (!rc)
            rc = inventory_write_problems(db, j->problems, j->d);
    }
    if (!rc)
        rc = ident_rebuild(db, NULL, j->d);
    if (rc) {
        sqlite3_exec(db, "ROLLBACK TO ident_cap; RELEASE ident_cap", NULL, NULL, NULL);
    } else if (sqlite3_exec(db, "RELEASE ident_cap", NULL, NULL, NULL) != SQLITE_OK) {
        diag_err(j->d, "cannot write the endpoints: %s", sqlite3_errmsg(db));
        rc = ERR_DB;
    }
    if (rc)
        atomic_store(j->failed, 1);
    return rc;
}

/* A job for what changed: the netlink rows copied (m no longer dirty). */
static struct ident_job *ident_job_new(struct ident_cap *ic, int64_t capture_id)
{
    struct ident_job *j = xcalloc(1, sizeof(*j));

    j->nl = ic->nl ? nl_ident_rows_take(ic->nl) : NULL;
    j->capture_id = capture_id;
    j->d = ic->d;
    j->failed = &ic->write_failed;
    atomic_store(&ic->write_failed, 0);
    ic->written = 1;
    return j;
}

int ident_cap_write(struct ident_cap *ic, struct writer *w, int64_t capture_id)
{
    struct ident_job *j = ident_job_new(ic, capture_id);
    int rc;

    /* Only a capture with an inventory replaces the case's inventory. */
    if (ic->nfiles) {
        j->inv = &ic->inv;
        for (size_t i = 0; i < ic->nfiles; i++)
            j->problems += ic->files[i].problems;
    }
    rc = writer_with_db(w, ident_write_fn, j);
    if (rc)
        atomic_store(&ic->write_failed, 1);
    else
        ic->inv_dirty = 0;
    ident_job_free(j);
    return rc;
}

int ident_cap_post(struct ident_cap *ic, struct writer *w, int64_t capture_id)
{
    int rc;

    /* The inventory is ours, not to be read on another thread: a new
     * version of it is written while we wait. */
    if (ic->nfiles && (ic->inv_dirty || !ic->written))
        return ident_cap_write(ic, w, capture_id);
    rc = writer_post(w, ident_write_fn, ident_job_free, ident_job_new(ic, capture_id));
    if (rc)
        atomic_store(&ic->write_failed, 1);
    return rc;
}

void ident_cap_release(struct ident_cap *ic)
{
    if (ic->redact) {
        pseudo_release(ic->redact); /* wipes the key and the addresses */
        free(ic->redact);
    }
    inventory_release(&ic->inv);
    free(ic->files);
    nl_ident_close(&ic->nl);
    ct_close(&ic->ct);
    memset(ic, 0, sizeof(*ic));
}
