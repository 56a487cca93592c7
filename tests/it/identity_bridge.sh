#!/bin/sh
# identity_bridge.sh: a live capture on a bridge-style node (pods on a
# bridge, like cni0) with no inventory still resolves every pod address to
# its bridge port (neighbour entry + bridge FDB), and the node's address to
# a host endpoint; `podflow-analyze inventory` then attaches an inventory
# to that case, and the flows_named view shows the names with the
# interfaces.  A second capture with --inventory on the same kind of node
# gives the same names directly.  Root only (SKIP otherwise).
set -u
. "${TOP:-.}/tests/it/identity_lib.inc"
need_root
[ -x "$ANA" ] || skip "no $ANA (make first)"

NS_1=pfi1$RUN
NS_2=pfi2$RUN
IF_1=$(printf 'veth%07x0001' "$RUN")
IF_2=$(printf 'veth%07x0002' "$RUN")
IP_1=198.18.7.11
IP_2=198.18.7.12

bridge_node
bridge_pod "$NS_1" "$IP_1" "$IF_1"
bridge_pod "$NS_2" "$IP_2" "$IF_2"
# kubelet's probes come from the node: it has a neighbour entry for each
# pod (the mapping's source on a bridge).
wait_ping "$NS_NODE" "$IP_1"
wait_ping "$NS_NODE" "$IP_2"
wait_ping "$NS_1" "$IP_2"

capture_start -i 'veth*'
serve "$NS_2" 8080
connect "$NS_1" "$IP_2" 8080 40011
sleep 0.3
capture_stop

expect "without inventory, pods resolve to their bridge port" \
    "$(q "SELECT ip, kind, coalesce(name, '-'), iface, source FROM endpoints
          WHERE ip IN ('$IP_1', '$IP_2') ORDER BY ip")" \
    "$IP_1 pod - $IF_1 netlink
$IP_2 pod - $IF_2 netlink"
expect "netlink saw them through the neighbour table and FDB" \
    "$(q "SELECT count(*) FROM ip_ifaces WHERE via = 'neigh' AND ip IN ('$IP_1', '$IP_2')")" "2"
expect "the bridge's address is the node's (host)" \
    "$(q "SELECT kind, name, iface FROM endpoints WHERE ip = '198.18.7.1'")" "host node1 cni0"
expect "flows_named shows the interfaces when there are no names" \
    "$(q "SELECT DISTINCT coalesce(src_name, '-'), src_iface, coalesce(dst_name, '-'), dst_iface
          FROM flows_named WHERE src_port = 40011")" "- $IF_1 - $IF_2"

# The customer forgot the inventory: add it afterwards.
{
    pod_yaml shop client "$IP_1" client
    pod_yaml shop web-1 "$IP_2" web
    cat <<EOF
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop, labels: {team: a}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {namespace: shop, name: web}
EOF
} | inv_write
out=$("$ANA" inventory "$DB" "$INV" 2> "$TMP/ana.err") || {
    cat "$TMP/ana.err"
    fail "podflow-analyze inventory failed"
}
echo "$out"
grep -q "skipped: Deployment (1)" "$TMP/ana.err" || fail "skipped kinds not reported: $(cat "$TMP/ana.err")"
expect "flows_named (sqlite3 CLI) shows the names after the fact" \
    "$(q "SELECT DISTINCT src_namespace, src_name, src_iface, dst_name, dst_workload, dst_iface,
              json_extract(dst_labels, '\$.app')
          FROM flows_named WHERE src_port = 40011")" \
    "shop client $IF_1 web-1 web $IF_2 web"
expect "the joined rows come from the inventory, interfaces kept" \
    "$(q "SELECT group_concat(name || ':' || iface || ':' || source, ' ') FROM
          (SELECT * FROM endpoints WHERE ip IN ('$IP_1', '$IP_2') ORDER BY ip)")" \
    "client:$IF_1:inventory web-1:$IF_2:inventory"
# Again (a fresher inventory): replaced, not added.
"$ANA" inventory "$DB" "$INV" > /dev/null 2>&1 || fail "second podflow-analyze inventory failed"
expect "a second inventory replaces the first" \
    "$(q "SELECT count(*) FROM endpoints WHERE ip IN ('$IP_1', '$IP_2')")" "2"
# Bad input leaves the case untouched.
echo "{ not: [yaml" > "$TMP/bad.yaml"
sum=$(cksum < "$DB")
"$ANA" inventory "$DB" "$TMP/bad.yaml" > /dev/null 2>&1
expect "a file that does not parse: exit 2" "$?" "2"
expect "... and the case is untouched" "$(cksum < "$DB")" "$sum"
"$ANA" inventory "$TMP/nosuch.db" "$INV" > /dev/null 2>&1
expect "a case that does not exist: exit 2" "$?" "2"
[ ! -e "$TMP/nosuch.db" ] || fail "a missing case was created"

# The same node captured with --inventory: names at once.
rm -f "$DB"
capture_start -i 'veth*' --inventory "$INV"
connect "$NS_1" "$IP_2" 8080 40012
sleep 0.3
capture_stop
expect "with --inventory on a bridge node: pod, labels, interface" \
    "$(q "SELECT DISTINCT src_name, src_iface, dst_name, dst_iface, dst_labels FROM flows_named
          WHERE src_port = 40012")" \
    "client $IF_1 web-1 $IF_2 {\"app\":\"web\",\"pod-template-hash\":\"5d8f9c7b6\"}"
echo "identity_bridge: all checks passed"
