/*
 * fuzz_policy.c: libFuzzer target for the policy loader (analyze/pol_*.c,
 * policy.c, with the selector parser and ydoc beneath): YAML/JSON -> Calico
 * and Kubernetes objects -> validation -> conversion -> tier sort, through
 * policy_set_load_mem().
 *
 * For any input the loader returns 0, ERR_INVALID, ERR_PARSE or ERR_LIMIT,
 * with at least one message on failure.  A set that loads is then judged by
 * the engine for a few flows between two fixed pods (same namespace, other
 * namespace, an external address), with and without --explain, so hostile
 * but valid policies (odd selectors, named ports, nets of both families,
 * huge orders, Pass chains) run through evaluation too.  Every loaded
 * policy must sit in exactly one tier.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "analyze/case/case.h"
#include "analyze/engine/engine.h"
#include "analyze/policy/policy.h"
#include "common/ipaddr.h"
#include "common/labels.h"
#include "common/compat.h"

#define NEPS 3

static struct case_ep eps[NEPS];
static struct case_ns nss[2];
static struct case_port ports[2] = {{"http", 6, 8080}, {"dns", 17, 53}};

static void ep_init(struct case_ep *e, const char *ip, enum ep_kind kind, const char *ns,
                    const char *name, const struct case_ns *cns)
{
    memset(e, 0, sizeof(*e));
    if (ipaddr_parse(ip, strlen(ip), &e->ip))
        abort();
    e->ip_text = ip;
    e->kind = kind;
    e->ns = ns;
    e->name = name;
    e->sa = "default";
    labels_init(&e->labels);
    labels_init(&e->calico);
    if (kind != EP_POD)
        return;
    if (labels_set(&e->labels, "app", name) || labels_set(&e->labels, "role", "db"))
        abort();
    e->ports = ports;
    e->nports = 2;
    if (case_calico_labels(e, cns, &e->calico))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    nss[0].name = "core";
    labels_init(&nss[0].labels);
    if (labels_set(&nss[0].labels, "kubernetes.io/metadata.name", "core") ||
        labels_set(&nss[0].labels, "team", "a"))
        abort();
    nss[1].name = "engine";
    labels_init(&nss[1].labels);
    if (labels_set(&nss[1].labels, "kubernetes.io/metadata.name", "engine"))
        abort();
    /* Sorted by address as case.h promises. */
    ep_init(&eps[0], "10.0.0.1", EP_POD, "core", "api", &nss[0]);
    ep_init(&eps[1], "10.0.0.2", EP_POD, "engine", "worker", &nss[1]);
    ep_init(&eps[2], "2001:db8::9", EP_EXTERNAL, NULL, NULL, NULL);
    return 0;
}

static void judge(struct engine *e, int s, int d, int proto, uint16_t port)
{
    struct eng_flow f;
    const struct eng_verdict *v;

    memset(&f, 0, sizeof(f));
    f.src = s >= 0 ? &eps[s] : NULL;
    f.dst = d >= 0 ? &eps[d] : NULL;
    if (f.src)
        f.src_ip = eps[s].ip;
    else if (ipaddr_parse("198.51.100.7", 12, &f.src_ip))
        abort();
    if (f.dst)
        f.dst_ip = eps[d].ip;
    else if (ipaddr_parse("203.0.113.9", 11, &f.dst_ip))
        abort();
    f.proto = proto;
    f.src_port = 40000;
    f.dst_port = port;
    f.icmp_type = proto == 1 ? 8 : -1;
    f.icmp_code = proto == 1 ? 0 : -1;
    v = engine_judge(e, &f);
    if (!v)
        fuzz_fail("fuzz_policy", "no verdict");
    if (v->verdict == VERDICT_ALLOW && !(v->egress.allow || !v->egress.judged))
        fuzz_fail("fuzz_policy", "allowed although egress denied");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct policy_set ps;
    struct diag d;
    size_t intiers = 0;
    int rc;

    if (!eps[0].ip.family)
        LLVMFuzzerInitialize(NULL, NULL);
    fuzz_diag(&d);
    rc = policy_set_load_mem(&ps, "fuzz.yaml", (const char *)data, size, POLICY_LOAD_ALLOW_EMPTY,
                             &d);
    if (rc) {
        if (rc != ERR_INVALID && rc != ERR_PARSE && rc != ERR_LIMIT)
            fuzz_fail("fuzz_policy", "unexpected error code");
        if (d.errors == 0)
            fuzz_fail("fuzz_policy", "failed without a message");
        return 0;
    }
    for (size_t t = 0; t < ps.ntiers; t++)
        intiers += ps.tiers[t].npolicies;
    if (intiers != ps.npolicies)
        fuzz_fail("fuzz_policy", "a policy is in no tier or in two");
    for (unsigned flags = 0; flags <= ENG_EXPLAIN; flags += ENG_EXPLAIN) {
        struct engine *e = engine_new(&ps, eps, NEPS, flags);

        judge(e, 0, 1, 6, 8080);
        judge(e, 1, 0, 6, 8080);
        judge(e, 0, 0, 17, 53);
        judge(e, 1, -1, 6, 443);
        judge(e, -1, 0, 1, 0);
        judge(e, 0, 2, 132, 9);
        judge(e, 0, 1, 6, 8080); /* cached */
        engine_free(&e);
    }
    policy_set_release(&ps);
    return 0;
}
