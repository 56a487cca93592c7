/*
 * labels.h: sets of key/value labels, kept sorted by key (byte order), with
 * JSON encode/decode for the .db (a JSON object of strings, keys sorted).
 * Keys are unique; setting an existing key replaces its value.
 */
#ifndef PODFLOW_LABELS_H
#define PODFLOW_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

struct buf;

struct label {
    char *key;   /* malloc'd, owned: one block with the value */
    char *value; /* in key's block, after its NUL; "" allowed */
};

struct labels {
    struct label *v; /* malloc'd array sorted by key, owned */
    size_t n;        /* labels in use */
    size_t alloc;    /* array capacity */
};

void labels_init(struct labels *l);
void labels_release(struct labels *l);
/* Deep copy of src into caller-owned dst (initialised here). */
void labels_copy(struct labels *dst, const struct labels *src);

/* Set key to value (copied); 0, or ERR_LIMIT past LIM_LABELS labels or a
 * key/value longer than LIM_LABEL_KEY/LIM_LABEL_VALUE (l is unchanged). */
int labels_set(struct labels *l, const char *key, const char *value) MUST_CHECK;
/* Same with lengths (key and value need not be NUL-terminated); a NUL
 * byte inside key or value is ERR_INVALID. */
int labels_setn(struct labels *l, const char *key, size_t klen, const char *value,
                size_t vlen) MUST_CHECK;
/* Remove key if present. */
void labels_del(struct labels *l, const char *key);
/* Value of key, or NULL when absent. */
const char *labels_get(const struct labels *l, const char *key);

/* Order and hash of whole sets (for caches keyed by label set). */
int labels_cmp(const struct labels *x, const struct labels *y);
uint64_t labels_hash(const struct labels *l, uint64_t seed);

/* Append the JSON object form ({"a":"1","b":"2"}, keys sorted) to out. */
int labels_to_json(const struct labels *l, struct buf *out) MUST_CHECK;
/*
 * Parse a JSON object whose values are strings (numbers, booleans and null
 * are accepted and kept as their text, since a hostile or hand-made .db may
 * hold them) from s[0..len) into l (initialised here; on error l is left
 * empty).  Nested objects and arrays, a key given twice, invalid UTF-8,
 * \u0000 and unpaired surrogates are ERR_PARSE.  Limits: LIM_LABELS_JSON,
 * LIM_LABELS, LIM_LABEL_KEY, LIM_LABEL_VALUE.  0, ERR_PARSE or ERR_LIMIT.
 */
int labels_from_json(struct labels *l, const char *s, size_t len) MUST_CHECK;

#endif
