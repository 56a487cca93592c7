/*
 * compat.h: included LAST by every podflow .c file, after its own header,
 * the system headers and the other podflow headers: it ends with
 * banned.h, whose macros turn banned function names (strcpy, sprintf, ...)
 * into errors, and a system header read after it would trip on its own
 * declarations of them.  It also gives the attribute names (attrs.h) and
 * the TESTABLE marker.
 */
#ifndef PODFLOW_COMPAT_H
#define PODFLOW_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/attrs.h"

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
