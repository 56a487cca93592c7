/*
 * test_polnets.c: common/polnets.c: the CIDRs policy files name, in every
 * shape the policy kinds write them (Calico rules' nets and notNets in v3
 * and storage form, NetworkSets, Kubernetes ipBlock with except, lists),
 * nothing from objects outside the policy groups, warnings for what is not
 * a CIDR or too wide, an error for a file that is not YAML, and
 * polnets_contains() / polnets_covers(); the index (binary search over
 * merged ranges) answering as the plain scan does; what several
 * redactions keep together (polnets_intersect(), polnets_after_redaction()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/polnets.h"
#include "common/compat.h"

static const char policies[] =
    "apiVersion: projectcalico.org/v3\n"
    "kind: GlobalNetworkPolicy\n"
    "metadata: {name: g}\n"
    "spec:\n"
    "  egress:\n"
    "  - action: Allow\n"
    "    destination: {nets: [52.94.0.0/16, 'fd00:1::/64'], notNets: [52.94.7.0/24]}\n"
    "  - action: Deny\n"
    "    destination: {nets: [0.0.0.0/0, 16.0.0.0/4, not-a-cidr]}\n"
    "---\n"
    "apiVersion: crd.projectcalico.org/v1\n"
    "kind: GlobalNetworkSet\n"
    "metadata: {name: s}\n"
    "spec: {nets: [203.0.113.9]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: List\n"
    "items:\n"
    "- apiVersion: networking.k8s.io/v1\n"
    "  kind: NetworkPolicy\n"
    "  metadata: {name: k, namespace: n}\n"
    "  spec:\n"
    "    podSelector: {}\n"
    "    egress: [{to: [{ipBlock: {cidr: 10.20.0.0/16, except: [10.20.1.0/24]}}]}]\n"
    "---\n"
    "apiVersion: projectcalico.org/v3\n"
    "kind: IPPool\n"
    "metadata: {name: p}\n"
    "spec: {cidr: 10.244.0.0/16, nets: [10.99.0.0/16]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: ConfigMap\n"
    "metadata: {name: c}\n"
    "data: {nets: 10.98.0.0/16}\n";

static void test_extract(void **state)
{
    char dir[] = "/tmp/pftest-polnets-XXXXXX", path[128], *msgs = NULL;
    size_t len = 0;
    FILE *f, *out = open_memstream(&msgs, &len);
    const char *paths[1] = {dir};
    struct polnets pn;
    struct diag d;
    struct buf b;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/p.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(policies, f);
    fclose(f);
    diag_init(&d, out, "x");
    polnets_init(&pn);
    /* a directory, searched like -p */
    assert_int_equal(polnets_load(&pn, paths, 1, &d), 0);
    fclose(out);
    buf_init(&b, 0);
    assert_int_equal(polnets_text(&pn, &b), 0);
    assert_int_equal(buf_addch(&b, 0), 0);
    /* the IPPool's nets count too (a Calico object), its cidr does not; the
     * ConfigMap is outside the policy groups */
    assert_string_equal(b.data, "52.94.0.0/16 fd00:1::/64 52.94.7.0/24 203.0.113.9/32 "
                                "10.20.0.0/16 10.20.1.0/24 10.99.0.0/16");
    assert_non_null(
        strstr(msgs, "p.yaml:9:49: warning: 'not-a-cidr' is not a CIDR or an address: not kept"));
    assert_non_null(strstr(msgs, "16.0.0.0/4 is too wide to keep unredacted (shorter than /8)"));
    assert_null(strstr(msgs, "0.0.0.0/0")); /* a catch-all needs no keeping, nor a word */
    {
        struct ipaddr a;
        struct cidr c;

        assert_int_equal(ipaddr_parse("52.94.200.1", 11, &a), 0);
        assert_true(polnets_contains(&pn, &a));
        assert_int_equal(ipaddr_parse("52.95.0.1", 9, &a), 0);
        assert_false(polnets_contains(&pn, &a));
        assert_int_equal(cidr_parse("52.94.3.0/24", 12, &c, NULL), 0);
        assert_true(polnets_covers(&pn, &c));
        assert_int_equal(cidr_parse("52.0.0.0/8", 10, &c, NULL), 0);
        assert_false(polnets_covers(&pn, &c));
    }
    buf_release(&b);
    polnets_release(&pn);
    free(msgs);
    unlink(path);
    rmdir(dir);
}

static void test_errors(void **state)
{
    char path[] = "/tmp/pftest-polnets-XXXXXX";
    const char *paths[1] = {path};
    struct polnets pn;
    struct diag d;
    FILE *devnull = fopen("/dev/null", "w");
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "kind: [\n", 8), 8);
    close(fd);
    diag_init(&d, devnull, "x");
    polnets_init(&pn);
    /* not YAML: an error, the caller stops */
    assert_int_equal(polnets_load(&pn, paths, 1, &d), ERR_PARSE);
    unlink(path);
    /* a missing path: an error */
    assert_true(polnets_load(&pn, paths, 1, &d) < 0);
    /* --keep-net: strict */
    assert_int_equal(polnets_add_text(&pn, "nope", "--keep-net", 1, &d), ERR_PARSE);
    assert_int_equal(polnets_add_text(&pn, "192.168.0.0/16", "--keep-net", 1, &d), 0);
    assert_int_equal(pn.n, 1);
    polnets_release(&pn);
    fclose(devnull);
}

/* The text of pn, for comparing. */
static char *text_of(const struct polnets *pn)
{
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(polnets_text(pn, &b), 0);
    assert_int_equal(buf_addch(&b, 0), 0);
    return b.data;
}

/* The index answers as the plain scan of the CIDRs: random nested,
 * overlapping, adjacent and repeated CIDRs of both families around a few
 * bases, asked about random addresses and CIDRs near them (xorshift, a
 * fixed seed: the same run every time). */
static void test_index_as_scan(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    struct polnets scan, idx;
    size_t hits = 0, covered = 0, asked = 0;

    (void)state;
    for (int round = 0; round < 40; round++) {
        polnets_init(&scan);
        polnets_init(&idx);
        for (int i = 0; i < 30; i++) {
            struct cidr c;

            memset(&c, 0, sizeof(c));
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            c.addr.family = x & 1 ? 4 : 6;
            c.addr.a[0] = 10;
            c.addr.a[1] = (uint8_t)(x >> 8 & 3);
            c.addr.a[2] = (uint8_t)(x >> 16);
            c.plen = (uint8_t)(c.addr.family == 4 ? 8 + (x >> 24) % 25 : 32 + (x >> 24) % 97);
            {
                char t[IPADDR_STRLEN + 8];

                /* through the text, so that host bits are cleared */
                assert_int_equal(polnets_add_text(&scan, cidr_format(&c, t), "t", 1, NULL), 0);
                assert_int_equal(polnets_add_text(&idx, cidr_format(&c, t), "t", 1, NULL), 0);
            }
        }
        polnets_index(&idx);
        assert_non_null(idx.r);
        assert_null(scan.r);
        for (int q = 0; q < 400; q++) {
            struct cidr c;

            memset(&c, 0, sizeof(c));
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            c.addr.family = x & 1 ? 4 : 6;
            c.addr.a[0] = 10;
            c.addr.a[1] = (uint8_t)(x >> 8 & 3);
            c.addr.a[2] = (uint8_t)(x >> 16);
            c.addr.a[3] = (uint8_t)(x >> 24);
            assert_int_equal(polnets_contains(&idx, &c.addr), polnets_contains(&scan, &c.addr));
            hits += (size_t)polnets_contains(&scan, &c.addr);
            asked++;
            {
                char t[IPADDR_STRLEN + 8];
                struct cidr w;

                c.plen = (uint8_t)(c.addr.family == 4 ? 8 + (x >> 32) % 25 : 32 + (x >> 32) % 97);
                cidr_format(&c, t);
                assert_int_equal(cidr_parse(t, strlen(t), &w, NULL), 0);
                assert_int_equal(polnets_covers(&idx, &w), polnets_covers(&scan, &w));
                covered += (size_t)polnets_covers(&scan, &w);
            }
        }
        polnets_release(&scan);
        polnets_release(&idx);
    }
    /* both answers came up often */
    assert_true(hits > asked / 10 && hits < asked - asked / 10);
    assert_true(covered > asked / 20 && covered < asked - asked / 10);
}

/* Two redactions kept: only the addresses both kept. */
static void test_intersect(void **state)
{
    static const struct {
        const char *a, *b, *both; /* comment: why */
    } rows[] = {
        /* the same CIDR in both: once */
        {"52.94.0.0/16", "52.94.0.0/16", "52.94.0.0/16"},
        /* nested either way: the smaller */
        {"52.94.0.0/16", "52.94.7.0/24 10.0.0.0/8", "52.94.7.0/24"},
        {"52.94.7.0/24", "52.0.0.0/8", "52.94.7.0/24"},
        /* disjoint: nothing */
        {"52.94.0.0/16", "52.95.0.0/16", ""},
        /* one side empty: nothing */
        {"", "52.95.0.0/16", ""},
        /* a CIDR covered by two of the other's: both halves */
        {"10.0.0.0/23", "10.0.0.0/24 10.0.1.0/24", "10.0.0.0/24 10.0.1.0/24"},
        /* families apart; sorted */
        {"fd00:1::/64 203.0.113.0/24", "fd00:1::/48 203.0.113.9", "203.0.113.9/32 fd00:1::/64"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct polnets a, b, out;
        char *t;

        polnets_init(&a);
        polnets_init(&b);
        assert_int_equal(polnets_add_list(&a, rows[i].a, "a"), 0);
        assert_int_equal(polnets_add_list(&b, rows[i].b, "b"), 0);
        assert_int_equal(polnets_intersect(&a, &b, &out), 0);
        t = text_of(&out);
        if (strcmp(t, rows[i].both) != 0)
            fail_msg("row %zu: '%s' and '%s' give '%s', want '%s'", i, rows[i].a, rows[i].b, t,
                     rows[i].both);
        free(t);
        polnets_release(&out);
        /* the other way round: the same */
        assert_int_equal(polnets_intersect(&b, &a, &out), 0);
        t = text_of(&out);
        assert_string_equal(t, rows[i].both);
        free(t);
        polnets_release(&out);
        polnets_release(&a);
        polnets_release(&b);
    }
}

/* What a case keeps after one more redaction: what it keeps on a case not
 * redacted before; on one redacted before, only what both kept (an
 * address the earlier redaction replaced is a pseudonym, whatever the new
 * one keeps); nothing kept now: nothing. */
static void test_after_redaction(void **state)
{
    struct polnets before, keep, out;
    char *t;

    (void)state;
    polnets_init(&before);
    polnets_init(&keep);
    assert_int_equal(polnets_add_list(&before, "52.94.0.0/16 198.51.100.0/24", "b"), 0);
    assert_int_equal(polnets_add_list(&keep, "52.94.3.0/24 34.0.0.0/8", "k"), 0);
    assert_int_equal(polnets_after_redaction(0, &before, &keep, &out), 0);
    t = text_of(&out);
    assert_string_equal(t, "52.94.3.0/24 34.0.0.0/8");
    free(t);
    assert_non_null(out.r); /* indexed */
    polnets_release(&out);
    assert_int_equal(polnets_after_redaction(1, &before, &keep, &out), 0);
    t = text_of(&out);
    assert_string_equal(t, "52.94.3.0/24");
    free(t);
    polnets_release(&out);
    assert_int_equal(polnets_after_redaction(1, &before, NULL, &out), 0);
    assert_int_equal(out.n, 0);
    polnets_release(&out);
    polnets_release(&before);
    polnets_release(&keep);
}

/* A case's own record: what does not parse or is too wide is skipped
 * without a word, the rest indexed. */
static void test_add_list(void **state)
{
    struct polnets pn;
    struct ipaddr a;

    (void)state;
    polnets_init(&pn);
    assert_int_equal(polnets_add_list(&pn, "  52.94.0.0/16 nope  16.0.0.0/4 fd00::1 ", "m"), 0);
    assert_int_equal(pn.n, 2);
    assert_non_null(pn.r);
    assert_int_equal(ipaddr_parse("fd00::1", 7, &a), 0);
    assert_true(polnets_contains(&pn, &a));
    polnets_release(&pn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract),         cmocka_unit_test(test_errors),
        cmocka_unit_test(test_index_as_scan),   cmocka_unit_test(test_intersect),
        cmocka_unit_test(test_after_redaction), cmocka_unit_test(test_add_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
