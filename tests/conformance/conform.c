/*
 * conform.c: replay the NetworkPolicy conformance corpus (np-guard/
 * netpol-analyzer's examples: $PODFLOW_CONFORMANCE, else the repository's
 * sibling ../shared/conformance/netpol from the current directory, as CI
 * lays it out) through `podflow-analyze check`, end to end.
 *
 * For each example of INDEX.tsv:
 *   1. the topology from resources/: one representative pod per workload
 *      (named as the corpus README says: ns/owner[Kind], ns/pod[Pod]),
 *      with its podIP, or a synthetic one from 198.18.0.0/15; workload
 *      objects without pods (Deployment, ...) synthesised into one pod from
 *      their template; namespaces with their labels;
 *   2. the expectation: expected/connlist.txt, or for the diff-only
 *      examples dir1's connlist with expected/diff_vs_<dir1>.txt applied;
 *   3. probes: every ordered pair of distinct workloads x {TCP, UDP, SCTP}
 *      x the ports that matter (every port in any policy +-1, named ports'
 *      values, 1, 65535, three fixed others), and external IPs at every
 *      segment and ipBlock boundary in both directions;
 *   4. a case .db (schema, endpoints, namespaces, one flow per probe), the
 *      analyzer run as a subprocess (check --format json), each verdict
 *      mapped back through flow_id and compared;
 *   5. where explain.txt exists, the deciding policy of each direction
 *      (name, and the Kubernetes rule number mapped from Calico's expanded
 *      rule index); for onlineboutique the per-pod oracle too.
 * A mismatch is a documented difference only for the reasons the corpus
 * README lists and KNOWN_DIFFERENCES.md explains (a hostNetwork pod at
 * either end; an ipBlock peer matching a pod IP); anything else fails.
 * The invalid-* examples must make check exit 2.
 *
 * Usage: conform ANALYZER [EXAMPLE...]   (env PODFLOW_CONFORMANCE, CONFORM_VERBOSE)
 * Exit: 0 all passed (documented differences included), 1 a failure or no
 * corpus (a missing corpus must not pass as "nothing failed").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/db.h"
#include "common/err.h"
#include "common/inventory.h"
#include "common/ipaddr.h"
#include "common/labels.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/ydoc.h"
#include "common/compat.h"

#define NPROTO 3
static const char *const proto_name[NPROTO] = {"TCP", "UDP", "SCTP"};
static const int proto_num[NPROTO] = {6, 17, 132};

/* Ports probed for every pair besides the policies' own: the extremes and
 * three fixed "random" ones (deterministic, so a failure reproduces). */
static const unsigned fixed_ports[] = {1, 2718, 31415, 49999, 65535};

/* Synthetic pod addresses: RFC 2544's benchmarking range, as everywhere in
 * podflow's tests; 198.18.0.1 upwards. */
#define SYNTH_BASE ((198u << 24) | (18u << 16) | 1u)

/* --- port sets ----------------------------------------------------------- */

struct range {
    uint32_t lo, hi;
};

struct connset {
    struct range *r[NPROTO]; /* malloc'd */
    size_t n[NPROTO], a[NPROTO];
};

static void cs_add(struct connset *c, int p, uint32_t lo, uint32_t hi)
{
    ALLOC_GROW(c->r[p], c->n[p] + 1, c->a[p]);
    c->r[p][c->n[p]].lo = lo;
    c->r[p][c->n[p]].hi = hi;
    c->n[p]++;
}

static void cs_all(struct connset *c)
{
    for (int p = 0; p < NPROTO; p++)
        cs_add(c, p, 1, 65535);
}

static int cs_has(const struct connset *c, int p, uint32_t port)
{
    if (!c)
        return 0;
    for (size_t i = 0; i < c->n[p]; i++)
        if (port >= c->r[p][i].lo && port <= c->r[p][i].hi)
            return 1;
    return 0;
}

static void cs_release(struct connset *c)
{
    for (int p = 0; p < NPROTO; p++)
        free(c->r[p]);
    memset(c, 0, sizeof(*c));
}

static struct connset *cs_new(void)
{
    return xcalloc(1, sizeof(struct connset));
}

static void cs_free(struct connset *c)
{
    if (c) {
        cs_release(c);
        free(c);
    }
}

static int proto_index(const char *s, size_t len)
{
    for (int p = 0; p < NPROTO; p++)
        if (strlen(proto_name[p]) == len && !strncmp(s, proto_name[p], len))
            return p;
    return -1;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

/* portspec = N | N "-" M */
static int parse_portspec(const char *s, size_t len, uint32_t *lo, uint32_t *hi)
{
    const char *dash = memchr(s, '-', len);
    uint64_t a, b;

    if (!dash) {
        if (parse_u64(s, len, 1, 65535, &a))
            return -1;
        *lo = *hi = (uint32_t)a;
        return 0;
    }
    if (parse_u64(s, (size_t)(dash - s), 1, 65535, &a) ||
        parse_u64(dash + 1, len - (size_t)(dash - s) - 1, 1, 65535, &b) || b < a)
        return -1;
    *lo = (uint32_t)a;
    *hi = (uint32_t)b;
    return 0;
}

/*
 * connlist conns:  "All Connections" | "No Connections"
 *                | PROTO portspec ("," portspec)* ("," PROTO portspec ...)*
 */
static int parse_conns(const char *text, struct connset *c)
{
    char *dup = xstrdup(text), *s = trim(dup), *tok;
    int p = -1, ret = 0;

    if (!strcmp(s, "All Connections")) {
        cs_all(c);
        goto out;
    }
    if (!strcmp(s, "No Connections"))
        goto out;
    tok = s;
    while (tok && *tok) {
        char *comma = strchr(tok, ','), *t;
        char *sp;
        uint32_t lo, hi;

        if (comma)
            *comma = 0;
        t = trim(tok);
        sp = strchr(t, ' ');
        if (sp) {
            p = proto_index(t, (size_t)(sp - t));
            t = trim(sp + 1);
        }
        if (p < 0 || parse_portspec(t, strlen(t), &lo, &hi)) {
            ret = -1;
            goto out;
        }
        cs_add(c, p, lo, hi);
        tok = comma ? comma + 1 : NULL;
    }
out:
    free(dup);
    return ret;
}

/*
 * explain port sets:  item (", " item)*
 *   item = PROTO | PROTO ":[" portspec ("," portspec)* "]"
 */
static int parse_explain_set(const char *text, struct connset *c)
{
    const char *s = text;

    while (*s) {
        const char *e = s;
        int p;

        while (*e && *e != ':' && *e != ',' && *e != ' ')
            e++;
        p = proto_index(s, (size_t)(e - s));
        if (p < 0)
            return -1;
        if (*e == ':' && e[1] == '[') {
            const char *q = e + 2, *end = strchr(q, ']');

            if (!end)
                return -1;
            while (q < end) {
                const char *c2 = memchr(q, ',', (size_t)(end - q));
                uint32_t lo, hi;

                if (!c2)
                    c2 = end;
                if (parse_portspec(q, (size_t)(c2 - q), &lo, &hi))
                    return -1;
                cs_add(c, p, lo, hi);
                q = c2 + 1;
            }
            e = end + 1;
        } else {
            cs_add(c, p, 1, 65535);
        }
        while (*e == ',' || *e == ' ')
            e++;
        s = e;
    }
    return 0;
}

/* --- the topology -------------------------------------------------------- */

struct wl {
    char *id;               /* ns/name[Kind], malloc'd */
    char *ns;               /* malloc'd */
    char *pod;              /* the representative pod's name (or the workload's), malloc'd */
    struct labels labels;   /* owned */
    struct inv_port *ports; /* malloc'd; names malloc'd */
    size_t nports;
    uint32_t ip;   /* IPv4, host order */
    uint32_t ip_b; /* the same for the pod-model replay (unique, hostNetwork pods too) */
    int hostnet;   /* spec.hostNetwork: a host endpoint for Calico */
    int synthetic; /* ip from 198.18.0.0/15 */
};

struct kpeer {
    int ipblock;
    struct cidr cidr;
    struct cidr ex[16];
    size_t nex;
};

struct krule {
    size_t ngroups, npeers;
    struct kpeer *peers; /* malloc'd */
};

struct kpol {
    char *id;               /* ns/name, malloc'd */
    struct krule *rules[2]; /* 0 ingress, 1 egress; malloc'd */
    size_t nrules[2];
};

struct extexp {
    uint32_t lo, hi;
    int wl;
    int out; /* 1: wl => segment, 0: segment => wl */
    struct connset *cs;
};

struct xdir {
    int sysdefault; /* "... due to the system default" */
    int allowed;
    char **pol; /* policies named, malloc'd */
    int *rule;  /* their rule numbers (1-based), 0 when none given */
    size_t n, a;
};

struct xsect {
    int from, to; /* workloads, or -1 for the external segment lo..hi */
    uint32_t lo, hi;
    int allowed; /* an "Allowed" section, else "Denied" */
    struct connset cs;
    struct xdir dir[2]; /* 0 ingress, 1 egress */
};

struct probe {
    int s, d; /* workloads, or -1 for the external address ext */
    uint32_t ext;
    uint8_t p; /* protocol index */
    uint16_t port;
    uint8_t expect;    /* 1 allowed */
    uint8_t got;       /* 1 allowed, 2 deny, 0 no answer */
    uint8_t expect_pp; /* pod-pair oracle: 0 none, 1 allow, 2 deny */
    uint8_t cls;       /* enum cls of the Calico replay */
    uint8_t got_b;     /* the verdict of the pod-model replay, as got */
};

enum cls { C_PASS, C_HOSTNET, C_IPBLOCK, C_FAIL, C_N };
static const char *const cls_name[C_N] = {"pass", "hostNetwork", "ipBlock-pod", "fail"};

struct ex {
    const char *name, *tier, *dir;
    struct inventory inv;
    struct wl *w;
    size_t nw, aw;
    struct kpol *pols;
    size_t npols, apols;
    uint32_t *ports; /* probe ports, sorted unique */
    size_t nports, aports;
    char **named; /* named ports in policies, malloc'd */
    size_t nnamed, anamed;
    uint32_t *bounds; /* ipBlock boundaries (IPv4, host order) */
    size_t nbounds, abounds;
    struct connset **m; /* nw*nw expectation matrix, NULL = nothing allowed */
    struct extexp *ext;
    size_t next, aext;
    struct xsect *xs;
    size_t nxs, axs;
    struct probe *pr;
    size_t npr, apr;
    size_t cls[C_N];
    size_t x_compared, x_mismatch, pp_compared, pp_mismatch;
    struct evalrow {
        int s, d, p;
        uint32_t port;
        int allowed;
    } * ev; /* eval.tsv rows, malloc'd */
    size_t nev, aev, ev_mismatch;
    size_t unknown_names; /* golden lines naming a workload not in resources/ */
    int verbose;
    int pass_b; /* replaying hostNetwork pods as ordinary pods */
    size_t b_confirmed, b_ipblock, b_failed;
    unsigned shown;
    char tmp[256];
};

static void note(struct ex *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void note(struct ex *e, const char *fmt, ...)
{
    va_list ap;

    if (!e->verbose && e->shown >= 12)
        return;
    e->shown++;
    va_start(ap, fmt);
    printf("    %s: ", e->name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int wl_find(const struct ex *e, const char *id)
{
    for (size_t i = 0; i < e->nw; i++)
        if (!strcmp(e->w[i].id, id))
            return (int)i;
    return -1;
}

static int is_workload_kind(const char *k)
{
    static const char *const kinds[] = {
        "Deployment", "StatefulSet",           "DaemonSet", "ReplicaSet", "Job",
        "CronJob",    "ReplicationController", NULL};

    for (size_t i = 0; kinds[i]; i++)
        if (!strcmp(k, kinds[i]))
            return 1;
    return 0;
}

static struct wl *wl_add(struct ex *e, const char *ns, const char *name, const char *kind)
{
    struct buf b;
    struct wl *w;

    buf_init(&b, 0);
    if (buf_addf(&b, "%s/%s[%s]", ns, name, kind))
        abort();
    if (wl_find(e, b.data) >= 0) {
        buf_release(&b);
        return NULL;
    }
    ALLOC_GROW(e->w, e->nw + 1, e->aw);
    w = &e->w[e->nw++];
    memset(w, 0, sizeof(*w));
    w->id = buf_detach(&b, NULL);
    w->ns = xstrdup(ns);
    labels_init(&w->labels);
    return w;
}

static const char *scalar(const struct ynode *n)
{
    return n && n->kind == YNODE_SCALAR ? n->u.scalar.s : NULL;
}

static void add_port(struct ex *e, int64_t p)
{
    if (p < 1 || p > 65535)
        return;
    for (size_t i = 0; i < e->nports; i++)
        if (e->ports[i] == (uint32_t)p)
            return;
    ALLOC_GROW(e->ports, e->nports + 1, e->aports);
    e->ports[e->nports++] = (uint32_t)p;
}

static void add_port3(struct ex *e, int64_t p)
{
    add_port(e, p - 1);
    add_port(e, p);
    add_port(e, p + 1);
}

static void add_bound(struct ex *e, uint32_t ip)
{
    ALLOC_GROW(e->bounds, e->nbounds + 1, e->abounds);
    e->bounds[e->nbounds++] = ip;
}

static uint32_t ip4(const struct ipaddr *a)
{
    return ((uint32_t)a->a[0] << 24) | ((uint32_t)a->a[1] << 16) | ((uint32_t)a->a[2] << 8) |
           a->a[3];
}

static void cidr_bounds(struct ex *e, const struct cidr *c)
{
    uint32_t lo, hi;

    if (c->addr.family != 4)
        return;
    lo = ip4(&c->addr);
    hi = c->plen == 0 ? 0xffffffffu : lo | (0xffffffffu >> c->plen);
    add_bound(e, lo);
    add_bound(e, hi);
    if (lo > 0)
        add_bound(e, lo - 1);
    if (hi < 0xffffffffu)
        add_bound(e, hi + 1);
}

static int get_cidr(const struct ynode *n, struct cidr *c)
{
    const char *s = scalar(n);

    return s ? cidr_parse(s, strlen(s), c, NULL) : -1;
}

/* A workload object (Deployment, ...) synthesised into one pod. */
static void load_workload(struct ex *e, const struct ynode *obj, const char *kind)
{
    const struct ynode *md = ynode_get(obj, "metadata"), *spec = ynode_get(obj, "spec"), *tpl,
                       *labels, *cs;
    const char *ns = scalar(ynode_get(md, "namespace")), *name = scalar(ynode_get(md, "name"));
    struct wl *w;
    size_t alloc = 0;

    if (!name)
        return;
    if (!ns || !*ns)
        ns = "default";
    if (!strcmp(kind, "CronJob"))
        spec = ynode_get(ynode_get(spec, "jobTemplate"), "spec");
    tpl = ynode_get(spec, "template");
    w = wl_add(e, ns, name, kind);
    if (!w)
        return;
    w->pod = xstrdup(name);
    labels = ynode_get(ynode_get(tpl, "metadata"), "labels");
    if (labels && labels->kind == YNODE_MAP)
        for (size_t i = 0; i < labels->u.map.n; i++) {
            const char *v = scalar(labels->u.map.pairs[i].value);

            if (v && labels_set(&w->labels, labels->u.map.pairs[i].key->u.scalar.s, v))
                abort();
        }
    cs = ynode_get(ynode_get(tpl, "spec"), "containers");
    if (cs && cs->kind == YNODE_SEQ)
        for (size_t i = 0; i < cs->u.seq.n; i++) {
            const struct ynode *ps = ynode_get(cs->u.seq.items[i], "ports");

            if (!ps || ps->kind != YNODE_SEQ)
                continue;
            for (size_t j = 0; j < ps->u.seq.n; j++) {
                const struct ynode *p = ps->u.seq.items[j];
                const char *num = scalar(ynode_get(p, "containerPort"));
                const char *pn = scalar(ynode_get(p, "name"));
                const char *pr = scalar(ynode_get(p, "protocol"));
                uint64_t v;
                struct inv_port *ip;

                if (!num || parse_u64(num, strlen(num), 1, 65535, &v))
                    continue;
                ALLOC_GROW(w->ports, w->nports + 1, alloc);
                ip = &w->ports[w->nports++];
                memset(ip, 0, sizeof(*ip));
                ip->name = pn ? xstrdup(pn) : NULL;
                ip->port = (uint16_t)v;
                ip->proto = pr ? inventory_proto(pr) : 6;
            }
        }
}

/* A Kubernetes NetworkPolicy: the ports it names, its ipBlock boundaries,
 * and the shape of its rules (to map Calico's expanded rule index back). */
static void load_netpol(struct ex *e, const struct ynode *obj)
{
    static const char *const dirs[2] = {"ingress", "egress"};
    static const char *const peerkey[2] = {"from", "to"};
    const struct ynode *md = ynode_get(obj, "metadata"), *spec = ynode_get(obj, "spec");
    const char *ns = scalar(ynode_get(md, "namespace")), *name = scalar(ynode_get(md, "name"));
    struct kpol *kp;
    struct buf b;

    if (!name)
        return;
    if (!ns || !*ns)
        ns = "default";
    ALLOC_GROW(e->pols, e->npols + 1, e->apols);
    kp = &e->pols[e->npols++];
    memset(kp, 0, sizeof(*kp));
    buf_init(&b, 0);
    if (buf_addf(&b, "%s/%s", ns, name))
        abort();
    kp->id = buf_detach(&b, NULL);
    for (int d = 0; d < 2; d++) {
        const struct ynode *rules = ynode_get(spec, dirs[d]);

        if (!rules || rules->kind != YNODE_SEQ)
            continue;
        kp->rules[d] = xcalloc(rules->u.seq.n ? rules->u.seq.n : 1, sizeof(struct krule));
        kp->nrules[d] = rules->u.seq.n;
        for (size_t i = 0; i < rules->u.seq.n; i++) {
            const struct ynode *r = rules->u.seq.items[i];
            const struct ynode *ports = ynode_get(r, "ports"), *peers = ynode_get(r, peerkey[d]);
            struct krule *kr = &kp->rules[d][i];
            int seen[NPROTO] = {0};

            if (ports && ports->kind == YNODE_SEQ)
                for (size_t j = 0; j < ports->u.seq.n; j++) {
                    const struct ynode *p = ports->u.seq.items[j];
                    const struct ynode *pn = ynode_get(p, "port");
                    const char *pr = scalar(ynode_get(p, "protocol"));
                    const char *ps = scalar(pn), *ep = scalar(ynode_get(p, "endPort"));
                    int pi = pr ? proto_index(pr, strlen(pr)) : 0;
                    uint64_t v;

                    if (pi >= 0 && !seen[pi]) {
                        seen[pi] = 1;
                        kr->ngroups++;
                    }
                    if (ps && !parse_u64(ps, strlen(ps), 1, 65535, &v))
                        add_port3(e, (int64_t)v);
                    else if (ps) {
                        ALLOC_GROW(e->named, e->nnamed + 1, e->anamed);
                        e->named[e->nnamed++] = xstrdup(ps);
                    }
                    if (ep && !parse_u64(ep, strlen(ep), 1, 65535, &v))
                        add_port3(e, (int64_t)v);
                }
            if (peers && peers->kind == YNODE_SEQ && peers->u.seq.n) {
                kr->npeers = peers->u.seq.n;
                kr->peers = xcalloc(kr->npeers, sizeof(*kr->peers));
                for (size_t j = 0; j < kr->npeers; j++) {
                    const struct ynode *ib = ynode_get(peers->u.seq.items[j], "ipBlock");
                    const struct ynode *ex = ynode_get(ib, "except");
                    struct kpeer *kpe = &kr->peers[j];

                    if (!ib || get_cidr(ynode_get(ib, "cidr"), &kpe->cidr))
                        continue;
                    kpe->ipblock = 1;
                    cidr_bounds(e, &kpe->cidr);
                    if (ex && ex->kind == YNODE_SEQ)
                        for (size_t k = 0; k < ex->u.seq.n && kpe->nex < 16; k++)
                            if (!get_cidr(ex->u.seq.items[k], &kpe->ex[kpe->nex]))
                                cidr_bounds(e, &kpe->ex[kpe->nex++]);
                }
            }
        }
    }
}

static int each_obj(void *ctx, const struct ystream *ys, const struct ynode *obj, int in_list)
{
    struct ex *e = ctx;
    const char *kind = scalar(ynode_get(obj, "kind"));

    (void)ys;
    (void)in_list;
    if (!obj || !kind)
        return 0;
    if (is_workload_kind(kind))
        load_workload(e, obj, kind);
    else if (!strcmp(kind, "NetworkPolicy"))
        load_netpol(e, obj);
    return 0;
}

static int is_input(const char *n)
{
    size_t l = strlen(n);

    return (l > 5 && !strcmp(n + l - 5, ".yaml")) || (l > 4 && !strcmp(n + l - 4, ".yml")) ||
           (l > 5 && !strcmp(n + l - 5, ".json"));
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.yaml, *.yml, *.json under dir, recursively, in name order. */
static int load_dir(struct ex *e, const char *dir, struct diag *d)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, a = 0;
    int ret = 0;

    if (!dh) {
        printf("    cannot open '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        ALLOC_GROW(names, n + 1, a);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        struct buf p;
        struct stat st;

        buf_init(&p, 0);
        if (buf_addf(&p, "%s/%s", dir, names[i]))
            abort();
        if (stat(p.data, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (load_dir(e, p.data, d))
                ret = -1;
        } else if (is_input(names[i])) {
            if (inventory_load_file(&e->inv, p.data, d) ||
                ystream_each_file(p.data, each_obj, e, d))
                ret = -1;
        }
        buf_release(&p);
        free(names[i]);
    }
    free(names);
    return ret;
}

/* The pods of the inventory, one per workload, named as netpol-analyzer
 * names them (README "How workloads are named"). */
static void add_pods(struct ex *e)
{
    for (size_t i = 0; i < e->inv.npods; i++) {
        const struct inv_pod *p = &e->inv.pods[i];
        const char *name = p->name, *kind = "Pod";
        struct wl *w;

        if (p->owner_name && !p->owner_kind) {
            name = p->owner_name; /* an owner without a kind: ns/owner[Pod] */
        } else if (p->owner_name && is_workload_kind(p->owner_kind)) {
            name = p->owner_name;
            kind = p->owner_kind;
        }
        w = wl_add(e, p->ns, name, kind);
        if (!w)
            continue; /* a further replica */
        w->pod = xstrdup(p->name);
        labels_copy(&w->labels, &p->labels);
        w->hostnet = p->host_network;
        for (size_t j = 0; j < p->nips; j++)
            if (p->ips[j].family == 4) {
                w->ip = ip4(&p->ips[j]);
                break;
            }
        if (p->nports) {
            w->ports = xcalloc(p->nports, sizeof(*w->ports));
            w->nports = p->nports;
            for (size_t j = 0; j < p->nports; j++) {
                w->ports[j] = p->ports[j];
                w->ports[j].name = p->ports[j].name ? xstrdup(p->ports[j].name) : NULL;
                w->ports[j].target_name = NULL;
            }
        }
    }
}

static int wl_cmp(const void *a, const void *b)
{
    return strcmp(((const struct wl *)a)->id, ((const struct wl *)b)->id);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Addresses: the podIP unless another (non-host) workload holds it, else a
 * synthetic one.  Host-network pods share their node's address; Calico sees
 * them as the host, so they keep it. */
static void assign_ips(struct ex *e)
{
    uint32_t next = SYNTH_BASE;

    qsort(e->w, e->nw, sizeof(*e->w), wl_cmp);
    for (size_t i = 0; i < e->nw; i++) {
        struct wl *w = &e->w[i];
        int clash = 0;

        for (size_t j = 0; j < i && w->ip && !w->hostnet; j++)
            if (e->w[j].ip == w->ip)
                clash = 1;
        if (!w->ip || clash) {
            w->ip = next++;
            w->synthetic = 1;
        }
    }
    /* the pod-model replay: every workload an ordinary pod with an
     * address of its own.  Host-network pods share their node's; the
     * second and later get one 256 * k further on, so that they stay in
     * the same ipBlock segments as their node address (10.186.164.166 ->
     * 10.186.165.166), rather than moving into 198.18.0.0/15. */
    for (size_t i = 0; i < e->nw; i++) {
        struct wl *w = &e->w[i];
        int used = 1;

        w->ip_b = w->ip;
        for (uint32_t k = 0; used && k < 4096; k++) {
            w->ip_b = w->ip + 256u * k;
            used = 0;
            for (size_t j = 0; j < e->nw && !used; j++)
                used = (j < i && e->w[j].ip_b == w->ip_b) || (k && e->w[j].ip == w->ip_b);
        }
        if (used)
            w->ip_b = next++;
    }
    /* named ports' values, then the fixed ones */
    for (size_t k = 0; k < e->nnamed; k++)
        for (size_t i = 0; i < e->nw; i++)
            for (size_t j = 0; j < e->w[i].nports; j++)
                if (e->w[i].ports[j].name && !strcmp(e->w[i].ports[j].name, e->named[k]))
                    add_port3(e, e->w[i].ports[j].port);
    for (size_t i = 0; i < sizeof(fixed_ports) / sizeof(fixed_ports[0]); i++)
        add_port(e, fixed_ports[i]);
    qsort(e->ports, e->nports, sizeof(*e->ports), u32_cmp);
}

/* --- golden files ---------------------------------------------------------- */

/* "A.B.C.D-E.F.G.H[External]" */
static int parse_ext(const char *s, uint32_t *lo, uint32_t *hi)
{
    const char *dash = strchr(s, '-'), *br = strstr(s, "[External]");
    struct ipaddr a, b;

    if (!dash || !br || br < dash || ipaddr_parse(s, (size_t)(dash - s), &a) ||
        ipaddr_parse(dash + 1, (size_t)(br - dash - 1), &b) || a.family != 4 || b.family != 4)
        return -1;
    *lo = ip4(&a);
    *hi = ip4(&b);
    return 0;
}

/* Set the expectation for src => dst (NULL cs: nothing allowed).  cs is
 * taken.  Returns 0, or 1 when the line is skipped ({ingress-controller}),
 * -1 when an endpoint is unknown or malformed. */
static int set_expect(struct ex *e, const char *src, const char *dst, struct connset *cs)
{
    uint32_t lo, hi;
    int s, d;

    if (strstr(src, "{ingress-controller}") || strstr(dst, "{ingress-controller}")) {
        cs_free(cs);
        return 1;
    }
    if (strstr(src, "[External]") || strstr(dst, "[External]")) {
        int out = strstr(dst, "[External]") != NULL;
        int w = wl_find(e, out ? src : dst);
        struct extexp *x;

        if (w < 0 || parse_ext(out ? dst : src, &lo, &hi)) {
            cs_free(cs);
            e->unknown_names++;
            note(e, "golden line names unknown '%s => %s'", src, dst);
            return -1;
        }
        ALLOC_GROW(e->ext, e->next + 1, e->aext);
        x = &e->ext[e->next++];
        x->lo = lo;
        x->hi = hi;
        x->wl = w;
        x->out = out;
        x->cs = cs;
        return 0;
    }
    s = wl_find(e, src);
    d = wl_find(e, dst);
    if (s < 0 || d < 0) {
        cs_free(cs);
        e->unknown_names++;
        note(e, "golden line names unknown workload '%s => %s'", src, dst);
        return -1;
    }
    cs_free(e->m[(size_t)s * e->nw + (size_t)d]);
    e->m[(size_t)s * e->nw + (size_t)d] = cs;
    return 0;
}

/* connlist.txt:  src " => " dst " : " conns   (see the corpus README) */
static int load_connlist(struct ex *e, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int ret = 0;

    if (!f) {
        note(e, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    while (getline(&line, &cap, f) > 0) {
        char *s = trim(line), *arrow, *colon;
        struct connset *cs;

        if (!*s || *s == '#')
            continue;
        arrow = strstr(s, " => ");
        colon = arrow ? strstr(arrow, " : ") : NULL;
        if (!colon) {
            note(e, "'%s': cannot read line '%s'", path, s);
            ret = -1;
            continue;
        }
        *arrow = 0;
        *colon = 0;
        cs = cs_new();
        if (parse_conns(colon + 3, cs)) {
            note(e, "'%s': cannot read conns '%s'", path, colon + 3);
            cs_free(cs);
            ret = -1;
            continue;
        }
        if (set_expect(e, trim(s), trim(arrow + 4), cs) < 0)
            ret = -1;
    }
    free(line);
    fclose(f);
    return ret;
}

static char *field(char *s, const char *key, const char *next)
{
    char *p = strstr(s, key), *q;

    if (!p)
        return NULL;
    p += strlen(key);
    q = next ? strstr(p, next) : NULL;
    if (q)
        *q = 0;
    return trim(p);
}

/*
 * diff_vs_<dir1>.txt: "diff-type: T, source: S, destination: D, ref1: X,
 * ref2: Y[, workloads-diff-info: ...]"; ref2 is this example's conns.
 */
static int load_diff(struct ex *e, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int ret = 0;

    if (!f) {
        note(e, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    while (getline(&line, &cap, f) > 0) {
        char *s = trim(line), *src, *dst, *ref2, *wdi;
        struct connset *cs;

        if (strncmp(s, "diff-type:", 10))
            continue;
        wdi = strstr(s, ", workloads-diff-info:");
        if (wdi)
            *wdi = 0;
        ref2 = strstr(s, ", ref2: ");
        if (!ref2) {
            ret = -1;
            continue;
        }
        *ref2 = 0;
        ref2 = trim(ref2 + 8);
        src = field(s, "source: ", ", destination: ");
        dst = src ? field(src + strlen(src) + 1, "destination: ", ", ref1: ") : NULL;
        if (!src || !dst) {
            note(e, "'%s': cannot read '%s'", path, s);
            ret = -1;
            continue;
        }
        cs = cs_new();
        if (parse_conns(ref2, cs)) {
            note(e, "'%s': cannot read conns '%s'", path, ref2);
            cs_free(cs);
            ret = -1;
            continue;
        }
        if (set_expect(e, src, dst, cs) < 0)
            ret = -1;
    }
    free(line);
    fclose(f);
    return ret;
}

static void xdir_add(struct xdir *x, const char *pol, int rule)
{
    ALLOC_GROW(x->pol, x->n + 1, x->a);
    x->rule = xreallocarray(x->rule, x->a, sizeof(*x->rule));
    x->pol[x->n] = xstrdup(pol);
    x->rule[x->n] = rule;
    x->n++;
}

/*
 * explain.txt blocks:
 *   "Connections between S => D:"
 *   ("Allowed connections:" | "Denied connections:")
 *   TAB ("Allowed" | "Denied") SET " due to the following policies and rules:"
 *   TAB TAB ("Egress" | "Ingress") " (" ("Allowed" | "Denied") ")"
 *           [" due to the system default (Allow all)"]
 *   TAB TAB TAB ["- "] "NetworkPolicy 'ns/name' "
 *           ("allows connections by Egress rule #k" | "selects ...")
 * S and D are workloads or external segments.
 */
static int load_explain(struct ex *e, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int from = -1, to = -1, dir = -1, valid = 0;
    uint32_t lo = 0, hi = 0;
    struct xsect *cur = NULL;

    if (!f)
        return -1;
    while (getline(&line, &cap, f) > 0) {
        char *s = trim(line), *q;

        if (!strncmp(s, "Connections between ", 20)) {
            char *arrow = strstr(s, " => ");
            size_t l = strlen(s);

            cur = NULL;
            from = to = -1;
            valid = 0;
            if (!arrow || l < 2 || s[l - 1] != ':')
                continue;
            s[l - 1] = 0;
            *arrow = 0;
            from = wl_find(e, s + 20);
            to = wl_find(e, arrow + 4);
            if (from >= 0 && to >= 0)
                valid = 1;
            else if (from >= 0 && !parse_ext(arrow + 4, &lo, &hi))
                valid = 1;
            else if (to >= 0 && !parse_ext(s + 20, &lo, &hi))
                valid = 1;
            continue;
        }
        if (!valid)
            continue;
        if ((!strncmp(s, "Allowed ", 8) || !strncmp(s, "Denied ", 7)) &&
            strstr(s, " due to the following")) {
            int allowed = s[0] == 'A';
            char *set = s + (allowed ? 8 : 7), *end = strstr(set, " due to the following");

            *end = 0;
            ALLOC_GROW(e->xs, e->nxs + 1, e->axs);
            cur = &e->xs[e->nxs++];
            memset(cur, 0, sizeof(*cur));
            cur->from = from;
            cur->to = to;
            cur->lo = lo;
            cur->hi = hi;
            cur->allowed = allowed;
            if (parse_explain_set(set, &cur->cs)) {
                note(e, "'%s': cannot read port set '%s'", path, set);
                e->nxs--;
                cs_release(&cur->cs);
                cur = NULL;
            }
            dir = -1;
            continue;
        }
        if (!cur)
            continue;
        if (!strncmp(s, "Egress (", 8) || !strncmp(s, "Ingress (", 9)) {
            dir = s[0] == 'E';
            cur->dir[dir].allowed = strstr(s, "(Allowed)") != NULL;
            cur->dir[dir].sysdefault = strstr(s, "system default") != NULL;
            continue;
        }
        if (dir < 0)
            continue;
        if (!strncmp(s, "- ", 2))
            s += 2;
        if (!strncmp(s, "NetworkPolicy '", 15) && (q = strchr(s + 15, '\''))) {
            char *r = strstr(q, " rule #");
            int rule = 0;
            uint64_t v;

            *q = 0;
            if (r && strstr(q + 1, "allows connections") &&
                !parse_u64(r + 7, strlen(r + 7), 1, 100000, &v))
                rule = (int)v;
            xdir_add(&cur->dir[dir], s + 15, rule);
        }
    }
    free(line);
    fclose(f);
    return 0;
}

/* pod_pairs_all_connections.txt: "src: ns/pod, dest: ns/pod, allowed conns: X" */
static int load_pod_pairs(struct ex *e, const char *path, struct connset ***pp)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;

    if (!f)
        return -1;
    *pp = xcalloc(e->nw * e->nw, sizeof(**pp));
    while (getline(&line, &cap, f) > 0) {
        char *s = trim(line), *src, *dst, *conns;
        int a = -1, b = -1;

        conns = strstr(s, ", allowed conns: ");
        if (!conns)
            continue;
        *conns = 0;
        conns += 17;
        src = field(s, "src: ", ", dest: ");
        dst = src ? field(src + strlen(src) + 1, "dest: ", NULL) : NULL;
        if (!src || !dst)
            continue;
        for (size_t i = 0; i < e->nw; i++) {
            char full[512];

            snprintf(full, sizeof(full), "%s/%s", e->w[i].ns, e->w[i].pod ? e->w[i].pod : "");
            if (!strcmp(full, src))
                a = (int)i;
            if (!strcmp(full, dst))
                b = (int)i;
        }
        if (a < 0 || b < 0 || a == b)
            continue; /* a further replica, or a self pair (not probed) */
        (*pp)[(size_t)a * e->nw + (size_t)b] = cs_new();
        if (parse_conns(conns, (*pp)[(size_t)a * e->nw + (size_t)b]))
            note(e, "'%s': cannot read conns '%s'", path, conns);
    }
    free(line);
    fclose(f);
    return 0;
}

/* eval.tsv: src_namespace, src_owner_or_pod, dst_namespace, dst_owner_or_pod,
 * protocol, port, allowed, upstream_test (tab-separated, one header row).
 * Names are pod names or owner names; each row's port joins the probes. */
static int load_eval(struct ex *e, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int ret = 0;

    if (!f)
        return -1;
    while (getline(&line, &cap, f) > 0) {
        char *col[8], *q = trim(line);
        int n = 0, end[2] = {-1, -1};
        uint64_t port;

        for (; n < 8 && q; n++) {
            col[n] = q;
            q = strchr(q, '\t');
            if (q)
                *q++ = 0;
        }
        if (n < 7 || !strcmp(col[0], "src_namespace"))
            continue;
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; i < e->nw; i++) {
                const char *nm = strchr(e->w[i].id, '/') + 1;
                size_t l = strlen(col[2 * k + 1]);

                if (!strcmp(e->w[i].ns, col[2 * k]) &&
                    ((e->w[i].pod && !strcmp(e->w[i].pod, col[2 * k + 1])) ||
                     (!strncmp(nm, col[2 * k + 1], l) && nm[l] == '[')))
                    end[k] = (int)i;
            }
        for (char *c = col[4]; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        if (end[0] < 0 || end[1] < 0 || proto_index(col[4], strlen(col[4])) < 0 ||
            parse_u64(col[5], strlen(col[5]), 1, 65535, &port)) {
            note(e, "'%s': cannot use row '%s %s %s %s'", path, col[1], col[3], col[4], col[5]);
            ret = -1;
            continue;
        }
        ALLOC_GROW(e->ev, e->nev + 1, e->aev);
        e->ev[e->nev].s = end[0];
        e->ev[e->nev].d = end[1];
        e->ev[e->nev].p = proto_index(col[4], strlen(col[4]));
        e->ev[e->nev].port = (uint32_t)port;
        e->ev[e->nev].allowed = !strcmp(col[6], "true");
        e->nev++;
        add_port(e, (int64_t)port);
    }
    qsort(e->ports, e->nports, sizeof(*e->ports), u32_cmp);
    free(line);
    fclose(f);
    return ret;
}

static void compare_eval(struct ex *e)
{
    for (size_t k = 0; k < e->nev; k++) {
        const struct evalrow *r = &e->ev[k];
        int found = 0;

        for (size_t i = 0; i < e->npr && !found; i++) {
            const struct probe *p = &e->pr[i];

            if (p->s != r->s || p->d != r->d || p->p != r->p || p->port != r->port)
                continue;
            found = 1;
            if ((p->got == 1) != r->allowed) {
                e->ev_mismatch++;
                note(e, "eval.tsv row %zu: expected %s, check says %s", k + 1,
                     r->allowed ? "allow" : "deny", p->got == 1 ? "allow" : "deny");
            }
        }
        if (!found) {
            e->ev_mismatch++;
            note(e, "eval.tsv row %zu: no probe", k + 1);
        }
    }
}

/* --- probes ---------------------------------------------------------------- */

static int ext_expect(const struct ex *e, uint32_t ip, int w, int out, int p, uint32_t port)
{
    const struct extexp *hit = NULL;

    for (size_t i = 0; i < e->next; i++)
        if (e->ext[i].wl == w && e->ext[i].out == out && ip >= e->ext[i].lo && ip <= e->ext[i].hi)
            hit = &e->ext[i];
    return hit ? cs_has(hit->cs, p, port) : 0;
}

static void probe_add(struct ex *e, int s, int d, uint32_t ext, int p, uint32_t port, int expect)
{
    struct probe *pr;

    ALLOC_GROW(e->pr, e->npr + 1, e->apr);
    pr = &e->pr[e->npr++];
    memset(pr, 0, sizeof(*pr));
    pr->s = s;
    pr->d = d;
    pr->ext = ext;
    pr->p = (uint8_t)p;
    pr->port = (uint16_t)port;
    pr->expect = (uint8_t)expect;
}

static int is_pod_ip(const struct ex *e, uint32_t ip)
{
    for (size_t i = 0; i < e->nw; i++)
        if (e->w[i].ip == ip || e->w[i].ip_b == ip)
            return 1;
    for (size_t i = 0; i < e->inv.npods; i++)
        for (size_t j = 0; j < e->inv.pods[i].nips; j++)
            if (e->inv.pods[i].ips[j].family == 4 && ip4(&e->inv.pods[i].ips[j]) == ip)
                return 1;
    return 0;
}

static void make_probes(struct ex *e, struct connset **pp)
{
    uint32_t fixed_ext[] = {(8u << 24) | (8u << 16) | (8u << 8) | 8u,
                            (203u << 24) | (113u << 8) | 7u};

    for (size_t s = 0; s < e->nw; s++)
        for (size_t d = 0; d < e->nw; d++) {
            const struct connset *cs = e->m[s * e->nw + d];

            if (s == d)
                continue;
            for (int p = 0; p < NPROTO; p++)
                for (size_t k = 0; k < e->nports; k++) {
                    probe_add(e, (int)s, (int)d, 0, p, e->ports[k], cs_has(cs, p, e->ports[k]));
                    if (pp)
                        e->pr[e->npr - 1].expect_pp =
                            pp[s * e->nw + d] && cs_has(pp[s * e->nw + d], p, e->ports[k]) ? 1 : 2;
                }
        }
    /* external addresses: every segment's ends, every ipBlock boundary +-1,
     * two ordinary public addresses; never a pod's address */
    for (size_t i = 0; i < e->next; i++) {
        add_bound(e, e->ext[i].lo);
        add_bound(e, e->ext[i].hi);
    }
    for (size_t i = 0; i < sizeof(fixed_ext) / sizeof(fixed_ext[0]); i++)
        add_bound(e, fixed_ext[i]);
    qsort(e->bounds, e->nbounds, sizeof(*e->bounds), u32_cmp);
    for (size_t i = 0; i < e->nbounds; i++) {
        uint32_t ip = e->bounds[i];

        if ((i && ip == e->bounds[i - 1]) || ip == 0 || ip == 0xffffffffu || is_pod_ip(e, ip))
            continue;
        for (size_t w = 0; w < e->nw; w++)
            for (int p = 0; p < NPROTO; p++)
                for (size_t k = 0; k < e->nports; k++) {
                    probe_add(e, -1, (int)w, ip, p, e->ports[k],
                              ext_expect(e, ip, (int)w, 0, p, e->ports[k]));
                    probe_add(e, (int)w, -1, ip, p, e->ports[k],
                              ext_expect(e, ip, (int)w, 1, p, e->ports[k]));
                }
    }
}

/* --- the case file ----------------------------------------------------------- */

static void fmt_ip(uint32_t ip, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static int ports_json(const struct wl *w, struct buf *b)
{
    int rc = buf_addch(b, '[');

    for (size_t i = 0; i < w->nports && !rc; i++) {
        const char *pn = w->ports[i].proto == 17    ? "UDP"
                         : w->ports[i].proto == 132 ? "SCTP"
                                                    : "TCP";

        if (i)
            rc = buf_addch(b, ',');
        if (!rc && w->ports[i].name)
            rc = buf_addf(b, "{\"name\":\"%s\",\"port\":%u,\"protocol\":\"%s\"}", w->ports[i].name,
                          w->ports[i].port, pn);
        else if (!rc)
            rc = buf_addf(b, "{\"name\":null,\"port\":%u,\"protocol\":\"%s\"}", w->ports[i].port,
                          pn);
    }
    return rc ? rc : buf_addch(b, ']');
}

static int sq(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        printf("    sqlite: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int write_case(struct ex *e, const char *path, int with_flows, struct diag *d)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    struct buf b;
    char ipb[32];
    int ret = -1;

    unlink(path);
    if (db_open_writer(path, d, &db))
        return -1;
    buf_init(&b, 0);
    if (db_exec(db, d, "begin", "BEGIN") ||
        db_exec(db, d, "add the capture",
                "INSERT INTO captures (id, started_ns, tool_version, source)"
                " VALUES (1, 0, 'conform', 'file')"))
        goto out;
    if (sq(db,
           "INSERT INTO endpoints (ip, kind, namespace, name, workload_kind, workload, labels,"
           " ports, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'inventory')",
           &st))
        goto out;
    for (size_t i = 0; i < e->nw; i++) {
        const struct wl *w = &e->w[i];
        const char *lb = strrchr(w->id, '['), *sl = strchr(w->id, '/');

        fmt_ip(e->pass_b ? w->ip_b : w->ip, ipb, sizeof(ipb));
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, ipb, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, w->hostnet && !e->pass_b ? "host" : "pod", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, w->ns, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, w->pod, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, lb + 1, (int)strlen(lb + 1) - 1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, sl + 1, (int)(lb - sl - 1), SQLITE_TRANSIENT);
        buf_reset(&b);
        if (labels_to_json(&w->labels, &b))
            goto out;
        sqlite3_bind_text(st, 7, b.data, -1, SQLITE_TRANSIENT);
        buf_reset(&b);
        if (ports_json(w, &b))
            goto out;
        sqlite3_bind_text(st, 8, b.data, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            printf("    sqlite: %s\n", sqlite3_errmsg(db));
            goto out;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    /* namespaces: those of the inventory, and every workload's (implied) */
    if (sq(db, "INSERT OR IGNORE INTO namespaces (name, labels) VALUES (?1, ?2)", &st))
        goto out;
    for (size_t i = 0; i < e->inv.nnss; i++) {
        buf_reset(&b);
        if (labels_to_json(&e->inv.nss[i].labels, &b))
            goto out;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, e->inv.nss[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, b.data, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    for (size_t i = 0; i < e->nw; i++) {
        struct labels l;

        labels_init(&l);
        if (labels_set(&l, INV_NS_NAME_LABEL, e->w[i].ns))
            abort();
        buf_reset(&b);
        if (labels_to_json(&l, &b))
            abort();
        labels_release(&l);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, e->w[i].ns, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, b.data, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (with_flows) {
        if (sq(db,
               "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
               " first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)"
               " VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, 0, 0, 1, 60, 0, 0, 'S0')",
               &st))
            goto out;
        for (size_t i = 0; i < e->npr; i++) {
            const struct probe *p = &e->pr[i];
            char sb[32], db2[32];

            fmt_ip(p->s < 0 ? p->ext : e->pass_b ? e->w[p->s].ip_b : e->w[p->s].ip, sb, sizeof(sb));
            fmt_ip(p->d < 0    ? p->ext
                   : e->pass_b ? e->w[p->d].ip_b
                               : e->w[p->d].ip,
                   db2, sizeof(db2));
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
            sqlite3_bind_int(st, 2, proto_num[p->p]);
            sqlite3_bind_text(st, 3, sb, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(st, 4, 10000 + (int)(i % 50000));
            sqlite3_bind_text(st, 5, db2, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(st, 6, p->port);
            if (sqlite3_step(st) != SQLITE_DONE) {
                printf("    sqlite: %s\n", sqlite3_errmsg(db));
                goto out;
            }
        }
    }
    if (db_exec(db, d, "commit", "COMMIT"))
        goto out;
    ret = 0;
out:
    sqlite3_finalize(st);
    buf_release(&b);
    db_close(&db, d);
    return ret;
}

/* Run `ANALYZER check DB -p RES --format json > out 2> err` (with
 * --no-policies when the example has none: an empty set is meant); the
 * exit status. */
static int run_check(const char *analyzer, const char *db, const char *res, int no_policies,
                     const char *out, const char *err)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(127);
        if (no_policies)
            execl(analyzer, "podflow-analyze", "check", db, "-p", res, "--no-policies", "--format",
                  "json", (char *)NULL);
        else
            execl(analyzer, "podflow-analyze", "check", db, "-p", res, "--format", "json",
                  (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* --- reading check's JSON Lines ------------------------------------------------ */

/*
 * The value after "key": in line (a pointer into it), or NULL.  The key
 * text `"key":` cannot occur inside a JSON string of the line: a quote in
 * a string is escaped, so `"key\":` is what a string would hold.
 */
static const char *jkey(const char *from, const char *key)
{
    char pat[64];

    snprintf(pat, sizeof(pat), "\"%s\":", key);
    from = strstr(from, pat);
    return from ? from + strlen(pat) : NULL;
}

struct hop {
    int present;   /* a trace for this direction */
    int allow;     /* its last entry allows */
    char pol[256]; /* ns/name of that entry (knp.default. stripped) */
    int rule;      /* its rule index, -1 for a tier default */
};

/* The last entry of a flow-log trace array "[\"i|tier|ns/name|action|rule\", ...]". */
static void read_trace(const char *arr, struct hop *h)
{
    const char *last = NULL, *p = arr, *end;

    memset(h, 0, sizeof(*h));
    h->rule = -1;
    if (!arr || *arr != '[')
        return;
    end = strchr(arr, ']');
    if (!end)
        return;
    while ((p = memchr(p, '"', (size_t)(end - p)))) {
        last = p + 1;
        p = strchr(last, '"');
        if (!p || p > end)
            return;
        p++;
    }
    if (!last)
        return;
    {
        const char *f[5], *q = last;
        char tmp[200];
        const char *pol;
        size_t l;
        int64_t v;

        for (int i = 0; i < 5; i++) {
            f[i] = q;
            q = strpbrk(q, "|\"");
            if (!q || (*q == '"' && i < 4))
                return;
            q++;
        }
        l = (size_t)(f[3] - f[2] - 1);
        if (l >= sizeof(tmp))
            return;
        memcpy(tmp, f[2], l);
        tmp[l] = 0;
        pol = tmp;
        {
            char *slash = strchr(tmp, '/');
            if (slash && !strncmp(slash + 1, "knp.default.", 12))
                memmove(slash + 1, slash + 13, strlen(slash + 13) + 1);
        }
        snprintf(h->pol, sizeof(h->pol), "%s", pol);
        /* the profile (no policy selected the endpoint) is the system
         * default of netpol-analyzer's explanations */
        h->present = strstr(pol, "__PROFILE__") == NULL;
        h->allow = !strncmp(f[3], "allow|", 6);
        if (!parse_i64(f[4], (size_t)(q - 1 - f[4]), -1, 1000000, &v))
            h->rule = (int)v;
    }
}

/* Calico's expanded rule index of policy pol, direction d -> the k8s rule
 * (0-based) and peer.  -1 when unknown. */
static int map_rule(const struct ex *e, const char *pol, int d, int idx, int *peer)
{
    for (size_t i = 0; i < e->npols; i++) {
        const struct kpol *kp = &e->pols[i];

        if (strcmp(kp->id, pol))
            continue;
        for (size_t r = 0; r < kp->nrules[d]; r++) {
            const struct krule *kr = &kp->rules[d][r];
            size_t ng = kr->ngroups ? kr->ngroups : 1, np = kr->npeers ? kr->npeers : 1;

            if ((size_t)idx < ng * np) {
                *peer = (int)((size_t)idx % np);
                return (int)r;
            }
            idx -= (int)(ng * np);
        }
    }
    return -1;
}

static const struct kpeer *rule_peer(const struct ex *e, const char *pol, int d, int idx)
{
    int peer = 0, r = map_rule(e, pol, d, idx, &peer);

    if (r < 0)
        return NULL;
    for (size_t i = 0; i < e->npols; i++)
        if (!strcmp(e->pols[i].id, pol) && e->pols[i].rules[d][r].npeers)
            return &e->pols[i].rules[d][r].peers[peer];
    return NULL;
}

static void probe_text(const struct ex *e, const struct probe *p, char *buf, size_t size)
{
    char a[32], b[32];

    fmt_ip(p->ext, a, sizeof(a));
    fmt_ip(p->ext, b, sizeof(b));
    snprintf(buf, size, "%s => %s %s %u", p->s >= 0 ? e->w[p->s].id : a,
             p->d >= 0 ? e->w[p->d].id : b, proto_name[p->p], p->port);
}

/* explain.txt against the engine's per-direction decisions for one probe. */
static void compare_explain(struct ex *e, const struct probe *p, const struct hop h[2],
                            const char *selected, int seldir)
{
    static const char *const dn[2] = {"ingress", "egress"};

    for (size_t i = 0; i < e->nxs; i++) {
        const struct xsect *x = &e->xs[i];
        char t[512];

        if (x->from != p->s || x->to != p->d || !cs_has(&x->cs, p->p, p->port) ||
            ((x->from < 0 || x->to < 0) && (p->ext < x->lo || p->ext > x->hi)))
            continue;
        e->x_compared++;
        for (int d = 0; d < 2; d++) {
            const struct xdir *xd = &x->dir[d];
            int ok = 1;

            if (xd->sysdefault) {
                ok = !h[d].present;
            } else if (!h[d].present || h[d].allow != xd->allowed) {
                ok = 0;
            } else {
                int found = 0;

                for (size_t k = 0; k < xd->n; k++) {
                    int peer, r;

                    if (strcmp(xd->pol[k], h[d].pol))
                        continue;
                    if (!xd->allowed) {
                        found = 1;
                        continue;
                    }
                    r = map_rule(e, h[d].pol, d, h[d].rule, &peer);
                    if (!xd->rule[k] || r + 1 == xd->rule[k])
                        found = 1;
                }
                ok = found;
                /* an end-of-tier deny names every policy that selected the
                 * endpoint: the same set as the explanation lists */
                if (ok && !xd->allowed && selected && seldir == d) {
                    for (size_t k = 0; k < xd->n && ok; k++) {
                        char q[300];

                        snprintf(q, sizeof(q), "\"%s\"", xd->pol[k]);
                        if (!strstr(selected, q))
                            ok = 0;
                    }
                }
            }
            if (!ok) {
                e->x_mismatch++;
                probe_text(e, p, t, sizeof(t));
                note(e, "explain mismatch %s: %s: expected %s%s%s%s, engine %s %s rule %d", t,
                     dn[d],
                     xd->sysdefault ? "system default"
                     : xd->allowed  ? "allowed by "
                                    : "denied by ",
                     xd->n ? xd->pol[0] : "", "", "",
                     h[d].present ? (h[d].allow ? "allow" : "deny") : "no policy", h[d].pol,
                     h[d].rule);
            }
        }
        return;
    }
}

/*
 * A probe's class from its verdict: pass; a hostNetwork pod at either end
 * (hostnet: in the Calico replay only); allowed where netpol-analyzer
 * denies through an ipBlock peer that holds the other end's pod address;
 * else fail.
 */
static enum cls classify(const struct ex *e, const struct probe *p, int got, const struct hop h[2],
                         int hostnet)
{
    if ((got == 1) == (p->expect == 1))
        return C_PASS;
    /* Calico applies no NetworkPolicy at a host-network pod (it is the
     * host), and no podSelector peer matches it (its traffic carries the
     * node's address): either may change a verdict, in both directions */
    if (hostnet && ((p->s >= 0 && e->w[p->s].hostnet) || (p->d >= 0 && e->w[p->d].hostnet)))
        return C_HOSTNET;
    if (got == 1 && p->s >= 0 && p->d >= 0)
        for (int d = 0; d < 2; d++) {
            const struct kpeer *kp =
                h[d].present && h[d].allow ? rule_peer(e, h[d].pol, d, h[d].rule) : NULL;

            if (kp && kp->ipblock)
                return C_IPBLOCK;
        }
    return C_FAIL;
}

static int read_results(struct ex *e, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lines = 0;
    ssize_t len;

    if (!f)
        return -1;
    while ((len = getline(&line, &cap, f)) > 0) {
        const char *v = jkey(line, "flow_id"), *verdict = jkey(line, "verdict");
        const char *pol = jkey(line, "policies"), *dec = jkey(line, "decided_by");
        const char *sel = dec ? jkey(dec, "selected_by") : NULL;
        char *selbuf = NULL;
        int64_t id;
        struct probe *p;
        struct hop h[2];
        enum cls c;
        char t[512];
        const char *end;
        int got_a;

        if (!v || !verdict)
            continue;
        end = v;
        while (*end >= '0' && *end <= '9')
            end++;
        if (parse_i64(v, (size_t)(end - v), 1, (int64_t)e->npr, &id))
            continue;
        p = &e->pr[id - 1];
        got_a = p->got;
        p->got = !strncmp(verdict, "\"allow\"", 7) ? 1 : 2;
        lines++;
        read_trace(pol ? jkey(pol, "ingress") : NULL, &h[0]);
        read_trace(pol ? jkey(pol, "egress") : NULL, &h[1]);
        if (sel && *sel == '[') {
            const char *se = strchr(sel, ']');

            if (se)
                selbuf = xmemdupz(sel, (size_t)(se - sel + 1));
        }
        if (e->pass_b) {
            p->got_b = p->got;
            p->got = (uint8_t)got_a;
            if (p->cls == C_HOSTNET) {
                c = classify(e, p, p->got_b, h, 0);
                if (c == C_PASS || c == C_IPBLOCK) {
                    e->b_confirmed++;
                    e->b_ipblock += c == C_IPBLOCK;
                    if (c == C_PASS && e->nxs)
                        compare_explain(e, p, h, NULL, 0);
                } else {
                    e->b_failed++;
                    probe_text(e, p, t, sizeof(t));
                    note(e,
                         "hostNetwork probe %s: expected %s, and the pod-model replay says %s "
                         "(egress %s %d; ingress %s %d): not explained by hostNetwork alone",
                         t, p->expect ? "allow" : "deny", p->got_b == 1 ? "allow" : "deny",
                         h[1].pol, h[1].rule, h[0].pol, h[0].rule);
                }
            }
            free(selbuf);
            continue;
        }
        c = classify(e, p, p->got, h, 1);
        p->cls = (uint8_t)c;
        e->cls[c]++;
        if (c != C_PASS && (c == C_FAIL || e->verbose)) {
            probe_text(e, p, t, sizeof(t));
            note(e, "%s %s: expected %s, check says %s (egress %s %s %d; ingress %s %s %d)",
                 cls_name[c], t, p->expect ? "allow" : "deny", p->got == 1 ? "allow" : "deny",
                 h[1].present ? (h[1].allow ? "allow" : "deny") : "-", h[1].pol, h[1].rule,
                 h[0].present ? (h[0].allow ? "allow" : "deny") : "-", h[0].pol, h[0].rule);
        }
        /* explanations of pairs whose verdicts agree; a host-network end
         * has no policy in Calico (a documented difference), so skip it */
        if (c == C_PASS && e->nxs && !(p->s >= 0 && e->w[p->s].hostnet) &&
            !(p->d >= 0 && e->w[p->d].hostnet)) {
            const char *reason = dec ? jkey(dec, "reason") : NULL;
            const char *dir = dec ? jkey(dec, "direction") : NULL;

            compare_explain(e, p, h,
                            reason && !strncmp(reason, "\"end-of-tier\"", 13) ? selbuf : NULL,
                            dir && !strncmp(dir, "\"egress\"", 8) ? 1 : 0);
        }
        if (p->expect_pp) {
            e->pp_compared++;
            if ((p->got == 1) != (p->expect_pp == 1)) {
                e->pp_mismatch++;
                probe_text(e, p, t, sizeof(t));
                note(e, "pod-pair oracle mismatch %s: expected %s", t,
                     p->expect_pp == 1 ? "allow" : "deny");
            }
        }
        free(selbuf);
    }
    free(line);
    fclose(f);
    for (size_t i = 0; i < e->npr; i++)
        if (e->pass_b ? e->pr[i].cls == C_HOSTNET && !e->pr[i].got_b : !e->pr[i].got) {
            char t[512];

            probe_text(e, &e->pr[i], t, sizeof(t));
            note(e, "no verdict for flow %zu (%s)", i + 1, t);
            e->cls[C_FAIL]++;
        }
    (void)lines;
    return 0;
}

/* --- one example --------------------------------------------------------------- */

static void ex_release(struct ex *e)
{
    inventory_release(&e->inv);
    for (size_t i = 0; i < e->nw; i++) {
        free(e->w[i].id);
        free(e->w[i].ns);
        free(e->w[i].pod);
        labels_release(&e->w[i].labels);
        for (size_t j = 0; j < e->w[i].nports; j++)
            free((char *)e->w[i].ports[j].name);
        free(e->w[i].ports);
    }
    free(e->w);
    for (size_t i = 0; i < e->npols; i++) {
        for (int d = 0; d < 2; d++) {
            for (size_t r = 0; r < e->pols[i].nrules[d]; r++)
                free(e->pols[i].rules[d][r].peers);
            free(e->pols[i].rules[d]);
        }
        free(e->pols[i].id);
    }
    free(e->pols);
    free(e->ports);
    for (size_t i = 0; i < e->nnamed; i++)
        free(e->named[i]);
    free(e->named);
    free(e->bounds);
    if (e->m)
        for (size_t i = 0; i < e->nw * e->nw; i++)
            cs_free(e->m[i]);
    free(e->m);
    for (size_t i = 0; i < e->next; i++)
        cs_free(e->ext[i].cs);
    free(e->ext);
    for (size_t i = 0; i < e->nxs; i++) {
        cs_release(&e->xs[i].cs);
        for (int d = 0; d < 2; d++) {
            for (size_t k = 0; k < e->xs[i].dir[d].n; k++)
                free(e->xs[i].dir[d].pol[k]);
            free(e->xs[i].dir[d].pol);
            free(e->xs[i].dir[d].rule);
        }
    }
    free(e->xs);
    free(e->pr);
    free(e->ev);
}

static int file_exists(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0;
}

/* diff_vs_<dir1>.txt in dir/expected: dir1's name, malloc'd, or NULL. */
static char *diff_base(const char *dir)
{
    struct buf p;
    DIR *dh;
    struct dirent *de;
    char *out = NULL;

    buf_init(&p, 0);
    if (buf_addf(&p, "%s/expected", dir))
        abort();
    dh = opendir(p.data);
    buf_release(&p);
    if (!dh)
        return NULL;
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name);

        if (!strncmp(de->d_name, "diff_vs_", 8) && l > 12 && !strcmp(de->d_name + l - 4, ".txt")) {
            out = xmemdupz(de->d_name + 8, l - 12);
            break;
        }
    }
    closedir(dh);
    return out;
}

/* The expectation of example name: its connlist, or (recursively) its
 * diff base's with its diff applied, or the derived connlist kept beside
 * this program for a base that has no golden file. */
static int load_expect(struct ex *e, const char *corpus, const char *name, const char *derived,
                       int depth, const char **how)
{
    struct buf p;
    char *base;
    int rc;

    buf_init(&p, 0);
    if (buf_addf(&p, "%s/%s/expected/connlist.txt", corpus, name))
        abort();
    if (file_exists(p.data)) {
        rc = load_connlist(e, p.data);
        buf_release(&p);
        if (!depth)
            *how = "connlist.txt";
        return rc;
    }
    buf_reset(&p);
    if (buf_addf(&p, "%s/%s.connlist.txt", derived, name))
        abort();
    if (file_exists(p.data)) {
        rc = load_connlist(e, p.data);
        buf_release(&p);
        if (!depth)
            *how = "derived connlist";
        return rc;
    }
    buf_reset(&p);
    if (buf_addf(&p, "%s/%s", corpus, name))
        abort();
    base = depth < 4 ? diff_base(p.data) : NULL;
    if (!base) {
        buf_release(&p);
        return -2;
    }
    rc = load_expect(e, corpus, base, derived, depth + 1, how);
    if (rc == 0) {
        buf_reset(&p);
        if (buf_addf(&p, "%s/%s/expected/diff_vs_%s.txt", corpus, name, base))
            abort();
        rc = load_diff(e, p.data);
        if (!depth)
            *how = "diff applied to base connlist";
    }
    free(base);
    buf_release(&p);
    return rc;
}

static int run_invalid(const char *analyzer, const char *corpus, const char *name,
                       const char *tmpdir, struct diag *d)
{
    struct ex e;
    char db[512], res[512], out[512], err[512];
    int rc;

    memset(&e, 0, sizeof(e));
    inventory_init(&e.inv);
    e.name = name;
    snprintf(db, sizeof(db), "%s/%s.db", tmpdir, name);
    snprintf(res, sizeof(res), "%s/%s/resources", corpus, name);
    snprintf(out, sizeof(out), "%s/%s.jsonl", tmpdir, name);
    snprintf(err, sizeof(err), "%s/%s.err", tmpdir, name);
    rc = write_case(&e, db, 0, d) ? -1 : run_check(analyzer, db, res, 0, out, err);
    ex_release(&e);
    if (rc == 2) {
        FILE *f = fopen(err, "r");
        char line[512] = "";

        if (f) {
            if (!fgets(line, sizeof(line), f))
                line[0] = 0;
            fclose(f);
        }
        printf("PASS %s: rejected, exit 2: %s", name, line[0] ? line : "(no message)\n");
        return 0;
    }
    printf("FAIL %s: check exited %d, expected 2 (the policy set is invalid)\n", name, rc);
    return 1;
}

/* 0 pass, 1 documented difference, 2 fail */
static int run_example(const char *analyzer, const char *corpus, const char *name, const char *tier,
                       const char *tmpdir, const char *derived, int verbose, struct diag *d)
{
    struct ex e;
    char res[512], path[600], db[512], out[512], err[512];
    const char *how = "";
    struct connset **pp = NULL;
    int rc, ret;
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(&e, 0, sizeof(e));
    inventory_init(&e.inv);
    e.name = name;
    e.tier = tier;
    e.verbose = verbose;
    snprintf(res, sizeof(res), "%s/%s/resources", corpus, name);
    if (load_dir(&e, res, d)) {
        printf("FAIL %s: cannot load resources/\n", name);
        ex_release(&e);
        return 2;
    }
    add_pods(&e);
    assign_ips(&e);
    e.m = xcalloc(e.nw ? e.nw * e.nw : 1, sizeof(*e.m));
    rc = load_expect(&e, corpus, name, derived, 0, &how);
    if (rc == -2) {
        printf("SKIP %s: no golden file (a diff base whose own connlist upstream does not ship)\n",
               name);
        ex_release(&e);
        return 0;
    }
    if (rc) {
        printf("FAIL %s: cannot read the golden file\n", name);
        ex_release(&e);
        return 2;
    }
    snprintf(path, sizeof(path), "%s/%s/expected/explain.txt", corpus, name);
    if (file_exists(path))
        load_explain(&e, path);
    snprintf(path, sizeof(path), "%s/%s/expected/pod_pairs_all_connections.txt", corpus, name);
    if (file_exists(path))
        load_pod_pairs(&e, path, &pp);
    snprintf(path, sizeof(path), "%s/%s/expected/eval.tsv", corpus, name);
    if (file_exists(path) && load_eval(&e, path))
        e.unknown_names++;
    make_probes(&e, pp);
    snprintf(db, sizeof(db), "%s/%s.db", tmpdir, name);
    snprintf(out, sizeof(out), "%s/%s.jsonl", tmpdir, name);
    snprintf(err, sizeof(err), "%s/%s.err", tmpdir, name);
    if (write_case(&e, db, 1, d)) {
        printf("FAIL %s: cannot write the case\n", name);
        ret = 2;
        goto out;
    }
    rc = run_check(analyzer, db, res, e.npols == 0, out, err);
    if (rc != 0 && rc != 1) {
        printf("FAIL %s: check exited %d (see %s)\n", name, rc, err);
        ret = 2;
        goto out;
    }
    read_results(&e, out);
    compare_eval(&e);
    if (e.cls[C_HOSTNET]) {
        /* The documented hostNetwork probes again, with those pods as
         * netpol-analyzer models them (ordinary pods, own addresses): they
         * must then agree, or the difference is not hostNetwork alone. */
        e.pass_b = 1;
        if (write_case(&e, db, 1, d)) {
            printf("FAIL %s: cannot write the pod-model case\n", name);
            ret = 2;
            goto out;
        }
        rc = run_check(analyzer, db, res, e.npols == 0, out, err);
        if (rc != 0 && rc != 1) {
            printf("FAIL %s: check exited %d on the pod-model case (see %s)\n", name, rc, err);
            ret = 2;
            goto out;
        }
        read_results(&e, out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    {
        size_t doc = e.cls[C_HOSTNET] + e.cls[C_IPBLOCK];
        int fail = e.cls[C_FAIL] || e.x_mismatch || e.pp_mismatch || e.unknown_names ||
                   e.b_failed || e.ev_mismatch;
        char extra[640] = "";
        int n = 0;

        if (e.nxs)
            n += snprintf(extra + n, sizeof(extra) - (size_t)n,
                          "; explain: %zu compared, %zu mismatched", e.x_compared, e.x_mismatch);
        if (pp)
            n +=
                snprintf(extra + n, sizeof(extra) - (size_t)n,
                         "; pod pairs: %zu compared, %zu mismatched", e.pp_compared, e.pp_mismatch);
        if (e.nev)
            n += snprintf(extra + n, sizeof(extra) - (size_t)n,
                          "; eval.tsv: %zu rows, %zu mismatched", e.nev, e.ev_mismatch);
        if (e.cls[C_HOSTNET])
            n += snprintf(extra + n, sizeof(extra) - (size_t)n,
                          "; hostNetwork as pods: %zu agree (%zu through ipBlock-pod), %zu do not",
                          e.b_confirmed, e.b_ipblock, e.b_failed);
        if (e.unknown_names)
            snprintf(extra + n, sizeof(extra) - (size_t)n,
                     "; %zu golden lines name unknown workloads", e.unknown_names);
        ret = fail ? 2 : doc ? 1 : 0;
        printf("%s %s: %zu workloads, %zu probes (%s): %zu pass, %zu documented (hostNetwork %zu, "
               "ipBlock-pod %zu), %zu fail%s [%.1fs]\n",
               ret == 2   ? "FAIL"
               : ret == 1 ? "DOC "
                          : "PASS",
               name, e.nw, e.npr, how, e.cls[C_PASS], doc, e.cls[C_HOSTNET], e.cls[C_IPBLOCK],
               e.cls[C_FAIL], extra,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
out:
    if (pp) {
        for (size_t i = 0; i < e.nw * e.nw; i++)
            cs_free(pp[i]);
        free(pp);
    }
    ex_release(&e);
    unlink(db);
    unlink(out);
    if (ret != 2)
        unlink(err);
    return ret;
}

int main(int argc, char **argv)
{
    const char *corpus = getenv("PODFLOW_CONFORMANCE");
    const char *verbose = getenv("CONFORM_VERBOSE");
    char index[600], tmpdir[] = "/tmp/podflow-conform.XXXXXX", derived[600], *line = NULL;
    size_t cap = 0, passed = 0, failed = 0;
    struct buf docs;
    struct diag d;
    FILE *f;
    const char *self_dir;

    if (argc < 2) {
        fprintf(stderr, "usage: conform ANALYZER [EXAMPLE...]\n");
        return 2;
    }
    if (!corpus || !*corpus)
        corpus = "../shared/conformance/netpol";
    snprintf(index, sizeof(index), "%s/INDEX.tsv", corpus);
    f = fopen(index, "r");
    if (!f) {
        printf("FAIL: conformance corpus not found: cannot open '%s': %s (it is the "
               "repository's sibling shared/, or set PODFLOW_CONFORMANCE)\n",
               index, strerror(errno));
        return 1;
    }
    self_dir = getenv("CONFORM_DERIVED");
    snprintf(derived, sizeof(derived), "%s", self_dir ? self_dir : "tests/conformance/derived");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "conform: cannot make a temporary directory: %s\n", strerror(errno));
        fclose(f);
        return 2;
    }
    diag_init(&d, stderr, "conform");
    buf_init(&docs, 0);
    while (getline(&line, &cap, f) > 0) {
        char *name = line, *tier = strchr(line, '\t'), *rest;
        int rc, want = argc == 2;

        if (!tier || !strncmp(line, "example\t", 8))
            continue;
        *tier++ = 0;
        rest = strchr(tier, '\t');
        if (rest)
            *rest = 0;
        for (int i = 2; i < argc; i++)
            if (!strcmp(argv[i], name))
                want = 1;
        if (!want)
            continue;
        if (!strcmp(tier, "invalid"))
            rc = run_invalid(argv[1], corpus, name, tmpdir, &d) ? 2 : 0;
        else
            rc = run_example(argv[1], corpus, name, tier, tmpdir, derived, verbose != NULL, &d);
        fflush(stdout);
        if (rc == 2) {
            failed++;
        } else {
            passed++;
            if (rc == 1 && buf_addf(&docs, "%s%s", docs.len ? ", " : "", name))
                abort();
        }
    }
    free(line);
    fclose(f);
    rmdir(tmpdir);
    if (docs.len)
        printf("documented differences (counted as passed, see "
               "tests/conformance/KNOWN_DIFFERENCES.md): %s\n",
               docs.data);
    printf("conformance: %zu passed, %zu failed\n", passed, failed);
    buf_release(&docs);
    return failed ? 1 : 0;
}
