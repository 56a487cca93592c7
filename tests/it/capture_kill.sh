#!/bin/sh
# capture_kill.sh (root): `kill -9` during a live capture.  The .db must
# pass PRAGMA integrity_check, hold every flow committed before the kill
# (40 UDP flows that expired and were committed seconds before it), keep
# the captures row with ended_ns NULL, and take a new capture afterwards.
. "${TOP:-.}/tests/it/capture_lib.inc"
need_root
command -v bash > /dev/null 2>&1 || skip "needs bash (its /dev/udp sends the test's datagrams)"
it_node_up

DB=$TMP/kill.db
ip netns exec "$NS_NODE" "$CAP" -q -w "$DB" -i vc --idle-timeout 1 --commit-interval 1 \
    2> "$TMP/cap.err" &
CP=$!
IT_PIDS="$IT_PIDS $CP"
i=0
until [ -s "$DB" ] && [ "$(q 'SELECT count(*) FROM interfaces' 2>/dev/null)" = 1 ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "capture did not start: $(cat "$TMP/cap.err")"
    sleep 0.1
done
sleep 0.3

# 40 UDP flows to closed ports: each ends (idle 1 s), is written, and is
# committed (every 1 s) well before the kill below.
# One bash process sends them all (its /dev/udp), so none can be lost to a
# slow nc start-up on a busy machine.
in_cli bash -c "for p in \$(seq 6000 6039); do echo x > /dev/udp/$SRV_IP/\$p; done" ||
    fail "udp sender"

# keep traffic flowing while the process dies
ip netns exec "$NS_CLI" ping -q -i 0.05 "$SRV_IP" > /dev/null &
IT_PIDS="$IT_PIDS $!"
sleep 5
kill -9 $CP
wait $CP 2>/dev/null

expect "integrity after kill -9" "$(q 'PRAGMA integrity_check')" ok
expect "committed flows kept" "$(q "SELECT count(*) FROM flows WHERE proto = 17
    AND src_ip = '$CLI_IP' AND dst_port BETWEEN 6000 AND 6039")" 40
expect "each once, as attempts" "$(q "SELECT count(DISTINCT dst_port), min(state), max(state)
    FROM flows WHERE proto = 17 AND dst_port BETWEEN 6000 AND 6039")" "40|S0|S0"
expect "capture never ended" "$(q 'SELECT count(*), ended_ns IS NULL FROM captures')" "1|1"
# the file takes another capture
"$B/bench/pcapgen" -f 10 -o "$TMP/small.pcap" > /dev/null || fail "pcapgen"
"$CAP" -q -w "$DB" -r "$TMP/small.pcap" || fail "a capture after the kill exited $?"
expect "captures after the kill" "$(q 'SELECT count(*) FROM captures')" 2
expect "integrity at the end" "$(q 'PRAGMA integrity_check')" ok
echo "PASS"
