#!/bin/bash
# testbed_hep.sh: issue 13's host endpoint test on a real kernel.
#
# The testbed node (tests/testbed/hep/topology) gets a host outside it,
# "ext", behind one of its own interfaces (an uplink, "eth" + 8 hex
# digits, the node holding 198.18.200.1 there), and one pod.  Policies
# (written below): a HostEndpoint for that interface of node worker-1, with
# the node's address as its expected IP, and a GlobalNetworkPolicy that
# selects it and lets TCP 8080 in.  nftables in the node enforces the same
# (tests/testbed/hep/rules.nft: Felix's failsafe inbound ports, the policy,
# the tier's end).  The node serves TCP 8080, 9090 and 22; ext connects to
# each, and to the pod (forwarded through the node, which no applyOnForward
# policy governs).  podflow-capture records the uplink in the node, and
# `check` must agree with the dataplane:
#   - 8080 allowed by rule 0 of node-ingress at the host endpoint,
#   - 9090 denied at the end of the default tier (the host endpoint was
#     selected and nothing allowed it),
#   - 22 allowed by Felix's failsafe inbound ports before any policy,
#   - the forwarded flow to the pod allowed, the host endpoint not judging
#     it (no applyOnForward policy),
# each naming the host endpoint that decided, and the decisions it reports
# being exactly the nftables rules that counted packets.
#
# Needs root: exit 0 pass, 77 skip, else fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
B=${B:-build}
. "$TOP/tests/it/testbed_lib.inc"
HEP=$TOP/tests/testbed/hep

. "$TOP/tests/testbed/testbed.sh"
tb_init || exit 1
TB_CLEANUP_HOOK='[ -n "${cap_pid:-}" ] && kill -KILL $cap_pid 2>/dev/null'
tb_up "$HEP/topology" || exit 1
tb_policy "$HEP/rules.nft" || exit 1
tb_serve - tcp:22 tcp:8080 tcp:9090 || exit 1
up=$(tb_iface ext)
node_ip=198.18.200.1
db=$TB_DIR/case.db
out=$TB_DIR
pol=$out/policies
mkdir -p "$pol"
cat > "$pol/hep.yaml" <<EOF
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: worker-1-uplink
  labels: {role: uplink}
spec:
  node: worker-1
  interfaceName: $up
  expectedIPs: [$node_ip]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: node-ingress
spec:
  selector: role == 'uplink'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8080]
EOF
tb_inventory worker-1 > "$out/inventory.yaml"

# --- capture the uplink ------------------------------------------------------------
ip netns exec "$TB_NODE" "$C" -w "$db" -i "$up" -q --node worker-1 --commit-interval 1 \
    --inventory "$out/inventory.yaml" 2> "$out/capture.log" &
cap_pid=$!
for _ in $(seq 50); do
    [ "$(sqlite3 "$db" 'SELECT count(*) FROM interfaces' 2>/dev/null)" = 1 ] && break
    kill -0 $cap_pid 2>/dev/null || break
    sleep 0.2
done
expect "capture follows the uplink" "$(sqlite3 "$db" 'SELECT group_concat(name) FROM interfaces' 2>&1)" "$up"
expect "ext -> node TCP 8080 (allowed)" "$(tb_connect ext tcp "$node_ip" 8080)" ok
expect "ext -> node TCP 9090 (denied)" "$(tb_connect -w 1500 ext tcp "$node_ip" 9090)" timeout
expect "ext -> node TCP 22 (failsafe)" "$(tb_connect ext tcp "$node_ip" 22)" ok
expect "ext -> web TCP 80 (forwarded)" "$(tb_connect ext tcp web 80)" ok
sleep 0.5
kill -INT $cap_pid
wait $cap_pid
expect "capture exit status after SIGINT" $? 0
cap_pid=
sed 's/^/    capture: /' "$out/capture.log"
tb_node nft list ruleset > "$out/ruleset.txt"

# --- check ------------------------------------------------------------------------
"$A" check "$db" -p "$pol" --format json > "$out/check.jsonl" 2> "$out/check.err"
expect "check: exit status (something denied)" $? 1
sed 's/^/    check: /' "$out/check.err"
# verdict reason host_endpoint last-ingress-trace-entry, per destination port
row() {
    jl "$out/check.jsonl" "SELECT (v->>'verdict') || ' ' || (v->'decided_by'->>'reason') || ' ' ||
        coalesce(v->'decided_by'->>'host_endpoint', '-') || ' ' ||
        coalesce((SELECT p.value FROM json_each(v->'policies'->'ingress') p
                  ORDER BY p.key DESC LIMIT 1), '-')
        FROM t WHERE v->>'dst_ip' = '$1' AND v->>'dst_port' = $2"
}
expect "check: 8080" "$(row "$node_ip" 8080)" \
    "allow rule worker-1-uplink 0|default|default.node-ingress|allow|0"
expect "check: 9090" "$(row "$node_ip" 9090)" \
    "deny end-of-tier worker-1-uplink 0|default|default.node-ingress|deny|-1"
expect "check: 22" "$(row "$node_ip" 22)" \
    "allow failsafe worker-1-uplink 0|__FAILSAFE__|__FAILSAFE__.inbound|allow|-1"
expect "check: forwarded to the pod, not judged at the host endpoint" \
    "$(jl "$out/check.jsonl" "SELECT (v->>'verdict') || ' ' || coalesce(v->'decided_by'->>'host_endpoint', '-')
        FROM t WHERE v->>'dst_ip' = '$(tb_ip web)'")" "allow -"
# The decisions `check` reports at the host endpoint are exactly the
# nftables rules that counted packets (each rule's comment is the trace
# entry without its position).
jl "$out/check.jsonl" "
    SELECT DISTINCT substr(p.value, instr(p.value, '|') + 1) FROM t, json_each(v->'policies'->'ingress') p
    WHERE v->'decided_by'->>'host_endpoint' IS NOT NULL
      AND p.key = json_array_length(v->'policies'->'ingress') - 1
    ORDER BY 1" > "$out/analyzer-decisions.txt"
grep -E 'counter packets [1-9][0-9]* ' "$out/ruleset.txt" | sed -n 's/.* comment "\(.*\)"$/\1/p' |
    sort -u > "$out/nft-decisions.txt"
if [ -s "$out/nft-decisions.txt" ] && cmp -s "$out/analyzer-decisions.txt" "$out/nft-decisions.txt"; then
    ok "host endpoint decisions = the nftables rules that counted packets ($(wc -l < "$out/nft-decisions.txt"))"
else
    fail "host endpoint decisions differ from the nftables rules that counted packets"
    diff "$out/nft-decisions.txt" "$out/analyzer-decisions.txt" | sed 's/^/    /'
fi
# --explain names the host endpoint and the failsafe.
"$A" check "$db" -p "$pol" --explain > "$out/explain.txt" 2>&1
grep -q "host endpoint worker-1-uplink" "$out/explain.txt" && ok "--explain names the host endpoint" ||
    fail "--explain does not name the host endpoint"
grep -q "failsafe inbound" "$out/explain.txt" && ok "--explain names the failsafe" ||
    fail "--explain does not name the failsafe"

[ $failures -eq 0 ] || { echo "$failures check(s) failed; files in $out"; exit 1; }
echo "all checks passed"
