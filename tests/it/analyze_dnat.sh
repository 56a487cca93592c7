#!/bin/sh
# analyze_dnat.sh: a flow to a Service address is judged against the
# backend the capture recorded (dnat_ip/dnat_port, schema v2), as Calico's
# policy sees post-DNAT addresses; without them the flow is judged as
# recorded.
. "$TOP/tests/it/analyze_lib.inc"
[ -d "$POL/fme-current" ] || { echo "SKIP: tests/fixtures/policies/fme-current not present"; exit 77; }

svc="INSERT INTO endpoints (id, ip, kind, namespace, name, labels, ports)
     VALUES (20, '198.18.100.1', 'service', 'fme', 'core', '{}', '[]');"
flow="INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,
                        last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)
      VALUES (100, 1, 6, '198.18.1.21', 41000, '198.18.100.1', 80, 1714557650000000000,
              1714557651000000000, 6, 500, 5, 700, 'SF');"

# No translation recorded (dnat_ip NULL, as in a v1 case or a capture
# without conntrack); the Service address is no endpoint
# the engine policy's selector can match.
make_case "$tmp/v1.db" "$svc" "$flow"
"$A" check "$tmp/v1.db" -p "$POL/fme-current" --format json > "$tmp/v1.jsonl"
expect "v1: judged as recorded" \
    "$(jq_sql "$tmp/v1.jsonl" "SELECT v->>'verdict' || ' ' || (v->'dst'->>'kind') FROM t WHERE v->>'flow_id' = 100")" \
    "deny service"

# With the translation: judged against core-0:7070, allowed by rule 0.
make_case "$tmp/v2.db" "$svc" "$flow" \
    "UPDATE flows SET dnat_ip = '198.18.1.10', dnat_port = 7070 WHERE id = 100"
"$A" check "$tmp/v2.db" -p "$POL/fme-current" --format json > "$tmp/v2.jsonl"
expect "v2: judged against the backend" \
    "$(jq_sql "$tmp/v2.jsonl" "SELECT v->>'verdict' || ' ' || (v->>'dst_ip') || ':' || (v->>'dst_port') || ' ' || (v->'dst'->>'name') || ' ' || (v->'decided_by'->>'rule') FROM t WHERE v->>'flow_id' = 100")" \
    "allow 198.18.1.10:7070 core-0 0"
expect "v2: the Service address is kept" \
    "$(jq_sql "$tmp/v2.jsonl" "SELECT (v->>'service_ip') || ':' || (v->>'service_port') FROM t WHERE v->>'flow_id' = 100")" \
    "198.18.100.1:80"
finish
