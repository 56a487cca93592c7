#!/bin/sh
# analyze_alone.sh: `make analyze` builds the analyzer on a machine where
# pkg-config knows neither libpcap nor libnl (a vendor laptop), and the
# program links neither.  Emulated with a PKG_CONFIG_LIBDIR holding only
# the analyzer's .pc files.
set -u
B=${B:-build}
TOP=${TOP:-$(pwd)}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
for p in sqlite3 yaml-0.1 libgvc libcgraph libcdt libpathplan libxdot; do
    d=$(pkg-config --variable=pcfiledir "$p" 2>/dev/null) || continue
    [ -f "$d/$p.pc" ] && cp "$d/$p.pc" "$tmp/"
done
if PKG_CONFIG_LIBDIR=$tmp pkg-config --exists libpcap libnl-3.0 2>/dev/null; then
    echo "FAIL: the emulated laptop still sees libpcap or libnl"; exit 1
fi
out="$B/it/laptop"
if ! PKG_CONFIG_LIBDIR=$tmp make -C "$TOP" --no-print-directory B="$out" analyze > "$tmp/log" 2>&1; then
    echo "FAIL: make analyze without libpcap/libnl"; tail -20 "$tmp/log"; exit 1
fi
if ldd "$TOP/$out/podflow-analyze" | grep -E 'libpcap|libnl' ; then
    echo "FAIL: podflow-analyze links libpcap or libnl"; exit 1
fi
"$TOP/$out/podflow-analyze" --version || { echo "FAIL: the laptop build does not run"; exit 1; }
[ ! -e "$TOP/$out/podflow-capture" ] || { echo "FAIL: make analyze built the capture too"; exit 1; }
echo "ok: make analyze builds and runs without libpcap and libnl"
