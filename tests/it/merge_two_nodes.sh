#!/bin/bash
# merge_two_nodes.sh: two nodes, each captured into its own case, merged.
#
# Two "node" network namespaces routed to each other over a veth (the
# uplink), each with one pod behind a Calico-style cali* veth:
#   client 198.18.0.10 (ns cli) on node-a  --  server 198.18.1.10 (ns srv) on node-b
# node-b drops the client's SYNs to 8080 on their way to the server's
# veth (nftables, forward hook): the destination's ingress policy.  Each
# node runs podflow-capture (node-a: cali*; node-b: cali* and its uplink,
# so the SYNs are seen arriving); the two cases are merged and checked
# against tests/fixtures/policies/two-nodes: the connection must be
# reported once, judged once (denied by srv/server-ingress, ingress), with
# both nodes' evidence (S0 at each, SYNs seen at node-b, never answered).
# Addresses are 198.18.0.0/15 only; names carry a per-run id; a trap
# removes everything, failures included.  Root only.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for c in ip nft timeout sqlite3; do
    command -v $c >/dev/null || { echo "SKIP: $c is not installed"; exit 77; }
done
A="$B/podflow-analyze"; C="$B/podflow-capture"
case "$A" in /*) ;; *) A="$TOP/$A" C="$TOP/$C" ;; esac
[ -x "$C" ] || { echo "SKIP: $C not built"; exit 77; }
[ -x "$A" ] || { echo "FAIL: $A not built"; exit 1; }

id=$(printf '%x%s' $(($$ % 65536)) "$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')")
NA=pfm$id-na NB=pfm$id-nb PA=pfm$id-pa PB=pfm$id-pb
tmp=$(mktemp -d "${TMPDIR:-/tmp}/podflow-2n.XXXXXX")
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    for n in $NA $NB $PA $PB; do ip netns del "$n" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'cleanup; trap - INT; kill -INT $$' INT
trap 'cleanup; trap - TERM; kill -TERM $$' TERM
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { if [ "$2" = "$3" ]; then echo "ok: $1"; else fail "$1: got '$2', want '$3'"; fi; }
run() { "$@" || { echo "FAIL: setup: $*"; exit 1; }; }

for n in $NA $NB $PA $PB; do run ip netns add "$n"; done
# Uplink node-a <-> node-b.
run ip link add up$id netns $NA type veth peer name up$id netns $NB
run ip -n $NA addr add 198.19.255.1/30 dev up$id
run ip -n $NB addr add 198.19.255.2/30 dev up$id
# pod_add NODE POD IFACE IP GATEWAY: a pod behind a cali* veth of NODE.
pod_add() {
    run ip link add "$3" netns "$1" type veth peer name eth0 netns "$2"
    run ip -n "$1" addr add "$5/24" dev "$3"
    run ip -n "$2" addr add "$4/24" dev eth0
    run ip -n "$2" link set lo up
    run ip -n "$2" link set eth0 up
    run ip -n "$1" link set "$3" up
    run ip -n "$2" route add default via "$5"
}
pod_add $NA $PA cali${id}a 198.18.0.10 198.18.0.1
pod_add $NB $PB cali${id}b 198.18.1.10 198.18.1.1
for n in $NA $NB; do
    run ip -n $n link set lo up
    run ip -n $n link set up$id up
    run ip netns exec $n sysctl -qw net.ipv4.ip_forward=1
done
run ip -n $NA route add 198.18.1.0/24 via 198.19.255.2
run ip -n $NB route add 198.18.0.0/24 via 198.19.255.1
# node-b: the destination's ingress policy, as Calico applies it (in the
# forward path, before the pod's veth).
run ip netns exec $NB nft -f - <<NFT
table inet podflow_test {
    chain forward {
        type filter hook forward priority 0; policy accept;
        oifname "cali${id}b" tcp dport 8080 drop
    }
}
NFT
# A reachability check first: ICMP passes the policy.
ip netns exec $PA ping -c1 -W2 198.18.1.10 >/dev/null || { echo "FAIL: setup: no route between the nodes"; exit 1; }

# Capture each node into its own case.
ip netns exec $NA "$C" -w "$tmp/node-a.db" -i 'cali*' --node node-a -G 6 -q 2>"$tmp/cap-a.err" &
pids="$pids $!"
ip netns exec $NB "$C" -w "$tmp/node-b.db" -i 'cali*' -i "up$id" --node node-b -G 6 -q 2>"$tmp/cap-b.err" &
pids="$pids $!"
sleep 1.5
# The client connects: SYN, retransmitted after 1 s; dropped at node-b.
ip netns exec $PA timeout 2.5 bash -c 'exec 3<>/dev/tcp/198.18.1.10/8080' 2>/dev/null
expect "the connection fails" $? 124
for p in $pids; do wait "$p" || fail "capture $p exited with $?: $(cat "$tmp"/cap-*.err)"; done
pids=

# The inventory, into each node's case (as a support engineer would:
# the same kubectl output added to every node's file; merge keeps it once).
for f in "$tmp/node-a.db" "$tmp/node-b.db"; do
    "$A" inventory "$f" "$TOP/tests/fixtures/two-nodes/inventory.yaml" >/dev/null ||
        { echo "FAIL: inventory into $f"; exit 1; }
done
q1() { sqlite3 -batch -noheader "$1" "SELECT count(*) FROM flows WHERE proto = 6 AND dst_ip = '198.18.1.10' AND dst_port = 8080 AND state = 'S0'"; }
expect "node-a saw the attempt" "$(q1 "$tmp/node-a.db")" 1
expect "node-b saw the attempt" "$(q1 "$tmp/node-b.db")" 1

"$A" merge -q "$tmp/case.db" "$tmp/node-a.db" "$tmp/node-b.db"
expect "merge" $? 0
expect "merged: each capture with its node" \
    "$(sqlite3 -batch -noheader "$tmp/case.db" "SELECT group_concat(node, ' ') FROM (SELECT node FROM captures ORDER BY id)")" "node-a node-b"
expect "merged: the attempt twice, once per node" "$(q1 "$tmp/case.db")" 2
expect "merged: netlink's address intervals stay with their node" \
    "$(sqlite3 -batch -noheader "$tmp/case.db" "SELECT group_concat(c.node || '=' || i.ip, ' ') FROM (SELECT * FROM ip_ifaces ORDER BY ip) AS i JOIN captures AS c ON c.id = i.capture_id WHERE i.via = 'addr'")" \
    "node-a=198.18.0.1 node-b=198.18.1.1 node-a=198.19.255.1 node-b=198.19.255.2"
expect "merged: the inventory once" \
    "$(sqlite3 -batch -noheader "$tmp/case.db" "SELECT group_concat(name || '@' || node, ' ') FROM (SELECT name, node FROM endpoints WHERE kind = 'pod' ORDER BY name)")" \
    "client-0@node-a server-0@node-b"

"$A" check "$tmp/case.db" -p "$TOP/tests/fixtures/policies/two-nodes" -f json > "$tmp/out.jsonl"
expect "check: denied (exit 1)" $? 1
j() { sqlite3 -batch -noheader :memory: "SELECT $1 FROM json_each(readfile('$tmp/rows.json')) AS r"; }
grep '"dst_port":8080' "$tmp/out.jsonl" | sed '1s/^/[/; $!s/$/,/; $s/$/]/' > "$tmp/rows.json"
expect "reported once" "$(j "count(*)")" 1
expect "judged deny" "$(j "json_extract(r.value, '\$.verdict')")" deny
expect "by the destination's ingress policy" \
    "$(j "json_extract(r.value, '\$.decided_by.direction') || ' ' || json_extract(r.value, '\$.decided_by.policy')")" \
    "ingress srv/server-ingress"
expect "both ends' evidence" \
    "$(j "(SELECT group_concat(json_extract(e.value, '\$.node') || ':' || json_extract(e.value, '\$.state') || ':' || (json_extract(e.value, '\$.packets_fwd') > 0) || ':' || json_extract(e.value, '\$.packets_rev'), ' ') FROM json_each(json_extract(r.value, '\$.ends')) AS e)")" \
    "node-a:S0:1:0 node-b:S0:1:0"
expect "each end's interface: the client's cali link, node-b's uplink" \
    "$(j "(SELECT group_concat(json_extract(e.value, '\$.node') || '/' || json_extract(e.value, '\$.iface'), ' ') FROM json_each(json_extract(r.value, '\$.ends')) AS e)")" \
    "node-a/cali${id}a node-b/up$id"
expect "reached node-b, unanswered there" "$(j "json_extract(r.value, '\$.reach')")" unanswered-at-dst-node
# The two cases given directly say the same.
"$A" check "$tmp/node-a.db" "$tmp/node-b.db" -p "$TOP/tests/fixtures/policies/two-nodes" -f json 2>/dev/null |
    grep -c '"dst_port":8080' > "$tmp/n"
expect "check of the two node cases: reported once" "$(cat "$tmp/n")" 1
# The table says it in words.
"$A" check "$tmp/case.db" -p "$TOP/tests/fixtures/policies/two-nodes" > "$tmp/table.txt"
grep -q "seen at node-a/cali${id}a S0" "$tmp/table.txt" && grep -q "node-b/up$id S0" "$tmp/table.txt" &&
    echo "ok: the table shows both ends" || fail "table: $(cat "$tmp/table.txt")"
[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
