#!/bin/sh
# tools/deb.sh STAGE NAME VERSION ARCH OUT: turn STAGE (a `make install
# DESTDIR=STAGE PREFIX=/usr`) into the Debian package OUT with dpkg-deb.
# Run by `make deb` for the two packages: podflow (both programs) and
# podflow-analyze (the analyzer alone); they hold the same
# /usr/bin/podflow-analyze, so each conflicts with and replaces the other.
#
# What Debian policy asks of a binary package that is not built by
# debhelper, done by hand: man pages gzip -9n, a copyright file and a
# changelog in /usr/share/doc/NAME, Depends from dpkg-shlibdeps (the
# libraries the ELF files link, at the versions this system has),
# Installed-Size, files owned by root (--root-owner-group).
set -eu
stage=${1:?usage: deb.sh STAGE NAME VERSION ARCH OUT}
name=${2:?}; version=${3:?}; arch=${4:?}; out=${5:?}
top=$(pwd)

for t in dpkg-deb dpkg-shlibdeps gzip; do
    command -v "$t" > /dev/null || { echo "deb.sh: $t is missing (apt-get install dpkg-dev)" >&2; exit 1; }
done
[ -d "$stage/usr/bin" ] || { echo "deb.sh: $stage holds no usr/bin: make install first" >&2; exit 1; }

case $name in
podflow)
    other=podflow-analyze
    summary="record Kubernetes pod flows and replay them against network policies"
    long=" podflow-capture records the flows between pods (live on cali* links or
 from pcap files) into a SQLite case file; podflow-analyze replays them
 offline against Calico and Kubernetes network policies: which flows are
 denied and by what, what a policy change would break or fix, one HTML
 report."
    ;;
podflow-analyze)
    other=podflow
    summary="replay recorded Kubernetes pod flows against network policies"
    long=" podflow-analyze replays the flows of a podflow case file offline against
 Calico and Kubernetes network policies: which flows are denied and by
 what, what a policy change would break or fix, one HTML report.  This
 package holds the analyzer alone (no libpcap, no libnl); podflow holds
 both programs."
    ;;
*) echo "deb.sh: unknown package '$name'" >&2; exit 1 ;;
esac

# Man pages compressed, as dpkg and man expect them.
find "$stage/usr/share/man" -name '*.[0-9]' -exec gzip -9nf {} +
doc="$stage/usr/share/doc/$name"
mkdir -p "$doc"
cat > "$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: podflow
Comment: built from the podflow source tree (README.md); the tree states
 no licence of its own, so none is claimed here.

Files: *
Copyright: the podflow authors
License: unstated
 The source tree carries no licence file.
EOF
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the podflow source tree by make deb.\n\n -- podflow <podflow@localhost>  %s\n' \
    "$name" "$version" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(date +%s)}")" | gzip -9n > "$doc/changelog.gz"

# Depends: what the programs link, as dpkg-shlibdeps finds it (it wants a
# debian/control to read; a scratch one names the package).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
mkdir -p "$scratch/debian"
printf 'Source: podflow\n\nPackage: %s\nArchitecture: any\n' "$name" > "$scratch/debian/control"
bins=
for f in "$stage"/usr/bin/*; do bins="$bins $(cd "$(dirname "$f")" && pwd)/$(basename "$f")"; done
# shellcheck disable=SC2086 # the list of programs
depends=$(cd "$scratch" && dpkg-shlibdeps -O -e $bins 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: podflow <podflow@localhost>
Installed-Size: $size
Depends: $depends
Conflicts: $other
Replaces: $other
Section: net
Priority: optional
Description: $summary
$long
EOF
cd "$top"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" > /dev/null
echo "  DEB     $out"
