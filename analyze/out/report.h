/*
 * report.h: the HTML report (podflow-analyze report): one self-contained
 * page a support engineer opens offline, with the service graph (inline
 * SVG from graphviz), the flows table, the policy board, port coverage and
 * capture coverage.  No network fetch of any kind: CSS, script and graph
 * are inline, and a Content-Security-Policy of default-src 'none' says so
 * to the browser.  Every string from the case or the policies is
 * HTML-escaped (a .db is untrusted input).
 */
#ifndef PODFLOW_ANALYZE_REPORT_H
#define PODFLOW_ANALYZE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/engine/flowset.h"
#include "analyze/out/out.h"
#include "common/attrs.h"

struct buf;
struct diag;

/* A change suggest --fix would make, shown on the policy board under the
 * policy it edits (or the one a new policy would go before). */
struct report_fix {
    const struct policy *pol; /* of the flowset's FS_NEW set */
    const char *text;
};

struct report_opts {
    const char *case_path;    /* shown in the title */
    const char *const *paths; /* -p, shown in the header */
    size_t npaths;
    const char *const *old_paths; /* --old, or NULL */
    size_t nold;
    int64_t generated_ns;           /* shown in the header; 0: omitted */
    const struct report_fix *fixes; /* suggest --fix's changes, or NULL */
    size_t nfixes;
};

/*
 * Append the whole page for fs (judged under -p, and --old when
 * fs->nsets is 2) to out.  0, ERR_LIMIT (out full), or ERR_DB when the
 * case's capture tables cannot be read (reported through d).  A graph
 * graphviz cannot draw is reported through d and the page says so; it is
 * not an error.
 */
int report_html(const struct flowset *fs, const struct report_opts *o, struct buf *out,
                struct diag *d) MUST_CHECK;

/* Append s HTML-escaped (& < > " '), control bytes and invalid UTF-8 as
 * '?'.  0 or ERR_LIMIT. */
int report_esc(struct buf *out, const char *s) MUST_CHECK;

#endif
