/*
 * test_policy.c: the policy loader (analyze/pol_load.c, pol_calico.c,
 * pol_k8s.c, pol_valid.c, policy.c) against docs/semantics.md §2, §3, §4,
 * §6, §7, §8 and the §9 edge cases that concern loading.
 *
 * Most cases write a small YAML text to a file in a per-test directory,
 * load it, and compare the model (effective selector texts in Calico's
 * canonical form, types, rules, ports) or the exact diagnostics
 * ("p.yaml:LINE:COL: error: ...").  Rows are picked so that the nearest
 * wrong reading fails them: a namespaced SA selector all() that must NOT be
 * rewritten next to a global one that must, egress-only rules that default
 * to [Egress] and not to both, a port entry {} that is all of TCP and not
 * all protocols, and so on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/policy/policy.h"
#include "analyze/policy/pol_int.h"
#include "analyze/policy/selector.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/ipaddr.h"
#include "common/labels.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* --- helpers ------------------------------------------------------------------ */

struct loaded {
    struct policy_set ps;
    int rc;
    char *msgs; /* diagnostics with the temp directory stripped (malloc'd) */
    char dir[64];
};

/* Write text to <tmpdir>/p.yaml and load it (or load the paths given when
 * text is NULL).  Messages are kept with "<tmpdir>/" removed. */
/* policy_set_load() flags for load(): tests that mean an empty set set
 * POLICY_LOAD_ALLOW_EMPTY and clear it again. */
static unsigned load_flags;

static void load(struct loaded *l, const char *text, const char *const *paths, size_t npaths)
{
    struct diag d;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    char path[128];
    const char *p[1];
    struct buf clean;
    const char *s;

    assert_non_null(out);
    memset(l, 0, sizeof(*l));
    snprintf(l->dir, sizeof(l->dir), "/tmp/pftest-XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    diag_init(&d, out, "podflow-analyze");
    if (text) {
        FILE *f;

        snprintf(path, sizeof(path), "%s/p.yaml", l->dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        p[0] = path;
        paths = p;
        npaths = 1;
    }
    l->rc = policy_set_load(&l->ps, paths, npaths, load_flags, &d);
    fclose(out);
    buf_init(&clean, 0);
    for (s = buf; *s;) {
        size_t dl = strlen(l->dir);

        if (strncmp(s, l->dir, dl) == 0 && s[dl] == '/') {
            s += dl + 1;
            continue;
        }
        assert_int_equal(buf_addch(&clean, *s++), 0);
    }
    free(buf);
    l->msgs = buf_detach(&clean, NULL);
    if (text)
        unlink(path);
    rmdir(l->dir);
}

static void unload(struct loaded *l)
{
    if (l->rc == 0)
        policy_set_release(&l->ps);
    free(l->msgs);
}

/* Load text expecting success and no warnings unless allowed. */
static void load_ok(struct loaded *l, const char *text)
{
    load(l, text, NULL, 0);
    if (l->rc != 0)
        fprintf(stderr, "unexpected failure:\n%s", l->msgs);
    assert_int_equal(l->rc, 0);
}

static const struct policy *find(const struct policy_set *ps, const char *name)
{
    for (size_t i = 0; i < ps->npolicies; i++)
        if (strcmp(ps->policies[i].name, name) == 0)
            return &ps->policies[i];
    fail_msg("no policy '%s'", name);
    return NULL;
}

/* 1 when the set holds a policy of that name. */
static int has_policy(const struct policy_set *ps, const char *name)
{
    for (size_t i = 0; i < ps->npolicies; i++)
        if (strcmp(ps->policies[i].name, name) == 0)
            return 1;
    return 0;
}

static const struct tier *find_tier(const struct policy_set *ps, const char *name, size_t *idx)
{
    for (size_t i = 0; i < ps->ntiers; i++) {
        if (strcmp(ps->tiers[i].name, name) == 0) {
            if (idx)
                *idx = i;
            return &ps->tiers[i];
        }
    }
    return NULL;
}

/* Calico's canonical form of a selector text (what the model stores). */
static char *canon(const char *text)
{
    struct arena a;
    struct sel *s = NULL;
    struct sel_error e;
    struct buf b;
    char *out;

    arena_init(&a, 0);
    buf_init(&b, 0);
    if (sel_parse(&a, text, strlen(text), &s, &e) != 0)
        fail_msg("test selector '%s' does not parse: %s", text, e.msg);
    assert_int_equal(sel_format(s, &b), 0);
    out = buf_detach(&b, NULL);
    arena_release(&a);
    return out;
}

static void assert_sel(const char *got, const char *want_text)
{
    char *want = canon(want_text);

    if (!got || strcmp(got, want) != 0)
        fail_msg("selector\n  got  %s\n  want %s", got ? got : "(none)", want);
    free(want);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected message\n  %s\nin\n%s", needle, hay);
}

static const char *const FME_CURRENT[] = {"tests/fixtures/policies/fme-current"};
static const char *const FME_PROPOSED[] = {"tests/fixtures/policies/fme-proposed"};

/* --- the FME fixtures ------------------------------------------------------------ */

static void test_fme_fixtures(void **state)
{
    struct loaded l;
    const struct policy *eng;
    const struct tier *app, *def;
    size_t iapp, idef;

    (void)state;
    load(&l, NULL, FME_PROPOSED, 1);
    if (l.rc != 0)
        fprintf(stderr, "%s", l.msgs);
    assert_int_equal(l.rc, 0);
    assert_string_equal(l.msgs, "");
    eng = find(&l.ps, "application.engine-fmeserver");
    assert_int_equal(eng->kind, POL_NP);
    assert_string_equal(eng->ns, "fme");
    assert_string_equal(eng->tier, "application");
    assert_true(eng->has_order && eng->order == 37.5);
    assert_int_equal(eng->types, DIR_INGRESS | DIR_EGRESS);
    assert_sel(eng->selector_text, "(safe.k8s.fmeserver.component == \"engine\") && "
                                   "projectcalico.org/namespace == 'fme'");
    assert_int_equal(eng->negress, 2);
    assert_int_equal(eng->egress[0].proto, 6);
    assert_int_equal(eng->egress[0].dst.nports, 2);
    assert_int_equal(eng->egress[0].dst.ports[1].lo, 42000);
    assert_int_equal(eng->egress[0].dst.ports[1].hi, 43000);
    assert_sel(eng->egress[0].dst.sel_text, "(projectcalico.org/namespace == 'fme') && "
                                            "(safe.k8s.fmeserver.component == \"core\")");
    app = find_tier(&l.ps, "application", &iapp);
    def = find_tier(&l.ps, "default", &idef);
    assert_non_null(app);
    assert_non_null(def);
    assert_true(iapp < idef); /* order 400 before 1,000,000 */
    assert_int_equal(app->npolicies, 5);
    /* Policy order inside the tier: 35 core, 37.5 engine, 40 postgresql. */
    assert_string_equal(app->policies[0]->name, "application.core-fmeserver");
    assert_string_equal(app->policies[1]->name, "application.engine-fmeserver");
    assert_int_equal(def->npolicies, 1);
    assert_string_equal(def->policies[0]->name, "default-deny");
    assert_false(def->default_pass);
    unload(&l);

    load(&l, NULL, FME_CURRENT, 1);
    assert_int_equal(l.rc, 0);
    eng = find(&l.ps, "application.engine-fmeserver");
    assert_int_equal(eng->egress[0].dst.nports, 1); /* the pool is missing */
    assert_int_equal(eng->egress[0].dst.ports[0].lo, 7070);
    unload(&l);
}

/* --- §6.1 types defaulting ---------------------------------------------------------- */

static void test_types_defaulting(void **state)
{
    static const struct {
        const char *spec;
        unsigned want;
    } rows[] = {
        /* no rules at all: Ingress */
        {"  selector: all()\n", DIR_INGRESS},
        /* ingress rules only: Ingress */
        {"  ingress:\n  - action: Allow\n", DIR_INGRESS},
        /* egress rules only: Egress, not both (§9 item 7) */
        {"  egress:\n  - action: Allow\n", DIR_EGRESS},
        /* both */
        {"  ingress:\n  - action: Deny\n  egress:\n  - action: Allow\n", DIR_INGRESS | DIR_EGRESS},
        /* explicit types are kept even when they disagree with the rules */
        {"  types: [Egress]\n  ingress:\n  - action: Allow\n", DIR_EGRESS},
        /* an empty list is defaulted like an absent one */
        {"  types: []\n  egress:\n  - action: Allow\n", DIR_EGRESS},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[512];

        snprintf(text, sizeof(text),
                 "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
                 "metadata: {name: p, namespace: n}\nspec:\n%s",
                 rows[i].spec);
        load_ok(&l, text);
        assert_int_equal(find(&l.ps, "p")->types, rows[i].want);
        unload(&l);
    }
}

/* --- §2.1 effective endpoint selectors ------------------------------------------------ */

static void test_policy_selectors(void **state)
{
    static const struct {
        const char *kind; /* NetworkPolicy (namespace n) or GlobalNetworkPolicy */
        const char *spec;
        const char *want;
    } rows[] = {
        /* empty NP selector: just the namespace clause */
        {"NetworkPolicy", "selector: ''", "projectcalico.org/namespace == 'n'"},
        /* NP: the raw selector ANDed with the namespace */
        {"NetworkPolicy", "selector: app == 'x'",
         "(app == 'x') && projectcalico.org/namespace == 'n'"},
        /* NP serviceAccountSelector all() is NOT rewritten (§9 item 6) */
        {"NetworkPolicy", "serviceAccountSelector: all()",
         "(projectcalico.org/namespace == 'n') && all()"},
        /* NP serviceAccountSelector gets the pcsa. prefix */
        {"NetworkPolicy", "serviceAccountSelector: role == 'db'",
         "(projectcalico.org/namespace == 'n') && pcsa.role == 'db'"},
        /* GNP serviceAccountSelector all() becomes has(serviceaccount) (§9 item 6) */
        {"GlobalNetworkPolicy", "serviceAccountSelector: all()",
         "has(projectcalico.org/serviceaccount)"},
        /* GNP namespaceSelector all(): "has a namespace" (§9 item 5) */
        {"GlobalNetworkPolicy", "namespaceSelector: all()", "has(projectcalico.org/namespace)"},
        /* GNP: the plain-text replace also hits the user's own all() */
        {"GlobalNetworkPolicy", "{selector: all(), namespaceSelector: team == 'a'}",
         "(has(projectcalico.org/namespace)) && pcns.team == 'a'"},
        /* ... and an all() inside a quoted value */
        {"GlobalNetworkPolicy", "namespaceSelector: name == 'all()'",
         "pcns.name == 'has(projectcalico.org/namespace)'"},
        /* GNP with both selectors */
        {"GlobalNetworkPolicy", "{selector: app == 'x', serviceAccountSelector: role == 'y'}",
         "(app == 'x') && pcsa.role == 'y'"},
        /* GNP with no selector at all selects everything */
        {"GlobalNetworkPolicy", "order: 1", "all()"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[512];

        snprintf(text, sizeof(text),
                 "apiVersion: projectcalico.org/v3\nkind: %s\n"
                 "metadata: {name: p%s}\nspec:\n  %s\n",
                 rows[i].kind, strcmp(rows[i].kind, "NetworkPolicy") ? "" : ", namespace: n",
                 rows[i].spec);
        load_ok(&l, text);
        assert_sel(find(&l.ps, "p")->selector_text, rows[i].want);
        unload(&l);
    }
}

/* --- §2.2 rule selectors --------------------------------------------------------------- */

static void test_rule_selectors(void **state)
{
    static const struct {
        int global;
        const char *source;
        const char *want;     /* positive selector, NULL: none (any address) */
        const char *want_not; /* notSelector, NULL: none */
    } rows[] = {
        /* empty EntityRule: no selector at all, any address (§9 item 3) */
        {0, "{}", NULL, NULL},
        /* selector: all() is not "any address": own namespace in an NP */
        {0, "{selector: all()}", "(projectcalico.org/namespace == 'n') && (all())", NULL},
        {0, "{selector: app == 'x'}", "(projectcalico.org/namespace == 'n') && (app == 'x')", NULL},
        /* notSelector alone in an NP: own namespace only (§9 item 4) */
        {0, "{notSelector: app == 'x'}", "projectcalico.org/namespace == 'n'", "app == 'x'"},
        /* notSelector alone in a GNP: everything else, external included */
        {1, "{notSelector: app == 'x'}", NULL, "app == 'x'"},
        /* namespaceSelector replaces the own-namespace clause */
        {0, "{namespaceSelector: all()}", "has(projectcalico.org/namespace)", NULL},
        {0, "{namespaceSelector: global()}", "!has(projectcalico.org/namespace)", NULL},
        {0, "{namespaceSelector: ' global() '}", "!has(projectcalico.org/namespace)", NULL},
        {1, "{namespaceSelector: team == 'a', selector: app == 'x'}",
         "(pcns.team == 'a') && (app == 'x')", NULL},
        /* GNP selector alone is not namespaced */
        {1, "{selector: app == 'x'}", "app == 'x'", NULL},
        /* service accounts: names as a set, ANDed with the prefixed selector */
        {0, "{serviceAccounts: {names: [b, a]}}",
         "(projectcalico.org/namespace == 'n') && (projectcalico.org/serviceaccount in {'a', 'b'})",
         NULL},
        {0, "{serviceAccounts: {names: [a], selector: x == 'y'}, selector: app == 'q'}",
         "(projectcalico.org/namespace == 'n') && (((pcsa.x == 'y') && "
         "(projectcalico.org/serviceaccount in {'a'})) && (app == 'q'))",
         NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[768];
        const struct rule *r;

        snprintf(text, sizeof(text),
                 "apiVersion: projectcalico.org/v3\nkind: %s\n"
                 "metadata: {name: p%s}\nspec:\n  ingress:\n  - action: Allow\n"
                 "    source: %s\n",
                 rows[i].global ? "GlobalNetworkPolicy" : "NetworkPolicy",
                 rows[i].global ? "" : ", namespace: n", rows[i].source);
        load_ok(&l, text);
        r = &find(&l.ps, "p")->ingress[0];
        if (rows[i].want)
            assert_sel(r->src.sel_text, rows[i].want);
        else
            assert_null(r->src.sel);
        if (rows[i].want_not)
            assert_sel(r->src.notsel_text, rows[i].want_not);
        else
            assert_null(r->src.notsel);
        unload(&l);
    }
}

/* --- §8 validation: every problem, with file:line:col ------------------------------ */

static void test_validation_all_reported(void **state)
{
    /* Several problems in one file: each must be reported, in order. */
    static const char text[] = "apiVersion: projectcalico.org/v3\n"              /* 1 */
                               "kind: NetworkPolicy\n"                           /* 2 */
                               "metadata:\n"                                     /* 3 */
                               "  name: bad\n"                                   /* 4 */
                               "  namespace: n\n"                                /* 5 */
                               "spec:\n"                                         /* 6 */
                               "  selector: app == 'x' && role = 'y'\n"          /* 7 */
                               "  colour: blue\n"                                /* 8 */
                               "  ingress:\n"                                    /* 9 */
                               "  - action: Allow\n"                             /* 10 */
                               "    protocol: tcp\n"                             /* 11 */
                               "  - action: Allow\n"                             /* 12 */
                               "    destination:\n"                              /* 13 */
                               "      ports: [80]\n"                             /* 14 */
                               "  - action: Allow\n"                             /* 15 */
                               "    source:\n"                                   /* 16 */
                               "      nets: [10.0.0.0/8]\n"                      /* 17 */
                               "      notNets: ['fd00::/8']\n"                   /* 18 */
                               "  - action: Allow\n"                             /* 19 */
                               "    source:\n"                                   /* 20 */
                               "      selector: global()\n"                      /* 21 */
                               "  - action: Allow\n"                             /* 22 */
                               "    destination:\n"                              /* 23 */
                               "      namespaceSelector: global() && a == 'b'\n" /* 24 */
                               "  - action: allow\n"                             /* 25 */
                               "    icmp: {code: 3}\n";                          /* 26 */
    struct loaded l;

    (void)state;
    load(&l, text, NULL, 0);
    assert_int_not_equal(l.rc, 0);
    /* the column points at the lone "=" (selector column 20, file column 32) */
    assert_contains(l.msgs, "p.yaml:7:32: error: invalid selector in 'spec.selector': unexpected "
                            "token '=', expected '==' (selector column 20)");
    assert_contains(l.msgs, "p.yaml:8:3: error: unknown field 'spec.colour'");
    assert_contains(l.msgs, "p.yaml:11:15: error: invalid protocol name 'tcp' for "
                            "'spec.ingress[0].protocol': names are case-sensitive, use 'TCP'");
    assert_contains(l.msgs, "p.yaml:14:14: error: destination.ports: a numeric port needs "
                            "protocol TCP, UDP or SCTP");
    assert_contains(l.msgs, "p.yaml:15:5: error: source.notNets: rule contains both IPv4 and "
                            "IPv6 CIDRs");
    assert_contains(l.msgs, "p.yaml:21:17: error: global() can only be used in an EntityRule "
                            "namespaceSelector");
    assert_contains(l.msgs, "p.yaml:24:26: error: global() cannot be combined with other "
                            "selectors");
    assert_contains(l.msgs, "p.yaml:25:13: error: invalid action 'allow'");
    assert_contains(l.msgs, "p.yaml:26:11: error: ICMP code specified without an ICMP type");
    assert_contains(l.msgs, "p.yaml:25:5: error: icmp fields require protocol ICMP or ICMPv6");
    assert_contains(l.msgs, "podflow-analyze: policy set not loaded: 10 errors");
    unload(&l);
}

static void test_validation_rows(void **state)
{
    static const struct {
        const char *text; /* spec of NetworkPolicy p in namespace n (or a whole doc) */
        const char *msg;  /* expected message, NULL: must load */
    } rows[] = {
        /* named port without protocol is fine (§9 item 14) */
        {"  egress:\n  - action: Allow\n    destination: {ports: [http]}\n", NULL},
        /* numeric port needs a protocol */
        {"  egress:\n  - action: Allow\n    destination: {ports: [8080]}\n",
         "a numeric port needs protocol"},
        /* ports with a protocol that has none */
        {"  egress:\n  - action: Allow\n    protocol: ICMP\n    destination: {ports: [http]}\n",
         "must set protocol to TCP, UDP or SCTP"},
        /* numbers and the quoted number form */
        {"  egress:\n  - action: Allow\n    protocol: 6\n    destination: {ports: [1]}\n", NULL},
        {"  egress:\n  - action: Allow\n    protocol: '17'\n    destination: {ports: ['1:2']}\n",
         NULL},
        {"  egress:\n  - action: Allow\n    protocol: 0\n", "invalid protocol number 0"},
        {"  egress:\n  - action: Allow\n    protocol: 256\n", "a number must be 1 to 255"},
        {"  egress:\n  - action: Allow\n    protocol: any\n", "invalid protocol name 'any'"},
        /* port ranges ordered, 1..65535 */
        {"  egress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: ['90:80']}\n",
         "the minimum is greater than the maximum"},
        {"  egress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: ['0:80']}\n",
         "port numbers are 1 to 65535"},
        {"  egress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: [65536]}\n",
         "port numbers are 1 to 65535"},
        /* a boolean is not a port name; a quoted "true" would be */
        {"  egress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: [true]}\n",
         "a boolean, not a port number, range or name"},
        {"  egress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: ['true']}\n",
         NULL},
        /* a number past a double says so */
        {"  order: 1e999\n", "number out of range for 'spec.order': found 1e999"},
        /* a CIDR prefix length with a leading zero */
        {"  egress:\n  - action: Allow\n    destination: {nets: [10.0.0.0/08]}\n",
         "invalid CIDR '10.0.0.0/08'"},
        /* ICMP and ipVersion */
        {"  egress:\n  - action: Allow\n    protocol: ICMP\n    ipVersion: 6\n",
         "protocol ICMP requires ipVersion 4"},
        {"  egress:\n  - action: Allow\n    protocol: 58\n    ipVersion: 4\n",
         "protocol ICMPv6 requires ipVersion 6"},
        {"  egress:\n  - action: Allow\n    protocol: ICMP\n    icmp: {type: 255}\n",
         "must be between 0 and 254"},
        {"  egress:\n  - action: Allow\n    protocol: 1\n    icmp: {type: 8, code: 0}\n", NULL},
        /* nets: family agreement, prefix required, strictly masked */
        {"  egress:\n  - action: Allow\n    ipVersion: 6\n    destination: {nets: [10.0.0.0/8]}\n",
         "rule IP version doesn't match CIDR version"},
        {"  egress:\n  - action: Allow\n    destination: {nets: [10.1.2.3]}\n",
         "a prefix length is required"},
        {"  egress:\n  - action: Allow\n    destination: {nets: [10.1.2.3/8]}\n",
         "host bits are set (did you mean '10.0.0.0/8'?)"},
        {"  egress:\n  - action: Allow\n    destination: {notNets: [0.0.0.0/0]}\n",
         "a catch-all CIDR in negation matches no traffic"},
        /* types */
        {"  types: [Ingress, Ingress]\n", "'Ingress' type specified more than once"},
        {"  types: [ingress]\n", "invalid policy type 'ingress'"},
        /* global() anywhere in the policy selector is refused, even quoted */
        {"  selector: a == 'global()'\n", "global() can only be used in an EntityRule"},
        /* services */
        {"  egress:\n  - action: Allow\n    destination:\n      services: {name: s}\n"
         "      selector: a == 'b'\n",
         "cannot specify destination.selector/notSelector and services"},
        {"  ingress:\n  - action: Allow\n    destination:\n      services: {name: s}\n",
         "services are not allowed in an ingress rule's destination"},
        /* http only on Allow ingress rules */
        {"  egress:\n  - action: Allow\n    http: {methods: [GET]}\n",
         "http match is not allowed in egress rules"},
        /* a required action */
        {"  ingress:\n  - protocol: TCP\n", "'spec.ingress[0].action' is required"},
        /* unknown fields deep down */
        {"  ingress:\n  - action: Allow\n    source: {selectr: a == 'b'}\n",
         "unknown field 'spec.ingress[0].source.selectr'"},
        /* a number where a string is expected */
        {"  selector: 5\n", "expected a string for 'spec.selector', found a number"},
        /* order must be a number, not text */
        {"  order: '10'\n", "expected a number for 'spec.order', found a string"},
        /* NetworkPolicy never has doNotTrack */
        {"  doNotTrack: true\n", "unknown field 'spec.doNotTrack'"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[1024];

        snprintf(text, sizeof(text),
                 "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
                 "metadata: {name: p, namespace: n}\nspec:\n%s",
                 rows[i].text);
        load(&l, text, NULL, 0);
        if (!rows[i].msg) {
            if (l.rc != 0)
                fail_msg("row %zu: unexpected failure:\n%s", i, l.msgs);
        } else {
            if (l.rc == 0)
                fail_msg("row %zu: expected failure with '%s'", i, rows[i].msg);
            assert_contains(l.msgs, rows[i].msg);
        }
        unload(&l);
    }
}

static void test_gnp_flags_and_names(void **state)
{
    static const struct {
        const char *doc;
        const char *msg; /* NULL: must load */
    } rows[] = {
        /* doNotTrack and preDNAT need applyOnForward; not both (§6.2) */
        {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {doNotTrack: true}\n",
         "applyOnForward must be true"},
        {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\n"
         "spec: {doNotTrack: true, preDNAT: true, applyOnForward: true}\n",
         "preDNAT and doNotTrack cannot both be true"},
        {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\n"
         "spec: {preDNAT: true, applyOnForward: true, types: [Egress]}\n",
         "cannot have the Egress type"},
        {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\n"
         "spec: {preDNAT: true, applyOnForward: true, ingress: [{action: Deny}]}\n",
         NULL},
        /* names: GNP at most one dot; knp.default. is for NetworkPolicy only */
        {"kind: GlobalNetworkPolicy\nmetadata: {name: knp.default.x}\n",
         "invalid GlobalNetworkPolicy name"},
        {"kind: GlobalNetworkPolicy\nmetadata: {name: security.allow-dns}\n", NULL},
        {"kind: NetworkPolicy\nmetadata: {name: knp.default.a.b, namespace: n}\n", NULL},
        {"kind: NetworkPolicy\nmetadata: {name: a.b.c, namespace: n}\n",
         "invalid NetworkPolicy name"},
        {"kind: NetworkPolicy\nmetadata: {name: Upper, namespace: n}\n",
         "invalid NetworkPolicy name"},
        {"kind: Tier\nmetadata: {name: a.b}\nspec: {order: 1}\n", "invalid Tier name"},
        {"kind: Tier\nmetadata: {name: default}\nspec: {order: 5}\n",
         "the default tier's order must be 1000000"},
        {"kind: Tier\nmetadata: {name: t}\nspec: {order: 5, defaultAction: Allow}\n",
         "invalid defaultAction 'Allow'"},
        /* GNP namespaceSelector may not use global() */
        {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {namespaceSelector: global()}\n",
         "global() can only be used in an EntityRule namespaceSelector"},
        /* staged Delete carries only the tier */
        {"kind: StagedNetworkPolicy\nmetadata: {name: s, namespace: n}\n"
         "spec: {stagedAction: Delete, selector: a == 'b'}\n",
         "'spec.selector' must be empty when stagedAction is Delete"},
        {"kind: StagedNetworkPolicy\nmetadata: {name: s, namespace: n}\n"
         "spec: {stagedAction: Remove}\n",
         "invalid stagedAction 'Remove'"},
        /* an unknown projectcalico.org/v3 kind is an error, not skipped */
        {"kind: NetworkPolcy\nmetadata: {name: x, namespace: n}\n",
         "unknown projectcalico.org/v3 kind 'NetworkPolcy'"},
        /* labels on the object are validated */
        {"kind: NetworkPolicy\nmetadata: {name: p, namespace: n, labels: {'a@b': x}}\n",
         "invalid label key 'a@b'"},
        /* NetworkSets may not claim a namespace label */
        {"kind: GlobalNetworkSet\nmetadata: {name: s, labels: {projectcalico.org/namespace: x}}\n"
         "spec: {nets: [10.0.0.0/8]}\n",
         "projectcalico.org/namespace is not a valid label name"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[1024];

        snprintf(text, sizeof(text), "apiVersion: projectcalico.org/v3\n%s", rows[i].doc);
        load(&l, text, NULL, 0);
        if (!rows[i].msg) {
            if (l.rc != 0)
                fail_msg("row %zu: unexpected failure:\n%s", i, l.msgs);
        } else {
            if (l.rc == 0)
                fail_msg("row %zu: expected failure with '%s'", i, rows[i].msg);
            assert_contains(l.msgs, rows[i].msg);
        }
        unload(&l);
    }
}

/* --- §7 Kubernetes NetworkPolicy conversion ----------------------------------------- */

static const char knp_head[] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                               "metadata: {name: k, namespace: ns}\nspec:\n";

static void load_knp(struct loaded *l, const char *spec)
{
    char text[2048];

    snprintf(text, sizeof(text), "%s%s", knp_head, spec);
    load(l, text, NULL, 0);
    if (l->rc != 0)
        fail_msg("unexpected failure:\n%s", l->msgs);
}

static void test_k8s_policy_level(void **state)
{
    struct loaded l;
    const struct policy *p;

    (void)state;
    /* podSelector {}: the orchestrator clause, then the namespace; order
     * 1000 in the default tier; no policyTypes means [Ingress] even with
     * egress rules, which are kept but never applied (a warning says so). */
    load_knp(&l, "  podSelector: {}\n  egress:\n  - {}\n");
    p = find(&l.ps, "k");
    assert_int_equal(p->kind, POL_KNP);
    assert_string_equal(p->tier, "default");
    assert_true(p->has_order && p->order == 1000.0);
    assert_int_equal(p->types, DIR_INGRESS);
    assert_int_equal(p->negress, 1);
    assert_sel(p->selector_text,
               "(projectcalico.org/orchestrator == 'k8s') && projectcalico.org/namespace == 'ns'");
    assert_contains(l.msgs, "warning: egress rules are ignored");
    unload(&l);

    /* matchLabels in sorted key order, then matchExpressions in order */
    load_knp(&l, "  podSelector:\n    matchLabels: {z: '1', a: '2'}\n    matchExpressions:\n"
                 "    - {key: t, operator: In, values: [x, y]}\n"
                 "    - {key: u, operator: NotIn, values: [v]}\n"
                 "    - {key: e, operator: Exists}\n"
                 "    - {key: d, operator: DoesNotExist}\n"
                 "  policyTypes: [Egress, Ingress]\n");
    p = find(&l.ps, "k");
    assert_int_equal(p->types, DIR_INGRESS | DIR_EGRESS);
    assert_sel(p->selector_text,
               "(projectcalico.org/orchestrator == 'k8s' && a == '2' && z == '1' && "
               "t in { 'x', 'y' } && u not in { 'v' } && has(e) && ! has(d)) && "
               "projectcalico.org/namespace == 'ns'");
    unload(&l);
}

static void test_k8s_rules(void **state)
{
    struct loaded l;
    const struct policy *p;
    const struct rule *r;

    (void)state;
    /* Rules expand to protocols (sorted by name) x peers (in order);
     * ports of one protocol are merged by SimplifyPorts; a port entry {}
     * is every TCP port, not every protocol (§9 item 15). */
    load_knp(&l, "  podSelector: {}\n  ingress:\n  - from:\n"
                 "    - podSelector: {matchLabels: {app: a}}\n"
                 "    - namespaceSelector: {}\n"
                 "    ports:\n"
                 "    - {protocol: UDP, port: 53}\n"
                 "    - {port: 81}\n"
                 "    - {port: 80}\n"
                 "    - {port: 82, endPort: 90}\n"
                 "    - {protocol: SCTP}\n"
                 "    - {port: http}\n");
    p = find(&l.ps, "k");
    assert_int_equal(p->ningress, 6); /* SCTP, TCP, UDP x 2 peers */
    r = p->ingress;
    assert_int_equal(r[0].proto, 132);
    assert_int_equal(r[0].dst.nports, 0); /* {protocol: SCTP}: all SCTP ports */
    assert_int_equal(r[2].proto, 6);
    assert_int_equal(r[2].dst.nports, 2); /* named first, then 80-90 merged */
    assert_string_equal(r[2].dst.ports[0].name, "http");
    assert_int_equal(r[2].dst.ports[1].lo, 80);
    assert_int_equal(r[2].dst.ports[1].hi, 90);
    assert_int_equal(r[4].proto, 17);
    assert_int_equal(r[4].dst.ports[0].lo, 53);
    assert_int_equal(r[0].action, ACT_ALLOW);
    /* peer 1: pods of the policy's namespace; peer 2: pods of any namespace */
    assert_sel(r[2].src.sel_text, "(projectcalico.org/namespace == 'ns') && "
                                  "(projectcalico.org/orchestrator == 'k8s' && app == 'a')");
    assert_sel(r[3].src.sel_text, "(has(projectcalico.org/namespace)) && "
                                  "(projectcalico.org/orchestrator == 'k8s')");
    unload(&l);

    /* {} alone: all TCP; no ports at all: every protocol; no peers: any address */
    load_knp(&l, "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                 "  - ports: [{}]\n  - to: []\n");
    p = find(&l.ps, "k");
    assert_int_equal(p->negress, 2);
    assert_int_equal(p->egress[0].proto, 6);
    assert_int_equal(p->egress[0].dst.nports, 0);
    assert_null(p->egress[0].dst.sel);
    assert_int_equal(p->egress[1].proto, -1);
    assert_null(p->egress[1].dst.sel);
    unload(&l);

    /* ipBlock: nets and notNets, no selector, so pod IPs match too */
    load_knp(&l, "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                 "  - to:\n    - ipBlock: {cidr: 10.1.2.3/16, except: [10.1.5.0/24]}\n"
                 "    - namespaceSelector: {matchLabels: {team: x}}\n"
                 "      podSelector: {matchLabels: {app: y}}\n");
    p = find(&l.ps, "k");
    r = &p->egress[0];
    assert_null(r->dst.sel);
    assert_int_equal(r->dst.nnets, 1);
    assert_int_equal(r->dst.nets[0].plen, 16);
    assert_int_equal(r->dst.nets[0].addr.a[2], 0); /* host bits masked */
    assert_int_equal(r->dst.nnotnets, 1);
    assert_sel(p->egress[1].dst.sel_text,
               "(pcns.team == 'x') && (projectcalico.org/orchestrator == 'k8s' && app == 'y')");
    unload(&l);
}

static void test_k8s_bad_port_drops_rule(void **state)
{
    struct loaded l;
    const struct policy *p;

    (void)state;
    /* A port Calico cannot read drops that whole rule (§9 item 16), with a
     * warning; the other rules still apply. */
    load_knp(&l, "  podSelector: {}\n  ingress:\n"
                 "  - ports: [{port: 80}, {port: '-50:-1'}]\n"
                 "  - ports: [{port: 443}]\n");
    p = find(&l.ps, "k");
    assert_int_equal(p->ningress, 1);
    assert_int_equal(p->ingress[0].dst.ports[0].lo, 443);
    assert_contains(l.msgs, "p.yaml:7:32: warning: invalid port '-50:-1' in "
                            "'spec.ingress[0].ports[1]': Calico drops this whole rule");
    unload(&l);

    /* Text the API server would refuse but Calico reads: followed, warned */
    load_knp(&l, "  podSelector: {}\n  ingress:\n  - ports: [{port: '8080'}]\n");
    p = find(&l.ps, "k");
    assert_int_equal(p->ingress[0].dst.ports[0].lo, 8080);
    assert_contains(l.msgs, "is not a valid Kubernetes port name; Calico reads it as a port "
                            "number");
    unload(&l);
}

static void test_k8s_invalid(void **state)
{
    static const struct {
        const char *spec;
        const char *msg;
    } rows[] = {
        {"  podSelector: {}\n  ingress:\n  - from: [{}]\n", "must specify a peer"},
        {"  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: A}}]\n", "invalid CIDR 'A'"},
        {"  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.0/8}, "
         "podSelector: {}}]\n",
         "may not specify both ipBlock and another peer"},
        {"  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.0/8, "
         "except: [11.0.0.0/16]}}]\n",
         "must be a strict subset"},
        {"  podSelector: {matchLabels: {'app@b': x}}\n", "invalid label key 'app@b'"},
        {"  podSelector: {matchExpressions: [{key: a, operator: In}]}\n",
         "values must be given when operator is 'In'"},
        {"  podSelector: {matchExpressions: [{key: a, operator: Gt, values: ['1']}]}\n",
         "'Gt' is not a valid selector operator"},
        /* a matchExpression without an operator is refused, not skipped */
        {"  podSelector: {matchExpressions: [{key: a}]}\n", "'' is not a valid selector operator"},
        {"  podSelector: {}\n  ingress:\n  - ports: [{port: 10, endPort: 1}]\n",
         "must be greater than or equal to port"},
        {"  podSelector: {}\n  ingress:\n  - ports: [{port: http, endPort: 90}]\n",
         "may not be given when port is not a number"},
        {"  podSelector: {}\n  ingress:\n  - ports: [{protocol: tcp, port: 80}]\n",
         "unsupported protocol 'tcp'"},
        {"  podSelector: {}\n  ingress:\n  - ports: [{port: 0}]\n", "must be between 1 and 65535"},
        {"  podSelector: {}\n  policyTypes: [ingress]\n", "unsupported policyType 'ingress'"},
        {"  podSelector: {}\n  ingres: []\n", "unknown field 'spec.ingres'"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[1024];

        snprintf(text, sizeof(text), "%s%s", knp_head, rows[i].spec);
        load(&l, text, NULL, 0);
        if (l.rc == 0)
            fail_msg("row %zu: expected failure with '%s'", i, rows[i].msg);
        assert_contains(l.msgs, rows[i].msg);
        unload(&l);
    }
}

/* --- §4 ordering ------------------------------------------------------------------------ */

static void test_policy_order(void **state)
{
    static const char text[] = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                               "metadata: {name: no-order}\n---\n"
                               "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                               "metadata: {name: a}\nspec: {order: 10}\n---\n"
                               "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                               "metadata: {name: a-b}\nspec: {order: 10}\n---\n"
                               "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
                               "metadata: {name: a, namespace: z}\nspec: {order: 10}\n---\n"
                               "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                               "metadata: {name: early}\nspec: {order: -5.5}\n---\n"
                               "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                               "metadata: {name: a, namespace: z}\nspec: {podSelector: {}}\n---\n"
                               "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
                               "metadata: {name: k, namespace: z}\nspec: {order: 1000}\n";
    /* -5.5 first; at order 10 "a-b//Global..." < "a//Global..." < "a/z/Network..."
     * ('-' sorts before '/'); at 1000 "a/z/KubernetesNetworkPolicy" < "k/z/...";
     * the missing order last (§4.1, §9 item 11). */
    static const char *const want[] = {"early", "a-b", "a", "a", "a", "k", "no-order"};
    static const enum pol_kind want_kind[] = {POL_GNP, POL_GNP, POL_GNP, POL_NP,
                                              POL_KNP, POL_NP,  POL_GNP};
    struct loaded l;
    const struct tier *t;

    (void)state;
    load_ok(&l, text);
    t = find_tier(&l.ps, "default", NULL);
    assert_non_null(t);
    assert_int_equal(t->npolicies, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        assert_string_equal(t->policies[i]->name, want[i]);
        assert_int_equal(t->policies[i]->kind, want_kind[i]);
    }
    unload(&l);
}

static void test_tier_order(void **state)
{
    static const char text[] =
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: late}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: b}\n"
        "spec: {order: 100, defaultAction: Pass}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: a}\n"
        "spec: {order: 100}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: ghost.p}\nspec: {tier: ghost, order: 1}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: b.p}\nspec: {tier: b}\n";
    /* Defined tiers first: a and b tie on 100 (by name), default at 1e6,
     * "late" has no order; "ghost" is only named by a policy: last, with a
     * warning (§4.2). */
    static const char *const want[] = {"a", "b", "default", "late", "ghost"};
    struct loaded l;

    (void)state;
    load_ok(&l, text);
    assert_int_equal(l.ps.ntiers, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(l.ps.tiers[i].name, want[i]);
    assert_true(l.ps.tiers[1].default_pass);
    assert_false(l.ps.tiers[4].defined);
    assert_false(l.ps.tiers[4].default_pass);
    assert_true(l.ps.tiers[2].has_order && l.ps.tiers[2].order == 1000000.0);
    assert_contains(l.msgs, "p.yaml:15: warning: tier 'ghost' of GlobalNetworkPolicy 'ghost.p' "
                            "has no Tier object");
    unload(&l);
}

/* --- staged kinds ------------------------------------------------------------------------- */

static void test_staged(void **state)
{
    static const char text[] =
        "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\n"
        "metadata: {name: s, namespace: n}\nspec: {selector: a == 'b', egress: [{action: Deny}]}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\n"
        "metadata: {name: g}\nspec: {stagedAction: Delete, tier: default}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n"
        "metadata: {name: k, namespace: n}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n";
    struct loaded l;
    const struct policy *p;

    (void)state;
    load_ok(&l, text);
    p = find(&l.ps, "s");
    assert_int_equal(p->kind, POL_SNP);
    assert_true(p->staged);
    assert_false(p->staged_delete);
    assert_int_equal(p->types, DIR_EGRESS);
    assert_sel(p->selector_text, "(a == 'b') && projectcalico.org/namespace == 'n'");
    p = find(&l.ps, "g");
    assert_int_equal(p->kind, POL_SGNP);
    assert_true(p->staged && p->staged_delete);
    p = find(&l.ps, "k");
    assert_int_equal(p->kind, POL_SKNP);
    assert_true(p->staged);
    assert_true(p->has_order && p->order == 1000.0);
    unload(&l);

    /* A bad port in a staged k8s policy is an error: Calico's validator
     * runs the conversion. */
    load(&l,
         "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n"
         "metadata: {name: k, namespace: n}\nspec:\n  ingress: [{ports: [{port: '9:1'}]}]\n",
         NULL, 0);
    assert_int_not_equal(l.rc, 0);
    assert_contains(l.msgs, "Calico cannot convert this StagedKubernetesNetworkPolicy");
    unload(&l);
}

/* --- §15 AdminNetworkPolicy / BaselineAdminNetworkPolicy, §16 ClusterNetworkPolicy -------- */

#define ANP_HEAD "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
#define BANP_HEAD                                                                                  \
    "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"
#define CNP_HEAD "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"

/* §15.2-§15.4 (conversion.go K8sAdminNetworkPolicyToCalico, v3.31): tier,
 * order = priority, the subject as pcns. + orchestrator selectors, and a
 * rule expanded into (protocol groups in sorted order) x (peers in order),
 * ports simplified per group.  A reading that expands peers first, or
 * forgets the orchestrator clause, or leaves 81 and 82-90 apart, fails. */
static void test_anp_conversion(void **state)
{
    static const char text[] =
        ANP_HEAD "metadata: {name: a}\n"
                 "spec:\n"
                 "  priority: 4\n"
                 "  subject:\n"
                 "    pods:\n"
                 "      namespaceSelector: {matchLabels: {team: x}}\n"
                 "      podSelector: {matchLabels: {app: db}}\n"
                 "  ingress:\n"
                 "  - name: r0\n"
                 "    action: Pass\n"
                 "    from:\n"
                 "    - namespaces: {matchLabels: {team: y}}\n"
                 "    - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}\n"
                 "    ports:\n"
                 "    - portNumber: {protocol: UDP, port: 81}\n"
                 "    - portNumber: {port: 80}\n"
                 "    - portRange: {protocol: UDP, start: 82, end: 90}\n"
                 "    - portNumber: {protocol: SCTP, port: 9}\n"
                 "  egress:\n"
                 "  - action: Deny\n"
                 "    to:\n"
                 "    - networks: [10.1.2.3/8, 'fd00::/64']\n";
    static const struct {
        int proto;
        unsigned lo, hi;
        int peer;
    } want[] = {{132, 9, 9, 0}, {132, 9, 9, 1},  {6, 80, 80, 0},
                {6, 80, 80, 1}, {17, 81, 90, 0}, {17, 81, 90, 1}};
    struct loaded l;
    const struct policy *p;
    const struct tier *t;

    (void)state;
    load_ok(&l, text);
    p = find(&l.ps, "a");
    assert_int_equal(p->kind, POL_ANP);
    assert_null(p->ns);
    assert_string_equal(p->tier, "adminnetworkpolicy");
    assert_true(p->has_order && p->order == 4.0);
    assert_int_equal(p->types, DIR_INGRESS | DIR_EGRESS);
    assert_sel(p->selector_text, "(projectcalico.org/orchestrator == 'k8s' && app == 'db') && "
                                 "pcns.team == 'x'");
    assert_int_equal(p->ningress, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        const struct rule *r = &p->ingress[i];

        assert_int_equal(r->action, ACT_PASS);
        assert_int_equal(r->proto, want[i].proto);
        assert_int_equal(r->dst.nports, 1);
        assert_int_equal(r->dst.ports[0].lo, want[i].lo);
        assert_int_equal(r->dst.ports[0].hi, want[i].hi);
        assert_string_equal(r->name, "r0");
        assert_int_equal(r->src_rule, 0);
        assert_false(r->fail_closed);
        if (want[i].peer == 0)
            assert_sel(r->src.sel_text, "pcns.team == 'y'");
        else
            assert_sel(r->src.sel_text,
                       "(has(projectcalico.org/namespace)) && "
                       "(projectcalico.org/orchestrator == 'k8s' && app == 'web')");
        assert_null(r->dst.sel);
    }
    /* networks: nets only, host bits cleared, both families kept; no
     * protocol, no ports, no name */
    assert_int_equal(p->negress, 1);
    assert_int_equal(p->egress[0].proto, -1);
    assert_int_equal(p->egress[0].dst.nnets, 2);
    assert_int_equal(p->egress[0].dst.nets[0].plen, 8);
    assert_int_equal(p->egress[0].dst.nets[0].addr.a[1], 0);
    assert_null(p->egress[0].dst.sel);
    assert_null(p->egress[0].name);
    assert_int_equal(p->egress[0].dst.nports, 0);
    /* §15.2: the tier exists, order 1000, default Pass, before default */
    t = find_tier(&l.ps, "adminnetworkpolicy", NULL);
    assert_non_null(t);
    assert_true(t->has_order && t->order == 1000.0 && t->default_pass);
    assert_string_equal(l.ps.tiers[0].name, "adminnetworkpolicy");
    unload(&l);
}

/* §15.3: subject.namespaces {} is every pod (orchestrator clause plus "has
 * a namespace"); an ANP with no rule at all governs both directions
 * (Felix's "no Types means Ingress and Egress"), one with only egress
 * rules egress only (a reading that defaults like a Calico policy gives
 * Ingress). */
static void test_anp_subject_and_types(void **state)
{
    struct loaded l;
    const struct policy *p;

    (void)state;
    load_ok(&l, ANP_HEAD "metadata: {name: none}\nspec: {priority: 0, subject: {namespaces: {}}}\n"
                         "---\n" ANP_HEAD "metadata: {name: out}\nspec:\n  priority: 1000\n"
                         "  subject: {namespaces: {matchExpressions: [{key: env, operator: "
                         "NotIn, values: [prod]}]}}\n"
                         "  egress: [{action: Allow, to: [{namespaces: {}}]}]\n");
    p = find(&l.ps, "none");
    assert_sel(p->selector_text,
               "(projectcalico.org/orchestrator == 'k8s') && has(projectcalico.org/namespace)");
    assert_int_equal(p->types, DIR_INGRESS | DIR_EGRESS);
    p = find(&l.ps, "out");
    assert_sel(p->selector_text,
               "(projectcalico.org/orchestrator == 'k8s') && pcns.env not in { 'prod' }");
    assert_int_equal(p->types, DIR_EGRESS);
    assert_true(p->order == 1000.0);
    /* a namespaces peer {} is "any namespaced endpoint", not any address */
    assert_sel(p->egress[0].dst.sel_text, "has(projectcalico.org/namespace)");
    unload(&l);
}

/* §15.2 (conversion.go K8sBaselineAdminNetworkPolicyToCalico): tier
 * baselineadminnetworkpolicy (order 10,000,000, Pass), order 1000, the
 * singleton named "default" (CEL), Allow and Deny only. */
static void test_banp(void **state)
{
    struct loaded l;
    const struct policy *p;
    const struct tier *t;
    size_t ib, id;

    (void)state;
    load_ok(&l, BANP_HEAD "metadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n"
                          "  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n"
                          "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                          "metadata: {name: np, namespace: n}\nspec: {podSelector: {}}\n");
    p = find(&l.ps, "default");
    assert_int_equal(p->kind, POL_BANP);
    assert_string_equal(p->tier, "baselineadminnetworkpolicy");
    assert_true(p->has_order && p->order == 1000.0);
    assert_int_equal(p->types, DIR_INGRESS);
    t = find_tier(&l.ps, "baselineadminnetworkpolicy", &ib);
    assert_non_null(t);
    assert_true(t->order == 10000000.0 && t->default_pass);
    assert_non_null(find_tier(&l.ps, "default", &id));
    assert_true(id < ib);
    unload(&l);

    load(&l,
         BANP_HEAD "metadata: {name: other}\nspec:\n  subject: {namespaces: {}}\n"
                   "  ingress: [{action: Pass, from: [{namespaces: {}}]}]\n",
         NULL, 0);
    assert_int_equal(l.rc, ERR_INVALID);
    assert_contains(l.msgs, "p.yaml:3:18: error: only one baseline admin network policy with "
                            "metadata.name=\"default\" can be created in the cluster");
    assert_contains(l.msgs, "invalid action 'Pass' in 'spec.ingress[0].action': use Allow or Deny");
    unload(&l);
}

/* §16 (clusternetworkpolicy.go, v3.32; its test "protocols [tcp 80, udp
 * 20-30, named http-port, named 8080] x 2 peers"): Accept is Allow; named
 * ports have no protocol and sort first; "8080" stays a name; Admin and
 * Baseline are the kube-admin and kube-baseline tiers; order = priority in
 * both (no fixed 1000 as for the BANP). */
static void test_cnp_conversion(void **state)
{
    static const char text[] =
        CNP_HEAD "metadata: {name: c}\n"
                 "spec:\n"
                 "  tier: Baseline\n"
                 "  priority: 7\n"
                 "  subject: {pods: {podSelector: {matchLabels: {app: db}}}}\n"
                 "  ingress:\n"
                 "  - action: Accept\n"
                 "    from: [{namespaces: {}}, {pods: {podSelector: {}}}]\n"
                 "    protocols:\n"
                 "    - tcp: {destinationPort: {number: 80}}\n"
                 "    - udp: {destinationPort: {range: {start: 20, end: 30}}}\n"
                 "    - destinationNamedPort: http-port\n"
                 "    - destinationNamedPort: '8080'\n"
                 "---\n" CNP_HEAD "metadata: {name: d}\nspec:\n  tier: Admin\n  priority: 0\n"
                 "  subject: {namespaces: {}}\n"
                 "  egress: [{action: Pass, to: [{networks: ['10.0.0.0/8']}]}]\n";
    struct loaded l;
    const struct policy *p;
    const struct tier *t;

    (void)state;
    load_ok(&l, text);
    p = find(&l.ps, "c");
    assert_int_equal(p->kind, POL_CNP);
    assert_string_equal(p->tier, "kube-baseline");
    assert_true(p->order == 7.0);
    /* v1alpha2: an absent namespaceSelector is an empty one: all() */
    assert_sel(p->selector_text, "(projectcalico.org/orchestrator == 'k8s' && app == 'db') && "
                                 "has(projectcalico.org/namespace)");
    assert_int_equal(p->ningress, 6);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(p->ingress[i].action, ACT_ALLOW);
        assert_int_equal(p->ingress[i].proto, -1);
        assert_int_equal(p->ingress[i].dst.nports, 2);
        assert_string_equal(p->ingress[i].dst.ports[0].name, "http-port");
        assert_string_equal(p->ingress[i].dst.ports[1].name, "8080");
    }
    assert_int_equal(p->ingress[2].proto, 6);
    assert_int_equal(p->ingress[3].proto, 6);
    assert_int_equal(p->ingress[4].proto, 17);
    assert_int_equal(p->ingress[5].dst.ports[0].lo, 20);
    assert_int_equal(p->ingress[5].dst.ports[0].hi, 30);
    assert_sel(p->ingress[1].src.sel_text, "(has(projectcalico.org/namespace)) && "
                                           "(projectcalico.org/orchestrator == 'k8s')");
    p = find(&l.ps, "d");
    assert_string_equal(p->tier, "kube-admin");
    assert_int_equal(p->egress[0].action, ACT_PASS);
    t = find_tier(&l.ps, "kube-admin", NULL);
    assert_true(t && t->order == 1000.0 && t->default_pass);
    assert_null(find_tier(&l.ps, "adminnetworkpolicy", NULL));
    unload(&l);
}

/* §15.2, §16: what the API server refuses (the CRD schemas and CEL rules
 * Calico ships), each with file:line:col.  One object per row, so that a
 * message cannot come from another row. */
static void test_admin_validation(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
    } rows[] = {
        {ANP_HEAD "metadata: {name: a}\nspec: {subject: {namespaces: {}}}\n",
         "p.yaml:4:7: error: 'spec.priority' is required (0 to 1000)"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1001, subject: {namespaces: {}}}\n",
         "p.yaml:4:18: error: 'spec.priority' must be between 0 and 1000, found 1001"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1}\n", "'spec.subject' is required"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}, pods: "
                  "{namespaceSelector: {}, podSelector: {}}}}\n",
         "exactly one of namespaces, pods must be set in 'spec.subject'"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {pods: {podSelector: {}}}}\n",
         "'spec.subject.pods.namespaceSelector' is required"},
        {ANP_HEAD "metadata: {name: A_b}\nspec: {priority: 1, subject: {namespaces: {}}}\n",
         "invalid AdminNetworkPolicy name 'A_b'"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Deny, from: []}]}\n",
         "'spec.ingress[0].from' must have at least 1 item"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Deny}]}\n",
         "'spec.ingress[0].from' is required"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Accept, from: [{namespaces: {}}]}]}\n",
         "invalid action 'Accept' in 'spec.ingress[0].action': use Allow, Deny or Pass"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{from: [{namespaces: {}}]}]}\n",
         "'spec.ingress[0].action' is required"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Deny, from: [{}]}]}\n",
         "exactly one of namespaces, pods must be set in 'spec.ingress[0].from[0]' (none is)"},
        /* an ingress peer has no networks: an unknown field */
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Deny, from: [{networks: [10.0.0.0/8]}]}]}\n",
         "unknown field 'spec.ingress[0].from[0].networks'"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Deny, from: [{namespaces: {}}], ports: [{portNumber: "
                  "{port: 80}, namedPort: http}]}]}\n",
         "exactly one of portNumber, portRange, namedPort must be set in "
         "'spec.ingress[0].ports[0]'"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Deny, from: [{namespaces: {}}], ports: [{portNumber: "
                  "{port: 0}}]}]}\n",
         "'spec.ingress[0].ports[0].portNumber.port' must be between 1 and 65535, found 0"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "ingress: [{action: Deny, from: [{namespaces: {}}], ports: [{portNumber: "
                  "{protocol: ICMP, port: 1}}]}]}\n",
         "unsupported protocol 'ICMP' in 'spec.ingress[0].ports[0].portNumber.protocol'"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "egress: [{action: Deny, to: [{networks: [10.0.0.0/8]}], ports: [{namedPort: "
                  "http}]}]}\n",
         "networks/nodes peer cannot be set with namedPorts"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "egress: [{action: Deny, to: [{networks: ['::ffff:10.0.0.0/104']}]}]}\n",
         "must be either an IPv4 or an IPv6 CIDR"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "egress: [{action: Deny, to: [{networks: [10.0.0.0/8, 10.0.0.0/8]}]}]}\n",
         "duplicate entry '10.0.0.0/8' in 'spec.egress[0].to[0].networks' (a set)"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, "
                  "egress: [{name: "
                  "x123456789x123456789x123456789x123456789x123456789x123456789x123456789x1234"
                  "56789x123456789x123456789y, action: Deny, to: [{namespaces: {}}]}]}\n",
         "'spec.egress[0].name' is longer than 100 characters"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, tier: "
                  "x}\n",
         "unknown field 'spec.tier'"},
        {ANP_HEAD "metadata: {name: a}\nspec: {priority: 1, subject: {namespaces: "
                  "{matchExpressions: [{key: team}]}}}\n",
         "'spec.subject.namespaces.matchExpressions.operator' is required"},
        {CNP_HEAD "metadata: {name: c}\nspec: {priority: 1, subject: {namespaces: {}}}\n",
         "'spec.tier' is required (Admin or Baseline)"},
        {CNP_HEAD "metadata: {name: c}\nspec: {tier: Tenant, priority: 1, subject: {namespaces: "
                  "{}}}\n",
         "invalid tier 'Tenant' in 'spec.tier': use Admin or Baseline"},
        {CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: {namespaces: "
                  "{}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}\n",
         "invalid action 'Allow' in 'spec.ingress[0].action': use Accept, Deny or Pass"},
        {CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: {namespaces: "
                  "{}}, ingress: [{action: Deny, from: [{namespaces: {}}], protocols: []}]}\n",
         "'spec.ingress[0].protocols' must have at least 1 item"},
        {CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: {namespaces: "
                  "{}}, ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: "
                  "{destinationPort: {range: {start: 30, end: 30}}}}]}]}\n",
         "'spec.ingress[0].protocols[0].tcp.destinationPort.range': start port must be less "
         "than end port"},
        {CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: {namespaces: "
                  "{}}, ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: "
                  "{}}]}]}\n",
         "'spec.ingress[0].protocols[0].tcp' must set destinationPort"},
        {CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: {namespaces: "
                  "{}}, egress: [{action: Deny, to: [{networks: [10.0.0.1]}]}]}\n",
         "invalid CIDR '10.0.0.1' in 'spec.egress[0].to[0].networks'"},
        {CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: {namespaces: "
                  "{}}, egress: [{action: Deny, to: [{namespaces: {}}], ports: [{portNumber: "
                  "{port: 80}}]}]}\n",
         "unknown field 'spec.egress[0].ports'"},
        /* v3.29-v3.31's validator: the admin tiers' orders are fixed */
        {"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: adminnetworkpolicy}\n"
         "spec: {order: 5}\n",
         "the adminnetworkpolicy tier's order must be 1000"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;

        load(&l, rows[i].text, NULL, 0);
        if (l.rc != ERR_INVALID || !strstr(l.msgs, rows[i].msg))
            fail_msg("row %zu: rc %d, wanted\n  %s\nin\n%s", i, l.rc, rows[i].msg, l.msgs);
        unload(&l);
    }
}

/* The limits on rule counts: 100 per direction in v1alpha1, 25 in
 * v1alpha2 (kubebuilder MaxItems). */
static void test_admin_rule_limits(void **state)
{
    struct buf b;
    struct loaded l;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_addstr(&b, ANP_HEAD "metadata: {name: a}\nspec:\n  priority: 1\n"
                                             "  subject: {namespaces: {}}\n  ingress:\n"),
                     0);
    for (int i = 0; i < 101; i++)
        assert_int_equal(buf_addstr(&b, "  - {action: Deny, from: [{namespaces: {}}]}\n"), 0);
    load(&l, b.data, NULL, 0);
    assert_int_equal(l.rc, ERR_INVALID);
    assert_contains(l.msgs, "'spec.ingress' has 101 items, more than the 100 the API allows");
    unload(&l);
    buf_reset(&b);
    assert_int_equal(buf_addstr(&b, CNP_HEAD "metadata: {name: c}\nspec:\n  tier: Admin\n"
                                             "  priority: 1\n  subject: {namespaces: {}}\n"
                                             "  egress:\n"),
                     0);
    for (int i = 0; i < 26; i++)
        assert_int_equal(buf_addstr(&b, "  - {action: Deny, to: [{namespaces: {}}]}\n"), 0);
    load(&l, b.data, NULL, 0);
    assert_int_equal(l.rc, ERR_INVALID);
    assert_contains(l.msgs, "'spec.egress' has 26 items, more than the 25 the API allows");
    unload(&l);
    buf_release(&b);
}

/* §15.5 (k8sANPHandleFailedRules and its tests "should replace an
 * unsupported AdminNeworkPolicy rule with Deny action with a deny-all
 * one"): what the API server admits and Calico cannot convert fails
 * closed.  A failed Deny or Pass becomes an unconditional Deny in its
 * place; a failed Allow disappears.  §15.4 (unpackANPPorts): the first
 * namedPort makes the list "everything" and ends the walk, so a bad range
 * after it is never read, and one before it fails the rule. */
static void test_admin_fail_closed(void **state)
{
    static const struct {
        const char *rule;
        int nrules; /* converted rules */
        int failed; /* the first is the fail-closed deny-all */
        int all;    /* the first matches every protocol and port */
        const char *warning;
    } rows[] = {
        {"{action: Deny, to: [{networks: [10.0.0.1]}]}", 1, 1, 0, "is not a CIDR"},
        {"{action: Pass, to: [{nodes: {}}]}", 1, 1, 0, "Calico does not support nodes peers"},
        {"{action: Allow, to: [{nodes: {}}]}", 0, 0, 0, "as it is an Allow rule, drops it"},
        {"{action: Pass, to: [{namespaces: {}}], ports: [{portRange: {start: 90, end: 80}}]}", 1, 1,
         0, "start 90 is past end 80"},
        {"{action: Deny, to: [{namespaces: {}}], ports: [{namedPort: x}, {portRange: {start: "
         "90, end: 80}}]}",
         1, 0, 1, "do not convert named ports"},
        {"{action: Deny, to: [{namespaces: {}}], ports: [{portRange: {start: 90, end: 80}}, "
         "{namedPort: x}]}",
         1, 1, 0, "start 90 is past end 80"},
        /* two peers, one failing: the whole rule fails, not one peer */
        {"{action: Deny, to: [{namespaces: {}}, {nodes: {}}]}", 1, 1, 0, "nodes peers"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[1024];
        const struct policy *p;

        snprintf(text, sizeof(text),
                 ANP_HEAD "metadata: {name: a}\nspec:\n  priority: 1\n  subject: {namespaces: "
                          "{}}\n  egress:\n  - %s\n",
                 rows[i].rule);
        load_ok(&l, text);
        assert_contains(l.msgs, rows[i].warning);
        p = find(&l.ps, "a");
        if ((int)p->negress != rows[i].nrules)
            fail_msg("row %zu: %zu rules, wanted %d", i, p->negress, rows[i].nrules);
        if (rows[i].nrules) {
            const struct rule *r = &p->egress[0];

            assert_int_equal(r->fail_closed, rows[i].failed);
            if (rows[i].failed) {
                assert_int_equal(r->action, ACT_DENY);
                assert_null(r->dst.sel);
                assert_int_equal(r->dst.nnets, 0);
            }
            if (rows[i].failed || rows[i].all) {
                assert_int_equal(r->proto, -1);
                assert_int_equal(r->dst.nports, 0);
            }
        } else {
            /* nothing converted: both directions, as Felix reads no types */
            assert_int_equal(p->types, DIR_INGRESS | DIR_EGRESS);
        }
        unload(&l);
    }
}

/* §15.2: selectors in a custom resource are checked for structure only;
 * an unknown operator passes the API server and Calico drops the term.  A
 * namespace selector whose only term is dropped is "" (no constraint: any
 * address for a peer), not "all()" (any namespaced endpoint). */
static void test_admin_crd_selectors(void **state)
{
    struct loaded l;
    const struct policy *p;

    (void)state;
    load_ok(&l, ANP_HEAD "metadata: {name: a}\nspec:\n  priority: 1\n"
                         "  subject: {namespaces: {matchLabels: {team: x}}}\n"
                         "  ingress:\n  - action: Deny\n    from:\n    - namespaces:\n"
                         "        matchExpressions: [{key: team, operator: Matches}]\n");
    assert_contains(l.msgs, "'Matches' is not a selector operator");
    p = find(&l.ps, "a");
    assert_null(p->ingress[0].src.sel);
    unload(&l);
}

/* §15.1: ClusterInformation's calicoVersion settles which kinds are
 * enforced: v3.29 has no BaselineAdminNetworkPolicy and takes an ANP's
 * types from its rules as written; v3.31 has no ClusterNetworkPolicy;
 * v3.32 no ANP/BANP.  With no version, a set mixing them is warned about. */
static void test_admin_versions(void **state)
{
    static const char anp[] =
        ANP_HEAD "metadata: {name: a}\nspec:\n  priority: 1\n  subject: {namespaces: {}}\n"
                 "  egress: [{action: Allow, to: [{nodes: {}}]}]\n---\n";
    static const char banp[] = BANP_HEAD "metadata: {name: default}\nspec: {subject: "
                                         "{namespaces: {}}}\n---\n";
    static const char cnp[] = CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, "
                                       "subject: {namespaces: {}}}\n---\n";
    static const struct {
        const char *version; /* NULL: no ClusterInformation */
        int npolicies;
        unsigned anp_types;
        const char *msg;
    } rows[] = {
        {NULL, 3, DIR_INGRESS | DIR_EGRESS, "no Calico version enforces both"},
        {"v3.29.3", 1, DIR_EGRESS,
         "BaselineAdminNetworkPolicy 'default' is not enforced by Calico v3.29 (only by "
         "Calico v3.30 and v3.31); ignored"},
        {"v3.31.0", 2, DIR_INGRESS | DIR_EGRESS,
         "ClusterNetworkPolicy 'c' is not enforced by Calico v3.31 (only by Calico v3.32 and "
         "later); ignored"},
        {"3.32.0-0.dev-1-gabc", 1, 0, "AdminNetworkPolicy 'a' is not enforced by Calico v3.32"},
        {"v3.28.1", 0, 0, "AdminNetworkPolicy 'a' is not enforced by Calico v3.28"},
        {"master", 3, DIR_INGRESS | DIR_EGRESS, "calicoVersion 'master' is not a Calico 3.x"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[2048];

        snprintf(text, sizeof(text), "%s%s%s", anp, banp, cnp);
        if (rows[i].version)
            snprintf(text + strlen(text), sizeof(text) - strlen(text),
                     "apiVersion: projectcalico.org/v3\nkind: ClusterInformation\n"
                     "metadata: {name: default}\nspec: {calicoVersion: '%s', datastoreReady: "
                     "true}\n",
                     rows[i].version);
        load_ok(&l, text);
        assert_contains(l.msgs, rows[i].msg);
        if ((int)l.ps.npolicies != rows[i].npolicies)
            fail_msg("row %zu: %zu policies, wanted %d", i, l.ps.npolicies, rows[i].npolicies);
        if (rows[i].anp_types)
            assert_int_equal(find(&l.ps, "a")->types, rows[i].anp_types);
        unload(&l);
    }
}

/* §15.1: the version asked for (podflow-analyze --calico) wins over the
 * ClusterInformation's, with a warning; calico_version_parse() reads what
 * calicoVersion and people write. */
static void test_admin_version_asked(void **state)
{
    static const struct {
        const char *text;
        int want;
    } vers[] = {{"3.31", 331}, {"v3.29.7", 329}, {"3.32.0-0.dev-1-gabc", 332},
                {"v3.9", 309}, {"4.1", 0},       {"master", 0},
                {"3.", 0},     {"", 0},          {"3.300000000", 0}};
    struct loaded l;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(vers); i++)
        if (calico_version_parse(vers[i].text) != vers[i].want)
            fail_msg("calico_version_parse(\"%s\") = %d, want %d", vers[i].text,
                     calico_version_parse(vers[i].text), vers[i].want);
    load_flags = POLICY_LOAD_CALICO(331);
    load_ok(&l, CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: "
                         "{namespaces: {}}}\n---\napiVersion: projectcalico.org/v3\n"
                         "kind: ClusterInformation\nmetadata: {name: default}\n"
                         "spec: {calicoVersion: v3.32.1}\n");
    load_flags = 0;
    assert_contains(l.msgs, "the cluster's ClusterInformation says Calico v3.32; judged as v3.31, "
                            "as asked");
    assert_contains(l.msgs, "ClusterNetworkPolicy 'c' is not enforced by Calico v3.31");
    assert_int_equal(l.ps.npolicies, 0);
    assert_int_equal(l.ps.calico, 331);
    unload(&l);
}

/* §15.2, §16: equal priorities are undefined upstream; Calico breaks the
 * tie by name, v3.31 on the backend name ("kanp.adminnetworkpolicy.a" <
 * "kanp.adminnetworkpolicy.a-b"), v3.32 on "<name>/<ns>/<kind>" ("a-b//..."
 * < "a//...", '-' sorting before '/').  Each is warned about.  A Calico
 * policy in the admin tier at the same order (v3.31 name
 * "adminnetworkpolicy.x") sorts before every ANP ('a' < 'k'). */
static void test_admin_ties(void **state)
{
    struct loaded l;
    const struct tier *t;

    (void)state;
    load_ok(&l, ANP_HEAD
            "metadata: {name: a-b}\nspec: {priority: 5, subject: {namespaces: {}}}\n"
            "---\n" ANP_HEAD "metadata: {name: a}\nspec: {priority: 5, subject: {namespaces: "
            "{}}}\n---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
            "metadata: {name: adminnetworkpolicy.x}\nspec: {tier: adminnetworkpolicy, order: "
            "5}\n---\n" CNP_HEAD "metadata: {name: c}\nspec: {tier: Admin, priority: 2, "
            "subject: {namespaces: {}}}\n---\n" CNP_HEAD "metadata: {name: c-d}\nspec: {tier: "
            "Admin, priority: 2, subject: {namespaces: {}}}\n");
    t = find_tier(&l.ps, "adminnetworkpolicy", NULL);
    assert_int_equal(t->npolicies, 3);
    assert_string_equal(t->policies[0]->name, "adminnetworkpolicy.x");
    assert_string_equal(t->policies[1]->name, "a");
    assert_string_equal(t->policies[2]->name, "a-b");
    assert_contains(l.msgs, "AdminNetworkPolicys 'a' and 'a-b' have the same priority 5: the "
                            "API leaves their order undefined; Calico v3.29-v3.31 evaluates "
                            "'a' first");
    t = find_tier(&l.ps, "kube-admin", NULL);
    assert_int_equal(t->npolicies, 2);
    assert_string_equal(t->policies[0]->name, "c-d");
    assert_contains(l.msgs, "ClusterNetworkPolicys 'c' and 'c-d' in tier kube-admin have the same "
                            "priority 2: the API leaves their order undefined; Calico v3.32 "
                            "evaluates 'c-d' first");
    unload(&l);
}

/* --- §17 host endpoints ------------------------------------------------------------------- */

#define HEP_HEAD "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\n"

/* §17.1 (hostendpoint.go, its CEL rules and validator.go): what a
 * HostEndpoint holds, and what the API refuses. */
static void test_hostendpoints(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
    } bad[] = {
        {HEP_HEAD "metadata: {name: h}\nspec: {interfaceName: eth0}\n",
         "node must be specified ('spec.node')"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1}\n",
         "at least one of interfaceName or expectedIPs must be specified"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, interfaceName: eth0-is-far-too-long}\n",
         "invalid interface name 'eth0-is-far-too-long'"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, expectedIPs: [10.0.0.0/24]}\n",
         "invalid IP address '10.0.0.0/24' in 'spec.expectedIPs'"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, expectedIPs: [10.0.0.1, 10.0.0.1]}\n",
         "duplicate address '10.0.0.1'"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, interfaceName: '*', ports: [{name: "
                  "ping, protocol: ICMP, port: 1}]}\n",
         "EndpointPort protocol does not support ports in 'spec.ports[0]'"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, interfaceName: '*', ports: [{name: "
                  "web, protocol: TCP, port: 0}]}\n",
         "'spec.ports.port' must be between 1 and 65535, found 0"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, interfaceName: '*', ports: [{name: "
                  "Web_Port, protocol: TCP, port: 80}]}\n",
         "invalid port name 'Web_Port'"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, interfaceName: '*', bgp: 1}\n",
         "unknown field 'spec.bgp'"},
        {HEP_HEAD "metadata: {name: h}\nspec: {node: n1, interfaceName: '*'}\n---\n" HEP_HEAD
                  "metadata: {name: h}\nspec: {node: n2, interfaceName: '*'}\n",
         "duplicate HostEndpoint 'h'"},
    };
    struct loaded l;
    const struct hostep *h;

    (void)state;
    load_ok(&l, HEP_HEAD "metadata:\n  name: n1-eth0\n  labels: {role: ingress, zone: a}\n"
                         "spec:\n  node: n1\n  interfaceName: eth0\n"
                         "  expectedIPs: [198.18.0.1, 'fd00::1']\n"
                         "  profiles: [projectcalico-default-allow, team-x]\n"
                         "  ports: [{name: https, protocol: TCP, port: 443}, {name: dns, "
                         "protocol: UDP, port: 53}]\n");
    assert_contains(l.msgs, "profile 'team-x' is not modelled");
    assert_int_equal(l.ps.nheps, 1);
    h = &l.ps.heps[0];
    assert_string_equal(h->name, "n1-eth0");
    assert_string_equal(h->node, "n1");
    assert_string_equal(h->iface, "eth0");
    assert_int_equal(h->nips, 2);
    assert_int_equal(h->ips[1].family, 6);
    assert_string_equal(labels_get(&h->labels, "role"), "ingress");
    /* no implicit labels: no namespace, no orchestrator */
    assert_null(labels_get(&h->labels, "projectcalico.org/namespace"));
    assert_int_equal(h->nprofiles, 2);
    assert_true(hostep_profile_allows(h->profiles[0]));
    assert_false(hostep_profile_allows(h->profiles[1]));
    assert_int_equal(h->nports, 2);
    assert_int_equal(h->ports[1].proto, 17);
    assert_int_equal(h->ports[1].port, 53);
    unload(&l);

    /* policy_members_of: network sets by CIDR, then host endpoints by an
     * expected IP (never by a CIDR around it: §17.2), each counted past
     * max but written only up to it. */
    {
        struct pol_member m[2];
        struct ipaddr ip;

        load_ok(&l,
                "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: "
                "lab}\nspec: {nets: [198.18.0.0/24]}\n---\n" HEP_HEAD
                "metadata: {name: a}\nspec: {node: n1, expectedIPs: [198.18.0.1]}\n---\n" HEP_HEAD
                "metadata: {name: b}\nspec: {node: n2, interfaceName: '*', expectedIPs: "
                "[198.18.0.9, 198.18.0.1]}\n");
        assert_int_equal(ipaddr_parse("198.18.0.1", 10, &ip), 0);
        assert_int_equal(policy_members_of(&l.ps, &ip, m, ARRAY_SIZE(m)), 3);
        assert_int_equal(m[0].kind, PM_GLOBALNETWORKSET);
        assert_non_null(m[0].net);
        assert_null(m[0].hep);
        assert_int_equal(m[1].kind, PM_HOSTENDPOINT);
        assert_string_equal(m[1].name, "a");
        assert_null(m[1].net);
        assert_string_equal(m[1].hep->node, "n1");
        assert_string_equal(pol_member_kind_name(m[1].kind), "HostEndpoint");
        assert_int_equal(ipaddr_parse("198.18.0.9", 10, &ip), 0);
        assert_int_equal(policy_members_of(&l.ps, &ip, m, ARRAY_SIZE(m)), 2);
        assert_string_equal(m[1].name, "b");
        assert_int_equal(ipaddr_parse("198.18.0.2", 10, &ip), 0);
        assert_int_equal(policy_members_of(&l.ps, &ip, m, ARRAY_SIZE(m)), 1);
        unload(&l);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        load(&l, bad[i].text, NULL, 0);
        if (l.rc != ERR_INVALID || !strstr(l.msgs, bad[i].msg))
            fail_msg("row %zu: rc %d, wanted\n  %s\nin\n%s", i, l.rc, bad[i].msg, l.msgs);
        unload(&l);
    }
}

/* --- documents, lists, paths ------------------------------------------------------------- */

/* A document that is not a Kubernetes object is an error at its place, and
 * the file's set is not loaded (it used to be a warning and an empty set,
 * which allows everything). */
static void test_not_objects(void **state)
{
    static const struct {
        const char *text, *msg;
    } rows[] = {
        {"- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n",
         "p.yaml:1:1: error: not a Kubernetes object (a sequence)"},
        {"{}\n", "p.yaml:1:1: error: no apiVersion and kind: not a Kubernetes object"},
        {"just text\n", "p.yaml:1:1: error: not a Kubernetes object (a scalar)"},
        {"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: a}\n"
         "---\nkind: GlobalNetworkPolicy\nmetadata: {name: b}\n",
         "p.yaml:5:1: error: no apiVersion: not a Kubernetes object"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;

        load(&l, rows[i].text, NULL, 0);
        assert_int_equal(l.rc, ERR_INVALID);
        assert_contains(l.msgs, rows[i].msg);
        /* one error for one fault: no "no policy object" after it */
        assert_null(strstr(l.msgs, "no policy object"));
        unload(&l);
    }
}

/*
 * §14: the same policies in Calico's storage form (crd.projectcalico.org/v1,
 * as libcalico-go v3.30 writes them: a default-tier policy stored as
 * "default.<name>", the v3 name and the labels in the
 * projectcalico.org/metadata annotation, only projectcalico.org/ labels on
 * the CR) load as the v3 objects do.
 */
static void test_crd_form(void **state)
{
    static const char v3[] =
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n"
        "spec: {order: 100, defaultAction: Pass}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
        "metadata: {name: allow-web, namespace: shop, labels: {team: web}}\n"
        "spec: {order: 10, selector: app == 'web', types: [Ingress],\n"
        "  ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}]}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: security.block}\n"
        "spec: {tier: security, order: 1, selector: all(), types: [Egress],\n"
        "  egress: [{action: Deny, destination: {selector: feed == 'bad'}}]}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
        "metadata: {name: bad-feed, labels: {feed: bad}}\nspec: {nets: [203.0.113.0/24]}\n";
    static const char crd[] =
        "apiVersion: crd.projectcalico.org/v1\nkind: Tier\n"
        "metadata:\n  name: security\n  annotations:\n"
        "    projectcalico.org/metadata: '{\"creationTimestamp\":null}'\n"
        "spec: {order: 100, defaultAction: Pass}\n---\n"
        "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\n"
        "metadata:\n  name: default.allow-web\n  namespace: shop\n  resourceVersion: '811'\n"
        "  labels: {projectcalico.org/tier: default}\n  annotations:\n"
        "    projectcalico.org/metadata: "
        "'{\"name\":\"allow-web\",\"creationTimestamp\":null,\"labels\":{\"team\":\"web\"}}'\n"
        "spec: {tier: default, order: 10, selector: app == 'web', types: [Ingress],\n"
        "  ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}]}\n---\n"
        "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\n"
        "metadata:\n  name: security.block\n  labels: {projectcalico.org/tier: security}\n"
        "  annotations:\n    projectcalico.org/metadata: "
        "'{\"name\":\"security.block\",\"creationTimestamp\":null}'\n"
        "spec: {tier: security, order: 1, selector: all(), types: [Egress],\n"
        "  egress: [{action: Deny, destination: {selector: feed == 'bad'}}]}\n---\n"
        "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkSet\n"
        "metadata:\n  name: bad-feed\n  annotations:\n    projectcalico.org/metadata: "
        "'{\"creationTimestamp\":null,\"labels\":{\"feed\":\"bad\"}}'\n"
        "spec: {nets: [203.0.113.0/24]}\n";
    struct loaded a, b;

    (void)state;
    load_ok(&a, v3);
    load_ok(&b, crd);
    assert_int_equal(a.ps.npolicies, b.ps.npolicies);
    assert_int_equal(a.ps.ntiers, b.ps.ntiers);
    for (size_t t = 0; t < a.ps.ntiers; t++) {
        const struct tier *x = &a.ps.tiers[t], *y = &b.ps.tiers[t];

        assert_string_equal(x->name, y->name);
        assert_true(x->order == y->order && x->default_pass == y->default_pass);
        assert_int_equal(x->npolicies, y->npolicies);
        for (size_t i = 0; i < x->npolicies; i++) {
            const struct policy *p = x->policies[i], *q = y->policies[i];

            assert_string_equal(p->name, q->name); /* the v3 name, from the annotation */
            assert_int_equal(p->kind, q->kind);
            assert_int_equal(p->types, q->types);
            assert_string_equal(p->selector_text, q->selector_text);
            assert_int_equal(p->ningress, q->ningress);
            assert_int_equal(p->negress, q->negress);
        }
    }
    assert_string_equal(find(&b.ps, "allow-web")->tier, "default");
    /* the set's labels come from the annotation */
    assert_int_equal(b.ps.nnetsets, 1);
    assert_string_equal(labels_get(&b.ps.netsets[0].labels, "feed"), "bad");
    unload(&a);
    unload(&b);
}

/* §14, the names and types as Calico reads them back from storage. */
static void test_crd_names_types(void **state)
{
    struct loaded l;

    (void)state;
    /* an annotation without a name: a default-tier policy loses "default." */
    load_ok(&l, "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\n"
                "metadata:\n  name: default.db\n  namespace: n\n  annotations:\n"
                "    projectcalico.org/metadata: '{\"creationTimestamp\":null}'\n"
                "spec: {selector: all(), types: [Ingress]}\n");
    assert_true(has_policy(&l.ps, "db"));
    unload(&l);
    /* ...but not in another tier, and not without the annotation at all */
    load_ok(&l, "apiVersion: crd.projectcalico.org/v1\nkind: Tier\nmetadata: {name: default}\n"
                "---\napiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\n"
                "metadata: {name: default.db, namespace: n}\n"
                "spec: {selector: all(), types: [Ingress]}\n");
    assert_true(has_policy(&l.ps, "default.db"));
    unload(&l);
    /* no types in storage: Felix reads Ingress and Egress (the v3 API
     * would have defaulted this one to Ingress) */
    load_ok(&l, "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\n"
                "metadata: {name: hand-written}\n"
                "spec: {selector: all(), ingress: [{action: Allow}]}\n");
    assert_int_equal(find(&l.ps, "hand-written")->types, DIR_INGRESS | DIR_EGRESS);
    unload(&l);
    load_ok(&l, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                "metadata: {name: hand-written}\n"
                "spec: {selector: all(), ingress: [{action: Allow}]}\n");
    assert_int_equal(find(&l.ps, "hand-written")->types, DIR_INGRESS);
    unload(&l);
    /* an annotation Calico cannot read: an error at the annotation */
    load(&l,
         "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkSet\n"
         "metadata:\n  name: s\n  annotations:\n    projectcalico.org/metadata: '{\"labels\": '\n"
         "spec: {nets: [10.0.0.0/8]}\n",
         NULL, 0);
    assert_int_equal(l.rc, ERR_INVALID);
    assert_contains(l.msgs, "p.yaml:6:33: error: annotation 'projectcalico.org/metadata' is not "
                            "a JSON object");
    unload(&l);
    /* a kind of the storage group we do not know */
    load(&l, "apiVersion: crd.projectcalico.org/v1\nkind: Gadget\nmetadata: {name: g}\n", NULL, 0);
    assert_contains(l.msgs, "p.yaml:2:7: error: unknown crd.projectcalico.org/v1 kind 'Gadget'");
    unload(&l);
}

/* calicoctl (up to Calico v3.31) lists Kubernetes policies among Calico's
 * as "knp.default.<name>": with the Kubernetes object loaded too, the copy
 * is counted once. */
static void test_knp_copies(void **state)
{
    static const char text[] =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: deny-all, namespace: shop}\nspec: {podSelector: {}}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
        "metadata: {name: knp.default.deny-all, namespace: shop}\n"
        "spec: {order: 1000, selector: projectcalico.org/orchestrator == 'k8s', "
        "types: [Ingress]}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
        "metadata: {name: knp.default.other, namespace: shop}\n"
        "spec: {order: 1000, selector: all(), types: [Ingress]}\n";
    struct loaded l;

    (void)state;
    load_ok(&l, text);
    assert_int_equal(l.ps.npolicies, 2);
    assert_int_equal(find(&l.ps, "deny-all")->kind, POL_KNP);
    assert_false(has_policy(&l.ps, "knp.default.deny-all"));
    assert_true(has_policy(&l.ps, "knp.default.other")); /* no Kubernetes object: kept */
    assert_contains(l.msgs, "p.yaml:6: warning: NetworkPolicy 'shop/knp.default.deny-all' is "
                            "Calico's copy of the Kubernetes NetworkPolicy at p.yaml:1; counted "
                            "once");
    unload(&l);
}

static void test_lists_and_skipping(void **state)
{
    static const char text[] =
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n"
        "  metadata: {name: one, namespace: a}\n  spec: {podSelector: {}}\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: pod}\n  spec: {whatever: 1}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicyList\nitems:\n"
        "- metadata: {name: two}\n"
        "- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n  metadata: {name: "
        "three}\n"
        "---\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: h}\n"
        "spec: {node: n1, interfaceName: eth0}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: p}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: NetworkSet\n"
        "metadata: {name: ns1, namespace: a, labels: {role: db}}\nspec: {nets: [10.1.2.3/16, "
        "10.9.9.9]}\n";
    struct loaded l;

    (void)state;
    load_ok(&l, text);
    assert_int_equal(l.ps.npolicies, 3);
    assert_int_equal(find(&l.ps, "one")->kind, POL_KNP);
    assert_int_equal(find(&l.ps, "two")->kind, POL_GNP);
    assert_int_equal(find(&l.ps, "three")->kind, POL_GNP);
    assert_contains(l.msgs, "warning: Profile objects are not modelled");
    assert_int_equal(l.ps.nheps, 1);
    assert_int_equal(l.ps.nnetsets, 1);
    assert_string_equal(labels_get(&l.ps.netsets[0].labels, "projectcalico.org/namespace"), "a");
    assert_string_equal(labels_get(&l.ps.netsets[0].labels, "role"), "db");
    assert_int_equal(l.ps.netsets[0].nnets, 2);
    assert_int_equal(l.ps.netsets[0].nets[0].addr.a[2], 0); /* 10.1.2.3/16 masked */
    assert_int_equal(l.ps.netsets[0].nets[1].plen, 32);     /* a plain address is /32 */
    unload(&l);
}

static void test_paths(void **state)
{
    static const char *const missing[] = {"tests/fixtures/policies/no-such-dir"};
    static const char *const empty[] = {"tests/fixtures/policies/empty"};
    static const char *const some_empty[] = {"tests/fixtures/policies/fme-current",
                                             "tests/fixtures/policies/empty"};
    static const char *const both[] = {"tests/fixtures/policies/fme-current",
                                       "tests/fixtures/policies/fme-current/30-engine.yaml"};
    struct loaded l;

    (void)state;
    /* a path that does not exist is an error */
    load(&l, NULL, missing, 1);
    assert_int_not_equal(l.rc, 0);
    assert_contains(l.msgs, "cannot read policy path 'tests/fixtures/policies/no-such-dir'");
    unload(&l);
    /* one that holds no policy object is an error naming it: judging
     * against nothing would allow everything */
    load(&l, NULL, empty, 1);
    assert_int_equal(l.rc, ERR_INVALID);
    assert_contains(l.msgs, "no policy object in 'tests/fixtures/policies/empty': a check "
                            "against no policies allows everything (give --no-policies");
    unload(&l);
    /* an empty set when asked for */
    load_flags = POLICY_LOAD_ALLOW_EMPTY;
    load(&l, NULL, empty, 1);
    load_flags = 0;
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.ps.npolicies, 0);
    assert_non_null(find_tier(&l.ps, "default", NULL));
    unload(&l);
    /* one empty path among others that hold policies: a warning */
    load(&l, NULL, some_empty, 2);
    assert_int_equal(l.rc, 0);
    assert_contains(l.msgs, "warning: 'tests/fixtures/policies/empty' holds no policy objects");
    unload(&l);
    /* the same policy twice is an error naming both places */
    load(&l, NULL, both, 2);
    assert_int_not_equal(l.rc, 0);
    assert_contains(l.msgs,
                    "error: duplicate NetworkPolicy 'fme/application.engine-fmeserver' "
                    "(also defined at tests/fixtures/policies/fme-current/30-engine.yaml:5)");
    unload(&l);
}

/* --- §3.1 families ------------------------------------------------------------------------ */

static void test_rule_families(void **state)
{
    static const struct {
        const char *rule;
        int v4, v6;
    } rows[] = {
        {"{action: Allow}", 1, 1},
        /* ICMP by name implies v4; by number implies nothing (§9 item 13) */
        {"{action: Allow, protocol: ICMP}", 1, 0},
        {"{action: Allow, protocol: ICMPv6}", 0, 1},
        {"{action: Allow, protocol: 1}", 1, 1},
        {"{action: Allow, ipVersion: 6}", 0, 1},
        /* nets of one family: the rule does not exist for the other, even
         * through notNets (§9 item 12) */
        {"{action: Allow, destination: {notNets: [10.0.0.0/8]}}", 1, 0},
        {"{action: Allow, source: {nets: ['fd00::/8']}}", 0, 1},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct loaded l;
        char text[512];
        const struct rule *r;

        snprintf(text, sizeof(text),
                 "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                 "metadata: {name: g}\nspec:\n  egress:\n  - %s\n",
                 rows[i].rule);
        load_ok(&l, text);
        r = &find(&l.ps, "g")->egress[0];
        assert_int_equal(rule_applies_to_family(r, 4), rows[i].v4);
        assert_int_equal(rule_applies_to_family(r, 6), rows[i].v6);
        unload(&l);
    }
}

/* --- the conformance corpus ---------------------------------------------------------------- */

/*
 * Every example of ../shared/conformance/netpol must load, except the
 * invalid-* ones, which must be refused.  (invalid-duplicate-policy-name is
 * not representable in a cluster; a directory of YAML can hold it, and two
 * objects with one name are an error here.)
 */
static void test_conformance_corpus(void **state)
{
    static const char *const examples[] = {
        "onlineboutique",
        "acs-security-demos",
        "acs-security-demos-no-routes",
        "ipblockstest",
        "ipblockstest_2",
        "with_end_port_example",
        "with_end_port_example_new",
        "test_with_named_ports",
        "test_with_named_ports_changed_netpol",
        "netpol_named_port_test",
        "netpol-analysis-example-minimal",
        "netpol-diff-example-minimal",
        "minimal_test_in_ns",
        "multiple_topology_resources_1",
        "multiple_topology_resources_2",
        "semanticDiff-same-topologies-old1",
        "semanticDiff-same-topologies-old2",
        "semanticDiff-same-topologies-new1",
        "semanticDiff-same-topologies-new2",
        "semanticDiff-orig-topologies-no-policy",
        "semanticDiff-orig-topologies-policy-a",
        "minikube_resources",
        "deny_all_to_from_a_deployment",
        "deny_all_to_from_a_deployment_changed_netpol",
        "example_pods_w_same_owner_and_labels_gap_no_policy",
        "anp_test_6",
        "anp_with_np_pass_test",
        "invalid-cidr",
        "invalid-label-key",
        "invalid-empty-peer",
        "invalid-duplicate-policy-name",
        "invalid-endport-below-port",
    };
    const char *root = getenv("PODFLOW_CONFORMANCE");
    char path[512];
    const char *p[1] = {path};

    (void)state;
    if (!root)
        root = "../shared/conformance/netpol"; /* the repository's sibling, as CI has it */
    snprintf(path, sizeof(path), "%s/onlineboutique/resources", root);
    if (access(path, R_OK) != 0)
        fail_msg("conformance corpus not found at %s (set PODFLOW_CONFORMANCE)", root);
    for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
        struct loaded l;
        int invalid = strncmp(examples[i], "invalid-", 8) == 0;

        snprintf(path, sizeof(path), "%s/%s/resources", root, examples[i]);
        /* the examples without a policy mean an empty set */
        load_flags = strstr(examples[i], "no_policy") || strstr(examples[i], "no-policy") ||
                             strcmp(examples[i], "minikube_resources") == 0
                         ? POLICY_LOAD_ALLOW_EMPTY
                         : 0;
        load(&l, NULL, p, 1);
        load_flags = 0;
        if (invalid && l.rc == 0)
            fail_msg("%s: loaded, but it must be refused", examples[i]);
        if (!invalid && l.rc != 0)
            fail_msg("%s: refused:\n%s", examples[i], l.msgs);
        unload(&l);
    }
}

/* --- untrusted input ----------------------------------------------------------------------- */

/*
 * Every prefix of a policy file, and the file with bytes replaced, must load
 * or be refused with messages, never crash (run under ASan by unit-san).
 */
static void test_truncated_and_mangled(void **state)
{
    static const char text[] =
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: g}\nspec:\n  namespaceSelector: a == 'b'\n  types: [Ingress, Egress]\n"
        "  ingress:\n  - action: Allow\n    protocol: TCP\n    source:\n"
        "      serviceAccounts: {names: [x], selector: y == 'z'}\n"
        "      nets: [10.0.0.0/8]\n    destination: {ports: [80, '90:91', http]}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: k, namespace: n}\nspec:\n  podSelector: {matchLabels: {a: b}}\n"
        "  ingress:\n  - from: [{namespaceSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8, except: "
        "[10.1.0.0/16]}}]\n    ports: [{port: 80, endPort: 90}, {}]\n";
    static const char junk[] = "{}[]:-,'\"!&|()= \n\t#0aZ";
    char buf[sizeof(text)];
    unsigned seed = 12345;

    (void)state;
    for (size_t cut = 0; cut < sizeof(text) - 1; cut += 3) {
        struct loaded l;

        memcpy(buf, text, cut);
        buf[cut] = '\0';
        load(&l, buf, NULL, 0);
        unload(&l);
    }
    for (int round = 0; round < 200; round++) {
        struct loaded l;

        memcpy(buf, text, sizeof(text));
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % (sizeof(text) - 1)] = junk[(seed >> 20) % (sizeof(junk) - 1)];
        }
        load(&l, buf, NULL, 0);
        unload(&l);
    }
}

static void test_staged_delete_zero_values(void **state)
{
    struct loaded l;

    (void)state;
    /* Go's zero values ({} podSelector, [] lists) are allowed with Delete */
    load_ok(&l, "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n"
                "metadata: {name: k, namespace: n}\n"
                "spec: {stagedAction: Delete, podSelector: {}, ingress: []}\n");
    assert_true(find(&l.ps, "k")->staged_delete);
    unload(&l);
}

/* JSON as kubectl -o json prints it, read from stdin ("-"). */
static void test_json_stdin(void **state)
{
    static const char json[] =
        "{\n"
        "  \"apiVersion\": \"v1\",\n"
        "  \"kind\": \"List\",\n"
        "  \"items\": [\n"
        "    {\n"
        "      \"apiVersion\": \"networking.k8s.io/v1\",\n"
        "      \"kind\": \"NetworkPolicy\",\n"
        "      \"metadata\": {\"name\": \"j\", \"namespace\": \"x\"},\n"
        "      \"spec\": {\"podSelector\": {}, \"ingress\": [{\"ports\": [{\"port\": 80, "
        "\"protocol\": \"tcp\"}]}]}\n"
        "    }\n"
        "  ]\n"
        "}\n";
    static const char *const dash[] = {"-"};
    char path[] = "/tmp/pftest-stdin-XXXXXX";
    struct loaded l;
    int fd = mkstemp(path);
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    assert_non_null(freopen(path, "r", stdin));
    load(&l, NULL, dash, 1);
    assert_int_not_equal(l.rc, 0);
    /* line 9 of the JSON, at the value "tcp" */
    assert_contains(l.msgs, "<stdin>:9:");
    assert_contains(l.msgs, "error: unsupported protocol 'tcp'");
    unload(&l);
    unlink(path);
}

/* FelixConfiguration (§13): the fields read, their scopes (node.<node>
 * over default over the built-in values), and the errors Felix would die
 * on; IPPool (§11): its CIDR and whether it holds workloads. */
static void test_felix_config(void **state)
{
    static const char text[] =
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\n"
        "metadata: {name: default}\n"
        "spec:\n"
        "  defaultEndpointToHostAction: drop\n"
        "  logSeverityScreen: Info\n"
        "  vxlanPort: 4790\n"
        "  failsafeInboundHostPorts:\n"
        "  - {protocol: TCP, port: 22, net: 192.168.1.0/24}\n"
        "  - {protocol: UDP, port: 68}\n"
        "  - {port: 6443, net: 0.0.0.0/0}\n"
        "  failsafeOutboundHostPorts: []\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\n"
        "metadata: {name: node.worker-1}\n"
        "spec: {defaultEndpointToHostAction: Return, allowIPIPPacketsFromWorkloads: true}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: IPPool\n"
        "metadata: {name: default-ipv4-ippool}\n"
        "spec: {cidr: 10.244.0.0/16, ipipMode: Always, natOutgoing: true}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: IPPool\n"
        "metadata: {name: lb}\n"
        "spec: {cidr: 10.250.0.0/24, allowedUses: [LoadBalancer]}\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: g}\nspec: {selector: all()}\n";
    static const char bad[] =
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\n"
        "metadata: {name: default}\n"
        "spec:\n"
        "  defaultEndpointToHostAction: Reject\n"
        "  failsafeInboundHostPorts: [{protocol: SCTP, port: 9}, {protocol: TCP}]\n"
        "---\n"
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {}\n";
    struct loaded l;
    struct felix_eff e;
    struct ipaddr ip;

    (void)state;
    load_ok(&l, text);
    assert_int_equal(l.ps.nfelix, 2);
    /* Only the fields of §13 are read; the others are not reported. */
    assert_null(strstr(l.msgs, "logSeverityScreen"));
    assert_contains(l.msgs, "FELIX_DEFAULTENDPOINTTOHOSTACTION");

    felix_effective(&l.ps, "worker-2", &e);
    assert_int_equal(e.to_host, TOHOST_DROP);
    assert_string_equal(e.to_host_by->name, "default");
    assert_int_equal(e.nfailsafe_in, 3);
    assert_int_equal(e.failsafe_in[0].proto, 6);
    assert_int_equal(e.failsafe_in[0].has_net, 1);
    assert_int_equal(e.failsafe_in[1].proto, 17);
    assert_int_equal(e.failsafe_in[2].proto, 6);   /* no protocol: TCP */
    assert_int_equal(e.failsafe_in[2].has_net, 0); /* 0.0.0.0/0 is no restriction */
    assert_int_equal(e.nfailsafe_out, 0);          /* [] disables them */
    assert_int_equal(e.vxlan_port, 4790);
    assert_int_equal(e.allow_ipip, 0);

    felix_effective(&l.ps, "worker-1", &e);
    assert_int_equal(e.to_host, TOHOST_RETURN);
    assert_string_equal(e.to_host_by->name, "node.worker-1");
    assert_int_equal(e.allow_ipip, 1);
    assert_int_equal(e.nfailsafe_in, 3); /* from default */

    assert_int_equal(l.ps.nippools, 2);
    assert_int_equal(ipaddr_parse("10.244.3.4", 10, &ip), 0);
    assert_non_null(policy_pod_pool(&l.ps, &ip));
    assert_string_equal(policy_pod_pool(&l.ps, &ip)->name, "default-ipv4-ippool");
    assert_int_equal(ipaddr_parse("10.250.0.4", 10, &ip), 0);
    assert_null(policy_pod_pool(&l.ps, &ip)); /* load balancer addresses */
    unload(&l);

    /* Nothing given: Felix's defaults, and ACCEPT to the host as installs set it. */
    load_ok(&l, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                "metadata: {name: g}\nspec: {selector: all()}\n");
    felix_effective(&l.ps, "worker-1", &e);
    assert_int_equal(e.to_host, TOHOST_ACCEPT);
    assert_null(e.to_host_by);
    assert_int_equal(e.nfailsafe_in, 9);
    assert_int_equal(e.failsafe_in[0].port, 22);
    assert_int_equal(e.nfailsafe_out, 9);
    assert_int_equal(e.failsafe_out[0].proto, 17);
    assert_int_equal(e.failsafe_out[0].port, 53);
    assert_int_equal(e.vxlan_port, 4789);
    unload(&l);

    load(&l, bad, NULL, 0);
    assert_int_equal(l.rc, ERR_INVALID);
    assert_contains(l.msgs, "p.yaml:5:32: error: invalid defaultEndpointToHostAction 'Reject'");
    assert_contains(l.msgs, "Felix takes TCP and UDP only");
    assert_contains(l.msgs, "'spec.failsafeInboundHostPorts[].port' is required");
    assert_contains(l.msgs, "'spec.cidr' is required");
    unload(&l);
}

/* pv_path() and pv_index() write what snprintf("%s%s%s") and "%s[%zu]"
 * wrote, truncation included. */
static void test_pv_path(void **state)
{
    static const char *const whats[] = {"", "spec", "spec.ingress[0]"};
    char w[24], want[24];

    (void)state;
    for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++) {
        for (size_t size = 1; size <= sizeof(w); size++) {
            memset(w, 'x', sizeof(w));
            memset(want, 'x', sizeof(want));
            pv_path(w, size, whats[i], "destination");
            snprintf(want, size, "%s%s%s", whats[i], *whats[i] ? "." : "", "destination");
            assert_memory_equal(w, want, sizeof(w));
            for (size_t k = 0; k < 3; k++) {
                static const size_t idx[3] = {0, 7, 1234567};

                memset(w, 'x', sizeof(w));
                memset(want, 'x', sizeof(want));
                pv_index(w, size, whats[i], idx[k]);
                snprintf(want, size, "%s[%zu]", whats[i], idx[k]);
                assert_memory_equal(w, want, sizeof(w));
            }
        }
    }
}

/* pv_plain_bool(): YAML 1.1's eighteen words, plain only, nothing else. */
static void test_pv_plain_bool(void **state)
{
    static const struct {
        const char *s;
        int style, is, val;
    } cases[] = {
        {"true", YSCALAR_PLAIN, 1, 1},  {"True", YSCALAR_PLAIN, 1, 1},
        {"TRUE", YSCALAR_PLAIN, 1, 1},  {"yes", YSCALAR_PLAIN, 1, 1},
        {"Yes", YSCALAR_PLAIN, 1, 1},   {"YES", YSCALAR_PLAIN, 1, 1},
        {"on", YSCALAR_PLAIN, 1, 1},    {"On", YSCALAR_PLAIN, 1, 1},
        {"ON", YSCALAR_PLAIN, 1, 1},    {"false", YSCALAR_PLAIN, 1, 0},
        {"False", YSCALAR_PLAIN, 1, 0}, {"FALSE", YSCALAR_PLAIN, 1, 0},
        {"no", YSCALAR_PLAIN, 1, 0},    {"No", YSCALAR_PLAIN, 1, 0},
        {"NO", YSCALAR_PLAIN, 1, 0},    {"off", YSCALAR_PLAIN, 1, 0},
        {"Off", YSCALAR_PLAIN, 1, 0},   {"OFF", YSCALAR_PLAIN, 1, 0},
        {"", YSCALAR_PLAIN, 0, 0},      {"t", YSCALAR_PLAIN, 0, 0},
        {"oN", YSCALAR_PLAIN, 0, 0},    {"yess", YSCALAR_PLAIN, 0, 0},
        {"y", YSCALAR_PLAIN, 0, 0},     {"nginx", YSCALAR_PLAIN, 0, 0},
        {"app", YSCALAR_PLAIN, 0, 0},   {"true", YSCALAR_QUOTED, 0, 0},
        {"off ", YSCALAR_PLAIN, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ynode n;
        int val = -1;

        memset(&n, 0, sizeof(n));
        n.kind = YNODE_SCALAR;
        n.u.scalar.s = (char *)(uintptr_t)cases[i].s;
        n.u.scalar.len = strlen(cases[i].s);
        n.u.scalar.style = (enum yscalar_style)cases[i].style;
        if (pv_plain_bool(&n, &val) != cases[i].is)
            fail_msg("'%s': %s", cases[i].s, cases[i].is ? "not a bool" : "a bool");
        if (cases[i].is)
            assert_int_equal(val, cases[i].val);
    }
}

/* policy_set_load_mem(): the same loader over a buffer, named in messages. */
static void test_load_mem(void **state)
{
    static const char ok[] = "apiVersion: projectcalico.org/v3\n"
                             "kind: GlobalNetworkPolicy\n"
                             "metadata: {name: g}\n"
                             "spec: {selector: all(), ingress: [{action: Allow}]}\n";
    static const char bad[] = "kind: [";
    struct policy_set ps;
    struct diag d;
    char *msgs = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&msgs, &len);

    (void)state;
    assert_non_null(out);
    diag_init(&d, out, "podflow-analyze");
    /* a valid buffer loads like a file */
    assert_int_equal(policy_set_load_mem(&ps, "mem.yaml", ok, sizeof(ok) - 1, 0, &d), 0);
    assert_int_equal(ps.npolicies, 1);
    assert_string_equal(ps.policies[0].name, "g");
    policy_set_release(&ps);
    /* a broken one fails with its name in the message */
    assert_int_equal(policy_set_load_mem(&ps, "mem.yaml", bad, sizeof(bad) - 1, 0, &d), ERR_PARSE);
    /* an empty one holds no policy: an error (it would allow everything)... */
    assert_int_equal(policy_set_load_mem(&ps, "empty.yaml", NULL, 0, 0, &d), ERR_INVALID);
    /* ...unless an empty set is asked for */
    assert_int_equal(policy_set_load_mem(&ps, "empty.yaml", NULL, 0, POLICY_LOAD_ALLOW_EMPTY, &d),
                     0);
    assert_int_equal(ps.npolicies, 0);
    policy_set_release(&ps);
    fclose(out);
    assert_non_null(strstr(msgs, "mem.yaml:2:1: error: "));
    assert_non_null(strstr(msgs,
                           "podflow-analyze: no policy object in 'empty.yaml': a check against no "
                           "policies allows everything (give --no-policies"));
    /* the syntax error is one error, not followed by "no policy object" */
    assert_null(strstr(msgs, "no policy object in 'mem.yaml'"));
    free(msgs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fme_fixtures),
        cmocka_unit_test(test_load_mem),
        cmocka_unit_test(test_types_defaulting),
        cmocka_unit_test(test_policy_selectors),
        cmocka_unit_test(test_rule_selectors),
        cmocka_unit_test(test_validation_all_reported),
        cmocka_unit_test(test_validation_rows),
        cmocka_unit_test(test_gnp_flags_and_names),
        cmocka_unit_test(test_k8s_policy_level),
        cmocka_unit_test(test_k8s_rules),
        cmocka_unit_test(test_k8s_bad_port_drops_rule),
        cmocka_unit_test(test_k8s_invalid),
        cmocka_unit_test(test_policy_order),
        cmocka_unit_test(test_tier_order),
        cmocka_unit_test(test_staged),
        cmocka_unit_test(test_anp_conversion),
        cmocka_unit_test(test_anp_subject_and_types),
        cmocka_unit_test(test_banp),
        cmocka_unit_test(test_cnp_conversion),
        cmocka_unit_test(test_admin_validation),
        cmocka_unit_test(test_admin_rule_limits),
        cmocka_unit_test(test_admin_fail_closed),
        cmocka_unit_test(test_admin_crd_selectors),
        cmocka_unit_test(test_admin_versions),
        cmocka_unit_test(test_admin_version_asked),
        cmocka_unit_test(test_admin_ties),
        cmocka_unit_test(test_hostendpoints),
        cmocka_unit_test(test_lists_and_skipping),
        cmocka_unit_test(test_not_objects),
        cmocka_unit_test(test_crd_form),
        cmocka_unit_test(test_crd_names_types),
        cmocka_unit_test(test_knp_copies),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_rule_families),
        cmocka_unit_test(test_conformance_corpus),
        cmocka_unit_test(test_truncated_and_mangled),
        cmocka_unit_test(test_staged_delete_zero_values),
        cmocka_unit_test(test_json_stdin),
        cmocka_unit_test(test_felix_config),
        cmocka_unit_test(test_pv_path),
        cmocka_unit_test(test_pv_plain_bool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
