/*
 * inv_int.h: shared inside the inventory subsystem (inventory.c, the model;
 * inv_load.c, the kubectl YAML/JSON loader; inv_db.c, the .db writer).
 */
#ifndef PODFLOW_INV_INT_H
#define PODFLOW_INV_INT_H

#include "common/inventory.h"

/* Release one object's owned members. */
void inv_pod_release(struct inv_pod *p);
void inv_namespace_release(struct inv_namespace *n);
void inv_service_release(struct inv_service *s);
void inv_slice_release(struct inv_slice *s);
void inv_node_release(struct inv_node *n);

/* Count one skipped object of kind (copied). */
void inv_count_skipped(struct inventory *inv, const char *kind);

/* Add the implied namespaces, sort every table and drop replaced copies
 * (the one loaded last wins; an explicit Namespace beats an implied one). */
void inv_finish(struct inventory *inv);

/* The protocol's API spelling ("TCP"), or "TCP" for an unknown number. */
const char *inv_proto_name(uint8_t proto);

#endif
