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

#include "common/attrs.h"
#include "common/ipaddr.h"

struct diag;
struct buf;

struct polnets {
    struct cidr *v; /* malloc'd, in the order found */
    size_t n, alloc;
};

void polnets_init(struct polnets *pn);
void polnets_release(struct polnets *pn);

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
 * Add the CIDRs of every policy object in paths (files, directories
 * searched like -p, or "-" for stdin).  0, or ERR_PARSE / ERR_LIMIT /
 * -errno after reporting (a path that cannot be read, a file that is not
 * YAML/JSON): the caller stops, since a redaction that keeps less than
 * asked would change verdicts silently.
 */
int polnets_load(struct polnets *pn, const char *const *paths, size_t npaths,
                 struct diag *d) MUST_CHECK;

/* Append "cidr cidr ..." (space separated) to out: what the case records
 * in meta.redaction_kept.  0 or ERR_LIMIT. */
int polnets_text(const struct polnets *pn, struct buf *out) MUST_CHECK;

/* 1 when a is inside one of pn's CIDRs. */
int polnets_contains(const struct polnets *pn, const struct ipaddr *a);

/* 1 when c lies wholly inside one of pn's CIDRs. */
int polnets_covers(const struct polnets *pn, const struct cidr *c);

#endif
