#!/bin/sh
# analyze_unusable_f3.sh: the format 3 tables the analyzer reads are
# checked as the flows are (issue 17, item 3): by SQLite type (and JSON
# type) and range, never coerced.
#   - sockets: an unusable row is left out, counted on the first line of
#     the output by reason, never read as a process (a pid 'abc' row whose
#     validity is open-ended would otherwise win over the true socket);
#     --strict exits 2; suggest says it first too;
#   - services, service_endpoints, pod_networks: a damaged row says who an
#     address is, so it stops the reading (exit 2), named by table and id,
#     as a damaged endpoint does: an object for an address list, "7070" as
#     a port, ready 'yes', protocol ICMP, a blob for an address, /08, an
#     end before the start.
# The case: the FME inventory with its Services, and both legs of one
# ClusterIP connection (as analyze_services.sh records them).
. "$TOP/tests/it/analyze_lib.inc"
need_pcap_tools
FME=$TOP/samples/fme
CUR=$FME/policies/current
printf -- '---\n' > "$tmp/sep"
cat "$FME/inventory.yaml" "$tmp/sep" "$TOP/tests/fixtures/services/fme-services.yaml" > "$tmp/inv.yaml"
"$MK" "$tmp/both.pcap" <<'FLOWS' || exit 1
0    tcp-out  198.18.1.21 40001 198.19.0.70 7070
0    tcp-back 198.18.1.21 40001 198.18.1.10 7070
FLOWS
"$C" -q -w "$tmp/good.db" -r "$tmp/both.pcap" --node worker-1 --inventory "$tmp/inv.yaml" ||
    fail "capture both.pcap"
for t in services service_endpoints pod_networks; do
    [ "$(sqlite3 "$tmp/good.db" "SELECT count(*) > 0 FROM $t")" = 1 ] && ok "the case has $t" ||
        fail "the case has no $t"
done

# The client's socket, and beside it eight unusable ones on the same end,
# open-ended (so preferred by flows_named's rule, were they read).
sqlite3 "$tmp/good.db" "PRAGMA ignore_check_constraints = ON;
INSERT INTO sockets (id, capture_id, proto, local_ip, local_port, remote_ip, remote_port, inode,
                     pid, processes, comm, valid_from_ns, valid_to_ns) VALUES
  (1, 1, 6, '198.18.1.21', 40001, '198.19.0.70', 7070, 11, 4242, 1, 'curl', 1, NULL),
  (2, 1, 'tcp', '198.18.1.21', 40001, '198.19.0.70', 7070, 12, 666, 1, 'evil', NULL, NULL),
  (3, 1, 6, '198.18.1.21', '40001x', '198.19.0.70', 7070, 13, 666, 1, 'evil', NULL, NULL),
  (4, 1, 6, '198.18.1.21', 40001, '198.19.0.70', 7070, 14, 'abc', 1, 'evil', NULL, NULL),
  (5, 1, 6, '198.18.1.21', 40001, '198.19.0.70', 7070, 15, 666, -1, 'evil', NULL, NULL),
  (6, 1, 6, '198.18.1.21', 40001, '198.19.0.70', 7070, 16, 666, 1, X'6576696c', NULL, NULL),
  (7, 1, 6, '198.18.1.21', 40001, '198.19.0.70', 7070, 17, 666, 1, 'evil', 5, 4),
  (8, 1, 6, '198.18.1.21', 40001, '198.19.0.70', NULL, 18, 666, 1, 'evil', NULL, NULL),
  (9, 1, 6, '198.18.1.021', 40001, '198.19.0.70', 7070, 19, 666, 1, 'evil', NULL, NULL);" ||
    fail "insert the sockets"
want="'$tmp/good.db': 8 rows left out as unusable: sockets 8 (proto 1, address 1, port 2, time 1, name 1, process 2)"
"$A" check "$tmp/good.db" -p "$CUR" -f json > "$tmp/out" 2> "$tmp/err"; rc=$?
expect "sockets: exit (the connection is allowed)" "$rc" 0
expect "sockets: first line" "$(head -1 "$tmp/out")" "{\"warning\":\"$want\",\"left_out\":8}"
expect "sockets: the true process, not a coerced row" \
    "$(jq_sql "$tmp/out" "SELECT v->'src_process'->>'comm' || '[' || (v->'src_process'->>'pid') || ']' FROM t WHERE v->>'src_port' = 40001")" \
    "curl[4242]"
grep -q "evil" "$tmp/out" && fail "an unusable socket's process was shown" || ok "no unusable socket shown"
grep -q "'$tmp/good.db': socket 4: pid is not NULL" "$tmp/err" && ok "sockets: a row named on stderr" ||
    fail "sockets: $(head -3 "$tmp/err")"
"$A" check "$tmp/good.db" -p "$CUR" > "$tmp/out" 2> /dev/null
expect "sockets: table's first line" "$(head -1 "$tmp/out")" "warning: $want"
"$A" check "$tmp/good.db" -p "$CUR" --strict > "$tmp/out" 2> "$tmp/err"; rc=$?
expect "sockets --strict: exit" "$rc" 2
expect "sockets --strict: no output" "$(wc -c < "$tmp/out")" 0
"$A" suggest "$tmp/good.db" --out "$tmp/sg" > "$tmp/out" 2> /dev/null
expect "suggest: first line" "$(head -1 "$tmp/out")" "warning: $want"
"$A" suggest "$tmp/good.db" --out "$tmp/sg2" --strict > /dev/null 2>&1; rc=$?
expect "suggest --strict: exit" "$rc" 2
"$A" show "$tmp/good.db" > "$tmp/out" 2> /dev/null
expect "show: first line" "$(head -1 "$tmp/out")" "warning: $want"
sqlite3 "$tmp/good.db" "DELETE FROM sockets WHERE id > 1"

# damaged NAME SQL WHY: after SQL, check and show stop with exit 2, naming WHY.
damaged() {
    cp "$tmp/good.db" "$tmp/bad.db"
    sqlite3 "$tmp/bad.db" "PRAGMA ignore_check_constraints = ON; $2" || { fail "$1: $2"; return; }
    for cmd in check show; do
        case $cmd in
        check) "$A" check "$tmp/bad.db" -p "$CUR" > "$tmp/out" 2> "$tmp/err"; rc=$? ;;
        show) "$A" show "$tmp/bad.db" > "$tmp/out" 2> "$tmp/err"; rc=$? ;;
        esac
        expect "$1 ($cmd): exit" "$rc" 2
        grep -q "'$tmp/bad.db': $3" "$tmp/err" && ok "$1 ($cmd): named" || fail "$1 ($cmd): $(cat "$tmp/err")"
    done
}
"$A" check "$tmp/good.db" -p "$CUR" > /dev/null 2>&1; rc=$?
expect "the undamaged case: exit" "$rc" 0
svc=$(sqlite3 "$tmp/good.db" "SELECT min(id) FROM services")
sep=$(sqlite3 "$tmp/good.db" "SELECT min(id) FROM service_endpoints")
pn=$(sqlite3 "$tmp/good.db" "SELECT min(id) FROM pod_networks")
damaged "cluster_ips an object" \
    "UPDATE services SET cluster_ips = '{\"a\": \"198.19.0.70\"}' WHERE id = $svc" \
    "service $svc: an address list is not text holding a JSON array"
damaged "cluster_ips holding a number" \
    "UPDATE services SET cluster_ips = '[3338993478]' WHERE id = $svc" \
    "service $svc: an address list holds something that is no address text"
damaged "a port as text" \
    "UPDATE services SET ports = '[{\"name\":\"http\",\"port\":\"7070\",\"protocol\":\"TCP\"}]' WHERE id = $svc" \
    "service $svc: a port's port is not an integer"
damaged "targetPort true" \
    "UPDATE services SET ports = '[{\"port\":7070,\"targetPort\":true}]' WHERE id = $svc" \
    "service $svc: a port's targetPort is not a port nor a name"
damaged "service times out of order" \
    "UPDATE services SET valid_from_ns = 10, valid_to_ns = 5 WHERE id = $svc" \
    "service $svc: valid_from_ns and valid_to_ns"
damaged "ready 'yes'" "UPDATE service_endpoints SET ready = 'yes' WHERE id = $sep" \
    "service endpoint $sep: ready is not the integer 0 or 1"
damaged "protocol ICMP" \
    "UPDATE service_endpoints SET ports = '[{\"port\":7070,\"protocol\":\"ICMP\"}]' WHERE id = $sep" \
    "service endpoint $sep: a port's protocol is not TCP, UDP or SCTP"
damaged "an endpoint address as a blob" "UPDATE service_endpoints SET ip = X'00' WHERE id = $sep" \
    "service endpoint $sep: ip is not IPv4 or IPv6 address text"
damaged "a pod network /08" "UPDATE pod_networks SET cidr = '198.18.0.0/08' WHERE id = $pn" \
    "pod network $pn: cidr is not a CIDR in text"
finish
