/*
 * test_conntrack.c: the Service translation map of capture/conntrack.c
 * (without the kernel: ct_note() is what each conntrack entry feeds it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "capture/conntrack.h"
#include "capture/flow.h"
#include "common/util.h"
#include "common/compat.h"

static const uint8_t CLI[4] = {198, 18, 3, 10}, SVC[4] = {198, 19, 0, 10},
                     POD[4] = {198, 18, 3, 20}, POD2[4] = {198, 18, 3, 21};

static void rec4(struct flow_rec *r, uint8_t proto, const uint8_t *src, uint16_t sport,
                 const uint8_t *dst, uint16_t dport)
{
    memset(r, 0, sizeof(*r));
    r->family = 4;
    r->proto = proto;
    memcpy(r->src, src, 4);
    memcpy(r->dst, dst, 4);
    r->src_port = sport;
    r->dst_port = dport;
}

static void test_annotate(void **state)
{
    struct ct_map *m = ct_map_new(0);
    struct flow_rec r;

    (void)state;
    ct_note(m, 4, 6, CLI, 40003, SVC, 80, POD, 8080);
    /* A row of the translated tuple gets the backend. */
    rec4(&r, 6, CLI, 40003, SVC, 80);
    assert_int_equal(ct_annotate(m, &r), 1);
    assert_int_equal(r.dnat_family, 4);
    assert_memory_equal(r.dnat, POD, 4);
    assert_int_equal(r.dnat_port, 8080);
    /* Another source port, another protocol, the reply direction: no. */
    rec4(&r, 6, CLI, 40004, SVC, 80);
    assert_int_equal(ct_annotate(m, &r), 0);
    assert_int_equal(r.dnat_family, 0);
    rec4(&r, 17, CLI, 40003, SVC, 80);
    assert_int_equal(ct_annotate(m, &r), 0);
    rec4(&r, 6, SVC, 80, CLI, 40003);
    assert_int_equal(ct_annotate(m, &r), 0);
    /* The same tuple again (port reuse): the latest backend wins. */
    ct_note(m, 4, 6, CLI, 40003, SVC, 80, POD2, 9090);
    rec4(&r, 6, CLI, 40003, SVC, 80);
    assert_int_equal(ct_annotate(m, &r), 1);
    assert_memory_equal(r.dnat, POD2, 4);
    assert_int_equal(r.dnat_port, 9090);
    assert_int_equal(ct_noted(m), 2);
    /* No map (conntrack unavailable): nothing, and the fields are cleared. */
    r.dnat_family = 6;
    assert_int_equal(ct_annotate(NULL, &r), 0);
    assert_int_equal(r.dnat_family, 0);
    ct_close(&m);
    assert_null(m);
}

static void test_ipv6(void **state)
{
    struct ct_map *m = ct_map_new(4);
    uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, b[16] = {0xfd, 0, [15] = 0x10},
            c[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    struct flow_rec r;

    (void)state;
    ct_note(m, 6, 6, a, 1000, b, 443, c, 8443);
    memset(&r, 0, sizeof(r));
    r.family = 6;
    r.proto = 6;
    memcpy(r.src, a, 16);
    memcpy(r.dst, b, 16);
    r.src_port = 1000;
    r.dst_port = 443;
    assert_int_equal(ct_annotate(m, &r), 1);
    assert_int_equal(r.dnat_family, 6);
    assert_memory_equal(r.dnat, c, 16);
    /* A family that is neither is ignored. */
    ct_note(m, 5, 6, a, 1, b, 2, c, 3);
    assert_int_equal(ct_noted(m), 1);
    ct_close(&m);
}

/* Full: the oldest entries are forgotten, chains stay consistent. */
static void test_eviction(void **state)
{
    struct ct_map *m = ct_map_new(8);
    struct flow_rec r;
    int found = 0;

    (void)state;
    for (uint16_t p = 1; p <= 20; p++)
        ct_note(m, 4, 17, CLI, p, SVC, 53, POD, 5353);
    for (uint16_t p = 1; p <= 20; p++) {
        rec4(&r, 17, CLI, p, SVC, 53);
        if (ct_annotate(m, &r)) {
            assert_true(p > 12); /* only the last 8 are kept */
            found++;
        }
    }
    assert_int_equal(found, 8);
    ct_close(&m);
    ct_close(&m); /* NULL does nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annotate),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_eviction),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
