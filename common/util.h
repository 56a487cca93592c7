/*
 * util.h: number and time parsing, and small text helpers, shared by both
 * programs.  Numbers from input go through parse_u64()/parse_i64(), which
 * check range and trailing garbage (never atoi); times are Unix
 * nanoseconds in int64_t.
 */
#ifndef PODFLOW_UTIL_H
#define PODFLOW_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

/* Parse s[0..len) as a decimal integer within [min, max]: no sign for u64,
 * no spaces, no trailing characters.  0, ERR_PARSE or ERR_LIMIT (range). */
int parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out) MUST_CHECK;
int parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out) MUST_CHECK;

/* Parse a finite decimal floating-point number (Calico's order).  0,
 * ERR_PARSE (not a number), or ERR_LIMIT (a number out of a double's
 * range: 1e999, 1e-999). */
int parse_double(const char *s, size_t len, double *out) MUST_CHECK;

/* Parse an RFC 3339 timestamp as Kubernetes writes it
 * ("2024-05-01T10:00:00Z", optional fraction, Z or +hh:mm) into Unix ns.
 * 0, ERR_PARSE (syntax, or a day the month does not have), or ERR_LIMIT
 * (outside what int64_t ns can hold: 1677-09-21 .. 2262-04-11). */
int parse_rfc3339(const char *s, size_t len, int64_t *out_ns) MUST_CHECK;

/* Parse a command-line time: RFC 3339, or a plain number of Unix seconds
 * (fraction allowed), into Unix ns. */
int parse_time_arg(const char *s, int64_t *out_ns) MUST_CHECK;

/* Format Unix ns as RFC 3339 UTC with microseconds into buf (>= 32 bytes). */
void format_rfc3339(int64_t ns, char *buf, size_t size);

/* a + b held at the int64 range (counters read from a hostile case may be
 * anything). */
static inline int64_t i64_add_sat(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return a > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Current wall-clock time in Unix ns. */
int64_t now_ns(void);

/* A monotonic clock in ns, only as fine as the kernel's tick (1 to 4 ms)
 * but read in a quarter of now_ns()'s time (8 against 38 ns here): for
 * rates counted per event, e.g. per new flow. */
int64_t coarse_ns(void);

/* The value of hexadecimal digit c (0-9, a-f, A-F), or -1 for any other
 * value (including negative chars). */
int hex_digit(int c);

/* The length of the well-formed UTF-8 sequence starting s[0..len)
 * (Unicode Table 3-7: no overlong forms, no surrogates, nothing past
 * U+10FFFF), or 0 when there is none (or len is 0). */
size_t utf8_len(const unsigned char *s, size_t len);

/*
 * Make s[0..len) safe to show on a terminal, in place: every C0 control but
 * tab and newline (ESC starts the escape sequences that recolour, retitle,
 * move the cursor or write the clipboard), DEL, and the C1 controls (as
 * UTF-8 U+0080..U+009F, or as lone bytes 0x80..0x9f after ASCII) become
 * '?'.  Valid UTF-8 text is otherwise unchanged.  Names in a case file
 * come from strangers; JSON output escapes them anyway, so this never
 * changes JSON.
 */
void term_safe(char *s, size_t len);

#endif
