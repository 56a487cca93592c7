#!/bin/sh
# redact_capture_live.sh: podflow-capture --redact-external live on a
# bridge-style node with no inventory: what netlink knows is kept (the
# node's own address; a pod the node has a neighbour entry for, behind its
# bridge port), what it does not know is pseudonymised before it is
# written: a pod the node never talked to (as a pod of another node would
# be) is nowhere in the file's bytes, and its flows carry one
# documentation-range pseudonym.  Root only (SKIP otherwise).
set -u
. "${TOP:-.}/tests/it/identity_lib.inc"
need_root

NS_1=pfr1$RUN
NS_2=pfr2$RUN
IF_1=$(printf 'veth%07x0011' "$RUN")
IF_2=$(printf 'veth%07x0012' "$RUN")
IP_1=198.18.7.21
IP_2=198.18.7.22

bridge_node
bridge_pod "$NS_1" "$IP_1" "$IF_1"
bridge_pod "$NS_2" "$IP_2" "$IF_2"
# The node talks to pod 1 only (a neighbour entry: netlink maps it); pod 1
# and pod 2 talk across the bridge, which the node does not see in its
# neighbour table.
wait_ping "$NS_NODE" "$IP_1"
wait_ping "$NS_1" "$IP_2"
in_node ip neigh show dev cni0 | grep -q "^$IP_2 " && skip "the node learnt $IP_2 (arp_accept?)"

capture_start -i 'veth*' --redact-external --idle-timeout 1
serve "$NS_2" 8080
connect "$NS_1" "$IP_2" 8080 40021
connect "$NS_1" "$IP_2" 8080 40022
in_ns "$NS_1" ping -c1 -W1 198.18.7.1 > /dev/null || fail "ping the node"
sleep 0.3
capture_stop

printf '%s\n' "$IP_2" > "$TMP/ext"
for f in "$DB" "$DB-wal"; do
    [ -e "$f" ] || continue
    n=$(grep -a -c -w -F -f "$TMP/ext" "$f")
    expect "unknown pod $IP_2 nowhere in $(basename "$f")'s bytes" "$n" 0
done
expect "pod 1 (netlink: neighbour + FDB) kept" \
    "$(q "SELECT DISTINCT src_ip FROM flows WHERE src_port IN (40021, 40022)")" "$IP_1"
expect "pod 2: one pseudonym for both connections, in TEST-NET" \
    "$(q "SELECT count(DISTINCT dst_ip), max(dst_ip LIKE '192.0.2.%' OR dst_ip LIKE '198.51.100.%'
          OR dst_ip LIKE '203.0.113.%') FROM flows WHERE src_port IN (40021, 40022)")" "1 1"
expect "the node's own address kept" \
    "$(q "SELECT count(*) > 0 FROM flows WHERE proto = 1 AND src_ip = '$IP_1' AND dst_ip = '198.18.7.1'")" 1
expect "recorded as redacted" "$(q "SELECT value FROM meta WHERE key = 'redacted_external'")" 1
echo "PASS"
