/*
 * conntrack.h: the backend behind a Service address, from the node's
 * conntrack table (libnl-nf-3).
 *
 * A client pod's packets leave its veth addressed to the Service's
 * ClusterIP (or a node's NodePort); kube-proxy's DNAT in the node's
 * PREROUTING picks a backend pod, and policy is enforced on that backend.
 * The capture sees the Service address; conntrack knows the translation:
 * its entry's reply tuple comes from the backend.  So every flow whose
 * original tuple conntrack translated gets dnat_ip/dnat_port.
 *
 * How (the choice, reliable and cheap): a dump of the table at start (for
 * connections already open), then NFNLGRP_CONNTRACK_NEW events for the
 * whole capture, each a new entry with both tuples, of which only the
 * translated ones (IPS_DST_NAT) are kept in a bounded map keyed by the
 * original tuple.  A query per flow at its end would miss UDP flows (their
 * entries expire in 30 s, before the flow's idle timeout) and would cost a
 * round trip per flow.  The NEW event is sent when the entry is confirmed,
 * after the first packet went through the node, i.e. microseconds after
 * the capture saw it and long before the flow is written.  Lost events
 * (ENOBUFS) are made up by a new dump.
 */
#ifndef PODFLOW_CAPTURE_CONNTRACK_H
#define PODFLOW_CAPTURE_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

struct diag;
struct flow_rec;
struct ct_map;

/* A map of capacity entries (0: LIM_CT_ENTRIES) with no socket: for
 * tests, and the base of ct_open().  Never NULL. */
struct ct_map *ct_map_new(size_t capacity);

/*
 * A map fed from the kernel: subscribe to NFNLGRP_CONNTRACK_NEW, then dump
 * the table.  ERR_NETLINK or ERR_PERM (reported through d, which must
 * outlive the map): the capture goes on without DNAT resolution.  A
 * system with conntrack events switched off (sysctl
 * net.netfilter.nf_conntrack_events = 0) gets a warning.
 */
int ct_open(struct diag *d, struct ct_map **out) MUST_CHECK;

/* The subscription's descriptor, for poll(); -1 for a map with no socket. */
int ct_fd(const struct ct_map *m);

/* Read every pending event without blocking; re-dump when the kernel
 * dropped some.  0, or ERR_NETLINK or ERR_PERM (reported). */
int ct_read(struct ct_map *m) MUST_CHECK;

/*
 * Record that the connection (family 4 or 6, IANA proto, original
 * src:sport -> dst:dport, addresses in network order, 4 or 16 bytes) was
 * translated to to:to_port.  The oldest entry is forgotten when the map is
 * full; a tuple noted again is replaced (the latest connection wins).
 */
void ct_note(struct ct_map *m, int family, uint8_t proto, const uint8_t *src, uint16_t sport,
             const uint8_t *dst, uint16_t dport, const uint8_t *to, uint16_t to_port);

/* Set rec's dnat_* from the map when its (family, proto, src, src_port,
 * dst, dst_port) was translated; leave them 0 otherwise.  1 when set. */
int ct_annotate(const struct ct_map *m, struct flow_rec *rec);

/* Entries noted so far (for the summary line and tests). */
uint64_t ct_noted(const struct ct_map *m);

/* Free the map; NULL does nothing.  *m is set to NULL. */
void ct_close(struct ct_map **m);

#endif
