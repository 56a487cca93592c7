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
#include "common/ipaddr.h"
#include "common/labels.h"

struct diag;

/* endpoints.kind, in the order the identity rule prefers them. */
enum ep_kind { EP_POD, EP_HOST, EP_SERVICE, EP_EXTERNAL };
const char *ep_kind_name(enum ep_kind k); /* "pod", "host", "service", "external" */

/* A named container port a pod declares (policy-semantics.md §3.2). */
struct case_port {
    const char *name; /* arena */
    int proto;        /* 6, 17 or 132 */
    uint16_t port;
};

struct case_ep {
    int64_t id;               /* endpoints.id */
    struct ipaddr ip;
    const char *ip_text;      /* canonical text (arena) */
    int has_from, has_to;     /* 0: open-ended */
    int64_t from_ns, to_ns;   /* valid when [from, to) */
    enum ep_kind kind;
    const char *ns;           /* namespace or NULL (arena) */
    const char *name;
    const char *workload_kind;
    const char *workload;
    const char *sa;           /* service account or NULL */
    const char *node;
    struct labels labels;     /* as recorded (owned) */
    struct labels calico;     /* as Calico sees a pod (§1.6): own minus pcns./pcsa.,
                                 projectcalico.org/<name>, pcns.*, pcsa.* (owned; empty
                                 for every kind but pod) */
    struct case_port *ports;  /* arena array */
    size_t nports;
};

struct case_ns {
    const char *name;         /* arena */
    struct labels labels;     /* owned; kubernetes.io/metadata.name always set */
};

/* Longest address text remembered by the flow scan (IPv4 and short IPv6). */
#define CASE_MEMO_TEXT 23

/* One remembered address text of the flow scan. */
struct case_memo {
    uint64_t hash;
    struct ipaddr ip;
    uint8_t len;                  /* 0: empty slot */
    char text[CASE_MEMO_TEXT];
    uint32_t first;               /* its first endpoint row + 1, or 0 */
};

/* The part of an endpoint identity lookups need. */
struct case_epkey {
    struct ipaddr ip;
    uint8_t has_from, has_to;
    int64_t from_ns, to_ns;
};

struct case_db {
    sqlite3 *db;              /* read-only handle, owned */
    struct arena arena;       /* strings and arrays below */
    struct case_ep *eps;      /* sorted: ip, then the identity rule's order */
    size_t neps;
    struct case_ns *nss;      /* sorted by name */
    size_t nnss;
    struct case_epkey *keys;  /* per ep, what case_lookup() reads: kept apart from
                                 the large case_ep so that lookups stay in cache */
    uint32_t *ipidx;          /* open-addressing table: ip hash -> first ep index + 1 */
    size_t ipidx_size;        /* power of two */
    struct case_memo *memo;   /* address texts seen by case_flows() (malloc'd) */
    size_t memo_size, memo_used; /* slots (a power of two), filled ones */
    int has_dnat;             /* flows has dnat_ip / dnat_port (schema v2) */
    const char *path;
};

/* One flow row, with identities resolved at first_ns (borrowed pointers,
 * valid during the callback only where noted). */
struct case_flow {
    int64_t id;
    int64_t capture_id;
    int proto;
    struct ipaddr src_ip, dst_ip;     /* dst_ip is post-DNAT when known */
    const char *src_text, *dst_text;  /* as recorded (callback only) */
    uint16_t src_port, dst_port;      /* dst_port post-DNAT when known */
    int dnat;                         /* 1: dst replaced by the recorded backend */
    const char *orig_dst_text;        /* the Service address when dnat (callback only) */
    uint16_t orig_dst_port;
    int64_t first_ns, last_ns;
    int64_t packets_fwd, packets_rev, bytes_fwd, bytes_rev;
    const char *state;                /* Zeek conn_state (callback only) */
    int icmp_type, icmp_code;         /* -1 when NULL */
    int64_t icmp_count;
    const struct case_ep *src, *dst;  /* identity at first_ns or NULL (case-owned) */
};

/* Flow filters for case_flows(); zeroed means everything. */
struct case_filter {
    int has_since, has_until;
    int64_t since_ns, until_ns;       /* flows overlapping [since, until] */
};

/*
 * Open path read-only, load endpoints and namespaces, and build the label
 * sets Calico gives pods.  Reports through d; 0 or ERR_DB / ERR_FORMAT /
 * ERR_VERSION / ERR_PARSE / ERR_LIMIT (a malformed row names its table and
 * id).  On failure nothing needs releasing.
 */
int case_open(struct case_db *c, const char *path, struct diag *d)
    __attribute__((warn_unused_result));
void case_close(struct case_db *c);

/* The endpoint holding ip at time t by the flows_named rule, or NULL. */
const struct case_ep *case_lookup(const struct case_db *c, const struct ipaddr *ip, int64_t t);

/* The namespace called name, or NULL. */
const struct case_ns *case_ns_find(const struct case_db *c, const char *name);

/*
 * Call fn for every flow passing f, in rowid order (no sort: a scan).  A nonzero
 * return from fn stops the walk and is returned.  A malformed row (an
 * address that does not parse, a port out of range) is reported as a
 * warning and skipped.  0, fn's value, or ERR_DB.
 */
int case_flows(struct case_db *c, const struct case_filter *f,
               int (*fn)(void *ctx, const struct case_flow *fl), void *ctx, struct diag *d)
    __attribute__((warn_unused_result));

#endif
