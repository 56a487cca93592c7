/*
 * flowrow.c: the fields of a flows row, read and checked one way for
 * every reader of them (case.c's flow scan and count, pair.c's pairing),
 * so that what one leaves out as unusable the other never sees either.
 * Every column is checked by SQLite type and range (frow_read()): a text
 * is never read as a number.  Each column is fetched once, as a value
 * whose type and contents are then read: a type call and a read call
 * per column (and a second read by the caller) cost twice SQLite's API
 * entry and exit, which was a fifth of check's instructions.
 *
 * Addresses are remembered per distinct text (a case has few distinct
 * addresses and millions of flows), with the endpoint row their reader
 * found for them: a probe of the memo costs less than parsing even a
 * dotted quad in place, and spares the reader the lookup of the
 * endpoint (case.c, ep_at_memo()).  A text not remembered is parsed
 * in place when it is a dotted quad, through ipaddr_parse() otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "common/db.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/*
 * Dotted-quad IPv4 as inet_pton(3) accepts it (four decimal parts of
 * 0..255, no leading zeros), parsed in place: this runs twice per flow.
 * Anything else (IPv6, odd forms) goes to ipaddr_parse().
 */
TESTABLE int fast_v4(const char *s, size_t len, struct ipaddr *ip)
{
    const char *p = s, *end = s + len;
    uint8_t b[4];
    int part;

    for (part = 0; part < 4; part++) {
        const char *start = p;
        unsigned v;

        if (p == end || (unsigned)(*p - '0') > 9)
            return ERR_PARSE;
        v = (unsigned)(*p++ - '0');
        while (p < end && (unsigned)(*p - '0') <= 9) {
            v = v * 10 + (unsigned)(*p++ - '0');
            if (v > 255)
                return ERR_PARSE;
        }
        if (*start == '0' && p - start > 1)
            return ERR_PARSE;
        b[part] = (uint8_t)v;
        if (part < 3) {
            if (p == end || *p != '.')
                return ERR_PARSE;
            p++;
        }
    }
    if (p != end)
        return ERR_PARSE;
    memset(ip, 0, sizeof(*ip));
    ip->family = 4;
    memcpy(ip->a, b, 4);
    return 0;
}

/* Address text t (len bytes) into ip: a dotted quad in place, anything
 * else through ipaddr_parse().  0 or ERR_PARSE. */
static int parse_ip(const char *t, size_t len, struct ipaddr *ip)
{
    return fast_v4(t, len, ip) == 0 ? 0 : ipaddr_parse(t, len, ip);
}

int frow_ip(sqlite3_stmt *st, int i, struct ipaddr *ip)
{
    const char *t = (const char *)sqlite3_column_text(st, i);

    return t ? parse_ip(t, (size_t)sqlite3_column_bytes(st, i), ip) : ERR_PARSE;
}

void frow_memo_init(struct frow_memo *m, size_t want)
{
    memset(m, 0, sizeof(*m));
    m->cap = 512;
    while (m->cap < want && m->cap < LIM_CASE_ADDR_MEMO)
        m->cap *= 2;
    /* The slots are taken in order, so only those used are touched; the
     * index grows with them (htab_add()): probed at random twice a flow,
     * it stays as small as the texts it holds allow. */
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
}

void frow_memo_release(struct frow_memo *m)
{
    free(m->slots);
    htab_release(&m->idx);
    memset(m, 0, sizeof(*m));
}

/*
 * Address text t (len bytes, NULL when the column had none) parsed into
 * ip through memo mm: *slot is the text's memo entry, whose first field
 * belongs to the caller (CASE_MEMO_UNSET in a new entry), or NULL when
 * the text is not remembered (too long, or the memo is full).  0 or
 * ERR_PARSE.  The text is looked up as its key (struct case_memo): a
 * hash of three words, compared in three, cheaper than hashing and
 * comparing bytes of a length known only at run time.
 */
TESTABLE int frow_ip_memo(struct frow_memo *mm, const char *t, size_t len, struct ipaddr *ip,
                          struct case_memo **slot)
{
    union {
        uint64_t w[(1 + CASE_MEMO_TEXT) / 8];
        unsigned char b[1 + CASE_MEMO_TEXT];
    } key;
    struct htab_iter it;
    struct case_memo *m;
    uint64_t h;
    int rc;

    *slot = NULL;
    if (!t)
        return ERR_PARSE;
    if (len > CASE_MEMO_TEXT || !mm->slots)
        return parse_ip(t, len, ip);
    memset(&key, 0, sizeof(key));
    key.b[0] = (unsigned char)len;
    memcpy(key.b + 1, t, len);
    h = hash_mum(key.w[0] ^ HASH_K0, key.w[1] ^ HASH_K1);
    h = hash_mum(h ^ HASH_K2, key.w[2] ^ HASH_K0);
    for (uint32_t k = htab_first(&mm->idx, h, &it); k != HTAB_NONE; k = htab_next(&mm->idx, &it)) {
        m = &mm->slots[k];
        if (((m->key[0] ^ key.w[0]) | (m->key[1] ^ key.w[1]) | (m->key[2] ^ key.w[2])) == 0) {
            *ip = m->ip;
            *slot = m;
            return 0;
        }
    }
    rc = parse_ip(t, len, ip);
    if (rc)
        return rc;
    /* Remembered while there is room (LIM_CASE_ADDR_MEMO texts at most). */
    if (mm->used < mm->cap) {
        m = &mm->slots[mm->used];
        memcpy(m->key, key.w, sizeof(m->key));
        m->ip = *ip;
        m->first = CASE_MEMO_UNSET;
        m->always = NULL;
        htab_add(&mm->idx, h, (uint32_t)mm->used++);
        *slot = m;
    }
    return 0;
}

/* Value v is an integer (SQLite's type) within [lo, hi], into *out. */
static int val_int_in(sqlite3_value *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (sqlite3_value_type(v) != SQLITE_INTEGER)
        return 0;
    *out = sqlite3_value_int64(v);
    return *out >= lo && *out <= hi;
}

/* Value v is NULL (*has = 0), or an integer within [lo, hi] (*has = 1). */
static int val_null_or_int_in(sqlite3_value *v, int64_t lo, int64_t hi, int *has, int64_t *out)
{
    *has = 0;
    *out = 0;
    if (sqlite3_value_type(v) == SQLITE_NULL)
        return 1;
    *has = 1;
    return val_int_in(v, lo, hi, out);
}

static int val_port(sqlite3_value *v, uint16_t *port)
{
    int64_t x;

    if (!val_int_in(v, 0, 65535, &x))
        return ERR_INVALID;
    *port = (uint16_t)x;
    return 0;
}

int frow_port(sqlite3_stmt *st, int i, uint16_t *port)
{
    return val_port(sqlite3_column_value(st, i), port);
}

/* An address value: text (SQLite's type) holding an address; its text
 * into *text. */
static int val_addr(struct frow_memo *m, sqlite3_value *v, struct ipaddr *ip,
                    struct case_memo **slot, const char **text)
{
    *slot = NULL;
    *text = NULL;
    if (sqlite3_value_type(v) != SQLITE_TEXT)
        return ERR_PARSE;
    *text = (const char *)sqlite3_value_text(v);
    return frow_ip_memo(m, *text, (size_t)sqlite3_value_bytes(v), ip, slot);
}

/*
 * The tuple in columns k.. (FROW_TUPLE_COLS) through memo m into r->t and
 * the address texts: -1, or the reason (enum case_why) the row cannot be
 * judged: proto not an integer 0..255, an address not text holding an
 * address, a port not an integer 0..65535, dnat_ip and dnat_port neither
 * both NULL nor an address and a port.  Checked by SQLite type: no text
 * is read as a number.
 */
static int frow_tuple(struct frow_memo *m, sqlite3_stmt *st, int k, struct frow *r)
{
    struct frow_tuple *t = &r->t;
    sqlite3_value *dip = sqlite3_column_value(st, k + FROW_DNAT_IP);
    sqlite3_value *dpt = sqlite3_column_value(st, k + FROW_DNAT_PORT);
    int64_t proto;

    memset(t, 0, sizeof(*t));
    if (!val_int_in(sqlite3_column_value(st, k + FROW_PROTO), 0, 255, &proto))
        return CASE_WHY_PROTO;
    if (val_addr(m, sqlite3_column_value(st, k + FROW_SRC), &t->src, &t->smemo, &r->src_text) ||
        val_addr(m, sqlite3_column_value(st, k + FROW_DST), &t->dst, &t->dmemo, &r->dst_text))
        return CASE_WHY_ADDRESS;
    if (val_port(sqlite3_column_value(st, k + FROW_SPORT), &t->sport) ||
        val_port(sqlite3_column_value(st, k + FROW_DPORT), &t->dport))
        return CASE_WHY_PORT;
    t->proto = (int)proto;
    /* Policy sees post-DNAT addresses (§5, §9.17): the backend when the
     * capture recorded one.  One column without the other, or either not
     * what it should be, is no translation to guess at. */
    if (sqlite3_value_type(dip) != SQLITE_NULL || sqlite3_value_type(dpt) != SQLITE_NULL) {
        struct ipaddr nip;
        struct case_memo *nm;
        uint16_t nport;

        if (val_addr(m, dip, &nip, &nm, &r->dnat_text) || val_port(dpt, &nport))
            return CASE_WHY_DNAT;
        t->dnat = 1;
        t->odst = t->dst;
        t->odport = t->dport;
        t->dst = nip;
        t->dmemo = nm;
        t->dport = nport;
    }
    return -1;
}

int64_t frow_id(sqlite3_stmt *st)
{
    int64_t id = 0;

    /* The id is the rowid alias: an integer; read as one all the same. */
    (void)val_int_in(sqlite3_column_value(st, FROW_ID), INT64_MIN, INT64_MAX, &id);
    return id;
}

int frow_read(struct frow_memo *m, sqlite3_stmt *st, struct frow *r)
{
    return frow_read_rest(m, st, frow_id(st), r);
}

int frow_read_rest(struct frow_memo *m, sqlite3_stmt *st, int64_t id, struct frow *r)
{
    sqlite3_value *v;
    int64_t x;
    int why, has;

    memset(r, 0, sizeof(*r));
    r->id = id;
    if (!val_int_in(sqlite3_column_value(st, FROW_CAP), INT64_MIN, INT64_MAX, &r->capture_id))
        return CASE_WHY_CAPTURE;
    why = frow_tuple(m, st, FROW_TUPLE, r);
    if (why >= 0)
        return why;
    if (!val_int_in(sqlite3_column_value(st, FROW_FIRST), INT64_MIN, INT64_MAX, &r->first_ns) ||
        !val_int_in(sqlite3_column_value(st, FROW_LAST), r->first_ns, INT64_MAX, &r->last_ns))
        return CASE_WHY_TIME;
    if (!val_int_in(sqlite3_column_value(st, FROW_PF), 0, INT64_MAX, &r->packets_fwd) ||
        !val_int_in(sqlite3_column_value(st, FROW_PR), 0, INT64_MAX, &r->packets_rev) ||
        !val_int_in(sqlite3_column_value(st, FROW_BF), 0, INT64_MAX, &r->bytes_fwd) ||
        !val_int_in(sqlite3_column_value(st, FROW_BR), 0, INT64_MAX, &r->bytes_rev) ||
        !val_int_in(sqlite3_column_value(st, FROW_ICOUNT), 0, INT64_MAX, &r->icmp_count))
        return CASE_WHY_COUNTER;
    v = sqlite3_column_value(st, FROW_STATE);
    if (sqlite3_value_type(v) != SQLITE_TEXT)
        return CASE_WHY_STATE;
    r->state = (const char *)sqlite3_value_text(v);
    r->state_len = (size_t)sqlite3_value_bytes(v);
    if (!db_state_valid(r->state, r->state_len))
        return CASE_WHY_STATE;
    if (!val_null_or_int_in(sqlite3_column_value(st, FROW_ITYPE), 0, 255, &has, &x))
        return CASE_WHY_ICMP;
    r->icmp_type = has ? (int)x : -1;
    if (!val_null_or_int_in(sqlite3_column_value(st, FROW_ICODE), 0, 255, &has, &x))
        return CASE_WHY_ICMP;
    r->icmp_code = has ? (int)x : -1;
    if (!val_null_or_int_in(sqlite3_column_value(st, FROW_ICMPID), INT64_MIN, INT64_MAX,
                            &r->has_icmp_id, &r->icmp_id))
        return CASE_WHY_ICMP;
    if (!val_null_or_int_in(sqlite3_column_value(st, FROW_IFACE), INT64_MIN, INT64_MAX,
                            &r->has_iface, &r->iface))
        return CASE_WHY_IFACE;
    if (!val_int_in(sqlite3_column_value(st, FROW_OPEN), 0, 1, &x))
        return CASE_WHY_OPEN;
    r->open = (int)x;
    return -1;
}
