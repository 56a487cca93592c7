#!/bin/sh
# fault_epipe.sh: podflow-analyze's output closed early
# (`podflow-analyze check ... | head -1`).  The promise: no error spew and a
# sensible exit.  With SIGPIPE at its default the program ends on it, like
# any Unix filter (status 141 through the shell, nothing on stderr); where
# the caller ignores SIGPIPE (some supervisors and language runtimes do),
# the write fails with EPIPE instead: at most one line on stderr, exit 2.
# The case holds 2000 flows so every format writes far more than a pipe's
# buffer (64 KiB) after the reader has gone.
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
pcapgen -f 2000 -c 16 -g 1000 -o "$tmp/s.pcap"
"$C" -q -w "$tmp/p.db" -r "$tmp/s.pcap" || exit 1
pol=$TOP/samples/fme/policies/current
# The generated flows have no identities: check says so once on stderr
# (JSON and CSV; the table's first line), which is not spew.
noid='warning: no identities'

# run NAME ARGS...: podflow-analyze ARGS | head -1, default SIGPIPE.
run() {
    name=$1; shift
    { "$A" "$@" 2> "$tmp/err0"; echo $? > "$tmp/rc"; } | head -1 > "$tmp/out"
    grep -v "$noid" "$tmp/err0" > "$tmp/err"
    rc=$(cat "$tmp/rc")
    expect "$name: one line read" "$(wc -l < "$tmp/out")" 1
    case $rc in 0|1|141) ok "$name: exit $rc" ;; *) fail "$name: exit $rc" ;; esac
    if [ -s "$tmp/err" ]; then fail "$name: stderr:"; head -5 "$tmp/err"; else ok "$name: stderr empty"; fi
}
for fmt in table json csv; do
    run "check --format $fmt" check "$tmp/p.db" -p "$pol" --format "$fmt"
done
run "check --explain" check "$tmp/p.db" -p "$pol" --explain
run "select" select "$tmp/p.db" "all()"

# SIGPIPE ignored: EPIPE reported once, exit 2.
for fmt in table json; do
    (trap '' PIPE
     { "$A" check "$tmp/p.db" -p "$pol" --format "$fmt" 2> "$tmp/err0"; echo $? > "$tmp/rc"; } |
         head -1 > /dev/null)
    grep -v "$noid" "$tmp/err0" > "$tmp/err"
    rc=$(cat "$tmp/rc")
    expect "SIGPIPE ignored, $fmt: exit" "$rc" 2
    one_line "SIGPIPE ignored, $fmt" "$tmp/err" "Broken pipe"
done
finish
