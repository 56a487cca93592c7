/*
 * observe.h: what the capture saw happen to a flow, set against what
 * policy predicts (DESIGN.md, "Observed state meets prediction"): a flow
 * that failed and is denied is explained, one that worked and is denied
 * would break, and so on.  check, diff and the report all speak this
 * vocabulary.
 */
#ifndef PODFLOW_ANALYZE_OBSERVE_H
#define PODFLOW_ANALYZE_OBSERVE_H

#include <stdint.h>

#include "analyze/engine/engine.h"

/* What the capture saw happen (issue 6, "Observed meets predicted"). */
enum observed { OBS_OK, OBS_FAILED, OBS_UNKNOWN };
const char *observed_name(enum observed o); /* "ok", "failed", "unknown" */

/*
 * A flow's observed outcome from its Zeek state, its reply packets and an
 * ICMP unreachable quoting it: ok (SF, S1, S2, S3, RSTO, RSTR, or UDP/ICMP
 * answered), failed (S0, REJ, RSTOS0, SH, or an unreachable), else unknown
 * (OTH, one-sided captures).
 */
enum observed observed_of(int proto, const char *state, int64_t packets_rev, int icmp_type,
                          int64_t icmp_count);

/*
 * The same for a recorded flow: observed_of() on its row, except that a
 * connection to a Service paired with its post-DNAT leg (§12) whose own
 * row saw no answer is ok when a later leg saw the backend answer (a
 * capture of inbound packets only sees the answer on the backend's link);
 * and an open row's failure is unknown (observed_open()).
 */
enum observed observed_of_flow(const struct case_flow *fl);

/*
 * What an open row (flows.open: the capture stopped before the flow's end,
 * docs/schema.md) lets one say: a flow seen working worked; one not
 * answered yet is unknown, not failed, since its end was not seen.
 * Returns o for a row that is not open.
 */
enum observed observed_open(enum observed o, int open);

/* "explained", "unexplained-failure", "would-break", "consistent", or
 * "unknown" when nothing was observed either way or the verdict is
 * unknown. */
const char *agreement_name(enum observed o, enum verdict v);

#endif
