#!/bin/sh
# analyze_select_show.sh: select on Calico's labels (own, projectcalico.org/*,
# pcns.*, pcsa.*), invalid selectors with their column, and show.
. "$TOP/tests/it/analyze_lib.inc"
make_case "$tmp/case.db"

"$A" select "$tmp/case.db" 'safe.k8s.fmeserver.component == "engine"' --format json > "$tmp/s.jsonl"
expect "select exit" $? 0
expect "select engines" "$(jq_sql "$tmp/s.jsonl" "SELECT group_concat(v->>'name', ' ') FROM t")" \
    "engine-standard-group-7d9f-abcde engine-standard-group-7d9f-fghij"
expect "select keys" "$(jq_sql "$tmp/s.jsonl" "SELECT count(*) FROM t WHERE v->>'ip' IS NOT NULL AND v->>'kind' = 'pod' AND v->>'namespace' = 'fme' AND json_type(v->'labels') = 'object'")" 2
expect "calico labels shown" "$(jq_sql "$tmp/s.jsonl" "SELECT DISTINCT json_extract(v, '\$.labels.\"pcns.projectcalico.org/name\"') || ' ' || json_extract(v, '\$.labels.\"projectcalico.org/serviceaccount\"') FROM t")" \
    "fme fmeserver"
"$A" select "$tmp/case.db" 'pcns.kubernetes.io/metadata.name == "ingress-nginx"' --format json > "$tmp/n.jsonl"
expect "select by namespace label" "$(jq_sql "$tmp/n.jsonl" "SELECT v->>'name' FROM t")" ingress-nginx-controller-0
"$A" select "$tmp/case.db" 'role != "db"' --format json > "$tmp/ne.jsonl"
expect "!= matches pods without the label" "$(wc -l < "$tmp/ne.jsonl" | tr -d ' ')" 6
"$A" select "$tmp/case.db" 'all()' > "$tmp/all.txt"
grep -q '^6 of 7 endpoints match' "$tmp/all.txt" && ok "select all() table" || fail "select all(): $(tail -1 "$tmp/all.txt")"
"$A" select "$tmp/case.db" 'global()' --format json > "$tmp/g.jsonl"
expect "select global()" $? 0

"$A" select "$tmp/case.db" 'app == "x" && => 1' > /dev/null 2> "$tmp/err"
expect "invalid selector exit" $? 2
grep -q 'column 15' "$tmp/err" && ok "invalid selector column" || fail "invalid selector message: $(cat "$tmp/err")"
"$A" select "$tmp/case.db" > /dev/null 2>&1; expect "select without selector" $? 2

"$A" show "$tmp/case.db" > "$tmp/show.txt"
expect "show exit" $? 0
grep -q 'capture 1: node node-a' "$tmp/show.txt" && ok "show captures" || fail "show captures"
grep -q 'S0 *2' "$tmp/show.txt" && ok "show flows by state" || fail "show flows by state"
grep -q 'endpoints: 7 (6 pods, 1 hosts' "$tmp/show.txt" && ok "show endpoints" || fail "show endpoints"
grep -q 'cali0core' "$tmp/show.txt" && ok "show interfaces" || fail "show interfaces"
finish
