/*
 * hostep.h: which host endpoint governs a node's traffic through an
 * interface (docs/semantics.md §17.2), for the engine.
 */
#ifndef PODFLOW_ANALYZE_HOSTEP_H
#define PODFLOW_ANALYZE_HOSTEP_H

#include <stddef.h>

#include "analyze/case/case.h"
#include "analyze/policy/policy.h"
#include "common/ipaddr.h"

/* 1 when iface is a workload (pod) interface as Felix names them ("cali"
 * prefix): only an all-interfaces host endpoint governs it. */
int hostep_workload_iface(const char *iface);

struct hep_pick {
    const struct hostep *hep; /* the one that governs the interface, or NULL: none */
    int unplaced;             /* the interface is not known and the node has interface-specific host
                                 endpoints: which one governs cannot be said */
};

/*
 * The host endpoint of ps that governs node's traffic through iface (NULL:
 * the interface is not known), into *out.  eps[0..neps) are the case's
 * identities: host addresses with the interface netlink saw them on bind a
 * HostEndpoint that names no interface by its expected IPs.  Borrowed
 * pointers, nothing allocated.
 */
void hostep_pick(const struct policy_set *ps, const struct case_ep *eps, size_t neps,
                 const char *node, const char *iface, struct hep_pick *out);

#endif
