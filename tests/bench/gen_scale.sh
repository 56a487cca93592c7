#!/bin/sh
# gen_scale.sh DIR FLOWS: a cluster-sized case for the scale benchmark
# (make bench-scale), generated with SQL: DIR/scale-FLOWS.db and the
# analyzer benchmark's 1,000 policies in DIR/policies (gen_analyze.sh:
# the same 5,000 pods in 500 deployments over 50 namespaces).
#
# Ten captures (node-0 .. node-9, one cali link each).  Row i is a client's
# end on node i % 10, except one row in ten (i % 10 = 0): the server's end,
# on the next node, of row i + 5's connection (the same 5-tuple, 300 ms
# later), which the reader pairs: FLOWS / 10 connections seen at both
# ends.  Tuples are otherwise distinct (source pod i % 5000, source port
# from i / 5000).  About one flow in 50 goes to a port no policy allows.
set -eu
dir=$1
flows=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
db="$dir/scale-$flows.db"
# The endpoints, namespaces and policies of the analyzer benchmark (its
# generator with one flow, which is then replaced).
sh "$top/tests/bench/gen_analyze.sh" "$dir" 1 > /dev/null
mv "$dir/bench.db" "$db.tmp"
sqlite3 "$db.tmp" <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -200000;
BEGIN;
DELETE FROM flows;
DELETE FROM captures;
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 9)
INSERT INTO captures (id, node, started_ns, tool_version, source)
SELECT k + 1, 'node-' || k, 0, 'bench', 'live' FROM n;
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 9)
INSERT INTO interfaces (id, capture_id, name, ifindex, linktype)
SELECT k + 1, k + 1, 'cali' || printf('%08d', k), 10, 1 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $flows - 1),
f AS (SELECT CASE WHEN i % 10 = 0 AND i + 5 < $flows THEN i + 5 ELSE i END AS c,
             CASE WHEN i % 10 = 0 AND i + 5 < $flows THEN 1 ELSE 0 END AS srv FROM n),
g AS (SELECT c, srv, c % 5000 AS sp,
             ((c % 5000) / 10 + CASE (c / 5000) % 2 WHEN 0 THEN 1 ELSE 7 END) % 500 AS callee FROM f)
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
SELECT 1 + (c + srv) % 10, 6, '10.' || (sp / 250) || '.' || (sp % 250) || '.10',
       1024 + (c / 5000) % 60000,
       '10.' || ((callee * 10 + (c / 10000) % 10) / 250) || '.' || ((callee * 10 + (c / 10000) % 10) % 250) || '.10',
       CASE WHEN c % 50 = 49 THEN 9000 + callee % 50 ELSE 8000 + callee % 50 END,
       c * 10000 + srv * 300000000, c * 10000 + srv * 300000000 + 500000, 5, 400,
       CASE WHEN c % 50 = 49 THEN 0 ELSE 5 END, CASE WHEN c % 50 = 49 THEN 0 ELSE 400 END,
       CASE WHEN c % 50 = 49 THEN 'S0' ELSE 'SF' END, 1 + (c + srv) % 10
FROM g;
COMMIT;
SQL
mv "$db.tmp" "$db"
echo "wrote $db ($flows flows, $((flows / 10)) connections seen at two ends) and $dir/policies"
