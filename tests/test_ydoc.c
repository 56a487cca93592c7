/*
 * test_ydoc.c: the YAML/JSON document tree (common/ydoc.c): the same tree
 * from YAML and JSON, multi-document streams, positions and exact messages
 * for malformed documents and for nodes of the wrong type, and every limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/ydoc.h"
#include "common/ydoc_int.h"
#include "common/compat.h"

/* Diagnostics captured in memory so that messages can be compared exactly. */
struct cap {
    FILE *f;
    char *text; /* open_memstream's buffer */
    size_t len;
    struct diag d;
};

static void cap_open(struct cap *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    diag_init(&c->d, c->f, "podflow");
}

static const char *cap_text(struct cap *c)
{
    fflush(c->f);
    return c->text ? c->text : "";
}

static void cap_close(struct cap *c)
{
    fclose(c->f);
    free(c->text);
}

/*
 * A compact text of a tree: maps {k=v,...}, sequences [a,b], plain scalars
 * as they are, quoted ones in double quotes (when styles is set), empty
 * documents as "-", documents separated by " | ".
 */
static void dump_node(struct buf *b, const struct ynode *n, int styles)
{
    size_t i;

    if (!n) {
        assert_int_equal(buf_addstr(b, "-"), 0);
        return;
    }
    switch (n->kind) {
    case YNODE_SCALAR:
        if (styles && n->u.scalar.style == YSCALAR_QUOTED)
            assert_int_equal(buf_addf(b, "\"%s\"", n->u.scalar.s), 0);
        else
            assert_int_equal(buf_addstr(b, n->u.scalar.s), 0);
        assert_int_equal(strlen(n->u.scalar.s), n->u.scalar.len);
        break;
    case YNODE_SEQ:
        assert_int_equal(buf_addch(b, '['), 0);
        for (i = 0; i < n->u.seq.n; i++) {
            if (i)
                assert_int_equal(buf_addch(b, ','), 0);
            dump_node(b, n->u.seq.items[i], styles);
        }
        assert_int_equal(buf_addch(b, ']'), 0);
        break;
    case YNODE_MAP:
        assert_int_equal(buf_addch(b, '{'), 0);
        for (i = 0; i < n->u.map.n; i++) {
            if (i)
                assert_int_equal(buf_addch(b, ','), 0);
            assert_int_equal(n->u.map.pairs[i].key->kind, YNODE_SCALAR);
            dump_node(b, n->u.map.pairs[i].key, styles);
            assert_int_equal(buf_addch(b, '='), 0);
            dump_node(b, n->u.map.pairs[i].value, styles);
        }
        assert_int_equal(buf_addch(b, '}'), 0);
        break;
    }
}

static char *dump_stream(const struct ystream *ys, int styles)
{
    struct buf b;
    size_t i;

    buf_init(&b, 0);
    for (i = 0; i < ys->ndocs; i++) {
        if (i)
            assert_int_equal(buf_addstr(&b, " | "), 0);
        dump_node(&b, ys->docs[i], styles);
    }
    return buf_detach(&b, NULL);
}

/* Load text that must parse; return its dump (malloc'd). */
static char *load_dump(const char *text, size_t len, int styles)
{
    struct ystream ys;
    struct cap c;
    char *s;
    int rc;

    cap_open(&c);
    rc = ystream_load_mem(&ys, "t.yaml", text, len, &c.d);
    if (rc)
        fail_msg("load failed (%d): %s", rc, cap_text(&c));
    assert_string_equal(cap_text(&c), "");
    s = dump_stream(&ys, styles);
    ystream_release(&ys);
    cap_close(&c);
    return s;
}

/* Load text that must fail with rc and exactly the message msg. */
static void load_fails(const char *text, size_t len, const struct ylimits *lim, int want_rc,
                       const char *msg)
{
    struct ystream ys;
    struct cap c;
    int rc;

    cap_open(&c);
    if (lim)
        rc = ystream_load_mem_lim(&ys, "t.yaml", text, len, lim, &c.d);
    else
        rc = ystream_load_mem(&ys, "t.yaml", text, len, &c.d);
    assert_int_equal(rc, want_rc);
    assert_string_equal(cap_text(&c), msg);
    assert_int_equal(c.d.errors, 1);
    /* A failed load leaves nothing behind. */
    assert_null(ys.docs);
    assert_int_equal(ys.ndocs, 0);
    assert_null(ys.arena.head);
    cap_close(&c);
}

static void test_yaml_json_same_tree(void **state)
{
    static const struct {
        const char *yaml, *json, *tree;
    } cases[] = {
        /* a Pod's skeleton, block style vs kubectl -o json indentation */
        {"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n  labels:\n    app: web\n",
         "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\n"
         "    \"name\": \"web-0\",\n    \"labels\": {\n      \"app\": \"web\"\n    }\n  }\n}\n",
         "{apiVersion=v1,kind=Pod,metadata={name=web-0,labels={app=web}}}"},
        /* sequences of mappings and scalars, minified JSON */
        {"ports:\n- port: 80\n  protocol: TCP\n- port: 443\ncidrs: [10.0.0.0/8, '::1/128']\n",
         "{\"ports\":[{\"port\":80,\"protocol\":\"TCP\"},{\"port\":443}],"
         "\"cidrs\":[\"10.0.0.0/8\",\"::1/128\"]}",
         "{ports=[{port=80,protocol=TCP},{port=443}],cidrs=[10.0.0.0/8,::1/128]}"},
        /* empty collections, null, booleans, a Calico float */
        {"a: {}\nb: []\nc: null\nd: true\norder: 37.5\n",
         "{\"a\": {}, \"b\": [], \"c\": null, \"d\": true, \"order\": 37.5}",
         "{a={},b=[],c=null,d=true,order=37.5}"},
        /* JSON escapes: \/ (YAML 1.2), \u00e9, \t and \" inside strings */
        {"s: \"a/b \xc3\xa9\\t\\\"q\\\"\"\n", "{\"s\": \"a\\/b \\u00e9\\t\\\"q\\\"\"}",
         "{s=a/b \xc3\xa9\t\"q\"}"},
        /* JSON whitespace may include tabs and CRLF line ends */
        {"k: v\n", "{\r\n\t\"k\":\t\"v\"\r\n}\r\n", "{k=v}"},
        /* a top-level sequence */
        {"- 1\n- - 2\n  - 3\n", "[1, [2, 3]]", "[1,[2,3]]"},
        /* a block literal keeps its line breaks */
        {"cmd: |\n  a\n  b\n", "{\"cmd\": \"a\\nb\\n\"}", "{cmd=a\nb\n}"},
        /* a JSON key up to 1024 characters is a simple key to libyaml */
        {"k: 1\n", "{\"k\"  :  1}", "{k=1}"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *y = load_dump(cases[i].yaml, strlen(cases[i].yaml), 0);
        char *j = load_dump(cases[i].json, strlen(cases[i].json), 0);
        assert_string_equal(y, cases[i].tree);
        assert_string_equal(j, cases[i].tree);
        free(y);
        free(j);
    }
}

static void test_styles(void **state)
{
    static const struct {
        const char *in, *tree;
    } cases[] = {
        {"a: 1", "{a=1}"},                     /* plain */
        {"a: '1'", "{a=\"1\"}"},               /* single-quoted */
        {"a: \"1\"", "{a=\"1\"}"},             /* double-quoted */
        {"a: |\n  x\n", "{a=\"x\n\"}"},        /* literal */
        {"a: >\n  x\n  y\n", "{a=\"x y\n\"}"}, /* folded */
        {"a: !!str 12", "{a=\"12\"}"},         /* !!str makes a plain scalar a string */
        {"a: !!map {b: 1}", "{a={b=1}}"},      /* matching core tags are accepted */
        {"{\"a\": \"\"}", "{\"a\"=\"\"}"},     /* quoted empty string is not null */
        {"a:", "{a=}"},                        /* plain empty value (null) */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = load_dump(cases[i].in, strlen(cases[i].in), 1);
        assert_string_equal(s, cases[i].tree);
        free(s);
    }
}

/* Empty collections, alone and nested in each other (fuzz regression
 * tests/fuzz/regress/ydoc/ub-null-offset-1: closing one before any node
 * was pushed offset a NULL stack). */
static void test_empty_collections(void **state)
{
    static const struct {
        const char *in, *tree;
    } cases[] = {
        {"[]", "[]"},                    /* the first node of the stream is empty */
        {"{}", "{}"},                    /* same for a mapping */
        {"[[[]]]", "[[[]]]"},            /* empty inside empty ones */
        {"[{}, []]", "[{},[]]"},         /* siblings */
        {"a: []\nb: {}", "{a=[],b={}}"}, /* as values */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = load_dump(cases[i].in, strlen(cases[i].in), 0);
        assert_string_equal(s, cases[i].tree);
        free(s);
    }
}

static void test_multi_doc(void **state)
{
    static const struct {
        const char *in, *tree;
        size_t ndocs;
    } cases[] = {
        {"", "", 0},                                         /* empty input: no document */
        {"# only a comment\n", "", 0},                       /* comments only */
        {"a: 1\n---\nb: 2\n", "{a=1} | {b=2}", 2},           /* two documents */
        {"---\na: 1\n", "{a=1}", 1},                         /* explicit start */
        {"---\n---\na: 1\n", "- | {a=1}", 2},                /* empty document is NULL */
        {"a: 1\n---\n", "{a=1} | -", 2},                     /* trailing "---" is an empty doc */
        {"a: 1\n...\n---\nb: 2\n...\n", "{a=1} | {b=2}", 2}, /* explicit ends */
        {"--- null\n--- ~\n--- x\n", "- | - | x", 3},        /* a null root counts as empty */
        {"{\"a\": 1}\n---\n[2]\n", "{a=1} | [2]", 2},        /* JSON documents in a stream */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ystream ys;
        struct cap c;
        char *s;

        cap_open(&c);
        assert_int_equal(ystream_load_mem(&ys, "t.yaml", cases[i].in, strlen(cases[i].in), &c.d),
                         0);
        assert_int_equal(ys.ndocs, cases[i].ndocs);
        s = dump_stream(&ys, 0);
        assert_string_equal(s, cases[i].tree);
        free(s);
        ystream_release(&ys);
        cap_close(&c);
    }
}

/* The shapes kubectl prints for "get pods,svc -o yaml|json". */
static void test_kind_list(void **state)
{
    static const char yaml[] = "apiVersion: v1\n"
                               "items:\n"
                               "- apiVersion: v1\n"
                               "  kind: Pod\n"
                               "  metadata:\n"
                               "    name: web-0\n"
                               "    namespace: shop\n"
                               "- apiVersion: v1\n"
                               "  kind: Service\n"
                               "  metadata:\n"
                               "    name: web\n"
                               "kind: List\n"
                               "metadata:\n"
                               "  resourceVersion: \"\"\n";
    static const char json[] = "{\n"
                               "    \"apiVersion\": \"v1\",\n"
                               "    \"items\": [\n"
                               "        {\n"
                               "            \"apiVersion\": \"v1\",\n"
                               "            \"kind\": \"Pod\",\n"
                               "            \"metadata\": {\n"
                               "                \"name\": \"web-0\",\n"
                               "                \"namespace\": \"shop\"\n"
                               "            }\n"
                               "        },\n"
                               "        {\n"
                               "            \"apiVersion\": \"v1\",\n"
                               "            \"kind\": \"Service\",\n"
                               "            \"metadata\": {\n"
                               "                \"name\": \"web\"\n"
                               "            }\n"
                               "        }\n"
                               "    ],\n"
                               "    \"kind\": \"List\",\n"
                               "    \"metadata\": {\n"
                               "        \"resourceVersion\": \"\"\n"
                               "    }\n"
                               "}\n";
    static const struct {
        const char *text;
        unsigned name_line, name_col; /* where items[1].metadata.name's value is */
    } cases[] = {
        {yaml, 11, 11}, /* YAML */
        {json, 16, 25}, /* JSON */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ystream ys;
        struct cap c;
        const struct ynode *doc, *items, *name;
        const char *s;

        cap_open(&c);
        assert_int_equal(ystream_load_mem(&ys, "list", cases[i].text, strlen(cases[i].text), &c.d),
                         0);
        assert_int_equal(ys.ndocs, 1);
        doc = ys.docs[0];
        assert_int_equal(ynode_expect(&c.d, &ys, doc, YNODE_MAP, "document"), 0);
        assert_int_equal(ynode_str(&c.d, &ys, ynode_get(doc, "kind"), "kind", &s), 0);
        assert_string_equal(s, "List");
        items = ynode_get(doc, "items");
        assert_int_equal(ynode_expect(&c.d, &ys, items, YNODE_SEQ, "items"), 0);
        assert_int_equal(items->u.seq.n, 2);
        assert_int_equal(ynode_str(&c.d, &ys, ynode_get(items->u.seq.items[1], "kind"), "kind", &s),
                         0);
        assert_string_equal(s, "Service");
        name = ynode_get(ynode_get(items->u.seq.items[1], "metadata"), "name");
        assert_non_null(name);
        assert_int_equal(name->line, cases[i].name_line);
        assert_int_equal(name->col, cases[i].name_col);
        /* resourceVersion "" is a string, not null */
        assert_int_equal(ynode_str(&c.d, &ys,
                                   ynode_get(ynode_get(doc, "metadata"), "resourceVersion"),
                                   "metadata.resourceVersion", &s),
                         0);
        assert_string_equal(s, "");
        assert_string_equal(cap_text(&c), "");
        ystream_release(&ys);
        cap_close(&c);
    }
}

/* Positions of nodes: 1-based line and column of the node's first character. */
static void test_positions(void **state)
{
    static const char text[] = "a: 1\n"
                               "b:\n"
                               "  - x\n"
                               "  - {c: 'd'}\n";
    struct ystream ys;
    struct cap c;
    const struct ynode *doc, *b, *m, *cv;

    (void)state;
    cap_open(&c);
    assert_int_equal(ystream_load_mem(&ys, "p.yaml", text, strlen(text), &c.d), 0);
    doc = ys.docs[0];
    assert_int_equal(doc->line, 1);
    assert_int_equal(doc->col, 1);
    assert_int_equal(doc->u.map.pairs[0].value->line, 1);
    assert_int_equal(doc->u.map.pairs[0].value->col, 4);
    b = ynode_get(doc, "b");
    assert_int_equal(b->line, 3);
    assert_int_equal(b->col, 3);
    assert_int_equal(b->u.seq.items[0]->col, 5);
    m = b->u.seq.items[1];
    assert_int_equal(m->line, 4);
    assert_int_equal(m->col, 5);
    cv = ynode_get(m, "c");
    assert_int_equal(cv->line, 4);
    assert_int_equal(cv->col, 9);
    assert_int_equal(cv->u.scalar.style, YSCALAR_QUOTED);
    ystream_release(&ys);
    cap_close(&c);
}

/* Malformed documents: libyaml's problem at its 1-based position, with the
 * context it was in. */
static void test_malformed(void **state)
{
    static const struct {
        const char *in;
        const char *msg;
    } cases[] = {
        /* bad indentation: "c" is less indented than its sibling "b" */
        {"a:\n  b: 1\n c: 2\n",
         "t.yaml:3:2: error: did not find expected key (while parsing a block mapping at 1:1)\n"},
        /* unterminated double quote */
        {"a: \"abc",
         "t.yaml:1:8: error: found unexpected end of stream (while scanning a quoted scalar at "
         "1:4)\n"},
        /* a tab used for indentation */
        {"a:\n\tb: 1\n",
         "t.yaml:2:1: error: found character that cannot start any token (while scanning for "
         "the next token at 2:1)\n"},
        /* JSON with a missing comma */
        {"{\"a\": 1 \"b\": 2}",
         "t.yaml:1:12: error: did not find expected ',' or '}' (while parsing a flow mapping at "
         "1:1)\n"},
        /* JSON with an unclosed array, on a later line */
        {"{\n  \"a\": [1, 2\n}\n",
         "t.yaml:3:1: error: did not find expected ',' or ']' (while parsing a flow sequence at "
         "2:8)\n"},
        /* invalid UTF-8: libyaml gives a byte offset, not a line */
        {"a: b\nc: \xff\n", "t.yaml: error: invalid leading UTF-8 octet #xFF at byte offset 8\n"},
        /* a control character */
        {"a: \x01\n", "t.yaml: error: control characters are not allowed #x01 at byte offset 3\n"},
        /* a key without a value in a flow mapping is fine, two colons are not */
        {"a: b: c\n", "t.yaml:1:5: error: mapping values are not allowed in this context\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        load_fails(cases[i].in, strlen(cases[i].in), NULL, ERR_PARSE, cases[i].msg);
}

/* Things YAML allows that we refuse on purpose. */
static void test_refused(void **state)
{
    static const struct {
        const char *in;
        const char *msg;
    } cases[] = {
        /* an anchor, even unused */
        {"a: &x 1\n", "t.yaml:1:4: error: anchors and aliases are not supported (anchor '&x')\n"},
        /* an alias (the YAML bomb's tool); the anchor is reported first when present */
        {"- *x\n", "t.yaml:1:3: error: anchors and aliases are not supported (alias '*x')\n"},
        /* an anchor on a mapping */
        {"a: &m\n  b: 1\n",
         "t.yaml:1:4: error: anchors and aliases are not supported (anchor '&m')\n"},
        /* a sequence as a mapping key */
        {"? [a]\n: 1\n", "t.yaml:1:3: error: mapping keys must be scalars, found a sequence\n"},
        /* a mapping as a key in flow style */
        {"{{a: 1}: 2}", "t.yaml:1:2: error: mapping keys must be scalars, found a mapping\n"},
        /* a sequence as a key after a first good pair */
        {"{a: 1, [b]: 2}", "t.yaml:1:8: error: mapping keys must be scalars, found a sequence\n"},
        /* an application tag */
        {"a: !foo x\n", "t.yaml:1:4: error: tag '!foo' is not supported\n"},
        /* a core tag that does not match the node */
        {"a: !!int x\n", "t.yaml:1:4: error: tag 'tag:yaml.org,2002:int' is not supported\n"},
        /* a NUL in a JSON string: every reader would stop at it */
        {"{\"selector\": \"all()\\u0000 junk\"}",
         "t.yaml:1:14: error: a string holds a NUL character (\\u0000): not allowed\n"},
        /* in a YAML double-quoted scalar, and in a key */
        {"metadata:\n  name: \"deny\\0all\"\n",
         "t.yaml:2:9: error: a string holds a NUL character (\\u0000): not allowed\n"},
        {"{\"a\\u0000b\": 1}",
         "t.yaml:1:2: error: a string holds a NUL character (\\u0000): not allowed\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        load_fails(cases[i].in, strlen(cases[i].in), NULL, ERR_PARSE, cases[i].msg);
}

static void test_duplicate_keys(void **state)
{
    static const struct {
        const char *in;
        const char *msg;
    } cases[] = {
        /* block mapping */
        {"a: 1\nb: 2\na: 3\n", "t.yaml:3:1: error: duplicate key 'a' (first at 1:1)\n"},
        /* JSON */
        {"{\"x\": {\"k\": 1, \"k\": 2}}", "t.yaml:1:16: error: duplicate key 'k' (first at 1:8)\n"},
        /* styles do not matter: plain 1 and quoted "1" are the same key */
        {"1: a\n\"1\": b\n", "t.yaml:2:1: error: duplicate key '1' (first at 1:1)\n"},
        /* three times: the second occurrence is reported, with the first */
        {"a: 1\na: 2\na: 3\n", "t.yaml:2:1: error: duplicate key 'a' (first at 1:1)\n"},
        /* nested mapping deeper in a sequence */
        {"- m:\n    z: 1\n    y: 2\n    z: 3\n",
         "t.yaml:4:5: error: duplicate key 'z' (first at 2:5)\n"},
        /* a large mapping (sorted check): two keys repeat, the earlier repetition wins */
        {"k0: 0\nk1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\n"
         "k7: x\nk2: y\nk2: z\n",
         "t.yaml:11:1: error: duplicate key 'k7' (first at 8:1)\n"},
        /* a large mapping: a key repeated three times */
        {"k0: 0\nk1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\n"
         "k5: x\nk5: y\n",
         "t.yaml:11:1: error: duplicate key 'k5' (first at 6:1)\n"},
        /* a key that needs quoting in the message */
        {"\"a'\\n\": 1\n\"a'\\n\": 2\n",
         "t.yaml:2:1: error: duplicate key 'a\\'\\x0a' (first at 1:1)\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        load_fails(cases[i].in, strlen(cases[i].in), NULL, ERR_PARSE, cases[i].msg);
}

/* Build "[[[...]]]" of depth n (block style when block is set). */
static char *nested(size_t n, int block)
{
    struct buf b;

    buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        if (block) {
            for (size_t j = 0; j < i; j++)
                assert_int_equal(buf_addch(&b, ' '), 0);
            assert_int_equal(buf_addstr(&b, "k:\n"), 0);
        } else {
            assert_int_equal(buf_addch(&b, '['), 0);
        }
    }
    if (!block)
        for (size_t i = 0; i < n; i++)
            assert_int_equal(buf_addch(&b, ']'), 0);
    return buf_detach(&b, NULL);
}

static void test_depth(void **state)
{
    char *s;
    char *d;

    (void)state;
    /* exactly LIM_YAML_DEPTH levels load */
    s = nested(LIM_YAML_DEPTH, 0);
    d = load_dump(s, strlen(s), 0);
    assert_int_equal(strlen(d), 2 * LIM_YAML_DEPTH);
    free(d);
    free(s);
    /* one more is refused where the extra level opens */
    s = nested(LIM_YAML_DEPTH + 1, 0);
    load_fails(s, strlen(s), NULL, ERR_LIMIT,
               "t.yaml:1:65: error: nesting deeper than 64 levels (LIM_YAML_DEPTH)\n");
    free(s);
    /* a bomb of a million brackets stops at the limit */
    s = nested(1000000, 0);
    load_fails(s, strlen(s), NULL, ERR_LIMIT,
               "t.yaml:1:65: error: nesting deeper than 64 levels (LIM_YAML_DEPTH)\n");
    free(s);
    /* block mappings nest too: the 65th "k:" value is the 65th mapping */
    s = nested(LIM_YAML_DEPTH + 2, 1);
    load_fails(s, strlen(s), NULL, ERR_LIMIT,
               "t.yaml:65:65: error: nesting deeper than 64 levels (LIM_YAML_DEPTH)\n");
    free(s);
}

static void test_scalar_limit(void **state)
{
    size_t n = LIM_YAML_SCALAR;
    char *s = malloc(n + 16);
    char *d;

    (void)state;
    assert_non_null(s);
    /* a quoted scalar of exactly the limit loads */
    s[0] = '"';
    memset(s + 1, 'x', n);
    s[n + 1] = '"';
    d = load_dump(s, n + 2, 0);
    assert_int_equal(strlen(d), n);
    free(d);
    /* one byte more does not */
    memcpy(s, "a: ", 3);
    memset(s + 3, 'x', n + 1);
    load_fails(s, n + 4, NULL, ERR_LIMIT,
               "t.yaml:1:4: error: scalar of 1048577 bytes is larger than 1048576 bytes "
               "(LIM_YAML_SCALAR)\n");
    free(s);
    /* far larger: refused while libyaml is still reading it, at the end of
     * the last event it delivered (4 MiB for escapes, 256 KiB of read-ahead) */
    n = 8 * LIM_YAML_SCALAR;
    s = malloc(n + 16);
    assert_non_null(s);
    memcpy(s, "a: ", 3);
    memset(s + 3, 'x', n);
    load_fails(s, n + 3, NULL, ERR_LIMIT,
               "t.yaml:1:2: error: more than 4456448 bytes without a complete node after this "
               "point (LIM_YAML_SCALAR)\n");
    /* the same in a JSON string, through the rewriting path */
    memcpy(s, "[\"", 2);
    memset(s + 2, 'x', n);
    load_fails(s, n + 2, NULL, ERR_LIMIT,
               "t.yaml:1:1: error: more than 4456448 bytes without a complete node after this "
               "point (LIM_YAML_SCALAR)\n");
    free(s);
}

static void test_small_limits(void **state)
{
    static const struct {
        struct ylimits lim;
        const char *in;
        const char *msg;
    } cases[] = {
        /* nodes: a map, its key and value are three */
        {{64, 100, 1000, 3}, "a: 1\n", NULL},
        {{64, 100, 1000, 3}, "a: [1]\n", "t.yaml:1:5: error: more than 3 nodes (LIM_YAML_NODES)\n"},
        /* nodes are counted over the whole stream */
        {{64, 100, 1000, 3},
         "a: 1\n---\nb\n",
         "t.yaml:3:1: error: more than 3 nodes (LIM_YAML_NODES)\n"},
        /* memory input larger than the file limit is refused before parsing */
        {{64, 100, 4, 100},
         "a: 1\n",
         "t.yaml: error: input is larger than 4 bytes (LIM_YAML_FILE)\n"},
        /* a lowered depth limit */
        {{2, 100, 1000, 100},
         "a: {b: [c]}\n",
         "t.yaml:1:8: error: nesting deeper than 2 levels (LIM_YAML_DEPTH)\n"},
        /* a plain key counts against the scalar limit too */
        {{64, 3, 1000, 100},
         "abcd: 1\n",
         "t.yaml:1:1: error: scalar of 4 bytes is larger than 3 bytes (LIM_YAML_SCALAR)\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *in = cases[i].in;
        if (cases[i].msg) {
            load_fails(in, strlen(in), &cases[i].lim,
                       strstr(cases[i].msg, "LIM_") ? ERR_LIMIT : ERR_PARSE, cases[i].msg);
        } else {
            struct ystream ys;
            struct cap c;

            cap_open(&c);
            assert_int_equal(
                ystream_load_mem_lim(&ys, "t.yaml", in, strlen(in), &cases[i].lim, &c.d), 0);
            ystream_release(&ys);
            cap_close(&c);
        }
    }
}

/* Write text to a new temporary file; the caller unlinks path. */
static void temp_file(char *path, size_t size, const char *text, size_t len)
{
    int fd;

    snprintf(path, size, "/tmp/test_ydoc.XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void test_load_file(void **state)
{
    static const char text[] = "a: 1\n---\n{\"b\": [true]}\n";
    struct ylimits lim = {LIM_YAML_DEPTH, LIM_YAML_SCALAR, 10, LIM_YAML_NODES};
    char path[64], want[160];
    struct ystream ys;
    struct cap c;
    char *s;

    (void)state;
    /* a file of two documents */
    temp_file(path, sizeof(path), text, strlen(text));
    cap_open(&c);
    assert_int_equal(ystream_load_file(&ys, path, &c.d), 0);
    assert_string_equal(ys.name, path);
    s = dump_stream(&ys, 0);
    assert_string_equal(s, "{a=1} | {b=[true]}");
    free(s);
    ystream_release(&ys);
    /* the file limit is enforced while streaming */
    assert_int_equal(ystream_load_file_lim(&ys, path, &lim, &c.d), ERR_LIMIT);
    snprintf(want, sizeof(want), "%s: error: input is larger than 10 bytes (LIM_YAML_FILE)\n",
             path);
    assert_string_equal(cap_text(&c), want);
    assert_null(ys.docs);
    cap_close(&c);
    unlink(path);

    /* an empty file has no document */
    temp_file(path, sizeof(path), "", 0);
    cap_open(&c);
    assert_int_equal(ystream_load_file(&ys, path, &c.d), 0);
    assert_int_equal(ys.ndocs, 0);
    ystream_release(&ys);
    assert_string_equal(cap_text(&c), "");
    cap_close(&c);
    unlink(path);

    /* errors in a file are reported under its name */
    temp_file(path, sizeof(path), "a: [\n", 5);
    cap_open(&c);
    assert_int_equal(ystream_load_file(&ys, path, &c.d), ERR_PARSE);
    snprintf(want, sizeof(want),
             "%s:2:1: error: did not find expected node content (while parsing a flow node at "
             "2:1)\n",
             path);
    assert_string_equal(cap_text(&c), want);
    cap_close(&c);
    unlink(path);

    /* "-" reads stdin, named "<stdin>" in messages */
    {
        static const char in[] = "a: 1\nb: [\n";
        int fds[2], saved;

        assert_int_equal(pipe(fds), 0);
        assert_int_equal(write(fds[1], in, strlen(in)), (ssize_t)strlen(in));
        close(fds[1]);
        saved = dup(STDIN_FILENO);
        assert_true(saved >= 0);
        assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
        close(fds[0]);
        cap_open(&c);
        assert_int_equal(ystream_load_file(&ys, "-", &c.d), ERR_PARSE);
        assert_string_equal(cap_text(&c), "<stdin>:3:1: error: did not find expected node content "
                                          "(while parsing a flow node at 3:1)\n");
        cap_close(&c);
        assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
        close(saved);
    }

    /* a missing file, a directory */
    cap_open(&c);
    assert_int_equal(ystream_load_file(&ys, "/nonexistent/x.yaml", &c.d), -ENOENT);
    assert_int_equal(ystream_load_file(&ys, "/", &c.d), -EISDIR);
    assert_string_equal(cap_text(&c),
                        "podflow: cannot read '/nonexistent/x.yaml': No such file or directory\n"
                        "podflow: cannot read '/': Is a directory\n");
    assert_null(ys.docs);
    cap_close(&c);
}

/* The typed helpers on one document; each row names a field and what the
 * helper must return, or the exact message it must print. */
enum helper { H_EXPECT_MAP, H_EXPECT_SEQ, H_STR, H_INT, H_DOUBLE, H_BOOL };

static void test_typed(void **state)
{
    static const char text[] = "metadata:\n"                   /* 1 */
                               "  - x\n"                       /* 2 */
                               "spec:\n"                       /* 3 */
                               "  port: abc\n"                 /* 4 */
                               "  p80: 80\n"                   /* 5 */
                               "  q80: \"80\"\n"               /* 6 */
                               "  neg: -5\n"                   /* 7 */
                               "  hex: 0x10\n"                 /* 8 */
                               "  oct: 0755\n"                 /* 9 */
                               "  flt: 1.5\n"                  /* 10 */
                               "  big: 99999999999999999999\n" /* 11 */
                               "  nul: null\n"                 /* 12 */
                               "  emp:\n"                      /* 13 */
                               "  qemp: ''\n"                  /* 14 */
                               "  t: true\n"                   /* 15 */
                               "  F: FALSE\n"                  /* 16 */
                               "  qt: 'true'\n"                /* 17 */
                               "  yes: yes\n"                  /* 18 */
                               "  order: 37.5\n"               /* 19 */
                               "  qord: \"-2e3\"\n"            /* 20 */
                               "  inf: .inf\n"                 /* 21 */
                               "  zero: 0\n"                   /* 22 */
                               "  mzero: -0\n"                 /* 23 */
                               "  plus: +3\n"                  /* 24 */
                               "  sq: [1]\n";                  /* 25 */
    static const struct {
        enum helper h;
        const char *key; /* under spec, or top level when it starts with '/' */
        int64_t min, max;
        int rc;
        const char *want; /* value as text, or the message */
    } cases[] = {
        {H_EXPECT_MAP, "/metadata", 0, 0, ERR_INVALID,
         "t.yaml:2:3: error: expected a mapping for 'f', found a sequence\n"},
        {H_EXPECT_SEQ, "/metadata", 0, 0, 0, ""},
        {H_EXPECT_MAP, "/spec", 0, 0, 0, ""},
        {H_EXPECT_MAP, "/missing", 0, 0, ERR_INVALID,
         "t.yaml: error: expected a mapping for 'f', found nothing\n"},
        {H_EXPECT_SEQ, "nul", 0, 0, ERR_INVALID,
         "t.yaml:12:8: error: expected a sequence for 'f', found null\n"},
        {H_EXPECT_MAP, "p80", 0, 0, ERR_INVALID,
         "t.yaml:5:8: error: expected a mapping for 'f', found a scalar\n"},
        {H_INT, "port", 0, 65535, ERR_INVALID,
         "t.yaml:4:9: error: expected an integer for 'f', found 'abc'\n"},
        {H_INT, "p80", 1, 65535, 0, "80"}, /* plain */
        {H_INT, "q80", 1, 65535, 0, "80"}, /* quoted */
        {H_INT, "neg", -10, 10, 0, "-5"},  /* negative */
        {H_INT, "zero", 0, 0, 0, "0"},     /* zero */
        {H_INT, "mzero", 0, 0, 0, "0"},    /* minus zero */
        {H_INT, "p80", 1, 79, ERR_INVALID,
         "t.yaml:5:8: error: expected an integer in [1, 79] for 'f', found '80'\n"},
        {H_INT, "big", INT64_MIN, INT64_MAX, ERR_INVALID,
         "t.yaml:11:8: error: expected an integer in [-9223372036854775808, "
         "9223372036854775807] for 'f', found '99999999999999999999'\n"},
        {H_INT, "hex", 0, 100, ERR_INVALID,
         "t.yaml:8:8: error: expected an integer for 'f', found '0x10'\n"},
        {H_INT, "oct", 0, 1000, ERR_INVALID,
         "t.yaml:9:8: error: expected an integer for 'f', found '0755'\n"},
        {H_INT, "flt", 0, 100, ERR_INVALID,
         "t.yaml:10:8: error: expected an integer for 'f', found '1.5'\n"},
        {H_INT, "plus", 0, 100, ERR_INVALID,
         "t.yaml:24:9: error: expected an integer for 'f', found '+3'\n"},
        {H_INT, "qemp", 0, 100, ERR_INVALID,
         "t.yaml:14:9: error: expected an integer for 'f', found ''\n"},
        {H_INT, "emp", 0, 100, ERR_INVALID,
         "t.yaml:13:7: error: expected an integer for 'f', found null\n"},
        {H_INT, "sq", 0, 100, ERR_INVALID,
         "t.yaml:25:7: error: expected an integer for 'f', found a sequence\n"},
        {H_STR, "port", 0, 0, 0, "abc"},
        {H_STR, "p80", 0, 0, 0, "80"}, /* a plain number is text too */
        {H_STR, "qemp", 0, 0, 0, ""},  /* quoted empty string */
        {H_STR, "nul", 0, 0, ERR_INVALID,
         "t.yaml:12:8: error: expected a string for 'f', found null\n"},
        {H_STR, "emp", 0, 0, ERR_INVALID,
         "t.yaml:13:7: error: expected a string for 'f', found null\n"},
        {H_STR, "/metadata", 0, 0, ERR_INVALID,
         "t.yaml:2:3: error: expected a string for 'f', found a sequence\n"},
        {H_STR, "absent", 0, 0, ERR_INVALID,
         "t.yaml: error: expected a string for 'f', found nothing\n"},
        {H_BOOL, "t", 0, 0, 0, "1"},
        {H_BOOL, "F", 0, 0, 0, "0"},
        {H_BOOL, "qt", 0, 0, ERR_INVALID,
         "t.yaml:17:7: error: expected a boolean for 'f', found 'true'\n"},
        {H_BOOL, "yes", 0, 0, ERR_INVALID,
         "t.yaml:18:8: error: expected a boolean for 'f', found 'yes'\n"},
        {H_BOOL, "nul", 0, 0, ERR_INVALID,
         "t.yaml:12:8: error: expected a boolean for 'f', found null\n"},
        {H_DOUBLE, "order", 0, 0, 0, "37.5"}, /* Calico's order */
        {H_DOUBLE, "p80", 0, 0, 0, "80"},     /* an integer is a number */
        {H_DOUBLE, "qord", 0, 0, 0, "-2000"}, /* quoted, exponent */
        {H_DOUBLE, "inf", 0, 0, ERR_INVALID,
         "t.yaml:21:8: error: expected a number for 'f', found '.inf'\n"},
        {H_DOUBLE, "port", 0, 0, ERR_INVALID,
         "t.yaml:4:9: error: expected a number for 'f', found 'abc'\n"},
        {H_DOUBLE, "sq", 0, 0, ERR_INVALID,
         "t.yaml:25:7: error: expected a number for 'f', found a sequence\n"},
    };
    struct ystream ys;
    struct cap c0;
    const struct ynode *spec;

    (void)state;
    cap_open(&c0);
    assert_int_equal(ystream_load_mem(&ys, "t.yaml", text, strlen(text), &c0.d), 0);
    cap_close(&c0);
    spec = ynode_get(ys.docs[0], "spec");
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct ynode *n;
        char got[64] = "";
        struct cap c;
        const char *s = NULL;
        int64_t v = 0;
        double x = 0;
        int b = -1;
        int rc = 0;

        if (cases[i].key[0] == '/')
            n = ynode_get(ys.docs[0], cases[i].key + 1);
        else
            n = ynode_get(spec, cases[i].key);
        cap_open(&c);
        switch (cases[i].h) {
        case H_EXPECT_MAP:
            rc = ynode_expect(&c.d, &ys, n, YNODE_MAP, "f");
            break;
        case H_EXPECT_SEQ:
            rc = ynode_expect(&c.d, &ys, n, YNODE_SEQ, "f");
            break;
        case H_STR:
            rc = ynode_str(&c.d, &ys, n, "f", &s);
            if (!rc)
                snprintf(got, sizeof(got), "%s", s);
            break;
        case H_INT:
            rc = ynode_int(&c.d, &ys, n, "f", cases[i].min, cases[i].max, &v);
            if (!rc)
                snprintf(got, sizeof(got), "%lld", (long long)v);
            break;
        case H_DOUBLE:
            rc = ynode_double(&c.d, &ys, n, "f", &x);
            if (!rc)
                snprintf(got, sizeof(got), "%g", x);
            break;
        case H_BOOL:
            rc = ynode_bool(&c.d, &ys, n, "f", &b);
            if (!rc)
                snprintf(got, sizeof(got), "%d", b);
            break;
        }
        if (rc != cases[i].rc)
            fail_msg("row %zu (%s): rc %d, want %d: %s", i, cases[i].key, rc, cases[i].rc,
                     cap_text(&c));
        if (rc)
            assert_string_equal(cap_text(&c), cases[i].want);
        else if (cases[i].h != H_EXPECT_MAP && cases[i].h != H_EXPECT_SEQ)
            assert_string_equal(got, cases[i].want);
        assert_int_equal(c.d.errors, rc ? 1 : 0);
        /* d may be NULL: the same result, no message */
        if (cases[i].h == H_INT)
            assert_int_equal(ynode_int(NULL, &ys, n, "f", cases[i].min, cases[i].max, &v),
                             cases[i].rc);
        cap_close(&c);
    }
    ystream_release(&ys);
}

static void test_get_null_report(void **state)
{
    static const char text[] = "a: ~\nb: NULL\nc: 'null'\nd: nil\n\"\": e\n";
    struct ystream ys;
    struct cap c;
    const struct ynode *doc;

    (void)state;
    cap_open(&c);
    assert_int_equal(ystream_load_mem(&ys, "r.yaml", text, strlen(text), &c.d), 0);
    doc = ys.docs[0];
    assert_true(ynode_is_null(NULL));
    assert_true(ynode_is_null(ynode_get(doc, "a")));
    assert_true(ynode_is_null(ynode_get(doc, "b")));
    assert_false(ynode_is_null(ynode_get(doc, "c"))); /* quoted */
    assert_false(ynode_is_null(ynode_get(doc, "d"))); /* not a YAML null */
    assert_false(ynode_is_null(doc));
    assert_null(ynode_get(doc, "zz"));
    assert_null(ynode_get(ynode_get(doc, "a"), "x")); /* not a mapping */
    assert_null(ynode_get(NULL, "x"));
    assert_string_equal(ynode_get(doc, "")->u.scalar.s, "e"); /* empty key */
    assert_string_equal(ynode_kind_name(YNODE_SEQ), "a sequence");
    ynode_report(&c.d, &ys, ynode_get(doc, "d"), DIAG_WARNING, "unknown value '%s'", "nil");
    ynode_report(&c.d, &ys, NULL, DIAG_ERROR, "no position");
    ynode_report(NULL, &ys, doc, DIAG_ERROR, "not printed");
    assert_string_equal(cap_text(&c), "r.yaml:4:4: warning: unknown value 'nil'\n"
                                      "r.yaml: error: no position\n");
    assert_int_equal(c.d.warnings, 1);
    assert_int_equal(c.d.errors, 1);
    ystream_release(&ys);
    /* release twice is harmless */
    ystream_release(&ys);
    cap_close(&c);
}

/*
 * JSON's surrogate-pair escapes, which libyaml refuses, are rewritten in
 * JSON input (and only there) into YAML's \U escape.
 */
static void test_json_surrogates(void **state)
{
    static const struct {
        const char *in;
        const char *tree; /* dump, or NULL when msg says why it fails */
        const char *msg;
    } cases[] = {
        /* a pair, lower case hex */
        {"{\"s\": \"\\ud83d\\ude00\"}", "{s=\xf0\x9f\x98\x80}", NULL},
        /* upper case hex, in a sequence, next to text and a BMP escape */
        {"[\"a\\uD83D\\uDE00b\", \"\\u00e9\"]",
         "[a\xf0\x9f\x98\x80"
         "b,\xc3\xa9]",
         NULL},
        /* the highest code point */
        {"[\"\\udbff\\udfff\"]", "[\xf4\x8f\xbf\xbf]", NULL},
        /* an escaped backslash: "\\ud83d" is text, not an escape */
        {"[\"\\\\ud83d\\\\ude00\"]", "[\\ud83d\\ude00]", NULL},
        /* nested deeper, after other escapes and keys */
        {"{\"a\": {\"b\\\"\": [\"\\t\\ud83d\\ude00\"]}}", "{a={b\"=[\t\xf0\x9f\x98\x80]}}", NULL},
        /* YAML single quotes hold text: the input stops looking like JSON */
        {"['\\ud83d\\ude00', \"x\"]", "[\\ud83d\\ude00,x]", NULL},
        /* a lone high surrogate is still refused, by libyaml */
        {"{\"s\": \"\\ud83d\"}", NULL,
         "t.yaml:1:10: error: found invalid Unicode character escape code (while parsing a "
         "quoted scalar at 1:7)\n"},
        /* a high surrogate followed by another escape */
        {"{\"s\": \"\\ud83d\\n\"}", NULL,
         "t.yaml:1:10: error: found invalid Unicode character escape code (while parsing a "
         "quoted scalar at 1:7)\n"},
        /* a lone low surrogate */
        {"[\"\\ude00\"]", NULL,
         "t.yaml:1:5: error: found invalid Unicode character escape code (while parsing a "
         "quoted scalar at 1:2)\n"},
        /* YAML, not JSON (plain key): not rewritten, so refused */
        {"{a: \"\\ud83d\\ude00\"}", NULL,
         "t.yaml:1:8: error: found invalid Unicode character escape code (while parsing a "
         "quoted scalar at 1:5)\n"},
        /* block YAML: not rewritten either */
        {"a: \"\\ud83d\\ude00\"\n", NULL,
         "t.yaml:1:7: error: found invalid Unicode character escape code (while parsing a "
         "quoted scalar at 1:4)\n"},
        /* only the first JSON value of a stream is rewritten */
        {"{}\n---\n[\"\\ud83d\\ude00\"]\n", NULL,
         "t.yaml:3:5: error: found invalid Unicode character escape code (while parsing a "
         "quoted scalar at 3:2)\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (cases[i].tree) {
            char *d = load_dump(cases[i].in, strlen(cases[i].in), 0);
            assert_string_equal(d, cases[i].tree);
            free(d);
        } else {
            load_fails(cases[i].in, strlen(cases[i].in), NULL, ERR_PARSE, cases[i].msg);
        }
    }
}

/* The rewrite shortens the line by 2 characters: later columns shift. */
static void test_json_surrogate_columns(void **state)
{
    static const char text[] = "{\"a\": \"\\ud83d\\ude00\", \"b\": 1}";
    struct ystream ys;
    struct cap c;

    (void)state;
    cap_open(&c);
    assert_int_equal(ystream_load_mem(&ys, "t.json", text, strlen(text), &c.d), 0);
    assert_int_equal(ys.docs[0]->u.map.pairs[1].key->col, 23 - 2);
    ystream_release(&ys);
    cap_close(&c);
}

/* An escape cut by the 64 KiB read chunk at every possible point. */
static void test_json_surrogate_split(void **state)
{
    static const char esc[] = "\\ud83d\\ude00";
    const size_t chunk = 64 * 1024;

    (void)state;
    for (size_t k = 0; k <= strlen(esc); k++) {
        /* {"s": "xxx...<esc>"} with the escape starting k bytes before the cut */
        size_t pad = chunk - k - 7;
        struct buf b;
        char *in, *d;

        buf_init(&b, 0);
        assert_int_equal(buf_addstr(&b, "{\"s\": \""), 0);
        for (size_t j = 0; j < pad; j++)
            assert_int_equal(buf_addch(&b, 'x'), 0);
        assert_int_equal(buf_addf(&b, "%s\"}", esc), 0);
        in = buf_detach(&b, NULL);
        assert_int_equal(memcmp(in + chunk - k, esc, strlen(esc)), 0);
        d = load_dump(in, strlen(in), 0);
        assert_int_equal(strlen(d), 3 + pad + 4 + 1);
        assert_int_equal(memcmp(d + 3 + pad, "\xf0\x9f\x98\x80}", 5), 0);
        free(d);
        free(in);
    }
}

/*
 * Valid JSON that libyaml refuses, kept here so a change is noticed:
 * - a key longer than 1024 characters (YAML's limit on implicit keys);
 *   Kubernetes keys stay within 317.
 */
static void test_json_libyaml_gaps(void **state)
{
    struct buf b;
    char *s;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_addstr(&b, "{\""), 0);
    for (int i = 0; i < 1100; i++)
        assert_int_equal(buf_addch(&b, 'k'), 0);
    assert_int_equal(buf_addstr(&b, "\": 1}"), 0);
    s = buf_detach(&b, NULL);
    load_fails(s, strlen(s), NULL, ERR_PARSE,
               "t.yaml:1:1104: error: did not find expected ',' or '}' (while parsing a flow "
               "mapping at 1:1)\n");
    free(s);
}

/* What the ystream_each_*() callback saw, one line per object. */
struct each_log {
    struct buf b;
    int calls;
    int stop_at;               /* return -42 on this call (1-based), 0 never */
    const struct ynode *first; /* first element of "items" seen */
    int same;                  /* elements after the first reused its memory */
};

static int each_cb(void *ctx, const struct ystream *ys, const struct ynode *obj, int in_list)
{
    struct each_log *log = ctx;

    assert_non_null(ys->name);
    log->calls++;
    if (in_list && obj && obj->kind == YNODE_MAP) {
        if (!log->first)
            log->first = obj;
        else
            log->same += obj == log->first;
    }
    if (obj)
        assert_int_equal(buf_addf(&log->b, "%d@%u:%u ", in_list, obj->line, obj->col), 0);
    else
        assert_int_equal(buf_addf(&log->b, "%d ", in_list), 0);
    dump_node(&log->b, obj, 0);
    assert_int_equal(buf_addch(&log->b, '\n'), 0);
    return log->calls == log->stop_at ? -42 : 0;
}

static void test_each(void **state)
{
    static const struct {
        const char *in;
        int stop_at;
        int rc;
        const char *log; /* callbacks */
        const char *msg; /* diagnostics */
    } cases[] = {
        /* a List: its elements as they complete, then the List, emptied */
        {"apiVersion: v1\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Service\n"
         "kind: List\n",
         0, 0,
         "1@3:3 {kind=Pod,metadata={name=a}}\n1@5:3 {kind=Service}\n"
         "0@1:1 {apiVersion=v1,items=[],kind=List}\n",
         ""},
        /* the same in JSON */
        {"{\"items\": [{\"kind\": \"Pod\"}, {\"kind\": \"Service\"}], \"kind\": \"List\"}", 0, 0,
         "1@1:12 {kind=Pod}\n1@1:29 {kind=Service}\n0@1:1 {items=[],kind=List}\n", ""},
        /* documents, an empty one as NULL */
        {"a: 1\n---\n---\nkind: Pod\n", 0, 0, "0@1:1 {a=1}\n0 -\n0@4:1 {kind=Pod}\n", ""},
        /* scalar elements */
        {"items: [1, x]\n", 0, 0, "1@1:9 1\n1@1:12 x\n0@1:1 {items=[]}\n", ""},
        /* "items" deeper down, or not a sequence, or in a top-level sequence: kept */
        {"spec:\n  items: [1]\n", 0, 0, "0@1:1 {spec={items=[1]}}\n", ""},
        {"items: {a: 1}\n", 0, 0, "0@1:1 {items={a=1}}\n", ""},
        {"- items: [1]\n", 0, 0, "0@1:1 [{items=[1]}]\n", ""},
        /* an empty List */
        {"items: []\nkind: List\n", 0, 0, "0@1:1 {items=[],kind=List}\n", ""},
        /* the callback stops the load at its second call, with its own code */
        {"items: [1, 2, 3]\n", 2, -42, "1@1:9 1\n1@1:12 2\n", ""},
        {"a: 1\n---\nb: 2\n", 1, -42, "0@1:1 {a=1}\n", ""},
        /* bad input after some elements: they stay handed out */
        {"items: [1, 2\n", 0, ERR_PARSE, "1@1:9 1\n1@1:12 2\n",
         "t.yaml:2:1: error: did not find expected ',' or ']' (while parsing a flow sequence at "
         "1:8)\n"},
        /* a duplicate key in an element is still refused */
        {"items:\n- {a: 1, a: 2}\n", 0, ERR_PARSE, "",
         "t.yaml:2:10: error: duplicate key 'a' (first at 2:4)\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct each_log log;
        struct cap c;
        int rc;

        memset(&log, 0, sizeof(log));
        buf_init(&log.b, 0);
        log.stop_at = cases[i].stop_at;
        cap_open(&c);
        rc = ystream_each_mem("t.yaml", cases[i].in, strlen(cases[i].in), each_cb, &log, &c.d);
        assert_int_equal(rc, cases[i].rc);
        assert_string_equal(log.b.data, cases[i].log);
        assert_string_equal(cap_text(&c), cases[i].msg);
        buf_release(&log.b);
        cap_close(&c);
    }
}

/* Elements reuse one piece of memory, and LIM_YAML_NODES counts each
 * object (with its document) rather than the whole input. */
static void test_each_bounded(void **state)
{
    const struct ylimits lim = {LIM_YAML_DEPTH, LIM_YAML_SCALAR, LIM_YAML_FILE, 6};
    struct each_log log;
    struct ystream ys;
    struct cap c;
    struct buf in;
    char *text;

    (void)state;
    buf_init(&in, 0);
    assert_int_equal(buf_addstr(&in, "items:\n"), 0);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(buf_addf(&in, "- {n: %d}\n", i), 0);
    text = buf_detach(&in, NULL);
    memset(&log, 0, sizeof(log));
    buf_init(&log.b, 0);
    cap_open(&c);
    /* map, "items", the sequence; then 3 nodes an element */
    assert_int_equal(ystream_each_mem_lim("t.yaml", text, strlen(text), &lim, each_cb, &log, &c.d),
                     0);
    assert_int_equal(log.calls, 20001);
    assert_int_equal(log.same, 19999);
    /* as one tree the same input is over the limit */
    assert_int_equal(ystream_load_mem_lim(&ys, "t.yaml", text, strlen(text), &lim, &c.d),
                     ERR_LIMIT);
    assert_string_equal(cap_text(&c), "t.yaml:3:3: error: more than 6 nodes (LIM_YAML_NODES)\n");
    cap_close(&c);
    buf_release(&log.b);
    free(text);
}

/* ystream_each_file(): a file, and a missing one. */
static void test_each_file(void **state)
{
    static const char text[] = "items:\n- 1\n";
    struct each_log log;
    char path[64];
    struct cap c;

    (void)state;
    temp_file(path, sizeof(path), text, strlen(text));
    memset(&log, 0, sizeof(log));
    buf_init(&log.b, 0);
    cap_open(&c);
    assert_int_equal(ystream_each_file(path, each_cb, &log, &c.d), 0);
    assert_string_equal(log.b.data, "1@2:3 1\n0@1:1 {items=[]}\n");
    assert_int_equal(ystream_each_file("/nonexistent/y", each_cb, &log, &c.d), -ENOENT);
    assert_string_equal(cap_text(&c),
                        "podflow: cannot read '/nonexistent/y': No such file or directory\n");
    cap_close(&c);
    buf_release(&log.b);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_json_same_tree),
        cmocka_unit_test(test_styles),
        cmocka_unit_test(test_empty_collections),
        cmocka_unit_test(test_multi_doc),
        cmocka_unit_test(test_kind_list),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_scalar_limit),
        cmocka_unit_test(test_small_limits),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_typed),
        cmocka_unit_test(test_get_null_report),
        cmocka_unit_test(test_json_surrogates),
        cmocka_unit_test(test_json_surrogate_columns),
        cmocka_unit_test(test_json_surrogate_split),
        cmocka_unit_test(test_json_libyaml_gaps),
        cmocka_unit_test(test_each),
        cmocka_unit_test(test_each_bounded),
        cmocka_unit_test(test_each_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
