#!/bin/sh
# analyze_diff.sh: podflow-analyze diff on crafted cases, one per class,
# with the exit status a CI gate reads (1 only when something would break).
. "$TOP/tests/it/analyze_lib.inc"
[ -d "$POL/fme-current" ] || { echo "SKIP: tests/fixtures/policies/fme-current not present"; exit 77; }
CUR="$POL/fme-current"
NEW="$POL/fme-proposed"

# The seed: engine -> core:42001/42002 failed (S0) under the current
# policy; the corrected engine policy allows them: would-fix, exit 0.
make_case "$tmp/case.db"
"$A" diff "$tmp/case.db" --old "$CUR" --new "$NEW" --format json > "$tmp/fix.jsonl"
expect "would-fix exit" $? 0
expect "summary first" "$(head -1 "$tmp/fix.jsonl" | sed 's/[0-9]//g')" \
    '{"summary":{"flows":,"changed":,"would-break":,"newly-denied":,"newly-unknown":,"would-fix":,"newly-allowed":,"decided-elsewhere":}}'
tail -n +2 "$tmp/fix.jsonl" > "$tmp/fix.rows"
expect "would-fix flows" "$(jq_sql "$tmp/fix.rows" "SELECT group_concat(v->>'dst_port' || ':' || (v->>'class'), ' ') FROM t")" \
    "42001:would-fix 42002:would-fix"
expect "nothing would break" "$(head -1 "$tmp/fix.jsonl" | sed 's/.*"would-break":\([0-9]*\).*/\1/')" 0
expect "would-fix: old decision" "$(jq_sql "$tmp/fix.rows" "SELECT DISTINCT v->'old'->>'verdict' || ' ' || (v->'old'->>'reason') || ' ' || (v->'old'->>'tier') FROM t")" \
    "deny end-of-tier application"
expect "would-fix: new decision" "$(jq_sql "$tmp/fix.rows" "SELECT DISTINCT v->'new'->>'verdict' || ' ' || (v->'new'->>'policy') || ' ' || (v->'new'->>'rule') FROM t")" \
    "allow fme/application.engine-fmeserver 0"

# The table: summary line first, then the records.
"$A" diff "$tmp/case.db" --old "$CUR" --new "$NEW" > "$tmp/fix.txt"
expect "table exit" $? 0
expect "table summary" "$(head -1 "$tmp/fix.txt")" \
    "7 flows judged under both sets; 2 differ: 0 would-break, 0 newly-denied, 0 newly-unknown, 2 would-fix, 0 newly-allowed, 0 decided-elsewhere"
expect "table rows" "$(grep -c '^would-fix ' "$tmp/fix.txt")" 2

# Reverse: the same failed flows newly denied (not seen working): exit 0.
"$A" diff "$tmp/case.db" --old "$NEW" --new "$CUR" --format csv > "$tmp/den.csv"
expect "newly-denied exit" $? 0
expect "newly-denied rows" "$(tail -n +2 "$tmp/den.csv" | cut -d, -f1 | sort | uniq -c | tr -s ' ')" " 2 newly-denied"

# would-break: the pool flows completed (SF): the old policy worked, the
# proposal denies them: exit 1.
make_case "$tmp/ok.db" "UPDATE flows SET state = 'SF', packets_rev = 4, bytes_rev = 300 WHERE dst_port IN (42001, 42002)"
"$A" diff "$tmp/ok.db" --old "$NEW" --new "$CUR" --format csv > "$tmp/brk.csv"
expect "would-break exit" $? 1
expect "would-break rows" "$(tail -n +2 "$tmp/brk.csv" | cut -d, -f1 | sort | uniq -c | tr -s ' ')" " 2 would-break"

# newly-allowed: outcome unknown (OTH), denied before, allowed now.
make_case "$tmp/oth.db" "UPDATE flows SET state = 'OTH' WHERE dst_port = 42001"
"$A" diff "$tmp/oth.db" --old "$CUR" --new "$NEW" --format csv > "$tmp/na.csv"
expect "newly-allowed exit" $? 0
expect "newly-allowed and would-fix" "$(tail -n +2 "$tmp/na.csv" | cut -d, -f1,7 | sort | tr '\n' ' ')" \
    "newly-allowed,42001 would-fix,42002 "

# decided-elsewhere: the engine's egress rules swapped: 7070 and 5432 stay
# allowed but by the other rule.
mkdir -p "$tmp/swapped"
cp "$CUR"/00-tier.yaml "$CUR"/10-default-deny.yaml "$CUR"/20-application.yaml "$tmp/swapped/"
cat > "$tmp/swapped/30-engine.yaml" <<'YAML'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: application.engine-fmeserver
  namespace: fme
spec:
  tier: application
  order: 37.5
  selector: safe.k8s.fmeserver.component == "engine"
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: safe.k8s.fmeserver.component == "core"
    destination:
      ports: [7500]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      selector: app.kubernetes.io/name == "postgresql"
      ports: [5432]
  - action: Allow
    protocol: TCP
    destination:
      selector: safe.k8s.fmeserver.component == "core"
      ports: [7070]
YAML
"$A" diff "$tmp/case.db" --old "$CUR" --new "$tmp/swapped" --format json > "$tmp/el.jsonl"
expect "decided-elsewhere exit" $? 0
tail -n +2 "$tmp/el.jsonl" > "$tmp/el.rows"
expect "decided-elsewhere rows" "$(jq_sql "$tmp/el.rows" "SELECT group_concat(v->>'dst_port' || ':' || (v->>'class') || ':' || (v->'old'->>'rule') || '>' || (v->'new'->>'rule'), ' ') FROM t")" \
    "7070:decided-elsewhere:0>1 7070:decided-elsewhere:0>1 5432:decided-elsewhere:1>0"

# Grouping: by workload the two engine pods' 7070 flows are one line.
"$A" diff "$tmp/case.db" --old "$CUR" --new "$tmp/swapped" --group workload --format json > "$tmp/wl.jsonl"
tail -n +2 "$tmp/wl.jsonl" > "$tmp/wl.rows"
expect "workload groups" "$(jq_sql "$tmp/wl.rows" "SELECT group_concat(v->>'dst_port' || 'x' || (v->>'flows'), ' ') FROM t")" "7070x2 5432x1"
expect "workload identity" "$(jq_sql "$tmp/wl.rows" "SELECT v->>'src' FROM t LIMIT 1")" fme/engine-standard-group

# Identical sets: nothing differs.
"$A" diff "$tmp/case.db" --old "$CUR" --new "$CUR" > "$tmp/same.txt"
expect "identical sets exit" $? 0
expect "identical sets" "$(head -1 "$tmp/same.txt" | sed 's/:.*//')" "7 flows judged under both sets; 0 differ"

# A large case: the records are written as they are made. Every flow
# of the analyzer bench's 100,000 changes (the new set keeps only the
# tiers), ~68 MB of JSON Lines: more than a buffer may hold
# (LIM_BUF_DEFAULT, 64 MiB), which the old build failed on ("cannot write
# the results: limit exceeded", exit 2).
sh "$TOP/tests/bench/gen_analyze.sh" "$tmp/big" 100000 > /dev/null || exit 1
"$A" diff "$tmp/big/bench.db" --old "$tmp/big/policies" --new "$tmp/big/policies/00-tiers.yaml" \
    --format json > "$tmp/big.jsonl"
expect "large diff exit" $? 0
expect "large diff records" "$(wc -l < "$tmp/big.jsonl") $(($(wc -c < "$tmp/big.jsonl") > 67108864))" "100001 1"
expect "large diff last record" "$(tail -1 "$tmp/big.jsonl" | sed -n 's/^{"class":"[a-z-]*",.*"new":{.*}}$/whole/p')" whole
"$A" diff "$tmp/big/bench.db" --old "$tmp/big/policies" --new "$tmp/big/policies/00-tiers.yaml" \
    --format csv > /dev/full 2> "$tmp/full.err"
expect "a full disk: exit 2" $? 2
expect "a full disk: said" "$(cat "$tmp/full.err")" "podflow-analyze: cannot write to standard output: No space left on device"

# Bad input: exit 2.
"$A" diff "$tmp/case.db" --old "$CUR" 2>/dev/null
expect "no --new" $? 2
"$A" diff "$tmp/case.db" --old "$CUR" --new "$NEW" --group nope 2>/dev/null
expect "bad --group" $? 2
"$A" diff "$tmp/missing.db" --old "$CUR" --new "$NEW" 2>/dev/null
expect "missing case" $? 2
"$A" diff "$tmp/case.db" --old "$CUR" --new "$tmp/nowhere" 2>/dev/null
expect "missing policy path" $? 2
"$A" diff --help > /dev/null
expect "--help" $? 0
finish
