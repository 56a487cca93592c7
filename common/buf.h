/*
 * buf.h: a growable byte buffer with a maximum size (after git's strbuf and
 * curl's dynbuf).  data is always NUL-terminated, so it can be used as a C
 * string when the content has no NUL.  Growing past max fails with
 * ERR_LIMIT and leaves the buffer as it was.
 */
#ifndef PODFLOW_BUF_H
#define PODFLOW_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

struct buf {
    char *data;   /* malloc'd, owned, NUL-terminated; "" before the first add */
    size_t len;   /* bytes used, not counting the NUL */
    size_t alloc; /* bytes allocated (0 while data points at a static "") */
    size_t max;   /* largest len allowed */
};

/* Set up caller-owned b; max 0 means LIM_BUF_DEFAULT. */
void buf_init(struct buf *b, size_t max);
/* Free the contents; b may be reused after buf_init(). */
void buf_release(struct buf *b);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Hand the malloc'd string to the caller (never NULL) and re-init b. */
char *buf_detach(struct buf *b, size_t *len);

/* Append; 0 or ERR_LIMIT (buf_addf: or ERR_INVALID from vsnprintf).  What
 * is appended must not point into b: it is written in place, or b moves. */
int buf_add(struct buf *b, const void *data, size_t len) MUST_CHECK;
int buf_addstr(struct buf *b, const char *s) MUST_CHECK;
int buf_addch(struct buf *b, char c) MUST_CHECK;
/* v in decimal, as printf's %lld and %llu write it (without printf: a
 * record per flow writes several numbers). */
int buf_addi(struct buf *b, int64_t v) MUST_CHECK;
int buf_addu(struct buf *b, uint64_t v) MUST_CHECK;
int buf_addf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3) MUST_CHECK;
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0) MUST_CHECK;

#endif
