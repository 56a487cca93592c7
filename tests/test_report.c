/*
 * test_report.c: the HTML report (analyze/report.c), the service graph
 * (analyze/graph.c) and the flowset under them, on the FME seed's case
 * (tests/it/fme-case.sql with the fixtures' current and proposed
 * policies) plus one hostile pod whose names and labels carry markup.
 *
 * The page is checked by structure: its sections, the CSP that forbids
 * any fetch, the red engine -> core edge in graphviz's SVG, the policy
 * board's end-of-tier hits, the port-coverage line for 42000:43000, the
 * capture's kernel drops, and that no string from the case reaches the
 * page unescaped.  tests/it/report_browser.sh loads the page in a browser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "analyze/engine/flowset.h"
#include "analyze/out/graph.h"
#include "analyze/out/report.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* LeakSanitizer's hook for built-in suppressions (unit-san).  graphviz
 * and the fontconfig/pango stack under it keep process-lifetime caches
 * (font tables, the one graphviz context graph.c keeps, see there) that
 * LeakSanitizer reports; they are not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n"
           "leak:libgvc.so\n"
           "leak:libcgraph.so\n"
           "leak:libgvplugin_\n"
           "leak:libpango\n"
           "leak:libcairo.so\n"
           "leak:libglib-2.0.so\n"
           "leak:libgobject-2.0.so\n"
           "leak:libharfbuzz.so\n";
}

static char tmpdir[512];
static char dbpath[600];

static const char *const CUR[] = {"tests/fixtures/policies/fme-current"};
static const char *const NEW[] = {"tests/fixtures/policies/fme-proposed"};

/* A pod whose workload name, pod name and a label value are markup (and
 * a quote and DOT's \N for the graph), talking to core: the zero-trust
 * default deny in tier default denies it (it has no application policy). */
static const char hostile_sql[] =
    "INSERT INTO endpoints (id, ip, kind, namespace, name, workload_kind, workload, labels, "
    "node, ports, source) VALUES (8, '198.18.1.50', 'pod', 'fme', "
    "'evil-<img src=x onerror=alert(3)>', 'Deployment', '<script>alert(1)</script>\"q\\N', "
    "'{\"x\":\"<script>alert(2)</script>\"}', 'node-a', '[]', 'inventory');"
    "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, "
    "last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, history, iface) VALUES "
    "(8, 1, 6, '198.18.1.50', 40008, '198.18.1.10', 7070, 1714557650000000000, "
    "1714557651000000000, 3, 180, 0, 0, 'S0', 'S', NULL);"
    "UPDATE captures SET packets_dropped = 5;";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    data = xmalloc((size_t)n + 1);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    return data;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");
    sqlite3 *db = NULL;
    char *sql, *err = NULL;
    int rc;

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/podflow-test-report.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(dbpath, sizeof(dbpath), "%s/case.db", tmpdir);
    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return -1;
    sql = slurp("tests/it/fme-case.sql");
    rc = sqlite3_exec(db, db_schema_sql, NULL, NULL, &err);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, hostile_sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "setup: %s\n", err ? err : "?");
    sqlite3_free(err);
    free(sql);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The page for the case under cur (and old when given), in a malloc'd string. */
static char *page(const char *const *cur, const char *const *old, struct flowset *keep)
{
    struct flowset fs;
    struct flowset_opts fo;
    struct report_opts ro;
    struct diag d;
    struct buf out;

    diag_init(&d, stderr, "test_report");
    memset(&fo, 0, sizeof(fo));
    fo.paths[FS_NEW] = cur;
    fo.npaths[FS_NEW] = 1;
    fo.paths[FS_OLD] = old;
    fo.npaths[FS_OLD] = old ? 1 : 0;
    assert_int_equal(flowset_load(&fs, dbpath, &fo, &d), 0);
    memset(&ro, 0, sizeof(ro));
    ro.case_path = "case.db";
    ro.paths = cur;
    ro.npaths = 1;
    ro.old_paths = old;
    ro.nold = old ? 1 : 0;
    buf_init(&out, 0);
    assert_int_equal(report_html(&fs, &ro, &out, &d), 0);
    if (keep)
        *keep = fs;
    else
        flowset_release(&fs);
    return buf_detach(&out, NULL);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
        n++;
    return n;
}

/* The text of the element that starts at the last "<tag" before p and
 * ends at its matching "</tag>" (graphviz's SVG nests <g> two deep at
 * most inside an edge), malloc'd. */
static char *element_around(const char *doc, const char *p, const char *tag)
{
    char open[16], close[16];
    const char *s = p, *e;
    int depth = 1;

    snprintf(open, sizeof(open), "<%s", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    while (s > doc && strncmp(s, open, strlen(open)) != 0)
        s--;
    e = s + 1;
    while (depth > 0) {
        const char *o = strstr(e, open), *c = strstr(e, close);

        assert_non_null(c);
        if (o && o < c) {
            depth++;
            e = o + 1;
        } else {
            depth--;
            e = c + strlen(close);
        }
    }
    {
        char *r = xmalloc((size_t)(e - s) + 1);

        memcpy(r, s, (size_t)(e - s));
        r[e - s] = 0;
        return r;
    }
}

/* ---- the page's structure ------------------------------------------------ */

static void test_sections(void **state)
{
    /* Every section the issue asks for, in order, each once. */
    static const char *const ids[] = {
        "id=\"summary\"",
        "id=\"graph\"",
        "<div id=\"graph-box\" data-c-allow=\"#2e8b57\" data-c-deny=\"#d0312d\" "
        "data-c-unknown=\"#808080\"><svg",
        "id=\"traffic\"",
        "id=\"fv-chord\"",
        "id=\"ns-table\"",
        "id=\"ts\"",
        "id=\"flows\"",
        "id=\"flows-table\"",
        "id=\"board\"",
        "id=\"ports\"",
        "id=\"capture\"",
        "id=\"interfaces-table\"",
    };
    char *html = page(CUR, NULL, NULL);
    const char *at = html;
    size_t i;

    (void)state;
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    for (i = 0; i < ARRAY_SIZE(ids); i++) {
        const char *p = strstr(at, ids[i]);

        if (!p)
            fail_msg("missing or out of order: %s", ids[i]);
        assert_int_equal(count(html, ids[i]), 1);
        at = p;
    }
    assert_non_null(strstr(html, "</html>\n"));
    /* Eight flows: seven of the seed and the hostile one, denied first. */
    assert_int_equal(count(html, "<tr class=\"v-deny\" data-edge="), 3);
    assert_int_equal(count(html, "<tr class=\"v-allow\" data-edge="), 5);
    assert_true(strstr(html, "<tr class=\"v-deny\" data-edge=") <
                strstr(html, "<tr class=\"v-allow\" data-edge="));
    free(html);
}

static void test_offline(void **state)
{
    char *html = page(CUR, NULL, NULL);
    const char *p;

    (void)state;
    /* The browser is told to fetch nothing... */
    assert_non_null(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" "
                                 "content=\"default-src 'none'; style-src 'unsafe-inline'; "
                                 "script-src 'unsafe-inline'; img-src data:\">"));
    /* ...and nothing asks it to: no external script, style, image or font.
     * The only URLs are the SVG namespace names, which are never fetched. */
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<script src"));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "<iframe"));
    for (p = strstr(html, "http"); p; p = strstr(p + 1, "http"))
        assert_true(strncmp(p, "http://www.w3.org/2000/svg\"", 27) == 0 ||
                    strncmp(p, "http://www.w3.org/1999/xlink\"", 29) == 0 ||
                    strncmp(p, "http-equiv", 10) == 0);
    /* No XML prologue or DOCTYPE of graphviz's inside the HTML. */
    assert_null(strstr(html, "<?xml"));
    assert_int_equal(count(html, "<!DOCTYPE"), 1);
    free(html);
}

static void test_red_edge(void **state)
{
    char *html = page(CUR, NULL, NULL), *g;
    const char *p;
    int found = 0;

    (void)state;
    /* graphviz writes class="edge-deny" as "edge edge&#45;deny". */
    for (p = strstr(html, "class=\"edge edge&#45;deny\""); p;
         p = strstr(p + 1, "class=\"edge edge&#45;deny\"")) {
        g = element_around(html, p, "g");
        if (strstr(g, "fme/engine&#45;standard&#45;group &#45;&gt; fme/core") &&
            strstr(g, "TCP 42001–42002") && strstr(g, "stroke=\"#d0312d\""))
            found++;
        free(g);
    }
    assert_int_equal(found, 1);
    /* The same pair's 7070 is a separate green edge, not one amber edge. */
    assert_int_equal(count(html, "class=\"edge edge&#45;mixed\""), 0);
    assert_non_null(strstr(html, "fme/engine&#45;standard&#45;group &#45;&gt; fme/core: TCP "
                                 "7070, 2 flows, allowed"));
    /* The edge's panel lists its two flows with what decided them. */
    p = strstr(html, "class=\"edge-detail\"");
    assert_non_null(p);
    assert_non_null(strstr(html, "fme/engine-standard-group \xe2\x86\x92 fme/core: TCP "
                                 "42001–42002 <span class=\"tag t-deny\">denied</span>"));
    free(html);
}

static void test_escaping(void **state)
{
    char *html = page(CUR, NULL, NULL);

    (void)state;
    /* Our own script is the only one; the case's markup is text. */
    assert_int_equal(count(html, "<script"), 1);
    assert_null(strstr(html, "<img"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;q\\N"));
    assert_non_null(strstr(html, "x=&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert_non_null(strstr(html, "evil-&lt;img src=x onerror=alert(3)&gt;"));
    /* In the SVG, graphviz escaped the DOT-escaped name: the quote and the
     * backslash survive as text, \N was not expanded to the node name. */
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;q\\N</text>"));
    free(html);
}

static void test_board(void **state)
{
    char *html = page(CUR, NULL, NULL), *row;
    const char *p;

    (void)state;
    /* The application tier's default Deny: the two pool flows at the
     * engines' egress, attributed to the engine policy (the last, and
     * only, one of the tier that governs their egress), and the hostile
     * pod's flow at core's ingress, attributed to core's policy. */
    p = strstr(html, "<b>end of tier application</b>");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "counted against the last policy evaluated: "
                                "fme/application.core-fmeserver "
                                "\xc3\x97"
                                "1, fme/application.engine-fmeserver \xc3\x97"
                                "2)"));
    assert_non_null(strstr(row, "<td class=\"num\"><span class=\"tag t-deny\">3</span></td>"));
    free(row);
    /* The zero-trust default deny: the hostile pod, selected by no
     * application policy, ends at the end of tier default. */
    p = strstr(html, "<b>end of tier default</b>");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "default-deny \xc3\x97"
                                "1"));
    assert_non_null(strstr(row, "<span class=\"tag t-deny\">1</span>"));
    free(row);
    /* The DNS rule of default-deny was never hit; the engine's 7070 rule
     * allowed both engines' registrations. */
    p = strstr(html, "UDP ports 53");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "never hit"));
    free(row);
    p = strstr(html, "TCP ports 7070 to");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "<span class=\"tag t-allow\">2</span>"));
    free(row);
    free(html);
}

static void test_ports(void **state)
{
    char *html = page(CUR, NULL, NULL), *row;
    const char *p;

    (void)state;
    /* core's ingress rule 0 allows 42000:43000; the engines used two ports
     * of it (ingress at core allowed them; egress at the engine did not). */
    p = strstr(html, "<code>TCP 42000:43000</code> allowed");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "fme/application.core-fmeserver"));
    assert_non_null(strstr(row, "<code>42001–42002</code> used (2 of 1001 ports)"));
    free(row);
    /* The gap: engine egress to 42001-42002, denied at the end of tier. */
    p = strstr(html, "egress from fme/engine-standard-group");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "<code>TCP 42001–42002</code>"));
    assert_non_null(strstr(row, "end of tier application"));
    free(row);
    free(html);
}

static void test_capture(void **state)
{
    char *html = page(CUR, NULL, NULL), *row;
    const char *p;

    (void)state;
    p = strstr(html, "<td>node-a</td>");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "2024-05-01T10:00:00.000000Z"));
    assert_non_null(strstr(row, "<code>cali*</code>"));
    assert_non_null(strstr(row, "<span class=\"tag t-deny\">5</span>")); /* kernel drops */
    free(row);
    assert_int_equal(count(html, "<td><code>cali0"), 3); /* interfaces */
    free(html);
}

/* The traffic section on the seed: a chord per graph edge, the table by
 * namespace (a flow counts in each end's namespace), the time axis in 1 s
 * buckets (the flows span 10:00:01 to 10:00:51 of a five-minute capture:
 * 5 s buckets), the kernel drops marked, the flows rows carrying their
 * buckets, and nothing from the case unescaped. */
static void test_traffic(void **state)
{
    struct flowset fs;
    struct graph g;
    char *html = page(CUR, NULL, &fs), *row;
    const char *p;

    (void)state;
    graph_build(&g, &fs);
    assert_int_equal(count(html, "<path class=\"chord"), g.nedges);
    graph_release(&g);
    /* The cluster: 8 flows, 5 allowed, 3 denied, none unknown; fme holds
     * all 8; ingress-nginx 1. */
    static const char *const rows[][2] = {
        {"<tr class=\"total\"><td><b>cluster</b></td>",
         "<td class=\"num\">5</td><td class=\"num\">3</td><td class=\"num\">0</td>"},
        {"<tr><td>fme</td>",
         "<td class=\"num\">5</td><td class=\"num\">3</td><td class=\"num\">0</td>"},
        {"<tr><td>ingress-nginx</td>",
         "<td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td>"},
    };
    size_t i, nsum = 0;
    unsigned long long total = 0;

    for (i = 0; i < ARRAY_SIZE(rows); i++) {
        p = strstr(html, rows[i][0]);
        assert_non_null(p);
        row = element_around(html, p, "tr");
        if (!strstr(row, rows[i][1]))
            fail_msg("%s: no %s in %s", rows[i][0], rows[i][1], row);
        free(row);
    }
    /* 10:00:00 to 10:05:00 in 5 s buckets: 61; the scopes: cluster, fme, ingress-nginx. */
    assert_non_null(strstr(html, "data-step=\"5000000000\" data-nb=\"61\""));
    assert_int_equal(count(html, "<g class=\"ts-scope\""), 3);
    assert_int_equal(count(html, "<rect class=\"cov\""), 61);
    assert_non_null(strstr(html, "<title>capture 1 (node-a): 5 packets dropped by the kernel"));
    /* Flow rows: the hostile one at 10:00:50, bucket 10. */
    assert_non_null(strstr(html, "data-b=\"10 10\"><td data-k=\"0\">"));
    /* Each edge's runs of buckets (what a time range selects in the
     * graph) count its flows, each once, by verdict: as its panel says. */
    for (p = strstr(html, "<p class=\"edge-sum\""); p; p = strstr(p + 1, "<p class=\"edge-sum\"")) {
        const char *q = strstr(p, "data-tb=\"");
        unsigned long long b0, b1, a, d, u, sum[3] = {0}, n, na, nd, nu, last = 0;
        int k;

        assert_non_null(q);
        for (q += 9; *q != '"'; q += k) {
            assert_int_equal(sscanf(q, "%llu-%llu:%llu,%llu,%llu%n", &b0, &b1, &a, &d, &u, &k), 5);
            assert_true(b0 <= b1 && b1 < 61 && b0 >= last && a + d + u > 0);
            last = b0;
            sum[0] += a;
            sum[1] += d;
            sum[2] += u;
            if (q[k] == ' ')
                k++;
        }
        assert_int_equal(sscanf(q, "\">%llu flow%n", &n, &k), 1);
        q += k + (q[k] == 's');
        assert_int_equal(sscanf(q, ": %llu allowed, %llu denied, %llu unknown", &na, &nd, &nu), 3);
        assert_int_equal(sum[0], na);
        assert_int_equal(sum[1], nd);
        assert_int_equal(sum[2], nu);
        assert_int_equal(sum[0] + sum[1] + sum[2], n);
        total += n;
        nsum++;
    }
    assert_int_equal(nsum, count(html, "<path class=\"chord"));
    assert_int_equal(total, 8);
    /* On the ring a long name is cut, whole characters and escaped, with
     * an ellipsis (the arc's title has it whole). */
    assert_non_null(strstr(html, "dy=\"3\">&lt;script&gt;alert(1)&lt;/scrip\xe2\x80\xa6</text>"));
    /* The chart's legend names unknown, in the graph's grey. */
    assert_non_null(strstr(html, "and unknown <i class=\"sw\" style=\"background:#808080\">"));
    assert_null(strstr(html, "<script>alert"));
    assert_null(strstr(html, "<img src=x"));
    free(html);
    flowset_release(&fs);
}

static void test_old(void **state)
{
    struct flowset fs;
    char *html = page(NEW, CUR, &fs);
    const char *table;
    size_t i, changed = 0;

    (void)state;
    /* Under the proposal the pool flows are allowed and differ from the
     * current set: their edge is amber, and the page says so. */
    assert_int_equal(fs.nsets, 2);
    for (i = 0; i < fs.nflows; i++)
        changed += fs.flows[i].v[FS_NEW]->verdict != fs.flows[i].v[FS_OLD]->verdict;
    assert_int_equal(changed, 2);
    /* Seen failing, allowed now: would fix, in its own colour, in the legend. */
    assert_int_equal(count(html, "class=\"edge edge&#45;would&#45;fix\""), 1);
    assert_non_null(strstr(html, "<span class=\"lg-would-fix\"><i style=\"background:#1f6fd1\">"));
    assert_non_null(strstr(html, "<span class=\"lg-would-break\">"));
    assert_int_equal(count(html, "class=\"edge edge&#45;deny\""), 1); /* the hostile pod */
    assert_non_null(strstr(html, "<th class=\"sort\">Under --old</th>"));
    assert_non_null(strstr(html, "<b>2</b>failing flows this fixes"));
    /* The old policy explains their failure: not "failed though allowed",
     * and each row says would-fix, listed right after the denied ones. */
    assert_non_null(strstr(html, "<b>0</b>failed though allowed (not policy)"));
    assert_int_equal(count(html, "failed<br><small>would-fix</small>"), 4); /* table + panel */
    /* The side panels of the edge's two ends say what --old decided. */
    assert_int_equal(count(html, "<br>under --old: denied by "), 4);
    table = strstr(html, "id=\"flows-table\"");
    assert_non_null(table);
    assert_true(strstr(table, "failed<br><small>would-fix</small>") <
                strstr(table, "ok<br><small>consistent</small>"));
    flowset_release(&fs);
    free(html);
}

/* A staged policy denying core's registrations from the engines: never
 * enforced, so the verdicts stay; the board says it would deny both. */
static void test_staged(void **state)
{
    static const char yaml[] = "apiVersion: projectcalico.org/v3\n"
                               "kind: StagedNetworkPolicy\n"
                               "metadata: {name: application.lockdown, namespace: fme}\n"
                               "spec:\n"
                               "  tier: application\n"
                               "  order: 10\n"
                               "  selector: safe.k8s.fmeserver.component == 'core'\n"
                               "  types: [Ingress]\n"
                               "  ingress:\n"
                               "  - action: Deny\n"
                               "    protocol: TCP\n"
                               "    destination: {ports: [7070]}\n";
    char path[700], *html, *row;
    const char *paths[2], *p;
    FILE *f;

    (void)state;
    snprintf(path, sizeof(path), "%s/staged.yaml", tmpdir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(yaml, 1, sizeof(yaml) - 1, f), sizeof(yaml) - 1);
    assert_int_equal(fclose(f), 0);
    paths[0] = CUR[0];
    paths[1] = path;
    {
        struct flowset fs;
        struct flowset_opts fo;
        struct report_opts ro;
        struct diag d;
        struct buf out;

        diag_init(&d, stderr, "test_report");
        memset(&fo, 0, sizeof(fo));
        fo.paths[FS_NEW] = paths;
        fo.npaths[FS_NEW] = 2;
        assert_int_equal(flowset_load(&fs, dbpath, &fo, &d), 0);
        memset(&ro, 0, sizeof(ro));
        ro.case_path = "case.db";
        ro.paths = paths;
        ro.npaths = 2;
        buf_init(&out, 0);
        assert_int_equal(report_html(&fs, &ro, &out, &d), 0);
        html = buf_detach(&out, NULL);
        flowset_release(&fs);
    }
    remove(path);
    p = strstr(html, "<b>fme/application.lockdown</b>");
    assert_non_null(p);
    row = element_around(html, p, "tr");
    assert_non_null(strstr(row, "snp"));
    assert_non_null(strstr(row, "staged: would deny 2</span>"));
    free(row);
    /* Still allowed: staged policies never decide. */
    assert_int_equal(count(html, "<tr class=\"v-allow\" data-edge="), 5);
    free(html);
}

/* ---- pieces ------------------------------------------------------------------ */

static void test_esc(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        /* the five characters that matter in text and attributes */
        {"<a href='x'>&\"", "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"},
        /* UTF-8 passes through */
        {"42001\xe2\x80\x93"
         "42002",
         "42001\xe2\x80\x93"
         "42002"},
        /* control bytes other than tab and newline become '?' */
        {"a\x01"
         "b\x7f"
         "c\td\n",
         "a?b?c\td\n"},
        /* invalid UTF-8: a lone continuation byte, a truncated sequence,
         * an overlong lead byte */
        {"\x80x\xe2\x80y\xc0\xaf", "?x??y??"},
        /* empty */
        {"", ""},
    };
    struct buf b;
    size_t i;

    (void)state;
    buf_init(&b, 0);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        buf_reset(&b);
        assert_int_equal(report_esc(&b, cases[i].in), 0);
        assert_string_equal(b.data, cases[i].out);
    }
    buf_release(&b);
}

static void test_dot(void **state)
{
    struct flowset fs;
    struct graph g;
    struct buf b;
    char *html = page(CUR, NULL, &fs);

    (void)state;
    free(html);
    graph_build(&g, &fs);
    buf_init(&b, 0);
    assert_int_equal(graph_dot(&g, 0, NULL, &b), 0);
    /* Clusters per namespace, workloads merged, verdict on every edge. */
    assert_int_equal(count(b.data, "subgraph cluster_"), 2);
    assert_non_null(strstr(b.data, "label=\"engine-standard-group\\n2 pods\""));
    assert_non_null(strstr(b.data, "label=\"TCP 42001–42002\", verdict=\"deny\""));
    assert_non_null(strstr(b.data, "label=\"TCP 7070\", verdict=\"allow\""));
    /* The hostile name: quote and backslash escaped for DOT. */
    assert_non_null(strstr(b.data, "label=\"<script>alert(1)</script>\\\"q\\\\N\\n1 pod\""));
    assert_int_equal(g.nnodes, 6);
    buf_release(&b);
    graph_release(&g);
    flowset_release(&fs);
}

/* Edge building and labels on flows made here: colours per port, runs
 * folded, the item limit, ICMP without ports. */
static void test_edges(void **state)
{
    static const struct {
        int proto;
        uint16_t port;
        int allow;
    } rows[] = {
        /* TCP 1-3 allowed: one run */
        {6, 1, 1},
        {6, 2, 1},
        {6, 3, 1},
        /* 5, 7, 9, 11 allowed: single ports; the fifth item and on are "more" */
        {6, 5, 1},
        {6, 7, 1},
        {6, 9, 1},
        {6, 11, 1},
        /* UDP 53 allowed: another protocol, also past the limit */
        {17, 53, 1},
        /* TCP 4 denied: its own red edge, not folded into 1-5 */
        {6, 4, 0},
        /* TCP 8 allowed once and denied once: amber (mixed) */
        {6, 8, 1},
        {6, 8, 0},
        /* ICMP denied: no port in the label */
        {1, 0, 0},
    };
    struct eng_verdict allow, deny;
    struct case_ep a, b;
    struct flowset fs;
    struct flowset_flow fl[ARRAY_SIZE(rows)];
    struct graph g;
    size_t i;

    (void)state;
    memset(&allow, 0, sizeof(allow));
    memset(&deny, 0, sizeof(deny));
    allow.verdict = VERDICT_ALLOW;
    deny.verdict = VERDICT_DENY;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.kind = b.kind = EP_POD;
    a.ns = b.ns = "ns";
    a.workload = "a";
    b.workload = "b";
    a.ip_text = "198.18.0.1";
    b.ip_text = "198.18.0.2";
    memset(&fs, 0, sizeof(fs));
    memset(fl, 0, sizeof(fl));
    fs.nsets = 1;
    fs.flows = fl;
    fs.nflows = ARRAY_SIZE(rows);
    for (i = 0; i < ARRAY_SIZE(rows); i++) {
        fl[i].id = (int64_t)i + 1;
        fl[i].src = &a;
        fl[i].dst = &b;
        fl[i].proto = rows[i].proto;
        fl[i].dst_port = rows[i].port;
        fl[i].v[FS_NEW] = rows[i].allow ? &allow : &deny;
    }
    graph_build(&g, &fs);
    assert_int_equal(g.nnodes, 2);
    assert_int_equal(g.nedges, 3);
    for (i = 0; i < g.nedges; i++) {
        const struct graph_edge *e = &g.edges[i];

        switch (e->color) {
        case GC_ALLOW:
            assert_string_equal(e->label, "TCP 1\xe2\x80\x93"
                                          "3, 5, 7, 9 +2 more");
            assert_int_equal(e->flows, 8);
            break;
        case GC_DENY:
            assert_string_equal(e->label, "ICMP; TCP 4");
            assert_int_equal(e->flows, 2);
            break;
        case GC_MIXED:
            assert_string_equal(e->label, "TCP 8");
            assert_int_equal(e->allowed, 1);
            assert_int_equal(e->denied, 1);
            break;
        case GC_BREAK:
        case GC_NEWDENY:
        case GC_FIX:
        case GC_NEWALLOW:
            fail_msg("no old set: nothing changes");
            break;
        case GC_UNKNOWN:
            fail_msg("no unknown verdict among the flows");
            break;
        }
        assert_int_equal(e->nflow_idx, e->flows);
    }
    /* Every flow points at the edge that lists it. */
    for (i = 0; i < fs.nflows; i++)
        assert_true(g.edges[g.flow_edge[i]].nflow_idx > 0);
    graph_release(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections), cmocka_unit_test(test_offline),
        cmocka_unit_test(test_red_edge), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_board),    cmocka_unit_test(test_ports),
        cmocka_unit_test(test_capture),  cmocka_unit_test(test_old),
        cmocka_unit_test(test_traffic),  cmocka_unit_test(test_esc),
        cmocka_unit_test(test_dot),      cmocka_unit_test(test_edges),
        cmocka_unit_test(test_staged),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
