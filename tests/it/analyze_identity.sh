#!/bin/sh
# analyze_identity.sh: each flow is judged with the identities its
# addresses had at the flow's start, by the rule above schema.sql's
# flows_named view: the analyzer must name exactly the endpoints the view
# names, for reused addresses, open and closed validity, ties on
# valid_from_ns broken by kind then id, and boundaries (valid_to excluded).
. "$TOP/tests/it/analyze_lib.inc"

T0=1714557600000000000
make_case "$tmp/case.db" \
"INSERT INTO endpoints (id, ip, valid_from_ns, valid_to_ns, kind, namespace, name, labels) VALUES
  (30, '198.18.3.1', NULL, $((T0 + 100)), 'pod', 'fme', 'old-pod', '{\"app\":\"old\"}'),
  (31, '198.18.3.1', $((T0 + 100)), NULL, 'pod', 'fme', 'new-pod', '{\"app\":\"new\"}'),
  (32, '198.18.3.2', $((T0 + 50)), NULL, 'host', NULL, 'node-b', '{}'),
  (33, '198.18.3.2', $((T0 + 50)), NULL, 'pod', 'fme', 'tie-pod', '{}'),
  (34, '198.18.3.3', NULL, NULL, 'external', NULL, 'partner', '{}'),
  (35, '198.18.3.3', $((T0 + 10)), $((T0 + 20)), 'service', 'fme', 'svc', '{}'),
  (36, '198.18.3.4', $((T0 + 10)), NULL, 'pod', 'fme', 'late-a', '{}'),
  (37, '198.18.3.4', $((T0 + 10)), NULL, 'pod', 'fme', 'late-b', '{}');" \
"INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                    packets_fwd, bytes_fwd, packets_rev, bytes_rev, state) VALUES
  (200, 1, 6, '198.18.3.1', 1, '198.18.3.2', 80, $((T0 + 99)), $((T0 + 200)), 1, 60, 0, 0, 'S0'),
  (201, 1, 6, '198.18.3.1', 2, '198.18.3.2', 80, $((T0 + 100)), $((T0 + 200)), 1, 60, 0, 0, 'S0'),
  (202, 1, 6, '198.18.3.3', 3, '198.18.3.2', 80, $((T0 + 15)), $((T0 + 200)), 1, 60, 0, 0, 'S0'),
  (203, 1, 6, '198.18.3.3', 4, '198.18.3.2', 80, $((T0 + 20)), $((T0 + 200)), 1, 60, 0, 0, 'S0'),
  (204, 1, 6, '198.18.3.4', 5, '198.18.3.9', 80, $((T0 + 10)), $((T0 + 200)), 1, 60, 0, 0, 'S0'),
  (205, 1, 6, '198.18.3.4', 6, '198.18.3.2', 80, $((T0 + 9)), $((T0 + 200)), 1, 60, 0, 0, 'S0');"

# A policy set that selects nothing (one Tier): every flow is judged.
printf 'apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: t\nspec:\n  order: 1\n' > "$tmp/tier.yaml"
"$A" check "$tmp/case.db" -p "$tmp/tier.yaml" --format json > "$tmp/out.jsonl" 2>/dev/null
sqlite3 -batch -noheader "$tmp/case.db" \
    "SELECT id || ' ' || coalesce(src_name, '-') || ' ' || coalesce(dst_name, '-') FROM flows_named WHERE id >= 200 ORDER BY id" \
    > "$tmp/view.txt"
jq_sql "$tmp/out.jsonl" \
    "SELECT (v->>'flow_id') || ' ' || coalesce(v->'src'->>'name', '-') || ' ' || coalesce(v->'dst'->>'name', '-') FROM t WHERE v->>'flow_id' >= 200 ORDER BY v->>'flow_id'" \
    > "$tmp/ours.txt"
if cmp -s "$tmp/view.txt" "$tmp/ours.txt"; then ok "identities agree with flows_named"
else fail "identities differ from flows_named:"; diff "$tmp/view.txt" "$tmp/ours.txt"; fi
# And the expected names themselves, so a wrong view cannot pass both.
expect "identities" "$(tr '\n' ';' < "$tmp/ours.txt")" \
    "200 old-pod tie-pod;201 new-pod tie-pod;202 svc -;203 partner -;204 late-a -;205 - -;"
finish
