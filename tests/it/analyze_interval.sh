#!/bin/sh
# analyze_interval.sh: check --interval, traffic over time (issue 15): the
# seed case's flows in buckets, for the cluster and each namespace, by
# verdict, as JSON Lines, CSV and a table; packets and bytes spread over a
# flow's buckets adding up to its totals; the capture's coverage; usage
# errors for what a series cannot be.
. "$TOP/tests/it/analyze_lib.inc"
make_case "$tmp/case.db"
CUR=$POL/fme-current

# The seed: 7 flows between 10:00:01 and 10:00:41, the capture 10:00-10:05.
"$A" check "$tmp/case.db" -p "$CUR" --interval 10s -o json > "$tmp/s.jsonl"
expect "--interval -o json exit (something denied)" $? 1
q() { jq_sql "$tmp/s.jsonl" "$1"; }
# 10:00:00 .. 10:05:00 inclusive: 31 buckets of 10 s, two cluster rows each.
expect "cluster rows" "$(q "SELECT count(*) FROM t WHERE json_extract(v,'$.scope') = 'cluster'")" 62
expect "first bucket" "$(q "SELECT json_extract(v,'$.start') FROM t LIMIT 1")" "2024-05-01T10:00:00.000000Z"
# Connections where they start: 5 allowed, 2 denied (the pool ports).
expect "cluster connections allowed" "$(q "SELECT sum(json_extract(v,'$.connections')) FROM t WHERE json_extract(v,'$.scope') = 'cluster' AND json_extract(v,'$.verdict') = 'allow'")" 5
expect "cluster connections denied" "$(q "SELECT sum(json_extract(v,'$.connections')) FROM t WHERE json_extract(v,'$.scope') = 'cluster' AND json_extract(v,'$.verdict') = 'deny'")" 2
expect "denied in the 10:00:10 bucket" "$(q "SELECT json_extract(v,'$.connections') || ' ' || json_extract(v,'$.cps') FROM t WHERE json_extract(v,'$.scope') = 'cluster' AND json_extract(v,'$.verdict') = 'deny' AND json_extract(v,'$.start_ns') = 1714557610000000000")" "2 0.2"
# Every byte counted once in the cluster: the case's totals.
expect "cluster bytes = the case's" "$(q "SELECT sum(json_extract(v,'$.bytes')) FROM t WHERE json_extract(v,'$.scope') = 'cluster'")" \
    "$(sqlite3 "$tmp/case.db" 'SELECT sum(bytes_fwd + bytes_rev) FROM flows')"
# A namespace counts the flows with an end in it: ingress-nginx only flow 7.
expect "ingress-nginx rows" "$(q "SELECT count(*) || ' ' || sum(json_extract(v,'$.bytes')) FROM t WHERE json_extract(v,'$.namespace') = 'ingress-nginx'")" "1 4400"
# Nothing before the first flow in fme: a namespace's quiet buckets are left out.
expect "fme rows have traffic" "$(q "SELECT count(*) FROM t WHERE json_extract(v,'$.namespace') = 'fme' AND json_extract(v,'$.connections') + json_extract(v,'$.packets') = 0")" 0
expect "coverage inside the capture" "$(q "SELECT min(json_extract(v,'$.coverage')) FROM t WHERE json_extract(v,'$.start_ns') < 1714557900000000000")" 1
expect "coverage of the bucket after it" "$(q "SELECT max(json_extract(v,'$.coverage')) FROM t WHERE json_extract(v,'$.start_ns') = 1714557900000000000")" 0

# Judged in one thread or three: the same series.
"$A" check "$tmp/case.db" -p "$CUR" --interval 10s -o json -j 1 > "$tmp/j1.jsonl"
"$A" check "$tmp/case.db" -p "$CUR" --interval 10s -o json -j 3 > "$tmp/j3.jsonl"
cmp -s "$tmp/j1.jsonl" "$tmp/s.jsonl" && cmp -s "$tmp/j3.jsonl" "$tmp/s.jsonl" && ok "-j 1, -j 3: the same series" ||
    fail "the series differs with -j"

# A flow longer than a bucket: its bytes spread, whole, adding up.
make_case "$tmp/long.db" "UPDATE flows SET last_ns = first_ns + 25000000000 WHERE id = 7"
"$A" check "$tmp/long.db" -p "$CUR" --interval 10s -o json > "$tmp/l.jsonl"
expect "long flow: buckets" "$(jq_sql "$tmp/l.jsonl" "SELECT count(*) FROM t WHERE json_extract(v,'$.namespace') = 'ingress-nginx'")" 3
expect "long flow: bytes add up" "$(jq_sql "$tmp/l.jsonl" "SELECT sum(json_extract(v,'$.bytes')) FROM t WHERE json_extract(v,'$.namespace') = 'ingress-nginx'")" 4400
expect "long flow: one connection" "$(jq_sql "$tmp/l.jsonl" "SELECT sum(json_extract(v,'$.connections')) FROM t WHERE json_extract(v,'$.namespace') = 'ingress-nginx'")" 1

# CSV: a header and the same records.
"$A" check "$tmp/case.db" -p "$CUR" --interval 10s -o csv > "$tmp/s.csv"
expect "csv header" "$(head -1 "$tmp/s.csv")" "start,end,start_ns,end_ns,scope,namespace,verdict,connections,packets,bytes,cps,pps,bps,coverage"
expect "csv rows = json rows" "$(($(wc -l < "$tmp/s.csv") - 1))" "$(wc -l < "$tmp/s.jsonl" | tr -d ' ')"
# The table.
"$A" check "$tmp/case.db" -p "$CUR" --interval 1m > "$tmp/s.txt"
grep -q '^2024-05-01 10:00:00  ingress-nginx  *allow  *1 ' "$tmp/s.txt" && ok "table row" ||
    fail "table: $(cat "$tmp/s.txt")"
# --since counts back from the case's end (10:05): only the last minute.
"$A" check "$tmp/case.db" -p "$CUR" --interval 10s --since 1m -o json > "$tmp/w.jsonl"
expect "--since 1m: first bucket" "$(jq_sql "$tmp/w.jsonl" "SELECT json_extract(v,'$.start') FROM t LIMIT 1")" "2024-05-01T10:04:00.000000Z"
expect "--since 1m: no connection" "$(jq_sql "$tmp/w.jsonl" "SELECT sum(json_extract(v,'$.connections')) FROM t")" 0

# Usage: a bad duration, a series that cannot be one, too many buckets.
"$A" check "$tmp/case.db" -p "$CUR" --interval 0s > /dev/null 2> "$tmp/e1"
expect "--interval 0s exit" $? 2
grep -q "interval takes a duration" "$tmp/e1" && ok "--interval 0s: said why" || fail "--interval 0s: $(cat "$tmp/e1")"
"$A" check "$tmp/case.db" -p "$CUR" --interval 1m -o dot > /dev/null 2> "$tmp/e2"
expect "--interval -o dot exit" $? 2
"$A" check "$tmp/case.db" -p "$CUR" --interval 1m -g workload > /dev/null 2> "$tmp/e3"
expect "--interval -g exit" $? 2
make_case "$tmp/far.db" "UPDATE flows SET last_ns = first_ns + 86400000000000 * 365 WHERE id = 7"
"$A" check "$tmp/far.db" -p "$CUR" --interval 1ms -o json > /dev/null 2> "$tmp/e4"
expect "too many buckets exit" $? 2
grep -q "more than 200000 buckets" "$tmp/e4" && ok "too many buckets: said why" || fail "too many buckets: $(cat "$tmp/e4")"
finish
