#!/bin/sh
# identity_calico.sh: a live capture on a Calico-style node (pods behind
# cali... veths with /32 routes) with an inventory writes endpoints with the
# right pod, labels, interface and validity; a pod deleted during the
# capture and its IP given to a new pod (the inventory file refreshed)
# attributes each flow to the right pod; a flow to a Service address
# (nftables DNAT in the node namespace) carries its backend from conntrack
# in dnat_ip/dnat_port.  Root only (SKIP otherwise).
set -u
. "${TOP:-.}/tests/it/identity_lib.inc"
need_root nft

NS_CLI=pfic$RUN
NS_A=pfia$RUN
NS_B=pfib$RUN
IF_CLI=$(printf 'cali%07x0001' "$RUN")
IF_A=$(printf 'cali%07x000a' "$RUN")
IF_B=$(printf 'cali%07x000b' "$RUN")
CLI_IP=198.18.3.10
POD_IP=198.18.3.20
SVC_IP=198.19.0.10

calico_node
calico_pod "$NS_CLI" "$CLI_IP" "$IF_CLI"
calico_pod "$NS_A" "$POD_IP" "$IF_A"
wait_ping "$NS_CLI" "$POD_IP"

# The cluster as kubectl shows it before: client and web-a, the Service,
# the node, the namespace.
common_yaml() {
    pod_yaml shop client "$CLI_IP" client
    cat <<EOF
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop, labels: {team: a}}
- apiVersion: v1
  kind: Service
  metadata: {namespace: shop, name: web, creationTimestamp: "2020-01-01T00:00:00Z"}
  spec:
    clusterIP: $SVC_IP
    selector: {app: web}
    ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
- apiVersion: v1
  kind: Node
  metadata: {name: node1, labels: {kubernetes.io/hostname: node1}}
  status:
    addresses: [{type: InternalIP, address: 198.19.255.1}, {type: Hostname, address: node1}]
EOF
}
{ common_yaml; pod_yaml shop web-a "$POD_IP" web; } | inv_write

# Calico's IPAM blocks as BIRD routes them: this node's own block a
# blackhole, another node's through the peer; and a route of someone else
# (not Calico's protocol), which is no pod network (§11).
in_node ip route add blackhole 198.18.3.0/26 proto bird || fail "blackhole route"
in_node ip route add 198.18.6.64/26 dev lo proto bird || fail "peer block route"
in_node ip route add 198.18.9.0/24 dev lo proto static || fail "static route"

capture_start -i 'cali*' --inventory "$INV"

# Each flow is seen on two veths (the client's and the server's): two rows,
# one per interface; the checks take the first or the distinct values.

# 1. client -> web-a
serve "$NS_A" 8080
connect "$NS_CLI" "$POD_IP" 8080 40001

# 2. web-a deleted; web-b gets its address, behind a new veth; kubectl's
#    output refreshed.
sleep 0.3
del_pod "$NS_A" "$IF_A"
sleep 0.3
START_B=$(now_rfc3339)
calico_pod "$NS_B" "$POD_IP" "$IF_B"
{ common_yaml; pod_yaml shop web-b "$POD_IP" web "$START_B"; } | inv_write
serve "$NS_B" 8080
sleep 2.5 # the file holds still for a second, then the next tick reloads it
connect "$NS_CLI" "$POD_IP" 8080 40002

# 3. the Service: DNAT in the node namespace, as kube-proxy would.
in_node nft -f - <<EOF || fail "nft"
table ip pfsvc {
    chain prerouting {
        type nat hook prerouting priority -100;
        ip daddr $SVC_IP tcp dport 80 dnat to $POD_IP:8080
    }
}
EOF
connect "$NS_CLI" "$SVC_IP" 80 40003
sleep 0.5
capture_stop

# --- checks ------------------------------------------------------------------
expect "client endpoint: pod, labels, interface, validity, source" \
    "$(q "SELECT kind, namespace, name, labels, iface, coalesce(valid_from_ns, 'null'),
              coalesce(valid_to_ns, 'null'), source, workload_kind, workload, service_account
          FROM endpoints WHERE ip = '$CLI_IP'")" \
    "pod shop client {\"app\":\"client\",\"pod-template-hash\":\"5d8f9c7b6\"} $IF_CLI null null inventory Deployment client client-sa"

F1=$(q "SELECT min(first_ns) FROM flows WHERE src_port = 40001 AND dst_port = 8080")
F2=$(q "SELECT min(first_ns) FROM flows WHERE src_port = 40002 AND dst_port = 8080")
[ -n "$F1" ] && [ -n "$F2" ] || fail "flows missing: '$F1' '$F2'"
A_TO=$(q "SELECT valid_to_ns FROM endpoints WHERE name = 'web-a' AND iface = '$IF_A'")
[ -n "$A_TO" ] && [ "$A_TO" -gt "$F1" ] && [ "$A_TO" -lt "$F2" ] ||
    fail "web-a's interval should end between the two flows: to '$A_TO', flows $F1 $F2"
echo "ok: web-a holds $POD_IP on $IF_A until its route went ($A_TO)"
B_FROM=$(q "SELECT valid_from_ns FROM endpoints WHERE name = 'web-b' AND iface = '$IF_B'")
[ -n "$B_FROM" ] && [ "$B_FROM" -ge "$A_TO" ] && [ "$B_FROM" -le "$F2" ] ||
    fail "web-b on $IF_B should start between web-a's end and the second flow: '$B_FROM'"
echo "ok: web-b holds $POD_IP on $IF_B from its route's appearance ($B_FROM)"
expect "web-b is open-ended" \
    "$(q "SELECT count(*) FROM endpoints WHERE name = 'web-b' AND valid_to_ns IS NULL")" "1"

expect "flow 1 is web-a's" \
    "$(q "SELECT DISTINCT src_name, dst_name, dst_workload, dst_iface FROM flows_named
          WHERE src_port = 40001 AND dst_port = 8080")" "client web-a web $IF_A"
expect "flow 2 (same IP, reused) is web-b's" \
    "$(q "SELECT DISTINCT src_name, dst_name, dst_iface FROM flows_named
          WHERE src_port = 40002 AND dst_port = 8080")" "client web-b $IF_B"

expect "the Service flow carries its backend (conntrack)" \
    "$(q "SELECT DISTINCT dst_kind, dst_name, dnat_ip, dnat_port, dnat_name FROM flows_named
          WHERE src_port = 40003 AND dst_ip = '$SVC_IP' AND dst_port = 80")" \
    "service web $POD_IP 8080 web-b"
expect "flows not translated carry no dnat" \
    "$(q "SELECT count(*) FROM flows WHERE dst_ip = '$POD_IP' AND dnat_ip IS NOT NULL")" "0"

expect "the node's address is a host endpoint" \
    "$(q "SELECT kind, name FROM endpoints WHERE ip = '198.19.255.1'")" "host node1"
expect "netlink saw both veths behind $POD_IP" \
    "$(q "SELECT group_concat(iface || ':' || via, ' ') FROM
          (SELECT iface, via FROM ip_ifaces WHERE ip = '$POD_IP' ORDER BY id)")" \
    "$IF_A:route $IF_B:route"
expect "Calico's block routes are pod networks (the blackhole: this node's)" \
    "$(q "SELECT group_concat(cidr || ':' || coalesce(node, '-') || ':' || source, ' ') FROM
          (SELECT * FROM pod_networks ORDER BY cidr)")" \
    "198.18.3.0/26:node1:netlink 198.18.6.64/26:-:netlink"
expect "namespaces from the inventory" \
    "$(q "SELECT labels FROM namespaces WHERE name = 'shop'")" \
    '{"kubernetes.io/metadata.name":"shop","team":"a"}'
echo "identity_calico: all checks passed"
