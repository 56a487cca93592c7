/*
 * cmd.h: podflow-analyze's subcommands.  Each takes the arguments after
 * its name (argv[0] is the subcommand) and returns the exit status:
 * EXIT_OK, EXIT_DENIED (check: something denied) or EXIT_BAD.
 */
#ifndef PODFLOW_ANALYZE_CMD_H
#define PODFLOW_ANALYZE_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "common/attrs.h"

struct diag;

int cmd_check(int argc, char **argv, struct diag *d);
int cmd_select(int argc, char **argv, struct diag *d);
int cmd_show(int argc, char **argv, struct diag *d);
int cmd_merge(int argc, char **argv, struct diag *d);
int cmd_diff(int argc, char **argv, struct diag *d); /* 1: something would break */
int cmd_report(int argc, char **argv, struct diag *d);
int cmd_redact(int argc, char **argv, struct diag *d);
/* Add or replace the inventory of a case after the fact (the customer
 * forgot --inventory, or a fresher kubectl output arrived). */
int cmd_inventory(int argc, char **argv, struct diag *d);

/* A usage error: "podflow-analyze: MESSAGE" through d, then usage on
 * stderr.  Returns EXIT_BAD, for `return cmd_usage_err(...)`. */
int cmd_usage_err(struct diag *d, const char *usage, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* 1 when argument a is option --lng (alone or as --lng=VALUE) or -shrt
 * (shrt 0: no short form). */
int cmd_is_opt(const char *a, const char *lng, char shrt);

/* Usage texts, printed by --help (stdout) and on usage errors (stderr). */
extern const char cmd_check_usage[];
extern const char cmd_select_usage[];
extern const char cmd_show_usage[];
extern const char cmd_merge_usage[];
extern const char cmd_redact_usage[];
extern const char cmd_diff_usage[];
extern const char cmd_report_usage[];
extern const char cmd_inventory_usage[];

/* Write b's contents to f, control characters shown as '?' (term_safe), and
 * empty it; 0 or -errno. */
struct buf;
int cmd_flush(struct buf *b, FILE *f);

#endif
