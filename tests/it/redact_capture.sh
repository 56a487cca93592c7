#!/bin/sh
# redact_capture.sh: podflow-capture --redact-external on a pcap of pod <->
# pod and pod <-> external flows, with an inventory naming the pods, a
# Service, an EndpointSlice endpoint and the node (docs/security.md):
# no external address anywhere in the file's bytes (the .db and its WAL,
# the filter and command line included), every inventory address intact,
# flows to one external host sharing one pseudonym, the capture recorded
# as redacted, `podflow-analyze check` still running.  Then a capture fed
# through a FIFO and killed with SIGKILL after more than --commit-interval
# seconds keeps the flows it committed (before: none until 65,536 flows).
. "$TOP/tests/it/fault_lib.inc"
MK="$B/tests/tools/mkflows"
need_prog "$C" "$A" "$MK"

cat > "$tmp/inv.yaml" <<'EOF'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: client, namespace: shop, labels: {app: client}}
  spec: {nodeName: node-a}
  status: {podIP: 10.244.1.5, podIPs: [{ip: 10.244.1.5}, {ip: "fd00:244::5"}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: dns-1, namespace: kube-system, labels: {k8s-app: kube-dns}}
  spec: {nodeName: node-b}
  status: {podIP: 10.244.2.7}
- apiVersion: v1
  kind: Service
  metadata: {name: kube-dns, namespace: kube-system}
  spec: {clusterIP: 10.96.0.10, selector: {k8s-app: kube-dns}, ports: [{port: 53, protocol: UDP}]}
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata: {name: web-x1, namespace: shop, labels: {kubernetes.io/service-name: web}}
  addressType: IPv4
  endpoints: [{addresses: [10.244.3.9]}]
  ports: [{port: 8080, protocol: TCP}]
- apiVersion: v1
  kind: Node
  metadata: {name: node-a}
  status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
EOF
internal="10.244.1.5 fd00:244::5 10.244.2.7 10.96.0.10 10.244.3.9 192.168.49.2"
# External peers: none in the pseudonyms' own ranges (a pseudonym may
# spell one of those by chance, which the byte check would take for a leak).
printf '%s\n' 93.184.216.34 8.8.8.8 1.1.1.1 2606:4700::1111 100.64.5.5 > "$tmp/ext"
cat > "$tmp/flows" <<'EOF'
# pod <-> pod, pod -> Service, pod -> slice endpoint, node -> pod
0 udp 10.244.1.5 40000 10.244.2.7 53
5 udp 10.244.1.5 40010 10.96.0.10 53
8 tcp 10.244.1.5 40011 10.244.3.9 8080
9 tcp 192.168.49.2 40012 10.244.1.5 8080
# pod -> external: two flows to one host, others, IPv6
10 tcp 10.244.1.5 40001 93.184.216.34 443
20 tcp 10.244.1.5 40002 93.184.216.34 443
30 udp 10.244.2.7 40003 8.8.8.8 53
35 udp 10.244.2.7 40004 1.1.1.1 53
40 tcp fd00:244::5 40005 2606:4700::1111 443
# external -> pod
50 tcp 100.64.5.5 50000 10.244.1.5 8080
EOF
"$MK" "$tmp/a.pcap" < "$tmp/flows" || exit 1
# The byte check finds the addresses when nothing is redacted.
"$C" -q -w "$tmp/plain.db" -r "$tmp/a.pcap" --inventory "$tmp/inv.yaml" || fail "plain capture"
[ "$(grep -a -c -w -F -f "$tmp/ext" "$tmp/plain.db")" -gt 0 ] &&
    ok "without --redact-external the byte check finds them" || fail "the byte check would find nothing"

db=$tmp/c.db
"$C" -q -w "$db" -r "$tmp/a.pcap" --inventory "$tmp/inv.yaml" --redact-external \
    -f 'not host 100.64.99.99' 2> "$tmp/err"; rc=$?
expect "capture: exit" "$rc" 0
[ -s "$tmp/err" ] && fail "capture stderr: $(cat "$tmp/err")"
expect "flows" "$(sqlite3 -batch "$db" "SELECT count(*) FROM flows")" 10
for f in "$db" "$db-wal"; do
    [ -e "$f" ] || continue
    expect "no external address in $(basename "$f")'s bytes" \
        "$(grep -a -c -w -F -f "$tmp/ext" "$f")" 0
done
grep -a -q -w '100.64.99.99' "$db" && fail "the filter's address was written" ||
    ok "the filter's address is nowhere"
expect "filter recorded as redacted" "$(sqlite3 -batch "$db" "SELECT filter FROM captures")" "[redacted]"
expect "command line hides the filter" \
    "$(sqlite3 -batch "$db" "SELECT command LIKE '%--redact-external -f ''[redacted]''' FROM captures")" 1
expect "meta.redacted_external names the capture" \
    "$(sqlite3 -batch "$db" "SELECT value FROM meta WHERE key = 'redacted_external'")" 1
for ip in $internal; do
    expect "$ip intact" "$(sqlite3 -batch "$db" "SELECT count(*) > 0 FROM flows
        WHERE src_ip = '$ip' OR dst_ip = '$ip'")" 1
done
expect "pod <-> pod flow as it was" "$(sqlite3 -batch "$db" "SELECT src_ip || ' ' || dst_ip
    FROM flows WHERE src_port = 40000")" "10.244.1.5 10.244.2.7"
expect "two flows to one external host: one pseudonym" "$(sqlite3 -batch "$db" "
    SELECT count(DISTINCT dst_ip) FROM flows WHERE src_port IN (40001, 40002)")" 1
expect "five external hosts: five pseudonyms" "$(sqlite3 -batch "$db" "
    SELECT count(DISTINCT ip) FROM (SELECT dst_ip AS ip FROM flows WHERE src_port BETWEEN 40001 AND 40005
      UNION ALL SELECT src_ip FROM flows WHERE src_port = 50000)")" 5
expect "pseudonyms: same family, documentation ranges" "$(sqlite3 -batch "$db" "
    SELECT group_concat(ok, '') FROM (SELECT CASE WHEN src_port = 40005
        THEN dst_ip LIKE '2001:db8:%' ELSE (dst_ip LIKE '192.0.2.%' OR dst_ip LIKE '198.51.100.%'
        OR dst_ip LIKE '203.0.113.%') END AS ok FROM flows WHERE src_port BETWEEN 40001 AND 40005
        ORDER BY src_port)")" 11111
expect "endpoints: the inventory's" "$(sqlite3 -batch "$db" "SELECT count(*) FROM endpoints
    WHERE kind = 'external'")" 0
"$A" check "$db" -p "$TOP/samples/fme/policies/current" > /dev/null 2> "$tmp/err"; rc=$?
case $rc in 0|1) ok "check on the redacted case: exit $rc" ;; *) fail "check: exit $rc: $(cat "$tmp/err")" ;; esac

# A second redacted capture into the case: its own key (documented), its id recorded.
"$C" -q -w "$db" -r "$tmp/a.pcap" --inventory "$tmp/inv.yaml" --redact-external || fail "second capture"
expect "meta.redacted_external names both" \
    "$(sqlite3 -batch "$db" "SELECT value FROM meta WHERE key = 'redacted_external'")" "1 2"
expect "still no external address" "$(grep -a -c -w -F -f "$tmp/ext" "$db")" 0
# Without an inventory (offline: no netlink either) every pod is redacted too.
"$C" -q -w "$tmp/noinv.db" -r "$tmp/a.pcap" --redact-external || fail "capture without inventory"
expect "no inventory: pods redacted too" "$(sqlite3 -batch "$tmp/noinv.db" "SELECT count(*) FROM flows
    WHERE src_ip LIKE '10.244.%' OR dst_ip LIKE '10.244.%'")" 0

# --- a FIFO, SIGKILL after more than --commit-interval --------------------------
# 50 UDP flows to external hosts, then two later packets that expire them
# (idle timeout 1 s of packet time); the writer of the FIFO then stays
# silent, as a capture piped from a remote tcpdump would be.
i=0
while [ $i -lt 50 ]; do
    echo "$((i * 10)) udp 10.244.1.5 $((41000 + i)) 8.8.$i.8 53"
    i=$((i + 1))
done > "$tmp/f2"
printf '100000 udp 10.244.1.5 50000 10.244.2.7 53\n100010 udp 10.244.1.5 50001 10.244.2.7 53\n' >> "$tmp/f2"
"$MK" "$tmp/b.pcap" < "$tmp/f2" || exit 1
i=0
while [ $i -lt 50 ]; do echo "8.8.$i.8"; i=$((i + 1)); done > "$tmp/ext2"
mkfifo "$tmp/fifo"
(cat "$tmp/b.pcap"; sleep 30) > "$tmp/fifo" &
feeder=$!
kill_feeder() { kill "$feeder" 2>/dev/null; }
cleanup_hooks="kill_feeder"
kdb=$tmp/k.db
"$C" -q -w "$kdb" -r "$tmp/fifo" --idle-timeout 1 --commit-interval 1 --redact-external \
    --inventory "$tmp/inv.yaml" 2> "$tmp/kerr" &
cp=$!
sleep 3
kill -9 "$cp"
wait "$cp" 2>/dev/null
kill_feeder
# the bytes first: opening the file would fold its WAL in
ls "$kdb-wal" > /dev/null 2>&1 && ok "the kill left a WAL" || fail "no WAL after the kill"
for f in "$kdb" "$kdb-wal"; do
    [ -e "$f" ] || continue
    expect "killed: no external address in $(basename "$f")'s bytes" \
        "$(grep -a -c -w -F -f "$tmp/ext2" "$f")" 0
done
expect "integrity after kill -9" "$(sqlite3 -batch "$kdb" "PRAGMA integrity_check")" ok
expect "flows committed before the kill" "$(sqlite3 -batch "$kdb" "SELECT count(*) FROM flows
    WHERE src_ip = '10.244.1.5' AND dst_port = 53 AND src_port BETWEEN 41000 AND 41049")" 50
expect "each to its own pseudonym" "$(sqlite3 -batch "$kdb" "SELECT count(DISTINCT dst_ip) FROM flows
    WHERE src_port BETWEEN 41000 AND 41049")" 50
expect "killed capture's redaction recorded" \
    "$(sqlite3 -batch "$kdb" "SELECT value FROM meta WHERE key = 'redacted_external'")" 1
finish
