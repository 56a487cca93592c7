/*
 * flow_table.c: packets to bidirectional flows (the contract is flow.h).
 *
 * Storage: one array of 128-byte entries (grown by doubling up to
 * max_flows; a free list reuses slots) and the common index from a key's
 * hash to its entry (common/htab.h: 8-byte slots, linear probing, at most
 * half full, backward-shift deletion), which prefetch_slot() and
 * prefetch_entry() warm ahead of each packet.  The hash is the table's
 * own arrangement of the common step (hash_mum(), common/hash.h), not
 * hash_bytes(): seeded (random unless the caller fixes the seed) so
 * crafted traffic cannot aim at one probe chain, and computed from the
 * key's words while key_make() still holds them in registers, three
 * independent multiplies that run in parallel and one to finish
 * (hash_words()); hash_bytes() of the stored key would re-read the bytes
 * just written (a store-forwarding stall) and chain its multiplies one
 * after the other.  Nothing is allocated per packet.
 *
 * Time: packet time.  Every entry sits on the list of its timeout class
 * (TCP established, TCP linger, UDP/other, ICMP), in the order it was
 * queued, and expiry looks at the list heads only.  A packet does not move
 * its entry (that would write two neighbours: two more cache misses per
 * packet at a million flows); it marks it touched, and expiry re-queues a
 * touched head at the tail instead of stopping there.  Each re-queue pays
 * for one packet, so expiry is O(1) amortised however many flows are open.
 * The price is timing, never content: an entry re-queued with its last
 * packet older than the entries ahead of it can be written up to one
 * timeout late (at most 2 x timeout after its last packet; the model test
 * checks both bounds), and a packet reaching a flow idle past its timeout
 * always ends it and starts a new one, so where flows split is exact.  A
 * class change (TCP closing) moves the entry at once.  After re-queueing
 * touched heads, the heads give the least recently active flows to evict
 * when the table is full.
 *
 * Direction: the key is canonical (lower address/port first); the entry
 * remembers which side originated.  The originator is the sender of the
 * first packet, except that a first TCP SYN-ACK makes its receiver the
 * originator (Zeek's flip, history '^': unlike Zeek we flip whatever the
 * ports, since a SYN-ACK is never sent by a client) and a first ICMP echo
 * reply makes its receiver the originator.
 *
 * ICMP errors: the quoted packet's 5-tuple is looked up (same interface)
 * and the error recorded on that flow: icmp_type/icmp_code of the first
 * error, icmp_count of all.  An ICMP error never makes a flow of its own,
 * matched or not (unmatched ones are counted in icmp_unmatched): like
 * conntrack's RELATED state it is part of the connection it answers, and
 * a separate ICMP flow would meet the policy analyzer as a connection that
 * no policy is meant to allow.  This departs from Zeek, which logs it.
 *
 * Fragments: a first fragment is a normal packet and also remembered in a
 * small direct-mapped table (LIM_FRAG_TRACK) by (addresses, protocol,
 * identification, interface); later fragments find their ports there and
 * count towards that flow's packets and bytes, without TCP state.  Those
 * whose first fragment is unknown (lost, out of order, overwritten, or
 * older than FRAG_TIMEOUT_NS) are counted in fragments_orphan.  Protocols
 * without ports need no table.
 */
#include "capture/flow.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "capture/decode.h"
#include "capture/flow_int.h"
#include "capture/flow_state.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/compat.h"

_Static_assert(sizeof(struct flow_key) == FLOW_KEY_SIZE, "flow key must be 42 packed bytes");
_Static_assert(sizeof(struct flow_entry) == 128, "flow entry must stay 128 bytes");

#define NS_PER_S 1000000000LL
/* Default timeouts (flow.h): Zeek's tcp_inactivity_timeout (5 min) and
 * tcp_close/reset/attempt delays (5 s); 60 s for UDP and ICMP (Zeek's
 * udp/icmp_inactivity_timeout); nfpcapd's 300 s active timeout. */
#define DEF_TCP_EST_NS (300 * NS_PER_S)
#define DEF_LINGER_NS  (5 * NS_PER_S)
#define DEF_UDP_NS     (60 * NS_PER_S)
#define DEF_ICMP_NS    (60 * NS_PER_S)
#define DEF_ACTIVE_NS  (300 * NS_PER_S)
/* Packet time between expiry passes while packets flow. */
#define EXPIRE_TICK_NS 1000000LL
/* How long a first fragment's ports are trusted: Linux's ipfrag_time. */
#define FRAG_TIMEOUT_NS (30 * NS_PER_S)

#define TH_SYN 0x02
#define TH_ACK 0x10

#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58
#define PROTO_SCTP   132

struct flow_list {
    uint32_t head; /* oldest */
    uint32_t tail; /* newest */
};

struct frag_track {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint32_t iface;
    int64_t ts_ns; /* when the first fragment was seen; 0: empty */
    uint16_t sport;
    uint16_t dport;
    uint8_t family;
    uint8_t proto;
    uint8_t l4; /* enum decode_l4 of the first fragment */
    uint8_t icmp_type;
};

/* A decoded packet waiting in the pipeline (see flow_table_packet()). */
struct flow_pending {
    struct decode_pkt p;
    int64_t ts_ns;
    uint32_t iface;
    uint32_t hash;       /* of key, when keyed */
    struct flow_key key; /* the flow's key (ICMP error: the quoted flow's) */
    int8_t side;         /* canonical side of the sender */
    uint8_t keyed;       /* 1: key and hash are set */
};

/* Packets in flight: the oldest is accounted when the newest arrives, so
 * the table lines of the younger ones are being fetched meanwhile: the
 * newest's index slot, and the entry of the one FLOW_ENTRY_LAG packets
 * older (its slot had that many packets' time to arrive), which then has
 * FLOW_PIPE - 1 - FLOW_ENTRY_LAG packets of lead before it is accounted.
 * A power of two: ring positions are masks, not divisions. */
#define FLOW_PIPE      4
#define FLOW_ENTRY_LAG 1

struct flow_table {
    flow_emit_fn emit;
    void *ctx;
    flow_new_fn on_new; /* or NULL */
    void *on_new_ctx;
    int64_t timeout[FLOW_CL_COUNT]; /* idle timeout per class, ns */
    int64_t active_ns;
    size_t max_flows;
    uint64_t seed;
    uint64_t hk[7]; /* hash_words()'s seed words, from seed */

    struct flow_entry *ent; /* owned: ent_map reserved for max_flows entries */
    void *ent_map;          /* the mapping (ent rounded up to ENT_CHUNK_BYTES) */
    size_t ent_map_len;
    size_t ent_used;    /* entries ever handed out (high-water mark) */
    uint32_t free_head; /* free list through .next */

    struct htab index; /* key hash -> entry index (owned) */

    struct flow_list list[FLOW_CL_COUNT];
    int64_t now_ns;         /* latest packet time seen */
    int64_t next_expire_ns; /* packet time of the next expiry pass */

    struct frag_track *frag; /* xcalloc'd, owned; LIM_FRAG_TRACK */
    struct flow_stats st;

    struct flow_pending pipe[FLOW_PIPE];
    unsigned pipe_head; /* oldest pending packet */
    unsigned pipe_n;    /* pending packets */
};

/* Entries live in one array, address space reserved for max_flows of them
 * at the start (MAP_NORESERVE: pages are only backed once touched, so
 * memory follows the flows actually held, as when the array grew by
 * chunks), aligned to ENT_CHUNK_BYTES (2 MB: one huge page) so a 128-byte
 * entry is one aligned pair of cache lines (the pair the CPU's
 * adjacent-line prefetcher fetches together).  Growing never copies, and an
 * entry is one shift and add from its index (it was two dependent loads
 * through a chunk table, on every list step and lookup). */
#define ENT_SHIFT       14
#define ENT_CHUNK       ((size_t)1 << ENT_SHIFT)
#define ENT_CHUNK_BYTES (ENT_CHUNK * sizeof(struct flow_entry))

static inline struct flow_entry *ent_at(const struct flow_table *ft, uint32_t idx)
{
    return &ft->ent[idx];
}

/* --- hashing ----------------------------------------------------------- */

/* 16-byte addresses as two 64-bit words each.  A key is hashed from the
 * words key_make() holds in registers, not read back from the narrow
 * stores that just wrote it (wide loads across them stall store
 * forwarding); key_eq() reads whole words, packets later. */
static inline void addr_words(const uint8_t *a, uint64_t w[2])
{
    memcpy(&w[0], a, 8);
    memcpy(&w[1], a + 8, 8);
}

/* The key's ports and interface as one word, its protocol and kind as
 * another: with the four address words, the six words hashed. */
static inline uint64_t key_small(const struct flow_key *k)
{
    return (uint64_t)k->pa | (uint64_t)k->pb << 16 | (uint64_t)k->iface_lo << 32 |
           (uint64_t)k->iface_hi << 48;
}

static inline uint64_t key_pf(const struct flow_key *k)
{
    return (uint64_t)k->proto | (uint64_t)k->famkind << 8;
}

/* Six key words to a hash: three independent mums (they run in parallel)
 * over word pairs, each word xored with its own seed word first so chains
 * cannot be aimed without the seed, then one mum to mix every bit into
 * the low ones (the index uses the low bits for the slot and the tag). */
static inline uint64_t hash_words(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1,
                                  uint64_t small, uint64_t pf, const uint64_t *hk)
{
    uint64_t h = hash_mum(a0 ^ hk[0], b0 ^ hk[1]) ^ hash_mum(a1 ^ hk[2], b1 ^ hk[3]) ^
                 hash_mum(small ^ hk[4], pf ^ hk[5]);
    return hash_mum(h ^ hk[6], 0xff51afd7ed558ccdULL);
}

/* The seed words hash_words() uses, drawn from the table's seed once. */
static void hash_keys(uint64_t seed, uint64_t hk[7])
{
    uint64_t x = seed;

    for (int i = 0; i < 7; i++) {
        x += 0x9e3779b97f4a7c15ULL; /* splitmix64 */
        hk[i] = hash_fmix64(x);
    }
}

/* The hash of a key in memory (an entry's, when it is removed); must
 * equal what key_make() computed for it. */
static uint64_t key_hash(const struct flow_key *k, const uint64_t *hk)
{
    uint64_t a[2], b[2];

    addr_words(k->a, a);
    addr_words(k->b, b);
    return hash_words(a[0], a[1], b[0], b[1], key_small(k), key_pf(k), hk);
}

/* Equality of the raw 42 bytes (every byte, padding included, is set by
 * key_make), as five words and a half: by the time a lookup compares, the
 * narrow stores that wrote the pending key have long retired. */
static inline uint64_t ld64(const void *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v;
}

static inline int key_eq(const struct flow_key *x, const struct flow_key *y)
{
    const uint8_t *xb = (const uint8_t *)x, *yb = (const uint8_t *)y;
    uint16_t xt, yt;

    memcpy(&xt, xb + 40, 2);
    memcpy(&yt, yb + 40, 2);
    return ((ld64(xb) ^ ld64(yb)) | (ld64(xb + 8) ^ ld64(yb + 8)) |
            (ld64(xb + 16) ^ ld64(yb + 16)) | (ld64(xb + 24) ^ ld64(yb + 24)) |
            (ld64(xb + 32) ^ ld64(yb + 32)) | (uint64_t)(xt ^ yt)) == 0;
}

/* Canonical key and its hash (from the words in registers, not read back
 * from the key just stored); returns the side (0 or 1) of src. */
static inline __attribute__((always_inline)) int
key_make(struct flow_key *k, uint32_t *hash, const uint64_t *hk, uint8_t family, uint8_t proto,
         enum flow_kind kind, const uint8_t *src, uint16_t sport, const uint8_t *dst,
         uint16_t dport, uint32_t iface)
{
    uint64_t s0 = ld64(src), s1 = ld64(src + 8), d0 = ld64(dst), d1 = ld64(dst + 8);
    uint64_t small, lo0, lo1, hi0, hi1;
    uint16_t pa, pb;
    uint8_t fk;
    unsigned pf;
    int side;

    /* The decoder wrote each address as two 8-byte stores: read it back
     * the same way (one 16-byte load spanning both stores cannot be
     * forwarded from the store buffer, a stall of a dozen cycles).  The
     * empty asm keeps the compiler from merging the loads. */
    __asm__("" : "+r"(s0), "+r"(s1), "+r"(d0), "+r"(d1));
    /* Any total order makes a canonical key; native word order is cheapest. */
    if (s0 != d0)
        side = s0 > d0;
    else if (s1 != d1)
        side = s1 > d1;
    else
        side = sport > dport;

    {
        /* Swap by mask: side is a coin toss per packet, no branch on it. */
        uint64_t m = (uint64_t)0 - (uint64_t)side;
        uint64_t x0 = (s0 ^ d0) & m, x1 = (s1 ^ d1) & m;
        unsigned xp = (unsigned)(sport ^ dport) & (unsigned)m;
        lo0 = s0 ^ x0;
        hi0 = d0 ^ x0;
        lo1 = s1 ^ x1;
        hi1 = d1 ^ x1;
        pa = (uint16_t)(sport ^ xp);
        pb = (uint16_t)(dport ^ xp);
    }
    fk = (uint8_t)((family & 0x0fu) | ((unsigned)kind << 4));
    memcpy(k->a, &lo0, 8);
    memcpy(k->a + 8, &lo1, 8);
    memcpy(k->b, &hi0, 8);
    memcpy(k->b + 8, &hi1, 8);
    k->pa = pa;
    k->pb = pb;
    k->iface_lo = (uint16_t)(iface & 0xffffu);
    k->iface_hi = (uint16_t)(iface >> 16);
    k->proto = proto;
    k->famkind = fk;
    small = (uint64_t)pa | (uint64_t)pb << 16 | (uint64_t)iface << 32;
    pf = (unsigned)proto | (unsigned)fk << 8;
    *hash = (uint32_t)hash_words(lo0, lo1, hi0, hi1, small, pf, hk);
    return side;
}

/* ICMP messages other than echo and errors come in request/answer pairs;
 * both halves share one flow keyed by the request type. */
static uint16_t icmp_pair_type(int family, uint8_t type)
{
    if (family == 4) {
        switch (type) {
        case 10:
            return 9; /* router solicitation -> advertisement (RFC 1256) */
        case 14:
            return 13; /* timestamp reply */
        case 16:
            return 15; /* information reply */
        case 18:
            return 17; /* address mask reply (RFC 950) */
        default:
            return type;
        }
    }
    switch (type) {
    case 134:
        return 133; /* router advertisement -> solicitation (RFC 4861) */
    case 136:
        return 135; /* neighbor advertisement -> solicitation */
    case 131:
    case 132:
        return 130; /* MLD report / done -> query (RFC 2710) */
    case 140:
        return 139; /* node information reply (RFC 4620) */
    default:
        return type;
    }
}

/* --- index ------------------------------------------------------------- */

/* What index_find() compares an entry's key with. */
struct index_probe {
    const struct flow_table *ft;
    const struct flow_key *k;
};

static inline int index_key_eq(const void *ctx, uint32_t idx)
{
    const struct index_probe *q = ctx;

    return key_eq(&ent_at(q->ft, idx)->key, q->k);
}

static inline __attribute__((always_inline)) uint32_t
index_find(const struct flow_table *ft, const struct flow_key *k, uint32_t hash)
{
    struct index_probe q = {ft, k};
    uint32_t idx = htab_find(&ft->index, hash, index_key_eq, &q);

    return idx == HTAB_NONE ? FLOW_NIL : idx;
}

/* --- LRU lists --------------------------------------------------------- */

static void list_unlink(struct flow_table *ft, uint32_t idx)
{
    struct flow_entry *e = ent_at(ft, idx);
    struct flow_list *l = &ft->list[e->cls];

    if (e->prev != FLOW_NIL)
        ent_at(ft, e->prev)->next = e->next;
    else
        l->head = e->next;
    if (e->next != FLOW_NIL)
        ent_at(ft, e->next)->prev = e->prev;
    else
        l->tail = e->prev;
}

static void list_push(struct flow_table *ft, uint32_t idx, uint8_t cls)
{
    struct flow_entry *e = ent_at(ft, idx);
    struct flow_list *l = &ft->list[cls];

    e->cls = cls;
    e->next = FLOW_NIL;
    e->prev = l->tail;
    if (l->tail != FLOW_NIL)
        ent_at(ft, l->tail)->next = idx;
    else
        l->head = idx;
    l->tail = idx;
}

/* --- emitting ---------------------------------------------------------- */

static void entry_emit(struct flow_table *ft, const struct flow_entry *e, int interim, int open)
{
    struct flow_rec r;
    int o = flow_orig_side(e);
    int rs = !o;
    enum flow_kind kind = (enum flow_kind)(e->key.famkind >> 4);
    unsigned vlan = e->vlan_meta & FLOW_VLAN_MASK;

    memset(&r, 0, sizeof(r));
    r.family = (uint8_t)(e->key.famkind & 0x0f);
    r.proto = e->key.proto;
    memcpy(r.src, o ? e->key.b : e->key.a, 16);
    memcpy(r.dst, o ? e->key.a : e->key.b, 16);
    if (kind == FLOW_KIND_PORTS) {
        r.src_port = o ? e->key.pb : e->key.pa;
        r.dst_port = o ? e->key.pa : e->key.pb;
    }
    r.first_ns = e->first_ns;
    r.last_ns = e->last_ns;
    r.packets_fwd = e->pkts[o];
    r.bytes_fwd = e->bytes[o];
    r.packets_rev = e->pkts[rs];
    r.bytes_rev = e->bytes[rs];
    r.flags_fwd = e->flags[o];
    r.flags_rev = e->flags[rs];
    {
        const char *w = flow_state_conn(e); /* at most 6 letters */
        size_t n = strlen(w);
        memcpy(r.state, w, n < sizeof(r.state) ? n + 1 : sizeof(r.state));
        r.state[sizeof(r.state) - 1] = '\0';
    }
    flow_state_history_str(e, r.history);
    if (kind != FLOW_KIND_PORTS || e->icmp_count > 0) {
        r.icmp_type = e->icmp_type;
        r.icmp_code = e->icmp_code;
    } else {
        r.icmp_type = -1;
        r.icmp_code = -1;
    }
    r.icmp_count = e->icmp_count;
    r.icmp_id = kind == FLOW_KIND_ECHO ? (int32_t)e->key.pa : -1;
    r.iface = (uint32_t)e->key.iface_lo | (uint32_t)e->key.iface_hi << 16;
    r.vlan = vlan ? (int32_t)vlan - 1 : -1;
    r.interim = (uint8_t)(interim != 0);
    r.open = (uint8_t)(open != 0);
    r.replaces = (uint8_t)((e->touched & FLOW_T_OPENROW) != 0);
    r.slot = (uint32_t)(e - ft->ent);
    if (!open)
        ft->st.flows_emitted++;
    if (ft->emit)
        ft->emit(ft->ctx, &r);
}

/* Tell on_new about a new flow, originator first. */
static void entry_announce(struct flow_table *ft, const struct flow_entry *e)
{
    int o = flow_orig_side(e);

    ft->on_new(ft->on_new_ctx, e->key.famkind & 0x0f, e->key.proto, o ? e->key.b : e->key.a,
               o ? e->key.pb : e->key.pa, o ? e->key.a : e->key.b, o ? e->key.pa : e->key.pb);
}

/* Emit entry idx as finished and free it. */
static void entry_finish(struct flow_table *ft, uint32_t idx)
{
    struct flow_entry *e = ent_at(ft, idx);
    uint32_t hash = (uint32_t)key_hash(&e->key, ft->hk);

    /* The flow's index slot is fetched while its row is emitted (some
     * hundreds of instructions): expiry finishes flows idle for long,
     * whose slots have left the cache. */
    __builtin_prefetch(htab_home(&ft->index, hash), 1);
    entry_emit(ft, e, 0, 0);
    list_unlink(ft, idx);
    (void)htab_remove(&ft->index, hash, idx);
    e->cls = 0xff;
    e->next = ft->free_head;
    ft->free_head = idx;
    ft->st.active--;
}

/* Start a new row of a continuing flow (after an interim row, which
 * replaced any open row: the new row has none yet). */
static void entry_new_row(struct flow_entry *e, int64_t ts)
{
    e->touched = (uint8_t)((e->touched & FLOW_T_QUEUE) | FLOW_T_DIRTY);
    e->first_ns = ts;
    e->last_ns = ts;
    e->pkts[0] = e->pkts[1] = 0;
    e->bytes[0] = e->bytes[1] = 0;
    e->flags[0] = e->flags[1] = 0;
}

/* --- expiry ------------------------------------------------------------ */

/* Re-queue a touched head at its list's tail (its queue time becomes now). */
static void requeue_head(struct flow_table *ft, int c)
{
    uint32_t h = ft->list[c].head;

    ent_at(ft, h)->touched &= (uint8_t)~FLOW_T_QUEUE;
    if (ft->list[c].tail != h) {
        list_unlink(ft, h);
        list_push(ft, h, (uint8_t)c);
    }
}

static void expire(struct flow_table *ft, int64_t now)
{
    for (int c = 0; c < FLOW_CL_COUNT; c++) {
        struct flow_list *l = &ft->list[c];
        while (l->head != FLOW_NIL) {
            const struct flow_entry *e = ent_at(ft, l->head);
            if (now - e->last_ns <= ft->timeout[c] && !(e->touched & FLOW_T_QUEUE))
                break;
            /* The head goes either way: fetch its successor, the next head,
             * both lines (last_ns is in the first, next and touched in the
             * second). */
            if (e->next != FLOW_NIL) {
                const struct flow_entry *n = ent_at(ft, e->next);
                __builtin_prefetch(n);
                __builtin_prefetch((const char *)n + 64);
            }
            if (now - e->last_ns > ft->timeout[c])
                entry_finish(ft, l->head);
            else if (e->touched & FLOW_T_QUEUE)
                requeue_head(ft, c);
            else
                break;
        }
    }
}

/* The table is full: write out a flow idle the longest (once touched heads
 * are re-queued, each list's head is among its least recently active). */
static void evict_oldest(struct flow_table *ft)
{
    uint32_t best = FLOW_NIL;

    for (int c = 0; c < FLOW_CL_COUNT; c++) {
        uint32_t h;
        while (ft->list[c].head != FLOW_NIL &&
               (ent_at(ft, ft->list[c].head)->touched & FLOW_T_QUEUE))
            requeue_head(ft, c);
        h = ft->list[c].head;
        if (h != FLOW_NIL &&
            (best == FLOW_NIL || ent_at(ft, h)->last_ns < ent_at(ft, best)->last_ns))
            best = h;
    }
    if (best != FLOW_NIL) {
        ft->st.flows_evicted++;
        entry_finish(ft, best);
    }
}

/* Reserve the entry array (see ent_at): max_flows entries rounded up to
 * whole chunks, plus one chunk of slack to align the start. */
static void ent_reserve(struct flow_table *ft)
{
    size_t chunks = (ft->max_flows + ENT_CHUNK - 1) >> ENT_SHIFT;
    size_t len = (chunks + 1) * ENT_CHUNK_BYTES;
    void *m =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uintptr_t a;

    if (m == MAP_FAILED) {
        /* Out of memory is fatal (common/xmalloc.h's rule). */
        fprintf(stderr, "podflow: out of memory reserving %zu bytes\n", len);
        abort();
    }
    a = ((uintptr_t)m + ENT_CHUNK_BYTES - 1) & ~(uintptr_t)(ENT_CHUNK_BYTES - 1);
    ft->ent_map = m;
    ft->ent_map_len = len;
    ft->ent = (struct flow_entry *)a;
}

/* A free entry index (evicting when the cap is reached). */
static uint32_t entry_alloc(struct flow_table *ft)
{
    uint32_t idx;

    if (ft->st.active >= ft->max_flows)
        evict_oldest(ft);
    if (ft->free_head != FLOW_NIL) {
        idx = ft->free_head;
        ft->free_head = ent_at(ft, idx)->next;
        return idx;
    }
    if ((ft->ent_used & (ENT_CHUNK - 1)) == 0 && ft->ent_used > 0) {
        /* Past the first chunk: a big table, worth huge pages. */
        /* At a million flows the entries span 128 MB. */
        xadvise_hugepages(&ft->ent[ft->ent_used], ENT_CHUNK_BYTES);
    }
    return (uint32_t)ft->ent_used++;
}

static uint8_t class_of(const struct flow_entry *e)
{
    switch (e->key.proto) {
    case PROTO_TCP:
        return flow_state_tcp_lingers(e) ? FLOW_CL_LINGER : FLOW_CL_TCP;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        return FLOW_CL_ICMP;
    default:
        return FLOW_CL_UDP;
    }
}

/* --- public ------------------------------------------------------------ */

static int64_t pick(int64_t v, int64_t def)
{
    return v > 0 ? v : def;
}

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_emit_fn emit, void *ctx)
{
    struct flow_table *ft = xcalloc(1, sizeof(*ft));
    struct flow_config none;

    if (!cfg) {
        memset(&none, 0, sizeof(none));
        cfg = &none;
    }
    ft->emit = emit;
    ft->ctx = ctx;
    ft->timeout[FLOW_CL_TCP] = pick(cfg->tcp_established_ns, DEF_TCP_EST_NS);
    ft->timeout[FLOW_CL_LINGER] = pick(cfg->tcp_linger_ns, DEF_LINGER_NS);
    ft->timeout[FLOW_CL_UDP] = pick(cfg->udp_ns, DEF_UDP_NS);
    ft->timeout[FLOW_CL_ICMP] = pick(cfg->icmp_ns, DEF_ICMP_NS);
    ft->active_ns = pick(cfg->active_ns, DEF_ACTIVE_NS);
    ft->max_flows = cfg->max_flows ? cfg->max_flows : LIM_FLOWS_DEFAULT;
    if (ft->max_flows > FLOW_NIL - 1)
        ft->max_flows = FLOW_NIL - 1; /* entry indexes are 32 bits */
    ft->seed = cfg->hash_seed;
    if (ft->seed == 0) {
        if (getrandom(&ft->seed, sizeof(ft->seed), 0) != (ssize_t)sizeof(ft->seed)) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            ft->seed = hash_fmix64((uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 30) ^
                                   (uint64_t)(uintptr_t)ft);
        }
        ft->seed |= 1;
    }
    hash_keys(ft->seed, ft->hk);
    ent_reserve(ft);
    ft->free_head = FLOW_NIL;
    htab_reserve(&ft->index, 1024);
    for (int c = 0; c < FLOW_CL_COUNT; c++)
        ft->list[c].head = ft->list[c].tail = FLOW_NIL;
    ft->now_ns = INT64_MIN;
    ft->next_expire_ns = INT64_MIN;
    ft->frag = xcalloc(LIM_FRAG_TRACK, sizeof(*ft->frag));
    return ft;
}

void flow_table_on_new(struct flow_table *ft, flow_new_fn fn, void *ctx)
{
    ft->on_new = fn;
    ft->on_new_ctx = ctx;
}

void flow_table_free(struct flow_table **ftp)
{
    struct flow_table *ft = *ftp;

    if (!ft)
        return;
    munmap(ft->ent_map, ft->ent_map_len);
    htab_release(&ft->index);
    free(ft->frag);
    free(ft);
    *ftp = NULL;
}

int flow_dlt_supported(int dlt)
{
    return decode_dlt_supported(dlt);
}

void flow_table_expire(struct flow_table *ft, int64_t now_ns)
{
    flow_table_drain(ft);
    if (now_ns > ft->now_ns)
        ft->now_ns = now_ns;
    expire(ft, ft->now_ns);
}

void flow_table_flush(struct flow_table *ft)
{
    flow_table_drain(ft);
    for (int c = 0; c < FLOW_CL_COUNT; c++)
        while (ft->list[c].head != FLOW_NIL)
            entry_finish(ft, ft->list[c].head);
}

void flow_table_snapshot(struct flow_table *ft)
{
    flow_table_drain(ft);
    for (int c = 0; c < FLOW_CL_COUNT; c++) {
        for (uint32_t idx = ft->list[c].head; idx != FLOW_NIL;) {
            struct flow_entry *e = ent_at(ft, idx);

            if (e->touched & FLOW_T_DIRTY) {
                entry_emit(ft, e, 0, 1);
                e->touched = (uint8_t)((e->touched & ~FLOW_T_DIRTY) | FLOW_T_OPENROW);
            }
            idx = e->next;
        }
    }
}

void flow_table_stats(const struct flow_table *ft, struct flow_stats *out)
{
    *out = ft->st;
}

static size_t frag_slot(const struct flow_table *ft, const struct decode_pkt *p, uint32_t iface)
{
    uint64_t h = ft->seed ^ p->frag_id ^ ((uint64_t)p->proto << 32) ^ ((uint64_t)iface << 40);
    uint64_t w[4];

    memcpy(w, p->src, 16);
    memcpy(w + 2, p->dst, 16);
    for (int i = 0; i < 4; i++)
        h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(hash_fmix64(h) & (LIM_FRAG_TRACK - 1));
}

static int frag_match(const struct frag_track *f, const struct decode_pkt *p, uint32_t iface)
{
    return f->ts_ns != 0 && f->id == p->frag_id && f->iface == iface && f->proto == p->proto &&
           f->family == p->family && memcmp(f->src, p->src, 16) == 0 &&
           memcmp(f->dst, p->dst, 16) == 0;
}

static void frag_remember(struct flow_table *ft, const struct decode_pkt *p, uint32_t iface,
                          int64_t ts)
{
    struct frag_track *f = &ft->frag[frag_slot(ft, p, iface)];

    memcpy(f->src, p->src, 16);
    memcpy(f->dst, p->dst, 16);
    f->id = p->frag_id;
    f->iface = iface;
    f->ts_ns = ts ? ts : 1;
    f->sport = p->sport;
    f->dport = p->dport;
    f->family = p->family;
    f->proto = p->proto;
    f->l4 = p->l4;
    f->icmp_type = p->icmp_type;
}

/* Give a later fragment the ports of its first; 0, or -1 for an orphan. */
static int frag_recall(struct flow_table *ft, struct decode_pkt *p, uint32_t iface, int64_t ts)
{
    switch (p->proto) {
    case PROTO_TCP:
    case PROTO_UDP:
    case PROTO_SCTP:
    case PROTO_ICMP:
    case PROTO_ICMPV6: {
        struct frag_track *f = &ft->frag[frag_slot(ft, p, iface)];
        if (!frag_match(f, p, iface) || ts - f->ts_ns > FRAG_TIMEOUT_NS)
            return -1;
        if (f->l4 == DECODE_L4_ICMP_ERROR)
            return -1;
        p->sport = f->sport;
        p->dport = f->dport;
        p->l4 = f->l4;
        p->icmp_type = f->icmp_type;
        return 0;
    }
    default:
        p->sport = p->dport = 0;
        p->l4 = DECODE_L4_NONE;
        return 0;
    }
}

/* An ICMP error: record it on the flow it quotes. */
static void icmp_error(struct flow_table *ft, const struct flow_pending *pp)
{
    const struct decode_pkt *p = &pp->p;
    const struct decode_quoted *q = &p->quoted;
    uint32_t idx;

    if (!pp->keyed) {
        ft->st.icmp_unmatched++;
        return;
    }
    idx = index_find(ft, &pp->key, pp->hash);
    if (idx == FLOW_NIL) {
        ft->st.icmp_unmatched++;
        return;
    }
    /* The quoted packet went from q->src to q->dst, so the error travels
     * back to q->src; nothing per direction is recorded, only the error. */
    if (ent_at(ft, idx)->icmp_count == 0 && !q->echo) {
        ent_at(ft, idx)->icmp_type = p->icmp_type;
        ent_at(ft, idx)->icmp_code = p->icmp_code;
    }
    if (ent_at(ft, idx)->icmp_count < UINT16_MAX)
        ent_at(ft, idx)->icmp_count++;
}

/* The key of a packet that starts or continues a flow. */
static inline __attribute__((always_inline)) void prepare_flow_key(const struct flow_table *ft,
                                                                   struct flow_pending *pp)
{
    const struct decode_pkt *p = &pp->p;
    enum flow_kind kind = FLOW_KIND_PORTS;
    uint16_t sport = p->sport, dport = p->dport;

    if (p->l4 == DECODE_L4_ICMP_ECHO) {
        kind = FLOW_KIND_ECHO;
    } else if (p->l4 == DECODE_L4_ICMP_OTHER) {
        kind = FLOW_KIND_ICMP;
        sport = dport = icmp_pair_type(p->family, p->icmp_type);
    } else if (p->l4 == DECODE_L4_NONE) {
        sport = dport = 0;
    }
    pp->side = (int8_t)key_make(&pp->key, &pp->hash, ft->hk, p->family, p->proto, kind, p->src,
                                sport, p->dst, dport, pp->iface);
    pp->keyed = 1;
}

/* Key a freshly decoded packet when that needs no table state (a later
 * fragment's ports come from the fragment table, read when it is
 * accounted). */
static void prepare(const struct flow_table *ft, struct flow_pending *pp)
{
    const struct decode_pkt *p = &pp->p;
    const struct decode_quoted *q = &p->quoted;

    pp->keyed = 0;
    if (p->l4 == DECODE_L4_FRAG_LATER)
        return;
    if (p->l4 == DECODE_L4_ICMP_ERROR) {
        if (!q->ok)
            return;
        key_make(&pp->key, &pp->hash, ft->hk, q->family, q->proto,
                 q->echo ? FLOW_KIND_ECHO : FLOW_KIND_PORTS, q->src, q->sport, q->dst, q->dport,
                 pp->iface);
        pp->side = 0;
        pp->keyed = 1;
        return;
    }
    prepare_flow_key(ft, pp);
}

static inline __attribute__((always_inline)) void
account(struct flow_table *ft, const struct flow_pending *pp, int later_frag)
{
    const struct decode_pkt *p = &pp->p;
    const struct flow_key *kp = &pp->key;
    int64_t ts = pp->ts_ns;
    int32_t vlan = p->vlan;
    enum flow_kind kind = (enum flow_kind)(kp->famkind >> 4);
    uint32_t hash = pp->hash, idx;
    struct flow_entry *e;
    int side = pp->side;
    int is_tcp = p->proto == PROTO_TCP && !later_frag;

    idx = index_find(ft, kp, hash);

    if (idx != FLOW_NIL) {
        e = ent_at(ft, idx);
        if (is_tcp && (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN && flow_state_tcp_finished(e)) {
            /* A new SYN after a close or reset: a new connection reusing
             * the 5-tuple. */
            entry_finish(ft, idx);
            idx = FLOW_NIL;
        } else if (ts - e->last_ns > ft->timeout[e->cls]) {
            /* Idle past its timeout but not expired yet (time went back,
             * several interfaces): the old flow ended, this one is new. */
            entry_finish(ft, idx);
            idx = FLOW_NIL;
        } else if (ts - e->first_ns >= ft->active_ns || e->pkts[side] == UINT32_MAX) {
            entry_emit(ft, e, 1, 0);
            entry_new_row(e, ts);
        }
    }
    if (idx == FLOW_NIL) {
        if (later_frag) {
            ft->st.fragments_orphan++;
            return;
        }
        idx = entry_alloc(ft);
        e = ent_at(ft, idx);
        e->key = *kp;
        entry_new_row(e, ts);
        flow_state_init(e);
        e->vlan_meta = (uint16_t)(vlan >= 0 ? ((unsigned)vlan & 0xfffu) + 1 : 0);
        if (side)
            e->vlan_meta |= FLOW_M_ORIG1; /* the sender originates... */
        e->icmp_count = 0;
        e->icmp_type = p->icmp_type;
        e->icmp_code = p->icmp_code;
        e->touched = FLOW_T_DIRTY;
        if (is_tcp && (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
            flow_state_flip(e); /* ...except a SYN-ACK's sender responds */
        else if (kind == FLOW_KIND_ECHO && (p->icmp_type == 0 || p->icmp_type == 129))
            e->vlan_meta ^= FLOW_M_ORIG1; /* and an echo reply's sender */
        htab_add(&ft->index, hash, idx);
        ft->st.active++;
        e->cls = class_of(e);
        list_push(ft, idx, e->cls);
        if (ft->on_new && kind == FLOW_KIND_PORTS &&
            (kp->proto == PROTO_TCP || kp->proto == PROTO_UDP || kp->proto == PROTO_SCTP))
            entry_announce(ft, e);
    } else {
        e = ent_at(ft, idx);
    }

    e->pkts[side]++;
    e->bytes[side] += p->ip_len;
    if (ts > e->last_ns)
        e->last_ns = ts;
    e->hs[side] = (uint8_t)(e->hs[side] | FLOW_HS_SENT);
    if (is_tcp) {
        uint16_t tst = e->tst;
        e->flags[side] = (uint8_t)(e->flags[side] | p->tcp_flags);
        if (!flow_state_tcp_quiet(e, side, p->tcp_flags, p->payload))
            flow_state_tcp(e, side, p->tcp_flags, p->tcp_seq, p->payload);
        /* The class follows the protocol and the TCP states only: look
         * again when a state moved. */
        if (e->tst != tst) {
            uint8_t cls = class_of(e);
            if (cls != e->cls) {
                /* A new timeout class: queue there now. */
                list_unlink(ft, idx);
                list_push(ft, idx, cls);
                e->touched = (uint8_t)((e->touched & FLOW_T_OPENROW) | FLOW_T_DIRTY);
                return;
            }
        }
    } else if (p->proto == PROTO_UDP && !later_frag && p->payload > 0) {
        /* Zeek's UDP analyzer: 'D' / 'd' once a side sent payload. */
        unsigned mask = FLOW_HS_DATA;
        if (!(e->hs[side] & mask)) {
            e->hs[side] = (uint8_t)(e->hs[side] | mask);
            flow_state_history(e, side, 'D');
        }
    }
    /* Re-queued lazily by expire(); written by the next snapshot. */
    e->touched |= ft->list[e->cls].tail != idx ? FLOW_T_QUEUE | FLOW_T_DIRTY : FLOW_T_DIRTY;
}

/* Account one pending packet: expiry up to its time, then its flow. */
static inline __attribute__((always_inline)) void process(struct flow_table *ft,
                                                          struct flow_pending *pp)
{
    if (pp->ts_ns > ft->now_ns) {
        ft->now_ns = pp->ts_ns;
        /* Expiry every EXPIRE_TICK_NS of packet time, not every packet:
         * only when records come out changes, never their content (a
         * packet reaching a flow idle too long still starts a new one). */
        if (pp->ts_ns >= ft->next_expire_ns) {
            expire(ft, pp->ts_ns);
            ft->next_expire_ns = pp->ts_ns + EXPIRE_TICK_NS;
        }
    }
    switch (pp->p.l4) {
    case DECODE_L4_ICMP_ERROR:
        icmp_error(ft, pp);
        return;
    case DECODE_L4_FRAG_LATER:
        if (frag_recall(ft, &pp->p, pp->iface, pp->ts_ns) < 0) {
            ft->st.fragments_orphan++;
            return;
        }
        prepare_flow_key(ft, pp);
        account(ft, pp, 1);
        return;
    default:
        if (pp->p.frag)
            frag_remember(ft, &pp->p, pp->iface, pp->ts_ns);
        account(ft, pp, 0);
        return;
    }
}

void flow_table_drain(struct flow_table *ft)
{
    while (ft->pipe_n > 0) {
        process(ft, &ft->pipe[ft->pipe_head]);
        ft->pipe_head = (ft->pipe_head + 1) & (FLOW_PIPE - 1);
        ft->pipe_n--;
    }
}

/* The slot where a lookup of hash starts, and (once that line is in) the
 * entry it most likely finds, looked for in the first four slots only
 * (an unbounded walk cost 33 instructions a packet more, one slot only
 * missed the cache 5% more often: cachegrind on make bench's pcap): hints
 * only, the table may change before the packet is accounted. */
static void prefetch_slot(const struct flow_table *ft, uint32_t hash)
{
    __builtin_prefetch(htab_home(&ft->index, hash));
}

static void prefetch_entry(const struct flow_table *ft, uint32_t hash)
{
    uint32_t idx = htab_peek(&ft->index, hash, 4);

    if (idx != HTAB_NONE) {
        const struct flow_entry *e = ent_at(ft, idx);
        __builtin_prefetch(e);
        __builtin_prefetch((const char *)e + 64);
    }
}

int flow_table_packet(struct flow_table *ft, int dlt, int64_t ts_ns, const uint8_t *data,
                      size_t caplen, size_t wirelen, uint32_t iface)
{
    struct flow_pending *pp = &ft->pipe[(ft->pipe_head + ft->pipe_n) & (FLOW_PIPE - 1)];
    enum decode_result r;

    ft->st.packets++;
    r = decode_frame(dlt, data, caplen, wirelen, &pp->p);
    switch (r) {
    case DECODE_OK:
        break;
    case DECODE_NOT_IP:
        ft->st.other++;
        return 0;
    case DECODE_MALFORMED:
        ft->st.malformed++;
        return 0;
    case DECODE_BAD_DLT:
        ft->st.packets--;
        return ERR_FORMAT;
    }
    pp->ts_ns = ts_ns;
    pp->iface = iface;
    prepare(ft, pp);
    if (pp->keyed)
        prefetch_slot(ft, pp->hash);
    ft->pipe_n++;
    if (ft->pipe_n > FLOW_ENTRY_LAG) {
        const struct flow_pending *prev =
            &ft->pipe[(ft->pipe_head + ft->pipe_n - 1 - FLOW_ENTRY_LAG) & (FLOW_PIPE - 1)];
        if (prev->keyed)
            prefetch_entry(ft, prev->hash);
    }
    if (ft->pipe_n == FLOW_PIPE) {
        process(ft, &ft->pipe[ft->pipe_head]);
        ft->pipe_head = (ft->pipe_head + 1) & (FLOW_PIPE - 1);
        ft->pipe_n--;
    }
    return 0;
}
