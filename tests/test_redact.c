/*
 * test_redact.c: analyze/redact.c: redact_db() on a small case (the
 * pseudonyms themselves: tests/test_pseudo.c): internal addresses
 * (endpoints and ip_ifaces) untouched, external ones replaced consistently (flows and endpoints
 * agree), one-to-one even past the 768 TEST-NET addresses, families kept, the same key giving the
 * same pseudonyms and another key others; the capture's command line cleared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/case/redact.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ipaddr.h"
#include "common/compat.h"

static char dir[64];

/* A case with pods 10.0.0.1-2, a Service 10.96.0.1, a host 192.168.1.1, an
 * external endpoint 8.8.8.8, and flows from each pod to n external IPv4
 * addresses 100.64.x.y, to 8.8.8.8, 2606:4700::1111, the Service, the host
 * and 127.0.0.1, plus one flow whose address text does not parse. */
static sqlite3 *make_case(const char *name, unsigned n)
{
    char path[128], sql[512];
    struct diag d;
    sqlite3 *db;

    diag_init(&d, stderr, "test");
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(db_open_writer(path, &d, &db), 0);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO captures (id, started_ns, tool_version, command, filter) "
                     "VALUES (1, 0, 't', 'podflow-capture -f \"host 8.8.8.8\"', 'host 8.8.8.8');"
                     "INSERT INTO endpoints (ip, kind, namespace, name) VALUES "
                     "('10.0.0.1', 'pod', 'a', 'p1'), ('10.0.0.2', 'pod', 'a', 'p2'), "
                     "('10.96.0.1', 'service', 'a', 's'), ('192.168.1.1', 'host', NULL, 'n1'), "
                     "('8.8.8.8', 'external', NULL, 'dns');"
                     /* netlink saw this one behind a pod's interface: internal */
                     "INSERT INTO ip_ifaces (capture_id, ip, iface, kind, via) "
                     "VALUES (1, '100.64.0.1', 'cali1', 'pod', 'route');"
                     /* (format 3) a pod's socket to an external peer */
                     "INSERT INTO sockets (capture_id, proto, local_ip, local_port, remote_ip,"
                     " remote_port, inode, pid, comm) VALUES (1, 6, '10.0.0.1', 1000,"
                     " '8.8.8.8', 443, 7, 42, 'curl');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (unsigned i = 0; i < n + 6; i++) {
        char peer[64];

        if (i < n)
            snprintf(peer, sizeof(peer), "100.64.%u.%u", i / 250, i % 250 + 1);
        else
            snprintf(peer, sizeof(peer), "%s",
                     (const char *[]){"8.8.8.8", "2606:4700::1111", "10.96.0.1", "192.168.1.1",
                                      "127.0.0.1", "not-an-address"}[i - n]);
        for (int p = 1; p <= 2; p++) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, "
                     "first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state) "
                     "VALUES (1, 6, '%s', %u, '%s', 443, 0, 1, 1, 60, 1, 60, 'SF')",
                     strchr(peer, ':') && p == 1 ? "fd00::1"
                     : p == 1                    ? "10.0.0.1"
                                                 : "10.0.0.2",
                     1000 + i, peer);
            assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        }
    }
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static char *query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    char *out = NULL;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out ? out : strdup("(null)");
}

static void expect(sqlite3 *db, const char *sql, const char *want)
{
    char *got = query(db, sql);

    if (strcmp(got, want) != 0)
        fail_msg("%s\n  got  %s\n  want %s", sql, got, want);
    free(got);
}

static void test_redact_db(void **state)
{
    static const uint8_t key1[REDACT_KEY_LEN] = {1}, key2[REDACT_KEY_LEN] = {2};
    const unsigned n = 1000; /* past the 768 TEST-NET addresses */
    struct redact_stats st;
    struct diag d;
    sqlite3 *a = make_case("a.db", n), *b = make_case("b.db", n), *c = make_case("c.db", n);
    char *pa, *pb, *pc;

    (void)state;
    diag_init(&d, stderr, "test");
    assert_int_equal(redact_db(a, key1, NULL, &st, &d), 0);
    /* 1000 less 100.64.0.1 (ip_ifaces) + 8.8.8.8; 10.0.0.1's v6 address fd00::1
     * is external too (not in the inventory) */
    assert_int_equal(st.addrs_v4, n);
    assert_int_equal(st.addrs_v6, 2);
    assert_int_equal(st.addrs_bad, 1);
    assert_int_equal(st.endpoints, 1);
    assert_int_equal(st.captures, 1);
    /* internal and special addresses untouched */
    expect(a, "SELECT count(*) FROM flows WHERE src_ip IN ('10.0.0.1', '10.0.0.2')",
           "2011"); /* every flow but the one from p1's v6 address */
    expect(a,
           "SELECT count(*) FROM flows WHERE dst_ip IN ('10.96.0.1', '192.168.1.1', "
           "'127.0.0.1', '100.64.0.1')",
           "8");
    /* no external address left, anywhere */
    expect(a,
           "SELECT count(*) FROM flows WHERE (dst_ip LIKE '100.64.%' AND dst_ip != '100.64.0.1') "
           "OR dst_ip = '8.8.8.8' "
           "OR dst_ip = '2606:4700::1111' OR src_ip = 'fd00::1' OR dst_ip = 'not-an-address'",
           "0");
    expect(a, "SELECT count(*) FROM endpoints WHERE ip = '8.8.8.8'", "0");
    /* a socket's external peer gets the flow's pseudonym; the pod stays */
    expect(a,
           "SELECT count(*) FROM sockets AS k JOIN flows AS f ON f.src_ip = k.local_ip"
           " AND f.dst_ip = k.remote_ip"
           " WHERE k.local_ip = '10.0.0.1' AND k.remote_ip != '8.8.8.8'",
           "1");
    /* one-to-one: the 1006 distinct peers stay distinct, and both pods'
     * flows to one peer still share it */
    expect(a, "SELECT count(DISTINCT dst_ip) FROM flows", "1006");
    expect(a,
           "SELECT count(*) FROM (SELECT dst_ip FROM flows GROUP BY dst_ip "
           "HAVING count(*) != 2)",
           "0");
    /* the external endpoint and the flows to it agree */
    expect(a,
           "SELECT count(*) FROM flows f JOIN endpoints e ON e.ip = f.dst_ip "
           "WHERE e.kind = 'external'",
           "2");
    /* the ranges: 768 TEST-NET addresses, the rest of IPv4 in 240/4, v6 in 2001:db8::/32 */
    expect(a,
           "SELECT count(DISTINCT dst_ip) FROM flows WHERE dst_ip LIKE '192.0.2.%' OR "
           "dst_ip LIKE '198.51.100.%' OR dst_ip LIKE '203.0.113.%'",
           "768");
    expect(a,
           "SELECT count(DISTINCT dst_ip) FROM flows WHERE CAST(dst_ip AS INTEGER) "
           "BETWEEN 240 AND 255 AND dst_ip NOT LIKE '%:%'",
           "232");
    expect(a,
           "SELECT count(*) FROM flows WHERE src_ip LIKE '2001:db8:%' AND "
           "dst_ip LIKE '2001:db8:%'",
           "1");
    expect(a, "SELECT count(*) FROM flows WHERE dst_ip LIKE '2001:db8:%'", "4"); /* + bad text */
    expect(a, "SELECT command || ' ' || filter FROM captures", "[redacted] [redacted]");
    expect(a, "SELECT value FROM meta WHERE key = 'redacted'",
           "external addresses (podflow-analyze redact)");
    /* same key, same pseudonyms; another key, others */
    assert_int_equal(redact_db(b, key1, NULL, &st, &d), 0);
    assert_int_equal(redact_db(c, key2, NULL, &st, &d), 0);
    pa = query(a, "SELECT group_concat(dst_ip) FROM (SELECT dst_ip FROM flows ORDER BY id)");
    pb = query(b, "SELECT group_concat(dst_ip) FROM (SELECT dst_ip FROM flows ORDER BY id)");
    pc = query(c, "SELECT group_concat(dst_ip) FROM (SELECT dst_ip FROM flows ORDER BY id)");
    assert_string_equal(pa, pb);
    assert_string_not_equal(pa, pc);
    free(pa);
    free(pb);
    free(pc);
    sqlite3_close(a);
    sqlite3_close(b);
    sqlite3_close(c);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/redact-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_db),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
