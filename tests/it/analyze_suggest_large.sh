#!/bin/sh
# analyze_suggest_large.sh: podflow-analyze suggest on a generated case of
# 300 workloads (600 pods in 10 namespaces), kube-dns and 6000 flows
# (tests/it/suggest-large.sql): every recorded flow allowed by the
# suggestion as written, the breadth figure printed, DNS to kube-dns, and
# external addresses as network sets (--external-prefix aggregates them).
. "$TOP/tests/it/analyze_lib.inc"

sqlite3 "$tmp/case.db" < "$TOP/schema.sql" || exit 1
sqlite3 "$tmp/case.db" "CREATE TEMP TABLE p(ns, wl, flows); INSERT INTO p VALUES (10, 30, 6000);
$(cat "$TOP/tests/it/suggest-large.sql")" || exit 1
expect "generated flows" "$(sqlite3 "$tmp/case.db" 'SELECT count(*) FROM flows')" 6000

start=$(date +%s)
"$A" suggest "$tmp/case.db" --enforced --out "$tmp/out" > "$tmp/out.txt"
expect "exit" $? 0
echo "suggest: $(( $(date +%s) - start )) s"
cat "$tmp/out.txt"
expect "written" "$(head -1 "$tmp/out.txt" | sed 's| written to .*||')" \
    "300 policies with 2400 rules and 30 network sets"
expect "proof" "$(grep '^proof:' "$tmp/out.txt" | sed 's/.*; //')" "6000 of 6000 expressible flows allowed"
grep -q '^breadth: [0-9]* workload pairs\{0,1\} and ports\{0,1\} allowed but never seen (of 90601 candidates' "$tmp/out.txt" ||
    fail "no breadth figure"
"$A" check "$tmp/case.db" -p "$tmp/out" > /dev/null
expect "check allows every flow" $? 0
expect "DNS to kube-dns" "$(grep -c 'selector: k8s-app == "kube-dns"' "$tmp/out/ns0.yaml")" 30
expect "no pod-template-hash" "$(cat "$tmp/out"/*.yaml | grep -c pod-template-hash)" 0
expect "kube-system has no policy" "$(ls "$tmp/out" | grep -c kube-system)" 0

# One network set for 203.0.113.0/24 with --external-prefix 24, staged.
"$A" suggest "$tmp/case.db" --external-prefix 24 --out "$tmp/agg" > "$tmp/agg.txt"
expect "aggregated exit" $? 0
expect "aggregated" "$(head -1 "$tmp/agg.txt" | sed 's| written to .*||')" \
    "300 policies with 2400 rules and 1 network set"
expect "its net" "$(grep -A1 'nets:' "$tmp/agg/10-network-sets.yaml" | tail -1)" "  - 203.0.113.0/24"
expect "aggregated proof" "$(grep '^proof:' "$tmp/agg.txt" | sed 's/.*; //')" \
    "6000 of 6000 expressible flows allowed"
finish
