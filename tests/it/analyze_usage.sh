#!/bin/sh
# analyze_usage.sh: exit statuses and messages for bad input and usage,
# --help for every command, --version, and the JSON keys contract.
. "$TOP/tests/it/analyze_lib.inc"

"$A" --version | grep -q '^podflow-analyze ' && ok "--version" || fail "--version"
for c in check select show; do
    "$A" $c --help > "$tmp/h" 2>&1; rc=$?
    expect "$c --help exit" $rc 0
    grep -q "^usage: podflow-analyze $c" "$tmp/h" && ok "$c --help text" || fail "$c --help text"
done
"$A" > /dev/null 2>&1; expect "no command" $? 2
"$A" frobnicate > /dev/null 2>&1; expect "unknown command" $? 2
"$A" check > /dev/null 2>&1; expect "check without a case" $? 2
make_case "$tmp/case.db"
"$A" check "$tmp/case.db" > /dev/null 2>&1; expect "check without -p" $? 2
"$A" check "$tmp/case.db" -p "$tmp/nonexistent" > /dev/null 2>&1; expect "missing policy path" $? 2
"$A" check "$tmp/case.db" -p "$tmp" --format xml > /dev/null 2>&1; expect "bad --format" $? 2
"$A" check "$tmp/case.db" -p "$tmp" --only some > /dev/null 2>&1; expect "bad --only" $? 2
"$A" check "$tmp/case.db" -p "$tmp" --since yesterday > /dev/null 2>&1; expect "bad --since" $? 2
"$A" check "$tmp/none.db" -p "$tmp" > /dev/null 2>&1; expect "missing case" $? 2
echo "not a database" > "$tmp/junk.db"
"$A" check "$tmp/junk.db" -p "$tmp" > /dev/null 2>&1; expect "junk case" $? 2
"$A" show "$tmp/junk.db" > /dev/null 2>&1; expect "show junk" $? 2

# An invalid policy stops with 2 and a file:line:col message.
printf 'apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: x\n  namespace: fme\nspec:\n  selector: a ==\n' > "$tmp/bad.yaml"
"$A" check "$tmp/case.db" -p "$tmp/bad.yaml" > /dev/null 2> "$tmp/err"; expect "invalid policy" $? 2
grep -q 'bad.yaml:[0-9]*:[0-9]*' "$tmp/err" && ok "policy error has file:line:col" || fail "policy error location: $(cat "$tmp/err")"

# No policies at all, asked for (--no-policies): everything allowed, exit 0.
mkdir "$tmp/empty"
"$A" check "$tmp/case.db" -p "$tmp/empty" --no-policies --format json > "$tmp/all.jsonl" 2>/dev/null
expect "no policies: exit" $? 0
expect "no policies: all allowed" "$(jq_sql "$tmp/all.jsonl" "SELECT count(*) FROM t WHERE v->>'verdict' = 'allow'")" 7
expect "no policies: reason" "$(jq_sql "$tmp/all.jsonl" "SELECT DISTINCT v->'decided_by'->>'reason' FROM t")" no-policy

# The top-level keys, exactly (issue 5 + issue 6); the FME case's capture
# has three interfaces (vantage points), hence node and iface (issue 9).
expect "json keys" "$(jq_sql "$tmp/all.jsonl" "SELECT group_concat(key, ',') FROM (SELECT key FROM t, json_each(t.v) WHERE t.v->>'flow_id' = 1)")" \
    "src_ip,src_port,dst_ip,dst_port,proto,state,verdict,decided_by,policies,src,dst,staged,observed,agreement,flow_id,first,last,src_process,dst_process,open,node,iface"
expect "decided_by keys" "$(jq_sql "$tmp/all.jsonl" "SELECT group_concat(key, ',') FROM (SELECT key FROM t, json_each(t.v->'decided_by') WHERE t.v->>'flow_id' = 1)")" \
    "direction,tier,policy,kind,rule,action,reason,host_endpoint,stage,selected_by"
expect "identity keys" "$(jq_sql "$tmp/all.jsonl" "SELECT group_concat(key, ',') FROM (SELECT key FROM t, json_each(t.v->'src') WHERE t.v->>'flow_id' = 1)")" \
    "kind,namespace,name,workload,workload_kind,service_account,labels"
expect "proto name" "$(jq_sql "$tmp/all.jsonl" "SELECT DISTINCT v->>'proto' FROM t")" TCP
finish
