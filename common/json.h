/*
 * json.h: a JSON writer with correct escaping (RFC 8259): control
 * characters as \u00XX, invalid UTF-8 replaced by U+FFFD so output is
 * always valid JSON whatever bytes the input held.  The writer tracks
 * commas itself; callers only open, name and close.
 *
 *     json_obj_begin(&j);
 *     json_key(&j, "src_ip"); json_str(&j, "10.0.0.1");
 *     json_key(&j, "ports");  json_arr_begin(&j); json_int(&j, 80); json_arr_end(&j);
 *     json_obj_end(&j);
 *
 * Nesting deeper than LIM_JSON_DEPTH or output past the buffer's maximum
 * sets j->err (ERR_LIMIT); a call out of order (a key outside an object, a
 * value where a key is due, a close that matches no open, a second
 * top-level value) sets ERR_INVALID.  After the first error every call is a
 * no-op; check json_finish().
 */
#ifndef PODFLOW_JSON_H
#define PODFLOW_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"
#include "common/limits.h"

struct buf;

struct json {
    struct buf *out;                          /* caller-owned output */
    int err;                                  /* first error (0 or ERR_LIMIT) */
    unsigned depth;                           /* open containers */
    unsigned char first[LIM_JSON_DEPTH + 1];  /* 1 while a container is empty */
    unsigned char after_key;                  /* a key was just written */
    unsigned char is_obj[LIM_JSON_DEPTH + 1]; /* 1 when that container is an object */
    unsigned char done;                       /* a complete top-level value was written */
};

void json_init(struct json *j, struct buf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key); /* NULL is ERR_INVALID */
void json_keyn(struct json *j, const char *key, size_t len);
void json_str(struct json *j, const char *s); /* NULL writes null */
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v); /* non-finite writes null */
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* Insert already-valid JSON text as one value. */
void json_raw(struct json *j, const char *text, size_t len);
/* 0, or the first error; ERR_INVALID when containers are left open, a key
 * waits for its value, or nothing was written. */
int json_finish(struct json *j) MUST_CHECK;

/* Append s[0..len) as a quoted JSON string to out (escaping as above). */
int json_quote(struct buf *out, const char *s, size_t len) MUST_CHECK;

#endif
