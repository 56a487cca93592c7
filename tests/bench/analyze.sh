#!/bin/sh
# analyze.sh: the analyzer benchmark (issue 5, "Performance"): a synthetic
# case of 1M flows over 5,000 pods judged against 1,000 policies (Calico
# and Kubernetes, four tiers), timed against a bare SQLite scan of the same
# flows in the same run.  Prints figures; never fails on a time (it is not
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
if [ ! -s "$work/bench.db" ] || [ "$(cat "$work/flows" 2>/dev/null)" != "$flows" ]; then
    echo "generating the synthetic case ($flows flows)..."
    sh "$top/tests/bench/gen_analyze.sh" "$work" "$flows" > /dev/null
    echo "$flows" > "$work/flows"
fi
${CC:-cc} -O2 -o "$work/scan" "$top/tests/bench/scan.c" $(pkg-config --cflags --libs sqlite3)

now() { date +%s.%N; }
# Best of three for each, so a cold page cache does not count.
best() {
    b=
    for _ in 1 2 3; do
        t0=$(now); "$@" > /dev/null; t1=$(now)
        b=$(awk -v t0="$t0" -v t1="$t1" -v b="$b" 'BEGIN { t = t1 - t0; print (b == "" || t < b) ? t : b }')
    done
    echo "$b"
}
scan=$(best "$work/scan" "$work/bench.db")
set +e
check=$(best taskset -c 0 "$B/podflow-analyze" check "$work/bench.db" -p "$work/policies" \
            --group workload --format json)
set -e
PODFLOW_STATS=1 "$B/podflow-analyze" check "$work/bench.db" -p "$work/policies" \
    --group workload --format json 2>&1 > /dev/null | grep 'flows judged' || true
printf 'bare SQLite scan of %s flows:   %.3f s\n' "$flows" "$scan"
printf 'podflow-analyze check (1 core): %.3f s   (%.2fx the scan; targets: <= 2 s, <= 2x)\n' \
    "$check" "$(awk -v c="$check" -v s="$scan" 'BEGIN { print c / s }')"
