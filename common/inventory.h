/*
 * inventory.h: the Kubernetes inventory: who is behind an IP.
 *
 * Reads what `kubectl get pods,namespaces,services,endpointslices,nodes -A
 * -o yaml` (or -o json) prints, and also single objects, multi-document
 * YAML, `kind: List` and every `*List` (PodList, NamespaceList, ...), from
 * files or stdin, through the document tree of common/ydoc.h.  Several
 * files may be loaded into one inventory; an object loaded again (same
 * kind, namespace and name) replaces the earlier one.
 *
 * Kinds it does not model (Deployment, NetworkPolicy, ConfigMap, ...) are
 * counted and skipped.  A malformed object (a field of the wrong type, an
 * address that does not parse, a missing name) is reported as
 * "file:line:col: error: ..." and skipped; loading goes on.  A file that is
 * not YAML/JSON at all fails with ERR_PARSE (the programs exit 2).
 *
 * Strings are owned by the inventory's arena; arrays and label sets by the
 * inventory; inventory_release() frees everything.
 */
#ifndef PODFLOW_INVENTORY_H
#define PODFLOW_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/arena.h"
#include "common/attrs.h"
#include "common/ipaddr.h"
#include "common/labels.h"

struct buf;
struct diag;
struct ystream;

/* A time that is absent (no creationTimestamp, no deletionTimestamp). */
#define INV_TIME_NONE INT64_MIN

/* Label Kubernetes sets on every namespace (since 1.21), implied by us. */
#define INV_NS_NAME_LABEL "kubernetes.io/metadata.name"
/* Label on an EndpointSlice naming its Service. */
#define INV_SERVICE_NAME_LABEL "kubernetes.io/service-name"

/* A container port (pods), a service port, or an EndpointSlice port. */
struct inv_port {
    const char *name;        /* arena; NULL when unnamed */
    uint16_t port;           /* containerPort / port; 0 in a slice means "all" */
    uint8_t proto;           /* IANA: 6 TCP (the default), 17 UDP, 132 SCTP */
    uint16_t target_port;    /* services: numeric targetPort (default: port), else 0 */
    const char *target_name; /* services: named targetPort, arena; else NULL */
    uint16_t node_port;      /* services: nodePort, or 0 */
};

struct inv_pod {
    const char *ns;       /* arena; "default" when not written */
    const char *name;     /* arena */
    struct labels labels; /* owned */
    struct ipaddr *ips;   /* status.podIPs (with podIP), malloc'd; may be empty */
    size_t nips;
    int host_network;            /* spec.hostNetwork: the IPs are the node's (kind host) */
    const char *node;            /* spec.nodeName, arena, or NULL */
    const char *service_account; /* spec.serviceAccountName, arena; "default" when absent */
    const char *owner_kind;      /* controller ownerReference as written, arena, or NULL */
    const char *owner_name;
    const char *workload_kind; /* the owner resolved (ReplicaSet -> Deployment, Job ->
                                * CronJob), arena, or NULL when there is no owner (or
                                * the owner reference has no kind) */
    const char *workload;      /* its name, or NULL */
    struct inv_port *ports;    /* containers' and initContainers' ports, malloc'd */
    size_t nports;
    const char *phase;  /* status.phase, arena, or NULL */
    int64_t start_ns;   /* status.startTime or INV_TIME_NONE */
    int64_t created_ns; /* metadata.creationTimestamp or INV_TIME_NONE */
    int64_t deleted_ns; /* metadata.deletionTimestamp or INV_TIME_NONE */
    unsigned line, col; /* where the object starts */
    const char *file;   /* arena: where it was read */
    size_t seq;         /* load order (the later of two copies wins) */
};

struct inv_namespace {
    const char *name;     /* arena */
    struct labels labels; /* owned; always holds INV_NS_NAME_LABEL = name */
    int implied;          /* 1: no Namespace object, only seen on another object */
    int64_t created_ns;   /* or INV_TIME_NONE */
    size_t seq;
};

struct inv_service {
    const char *ns, *name; /* arena */
    struct labels labels;  /* metadata.labels, owned */
    const char *type;      /* spec.type, arena; "ClusterIP" when absent */
    struct ipaddr *ips;    /* spec.clusterIPs (with clusterIP), minus "None"; malloc'd */
    size_t nips;
    struct ipaddr *ext_ips; /* spec.externalIPs, malloc'd */
    size_t next_ips;
    struct ipaddr *lb_ips; /* status.loadBalancer.ingress[].ip, malloc'd */
    size_t nlb_ips;
    struct inv_port *ports; /* spec.ports, malloc'd */
    size_t nports;
    struct labels selector; /* spec.selector, owned */
    int has_selector;       /* 0: no selector (endpoints managed by hand) */
    int64_t created_ns, deleted_ns;
    unsigned line, col;
    const char *file;
    size_t seq;
};

struct inv_slice_endpoint {
    struct ipaddr *addrs; /* malloc'd */
    size_t naddrs;
    int ready;        /* conditions.ready; absent counts as ready (API semantics) */
    const char *node; /* nodeName, arena, or NULL */
    const char *target_kind, *target_ns, *target_name; /* targetRef, arena, or NULL */
};

struct inv_slice {
    const char *ns, *name;          /* arena */
    const char *service;            /* label kubernetes.io/service-name, arena, or NULL */
    int family;                     /* addressType: 4, 6, or 0 for FQDN (addresses not kept) */
    struct inv_slice_endpoint *eps; /* malloc'd */
    size_t neps;
    struct inv_port *ports; /* malloc'd */
    size_t nports;
    int64_t created_ns, deleted_ns; /* metadata, or INV_TIME_NONE */
    unsigned line, col;
    const char *file;
    size_t seq;
};

struct inv_node_addr {
    const char *type; /* InternalIP, ExternalIP, Hostname, ..., arena */
    struct ipaddr ip; /* family 0 when the address is not an IP (Hostname) */
};

struct inv_node {
    const char *name;            /* arena */
    struct labels labels;        /* owned */
    struct inv_node_addr *addrs; /* status.addresses, malloc'd */
    size_t naddrs;
    struct cidr *pod_cidrs; /* spec.podCIDRs (with spec.podCIDR), malloc'd */
    size_t npod_cidrs;
    int64_t created_ns, deleted_ns;
    unsigned line, col;
    const char *file;
    size_t seq;
};

/* A kind that was skipped, with how many objects of it. */
struct inv_skipped {
    const char *kind; /* arena */
    size_t count;
};

struct inventory {
    struct arena arena;   /* owns every string */
    struct inv_pod *pods; /* sorted by (ns, name) after each load */
    size_t npods, apods;
    struct inv_namespace *nss; /* sorted by name */
    size_t nnss, anss;
    struct inv_service *svcs; /* sorted by (ns, name) */
    size_t nsvcs, asvcs;
    struct inv_slice *slices; /* sorted by (ns, name) */
    size_t nslices, aslices;
    struct inv_node *nodes; /* sorted by name */
    size_t nnodes, anodes;
    struct inv_skipped *skipped; /* kinds not modelled, in order first seen */
    size_t nskipped, askipped;
    size_t skipped_total;  /* objects skipped because of their kind */
    size_t malformed;      /* objects reported and skipped */
    size_t field_problems; /* fields reported and dropped, their object kept */
    size_t seq;            /* objects read so far (load order) */
};

void inventory_init(struct inventory *inv);
void inventory_release(struct inventory *inv);

/*
 * Load every object of path ("-" for stdin) into inv, adding to what is
 * there.  Returns 0 when the file was read (even if some objects were
 * malformed: they are reported through d and counted in inv->malformed;
 * a bad field that is not the object's identity, such as its labels, a
 * time, an address or a container port, is reported as a warning and
 * dropped, the object kept, and counted in inv->field_problems);
 * ERR_PARSE when the file is not YAML/JSON, ERR_LIMIT past a limit of
 * common/limits.h, -errno when it cannot be read (all reported through d;
 * inv then holds what earlier loads put there).
 */
int inventory_load_file(struct inventory *inv, const char *path, struct diag *d) MUST_CHECK;
/* Same from memory; name is used in messages. */
int inventory_load_mem(struct inventory *inv, const char *name, const char *data, size_t len,
                       struct diag *d) MUST_CHECK;

/* Lookups by name (binary search); NULL when absent.  ns NULL means
 * "default". */
const struct inv_pod *inventory_pod(const struct inventory *inv, const char *ns, const char *name);
const struct inv_namespace *inventory_namespace(const struct inventory *inv, const char *name);
const struct inv_service *inventory_service(const struct inventory *inv, const char *ns,
                                            const char *name);
const struct inv_node *inventory_node(const struct inventory *inv, const char *name);

/* Append "Deployment (2), ConfigMap (1)" (the skipped kinds with their
 * counts, in the order first seen; "" when none) to out, for a summary
 * line.  0 or ERR_LIMIT. */
int inventory_skipped_text(const struct inventory *inv, struct buf *out) MUST_CHECK;

/* IANA protocol number for "TCP", "UDP", "SCTP" (exact case, as the API
 * spells them), or 0. */
uint8_t inventory_proto(const char *s);

/*
 * Write inv into an open case (a .db from db_open_writer()) in one
 * transaction: delete the endpoints, services, service_endpoints and
 * pod_networks rows of a previous inventory (those whose source is
 * source, NULL meaning "inventory"), then insert
 *   - one pod row per pod IP (kind 'host' for hostNetwork pods),
 *   - one service row per cluster IP, external IP and load-balancer IP
 *     (but an external or load-balancer IP that is a node's InternalIP,
 *     which stays the node's),
 *   - one host row per node InternalIP (name = node, namespace NULL),
 * with labels as labels_to_json(), ports as a JSON array of
 * {"name","port","protocol"} (name null when the port is unnamed; services
 * add "targetPort", a number or a port name), workload_kind,
 * workload, service_account, node, valid_from_ns = pod start time, else
 * creation time, else NULL, valid_to_ns = deletionTimestamp or NULL; and
 * replace the namespaces table with one row per namespace (explicit or
 * implied: only inventories write that table); and (format 3) one services
 * row per Service, one service_endpoints row per address of each
 * EndpointSlice endpoint (the slice's creation and deletion times as its
 * bounds), one pod_networks row per node podCIDR.  On failure nothing is
 * written, the error is reported through d, and ERR_DB or ERR_LIMIT is
 * returned.  *rows, when not NULL, gets the number of endpoint rows written.
 */
int inventory_write_db(sqlite3 *db, const struct inventory *inv, const char *source, size_t *rows,
                       struct diag *d) MUST_CHECK;

/*
 * Record in meta.inventory_problems how many problems loading the case's
 * inventory reported (objects skipped plus fields dropped, e.g.
 * inv->malformed + inv->field_problems), so that whoever reads the case
 * knows some identities lack what the files did not say correctly.
 * 0, or ERR_DB reported through d.
 */
int inventory_write_problems(sqlite3 *db, size_t problems, struct diag *d) MUST_CHECK;

#endif
