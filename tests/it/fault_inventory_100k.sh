#!/bin/sh
# fault_inventory_100k.sh: an inventory of 100,000 pods (kubectl get pods
# -A -o json of a large cluster: 200 namespaces, labels, owner references,
# container ports, one IPv4 and one IPv6 address each) loads whole, in
# bounded memory and time.  Prints the peak RSS and the time; checks every
# pod was loaded, under 1 GiB peak and 60 s.
#
# Twice: through the inventory loader alone (its fuzz replay driver, the
# entry point inventory_load_mem without libFuzzer), and through
# `podflow-analyze inventory CASE.db FILE` (load, join, write 200,000
# endpoint rows).
. "$TOP/tests/it/fault_lib.inc"
need_prog "$B/fuzz-replay/fuzz_inventory" "$C" "$A"
inv=$tmp/pods.json
awk 'BEGIN {
    n = 100000
    printf "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n"
    for (i = 0; i < n; i++) {
        ns = "ns-" (i % 200); app = "app-" (i % 1000)
        printf "%s{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s-%d\",", \
            (i ? "," : ""), app, i
        printf "\"namespace\":\"%s\",\"uid\":\"u-%d\",\"labels\":{\"app\":\"%s\",", ns, i, app
        printf "\"pod-template-hash\":\"%x\",\"tier\":\"t%d\"},", i, i % 3
        printf "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
        printf "\"name\":\"%s-%x\",\"controller\":true}],", app, i % 1000
        printf "\"creationTimestamp\":\"2024-05-01T10:00:00Z\"},"
        printf "\"spec\":{\"nodeName\":\"node-%d\",\"serviceAccountName\":\"sa-%d\",", i % 500, i % 7
        printf "\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"ports\":[{\"name\":\"http\","
        printf "\"containerPort\":8080,\"protocol\":\"TCP\"},{\"name\":\"metrics\",\"containerPort\":9090}]}]},"
        printf "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.%d.%d.%d\",", int(i / 65536), int(i / 256) % 256, i % 256
        printf "\"podIPs\":[{\"ip\":\"10.%d.%d.%d\"},{\"ip\":\"fd00::%x:%x\"}],", int(i / 65536), int(i / 256) % 256, i % 256, int(i / 65536), i % 65536
        printf "\"startTime\":\"2024-05-01T10:00:01Z\"}}\n"
    }
    printf "]}\n"
}' > "$inv"
echo "inventory: $(wc -c < "$inv") bytes"
start=$(date +%s)
FUZZ_VERBOSE=1 peak_rss_kb "$B/fuzz-replay/fuzz_inventory" "$inv" 2> "$tmp/err" 3> "$tmp/rss"
rc=$?; secs=$(( $(date +%s) - start )); rss=$(cat "$tmp/rss")
echo "100k pods: ${secs}s, peak RSS $((rss / 1024)) MiB"
expect "loader exit" "$rc" 0
expect "what was loaded" "$(sed -n 's/^inventory: rc \([-0-9]*\), \([0-9]*\) pods, \([0-9]*\) namespaces.*/\1 \2 \3/p' "$tmp/err")" \
    "0 100000 200"
grep -v '^inventory:\|^replay:' "$tmp/err" | head -5
[ "${rss:-0}" -lt 1048576 ] && ok "peak RSS under 1 GiB" || fail "peak RSS ${rss} KiB"
[ "$secs" -lt 60 ] && ok "under 60 s" || fail "took ${secs}s"

"$C" -q -w "$tmp/case.db" -r "$TOP/tests/fuzz/corpus/pcap/tcp-sf.pcap" || exit 1
start=$(date +%s)
peak_rss_kb "$A" inventory "$tmp/case.db" "$inv" > "$tmp/out" 2> "$tmp/err" 3> "$tmp/rss"
rc=$?; secs=$(( $(date +%s) - start )); rss=$(cat "$tmp/rss")
echo "podflow-analyze inventory, 100k pods: ${secs}s, peak RSS $((rss / 1024)) MiB"
cat "$tmp/out" "$tmp/err"
expect "podflow-analyze inventory: exit" "$rc" 0
expect "pod endpoints written (two addresses each)" \
    "$(sqlite3 -batch "$tmp/case.db" "SELECT count(*) FROM endpoints WHERE kind = 'pod'")" 200000
expect "namespaces written" "$(sqlite3 -batch "$tmp/case.db" "SELECT count(*) FROM namespaces")" 200
[ "${rss:-0}" -lt 1048576 ] && ok "peak RSS under 1 GiB" || fail "peak RSS ${rss} KiB"
[ "$secs" -lt 120 ] && ok "under 120 s" || fail "took ${secs}s"
finish
