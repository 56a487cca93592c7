/*
 * observe.c: a flow's observed outcome from its recorded state, and its
 * agreement with a verdict (observe.h).
 */
#include "analyze/engine/observe.h"

#include <string.h>

#include "common/util.h"
#include "common/compat.h"

const char *observed_name(enum observed o)
{
    switch (o) {
    case OBS_OK:
        return "ok";
    case OBS_FAILED:
        return "failed";
    case OBS_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

/* The outcome a state other than SF and S0 names.  Out of line (and of
 * the callers' registers): most flows are SF or S0. */
static __attribute__((noinline)) enum observed observed_state(const char *state)
{
    static const char *const ok[] = {"SF", "S1", "S2", "S3", "RSTO", "RSTR"};
    static const char *const failed[] = {"S0", "REJ", "RSTOS0", "SH"};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ok); i++)
        if (strcmp(state, ok[i]) == 0)
            return OBS_OK;
    for (i = 0; i < ARRAY_SIZE(failed); i++)
        if (strcmp(state, failed[i]) == 0)
            return OBS_FAILED;
    return OBS_UNKNOWN;
}

/* observed_of(), inline in observed_of_flow(), which runs once a flow. */
static inline enum observed observed_row(int proto, const char *state, int64_t packets_rev,
                                         int icmp_type, int64_t icmp_count)
{
    /* An ICMP destination unreachable (v4 type 3, v6 type 1) quoting a
     * flow that got no reply: the network refused it. */
    if (icmp_count > 0 && packets_rev == 0 &&
        ((proto != 58 && icmp_type == 3) || (proto != 1 && icmp_type == 1)))
        return OBS_FAILED;
    if (!state)
        return OBS_UNKNOWN;
    /* UDP and ICMP have no handshake: an answer is success. */
    if ((proto == 17 || proto == 1 || proto == 58) && packets_rev > 0)
        return OBS_OK;
    /* The common cases first: this runs once per flow. */
    if (state[0] == 'S' && state[1] == 'F' && !state[2])
        return OBS_OK;
    if (state[0] == 'S' && state[1] == '0' && !state[2])
        return OBS_FAILED;
    return observed_state(state);
}

enum observed observed_of(int proto, const char *state, int64_t packets_rev, int icmp_type,
                          int64_t icmp_count)
{
    return observed_row(proto, state, packets_rev, icmp_type, icmp_count);
}

enum observed observed_open(enum observed o, int open)
{
    return open && o == OBS_FAILED ? OBS_UNKNOWN : o;
}

enum observed observed_of_flow(const struct case_flow *fl)
{
    enum observed o =
        observed_row(fl->proto, fl->state, fl->packets_rev, fl->icmp_type, fl->icmp_count);

    if (o != OBS_OK && fl->dnat_how == CASE_DNAT_PAIRED && fl->conn && !fl->icmp_count &&
        !fl->packets_rev)
        for (size_t i = 1; i < fl->conn->nends; i++)
            if (fl->conn->ends[i].packets_rev > 0)
                return OBS_OK;
    return observed_open(o, fl->open);
}

const char *agreement_name(enum observed o, enum verdict v)
{
    if (v == VERDICT_UNKNOWN)
        return "unknown";
    switch (o) {
    case OBS_OK:
        return v == VERDICT_ALLOW ? "consistent" : "would-break";
    case OBS_FAILED:
        return v == VERDICT_ALLOW ? "unexplained-failure" : "explained";
    case OBS_UNKNOWN:
        break;
    }
    return "unknown";
}
