#!/bin/sh
# conformance.sh: the NetworkPolicy conformance corpus (np-guard/
# netpol-analyzer's examples) replayed through `podflow-analyze check` by
# $B/conform (tests/conformance/conform.c): every example passes, or its
# differences are the documented ones (tests/conformance/KNOWN_DIFFERENCES.md).
# Then controls on a mutated copy of the corpus, so that the checker is shown
# able to fail: a changed port in a connlist, a changed rule number in an
# explanation, and a changed expectation for a hostNetwork pod (which the
# pod-model replay must catch); and one that it classifies an ipBlock
# matching a pod address as that documented difference, and only that probe.
set -u
# The corpus is the repository's sibling shared/ (as CI lays it out), or
# $PODFLOW_CONFORMANCE; a missing corpus fails: it must not pass unseen.
corpus=${PODFLOW_CONFORMANCE:-$TOP/../shared/conformance/netpol}
[ -f "$corpus/INDEX.tsv" ] || { echo "FAIL: conformance corpus not found ($corpus/INDEX.tsv; it is the repository's sibling shared/, or set PODFLOW_CONFORMANCE)"; exit 1; }
PODFLOW_CONFORMANCE=$corpus; export PODFLOW_CONFORMANCE
C="$B/conform"; A="$B/podflow-analyze"
case "$C" in /*) ;; *) C="$TOP/$C"; A="$TOP/$A" ;; esac
[ -x "$C" ] && [ -x "$A" ] || { echo "FAIL: $C or $A not built"; exit 1; }
CONFORM_DERIVED="$TOP/tests/conformance/derived"; export CONFORM_DERIVED
tmp=$(mktemp -d "${TMPDIR:-/tmp}/podflow-conf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

PODFLOW_CONFORMANCE=$corpus "$C" "$A" > "$tmp/out" 2>&1; rc=$?
cat "$tmp/out"
[ $rc -eq 0 ] || { echo "FAIL: conformance exited $rc"; fails=$((fails + 1)); }
grep -q '^conformance: [0-9]* passed, 0 failed$' "$tmp/out" || { echo "FAIL: no clean summary line"; fails=$((fails + 1)); }

# negative controls
m="$tmp/mut"; mkdir -p "$m"
for e in onlineboutique semanticDiff-same-topologies-old1 netpol-analysis-example-minimal; do
    cp -r "$corpus/$e" "$m/"
done
head -1 "$corpus/INDEX.tsv" > "$m/INDEX.tsv"
grep -E '^(onlineboutique|semanticDiff-same-topologies-old1|netpol-analysis-example-minimal)	' "$corpus/INDEX.tsv" >> "$m/INDEX.tsv"
sed -i 's/ : TCP 7070$/ : TCP 7071/' "$m/onlineboutique/expected/connlist.txt"
sed -i 's/TCP 9090$/TCP 9091/' "$m/netpol-analysis-example-minimal/expected/connlist.txt"
sed -i 's/by Ingress rule #1$/by Ingress rule #2/' "$m/onlineboutique/expected/explain.txt"
sed -i 's#^\(demo/cog-agents-account-query\[DaemonSet\] => demo/cog-agents-bank-ui\[DaemonSet\]\) : TCP 8080$#\1 : TCP 8081#' \
    "$m/semanticDiff-same-topologies-old1/expected/connlist.txt"
# A positive control for the ipBlock-pod class: frontend and backend (pods
# at synthetic 198.18.0.x addresses) both gain an ipBlock 198.18.0.0/15 rule
# for TCP 7777.  Calico allows frontend => backend TCP 7777 through it;
# netpol-analyzer's model would not (ipBlock never matches a pod), so the
# golden file keeps denying it, and only the external segment gains the port.
x="$m/ipblock-control"; cp -r "$corpus/netpol-analysis-example-minimal" "$x"
printf 'ipblock-control\tcore\n' >> "$m/INDEX.tsv"
cat >> "$x/resources/netpols.yaml" <<'YAML'
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-out-7777
spec:
  podSelector:
    matchLabels:
      app: frontend
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 198.18.0.0/15}}]
    ports: [{port: 7777, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: backend-in-7777
spec:
  podSelector:
    matchLabels:
      app: backendservice
  ingress:
  - from: [{ipBlock: {cidr: 198.18.0.0/15}}]
    ports: [{port: 7777, protocol: TCP}]
YAML
cat >> "$x/expected/connlist.txt" <<'EOF2'
default/frontend[Deployment] => 198.18.0.0-198.19.255.255[External] : TCP 7777,UDP 53
198.18.0.0-198.19.255.255[External] => default/backend[Deployment] : TCP 7777
EOF2
PODFLOW_CONFORMANCE=$m "$C" "$A" > "$tmp/mut.out" 2>&1; rc=$?
sed 's/^/control: /' "$tmp/mut.out" | grep -v '^control:     '
[ $rc -eq 1 ] || { echo "FAIL: the mutated corpus did not fail (exit $rc)"; fails=$((fails + 1)); }
check() {
    if grep -q "$2" "$tmp/mut.out"; then echo "ok: control $1"; else echo "FAIL: control $1: no '$2'"; fails=$((fails + 1)); fi
}
check "connlist port" '^FAIL onlineboutique: .* [1-9][0-9]* fail'
check "connlist port (deployments)" '^FAIL netpol-analysis-example-minimal: .* [1-9][0-9]* fail'
check "explain rule number" '^FAIL onlineboutique: .*explain: [0-9]* compared, [1-9][0-9]* mismatched'
check "hostNetwork pod model" '^FAIL semanticDiff-same-topologies-old1: .*hostNetwork as pods: [0-9]* agree ([0-9]* through ipBlock-pod), [1-9][0-9]* do not'
check "ipBlock-pod class" '^DOC  ipblock-control: .*ipBlock-pod 1), 0 fail'
check "summary" '^conformance: 1 passed, 3 failed$'

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
