/*
 * inv_load.c: read kubectl's YAML/JSON into the inventory model.
 *
 * Input shapes (all seen from kubectl or the API):
 *   - one object per document, any number of documents ("---");
 *   - `kind: List` with items of any kind (kubectl get a,b -o yaml);
 *   - a typed list (`kind: PodList`, `NamespaceList`, ...), whose items may
 *     omit kind and apiVersion (the API server's own list responses do);
 *     the item's kind is then the list's minus "List".
 *
 * Only fields we model are read; every other field is ignored, as kubectl
 * adds new ones with every release.  A field that makes the identity (the
 * name, the namespace, hostNetwork, the service account) of the wrong
 * shape makes the whole object malformed: reported at the field's position
 * and skipped.  A bad field that the identity survives (the labels, a time,
 * one address, the owner, one container port) costs that field only: a
 * warning at its position, a note saying what was dropped, and a count
 * (inv->field_problems, which the case records), since dropping the pod
 * would flip every verdict involving it.  A container port Calico would
 * not use (no containerPort, an unknown protocol) is ignored as Calico's
 * pod conversion ignores it (appendEndpointPorts).
 *
 * Owners (the workload of a pod): the controller ownerReference as
 * written, except two that Kubernetes controllers create by naming rule:
 *   - a ReplicaSet made by a Deployment is named <deployment>-<hash>, and
 *     its pods carry the label pod-template-hash=<hash> (kube-controller-
 *     manager, deployment_util.go); such a pod is reported as the
 *     Deployment.  A ReplicaSet whose name does not end in the pod's hash
 *     was not made by a Deployment (or by an old one whose hash was
 *     computed differently) and stays a ReplicaSet;
 *   - a Job made by a CronJob is named <cronjob>-<scheduled time in minutes
 *     since 1970> (cronjob_controllerv2.go, getJobName()), which has 8 or
 *     more digits for any time after 1989; such a pod is reported as the
 *     CronJob.  A Job named like "migrate-2" stays a Job.
 */
#include "common/inventory.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/inv_int.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/ydoc.h"
#include "common/compat.h"

struct inv_ctx {
    struct inventory *inv;    /* where objects go */
    const struct ystream *ys; /* the stream read (for messages) */
    struct diag *d;           /* messages */
    const char *file;         /* ys->name copied into inv's arena */
    const char *obj;          /* "pod", "namespace", ...: the object being read */
};

/* A read whose failure costs one field, not the object: between
 * soft_begin() and soft_end() errors are reported as warnings.  soft_end()
 * takes the read's result; on failure it notes what was dropped at at,
 * counts it, and returns 1 (the caller resets the field). */
static void soft_begin(struct inv_ctx *c)
{
    if (c->d)
        c->d->soften++;
}

static int soft_end(struct inv_ctx *c, int rc, const struct ynode *at, const char *field)
{
    if (c->d)
        c->d->soften--;
    if (!rc)
        return 0;
    c->inv->field_problems++;
    ynode_report(c->d, c->ys, at, DIAG_NOTE, "'%s' dropped; the %s is kept without it", field,
                 c->obj ? c->obj : "object");
    return 1;
}

/* Printable copy of s for a message: at most 48 bytes, control and
 * non-ASCII bytes as '?', so a hostile value cannot garble the terminal. */
static const char *inv_quote(char *buf, size_t size, const char *s)
{
    size_t i;

    for (i = 0; s[i] && i + 4 < size && i < 48; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i] && i + 4 <= size) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static char *inv_strdup(struct inv_ctx *c, const char *s)
{
    return arena_strdup(&c->inv->arena, s);
}

/* ---- typed field access --------------------------------------------------
 * Each getter reads parent[key]; an absent or null field leaves the output
 * at its default and returns 0; a field of the wrong type is reported at its
 * own position and gives ERR_INVALID.  what names the field in messages. */

static int get_map(struct inv_ctx *c, const struct ynode *parent, const char *key, const char *what,
                   const struct ynode **out)
{
    const struct ynode *n = ynode_get(parent, key);

    *out = NULL;
    if (ynode_is_null(n))
        return 0;
    if (ynode_expect(c->d, c->ys, n, YNODE_MAP, what))
        return ERR_INVALID;
    *out = n;
    return 0;
}

static int get_seq(struct inv_ctx *c, const struct ynode *parent, const char *key, const char *what,
                   const struct ynode **out)
{
    const struct ynode *n = ynode_get(parent, key);

    *out = NULL;
    if (ynode_is_null(n))
        return 0;
    if (ynode_expect(c->d, c->ys, n, YNODE_SEQ, what))
        return ERR_INVALID;
    *out = n;
    return 0;
}

/* Absent, null, or "": the API treats an empty optional string as unset
 * (Go's omitempty drops it, defaulting fills it in), and some clients
 * print `podIP: ""` for a pod that has none yet. */
static int is_unset(const struct ynode *n)
{
    return ynode_is_null(n) || (n->kind == YNODE_SCALAR && n->u.scalar.len == 0);
}

/* An optional string; "" counts as absent (*out unchanged). */
static int get_str(struct inv_ctx *c, const struct ynode *parent, const char *key, const char *what,
                   const char **out)
{
    const struct ynode *n = ynode_get(parent, key);
    const char *s;

    if (is_unset(n))
        return 0;
    if (ynode_str(c->d, c->ys, n, what, &s))
        return ERR_INVALID;
    *out = inv_strdup(c, s);
    return 0;
}

/* A required string: absent is reported at the parent's position. */
static int need_str(struct inv_ctx *c, const struct ynode *parent, const char *key,
                    const char *what, const char **out)
{
    *out = NULL;
    if (get_str(c, parent, key, what, out))
        return ERR_INVALID;
    if (!*out || !**out) {
        ynode_report(c->d, c->ys, parent, DIAG_ERROR, "missing '%s'", what);
        return ERR_INVALID;
    }
    return 0;
}

static int get_bool(struct inv_ctx *c, const struct ynode *parent, const char *key,
                    const char *what, int *out)
{
    const struct ynode *n = ynode_get(parent, key);

    if (ynode_is_null(n))
        return 0;
    return ynode_bool(c->d, c->ys, n, what, out) ? ERR_INVALID : 0;
}

static int get_time(struct inv_ctx *c, const struct ynode *parent, const char *key,
                    const char *what, int64_t *out)
{
    const struct ynode *n = ynode_get(parent, key);
    const char *s;
    char q[64];

    *out = INV_TIME_NONE;
    if (ynode_is_null(n))
        return 0;
    if (ynode_str(c->d, c->ys, n, what, &s))
        return ERR_INVALID;
    if (parse_rfc3339(s, n->u.scalar.len, out)) {
        ynode_report(c->d, c->ys, n, DIAG_ERROR, "invalid time '%s' for '%s'",
                     inv_quote(q, sizeof(q), s), what);
        *out = INV_TIME_NONE;
        return ERR_INVALID;
    }
    return 0;
}

static int get_port(struct inv_ctx *c, const struct ynode *parent, const char *key,
                    const char *what, int64_t min, uint16_t *out)
{
    const struct ynode *n = ynode_get(parent, key);
    int64_t v;

    if (ynode_is_null(n))
        return 0;
    if (ynode_int(c->d, c->ys, n, what, min, 65535, &v))
        return ERR_INVALID;
    *out = (uint16_t)v;
    return 0;
}

/* protocol: TCP (default), UDP or SCTP. */
static int get_proto(struct inv_ctx *c, const struct ynode *parent, const char *what, uint8_t *out)
{
    const struct ynode *n = ynode_get(parent, "protocol");
    const char *s;
    char q[64];

    *out = 6;
    if (is_unset(n))
        return 0;
    if (ynode_str(c->d, c->ys, n, what, &s))
        return ERR_INVALID;
    *out = inventory_proto(s);
    if (!*out) {
        ynode_report(c->d, c->ys, n, DIAG_ERROR, "unknown protocol '%s' for '%s'",
                     inv_quote(q, sizeof(q), s), what);
        return ERR_INVALID;
    }
    return 0;
}

/* A mapping of strings into l (initialised by the caller).  Values written
 * as plain numbers or booleans keep their text; null is "". */
static int get_labels(struct inv_ctx *c, const struct ynode *parent, const char *key,
                      const char *what, struct labels *l)
{
    const struct ynode *m;
    int rc;

    if (get_map(c, parent, key, what, &m))
        return ERR_INVALID;
    if (!m)
        return 0;
    for (size_t i = 0; i < m->u.map.n; i++) {
        const struct ynode *k = m->u.map.pairs[i].key;
        const struct ynode *v = m->u.map.pairs[i].value;
        const char *val = "";
        size_t vlen = 0;
        char q[64];

        if (!ynode_is_null(v)) {
            if (ynode_str(c->d, c->ys, v, what, &val))
                return ERR_INVALID;
            vlen = v->u.scalar.len;
        }
        rc = labels_setn(l, k->u.scalar.s, k->u.scalar.len, val, vlen);
        if (rc == ERR_LIMIT) {
            ynode_report(c->d, c->ys, k, DIAG_ERROR,
                         "label '%s' in '%s' is too long or too many (LIM_LABELS, "
                         "LIM_LABEL_KEY, LIM_LABEL_VALUE)",
                         inv_quote(q, sizeof(q), k->u.scalar.s), what);
            return ERR_INVALID;
        }
        if (rc) {
            ynode_report(c->d, c->ys, k, DIAG_ERROR, "label key in '%s' contains a NUL byte", what);
            return ERR_INVALID;
        }
    }
    return 0;
}

/* An IP address scalar. */
static int parse_ip(struct inv_ctx *c, const struct ynode *n, const char *what, struct ipaddr *out)
{
    const char *s;
    char q[64];

    if (ynode_str(c->d, c->ys, n, what, &s))
        return ERR_INVALID;
    if (ipaddr_parse(s, n->u.scalar.len, out)) {
        ynode_report(c->d, c->ys, n, DIAG_ERROR, "invalid IP address '%s' for '%s'",
                     inv_quote(q, sizeof(q), s), what);
        return ERR_INVALID;
    }
    return 0;
}

/* Append ip to ips unless already there. */
static int add_ip(struct inv_ctx *c, const struct ynode *at, struct ipaddr **ips, size_t *n,
                  size_t *alloc, const struct ipaddr *ip)
{
    for (size_t i = 0; i < *n; i++)
        if (!ipaddr_cmp(&(*ips)[i], ip))
            return 0;
    if (*n >= LIM_INV_OBJECT_IPS) {
        ynode_report(c->d, c->ys, at, DIAG_ERROR, "more than %d addresses (LIM_INV_OBJECT_IPS)",
                     LIM_INV_OBJECT_IPS);
        return ERR_INVALID;
    }
    ALLOC_GROW(*ips, *n + 1, *alloc);
    (*ips)[(*n)++] = *ip;
    return 0;
}

/* Common metadata: name (required), namespace (namespaced kinds: default
 * "default"), labels, creation and deletion times. */
struct inv_meta {
    const char *ns, *name;
    int64_t created_ns, deleted_ns;
};

static int get_meta(struct inv_ctx *c, const struct ynode *obj, int namespaced,
                    struct labels *labels, struct inv_meta *m)
{
    const struct ynode *md;

    m->ns = NULL;
    m->name = NULL;
    m->created_ns = m->deleted_ns = INV_TIME_NONE;
    if (get_map(c, obj, "metadata", "metadata", &md))
        return ERR_INVALID;
    if (!md) {
        ynode_report(c->d, c->ys, obj, DIAG_ERROR, "missing 'metadata'");
        return ERR_INVALID;
    }
    if (need_str(c, md, "name", "metadata.name", &m->name))
        return ERR_INVALID;
    if (namespaced) {
        if (get_str(c, md, "namespace", "metadata.namespace", &m->ns))
            return ERR_INVALID;
        if (!m->ns || !*m->ns)
            m->ns = "default";
    }
    if (labels) {
        soft_begin(c);
        if (soft_end(c, get_labels(c, md, "labels", "metadata.labels", labels),
                     ynode_get(md, "labels"), "metadata.labels")) {
            labels_release(labels);
            labels_init(labels);
        }
    }
    /* get_time() leaves a bad time unset: open-ended. */
    soft_begin(c);
    (void)soft_end(
        c, get_time(c, md, "creationTimestamp", "metadata.creationTimestamp", &m->created_ns),
        ynode_get(md, "creationTimestamp"), "metadata.creationTimestamp");
    soft_begin(c);
    (void)soft_end(
        c, get_time(c, md, "deletionTimestamp", "metadata.deletionTimestamp", &m->deleted_ns),
        ynode_get(md, "deletionTimestamp"), "metadata.deletionTimestamp");
    return 0;
}

/* ---- pods ------------------------------------------------------------------ */

/* name is "<prefix>-<suffix>": the prefix (arena copy), or NULL. */
static const char *strip_suffix(struct inv_ctx *c, const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);

    if (s == 0 || n < s + 2 || name[n - s - 1] != '-' || strcmp(name + n - s, suffix))
        return NULL;
    return arena_memdupz(&c->inv->arena, name, n - s - 1);
}

static void resolve_owner(struct inv_ctx *c, struct inv_pod *p)
{
    p->workload_kind = p->owner_kind;
    p->workload = p->owner_name;
    if (!p->owner_kind || !p->owner_name)
        return;
    if (!strcmp(p->owner_kind, "ReplicaSet")) {
        const char *hash = labels_get(&p->labels, "pod-template-hash");
        const char *deploy = hash ? strip_suffix(c, p->owner_name, hash) : NULL;
        if (deploy) {
            p->workload_kind = "Deployment";
            p->workload = deploy;
        }
    } else if (!strcmp(p->owner_kind, "Job")) {
        const char *dash = strrchr(p->owner_name, '-');
        size_t digits = dash ? strspn(dash + 1, "0123456789") : 0;
        if (dash && dash != p->owner_name && digits >= 8 && !dash[1 + digits]) {
            p->workload_kind = "CronJob";
            p->workload =
                arena_memdupz(&c->inv->arena, p->owner_name, (size_t)(dash - p->owner_name));
        }
    }
}

/* metadata.ownerReferences: the one with controller: true. */
static int pod_owner(struct inv_ctx *c, const struct ynode *obj, struct inv_pod *p)
{
    const struct ynode *md = ynode_get(obj, "metadata");
    const struct ynode *refs;

    if (get_seq(c, md, "ownerReferences", "metadata.ownerReferences", &refs))
        return ERR_INVALID;
    for (size_t i = 0; refs && i < refs->u.seq.n; i++) {
        const struct ynode *r = refs->u.seq.items[i];
        const char *kind = NULL, *name = NULL;
        int controller = 0;

        if (ynode_expect(c->d, c->ys, r, YNODE_MAP, "metadata.ownerReferences[]") ||
            get_bool(c, r, "controller", "metadata.ownerReferences[].controller", &controller) ||
            get_str(c, r, "kind", "metadata.ownerReferences[].kind", &kind) ||
            need_str(c, r, "name", "metadata.ownerReferences[].name", &name))
            return ERR_INVALID;
        if (controller && !p->owner_name) {
            p->owner_kind = kind && *kind ? kind : NULL;
            p->owner_name = name;
        }
    }
    resolve_owner(c, p);
    return 0;
}

/* spec.containers[].ports[] and spec.initContainers[].ports[].  A port
 * that cannot be read, or that Calico's pod conversion would not use (no
 * containerPort, an unknown protocol), is dropped with a warning; so are
 * the ports of a container, or of the list, of the wrong shape. */
static void pod_ports(struct inv_ctx *c, const struct ynode *spec, const char *key,
                      const char *what, struct inv_pod *p, size_t *alloc)
{
    const struct ynode *ctrs;

    soft_begin(c);
    if (soft_end(c, get_seq(c, spec, key, what, &ctrs), ynode_get(spec, key), what))
        return;
    for (size_t i = 0; ctrs && i < ctrs->u.seq.n; i++) {
        const struct ynode *ctr = ctrs->u.seq.items[i];
        const struct ynode *ports = NULL;

        soft_begin(c);
        if (soft_end(c,
                     ynode_expect(c->d, c->ys, ctr, YNODE_MAP, what) ||
                         get_seq(c, ctr, "ports", "containers[].ports", &ports),
                     ctr, "containers[].ports"))
            continue;
        for (size_t k = 0; ports && k < ports->u.seq.n; k++) {
            const struct ynode *pn = ports->u.seq.items[k];
            struct inv_port port;
            int rc;

            memset(&port, 0, sizeof(port));
            soft_begin(c);
            rc = ynode_expect(c->d, c->ys, pn, YNODE_MAP, "containers[].ports[]") ||
                 get_str(c, pn, "name", "containers[].ports[].name", &port.name) ||
                 get_port(c, pn, "containerPort", "containers[].ports[].containerPort", 1,
                          &port.port) ||
                 get_proto(c, pn, "containers[].ports[].protocol", &port.proto);
            if (!rc && !port.port) {
                ynode_report(c->d, c->ys, pn, DIAG_ERROR,
                             "missing 'containers[].ports[].containerPort'");
                rc = 1;
            }
            if (soft_end(c, rc, pn, "containers[].ports[]"))
                continue;
            if (port.name && !*port.name)
                port.name = NULL;
            ALLOC_GROW(p->ports, p->nports + 1, *alloc);
            p->ports[p->nports++] = port;
        }
    }
}

/* Each load_<kind>() initialises its output first, so the caller releases
 * it whatever the result; ERR_INVALID, reported, when a modelled field has
 * the wrong shape. */
static int load_pod(struct inv_ctx *c, const struct ynode *obj, struct inv_pod *p)
{
    const struct ynode *spec, *status, *ips, *n;
    struct inv_meta m;
    size_t aips = 0, aports = 0;
    struct ipaddr ip;
    int rc;

    memset(p, 0, sizeof(*p));
    labels_init(&p->labels);
    c->obj = "pod";
    if (get_meta(c, obj, 1, &p->labels, &m))
        return ERR_INVALID;
    p->ns = m.ns == NULL ? "default" : m.ns;
    p->name = m.name;
    p->created_ns = m.created_ns;
    p->deleted_ns = m.deleted_ns;
    p->start_ns = INV_TIME_NONE;
    soft_begin(c);
    if (soft_end(c, pod_owner(c, obj, p), ynode_get(ynode_get(obj, "metadata"), "ownerReferences"),
                 "metadata.ownerReferences")) {
        p->owner_kind = p->owner_name = NULL;
        resolve_owner(c, p);
    }
    if (get_map(c, obj, "spec", "spec", &spec) ||
        get_bool(c, spec, "hostNetwork", "spec.hostNetwork", &p->host_network) ||
        get_str(c, spec, "nodeName", "spec.nodeName", &p->node) ||
        get_str(c, spec, "serviceAccountName", "spec.serviceAccountName", &p->service_account))
        return ERR_INVALID;
    /* serviceAccount is the deprecated spelling; the API fills in
     * "default" when neither is given. */
    if (!p->service_account &&
        get_str(c, spec, "serviceAccount", "spec.serviceAccount", &p->service_account))
        return ERR_INVALID;
    if (!p->service_account || !*p->service_account)
        p->service_account = "default";
    pod_ports(c, spec, "containers", "spec.containers[]", p, &aports);
    pod_ports(c, spec, "initContainers", "spec.initContainers[]", p, &aports);
    soft_begin(c);
    if (soft_end(c, get_map(c, obj, "status", "status", &status), ynode_get(obj, "status"),
                 "status"))
        return 0;
    soft_begin(c);
    (void)soft_end(c, get_str(c, status, "phase", "status.phase", &p->phase),
                   ynode_get(status, "phase"), "status.phase");
    soft_begin(c);
    (void)soft_end(c, get_time(c, status, "startTime", "status.startTime", &p->start_ns),
                   ynode_get(status, "startTime"), "status.startTime");
    /* podIP is podIPs[0] when both are present; a client may print either.
     * A bad address is dropped; the others still make the identity. */
    n = ynode_get(status, "podIP");
    if (!is_unset(n)) {
        soft_begin(c);
        rc = parse_ip(c, n, "status.podIP", &ip);
        if (!soft_end(c, rc, n, "status.podIP") && add_ip(c, n, &p->ips, &p->nips, &aips, &ip))
            return ERR_INVALID;
    }
    soft_begin(c);
    if (soft_end(c, get_seq(c, status, "podIPs", "status.podIPs", &ips),
                 ynode_get(status, "podIPs"), "status.podIPs"))
        ips = NULL;
    for (size_t i = 0; ips && i < ips->u.seq.n; i++) {
        const struct ynode *e = ips->u.seq.items[i];

        soft_begin(c);
        rc = ynode_expect(c->d, c->ys, e, YNODE_MAP, "status.podIPs[]");
        n = rc ? NULL : ynode_get(e, "ip");
        if (!rc && is_unset(n)) {
            ynode_report(c->d, c->ys, e, DIAG_ERROR, "missing 'status.podIPs[].ip'");
            rc = ERR_INVALID;
        }
        if (!rc)
            rc = parse_ip(c, n, "status.podIPs[].ip", &ip);
        if (soft_end(c, rc, e, "status.podIPs[]"))
            continue;
        if (add_ip(c, n, &p->ips, &p->nips, &aips, &ip))
            return ERR_INVALID;
    }
    return 0;
}

/* ---- namespaces, services, slices, nodes ---------------------------------- */

static int load_namespace(struct inv_ctx *c, const struct ynode *obj, struct inv_namespace *ns)
{
    struct inv_meta m;

    memset(ns, 0, sizeof(*ns));
    labels_init(&ns->labels);
    c->obj = "namespace";
    if (get_meta(c, obj, 0, &ns->labels, &m))
        return ERR_INVALID;
    ns->name = m.name;
    ns->created_ns = m.created_ns;
    /* Kubernetes sets this label on every namespace and refuses to change
     * it; a manifest may leave it out. */
    if (labels_set(&ns->labels, INV_NS_NAME_LABEL, m.name)) {
        ynode_report(c->d, c->ys, obj, DIAG_ERROR, "namespace name too long for a label value");
        return ERR_INVALID;
    }
    return 0;
}

/* spec.externalIPs and status.loadBalancer.ingress[].ip of a Service. */
static int service_ips(struct inv_ctx *c, const struct ynode *spec, const struct ynode *obj,
                       struct inv_service *s)
{
    const struct ynode *ext, *status, *lb, *ing;
    size_t aext = 0, alb = 0;
    struct ipaddr ip;

    if (get_seq(c, spec, "externalIPs", "spec.externalIPs", &ext) ||
        get_map(c, obj, "status", "status", &status) ||
        get_map(c, status, "loadBalancer", "status.loadBalancer", &lb) ||
        get_seq(c, lb, "ingress", "status.loadBalancer.ingress", &ing))
        return ERR_INVALID;
    for (size_t i = 0; ext && i < ext->u.seq.n; i++) {
        const struct ynode *n = ext->u.seq.items[i];

        if (parse_ip(c, n, "spec.externalIPs[]", &ip) ||
            add_ip(c, n, &s->ext_ips, &s->next_ips, &aext, &ip))
            return ERR_INVALID;
    }
    for (size_t i = 0; ing && i < ing->u.seq.n; i++) {
        const struct ynode *e = ing->u.seq.items[i], *n;

        if (ynode_expect(c->d, c->ys, e, YNODE_MAP, "status.loadBalancer.ingress[]"))
            return ERR_INVALID;
        n = ynode_get(e, "ip");
        if (is_unset(n))
            continue;
        if (parse_ip(c, n, "status.loadBalancer.ingress[].ip", &ip) ||
            add_ip(c, n, &s->lb_ips, &s->nlb_ips, &alb, &ip))
            return ERR_INVALID;
    }
    return 0;
}

static int load_service(struct inv_ctx *c, const struct ynode *obj, struct inv_service *s)
{
    const struct ynode *spec, *ips, *ports, *n;
    struct inv_meta m;
    size_t aips = 0, aports = 0;
    struct ipaddr ip;

    memset(s, 0, sizeof(*s));
    labels_init(&s->labels);
    labels_init(&s->selector);
    c->obj = "service";
    if (get_meta(c, obj, 1, &s->labels, &m))
        return ERR_INVALID;
    s->ns = m.ns;
    s->name = m.name;
    s->created_ns = m.created_ns;
    s->deleted_ns = m.deleted_ns;
    if (get_map(c, obj, "spec", "spec", &spec) || get_str(c, spec, "type", "spec.type", &s->type) ||
        get_seq(c, spec, "clusterIPs", "spec.clusterIPs", &ips) ||
        get_seq(c, spec, "ports", "spec.ports", &ports))
        return ERR_INVALID;
    if (!s->type)
        s->type = "ClusterIP";
    if (spec && !ynode_is_null(ynode_get(spec, "selector"))) {
        s->has_selector = 1;
        if (get_labels(c, spec, "selector", "spec.selector", &s->selector))
            return ERR_INVALID;
    }
    /* clusterIP is clusterIPs[0]; "None" marks a headless service and ""
     * an ExternalName one: neither has an address. */
    for (size_t i = 0; i <= (ips ? ips->u.seq.n : 0); i++) {
        const char *what = i == 0 ? "spec.clusterIP" : "spec.clusterIPs[]";
        n = i == 0 ? ynode_get(spec, "clusterIP") : ips->u.seq.items[i - 1];
        if (ynode_is_null(n))
            continue;
        if (n->kind == YNODE_SCALAR && (!strcmp(n->u.scalar.s, "None") || n->u.scalar.len == 0))
            continue;
        if (parse_ip(c, n, what, &ip) || add_ip(c, n, &s->ips, &s->nips, &aips, &ip))
            return ERR_INVALID;
    }
    /* Addresses kube-proxy also answers for the Service (§12): external
     * IPs, and the load balancer's ingress IPs (a hostname-only ingress
     * has none). */
    if (service_ips(c, spec, obj, s))
        return ERR_INVALID;
    for (size_t i = 0; ports && i < ports->u.seq.n; i++) {
        const struct ynode *pn = ports->u.seq.items[i];
        struct inv_port port;

        memset(&port, 0, sizeof(port));
        if (ynode_expect(c->d, c->ys, pn, YNODE_MAP, "spec.ports[]") ||
            get_str(c, pn, "name", "spec.ports[].name", &port.name) ||
            get_port(c, pn, "port", "spec.ports[].port", 1, &port.port) ||
            get_port(c, pn, "nodePort", "spec.ports[].nodePort", 0, &port.node_port) ||
            get_proto(c, pn, "spec.ports[].protocol", &port.proto))
            return ERR_INVALID;
        if (!port.port) {
            ynode_report(c->d, c->ys, pn, DIAG_ERROR, "missing 'spec.ports[].port'");
            return ERR_INVALID;
        }
        if (port.name && !*port.name)
            port.name = NULL;
        /* targetPort: a number, a container port name, or absent (= port). */
        n = ynode_get(pn, "targetPort");
        port.target_port = port.port;
        if (!ynode_is_null(n)) {
            int64_t v;
            const char *tn;
            if (n->kind == YNODE_SCALAR && n->u.scalar.len && n->u.scalar.s[0] >= '0' &&
                n->u.scalar.s[0] <= '9') {
                if (ynode_int(c->d, c->ys, n, "spec.ports[].targetPort", 1, 65535, &v))
                    return ERR_INVALID;
                port.target_port = (uint16_t)v;
            } else {
                if (ynode_str(c->d, c->ys, n, "spec.ports[].targetPort", &tn))
                    return ERR_INVALID;
                port.target_port = 0;
                port.target_name = inv_strdup(c, tn);
            }
        }
        ALLOC_GROW(s->ports, s->nports + 1, aports);
        s->ports[s->nports++] = port;
    }
    return 0;
}

static int load_slice(struct inv_ctx *c, const struct ynode *obj, struct inv_slice *s)
{
    const struct ynode *eps, *ports;
    const char *at = NULL;
    struct labels labels;
    struct inv_meta m;
    size_t aeps = 0, aports = 0;
    char q[64];
    int rc = ERR_INVALID;

    memset(s, 0, sizeof(*s));
    labels_init(&labels);
    c->obj = "EndpointSlice";
    if (get_meta(c, obj, 1, &labels, &m))
        goto out;
    s->ns = m.ns;
    s->name = m.name;
    s->created_ns = m.created_ns;
    s->deleted_ns = m.deleted_ns;
    if (labels_get(&labels, INV_SERVICE_NAME_LABEL))
        s->service = inv_strdup(c, labels_get(&labels, INV_SERVICE_NAME_LABEL));
    if (get_str(c, obj, "addressType", "addressType", &at) ||
        get_seq(c, obj, "endpoints", "endpoints", &eps) ||
        get_seq(c, obj, "ports", "ports", &ports))
        goto out;
    if (!at || !strcmp(at, "IPv4")) {
        s->family = 4;
    } else if (!strcmp(at, "IPv6")) {
        s->family = 6;
    } else if (!strcmp(at, "FQDN")) {
        s->family = 0;
    } else {
        ynode_report(c->d, c->ys, ynode_get(obj, "addressType"), DIAG_ERROR,
                     "unknown addressType '%s'", inv_quote(q, sizeof(q), at));
        goto out;
    }
    for (size_t i = 0; eps && i < eps->u.seq.n; i++) {
        const struct ynode *e = eps->u.seq.items[i];
        const struct ynode *addrs, *cond, *ref;
        struct inv_slice_endpoint ep;
        size_t aaddrs = 0;

        memset(&ep, 0, sizeof(ep));
        ep.ready = 1;
        ALLOC_GROW(s->eps, s->neps + 1, aeps);
        s->eps[s->neps++] = ep; /* owned by s from here, so errors free it */
        if (ynode_expect(c->d, c->ys, e, YNODE_MAP, "endpoints[]") ||
            get_seq(c, e, "addresses", "endpoints[].addresses", &addrs) ||
            get_map(c, e, "conditions", "endpoints[].conditions", &cond) ||
            get_bool(c, cond, "ready", "endpoints[].conditions.ready", &s->eps[i].ready) ||
            get_str(c, e, "nodeName", "endpoints[].nodeName", &s->eps[i].node) ||
            get_map(c, e, "targetRef", "endpoints[].targetRef", &ref) ||
            get_str(c, ref, "kind", "endpoints[].targetRef.kind", &s->eps[i].target_kind) ||
            get_str(c, ref, "namespace", "endpoints[].targetRef.namespace", &s->eps[i].target_ns) ||
            get_str(c, ref, "name", "endpoints[].targetRef.name", &s->eps[i].target_name))
            goto out;
        for (size_t k = 0; s->family && addrs && k < addrs->u.seq.n; k++) {
            struct ipaddr ip;
            const struct ynode *a = addrs->u.seq.items[k];
            if (parse_ip(c, a, "endpoints[].addresses[]", &ip) ||
                add_ip(c, a, &s->eps[i].addrs, &s->eps[i].naddrs, &aaddrs, &ip))
                goto out;
            if (ip.family != s->family) {
                ynode_report(c->d, c->ys, a, DIAG_ERROR,
                             "address family does not match addressType '%s'", at ? at : "IPv4");
                goto out;
            }
        }
    }
    for (size_t i = 0; ports && i < ports->u.seq.n; i++) {
        const struct ynode *pn = ports->u.seq.items[i];
        struct inv_port port;

        memset(&port, 0, sizeof(port));
        if (ynode_expect(c->d, c->ys, pn, YNODE_MAP, "ports[]") ||
            get_str(c, pn, "name", "ports[].name", &port.name) ||
            get_port(c, pn, "port", "ports[].port", 0, &port.port) ||
            get_proto(c, pn, "ports[].protocol", &port.proto))
            goto out;
        if (port.name && !*port.name)
            port.name = NULL;
        ALLOC_GROW(s->ports, s->nports + 1, aports);
        s->ports[s->nports++] = port;
    }
    rc = 0;
out:
    labels_release(&labels);
    return rc;
}

/* spec.podCIDRs (and spec.podCIDR, its first entry): the pod networks the
 * node was allotted (§11).  Calico's own IPAM does not use them, but they
 * still say where pods of the cluster live when it is in use. */
static int node_pod_cidrs(struct inv_ctx *c, const struct ynode *obj, struct inv_node *nd)
{
    const struct ynode *spec, *seq;
    size_t alloc = 0;

    if (get_map(c, obj, "spec", "spec", &spec) ||
        get_seq(c, spec, "podCIDRs", "spec.podCIDRs", &seq))
        return ERR_INVALID;
    for (size_t i = 0; spec && i <= (seq ? seq->u.seq.n : 0); i++) {
        const struct ynode *n = i == 0 ? ynode_get(spec, "podCIDR") : seq->u.seq.items[i - 1];
        const char *what = i == 0 ? "spec.podCIDR" : "spec.podCIDRs[]";
        struct cidr cd;
        const char *t;
        char q[64];
        int dup = 0;

        if (is_unset(n))
            continue;
        if (ynode_str(c->d, c->ys, n, what, &t))
            return ERR_INVALID;
        if (cidr_parse(t, n->u.scalar.len, &cd, NULL)) {
            ynode_report(c->d, c->ys, n, DIAG_ERROR, "invalid CIDR '%s' for '%s'",
                         inv_quote(q, sizeof(q), t), what);
            return ERR_INVALID;
        }
        for (size_t k = 0; k < nd->npod_cidrs && !dup; k++)
            dup = nd->pod_cidrs[k].plen == cd.plen && !ipaddr_cmp(&nd->pod_cidrs[k].addr, &cd.addr);
        if (dup)
            continue;
        if (nd->npod_cidrs >= LIM_INV_OBJECT_IPS) {
            ynode_report(c->d, c->ys, n, DIAG_ERROR, "more than %d pod CIDRs (LIM_INV_OBJECT_IPS)",
                         LIM_INV_OBJECT_IPS);
            return ERR_INVALID;
        }
        ALLOC_GROW(nd->pod_cidrs, nd->npod_cidrs + 1, alloc);
        nd->pod_cidrs[nd->npod_cidrs++] = cd;
    }
    return 0;
}

static int load_node(struct inv_ctx *c, const struct ynode *obj, struct inv_node *nd)
{
    const struct ynode *status, *addrs;
    struct inv_meta m;
    size_t a = 0;

    memset(nd, 0, sizeof(*nd));
    c->obj = "node";
    labels_init(&nd->labels);
    if (get_meta(c, obj, 0, &nd->labels, &m))
        return ERR_INVALID;
    nd->name = m.name;
    nd->created_ns = m.created_ns;
    nd->deleted_ns = m.deleted_ns;
    if (get_map(c, obj, "status", "status", &status) ||
        get_seq(c, status, "addresses", "status.addresses", &addrs) || node_pod_cidrs(c, obj, nd))
        return ERR_INVALID;
    for (size_t i = 0; addrs && i < addrs->u.seq.n; i++) {
        const struct ynode *e = addrs->u.seq.items[i];
        const struct ynode *an;
        struct inv_node_addr na;

        memset(&na, 0, sizeof(na));
        if (ynode_expect(c->d, c->ys, e, YNODE_MAP, "status.addresses[]") ||
            need_str(c, e, "type", "status.addresses[].type", &na.type))
            return ERR_INVALID;
        an = ynode_get(e, "address");
        if (ynode_is_null(an)) {
            ynode_report(c->d, c->ys, e, DIAG_ERROR, "missing 'status.addresses[].address'");
            return ERR_INVALID;
        }
        /* Hostname and InternalDNS entries are names; the IP types must
         * hold an address. */
        if (!strcmp(na.type, "InternalIP") || !strcmp(na.type, "ExternalIP")) {
            if (parse_ip(c, an, "status.addresses[].address", &na.ip))
                return ERR_INVALID;
        } else if (an->kind != YNODE_SCALAR ||
                   ipaddr_parse(an->u.scalar.s, an->u.scalar.len, &na.ip)) {
            memset(&na.ip, 0, sizeof(na.ip));
        }
        if (a >= LIM_INV_OBJECT_IPS) {
            ynode_report(c->d, c->ys, e, DIAG_ERROR, "more than %d addresses (LIM_INV_OBJECT_IPS)",
                         LIM_INV_OBJECT_IPS);
            return ERR_INVALID;
        }
        ALLOC_GROW(nd->addrs, nd->naddrs + 1, a);
        nd->addrs[nd->naddrs++] = na;
    }
    return 0;
}

/* ---- dispatch -------------------------------------------------------------- */

/* apiVersion of a modelled kind: core "v1" for Pod, Namespace, Service and
 * Node, discovery.k8s.io/v1 (or v1beta1) for EndpointSlice.  Absent is accepted (items of
 * a typed list omit it).  Another group with the same kind (Calico's
 * projectcalico.org/v3 Node) is a different object, not ours. */
static int api_ok(const struct ynode *obj, const char *group_prefix)
{
    const struct ynode *n = ynode_get(obj, "apiVersion");

    if (!n || n->kind != YNODE_SCALAR)
        return 1;
    if (!group_prefix)
        return !strcmp(n->u.scalar.s, "v1");
    return !strncmp(n->u.scalar.s, group_prefix, strlen(group_prefix));
}

static void malformed(struct inv_ctx *c)
{
    c->inv->malformed++;
}

/* Where an object starts, kept so later messages can point back at it. */
static void where(const struct inv_ctx *c, const struct ynode *obj, unsigned *line, unsigned *col,
                  const char **file)
{
    *line = obj->line;
    *col = obj->col;
    *file = c->file;
}

/* add_<kind>(): load one object and append it to its table; ERR_INVALID,
 * with nothing appended, when it is malformed. */
static int add_pod(struct inv_ctx *c, const struct ynode *obj)
{
    struct inventory *inv = c->inv;
    struct inv_pod p;

    if (load_pod(c, obj, &p)) {
        inv_pod_release(&p);
        return ERR_INVALID;
    }
    where(c, obj, &p.line, &p.col, &p.file);
    p.seq = inv->seq;
    ALLOC_GROW(inv->pods, inv->npods + 1, inv->apods);
    inv->pods[inv->npods++] = p;
    return 0;
}

static int add_namespace(struct inv_ctx *c, const struct ynode *obj)
{
    struct inventory *inv = c->inv;
    struct inv_namespace ns;

    if (load_namespace(c, obj, &ns)) {
        inv_namespace_release(&ns);
        return ERR_INVALID;
    }
    ns.seq = inv->seq; /* struct inv_namespace keeps no position */
    ALLOC_GROW(inv->nss, inv->nnss + 1, inv->anss);
    inv->nss[inv->nnss++] = ns;
    return 0;
}

static int add_service(struct inv_ctx *c, const struct ynode *obj)
{
    struct inventory *inv = c->inv;
    struct inv_service s;

    if (load_service(c, obj, &s)) {
        inv_service_release(&s);
        return ERR_INVALID;
    }
    where(c, obj, &s.line, &s.col, &s.file);
    s.seq = inv->seq;
    ALLOC_GROW(inv->svcs, inv->nsvcs + 1, inv->asvcs);
    inv->svcs[inv->nsvcs++] = s;
    return 0;
}

static int add_slice(struct inv_ctx *c, const struct ynode *obj)
{
    struct inventory *inv = c->inv;
    struct inv_slice s;

    if (load_slice(c, obj, &s)) {
        inv_slice_release(&s);
        return ERR_INVALID;
    }
    where(c, obj, &s.line, &s.col, &s.file);
    s.seq = inv->seq;
    ALLOC_GROW(inv->slices, inv->nslices + 1, inv->aslices);
    inv->slices[inv->nslices++] = s;
    return 0;
}

static int add_node(struct inv_ctx *c, const struct ynode *obj)
{
    struct inventory *inv = c->inv;
    struct inv_node nd;

    if (load_node(c, obj, &nd)) {
        inv_node_release(&nd);
        return ERR_INVALID;
    }
    where(c, obj, &nd.line, &nd.col, &nd.file);
    nd.seq = inv->seq;
    ALLOC_GROW(inv->nodes, inv->nnodes + 1, inv->anodes);
    inv->nodes[inv->nnodes++] = nd;
    return 0;
}

/* The kinds we model, with the API group each must come from (NULL: core
 * "v1"; see api_ok()). */
static const struct inv_kind {
    const char *kind;
    const char *group;
    int (*add)(struct inv_ctx *c, const struct ynode *obj);
} inv_kinds[] = {
    {"Pod", NULL, add_pod},         {"Namespace", NULL, add_namespace},
    {"Service", NULL, add_service}, {"EndpointSlice", "discovery.k8s.io/", add_slice},
    {"Node", NULL, add_node},
};

static void load_object(struct inv_ctx *c, const struct ynode *obj, const char *list_kind,
                        unsigned depth)
{
    struct inventory *inv = c->inv;
    const struct ynode *kn;
    const char *kind = NULL;
    size_t klen;

    if (ynode_expect(c->d, c->ys, obj, YNODE_MAP, "object")) {
        malformed(c);
        return;
    }
    kn = ynode_get(obj, "kind");
    if (ynode_is_null(kn)) {
        kind = list_kind;
    } else if (ynode_str(c->d, c->ys, kn, "kind", &kind)) {
        malformed(c);
        return;
    }
    if (!kind || !*kind) {
        ynode_report(c->d, c->ys, obj, DIAG_ERROR, "missing 'kind'");
        malformed(c);
        return;
    }
    klen = strlen(kind);
    if (klen >= 4 && !strcmp(kind + klen - 4, "List")) {
        const struct ynode *items;
        char *item_kind = NULL;

        if (depth >= LIM_INV_LIST_DEPTH) {
            ynode_report(c->d, c->ys, obj, DIAG_ERROR, "lists nested deeper than %d",
                         LIM_INV_LIST_DEPTH);
            malformed(c);
            return;
        }
        if (get_seq(c, obj, "items", "items", &items)) {
            malformed(c);
            return;
        }
        if (klen > 4)
            item_kind = arena_memdupz(&inv->arena, kind, klen - 4);
        for (size_t i = 0; items && i < items->u.seq.n; i++)
            load_object(c, items->u.seq.items[i], item_kind, depth + 1);
        return;
    }
    inv->seq++;
    for (size_t i = 0; i < sizeof(inv_kinds) / sizeof(inv_kinds[0]); i++) {
        const struct inv_kind *k = &inv_kinds[i];
        const struct ynode *av;

        if (strcmp(kind, k->kind))
            continue;
        if (api_ok(obj, k->group)) {
            if (k->add(c, obj))
                malformed(c);
            return;
        }
        /* A kind we model but from another API group (Calico's Node) is
         * counted under its group, so the summary does not read as if a
         * Kubernetes Node had been dropped. */
        av = ynode_get(obj, "apiVersion");
        if (av && av->kind == YNODE_SCALAR && strcmp(av->u.scalar.s, "v1")) {
            char both[160];
            snprintf(both, sizeof(both), "%.100s %.50s", av->u.scalar.s, kind);
            inv_count_skipped(inv, both);
            return;
        }
        break;
    }
    inv_count_skipped(inv, kind);
}

/*
 * Streaming load.  A 100k-pod inventory is ~13M YAML nodes (~750 MB as one
 * tree), so files are read one object at a time (ystream_each_*): memory
 * is bounded by the model, not by the text.  Raw API lists (PodList...)
 * may leave "kind" out of their items, and the list's own kind is printed
 * after them, so kindless items are kept (cloned) until the list's root
 * arrives.  A file that turns out not to be YAML/JSON half way must not
 * leave half its objects behind (the header's promise, and what a capture
 * re-reading a file still being written needs), so a failed load rolls
 * the inventory back to where it was.
 */
struct inv_mark {
    size_t npods, nnss, nsvcs, nslices, nnodes;
    size_t nskipped, skipped_total, malformed, field_problems, seq;
    size_t *skipped_counts; /* malloc'd copy of skipped[i].count */
};

static void inv_mark_take(const struct inventory *inv, struct inv_mark *m)
{
    m->npods = inv->npods;
    m->nnss = inv->nnss;
    m->nsvcs = inv->nsvcs;
    m->nslices = inv->nslices;
    m->nnodes = inv->nnodes;
    m->nskipped = inv->nskipped;
    m->skipped_total = inv->skipped_total;
    m->malformed = inv->malformed;
    m->field_problems = inv->field_problems;
    m->seq = inv->seq;
    m->skipped_counts = xcalloc(inv->nskipped ? inv->nskipped : 1, sizeof(size_t));
    for (size_t i = 0; i < inv->nskipped; i++)
        m->skipped_counts[i] = inv->skipped[i].count;
}

static void inv_mark_rollback(struct inventory *inv, const struct inv_mark *m)
{
    while (inv->npods > m->npods)
        inv_pod_release(&inv->pods[--inv->npods]);
    while (inv->nnss > m->nnss)
        inv_namespace_release(&inv->nss[--inv->nnss]);
    while (inv->nsvcs > m->nsvcs)
        inv_service_release(&inv->svcs[--inv->nsvcs]);
    while (inv->nslices > m->nslices)
        inv_slice_release(&inv->slices[--inv->nslices]);
    while (inv->nnodes > m->nnodes)
        inv_node_release(&inv->nodes[--inv->nnodes]);
    inv->nskipped = m->nskipped;
    for (size_t i = 0; i < m->nskipped; i++)
        inv->skipped[i].count = m->skipped_counts[i];
    inv->skipped_total = m->skipped_total;
    inv->malformed = m->malformed;
    inv->field_problems = m->field_problems;
    inv->seq = m->seq;
}

struct inv_stream {
    struct inv_ctx c;
    struct arena pending_arena; /* clones of kindless list items */
    struct ynode **pending;     /* malloc'd, items waiting for their list's kind */
    size_t npending, apending;
};

static int inv_each(void *ctx, const struct ystream *ys, const struct ynode *obj, int in_list)
{
    struct inv_stream *s = ctx;

    s->c.ys = ys;
    if (!s->c.file)
        s->c.file = arena_strdup(&s->c.inv->arena, ys->name ? ys->name : "<stdin>");
    if (!obj) /* an empty document ("---" alone) holds nothing */
        return 0;
    if (in_list) {
        if (obj->kind == YNODE_MAP && ynode_is_null(ynode_get(obj, "kind"))) {
            ALLOC_GROW(s->pending, s->npending + 1, s->apending);
            s->pending[s->npending++] = ynode_clone(&s->pending_arena, obj);
        } else {
            load_object(&s->c, obj, NULL, 1);
        }
        return 0;
    }
    if (s->npending) {
        const struct ynode *kn = ynode_get(obj, "kind");
        const char *item_kind = NULL;

        if (obj->kind == YNODE_MAP && kn && kn->kind == YNODE_SCALAR && kn->u.scalar.len > 4 &&
            !strcmp(kn->u.scalar.s + kn->u.scalar.len - 4, "List"))
            item_kind = arena_memdupz(&s->c.inv->arena, kn->u.scalar.s, kn->u.scalar.len - 4);
        for (size_t i = 0; i < s->npending; i++)
            load_object(&s->c, s->pending[i], item_kind, 1);
        s->npending = 0;
        arena_reset(&s->pending_arena);
    }
    load_object(&s->c, obj, NULL, 0);
    return 0;
}

static int inventory_load_each(struct inventory *inv, const char *path, const char *name,
                               const char *data, size_t len, struct diag *d)
{
    struct inv_stream s;
    struct inv_mark m;
    int rc;

    memset(&s, 0, sizeof(s));
    s.c.inv = inv;
    s.c.d = d;
    arena_init(&s.pending_arena, 0);
    inv_mark_take(inv, &m);
    if (path)
        rc = ystream_each_file(path, inv_each, &s, d);
    else
        rc = ystream_each_mem(name, data, len, inv_each, &s, d);
    if (rc)
        inv_mark_rollback(inv, &m);
    else
        inv_finish(inv);
    free(m.skipped_counts);
    free(s.pending);
    arena_release(&s.pending_arena);
    return rc;
}

int inventory_load_file(struct inventory *inv, const char *path, struct diag *d)
{
    return inventory_load_each(inv, path, NULL, NULL, 0, d);
}

int inventory_load_mem(struct inventory *inv, const char *name, const char *data, size_t len,
                       struct diag *d)
{
    return inventory_load_each(inv, NULL, name, data, len, d);
}
