#!/bin/sh
# analyze_netset_ns.sh: a namespaced NetworkSet inherits its namespace's
# labels (pcns.*) through the kns.<ns> profile, as Calico's network-set
# processor gives it (docs/semantics.md §2.4): a rule with namespaceSelector
# and selector chooses it.  The set is given as kubectl prints it without
# the Calico API server (its labels inside the projectcalico.org/metadata
# annotation, §14).
. "$TOP/tests/it/analyze_lib.inc"

# The FME case, plus a namespace 'partners' (labelled tier=external) and an
# engine's connection to a partner API outside the cluster.
make_case "$tmp/case.db" \
    "INSERT INTO namespaces (name, labels) VALUES ('partners', '{\"kubernetes.io/metadata.name\":\"partners\",\"tier\":\"external\"}')" \
    "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, history, iface) VALUES (8, 1, 6, '198.18.1.21', 40008, '203.0.113.5', 443, 1714557650000000000, 1714557651000000000, 6, 500, 5, 700, 'SF', 'ShADadFf', 1)"

cat > "$tmp/pol.yaml" <<'YAML'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: engine-egress
spec:
  selector: safe.k8s.fmeserver.component == "engine"
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      namespaceSelector: tier == "external"
      selector: role == "partner-api"
      ports: [443]
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkSet
metadata:
  name: partner-apis
  namespace: partners
  annotations:
    projectcalico.org/metadata: '{"creationTimestamp":null,"labels":{"role":"partner-api"}}'
spec:
  nets:
  - 203.0.113.0/24
YAML

"$A" check "$tmp/case.db" -p "$tmp/pol.yaml" --format json > "$tmp/out.jsonl" 2> "$tmp/err"
w="FROM t WHERE v->>'dst_ip' = '203.0.113.5'"
expect "partner flow allowed" "$(jq_sql "$tmp/out.jsonl" "SELECT v->>'verdict' $w")" allow
expect "by the engine policy's rule 0" \
    "$(jq_sql "$tmp/out.jsonl" "SELECT (v->'decided_by'->>'policy') || ' ' || (v->'decided_by'->>'rule') $w")" \
    "engine-egress 0"
# The same set in another namespace (not tier=external) is not chosen.
sed 's/namespace: partners/namespace: fme/' "$tmp/pol.yaml" > "$tmp/other.yaml"
"$A" check "$tmp/case.db" -p "$tmp/other.yaml" --format json > "$tmp/out2.jsonl" 2> "$tmp/err"
expect "a set of a namespace the selector does not choose" \
    "$(jq_sql "$tmp/out2.jsonl" "SELECT v->>'verdict' $w")" deny
# A GlobalNetworkSet inherits nothing.
sed 's/^kind: NetworkSet/kind: GlobalNetworkSet/; /namespace: partners/d' "$tmp/pol.yaml" > "$tmp/global.yaml"
"$A" check "$tmp/case.db" -p "$tmp/global.yaml" --format json > "$tmp/out3.jsonl" 2> "$tmp/err"
expect "a GlobalNetworkSet is not chosen by a namespaceSelector" \
    "$(jq_sql "$tmp/out3.jsonl" "SELECT v->>'verdict' $w")" deny
finish
