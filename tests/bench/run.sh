#!/bin/sh
# run.sh: `make bench`.  Prints figures; never fails on a slow machine
# (a benchmark is not a timed test).  Exits non-zero only when a tool
# fails.
#
# 1. pcapgen writes a mixed pcap of ~10M packets / 1M flows (fixed seed;
#    kept under $B/bench and rebuilt only when the generator changes).
# 2. The file is read once to put it in the page cache, then, alternating,
#    RUNS times each: pcapcount (a bare pcap_loop counter) and
#    `podflow-capture -r` end to end (until the .db is committed and
#    closed).  The best run of each is kept: this box is shared, and the
#    best run is the one least disturbed.
# 3. Printed: packets/s of both, their ratio (target >= 0.5), the capture's
#    peak RSS (target <= 100 MB) and .db bytes per flow (target <= 120).
#
# Environment: B (build dir), FLOWS (default 1000000), RUNS (default 3).
set -u
B=${B:-build}
FLOWS=${FLOWS:-1000000}
RUNS=${RUNS:-3}
D="$B/bench"
PCAP="$D/bench-$FLOWS.pcap"
DB="$D/bench.db"
GEN="$D/pcapgen"
COUNT="$D/pcapcount"
CAP="$B/podflow-capture"

for t in "$GEN" "$COUNT" "$CAP"; do
    [ -x "$t" ] || { echo "bench: missing $t (run make bench)"; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "bench: needs the sqlite3 shell"; exit 1; }

now() { date +%s.%N; }
# elapsed START END -> seconds with 3 decimals
elapsed() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }

if [ ! -s "$PCAP" ] || [ "$GEN" -nt "$PCAP" ]; then
    echo "bench: generating $PCAP ($FLOWS flows)"
    "$GEN" -f "$FLOWS" -o "$PCAP.tmp" > "$PCAP.truth" || exit 1
    mv "$PCAP.tmp" "$PCAP"
fi
packets=$(sed -n 's/^packets \([0-9]*\) flows.*/\1/p' "$PCAP.truth")
echo "bench: $(head -1 "$PCAP.truth"), $(($(wc -c < "$PCAP") / 1048576)) MiB"
cat "$PCAP" > /dev/null

best_count=
best_cap=
rss=
i=0
while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    t0=$(now)
    "$COUNT" "$PCAP" > /dev/null || exit 1
    t1=$(now)
    c=$(elapsed "$t0" "$t1")

    rm -f "$DB" "$DB-wal" "$DB-shm"
    t0=$(now)
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$D/rss" "$CAP" -q -w "$DB" -r "$PCAP" || exit 1
    else
        "$CAP" -q -w "$DB" -r "$PCAP" || exit 1
    fi
    t1=$(now)
    p=$(elapsed "$t0" "$t1")
    r=$(cat "$D/rss" 2>/dev/null)
    echo "bench: run $i: pcapcount ${c}s, podflow-capture ${p}s, peak RSS ${r:-?} KiB"
    best_count=$(echo "${best_count:-$c} $c" | awk '{ print ($2 < $1) ? $2 : $1 }')
    best_cap=$(echo "${best_cap:-$p} $p" | awk '{ print ($2 < $1) ? $2 : $1 }')
    [ -n "$r" ] && rss=$(echo "${rss:-$r} $r" | awk '{ print ($2 > $1) ? $2 : $1 }')
done

flows=$(sqlite3 "$DB" 'SELECT count(*) FROM flows')
size=$(wc -c < "$DB")
echo
echo "bench: $packets packets, $flows flows written (generated: $FLOWS)"
echo "$packets $best_count $best_cap ${rss:-0} $size $flows" | awk '{
    bare = $1 / $2; cap = $1 / $3;
    printf "  bare pcap_loop counter : %10.0f packets/s (%.3f s)\n", bare, $2;
    printf "  podflow-capture -r     : %10.0f packets/s (%.3f s, end to end)\n", cap, $3;
    printf "  ratio                  : %10.2f   (target >= 0.5)\n", cap / bare;
    if ($4 > 0) printf "  peak RSS               : %10.1f MB (target <= 100)\n", $4 / 1024;
    printf "  .db size               : %10.1f MB, %.1f bytes per flow (target <= 120)\n",
           $5 / 1048576, $5 / $6;
}'
