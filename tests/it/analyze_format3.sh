#!/bin/sh
# analyze_format3.sh: a real format 2 case (tests/fixtures/format2-case.sqlite,
# written by podflow 0.1.0 from samples/fme) is refused by the reader as
# older, migrated to format 3 in place by `podflow-analyze inventory`, and
# then gives the verdicts it gave before; the inventory's Services,
# EndpointSlices and Node pod CIDRs land in the format 3 tables, and show
# counts them.
. "$TOP/tests/it/analyze_lib.inc"
FME=$TOP/samples/fme
cp "$TOP/tests/fixtures/format2-case.sqlite" "$tmp/case.db" || exit 1

"$A" check "$tmp/case.db" -p "$FME/policies/current" > "$tmp/out" 2> "$tmp/err"
rc=$?
expect "reader: exit 2 on format 2" "$rc" 2
expect "reader: says why" "$(grep -c 'older format 2 (this podflow reads 3)' "$tmp/err")" 1

# The FME inventory again, plus Services, EndpointSlices and a Node.
printf -- '---\n' > "$tmp/sep"
cat "$FME/inventory.yaml" "$tmp/sep" "$TOP/tests/fixtures/inventory/services.yaml" > "$tmp/inv.yaml"
"$A" inventory "$tmp/case.db" "$tmp/inv.yaml" > "$tmp/out" 2>&1 || fail "inventory: exit $?: $(cat "$tmp/out")"
expect "migrated: user_version" "$(sqlite3 "$tmp/case.db" 'PRAGMA user_version')" 3
expect "migrated: meta.format_version" \
    "$(sqlite3 "$tmp/case.db" "SELECT value FROM meta WHERE key = 'format_version'")" 3
expect "flows kept" "$(sqlite3 "$tmp/case.db" 'SELECT count(*) FROM flows')" 9
expect "services" "$(sqlite3 "$tmp/case.db" 'SELECT namespace || "/" || name || " " || type FROM services')" \
    "shop/frontend LoadBalancer"
expect "service endpoints" "$(sqlite3 "$tmp/case.db" 'SELECT count(*) || " " || sum(ready) FROM service_endpoints')" "3 2"
expect "pod networks" "$(sqlite3 "$tmp/case.db" 'SELECT group_concat(cidr, " ") FROM pod_networks')" \
    "10.244.1.0/24 fd00:244:1::/64"

"$A" check "$tmp/case.db" -p "$FME/policies/current" > "$tmp/out" 2> "$tmp/err"
rc=$?
expect "check after migrating: exit 1 (2 denied)" "$rc" 1
expect "check after migrating: the same verdicts" "$(grep '^9 flows' "$tmp/out")" \
    "9 flows: 7 allowed, 2 denied, 0 unknown; observed 7 ok, 2 failed, 0 unknown"

"$A" show "$tmp/case.db" > "$tmp/show" 2>&1 || fail "show: exit $?"
expect "show: format 3" "$(grep -c '^case .*: format 3' "$tmp/show")" 1
expect "show: services" "$(grep '^services:' "$tmp/show")" \
    "services: 1, with 3 EndpointSlice addresses (2 ready); pod networks: 2"
expect "show: translations counted, not assumed" \
    "$(grep -A1 '^flows to a Service address' "$tmp/show" | tr '\n' '|')" \
    "flows to a Service address: 0|  with a recorded translation (conntrack): 0|"
finish
