-- suggest-large.sql: a generated case for podflow-analyze suggest at
-- scale (tests/it/analyze_suggest_large.sh): NS namespaces of WL
-- Deployments of two pods each, kube-dns in kube-system, and FLOWS flows:
-- each workload calls three others on a port of the callee's, looks names
-- up in kube-dns (UDP 53) and calls an external address on 443.  The
-- parameters come from the temp table p(ns, wl, flows) made first.
INSERT INTO captures (id, node, started_ns, ended_ns, interfaces, tool_version, source)
VALUES (1, 'node-a', 1714557600000000000, 1714561200000000000, 'cali*', 'test', 'live');

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n, p WHERE i + 1 < p.ns)
INSERT INTO namespaces (name, labels)
SELECT 'ns' || i, json_object('kubernetes.io/metadata.name', 'ns' || i) FROM n;
INSERT INTO namespaces (name, labels)
VALUES ('kube-system', '{"kubernetes.io/metadata.name":"kube-system"}');

-- Pod k (0 or 1) of workload w of namespace i: 198.18.<i+1>.<2w+k+1>.
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n, p WHERE i + 1 < p.ns),
               w(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM w, p WHERE j + 1 < p.wl),
               k(x) AS (VALUES (0), (1))
INSERT INTO endpoints (ip, kind, namespace, name, workload_kind, workload, labels, node, ports,
                       source)
SELECT '198.18.' || (i + 1) || '.' || (2 * j + x + 1), 'pod', 'ns' || i,
       'svc' || j || '-5d8f' || x || '-p' || x, 'Deployment', 'svc' || j,
       json_object('app.kubernetes.io/name', 'svc' || j, 'app.kubernetes.io/part-of', 'shop',
                   'pod-template-hash', '5d8f' || x),
       'node-a', json_array(json_object('name', 'http', 'port', 8000 + j % 20, 'protocol', 'TCP')),
       'inventory'
FROM n, w, k;
INSERT INTO endpoints (ip, kind, namespace, name, workload_kind, workload, labels, node, source)
VALUES ('198.18.200.10', 'pod', 'kube-system', 'coredns-7db6-a', 'Deployment', 'coredns',
        '{"k8s-app":"kube-dns","pod-template-hash":"7db6"}', 'node-a', 'inventory'),
       ('198.18.200.11', 'pod', 'kube-system', 'coredns-7db6-b', 'Deployment', 'coredns',
        '{"k8s-app":"kube-dns","pod-template-hash":"7db6"}', 'node-a', 'inventory');

-- Flow f: source pod s = f % pods, a call of kind f % 5 (0-2: a workload
-- of the same or the next namespace on its port; 3: DNS; 4: external).
WITH RECURSIVE f(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM f, p WHERE i + 1 < p.flows),
     v AS (SELECT i, (i / 5) % (p.ns * p.wl * 2) AS s, i % 5 AS c, p.ns AS ns, p.wl AS wl
           FROM f, p),
     g AS (SELECT i, c, s / (2 * wl) AS sns, (s % (2 * wl)) / 2 AS sw, s % 2 AS sk,
                  ns, wl FROM v),
     h AS (SELECT i, c, sns, sw, sk,
                  CASE WHEN c = 2 THEN (sns + 1) % ns ELSE sns END AS dns,
                  (sw * 7 + c * 3 + 1) % wl AS dw, (i / 7) % 2 AS dk FROM g)
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)
SELECT 1, CASE c WHEN 3 THEN 17 ELSE 6 END,
       '198.18.' || (sns + 1) || '.' || (2 * sw + sk + 1), 30000 + i % 30000,
       CASE c WHEN 3 THEN '198.18.200.1' || (i % 2)
              WHEN 4 THEN '203.0.113.' || (sw % 50 + 1)
              ELSE '198.18.' || (dns + 1) || '.' || (2 * dw + dk + 1) END,
       CASE c WHEN 3 THEN 53 WHEN 4 THEN 443 ELSE 8000 + dw % 20 END,
       1714557600000000000 + i * 1000000, 1714557600000000000 + i * 1000000 + 500000,
       4, 400, 4, 400, CASE c WHEN 3 THEN 'SF' ELSE 'SF' END
FROM h;
