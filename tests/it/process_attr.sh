#!/bin/sh
# process_attr.sh: process attribution on a live capture.  Two pods on a
# bridge (network namespaces behind veths, 198.18.0.0/15): curl in one asks
# a Python HTTP server in the other, which accepts 0.5 s late (the first
# polls find its end unaccepted and must ask again) and takes 2 s to
# answer, so that the helper's poll finds both sockets open.
# flows_named must give src_comm curl and dst_comm python3 with their pids
# (as the node numbers them), the sockets table their namespace, and the
# captures row what was looked for.  The same again under -Z nobody (the
# helper keeps only CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH),
# and --no-process records no socket.  Root only (SKIP otherwise).
set -u
. "${TOP:-.}/tests/it/identity_lib.inc"
PY=/usr/bin/python3
need_root curl
[ -x "$PY" ] || skip "needs $PY (make deps)"

NS_C=pfpc$RUN
NS_S=pfps$RUN
IF_C=$(printf 'veth%07x00c1' "$RUN")
IF_S=$(printf 'veth%07x00c2' "$RUN")
# The helper finds a flow's namespace by address among all the machine's,
# and says nothing when two hold it: a subnet of this run's own, so that
# a run beside it (another checkout's make test) is never taken for ours.
BR_NET=198.19.$((RUN % 250)); export BR_NET
IP_C=$BR_NET.21
IP_S=$BR_NET.22

bridge_node
bridge_pod "$NS_C" "$IP_C" "$IF_C"
bridge_pod "$NS_S" "$IP_S" "$IF_S"
wait_ping "$NS_C" "$IP_S"

# GET /slow is answered after 2 s, anything else at once.
cat > "$TMP/server.py" <<'EOF'
import http.server, sys, time
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(2)
        body = b"x" * 1000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    # Accept half a second late: the server's end waits in the accept
    # queue, a socket no process holds yet, when the capture first asks.
    def get_request(self):
        time.sleep(0.5)
        return super().get_request()
Server((sys.argv[1], 8080), Handler).serve_forever()
EOF
# Not through a shell function: $! must be python3 itself (ip netns exec
# execs it in place).
ip netns exec "$NS_S" "$PY" "$TMP/server.py" "$IP_S" > "$TMP/http.log" 2>&1 &
SRV_PID=$!
IT_PIDS="$IT_PIDS $SRV_PID"
i=0
until in_ns "$NS_C" curl -s -o /dev/null "http://$IP_S:8080/"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "the HTTP server does not answer: $(cat "$TMP/http.log")"
    sleep 0.2
done

# round DB SPORT CAPTURE-ARGS...: one capture, one slow request from
# source port SPORT; sets CURL_PID.
round() {
    DB=$1
    sport=$2
    shift 2
    capture_start -i 'veth*' "$@"
    ip netns exec "$NS_C" curl -s -o /dev/null --local-port "$sport" "http://$IP_S:8080/slow" &
    CURL_PID=$!
    wait $CURL_PID || fail "curl failed"
    sleep 1.5 # the helper's next re-poll sees the sockets close
    capture_stop
}

check_round() {
    expect "$1: flows_named names both processes" \
        "$(q "SELECT DISTINCT src_pid, src_comm, dst_pid, dst_comm FROM flows_named
              WHERE src_port = $2 AND dst_port = 8080")" "$CURL_PID curl $SRV_PID python3"
    expect "$1: no container here, and NULL says so" \
        "$(q "SELECT DISTINCT quote(src_container) || quote(dst_container) FROM flows_named
              WHERE src_port = $2")" "NULLNULL"
    expect "$1: the sockets' namespaces are the pods'" \
        "$(q "SELECT group_concat(netns, ' ') FROM (SELECT netns FROM sockets
              WHERE (local_port = $2 OR remote_port = $2) ORDER BY local_port)")" \
        "$(stat -L -c %i /run/netns/"$NS_S") $(stat -L -c %i /run/netns/"$NS_C")"
    expect "$1: the sockets closed during the capture" \
        "$(q "SELECT count(*) FROM sockets WHERE (local_port = $2 OR remote_port = $2)
              AND valid_to_ns IS NOT NULL AND pid IS NOT NULL AND processes = 1")" 2
    expect "$1: the captures row counts the ends looked for" \
        "$(q "SELECT sockets_sought >= 2, sockets_unattributed <= sockets_sought - 2,
              flows_unsought FROM captures ORDER BY id DESC LIMIT 1")" "1 1 0"
}

round "$TMP/a.db" 40123
check_round "root" 40123

# The analyzer shows them: check's JSON, --explain, -o wide, the report's
# flows table.
[ -x "$ANA" ] || fail "no $ANA"
cat > "$TMP/allow.yaml" <<EOF
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-all}
spec:
  selector: all()
  types: [Ingress, Egress]
  ingress: [{action: Allow}]
  egress: [{action: Allow}]
EOF
"$ANA" check "$DB" -p "$TMP/allow.yaml" --format json > "$TMP/check.jsonl" || fail "check: $?"
line=$(grep '"src_port":40123' "$TMP/check.jsonl" | head -1)
expect "check JSON: the source's process" \
    "$(echo "$line" | grep -o '"src_process":{"pid":[0-9]*,"processes":1,"comm":"curl"')" \
    "\"src_process\":{\"pid\":$CURL_PID,\"processes\":1,\"comm\":\"curl\""
expect "check JSON: the destination's process" \
    "$(echo "$line" | grep -o '"dst_process":{"pid":[0-9]*,"processes":1,"comm":"python3"')" \
    "\"dst_process\":{\"pid\":$SRV_PID,\"processes\":1,\"comm\":\"python3\""
"$ANA" check "$DB" -p "$TMP/allow.yaml" --explain > "$TMP/explain.txt" || fail "check --explain"
grep -q "process: curl (pid $CURL_PID) -> python3 (pid $SRV_PID)" "$TMP/explain.txt" ||
    { cat "$TMP/explain.txt"; fail "--explain does not name the processes"; }
echo "ok: --explain names both processes"
"$ANA" check "$DB" -p "$TMP/allow.yaml" -o wide > "$TMP/wide.txt" || fail "check -o wide"
grep -q " TCP/8080  *curl\[$CURL_PID\]  *python3\[$SRV_PID\] " "$TMP/wide.txt" ||
    { cat "$TMP/wide.txt"; fail "-o wide does not name the processes"; }
echo "ok: -o wide names both processes"
"$ANA" report "$DB" -p "$TMP/allow.yaml" -o "$TMP/report.html" > /dev/null 2>&1 ||
    fail "report"
grep -q "curl (pid $CURL_PID)" "$TMP/report.html" || fail "the report's flows table has no process"
echo "ok: the report's flows table names the processes"

round "$TMP/z.db" 40124 -Z nobody
check_round "-Z nobody" 40124
grep -q . "$TMP/cap.err" && { cat "$TMP/cap.err"; fail "-Z: the capture complained"; }

round "$TMP/n.db" 40125 --no-process
expect "--no-process: no socket, NULL processes" \
    "$(q "SELECT (SELECT count(*) FROM sockets), count(*), count(src_pid) FROM flows_named
          WHERE src_port = 40125 AND dst_port = 8080")" "0 2 0"
echo "PASS"
