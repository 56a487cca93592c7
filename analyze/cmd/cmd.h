/*
 * cmd.h: podflow-analyze's command line: one command table (cmd_table.c,
 * git's git.c is the model) and one option parser for every subcommand.
 *
 * A command is a struct cmd_spec: its name, the function that runs it,
 * its option table and the texts of its --help.  The parser reads argv
 * against the option table, answers --help and reports every usage error
 * itself (one line, then "see 'podflow-analyze NAME --help'"), and hands
 * the command a struct cmd_args: the options and operands in the order
 * given, each option by the id the command chose for it.  A command loops
 * over them with a switch.  Adding an option is one row in the command's
 * table plus its case in that switch; --help, the completion scripts and
 * the man page check (tests/test_cmd_opt.c) follow from the row.
 *
 * Accepted forms, for an option with long name "name" and letter 'x':
 *   --name  --name=V  --name V  -x  -xV  -x V  -abc (flags clustered)
 * An option of kind CMD_ARG_LIST takes the operands after its value too
 * ("-p a.yaml b/ c.yaml", "--old A B --new C"), up to the next option,
 * "--", or an operand ending in ".db" (a case: policies never are).
 * Options may come anywhere among the operands and may repeat; "--" ends
 * the options; "-" alone is an operand (standard input).  Long names are
 * never abbreviated (an abbreviation that works today breaks when a later
 * option shares its prefix); a misspelt name gets "did you mean".
 */
#ifndef PODFLOW_ANALYZE_CMD_H
#define PODFLOW_ANALYZE_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/attrs.h"

struct diag;
struct buf;
struct flowset;
struct sg_result;

enum cmd_arg {
    CMD_ARG_NONE, /* a flag */
    CMD_ARG_ONE,  /* one value */
    CMD_ARG_LIST  /* one value and the operands after it */
};

/* One row of a command's option table; a row with id 0 ends the table.
 * Several rows may share an id (synonyms: -o and -f for the format). */
struct cmd_opt {
    int id;                     /* > 0: what cmd_args.v[].id says */
    char shrt;                  /* the short letter, or 0 */
    const char *lng;            /* the long name without "--", or NULL */
    enum cmd_arg arg;           /* whether and how it takes values */
    const char *argname;        /* the value's name in --help ("PATH..."), or NULL */
    const char *const *choices; /* NULL-terminated values it takes, or NULL: any */
    const char *help;           /* --help text, lines split by '\n'; NULL hides the row */
};

struct cmd_args;

/* A command: the exit status (EXIT_OK, EXIT_DENIED, EXIT_BAD). */
typedef int (*cmd_fn)(struct cmd_args *a);

struct cmd_spec {
    const char *name;
    cmd_fn run;
    const struct cmd_opt *opts; /* the option table (-h/--help is implicit) */
    const char *args;           /* the synopsis after "podflow-analyze NAME " */
    const char *summary;        /* one line for the top-level help */
    const char *about;          /* --help's paragraphs between usage and options */
    const char *exit_status;    /* --help's last paragraph ("Exit status: ...") */
    const char *const *words;   /* the operands it takes, when they are fixed words
                                   (NULL-terminated; completion offers them), or NULL:
                                   files */
};

/* CMD_OPERAND: an operand, not an option. */
enum { CMD_OPERAND = -1 };

struct cmd_item {
    int id;                    /* an option's id, or CMD_OPERAND */
    const char *val;           /* the value (points into argv), or NULL for a flag */
    const struct cmd_opt *opt; /* the row that matched (NULL for an operand) */
    int choice;                /* the index of val in opt->choices, or -1 */
    int cont;                  /* 1: a further operand of a CMD_ARG_LIST option */
};

struct cmd_args {
    const struct cmd_spec *cmd; /* the command being run */
    struct diag *d;             /* where messages go */
    struct cmd_item *v;         /* options and operands in argv order (malloc'd) */
    size_t n;
    const char *prog; /* "podflow-analyze" */
};

/* What cmd_parse() returns besides 0 (parsed). */
enum {
    CMD_PARSE_HELP = 1 /* --help was given: the usage went to out */
};

/* Parse argv (argv[0] is the command's name) against cmd's option table
 * into a, which the caller releases with cmd_args_release() whatever the
 * result.  Returns 0, CMD_PARSE_HELP after writing the usage to out, or
 * ERR_USAGE after reporting the error through d (one line and a "see"
 * line).  Values point into argv, which must outlive a. */
int cmd_parse(const struct cmd_spec *cmd, int argc, char **argv, struct diag *d, FILE *out,
              struct cmd_args *a) MUST_CHECK;
void cmd_args_release(struct cmd_args *a);

/* The number of operands in a. */
size_t cmd_operands(const struct cmd_args *a);

/* A usage error found by the command itself: "podflow-analyze: NAME:
 * MESSAGE" and "see 'podflow-analyze NAME --help'" through a->d.  Returns
 * EXIT_BAD, for `return cmd_usage_err(...)`. */
int cmd_usage_err(const struct cmd_args *a, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Write cmd's --help text to f. */
void cmd_usage(const struct cmd_spec *cmd, FILE *f);

/* Run the command line of podflow-analyze (argv[0] the program) against
 * the table of n commands: dispatch, top-level --help and --version,
 * "help COMMAND", unknown commands.  The exit status. */
int cmd_dispatch(const struct cmd_spec *const *table, size_t n, int argc, char **argv,
                 struct diag *d);

/* The top-level help text for the table. */
void cmd_main_usage(const struct cmd_spec *const *table, size_t n, FILE *f);

/* The completion script for shell ("bash" or "zsh") of the table's
 * commands, options and option values, appended to out: 0, ERR_NOTFOUND
 * for another shell, or ERR_LIMIT. */
int cmd_completion(const struct cmd_spec *const *table, size_t n, const char *shell,
                   struct buf *out) MUST_CHECK;

/* Similarity of a typed word to a candidate, as git's help.c measures it
 * (Damerau-Levenshtein with weights swap 0, substitution 2, insertion 1,
 * deletion 3, plus one; 0 when the candidate starts with the word).
 * Lower is closer; below CMD_SIMILAR is worth suggesting. */
#define CMD_SIMILAR 7
int cmd_similarity(const char *typed, const char *candidate);

/* The best suggestion for typed among the n candidates (NULL entries
 * skipped), or NULL when none is similar enough or several tie. */
const char *cmd_suggest(const char *typed, const char *const *cands, size_t n);

/* The command table (cmd_table.c) and the program's entry point. */
extern const struct cmd_spec *const cmd_table[];
extern const size_t cmd_table_len;
int cmd_main(int argc, char **argv, struct diag *d);

/* The commands (cmd_<name>.c): each defines its spec. */
extern const struct cmd_spec cmd_check_spec;
extern const struct cmd_spec cmd_select_spec;
extern const struct cmd_spec cmd_show_spec;
extern const struct cmd_spec cmd_merge_spec;
extern const struct cmd_spec cmd_inventory_spec;
extern const struct cmd_spec cmd_diff_spec; /* exit 1: something would break */
extern const struct cmd_spec cmd_report_spec;
extern const struct cmd_spec cmd_redact_spec;
extern const struct cmd_spec cmd_suggest_spec; /* exit 1: the proof failed */

/*
 * What suggest --fix would change in the current set (the -p paths,
 * judged with ENG_EXPLAIN as set FS_NEW of fs), planned into r
 * (initialised by the caller) without writing anything: report's policy
 * board shows it.  0, or an error reported through d (a path that cannot
 * be read again, standard input).
 */
int cmd_suggest_fix(const struct flowset *fs, const char *const *paths, size_t npaths,
                    struct sg_result *r, struct diag *d) MUST_CHECK;

/* A duration as kubectl's --since and Go's time.ParseDuration take it:
 * decimal numbers each with a unit, ns, us, ms, s, m, h, or d (days):
 * "5m", "1h30m", "1.5h", "250ms".  Into *ns: 0, ERR_PARSE, or ERR_LIMIT
 * past 100 years. */
int cmd_parse_duration(const char *s, int64_t *ns) MUST_CHECK;

/* The width a table written to f may take: 0 when f is not a terminal
 * (names are then never cut), else the terminal's columns (TIOCGWINSZ),
 * else $COLUMNS, else 100. */
int cmd_term_width(FILE *f);

/* Write b's contents to f, control characters shown as '?' (term_safe), and
 * empty it; 0 or -errno. */
int cmd_flush(struct buf *b, FILE *f);

/* Output is written as it is made, a megabyte at a time: cmd_flush() once b
 * holds more than that (a buffer's maximum, LIM_BUF_DEFAULT, is far below
 * what a large case's records take).  0 or -errno. */
#define CMD_FLUSH_AT (1u << 20)
int cmd_drain(struct buf *b, FILE *f);

/* The cores this process may run on (its CPU affinity), 1 to LIM_JOBS:
 * --jobs by default. */
size_t cmd_cores(void);

/* The form of an output's head line (cmd_case_head()). */
enum cmd_head { CMD_HEAD_TEXT, CMD_HEAD_JSON, CMD_HEAD_CSV, CMD_HEAD_DOT };

/*
 * When rows of case c were left out as unusable (case.h, struct
 * case_bad), the line that says so at the head of every output, in the
 * output's own form, appended to out:
 *   text  warning: 'x.db': 3 rows left out as unusable: flows 3 (time 2, port 1)
 *   JSON  {"warning":"'x.db': 3 rows ...","left_out":3}
 *   CSV   # warning: ...        DOT  // warning: ...
 * Nothing when nothing was left out.  0 or ERR_LIMIT.
 */
struct case_db;
int cmd_case_head(const struct case_db *c, enum cmd_head how, struct buf *out) MUST_CHECK;

#endif
