/*
 * flow_state.h: Zeek's view of a connection, kept inside a flow entry:
 * the TCP endpoint state machine, the history letters and the conn_state
 * word.  Pure functions of the entry; no allocation, no I/O.
 */
#ifndef PODFLOW_CAPTURE_FLOW_STATE_H
#define PODFLOW_CAPTURE_FLOW_STATE_H

#include <stdint.h>

#include "capture/flow_int.h"

/* Start the TCP/history state of a new entry (both sides inactive). */
void flow_state_init(struct flow_entry *e);

/*
 * One TCP segment sent by canonical side `side` (0 or 1) with the given
 * flags byte, sequence number and payload length: Zeek's update_history()
 * then UpdateStateMachine(), including the SYN/SYN-ACK reversal flip.
 */
void flow_state_tcp(struct flow_entry *e, int side, uint8_t flags, uint32_t seq, uint32_t payload);

/*
 * flow_state_tcp()'s common case without the call: a segment with none of
 * SYN, FIN, RST from a side already established or partial, whose history
 * letter (D for payload, A for a bare ACK) that side already has.  Zeek's
 * state machine then changes nothing and update_history() adds no letter;
 * only the payload bit is recorded.  Returns 1 when it handled the
 * segment, 0 when flow_state_tcp() must (nothing changed then).
 */
static inline int flow_state_tcp_quiet(struct flow_entry *e, int side, uint8_t flags,
                                       uint32_t payload)
{
    unsigned s = flow_tst_get(e, side);
    unsigned need;

    if ((flags & 0x07u) != 0 /* FIN, SYN, RST (RFC 9293 section 3.1) */ ||
        (s != FLOW_TCP_ESTABLISHED && s != FLOW_TCP_PARTIAL))
        return 0;
    need = payload ? FLOW_HS_DATA : (flags & 0x10u /* ACK */) ? FLOW_HS_ACK : 0;
    if ((e->hs[side] & need) != need)
        return 0;
    if (payload)
        e->vlan_meta = (uint16_t)(e->vlan_meta | (side ? FLOW_M_PAYLOAD1 : FLOW_M_PAYLOAD0));
    return 1;
}

/* Append history letter c (given in upper case) for side: kept upper case
 * when side is the originator, lower-cased for the responder.  Letters past
 * FLOW_HIST_LETTERS are dropped. */
void flow_state_history(struct flow_entry *e, int side, char c);

/* Swap the originator and responder roles and record '^' (Zeek's
 * Connection::FlipRoles). */
void flow_state_flip(struct flow_entry *e);

/* The history as text into out (FLOW_HISTORY_MAX + 1 bytes, NUL-terminated). */
void flow_state_history_str(const struct flow_entry *e, char *out);

/* Zeek's conn_state word for the entry: a static string. */
const char *flow_state_conn(const struct flow_entry *e);

/* 1 when a TCP entry belongs in FLOW_CL_LINGER: no side established or
 * partial (an attempt), or a side closed or reset. */
int flow_state_tcp_lingers(const struct flow_entry *e);

/* 1 when a TCP connection is over (a side reset, or both closed): a new
 * SYN on the same 5-tuple then starts a new connection (Zeek's IsReuse). */
int flow_state_tcp_finished(const struct flow_entry *e);

#endif
