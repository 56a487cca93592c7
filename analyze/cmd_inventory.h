/*
 * cmd_inventory.h: podflow-analyze inventory CASE.db FILE...: add or
 * replace the inventory of a case after the fact (the customer forgot
 * --inventory, or a fresher kubectl output arrived).
 *
 * (Its own header so that analyze/cmd.h, which another helper owns, need
 * not change while both are written; the declarations may move there.)
 */
#ifndef PODFLOW_ANALYZE_CMD_INVENTORY_H
#define PODFLOW_ANALYZE_CMD_INVENTORY_H

struct diag;

/* argv[0] is "inventory".  Returns EXIT_OK or EXIT_BAD. */
int cmd_inventory(int argc, char **argv, struct diag *d);

extern const char cmd_inventory_usage[];

#endif
