/*
 * flowrow.c: the fields of a flows row, read and checked one way for
 * every reader of them (case.c's flow scan and count, pair.c's pairing),
 * so that what one leaves out as unusable the other never sees either.
 * Every column is checked by SQLite type and range (frow_read()): a text
 * is never read as a number.
 *
 * Addresses are parsed in place when they are dotted quads, through
 * ipaddr_parse() otherwise, and remembered per distinct text (a case has
 * few distinct addresses and millions of flows).
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

int frow_ip(sqlite3_stmt *st, int i, struct ipaddr *ip)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t len = (size_t)sqlite3_column_bytes(st, i);

    if (!t)
        return ERR_PARSE;
    if (fast_v4(t, len, ip) == 0)
        return 0;
    return ipaddr_parse(t, len, ip);
}

void frow_memo_init(struct frow_memo *m, size_t want)
{
    memset(m, 0, sizeof(*m));
    m->cap = 512;
    while (m->cap < want && m->cap < LIM_CASE_ADDR_MEMO)
        m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    htab_reserve(&m->idx, m->cap);
}

void frow_memo_release(struct frow_memo *m)
{
    free(m->slots);
    htab_release(&m->idx);
    memset(m, 0, sizeof(*m));
}

int frow_ip_memo(struct frow_memo *mm, sqlite3_stmt *st, int i, struct ipaddr *ip,
                 struct case_memo **slot)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t len = (size_t)sqlite3_column_bytes(st, i);
    struct htab_iter it;
    struct case_memo *m;
    uint64_t h;
    int rc;

    *slot = NULL;
    if (!t)
        return ERR_PARSE;
    /* A dotted quad parses faster than a probe of the memo, whose table
     * misses the cache: only other texts are remembered. */
    if (fast_v4(t, len, ip) == 0)
        return 0;
    if (len > CASE_MEMO_TEXT || !mm->slots)
        return ipaddr_parse(t, len, ip);
    h = hash_bytes(t, len, 0);
    for (uint32_t k = htab_first(&mm->idx, h, &it); k != HTAB_NONE; k = htab_next(&mm->idx, &it)) {
        m = &mm->slots[k];
        if (m->len == len && memcmp(m->text, t, len) == 0) {
            *ip = m->ip;
            *slot = m;
            return 0;
        }
    }
    rc = ipaddr_parse(t, len, ip);
    if (rc)
        return rc;
    /* Remembered while there is room (LIM_CASE_ADDR_MEMO texts at most). */
    if (mm->used < mm->cap) {
        m = &mm->slots[mm->used];
        m->len = (uint8_t)len;
        memcpy(m->text, t, len);
        m->ip = *ip;
        m->first = CASE_MEMO_UNSET;
        htab_add(&mm->idx, h, (uint32_t)mm->used++);
        *slot = m;
    }
    return 0;
}

/* Column i is an integer (SQLite's type) within [lo, hi]. */
static int frow_int_in(sqlite3_stmt *st, int i, int64_t lo, int64_t hi)
{
    int64_t v;

    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return 0;
    v = sqlite3_column_int64(st, i);
    return v >= lo && v <= hi;
}

/* Column i is NULL, or an integer within [lo, hi]. */
static int frow_null_or_int_in(sqlite3_stmt *st, int i, int64_t lo, int64_t hi)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL || frow_int_in(st, i, lo, hi);
}

int frow_port(sqlite3_stmt *st, int i, uint16_t *port)
{
    if (!frow_int_in(st, i, 0, 65535))
        return ERR_INVALID;
    *port = (uint16_t)sqlite3_column_int64(st, i);
    return 0;
}

int frow_byte(sqlite3_stmt *st, int i)
{
    return frow_int_in(st, i, 0, 255) ? (int)sqlite3_column_int64(st, i) : -1;
}

/* An address column: text (SQLite's type) holding an address. */
static int frow_addr(struct frow_memo *m, sqlite3_stmt *st, int i, struct ipaddr *ip,
                     struct case_memo **slot)
{
    if (sqlite3_column_type(st, i) != SQLITE_TEXT) {
        *slot = NULL;
        return ERR_PARSE;
    }
    return frow_ip_memo(m, st, i, ip, slot);
}

int frow_tuple(struct frow_memo *m, sqlite3_stmt *st, int k, struct frow_tuple *t)
{
    int dt = sqlite3_column_type(st, k + FROW_DNAT_IP);
    int dpt = sqlite3_column_type(st, k + FROW_DNAT_PORT);

    memset(t, 0, sizeof(*t));
    if (!frow_int_in(st, k + FROW_PROTO, 0, 255))
        return CASE_WHY_PROTO;
    if (frow_addr(m, st, k + FROW_SRC, &t->src, &t->smemo) ||
        frow_addr(m, st, k + FROW_DST, &t->dst, &t->dmemo))
        return CASE_WHY_ADDRESS;
    if (frow_port(st, k + FROW_SPORT, &t->sport) || frow_port(st, k + FROW_DPORT, &t->dport))
        return CASE_WHY_PORT;
    t->proto = (int)sqlite3_column_int64(st, k + FROW_PROTO);
    /* Policy sees post-DNAT addresses (§5, §9.17): the backend when the
     * capture recorded one.  One column without the other, or either not
     * what it should be, is no translation to guess at. */
    if (dt != SQLITE_NULL || dpt != SQLITE_NULL) {
        struct ipaddr nip;
        struct case_memo *nm;
        uint16_t nport;

        if (frow_addr(m, st, k + FROW_DNAT_IP, &nip, &nm) ||
            frow_port(st, k + FROW_DNAT_PORT, &nport))
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

int frow_read(struct frow_memo *m, sqlite3_stmt *st, struct frow_tuple *t)
{
    int why;

    if (sqlite3_column_type(st, FROW_CAP) != SQLITE_INTEGER)
        return CASE_WHY_CAPTURE;
    why = frow_tuple(m, st, FROW_TUPLE, t);
    if (why >= 0)
        return why;
    if (!frow_int_in(st, FROW_FIRST, INT64_MIN, INT64_MAX) ||
        !frow_int_in(st, FROW_LAST, sqlite3_column_int64(st, FROW_FIRST), INT64_MAX))
        return CASE_WHY_TIME;
    if (!frow_int_in(st, FROW_PF, 0, INT64_MAX) || !frow_int_in(st, FROW_PR, 0, INT64_MAX) ||
        !frow_int_in(st, FROW_BF, 0, INT64_MAX) || !frow_int_in(st, FROW_BR, 0, INT64_MAX) ||
        !frow_int_in(st, FROW_ICOUNT, 0, INT64_MAX))
        return CASE_WHY_COUNTER;
    if (sqlite3_column_type(st, FROW_STATE) != SQLITE_TEXT ||
        !db_state_valid((const char *)sqlite3_column_text(st, FROW_STATE),
                        (size_t)sqlite3_column_bytes(st, FROW_STATE)))
        return CASE_WHY_STATE;
    if (!frow_null_or_int_in(st, FROW_ITYPE, 0, 255) ||
        !frow_null_or_int_in(st, FROW_ICODE, 0, 255) ||
        !frow_null_or_int_in(st, FROW_ICMPID, INT64_MIN, INT64_MAX))
        return CASE_WHY_ICMP;
    if (!frow_null_or_int_in(st, FROW_IFACE, INT64_MIN, INT64_MAX))
        return CASE_WHY_IFACE;
    if (!frow_int_in(st, FROW_OPEN, 0, 1))
        return CASE_WHY_OPEN;
    return -1;
}
