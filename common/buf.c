/*
 * buf.c: growable buffers with a ceiling.
 */
#include "common/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
    b->data = buf_empty;
    b->len = 0;
    b->alloc = 0;
    b->max = max ? max : LIM_BUF_DEFAULT;
}

void buf_release(struct buf *b)
{
    if (b->alloc)
        free(b->data);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->alloc)
        b->data[0] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
    char *s = b->alloc ? b->data : xstrdup("");

    if (len)
        *len = b->len;
    buf_init(b, b->max);
    return s;
}

static int buf_grow(struct buf *b, size_t extra)
{
    size_t want;

    /* The last test keeps len + extra + 1 (room for the NUL) from wrapping
     * when a caller sets max near SIZE_MAX. */
    if (extra > b->max || b->len > b->max - extra || b->len + extra == SIZE_MAX)
        return ERR_LIMIT;
    want = b->len + extra + 1;
    if (want <= b->alloc)
        return 0;
    if (b->alloc <= SIZE_MAX / 2 && want < b->alloc * 2)
        want = b->alloc * 2;
    if (want < 64)
        want = 64;
    if (b->alloc) {
        b->data = xrealloc(b->data, want);
    } else {
        b->data = xmalloc(want);
        b->data[0] = '\0';
    }
    b->alloc = want;
    return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
    int rc = buf_grow(b, len);

    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
    /* One byte where there is room: no call, no copy (JSON and tables
     * add punctuation a byte at a time). */
    if (b->len + 1 < b->alloc && b->len < b->max) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return buf_add(b, &c, 1);
}

/* The decimal digits of v, with a '-' when neg, ending at end; where they
 * start. */
static char *buf_digits(char *end, uint64_t v, int neg)
{
    char *p = end;

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        *--p = '-';
    return p;
}

int buf_addi(struct buf *b, int64_t v)
{
    char tmp[24];
    char *p = buf_digits(tmp + sizeof(tmp), v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);

    return buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

int buf_addu(struct buf *b, uint64_t v)
{
    char tmp[24];
    char *p = buf_digits(tmp + sizeof(tmp), v, 0);

    return buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    size_t room = b->alloc - b->len; /* with the NUL's byte; 0 before the first add */
    va_list cp;
    int n;
    int rc;

    /* Formatted once, in place, when it fits (the common case): the
     * measuring pass that came first cost as much as the writing one.
     * When it does not, that pass measured it: grow, and write again. */
    va_copy(cp, ap);
    n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, cp);
    va_end(cp);
    if (n >= 0 && (size_t)n < room && b->len <= b->max && (size_t)n <= b->max - b->len) {
        b->len += (size_t)n;
        return 0;
    }
    if (room)
        b->data[b->len] = '\0'; /* as it was: a failure changes nothing */
    if (n < 0)
        return ERR_INVALID;
    rc = buf_grow(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}
