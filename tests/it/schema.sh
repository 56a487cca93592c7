#!/bin/sh
# schema.sh: `sqlite3 x.db < schema.sql` makes the case file docs/schema.md
# describes: user_version and meta.format_version equal DB_FORMAT_VERSION
# (common/db.h), every fixed table and column of the format is there, and
# flows_named joins a flow to the endpoints that held its addresses at the
# flow's first packet (IPs are reused).  Needs only the sqlite3 shell.
# Exit 0 pass, 77 skip, anything else fail.
set -u
TOP=${TOP:-$(pwd)}

if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "SKIP: no sqlite3 command-line shell (apt-get install sqlite3)"
    exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/podflow-it-schema.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
db=$dir/x.db
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect WHAT SQL WANT: the shell's output for SQL must be WANT.
expect() {
    got=$(sqlite3 -batch "$db" "$2" 2>&1)
    if [ "$got" = "$3" ]; then
        echo "ok: $1"
    else
        fail "$1: got '$got', want '$3'"
    fi
}

if ! sqlite3 -batch -bail "$db" < "$TOP/schema.sql"; then
    echo "FAIL: sqlite3 x.db < schema.sql"
    exit 1
fi

version=$(sed -n 's/^#define DB_FORMAT_VERSION \([0-9][0-9]*\).*/\1/p' "$TOP/common/db.h")
[ -n "$version" ] || { echo "FAIL: no DB_FORMAT_VERSION in common/db.h"; exit 1; }
expect "user_version" "PRAGMA user_version" "$version"
expect "meta.format_version" "SELECT value FROM meta WHERE key = 'format_version'" "$version"
expect "tables" \
    "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema
     WHERE type = 'table' ORDER BY name)" \
    "captures endpoints flows interfaces ip_ifaces meta namespaces pod_networks service_endpoints services sockets"
expect "views" "SELECT group_concat(name, ' ') FROM sqlite_schema WHERE type = 'view'" \
    "flows_named"
expect "no triggers" "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'" "0"

# The fixed columns (issue 2): other tools rely on these names.
check_columns() {
    table=$1; shift
    for col in "$@"; do
        n=$(sqlite3 -batch "$db" \
            "SELECT count(*) FROM pragma_table_info('$table') WHERE name = '$col'")
        [ "$n" = 1 ] || fail "column $table.$col is missing"
    done
    echo "ok: columns of $table"
}
check_columns meta key value
check_columns captures id node started_ns ended_ns interfaces filter snaplen \
    packets_seen packets_dropped packets_if_dropped flows_written tool_version command
check_columns flows id capture_id proto src_ip src_port dst_ip dst_port first_ns \
    last_ns packets_fwd bytes_fwd packets_rev bytes_rev flags_fwd flags_rev state \
    history icmp_type icmp_code iface vlan dnat_ip dnat_port open
check_columns endpoints id ip valid_from_ns valid_to_ns kind namespace name \
    workload_kind workload labels service_account node iface ports
check_columns namespaces name labels
check_columns interfaces capture_id name ifindex appeared_ns vanished_ns
check_columns ip_ifaces id capture_id ip iface ifindex kind via valid_from_ns valid_to_ns
check_columns services id namespace name type cluster_ips external_ips lb_ips ports selector \
    labels valid_from_ns valid_to_ns source
check_columns service_endpoints id namespace service slice ip ready node target_kind \
    target_namespace target_name ports valid_from_ns valid_to_ns source
check_columns pod_networks id cidr node source capture_id valid_from_ns valid_to_ns
check_columns flows_named src_iface dst_iface dnat_ip dnat_port dnat_kind dnat_namespace \
    dnat_name dnat_labels open src_pid src_comm src_container dst_pid dst_comm dst_container
check_columns sockets id capture_id proto local_ip local_port remote_ip remote_port inode \
    netns pid processes comm container cgroup valid_from_ns valid_to_ns
check_columns captures sockets_sought sockets_unattributed flows_unsought

# A small case: 198.18.0.10 was pod web-1 until t=1000, then pod api-7;
# 198.18.0.20 is a host with no bounds, and also (as a later, shorter
# record) a service: the pod/host/service order and the latest valid_from
# decide.
sqlite3 -batch -bail "$db" <<'SQL' || fail "inserting a small case"
PRAGMA foreign_keys = ON;
INSERT INTO captures (id, node, started_ns, tool_version) VALUES (1, 'n1', 0, 'it');
INSERT INTO interfaces (id, capture_id, name, ifindex) VALUES (1, 1, 'cali0', 7);
INSERT INTO namespaces (name, labels) VALUES ('shop', '{"team":"a"}');
INSERT INTO endpoints (ip, valid_from_ns, valid_to_ns, kind, namespace, name, labels)
VALUES ('198.18.0.10', NULL, 1000, 'pod', 'shop', 'web-1', '{"app":"web"}'),
       ('198.18.0.10', 1000, NULL, 'pod', 'shop', 'api-7', '{"app":"api"}'),
       ('198.18.0.20', NULL, NULL, 'host', NULL, 'n1', '{}'),
       ('198.18.0.20', NULL, NULL, 'service', 'shop', 'db', '{}');
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,
                   last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface)
VALUES (1, 6, '198.18.0.10', 40000, '198.18.0.20', 5432, 999, 1500, 1, 60, 0, 0, 'S0', 1),
       (1, 6, '198.18.0.10', 40001, '198.18.0.20', 5432, 1000, 1500, 3, 180, 2, 120, 'SF', 1),
       (1, 17, '198.18.0.30', 53, '198.18.0.10', 53, 5, 6, 1, 80, 0, 0, 'S0', 1);
-- Format 2: a flow to a Service address, DNATed to pod 198.18.0.10.
INSERT INTO endpoints (ip, kind, namespace, name, iface)
VALUES ('198.18.0.40', 'pod', 'shop', 'client', 'cali9');
INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip, dst_port, first_ns,
                   last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state, iface,
                   dnat_ip, dnat_port)
VALUES (1, 6, '198.18.0.40', 40002, '198.18.0.20', 80, 2000, 2100, 3, 180, 2, 120, 'SF', 1,
        '198.18.0.10', 8080);
SQL
expect "flows_named: the endpoint before the IP was reused" \
    "SELECT src_name || ' ' || dst_kind || ' ' || dst_name || ' ' || iface_name
     FROM flows_named WHERE src_port = 40000" "web-1 host n1 cali0"
expect "flows_named: valid_to is exclusive, the new pod from valid_from on" \
    "SELECT src_name FROM flows_named WHERE src_port = 40001" "api-7"
expect "flows_named: an address nobody held is NULL" \
    "SELECT coalesce(src_kind, 'null') || ' ' || dst_name FROM flows_named
     WHERE proto = 17" "null web-1"
expect "flows_named: the DNAT backend at first_ns, the source's interface" \
    "SELECT src_iface || ' ' || dst_kind || ' ' || dnat_name || ':' || dnat_port
     FROM flows_named WHERE src_port = 40002" "cali9 host api-7:8080"
# Format 3: the sockets at each end.  The client's connected socket; at
# the server, its connected socket (the DNAT backend's address) and an
# unconnected UDP socket; a socket gone before the flow started, and one
# that appeared after it ended, match nothing.
sqlite3 -batch -bail "$db" <<'SQL' || fail "inserting sockets"
INSERT INTO sockets (capture_id, proto, local_ip, local_port, remote_ip, remote_port, inode,
                     pid, comm, container, valid_from_ns, valid_to_ns)
VALUES (1, 6, '198.18.0.40', 40002, '198.18.0.20', 80, 11, 100, 'curl', 'c0ffee', NULL, 3000),
       (1, 6, '198.18.0.10', 8080, '198.18.0.40', 40002, 12, 200, 'python3', NULL, 1900, NULL),
       (1, 6, '198.18.0.10', 8080, '198.18.0.40', 40002, 13, 300, 'old', NULL, NULL, 2000),
       (1, 6, '198.18.0.10', 8080, '198.18.0.40', 40002, 14, 400, 'new', NULL, 2100, NULL),
       (1, 17, '198.18.0.10', 53, NULL, NULL, 15, 500, 'dnsd', NULL, NULL, NULL);
SQL
expect "flows_named: the process at each end (the DNAT backend's at dst)" \
    "SELECT src_pid || ' ' || src_comm || ' ' || src_container || ' ' || dst_pid || ' ' ||
     dst_comm || ' ' || quote(dst_container) FROM flows_named WHERE src_port = 40002" \
    "100 curl c0ffee 200 python3 NULL"
expect "flows_named: an unconnected socket answers for its port" \
    "SELECT quote(src_pid) || ' ' || dst_comm FROM flows_named WHERE proto = 17" "NULL dnsd"
expect "json_extract on labels (docs/schema.md)" \
    "SELECT count(*) FROM flows_named WHERE json_extract(src_labels, '\$.app') = 'web'" "1"
expect "denied-looking flows (docs/schema.md)" \
    "SELECT count(*) FROM flows WHERE state IN ('S0', 'REJ') OR icmp_count > 0" "2"
if sqlite3 -batch "$db" "INSERT INTO flows (capture_id, proto, src_ip, src_port, dst_ip,
    dst_port, first_ns, last_ns, packets_fwd, bytes_fwd, packets_rev, bytes_rev, state)
    VALUES (1, 6, 'a', 1, 'b', 2, 1, 1, 1, 1, 0, 0, 'XX')" 2>/dev/null; then
    fail "a state outside Zeek's conn_state words was accepted"
else
    echo "ok: flows.state holds Zeek's conn_state words only"
fi
expect "integrity" "PRAGMA integrity_check" "ok"

if [ $failures -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "schema.sql: all checks passed"
