#!/bin/sh
# demo.sh: `make demo`, the README's first command, on the bundled FME Flow
# case (samples/fme/README.md tells the story).  make has already installed
# the dependencies and built both programs; this script
#   1. turns samples/fme/capture.pcap plus the cluster inventory into a case
#      file, build/demo.db, as a customer's capture would make it;
#   2. checks every recorded flow against the customer's current policies:
#      engine -> core on 42001/42002 denied at the end of tier application,
#      which is why those connections went unanswered (S0);
#   3. compares the current policies with the proposed ones: the pool flows
#      would be fixed, nothing would break;
#   4. writes the HTML report, build/demo-report.html;
#   5. writes the smallest fix of the current policies, build/demo-fix/,
#      proved by replaying every recorded flow against it.
# A step that fails says so and stops with exit status 1.
B=${B:-build}
C=$B/podflow-capture
A=$B/podflow-analyze
S=samples/fme
DB=$B/demo.db
REPORT=$B/demo-report.html
FIX=$B/demo-fix
CUR=$S/policies/current
NEW=$S/policies/proposed

step() { printf '\n==> %s\n' "$*"; }
say() { printf '    %s\n' "$*"; }
die() {
    printf 'make demo: %s\n' "$*" >&2
    exit 1
}
for f in "$S/capture.pcap" "$S/inventory.yaml" "$CUR" "$NEW"; do
    [ -e "$f" ] || die "'$f' is missing: is this a complete checkout?"
done
for p in "$C" "$A"; do
    [ -x "$p" ] || die "'$p' not built (run make)"
done
rm -f "$DB" "$DB-journal" "$DB-wal" "$DB-shm" "$REPORT"
rm -rf "$FIX"

# --- 1. the case file ----------------------------------------------------------
step "1. Record the capture and the inventory into $DB"
say "$C -w $DB -r $S/capture.pcap --inventory $S/inventory.yaml -q"
"$C" -w "$DB" -r "$S/capture.pcap" --inventory "$S/inventory.yaml" -q ||
    die "podflow-capture failed"
say "$(sqlite3 "$DB" "SELECT count(*) || ' flows, ' || (SELECT count(*) FROM endpoints) || ' endpoints' FROM flows" 2>/dev/null)"

# --- 2. check against the current policies -------------------------------------
step "2. Check every flow against the customer's current policies ($CUR)"
say "$A check $DB -p $CUR"
"$A" check "$DB" -p "$CUR"
rc=$?
case $rc in
1) say "exit status 1: some flows are denied (0 would mean none)" ;;
0) die "check denied nothing: the current policies should deny engine -> core:42001/42002" ;;
*) die "check failed (exit status $rc)" ;;
esac

# --- 3. diff current -> proposed ------------------------------------------------
step "3. What the proposed policies ($NEW) would change"
say "$A diff $DB --old $CUR --new $NEW"
"$A" diff "$DB" --old "$CUR" --new "$NEW"
rc=$?
[ $rc -le 1 ] || die "diff failed (exit status $rc)"

# --- 4. the report ----------------------------------------------------------------
step "4. The HTML report"
say "$A report $DB -p $CUR --out $REPORT"
"$A" report "$DB" -p "$CUR" --out "$REPORT"
rc=$?
[ $rc -le 1 ] && [ -s "$REPORT" ] || die "report failed (exit status $rc)"

# --- 5. the fix --------------------------------------------------------------------
step "5. The smallest fix of the current policies, proved by replay"
say "$A suggest $DB -p $CUR --fix --out $FIX"
"$A" suggest "$DB" -p "$CUR" --fix --out "$FIX" || die "suggest --fix failed (exit status $?)"

# --- where to look ----------------------------------------------------------------
step "Where to look"
say "$REPORT    open in a browser: service graph, flows, policy board"
say "$FIX/       the current policies with the fix (diff -r $CUR $FIX)"
say "$DB             the case; try: sqlite3 $DB 'SELECT * FROM flows_named'"
say "$S/README.md    what the output above means, step by step"
exit 0
