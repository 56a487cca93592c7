#!/bin/sh
# deps.sh PKG_CONFIG "PC_MODULES" DEB_PACKAGES...
# Install the Debian packages the build needs when pkg-config cannot find a
# module (or a tool is missing).  As root it runs apt-get; otherwise it
# prints the exact command and fails.
pkgconfig=$1; modules=$2; shift 2
missing=
command -v "$pkgconfig" >/dev/null 2>&1 || missing=yes
command -v cc >/dev/null 2>&1 || missing=yes
command -v sqlite3 >/dev/null 2>&1 || missing=yes
for t in nft ip ping nc clang-format curl; do
    command -v $t >/dev/null 2>&1 || missing=yes
done
# tests/it/process_attr.sh runs Debian's python3 by its path (its process
# name must be python3, whatever else is first on PATH).
[ -x /usr/bin/python3 ] || missing=yes
if [ -z "$missing" ]; then
    for m in $modules; do
        "$pkgconfig" --exists "$m" 2>/dev/null || { missing=yes; break; }
    done
fi
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends $*"
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing build dependencies; as root run:" >&2
    echo "  apt-get update && $cmd" >&2
    exit 1
fi
echo "deps: installing: $*"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && $cmd -qq >/dev/null || { echo "deps: apt-get failed" >&2; exit 1; }
