#!/bin/sh
# analyze_crd.sh: policies as kubectl prints them without the Calico API
# server (crd.projectcalico.org/v1, docs/semantics.md §14) give the same
# verdicts as the same policies in projectcalico.org/v3 form; and a policy
# set that holds nothing, or not Kubernetes objects, is refused (exit 2)
# unless --no-policies asks for an empty set.
. "$TOP/tests/it/analyze_lib.inc"
[ -d "$POL/fme-current" ] || { echo "SKIP: tests/fixtures/policies/fme-current not present"; exit 77; }

make_case "$tmp/case.db"

# The FME policies in storage form, as libcalico-go v3.30 writes them: a
# default-tier policy with an undotted name is stored as default.<name>,
# the v3 name and the labels go into the projectcalico.org/metadata
# annotation, the CR keeps only projectcalico.org/ labels.
to_crd() {
    awk '
    /^---/ { kind = ""; inmeta = 0; print; next }
    /^apiVersion: projectcalico.org\/v3/ { print "apiVersion: crd.projectcalico.org/v1"; next }
    /^kind:/ { kind = $2 }
    /^metadata:/ { inmeta = 1; print; next }
    /^[a-z]/ { inmeta = 0 }
    inmeta && /^  name:/ {
        name = $2; tier = (name ~ /\./) ? name : "default." name
        sub(/\..*/, "", tier)
        if (kind ~ /NetworkPolicy$/) {
            print "  name: " ((name ~ /\./) ? name : "default." name)
            print "  labels:"
            print "    projectcalico.org/tier: " tier
            print "  annotations:"
            print "    projectcalico.org/metadata: '"'"'{\"name\":\"" name "\",\"creationTimestamp\":null}'"'"'"
        } else {
            print
            print "  annotations:"
            print "    projectcalico.org/metadata: '"'"'{\"creationTimestamp\":null}'"'"'"
        }
        next
    }
    { print }' "$1"
}
for set in fme-current fme-proposed; do
    mkdir -p "$tmp/$set"
    for f in "$POL/$set"/*.yaml; do
        to_crd "$f" > "$tmp/$set/$(basename "$f")"
    done
done
grep -q '^  name: default.default-deny$' "$tmp/fme-current/10-default-deny.yaml" &&
    ok "the converted GNP carries the v3.30 storage name" ||
    fail "conversion: $(cat "$tmp/fme-current/10-default-deny.yaml")"
grep -q '^apiVersion: projectcalico.org' "$tmp"/fme-current/*.yaml &&
    fail "a v3 object left in the storage form" || ok "every object converted"

for set in fme-current fme-proposed; do
    "$A" check "$tmp/case.db" -p "$POL/$set" --format json > "$tmp/v3.jsonl" 2> "$tmp/v3.err"
    rc3=$?
    "$A" check "$tmp/case.db" -p "$tmp/$set" --format json > "$tmp/crd.jsonl" 2> "$tmp/crd.err"
    rcc=$?
    expect "$set: same exit status" $rcc $rc3
    [ -s "$tmp/v3.jsonl" ] && cmp -s "$tmp/v3.jsonl" "$tmp/crd.jsonl" &&
        ok "$set: the same verdicts, deciders and traces in both forms" ||
        fail "$set: outputs differ: $(diff "$tmp/v3.jsonl" "$tmp/crd.jsonl" | head -5) $(cat "$tmp/crd.err")"
    [ -s "$tmp/crd.err" ] && fail "$set: messages on the storage form: $(cat "$tmp/crd.err")" ||
        ok "$set: no warning on the storage form"
done
expect "fme-proposed denies nothing" \
    "$(jq_sql "$tmp/crd.jsonl" "SELECT count(*) FROM t WHERE v->>'verdict' = 'deny'")" 0

# An empty policy directory, a directory of the wrong files: exit 2 naming
# the path, and no verdict.
mkdir -p "$tmp/empty" "$tmp/wrong"
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n' > "$tmp/wrong/deploy.yaml"
"$A" check "$tmp/case.db" -p "$tmp/empty" > "$tmp/out" 2> "$tmp/err"
expect "empty -p: exit" $? 2
grep -q "no policy object in '$tmp/empty'" "$tmp/err" && ok "empty -p named" || fail "empty -p: $(cat "$tmp/err")"
grep -q -- '--no-policies' "$tmp/err" && ok "the message names --no-policies" || fail "no hint: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "verdicts printed for an empty set" || ok "nothing judged"
"$A" check "$tmp/case.db" -p "$tmp/wrong" -p "$tmp/empty" > /dev/null 2> "$tmp/err"
expect "wrong -p: exit" $? 2
grep -q "no policy object in '$tmp/wrong', '$tmp/empty'" "$tmp/err" && ok "both paths named" ||
    fail "wrong -p: $(cat "$tmp/err")"
# ...unless an empty set is asked for.
"$A" check "$tmp/case.db" -p "$tmp/empty" --no-policies --format json > "$tmp/none.jsonl" 2> "$tmp/err"
expect "--no-policies with an empty -p: exit" $? 0
"$A" check "$tmp/case.db" --no-policies --format json > "$tmp/none2.jsonl" 2> "$tmp/err"
expect "--no-policies alone: exit" $? 0
expect "--no-policies: every flow judged" "$(wc -l < "$tmp/none2.jsonl" | tr -d ' ')" 7
"$A" check --help | grep -q -- '--no-policies' && ok "check usage names --no-policies" ||
    fail "check usage"
for c in diff report; do
    "$A" $c --help | grep -q -- '--no-policies' && ok "$c usage names --no-policies" ||
        fail "$c usage"
done
"$A" diff "$tmp/case.db" --old "$tmp/empty" --new "$POL/fme-current" > /dev/null 2> "$tmp/err"
expect "diff from an empty set: exit" $? 2
"$A" diff "$tmp/case.db" --old "$tmp/empty" --new "$POL/fme-current" --no-policies > /dev/null 2> "$tmp/err"
rc=$?
[ $rc -le 1 ] && ok "diff --no-policies from an empty set" || fail "diff --no-policies: $rc $(cat "$tmp/err")"

# A file that is not a Kubernetes object: one error with file:line:col.
printf -- '- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n' > "$tmp/seq.yaml"
printf '{}\n' > "$tmp/braces.yaml"
printf 'kind: [\n' > "$tmp/syntax.yaml"
for f in seq braces syntax; do
    "$A" check "$tmp/case.db" -p "$tmp/$f.yaml" > /dev/null 2> "$tmp/err"
    expect "$f.yaml: exit" $? 2
    grep -q "$f.yaml:[0-9]*:[0-9]*: error" "$tmp/err" && ok "$f.yaml: file:line:col" ||
        fail "$f.yaml: $(cat "$tmp/err")"
    grep -q 'no policy object\|holds no' "$tmp/err" && fail "$f.yaml: a second, contradictory message" ||
        ok "$f.yaml: one error"
done
finish
