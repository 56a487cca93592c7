#!/bin/sh
# run-unit.sh BIN...: run cmocka test binaries, show their summary lines,
# and finish with one "N passed, N failed" line over all of them.
# Non-zero exit when any test failed or any binary crashed.
label=${LABEL:-unit}
pass=0; fail=0; bad=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED|  SKIPPED)  \]|^\[  ERROR   \]|^\[  FAILED  \] ' \
        | sed "s|^|$(basename "$t"): |"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ]; then
        bad=$((bad + 1))
        [ -z "$f" ] && { printf '%s\n' "$out" | tail -20; fail=$((fail + 1)); }
    fi
done
echo "$label: $pass passed, $fail failed"
[ $bad -eq 0 ] && [ $fail -eq 0 ]
