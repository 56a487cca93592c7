/*
 * redact.h: replace a case's external addresses by keyed pseudonyms
 * (podflow-analyze redact; docs/security.md).
 *
 * The pseudonyms are common/pseudo.h's, shared with podflow-capture
 * --redact-external.  External means: not the address of a pod, host (node) or Service
 * endpoint of the case, nor one netlink saw behind a node's interface
 * (ip_ifaces), and not a loopback, link-local, multicast,
 * unspecified or broadcast address (they say nothing about anybody).  Each
 * external address becomes an address of the same family, chosen by
 * HMAC-SHA256 of the address under a key: IPv4 ones inside the documentation
 * ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737), past
 * 768 of them inside 240.0.0.0/4 (reserved, RFC 1112); IPv6 ones inside
 * 2001:db8::/32 (RFC 3849).  The mapping is one-to-one within the case (a
 * collision takes the next free address) and avoids every internal
 * address, so flows still group by peer and verdicts on pods are unchanged;
 * only rules matching external CIDRs can judge differently.  With a random
 * key that is never stored, the pseudonyms cannot be reversed, nor linked
 * across cases.
 */
#ifndef PODFLOW_ANALYZE_REDACT_H
#define PODFLOW_ANALYZE_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/attrs.h"
#include "common/sha256.h"

struct diag;
struct polnets;

#define REDACT_KEY_LEN SHA256_LEN

struct redact_stats {
    size_t addrs_v4;    /* distinct external IPv4 addresses replaced */
    size_t addrs_v6;    /* distinct external IPv6 addresses replaced */
    size_t addrs_bad;   /* address texts that do not parse, replaced too */
    size_t flow_fields; /* flows.src_ip / dst_ip / dnat_ip values rewritten */
    size_t endpoints;   /* endpoints of kind external rewritten (name cleared) */
    size_t captures;    /* captures rows whose command / filter were cleared */
    size_t addrs_kept;  /* external addresses kept: inside a kept CIDR */
};

/*
 * Redact the case open read-write in db (in place, inside one transaction
 * it opens and commits) under key, keeping as they are the addresses inside
 * keep's CIDRs (may be NULL: none), and never giving a pseudonym inside
 * one.  Also clears captures.command and captures.filter (they may name
 * addresses) and records meta.redacted and meta.redaction_kept (the CIDRs
 * kept, space separated; on a case redacted before, only those both this
 * redaction and the earlier ones kept: polnets_after_redaction(); no key
 * when none).  keep must be indexed (polnets_index()).  0, or ERR_DB or
 * ERR_LIMIT after reporting through d (rolled back).
 */
int redact_db(sqlite3 *db, const uint8_t key[REDACT_KEY_LEN], const struct polnets *keep,
              struct redact_stats *st, struct diag *d) MUST_CHECK;

/*
 * Redact the case file path with a fresh random key, never partially: the
 * case is copied (SQLite backup, committed WAL content included) to a temp
 * file beside it (0600), redacted there with secure_delete and VACUUM so no
 * old address survives in free pages, synced, and renamed over path.
 * path must be the user's own regular file, or a symlink to one (the
 * output rule, common/outfile.h).  With out not NULL, path is left as it
 * was and the redacted case is written to out instead, a new file (an
 * existing one is refused: ERR_EXISTS) or a stream.  Refuses what
 * db_open_reader() refuses, and a case another program has open for
 * writing.  keep (may be NULL): the CIDRs whose addresses stay as they are
 * (redact_db()).  On failure path is left as it was.  0, ERR_FORMAT,
 * ERR_VERSION, ERR_DB, ERR_INVALID, ERR_PERM or -errno, reported through d.
 */
int redact_case(const char *path, const char *out, const struct polnets *keep,
                struct redact_stats *st, struct diag *d) MUST_CHECK;

#endif
