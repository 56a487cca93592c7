/*
 * err.c: error code texts and the diagnostic printer.  err_str() is a
 * switch with no default so that -Wswitch points at a new ERR_* value that
 * has no text yet.
 */
#include "common/err.h"

#include <string.h>
#include <stdlib.h>

#include "common/util.h"
#include "common/compat.h"

const char *err_str(int code)
{
    if (code > ERR_FIRST && code < 0 && code <= ERR_INTERRUPTED) {
        switch ((enum err_code)code) {
        case ERR_FIRST:
            break;
        case ERR_PARSE:
            return "syntax error";
        case ERR_INVALID:
            return "invalid value";
        case ERR_LIMIT:
            return "limit exceeded";
        case ERR_TRUNCATED:
            return "truncated input";
        case ERR_NOTFOUND:
            return "not found";
        case ERR_FORMAT:
            return "not in the expected format";
        case ERR_VERSION:
            return "format version too new";
        case ERR_DB:
            return "database error";
        case ERR_PCAP:
            return "packet capture error";
        case ERR_NETLINK:
            return "netlink error";
        case ERR_USAGE:
            return "usage error";
        case ERR_PERM:
            return "operation not permitted";
        case ERR_EXISTS:
            return "already exists";
        case ERR_INTERRUPTED:
            return "interrupted";
        }
    }
    if (code < 0 && code > -4096)
        return strerror(-code);
    return code == 0 ? "success" : "unknown error";
}

void diag_init(struct diag *d, FILE *out, const char *prog)
{
    d->out = out;
    d->prog = prog;
    d->errors = 0;
    d->warnings = 0;
    d->soften = 0;
}

static FILE *diag_out(const struct diag *d)
{
    return d->out ? d->out : stderr;
}

static const char *level_word(enum diag_level level)
{
    switch (level) {
    case DIAG_NOTE:
        return "note";
    case DIAG_WARNING:
        return "warning";
    case DIAG_ERROR:
        return "error";
    }
    return "error";
}

static void count(struct diag *d, enum diag_level level)
{
    if (level == DIAG_ERROR)
        d->errors++;
    else if (level == DIAG_WARNING)
        d->warnings++;
}

/* The message, made safe for a terminal (it may quote a name from a
 * hostile file: util.h term_safe), and its newline. */
static void diag_text(FILE *f, const char *fmt, va_list ap)
{
    char small[1024], *msg = small;
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n >= (int)sizeof(small)) {
        msg = malloc((size_t)n + 1);
        if (msg)
            (void)vsnprintf(msg, (size_t)n + 1, fmt, ap2);
        else
            msg = small; /* truncated, still a message */
    }
    va_end(ap2);
    if (n > 0) {
        size_t len = strlen(msg);

        term_safe(msg, len);
        fwrite(msg, 1, len, f);
    }
    if (msg != small)
        free(msg);
    fputc('\n', f);
    fflush(f);
}

static void diag_vplain(struct diag *d, enum diag_level level, const char *fmt, va_list ap)
{
    FILE *f = diag_out(d);

    flockfile(f);
    if (level == DIAG_ERROR && d->soften)
        level = DIAG_WARNING;
    count(d, level);
    if (d->prog)
        fprintf(f, "%s: ", d->prog);
    if (level != DIAG_ERROR)
        fprintf(f, "%s: ", level_word(level));
    diag_text(f, fmt, ap);
    funlockfile(f);
}

void diag_err(struct diag *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vplain(d, DIAG_ERROR, fmt, ap);
    va_end(ap);
}

void diag_warn(struct diag *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vplain(d, DIAG_WARNING, fmt, ap);
    va_end(ap);
}

void diag_vat(struct diag *d, enum diag_level level, const char *file, unsigned line, unsigned col,
              const char *fmt, va_list ap)
{
    FILE *f = diag_out(d);

    flockfile(f);
    if (level == DIAG_ERROR && d->soften)
        level = DIAG_WARNING;
    count(d, level);
    fputs(file ? file : "<stdin>", f);
    if (line) {
        fprintf(f, ":%u", line);
        if (col)
            fprintf(f, ":%u", col);
    }
    fprintf(f, ": %s: ", level_word(level));
    diag_text(f, fmt, ap);
    funlockfile(f);
}

void diag_at(struct diag *d, enum diag_level level, const char *file, unsigned line, unsigned col,
             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vat(d, level, file, line, col, fmt, ap);
    va_end(ap);
}
