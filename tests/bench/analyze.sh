#!/bin/sh
# analyze.sh: the analyzer benchmark (issue 5, "Performance"): a synthetic
# case of 1M flows over 5,000 pods judged against 1,000 policies (Calico
# and Kubernetes, four tiers), timed against a bare SQLite scan of the same
# flows in the same run (podflow-analyze is single-threaded: one core).
# Prints figures; never fails on a time (it is not
# a timed test).  Targets: check <= 2 s on one core, <= 2x the scan.
#
#     B=build sh tests/bench/analyze.sh [FLOWS]
set -eu
B=${B:-build}
flows=${1:-1000000}
top=$(cd "$(dirname "$0")/../.." && pwd)
case "$B" in /*) ;; *) B="$top/$B" ;; esac
work="$B/bench/analyze"
mkdir -p "$work"
# Regenerate when the flow count, the schema or the generator changed.
stamp="$flows $(cat "$top/schema.sql" "$top/tests/bench/gen_analyze.sh" | cksum)"
if [ ! -s "$work/bench.db" ] || [ "$(cat "$work/stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "generating the synthetic case ($flows flows)..."
    sh "$top/tests/bench/gen_analyze.sh" "$work" "$flows" > /dev/null
    echo "$stamp" > "$work/stamp"
fi
${CC:-cc} -O2 -o "$work/scan" "$top/tests/bench/scan.c" $(pkg-config --cflags --libs sqlite3)

now() { date +%s.%N; }
# Best of three for each, so a cold page cache does not count.  Prints
# "wall cpu": CPU time (user + system) comes from GNU time when installed
# (it is steadier than wall time on a busy machine), else "-".
best() {
    b=; bc=-
    for _ in 1 2 3; do
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -o "$work/time" -f '%e %U %S' "$@" > /dev/null 2>&1 || true
            t=$(tail -1 "$work/time")
            w=${t%% *}; c=$(echo "$t" | awk '{ print $2 + $3 }')
        else
            t0=$(now); "$@" > /dev/null 2>&1 || true; t1=$(now)
            w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'); c=-
        fi
        if [ -z "$b" ] || [ "$(awk -v w="$w" -v b="$b" 'BEGIN { print (w < b) }')" = 1 ]; then
            b=$w; bc=$c
        fi
    done
    echo "$b $bc"
}
# check exits 1 (some flows are denied by design); 2 would be a real failure.
set +e
"$B/podflow-analyze" check "$work/bench.db" -p "$work/policies" --group workload \
    --format json > /dev/null
rc=$?
set -e
if [ $rc -ne 1 ]; then echo "podflow-analyze check failed (exit $rc)" >&2; exit 1; fi
scan=$(best "$work/scan" "$work/bench.db")
scan1=$(best "$work/scan" -1 "$work/bench.db")
check=$(best "$B/podflow-analyze" check "$work/bench.db" -p "$work/policies" \
            --group workload --format json)
PODFLOW_STATS=1 "$B/podflow-analyze" check "$work/bench.db" -p "$work/policies" \
    --group workload --format json 2>&1 > /dev/null | grep 'flows judged' || true
set -- $scan $scan1 $check
printf 'bare SQLite scan of %s flows (default SQLite):       %.3f s wall, %s s cpu\n' "$flows" "$1" "$2"
printf 'same scan, SQLite single-threaded as check runs it:  %.3f s wall, %s s cpu\n' "$3" "$4"
printf 'podflow-analyze check --group workload (1 thread):   %.3f s wall, %s s cpu\n' "$5" "$6"
awk -v sw="$1" -v sc="$2" -v tw="$3" -v tc="$4" -v cw="$5" -v cc="$6" 'BEGIN {
    printf "check / bare scan: %.2fx wall", cw / sw
    if (sc != "-" && sc > 0) printf ", %.2fx cpu", cc / sc
    printf "; check / same-config scan: %.2fx wall", cw / tw
    if (tc != "-" && tc > 0) printf ", %.2fx cpu", cc / tc
    printf "\n(targets: check <= 2 s, <= 2x the scan; figures, not a timed test)\n"
}'
