#!/bin/sh
# deploy_manifest.sh: every flag the DaemonSet passes to podflow-capture
# is one `podflow-capture --help` lists (the manifest's structure is
# checked by tests/test_deploy.c, which prints the args with --args).
set -u
cd "$TOP" || exit 1
C="$B/podflow-capture"; T="$B/tests/test_deploy"
case "$C" in /*) ;; *) C="$TOP/$C" T="$TOP/$T" ;; esac
[ -x "$C" ] || { echo "SKIP: $C not built (libpcap, libnl)"; exit 77; }
[ -x "$T" ] || { echo "FAIL: $T not built (make unit)"; exit 1; }
help=$("$C" --help) || { echo "FAIL: podflow-capture --help failed"; exit 1; }
args=$("$T" --args) || { echo "FAIL: the manifest does not pass tests/test_deploy.c"; exit 1; }
fails=0 n=0
for a in $args; do
    case "$a" in
    -*)
        n=$((n + 1))
        # Options are listed as "  -x ..." or "[-x" or "(-x" in the usage.
        if printf '%s\n' "$help" | grep -Eq -- "(^|[[:space:][(|])$a([[:space:]=]|\$)"; then
            echo "ok: podflow-capture knows $a"
        else
            echo "FAIL: podflow-capture has no option $a"; fails=$((fails + 1))
        fi ;;
    esac
done
[ "$n" -gt 0 ] || { echo "FAIL: no flags found in the manifest"; exit 1; }
[ "$fails" -eq 0 ] || exit 1
echo "all checks passed"
