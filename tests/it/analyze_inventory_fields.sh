#!/bin/sh
# analyze_inventory_fields.sh: a bad field of an inventory object costs that
# field, not the object.  A pod with a container port without containerPort
# (ignored, as Calico ignores it), one with a label list instead of a map,
# one with a bad creationTimestamp: each is a file:line:col warning, the pod
# keeps its identity and the verdicts that depend on it; the count is
# recorded in the case (meta.inventory_problems) and shown by show, check
# (its first line) and report.  The same from a capture with --inventory.
. "$TOP/tests/it/analyze_lib.inc"
C="$B/podflow-capture"
case "$C" in /*) ;; *) C="$TOP/$C" ;; esac

# The FME case, without its inventory; the inventory as kubectl prints it,
# with three fields wrong.
make_case "$tmp/case.db" "DELETE FROM endpoints WHERE source = 'inventory'"
cat > "$tmp/inv.yaml" <<'YAML'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: fme}
- apiVersion: v1
  kind: Pod
  metadata:
    name: core-0
    namespace: fme
    labels: {safe.k8s.fmeserver.component: core}
  spec:
    nodeName: node-a
    containers:
    - name: core
      ports:
      - name: registration
        protocol: TCP
      - containerPort: 7070
        name: registration
  status: {podIP: 198.18.1.10}
- apiVersion: v1
  kind: Pod
  metadata:
    name: engine-standard-group-7d9f-abcde
    namespace: fme
    creationTimestamp: "last tuesday"
    labels: {safe.k8s.fmeserver.component: engine}
  spec: {nodeName: node-a}
  status: {podIP: 198.18.1.21}
- apiVersion: v1
  kind: Pod
  metadata:
    name: engine-standard-group-7d9f-fghij
    namespace: fme
    labels:
    - safe.k8s.fmeserver.component=engine
  spec: {nodeName: node-a}
  status: {podIP: 198.18.1.22}
YAML
"$A" inventory "$tmp/case.db" "$tmp/inv.yaml" > "$tmp/out" 2> "$tmp/err"
expect "inventory: exit" $? 0
grep -q 'inv.yaml:18:9: warning: missing .containers\[\].ports\[\].containerPort' "$tmp/err" &&
    ok "the port without containerPort: a warning at its place" || fail "port: $(cat "$tmp/err")"
grep -q 'inv.yaml:28:24: warning: invalid time' "$tmp/err" && ok "the bad time: a warning" ||
    fail "time: $(cat "$tmp/err")"
grep -q 'inv.yaml:38:5: warning: expected a mapping for .metadata.labels.' "$tmp/err" &&
    ok "the label list: a warning" || fail "labels: $(cat "$tmp/err")"
grep -q 'error' "$tmp/err" && fail "an error for a field: $(cat "$tmp/err")" || ok "no error"
grep -q '3 fields dropped' "$tmp/out" && ok "summary counts the fields" || fail "summary: $(cat "$tmp/out")"
expect "every pod kept" "$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM endpoints WHERE kind = 'pod' AND source = 'inventory'")" 3
expect "the good port of core kept" \
    "$(sqlite3 "$tmp/case.db" "SELECT ports FROM endpoints WHERE name = 'core-0'")" \
    '[{"name":"registration","port":7070,"protocol":"TCP"}]'
expect "the pod without labels keeps its identity" \
    "$(sqlite3 "$tmp/case.db" "SELECT labels FROM endpoints WHERE name = 'engine-standard-group-7d9f-fghij'")" '{}'
expect "meta.inventory_problems" \
    "$(sqlite3 "$tmp/case.db" "SELECT value FROM meta WHERE key = 'inventory_problems'")" 3

"$A" show "$tmp/case.db" > "$tmp/show" 2>&1
grep -q '^inventory: 3 problems when it was loaded' "$tmp/show" && ok "show says so" ||
    fail "show: $(head -3 "$tmp/show")"
"$A" check "$tmp/case.db" -p "$POL/fme-current" --format json > "$tmp/check.jsonl" 2> "$tmp/err"
expect "check: exit (denied flows)" $? 1
head -1 "$tmp/err" | grep -q "warning: the case's inventory had 3 problems" &&
    ok "check's first line says so" || fail "check: $(cat "$tmp/err")"
# The engine with the bad time still has its identity: 7070 is allowed by
# the engine policy, 42001 denied at the end of its tier, as with a clean
# inventory.
expect "7070 from the engine with a bad time" \
    "$(jq_sql "$tmp/check.jsonl" "SELECT v->>'verdict' || ' ' || (v->'decided_by'->>'policy') FROM t WHERE v->>'src_ip' = '198.18.1.21' AND v->>'dst_port' = 7070")" \
    "allow fme/application.engine-fmeserver"
"$A" report "$tmp/case.db" -p "$POL/fme-current" -o "$tmp/r.html" 2> "$tmp/err"
grep -q 'id="inventory-problems">The inventory had 3 problems' "$tmp/r.html" &&
    ok "the report says so" || fail "report: $(grep -c inventory-problems "$tmp/r.html")"
# Two cases read as one add their problems up.
cp "$tmp/case.db" "$tmp/case2.db"
"$A" show "$tmp/case.db" > /dev/null 2>&1
"$A" merge "$tmp/both.db" "$tmp/case.db" "$tmp/case2.db" > /dev/null 2>&1 || true
[ -f "$tmp/both.db" ] && expect "merge adds the problems up" \
    "$(sqlite3 "$tmp/both.db" "SELECT value FROM meta WHERE key = 'inventory_problems'")" 6

# The capture records the same count from --inventory.
if [ -x "$C" ] && [ -f "$TOP/samples/fme/capture.pcap" ]; then
    "$C" -q -w "$tmp/cap.db" -r "$TOP/samples/fme/capture.pcap" --inventory "$tmp/inv.yaml" \
        --node node-a > /dev/null 2> "$tmp/cerr"
    expect "capture: exit" $? 0
    grep -q 'inv.yaml:18:9: warning' "$tmp/cerr" && ok "capture: the warning" || fail "capture: $(cat "$tmp/cerr")"
    expect "capture: meta.inventory_problems" \
        "$(sqlite3 "$tmp/cap.db" "SELECT value FROM meta WHERE key = 'inventory_problems'")" 3
else
    echo "note: podflow-capture not built; its part skipped"
fi
finish
