#!/bin/sh
# run-integration.sh: run every tests/it/*.sh with B (the build directory)
# in the environment.  A script exits 0 (pass), 77 (skip: it prints why) or
# anything else (fail).  Ends with one "N passed, N failed, N skipped" line.
B=${B:-build}; export B
TOP=$(pwd); export TOP
pass=0; fail=0; skip=0; failed=
for t in tests/it/*.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .sh)
    log="$B/it/$name.log"; mkdir -p "$B/it"
    sh "$t" > "$log" 2>&1; rc=$?
    case $rc in
    0)  pass=$((pass + 1)); echo "PASS $name" ;;
    77) skip=$((skip + 1)); echo "SKIP $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP:* *//')" ;;
    *)  fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (exit $rc; log $log)"
        tail -30 "$log" | sed 's/^/    /' ;;
    esac
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
