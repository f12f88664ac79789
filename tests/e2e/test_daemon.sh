#!/usr/bin/env bash
# End to end: the real daemon, the real BPF programs, real traffic between
# the lab's pods; assertions on the JSON lines the daemon writes.
set -u
. "$(dirname "$0")/lib.sh"
require_root_and_bpf
trap cleanup EXIT
lab_up

FRONTEND=frontend-7d9c6b5f4-x2k8p BACKEND=backend-5f6b8c7d9-q4w7e DB=db-0
COREDNS=coredns-6d4b75cb6d-k9d2x LOADGEN=loadgen-8c9d7f6b5-z3x5v
GUIDE=$E2E_REPO/policies/guide
EXAMPLE=$E2E_REPO/policies/example

from_to() { # jq condition: src pod, dst pod
	echo ".src.pod == \"$1\" and .dst.pod == \"$2\""
}

http() { # POD URL: a real HTTP request, failing fast when nothing answers
	in_pod "$1" curl -s -o /dev/null --connect-timeout 1 --max-time 3 "$2"
}

udp_send() { # POD ADDRESS PORT N: N datagrams from one unbound socket (sendto)
	in_pod "$1" python3 -c '
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[3])):
    s.sendto(b"npwatch", (sys.argv[1], int(sys.argv[2])))
' "$2" "$3" "$4"
}

# ---- staged rollout: the guide's baseline staged, nothing in force ----------------------
# Every flow its own line (--fold-window 0): v4 and v6 between the same pods
# would otherwise fold into one violation.
start_daemon -f "$LAB_MANIFESTS" --staged "$GUIDE" --fold-window 0 || exit 1
http frontend http://10.77.0.12:8080/                 # TCP v4, pod IP
http frontend "http://[fd77::12]:8080/"               # TCP v6
http backend http://10.96.0.40:5432/ || true          # through the db Service (not HTTP: fails after connect)
in_pod frontend dig +short +tries=1 +time=1 @10.96.0.10 backend.production.svc.cluster.local >/dev/null
in_pod db dig +short +tries=1 +time=1 @10.96.0.10 backend.production.svc.cluster.local >/dev/null || true
in_pod db dig +short +tries=1 +time=1 @fd96::a backend.production.svc.cluster.local >/dev/null || true
in_pod frontend dig +tcp +short +tries=1 +time=1 @fd96::a backend.production.svc.cluster.local >/dev/null
udp_send loadgen 10.77.0.10 53 5                      # unbound UDP sender
http loadgen http://10.77.0.11:8080/                  # staging probing production
curl -s -o /dev/null --connect-timeout 1 http://10.77.0.13:5432/ || true   # from the node, inbound at db
stop_daemon

expect_some "TCP v4 frontend -> backend would be denied by the staged baseline" \
	"$(from_to $FRONTEND $BACKEND) and .verdict == \"would-deny\" and .protocol == \"TCP\" and .port == 8080 and .outcome == \"established\" and .src.ip == \"10.77.0.11\" and .scope == \"staged\""
expect_some "TCP v6 frontend -> backend would be denied" \
	"$(from_to $FRONTEND $BACKEND) and .verdict == \"would-deny\" and .dst.ip == \"fd77::12\""
expect_some "explanation names the isolating staged policy" \
	"$(from_to $FRONTEND $BACKEND) and (.explanation.egress.policies | index(\"production/deny-all\"))"
expect_some "backend -> db through its Service is judged against the db pod" \
	"$(from_to $BACKEND $DB) and .verdict == \"would-deny\" and .dst.service == \"production/db\" and .dst.ip == \"10.96.0.40\" and .port == 5432"
expect_lines "DNS from app=my-app through the kube-dns Service stays allowed (allow-dns-egress)" \
	".src.pod == \"$FRONTEND\" and .dst.service == \"kube-system/kube-dns\"" 0
expect_some "DNS from db through the kube-dns Service (connected UDP) is judged against the DNS pod" \
	"$(from_to $DB $COREDNS) and .verdict == \"would-deny\" and .protocol == \"UDP\" and .port == 53 and .dst.service == \"kube-system/kube-dns\""
expect_some "DNS over IPv6 UDP to the kube-dns Service's v6 ClusterIP is judged against the DNS pod" \
	"$(from_to $DB $COREDNS) and .verdict == \"would-deny\" and .protocol == \"UDP\" and .dst.ip == \"fd96::a\" and .dst.service == \"kube-system/kube-dns\""
expect_lines "staging is not isolated: loadgen's own egress stays allowed, production's ingress would deny it" \
	"$(from_to $LOADGEN $FRONTEND) and .verdict == \"would-deny\" and .egress == \"allow\" and .ingress == \"deny\"" 1
expect_lines "an allowed flow writes no line (UDP to the DNS pod from staging)" \
	".src.pod == \"$LOADGEN\" and .dst.pod == \"$COREDNS\"" 0
expect_some "inbound accept from the node into db would be denied" \
	".direction == \"inbound\" and .src.kind == \"node\" and .dst.pod == \"$DB\" and .verdict == \"would-deny\" and .port == 5432"
expect_some "the process is named (pid, comm, cgroup in the kubepods layout)" \
	"$(from_to $FRONTEND $BACKEND) and .process.comm == \"curl\" and .process.pid > 0 and (.process.cgroup | test(\"kubepods\"))"

# ---- repeats: counted in the kernel and folded in the log -------------------------------
start_daemon -f "$LAB_MANIFESTS" --staged "$GUIDE" --all || exit 1
udp_send loadgen 10.77.0.10 53 5
udp_send loadgen fd77::10 53 3
stop_daemon
LOADGEN_TO_DNS_POD=".src.pod == \"$LOADGEN\" and .dst.pod == \"$COREDNS\" and .direction == \"outbound\""
check "eight unconnected sends (v4 and v6) from unbound sockets count eight flows, named by cgroup" \
	test "$(sum_counts "$LOADGEN_TO_DNS_POD")" -eq 8
check "... written as at most two lines: first sight, then the folded repeats" \
	test "$(count_lines "$LOADGEN_TO_DNS_POD")" -le 2
expect_some "... the first line counts one flow; the folded line says so" \
	"$LOADGEN_TO_DNS_POD and .folded == true and .count >= 1"
expect_some "--all writes allowed flows" ".verdict == \"allow\" and .src.pod == \"$LOADGEN\""

# ---- after enforcement: the guide's baseline in force --------------------------------------
# The lab drops loadgen -> db as an enforcing CNI would, and lets
# loadgen -> backend through although the policies deny both.
"$LAB" drop add loadgen db 5432/TCP >/dev/null
start_daemon -f "$LAB_MANIFESTS" -f "$GUIDE" -f "$EXAMPLE" --metrics 127.0.0.1:9464 || exit 1
in_pod loadgen socat -u /dev/null TCP:10.77.0.13:5432,connect-timeout=1 2>/dev/null &&
	not_ok "the lab's drop rule let loadgen reach db"
http loadgen http://10.77.0.12:8080/
http frontend http://10.77.0.12:8080/
wait_for_line "$DAEMON_ERR" "serving metrics on 127.0.0.1:9464" 5
curl -s --max-time 5 http://127.0.0.1:9464/metrics >"$E2E_TMP/metrics"
stop_daemon
"$LAB" drop flush >/dev/null
expect_some "denied and dropped: deny-attempt" \
	"$(from_to $LOADGEN $DB) and .verdict == \"deny-attempt\" and .outcome == \"failed\" and .scope == \"in-force\""
expect_some "denied yet established: enforcement-gap" \
	"$(from_to $LOADGEN $BACKEND) and .verdict == \"enforcement-gap\" and .outcome == \"established\""
expect_lines "allowed by the example's allow policies: no line" "$(from_to $FRONTEND $BACKEND)" 0
metric() { awk -v name="$1" '$1 == name { print $2 }' "$E2E_TMP/metrics"; }
check "--metrics serves the verdicts so far: one enforcement gap" \
	test "$(metric 'npwatch_flows_total{verdict="enforcement-gap"}')" = 1
check "... one deny attempt once its connect gave up" \
	test "$(metric 'npwatch_flows_total{verdict="deny-attempt"}')" = 1
check "... and the model's policies in force" \
	test "$(metric 'npwatch_model_policies{scope="in-force"}')" = 6
expect_lines "the accepting side does not report a flow its source's node reports" \
	".direction == \"inbound\" and .src.pod == \"$LOADGEN\"" 0

# ---- reloads: SIGHUP with a broken file keeps the last good model -----------------------
# Every flow its own line (--fold-window 0), so lines tell which model judged.
POLICIES=$E2E_TMP/policies
mkdir -p "$POLICIES"
cp "$GUIDE"/*.yaml "$POLICIES"/
start_daemon -f "$LAB_MANIFESTS" -f "$POLICIES" --fold-window 0 || exit 1
printf 'kind: NetworkPolicy\nmetadata: {name: broken, namespace: production}\nspec:\n  podSelector: [\n' \
	>"$POLICIES/zz-broken.yaml"
kill -HUP "$DAEMON_PID"
if wait_for_line "$DAEMON_ERR" "keeping the last good model" 10; then
	ok "a broken manifest on SIGHUP is refused with the reason"
else
	not_ok "a broken manifest on SIGHUP is refused with the reason"
	show_daemon_output
fi
check "the refusal names the broken file" grep -q "zz-broken.yaml" "$DAEMON_ERR"
http loadgen http://10.77.0.12:8080/
# Without the baseline nothing isolates backend's ingress any more.
rm -f "$POLICIES/zz-broken.yaml" "$POLICIES/deny-all.yaml" "$POLICIES/deny-cross-namespace.yaml"
if wait_for_line "$DAEMON_ERR" "reloaded (manifests changed)" 10; then
	ok "a fixed folder is reloaded when its files change"
else
	not_ok "a fixed folder is reloaded when its files change"
fi
http loadgen http://10.77.0.12:8080/
stop_daemon
expect_lines "the last good model judged the flow after the failed reload, the new one after the fix" \
	"$(from_to $LOADGEN $BACKEND) and .verdict == \"enforcement-gap\"" 1
check "the daemon exits 0 on SIGINT" test "$DAEMON_STATUS" -eq 0

exit $E2E_FAILED
