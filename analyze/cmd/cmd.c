/*
 * cmd.c: the one option parser of podflow-analyze's subcommands, their
 * --help texts built from the option tables, the usage-error reply with
 * its "did you mean", the dispatch over the command table, and what the
 * commands share for writing (cmd_flush) and for threads (cmd_cores).
 *
 * The parser is a loop over argv, not getopt_long: options take several
 * operands ("-p a.yaml b/", "--old A B --new C"), which getopt's
 * permutation cannot express, and one parser for every command means one
 * set of rules a user learns once (cmd.h lists them).
 */
#include "analyze/cmd/cmd.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "analyze/case/case.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/json.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* The column where --help's option texts start (and where a top-level
 * summary starts): what the hand-written texts used. */
#define HELP_COL 29

/* --- similarity (git's help.c and levenshtein.c) --------------------------- */

/* Damerau-Levenshtein distance (optimal string alignment) from s1 to s2
 * with weights: w swap of two adjacent characters, s substitution, a
 * insertion (a character of s2 missing from s1), d deletion (a character
 * of s1 not in s2).  git's levenshtein.c, three rows of the matrix. */
static int dl_distance(const char *s1, const char *s2, int w, int s, int a, int d)
{
    size_t len1 = strlen(s1), len2 = strlen(s2), i, j;
    int *row0, *row1, *row2, *tmp, r;

    row0 = xcalloc(len2 + 1, sizeof(*row0));
    row1 = xcalloc(len2 + 1, sizeof(*row1));
    row2 = xcalloc(len2 + 1, sizeof(*row2));
    for (j = 0; j <= len2; j++)
        row1[j] = (int)j * a;
    for (i = 0; i < len1; i++) {
        row2[0] = (int)(i + 1) * d;
        for (j = 0; j < len2; j++) {
            row2[j + 1] = row1[j] + s * (s1[i] != s2[j]); /* substitution */
            if (i > 0 && j > 0 && s1[i - 1] == s2[j] && s1[i] == s2[j - 1] &&
                row2[j + 1] > row0[j - 1] + w)
                row2[j + 1] = row0[j - 1] + w; /* swap */
            if (row2[j + 1] > row1[j + 1] + d)
                row2[j + 1] = row1[j + 1] + d; /* deletion */
            if (row2[j + 1] > row2[j] + a)
                row2[j + 1] = row2[j] + a; /* insertion */
        }
        tmp = row0;
        row0 = row1;
        row1 = row2;
        row2 = tmp;
    }
    r = row1[len2];
    free(row0);
    free(row1);
    free(row2);
    return r;
}

int cmd_similarity(const char *typed, const char *candidate)
{
    /* help.c: a candidate the word begins is the best match; otherwise
     * typos cost little (swaps nothing, a missing letter 1) and extra
     * letters much, so "chekc" finds check and "frobnicate" nothing. */
    if (*typed && strncmp(candidate, typed, strlen(typed)) == 0)
        return 0;
    return dl_distance(typed, candidate, 0, 2, 1, 3) + 1;
}

const char *cmd_suggest(const char *typed, const char *const *cands, size_t n)
{
    const char *best = NULL;
    int best_sim = CMD_SIMILAR, ties = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        int sim;

        if (!cands[i] || (best && strcmp(cands[i], best) == 0))
            continue;
        sim = cmd_similarity(typed, cands[i]);
        if (sim < best_sim) {
            best_sim = sim;
            best = cands[i];
            ties = 0;
        } else if (sim == best_sim && best) {
            ties++;
        }
    }
    /* Two equally good guesses are no guess: say nothing. */
    return ties ? NULL : best;
}

/* --- errors ---------------------------------------------------------------- */

static FILE *err_out(const struct diag *d)
{
    return d->out ? d->out : stderr;
}

static void see_help(struct diag *d, const char *prog, const char *name)
{
    FILE *f = err_out(d);

    if (name)
        fprintf(f, "see '%s %s --help'\n", prog, name);
    else
        fprintf(f, "see '%s --help'\n", prog);
    fflush(f);
}

static int vusage_err(struct diag *d, const char *prog, const char *name, const char *fmt,
                      va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (name)
        diag_err(d, "%s: %s", name, msg);
    else
        diag_err(d, "%s", msg);
    see_help(d, prog, name);
    return EXIT_BAD;
}

int cmd_usage_err(const struct cmd_args *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vusage_err(a->d, a->prog, a->cmd->name, fmt, ap);
    va_end(ap);
    return EXIT_BAD;
}

static int parse_err(const struct cmd_args *a, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int parse_err(const struct cmd_args *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vusage_err(a->d, a->prog, a->cmd->name, fmt, ap);
    va_end(ap);
    return ERR_USAGE;
}

/* --- help ------------------------------------------------------------------ */

/* "  -p, --policies PATH..." for row o. */
static void opt_left(const struct cmd_opt *o, char *b, size_t size)
{
    char sh[8] = "    ";

    if (o->shrt)
        snprintf(sh, sizeof(sh), "-%c%s", o->shrt, o->lng ? ", " : "");
    snprintf(b, size, "  %s%s%s%s%s", sh, o->lng ? "--" : "", o->lng ? o->lng : "",
             o->argname ? " " : "", o->argname ? o->argname : "");
}

/* left, then text from HELP_COL (on the next line when left is too
 * long), each further line of text indented to HELP_COL. */
static void help_row(FILE *f, const char *left, const char *text)
{
    size_t len = strlen(left);
    const char *p = text, *nl;

    fputs(left, f);
    if (len + 1 >= HELP_COL)
        fprintf(f, "\n%*s", HELP_COL, "");
    else
        fprintf(f, "%*s", (int)(HELP_COL - len), "");
    for (;;) {
        nl = strchr(p, '\n');
        if (!nl) {
            fprintf(f, "%s\n", p);
            break;
        }
        fprintf(f, "%.*s\n%*s", (int)(nl - p), p, HELP_COL, "");
        p = nl + 1;
    }
}

void cmd_usage(const struct cmd_spec *cmd, FILE *f)
{
    const struct cmd_opt *o;
    char left[128];

    fprintf(f, "usage: podflow-analyze %s %s\n\n", cmd->name, cmd->args);
    if (cmd->about && *cmd->about)
        fprintf(f, "%s\n", cmd->about);
    for (o = cmd->opts; o && o->id; o++) {
        if (!o->help)
            continue;
        opt_left(o, left, sizeof(left));
        help_row(f, left, o->help);
    }
    help_row(f, "  -h, --help", "this text");
    if (cmd->exit_status && *cmd->exit_status)
        fprintf(f, "\n%s", cmd->exit_status);
}

void cmd_main_usage(const struct cmd_spec *const *table, size_t n, FILE *f)
{
    char left[160];
    size_t i;

    fputs("usage: podflow-analyze COMMAND [ARGS]\n"
          "\n"
          "Replay the flows of a podflow case (.db) against Calico and Kubernetes\n"
          "network policies.\n"
          "\n",
          f);
    for (i = 0; i < n; i++) {
        snprintf(left, sizeof(left), "  %s %s", table[i]->name, table[i]->args);
        help_row(f, left, table[i]->summary);
    }
    fputs("\n"
          "  podflow-analyze COMMAND --help   the options of a command (or: help COMMAND)\n"
          "  podflow-analyze --version\n"
          "\n"
          "Output formats (-o): table (names cut to a terminal's width, whole through a\n"
          "pipe), wide (names whole, and the process at each end), json (JSON Lines),\n"
          "csv, dot; -f and --format are the same option.  Times (--since, --until):\n"
          "RFC 3339, Unix seconds, or a duration before the case's end (5m, 1h30m).\n"
          "\n"
          "Exit status: 0 nothing denied, 1 at least one flow denied (check) or\n"
          "a working flow would break (diff), 2 bad input or usage.\n",
          f);
}

/* --- the parser -------------------------------------------------------------- */

static void add_item(struct cmd_args *a, size_t *alloc, int id, const char *val,
                     const struct cmd_opt *o, int cont)
{
    ALLOC_GROW(a->v, a->n + 1, *alloc);
    a->v[a->n].id = id;
    a->v[a->n].val = val;
    a->v[a->n].opt = o;
    a->v[a->n].choice = -1;
    a->v[a->n].cont = cont;
    a->n++;
}

static const struct cmd_opt *find_long(const struct cmd_opt *opts, const char *name, size_t len)
{
    const struct cmd_opt *o;

    for (o = opts; o && o->id; o++)
        if (o->lng && strlen(o->lng) == len && strncmp(o->lng, name, len) == 0)
            return o;
    return NULL;
}

static const struct cmd_opt *find_short(const struct cmd_opt *opts, char c)
{
    const struct cmd_opt *o;

    for (o = opts; o && o->id; o++)
        if (o->shrt == c)
            return o;
    return NULL;
}

/* How the user named o, for messages: "--format" or "-f". */
static void opt_name(const struct cmd_opt *o, int as_long, char *b, size_t size)
{
    if (as_long || !o->shrt)
        snprintf(b, size, "--%s", o->lng);
    else
        snprintf(b, size, "-%c", o->shrt);
}

/* "a, b or c" of a NULL-terminated list. */
static void choices_text(const char *const *ch, char *b, size_t size)
{
    size_t i, n = 0, len = 0;

    while (ch[n])
        n++;
    b[0] = 0;
    for (i = 0; i < n && len < size; i++) {
        int w = snprintf(b + len, size - len, "%s%s",
                         i == 0       ? ""
                         : i + 1 == n ? " or "
                                      : ", ",
                         ch[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* Check the value of the last item against its row's choices. */
static int check_choice(struct cmd_args *a, int as_long)
{
    struct cmd_item *it = &a->v[a->n - 1];
    const struct cmd_opt *o = it->opt;
    char name[80], list[256];
    const char *guess;
    size_t i, n = 0;

    if (!o->choices)
        return 0;
    for (i = 0; o->choices[i]; i++) {
        if (strcmp(o->choices[i], it->val) == 0) {
            it->choice = (int)i;
            return 0;
        }
        n++;
    }
    opt_name(o, as_long, name, sizeof(name));
    choices_text(o->choices, list, sizeof(list));
    guess = cmd_suggest(it->val, o->choices, n);
    if (guess)
        return parse_err(a, "%s takes %s, not '%s'; did you mean '%s'?", name, list, it->val,
                         guess);
    return parse_err(a, "%s takes %s, not '%s'", name, list, it->val);
}

/* An unknown long option arg ("--" and len characters of name): the
 * message, with the closest long name. */
static int unknown_long(struct cmd_args *a, const char *arg, size_t len)
{
    const char *cands[64];
    const struct cmd_opt *o;
    char word[128];
    const char *guess;
    size_t n = 0;

    snprintf(word, sizeof(word), "%.*s", (int)(len < 100 ? len : 100), arg + 2);
    for (o = a->cmd->opts; o && o->id && n + 1 < ARRAY_SIZE(cands); o++)
        if (o->lng)
            cands[n++] = o->lng;
    cands[n++] = "help";
    guess = cmd_suggest(word, cands, n);
    if (guess)
        return parse_err(a, "unknown option '--%s'; did you mean '--%s'?", word, guess);
    return parse_err(a, "unknown option '--%s'", word);
}

/* Does arg end a CMD_ARG_LIST option's operands? */
static int ends_list(const char *arg)
{
    size_t len = strlen(arg);

    if (arg[0] == '-' && arg[1])
        return 1;
    return len > 3 && strcmp(arg + len - 3, ".db") == 0;
}

/* Option o matched argv[*i], as a long name or not; attached is its value
 * written into the same word ("--name=V", "-xV") or NULL.  Adds the item
 * (the value from the next word when none is attached), checks it, and
 * sets *list when o goes on taking operands.  0 or ERR_USAGE. */
static int take_opt(struct cmd_args *a, size_t *alloc, const struct cmd_opt *o, int as_long,
                    const char *attached, int argc, char **argv, int *i,
                    const struct cmd_opt **list)
{
    const char *val = attached;
    char name[80];
    int rc;

    opt_name(o, as_long, name, sizeof(name));
    if (o->arg == CMD_ARG_NONE) {
        if (attached)
            return parse_err(a, "option '%s' takes no value", name);
        add_item(a, alloc, o->id, NULL, o, 0);
        return 0;
    }
    /* A value may begin with '-' ("--skew -1"), as getopt has it; a list's
     * first operand may not (-p then an option is a missing value). */
    if (!val && *i + 1 < argc && (o->arg == CMD_ARG_ONE || !ends_list(argv[*i + 1])))
        val = argv[++*i];
    if (!val)
        return parse_err(a, "option '%s' needs a value (%s)", name,
                         o->argname ? o->argname : "VALUE");
    add_item(a, alloc, o->id, val, o, 0);
    rc = check_choice(a, as_long);
    if (!rc && o->arg == CMD_ARG_LIST)
        *list = o;
    return rc;
}

int cmd_parse(const struct cmd_spec *cmd, int argc, char **argv, struct diag *d, FILE *out,
              struct cmd_args *a)
{
    const struct cmd_opt *list = NULL, *o;
    size_t alloc = 0;
    int i, dashdash = 0, rc;

    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    a->d = d;
    a->prog = "podflow-analyze";
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (dashdash || arg[0] != '-' || arg[1] == 0) {
            if (list && !dashdash && !ends_list(arg))
                add_item(a, &alloc, list->id, arg, list, 1);
            else {
                list = NULL;
                add_item(a, &alloc, CMD_OPERAND, arg, NULL, 0);
            }
            continue;
        }
        list = NULL;
        if (strcmp(arg, "--") == 0) {
            dashdash = 1;
            continue;
        }
        if (arg[1] == '-') {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

            o = find_long(cmd->opts, arg + 2, len);
            if (!o && len == 4 && strncmp(arg + 2, "help", 4) == 0) {
                cmd_usage(cmd, out);
                return CMD_PARSE_HELP;
            }
            if (!o)
                return unknown_long(a, arg, len);
            rc = take_opt(a, &alloc, o, 1, eq ? eq + 1 : NULL, argc, argv, &i, &list);
            if (rc)
                return rc;
            continue;
        }
        /* A cluster of short options: flags, the last may take a value. */
        for (const char *p = arg + 1; *p; p++) {
            o = find_short(cmd->opts, *p);
            if (!o && *p == 'h') {
                cmd_usage(cmd, out);
                return CMD_PARSE_HELP;
            }
            if (!o) {
                /* "-strict" for "--strict": say so, as git does. */
                if (p == arg + 1 && arg[2] && find_long(cmd->opts, arg + 1, strlen(arg + 1)))
                    return parse_err(
                        a, "unknown option '-%c'; did you mean '-%s' (with two dashes)?", *p, arg);
                return parse_err(a, "unknown option '-%c'", *p);
            }
            rc = take_opt(a, &alloc, o, 0, o->arg != CMD_ARG_NONE && p[1] ? p + 1 : NULL, argc,
                          argv, &i, &list);
            if (rc)
                return rc;
            if (o->arg == CMD_ARG_NONE)
                continue;
            break;
        }
    }
    return 0;
}

void cmd_args_release(struct cmd_args *a)
{
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

size_t cmd_operands(const struct cmd_args *a)
{
    size_t i, n = 0;

    for (i = 0; i < a->n; i++)
        n += a->v[i].id == CMD_OPERAND;
    return n;
}

/* --- dispatch ------------------------------------------------------------------ */

static const struct cmd_spec *find_cmd(const struct cmd_spec *const *table, size_t n,
                                       const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

static int unknown_cmd(const struct cmd_spec *const *table, size_t n, const char *name,
                       struct diag *d)
{
    const char *cands[64], *guess;
    size_t i, k = 0;

    for (i = 0; i < n && k < ARRAY_SIZE(cands); i++)
        cands[k++] = table[i]->name;
    guess = cmd_suggest(name, cands, k);
    if (guess)
        diag_err(d, "unknown command '%s'; did you mean '%s'?", name, guess);
    else
        diag_err(d, "unknown command '%s'", name);
    see_help(d, "podflow-analyze", NULL);
    return EXIT_BAD;
}

int cmd_dispatch(const struct cmd_spec *const *table, size_t n, int argc, char **argv,
                 struct diag *d)
{
    const struct cmd_spec *cmd;
    struct cmd_args a;
    int rc;

    if (argc < 2) {
        diag_err(d, "no command given");
        see_help(d, "podflow-analyze", NULL);
        return EXIT_BAD;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("podflow-analyze %s\n", PODFLOW_VERSION);
        return fflush(stdout) ? EXIT_BAD : EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            cmd = find_cmd(table, n, argv[2]);
            if (!cmd)
                return unknown_cmd(table, n, argv[2], d);
            cmd_usage(cmd, stdout);
        } else {
            cmd_main_usage(table, n, stdout);
        }
        return fflush(stdout) ? EXIT_BAD : EXIT_OK;
    }
    if (argv[1][0] == '-') {
        diag_err(d, "unknown option '%s' (a command comes first)", argv[1]);
        see_help(d, "podflow-analyze", NULL);
        return EXIT_BAD;
    }
    cmd = find_cmd(table, n, argv[1]);
    if (!cmd)
        return unknown_cmd(table, n, argv[1], d);
    rc = cmd_parse(cmd, argc - 1, argv + 1, d, stdout, &a);
    if (rc == CMD_PARSE_HELP)
        rc = fflush(stdout) ? EXIT_BAD : EXIT_OK;
    else if (rc)
        rc = EXIT_BAD;
    else
        rc = cmd->run(&a);
    cmd_args_release(&a);
    return rc;
}

/* --- shell completion ---------------------------------------------------------- */

/* The NULL-terminated words, separated by spaces. */
static int add_words(struct buf *out, const char *const *words)
{
    int rc = 0;

    for (const char *const *w = words; *w && !rc; w++)
        rc = buf_addf(out, "%s%s", w == words ? "" : " ", *w);
    return rc;
}

/* "-p --policies" for bash's word lists. */
static int bash_names(struct buf *out, const struct cmd_opt *o)
{
    int rc = 0;

    if (o->shrt)
        rc = buf_addf(out, " -%c", o->shrt);
    if (!rc && o->lng)
        rc = buf_addf(out, " --%s", o->lng);
    return rc;
}

static int bash_script(const struct cmd_spec *const *table, size_t n, struct buf *out)
{
    const struct cmd_opt *o;
    size_t i;
    int rc;

    rc = buf_addstr(out, "# bash completion for podflow-analyze, written by\n"
                         "# 'podflow-analyze completion bash' from its command table.\n"
                         "_podflow_analyze()\n"
                         "{\n"
                         "    local cur prev cmd opts\n"
                         "    COMPREPLY=()\n"
                         "    cur=${COMP_WORDS[COMP_CWORD]}\n"
                         "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
                         "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
                         "        COMPREPLY=($(compgen -W '");
    for (i = 0; i < n && !rc; i++)
        rc = buf_addf(out, "%s ", table[i]->name);
    if (!rc)
        rc = buf_addstr(out, "help --help --version' -- \"$cur\"))\n"
                             "        return\n"
                             "    fi\n"
                             "    cmd=${COMP_WORDS[1]}\n"
                             "    # --opt=VALUE: complete the value\n"
                             "    case $cur in\n"
                             "    --*=*) prev=${cur%%=*}; cur=${cur#*=} ;;\n"
                             "    esac\n"
                             "    case $cmd in\n"
                             "    help)\n"
                             "        COMPREPLY=($(compgen -W '");
    for (i = 0; i < n && !rc; i++)
        rc = buf_addf(out, "%s ", table[i]->name);
    if (!rc)
        rc = buf_addstr(out, "' -- \"$cur\"))\n"
                             "        return ;;\n");
    for (i = 0; i < n && !rc; i++) {
        rc = buf_addf(out, "    %s)\n        opts='-h --help", table[i]->name);
        for (o = table[i]->opts; o->id && !rc; o++)
            rc = bash_names(out, o);
        if (!rc)
            rc = buf_addstr(out, "'\n        case $prev in\n");
        /* An option's value: its choices, nothing for a free value, files
         * for a path. */
        for (o = table[i]->opts; o->id && !rc; o++) {
            if (o->arg == CMD_ARG_NONE)
                continue;
            rc = buf_addstr(out, "        ");
            if (!rc && o->shrt)
                rc = buf_addf(out, "-%c|", o->shrt);
            if (!rc)
                rc = buf_addf(out, "--%s)\n", o->lng);
            if (!rc && o->choices) {
                rc = buf_addstr(out, "            COMPREPLY=($(compgen -W '");
                rc = add_words(out, o->choices);
                if (!rc)
                    rc = buf_addstr(out, "' -- \"$cur\"))\n            return ;;\n");
            } else if (!rc && o->arg == CMD_ARG_ONE && !strstr(o->argname, ".db") &&
                       strcmp(o->argname, "FILE") != 0) {
                rc = buf_addstr(out, "            return ;;\n");
            } else if (!rc) {
                rc = buf_addstr(out, "            COMPREPLY=($(compgen -f -- \"$cur\"))\n"
                                     "            return ;;\n");
            }
        }
        if (!rc)
            rc = buf_addstr(out, "        esac");
        if (!rc && table[i]->words) {
            /* Fixed operands (completion's shells), not files. */
            rc = buf_addstr(out, "\n        if [[ $cur != -* ]]; then\n"
                                 "            COMPREPLY=($(compgen -W '");
            if (!rc)
                rc = add_words(out, table[i]->words);
            if (!rc)
                rc = buf_addstr(out, "' -- \"$cur\"))\n            return\n        fi");
        }
        if (!rc)
            rc = buf_addstr(out, " ;;\n");
    }
    if (!rc)
        rc = buf_addstr(out, "    *) return ;;\n"
                             "    esac\n"
                             "    if [[ $cur == -* ]]; then\n"
                             "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
                             "    else\n"
                             "        compopt -o filenames 2>/dev/null\n"
                             "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
                             "    fi\n"
                             "}\n"
                             "complete -F _podflow_analyze podflow-analyze\n");
    return rc;
}

/* help as a zsh description: one line, without the brackets, colons and
 * quotes that _arguments specs reserve. */
static int zsh_text(struct buf *out, const char *help)
{
    int rc = 0;

    for (; *help && !rc; help++) {
        char c = *help;

        if (c == '\n')
            c = ' ';
        else if (c == '[' || c == '(')
            c = '(';
        else if (c == ']' || c == ')')
            c = ')';
        else if (c == ':' || c == '\'' || c == '\\' || c == '`' || c == '$')
            c = ' ';
        rc = buf_addch(out, c);
    }
    return rc;
}

static int zsh_opt(struct buf *out, const struct cmd_opt *opts, const struct cmd_opt *o)
{
    const struct cmd_opt *p;
    int rc;

    /* Synonyms (rows sharing an id) exclude each other, unless the option
     * may repeat (a list). */
    rc = buf_addstr(out, "        '");
    if (!rc && o->arg != CMD_ARG_LIST) {
        rc = buf_addch(out, '(');
        for (p = opts; p->id && !rc; p++) {
            if (p->id != o->id)
                continue;
            if (p->shrt)
                rc = buf_addf(out, "-%c ", p->shrt);
            if (!rc)
                rc = buf_addf(out, "--%s ", p->lng);
        }
        if (!rc)
            rc = buf_addch(out, ')');
    } else if (!rc) {
        rc = buf_addch(out, '*');
    }
    /* -x+ and --name=: the value in the same word or the next. */
    if (!rc && o->shrt)
        rc = buf_addf(out, "'{-%c%s,--%s%s}'", o->shrt, o->arg != CMD_ARG_NONE ? "+" : "", o->lng,
                      o->arg != CMD_ARG_NONE ? "=" : "");
    else if (!rc)
        rc = buf_addf(out, "--%s%s", o->lng, o->arg != CMD_ARG_NONE ? "=" : "");
    if (!rc)
        rc = buf_addch(out, '[');
    if (!rc)
        rc = zsh_text(out, o->help ? o->help : "the same as another option");
    if (!rc)
        rc = buf_addch(out, ']');
    if (!rc && o->arg != CMD_ARG_NONE) {
        rc = buf_addf(out, ":%s:", o->argname);
        if (!rc && o->choices) {
            rc = buf_addch(out, '(');
            if (!rc)
                rc = add_words(out, o->choices);
            if (!rc)
                rc = buf_addch(out, ')');
        } else if (!rc && (o->arg == CMD_ARG_LIST || strstr(o->argname, ".db") ||
                           strcmp(o->argname, "FILE") == 0)) {
            rc = buf_addstr(out, "_files");
        } else if (!rc) {
            rc = buf_addch(out, ' ');
        }
    }
    return rc ? rc : buf_addstr(out, "' \\\n");
}

static int zsh_script(const struct cmd_spec *const *table, size_t n, struct buf *out)
{
    const struct cmd_opt *o;
    size_t i;
    int rc;

    rc = buf_addstr(out, "#compdef podflow-analyze\n"
                         "# zsh completion for podflow-analyze, written by\n"
                         "# 'podflow-analyze completion zsh' from its command table.\n"
                         "_podflow-analyze() {\n"
                         "    local -a cmds\n"
                         "    cmds=(\n");
    for (i = 0; i < n && !rc; i++) {
        rc = buf_addf(out, "        '%s:", table[i]->name);
        if (!rc)
            rc = zsh_text(out, table[i]->summary);
        if (!rc)
            rc = buf_addstr(out, "'\n");
    }
    if (!rc)
        rc = buf_addstr(out, "        'help:the options of a command'\n"
                             "    )\n"
                             "    if (( CURRENT == 2 )); then\n"
                             "        _describe -t commands 'podflow-analyze command' cmds\n"
                             "        return\n"
                             "    fi\n"
                             "    local cmd=$words[2]\n"
                             "    shift words\n"
                             "    (( CURRENT-- ))\n"
                             "    case $cmd in\n"
                             "    help) _describe -t commands 'podflow-analyze command' cmds ;;\n");
    for (i = 0; i < n && !rc; i++) {
        rc = buf_addf(out, "    %s)\n        _arguments -s -S \\\n", table[i]->name);
        for (o = table[i]->opts; o->id && !rc; o++)
            rc = zsh_opt(out, table[i]->opts, o);
        if (!rc)
            rc = buf_addstr(out, "        '(- *)'{-h,--help}'[the command'\\''s usage]' \\\n");
        if (!rc && table[i]->words) {
            rc = buf_addstr(out, "        '1:operand:(");
            if (!rc)
                rc = add_words(out, table[i]->words);
            if (!rc)
                rc = buf_addstr(out, ")' ;;\n");
        } else if (!rc) {
            rc = buf_addstr(out, "        '*:file:_files' ;;\n");
        }
    }
    if (!rc)
        rc = buf_addstr(out, "    esac\n"
                             "}\n"
                             "_podflow-analyze \"$@\"\n");
    return rc;
}

int cmd_completion(const struct cmd_spec *const *table, size_t n, const char *shell,
                   struct buf *out)
{
    if (strcmp(shell, "bash") == 0)
        return bash_script(table, n, out);
    if (strcmp(shell, "zsh") == 0)
        return zsh_script(table, n, out);
    return ERR_NOTFOUND;
}

/* --- output ------------------------------------------------------------------ */

int cmd_parse_duration(const char *s, int64_t *ns)
{
    static const struct {
        const char *name;
        double ns;
    } units[] = {
        /* longest first where one is a prefix of another ("ms" before "m") */
        {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9},
    };
    double total = 0;
    const char *p = s;

    if (!*p)
        return ERR_PARSE;
    while (*p) {
        double v = 0, scale = 1;
        int digits = 0;
        size_t i, ulen = 0;

        for (; *p >= '0' && *p <= '9'; p++, digits++)
            v = v * 10 + (*p - '0');
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                v += (*p - '0') * (scale /= 10);
        if (!digits)
            return ERR_PARSE;
        for (i = 0; i < ARRAY_SIZE(units); i++) {
            ulen = strlen(units[i].name);
            if (strncmp(p, units[i].name, ulen) == 0)
                break;
        }
        if (i == ARRAY_SIZE(units))
            return ERR_PARSE; /* a unit is required, as in Go: "5" is not 5 s */
        total += v * units[i].ns;
        p += ulen;
        if (total > 100 * 365.25 * 86400e9)
            return ERR_LIMIT;
    }
    *ns = (int64_t)(total + 0.5);
    return 0;
}

int cmd_term_width(FILE *f)
{
    struct winsize ws;
    const char *cols = getenv("COLUMNS");
    uint64_t v;
    int fd = fileno(f);

    if (fd < 0 || !isatty(fd))
        return 0;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    /* A terminal that does not say its size (a serial line, script(1)):
     * the shell's idea of it, else the classic 100 of this table. */
    if (cols && parse_u64(cols, strlen(cols), 20, 10000, &v) == 0)
        return (int)v;
    return 100;
}

int cmd_flush(struct buf *b, FILE *f)
{
    /* Names and labels come from the case, maybe a stranger's: no escape
     * sequence reaches the terminal (JSON has them escaped already). */
    term_safe(b->data, b->len);
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len) {
        buf_reset(b);
        return -EIO;
    }
    buf_reset(b);
    return 0;
}

int cmd_drain(struct buf *b, FILE *f)
{
    return b->len > CMD_FLUSH_AT ? cmd_flush(b, f) : 0;
}

size_t cmd_cores(void)
{
    cpu_set_t set;
    int n = 1;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    return n < 1 ? 1 : n > LIM_JOBS ? LIM_JOBS : (size_t)n;
}

int cmd_case_head(const struct case_db *c, enum cmd_head how, struct buf *out)
{
    static const char *const lead[] = {"warning: ", NULL, "# warning: ", "// warning: "};
    struct buf text;
    int rc;

    if (!c->bad.total)
        return 0;
    buf_init(&text, 0);
    rc = case_bad_summary(c, &text);
    if (!rc && how == CMD_HEAD_JSON) {
        struct json j;

        json_init(&j, out);
        json_obj_begin(&j);
        json_key(&j, "warning");
        json_strn(&j, text.data, text.len);
        json_key(&j, "left_out");
        json_uint(&j, c->bad.total);
        json_obj_end(&j);
        rc = json_finish(&j);
        if (!rc)
            rc = buf_addch(out, '\n');
    } else if (!rc) {
        rc = buf_addf(out, "%s%s\n", lead[how], text.data);
    }
    buf_release(&text);
    return rc;
}
