#!/bin/bash
# testbed_smoke.sh: the netns testbed itself (tests/testbed/testbed.sh),
# before any podflow program is involved.  Checks that it builds a node with
# Calico-style and bridge-style pods, that nftables in the node refuses new
# connections in each way a CNI can (drop: the client hears nothing; TCP
# reset; ICMP admin-prohibited) while allowed traffic and replies flow, that
# no pod has a route out of 198.18.0.0/15, that an IP can be given to a new
# pod, that a Service emulated with DNAT reaches its backend through the
# node's conntrack, that two runs side by side do not collide, and that
# nothing is left behind: after a normal end, after a failing command and
# after SIGTERM.  Needs root; exit 0 pass, 77 skip, anything else fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
TOP=${TOP:-$(pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$TOP/$B ;; esac
TESTBED=$TOP/tests/testbed/testbed.sh
TOPO=$TOP/tests/testbed/smoke/topology
RULES=$TOP/tests/testbed/smoke/rules.nft
export TBTRAFFIC=$B/tbtraffic

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (network namespaces)"
    exit 77
fi
for c in ip nft sha1sum; do
    command -v $c >/dev/null 2>&1 || { echo "SKIP: no '$c' command (make deps)"; exit 77; }
done
if ! ip netns add "tbprobe$$" 2>/dev/null; then
    echo "SKIP: cannot create network namespaces here"
    exit 77
fi
ip netns del "tbprobe$$"
[ -x "$TBTRAFFIC" ] || { echo "FAIL: no $TBTRAFFIC (make testbed)"; exit 1; }

failures=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect WHAT GOT WANT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi; }

# Run ids: the shell's pid plus a letter, so a rerun cannot meet an old run.
id_main=$(printf '%xm' $$)
id_fail=$(printf '%xf' $$)
id_term=$(printf '%xt' $$)
left_over() { ip netns list | awk -v p="tb-$1-" 'index($1, p) == 1' | wc -l; }
cleanup() {
    local id
    [ -n "${term_pid:-}" ] && kill "$term_pid" 2>/dev/null
    rm -f "$mark"
    for id in "$id_main" "$id_fail" "$id_term"; do
        [ "$(left_over "$id")" = 0 ] || bash "$TESTBED" down "$id" >/dev/null 2>&1
    done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Pod-like links of the host's own namespace: the testbed must not add any
# (it makes every link inside its node namespace).
root_links=$(ip -o link show | awk -F': ' '$2 ~ /^(cali|veth|cni)/ { print $2 }' | sort | tr '\n' ' ')

# --- a second run, side by side with the main one (same pods, same IPs) ---
TB_ID=$id_term bash "$TESTBED" up "$TOPO" -n "$RULES" > /dev/null 2>&1 &
term_pid=$!
for _ in $(seq 100); do
    [ "$(left_over "$id_term")" = 5 ] && break
    sleep 0.1
done
expect "side run: node and 4 pods up" "$(left_over "$id_term")" 5

mark=$(mktemp)
# --- the main run, in a subshell so its own trap tears it down -------------
(
    # shellcheck source=../testbed/testbed.sh
    . "$TESTBED"
    TB_ID=$id_main
    tb_init || exit 1
    tb_up "$TOPO" || exit 1
    tb_policy "$RULES" || exit 1
    echo "$TB_DIR" > "$mark"

    # Names and routes.
    for p in client server; do
        [[ $(tb_iface $p) =~ ^cali[0-9a-f]{11}$ ]] && ok "$p: Calico-style name $(tb_iface $p)" ||
            fail "$p: interface '$(tb_iface $p)' is not cali + 11 hex digits"
        expect "$p: node route" "$(tb_node ip -4 route show "$(tb_ip $p)/32" | tr -s ' ' | sed 's/ $//')" \
            "$(tb_ip $p) dev $(tb_iface $p) scope link"
        expect "$p: proxy_arp" "$(tb_node sysctl -n net.ipv4.conf.$(tb_iface $p).proxy_arp)" 1
        expect "$p: pod routes" "$(tb_pod $p ip -4 route show | tr -s ' ' | sed 's/ $//' | sort | tr '\n' ';')" \
            "169.254.1.1 dev eth0 scope link;198.18.0.0/15 via 169.254.1.1 dev eth0;"
    done
    expect "web-a: on the bridge" \
        "$(tb_node ip -o link show "$(tb_iface web-a)" | grep -o "master [^ ]*")" "master $TB_BRIDGE"
    expect "web-a: pod routes" "$(tb_pod web-a ip -4 route show | tr -s ' ' | sed 's/ $//' | sort | tr '\n' ';')" \
        "198.18.0.0/15 via 198.18.3.1 dev eth0;198.18.3.0/24 dev eth0 proto kernel scope link src 198.18.3.10;"
    expect "node: forwarding" "$(tb_node sysctl -n net.ipv4.ip_forward)" 1
    expect "node: no default route" "$(tb_node ip -4 route show default | wc -l)" 0
    expect "node: links are lo, the bridge and the pods' veths" \
        "$(tb_node ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -cv -e '^lo$' -e "^$TB_BRIDGE\$" -e '^cali' -e '^veth')" 0

    # Allowed traffic, both styles and across them.
    expect "tcp allowed" "$(tb_connect client tcp server 80)" ok
    expect "udp allowed" "$(tb_connect client udp server 53)" ok
    expect "cali -> bridge" "$(tb_connect client tcp web-a 80)" ok
    expect "bridge -> bridge" "$(tb_connect web-a tcp web-b 80)" ok
    expect "bridge -> cali" "$(tb_connect web-b tcp server 80)" ok
    expect "no listener: the pod's kernel resets" "$(tb_connect client tcp server 84)" refused

    # Denied new connections, each way a CNI does it.
    t0=$(date +%s%N)
    expect "tcp drop: silence" "$(tb_connect -w 1500 client tcp server 81)" timeout
    t1=$(date +%s%N)
    [ $(((t1 - t0) / 1000000)) -ge 1400 ] && ok "tcp drop waited the whole timeout" ||
        fail "tcp drop answered after $(((t1 - t0) / 1000000)) ms"
    expect "tcp reject with reset" "$(tb_connect client tcp server 82)" refused
    expect "tcp reject with admin-prohibited" "$(tb_connect client tcp server 83)" unreachable
    expect "udp drop: silence" "$(tb_connect -w 1000 client udp server 54)" timeout
    expect "udp reject with admin-prohibited" "$(tb_connect client udp server 55)" unreachable
    for port in 81 82 83; do
        n=$(tb_node nft list chain inet tb_smoke forward | grep "tcp dport $port " | grep -o 'packets [0-9]*')
        [ "${n#packets }" -gt 0 ] 2>/dev/null && ok "rule for tcp $port hit ($n)" ||
            fail "rule for tcp $port not hit ('$n')"
    done
    # The rules bind one direction: server -> client:81 is not dropped but
    # meets the client's kernel (no listener: reset).
    expect "rules bind one direction only" "$(tb_connect server tcp client 81)" refused

    # Nothing leaves 198.18.0.0/15.
    expect "no route out of the testbed" "$(tb_connect client tcp 192.0.2.1 80)" unreachable

    # A Service: DNAT in the node, visible in its conntrack table.
    tb_service 198.19.0.80 tcp 8080 web-a 80 || fail "tb_service"
    expect "service reaches its backend" "$(tb_connect client tcp 198.19.0.80 8080)" ok
    ct=$(tb_node cat /proc/net/nf_conntrack 2>/dev/null |
        grep 'src=198.18.1.10 dst=198.19.0.80 .*dport=8080 .*src=198.18.3.10 dst=198.18.1.10 sport=80' | wc -l)
    [ "$ct" -ge 1 ] && ok "conntrack holds the translation" || fail "no conntrack entry for the service"

    # An IP given to a new pod after the first is deleted.
    old_if=$(tb_iface server)
    tb_pod_del server || fail "tb_pod_del"
    expect "deleted pod's route gone" "$(tb_node ip -4 route show 198.18.1.11/32 | wc -l)" 0
    expect "deleted pod unreachable" "$(tb_connect -w 800 client tcp 198.18.1.11 80)" unreachable
    tb_pod_add server-2 smoke 198.18.1.11 cali tcp:80 role=server || fail "tb_pod_add"
    [ "$(tb_iface server-2)" != "$old_if" ] && ok "new pod, new interface $(tb_iface server-2)" ||
        fail "new pod reuses interface name $old_if"
    expect "reused IP reaches the new pod" "$(tb_connect client tcp 198.18.1.11 80)" ok

    # The inventory generator writes one Pod per pod.
    expect "inventory pods" "$(tb_inventory | grep -c '^  kind: Pod$')" 4
    exit $failures
)
rc=$?
[ "$rc" -gt 0 ] && failures=$((failures + rc))
[ -n "$(cat "$mark")" ] && [ ! -e "$(cat "$mark")" ] && ok "main run: temp dir removed" ||
    fail "main run: temp dir '$(cat "$mark")' left"
expect "main run: nothing left behind" "$(left_over "$id_main")" 0

# --- the command line inside a run ------------------------------------------
expect "run: connect from the command line" \
    "$(TB_ID=$id_fail bash "$TESTBED" run "$TOPO" -n "$RULES" -- \
        bash -c 'bash "$TESTBED" connect client tcp server 80; bash "$TESTBED" connect -w 300 client tcp server 81' |
        tr '\n' ' ')" "ok timeout "
expect "run: nothing left behind" "$(left_over "$id_fail")" 0

# --- a failing command still tears down -----------------------------------
TB_ID=$id_fail bash "$TESTBED" run "$TOPO" -n "$RULES" -- false
expect "run exits with the command's status" $? 1
expect "failed run: nothing left behind" "$(left_over "$id_fail")" 0

# --- SIGTERM tears down the side run ---------------------------------------
expect "side run still up after the main one" "$(left_over "$id_term")" 5
kill -TERM "$term_pid"
wait "$term_pid" 2>/dev/null
term_pid=
expect "terminated run: nothing left behind" "$(left_over "$id_term")" 0

expect "host namespace: no cali/veth/cni link added or removed" \
    "$(ip -o link show | awk -F': ' '$2 ~ /^(cali|veth|cni)/ { print $2 }' | sort | tr '\n' ' ')" "$root_links"

[ $failures -eq 0 ] && echo "testbed_smoke: all passed" || echo "testbed_smoke: $failures failed"
[ $failures -eq 0 ]
