#!/bin/sh
# fault_disk_full.sh: the disk fills while podflow-capture writes.  The
# promise: a clear message naming the file, a non-zero exit, and what was
# committed before stays readable.  The case is written to a tmpfs of 8 MiB
# mounted by the test (root only), from a file of 140k flows (~12 MiB of
# case): the first committed batch fits, the second does not.
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
[ "$(id -u)" = 0 ] || { echo "SKIP: mounting a small tmpfs needs root"; exit 77; }
mnt=$tmp/mnt
mkdir "$mnt"
mount -t tmpfs -o size=8m,mode=0700 podflow-full "$mnt" 2> "$tmp/err" ||
    { echo "SKIP: cannot mount a tmpfs here: $(cat "$tmp/err")"; exit 77; }
unmount() { umount "$mnt" 2>/dev/null; }
cleanup_hooks="unmount"
pcap=$tmp/g.pcap
pcapgen -f 140000 -c 64 -g 1000 -o "$pcap"

"$C" -q -w "$mnt/c.db" -r "$pcap" 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && ok "exit status $rc (non-zero)" || fail "exit 0 on a full disk"
one_line "message" "$tmp/err" "'$mnt/c.db'.*(disk is full|No space left)"
df -k "$mnt" | tail -1 | awk '{ print "tmpfs: " $3 " KiB used of " $2 }'

# Committed data: readable by sqlite3 and the analyzer, on the full disk.
expect "integrity_check" "$(sqlite3 -batch "$mnt/c.db" "PRAGMA integrity_check")" ok
n=$(sqlite3 -batch "$mnt/c.db" "SELECT count(*) FROM flows")
[ "$n" -gt 0 ] && ok "$n flows committed before the disk filled are readable" ||
    fail "no committed flow readable"
expect "the flows are whole batches" "$((n % 65536))" 0
"$A" show "$mnt/c.db" > "$tmp/show" 2> "$tmp/err"; rc=$?
expect "podflow-analyze show on the full disk: exit" "$rc" 0
grep -q "^flows: $n," "$tmp/show" && ok "show counts $n flows" || { fail "show:"; cat "$tmp/show" "$tmp/err"; }
finish
