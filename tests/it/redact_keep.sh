#!/bin/sh
# redact_keep.sh: redaction that keeps what the policies name
# (docs/security.md).  A case with an engine's connections to a partner API
# (inside the GlobalNetworkSet the customer's policy allows) and to another
# host.  Redacted without --keep-policy-nets, the partner's address becomes
# a pseudonym: the verdicts of the flows to both hosts become unknown, with
# the rule whose match is not known (docs/semantics.md §11), and check,
# diff and report name the rule (and redaction_untrusted marks the flows,
# and the pseudonym, outside the set, no longer flips the verdict to deny);
# redacted with
# --keep-policy-nets (and --keep-net), the partner's address and the verdict
# stay, the other host is still a pseudonym.  The same with podflow-capture
# --redact-external --keep-policy-nets on a pcap.
. "$TOP/tests/it/analyze_lib.inc"
C="$B/podflow-capture"
MK="$B/tests/tools/mkflows"
case "$C" in /*) ;; *) C="$TOP/$C" ;; esac
case "$MK" in /*) ;; *) MK="$TOP/$MK" ;; esac

make_case "$tmp/case.db" \
    "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, history, iface) VALUES (8, 1, 6, '198.18.1.21', 40008, '52.94.10.5', 443, 1714557650000000000, 1714557651000000000, 6, 500, 5, 700, 'SF', 'ShADadFf', 1), (9, 1, 6, '198.18.1.21', 40009, '93.184.216.34', 443, 1714557652000000000, 1714557653000000000, 3, 180, 0, 0, 'S0', 'S', 1)"
mkdir -p "$tmp/pol"
cat > "$tmp/pol/partners.yaml" <<'YAML'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: engine-egress
spec:
  order: 10
  selector: safe.k8s.fmeserver.component == "engine"
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      selector: role == "partner"
      ports: [443]
  - action: Allow
    protocol: TCP
    destination:
      selector: safe.k8s.fmeserver.component == "core"
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: partners
  labels: {role: partner}
spec:
  nets: [52.94.0.0/16]
YAML
w8="FROM t WHERE v->>'flow_id' = 8"
w9="FROM t WHERE v->>'flow_id' = 9"

"$A" check "$tmp/case.db" -p "$tmp/pol" --format json > "$tmp/plain.jsonl" 2>/dev/null
expect "before redaction: the partner allowed" "$(jq_sql "$tmp/plain.jsonl" "SELECT v->>'verdict' $w8")" allow
expect "before redaction: the other host denied" "$(jq_sql "$tmp/plain.jsonl" "SELECT v->>'verdict' $w9")" deny

# Without keeping: the pseudonym is outside the set, so the rule would not
# match it, though it matched the real address: the verdict is unknown,
# saying why, and check names the rule that cannot be trusted.
cp "$tmp/case.db" "$tmp/red.db"
"$A" redact "$tmp/red.db" > /dev/null 2>&1 || fail "redact"
"$A" check "$tmp/red.db" -p "$tmp/pol" --format json > "$tmp/red.jsonl" 2> "$tmp/err"
expect "redacted: the partner's flow unknown, not denied" \
    "$(jq_sql "$tmp/red.jsonl" "SELECT v->>'verdict' || ' ' || (v->'decided_by'->>'reason') $w8")" \
    "unknown redacted-peer"
jq_sql "$tmp/red.jsonl" "SELECT v->>'why' $w8" |
    grep -q "^the destination .* is a pseudonym (the case is redacted), and egress rule 0 of engine-egress, tried before the decision, names network set partners, which redaction did not keep" &&
    ok "the reason names the rule and the set" || fail "why: $(jq_sql "$tmp/red.jsonl" "SELECT v->>'why' $w8")"
expect "redacted: the other host's flow unknown too (its real address could be a partner's)" \
    "$(jq_sql "$tmp/red.jsonl" "SELECT v->>'verdict' $w9")" unknown
expect "redacted: pod-to-pod verdicts as before" \
    "$(jq_sql "$tmp/red.jsonl" "SELECT group_concat(v->>'verdict', ',') FROM t WHERE v->>'flow_id' NOT IN (8, 9)")" \
    "$(jq_sql "$tmp/plain.jsonl" "SELECT group_concat(v->>'verdict', ',') FROM t WHERE v->>'flow_id' NOT IN (8, 9)")"
"$A" check "$tmp/red.db" -p "$tmp/pol" > "$tmp/red.txt" 2> /dev/null
grep "^[0-9]* flows: " "$tmp/red.txt" > "$tmp/summary"
grep -q ", 2 unknown" "$tmp/summary" && ok "the summary counts the 2 unknown" || fail "summary: $(cat "$tmp/summary")"
grep -q "this case is redacted, and 1 rule name.*engine-egress egress rule 0 (network set partners)" "$tmp/err" &&
    ok "check names the rule" || fail "check warning: $(cat "$tmp/err")"
expect "redaction_untrusted on the partner's flow" \
    "$(jq_sql "$tmp/red.jsonl" "SELECT v->>'redaction_untrusted' $w8")" 1
expect "not on pod-to-pod flows" \
    "$(jq_sql "$tmp/red.jsonl" "SELECT count(*) FROM t WHERE v->>'redaction_untrusted' IS NOT NULL")" 2
"$A" diff "$tmp/red.db" --old "$tmp/pol" --new "$tmp/pol" > /dev/null 2> "$tmp/err"
grep -q "engine-egress egress rule 0 (network set partners)" "$tmp/err" && ok "diff names the rule" ||
    fail "diff warning: $(cat "$tmp/err")"
"$A" report "$tmp/red.db" -p "$tmp/pol" -o "$tmp/r.html" 2> /dev/null
grep -q 'id="redaction-untrusted">.*engine-egress egress rule 0 (network set partners)' "$tmp/r.html" &&
    ok "the report names the rule" || fail "report: no redaction paragraph"

# Keeping what the policies name (and one more network): the partner's
# address stays, the verdicts are those of the unredacted case, no warning;
# the other host is still a pseudonym.
cp "$tmp/case.db" "$tmp/keep.db"
"$A" redact "$tmp/keep.db" --keep-policy-nets "$tmp/pol" > "$tmp/out" 2> "$tmp/err"
expect "redact --keep-policy-nets: exit" $? 0
grep -q '^kept: 1 external addresses inside the 1 CIDRs' "$tmp/out" && ok "redact says what it kept" ||
    fail "redact output: $(cat "$tmp/out") $(cat "$tmp/err")"
expect "the partner's address kept" \
    "$(sqlite3 "$tmp/keep.db" "SELECT count(*) FROM flows WHERE dst_ip = '52.94.10.5'")" 1
expect "the other host redacted" \
    "$(sqlite3 "$tmp/keep.db" "SELECT count(*) FROM flows WHERE dst_ip = '93.184.216.34'")" 0
expect "meta.redaction_kept" \
    "$(sqlite3 "$tmp/keep.db" "SELECT value FROM meta WHERE key = 'redaction_kept'")" 52.94.0.0/16
"$A" check "$tmp/keep.db" -p "$tmp/pol" --format json > "$tmp/keep.jsonl" 2> "$tmp/err"
expect "kept: the partner allowed as before" "$(jq_sql "$tmp/keep.jsonl" "SELECT v->>'verdict' $w8")" allow
expect "kept: the other host denied as before" "$(jq_sql "$tmp/keep.jsonl" "SELECT v->>'verdict' $w9")" deny
grep -q 'this case is redacted' "$tmp/err" && fail "a warning though the set was kept: $(cat "$tmp/err")" ||
    ok "no warning: every CIDR the rules name was kept"
cp "$tmp/case.db" "$tmp/keep2.db"
"$A" redact "$tmp/keep2.db" --keep-policy-nets "$tmp/pol/partners.yaml" --keep-net 93.184.216.0/24 > /dev/null 2>&1
expect "--keep-net keeps the other host" \
    "$(sqlite3 "$tmp/keep2.db" "SELECT count(*) FROM flows WHERE dst_ip = '93.184.216.34'")" 1
"$A" redact "$tmp/keep2.db" --keep-net not-a-cidr > /dev/null 2> "$tmp/err"
expect "--keep-net with a bad CIDR: exit" $? 2
"$A" redact "$tmp/keep2.db" --keep-policy-nets "$tmp/nonexistent" > /dev/null 2> "$tmp/err"
expect "--keep-policy-nets with a missing path: exit" $? 2
"$A" redact --help | grep -q -- '--keep-policy-nets' && ok "redact usage names the option" || fail "usage"

# Redacted again, keeping another network: the case keeps only what both
# redactions kept (the partner's address became a pseudonym now), so the
# rule is named again.
cp "$tmp/keep.db" "$tmp/again.db"
"$A" redact "$tmp/again.db" --keep-net 93.184.216.0/24 > /dev/null 2>&1 || fail "redact again"
expect "redacted again: nothing kept by both" \
    "$(sqlite3 "$tmp/again.db" "SELECT count(*) FROM meta WHERE key = 'redaction_kept'")" 0
"$A" check "$tmp/again.db" -p "$tmp/pol" --format json > /dev/null 2> "$tmp/err"
grep -q "engine-egress egress rule 0 (network set partners)" "$tmp/err" &&
    ok "redacted again: check names the rule" || fail "redacted again: $(cat "$tmp/err")"

# Several redacted cases together (check merges them; so does merge): the
# result is redacted, and keeps only what every redacted input kept.
"$A" check "$tmp/keep.db" "$tmp/red.db" -p "$tmp/pol" --format json > "$tmp/both.jsonl" 2> "$tmp/err"
grep -q "this case is redacted, and 1 rule name.*engine-egress egress rule 0 (network set partners)" \
    "$tmp/err" && ok "check of a kept and an unkept case names the rule" ||
    fail "check of two cases: $(cat "$tmp/err")"
expect "two cases: the kept partner address allowed, trusted" \
    "$(jq_sql "$tmp/both.jsonl" "SELECT v->>'verdict' || ' ' || ifnull(v->>'redaction_untrusted', '-') FROM t WHERE v->>'dst_ip' = '52.94.10.5'")" \
    "allow -"
expect "two cases: every pseudonymised peer flagged" \
    "$(jq_sql "$tmp/both.jsonl" "SELECT count(*) FROM t WHERE v->>'redaction_untrusted'")" 3
"$A" check "$tmp/keep.db" "$tmp/keep2.db" -p "$tmp/pol" --format json > /dev/null 2> "$tmp/err"
grep -q 'this case is redacted' "$tmp/err" && fail "two kept cases: $(cat "$tmp/err")" ||
    ok "two cases that kept the set: no warning"
"$A" merge "$tmp/m.db" "$tmp/keep.db" "$tmp/keep2.db" 2> /dev/null || fail "merge"
expect "merge: redacted" "$(sqlite3 "$tmp/m.db" "SELECT count(*) FROM meta WHERE key = 'redacted'")" 1
expect "merge: what both kept" \
    "$(sqlite3 "$tmp/m.db" "SELECT value FROM meta WHERE key = 'redaction_kept'")" 52.94.0.0/16
"$A" merge "$tmp/m2.db" "$tmp/case.db" "$tmp/red.db" 2> /dev/null || fail "merge"
expect "merge of a plain and a redacted case: redacted" \
    "$(sqlite3 "$tmp/m2.db" "SELECT count(*) FROM meta WHERE key = 'redacted'")" 1
expect "... keeping nothing" \
    "$(sqlite3 "$tmp/m2.db" "SELECT count(*) FROM meta WHERE key = 'redaction_kept'")" 0

# A namespaced NetworkSet chosen through namespaceSelector (it inherits its
# namespace's labels, docs/semantics.md §2.4): its rule is named too.
make_case "$tmp/ns.db" \
    "INSERT INTO namespaces (name, labels) VALUES ('partners', '{\"kubernetes.io/metadata.name\":\"partners\",\"tier\":\"external\"}')" \
    "INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, history, iface) VALUES (8, 1, 6, '198.18.1.21', 40008, '52.94.10.5', 443, 1714557650000000000, 1714557651000000000, 6, 500, 5, 700, 'SF', 'ShADadFf', 1)"
mkdir -p "$tmp/nspol"
cat > "$tmp/nspol/p.yaml" <<'YAML'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: engine-partners
spec:
  selector: safe.k8s.fmeserver.component == "engine"
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      namespaceSelector: tier == "external"
      selector: role == "partner-api"
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata:
  name: partner-apis
  namespace: partners
  labels: {role: partner-api}
spec:
  nets: [52.94.0.0/16]
YAML
"$A" check "$tmp/ns.db" -p "$tmp/nspol" --format json > "$tmp/ns.jsonl" 2>/dev/null
expect "namespaced set: allowed before redaction" \
    "$(jq_sql "$tmp/ns.jsonl" "SELECT v->>'verdict' FROM t WHERE v->>'flow_id' = 8")" allow
cp "$tmp/ns.db" "$tmp/nsred.db"
"$A" redact "$tmp/nsred.db" > /dev/null 2>&1 || fail "redact"
"$A" check "$tmp/nsred.db" -p "$tmp/nspol" --format json > "$tmp/nsred.jsonl" 2> "$tmp/err"
grep -q "engine-partners egress rule 0 (network set partners/partner-apis)" "$tmp/err" &&
    ok "a set chosen through namespaceSelector: the rule named" || fail "namespaced set: $(cat "$tmp/err")"
expect "... and its flow flagged" \
    "$(jq_sql "$tmp/nsred.jsonl" "SELECT v->>'redaction_untrusted' FROM t WHERE v->>'flow_id' = 8")" 1
expect "... and its verdict unknown, through the namespace's labels" \
    "$(jq_sql "$tmp/nsred.jsonl" "SELECT v->>'verdict' || ' ' || (v->'decided_by'->>'reason') FROM t WHERE v->>'flow_id' = 8")" \
    "unknown redacted-peer"
cp "$tmp/ns.db" "$tmp/nskeep.db"
"$A" redact "$tmp/nskeep.db" --keep-policy-nets "$tmp/nspol" > /dev/null 2>&1 || fail "redact"
"$A" check "$tmp/nskeep.db" -p "$tmp/nspol" > /dev/null 2> "$tmp/err"
grep -q 'this case is redacted' "$tmp/err" && fail "namespaced set kept: $(cat "$tmp/err")" ||
    ok "a namespaced set kept: no warning"

# The capture does the same from the policy files, before writing.
if [ -x "$MK" ]; then
    printf '0 tcp 10.244.1.5 40001 52.94.10.5 443\n10 tcp 10.244.1.5 40002 93.184.216.34 443\n' |
        "$MK" "$tmp/a.pcap" || fail "mkflows"
    "$C" -q -w "$tmp/cap.db" -r "$tmp/a.pcap" --redact-external --keep-policy-nets "$tmp/pol" \
        2> "$tmp/err"
    expect "capture --keep-policy-nets: exit" $? 0
    expect "capture: the partner kept" \
        "$(sqlite3 "$tmp/cap.db" "SELECT count(*) FROM flows WHERE dst_ip = '52.94.10.5'")" 1
    expect "capture: the other host redacted" \
        "$(sqlite3 "$tmp/cap.db" "SELECT count(*) FROM flows WHERE dst_ip = '93.184.216.34'")" 0
    expect "capture: meta.redaction_kept" \
        "$(sqlite3 "$tmp/cap.db" "SELECT value FROM meta WHERE key = 'redaction_kept'")" 52.94.0.0/16
    # merged after another case: the redacted capture's id renumbered
    "$A" merge "$tmp/m3.db" "$tmp/case.db" "$tmp/cap.db" 2> /dev/null || fail "merge"
    expect "merge: the redacted capture renumbered" \
        "$(sqlite3 "$tmp/m3.db" "SELECT value FROM meta WHERE key = 'redacted_external'")" \
        "$(sqlite3 "$tmp/m3.db" "SELECT max(id) FROM captures")"
    expect "merge: the capture's kept CIDRs" \
        "$(sqlite3 "$tmp/m3.db" "SELECT value FROM meta WHERE key = 'redaction_kept'")" 52.94.0.0/16
    # a second redacted capture into the same case, keeping nothing: the
    # case keeps what both kept
    "$C" -q -w "$tmp/cap.db" -r "$tmp/a.pcap" --redact-external 2> "$tmp/err"
    expect "capture again: exit" $? 0
    expect "capture again: both captures redacted" \
        "$(sqlite3 "$tmp/cap.db" "SELECT value FROM meta WHERE key = 'redacted_external'")" "1 2"
    expect "capture again: nothing kept by both" \
        "$(sqlite3 "$tmp/cap.db" "SELECT count(*) FROM meta WHERE key = 'redaction_kept'")" 0
    "$C" -q -w "$tmp/cap2.db" -r "$tmp/a.pcap" --keep-policy-nets "$tmp/pol" 2> "$tmp/err"
    expect "--keep-policy-nets without --redact-external: exit" $? 2
    "$C" --help | grep -q -- '--keep-policy-nets' && ok "capture usage names the option" || fail "capture usage"
else
    echo "note: $MK not built; the capture part is skipped"
fi
finish
