/*
 * compat.h: included first by every podflow .c file (after its own header):
 * the attributes we use, the TESTABLE marker, and the banned functions.
 */
#ifndef PODFLOW_COMPAT_H
#define PODFLOW_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Results that must be checked. */
#define MUST_CHECK __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A static function that unit tests call: static in the programs, extern in
 * the test build (-DPODFLOW_TEST), declared for tests in the module's
 * name_int.h under #ifdef PODFLOW_TEST. */
#ifdef PODFLOW_TEST
#define TESTABLE
#else
#define TESTABLE static
#endif

#include "common/banned.h"

#endif
