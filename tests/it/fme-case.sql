-- fme-case.sql: the FME Flow seed's case as a capture with an inventory
-- would record it (issue 7), for the analyzer's integration tests:
--     sqlite3 case.db < schema.sql; sqlite3 case.db < tests/it/fme-case.sql
-- Engines reach core on 7070 (SF) but their job connections to the pool
-- 42000-43000 (42001, 42002) get no answer (S0): the customer's broken
-- state under the current policies.  Times are ns since 2024-05-01T10:00Z.
INSERT INTO captures (id, node, started_ns, ended_ns, interfaces, tool_version, source,
                      packets_seen)
VALUES (1, 'node-a', 1714557600000000000, 1714557900000000000, 'cali*', 'test', 'live', 120);

INSERT INTO interfaces (id, capture_id, name, ifindex, appeared_ns, packets_seen)
VALUES (1, 1, 'cali0engine1', 11, 1714557600000000000, 40),
       (2, 1, 'cali0engine2', 12, 1714557600000000000, 40),
       (3, 1, 'cali0core', 13, 1714557600000000000, 40);

INSERT INTO namespaces (name, labels) VALUES
  ('fme', '{"kubernetes.io/metadata.name":"fme"}'),
  ('ingress-nginx', '{"kubernetes.io/metadata.name":"ingress-nginx"}');

INSERT INTO endpoints (id, ip, valid_from_ns, valid_to_ns, kind, namespace, name, workload_kind,
                       workload, labels, service_account, node, iface, ports, source) VALUES
  (1, '198.18.1.10', NULL, NULL, 'pod', 'fme', 'core-0', 'StatefulSet', 'core',
   '{"safe.k8s.fmeserver.component":"core","app":"fmeserver"}', 'fmeserver', 'node-a',
   'cali0core', '[{"name":"registration","port":7070,"protocol":"TCP"}]', 'inventory'),
  (2, '198.18.1.21', NULL, NULL, 'pod', 'fme', 'engine-standard-group-7d9f-abcde', 'Deployment',
   'engine-standard-group', '{"safe.k8s.fmeserver.component":"engine","app":"fmeserver"}',
   'fmeserver', 'node-a', 'cali0engine1', '[{"name":"callback","port":7500,"protocol":"TCP"}]',
   'inventory'),
  (3, '198.18.1.22', NULL, NULL, 'pod', 'fme', 'engine-standard-group-7d9f-fghij', 'Deployment',
   'engine-standard-group', '{"safe.k8s.fmeserver.component":"engine","app":"fmeserver"}',
   'fmeserver', 'node-a', 'cali0engine2', '[]', 'inventory'),
  (4, '198.18.1.30', NULL, NULL, 'pod', 'fme', 'web-5c6b-klmno', 'Deployment', 'web',
   '{"safe.k8s.fmeserver.component":"web"}', NULL, 'node-a', NULL, '[]', 'inventory'),
  (5, '198.18.1.40', NULL, NULL, 'pod', 'fme', 'postgresql-0', 'StatefulSet', 'postgresql',
   '{"app.kubernetes.io/name":"postgresql"}', NULL, 'node-a', NULL, '[]', 'inventory'),
  (6, '198.18.2.10', NULL, NULL, 'pod', 'ingress-nginx', 'ingress-nginx-controller-0',
   'Deployment', 'ingress-nginx-controller', '{"app.kubernetes.io/name":"ingress-nginx"}',
   NULL, 'node-a', NULL, '[]', 'inventory'),
  (7, '198.18.0.1', NULL, NULL, 'host', NULL, 'node-a', NULL, NULL, '{}', NULL, 'node-a', NULL,
   '[]', 'inventory');

-- proto, src, dst, state: SF completed; S0 no answer.
INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, history, iface) VALUES
  (1, 1, 6, '198.18.1.21', 40001, '198.18.1.10', 7070, 1714557601000000000,
   1714557602000000000, 6, 500, 5, 700, 'SF', 'ShADadFf', 1),
  (2, 1, 6, '198.18.1.22', 40002, '198.18.1.10', 7070, 1714557601100000000,
   1714557602000000000, 6, 500, 5, 700, 'SF', 'ShADadFf', 2),
  (3, 1, 6, '198.18.1.21', 40003, '198.18.1.10', 42001, 1714557610000000000,
   1714557613000000000, 3, 180, 0, 0, 'S0', 'S', 1),
  (4, 1, 6, '198.18.1.22', 40004, '198.18.1.10', 42002, 1714557610500000000,
   1714557613500000000, 3, 180, 0, 0, 'S0', 'S', 2),
  (5, 1, 6, '198.18.1.21', 40005, '198.18.1.40', 5432, 1714557620000000000,
   1714557621000000000, 8, 900, 7, 1500, 'SF', 'ShADadFf', 1),
  (6, 1, 6, '198.18.1.10', 40006, '198.18.1.21', 7500, 1714557630000000000,
   1714557631000000000, 5, 400, 5, 400, 'SF', 'ShADadFf', 3),
  (7, 1, 6, '198.18.2.10', 40007, '198.18.1.30', 8080, 1714557640000000000,
   1714557641000000000, 5, 400, 5, 4000, 'SF', 'ShADadFf', NULL);
