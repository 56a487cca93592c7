/*
 * test_polnets.c: common/polnets.c: the CIDRs policy files name, in every
 * shape the policy kinds write them (Calico rules' nets and notNets in v3
 * and storage form, NetworkSets, Kubernetes ipBlock with except, lists),
 * nothing from objects outside the policy groups, warnings for what is not
 * a CIDR or too wide, an error for a file that is not YAML, and
 * polnets_contains() / polnets_covers().
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
