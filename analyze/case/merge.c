/*
 * merge.c: several case files into one (see merge.h for what is copied
 * how).
 *
 * Speed: each input is attached to the output's connection and copied
 * with one INSERT ... SELECT per table, inside one transaction per input,
 * so rows never pass through C.  The output is a fresh file in rollback
 * journal mode with synchronous=OFF while it is built: pages appended to a
 * new file need no journal, and durability comes from one fsync before
 * the rename (common/outfile.h).  Until the rename nothing is at out, so
 * a crash or an error leaves out as it was (after a kill -9, a stray
 * out.podflow-tmp-XXXXXX, which the next output to that name removes).
 *
 * Safety: inputs go through db_attach_reader() (the reader's checks; the
 * output connection has views and triggers disabled, trusted_schema off,
 * defensive on), are attached read-only, and SQL text is built only from
 * the names in the output's own schema (schema.sql) and integers we
 * computed; nothing from an input is ever pasted into SQL.
 */
#include "analyze/case/merge.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/outfile.h"
#include "common/polnets.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The schema name an input is attached under. */
#define MERGE_SRC "src"

struct mtable {
    char *name;
    char *cols[LIM_MERGE_COLS]; /* the output's columns, in order */
    size_t ncols;
    int parent[LIM_MERGE_COLS]; /* per column: index of the table its foreign key
                                   refers to, or -1 */
    int has_id;                 /* an INTEGER PRIMARY KEY called id */
    int pk_other;               /* another primary key (namespaces.name) */
    size_t pk_col;              /* its column, when pk_other */
    int origin;                 /* rows keep their origin: renumbered, not deduplicated */
    int64_t off;                /* this input: added to its ids */
    int present;                /* this input has the table */
    uint64_t copied, skipped;   /* rows, over all inputs */
};

struct merge {
    sqlite3 *db;
    struct diag *d;
    const char *out;               /* for messages */
    const struct merge_skip *skip; /* rows to leave out, or NULL */
    size_t nskip;
    size_t input;       /* index of the input being copied */
    int has_skip_table; /* temp.merge_skip exists */
    struct mtable t[LIM_MERGE_TABLES];
    size_t nt;
    int redacted;        /* a redacted input was copied */
    struct polnets kept; /* what every redacted input copied so far kept */
};

static int merge_sqlfail(struct merge *m, const char *what, const char *path)
{
    diag_err(m->d, "cannot merge '%s': %s: %s", path, what, sqlite3_errmsg(m->db));
    return ERR_DB;
}

static int merge_find(const struct merge *m, const char *name)
{
    for (size_t i = 0; i < m->nt; i++)
        if (strcmp(m->t[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Run a statement returning one integer, NULL reported as *is_null. */
static int merge_int(struct merge *m, const char *sql, int64_t *v, int *is_null)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(m->db, sql, -1, &st, NULL);

    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        *is_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
        *v = sqlite3_column_int64(st, 0);
        src = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return src == SQLITE_OK ? 0 : ERR_DB;
}

/*
 * The output's tables (but meta), their columns and foreign keys, from
 * the schema the writer just created: the only source of names.
 */
static int merge_load_schema(struct merge *m)
{
    sqlite3_stmt *tabs = NULL, *cols = NULL, *fks = NULL;
    int rc = 0, src;

    if (sqlite3_prepare_v2(m->db,
                           "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name <> "
                           "'meta' AND name NOT LIKE 'sqlite%' ORDER BY rowid",
                           -1, &tabs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "SELECT name, type, pk FROM pragma_table_info(?1, 'main')", -1,
                           &cols, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db,
                           "SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?1, 'main')",
                           -1, &fks, NULL) != SQLITE_OK) {
        rc = merge_sqlfail(m, "reading the schema", m->out);
        goto out;
    }
    /* Every step is checked: a table or column missed on an error (out of
     * memory) would be left out of the merge without a word. */
    while ((src = sqlite3_step(tabs)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tabs, 0);
        struct mtable *t;

        if (!name)
            goto fail;
        if (m->nt == LIM_MERGE_TABLES) {
            diag_err(m->d, "cannot merge: more than %d tables", LIM_MERGE_TABLES);
            rc = ERR_LIMIT;
            goto out;
        }
        t = &m->t[m->nt++];
        t->name = xstrdup(name);
        sqlite3_reset(cols);
        sqlite3_bind_text(cols, 1, t->name, -1, SQLITE_STATIC);
        while ((src = sqlite3_step(cols)) == SQLITE_ROW) {
            const char *c = (const char *)sqlite3_column_text(cols, 0);
            const char *type = (const char *)sqlite3_column_text(cols, 1);
            int pk = sqlite3_column_int(cols, 2);

            if (!c)
                goto fail;
            if (t->ncols == LIM_MERGE_COLS) {
                diag_err(m->d, "cannot merge: table '%s' has more than %d columns", t->name,
                         LIM_MERGE_COLS);
                rc = ERR_LIMIT;
                goto out;
            }
            if (pk && strcmp(c, "id") == 0 && type && strcmp(type, "INTEGER") == 0)
                t->has_id = 1;
            else if (pk) {
                t->pk_other = 1;
                t->pk_col = t->ncols;
            }
            t->parent[t->ncols] = -1;
            t->cols[t->ncols++] = xstrdup(c);
        }
        if (src != SQLITE_DONE)
            goto fail;
    }
    if (src != SQLITE_DONE)
        goto fail;
    /* Foreign keys: the referring table and the referred one keep their
     * rows' origin (renumbered together). */
    for (size_t i = 0; i < m->nt; i++) {
        struct mtable *t = &m->t[i];

        sqlite3_reset(fks);
        sqlite3_bind_text(fks, 1, t->name, -1, SQLITE_STATIC);
        while ((src = sqlite3_step(fks)) == SQLITE_ROW) {
            const char *from = (const char *)sqlite3_column_text(fks, 0);
            const char *to = (const char *)sqlite3_column_text(fks, 1);
            int p;

            if (!from || !to)
                goto fail;
            p = merge_find(m, to);
            if (p < 0 || !m->t[p].has_id)
                continue;
            for (size_t c = 0; c < t->ncols; c++)
                if (strcmp(t->cols[c], from) == 0)
                    t->parent[c] = p;
            t->origin = 1;
            m->t[p].origin = 1;
        }
        if (src != SQLITE_DONE)
            goto fail;
    }
out:
    sqlite3_finalize(fks);
    sqlite3_finalize(cols);
    sqlite3_finalize(tabs);
    return rc;
fail:
    rc = merge_sqlfail(m, "reading the schema", m->out);
    goto out;
}

/* Which of t's columns the attached input has (bit per column): 1 when
 * any, 0 when none (an older input without the table), or ERR_DB
 * (reported: a table the input has must never look absent). */
static int merge_src_cols(struct merge *m, const struct mtable *t, const char *path,
                          unsigned char *have)
{
    sqlite3_stmt *st = NULL;
    int any = 0, src;

    memset(have, 0, LIM_MERGE_COLS);
    if (sqlite3_prepare_v2(m->db, "SELECT name FROM pragma_table_info(?1, '" MERGE_SRC "')", -1,
                           &st, NULL) != SQLITE_OK)
        return merge_sqlfail(m, "reading its schema", path);
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);

        if (!c) {
            src = SQLITE_NOMEM;
            break;
        }
        for (size_t i = 0; i < t->ncols; i++) {
            if (strcasecmp(t->cols[i], c) == 0) {
                have[i] = 1;
                any = 1;
            }
        }
    }
    if (src != SQLITE_DONE) {
        any = merge_sqlfail(m, "reading its schema", path);
        sqlite3_finalize(st);
        return any;
    }
    sqlite3_finalize(st);
    return any;
}

/*
 * Offsets for this input: its ids are moved to start just past the
 * output's largest, whatever they were (negative ids included), with the
 * arithmetic checked so that no id wraps.
 */
static int merge_offsets(struct merge *m, const char *path)
{
    char sql[256];

    for (size_t i = 0; i < m->nt; i++) {
        struct mtable *t = &m->t[i];
        int64_t out_max, in_min, in_max, base, off, top;
        int null_out, null_min, null_max;

        t->off = 0;
        if (!t->origin || !t->has_id || !t->present)
            continue;
        snprintf(sql, sizeof(sql), "SELECT max(id) FROM main.\"%s\"", t->name);
        if (merge_int(m, sql, &out_max, &null_out) < 0)
            return merge_sqlfail(m, "reading ids", m->out);
        snprintf(sql, sizeof(sql), "SELECT min(id) FROM " MERGE_SRC ".\"%s\"", t->name);
        if (merge_int(m, sql, &in_min, &null_min) < 0)
            return merge_sqlfail(m, "reading ids", path);
        snprintf(sql, sizeof(sql), "SELECT max(id) FROM " MERGE_SRC ".\"%s\"", t->name);
        if (merge_int(m, sql, &in_max, &null_max) < 0)
            return merge_sqlfail(m, "reading ids", path);
        if (null_min || null_max)
            continue;
        base = null_out ? 1 : out_max;
        if ((!null_out && __builtin_add_overflow(base, 1, &base)) ||
            __builtin_sub_overflow(base, in_min, &off) ||
            __builtin_add_overflow(in_max, off, &top)) {
            diag_err(m->d, "cannot merge '%s': table '%s': ids out of range", path, t->name);
            return ERR_LIMIT;
        }
        t->off = off;
    }
    return 0;
}

/* Append "a"."c" IS "b"."c" AND ... over the columns the input has. */
static int merge_same_row(struct buf *b, const struct mtable *t, const unsigned char *have)
{
    int rc = 0, first = 1;

    for (size_t c = 0; c < t->ncols && !rc; c++) {
        if (!have[c] || (t->has_id && strcmp(t->cols[c], "id") == 0))
            continue;
        rc = buf_addf(b, "%sm.\"%s\" IS s.\"%s\"", first ? "" : " AND ", t->cols[c], t->cols[c]);
        first = 0;
    }
    if (!rc && first)
        rc = buf_addstr(b, "1");
    return rc;
}

/*
 * Fill temp.merge_skip with the rowids of table the caller leaves out of
 * the current input (merge_into_new()'s skip list).  1 when there are
 * some, 0 when none, ERR_DB.
 */
static int merge_skip_load(struct merge *m, const char *table)
{
    const struct merge_skip *sk = NULL;
    sqlite3_stmt *ins = NULL;
    int rc = 1;

    for (size_t i = 0; i < m->nskip && !sk; i++)
        if (m->skip[i].input == m->input && m->skip[i].n && strcmp(m->skip[i].table, table) == 0)
            sk = &m->skip[i];
    if (!sk)
        return 0;
    if (!m->has_skip_table) {
        if (sqlite3_exec(m->db, "CREATE TEMP TABLE merge_skip (id INTEGER PRIMARY KEY)", NULL, NULL,
                         NULL) != SQLITE_OK)
            return ERR_DB;
        m->has_skip_table = 1;
    }
    if (sqlite3_exec(m->db, "DELETE FROM temp.merge_skip", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "INSERT OR IGNORE INTO temp.merge_skip (id) VALUES (?1)", -1,
                           &ins, NULL) != SQLITE_OK)
        return ERR_DB;
    for (size_t k = 0; k < sk->n && rc > 0; k++) {
        sqlite3_bind_int64(ins, 1, sk->ids[k]);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = ERR_DB;
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    return rc;
}

/* Copy one table of the attached input into the output. */
static int merge_table(struct merge *m, struct mtable *t, const char *path)
{
    unsigned char have[LIM_MERGE_COLS];
    struct buf sql, sel;
    int rc, first = 1;

    rc = merge_src_cols(m, t, path, have);
    if (rc <= 0)
        return rc; /* an error, or an older input without this table */
    buf_init(&sql, 0);
    buf_init(&sel, 0);
    rc = buf_addf(&sql, "INSERT %sINTO main.\"%s\" (", t->pk_other ? "OR IGNORE " : "", t->name);
    for (size_t c = 0; c < t->ncols && !rc; c++) {
        const char *col = t->cols[c];

        if (!have[c])
            continue; /* an older input: the output's default */
        if (t->has_id && strcmp(col, "id") == 0) {
            if (!t->origin)
                continue; /* shared rows get new ids */
            rc = buf_addf(&sel, "%ss.\"id\" + %" PRId64, first ? "" : ", ", t->off);
        } else if (t->parent[c] >= 0) {
            rc = buf_addf(&sel, "%ss.\"%s\" + %" PRId64, first ? "" : ", ", col,
                          m->t[t->parent[c]].off);
        } else {
            rc = buf_addf(&sel, "%ss.\"%s\"", first ? "" : ", ", col);
        }
        if (!rc)
            rc = buf_addf(&sql, "%s\"%s\"", first ? "" : ", ", col);
        first = 0;
    }
    if (!rc)
        rc =
            buf_addf(&sql, ") SELECT %s FROM " MERGE_SRC ".\"%s\" AS s WHERE 1", sel.data, t->name);
    if (!rc && !t->origin) {
        /* Shared rows: identical ones (all columns but the id) once. */
        rc = buf_addf(&sql, " AND NOT EXISTS (SELECT 1 FROM main.\"%s\" AS m WHERE ", t->name);
        if (!rc)
            rc = merge_same_row(&sql, t, have);
        if (!rc)
            rc = buf_addch(&sql, ')');
    }
    if (!rc) {
        int k = merge_skip_load(m, t->name);

        if (k < 0)
            rc = merge_sqlfail(m, "listing the rows to leave out", path);
        else if (k > 0)
            rc = buf_addstr(&sql, " AND s.rowid NOT IN temp.merge_skip");
    }
    if (!rc && t->pk_other && !t->origin) {
        /* Same key, other content: the first kept; count them to say so. */
        struct buf cnt;
        int64_t n = 0;
        int is_null;

        buf_init(&cnt, 0);
        rc = buf_addf(&cnt,
                      "SELECT count(*) FROM " MERGE_SRC ".\"%s\" AS s JOIN main.\"%s\" AS m "
                      "USING (\"%s\") WHERE NOT (",
                      t->name, t->name, t->cols[t->pk_col]);
        if (!rc)
            rc = merge_same_row(&cnt, t, have);
        if (!rc)
            rc = buf_addch(&cnt, ')');
        if (!rc && have[t->pk_col]) {
            if (merge_int(m, cnt.data, &n, &is_null) < 0)
                rc = merge_sqlfail(m, "comparing rows", path);
            else if (n > 0)
                diag_warn(m->d,
                          "'%s': %" PRId64 " row%s of '%s' differ from an earlier input's "
                          "with the same %s: the first kept",
                          path, n, n == 1 ? "" : "s", t->name, t->cols[t->pk_col]);
        }
        buf_release(&cnt);
    }
    if (rc == ERR_LIMIT)
        diag_err(m->d, "cannot merge: SQL for table '%s' too long", t->name);
    if (!rc) {
        int64_t before = 0, after = 0;
        int is_null;
        char q[128];

        snprintf(q, sizeof(q), "SELECT count(*) FROM " MERGE_SRC ".\"%s\"", t->name);
        if (!t->origin && merge_int(m, q, &before, &is_null) < 0)
            rc = merge_sqlfail(m, "counting rows", path);
        if (!rc && sqlite3_exec(m->db, sql.data, NULL, NULL, NULL) != SQLITE_OK) {
            diag_err(m->d, "cannot merge '%s': table '%s': %s", path, t->name,
                     sqlite3_errmsg(m->db));
            rc = ERR_DB;
        }
        if (!rc) {
            after = (int64_t)sqlite3_changes64(m->db);
            t->copied += (uint64_t)after;
            if (!t->origin && before > after)
                t->skipped += (uint64_t)(before - after);
        }
    }
    buf_release(&sel);
    buf_release(&sql);
    return rc;
}

/* The attached input's meta value of key into *value (malloc'd), or NULL
 * when it has none. */
static int merge_src_meta(struct merge *m, const char *key, char **value, const char *path)
{
    sqlite3_stmt *st = NULL;
    int src;

    *value = NULL;
    if (sqlite3_prepare_v2(m->db, "SELECT value FROM " MERGE_SRC ".meta WHERE key = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return merge_sqlfail(m, "reading its meta", path);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *value = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return merge_sqlfail(m, "reading its meta", path);
    return 0;
}

/* ids, the input's meta.redacted_external, renumbered as its captures
 * were (captures_off), appended to the output's.  1 when no id could be
 * read (the output is then marked redacted as a whole). */
static int merge_redacted_ids(struct merge *m, const char *ids, int64_t captures_off,
                              const char *path)
{
    char *have = NULL;
    struct buf b;
    int rc = 0, none = 1;

    if (db_meta_get(m->db, "redacted_external", &have) != 0)
        return merge_sqlfail(m, "reading the redacted captures", m->out);
    buf_init(&b, 0);
    if (have && *have)
        rc = buf_addstr(&b, have);
    while (*ids && !rc) {
        size_t len = strcspn(ids, " ");
        int64_t id;

        if (parse_i64(ids, len, INT64_MIN, INT64_MAX, &id) == 0 &&
            !__builtin_add_overflow(id, captures_off, &id)) {
            rc = buf_addf(&b, "%s%" PRId64, b.len ? " " : "", id);
            none = 0;
        }
        ids += len;
        ids += strspn(ids, " ");
    }
    if (!rc)
        rc = buf_addch(&b, '\0');
    if (rc)
        diag_err(m->d, "cannot merge '%s': its redacted captures do not fit", path);
    else if (b.data[0] && db_meta_set(m->db, "redacted_external", b.data) != 0)
        rc = merge_sqlfail(m, "recording the redacted captures", path);
    buf_release(&b);
    free(have);
    return rc ? rc : none;
}

/*
 * The input's redaction, added to the output's (docs/schema.md): the
 * output of a redacted input is redacted (meta.redacted as the first input
 * with it wrote it; meta.redacted_external with the capture ids
 * renumbered), and keeps, unredacted, only what every redacted input kept
 * (meta.redaction_kept: an address one input kept may be a pseudonym in
 * another, polnets_after_redaction()).  An input not redacted adds nothing.
 */
static int merge_redaction(struct merge *m, const char *path)
{
    char *whole = NULL, *ext = NULL, *kept = NULL;
    struct polnets in, after;
    struct buf b;
    int ci = merge_find(m, "captures");
    int rc;

    polnets_init(&in);
    polnets_init(&after);
    buf_init(&b, 0);
    rc = merge_src_meta(m, "redacted", &whole, path);
    if (!rc)
        rc = merge_src_meta(m, "redacted_external", &ext, path);
    if (!rc)
        rc = merge_src_meta(m, "redaction_kept", &kept, path);
    if (rc || !(whole || (ext && *ext)))
        goto out;
    if (ext && *ext) {
        rc = merge_redacted_ids(m, ext, ci >= 0 ? m->t[ci].off : 0, path);
        if (rc == 1 && !whole)
            whole = xstrdup("external addresses (a merged case's captures)");
        rc = rc == 1 ? 0 : rc;
    }
    if (!rc && whole) {
        char *have = NULL;

        if (db_meta_get(m->db, "redacted", &have) != 0 ||
            (!have && db_meta_set(m->db, "redacted", whole) != 0))
            rc = merge_sqlfail(m, "recording the redaction", path);
        free(have);
    }
    if (!rc && ((kept && polnets_add_list(&in, kept, "meta.redaction_kept")) ||
                polnets_after_redaction(m->redacted, &m->kept, &in, &after) ||
                polnets_text(&after, &b) || buf_addch(&b, '\0'))) {
        diag_err(m->d, "cannot merge '%s': more than %d CIDRs kept unredacted (LIM_KEEP_NETS)",
                 path, LIM_KEEP_NETS);
        rc = ERR_LIMIT;
    }
    if (!rc && after.n && db_meta_set(m->db, "redaction_kept", b.data) != 0)
        rc = merge_sqlfail(m, "recording the CIDRs kept unredacted", path);
    else if (!rc && !after.n &&
             sqlite3_exec(m->db, "DELETE FROM main.meta WHERE key = 'redaction_kept'", NULL, NULL,
                          NULL) != SQLITE_OK)
        rc = merge_sqlfail(m, "recording the CIDRs kept unredacted", path);
    if (!rc) {
        polnets_release(&m->kept);
        m->kept = after;
        polnets_init(&after);
        m->redacted = 1;
    }
out:
    buf_release(&b);
    polnets_release(&after);
    polnets_release(&in);
    free(kept);
    free(ext);
    free(whole);
    return rc;
}

/* One input, attached, copied in one transaction, detached. */
static int merge_one(struct merge *m, const char *path)
{
    int rc;

    rc = db_attach_reader(m->db, path, MERGE_SRC, m->d);
    if (rc < 0)
        return rc;
    if (sqlite3_exec(m->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = merge_sqlfail(m, "begin", m->out);
        goto detach;
    }
    for (size_t i = 0; i < m->nt && !rc; i++) {
        unsigned char have[LIM_MERGE_COLS];
        int k = merge_src_cols(m, &m->t[i], path, have);

        if (k < 0)
            rc = k;
        m->t[i].present = k > 0;
    }
    if (!rc)
        rc = merge_offsets(m, path);
    for (size_t i = 0; i < m->nt && !rc; i++)
        if (m->t[i].present)
            rc = merge_table(m, &m->t[i], path);
    /* The inventories' problems add up (meta.inventory_problems). */
    if (!rc && sqlite3_exec(m->db,
                            "INSERT INTO main.meta (key, value) SELECT key, CAST(value AS INTEGER)"
                            " FROM " MERGE_SRC ".meta WHERE key = 'inventory_problems'"
                            " ON CONFLICT (key) DO UPDATE SET value ="
                            " CAST(meta.value AS INTEGER) + CAST(excluded.value AS INTEGER)",
                            NULL, NULL, NULL) != SQLITE_OK)
        rc = merge_sqlfail(m, "add up the inventory problems", path);
    if (!rc)
        rc = merge_redaction(m, path);
    if (!rc && sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = merge_sqlfail(m, "commit", m->out);
    if (rc)
        sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
detach:
    if (sqlite3_exec(m->db, "DETACH DATABASE " MERGE_SRC, NULL, NULL, NULL) != SQLITE_OK && !rc)
        rc = merge_sqlfail(m, "detach", path);
    return rc;
}

/* Same file (device and inode) as any other of the list, or as out? */
static int merge_check_inputs(char *const *inputs, size_t n, const char *out, struct diag *d)
{
    struct stat *st = xcalloc(n ? n : 1, sizeof(*st));
    struct stat ost;
    int have_out = out && stat(out, &ost) == 0;
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++) {
        if (stat(inputs[i], &st[i]) < 0) {
            rc = -errno;
            diag_err(d, "cannot open '%s': %s", inputs[i], strerror(errno));
            break;
        }
        if (have_out && st[i].st_dev == ost.st_dev && st[i].st_ino == ost.st_ino) {
            diag_err(d, "'%s' is both an input and the output", inputs[i]);
            rc = ERR_USAGE;
        }
        for (size_t j = 0; j < i && !rc; j++) {
            if (st[i].st_dev == st[j].st_dev && st[i].st_ino == st[j].st_ino) {
                diag_err(d, "'%s' is given twice (as '%s' too)", inputs[i], inputs[j]);
                rc = ERR_USAGE;
            }
        }
    }
    free(st);
    return rc;
}

/* Build the merged case in tmp, which exists and is empty or is absent. */
static int merge_build(const char *tmp, const char *label, char *const *inputs, size_t n,
                       const struct merge_opts *o, const struct merge_skip *skip, size_t nskip,
                       struct diag *d)
{
    struct merge m;
    int rc;

    memset(&m, 0, sizeof(m));
    m.d = d;
    m.out = label;
    m.skip = skip;
    m.nskip = nskip;
    rc = db_open_writer(tmp, d, &m.db);
    if (rc < 0)
        return rc;
    /* One value is at most what a reader accepts: an oversized value in
     * an input is refused here rather than making an unreadable output. */
    sqlite3_limit(m.db, SQLITE_LIMIT_LENGTH, LIM_DB_VALUE);
    rc = db_exec(m.db, d, "set up the merged case",
                 "PRAGMA main.journal_mode = DELETE;"
                 "PRAGMA main.synchronous = OFF;"
                 "PRAGMA main.cache_size = -65536;");
    if (!rc)
        rc = merge_load_schema(&m);
    for (size_t i = 0; i < n && !rc; i++) {
        m.input = i;
        rc = merge_one(&m, inputs[i]);
    }
    if (!rc && !(o && o->quiet)) {
        int fi = merge_find(&m, "flows"), ci = merge_find(&m, "captures"),
            ei = merge_find(&m, "endpoints");

        fprintf(d->out ? d->out : stderr,
                "%s: merged %zu file%s: %" PRIu64 " captures, %" PRIu64 " flows, %" PRIu64
                " endpoints (%" PRIu64 " duplicates left out)\n",
                d->prog ? d->prog : "podflow-analyze", n, n == 1 ? "" : "s",
                ci >= 0 ? m.t[ci].copied : 0, fi >= 0 ? m.t[fi].copied : 0,
                ei >= 0 ? m.t[ei].copied : 0, ei >= 0 ? m.t[ei].skipped : 0);
    }
    if (sqlite3_close(m.db) != SQLITE_OK && !rc) {
        diag_err(d, "cannot close '%s': %s", label, sqlite3_errmsg(m.db));
        sqlite3_close_v2(m.db);
        rc = ERR_DB;
    }
    polnets_release(&m.kept);
    for (size_t i = 0; i < m.nt; i++) {
        free(m.t[i].name);
        for (size_t c = 0; c < m.t[i].ncols; c++)
            free(m.t[i].cols[c]);
    }
    return rc;
}

int merge_into_new(const char *tmp_path, char *const *inputs, size_t n,
                   const struct merge_skip *skip, size_t nskip, struct diag *d)
{
    struct merge_opts o = {.quiet = 1};
    int rc;

    rc = merge_check_inputs(inputs, n, NULL, d);
    if (!rc)
        rc = merge_build(tmp_path, tmp_path, inputs, n, &o, skip, nskip, d);
    if (rc)
        outfile_remove_db(tmp_path);
    return rc;
}

int merge_files(const char *out, char *const *inputs, size_t n, const struct merge_opts *o,
                struct diag *d)
{
    struct outfile of;
    int rc;

    if (n == 0) {
        diag_err(d, "nothing to merge");
        return ERR_USAGE;
    }
    /* The output rule (common/outfile.h): built in a temporary file beside
     * out and renamed over it, or in a scratch file copied to a stream. */
    rc = outfile_open(&of, out, 0600, OUTFILE_NEED_PATH | (o && o->force ? 0 : OUTFILE_NO_CLOBBER),
                      d);
    if (rc)
        return rc;
    rc = merge_check_inputs(inputs, n, of.target, d);
    if (!rc)
        rc = merge_build(of.tmp, out, inputs, n, o, NULL, 0, d);
    if (rc) {
        outfile_abort(&of);
        return rc;
    }
    return outfile_commit(&of, d);
}
