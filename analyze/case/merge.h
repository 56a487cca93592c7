/*
 * merge.h: one case from many: copy the rows of several case files (one
 * per node, usually) into a new one.
 *
 * What keeps its origin: every table whose rows are referenced by, or
 * refer to, another table's rows (captures, interfaces, flows, ip_ifaces)
 * is copied row for row, with its ids renumbered past the rows already
 * there and every foreign key renumbered with them, so that a flow still
 * points at its own capture (and so at captures.node) and interface.
 * What is shared: the other tables (endpoints, namespaces) describe the
 * cluster, not a node: a row identical in every column but its id to a row
 * already there is not copied again.  A namespace that differs from one
 * already there (same name, other labels) keeps the first one seen, with a
 * warning.  meta is the output's own, but for what a reader of the merged
 * case must know of its inputs: the inventories' problems add up
 * (inventory_problems), and the output of a redacted input is redacted,
 * keeping unredacted only what every redacted input kept (redacted,
 * redacted_external with the capture ids renumbered, redaction_kept).
 *
 * Column lists come from the schema itself (PRAGMA table_info of the
 * output and of each input, intersected), never from a list written here,
 * so columns a later format adds are copied without touching this file.
 */
#ifndef PODFLOW_ANALYZE_MERGE_H
#define PODFLOW_ANALYZE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"

struct diag;

struct merge_opts {
    int force; /* replace an existing output file */
    int quiet; /* no summary line on stderr */
};

/*
 * Merge the cases inputs[0..n) into a new case file out.  Each input is
 * checked as db_open_reader() checks a case (it may come from a stranger)
 * and attached read-only; out is written by the output rule
 * (common/outfile.h): built in a temporary file beside it (mode 0600) and
 * renamed over it only when every input has been copied, so that a failed
 * merge leaves no output at all; a FIFO, a device or "-" gets the bytes of
 * the finished case.  An existing out is refused unless o->force (there
 * is no append: merge the old output in as an input instead), and so is
 * an out that is not the user's to replace.  0, or ERR_EXISTS, ERR_USAGE,
 * ERR_DB, ERR_FORMAT, ERR_VERSION, ERR_INVALID, ERR_PERM or -errno,
 * reported through d.
 */
int merge_files(const char *out, char *const *inputs, size_t n, const struct merge_opts *o,
                struct diag *d) MUST_CHECK;

/* Rows of input number input (0-based) to leave out of a merge: the
 * rowids ids[0..n) of table. */
struct merge_skip {
    size_t input;
    const char *table;
    const int64_t *ids;
    size_t n;
};

/*
 * The same into the file at tmp_path, which must be absent or empty; no
 * rename; the rows skip[0..nskip) names are left out (the case reader's
 * unusable rows, so that no value is coerced by the output's column
 * types nor refused by its constraints).  For the analyzer's several-files
 * mode (case_open_many()).
 */
int merge_into_new(const char *tmp_path, char *const *inputs, size_t n,
                   const struct merge_skip *skip, size_t nskip, struct diag *d) MUST_CHECK;

#endif
