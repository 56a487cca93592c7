#!/bin/sh
# fault_hostile_db.sh: a case file from a stranger (issue 8, Privilege and
# data).  The analyzer runs none of the file's SQL: a trigger, a view in
# place of a table, or a changed flows_named view make it refuse the file
# with one line, exit 2, the file untouched (so nothing in it could run
# or write).  And names in the file cannot drive the terminal: escape
# sequences in namespaces, pod names and labels come out as '?' in every
# text output (table, CSV, show, select, and messages); JSON escapes them.
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
base=$tmp/base.db
"$C" -q -w "$base" -r "$TOP/tests/fuzz/corpus/pcap/tcp-sf.pcap" || exit 1
pol=$TOP/samples/fme/policies/current

# refused NAME SQL: the case with SQL applied is refused, untouched.
refused() {
    cp "$base" "$tmp/$1.db"
    sqlite3 "$tmp/$1.db" "$2" || { fail "$1: cannot craft"; return; }
    cp "$tmp/$1.db" "$tmp/$1.before"
    for cmd in show check select; do
        case $cmd in
        show) "$A" show "$tmp/$1.db" > /dev/null 2> "$tmp/err"; rc=$? ;;
        check) "$A" check "$tmp/$1.db" -p "$pol" > /dev/null 2> "$tmp/err"; rc=$? ;;
        select) "$A" select "$tmp/$1.db" 'all()' > /dev/null 2> "$tmp/err"; rc=$? ;;
        esac
        expect "$1 ($cmd): exit" "$rc" 2
        one_line "$1 ($cmd)" "$tmp/err" "'.*$1.db' is not a podflow case file"
    done
    cmp -s "$tmp/$1.db" "$tmp/$1.before" && ok "$1: file untouched" || fail "$1: file changed"
}
refused trigger "CREATE TABLE IF NOT EXISTS sprung (x);
    CREATE TRIGGER t AFTER INSERT ON flows BEGIN INSERT INTO sprung VALUES (1); END;"
expect "trigger: never fired" "$(sqlite3 -batch "$tmp/trigger.db" "SELECT count(*) FROM sprung")" 0
refused view-for-table "ALTER TABLE endpoints RENAME TO endpoints_real;
    CREATE VIEW endpoints AS SELECT * FROM endpoints_real;"
refused changed-view "DROP VIEW flows_named; CREATE VIEW flows_named AS SELECT * FROM flows;"

# Escape sequences in names and labels.
esc=$(printf '\033')
cp "$base" "$tmp/esc.db"
sqlite3 "$tmp/esc.db" "
  INSERT INTO namespaces (name, labels) VALUES ('ns' || char(27) || '[31m', '{}');
  INSERT INTO endpoints (ip, kind, namespace, name, labels) VALUES
    ('198.18.0.1', 'pod', 'ns' || char(27) || '[31m', 'p' || char(27) || ']0;pwned' || char(7),
     '{\"app\":\"x\\u001b[2J\"}'),
    ('198.18.0.2', 'pod', 'ns' || char(27) || '[31m', char(13) || 'spoof', '{}');"
for f in table csv; do
    "$A" check "$tmp/esc.db" -p "$pol" --format $f > "$tmp/out" 2>&1
    grep -q "$esc" "$tmp/out" && fail "check --format $f: an ESC byte reached the output" ||
        ok "check --format $f: no ESC byte"
    grep -q "$(printf '\r')" "$tmp/out" && fail "check --format $f: a CR reached the output" ||
        ok "check --format $f: no CR"
done
"$A" check "$tmp/esc.db" -p "$pol" --format json > "$tmp/out" 2>/dev/null
grep -q 'u001b' "$tmp/out" && ok "json: escaped as \\u001b" || fail "json: ESC not escaped"
"$A" show "$tmp/esc.db" > "$tmp/out" 2>&1
grep -q "$esc" "$tmp/out" && fail "show: ESC in output" || ok "show: no ESC byte"
grep -q 'ns?\[31m' "$tmp/out" && ok "show: shown as '?'" || fail "show: name not shown"
"$A" select "$tmp/esc.db" 'all()' > "$tmp/out" 2>&1
grep -q "$esc" "$tmp/out" && fail "select: ESC in output" || ok "select: no ESC byte"
# A message quoting a hostile name: malformed labels on the namespace.
sqlite3 "$tmp/esc.db" "UPDATE namespaces SET labels = 'x' || char(27) || '[31m'"
"$A" show "$tmp/esc.db" > /dev/null 2> "$tmp/err"
grep -q "$esc" "$tmp/err" && fail "messages: ESC in stderr" || ok "messages: no ESC byte: $(head -1 "$tmp/err")"
finish
