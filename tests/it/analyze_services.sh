#!/bin/sh
# analyze_services.sh: never a confident wrong verdict (issue 12), on pcaps
# this test writes (tests/tools/mkflows) as tcpdump records them, turned
# into cases by podflow-capture -r (no netlink, no conntrack), with the FME
# inventory plus its Services and EndpointSlices
# (tests/fixtures/services/fme-services.yaml) and the FME policies:
#   - both legs of a ClusterIP connection (what `tcpdump -i any -Q in` sees:
#     the client's SYN to the Service, the backend's SYN-ACK after the DNAT)
#     are paired, and the flow is judged against that backend;
#   - with only the pre-DNAT leg, every ready backend is judged: one, all
#     agreeing, or disagreeing (unknown, naming which allow and which deny);
#   - an address of the pod network without an identity is unknown;
#   - a kubelet probe (the node's address to a pod on it) is not policed;
#   - show counts the translations honestly.
. "$TOP/tests/it/analyze_lib.inc"
need_pcap_tools
FME=$TOP/samples/fme
CUR=$FME/policies/current
printf -- '---\n' > "$tmp/sep"
cat "$FME/inventory.yaml" "$tmp/sep" "$TOP/tests/fixtures/services/fme-services.yaml" > "$tmp/inv.yaml"

# Both legs, as tcpdump -i any -Q in on worker-1 writes them: the engine's
# packets to the core Service enter on its link; the core's answers enter on
# the core's link, already translated.
"$MK" "$tmp/both.pcap" <<'FLOWS' || exit 1
0    tcp-out  198.18.1.21 40001 198.19.0.70 7070
0    tcp-back 198.18.1.21 40001 198.18.1.10 7070
100  tcp-s0   198.18.1.21 40002 198.19.0.70 42001
FLOWS
"$C" -q -w "$tmp/both.db" -r "$tmp/both.pcap" --node worker-1 --inventory "$tmp/inv.yaml" ||
    fail "capture both.pcap"
"$A" check "$tmp/both.db" -p "$CUR" -f json > "$tmp/both.jsonl" 2> "$tmp/both.err"
rc=$?
expect "both legs: exit 1 (the job port is denied)" "$rc" 1
expect "both legs: one line per connection" "$(grep -c . "$tmp/both.jsonl")" 2
expect "both legs: paired, judged against the backend" \
    "$(jq_sql "$tmp/both.jsonl" "SELECT v->>'verdict' || ' ' || (v->>'translation') || ' ' || (v->>'service_ip') || ' ' || (v->'dst'->>'name') || ' ' || (v->'decided_by'->>'rule') || ' ' || json_array_length(v->'ends') || ' ' || (v->>'observed') FROM t WHERE v->>'src_port' = 40001")" \
    "allow paired 198.19.0.70 core-0 0 2 ok"
expect "both legs: the unanswered job connection, through its one backend" \
    "$(jq_sql "$tmp/both.jsonl" "SELECT v->>'verdict' || ' ' || (v->>'translation') || ' ' || (v->'service'->>'name') || ' ' || (v->'service'->>'backends') || ' ' || (v->'decided_by'->>'reason') || ' ' || (v->>'agreement') FROM t WHERE v->>'src_port' = 40002")" \
    "deny backends core 1 end-of-tier explained"
"$A" show "$tmp/both.db" > "$tmp/show" || fail "show both.db"
expect "show: coverage" "$(grep -A3 '^flows to a Service address' "$tmp/show" | tr '\n' '|')" \
    "flows to a Service address: 2|  with a recorded translation (conntrack): 0|  paired with their post-DNAT leg: 1|  judged against every ready backend: 1|"

# Only the pre-DNAT leg: a capture of the clients' links (both ways).
"$MK" "$tmp/pre.pcap" <<'FLOWS' || exit 1
0    tcp      198.18.1.22 41001 198.19.0.70 7070
10   tcp      198.18.1.10 41002 198.19.0.75 7500
20   tcp      198.18.1.21 41003 198.19.0.54 5432
30   tcp      198.18.1.99 41004 198.18.1.10 7070
40   tcp      198.18.0.1  41005 198.18.1.30 8080
50   tcp      198.18.1.50 41006 198.18.1.30 8080
FLOWS
"$C" -q -w "$tmp/pre.db" -r "$tmp/pre.pcap" --node worker-1 --inventory "$tmp/inv.yaml" ||
    fail "capture pre.pcap"
"$A" check "$tmp/pre.db" -p "$CUR" -f json > "$tmp/pre.jsonl" 2> "$tmp/pre.err"
expect "pre-DNAT: exit 0 (nothing denied)" "$?" 0
row() { jq_sql "$tmp/pre.jsonl" "SELECT $1 FROM t WHERE v->>'src_port' = $2"; }
expect "one backend" "$(row "v->>'verdict' || ' ' || (v->>'translation') || ' ' || (v->>'why')" 41001)" \
    "allow backends via Service fme/core, backend not recorded: its one ready backend"
expect "two backends agree" "$(row "v->>'verdict' || ' ' || (v->>'why') || ' ' || (v->'service'->>'agree')" 41002)" \
    "allow via Service fme/engines, backend not recorded, all 2 backends agree 1"
expect "backends disagree: unknown" "$(row "v->>'verdict' || ' ' || (v->'decided_by'->>'reason') || ' ' || (v->>'agreement')" 41003)" \
    "unknown backends-disagree unknown"
expect "backends disagree: which" \
    "$(jq_sql "$tmp/pre.jsonl" "SELECT group_concat(b.value->>'name' || '=' || (b.value->>'verdict'), ' ') FROM t, json_each(v->'service'->'judged') AS b WHERE v->>'src_port' = 41003")" \
    "fme/core-0=deny fme/postgresql-0=allow"
expect "an address of the pod network without an identity" \
    "$(row "v->>'verdict' || ' ' || (v->'decided_by'->>'reason') || ' ' || (v->>'why')" 41004)" \
    "unknown source-unidentified the source 198.18.1.99 lies in pod network 198.18.1.0/24 (inventory, node worker-1) and has no identity at the flow's time"
expect "kubelet probe: the node to its pod, not policed" \
    "$(row "v->>'verdict' || ' ' || (v->'decided_by'->>'reason') || ' ' || (v->'decided_by'->>'direction')" 41005)" \
    "allow host-to-local-workload ingress"
expect "direct pod to pod: as before" \
    "$(row "v->>'verdict' || ' ' || (v->'decided_by'->>'policy')" 41006)" \
    "allow ingress-nginx/application.ingress-nginx"
"$A" check "$tmp/pre.db" -p "$CUR" > "$tmp/pre.txt"
expect "table: the summary counts unknown" "$(grep '^6 flows' "$tmp/pre.txt")" \
    "6 flows: 4 allowed, 0 denied, 2 unknown; observed 6 ok, 0 failed, 0 unknown"
expect "table: which backends allow and which deny" \
    "$(grep -A2 'backends-disagree\|of 2 backends' "$tmp/pre.txt" | grep -c '^      allow: fme/postgresql-0$\|^      deny: fme/core-0$')" 2
"$A" check "$tmp/pre.db" -p "$CUR" --strict > /dev/null
expect "--strict: an unknown counts as denied" "$?" 1
"$A" check "$tmp/pre.db" -p "$CUR" --only unknown -f csv > "$tmp/pre.csv"
expect "csv: --only unknown" "$(tail -n +2 "$tmp/pre.csv" | cut -d, -f7 | sort | uniq -c | tr -s ' ')" " 2 unknown"

# The same flows under the policies before this change's rules would have
# been judged against the Service address: diff shows no difference
# between current and current, and classes unknown ones.
"$A" diff "$tmp/pre.db" --old "$CUR" --new "$FME/policies/proposed" > "$tmp/diff.txt"
expect "diff: runs on a case with Services" "$?" 0

# services rules: matched through the EndpointSlices, on a direct flow.
cat > "$tmp/svcrule.yaml" <<'EOF2'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: to-core-service}
spec:
  order: 10
  selector: safe.k8s.fmeserver.component == "engine"
  types: [Egress]
  egress:
  - action: Allow
    destination:
      services: {name: core, namespace: fme}
  - action: Deny
    protocol: TCP
    destination:
      ports: [7071]
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: from-engines}
spec:
  order: 20
  selector: app.kubernetes.io/name == "postgresql"
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source:
      services: {name: engines, namespace: fme}
    destination:
      ports: [5432]
  - action: Deny
EOF2
"$MK" "$tmp/direct.pcap" <<'FLOWS' || exit 1
0    tcp      198.18.1.21 42001 198.18.1.10 7070
10   tcp      198.18.1.21 42002 198.18.1.10 7071
20   tcp      198.18.1.22 42003 198.18.1.40 5432
FLOWS
"$C" -q -w "$tmp/direct.db" -r "$tmp/direct.pcap" --node worker-1 --inventory "$tmp/inv.yaml" ||
    fail "capture direct.pcap"
"$A" check "$tmp/direct.db" -p "$tmp/svcrule.yaml" -f json > "$tmp/direct.jsonl" 2>/dev/null
drow() { jq_sql "$tmp/direct.jsonl" "SELECT $1 FROM t WHERE v->>'src_port' = $2"; }
expect "destination.services: a backend's address and port match" \
    "$(drow "v->>'verdict' || ' ' || (v->'decided_by'->>'policy') || ' ' || (v->'decided_by'->>'rule')" 42001)" \
    "allow to-core-service 0"
expect "destination.services: another port of the backend does not" \
    "$(drow "v->>'verdict' || ' ' || (v->'decided_by'->>'rule')" 42002)" "deny 1"
expect "source.services: an endpoint of the Service matches" \
    "$(drow "v->>'verdict' || ' ' || (v->'policies'->'ingress'->>0)" 42003)" \
    "allow 0|default|default.from-engines|allow|0"
finish
