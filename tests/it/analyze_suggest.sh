#!/bin/sh
# analyze_suggest.sh: podflow-analyze suggest on the FME sample
# (samples/fme): --fix widens the engine policy's rule to the two pool
# ports seen failing, so that diff shows exactly 2 would-fix and nothing
# else, and flows never recorded (the engine to another core port, core to
# PostgreSQL) stay denied; from scratch, the enforced suggestion allows all
# 9 recorded flows and denies those same unrecorded ones.
. "$TOP/tests/it/analyze_lib.inc"
C="$B/podflow-capture"
case "$C" in /*) ;; *) C="$TOP/$C" ;; esac
[ -x "$C" ] || { echo "SKIP: $C not built"; exit 77; }
S="$TOP/samples/fme"
CUR="$S/policies/current"

"$C" -q -w "$tmp/case.db" -r "$S/capture.pcap" --inventory "$S/inventory.yaml" || exit 1

# The unrecorded flows: engine -> core:42500 and core -> postgresql:5432,
# both copies of recorded rows (so their identities are the sample's).
cp "$tmp/case.db" "$tmp/more.db"
sqlite3 "$tmp/more.db" "
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
  SELECT capture_id, proto, src_ip, src_port + 1, dst_ip, 42500, first_ns, last_ns,
         packets_fwd, bytes_fwd, 0, 0, 'S0', iface FROM flows WHERE dst_port = 42001;
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
  SELECT f.capture_id, f.proto, c.dst_ip, 40000, f.dst_ip, 5432, f.first_ns, f.last_ns,
         f.packets_fwd, f.bytes_fwd, 0, 0, 'S0', f.iface
  FROM flows f, (SELECT dst_ip FROM flows WHERE dst_port = 7070 LIMIT 1) c
  WHERE f.dst_port = 5432 LIMIT 1;" || exit 1
unrec="FROM t WHERE v->>'dst_port' IN (42500, 5432) AND v->>'state' = 'S0'"

# --fix: one change, widened in place, proved.
"$A" suggest "$tmp/case.db" -p "$CUR" --fix --out "$tmp/fix" > "$tmp/fix.txt"
expect "fix exit" $? 0
cat "$tmp/fix.txt"
expect "fix change" "$(sed -n 2p "$tmp/fix.txt")" \
    "  widened egress rule 0 of fme/application.engine-fmeserver [tier application]: ports + 42001-42002"
expect "fix proof" "$(grep '^proof:' "$tmp/fix.txt" | sed 's/.*allowed; //')" \
    "0 would-break, 0 newly-denied, 0 newly-unknown, 2 would-fix, 0 newly-allowed, 0 decided-elsewhere"
expect "fix diff line" "$(grep -c '^+      - "42001:42002"$' "$tmp/fix.txt")" 1
expect "other files copied unchanged" "$(cd "$tmp/fix" && for f in 00-tier.yaml 10-default-deny.yaml 20-application.yaml; do cmp -s "$f" "$CUR/$f" && echo same; done | wc -l | tr -d ' ')" 3
expect "only the engine policy changed" "$(diff "$CUR/30-engine.yaml" "$tmp/fix/30-engine.yaml" | grep -c '^>')" 2

"$A" diff "$tmp/case.db" --old "$CUR" --new "$tmp/fix" > "$tmp/diff.txt"
expect "diff exit" $? 0
expect "diff summary" "$(head -1 "$tmp/diff.txt")" \
    "9 flows judged under both sets; 2 differ: 0 would-break, 0 newly-denied, 0 newly-unknown, 2 would-fix, 0 newly-allowed, 0 decided-elsewhere"

"$A" check "$tmp/more.db" -p "$tmp/fix" -o json > "$tmp/fixmore.jsonl"
expect "fixed set: unrecorded flows stay denied" \
    "$(jq_sql "$tmp/fixmore.jsonl" "SELECT group_concat(v->>'dst_port' || ':' || (v->>'verdict'), ' ') $unrec")" \
    "42500:deny 5432:deny"
expect "fixed set: the pool flows allowed" \
    "$(jq_sql "$tmp/fixmore.jsonl" "SELECT group_concat(v->>'verdict', ' ') FROM t WHERE v->>'dst_port' IN (42001, 42002)")" \
    "allow allow"

# A one-line flow list: widened in place (", N").  Then with no rule to
# widen (the core rule replaced by one to another port range, a Deny
# first): a new rule.  A Kubernetes policy deciding (it cannot be
# edited in place): a new Calico policy in its tier, before it.
mkdir "$tmp/norule"
cp "$CUR"/*.yaml "$tmp/norule/"
cat > "$tmp/norule/30-engine.yaml" <<'YAML'
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
      selector: safe.k8s.fmeserver.component == "core"
      ports: [7070]
  - action: Allow
    protocol: TCP
    destination:
      selector: app.kubernetes.io/name == "postgresql"
      ports:
      - 5432
# the end
YAML
"$A" suggest "$tmp/case.db" -p "$tmp/norule" --fix -q --out "$tmp/fix2" > "$tmp/fix2.txt"
expect "flow list exit" $? 0
expect "flow list widened" "$(grep -c '^      ports: \[7070, "42001:42002"\]$' "$tmp/fix2/30-engine.yaml")" 1
sed 's/component == "core"$/component == "kore"/' "$tmp/norule/30-engine.yaml" > "$tmp/norule/x" &&
    mv "$tmp/norule/x" "$tmp/norule/30-engine.yaml"
"$A" suggest "$tmp/case.db" -p "$tmp/norule" --fix -q --out "$tmp/fix4" > "$tmp/fix4.txt"
expect "new rule exit" $? 0
expect "new rule change" "$(sed -n 2p "$tmp/fix4.txt")" \
    "  new egress rule in fme/application.engine-fmeserver [tier application]: ports 42001-42002"
expect "new rule proof" "$(grep '^proof:' "$tmp/fix4.txt" | sed 's/.*allowed; //')" \
    "0 would-break, 0 newly-denied, 0 newly-unknown, 2 would-fix, 0 newly-allowed, 0 decided-elsewhere"
expect "new rule before the trailing comment" "$(tail -2 "$tmp/fix4/30-engine.yaml")" '      - "42001:42002"
# the end'
mkdir "$tmp/knp"
cat > "$tmp/knp/engine.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: engine, namespace: fme}
spec:
  podSelector: {matchLabels: {safe.k8s.fmeserver.component: engine}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {safe.k8s.fmeserver.component: core}}}]
    ports: [{port: 7070}]
  - to: [{podSelector: {matchLabels: {app.kubernetes.io/name: postgresql}}}]
    ports: [{port: 5432}]
YAML
"$A" suggest "$tmp/case.db" -p "$tmp/knp" --fix --out "$tmp/fix3" > "$tmp/fix3.txt"
expect "new policy exit" $? 0
expect "new policy change" "$(sed -n 2p "$tmp/fix3.txt")" \
    "  new policy fme/podflow-fix-engine-standard-group-egress in tier default (egress): 42001-42002"
expect "new policy file" "$(ls "$tmp/fix3")" "engine.yaml
podflow-fix-fme-engine-standard-group-egress.yaml"
"$A" diff "$tmp/case.db" --old "$tmp/knp" --new "$tmp/fix3" > "$tmp/diff3.txt"
expect "new policy diff" "$(head -1 "$tmp/diff3.txt")" \
    "9 flows judged under both sets; 2 differ: 0 would-break, 0 newly-denied, 0 newly-unknown, 2 would-fix, 0 newly-allowed, 0 decided-elsewhere"

# From scratch, enforced: every recorded flow allowed, the others denied.
"$A" suggest "$tmp/case.db" --enforced --out "$tmp/new" > "$tmp/new.txt"
expect "scratch exit" $? 0
cat "$tmp/new.txt"
expect "scratch proof" "$(grep '^proof:' "$tmp/new.txt" | sed 's/.*; //')" "9 of 9 expressible flows allowed"
grep -q '^breadth: [0-9]* workload pairs and ports allowed but never seen' "$tmp/new.txt" ||
    fail "scratch: no breadth figure"
"$A" check "$tmp/case.db" -p "$tmp/new" > /dev/null
expect "scratch: check allows every recorded flow" $? 0
"$A" check "$tmp/more.db" -p "$tmp/new" -o json > "$tmp/newmore.jsonl"
expect "scratch: unrecorded flows denied" \
    "$(jq_sql "$tmp/newmore.jsonl" "SELECT group_concat(v->>'dst_port' || ':' || (v->>'verdict'), ' ') $unrec")" \
    "42500:deny 5432:deny"
expect "scratch: kinds" "$(cat "$tmp/new"/*.yaml | grep '^kind:' | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
    " 5 kind: NetworkPolicy; 1 kind: Tier;"
expect "scratch: selectors by stable labels" "$(grep -c 'pod-template-hash\|statefulset.kubernetes.io/pod-name' "$tmp/new"/*.yaml | awk -F: '{s += $2} END {print s}')" 0

# Staged (the default) and Kubernetes kinds load back and prove too.
"$A" suggest "$tmp/case.db" --out "$tmp/staged" > "$tmp/staged.txt"
expect "staged exit" $? 0
expect "staged kind" "$(grep -h '^kind:' "$tmp/staged"/fme.yaml | sort -u)" "kind: StagedNetworkPolicy"
"$A" suggest "$tmp/case.db" --kind k8s --enforced --out "$tmp/k8s" > "$tmp/k8s.txt"
expect "k8s exit" $? 0
expect "k8s proof" "$(grep '^proof:' "$tmp/k8s.txt" | sed 's/.*; //')" "9 of 9 expressible flows allowed"
"$A" check "$tmp/more.db" -p "$tmp/k8s" -o json > "$tmp/k8smore.jsonl"
expect "k8s: unrecorded flows denied" \
    "$(jq_sql "$tmp/k8smore.jsonl" "SELECT group_concat(v->>'dst_port' || ':' || (v->>'verdict'), ' ') $unrec")" \
    "42500:deny 5432:deny"

# The report's policy board shows the fix under the policy it edits, and
# nothing under a set with nothing to fix.
"$A" report "$tmp/case.db" -p "$CUR" --out "$tmp/cur.html"
expect "report exit" $? 0
expect "report: suggested fix" "$(grep -o '<tr class="fix">.*suggested fix</span> [^<]*' "$tmp/cur.html" | sed 's/.*<\/span> //')" \
    "widened egress rule 0 of fme/application.engine-fmeserver [tier application]: ports + 42001-42002 "
"$A" report "$tmp/case.db" -p "$tmp/fix" --out "$tmp/fixed.html"
expect "report of the fixed set: no fix" "$(grep -c 'class="fix"' "$tmp/fixed.html")" 0

# Usage and refusals.
"$A" suggest "$tmp/case.db" --fix --out "$tmp/x" 2> "$tmp/err"
expect "--fix without -p" $? 2
"$A" suggest "$tmp/case.db" -p "$CUR" --out "$tmp/x" 2> "$tmp/err"
expect "-p without --fix or --from-scratch" $? 2
"$A" suggest "$tmp/case.db" -p "$CUR" --fix --out "$tmp/fix" 2> "$tmp/err"
expect "a non-empty --out" $? 2
grep -q "is not empty" "$tmp/err" || fail "non-empty --out: no message"
finish
