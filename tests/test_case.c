/*
 * test_case.c: the case reader's per-flow address parser
 * (analyze/case/flowrow.c fast_v4) must accept and refuse exactly what
 * inet_pton(3) does, and give the same bytes.  Pairing: test_pair.c.
 * (format 3) Each flow gets the process at each end by flows_named's rule,
 * and flows.open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "common/db.h"
#include "common/err.h"
#include "common/compat.h"

static void test_fast_v4_matches_inet_pton(void **state)
{
    static const char *const cases[] = {
        "10.0.0.1",        /* plain */
        "0.0.0.0",         /* zeros */
        "255.255.255.255", /* maxima */
        "256.0.0.1",       /* part too large */
        "1.2.3",           /* three parts */
        "1.2.3.4.5",       /* five parts */
        "01.2.3.4",        /* leading zero: inet_pton refuses */
        "1.2.3.04",        /* leading zero in the last part */
        "1..2.3",          /* empty part */
        "1.2.3.4 ",        /* trailing space */
        " 1.2.3.4",        /* leading space */
        "1.2.3.",          /* trailing dot */
        "a.b.c.d",         /* not digits */
        "1.2.3.4a",        /* trailing garbage */
        "9999.1.1.1",      /* long part */
        "",                /* empty */
        "::1",             /* IPv6: not ours */
        "1.2.3.-4",        /* sign */
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ipaddr ip;
        unsigned char want[4];
        int ok = inet_pton(AF_INET, cases[i], want) == 1;
        int rc = fast_v4(cases[i], strlen(cases[i]), &ip);

        if (ok != (rc == 0))
            fail_msg("'%s': inet_pton %s, fast_v4 %s", cases[i], ok ? "accepts" : "refuses",
                     rc == 0 ? "accepts" : "refuses");
        if (ok) {
            assert_int_equal(ip.family, 4);
            assert_memory_equal(ip.a, want, 4);
        }
    }
}

struct proc_seen {
    char text[8][96];
    size_t n;
};

static int on_flow_proc(void *ctx, const struct case_flow *fl)
{
    struct proc_seen *ps = ctx;

    assert_true(ps->n < 8);
    snprintf(ps->text[ps->n++], sizeof(ps->text[0]), "%lld %s/%lld %s/%lld %d", (long long)fl->id,
             fl->src_proc ? fl->src_proc->comm : "-",
             fl->src_proc && fl->src_proc->has_pid ? (long long)fl->src_proc->pid : -1,
             fl->dst_proc && fl->dst_proc->comm ? fl->dst_proc->comm : "-",
             fl->dst_proc && fl->dst_proc->has_pid ? (long long)fl->dst_proc->pid : -1, fl->open);
    return 0;
}

/* The sockets rule, as schema.sh checks flows_named: the client's
 * connected socket; at the server the DNAT backend's; an unconnected UDP
 * socket; sockets gone before or born after a flow match nothing; an open
 * row says so. */
static void test_flow_processes(void **state)
{
    char path[] = "/tmp/test_case.XXXXXX";
    struct proc_seen ps;
    struct case_db c;
    struct diag d;
    sqlite3 *db;
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    diag_init(&d, stderr, "test");
    assert_int_equal(db_open_writer(path, &d, &db), 0);
    assert_int_equal(
        sqlite3_exec(
            db,
            "INSERT INTO captures (id, started_ns, tool_version) VALUES (1, 0, 't');"
            "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
            " first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, dnat_ip,"
            " dnat_port, open) VALUES"
            " (1, 1, 6, '198.18.0.40', 40002, '198.18.0.20', 80, 2000, 2100, 3, 180, 2, 120,"
            " 'SF', '198.18.0.10', 8080, 0),"
            " (2, 1, 17, '198.18.0.30', 5353, '198.18.0.10', 53, 5, 6, 1, 80, 0, 0, 'S0', NULL,"
            " NULL, 1),"
            " (3, 1, 6, '198.18.0.40', 40003, '198.18.0.20', 80, 9000, 9100, 1, 60, 0, 0, 'S0',"
            " NULL, NULL, 0);"
            "INSERT INTO sockets (capture_id, proto, local_ip, local_port, remote_ip,"
            " remote_port, inode, pid, processes, comm, valid_from_ns, valid_to_ns) VALUES"
            " (1, 6, '198.18.0.40', 40002, '198.18.0.20', 80, 11, 100, 1, 'curl', NULL, 3000),"
            " (1, 6, '198.18.0.10', 8080, '198.18.0.40', 40002, 13, 300, 1, 'old', NULL, 2000),"
            " (1, 6, '198.18.0.10', 8080, '198.18.0.40', 40002, 12, NULL, 2, 'python3', 1900,"
            " NULL),"
            " (1, 6, '198.18.0.10', 8080, '198.18.0.40', 40002, 14, 400, 1, 'new', 2100, NULL),"
            " (1, 17, '198.18.0.10', 53, NULL, NULL, 15, 500, 1, 'dnsd', NULL, NULL),"
            " (1, 6, '198.18.0.40', 40003, '198.18.0.20', 80, 16, 600, 1, 'gone', NULL, 8000);",
            NULL, NULL, NULL),
        SQLITE_OK);
    db_close(&db, &d);
    assert_int_equal(case_open(&c, path, &d), 0);
    memset(&ps, 0, sizeof(ps));
    assert_int_equal(case_flows(&c, NULL, on_flow_proc, &ps, &d), 0);
    case_close(&c);
    unlink(path);
    assert_int_equal(ps.n, 3);
    assert_string_equal(ps.text[0], "1 curl/100 python3/-1 0"); /* several held it: no pid */
    assert_string_equal(ps.text[1], "2 -/-1 dnsd/500 1");
    assert_string_equal(ps.text[2], "3 -/-1 -/-1 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_v4_matches_inet_pton),
        cmocka_unit_test(test_flow_processes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
