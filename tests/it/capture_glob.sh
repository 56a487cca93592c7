#!/bin/sh
# capture_glob.sh (root): `-i 'cali*'` started before any such link exists
# picks up a Calico-like veth created during the capture (a pod starting),
# records its flows and its appeared_ns, and closes it with vanished_ns
# when the link is deleted (the pod going away).  A link that does not
# match the glob is left alone.
. "${TOP:-.}/tests/it/capture_lib.inc"
need_root
ip netns add "$NS_NODE" || fail "netns"
ip netns add "$NS_CLI" || fail "netns"
in_node ip link set lo up
in_cli ip link set lo up
for ns in "$NS_NODE" "$NS_CLI"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
done
CALI=cali$(printf '%x' "$RUN")   # at most 15 characters
NODE_IP=${NET}254

DB=$TMP/glob.db
ip netns exec "$NS_NODE" "$CAP" -w "$DB" -i 'cali*' -q 2> "$TMP/cap.err" &
CP=$!
IT_PIDS="$IT_PIDS $CP"
i=0
until [ -s "$DB" ] && [ "$(q 'SELECT count(*) FROM captures' 2>/dev/null)" = 1 ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "capture did not start: $(cat "$TMP/cap.err")"
    sleep 0.1
done
expect "no interface yet" "$(q 'SELECT count(*) FROM interfaces')" 0
sleep 0.2

# a pod starts: its host side is a cali* veth
in_node ip link add "$CALI" type veth peer name eth0 netns "$NS_CLI"
in_node ip link add other0 type veth peer name other1   # does not match
in_node ip addr add "$NODE_IP/24" dev "$CALI"
in_node ip link set "$CALI" up
in_cli ip addr add "$CLI_IP/24" dev eth0
in_cli ip link set eth0 up
i=0
until [ "$(q "SELECT count(*) FROM interfaces WHERE name = '$CALI'")" = 1 ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "'$CALI' was not picked up: $(cat "$TMP/cap.err")"
    sleep 0.1
done
i=0
while ! in_cli ping -c1 -W1 "$NODE_IP" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 20 ] || fail "the pod link does not come up"
done
in_cli ping -c 3 -i 0.2 -q "$NODE_IP" > /dev/null || fail "ping"
sleep 0.5   # a ring block is handed over after 200 ms
# the pod goes away
in_node ip link del "$CALI"
i=0
until [ "$(q "SELECT vanished_ns IS NOT NULL FROM interfaces WHERE name = '$CALI'")" = 1 ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "'$CALI' vanishing was not recorded"
    sleep 0.1
done
kill -INT $CP
wait $CP
expect "capture exit" $? 0
# The glob matched nothing at the start: said at once, even with -q.
expect "capture stderr" "$(cat "$TMP/cap.err")" \
    "podflow-capture: warning: no interface matches 'cali*' now: nothing is captured from it until one appears ('ip link' lists this node's links)"

expect "interfaces" "$(q 'SELECT group_concat(name) FROM interfaces')" "$CALI"
expect "appeared after the start" "$(q "SELECT i.appeared_ns > c.started_ns AND i.ifindex > 0
    FROM interfaces i JOIN captures c ON c.id = i.capture_id")" 1
expect "vanished after appearing" "$(q 'SELECT vanished_ns > appeared_ns FROM interfaces')" 1
expect "vanished before the end" "$(q "SELECT i.vanished_ns <= c.ended_ns
    FROM interfaces i JOIN captures c ON c.id = i.capture_id")" 1
# ping: at least the last 3 echoes (the first ones may have raced the link
# coming up), all on the cali link
expect "ping on $CALI" "$(q "SELECT f.icmp_type, f.packets_fwd >= 3, f.packets_fwd = f.packets_rev
    FROM flows f JOIN interfaces i ON i.id = f.iface
    WHERE f.proto = 1 AND f.src_ip = '$CLI_IP' AND f.dst_ip = '$NODE_IP' AND i.name = '$CALI'
    ORDER BY f.packets_fwd DESC LIMIT 1")" "8|1|1"
expect "packets counted on the link" "$(q 'SELECT packets_seen >= 6 FROM interfaces')" 1

# A glob that never matches (a flannel or Cilium node): the warning at
# once, "0 interfaces" on the progress line (a terminal), and at the end
# a message and exit 1, not a quiet empty case.
DB=$TMP/none.db
if command -v script > /dev/null 2>&1; then
    script -qec "ip netns exec $NS_NODE $CAP -w $DB -i 'nomatch*' -G 2" /dev/null > "$TMP/tty.out" 2>&1
    rc=$?
    expect "no match: exit" $rc 1
    grep -q "no interface matches 'nomatch\*' now" "$TMP/tty.out" && echo "ok: no match: warned" ||
        fail "no match: no warning: $(cat "$TMP/tty.out")"
    grep -q "0 interfaces  0 packets" "$TMP/tty.out" && echo "ok: no match: 0 interfaces" ||
        fail "no match: progress line: $(cat "$TMP/tty.out")"
    grep -q "no packet recorded: no interface matched -i nomatch\*" "$TMP/tty.out" &&
        echo "ok: no match: final message" || fail "no match: final message: $(cat "$TMP/tty.out")"
else
    ip netns exec "$NS_NODE" "$CAP" -q -w "$DB" -i 'nomatch*' -G 2 2> "$TMP/none.err"
    expect "no match: exit" $? 1
fi
echo "PASS"
