/*
 * test_case.c: the case reader's per-flow address parser
 * (analyze/case/flowrow.c fast_v4) must accept and refuse exactly what
 * inet_pton(3) does, and give the same bytes; its memo of address texts
 * finds a text again only as itself.  Pairing: test_pair.c.
 * The Services of a case (case_svc.c, docs/semantics.md §12): which one
 * answers on an address and port, its ready backends, Calico's services
 * match, pod networks, and the pairing of a Service flow with its
 * post-DNAT leg.
 * (format 3) Each flow gets the process at each end by flows_named's rule
 * (through a Service's DNAT too), and flows.open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "common/db.h"
#include "common/err.h"
#include "common/labels.h"
#include "common/limits.h"
#include "common/compat.h"

static void test_fast_v4_matches_inet_pton(void **state)
{
    static const char *const cases[] = {
        "10.0.0.1",
        "11.0.0.1",
        /* differs in key word 0 */ /* plain */
        "0.0.0.0",                  /* zeros */
        "255.255.255.255",          /* maxima */
        "256.0.0.1",                /* part too large */
        "1.2.3",                    /* three parts */
        "1.2.3.4.5",                /* five parts */
        "01.2.3.4",                 /* leading zero: inet_pton refuses */
        "1.2.3.04",                 /* leading zero in the last part */
        "1..2.3",                   /* empty part */
        "1.2.3.4 ",                 /* trailing space */
        " 1.2.3.4",                 /* leading space */
        "1.2.3.",                   /* trailing dot */
        "a.b.c.d",                  /* not digits */
        "1.2.3.4a",                 /* trailing garbage */
        "9999.1.1.1",               /* long part */
        "",                         /* empty */
        "::1",                      /* IPv6: not ours */
        "1.2.3.-4",                 /* sign */
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

static const char svc_case_sql[] =
    "INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'n1', 0, 't');"
    "INSERT INTO endpoints (ip, kind, namespace, name, node) VALUES"
    " ('10.1.0.1', 'pod', 'shop', 'web-1', 'n1'), ('10.1.0.2', 'pod', 'shop', 'web-2', 'n1'),"
    " ('10.1.0.9', 'pod', 'shop', 'client', 'n1'), ('192.0.2.1', 'host', NULL, 'n1', 'n1'),"
    " ('10.96.0.10', 'service', 'shop', 'web', NULL);"
    "INSERT INTO services (namespace, name, type, cluster_ips, ports) VALUES ('shop', 'web',"
    " 'NodePort', '[\"10.96.0.10\"]', '[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\","
    "\"targetPort\":\"web\",\"nodePort\":30080}]');"
    /* web-2 not ready; the slice names the Service port http, resolved to 8080 */
    "INSERT INTO service_endpoints (namespace, service, slice, ip, ready, target_name, ports)"
    " VALUES ('shop', 'web', 'web-a', '10.1.0.1', 1, 'web-1',"
    " '[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]'),"
    " ('shop', 'web', 'web-a', '10.1.0.2', 0, 'web-2',"
    " '[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]');"
    "INSERT INTO pod_networks (cidr, node, source) VALUES ('10.1.0.0/24', 'n1', 'inventory');"
    /* 1 and 2: both legs of one connection (the second as an inbound-only
     * capture keeps it, answer only); 3: the client side of another */
    "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,"
    " last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state) VALUES"
    " (1, 1, 6, '10.1.0.9', 40000, '10.96.0.10', 80, 1000, 2000, 2, 120, 0, 0, 'S0'),"
    " (2, 1, 6, '10.1.0.9', 40000, '10.1.0.1', 8080, 1100, 1100, 0, 0, 1, 60, 'OTH'),"
    " (3, 1, 6, '10.1.0.9', 40001, '10.96.0.10', 80, 5000, 6000, 3, 180, 2, 120, 'SF');"
    /* the client's socket is connected to the Service, the backend's to
     * the client */
    "INSERT INTO sockets (capture_id, proto, local_ip, local_port, remote_ip, remote_port,"
    " inode, pid, comm) VALUES (1, 6, '10.1.0.9', 40000, '10.96.0.10', 80, 1, 10, 'curl'),"
    " (1, 6, '10.1.0.1', 8080, '10.1.0.9', 40000, 2, 20, 'web');";

/* The flows seen; a flow's connection lives during the callback only
 * (case.h), so what the test asks of it is kept here. */
struct seen {
    int n;
    struct case_flow f[4];
    size_t conn_ends[4];
    int64_t conn_end1[4];            /* the second end's flow id, or -1 */
    const struct case_conn *copy[4]; /* case_conn_copy() of it, or NULL */
    struct arena arena;
};

static int keep(void *ctx, const struct case_flow *fl)
{
    struct seen *s = ctx;

    if (s->n < 4) {
        s->f[s->n] = *fl;
        s->f[s->n].conn = NULL;
        s->conn_ends[s->n] = fl->conn ? fl->conn->nends : 0;
        s->conn_end1[s->n] = fl->conn && fl->conn->nends > 1 ? fl->conn->ends[1].flow_id : -1;
        s->copy[s->n] = fl->conn ? case_conn_copy(&s->arena, fl->conn) : NULL;
    }
    s->n++;
    return 0;
}

/* A case at a temporary path made by sql (on the schema); the path's
 * storage is the caller's. */
static void make_case(char *path, const char *sql)
{
    sqlite3 *db;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, db_schema_sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_services(void **state)
{
    char path[] = "/tmp/podflow-test-case-XXXXXX";
    struct case_backend b[4];
    struct ipaddr ip;
    struct case_db c;
    struct seen sn;
    size_t pi = 99;

    (void)state;
    make_case(path, svc_case_sql);
    assert_int_equal(case_open(&c, path, NULL), 0);
    unlink(path);

    assert_int_equal(ipaddr_parse("10.96.0.10", 10, &ip), 0);
    assert_non_null(case_svc_at(&c, &ip, 6, 80, 0, &pi));
    assert_int_equal(pi, 0);
    assert_null(case_svc_at(&c, &ip, 6, 81, 0, &pi));  /* not a port of it */
    assert_null(case_svc_at(&c, &ip, 17, 80, 0, &pi)); /* nor that protocol */
    assert_int_equal(ipaddr_parse("192.0.2.1", 9, &ip), 0);
    assert_non_null(case_svc_at(&c, &ip, 6, 30080, 0, &pi)); /* a NodePort on a node */
    assert_null(case_svc_at(&c, &ip, 6, 80, 0, &pi));
    /* Ready backends only, on the port the slice resolved. */
    assert_int_equal(case_svc_backends(&c, &c.svcs[0], 0, 0, b, 4), 1);
    assert_int_equal(b[0].port, 8080);
    assert_non_null(b[0].ep);
    assert_string_equal(b[0].ep->name, "web-1");
    /* Calico's match does not look at readiness; with ports it needs one. */
    assert_int_equal(ipaddr_parse("10.1.0.2", 8, &ip), 0);
    assert_int_equal(case_svc_member(&c, "shop", "web", &ip, 1, 6, 8080, 0), 1);
    assert_int_equal(case_svc_member(&c, "shop", "web", &ip, 1, 6, 80, 0), 0);
    assert_int_equal(case_svc_member(&c, "shop", "web", &ip, 0, 17, 1, 0), 1);
    assert_int_equal(case_svc_member(&c, "shop", "db", &ip, 0, 6, 8080, 0), 0);
    assert_non_null(case_pod_network(&c, &ip));
    assert_int_equal(ipaddr_parse("10.2.0.2", 8, &ip), 0);
    assert_null(case_pod_network(&c, &ip));
    assert_int_equal(c.has_identities, 1);

    /* The legs of flow 1 are paired: one flow, to the backend; flow 3
     * names its Service for the engine. */
    memset(&sn, 0, sizeof(sn));
    arena_init(&sn.arena, 0);
    assert_int_equal(case_flows(&c, NULL, keep, &sn, NULL), 0);
    assert_int_equal(sn.n, 2);
    assert_int_equal(c.flows_dnat_paired, 1);
    assert_int_equal(sn.f[0].id, 1);
    assert_int_equal(sn.f[0].dnat_how, CASE_DNAT_PAIRED);
    assert_int_equal(sn.f[0].dst_port, 8080);
    assert_string_equal(sn.f[0].dst->name, "web-1");
    assert_int_equal(sn.f[0].orig_dst_port, 80);
    assert_int_equal(sn.conn_ends[0], 2);
    assert_int_equal(sn.conn_end1[0], 2);
    /* A copy outlives the callback, its ends' states with it (the first
     * leg's was the reader's row text). */
    assert_non_null(sn.copy[0]);
    assert_string_equal(sn.copy[0]->ends[0].state, "S0");
    assert_string_equal(sn.copy[0]->ends[1].state, "OTH");
    /* The processes: the client's socket by where it sent, the backend's. */
    assert_non_null(sn.f[0].src_proc);
    assert_string_equal(sn.f[0].src_proc->comm, "curl");
    assert_non_null(sn.f[0].dst_proc);
    assert_string_equal(sn.f[0].dst_proc->comm, "web");
    assert_null(sn.f[1].src_proc);
    assert_int_equal(sn.f[1].id, 3);
    assert_int_equal(sn.f[1].dnat, 0);
    assert_non_null(sn.f[1].svc);
    assert_string_equal(sn.f[1].svc->name, "web");
    arena_release(&sn.arena);
    case_close(&c);
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

static const struct case_ep *ep_at(const struct case_db *c, const char *ip)
{
    struct ipaddr a;

    assert_int_equal(ipaddr_parse(ip, strlen(ip), &a), 0);
    return case_lookup(c, &a, 0);
}

/* The messages (malloc'd) of opening a case made by sql, which must fail
 * with ERR_PARSE. */
static char *open_fails(const char *sql)
{
    char path[] = "/tmp/test_case.XXXXXX";
    char *msgs = NULL;
    size_t len = 0;
    struct case_db c;
    struct diag d;
    FILE *out;

    make_case(path, sql);
    out = open_memstream(&msgs, &len);
    assert_non_null(out);
    diag_init(&d, out, "test");
    assert_int_equal(case_open(&c, path, &d), ERR_PARSE);
    unlink(path);
    fclose(out);
    return msgs;
}

/* Named ports (§3.2): the usable ones of each endpoint, the same for
 * endpoints whose ports text is the same (read once); past
 * LIM_ENDPOINT_PORTS a warning at each endpoint; malformed JSON stops the
 * reading at its endpoint. */
static void test_named_ports(void **state)
{
    static const char sql[] =
        "INSERT INTO endpoints (ip, kind, namespace, name, ports) VALUES"
        " ('10.1.0.1', 'pod', 'a', 'p1', '[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},"
        "{\"name\":\"dns\",\"port\":53,\"protocol\":\"udp\"},5,{\"name\":\"\",\"port\":1},"
        "{\"name\":\"big\",\"port\":70000},{\"name\":\"q\",\"port\":9,\"protocol\":\"ICMP\"},"
        "{\"name\":\"s\",\"port\":\"7\"}]'),"
        " ('10.1.0.2', 'pod', 'a', 'p2', '[{\"name\":\"h2\",\"port\":9090}]'),"
        " ('10.1.0.3', 'pod', 'a', 'p3', '[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},"
        "{\"name\":\"dns\",\"port\":53,\"protocol\":\"udp\"},5,{\"name\":\"\",\"port\":1},"
        "{\"name\":\"big\",\"port\":70000},{\"name\":\"q\",\"port\":9,\"protocol\":\"ICMP\"},"
        "{\"name\":\"s\",\"port\":\"7\"}]');"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1025)"
        " INSERT INTO endpoints (ip, kind, name, ports)"
        " SELECT '10.1.0.' || (3 + k), 'pod', 'many', (SELECT json_group_array(json_object("
        "'name', 'p' || i, 'port', i)) FROM n) FROM (SELECT 1 AS k UNION ALL SELECT 2);";
    char path[] = "/tmp/test_case.XXXXXX";
    const struct case_ep *e[5];
    const char *ips[5] = {"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"};
    char *msgs = NULL;
    size_t len = 0;
    FILE *out;
    struct case_db c;
    struct diag d;

    (void)state;
    make_case(path, sql);
    out = open_memstream(&msgs, &len);
    assert_non_null(out);
    diag_init(&d, out, "test");
    assert_int_equal(case_open(&c, path, &d), 0);
    unlink(path);
    fclose(out);
    for (int i = 0; i < 5; i++)
        assert_non_null(e[i] = ep_at(&c, ips[i]));
    /* The usable ones, in their order; protocol by name, TCP when absent. */
    assert_int_equal(e[0]->nports, 2);
    assert_string_equal(e[0]->ports[0].name, "http");
    assert_int_equal(e[0]->ports[0].port, 8080);
    assert_int_equal(e[0]->ports[0].proto, 6);
    assert_string_equal(e[0]->ports[1].name, "dns");
    assert_int_equal(e[0]->ports[1].port, 53);
    assert_int_equal(e[0]->ports[1].proto, 17);
    assert_int_equal(e[1]->nports, 1);
    assert_string_equal(e[1]->ports[0].name, "h2");
    assert_int_equal(e[1]->ports[0].port, 9090);
    assert_int_equal(e[1]->ports[0].proto, 6);
    /* The same text, the same ports. */
    assert_int_equal(e[2]->nports, 2);
    assert_string_equal(e[2]->ports[1].name, "dns");
    assert_int_equal(e[2]->ports[1].proto, 17);
    /* Past the limit: the first LIM_ENDPOINT_PORTS, a warning for each. */
    assert_int_equal(e[3]->nports, LIM_ENDPOINT_PORTS);
    assert_int_equal(e[4]->nports, LIM_ENDPOINT_PORTS);
    assert_int_equal(e[4]->ports[LIM_ENDPOINT_PORTS - 1].port, LIM_ENDPOINT_PORTS);
    assert_non_null(strstr(msgs, "endpoint 4: more than 1024 ports, the rest ignored"));
    assert_non_null(strstr(msgs, "endpoint 5: more than 1024 ports, the rest ignored"));
    case_close(&c);
    free(msgs);

    /* Malformed: named at its endpoint (the third; the first two are
     * read, one of them with a text the third does not share). */
    msgs = open_fails("INSERT INTO endpoints (ip, kind, ports) VALUES ('10.1.0.1', 'pod', '[]'),"
                      " ('10.1.0.2', 'pod', '[]'), ('10.1.0.3', 'pod', '[{\"name\":'),"
                      " ('10.1.0.4', 'pod', 'x');");
    assert_non_null(strstr(msgs, "endpoint 3: bad ports: malformed JSON"));
    assert_null(strstr(msgs, "endpoint 4"));
    free(msgs);
}

/* Endpoints that record the same labels text share one set; pods with the
 * same labels, namespace and service account get the same Calico labels
 * (built once, lent); a different service account, or no namespace
 * against one named "", gives other ones. */
static void test_calico_labels_shared(void **state)
{
    static const char sql[] =
        "INSERT INTO namespaces (name, labels) VALUES ('a', '{\"team\":\"x\"}'), ('', '{}');"
        "INSERT INTO endpoints (ip, kind, namespace, name, labels, service_account) VALUES"
        " ('10.1.0.1', 'pod', 'a', 'p1', '{\"app\":\"w\"}', 'sa1'),"
        " ('10.1.0.2', 'pod', 'a', 'p2', '{\"app\":\"w\"}', 'sa1'),"
        " ('10.1.0.3', 'pod', 'a', 'p3', '{\"app\":\"w\"}', 'sa2'),"
        " ('10.1.0.4', 'pod', NULL, 'p4', '{\"app\":\"w\"}', NULL),"
        " ('10.1.0.5', 'pod', '', 'p5', '{\"app\":\"w\"}', NULL),"
        " ('10.1.0.6', 'pod', 'a', 'p6', '{ \"app\": \"w\" }', 'sa1');";
    char path[] = "/tmp/test_case.XXXXXX";
    char *msgs;
    const struct case_ep *e[6];
    const char *ips[6] = {"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"};
    struct case_db c;
    int borrowed = 0;

    (void)state;
    make_case(path, sql);
    assert_int_equal(case_open(&c, path, NULL), 0);
    unlink(path);
    for (int i = 0; i < 6; i++)
        assert_non_null(e[i] = ep_at(&c, ips[i]));
    /* The first five record the same labels text: one set, lent to four;
     * the sixth's text differs (spaces), so it reads its own. */
    for (int i = 0; i < 5; i++) {
        assert_ptr_equal(e[i]->labels.v, e[0]->labels.v);
        borrowed += e[i]->labels_borrowed;
    }
    assert_int_equal(borrowed, 4);
    assert_int_equal(e[5]->labels_borrowed, 0);
    assert_ptr_not_equal(e[5]->labels.v, e[0]->labels.v);
    /* ...but the same labels, namespace and service account as the first:
     * the same Calico set. */
    assert_ptr_equal(e[5]->calico.v, e[0]->calico.v);
    assert_int_equal(labels_cmp(&e[0]->calico, &e[1]->calico), 0);
    /* One set, lent to the second pod (released once: ASan's leak and
     * double-free checks see to that). */
    assert_ptr_equal(e[0]->calico.v, e[1]->calico.v);
    assert_int_equal(e[0]->calico_borrowed + e[1]->calico_borrowed, 1);
    assert_int_equal(e[2]->calico_borrowed, 0);
    assert_string_equal(labels_get(&e[1]->calico, "pcns.team"), "x");
    assert_string_equal(labels_get(&e[1]->calico, "pcsa.projectcalico.org/name"), "sa1");
    assert_string_equal(labels_get(&e[2]->calico, "pcsa.projectcalico.org/name"), "sa2");
    assert_string_equal(labels_get(&e[2]->calico, "pcns.team"), "x");
    /* No namespace: only the name label Kubernetes sets; "" is looked up
     * (and has no labels at all but the name one it gets on reading). */
    assert_null(labels_get(&e[3]->calico, "pcsa.projectcalico.org/name"));
    assert_string_equal(labels_get(&e[3]->calico, "pcns.projectcalico.org/name"), "");
    assert_null(labels_get(&e[3]->calico, "pcns.kubernetes.io/metadata.name"));
    assert_string_equal(labels_get(&e[4]->calico, "pcns.kubernetes.io/metadata.name"), "");
    case_close(&c);

    /* Labels that do not parse stop the reading at their endpoint, after
     * others that share a text. */
    msgs = open_fails("INSERT INTO endpoints (ip, kind, labels) VALUES ('10.1.0.1', 'pod',"
                      " '{\"a\":\"1\"}'), ('10.1.0.2', 'pod', '{\"a\":\"1\"}'),"
                      " ('10.1.0.3', 'pod', '{\"a\":\"1\",\"a\":\"2\"}'),"
                      " ('10.1.0.4', 'pod', '{');");
    assert_non_null(strstr(msgs, "endpoint 3 (10.1.0.3): bad labels"));
    assert_null(strstr(msgs, "endpoint 4"));
    free(msgs);
}

/*
 * The memo of address texts (flowrow.c, frow_ip_memo()): a text is found
 * again only as itself, whatever it shares with others (a prefix, all
 * but its last byte, its bytes with another length), up to the longest
 * remembered (CASE_MEMO_TEXT); longer ones and those past a full memo are
 * parsed each time, never confused.
 */
static void test_address_memo(void **state)
{
    static const char *texts[] = {
        "10.0.0.1",
        "11.0.0.1", /* differs in the key's first word */
        "10.0.0.10",
        "10.0.0.100",
        "10.0.0.101",
        "198.18.255.254",
        "198.18.255.255",
        "fd00:10:244:1::1",
        "fd00:10:244:1::12",
        "fd00:10:244:1::1234:5",  /* 21 bytes */
        "fd00:10:244:1::1234:56", /* 22 */
        "fd00:10:245:1::1234:56", /* 22: differs from the one above in byte 9 */
        "fd00:10:244:1::12:3456",
        "fd00:10:244:1::123:456",   /* 22 */
        "fd00:10:244:1::123:4567",  /* 23: CASE_MEMO_TEXT, remembered */
        "fd00:10:244:1:0:12:34:56", /* 24: parsed each time */
    };
    size_t n = sizeof(texts) / sizeof(texts[0]);
    struct case_memo *seen[sizeof(texts) / sizeof(texts[0])];
    struct frow_memo mm;

    (void)state;
    assert_int_equal(strlen("fd00:10:244:1::123:4567"), CASE_MEMO_TEXT);
    frow_memo_init(&mm, 0);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < n; i++) {
            struct ipaddr want, got;
            struct case_memo *slot;
            size_t len = strlen(texts[i]);

            assert_int_equal(ipaddr_parse(texts[i], len, &want), 0);
            memset(&got, 0, sizeof(got));
            assert_int_equal(frow_ip_memo(&mm, texts[i], len, &got, &slot), 0);
            assert_memory_equal(&got, &want, sizeof(want));
            if (len > CASE_MEMO_TEXT) {
                assert_null(slot);
                continue;
            }
            assert_non_null(slot);
            if (round == 0) {
                for (size_t j = 0; j < i; j++)
                    assert_ptr_not_equal(slot, seen[j]);
                seen[i] = slot;
            } else {
                assert_ptr_equal(slot, seen[i]); /* found again, as itself */
            }
        }
    }
    assert_int_equal(mm.used, n - 1);
    /* Refused texts are not remembered: a prefix of a remembered one,
     * and one with a NUL in it. */
    {
        struct ipaddr ip;
        struct case_memo *slot;

        assert_int_equal(frow_ip_memo(&mm, "10.0.0.", 7, &ip, &slot), ERR_PARSE);
        assert_null(slot);
        assert_int_equal(frow_ip_memo(&mm, "10.0.0.1\0", 9, &ip, &slot), ERR_PARSE);
        assert_null(slot);
        assert_int_equal(mm.used, n - 1);
    }
    /* A full memo still parses, and finds what it holds. */
    mm.cap = mm.used;
    {
        struct ipaddr ip;
        struct case_memo *slot;

        assert_int_equal(frow_ip_memo(&mm, "10.0.0.2", 8, &ip, &slot), 0);
        assert_null(slot);
        assert_int_equal(ip.a[3], 2);
        assert_int_equal(frow_ip_memo(&mm, "10.0.0.10", 9, &ip, &slot), 0);
        assert_ptr_equal(slot, seen[2]);
        assert_int_equal(ip.a[3], 10);
    }
    frow_memo_release(&mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_v4_matches_inet_pton),
        cmocka_unit_test(test_address_memo),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_flow_processes),
        cmocka_unit_test(test_named_ports),
        cmocka_unit_test(test_calico_labels_shared),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
