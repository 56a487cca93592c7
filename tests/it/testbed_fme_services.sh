#!/bin/bash
# testbed_fme_services.sh: the FME Flow case on a real kernel with the
# engines reaching the core through a ClusterIP Service (nftables DNAT in
# the node's prerouting, as kube-proxy's nftables mode does), recorded as
# samples/fme/capture.pcap is (tests/testbed/record-fme.sh: `tcpdump -i any
# -Q in`, so each connection's packets after the DNAT are seen only as the
# backend's answers), and turned into a case from the pcap alone (no
# netlink, no conntrack) with the inventory's Services and EndpointSlices
# (tests/fixtures/services/fme-services.yaml).  Asserts (issue 12):
#   - the two registrations through the Service are each one connection,
#     paired with its post-DNAT leg, allowed by the engine policy's rule 0
#     and observed ok (without the Services they were denied: judged
#     against the Service address);
#   - the two job connections, dropped before the DNAT'd packet reached
#     the core (no second leg), are judged against the Service's one ready
#     backend: denied, explained;
#   - the verdicts are the sample's: 7 allowed, 2 denied, 0 unknown;
#   - show counts 4 flows to a Service: 2 paired, 2 judged by backends.
# Needs root and tcpdump: exit 0 pass, 77 skip, else fail.
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

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for c in ip nft sqlite3 sha1sum tcpdump; do
    command -v $c >/dev/null 2>&1 || { echo "SKIP: no '$c' command"; exit 77; }
done
ip netns add "tbprobe$$" 2>/dev/null || { echo "SKIP: cannot create network namespaces here"; exit 77; }
ip netns del "tbprobe$$"
for p in "$C" "$A" "$TBTRAFFIC"; do
    [ -x "$p" ] || { echo "FAIL: '$p' not built (make all testbed)"; exit 1; }
done
failures=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi; }

. "$TOP/tests/testbed/testbed.sh"
tb_init || exit 1
tb_up "$FME/topology" || exit 1
tb_policy "$FME/current.nft" || exit 1
for p in 7070 42001 42002; do tb_service 198.19.0.70 tcp $p core-0 $p || exit 1; done
ip netns exec "$TB_NODE" tcpdump -i any -Q in -s 256 -U -n -w "$TB_DIR/capture.pcap" ip \
    2> "$TB_DIR/tcpdump.log" &
tcpdump_pid=$!
TB_CLEANUP_HOOK='kill $tcpdump_pid 2>/dev/null'
for i in $(seq 50); do grep -q 'listening on' "$TB_DIR/tcpdump.log" && break; sleep 0.1; done
grep -q 'listening on' "$TB_DIR/tcpdump.log" || { echo "FAIL: tcpdump did not start"; exit 1; }
E1=engine-standard-group-6c9d8b7f5-k2x7q E2=engine-standard-group-6c9d8b7f5-p8w4n
expect "dataplane: registration through the Service" "$(tb_connect $E1 tcp 198.19.0.70 7070)" ok
expect "dataplane: registration through the Service" "$(tb_connect $E2 tcp 198.19.0.70 7070)" ok
tb_connect core-0 tcp $E1 7500 > /dev/null
tb_connect core-0 tcp $E2 7500 > /dev/null
tb_connect $E1 tcp postgresql-0 5432 > /dev/null
tb_connect $E2 tcp postgresql-0 5432 > /dev/null
tb_connect ingress-nginx-controller-5b8f7d4c9-qz6rt tcp web-7f9c6d5b8c-x4m2l 8080 > /dev/null
expect "dataplane: a job port through the Service" "$(tb_connect $E1 tcp 198.19.0.70 42001)" timeout
expect "dataplane: a job port through the Service" "$(tb_connect $E2 tcp 198.19.0.70 42002)" timeout
sleep 0.3
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid"
TB_CLEANUP_HOOK=

printf -- '---\n' > "$TB_DIR/sep"
cat "$S/inventory.yaml" "$TB_DIR/sep" "$TOP/tests/fixtures/services/fme-services.yaml" > "$TB_DIR/inv.yaml"
"$C" -q -w "$TB_DIR/case.db" -r "$TB_DIR/capture.pcap" --node worker-1 --inventory "$TB_DIR/inv.yaml" ||
    { echo "FAIL: podflow-capture -r"; exit 1; }
"$A" check "$TB_DIR/case.db" -p "$S/policies/current" > "$TB_DIR/check.txt"
expect "check: exit 1" "$?" 1
expect "check: the sample's verdicts" "$(grep '^9 flows' "$TB_DIR/check.txt")" \
    "9 flows: 7 allowed, 2 denied, 0 unknown; observed 7 ok, 2 failed, 0 unknown"
"$A" check "$TB_DIR/case.db" -p "$S/policies/current" -f json > "$TB_DIR/check.jsonl"
jl() {
    { echo "CREATE TABLE t (v TEXT);"
      sed "s/'/''/g; s/^/INSERT INTO t VALUES ('/; s/\$/');/" "$1"
      echo "$2"; } | sqlite3 -batch :memory:
}
expect "registrations: paired, judged against core-0, ok" \
    "$(jl "$TB_DIR/check.jsonl" "SELECT group_concat(DISTINCT json_extract(v, '\$.verdict') || ' ' || json_extract(v, '\$.translation') || ' ' || json_extract(v, '\$.dst.name') || ' ' || json_extract(v, '\$.decided_by.rule') || ' ' || json_extract(v, '\$.observed')) FROM t WHERE json_extract(v, '\$.service_port') = 7070")" \
    "allow paired core-0 0 ok"
expect "job ports: through the Service's one backend, denied, explained" \
    "$(jl "$TB_DIR/check.jsonl" "SELECT count(*) || ' ' || group_concat(DISTINCT json_extract(v, '\$.verdict') || ' ' || json_extract(v, '\$.translation') || ' ' || json_extract(v, '\$.agreement')) FROM t WHERE json_extract(v, '\$.dst_port') IN (42001, 42002)")" \
    "2 deny backends explained"
"$A" show "$TB_DIR/case.db" > "$TB_DIR/show.txt"
expect "show: translations" "$(grep -A3 '^flows to a Service address' "$TB_DIR/show.txt" | tr -s ' ' | tr '\n' '|')" \
    "flows to a Service address: 4| with a recorded translation (conntrack): 0| paired with their post-DNAT leg: 2| judged against every ready backend: 2|"
if [ $failures -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
