/*
 * flow_int.h: the flow entry layout shared by flow_table.c (hash, lists,
 * timeouts) and flow_state.c (Zeek's TCP endpoint states, history and
 * conn_state).  Not a public contract: only capture/flow_*.c and tests use it.
 *
 * An entry is 128 bytes (two cache lines; checked by a static assertion).
 * Its key is the canonical 5-tuple: side 0 is the (address, port) that
 * sorts lower, side 1 the other, so both directions of a connection find
 * the same entry.  Per-direction counters and TCP state are kept by
 * canonical side; which side is the originator is one bit (FLOW_M_ORIG1),
 * so Zeek's role flip is a bit flip.
 */
#ifndef PODFLOW_CAPTURE_FLOW_INT_H
#define PODFLOW_CAPTURE_FLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "capture/flow.h"

/* What the key's port fields hold. */
enum flow_kind {
    FLOW_KIND_PORTS = 0, /* TCP/UDP/SCTP ports, or 0/0 for port-less protocols */
    FLOW_KIND_ECHO = 1,  /* ICMP echo: both ports hold the identifier */
    FLOW_KIND_ICMP = 2   /* other ICMP: both ports hold the canonical type (pair) */
};

/* 42 bytes, 2-byte aligned: hashed and compared as raw bytes, so every
 * byte (padding included) is set by flow_key_make(). */
struct flow_key {
    uint8_t a[16];     /* side 0 address (v4 in [0..3], rest zero) */
    uint8_t b[16];     /* side 1 address */
    uint16_t iface_lo; /* interfaces.id, split to keep the key 2-aligned */
    uint16_t iface_hi;
    uint16_t pa;     /* side 0 port (host order) */
    uint16_t pb;     /* side 1 port */
    uint8_t proto;   /* IANA protocol */
    uint8_t famkind; /* family (4 or 6) in bits 0-3, enum flow_kind in 4-7 */
};
#define FLOW_KEY_SIZE 42

/* TCP endpoint states (Zeek's TCP_ENDPOINT_*; analyzer/protocol/tcp/TCP_Endpoint.h). */
enum flow_tcp_ep {
    FLOW_TCP_INACTIVE = 0,
    FLOW_TCP_SYN_SENT,
    FLOW_TCP_SYN_ACK_SENT,
    FLOW_TCP_PARTIAL,
    FLOW_TCP_ESTABLISHED,
    FLOW_TCP_CLOSED,
    FLOW_TCP_RESET
};

/* hs[side]: history letters already recorded for that side (Zeek's
 * hist_seen masks), plus facts conn_state needs. */
enum flow_hist_seen {
    FLOW_HS_SYN = 1 << 0,    /* S or H recorded (one mask for both, as Zeek) */
    FLOW_HS_FIN = 1 << 1,    /* F */
    FLOW_HS_RST = 1 << 2,    /* R */
    FLOW_HS_ACK = 1 << 3,    /* A */
    FLOW_HS_DATA = 1 << 4,   /* D */
    FLOW_HS_FINRST = 1 << 5, /* I */
    FLOW_HS_MULTI = 1 << 6,  /* Q */
    FLOW_HS_SENT = 1 << 7    /* this side sent at least one packet (UDP states) */
};

/* meta bits (vlan_meta bits 13-15 and cls). */
#define FLOW_VLAN_MASK  0x1fffu    /* vlan + 1; 0: none */
#define FLOW_M_ORIG1    (1u << 13) /* side 1 is the originator */
#define FLOW_M_PAYLOAD0 (1u << 14) /* side 0 sent TCP payload */
#define FLOW_M_PAYLOAD1 (1u << 15) /* side 1 sent TCP payload */

/* Timeout classes: one LRU list each, so the head is always the oldest. */
enum flow_class {
    FLOW_CL_TCP = 0, /* TCP established / partial */
    FLOW_CL_LINGER,  /* TCP attempt, closed or reset */
    FLOW_CL_UDP,     /* UDP and other protocols */
    FLOW_CL_ICMP,
    FLOW_CL_COUNT
};

/* touched: what happened to an entry since it was last looked at. */
enum flow_touch {
    FLOW_T_QUEUE = 1 << 0,  /* a packet came since it was (re)queued: expiry re-queues it */
    FLOW_T_DIRTY = 1 << 1,  /* a packet came since its last open row (flow_table_snapshot()) */
    FLOW_T_OPENROW = 1 << 2 /* an open row of this row's packets was written: replace it */
};

#define FLOW_NIL          UINT32_MAX
#define FLOW_HIST_LETTERS 12 /* 5 bits each in a uint64_t */

struct flow_entry {
    int64_t first_ns;  /* packet time of this row's first packet */
    int64_t last_ns;   /* packet time of the last packet */
    uint64_t bytes[2]; /* IP bytes sent by side 0 / side 1 in this row */
    uint64_t hist;     /* Zeek history, 5-bit letter codes, first in bits 0-4 */
    struct flow_key key;
    uint16_t tst;        /* TCP states: side 0 bits 0-2, side 1 bits 3-5;
                            previous states: bits 6-8, 9-11 */
    uint16_t vlan_meta;  /* FLOW_VLAN_MASK | FLOW_M_* */
    uint16_t fin_seq[2]; /* low 16 bits of the last FIN's sequence end, per side */
    uint16_t rst_seq[2]; /* low 16 bits of the last RST's sequence, per side */
    uint16_t icmp_count; /* ICMP errors that quoted this flow (saturating) */
    uint32_t prev;       /* LRU list links (entry indexes, FLOW_NIL ends) */
    uint32_t next;
    uint32_t pkts[2];    /* packets sent by side 0 / side 1 in this row */
    uint32_t syn_seq[2]; /* sequence number of the last SYN, per side */
    uint8_t flags[2];    /* OR of TCP flags per side in this row */
    uint8_t hs[2];       /* enum flow_hist_seen per side */
    uint8_t cls;         /* enum flow_class; 0xff: free */
    uint8_t icmp_type;   /* ICMP flow: first type; else first error's type */
    uint8_t icmp_code;
    uint8_t touched; /* enum flow_touch bits (flow_table.c) */
};

static inline unsigned flow_tst_get(const struct flow_entry *e, int side)
{
    return (e->tst >> (side * 3)) & 7u;
}

static inline int flow_orig_side(const struct flow_entry *e)
{
    return (e->vlan_meta & FLOW_M_ORIG1) ? 1 : 0;
}

#endif
