#!/bin/sh
# capture_open_flows.sh (root): flows still active are in the case from
# one --commit-interval on, as rows marked open (flows.open = 1).
#   1. kill -9 after several commit intervals: a long-lived TCP connection
#      has its row, open, with its packets up to the last commit (its
#      last_ns at most an interval and the ring's delivery before the kill);
#      an unanswered SYN is open too, and the analyzer calls it unknown
#      (its end was not seen), not failed.
#   2. a clean stop (SIGTERM) while the same kind of connection is open:
#      every row is final, none is marked open, and the connection is one
#      row with every packet.
. "${TOP:-.}/tests/it/capture_lib.inc"
need_root
# The test's clients and servers live in its namespaces: they go with them.
open_cleanup() {
    for ns in "$NS_CLI" "$NS_SRV"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
    done
    it_cleanup
}
trap open_cleanup EXIT
ANA="$B/podflow-analyze"
[ -x "$ANA" ] || skip "no $ANA (make first)"
it_node_up
# The server drops SYNs to port 5999: an attempt that stays unanswered.
in_srv nft add table inet pfopen || fail "nft"
in_srv nft add chain inet pfopen in '{ type filter hook input priority 0; }'
in_srv nft add rule inet pfopen in tcp dport 5999 drop

# talk PORT SECONDS: a TCP client sending a line every 0.1 s for SECONDS,
# to a listener in the server namespace (both in the background).
talk() {
    in_srv timeout $(($2 + 5)) nc -l -p "$1" > /dev/null &
    IT_PIDS="$IT_PIDS $!"
    sleep 0.3
    in_cli sh -c "i=0; while [ \$i -lt $(($2 * 10)) ]; do echo line\$i; sleep 0.1;
        i=\$((i + 1)); done | nc -q 1 $SRV_IP $1" &
    IT_PIDS="$IT_PIDS $!"
}

start_capture() {
    rm -f "$DB" "$DB-wal" "$DB-shm"
    ip netns exec "$NS_NODE" "$CAP" -q -w "$DB" -i vc --commit-interval 1 2> "$TMP/cap.err" &
    CP=$!
    IT_PIDS="$IT_PIDS $CP"
    i=0
    until [ -s "$DB" ] && [ "$(q 'SELECT count(*) FROM interfaces' 2>/dev/null)" = 1 ]; do
        i=$((i + 1)); [ $i -lt 50 ] || fail "capture did not start: $(cat "$TMP/cap.err")"
        sleep 0.1
    done
    sleep 0.3
}

# --- 1. kill -9 -------------------------------------------------------------
DB=$TMP/kill.db
start_capture
talk 5000 12
in_cli timeout 20 nc -w 15 "$SRV_IP" 5999 < /dev/null &
IT_PIDS="$IT_PIDS $!"
sleep 4.5
kill_ns=$(date +%s%N)
kill -9 $CP
wait $CP 2>/dev/null

expect "integrity after kill -9" "$(q 'PRAGMA integrity_check')" ok
expect "the long connection has one row, open" \
    "$(q "SELECT count(*), min(open), min(state) FROM flows WHERE dst_port = 5000")" "1|1|S1"
lag=$(q "SELECT ($kill_ns - last_ns) / 1000000 FROM flows WHERE dst_port = 5000")
echo "the open row's last packet: ${lag} ms before the kill"
[ "$lag" -ge 0 ] && [ "$lag" -le 1600 ] ||
    fail "the open row is ${lag} ms old: more than one commit interval (1 s) was lost"
pk=$(q "SELECT packets_fwd FROM flows WHERE dst_port = 5000")
[ "$pk" -ge 25 ] || fail "only $pk packets from the client in the open row"
echo "ok: $pk packets from the client, up to the last commit"
expect "the unanswered SYN is open too" \
    "$(q "SELECT open, state FROM flows WHERE dst_port = 5999")" "1|S0"

cat > "$TMP/allow.yaml" <<EOF
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-all}
spec:
  selector: all()
  types: [Ingress, Egress]
  ingress: [{action: Allow}]
  egress: [{action: Allow}]
EOF
"$ANA" check "$DB" -p "$TMP/allow.yaml" --format json > "$TMP/check.jsonl" 2> "$TMP/check.err"
grep -q '"dst_port":5999' "$TMP/check.jsonl" || fail "check: no flow to 5999: $(cat "$TMP/check.err")"
expect "the analyzer: an open unanswered flow is unknown, not failed" \
    "$(grep '"dst_port":5999' "$TMP/check.jsonl" | grep -o '"observed":"[a-z]*"')" \
    '"observed":"unknown"'

# --- 2. a clean end ---------------------------------------------------------
DB=$TMP/clean.db
start_capture
talk 5001 12
sleep 3.5
kill -TERM $CP
wait $CP || fail "the capture exited $? on SIGTERM: $(cat "$TMP/cap.err")"
expect "no row is left open" "$(q 'SELECT count(*) FROM flows WHERE open = 1')" 0
expect "the connection is one final row" \
    "$(q "SELECT count(*), max(packets_fwd) >= 30 FROM flows WHERE dst_port = 5001")" "1|1"
expect "integrity at the end" "$(q 'PRAGMA integrity_check')" ok
echo "PASS"
