#!/bin/sh
# fault_yaml_bomb.sh: hostile YAML to the policy loader (podflow-analyze
# check -p) and the inventory loader.  The promise (issue 8, Faults): deep
# nesting, huge scalars and alias expansion ("billion laughs") are refused
# with a message naming the file and the limit, quickly (under 10 s) and in
# bounded memory (peak RSS printed; under 512 MiB checked), exit 2.
#
# The inventory loader is tried twice: through `podflow-analyze inventory`
# (the case must come out untouched), and alone through its fuzz replay
# driver (inventory_load_mem, which prints what it loaded).
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A" "$B/fuzz-replay/fuzz_inventory"
"$C" -q -w "$tmp/case.db" -r "$TOP/tests/fuzz/corpus/pcap/tcp-sf.pcap" || exit 1

# Bombs.  Each is valid YAML that a naive loader would expand.
# deep: 100000 nested flow sequences
awk 'BEGIN { s = ""; for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }' \
    > "$tmp/deep.yaml"
# deepmap: 5000 nested block mappings
awk 'BEGIN { for (i = 0; i < 5000; i++) { for (j = 0; j < i % 200; j++) printf " "; print "k" i ":" } }' \
    > "$tmp/deepmap.yaml"
awk 'BEGIN { printf "{"; for (i = 0; i < 5000; i++) printf "\"k\": {"; printf "}"; for (i = 0; i < 5000; i++) printf "}"; print "" }' \
    > "$tmp/deepjson.json"
# huge: a 4 MiB scalar in a policy's name
{ printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: '
  head -c 4194304 /dev/zero | tr '\0' 'a'; printf '\nspec: {selector: all()}\n'; } > "$tmp/huge.yaml"
# laughs: nine levels of ten aliases (10^9 nodes if expanded)
{ echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
  prev=a
  for l in b c d e f g h i; do
      printf '%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' $l $l $prev $prev $prev $prev \
          $prev $prev $prev $prev $prev $prev
      prev=$l
  done
  echo 'apiVersion: projectcalico.org/v3'; echo 'kind: GlobalNetworkPolicy'
  echo 'metadata: {name: lol}'; echo 'spec: {selector: all(), ingress: *i}'; } > "$tmp/laughs.yaml"
# merge: the "<<" merge key with aliases (same trick, other spelling)
printf 'x: &x {a: 1}\ny: {<<: *x}\n' > "$tmp/merge.yaml"

# check NAME FILE PATTERN: both loaders refuse FILE with a message matching PATTERN.
check() {
    name=$1; f=$2; pat=$3
    start=$(date +%s)
    peak_rss_kb timeout 20 "$A" check "$tmp/case.db" -p "$f" > /dev/null 2> "$tmp/err" 3> "$tmp/rss"
    rc=$?; secs=$(( $(date +%s) - start )); rss=$(cat "$tmp/rss")
    echo "policy $name: exit $rc, ${secs}s, peak RSS ${rss} KiB"
    expect "policy $name: exit" "$rc" 2
    grep -Eq "$(basename "$f"):[0-9]+:[0-9]+: error: .*$pat" "$tmp/err" &&
        ok "policy $name: $(grep -m1 error "$tmp/err")" ||
        { fail "policy $name: message does not match '$pat'"; head -5 "$tmp/err" | cut -c1-200; }
    [ "$secs" -lt 10 ] || fail "policy $name: took ${secs}s"
    [ "${rss:-0}" -lt 524288 ] || fail "policy $name: peak RSS ${rss} KiB"

    cp "$tmp/case.db" "$tmp/case.before"
    peak_rss_kb timeout 20 "$A" inventory "$tmp/case.db" "$f" > /dev/null 2> "$tmp/err" 3> "$tmp/rss"
    rc=$?; rss=$(cat "$tmp/rss")
    expect "inventory command $name: exit" "$rc" 2
    grep -Eq "$(basename "$f"):[0-9]+:[0-9]+: error: .*$pat" "$tmp/err" &&
        ok "inventory command $name: $(grep -m1 error "$tmp/err" | cut -c1-160)" ||
        { fail "inventory command $name: message does not match '$pat'"; head -5 "$tmp/err" | cut -c1-200; }
    cmp -s "$tmp/case.db" "$tmp/case.before" && ok "inventory command $name: case untouched" ||
        fail "inventory command $name: case changed"
    [ "${rss:-0}" -lt 524288 ] || fail "inventory command $name: peak RSS ${rss} KiB"

    start=$(date +%s)
    FUZZ_VERBOSE=1 peak_rss_kb timeout 20 "$B/fuzz-replay/fuzz_inventory" "$f" 2> "$tmp/err" 3> "$tmp/rss"
    rc=$?; secs=$(( $(date +%s) - start )); rss=$(cat "$tmp/rss")
    echo "inventory $name: ${secs}s, peak RSS ${rss} KiB"
    expect "inventory $name: no crash" "$rc" 0
    grep -q '^inventory: rc -' "$tmp/err" && ok "inventory $name: refused" ||
        { fail "inventory $name: not refused"; grep '^inventory:' "$tmp/err"; }
    grep -Eq "fuzz.yaml:[0-9]+:[0-9]+: error: .*$pat" "$tmp/err" &&
        ok "inventory $name: $(grep -m1 error "$tmp/err" | cut -c1-160)" ||
        { fail "inventory $name: message does not match '$pat'"; head -5 "$tmp/err" | cut -c1-200; }
    [ "$secs" -lt 10 ] || fail "inventory $name: took ${secs}s"
    [ "${rss:-0}" -lt 524288 ] || fail "inventory $name: peak RSS ${rss} KiB"
}
check deep "$tmp/deep.yaml" "nest|deep|depth"
check deepmap "$tmp/deepmap.yaml" "nest|deep|depth|mapping values|did not find|indent"
check deepjson "$tmp/deepjson.json" "nest|deep|depth"
check huge "$tmp/huge.yaml" "scalar|long|larger|limit"
check laughs "$tmp/laughs.yaml" "alias|anchor"
check merge "$tmp/merge.yaml" "alias|anchor"
finish
