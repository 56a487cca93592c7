#!/bin/sh
# run.sh: `make bench`.  Prints figures; never fails on a slow machine
# (a benchmark is not a timed test).  Exits non-zero only when a tool
# fails.
#
# 1. pcapgen writes a mixed pcap of ~10M packets / 1M flows (fixed seed;
#    kept under $B/bench and rebuilt only when the generator changes).
# 2. The file is read once to put it in the page cache, then, alternating,
#    RUNS times each (at least 5): pcapcount (a bare pcap_loop counter),
#    `podflow-capture -r` end to end (until the .db is committed and
#    closed) committing every second with process attribution on
#    (CAPOPTS: every commit writes the flows still active as open rows),
#    and the same plain (commits every 65536 flows, no attribution), so
#    that what open rows and attribution cost shows in the same run.  Each
#    figure is the median run, with the fastest and the slowest
#    (tests/bench/stats.inc); the machine's load is printed before and
#    after.
# 3. Printed: packets/s of each, the ratios to pcap_loop (target >= 0.5
#    with CAPOPTS) by wall time and by CPU time (user + system, the
#    writer thread's and the attribution helper's included: on a shared
#    machine the wall clock measures the neighbours too), the capture's
#    peak RSS (target <= 100 MB) and .db bytes per flow (target <= 120).
#
# Environment: B (build dir), FLOWS (default 1000000), RUNS (default 5),
# CAPOPTS.
set -u
B=${B:-build}
FLOWS=${FLOWS:-1000000}
RUNS=${RUNS:-5}
D="$B/bench"
PCAP="$D/bench-$FLOWS.pcap"
DB="$D/bench.db"
GEN="$D/pcapgen"
COUNT="$D/pcapcount"
CAP="$B/podflow-capture"
# Commit every second: each commit also writes every active flow as an
# open row (flows.open), which is what a capture killed with -9 keeps.
# --process: every new flow is handed to process attribution's helper, as
# in a live capture (the file's addresses are no namespace's here, so each
# lookup ends as not local; flows past its rate bound are counted).
CAPOPTS=${CAPOPTS:---commit-interval 1 --process}

for t in "$GEN" "$COUNT" "$CAP"; do
    [ -x "$t" ] || { echo "bench: missing $t (run make bench)"; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "bench: needs the sqlite3 shell"; exit 1; }

if [ ! -s "$PCAP" ] || [ "$GEN" -nt "$PCAP" ]; then
    echo "bench: generating $PCAP ($FLOWS flows)"
    "$GEN" -f "$FLOWS" -o "$PCAP.tmp" > "$PCAP.truth" || exit 1
    mv "$PCAP.tmp" "$PCAP"
fi
packets=$(sed -n 's/^packets \([0-9]*\) flows.*/\1/p' "$PCAP.truth")
echo "bench: $(head -1 "$PCAP.truth"), $(($(wc -c < "$PCAP") / 1048576)) MiB"
cat "$PCAP" > /dev/null

BW="$D/samples"
rm -rf "$BW"
mkdir -p "$BW"
. "$(dirname "$0")/stats.inc"
echo "bench: before: $(bench_load)"
i=0
while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    bench_round count "$COUNT" "$PCAP"
    rm -f "$DB" "$DB-wal" "$DB-shm"
    bench_round cap "$CAP" $CAPOPTS -q -w "$DB" -r "$PCAP"
    rm -f "$DB.plain" "$DB.plain-wal" "$DB.plain-shm"
    bench_round plain "$CAP" -q -w "$DB.plain" -r "$PCAP"
done
echo "bench: after:  $(bench_load)"
set -- $(bench_stat count)
med_count=$1 count_min=$2 count_max=$3 cpu_count=$4
set -- $(bench_stat cap)
med_cap=$1 cap_min=$2 cap_max=$3 cpu_cap=$4 rss=$5
set -- $(bench_stat plain)
med_plain=$1 plain_min=$2 plain_max=$3 cpu_plain=$4
rm -f "$DB.plain"

flows=$(sqlite3 "$DB" 'SELECT count(*) FROM flows')
size=$(wc -c < "$DB")
echo
echo "bench: $packets packets, $flows flows written (generated: $FLOWS)"
echo "bench: with $CAPOPTS: open rows left $(sqlite3 "$DB" 'SELECT count(*) FROM flows WHERE open = 1'),"\
" flow ends looked up $(sqlite3 "$DB" 'SELECT sockets_sought FROM captures'),"\
" new flows past the lookup rate $(sqlite3 "$DB" 'SELECT flows_unsought FROM captures')"
echo "$packets $med_count $med_cap ${rss:-0} $size $flows $count_min $count_max $cap_min $cap_max" \
    "$med_plain $plain_min $plain_max $cpu_count $cpu_cap $cpu_plain" | awk '{
    bare = $1 / $2; cap = $1 / $3; plain = $1 / $11;
    printf "  (wall: median [fastest .. slowest] of the runs; cpu: median user + system)\n";
    printf "  bare pcap_loop counter : %10.0f packets/s (%.3f s [%.3f .. %.3f], cpu %.3f s)\n",
           bare, $2, $7, $8, $14;
    printf "  podflow-capture -r     : %10.0f packets/s (%.3f s [%.3f .. %.3f], cpu %.3f s, end to end,\n",
           cap, $3, $9, $10, $15;
    printf "                                      open rows and process attribution on)\n";
    printf "  ratio                  : %10.2f   wall, %.2f cpu (target >= 0.5)\n", cap / bare,
           ($15 > 0 ? $14 / $15 : 0);
    printf "  the same, plain        : %10.0f packets/s (%.3f s [%.3f .. %.3f], cpu %.3f s),\n",
           plain, $11, $12, $13, $16;
    printf "                           ratio %.2f wall, %.2f cpu\n", plain / bare,
           ($16 > 0 ? $14 / $16 : 0);
    if ($4 > 0) printf "  peak RSS               : %10.1f MB (target <= 100)\n", $4 / 1024;
    printf "  .db size               : %10.1f MB, %.1f bytes per flow (target <= 120)\n",
           $5 / 1048576, $5 / $6;
}'
