#!/bin/sh
# analyze_jobs.sh: check --jobs N writes the same bytes as --jobs 1, in
# every format and grouping, on a case of several parts (ids past
# LIM_CHECK_PART_IDS, with a gap) seen at several vantage points (pairs,
# reach), with Service translations and damaged rows (their warnings on
# stderr, in the same order too); and the pairing by its SQL oracle (the
# test build's PODFLOW_PAIR_SQL=1) gives the same as pair.c, with and
# without threads.
. "$TOP/tests/it/analyze_lib.inc"

# Three nodes, two links each; pods 198.18.4.<k> on node k % 3, behind
# link 10 * node + k % 2.  Flow i goes from pod i % 60 to pod (i * 7 + 1)
# % 60 on port 80 + i % 4 (some denied by the policy below); one flow in
# four has its server's end on the other node 200 ms later (pairs), one
# in nine goes to a Service (dnat), one in 1,000 has an address that does
# not parse.  Ids run 1..60,000 and 200,001..210,000 (a gap of parts with
# no flow).
sqlite3 "$tmp/jobs.db" < "$TOP/schema.sql" || exit 1
sqlite3 "$tmp/jobs.db" "
PRAGMA journal_mode = OFF;
BEGIN;
INSERT INTO captures (id, node, started_ns, tool_version) VALUES
  (1, 'n0', 0, 't'), (2, 'n1', 0, 't'), (3, 'n2', 0, 't');
INSERT INTO interfaces (id, capture_id, name) VALUES
  (1, 1, 'cali0a'), (2, 1, 'cali0b'), (11, 2, 'cali1a'), (12, 2, 'cali1b'),
  (21, 3, 'cali2a'), (22, 3, 'cali2b');
INSERT INTO namespaces (name, labels) VALUES ('a', '{}'), ('b', '{}');
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 59)
INSERT INTO endpoints (ip, kind, namespace, name, workload_kind, workload, labels, node, iface)
SELECT '198.18.4.' || k, 'pod', CASE WHEN k % 2 THEN 'a' ELSE 'b' END, 'p' || k, 'Deployment',
       'w' || (k % 10), json_object('app', 'w' || (k % 10)), 'n' || (k % 3),
       'cali' || (k % 3) || CASE WHEN k % 2 THEN 'b' ELSE 'a' END FROM n;
INSERT INTO endpoints (ip, kind, namespace, name) VALUES ('198.18.9.1', 'service', 'a', 'svc');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 69999),
f AS (SELECT i, i % 60 AS s, (i * 7 + 1) % 60 AS d, CASE WHEN i < 60000 THEN i + 1 ELSE i + 140001 END AS id FROM n)
INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface, dnat_ip, dnat_port)
SELECT id, 1 + s % 3, 6, CASE WHEN i % 1000 = 999 THEN 'bogus' ELSE '198.18.4.' || s END,
       20000 + i % 40000, CASE WHEN i % 9 = 0 THEN '198.18.9.1' ELSE '198.18.4.' || d END,
       80 + i % 4, i * 1000000, i * 1000000 + 500000, 3, 180, i % 5, (i % 5) * 60,
       CASE WHEN i % 5 THEN 'SF' ELSE 'S0' END, 10 * (s % 3) + 1 + s % 2,
       CASE WHEN i % 9 = 0 THEN '198.18.4.' || d END, CASE WHEN i % 9 = 0 THEN 80 + i % 4 END
FROM f;
-- The server's end of one flow in four, 200 ms later on the server's node.
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface, dnat_ip, dnat_port)
SELECT 1 + ((id - 1) * 7 + 1) % 60 % 3, proto, src_ip, src_port, coalesce(dnat_ip, dst_ip),
       coalesce(dnat_port, dst_port), first_ns + 200000000, last_ns + 200000000, 3, 180,
       packets_rev, bytes_rev, state, NULL, NULL, NULL
FROM flows WHERE id % 4 = 0 AND id <= 60000;
COMMIT;" > /dev/null || exit 1

cat > "$tmp/pol.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 80}, {port: 81}]
EOF

# run NAME ARGS...: stdout and stderr of check with --jobs 1, 2 and 4.
run() {
    name=$1; shift
    for j in 1 2 4; do
        "$A" check "$tmp/jobs.db" -p "$tmp/pol.yaml" --jobs "$j" "$@" \
            > "$tmp/$name.$j.out" 2> "$tmp/$name.$j.err"
        echo $? > "$tmp/$name.$j.rc"
    done
    for j in 2 4; do
        if cmp -s "$tmp/$name.1.out" "$tmp/$name.$j.out" &&
           cmp -s "$tmp/$name.1.err" "$tmp/$name.$j.err" &&
           cmp -s "$tmp/$name.1.rc" "$tmp/$name.$j.rc"; then
            ok "$name: --jobs $j as --jobs 1"
        else
            fail "$name: --jobs $j differs from --jobs 1: $(diff "$tmp/$name.1.out" "$tmp/$name.$j.out" | head -5)"
        fi
    done
}
run json -f json
run csv -f csv
run table
run tuple -g tuple -f json
run workload -g workload
run denied --only denied -f json
run ns -n b -f csv
run since --since 20 --until 50 -f json
run nopair --no-pair -f json

# The case is what the comparisons need: several parts, pairs, Services,
# damaged rows, denied flows.
# The damaged rows' copies at the server's end are damaged too (130 left
# out, none of them paired): the first line says so.
expect "json: every flow but the other ends and the damaged" "$(grep -vc '^{"warning"' "$tmp/json.1.out")" \
    "$(sqlite3 "$tmp/jobs.db" "SELECT count(*) - 15000 - 70 FROM flows")"
expect "json: the first line counts the damaged rows" \
    "$(head -1 "$tmp/json.1.out" | sed -n 's/.*"left_out":\([0-9]*\)}$/\1/p')" \
    "$(sqlite3 "$tmp/jobs.db" "SELECT count(*) FROM flows WHERE src_ip = 'bogus'")"
expect "json: pairs" "$(grep -c '"ends"' "$tmp/json.1.out")" \
    "$(sqlite3 "$tmp/jobs.db" "SELECT count(*) FROM flows WHERE id % 4 = 0 AND id <= 60000 AND src_ip <> 'bogus'")"
expect "json: Services" "$(grep -c '"service_ip"' "$tmp/json.1.out")" "$(sqlite3 "$tmp/jobs.db" "SELECT count(*) FROM flows WHERE dnat_ip IS NOT NULL AND src_ip <> 'bogus'")"
expect "json: some denied" "$(grep -c '"verdict":"deny"' "$tmp/json.1.out" | sed 's/^0$/none/;s/^[1-9][0-9]*$/some/')" some
expect "warnings: the first damaged rows" "$(grep -c ': left out$' "$tmp/json.1.err")" 10
expect "warnings: and their count" "$(grep -c ' 130 rows left out as unusable' "$tmp/json.1.err")" 1
expect "exit: denied" "$(cat "$tmp/json.1.rc")" 1

# Several cases, merged into a file unlinked once open: every thread's
# connection is opened before.
cp "$tmp/jobs.db" "$tmp/copy.db"
for j in 1 4; do
    "$A" check "$tmp/jobs.db" "$tmp/copy.db" -p "$tmp/pol.yaml" --jobs "$j" -f json \
        > "$tmp/merged.$j.out" 2> /dev/null
done
cmp -s "$tmp/merged.1.out" "$tmp/merged.4.out" && [ -s "$tmp/merged.1.out" ] &&
    ok "two cases merged: --jobs 4 as --jobs 1" || fail "two cases merged: --jobs 4 differs"

# The SQL oracle pairs the same, with and without threads.
for j in 1 4; do
    PODFLOW_PAIR_SQL=1 "$AT" check "$tmp/jobs.db" -p "$tmp/pol.yaml" --jobs "$j" -f json \
        > "$tmp/oracle.$j.out" 2> /dev/null
    cmp -s "$tmp/json.1.out" "$tmp/oracle.$j.out" && ok "SQL oracle, --jobs $j: the same" ||
        fail "SQL oracle, --jobs $j: differs: $(diff "$tmp/json.1.out" "$tmp/oracle.$j.out" | head -5)"
done

# --jobs takes 1 to 64.
"$A" check "$tmp/jobs.db" -p "$tmp/pol.yaml" --jobs 0 > /dev/null 2>&1
expect "--jobs 0 refused" $? 2
"$A" check "$tmp/jobs.db" -p "$tmp/pol.yaml" -j 65 > /dev/null 2>&1
expect "-j 65 refused" $? 2
finish
