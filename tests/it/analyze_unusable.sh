#!/bin/sh
# analyze_unusable.sh: rows of a case that cannot be used are never coerced
# nor dropped without a word (issue 17, item 3; and item 5's names).
# A case crafted as a stranger's file can be (tables without NOT NULL and
# CHECK) holds flows with NULL and text times, dst_port '80x', src_port
# 'abc', proto 'tcp', packets_fwd 'lots', state 'XYZ', last_ns < first_ns.
# Every command says how many rows it left out, and why, on the first line
# of its output (table, JSON, CSV, DOT, the report's page) and on stderr;
# --strict makes it exit 2.  An endpoint whose labels are NULL stops the
# reading (exit 2).  With several cases, messages name the file a row came
# from, never "a.db+".
. "$TOP/tests/it/analyze_lib.inc"
POL=$TOP/samples/fme/policies/current

# loose SRC DST: DST holds SRC's rows in tables without NOT NULL or CHECK.
loose() {
    sed 's/ NOT NULL/         /g' "$TOP/schema.sql" | sqlite3 "$2" || exit 1
    sqlite3 "$2" "ATTACH '$1' AS s; PRAGMA ignore_check_constraints = ON;
        INSERT OR REPLACE INTO meta SELECT * FROM s.meta;
        INSERT INTO captures SELECT * FROM s.captures;
        INSERT INTO interfaces SELECT * FROM s.interfaces;
        INSERT INTO flows SELECT * FROM s.flows;
        INSERT INTO endpoints SELECT * FROM s.endpoints;
        INSERT INTO namespaces SELECT * FROM s.namespaces;" || exit 1
}

# The FME case, its flows twice (a second copy 1000 ids on, an hour later).
make_case "$tmp/good.db" "CREATE TEMP TABLE t AS SELECT * FROM flows;
    UPDATE t SET id = id + 1000, first_ns = first_ns + 3600000000000,
        last_ns = last_ns + 3600000000000;
    INSERT INTO flows SELECT * FROM t;"
n=$(sqlite3 "$tmp/good.db" "SELECT count(*) FROM flows")
[ "$n" -ge 8 ] || { echo "FAIL: the FME case has $n flows"; exit 1; }

# -- every flow unusable by time (NULL or text): show counts them, check
#    used to judge none and exit 0 without a word.
loose "$tmp/good.db" "$tmp/times.db"
sqlite3 "$tmp/times.db" "UPDATE flows SET first_ns = NULL WHERE id % 2 = 0;
    UPDATE flows SET last_ns = 'yesterday' WHERE id % 2 = 1"
"$A" show "$tmp/times.db" > "$tmp/out" 2> "$tmp/err"
expect "show: first line" "$(head -1 "$tmp/out")" \
    "warning: '$tmp/times.db': $n rows left out as unusable: flows $n (time $n)"
grep -q "^flows: $n," "$tmp/out" && ok "show still counts the $n rows" || fail "show: $(cat "$tmp/out")"
grep -q "of which unusable (left out by check, diff, report): $n" "$tmp/out" &&
    ok "show: of which $n unusable" || fail "show does not say how many are unusable"
"$A" check "$tmp/times.db" -p "$POL" > "$tmp/out" 2> "$tmp/err"; rc=$?
expect "check: first line" "$(head -1 "$tmp/out")" \
    "warning: '$tmp/times.db': $n rows left out as unusable: flows $n (time $n)"
grep -q "left out as unusable" "$tmp/err" && ok "check: said on stderr too" || fail "check: nothing on stderr"
"$A" check "$tmp/times.db" -p "$POL" --strict > "$tmp/out" 2> "$tmp/err"; rc=$?
expect "check --strict: exit" "$rc" 2
grep -q "(--strict)" "$tmp/err" && ok "check --strict: says why" || fail "check --strict: $(cat "$tmp/err")"
expect "check --strict: no output" "$(wc -c < "$tmp/out")" 0

# -- one row per coercion the reader used to make.
loose "$tmp/good.db" "$tmp/odd.db"
ids=$(sqlite3 "$tmp/odd.db" "SELECT group_concat(id, ' ') FROM (SELECT id FROM flows ORDER BY id LIMIT 7)")
set -- $ids
sqlite3 "$tmp/odd.db" "PRAGMA ignore_check_constraints = ON; UPDATE flows SET dst_port = '80x' WHERE id = $1;
    UPDATE flows SET src_port = 'abc' WHERE id = $2;
    UPDATE flows SET proto = 'tcp' WHERE id = $3;
    UPDATE flows SET packets_fwd = 'lots' WHERE id = $4;
    UPDATE flows SET state = 'XYZ' WHERE id = $5;
    UPDATE flows SET last_ns = first_ns - 1 WHERE id = $6;
    UPDATE flows SET src_ip = '10.0.0.01' WHERE id = $7;"
want="'$tmp/odd.db': 7 rows left out as unusable: flows 7 (proto 1, address 1, port 2, time 1, counter 1, state 1)"
for f in table json csv dot; do
    "$A" check "$tmp/odd.db" -p "$POL" --format $f > "$tmp/out" 2> "$tmp/err"
    case $f in
    table) expect "check table: first line" "$(head -1 "$tmp/out")" "warning: $want" ;;
    json) expect "check json: first line" "$(head -1 "$tmp/out")" \
        "{\"warning\":\"$want\",\"left_out\":7}" ;;
    csv) expect "check csv: first line" "$(head -1 "$tmp/out")" "# warning: $want" ;;
    dot) expect "check dot: first line" "$(head -1 "$tmp/out")" "// warning: $want" ;;
    esac
done
"$A" check "$tmp/odd.db" -p "$POL" --format json 2> /dev/null | tail -n +2 > "$tmp/rows.json"
judged=$(wc -l < "$tmp/rows.json")
expect "check judges the other rows" "$judged" "$(sqlite3 "$tmp/good.db" "SELECT count(*) FROM flows WHERE id NOT IN ($(echo $ids | tr ' ' ','))" )"
grep -q '"state":"XYZ"' "$tmp/rows.json" && fail "state XYZ reached the JSON" || ok "no state XYZ in the JSON"
"$A" diff "$tmp/odd.db" --old "$POL" --new "$POL" > "$tmp/out" 2> /dev/null
expect "diff: first line" "$(head -1 "$tmp/out")" "warning: $want"
"$A" report "$tmp/odd.db" -p "$POL" --out "$tmp/r.html" 2> /dev/null; rc=$?
expect "report: exit" "$rc" 0
grep -q "<b>warning:</b> &#39;$tmp/odd.db&#39;: 7 rows left out as unusable" "$tmp/r.html" &&
    ok "report: the page says so at the top" || fail "report: no warning on the page"
"$A" report "$tmp/odd.db" -p "$POL" --out "$tmp/r2.html" --strict 2> /dev/null; rc=$?
expect "report --strict: exit" "$rc" 2
[ -e "$tmp/r2.html" ] && fail "report --strict wrote a page" || ok "report --strict: no page"

# -- the same case with two captures: the pairing reads (and counts) the
#    rows, and leaves the unusable ones out as the scan does.
cp "$tmp/odd.db" "$tmp/odd2.db"
sqlite3 "$tmp/odd2.db" "INSERT INTO captures (id, node, started_ns, tool_version)
    SELECT 99, 'node-z', started_ns, tool_version FROM captures LIMIT 1;
    UPDATE flows SET capture_id = 99 WHERE id >= 1000;"
want2="'$tmp/odd2.db': 7 rows left out as unusable: flows 7 (proto 1, address 1, port 2, time 1, counter 1, state 1)"
"$A" check "$tmp/odd2.db" -p "$POL" --format json > "$tmp/out" 2> /dev/null
expect "two captures: first line" "$(head -1 "$tmp/out")" "{\"warning\":\"$want2\",\"left_out\":7}"
grep -q '"state":"XYZ"' "$tmp/out" && fail "two captures: state XYZ reached the JSON" ||
    ok "two captures: no state XYZ in the JSON"

# -- an endpoint with NULL labels: a damaged identity stops the reading.
loose "$tmp/good.db" "$tmp/labels.db"
sqlite3 "$tmp/labels.db" "UPDATE endpoints SET labels = NULL WHERE id = (SELECT min(id) FROM endpoints)"
for cmd in show check select; do
    case $cmd in
    show) "$A" show "$tmp/labels.db" > /dev/null 2> "$tmp/err"; rc=$? ;;
    check) "$A" check "$tmp/labels.db" -p "$POL" > /dev/null 2> "$tmp/err"; rc=$? ;;
    select) "$A" select "$tmp/labels.db" 'all()' > /dev/null 2> "$tmp/err"; rc=$? ;;
    esac
    expect "NULL labels ($cmd): exit" "$rc" 2
    grep -q "endpoint [0-9]* (.*): labels are not JSON text" "$tmp/err" &&
        ok "NULL labels ($cmd): named" || fail "NULL labels ($cmd): $(cat "$tmp/err")"
done

# -- several cases: the file a row came from, and its own id.
"$A" check "$tmp/good.db" "$tmp/odd.db" -p "$POL" > "$tmp/out" 2> "$tmp/err"
expect "two cases: first line names the file" "$(head -1 "$tmp/out")" "warning: $want"
grep -q "'$tmp/odd.db': flow $1: a port" "$tmp/err" && ok "two cases: the row named by its file and id" ||
    fail "two cases: $(head -3 "$tmp/err")"
grep -q "+'" "$tmp/err" "$tmp/out" && fail "a message names 'x.db+'" || ok "no 'x.db+' in messages"
"$A" check "$tmp/good.db" "$tmp/times.db" -p "$POL" > /dev/null 2> "$tmp/err"; rc=$?
grep -q "NOT NULL constraint" "$tmp/err" && fail "two cases: the merge tripped on a NULL" ||
    ok "two cases: unusable rows are left out of the merged copy"
"$A" check "$tmp/good.db" "$tmp/labels.db" -p "$POL" > /dev/null 2> "$tmp/err"; rc=$?
expect "two cases, damaged endpoint: exit" "$rc" 2
grep -q "'$tmp/labels.db': endpoint" "$tmp/err" && ok "two cases: the damaged file named" ||
    fail "two cases: $(cat "$tmp/err")"
# -- flows.open (format 3) other than 0 or 1: left out, not read as "open".
loose "$tmp/good.db" "$tmp/open.db"
sqlite3 "$tmp/open.db" "PRAGMA ignore_check_constraints = ON;
    UPDATE flows SET open = 7 WHERE id = (SELECT min(id) FROM flows);
    UPDATE flows SET open = 'yes' WHERE id = (SELECT max(id) FROM flows)"
"$A" check "$tmp/open.db" -p "$POL" -o json > "$tmp/out" 2> /dev/null
expect "open 7 and 'yes': first line" "$(head -1 "$tmp/out")" \
    "{\"warning\":\"'$tmp/open.db': 2 rows left out as unusable: flows 2 (open 2)\",\"left_out\":2}"
expect "open: the other rows judged" "$(($(wc -l < "$tmp/out") - 1))" $((n - 2))
finish
