/*
 * flowrow.c: the fields of a flows row, read and checked one way for
 * every reader of them (case.c's flow scan, pair.c's pairing), so that
 * what one skips as malformed the other never sees either.
 *
 * Addresses are parsed in place when they are dotted quads, through
 * ipaddr_parse() otherwise, and remembered per distinct text (a case has
 * few distinct addresses and millions of flows).
 */
#include <string.h>

#include "analyze/case/case.h"
#include "analyze/case/case_int.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/limits.h"
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

int frow_ip_memo(struct case_db *c, sqlite3_stmt *st, int i, struct ipaddr *ip,
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
    if (len > CASE_MEMO_TEXT || !c->memo)
        return frow_ip(st, i, ip);
    h = hash_bytes(t, len, 0);
    for (uint32_t k = htab_first(&c->memo_idx, h, &it); k != HTAB_NONE;
         k = htab_next(&c->memo_idx, &it)) {
        m = &c->memo[k];
        if (m->len == len && memcmp(m->text, t, len) == 0) {
            *ip = m->ip;
            *slot = m;
            return 0;
        }
    }
    rc = fast_v4(t, len, ip);
    if (rc)
        rc = ipaddr_parse(t, len, ip);
    if (rc)
        return rc;
    if (c->memo_used < c->memo_cap) {
        m = &c->memo[c->memo_used];
        m->len = (uint8_t)len;
        memcpy(m->text, t, len);
        m->ip = *ip;
        m->first = CASE_MEMO_UNSET;
        htab_add(&c->memo_idx, h, (uint32_t)c->memo_used++);
        *slot = m;
    }
    return 0;
}

int frow_port(sqlite3_stmt *st, int i, uint16_t *port)
{
    sqlite3_int64 v = sqlite3_column_int64(st, i);

    if (v < 0 || v > 65535)
        return ERR_INVALID;
    *port = (uint16_t)v;
    return 0;
}

int frow_byte(sqlite3_stmt *st, int i)
{
    sqlite3_int64 v;

    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return -1;
    v = sqlite3_column_int64(st, i);
    return v < 0 || v > 255 ? -1 : (int)v;
}
