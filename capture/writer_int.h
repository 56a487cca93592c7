/*
 * writer_int.h: writer.c's static helpers, for its unit tests only.
 */
#ifndef PODFLOW_CAPTURE_WRITER_INT_H
#define PODFLOW_CAPTURE_WRITER_INT_H

#ifdef PODFLOW_TEST
#include <stddef.h>
#include <stdint.h>

/* Dotted quad of a[0..4) into buf (>= 16 bytes); returns its length. */
int fmt_ipv4(const uint8_t *a, char *buf);
/* Text of the IPv6 address a[0..16) into buf (>= 46 bytes), inet_ntop's
 * exactly; returns its length. */
int fmt_ipv6(const uint8_t *a, char *buf);
#endif

#endif
