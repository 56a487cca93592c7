#!/bin/sh
# capture_offline.sh: podflow-capture -r on pcaps made by pcapgen, checked
# against the generator's ground truth row by row (state, protocol, ICMP
# correlation, IPv6, VLAN, packet sums); a second capture into the same
# .db; two files in one run; and every bad-input path: truncated and
# corrupt pcaps (the flows read so far are written, exit 2), an unknown
# link type, a file that is not a pcap, usage errors (one line, exit 2).
. "${TOP:-.}/tests/it/capture_lib.inc"

GEN="$B/bench/pcapgen"
[ -x "$GEN" ] || skip "needs $GEN (make integration builds it)"
command -v sqlite3 >/dev/null 2>&1 || skip "needs the sqlite3 shell"

PCAP=$TMP/mixed.pcap
"$GEN" -f 3000 -s 7 -o "$PCAP" > "$TMP/truth" || fail "pcapgen"
# truth KEY: a number from pcapgen's report ("packets N flows N", "KIND N")
truth() { tr ' ' '\n' < "$TMP/truth" | sed -n "/^$1\$/{n;p;}"; }
PACKETS=$(truth packets)

# --- 1. one file, every row against the ground truth ------------------------
DB=$TMP/case.db
"$CAP" -q -w "$DB" -r "$PCAP" 2> "$TMP/err" || fail "capture exited $? ($(cat "$TMP/err"))"
[ -s "$TMP/err" ] && fail "unexpected stderr: $(cat "$TMP/err")"
expect "file mode" "$(stat -c %a "$DB")" 600
expect "captures rows" "$(q 'SELECT count(*) FROM captures')" 1
expect "capture source" "$(q 'SELECT source FROM captures')" file
expect "capture ended" "$(q 'SELECT ended_ns >= started_ns FROM captures')" 1
expect "packets_seen" "$(q 'SELECT packets_seen FROM captures')" "$PACKETS"
expect "packets_malformed" "$(q 'SELECT packets_malformed FROM captures')" 0
expect "flows_written" "$(q 'SELECT flows_written FROM captures')" "$(truth flows)"
expect "flows" "$(q 'SELECT count(*) FROM flows')" "$(truth flows)"
expect "interfaces row" "$(q 'SELECT name, packets_seen, ifindex IS NULL FROM interfaces')" \
    "$PCAP|$PACKETS|1"
expect "flows.iface" "$(q 'SELECT count(*) FROM flows WHERE iface = (SELECT id FROM interfaces)')" \
    "$(truth flows)"
expect "tcp SF" "$(q "SELECT count(*) FROM flows WHERE proto = 6 AND state = 'SF'")" \
    $(($(truth tcp-sf) + $(truth tcp6-sf)))
expect "tcp S0" "$(q "SELECT count(*) FROM flows WHERE proto = 6 AND state = 'S0'")" "$(truth tcp-s0)"
expect "tcp REJ" "$(q "SELECT count(*) FROM flows WHERE proto = 6 AND state = 'REJ'")" "$(truth tcp-rej)"
expect "tcp RSTO" "$(q "SELECT count(*) FROM flows WHERE proto = 6 AND state = 'RSTO'")" \
    "$(truth tcp-rsto)"
expect "udp SF" "$(q "SELECT count(*) FROM flows WHERE proto = 17 AND state = 'SF'")" \
    $(($(truth udp-dns) + $(truth udp6-dns)))
expect "udp S0 + port unreachable" "$(q "SELECT count(*) FROM flows WHERE proto = 17
    AND state = 'S0' AND icmp_type = 3 AND icmp_code = 3 AND icmp_count = 1")" "$(truth udp-unr)"
expect "icmp echo" "$(q "SELECT count(*) FROM flows WHERE proto = 1 AND icmp_type = 8
    AND icmp_id IS NOT NULL AND packets_fwd = packets_rev")" "$(truth icmp-echo)"
expect "ipv6" "$(q "SELECT count(*) FROM flows WHERE src_ip LIKE '%:%'")" \
    $(($(truth tcp6-sf) + $(truth udp6-dns)))
expect "vlan" "$(q 'SELECT count(*) FROM flows WHERE vlan IS NOT NULL')" "$(truth vlan)"
expect "initiator is the client" "$(q "SELECT count(*) FROM flows
    WHERE src_ip NOT LIKE '10.1.%' AND src_ip NOT LIKE 'fd00:0:0:1:%'")" 0
# Every packet lands in one flow, except the ICMP errors, which are
# recorded on the flow they quote.
expect "packets in flows" "$(q 'SELECT sum(packets_fwd + packets_rev) FROM flows')" \
    $((PACKETS - $(truth udp-unr)))
expect "canonical IPv4 text" "$(q "SELECT count(*) FROM flows WHERE src_ip <> '' AND
    src_ip NOT GLOB '*:*' AND src_ip NOT GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*'")" 0
expect "tcp SF history" "$(q "SELECT count(*) FROM flows WHERE proto = 6 AND state = 'SF'
    AND history LIKE 'ShA%'")" $(($(truth tcp-sf) + $(truth tcp6-sf)))

# --- 2. a second capture into the same case --------------------------------
"$CAP" -q -w "$DB" --node other-node -r "$PCAP" || fail "second capture exited $?"
expect "captures rows" "$(q 'SELECT count(*) FROM captures')" 2
expect "second capture's flows" "$(q 'SELECT count(*) FROM flows WHERE capture_id = 2')" \
    "$(truth flows)"
expect "node" "$(q 'SELECT node FROM captures WHERE id = 2')" other-node
expect "second capture's interface" "$(q 'SELECT count(*) FROM flows f JOIN interfaces i
    ON i.id = f.iface WHERE f.capture_id = 2 AND i.capture_id = 2')" "$(truth flows)"

# --- 3. two files in one run, read in order --------------------------------
DB2=$TMP/two.db
cp "$PCAP" "$TMP/second.pcap"
"$CAP" -q -w "$DB2" -r "$PCAP" -r "$TMP/second.pcap" || fail "two files exited $?"
DB=$DB2
expect "two interfaces" "$(q 'SELECT group_concat(name, " ") FROM interfaces ORDER BY id')" \
    "$PCAP $TMP/second.pcap"
expect "two files' flows" "$(q 'SELECT count(*) FROM flows')" $(($(truth flows) * 2))
expect "packets_seen" "$(q 'SELECT packets_seen FROM captures')" $((PACKETS * 2))

# --- 4. truncated: the flows read so far are written, exit 2 --------------
SIZE=$(wc -c < "$PCAP")
head -c $((SIZE / 2 + 7)) "$PCAP" > "$TMP/trunc.pcap"
DB=$TMP/trunc.db
"$CAP" -q -w "$DB" -r "$TMP/trunc.pcap" 2> "$TMP/err"
expect "truncated: exit" $? 2
grep -q "trunc.pcap': packet [0-9]* (byte offset [0-9]*): truncated" "$TMP/err" ||
    fail "truncated: message: $(cat "$TMP/err")"
expect "truncated: one line" "$(wc -l < "$TMP/err")" 1
n=$(sed -n "s/.*packet \([0-9]*\) .*/\1/p" "$TMP/err")
expect "truncated: packets before the damage" "$(q 'SELECT packets_seen FROM captures')" $((n - 1))
expect "truncated: capture ended" "$(q 'SELECT ended_ns IS NOT NULL FROM captures')" 1
[ "$(q 'SELECT count(*) FROM flows')" -gt 100 ] || fail "truncated: flows read so far not written"
expect "truncated: integrity" "$(q 'PRAGMA integrity_check')" ok

# --- 5. corrupt: a record length no writer could mean ----------------------
cp "$PCAP" "$TMP/corrupt.pcap"
# the 3rd record's caplen: 24-byte file header, then 16-byte record headers
off=24; i=0
while [ $i -lt 2 ]; do
    cap=$(od -An -tu4 -j $((off + 8)) -N4 "$TMP/corrupt.pcap" | tr -d ' ')
    off=$((off + 16 + cap)); i=$((i + 1))
done
printf '\377\377\377\177' | dd of="$TMP/corrupt.pcap" bs=1 seek=$((off + 8)) conv=notrunc 2>/dev/null
DB=$TMP/corrupt.db
"$CAP" -q -w "$DB" -r "$TMP/corrupt.pcap" 2> "$TMP/err"
expect "corrupt: exit" $? 2
grep -q "corrupt.pcap': packet 3 (byte offset [0-9]*): invalid packet capture length" "$TMP/err" ||
    fail "corrupt: message: $(cat "$TMP/err")"
expect "corrupt: packets before the damage" "$(q 'SELECT packets_seen FROM captures')" 2
expect "corrupt: flows read so far" "$(q 'SELECT count(*) > 0 FROM flows')" 1

# --- 6. inputs refused before anything is written: one line, exit 2 -------
cp "$PCAP" "$TMP/lt.pcap"
printf '\223\0\0\0' | dd of="$TMP/lt.pcap" bs=1 seek=20 conv=notrunc 2>/dev/null  # LINKTYPE 147
echo "not a capture" > "$TMP/text.pcap"
refused() { # NAME EXPECTED-TEXT ARGS...
    name=$1; want=$2; shift 2
    rm -f "$TMP/new.db"
    "$CAP" "$@" 2> "$TMP/err" > "$TMP/out"
    rc=$?
    [ $rc -eq 2 ] || fail "$name: exit $rc, want 2 ($(cat "$TMP/err"))"
    [ "$(wc -l < "$TMP/err")" -eq 1 ] || fail "$name: want one line: $(cat "$TMP/err")"
    grep -q -- "$want" "$TMP/err" || fail "$name: message '$(cat "$TMP/err")' lacks '$want'"
    [ -e "$TMP/new.db" ] && fail "$name: wrote $TMP/new.db"
    echo "ok: $name: $(cat "$TMP/err")"
}
refused "unknown link type" "link type .*147.* is not supported" -w "$TMP/new.db" -r "$TMP/lt.pcap"
refused "not a pcap" "cannot read '.*text.pcap'" -w "$TMP/new.db" -r "$TMP/text.pcap"
refused "missing file" "No such file" -w "$TMP/new.db" -r "$TMP/none.pcap"
refused "no -w" "-w CASE.db is required" -r "$PCAP"
refused "no source" "give -i or -r" -w "$TMP/new.db"
refused "mixed sources" "cannot be mixed" -w "$TMP/new.db" -r "$PCAP" -i lo
refused "bad number" "invalid snap length 'x'" -w "$TMP/new.db" -r "$PCAP" -s x
refused "out of range" "from 1 to" -w "$TMP/new.db" -r "$PCAP" --max-flows 0
refused "unknown option" "unknown option '--frob'" -w "$TMP/new.db" -r "$PCAP" --frob
refused "missing value" "needs a value" -w "$TMP/new.db" -r
refused "bad filter" "invalid filter" -w "$TMP/new.db" -r "$PCAP" -f "tcp port"
refused "extra argument" "unexpected argument 'x'" -w "$TMP/new.db" -r "$PCAP" x
refused "unwritable .db" "cannot" -w "$TMP/no/such/dir/new.db" -r "$PCAP"

# --- 7. --help and --version ----------------------------------------------
"$CAP" --help | grep -q "^usage: podflow-capture -w CASE.db" || fail "--help"
"$CAP" --version | grep -q "^podflow-capture [0-9]" || fail "--version"
# A filter applies to files too.
DB=$TMP/filter.db
"$CAP" -q -w "$DB" -r "$PCAP" -f "udp" || fail "filter run"
expect "filter: only udp" "$(q 'SELECT count(*) FROM flows WHERE proto <> 17')" 0
expect "filter recorded" "$(q 'SELECT filter FROM captures')" udp
echo "PASS"
