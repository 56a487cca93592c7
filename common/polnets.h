/*
 * polnets.h: the CIDRs that policy files name, for redaction that keeps
 * them (podflow-capture --redact-external --keep-policy-nets, podflow-analyze
 * redact --keep-policy-nets; docs/security.md).
 *
 * This knows YAML and the shape of Kubernetes objects, not the policy
 * model (which lives in analyze/ and the capture may not include): in every
 * object of the policy API groups (projectcalico.org/v3,
 * crd.projectcalico.org/v1, networking.k8s.io/v1,
 * policy.networking.k8s.io/...), lists included, it collects the strings
 * under the keys 'nets', 'notNets' and 'networks' (Calico rules, NetworkSets
 * and GlobalNetworkSets, admin network policies) and 'ipBlock' maps ('cidr',
 * 'except': Kubernetes NetworkPolicy), wherever they sit in the object.  A
 * string that is not a CIDR or address is skipped with a warning (it is
 * then redacted: over-redaction, never a leak); so is a CIDR wider than
 * LIM_KEEP_NET_MIN_PLEN4/6 but a catch-all (/0 matches a pseudonym as it
 * matches the real address).
 */
#ifndef PODFLOW_POLNETS_H
#define PODFLOW_POLNETS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "common/attrs.h"
#include "common/ipaddr.h"

struct diag;
struct buf;

/* A range of addresses [lo, hi] of one family (bytes as in struct ipaddr). */
struct polnets_range {
    uint8_t family;
    uint8_t lo[16], hi[16];
};

struct polnets {
    struct cidr *v; /* malloc'd, in the order found */
    size_t n, alloc;
    struct polnets_range *r; /* v as sorted ranges, overlapping ones merged, once
                                polnets_index() ran (malloc'd): a lookup is then a
                                binary search; NULL: lookups scan v */
    size_t nr;
};

void polnets_init(struct polnets *pn);
void polnets_release(struct polnets *pn);

/*
 * Index pn for lookups (polnets_contains(), polnets_covers()): call it once
 * the CIDRs are added (polnets_load() and polnets_add_list() do); adding
 * another drops the index until the next call.  Never fails.
 */
void polnets_index(struct polnets *pn);

/*
 * Add one CIDR or address given as text (--keep-net), found at where
 * ("file:line:col" or an option name, for messages).  0; ERR_PARSE when s
 * is not one (reported as an error when strict, else as a warning); 1 when
 * it is too wide to keep (reported as a warning); ERR_LIMIT past
 * LIM_KEEP_NETS (reported).  d NULL: nothing is reported.
 */
int polnets_add_text(struct polnets *pn, const char *s, const char *where, int strict,
                     struct diag *d) MUST_CHECK;

/*
 * Add the CIDRs of a space-separated list as polnets_text() writes it
 * (meta.redaction_kept), found at where, then index pn.  What does not
 * parse, or is too wide, is not added and not reported (a case's own
 * record: what is not known as kept is treated as redacted).  0, or
 * ERR_LIMIT past LIM_KEEP_NETS (what was added stays).
 */
int polnets_add_list(struct polnets *pn, const char *text, const char *where) MUST_CHECK;

/*
 * Add the CIDRs of every policy object in paths (files, directories
 * searched like -p, or "-" for stdin).  0, or ERR_PARSE / ERR_LIMIT /
 * -errno after reporting (a path that cannot be read, a file that is not
 * YAML/JSON): the caller stops, since a redaction that keeps less than
 * asked would change verdicts silently.
 */
int polnets_load(struct polnets *pn, const char *const *paths, size_t npaths,
                 struct diag *d) MUST_CHECK;

/* The same for one policy file's contents data[0..len) called name (the
 * fuzz target's entry): 0, ERR_PARSE or ERR_LIMIT after reporting. */
int polnets_load_mem(struct polnets *pn, const char *name, const char *data, size_t len,
                     struct diag *d) MUST_CHECK;

/*
 * The addresses kept by both a and b, into out (initialised here; the
 * caller releases it), indexed: the CIDRs of each that lie inside the
 * other's (CIDRs nest or are disjoint, so these cover exactly the common
 * addresses), sorted, without repeats.  What several redactions of one
 * case kept: an address is known unredacted only if every one kept it.
 * 0, or ERR_LIMIT past LIM_KEEP_NETS.
 */
int polnets_intersect(const struct polnets *a, const struct polnets *b,
                      struct polnets *out) MUST_CHECK;

/*
 * What a case records as kept (meta.redaction_kept) after one more
 * redaction that kept keep (may be NULL: nothing), into out (initialised
 * here, indexed; the caller releases it): keep itself on a case that was
 * not redacted before, else what both before (the case's record) and keep
 * kept, since the addresses earlier redactions replaced are pseudonyms
 * whatever this one keeps.  `redact`, a capture with --redact-external
 * added to a case, and `merge` of redacted cases use it.  0 or ERR_LIMIT.
 */
int polnets_after_redaction(int was_redacted, const struct polnets *before,
                            const struct polnets *keep, struct polnets *out) MUST_CHECK;

/*
 * Record in the case db what stays kept after one more redaction that keeps
 * keep (may be NULL): polnets_after_redaction() over what meta says of the
 * earlier ones (meta.redacted, meta.redacted_external, meta.redaction_kept),
 * written to meta.redaction_kept, or the key removed when nothing is kept.
 * Call inside the redaction's transaction, before it marks the case as
 * redacted.  `redact` and a capture with --redact-external use it.
 * 0, ERR_DB (sqlite3_errmsg(db) says why) or ERR_LIMIT (LIM_KEEP_NETS).
 */
int polnets_record_kept(sqlite3 *db, const struct polnets *keep) MUST_CHECK;

/* Append "cidr cidr ..." (space separated) to out: what the case records
 * in meta.redaction_kept.  0 or ERR_LIMIT. */
int polnets_text(const struct polnets *pn, struct buf *out) MUST_CHECK;

/* 1 when a is inside one of pn's CIDRs (a binary search once indexed). */
int polnets_contains(const struct polnets *pn, const struct ipaddr *a);

/* 1 when c lies wholly inside one of pn's CIDRs (a binary search once
 * indexed). */
int polnets_covers(const struct polnets *pn, const struct cidr *c);

#endif
