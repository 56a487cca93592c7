/*
 * case_int.h: case.c internals that unit tests reach (PODFLOW_TEST only).
 */
#ifndef PODFLOW_ANALYZE_CASE_INT_H
#define PODFLOW_ANALYZE_CASE_INT_H

#include <stddef.h>
#include <stdint.h>

/* Vantage points (capture, interface) -> dense tags, for the hash pairing. */
struct vmap_slot {
    int64_t cap, iface;
    uint32_t tag; /* 0: empty */
    int has_iface;
};

struct vmap {
    struct vmap_slot *slots; /* malloc'd, size a power of two */
    size_t size, n;
    uint32_t max; /* tags 1..max */
};

#ifdef PODFLOW_TEST
struct ipaddr;

/* Dotted-quad IPv4 exactly as inet_pton(3) accepts it; 0 or ERR_PARSE. */
int fast_v4(const char *s, size_t len, struct ipaddr *ip);

/* An empty map handing out tags 1..max. */
void vmap_init(struct vmap *m, uint32_t max);
void vmap_release(struct vmap *m);

/* The tag of (cap, iface), iface ignored unless has_iface; a new one
 * (the next number) for a new vantage point; 0 once max are taken. */
uint32_t vmap_tag(struct vmap *m, int64_t cap, int has_iface, int64_t iface);
#endif

#endif
