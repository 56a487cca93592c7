#!/bin/sh
# fault_db_open.sh: a .db that cannot be used is refused with one clear
# line, exit 2, and the file left byte for byte as it was: a path in a
# directory we may not write, a case another writer holds locked (the
# sqlite3 shell inside BEGIN EXCLUSIVE), an existing file that is not a
# podflow case, and a case of a newer format.  podflow-capture -w for each;
# podflow-analyze show for the ones it can meet (foreign, newer).
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
pcap=$tmp/in.pcap
pcapgen -f 50 -o "$pcap"

# -- unwritable directory: as root, through an unprivileged user (root
#    writes anywhere); as a user, a directory without write permission.
mkdir "$tmp/ro"
chmod 0555 "$tmp/ro"
chmod 0755 "$tmp"
rc=
if [ "$(id -u)" != 0 ]; then
    "$C" -q -w "$tmp/ro/x.db" -r "$pcap" 2> "$tmp/err"; rc=$?
elif command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$C" -q -w "$tmp/ro/x.db" -r "$pcap" \
        2> "$tmp/err"; rc=$?
else
    echo "note: root without setpriv (util-linux): the unwritable case is not run"
fi
if [ -n "$rc" ]; then
    expect "unwritable: exit" "$rc" 2
    one_line "unwritable" "$tmp/err" "cannot (open|create) '.*ro/x.db'.*(Permission denied|read-only)"
    expect "unwritable: nothing created" "$(ls "$tmp/ro" | wc -l)" 0
fi

# -- locked by another writer
"$C" -q -w "$tmp/l.db" -r "$pcap" 2> "$tmp/err" || fail "making l.db: $(cat "$tmp/err")"
mkfifo "$tmp/sqlin"
sqlite3 "$tmp/l.db" < "$tmp/sqlin" > "$tmp/sqlout" 2>&1 &
sq=$!
exec 7> "$tmp/sqlin"
printf "BEGIN EXCLUSIVE;\nSELECT 'locked';\n" >&7
i=0
while [ "$(cat "$tmp/sqlout")" != locked ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
expect "locked: the sqlite3 shell holds the lock" "$(cat "$tmp/sqlout")" locked
cp "$tmp/l.db" "$tmp/l.before"
"$C" -q -w "$tmp/l.db" -r "$pcap" 2> "$tmp/err"; rc=$?
expect "locked: exit" "$rc" 2
one_line "locked" "$tmp/err" "'.*l.db'.*locked"
cmp -s "$tmp/l.db" "$tmp/l.before" && ok "locked: file untouched" || fail "locked: file changed"
printf "ROLLBACK;\n" >&7
exec 7>&-
wait $sq

# -- an existing file that is not a podflow case: text, and a SQLite
#    database of somebody else's
printf 'not a database, but precious\n' > "$tmp/text.db"
sqlite3 "$tmp/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (42);"
for f in text other; do
    cp "$tmp/$f.db" "$tmp/$f.before"
    "$C" -q -w "$tmp/$f.db" -r "$pcap" 2> "$tmp/err"; rc=$?
    expect "foreign ($f): capture exit" "$rc" 2
    one_line "foreign ($f): capture" "$tmp/err" "'.*$f.db' is not a podflow case file"
    cmp -s "$tmp/$f.db" "$tmp/$f.before" && ok "foreign ($f): file untouched" ||
        fail "foreign ($f): file changed"
    "$A" show "$tmp/$f.db" > /dev/null 2> "$tmp/err"; rc=$?
    expect "foreign ($f): analyze exit" "$rc" 2
    one_line "foreign ($f): analyze" "$tmp/err" "'.*$f.db' is not a podflow case file"
    cmp -s "$tmp/$f.db" "$tmp/$f.before" && ok "foreign ($f): file untouched by analyze" ||
        fail "foreign ($f): file changed by analyze"
done

# -- a case of a newer format
"$C" -q -w "$tmp/new.db" -r "$pcap" 2> "$tmp/err" || fail "making new.db: $(cat "$tmp/err")"
sqlite3 "$tmp/new.db" "PRAGMA user_version = 99; UPDATE meta SET value = '99' WHERE key = 'format_version';"
cp "$tmp/new.db" "$tmp/new.before"
"$C" -q -w "$tmp/new.db" -r "$pcap" 2> "$tmp/err"; rc=$?
expect "newer: capture exit" "$rc" 2
one_line "newer: capture" "$tmp/err" "'.*new.db'.*newer podflow"
cmp -s "$tmp/new.db" "$tmp/new.before" && ok "newer: file untouched" || fail "newer: file changed"
"$A" show "$tmp/new.db" > /dev/null 2> "$tmp/err"; rc=$?
expect "newer: analyze exit" "$rc" 2
one_line "newer: analyze" "$tmp/err" "'.*new.db'.*newer podflow"
cmp -s "$tmp/new.db" "$tmp/new.before" && ok "newer: file untouched by analyze" ||
    fail "newer: file changed by analyze"
finish
