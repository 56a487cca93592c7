/*
 * cmd_table.c: the command table of podflow-analyze, one row per
 * subcommand, as git's git.c has it.  The top-level help lists the rows
 * in this order; cmd_dispatch() finds a command here, parses its options
 * (cmd.c) and runs it.  A new command is a row here and a cmd_NAME.c
 * defining its struct cmd_spec; tests/test_cmd_opt.c checks that the man
 * page documents every row and every long option.
 */
#include "analyze/cmd/cmd.h"

#include "common/compat.h"

const struct cmd_spec *const cmd_table[] = {
    &cmd_check_spec, &cmd_diff_spec,      &cmd_report_spec, &cmd_select_spec,
    &cmd_show_spec,  &cmd_inventory_spec, &cmd_merge_spec,  &cmd_redact_spec,
};
const size_t cmd_table_len = ARRAY_SIZE(cmd_table);

int cmd_main(int argc, char **argv, struct diag *d)
{
    return cmd_dispatch(cmd_table, cmd_table_len, argc, argv, d);
}
