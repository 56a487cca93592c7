/*
 * scan.c: the analyzer benchmark's baseline: a bare SQLite scan of a
 * case's flows, the very query check runs (CASE_FLOWS_SQL in
 * analyze/case/case_int.h, as case_reader_new() prepares it) with every
 * column read once by the calls frow_read() reads it with, and nothing
 * else (no address parsed, no range checked, no verdict).
 *
 *     scan [-j N] CASE.db    check's settings: the case opened by
 *                            db_open_reader() (read-only, defensive,
 *                            cell_size_check), SQLite single-threaded for
 *                            N = 1 (as check --jobs 1), else N threads, each
 *                            with its own connection, over the flows cut
 *                            into parts of LIM_CHECK_PART_IDS ids, as check
 *                            --jobs N cuts them
 *     scan --bare CASE.db    SQLite's defaults (sqlite3_open_v2, serialized:
 *                            a mutex around every call), one thread
 *
 * Prints the rows scanned and a checksum of what was read.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/err.h"
#include "common/limits.h"

#include "analyze/case/case_int.h" /* CASE_FLOWS_SQL, its columns */

struct scan {
    const char *path;
    int bare, dnat;
    int64_t lo, hi; /* the flows' ids */
    uint64_t nparts, next;
    pthread_mutex_t mu;
    uint64_t rows, sum;
    int failed;
};

/* A text column: its length, and whether there is one. */
static uint64_t text_col(sqlite3_stmt *st, int i)
{
    sqlite3_value *v = sqlite3_column_value(st, i);

    if (sqlite3_value_type(v) != SQLITE_TEXT)
        return 0;
    return sqlite3_value_text(v) ? (uint64_t)sqlite3_value_bytes(v) + 1 : 0;
}

/* An integer column (check asks its type first: NULL is allowed in some,
 * and a text is never read as a number). */
static uint64_t int_col(sqlite3_stmt *st, int i)
{
    sqlite3_value *v = sqlite3_column_value(st, i);

    return sqlite3_value_type(v) == SQLITE_INTEGER ? (uint64_t)sqlite3_value_int64(v) : 1;
}

/* Every column once, with the calls frow_read() reads it with: the value
 * (sqlite3_column_value()), its type, then the integer or the text and
 * its length. */
static uint64_t read_row(sqlite3_stmt *st)
{
    uint64_t sum = 0;

    for (int i = FROW_ID; i <= FROW_BR; i++)
        sum += int_col(st, i);
    sum += text_col(st, FROW_STATE);
    for (int i = FROW_ITYPE; i <= FROW_OPEN; i++)
        sum += int_col(st, i);
    sum += int_col(st, FROW_TUPLE + FROW_PROTO);
    sum += text_col(st, FROW_TUPLE + FROW_SRC) + text_col(st, FROW_TUPLE + FROW_DST);
    sum += int_col(st, FROW_TUPLE + FROW_SPORT) + int_col(st, FROW_TUPLE + FROW_DPORT);
    sum += text_col(st, FROW_TUPLE + FROW_DNAT_IP) + int_col(st, FROW_TUPLE + FROW_DNAT_PORT);
    return sum;
}

static void *worker(void *arg)
{
    struct scan *s = arg;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct diag d;
    char sql[640];
    uint64_t rows = 0, sum = 0;

    diag_init(&d, NULL, "scan");
    if (s->bare ? sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK
                : db_open_reader(s->path, &d, &db) != 0)
        goto fail;
    snprintf(sql, sizeof(sql), CASE_FLOWS_SQL, s->dnat ? FROW_DNAT_COLS : FROW_NO_DNAT_COLS);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    for (;;) {
        uint64_t p;

        pthread_mutex_lock(&s->mu);
        p = s->next++;
        pthread_mutex_unlock(&s->mu);
        if (p >= s->nparts)
            break;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, INT64_MIN);
        sqlite3_bind_int64(st, 2, INT64_MAX);
        sqlite3_bind_int64(st, 3, s->lo + (int64_t)(p * LIM_CHECK_PART_IDS));
        sqlite3_bind_int64(
            st, 4,
            p + 1 == s->nparts ? s->hi : s->lo + (int64_t)((p + 1) * LIM_CHECK_PART_IDS) - 1);
        while (sqlite3_step(st) == SQLITE_ROW) {
            sum += read_row(st);
            rows++;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    pthread_mutex_lock(&s->mu);
    s->rows += rows;
    s->sum += sum;
    pthread_mutex_unlock(&s->mu);
    return NULL;
fail:
    sqlite3_finalize(st);
    sqlite3_close(db);
    pthread_mutex_lock(&s->mu);
    s->failed = 1;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int main(int argc, char **argv)
{
    struct scan s;
    sqlite3 *db;
    sqlite3_stmt *st;
    pthread_t th[LIM_JOBS];
    long jobs = 1;

    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.mu, NULL);
    if (argc == 4 && strcmp(argv[1], "-j") == 0) {
        jobs = strtol(argv[2], NULL, 10);
        argv += 2;
        argc -= 2;
    } else if (argc == 3 && strcmp(argv[1], "--bare") == 0) {
        s.bare = 1;
        argv++;
        argc--;
    }
    if (argc != 2 || jobs < 1 || jobs > LIM_JOBS) {
        fprintf(stderr, "usage: scan [-j N | --bare] CASE.db\n");
        return 2;
    }
    s.path = argv[1];
    if (!s.bare && db_threads(jobs > 1))
        return 2;
    /* The ids and the columns, as check finds them. */
    if (sqlite3_open_v2(s.path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT (SELECT min(id) FROM flows), (SELECT max(id) FROM flows)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return 2;
    s.lo = sqlite3_column_int64(st, 0);
    s.hi = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    s.dnat = db_has_column(db, "flows", "dnat_ip");
    sqlite3_close(db);
    s.nparts = s.hi >= s.lo ? ((uint64_t)s.hi - (uint64_t)s.lo) / LIM_CHECK_PART_IDS + 1 : 0;
    for (long i = 0; i < jobs; i++)
        if (pthread_create(&th[i], NULL, worker, &s) != 0)
            return 2;
    for (long i = 0; i < jobs; i++)
        pthread_join(th[i], NULL);
    if (s.failed)
        return 2;
    printf("%llu rows, checksum %llu\n", (unsigned long long)s.rows, (unsigned long long)s.sum);
    return 0;
}
