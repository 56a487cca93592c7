#!/bin/bash
# testbed.sh: a fake Kubernetes node made of network namespaces, for
# podflow's end-to-end tests (issues 4 and 7).
#
# One namespace plays the node (ip_forward=1, nftables, no uplink at all);
# one namespace per pod, joined to the node by a veth pair.  Two styles:
#   cali    Calico's: host end "cali" + 11 hex digits of sha1("<ns>.<pod>")
#           (Calico's own naming), pod address /32, on the node a /32 route
#           to the veth and proxy_arp=1 on it; in the pod only the routes
#           "169.254.1.1 dev eth0" and "198.18.0.0/15 via 169.254.1.1", the
#           gateway being 169.254.1.1/32 on the node's lo.  (This is the
#           recipe known to work here; the "dummy" link type is missing.)
#   bridge  the CNI bridge plugin's: host end "veth" + 8 hex digits, a port
#           of the bridge (cni0 in a cluster, "cni<run id>" here); pod
#           address /24, gateway .1 of that /24 on the bridge.
#   uplink  not a pod: a host outside the node, behind one of the node's
#           own interfaces (what a host endpoint protects): node end "eth"
#           + 8 hex digits holding .1 of the /24 (the node's address on
#           it), the host's address /24 behind it; its NAMESPACE is "-" and
#           tb_inventory leaves it out.
# Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking) only, and no
# namespace has a route anywhere else: nothing can leave the machine.  All
# names carry a per-run id, so parallel runs cannot collide, and everything
# is removed on exit (trap on EXIT, INT and TERM, failures included).
#
# As a library (bash):
#   . tests/testbed/testbed.sh
#   tb_init                      start a run: id, temp dir, cleanup trap
#   tb_up FILE                   build the node and the pods of a topology
#   tb_policy FILE               load an nftables ruleset into the node
#   tb_connect [-w MS] POD PROTO DST PORT    traffic; prints ok|timeout|...
#   tb_down                      remove everything (the trap calls it)
# and tb_pod_add, tb_pod_del, tb_serve, tb_service, tb_node, tb_pod, tb_ip,
# tb_iface, tb_k8sns, tb_flows, tb_inventory (below, each with its comment).
#
# As a command:
#   testbed.sh run FILE [-n RULES] -- COMMAND [ARG...]
#       build, run COMMAND with TB_ID, TB_NODE, TB_DIR and TESTBED (this
#       script) in its environment, tear down; exit with COMMAND's status
#   testbed.sh up FILE [-n RULES]
#       build and wait (Ctrl-C tears down); prints how to get in
#   testbed.sh down ID
#       remove what a run killed by SIGKILL left behind (namespaces tb-ID-*)
#   testbed.sh policy RULES | connect [-w MS] POD PROTO DST PORT |
#              flows FILE N | exec POD CMD... | inventory [NODE]
#       inside COMMAND of a run (or with the TB_ID and TB_DIR that `up`
#       prints): the functions below, on that run's testbed
#
# Topology FILE: one pod a line, '#' comments, fields split by blanks, '-'
# for an empty field:
#   POD  NAMESPACE  IP  STYLE  SERVE  LABELS
#   core-0  fme  198.18.1.10  cali  tcp:7070,tcp:42001  app=fmeserver,tier=core
# SERVE lists the ports the pod listens on (tbtraffic serve); LABELS only
# feed tb_inventory.
#
# nftables rulesets may name pods instead of hard-coding their data:
# @ip:POD@ becomes the pod's address and @if:POD@ its host interface.
#
# Needs root (namespaces), iproute2, nftables and build/tbtraffic
# (make testbed).

TB_SELF=${BASH_SOURCE[0]}
TB_TOP=$(cd "$(dirname "$TB_SELF")/../.." && pwd)
TBTRAFFIC=${TBTRAFFIC:-$TB_TOP/${B:-build}/tbtraffic}

# Print a message on stderr, prefixed like the rest of the project's tools.
tb_err() { echo "testbed: $*" >&2; }

# Run a command, and say which one failed if it does.
tb_do()
{
    "$@" || { tb_err "command failed: $*"; return 1; }
}

# tb_init: start a run.  TB_ID may be preset (letters and digits, at most
# 12) so that a caller knows the names; otherwise it is made from the
# shell's pid and 16 random bits.  Installs the cleanup trap.
tb_init()
{
    if [ -z "${TB_ID:-}" ]; then
        TB_ID=$(printf '%x%s' "$$" "$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')")
    fi
    case $TB_ID in
    *[!a-z0-9]* | "") tb_err "invalid run id '$TB_ID': expected lower-case letters and digits"; return 1 ;;
    esac
    [ ${#TB_ID} -le 12 ] || { tb_err "run id '$TB_ID' longer than 12 characters"; return 1; }
    [ "$(id -u)" = 0 ] || { tb_err "needs root (network namespaces)"; return 1; }
    [ -x "$TBTRAFFIC" ] || { tb_err "no traffic helper '$TBTRAFFIC': run 'make testbed'"; return 1; }
    TB_NODE=tb-$TB_ID-node
    TB_BRIDGE=cni$TB_ID
    TB_NODE_IP=${TB_NODE_IP:-198.18.0.1}
    tb_ip_ok "$TB_NODE_IP" || { tb_err "node address '$TB_NODE_IP' is not in 198.18.0.0/15"; return 1; }
    TB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/podflow-tb.$TB_ID.XXXXXX") || return 1
    TB_PODS=()
    TB_PIDS=()
    declare -gA TB_POD_NS=() TB_POD_IP=() TB_POD_IF=() TB_POD_K8SNS=() \
        TB_POD_LABELS=()
    TB_UP=1
    trap 'tb_down' EXIT
    trap 'tb_down; trap - INT; kill -INT $$' INT
    trap 'tb_down; trap - TERM; kill -TERM $$' TERM
    export TB_ID TB_NODE TB_DIR
}

# tb_down: kill the processes started in the testbed's namespaces, delete
# the namespaces (which takes their links, routes and nftables with them),
# remove the temp dir.  Idempotent; TB_CLEANUP_HOOK (a command) runs first,
# for a caller's own processes.
tb_down()
{
    local ns pid
    # The idle sleep of 'up' would outlive the shell (and hold whatever
    # descriptors it inherited, a landing's lock file among them).
    if [ -n "${TB_SLEEP:-}" ]; then
        kill "$TB_SLEEP" 2>/dev/null || true
        TB_SLEEP=
    fi
    [ -n "${TB_UP:-}" ] || return 0
    TB_UP=
    if [ -n "${TB_CLEANUP_HOOK:-}" ]; then
        eval "$TB_CLEANUP_HOOK" || true
    fi
    for pid in "${TB_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${TB_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for ns in $(tb_namespaces "$TB_ID"); do
        tb_ns_kill "$ns"
        ip netns del "$ns" 2>/dev/null || tb_err "cannot delete namespace '$ns'"
    done
    [ -n "${TB_DIR:-}" ] && rm -rf "$TB_DIR"
    return 0
}

# The namespaces of run $1 (ours by name: tb-<id>-...).
tb_namespaces()
{
    ip netns list 2>/dev/null | awk -v p="tb-$1-" 'index($1, p) == 1 { print $1 }'
}

# Kill what still runs inside namespace $1 (only processes we started can
# be there: the namespace was made by this run).
tb_ns_kill()
{
    local pids
    pids=$(ip netns pids "$1" 2>/dev/null)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086 # a list of pids
    kill $pids 2>/dev/null
    sleep 0.2
    pids=$(ip netns pids "$1" 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    return 0
}

# tb_save: the pods, for tb_attach ($TB_DIR/pods, one a line:
# POD NETNS IP IFACE NAMESPACE LABELS).
tb_save()
{
    local pod
    for pod in "${TB_PODS[@]}"; do
        echo "$pod ${TB_POD_NS[$pod]} ${TB_POD_IP[$pod]} ${TB_POD_IF[$pod]}" \
            "${TB_POD_K8SNS[$pod]} ${TB_POD_LABELS[$pod]}"
    done > "$TB_DIR/pods.tmp" && mv "$TB_DIR/pods.tmp" "$TB_DIR/pods"
}

# tb_attach: in a child of a run (testbed.sh run ... -- COMMAND, or another
# shell given the TB_* variables that `testbed.sh up` prints), take up the
# run's testbed: its pods and names.  Installs no trap: the run that made
# the testbed removes it.
tb_attach()
{
    local pod ns ip hif k8sns labels
    if [ -z "${TB_ID:-}" ] || [ -z "${TB_DIR:-}" ] || [ ! -r "$TB_DIR/pods" ]; then
        tb_err "no testbed to attach to (TB_ID and TB_DIR come from 'testbed.sh run' or 'up')"
        return 1
    fi
    TB_NODE=tb-$TB_ID-node
    TB_BRIDGE=cni$TB_ID
    TB_PODS=()
    TB_PIDS=()
    declare -gA TB_POD_NS=() TB_POD_IP=() TB_POD_IF=() TB_POD_K8SNS=() TB_POD_LABELS=()
    while read -r pod ns ip hif k8sns labels; do
        TB_PODS+=("$pod")
        TB_POD_NS[$pod]=$ns TB_POD_IP[$pod]=$ip TB_POD_IF[$pod]=$hif
        TB_POD_K8SNS[$pod]=$k8sns TB_POD_LABELS[$pod]=$labels
    done < "$TB_DIR/pods"
}

# tb_node CMD...: run a command in the node namespace.
tb_node() { ip netns exec "$TB_NODE" "$@"; }

# tb_pod POD CMD...: run a command in a pod's namespace.
tb_pod()
{
    local ns=${TB_POD_NS[$1]:-}
    [ -n "$ns" ] || { tb_err "no pod '$1'"; return 1; }
    shift
    ip netns exec "$ns" "$@"
}

# tb_ip POD / tb_iface POD: a pod's address / its host-side interface.
tb_ip() { [ -n "${TB_POD_IP[$1]:-}" ] && echo "${TB_POD_IP[$1]}"; }
tb_iface() { [ -n "${TB_POD_IF[$1]:-}" ] && echo "${TB_POD_IF[$1]}"; }
# tb_k8sns POD: the Kubernetes namespace a pod was given in the topology.
tb_k8sns() { [ -n "${TB_POD_K8SNS[$1]:-}" ] && echo "${TB_POD_K8SNS[$1]}"; }

# Is $1 a dotted IPv4 address inside 198.18.0.0/15?
tb_ip_ok()
{
    local a b c d
    IFS=. read -r a b c d <<< "$1"
    [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
    [ "$a" = 198 ] && { [ "$b" = 18 ] || [ "$b" = 19 ]; } && [ "$c" -le 255 ] && [ "$d" -le 255 ]
}

# tb_no_ipv6 NS: the testbed is IPv4 only; without this every new link
# sends router solicitations and MLD reports, noise in every capture.
tb_no_ipv6()
{
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
    return 0
}

# tb_node_up: the node namespace: lo up with the Calico gateway address and
# the node's address (TB_NODE_IP, default 198.18.0.1),
# forwarding on, no other link and so no route out.
tb_node_up()
{
    tb_do ip netns add "$TB_NODE" || return 1
    tb_no_ipv6 "$TB_NODE"
    tb_do ip -n "$TB_NODE" link set lo up || return 1
    tb_do ip -n "$TB_NODE" addr add 169.254.1.1/32 dev lo || return 1
    # The node's own address (a Node's InternalIP): pods reach it, nothing else.
    tb_do ip -n "$TB_NODE" addr add "$TB_NODE_IP/32" dev lo || return 1
    tb_do ip netns exec "$TB_NODE" sysctl -qw net.ipv4.ip_forward=1 || return 1
    # Forwarded packets are judged by the node's own nftables only.
    ip netns exec "$TB_NODE" sysctl -qw net.ipv4.conf.all.rp_filter=0 2>/dev/null
    return 0
}

# The bridge, made when the first bridge-style pod needs it.
tb_bridge_up()
{
    ip -n "$TB_NODE" link show "$TB_BRIDGE" >/dev/null 2>&1 && return 0
    tb_do ip -n "$TB_NODE" link add "$TB_BRIDGE" type bridge || return 1
    tb_do ip -n "$TB_NODE" link set "$TB_BRIDGE" up
}

# tb_pod_add POD NAMESPACE IP STYLE [SERVE [LABELS]]: one pod (see the
# topology format above).  A pod name may be given again after tb_pod_del
# (an IP may be reused by a new pod: that is what issue 4 tests).
tb_pod_add()
{
    local pod=$1 k8sns=$2 ip=$3 style=$4 serve=${5:--} labels=${6:--}
    local ns=tb-$TB_ID-$pod hif gw net
    [[ $pod =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || { tb_err "invalid pod name '$pod'"; return 1; }
    [ -z "${TB_POD_NS[$pod]:-}" ] || { tb_err "pod '$pod' exists"; return 1; }
    tb_ip_ok "$ip" || { tb_err "pod '$pod': address '$ip' is not in 198.18.0.0/15"; return 1; }
    case $style in
    cali)   hif=cali$(printf '%s.%s' "$k8sns" "$pod" | sha1sum | cut -c1-11) ;;
    bridge) hif=veth$(printf '%s.%s.%s' "$TB_ID" "$k8sns" "$pod" | sha1sum | cut -c1-8) ;;
    uplink) hif=eth$(printf '%s.%s' "$TB_ID" "$pod" | sha1sum | cut -c1-8) ;;
    *)      tb_err "pod '$pod': unknown style '$style' (cali, bridge or uplink)"; return 1 ;;
    esac
    tb_do ip netns add "$ns" || return 1
    TB_POD_NS[$pod]=$ns
    tb_no_ipv6 "$ns"
    TB_POD_IP[$pod]=$ip
    TB_POD_IF[$pod]=$hif
    TB_POD_K8SNS[$pod]=$k8sns
    TB_POD_LABELS[$pod]=$labels
    TB_PODS+=("$pod")
    tb_save || return 1
    tb_do ip -n "$ns" link set lo up || return 1
    tb_do ip -n "$TB_NODE" link add "$hif" type veth peer name eth0 netns "$ns" || return 1
    if [ "$style" = cali ]; then
        tb_do ip -n "$ns" addr add "$ip/32" dev eth0 || return 1
        tb_do ip -n "$ns" link set eth0 up || return 1
        tb_do ip -n "$ns" route add 169.254.1.1 dev eth0 scope link || return 1
        tb_do ip -n "$ns" route add 198.18.0.0/15 via 169.254.1.1 dev eth0 || return 1
        tb_do ip -n "$TB_NODE" link set "$hif" up || return 1
        tb_do ip netns exec "$TB_NODE" sysctl -qw "net.ipv4.conf.$hif.proxy_arp=1" || return 1
        tb_do ip -n "$TB_NODE" route add "$ip/32" dev "$hif" || return 1
    elif [ "$style" = uplink ]; then
        net=${ip%.*}
        gw=$net.1
        [ "$ip" != "$gw" ] || { tb_err "host '$pod': $ip is the node's address on its link"; return 1; }
        tb_do ip -n "$TB_NODE" addr add "$gw/24" dev "$hif" || return 1
        tb_do ip -n "$TB_NODE" link set "$hif" up || return 1
        tb_do ip -n "$ns" addr add "$ip/24" dev eth0 || return 1
        tb_do ip -n "$ns" link set eth0 up || return 1
        tb_do ip -n "$ns" route add 198.18.0.0/15 via "$gw" dev eth0 || return 1
    else
        tb_bridge_up || return 1
        net=${ip%.*}
        gw=$net.1
        [ "$ip" != "$gw" ] || { tb_err "pod '$pod': $ip is the bridge's gateway"; return 1; }
        if ! ip -n "$TB_NODE" -4 addr show dev "$TB_BRIDGE" | grep -q " $gw/24 "; then
            tb_do ip -n "$TB_NODE" addr add "$gw/24" dev "$TB_BRIDGE" || return 1
        fi
        tb_do ip -n "$TB_NODE" link set "$hif" master "$TB_BRIDGE" || return 1
        tb_do ip -n "$TB_NODE" link set "$hif" up || return 1
        tb_do ip -n "$ns" addr add "$ip/24" dev eth0 || return 1
        tb_do ip -n "$ns" link set eth0 up || return 1
        tb_do ip -n "$ns" route add 198.18.0.0/15 via "$gw" dev eth0 || return 1
    fi
    if [ "$serve" != - ]; then
        # shellcheck disable=SC2086 # the list is split on commas on purpose
        tb_serve "$pod" ${serve//,/ } || return 1
    fi
    return 0
}

# tb_pod_del POD: delete a pod as the kubelet would: its processes, its
# namespace (the veth pair goes with it, and with it the node's /32 route).
tb_pod_del()
{
    local pod=$1 ns=${TB_POD_NS[$1]:-} i
    [ -n "$ns" ] || { tb_err "no pod '$1'"; return 1; }
    tb_ns_kill "$ns"
    tb_do ip netns del "$ns" || return 1
    unset "TB_POD_NS[$pod]" "TB_POD_IP[$pod]" "TB_POD_IF[$pod]" \
        "TB_POD_K8SNS[$pod]" "TB_POD_LABELS[$pod]"
    for i in "${!TB_PODS[@]}"; do
        [ "${TB_PODS[$i]}" = "$pod" ] && unset "TB_PODS[$i]"
    done
    TB_PODS=("${TB_PODS[@]}")
    tb_save || return 1
    return 0
}

# tb_serve POD PROTO:PORT...: start a tbtraffic server in the pod (or, for
# POD "-", in the node itself) and wait until its sockets are bound (5 s at
# most).
tb_serve()
{
    local pod=$1 ready i ns
    shift
    ready=$TB_DIR/ready.$pod.$RANDOM
    if [ "$pod" = - ]; then
        ns=$TB_NODE
    else
        ns=${TB_POD_NS[$pod]:-}
        [ -n "$ns" ] || { tb_err "no pod '$pod'"; return 1; }
    fi
    # ip netns exec execs the program: $! is the server itself, not a subshell.
    ip netns exec "$ns" "$TBTRAFFIC" serve --ready "$ready" "$@" \
        2>>"$TB_DIR/serve.log" &
    TB_PIDS+=($!)
    for i in $(seq 50); do
        [ -e "$ready" ] && return 0
        kill -0 $! 2>/dev/null || break
        sleep 0.1
    done
    tb_err "pod '$pod': server on $* did not start (see below)"
    cat "$TB_DIR/serve.log" >&2
    return 1
}

# tb_up FILE: the node, then every pod of a topology file.
tb_up()
{
    local file=$1 n=0 pod k8sns ip style serve labels extra
    [ -r "$file" ] || { tb_err "cannot read topology '$file'"; return 1; }
    tb_node_up || return 1
    while read -r pod k8sns ip style serve labels extra; do
        n=$((n + 1))
        case $pod in '' | '#'*) continue ;; esac
        if [ -z "$style" ] || [ -n "$extra" ]; then
            tb_err "$file:$n: expected POD NAMESPACE IP STYLE [SERVE [LABELS]]"
            return 1
        fi
        tb_pod_add "$pod" "$k8sns" "$ip" "$style" "${serve:--}" "${labels:--}" || {
            tb_err "$file:$n: pod '$pod' not made"
            return 1
        }
    done < "$file"
    return 0
}

# tb_render FILE: a ruleset with @ip:POD@ and @if:POD@ replaced (stdout).
tb_render()
{
    local script=() pod left
    for pod in "${TB_PODS[@]}"; do
        script+=(-e "s/@ip:$pod@/${TB_POD_IP[$pod]}/g" -e "s/@if:$pod@/${TB_POD_IF[$pod]}/g")
    done
    sed "${script[@]}" "$1" > "$TB_DIR/render.nft" || return 1
    left=$(grep -v '^[[:space:]]*#' "$TB_DIR/render.nft" | grep -o '@\(ip\|if\):[^@]*@' |
        sort -u | tr '\n' ' ')
    if [ -n "$left" ]; then
        tb_err "$1: names no pod of this testbed: $left"
        return 1
    fi
    cat "$TB_DIR/render.nft"
}

# tb_policy FILE: replace the node's nftables ruleset with FILE (rendered).
# The ruleset is the node namespace's own: the host's is never touched.
tb_policy()
{
    tb_render "$1" > "$TB_DIR/policy.nft" || return 1
    tb_node nft flush ruleset || return 1
    tb_node nft -f "$TB_DIR/policy.nft" || { tb_err "nft rejected '$1'"; return 1; }
}

# tb_service VIP PROTO PORT POD TARGETPORT: a Service emulated the way
# kube-proxy's nftables mode does it: DNAT in the node's prerouting, so the
# translation is in the node's conntrack table.  The rule has a counter.
tb_service()
{
    local vip=$1 proto=$2 port=$3 pod=$4 tport=$5 ip
    tb_ip_ok "$vip" || { tb_err "service address '$vip' is not in 198.18.0.0/15"; return 1; }
    ip=$(tb_ip "$pod") || { tb_err "no pod '$pod'"; return 1; }
    tb_node nft add table ip tb_svc || return 1
    tb_node nft add chain ip tb_svc prerouting \
        '{ type nat hook prerouting priority dstnat; policy accept; }' || return 1
    tb_node nft add rule ip tb_svc prerouting ip daddr "$vip" "$proto" dport "$port" \
        counter dnat to "$ip:$tport" comment "\"service $vip:$port -> $pod\""
}

# tb_connect [-w MS] POD PROTO DST PORT: one request from POD to DST (a pod
# name or an address); prints tbtraffic's word (ok, timeout, refused,
# unreachable) and returns its code.  Logged to $TB_DIR/traffic.log.
tb_connect()
{
    local wait=2000 src dst proto port ip word rc
    if [ "$1" = -w ]; then wait=$2; shift 2; fi
    src=$1 proto=$2 dst=$3 port=$4
    ip=$(tb_ip "$dst") || ip=$dst
    word=$(tb_pod "$src" "$TBTRAFFIC" connect -w "$wait" "$proto" "$ip" "$port")
    rc=$?
    echo "$src $proto $dst $ip $port ${word:-error}" >> "$TB_DIR/traffic.log"
    echo "${word:-error}"
    return $rc
}

# tb_flows FILE N: run the flows of a table, one a line (SRC PROTO DST PORT
# EXPECT1 EXPECT2 ...; '#' comments), in order, and compare each result with
# the Nth expectation (ok, timeout, refused or unreachable).  A flow expected
# to time out is given 2 s, long enough for one SYN retransmission.  Prints
# one line per flow; returns the number of flows that did not go as expected.
tb_flows()
{
    local file=$1 col=$2 bad=0 src proto dst port want got f
    [ -r "$file" ] || { tb_err "cannot read flows '$file'"; return 1; }
    while read -r -a f; do
        case ${f[0]:-#} in '#'*) continue ;; esac
        src=${f[0]} proto=${f[1]:-} dst=${f[2]:-} port=${f[3]:-} want=${f[$((3 + col))]:-}
        [ -n "$want" ] || { tb_err "$file: no expectation $col for $src -> $dst:$port"; return 1; }
        got=$(tb_connect -w 2000 "$src" "$proto" "$dst" "$port" < /dev/null)
        if [ "$got" = "$want" ]; then
            echo "  $src -> $dst $proto/$port: $got"
        else
            echo "  $src -> $dst $proto/$port: $got (expected $want)"
            bad=$((bad + 1))
        fi
    done < "$file"
    return $bad
}

# tb_inventory [NODE]: the topology as `kubectl get pods,namespaces -o yaml`
# would print it (kind List): namespaces, pods with labels, IP, node name.
# Start times are fixed in the past so identities hold for any capture.
tb_inventory()
{
    local node=${1:-testbed-node} pod k8sns l seen=" "
    echo "apiVersion: v1"
    echo "kind: List"
    echo "items:"
    for pod in "${TB_PODS[@]}"; do
        k8sns=${TB_POD_K8SNS[$pod]}
        case $seen in *" $k8sns "*) continue ;; esac
        [ "$k8sns" != - ] || continue # an uplink host, not a pod
        seen="$seen$k8sns "
        printf '%s\n' "- apiVersion: v1" "  kind: Namespace" "  metadata:" \
            "    name: $k8sns" "    labels:" "      kubernetes.io/metadata.name: $k8sns"
    done
    for pod in "${TB_PODS[@]}"; do
        [ "${TB_POD_K8SNS[$pod]}" != - ] || continue
        printf '%s\n' "- apiVersion: v1" "  kind: Pod" "  metadata:" "    name: $pod" \
            "    namespace: ${TB_POD_K8SNS[$pod]}" \
            "    creationTimestamp: \"2024-05-01T09:00:00Z\""
        if [ "${TB_POD_LABELS[$pod]}" != - ]; then
            echo "    labels:"
            for l in ${TB_POD_LABELS[$pod]//,/ }; do
                echo "      ${l%%=*}: \"${l#*=}\""
            done
        fi
        printf '%s\n' "  spec:" "    nodeName: $node" "  status:" "    phase: Running" \
            "    startTime: \"2024-05-01T09:00:00Z\"" "    podIP: ${TB_POD_IP[$pod]}" \
            "    podIPs:" "    - ip: ${TB_POD_IP[$pod]}"
    done
}

# --- command line -------------------------------------------------------------
tb_usage()
{
    cat >&2 <<'EOF'
usage: testbed.sh run FILE [-n RULES] -- COMMAND [ARG...]
       testbed.sh up FILE [-n RULES]
       testbed.sh down ID
  inside a run (TB_ID, TB_DIR set):
       testbed.sh policy RULES
       testbed.sh connect [-w MS] POD PROTO DST PORT
       testbed.sh flows FILE N
       testbed.sh exec POD COMMAND [ARG...]
       testbed.sh inventory [NODE]
EOF
    exit 2
}

tb_main()
{
    local cmd=${1:-} topo rules="" ns rc
    shift || tb_usage
    case $cmd in
    run | up)
        topo=${1:-}
        [ -n "$topo" ] || tb_usage
        shift
        if [ "${1:-}" = -n ]; then rules=${2:-}; [ -n "$rules" ] || tb_usage; shift 2; fi
        if [ "$cmd" = run ]; then
            [ "${1:-}" = -- ] && [ $# -ge 2 ] || tb_usage
            shift
        else
            [ $# -eq 0 ] || tb_usage
        fi
        tb_init || exit 1
        tb_up "$topo" || exit 1
        if [ -n "$rules" ]; then tb_policy "$rules" || exit 1; fi
        export TESTBED=$TB_SELF
        if [ "$cmd" = run ]; then
            "$@"
            rc=$?
            exit $rc
        fi
        echo "testbed $TB_ID is up (Ctrl-C removes it):"
        echo "  node: ip netns exec $TB_NODE bash"
        echo "  from another shell: export TB_ID=$TB_ID TB_DIR=$TB_DIR; then"
        echo "  testbed.sh connect|flows|policy|exec|inventory ..."
        for p in "${TB_PODS[@]}"; do
            printf '  %-40s %-15s %s  ip netns exec %s bash\n' "${TB_POD_K8SNS[$p]}/$p" \
                "${TB_POD_IP[$p]}" "${TB_POD_IF[$p]}" "${TB_POD_NS[$p]}"
        done
        # A background sleep and wait: a trapped signal ends the wait at once.
        while :; do
            sleep 3600 &
            TB_SLEEP=$!
            wait $TB_SLEEP
        done
        ;;
    policy | connect | flows | exec | inventory)
        # Inside a run: the testbed named by TB_ID and TB_DIR.
        tb_attach || exit 1
        case $cmd in
        policy)    [ $# -eq 1 ] || tb_usage; tb_policy "$1" ;;
        connect)   [ $# -ge 4 ] || tb_usage; tb_connect "$@" ;;
        flows)     [ $# -eq 2 ] || tb_usage; tb_flows "$1" "$2" ;;
        exec)      [ $# -ge 2 ] || tb_usage; tb_pod "$@" ;;
        inventory) [ $# -le 1 ] || tb_usage; tb_inventory "$@" ;;
        esac
        exit $?
        ;;
    down)
        [ $# -eq 1 ] || tb_usage
        case $1 in *[!a-z0-9]* | "") tb_err "invalid run id '$1'"; exit 2 ;; esac
        for ns in $(tb_namespaces "$1"); do
            tb_ns_kill "$ns"
            ip netns del "$ns" && echo "deleted $ns"
        done
        ;;
    *) tb_usage ;;
    esac
}

# Sourced: only define the functions.  Run: dispatch.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    tb_main "$@"
fi
