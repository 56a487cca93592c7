/*
 * test_policy.c: the policy loader (analyze/pol_load.c, pol_calico.c,
 * pol_k8s.c, pol_valid.c, policy.c) against policy-semantics.md §2, §3, §4,
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

#include "analyze/policy.h"
#include "analyze/pol_int.h"
#include "analyze/selector.h"
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
    char *msgs;      /* diagnostics with the temp directory stripped (malloc'd) */
    char dir[64];
};

/* Write text to <tmpdir>/p.yaml and load it (or load the paths given when
 * text is NULL).  Messages are kept with "<tmpdir>/" removed. */
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
    l->rc = policy_set_load(&l->ps, paths, npaths, &d);
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
                 "metadata: {name: p, namespace: n}\nspec:\n%s", rows[i].spec);
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
        {"NetworkPolicy", "selector: app == 'x'", "(app == 'x') && projectcalico.org/namespace == 'n'"},
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
    static const char text[] =
        "apiVersion: projectcalico.org/v3\n"                      /* 1 */
        "kind: NetworkPolicy\n"                                   /* 2 */
        "metadata:\n"                                             /* 3 */
        "  name: bad\n"                                           /* 4 */
        "  namespace: n\n"                                        /* 5 */
        "spec:\n"                                                 /* 6 */
        "  selector: app == 'x' && role = 'y'\n"                  /* 7 */
        "  colour: blue\n"                                        /* 8 */
        "  ingress:\n"                                            /* 9 */
        "  - action: Allow\n"                                     /* 10 */
        "    protocol: tcp\n"                                     /* 11 */
        "  - action: Allow\n"                                     /* 12 */
        "    destination:\n"                                      /* 13 */
        "      ports: [80]\n"                                     /* 14 */
        "  - action: Allow\n"                                     /* 15 */
        "    source:\n"                                           /* 16 */
        "      nets: [10.0.0.0/8]\n"                              /* 17 */
        "      notNets: ['fd00::/8']\n"                           /* 18 */
        "  - action: Allow\n"                                     /* 19 */
        "    source:\n"                                           /* 20 */
        "      selector: global()\n"                              /* 21 */
        "  - action: Allow\n"                                     /* 22 */
        "    destination:\n"                                      /* 23 */
        "      namespaceSelector: global() && a == 'b'\n"         /* 24 */
        "  - action: allow\n"                                     /* 25 */
        "    icmp: {code: 3}\n";                                  /* 26 */
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
                 "metadata: {name: p, namespace: n}\nspec:\n%s", rows[i].text);
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
         "spec: {preDNAT: true, applyOnForward: true, ingress: [{action: Deny}]}\n", NULL},
        /* names: GNP at most one dot; knp.default. is for NetworkPolicy only */
        {"kind: GlobalNetworkPolicy\nmetadata: {name: knp.default.x}\n", "invalid GlobalNetworkPolicy name"},
        {"kind: GlobalNetworkPolicy\nmetadata: {name: security.allow-dns}\n", NULL},
        {"kind: NetworkPolicy\nmetadata: {name: knp.default.a.b, namespace: n}\n", NULL},
        {"kind: NetworkPolicy\nmetadata: {name: a.b.c, namespace: n}\n", "invalid NetworkPolicy name"},
        {"kind: NetworkPolicy\nmetadata: {name: Upper, namespace: n}\n", "invalid NetworkPolicy name"},
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
         "spec: {stagedAction: Remove}\n", "invalid stagedAction 'Remove'"},
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fme_fixtures),
        cmocka_unit_test(test_types_defaulting),
        cmocka_unit_test(test_policy_selectors),
        cmocka_unit_test(test_rule_selectors),
        cmocka_unit_test(test_validation_all_reported),
        cmocka_unit_test(test_validation_rows),
        cmocka_unit_test(test_gnp_flags_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
