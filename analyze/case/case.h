/*
 * case.h: a case file (.db) as the analyzer reads it: its endpoints with
 * their validity intervals, its namespaces, and its flows, each flow with
 * the identities its addresses had at the flow's time.
 *
 * Everything is read once through db_open_reader() (read-only, defensive):
 * endpoints and namespaces into memory (they are few), flows streamed
 * through a callback (they may be millions).  Identity resolution follows
 * the rule written above the flows_named view in schema.sql, so the
 * analyzer and an analyst at the sqlite3 prompt always agree.
 */
#ifndef PODFLOW_ANALYZE_CASE_H
#define PODFLOW_ANALYZE_CASE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/arena.h"
#include "common/attrs.h"
#include "common/htab.h"
#include "common/polnets.h"
#include "common/ipaddr.h"
#include "common/labels.h"

struct buf;
struct diag;
struct pair_result;
struct case_svcaddr;
struct case_nodeport;

/* endpoints.kind, in the order the identity rule prefers them. */
enum ep_kind { EP_POD, EP_HOST, EP_SERVICE, EP_EXTERNAL };
const char *ep_kind_name(enum ep_kind k); /* "pod", "host", "service", "external" */

/* A named container port a pod declares (docs/semantics.md §3.2). */
struct case_port {
    const char *name; /* arena */
    int proto;        /* 6, 17 or 132 */
    uint16_t port;
};

struct case_ep {
    int64_t id; /* endpoints.id */
    struct ipaddr ip;
    const char *ip_text;    /* canonical text (arena) */
    int has_from, has_to;   /* 0: open-ended */
    int64_t from_ns, to_ns; /* valid when [from, to) */
    enum ep_kind kind;
    const char *ns; /* namespace or NULL (arena) */
    const char *name;
    const char *workload_kind;
    const char *workload;
    const char *sa; /* service account or NULL */
    const char *node;
    const char *iface;       /* host-side interface the address sat behind, or NULL */
    struct labels labels;    /* as recorded (owned unless labels_borrowed); read-only */
    struct labels calico;    /* as Calico sees a pod (§1.6): own minus pcns./pcsa.,
                                projectcalico.org/<name>, pcns.*, pcsa.* (owned unless
                                calico_borrowed; empty for every kind but pod); read-only */
    struct case_port *ports; /* arena array, may be shared with other endpoints */
    size_t nports;
    int labels_borrowed; /* labels' storage is another endpoint's, recorded as the
                            same text (case_open()): released with that one's */
    int calico_borrowed; /* calico's storage is another pod's, with the same labels,
                            namespace and service account (case_open()): released with
                            that one's */
};

struct case_ns {
    const char *name;     /* arena */
    struct labels labels; /* owned; kubernetes.io/metadata.name always set */
};

/* A port of a Service (services.ports, docs/semantics.md §12). */
struct case_svc_port {
    const char *name; /* arena, or NULL when unnamed */
    int proto;        /* 6, 17 or 132 */
    uint16_t port;
    uint16_t node_port;      /* 0: none */
    uint16_t target_port;    /* numeric targetPort, or 0 */
    const char *target_name; /* named targetPort (arena), or NULL */
};

/* A Service (services table). */
struct case_svc {
    int64_t id;
    const char *ns, *name, *type; /* arena */
    struct ipaddr *ips;           /* cluster, then external, then load-balancer
                                     addresses (arena array) */
    size_t nips, ncluster;        /* the first ncluster are cluster IPs */
    struct case_svc_port *ports;  /* arena array */
    size_t nports;
    int has_from, has_to;   /* 0: open-ended */
    int64_t from_ns, to_ns; /* valid when [from, to) */
};

/* One address of an EndpointSlice endpoint (service_endpoints table). */
struct case_sep {
    int64_t id;
    const char *ns, *service, *slice; /* arena; service may be NULL */
    struct ipaddr ip;
    int ready;
    const char *node, *target_kind, *target_ns, *target_name; /* arena, or NULL */
    struct case_port *ports; /* the slice's ports (arena; name NULL when unnamed,
                                port 0 when the slice gives none) */
    size_t nports;
    int has_from, has_to;
    int64_t from_ns, to_ns;
};

/* A pod network (pod_networks table). */
struct case_podnet {
    struct cidr net;
    const char *node;   /* arena, or NULL */
    const char *source; /* "inventory", "netlink", ... (arena) */
};

/* A backend of a Service at a time: an address of a ready endpoint of one
 * of its EndpointSlices, the port its Service port resolves to there,
 * and who held the address then. */
struct case_backend {
    const struct case_sep *sep;
    const struct case_ep *ep; /* identity at the time, or NULL */
    uint16_t port;
};

/* Longest address text remembered by a flow scan (IPv4 and short IPv6). */
#define CASE_MEMO_TEXT 23

/* One remembered address text of a flow scan (case_int.h, frow_memo). */
struct case_memo {
    /* The text as three words: its length, its bytes, zeros after them
     * (compared and hashed a word at a time). */
    uint64_t key[(1 + CASE_MEMO_TEXT) / 8];
    struct ipaddr ip;
    /* The reader's (case.c): its first endpoint row + 1, or 0; and that
     * row's endpoint when it holds the address at all times, else NULL. */
    uint32_t first;
    const struct case_ep *always;
};

/* The part of an endpoint identity lookups need. */
struct case_epkey {
    struct ipaddr ip;
    uint8_t has_from, has_to;
    int64_t from_ns, to_ns;
};

/* A capture of the case (captures table): the node it ran on, when. */
struct case_cap {
    int64_t id;
    const char *node; /* arena, or NULL */
    int64_t started_ns;
    int has_end;
    int64_t ended_ns;
};

/* The process that held a flow end's socket (a sockets row, format 3:
 * docs/schema.md). */
struct case_proc {
    int64_t id;            /* sockets.id */
    int has_pid;           /* 0: several processes held it */
    int64_t pid;           /* as the node numbers it */
    int64_t processes;     /* how many held it */
    const char *comm;      /* command name, or NULL (case-owned) */
    const char *container; /* container id, or NULL (case-owned) */
    const char *cgroup;    /* cgroup path, or NULL (case-owned) */
};

/* A sockets row as the flow scan matches it (case.c). */
struct case_sock {
    uint8_t proto;
    uint8_t connected; /* remote_ip and remote_port are set */
    uint16_t lport, rport;
    struct ipaddr local, remote;
    uint8_t has_from, has_to;
    int64_t from_ns, to_ns;
    struct case_proc proc;
};

/* An interface a capture recorded on (interfaces table). */
struct case_iface {
    int64_t id; /* interfaces.id: unique across the captures of a case */
    int64_t capture_id;
    const char *name; /* link name, or the pcap file for -r (arena) */
    const char *node; /* its capture's node, or NULL (arena) */
};

/*
 * One end of a connection: what one vantage point saw of it.  A vantage
 * point is a (capture, interface) pair: flows.iface, or the capture
 * itself when that is NULL (docs/schema.md, "Both ends").
 */
struct case_end {
    int64_t flow_id, capture_id;
    int has_iface;     /* flows.iface is an integer (else: the capture itself) */
    int64_t iface_id;  /* flows.iface when has_iface */
    const char *node;  /* its capture's node, or NULL (case-owned) */
    const char *iface; /* its interface's name, or NULL: none recorded, or no
                          interfaces row of that id (case-owned) */
    const char *state; /* Zeek conn_state (case-owned) */
    int64_t first_ns, packets_fwd, packets_rev;
};

/*
 * A connection seen at several ends (vantage points: captures, or
 * interfaces of one capture), found by the both-ends rule of
 * docs/schema.md: same protocol, source, post-DNAT destination, ports and
 * ICMP id, windows overlapping within the skew.  ends[0] is the
 * flow judged and reported (the earliest first_ns); the others are
 * evidence only and are not passed to case_flows()'s callback.
 */
struct case_conn {
    struct case_end *ends;
    size_t nends; /* >= 2 */
};

/* A copy of cn in arena a, living as long as a (and the case: its ends'
 * node and interface names are the case's; their state texts, which a
 * reader may hold for the callback only, are copied into a). */
const struct case_conn *case_conn_copy(struct arena *a, const struct case_conn *cn);

/* A flow paired with its Service leg (§12): the first leg (role 1)
 * reported with the backend the second went to, and the second's end;
 * the second leg (role 2), left out. */
struct case_dpair {
    int64_t id; /* flows.id */
    int role;
    struct ipaddr ip; /* role 1: the backend */
    uint16_t port;
    struct case_end other; /* role 1: the second leg's end (named; case-owned) */
};

/* How a flow to a Service address came by its backend. */
enum case_dnat {
    CASE_DNAT_NONE,     /* not a Service flow, or no translation known */
    CASE_DNAT_RECORDED, /* flows.dnat_ip/dnat_port (conntrack) */
    CASE_DNAT_PAIRED    /* its post-DNAT leg is in the case (§12) */
};

/*
 * Rows the reader cannot use (docs/schema.md, "What the analyzer reads").
 * Every column it uses is checked by SQLite type and range before use,
 * never coerced: a flow, capture, interface or socket row that fails is
 * left out and counted here by table and by the first reason found; a
 * namespace row without a name too.  (An endpoint or namespace row whose identity
 * data is damaged is not left out but stops the reading: without it a pod
 * would be judged as a stranger.)
 */
enum case_table {
    CASE_TAB_FLOWS,
    CASE_TAB_ENDPOINTS,
    CASE_TAB_NAMESPACES,
    CASE_TAB_CAPTURES,
    CASE_TAB_INTERFACES,
    CASE_TAB_SOCKETS, /* (format 3) the processes at flows' ends */
    CASE_TAB_N
};
enum case_why {
    CASE_WHY_CAPTURE, /* capture_id is not an integer */
    CASE_WHY_PROTO,   /* proto is not an integer 0..255 */
    CASE_WHY_ADDRESS, /* an address is not text, or not an IPv4/IPv6 address */
    CASE_WHY_PORT,    /* a port is not an integer 0..65535 */
    CASE_WHY_TIME,    /* a time is not an integer, or ends before it starts */
    CASE_WHY_COUNTER, /* packets, bytes, icmp_count: not an integer >= 0 */
    CASE_WHY_STATE,   /* state is not one of Zeek's conn_state words */
    CASE_WHY_ICMP,    /* icmp_type/icmp_code not NULL or 0..255, icmp_id not NULL
                         or an integer */
    CASE_WHY_DNAT,    /* dnat_ip/dnat_port: not both NULL, nor an address and a port */
    CASE_WHY_IFACE,   /* flows.iface is not NULL or an integer */
    CASE_WHY_NAME,    /* a name or node is not text (NULL where one is needed) */
    CASE_WHY_OPEN,    /* flows.open (format 3) is not 0 or 1 */
    CASE_WHY_PROCESS, /* sockets.pid not NULL or 1..2^31-1, processes not an integer >= 0 */
    CASE_WHY_N
};
const char *case_table_name(enum case_table t); /* "flows", "endpoints", ... */
const char *case_why_name(enum case_why w);     /* "capture_id", "proto", "address", ... */

struct case_bad {
    uint64_t total;                     /* rows left out, all tables */
    uint64_t n[CASE_TAB_N][CASE_WHY_N]; /* by table and reason */
    uint64_t flows_read;                /* flow rows looked at */
};

/*
 * "3 rows left out as unusable: flows 2 (time 1, port 1), captures 1
 * (time 1)" into out (appended; nothing when b->total is 0).  0 or
 * ERR_LIMIT.
 */
int case_bad_text(const struct case_bad *b, struct buf *out) MUST_CHECK;

/* One file of a case (several when case_open_many() read several), and
 * what was left out of it. */
struct case_file {
    const char *path; /* as named */
    struct case_bad bad;
};

struct case_opts {
    int64_t skew_ns; /* clock skew allowed between nodes (>= 0) */
    int no_pair;     /* 1: every flow on its own, no both-ends pairing */
    size_t pair_mem; /* bytes of records the pairing sorts in memory before
                        it spills to $TMPDIR; 0: LIM_CASE_PAIR_MEM (tests
                        set it small to spill) */
    size_t readers;  /* connections to open beside the case's own, one per
                        thread that will call case_reader_new() */
    int strict;      /* 1: a row left out as unusable is an error (ERR_INVALID) */
    int no_flows;    /* 1: endpoints and namespaces only (select): flows are
                        neither checked nor paired, nor may case_flows() run */
};
#define CASE_SKEW_DEFAULT_NS 2000000000LL /* 2 s */

struct case_db {
    sqlite3 *db;         /* read-only handle, owned */
    struct arena arena;  /* strings and arrays below */
    struct case_ep *eps; /* sorted: ip, then the identity rule's order */
    size_t neps;
    struct case_ns *nss; /* sorted by name */
    size_t nnss;
    struct case_epkey *keys; /* per ep, what case_lookup() reads: kept apart from
                                the large case_ep so that lookups stay in cache */
    struct htab ipidx;       /* address hash -> index of its first ep */
    int has_dnat;            /* flows has dnat_ip / dnat_port (schema v2) */
    const char *path;
    struct case_cap *caps; /* sorted by id (arena) */
    size_t ncaps;
    struct case_iface *ifaces; /* sorted by id (arena) */
    size_t nifaces;
    struct case_iface *ifaces_by_name; /* the same, sorted by (node, name) (arena) */
    struct case_sock *socks;           /* sockets rows, by (proto, lport, id) (arena) */
    size_t nsocks;
    struct pair_result *pairs; /* the ends of connections, by flow id (pair.c;
                                  case_int.h), or NULL: not paired */
    size_t nconns;             /* connections seen at several ends */
    uint64_t flows_peer;       /* flows left out as the other end of a reported one */
    sqlite3 **rdb;             /* opts.readers more read-only connections (malloc'd) */
    size_t nrdb;
    int redacted;                  /* meta.redacted or meta.redacted_external: some external
                                      addresses are pseudonyms (docs/security.md) */
    struct polnets redaction_kept; /* meta.redaction_kept: CIDRs kept unredacted */
    int64_t inventory_problems;    /* meta.inventory_problems: problems loading the
                                      inventory reported (objects skipped, fields
                                      dropped); 0 when none or not recorded */
    struct case_opts opts;
    /* (format 3) Services, their backends and the pod networks. */
    struct case_svc *svcs; /* sorted by (ns, name, valid_from) (malloc'd; their
                              strings and arrays in arena) */
    size_t nsvcs;
    struct case_sep *seps; /* sorted by (ns, service, ip) (malloc'd) */
    size_t nseps;
    struct case_svcaddr *svcaddrs; /* (address, service) sorted by address (malloc'd) */
    size_t nsvcaddrs;
    struct case_nodeport *nodeports; /* (protocol, nodePort, service), sorted (malloc'd) */
    size_t nnodeports;
    struct case_podnet *podnets; /* malloc'd */
    size_t npodnets;
    int64_t *sep_times; /* sorted distinct service_endpoints bounds (malloc'd) */
    size_t nsep_times;
    int has_identities;        /* some endpoint names a pod or Service (§11) */
    struct case_dpair *dpairs; /* flows paired with their Service leg (§12) (malloc'd) */
    size_t ndpairs;
    struct htab dpidx;          /* hash of the flow id -> dpairs index */
    uint64_t flows_dnat_paired; /* flows given their post-DNAT leg by pairing */
    struct case_bad bad;        /* rows left out as unusable (over all files) */
    int counted;                /* every row looked at: bad is complete */
    struct case_file *files;    /* the files read, in order (arena) */
    size_t nfiles;
    int64_t *bad_ids[CASE_TAB_N]; /* per table, the ids (rowids) left out,
                                     ascending (malloc'd) */
    size_t nbad_ids[CASE_TAB_N], bad_alloc[CASE_TAB_N];
};

/* One flow row, with identities resolved at first_ns (borrowed pointers,
 * valid during the callback only where noted). */
struct case_flow {
    int64_t id;
    int64_t capture_id;
    int proto;
    struct ipaddr src_ip, dst_ip;    /* dst_ip is post-DNAT when known */
    const char *src_text, *dst_text; /* as recorded (callback only) */
    uint16_t src_port, dst_port;     /* dst_port post-DNAT when known */
    int dnat;                        /* 1: dst replaced by the recorded backend */
    const char *orig_dst_text;       /* the Service address when dnat (callback only) */
    uint16_t orig_dst_port;
    int64_t first_ns, last_ns;
    int64_t packets_fwd, packets_rev, bytes_fwd, bytes_rev;
    const char *state;        /* Zeek conn_state (callback only) */
    int icmp_type, icmp_code; /* -1 when NULL */
    int64_t icmp_count;
    int open;                         /* flows.open: still active at the capture's last
                                         commit, its end never seen (kill -9, crash) */
    const struct case_ep *src, *dst;  /* identity at first_ns or NULL (case-owned) */
    const struct case_proc *src_proc; /* the process at each end, flows_named's rule */
    const struct case_proc *dst_proc; /*   (docs/schema.md), or NULL (case-owned) */
    const char *node;                 /* node of its capture, or NULL (case-owned) */
    const char *iface;                /* name of its interface (flows.iface), or NULL
                                         (case-owned) */
    const struct case_conn *conn;     /* seen at several ends: all of them (ends[0] is
                                         this flow), or NULL (callback only:
                                         case_conn_copy() keeps one) */
    const char *reach;                /* where an unanswered flow got to, by the ends'
                                         evidence (docs/schema.md), or NULL: a static
                                         "unanswered-at-dst-node" or "missing-at-dst-node" */
    enum case_dnat dnat_how;          /* how dst became the backend (dnat 1), or NONE */
    const struct case_svc *svc;       /* the Service the flow was sent to (its address and
                                         port at first_ns), or NULL (case-owned) */
    size_t svc_port;                  /* the index of that port in svc->ports */
};

/* Flow filters for case_flows(); zeroed means everything. */
struct case_filter {
    int has_since, has_until;
    int64_t since_ns, until_ns; /* flows overlapping [since, until] */
};

/*
 * Open path read-only, load endpoints and namespaces, and build the label
 * sets Calico gives pods.  Rows that cannot be used (struct case_bad) are
 * counted in c->bad, warned about on d once counting is complete (at
 * once for tables other than flows; for flows when case_open() pairs
 * ends, else at case_check_flows() or the end of the first case_flows()
 * scan), and never passed to case_flows()'s callback nor paired.  Reports
 * through d; 0 or ERR_DB / ERR_FORMAT / ERR_VERSION / ERR_PARSE /
 * ERR_LIMIT (a malformed endpoint or namespace row names its table and
 * id), or ERR_INVALID when strict and a row was left out.  On failure
 * nothing needs releasing.
 */
int case_open(struct case_db *c, const char *path, struct diag *d) MUST_CHECK;

/*
 * The same with options, for one or several files.  Several files are
 * each checked as case_open() checks one (messages name the file and its
 * own row ids; c->bad sums them), then merged (merge.h) without the rows
 * left out into a temporary file in $TMPDIR (default /tmp), which is
 * opened and removed at once (common/outfile.h: also on a signal, or by
 * the next run after a kill -9): the case is then read as one, its path
 * in messages being the files' names joined by " + ".  With
 * more than one vantage point (case_several_vantages()), connections seen
 * at several ends are paired (struct case_conn) unless o->no_pair; so is
 * case_open() with the defaults.  o NULL: the defaults (2 s skew).
 */
int case_open_many(struct case_db *c, char *const *paths, size_t n, const struct case_opts *o,
                   struct diag *d) MUST_CHECK;

/*
 * What was left out of c, file by file, for the head of an output and for
 * messages: "'b.db': 3 rows left out as unusable: flows 3 (time 2, port
 * 1)", files joined by "; ".  Appends nothing when nothing was left out.
 * 0 or ERR_LIMIT.
 */
int case_bad_summary(const struct case_db *c, struct buf *out) MUST_CHECK;

/*
 * Look at every flow row now, if not yet done (case_open() does when it
 * pairs ends; the first case_flows() scan does otherwise): for outputs
 * that must say how many rows were left out before their first record (a
 * stream).  Then c->bad is complete; it is reported through d once (a
 * warning), or refused with ERR_INVALID when strict.  0, ERR_INVALID,
 * ERR_DB or ERR_LIMIT.
 */
int case_check_flows(struct case_db *c, struct diag *d) MUST_CHECK;

/* The capture with this id, or NULL. */
const struct case_cap *case_cap_find(const struct case_db *c, int64_t id);

/* The interface with this id (interfaces.id), or NULL. */
const struct case_iface *case_iface_find(const struct case_db *c, int64_t id);

/*
 * 1 when the case may hold a connection seen at several vantage points
 * (several captures, or several interfaces rows): when case_open() pairs
 * ends and check reports them (JSON node, iface, ends, reach).
 */
int case_several_vantages(const struct case_db *c);
void case_close(struct case_db *c);

/*
 * The case's end, what relative times count back from (check --since 5m):
 * the latest of its captures' ends and its flows' last packets.  0, with
 * *has 0 when the case holds neither, or ERR_DB (reported through d).
 */
int case_end_ns(const struct case_db *c, int64_t *end, int *has, struct diag *d) MUST_CHECK;

/*
 * The span of the case's flows: the earliest first_ns and the latest of
 * first_ns and last_ns (a hostile row may end before it starts).  0, with
 * *has 0 when there is no flow (or the columns hold no integers), or
 * ERR_DB (reported through d).
 */
int case_flow_span(const struct case_db *c, int64_t *first, int64_t *last, int *has,
                   struct diag *d) MUST_CHECK;

/* The endpoint holding ip at time t by the flows_named rule, or NULL. */
const struct case_ep *case_lookup(const struct case_db *c, const struct ipaddr *ip, int64_t t);

/*
 * Calico's label set for a pod (docs/semantics.md §1.6) into out
 * (initialised here; caller releases): its own labels minus pcns./pcsa.
 * ones, projectcalico.org/namespace, /orchestrator and /serviceaccount,
 * pcns.<k> for each label of its namespace ns (may be NULL) plus
 * pcns.projectcalico.org/name, and pcsa.projectcalico.org/name.
 * 0 or ERR_LIMIT.
 */
int case_calico_labels(const struct case_ep *ep, const struct case_ns *ns,
                       struct labels *out) MUST_CHECK;

/*
 * Calico's label set for a NetworkSet of namespace nsname (§2.4) into out
 * (initialised here; caller releases): its own labels own (which already
 * hold projectcalico.org/namespace), then what it inherits from profile
 * kns.<nsname> as a pod does, pcns.<k> for each label of ns (may be NULL)
 * and pcns.projectcalico.org/name, where an own label of the same key wins
 * (a set's own pcns. labels are not stripped).  0 or ERR_LIMIT.
 */
int case_netset_labels(const struct labels *own, const char *nsname, const struct case_ns *ns,
                       struct labels *out) MUST_CHECK;

/* The namespace called name, or NULL. */
const struct case_ns *case_ns_find(const struct case_db *c, const char *name);

/* ---- Services and pod networks (format 3; docs/semantics.md §11, §12) ---- */

/*
 * The Service that answers on (ip, proto, port) at time t: one whose
 * cluster, external or load-balancer address is ip with a port of that
 * protocol and number, or, when ip is held by a host at t, one with that
 * nodePort.  Returns it and sets *port_index, or NULL.
 */
const struct case_svc *case_svc_at(const struct case_db *c, const struct ipaddr *ip, int proto,
                                   uint16_t port, int64_t t, size_t *port_index);

/* The Service ns/name valid at t (the latest one), or NULL. */
const struct case_svc *case_svc_find(const struct case_db *c, const char *ns, const char *name,
                                     int64_t t);

/*
 * The backends of port port_index of svc at t: every address of a ready
 * endpoint of an EndpointSlice of the Service valid at t, whose slice has
 * a port of the Service port's name and protocol (its number is the
 * backend's port).  At most max go into out; returns how many there are
 * (possibly more than max).
 */
size_t case_svc_backends(const struct case_db *c, const struct case_svc *svc, size_t port_index,
                         int64_t t, struct case_backend *out, size_t max);

/*
 * Calico's `services` match (§12): 1 when ip is an address of an endpoint
 * of an EndpointSlice of Service ns/name valid at t (readiness is not
 * consulted, as Felix does not); with_port, also when one of that slice's
 * ports has protocol proto (TCP when the slice gives none) and number
 * port.  Else 0.
 */
int case_svc_member(const struct case_db *c, const char *ns, const char *name,
                    const struct ipaddr *ip, int with_port, int proto, uint16_t port, int64_t t);

/* Which generation of the EndpointSlices holds at t: flows with the same
 * number see the same slices (verdict caches key on it). */
uint32_t case_svc_epoch(const struct case_db *c, int64_t t);

/* The pod network holding ip, or NULL (§11). */
const struct case_podnet *case_pod_network(const struct case_db *c, const struct ipaddr *ip);

/*
 * A reader of the flows for one thread (a flow scan's statement, address
 * memo and pairing cursor) over connection k of those opened for
 * case_opts.readers, or over the case's own when k is SIZE_MAX.  Readers
 * of distinct connections may scan at once, in threads, while nothing
 * else uses the case (SQLite in its multi-thread mode).  0, ERR_DB or
 * ERR_INVALID (no such connection).
 */
struct case_reader;
int case_reader_new(struct case_db *c, size_t k, struct case_reader **out,
                    struct diag *d) MUST_CHECK;
void case_reader_free(struct case_reader **r);

/* Rows a scan left out. */
#define CASE_BAD_SHOWN 10
struct case_skips {
    uint64_t bad;                    /* unusable (struct case_bad), all reasons */
    uint64_t why[CASE_WHY_N];        /* by reason */
    uint64_t peers;                  /* other ends of connections reported with another row */
    uint64_t read;                   /* rows looked at */
    int64_t bad_ids[CASE_BAD_SHOWN]; /* the first unusable rows */
    uint8_t bad_why[CASE_BAD_SHOWN]; /* and why */
};

/*
 * Call fn for every flow passing f whose id is in [lo, hi], in id order,
 * as case_flows() does; rows left out are counted into skips (reported
 * by case_skips_report(), after case_skips_add() of several parts in
 * order).  0, fn's value, ERR_DB, or -errno (the pairing's file).
 */
int case_reader_flows(struct case_reader *r, const struct case_filter *f, int64_t lo, int64_t hi,
                      int (*fn)(void *ctx, const struct case_flow *fl), void *ctx,
                      struct case_skips *skips, struct diag *d) MUST_CHECK;
void case_skips_add(struct case_skips *to, const struct case_skips *from);
void case_skips_report(const struct case_db *c, const struct case_skips *s, struct diag *d);

/*
 * After case_reader_flows() over every id of the case without a window
 * (the parts' skips summed by case_skips_add()): what it left out is then
 * the count of unusable flows, as after the first whole case_flows()
 * scan; said once through d (the first rows and a warning), or refused
 * when strict.  Nothing when the rows were counted before (case_open()
 * pairing, case_check_flows(): a caller with a window calls that first).
 * 0, ERR_INVALID (strict) or ERR_LIMIT.
 */
int case_skips_done(struct case_db *c, const struct case_skips *s, struct diag *d) MUST_CHECK;

/* The flows' ids lie within [*lo, *hi] (no flow: *lo > *hi).  0 or ERR_DB. */
int case_id_range(struct case_db *c, int64_t *lo, int64_t *hi, struct diag *d) MUST_CHECK;

/*
 * Call fn for every flow passing f, in id order (no sort: a scan).  A nonzero
 * return from fn stops the walk and is returned.  Rows left out as
 * unusable are skipped; the first whole scan counts them (a window, f's
 * since or until, makes case_check_flows() count first) and then reports
 * them like case_check_flows().  0, fn's value, ERR_INVALID (strict),
 * ERR_LIMIT or ERR_DB.
 */
int case_flows(struct case_db *c, const struct case_filter *f,
               int (*fn)(void *ctx, const struct case_flow *fl), void *ctx,
               struct diag *d) MUST_CHECK;

#endif
