/*
 * redact.c: external addresses of a case to keyed pseudonyms (redact.h).
 *
 * The pseudonyms are common/pseudo.c's (shared with podflow-capture
 * --redact-external): HMAC-SHA256 under the key folded into a documentation
 * range, one-to-one, never an internal address.  The order addresses are
 * met in (sorted by SQL UNION) only decides who moves on a collision.
 *
 * The rewrite runs on the copy with a temporary in-memory table old -> new
 * and one UPDATE per column, so its cost is a scan of flows per column,
 * whatever the number of addresses.
 */
#include "analyze/case/redact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ipaddr.h"
#include "common/limits.h"
#include "common/outfile.h"
#include "common/polnets.h"
#include "common/pseudo.h"
#include "common/xmalloc.h"
#include "common/compat.h"

struct rd {
    struct pseudo ps;           /* the mapping (common/pseudo.h) */
    const struct polnets *keep; /* CIDRs kept, or NULL */
};

static int rd_exec(sqlite3 *db, struct diag *d, const char *sql, size_t *changes)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        diag_err(d, "cannot redact: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return ERR_DB;
    }
    if (changes)
        *changes += (size_t)sqlite3_changes(db);
    return 0;
}

/* Internal addresses: pods, hosts and Services of the case, (format 2)
 * every address netlink saw behind one of the node's interfaces, and
 * (format 3) every address of an EndpointSlice (a Service's backends, also
 * those written by hand outside the cluster: known to the inventory, as
 * podflow-capture --redact-external counts them). */
static int rd_load_internal(struct rd *r, sqlite3 *db, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    int src;

    if (sqlite3_prepare_v2(db,
                           db_has_column(db, "service_endpoints", "ip")
                               ? "SELECT ip FROM endpoints WHERE kind IN ('pod', 'host', "
                                 "'service') UNION SELECT ip FROM ip_ifaces "
                                 "UNION SELECT ip FROM service_endpoints"
                           : db_has_column(db, "ip_ifaces", "ip")
                               ? "SELECT ip FROM endpoints WHERE kind IN ('pod', 'host', "
                                 "'service') UNION SELECT ip FROM ip_ifaces"
                               : "SELECT DISTINCT ip FROM endpoints "
                                 "WHERE kind IN ('pod', 'host', 'service')",
                           -1, &st, NULL) != SQLITE_OK) {
        diag_err(d, "cannot redact: %s", sqlite3_errmsg(db));
        return ERR_DB;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        struct ipaddr a;

        if (t && ipaddr_parse(t, (size_t)sqlite3_column_bytes(st, 0), &a) == 0) {
            pseudo_add_internal(&r->ps, &a);
        }
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) {
        diag_err(d, "cannot redact: %s", sqlite3_errmsg(db));
        return ERR_DB;
    }
    return 0;
}

/*
 * meta.redaction_kept: the CIDRs kept, for check to tell kept addresses
 * from pseudonyms (docs/schema.md).  On a case redacted before (by an
 * earlier `redact`, or captures with --redact-external) only what both
 * kept: an address an earlier redaction replaced is a pseudonym now,
 * whatever this one keeps.  Nothing kept: no key.
 */
static int rd_meta_kept(sqlite3 *db, const struct polnets *keep, struct diag *d)
{
    int rc = polnets_record_kept(db, keep);

    if (rc == ERR_LIMIT)
        diag_err(d, "cannot redact: more than %d CIDRs kept (LIM_KEEP_NETS)", LIM_KEEP_NETS);
    else if (rc)
        diag_err(d, "cannot redact: %s", sqlite3_errmsg(db));
    return rc;
}

/* Every address text that may be external, into temp.redact_map. */
static int rd_build_map(struct rd *r, sqlite3 *db, int dnat, int socks, struct redact_stats *stats,
                        struct diag *d)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    char sql[512];
    int src, rc = ERR_DB;

    snprintf(sql, sizeof(sql), "%s%s%s",
             "SELECT src_ip FROM flows UNION SELECT dst_ip FROM flows "
             "UNION SELECT ip FROM endpoints WHERE kind = 'external'",
             dnat ? " UNION SELECT dnat_ip FROM flows" : "",
             /* (format 3) the sockets' addresses, as the flows' */
             socks ? " UNION SELECT local_ip FROM sockets UNION SELECT remote_ip FROM sockets"
                   : "");
    if (sqlite3_prepare_v2(db, sql, -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO temp.redact_map (old, new) VALUES (?1, ?2)", -1, &ins,
                           NULL) != SQLITE_OK)
        goto out;
    while ((src = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(sel, 0);
        size_t len = (size_t)sqlite3_column_bytes(sel, 0);
        struct ipaddr a, p;
        char text[IPADDR_STRLEN];

        if (!t)
            continue;
        if (ipaddr_parse(t, len, &a) == 0) {
            /* Two texts of one address (IPv6 case) share its pseudonym. */
            if (pseudo_addr(&r->ps, &a, &p) == 0) {
                if (r->keep && !pseudo_is_special(&a) && polnets_contains(r->keep, &a))
                    stats->addrs_kept++;
                continue;
            }
            if (a.family == 4)
                stats->addrs_v4++;
            else
                stats->addrs_v6++;
        } else {
            /* Not an address: its text may still say something. */
            pseudo_derive(&r->ps, 0, (const uint8_t *)t, len, &p);
            stats->addrs_bad++;
        }
        ipaddr_format(&p, text);
        sqlite3_bind_text(ins, 1, t, (int)len, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, text, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto out;
        sqlite3_reset(ins);
    }
    if (src == SQLITE_DONE)
        rc = 0;
out:
    if (rc)
        diag_err(d, "cannot redact: %s", sqlite3_errmsg(db));
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    return rc;
}

int redact_db(sqlite3 *db, const uint8_t key[REDACT_KEY_LEN], const struct polnets *keep,
              struct redact_stats *st, struct diag *d)
{
    static const char *const upd_flows[] = {
        "UPDATE flows SET src_ip = (SELECT new FROM temp.redact_map WHERE old = src_ip) "
        "WHERE src_ip IN (SELECT old FROM temp.redact_map)",
        "UPDATE flows SET dst_ip = (SELECT new FROM temp.redact_map WHERE old = dst_ip) "
        "WHERE dst_ip IN (SELECT old FROM temp.redact_map)",
        "UPDATE flows SET dnat_ip = (SELECT new FROM temp.redact_map WHERE old = dnat_ip) "
        "WHERE dnat_ip IN (SELECT old FROM temp.redact_map)",
    };
    static const char upd_socks[] =
        "UPDATE sockets SET local_ip = (SELECT new FROM temp.redact_map WHERE old = local_ip) "
        "WHERE local_ip IN (SELECT old FROM temp.redact_map);"
        "UPDATE sockets SET remote_ip = (SELECT new FROM temp.redact_map WHERE old = remote_ip) "
        "WHERE remote_ip IN (SELECT old FROM temp.redact_map);";
    struct rd r;
    int dnat, socks, rc;

    memset(st, 0, sizeof(*st));
    pseudo_init(&r.ps, key, 0); /* a finished case: its addresses are bounded */
    r.keep = keep;
    pseudo_keep(&r.ps, keep);
    dnat = db_has_column(db, "flows", "dnat_ip");
    socks = db_has_column(db, "sockets", "remote_ip");
    /* The map holds original addresses: memory only, never a temp file. */
    rc = rd_exec(db, d,
                 "PRAGMA temp_store = MEMORY; BEGIN IMMEDIATE;"
                 "CREATE TEMP TABLE redact_map (old TEXT PRIMARY KEY, new TEXT NOT NULL);",
                 NULL);
    if (rc)
        goto out;
    rc = rd_load_internal(&r, db, d);
    if (!rc)
        rc = rd_build_map(&r, db, dnat, socks, st, d);
    for (size_t i = 0; !rc && i < (dnat ? 3u : 2u); i++)
        rc = rd_exec(db, d, upd_flows[i], &st->flow_fields);
    if (!rc && socks)
        rc = rd_exec(db, d, upd_socks, NULL);
    if (!rc)
        rc = rd_exec(
            db, d,
            "UPDATE endpoints SET ip = (SELECT new FROM temp.redact_map WHERE old = ip), "
            "name = NULL WHERE kind = 'external' AND ip IN (SELECT old FROM temp.redact_map)",
            &st->endpoints);
    /* The name of an external endpoint (a reverse-DNS or network-set name)
     * says who the peer is, often with the address in it: cleared above.
     * A command line or BPF filter may name hosts ("host 203.0.113.9"). */
    if (!rc)
        rc = rd_exec(db, d,
                     "UPDATE captures SET command = CASE WHEN command IS NULL THEN NULL "
                     "ELSE '[redacted]' END, filter = CASE WHEN filter IS NULL THEN NULL "
                     "ELSE '[redacted]' END WHERE command IS NOT NULL OR filter IS NOT NULL",
                     &st->captures);
    if (!rc)
        rc = rd_meta_kept(db, keep, d);
    if (!rc)
        rc = rd_exec(db, d,
                     "INSERT OR REPLACE INTO meta (key, value) VALUES ('redacted', "
                     "'external addresses (podflow-analyze redact)');"
                     "DROP TABLE temp.redact_map; COMMIT;",
                     NULL);
    if (rc)
        (void)sqlite3_exec(db, "ROLLBACK; DROP TABLE IF EXISTS temp.redact_map", NULL, NULL, NULL);
out:
    pseudo_release(&r.ps);
    return rc;
}

/* A connection with the reader's guards but writable (the temp copy, or
 * the original to fold its WAL in). */
static int rd_open(const char *path, int flags, sqlite3 **out, struct diag *d)
{
    sqlite3 *db = NULL;
    int src = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL);

    if (src == SQLITE_OK)
        src = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
    if (src != SQLITE_OK) {
        diag_err(d, "cannot open '%s': %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
        sqlite3_close(db);
        return ERR_DB;
    }
    sqlite3_busy_timeout(db, LIM_DB_BUSY_MS);
    *out = db;
    return 0;
}

int redact_case(const char *name, const char *out, const struct polnets *keep,
                struct redact_stats *st, struct diag *d)
{
    uint8_t key[REDACT_KEY_LEN];
    sqlite3 *orig = NULL, *tmp = NULL;
    sqlite3_backup *bk;
    struct outfile of;
    const char *mode, *path;
    sqlite3_stmt *jm = NULL;
    int rc;

    /* Rewritten whole by the output rule (common/outfile.h): the user's
     * own regular file (a symlink to one is followed), replaced by a
     * temporary copy beside it; with out, a new file that must not exist
     * (or a stream), the case read as it is. */
    if (out)
        rc = outfile_open(&of, out, 0600, OUTFILE_NEED_PATH | OUTFILE_NO_CLOBBER, d);
    else
        rc = outfile_open(&of, name, 0600, OUTFILE_NEED_PATH | OUTFILE_EXISTING, d);
    if (rc)
        return rc;
    path = out ? name : of.target;
    /* What the analyzer refuses (foreign, newer, hostile schema), so do we. */
    rc = db_open_reader(path, d, &orig);
    if (rc)
        goto out_abort;
    db_close(&orig, d);
    /* Fold a WAL in (a capture killed mid-way leaves one) and check that no
     * one else has the case open: journal_mode=DELETE needs it alone. */
    rc = rd_open(path, SQLITE_OPEN_READWRITE, &orig, d);
    if (rc)
        goto out_abort;
    if (sqlite3_prepare_v2(orig, "PRAGMA journal_mode = DELETE", -1, &jm, NULL) != SQLITE_OK ||
        sqlite3_step(jm) != SQLITE_ROW || !(mode = (const char *)sqlite3_column_text(jm, 0)) ||
        strcmp(mode, "delete") != 0) {
        diag_err(d, "cannot redact '%s': it is in use by another program (%s)", name,
                 sqlite3_errmsg(orig));
        sqlite3_finalize(jm);
        rc = ERR_DB;
        goto out_orig;
    }
    sqlite3_finalize(jm);
    /* Keep writers from committing until the rename (a read transaction
     * holds the SHARED lock): the copy must be the file. */
    if (sqlite3_exec(orig, "BEGIN; SELECT count(*) FROM meta;", NULL, NULL, NULL) != SQLITE_OK) {
        diag_err(d, "cannot redact '%s': %s", name, sqlite3_errmsg(orig));
        rc = ERR_DB;
        goto out_orig;
    }
    rc = rd_open(of.tmp, SQLITE_OPEN_READWRITE, &tmp, d);
    if (rc)
        goto out_orig;
    bk = sqlite3_backup_init(tmp, "main", orig, "main");
    if (!bk || sqlite3_backup_step(bk, -1) != SQLITE_DONE ||
        sqlite3_backup_finish(bk) != SQLITE_OK) {
        if (bk)
            (void)sqlite3_backup_finish(bk);
        diag_err(d, "cannot copy '%s': %s", name, sqlite3_errmsg(tmp));
        rc = ERR_DB;
        goto out_orig;
    }
    /* secure_delete zeroes what UPDATE frees; the journal stays in memory
     * (it would hold the original pages); VACUUM rebuilds the file so no
     * old value is left in free space or page slack. */
    if (sqlite3_exec(tmp, "PRAGMA secure_delete = ON; PRAGMA journal_mode = MEMORY;", NULL, NULL,
                     NULL) != SQLITE_OK) {
        diag_err(d, "cannot redact '%s': %s", name, sqlite3_errmsg(tmp));
        rc = ERR_DB;
        goto out_orig;
    }
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        rc = -errno;
        diag_err(d, "cannot draw a random key: %s", strerror(errno));
        goto out_orig;
    }
    rc = redact_db(tmp, key, keep, st, d);
    explicit_bzero(key, sizeof(key)); /* the key is stored nowhere */
    if (rc)
        goto out_orig;
    if (sqlite3_exec(tmp, "VACUUM", NULL, NULL, NULL) != SQLITE_OK) {
        diag_err(d, "cannot redact '%s': %s", name, sqlite3_errmsg(tmp));
        rc = ERR_DB;
        goto out_orig;
    }
    if (sqlite3_close(tmp) != SQLITE_OK) {
        diag_err(d, "cannot write '%s': %s", of.tmp, sqlite3_errmsg(tmp));
        tmp = NULL;
        rc = ERR_DB;
        goto out_orig;
    }
    tmp = NULL;
    /* Synced and renamed over the original while our read transaction
     * still keeps writers out. */
    rc = outfile_commit(&of, d);
    (void)sqlite3_exec(orig, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(orig);
    return rc;

out_orig:
    if (tmp)
        sqlite3_close(tmp);
    (void)sqlite3_exec(orig, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(orig);
out_abort:
    outfile_abort(&of);
    return rc;
}
