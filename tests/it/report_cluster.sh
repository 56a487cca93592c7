#!/bin/sh
# report_cluster.sh: the service graph of a cluster (issue 15) on the
# storefront case of cluster_case.inc (32 workloads, 7 namespaces):
# addresses outside the cluster grouped by the NetworkSet or
# GlobalNetworkSet they are in (named), else by the CIDR of the rule that
# decided, else public / private / link-local; traffic policy does not
# govern left out of the default drawing, in the other one behind a
# toggle; a side panel per workload with every flow in and out of it; the
# colours of what --old changes, each in the legend; the traffic section
# (chords, the table by namespace against check, the time axis, drops).
. "$TOP/tests/it/analyze_lib.inc"
. "$TOP/tests/it/cluster_case.inc"
CL=$POL/cluster
[ -d "$CL" ] || { echo "FAIL: $CL missing"; exit 1; }
make_cluster_case "$tmp/case.db"

# The DOT text names every group.
"$A" check "$tmp/case.db" -p "$CL" -o dot > "$tmp/g.dot"
expect "check -o dot exit (denied flows)" $? 1
for n in 'GlobalNetworkSet payment-gateways\n203.0.113.5' 'NetworkSet identity/corporate-idp\n198.51.100.10' \
    '192.0.2.0/24\n192.0.2.10' 'public\n203.0.113.200, 93.184.216.34' 'private\n10.20.30.40' \
    'GlobalNetworkSet cloud-metadata\n169.254.169.254' 'link-local\nfe80::1' \
    'unidentified (pod network)\n198.18.80.10'; do
    grep -qF "label=\"$n" "$tmp/g.dot" && ok "node: ${n%%\\n*}" || fail "no node '${n%%\\n*}'"
done
grep -q 'label="external' "$tmp/g.dot" && fail "an 'external' node is left" || ok "no 'external' node"
# Not governed: the node to its peer and neighbour discovery, marked.
expect "edges marked not governed" "$(grep -c 'governed=false' "$tmp/g.dot")" 2
# The metadata read is denied by the security tier: red, to its set.
grep -q 'n[0-9]* -> n[0-9]* \[color="#d0312d".*label="TCP 80", verdict="deny"' "$tmp/g.dot" &&
    ok "denied edge to cloud-metadata" || fail "no denied TCP 80 edge"

"$A" report "$tmp/case.db" -p "$CL" --out "$tmp/r.html"
expect "report exit" $? 0
# Two drawings: without what policy does not govern (shown), with it (behind the toggle).
grep -q '<input type="checkbox" id="show-ungoverned">' "$tmp/r.html" && ok "toggle" || fail "no toggle"
sed -n '/<div id="graph-gov">/,/<div id="graph-all" hidden>/p' "$tmp/r.html" > "$tmp/gov.svg"
sed -n '/<div id="graph-all" hidden>/,/<\/svg>/p' "$tmp/r.html" > "$tmp/all.svg"
[ -s "$tmp/gov.svg" ] && [ -s "$tmp/all.svg" ] || fail "the two drawings are not there"
grep -q 'fe80::1' "$tmp/gov.svg" && fail "neighbour discovery in the default drawing" || ok "default drawing: no ND"
grep -q 'host network' "$tmp/gov.svg" && fail "host to host in the default drawing" || ok "default drawing: no host-local"
grep -q 'fe80::1' "$tmp/all.svg" && ok "full drawing: ND there" || fail "full drawing: no ND"
grep -q 'id="all_n[0-9]*" class="node node&#45;link&#45;local ungoverned"' "$tmp/all.svg" &&
    ok "full drawing: prefixed ids, ungoverned class" || fail "full drawing ids"
# A side panel per workload: frontend's lists its flows in and out.
fe=$(sed -n 's/.*<g id="\(n[0-9]*\)" class="node node&#45;pod">.*/\1/p' "$tmp/r.html" | while read -r id; do
    grep -q "<div class=\"node-detail\" id=\"d-$id\" hidden><h3>storefront/frontend</h3>" "$tmp/r.html" && echo "$id"; done | head -1)
[ -n "$fe" ] && ok "frontend's panel: d-$fe" || fail "no panel for storefront/frontend"
sed -n "/<div class=\"node-detail\" id=\"d-$fe\" hidden>/,/<\/div>/p" "$tmp/r.html" > "$tmp/fe.html"
# 120 in from ingress, 30 from prometheus; 420 out (its 9 destinations and DNS), 200 shown.
grep -q '570 flows in and out' "$tmp/fe.html" && ok "frontend: 570 flows counted" || fail "frontend count: $(grep -o '[0-9]* flows in and out' "$tmp/fe.html")"
expect "frontend: rows shown (limit)" "$(grep -c '<tr class="v-' "$tmp/fe.html")" 200
# At a glance first: one line per peer and colour (2 in, 9 out).
expect "frontend: peers" "$(sed -n '/class="compact peers"/,/<\/table>/p' "$tmp/fe.html" | grep -c '<tr><td><small>')" 11
grep -q '<td><small>in</small></td>' "$tmp/fe.html" && grep -q '<td><small>out</small></td>' "$tmp/fe.html" &&
    ok "frontend: in and out" || fail "frontend: not both directions"
grep -q 'and 370 more (see the flows table)' "$tmp/fe.html" && ok "frontend: the rest pointed to" || fail "frontend: no 'more' line"
# Flow rows carry their ends' nodes, so a click filters the table.
grep -q "<tr class=\"v-allow\" data-edge=\"e[0-9]*\" data-n=\"n[0-9]* $fe\"" "$tmp/r.html" && ok "rows carry nodes" || fail "rows without data-n"

# The traffic section: a chord per edge of the graph, the table by
# namespace agreeing with check, 30 s buckets over the capture's half hour,
# the capture's drop counters marked.
grep -q '<section id="traffic">' "$tmp/r.html" && ok "traffic section" || fail "no traffic section"
expect "chords = edges" "$(grep -c '<path class="chord' "$tmp/r.html")" "$(grep -c '<div class="edge-detail"' "$tmp/r.html")"
"$A" check "$tmp/case.db" -p "$CL" > "$tmp/check.txt"
tot=$(sed -n 's/^\([0-9]*\) flows: \([0-9]*\) allowed, \([0-9]*\) denied, \([0-9]*\) unknown.*/\2 \3 \4/p' "$tmp/check.txt")
set -- $tot
[ "$3" -gt 0 ] && ok "the case has unknown flows ($3)" || fail "no unknown flow in the case ($tot)"
grep -q "<tr class=\"total\"><td><b>cluster</b></td><td class=\"num\">$1</td><td class=\"num\">$2</td><td class=\"num\">$3</td>" "$tmp/r.html" &&
    ok "cluster row: $1 allowed, $2 denied, $3 unknown, as check says" || fail "cluster row differs from check ($tot)"
# The unknown connections have their CPS column too (the span: 1800 s).
cps=$(awk -v u="$3" 'BEGIN { printf "%.3g", u / 1800 }')
grep -q "<tr class=\"total\"><td><b>cluster</b></td>\(<td class=\"num\">[^<]*</td>\)\{8\}<td class=\"num\">$cps</td>" "$tmp/r.html" &&
    ok "cluster row: unknown CPS $cps" || fail "cluster row: no unknown CPS $cps"
expect "namespace rows" "$(sed -n '/<table id="ns-table">/,/<\/table>/p' "$tmp/r.html" | grep -c '<tr><td>')" 7
# storefront's connections: the flows with an end in it, as check -n counts them.
sf=$("$A" check "$tmp/case.db" -p "$CL" -n storefront | sed -n 's/^\([0-9]*\) flows: \([0-9]*\) allowed, \([0-9]*\) denied.*/\2<\/td><td class="num">\3/p')
grep -q "<tr><td>storefront</td><td class=\"num\">$sf</td>" "$tmp/r.html" && ok "storefront row = check -n storefront" ||
    fail "storefront row differs from check -n ($sf)"
# data's: the unknown reads of kafka among them, in their own column.
dt=$("$A" check "$tmp/case.db" -p "$CL" -n data | sed -n 's/^\([0-9]*\) flows: \([0-9]*\) allowed, \([0-9]*\) denied, \([0-9]*\) unknown.*/\2<\/td><td class="num">\3<\/td><td class="num">\4/p')
grep -q "<tr><td>data</td><td class=\"num\">$dt</td>" "$tmp/r.html" && ok "data row = check -n data (unknown column)" ||
    fail "data row differs from check -n ($dt)"
grep -q '<th class="num">allowed</th><th class="num">denied</th><th class="num">unknown</th>' "$tmp/r.html" &&
    ok "unknown columns" || fail "no unknown column in the table by namespace"
grep -q 'data-step="30000000000" data-nb="61"' "$tmp/r.html" && ok "61 buckets of 30 s" || fail "time axis: $(grep -o 'data-step="[0-9]*" data-nb="[0-9]*"' "$tmp/r.html")"
# Unknown stacked on its own, in the legend in the graph's grey.
sed -n '/<g class="ts-scope" data-scope="0">/,/<\/g>$/p' "$tmp/r.html" > "$tmp/ts0.svg"
[ "$(grep -o '<rect class="ts-u"' "$tmp/ts0.svg" | wc -l)" -gt 0 ] && ok "cluster chart: unknown band" || fail "cluster chart: no unknown band"
grep -q 'and unknown <i class="sw" style="background:#808080">' "$tmp/r.html" && ok "chart legend: unknown" || fail "chart legend: no unknown"
grep -q '<title>capture 1 (node-a): 1200 packets dropped by the kernel, 40 by the interface' "$tmp/r.html" &&
    ok "drop counters marked" || fail "no drop mark"
# The series the chart draws is check --interval's.
"$A" check "$tmp/case.db" -p "$CL" --interval 30s -o csv > "$tmp/s.csv"
expect "check --interval 30s: 61 cluster buckets" "$(grep -c ',cluster,,allow,' "$tmp/s.csv")" 61

# --old: a proposal that drops global() from the payments API's rule
# breaks its calls to the gateways; the legend names every change.
mkdir -p "$tmp/new"
cp "$CL"/*.yaml "$tmp/new/"
sed -i '/namespaceSelector: global()/d' "$tmp/new/40-payments.yaml"
"$A" report "$tmp/case.db" -p "$tmp/new" --old "$CL" --out "$tmp/old.html"
expect "report --old exit" $? 0
for c in would-break newly-denied would-fix newly-allowed; do
    grep -q "<span class=\"lg-$c\"><i style=\"background:#" "$tmp/old.html" && ok "legend: $c" || fail "legend: no $c"
done
grep -q 'class="edge edge&#45;would&#45;break"' "$tmp/old.html" && ok "would-break edge" || fail "no would-break edge"
expect "legend colours distinct" "$(grep -o '<span class="lg-[a-z-]*"><i style="background:#[0-9a-f]*' "$tmp/old.html" | sed 's/.*#//' | sort -u | wc -l | tr -d ' ')" 8 # with unknown's grey
finish
