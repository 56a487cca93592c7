#!/bin/bash
# record-fme.sh [-o FILE]: re-record samples/fme/capture.pcap, the FME Flow
# case's traffic as tcpdump saw it on the testbed's node.
#
# Builds tests/testbed/fme/topology, enforces the customer's current
# policies (tests/testbed/fme/current.nft, the nftables rendering of
# samples/fme/policies/current/), starts tcpdump in the node namespace on
# every interface ("any": Linux cooked headers with the interface index),
# inbound only so that a packet forwarded from one pod's veth to another's
# is kept once (as it entered the node from its sender), headers only (-s
# 256), IPv4 only; then runs tests/testbed/fme/flows and checks each flow
# went as the current policies say (engines -> core:42001/42002 get no
# answer; everything else completes).  Needs root and tcpdump.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$TOP/samples/fme/capture.pcap
if [ "${1:-}" = -o ] && [ -n "${2:-}" ]; then
    out=$2
elif [ $# -ne 0 ]; then
    echo "usage: record-fme.sh [-o FILE]" >&2
    exit 2
fi
command -v tcpdump >/dev/null 2>&1 || {
    echo "record-fme: no tcpdump (apt-get install tcpdump)" >&2
    exit 1
}
FME=$TOP/tests/testbed/fme
. "$TOP/tests/testbed/testbed.sh"

tb_init || exit 1
tb_up "$FME/topology" || exit 1
tb_policy "$FME/current.nft" || exit 1

# ip netns exec, not the tb_node function: $! must be tcpdump itself.
ip netns exec "$TB_NODE" tcpdump -i any -Q in -s 256 -U -n -w "$TB_DIR/capture.pcap" ip 2> "$TB_DIR/tcpdump.log" &
tcpdump_pid=$!
TB_CLEANUP_HOOK='kill $tcpdump_pid 2>/dev/null'
for i in $(seq 50); do
    grep -q 'listening on' "$TB_DIR/tcpdump.log" && break
    sleep 0.1
done
grep -q 'listening on' "$TB_DIR/tcpdump.log" || {
    echo "record-fme: tcpdump did not start:" >&2
    cat "$TB_DIR/tcpdump.log" >&2
    exit 1
}

echo "record-fme: FME traffic under the current policies:"
tb_flows "$FME/flows" 1
bad=$?
sleep 0.3
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid"
TB_CLEANUP_HOOK=
sed -n 's/^\([0-9]* packets captured\)/record-fme: \1/p' "$TB_DIR/tcpdump.log"
if [ $bad -ne 0 ]; then
    echo "record-fme: $bad flows did not go as the current policies say; $out not written" >&2
    exit 1
fi
cp "$TB_DIR/capture.pcap" "$out" || exit 1
echo "record-fme: wrote $out ($(wc -c < "$out") bytes)"
