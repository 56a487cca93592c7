#!/bin/sh
# merge.sh [DIR] [FILES] [FLOWS]: the merge benchmark: FILES per-node cases
# (default 10) of FLOWS flows each (default 1,000,000) generated with SQL,
# then `podflow-analyze merge` of all of them, printing wall time and peak
# RSS (GNU time).  Every input holds the same 5,000 endpoints and 50
# namespaces (the cluster's inventory, deduplicated by merge) and its own
# capture; one flow in ten of file k+1 is the server's end of a flow of
# file k (the same connection, seen 300 ms later): (FILES-1) * FLOWS / 10
# connections seen at both ends, which the reader pairs.  The second
# figure is `show` of the merged case (it opens it, pairing included).
# A figure, never a timed test.  Needs sqlite3 and /usr/bin/time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$top/build}
dir=${1:-${TMPDIR:-/tmp}/podflow-bench-merge}
files=${2:-10}
flows=${3:-1000000}
an=$B/podflow-analyze
[ -x "$an" ] || { echo "merge.sh: build $an first" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "merge.sh: sqlite3 is needed" >&2; exit 2; }
mkdir -p "$dir"

gen() { # gen FILE K: node-K's case
    rm -f "$1"
    sqlite3 "$1" < "$top/schema.sql"
    sqlite3 "$1" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO captures (id, node, started_ns, ended_ns, tool_version, source)
VALUES (1, 'node-$2', 0, $flows * 1000000 + 1000000000, 'bench', 'live');
INSERT INTO interfaces (id, capture_id, name, ifindex, linktype) VALUES (1, 1, 'cali0000', 10, 1);
INSERT INTO meta (key, value) VALUES ('bench', '2'); -- the generator's version
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
INSERT INTO namespaces (name, labels) SELECT 'ns' || i, json_object('zone', 'z' || (i % 5)) FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
INSERT INTO endpoints (ip, kind, namespace, name, workload_kind, workload, labels, node)
SELECT '10.' || (i / 250) || '.' || (i % 250) || '.10', 'pod', 'ns' || (i / 100),
       'd' || (i / 10) || '-' || (i % 10), 'Deployment', 'd' || (i / 10),
       json_object('app', 'd' || (i / 10)), 'node-' || (i % $files)
FROM n;
-- Flow i of file k: a client on node k, except one in ten (i % 10 = 0,
-- k > 0): the server's end of flow i + 5 of file k - 1 (same tuple, seen
-- 300 ms later), which the reader pairs.
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $flows - 1),
f AS (SELECT CASE WHEN i % 10 = 0 AND $2 > 0 THEN i + 5 ELSE i END AS i,
             CASE WHEN i % 10 = 0 AND $2 > 0 THEN $2 - 1 ELSE $2 END AS k,
             CASE WHEN i % 10 = 0 AND $2 > 0 THEN 300000000 ELSE 0 END AS late FROM n)
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
SELECT 1, 6, '10.' || (k * 25 + i % 25) || '.' || (i / 25 % 250) || '.10', 20000 + i / 6250 % 40000,
       '10.' || (i * 7 % 20) || '.' || (i % 250) || '.10', 8000 + i % 50,
       i * 1000000 + late, i * 1000000 + late + 500000, 5, 400,
       CASE WHEN i % 50 = 49 THEN 0 ELSE 5 END, CASE WHEN i % 50 = 49 THEN 0 ELSE 400 END,
       CASE WHEN i % 50 = 49 THEN 'S0' ELSE 'SF' END, 1
FROM f;
COMMIT;
SQL
}

set --
k=0
while [ "$k" -lt "$files" ]; do
    f=$dir/node-$k.db
    if [ ! -f "$f" ] || [ "$(sqlite3 "$f" "SELECT count(*) || ' ' || (SELECT value FROM meta WHERE key = 'bench') FROM flows")" != "$flows 2" ]; then
        printf 'generating %s (%s flows)\n' "$f" "$flows"
        gen "$f" "$k"
    fi
    set -- "$@" "$f"
    k=$((k + 1))
done
rm -f "$dir/merged.db"
printf 'merge: %s files x %s flows\n' "$files" "$flows"
/usr/bin/time -f 'merge: %e s wall, %U s user, %S s sys, peak RSS %M KiB' \
    "$an" merge "$dir/merged.db" "$@"
ls -l "$dir/merged.db"
/usr/bin/time -f 'show (reads the merged case, pairs both ends): %e s wall, %U s user, peak RSS %M KiB' \
    "$an" show "$dir/merged.db" >/dev/null
