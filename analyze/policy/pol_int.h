/*
 * pol_int.h: what the policy loader's files share (pol_load.c, pol_calico.c,
 * pol_k8s.c, pol_valid.c, policy.c).  Not a contract for other modules.
 *
 * Loading follows Calico's own pipeline (docs/semantics.md §0): each
 * resource is read into a "v3" policy, the projectcalico.org/v3 API shape
 * with selectors still as text (Kubernetes policies are first converted into
 * one, as conversion.go does); the v3 policy is validated; then it is turned
 * into the backend model of policy.h, where Calico's string rewriting of
 * selectors (§2) happens.  Every problem is reported, with file:line:col,
 * before the load fails.
 */
#ifndef PODFLOW_ANALYZE_POL_INT_H
#define PODFLOW_ANALYZE_POL_INT_H

#include <stddef.h>

#include "analyze/policy/policy.h"
#include "common/attrs.h"
#include "common/err.h"
#include "common/ydoc.h"

struct sel;

/* A v3 EntityRule as written (policy_common.go).  Empty strings are stored
 * as NULL: Go's omitempty makes "" and absent the same thing. */
struct v3_entity {
    const char *selector;
    const char *notselector;
    const char *nsselector;
    int has_sa; /* serviceAccounts given (even empty) */
    const char *sa_selector;
    const char **sa_names; /* arena array */
    size_t nsa_names;
    int has_svc; /* services given */
    const char *svc_name;
    const char *svc_ns;
    struct cidr *nets; /* arena array, host bits cleared */
    size_t nnets;
    struct cidr *notnets;
    size_t nnotnets;
    struct port_match *ports; /* arena array */
    size_t nports;
    struct port_match *notports;
    size_t nnotports;
    /* Where things were written, for messages (NULL when converted). */
    const struct ynode *n_self, *n_ports, *n_notports, *n_svc;
};

/* A v3 Rule as written. */
struct v3_rule {
    enum rule_action action;
    int ip_version;    /* 0 unset, 4, 6 */
    int proto;         /* -1 unset, else 1..255 */
    int proto_by_name; /* protocol was a name (ICMP/ICMPv6 imply a family) */
    int notproto;
    int notproto_by_name;
    int has_icmp, has_noticmp;
    struct icmp_match icmp, noticmp;
    int has_http;
    struct v3_entity src, dst;
    const char *name;   /* converted admin rules: the rule's name, or NULL */
    int src_rule1;      /* converted admin rules: 1 + index of the rule as written; 0 otherwise */
    int fail_closed;    /* an admin rule Calico could not convert (§15.5) */
    unsigned line, col; /* the rule's position */
    const struct ynode *n_self;
};

/* A v3 policy of any kind (Kubernetes ones already converted). */
struct v3_policy {
    enum pol_kind kind;
    const char *name;
    const char *ns;   /* NULL for global kinds */
    const char *tier; /* "default" unless given */
    int has_order;
    double order;
    int priority;         /* admin kinds: spec.priority (BANP: -1) */
    unsigned types_v329;  /* ANP: types from the rules as written (§15.3) */
    const char *selector; /* raw text, NULL: empty */
    const char *sa_selector;
    const char *ns_selector; /* GNP only */
    unsigned types;          /* DIR_* bits as written (or set by conversion) */
    int types_given;
    int do_not_track, pre_dnat, apply_on_forward;
    int staged, staged_delete;
    struct v3_rule *ingress; /* arena array */
    size_t ningress;
    struct v3_rule *egress;
    size_t negress;
    unsigned line, col; /* the object's position */
    const struct ynode *n_self;
};

/* A Tier object. */
struct tier_def {
    const char *name;
    int has_order;
    double order;
    int default_pass;
    const char *file;
    unsigned line;
};

/* Loader state for one policy_set_load() call. */
struct pol_ctx {
    struct policy_set *ps;
    struct arena *a; /* == &ps->arena */
    struct diag *d;
    const struct ystream *ys; /* stream being read */
    const char *file;         /* its name, arena copy */
    unsigned errors;          /* errors found by the loader itself */
    int rc;                   /* first unreadable/unparsable file's code, or 0 */
    /* Built as we go (malloc'd; moved into the arena at the end). */
    struct policy *pols;
    size_t npols, apols;
    struct netset *sets;
    size_t nsets, asets;
    struct tier_def *tiers;
    size_t ntiers, atiers;
    struct felix_config *felix; /* FelixConfiguration objects */
    size_t nfelix, afelix;
    struct ippool *pools;
    size_t npools, apools;
    unsigned objects;        /* policy-related objects seen */
    unsigned config_objects; /* FelixConfiguration and IPPool objects seen */
    int crd_form;            /* reading a crd.projectcalico.org/v1 object (§14) */
    struct hostep *heps;
    size_t nheps, aheps;
    /* §15.1: the Calico version a ClusterInformation object gave (0: none),
     * and where, for messages. */
    int cluster_calico;
    const char *cluster_calico_file;
    unsigned cluster_calico_line;
};

/* --- pol_valid.c: reporting, typed reads, Calico/Kubernetes validators --- */

void pv_err(struct pol_ctx *c, const struct ynode *n, const char *fmt, ...) PRINTF_LIKE(3, 4);
void pv_warn(struct pol_ctx *c, const struct ynode *n, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* "<what>.<field>" into w (truncated to size): the field path used in
 * messages. */
void pv_path(char *w, size_t size, const char *what, const char *field);
/* "<what>[<i>]" into w (truncated to size), as snprintf "%s[%zu]" writes
 * it: the path of a sequence's item. */
void pv_index(char *w, size_t size, const char *what, size_t i);

/* Report every key of map not in the NULL-terminated list allowed, as an
 * error "unknown field '<what>.<key>'".  Returns how many were unknown. */
int pv_fields(struct pol_ctx *c, const struct ynode *map, const char *const *allowed,
              const char *what);

/* Typed reads of a scalar or collection at n (NULL or a plain null means
 * absent: *out is left alone and 1 is returned).  0 when read, -1 after
 * reporting "expected a <x> for '<what>', found ...".  Strings refuse plain
 * scalars that YAML reads as numbers or booleans (sigs.k8s.io/yaml and
 * kubectl refuse them for string fields too); numbers refuse quoted text. */
int pv_str(struct pol_ctx *c, const struct ynode *n, const char *what, const char **out);
int pv_map(struct pol_ctx *c, const struct ynode *n, const char *what);
int pv_seq(struct pol_ctx *c, const struct ynode *n, const char *what);
int pv_bool(struct pol_ctx *c, const struct ynode *n, const char *what, int *out);
int pv_number(struct pol_ctx *c, const struct ynode *n, const char *what, double *out);
int pv_int(struct pol_ctx *c, const struct ynode *n, const char *what, long lo, long hi, long *out);
/* 1 when n reads as Go's zero value (absent, null, {}, [], "", false):
 * what a staged Delete must hold in every field but the tier. */
int pv_is_zero(const struct ynode *n);
/* 1 when n is a plain scalar YAML would read as a number (or bool). */
int pv_plain_number(const struct ynode *n);
int pv_plain_bool(const struct ynode *n, int *val);

/* Kubernetes name and label grammars (k8s.io/apimachinery validation). */
int pv_is_dns_label(const char *s);
int pv_is_dns_subdomain(const char *s);
int pv_is_qualified_name(const char *s);
int pv_is_label_value(const char *s);
int pv_is_port_name(const char *s); /* IANA_SVC_NAME: IsValidPortName */
/* Calico's resource name rules (validator.go). */
int pv_is_np_name(const char *s);  /* networkPolicyNameRegex */
int pv_is_gnp_name(const char *s); /* globalNetworkPolicyNameRegex */

/* Check labels (and optionally annotation keys) of a metadata map. */
void pv_meta_labels(struct pol_ctx *c, const struct ynode *meta);

/* Parse a selector written at n (text s); report a fault at its column.
 * Returns the AST (in the set's arena) or NULL after reporting. */
struct sel *pv_selector(struct pol_ctx *c, const struct ynode *n, const char *s, const char *what);
/* Calico's textual global() checks (validator.go / CEL). */
void pv_no_global(struct pol_ctx *c, const struct ynode *n, const char *s, const char *what);
void pv_global_alone(struct pol_ctx *c, const struct ynode *n, const char *s, const char *what);

/* Rule-level checks of validator.go validateRule / validateEntityRule and
 * the CEL rules of policy_common.go, on a rule already read. */
void pv_rule(struct pol_ctx *c, const struct v3_rule *r, int egress, int global);

/* Read and check the common metadata of an object (top-level and metadata
 * fields, name, namespace; a namespaced object without one is in
 * "default").  0, or -1 after reporting. */
int pv_meta(struct pol_ctx *c, const struct ynode *doc, int namespaced, const char **name,
            const char **ns, const struct ynode **meta_out);

/* --- pol_calico.c ---------------------------------------------------------- */

/* Read one projectcalico.org/v3 object of kind kind (doc is its mapping). */
void pc_read_object(struct pol_ctx *c, const struct ynode *doc, const char *kind);
/* Read a v3 rule list (ingress/egress) into an arena array. */
int pc_read_rules(struct pol_ctx *c, const struct ynode *seq, const char *what, int egress,
                  int global, struct v3_rule **out, size_t *n);

/* --- pol_crd.c ---------------------------------------------------------------- */

/* The projectcalico.org/v3 form of a crd.projectcalico.org/v1 object of
 * kind kind (doc is its mapping), as libcalico-go reads its storage
 * (§14): doc itself, a rewritten copy in c's arena, or NULL after
 * reporting an annotation Calico could not read either. */
const struct ynode *pcrd_to_v3(struct pol_ctx *c, const struct ynode *doc, const char *kind);

/* --- pol_felix.c ------------------------------------------------------------- */

/* Read a projectcalico.org/v3 FelixConfiguration (the fields of §13) or
 * IPPool (§11) into c->felix / c->pools. */
void pf_read_felixconfig(struct pol_ctx *c, const struct ynode *doc);
void pf_read_ippool(struct pol_ctx *c, const struct ynode *doc);

/* --- pol_k8s.c --------------------------------------------------------------- */

/* Read a networking.k8s.io/v1 NetworkPolicy (or the spec of a
 * StagedKubernetesNetworkPolicy when staged) and add its conversion. */
void pk_read_object(struct pol_ctx *c, const struct ynode *doc, int staged);

/* Calico's SimplifyPorts (conversion.go): named ports first, then numeric
 * ranges merged; ports[] is rewritten, *n updated. */
void pk_simplify_ports(struct port_match *ports, size_t *n);

/* How a metav1.LabelSelector is read and converted (k8sSelectorToCalico). */
enum pk_sel_flags {
    PK_SEL_POD = 1 << 0, /* the pod form: starts with the orchestrator clause; else the
                            namespace form ("" when absent, "all()" when empty) */
    PK_SEL_CRD = 1 << 1  /* in a custom resource (§15.2): the API server checks the
                            structure only, so a matchExpression Calico would still convert
                            (unknown operator, In without values) is a warning and
                            converted as Calico does */
};

/* k8sSelectorToCalico over the selector written at n (absent or null: nil),
 * validated on the way.  Returns arena text, or NULL after an error. */
const char *pk_selector(struct pol_ctx *c, const struct ynode *n, const char *what, unsigned flags);

/* --- pol_admin.c ------------------------------------------------------------- */

/* Read a policy.networking.k8s.io AdminNetworkPolicy, BaselineAdminNetworkPolicy
 * (v1alpha1) or ClusterNetworkPolicy (v1alpha2) and add its conversion (§15,
 * §16).  kind is one of POL_ANP, POL_BANP, POL_CNP. */
void pa_read_object(struct pol_ctx *c, const struct ynode *doc, enum pol_kind kind);

/* Read a projectcalico.org/v3 ClusterInformation: spec.calicoVersion pins
 * the version the set is judged as (§15.1). */
void pa_read_cluster_info(struct pol_ctx *c, const struct ynode *doc);

/* After every file is read: settle the Calico version (requested, else a
 * ClusterInformation's, else CALICO_AUTO), drop the admin policies that
 * version does not enforce and say so, warn about sets no single version
 * enforces whole, and apply version differences (§15.1, §15.3). */
void pa_settle_version(struct pol_ctx *c, int requested);

/* --- pol_model.c ------------------------------------------------------------- */

/* Turn a validated v3 policy into a model policy appended to c->pols. */
void pm_add_policy(struct pol_ctx *c, const struct v3_policy *vp);

/* --- policy.c ---------------------------------------------------------------- */

/* Sort and group: build ps->tiers from the policies and Tier objects. */
void policy_set_build_tiers(struct pol_ctx *c);
/* §4.1 comparison of two policies of one tier, as Calico version calico
 * (CALICO_AUTO: v3.32's rule, but v3.31's in the tiers only v3.29-v3.31
 * have) orders them. */
int policy_cmp_calico(const struct policy *x, const struct policy *y, int calico);

#endif
