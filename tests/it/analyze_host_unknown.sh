#!/bin/sh
# analyze_host_unknown.sh: host traffic as Felix treats it, and verdicts
# the case cannot back (issue 12, docs/semantics.md §11, §13), on a pcap
# this test writes (tests/tools/mkflows):
#   - a case without identities: its first line says so and how to add
#     them, every verdict is unknown (exit 0; --strict: 1), JSON says why;
#   - with the inventory: a kubelet probe (the node's address to a pod on
#     it) is allowed under a default-deny ingress, another node's is not;
#     a pod's traffic to its own node is accepted after its egress, as
#     Calico installs configure Felix, dropped with a FelixConfiguration
#     that says Drop, and the table says which applied.
. "$TOP/tests/it/analyze_lib.inc"
need_pcap_tools

cat > "$tmp/inv.yaml" <<'EOF2'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: node-a}
  spec: {podCIDR: 198.18.4.0/24}
  status: {addresses: [{type: InternalIP, address: 198.18.0.4}]}
- apiVersion: v1
  kind: Node
  metadata: {name: node-b}
  spec: {podCIDR: 198.18.5.0/24}
  status: {addresses: [{type: InternalIP, address: 198.18.0.5}]}
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-0, namespace: shop, labels: {app: web}}
  spec: {nodeName: node-a, containers: [{name: web, ports: [{containerPort: 8080}]}]}
  status: {podIP: 198.18.4.10, phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: agent-0, namespace: shop, labels: {app: agent}}
  spec: {nodeName: node-a, containers: [{name: agent}]}
  status: {podIP: 198.18.4.11, phase: Running}
EOF2
cat > "$tmp/pol.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
EOF2
"$MK" "$tmp/node-a.pcap" <<'FLOWS' || exit 1
0    tcp      198.18.0.4  50001 198.18.4.10 8080
10   tcp      198.18.0.5  50002 198.18.4.10 8080
20   tcp      198.18.4.11 50003 198.18.0.4  10250
30   tcp      198.18.4.11 50004 198.18.4.10 8080
FLOWS

# Without identities.
"$C" -q -w "$tmp/bare.db" -r "$tmp/node-a.pcap" --node node-a || fail "capture bare"
"$A" check "$tmp/bare.db" -p "$tmp/pol.yaml" > "$tmp/bare.txt" 2>&1
expect "no identities: exit 0" "$?" 0
expect "no identities: the first line says so" "$(head -1 "$tmp/bare.txt")" \
    "# no identities: the case names no pod or Service (captured without --inventory),"
expect "no identities: and how to add them" "$(grep -c '^#   podflow-analyze inventory CASE.db inv.yaml$' "$tmp/bare.txt")" 1
expect "no identities: every verdict unknown" "$(grep '^4 flows' "$tmp/bare.txt")" \
    "4 flows: 0 allowed, 0 denied, 4 unknown; observed 4 ok, 0 failed, 0 unknown"
"$A" check "$tmp/bare.db" -p "$tmp/pol.yaml" --strict > /dev/null 2>&1
expect "no identities: --strict makes that exit 1" "$?" 1
"$A" check "$tmp/bare.db" -p "$tmp/pol.yaml" -f json > "$tmp/bare.jsonl" 2> "$tmp/bare.err"
expect "no identities: json verdicts" \
    "$(jq_sql "$tmp/bare.jsonl" "SELECT group_concat(DISTINCT (v->>'verdict') || ':' || (v->'decided_by'->>'reason')) FROM t")" \
    "unknown:no-identities"
expect "no identities: said once on stderr for json" "$(grep -c 'warning: no identities.*podflow-analyze inventory' "$tmp/bare.err")" 1

# The inventory added after the fact: the same pcap, judged.
"$A" inventory "$tmp/bare.db" "$tmp/inv.yaml" > /dev/null || fail "inventory"
"$A" check "$tmp/bare.db" -p "$tmp/pol.yaml" -f json > "$tmp/inv.jsonl"
expect "with identities: exit 1 (the other node and the pod are denied)" "$?" 1
row() { jq_sql "$tmp/inv.jsonl" "SELECT $1 FROM t WHERE v->>'src_port' = $2"; }
expect "kubelet probe from its own node: not policed" \
    "$(row "v->>'verdict' || ' ' || (v->'decided_by'->>'reason') || ' ' || (v->'src'->>'kind')" 50001)" \
    "allow host-to-local-workload host"
expect "the other node's address: policed" \
    "$(row "v->>'verdict' || ' ' || (v->'decided_by'->>'reason')" 50002)" "deny end-of-tier"
expect "pod to its own node: accepted after its egress" \
    "$(row "v->>'verdict' || ' ' || (v->'decided_by'->>'reason') || ' ' || (v->'decided_by'->>'action') || ' ' || coalesce(v->'decided_by'->>'policy', 'null')" 50003)" \
    "allow endpoint-to-host Accept null"
expect "pod to pod: policed" "$(row "v->>'verdict'" 50004)" "deny"

cat > "$tmp/felix.yaml" <<'EOF2'
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec:
  defaultEndpointToHostAction: Drop
  logSeverityScreen: Info
EOF2
"$A" check "$tmp/bare.db" -p "$tmp/pol.yaml" -p "$tmp/felix.yaml" -f json > "$tmp/drop.jsonl" 2> "$tmp/drop.err"
expect "FelixConfiguration Drop: the pod's traffic to its node is dropped" \
    "$(jq_sql "$tmp/drop.jsonl" "SELECT v->>'verdict' || ' ' || (v->'decided_by'->>'direction') || ' ' || (v->'decided_by'->>'action') || ' ' || (v->'decided_by'->>'policy') FROM t WHERE v->>'src_port' = 50003")" \
    "deny ingress Drop FelixConfiguration default"
expect "FelixConfiguration Drop: a warning that installs set it by environment" \
    "$(grep -c 'FELIX_DEFAULTENDPOINTTOHOSTACTION' "$tmp/drop.err")" 1
"$A" check "$tmp/bare.db" -p "$tmp/pol.yaml" > "$tmp/inv.txt"
expect "table: says which applied" \
    "$(grep -c 'to its own node: defaultEndpointToHostAction Accept (Calico.s installs. ACCEPT)' "$tmp/inv.txt")" 1
finish
