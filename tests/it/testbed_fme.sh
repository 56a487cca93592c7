#!/bin/bash
# testbed_fme.sh: issue 7's end-to-end test, the FME Flow case on a real kernel.
#
# Builds the testbed node of tests/testbed/fme/topology, enforces the
# customer's current policies with nftables (tests/testbed/fme/current.nft,
# the rendering of samples/fme/policies/current/), captures live with
# `podflow-capture -i 'cali*'` in the node namespace (with the inventory
# samples/fme/inventory.yaml), runs tests/testbed/fme/flows, stops the
# capture with SIGINT, and asserts:
#   - the capture recorded every flow, and nothing else, with the state the
#     dataplane gave it (answered: SF; dropped: S0) and the pods' names; an
#     answered flow once per pod link it crossed (the client's, then the
#     server's), a dropped one at the client's link only;
#   - `check` against the current policies reports each connection exactly
#     once (one per vantage point pairing: the two rows of an answered
#     flow are one connection, "ends" naming worker-1/<client's link> and
#     worker-1/<server's link>), denies exactly the flows nftables dropped,
#     each observed failed and "explained", and the deciding policies and
#     rules it reports are exactly the nftables rules that counted packets
#     (each rule's comment is its Calico trace);
#   - `check` against the proposed policies allows every flow, each once;
#   - `diff` current -> proposed says would-fix for exactly the pool flows,
#     each once, and would-break for none (exit status 0);
#   - and, on the dataplane, the proposed rendering lets every flow through.
#
# `diff --format json` prints a summary object first, then one object per
# changed flow with src_ip, dst_ip, dst_port and its "class" (would-break,
# would-fix, newly-denied, newly-allowed, decided-elsewhere).
#
# Needs root: exit 0 pass, 77 skip, else fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$TOP/$B ;; esac
C=$B/podflow-capture
A=$B/podflow-analyze
export TBTRAFFIC=$B/tbtraffic
FME=$TOP/tests/testbed/fme
S=$TOP/samples/fme
INV=$S/inventory.yaml
CUR=$S/policies/current
NEW=$S/policies/proposed

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (network namespaces, live capture)"
    exit 77
fi
for c in ip nft sqlite3 sha1sum; do
    command -v $c >/dev/null 2>&1 || { echo "SKIP: no '$c' command (make deps)"; exit 77; }
done
if ! ip netns add "tbprobe$$" 2>/dev/null; then
    echo "SKIP: cannot create network namespaces here"
    exit 77
fi
ip netns del "tbprobe$$"
for p in "$C" "$A" "$TBTRAFFIC"; do
    [ -x "$p" ] || { echo "FAIL: '$p' not built (make all testbed)"; exit 1; }
done

failures=0
missing=
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi; }
need() { missing="$missing
  - $1"; fail "not implemented yet: $1"; }
# has_command NAME: podflow-analyze has subcommand NAME (its --help works).
has_command() { "$A" "$1" --help >/dev/null 2>&1; }
# jl FILE SQL: SQL over table t(v), one row per JSON line of FILE.
jl() {
    { echo "CREATE TABLE t (v TEXT);"
      sed "s/'/''/g; s/^/INSERT INTO t VALUES ('/; s/\$/');/" "$1"
      echo "$2"; } | sqlite3 -batch :memory:
}

if ! "$C" --help >/dev/null 2>&1; then
    echo "FAIL: not implemented yet: podflow-capture (issue 3); nothing to test without it"
    exit 1
fi
if ! has_command check; then
    echo "FAIL: not implemented yet: podflow-analyze check (issue 5); nothing to test without it"
    exit 1
fi
cap_inventory=
"$C" --help 2>&1 | grep -q -- '--inventory' && cap_inventory=yes

. "$TOP/tests/testbed/testbed.sh"
tb_init || exit 1
TB_CLEANUP_HOOK='[ -n "${cap_pid:-}" ] && kill -KILL $cap_pid 2>/dev/null'
tb_up "$FME/topology" || exit 1
tb_policy "$FME/current.nft" || exit 1
db=$TB_DIR/case.db
out=$TB_DIR

# --- capture the FME traffic -------------------------------------------------
cap=(-w "$db" -i 'cali*' -q --node worker-1 --commit-interval 1)
[ -n "$cap_inventory" ] && cap+=(--inventory "$INV")
# ip netns exec execs: $! is podflow-capture itself.
ip netns exec "$TB_NODE" "$C" "${cap[@]}" 2> "$out/capture.log" &
cap_pid=$!
for i in $(seq 50); do
    [ "$(sqlite3 "$db" 'SELECT count(*) FROM interfaces' 2>/dev/null)" = 6 ] && break
    kill -0 $cap_pid 2>/dev/null || break
    sleep 0.2
done
expect "capture follows the 6 cali interfaces" \
    "$(sqlite3 "$db" "SELECT count(*) FROM interfaces WHERE name GLOB 'cali*'" 2>&1)" 6
echo "FME traffic under the current policies:"
tb_flows "$FME/flows" 1
expect "the dataplane did what current.nft says" $? 0
sleep 0.5
kill -INT $cap_pid
wait $cap_pid
expect "capture exit status after SIGINT" $? 0
cap_pid=
sed 's/^/    capture: /' "$out/capture.log"
tb_node nft list ruleset > "$out/ruleset.txt"

if [ -z "$cap_inventory" ]; then
    if has_command inventory; then
        "$A" inventory "$db" "$INV"
        expect "podflow-analyze inventory exit status" $? 0
    else
        need "attaching an inventory: podflow-capture --inventory or podflow-analyze inventory (issue 4)"
    fi
fi

# --- what the capture recorded -------------------------------------------------
# The expected flows: src_ip dst_ip dst_port want-current want-proposed
# src dst src-link dst-link (each (src, dst, port) once in the flows file).
expected=$out/expected.txt
while read -r src proto dst port cur new; do
    case $src in '' | '#'*) continue ;; esac
    echo "$(tb_ip "$src") $(tb_ip "$dst") $port $cur $new $src $dst $(tb_iface "$src") $(tb_iface "$dst")"
done < "$FME/flows" > "$expected"
expect "each expected flow once in the flows file" \
    "$(awk '{ print $1, $2, $3 }' "$expected" | sort | uniq -d)" ""
state_for() {
    case $1 in ok) echo SF ;; timeout) echo S0 ;; refused) echo REJ ;; *) echo "?" ;; esac
}
while read -r sip dip port cur new src dst sif dif; do
    w="proto = 6 AND src_ip = '$sip' AND dst_ip = '$dip' AND dst_port = $port"
    expect "$src -> $dst:$port recorded $(state_for "$cur")" \
        "$(sqlite3 "$db" "SELECT group_concat(DISTINCT state) FROM flows WHERE $w")" "$(state_for "$cur")"
    # Answered: both pods' links saw it (two rows, one connection);
    # dropped in the node's forward path: the client's link only.
    if [ "$cur" = ok ]; then links="$sif $dif"; else links=$sif; fi
    expect "$src -> $dst:$port recorded at: $links" \
        "$(sqlite3 "$db" "SELECT group_concat(name, ' ') FROM (SELECT i.name FROM flows_named AS f JOIN interfaces AS i ON i.id = f.iface WHERE $w ORDER BY f.first_ns, f.id)")" \
        "$links"
    expect "$src -> $dst:$port named" \
        "$(sqlite3 "$db" "SELECT group_concat(DISTINCT src_namespace || '/' || src_name || ' ' || dst_name) FROM flows_named WHERE $w")" \
        "$(tb_k8sns "$src")/$src $dst"
done < "$expected"
known=$(awk '{ printf "%s(src_ip = '\''%s'\'' AND dst_ip = '\''%s'\'' AND dst_port = %s)", (NR > 1 ? " OR " : ""), $1, $2, $3 }' "$expected")
expect "no flow but the FME traffic" "$(sqlite3 "$db" "SELECT count(*) FROM flows WHERE NOT ($known)")" 0

# --- check against the current policies ----------------------------------------
"$A" check "$db" -p "$CUR" --format json > "$out/current.jsonl" 2> "$out/current.err"
expect "check current: exit status (something denied)" $? 1
cat "$out/current.err"
while read -r sip dip port cur new src dst sif dif; do
    w="WHERE v->>'src_ip' = '$sip' AND v->>'dst_ip' = '$dip' AND v->>'dst_port' = $port"
    # Exactly once, with the evidence of every link that saw it.
    # (Sorted: the two links' timestamps may tie at the capture's
    # resolution, and the reported end is the earliest.)
    ends=-
    [ "$cur" = ok ] && ends=$(printf 'worker-1/%s\n' "$sif" "$dif" | sort | paste -sd ' ')
    expect "current: $src -> $dst:$port reported once, seen at: $ends" \
        "$(jl "$out/current.jsonl" "SELECT (SELECT count(*) FROM t $w) || ' ' || coalesce((SELECT group_concat(x, ' ') FROM (SELECT (e.value->>'node') || '/' || (e.value->>'iface') AS x FROM t, json_each(t.v->'ends') AS e $w ORDER BY x)), '-')")" \
        "1 $ends"
    if [ "$cur" = ok ]; then
        expect "current: $src -> $dst:$port" \
            "$(jl "$out/current.jsonl" "SELECT group_concat(DISTINCT (v->>'verdict') || ' ' || (v->>'agreement')) FROM t $w")" \
            "allow consistent"
    else
        expect "current: $src -> $dst:$port" \
            "$(jl "$out/current.jsonl" "SELECT group_concat(DISTINCT (v->>'verdict') || ' ' || (v->>'observed') || ' ' || (v->>'agreement')) FROM t $w")" \
            "deny failed explained"
    fi
done < "$expected"
# The decisions the analyzer reports are the rules nftables counted: for each
# flow the egress decision, and the ingress one unless egress denied (the
# packet never reached it), as "tier|policy|action|rule" (the trace without
# its position).
jl "$out/current.jsonl" "
    SELECT DISTINCT substr(p.value, instr(p.value, '|') + 1) FROM t, json_each(v->'policies') d,
        json_each(d.value) p
    WHERE p.key = json_array_length(d.value) - 1
      AND NOT (d.key = 'ingress' AND v->>'verdict' = 'deny'
               AND v->'decided_by'->>'direction' = 'egress')
    ORDER BY 1" > "$out/analyzer-decisions.txt"
grep -E 'counter packets [1-9][0-9]* ' "$out/ruleset.txt" | sed -n 's/.* comment "\(.*\)"$/\1/p' |
    sort -u > "$out/nft-decisions.txt"
if [ -s "$out/nft-decisions.txt" ] && cmp -s "$out/analyzer-decisions.txt" "$out/nft-decisions.txt"; then
    ok "deciding policies and rules = the nftables rules that counted packets ($(wc -l < "$out/nft-decisions.txt"))"
else
    fail "deciding policies and rules differ from the nftables rules that counted packets"
    diff "$out/nft-decisions.txt" "$out/analyzer-decisions.txt" | sed 's/^/    /'
fi
expect "current: pool flows denied at the end of tier application, egress, by the engine policy" \
    "$(jl "$out/current.jsonl" "SELECT group_concat(DISTINCT (v->'decided_by'->>'direction') || ' ' || (v->'decided_by'->>'reason') || ' ' || (v->'decided_by'->>'tier') || ' ' || (v->'decided_by'->>'policy')) FROM t WHERE v->>'verdict' = 'deny'")" \
    "egress end-of-tier application fme/application.engine-fmeserver"

# --- check against the proposed policies ---------------------------------------
"$A" check "$db" -p "$NEW" --format json > "$out/proposed.jsonl" 2> "$out/proposed.err"
expect "check proposed: exit status (nothing denied)" $? 0
cat "$out/proposed.err"
expect "proposed: every flow allowed" \
    "$(jl "$out/proposed.jsonl" "SELECT group_concat(DISTINCT v->>'verdict') FROM t")" allow
expect "proposed: as many flows as current" "$(wc -l < "$out/proposed.jsonl")" "$(wc -l < "$out/current.jsonl")"
expect "proposed: each connection reported once" \
    "$(jl "$out/proposed.jsonl" "SELECT count(*) || ' ' || count(DISTINCT (v->>'src_ip') || ' ' || (v->>'dst_ip') || ' ' || (v->>'dst_port')) FROM t")" \
    "$(wc -l < "$expected") $(wc -l < "$expected")"

# --- diff current -> proposed ----------------------------------------------------
if has_command diff; then
    "$A" diff "$db" --old "$CUR" --new "$NEW" --format json > "$out/diff.jsonl" 2> "$out/diff.err"
    expect "diff: exit status (nothing would break)" $? 0
    cat "$out/diff.err"
    pool=$(awk '$4 != "ok" { print $1 " " $2 " " $3 }' "$expected" | sort)
    expect "diff: would-fix exactly the pool flows, each once" \
        "$(jl "$out/diff.jsonl" "SELECT (v->>'src_ip') || ' ' || (v->>'dst_ip') || ' ' || (v->>'dst_port') FROM t WHERE v->>'class' = 'would-fix' ORDER BY 1")" \
        "$pool"
    expect "diff: nothing else changes" \
        "$(jl "$out/diff.jsonl" "SELECT count(*) FROM t WHERE v->>'summary' IS NULL AND coalesce(v->>'class', '') != 'would-fix'")" 0
else
    need "podflow-analyze diff (issue 6)"
fi

# --- the proposed policies on the dataplane ---------------------------------------
tb_policy "$FME/proposed.nft" || fail "proposed.nft not loaded"
echo "FME traffic under the proposed policies:"
tb_flows "$FME/flows" 2
expect "proposed.nft lets every flow through" $? 0

if [ -n "$missing" ]; then
    echo "testbed_fme: podflow lacks what this test needs:$missing"
fi
[ $failures -eq 0 ] && echo "testbed_fme: all passed" || echo "testbed_fme: $failures failed"
[ $failures -eq 0 ]
