/*
 * fuzz_cmdline.c: libFuzzer target for podflow-analyze's command line
 * (analyze/cmd/cmd.c): the option parser against every command's table,
 * and the --since/--until duration parser.
 *
 * The input: its first byte picks the command of cmd_table[], the rest is
 * the command's words, separated by NUL bytes (at most FC_WORDS).  For any
 * input:
 *   - cmd_parse() returns 0, CMD_PARSE_HELP or ERR_USAGE (with a message);
 *   - when it parsed, every item is an operand or an option of the
 *     command's table; a flag has no value, any other option has one,
 *     pointing into the words; an option with choices holds the index of
 *     its value among them; only a list option's items continue it;
 *   - the same command line written canonically (every option as
 *     --name=VALUE, or -xVALUE when it has no long name (-x and an empty
 *     word for an empty value), a list's further operands right after
 *     it, then "--" and the operands) parses to the
 *     same options in the same order and the same operands;
 *   - every word that cmd_parse_duration() accepts is 0 to 100 years of
 *     nanoseconds, and below 2^53 ns its value written as "Nns" reads
 *     back as itself.
 * Any violation aborts.  Nothing is run: the commands open files (the
 * commands themselves are fuzzed through cmd_main() by fuzz_case).
 * Seeds: tests/fuzz/corpus/cmdline/ (a byte, then words split by NUL).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/cmd/cmd.h"
#include "common/err.h"
#include "tests/fuzz/fuzz.h"
#include "common/compat.h"

#define FC_WORDS 48
#define FC_MAXNS ((int64_t)(100 * 365.25 * 86400) * 1000000000)

static FILE *fc_null;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fc_null = fopen("/dev/null", "w");
    if (!fc_null)
        fuzz_fail("fuzz_cmdline", "cannot open /dev/null");
    return 0;
}

/* Whether p points into one of the n words. */
static int in_words(const char *p, char *const *w, int n)
{
    for (int i = 0; i < n; i++)
        if (p >= w[i] && p <= w[i] + strlen(w[i]))
            return 1;
    return 0;
}

static int in_table(const struct cmd_opt *opts, const struct cmd_opt *o)
{
    for (const struct cmd_opt *r = opts; r && r->id; r++)
        if (r == o)
            return 1;
    return 0;
}

/* The invariants of one parsed item. */
static void check_item(const struct cmd_spec *cmd, const struct cmd_item *it, char *const *w, int n)
{
    if (!it->val && (it->id == CMD_OPERAND || (it->opt && it->opt->arg != CMD_ARG_NONE)))
        fuzz_fail("fuzz_cmdline", "an operand or an option with a value has none");
    if (it->val && !in_words(it->val, w, n))
        fuzz_fail("fuzz_cmdline", "a value does not point into argv");
    if (it->id == CMD_OPERAND) {
        if (it->opt || it->cont || it->choice != -1)
            fuzz_fail("fuzz_cmdline", "an operand with an option's fields");
        return;
    }
    if (!it->opt || !in_table(cmd->opts, it->opt) || it->opt->id != it->id)
        fuzz_fail("fuzz_cmdline", "an option that is not the command's row");
    if (it->opt->arg == CMD_ARG_NONE && it->val)
        fuzz_fail("fuzz_cmdline", "a flag with a value");
    if (it->cont && it->opt->arg != CMD_ARG_LIST)
        fuzz_fail("fuzz_cmdline", "an operand continues an option that is no list");
    if (it->opt->choices && !it->cont) {
        if (it->choice < 0 || strcmp(it->opt->choices[it->choice], it->val) != 0)
            fuzz_fail("fuzz_cmdline", "a choice's index is not its value");
    } else if (it->choice != -1) {
        fuzz_fail("fuzz_cmdline", "a choice index for an option without choices");
    }
}

/* The canonical words of a (see the top) into argv, their text in store. */
static int canonical(const struct cmd_args *a, char **argv, char *store, size_t size)
{
    size_t used = 0, i;
    int argc = 0;

    argv[argc++] = (char *)a->cmd->name;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            argv[argc++] = (char *)"--";
        for (i = 0; i < a->n; i++) {
            const struct cmd_item *it = &a->v[i];
            int len;

            if ((it->id == CMD_OPERAND) != (pass == 1))
                continue;
            if (it->id == CMD_OPERAND || it->cont) {
                argv[argc++] = (char *)it->val;
                continue;
            }
            if (it->opt->lng)
                len = snprintf(store + used, size - used, "--%s%s%s", it->opt->lng,
                               it->val ? "=" : "", it->val ? it->val : "");
            else if (it->val && !*it->val)
                len = snprintf(store + used, size - used, "-%c", it->opt->shrt);
            else
                len = snprintf(store + used, size - used, "-%c%s", it->opt->shrt,
                               it->val ? it->val : "");
            if (len < 0 || (size_t)len >= size - used)
                fuzz_fail("fuzz_cmdline", "the canonical form does not fit");
            argv[argc++] = store + used;
            used += (size_t)len + 1;
            if (!it->opt->lng && it->val && !*it->val)
                argv[argc++] = (char *)it->val; /* "-x" "": an empty value of its own */
        }
    }
    argv[argc] = NULL;
    return argc;
}

static int same_val(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* a and b hold the same options in order and the same operands in order. */
static void check_same(const struct cmd_args *a, const struct cmd_args *b)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t i = 0, j = 0;

        for (;;) {
            while (i < a->n && (a->v[i].id == CMD_OPERAND) != pass)
                i++;
            while (j < b->n && (b->v[j].id == CMD_OPERAND) != pass)
                j++;
            if (i == a->n || j == b->n)
                break;
            if (a->v[i].id != b->v[j].id || a->v[i].cont != b->v[j].cont ||
                a->v[i].choice != b->v[j].choice || !same_val(a->v[i].val, b->v[j].val))
                fuzz_fail("fuzz_cmdline", "the canonical form parses otherwise");
            i++;
            j++;
        }
        if (i != a->n || j != b->n)
            fuzz_fail("fuzz_cmdline", "the canonical form parses to more or fewer items");
    }
}

static void check_duration(const char *w)
{
    int64_t ns = -1, back = -1;
    char again[32];
    int rc = cmd_parse_duration(w, &ns);

    if (rc != 0 && rc != ERR_PARSE && rc != ERR_LIMIT)
        fuzz_fail("fuzz_cmdline", "cmd_parse_duration: an unknown result");
    if (rc)
        return;
    if (ns < 0 || ns > FC_MAXNS)
        fuzz_fail("fuzz_cmdline", "a duration outside 0 to 100 years");
    if (ns >= (int64_t)1 << 53)
        return;
    snprintf(again, sizeof(again), "%lldns", (long long)ns);
    if (cmd_parse_duration(again, &back) != 0 || back != ns)
        fuzz_fail("fuzz_cmdline", "a duration written as Nns reads otherwise");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf, *argv[FC_WORDS + 2], **argv2, *store;
    const struct cmd_spec *cmd;
    struct cmd_args a, b;
    struct diag d;
    size_t i, start;
    int argc = 0, rc, rc2;

    if (size < 1 || !cmd_table_len)
        return 0;
    cmd = cmd_table[data[0] % cmd_table_len];
    buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    argv[argc++] = (char *)cmd->name;
    for (i = 0, start = 0; i < size && argc <= FC_WORDS; i++) {
        if (buf[i] == '\0') {
            argv[argc++] = buf + start;
            start = i + 1;
            if (start >= size - 1)
                break;
        }
    }
    argv[argc] = NULL;
    for (int k = 1; k < argc; k++)
        check_duration(argv[k]);

    fuzz_diag(&d);
    rc = cmd_parse(cmd, argc, argv, &d, fc_null, &a);
    if (rc != 0 && rc != CMD_PARSE_HELP && rc != ERR_USAGE)
        fuzz_fail("fuzz_cmdline", "cmd_parse: an unknown result");
    if (rc == 0) {
        size_t need = 0;

        for (i = 0; i < a.n; i++) {
            check_item(cmd, &a.v[i], argv, argc);
            need += (a.v[i].val ? strlen(a.v[i].val) : 0) + 96;
        }
        /* A word may hold several items (-eqn): room by the items. */
        store = malloc(need + 1);
        argv2 = malloc((2 * a.n + 3) * sizeof(*argv2));
        if (store && argv2) {
            int argc2 = canonical(&a, argv2, store, need + 1);

            rc2 = cmd_parse(cmd, argc2, argv2, &d, fc_null, &b);
            if (rc2 != 0)
                fuzz_fail("fuzz_cmdline", "the canonical form is refused");
            check_same(&a, &b);
            cmd_args_release(&b);
        }
        free(argv2);
        free(store);
    }
    cmd_args_release(&a);
    free(buf);
    return 0;
}
