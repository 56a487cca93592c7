#!/bin/sh
# replay.sh DIR TARGET...: run the seed corpus and every kept crash input
# of each fuzz target through DIR/fuzz_<target> (the replay build: no
# libFuzzer).  Ends with one "N passed, N failed" line (one per target).
dir=$1; shift
label=${LABEL:-fuzz-replay}
pass=0; fail=0
for t in "$@"; do
    set -- tests/fuzz/corpus/$t
    [ -d tests/fuzz/regress/$t ] && set -- "$@" tests/fuzz/regress/$t
    out=$("$dir/fuzz_$t" "$@" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        echo "fuzz_$t: $(printf '%s\n' "$out" | grep '^replay:' | tail -1 | sed 's/^replay: //')"
    else
        fail=$((fail + 1))
        echo "fuzz_$t: FAILED (exit $rc)"
        printf '%s\n' "$out" | tail -30 | sed 's/^/    /'
    fi
done
echo "$label: $pass passed, $fail failed"
[ $fail -eq 0 ]
