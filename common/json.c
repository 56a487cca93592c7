/*
 * json.c: a JSON writer (RFC 8259).
 *
 * Strings: RFC 8259 section 7 requires '"', '\' and U+0000..U+001F to be
 * escaped; we write every control character as \u00XX (one rule, no
 * special cases), leave everything else as is, and replace each maximal
 * ill-formed UTF-8 subpart by U+FFFD (the Unicode Standard, section 3.9,
 * "U+FFFD Substitution of Maximal Subparts"), so the output is valid UTF-8
 * and valid JSON whatever bytes a packet, a pod name or a hostile .db held.
 *
 * Commas: first[d] is 1 while the container at depth d has no member yet;
 * a value or key written into a non-empty container is preceded by ','.
 * Level 0 is the top level, which takes exactly one value.
 */
#include "common/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/compat.h"

void json_init(struct json *j, struct buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
    j->first[0] = 1;
}

static void json_fail(struct json *j, int err)
{
    if (!j->err)
        j->err = err;
}

static void json_put(struct json *j, const char *s, size_t len)
{
    int rc;

    if (j->err)
        return;
    rc = buf_add(j->out, s, len);
    if (rc)
        json_fail(j, rc);
}

/* Bookkeeping before a value (scalar or container) at the current level:
 * a key must precede it inside an object; a comma separates it from an
 * earlier member of an array.  0 when the value may be written. */
static int json_before_value(struct json *j)
{
    if (j->err)
        return -1;
    if (j->depth == 0) {
        if (j->done) {
            json_fail(j, ERR_INVALID);
            return -1;
        }
        return 0;
    }
    if (j->is_obj[j->depth]) {
        if (!j->after_key) {
            json_fail(j, ERR_INVALID);
            return -1;
        }
        j->after_key = 0;
        return 0;
    }
    if (!j->first[j->depth])
        json_put(j, ",", 1);
    j->first[j->depth] = 0;
    return j->err ? -1 : 0;
}

/* Bookkeeping after a complete value. */
static void json_after_value(struct json *j)
{
    if (j->depth == 0)
        j->done = 1;
}

static void json_open(struct json *j, int obj)
{
    if (json_before_value(j))
        return;
    if (j->depth >= LIM_JSON_DEPTH) {
        json_fail(j, ERR_LIMIT);
        return;
    }
    json_put(j, obj ? "{" : "[", 1);
    j->depth++;
    j->first[j->depth] = 1;
    j->is_obj[j->depth] = (unsigned char)obj;
}

static void json_close(struct json *j, int obj)
{
    if (j->err)
        return;
    if (j->depth == 0 || j->is_obj[j->depth] != obj || j->after_key) {
        json_fail(j, ERR_INVALID);
        return;
    }
    json_put(j, obj ? "}" : "]", 1);
    j->depth--;
    json_after_value(j);
}

void json_obj_begin(struct json *j)
{
    json_open(j, 1);
}

void json_obj_end(struct json *j)
{
    json_close(j, 1);
}

void json_arr_begin(struct json *j)
{
    json_open(j, 0);
}

void json_arr_end(struct json *j)
{
    json_close(j, 0);
}

void json_keyn(struct json *j, const char *key, size_t len)
{
    int rc;

    if (j->err)
        return;
    if (!key || j->depth == 0 || !j->is_obj[j->depth] || j->after_key) {
        json_fail(j, ERR_INVALID);
        return;
    }
    if (!j->first[j->depth])
        json_put(j, ",", 1);
    j->first[j->depth] = 0;
    if (j->err)
        return;
    rc = json_quote(j->out, key, len);
    if (rc) {
        json_fail(j, rc);
        return;
    }
    json_put(j, ":", 1);
    j->after_key = 1;
}

void json_key(struct json *j, const char *key)
{
    json_keyn(j, key, key ? strlen(key) : 0);
}

/* A scalar value already in JSON form. */
static void json_scalar(struct json *j, const char *text, size_t len)
{
    if (json_before_value(j))
        return;
    json_put(j, text, len);
    json_after_value(j);
}

void json_strn(struct json *j, const char *s, size_t len)
{
    int rc;

    if (!s) {
        json_null(j);
        return;
    }
    if (json_before_value(j))
        return;
    rc = json_quote(j->out, s, len);
    if (rc)
        json_fail(j, rc);
    json_after_value(j);
}

void json_str(struct json *j, const char *s)
{
    json_strn(j, s, s ? strlen(s) : 0);
}

/* A number, written by buf_addi() or buf_addu() (not snprintf(): a record
 * per flow writes several). */
static void json_number(struct json *j, int64_t i, uint64_t u, int is_signed)
{
    int rc;

    if (json_before_value(j))
        return;
    rc = is_signed ? buf_addi(j->out, i) : buf_addu(j->out, u);
    if (rc)
        json_fail(j, rc);
    json_after_value(j);
}

void json_int(struct json *j, int64_t v)
{
    json_number(j, v, 0, 1);
}

void json_uint(struct json *j, uint64_t v)
{
    json_number(j, 0, v, 0);
}

void json_double(struct json *j, double v)
{
    char tmp[40];
    int n = 0;

    if (!isfinite(v)) {
        json_null(j);
        return;
    }
    /* The shortest %.Ng that reads back as the same double; %g never
     * prints "inf"/"nan" for finite values, and its exponent form (1e+20)
     * is valid JSON. */
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    json_scalar(j, tmp, (size_t)n);
}

void json_bool(struct json *j, int v)
{
    if (v)
        json_scalar(j, "true", 4);
    else
        json_scalar(j, "false", 5);
}

void json_null(struct json *j)
{
    json_scalar(j, "null", 4);
}

void json_raw(struct json *j, const char *text, size_t len)
{
    json_scalar(j, text, len);
}

int json_finish(struct json *j)
{
    if (j->err)
        return j->err;
    if (j->depth != 0 || j->after_key || !j->done)
        return ERR_INVALID;
    return 0;
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..len), or 0 when it is
 * ill-formed, with *bad set to the length of the maximal ill-formed subpart
 * to replace (at least 1).  Table 3-7 of the Unicode Standard:
 *
 *     U+0000..U+007F     00..7F
 *     U+0080..U+07FF     C2..DF 80..BF
 *     U+0800..U+0FFF     E0     A0..BF 80..BF
 *     U+1000..U+CFFF     E1..EC 80..BF 80..BF
 *     U+D000..U+D7FF     ED     80..9F 80..BF      (no surrogates)
 *     U+E000..U+FFFF     EE..EF 80..BF 80..BF
 *     U+10000..U+3FFFF   F0     90..BF 80..BF 80..BF
 *     U+40000..U+FFFFF   F1..F3 80..BF 80..BF 80..BF
 *     U+100000..U+10FFFF F4     80..8F 80..BF 80..BF
 */
static size_t utf8_seq(const unsigned char *s, size_t len, size_t *bad)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        *bad = 1; /* 80..C1, F5..FF never start a sequence */
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= len || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need;
}

/* Eight bytes at p that a JSON string takes as they are: none below 0x20,
 * no '"', no '\\', none of 0x80 or more (UTF-8 is checked byte by byte).
 * Word tricks as in term_safe(): a byte below n borrows its high bit in
 * w - n..; a byte equal to c is a zero byte of w ^ c.., found the same way
 * with n = 1.  A false alarm only sends the bytes to the byte loop. */
/* A string this long or shorter with nothing to escape is written in one
 * piece by json_quote(). */
#define JSON_SHORT 62

static int plain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t w, q, b;

    memcpy(&w, p, 8);
    q = w ^ ('"' * ones);
    b = w ^ ('\\' * ones);
    return (((w - 0x20 * ones) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & highs ? 0 : 1;
}

int json_quote(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t start = out->len;
    size_t i = 0;
    size_t run = 0; /* start of bytes that need no escaping */
    int rc;

    /* The common case: nothing to escape, a short string (keys, names,
     * addresses): one copy, quotes and all. */
    while (len - i >= 8 && plain8(p + i))
        i += 8;
    while (i < len && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\' && p[i] < 0x80)
        i++;
    if (i == len && len <= JSON_SHORT) {
        char tmp[JSON_SHORT + 2];

        tmp[0] = '"';
        memcpy(tmp + 1, s, len);
        tmp[len + 1] = '"';
        return buf_add(out, tmp, len + 2); /* unchanged on failure */
    }
    rc = buf_addch(out, '"');
    while (!rc && i < len) {
        unsigned char c = p[i];
        char esc[6];
        size_t n, bad = 0;

        if (len - i >= 8 && plain8(p + i)) {
            i += 8;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            n = utf8_seq(p + i, len - i, &bad);
            if (n) {
                i += n;
                continue;
            }
        }
        rc = buf_add(out, s + run, i - run);
        if (rc)
            break;
        if (bad) {
            rc = buf_add(out, "\xef\xbf\xbd", 3); /* U+FFFD */
            i += bad;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            rc = buf_add(out, esc, 2);
            i++;
        } else {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            rc = buf_add(out, esc, 6);
            i++;
        }
        run = i;
    }
    if (!rc)
        rc = buf_add(out, s + run, i - run);
    if (!rc)
        rc = buf_addch(out, '"');
    if (rc) {
        /* Leave the buffer as it was: no half-written string. */
        out->len = start;
        if (out->alloc)
            out->data[start] = '\0';
    }
    return rc;
}
