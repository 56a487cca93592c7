#!/bin/sh
# fault_inputs.sh: no silent coercion of YAML and JSON inputs (issue 17,
# item 4, and the inventory's exit status).
#  - a NUL in a string ("all()\u0000 junk", "deny\u0000all") is an error
#    with file:line:col, not a string cut at it;
#  - ports: [true] is a boolean, not a port name; 10.0.0.0/08 is refused;
#    order: 1e999 says it is out of range (it used to say "expected a
#    number, found a number");
#  - inventory objects reported as errors make podflow-analyze inventory
#    and podflow-capture --inventory exit 2 with their count (the good
#    objects and the flows are still written).
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
case=$tmp/case.db
"$C" -q -w "$case" -r "$TOP/samples/fme/capture.pcap" || { echo "FAIL: making the case"; exit 1; }

# policy FILE WANT...: check with FILE exits 2; each WANT (grep -E) is a line.
policy() {
    f=$1; shift
    "$A" check "$case" -p "$f" > /dev/null 2> "$tmp/err"; rc=$?
    expect "$(basename "$f"): exit" "$rc" 2
    for w in "$@"; do
        grep -Eq "$w" "$tmp/err" && ok "$(basename "$f"): $w" || { fail "$(basename "$f"): no '$w' in:"; cat "$tmp/err"; }
    done
}

printf '%s\n' 'apiVersion: projectcalico.org/v3' 'kind: GlobalNetworkPolicy' \
    'metadata: {name: "deny\u0000all"}' 'spec: {selector: all()}' > "$tmp/nul-name.yaml"
policy "$tmp/nul-name.yaml" "nul-name.yaml:3:18: error: a string holds a NUL character"
printf '%s' '{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy",' \
    '"metadata":{"name":"x"},"spec":{"selector":"all()\u0000 junk"}}' > "$tmp/nul-sel.json"
policy "$tmp/nul-sel.json" "nul-sel.json:1:[0-9]+: error: a string holds a NUL character"
printf '%s\n' 'apiVersion: projectcalico.org/v3' 'kind: GlobalNetworkPolicy' \
    'metadata: {name: x}' 'spec:' '  order: 1e999' '  selector: all()' '  ingress:' \
    '  - action: Allow' '    protocol: TCP' '    destination: {ports: [true], nets: [10.0.0.0/08]}' \
    > "$tmp/coerce.yaml"
policy "$tmp/coerce.yaml" \
    "coerce.yaml:5:10: error: number out of range for 'spec.order': found 1e999" \
    "coerce.yaml:10:[0-9]+: error: invalid port true .*a boolean" \
    "coerce.yaml:10:[0-9]+: error: invalid CIDR '10.0.0.0/08'"
printf '%s\n' 'apiVersion: networking.k8s.io/v1' 'kind: NetworkPolicy' \
    'metadata: {name: k, namespace: fme}' 'spec:' '  podSelector: {}' '  ingress:' \
    '  - ports: [{port: true}]' > "$tmp/k8s-bool.yaml"
policy "$tmp/k8s-bool.yaml" "k8s-bool.yaml:7:[0-9]+: error: .*found a boolean"

# An inventory with a NUL in a name: an error at its position.
printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: "web\u0000x", namespace: fme}' \
    'status: {podIP: 198.18.1.99}' > "$tmp/inv-nul.yaml"
cp "$case" "$tmp/inv.db"
"$A" inventory "$tmp/inv.db" "$tmp/inv-nul.yaml" > /dev/null 2> "$tmp/err"; rc=$?
expect "inventory with a NUL: exit" "$rc" 2
grep -q "inv-nul.yaml:3:[0-9]*: error: a string holds a NUL character" "$tmp/err" &&
    ok "inventory NUL: named" || fail "inventory NUL: $(cat "$tmp/err")"

# Malformed inventory objects: reported, counted, exit 2; the rest written.
mal=$TOP/tests/fixtures/inventory/malformed.yaml
n=$(grep -c ': error: ' <<EOF
$("$A" inventory "$tmp/inv.db" "$mal" 2>&1 > /dev/null)
EOF
)
"$A" inventory "$tmp/inv.db" "$mal" > "$tmp/out" 2> "$tmp/err"; rc=$?
expect "inventory with malformed objects: exit" "$rc" 2
grep -q "podflow-analyze: $n inventory objects reported above were not added" "$tmp/err" &&
    ok "inventory: the count ($n)" || fail "inventory: no count: $(tail -1 "$tmp/err")"
# The pods whose identity holds are written (a bad field costs the field,
# not the pod: 5 of them), the malformed ones not.
grep -q "inventory of 6 pods, .*(7 malformed, skipped; 5 fields dropped" "$tmp/out" &&
    ok "inventory: the well-formed pods are written" ||
    fail "inventory: $(cat "$tmp/out")"
"$C" -q -w "$tmp/cap.db" -r "$TOP/samples/fme/capture.pcap" --inventory "$mal" 2> "$tmp/err"; rc=$?
expect "capture --inventory with malformed objects: exit" "$rc" 2
grep -q "podflow-capture: $n inventory objects reported above were skipped" "$tmp/err" &&
    ok "capture: the count ($n)" || fail "capture: no count: $(tail -1 "$tmp/err")"
expect "capture: the flows are written" "$(sqlite3 -batch "$tmp/cap.db" "SELECT count(*) FROM flows")" \
    "$(sqlite3 -batch "$case" "SELECT count(*) FROM flows")"
finish
