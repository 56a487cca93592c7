#!/bin/sh
# analyze_hep_groups.sh: flows that differ only in the host endpoint that
# judged them (docs/semantics.md §17.3: the interface a flow crossed picks
# it) are never folded into one group, whatever the number of threads.
# Two flows from outside to the node's address on the same port, one in by
# eth0, one by eth1, each interface with a host endpoint of its own: both
# allowed by the same rule, at different host endpoints.
. "$TOP/tests/it/analyze_lib.inc"
make_case "$tmp/case.db" \
    "INSERT INTO interfaces (id, capture_id, name, ifindex, appeared_ns) VALUES
        (4, 1, 'eth0', 2, 1714557600000000000), (5, 1, 'eth1', 3, 1714557600000000000)" \
    "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,
        last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, history, iface) VALUES
        (8, 1, 6, '198.18.9.9', 40008, '198.18.0.1', 8080, 1714557650000000000,
         1714557651000000000, 6, 600, 5, 900, 'SF', 'ShADadFf', 4),
        (9, 1, 6, '198.18.9.9', 40009, '198.18.0.1', 8080, 1714557652000000000,
         1714557653000000000, 6, 600, 5, 900, 'SF', 'ShADadFf', 5)"
cat > "$tmp/p.yaml" <<'YAML'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-a-eth0, labels: {role: node}}
spec: {node: node-a, interfaceName: eth0, expectedIPs: [198.18.0.1]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-a-eth1, labels: {role: node}}
spec: {node: node-a, interfaceName: eth1}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: node-in}
spec:
  selector: role == 'node'
  types: [Ingress]
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [8080]}}
YAML
for j in 1 2; do
    for g in tuple workload; do
        "$A" check "$tmp/case.db" -p "$tmp/p.yaml" --jobs $j -g $g -o json > "$tmp/g.jsonl" 2> "$tmp/err"
        expect "-g $g --jobs $j: exit" $? 0
        expect "-g $g --jobs $j: one group per host endpoint" \
            "$(jq_sql "$tmp/g.jsonl" "SELECT group_concat((v->'decided_by'->>'host_endpoint') || ' ' || (v->>'flows'), '; ') FROM (SELECT v FROM t WHERE v->>'dst_port' = 8080 ORDER BY v->'decided_by'->>'host_endpoint')")" \
            "node-a-eth0 1; node-a-eth1 1"
    done
done
finish
