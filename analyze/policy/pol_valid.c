/*
 * pol_valid.c: validation of policy objects as Calico's validator
 * (libcalico-go/lib/validator/v3/validator.go, with the CEL rules of
 * the api/pkg/apis/projectcalico/v3 types) and the Kubernetes API server
 * (k8s.io/apimachinery/pkg/util/validation) do it: typed reads of YAML
 * nodes, unknown fields, names, labels, selectors, and the rule-level checks
 * (docs/semantics.md §8).  Every check reports through the diag with the
 * node's file:line:col and lets loading go on, so that one run reports
 * every problem.
 */
#include "analyze/policy/pol_int.h"

#include <stdarg.h>
#include <string.h>

#include "analyze/policy/selector.h"
#include "common/arena.h"
#include "common/attrs.h"
#include "common/ipaddr.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/compat.h"

static void pv_vreport(struct pol_ctx *c, const struct ynode *n, int level, const char *fmt,
                       va_list ap) PRINTF_LIKE(4, 0);

static void pv_vreport(struct pol_ctx *c, const struct ynode *n, int level, const char *fmt,
                       va_list ap)
{
    char msg[1024];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    ynode_report(c->d, c->ys, n, level, "%s", msg);
}

void pv_err(struct pol_ctx *c, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;

    c->errors++;
    va_start(ap, fmt);
    pv_vreport(c, n, DIAG_ERROR, fmt, ap);
    va_end(ap);
}

void pv_warn(struct pol_ctx *c, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pv_vreport(c, n, DIAG_WARNING, fmt, ap);
    va_end(ap);
}

/* Append s[0..len) to w[*n..size), keeping room for the NUL (truncates). */
static void path_put(char *w, size_t size, size_t *n, const char *s, size_t len)
{
    if (len > size - 1 - *n)
        len = size - 1 - *n;
    memcpy(w + *n, s, len);
    *n += len;
}

/* The same text snprintf(w, size, "%s%s%s", ...) writes, truncation
 * included, without its format parsing: the loaders call this for every
 * field of every rule (29,200 times for 1,000 policies), before knowing
 * whether a message will need the path. */
void pv_path(char *w, size_t size, const char *what, const char *field)
{
    size_t n = 0;

    if (!size)
        return;
    path_put(w, size, &n, what, strlen(what));
    if (*what)
        path_put(w, size, &n, ".", 1);
    path_put(w, size, &n, field, strlen(field));
    w[n] = '\0';
}

void pv_index(char *w, size_t size, const char *what, size_t i)
{
    char digits[24];
    size_t n = 0, d = sizeof(digits);

    if (!size)
        return;
    do {
        digits[--d] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    path_put(w, size, &n, what, strlen(what));
    path_put(w, size, &n, "[", 1);
    path_put(w, size, &n, digits + d, sizeof(digits) - d);
    path_put(w, size, &n, "]", 1);
    w[n] = '\0';
}

int pv_fields(struct pol_ctx *c, const struct ynode *map, const char *const *allowed,
              const char *what)
{
    int unknown = 0;

    if (!map || map->kind != YNODE_MAP)
        return 0;
    for (size_t i = 0; i < map->u.map.n; i++) {
        const struct ynode *k = map->u.map.pairs[i].key;
        size_t j;

        for (j = 0; allowed[j]; j++)
            if (strcmp(allowed[j], k->u.scalar.s) == 0)
                break;
        if (!allowed[j]) {
            pv_err(c, k, "unknown field '%s%s%s'", what, *what ? "." : "", k->u.scalar.s);
            unknown++;
        }
    }
    return unknown;
}

/* --- typed reads ------------------------------------------------------------ */

static int is_absent(const struct ynode *n)
{
    return !n || ynode_is_null(n);
}

static const char *found_what(const struct ynode *n)
{
    if (n->kind != YNODE_SCALAR)
        return ynode_kind_name(n->kind);
    if (n->u.scalar.style == YSCALAR_PLAIN) {
        int b;

        if (pv_plain_bool(n, &b))
            return "a boolean";
        if (pv_plain_number(n))
            return "a number";
    }
    return "a string";
}

/*
 * YAML 1.1 booleans as go-yaml v2 resolves them (sigs.k8s.io/yaml, which
 * kubectl and calicoctl use): y/n are left out, go-yaml keeps them strings
 * for plain scalars in maps' values only in some versions, and no policy
 * field takes them.
 */
int pv_plain_bool(const struct ynode *n, int *val)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};

    if (!n || n->kind != YNODE_SCALAR || n->u.scalar.style != YSCALAR_PLAIN)
        return 0;
    /* Every word starts with one of these: most scalars (names, labels,
     * selectors) are out before eighteen strcmp()s. */
    if (!n->u.scalar.s[0] || !strchr("tTyYoOfFnN", n->u.scalar.s[0]))
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (strcmp(n->u.scalar.s, yes[i]) == 0) {
            *val = 1;
            return 1;
        }
        if (strcmp(n->u.scalar.s, no[i]) == 0) {
            *val = 0;
            return 1;
        }
    }
    return 0;
}

/* [-+]? ( digits | digits '.' digits? | '.' digits ) ( [eE] [-+]? digits )?,
 * 0x hex, 0o octal, .inf, .nan: what a YAML 1.1 resolver reads as a number. */
int pv_plain_number(const struct ynode *n)
{
    const char *s;
    size_t i = 0, digits = 0;

    if (!n || n->kind != YNODE_SCALAR || n->u.scalar.style != YSCALAR_PLAIN)
        return 0;
    s = n->u.scalar.s;
    if (s[i] == '-' || s[i] == '+')
        i++;
    if (strcmp(s + i, ".inf") == 0 || strcmp(s + i, ".Inf") == 0 || strcmp(s + i, ".INF") == 0 ||
        strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
        return 1;
    if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
        i += 2;
        if (!s[i])
            return 0;
        for (; s[i]; i++)
            if (!strchr("0123456789abcdefABCDEF_", s[i]))
                return 0;
        return 1;
    }
    for (; s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (s[i] == '.') {
        i++;
        for (; s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    }
    if (!digits)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t ed = 0;

        i++;
        if (s[i] == '-' || s[i] == '+')
            i++;
        for (; s[i] >= '0' && s[i] <= '9'; i++)
            ed++;
        if (!ed)
            return 0;
    }
    return s[i] == '\0';
}

int pv_str(struct pol_ctx *c, const struct ynode *n, const char *what, const char **out)
{
    int b;

    if (is_absent(n))
        return 1;
    if (n->kind != YNODE_SCALAR || pv_plain_number(n) || pv_plain_bool(n, &b)) {
        pv_err(c, n, "expected a string for '%s', found %s%s", what, found_what(n),
               n->kind == YNODE_SCALAR ? " (quote it)" : "");
        return -1;
    }
    *out = n->u.scalar.s;
    return 0;
}

int pv_map(struct pol_ctx *c, const struct ynode *n, const char *what)
{
    if (is_absent(n))
        return 1;
    if (n->kind != YNODE_MAP) {
        pv_err(c, n, "expected a mapping for '%s', found %s", what, found_what(n));
        return -1;
    }
    return 0;
}

int pv_seq(struct pol_ctx *c, const struct ynode *n, const char *what)
{
    if (is_absent(n))
        return 1;
    if (n->kind != YNODE_SEQ) {
        pv_err(c, n, "expected a sequence for '%s', found %s", what, found_what(n));
        return -1;
    }
    return 0;
}

int pv_bool(struct pol_ctx *c, const struct ynode *n, const char *what, int *out)
{
    if (is_absent(n))
        return 1;
    if (!pv_plain_bool(n, out)) {
        pv_err(c, n, "expected a boolean for '%s', found %s", what, found_what(n));
        return -1;
    }
    return 0;
}

int pv_number(struct pol_ctx *c, const struct ynode *n, const char *what, double *out)
{
    if (is_absent(n))
        return 1;
    if (!pv_plain_number(n)) {
        pv_err(c, n, "expected a number for '%s', found %s", what, found_what(n));
        return -1;
    }
    if (parse_double(n->u.scalar.s, n->u.scalar.len, out) != 0) {
        /* A number by its looks that no double holds: say which. */
        pv_err(c, n, "number out of range for '%s': found %s", what, n->u.scalar.s);
        return -1;
    }
    return 0;
}

int pv_int(struct pol_ctx *c, const struct ynode *n, const char *what, long lo, long hi, long *out)
{
    int64_t v;

    if (is_absent(n))
        return 1;
    if (!pv_plain_number(n) || ynode_int(NULL, c->ys, n, what, INT64_MIN, INT64_MAX, &v) != 0) {
        pv_err(c, n, "expected an integer for '%s', found %s", what, found_what(n));
        return -1;
    }
    if (v < lo || v > hi) {
        pv_err(c, n, "'%s' must be between %ld and %ld, found %lld", what, lo, hi, (long long)v);
        return -1;
    }
    *out = (long)v;
    return 0;
}

int pv_is_zero(const struct ynode *n)
{
    int b;

    if (!n || ynode_is_null(n))
        return 1;
    switch (n->kind) {
    case YNODE_MAP:
        return n->u.map.n == 0;
    case YNODE_SEQ:
        return n->u.seq.n == 0;
    case YNODE_SCALAR:
        return n->u.scalar.len == 0 || (pv_plain_bool(n, &b) && !b);
    }
    return 0;
}

/* --- names and labels -------------------------------------------------------- */

static int is_lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static int is_alnum(char ch)
{
    return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..len), no length cap. */
static int is_label_fmt(const char *s, size_t len)
{
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* label ( '.' label )* over s[0..len). */
static int is_subdomain_fmt(const char *s, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (!is_label_fmt(s + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

int pv_is_dns_label(const char *s)
{
    size_t len = strlen(s);

    return len <= 63 && is_label_fmt(s, len);
}

int pv_is_dns_subdomain(const char *s)
{
    size_t len = strlen(s);

    return len <= 253 && is_subdomain_fmt(s, len);
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63 bytes. */
static int is_name_part(const char *s, size_t len)
{
    if (len == 0 || len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

int pv_is_qualified_name(const char *s)
{
    const char *slash = strchr(s, '/');

    if (!slash)
        return is_name_part(s, strlen(s));
    if (strchr(slash + 1, '/'))
        return 0;
    return (size_t)(slash - s) <= 253 && is_subdomain_fmt(s, (size_t)(slash - s)) &&
           is_name_part(slash + 1, strlen(slash + 1));
}

int pv_is_label_value(const char *s)
{
    return *s == '\0' || is_name_part(s, strlen(s));
}

/* IsValidPortName: 1-15 of [a-z0-9-], a letter somewhere, no '-' at either
 * end, no "--". */
int pv_is_port_name(const char *s)
{
    size_t len = strlen(s);
    int letter = 0;

    if (len == 0 || len > 15 || s[0] == '-' || s[len - 1] == '-' || strstr(s, "--"))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return 0;
        if (s[i] >= 'a' && s[i] <= 'z')
            letter = 1;
    }
    return letter;
}

/* ^((label)(\.label)?|((?:knp|ossg)\.default\.(subdomain)))$ */
int pv_is_np_name(const char *s)
{
    size_t len = strlen(s);
    const char *dot = strchr(s, '.');

    if (len > 253)
        return 0;
    if (strncmp(s, "knp.default.", 12) == 0 && is_subdomain_fmt(s + 12, len - 12))
        return 1;
    if (strncmp(s, "ossg.default.", 13) == 0 && is_subdomain_fmt(s + 13, len - 13))
        return 1;
    if (!dot)
        return is_label_fmt(s, len);
    if (strchr(dot + 1, '.'))
        return 0;
    return is_label_fmt(s, (size_t)(dot - s)) && is_label_fmt(dot + 1, strlen(dot + 1));
}

/* ^(label\.)?label$ */
int pv_is_gnp_name(const char *s)
{
    size_t len = strlen(s);
    const char *dot = strchr(s, '.');

    if (len > 253)
        return 0;
    if (!dot)
        return is_label_fmt(s, len);
    if (strchr(dot + 1, '.'))
        return 0;
    return is_label_fmt(s, (size_t)(dot - s)) && is_label_fmt(dot + 1, strlen(dot + 1));
}

void pv_meta_labels(struct pol_ctx *c, const struct ynode *meta)
{
    const struct ynode *labels = ynode_get(meta, "labels");
    const struct ynode *ann = ynode_get(meta, "annotations");

    if (pv_map(c, labels, "metadata.labels") == 0) {
        for (size_t i = 0; i < labels->u.map.n; i++) {
            const struct ynode *k = labels->u.map.pairs[i].key;
            const char *v = NULL;

            if (!pv_is_qualified_name(k->u.scalar.s))
                pv_err(c, k,
                       "invalid label key '%s': it must be a qualified name "
                       "([prefix/]name, name at most 63 characters of [A-Za-z0-9_.-])",
                       k->u.scalar.s);
            if (pv_str(c, labels->u.map.pairs[i].value, "metadata.labels", &v) == 0 &&
                !pv_is_label_value(v))
                pv_err(c, labels->u.map.pairs[i].value,
                       "invalid label value '%s' for '%s': at most 63 characters of "
                       "[A-Za-z0-9_.-], starting and ending alphanumeric",
                       v, k->u.scalar.s);
        }
    }
    if (pv_map(c, ann, "metadata.annotations") == 0) {
        for (size_t i = 0; i < ann->u.map.n; i++) {
            const char *v = NULL;

            (void)pv_str(c, ann->u.map.pairs[i].value, "metadata.annotations", &v);
        }
    }
}

/* --- selectors ------------------------------------------------------------------ */

/*
 * The column, in the file, of byte col (1-based) of a selector written at n:
 * exact for a plain scalar and for a quoted one on one line without escapes
 * or embedded quotes; otherwise the node's own column.
 */
static unsigned sel_file_col(const struct ynode *n, const char *s, size_t col)
{
    if (!n || n->kind != YNODE_SCALAR || strchr(s, '\n'))
        return n ? n->col : 0;
    if (n->u.scalar.style == YSCALAR_PLAIN)
        return n->col + (unsigned)col - 1;
    if (strchr(s, '\\') || strchr(s, '\'') || strchr(s, '"'))
        return n->col;
    return n->col + (unsigned)col;
}

struct sel *pv_selector(struct pol_ctx *c, const struct ynode *n, const char *s, const char *what)
{
    struct sel *sel = NULL;
    struct sel_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = sel_parse(c->a, s, strlen(s), &sel, &err);
    if (rc == 0)
        return sel;
    c->errors++;
    if (n) {
        diag_at(c->d, DIAG_ERROR, c->file, n->line, sel_file_col(n, s, err.col),
                "invalid selector in '%s': %s (selector column %zu)", what, err.msg, err.col);
    } else {
        diag_at(c->d, DIAG_ERROR, c->file, 0, 0, "invalid selector in '%s': %s", what, err.msg);
    }
    return NULL;
}

/* CEL / validator.go: `selector.contains('global(')`, a plain text test. */
void pv_no_global(struct pol_ctx *c, const struct ynode *n, const char *s, const char *what)
{
    if (s && strstr(s, "global("))
        pv_err(c, n, "global() can only be used in an EntityRule namespaceSelector, not in '%s'",
               what);
}

/* validateEntityRule: a namespaceSelector using global() must be exactly
 * that one token (the tokenizer skips spaces and tabs around it, and
 * accepts them inside the parentheses). */
void pv_global_alone(struct pol_ctx *c, const struct ynode *n, const char *s, const char *what)
{
    size_t i = 0;

    if (!s || !strstr(s, "global(") || strcmp(s, "global()") == 0)
        return;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (strncmp(s + i, "global(", 7) == 0) {
        i += 7;
        while (s[i] == ' ' || s[i] == '\t')
            i++;
        if (s[i] == ')') {
            i++;
            while (s[i] == ' ' || s[i] == '\t')
                i++;
            if (s[i] == '\0')
                return;
        }
    }
    pv_err(c, n, "global() cannot be combined with other selectors in '%s'", what);
}

/* --- rules ---------------------------------------------------------------------- */

static int proto_supports_ports(int proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static int all_named(const struct port_match *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!p[i].name)
            return 0;
    return 1;
}

/* Family use of one nets field: bit 0 v4, bit 1 v6. */
static unsigned nets_families(const struct cidr *v, size_t n)
{
    unsigned f = 0;

    for (size_t i = 0; i < n; i++)
        f |= v[i].addr.family == 4 ? 1u : 2u;
    return f;
}

static void check_ports(struct pol_ctx *c, const struct v3_rule *r, const struct v3_entity *e,
                        const char *side)
{
    const struct ynode *pn = e->n_ports ? e->n_ports : r->n_self;
    const struct ynode *npn = e->n_notports ? e->n_notports : r->n_self;

    if (r->proto < 0) {
        /* validateRule: with no protocol only named ports are allowed. */
        if (!all_named(e->ports, e->nports))
            pv_err(c, pn, "%s.ports: a numeric port needs protocol TCP, UDP or SCTP", side);
        if (!all_named(e->notports, e->nnotports))
            pv_err(c, npn, "%s.notPorts: a numeric port needs protocol TCP, UDP or SCTP", side);
    } else if (!proto_supports_ports(r->proto)) {
        if (e->nports)
            pv_err(c, pn,
                   "%s.ports: rules that specify ports must set protocol to TCP, UDP "
                   "or SCTP",
                   side);
        if (e->nnotports)
            pv_err(c, npn,
                   "%s.notPorts: rules that specify ports must set protocol to TCP, "
                   "UDP or SCTP",
                   side);
    }
}

static void check_services(struct pol_ctx *c, const struct v3_rule *r, const struct v3_entity *e,
                           const char *side)
{
    const struct ynode *n = e->n_svc ? e->n_svc : r->n_self;

    if (!e->has_svc)
        return;
    if (!e->svc_name)
        pv_err(c, n, "%s.services must specify a service name", side);
    if (e->nsselector)
        pv_err(c, n, "cannot specify %s.namespaceSelector and services on the same rule", side);
    if (e->selector || e->notselector)
        pv_err(c, n, "cannot specify %s.selector/notSelector and services on the same rule", side);
    if (e->has_sa)
        pv_err(c, n, "cannot specify %s.serviceAccounts and services on the same rule", side);
    if (e->nnets || e->nnotnets)
        pv_err(c, n, "cannot specify %s.nets/notNets and services on the same rule", side);
}

void pv_rule(struct pol_ctx *c, const struct v3_rule *r, int egress, int global)
{
    const struct ynode *rn = r->n_self;
    const struct v3_entity *sides[2] = {&r->src, &r->dst};
    const char *names[2] = {"source", "destination"};
    unsigned seen = 0;

    check_ports(c, r, &r->src, "source");
    check_ports(c, r, &r->dst, "destination");

    /* CEL: icmp needs protocol ICMP or ICMPv6 (by name or number). */
    if (r->has_icmp && r->proto != 1 && r->proto != 58)
        pv_err(c, rn, "icmp fields require protocol ICMP or ICMPv6");
    if ((r->proto == 1 || r->notproto == 1) && r->ip_version && r->ip_version != 4)
        pv_err(c, rn, "protocol ICMP requires ipVersion 4");
    if ((r->proto == 58 || r->notproto == 58) && r->ip_version && r->ip_version != 6)
        pv_err(c, rn, "protocol ICMPv6 requires ipVersion 6");

    /* validateRule scanNets: one family across the four nets fields, which
     * must agree with ipVersion; no catch-all under negation. */
    for (size_t i = 0; i < 2; i++) {
        const struct v3_entity *e = sides[i];
        unsigned f[2] = {nets_families(e->nets, e->nnets), nets_families(e->notnets, e->nnotnets)};
        const char *field[2] = {"nets", "notNets"};

        for (size_t j = 0; j < 2; j++) {
            if (!f[j])
                continue;
            if (r->ip_version &&
                ((f[j] & 1u && r->ip_version != 4) || (f[j] & 2u && r->ip_version != 6)))
                pv_err(c, rn, "%s.%s: rule IP version doesn't match CIDR version", names[i],
                       field[j]);
            if (f[j] == 3u || (f[j] & 1u && seen & 2u) || (f[j] & 2u && seen & 1u))
                pv_err(c, rn, "%s.%s: rule contains both IPv4 and IPv6 CIDRs", names[i], field[j]);
            seen |= f[j];
        }
        for (size_t j = 0; j < e->nnotnets; j++)
            if (cidr_is_catchall(&e->notnets[j]))
                pv_err(c, rn, "%s.notNets: a catch-all CIDR in negation matches no traffic",
                       names[i]);
    }

    /* Application layer (http) matches: Allow only, TCP or no protocol,
     * never on egress (validator.go ruleUsesAppLayerPolicy, CEL). */
    if (r->has_http) {
        if (r->action != ACT_ALLOW)
            pv_err(c, rn, "http match is only valid on Allow rules");
        if (r->proto >= 0 && r->proto != 6)
            pv_err(c, rn, "rules with http match must have protocol TCP or unset");
        if (egress)
            pv_err(c, rn, "http match is not allowed in egress rules");
    }

    check_services(c, r, &r->src, "source");
    check_services(c, r, &r->dst, "destination");
    if (r->dst.has_svc && (r->dst.nports || r->dst.nnotports))
        pv_err(c, rn, "ports and notPorts cannot be specified with destination services");
    if (egress && r->src.has_svc)
        pv_err(c, rn, "services are not allowed in an egress rule's source");
    if (!egress && r->dst.has_svc)
        pv_err(c, rn, "services are not allowed in an ingress rule's destination");
    if (global && egress && r->dst.has_svc && !r->dst.svc_ns)
        pv_err(c, rn, "destination.services must specify a namespace in a global policy");
    if (global && !egress && r->src.has_svc && !r->src.svc_ns)
        pv_err(c, rn, "source.services must specify a namespace in a global policy");
}

/* --- metadata ------------------------------------------------------------------ */

static const char *const top_fields[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
static const char *const meta_fields[] = {"name",
                                          "namespace",
                                          "labels",
                                          "annotations",
                                          "uid",
                                          "resourceVersion",
                                          "generation",
                                          "creationTimestamp",
                                          "deletionTimestamp",
                                          "deletionGracePeriodSeconds",
                                          "managedFields",
                                          "ownerReferences",
                                          "finalizers",
                                          "generateName",
                                          "selfLink",
                                          NULL};

int pv_meta(struct pol_ctx *c, const struct ynode *doc, int namespaced, const char **name,
            const char **ns, const struct ynode **meta_out)
{
    const struct ynode *meta = ynode_get(doc, "metadata");
    const struct ynode *nn, *nsn;
    const char *s = NULL;
    unsigned errs = c->errors;

    *name = NULL;
    *ns = NULL;
    *meta_out = meta;
    pv_fields(c, doc, top_fields, "");
    if (pv_map(c, meta, "metadata") != 0) {
        if (!meta)
            pv_err(c, doc, "'metadata.name' is required");
        return -1;
    }
    pv_fields(c, meta, meta_fields, "metadata");
    nn = ynode_get(meta, "name");
    if (pv_str(c, nn, "metadata.name", &s) == 0 && *s)
        *name = arena_strdup(c->a, s);
    else if (c->errors == errs)
        pv_err(c, nn ? nn : meta, "'metadata.name' is required");
    nsn = ynode_get(meta, "namespace");
    s = NULL;
    if (pv_str(c, nsn, "metadata.namespace", &s) == 0 && *s) {
        if (!namespaced)
            pv_warn(c, nsn, "'metadata.namespace' is ignored: this kind is not namespaced");
        else if (!pv_is_dns_label(s))
            pv_err(c, nsn, "invalid namespace '%s': one DNS label (a-z, 0-9, '-', at most 63)", s);
        else
            *ns = arena_strdup(c->a, s);
    }
    /* kubectl and calicoctl put an object without a namespace into the
     * current one, "default" unless configured otherwise. */
    if (namespaced && !*ns && c->errors == errs)
        *ns = "default";
    return c->errors == errs ? 0 : -1;
}
