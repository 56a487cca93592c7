#!/bin/sh
# run.sh FZDIR TARGET...: run each libFuzzer target FZDIR/fuzz_<target> for
# FUZZ_SECONDS on a fresh copy of tests/fuzz/corpus/<target>/ (with
# tests/fuzz/<target>.dict and the flags in tests/fuzz/<target>.options
# when present).  Prints, per target, libFuzzer's executions and final
# coverage (cov: edges, ft: features); a crash, leak, timeout or OOM fails
# the run and leaves the input under FZDIR/crash/<target>/ (keep it in
# tests/fuzz/regress/<target>/<bugclass>-<n> once fixed).
fz=$1; shift
secs=${FUZZ_SECONDS:-60}
pass=0; fail=0; failed=
for t in "$@"; do
    work=$fz/work/$t; crash=$fz/crash/$t; log=$fz/log/$t.log
    rm -rf "$work"; mkdir -p "$work" "$crash" "$fz/log"
    cp tests/fuzz/corpus/$t/* "$work"/ 2>/dev/null
    set -- -max_total_time="$secs" -print_final_stats=1 -timeout=25 -rss_limit_mb=2560 \
        -artifact_prefix="$crash/"
    [ -f tests/fuzz/$t.dict ] && set -- "$@" -dict=tests/fuzz/$t.dict
    [ -f tests/fuzz/$t.options ] && set -- "$@" $(grep -v '^#' tests/fuzz/$t.options)
    "$fz/fuzz_$t" "$@" "$work" > "$log" 2>&1; rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
    cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s\n' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s\n' "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        printf 'fuzz_%-10s %ss: %s execs, cov: %s ft: %s, corpus %s\n' "$t" "$secs" \
            "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
    else
        fail=$((fail + 1)); failed="$failed $t"
        printf 'fuzz_%-10s FAILED (exit %s) after %s execs; log %s\n' "$t" $rc "${execs:-?}" "$log"
        grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' "$log" | head -8 | sed 's/^/    /'
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
