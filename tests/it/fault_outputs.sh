#!/bin/sh
# fault_outputs.sh: outputs never clobber, foreign cases are refused, one
# capture at a time (issue 17, items 1, 2 and 5's temporary copies).
#  - report --out: a character device and a FIFO are written to and stay what
#    they are; a symlink to another user's file and a directory are
#    refused (exit 2) and left alone; - is standard output;
#  - merge --force and redact follow the same rule; merge to a FIFO sends
#    the bytes of a whole case;
#  - podflow-capture -w (and analyze inventory) refuse a case of another
#    user, one others may write, a symlink, another user's -wal; a second
#    capture on one case is refused while the first runs;
#  - the merged copy several cases are read through is removed on SIGTERM,
#    and after a kill -9 by the next run.
# The parts needing another user (chown, mknod, setpriv) run as root only.
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
POL="$TOP/samples/fme/policies/current"
root=; [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null 2>&1 && root=1
[ -n "$root" ] || echo "note: not root: the cases with another user's files are not run"

case=$tmp/case.db
"$C" -q -w "$case" -r "$TOP/samples/fme/capture.pcap" --inventory "$TOP/samples/fme/inventory.yaml" ||
    { echo "FAIL: making the case"; exit 1; }
report() { "$A" report "$case" -p "$POL" --out "$@"; }

# -- report --out a character device: written to, never replaced.
if [ -n "$root" ]; then
    mknod "$tmp/full" c 1 7 && mknod "$tmp/null" c 1 3
    report "$tmp/full" 2> "$tmp/err"; rc=$?
    expect "report --out a full device: exit" "$rc" 2
    one_line "report --out a full device" "$tmp/err" "cannot write '.*full': No space left"
    [ -c "$tmp/full" ] && ok "the device is still a device" || fail "the device was replaced"
    report "$tmp/null" 2> "$tmp/err"; rc=$?
    expect "report --out a null device: exit" "$rc" 0
    [ -c "$tmp/null" ] && ok "the null device is still a device" || fail "the null device was replaced"
fi

# -- a FIFO: its reader gets the page, and it stays a FIFO.
mkfifo "$tmp/fifo"
cat "$tmp/fifo" > "$tmp/fromfifo" & rd=$!
report "$tmp/fifo" 2> "$tmp/err"; rc=$?
wait $rd
expect "report --out a FIFO: exit" "$rc" 0
head -c 15 "$tmp/fromfifo" | grep -q '<!DOCTYPE html>' && ok "the FIFO's reader got the page" ||
    fail "the FIFO's reader got: $(head -c 60 "$tmp/fromfifo")"
[ -p "$tmp/fifo" ] && ok "the FIFO is still a FIFO" || fail "the FIFO was replaced"

# -- - is standard output.
report - > "$tmp/stdout.html" 2> "$tmp/err"; rc=$?
expect "report --out -: exit" "$rc" 0
grep -q '</html>' "$tmp/stdout.html" && ok "report --out - wrote the page to stdout" || fail "no page on stdout"
[ -e "$tmp/-" ] && fail "a file called - was made" || ok "no file called -"

# -- a directory: refused.
mkdir "$tmp/dir"
report "$tmp/dir" 2> "$tmp/err"; rc=$?
expect "report --out a directory: exit" "$rc" 2
one_line "report --out a directory" "$tmp/err" "refusing to write '.*dir': it is a directory"

# -- our own file: replaced; a symlink to it: its target replaced, the link kept.
echo old > "$tmp/mine.html"; ln -s "$tmp/mine.html" "$tmp/mylink.html"
report "$tmp/mylink.html" 2> "$tmp/err"; rc=$?
expect "report --out a symlink to our file: exit" "$rc" 0
[ -L "$tmp/mylink.html" ] && grep -q '</html>' "$tmp/mine.html" && ok "target replaced, link kept" ||
    fail "symlink to our own file: $(ls -l "$tmp/mylink.html")"

# -- a symlink to another user's file: refused, the file untouched.
if [ -n "$root" ]; then
    echo "their notes" > "$tmp/theirs"; chown 65534:65534 "$tmp/theirs"; chmod 0666 "$tmp/theirs"
    ln -s "$tmp/theirs" "$tmp/trap.html"
    report "$tmp/trap.html" 2> "$tmp/err"; rc=$?
    expect "report --out a symlink to another user's file: exit" "$rc" 2
    one_line "symlink to another user's file" "$tmp/err" "refusing to write .*another user"
    expect "their file untouched" "$(cat "$tmp/theirs")" "their notes"
    [ -L "$tmp/trap.html" ] && ok "the symlink is still a symlink" || fail "the symlink was replaced"
    report "$tmp/theirs" 2> "$tmp/err"; rc=$?
    expect "report --out another user's file: exit" "$rc" 2

    # merge --force and redact: the same rule.
    "$A" merge --force -q "$tmp/trap.html" "$case" 2> "$tmp/err"; rc=$?
    expect "merge --force onto a symlink to another user's file: exit" "$rc" 2
    expect "merge: their file untouched" "$(cat "$tmp/theirs")" "their notes"
    cp "$case" "$tmp/theirs.db"; chown 65534:65534 "$tmp/theirs.db"
    ln -s "$tmp/theirs.db" "$tmp/trap.db"; sum0=$(md5sum < "$tmp/theirs.db")
    "$A" redact "$tmp/trap.db" > /dev/null 2> "$tmp/err"; rc=$?
    expect "redact through a symlink to another user's case: exit" "$rc" 2
    expect "redact: their case untouched" "$(md5sum < "$tmp/theirs.db")" "$sum0"
fi
"$A" merge --force -q "$tmp/dir" "$case" 2> "$tmp/err"; rc=$?
expect "merge --force onto a directory: exit" "$rc" 2
[ -d "$tmp/dir" ] && ok "the directory stays" || fail "the directory was replaced"
ls "$tmp" | grep -q 'podflow-tmp-' && fail "a temporary file was left: $(ls "$tmp")" ||
    ok "no temporary file left beside the outputs"

# -- merge to a FIFO: the bytes of a whole case.
mkfifo "$tmp/mfifo"
cat "$tmp/mfifo" > "$tmp/fromfifo.db" & rd=$!
"$A" merge -q "$tmp/mfifo" "$case" 2> "$tmp/err"; rc=$?
wait $rd
expect "merge to a FIFO: exit" "$rc" 0
expect "merge to a FIFO: a whole case came out" \
    "$(sqlite3 -batch "$tmp/fromfifo.db" "PRAGMA integrity_check; SELECT count(*) FROM flows")" \
    "ok
$(sqlite3 -batch "$case" "SELECT count(*) FROM flows")"
[ -p "$tmp/mfifo" ] && ok "the merge FIFO is still a FIFO" || fail "the merge FIFO was replaced"

# -- cases a writer adds to.
pcap=$tmp/in.pcap
pcapgen -f 50 -o "$pcap"
if [ -n "$root" ]; then
    mkdir -m 1777 "$tmp/shared"; chmod 0755 "$tmp"
    setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
        "umask 0; sqlite3 '$tmp/shared/case.db' < '$TOP/schema.sql' && chmod 0666 '$tmp/shared/case.db'"
    sum0=$(md5sum < "$tmp/shared/case.db")
    "$C" -q -w "$tmp/shared/case.db" -r "$pcap" 2> "$tmp/err"; rc=$?
    expect "capture into another user's case: exit" "$rc" 2
    one_line "another user's case" "$tmp/err" "cannot add to '.*case.db': it belongs to another user"
    expect "their case untouched" "$(md5sum < "$tmp/shared/case.db")" "$sum0"
    "$A" inventory "$tmp/shared/case.db" "$TOP/samples/fme/inventory.yaml" 2> "$tmp/err"; rc=$?
    expect "inventory into another user's case: exit" "$rc" 2
    expect "their case untouched by inventory" "$(md5sum < "$tmp/shared/case.db")" "$sum0"
    ln -s "$tmp/shared/case.db" "$tmp/shared/link.db"
    "$C" -q -w "$tmp/shared/link.db" -r "$pcap" 2> "$tmp/err"; rc=$?
    expect "capture through a symlink: exit" "$rc" 2
    one_line "capture through a symlink" "$tmp/err" "symbolic link"
    # Our own case, but with another user's -wal beside it.
    "$C" -q -w "$tmp/own.db" -r "$pcap" || fail "making own.db"
    touch "$tmp/own.db-wal"; chown 65534 "$tmp/own.db-wal"
    "$C" -q -w "$tmp/own.db" -r "$pcap" 2> "$tmp/err"; rc=$?
    expect "capture with another user's -wal beside: exit" "$rc" 2
    one_line "another user's -wal" "$tmp/err" "its wal file belongs to another user"
    rm -f "$tmp/own.db-wal"
fi
"$C" -q -w "$tmp/open.db" -r "$pcap" || fail "making open.db"
chmod 0666 "$tmp/open.db"; sum0=$(md5sum < "$tmp/open.db")
"$C" -q -w "$tmp/open.db" -r "$pcap" 2> "$tmp/err"; rc=$?
expect "capture into a case others may write: exit" "$rc" 2
one_line "a case others may write" "$tmp/err" "writable by other users \\(mode 0666"
expect "that case untouched" "$(md5sum < "$tmp/open.db")" "$sum0"
chmod 0600 "$tmp/open.db"
"$C" -q -w "$tmp/open.db" -r "$pcap" 2> "$tmp/err"; rc=$?
expect "after chmod go-w it is added to: exit" "$rc" 0

# -- one capture at a time: the first reads a FIFO held open, the second
#    is refused after the busy timeout; the first then ends normally.
mkfifo "$tmp/src"
"$C" -q -w "$tmp/busy.db" -r "$tmp/src" 2> "$tmp/err1" & first=$!
exec 8> "$tmp/src"
cat "$pcap" >&8
i=0; while [ $i -lt 100 ] && ! [ -e "$tmp/busy.db-wal" ]; do sleep 0.05; i=$((i + 1)); done
"$C" -q -w "$tmp/busy.db" -r "$pcap" 2> "$tmp/err"; rc=$?
expect "second capture on one case: exit" "$rc" 2
one_line "second capture" "$tmp/err" "cannot write '.*busy.db': database is locked"
exec 8>&-
wait $first; rc=$?
expect "the first capture: exit" "$rc" 0
expect "the case holds the first capture only" \
    "$(sqlite3 -batch "$tmp/busy.db" "SELECT count(*) FROM captures")" 1

# -- several cases: the merged copy in $TMPDIR is removed on SIGTERM, and
#    after kill -9 by the next run.
pcapgen -f 150000 -o "$tmp/big.pcap"
"$C" -q -w "$tmp/n1.db" -r "$tmp/big.pcap" --node n1 && "$C" -q -w "$tmp/n2.db" -r "$tmp/big.pcap" --node n2 ||
    fail "making n1.db, n2.db"
mkdir "$tmp/t"
# many_check: start check on n1.db n2.db, wait until its copy exists; $pid.
many_check() {
    TMPDIR=$tmp/t "$A" check "$tmp/n1.db" "$tmp/n2.db" -p "$POL" > /dev/null 2>&1 & pid=$!
    i=0; while [ $i -lt 400 ] && [ -z "$(ls "$tmp/t")" ]; do sleep 0.01; i=$((i + 1)); done
    [ -n "$(ls "$tmp/t")" ] || fail "no temporary copy seen in \$TMPDIR"
}
many_check
kill -TERM $pid; wait $pid; rc=$?
expect "SIGTERM during a several-case check: killed by it" "$rc" $((128 + 15))
expect "SIGTERM: nothing left in \$TMPDIR" "$(ls "$tmp/t")" ""
many_check
kill -KILL $pid; wait $pid
left=$(ls "$tmp/t")
[ -n "$left" ] && ok "kill -9 leaves the copy: $left" || fail "kill -9 left nothing (the test proves nothing)"
touch -d '-2 minutes' "$tmp/t"/*
TMPDIR=$tmp/t "$A" check "$case" "$tmp/open.db" -p "$POL" > /dev/null 2> "$tmp/err"
expect "the next several-case run removed the stale copy" "$(ls "$tmp/t")" ""
finish
