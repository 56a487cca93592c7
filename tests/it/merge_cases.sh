#!/bin/sh
# merge_cases.sh: podflow-analyze merge and several cases given to check,
# on hand-made two-node cases (no root needed): ids renumbered with every
# reference, each flow still on its node, shared rows once, every column
# copied, the output all or nothing, hostile inputs refused; both-ends
# pairing with its skew, and the evidence of each end.
. "$TOP/tests/it/analyze_lib.inc"

# node_case FILE NODE SHIFT_NS: a capture on NODE; a client 198.18.0.10
# (node-a) connects to 198.18.1.10:80 (node-b), unanswered (S0), seen at
# first_ns 10 s + SHIFT_NS.  Both nodes hold the same inventory; node-b's
# namespace 'b' has a label the other lacks (a conflict).  Ids start
# high in node-b's file, so renumbering shows.
node_case() {
    f=$1 node=$2 shift=$3 base=$4
    sqlite3 "$f" < "$TOP/schema.sql" || exit 1
    sqlite3 "$f" "
INSERT INTO captures (id, node, started_ns, ended_ns, tool_version, source)
  VALUES ($base, '$node', 0, 100000000000, 'test', 'live');
INSERT INTO interfaces (id, capture_id, name, ifindex) VALUES ($base + 5, $base, 'cali-$node', 7);
INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, flags_fwd, state, history,
                   iface, vlan, icmp_count, interim)
  VALUES ($base + 9, $base, 6, '198.18.0.10', 40000, '198.18.1.10', 80,
          10000000000 + $shift, 13000000000 + $shift, 3, 180, 0, 0, 2, 'S0', 'S', $base + 5,
          42, 0, 0);
INSERT INTO endpoints (ip, kind, namespace, name, labels, node)
  VALUES ('198.18.0.10', 'pod', 'a', 'client', '{\"app\":\"client\"}', 'node-a'),
         ('198.18.1.10', 'pod', 'b', 'server', '{\"app\":\"server\"}', 'node-b');
INSERT INTO namespaces (name, labels) VALUES ('a', '{}'), ('b', '{\"from\":\"$node\"}');
" || exit 1
}

node_case "$tmp/a.db" node-a 0 1
node_case "$tmp/b.db" node-b 300000000 100
cat > "$tmp/deny.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: b}
spec: {podSelector: {}, policyTypes: [Ingress]}
YAML

# --- merge ---------------------------------------------------------------
"$A" merge "$tmp/m.db" "$tmp/a.db" "$tmp/b.db" 2> "$tmp/err"
expect "merge exits 0" $? 0
grep -q "namespaces' differ" "$tmp/err" && ok "conflicting namespace warned" ||
    fail "no namespace warning: $(cat "$tmp/err")"
q() { sqlite3 -batch -noheader "$tmp/m.db" "$1"; }
expect "captures renumbered, nodes kept" "$(q "SELECT group_concat(id || ':' || node, ' ') FROM (SELECT * FROM captures ORDER BY id)")" "1:node-a 2:node-b"
expect "each flow on its own node" \
    "$(q "SELECT group_concat(c.node || '/' || i.name, ' ') FROM (SELECT * FROM flows ORDER BY id) f JOIN captures c ON c.id = f.capture_id JOIN interfaces i ON i.id = f.iface AND i.capture_id = f.capture_id")" \
    "node-a/cali-node-a node-b/cali-node-b"
expect "identical endpoints kept once" "$(q "SELECT count(*) FROM endpoints")" 2
expect "namespace conflict: the first kept" "$(q "SELECT labels FROM namespaces WHERE name = 'b'")" '{"from":"node-a"}'
expect "mode 0600" "$(stat -c %a "$tmp/m.db")" 600
# Every column of flows is copied (the list comes from the schema):
# compare all but the renumbered ones, whatever columns the schema has.
cols=$(sqlite3 -batch -noheader "$tmp/a.db" "SELECT group_concat(name, ', ') FROM pragma_table_info('flows') WHERE name NOT IN ('id', 'capture_id', 'iface')")
expect "every flows column copied" "$(sqlite3 -batch -noheader "$tmp/m.db" "ATTACH '$tmp/a.db' AS a; ATTACH '$tmp/b.db' AS b; SELECT count(*) FROM (SELECT $cols FROM a.flows UNION ALL SELECT $cols FROM b.flows EXCEPT SELECT $cols FROM main.flows)")" 0

# An existing output is refused and left alone; --force replaces it.
sum=$(md5sum < "$tmp/m.db")
"$A" merge "$tmp/m.db" "$tmp/a.db" 2> "$tmp/err"
expect "existing output refused" $? 2
expect "existing output untouched" "$(md5sum < "$tmp/m.db")" "$sum"
"$A" merge --force -q "$tmp/m.db" "$tmp/a.db" "$tmp/b.db"
expect "--force replaces" $? 0
"$A" merge "$tmp/x.db" "$tmp/a.db" "$tmp/a.db" 2> /dev/null
expect "an input given twice refused" $? 2

# All or nothing: a bad second input leaves no output and no temporary.
printf 'not a database at all, not at all, not at all, not at all, not at all, not at all, not at all\n' > "$tmp/junk.db"
"$A" merge "$tmp/n.db" "$tmp/a.db" "$tmp/junk.db" 2> "$tmp/err"
expect "bad input: exit 2" $? 2
grep -q "not a podflow case" "$tmp/err" && ok "bad input named" || fail "message: $(cat "$tmp/err")"
expect "bad input: no output, no temporary" "$(ls "$tmp" | grep -c '^n\.db')" 0
# A file with a trigger (hostile SQL) is refused before anything runs.
cp "$tmp/a.db" "$tmp/t.db"
sqlite3 "$tmp/t.db" "CREATE TABLE log (x); CREATE TRIGGER t AFTER INSERT ON flows BEGIN INSERT INTO log VALUES (1); END;"
"$A" merge "$tmp/n.db" "$tmp/t.db" 2> /dev/null
expect "input with a trigger refused" $? 2
# A merged case merges again (ids past the first output's).
"$A" merge -q "$tmp/mm.db" "$tmp/m.db" "$tmp/b.db"
expect "re-merge: ids follow" "$(sqlite3 -batch -noheader "$tmp/mm.db" "SELECT group_concat(id, ' ') FROM (SELECT id FROM captures ORDER BY id)")" "1 2 3"

# Untrusted ids: negative ones are renumbered like any; ones that would
# wrap are refused; a flow of a capture its file lacks fails the merge
# (it would otherwise land on another node's capture), leaving nothing.
cp "$tmp/b.db" "$tmp/neg.db"
sqlite3 "$tmp/neg.db" "UPDATE captures SET id = -7; UPDATE interfaces SET capture_id = -7; UPDATE flows SET capture_id = -7;"
"$A" merge -q "$tmp/n1.db" "$tmp/a.db" "$tmp/neg.db"
expect "negative ids renumbered" "$(sqlite3 -batch -noheader "$tmp/n1.db" "SELECT group_concat(c.id || c.node, ' ') FROM (SELECT DISTINCT capture_id FROM flows ORDER BY 1) f JOIN captures c ON c.id = f.capture_id")" "1node-a 2node-b"
sqlite3 "$tmp/neg.db" "UPDATE captures SET id = -9223372036854775808; UPDATE interfaces SET capture_id = -9223372036854775808; UPDATE flows SET capture_id = -9223372036854775808;"
"$A" merge -q "$tmp/n2.db" "$tmp/a.db" "$tmp/neg.db" 2> "$tmp/err"
expect "ids that would wrap: refused" "$? $(grep -c 'out of range' "$tmp/err") $(ls "$tmp" | grep -c '^n2')" "2 1 0"
cp "$tmp/b.db" "$tmp/dangle.db"
sqlite3 "$tmp/dangle.db" "UPDATE flows SET capture_id = 555"
"$A" merge -q "$tmp/n3.db" "$tmp/a.db" "$tmp/dangle.db" 2> "$tmp/err"
expect "a flow of a missing capture: refused, nothing left" "$? $(ls "$tmp" | grep -c '^n3')" "2 0"

# --- both ends ------------------------------------------------------------
"$A" check "$tmp/a.db" "$tmp/b.db" -p "$tmp/deny.yaml" -f json > "$tmp/two.jsonl" 2>/dev/null
expect "check of two cases: denied" $? 1
expect "one connection, reported once" "$(wc -l < "$tmp/two.jsonl")" 1
expect "both ends' evidence" "$(jq_sql "$tmp/two.jsonl" "SELECT group_concat(json_extract(e.value, '\$.node') || ':' || json_extract(e.value, '\$.state'), ' ') FROM t, json_each(json_extract(t.v, '\$.ends')) e")" "node-a:S0 node-b:S0"
expect "where it got to" "$(jq_sql "$tmp/two.jsonl" "SELECT json_extract(v, '\$.reach') FROM t")" "unanswered-at-dst-node"
expect "judged by the destination's ingress" "$(jq_sql "$tmp/two.jsonl" "SELECT json_extract(v, '\$.decided_by.direction') || ' ' || json_extract(v, '\$.decided_by.policy') FROM t")" "ingress b/deny-in"
"$A" check "$tmp/m.db" -p "$tmp/deny.yaml" -f json > "$tmp/merged.jsonl" 2>/dev/null
expect "merged file reads as the two files" "$(cut -d, -f1-8 "$tmp/merged.jsonl")" "$(cut -d, -f1-8 "$tmp/two.jsonl")"
"$A" check "$tmp/a.db" "$tmp/b.db" -p "$tmp/deny.yaml" -f json --no-pair > "$tmp/np.jsonl" 2>/dev/null
expect "--no-pair: each end" "$(wc -l < "$tmp/np.jsonl")" 2
# The ends are 0.3 s apart at the start, but their windows overlap: only
# windows further apart than the skew stay apart.  Shift node-b by 5 s
# past the client's last packet (13 s): paired with --skew 6, not with 2.
node_case "$tmp/late.db" node-b 8000000000 100
"$A" check "$tmp/a.db" "$tmp/late.db" -p "$tmp/deny.yaml" -f json > "$tmp/late.jsonl" 2>/dev/null
expect "beyond the skew: two flows" "$(wc -l < "$tmp/late.jsonl")" 2
"$A" check "$tmp/a.db" "$tmp/late.db" -p "$tmp/deny.yaml" -f json --skew 6 > "$tmp/late6.jsonl" 2>/dev/null
expect "--skew 6: one connection" "$(wc -l < "$tmp/late6.jsonl")" 1
"$A" check "$tmp/a.db" "$tmp/late.db" -p "$tmp/deny.yaml" --skew -1 > /dev/null 2>&1
expect "--skew negative refused" $? 2
# The client's end alone, with node-b captured and not seeing it.
sqlite3 "$tmp/b.db" "DELETE FROM flows"
"$A" check "$tmp/a.db" "$tmp/b.db" -p "$tmp/deny.yaml" -f json > "$tmp/lost.jsonl" 2>/dev/null
expect "client end only: never arrived" "$(jq_sql "$tmp/lost.jsonl" "SELECT json_extract(v, '\$.reach') || ' ' || coalesce(json_type(v, '\$.ends'), 'none') FROM t")" "missing-at-dst-node none"
# The pairing (pair.c's sorted passes) and its SQL oracle (the test
# build's PODFLOW_PAIR_SQL=1) agree, on 3,000 flows at node-a and 1,000 of them again at
# node-b, shifted 0 to 3 s (past the skew from 2.5 s on), some seen twice
# there (a second row 1 s later: one end per capture).
for n in x y; do sqlite3 "$tmp/$n.db" < "$TOP/schema.sql" || exit 1; done
sqlite3 "$tmp/x.db" "
INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'node-a', 0, 't');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)
SELECT 1, 6, '198.18.0.' || (i % 200), 30000 + i, '198.18.1.' || (i % 50), 80,
       i * 100000000, i * 100000000 + 500000000, 2, 120, 0, 0, 'S0' FROM n;"
sqlite3 "$tmp/y.db" "
INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'node-b', 0, 't');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)
SELECT 1, 6, '198.18.0.' || (i % 200), 30000 + i, '198.18.1.' || (i % 50), 80,
       i * 100000000 + (i % 7) * 500000000, i * 100000000 + (i % 7) * 500000000 + 500000000,
       2, 120, 0, 0, 'S0' FROM n WHERE i % 3 = 0
UNION ALL
SELECT 1, 6, '198.18.0.' || (i % 200), 30000 + i, '198.18.1.' || (i % 50), 80,
       i * 100000000 + 1000000000, i * 100000000 + 1500000000, 2, 120, 0, 0, 'S0'
FROM n WHERE i % 15 = 0;"
"$A" check "$tmp/x.db" "$tmp/y.db" -p "$tmp/deny.yaml" -f json > "$tmp/pair.jsonl" 2>/dev/null
PODFLOW_PAIR_SQL=1 "$AT" check "$tmp/x.db" "$tmp/y.db" -p "$tmp/deny.yaml" -f json > "$tmp/sql.jsonl" 2>/dev/null
cmp -s "$tmp/pair.jsonl" "$tmp/sql.jsonl" && ok "pairing and its SQL oracle agree" || fail "pairing and its SQL oracle differ"
# 1,000 at node-b by shift i % 7: 0..2.5 s pair (6 of 7), 3 s does not;
# the second rows (i % 15 = 0) pair where the first did not.
expect "pairs found" "$(grep -c '"ends"' "$tmp/pair.jsonl")" \
    "$(sqlite3 -batch -noheader :memory: "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999) SELECT count(*) FROM n WHERE (i % 3 = 0 AND i % 7 <> 6) OR (i % 15 = 0 AND i % 7 = 6)")"
finish
