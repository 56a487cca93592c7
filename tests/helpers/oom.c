/*
 * oom.c: allocation failure injection for libyaml and SQLite (oom.h).
 * One process, one injector: the state is static, as the allocators that
 * call in here take no context.
 */
#include "tests/helpers/oom.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/compat.h"

static struct {
    int armed;
    uint64_t fail_at, seen, failed, rng;
    uint32_t one_in;
} oom;

static sqlite3_mem_methods oom_sqlite_orig;

void oom_arm(uint64_t fail_at, uint32_t one_in, uint64_t seed)
{
    oom.armed = 1;
    oom.fail_at = fail_at;
    oom.one_in = one_in;
    oom.rng = seed ? seed : 0x9E3779B97F4A7C15ull;
    oom.seen = 0;
    oom.failed = 0;
}

void oom_disarm(void)
{
    oom.armed = 0;
}

uint64_t oom_seen(void)
{
    return oom.seen;
}

uint64_t oom_failed(void)
{
    return oom.failed;
}

/* Should this allocation fail? */
static int oom_fail(void)
{
    int fail;

    if (!oom.armed)
        return 0;
    oom.seen++;
    fail = oom.seen == oom.fail_at;
    if (!fail && oom.one_in) {
        oom.rng ^= oom.rng << 13;
        oom.rng ^= oom.rng >> 7;
        oom.rng ^= oom.rng << 17;
        fail = oom.rng % oom.one_in == 0;
    }
    oom.failed += (uint64_t)fail;
    return fail;
}

void *oom_yaml_malloc(size_t size)
{
    return oom_fail() ? NULL : malloc(size);
}

void *oom_yaml_realloc(void *p, size_t size)
{
    return oom_fail() ? NULL : realloc(p, size);
}

void oom_yaml_free(void *p)
{
    free(p);
}

char *oom_yaml_strdup(const char *s)
{
    return oom_fail() ? NULL : strdup(s);
}

static void *oom_sqlite_malloc(int n)
{
    return oom_fail() ? NULL : oom_sqlite_orig.xMalloc(n);
}

static void *oom_sqlite_realloc(void *p, int n)
{
    return oom_fail() ? NULL : oom_sqlite_orig.xRealloc(p, n);
}

int oom_sqlite_install(void)
{
    static sqlite3_mem_methods m;

    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &oom_sqlite_orig) != SQLITE_OK)
        return -1;
    m = oom_sqlite_orig;
    m.xMalloc = oom_sqlite_malloc;
    m.xRealloc = oom_sqlite_realloc;
    return sqlite3_config(SQLITE_CONFIG_MALLOC, &m) == SQLITE_OK ? 0 : -1;
}
