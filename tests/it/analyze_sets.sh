#!/bin/sh
# analyze_sets.sh: what names the network sets and host endpoints (issue
# 15, item 3).  check --explain lists the NetworkSets, GlobalNetworkSets and
# HostEndpoints each end's address belongs to, and says when a namespaced
# rule's selector would match a GlobalNetworkSet's or HostEndpoint's labels
# but cannot reach it without namespaceSelector: global(); select -p
# matches network sets and host endpoints beside pods.
. "$TOP/tests/it/analyze_lib.inc"
# The FME case plus a flow from the web pod to a payment API outside.
make_case "$tmp/case.db" "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip,
    dst_port, first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, history)
    VALUES (8, 1, 6, '198.18.1.30', 40008, '203.0.113.7', 443, 1714557650000000000,
    1714557651000000000, 6, 600, 5, 900, 'SF', 'ShADadFf')"
mkdir -p "$tmp/p" "$tmp/g"
sets='apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: payment-apis
  labels: {role: payment}
spec:
  nets: [203.0.113.0/24]
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: fme, labels: {role: partner}}
spec:
  nets: [203.0.113.0/28]'
printf '%s\n' "$sets" > "$tmp/p/sets.yaml"
printf '%s\n' "$sets" > "$tmp/g/sets.yaml"
pol='apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-egress, namespace: fme}
spec:
  selector: safe.k8s.fmeserver.component == "web"
  types: [Egress]
  egress:
  - action: Allow
    destination:
      selector: role == "payment"'
printf '%s\n' "$pol" > "$tmp/p/web.yaml"
printf '%s\n      namespaceSelector: global()\n' "$pol" > "$tmp/g/web.yaml"

# Without global(): denied, and --explain says why in so many words.
"$A" check "$tmp/case.db" -p "$tmp/p" --explain --only denied > "$tmp/t.txt"
expect "namespaced rule: denied" $? 1
grep -q "^      destination 203.0.113.7: in GlobalNetworkSet payment-apis (203.0.113.0/24), NetworkSet fme/partners (203.0.113.0/28)$" \
    "$tmp/t.txt" && ok "table: the sets the destination is in" || fail "table: sets: $(grep destination "$tmp/t.txt")"
grep -q "^      source 198.18.1.30: in no network set or host endpoint$" "$tmp/t.txt" && ok "table: the source is in none" ||
    fail "table: source sets: $(grep '      source' "$tmp/t.txt")"
grep -q "GlobalNetworkSet payment-apis holds it and its labels match, but a rule of a namespaced policy reaches global sets only with namespaceSelector: global()" \
    "$tmp/t.txt" && ok "table: the namespaceSelector hint" || fail "table: no hint: $(grep 'rule 0' "$tmp/t.txt")"
"$A" check "$tmp/case.db" -p "$tmp/p" --explain -o json > "$tmp/x.jsonl"
expect "json: dst_sets" "$(jq_sql "$tmp/x.jsonl" "SELECT group_concat(s.value->>'kind' || ' ' || coalesce(s.value->>'namespace', '-') || ' ' || (s.value->>'name') || ' ' || (s.value->>'net'), '; ') FROM t, json_each(v->'trace'->'dst_sets') s WHERE v->>'dst_ip' = '203.0.113.7'")" \
    "GlobalNetworkSet - payment-apis 203.0.113.0/24; NetworkSet fme partners 203.0.113.0/28"
expect "json: src_sets empty" "$(jq_sql "$tmp/x.jsonl" "SELECT json_array_length(v->'trace'->'src_sets') FROM t WHERE v->>'dst_ip' = '203.0.113.7'")" 0
expect "json: hint in the rule's detail" "$(jq_sql "$tmp/x.jsonl" "SELECT count(*) FROM t, json_each(v->'trace'->'egress') p, json_each(p.value->'rules') r WHERE v->>'dst_ip' = '203.0.113.7' AND r.value->>'why' LIKE '%only with namespaceSelector: global()%'")" 1
# No hint where it does not apply: pods in fme are not in a global set.
expect "no hint elsewhere" "$(grep -c 'namespaceSelector: global()' "$tmp/t.txt")" 1

# With namespaceSelector: global(): allowed by the rule.
"$A" check "$tmp/case.db" -p "$tmp/g" -o json > "$tmp/g.jsonl"
expect "global(): allowed by rule 0" "$(jq_sql "$tmp/g.jsonl" "SELECT v->>'verdict' || ' ' || (v->'decided_by'->>'rule') FROM t WHERE v->>'dst_ip' = '203.0.113.7'")" "allow 0"

# select -p: network sets beside pods.
"$A" select "$tmp/case.db" 'role == "payment"' > "$tmp/s0.txt"
grep -q "^0 of 7 endpoints match" "$tmp/s0.txt" && ok "select without -p: pods only" || fail "select without -p: $(tail -1 "$tmp/s0.txt")"
"$A" select "$tmp/case.db" 'role == "payment"' -p "$tmp/p" > "$tmp/s1.txt"
expect "select -p exit" $? 0
grep -q "^203.0.113.0/24 .*GlobalNetworkSet  *-  *payment-apis$" "$tmp/s1.txt" && ok "select -p: the global set" ||
    fail "select -p: $(cat "$tmp/s1.txt")"
grep -q "^0 of 7 endpoints, 1 of 2 network sets, 0 of 0 host endpoints match$" "$tmp/s1.txt" && ok "select -p: summary" ||
    fail "select -p summary: $(tail -1 "$tmp/s1.txt")"
"$A" select "$tmp/case.db" 'has(role)' -p "$tmp/p" -o json > "$tmp/s.jsonl"
expect "select -p json" "$(jq_sql "$tmp/s.jsonl" "SELECT group_concat(v->>'kind' || ' ' || coalesce(v->>'namespace', '-') || ' ' || (v->>'name') || ' ' || (v->>'nets'), '; ') FROM t")" \
    'GlobalNetworkSet - payment-apis ["203.0.113.0/24"]; NetworkSet fme partners ["203.0.113.0/28"]'
expect "select -p json: Calico's labels" "$(jq_sql "$tmp/s.jsonl" "SELECT json_extract(v, '\$.labels.\"projectcalico.org/namespace\"') FROM t WHERE v->>'name' = 'partners'")" fme
"$A" select "$tmp/case.db" 'safe.k8s.fmeserver.component == "web"' -p "$tmp/p" > "$tmp/s2.txt"
grep -q "^1 of 7 endpoints, 0 of 2 network sets, 0 of 0 host endpoints match$" "$tmp/s2.txt" && ok "select -p: pods still" ||
    fail "select -p pods: $(tail -1 "$tmp/s2.txt")"
"$A" select "$tmp/case.db" 'all()' -p "$tmp/nowhere" > /dev/null 2>&1
expect "select -p missing path" $? 2

# Host endpoints (docs/semantics.md §17.2): the payment API is now a node's
# address, expected by a host endpoint with the payment label.
mkdir -p "$tmp/h" "$tmp/hg"
hep='apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: gw-all, labels: {role: payment}}
spec:
  node: gw
  interfaceName: "*"
  expectedIPs: [203.0.113.7, 203.0.113.8]
  profiles: [projectcalico-default-allow]'
printf '%s\n' "$hep" > "$tmp/h/hep.yaml"
printf '%s\n' "$hep" > "$tmp/hg/hep.yaml"
printf '%s\n' "$pol" > "$tmp/h/web.yaml"
printf '%s\n      namespaceSelector: global()\n' "$pol" > "$tmp/hg/web.yaml"
"$A" check "$tmp/case.db" -p "$tmp/h" --explain --only denied > "$tmp/ht.txt"
expect "host endpoint, namespaced rule: denied" $? 1
grep -q "^      destination 203.0.113.7: in HostEndpoint gw-all (node gw, interface \*)$" "$tmp/ht.txt" &&
    ok "table: the host endpoint the destination is in" || fail "table: hep: $(grep destination "$tmp/ht.txt")"
grep -q "HostEndpoint gw-all expects it and its labels match, but a rule of a namespaced policy reaches host endpoints only with namespaceSelector: global()" \
    "$tmp/ht.txt" && ok "table: the namespaceSelector hint for a host endpoint" || fail "table: no hep hint: $(grep 'rule 0' "$tmp/ht.txt")"
"$A" check "$tmp/case.db" -p "$tmp/h" --explain -o json > "$tmp/hx.jsonl"
expect "json: dst_sets with a host endpoint" "$(jq_sql "$tmp/hx.jsonl" "SELECT group_concat(s.value->>'kind' || ' ' || coalesce(s.value->>'namespace', '-') || ' ' || (s.value->>'name') || ' ' || coalesce(s.value->>'net', '-') || ' ' || (s.value->>'node'), '; ') FROM t, json_each(v->'trace'->'dst_sets') s WHERE v->>'dst_ip' = '203.0.113.7'")" \
    "HostEndpoint - gw-all - gw"
"$A" check "$tmp/case.db" -p "$tmp/hg" -o json > "$tmp/hg.jsonl"
expect "host endpoint, global(): allowed by rule 0" "$(jq_sql "$tmp/hg.jsonl" "SELECT v->>'verdict' || ' ' || (v->'decided_by'->>'rule') FROM t WHERE v->>'dst_ip' = '203.0.113.7'")" "allow 0"
"$A" select "$tmp/case.db" 'role == "payment"' -p "$tmp/h" > "$tmp/hs.txt"
expect "select -p host endpoint exit" $? 0
grep -q "^203.0.113.7,203.0.113.8 .*HostEndpoint  *-  *gw-all$" "$tmp/hs.txt" && ok "select -p: the host endpoint" ||
    fail "select -p hep: $(cat "$tmp/hs.txt")"
grep -q "^0 of 7 endpoints, 0 of 0 network sets, 1 of 1 host endpoints match$" "$tmp/hs.txt" &&
    ok "select -p: host endpoint summary" || fail "select -p hep summary: $(tail -1 "$tmp/hs.txt")"
"$A" select "$tmp/case.db" 'role == "other"' -p "$tmp/h" > "$tmp/hs0.txt"
grep -q "^0 of 7 endpoints, 0 of 0 network sets, 0 of 1 host endpoints match$" "$tmp/hs0.txt" &&
    ok "select -p: a host endpoint not matched" || fail "select -p hep miss: $(cat "$tmp/hs0.txt")"
"$A" select "$tmp/case.db" 'all()' -p "$tmp/h" -o json > "$tmp/hs.jsonl"
expect "select -p json: host endpoint" "$(jq_sql "$tmp/hs.jsonl" "SELECT (v->>'node') || ' ' || (v->>'interface') || ' ' || (v->>'expected_ips') || ' ' || (v->>'profiles') || ' ' || json_extract(v, '\$.labels.role') FROM t WHERE v->>'kind' = 'HostEndpoint'")" \
    'gw * ["203.0.113.7","203.0.113.8"] ["projectcalico-default-allow"] payment'
finish
