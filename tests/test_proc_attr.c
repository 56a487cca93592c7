/*
 * test_proc_attr.c: process attribution (capture/proc_attr.c): the index
 * of the namespaces' addresses (an address held by one namespace finds
 * it, one held by several or by none finds none, over both families), and
 * the capture's side against a helper played by the test (a live
 * capture's lookups never wait for a helper that is behind; the flows not
 * looked up are counted in captures.flows_unsought).  The helper itself
 * (namespaces, sockets, processes) is tested end to end by
 * tests/it/process_attr.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture/proc_attr.h"
#include "capture/proc_attr_int.h"
#include "capture/writer.h"
#include "common/err.h"
#include "common/ipaddr.h"
#include "common/compat.h"

/* An address from its text (the tests' own, always valid). */
static struct ipaddr ip(const char *s)
{
    struct ipaddr a;

    assert_int_equal(ipaddr_parse(s, strlen(s), &a), 0);
    return a;
}

static void test_addr_index(void **state)
{
    /* the namespaces' addresses, in dump order: namespace, address */
    static const struct {
        uint32_t ns;
        const char *ip;
    } held[] = {
        {0, "10.0.0.1"},                      /* the node */
        {0, "fd00::1"},                       /* the node, IPv6 */
        {1, "10.244.1.5"},                    /* a pod */
        {1, "fd00:1::5"},  {2, "10.244.1.6"}, /* another pod */
        {2, "10.244.1.6"},                    /* on two of its links: still its own */
        {3, "10.244.1.7"},                    /* two pods with one address (a host-network */
        {4, "10.244.1.7"},                    /*   pod, an overlap): neither, never a guess */
        {5, "127.0.0.1"},                     /* loopback in every namespace */
        {1, "127.0.0.1"},  {0, "127.0.0.1"},  {4, "10.0.0.2"},
    };
    /* what each address finds */
    static const struct {
        const char *ip;
        uint32_t ns;
    } want[] = {
        {"10.0.0.1", 0},
        {"fd00::1", 0},
        {"10.244.1.5", 1},
        {"fd00:1::5", 1},
        {"10.244.1.6", 2},
        {"10.244.1.7", PA_NS_SEVERAL},
        {"127.0.0.1", PA_NS_SEVERAL},
        {"10.0.0.2", 4},
        {"10.0.0.3", PA_NS_SEVERAL},        /* no namespace's */
        {"::ffff:10.0.0.1", PA_NS_SEVERAL}, /* another family's bytes */
        {"0.0.0.0", PA_NS_SEVERAL},
        {"ffff::", PA_NS_SEVERAL},
    };
    struct pa_addr_ns ix[sizeof(held) / sizeof(held[0])];
    size_t n = sizeof(held) / sizeof(held[0]), i;

    (void)state;
    for (i = 0; i < n; i++) {
        ix[i].ip = ip(held[i].ip);
        ix[i].ns = held[i].ns;
    }
    n = pa_addr_index(ix, n);
    assert_int_equal(n, 8); /* one entry per address */
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct ipaddr a = ip(want[i].ip);

        if (pa_addr_find(ix, n, &a) != want[i].ns)
            fail_msg("%s: found %u, want %u", want[i].ip, pa_addr_find(ix, n, &a), want[i].ns);
    }
    /* nothing indexed: nothing found */
    assert_int_equal(pa_addr_index(ix, 0), 0);
    {
        struct ipaddr a = ip("10.0.0.1");
        assert_int_equal(pa_addr_find(ix, 0, &a), PA_NS_SEVERAL);
    }
}

/* Many addresses, each namespace holding its own and sharing one: every
 * one found by the binary search, whatever the dump order. */
static void test_addr_index_many(void **state)
{
    enum { NNS = 200, PER = 3 };
    static struct pa_addr_ns ix[NNS * PER];
    size_t n = 0, i;
    uint32_t k;

    (void)state;
    for (k = 0; k < NNS; k++) {
        for (i = 0; i < PER; i++) {
            struct pa_addr_ns *e = &ix[n++];

            memset(e, 0, sizeof(*e));
            e->ip.family = 4;
            e->ip.a[0] = 10;
            /* addresses in a scrambled order; the last of each is shared */
            e->ip.a[1] = (uint8_t)(i == PER - 1 ? 255 : (k * 37) % NNS);
            e->ip.a[2] = (uint8_t)i;
            e->ns = (uint32_t)NNS - 1 - k;
        }
    }
    n = pa_addr_index(ix, n);
    assert_int_equal(n, NNS * (PER - 1) + 1);
    for (k = 0; k < NNS; k++) {
        for (i = 0; i + 1 < PER; i++) {
            struct ipaddr a;

            memset(&a, 0, sizeof(a));
            a.family = 4;
            a.a[0] = 10;
            a.a[1] = (uint8_t)((k * 37) % NNS);
            a.a[2] = (uint8_t)i;
            assert_int_equal(pa_addr_find(ix, n, &a), NNS - 1 - k);
        }
    }
}

#define NS_PER_S INT64_C(1000000000)

/* The lookup message's header: type and count (proc_attr.c). */
#define LOOKUP_HDR (2 * sizeof(uint32_t))

/* 50,000 new flows (within the rate: 10,000 a second of their clock)
 * while the helper reads nothing: pa_flush() returns at once (a wait
 * would hang here until the alarm kills the test), the batches its socket
 * took are there to read, and every other flow is counted unsought. */
static void test_no_wait(void **state)
{
    struct writer_capture wc = {NULL, "cali*", NULL, NULL, "live", 0, 1};
    char dir[] = "/tmp/test_proc_attr.XXXXXX", path[64], sql[80];
    uint8_t src[16] = {198, 18, 0, 1}, dst[16] = {198, 18, 0, 2};
    static union {
        uint32_t n[2];
        char buf[1 << 16];
    } m;
    struct pa_client *c;
    struct writer *w;
    struct diag d;
    uint64_t sent = 0, n = 50000;
    sqlite3 *db;
    sqlite3_stmt *st;
    ssize_t got;
    int sp[2];
    int64_t cid;

    (void)state;
    diag_init(&d, NULL, "test");
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
    c = pa_client_on_fd(sp[0], &d);
    pa_no_wait(c);
    alarm(20);
    for (uint64_t i = 0; i < n; i++)
        pa_lookup(c, 4, 17, src, (uint16_t)(i % 60000), dst, 53, (int64_t)(i / 10000) * NS_PER_S);
    pa_flush(c);
    alarm(0);
    while ((got = recv(sp[1], &m, sizeof(m), MSG_DONTWAIT)) > 0) {
        assert_true((size_t)got >= LOOKUP_HDR);
        sent += m.n[1];
    }
    assert_true(got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    /* the socket took some and refused the rest */
    assert_true(sent > 0);
    assert_true(sent < n);

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/case.db", dir);
    assert_int_equal(writer_open(path, 0, &d, &w), 0);
    assert_int_equal(writer_capture_begin(w, &wc, &cid), 0);
    assert_int_equal(pa_write(c, w, cid, NULL, NULL), 0);
    assert_int_equal(writer_commit(w), 0);
    writer_close(&w);
    pa_close(&c);
    close(sp[1]);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT flows_unsought FROM captures", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true((uint64_t)sqlite3_column_int64(st, 0) == n - sent);
    sqlite3_finalize(st);
    sqlite3_close(db);
    snprintf(sql, sizeof(sql), "%s-wal", path);
    unlink(sql);
    snprintf(sql, sizeof(sql), "%s-shm", path);
    unlink(sql);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_index),
        cmocka_unit_test(test_addr_index_many),
        cmocka_unit_test(test_no_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
