/*
 * fuzz_case.c: libFuzzer target for the analyzer over a hostile case file.
 *
 * A case (.db) may come from a stranger.  Its schema is podflow's (a file
 * without it is refused early and uninteresting), but every value in it is
 * chosen by the input: NULLs where the writer never puts one (the tables are
 * made without NOT NULL and CHECK, as a crafted file can be), integers at
 * the ends of the range, floats, blobs where text belongs, addresses that
 * do not parse, label JSON that is malformed, of the wrong shape, deeply
 * nested or megabytes long.  The input is a small program:
 *
 *   byte 0      flags: which subcommands run, with which options, and
 *               whether flows has the schema-v2 dnat columns
 *   then        ops: one byte (table: endpoints, namespaces, flows, captures,
 *               interfaces, meta, flows' dnat columns, and format 3's
 *               sockets, services, service_endpoints, pod_networks,
 *               flows.open), then that table's column values, each a
 *               tag byte (NULL, int, text from a dictionary or the input,
 *               blob, real, huge or deep JSON, an address from a small pool
 *               so flows and endpoints meet) and its bytes
 *
 * The rows go into a fresh copy of an empty case in a temp file, then the
 * analyzer runs on it as a user would: show, check (case reader, engine,
 * output in table/json/csv, --explain, grouping) against a small fixed
 * policy set, and select.  Output goes to /dev/null.  Nothing may crash;
 * every subcommand must return 0, 1 or 2.
 */
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "analyze/cmd/cmd.h"
#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/compat.h"

/* Rows per input at most: enough for every join, bounded for speed. */
#define FC_MAX_ROWS 64
/* Largest generated value (huge JSON): past LIM_LABELS_JSON, under
 * LIM_DB_VALUE, to hit the reader's checks without slowing every run. */
#define FC_HUGE_MAX (300u << 10)

static const char fc_policy[] =
    "apiVersion: projectcalico.org/v3\n"
    "kind: Tier\n"
    "metadata: {name: security}\n"
    "spec: {order: 100}\n"
    "---\n"
    "apiVersion: projectcalico.org/v3\n"
    "kind: GlobalNetworkPolicy\n"
    "metadata: {name: security.base}\n"
    "spec:\n"
    "  tier: security\n"
    "  order: 10\n"
    "  selector: has(app) || projectcalico.org/namespace == 'core'\n"
    "  types: [Ingress, Egress]\n"
    "  ingress:\n"
    "  - action: Deny\n"
    "    source: {nets: [198.51.100.0/24]}\n"
    "  - action: Deny\n"
    "    ipVersion: 6\n"
    "    source: {notNets: ['2001:db8::/32']}\n"
    "  - action: Pass\n"
    "  egress:\n"
    "  - action: Allow\n"
    "    protocol: UDP\n"
    "    destination: {ports: [53, dns]}\n"
    "  - action: Pass\n"
    "---\n"
    "apiVersion: projectcalico.org/v3\n"
    "kind: NetworkPolicy\n"
    "metadata: {name: api, namespace: core}\n"
    "spec:\n"
    "  order: 100\n"
    "  selector: app == 'api'\n"
    "  ingress:\n"
    "  - action: Allow\n"
    "    protocol: TCP\n"
    "    source: {selector: \"role in {'db', 'x'}\", namespaceSelector: all()}\n"
    "    destination: {ports: [http, '8000:9000']}\n"
    "  - action: Allow\n"
    "    protocol: ICMP\n"
    "    icmp: {type: 8}\n"
    "---\n"
    "apiVersion: networking.k8s.io/v1\n"
    "kind: NetworkPolicy\n"
    "metadata: {name: k, namespace: engine}\n"
    "spec:\n"
    "  podSelector: {matchLabels: {app: worker}}\n"
    "  policyTypes: [Ingress, Egress]\n"
    "  ingress:\n"
    "  - from:\n"
    "    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.2/32]}\n"
    "    - namespaceSelector: {matchLabels: {team: a}}\n"
    "    ports: [{port: 42000, endPort: 43000}, {port: http, protocol: TCP}]\n"
    "  egress:\n"
    "  - to: [{podSelector: {}}]\n"
    "---\n"
    "apiVersion: projectcalico.org/v3\n"
    "kind: StagedNetworkPolicy\n"
    "metadata: {name: staged, namespace: core}\n"
    "spec:\n"
    "  selector: all()\n"
    "  ingress: [{action: Deny}]\n";

static const char *const fc_dict[] = {
    "",
    "pod",
    "host",
    "service",
    "external",
    "Pod",
    "core",
    "engine",
    "default",
    "api",
    "worker",
    "Deployment",
    "SF",
    "S0",
    "S1",
    "REJ",
    "RSTO",
    "OTH",
    "SH",
    "bogus",
    "{}",
    "{\"app\":\"api\"}",
    "{\"app\":\"worker\",\"role\":\"db\"}",
    "{\"team\":\"a\"}",
    "{\"app\":1}",
    "{\"app\":null}",
    "{\"app\":{\"b\":\"c\"}}",
    "{\"app\":[\"x\"]}",
    "[1,2]",
    "\"app\"",
    "{",
    "{\"app\":\"api\",\"app\":\"x\"}",
    "{\"a\\u0000b\":\"x\"}",
    "{\"app\":\"\\ud800\"}",
    "{\"projectcalico.org/namespace\":\"evil\"}",
    "{\"pcns.team\":\"a\",\"pcsa.x\":\"y\"}",
    "{\"kubernetes.io/metadata.name\":\"other\"}",
    "{\"\":\"\"}",
    "{\"app\":\"api\"} trailing",
    "null",
    "true",
    "1e999",
    "-0",
    "[]",
    "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]",
    "[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]",
    "[{\"name\":\"http\",\"port\":99999,\"protocol\":\"TCP\"}]",
    "[{\"name\":\"http\",\"port\":-1,\"protocol\":\"ICMP\"}]",
    "[{\"port\":\"x\"}]",
    "[{\"name\":null,\"port\":80,\"protocol\":\"SCTP\"}]",
    "[null]",
    "[[]]",
    "{\"a\":1}",
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
    "198.51.100.7",
    "fd00::1",
    "2001:db8::9",
    "::ffff:10.0.0.1",
    "10.0.0.1 ",
    "10.0.0.01",
    "::",
    "0.0.0.0",
    "255.255.255.255",
    "1.2.3",
    "fe80::1%eth0",
    "10.0.0.1/32",
    "1",
    "6",
    "17",
    "65535",
    "65536",
    "-1",
    "1970-01-01",
    "9223372036854775807",
    "-9223372036854775808",
    "NaN",
    /* format 3: Services, EndpointSlices, pod networks, sockets */
    "ClusterIP",
    "NodePort",
    "[\"10.96.0.10\"]",
    "[\"10.0.0.1\",\"fd00::1\"]",
    "[\"10.0.0.01\"]",
    "[1]",
    "{\"a\":\"10.96.0.10\"}",
    "[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080,"
    "\"nodePort\":30080}]",
    "[{\"port\":53,\"protocol\":\"UDP\",\"targetPort\":\"dns\",\"nodePort\":null}]",
    "[{\"port\":\"80\",\"targetPort\":true}]",
    "[{\"name\":\"http\",\"port\":null}]",
    "10.0.0.0/24",
    "fd00::/64",
    "10.0.0.0/08",
    "inventory",
    "netlink",
    "curl",
};

static const int64_t fc_ints[] = {
    0,
    1,
    -1,
    6,
    17,
    1,
    58,
    132,
    4,
    41,
    255,
    256,
    8080,
    53,
    65535,
    65536,
    42001,
    INT32_MAX,
    INT32_MIN,
    (int64_t)UINT32_MAX + 1,
    INT64_MAX,
    INT64_MIN,
    INT64_MAX - 1,
    INT64_MIN + 1,
    1000000000,
    1700000000000000000,
    -1700000000000000000,
};

static const char *const fc_pool[] = {
    "10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1", "198.51.100.7", "10.96.0.10",
};

/* Huge or deep values per input at most: each costs ~1 ms under ASan, and
 * two already reach every size check. */
#define FC_MAX_BIG 2

struct fc_in {
    const uint8_t *p;
    size_t n;
    struct buf scratch;
    unsigned big; /* huge or deep values made so far */
};

static uint8_t next_u8(struct fc_in *in)
{
    uint8_t b;

    if (!in->n)
        return 0;
    b = *in->p++;
    in->n--;
    return b;
}

static uint64_t next_u64(struct fc_in *in)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | next_u8(in);
    return v;
}

/* Bind column value i of st from the input. */
static void bind_value(struct fc_in *in, sqlite3_stmt *st, int i)
{
    uint8_t tag = next_u8(in);
    size_t len, k;

    if ((tag % 13 == 9 || tag % 13 == 10) && in->big++ >= FC_MAX_BIG)
        tag = 4; /* a dictionary text instead */
    switch (tag % 13) {
    case 0:
        sqlite3_bind_null(st, i);
        return;
    case 1:
        sqlite3_bind_int64(st, i, (int8_t)next_u8(in));
        return;
    case 2:
        sqlite3_bind_int64(st, i, (int64_t)next_u64(in));
        return;
    case 3:
        sqlite3_bind_int64(st, i, fc_ints[next_u8(in) % ARRAY_SIZE(fc_ints)]);
        return;
    case 4:
    case 5:
        sqlite3_bind_text(st, i, fc_dict[next_u8(in) % ARRAY_SIZE(fc_dict)], -1, SQLITE_STATIC);
        return;
    case 6: /* text straight from the input, any bytes (NULs included) */
        len = next_u8(in);
        if (len > in->n)
            len = in->n;
        sqlite3_bind_text(st, i, (const char *)in->p, (int)len, SQLITE_TRANSIENT);
        in->p += len;
        in->n -= len;
        return;
    case 7:
        len = next_u8(in);
        if (len > in->n)
            len = in->n;
        sqlite3_bind_blob(st, i, in->p, (int)len, SQLITE_TRANSIENT);
        in->p += len;
        in->n -= len;
        return;
    case 8: {
        uint64_t bits = next_u64(in);
        double x;

        memcpy(&x, &bits, sizeof(x));
        sqlite3_bind_double(st, i, x);
        return;
    }
    case 9: /* many labels, or one huge value */
        buf_reset(&in->scratch);
        len = (size_t)next_u8(in) * 1200 + 1;
        if (next_u8(in) & 1) {
            (void)!buf_addstr(&in->scratch, "{\"app\":\"");
            for (k = 0; k < len && in->scratch.len < FC_HUGE_MAX; k++)
                (void)!buf_addstr(&in->scratch, "aaaaaaaaaaaaaaaa");
            (void)!buf_addstr(&in->scratch, "\"}");
        } else {
            char item[32];

            (void)!buf_addch(&in->scratch, '{');
            for (k = 0; k < len && in->scratch.len < FC_HUGE_MAX; k++) {
                int n = snprintf(item, sizeof(item), "%s\"k%zu\":\"v\"", k ? "," : "", k);

                (void)!buf_add(&in->scratch, item, (size_t)n);
            }
            (void)!buf_addch(&in->scratch, '}');
        }
        sqlite3_bind_text(st, i, in->scratch.data, (int)in->scratch.len, SQLITE_TRANSIENT);
        return;
    case 10: /* deep nesting */
        buf_reset(&in->scratch);
        len = (size_t)next_u8(in) * 16 + 1;
        (void)!buf_addstr(&in->scratch, "{\"a\":");
        for (k = 0; k < len; k++)
            (void)!buf_addch(&in->scratch, next_u8(in) & 1 ? '[' : '{');
        sqlite3_bind_text(st, i, in->scratch.data, (int)in->scratch.len, SQLITE_TRANSIENT);
        return;
    case 11:
    case 12:
        sqlite3_bind_text(st, i, fc_pool[next_u8(in) % ARRAY_SIZE(fc_pool)], -1, SQLITE_STATIC);
        return;
    }
}

struct fc_table {
    const char *sql;
    int ncols;
};

static const struct fc_table fc_tables[] = {
    {"INSERT INTO endpoints (ip, valid_from_ns, valid_to_ns, kind, namespace, name, "
     "workload_kind, workload, labels, service_account, node, ports) "
     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
     12},
    {"INSERT INTO namespaces (name, labels) VALUES (?,?)", 2},
    {"INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, "
     "last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, icmp_type, icmp_code, "
     "icmp_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
     16},
    {"INSERT INTO captures (id, node, started_ns, ended_ns, packets_seen, packets_dropped, "
     "flows_written, tool_version, source) VALUES (?,?,?,?,?,?,?,?,?)",
     9},
    {"INSERT INTO interfaces (capture_id, name, ifindex, appeared_ns, vanished_ns, linktype, "
     "packets_seen) VALUES (?,?,?,?,?,?,?)",
     7},
    {"INSERT OR REPLACE INTO meta (key, value) VALUES (?,?)", 2},
    {"UPDATE flows SET dnat_ip = ?, dnat_port = ? WHERE id = (SELECT max(id) FROM flows)", 2},
    /* format 3 */
    {"INSERT INTO sockets (capture_id, proto, local_ip, local_port, remote_ip, remote_port, "
     "inode, pid, processes, comm, container, cgroup, valid_from_ns, valid_to_ns) "
     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
     14},
    {"INSERT INTO services (namespace, name, type, cluster_ips, external_ips, lb_ips, ports, "
     "valid_from_ns, valid_to_ns) VALUES (?,?,?,?,?,?,?,?,?)",
     9},
    {"INSERT INTO service_endpoints (namespace, service, slice, ip, ready, node, target_kind, "
     "target_namespace, target_name, ports, valid_from_ns, valid_to_ns) "
     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
     12},
    {"INSERT INTO pod_networks (cidr, node, source, valid_from_ns, valid_to_ns) "
     "VALUES (?,?,?,?,?)",
     5},
    {"UPDATE flows SET open = ? WHERE id = (SELECT max(id) FROM flows)", 1},
};

static char fc_dir[64];
static char fc_db[96], fc_pol[96];
static char *fc_template; /* schema applied, NOT NULL removed (malloc'd) */

static void die(const char *what)
{
    fprintf(stderr, "fuzz_case: %s: %s\n", what, strerror(errno));
    abort();
}

static void cleanup(void)
{
    char p[128];

    unlink(fc_pol);
    unlink(fc_db);
    snprintf(p, sizeof(p), "%s-wal", fc_db);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", fc_db);
    unlink(p);
    snprintf(p, sizeof(p), "%s-journal", fc_db);
    unlink(p);
    rmdir(fc_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    FILE *f;
    size_t n;
    int devnull;

    (void)argc;
    (void)argv;
    snprintf(fc_dir, sizeof(fc_dir), "%s/fuzzcase.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fc_dir))
        die("mkdtemp");
    atexit(cleanup);
    snprintf(fc_db, sizeof(fc_db), "%s/case.db", fc_dir);
    snprintf(fc_pol, sizeof(fc_pol), "%s/policy.yaml", fc_dir);
    f = fopen(fc_pol, "w");
    if (!f || fwrite(fc_policy, 1, sizeof(fc_policy) - 1, f) != sizeof(fc_policy) - 1 || fclose(f))
        die("write policy");
    {
        /* A policy set that does not load would leave check untested. */
        struct policy_set ps;
        struct diag d;

        diag_init(&d, stderr, "fuzz_case");
        if (policy_set_load_mem(&ps, "fc_policy", fc_policy, sizeof(fc_policy) - 1, 0, &d))
            die("the fixed policy set does not load");
        policy_set_release(&ps);
    }
    /* The schema as a crafted file may have it: podflow's tables and
     * columns (so the reader's table check passes) without NOT NULL. */
    n = strlen(db_schema_sql);
    fc_template = malloc(n + 1);
    if (!fc_template)
        abort();
    memcpy(fc_template, db_schema_sql, n + 1);
    for (char *p = fc_template; (p = strstr(p, " NOT NULL")) != NULL;)
        memset(p, ' ', 9);
    /* Results to /dev/null: they would swamp the fuzzer's log
     * (FUZZ_VERBOSE=1 keeps them, with the messages). */
    if (getenv("FUZZ_VERBOSE"))
        return 0;
    devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0)
        die("/dev/null");
    close(devnull);
    return 0;
}

static void build_case(struct fc_in *in, unsigned flags)
{
    sqlite3 *db;
    sqlite3_stmt *st[ARRAY_SIZE(fc_tables)] = {NULL};
    unsigned rows = 0;

    unlink(fc_db);
    if (sqlite3_open(fc_db, &db) != SQLITE_OK)
        die("sqlite3_open");
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                     "PRAGMA ignore_check_constraints=ON; BEGIN;",
                     NULL, NULL, NULL) ||
        sqlite3_exec(db, fc_template, NULL, NULL, NULL))
        die("schema");
    if (flags & 0x40)
        (void)sqlite3_exec(db,
                           "ALTER TABLE flows ADD COLUMN dnat_ip TEXT;"
                           "ALTER TABLE flows ADD COLUMN dnat_port INTEGER;",
                           NULL, NULL, NULL);
    while (in->n && rows++ < FC_MAX_ROWS) {
        size_t t = next_u8(in) % ARRAY_SIZE(fc_tables);

        if (!st[t] && sqlite3_prepare_v2(db, fc_tables[t].sql, -1, &st[t], NULL) != SQLITE_OK)
            continue; /* dnat columns absent */
        for (int i = 1; i <= fc_tables[t].ncols; i++)
            bind_value(in, st[t], i);
        (void)sqlite3_step(st[t]); /* a constraint left (a key) may refuse the row */
        sqlite3_reset(st[t]);
        sqlite3_clear_bindings(st[t]);
    }
    for (size_t t = 0; t < ARRAY_SIZE(st); t++)
        sqlite3_finalize(st[t]);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        die("commit");
    if (sqlite3_close(db) != SQLITE_OK)
        die("close");
}

static void check_status(const char *cmd, int rc)
{
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_case: %s: exit %d\n", cmd, rc);
    if (rc != EXIT_OK && rc != EXIT_DENIED && rc != EXIT_BAD) {
        fprintf(stderr, "fuzz_case: %s returned %d\n", cmd, rc);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fmts[] = {"table", "json", "csv", "json"};
    static const char *const groups[] = {"flow", "tuple", "workload", "flow"};
    struct fc_in in = {data, size, {0}, 0};
    struct diag d;
    unsigned flags;
    char *argv[16];
    int argc;

    if (!fc_template)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1)
        return 0;
    fuzz_diag(&d);
    buf_init(&in.scratch, 0);
    flags = next_u8(&in);
    build_case(&in, flags);
    buf_release(&in.scratch);

    if (flags & 0x01) {
        argc = 0;
        argv[argc++] = (char *)"podflow-analyze";
        argv[argc++] = (char *)"show";
        argv[argc++] = fc_db;
        argv[argc] = NULL;
        check_status("show", cmd_main(argc, argv, &d));
    }
    argc = 0;
    argv[argc++] = (char *)"podflow-analyze";
    argv[argc++] = (char *)"check";
    argv[argc++] = fc_db;
    argv[argc++] = (char *)"-p";
    argv[argc++] = fc_pol;
    argv[argc++] = (char *)"--format";
    argv[argc++] = (char *)fmts[(flags >> 1) & 3];
    argv[argc++] = (char *)"--group";
    argv[argc++] = (char *)groups[(flags >> 3) & 3];
    if (flags & 0x20)
        argv[argc++] = (char *)"--explain";
    if (flags & 0x80) {
        argv[argc++] = (char *)"--namespace";
        argv[argc++] = (char *)"core";
    }
    argv[argc] = NULL;
    check_status("check", cmd_main(argc, argv, &d));
    if (flags & 0x01) {
        argc = 0;
        argv[argc++] = (char *)"podflow-analyze";
        argv[argc++] = (char *)"select";
        argv[argc++] = fc_db;
        argv[argc++] = (char *)"app in {'api', 'worker'} || has(projectcalico.org/namespace)";
        argv[argc] = NULL;
        check_status("select", cmd_main(argc, argv, &d));
    }
    return 0;
}
