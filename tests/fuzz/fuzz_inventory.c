/*
 * fuzz_inventory.c: libFuzzer target for the inventory loader
 * (common/inv_load.c, inventory.c over ydoc): kubectl get -o yaml|json
 * output of pods, services, nodes, namespaces, lists of them.
 *
 * For any input inventory_load_mem() returns 0, ERR_PARSE or ERR_LIMIT
 * (a message on failure); what was loaded answers lookups by the names it
 * holds, and the summary text builds.  Loading the same input twice into one
 * inventory must not crash either (objects merge by name).  With
 * FUZZ_VERBOSE=1 the input is loaded once, and the loader's messages and
 * what it loaded go to stderr.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "common/buf.h"
#include "common/inventory.h"
#include "common/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct inventory inv;
    struct diag d;
    struct buf b;
    int rc = 0, passes = getenv("FUZZ_VERBOSE") ? 1 : 2;

    fuzz_diag(&d);
    inventory_init(&inv);
    for (int pass = 0; pass < passes; pass++) {
        unsigned before = d.errors;

        rc = inventory_load_mem(&inv, "fuzz.yaml", (const char *)data, size, &d);
        if (rc && rc != ERR_PARSE && rc != ERR_LIMIT)
            fuzz_fail("fuzz_inventory", "unexpected error code");
        if (rc && d.errors == before)
            fuzz_fail("fuzz_inventory", "failed without a message");
        if (rc)
            break;
    }
    /* Also the driver of tests/it/fault_yaml_bomb.sh and fault_inventory_100k.sh
     * (through replay.c): they read what was loaded from here. */
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "inventory: rc %d, %zu pods, %zu namespaces, %zu services, %zu nodes\n", rc,
                inv.npods, inv.nnss, inv.nsvcs, inv.nnodes);
    for (size_t i = 0; i < inv.npods; i++)
        if (inventory_pod(&inv, inv.pods[i].ns, inv.pods[i].name) == NULL)
            fuzz_fail("fuzz_inventory", "a loaded pod is not found by name");
    for (size_t i = 0; i < inv.nnss; i++)
        if (inventory_namespace(&inv, inv.nss[i].name) == NULL)
            fuzz_fail("fuzz_inventory", "a loaded namespace is not found by name");
    buf_init(&b, 0);
    (void)!inventory_skipped_text(&inv, &b);
    buf_release(&b);
    inventory_release(&inv);
    return 0;
}
