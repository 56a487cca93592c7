#!/bin/sh
# report_browser.sh: the HTML report in a real browser.  Debian's chromium,
# headless, loads the seed case's report from disk with every background
# service off, every host name unresolvable and a fresh profile; the test
# asserts that graphviz's SVG rendered with the red engine -> core edge,
# that the page's script ran (CSP allows inline script, nothing else), that
# the browser refused nothing, and that its network log holds no URL but
# the file itself.  The screenshot (the red edge selected) is kept as
# $B/report-browser.png.
. "$TOP/tests/it/analyze_lib.inc"
[ -d "$POL/fme-current" ] || { echo "SKIP: tests/fixtures/policies/fme-current not present"; exit 77; }

browser=
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { browser=$(command -v "$c"); break; }
done
if [ -z "$browser" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: chromium is not installed and installing it needs root (apt-get install chromium)"
        exit 77
    fi
    echo "installing chromium (apt-get install -y chromium)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > "$tmp/apt.log" 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq > /dev/null 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > "$tmp/apt.log" 2>&1 || {
            echo "SKIP: chromium cannot be installed: $(tail -1 "$tmp/apt.log")"; exit 77; }
    fi
    browser=$(command -v chromium) || { echo "SKIP: chromium installed but not on PATH"; exit 77; }
fi

make_case "$tmp/case.db"
"$A" report "$tmp/case.db" -p "$POL/fme-current" --out "$tmp/report.html"
expect "report exit" $? 0

# run NAME ARGS...: chromium on the report with a fresh profile and its
# network log in $tmp/NAME.netlog.json; stdout in $tmp/NAME.out.
run() {
    name=$1; shift
    HOME="$tmp/home-$name" timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --no-default-browser-check --disable-extensions \
        --user-data-dir="$tmp/profile-$name" --host-resolver-rules="MAP * ~NOTFOUND" \
        --log-net-log="$tmp/$name.netlog.json" --net-log-capture-mode=Everything \
        --enable-logging=stderr --v=0 \
        "$@" "file://$tmp/report.html${frag:-}" > "$tmp/$name.out" 2> "$tmp/$name.err"
}

run dom --dump-dom
expect "chromium --dump-dom exit" $? 0
dom="$tmp/dom.out"
grep -q '<svg' "$dom" && ok "the SVG graph is in the DOM" || fail "no <svg> in the DOM"
# The denied edge: graphviz's <g class="edge edge-deny">, titled with its
# ends, labelled with the pool ports, stroked red.
awk '/class="edge edge-deny"/ { on = 1 } on { print } on && /<\/g>/ && ++n == 2 { exit }' "$dom" > "$tmp/edge.txt"
grep -q 'fme/engine-standard-group -&gt; fme/core' "$tmp/edge.txt" \
    && ok "red edge engine -> core" || fail "no denied edge engine -> core: $(head -3 "$tmp/edge.txt")"
grep -q '42001–42002' "$tmp/edge.txt" && ok "red edge labelled 42001-42002" || fail "edge label missing"
grep -q 'stroke="#d0312d"' "$tmp/edge.txt" && ok "edge stroked red" || fail "edge not red"
expect "denied edges" "$(grep -c 'class="edge edge-deny"' "$dom")" 1
expect "allowed edges" "$(grep -c 'class="edge edge-allow"' "$dom")" 4
# The page's script ran: it wrote the flow count.
grep -q '<span id="flow-count" class="hint">7 shown</span>' "$dom" \
    && ok "inline script ran" || fail "inline script did not run (flow-count not set)"
# Nothing refused by the CSP, nothing fetched.
if grep -q 'Refused to' "$tmp/dom.err"; then fail "CSP refused something: $(grep -m1 'Refused to' "$tmp/dom.err")"
else ok "no CSP violation"; fi

# Selecting the red edge (what a click does; page.html#edge-ID does the
# same on load) opens its panel and filters the flows table to its flows.
eid=$(sed -n 's/.*<g id="\(e[0-9]*\)" class="edge edge-deny".*/\1/p' "$dom" | head -1)
frag="#edge-$eid" run pick --dump-dom
if grep -q "<div class=\"edge-detail\" id=\"d-$eid\">" "$tmp/pick.out"; then ok "edge $eid: panel shown"
else fail "edge $eid: panel not shown"; fi
grep -q '<span id="flow-count" class="hint">2 shown</span>' "$tmp/pick.out" \
    && ok "edge $eid: table filtered to its 2 flows" || fail "edge $eid: table not filtered"
expect "other panels hidden" "$(grep -c '<div class="edge-detail" id="d-e[0-9]*" hidden' "$tmp/pick.out")" 4

frag="#edge-$eid" run shot --screenshot="$tmp/shot.png" --window-size=1400,1800 --hide-scrollbars
expect "chromium --screenshot exit" $? 0
if [ -s "$tmp/shot.png" ]; then
    mkdir -p "$B" && cp "$tmp/shot.png" "$B/report-browser.png" && ok "screenshot kept as $B/report-browser.png"
else
    fail "no screenshot"
fi

# page_requests NAME: the initiators of requests a page started in run
# NAME's network log (one line per request).  Chromium itself (component updater, time and account
# checks) keeps trying the network even with background networking off;
# those requests are browser-initiated ("initiator":"not an origin") and
# never resolve (--host-resolver-rules), while anything the page asks for
# carries the page's origin ("null" for a file:// page).
page_requests() {
    grep -o '"initiator":"[^"]*"' "$tmp/$1.netlog.json" | grep -v '"not an origin"'
}

# The check can fail: a control page without the CSP that loads an image
# from a host name (mapped to NOTFOUND, so nothing leaves the machine).
cat > "$tmp/control.html" <<'HTML'
<!DOCTYPE html><html><body><img src="http://podflow-control.invalid/x.png"></body></html>
HTML
cp "$tmp/report.html" "$tmp/report.saved" && cp "$tmp/control.html" "$tmp/report.html"
run control --dump-dom
cp "$tmp/report.saved" "$tmp/report.html"
if page_requests control | grep -q '"initiator":"null"' &&
    grep -q 'podflow-control.invalid/x.png' "$tmp/control.netlog.json"; then
    ok "control: a page's fetch is seen in the network log"
else
    fail "control: the network-log check does not see a page's fetch"
fi

for n in dom pick shot; do
    log="$tmp/$n.netlog.json"
    [ -s "$log" ] || { fail "$n: no network log written"; continue; }
    reqs=$(page_requests "$n" | head -5)
    if [ -n "$reqs" ]; then fail "$n: the page made network requests (initiators: $reqs)"
    else ok "$n: the page made no network request"; fi
done
finish
