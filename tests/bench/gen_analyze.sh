#!/bin/sh
# gen_analyze.sh DIR [FLOWS]: write the analyzer benchmark's synthetic case
# into DIR: DIR/bench.db (5,000 pods in 500 deployments over 50 namespaces,
# FLOWS flows, default 1,000,000) and DIR/policies/ (1,000 policies: Calico
# GlobalNetworkPolicies in tiers security and platform, NetworkPolicies in
# tier application, Kubernetes NetworkPolicies in the default tier).
#
# Deployment j (namespace ns<j/10>, label app=d<j>) calls deployments j+1
# and j+7 (mod 500) on port 8000 + callee mod 50.  Deployments below 400
# have an application-tier policy; the rest are decided by their
# Kubernetes policy in the default tier.  About one flow in 50 goes to a
# port no policy allows (denied).
set -eu
dir=$1
flows=${2:-1000000}
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir/policies"
rm -f "$dir/bench.db"
sqlite3 "$dir/bench.db" < "$top/schema.sql"
sqlite3 "$dir/bench.db" <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'bench', 0, 'bench');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
INSERT INTO namespaces (name, labels)
SELECT 'ns' || i, json_object('kubernetes.io/metadata.name', 'ns' || i, 'zone', 'z' || (i % 5)) FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
INSERT INTO endpoints (id, ip, kind, namespace, name, workload_kind, workload, labels,
                       service_account, ports)
SELECT i + 1, '10.' || (i / 250) || '.' || (i % 250) || '.10', 'pod', 'ns' || (i / 100),
       'd' || (i / 10) || '-' || (i % 10), 'Deployment', 'd' || (i / 10),
       json_object('app', 'd' || (i / 10), 'team', 't' || ((i / 10) % 20),
                   'pod-template-hash', 'h' || (i / 10)),
       'sa' || ((i / 10) % 3),
       json_array(json_object('name', 'svc', 'port', 8000 + (i / 10) % 50, 'protocol', 'TCP'))
FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $flows - 1),
f AS (SELECT i, i % 5000 AS sp, ((i % 5000) / 10 + CASE (i / 5000) % 2 WHEN 0 THEN 1 ELSE 7 END) % 500 AS callee FROM n)
INSERT INTO flows (id, capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns, last_ns,
                   packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)
SELECT i + 1, 1, 6, '10.' || (sp / 250) || '.' || (sp % 250) || '.10', 30000 + i % 30000,
       '10.' || ((callee * 10 + (i / 10000) % 10) / 250) || '.' || ((callee * 10 + (i / 10000) % 10) % 250) || '.10',
       CASE WHEN i % 50 = 49 THEN 9000 + callee % 50 ELSE 8000 + callee % 50 END,
       i * 1000, i * 1000 + 500, 5, 400, CASE WHEN i % 50 = 49 THEN 0 ELSE 5 END,
       CASE WHEN i % 50 = 49 THEN 0 ELSE 400 END,
       CASE WHEN i % 50 = 49 THEN 'S0' ELSE 'SF' END
FROM f;
COMMIT;
SQL

awk 'BEGIN {
    f = "'"$dir"'/policies/00-tiers.yaml"
    printf "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 100\n---\n" > f
    printf "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: platform\nspec:\n  order: 200\n  defaultAction: Pass\n---\n" > f
    printf "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: application\nspec:\n  order: 300\n" > f
    # security: 50 GNPs, each denying egress to 9999 for a team, then Pass.
    f = "'"$dir"'/policies/10-security.yaml"
    for (k = 0; k < 50; k++) {
        printf "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: security.team-t%d\nspec:\n  tier: security\n  order: %d\n  selector: team == \"t%d\"\n  types: [Egress]\n  egress:\n  - action: Deny\n    protocol: TCP\n    destination:\n      ports: [9999]\n  - action: Pass\n", k, k, k > f
    }
    # platform: 50 GNPs per zone letting DNS through, else the tier passes.
    f = "'"$dir"'/policies/20-platform.yaml"
    for (k = 0; k < 50; k++) {
        printf "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: platform.dns-%d\nspec:\n  tier: platform\n  order: %d\n  namespaceSelector: zone == \"z%d\"\n  selector: app == \"d%d\"\n  types: [Egress]\n  egress:\n  - action: Allow\n    protocol: UDP\n    destination:\n      ports: [53]\n", k, k, k % 5, k * 10 > f
    }
    # application: 400 NetworkPolicies.
    f = "'"$dir"'/policies/30-application.yaml"
    for (j = 0; j < 400; j++) {
        c1 = (j + 499) % 500; c2 = (j + 493) % 500; e1 = (j + 1) % 500; e2 = (j + 7) % 500
        printf "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: application.d%d\n  namespace: ns%d\nspec:\n  tier: application\n  order: %d\n  selector: app == \"d%d\"\n  types: [Ingress, Egress]\n", j, int(j / 10), j, j > f
        printf "  ingress:\n  - action: Allow\n    protocol: TCP\n    source:\n      namespaceSelector: projectcalico.org/name in {\"ns%d\", \"ns%d\"}\n      selector: app in {\"d%d\", \"d%d\"}\n    destination:\n      ports: [svc]\n", int(c1 / 10), int(c2 / 10), c1, c2 > f
        printf "  egress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      namespaceSelector: all()\n      selector: app in {\"d%d\", \"d%d\"}\n      ports: [\"8000:8049\"]\n", e1, e2 > f
    }
    # default tier: 500 Kubernetes NetworkPolicies.
    f = "'"$dir"'/policies/40-k8s.yaml"
    for (j = 0; j < 500; j++) {
        c1 = (j + 499) % 500; c2 = (j + 493) % 500
        printf "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: d%d\n  namespace: ns%d\nspec:\n  podSelector:\n    matchLabels:\n      app: d%d\n  policyTypes: [Ingress, Egress]\n", j, int(j / 10), j > f
        printf "  ingress:\n  - from:\n    - namespaceSelector: {}\n      podSelector:\n        matchExpressions:\n        - {key: app, operator: In, values: [d%d, d%d]}\n    ports:\n    - port: %d\n", c1, c2, 8000 + j % 50 > f
        printf "  egress:\n  - ports:\n    - port: 8000\n      endPort: 8049\n" > f
    }
}'
echo "wrote $dir/bench.db ($flows flows) and $dir/policies"
