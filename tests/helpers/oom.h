/*
 * oom.h: allocation failure injection for the readers' libraries (tests
 * and fuzzing only; docs/security.md, "Allocation failures").
 *
 * podflow's own allocations go through xmalloc(), which aborts on failure
 * by design: every size that comes from input is bounded by
 * common/limits.h first, so running out there means the machine is out of
 * memory, not that an input is hostile.  The readers' libraries are
 * another matter: libyaml and SQLite allocate as they parse, report a
 * failure (YAML_MEMORY_ERROR, SQLITE_NOMEM) and expect their caller to
 * handle it.  Those are the failure paths injected here, honestly: no
 * allocation of ours is ever failed, so a crash can only be a missing or
 * wrong failure path of the reader.
 *
 *   - SQLite: oom_sqlite_install() puts a wrapper round SQLite's own
 *     allocator (SQLITE_CONFIG_MALLOC), before SQLite is first used.
 *   - libyaml: the tests link a copy of libyaml.a whose malloc, realloc,
 *     free and strdup are renamed to oom_yaml_*() (objcopy
 *     --redefine-sym, the Makefile's libyaml-oom.a): only libyaml's own
 *     calls come here.
 *
 * While armed, allocation number fail_at (1-based, counted from oom_arm())
 * fails, and with one_in > 0 each one fails with probability 1/one_in
 * (a xorshift generator seeded by seed, so a run repeats exactly).
 */
#ifndef PODFLOW_TESTS_OOM_H
#define PODFLOW_TESTS_OOM_H

#include <stddef.h>
#include <stdint.h>

void oom_arm(uint64_t fail_at, uint32_t one_in, uint64_t seed);
void oom_disarm(void);
/* Allocations seen, and failed, since oom_arm(). */
uint64_t oom_seen(void);
uint64_t oom_failed(void);

/* Wrap SQLite's allocator; call before any other SQLite call.  0, or -1
 * when SQLite refused (it was already initialised). */
int oom_sqlite_install(void);

/* libyaml's allocator, renamed into it (libyaml-oom.a). */
void *oom_yaml_malloc(size_t size);
void *oom_yaml_realloc(void *p, size_t size);
void oom_yaml_free(void *p);
char *oom_yaml_strdup(const char *s);

#endif
