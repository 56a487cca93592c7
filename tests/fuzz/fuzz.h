/*
 * fuzz.h: what the libFuzzer targets in tests/fuzz/ share.  Each target
 * defines LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize); it
 * is linked either with libFuzzer (make fuzz, clang) or with replay.c, a
 * plain main that runs saved inputs through the same entry point (make
 * unit, gcc, so CI without clang replays every regression input).
 */
#ifndef PODFLOW_FUZZ_H
#define PODFLOW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A diag whose messages go nowhere (the loaders report a lot on garbage;
 * printing it would dominate the run).  FUZZ_VERBOSE=1 shows them. */
static inline void fuzz_diag(struct diag *d)
{
    static FILE *null;

    if (!null)
        null = getenv("FUZZ_VERBOSE") ? stderr : fopen("/dev/null", "w");
    diag_init(d, null ? null : stderr, "fuzz");
}

/* An invariant of the code under test does not hold: crash so the fuzzer
 * keeps the input. */
static inline void fuzz_fail(const char *target, const char *what)
{
    fprintf(stderr, "%s: invariant violated: %s\n", target, what);
    abort();
}

#endif
