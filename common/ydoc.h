/*
 * ydoc.h: a document tree over libyaml that keeps line:column for every
 * node and reads YAML and JSON alike (kubectl and calicoctl print either).
 *
 * A stream (file or stdin) holds one or more documents ("---"); each is a
 * tree of scalars, sequences and mappings allocated in the stream's arena
 * and freed with it.  Anchors and aliases are refused (nothing we read
 * needs them, and alias expansion is the classic YAML bomb).  Depth, scalar
 * size, file size and node count are bounded by common/limits.h.  Errors,
 * whether from libyaml or from a limit, are reported through the diag as
 * "file:line:col: error: message" with 1-based positions.
 *
 * Typed access helpers report a node of the wrong type the same way:
 *     pods.yaml:7:12: error: expected a mapping for 'metadata', found a sequence
 * Columns count characters, not bytes.
 *
 * JSON is read as YAML flow style, with two differences from a JSON parser:
 * escapes of surrogate pairs ("\ud83d\ude00"), which libyaml refuses, are
 * rewritten on the fly in the first JSON value of the input (columns after
 * one on its line are 2 less than in the text); keys longer than 1024
 * characters are refused (YAML's limit on implicit keys).  Both are tested
 * in tests/test_ydoc.c.  Keys compare by text: "1" and 1 are duplicates.
 */
#ifndef PODFLOW_YDOC_H
#define PODFLOW_YDOC_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/attrs.h"

struct diag;

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

/* How a scalar was written: plain scalars may be null, bools or numbers;
 * quoted ones (and block literals) are always strings. */
enum yscalar_style { YSCALAR_PLAIN, YSCALAR_QUOTED };

struct ynode;

struct ypair {
    struct ynode *key; /* a scalar (non-scalar keys are refused) */
    struct ynode *value;
};

struct ynode {
    enum ynode_kind kind;
    unsigned line, col; /* 1-based position of the node's start */
    union {
        struct {
            char *s;    /* NUL-terminated, arena-owned */
            size_t len; /* bytes, excluding the NUL */
            enum yscalar_style style;
        } scalar;
        struct {
            struct ynode **items; /* arena-owned */
            size_t n;
        } seq;
        struct {
            struct ypair *pairs; /* arena-owned, in document order */
            size_t n;
        } map;
    } u;
};

struct ystream {
    const char *name;    /* file name for messages ("<stdin>" for stdin), owned copy */
    struct ynode **docs; /* arena-owned; an empty document is a NULL entry */
    size_t ndocs;
    struct arena arena; /* owns every node */
};

/*
 * Load every document of path ("-" for stdin) into caller-owned ys.
 * On success returns 0.  On failure reports through d and returns
 * ERR_PARSE (not YAML/JSON), ERR_LIMIT, or -errno (cannot read); ys is then
 * released.  Mapping keys that repeat are an error (JSON and YAML both say
 * keys are unique).
 */
int ystream_load_file(struct ystream *ys, const char *path, struct diag *d) MUST_CHECK;
/* Same from memory; name is used in messages. */
int ystream_load_mem(struct ystream *ys, const char *name, const char *data, size_t len,
                     struct diag *d) MUST_CHECK;
void ystream_release(struct ystream *ys);

/*
 * One object at a time, for inputs too large to hold as one tree (the
 * inventory of a 100k-pod cluster is ~13M nodes, ~750 MB as a tree).
 * fn is called with each element of a "items" sequence at the top of a
 * document mapping (kind List, PodList, NetworkPolicyList...) as soon as
 * it is complete, with in_list 1; then with each document's root, in_list
 * 0; a List's root comes after its elements, with "items" an empty
 * sequence (kubectl prints "kind: List" after "items", so the List's kind
 * is known only then).  An empty document is a NULL obj.  obj and its
 * nodes live only during the call: their memory is reused for the next
 * object.  ys is for messages (ynode_report() and the typed helpers); its
 * docs and ndocs are not filled in.  LIM_YAML_NODES applies per object.
 *
 * fn returns 0 to go on, or a negative value to stop; that value is then
 * returned, with no further message.  Otherwise as ystream_load_file():
 * 0, ERR_PARSE, ERR_LIMIT or -errno with a message through d; objects
 * already passed to fn stay passed when a later part of the input is bad.
 */
typedef int (*ystream_each_fn)(void *ctx, const struct ystream *ys, const struct ynode *obj,
                               int in_list);
int ystream_each_file(const char *path, ystream_each_fn fn, void *ctx, struct diag *d) MUST_CHECK;
int ystream_each_mem(const char *name, const char *data, size_t len, ystream_each_fn fn, void *ctx,
                     struct diag *d) MUST_CHECK;

/* A deep copy of n (NULL for NULL) in arena a, e.g. to keep an object
 * passed to a ystream_each_fn beyond the call.  Depth is bounded by the
 * loader's LIM_YAML_DEPTH, so the recursion is too. */
struct ynode *ynode_clone(struct arena *a, const struct ynode *n);

/* Kind names for messages: "a scalar", "a sequence", "a mapping". */
const char *ynode_kind_name(enum ynode_kind k);

/* Value for key in map, or NULL when absent (or map is not a mapping). */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* 1 when n is absent or a plain null scalar (null, ~, Null, NULL, empty). */
int ynode_is_null(const struct ynode *n);

/*
 * Typed access.  Each checks n's kind and, on a mismatch, reports
 * "expected <what> for '<what_for>', found <kind>" at n's position through
 * d (when d is not NULL) and returns ERR_INVALID.  what_for names the field
 * for the message (e.g. "metadata.labels").
 */
int ynode_expect(struct diag *d, const struct ystream *ys, const struct ynode *n,
                 enum ynode_kind kind, const char *what_for) MUST_CHECK;
/* A scalar that is a string (any style; plain null is refused). */
int ynode_str(struct diag *d, const struct ystream *ys, const struct ynode *n, const char *what_for,
              const char **out) MUST_CHECK;
/* A scalar integer in [min, max] (plain or quoted digits; "0x" refused). */
int ynode_int(struct diag *d, const struct ystream *ys, const struct ynode *n, const char *what_for,
              int64_t min, int64_t max, int64_t *out) MUST_CHECK;
/* A finite number (int or float). */
int ynode_double(struct diag *d, const struct ystream *ys, const struct ynode *n,
                 const char *what_for, double *out) MUST_CHECK;
/* A plain true/false (YAML 1.1 spellings true/false/True/False/TRUE/FALSE). */
int ynode_bool(struct diag *d, const struct ystream *ys, const struct ynode *n,
               const char *what_for, int *out) MUST_CHECK;

/* Report "file:line:col: level: message" at n's position (n may be NULL:
 * no position). */
void ynode_report(struct diag *d, const struct ystream *ys, const struct ynode *n, int level,
                  const char *fmt, ...) PRINTF_LIKE(5, 6);

#endif
