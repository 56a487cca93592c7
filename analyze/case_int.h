/*
 * case_int.h: case.c internals that unit tests reach (PODFLOW_TEST only).
 */
#ifndef PODFLOW_ANALYZE_CASE_INT_H
#define PODFLOW_ANALYZE_CASE_INT_H

#ifdef PODFLOW_TEST
#include <stddef.h>

struct ipaddr;

/* Dotted-quad IPv4 exactly as inet_pton(3) accepts it; 0 or ERR_PARSE. */
int fast_v4(const char *s, size_t len, struct ipaddr *ip);
#endif

#endif
