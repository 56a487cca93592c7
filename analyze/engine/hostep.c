/*
 * hostep.c: which host endpoint governs a node's traffic through one of its
 * interfaces, as Felix resolves it (docs/semantics.md §17.2;
 * felix/dataplane/linux/endpoint_mgr.go resolveHostEndpoints at
 * projectcalico/calico 87c15906):
 *
 *   - only the HostEndpoints of that node count (spec.node);
 *   - a workload interface (Felix's InterfacePrefix, "cali") never has an
 *     interface-specific host endpoint: only the all-interfaces one ("*")
 *     governs it;
 *   - another interface: a HostEndpoint naming it; else one with no
 *     interface name whose expected IPs hold an address of that interface
 *     (one naming another interface never matches by address); among
 *     several, the alphabetically first name; else the alphabetically first
 *     "*" one; else none, and the interface is not policed;
 *   - an interface podflow does not know (the capture did not record the
 *     uplink) decides nothing when the node has only "*" host endpoints
 *     (they govern every interface alike) and is "unplaced" otherwise: the
 *     caller says so rather than guess.
 */
#include "analyze/engine/hostep.h"

#include <string.h>

int hostep_workload_iface(const char *iface)
{
    return strncmp(iface, "cali", 4) == 0;
}

/* An address of node's interface iface at the case's identities (the host
 * endpoints of the case: node addresses with the link netlink saw them on). */
static int iface_has(const struct case_ep *eps, size_t neps, const char *node, const char *iface,
                     const struct ipaddr *ip)
{
    for (size_t i = 0; i < neps; i++) {
        const struct case_ep *ep = &eps[i];

        if (ep->kind == EP_HOST && ep->iface && ep->node && strcmp(ep->iface, iface) == 0 &&
            strcmp(ep->node, node) == 0 && ipaddr_cmp(&ep->ip, ip) == 0)
            return 1;
    }
    return 0;
}

static int all_ifaces(const struct hostep *h)
{
    return h->iface && strcmp(h->iface, "*") == 0;
}

void hostep_pick(const struct policy_set *ps, const struct case_ep *eps, size_t neps,
                 const char *node, const char *iface, struct hep_pick *out)
{
    const struct hostep *best = NULL, *star = NULL;
    int specific = 0;

    memset(out, 0, sizeof(*out));
    if (!node)
        return;
    for (size_t i = 0; i < ps->nheps; i++) {
        const struct hostep *h = &ps->heps[i];
        int match = 0;

        if (strcmp(h->node, node) != 0)
            continue;
        if (all_ifaces(h)) {
            if (!star || strcmp(h->name, star->name) < 0)
                star = h;
            continue;
        }
        specific = 1;
        if (!iface || hostep_workload_iface(iface))
            continue;
        if (h->iface) {
            match = strcmp(h->iface, iface) == 0;
        } else {
            for (size_t k = 0; k < h->nips && !match; k++)
                match = iface_has(eps, neps, node, iface, &h->ips[k]);
        }
        if (match && (!best || strcmp(h->name, best->name) < 0))
            best = h;
    }
    if (!iface && specific) {
        out->unplaced = 1;
        return;
    }
    out->hep = best ? best : star;
}
