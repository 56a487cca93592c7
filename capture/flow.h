/*
 * flow.h: the contract between the packet side of podflow-capture (decode,
 * flow table) and the writer side (sources, .db writer, main loop).
 *
 * Packets go in through flow_table_packet(); finished flows come out
 * through the emit callback as struct flow_rec, one row of the flows table
 * each (schema.sql).  Time is packet time, so offline files expire flows
 * exactly as a live capture would.
 */
#ifndef PODFLOW_CAPTURE_FLOW_H
#define PODFLOW_CAPTURE_FLOW_H

#include <stddef.h>
#include <stdint.h>

#define FLOW_HISTORY_MAX 31 /* Zeek history letters kept per flow */

/* One finished (or interim) flow: a row of the flows table. */
struct flow_rec {
    uint8_t family;    /* 4 or 6 */
    uint8_t proto;     /* IANA protocol number */
    uint8_t src[16];   /* initiator address, network order (v4 in [0..3]) */
    uint8_t dst[16];   /* responder address */
    uint16_t src_port; /* 0 where the protocol has none */
    uint16_t dst_port;
    int64_t first_ns;     /* Unix ns of the first packet */
    int64_t last_ns;      /* Unix ns of the last packet */
    uint64_t packets_fwd; /* initiator -> responder */
    uint64_t bytes_fwd;   /* IP-layer bytes */
    uint64_t packets_rev;
    uint64_t bytes_rev;
    uint8_t flags_fwd; /* OR of TCP flags */
    uint8_t flags_rev;
    char state[8];                      /* Zeek conn_state word, NUL-terminated */
    char history[FLOW_HISTORY_MAX + 1]; /* Zeek history, NUL-terminated */
    int16_t icmp_type;                  /* -1: none (see schema.sql) */
    int16_t icmp_code;                  /* -1: none */
    uint32_t icmp_count;                /* ICMP errors that quoted this flow */
    int32_t icmp_id;                    /* ICMP echo identifier, -1: none */
    uint32_t iface;                     /* interfaces.id of the capturing interface, 0: unknown */
    int32_t vlan;                       /* outermost VLAN id, -1: none */
    uint8_t interim;                    /* 1: cut by the active timeout, continues */
    uint8_t dnat_family;                /* 0: no DNAT seen, else 4 or 6 (set after the flow
                                         * table, by capture/conntrack.c) */
    uint8_t dnat[16];                   /* the backend the node's DNAT chose for dst */
    uint16_t dnat_port;                 /* and its port */
    uint8_t open;                       /* 1: a flow still active, as it is so far
                                         * (flow_table_snapshot()); 0: its row as it ended */
    uint8_t replaces;                   /* 1: an open row of this flow was emitted before:
                                         * this record replaces it */
    uint32_t slot;                      /* which active flow this is: unique among the flows
                                         * in the table at a time (ties open rows to theirs) */
};

/* Where finished flows go.  The record is only valid during the call. */
typedef void (*flow_emit_fn)(void *ctx, const struct flow_rec *rec);

/* Timeouts in nanoseconds of packet time; 0 picks the default. */
struct flow_config {
    int64_t tcp_established_ns; /* idle, established TCP (default 300 s, Zeek) */
    int64_t tcp_linger_ns;      /* after close/reset/unanswered attempt (default 5 s, Zeek) */
    int64_t udp_ns;             /* idle UDP and other protocols (default 60 s) */
    int64_t icmp_ns;            /* idle ICMP (default 60 s) */
    int64_t active_ns;          /* active timeout: interim row (default 300 s, nfpcapd) */
    size_t max_flows;           /* memory cap (default LIM_FLOWS_DEFAULT) */
    uint64_t hash_seed;         /* 0: a random seed is drawn */
};

/* Counters for the captures row. */
struct flow_stats {
    uint64_t packets;          /* packets given to flow_table_packet() */
    uint64_t malformed;        /* counted and skipped */
    uint64_t other;            /* not IP: ARP, LLDP, ... */
    uint64_t fragments_orphan; /* non-first fragments no flow claimed */
    uint64_t flows_evicted;    /* written early past max_flows */
    uint64_t icmp_unmatched;   /* ICMP errors quoting no known flow */
    uint64_t flows_emitted;    /* records passed to emit */
    size_t active;             /* flows in the table now */
};

struct flow_table;

/* A new TCP, UDP or SCTP flow: its first packet's originator (src) and
 * responder, addresses of family 4 (in [0..3]) or 6. */
typedef void (*flow_new_fn)(void *ctx, int family, int proto, const uint8_t *src, uint16_t sport,
                            const uint8_t *dst, uint16_t dport);

/* A new table; emit is called for every finished flow (emit may be NULL:
 * flows are then only counted).  cfg may be NULL (all defaults).  Never NULL. */
struct flow_table *flow_table_new(const struct flow_config *cfg, flow_emit_fn emit, void *ctx);
/* Call fn(ctx, ...) for every new TCP, UDP and SCTP flow from now on (not
 * for the rows that continue a flow after an interim row); NULL stops. */
void flow_table_on_new(struct flow_table *ft, flow_new_fn fn, void *ctx);

/* Free the table without emitting (call flow_table_flush first to keep flows). */
void flow_table_free(struct flow_table **ft);

/*
 * Decode one captured frame of link type dlt (DLT_* / LINKTYPE_*) and
 * account it to its flow.  data[0..caplen) is untrusted; wirelen is the
 * original length.  iface is the interfaces.id to record.  Never fails:
 * malformed frames are counted and skipped.  Expires idle flows as packet
 * time passes.  Returns 0, or ERR_FORMAT when dlt is not a link type we
 * decode (the caller reports it once).
 */
int flow_table_packet(struct flow_table *ft, int dlt, int64_t ts_ns, const uint8_t *data,
                      size_t caplen, size_t wirelen, uint32_t iface);

/*
 * flow_table_packet() decodes at once (data need not outlive the call) but
 * accounts each packet two calls later, prefetching its table lines
 * meanwhile; flow_table_expire(), flow_table_flush() and this function
 * account the packets still in flight, in order.  Until then the emit
 * callback, and the active / flows_* counters, lag by up to two packets.
 */
void flow_table_drain(struct flow_table *ft);

/* 1 when flow_table_packet() decodes link type dlt. */
int flow_dlt_supported(int dlt);

/* Expire flows idle at now_ns (for a live capture with no packets). */
void flow_table_expire(struct flow_table *ft, int64_t now_ns);
/* Emit every flow still open (end of capture). */
void flow_table_flush(struct flow_table *ft);

/*
 * Emit, with open = 1, every active flow that saw a packet since its last
 * open record (or ever, if it has none): its counters, flags and state so
 * far.  The flow's later records (another open one, its interim row, its
 * final row) carry replaces = 1 and the same slot, so a writer keeps one
 * row per flow and a capture killed after this loses none of the packets
 * counted so far (the writer's --commit-interval).  Not counted in
 * flows_emitted.
 */
void flow_table_snapshot(struct flow_table *ft);
/* Current counters. */
void flow_table_stats(const struct flow_table *ft, struct flow_stats *out);

#endif
