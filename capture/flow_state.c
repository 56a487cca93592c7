/*
 * flow_state.c: Zeek's connection semantics, copied so that people's Zeek
 * queries work on our rows unchanged (reference/flow-semantics.md).
 *
 * Sources of the rules (Zeek, checked against zeek/zeek master):
 *  - TCP endpoint states and their transitions:
 *    src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc,
 *    UpdateStateMachine() and the Update*State() functions it calls;
 *  - history letters: the same file, update_history(), with
 *    Connection::CheckHistory() (a letter once per side and mask; responder
 *    letters lower-cased) and Connection::FlipRoles() ('^');
 *  - conn_state: scripts/base/protocols/conn/main.zeek, conn_state().
 *
 * Differences, all from what a flow recorder can afford per packet:
 *  - sequence numbers are compared raw, not relative to the initial one
 *    (same result while the endpoint's initial sequence number does not
 *    change), and for FIN and RST repeats by their low 16 bits only;
 *  - "size" (payload bytes) in conn_state's REJ rule is whether the side
 *    sent any TCP payload, not the sequence-number distance;
 *  - letters needing payload analysis are not produced: c (checksum),
 *    g (gap), t (retransmission), w (zero window), x (partial analysis);
 *  - at most FLOW_HIST_LETTERS letters are kept.
 */
#include "capture/flow_state.h"

#include <stdint.h>
#include <string.h>

#include "capture/flow_int.h"
#include "common/compat.h"

/* TCP flag bits (RFC 9293 section 3.1). */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* History letter codes 1..31 in the packed uint64_t; 0 ends the string. */
static const char hist_alphabet[] = "?^SHADFRIQCGTWXshadfriqcgtwx";

/* The index of a letter in hist_alphabet (0: not a letter we record). */
static const uint8_t hist_code[128] = {
    ['^'] = 1,  ['S'] = 2,  ['H'] = 3,  ['A'] = 4,  ['D'] = 5,  ['F'] = 6,  ['R'] = 7,
    ['I'] = 8,  ['Q'] = 9,  ['C'] = 10, ['G'] = 11, ['T'] = 12, ['W'] = 13, ['X'] = 14,
    ['s'] = 15, ['h'] = 16, ['a'] = 17, ['d'] = 18, ['f'] = 19, ['r'] = 20, ['i'] = 21,
    ['q'] = 22, ['c'] = 23, ['g'] = 24, ['t'] = 25, ['w'] = 26, ['x'] = 27,
};

static void hist_append(struct flow_entry *e, char c)
{
    unsigned code = (unsigned char)c < sizeof(hist_code) ? hist_code[(unsigned char)c] : 0;
    unsigned used;

    /* Letters are non-zero codes written in order from bit 0, so the
     * highest set bit lies in the last one: letters used = ceil(bits / 5). */
    used = e->hist ? (unsigned)(64 - __builtin_clzll(e->hist) + 4) / 5 : 0;
    if (used < FLOW_HIST_LETTERS && code != 0)
        e->hist |= (uint64_t)code << (used * 5);
}

void flow_state_history(struct flow_entry *e, int side, char c)
{
    if (side != flow_orig_side(e) && c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
    hist_append(e, c);
}

void flow_state_history_str(const struct flow_entry *e, char *out)
{
    size_t n = 0;

    for (unsigned i = 0; i < FLOW_HIST_LETTERS && n < FLOW_HISTORY_MAX; i++) {
        unsigned code = (unsigned)((e->hist >> (i * 5)) & 31u);
        if (code == 0 || code >= sizeof(hist_alphabet) - 1)
            break;
        out[n++] = hist_alphabet[code];
    }
    out[n] = '\0';
}

void flow_state_init(struct flow_entry *e)
{
    e->tst = 0;
    e->hist = 0;
    e->hs[0] = e->hs[1] = 0;
    e->syn_seq[0] = e->syn_seq[1] = 0;
    e->fin_seq[0] = e->fin_seq[1] = 0;
    e->rst_seq[0] = e->rst_seq[1] = 0;
}

void flow_state_flip(struct flow_entry *e)
{
    e->vlan_meta ^= FLOW_M_ORIG1;
    hist_append(e, '^');
}

static unsigned st(const struct flow_entry *e, int side)
{
    return flow_tst_get(e, side);
}

static unsigned prev_st(const struct flow_entry *e, int side)
{
    return (e->tst >> (6 + side * 3)) & 7u;
}

/* Zeek's TCP_Endpoint::SetState(): remember the state left. */
static void set_st(struct flow_entry *e, int side, unsigned s)
{
    unsigned cur = st(e, side);
    unsigned t = e->tst;

    t &= ~((7u << (side * 3)) | (7u << (6 + side * 3)));
    t |= s << (side * 3);
    t |= cur << (6 + side * 3);
    e->tst = (uint16_t)t;
}

/* Connection::CheckHistory(): record letter c for side the first time mask
 * is seen; returns 1 when mask had been seen before. */
static int check_history(struct flow_entry *e, int side, unsigned mask, char c)
{
    if (e->hs[side] & mask)
        return 1;
    e->hs[side] = (uint8_t)(e->hs[side] | mask);
    flow_state_history(e, side, c);
    return 0;
}

/* update_history(): letters from one segment's flags. */
static void update_history(struct flow_entry *e, int side, uint8_t flags, uint32_t seq,
                           uint32_t len)
{
    int bits;

    /* Most segments carry none of SYN, FIN, RST: data or a bare ACK. */
    if (!(flags & (TH_SYN | TH_FIN | TH_RST))) {
        if (len)
            check_history(e, side, FLOW_HS_DATA, 'D');
        else if (flags & TH_ACK)
            check_history(e, side, FLOW_HS_ACK, 'A');
        return;
    }
    bits = !!(flags & TH_SYN) + !!(flags & TH_FIN) + !!(flags & TH_RST);
    if (bits > 1) {
        if ((flags & TH_FIN) && (flags & TH_RST))
            check_history(e, side, FLOW_HS_FINRST, 'I');
        else
            check_history(e, side, FLOW_HS_MULTI, 'Q');
    } else if (bits == 1) {
        if (flags & TH_SYN) {
            char code = (flags & TH_ACK) ? 'H' : 'S';
            if (check_history(e, side, FLOW_HS_SYN, code) && seq != e->syn_seq[side])
                flow_state_history(e, side, code);
            e->syn_seq[side] = seq;
        }
        if (flags & TH_FIN) {
            /* For a FIN the sequence number that counts comes after its data. */
            uint16_t end = (uint16_t)((seq + len) & 0xffffu);
            if (check_history(e, side, FLOW_HS_FIN, 'F') && end != e->fin_seq[side])
                flow_state_history(e, side, 'F');
            e->fin_seq[side] = end;
        }
        if (flags & TH_RST) {
            uint16_t s16 = (uint16_t)(seq & 0xffffu);
            if (check_history(e, side, FLOW_HS_RST, 'R') && s16 != e->rst_seq[side])
                flow_state_history(e, side, 'R');
            e->rst_seq[side] = s16;
        }
    }
}

/* UpdateInactiveState(): the endpoint had sent nothing that set a state. */
static void update_inactive(struct flow_entry *e, int ep, int peer, int is_orig, uint8_t flags,
                            uint32_t len)
{
    if (flags & TH_SYN) {
        if (is_orig) {
            set_st(e, ep, (flags & TH_ACK) ? FLOW_TCP_SYN_ACK_SENT : FLOW_TCP_SYN_SENT);
        } else {
            if (!(flags & TH_ACK) && st(e, peer) == FLOW_TCP_SYN_ACK_SENT) {
                /* A SYN/SYN-ACK reversal: the "originator" sent the SYN-ACK.
                 * Flip the roles and establish the connection. */
                flow_state_flip(e);
                set_st(e, peer, FLOW_TCP_ESTABLISHED);
            }
            if (st(e, peer) == FLOW_TCP_SYN_SENT)
                set_st(e, peer, FLOW_TCP_ESTABLISHED);
            set_st(e, ep, FLOW_TCP_ESTABLISHED);
        }
    }
    if (flags & TH_FIN)
        set_st(e, ep, FLOW_TCP_CLOSED);
    if (flags & TH_RST)
        set_st(e, ep, FLOW_TCP_RESET);
    if (st(e, ep) == FLOW_TCP_INACTIVE) {
        int orig = flow_orig_side(e);
        if (!is_orig && len == 0 && st(e, orig) == FLOW_TCP_SYN_SENT) {
            /* An ACK of the SYN before the SYN-ACK: not a partial connection. */
        } else if ((flags & TH_ACK) && st(e, peer) == FLOW_TCP_ESTABLISHED) {
            /* SYN-ACK seen, SYN missed, now the pure ACK: established. */
            set_st(e, ep, FLOW_TCP_ESTABLISHED);
        } else {
            set_st(e, ep, FLOW_TCP_PARTIAL);
        }
    }
}

void flow_state_tcp(struct flow_entry *e, int side, uint8_t flags, uint32_t seq, uint32_t payload)
{
    int peer = !side;
    int is_orig = side == flow_orig_side(e);

    update_history(e, side, flags, seq, payload);
    if (payload && !(flags & TH_RST))
        e->vlan_meta |= side ? FLOW_M_PAYLOAD1 : FLOW_M_PAYLOAD0;

    switch (st(e, side)) {
    case FLOW_TCP_INACTIVE:
        update_inactive(e, side, peer, is_orig, flags, payload);
        break;
    case FLOW_TCP_SYN_SENT:
    case FLOW_TCP_SYN_ACK_SENT:
        /* UpdateSYN_SentState() */
        if (flags & TH_FIN)
            set_st(e, side, FLOW_TCP_CLOSED);
        if (flags & TH_RST)
            set_st(e, side, FLOW_TCP_RESET);
        break;
    case FLOW_TCP_ESTABLISHED:
    case FLOW_TCP_PARTIAL:
        /* UpdateEstablishedState() */
        if ((flags & TH_SYN) && st(e, side) == FLOW_TCP_PARTIAL &&
            st(e, peer) == FLOW_TCP_INACTIVE && !(flags & TH_ACK))
            set_st(e, side, FLOW_TCP_SYN_SENT);
        if ((flags & TH_FIN) && !(flags & TH_RST)) {
            set_st(e, side, FLOW_TCP_CLOSED);
            /* The peer's FIN then RST was a normal termination after all. */
            if (st(e, peer) == FLOW_TCP_RESET && prev_st(e, peer) == FLOW_TCP_CLOSED)
                set_st(e, peer, FLOW_TCP_CLOSED);
        }
        if (flags & TH_RST)
            set_st(e, side, FLOW_TCP_RESET);
        break;
    case FLOW_TCP_CLOSED:
        /* UpdateClosedState(): a RST after our FIN counts unless the peer
         * closed too (then the FIN exchange already ended it). */
        if ((flags & TH_RST) && st(e, peer) != FLOW_TCP_CLOSED)
            set_st(e, side, FLOW_TCP_RESET);
        break;
    default: /* FLOW_TCP_RESET: UpdateResetState() changes nothing */
        break;
    }
}

/* Zeek's RSTOS0 test: history matches /\^?S[^HAFGIQ]*R.* / as a whole. */
static int hist_rstos0(const char *h)
{
    if (*h == '^')
        h++;
    if (*h++ != 'S')
        return 0;
    for (; *h; h++) {
        if (*h == 'R')
            return 1;
        if (strchr("HAFGIQ", *h))
            return 0;
    }
    return 0;
}

static int ep_inactive(unsigned s)
{
    return s == FLOW_TCP_INACTIVE || s == FLOW_TCP_PARTIAL;
}

const char *flow_state_conn(const struct flow_entry *e)
{
    int o = flow_orig_side(e);
    int r = !o;

    switch (e->key.proto) {
    case 6: {
        /* conn_state() in scripts/base/protocols/conn/main.zeek, rule by rule. */
        unsigned os = st(e, o), rs = st(e, r);
        int o_inactive = ep_inactive(os), r_inactive = ep_inactive(rs);
        int no_payload = !(e->vlan_meta & (FLOW_M_PAYLOAD0 | FLOW_M_PAYLOAD1));

        if (rs == FLOW_TCP_RESET) {
            if (os == FLOW_TCP_SYN_SENT || os == FLOW_TCP_SYN_ACK_SENT ||
                (os == FLOW_TCP_RESET && no_payload))
                return "REJ";
            return o_inactive ? "RSTRH" : "RSTR";
        }
        if (os == FLOW_TCP_RESET) {
            if (r_inactive) {
                char h[FLOW_HISTORY_MAX + 1];
                flow_state_history_str(e, h);
                return hist_rstos0(h) ? "RSTOS0" : "OTH";
            }
            return "RSTO";
        }
        if (rs == FLOW_TCP_CLOSED && os == FLOW_TCP_CLOSED)
            return "SF";
        if (os == FLOW_TCP_CLOSED)
            return r_inactive ? "SH" : "S2";
        if (rs == FLOW_TCP_CLOSED)
            return o_inactive ? "SHR" : "S3";
        if (os == FLOW_TCP_SYN_SENT && rs == FLOW_TCP_INACTIVE)
            return "S0";
        if (os == FLOW_TCP_ESTABLISHED && rs == FLOW_TCP_ESTABLISHED)
            return "S1";
        return "OTH";
    }
    case 17: {
        /* UDP: an endpoint is UDP_ACTIVE once it sent a packet. */
        int oa = (e->hs[o] & FLOW_HS_SENT) != 0, ra = (e->hs[r] & FLOW_HS_SENT) != 0;
        if (oa)
            return ra ? "SF" : "S0";
        return ra ? "SHR" : "OTH";
    }
    default:
        return "OTH";
    }
}

int flow_state_tcp_lingers(const struct flow_entry *e)
{
    unsigned s0 = st(e, 0), s1 = st(e, 1);

    if (s0 >= FLOW_TCP_CLOSED || s1 >= FLOW_TCP_CLOSED)
        return 1;
    return !(s0 == FLOW_TCP_ESTABLISHED || s0 == FLOW_TCP_PARTIAL || s1 == FLOW_TCP_ESTABLISHED ||
             s1 == FLOW_TCP_PARTIAL);
}

int flow_state_tcp_finished(const struct flow_entry *e)
{
    unsigned s0 = st(e, 0), s1 = st(e, 1);

    if (s0 == FLOW_TCP_RESET || s1 == FLOW_TCP_RESET)
        return 1;
    return s0 == FLOW_TCP_CLOSED && s1 == FLOW_TCP_CLOSED;
}
