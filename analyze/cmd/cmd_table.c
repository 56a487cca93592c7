/*
 * cmd_table.c: the command table of podflow-analyze, one row per
 * subcommand, as git's git.c has it.  The top-level help lists the rows
 * in this order; cmd_dispatch() finds a command here, parses its options
 * (cmd.c) and runs it.  A new command is a row here and a cmd_NAME.c
 * defining its struct cmd_spec; tests/test_cmd_opt.c checks that the man
 * page documents every row and every long option, and the shell
 * completion scripts are written from the table (completion, below).
 */
#include "analyze/cmd/cmd.h"

#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/compat.h"

static int cmd_complete(struct cmd_args *a);

static const char *const completion_shells[] = {"bash", "zsh", NULL};

static const struct cmd_opt completion_opts[] = {
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

/* podflow-analyze completion SHELL, as kubectl completion: the script
 * comes from the table below, so it knows every command and option. */
static const struct cmd_spec cmd_completion_spec = {
    .name = "completion",
    .run = cmd_complete,
    .opts = completion_opts,
    .args = "bash|zsh",
    .summary = "the shell completion script, from this command table",
    .about = "Print the completion script for bash or zsh.  make install puts them where\n"
             "the shells look (share/bash-completion/completions/podflow-analyze,\n"
             "share/zsh/site-functions/_podflow-analyze); to try one at once:\n"
             "  source <(podflow-analyze completion bash)\n",
    .exit_status = "Exit status: 0 success, 2 usage.\n",
    .words = completion_shells,
};

const struct cmd_spec *const cmd_table[] = {
    &cmd_check_spec, &cmd_diff_spec,      &cmd_suggest_spec, &cmd_report_spec, &cmd_select_spec,
    &cmd_show_spec,  &cmd_inventory_spec, &cmd_merge_spec,   &cmd_redact_spec, &cmd_completion_spec,
};
const size_t cmd_table_len = ARRAY_SIZE(cmd_table);

static int cmd_complete(struct cmd_args *a)
{
    struct buf out;
    int rc;

    if (a->n != 1)
        return cmd_usage_err(a, "%s", "completion takes one shell: bash or zsh");
    buf_init(&out, 0);
    rc = cmd_completion(cmd_table, cmd_table_len, a->v[0].val, &out);
    if (rc == ERR_NOTFOUND) {
        buf_release(&out);
        return cmd_usage_err(a, "no completion for '%s': bash or zsh", a->v[0].val);
    }
    if (!rc && (cmd_flush(&out, stdout) || fflush(stdout))) {
        diag_err(a->d, "cannot write to standard output: %s", strerror(errno));
        rc = -EIO;
    }
    buf_release(&out);
    return rc ? EXIT_BAD : EXIT_OK;
}

int cmd_main(int argc, char **argv, struct diag *d)
{
    return cmd_dispatch(cmd_table, cmd_table_len, argc, argv, d);
}
