/*
 * cap_opts.h: podflow-capture's command line, parsed into struct cap_opts
 * (getopt_long; numbers through parse_u64() with their range in the
 * message).  Kept apart from main.c so that unit tests can run it.
 */
#ifndef PODFLOW_CAPTURE_CAP_OPTS_H
#define PODFLOW_CAPTURE_CAP_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/attrs.h"

struct diag;

struct cap_opts {
    const char *db_path; /* -w */
    char **ifaces;       /* -i patterns, malloc'd array of argv strings */
    size_t n_ifaces;
    char **files; /* -r files, malloc'd array of argv strings */
    size_t n_files;
    const char *filter;  /* -f, or NULL */
    int snaplen;         /* -s */
    int buffer_mib;      /* -B, 0: libpcap's default */
    uint64_t duration_s; /* -G, 0: until a signal */
    uint64_t idle_s;     /* --idle-timeout, 0: defaults */
    uint64_t active_s;   /* --active-timeout, 0: default */
    uint64_t commit_s;   /* --commit-interval */
    uint64_t max_flows;  /* --max-flows, 0: default */
    const char *node;    /* --node, or NULL: host name */
    char **inventories;  /* --inventory files, malloc'd array of argv strings */
    size_t n_inventories;
    const char *user;    /* -Z, or NULL */
    int redact_external; /* --redact-external */
    int process;         /* --process 1, --no-process 0; -1: on for -i, off for -r */
    char **keep_paths;   /* --keep-policy-nets paths, malloc'd array of argv strings */
    size_t n_keep_paths;
    char **keep_nets; /* --keep-net CIDRs, likewise */
    size_t n_keep_nets;
    int quiet; /* -q */
};

/*
 * Parse argv into o (strings point into argv; the arrays are malloc'd:
 * release with cap_opts_release() whatever the result).  Returns 0; 1 when
 * --help or --version was printed to out (exit 0); or ERR_USAGE, reported
 * through d as one line.  Resets getopt's state, so it may run again.
 */
int cap_opts_parse(struct cap_opts *o, struct diag *d, int argc, char **argv, FILE *out) MUST_CHECK;

/* Free the arrays of o. */
void cap_opts_release(struct cap_opts *o);

/* The command line as one malloc'd string, arguments holding spaces, quotes
 * or shell metacharacters single-quoted the way a shell reads them back. */
char *cap_opts_command_line(int argc, char **argv);

/* The same with the value secret (a pointer into one of argv's strings,
 * e.g. cap_opts.filter, or NULL) replaced by "[redacted]": from where it
 * starts to the end of its argument, whether given as "-f X" or "-fX". */
char *cap_opts_command_line_hiding(int argc, char **argv, const char *secret);

/* v[0..n) joined by single spaces, malloc'd. */
char *cap_opts_join(char **v, size_t n);

#endif
