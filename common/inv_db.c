/*
 * inv_db.c: write an inventory into a case file's endpoints and namespaces
 * tables (schema.sql), replacing the previous inventory in one savepoint
 * (a transaction of its own, or nested in the caller's), with statements
 * prepared once and bound parameters only.
 *
 * Validity (DESIGN.md, "An inventory is a snapshot"): an identity holds
 * from the object's own start (a pod's status.startTime, else its
 * creationTimestamp; a service's or node's creationTimestamp), open-ended
 * when absent, until its deletionTimestamp or open-ended.  The wall-clock
 * time at which the file was read is never used.
 */
#include "common/inventory.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/inv_int.h"
#include "common/json.h"
#include "common/xmalloc.h"
#include "common/compat.h"

struct inv_writer {
    sqlite3 *db;
    struct diag *d;
    sqlite3_stmt *ins; /* INSERT INTO endpoints */
    struct buf labels; /* scratch: labels JSON */
    struct buf ports;  /* scratch: ports JSON */
    const char *source;
    size_t rows;
};

/* One endpoint row; NULL strings and INV_TIME_NONE times are SQL NULL. */
struct inv_row {
    const struct ipaddr *ip;
    const char *kind, *ns, *name, *workload_kind, *workload, *service_account, *node;
    const struct labels *labels;
    const struct inv_port *ports;
    size_t nports;
    int service_ports; /* add targetPort to each port */
    int64_t from_ns, to_ns;
};

static int db_fail(struct inv_writer *w, const char *what)
{
    diag_err(w->d, "cannot %s: %s", what, sqlite3_errmsg(w->db));
    return ERR_DB;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t ns)
{
    if (ns == INV_TIME_NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, ns);
}

/* [{"name":"http","port":8080,"protocol":"TCP"}, ...]; name is null when
 * the port is unnamed; services add "targetPort" (a number or a name). */
static int ports_json(struct buf *out, const struct inv_port *ports, size_t n, int service)
{
    struct json j;

    buf_reset(out);
    json_init(&j, out);
    json_arr_begin(&j);
    for (size_t i = 0; i < n; i++) {
        json_obj_begin(&j);
        json_key(&j, "name");
        json_str(&j, ports[i].name);
        json_key(&j, "port");
        json_uint(&j, ports[i].port);
        json_key(&j, "protocol");
        json_str(&j, inv_proto_name(ports[i].proto));
        if (service) {
            json_key(&j, "targetPort");
            if (ports[i].target_name)
                json_str(&j, ports[i].target_name);
            else
                json_uint(&j, ports[i].target_port);
        }
        json_obj_end(&j);
    }
    json_arr_end(&j);
    return json_finish(&j);
}

static int write_row(struct inv_writer *w, const struct inv_row *r)
{
    sqlite3_stmt *st = w->ins;
    char ip[IPADDR_STRLEN];
    int rc;

    buf_reset(&w->labels);
    rc = r->labels ? labels_to_json(r->labels, &w->labels) : buf_addstr(&w->labels, "{}");
    if (!rc)
        rc = ports_json(&w->ports, r->ports, r->nports, r->service_ports);
    if (rc) {
        diag_err(w->d, "cannot write endpoint '%s/%s': labels or ports too large",
                 r->ns ? r->ns : "", r->name ? r->name : "");
        return ERR_LIMIT;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, ipaddr_format(r->ip, ip), -1, SQLITE_TRANSIENT);
    bind_time(st, 2, r->from_ns);
    bind_time(st, 3, r->to_ns);
    bind_text(st, 4, r->kind);
    bind_text(st, 5, r->ns);
    bind_text(st, 6, r->name);
    bind_text(st, 7, r->workload_kind);
    bind_text(st, 8, r->workload);
    sqlite3_bind_text(st, 9, w->labels.data, (int)w->labels.len, SQLITE_STATIC);
    bind_text(st, 10, r->service_account);
    bind_text(st, 11, r->node);
    sqlite3_bind_text(st, 12, w->ports.data, (int)w->ports.len, SQLITE_STATIC);
    bind_text(st, 13, w->source);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(w, "insert endpoint");
    w->rows++;
    return 0;
}

static int write_pods(struct inv_writer *w, const struct inventory *inv)
{
    for (size_t i = 0; i < inv->npods; i++) {
        const struct inv_pod *p = &inv->pods[i];
        struct inv_row r;

        memset(&r, 0, sizeof(r));
        r.kind = p->host_network ? "host" : "pod";
        r.ns = p->ns;
        r.name = p->name;
        r.workload_kind = p->workload_kind;
        r.workload = p->workload;
        r.service_account = p->service_account;
        r.node = p->node;
        r.labels = &p->labels;
        r.ports = p->ports;
        r.nports = p->nports;
        r.from_ns = p->start_ns != INV_TIME_NONE ? p->start_ns : p->created_ns;
        r.to_ns = p->deleted_ns;
        for (size_t k = 0; k < p->nips; k++) {
            int rc;
            r.ip = &p->ips[k];
            rc = write_row(w, &r);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* 1 when ip is an InternalIP of a node of the inventory. */
static int is_node_ip(const struct inventory *inv, const struct ipaddr *ip)
{
    for (size_t i = 0; i < inv->nnodes; i++)
        for (size_t k = 0; k < inv->nodes[i].naddrs; k++)
            if (!strcmp(inv->nodes[i].addrs[k].type, "InternalIP") &&
                !ipaddr_cmp(&inv->nodes[i].addrs[k].ip, ip))
                return 1;
    return 0;
}

/* One endpoint row per address of ips[0..n), but those held by a node
 * (an external IP is often a node's own, which stays a host). */
static int write_service_ips(struct inv_writer *w, const struct inventory *inv, struct inv_row *r,
                             const struct ipaddr *ips, size_t n, int skip_nodes)
{
    for (size_t k = 0; k < n; k++) {
        int rc;

        if (skip_nodes && is_node_ip(inv, &ips[k]))
            continue;
        r->ip = &ips[k];
        rc = write_row(w, r);
        if (rc)
            return rc;
    }
    return 0;
}

static int write_services(struct inv_writer *w, const struct inventory *inv)
{
    for (size_t i = 0; i < inv->nsvcs; i++) {
        const struct inv_service *s = &inv->svcs[i];
        struct inv_row r;
        int rc;

        memset(&r, 0, sizeof(r));
        r.kind = "service";
        r.ns = s->ns;
        r.name = s->name;
        r.labels = &s->labels;
        r.ports = s->ports;
        r.nports = s->nports;
        r.service_ports = 1;
        r.from_ns = s->created_ns;
        r.to_ns = s->deleted_ns;
        rc = write_service_ips(w, inv, &r, s->ips, s->nips, 0);
        if (!rc)
            rc = write_service_ips(w, inv, &r, s->ext_ips, s->next_ips, 1);
        if (!rc)
            rc = write_service_ips(w, inv, &r, s->lb_ips, s->nlb_ips, 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* A JSON array of addresses into out. */
static int ips_json(struct buf *out, const struct ipaddr *ips, size_t n)
{
    char ip[IPADDR_STRLEN];
    struct json j;

    buf_reset(out);
    json_init(&j, out);
    json_arr_begin(&j);
    for (size_t i = 0; i < n; i++)
        json_str(&j, ipaddr_format(&ips[i], ip));
    json_arr_end(&j);
    return json_finish(&j);
}

/* Service ports with nodePort, for the services table:
 * [{"name","port","protocol","targetPort","nodePort"}]. */
static int svc_ports_json(struct buf *out, const struct inv_service *s)
{
    struct json j;

    buf_reset(out);
    json_init(&j, out);
    json_arr_begin(&j);
    for (size_t i = 0; i < s->nports; i++) {
        const struct inv_port *p = &s->ports[i];

        json_obj_begin(&j);
        json_key(&j, "name");
        json_str(&j, p->name);
        json_key(&j, "port");
        json_uint(&j, p->port);
        json_key(&j, "protocol");
        json_str(&j, inv_proto_name(p->proto));
        json_key(&j, "targetPort");
        if (p->target_name)
            json_str(&j, p->target_name);
        else
            json_uint(&j, p->target_port);
        json_key(&j, "nodePort");
        if (p->node_port)
            json_uint(&j, p->node_port);
        else
            json_null(&j);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    return json_finish(&j);
}

/* The services table: one row per Service (§12). */
static int write_service_rows(struct inv_writer *w, const struct inventory *inv)
{
    static const char sql[] =
        "INSERT INTO services (namespace, name, type, cluster_ips, external_ips, lb_ips, ports,"
        " selector, labels, valid_from_ns, valid_to_ns, source)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    struct buf a, b, c, sel;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(w, "prepare the service insert");
    buf_init(&a, 0);
    buf_init(&b, 0);
    buf_init(&c, 0);
    buf_init(&sel, 0);
    for (size_t i = 0; i < inv->nsvcs && !rc; i++) {
        const struct inv_service *s = &inv->svcs[i];

        buf_reset(&w->labels);
        buf_reset(&sel);
        if (ips_json(&a, s->ips, s->nips) || ips_json(&b, s->ext_ips, s->next_ips) ||
            ips_json(&c, s->lb_ips, s->nlb_ips) || svc_ports_json(&w->ports, s) ||
            labels_to_json(&s->labels, &w->labels) ||
            (s->has_selector && labels_to_json(&s->selector, &sel))) {
            diag_err(w->d, "cannot write service '%s/%s': too large", s->ns, s->name);
            rc = ERR_LIMIT;
            break;
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        bind_text(st, 1, s->ns);
        bind_text(st, 2, s->name);
        bind_text(st, 3, s->type);
        sqlite3_bind_text(st, 4, a.data, (int)a.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, b.data, (int)b.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, c.data, (int)c.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, w->ports.data, (int)w->ports.len, SQLITE_STATIC);
        if (s->has_selector)
            sqlite3_bind_text(st, 8, sel.data, (int)sel.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, w->labels.data, (int)w->labels.len, SQLITE_STATIC);
        bind_time(st, 10, s->created_ns);
        bind_time(st, 11, s->deleted_ns);
        bind_text(st, 12, w->source);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(w, "insert service");
    }
    sqlite3_finalize(st);
    buf_release(&a);
    buf_release(&b);
    buf_release(&c);
    buf_release(&sel);
    return rc;
}

/* The service_endpoints table: one row per address of each endpoint of
 * each EndpointSlice (FQDN slices have none), with the slice's ports. */
static int write_slice_rows(struct inv_writer *w, const struct inventory *inv)
{
    static const char sql[] =
        "INSERT INTO service_endpoints (namespace, service, slice, ip, ready, node, target_kind,"
        " target_namespace, target_name, ports, valid_from_ns, valid_to_ns, source)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(w, "prepare the service endpoint insert");
    for (size_t i = 0; i < inv->nslices && !rc; i++) {
        const struct inv_slice *sl = &inv->slices[i];

        if (ports_json(&w->ports, sl->ports, sl->nports, 0)) {
            diag_err(w->d, "cannot write EndpointSlice '%s/%s': too many ports", sl->ns, sl->name);
            rc = ERR_LIMIT;
            break;
        }
        for (size_t e = 0; e < sl->neps && !rc; e++) {
            const struct inv_slice_endpoint *ep = &sl->eps[e];

            for (size_t k = 0; k < ep->naddrs && !rc; k++) {
                char ip[IPADDR_STRLEN];

                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
                bind_text(st, 1, sl->ns);
                bind_text(st, 2, sl->service);
                bind_text(st, 3, sl->name);
                sqlite3_bind_text(st, 4, ipaddr_format(&ep->addrs[k], ip), -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(st, 5, ep->ready ? 1 : 0);
                bind_text(st, 6, ep->node);
                bind_text(st, 7, ep->target_kind);
                bind_text(st, 8, ep->target_ns);
                bind_text(st, 9, ep->target_name);
                sqlite3_bind_text(st, 10, w->ports.data, (int)w->ports.len, SQLITE_STATIC);
                bind_time(st, 11, sl->created_ns);
                bind_time(st, 12, sl->deleted_ns);
                bind_text(st, 13, w->source);
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = db_fail(w, "insert service endpoint");
            }
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* The pod_networks table: each node's podCIDRs (§11). */
static int write_pod_networks(struct inv_writer *w, const struct inventory *inv)
{
    static const char sql[] = "INSERT INTO pod_networks (cidr, node, source, valid_from_ns,"
                              " valid_to_ns) VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(w, "prepare the pod network insert");
    for (size_t i = 0; i < inv->nnodes && !rc; i++) {
        const struct inv_node *n = &inv->nodes[i];

        for (size_t k = 0; k < n->npod_cidrs && !rc; k++) {
            char cb[IPADDR_STRLEN + 4];

            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, cidr_format(&n->pod_cidrs[k], cb), -1, SQLITE_TRANSIENT);
            bind_text(st, 2, n->name);
            bind_text(st, 3, w->source);
            bind_time(st, 4, n->created_ns);
            bind_time(st, 5, n->deleted_ns);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = db_fail(w, "insert pod network");
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int write_nodes(struct inv_writer *w, const struct inventory *inv)
{
    for (size_t i = 0; i < inv->nnodes; i++) {
        const struct inv_node *n = &inv->nodes[i];
        struct inv_row r;

        memset(&r, 0, sizeof(r));
        r.kind = "host";
        r.name = n->name;
        r.node = n->name;
        r.labels = &n->labels;
        r.from_ns = n->created_ns;
        r.to_ns = n->deleted_ns;
        for (size_t k = 0; k < n->naddrs; k++) {
            int rc;
            if (strcmp(n->addrs[k].type, "InternalIP") || !n->addrs[k].ip.family)
                continue;
            r.ip = &n->addrs[k].ip;
            rc = write_row(w, &r);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int write_namespaces(struct inv_writer *w, const struct inventory *inv)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_exec(w->db, "DELETE FROM namespaces", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(w, "replace namespaces");
    if (sqlite3_prepare_v2(w->db, "INSERT INTO namespaces (name, labels) VALUES (?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(w, "prepare namespace insert");
    for (size_t i = 0; i < inv->nnss && !rc; i++) {
        buf_reset(&w->labels);
        if (labels_to_json(&inv->nss[i].labels, &w->labels)) {
            diag_err(w->d, "cannot write namespace '%s': labels too large", inv->nss[i].name);
            rc = ERR_LIMIT;
            break;
        }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, inv->nss[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, w->labels.data, (int)w->labels.len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(w, "insert namespace");
    }
    sqlite3_finalize(st);
    return rc;
}

int inventory_write_db(sqlite3 *db, const struct inventory *inv, const char *source, size_t *rows,
                       struct diag *d)
{
    static const char ins_sql[] =
        "INSERT INTO endpoints (ip, valid_from_ns, valid_to_ns, kind, namespace, name,"
        " workload_kind, workload, labels, service_account, node, ports, source)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    /* The rows a previous inventory of this source wrote. */
    static const char *const del_sql[] = {"DELETE FROM endpoints WHERE source = ?1",
                                          "DELETE FROM services WHERE source = ?1",
                                          "DELETE FROM service_endpoints WHERE source = ?1",
                                          "DELETE FROM pod_networks WHERE source = ?1"};
    struct inv_writer w;
    sqlite3_stmt *del = NULL;
    int rc;

    memset(&w, 0, sizeof(w));
    w.db = db;
    w.d = d;
    w.source = source ? source : "inventory";
    buf_init(&w.labels, 0);
    buf_init(&w.ports, 0);
    if (rows)
        *rows = 0;
    /* A savepoint is a transaction when none is open, and nests inside the
     * caller's when one is. */
    if (sqlite3_exec(db, "SAVEPOINT inventory_write", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(&w, "start the inventory transaction");
        goto out_bufs;
    }
    if (sqlite3_prepare_v2(db, ins_sql, -1, &w.ins, NULL) != SQLITE_OK) {
        rc = db_fail(&w, "prepare the inventory statements");
        goto out_rollback;
    }
    for (size_t i = 0; i < ARRAY_SIZE(del_sql); i++) {
        if (sqlite3_prepare_v2(db, del_sql[i], -1, &del, NULL) != SQLITE_OK) {
            rc = db_fail(&w, "prepare the inventory statements");
            goto out_rollback;
        }
        sqlite3_bind_text(del, 1, w.source, -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE) {
            rc = db_fail(&w, "delete the previous inventory");
            goto out_rollback;
        }
        sqlite3_finalize(del);
        del = NULL;
    }
    rc = write_pods(&w, inv);
    if (!rc)
        rc = write_services(&w, inv);
    if (!rc)
        rc = write_nodes(&w, inv);
    if (!rc)
        rc = write_namespaces(&w, inv);
    if (!rc)
        rc = write_service_rows(&w, inv);
    if (!rc)
        rc = write_slice_rows(&w, inv);
    if (!rc)
        rc = write_pod_networks(&w, inv);
    if (rc)
        goto out_rollback;
    sqlite3_finalize(del);
    sqlite3_finalize(w.ins);
    del = w.ins = NULL;
    if (sqlite3_exec(db, "RELEASE inventory_write", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(&w, "commit the inventory");
        goto out_rollback;
    }
    if (rows)
        *rows = w.rows;
    goto out_bufs;

out_rollback:
    sqlite3_finalize(del);
    sqlite3_finalize(w.ins);
    sqlite3_exec(db, "ROLLBACK TO inventory_write; RELEASE inventory_write", NULL, NULL, NULL);
out_bufs:
    buf_release(&w.labels);
    buf_release(&w.ports);
    return rc;
}

int inventory_write_problems(sqlite3 *db, size_t problems, struct diag *d)
{
    char v[32];

    snprintf(v, sizeof(v), "%zu", problems);
    if (db_meta_set(db, "inventory_problems", v) != 0) {
        diag_err(d, "cannot record the inventory's problems: %s", sqlite3_errmsg(db));
        return ERR_DB;
    }
    return 0;
}
