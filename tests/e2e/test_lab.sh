#!/usr/bin/env bash
# End-to-end test of the lab (scripts/lab.sh): real traffic between its pods
# by pod IP, ClusterIP and DNS over IPv4 and IPv6, the cgroup every pod's
# processes land in, drops that stand in for an enforcing CNI, the
# manifests, a repeated `up`, and a `down` that leaves nothing behind.
# Needs root. Prints TAP lines "ok - ..." / "not ok - ...".
set -u
cd "$(dirname "$0")/../.." || exit 1

LAB=scripts/lab.sh
LAB_DIR=$(mktemp -d /tmp/npw-lab-test.XXXXXX)
export LAB_DIR
failed=0

ok() { echo "ok - $1"; }
not_ok() {
	local line
	echo "not ok - $1"
	failed=$((failed + 1))
	[ -z "${2:-}" ] || while IFS= read -r line; do echo "#   $line"; done <<<"$2"
}

# expect NAME PATTERN CMD...: CMD succeeds and its output matches PATTERN
# (an extended regular expression).
expect() {
	local name=$1 pattern=$2 out
	shift 2
	if out=$("$@" 2>&1) && grep -Eq -- "$pattern" <<<"$out"; then
		ok "$name"
	else
		not_ok "$name" "$* -> $out"
	fi
}

# expect_fail NAME PATTERN CMD...: CMD fails and its output matches PATTERN.
expect_fail() {
	local name=$1 pattern=$2 out
	shift 2
	if ! out=$("$@" 2>&1) && grep -Eq -- "$pattern" <<<"$out"; then
		ok "$name"
	else
		not_ok "$name" "$* -> $out"
	fi
}

in_pod() { "$LAB" exec "$@"; }
http() { in_pod "$1" curl -sS --max-time 3 -g "$2"; }
tcp() { in_pod "$1" socat -T3 - "$2" </dev/null; }
dns() { in_pod "$1" dig +short +time=2 +tries=1 "${@:2}"; }
# A connection that must not get through: it times out, as a dropped SYN does.
http_times_out() {
	local rc
	in_pod "$1" curl -sS --connect-timeout 1 -g "$2" >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 28 ] || { echo "curl exit status $rc, want 28 (timeout)"; return 1; }
}
dns_times_out() {
	in_pod "$1" dig +time=1 +tries=1 "${@:2}" >/dev/null 2>&1 && return 1
	return 0
}

cgroup2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

# What `down` must leave: nothing of the lab's anywhere.
leftovers() {
	ip netns list | grep npw-lab
	ip -o link show | grep -o 'npw-lab[^:@ ]*'
	nft list tables | grep npw-lab
	[ ! -e "$cgroup2/npw-lab" ] || echo "cgroup $cgroup2/npw-lab"
	local cgroup pid state
	while read -r cgroup; do
		pid=${cgroup#/proc/} pid=${pid%/cgroup}
		# Gone since, or a zombie, which only waits for its parent to
		# collect its exit status.
		state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] || echo "process $pid: $(ps -o args= -p "$pid")"
	done < <(grep -l ':/npw-lab/' /proc/[0-9]*/cgroup 2>/dev/null)
	ip route show 10.96.0.0/24
	ip -6 route show fd96::/64
}

cleanup() {
	"$LAB" down >/dev/null 2>&1
	rm -rf "$LAB_DIR"
}

if [ "$(id -u)" -ne 0 ]; then
	not_ok "running as root (the lab creates network namespaces, links, nftables rules and cgroups)"
	exit 1
fi
ok "running as root"
trap cleanup EXIT

# ---- up ----------------------------------------------------------------------------------

"$LAB" down >/dev/null 2>&1
start=$SECONDS
expect "up" "lab: up" "$LAB" up
expect "status says up" "^lab: up" "$LAB" status
echo "# up took $((SECONDS - start))s"

FRONTEND=production/frontend-7d9c6b5f4-x2k8p
BACKEND=production/backend-5f6b8c7d9-q4w7e
DB=production/db-0
COREDNS=kube-system/coredns-6d4b75cb6d-k9d2x
LOADGEN=staging/loadgen-8c9d7f6b5-z3x5v

# ---- traffic -----------------------------------------------------------------------------

expect "TCP to frontend by pod IP" "$FRONTEND" http loadgen http://10.77.0.11:8080/
expect "TCP to backend by pod IP" "$BACKEND" http loadgen http://10.77.0.12:8080/
expect "TCP to db by pod IP (socat)" "$DB" tcp loadgen TCP:10.77.0.13:5432
expect "TCP to frontend by ClusterIP, port 80 -> named targetPort" "$FRONTEND" \
	http loadgen http://10.96.0.20/
expect "TCP to backend by ClusterIP" "$BACKEND" http frontend http://10.96.0.30:8080/
expect "TCP to db by ClusterIP (socat)" "$DB" tcp backend TCP:10.96.0.40:5432
expect "TCP over IPv6 to frontend by pod IP" "$FRONTEND" http loadgen 'http://[fd77::11]:8080/'
expect "TCP over IPv6 to db by pod IP (socat)" "$DB" tcp frontend 'TCP6:[fd77::13]:5432'
expect "a pod reaches itself through its Service (hairpin)" "$FRONTEND" \
	http frontend http://10.96.0.20/
expect "the node reaches a ClusterIP" "$BACKEND" curl -sS --max-time 3 http://10.96.0.30:8080/
expect_fail "pods have no route out of the lab" "unreachable" \
	in_pod loadgen ip route get 10.1.2.3

expect "DNS over UDP via 10.96.0.10" "^10\.96\.0\.30$" \
	dns loadgen @10.96.0.10 backend.production.svc.cluster.local A
expect "DNS over TCP via 10.96.0.10" "^10\.96\.0\.40$" \
	dns loadgen +tcp @10.96.0.10 db.production.svc.cluster.local A
expect "DNS over UDP via fd96::a, AAAA" "^fd96::a$" \
	dns frontend @fd96::a kube-dns.kube-system.svc.cluster.local AAAA
expect "DNS over TCP via fd96::a" "^10\.96\.0\.20$" \
	dns backend +tcp @fd96::a frontend.production.svc.cluster.local A
expect "DNS names pods" "^10\.77\.0\.13$" \
	dns loadgen @10.96.0.10 10-77-0-13.production.pod.cluster.local A
expect "DNS answers NXDOMAIN for unknown cluster names" "status: NXDOMAIN" \
	in_pod loadgen dig +time=2 +tries=1 @10.96.0.10 nothere.production.svc.cluster.local

# ---- cgroups -----------------------------------------------------------------------------

# The pod's UID, QoS class and container id as the manifests give them.
manifest_field() { # pod-name field
	awk -v pod="$1" -v field="$2" '
		/^---/ { this = 0 }
		$0 == "  name: " pod { this = 1 }
		this && $0 ~ "^ *" field ": " { sub("^ *" field ": ", ""); print; exit }
	' "$LAB_DIR/manifests/20-pods.yaml"
}

# Where kubelet would put the pod's container, for its cgroup driver.
expected_cgroup() { # pod-name driver
	local uid qos cid scope
	uid=$(manifest_field "$1" uid) qos=$(manifest_field "$1" qosClass)
	cid=$(manifest_field "$1" containerID) cid=${cid#containerd://}
	qos=${qos,,} scope=cri-containerd-$cid.scope
	case "$2/$qos" in
	systemd/guaranteed) echo "/npw-lab/kubepods.slice/kubepods-pod${uid//-/_}.slice/$scope" ;;
	systemd/*)
		echo "/npw-lab/kubepods.slice/kubepods-$qos.slice/kubepods-$qos-pod${uid//-/_}.slice/$scope"
		;;
	cgroupfs/guaranteed) echo "/npw-lab/kubepods/pod$uid/$cid" ;;
	cgroupfs/*) echo "/npw-lab/kubepods/$qos/pod$uid/$cid" ;;
	esac
}

check_placement() { # key pod-name driver
	local key=$1 name=$2 driver=$3 pid want got netns i qos
	want=$(expected_cgroup "$name" "$driver") qos=$(manifest_field "$name" qosClass)
	"$LAB" exec "$key" sleep 30 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && break
		sleep 0.02
	done
	got=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
	netns=$(ip netns identify "$pid" 2>/dev/null)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ -n "$want" ] && [ "$got" = "$want" ] && [ "$netns" = "npw-lab-$key" ]; then
		ok "exec puts the process in $name's netns and cgroup ($driver, $qos)"
	else
		not_ok "exec puts the process in $name's netns and cgroup ($driver)" \
			"cgroup $got, want $want; netns $netns, want npw-lab-$key"
	fi
}

check_placement frontend frontend-7d9c6b5f4-x2k8p systemd
check_placement db db-0 systemd
check_placement loadgen loadgen-8c9d7f6b5-z3x5v systemd
check_placement backend backend-5f6b8c7d9-q4w7e cgroupfs
check_placement coredns coredns-6d4b75cb6d-k9d2x cgroupfs

# ---- drops -------------------------------------------------------------------------------

expect "drop add loadgen -> frontend 8080/TCP" "dropping $LOADGEN -> $FRONTEND 8080/TCP" \
	"$LAB" drop add loadgen frontend 8080/tcp
expect "a dropped connection times out, by ClusterIP" "" http_times_out loadgen http://10.96.0.20/
expect "a dropped connection times out, by pod IPv6" "" \
	http_times_out loadgen 'http://[fd77::11]:8080/'
expect "a drop leaves other traffic alone" "$BACKEND" http loadgen http://10.96.0.30:8080/
expect "drop add loadgen -> coredns 53/UDP" "dropping" "$LAB" drop add staging/ kube 53/UDP
expect "drop add of a rule in place adds nothing" "already dropping" \
	"$LAB" drop add "$LOADGEN" "$COREDNS" 53/udp
expect "a dropped DNS query over UDP gets no answer" "" \
	dns_times_out loadgen @10.96.0.10 db.production.svc.cluster.local
expect "status lists the drops" "drop $LOADGEN -> $COREDNS 53/UDP" "$LAB" status
expect "drop flush" "no drops" "$LAB" drop flush
expect "after drop flush the connection works again" "$FRONTEND" http loadgen http://10.96.0.20/
expect "after drop flush DNS works again" "^10\.96\.0\.40$" \
	dns loadgen @10.96.0.10 db.production.svc.cluster.local

# ---- manifests ---------------------------------------------------------------------------

expect "manifests-dir honours LAB_DIR" "^$LAB_DIR/manifests$" "$LAB" manifests-dir
if [ -x build/npwatch ]; then
	expect "npwatch loads the manifests: a Service by named targetPort" \
		"\"backend\":\"$FRONTEND\".*\"target_port\":8080" \
		build/npwatch check -f "$LAB_DIR/manifests" -o json \
		--from "$LOADGEN" --to production/frontend --port 80 --protocol TCP
	expect "npwatch loads the manifests: the IPv6 ClusterIP of kube-dns" \
		"\"backend\":\"$COREDNS\".*\"target_port\":53" \
		build/npwatch check -f "$LAB_DIR/manifests" -o json \
		--from "$LOADGEN" --to fd96::a --port 53 --protocol UDP
else
	counts=$(cat "$LAB_DIR"/manifests/*.yaml | grep -E '^kind: ' | sort | uniq -c |
		tr -s ' ' | paste -sd,)
	want=" 5 kind: EndpointSlice, 3 kind: Namespace, 1 kind: Node, 5 kind: Pod, 4 kind: Service"
	if [ "$counts" = "$want" ] && ! grep -qP '\t' "$LAB_DIR"/manifests/*.yaml; then
		ok "manifests hold every object (structural check; build/npwatch is not built)"
	else
		not_ok "manifests hold every object" "$counts"
	fi
fi

# ---- up again ----------------------------------------------------------------------------

server_pids() {
	local ns
	for ns in coredns frontend backend db; do ip netns pids "npw-lab-$ns"; done | sort
}
pids_before=$(server_pids)
rules_before=$(nft list table inet npw-lab)
"$LAB" drop add loadgen backend 8080/TCP >/dev/null
expect "up a second time" "lab: up" "$LAB" up
if [ "$(server_pids)" = "$pids_before" ] && [ -n "$pids_before" ]; then
	ok "a second up keeps the running servers"
else
	not_ok "a second up keeps the running servers" "before: $pids_before; after: $(server_pids)"
fi
rules_after=$(nft list table inet npw-lab | grep -v 'drop comment')
if [ "$rules_after" = "$rules_before" ]; then
	ok "a second up leaves the same rules"
else
	not_ok "a second up leaves the same rules" "$(diff <(echo "$rules_before") <(echo "$rules_after"))"
fi
expect "a second up keeps the drops" "drop $LOADGEN -> $BACKEND 8080/TCP" "$LAB" status
expect "still serving after a second up" "$DB" tcp loadgen TCP:10.96.0.40:5432

# ---- errors ------------------------------------------------------------------------------

expect_fail "exec names the pods when none matches" "no lab pod matches 'nginx'.*$DB" \
	"$LAB" exec nginx true
expect_fail "exec refuses an ambiguous pod prefix" "several pods" "$LAB" exec production/ true
expect_fail "drop add refuses a bad port" "bad port" "$LAB" drop add loadgen db 99999/TCP
expect_fail "drop add refuses a bad protocol" "bad protocol" "$LAB" drop add loadgen db 5432/ICMP
expect_fail "unknown subcommand prints usage" "usage: lab.sh" "$LAB" sideways
expect_fail "refuses to run without root" "must run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups bash "$LAB" status

# ---- down --------------------------------------------------------------------------------

expect "down" "lab: down" "$LAB" down
left=$(leftovers)
if [ -z "$left" ]; then
	ok "down leaves no namespace, link, rule, route, cgroup or process"
else
	not_ok "down leaves no namespace, link, rule, route, cgroup or process" "$left"
fi
expect_fail "status says down" "^lab: down" "$LAB" status
expect_fail "exec while the lab is down" "is not up: run lab.sh up" "$LAB" exec db true
expect_fail "drop add while the lab is down" "not up: run lab.sh up" \
	"$LAB" drop add loadgen db 5432/TCP

# A partial `up`: some of everything, and a process in a lab cgroup.
ip netns add npw-lab-frontend
ip link add npw-lab-br type bridge
ip link add npw-lab-11 type veth peer name npw-lab-99
nft add table inet npw-lab
partial_cgroup=$cgroup2/npw-lab/kubepods/besteffort/pod-partial
mkdir -p "$partial_cgroup"
(echo "$BASHPID" >"$partial_cgroup/cgroup.procs" && exec sleep 60) &
disown
ip netns exec npw-lab-frontend sleep 60 &
disown
expect_fail "status after a partial up says partly up" "partly up" "$LAB" status
expect "down after a partial up" "lab: down" "$LAB" down
left=$(leftovers)
if [ -z "$left" ]; then
	ok "down after a partial up leaves nothing"
else
	not_ok "down after a partial up leaves nothing" "$left"
fi

echo "# $failed failed"
[ "$failed" -eq 0 ]
