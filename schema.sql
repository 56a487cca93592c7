-- podflow case file, format version 3.
--
-- The contract between podflow-capture (which writes it), podflow-analyze
-- (which reads it) and anyone at the sqlite3 prompt.  Documented column by
-- column in docs/schema.md.  This file is the only source of the schema:
-- the build embeds it into both programs, and
--     sqlite3 case.db < schema.sql
-- creates an empty case by hand.
--
-- Conventions: times are Unix nanoseconds (INTEGER); IP addresses are text
-- in canonical inet_ntop form; labels are a JSON object of strings; NULL
-- means unknown or open-ended, never zero.

-- Key/value facts about the file: format_version (inserted below),
-- tool_version and created (set by the program that creates the file).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per capture run (a .db may hold many: several runs, or several
-- nodes merged into one case).
CREATE TABLE captures (
    id                 INTEGER PRIMARY KEY,
    node               TEXT,              -- node name (--node, else hostname)
    started_ns         INTEGER NOT NULL,
    ended_ns           INTEGER,           -- NULL while running or after a crash
    interfaces         TEXT,              -- -i patterns or -r files, as given, space separated
    filter             TEXT,              -- BPF filter (-f) or NULL
    snaplen            INTEGER,
    packets_seen       INTEGER NOT NULL DEFAULT 0,
    packets_dropped    INTEGER NOT NULL DEFAULT 0,  -- pcap_stats ps_drop, summed
    packets_if_dropped INTEGER NOT NULL DEFAULT 0,  -- pcap_stats ps_ifdrop, summed
    flows_written      INTEGER NOT NULL DEFAULT 0,
    tool_version       TEXT NOT NULL,
    command            TEXT,              -- the command line
    source             TEXT,              -- 'live' or 'file'
    packets_malformed  INTEGER NOT NULL DEFAULT 0,  -- counted and skipped
    packets_other      INTEGER NOT NULL DEFAULT 0,  -- not IP (ARP, LLDP, ...)
    fragments_orphan   INTEGER NOT NULL DEFAULT 0,  -- non-first fragments with no flow
    flows_evicted      INTEGER NOT NULL DEFAULT 0,  -- written early past --max-flows
    icmp_unmatched     INTEGER NOT NULL DEFAULT 0,  -- ICMP errors quoting no known flow
    sockets_sought     INTEGER NOT NULL DEFAULT 0,  -- (format 3) flow ends on this node whose socket was looked for
    sockets_unattributed INTEGER NOT NULL DEFAULT 0, -- of those, ends no socket was found for
    flows_unsought     INTEGER NOT NULL DEFAULT 0   -- new flows not looked up (past the lookup rate)
);

-- What was captured, and when each interface appeared and vanished.
CREATE TABLE interfaces (
    id                 INTEGER PRIMARY KEY,
    capture_id         INTEGER NOT NULL REFERENCES captures (id),
    name               TEXT NOT NULL,     -- interface name, or the pcap file for -r
    ifindex            INTEGER,           -- kernel ifindex (NULL for files)
    appeared_ns        INTEGER,           -- opened (capture start for links already there)
    vanished_ns        INTEGER,           -- closed because the link went away; NULL otherwise
    linktype           INTEGER,           -- DLT_* of the handle
    packets_seen       INTEGER NOT NULL DEFAULT 0,
    packets_dropped    INTEGER NOT NULL DEFAULT 0,
    packets_if_dropped INTEGER NOT NULL DEFAULT 0
);

-- One row per bidirectional flow.  src is the initiator.  Flows are never
-- aggregated in the file: aggregation happens at query time.
CREATE TABLE flows (
    id          INTEGER PRIMARY KEY,
    capture_id  INTEGER NOT NULL REFERENCES captures (id),
    proto       INTEGER NOT NULL,         -- IANA protocol number
    src_ip      TEXT NOT NULL,
    src_port    INTEGER NOT NULL,         -- 0 where the protocol has none
    dst_ip      TEXT NOT NULL,
    dst_port    INTEGER NOT NULL,
    first_ns    INTEGER NOT NULL,
    last_ns     INTEGER NOT NULL,
    packets_fwd INTEGER NOT NULL,         -- src -> dst
    bytes_fwd   INTEGER NOT NULL,         -- IP-layer bytes
    packets_rev INTEGER NOT NULL,         -- dst -> src
    bytes_rev   INTEGER NOT NULL,
    flags_fwd   INTEGER NOT NULL DEFAULT 0, -- OR of TCP flags src -> dst
    flags_rev   INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL             -- Zeek conn_state
                CHECK (state IN ('S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR',
                                 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH')),
    history     TEXT,                     -- Zeek history letters
    icmp_type   INTEGER,                  -- ICMP flows: type of the first packet;
    icmp_code   INTEGER,                  --   TCP/UDP/SCTP: the ICMP error quoting the flow
    iface       INTEGER REFERENCES interfaces (id),
    vlan        INTEGER,                  -- outermost 802.1Q VLAN id, or NULL
    icmp_count  INTEGER NOT NULL DEFAULT 0, -- ICMP errors that quoted this flow
    icmp_id     INTEGER,                  -- ICMP echo identifier (ICMP echo flows)
    interim     INTEGER NOT NULL DEFAULT 0, -- 1: cut by the active timeout, continued in a later row
    dnat_ip     TEXT,                     -- (format 2) flows to a Service: the backend address the
    dnat_port   INTEGER,                  --   node's DNAT chose (conntrack); NULL: none seen
    open        INTEGER NOT NULL DEFAULT 0 -- (format 3) 1: the flow was still active at the last commit
                                           --   and its end was never written (kill -9, crash)
);

-- What an IP was, over a time interval.  IPs are reused, so identity is
-- (ip, valid_from_ns, valid_to_ns); NULL bounds are open-ended.
CREATE TABLE endpoints (
    id              INTEGER PRIMARY KEY,
    ip              TEXT NOT NULL,
    valid_from_ns   INTEGER,
    valid_to_ns     INTEGER,
    kind            TEXT NOT NULL CHECK (kind IN ('pod', 'host', 'service', 'external')),
    namespace       TEXT,
    name            TEXT,
    workload_kind   TEXT,                 -- Deployment, StatefulSet, DaemonSet, Job, CronJob, ...
    workload        TEXT,
    labels          TEXT NOT NULL DEFAULT '{}', -- JSON object
    service_account TEXT,
    node            TEXT,
    iface           TEXT,                 -- host-side interface (cali..., a bridge port)
    ports           TEXT NOT NULL DEFAULT '[]', -- JSON array of {name, port, protocol}
    source          TEXT                  -- where the row came from: inventory, netlink, ...
);
CREATE INDEX endpoints_ip ON endpoints (ip, valid_from_ns);

-- (format 2) Which address sat behind which interface of the node, and
-- when, as netlink saw it during a capture: the node-local truth, kept
-- apart from endpoints so that an inventory added later is joined to it
-- again.  NULL bounds: already there at the start, still there at the end.
CREATE TABLE ip_ifaces (
    id            INTEGER PRIMARY KEY,
    capture_id    INTEGER NOT NULL REFERENCES captures (id),
    ip            TEXT NOT NULL,
    iface         TEXT NOT NULL,          -- link name (cali..., the bridge port, eth0)
    ifindex       INTEGER,
    kind          TEXT NOT NULL CHECK (kind IN ('pod', 'host')), -- pod: behind a link; host: the node's own
    via           TEXT NOT NULL CHECK (via IN ('route', 'neigh', 'addr')),
    valid_from_ns INTEGER,
    valid_to_ns   INTEGER
);
CREATE INDEX ip_ifaces_ip ON ip_ifaces (ip, valid_from_ns);

-- (format 3) The sockets that flows of this node's pods used, and the
-- process that held each, from NETLINK_SOCK_DIAG in the pod's network
-- namespace and /proc (podflow-capture's process attribution).  A socket
-- existed at some time between valid_from_ns and valid_to_ns: NULL bounds
-- are open-ended (there at the first poll, still open at the end).
CREATE TABLE sockets (
    id            INTEGER PRIMARY KEY,
    capture_id    INTEGER NOT NULL REFERENCES captures (id),
    proto         INTEGER NOT NULL,       -- 6 TCP, 17 UDP, 132 SCTP
    local_ip      TEXT NOT NULL,          -- the address it sends from (a wildcard bind: the pod's)
    local_port    INTEGER NOT NULL,
    remote_ip     TEXT,                   -- the peer of a connected socket; NULL: not connected
    remote_port   INTEGER,
    inode         INTEGER NOT NULL,       -- the socket's inode (socket:[N] in /proc/PID/fd)
    netns         INTEGER,                -- inode of its network namespace (/proc/PID/ns/net)
    pid           INTEGER,                -- the process holding it, as the node numbers it; NULL: several
    processes     INTEGER NOT NULL DEFAULT 1, -- how many processes held it
    comm          TEXT,                   -- their command name (/proc/PID/comm); NULL: they differ
    container     TEXT,                   -- container id from the cgroup path; NULL: none or they differ
    cgroup        TEXT,                   -- cgroup path (/proc/PID/cgroup); NULL: they differ
    valid_from_ns INTEGER,                -- it appeared after this poll; NULL: there at the first
    valid_to_ns   INTEGER                 -- gone at this poll (excluded); NULL: still open at the end
);
CREATE INDEX sockets_local ON sockets (local_port, local_ip);

CREATE TABLE namespaces (
    name   TEXT PRIMARY KEY NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}'     -- JSON object; kubernetes.io/metadata.name implied
);

-- (format 3) Services as the inventory described them, one row per
-- Service object and interval.  Their cluster, external and load-balancer
-- addresses are also endpoints rows of kind 'service'.  Validity as for
-- endpoints; NULL bounds are open-ended.
CREATE TABLE services (
    id            INTEGER PRIMARY KEY,
    namespace     TEXT NOT NULL,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,              -- ClusterIP, NodePort, LoadBalancer, ExternalName
    cluster_ips   TEXT NOT NULL DEFAULT '[]', -- JSON array of addresses (spec.clusterIPs)
    external_ips  TEXT NOT NULL DEFAULT '[]', -- JSON array (spec.externalIPs)
    lb_ips        TEXT NOT NULL DEFAULT '[]', -- JSON array (status.loadBalancer.ingress[].ip)
    ports         TEXT NOT NULL DEFAULT '[]', -- JSON [{name, port, protocol, targetPort, nodePort}]
    selector      TEXT,                       -- JSON object; NULL: no selector
    labels        TEXT NOT NULL DEFAULT '{}', -- JSON object
    valid_from_ns INTEGER,
    valid_to_ns   INTEGER,
    source        TEXT                        -- inventory
);
CREATE INDEX services_name ON services (namespace, name);

-- (format 3) The endpoints of EndpointSlices: one row per address of a
-- slice's endpoint, with the slice's ports.  A Service's backends.
CREATE TABLE service_endpoints (
    id               INTEGER PRIMARY KEY,
    namespace        TEXT NOT NULL,
    service          TEXT,                       -- label kubernetes.io/service-name; NULL none
    slice            TEXT NOT NULL,              -- the EndpointSlice's name
    ip               TEXT NOT NULL,
    ready            INTEGER NOT NULL DEFAULT 1, -- conditions.ready (absent counts as ready)
    node             TEXT,                       -- nodeName
    target_kind      TEXT,                       -- targetRef (Pod, ...)
    target_namespace TEXT,
    target_name      TEXT,
    ports            TEXT NOT NULL DEFAULT '[]', -- JSON [{name, port, protocol}] of the slice
    valid_from_ns    INTEGER,
    valid_to_ns      INTEGER,
    source           TEXT                        -- inventory
);
CREATE INDEX service_endpoints_service ON service_endpoints (namespace, service);

-- (format 3) The cluster's pod networks: an address inside one that has no
-- identity is a pod the case cannot name, never an outside address.
CREATE TABLE pod_networks (
    id            INTEGER PRIMARY KEY,
    cidr          TEXT NOT NULL,     -- canonical network/prefix
    node          TEXT,              -- the node it is allotted to; NULL: not one node's
    source        TEXT NOT NULL,     -- inventory (a Node's spec.podCIDRs), netlink (a route)
    capture_id    INTEGER REFERENCES captures (id), -- netlink: the capture that saw it
    valid_from_ns INTEGER,
    valid_to_ns   INTEGER
);

-- Each flow with the endpoints that held its addresses (and its DNAT
-- backend's) at first_ns, and (format 3) the process at each end: the
-- socket of the same protocol whose local address and port are that end's
-- (the DNAT backend's for dst) and whose peer is the other end (or that is
-- not connected), existing while the flow did; a connected socket before
-- an unconnected one, then the earliest.
-- The rule (also the analyzer's): an endpoint holds ip at time t when
-- (valid_from_ns IS NULL OR valid_from_ns <= t) AND
-- (valid_to_ns IS NULL OR t < valid_to_ns); among several, the one with the
-- latest valid_from_ns wins, pods before hosts before services before
-- external, then the lowest id.
CREATE VIEW flows_named AS
SELECT f.*,
       i.name AS iface_name,
       s.kind AS src_kind, s.namespace AS src_namespace, s.name AS src_name,
       s.workload_kind AS src_workload_kind, s.workload AS src_workload, s.labels AS src_labels,
       d.kind AS dst_kind, d.namespace AS dst_namespace, d.name AS dst_name,
       d.workload_kind AS dst_workload_kind, d.workload AS dst_workload, d.labels AS dst_labels,
       s.iface AS src_iface, d.iface AS dst_iface,
       b.kind AS dnat_kind, b.namespace AS dnat_namespace, b.name AS dnat_name,
       b.labels AS dnat_labels,
       sp.pid AS src_pid, sp.comm AS src_comm, sp.container AS src_container,
       dp.pid AS dst_pid, dp.comm AS dst_comm, dp.container AS dst_container
FROM flows AS f
LEFT JOIN interfaces AS i ON i.id = f.iface
LEFT JOIN endpoints AS s ON s.id = (
    SELECT e.id FROM endpoints AS e
    WHERE e.ip = f.src_ip
      AND (e.valid_from_ns IS NULL OR e.valid_from_ns <= f.first_ns)
      AND (e.valid_to_ns IS NULL OR f.first_ns < e.valid_to_ns)
    ORDER BY coalesce(e.valid_from_ns, -9223372036854775808) DESC,
             CASE e.kind WHEN 'pod' THEN 0 WHEN 'host' THEN 1 WHEN 'service' THEN 2 ELSE 3 END,
             e.id
    LIMIT 1)
LEFT JOIN endpoints AS d ON d.id = (
    SELECT e.id FROM endpoints AS e
    WHERE e.ip = f.dst_ip
      AND (e.valid_from_ns IS NULL OR e.valid_from_ns <= f.first_ns)
      AND (e.valid_to_ns IS NULL OR f.first_ns < e.valid_to_ns)
    ORDER BY coalesce(e.valid_from_ns, -9223372036854775808) DESC,
             CASE e.kind WHEN 'pod' THEN 0 WHEN 'host' THEN 1 WHEN 'service' THEN 2 ELSE 3 END,
             e.id
    LIMIT 1)
LEFT JOIN endpoints AS b ON b.id = (
    SELECT e.id FROM endpoints AS e
    WHERE e.ip = f.dnat_ip
      AND (e.valid_from_ns IS NULL OR e.valid_from_ns <= f.first_ns)
      AND (e.valid_to_ns IS NULL OR f.first_ns < e.valid_to_ns)
    ORDER BY coalesce(e.valid_from_ns, -9223372036854775808) DESC,
             CASE e.kind WHEN 'pod' THEN 0 WHEN 'host' THEN 1 WHEN 'service' THEN 2 ELSE 3 END,
             e.id
    LIMIT 1)
LEFT JOIN sockets AS sp ON sp.id = (
    SELECT k.id FROM sockets AS k
    WHERE k.proto = f.proto AND k.local_port = f.src_port AND k.local_ip = f.src_ip
      AND ((k.remote_ip = f.dst_ip AND k.remote_port = f.dst_port) OR k.remote_ip IS NULL)
      AND (k.valid_from_ns IS NULL OR k.valid_from_ns <= f.last_ns)
      AND (k.valid_to_ns IS NULL OR f.first_ns < k.valid_to_ns)
    ORDER BY k.remote_ip IS NULL, coalesce(k.valid_from_ns, -9223372036854775808), k.id
    LIMIT 1)
LEFT JOIN sockets AS dp ON dp.id = (
    SELECT k.id FROM sockets AS k
    WHERE k.proto = f.proto AND k.local_port = coalesce(f.dnat_port, f.dst_port)
      AND k.local_ip = coalesce(f.dnat_ip, f.dst_ip)
      AND ((k.remote_ip = f.src_ip AND k.remote_port = f.src_port) OR k.remote_ip IS NULL)
      AND (k.valid_from_ns IS NULL OR k.valid_from_ns <= f.last_ns)
      AND (k.valid_to_ns IS NULL OR f.first_ns < k.valid_to_ns)
    ORDER BY k.remote_ip IS NULL, coalesce(k.valid_from_ns, -9223372036854775808), k.id
    LIMIT 1);

-- Last, so that a schema applied only in part (a statement failed) is not
-- taken for a case: readers refuse user_version 0.
INSERT INTO meta (key, value) VALUES ('format_version', '3');
PRAGMA user_version = 3;
