#!/bin/sh
# install.sh: `make install DESTDIR=... PREFIX=...` installs exactly the
# stripped programs, their man pages, and bash and zsh completion where the
# shells look; the installed analyzer's completion is the one its command
# table writes.
. "$TOP/tests/it/pkg_lib.inc"
[ -x "$bd/podflow-capture" ] || { echo "SKIP: podflow-capture not built (libpcap, libnl)"; exit 77; }
command -v readelf > /dev/null || { echo "SKIP: readelf (binutils) is not installed"; exit 77; }

d=$tmp/dest
if ! make -C "$TOP" --no-print-directory B="$B" install DESTDIR="$d" PREFIX=/opt/pf > "$tmp/log" 2>&1; then
    echo "FAIL: make install"; tail -20 "$tmp/log"; exit 1
fi
(cd "$d" && find . -type f -o -type l | sort) > "$tmp/got"
cat > "$tmp/want" <<'LIST'
./opt/pf/bin/podflow-analyze
./opt/pf/bin/podflow-capture
./opt/pf/share/bash-completion/completions/podflow-analyze
./opt/pf/share/bash-completion/completions/podflow-capture
./opt/pf/share/man/man1/podflow-analyze.1
./opt/pf/share/man/man1/podflow-capture.1
./opt/pf/share/zsh/site-functions/_podflow-analyze
./opt/pf/share/zsh/site-functions/_podflow-capture
LIST
if cmp -s "$tmp/got" "$tmp/want"; then ok "the file list"; else
    fail "the file list:"; diff "$tmp/want" "$tmp/got"; fi
for p in podflow-analyze podflow-capture; do
    f=$d/opt/pf/bin/$p
    [ "$(stat -c %a "$f")" = 755 ] && ok "$p 0755" || fail "$p mode $(stat -c %a "$f")"
    if readelf -S "$f" | grep -Eq '\.symtab|\.debug_'; then fail "$p is not stripped"; else ok "$p stripped"; fi
    "$f" --version | grep -q "^$p " && ok "$p runs" || fail "$p does not run"
    [ "$(stat -c %a "$d/opt/pf/share/man/man1/$p.1")" = 644 ] || fail "$p.1 mode"
done
a=$d/opt/pf/bin/podflow-analyze
"$a" completion bash | cmp -s - "$d/opt/pf/share/bash-completion/completions/podflow-analyze" &&
    ok "bash completion = completion bash" || fail "installed bash completion differs"
"$a" completion zsh | cmp -s - "$d/opt/pf/share/zsh/site-functions/_podflow-analyze" &&
    ok "zsh completion = completion zsh" || fail "installed zsh completion differs"
# The unstripped build is untouched (debuggers still have it).
readelf -S "$bd/podflow-analyze" | grep -q '\.symtab' &&
    ok "the build tree keeps its symbols" || fail "make install stripped the build tree"
finish
