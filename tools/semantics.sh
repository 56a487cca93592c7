#!/bin/sh
# semantics.sh [DOC]: every `§N` or `§N.M` cited in the code (C sources and
# headers, shell scripts) names a section of docs/semantics.md that has a
# heading of its own (`## §N ...`, `### §N.M ...`).  Prints each citation
# that points nowhere as file:line, and exits 1 if there is one.  Run by
# make lint.
doc=${1:-docs/semantics.md}
[ -r "$doc" ] || { echo "semantics: cannot read '$doc'" >&2; exit 1; }
heads=$(sed -En 's/^#{1,6} (§[0-9]+(\.[0-9]+)*).*/\1/p' "$doc" | sort -u)
files=$(find common capture analyze tests tools -name '*.[ch]' -o -name '*.sh' -o -name '*.inc' |
        grep -v '^tools/semantics.sh$' | sort)
# file:line:ref for every citation; a trailing dot ends a sentence.
bad=$(grep -noE '§[0-9]+(\.[0-9]+)*' $files /dev/null | sed 's/\.$//' |
      while IFS=: read -r f l ref; do
          printf '%s\n' "$heads" | grep -qxF "$ref" || echo "    $f:$l: $ref"
      done)
n=$(printf '%s\n' "$heads" | grep -c .)
if [ -n "$bad" ]; then
    echo "semantics: cited in the code, with no heading in $doc:"
    printf '%s\n' "$bad"
    exit 1
fi
echo "semantics: every § cited in the code has a heading in $doc ($n headings)"
