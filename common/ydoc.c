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
 * malloc per node, and the stack holds only the children of the collections
 * still open.  Nodes and scalar text are carved from arena slabs with their
 * natural alignment (the arena rounds every request to 16 bytes, which
 * would cost a third more on a 100k-pod inventory).
 *
 * ystream_each_*() run the same loop but hand each element of a List's
 * "items", and each document, to a callback as it completes, then reset
 * the arena it was carved from: memory is bounded by the largest object,
 * not the input.
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

/*
 * JSON text is YAML 1.2 flow style, except that libyaml refuses the escape
 * of a character outside the BMP as a UTF-16 surrogate pair ("\ud83d\ude00",
 * which JSON requires when an encoder writes ASCII only, e.g. Python's
 * json.dumps by default).  When the input is JSON we rewrite each such pair,
 * as it streams by, into YAML's own escape for the code point
 * ("\U0001F600").  The rewrite is 2 characters shorter, so columns after it
 * on the same line (and byte offsets after it) are off by 2 per pair.
 *
 * Only what is certainly inside a JSON string is rewritten: the first
 * significant byte must open a JSON array or object, and outside strings
 * only JSON's bytes may follow, a '"' only after '{', '[', ',' or ':', a
 * ':' only after a string; anything else (a YAML comment, a quote, an
 * anchor, a plain scalar before a '"') switches the rewrite off for the
 * rest of the input, as does the end of the first JSON value.  Lone
 * surrogates are passed on for libyaml to refuse.
 */
enum yjson_mode { YJ_START, YJ_ON, YJ_OFF };
enum yjson_state {
    YJ_OUT, /* between tokens */
    YJ_STR, /* in a string */
    YJ_ESC, /* after a backslash */
    YJ_HI,  /* in the hex digits of a \u escape */
    YJ_BS,  /* after a high surrogate: expecting '\' */
    YJ_U,   /* after a high surrogate and '\': expecting 'u' */
    YJ_LO   /* in the hex digits of the escape after a high surrogate */
};

/* Bytes read from the input at a time while rewriting. */
#define YRAW (64 * 1024)

/* An open collection: its node and where its children start on the stack. */
struct yframe {
    struct ynode *node; /* arena-owned, filled in when it closes */
    size_t base;        /* index into yload.stack of its first child */
    int items;          /* a List's "items", whose elements ystream_each_*() hands out */
};

/* An arena and the slab being carved from it. */
struct yslab {
    struct arena *arena; /* not owned */
    char *p;             /* next free byte, arena-owned */
    size_t left;         /* bytes left at p */
    size_t size;         /* size of a new slab */
};

/* Where the text comes from. */
struct ysource {
    const char *name; /* for messages */
    int fd;           /* or -1 for memory */
    const char *data; /* memory input, not owned */
    size_t len;       /* bytes at data */
    size_t hint;      /* expected size, 0 when unknown */
};

/* The state of one load. */
struct yload {
    struct ystream *ys;        /* being filled */
    struct diag *d;            /* for messages */
    const struct ylimits *lim; /* limits in force */
    yaml_parser_t parser;      /* libyaml's state, owned */

    /* Input: a file descriptor, or memory when fd < 0. */
    int fd;                /* not owned when it is stdin */
    const char *mem;       /* memory input, not owned */
    size_t mem_len;        /* bytes at mem */
    size_t mem_off;        /* bytes of mem read so far */
    size_t nread;          /* bytes read from the input so far */
    int read_errno;        /* errno of a failed read, else 0 */
    int too_big;           /* input passed lim->file */
    int eof;               /* the input is exhausted */
    size_t since_event;    /* bytes read since libyaml's last event */
    int runaway;           /* since_event passed yload_runaway() */
    yaml_mark_t last_mark; /* end of libyaml's last event */

    /* The JSON surrogate-pair rewrite (see yjson_byte()). */
    enum yjson_mode jmode;   /* still deciding, rewriting, or passing through */
    enum yjson_state jstate; /* where in the JSON text we are */
    unsigned char jprev;     /* last significant byte outside strings */
    unsigned jdepth;         /* open JSON brackets */
    unsigned jacc, jhigh;    /* \uXXXX being read, high surrogate */
    unsigned jnhex;          /* hex digits of jacc read */
    char pend[16];           /* bytes of an escape held back */
    size_t npend;            /* bytes in pend */
    unsigned char *raw;      /* malloc'd YRAW bytes of input, while rewriting */
    unsigned char *q;        /* malloc'd YRAW + 16 bytes of output for libyaml */
    size_t qlen, qoff;       /* bytes in q, bytes of q handed out */

    /* The tree under construction. */
    struct ynode **stack;  /* malloc'd: children of open collections, then roots */
    size_t nstack, astack; /* entries used, allocated */
    struct yframe frames[LIM_YAML_DEPTH + 1]; /* open collections, outermost first */
    unsigned depth;                           /* entries of frames[] in use */
    size_t nodes;                             /* nodes made so far */

    /* Where nodes and text are carved from: ys->arena for a whole tree;
     * for ystream_each_*(), doc_arena for a document and item_arena for
     * the element of "items" being read, each reset after its callback. */
    struct yslab *cur; /* main or item */
    struct yslab main, item;
    struct arena doc_arena, item_arena;
    ystream_each_fn fn; /* callback of ystream_each_*(), or NULL */
    void *ctx;          /* its argument */
    size_t doc_nodes;   /* nodes of the document outside its "items" */

    const struct ypair **sorted; /* malloc'd scratch for the duplicate check */
    size_t asorted;              /* entries allocated */
};

static unsigned ypos(size_t zero_based)
{
    return zero_based >= UINT_MAX - 1 ? UINT_MAX : (unsigned)zero_based + 1;
}

static void yerr_at(struct yload *l, yaml_mark_t mark, const char *fmt, ...) PRINTF_LIKE(3, 4);
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
    struct yslab *s = l->cur;
    size_t pad;
    char *p;

    if (size > s->size / 8)
        return arena_alloc(s->arena, size);
    pad = (size_t)(-(uintptr_t)s->p & (align - 1));
    if (!s->p || s->left < pad + size) {
        s->p = arena_alloc(s->arena, s->size);
        s->left = s->size;
        pad = 0;
    }
    p = s->p + pad;
    s->p += pad + size;
    s->left -= pad + size;
    return p;
}

/* Forget everything carved from s. */
static void yslab_reset(struct yslab *s)
{
    arena_reset(s->arena);
    s->p = NULL;
    s->left = 0;
}

/*
 * libyaml holds a whole scalar in memory before it hands it over, growing
 * its buffer by doubling: one hostile scalar as large as the file limit
 * would cost twice that before LIM_YAML_SCALAR could refuse it.  So the
 * input between two events is bounded too: a scalar's text is at most 4
 * bytes per byte of value (an escape like "\x41"), plus the read-ahead
 * of our chunk (YRAW) and of libyaml's buffers.
 */
static size_t yload_runaway(const struct ylimits *lim)
{
    return 4 * lim->scalar + 256 * 1024;
}

/* Read up to size bytes of input into buf; *n 0 at the end.  0 or -1
 * (with read_errno or too_big set). */
static int yload_source(struct yload *l, unsigned char *buf, size_t size, size_t *n)
{
    *n = 0;
    if (l->fd < 0) {
        *n = l->mem_len - l->mem_off;
        if (*n > size)
            *n = size;
        if (*n)
            memcpy(buf, l->mem + l->mem_off, *n);
        l->mem_off += *n;
    } else {
        ssize_t r;

        do {
            r = read(l->fd, buf, size);
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
            l->read_errno = errno ? errno : EIO;
            return -1;
        }
        *n = (size_t)r;
    }
    l->nread += *n;
    if (l->nread > l->lim->file) {
        l->too_big = 1;
        return -1;
    }
    l->since_event += *n;
    if (l->since_event > yload_runaway(l->lim)) {
        l->runaway = 1;
        return -1;
    }
    return 0;
}

static void yq_put(struct yload *l, const void *s, size_t n)
{
    memcpy(l->q + l->qlen, s, n);
    l->qlen += n;
}

/* Give up an escape that turned out not to be a surrogate pair. */
static void yjson_flush(struct yload *l)
{
    yq_put(l, l->pend, l->npend);
    l->npend = 0;
    l->jstate = YJ_STR;
}

/* Outside strings: follow JSON's structure, or give up on the input. */
static void yjson_out(struct yload *l, unsigned char c)
{
    switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
        return;
    case '{':
    case '[':
        l->jdepth++;
        break;
    case '}':
    case ']':
        if (l->jdepth <= 1) {
            l->jmode = YJ_OFF; /* the end of the first value */
            return;
        }
        l->jdepth--;
        break;
    case ',':
        break;
    case ':':
        if (l->jprev != '"') {
            l->jmode = YJ_OFF; /* a plain key: YAML, not JSON */
            return;
        }
        break;
    case '"':
        if (l->jprev != '{' && l->jprev != '[' && l->jprev != ',' && l->jprev != ':') {
            l->jmode = YJ_OFF; /* a quote inside a plain scalar */
            return;
        }
        l->jstate = YJ_STR;
        break;
    default:
        /* numbers, true, false, null */
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '+' || c == '-')) {
            l->jmode = YJ_OFF;
            return;
        }
        c = 'a';
        break;
    }
    l->jprev = c;
}

/* Feed one byte of JSON-looking input; output goes to l->q. */
static void yjson_byte(struct yload *l, unsigned char c)
{
    int h;

    switch (l->jstate) {
    case YJ_OUT:
        if (l->jmode == YJ_START) {
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                break;
            l->jmode = (c == '{' || c == '[') ? YJ_ON : YJ_OFF;
        }
        if (l->jmode == YJ_ON)
            yjson_out(l, c);
        break;
    case YJ_STR:
        if (c == '"') {
            l->jstate = YJ_OUT;
            l->jprev = '"';
        } else if (c == '\\') {
            l->pend[l->npend++] = (char)c;
            l->jstate = YJ_ESC;
            return;
        }
        break;
    case YJ_ESC:
        l->pend[l->npend++] = (char)c;
        if (c == 'u') {
            l->jstate = YJ_HI;
            l->jacc = 0;
            l->jnhex = 0;
        } else {
            yjson_flush(l);
        }
        return;
    case YJ_HI:
    case YJ_LO:
        h = hex_digit(c);
        if (h < 0) {
            yjson_flush(l); /* "\u" without 4 hex digits: libyaml refuses it */
            yjson_byte(l, c);
            return;
        }
        l->pend[l->npend++] = (char)c;
        l->jacc = l->jacc * 16 + (unsigned)h;
        if (++l->jnhex < 4)
            return;
        if (l->jstate == YJ_HI && l->jacc >= 0xD800 && l->jacc <= 0xDBFF) {
            l->jhigh = l->jacc;
            l->jstate = YJ_BS;
        } else if (l->jstate == YJ_LO && l->jacc >= 0xDC00 && l->jacc <= 0xDFFF) {
            char u[16];
            unsigned cp = 0x10000 + ((l->jhigh - 0xD800) << 10) + (l->jacc - 0xDC00);
            int n = snprintf(u, sizeof(u), "\\U%08X", cp);

            yq_put(l, u, (size_t)n);
            l->npend = 0;
            l->jstate = YJ_STR;
        } else {
            yjson_flush(l);
        }
        return;
    case YJ_BS:
        if (c == '\\') {
            l->pend[l->npend++] = (char)c;
            l->jstate = YJ_U;
            return;
        }
        yjson_flush(l); /* a lone high surrogate: libyaml refuses it */
        yjson_byte(l, c);
        return;
    case YJ_U:
        if (c == 'u') {
            l->pend[l->npend++] = (char)c;
            l->jstate = YJ_LO;
            l->jacc = 0;
            l->jnhex = 0;
            return;
        }
        /* "\ud83d\n": the second backslash starts an escape of its own */
        l->npend--;
        yjson_flush(l);
        l->pend[l->npend++] = '\\';
        l->jstate = YJ_ESC;
        yjson_byte(l, c);
        return;
    }
    yq_put(l, &c, 1);
}

/*
 * libyaml read handler: hand out up to size bytes of input.  Returns 1 with
 * *size_read 0 at the end, 0 on failure (libyaml then reports "input
 * error", which yload_parse_error() replaces by our own message).  Never
 * returns 1 with nothing read before the end: libyaml takes that as EOF.
 */
static int yload_read(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
    struct yload *l = data;
    size_t n, i;

    *size_read = 0;
    for (;;) {
        if (l->qoff < l->qlen) {
            n = l->qlen - l->qoff;
            if (n > size)
                n = size;
            memcpy(buffer, l->q + l->qoff, n);
            l->qoff += n;
            *size_read = n;
            return 1;
        }
        if (l->eof)
            return 1;
        if (l->jmode == YJ_OFF) {
            /* Not JSON, or past the part that may need rewriting. */
            if (yload_source(l, buffer, size, &n))
                return 0;
            l->eof = n == 0;
            *size_read = n;
            return 1;
        }
        if (!l->raw) {
            l->raw = xmalloc(YRAW);
            l->q = xmalloc(YRAW + sizeof(l->pend));
        }
        if (yload_source(l, l->raw, YRAW, &n))
            return 0;
        l->qlen = l->qoff = 0;
        if (n == 0) {
            l->eof = 1;
            yq_put(l, l->pend, l->npend); /* an escape cut by the end */
            l->npend = 0;
            continue;
        }
        /* Output is never longer than input plus what pend held. */
        for (i = 0; i < n && l->jmode != YJ_OFF; i++)
            yjson_byte(l, l->raw[i]);
        yq_put(l, l->raw + i, n - i);
    }
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
    if (l->runaway) {
        yerr_at(l, l->last_mark,
                "more than %zu bytes without a complete node after this point (LIM_YAML_SCALAR)",
                yload_runaway(l->lim));
        return ERR_LIMIT;
    }
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        /* libyaml could not allocate: an error like any other, reported
         * with the input's name (tests/test_oom.c fails its allocations
         * one by one).  Our own allocations abort instead
         * (common/xmalloc.h): they are bounded by common/limits.h. */
        diag_at(l->d, DIAG_ERROR, l->ys->name, 0, 0, "out of memory while reading (libyaml)");
        return -ENOMEM;
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

/* In ystream_each_*(): is the next node an element of a List's "items"? */
static int yload_in_items(const struct yload *l)
{
    return l->depth > 0 && l->frames[l->depth - 1].items;
}

/* Before a node is made: an element of "items" goes to the item arena and
 * has a node budget of its own, on top of its document's. */
static void yload_begin_node(struct yload *l)
{
    if (yload_in_items(l)) {
        l->cur = &l->item;
        l->doc_nodes = l->nodes;
    }
}

/* After a node is pushed: hand a finished element of "items" to the
 * callback, then forget it. */
static int yload_end_node(struct yload *l)
{
    int rc;

    if (!yload_in_items(l))
        return 0;
    rc = l->fn(l->ctx, l->ys, l->stack[l->nstack - 1], 1);
    l->nstack--;
    yslab_reset(&l->item);
    l->cur = &l->main;
    l->nodes = l->doc_nodes;
    return rc;
}

static int yload_scalar(struct yload *l, const yaml_event_t *ev)
{
    size_t len = ev->data.scalar.length;
    int quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    struct ynode *n;
    int rc;

    yload_begin_node(l);
    rc =
        yload_check_node(l, ev, ev->data.scalar.anchor, ev->data.scalar.tag, YNODE_SCALAR, &quoted);
    if (rc)
        return rc;
    if (len > l->lim->scalar) {
        yerr_at(l, ev->start_mark, "scalar of %zu bytes is larger than %zu bytes (LIM_YAML_SCALAR)",
                len, l->lim->scalar);
        return ERR_LIMIT;
    }
    /* "\u0000" (JSON) or "\0" (YAML): every reader of the tree takes a
     * string to its first NUL, so "all()\u0000 junk" would be read as
     * "all()" and "deny\u0000all" shown as "deny". */
    if (len && memchr(ev->data.scalar.value, '\0', len)) {
        yerr_at(l, ev->start_mark, "%s", "a string holds a NUL character (\\u0000): not allowed");
        return ERR_PARSE;
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
    return yload_end_node(l);
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
    yload_begin_node(l);
    rc = yload_check_node(l, ev, anchor, tag, kind, &dummy);
    if (rc)
        return rc;
    /* frames[] holds LIM_YAML_DEPTH; a test may only lower the limit. */
    if (l->depth >= l->lim->depth || l->depth >= LIM_YAML_DEPTH) {
        yerr_at(l, ev->start_mark, "nesting deeper than %u levels (LIM_YAML_DEPTH)", l->lim->depth);
        return ERR_LIMIT;
    }
    n = yload_alloc(l, sizeof(*n), _Alignof(struct ynode));
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->line = ypos(ev->start_mark.line);
    n->col = ypos(ev->start_mark.column);
    l->frames[l->depth].node = n;
    l->frames[l->depth].base = l->nstack;
    /* A sequence under the key "items" of a document mapping: a List. */
    l->frames[l->depth].items =
        l->fn && kind == YNODE_SEQ && l->depth == 1 && l->frames[0].node->kind == YNODE_MAP &&
        (l->nstack - l->frames[0].base) % 2 == 1 && l->stack[l->nstack - 1]->u.scalar.len == 5 &&
        !memcmp(l->stack[l->nstack - 1]->u.scalar.s, "items", 5);
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
    return yload_end_node(l);
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
        l->since_event = 0;
        l->last_mark = ev.end_mark;
        switch (ev.type) {
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
            break;
        case YAML_DOCUMENT_END_EVENT:
            /* The root was just pushed; a null root is an empty document. */
            if (l->depth == 0 && l->nstack && ynode_is_null(l->stack[l->nstack - 1]))
                l->stack[l->nstack - 1] = NULL;
            if (l->fn && l->nstack) {
                l->nstack--;
                l->ys->ndocs++;
                rc = l->fn(l->ctx, l->ys, l->stack[l->nstack], 0);
                yslab_reset(&l->main);
                l->nodes = 0;
                if (rc)
                    goto fail;
            }
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            goto next;
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
    next:
        yaml_event_delete(&ev);
        continue;
    fail:
        yaml_event_delete(&ev);
        return rc;
    }
    if (l->fn)
        return 0;
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
static size_t yload_block_size(size_t hint)
{
    size_t block = 16 * 1024;

    while (block < (1u << 20) && block < hint * 4)
        block *= 2;
    return block;
}

static void yslab_init(struct yslab *s, struct arena *a, size_t block)
{
    s->arena = a;
    s->p = NULL;
    s->left = 0;
    s->size = block / 4; /* below the arena's "big request" threshold */
}

/*
 * Parse src into ys (a whole tree), or hand it to fn object by object.
 * ys is released on failure, and in both cases when fn is set.
 */
static int yload_stream(struct ystream *ys, const struct ysource *src, const struct ylimits *lim,
                        ystream_each_fn fn, void *ctx, struct diag *d)
{
    size_t block = yload_block_size(src->hint);
    struct yload l;
    int rc;

    memset(&l, 0, sizeof(l));
    l.ys = ys;
    l.d = d;
    l.lim = lim;
    l.fd = src->fd;
    l.mem = src->data;
    l.mem_len = src->len;
    l.fn = fn;
    l.ctx = ctx;
    ys->name = NULL;
    ys->docs = NULL;
    ys->ndocs = 0;
    if (fn) {
        /* An object is far smaller than the input. */
        arena_init(&ys->arena, 1024);
        block = yload_block_size(src->hint / 1024);
        arena_init(&l.doc_arena, block);
        arena_init(&l.item_arena, block);
        yslab_init(&l.main, &l.doc_arena, block);
        yslab_init(&l.item, &l.item_arena, block);
    } else {
        arena_init(&ys->arena, block);
        yslab_init(&l.main, &ys->arena, block);
    }
    l.cur = &l.main;
    ys->name = arena_strdup(&ys->arena, src->name ? src->name : "<memory>");
    if (src->fd < 0 && src->len > lim->file) {
        diag_at(d, DIAG_ERROR, ys->name, 0, 0, "input is larger than %zu bytes (LIM_YAML_FILE)",
                lim->file);
        rc = ERR_LIMIT;
        goto out;
    }
    if (!yaml_parser_initialize(&l.parser)) {
        diag_at(d, DIAG_ERROR, ys->name, 0, 0, "out of memory while reading (libyaml)");
        rc = -ENOMEM;
        goto out;
    }
    yaml_parser_set_input(&l.parser, yload_read, &l);
    rc = yload_run(&l);
    yaml_parser_delete(&l.parser);
    free(l.stack);
    free(l.sorted);
    free(l.raw);
    free(l.q);
out:
    arena_release(&l.doc_arena);
    arena_release(&l.item_arena);
    if (rc || fn)
        ystream_release(ys);
    return rc;
}

/* Open path ("-": stdin) as src; 0 or -errno with a message. */
static int ysource_open(struct ysource *src, const char *path, struct diag *d)
{
    struct stat st;

    memset(src, 0, sizeof(*src));
    if (!strcmp(path, "-")) {
        src->name = "<stdin>";
        src->fd = STDIN_FILENO;
    } else {
        src->name = path;
        do {
            src->fd = open(path, O_RDONLY | O_CLOEXEC);
        } while (src->fd < 0 && errno == EINTR);
        if (src->fd < 0) {
            int rc = -errno;
            diag_err(d, "cannot read '%s': %s", path, strerror(errno));
            return rc;
        }
    }
    if (fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        src->hint = (size_t)st.st_size;
    return 0;
}

static void ysource_close(struct ysource *src)
{
    if (src->fd != STDIN_FILENO)
        close(src->fd);
}

static void ysource_mem(struct ysource *src, const char *name, const char *data, size_t len)
{
    src->name = name;
    src->fd = -1;
    src->data = data;
    src->len = len;
    src->hint = len;
}

TESTABLE int ystream_load_mem_lim(struct ystream *ys, const char *name, const char *data,
                                  size_t len, const struct ylimits *lim, struct diag *d)
{
    struct ysource src;

    ysource_mem(&src, name, data, len);
    return yload_stream(ys, &src, lim, NULL, NULL, d);
}

TESTABLE int ystream_load_file_lim(struct ystream *ys, const char *path, const struct ylimits *lim,
                                   struct diag *d)
{
    struct ysource src;
    int rc;

    ys->name = NULL;
    ys->docs = NULL;
    ys->ndocs = 0;
    arena_init(&ys->arena, 0);
    rc = ysource_open(&src, path, d);
    if (rc)
        return rc;
    rc = yload_stream(ys, &src, lim, NULL, NULL, d);
    ysource_close(&src);
    return rc;
}

TESTABLE int ystream_each_mem_lim(const char *name, const char *data, size_t len,
                                  const struct ylimits *lim, ystream_each_fn fn, void *ctx,
                                  struct diag *d)
{
    struct ystream ys;
    struct ysource src;

    ysource_mem(&src, name, data, len);
    return yload_stream(&ys, &src, lim, fn, ctx, d);
}

int ystream_each_file(const char *path, ystream_each_fn fn, void *ctx, struct diag *d)
{
    struct ystream ys;
    struct ysource src;
    int rc;

    rc = ysource_open(&src, path, d);
    if (rc)
        return rc;
    rc = yload_stream(&ys, &src, &ylimits_default, fn, ctx, d);
    ysource_close(&src);
    return rc;
}

int ystream_each_mem(const char *name, const char *data, size_t len, ystream_each_fn fn, void *ctx,
                     struct diag *d)
{
    return ystream_each_mem_lim(name, data, len, &ylimits_default, fn, ctx, d);
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
    ys->name = NULL;
    ys->docs = NULL;
    ys->ndocs = 0;
}

struct ynode *ynode_clone(struct arena *a, const struct ynode *n)
{
    struct ynode *c;

    if (!n)
        return NULL;
    c = arena_alloc(a, sizeof(*c));
    *c = *n;
    switch (n->kind) {
    case YNODE_SCALAR:
        c->u.scalar.s = arena_memdupz(a, n->u.scalar.s, n->u.scalar.len);
        break;
    case YNODE_SEQ:
        c->u.seq.items = arena_calloc(a, n->u.seq.n, sizeof(*c->u.seq.items));
        for (size_t i = 0; i < n->u.seq.n; i++)
            c->u.seq.items[i] = ynode_clone(a, n->u.seq.items[i]);
        break;
    case YNODE_MAP:
        c->u.map.pairs = arena_calloc(a, n->u.map.n, sizeof(*c->u.map.pairs));
        for (size_t i = 0; i < n->u.map.n; i++) {
            c->u.map.pairs[i].key = ynode_clone(a, n->u.map.pairs[i].key);
            c->u.map.pairs[i].value = ynode_clone(a, n->u.map.pairs[i].value);
        }
        break;
    }
    return c;
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
    diag_vat(d, (enum diag_level)level, ys ? ys->name : NULL, n ? n->line : 0, n ? n->col : 0, fmt,
             ap);
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
                 what_for,
                 !n                 ? "nothing"
                 : ynode_is_null(n) ? "null"
                                    : ynode_kind_name(n->kind));
    return ERR_INVALID;
}

int ynode_str(struct diag *d, const struct ystream *ys, const struct ynode *n, const char *what_for,
              const char **out)
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

int ynode_int(struct diag *d, const struct ystream *ys, const struct ynode *n, const char *what_for,
              int64_t min, int64_t max, int64_t *out)
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
    int rc = ERR_PARSE;

    if (n && n->kind == YNODE_SCALAR && !ynode_is_null(n))
        rc = parse_double(n->u.scalar.s, n->u.scalar.len, &v);
    if (rc == ERR_LIMIT) {
        ynode_report(d, ys, n, DIAG_ERROR, "number out of range for '%s': found %s", what_for,
                     ynode_found(n, q, sizeof(q)));
        return ERR_INVALID;
    }
    if (rc) {
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
