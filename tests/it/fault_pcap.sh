#!/bin/sh
# fault_pcap.sh: bad pcap input to podflow-capture -r.  The promise
# (issue 3, Bad input): a truncated or corrupt file stops with one message
# naming the file and the packet number and offset; the flows read so far
# are written (exactly those of the packets before the bad one); exit 2.
# A file that is no capture at all is one line, exit 2, and no .db.
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C"
pcap=$tmp/s.pcap
pcapgen -f 2000 -c 16 -g 1000 -o "$pcap"

# Offset of record K (1-based) of a little-endian pcap: 24-byte file
# header, then 16-byte record headers whose caplen is at +8.
record_offset() {
    off=24; k=1
    while [ $k -lt "$1" ]; do
        cl=$(od -An -tu4 -j $((off + 8)) -N4 "$pcap" | tr -d ' ')
        off=$((off + 16 + cl)); k=$((k + 1))
    done
    echo $off
}
# fp DB: what a case's flows add up to.
fp() {
    sqlite3 -batch "$1" "SELECT count(*), total(packets_fwd + packets_rev), total(bytes_fwd),
                               group_concat(state, '') FROM (SELECT * FROM flows ORDER BY id)"
}
b500=$(record_offset 500)
head -c "$b500" "$pcap" > "$tmp/prefix.pcap"
"$C" -q -w "$tmp/prefix.db" -r "$tmp/prefix.pcap" 2> "$tmp/err" || fail "prefix: $(cat "$tmp/err")"
want=$(fp "$tmp/prefix.db")
echo "the 499 packets before the bad one make: $(echo "$want" | cut -d'|' -f1-3)"

# Truncated inside packet 500's data.
head -c $((b500 + 16 + 20)) "$pcap" > "$tmp/trunc.pcap"
"$C" -q -w "$tmp/trunc.db" -r "$tmp/trunc.pcap" 2> "$tmp/err"; rc=$?
expect "truncated: exit" "$rc" 2
one_line "truncated" "$tmp/err" "'.*trunc.pcap': packet 500 \(byte offset [0-9]+\): .*truncated"
expect "truncated: the flows of the packets before are written" "$(fp "$tmp/trunc.db")" "$want"
expect "truncated: integrity_check" "$(sqlite3 -batch "$tmp/trunc.db" "PRAGMA integrity_check")" ok

# Truncated inside packet 500's record header.
head -c $((b500 + 7)) "$pcap" > "$tmp/trunch.pcap"
"$C" -q -w "$tmp/trunch.db" -r "$tmp/trunch.pcap" 2> "$tmp/err"; rc=$?
expect "truncated header: exit" "$rc" 2
one_line "truncated header" "$tmp/err" "'.*trunch.pcap': packet 500 .*truncated"
expect "truncated header: flows before are written" "$(fp "$tmp/trunch.db")" "$want"

# Corrupt: packet 500's caplen is absurd (0xfffffff0).
cp "$pcap" "$tmp/corrupt.pcap"
printf '\360\377\377\377' | dd of="$tmp/corrupt.pcap" bs=1 seek=$((b500 + 8)) conv=notrunc 2>/dev/null
"$C" -q -w "$tmp/corrupt.db" -r "$tmp/corrupt.pcap" 2> "$tmp/err"; rc=$?
expect "corrupt: exit" "$rc" 2
one_line "corrupt" "$tmp/err" "'.*corrupt.pcap': packet 500 \(byte offset [0-9]+\): .*capture length"
expect "corrupt: the flows of the packets before are written" "$(fp "$tmp/corrupt.db")" "$want"

# Truncated pcapng (inside the first packet block).
head -c 100 "$TOP/tests/fuzz/corpus/pcap/tcp-sf.pcapng" > "$tmp/trunc.pcapng"
"$C" -q -w "$tmp/ng.db" -r "$tmp/trunc.pcapng" 2> "$tmp/err"; rc=$?
expect "truncated pcapng: exit" "$rc" 2
one_line "truncated pcapng" "$tmp/err" "'.*trunc.pcapng': packet 1 .*truncated"

# Not a capture at all; and an empty file.
printf 'this is not a capture file at all\n' > "$tmp/junk.pcap"
: > "$tmp/empty.pcap"
for f in junk empty; do
    "$C" -q -w "$tmp/$f.db" -r "$tmp/$f.pcap" 2> "$tmp/err"; rc=$?
    expect "$f: exit" "$rc" 2
    one_line "$f" "$tmp/err" "'.*$f.pcap'"
    [ -e "$tmp/$f.db" ] && fail "$f: a .db was created" || ok "$f: no .db created"
done
finish
