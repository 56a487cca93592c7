#!/bin/sh
# fault_kill9.sh: kill -9 of podflow-capture while it writes.  The promise
# (issue 3, Writing): what was committed before the kill survives, and the
# .db opens cleanly (PRAGMA integrity_check) for sqlite3 and the analyzer.
#
# The capture reads a pcap through a FIFO, so the test decides how far it
# gets: first enough packets for a committed batch (LIM_WRITE_BATCH flows,
# the offline commit unit), which a second reader counts and fingerprints
# while the capture is still running; then the rest of the file, and
# SIGKILL while the capture is busy decoding and inserting it.
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
pcap=$tmp/g.pcap
db=$tmp/k.db
# 140k short flows, 1 ms of capture time per packet: they end (and are
# written) as the file goes, and 70% of the file holds > 65536 of them.
pcapgen -f 140000 -c 64 -g 1000 -o "$pcap"
size=$(wc -c < "$pcap")
part=$((size * 7 / 10))
mkfifo "$tmp/fifo"
"$C" -q -w "$db" -r "$tmp/fifo" 2> "$tmp/err" &
cap=$!
exec 7> "$tmp/fifo"
head -c "$part" "$pcap" >&7

# A second reader sees committed rows only.
n1=0; i=0
while [ "$n1" -eq 0 ] && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1))
    n1=$(sqlite3 -batch "$db" "SELECT count(*) FROM flows" 2>/dev/null || echo 0)
done
[ "$n1" -gt 0 ] || { fail "no flows committed after 30 s"; cat "$tmp/err"; finish; }
sleep 0.5
fp1=$(sqlite3 -batch "$db" "SELECT count(*), max(id), total(src_port), total(bytes_fwd + bytes_rev),
                                   total(first_ns % 1000003) FROM flows")
max1=$(sqlite3 -batch "$db" "SELECT max(id) FROM flows")
echo "committed before the kill: $fp1"

tail -c +$((part + 1)) "$pcap" >&7 &
feeder=$!
sleep 0.3
if kill -9 $cap 2>/dev/null; then ok "capture killed while running"; else fail "capture had exited"; fi
wait $cap 2>/dev/null
exec 7>&-
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null

expect "integrity_check" "$(sqlite3 -batch "$db" "PRAGMA integrity_check")" ok
fp2=$(sqlite3 -batch "$db" "SELECT count(*), max(id), total(src_port), total(bytes_fwd + bytes_rev),
                                   total(first_ns % 1000003) FROM flows WHERE id <= $max1")
expect "every flow committed before the kill is there" "$fp2" "$fp1"
n2=$(sqlite3 -batch "$db" "SELECT count(*) FROM flows")
[ "$n2" -ge "$n1" ] && ok "flows after the kill: $n2 (>= $n1)" || fail "flows went from $n1 to $n2"
expect "the capture row is open (ended_ns NULL: crashed)" \
    "$(sqlite3 -batch "$db" "SELECT count(*) FROM captures WHERE ended_ns IS NULL")" 1
"$A" show "$db" > "$tmp/show" 2> "$tmp/err"; rc=$?
expect "podflow-analyze show opens it" "$rc" 0
grep -q "^flows: $n2," "$tmp/show" && ok "show counts $n2 flows" || { fail "show:"; cat "$tmp/show" "$tmp/err"; }
# A later capture appends to the killed one's file.
"$C" -q -w "$db" -r "$TOP/tests/fuzz/corpus/pcap/tcp-sf.pcap" 2> "$tmp/err"; rc=$?
expect "a new capture into the killed case: exit" "$rc" 0
expect "two captures now" "$(sqlite3 -batch "$db" "SELECT count(*) FROM captures")" 2
finish
