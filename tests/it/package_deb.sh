#!/bin/sh
# package_deb.sh: `make deb` builds build/podflow_<version>_<arch>.deb
# (both programs) and build/podflow-analyze_<version>_<arch>.deb (the
# analyzer alone) with dpkg-deb; their file lists and control fields are
# what Debian 12 expects; each installs with dpkg into a throwaway root
# (--root: an empty dpkg database, this system's libraries) and runs
# there; installing one replaces the other.
. "$TOP/tests/it/pkg_lib.inc"
for t in dpkg dpkg-deb dpkg-shlibdeps; do
    command -v $t > /dev/null || { echo "SKIP: $t is not installed (dpkg-dev)"; exit 77; }
done
[ -x "$bd/podflow-capture" ] || { echo "SKIP: podflow-capture not built (libpcap, libnl)"; exit 77; }

if ! make -C "$TOP" --no-print-directory B="$B" deb > "$tmp/log" 2>&1; then
    echo "FAIL: make deb"; tail -20 "$tmp/log"; exit 1
fi
version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
arch=$(dpkg --print-architecture)
full=$bd/podflow_${version}_$arch.deb
alone=$bd/podflow-analyze_${version}_$arch.deb
[ -s "$full" ] && ok "$(basename "$full")" || { echo "FAIL: no $full"; exit 1; }
[ -s "$alone" ] && ok "$(basename "$alone")" || { echo "FAIL: no $alone"; exit 1; }

# The file lists, exactly.
dpkg-deb -c "$full" | awk '{ print $1, $2, $6 }' | sort -k3 > "$tmp/full.list"
cat > "$tmp/full.want" <<'LIST'
drwxr-xr-x root/root ./
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/podflow-analyze
-rwxr-xr-x root/root ./usr/bin/podflow-capture
drwxr-xr-x root/root ./usr/share/
drwxr-xr-x root/root ./usr/share/bash-completion/
drwxr-xr-x root/root ./usr/share/bash-completion/completions/
-rw-r--r-- root/root ./usr/share/bash-completion/completions/podflow-analyze
-rw-r--r-- root/root ./usr/share/bash-completion/completions/podflow-capture
drwxr-xr-x root/root ./usr/share/doc/
drwxr-xr-x root/root ./usr/share/doc/podflow/
-rw-r--r-- root/root ./usr/share/doc/podflow/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/podflow/copyright
drwxr-xr-x root/root ./usr/share/man/
drwxr-xr-x root/root ./usr/share/man/man1/
-rw-r--r-- root/root ./usr/share/man/man1/podflow-analyze.1.gz
-rw-r--r-- root/root ./usr/share/man/man1/podflow-capture.1.gz
drwxr-xr-x root/root ./usr/share/zsh/
drwxr-xr-x root/root ./usr/share/zsh/site-functions/
-rw-r--r-- root/root ./usr/share/zsh/site-functions/_podflow-analyze
-rw-r--r-- root/root ./usr/share/zsh/site-functions/_podflow-capture
LIST
sort -k3 "$tmp/full.want" > "$tmp/full.want.s"
if cmp -s "$tmp/full.list" "$tmp/full.want.s"; then ok "podflow: the file list"; else
    fail "podflow: the file list"; diff "$tmp/full.want.s" "$tmp/full.list"; fi
dpkg-deb -c "$alone" | awk '{ print $6 }' | grep -v '/$' | sort > "$tmp/alone.list"
expect "podflow-analyze: the files" "$(tr '\n' ' ' < "$tmp/alone.list")" \
    "./usr/bin/podflow-analyze ./usr/share/bash-completion/completions/podflow-analyze ./usr/share/doc/podflow-analyze/changelog.gz ./usr/share/doc/podflow-analyze/copyright ./usr/share/man/man1/podflow-analyze.1.gz ./usr/share/zsh/site-functions/_podflow-analyze "

# Control fields.
field() { dpkg-deb -f "$1" "$2"; }
expect "podflow: Package" "$(field "$full" Package)" podflow
expect "podflow: Version" "$(field "$full" Version)" "$version"
expect "podflow: Architecture" "$(field "$full" Architecture)" "$arch"
for lib in libc6 libsqlite3-0 libyaml-0-2 libpcap0.8 libnl-3-200 libnl-route-3-200 libgvc6; do
    field "$full" Depends | grep -q "$lib" && ok "podflow depends on $lib" || fail "podflow: no $lib in Depends"
done
field "$alone" Depends | grep -Eq 'libpcap|libnl' && fail "podflow-analyze depends on libpcap or libnl" ||
    ok "podflow-analyze needs neither libpcap nor libnl"
expect "podflow conflicts with podflow-analyze" "$(field "$full" Conflicts)" podflow-analyze
expect "podflow-analyze replaces podflow" "$(field "$alone" Replaces)" podflow

# Every dependency is installed here, as on a Debian 12 that has them:
# dpkg-shlibdeps named them from this system's libraries.
for dep in $(field "$full" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g'); do
    dpkg-query -W -f '${Status}' "$dep" 2>/dev/null | grep -q 'ok installed' ||
        fail "dependency $dep is not installed here"
done

# Install into a throwaway root: an empty dpkg database.
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: > "$root/var/lib/dpkg/status"; : > "$root/var/lib/dpkg/available"
dpkgr() { dpkg --root="$root" --log=/dev/null --force-depends --force-not-root "$@"; }
dpkgr -i "$full" > "$tmp/inst.log" 2>&1 || { fail "dpkg -i podflow"; cat "$tmp/inst.log"; }
expect "podflow installed" "$(dpkgr -s podflow 2>/dev/null | sed -n 's/^Status: //p')" "install ok installed"
"$root/usr/bin/podflow-analyze" --version | grep -q "^podflow-analyze $version\$" &&
    ok "installed podflow-analyze runs" || fail "installed podflow-analyze does not run"
"$root/usr/bin/podflow-capture" --version | grep -q "^podflow-capture $version\$" &&
    ok "installed podflow-capture runs" || fail "installed podflow-capture does not run"
# The installed analyzer does real work: a case, a policy, a verdict.
sqlite3 "$tmp/case.db" < "$TOP/schema.sql" && sqlite3 "$tmp/case.db" < "$TOP/tests/it/fme-case.sql" &&
"$root/usr/bin/podflow-analyze" check "$tmp/case.db" -p "$TOP/tests/fixtures/policies/fme-current" -o json \
    > "$tmp/o.jsonl"
expect "installed check: exit, lines" "$?/$(wc -l < "$tmp/o.jsonl" | tr -d ' ')" "1/7"
zcat "$root/usr/share/man/man1/podflow-analyze.1.gz" | grep -q '^.SH SYNOPSIS' &&
    ok "man page readable" || fail "man page"
# The analyzer alone replaces the full package.
dpkgr -i "$alone" > "$tmp/inst2.log" 2>&1 || { fail "dpkg -i podflow-analyze"; cat "$tmp/inst2.log"; }
expect "podflow-analyze installed" "$(dpkgr -s podflow-analyze 2>/dev/null | sed -n 's/^Status: //p')" "install ok installed"
dpkgr -s podflow > /dev/null 2>&1 && fail "podflow still installed beside podflow-analyze" ||
    ok "podflow removed in favour of podflow-analyze"
[ -x "$root/usr/bin/podflow-analyze" ] && [ ! -e "$root/usr/bin/podflow-capture" ] &&
    ok "the analyzer alone" || fail "files after the switch: $(ls "$root/usr/bin")"
dpkgr -r podflow-analyze > /dev/null 2>&1 && [ ! -e "$root/usr/bin/podflow-analyze" ] &&
    ok "dpkg -r removes it" || fail "dpkg -r"
finish
