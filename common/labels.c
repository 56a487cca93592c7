/*
 * labels.c: sorted label sets and their JSON form.
 *
 * The set is an array sorted by key in byte order (memcmp, as Go sorts
 * strings, so our JSON matches what kubectl and Calico print), searched by
 * bisection.  Sets are small (a handful of labels), so insertion by moving
 * the tail is cheaper than anything cleverer.
 *
 * labels_from_json() reads labels back from a .db, which may come from a
 * stranger: it is a strict RFC 8259 parser for exactly one object of
 * scalars, bounded by common/limits.h, that never recurses.  Choices:
 *   - values that are numbers, true, false or null are kept as their text
 *     (a hand-made .db may hold {"tier": 1}); nested objects and arrays are
 *     refused, since no label value can be one;
 *   - a key that appears twice is an error (ERR_PARSE), not "last wins":
 *     our writer never repeats a key, so a repeat means the text was made by
 *     something else, and picking one value silently could make a selector
 *     match differently from what the author of that text meant;
 *   - strings must be valid UTF-8 and may not contain U+0000 (labels are C
 *     strings) or unpaired surrogates (\ud800 alone), which are not Unicode
 *     text.
 */
#include "common/labels.h"

#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

void labels_init(struct labels *l)
{
    l->v = NULL;
    l->n = 0;
    l->alloc = 0;
}

void labels_release(struct labels *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].key); /* the value with it */
    free(l->v);
    labels_init(l);
}

/* Key and value in one block (key, NUL, value, NUL): one allocation a
 * label, not two (a case's pods hold some 15 labels each). */
static void label_fill(struct label *lb, const char *key, size_t klen, const char *value,
                       size_t vlen)
{
    char *p = xmalloc(klen + vlen + 2); /* both bounded by the limits */

    memcpy(p, key, klen);
    p[klen] = '\0';
    memcpy(p + klen + 1, value, vlen);
    p[klen + 1 + vlen] = '\0';
    lb->key = p;
    lb->value = p + klen + 1;
}

void labels_copy(struct labels *dst, const struct labels *src)
{
    labels_init(dst);
    if (!src->n)
        return;
    dst->v = xreallocarray(NULL, src->n, sizeof(*dst->v));
    dst->alloc = src->n;
    for (size_t i = 0; i < src->n; i++)
        label_fill(&dst->v[i], src->v[i].key, strlen(src->v[i].key), src->v[i].value,
                   strlen(src->v[i].value));
    dst->n = src->n;
}

/* memcmp order of a[0..alen) against the NUL-terminated b. */
static int key_cmp(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Index of key, or of where it would be inserted; *found says which. */
static size_t labels_find(const struct labels *l, const char *key, size_t klen, int *found)
{
    size_t lo = 0, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(key, klen, l->v[mid].key);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = 0;
    return lo;
}

int labels_setn(struct labels *l, const char *key, size_t klen, const char *value, size_t vlen)
{
    size_t i;
    int found;

    if (klen > LIM_LABEL_KEY || vlen > LIM_LABEL_VALUE)
        return ERR_LIMIT;
    /* Labels are C strings: an embedded NUL would cut the key short. */
    if (memchr(key, '\0', klen) || memchr(value, '\0', vlen))
        return ERR_INVALID;
    i = labels_find(l, key, klen, &found);
    if (found) {
        char *old = l->v[i].key;

        label_fill(&l->v[i], key, klen, value, vlen);
        free(old);
        return 0;
    }
    if (l->n >= LIM_LABELS)
        return ERR_LIMIT;
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof(*l->v));
    label_fill(&l->v[i], key, klen, value, vlen);
    l->n++;
    return 0;
}

int labels_set(struct labels *l, const char *key, const char *value)
{
    return labels_setn(l, key, strlen(key), value, strlen(value));
}

void labels_del(struct labels *l, const char *key)
{
    int found;
    size_t i = labels_find(l, key, strlen(key), &found);

    if (!found)
        return;
    free(l->v[i].key);
    memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
    l->n--;
}

const char *labels_get(const struct labels *l, const char *key)
{
    int found;
    size_t i = labels_find(l, key, strlen(key), &found);

    return found ? l->v[i].value : NULL;
}

int labels_cmp(const struct labels *x, const struct labels *y)
{
    size_t n = x->n < y->n ? x->n : y->n;

    for (size_t i = 0; i < n; i++) {
        int c = strcmp(x->v[i].key, y->v[i].key);
        if (c)
            return c < 0 ? -1 : 1;
        c = strcmp(x->v[i].value, y->v[i].value);
        if (c)
            return c < 0 ? -1 : 1;
    }
    return x->n < y->n ? -1 : x->n > y->n ? 1 : 0;
}

/* Each key and value chained through hash_str(): the length of each is
 * hashed too, so {"ab":""} and {"a":"b"} differ. */
uint64_t labels_hash(const struct labels *l, uint64_t seed)
{
    uint64_t h = hash_u64(l->n, seed);

    for (size_t i = 0; i < l->n; i++) {
        h = hash_str(l->v[i].key, h);
        h = hash_str(l->v[i].value, h);
    }
    return h;
}

int labels_to_json(const struct labels *l, struct buf *out)
{
    size_t start = out->len;
    int rc = buf_addch(out, '{');

    for (size_t i = 0; !rc && i < l->n; i++) {
        if (i)
            rc = buf_addch(out, ',');
        if (!rc)
            rc = json_quote(out, l->v[i].key, strlen(l->v[i].key));
        if (!rc)
            rc = buf_addch(out, ':');
        if (!rc)
            rc = json_quote(out, l->v[i].value, strlen(l->v[i].value));
    }
    if (!rc)
        rc = buf_addch(out, '}');
    if (rc) {
        out->len = start;
        if (out->alloc)
            out->data[start] = '\0';
    }
    return rc;
}

/* ---- the reader ---------------------------------------------------------- */

struct jlex {
    const char *s; /* the text, not owned */
    size_t len;    /* its length */
    size_t pos;    /* next byte */
};

/* ws := ( %x20 / %x09 / %x0A / %x0D )* */
static void jl_ws(struct jlex *x)
{
    while (x->pos < x->len) {
        char c = x->s[x->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        x->pos++;
    }
}

/* Four hex digits of a \u escape at x->pos. */
static int jl_hex4(struct jlex *x, unsigned *out)
{
    unsigned v = 0;

    if (x->len - x->pos < 4)
        return ERR_PARSE;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit(x->s[x->pos + (size_t)i]);
        if (h < 0)
            return ERR_PARSE;
        v = v << 4 | (unsigned)h;
    }
    x->pos += 4;
    *out = v;
    return 0;
}

static int put_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_add(b, u, n);
}

/* An unescaped byte that stands for itself: ASCII, not '"', '\\' or a
 * control byte. */
static int jl_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * string := '"' char* '"'
 * char   := unescaped / '\' ( '"' / '\' / '/' / 'b' / 'f' / 'n' / 'r' / 't' / 'u' 4HEXDIG )
 * unescaped := %x20-21 / %x23-5B / %x5D-10FFFF      (RFC 8259 section 7)
 *
 * x->pos is at the opening quote.  The decoded text goes into out (reset
 * first), at most max bytes (ERR_LIMIT past it).
 */
static int jl_string(struct jlex *x, struct buf *out, size_t max)
{
    int rc = 0;

    buf_reset(out);
    x->pos++;
    for (;;) {
        unsigned char c;

        if (x->pos >= x->len)
            return ERR_PARSE; /* unterminated */
        c = (unsigned char)x->s[x->pos];
        if (c == '"') {
            x->pos++;
            break;
        }
        if (c < 0x20)
            return ERR_PARSE;
        if (c == '\\') {
            unsigned cp, lo;
            char e;

            if (x->pos + 1 >= x->len)
                return ERR_PARSE;
            e = x->s[x->pos + 1];
            x->pos += 2;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                rc = buf_addch(out, e);
                break;
            case 'b':
                rc = buf_addch(out, '\b');
                break;
            case 'f':
                rc = buf_addch(out, '\f');
                break;
            case 'n':
                rc = buf_addch(out, '\n');
                break;
            case 'r':
                rc = buf_addch(out, '\r');
                break;
            case 't':
                rc = buf_addch(out, '\t');
                break;
            case 'u':
                if (jl_hex4(x, &cp))
                    return ERR_PARSE;
                if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
                    return ERR_PARSE; /* NUL, or a low surrogate alone */
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    /* A high surrogate must be followed by \u + low. */
                    if (x->len - x->pos < 2 || x->s[x->pos] != '\\' || x->s[x->pos + 1] != 'u')
                        return ERR_PARSE;
                    x->pos += 2;
                    if (jl_hex4(x, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return ERR_PARSE;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                rc = put_utf8(out, cp);
                break;
            default:
                return ERR_PARSE;
            }
        } else if (c < 0x80) {
            /* A run of plain ASCII (no quote, backslash or control byte)
             * is added at once: it cannot hold an error, and the limit is
             * checked below as after each byte (labels are mostly ASCII). */
            size_t end = x->pos + 1;

            while (end < x->len && jl_plain((unsigned char)x->s[end]))
                end++;
            rc = buf_add(out, x->s + x->pos, end - x->pos);
            x->pos = end;
        } else {
            size_t n = utf8_len((const unsigned char *)x->s + x->pos, x->len - x->pos);
            if (!n)
                return ERR_PARSE;
            rc = buf_add(out, x->s + x->pos, n);
            x->pos += n;
        }
        if (rc)
            return rc;
        if (out->len > max)
            return ERR_LIMIT;
    }
    return 0;
}

/* number := [ '-' ] int [ frac ] [ exp ]; int := '0' / digit1-9 *DIGIT;
 * frac := '.' 1*DIGIT; exp := ('e' / 'E') [ '-' / '+' ] 1*DIGIT */
static int jl_number(struct jlex *x)
{
    const char *s = x->s;
    size_t p = x->pos, n = x->len;
    size_t d;

    if (p < n && s[p] == '-')
        p++;
    if (p < n && s[p] == '0') {
        p++;
    } else {
        for (d = p; p < n && s[p] >= '0' && s[p] <= '9'; p++)
            ;
        if (p == d)
            return ERR_PARSE;
    }
    if (p < n && s[p] == '.') {
        p++;
        for (d = p; p < n && s[p] >= '0' && s[p] <= '9'; p++)
            ;
        if (p == d)
            return ERR_PARSE;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-'))
            p++;
        for (d = p; p < n && s[p] >= '0' && s[p] <= '9'; p++)
            ;
        if (p == d)
            return ERR_PARSE;
    }
    x->pos = p;
    return 0;
}

static int jl_word(struct jlex *x, const char *w)
{
    size_t n = strlen(w);

    if (x->len - x->pos < n || memcmp(x->s + x->pos, w, n) != 0)
        return ERR_PARSE;
    x->pos += n;
    return 0;
}

/*
 * value := string / number / 'true' / 'false' / 'null'
 *          (objects and arrays are refused: a label value is a scalar)
 * Strings are decoded into out; other scalars are copied as their text.
 */
static int jl_value(struct jlex *x, struct buf *out, size_t max)
{
    size_t start = x->pos;
    int rc;

    if (x->pos >= x->len)
        return ERR_PARSE;
    switch (x->s[x->pos]) {
    case '"':
        return jl_string(x, out, max);
    case 't':
        rc = jl_word(x, "true");
        break;
    case 'f':
        rc = jl_word(x, "false");
        break;
    case 'n':
        rc = jl_word(x, "null");
        break;
    default:
        rc = jl_number(x);
        break;
    }
    if (rc)
        return rc;
    if (x->pos - start > max)
        return ERR_LIMIT;
    buf_reset(out);
    return buf_add(out, x->s + start, x->pos - start);
}

/*
 * text   := ws object ws
 * object := '{' ws [ member *( ws ',' ws member ) ] ws '}'
 * member := string ws ':' ws value
 */
int labels_from_json(struct labels *l, const char *s, size_t len)
{
    struct jlex x = {s, len, 0};
    struct buf key, val;
    int rc = 0;

    labels_init(l);
    if (len > LIM_LABELS_JSON)
        return ERR_LIMIT;
    /* The buffers' own maxima are a backstop: the limits are checked as
     * each string is decoded. */
    buf_init(&key, LIM_LABEL_KEY + 8);
    buf_init(&val, LIM_LABEL_VALUE + 8);
    jl_ws(&x);
    if (x.pos >= x.len || x.s[x.pos] != '{') {
        rc = ERR_PARSE;
        goto out;
    }
    x.pos++;
    jl_ws(&x);
    if (x.pos < x.len && x.s[x.pos] == '}') {
        x.pos++;
        goto end;
    }
    for (;;) {
        int found;

        if (x.pos >= x.len || x.s[x.pos] != '"') {
            rc = ERR_PARSE;
            goto out;
        }
        rc = jl_string(&x, &key, LIM_LABEL_KEY);
        if (rc)
            goto out;
        jl_ws(&x);
        if (x.pos >= x.len || x.s[x.pos] != ':') {
            rc = ERR_PARSE;
            goto out;
        }
        x.pos++;
        jl_ws(&x);
        rc = jl_value(&x, &val, LIM_LABEL_VALUE);
        if (rc)
            goto out;
        labels_find(l, key.data, key.len, &found);
        if (found) {
            rc = ERR_PARSE; /* duplicate key: see the top of this file */
            goto out;
        }
        rc = labels_setn(l, key.data, key.len, val.data, val.len);
        if (rc)
            goto out;
        jl_ws(&x);
        if (x.pos < x.len && x.s[x.pos] == ',') {
            x.pos++;
            jl_ws(&x);
            continue;
        }
        if (x.pos < x.len && x.s[x.pos] == '}') {
            x.pos++;
            break;
        }
        rc = ERR_PARSE;
        goto out;
    }
end:
    jl_ws(&x);
    if (x.pos != x.len)
        rc = ERR_PARSE; /* trailing text */
out:
    buf_release(&key);
    buf_release(&val);
    if (rc)
        labels_release(l);
    return rc;
}
