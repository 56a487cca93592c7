/*
 * redact_int.h: redact.c's internals, for tests/test_redact.c only.
 */
#ifndef PODFLOW_ANALYZE_REDACT_INT_H
#define PODFLOW_ANALYZE_REDACT_INT_H

#ifdef PODFLOW_TEST
#include <stddef.h>
#include <stdint.h>

#include "common/ipaddr.h"

struct rd;
int rd_is_special(const struct ipaddr *a);
#endif

#endif
