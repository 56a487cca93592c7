/*
 * cmd_show.c: podflow-analyze show: what a case .db holds, so an absence
 * of flows can be told apart from an absence of capture: its captures and
 * their time window, kernel drops, interfaces, endpoints by kind,
 * namespaces, and flows by state.
 */
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/cmd/cmd.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/util.h"
#include "common/compat.h"

/* A time column: "-" when NULL, "?" when not an integer (never coerced). */
static void fmt_time(sqlite3_stmt *st, int i, char *buf, size_t size)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        snprintf(buf, size, "-");
    else if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        snprintf(buf, size, "?");
    else
        format_rfc3339(sqlite3_column_int64(st, i), buf, size);
}

/* A count column as text: the integer, or "?" when it is not one. */
static const char *num(sqlite3_stmt *st, int i, char *buf, size_t size)
{
    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return "?";
    snprintf(buf, size, "%lld", (long long)sqlite3_column_int64(st, i));
    return buf;
}

static const char *txt(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? (const char *)t : "-";
}

/* Run sql and print each row through fn; 0 or ERR_DB. */
static int each_row(struct case_db *c, struct diag *d, const char *sql,
                    void (*fn)(sqlite3_stmt *st, struct buf *out), struct buf *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        diag_err(d, "cannot read '%s': %s", c->path, sqlite3_errmsg(c->db));
        return ERR_DB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(st, out);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        diag_err(d, "cannot read '%s': %s", c->path, sqlite3_errmsg(c->db));
        return ERR_DB;
    }
    return 0;
}

static void row_capture(sqlite3_stmt *st, struct buf *out)
{
    char t0[40], t1[40], n[5][24];

    fmt_time(st, 2, t0, sizeof(t0));
    fmt_time(st, 3, t1, sizeof(t1));
    (void)!buf_addf(out,
                    "  capture %lld: node %s, %s, %s .. %s\n"
                    "    interfaces %s; packets %s seen, %s dropped by the kernel, "
                    "%s by interfaces, %s malformed; %s flows written\n",
                    (long long)sqlite3_column_int64(st, 0), txt(st, 1), txt(st, 4), t0, t1,
                    txt(st, 5), num(st, 6, n[0], sizeof(n[0])), num(st, 7, n[1], sizeof(n[1])),
                    num(st, 8, n[2], sizeof(n[2])), num(st, 9, n[3], sizeof(n[3])),
                    num(st, 10, n[4], sizeof(n[4])));
}

static void row_iface(sqlite3_stmt *st, struct buf *out)
{
    char t0[40], t1[40], n[3][24];

    fmt_time(st, 2, t0, sizeof(t0));
    fmt_time(st, 3, t1, sizeof(t1));
    (void)!buf_addf(out, "  %-16s capture %s, appeared %s, vanished %s, %s packets, %s dropped\n",
                    txt(st, 0), num(st, 1, n[0], sizeof(n[0])), t0, t1,
                    num(st, 4, n[1], sizeof(n[1])), num(st, 5, n[2], sizeof(n[2])));
}

static void row_count(sqlite3_stmt *st, struct buf *out)
{
    char n[24];

    (void)!buf_addf(out, "  %-10s %s\n", txt(st, 0), num(st, 1, n, sizeof(n)));
}

struct svc_counts {
    uint64_t recorded, paired, backends;
};

static int count_svc(void *ctx, const struct case_flow *fl)
{
    struct svc_counts *sc = ctx;

    sc->recorded += fl->dnat_how == CASE_DNAT_RECORDED;
    sc->paired += fl->dnat_how == CASE_DNAT_PAIRED;
    sc->backends += fl->svc != NULL;
    return 0;
}

static void row_window(sqlite3_stmt *st, struct buf *out)
{
    char t0[40], t1[40];

    fmt_time(st, 1, t0, sizeof(t0));
    fmt_time(st, 2, t1, sizeof(t1));
    (void)!buf_addf(out, "flows: %lld, from %s to %s\n", (long long)sqlite3_column_int64(st, 0), t0,
                    t1);
}

/* The option table (cmd.h), handled in cmd_show(). */
enum { O_STRICT = 1 };

static int cmd_show(struct cmd_args *a)
{
    struct diag *d = a->d;
    struct case_db c;
    struct buf out;
    char *ver = NULL, *tool = NULL;
    const char *path = NULL;
    int rc = 0;
    size_t i, kinds[4] = {0, 0, 0, 0};
    struct case_opts co = {.skew_ns = CASE_SKEW_DEFAULT_NS};

    for (i = 0; i < a->n; i++) {
        if (a->v[i].id == CMD_OPERAND)
            path = a->v[i].val;
        else if (a->v[i].id == O_STRICT)
            co.strict = 1;
    }
    if (cmd_operands(a) != 1)
        return cmd_usage_err(a, "%s", "show takes one case file");
    {
        char *one[1] = {(char *)path};

        if (case_open_many(&c, one, 1, &co, d))
            return EXIT_BAD;
    }
    if (case_check_flows(&c, d)) {
        case_close(&c);
        return EXIT_BAD;
    }
    buf_init(&out, 0);
    /* Rows the other commands leave out as unusable: said first. */
    rc = cmd_case_head(&c, CMD_HEAD_TEXT, &out);
    if (db_meta_get(c.db, "format_version", &ver) == 0 &&
        db_meta_get(c.db, "tool_version", &tool) == 0)
        (void)!buf_addf(&out, "case %s: format %s, written by %s\n", path, ver ? ver : "?",
                        tool ? tool : "?");
    free(ver);
    free(tool);
    if (c.inventory_problems)
        (void)!buf_addf(&out,
                        "inventory: %lld problem%s when it was loaded (objects skipped or fields "
                        "dropped, named in the loader's messages): some identities may lack "
                        "labels, addresses, ports or times\n",
                        (long long)c.inventory_problems, c.inventory_problems == 1 ? "" : "s");
    (void)!buf_addstr(&out, "captures:\n");
    rc = each_row(&c, d,
                  "SELECT id, node, started_ns, ended_ns, source, interfaces, packets_seen,"
                  " packets_dropped, packets_if_dropped, packets_malformed, flows_written"
                  " FROM captures ORDER BY id",
                  row_capture, &out);
    if (!rc)
        (void)!buf_addstr(&out, "interfaces:\n");
    if (!rc)
        rc = each_row(&c, d,
                      "SELECT name, capture_id, appeared_ns, vanished_ns, packets_seen,"
                      " packets_dropped FROM interfaces ORDER BY capture_id, name",
                      row_iface, &out);
    /* The window of the rows whose times are times. */
    if (!rc)
        rc = each_row(&c, d,
                      "SELECT count(*), min(first_ns) FILTER (WHERE typeof(first_ns) = 'integer'),"
                      " max(last_ns) FILTER (WHERE typeof(last_ns) = 'integer') FROM flows",
                      row_window, &out);
    if (!rc) {
        uint64_t nb = 0;

        for (i = 0; i < CASE_WHY_N; i++)
            nb += c.bad.n[CASE_TAB_FLOWS][i];
        if (nb)
            (void)!buf_addf(&out, "  of which unusable (left out by check, diff, report): %llu\n",
                            (unsigned long long)nb);
    }
    /* How each flow to a Service came by its backend (§12), counted, never
     * assumed from the schema having the columns. */
    if (!rc) {
        struct svc_counts sc;

        memset(&sc, 0, sizeof(sc));
        rc = case_flows(&c, NULL, count_svc, &sc, d);
        if (!rc)
            (void)!buf_addf(&out,
                            "flows to a Service address: %llu\n"
                            "  with a recorded translation (conntrack): %llu\n"
                            "  paired with their post-DNAT leg: %llu\n"
                            "  judged against every ready backend: %llu\n",
                            (unsigned long long)(sc.recorded + sc.paired + sc.backends),
                            (unsigned long long)sc.recorded, (unsigned long long)sc.paired,
                            (unsigned long long)sc.backends);
    }
    if (!rc)
        (void)!buf_addstr(&out, "flows by state:\n");
    if (!rc)
        rc = each_row(&c, d,
                      "SELECT state, count(*) FROM flows GROUP BY state ORDER BY count(*) DESC,"
                      " state",
                      row_count, &out);
    if (!rc)
        (void)!buf_addstr(&out, "flows by protocol:\n");
    if (!rc)
        rc = each_row(&c, d,
                      "SELECT CASE proto WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 1 THEN 'ICMP'"
                      " WHEN 58 THEN 'ICMPv6' WHEN 132 THEN 'SCTP' ELSE proto END, count(*)"
                      " FROM flows GROUP BY proto ORDER BY count(*) DESC",
                      row_count, &out);
    if (!rc) {
        for (i = 0; i < c.neps; i++)
            kinds[c.eps[i].kind]++;
        (void)!buf_addf(&out, "endpoints: %zu (%zu pods, %zu hosts, %zu services, %zu external)\n",
                        c.neps, kinds[EP_POD], kinds[EP_HOST], kinds[EP_SERVICE],
                        kinds[EP_EXTERNAL]);
        (void)!buf_addf(&out, "namespaces: %zu", c.nnss);
        for (i = 0; i < c.nnss && i < 20; i++)
            (void)!buf_addf(&out, "%s%s", i ? ", " : " (", c.nss[i].name);
        (void)!buf_addstr(&out, c.nnss > 20 ? ", ...)\n" : c.nnss ? ")\n" : "\n");
        {
            size_t ready = 0;

            for (i = 0; i < c.nseps; i++)
                ready += c.seps[i].ready != 0;
            (void)!buf_addf(&out,
                            "services: %zu, with %zu EndpointSlice addresses (%zu ready); pod "
                            "networks: %zu\n",
                            c.nsvcs, c.nseps, ready, c.npodnets);
        }
        if (case_several_vantages(&c))
            (void)!buf_addf(&out,
                            "connections seen at several vantage points (captures or interfaces;"
                            " skew 2 s): %zu\n",
                            c.nconns);
    }
    if (!rc && (cmd_flush(&out, stdout) || fflush(stdout))) {
        diag_err(d, "cannot write to standard output");
        rc = -1;
    }
    buf_release(&out);
    case_close(&c);
    return rc ? EXIT_BAD : EXIT_OK;
}

static const struct cmd_opt show_opts[] = {
    {O_STRICT, 0, "strict", CMD_ARG_NONE, NULL, NULL,
     "a row the other commands cannot use (a wrong type,\n"
     "a value out of range) is an error (exit 2)"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

const struct cmd_spec cmd_show_spec = {
    .name = "show",
    .run = cmd_show,
    .opts = show_opts,
    .args = "CASE.db",
    .summary = "what a case holds",
    .about = "Summarise CASE.db: format version, captures (node, window, packets seen and\n"
             "dropped), interfaces, flows by state and protocol, service translations\n"
             "recorded, endpoints by kind, namespaces, Services and pod networks.\n"
             "Rows the other commands cannot use (wrong type, out of range) are counted\n"
             "on the first line.\n",
    .exit_status = "Exit status: 0 success, 2 bad input or usage.\n",
};
