/*
 * proc_attr_int.h: proc_attr.c's index of the namespaces' addresses and
 * its client on a bare socket, for its unit tests only.
 */
#ifndef PODFLOW_CAPTURE_PROC_ATTR_INT_H
#define PODFLOW_CAPTURE_PROC_ATTR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ipaddr.h"

/* pa_addr_ns.ns of an address more than one namespace holds. */
#define PA_NS_SEVERAL UINT32_MAX

/* An address and the namespace holding it (an index into the helper's
 * namespaces), or PA_NS_SEVERAL. */
struct pa_addr_ns {
    struct ipaddr ip;
    uint32_t ns;
};

#ifdef PODFLOW_TEST
struct diag;
struct pa_client;

/* A client on fd (its end of a socketpair, owned from now on: pa_close()
 * closes it) with no helper process, so a test plays the helper. */
struct pa_client *pa_client_on_fd(int fd, struct diag *d);

/* Sort ix[0..n) by address and fold the entries of one address into one:
 * its namespace, or PA_NS_SEVERAL when they name different ones.  Returns
 * how many entries are left at the front. */
size_t pa_addr_index(struct pa_addr_ns *ix, size_t n);
/* The namespace holding ip in ix[0..n) (as pa_addr_index() left it), or
 * PA_NS_SEVERAL when several or none do. */
uint32_t pa_addr_find(const struct pa_addr_ns *ix, size_t n, const struct ipaddr *ip);
#endif

#endif
