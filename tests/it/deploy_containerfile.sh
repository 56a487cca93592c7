#!/bin/sh
# deploy_containerfile.sh: deploy/Containerfile cannot be built here (no
# container engine), so check what can be: every file it copies exists;
# the build stage, given only those files, has what `make deb` needs (make
# -n finds every prerequisite) and writes the package the second stage
# copies; the packages it installs exist in Debian 12 and cover what `make
# deps` installs to build; the image name and the commands of the
# DaemonSet (podflow-capture, sleep, tar) match what the image holds.
. "$TOP/tests/it/pkg_lib.inc"
CF=$TOP/deploy/Containerfile DS=$TOP/deploy/podflow-capture-daemonset.yaml
[ -f "$CF" ] || { echo "FAIL: no deploy/Containerfile"; exit 1; }
version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")

# Debian 12 in both stages.
expect "FROM lines" "$(grep '^FROM' "$CF" | awk '{ print $2 }' | tr '\n' ' ')" "debian:12 debian:12-slim "

# Every COPY from the context names something in the checkout; build the
# context those COPY lines make.
ctx=$tmp/ctx; mkdir -p "$ctx"
grep '^COPY ' "$CF" | grep -v -- '--from' > "$tmp/copies"
[ -s "$tmp/copies" ] || fail "no COPY from the context"
while read -r _ args; do
    # shellcheck disable=SC2086 # COPY SRC... DST
    set -- $args
    while [ $# -gt 1 ]; do
        src=${1%/}
        if [ -e "$TOP/$src" ]; then
            ok "COPY $src exists"
            mkdir -p "$ctx/$(dirname "$src")"; cp -a "$TOP/$src" "$ctx/$src"
        else
            fail "COPY $src: no such file in the checkout"
        fi
        shift
    done
done < "$tmp/copies"
# The build step: 'make ... deb' with what was copied, dry run.
target=$(sed -n 's/^RUN make .* \([a-z-]*\)$/\1/p' "$CF")
expect "RUN make TARGET" "$target" deb
if make -C "$ctx" -n "$target" > "$tmp/dry" 2>&1; then ok "make -n $target in the copied context"; else
    fail "make -n $target in the copied context:"; tail -5 "$tmp/dry"; fi
# What the deb recipe runs exists there (make -n does not look).
for f in $(grep -oE '(^|[[:space:]])tools/[a-z_./-]+' "$TOP/Makefile" | tr -d ' \t' | sort -u); do
    [ -e "$ctx/$f" ] || fail "the build needs $f, not copied"
done
# The package it writes is the one the second stage copies.
from=$(sed -n 's/^COPY --from=build \/src\/\([^ ]*\) .*/\1/p' "$CF")
expect "COPY --from=build" "$from" "build/podflow_*.deb"
grep -q "build/podflow_${version}_[a-z0-9]*\.deb" "$tmp/dry" && ok "make deb writes $from" ||
    fail "make deb does not write build/podflow_${version}_ARCH.deb"

# The packages it installs: real Debian 12 names, and every build
# dependency of make deps (the Makefile's DEB_PKGS) that the build needs.
sed -n '/^RUN apt-get update/,/rm -rf/p' "$CF" | tr ' \\' '\n\n' |
    grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|update|install|rm|DEBIAN_FRONTEND|y)$' |
    sort -u > "$tmp/pkgs"
if command -v apt-cache > /dev/null && [ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock)" ]; then
    for p in $(cat "$tmp/pkgs"); do
        apt-cache show "$p" > /dev/null 2>&1 && ok "package $p exists" || fail "no Debian package $p"
    done
else
    echo "note: no apt lists here: package names not looked up"
fi
for p in build-essential pkg-config libpcap-dev libnl-3-dev libnl-route-3-dev libnl-nf-3-dev \
         libsqlite3-dev libyaml-dev libgraphviz-dev dpkg-dev tar; do
    grep -qx "$p" "$tmp/pkgs" && ok "installs $p" || fail "the Containerfile does not install $p"
done
for p in $(sed -n '/^DEB_PKGS/,/^$/p' "$TOP/Makefile" | grep -oE 'lib[a-z0-9.-]+-dev'); do
    [ "$p" = libcmocka-dev ] && continue # tests only
    grep -qx "$p" "$tmp/pkgs" || fail "make deps installs $p, the Containerfile does not"
done

# The DaemonSet's image is this one, at this version; what it runs is in it.
expect "DaemonSet image" "$(grep -o 'image: .*' "$DS" | sort -u | tr '\n' ' ')" "image: podflow/podflow:$version "
grep -q "podman build -f deploy/Containerfile -t podflow/podflow:$version ." "$CF" &&
    ok "the Containerfile's build line names the same tag" || fail "the build line's tag"
for c in $(grep -o 'command: \[[^]]*\]' "$DS" | sed 's/command: \["\([^"]*\)".*/\1/' | sort -u); do
    case $c in
    podflow-capture) grep -q 'install-capture' "$TOP/Makefile" &&
        grep -q 'podflow_\*\.deb' "$CF" && ok "the image has $c (the podflow package)" ||
        fail "$c: not installed by the image" ;;
    sleep) ok "the image has sleep (coreutils, essential in debian:12-slim)" ;;
    *) fail "the DaemonSet runs $c: is it in the image?" ;;
    esac
done
grep -q 'tar' "$tmp/pkgs" && ok "tar for kubectl cp" || fail "no tar for kubectl cp"
finish
