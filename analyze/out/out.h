/*
 * out.h: the check command's writers: JSON Lines, CSV and an aligned
 * table, for one flow or one group of flows each.  JSON keys are a
 * contract with tools (issue 5, DESIGN.md "Contract details"): src_ip,
 * src_port, dst_ip, dst_port, proto, state, verdict, decided_by, policies,
 * src, dst, staged, observed, agreement, and trace with --explain.
 */
#ifndef PODFLOW_ANALYZE_OUT_H
#define PODFLOW_ANALYZE_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "analyze/case/case.h"
#include "analyze/engine/engine.h"
#include "analyze/engine/observe.h"
#include "common/attrs.h"

struct buf;
struct json;

/* "TCP", "UDP", "SCTP", "ICMP", "ICMPv6", or NULL for another number. */
const char *proto_name(int proto);

enum out_group { GROUP_FLOW, GROUP_TUPLE, GROUP_WORKLOAD };

/* One output line: a flow, or a group of flows (then flows > 1 possible
 * and the per-flow fields come from the group's first flow). */
struct out_rec {
    const struct eng_verdict *v;
    const struct case_ep *src, *dst; /* identities, or NULL */
    struct ipaddr src_ip, dst_ip;    /* dst post-DNAT */
    int dnat;
    enum case_dnat dnat_how;   /* recorded, or paired with its post-DNAT leg (§12) */
    struct ipaddr orig_dst_ip; /* the Service address when dnat */
    uint16_t orig_dst_port;
    uint16_t src_port, dst_port;
    int proto;
    const char *state; /* static or long-lived string */
    int64_t id;        /* first flow's id */
    int64_t first_ns, last_ns;
    uint64_t flows;
    uint64_t n_ok, n_failed, n_unknown;
    int64_t packets, bytes; /* both directions, summed */
    enum observed obs;
    const char *node;                            /* GROUP_FLOW: its capture's node, or NULL */
    const char *iface;                           /* GROUP_FLOW: its interface's name, or NULL */
    const struct case_conn *conn;                /* GROUP_FLOW: every end when seen at several */
    const char *reach;                           /* GROUP_FLOW: case_flow.reach */
    const struct case_proc *src_proc, *dst_proc; /* GROUP_FLOW: the processes at the ends,
                                                    or NULL (case-owned) */
    int open;                                    /* GROUP_FLOW: flows.open */
    int redaction_untrusted;                     /* a redacted case: the verdict on a pseudonymised
                                                    peer cannot be trusted (engine/redaction.h) */
};

/* What a case_flow.reach code says, for people: "reached node N, not
 * answered there" ... or NULL for NULL. */
const char *reach_text(const char *reach);

/* The keys of a decided_by object (direction, tier, policy, kind, rule,
 * action, reason) for v, written into the object j has open; tmp is
 * scratch.  check and diff each add their own keys around them. */
void out_json_decider(struct json *j, const struct eng_verdict *v, struct buf *tmp);

/* The longest name the table shows (an identity, "ns/workload"): a
 * namespace (63) and a pod name (253) with room to spare. */
#define OUT_NAME_MAX 384

/* The longest process column the table shows: a command name (15 bytes in
 * /proc/PID/comm; a longer one from a hostile case is cut) and its pid. */
#define OUT_PROC_MAX 64

struct out_opts {
    enum out_group group;
    int explain;
    const struct policy_set *ps; /* explain: the set whose network sets are named (borrowed) */
    int width;        /* table: a terminal's columns, names cut to fit; 0: whole names, one
                         line per record (not a terminal, or -o wide) */
    int src_w, dst_w; /* table: the name columns' widths, set by out_table_fit() */
    int procs;        /* table, GROUP_FLOW (-o wide): SRC-PROCESS and DST-PROCESS columns
                         after PORT */
    int sp_w, dp_w;   /* table, procs: their widths, set by out_table_fit() */
    int ends;         /* the case has several vantage points (captures, or interfaces:
                         case_several_vantages()): JSON adds node, iface, ends, reach */
};

/* Append one JSON Lines object (with its newline) to out. */
int out_json(const struct out_rec *r, const struct out_opts *o, struct buf *out) MUST_CHECK;

/* The CSV header row, and one record row (RFC 4180 quoting). */
int out_csv_header(const struct out_opts *o, struct buf *out) MUST_CHECK;
int out_csv(const struct out_rec *r, const struct out_opts *o, struct buf *out) MUST_CHECK;

/* One CSV field (RFC 4180: quoted when it holds a comma, a quote or a
 * line break; NULL is empty) and its ',' or, when last, its newline.
 * 0 or ERR_LIMIT. */
int out_csv_field(struct buf *out, const char *s, int last) MUST_CHECK;

/* The table: header, one line per record (plus detail lines for denied
 * ones, and the trace with explain).  out_table_fit() first sets the name
 * columns' widths in o from the n records r to be written: as wide as the
 * longest name, narrowed to o->width when that is set (names then cut
 * with '~', keeping both ends); the process columns (o->procs) as wide as
 * the longest, never cut. */
void out_table_fit(struct out_opts *o, const struct out_rec *r, size_t n);
int out_table_header(const struct out_opts *o, struct buf *out) MUST_CHECK;
int out_table(const struct out_rec *r, const struct out_opts *o, struct buf *out) MUST_CHECK;

/* The process at a flow's end as people read it: "curl (pid 4242,
 * container 0123456789ab)", "python3 (2 processes)"; "" for NULL. */
void out_proc_text(const struct case_proc *p, char *buf, size_t size);

/* The same in a table's column: "curl[4242]", "nginx[x2]" when two
 * processes held the socket, "?" for a command name not known, "-" for
 * NULL; tabs and line ends in the name become '?'. */
void out_proc_col(const struct case_proc *p, char *buf, size_t size);

/* An identity as people read it: "ns/name", "host name", an address. */
void out_ident(const struct case_ep *ep, const struct ipaddr *ip, char *buf, size_t size);

#endif
