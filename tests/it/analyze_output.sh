#!/bin/sh
# analyze_output.sh: check's output as kubectl and hubble users expect it:
# -o json; names whole through a pipe and with -o wide (they can be pasted
# into kubectl), cut to a terminal's width otherwise (TIOCGWINSZ, then
# COLUMNS); -o wide's process columns; group views counting ok and failed
# flows; --since/--until as durations before the case's end.
. "$TOP/tests/it/analyze_lib.inc"
make_case "$tmp/case.db"
CUR=$POL/fme-current
# A pod whose name is longer than any column a terminal would give it.
long=frontend-6d5f7c8b9f-with-a-rather-long-deployment-name-x2x4k
make_case "$tmp/long.db" "UPDATE endpoints SET name = '$long' WHERE name = 'engine-standard-group-7d9f-abcde'"

# -o json: JSON Lines, one object per flow.
"$A" check "$tmp/case.db" -p "$CUR" -o json > "$tmp/o.jsonl"
expect "-o json exit" $? 1
expect "-o json objects" "$(jq_sql "$tmp/o.jsonl" "SELECT count(*) FROM t WHERE json_type(v) = 'object'")" 7

# Through a pipe: the whole name, never a '~'; -o wide the same.
"$A" check "$tmp/long.db" -p "$CUR" | cat > "$tmp/pipe.txt"
grep -q "fme/$long " "$tmp/pipe.txt" && ok "pipe: whole name" || fail "pipe: name cut: $(grep DENY "$tmp/pipe.txt")"
grep -q '~' "$tmp/pipe.txt" && fail "pipe: a '~' in the table" || ok "pipe: nothing cut"
# Whole names, and the columns still line up: PORT starts at one column.
expect "pipe: columns aligned" "$(awk 'NR > 1 && /^(DENY|allow)/ { print index($0, " TCP/") }' "$tmp/pipe.txt" | sort -u | wc -l | tr -d ' ')" 1
grep -q PROCESS "$tmp/pipe.txt" && fail "pipe: process columns without -o wide" || ok "pipe: no process columns"
# -o wide: the table through a pipe, with two process columns after PORT,
# "-" for each end where the case has no socket.
"$A" check "$tmp/long.db" -p "$CUR" -o wide > "$tmp/wide.txt"
sed -e 's/ *SRC-PROCESS DST-PROCESS$//' -e 's/-           -           //' "$tmp/wide.txt" > "$tmp/wide-less.txt"
cmp -s "$tmp/wide-less.txt" "$tmp/pipe.txt" && ok "-o wide = the table through a pipe, and two columns" ||
    fail "-o wide differs: $(diff "$tmp/pipe.txt" "$tmp/wide-less.txt" | head -5)"
# The processes where the sockets table has them: a connected socket at
# the source, a listener at the destination held by two processes, a
# command name with a line end in it (prctl lets a process pick any).
make_case "$tmp/proc.db" "INSERT INTO sockets (capture_id, proto, local_ip, local_port, remote_ip,
    remote_port, inode, pid, processes, comm) VALUES
    (1, 6, '198.18.1.21', 40001, '198.18.1.10', 7070, 11, 4242, 1, 'curl'),
    (1, 6, '198.18.1.10', 7070, NULL, NULL, 12, NULL, 2, 'nginx'),
    (1, 6, '198.18.1.21', 40005, '198.18.1.40', 5432, 13, 77, 1, 'a' || char(10) || 'b')"
"$A" check "$tmp/proc.db" -p "$CUR" -o wide > "$tmp/pwide.txt"
head -1 "$tmp/pwide.txt" | grep -q ' PORT  *SRC-PROCESS DST-PROCESS$' && ok "-o wide: process headers" ||
    fail "-o wide: header $(head -1 "$tmp/pwide.txt")"
expect "-o wide: both ends named" "$(grep -c ' TCP/7070  *curl\[4242\]  *nginx\[x2\] ' "$tmp/pwide.txt")" 1
expect "-o wide: one end named" "$(grep -c ' TCP/7070  *-  *nginx\[x2\] ' "$tmp/pwide.txt")" 1
expect "-o wide: a line end in a command name" "$(grep -c ' TCP/5432  *a?b\[77\]  *- ' "$tmp/pwide.txt")" 1
expect "-o wide: one line per flow" "$(grep -c '^\(DENY\|allow\)' "$tmp/pwide.txt")" 7
# Every record's process column starts where its header does.
expect "-o wide: process column aligned" "$(awk 'NR == 1 { p = index($0, "SRC-PROCESS") }
    NR > 1 && /^(DENY|allow)/ { print (substr($0, p - 1, 1) == " " && substr($0, p, 1) != " ") }' \
    "$tmp/pwide.txt" | sort -u | tr -d '\n')" 1
"$A" check "$tmp/long.db" -p "$CUR" -o wide -g workload > "$tmp/wwl.txt"
grep -q "fme/engine-standard-group " "$tmp/wwl.txt" && ok "-o wide -g workload" || fail "-o wide -g workload"
grep -q PROCESS "$tmp/wwl.txt" && fail "-o wide -g workload: process columns of a group" ||
    ok "-o wide -g workload: no process columns"

# On a terminal (script(1) makes one): cut to its width, from TIOCGWINSZ,
# else from COLUMNS; -o wide still whole.
if command -v script > /dev/null 2>&1 && script -qec true /dev/null < /dev/null > /dev/null 2>&1; then
    script -qec "stty cols 90; '$A' check '$tmp/long.db' -p '$CUR'" /dev/null < /dev/null |
        tr -d '\r' > "$tmp/tty90.txt"
    grep -q '^VERD' "$tmp/tty90.txt" || fail "tty: no table: $(head -3 "$tmp/tty90.txt")"
    expect "tty 90: lines past 90 columns" "$(awk 'length > 90' "$tmp/tty90.txt" | wc -l | tr -d ' ')" 0
    grep -q 'fme/frontend-[^ ]*~[^ ]*-x2x4k ' "$tmp/tty90.txt" && ok "tty 90: long name cut, both ends kept" ||
        fail "tty 90: not cut: $(grep DENY "$tmp/tty90.txt")"
    script -qec "stty cols 200; '$A' check '$tmp/long.db' -p '$CUR'" /dev/null < /dev/null |
        tr -d '\r' > "$tmp/tty200.txt"
    grep -q "fme/$long " "$tmp/tty200.txt" && ok "tty 200: room for the whole name" || fail "tty 200: cut"
    expect "tty 200: within 200 columns" "$(awk 'length > 200' "$tmp/tty200.txt" | wc -l | tr -d ' ')" 0
    # A terminal that does not say its size: COLUMNS.
    COLUMNS=70 script -qec "'$A' check '$tmp/long.db' -p '$CUR'" /dev/null < /dev/null |
        tr -d '\r' > "$tmp/cols70.txt"
    grep -q '^VERD' "$tmp/cols70.txt" || fail "COLUMNS: no table"
    expect "COLUMNS=70: records within 70 columns" \
        "$(awk '/^(VERD|DENY|allow)/ && length > 70' "$tmp/cols70.txt" | wc -l | tr -d ' ')" 0
    script -qec "stty cols 60; '$A' check '$tmp/long.db' -p '$CUR' -o wide" /dev/null < /dev/null |
        tr -d '\r' > "$tmp/ttywide.txt"
    grep -q "fme/$long " "$tmp/ttywide.txt" && ok "tty -o wide: whole names" || fail "tty -o wide: cut"
else
    echo "note: script(1) cannot make a terminal here: terminal widths not checked"
fi

# Group views count ok and failed flows.
make_case "$tmp/mixed.db" \
    "UPDATE flows SET state = 'S0', packets_rev = 0 WHERE id = (SELECT min(id) FROM flows WHERE dst_port = 7070)"
"$A" check "$tmp/mixed.db" -p "$CUR" -g workload > "$tmp/g.txt"
head -1 "$tmp/g.txt" | grep -q '^VERD  OK     FAILED SOURCE' && ok "group header: OK FAILED" ||
    fail "group header: $(head -1 "$tmp/g.txt")"
grep -q '^allow 1      1      fme/engine-standard-group  *fme/core  *TCP/7070  *2 ' "$tmp/g.txt" &&
    ok "group: 1 ok and 1 failed of 2" || fail "group counts: $(grep 7070 "$tmp/g.txt")"
"$A" check "$tmp/mixed.db" -p "$CUR" -g workload -o csv > "$tmp/g.csv"
# Columns by name: format 3 added translation and why after the counts.
okcol=$(head -1 "$tmp/g.csv" | tr , '\n' | grep -n -x flows_ok | cut -d: -f1)
expect "csv: flows_ok, flows_failed side by side" "$(head -1 "$tmp/g.csv" | cut -d, -f"$okcol,$((okcol + 1))")" "flows_ok,flows_failed"
expect "csv: group counts" "$(grep ',7070,TCP,' "$tmp/g.csv" | cut -d, -f"$okcol,$((okcol + 1))" | tr , /)" "1/1"
"$A" check "$tmp/mixed.db" -p "$CUR" -g tuple -o json > "$tmp/g.jsonl"
expect "json: group counts" "$(jq_sql "$tmp/g.jsonl" "SELECT sum(v->>'flows_ok') || '/' || sum(v->>'flows_failed') FROM t")" "4/3"

# --since/--until: RFC 3339, Unix seconds, or durations before the case's
# end (the capture ended at 10:05:00; flows at 10:00:01 .. 10:00:41).
count() { "$A" check "$tmp/case.db" -p "$CUR" -o json "$@" 2>/dev/null | wc -l | tr -d ' '; }
expect "--since 5m (10:00:00)" "$(count --since 5m)" 7
expect "--since 4m (10:01:00)" "$(count --since 4m)" 0
expect "--since 4m45s (10:00:15)" "$(count --since 4m45s)" "$(count --since 2024-05-01T10:00:15Z)"
expect "--since 4m45s" "$(count --since 4m45s)" 3
expect "--since 285s = 4m45s" "$(count --since 285s)" 3
expect "--since 4.75m = 4m45s" "$(count --since 4.75m)" 3
expect "--until 4m50s (10:00:10)" "$(count --until 4m50s)" 3
expect "--until 4m50s = 10:00:10" "$(count --until 4m50s)" "$(count --until 2024-05-01T10:00:10Z)"
expect "--since 1h --until 4m55s (10:00:05)" "$(count --since 1h --until 4m55s)" 2
expect "--since unix seconds" "$(count --since 1714557615)" 3
"$A" check "$tmp/case.db" -p "$CUR" --since 5x > /dev/null 2> "$tmp/err"
expect "--since 5x exit" $? 2
grep -q "duration before the case's end" "$tmp/err" && ok "--since 5x message" || fail "--since 5x: $(cat "$tmp/err")"
"$A" check "$tmp/case.db" -p "$CUR" -o dot --since 4m > "$tmp/dot" 2>/dev/null
expect "-o dot --since 4m: no edges" "$(grep -c -- '->' "$tmp/dot")" 0
finish
