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

#include <string.h>

#include "common/buf.h"
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

static int write_services(struct inv_writer *w, const struct inventory *inv)
{
    for (size_t i = 0; i < inv->nsvcs; i++) {
        const struct inv_service *s = &inv->svcs[i];
        struct inv_row r;

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
        for (size_t k = 0; k < s->nips; k++) {
            int rc;
            r.ip = &s->ips[k];
            rc = write_row(w, &r);
            if (rc)
                return rc;
        }
    }
    return 0;
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
    if (sqlite3_prepare_v2(db, "DELETE FROM endpoints WHERE source = ?1", -1, &del, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, ins_sql, -1, &w.ins, NULL) != SQLITE_OK) {
        rc = db_fail(&w, "prepare the inventory statements");
        goto out_rollback;
    }
    sqlite3_bind_text(del, 1, w.source, -1, SQLITE_STATIC);
    if (sqlite3_step(del) != SQLITE_DONE) {
        rc = db_fail(&w, "delete the previous inventory");
        goto out_rollback;
    }
    rc = write_pods(&w, inv);
    if (!rc)
        rc = write_services(&w, inv);
    if (!rc)
        rc = write_nodes(&w, inv);
    if (!rc)
        rc = write_namespaces(&w, inv);
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
