#!/bin/sh
# live.sh: part of `make bench` (root only; skipped otherwise).  The
# highest packet rate podflow-capture and `tcpdump -w /dev/null` each hold
# on a live veth with zero kernel and interface drops, measured side by
# side: both capture the same link during the same run, so the machine's
# load is the same for both.
#
# Testbed (network namespaces, 198.18.0.0/15 only, per-run names, removed
# by a trap): trafgen (netsniff-ng) in a sender namespace pushes UDP
# packets (84-byte frames: 64-byte IP packets) out of its veth at a fixed
# rate, from 1024 source ports (1024 flows); the other end of the veth
# sits in a node namespace, where both captures read it and where the
# packets end (their destination is no address of the node, which does not
# forward).  Each step of increasing rates sends STEP_S seconds of
# packets to fresh captures, then stops them and reads their counters:
#   podflow-capture: captures.packets_seen, packets_dropped (ps_drop),
#                    packets_if_dropped (ps_ifdrop)
#   tcpdump:         "N packets captured ... M dropped by kernel"
# A capture holds a rate when it saw every packet the sender's link sent
# (tx_packets of the veth) and dropped none.  podflow-capture runs as
# shipped (process attribution and open flows on, --commit-interval 1);
# both get the same ring size (-B: each of BUFFERS, default 2 MiB, libpcap's
# default, and 64 MiB), and each ladder is run RUNS times (default 2) for
# the spread.  Neither uses PACKET_FANOUT (see docs/podflow-capture.1).
#
# The last step, "max", sends MAX_PACKETS (3 million) unpaced: as fast as
# the sender gets the CPU for (trafgen's pacing costs it more than the
# packets on a busy machine).  On two shared cores the sender, not the
# captures, is usually what tops out: a capture that holds "max" held
# everything this machine could send it.
#
# Environment: B (build dir), RATES (pps, ascending, then max), STEP_S
# (default 3), BUFFERS (MiB, default "2 64"), RUNS (default 2), SENDERS
# (trafgen processes, default 2), MAX_PACKETS.
set -u
B=${B:-build}
case $B in /*) ;; *) B="$(pwd)/$B" ;; esac
CAP="$B/podflow-capture"
RATES=${RATES:-"50000 100000 200000 400000 max"}
# "max" in RATES: trafgen unpaced, MAX_PACKETS packets as fast as it can.
MAX_PACKETS=${MAX_PACKETS:-3000000}
STEP_S=${STEP_S:-3}
BUFFERS=${BUFFERS:-"2 64"}
RUNS=${RUNS:-2}
# trafgen processes (-P): two get more of a busy machine than one.
SENDERS=${SENDERS:-2}

skip() { echo "bench live: skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, packet sockets)"
for t in trafgen tcpdump ip sqlite3; do
    command -v $t > /dev/null 2>&1 || skip "needs $t (make bench-deps)"
done
[ -x "$CAP" ] || { echo "bench live: missing $CAP"; exit 1; }

RUN=$$
NS_SND=pfbs$RUN
NS_NODE=pfbn$RUN
TMP=$(mktemp -d "${TMPDIR:-/tmp}/podflow-bench-live.XXXXXX")
NET=198.19.$((RUN % 250))
PIDS=

cleanup() {
    for p in $PIDS; do kill "$p" 2> /dev/null; done
    for ns in "$NS_SND" "$NS_NODE"; do
        for p in $(ip netns pids "$ns" 2> /dev/null); do kill "$p" 2> /dev/null; done
        ip netns del "$ns" 2> /dev/null
    done
    [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$NS_SND" && ip netns add "$NS_NODE" || skip "cannot create network namespaces"
in_snd() { ip netns exec "$NS_SND" "$@"; }
in_node() { ip netns exec "$NS_NODE" "$@"; }
for ns in "$NS_SND" "$NS_NODE"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" ip link set lo up
done
in_node ip link add vbench type veth peer name eth0 netns "$NS_SND"
in_node ip addr add "$NET.1/24" dev vbench
in_snd ip addr add "$NET.2/24" dev eth0
in_node ip link set vbench up
in_snd ip link set eth0 up
MAC_NODE=$(in_node cat /sys/class/net/vbench/address)
MAC_SND=$(in_snd cat /sys/class/net/eth0/address)

# 84-byte frames (Ethernet 14 + IPv4 20 + UDP 8 + 42 bytes), to an address
# of the link's subnet that nobody holds: the node drops them.
cat > "$TMP/udp.cfg" <<EOF
{
  eth(da=$MAC_NODE, sa=$MAC_SND, type=0x0800),
  ipv4(saddr=$NET.2, daddr=$NET.200, ttl=64, proto=17),
  udp(sp=dinc(20000, 21023), dp=9),
  fill(0x00, 42)
}
EOF

tx_packets() { in_snd cat /sys/class/net/eth0/statistics/tx_packets; }

# step RATE: one step; prints "podflow-ok tcpdump-ok sent seen_p drop_p seen_t
# drop_t sending-ms"
step() {
    rate=$1
    if [ "$rate" = max ]; then
        n=$((MAX_PACKETS))
        pace=
    else
        n=$((rate * STEP_S))
        pace="-b ${rate}pps"
    fi
    db=$TMP/step.db
    rm -f "$db" "$db-wal" "$db-shm"
    # Not through in_node: $! must be the program (ip netns exec execs it).
    ip netns exec "$NS_NODE" "$CAP" -q -w "$db" -i vbench -B "$BUFFER_MIB" --commit-interval 1 \
        2> "$TMP/cap.err" &
    cp=$!
    ip netns exec "$NS_NODE" tcpdump -i vbench -B $((BUFFER_MIB * 1024)) -w /dev/null \
        2> "$TMP/tcpdump.err" &
    tp=$!
    PIDS="$cp $tp"
    i=0
    until [ -s "$db" ] && [ "$(sqlite3 "$db" 'SELECT count(*) FROM interfaces' 2> /dev/null)" = 1 ] &&
        grep -q listening "$TMP/tcpdump.err"; do
        i=$((i + 1))
        [ $i -lt 100 ] || { cat "$TMP/cap.err" "$TMP/tcpdump.err"; exit 1; }
        sleep 0.1
    done
    sleep 0.5
    before=$(tx_packets)
    t0=$(date +%s%N)
    in_snd trafgen -o eth0 -i "$TMP/udp.cfg" $pace -n "$n" -P "$SENDERS" --no-sock-mem -Q -C \
        > "$TMP/trafgen.out" 2>&1 || { cat "$TMP/trafgen.out"; exit 1; }
    t1=$(date +%s%N)
    sent=$(($(tx_packets) - before))
    sleep 1
    # Process attribution's helper (the capture's child): its CPU time, in
    # clock ticks (utime + stime, fields 14 and 15 of /proc/PID/stat).
    helper=$(pgrep -P "$cp" | head -1)
    hticks=0
    [ -n "$helper" ] && hticks=$(awk '{ print $14 + $15 }' "/proc/$helper/stat" 2> /dev/null)
    kill -TERM "$cp" "$tp"
    wait "$cp" "$tp"
    PIDS=
    cap=$(sqlite3 -separator ' ' "$db" \
        "SELECT packets_seen, packets_dropped + packets_if_dropped FROM captures")
    seen_p=${cap% *}
    drop_p=${cap#* }
    seen_t=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$TMP/tcpdump.err")
    drop_t=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$TMP/tcpdump.err")
    ifdrop_t=$(sed -n 's/^\([0-9]*\) packets dropped by interface.*/\1/p' "$TMP/tcpdump.err")
    drop_t=$((drop_t + ${ifdrop_t:-0}))
    # Every packet the link sent, seen, none dropped (podflow also counts
    # the packets of the node's own chatter: at least `sent`).
    ok_p=0
    [ "$drop_p" = 0 ] && [ "$seen_p" -ge "$sent" ] && ok_p=1
    ok_t=0
    [ "$drop_t" = 0 ] && [ "$seen_t" -ge "$sent" ] && ok_t=1
    echo "$ok_p $ok_t $sent $seen_p $drop_p $seen_t $drop_t $(((t1 - t0) / 1000000))" \
        "$((${hticks:-0} * 1000 / $(getconf CLK_TCK)))"
}

echo "bench live: veth, 84-byte UDP frames over 1024 flows, ${STEP_S} s a step, -B $BUFFERS MiB for both; load: $(uptime | sed 's/.*load average: //')"
for BUFFER_MIB in $BUFFERS; do
r=0
while [ $r -lt "$RUNS" ]; do
    r=$((r + 1))
    best_p=0
    best_t=0
    fail_p=0
    fail_t=0
    short=0
    for rate in $RATES; do
        [ $short -ge 2 ] && [ "$rate" != max ] && continue
        set -- $(step "$rate")
        achieved=$(($3 * 1000 / ($8 > 0 ? $8 : 1)))
        [ "$rate" = max ] && rate=0
        printf '  %3d MiB run %d: %8s pps asked, %8d sent: podflow-capture %-4s (seen %d, dropped %d; helper %d ms CPU), tcpdump %-4s (seen %d, dropped %d)\n' \
            "$BUFFER_MIB" "$r" "$([ "$rate" = 0 ] && echo unpaced || echo "$rate")" "$achieved" "$([ "$1" = 1 ] && echo ok || echo LOSS)" "$4" \
            "$5" "$9" "$([ "$2" = 1 ] && echo ok || echo LOSS)" "$6" "$7"
        # The highest rate sent that a capture held with no drop, below
        # the first step at which it dropped.
        if [ "$1" = 1 ] && [ $fail_p = 0 ]; then
            [ "$achieved" -gt "$best_p" ] && best_p=$achieved
        else
            fail_p=1
        fi
        if [ "$2" = 1 ] && [ $fail_t = 0 ]; then
            [ "$achieved" -gt "$best_t" ] && best_t=$achieved
        else
            fail_t=1
        fi
        [ $fail_p = 1 ] && [ $fail_t = 1 ] && break
        # The sender reached less than half the rate asked twice running:
        # paced, it is saturated (it shares the machine); only the unpaced
        # step is left to try.
        if [ "$rate" != 0 ] && [ "$achieved" -lt $((rate / 2)) ]; then
            short=$((short + 1))
        elif [ $short -lt 2 ]; then
            short=0
        fi
    done
    echo "bench live: -B $BUFFER_MIB run $r: zero-drop rate: podflow-capture $best_p pps, tcpdump -w /dev/null $best_t pps (load: $(uptime | sed 's/.*load average: //'))"
done
done
