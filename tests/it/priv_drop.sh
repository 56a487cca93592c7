#!/bin/sh
# priv_drop.sh: podflow-capture -Z USER.  The promise (issue 3 Privilege,
# issue 8): after opening its packet and netlink sockets the capture runs
# as USER (uid, gid and supplementary groups), with no capability left
# (effective, permitted, inheritable, ambient, bounding) and no_new_privs
# set, in every thread; and it still captures; and its case ends as one
# file in rollback mode, as without -Z (issue 17, item 6).  Checked from
# /proc/<pid>/task/*/status of a live capture on a veth pair between two
# network namespaces made here (198.18.0.0/15), with ping traffic; the
# flows it then writes are checked in the .db.  Root only.
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, -Z)"; exit 77; }
command -v ip >/dev/null 2>&1 || { echo "SKIP: no ip command (iproute2)"; exit 77; }

user=nobody
if ! id "$user" >/dev/null 2>&1; then
    user=pfit$$
    useradd -r -M -s /usr/sbin/nologin "$user" || { echo "SKIP: cannot create a user"; exit 77; }
    deluser() { userdel "$user" 2>/dev/null; }
    cleanup_hooks="deluser"
fi
uid=$(id -u "$user"); gid=$(id -g "$user")
echo "dropping to $user ($uid:$gid)"

tag=pf$$
na=${tag}a; nb=${tag}b
teardown() {
    [ -n "${cap:-}" ] && kill -9 "$cap" 2>/dev/null
    ip netns del "$na" 2>/dev/null; ip netns del "$nb" 2>/dev/null
}
cleanup_hooks="teardown ${cleanup_hooks}"
ip netns add "$na" && ip netns add "$nb" || { echo "SKIP: cannot create network namespaces"; exit 77; }
va=${tag}va; vb=${tag}vb
ip -n "$na" link add "$va" type veth peer name "$vb" netns "$nb" || { fail "veth"; finish; }
ip -n "$na" addr add 198.18.0.1/24 dev "$va"
ip -n "$nb" addr add 198.18.0.2/24 dev "$vb"
ip -n "$na" link set "$va" up; ip -n "$na" link set lo up
ip -n "$nb" link set "$vb" up; ip -n "$nb" link set lo up

# The .db directory: root's private temp dir; the .db is opened before the
# drop, its WAL side files are made then too.
chmod 0711 "$tmp"
ip netns exec "$na" "$C" -q -i "$va" -Z "$user" -w "$tmp/z.db" --commit-interval 1 \
    --idle-timeout 1 2> "$tmp/err" &
cap=$!
# Wait until it has dropped: its uid changes.
i=0
while [ $i -lt 100 ]; do
    u=$(awk '/^Uid:/ { print $2 }' /proc/$cap/status 2>/dev/null)
    [ "$u" = "$uid" ] && break
    kill -0 $cap 2>/dev/null || break
    sleep 0.05; i=$((i + 1))
done
kill -0 $cap 2>/dev/null || { fail "capture exited: $(cat "$tmp/err")"; cap=; finish; }
ip netns exec "$na" ping -c 3 -i 0.2 -W 1 198.18.0.2 > /dev/null || fail "ping across the veth"

ntask=0
for st in /proc/$cap/task/*/status; do
    t=$(basename "$(dirname "$st")"); ntask=$((ntask + 1))
    expect "task $t: Uid (real, effective, saved, fs)" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")" \
        "$uid $uid $uid $uid"
    expect "task $t: Gid" "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")" "$gid $gid $gid $gid"
    expect "task $t: supplementary groups are the user's" \
        "$(awk '/^Groups:/ { $1 = ""; print }' "$st" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" \
        "$(id -G "$user" | tr ' ' '\n' | sort -n | tr '\n' ' ')"
    for c in CapInh CapPrm CapEff CapBnd CapAmb; do
        expect "task $t: $c" "$(awk -v k="$c:" '$1 == k { print $2 }' "$st")" 0000000000000000
    done
    expect "task $t: NoNewPrivs" "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1
done
echo "$ntask task(s) checked"

# It still captures: stop it and look for the echo flow.
sleep 1.5
kill -TERM $cap
wait $cap; rc=$?; cap=
expect "capture exit after SIGTERM" "$rc" 0
[ -s "$tmp/err" ] && { echo "capture stderr:"; cat "$tmp/err"; }
# One file, as after a run without -Z (the unprivileged capture cannot
# remove its -wal and -shm from root's directory; its helper does).
expect "after -Z the case is one file" "$(ls "$tmp" | grep '^z\.db')" z.db
expect "after -Z the case is in rollback mode" "$(od -An -tu1 -j18 -N2 "$tmp/z.db" | tr -s ' ')" " 1 1"
expect "no root process left behind" "$(pgrep -f -- "-w $tmp/z.db" | wc -l)" 0
expect "the ping is recorded (ICMP echo 198.18.0.1 -> 198.18.0.2)" \
    "$(sqlite3 -batch "$tmp/z.db" "SELECT count(*) FROM flows WHERE proto = 1 AND src_ip = '198.18.0.1'
                                    AND dst_ip = '198.18.0.2' AND packets_fwd >= 3 AND packets_rev >= 3")" 1
expect ".db mode" "$(stat -c %a "$tmp/z.db")" 600
finish
