/*
 * pol_write.c: the policy language written back (pol_write.h): suggested
 * rules and policies as YAML, and edits of the files a set was loaded
 * from.  Edits are made on the text, not by writing the tree out again:
 * a file keeps its comments, order and quoting, and the diff a support
 * engineer reads is the few lines that change.  Where the text is found
 * comes from the loader's own reader (common/ydoc: 1-based line and
 * column, columns in characters), so an edit lands on the rule the
 * engine judged (docs/semantics.md §18.2).
 */
#include "analyze/policy/pol_write.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "common/ydoc.h"
#include "common/compat.h"

/* ---- writing ------------------------------------------------------------ */

static const char *proto_text(int proto, char *tmp, size_t size)
{
    const char *n = ipproto_name(proto);

    if (n)
        return n;
    snprintf(tmp, size, "%d", proto);
    return tmp;
}

/* A plain scalar YAML would read as something else than this string. */
static int needs_quotes(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on",
                                        "off",  "null",  "y",   "n"};
    size_t i, len = strlen(s);

    if (!len || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 1;
    if (strstr(s, ": ") || strstr(s, " #") || s[len - 1] == ':' || s[len - 1] == ' ' ||
        strpbrk(s, "\n\t\r"))
        return 1;
    for (i = 0; i < ARRAY_SIZE(words); i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    return 0;
}

int pw_yaml_scalar(const char *s, struct buf *out)
{
    int rc;

    if (!needs_quotes(s))
        return buf_addstr(out, s);
    rc = buf_addch(out, '\'');
    for (; *s && !rc; s++)
        rc = *s == '\'' ? buf_addstr(out, "''") : buf_addch(out, *s);
    return rc ? rc : buf_addch(out, '\'');
}

int pw_selector_text(const struct labels *l, struct buf *out)
{
    size_t i;
    int rc = 0;

    if (!l || !l->n)
        return buf_addstr(out, "all()");
    for (i = 0; i < l->n && !rc; i++) {
        const char *v = l->v[i].value;
        char q = strchr(v, '"') ? '\'' : '"';

        rc = buf_addf(out, "%s%s == %c%s%c", i ? " && " : "", l->v[i].key, q, v, q);
    }
    return rc;
}

/* Comment lines, each "<indent># line"; other control characters
 * (a carriage return ends a YAML line too) written as '?': comments hold
 * names from the case, which is untrusted. */
static int comment_lines(const char *c, const char *indent, struct buf *out)
{
    int rc = 0;

    while (c && *c && !rc) {
        const char *nl = strchr(c, '\n');
        size_t n = nl ? (size_t)(nl - c) : strlen(c), i;

        rc = buf_addf(out, "%s# ", indent);
        for (i = 0; i < n && !rc; i++)
            rc = buf_addch(out, (unsigned char)c[i] < 0x20 || c[i] == 0x7f ? '?' : c[i]);
        if (!rc)
            rc = buf_addch(out, '\n');
        c = nl ? nl + 1 : c + n;
    }
    return rc;
}

static int key_line(struct buf *out, const char *indent, const char *key, const char *value)
{
    int rc = buf_addf(out, "%s%s: ", indent, key);

    if (!rc)
        rc = pw_yaml_scalar(value, out);
    return rc ? rc : buf_addch(out, '\n');
}

static int port_item(struct buf *out, const char *indent, const struct port_match *pm)
{
    if (pm->name)
        return 0;
    if (pm->lo == pm->hi)
        return buf_addf(out, "%s- %u\n", indent, pm->lo);
    return buf_addf(out, "%s- \"%u:%u\"\n", indent, pm->lo, pm->hi);
}

/* The fields of a Calico EntityRule for peer, at indent. */
static int calico_peer(const struct pw_peer *p, const char *indent, struct buf *out)
{
    struct buf t;
    char cb[IPADDR_STRLEN + 8];
    size_t i;
    int rc = 0;

    buf_init(&t, 0);
    if (p->pod) {
        rc = pw_selector_text(p->pod, &t);
        if (!rc)
            rc = key_line(out, indent, "selector", t.data);
    }
    if (!rc && p->global_set)
        rc = key_line(out, indent, "namespaceSelector", "global()");
    else if (!rc && p->ns) {
        buf_reset(&t);
        rc = buf_addf(&t, "projectcalico.org/name == \"%s\"", p->ns);
        if (!rc)
            rc = key_line(out, indent, "namespaceSelector", t.data);
    }
    if (!rc && !p->pod && p->nnets) {
        rc = buf_addf(out, "%snets:\n", indent);
        for (i = 0; i < p->nnets && !rc; i++)
            rc = buf_addf(out, "%s- %s\n", indent, cidr_format(&p->nets[i], cb));
    }
    buf_release(&t);
    return rc;
}

static int peer_empty(const struct pw_peer *p)
{
    return !p->pod && !p->ns && !p->global_set && !p->nnets;
}

int pw_rule_yaml(const struct pw_rule *r, int dir, const char *first, const char *rest,
                 struct buf *out)
{
    char tmp[16], ind[64];
    const char *dash = strchr(first, '-');
    size_t dlen = dash ? (size_t)(dash - first) : 0, i;
    int rc;

    if (strlen(rest) + 5 > sizeof(ind) || dlen >= sizeof(ind))
        return ERR_LIMIT;
    memset(ind, ' ', dlen);
    ind[dlen] = 0;
    rc = comment_lines(r->comment, ind, out);
    snprintf(ind, sizeof(ind), "%s  ", rest);
    if (!rc)
        rc = buf_addf(out, "%saction: Allow\n", first);
    if (!rc && r->proto)
        rc = buf_addf(out, "%sprotocol: %s\n", rest, proto_text(r->proto, tmp, sizeof(tmp)));
    if (!rc && dir == DIR_INGRESS && !peer_empty(&r->peer)) {
        rc = buf_addf(out, "%ssource:\n", rest);
        if (!rc)
            rc = calico_peer(&r->peer, ind, out);
    }
    if (!rc && ((dir == DIR_EGRESS && !peer_empty(&r->peer)) || r->nports))
        rc = buf_addf(out, "%sdestination:\n", rest);
    if (!rc && dir == DIR_EGRESS && !peer_empty(&r->peer))
        rc = calico_peer(&r->peer, ind, out);
    if (!rc && r->nports)
        rc = buf_addf(out, "%sports:\n", ind);
    for (i = 0; i < r->nports && !rc; i++)
        rc = port_item(out, ind, &r->ports[i]);
    return rc;
}

static int labels_map(const struct labels *l, const char *indent, struct buf *out)
{
    size_t i;
    int rc = 0;

    for (i = 0; l && i < l->n && !rc; i++) {
        rc = buf_addf(out, "%s%s: ", indent, l->v[i].key);
        if (!rc)
            rc = pw_yaml_scalar(l->v[i].value, out);
        if (!rc)
            rc = buf_addch(out, '\n');
    }
    return rc;
}

static int order_text(double o, struct buf *out)
{
    if (o == (double)(long long)o)
        return buf_addf(out, "%lld", (long long)o);
    return buf_addf(out, "%.17g", o);
}

static int calico_policy(const struct pw_policy *p, struct buf *out)
{
    struct buf t;
    size_t i;
    int rc;

    buf_init(&t, 0);
    rc = buf_addf(out,
                  "apiVersion: projectcalico.org/v3\nkind: %s\nmetadata:\n  name: %s\n"
                  "  namespace: %s\nspec:\n",
                  p->kind == PW_CALICO ? "NetworkPolicy" : "StagedNetworkPolicy", p->name, p->ns);
    if (!rc && p->tier)
        rc = buf_addf(out, "  tier: %s\n", p->tier);
    if (!rc && p->has_order) {
        rc = buf_addstr(out, "  order: ");
        if (!rc)
            rc = order_text(p->order, out);
        if (!rc)
            rc = buf_addch(out, '\n');
    }
    if (!rc)
        rc = pw_selector_text(p->select, &t);
    if (!rc)
        rc = key_line(out, "  ", "selector", t.data);
    if (!rc)
        rc = buf_addf(out, "  types:\n%s%s", p->types & DIR_INGRESS ? "  - Ingress\n" : "",
                      p->types & DIR_EGRESS ? "  - Egress\n" : "");
    if (!rc && p->ningress)
        rc = buf_addstr(out, "  ingress:\n");
    for (i = 0; i < p->ningress && !rc; i++)
        rc = pw_rule_yaml(&p->ingress[i], DIR_INGRESS, "  - ", "    ", out);
    if (!rc && p->negress)
        rc = buf_addstr(out, "  egress:\n");
    for (i = 0; i < p->negress && !rc; i++)
        rc = pw_rule_yaml(&p->egress[i], DIR_EGRESS, "  - ", "    ", out);
    buf_release(&t);
    return rc;
}

/* A Kubernetes NetworkPolicyPeer list ("from:" / "to:") and ports. */
static int k8s_rule(const struct pw_rule *r, int dir, struct buf *out)
{
    char tmp[16], cb[IPADDR_STRLEN + 8];
    const struct pw_peer *p = &r->peer;
    size_t i;
    int rc = comment_lines(r->comment, "  ", out), first = 1;

    if (!rc)
        rc = buf_addstr(out, "  - ");
    if (!rc && !peer_empty(p)) {
        rc = buf_addf(out, "%s:\n", dir == DIR_INGRESS ? "from" : "to");
        first = 0;
        if (!rc && p->pod && !p->global_set) {
            rc = buf_addstr(out, "    - podSelector:\n        matchLabels:\n");
            if (!rc)
                rc = labels_map(p->pod, "          ", out);
            if (!rc && p->ns)
                rc = buf_addf(out,
                              "      namespaceSelector:\n        matchLabels:\n"
                              "          kubernetes.io/metadata.name: %s\n",
                              p->ns);
        } else {
            for (i = 0; i < p->nnets && !rc; i++)
                rc = buf_addf(out, "    - ipBlock:\n        cidr: %s\n",
                              cidr_format(&p->nets[i], cb));
        }
    }
    if (!rc && r->nports && (r->proto == 6 || r->proto == 17 || r->proto == 132)) {
        rc = buf_addf(out, "%sports:\n", first ? "" : "    ");
        first = 0;
        for (i = 0; i < r->nports && !rc; i++) {
            const struct port_match *pm = &r->ports[i];

            if (pm->name)
                continue;
            rc = buf_addf(out, "    - protocol: %s\n      port: %u\n",
                          proto_text(r->proto, tmp, sizeof(tmp)), pm->lo);
            if (!rc && pm->hi != pm->lo)
                rc = buf_addf(out, "      endPort: %u\n", pm->hi);
        }
    }
    if (!rc && first)
        rc = buf_addstr(out, "{}\n");
    return rc;
}

static int k8s_policy(const struct pw_policy *p, struct buf *out)
{
    size_t i;
    int rc;

    if (p->kind == PW_K8S)
        rc = buf_addstr(out, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n");
    else
        rc = buf_addstr(out,
                        "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n");
    if (!rc)
        rc = buf_addf(out, "metadata:\n  name: %s\n  namespace: %s\nspec:\n  podSelector:\n",
                      p->name, p->ns);
    if (!rc && p->select && p->select->n) {
        rc = buf_addstr(out, "    matchLabels:\n");
        if (!rc)
            rc = labels_map(p->select, "      ", out);
    } else if (!rc) {
        rc = buf_addstr(out, "    {}\n");
    }
    if (!rc)
        rc = buf_addf(out, "  policyTypes:\n%s%s", p->types & DIR_INGRESS ? "  - Ingress\n" : "",
                      p->types & DIR_EGRESS ? "  - Egress\n" : "");
    if (!rc && p->ningress)
        rc = buf_addstr(out, "  ingress:\n");
    for (i = 0; i < p->ningress && !rc; i++)
        rc = k8s_rule(&p->ingress[i], DIR_INGRESS, out);
    if (!rc && p->negress)
        rc = buf_addstr(out, "  egress:\n");
    for (i = 0; i < p->negress && !rc; i++)
        rc = k8s_rule(&p->egress[i], DIR_EGRESS, out);
    return rc;
}

int pw_policy_yaml(const struct pw_policy *p, struct buf *out)
{
    int rc = buf_addstr(out, "---\n");

    if (!rc)
        rc = comment_lines(p->comment, "", out);
    if (rc)
        return rc;
    return p->kind == PW_CALICO || p->kind == PW_CALICO_STAGED ? calico_policy(p, out)
                                                               : k8s_policy(p, out);
}

int pw_tier_yaml(const char *name, double order, const char *comment, struct buf *out)
{
    int rc = buf_addstr(out, "---\n");

    if (!rc)
        rc = comment_lines(comment, "", out);
    if (!rc)
        rc = buf_addf(out,
                      "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: %s\n"
                      "spec:\n  order: ",
                      name);
    if (!rc)
        rc = order_text(order, out);
    return rc ? rc : buf_addstr(out, "\n  defaultAction: Deny\n");
}

int pw_netset_yaml(const char *name, const struct labels *labels, const struct cidr *nets,
                   size_t nnets, const char *comment, struct buf *out)
{
    char cb[IPADDR_STRLEN + 8];
    size_t i;
    int rc = buf_addstr(out, "---\n");

    if (!rc)
        rc = comment_lines(comment, "", out);
    if (!rc)
        rc = buf_addf(out,
                      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n"
                      "  name: %s\n  labels:\n",
                      name);
    if (!rc)
        rc = labels_map(labels, "    ", out);
    if (!rc)
        rc = buf_addstr(out, "spec:\n  nets:\n");
    for (i = 0; i < nnets && !rc; i++)
        rc = buf_addf(out, "  - %s\n", cidr_format(&nets[i], cb));
    return rc;
}

/* ---- finding things in a file ------------------------------------------- */

struct ptext {
    const char *s;
    size_t len;
    size_t *starts; /* byte offset of each line (malloc'd) */
    size_t nlines;
};

static void ptext_init(struct ptext *t, const char *s, size_t len)
{
    size_t i, alloc = 0;

    memset(t, 0, sizeof(*t));
    t->s = s;
    t->len = len;
    for (i = 0; i < len || (i == len && !t->nlines); i++) {
        if (i == 0 || s[i - 1] == '\n') {
            if (i == len)
                break;
            ALLOC_GROW(t->starts, t->nlines + 1, alloc);
            t->starts[t->nlines++] = i;
        }
    }
}

/* Bytes of line (1-based), without its '\n'. */
static const char *ptext_line(const struct ptext *t, size_t line, size_t *n)
{
    size_t a, b;

    if (line < 1 || line > t->nlines) {
        *n = 0;
        return "";
    }
    a = t->starts[line - 1];
    b = line < t->nlines ? t->starts[line] : t->len;
    if (b > a && t->s[b - 1] == '\n')
        b--;
    *n = b - a;
    return t->s + a;
}

/* The byte offset, in its line, of 1-based column col (characters). */
static size_t col_off(const char *l, size_t n, unsigned col)
{
    size_t i = 0;
    unsigned c = 1;

    while (i < n && c < col) {
        i++;
        while (i < n && ((unsigned char)l[i] & 0xC0) == 0x80)
            i++;
        c++;
    }
    return i;
}

static char char_at(const struct ptext *t, unsigned line, unsigned col)
{
    size_t n;
    const char *l = ptext_line(t, line, &n);
    size_t o = col_off(l, n, col);

    return o < n ? l[o] : 0;
}

static const struct ynode *find_obj(const struct ynode *n, unsigned line)
{
    const struct ynode *items;
    size_t i;

    if (!n || n->kind != YNODE_MAP)
        return NULL;
    if (n->line == line && ynode_get(n, "spec"))
        return n;
    items = ynode_get(n, "items");
    if (!items || items->kind != YNODE_SEQ)
        return NULL;
    for (i = 0; i < items->u.seq.n; i++)
        if (items->u.seq.items[i]->line == line && items->u.seq.items[i]->kind == YNODE_MAP)
            return items->u.seq.items[i];
    return NULL;
}

/* The rules sequence of direction dir of p in ys, or NULL. */
static const struct ynode *find_rules(const struct ystream *ys, const struct policy *p, int dir)
{
    const struct ynode *obj = NULL, *md, *nm, *spec, *rules;
    size_t i;

    for (i = 0; i < ys->ndocs && !obj; i++)
        obj = find_obj(ys->docs[i], p->line);
    if (!obj)
        return NULL;
    md = ynode_get(obj, "metadata");
    nm = ynode_get(md, "name");
    if (!nm || nm->kind != YNODE_SCALAR || strcmp(nm->u.scalar.s, p->name) != 0)
        return NULL;
    spec = ynode_get(obj, "spec");
    rules = ynode_get(spec, dir == DIR_EGRESS ? "egress" : "ingress");
    return rules && rules->kind == YNODE_SEQ ? rules : NULL;
}

/* The text was loaded a moment ago: failing now, it changed (reported). */
static int load_tree(struct ystream *ys, const char *name, const char *text, size_t len,
                     struct diag *d)
{
    memset(ys, 0, sizeof(*ys));
    return ystream_load_mem(ys, name, text, len, d) ? ERR_NOTFOUND : 0;
}

/* The prefix of line (up to byte o) is blanks, one '-', blanks. */
static int dash_prefix(const char *l, size_t o)
{
    size_t i = 0;

    while (i < o && l[i] == ' ')
        i++;
    if (i >= o || l[i] != '-')
        return 0;
    for (i++; i < o; i++)
        if (l[i] != ' ')
            return 0;
    return 1;
}

static int is_json(const char *name)
{
    size_t n = strlen(name);

    return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* The end (byte offset) of the flow-style scalar starting at l[o]. */
static size_t scalar_end(const char *l, size_t n, size_t o)
{
    char q = l[o];

    if (q == '"' || q == '\'') {
        size_t i = o + 1;

        while (i < n) {
            if (q == '"' && l[i] == '\\') {
                i += 2;
                continue;
            }
            if (l[i] == q) {
                if (q == '\'' && i + 1 < n && l[i + 1] == '\'') {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return n;
    }
    while (o < n && l[o] != ',' && l[o] != ']' && l[o] != ' ' && l[o] != '\t')
        o++;
    return o;
}

/*
 * 1 when text breaks lines only by "\n" (or "\r\n"), as ptext_init() counts
 * them.  YAML also breaks at a lone "\r", NEL, LS and PS (libyaml's
 * IS_BREAK): the loader's line numbers would then not be ours, and an
 * edit would land inside a line.  Such a file is not edited.
 */
static int plain_breaks(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\r' && (i + 1 >= len || s[i + 1] != '\n'))
            return 0;
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0x85)
            return 0;
        if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
            return 0;
    }
    return 1;
}

void pw_edit_release(struct pw_edit *e)
{
    free(e->text);
    memset(e, 0, sizeof(*e));
}

int pw_edit_add_ports(const char *name, const char *text, size_t len, const struct policy *p,
                      int dir, size_t rule, const char *const *items, size_t nitems,
                      const char *comment, struct pw_edit *out, struct diag *d)
{
    struct ystream ys;
    struct ptext t;
    struct buf b;
    const struct ynode *rules, *r, *dst, *ports, *last;
    const char *l;
    size_t n, o, i;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!plain_breaks(text, len))
        return ERR_INVALID;
    rc = load_tree(&ys, name, text, len, d);
    if (rc)
        return rc;
    ptext_init(&t, text, len);
    buf_init(&b, 0);
    rc = ERR_NOTFOUND;
    rules = find_rules(&ys, p, dir);
    if (!rules || rule >= rules->u.seq.n)
        goto out;
    r = rules->u.seq.items[rule];
    dst = ynode_get(r, "destination");
    ports = ynode_get(dst, "ports");
    rc = ERR_INVALID;
    if (!ports || ports->kind != YNODE_SEQ || !ports->u.seq.n)
        goto out;
    last = ports->u.seq.items[ports->u.seq.n - 1];
    if (last->kind != YNODE_SCALAR)
        goto out;
    l = ptext_line(&t, last->line, &n);
    o = col_off(l, n, last->col);
    if (char_at(&t, ports->line, ports->col) == '-') {
        /* Block style: new items under the last one, as it is indented. */
        const char *dp;
        size_t dash;

        /* dash_prefix(): spaces, a dash, spaces up to o, so the dash is
         * found within the line (which need not end in a NUL). */
        if (!dash_prefix(l, o) || !(dp = memchr(l, '-', o)))
            goto out;
        dash = (size_t)(dp - l);
        char ind[64];

        if (dash >= sizeof(ind))
            goto out;
        memset(ind, ' ', dash);
        ind[dash] = 0;
        rc = 0;
        if (comment && !is_json(name))
            rc = comment_lines(comment, ind, &b);
        for (i = 0; i < nitems && !rc; i++)
            rc = buf_addf(&b, "%.*s%s\n", (int)o, l, items[i]);
        out->line = last->line + 1;
        out->ndel = 0;
    } else if (char_at(&t, ports->line, ports->col) == '[' && ports->line == last->line) {
        /* Flow style on one line: ", item" after the last one. */
        size_t e = scalar_end(l, n, o), ws = 0;
        char ind[64];

        while (ws < n && ws + 1 < sizeof(ind) && (l[ws] == ' ' || l[ws] == '\t'))
            ws++;
        memcpy(ind, l, ws);
        ind[ws] = 0;
        rc = 0;
        if (comment && !is_json(name))
            rc = comment_lines(comment, ind, &b);
        if (!rc)
            rc = buf_add(&b, l, e);
        for (i = 0; i < nitems && !rc; i++)
            rc = buf_addf(&b, ", %s", items[i]);
        if (!rc)
            rc = buf_add(&b, l + e, n - e);
        if (!rc)
            rc = buf_addch(&b, '\n');
        out->line = last->line;
        out->ndel = 1;
    } else {
        goto out;
    }
    if (!rc)
        out->text = buf_detach(&b, NULL);
out:
    buf_release(&b);
    free(t.starts);
    ystream_release(&ys);
    return rc;
}

/* Leading blanks of a line. */
static size_t indent_of(const char *l, size_t n)
{
    size_t i = 0;

    while (i < n && l[i] == ' ')
        i++;
    return i;
}

int pw_edit_insert_rule(const char *name, const char *text, size_t len, const struct policy *p,
                        int dir, size_t before, const struct pw_rule *r, struct pw_edit *out,
                        struct diag *d)
{
    struct ystream ys;
    struct ptext t;
    struct buf b;
    const struct ynode *rules, *it;
    const char *l;
    char first[64], rest[64];
    size_t n, o, at;
    int rc;

    memset(out, 0, sizeof(*out));
    if (is_json(name) || !plain_breaks(text, len))
        return ERR_INVALID;
    rc = load_tree(&ys, name, text, len, d);
    if (rc)
        return rc;
    ptext_init(&t, text, len);
    buf_init(&b, 0);
    rc = ERR_NOTFOUND;
    rules = find_rules(&ys, p, dir);
    if (!rules || !rules->u.seq.n || (before != SIZE_MAX && before >= rules->u.seq.n))
        goto out;
    rc = ERR_INVALID;
    if (char_at(&t, rules->line, rules->col) != '-')
        goto out;
    it = rules->u.seq.items[before == SIZE_MAX ? rules->u.seq.n - 1 : before];
    if (it->kind != YNODE_MAP || char_at(&t, it->line, it->col) == '{')
        goto out;
    l = ptext_line(&t, it->line, &n);
    o = col_off(l, n, it->col);
    if (!dash_prefix(l, o) || o + 1 > sizeof(first))
        goto out;
    memcpy(first, l, o);
    first[o] = 0;
    memset(rest, ' ', o);
    rest[o] = 0;
    if (before != SIZE_MAX) {
        at = it->line;
    } else {
        /* After the last rule: up to the first line indented less than
         * its content, less the blank and comment lines before that line
         * (they belong to what follows). */
        size_t k = it->line + 1, keep = it->line + 1;

        for (; k <= t.nlines; k++) {
            size_t kn, ind;
            const char *kl = ptext_line(&t, k, &kn);

            ind = indent_of(kl, kn);
            if (ind == kn || kl[ind] == '#')
                continue;
            if (ind < o)
                break;
            keep = k + 1;
        }
        at = keep;
    }
    rc = pw_rule_yaml(r, dir, first, rest, &b);
    if (!rc) {
        out->line = at;
        out->ndel = 0;
        out->text = buf_detach(&b, NULL);
    }
out:
    buf_release(&b);
    free(t.starts);
    ystream_release(&ys);
    return rc;
}

int pw_edits_apply(const char *text, size_t len, const struct pw_edit *e, size_t n, struct buf *out)
{
    struct ptext t;
    size_t line, k = 0;
    int rc = 0;

    ptext_init(&t, text, len);
    for (line = 1; line <= t.nlines + 1 && !rc; line++) {
        size_t skip = 0, ln;
        const char *l;

        for (; k < n && e[k].line == line && !rc; k++) {
            rc = buf_addstr(out, e[k].text);
            if (e[k].ndel > skip)
                skip = e[k].ndel;
        }
        if (line > t.nlines)
            break;
        if (skip) {
            line += skip - 1;
            continue;
        }
        l = ptext_line(&t, line, &ln);
        if (!rc)
            rc = buf_add(out, l, ln);
        if (!rc)
            rc = buf_addch(out, '\n');
    }
    free(t.starts);
    return rc;
}

/* Lines of text s (each ending in '\n'). */
static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int add_prefixed(struct buf *out, char c, const char *s)
{
    int rc = 0;

    while (*s && !rc) {
        const char *nl = strchr(s, '\n');
        size_t k = nl ? (size_t)(nl - s) : strlen(s);

        rc = buf_addf(out, "%c%.*s\n", c, (int)k, s);
        s += k + (nl ? 1 : 0);
    }
    return rc;
}

int pw_edits_udiff(const char *a, const char *b, const char *text, size_t len,
                   const struct pw_edit *e, size_t n, struct buf *out)
{
    struct ptext t;
    size_t i = 0, delta_total = 0;
    int rc;

    ptext_init(&t, text, len);
    rc = buf_addf(out, "--- %s\n+++ %s\n", a, b);
    while (i < n && !rc) {
        size_t j = i, lo, hi, ol = 0, nl = 0, line, k;
        long delta = 0;

        /* One hunk: edits whose 3-line contexts touch. */
        while (j + 1 < n && e[j + 1].line <= e[j].line + e[j].ndel + 6)
            j++;
        lo = e[i].line > 3 ? e[i].line - 3 : 1;
        hi = e[j].line + e[j].ndel + 2;
        if (hi > t.nlines)
            hi = t.nlines;
        for (k = i; k <= j; k++)
            delta += (long)count_lines(e[k].text) - (long)e[k].ndel;
        ol = hi >= lo ? hi - lo + 1 : 0;
        nl = (size_t)((long)ol + delta);
        rc = buf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", ol ? lo : lo - 1, ol,
                      nl ? lo + delta_total : lo + delta_total - 1, nl);
        k = i;
        for (line = lo; line <= hi + 1 && !rc; line++) {
            size_t skip = 0, ln;
            const char *l;

            for (; k <= j && e[k].line == line && !rc; k++) {
                size_t d;

                for (d = 0; d < e[k].ndel && !rc; d++) {
                    l = ptext_line(&t, line + d, &ln);
                    rc = buf_addf(out, "-%.*s\n", (int)ln, l);
                }
                if (!rc)
                    rc = add_prefixed(out, '+', e[k].text);
                if (e[k].ndel > skip)
                    skip = e[k].ndel;
            }
            if (line > hi)
                break;
            if (skip) {
                line += skip - 1;
                continue;
            }
            l = ptext_line(&t, line, &ln);
            if (!rc)
                rc = buf_addf(out, " %.*s\n", (int)ln, l);
        }
        delta_total += (size_t)delta;
        i = j + 1;
    }
    free(t.starts);
    return rc;
}
