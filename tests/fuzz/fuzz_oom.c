/*
 * fuzz_oom.c: libFuzzer target for allocation failures inside the readers'
 * libraries (libyaml, SQLite), as tests/test_oom.c sweeps them, with the
 * input and the failures chosen by the fuzzer.  See tests/helpers/oom.h
 * for what is failed (only the libraries' own allocations: ours abort by
 * design) and why.
 *
 * Input:
 *   byte 0      the reader: 0 the YAML tree, 1 the policy loader, 2 the
 *               inventory loader, 3 the case reader (on a fixed case made
 *               at start-up; the rest of the input is then only the plan)
 *   bytes 1-4   fail allocation number N (little-endian; 0: none)
 *   byte 5      and each allocation with odds 1/(byte + 2) (255: none)
 *   bytes 6-13  the seed of those odds
 *   then        the YAML/JSON text
 *
 * Each input is read twice: cleanly, then with the failures.  The second
 * run must fail with an error code, or give exactly the first run's
 * result; if nothing was failed it must give the first run's result.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "analyze/case/case.h"
#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/inventory.h"
#include "common/ydoc.h"
#include "tests/helpers/oom.h"
#include "common/compat.h"

static char fo_case[64];

static void fo_cleanup(void)
{
    unlink(fo_case);
}

static void fo_dump(const struct ynode *n, struct buf *out, unsigned depth)
{
    if (!n || depth > 80) {
        (void)!buf_addstr(out, "~");
        return;
    }
    (void)!buf_addf(out, "@%u:%u", n->line, n->col);
    if (n->kind == YNODE_SCALAR) {
        (void)!buf_addch(out, '\'');
        (void)!buf_add(out, n->u.scalar.s, n->u.scalar.len);
        (void)!buf_addch(out, '\'');
    } else if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->u.seq.n; i++)
            fo_dump(n->u.seq.items[i], out, depth + 1);
        (void)!buf_addch(out, ']');
    } else {
        for (size_t i = 0; i < n->u.map.n; i++) {
            fo_dump(n->u.map.pairs[i].key, out, depth + 1);
            fo_dump(n->u.map.pairs[i].value, out, depth + 1);
        }
        (void)!buf_addch(out, '}');
    }
}

static int fo_flow(void *ctx, const struct case_flow *fl)
{
    return buf_addf(ctx, " %lld", (long long)fl->id);
}

/* One read by reader r of text[0..len): its result into out. */
static int fo_read(unsigned r, const char *text, size_t len, struct buf *out, struct diag *d)
{
    int rc;

    if (r == 0) {
        struct ystream ys;

        rc = ystream_load_mem(&ys, "fuzz.yaml", text, len, d);
        if (!rc) {
            for (size_t i = 0; i < ys.ndocs; i++)
                fo_dump(ys.docs[i], out, 0);
            ystream_release(&ys);
        }
    } else if (r == 1) {
        struct policy_set ps;

        rc = policy_set_load_mem(&ps, "fuzz.yaml", text, len, 0, d);
        if (!rc) {
            (void)!buf_addf(out, "%zu %zu %zu", ps.ntiers, ps.npolicies, ps.nnetsets);
            policy_set_release(&ps);
        }
    } else if (r == 2) {
        struct inventory inv;

        inventory_init(&inv);
        rc = inventory_load_mem(&inv, "fuzz.yaml", text, len, d);
        if (!rc)
            (void)!buf_addf(out, "%zu %zu %zu %zu %zu", inv.npods, inv.nsvcs, inv.nnodes, inv.nnss,
                            inv.malformed);
        inventory_release(&inv);
    } else {
        struct case_db c;
        char *paths[1] = {fo_case};

        rc = case_open_many(&c, paths, 1, NULL, d);
        if (!rc) {
            rc = case_flows(&c, NULL, fo_flow, out, d);
            (void)!buf_addf(out, " %zu %zu %llu", c.neps, c.nconns,
                            (unsigned long long)c.bad.total);
            case_close(&c);
        }
    }
    return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct diag d;
    sqlite3 *db = NULL;
    static const char rows[] =
        "INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'a', 1, 'x'), "
        "(2, 'b', 1, 'x');"
        "INSERT INTO interfaces (id, capture_id, name) VALUES (1, 1, 'cali1'), (2, 2, 'eth0');"
        "INSERT INTO endpoints (ip, kind, namespace, name, labels, node, iface) VALUES"
        " ('10.0.0.1', 'pod', 'core', 'api', '{\"app\":\"api\"}', 'a', 'cali1'),"
        " ('10.0.0.2', 'pod', 'core', 'db', '{\"role\":\"db\"}', 'b', NULL);"
        "INSERT INTO namespaces (name, labels) VALUES ('core', '{\"team\":\"a\"}');"
        "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,"
        " last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface) VALUES"
        " (1, 6, '10.0.0.1', 40000, '10.0.0.2', 5432, 10, 20, 3, 180, 2, 120, 'SF', 1),"
        " (2, 6, '10.0.0.1', 40000, '10.0.0.2', 5432, 11, 21, 3, 180, 2, 120, 'SF', 2),"
        " (1, 17, '10.0.0.1', 5353, '10.0.0.2', 53, 30, 30, 1, 60, 0, 0, 'S0', 1),"
        " (2, 6, '10.0.0.2', 40001, '10.0.0.9', '80x', 40, 41, 1, 60, 0, 0, 'S0', 2);";

    (void)argc;
    (void)argv;
    if (oom_sqlite_install() != 0)
        fuzz_fail("fuzz_oom", "SQLite's allocator cannot be wrapped");
    fuzz_diag(&d);
    snprintf(fo_case, sizeof(fo_case), "/tmp/podflow-fuzz-oom.%ld.db", (long)getpid());
    unlink(fo_case);
    if (db_open_writer(fo_case, &d, &db) || sqlite3_exec(db, rows, NULL, NULL, NULL) != SQLITE_OK)
        fuzz_fail("fuzz_oom", "cannot make the fixed case");
    db_close(&db, &d);
    atexit(fo_cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf ref, got;
    struct diag d;
    unsigned r;
    uint32_t fail_at;
    uint64_t seed = 0;
    int rc0, rc1;

    if (size < 14)
        return 0;
    if (!fo_case[0])
        (void)LLVMFuzzerInitialize(NULL, NULL);
    r = data[0] % 4;
    fail_at = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
              (uint32_t)data[4] << 24;
    for (int i = 0; i < 8; i++)
        seed |= (uint64_t)data[6 + i] << (8 * i);
    fuzz_diag(&d);
    buf_init(&ref, 0);
    buf_init(&got, 0);
    rc0 = fo_read(r, (const char *)data + 14, size - 14, &ref, &d);
    oom_arm(fail_at, data[5] == 255 ? 0 : (uint32_t)data[5] + 2, seed);
    rc1 = fo_read(r, (const char *)data + 14, size - 14, &got, &d);
    oom_disarm();
    if (!oom_failed() && rc1 != rc0)
        fuzz_fail("fuzz_oom", "another result with no allocation failed");
    if (!rc1 && (rc0 || got.len != ref.len || memcmp(got.data, ref.data, ref.len) != 0))
        fuzz_fail("fuzz_oom", "a failed allocation changed a result without an error");
    buf_release(&ref);
    buf_release(&got);
    return 0;
}
