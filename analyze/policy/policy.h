/*
 * policy.h: the policy model: what the loader (pol_load.c and friends)
 * builds from Calico v3 and Kubernetes YAML/JSON, and what the engine
 * (engine.c) evaluates.  It is Calico's backend model (docs/semantics.md
 * §0): every policy carries one effective endpoint selector (§2.1) and every
 * rule side one combined positive selector plus an optional notSelector
 * (§2.2), so the engine never needs to know which resource kind a policy
 * came from, except to name it.
 *
 * Everything hangs off struct policy_set and lives in its arena.
 */
#ifndef PODFLOW_ANALYZE_POLICY_H
#define PODFLOW_ANALYZE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/attrs.h"
#include "common/ipaddr.h"
#include "common/labels.h"

struct diag;
struct policy_set;
struct sel;

/* Resource kinds, with Calico's flow-log short names (§5.1, §15.6, §16). */
enum pol_kind {
    POL_NP,   /* projectcalico.org/v3 NetworkPolicy                   "np"   */
    POL_GNP,  /* projectcalico.org/v3 GlobalNetworkPolicy             "gnp"  */
    POL_KNP,  /* networking.k8s.io/v1 NetworkPolicy, converted        "knp"  */
    POL_SNP,  /* StagedNetworkPolicy                                  "snp"  */
    POL_SGNP, /* StagedGlobalNetworkPolicy                            "sgnp" */
    POL_SKNP, /* StagedKubernetesNetworkPolicy                        "sknp" */
    POL_ANP,  /* policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy "kanp" */
    POL_BANP, /* v1alpha1 BaselineAdminNetworkPolicy                  "kbanp" */
    POL_CNP   /* policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy "kcnp" */
};

/* "np", "gnp", ...; and the kind string used in the §4.1 tie-break
 * ("NetworkPolicy", "GlobalNetworkPolicy", "KubernetesNetworkPolicy", ...). */
const char *pol_kind_short(enum pol_kind k);
const char *pol_kind_name(enum pol_kind k);
/* The resource's own kind as a user writes it ("AdminNetworkPolicy",
 * "NetworkPolicy" for a Kubernetes one, ...), for messages. */
const char *pol_kind_resource(enum pol_kind k);

/*
 * Calico versions (§15.1): MAJOR * 100 + MINOR, e.g. 331 for v3.31.  The
 * admin policy kinds exist only in some of them: AdminNetworkPolicy from
 * v3.29 to v3.31, BaselineAdminNetworkPolicy from v3.30 to v3.31,
 * ClusterNetworkPolicy from v3.32.  CALICO_AUTO judges each kind as the
 * versions that enforce it do.
 */
#define CALICO_AUTO 0
/* 1 when Calico version v (or CALICO_AUTO) enforces policies of kind k. */
int calico_enforces(int v, enum pol_kind k);

enum rule_action { ACT_ALLOW, ACT_DENY, ACT_PASS, ACT_LOG };
const char *rule_action_name(enum rule_action a); /* "Allow", "Deny", "Pass", "Log" */

enum pol_dir { DIR_INGRESS = 1, DIR_EGRESS = 2 }; /* also bits of policy.types */

/* One entry of ports / notPorts: a range, or a named port. */
struct port_match {
    uint16_t lo, hi;  /* inclusive range; both 0 for a named port */
    const char *name; /* named port (arena), or NULL */
};

/* Source or destination of a rule (EntityRule), already combined (§2.2). */
struct entity {
    struct sel *sel;      /* combined positive selector, NULL: none (any address) */
    struct sel *notsel;   /* notSelector, NULL: none; NOT namespaced */
    const char *sel_text; /* canonical text of sel / notsel, for traces (or NULL) */
    const char *notsel_text;
    struct cidr *nets; /* any of (arena array), n 0: no constraint */
    size_t nnets;
    struct cidr *notnets; /* none of */
    size_t nnotnets;
    struct port_match *ports; /* any of; n 0: no constraint */
    size_t nports;
    struct port_match *notports; /* none of */
    size_t nnotports;
    const char *svc_name; /* services.name, or NULL */
    const char *svc_ns;   /* services.namespace (defaulted to the policy's) */
};

/* ICMP type/code match: type -1 means unset; code -1 means any code. */
struct icmp_match {
    int type;
    int code;
};

struct rule {
    enum rule_action action;
    int ip_version; /* 0 (both), 4 or 6: explicit, or implied by ICMP/ICMPv6 names */
    int proto;      /* -1 unset; 1..255; 0 = a name Calico does not know (never matches) */
    int notproto;   /* same for notProtocol */
    struct icmp_match icmp;
    struct icmp_match noticmp;
    struct entity src, dst;
    const char *name; /* the admin rule's name (Calico keeps it as the rule's "name"
                         annotation, §15.4), or NULL */
    int src_rule;     /* converted kinds: index of the rule as written that this one was
                         expanded from (§7, §15.4); -1 for Calico's own */
    int fail_closed;  /* an admin rule Calico could not convert, replaced by this
                         unconditional Deny (§15.5) */
    const char *file; /* where the rule was written, for messages */
    unsigned line, col;
};

struct policy {
    enum pol_kind kind;
    const char *name;     /* metadata.name as written (arena) */
    int priority;         /* admin kinds: spec.priority as written (BANP: -1) */
    unsigned types_v329;  /* ANP: the types Calico v3.29 gives it (from the rules as
                             written, §15.3) */
    const char *ns;       /* namespace, NULL for global kinds */
    const char *tier;     /* "default" unless spec.tier */
    int has_order;        /* 0: order missing, sorts as +inf (§4.1) */
    double order;         /* knp: 1000 */
    struct sel *selector; /* effective endpoint selector (§2.1) */
    const char *selector_text;
    unsigned types;    /* DIR_INGRESS | DIR_EGRESS after defaulting (§6.1) */
    int staged;        /* staged kinds: judged only as "would do" */
    int staged_delete; /* stagedAction: Delete (not sent to Felix at all); its spec is
                        * empty, its name says which enforced policy it would delete */
    int do_not_track;  /* GNP only: never affects workload flows (§6.2) */
    int pre_dnat;
    int apply_on_forward;
    struct rule *ingress; /* arena array */
    size_t ningress;
    struct rule *egress;
    size_t negress;
    const char *file; /* source file, line of the object */
    unsigned line;
};

struct tier {
    const char *name;
    int defined; /* a Tier resource was given (sorts before undefined ones) */
    int has_order;
    double order;             /* default tier: 1,000,000 */
    int default_pass;         /* defaultAction Pass (else Deny) */
    struct policy **policies; /* sorted per §4.1 (arena array); every policy of the
                               * tier, staged (and staged_delete), doNotTrack and preDNAT
                               * ones included: the engine filters per §5 and §6.2 */
    size_t npolicies;
};

/* NetworkSet / GlobalNetworkSet: labelled CIDRs that rule selectors match. */
struct netset {
    const char *name;
    const char *ns;       /* NULL for GlobalNetworkSet */
    struct labels labels; /* own labels plus, when namespaced, projectcalico.org/namespace */
    struct cidr *nets;
    size_t nnets;
};

/*
 * Felix's configuration (FelixConfiguration, docs/semantics.md §13): what
 * happens to workload -> own-host traffic after the workload's egress
 * policy, the host-endpoint failsafe ports, and the encapsulated traffic
 * Felix drops from workloads.
 */
enum felix_to_host { TOHOST_DROP, TOHOST_ACCEPT, TOHOST_RETURN };
const char *felix_to_host_name(enum felix_to_host a); /* "Drop", "Accept", "Return" */

/* A failsafe port (ProtoPort): inbound, the destination port of traffic
 * entering a host endpoint, restricted to sources in net; outbound, the
 * destination port of traffic leaving, restricted to destinations in net. */
struct failsafe_port {
    int proto;     /* 6 or 17: Felix's parser takes tcp and udp only */
    uint16_t port; /* 1..65535 */
    int has_net;   /* net given (neither "" nor a catch-all) */
    struct cidr net;
};

/* One FelixConfiguration object as written (has_* 0: the field is absent,
 * so a lower scope or the built-in default applies). */
struct felix_config {
    const char *name;    /* "default", "node.<node>", or a selector-scoped one */
    const char *node;    /* the node of a "node.<node>" object, else NULL */
    int selector_scoped; /* another name (spec.nodeSelector, Calico 3.32+): not applied */
    int has_to_host;
    enum felix_to_host to_host;            /* defaultEndpointToHostAction */
    int has_failsafe_in, has_failsafe_out; /* given; an empty list means none */
    struct failsafe_port *failsafe_in;     /* arena array */
    size_t nfailsafe_in;
    struct failsafe_port *failsafe_out;
    size_t nfailsafe_out;
    int has_vxlan_port;
    uint16_t vxlan_port;              /* vxlanPort */
    int has_allow_vxlan, allow_vxlan; /* allowVXLANPacketsFromWorkloads */
    int has_allow_ipip, allow_ipip;   /* allowIPIPPacketsFromWorkloads */
    const char *file;
    unsigned line;
};

/* What Felix applies on one node: each value from node.<node>, else
 * default, else Felix's built-in default, with where it came from. */
struct felix_eff {
    enum felix_to_host to_host;
    const struct felix_config *to_host_by;   /* the object that set it, or NULL: Calico's
                                                installs' ACCEPT (set-owned) */
    const struct failsafe_port *failsafe_in; /* the lists in force (set-owned or static) */
    size_t nfailsafe_in;
    const struct failsafe_port *failsafe_out;
    size_t nfailsafe_out;
    uint16_t vxlan_port;
    int allow_vxlan, allow_ipip;
};

/*
 * The configuration Felix applies on node (NULL: unknown node, so only
 * "default" applies).  defaultEndpointToHostAction defaults to ACCEPT, not
 * Felix's own DROP: every Calico manifest, the Helm chart and the operator
 * set FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT, which outranks any
 * FelixConfiguration (§13).  Failsafe ports default to Felix's lists.
 */
void felix_effective(const struct policy_set *ps, const char *node, struct felix_eff *out);

/* An IPPool (projectcalico.org/v3): where Calico's IPAM gives pods their
 * addresses (§11). */
struct ippool {
    const char *name;
    struct cidr cidr;
    int workload; /* allowedUses holds Workload or Tunnel (the default): its addresses
                     are pods' (or nodes' tunnel addresses), not load balancers' */
    int disabled; /* no new addresses; those given stay */
};
/* A named port of a host endpoint (EndpointPort): policy rules' named
 * ports resolve against it at the endpoint's expected IPs (§3.2, §17). */
struct hep_port {
    const char *name; /* arena */
    int proto;        /* 6, 17, 132 or 136 */
    uint16_t port;
};

/*
 * A host endpoint (HostEndpoint, docs/semantics.md §17): interfaces of a
 * node as an endpoint that GlobalNetworkPolicies select.  It is enforced
 * on its node only; its expected IPs feed every selector's address set
 * (on every node), as a network set's nets do.
 */
struct hostep {
    const char *name;   /* metadata.name (arena) */
    const char *node;   /* spec.node (arena) */
    const char *iface;  /* spec.interfaceName: "*" (every interface), a name, or NULL
                           (the interface holding one of the expected IPs) (arena) */
    struct ipaddr *ips; /* spec.expectedIPs (arena array) */
    size_t nips;
    struct labels labels;  /* metadata.labels, nothing implicit (owned) */
    const char **profiles; /* spec.profiles in order (arena array of arena strings) */
    size_t nprofiles;
    struct hep_port *ports; /* spec.ports (arena array) */
    size_t nports;
    const char *file; /* where it was written */
    unsigned line;
};

/* 1 when a profile name is Calico's built-in allow-everything profile
 * (projectcalico-default-allow, which automatic host endpoints carry). */
int hostep_profile_allows(const char *profile);

struct policy_set {
    struct arena arena; /* owns everything below */
    struct tier *tiers; /* sorted per §4.2 */
    size_t ntiers;
    struct policy *policies; /* every policy, in load order */
    size_t npolicies;
    struct netset *netsets;
    size_t nnetsets;
    struct felix_config *felix; /* FelixConfiguration objects, in load order */
    size_t nfelix;
    struct ippool *ippools;
    size_t nippools;
    struct hostep *heps; /* HostEndpoints, in load order */
    size_t nheps;
    unsigned files; /* files read */
    int calico;     /* the Calico version judged as (§15.1): CALICO_AUTO, or 329, 331, ... */
};

/* The IPPool for workloads holding ip, or NULL (§11). */
const struct ippool *policy_pod_pool(const struct policy_set *ps, const struct ipaddr *ip);

/*
 * §3.1 (felix/rules/policy.go FilterRuleToIPVersion): 1 when rule r exists
 * in the dataplane for IP family (4 or 6), else 0.  A rule is dropped for a
 * family when its ipVersion (explicit, or implied by protocol ICMP/ICMPv6)
 * is the other one, or when any of source/destination nets/notNets is
 * non-empty but holds no CIDR of that family, or when a notNets holds that
 * family's catch-all.  A dropped rule matches nothing.
 */
int rule_applies_to_family(const struct rule *r, int family);

/* The backend name of a tier-default or rule action as flow logs spell it
 * ("allow", "deny", "pass", "log"). */
const char *rule_action_flowlog(enum rule_action a);

/* policy_set_load() flags. */
enum {
    /* An empty set is what the user asked for (--no-policies): without
     * it, paths that yield no policy object are an error, since a check
     * against nothing allows everything. */
    POLICY_LOAD_ALLOW_EMPTY = 1
};
/* A policy_set_load() flag: judge the set as Calico version v (§15.1:
 * MAJOR * 100 + MINOR, from calico_version_parse()), whatever a
 * ClusterInformation in it says; 0 leaves the choice to the set. */
#define POLICY_LOAD_CALICO(v)        ((unsigned)(v) << 8)
#define POLICY_LOAD_CALICO_OF(flags) ((int)((flags) >> 8))

/* "3.31", "v3.31.2", "3.32.0-0.dev" -> 331, 331, 332; 0 when s is not a
 * Calico 3.N version. */
int calico_version_parse(const char *s);

/*
 * Load every policy object from paths (files, directories searched
 * recursively for *.yaml, *.yml, *.json, or "-" for stdin), validate them
 * all (reporting every problem with file:line:col through d), convert
 * Kubernetes policies and Calico's storage form, default types, and sort
 * tiers and policies.  Returns 0, or ERR_INVALID / ERR_PARSE / -errno after
 * reporting; on failure the set is released (a half-loaded set would give
 * wrong verdicts).  No policy object at all (npaths 0 included) is
 * ERR_INVALID unless flags has POLICY_LOAD_ALLOW_EMPTY.
 */
int policy_set_load(struct policy_set *ps, const char *const *paths, size_t npaths, unsigned flags,
                    struct diag *d) MUST_CHECK;
/* Same for one buffer data[0..len) of YAML/JSON documents, named name in
 * messages (the fuzz target and tests; no file system access). */
int policy_set_load_mem(struct policy_set *ps, const char *name, const char *data, size_t len,
                        unsigned flags, struct diag *d) MUST_CHECK;
void policy_set_release(struct policy_set *ps);

/* 1 when ip is one of h's expected IPs (§17.2: the only addresses a host
 * endpoint lends selectors). */
int hostep_holds(const struct hostep *h, const struct ipaddr *ip);

/* What an address belongs to in a policy set besides a pod: a labelled
 * object whose addresses rule selectors match (§2.3, §17.2): NetworkSets
 * and GlobalNetworkSets by their CIDRs, HostEndpoints by their expected
 * IPs. */
enum pol_member_kind { PM_NETWORKSET, PM_GLOBALNETWORKSET, PM_HOSTENDPOINT };
struct pol_member {
    enum pol_member_kind kind;
    const char *ns; /* NULL for the global kinds (HostEndpoint is one) */
    const char *name;
    const struct labels *labels; /* as selectors see them (policy set's) */
    const struct cidr *net;      /* a network set's CIDR holding the address, else NULL */
    const struct hostep *hep;    /* the host endpoint expecting the address, else NULL */
};

/* "NetworkSet", "GlobalNetworkSet", "HostEndpoint". */
const char *pol_member_kind_name(enum pol_member_kind k);

/*
 * The members of ps holding ip, in load order, into out[0..max): returns
 * how many there are (possibly more than max; only max are written).
 */
size_t policy_members_of(const struct policy_set *ps, const struct ipaddr *ip,
                         struct pol_member *out, size_t max);

#endif
