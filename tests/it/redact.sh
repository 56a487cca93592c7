#!/bin/sh
# redact.sh: podflow-analyze redact CASE.db on a captured case with an
# inventory's worth of endpoints.  The promises (docs/security.md): no
# external address is left anywhere in the file's bytes; pods, nodes and
# Services are untouched; flows group exactly as before (one address, one
# pseudonym); the pseudonyms are in the documentation ranges and of the same
# family; a second run on the same case picks other pseudonyms (the key is
# random and not kept); and a redaction that cannot run leaves the file as
# it was (in use by a writer, foreign file, unwritable directory).
. "$TOP/tests/it/fault_lib.inc"
need_prog "$C" "$A"
pcapgen -f 2000 -c 16 -g 1000 -o "$tmp/s.pcap"
db=$tmp/r.db
"$C" -q -w "$db" -r "$tmp/s.pcap" -f 'not host 100.64.99.99' || exit 1
# Five client pods, a node and a Service; three servers known as external.
sqlite3 "$db" "
  INSERT INTO endpoints (ip, kind, namespace, name)
      SELECT src_ip, 'pod', 'app', 'pod-' || src_ip FROM (SELECT DISTINCT src_ip FROM flows
      WHERE src_ip LIKE '10.%' ORDER BY src_ip LIMIT 5);
  INSERT INTO endpoints (ip, kind, name)
      SELECT dst_ip, 'external', 'server-' || dst_ip FROM (SELECT DISTINCT dst_ip FROM flows
      WHERE dst_ip NOT IN (SELECT ip FROM endpoints) ORDER BY dst_ip LIMIT 3);
  INSERT INTO endpoints (ip, kind, name) SELECT max(dst_ip), 'host', 'node-1' FROM flows
      WHERE dst_ip LIKE '10.%' AND dst_ip NOT IN (SELECT ip FROM endpoints);
  INSERT INTO endpoints (ip, kind, namespace, name) SELECT min(dst_ip), 'service', 'app', 'svc'
      FROM flows WHERE dst_ip LIKE '10.%' AND dst_ip NOT IN (SELECT ip FROM endpoints);"
internal="SELECT ip FROM endpoints WHERE kind IN ('pod', 'host', 'service')"
sqlite3 -batch "$db" "SELECT src_ip FROM flows WHERE src_ip NOT IN ($internal)
                      UNION SELECT dst_ip FROM flows WHERE dst_ip NOT IN ($internal)" > "$tmp/ext"
echo "$(wc -l < "$tmp/ext") external addresses, $(sqlite3 "$db" "SELECT count(*) FROM flows") flows"
# How flows group, with every address replaced by its rank of first use:
# equal before and after when the mapping is one-to-one.
shape() {
    sqlite3 -batch "$1" "
      WITH a AS (SELECT ip, row_number() OVER (ORDER BY first) AS r FROM
                   (SELECT ip, min(k) AS first FROM
                     (SELECT 2 * id AS k, src_ip AS ip FROM flows
                      UNION ALL SELECT 2 * id + 1, dst_ip FROM flows)
                    GROUP BY ip))
      SELECT group_concat(s.r || '>' || d.r, ' ') FROM flows f
        JOIN a s ON s.ip = f.src_ip JOIN a d ON d.ip = f.dst_ip"
}
shape0=$(shape "$db")
internal0=$(sqlite3 -batch "$db" "SELECT count(*) FROM flows WHERE src_ip IN ($internal) OR dst_ip IN ($internal)")
v6_0=$(sqlite3 -batch "$db" "SELECT count(*) FROM flows WHERE dst_ip LIKE '%:%'")
hits0=$(grep -a -c -w -F -f "$tmp/ext" "$db")
[ "$hits0" -gt 0 ] && ok "before: external addresses are in the file ($hits0 lines)" ||
    fail "before: the byte check would find nothing"
cp "$db" "$tmp/copy.db"

"$A" redact "$db" > "$tmp/out" 2> "$tmp/err"; rc=$?
expect "redact: exit" "$rc" 0
cat "$tmp/out" "$tmp/err"
expect "no external address left in the file's bytes" "$(grep -a -c -w -F -f "$tmp/ext" "$db")" 0
ls "$tmp" | grep -q 'podflow-tmp-' && fail "a temp file was left" || ok "no temp file left"
expect "integrity_check" "$(sqlite3 -batch "$db" "PRAGMA integrity_check")" ok
expect "mode 0600" "$(stat -c %a "$db")" 600
expect "flows touching pods, nodes, Services unchanged" \
    "$(sqlite3 -batch "$db" "SELECT count(*) FROM flows WHERE src_ip IN ($internal) OR dst_ip IN ($internal)")" \
    "$internal0"
expect "flows group as before" "$(shape "$db" | md5sum)" "$(echo "$shape0" | md5sum)"
expect "families kept" "$(sqlite3 -batch "$db" "SELECT count(*) FROM flows WHERE dst_ip LIKE '%:%'")" "$v6_0"
expect "pseudonyms in documentation or reserved ranges" "$(sqlite3 -batch "$db" "
    SELECT count(*) FROM (SELECT src_ip AS ip FROM flows UNION SELECT dst_ip FROM flows)
    WHERE ip NOT IN ($internal) AND NOT (ip LIKE '192.0.2.%' OR ip LIKE '198.51.100.%'
      OR ip LIKE '203.0.113.%' OR ip LIKE '2001:db8:%'
      OR (ip NOT LIKE '%:%' AND CAST(ip AS INTEGER) BETWEEN 240 AND 255))")" 0
expect "external endpoints follow their flows" "$(sqlite3 -batch "$db" "
    SELECT count(*) FROM endpoints e WHERE kind = 'external'
      AND NOT EXISTS (SELECT 1 FROM flows WHERE dst_ip = e.ip)")" 0
expect "external endpoints' names cleared (they named the servers by address)" \
    "$(sqlite3 -batch "$db" "SELECT count(*) FROM endpoints WHERE kind = 'external' AND name IS NOT NULL")" 0
expect "command line and filter cleared" "$(sqlite3 -batch "$db" "SELECT command || '|' || filter FROM captures")" \
    "[redacted]|[redacted]"
grep -a -q -w '100.64.99.99' "$db" && fail "the filter's address survived" || ok "the filter's address is gone"
"$A" check "$db" -p "$TOP/samples/fme/policies/current" > /dev/null 2> "$tmp/err"; rc=$?
case $rc in 0|1) ok "check on the redacted case: exit $rc" ;; *) fail "check: exit $rc: $(cat "$tmp/err")" ;; esac

# Another run, another key.
"$A" redact "$tmp/copy.db" > /dev/null || fail "second redaction"
a=$(sqlite3 -batch "$db" "SELECT group_concat(dst_ip) FROM (SELECT dst_ip FROM flows ORDER BY id)")
b=$(sqlite3 -batch "$tmp/copy.db" "SELECT group_concat(dst_ip) FROM (SELECT dst_ip FROM flows ORDER BY id)")
[ "$a" != "$b" ] && ok "a second redaction picks other pseudonyms" || fail "same pseudonyms twice"
expect "but groups the same" "$(shape "$tmp/copy.db" | md5sum)" "$(echo "$shape0" | md5sum)"

# Refusals leave the file as it was.
"$C" -q -w "$tmp/busy.db" -r "$tmp/s.pcap" || exit 1
cp "$tmp/busy.db" "$tmp/busy.before"
busy0=$(sqlite3 -batch "$tmp/busy.db" "SELECT group_concat(src_ip || dst_ip) FROM flows" | md5sum)
mkfifo "$tmp/sqlin"
sqlite3 "$tmp/busy.db" < "$tmp/sqlin" > "$tmp/sqlout" 2>&1 &
sq=$!
exec 7> "$tmp/sqlin"
printf "PRAGMA journal_mode = WAL;\nSELECT 'open', count(*) FROM flows;\n" >&7
i=0
while ! grep -q open "$tmp/sqlout" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$A" redact "$tmp/busy.db" > /dev/null 2> "$tmp/err"; rc=$?
expect "in use: exit" "$rc" 2
one_line "in use" "$tmp/err" "in use"
printf ".quit\n" >&7
exec 7>&-
wait $sq
sqlite3 "$tmp/busy.db" "PRAGMA journal_mode = DELETE" > /dev/null
expect "in use: nothing redacted" \
    "$(sqlite3 -batch "$tmp/busy.db" "SELECT group_concat(src_ip || dst_ip) FROM flows" | md5sum)" "$busy0"

printf 'not a case\n' > "$tmp/foreign.db"
cp "$tmp/foreign.db" "$tmp/foreign.before"
"$A" redact "$tmp/foreign.db" > /dev/null 2> "$tmp/err"; rc=$?
expect "foreign: exit" "$rc" 2
one_line "foreign" "$tmp/err" "not a podflow case file"
cmp -s "$tmp/foreign.db" "$tmp/foreign.before" && ok "foreign: untouched" || fail "foreign: changed"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    mkdir "$tmp/ro"
    cp "$tmp/busy.before" "$tmp/ro/c.db"; cp "$tmp/ro/c.db" "$tmp/ro.before"
    chown 65534 "$tmp/ro/c.db"; chmod 0755 "$tmp/ro" "$tmp"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$A" redact "$tmp/ro/c.db" > /dev/null \
        2> "$tmp/err"; rc=$?
    expect "unwritable directory: exit" "$rc" 2
    one_line "unwritable directory" "$tmp/err" "cannot create a temporary file in"
    cmp -s "$tmp/ro/c.db" "$tmp/ro.before" && ok "unwritable directory: untouched" ||
        fail "unwritable directory: changed"
    expect "unwritable directory: nothing left beside it" "$(ls "$tmp/ro")" c.db
fi
finish
