#!/bin/sh
# report_browser_cluster.sh: the report of a cluster driven in a real
# browser (issue 15): Debian's chromium, headless, with every background
# service off and a fresh profile, driven through the DevTools protocol
# over a pipe (tests/it/cdp_drive.py: real mouse events, no port, no
# network).  On the storefront case of cluster_case.inc (32 workloads in
# 7 namespaces) it clicks a workload and checks that the side panel lists
# its flows and the flows table is filtered to them, clicks an edge,
# turns on the drawing with what policy does not govern; in the traffic
# section it sizes the chords by bytes, clicks the denied chord to the
# metadata set for what decided it, zooms into storefront and back, and
# drags a time range across the chart, whose flows it compares with check
# over the same window, and checks the service graph under it (the edges
# and workloads without traffic in it faded, the others counting theirs;
# checkout's mixed edge to the payments API green in a range before the
# rollout); unknown has its band, legend and columns.  Screenshots at 1400 px into $B:
# report-cluster-graph.png (the graph, storefront/frontend selected, its
# side panel), -traffic.png (the chord diagram, the denied chord's flows
# beside it), -zoom.png (storefront zoomed), -range.png (a time range
# selected: the chart and the filtered flows), -traffic-section.png (the
# whole traffic section: chords, the table by namespace, the chart with
# its unknown band), -range-graph.png (the service graph under the range:
# the edges without traffic in it faded).
# Skips, saying why, when chromium or python3 is missing: nothing is
# installed (chromium is some 300 MB; report_browser.sh covers the seed).
. "$TOP/tests/it/analyze_lib.inc"
. "$TOP/tests/it/cluster_case.inc"
browser=
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { browser=$(command -v "$c"); break; }
done
[ -n "$browser" ] || { echo "SKIP: chromium is not installed (apt-get install chromium)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed (it drives the browser)"; exit 77; }

make_cluster_case "$tmp/case.db"
"$A" report "$tmp/case.db" -p "$POL/cluster" --out "$tmp/report.html"
expect "report exit" $? 0
# The node and edge ids of what the steps click: storefront/frontend, and
# the denied edge to the cloud metadata set.
fe=$(sed -n 's/.*<div class="node-detail" id="d-\(n[0-9]*\)" hidden><h3>storefront\/frontend<\/h3>.*/\1/p' "$tmp/report.html")
md=$(sed -n 's/.*<g id="\(e[0-9]*\)" class="edge edge&#45;deny">.*/\1/p' "$tmp/report.html" | while read -r e; do
    grep -q "id=\"d-$e\" hidden><h3>storefront/recommendation → GlobalNetworkSet cloud-metadata" "$tmp/report.html" && echo "$e"; done | head -1)
[ -n "$fe" ] && [ -n "$md" ] || { fail "no frontend node ($fe) or metadata edge ($md) in the page"; finish; }
nchords=$(grep -c '<path class="chord' "$tmp/report.html")
sf=$(sed -n 's/.*<g class="fv-ns" id="fv-g\([0-9]*\)" data-g="[0-9]*"><path class="ns-arc" d="[^"]*"><title>storefront (click.*/\1/p' "$tmp/report.html")
[ -n "$sf" ] || { fail "no storefront arc"; finish; }
# For the time range: the payouts job's edge (14:25 to 14:26 only) and its
# node, frontend's edge to auth (all along), the unknown edge from the pod
# nobody named to kafka (14:38 to 14:46).
edge_id() { sed -n "s#.*<div class=\"edge-detail\" id=\"d-\(e[0-9]*\)\" hidden><h3>$1 → $2: .*#\1#p" "$tmp/report.html" | head -1; }
node_id() { sed -n "s#.*<div class=\"node-detail\" id=\"d-\(n[0-9]*\)\" hidden><h3>$1</h3>.*#\1#p" "$tmp/report.html" | head -1; }
po=$(edge_id payments/payouts payments/ledger)
pon=$(node_id payments/payouts)
fa=$(edge_id storefront/frontend identity/auth)
uk=$(edge_id 'unidentified (pod network)' data/kafka)
# checkout's calls to the payments API: allowed, and from 14:32 some denied.
mx=$(edge_id storefront/checkout payments/payments-api)
[ -n "$po" ] && [ -n "$pon" ] && [ -n "$fa" ] && [ -n "$uk" ] && [ -n "$mx" ] ||
    { fail "no payouts edge ($po) or node ($pon), frontend-auth edge ($fa), unknown edge ($uk), checkout edge ($mx)"; finish; }

cat > "$tmp/steps" <<EOF
# The default drawing: what policy governs only.
expect document.querySelectorAll('#graph-gov g.node').length => 39
expect document.querySelector('#graph-all').hidden => true
expect document.getElementById('flow-count').textContent => "1724 shown"
# Edge labels overlap no box and no other label, as the browser draws
# them (its fonts are not graphviz's: a glyph's line box may touch a box
# by 2 px without its ink doing so).
expect (function(){function o(a,b){return a.x+2<b.x+b.width&&b.x<a.x+a.width-2&&a.y+2<b.y+b.height&&b.y<a.y+a.height-2;}var n=[].slice.call(document.querySelectorAll('#graph-gov g.node')).map(function(g){return g.getBBox();}),t=[].slice.call(document.querySelectorAll('#graph-gov g.edge text')).map(function(e){return e.getBBox();}),c=0;t.forEach(function(a,i){n.forEach(function(r){if(o(a,r))c++;});t.forEach(function(b,j){if(i<j&&o(a,b))c++;});});return [t.length>40,c];})() => [true, 0]
# The unknown edge is drawn (grey) with what policy governs: unknown is a verdict.
expect document.querySelector('#graph-gov #$uk path').getAttribute('stroke') => "#808080"
# A click on storefront/frontend: its side panel, the table filtered.
click #graph-gov #$fe
expect document.getElementById('side').hidden => false
expect document.getElementById('d-$fe').hidden => false
expect document.querySelectorAll('.node-detail:not([hidden])').length => 1
expect document.querySelectorAll('#d-$fe tbody tr').length => 211
expect document.querySelector('#d-$fe tbody tr td:nth-child(6)').textContent.length > 10 => true
expect document.getElementById('flow-count').textContent => "570 shown"
expect document.getElementById('$fe').classList.contains('sel') => true
scroll #graph
shot report-cluster-graph
# Closing it brings every flow back.
click #side-close
expect document.getElementById('side').hidden => true
expect document.getElementById('flow-count').textContent => "1724 shown"
# A click on the denied edge to the metadata set: its panel, 30 flows.
click #graph-gov #$md polygon
expect document.getElementById('d-$md').hidden => false
expect document.getElementById('flow-count').textContent => "30 shown"
click #edge-clear
# The toggle: the drawing with neighbour discovery and host to host.
click #show-ungoverned
expect document.querySelector('#graph-gov').hidden => true
expect document.querySelector('#graph-all').hidden => false
expect document.querySelectorAll('#graph-all g.node').length => 41
expect !!document.querySelector('#graph-all g.node.ungoverned') => true
# A click in the other drawing opens the same panel.
click #graph-all #all_$fe
expect document.getElementById('d-$fe').hidden => false
click #side-close
click #show-ungoverned

# The traffic section: a chord per edge (what policy does not govern hidden
# like the graph's), sized by connections, then by bytes.
scroll #traffic
expect document.querySelectorAll('#fv-chords .chord').length => $nchords
expect [].slice.call(document.querySelectorAll('#fv-chords .chord')).filter(function(c){return getComputedStyle(c).display!=='none';}).length => $((nchords - 2))
expect document.getElementById('c-$md').getAttribute('stroke-width') => "$(sed -n "s/.*id=\"c-$md\"[^>]*data-wc=\"\([0-9.]*\)\".*/\1/p" "$tmp/report.html")"
select #fv-metric wb
expect document.getElementById('c-$md').getAttribute('stroke-width') => "$(sed -n "s/.*id=\"c-$md\"[^>]*data-wb=\"\([0-9.]*\)\".*/\1/p" "$tmp/report.html")"
select #fv-metric wc
# The ring's names: no namespace's name lies on a workload's (each
# workload's name sampled along its ray), long names cut with an ellipsis.
expect (function(){var c=0;document.querySelectorAll('.ns-label').forEach(function(t){var b=t.getBBox();document.querySelectorAll('.wl-label').forEach(function(l){var m=/rotate\(([-0-9.]+)\) translate\(([0-9.]+)/.exec(l.getAttribute('transform')),a=m[1]*Math.PI/180,r0=+m[2],n=l.getComputedTextLength(),k,r,x,y;for(k=0;k<=20;k++){r=r0+n*k/20;x=r*Math.cos(a);y=r*Math.sin(a);if(x>b.x-1&&x<b.x+b.width+1&&y>b.y-1&&y<b.y+b.height+1){c++;break;}}});});return c;})() => 0
expect [].slice.call(document.querySelectorAll('.wl-label')).filter(function(l){return /^GlobalNetworkSet paymen\u2026$/.test(l.textContent);}).length => 1
# A click on the denied chord to the metadata set: what decided it.
clickpath #c-$md
expect document.getElementById('c-$md').classList.contains('sel') => true
expect document.getElementById('fv-info').textContent.indexOf('egress rule 0 (Deny) of security.block-metadata [tier security]') >= 0 => true
shot report-cluster-traffic
# Zoom into storefront: only its chords, the view closer.
clickarc #fv-g$sf .ns-arc
expect document.getElementById('fv-chord').getAttribute('data-zoom') => "$sf"
expect document.getElementById('fv-chord').getAttribute('viewBox') !== document.getElementById('fv-chord').getAttribute('data-vb') => true
expect [].slice.call(document.querySelectorAll('#fv-chords .chord:not(.off)')).every(function(c){return c.getAttribute('data-g').split(' ').indexOf('$sf')>=0;}) => true
expect document.querySelectorAll('#fv-chords .chord.off').length > 0 => true
shot report-cluster-zoom
click #fv-whole
expect document.getElementById('fv-chord').getAttribute('viewBox') === document.getElementById('fv-chord').getAttribute('data-vb') => true
expect document.querySelectorAll('#fv-chords .chord.off').length => 0
# Traffic over time: unknown stacked on its own band, grey, in the legend;
# the table by namespace has its columns.
expect document.querySelectorAll('.ts-scope[data-scope="0"] rect.ts-u').length > 0 => true
expect getComputedStyle(document.querySelector('.ts-scope[data-scope="0"] rect.ts-u')).fill => "rgb(128, 128, 128)"
expect document.getElementById('ts-legend').textContent.indexOf('unknown') >= 0 => true
expect [].slice.call(document.querySelectorAll('#ns-table thead tr:nth-child(2) th')).map(function(t){return t.textContent;}).slice(0,3) => ["allowed", "denied", "unknown"]
expect document.querySelector('#ns-table tr.total td:nth-child(4)').textContent => "20"
# Scrolled into the table, its two rows of heads stick under the page's
# bar one above the other, over no row of numbers.
expect (function(){var t=document.getElementById('ns-table');window.scrollTo(0,t.getBoundingClientRect().top+window.scrollY-20);var a=t.tHead.rows[0].cells[1].getBoundingClientRect(),b=t.tHead.rows[1].cells[0].getBoundingClientRect(),n=document.querySelector('nav').getBoundingClientRect();return [a.top>=n.bottom-1,a.bottom<=b.top+1,b.top>a.top];})() => [true, true, true]
shot report-cluster-traffic-section #traffic
# A namespace's series; a range dragged across the chart filters the
# chords, the flows table (compared with check below) and the service
# graph: an edge with no flow in the range faded, its node too, the others
# counting their flows in it.
select #ts-scope 1
expect document.querySelector('.ts-scope[data-scope="0"]').getAttribute('display') => "none"
select #ts-scope 0
drag #ts 0.45 0.7
expect document.getElementById('ts-clear').hidden => false
print document.getElementById('ts-range').textContent
print document.getElementById('flow-count').textContent
expect document.querySelectorAll('#fv-chords .chord.tout').length > 0 => true
shot report-cluster-range
expect document.querySelector('#graph-gov #$po').classList.contains('tout') => true
expect getComputedStyle(document.querySelector('#graph-gov #$po')).opacity < 0.5 => true
expect document.querySelector('#graph-gov #$pon').classList.contains('tout') => true
expect document.querySelector('#graph-gov #$fa').classList.contains('tout') => false
expect document.querySelector('#graph-gov #$uk').classList.contains('tout') => false
expect document.querySelector('#d-$fa .in-range').textContent.indexOf(' of them in the selected range: ') > 0 => true
expect document.querySelector('#graph-gov #$fa a').getAttribute('xlink:title').indexOf('in the selected range') > 0 => true
expect [].slice.call(document.querySelectorAll('.edge-detail .in-range')).reduce(function(s,e){return s+(parseInt(e.textContent,10)||0);},0)+' shown' === document.getElementById('flow-count').textContent => true
expect document.querySelectorAll('#graph-gov g.edge.tout').length > 0 && document.querySelectorAll('#graph-gov g.edge:not(.tout)').length > 0 => true
# A node's side panel counts each peer's flows in the range too: the
# payouts job's only peer has none in it, frontend's auth peer some of all.
expect (function(){var c=document.querySelectorAll('#d-$pon td.peer-n');return c.length>0&&[].every.call(c,function(x){return x.classList.contains('tout')&&/^0 of [1-9][0-9]*$/.test(x.textContent);});})() => true
expect (function(){var c=document.querySelector('#d-$fe td.peer-n[data-e="$fa"]'),m=/^([0-9]+) of ([0-9]+)$/.exec(c.textContent);return !!m&&+m[1]>0&&+m[1]<+m[2]&&m[2]===c.getAttribute('data-n')&&(parseInt(document.querySelector('#d-$fa .in-range').textContent,10)===+m[1]);})() => true
# checkout's mixed edge: both verdicts in this range, amber still.
expect document.querySelector('#graph-gov #$mx path').getAttribute('stroke') => "#e69500"
scroll #graph
shot report-cluster-range-graph
# Before the rollout, checkout's calls were all allowed: its edge green.
drag #ts 0.1 0.3
expect document.querySelector('#d-$mx .in-range').textContent.indexOf(' denied, ') > 0 && /: [0-9]+ allowed, 0 denied, 0 unknown/.test(document.querySelector('#d-$mx .in-range').textContent) => true
expect [].map.call(document.querySelectorAll('#graph-gov #$mx path, #graph-gov #$mx polygon'),function(e){return e.getAttribute('stroke');}).concat([document.querySelector('#graph-gov #$mx text').getAttribute('fill')]).join(' ') => "#2e8b57 #2e8b57 #2e8b57"
click #ts-clear
expect document.querySelector('#graph-gov #$mx path').getAttribute('stroke') => "#e69500"
expect document.querySelectorAll('g.edge.tout, g.node.tout').length => 0
expect document.querySelector('#d-$fa .in-range').textContent => ""
expect document.querySelector('#d-$fe td.peer-n[data-e="$fa"]').textContent === document.querySelector('#d-$fe td.peer-n[data-e="$fa"]').getAttribute('data-n') => true
expect document.querySelector('#graph-gov #$fa a').getAttribute('xlink:title').indexOf('in the selected range') => -1
expect document.getElementById('flow-count').textContent => "1724 shown"
EOF
HOME="$tmp/home" timeout 300 python3 "$TOP/tests/it/cdp_drive.py" "$browser" "file://$tmp/report.html" \
    "$tmp/steps" "$tmp" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --no-default-browser-check \
    --disable-extensions --user-data-dir="$tmp/profile" --host-resolver-rules="MAP * ~NOTFOUND" \
    > "$tmp/drive.out" 2>&1
rc=$?
cat "$tmp/drive.out"
case $rc in
0) ok "the page did what the clicks asked" ;;
2) echo "SKIP: chromium could not be driven: $(tail -1 "$tmp/drive.out")"; exit 77 ;;
*) fails=$((fails + $(grep -c '^FAIL' "$tmp/drive.out"))) ;;
esac
# The range the drag selected, against check over the same window: the
# flows overlapping it.
range=$(sed -n 's/^value: "\([0-9:]*\) – \([0-9:]*\) UTC selected"$/\1 \2/p' "$tmp/drive.out")
shown=$(sed -n 's/^value: "\([0-9]*\) shown"$/\1/p' "$tmp/drive.out")
if [ -n "$range" ] && [ -n "$shown" ]; then
    set -- $range
    # check's window is closed: end it a millisecond before the range's end.
    # The flows table lists what Felix always allows (neighbour discovery);
    # check lists it with --felix-always.
    n=$("$A" check "$tmp/case.db" -p "$POL/cluster" -o json --felix-always --since "2024-05-01T$1Z" \
        --until "$(($(date -u -d "2024-05-01 $2 UTC" +%s) - 1)).999" | wc -l)
    expect "range $1-$2: flows shown = check's" "$shown" "$n"
else
    fail "the drag selected no range: $(grep '^value' "$tmp/drive.out")"
fi
for s in graph traffic traffic-section zoom range range-graph; do
    [ -s "$tmp/report-cluster-$s.png" ] || fail "no $s screenshot"
done
if [ -s "$tmp/report-cluster-graph.png" ]; then
    mkdir -p "$B" && cp "$tmp"/report-cluster-*.png "$B/" && ok "screenshots kept in $B"
else
    fail "no screenshot"
fi
finish
