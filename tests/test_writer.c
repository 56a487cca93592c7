/*
 * test_writer.c: the .db writer (capture/writer.c): address text, the
 * state check, a full round trip (every column and its NULL mapping, the
 * captures and interfaces rows), the commit window that bounds what a
 * killed capture loses, and a latched error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/flow.h"
#include "capture/writer.h"
#include "capture/writer_int.h"
#include "common/db.h"
#include "common/err.h"
#include "common/compat.h"

static void test_fmt_ipv4(void **state)
{
    static const struct {
        uint8_t a[4];
        const char *want;
    } cases[] = {
        {{0, 0, 0, 0}, "0.0.0.0"},                 /* all zero */
        {{255, 255, 255, 255}, "255.255.255.255"}, /* all three digits */
        {{10, 0, 0, 1}, "10.0.0.1"},               /* two and one digit */
        {{198, 18, 100, 9}, "198.18.100.9"},       /* mixed */
        {{1, 20, 100, 200}, "1.20.100.200"},       /* one, two, three digits */
    };
    char buf[16];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int n = fmt_ipv4(cases[i].a, buf);

        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, (int)strlen(cases[i].want));
    }
}

/* fmt_ipv6 against glibc's inet_ntop: the RFC 5952 edge cases, then every
 * pattern of zero and non-zero groups with group values of each width (and
 * 0xffff in group 5, the v4-mapped prefix), then random addresses. */
static void test_fmt_ipv6(void **state)
{
    static const char *const edges[] = {
        "::",                   /* all zero */
        "::1",                  /* loopback: not a dotted quad */
        "::ffff:198.18.0.1",    /* v4-mapped: dotted quad */
        "::198.18.0.1",         /* v4-compatible (six zero groups): dotted quad */
        "::ffff:0:0",           /* v4-mapped prefix of zeros */
        "::1:0:0:0",            /* the longer run (at the start) wins */
        "1:0:0:2:0:0:3:4",      /* equal runs: the leftmost is compressed */
        "1:0:2:3:4:5:6:7",      /* a single zero group is not compressed */
        "2001:db8::",           /* run at the end */
        "2001:db8:0:0:1:0:0:1", /* equal runs of two: leftmost */
        "2001:db8::1:0:0:0:1",  /* one-group :: in; the longer, later run wins */
        "fe80::1:2:3:4",        /* link-local */
        "64:ff9b::c612:1",      /* NAT64 prefix: no dotted quad */
        "0:0:0:0:0:1:0:0",      /* zero run before and after */
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", /* every digit */
        "::ffff:1:2",                              /* ffff not at group 5 */
        "0:1::",                                   /* single leading zero, run at the end */
    };
    static const unsigned widths[] = {0x1, 0x2a, 0x3bc, 0xdef0, 0xffff, 0x100};
    uint8_t a[16];
    char want[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN];
    unsigned seed = 12345;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
        assert_int_equal(inet_pton(AF_INET6, edges[i], a), 1);
        assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
        assert_int_equal(fmt_ipv6(a, got), (int)strlen(want));
        assert_string_equal(got, want);
    }
    for (unsigned pat = 0; pat < 256; pat++) {
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
            for (int g5 = 0; g5 < 2; g5++) {
                for (int i = 0; i < 8; i++) {
                    unsigned v = (pat >> i) & 1 ? widths[(w + (size_t)i) % ARRAY_SIZE(widths)] : 0;
                    if (i == 5 && g5)
                        v = (pat >> i) & 1 ? 0xffff : 0;
                    a[2 * i] = (uint8_t)(v >> 8);
                    a[2 * i + 1] = (uint8_t)v;
                }
                assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
                assert_int_equal(fmt_ipv6(a, got), (int)strlen(want));
                assert_string_equal(got, want);
            }
        }
    }
    for (int n = 0; n < 100000; n++) {
        for (int i = 0; i < 16; i++) {
            seed = seed * 1103515245u + 12345u;
            /* bytes zero half the time, so zero groups and runs are common */
            a[i] = (seed >> 16) & 1 ? 0 : (uint8_t)(seed >> 20);
        }
        assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
        assert_int_equal(fmt_ipv6(a, got), (int)strlen(want));
        assert_string_equal(got, want);
    }
}

static void test_state_valid(void **state)
{
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"S0", 1},    {"S1", 1},    {"SF", 1},     {"REJ", 1},    {"S2", 1},
        {"S3", 1},    {"RSTO", 1},  {"RSTR", 1},   {"RSTOS0", 1}, {"RSTRH", 1},
        {"SH", 1},    {"SHR", 1},   {"OTH", 1}, /* all 13 */
        {"", 0},                                /* empty */
        {"S", 0},                               /* a prefix of a word */
        {"RSTOS", 0},                           /* a prefix of a longer word */
        {"sf", 0},                              /* case matters */
        {"SF ", 0},                             /* trailing space */
        {"S4", 0},    {"SG", 0},    {"TF", 0},     {"REX", 0},    {"SHH", 0},
        {"OTS", 0}, /* near */
        {"RSTX", 0},  {"RSTRX", 0}, {"RSTOS1", 0}, {"XSTOS0", 0}, {"RSTOS0X", 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(db_state_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok);
    /* Only s[0..len) counts; no text is no state. */
    assert_int_equal(db_state_valid("SFX", 2), 1);
    assert_int_equal(db_state_valid("RSTOS0", 4), 1);
    assert_int_equal(db_state_valid(NULL, 0), 0);
    assert_int_equal(db_state_valid(NULL, 2), 0);
}

struct fixture {
    char dir[64];
    char path[96];
    char msg[512];
    FILE *err;
    struct diag d;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/test_writer.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/case.db", f->dir);
    f->err = fmemopen(f->msg, sizeof(f->msg), "w");
    setvbuf(f->err, NULL, _IONBF, 0);
    diag_init(&f->d, f->err, "test");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char p[128];

    fclose(f->err);
    snprintf(p, sizeof(p), "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", f->path);
    unlink(p);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* One value of the first row of sql as text ("NULL" for NULL). */
static void query(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db;
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        snprintf(out, size, "NULL");
    else
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void expect_sql(const char *path, const char *sql, const char *want)
{
    char got[512];

    query(path, sql, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", sql, got, want);
}

static struct flow_rec rec_v4(uint32_t n)
{
    struct flow_rec r;

    memset(&r, 0, sizeof(r));
    r.family = 4;
    r.proto = 17;
    r.src[0] = 10, r.src[1] = 1, r.src[2] = (uint8_t)(n >> 8), r.src[3] = (uint8_t)n;
    r.dst[0] = 10, r.dst[1] = 2, r.dst[2] = 0, r.dst[3] = 53;
    r.src_port = 40000;
    r.dst_port = 53;
    r.first_ns = 1000 + n;
    r.last_ns = 2000 + n;
    r.packets_fwd = 1;
    r.bytes_fwd = 60;
    memcpy(r.state, "S0", 3);
    r.icmp_type = r.icmp_code = -1;
    r.icmp_id = -1;
    r.vlan = -1;
    return r;
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {"node-a", "cali*", "tcp", "pc -i 'cali*'", "live", 256, 5};
    struct writer_totals t = {99, 2502, 7, 3, 4, 5, 6, 1, 2};
    struct writer *w;
    struct flow_rec r;
    int64_t cid, iid, iid2;
    struct stat sb;

    assert_int_equal(writer_open(f->path, 1000, &f->d, &w), 0);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    assert_int_equal(writer_iface_add(w, "cali1", 7, 5, 1, &iid), 0);
    assert_int_equal(writer_iface_add(w, "x.pcap", -1, 0, 113, &iid2), 0);

    /* every optional column at its "none" value */
    r = rec_v4(1);
    writer_flow(w, &r);
    /* every column set, IPv6 */
    memset(&r, 0, sizeof(r));
    r.family = 6;
    r.proto = 6;
    r.src[0] = 0xfd, r.src[15] = 1;
    r.dst[0] = 0xfd, r.dst[14] = 0x12, r.dst[15] = 0x34;
    r.src_port = 51000;
    r.dst_port = 443;
    r.first_ns = INT64_C(1700000000123456789);
    r.last_ns = INT64_C(1700000001123456789);
    r.packets_fwd = 5, r.bytes_fwd = 400, r.packets_rev = 4, r.bytes_rev = 3000;
    r.flags_fwd = 0x1b, r.flags_rev = 0x12;
    memcpy(r.state, "SF", 3);
    memcpy(r.history, "ShADadFf", 9);
    r.icmp_type = 1, r.icmp_code = 4, r.icmp_count = 2, r.icmp_id = -1;
    r.iface = (uint32_t)iid;
    r.vlan = 100;
    r.interim = 1;
    r.dnat_family = 6;
    r.dnat[0] = 0xfd, r.dnat[15] = 9;
    r.dnat_port = 8443;
    writer_flow(w, &r);
    /* enough rows for several batches and automatic commits */
    for (uint32_t n = 2; n <= 2500; n++) {
        r = rec_v4(n);
        writer_flow(w, &r);
    }
    assert_int_equal(writer_commit(w), 0);
    assert_true(writer_flows(w) == 2501);
    assert_int_equal(writer_capture_end(w, &t), 0);
    assert_int_equal(writer_failed(w), 0);
    writer_close(&w);
    assert_null(w);

    expect_sql(f->path, "SELECT count(*) FROM flows", "2501");
    expect_sql(f->path,
               "SELECT capture_id || '|' || proto || '|' || src_ip || '|' || src_port || '|' ||"
               " dst_ip || '|' || dst_port || '|' || first_ns || '|' || last_ns || '|' ||"
               " packets_fwd || '|' || bytes_fwd || '|' || packets_rev || '|' || bytes_rev ||"
               " '|' || flags_fwd || '|' || flags_rev || '|' || state || '|' ||"
               " quote(history) || '|' || quote(icmp_type) || '|' || quote(icmp_code) || '|' ||"
               " quote(iface) || '|' || quote(vlan) || '|' || icmp_count || '|' ||"
               " quote(icmp_id) || '|' || interim FROM flows ORDER BY id LIMIT 1",
               "1|17|10.1.0.1|40000|10.2.0.53|53|1001|2001|1|60|0|0|0|0|S0|NULL|NULL|NULL|NULL|"
               "NULL|0|NULL|0");
    expect_sql(f->path,
               "SELECT src_ip || '|' || dst_ip || '|' || first_ns || '|' || history || '|' ||"
               " icmp_type || '|' || icmp_code || '|' || icmp_count || '|' || iface || '|' ||"
               " vlan || '|' || interim || '|' || flags_fwd || '|' || dnat_ip || '|' ||"
               " dnat_port FROM flows WHERE id = 2",
               "fd00::1|fd00::1234|1700000000123456789|ShADadFf|1|4|2|1|100|1|27|fd00::9|8443");
    /* no DNAT: both NULL */
    expect_sql(f->path, "SELECT quote(dnat_ip) || quote(dnat_port) FROM flows WHERE id = 3",
               "NULLNULL");
    /* rows 65.. went in by the statement of lean rows: the columns it
     * leaves out hold their defaults, the others what was bound */
    expect_sql(f->path,
               "SELECT count(*) FROM flows WHERE id >= 65 AND dnat_ip IS NULL AND"
               " dnat_port IS NULL AND interim = 0 AND open = 0 AND first_ns = 999 + id AND"
               " src_ip = '10.1.' || ((id - 1) / 256) || '.' || ((id - 1) % 256)",
               "2437");
    expect_sql(
        f->path,
        "SELECT node || '|' || started_ns || '|' || ended_ns || '|' || interfaces || '|' ||"
        " filter || '|' || snaplen || '|' || packets_seen || '|' || packets_dropped || '|' ||"
        " packets_if_dropped || '|' || flows_written || '|' || command || '|' || source ||"
        " '|' || packets_malformed || '|' || packets_other || '|' || fragments_orphan ||"
        " '|' || flows_evicted || '|' || icmp_unmatched || '|' || tool_version"
        " FROM captures",
        "node-a|5|99|cali*|tcp|256|2502|7|3|2501|pc -i 'cali*'|live|4|5|6|1|2|" PODFLOW_VERSION);
    expect_sql(f->path,
               "SELECT group_concat(id || ':' || name || ':' || quote(ifindex) || ':' ||"
               " quote(appeared_ns) || ':' || quote(vanished_ns) || ':' || linktype, ' ')"
               " FROM interfaces",
               "1:cali1:7:5:NULL:1 2:x.pcap:NULL:NULL:NULL:113");
    expect_sql(f->path, "PRAGMA integrity_check", "ok");
    assert_string_equal(f->msg, "");
}

/* Rows not yet committed are lost with the process, those committed are
 * not: the thread commits every batch_rows rows. */
static void test_commit_window(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {NULL, "f.pcap", NULL, NULL, "file", 0, 1};
    struct writer_totals t;
    struct writer *w;
    struct flow_rec r;
    int64_t cid, iid;

    memset(&t, 0, sizeof(t));
    assert_int_equal(writer_open(f->path, 1000, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    for (uint32_t n = 1; n <= 2500; n++) {
        r = rec_v4(n);
        writer_flow(w, &r);
    }
    /* a rare operation waits for the queue: 2048 rows (two full batches)
     * are inserted, 2000 of them committed */
    assert_int_equal(writer_iface_add(w, "later", 3, 9, 1, &iid), 0);
    writer_close(&w); /* no commit: the open transaction is rolled back */
    expect_sql(f->path, "SELECT count(*) FROM flows", "2000");
    expect_sql(f->path, "SELECT max(first_ns) FROM flows", "3000");
    expect_sql(f->path, "SELECT quote(ended_ns) FROM captures", "NULL");
    expect_sql(f->path, "PRAGMA integrity_check", "ok");

    /* the file takes a second capture, numbered 2 */
    assert_int_equal(writer_open(f->path, 0, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    assert_true(cid == 2);
    r = rec_v4(1);
    writer_flow(w, &r);
    assert_int_equal(writer_capture_end(w, &t), 0);
    writer_close(&w);
    expect_sql(f->path, "SELECT count(*) FROM flows WHERE capture_id = 2", "1");
    expect_sql(f->path, "SELECT flows_written FROM captures WHERE id = 2", "1");
}

/* Open rows: an open record inserts a row with open 1, a later one of the
 * same slot updates that row in place, the final one closes it (open 0);
 * a plain record in between still goes in as its own row; a crash
 * (no commit after the last open records) keeps what was committed. */
static void test_open_rows(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {NULL, "cali*", NULL, NULL, "live", 0, 1};
    struct writer_totals t;
    struct writer *w;
    struct flow_rec r, other;
    int64_t cid;

    memset(&t, 0, sizeof(t));
    assert_int_equal(writer_open(f->path, 0, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    r = rec_v4(1);
    r.open = 1;
    r.slot = 5000; /* beyond the first allocation of the slot map */
    writer_flow(w, &r);
    other = rec_v4(2);
    writer_flow(w, &other);
    assert_int_equal(writer_commit(w), 0);
    expect_sql(f->path, "SELECT count(*) || ' ' || sum(open) FROM flows", "2 1");

    r.replaces = 1;
    r.packets_fwd = 7;
    writer_flow(w, &r);
    assert_int_equal(writer_commit(w), 0);
    expect_sql(f->path, "SELECT count(*) || ' ' || sum(open) || ' ' || max(packets_fwd) FROM flows",
               "2 1 7");

    /* committed, then the process dies: the open row stays, as committed */
    r.packets_fwd = 9;
    writer_flow(w, &r);
    writer_close(&w);
    expect_sql(f->path, "SELECT packets_fwd || ' ' || open FROM flows WHERE first_ns = 1001",
               "7 1");

    /* a new run: its final record replaces nothing of the old run's */
    assert_int_equal(writer_open(f->path, 0, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    r = rec_v4(3);
    r.open = 1;
    r.slot = 5000;
    writer_flow(w, &r);
    r.open = 0;
    r.replaces = 1;
    r.packets_fwd = 11;
    writer_flow(w, &r);
    assert_int_equal(writer_capture_end(w, &t), 0);
    writer_close(&w);
    expect_sql(f->path,
               "SELECT count(*) || ' ' || sum(open) || ' ' || max(packets_fwd) FROM flows"
               " WHERE capture_id = 2",
               "1 0 11");
    expect_sql(f->path, "SELECT flows_written FROM captures WHERE id = 2", "1");
    expect_sql(f->path, "SELECT count(*) FROM flows WHERE open = 1", "1");
    assert_string_equal(f->msg, "");
}

/* writer_commit_async(): the thread commits what was queued before the
 * request, and the caller does not wait for it.  The rows queued after it
 * are not committed (writer_close() drops them), those before are:
 * without the commit, the close would roll back all of them. */
static void test_commit_async(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {NULL, "cali*", NULL, NULL, "live", 0, 1};
    struct writer *w;
    struct flow_rec r;
    int64_t cid;

    assert_int_equal(writer_open(f->path, 100000, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    for (uint32_t n = 1; n <= 1500; n++) { /* a full batch and part of one */
        r = rec_v4(n);
        writer_flow(w, &r);
    }
    assert_int_equal(writer_commit_async(w), 0);
    /* a commit request with no rows before it commits nothing new */
    assert_int_equal(writer_commit_async(w), 0);
    for (uint32_t n = 1501; n <= 1600; n++) {
        r = rec_v4(n);
        writer_flow(w, &r);
    }
    writer_close(&w);
    expect_sql(f->path, "SELECT count(*) || ' ' || max(first_ns) FROM flows", "1500 2500");
    expect_sql(f->path, "SELECT flows_written FROM captures", "1500");
    expect_sql(f->path, "PRAGMA integrity_check", "ok");
    assert_string_equal(f->msg, "");
}

struct post_ctx {
    pthread_t caller;
    int ran, released;
    int on_caller; /* fn ran on the caller's thread */
    long flows;    /* flows rows fn saw */
    int fail;      /* fn inserts a row, then fails and undoes it */
};

static int post_fn(sqlite3 *db, void *arg)
{
    struct post_ctx *p = arg;
    sqlite3_stmt *st;

    p->ran++;
    p->on_caller = pthread_equal(pthread_self(), p->caller);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM flows", -1, &st, NULL) != SQLITE_OK)
        return ERR_DB;
    if (sqlite3_step(st) == SQLITE_ROW)
        p->flows = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_exec(db, "SAVEPOINT t; INSERT INTO meta (key, value) VALUES ('post', 'x')", NULL, NULL,
                 NULL);
    sqlite3_exec(db, p->fail ? "ROLLBACK TO t; RELEASE t" : "RELEASE t", NULL, NULL, NULL);
    return p->fail ? ERR_DB : 0;
}

static void post_release(void *arg)
{
    struct post_ctx *p = arg;

    p->released++;
}

/* writer_post(): the job runs on the writer's thread, after the rows
 * queued before it, in the transaction they are committed with; it is
 * released once; a failed job is not latched (the rows go on); after a
 * latched error a job is released without running. */
static void test_post(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {NULL, "cali*", NULL, NULL, "live", 0, 1};
    struct writer_totals t;
    struct writer *w;
    struct flow_rec r;
    struct post_ctx ok, bad, late;
    int64_t cid;

    memset(&t, 0, sizeof(t));
    memset(&ok, 0, sizeof(ok));
    memset(&bad, 0, sizeof(bad));
    memset(&late, 0, sizeof(late));
    ok.caller = bad.caller = late.caller = pthread_self();
    bad.fail = 1;
    assert_int_equal(writer_open(f->path, 0, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    for (uint32_t n = 1; n <= 10; n++) {
        r = rec_v4(n);
        writer_flow(w, &r);
    }
    assert_int_equal(writer_post(w, post_fn, post_release, &ok), 0);
    r = rec_v4(11);
    writer_flow(w, &r);
    assert_int_equal(writer_post(w, post_fn, post_release, &bad), 0);
    r = rec_v4(12);
    writer_flow(w, &r);
    assert_int_equal(writer_commit(w), 0);
    assert_int_equal(ok.ran, 1);
    assert_int_equal(ok.released, 1);
    assert_false(ok.on_caller);
    assert_int_equal(ok.flows, 10);
    assert_int_equal(bad.ran, 1);
    assert_int_equal(bad.released, 1);
    assert_int_equal(bad.flows, 11);
    assert_int_equal(writer_failed(w), 0);
    expect_sql(f->path, "SELECT count(*) FROM flows", "12");
    expect_sql(f->path, "SELECT count(*) FROM meta WHERE key = 'post'", "1");

    /* a latched error: the job is released, never run */
    memcpy(r.state, "XX", 3);
    writer_flow(w, &r);
    assert_int_equal(writer_commit(w), ERR_INVALID);
    assert_int_equal(writer_post(w, post_fn, post_release, &late), ERR_INVALID);
    assert_int_equal(late.ran, 0);
    assert_int_equal(late.released, 1);
    assert_int_equal(writer_commit_async(w), ERR_INVALID);
    writer_close(&w);
    assert_non_null(strstr(f->msg, "invalid state 'XX'"));
}

/* The writer's thread copies the WAL back into the file after its
 * commits once it passes 4096 pages; the automatic checkpoint (which
 * would run after any commit, on any thread) is off. */
static void test_checkpoint(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {NULL, "cali*", NULL, NULL, "live", 0, 1};
    struct writer *w;
    struct flow_rec r;
    struct stat sb;
    int64_t cid;

    assert_int_equal(writer_open(f->path, 0, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_true(sb.st_size < 256 * 1024); /* the schema's pages */
    /* 3000 commits of 10 rows: each appends the pages it changed (the
     * table's, its indexes', the captures row's: 2.5 on average) to the
     * WAL, well past 4096 pages in all */
    for (uint32_t n = 1; n <= 30000; n++) {
        r = rec_v4(n);
        r.dst[2] = (uint8_t)(n >> 8);
        r.dst[3] = (uint8_t)n;
        writer_flow(w, &r);
        if (n % 10 == 0)
            assert_int_equal(writer_commit_async(w), 0);
    }
    assert_int_equal(writer_commit(w), 0);
    /* the thread's checkpoints copied the rows into the file, which grew
     * while the writer still holds it open */
    assert_int_equal(stat(f->path, &sb), 0);
    assert_true(sb.st_size > 512 * 1024);
    expect_sql(f->path, "SELECT count(*) FROM flows", "30000");
    writer_close(&w);
    assert_string_equal(f->msg, "");
}

/* Open rows among plain ones: they go in with the plain rows, WRITER_MULTI
 * a statement, in the order emitted (flows.id follows first_ns here), and
 * each later record of such a flow finds its row by the id the statement
 * gave it; a final record that comes while its open row still waits for a
 * statement takes that row's place (one row, its id, open 0). */
static void test_open_rows_batched(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {NULL, "cali*", NULL, NULL, "live", 0, 1};
    struct writer_totals t;
    struct writer *w;
    struct flow_rec r;
    int64_t cid;
    uint32_t n;

    memset(&t, 0, sizeof(t));
    assert_int_equal(writer_open(f->path, 0, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    for (n = 1; n <= 301; n++) {
        r = rec_v4(n);
        r.slot = n;
        r.open = n % 10 == 0 || n == 301;
        writer_flow(w, &r);
    }
    r.open = 0; /* flow 301 ends before its open row is written */
    r.replaces = 1;
    r.packets_fwd = 999;
    writer_flow(w, &r);
    assert_int_equal(writer_commit(w), 0);
    expect_sql(f->path, "SELECT count(*) || ' ' || sum(open) FROM flows", "301 30");
    expect_sql(f->path, "SELECT count(*) FROM flows WHERE id <> first_ns - 1000", "0");
    expect_sql(f->path, "SELECT packets_fwd || ' ' || open FROM flows WHERE id = 301", "999 0");

    for (n = 10; n <= 300; n += 10) {
        r = rec_v4(n);
        r.slot = n;
        r.replaces = 1;
        r.packets_fwd = n;
        writer_flow(w, &r);
    }
    assert_int_equal(writer_capture_end(w, &t), 0);
    writer_close(&w);
    expect_sql(f->path, "SELECT count(*) || ' ' || sum(open) FROM flows", "301 0");
    expect_sql(f->path, "SELECT count(*) FROM flows WHERE packets_fwd = id AND id % 10 = 0", "30");
    expect_sql(f->path, "SELECT sum(packets_fwd) FROM flows WHERE id % 10 <> 0 AND id < 301",
               "270");
    expect_sql(f->path, "SELECT flows_written FROM captures", "301");
    assert_string_equal(f->msg, "");
}

/* A record the flow table should never make: refused, reported once,
 * latched; nothing after it is written. */
static void test_invalid_state(void **state)
{
    struct fixture *f = *state;
    struct writer_capture wc = {NULL, "f.pcap", NULL, NULL, "file", 0, 1};
    struct writer *w;
    struct flow_rec r;
    int64_t cid;

    assert_int_equal(writer_open(f->path, 0, &f->d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    r = rec_v4(1);
    writer_flow(w, &r);
    memcpy(r.state, "XX", 3);
    writer_flow(w, &r);
    writer_flow(w, &r);
    assert_int_equal(writer_commit(w), ERR_INVALID);
    assert_int_equal(writer_failed(w), ERR_INVALID);
    writer_close(&w);
    assert_non_null(strstr(f->msg, "invalid state 'XX'"));
    assert_null(strstr(strstr(f->msg, "invalid state") + 1, "invalid state"));
}

static void test_open_fails(void **state)
{
    struct fixture *f = *state;
    struct writer *w = (struct writer *)1;
    char path[128];

    snprintf(path, sizeof(path), "%s/no/such/dir/case.db", f->dir);
    assert_true(writer_open(path, 0, &f->d, &w) < 0);
    assert_null(w);
    assert_non_null(strstr(f->msg, "no/such/dir/case.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_ipv4),
        cmocka_unit_test(test_fmt_ipv6),
        cmocka_unit_test(test_state_valid),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_rows_batched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
