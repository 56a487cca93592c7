/*
 * ydoc.c: load YAML and JSON streams into a tree that remembers where each
 * node started, using libyaml's event API (after Suricata's
 * conf-yaml-loader.c).
 *
 * One loop pulls events; each iteration ends at next: or fail:, both of
 * which call yaml_event_delete().  A collection's children are gathered on
 * one growable stack shared by every open collection: when a collection
 * closes, its children are the top of the stack, copied into an array of
 * the exact size in the arena and popped.  So the tree itself costs no
 * malloc per node, and the stack's high-water mark is the widest open path,
 * not the document.  Nodes and scalar text are carved from arena slabs with
 * their natural alignment (the arena rounds every request to 16 bytes,
 * which would cost a third more on a 100k-pod inventory).
 *
 * Files are read in streaming fashion through a libyaml read handler, so
 * the raw text of a 200 MB inventory is never held in memory whole; the
 * handler also enforces LIM_YAML_FILE and keeps errno for the message.
 *
 * Positions: libyaml marks are zero-based and count characters, not bytes;
 * we add one to both.
 */
#include "common/ydoc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/ydoc_int.h"
#include "common/compat.h"

#define YTAG_STR "tag:yaml.org,2002:str"
#define YTAG_SEQ "tag:yaml.org,2002:seq"
#define YTAG_MAP "tag:yaml.org,2002:map"

/* Maps with more keys than this are checked for duplicates by sorting
 * rather than by comparing every pair. */
#define YDUP_LINEAR 8

/* Bytes of a scalar shown in a message. */
#define YQUOTE_MAX 48

static const struct ylimits ylimits_default = {
    LIM_YAML_DEPTH,
    LIM_YAML_SCALAR,
    LIM_YAML_FILE,
    LIM_YAML_NODES,
};

/* An open collection: its node and where its children start on the stack. */
struct yframe {
    struct ynode *node; /* arena-owned, filled in when it closes */
    size_t base;        /* index into yload.stack of its first child */
};

/* The state of one load. */
struct yload {
    struct ystream *ys;         /* being filled */
    struct diag *d;             /* for messages */
    const struct ylimits *lim;  /* limits in force */
    yaml_parser_t parser;       /* libyaml's state, owned */

    /* Input: a file descriptor, or memory when fd < 0. */
    int fd;                     /* not owned when it is stdin */
    const char *mem;            /* memory input, not owned */
    size_t mem_len;             /* bytes at mem */
    size_t mem_off;             /* bytes of mem handed to libyaml */
    size_t nread;               /* bytes handed to libyaml so far */
    int read_errno;             /* errno of a failed read, else 0 */
    int too_big;                /* input passed lim->file */

    /* The tree under construction. */
    struct ynode **stack;       /* malloc'd: children of open collections, then roots */
    size_t nstack, astack;      /* entries used, allocated */
    struct yframe frames[LIM_YAML_DEPTH + 1]; /* open collections, outermost first */
    unsigned depth;             /* entries of frames[] in use */
    size_t nodes;               /* nodes made so far */

    /* Arena slab from which nodes and text are carved. */
    char *slab;                 /* next free byte, arena-owned */
    size_t slab_left;           /* bytes left at slab */
    size_t slab_size;           /* size of a new slab */

    const struct ypair **sorted; /* malloc'd scratch for the duplicate check */
    size_t asorted;              /* entries allocated */
};

static unsigned ypos(size_t zero_based)
{
    return zero_based >= UINT_MAX - 1 ? UINT_MAX : (unsigned)zero_based + 1;
}

static void yerr_at(struct yload *l, yaml_mark_t mark, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
static void yerr_at(struct yload *l, yaml_mark_t mark, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vat(l->d, DIAG_ERROR, l->ys->name, ypos(mark.line), ypos(mark.column), fmt, ap);
    va_end(ap);
}

/*
 * Write s[0..len) into out as a quoted string for a message: 'text', with
 * quotes, backslashes and non-printable bytes escaped and anything past
 * YQUOTE_MAX bytes cut to "...".
 */
static const char *yquote(char *out, size_t size, const char *s, size_t len)
{
    size_t o = 0, i;

    if (size < YQUOTE_MAX * 4 + 8)
        return "'?'";
    out[o++] = '\'';
    for (i = 0; i < len && i < YQUOTE_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c; /* UTF-8 passes through */
        }
    }
    out[o++] = '\'';
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* Carve size bytes aligned to align (a power of two) from the slab; large
 * requests go to the arena directly so that slabs are not wasted. */
static void *yload_alloc(struct yload *l, size_t size, size_t align)
{
    size_t pad;
    char *p;

    if (size > l->slab_size / 8)
        return arena_alloc(&l->ys->arena, size);
    pad = (size_t)(-(uintptr_t)l->slab & (align - 1));
    if (!l->slab || l->slab_left < pad + size) {
        l->slab = arena_alloc(&l->ys->arena, l->slab_size);
        l->slab_left = l->slab_size;
        pad = 0;
    }
    p = l->slab + pad;
    l->slab += pad + size;
    l->slab_left -= pad + size;
    return p;
}

/*
 * libyaml read handler: hand out up to size bytes of input.  Returns 1 with
 * *size_read 0 at the end, 0 on failure (libyaml then reports "input
 * error", which yload_parse_error() replaces by our own message).
 */
static int yload_read(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
    struct yload *l = data;
    size_t n;

    *size_read = 0;
    if (l->fd < 0) {
        n = l->mem_len - l->mem_off;
        if (n > size)
            n = size;
        memcpy(buffer, l->mem + l->mem_off, n);
        l->mem_off += n;
    } else {
        ssize_t r;

        do {
            r = read(l->fd, buffer, size);
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
            l->read_errno = errno ? errno : EIO;
            return 0;
        }
        n = (size_t)r;
    }
    l->nread += n;
    if (l->nread > l->lim->file) {
        l->too_big = 1;
        return 0;
    }
    *size_read = n;
    return 1;
}

/* Report libyaml's failure (or ours inside its read handler). */
static int yload_parse_error(struct yload *l)
{
    const yaml_parser_t *p = &l->parser;
    const char *problem = p->problem ? p->problem : "unknown error";

    if (l->read_errno) {
        diag_err(l->d, "cannot read '%s': %s", l->ys->name, strerror(l->read_errno));
        return -l->read_errno;
    }
    if (l->too_big) {
        diag_at(l->d, DIAG_ERROR, l->ys->name, 0, 0,
                "input is larger than %zu bytes (LIM_YAML_FILE)", l->lim->file);
        return ERR_LIMIT;
    }
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        /* Out of memory is fatal everywhere else too (common/xmalloc.h). */
        fprintf(stderr, "fatal: libyaml is out of memory\n");
        abort();
    case YAML_READER_ERROR:
        /* Encoding errors: libyaml gives a byte offset, not a mark. */
        if (p->problem_value != -1)
            diag_at(l->d, DIAG_ERROR, l->ys->name, 0, 0, "%s #x%02X at byte offset %zu", problem,
                    (unsigned)p->problem_value, p->problem_offset);
        else
            diag_at(l->d, DIAG_ERROR, l->ys->name, 0, 0, "%s at byte offset %zu", problem,
                    p->problem_offset);
        return ERR_PARSE;
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
        if (p->context)
            yerr_at(l, p->problem_mark, "%s (%s at %u:%u)", problem, p->context,
                    ypos(p->context_mark.line), ypos(p->context_mark.column));
        else
            yerr_at(l, p->problem_mark, "%s", problem);
        return ERR_PARSE;
    case YAML_NO_ERROR:
    case YAML_COMPOSER_ERROR:
    case YAML_WRITER_ERROR:
    case YAML_EMITTER_ERROR:
        break;
    }
    diag_at(l->d, DIAG_ERROR, l->ys->name, 0, 0, "cannot parse: %s", problem);
    return ERR_PARSE;
}

static void yload_push(struct yload *l, struct ynode *n)
{
    ALLOC_GROW(l->stack, l->nstack + 1, l->astack);
    l->stack[l->nstack++] = n;
}

/*
 * What every node event checks before a node is made: no anchor, no tag we
 * do not understand, the node budget, and that a mapping key is a scalar.
 * *quoted is set when a !!str tag makes a plain scalar a string.
 */
static int yload_check_node(struct yload *l, const yaml_event_t *ev, const yaml_char_t *anchor,
                            const yaml_char_t *tag, enum ynode_kind kind, int *quoted)
{
    static const char *const ok_tag[] = {YTAG_STR, YTAG_SEQ, YTAG_MAP};
    char q[YQUOTE_MAX * 4 + 8];

    if (anchor) {
        yerr_at(l, ev->start_mark, "anchors and aliases are not supported (anchor '&%s')",
                (const char *)anchor);
        return ERR_PARSE;
    }
    if (tag) {
        if (strcmp((const char *)tag, ok_tag[kind]) != 0) {
            yerr_at(l, ev->start_mark, "tag %s is not supported",
                    yquote(q, sizeof(q), (const char *)tag, strlen((const char *)tag)));
            return ERR_PARSE;
        }
        if (kind == YNODE_SCALAR)
            *quoted = 1;
    }
    if (l->nodes >= l->lim->nodes) {
        yerr_at(l, ev->start_mark, "more than %zu nodes (LIM_YAML_NODES)", l->lim->nodes);
        return ERR_LIMIT;
    }
    l->nodes++;
    if (kind != YNODE_SCALAR && l->depth > 0) {
        const struct yframe *f = &l->frames[l->depth - 1];
        /* Children alternate key, value; an even count means a key is next. */
        if (f->node->kind == YNODE_MAP && (l->nstack - f->base) % 2 == 0) {
            yerr_at(l, ev->start_mark, "mapping keys must be scalars, found %s",
                    ynode_kind_name(kind));
            return ERR_PARSE;
        }
    }
    return 0;
}

static int yload_scalar(struct yload *l, const yaml_event_t *ev)
{
    size_t len = ev->data.scalar.length;
    int quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    struct ynode *n;
    int rc;

    rc = yload_check_node(l, ev, ev->data.scalar.anchor, ev->data.scalar.tag, YNODE_SCALAR,
                          &quoted);
    if (rc)
        return rc;
    if (len > l->lim->scalar) {
        yerr_at(l, ev->start_mark, "scalar of %zu bytes is larger than %zu bytes (LIM_YAML_SCALAR)",
                len, l->lim->scalar);
        return ERR_LIMIT;
    }
    /* The node and its text in one piece: the text right behind the node. */
    n = yload_alloc(l, sizeof(*n) + len + 1, _Alignof(struct ynode));
    n->kind = YNODE_SCALAR;
    n->line = ypos(ev->start_mark.line);
    n->col = ypos(ev->start_mark.column);
    n->u.scalar.s = (char *)(n + 1);
    memcpy(n->u.scalar.s, ev->data.scalar.value, len);
    n->u.scalar.s[len] = '\0';
    n->u.scalar.len = len;
    n->u.scalar.style = quoted ? YSCALAR_QUOTED : YSCALAR_PLAIN;
    yload_push(l, n);
    return 0;
}

static int yload_open(struct yload *l, const yaml_event_t *ev, enum ynode_kind kind)
{
    const yaml_char_t *anchor, *tag;
    struct ynode *n;
    int dummy = 0;
    int rc;

    if (kind == YNODE_SEQ) {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
    } else {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
    }
    rc = yload_check_node(l, ev, anchor, tag, kind, &dummy);
    if (rc)
        return rc;
    /* frames[] holds LIM_YAML_DEPTH; a test may only lower the limit. */
    if (l->depth >= l->lim->depth || l->depth >= LIM_YAML_DEPTH) {
        yerr_at(l, ev->start_mark, "nesting deeper than %u levels (LIM_YAML_DEPTH)",
                l->lim->depth);
        return ERR_LIMIT;
    }
    n = yload_alloc(l, sizeof(*n), _Alignof(struct ynode));
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->line = ypos(ev->start_mark.line);
    n->col = ypos(ev->start_mark.column);
    l->frames[l->depth].node = n;
    l->frames[l->depth].base = l->nstack;
    l->depth++;
    return 0;
}

static int ykey_cmp(const struct ynode *a, const struct ynode *b)
{
    size_t n = a->u.scalar.len < b->u.scalar.len ? a->u.scalar.len : b->u.scalar.len;
    int c = memcmp(a->u.scalar.s, b->u.scalar.s, n);

    if (c)
        return c;
    return (a->u.scalar.len > b->u.scalar.len) - (a->u.scalar.len < b->u.scalar.len);
}

/* Sort by key text, then by document order (the pairs are one array). */
static int ypair_sort_cmp(const void *pa, const void *pb)
{
    const struct ypair *a = *(const struct ypair *const *)pa;
    const struct ypair *b = *(const struct ypair *const *)pb;
    int c = ykey_cmp(a->key, b->key);

    if (c)
        return c;
    return (a > b) - (a < b);
}

/*
 * Refuse a key that appears twice in one mapping, reporting the second
 * occurrence with the position of the first.  Keys compare by their text,
 * whatever their style: "1" and 1 are the same key, as they are once
 * Kubernetes has turned the document into JSON.  When a key repeats more
 * than once, or several keys repeat, the report is about the earliest
 * repetition in the document.
 */
static int yload_check_dups(struct yload *l, const struct ypair *pairs, size_t n)
{
    const struct ypair *first = NULL, *second = NULL;
    char q[YQUOTE_MAX * 4 + 8];
    size_t i, j;

    if (n <= YDUP_LINEAR) {
        for (j = 1; j < n && !second; j++)
            for (i = 0; i < j; i++)
                if (!ykey_cmp(pairs[i].key, pairs[j].key)) {
                    first = &pairs[i];
                    second = &pairs[j];
                    break;
                }
    } else {
        ALLOC_GROW(l->sorted, n, l->asorted);
        for (i = 0; i < n; i++)
            l->sorted[i] = &pairs[i];
        qsort(l->sorted, n, sizeof(*l->sorted), ypair_sort_cmp);
        for (i = 1; i < n; i++) {
            /* Runs of one key: sorted[i - 1] is the earliest of the run only
             * at its start, so look back to where the run began. */
            if (!ykey_cmp(l->sorted[i - 1]->key, l->sorted[i]->key) &&
                (i == 1 || ykey_cmp(l->sorted[i - 2]->key, l->sorted[i]->key)) &&
                (!second || l->sorted[i] < second)) {
                first = l->sorted[i - 1];
                second = l->sorted[i];
            }
        }
    }
    if (!second)
        return 0;
    diag_at(l->d, DIAG_ERROR, l->ys->name, second->key->line, second->key->col,
            "duplicate key %s (first at %u:%u)",
            yquote(q, sizeof(q), second->key->u.scalar.s, second->key->u.scalar.len),
            first->key->line, first->key->col);
    return ERR_PARSE;
}

static int yload_close(struct yload *l)
{
    struct yframe *f = &l->frames[l->depth - 1];
    struct ynode *n = f->node;
    size_t count = l->nstack - f->base;
    /* The stack is not allocated until a first node is pushed: an empty
     * collection inside empty ones must not offset a NULL pointer. */
    struct ynode **kids = count ? l->stack + f->base : NULL;
    size_t i;
    int rc;

    if (n->kind == YNODE_SEQ) {
        n->u.seq.n = count;
        n->u.seq.items = NULL;
        if (count) {
            n->u.seq.items = yload_alloc(l, count * sizeof(*kids), _Alignof(struct ynode *));
            memcpy(n->u.seq.items, kids, count * sizeof(*kids));
        }
    } else {
        struct ypair *pairs = NULL;

        /* libyaml emits a value for every key, if only an empty scalar. */
        if (count % 2) {
            diag_at(l->d, DIAG_ERROR, l->ys->name, n->line, n->col, "mapping without a value");
            return ERR_PARSE;
        }
        count /= 2;
        if (count) {
            pairs = yload_alloc(l, count * sizeof(*pairs), _Alignof(struct ypair));
            for (i = 0; i < count; i++) {
                pairs[i].key = kids[2 * i];
                pairs[i].value = kids[2 * i + 1];
            }
            rc = yload_check_dups(l, pairs, count);
            if (rc)
                return rc;
        }
        n->u.map.pairs = pairs;
        n->u.map.n = count;
    }
    l->nstack = f->base;
    l->depth--;
    yload_push(l, n);
    return 0;
}

/*
 * The event loop.  stream: STREAM-START document* STREAM-END;
 * document: DOCUMENT-START node DOCUMENT-END; node: SCALAR | ALIAS |
 * SEQUENCE-START node* SEQUENCE-END | MAPPING-START (node node)* MAPPING-END.
 * Document roots collect on the stack under every open collection.
 */
static int yload_run(struct yload *l)
{
    yaml_event_t ev;
    int done = 0;
    int rc = 0;

    while (!done) {
        if (!yaml_parser_parse(&l->parser, &ev))
            return yload_parse_error(l); /* no event to delete */
        switch (ev.type) {
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
            break;
        case YAML_DOCUMENT_END_EVENT:
            /* The root was just pushed; a null root is an empty document. */
            if (l->depth == 0 && l->nstack && ynode_is_null(l->stack[l->nstack - 1]))
                l->stack[l->nstack - 1] = NULL;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_ALIAS_EVENT:
            yerr_at(l, ev.start_mark, "anchors and aliases are not supported (alias '*%s')",
                    (const char *)ev.data.alias.anchor);
            rc = ERR_PARSE;
            goto fail;
        case YAML_SCALAR_EVENT:
            rc = yload_scalar(l, &ev);
            if (rc)
                goto fail;
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = yload_open(l, &ev, YNODE_SEQ);
            if (rc)
                goto fail;
            break;
        case YAML_MAPPING_START_EVENT:
            rc = yload_open(l, &ev, YNODE_MAP);
            if (rc)
                goto fail;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = yload_close(l);
            if (rc)
                goto fail;
            break;
        }
        yaml_event_delete(&ev);
        continue;
    fail:
        yaml_event_delete(&ev);
        return rc;
    }
    l->ys->ndocs = l->nstack;
    if (l->nstack) {
        l->ys->docs = yload_alloc(l, l->nstack * sizeof(*l->ys->docs), _Alignof(struct ynode *));
        memcpy(l->ys->docs, l->stack, l->nstack * sizeof(*l->ys->docs));
    }
    return 0;
}

/* Arena blocks sized to the input: a small policy file should not cost a
 * megabyte, nor a 200 MB inventory thousands of mallocs.  The tree takes a
 * few times the size of its text. */
static void yload_size_arena(struct yload *l, size_t hint)
{
    size_t block = 16 * 1024;

    while (block < (1u << 20) && block < hint * 4)
        block *= 2;
    arena_init(&l->ys->arena, block);
    l->slab_size = block / 4; /* below the arena's "big request" threshold */
}

static int yload_stream(struct ystream *ys, const char *name, int fd, const char *data,
                        size_t len, size_t hint, const struct ylimits *lim, struct diag *d)
{
    struct yload l;
    int rc;

    memset(&l, 0, sizeof(l));
    l.ys = ys;
    l.d = d;
    l.lim = lim;
    l.fd = fd;
    l.mem = data;
    l.mem_len = len;
    yload_size_arena(&l, hint);
    ys->name = arena_strdup(&ys->arena, name ? name : "<memory>");
    if (fd < 0 && len > lim->file) {
        diag_at(d, DIAG_ERROR, ys->name, 0, 0, "input is larger than %zu bytes (LIM_YAML_FILE)",
                lim->file);
        rc = ERR_LIMIT;
        goto out_release;
    }
    if (!yaml_parser_initialize(&l.parser)) {
        fprintf(stderr, "fatal: libyaml is out of memory\n");
        abort();
    }
    yaml_parser_set_input(&l.parser, yload_read, &l);
    rc = yload_run(&l);
    yaml_parser_delete(&l.parser);
    free(l.stack);
    free(l.sorted);
    if (!rc)
        return 0;
out_release:
    ystream_release(ys);
    return rc;
}

static void ystream_zero(struct ystream *ys)
{
    ys->name = NULL;
    ys->docs = NULL;
    ys->ndocs = 0;
}

TESTABLE int ystream_load_mem_lim(struct ystream *ys, const char *name, const char *data,
                                  size_t len, const struct ylimits *lim, struct diag *d)
{
    ystream_zero(ys);
    return yload_stream(ys, name, -1, data, len, len, lim, d);
}

TESTABLE int ystream_load_file_lim(struct ystream *ys, const char *path, const struct ylimits *lim,
                                   struct diag *d)
{
    int is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    struct stat st;
    size_t hint = 0;
    int fd;
    int rc;

    ystream_zero(ys);
    if (is_stdin) {
        fd = STDIN_FILENO;
    } else {
        do {
            fd = open(path, O_RDONLY | O_CLOEXEC);
        } while (fd < 0 && errno == EINTR);
        if (fd < 0) {
            rc = -errno;
            diag_err(d, "cannot read '%s': %s", path, strerror(errno));
            return rc;
        }
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        hint = (size_t)st.st_size;
    rc = yload_stream(ys, name, fd, NULL, 0, hint, lim, d);
    if (!is_stdin)
        close(fd);
    return rc;
}

int ystream_load_file(struct ystream *ys, const char *path, struct diag *d)
{
    return ystream_load_file_lim(ys, path, &ylimits_default, d);
}

int ystream_load_mem(struct ystream *ys, const char *name, const char *data, size_t len,
                     struct diag *d)
{
    return ystream_load_mem_lim(ys, name, data, len, &ylimits_default, d);
}

void ystream_release(struct ystream *ys)
{
    arena_release(&ys->arena);
    ystream_zero(ys);
}

const char *ynode_kind_name(enum ynode_kind k)
{
    switch (k) {
    case YNODE_SCALAR:
        return "a scalar";
    case YNODE_SEQ:
        return "a sequence";
    case YNODE_MAP:
        return "a mapping";
    }
    return "a node";
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
    size_t klen, i;

    if (!map || map->kind != YNODE_MAP || !key)
        return NULL;
    klen = strlen(key);
    for (i = 0; i < map->u.map.n; i++) {
        const struct ynode *k = map->u.map.pairs[i].key;
        if (k->u.scalar.len == klen && !memcmp(k->u.scalar.s, key, klen))
            return map->u.map.pairs[i].value;
    }
    return NULL;
}

int ynode_is_null(const struct ynode *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    size_t i;

    if (!n)
        return 1;
    if (n->kind != YNODE_SCALAR || n->u.scalar.style != YSCALAR_PLAIN)
        return 0;
    for (i = 0; i < ARRAY_SIZE(nulls); i++)
        if (!strcmp(n->u.scalar.s, nulls[i]) && strlen(nulls[i]) == n->u.scalar.len)
            return 1;
    return 0;
}

void ynode_report(struct diag *d, const struct ystream *ys, const struct ynode *n, int level,
                  const char *fmt, ...)
{
    va_list ap;

    if (!d)
        return;
    va_start(ap, fmt);
    diag_vat(d, (enum diag_level)level, ys ? ys->name : NULL, n ? n->line : 0, n ? n->col : 0,
             fmt, ap);
    va_end(ap);
}

/* "null", the kind, or the quoted value of n, for "found ..." in messages. */
static const char *ynode_found(const struct ynode *n, char *buf, size_t size)
{
    if (!n)
        return "nothing";
    if (ynode_is_null(n))
        return "null";
    if (n->kind != YNODE_SCALAR)
        return ynode_kind_name(n->kind);
    return yquote(buf, size, n->u.scalar.s, n->u.scalar.len);
}

int ynode_expect(struct diag *d, const struct ystream *ys, const struct ynode *n,
                 enum ynode_kind kind, const char *what_for)
{
    if (n && n->kind == kind)
        return 0;
    /* A scalar is named by its kind here: "expected a mapping, found 'x'"
     * would read as if 'x' were the field. */
    ynode_report(d, ys, n, DIAG_ERROR, "expected %s for '%s', found %s", ynode_kind_name(kind),
                 what_for, !n ? "nothing" : ynode_is_null(n) ? "null" : ynode_kind_name(n->kind));
    return ERR_INVALID;
}

int ynode_str(struct diag *d, const struct ystream *ys, const struct ynode *n,
              const char *what_for, const char **out)
{
    char q[YQUOTE_MAX * 4 + 8];

    if (!n || n->kind != YNODE_SCALAR || ynode_is_null(n)) {
        ynode_report(d, ys, n, DIAG_ERROR, "expected a string for '%s', found %s", what_for,
                     ynode_found(n, q, sizeof(q)));
        return ERR_INVALID;
    }
    /* A NUL (written as "\0" or "\u0000") would silently cut the C string. */
    if (memchr(n->u.scalar.s, '\0', n->u.scalar.len)) {
        ynode_report(d, ys, n, DIAG_ERROR, "string for '%s' contains a NUL byte", what_for);
        return ERR_INVALID;
    }
    *out = n->u.scalar.s;
    return 0;
}

int ynode_int(struct diag *d, const struct ystream *ys, const struct ynode *n,
              const char *what_for, int64_t min, int64_t max, int64_t *out)
{
    char q[YQUOTE_MAX * 4 + 8];
    const char *s;
    size_t len, i;
    int64_t v;
    int rc;

    if (!n || n->kind != YNODE_SCALAR || ynode_is_null(n))
        goto bad;
    s = n->u.scalar.s;
    len = n->u.scalar.len;
    /* -?[0-9]+ with no leading zero: a plain 0755 is octal to YAML 1.1 and
     * decimal to YAML 1.2, so it is refused rather than guessed. */
    i = len && s[0] == '-';
    if (i == len || (s[i] == '0' && len - i > 1))
        goto bad;
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            goto bad;
    rc = parse_i64(s, len, min, max, &v);
    if (rc == ERR_LIMIT) {
        ynode_report(d, ys, n, DIAG_ERROR,
                     "expected an integer in [%" PRId64 ", %" PRId64 "] for '%s', found %s", min,
                     max, what_for, ynode_found(n, q, sizeof(q)));
        return ERR_INVALID;
    }
    if (rc)
        goto bad;
    *out = v;
    return 0;
bad:
    ynode_report(d, ys, n, DIAG_ERROR, "expected an integer for '%s', found %s", what_for,
                 ynode_found(n, q, sizeof(q)));
    return ERR_INVALID;
}

int ynode_double(struct diag *d, const struct ystream *ys, const struct ynode *n,
                 const char *what_for, double *out)
{
    char q[YQUOTE_MAX * 4 + 8];
    double v;

    if (!n || n->kind != YNODE_SCALAR || ynode_is_null(n) ||
        parse_double(n->u.scalar.s, n->u.scalar.len, &v)) {
        ynode_report(d, ys, n, DIAG_ERROR, "expected a number for '%s', found %s", what_for,
                     ynode_found(n, q, sizeof(q)));
        return ERR_INVALID;
    }
    *out = v;
    return 0;
}

int ynode_bool(struct diag *d, const struct ystream *ys, const struct ynode *n,
               const char *what_for, int *out)
{
    static const struct {
        const char *s;
        int v;
    } words[] = {
        {"true", 1}, {"True", 1}, {"TRUE", 1}, {"false", 0}, {"False", 0}, {"FALSE", 0},
    };
    char q[YQUOTE_MAX * 4 + 8];
    size_t i;

    /* A quoted "true" is a string to YAML, and to Kubernetes. */
    if (n && n->kind == YNODE_SCALAR && n->u.scalar.style == YSCALAR_PLAIN) {
        for (i = 0; i < ARRAY_SIZE(words); i++) {
            if (!strcmp(n->u.scalar.s, words[i].s) && n->u.scalar.len == strlen(words[i].s)) {
                *out = words[i].v;
                return 0;
            }
        }
    }
    ynode_report(d, ys, n, DIAG_ERROR, "expected a boolean for '%s', found %s", what_for,
                 ynode_found(n, q, sizeof(q)));
    return ERR_INVALID;
}
