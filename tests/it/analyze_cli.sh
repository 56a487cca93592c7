#!/bin/sh
# analyze_cli.sh: the command line every podflow-analyze command shares
# (analyze/cmd/cmd.c): -o for the output format with -f/--format as
# synonyms, --opt=value and --opt value, options taking several operands,
# --out where a command writes a file, report -o FILE deprecated with a
# warning, one-line usage errors with "did you mean", --help on stdout,
# and the top-level help listing every command once.
. "$TOP/tests/it/analyze_lib.inc"
make_case "$tmp/case.db"
CUR=$POL/fme-current
NEW=$POL/fme-proposed

# -o json, -f json, --format=json, --output json: one output.
"$A" check "$tmp/case.db" -p "$CUR" --format json > "$tmp/ref.jsonl" 2>/dev/null
expect "--format json exit" $? 1
[ -s "$tmp/ref.jsonl" ] || fail "--format json wrote nothing"
for form in "-o json" "-ojson" "-f json" "--output=json" "--output json" "--format=json"; do
    # shellcheck disable=SC2086 # the form is two words or one on purpose
    "$A" check "$tmp/case.db" -p "$CUR" $form > "$tmp/o.jsonl" 2>"$tmp/err"
    expect "'$form' exit" $? 1
    cmp -s "$tmp/o.jsonl" "$tmp/ref.jsonl" && ok "'$form' = --format json" ||
        fail "'$form' differs from --format json"
    [ -s "$tmp/err" ] && fail "'$form' wrote to stderr: $(cat "$tmp/err")"
done
# Options before the case, after it, and --policies=PATH.
"$A" check -o json --policies="$CUR" "$tmp/case.db" > "$tmp/o.jsonl" 2>/dev/null
cmp -s "$tmp/o.jsonl" "$tmp/ref.jsonl" && ok "options first, --policies=PATH" ||
    fail "options first gave another output"
# -p takes several operands; the case may follow them.
mkdir -p "$tmp/split"
for f in "$CUR"/*; do cp "$f" "$tmp/split/"; done
set -- "$tmp"/split/*
[ $# -ge 2 ] || fail "the fixture has fewer than two policy files"
"$A" check -p "$@" "$tmp/case.db" -o json > "$tmp/o.jsonl" 2>/dev/null
cmp -s "$tmp/o.jsonl" "$tmp/ref.jsonl" && ok "-p a.yaml b.yaml ... CASE.db" ||
    fail "-p with several files gave another output"
# diff: --old A B --new C, and -o csv = --format csv.
"$A" diff "$tmp/case.db" --old "$CUR" --new "$NEW" --format csv > "$tmp/d1.csv" 2>/dev/null
"$A" diff --old "$CUR" --new "$NEW" "$tmp/case.db" -o csv > "$tmp/d2.csv" 2>/dev/null
cmp -s "$tmp/d1.csv" "$tmp/d2.csv" && ok "diff -o csv, options first" || fail "diff -o csv differs"

# One-line usage errors, with a suggestion where one is close.
usage_err() { # NAME WANT-FIRST-LINE WANT-SECOND-LINE ARGS...
    name=$1 want1=$2 want2=$3; shift 3
    "$A" "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
    expect "$name: exit" $rc 2
    expect "$name: line count" "$(wc -l < "$tmp/err" | tr -d ' ')" 2
    expect "$name: message" "$(sed -n 1p "$tmp/err")" "$want1"
    expect "$name: see" "$(sed -n 2p "$tmp/err")" "$want2"
    [ -s "$tmp/out" ] && fail "$name: wrote to stdout"
}
usage_err "misspelt option" \
    "podflow-analyze: check: unknown option '--explian'; did you mean '--explain'?" \
    "see 'podflow-analyze check --help'" check "$tmp/case.db" -p "$CUR" --explian
usage_err "misspelt command" \
    "podflow-analyze: unknown command 'chekc'; did you mean 'check'?" \
    "see 'podflow-analyze --help'" chekc "$tmp/case.db"
usage_err "misspelt value" \
    "podflow-analyze: check: -o takes table, wide, json, csv or dot, not 'jsno'; did you mean 'json'?" \
    "see 'podflow-analyze check --help'" check "$tmp/case.db" -p "$CUR" -o jsno
usage_err "unknown option, no guess" \
    "podflow-analyze: diff: unknown option '--frobnicate'" \
    "see 'podflow-analyze diff --help'" diff "$tmp/case.db" --frobnicate
usage_err "missing value" \
    "podflow-analyze: check: option '--namespace' needs a value (NS)" \
    "see 'podflow-analyze check --help'" check "$tmp/case.db" -p "$CUR" --namespace
usage_err "no case" \
    "podflow-analyze: show: show takes one case file" \
    "see 'podflow-analyze show --help'" show
usage_err "no command" "podflow-analyze: no command given" "see 'podflow-analyze --help'"

# --help: the command's usage on stdout, exit 0, for every command; help
# COMMAND the same.  The top-level help lists each command once.
"$A" --help > "$tmp/top" 2>&1; expect "--help exit" $? 0
for c in check diff suggest report select show inventory merge redact completion; do
    "$A" $c --help > "$tmp/h" 2> "$tmp/err"; rc=$?
    expect "$c --help exit" $rc 0
    grep -q "^usage: podflow-analyze $c " "$tmp/h" && ok "$c --help on stdout" || fail "$c --help text"
    grep -q -- "-h, --help" "$tmp/h" || fail "$c --help lacks -h"
    [ -s "$tmp/err" ] && fail "$c --help wrote to stderr"
    "$A" help $c > "$tmp/h2"; cmp -s "$tmp/h" "$tmp/h2" || fail "help $c differs from $c --help"
    expect "$c listed once" "$(grep -c "^  $c " "$tmp/top")" 1
    expect "$c once in the man page's COMMANDS" \
        "$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$TOP/docs/podflow-analyze.1" | grep -A1 -x '\.TP' | grep -cx "\.B $c")" 1
done
expect "the man page's COMMANDS: as many as the help's" \
    "$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$TOP/docs/podflow-analyze.1" | grep -A1 -x '\.TP' | grep -c '^\.B [a-z]*$')" 10
expect "commands listed" "$(sed -n '/^  [a-z]/p' "$tmp/top" | grep -vc '^  podflow')" 10

# report --out; -o FILE still works, with a deprecation warning; 0600.
"$A" report "$tmp/case.db" -p "$CUR" --out "$tmp/r1.html" 2> "$tmp/err"
expect "report --out exit" $? 0
[ -s "$tmp/r1.html" ] && ok "report --out wrote" || fail "report --out wrote nothing"
[ -s "$tmp/err" ] && fail "report --out warned: $(cat "$tmp/err")"
# The page holds what the case holds: created 0600 as the case is, even
# under a lax umask, and a page replaced keeps that.
expect "report is 0600" "$(stat -c %a "$tmp/r1.html")" 600
(umask 000; "$A" report "$tmp/case.db" -p "$CUR" --out "$tmp/r1.html")
expect "report replaced under umask 000 is 0600" "$(stat -c %a "$tmp/r1.html")" 600
"$A" report "$tmp/case.db" -p "$CUR" -o "$tmp/r2.html" 2> "$tmp/err"
expect "report -o FILE exit" $? 0
[ -s "$tmp/r2.html" ] && ok "report -o FILE wrote" || fail "report -o FILE wrote nothing"
grep -q "warning: report: '-o FILE' is deprecated" "$tmp/err" && ok "report -o FILE warns" ||
    fail "report -o FILE: no warning: $(cat "$tmp/err")"
"$A" report "$tmp/case.db" -p "$CUR" -o html --out "$tmp/r3.html" 2> "$tmp/err"
expect "report -o html --out exit" $? 0
[ -s "$tmp/err" ] && fail "report -o html warned"

# merge --out: every operand an input; redact --out: a new file, the
# original untouched, an existing target refused.
cp "$tmp/case.db" "$tmp/a.db"
"$A" merge -q --out "$tmp/m1.db" "$tmp/a.db"; expect "merge --out exit" $? 0
expect "merge --out is 0600" "$(stat -c %a "$tmp/m1.db")" 600
"$A" merge -q "$tmp/m2.db" "$tmp/a.db"; expect "merge OUT IN exit" $? 0
expect "merge --out = merge OUT IN" "$(sqlite3 "$tmp/m1.db" 'SELECT count(*) FROM flows')" \
    "$(sqlite3 "$tmp/m2.db" 'SELECT count(*) FROM flows')"
sum_before=$(cksum < "$tmp/a.db")
"$A" redact "$tmp/a.db" --out "$tmp/red.db" > /dev/null; expect "redact --out exit" $? 0
expect "redact --out leaves the case" "$(cksum < "$tmp/a.db")" "$sum_before"
[ -s "$tmp/red.db" ] && ok "redact --out wrote" || fail "redact --out wrote nothing"
expect "redact --out result is 0600" "$(stat -c %a "$tmp/red.db")" 600
expect "redacted" "$(sqlite3 "$tmp/red.db" "SELECT count(*) FROM meta WHERE key = 'redacted'")" 1
"$A" redact "$tmp/a.db" --out "$tmp/red.db" > /dev/null 2>&1; expect "redact --out existing" $? 2
finish
