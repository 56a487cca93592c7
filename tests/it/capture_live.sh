#!/bin/sh
# capture_live.sh (root): a live capture on a veth and on a bridge at once,
# between a client and a server namespace, with real traffic: a completed
# TCP connection, a refused one, an unanswered one (nftables drop), UDP with
# an answer, UDP to a closed port (ICMP port unreachable), and ping.  Each
# flow is checked row by row on both interfaces.  Then -Z: the running
# process has the user's uid, no capabilities, and no_new_privs.
. "${TOP:-.}/tests/it/capture_lib.inc"
need_root
it_node_up

DB=$TMP/live.db
ip netns exec "$NS_NODE" "$CAP" -q -w "$DB" -i vc -i br0 --node testnode 2> "$TMP/cap.err" &
CP=$!
IT_PIDS="$IT_PIDS $CP"
# the capture is up once its captures row is committed
i=0
until [ -s "$DB" ] && [ "$(q 'SELECT count(*) FROM interfaces' 2>/dev/null)" = 2 ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "capture did not start: $(cat "$TMP/cap.err")"
    sleep 0.1
done
sleep 0.3

# TCP completed: a server answers one line
in_srv sh -c "echo answer | timeout 5 nc -l 8080 > $TMP/srv.got" &
sleep 0.3
echo question | in_cli timeout 5 nc -N "$SRV_IP" 8080 > "$TMP/cli.got" || fail "tcp connect"
wait $! 2>/dev/null
expect "tcp payload" "$(cat "$TMP/srv.got")/$(cat "$TMP/cli.got")" "question/answer"
# TCP refused: nothing listens on 8081, the kernel answers RST
in_cli timeout 5 nc -z -w 1 "$SRV_IP" 8081 && fail "8081 should refuse"
# TCP unanswered: nftables drops SYNs to 8082
in_srv nft -f - <<EOF || fail "nft"
table inet podflow_it {
    chain input {
        type filter hook input priority 0;
        tcp dport 8082 drop
    }
}
EOF
in_cli timeout 5 nc -z -w 2 "$SRV_IP" 8082 && fail "8082 should time out"
# UDP answered
(sleep 0.8; echo pong) | ip netns exec "$NS_SRV" timeout 3 nc -u -l 5300 > "$TMP/u.srv" &
sleep 0.3
(echo ping; sleep 1.5) | in_cli timeout 2 nc -u "$SRV_IP" 5300 > "$TMP/u.cli"
expect "udp payload" "$(cat "$TMP/u.srv")/$(cat "$TMP/u.cli")" "ping/pong"
# UDP to a closed port: ICMP port unreachable
(echo x; sleep 0.5) | in_cli timeout 1 nc -u "$SRV_IP" 5301
# ping
in_cli ping -c 3 -i 0.2 -q "$SRV_IP" > /dev/null || fail "ping"
sleep 0.3
kill -INT $CP
wait $CP
expect "capture exit" $? 0
[ -s "$TMP/cap.err" ] && fail "capture stderr: $(cat "$TMP/cap.err")"

expect "captures" "$(q 'SELECT node, source, snaplen, interfaces, ended_ns > started_ns FROM captures')" \
    "testnode|live|256|vc br0|1"
expect "interfaces" "$(q 'SELECT group_concat(name || ":" || (ifindex > 0) || ":" ||
    (appeared_ns = (SELECT started_ns FROM captures)) || ":" || (vanished_ns IS NULL) || ":" ||
    (packets_seen > 10) || ":" || linktype, " ") FROM (SELECT * FROM interfaces ORDER BY name)')" \
    "br0:1:1:1:1:1 vc:1:1:1:1:1"
expect "no drops" "$(q 'SELECT packets_dropped FROM captures')" 0

for ifc in vc br0; do
    # row: proto dport state packets_fwd>0 packets_rev icmp_type icmp_code
    row() {
        q "SELECT f.proto, f.dst_port, f.state, f.packets_fwd > 0, f.packets_rev,
                  coalesce(f.icmp_type, '-'), coalesce(f.icmp_code, '-')
           FROM flows f JOIN interfaces i ON i.id = f.iface
           WHERE i.name = '$ifc' AND f.src_ip = '$CLI_IP' AND f.dst_ip = '$SRV_IP'
             AND f.proto = $1 AND f.dst_port = $2"
    }
    expect "$ifc tcp completed" "$(row 6 8080 | cut -d'|' -f1-4)" "6|8080|SF|1"
    expect "$ifc tcp refused" "$(row 6 8081)" "6|8081|REJ|1|1|-|-"
    expect "$ifc tcp unanswered" "$(row 6 8082)" "6|8082|S0|1|0|-|-"
    expect "$ifc udp answered" "$(row 17 5300)" "17|5300|SF|1|1|-|-"
    expect "$ifc udp port unreachable" "$(row 17 5301)" "17|5301|S0|1|0|3|3"
    expect "$ifc ping" "$(q "SELECT f.state, f.packets_fwd, f.packets_rev, f.icmp_type
        FROM flows f JOIN interfaces i ON i.id = f.iface WHERE i.name = '$ifc' AND f.proto = 1
        AND f.src_ip = '$CLI_IP'")" "OTH|3|3|8"
    expect "$ifc flows between the hosts" "$(q "SELECT count(*) FROM flows f JOIN interfaces i
        ON i.id = f.iface WHERE i.name = '$ifc' AND
        ((f.src_ip = '$CLI_IP' AND f.dst_ip = '$SRV_IP') OR (f.src_ip = '$SRV_IP' AND f.dst_ip = '$CLI_IP'))")" 6
done
expect "tcp completed history" "$(q "SELECT history FROM flows WHERE dst_port = 8080 LIMIT 1" | cut -c1-3)" "ShA"
expect "integrity" "$(q 'PRAGMA integrity_check')" ok

# --- stopping: -G, SIGHUP, and a second SIGINT -----------------------------
DB=$TMP/g.db
t0=$(date +%s)
# (an idle link: nothing recorded, which the capture says, exit 1)
in_node "$CAP" -q -w "$DB" -i vc -G 1 2> "$TMP/cap.err"
expect "-G 1 on an idle link: exit" $? 1
expect "-G 1 on an idle link: message" "$(cat "$TMP/cap.err")" \
    "podflow-capture: no packet recorded on the 1 interface captured"
[ $(($(date +%s) - t0)) -le 4 ] || fail "-G 1 took $(($(date +%s) - t0)) s"
expect "-G: capture ended" "$(q 'SELECT ended_ns - started_ns BETWEEN 1000000000 AND 3000000000 FROM captures')" 1
DB=$TMP/hup.db
ip netns exec "$NS_NODE" "$CAP" -q -w "$DB" -i vc 2> "$TMP/cap.err" &
CP=$!
IT_PIDS="$IT_PIDS $CP"
sleep 0.5
kill -HUP $CP
wait $CP
expect "SIGHUP: exit (nothing recorded)" $? 1
expect "SIGHUP: capture ended" "$(q 'SELECT ended_ns IS NOT NULL FROM captures')" 1
# The first SIGINT starts a clean stop (which waits 250 ms for the rings);
# a second one within it leaves at once.
DB=$TMP/int2.db
ip netns exec "$NS_NODE" "$CAP" -q -w "$DB" -i vc 2> "$TMP/cap.err" &
CP=$!
IT_PIDS="$IT_PIDS $CP"
sleep 0.5
kill -INT $CP
sleep 0.05
kill -INT $CP
wait $CP
expect "second SIGINT: exit" $? 130
expect "second SIGINT: integrity" "$(q 'PRAGMA integrity_check')" ok
expect "second SIGINT: capture not ended" "$(q 'SELECT count(*), ended_ns IS NULL FROM captures')" "1|1"

# --- refused: a missing interface, no CAP_NET_RAW: one line, exit 2 ---------
rm -f "$TMP/new.db"
in_node "$CAP" -q -w "$TMP/new.db" -i nosuch0 2> "$TMP/err"
expect "missing interface: exit" $? 2
expect "missing interface: message" "$(cat "$TMP/err")" \
    "podflow-capture: cannot capture on 'nosuch0': no such interface"
[ -e "$TMP/new.db" ] && fail "missing interface: wrote the .db"
if command -v setpriv > /dev/null 2>&1 && id nobody > /dev/null 2>&1; then
    in_node setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
        "$CAP" -q -w /tmp/podflow-never.db -i vc 2> "$TMP/err"
    expect "no CAP_NET_RAW: exit" $? 2
    expect "no CAP_NET_RAW: message" "$(cat "$TMP/err")" \
        "podflow-capture: cannot capture on 'vc': permission denied (capturing needs root or CAP_NET_RAW)"
fi

# --- -Z: sockets first, then no privilege ---------------------------------
id nobody > /dev/null 2>&1 || skip "no user 'nobody' for the -Z check"
DB=$TMP/priv.db
ip netns exec "$NS_NODE" "$CAP" -q -w "$DB" -i vc -Z nobody 2> "$TMP/cap.err" &
CP=$!
IT_PIDS="$IT_PIDS $CP"
i=0
until [ "$(awk '/^Uid:/ { print $2 }' /proc/$CP/status 2>/dev/null)" = "$(id -u nobody)" ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "-Z: uid never changed: $(cat "$TMP/cap.err")"
    sleep 0.1
done
st=/proc/$CP/status
expect "-Z uid" "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' $st)" "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)"
expect "-Z gid" "$(awk '/^Gid:/ { print $2 }' $st)" "$(id -g nobody)"
expect "-Z CapEff" "$(awk '/^CapEff:/ { print $2 }' $st)" 0000000000000000
expect "-Z CapPrm" "$(awk '/^CapPrm:/ { print $2 }' $st)" 0000000000000000
expect "-Z CapBnd" "$(awk '/^CapBnd:/ { print $2 }' $st)" 0000000000000000
expect "-Z NoNewPrivs" "$(awk '/^NoNewPrivs:/ { print $2 }' $st)" 1
for t in /proc/$CP/task/*; do
    expect "-Z thread $(basename $t) CapEff" "$(awk '/^CapEff:/ { print $2 }' $t/status)" 0000000000000000
done
in_cli ping -c 2 -i 0.2 -q "$SRV_IP" > /dev/null || fail "ping"
sleep 0.2
kill -TERM $CP
wait $CP
expect "-Z capture exit" $? 0
expect "-Z flows written" "$(q "SELECT count(*) FROM flows WHERE proto = 1 AND packets_fwd = 2")" 1
expect "-Z capture ended" "$(q 'SELECT ended_ns IS NOT NULL FROM captures')" 1
echo "PASS"
