#!/bin/sh
# tools/house.sh B OBJ...: check that the tree's dependencies point one way
# (docs/architecture.md, "Rooms and doors").  Run by make lint, which
# names the objects of the three programs' parts (OBJ, under B).
#
# 1. Includes, read from the sources: common/ includes only common/;
#    capture/ includes capture/ and common/; analyze/ includes analyze/ and
#    common/, and inside analyze/ each room includes only itself and the
#    rooms below it (cmd -> out -> engine -> policy, engine -> case); a
#    private header (*_int.h) is included only from its own room.
# 2. Calls, read from the objects (nm): a module (x.c and its x.h,
#    x_int.h) calls into another only along the same arrows, and no two
#    modules call each other, directly or round a loop (tsort).
#
# Prints every violation and exits 1 when there is one.
set -u
B=${1:?usage: house.sh B OBJ...}
shift
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# room FILE: the room a file lives in ("common", "capture", "analyze/case",
# ..., "analyze/main" for analyze/main.c).
room() {
    case $1 in
    common/*) echo common ;;
    capture/*) echo capture ;;
    analyze/main.c|analyze/main.o) echo analyze/main ;;
    analyze/*/*) echo "$1" | cut -d/ -f1-2 ;;
    *) echo other ;;
    esac
}

# allowed FROM TO: 0 when room FROM may depend on room TO.
allowed() {
    [ "$1" = "$2" ] && return 0
    case "$1:$2" in
    *:common) return 0 ;;
    analyze/main:analyze/cmd) return 0 ;;
    analyze/cmd:analyze/out|analyze/cmd:analyze/engine|analyze/cmd:analyze/policy|analyze/cmd:analyze/case) return 0 ;;
    analyze/out:analyze/engine|analyze/out:analyze/policy|analyze/out:analyze/case) return 0 ;;
    analyze/engine:analyze/policy|analyze/engine:analyze/case) return 0 ;;
    esac
    return 1
}

# --- 1. includes ------------------------------------------------------------
for f in $(find common capture analyze -name '*.[ch]' | sort); do
    from=$(room "$f")
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
    while read -r inc; do
        to=$(room "$inc")
        if [ "$to" = other ]; then
            continue
        fi
        if ! allowed "$from" "$to"; then
            echo "house: $f includes $inc: $from may not depend on $to"
            echo x >> "$tmp/bad"
        fi
        case $inc in
        *_int.h)
            if [ "$from" != "$to" ]; then
                echo "house: $f includes $inc, private to $to"
                echo x >> "$tmp/bad"
            fi ;;
        esac
    done
done

# --- 2. calls between modules -------------------------------------------------
objs=
for o in "$@"; do
    [ -f "$o" ] || { echo "house: $o: no such object (build first)"; exit 2; }
    case $o in
    "$B"/common/* | "$B"/capture/* | "$B"/analyze/*) objs="$objs ${o#"$B"/}" ;;
    esac
done
if [ -z "$objs" ]; then
    echo "house: no objects named"
    exit 2
fi
# module OBJ: the object's path without .o ("analyze/policy/pol_k8s").
( cd "$B" && for o in $objs; do
      nm -g --defined-only "$o" | awk -v m="${o%.o}" 'NF == 3 && $2 ~ /[TDBRC]/ { print $3, m }'
  done ) | sort > "$tmp/defs"
( cd "$B" && for o in $objs; do
      nm -u "$o" | awk -v m="${o%.o}" '{ print $NF, m }'
  done ) | sort > "$tmp/uses"
# symbol user definer -> "user definer" pairs, one per module pair.
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3 }' | sort -u > "$tmp/edges"
while read -r user def; do
    from=$(room "$user.o")
    to=$(room "$def.o")
    if ! allowed "$from" "$to"; then
        syms=$(join "$tmp/uses" "$tmp/defs" | awk -v u="$user" -v d="$def" '$2 == u && $3 == d { printf "%s ", $1 }')
        echo "house: $user calls $def ($syms): $from may not depend on $to"
        echo x >> "$tmp/bad"
    fi
done < "$tmp/edges"
if ! tsort "$tmp/edges" > /dev/null 2> "$tmp/loops"; then
    echo "house: modules that call each other round a loop:"
    sed 's/^tsort: /    /' "$tmp/loops"
    echo x >> "$tmp/bad"
fi
if [ -s "$tmp/bad" ]; then
    echo "house: $(wc -l < "$tmp/bad") problem(s); docs/architecture.md shows the rooms and their doors"
    exit 1
fi
echo "house: $(echo $objs | wc -w) modules, $(wc -l < "$tmp/edges") calls between them, one way"
