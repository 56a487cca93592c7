/*
 * test_suggest.c: the parts of podflow-analyze suggest (docs/semantics.md
 * §18): rule widening and new rules as edits of a policy file (pol_write.c,
 * checked by loading the edited text back through the loader), the range
 * choice, the selector choice among a namespace's pods, and the external
 * network sets (analyze/engine/suggest.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "analyze/engine/suggest.h"
#include "analyze/policy/pol_write.h"
#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/compat.h"

static struct diag quiet;

static void setup_diag(void)
{
    static FILE *null;

    if (!null)
        null = fopen("/dev/null", "w");
    diag_init(&quiet, null, "test");
}

/* ---- range choice ------------------------------------------------------ */

static void test_port_ranges(void **state)
{
    static const struct {
        uint16_t p[4];
        size_t n;
        uint16_t h[6];
        size_t nh;
        const char *want; /* ranges as "lo-hi lo-hi" */
    } cases[] = {
        /* one port: itself */
        {{7070}, 1, {0}, 0, "7070-7070"},
        /* adjacent ports merge with nothing else known */
        {{42001, 42002}, 2, {0}, 0, "42001-42002"},
        /* a gap bridged: every port in it seen or declared */
        {{42001, 42005}, 2, {42002, 42003, 42004}, 3, "42001-42005"},
        /* a gap with a port nobody saw: two entries */
        {{42001, 42005}, 2, {42002, 42004}, 2, "42001-42001 42005-42005"},
        /* never past the ports to allow, whatever else is honest */
        {{8080}, 1, {8079, 8081}, 2, "8080-8080"},
        /* three, the first two adjacent */
        {{53, 54, 80}, 3, {0}, 0, "53-54 80-80"},
    };
    size_t i, k;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        struct port_match out[4];
        char got[128] = "";
        size_t n = sg_port_ranges(cases[i].p, cases[i].n, cases[i].h, cases[i].nh, out);

        for (k = 0; k < n; k++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%u-%u", k ? " " : "",
                     out[k].lo, out[k].hi);
        assert_string_equal(got, cases[i].want);
    }
}

/* ---- selector choice ---------------------------------------------------- */

static void pod(struct case_ep *e, const char *ns, const char *wkind, const char *wl,
                const char *name, const char *labels)
{
    memset(e, 0, sizeof(*e));
    e->kind = EP_POD;
    e->ns = ns;
    e->workload_kind = wkind;
    e->workload = wl;
    e->name = name;
    e->ip_text = name;
    labels_init(&e->labels);
    assert_int_equal(labels_from_json(&e->labels, labels, strlen(labels)), 0);
}

static void test_selector(void **state)
{
    struct case_ep eps[7];
    struct labels out;
    struct buf b;
    size_t i;

    (void)state;
    pod(&eps[0], "fme", "Deployment", "engine", "engine-6c9-a",
        "{\"app.kubernetes.io/instance\":\"fmeflow\",\"pod-template-hash\":\"6c9\","
        "\"safe.k8s.fmeserver.component\":\"engine\",\"x\":\"a\"}");
    pod(&eps[1], "fme", "Deployment", "engine", "engine-6c9-b",
        "{\"app.kubernetes.io/instance\":\"fmeflow\",\"pod-template-hash\":\"7d1\","
        "\"safe.k8s.fmeserver.component\":\"engine\",\"x\":\"b\"}");
    pod(&eps[2], "fme", "StatefulSet", "core", "core-0",
        "{\"app.kubernetes.io/instance\":\"fmeflow\",\"controller-revision-hash\":\"c-1\","
        "\"safe.k8s.fmeserver.component\":\"core\",\"statefulset.kubernetes.io/pod-name\":"
        "\"core-0\"}");
    pod(&eps[3], "fme", "StatefulSet", "postgresql", "postgresql-0",
        "{\"app.kubernetes.io/instance\":\"fmeflow\",\"app.kubernetes.io/name\":\"postgresql\","
        "\"zz\":\"1\"}");
    /* The same labels as the engine's in another namespace: no matter. */
    pod(&eps[4], "other", "Deployment", "engine", "engine-x",
        "{\"safe.k8s.fmeserver.component\":\"engine\"}");
    /* A workload whose every label another workload's pod also carries
     * (and labels no Kubernetes would accept, never chosen: the case is
     * untrusted and a selector must read back as meant). */
    pod(&eps[5], "fme", "Deployment", "sub", "sub-1",
        "{\"app.kubernetes.io/instance\":\"fmeflow\",\"bad key\":\"x\",\"k\":\"a\\\"b\","
        "\"k2\":\"a\\rb\",\"-k\":\"v\",\"Pfx.Up/k\":\"v\"}");
    pod(&eps[6], "fme", "Pod", NULL, "bare", "{\"pod-template-hash\":\"1\"}");

    buf_init(&b, 0);
    /* engine: per-pod labels (pod-template-hash, x) dropped, one key that
     * no other workload of fme carries. */
    assert_int_equal(sg_selector(eps, ARRAY_SIZE(eps), &eps[0], &out), 1);
    assert_int_equal(pw_selector_text(&out, &b), 0);
    assert_string_equal(b.data, "safe.k8s.fmeserver.component == \"engine\"");
    labels_release(&out);
    /* core: the StatefulSet's pod-name and revision never chosen. */
    buf_reset(&b);
    assert_int_equal(sg_selector(eps, ARRAY_SIZE(eps), &eps[2], &out), 1);
    assert_int_equal(pw_selector_text(&out, &b), 0);
    assert_string_equal(b.data, "safe.k8s.fmeserver.component == \"core\"");
    labels_release(&out);
    /* postgresql: app.kubernetes.io/name preferred over a key sorting first. */
    buf_reset(&b);
    assert_int_equal(sg_selector(eps, ARRAY_SIZE(eps), &eps[3], &out), 1);
    assert_int_equal(pw_selector_text(&out, &b), 0);
    assert_string_equal(b.data, "app.kubernetes.io/name == \"postgresql\"");
    labels_release(&out);
    /* sub: not exact (every fmeflow pod carries its one label). */
    assert_int_equal(sg_selector(eps, ARRAY_SIZE(eps), &eps[5], &out), 0);
    assert_int_equal(out.n, 1);
    labels_release(&out);
    /* bare: nothing stable. */
    assert_int_equal(sg_selector(eps, ARRAY_SIZE(eps), &eps[6], &out), -1);
    assert_int_equal(out.n, 0);
    labels_release(&out);
    buf_release(&b);
    for (i = 0; i < ARRAY_SIZE(eps); i++)
        labels_release(&eps[i].labels);
}

/* ---- external network sets ---------------------------------------------- */

static void test_ext_net(void **state)
{
    static const struct {
        const char *ip;
        int p4, p6;
        const char *net, *name;
    } cases[] = {
        {"203.0.113.77", 32, 128, "203.0.113.77/32", "podflow-ext-203-0-113-77-32"},
        {"203.0.113.77", 24, 120, "203.0.113.0/24", "podflow-ext-203-0-113-0-24"},
        {"203.0.113.77", 0, 96, "0.0.0.0/0", "podflow-ext-0-0-0-0-0"},
        {"2001:db8::1:2", 24, 120, "2001:db8::1:0/120", "podflow-ext-2001-db8--1-0-120"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ipaddr ip;
        struct cidr c;
        char b[IPADDR_STRLEN + 8], name[80];

        assert_int_equal(ipaddr_parse(cases[i].ip, strlen(cases[i].ip), &ip), 0);
        sg_ext_net(&ip, cases[i].p4, cases[i].p6, &c);
        assert_string_equal(cidr_format(&c, b), cases[i].net);
        sg_netset_name(&c, name, sizeof(name));
        assert_string_equal(name, cases[i].name);
    }
}

/* ---- widening and new rules --------------------------------------------- */

static const char engine_block[] = "# the engine\n"
                                   "apiVersion: projectcalico.org/v3\n"
                                   "kind: NetworkPolicy\n"
                                   "metadata:\n"
                                   "  name: application.engine\n"
                                   "  namespace: fme\n"
                                   "spec:\n"
                                   "  tier: application\n"
                                   "  selector: c == \"engine\"\n"
                                   "  egress:\n"
                                   "  - action: Allow\n"
                                   "    protocol: TCP\n"
                                   "    destination:\n"
                                   "      selector: c == \"core\"\n"
                                   "      ports:\n"
                                   "      - 7070\n"
                                   "  - action: Deny\n"
                                   "    protocol: TCP\n"
                                   "  ingress:\n"
                                   "  - action: Allow\n";

static const char engine_flow[] = "apiVersion: projectcalico.org/v3\n"
                                  "kind: NetworkPolicy\n"
                                  "metadata: {name: application.engine, namespace: fme}\n"
                                  "spec:\n"
                                  "  tier: application\n"
                                  "  selector: c == \"engine\"\n"
                                  "  egress:\n"
                                  "  - action: Allow\n"
                                  "    protocol: TCP\n"
                                  "    destination: {selector: c == \"core\", ports: [7070, "
                                  "\"9000:9001\"]}\n";

/* Load text, edit it with e applied, load again: the policy's egress rules. */
static void reload(const char *text, struct pw_edit *e, size_t n, struct policy_set *out)
{
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(pw_edits_apply(text, strlen(text), e, n, &b), 0);
    assert_int_equal(policy_set_load_mem(out, "edited.yaml", b.data, b.len, 0, &quiet), 0);
    buf_release(&b);
}

static const struct policy *only(const struct policy_set *ps)
{
    size_t i;

    for (i = 0; i < ps->npolicies; i++)
        if (strcmp(ps->policies[i].name, "application.engine") == 0)
            return &ps->policies[i];
    fail();
    return NULL;
}

static void test_widen(void **state)
{
    struct policy_set ps, ed;
    struct pw_edit e;
    const char *items[] = {"\"42001:42002\""};
    struct buf diff;

    (void)state;
    /* Block style: a line under the last port, same indent, comment above. */
    assert_int_equal(
        policy_set_load_mem(&ps, "a.yaml", engine_block, strlen(engine_block), 0, &quiet), 0);
    assert_int_equal(pw_edit_add_ports("a.yaml", engine_block, strlen(engine_block), only(&ps),
                                       DIR_EGRESS, 0, items, 1, "why", &e, &quiet),
                     0);
    assert_int_equal(e.line, 17);
    assert_int_equal(e.ndel, 0);
    assert_string_equal(e.text, "      # why\n      - \"42001:42002\"\n");
    reload(engine_block, &e, 1, &ed);
    assert_int_equal(only(&ed)->egress[0].dst.nports, 2);
    assert_int_equal(only(&ed)->egress[0].dst.ports[1].lo, 42001);
    assert_int_equal(only(&ed)->egress[0].dst.ports[1].hi, 42002);
    buf_init(&diff, 0);
    assert_int_equal(pw_edits_udiff("a", "b", engine_block, strlen(engine_block), &e, 1, &diff), 0);
    assert_non_null(strstr(diff.data, "@@ -14,6 +14,8 @@\n       selector: c == \"core\"\n"
                                      "       ports:\n       - 7070\n+      # why\n"
                                      "+      - \"42001:42002\"\n   - action: Deny\n"));
    buf_release(&diff);
    policy_set_release(&ed);
    pw_edit_release(&e);
    /* No ports list (a rule matching every port): not a widening. */
    assert_int_equal(pw_edit_add_ports("a.yaml", engine_block, strlen(engine_block), only(&ps),
                                       DIR_EGRESS, 1, items, 1, NULL, &e, &quiet),
                     ERR_INVALID);
    /* A comment from untrusted names: a carriage return would end the
     * YAML line; written as '?'. */
    assert_int_equal(pw_edit_add_ports("a.yaml", engine_block, strlen(engine_block), only(&ps),
                                       DIR_EGRESS, 0, items, 1, "a\rports: [1]", &e, &quiet),
                     0);
    assert_string_equal(e.text, "      # a?ports: [1]\n      - \"42001:42002\"\n");
    pw_edit_release(&e);
    /* The policy is not where the set says (another text): not found. */
    assert_int_equal(pw_edit_add_ports("a.yaml", "kind: X\n", 8, only(&ps), DIR_EGRESS, 0, items, 1,
                                       NULL, &e, &quiet),
                     ERR_NOTFOUND);
    policy_set_release(&ps);

    /* Flow style on one line: ", item" after the last, the line replaced. */
    assert_int_equal(
        policy_set_load_mem(&ps, "f.yaml", engine_flow, strlen(engine_flow), 0, &quiet), 0);
    assert_int_equal(pw_edit_add_ports("f.yaml", engine_flow, strlen(engine_flow), only(&ps),
                                       DIR_EGRESS, 0, items, 1, NULL, &e, &quiet),
                     0);
    assert_int_equal(e.ndel, 1);
    reload(engine_flow, &e, 1, &ed);
    assert_int_equal(only(&ed)->egress[0].dst.nports, 3);
    assert_int_equal(only(&ed)->egress[0].dst.ports[2].lo, 42001);
    policy_set_release(&ed);
    pw_edit_release(&e);
    policy_set_release(&ps);
}

static void test_new_rule(void **state)
{
    struct policy_set ps, ed;
    struct pw_edit e[2];
    struct labels peer;
    struct port_match pm = {5432, 5432, NULL};
    struct pw_rule r;

    (void)state;
    labels_init(&peer);
    assert_int_equal(labels_set(&peer, "app", "db"), 0);
    memset(&r, 0, sizeof(r));
    r.proto = 6;
    r.peer.pod = &peer;
    r.peer.ns = "data";
    r.ports = &pm;
    r.nports = 1;
    r.comment = "a new rule";
    assert_int_equal(
        policy_set_load_mem(&ps, "a.yaml", engine_block, strlen(engine_block), 0, &quiet), 0);
    /* Before the Deny rule (index 1), and after the last ingress rule. */
    assert_int_equal(pw_edit_insert_rule("a.yaml", engine_block, strlen(engine_block), only(&ps),
                                         DIR_EGRESS, 1, &r, &e[0], &quiet),
                     0);
    assert_int_equal(e[0].line, 17);
    assert_int_equal(pw_edit_insert_rule("a.yaml", engine_block, strlen(engine_block), only(&ps),
                                         DIR_INGRESS, SIZE_MAX, &r, &e[1], &quiet),
                     0);
    assert_int_equal(e[1].line, 21);
    reload(engine_block, e, 2, &ed);
    assert_int_equal(only(&ed)->negress, 3);
    assert_int_equal(only(&ed)->egress[1].action, ACT_ALLOW);
    assert_int_equal(only(&ed)->egress[1].dst.ports[0].lo, 5432);
    assert_string_equal(only(&ed)->egress[1].dst.sel_text != NULL ? "sel" : "none", "sel");
    assert_int_equal(only(&ed)->egress[2].action, ACT_DENY);
    assert_int_equal(only(&ed)->ningress, 2);
    assert_int_equal(only(&ed)->ingress[1].proto, 6);
    policy_set_release(&ed);
    pw_edit_release(&e[0]);
    pw_edit_release(&e[1]);
    /* A flow-style rule list is left alone. */
    policy_set_release(&ps);
    assert_int_equal(
        policy_set_load_mem(&ps, "f.yaml", engine_flow, strlen(engine_flow), 0, &quiet), 0);
    assert_int_equal(pw_edit_insert_rule("f.json", engine_flow, strlen(engine_flow), only(&ps),
                                         DIR_EGRESS, SIZE_MAX, &r, &e[0], &quiet),
                     ERR_INVALID);
    policy_set_release(&ps);
    labels_release(&peer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_ranges), cmocka_unit_test(test_selector),
        cmocka_unit_test(test_ext_net),     cmocka_unit_test(test_widen),
        cmocka_unit_test(test_new_rule),
    };

    setup_diag();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
