/*
 * err.h: error codes and diagnostics.
 *
 * A function that can fail returns int: 0 on success, negative on failure:
 * -errno for system errors, or one of the ERR_* values below, which live in
 * their own negative range so the two never collide.  Foreign error spaces
 * (libpcap, libnl, SQLite, libyaml) are translated once, in their wrapper,
 * and their text goes into a diagnostic at that point.
 *
 * Diagnostics go through a struct diag, which each program owns (state
 * travels in a context, not in globals).  Messages follow git's habits:
 * lower-case, subject quoted, what failed first, no full stop:
 *     podflow-analyze: cannot open 'case.db': unable to open database file
 *     policy.yaml:12:7: error: unknown operator near '=>'
 * Line and column are 1-based.
 */
#ifndef PODFLOW_ERR_H
#define PODFLOW_ERR_H

#include <stdarg.h>
#include <stdio.h>

#include "common/attrs.h"

enum err_code {
    ERR_FIRST = -10000,
    ERR_PARSE,      /* input does not follow its syntax */
    ERR_INVALID,    /* input parses but is not valid */
    ERR_LIMIT,      /* input exceeds a limit in common/limits.h */
    ERR_TRUNCATED,  /* input ends early */
    ERR_NOTFOUND,   /* a named thing does not exist */
    ERR_FORMAT,     /* a file is not of the expected format */
    ERR_VERSION,    /* a file's format version is newer than ours */
    ERR_DB,         /* SQLite failed (message already reported) */
    ERR_PCAP,       /* libpcap failed (message already reported) */
    ERR_NETLINK,    /* libnl failed (message already reported) */
    ERR_USAGE,      /* bad command line */
    ERR_PERM,       /* missing privilege (CAP_NET_RAW, ...) */
    ERR_EXISTS,     /* something is already there */
    ERR_INTERRUPTED /* stopped by a signal */
};

/* Text for an error code: ERR_* or -errno.  Never NULL. */
const char *err_str(int code);

/* Exit statuses shared by both programs. */
enum {
    EXIT_OK = 0,
    EXIT_DENIED = 1, /* podflow-analyze: at least one flow denied */
    EXIT_BAD = 2     /* bad input or usage */
};

enum diag_level { DIAG_NOTE, DIAG_WARNING, DIAG_ERROR };

/* Threads may share a diag (podflow-capture's writer thread reports
 * through its caller's): each message is counted and written whole under
 * the stream's lock (flockfile). */
struct diag {
    FILE *out;         /* where messages go: stderr unless a test redirects */
    const char *prog;  /* prefix for messages without a location, or NULL */
    unsigned errors;   /* errors reported so far */
    unsigned warnings; /* warnings reported so far */
    unsigned soften;   /* > 0: an error at a position is reported (and counted) as a
                          warning: the caller survives the problem, losing one field */
};

/* Set up caller-owned d; out NULL means stderr. */
void diag_init(struct diag *d, FILE *out, const char *prog);

/* "prog: message" (errors) or "prog: warning: message". */
void diag_err(struct diag *d, const char *fmt, ...) PRINTF_LIKE(2, 3);
void diag_warn(struct diag *d, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* "file:line:col: error: message"; line or col 0 are left out.  file NULL
 * prints "<stdin>". */
void diag_at(struct diag *d, enum diag_level level, const char *file, unsigned line, unsigned col,
             const char *fmt, ...) PRINTF_LIKE(6, 7);
void diag_vat(struct diag *d, enum diag_level level, const char *file, unsigned line, unsigned col,
              const char *fmt, va_list ap) PRINTF_LIKE(6, 0);

#endif
