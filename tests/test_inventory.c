/*
 * test_inventory.c: the kubectl inventory loader and its .db writer
 * (common/inventory.c, inv_load.c, inv_db.c), against the fixtures in
 * tests/fixtures/inventory/ and, when present, every resource file of the
 * NetworkPolicy conformance corpus (the repository's sibling shared/, or
 * $PODFLOW_CONFORMANCE).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/inventory.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/compat.h"

#define FIX "tests/fixtures/inventory/"

/* ---- helpers ---------------------------------------------------------------- */

/* Diagnostics go to a memory stream so tests can compare them. */
struct cap {
    char *text;
    size_t len;
    FILE *f;
    struct diag d;
};

static void cap_open(struct cap *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    diag_init(&c->d, c->f, "test");
}

/* Close the stream; c->text then holds everything reported. */
static void cap_close(struct cap *c)
{
    fclose(c->f);
    c->f = NULL;
}

static void cap_free(struct cap *c)
{
    free(c->text);
    c->text = NULL;
}

static void load_ok(struct inventory *inv, const char *path)
{
    struct cap c;

    cap_open(&c);
    assert_int_equal(inventory_load_file(inv, path, &c.d), 0);
    cap_close(&c);
    if (c.len)
        print_error("unexpected diagnostics: %s", c.text);
    assert_int_equal(c.len, 0);
    cap_free(&c);
}

/* The IPs of a list as "a,b" into buf. */
static const char *ips_text(const struct ipaddr *ips, size_t n, char *buf, size_t size)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char ip[IPADDR_STRLEN];
        int w = snprintf(buf + off, size - off, "%s%s", i ? "," : "", ipaddr_format(&ips[i], ip));
        assert_true(w > 0 && (size_t)w < size - off);
        off += (size_t)w;
    }
    return buf;
}

static const char *labels_text(const struct labels *l)
{
    static char out[1024];
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(labels_to_json(l, &b), 0);
    assert_true(b.len < sizeof(out));
    memcpy(out, b.data, b.len + 1);
    buf_release(&b);
    return out;
}

static int64_t t3339(const char *s)
{
    int64_t ns;

    assert_int_equal(parse_rfc3339(s, strlen(s), &ns), 0);
    return ns;
}

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

/* ---- pods ------------------------------------------------------------------- */

static void test_pods_yaml(void **state)
{
    static const struct {
        const char *ns, *name;
        const char *owner_kind, *owner; /* as written */
        const char *wkind, *workload;   /* as resolved */
        const char *ips;
        int host_network;
        const char *node, *sa, *phase;
        size_t nports;
    } want[] = {
        /* sorted by (namespace, name); pending has no namespace: "default" */
        {"batch", "migrate-2-q8w7e", "Job", "migrate-2", "Job", "migrate-2", "10.244.2.10", 0, NULL,
         "default", NULL, 0}, /* Job with a short suffix: not a CronJob's */
        {"batch", "report-28577940-abcde", "Job", "report-28577940", "CronJob", "report",
         "10.244.2.9", 0, "node-b", "default", "Succeeded", 0}, /* CronJob via the Job's name */
        {"default", "pending", NULL, NULL, NULL, NULL, "", 0, NULL, "default", "Pending",
         0}, /* no namespace, no IP yet */
        {"kube-system", "calico-node-4kq9z", "DaemonSet", "calico-node", "DaemonSet", "calico-node",
         "192.168.10.11,fd00:10::11", 1, "node-a", "default", NULL,
         1}, /* hostNetwork, dual stack, the controller owner chosen over the Node one */
        {"shop", "db-0", "StatefulSet", "db", "StatefulSet", "db", "10.244.1.20,fd00:244:1::20", 0,
         NULL, "default", "Running", 1}, /* dual stack via podIPs */
        {"shop", "old-7d77fb55cc-bs8rc", "ReplicaSet", "old-7d77fb55cc", "ReplicaSet",
         "old-7d77fb55cc", "10.244.1.8", 0, NULL, "default", NULL,
         0}, /* hash label does not match the name: stays a ReplicaSet */
        {"shop", "web-7d4b9c8f6d-x2x9q", "ReplicaSet", "web-7d4b9c8f6d", "Deployment", "web",
         "10.244.1.7", 0, "node-a", "web-sa", "Running", 3}, /* Deployment via pod-template-hash */
    };
    struct inventory inv;
    char buf[256];

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "pods.yaml");
    assert_int_equal(inv.npods, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        const struct inv_pod *p = &inv.pods[i];
        assert_string_equal(p->ns, want[i].ns);
        assert_string_equal(p->name, want[i].name);
        assert_string_equal(or_null(p->owner_kind), or_null(want[i].owner_kind));
        assert_string_equal(or_null(p->owner_name), or_null(want[i].owner));
        assert_string_equal(or_null(p->workload_kind), or_null(want[i].wkind));
        assert_string_equal(or_null(p->workload), or_null(want[i].workload));
        assert_string_equal(ips_text(p->ips, p->nips, buf, sizeof(buf)), want[i].ips);
        assert_int_equal(p->host_network, want[i].host_network);
        assert_string_equal(or_null(p->node), or_null(want[i].node));
        assert_string_equal(or_null(p->service_account), or_null(want[i].sa));
        assert_string_equal(or_null(p->phase), or_null(want[i].phase));
        assert_int_equal(p->nports, want[i].nports);
        assert_ptr_equal(inventory_pod(&inv, want[i].ns, want[i].name), p);
    }
    /* The web pod in detail: ports of containers then initContainers,
     * protocols defaulting to TCP, times, labels, position. */
    {
        const struct inv_pod *p = inventory_pod(&inv, "shop", "web-7d4b9c8f6d-x2x9q");
        assert_non_null(p);
        assert_string_equal(p->ports[0].name, "http");
        assert_int_equal(p->ports[0].port, 8080);
        assert_int_equal(p->ports[0].proto, 6);
        assert_string_equal(p->ports[1].name, "metrics");
        assert_int_equal(p->ports[1].port, 9090);
        assert_int_equal(p->ports[1].proto, 6); /* default */
        assert_string_equal(p->ports[2].name, "dns");
        assert_int_equal(p->ports[2].proto, 17);
        assert_true(p->created_ns == t3339("2024-05-01T10:00:00Z"));
        assert_true(p->start_ns == t3339("2024-05-01T10:00:02Z"));
        assert_true(p->deleted_ns == INV_TIME_NONE);
        assert_string_equal(labels_text(&p->labels),
                            "{\"app\":\"web\",\"pod-template-hash\":\"7d4b9c8f6d\"}");
        assert_string_equal(p->file, FIX "pods.yaml");
        assert_int_equal(p->line, 4);
        assert_int_equal(p->col, 3);
    }
    {
        const struct inv_pod *p = inventory_pod(&inv, "shop", "db-0");
        assert_true(p->deleted_ns == t3339("2024-05-01T12:00:00Z"));
        assert_true(p->start_ns == INV_TIME_NONE);
        assert_int_equal(p->ports[0].proto, 132);
    }
    /* Namespaces seen only on pods are implied, with just the name label. */
    assert_int_equal(inv.nnss, 4);
    {
        const struct inv_namespace *n = inventory_namespace(&inv, "kube-system");
        assert_non_null(n);
        assert_int_equal(n->implied, 1);
        assert_string_equal(labels_text(&n->labels),
                            "{\"kubernetes.io/metadata.name\":\"kube-system\"}");
        assert_non_null(inventory_namespace(&inv, "default"));
        assert_null(inventory_namespace(&inv, "nope"));
    }
    assert_null(inventory_pod(&inv, NULL, "nope"));
    assert_non_null(inventory_pod(&inv, NULL, "pending")); /* NULL namespace is "default" */
    assert_int_equal(inv.skipped_total, 0);
    assert_int_equal(inv.malformed, 0);
    inventory_release(&inv);
}

static void test_podlist_json(void **state)
{
    struct inventory inv;
    const struct inv_pod *a, *b;
    char buf[128];

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "podlist.json");
    assert_int_equal(inv.npods, 2);
    /* Items of a PodList without kind or apiVersion are Pods. */
    a = inventory_pod(&inv, "ns1", "a");
    b = inventory_pod(&inv, "ns2", "b");
    assert_non_null(a);
    assert_non_null(b);
    /* podIP and podIPs merged without repeats; IPv6 in canonical form. */
    assert_string_equal(ips_text(a->ips, a->nips, buf, sizeof(buf)), "10.0.0.1,2001:db8::1");
    assert_string_equal(ips_text(b->ips, b->nips, buf, sizeof(buf)), "10.0.0.2");
    /* Label values written as a JSON number or boolean keep their text. */
    assert_string_equal(labels_text(&a->labels), "{\"app\":\"a\",\"on\":\"true\",\"tier\":\"1\"}");
    /* A quoted containerPort is accepted (ydoc's ynode_int). */
    assert_int_equal(a->ports[0].port, 8443);
    assert_string_equal(a->ports[0].name, "https");
    assert_int_equal(inv.nnss, 2);
    inventory_release(&inv);
}

/* ---- services, slices, nodes, namespaces ------------------------------------- */

static void test_mixed_json(void **state)
{
    struct inventory inv;
    const struct inv_service *s;
    const struct inv_namespace *n;
    const struct inv_node *nd;
    const struct inv_slice *sl;
    char buf[128];

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "mixed.json");

    /* An explicit Namespace: its labels, with the name label forced to
     * the real name. */
    n = inventory_namespace(&inv, "shop");
    assert_non_null(n);
    assert_int_equal(n->implied, 0);
    assert_string_equal(labels_text(&n->labels),
                        "{\"kubernetes.io/metadata.name\":\"shop\",\"team\":\"shop\"}");
    assert_true(n->created_ns == t3339("2024-04-01T00:00:00Z"));

    s = inventory_service(&inv, "shop", "web");
    assert_non_null(s);
    assert_string_equal(s->type, "ClusterIP");
    assert_string_equal(ips_text(s->ips, s->nips, buf, sizeof(buf)), "10.96.0.10,fd00:96::10");
    assert_int_equal(s->has_selector, 1);
    assert_string_equal(labels_text(&s->selector), "{\"app\":\"web\"}");
    assert_int_equal(s->nports, 3);
    /* Row per port: name, port, protocol, targetPort (named, numeric,
     * defaulted to port). */
    assert_string_equal(s->ports[0].name, "http");
    assert_int_equal(s->ports[0].port, 80);
    assert_string_equal(s->ports[0].target_name, "http");
    assert_int_equal(s->ports[0].target_port, 0);
    assert_int_equal(s->ports[1].target_port, 9090);
    assert_null(s->ports[1].target_name);
    assert_null(s->ports[2].name);
    assert_int_equal(s->ports[2].proto, 17);
    assert_int_equal(s->ports[2].target_port, 53);

    assert_int_equal(inv.nslices, 1);
    sl = &inv.slices[0];
    assert_string_equal(sl->service, "web");
    assert_int_equal(sl->family, 4);
    assert_int_equal(sl->neps, 2);
    assert_string_equal(ips_text(sl->eps[0].addrs, sl->eps[0].naddrs, buf, sizeof(buf)),
                        "10.244.1.7");
    assert_int_equal(sl->eps[0].ready, 1);
    assert_string_equal(sl->eps[0].target_kind, "Pod");
    assert_string_equal(sl->eps[0].target_name, "web-7d4b9c8f6d-x2x9q");
    assert_string_equal(sl->eps[0].node, "node-a");
    assert_int_equal(sl->eps[1].ready, 0);
    assert_null(sl->eps[1].target_name);
    assert_int_equal(sl->ports[0].port, 8080);

    nd = inventory_node(&inv, "node-a");
    assert_non_null(nd);
    assert_int_equal(nd->naddrs, 4);
    assert_string_equal(nd->addrs[0].type, "InternalIP");
    assert_int_equal(nd->addrs[1].ip.family, 6);
    assert_string_equal(nd->addrs[3].type, "Hostname");
    assert_int_equal(nd->addrs[3].ip.family, 0); /* a name, not an IP */

    /* Not modelled: counted by kind, in the order first seen; Calico's
     * Node is not a Kubernetes Node. */
    assert_int_equal(inv.skipped_total, 3);
    assert_int_equal(inv.nskipped, 3);
    assert_string_equal(inv.skipped[0].kind, "Deployment");
    assert_string_equal(inv.skipped[1].kind, "ConfigMap");
    assert_string_equal(inv.skipped[2].kind, "projectcalico.org/v3 Node");
    assert_int_equal(inv.skipped[2].count, 1);
    {
        struct buf b;
        buf_init(&b, 0);
        assert_int_equal(inventory_skipped_text(&inv, &b), 0);
        assert_string_equal(b.data, "Deployment (1), ConfigMap (1), projectcalico.org/v3 Node (1)");
        buf_release(&b);
    }
    inventory_release(&inv);
}

static void test_multi_yaml(void **state)
{
    struct inventory inv;
    const struct inv_service *s;

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "multi.yaml");
    assert_int_equal(inv.npods, 1);
    assert_int_equal(inv.nsvcs, 2);
    s = inventory_service(&inv, "batch", "headless");
    assert_int_equal(s->nips, 0); /* clusterIP: None */
    assert_int_equal(s->has_selector, 0);
    assert_int_equal(s->ports[0].port, 5432);
    s = inventory_service(&inv, "batch", "ext");
    assert_string_equal(s->type, "ExternalName");
    assert_int_equal(s->nips, 0);
    /* The Namespace document wins over the namespace implied by the pod;
     * the NamespaceList item without kind is a Namespace. */
    assert_int_equal(inv.nnss, 2);
    assert_string_equal(labels_text(&inventory_namespace(&inv, "batch")->labels),
                        "{\"kubernetes.io/metadata.name\":\"batch\",\"purpose\":\"jobs\"}");
    assert_int_equal(inventory_namespace(&inv, "empty-ns")->implied, 0);
    assert_int_equal(inv.skipped_total, 1); /* the NetworkPolicy */
    assert_string_equal(inv.skipped[0].kind, "NetworkPolicy");
    inventory_release(&inv);
}

/* ---- malformed input ---------------------------------------------------------- */

static void test_malformed_positions(void **state)
{
    /* An object whose identity cannot be read is an error and skipped; a
     * bad field it survives (an address, the labels, a port, a time) is a
     * warning, a note of what was dropped, and the object is kept. */
    static const char want[] =
        FIX "malformed.yaml:8:10: warning: invalid IP address '10.0.0.300' for 'status.podIP'\n" FIX
            "malformed.yaml:8:10: note: 'status.podIP' dropped; the pod is kept without it\n" FIX
            "malformed.yaml:15:3: warning: expected a mapping for 'metadata.labels', found a "
            "sequence\n" FIX
            "malformed.yaml:15:3: note: 'metadata.labels' dropped; the pod is kept without it\n" FIX
            "malformed.yaml:25:22: warning: expected an integer in [1, 65535] for "
            "'containers[].ports[].containerPort', found '70000'\n" FIX
            "malformed.yaml:25:7: note: 'containers[].ports[]' dropped; the pod is kept without "
            "it\n" FIX "malformed.yaml:36:17: warning: unknown protocol 'ICMP' for "
            "'containers[].ports[].protocol'\n" FIX
            "malformed.yaml:35:7: note: 'containers[].ports[]' dropped; the pod is kept without "
            "it\n" FIX "malformed.yaml:41:3: error: missing 'metadata.name'\n" FIX
            "malformed.yaml:47:22: warning: invalid time 'yesterday' for "
            "'metadata.creationTimestamp'\n" FIX
            "malformed.yaml:47:22: note: 'metadata.creationTimestamp' dropped; the pod is kept "
            "without it\n" FIX
            "malformed.yaml:54:16: error: expected a boolean for 'spec.hostNetwork', found "
            "'maybe'\n" FIX
            "malformed.yaml:61:15: error: expected a sequence for 'spec.clusterIPs', found a "
            "scalar\n" FIX
            "malformed.yaml:63:1: error: expected a mapping for 'object', found a sequence\n" FIX
            "malformed.yaml:66:1: error: missing 'kind'\n" FIX
            "malformed.yaml:76:14: error: invalid IP address 'node-a.example' for "
            "'status.addresses[].address'\n" FIX
            "malformed.yaml:84:15: error: address family does not match addressType 'IPv6'\n";
    static const char *const kept[] = {"bad-ip",    "bad-labels", "bad-port",
                                       "bad-proto", "bad-time",   "good"};
    struct inventory inv;
    struct cap c;

    (void)state;
    inventory_init(&inv);
    cap_open(&c);
    /* Malformed objects do not fail the file. */
    assert_int_equal(inventory_load_file(&inv, FIX "malformed.yaml", &c.d), 0);
    cap_close(&c);
    assert_string_equal(c.text, want);
    assert_int_equal(c.d.errors, 7);
    assert_int_equal(c.d.warnings, 5);
    assert_int_equal(inv.malformed, 7);
    assert_int_equal(inv.field_problems, 5);
    /* The pods with a bad field are kept, without it; nothing of the
     * skipped objects. */
    assert_int_equal(inv.npods, ARRAY_SIZE(kept));
    for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
        const struct inv_pod *p = inventory_pod(&inv, NULL, kept[i]);

        if (!p)
            p = inventory_pod(&inv, "ok", kept[i]);
        assert_non_null(p);
        if (strcmp(kept[i], "bad-ip") == 0)
            assert_int_equal(p->nips, 0);
        if (strcmp(kept[i], "bad-labels") == 0)
            assert_int_equal(p->labels.n, 0);
        if (strcmp(kept[i], "bad-port") == 0 || strcmp(kept[i], "bad-proto") == 0)
            assert_int_equal(p->nports, 0);
        if (strcmp(kept[i], "bad-time") == 0)
            assert_true(p->created_ns == INV_TIME_NONE);
    }
    assert_int_equal(inv.nsvcs, 0);
    assert_int_equal(inv.nnodes, 0);
    assert_int_equal(inv.nslices, 0);
    cap_free(&c);
    inventory_release(&inv);
}

static void test_not_yaml(void **state)
{
    struct inventory inv;
    struct cap c;

    (void)state;
    inventory_init(&inv);
    cap_open(&c);
    assert_int_equal(inventory_load_file(&inv, FIX "notyaml.txt", &c.d), ERR_PARSE);
    cap_close(&c);
    assert_non_null(strstr(c.text, FIX "notyaml.txt:4:9: error: "));
    cap_free(&c);
    /* A missing file is -errno. */
    cap_open(&c);
    assert_int_equal(inventory_load_file(&inv, FIX "does-not-exist.yaml", &c.d), -ENOENT);
    cap_close(&c);
    assert_non_null(strstr(c.text, "does-not-exist.yaml"));
    cap_free(&c);
    assert_int_equal(inv.npods, 0);
    inventory_release(&inv);
}

/* Hostile or odd shapes from memory: each row is one document. */
static void test_hostile_shapes(void **state)
{
    static const struct {
        const char *doc;
        size_t pods, malformed, skipped;
        const char *msg; /* substring of the diagnostics, or NULL for none */
    } cases[] = {
        {"kind: List\nitems: {a: 1}\n", 0, 1, 0,
         "expected a sequence for 'items'"},     /* items not a list */
        {"kind: List\nitems:\n", 0, 0, 0, NULL}, /* items null: empty */
        {"kind: List\nitems:\n- kind: List\n  items:\n  - kind: List\n    items:\n    - kind: "
         "List\n      items:\n      - kind: List\n        items: []\n",
         0, 1, 0, "lists nested deeper than 4"},                    /* nesting bound */
        {"kind: [Pod]\n", 0, 1, 0, "expected a string for 'kind'"}, /* kind not a string */
        {"kind: Pod\n", 0, 1, 0, "missing 'metadata'"},             /* no metadata */
        {"kind: Pod\nmetadata: {name: ''}\n", 0, 1, 0, "missing 'metadata.name'"}, /* empty name */
        {"kind: Pod\nmetadata: {name: p, labels: {a: {b: c}}}\n", 1, 0, 0,
         "expected a string for 'metadata.labels'"}, /* nested label value */
        {"kind: Pod\nmetadata: {name: p, labels: {a: }}\n", 1, 0, 0,
         NULL}, /* null label value: "" */
        {"kind: Pod\nmetadata: {name: p, ownerReferences: [{controller: true}]}\n", 1, 0, 0,
         "missing 'metadata.ownerReferences[].name'"}, /* owner without name */
        {"kind: Pod\nmetadata: {name: p, ownerReferences: [{name: o, controller: true}]}\n", 1, 0,
         0, NULL}, /* owner without kind */
        {"kind: Pod\nmetadata: {name: p}\nstatus: {podIPs: [{}]}\n", 1, 0, 0,
         "missing 'status.podIPs[].ip'"}, /* podIPs entry empty */
        {"kind: Pod\nmetadata: {name: p}\nstatus: {podIP: 'fe80::1%eth0'}\n", 1, 0, 0,
         "invalid IP address"}, /* zone index */
        {"kind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: [{name: x}]}]}\n", 1, 0, 0,
         "missing 'containers[].ports[].containerPort'"}, /* port without number */
        {"kind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: [{containerPort: 0}]}]}\n", 1,
         0, 0, "expected an integer in [1, 65535]"}, /* port 0 */
        {"kind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: [{containerPort: 80, "
         "protocol: tcp}]}]}\n",
         1, 0, 0, "unknown protocol 'tcp'"}, /* protocol case */
        {"kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, targetPort: 70000}]}\n", 0,
         1, 0,
         "expected an integer in [1, 65535] for 'spec.ports[].targetPort'"}, /* targetPort range */
        {"kind: Service\nmetadata: {name: s}\nspec: {clusterIP: ''}\n", 0, 0, 0,
         NULL}, /* empty clusterIP */
        {"kind: EndpointSlice\napiVersion: discovery.k8s.io/v1\nmetadata: {name: e}\naddressType: "
         "FQDN\nendpoints: [{addresses: [example.com]}]\n",
         0, 0, 0, NULL}, /* FQDN slice */
        {"kind: EndpointSlice\napiVersion: discovery.k8s.io/v1\nmetadata: {name: e}\naddressType: "
         "IPX\n",
         0, 1, 0, "unknown addressType 'IPX'"}, /* bad addressType */
        {"kind: Node\nmetadata: {name: n}\nstatus: {addresses: [{type: InternalIP}]}\n", 0, 1, 0,
         "missing 'status.addresses[].address'"}, /* node addr w/o address */
        {"kind: Pod\napiVersion: example.com/v1\nmetadata: {name: p}\n", 0, 0, 1,
         NULL}, /* foreign group */
        {"kind: Pod\nmetadata: {name: \"a\\x01b\", namespace: n}\nstatus: {podIP: "
         "\"1.2.3.4\\x1b[31m\"}\n",
         1, 0, 0, "invalid IP address '1.2.3.4?[31m'"}, /* control chars masked */
        {"kind: Pod\nmetadata: {name: p, namespace: ''}\nspec: {nodeName: ''}\nstatus: {podIP: '',"
         " phase: ''}\n",
         1, 0, 0, NULL}, /* "" is unset */
        {"kind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: [{containerPort: 80, "
         "protocol: ''}]}]}\n",
         1, 0, 0, NULL},               /* protocol "" is TCP */
        {"", 0, 0, 0, NULL},           /* empty file */
        {"---\n---\n", 0, 0, 0, NULL}, /* empty documents */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct inventory inv;
        struct cap c;
        int rc;

        inventory_init(&inv);
        cap_open(&c);
        rc = inventory_load_mem(&inv, "mem.yaml", cases[i].doc, strlen(cases[i].doc), &c.d);
        cap_close(&c);
        if (rc || inv.npods != cases[i].pods || inv.malformed != cases[i].malformed ||
            inv.skipped_total != cases[i].skipped ||
            (cases[i].msg ? !strstr(c.text, cases[i].msg) : c.len != 0))
            print_error("case %zu: rc %d pods %zu malformed %zu skipped %zu: %s\n", i, rc,
                        inv.npods, inv.malformed, inv.skipped_total, c.text);
        assert_int_equal(rc, 0);
        assert_int_equal(inv.npods, cases[i].pods);
        assert_int_equal(inv.malformed, cases[i].malformed);
        assert_int_equal(inv.skipped_total, cases[i].skipped);
        if (cases[i].msg)
            assert_non_null(strstr(c.text, cases[i].msg));
        else
            assert_int_equal(c.len, 0);
        cap_free(&c);
        inventory_release(&inv);
    }
}

static void test_ip_limit(void **state)
{
    struct inventory inv;
    struct buf b;
    struct cap c;

    (void)state;
    /* LIM_INV_OBJECT_IPS distinct addresses load; one more is refused. */
    for (int extra = 0; extra <= 1; extra++) {
        buf_init(&b, 0);
        assert_int_equal(buf_addstr(&b, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                                        "\"status\":{\"podIPs\":["),
                         0);
        for (int i = 0; i < LIM_INV_OBJECT_IPS + extra; i++)
            assert_int_equal(
                buf_addf(&b, "%s{\"ip\":\"10.0.%d.%d\"}", i ? "," : "", i / 256, i % 256), 0);
        assert_int_equal(buf_addstr(&b, "]}}"), 0);
        inventory_init(&inv);
        cap_open(&c);
        assert_int_equal(inventory_load_mem(&inv, "ips.json", b.data, b.len, &c.d), 0);
        cap_close(&c);
        assert_int_equal(inv.npods, extra ? 0 : 1);
        if (extra)
            assert_non_null(strstr(c.text, "LIM_INV_OBJECT_IPS"));
        else
            assert_int_equal(inv.pods[0].nips, LIM_INV_OBJECT_IPS);
        cap_free(&c);
        inventory_release(&inv);
        buf_release(&b);
    }
}

/* Every prefix of a real file either loads or fails cleanly: no crash, no
 * leak (under ASan), no error code other than ERR_PARSE. */
static void test_truncated_prefixes(void **state)
{
    FILE *f = fopen(FIX "pods.yaml", "rb");
    char data[8192];
    size_t len;

    (void)state;
    assert_non_null(f);
    len = fread(data, 1, sizeof(data), f);
    fclose(f);
    assert_true(len > 1000 && len < sizeof(data));
    for (size_t cut = 0; cut <= len; cut += 7) {
        struct inventory inv;
        struct diag d;
        FILE *devnull = fopen("/dev/null", "w");
        int rc;

        diag_init(&d, devnull, NULL);
        inventory_init(&inv);
        rc = inventory_load_mem(&inv, "cut.yaml", data, cut, &d);
        assert_true(rc == 0 || rc == ERR_PARSE);
        inventory_release(&inv);
        fclose(devnull);
    }
}

/* ---- loading more than once ------------------------------------------------------ */

static void test_reload_replaces(void **state)
{
    static const char newer[] = "kind: Pod\n"
                                "metadata: {name: web-7d4b9c8f6d-x2x9q, namespace: shop,"
                                " labels: {app: web2}}\n"
                                "status: {podIP: 10.244.9.9}\n"
                                "---\n"
                                "kind: Namespace\n"
                                "metadata: {name: shop, labels: {later: 'yes'}}\n";
    struct inventory inv;
    struct cap c;
    const struct inv_pod *p;
    char buf[64];

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "pods.yaml");
    load_ok(&inv, FIX "pods.yaml"); /* the same file twice: no duplicates */
    assert_int_equal(inv.npods, 7);
    load_ok(&inv, FIX "mixed.json");
    cap_open(&c);
    assert_int_equal(inventory_load_mem(&inv, "newer.yaml", newer, strlen(newer), &c.d), 0);
    cap_close(&c);
    assert_int_equal(c.len, 0);
    cap_free(&c);
    /* The later copy of a pod replaces the earlier one. */
    assert_int_equal(inv.npods, 7);
    p = inventory_pod(&inv, "shop", "web-7d4b9c8f6d-x2x9q");
    assert_string_equal(labels_text(&p->labels), "{\"app\":\"web2\"}");
    assert_string_equal(ips_text(p->ips, p->nips, buf, sizeof(buf)), "10.244.9.9");
    assert_string_equal(p->file, "newer.yaml");
    /* The later Namespace replaces the earlier one; implied copies never
     * replace an explicit one. */
    assert_string_equal(labels_text(&inventory_namespace(&inv, "shop")->labels),
                        "{\"kubernetes.io/metadata.name\":\"shop\",\"later\":\"yes\"}");
    assert_int_equal(inventory_namespace(&inv, "shop")->implied, 0);
    for (size_t i = 1; i < inv.nnss; i++)
        assert_true(strcmp(inv.nss[i - 1].name, inv.nss[i].name) < 0);
    inventory_release(&inv);
}

static void test_stdin(void **state)
{
    struct inventory inv;
    int saved = dup(0);
    int fd = open(FIX "single.yaml", O_RDONLY);

    (void)state;
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    inventory_init(&inv);
    load_ok(&inv, "-");
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    assert_int_equal(inv.npods, 1);
    assert_string_equal(inv.pods[0].name, "lonely");
    assert_string_equal(inv.pods[0].ns, "default");
    assert_string_equal(inv.pods[0].file, "<stdin>");
    /* serviceAccountName "" is the default account. */
    assert_string_equal(inv.pods[0].service_account, "default");
    inventory_release(&inv);
}

/* ---- the .db writer ---------------------------------------------------------------- */

static sqlite3 *mem_db(void)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, db_schema_sql, NULL, NULL, NULL), SQLITE_OK);
    return db;
}

/* Rows of a query as text, one line each, fields joined by '|'. */
static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            assert_int_equal(buf_addf(&b, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL"), 0);
        }
        assert_int_equal(buf_addch(&b, '\n'), 0);
    }
    sqlite3_finalize(st);
    return buf_detach(&b, NULL);
}

static void test_write_db(void **state)
{
    static const char want[] =
        /* pods in (namespace, name) order, one row per IP; hostNetwork is
         * kind host; valid_from = startTime else creationTimestamp */
        "10.244.2.10|NULL|NULL|pod|batch|migrate-2-q8w7e|Job|migrate-2|{\"job-name\":\"migrate-2\"}"
        "|"
        "default|NULL|[]\n"
        "10.244.2.9|1714561201000000000|NULL|pod|batch|report-28577940-abcde|CronJob|report|"
        "{\"batch.kubernetes.io/job-name\":\"report-28577940\",\"job-name\":\"report-28577940\"}|"
        "default|node-b|[]\n"
        "192.168.10.11|NULL|NULL|host|kube-system|calico-node-4kq9z|DaemonSet|calico-node|"
        "{\"k8s-app\":\"calico-node\"}|default|node-a|"
        "[{\"name\":\"felix-health\",\"port\":9099,\"protocol\":\"TCP\"}]\n"
        "fd00:10::11|NULL|NULL|host|kube-system|calico-node-4kq9z|DaemonSet|calico-node|"
        "{\"k8s-app\":\"calico-node\"}|default|node-a|"
        "[{\"name\":\"felix-health\",\"port\":9099,\"protocol\":\"TCP\"}]\n"
        "10.244.1.20|1714554000000000000|1714564800000000000|pod|shop|db-0|StatefulSet|db|"
        "{\"app\":\"db\"}|default|NULL|[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"SCTP\"}]\n"
        "fd00:244:1::20|1714554000000000000|1714564800000000000|pod|shop|db-0|StatefulSet|db|"
        "{\"app\":\"db\"}|default|NULL|[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"SCTP\"}]\n"
        "10.244.1.8|NULL|NULL|pod|shop|old-7d77fb55cc-bs8rc|ReplicaSet|old-7d77fb55cc|"
        "{\"app\":\"old\",\"pod-template-hash\":\"3833961177\"}|default|NULL|[]\n"
        "10.244.1.7|1714557602000000000|NULL|pod|shop|web-7d4b9c8f6d-x2x9q|Deployment|web|"
        "{\"app\":\"web\",\"pod-template-hash\":\"7d4b9c8f6d\"}|web-sa|node-a|"
        "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},"
        "{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"TCP\"},"
        "{\"name\":\"dns\",\"port\":5353,\"protocol\":\"UDP\"}]\n"
        /* services, one row per cluster IP, ports with targetPort */
        "10.96.0.10|1712016000000000000|NULL|service|shop|web|NULL|NULL|{\"app\":\"web\"}|NULL|"
        "NULL|[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":\"http\"},"
        "{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"TCP\",\"targetPort\":9090},"
        "{\"name\":null,\"port\":53,\"protocol\":\"UDP\",\"targetPort\":53}]\n"
        "fd00:96::10|1712016000000000000|NULL|service|shop|web|NULL|NULL|{\"app\":\"web\"}|NULL|"
        "NULL|[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":\"http\"},"
        "{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"TCP\",\"targetPort\":9090},"
        "{\"name\":null,\"port\":53,\"protocol\":\"UDP\",\"targetPort\":53}]\n"
        /* nodes: InternalIP only */
        "192.168.10.11|1704067200000000000|NULL|host|NULL|node-a|NULL|NULL|"
        "{\"kubernetes.io/hostname\":\"node-a\"}|NULL|node-a|[]\n"
        "fd00:10::11|1704067200000000000|NULL|host|NULL|node-a|NULL|NULL|"
        "{\"kubernetes.io/hostname\":\"node-a\"}|NULL|node-a|[]\n";
    static const char want_ns[] =
        "batch|{\"kubernetes.io/metadata.name\":\"batch\"}\n"
        "default|{\"kubernetes.io/metadata.name\":\"default\"}\n"
        "kube-system|{\"kubernetes.io/metadata.name\":\"kube-system\"}\n"
        "shop|{\"kubernetes.io/metadata.name\":\"shop\",\"team\":\"shop\"}\n";
    static const char q[] = "SELECT ip, valid_from_ns, valid_to_ns, kind, namespace, name,"
                            " workload_kind, workload, labels, service_account, node, ports"
                            " FROM endpoints WHERE source = 'inventory' ORDER BY id";
    struct inventory inv;
    struct cap c;
    sqlite3 *db = mem_db();
    size_t rows = 0;
    char *got;

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "pods.yaml");
    load_ok(&inv, FIX "mixed.json");
    /* A row from another source survives the inventory's replacement. */
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO endpoints (ip, kind, iface, source) VALUES"
                                  " ('10.244.1.7', 'pod', 'cali123', 'netlink')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    cap_open(&c);
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), 0);
    assert_int_equal(rows, 12);
    /* Writing again replaces rather than doubles. */
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), 0);
    cap_close(&c);
    assert_int_equal(c.len, 0);
    cap_free(&c);
    got = query_text(db, q);
    assert_string_equal(got, want);
    free(got);
    got = query_text(db, "SELECT name, labels FROM namespaces ORDER BY name");
    assert_string_equal(got, want_ns);
    free(got);
    got = query_text(db, "SELECT count(*) FROM endpoints WHERE source = 'netlink'");
    assert_string_equal(got, "1\n");
    free(got);
    /* The labels are queryable with SQLite's JSON functions. */
    got = query_text(db, "SELECT name FROM endpoints WHERE json_extract(labels, '$.app') = 'db'"
                         " ORDER BY ip");
    assert_string_equal(got, "db-0\ndb-0\n");
    free(got);
    /* The flows_named view attributes a flow by the time rule. */
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO captures (id, started_ns, tool_version) VALUES"
                                  " (1, 0, 't');"
                                  "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip,"
                                  " dst_port, first_ns, last_ns, packets_fwd, bytes_fwd,"
                                  " packets_rev, bytes_rev, state) VALUES (1, 6, '10.244.1.7',"
                                  " 40000, '10.244.1.20', 5432, 1714560000000000000,"
                                  " 1714560000000000000, 1, 60, 0, 0, 'S0')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    got = query_text(db, "SELECT src_name, src_workload, dst_name FROM flows_named");
    assert_string_equal(got, "web-7d4b9c8f6d-x2x9q|web|db-0\n");
    free(got);

    /* A smaller inventory written under the same source replaces it all. */
    inventory_release(&inv);
    inventory_init(&inv);
    load_ok(&inv, FIX "podlist.json");
    cap_open(&c);
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), 0);
    cap_close(&c);
    cap_free(&c);
    assert_int_equal(rows, 3);
    got = query_text(db, "SELECT group_concat(ip, ' ') FROM (SELECT ip FROM endpoints"
                         " WHERE source = 'inventory' ORDER BY id)");
    assert_string_equal(got, "10.0.0.1 2001:db8::1 10.0.0.2\n");
    free(got);
    got = query_text(db, "SELECT group_concat(name, ' ') FROM namespaces");
    assert_string_equal(got, "ns1 ns2\n");
    free(got);
    inventory_release(&inv);
    sqlite3_close(db);
}

/* Services with external and load-balancer addresses, EndpointSlices with
 * times and readiness, a Node's pod CIDRs: loaded, then written to the
 * format 3 tables (and the addresses to endpoints, but an external IP
 * that is a node's, which stays the node's). */
static void test_services_and_pod_networks(void **state)
{
    static const char want_svc[] =
        "shop|frontend|LoadBalancer|[\"10.96.7.7\"]|[\"203.0.113.70\",\"192.168.10.11\"]|"
        "[\"198.51.100.7\"]|[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\","
        "\"targetPort\":\"web\",\"nodePort\":30080},{\"name\":\"admin\",\"port\":9000,"
        "\"protocol\":\"TCP\",\"targetPort\":9001,\"nodePort\":30900}]|{\"app\":\"frontend\"}|"
        "1714550400000000000|NULL|inventory\n";
    static const char want_eps[] =
        "frontend|frontend-7xk2p|10.244.1.31|1|node-a|Pod|shop|frontend-6d8f9-a1b2c|"
        "1714550401000000000|NULL\n"
        "frontend|frontend-7xk2p|10.244.2.32|0|node-b|Pod|shop|frontend-6d8f9-d3e4f|"
        "1714550401000000000|NULL\n"
        "frontend|frontend-zz9q1|10.244.1.33|1|node-a|Pod|shop|frontend-6d8f9-g5h6i|"
        "1714555800000000000|1714561200000000000\n";
    struct inventory inv;
    const struct inv_service *s;
    const struct inv_node *nd;
    struct cap c;
    sqlite3 *db = mem_db();
    size_t rows = 0;
    char buf[128], *got;

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "services.yaml");
    s = inventory_service(&inv, "shop", "frontend");
    assert_non_null(s);
    assert_string_equal(s->type, "LoadBalancer");
    assert_string_equal(ips_text(s->ext_ips, s->next_ips, buf, sizeof(buf)),
                        "203.0.113.70,192.168.10.11");
    assert_string_equal(ips_text(s->lb_ips, s->nlb_ips, buf, sizeof(buf)), "198.51.100.7");
    assert_int_equal(s->ports[0].node_port, 30080);
    assert_string_equal(s->ports[0].target_name, "web");
    assert_int_equal(inv.nslices, 2);
    assert_true(inv.slices[1].deleted_ns == t3339("2024-05-01T11:00:00Z"));
    nd = inventory_node(&inv, "node-a");
    assert_non_null(nd);
    assert_int_equal(nd->npod_cidrs, 2);

    cap_open(&c);
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), 0);
    /* Again: replaced, not doubled. */
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), 0);
    cap_close(&c);
    assert_int_equal(c.len, 0);
    cap_free(&c);
    got = query_text(db, "SELECT namespace, name, type, cluster_ips, external_ips, lb_ips, ports,"
                         " selector, valid_from_ns, valid_to_ns, source FROM services");
    assert_string_equal(got, want_svc);
    free(got);
    got = query_text(db, "SELECT service, slice, ip, ready, node, target_kind, target_namespace,"
                         " target_name, valid_from_ns, valid_to_ns FROM service_endpoints"
                         " ORDER BY id");
    assert_string_equal(got, want_eps);
    free(got);
    got = query_text(db, "SELECT DISTINCT ports FROM service_endpoints");
    assert_string_equal(got, "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},"
                             "{\"name\":\"admin\",\"port\":9001,\"protocol\":\"TCP\"}]\n");
    free(got);
    got = query_text(db, "SELECT cidr, node, source FROM pod_networks ORDER BY id");
    assert_string_equal(got, "10.244.1.0/24|node-a|inventory\nfd00:244:1::/64|node-a|inventory\n");
    free(got);
    /* The Service's addresses as endpoints: cluster, external (not the
     * node's own) and load-balancer IPs. */
    got = query_text(db, "SELECT group_concat(ip, ' ') FROM (SELECT ip FROM endpoints"
                         " WHERE kind = 'service' ORDER BY id)");
    assert_string_equal(got, "10.96.7.7 203.0.113.70 198.51.100.7\n");
    free(got);
    got = query_text(db, "SELECT kind FROM endpoints WHERE ip = '192.168.10.11'");
    assert_string_equal(got, "host\n");
    free(got);
    inventory_release(&inv);
    sqlite3_close(db);
}

static void test_write_db_failure_rolls_back(void **state)
{
    struct inventory inv;
    struct cap c;
    sqlite3 *db = mem_db();
    size_t rows = 99;
    char *got;

    (void)state;
    inventory_init(&inv);
    load_ok(&inv, FIX "podlist.json");
    cap_open(&c);
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), 0);
    /* The namespaces table vanishes: the write fails after the endpoints
     * were inserted, and everything is rolled back. */
    assert_int_equal(sqlite3_exec(db, "DROP TABLE namespaces", NULL, NULL, NULL), SQLITE_OK);
    inventory_release(&inv);
    inventory_init(&inv);
    load_ok(&inv, FIX "pods.yaml");
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), ERR_DB);
    cap_close(&c);
    assert_int_equal(rows, 0);
    assert_non_null(strstr(c.text, "test: cannot replace namespaces: no such table: namespaces"));
    cap_free(&c);
    got =
        query_text(db, "SELECT group_concat(ip, ' ') FROM (SELECT ip FROM endpoints ORDER BY id)");
    assert_string_equal(got, "10.0.0.1 2001:db8::1 10.0.0.2\n"); /* the earlier inventory */
    free(got);
    /* No transaction left open. */
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    inventory_release(&inv);
    sqlite3_close(db);
}

/* Through the case-file layer: a .db made by db_open_writer() takes the
 * inventory, and db_open_reader() reads it back. */
static void test_write_case_file(void **state)
{
    char path[] = "/tmp/podflow-inv-XXXXXX";
    char dbpath[64];
    struct inventory inv;
    struct cap c;
    sqlite3 *db = NULL;
    size_t rows = 0;
    char *got;
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    snprintf(dbpath, sizeof(dbpath), "%s.db", path);
    inventory_init(&inv);
    load_ok(&inv, FIX "pods.yaml");
    cap_open(&c);
    assert_int_equal(db_open_writer(dbpath, &c.d, &db), 0);
    assert_int_equal(inventory_write_db(db, &inv, NULL, &rows, &c.d), 0);
    assert_int_equal(rows, 8);
    db_close(&db, &c.d);
    assert_int_equal(db_open_reader(dbpath, &c.d, &db), 0);
    cap_close(&c);
    assert_int_equal(c.len, 0);
    cap_free(&c);
    got = query_text(db, "SELECT count(*), count(DISTINCT namespace) FROM endpoints"
                         " WHERE source = 'inventory'");
    assert_string_equal(got, "8|3\n");
    free(got);
    cap_open(&c);
    db_close(&db, &c.d);
    cap_close(&c);
    cap_free(&c);
    unlink(dbpath);
    inventory_release(&inv);
}

/* ---- the conformance corpus ---------------------------------------------------------- */

static size_t corpus_files, corpus_pods, corpus_skipped;
static int corpus_failed;

static int corpus_visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    size_t n = strlen(path);
    struct inventory inv;
    struct cap c;
    int rc;

    (void)sb;
    (void)ftw;
    if (type != FTW_F || !strstr(path, "/resources/"))
        return 0;
    if (!(n > 5 && !strcmp(path + n - 5, ".yaml")) && !(n > 4 && !strcmp(path + n - 4, ".yml")) &&
        !(n > 5 && !strcmp(path + n - 5, ".json")))
        return 0;
    inventory_init(&inv);
    cap_open(&c);
    rc = inventory_load_file(&inv, path, &c.d);
    cap_close(&c);
    if (rc || c.len || inv.malformed) {
        print_error("%s: rc %d, %zu malformed:\n%s", path, rc, inv.malformed, c.text);
        corpus_failed++;
    }
    corpus_files++;
    corpus_pods += inv.npods;
    corpus_skipped += inv.skipped_total;
    cap_free(&c);
    inventory_release(&inv);
    return 0;
}

/* Streaming load: raw API lists leave "kind" out of their items and print
 * the list's kind after them; a file that breaks half way leaves nothing of
 * itself behind (the capture re-reads files kubectl may still be writing). */
static void test_streaming_lists_and_rollback(void **state)
{
    static const char podlist[] = "{\"items\": [\n"
                                  " {\"metadata\": {\"name\": \"a\", \"namespace\": \"x\"},"
                                  "  \"status\": {\"podIP\": \"198.18.0.1\"}},\n"
                                  " {\"kind\": \"Namespace\", \"apiVersion\": \"v1\","
                                  "  \"metadata\": {\"name\": \"x\"}}\n"
                                  "], \"apiVersion\": \"v1\", \"kind\": \"PodList\"}\n";
    static const char broken[] = "apiVersion: v1\nkind: Pod\n"
                                 "metadata: {name: b, namespace: x}\n"
                                 "status: {podIP: 198.18.0.2}\n"
                                 "---\n"
                                 "kind: Pod\nmetadata: {name: c\n";
    struct inventory inv;
    struct cap c;

    (void)state;
    inventory_init(&inv);
    cap_open(&c);
    /* Row: a kindless item takes the kind of the list printed after it;
     * an item with its own kind keeps it. */
    assert_int_equal(inventory_load_mem(&inv, "podlist.json", podlist, strlen(podlist), &c.d), 0);
    assert_int_equal(inv.npods, 1);
    assert_non_null(inventory_pod(&inv, "x", "a"));
    assert_non_null(inventory_namespace(&inv, "x"));
    /* Row: the first document of broken.yaml is fine, the second is not
     * YAML: the load fails and pod b is not kept. */
    assert_int_equal(inventory_load_mem(&inv, "broken.yaml", broken, strlen(broken), &c.d),
                     ERR_PARSE);
    cap_close(&c);
    assert_non_null(strstr(c.text, "broken.yaml:"));
    assert_int_equal(inv.npods, 1);
    assert_null(inventory_pod(&inv, "x", "b"));
    cap_free(&c);
    inventory_release(&inv);
}

static void test_conformance_corpus(void **state)
{
    struct stat st;
    const char *corpus = getenv("PODFLOW_CONFORMANCE");

    (void)state;
    if (!corpus)
        corpus = "../shared/conformance/netpol"; /* the repository's sibling, as CI has it */
    if (stat(corpus, &st) != 0)
        fail_msg("conformance corpus not found at %s (set PODFLOW_CONFORMANCE)", corpus);
    corpus_files = corpus_pods = corpus_skipped = 0;
    corpus_failed = 0;
    assert_int_equal(nftw(corpus, corpus_visit, 16, FTW_PHYS), 0);
    print_message("corpus: %zu files, %zu pods, %zu objects of other kinds skipped\n", corpus_files,
                  corpus_pods, corpus_skipped);
    assert_int_equal(corpus_failed, 0);
    assert_true(corpus_files >= 100);
    assert_true(corpus_pods >= 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pods_yaml),
        cmocka_unit_test(test_podlist_json),
        cmocka_unit_test(test_mixed_json),
        cmocka_unit_test(test_multi_yaml),
        cmocka_unit_test(test_malformed_positions),
        cmocka_unit_test(test_not_yaml),
        cmocka_unit_test(test_hostile_shapes),
        cmocka_unit_test(test_ip_limit),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_reload_replaces),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_write_db),
        cmocka_unit_test(test_services_and_pod_networks),
        cmocka_unit_test(test_write_db_failure_rolls_back),
        cmocka_unit_test(test_write_case_file),
        cmocka_unit_test(test_streaming_lists_and_rollback),
        cmocka_unit_test(test_conformance_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
