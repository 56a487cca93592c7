/*
 * cmd.c: what the podflow-analyze subcommands share for their command
 * lines: the usage-error reply and the option test of the commands that
 * parse their arguments by hand (diff's --old/--new take several operands).
 */
#include "analyze/cmd/cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "common/compat.h"

int cmd_usage_err(struct diag *d, const char *usage, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_err(d, "%s", msg);
    fputs(usage, stderr);
    return EXIT_BAD;
}

int cmd_is_opt(const char *a, const char *lng, char shrt)
{
    size_t n = strlen(lng);

    if (a[0] != '-')
        return 0;
    if (a[1] == '-')
        return strncmp(a + 2, lng, n) == 0 && (a[n + 2] == 0 || a[n + 2] == '=');
    return shrt && a[1] == shrt;
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
