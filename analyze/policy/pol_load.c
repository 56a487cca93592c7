/*
 * pol_load.c: policy_set_load(): the -p paths (files, directories searched
 * recursively for *.yaml, *.yml and *.json, "-" for stdin), the documents in
 * them (single objects, multi-document YAML, kind List and every *List, as
 * kubectl and calicoctl print them), dispatch by apiVersion and kind, and
 * the checks across objects (duplicates, Calico's copies of Kubernetes
 * policies).  A path that does not exist is an error; a document that is not
 * a Kubernetes object (a sequence, a scalar, a mapping without apiVersion
 * and kind) is an error; a set of paths that yields no policy object is an
 * error unless an empty set was asked for (POLICY_LOAD_ALLOW_EMPTY, the
 * commands' --no-policies): it would fail open, "nothing denied" (DESIGN.md,
 * Analyze).  One path of several that yields nothing is a warning.
 *
 * crd.projectcalico.org/v1 objects (Calico's storage form, what kubectl
 * prints without the Calico API server) are read as Calico reads its own
 * storage (docs/semantics.md §14): pol_crd.c turns their metadata back into
 * the projectcalico.org/v3 form, then they take the v3 path.
 *
 * FelixConfiguration and IPPool objects are read too (pol_felix.c): they
 * change verdicts without being policy.  Objects of kinds that policy
 * evaluation does not model (Pods, Services, ConfigMaps, ...) are skipped
 * silently, so that a directory holding a whole
 * application can be given; Calico and Kubernetes policy kinds we do not
 * evaluate (Profile, ...) are skipped with a warning, since
 * they can change verdicts in a real cluster.  A ClusterInformation object
 * is read for its calicoVersion, which settles how the admin policy kinds
 * are judged (§15.1).
 */
#include "analyze/policy/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze/policy/pol_int.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/pathwalk.h"
#include "common/xmalloc.h"
#include "common/ydoc.h"
#include "common/compat.h"

/* projectcalico.org/v3 kinds we read. */
static const char *const calico_kinds[] = {"NetworkPolicy",
                                           "GlobalNetworkPolicy",
                                           "StagedNetworkPolicy",
                                           "StagedGlobalNetworkPolicy",
                                           "StagedKubernetesNetworkPolicy",
                                           "Tier",
                                           "NetworkSet",
                                           "GlobalNetworkSet",
                                           "HostEndpoint",
                                           NULL};
/* projectcalico.org/v3 kinds that exist but say nothing about policy
 * verdicts between pods (or that we do not model, said in a warning). */
static const char *const calico_other_kinds[] = {"BGPConfiguration",
                                                 "BGPFilter",
                                                 "BGPPeer",
                                                 "BlockAffinity",
                                                 "CalicoNodeStatus",
                                                 "ClusterInformation",
                                                 "IPAMBlock",
                                                 "IPAMConfiguration",
                                                 "IPAMConfig", /* its CRD's name */
                                                 "IPAMHandle",
                                                 "IPReservation",
                                                 "KubeControllersConfiguration",
                                                 "Node",
                                                 "WorkloadEndpoint",
                                                 "QoSPolicy",
                                                 NULL};

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static void read_doc(struct pol_ctx *c, const struct ynode *doc, const char *def_api,
                     const char *def_kind, int depth);

static void read_list(struct pol_ctx *c, const struct ynode *doc, const char *api, const char *kind,
                      int depth)
{
    const struct ynode *items = ynode_get(doc, "items");
    char item_kind[128] = "";

    if (pv_seq(c, items, "items") != 0)
        return;
    /* The items of a typed list (NetworkPolicyList) may leave their kind
     * out; a plain List's items carry their own. */
    if (strcmp(kind, "List") != 0 && strlen(kind) - 4 < sizeof(item_kind))
        snprintf(item_kind, sizeof(item_kind), "%.*s", (int)(strlen(kind) - 4), kind);
    for (size_t i = 0; i < items->u.seq.n; i++)
        read_doc(c, items->u.seq.items[i], item_kind[0] ? api : NULL,
                 item_kind[0] ? item_kind : NULL, depth + 1);
}

/* A Calico kind (projectcalico.org/v3, or crd.projectcalico.org/v1 when
 * crd): read, skipped with a warning, or refused when unknown. */
static void read_calico(struct pol_ctx *c, const struct ynode *doc, const char *api,
                        const char *kind, int crd)
{
    if (strcmp(kind, "StagedKubernetesNetworkPolicy") == 0) {
        c->objects++;
        pk_read_object(c, doc, 1);
    } else if (in_list(calico_kinds, kind)) {
        c->objects++;
        if (crd) {
            doc = pcrd_to_v3(c, doc, kind);
            if (!doc)
                return;
        }
        c->crd_form = crd;
        pc_read_object(c, doc, kind);
        c->crd_form = 0;
    } else if (strcmp(kind, "FelixConfiguration") == 0) {
        /* Storage form and API form share the spec and the name. */
        pf_read_felixconfig(c, doc);
    } else if (strcmp(kind, "IPPool") == 0) {
        pf_read_ippool(c, doc);
    } else if (strcmp(kind, "Profile") == 0) {
        pv_warn(c, doc,
                "%s objects are not modelled; ignored (verdicts involving custom "
                "profiles may differ)",
                kind);
    } else if (!in_list(calico_other_kinds, kind)) {
        pv_err(c, ynode_get(doc, "kind"), "unknown %s kind '%s'", api, kind);
    }
}

static void read_doc(struct pol_ctx *c, const struct ynode *doc, const char *def_api,
                     const char *def_kind, int depth)
{
    const char *api = def_api, *kind = def_kind;
    size_t klen;

    if (!doc)
        return; /* an empty document */
    if (doc->kind != YNODE_MAP) {
        pv_err(c, doc,
               "not a Kubernetes object (%s): a policy file holds objects with apiVersion "
               "and kind, one per document or in a List",
               ynode_kind_name(doc->kind));
        return;
    }
    if (pv_str(c, ynode_get(doc, "apiVersion"), "apiVersion", &api) < 0 ||
        pv_str(c, ynode_get(doc, "kind"), "kind", &kind) < 0)
        return;
    if (!api || !kind) {
        pv_err(c, doc, "no %s: not a Kubernetes object",
               !api && !kind ? "apiVersion and kind"
               : !api        ? "apiVersion"
                             : "kind");
        return;
    }
    klen = strlen(kind);
    if (klen >= 4 && strcmp(kind + klen - 4, "List") == 0 && ynode_get(doc, "items")) {
        if (depth > 0) {
            pv_err(c, doc, "a %s inside a list", kind);
            return;
        }
        read_list(c, doc, api, kind, depth);
        return;
    }
    if (strcmp(kind, "ClusterInformation") == 0 &&
        (strcmp(api, "projectcalico.org/v3") == 0 ||
         strncmp(api, "crd.projectcalico.org/", 22) == 0)) {
        pa_read_cluster_info(c, doc);
        return;
    }
    if (strcmp(api, "projectcalico.org/v3") == 0) {
        read_calico(c, doc, api, kind, 0);
        return;
    }
    if (strcmp(api, "crd.projectcalico.org/v1") == 0) {
        read_calico(c, doc, api, kind, 1);
        return;
    }
    if (strcmp(api, "networking.k8s.io/v1") == 0) {
        if (strcmp(kind, "NetworkPolicy") == 0) {
            c->objects++;
            pk_read_object(c, doc, 0);
        }
        return;
    }
    if (strcmp(api, "policy.networking.k8s.io/v1alpha1") == 0 &&
        (strcmp(kind, "AdminNetworkPolicy") == 0 ||
         strcmp(kind, "BaselineAdminNetworkPolicy") == 0)) {
        c->objects++;
        pa_read_object(c, doc, kind[0] == 'A' ? POL_ANP : POL_BANP);
        return;
    }
    if (strcmp(api, "policy.networking.k8s.io/v1alpha2") == 0 &&
        strcmp(kind, "ClusterNetworkPolicy") == 0) {
        c->objects++;
        pa_read_object(c, doc, POL_CNP);
        return;
    }
    if (strncmp(api, "policy.networking.k8s.io/", 25) == 0) {
        pv_warn(c, doc,
                "%s (%s) is not modelled; ignored (AdminNetworkPolicy and "
                "BaselineAdminNetworkPolicy are v1alpha1, ClusterNetworkPolicy v1alpha2)",
                kind, api);
        return;
    }
    if (strncmp(api, "projectcalico.org/", 18) == 0 ||
        strncmp(api, "crd.projectcalico.org/", 22) == 0 ||
        (strcmp(kind, "NetworkPolicy") == 0 && strncmp(api, "networking.k8s.io/", 18) == 0))
        pv_err(c, ynode_get(doc, "apiVersion"), "unsupported apiVersion '%s' for %s", api, kind);
    /* Anything else (Pods, Services, Namespaces, ...) is not policy. */
}

/* One file (path) or, when data is not NULL, one buffer named path. */
static int load_file(struct pol_ctx *c, const char *path, const char *data, size_t len)
{
    struct ystream ys;
    unsigned before = c->d->errors;
    int rc;

    memset(&ys, 0, sizeof(ys));
    if (data)
        rc = ystream_load_mem(&ys, path, data, len, c->d);
    else
        rc = ystream_load_file(&ys, path, c->d);
    c->ps->files++;
    if (rc != 0) {
        if (c->d->errors == before)
            diag_err(c->d, "cannot read '%s': %s", path, err_str(rc));
        c->errors++;
        if (!c->rc)
            c->rc = rc;
        return rc;
    }
    c->ys = &ys;
    c->file = arena_strdup(c->a, ys.name ? ys.name : path);
    for (size_t i = 0; i < ys.ndocs; i++)
        read_doc(c, ys.docs[i], NULL, NULL, 0);
    c->ys = NULL;
    ystream_release(&ys);
    return 0;
}

static void load_dir_file(void *ctx, const char *file)
{
    (void)load_file(ctx, file, NULL, 0);
}

/* 1 when path yielded no policy object and nothing went wrong reading it
 * (an unreadable or broken file says so itself, once). */
static int load_path(struct pol_ctx *c, const char *path)
{
    struct stat st;
    unsigned before = c->objects, config_before = c->config_objects;
    unsigned errs = c->errors + c->d->errors;

    if (strcmp(path, "-") == 0) {
        (void)load_file(c, "-", NULL, 0);
    } else if (stat(path, &st) != 0) {
        int e = errno;

        diag_err(c->d, "cannot read policy path '%s': %s", path, strerror(e));
        c->errors++;
        if (!c->rc)
            c->rc = -e;
        return 0;
    } else if (S_ISDIR(st.st_mode)) {
        c->errors += pathwalk_dir(path, load_dir_file, c, c->d);
    } else {
        (void)load_file(c, path, NULL, 0);
    }
    return c->objects == before && c->config_objects == config_before &&
           c->errors + c->d->errors == errs;
}

/* Order for finding duplicates: kind, namespace, name. */
static int dup_cmp(const void *a, const void *b)
{
    const struct policy *const *x = a;
    const struct policy *const *y = b;
    int r;

    if ((*x)->kind != (*y)->kind)
        return (*x)->kind < (*y)->kind ? -1 : 1;
    r = strcmp((*x)->ns ? (*x)->ns : "", (*y)->ns ? (*y)->ns : "");
    if (r)
        return r;
    r = strcmp((*x)->name, (*y)->name);
    if (r)
        return r;
    /* Keep load order among equals so the first one is named first. */
    return *x < *y ? -1 : *x > *y;
}

static void check_duplicates(struct pol_ctx *c)
{
    struct policy **v;

    if (c->npols < 2)
        return;
    v = xcalloc(c->npols, sizeof(*v));
    for (size_t i = 0; i < c->npols; i++)
        v[i] = &c->pols[i];
    qsort(v, c->npols, sizeof(*v), dup_cmp);
    for (size_t i = 1; i < c->npols; i++) {
        const struct policy *a = v[i - 1], *b = v[i];

        if (a->kind == b->kind && strcmp(a->name, b->name) == 0 &&
            strcmp(a->ns ? a->ns : "", b->ns ? b->ns : "") == 0) {
            diag_at(c->d, DIAG_ERROR, b->file, b->line, 0,
                    "duplicate %s '%s%s%s' (also defined at %s:%u)", pol_kind_name(b->kind),
                    b->ns ? b->ns : "", b->ns ? "/" : "", b->name, a->file, a->line);
            c->errors++;
        }
    }
    free(v);
}

/*
 * A projectcalico.org NetworkPolicy named "knp.default.<name>" is Calico's
 * own copy of the Kubernetes NetworkPolicy <name> of its namespace:
 * calicoctl and the Calico API server up to v3.31 list them among Calico's
 * policies (§14).  When that Kubernetes policy is loaded too, the copy is
 * dropped, so that the policy is counted once.
 */
static void drop_knp_copies(struct pol_ctx *c)
{
    size_t out = 0;

    for (size_t i = 0; i < c->npols; i++) {
        const struct policy *p = &c->pols[i];
        int dup = 0;

        if (p->kind == POL_NP && strncmp(p->name, "knp.default.", 12) == 0) {
            for (size_t j = 0; j < c->npols && !dup; j++) {
                const struct policy *k = &c->pols[j];

                if (k->kind == POL_KNP && strcmp(k->name, p->name + 12) == 0 &&
                    strcmp(k->ns ? k->ns : "", p->ns ? p->ns : "") == 0) {
                    diag_at(c->d, DIAG_WARNING, p->file, p->line, 0,
                            "NetworkPolicy '%s/%s' is Calico's copy of the Kubernetes "
                            "NetworkPolicy at %s:%u; counted once",
                            p->ns ? p->ns : "", p->name, k->file, k->line);
                    dup = 1;
                }
            }
        }
        if (!dup)
            c->pols[out++] = *p;
    }
    c->npols = out;
}

static void ctx_free(struct pol_ctx *c)
{
    for (size_t i = 0; i < c->nsets; i++)
        labels_release(&c->sets[i].labels);
    for (size_t i = 0; i < c->nheps; i++)
        labels_release(&c->heps[i].labels);
    free(c->heps);
    free(c->pols);
    free(c->sets);
    free(c->tiers);
    free(c->felix);
    free(c->pools);
}

/* A copy of v[0..n) (elements of size bytes) in a; never NULL. */
static void *to_arena(struct arena *a, const void *v, size_t n, size_t size)
{
    void *out = arena_calloc(a, n ? n : 1, size);

    if (n)
        memcpy(out, v, n * size);
    return out;
}

/* paths[0..npaths), or when data is not NULL the one buffer named name. */
static int load_set(struct policy_set *ps, const char *const *paths, size_t npaths,
                    const char *name, const char *data, size_t len, unsigned flags, struct diag *d)
{
    struct pol_ctx c;
    char *empty = xcalloc(npaths + 1, 1); /* empty[i]: paths[i] yielded nothing */
    unsigned derrs = d->errors;

    memset(ps, 0, sizeof(*ps));
    arena_init(&ps->arena, 0);
    memset(&c, 0, sizeof(c));
    c.ps = ps;
    c.a = &ps->arena;
    c.d = d;
    for (size_t i = 0; i < npaths; i++)
        empty[i] = (char)load_path(&c, paths[i]);
    if (data && load_file(&c, name, data, len) == 0 && c.objects == 0 && c.config_objects == 0)
        empty[npaths] = 1;
    if (!c.errors && d->errors == derrs && c.objects == 0 && !(flags & POLICY_LOAD_ALLOW_EMPTY)) {
        struct buf b;

        /* Judging against nothing allows everything: fail closed. */
        buf_init(&b, 0);
        for (size_t i = 0; i <= npaths; i++)
            if (empty[i] &&
                buf_addf(&b, "%s'%s'", b.len ? ", " : "",
                         i < npaths ? (strcmp(paths[i], "-") ? paths[i] : "<stdin>") : name) != 0)
                break;
        diag_err(d,
                 "no policy object in %s: a check against no policies allows everything "
                 "(give --no-policies if that is what you mean)",
                 b.len ? b.data : "the policy paths (none given)");
        buf_release(&b);
        c.errors++;
    } else if (c.objects) {
        for (size_t i = 0; i <= npaths; i++)
            if (empty[i])
                diag_warn(d, "'%s' holds no policy objects",
                          i < npaths ? (strcmp(paths[i], "-") ? paths[i] : "<stdin>") : name);
    }
    free(empty);
    drop_knp_copies(&c);
    check_duplicates(&c);
    if (c.errors) {
        diag_err(d, "policy set not loaded: %u error%s", c.errors, c.errors == 1 ? "" : "s");
        ctx_free(&c);
        policy_set_release(ps);
        /* The first file that could not be read or parsed names the
         * failure; otherwise the objects were invalid. */
        return c.rc ? c.rc : ERR_INVALID;
    }
    pa_settle_version(&c, POLICY_LOAD_CALICO_OF(flags));
    /* Move what was built into the arena, where the set owns it. */
    ps->npolicies = c.npols;
    ps->policies = to_arena(c.a, c.pols, c.npols, sizeof(*ps->policies));
    ps->nnetsets = c.nsets;
    ps->netsets = to_arena(c.a, c.sets, c.nsets, sizeof(*ps->netsets)); /* labels move too */
    c.nsets = 0;
    ps->nfelix = c.nfelix;
    ps->felix = to_arena(c.a, c.felix, c.nfelix, sizeof(*ps->felix));
    ps->nippools = c.npools;
    ps->ippools = to_arena(c.a, c.pools, c.npools, sizeof(*ps->ippools));
    ps->nheps = c.nheps;
    ps->heps = arena_calloc(c.a, c.nheps ? c.nheps : 1, sizeof(*ps->heps));
    if (c.nheps)
        memcpy(ps->heps, c.heps, c.nheps * sizeof(*ps->heps)); /* labels move too */
    c.nheps = 0;
    policy_set_build_tiers(&c);
    ctx_free(&c);
    return 0;
}

int policy_set_load(struct policy_set *ps, const char *const *paths, size_t npaths, unsigned flags,
                    struct diag *d)
{
    return load_set(ps, paths, npaths, NULL, NULL, 0, flags, d);
}

int policy_set_load_mem(struct policy_set *ps, const char *name, const char *data, size_t len,
                        unsigned flags, struct diag *d)
{
    /* A zero-length buffer still needs a non-NULL pointer to mean "a buffer". */
    return load_set(ps, NULL, 0, name, data ? data : "", len, flags, d);
}
