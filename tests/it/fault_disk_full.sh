#!/bin/sh
# fault_disk_full.sh: the disk fills while podflow-capture writes.  The
# promise: a clear message naming the file, a non-zero exit, and what was
# committed before stays readable.  The case is written to a tmpfs of 8 MiB
# mounted by the test (root only), from a file of 140k flows (~12 MiB of
# case): the first committed batch fits, the second does not (and with
# 12 MiB the second fits, the third does not).  Every batch committed is
# there, and captures.flows_written says how many (it used to stay 0).
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
[ "$(id -u)" = 0 ] || { echo "SKIP: mounting a small tmpfs needs root"; exit 77; }
pcap=$tmp/g.pcap
pcapgen -f 140000 -c 64 -g 1000 -o "$pcap"
mnt=$tmp/mnt
mkdir "$mnt"
unmount() { umount "$mnt" 2>/dev/null; }
cleanup_hooks="unmount"

# full SIZE: capture the file into a tmpfs of SIZE; the disk fills after
# the first committed batch (8m) or the second (12m).
full() {
    mount -t tmpfs -o size=$1,mode=0700 podflow-full "$mnt" 2> "$tmp/err" ||
        { echo "SKIP: cannot mount a tmpfs here: $(cat "$tmp/err")"; exit 77; }
    "$C" -q -w "$mnt/c.db" -r "$pcap" 2> "$tmp/err"; rc=$?
    [ $rc -ne 0 ] && ok "$1: exit status $rc (non-zero)" || fail "$1: exit 0 on a full disk"
    one_line "$1: message" "$tmp/err" "'$mnt/c.db'.*(disk is full|No space left)"
    df -k "$mnt" | tail -1 | awk '{ print "tmpfs: " $3 " KiB used of " $2 }'

    # Committed data: readable by sqlite3 and the analyzer, on the full disk.
    expect "$1: integrity_check" "$(sqlite3 -batch "$mnt/c.db" "PRAGMA integrity_check")" ok
    n=$(sqlite3 -batch "$mnt/c.db" "SELECT count(*) FROM flows")
    [ "$n" -ge "$2" ] && ok "$1: $n flows committed before the disk filled are readable" ||
        fail "$1: $n flows readable, want at least $2"
    expect "$1: the flows are whole batches" "$((n % 65536))" 0
    # Said by the capture's own row, though its end was never written.
    expect "$1: captures.flows_written is what was committed" \
        "$(sqlite3 -batch "$mnt/c.db" "SELECT flows_written FROM captures")" "$n"
    "$A" show "$mnt/c.db" > "$tmp/show" 2> "$tmp/err"; rc=$?
    expect "$1: podflow-analyze show on the full disk: exit" "$rc" 0
    grep -q "^flows: $n," "$tmp/show" && ok "$1: show counts $n flows" ||
        { fail "$1: show:"; cat "$tmp/show" "$tmp/err"; }
    umount "$mnt"
}
full 8m 65536
full 12m 131072
finish
