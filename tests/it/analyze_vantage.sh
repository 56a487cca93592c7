#!/bin/sh
# analyze_vantage.sh: both-ends pairing within one capture.  A connection
# between two pods of one node crosses two host interfaces (the client's
# cali link, then the server's) and `podflow-capture -i 'cali*'` records
# it once per interface; check must judge and report it once, with each
# interface's evidence ("seen at NODE/IFACE"), while a connection dropped
# before the server's link (seen on one interface) stays one flow.  The
# pairing and its SQL oracle (the test build's PODFLOW_PAIR_SQL=1) agree
# on a generated case with many interfaces, and 70,000 vantage points pair.
# Hand-made cases (schema.sql and the sqlite3 CLI); no root needed.
. "$TOP/tests/it/analyze_lib.inc"

# One capture on node1, three pods behind their cali links.  Client
# 198.18.0.10 (cali1111aaaa, id 11) -> server 198.18.0.20:80 (cali2222bbbb,
# id 12): allowed, answered, seen on both links 50 us apart.  Client ->
# database 198.18.0.30:5432 (cali3333cccc, id 13): denied at the database's
# ingress, dropped before its link: seen on the client's only.  An
# interface with no flow (lo, id 14) is listed as captured.
sqlite3 "$tmp/one.db" < "$TOP/schema.sql" || exit 1
sqlite3 "$tmp/one.db" "
INSERT INTO captures (id, node, started_ns, ended_ns, tool_version, source)
  VALUES (1, 'node1', 0, 100000000000, 'test', 'live');
INSERT INTO interfaces (id, capture_id, name, ifindex)
  VALUES (11, 1, 'cali1111aaaa', 5), (12, 1, 'cali2222bbbb', 6), (13, 1, 'cali3333cccc', 7),
         (14, 1, 'lo', 1);
INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, flags_fwd, flags_rev, state,
                   history, iface)
  VALUES (7, 1, 6, '198.18.0.10', 40000, '198.18.0.20', 80, 10000050000, 10200050000,
          5, 400, 4, 900, 27, 27, 'SF', 'ShADadFf', 12),
         (8, 1, 6, '198.18.0.10', 40000, '198.18.0.20', 80, 10000000000, 10200000000,
          5, 400, 4, 900, 27, 27, 'SF', 'ShADadFf', 11),
         (9, 1, 6, '198.18.0.10', 40001, '198.18.0.30', 5432, 11000000000, 14000000000,
          3, 180, 0, 0, 2, 0, 'S0', 'S', 11);
INSERT INTO endpoints (ip, kind, namespace, name, labels, node, iface)
  VALUES ('198.18.0.10', 'pod', 'web', 'client', '{\"app\":\"client\"}', 'node1', 'cali1111aaaa'),
         ('198.18.0.20', 'pod', 'web', 'server', '{\"app\":\"server\"}', 'node1', 'cali2222bbbb'),
         ('198.18.0.30', 'pod', 'db', 'pg', '{\"app\":\"pg\"}', 'node1', 'cali3333cccc');
INSERT INTO namespaces (name, labels) VALUES ('web', '{}'), ('db', '{}');
" || exit 1
cat > "$tmp/deny-db.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: db}
spec: {podSelector: {}, policyTypes: [Ingress]}
YAML

"$A" check "$tmp/one.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/one.jsonl" 2> "$tmp/err"
expect "check: something denied" $? 1
expect "no warning" "$(cat "$tmp/err")" ""
expect "two connections, each reported once" "$(wc -l < "$tmp/one.jsonl")" 2
expect "allowed: reported once, as its earliest row (the client's link)" \
    "$(jq_sql "$tmp/one.jsonl" "SELECT group_concat(json_extract(v, '\$.flow_id') || ' ' || json_extract(v, '\$.node') || '/' || json_extract(v, '\$.iface'), ',') FROM t WHERE json_extract(v, '\$.verdict') = 'allow'")" \
    "8 node1/cali1111aaaa"
expect "allowed: both interfaces' evidence, the reported one first" \
    "$(jq_sql "$tmp/one.jsonl" "SELECT group_concat(json_extract(e.value, '\$.node') || '/' || json_extract(e.value, '\$.iface') || ':' || json_extract(e.value, '\$.flow_id') || ':' || json_extract(e.value, '\$.state'), ' ') FROM t, json_each(json_extract(t.v, '\$.ends')) e WHERE json_extract(v, '\$.verdict') = 'allow'")" \
    "node1/cali1111aaaa:8:SF node1/cali2222bbbb:7:SF"
expect "denied: once, on the client's link only, no other end" \
    "$(jq_sql "$tmp/one.jsonl" "SELECT group_concat(json_extract(v, '\$.flow_id') || ' ' || json_extract(v, '\$.iface') || ' ' || coalesce(json_type(v, '\$.ends'), 'none') || ' ' || json_extract(v, '\$.decided_by.policy'), ',') FROM t WHERE json_extract(v, '\$.verdict') = 'deny'")" \
    "9 cali1111aaaa none db/deny-in"

# The table: counted once, each end named by node and interface.
"$A" check "$tmp/one.db" -p "$tmp/deny-db.yaml" > "$tmp/one.txt" 2>&1
grep -q "^2 flows: 1 allowed, 1 denied" "$tmp/one.txt" && ok "table: counted once" ||
    fail "table counts: $(cat "$tmp/one.txt")"
grep -q "seen at node1/cali1111aaaa SF (5/4 pkts), node1/cali2222bbbb SF (5/4 pkts)$" "$tmp/one.txt" &&
    ok "table: seen at both interfaces" || fail "table: $(cat "$tmp/one.txt")"
grep -q "seen at node1/cali1111aaaa only" "$tmp/one.txt" && ok "table: the denied one at one interface" ||
    fail "table: $(cat "$tmp/one.txt")"
expect "show: one connection at several vantage points" \
    "$("$A" show "$tmp/one.db" | grep -c 'connections seen at several vantage points (captures or interfaces; skew 2 s): 1$')" 1

# --no-pair: every row on its own, as recorded.
"$A" check "$tmp/one.db" -p "$tmp/deny-db.yaml" -f json --no-pair > "$tmp/np.jsonl" 2>/dev/null
expect "--no-pair: each interface's row" "$(wc -l < "$tmp/np.jsonl")" 3
# The SQL oracle pairs the same.
PODFLOW_PAIR_SQL=1 "$AT" check "$tmp/one.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/one-sql.jsonl" 2>/dev/null
cmp -s "$tmp/one.jsonl" "$tmp/one-sql.jsonl" && ok "one capture: SQL pairing the same" ||
    fail "one capture: SQL pairing differs: $(diff "$tmp/one.jsonl" "$tmp/one-sql.jsonl")"
# diff reads the case paired too: the pair is one flow there.
"$A" diff "$tmp/one.db" --old "$tmp/deny-db.yaml" --new "$POL/empty" --no-policies -f json > "$tmp/diff.jsonl" 2>/dev/null
expect "diff: the denied one changes, once; the pair does not" \
    "$(jq_sql "$tmp/diff.jsonl" "SELECT group_concat(json_extract(v, '\$.dst_port'), ' ') FROM t WHERE json_extract(v, '\$.summary') IS NULL")" 5432

# Rows of one interface are never ends of each other (interim rows of a
# long flow, or a reused port within the skew): a second row on the
# client's link overlapping the first stays a flow of its own.
cp "$tmp/one.db" "$tmp/same.db"
sqlite3 "$tmp/same.db" "UPDATE flows SET iface = 11 WHERE id = 7"
"$A" check "$tmp/same.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/same.jsonl" 2>/dev/null
expect "one interface twice: not paired" "$(jq_sql "$tmp/same.jsonl" "SELECT count(*) || ' ' || count(json_extract(v, '\$.ends')) FROM t")" "3 0"
# A row without an interface counts as the capture itself: another end.
sqlite3 "$tmp/same.db" "UPDATE flows SET iface = NULL WHERE id = 7"
"$A" check "$tmp/same.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/null.jsonl" 2>/dev/null
expect "no interface vs an interface: paired" \
    "$(jq_sql "$tmp/null.jsonl" "SELECT group_concat(coalesce(json_extract(e.value, '\$.iface'), '-'), ' ') FROM t, json_each(json_extract(t.v, '\$.ends')) e")" \
    "cali1111aaaa -"
PODFLOW_PAIR_SQL=1 "$AT" check "$tmp/same.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/null-sql.jsonl" 2>/dev/null
cmp -s "$tmp/null.jsonl" "$tmp/null-sql.jsonl" && ok "no interface: SQL pairing the same" ||
    fail "no interface: SQL pairing differs"

# A case with one interface (one vantage point): no pairing, and check's
# JSON as it always was (no node/ends keys).
sqlite3 "$tmp/single.db" < "$TOP/schema.sql" || exit 1
sqlite3 "$tmp/single.db" "
INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'node1', 0, 't');
INSERT INTO interfaces (id, capture_id, name) VALUES (1, 1, 'eth0');
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
  VALUES (1, 6, '198.18.0.10', 40000, '198.18.0.20', 80, 10, 20, 1, 60, 0, 0, 'S0', 1),
         (1, 6, '198.18.0.10', 40000, '198.18.0.20', 80, 15, 25, 1, 60, 0, 0, 'S0', 1);" || exit 1
"$A" check "$tmp/single.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/single.jsonl" 2>/dev/null
expect "one vantage point: rows as recorded, no ends keys" \
    "$(jq_sql "$tmp/single.jsonl" "SELECT count(*) || ' ' || count(json_extract(v, '\$.node')) FROM t")" "2 0"

# The two pairing ways agree on a generated case: one capture on node1
# with 40 cali links (ids 100..139) and one on node2 (ids 200..201, the
# two captures sharing no interface id).  Flow i goes from the pod behind
# link i % 40 to the pod behind (i * 7 + 3) % 40; node1 records it on the
# client's link, and, unless i % 5 = 0 (dropped), on the server's link
# 0..2.8 s later (past the skew for i % 8 = 7); one in six also crosses
# node2 (link 200 + i % 2); one in eleven has a row with no interface.
sqlite3 "$tmp/gen.db" < "$TOP/schema.sql" || exit 1
sqlite3 "$tmp/gen.db" "
INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'node1', 0, 't'), (2, 'node2', 0, 't');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 39)
INSERT INTO interfaces (id, capture_id, name) SELECT 100 + i, 1, 'cali' || printf('%08d', i) FROM n;
INSERT INTO interfaces (id, capture_id, name) VALUES (200, 2, 'caliX0'), (201, 2, 'caliX1');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999),
r AS (SELECT i, 1 AS cap, 100 + i % 40 AS ifc, 0 AS late FROM n
      UNION ALL SELECT i, 1, 100 + (i * 7 + 3) % 40, (i % 8) * 400000000 FROM n WHERE i % 5 <> 0
      UNION ALL SELECT i, 2, 200 + i % 2, 300000000 FROM n WHERE i % 6 = 0
      UNION ALL SELECT i, 1, NULL, 100000000 FROM n WHERE i % 11 = 0)
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
SELECT cap, 6, '198.18.2.' || (i % 40), 30000 + i, '198.18.2.' || ((i * 7 + 3) % 40), 80,
       i * 100000000 + late, i * 100000000 + late + 500000000, 2, 120, 1, 60, 'S1', ifc FROM r;" || exit 1
"$A" check "$tmp/gen.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/gen-pair.jsonl" 2>/dev/null
PODFLOW_PAIR_SQL=1 "$AT" check "$tmp/gen.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/gen-sql.jsonl" 2>/dev/null
expect "generated case: flows read" "$(wc -l < "$tmp/gen-pair.jsonl")" \
    "$(sqlite3 -batch -noheader :memory: "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999) SELECT count(*) + sum(i % 5 <> 0 AND i % 8 = 7) FROM n")"
cmp -s "$tmp/gen-pair.jsonl" "$tmp/gen-sql.jsonl" && ok "generated case: pairing and its SQL oracle agree" ||
    fail "generated case: pairing and its SQL oracle differ"
expect "generated case: ends per connection" \
    "$(jq_sql "$tmp/gen-pair.jsonl" "SELECT group_concat(n || 'x' || c, ' ') FROM (SELECT json_array_length(v, '\$.ends') AS n, count(*) AS c FROM t WHERE json_type(v, '\$.ends') IS NOT NULL GROUP BY 1 ORDER BY 1)")" \
    "$(sqlite3 -batch -noheader :memory: "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999) SELECT group_concat(k || 'x' || c, ' ') FROM (SELECT k, count(*) AS c FROM (SELECT 1 + (i % 5 <> 0 AND i % 8 <> 7) + (i % 6 = 0) + (i % 11 = 0) AS k FROM n) WHERE k > 1 GROUP BY k ORDER BY k)")"

# 70,000 vantage points (interfaces 1..70,000 of one capture) pair:
# flow k on interface k, the same connection as flow k + 1 for odd k.
sqlite3 "$tmp/many.db" < "$TOP/schema.sql" || exit 1
sqlite3 "$tmp/many.db" "
INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'node1', 0, 't');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000)
INSERT INTO interfaces (id, capture_id, name) SELECT i, 1, 'cali' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000)
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
SELECT 1, 17, '198.18.3.1', 1 + (i - 1) / 2, '198.18.3.2', 53, i * 1000, i * 1000 + 500, 1, 60, 1, 60,
       'SF', i FROM n;" || exit 1
"$A" check "$tmp/many.db" -p "$tmp/deny-db.yaml" -f json > "$tmp/many.jsonl" 2>/dev/null
expect "70,000 vantage points: 35,000 connections of two ends" \
    "$(jq_sql "$tmp/many.jsonl" "SELECT count(*) || ' ' || sum(json_array_length(v, '\$.ends') = 2) FROM t")" "35000 35000"
finish
