#!/bin/sh
# scale.sh: `make bench-scale` (issue 19): a cluster-sized case of FLOWS
# flows (default 100,000,000) generated with SQL (gen_scale.sh: ten nodes,
# one flow in ten the server's end of a connection another node saw, so
# FLOWS / 10 pairs), then the time and peak memory (GNU time's maximum
# resident set) of opening it (show: the case read, its connections
# paired), of check (--group workload: judging, little output; with
# --jobs 1 and the default), and of report, beside a bare scan of the same
# flows in the same run.  The machine's load is printed before and after.
#
# Minutes to an hour, and disk: the case (~85 bytes a flow, kept in DIR
# for the next run) and, while a case is read, the pairing's sorted runs
# in $TMPDIR (~170 bytes a flow, freed as read).  Not part of make test.
# report keeps every flow in memory (flowset.c, ~330 bytes a flow): it
# runs only up to REPORT_MAX flows (default 10,000,000) and is skipped,
# said so, above.
#
#     B=build sh tests/bench/scale.sh [FLOWS [DIR]]
#     RUNS=n (default 1: one run of each figure at this size)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$top/build}
case "$B" in /*) ;; *) B="$top/$B" ;; esac
flows=${1:-100000000}
dir=${2:-$B/bench/scale}
RUNS=${RUNS:-1}
REPORT_MAX=${REPORT_MAX:-10000000}
AN="$B/podflow-analyze"
SCAN="$B/bench/scan"
[ -x "$AN" ] && [ -x "$SCAN" ] || { echo "bench-scale: build $AN and $SCAN first" >&2; exit 2; }
command -v sqlite3 > /dev/null || { echo "bench-scale: needs the sqlite3 shell" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-scale: needs GNU time (/usr/bin/time)" >&2; exit 2; }
mkdir -p "$dir"
db="$dir/scale-$flows.db"
stamp="$flows $(cat "$top/schema.sql" "$top/tests/bench/gen_scale.sh" "$top/tests/bench/gen_analyze.sh" | cksum)"
if [ ! -s "$db" ] || [ "$(cat "$dir/stamp-$flows" 2>/dev/null)" != "$stamp" ]; then
    echo "bench-scale: generating $db ($flows flows; $(df -h "$dir" | awk 'NR == 2 { print $4 }') free)"
    /usr/bin/time -f 'bench-scale: generated in %e s' sh "$top/tests/bench/gen_scale.sh" "$dir" "$flows"
    echo "$stamp" > "$dir/stamp-$flows"
fi
echo "bench-scale: $db, $(($(wc -c < "$db") / 1048576)) MiB; TMPDIR ${TMPDIR:-/tmp}:" \
    "$(df -h "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $4 }') free"

# one LABEL CMD...: RUNS runs, each "LABEL: wall, cpu, peak RSS".
one() {
    label=$1
    shift
    i=0
    while [ $i -lt "$RUNS" ]; do
        i=$((i + 1))
        rc=0
        /usr/bin/time -f "%e %U %S %M" -o "$dir/.time" "$@" > /dev/null 2> "$dir/.err" || rc=$?
        if [ $rc -gt 1 ]; then
            echo "bench-scale: $label failed (exit $rc):" >&2
            tail -5 "$dir/.err" >&2
            exit 1
        fi
        tail -1 "$dir/.time" | awk -v l="$label" \
            '{ printf "  %-44s %8.1f s wall  %8.1f s cpu  %8.1f MB peak\n", l, $1, $2 + $3, $4 / 1024 }'
    done
}

echo "before: load $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min), $(getconf _NPROCESSORS_ONLN) cores"
one "scan (baseline, 1 thread)" "$SCAN" -j 1 "$db"
one "open: show (reads and pairs)" "$AN" show "$db"
one "check -g workload -f json --jobs 1" "$AN" check "$db" -p "$dir/policies" -g workload -f json --jobs 1
one "check -g workload -f json (--jobs: cores)" "$AN" check "$db" -p "$dir/policies" -g workload -f json
if [ "$flows" -le "$REPORT_MAX" ]; then
    one "report (all flows in memory)" "$AN" report "$db" -p "$dir/policies" --out "$dir/report.html"
else
    echo "  report: skipped above $REPORT_MAX flows (REPORT_MAX): it keeps every flow in"
    echo "  memory (flowset.c, ~330 bytes a flow); figures at 10M: REPORT_MAX=$flows, or"
    echo "  B=$B sh tests/bench/scale.sh 10000000"
fi
echo "after:  load $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo "(targets: open and check of 10M flows with 1M pairs within 300 MB, of 100M within 2 GB)"
