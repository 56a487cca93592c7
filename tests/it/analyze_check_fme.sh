#!/bin/sh
# analyze_check_fme.sh: the seed's case.  Under the current policies
# (zero-trust default deny plus an engine policy missing 42000:43000)
# engine -> core:42001/42002 is denied at the end of tier "application",
# naming the policies that selected the engine; under the corrected policy
# the same flows are allowed by the engine policy's rule 0.
. "$TOP/tests/it/analyze_lib.inc"
[ -d "$POL/fme-current" ] || { echo "SKIP: tests/fixtures/policies/fme-current not present"; exit 77; }

make_case "$tmp/case.db"

"$A" check "$tmp/case.db" -p "$POL/fme-current" --format json > "$tmp/cur.jsonl"
expect "exit status with denied flows" $? 1
expect "one line per flow" "$(wc -l < "$tmp/cur.jsonl" | tr -d ' ')" 7

w="FROM t WHERE v->>'dst_port' = 42001"
expect "42001 verdict" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->>'verdict' $w")" deny
expect "42001 direction" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'decided_by'->>'direction' $w")" egress
expect "42001 tier" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'decided_by'->>'tier' $w")" application
expect "42001 reason" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'decided_by'->>'reason' $w")" end-of-tier
expect "42001 rule is null" "$(jq_sql "$tmp/cur.jsonl" "SELECT json_type(v->'decided_by'->'rule') $w")" null
expect "42001 action" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'decided_by'->>'action' $w")" Deny
expect "42001 policy" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'decided_by'->>'policy' $w")" \
    fme/application.engine-fmeserver
expect "42001 selected by" \
    "$(jq_sql "$tmp/cur.jsonl" "SELECT group_concat(s.value, ' ') FROM t, json_each(v->'decided_by'->'selected_by') s WHERE v->>'dst_port' = 42001")" \
    fme/application.engine-fmeserver
expect "42001 egress trace" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'policies'->'egress'->>0 $w")" \
    "0|application|fme/application.engine-fmeserver|deny|-1"
expect "42001 observed" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->>'observed' || ' ' || (v->>'agreement') $w")" \
    "failed explained"
expect "42001 src identity" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'src'->>'kind' || ' ' || (v->'src'->>'workload') $w")" \
    "pod engine-standard-group"
expect "42002 denied too" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->>'verdict' FROM t WHERE v->>'dst_port' = 42002")" deny
expect "denied flows" "$(jq_sql "$tmp/cur.jsonl" "SELECT count(*) FROM t WHERE v->>'verdict' = 'deny'")" 2
expect "7070 allowed by the engine policy" \
    "$(jq_sql "$tmp/cur.jsonl" "SELECT DISTINCT v->>'verdict' || ' ' || (v->'decided_by'->>'policy') || ' ' || (v->'decided_by'->>'rule') FROM t WHERE v->>'dst_port' = 7070")" \
    "allow fme/application.engine-fmeserver 0"
expect "7070 consistent" "$(jq_sql "$tmp/cur.jsonl" "SELECT DISTINCT v->>'agreement' FROM t WHERE v->>'dst_port' = 7070")" consistent
expect "7070 ingress trace" "$(jq_sql "$tmp/cur.jsonl" "SELECT v->'policies'->'ingress'->>0 FROM t WHERE v->>'dst_port' = 7070 LIMIT 1")" \
    "0|application|fme/application.core-fmeserver|allow|0"

# --only denied, and the table names the end of tier and who selected it.
"$A" check "$tmp/case.db" -p "$POL/fme-current" --only denied --format json > "$tmp/den.jsonl"
expect "--only denied lines" "$(wc -l < "$tmp/den.jsonl" | tr -d ' ')" 2
"$A" check "$tmp/case.db" -p "$POL/fme-current" > "$tmp/table.txt"
expect "table exit" $? 1
grep -q "end of tier application" "$tmp/table.txt" && ok "table: end of tier" || fail "table: no end of tier"
grep -q "selected by fme/application.engine-fmeserver; no rule matched" "$tmp/table.txt" \
    && ok "table: selected by" || fail "table: no 'selected by'"
head -2 "$tmp/table.txt" | tail -1 | grep -q '^DENY' && ok "table: denied first" || fail "table: denied not first"
# Through a pipe names are whole (tests/it/analyze_output.sh has the
# terminal's widths): the pod's full name, one line per flow and decision.
grep -q "^DENY  failed  fme/engine-standard-group-7d9f-abcde  *fme/core-0  *TCP/42001  egress end of tier application$" \
    "$tmp/table.txt" && ok "table: whole names, decision inline" || fail "table: names cut through a pipe"

# The corrected policy: everything allowed, 42001 by the engine rule 0.
"$A" check "$tmp/case.db" -p "$POL/fme-proposed" --format json > "$tmp/new.jsonl"
expect "exit status when nothing denied" $? 0
expect "42001 allowed by the corrected rule" \
    "$(jq_sql "$tmp/new.jsonl" "SELECT v->>'verdict' || ' ' || (v->'decided_by'->>'direction') || ' ' || (v->'decided_by'->>'policy') || ' ' || (v->'decided_by'->>'rule') || ' ' || (v->'decided_by'->>'reason') FROM t WHERE v->>'dst_port' = 42001")" \
    "allow egress fme/application.engine-fmeserver 0 rule"
expect "42001 now unexplained failure" "$(jq_sql "$tmp/new.jsonl" "SELECT v->>'agreement' FROM t WHERE v->>'dst_port' = 42001")" \
    unexplained-failure

# Grouping by workload folds both engines' pool flows into one line each port.
"$A" check "$tmp/case.db" -p "$POL/fme-current" --group workload --format json > "$tmp/wl.jsonl"
expect "workload groups" "$(jq_sql "$tmp/wl.jsonl" "SELECT v->>'flows' FROM t WHERE v->>'dst_port' = 7070")" 2
"$A" check "$tmp/case.db" -p "$POL/fme-current" --group tuple --format csv > "$tmp/t.csv"
expect "csv header" "$(head -1 "$tmp/t.csv" | cut -d, -f1-7)" "src_ip,src_port,dst_ip,dst_port,proto,state,verdict"
expect "csv rows" "$(wc -l < "$tmp/t.csv" | tr -d ' ')" 8

# --explain: the engine's egress trace says why rule 0 missed 42001.
"$A" check "$tmp/case.db" -p "$POL/fme-current" --only denied --explain --format json > "$tmp/x.jsonl"
expect "explain field" "$(jq_sql "$tmp/x.jsonl" "SELECT DISTINCT r.value->>'field' FROM t, json_each(v->'trace'->'egress') p, json_each(p.value->'rules') r WHERE r.value->>'index' = 0 AND p.value->>'policy' = 'fme/application.engine-fmeserver'")" \
    "destination port"

# --namespace and time filters
"$A" check "$tmp/case.db" -p "$POL/fme-current" --namespace ingress-nginx --format json > "$tmp/ns.jsonl"
expect "--namespace" "$?/$(wc -l < "$tmp/ns.jsonl" | tr -d ' ')" "0/1"
"$A" check "$tmp/case.db" -p "$POL/fme-current" --since 2024-05-01T10:00:15Z --format json > "$tmp/since.jsonl"
expect "--since" "$?/$(wc -l < "$tmp/since.jsonl" | tr -d ' ')" "0/3"
finish
