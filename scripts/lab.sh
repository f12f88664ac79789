#!/usr/bin/env bash
# lab — a small Kubernetes-shaped cluster on this machine, for npwatch's
# end-to-end tests and demos.
#
# Pods are network namespaces on one Linux bridge, with real IPv4 and IPv6
# addresses from the lab's own ranges; the host side of the bridge is the
# node "lab-node". Each pod's processes run in a cgroup of their own, laid
# out as kubelet lays them out (systemd driver for some pods, cgroupfs for
# the others), so npwatch names them by cgroup as on a real node. nftables
# DNATs Service ClusterIPs to their backend pods, as kube-proxy does, and
# `drop` rules stand in for an enforcing CNI. `up` also writes the matching
# Kubernetes manifests for `npwatch check|run -f`.
#
#   lab.sh up                  create it all, start the servers, write manifests
#   lab.sh down                remove everything the lab made (even a partial `up`)
#   lab.sh status              what is up; exit 0 up, 1 partly up, 3 down
#   lab.sh exec POD CMD...     run CMD in the pod's network namespace and cgroup
#   lab.sh drop add FROM TO PORT[/PROTO]   drop that traffic (after Service DNAT)
#   lab.sh drop flush          remove the drops
#   lab.sh traffic             the shop at work, once: DNS, frontend -> backend,
#                              backend -> db, the ingress controller (the node)
#                              -> frontend, and staging's loadgen probing production
#   lab.sh manifests-dir       print where `up` writes the manifests
#
# POD, FROM and TO are pods as namespace/name, or a unique prefix of that or
# of the name alone ("db", "production/back"). PROTO is TCP (default) or
# UDP. LAB_DIR (default build/lab) holds the manifests, the servers' logs and
# the pages they serve. Everything the lab creates on the host is named npw-lab*.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
LAB_DIR=$(readlink -m "${LAB_DIR:-$(dirname "$(dirname "$SELF")")/build/lab}")
readonly SELF LAB_DIR
readonly MANIFESTS="$LAB_DIR/manifests"
readonly LOCK=/run/npw-lab.lock

readonly BRIDGE=npw-lab-br
readonly NFT_TABLE="inet npw-lab"
readonly CGROUP_TOP=npw-lab # the lab's subtree of the cgroup v2 hierarchy
readonly NODE=lab-node NODE_V4=10.77.0.1 NODE_V6=fd77::1
readonly POD_NET_V4=10.77.0.0/24 POD_NET_V6=fd77::/64
readonly SERVICE_NET_V4=10.96.0.0/24 SERVICE_NET_V6=fd96::/64

# ---- the cluster -------------------------------------------------------------------------

PODS=()
declare -A NS NAME REF POD_UID V4 V6 NETNS VETH DRIVER QOS OWNER LABELS PORTS SERVER

# key namespace name uid host-octet cgroup-driver qos-class owner labels ports
define_pod() {
	local key=$1
	PODS+=("$key")
	NS[$key]=$2 NAME[$key]=$3 REF[$key]=$2/$3 POD_UID[$key]=$4
	V4[$key]=10.77.0.$5 V6[$key]=fd77::$5
	NETNS[$key]=npw-lab-$key
	VETH[$key]=npw-lab-$5 # link names are limited to 15 characters
	DRIVER[$key]=$6 QOS[$key]=$7 OWNER[$key]=$8 LABELS[$key]=$9 PORTS[$key]=${10}
}

define_pod coredns kube-system coredns-6d4b75cb6d-k9d2x 8c3f2a71-5b6e-4d09-9e14-2f7a6c0b3d51 \
	10 cgroupfs Guaranteed "ReplicaSet coredns-6d4b75cb6d" \
	"k8s-app=kube-dns pod-template-hash=6d4b75cb6d" "dns:53/UDP dns-tcp:53/TCP"
define_pod frontend production frontend-7d9c6b5f4-x2k8p 1b6e4f9a-0c2d-4e7b-a5f3-9d8c7b6a5e41 \
	11 systemd Burstable "ReplicaSet frontend-7d9c6b5f4" \
	"app=my-app component=frontend pod-template-hash=7d9c6b5f4" "http:8080/TCP"
define_pod backend production backend-5f6b8c7d9-q4w7e 4d2a8c6e-7f1b-4a3d-b9e5-0c6f2e8a4d72 \
	12 cgroupfs Burstable "ReplicaSet backend-5f6b8c7d9" \
	"app=my-app component=backend pod-template-hash=5f6b8c7d9" "http:8080/TCP"
define_pod db production db-0 9e7c5a3b-1d4f-4b6a-8c2e-5f9a7d3b1c83 \
	13 systemd Guaranteed "StatefulSet db" \
	"app=postgres component=db" "postgres:5432/TCP"
define_pod loadgen staging loadgen-8c9d7f6b5-z3x5v 6a4e2c8b-3f5d-4e1a-9b7c-8d6e4f2a0b94 \
	14 systemd BestEffort "ReplicaSet loadgen-8c9d7f6b5" \
	"app=loadgen pod-template-hash=8c9d7f6b5" ""

SERVER[coredns]=start_dns
SERVER[frontend]=start_http
SERVER[backend]=start_http
SERVER[db]=start_db

# namespace name clusterIPs selector backend-pod port... (name:port/PROTO>targetPort),
# split at any white space
SERVICES=(
	"kube-system kube-dns 10.96.0.10,fd96::a k8s-app=kube-dns coredns
		dns:53/UDP>dns dns-tcp:53/TCP>dns-tcp"
	"production frontend 10.96.0.20 app=my-app,component=frontend frontend http:80/TCP>http"
	"production backend 10.96.0.30 app=my-app,component=backend backend http:8080/TCP>8080"
	"production db 10.96.0.40 app=postgres,component=db db postgres:5432/TCP>postgres"
)

NAMESPACES=(kube-system production staging)
declare -A NS_LABELS=(
	[kube-system]=""
	[production]="environment=production team=shop"
	[staging]="environment=staging"
)

# ---- helpers -----------------------------------------------------------------------------

die() {
	echo "lab: $*" >&2
	exit 1
}

usage() {
	sed -n 's/^#   lab.sh /usage: lab.sh /p' "$SELF" >&2
	exit 2
}

need_root() {
	[ "$(id -u)" -eq 0 ] ||
		die "must run as root: it creates network namespaces, links, nftables rules and cgroups"
	local tool
	for tool in ip nft ss socat dnsmasq /usr/bin/python3 sha256sum flock setsid; do
		command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh"
	done
}

take_lock() {
	exec 9>"$LOCK"
	flock 9
}

# "name:port/PROTO>target" -> SPEC_NAME SPEC_PORT SPEC_PROTO (lower case) SPEC_TARGET
parse_port_spec() {
	local spec=$1
	SPEC_NAME=${spec%%:*} spec=${spec#*:}
	SPEC_TARGET=${spec#*>} spec=${spec%%>*}
	SPEC_PORT=${spec%/*}
	SPEC_PROTO=${spec#*/} SPEC_PROTO=${SPEC_PROTO,,}
}

# One SERVICES entry -> SVC_NS SVC_NAME SVC_IPS (space-separated) SVC_SELECTOR
# (space-separated k=v) SVC_POD (its backend's key) SVC_PORTS (port specs).
parse_service() {
	local fields
	read -r -d '' -a fields <<<"$1" || true
	SVC_NS=${fields[0]} SVC_NAME=${fields[1]} SVC_IPS=${fields[2]//,/ }
	SVC_SELECTOR=${fields[3]//,/ } SVC_POD=${fields[4]} SVC_PORTS=${fields[*]:5}
}

# Deterministic ids, so every `up` describes the same cluster.
sha_hex() { printf '%s' "$1" | sha256sum; }
uuid_of() { # text -> UUID
	local h
	h=$(sha_hex "$1")
	echo "${h:0:8}-${h:8:4}-4${h:13:3}-a${h:17:3}-${h:20:12}"
}

declare -A CONTAINER_ID CGROUP
# Fills CONTAINER_ID and CGROUP for a pod: its container's cgroup, relative
# to the cgroup2 root, as kubelet names it for its driver and QoS class.
# It sits below npw-lab/ so that it never meets a real kubelet's kubepods.
pod_cgroup() {
	local key=$1 uid=${POD_UID[$1]} qos=${QOS[$1],,} id
	[ -z "${CGROUP[$key]:-}" ] || return 0
	id=$(sha_hex "npw-lab container ${REF[$key]}")
	id=${id:0:64}
	CONTAINER_ID[$key]=$id
	if [ "${DRIVER[$key]}" = systemd ] && [ "$qos" = guaranteed ]; then
		CGROUP[$key]=kubepods.slice/kubepods-pod${uid//-/_}.slice/cri-containerd-$id.scope
	elif [ "${DRIVER[$key]}" = systemd ]; then
		CGROUP[$key]=kubepods.slice/kubepods-$qos.slice/kubepods-$qos-pod${uid//-/_}.slice
		CGROUP[$key]+=/cri-containerd-$id.scope
	elif [ "$qos" = guaranteed ]; then
		CGROUP[$key]=kubepods/pod$uid/$id
	else
		CGROUP[$key]=kubepods/$qos/pod$uid/$id
	fi
	CGROUP[$key]=/$CGROUP_TOP/${CGROUP[$key]}
}

# The cgroup v2 mount point, from the mount table (/sys/fs/cgroup on unified
# hosts, /sys/fs/cgroup/unified on hybrid ones).
cgroup2_mount() {
	local mount
	mount=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$mount" ] || die "no cgroup2 filesystem in /proc/mounts"
	printf '%b\n' "$mount" # undo the mount table's octal escapes (\040)
}

# Sets POD to the key of a pod argument: namespace/name, or a unique prefix
# of that or of the name alone.
resolve_pod() {
	local want=$1 key matches=() refs=()
	for key in "${PODS[@]}"; do
		if [ "$want" = "${REF[$key]}" ] || [ "$want" = "${NAME[$key]}" ]; then
			POD=$key
			return
		fi
		if [[ ${REF[$key]} == "$want"* || ${NAME[$key]} == "$want"* ]]; then
			matches+=("$key") refs+=("${REF[$key]}")
		fi
	done
	if [ ${#matches[@]} -eq 1 ]; then
		POD=${matches[0]}
		return
	fi
	[ ${#matches[@]} -gt 1 ] && die "'$want' matches several pods: ${refs[*]}"
	for key in "${PODS[@]}"; do refs+=("${REF[$key]}"); done
	die "no lab pod matches '$want'; the pods are ${refs[*]}"
}

# A pod's port by name ("http" -> 8080); a number stays as it is.
pod_port() {
	local key=$1 port=$2 entry
	if [[ $port =~ ^[0-9]+$ ]]; then
		echo "$port"
		return
	fi
	for entry in ${PORTS[$key]}; do
		parse_port_spec "$entry"
		if [ "$SPEC_NAME" = "$port" ]; then
			echo "$SPEC_PORT"
			return
		fi
	done
	die "pod ${REF[$key]} has no port named $port"
}

netns_exists() { [ -e "/run/netns/$1" ]; }
table_exists() { nft list table "$NFT_TABLE" >/dev/null 2>&1; }
lab_netns() { ip netns list | awk '$1 ~ /^npw-lab-/ { print $1 }'; }
lab_links() {
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); if ($2 ~ /^npw-lab-/) print $2 }'
}

# ---- up ----------------------------------------------------------------------------------

# Service traffic from a pod to a pod on the same bridge: the request goes to
# the node (the pods' route to the ClusterIPs), where kube-proxy's DNAT
# rewrites it to the backend; the backend answers the client directly,
# bridged, never passing the node's IP stack, so conntrack would not see the
# reply to undo the DNAT and the client would drop an answer from an address
# it never called. nf_call_iptables and nf_call_ip6tables on our bridge
# (br_netfilter) pass its bridged IPv4 and IPv6 traffic through the IP hooks:
# conntrack sees both directions, the reply is un-NATed, and the `drop`
# rules in the forward hook see pod-to-pod traffic after DNAT. Set on our
# bridge, not through the host-wide bridge-nf-call-* sysctls, it changes
# nothing for any other bridge. A DNATed IPv4 packet must also pass the
# route lookup as forwardable before br_netfilter bridges it on, so
# forwarding is turned on for our bridge alone (the setting goes with the
# bridge on `down`; net.ipv4.ip_forward is left as it is), and the "contain"
# chain keeps anything from being routed out of the lab. Masquerading all
# Service traffic through the node would avoid br_netfilter but hide the
# client's pod IP from the backend: the very thing NetworkPolicy judges by.
setup_bridge() {
	[ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null ||
		die "the br_netfilter module is needed and cannot be loaded"
	if [ ! -e "/sys/class/net/$BRIDGE" ]; then
		ip link add "$BRIDGE" type bridge stp_state 0 forward_delay 0
	fi
	# ClusterIPs that no rule translates stay on the lab's bridge rather than
	# follow the host's default route out.
	ip -batch - <<EOF
link set $BRIDGE type bridge nf_call_iptables 1 nf_call_ip6tables 1
addr replace $NODE_V4/24 dev $BRIDGE
addr replace $NODE_V6/64 dev $BRIDGE nodad
link set $BRIDGE up
route replace $SERVICE_NET_V4 dev $BRIDGE
route replace $SERVICE_NET_V6 dev $BRIDGE
EOF
	echo 1 >"/proc/sys/net/ipv4/conf/$BRIDGE/forwarding"
}

setup_pods_network() {
	local key
	{
		for key in "${PODS[@]}"; do
			netns_exists "${NETNS[$key]}" || echo "netns add ${NETNS[$key]}"
			[ -e "/sys/class/net/${VETH[$key]}" ] ||
				echo "link add ${VETH[$key]} type veth peer name eth0 netns ${NETNS[$key]}"
			echo "link set ${VETH[$key]} master $BRIDGE up"
			# A pod reaching its own Service is sent back out of its own port.
			echo "link set ${VETH[$key]} type bridge_slave hairpin on"
		done
	} | ip -batch -
	# Routes to the pod network and the ClusterIPs only, no default route:
	# nothing a pod sends can leave the lab.
	for key in "${PODS[@]}"; do
		ip -n "${NETNS[$key]}" -batch - <<EOF
link set lo up
addr replace ${V4[$key]}/24 dev eth0
addr replace ${V6[$key]}/64 dev eth0 nodad
link set eth0 up
route replace $SERVICE_NET_V4 via $NODE_V4
route replace $SERVICE_NET_V6 via $NODE_V6
EOF
	done
}

service_rules() { # one SERVICES entry -> nft rules
	local spec ip target match comment
	parse_service "$1"
	for spec in $SVC_PORTS; do
		parse_port_spec "$spec"
		target=$(pod_port "$SVC_POD" "$SPEC_TARGET")
		match="$SPEC_PROTO dport $SPEC_PORT"
		comment="comment \"$SVC_NS/$SVC_NAME $SPEC_NAME\""
		for ip in $SVC_IPS; do
			if [[ $ip == *:* ]]; then
				echo "ip6 daddr $ip $match dnat ip6 to [${V6[$SVC_POD]}]:$target $comment"
			else
				echo "ip daddr $ip $match dnat ip to ${V4[$SVC_POD]}:$target $comment"
			fi
		done
	done
}

# Rebuilt whole on every `up`, in one nft transaction, except the drop rules:
# they are the user's and survive a repeated `up`.
setup_nftables() {
	local service key chain rule
	{
		echo "table $NFT_TABLE {"
		echo "  chain services {}"
		echo "  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }"
		echo "  chain output { type nat hook output priority -100; policy accept; }"
		echo "  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }"
		echo "  chain contain { type filter hook forward priority filter - 1; policy accept; }"
		echo "  chain drops { type filter hook forward priority filter; policy accept; }"
		echo "}"
		for chain in services prerouting output postrouting contain; do
			echo "flush chain $NFT_TABLE $chain"
		done
		echo "add rule $NFT_TABLE prerouting iifname \"$BRIDGE\" jump services"
		echo "add rule $NFT_TABLE output jump services"
		echo "add rule $NFT_TABLE contain iifname \"$BRIDGE\" oifname != \"$BRIDGE\" drop"
		for service in "${SERVICES[@]}"; do
			while read -r rule; do
				echo "add rule $NFT_TABLE services $rule"
			done < <(service_rules "$service")
		done
		# Hairpin traffic would reach the pod from its own address, which it
		# drops: masquerade it as the node, as kube-proxy does.
		for key in "${PODS[@]}"; do
			echo "add rule $NFT_TABLE postrouting ip saddr ${V4[$key]} ip daddr ${V4[$key]} masquerade"
			echo "add rule $NFT_TABLE postrouting ip6 saddr ${V6[$key]} ip6 daddr ${V6[$key]} masquerade"
		done
	} | nft -f -
}

# dnsmasq --host-record options for every Service (name.namespace.svc) and
# every pod (its address, dashed, .namespace.pod), as cluster DNS has them.
dns_records() {
	local service key
	for service in "${SERVICES[@]}"; do
		parse_service "$service"
		echo "--host-record=$SVC_NAME.$SVC_NS.svc.cluster.local,${SVC_IPS// /,}"
	done
	for key in "${PODS[@]}"; do
		echo "--host-record=${V4[$key]//./-}.${NS[$key]}.pod.cluster.local,${V4[$key]}"
		echo "--host-record=${V6[$key]//:/-}.${NS[$key]}.pod.cluster.local,${V6[$key]}"
	done
}

# Runs "$@" in the pod as a daemon: in a session of its own, logging to
# log/<key>.log, and without the lock (fd 9) that `up` holds.
start_in_pod() {
	local key=$1
	shift
	mkdir -p "$LAB_DIR/log"
	setsid bash "$SELF" exec "${REF[$key]}" "$@" \
		</dev/null >>"$LAB_DIR/log/$key.log" 2>&1 9>&- &
}

start_http() {
	local key=$1 www="$LAB_DIR/www/$1"
	mkdir -p "$www"
	echo "npw-lab ${REF[$key]}" >"$www/index.html"
	# --bind :: listens on IPv4 too (IPV6_V6ONLY off).
	start_in_pod "$key" /usr/bin/python3 -m http.server 8080 --bind :: --directory "$www"
}

start_db() {
	start_in_pod "$1" socat TCP6-LISTEN:5432,ipv6only=0,reuseaddr,fork \
		"EXEC:echo npw-lab ${REF[$1]}"
}

start_dns() {
	local key=$1 records
	mapfile -t records < <(dns_records)
	# Answers from the lab's records only: no upstream servers, so no query
	# leaves the lab, and names under cluster.local it does not know are
	# NXDOMAIN.
	start_in_pod "$key" dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= \
		--no-resolv --no-hosts --local=/cluster.local/ "${records[@]}" \
		--bind-interfaces --listen-address="${V4[$key]}" --listen-address="${V6[$key]}" \
		--listen-address=127.0.0.1 --log-facility=- --log-queries
}

# True when the pod has a listening socket on every port it declares.
serving() {
	local key=$1 entry sockets
	[ -n "${PORTS[$key]}" ] || return 0
	sockets=$(ip netns exec "${NETNS[$key]}" ss -Hlntu 2>/dev/null) || return 1
	for entry in ${PORTS[$key]}; do
		parse_port_spec "$entry"
		grep -Eq "^$SPEC_PROTO .*:$SPEC_PORT " <<<"$sockets" || return 1
	done
}

wait_serving() {
	local key=$1 deadline=$((SECONDS + 10))
	until serving "$key"; do
		[ $SECONDS -lt $deadline ] ||
			die "${REF[$key]} does not listen on ${PORTS[$key]}; see $LAB_DIR/log/$key.log"
		sleep 0.05
	done
}

cmd_up() {
	local key mount
	need_root
	take_lock
	trap '[ $? -eq 0 ] || echo "lab: up failed; lab.sh down removes what it made" >&2' EXIT
	mkdir -p "$LAB_DIR" || die "cannot create $LAB_DIR"
	mount=$(cgroup2_mount)
	setup_bridge
	setup_pods_network
	for key in "${PODS[@]}"; do
		pod_cgroup "$key"
		mkdir -p "$mount${CGROUP[$key]}"
	done
	setup_nftables
	for key in "${PODS[@]}"; do
		[ -z "${SERVER[$key]:-}" ] || serving "$key" || "${SERVER[$key]}" "$key"
	done
	for key in "${PODS[@]}"; do wait_serving "$key"; done
	write_manifests
	echo "lab: up; manifests in $MANIFESTS"
}

# ---- manifests ---------------------------------------------------------------------------

yaml_labels() { # indent "k=v k=v"
	local kv
	for kv in $2; do echo "$1${kv%%=*}: \"${kv#*=}\""; done
}

write_namespaces() {
	local ns
	for ns in "${NAMESPACES[@]}"; do
		echo "---"
		echo "apiVersion: v1"
		echo "kind: Namespace"
		echo "metadata:"
		echo "  name: $ns"
		echo "  uid: $(uuid_of "namespace $ns")"
		echo "  labels:"
		echo "    kubernetes.io/metadata.name: \"$ns\""
		yaml_labels "    " "${NS_LABELS[$ns]}"
		echo "status:"
		echo "  phase: Active"
	done
}

write_node() {
	cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $NODE
  uid: $(uuid_of "node $NODE")
  labels:
    kubernetes.io/hostname: $NODE
    kubernetes.io/os: linux
spec:
  podCIDR: $POD_NET_V4
  podCIDRs:
  - $POD_NET_V4
  - "$POD_NET_V6"
status:
  addresses:
  - type: InternalIP
    address: $NODE_V4
  - type: InternalIP
    address: "$NODE_V6"
  - type: Hostname
    address: $NODE
EOF
}

write_pod() {
	local key=$1 kind owner container=${NAME[$1]%%-*} entry
	read -r kind owner <<<"${OWNER[$key]}"
	pod_cgroup "$key"
	echo "---"
	echo "apiVersion: v1"
	echo "kind: Pod"
	echo "metadata:"
	echo "  name: ${NAME[$key]}"
	echo "  namespace: ${NS[$key]}"
	echo "  uid: ${POD_UID[$key]}"
	echo "  labels:"
	yaml_labels "    " "${LABELS[$key]}"
	echo "  ownerReferences:"
	echo "  - apiVersion: apps/v1"
	echo "    kind: $kind"
	echo "    name: $owner"
	echo "    uid: $(uuid_of "$kind ${NS[$key]}/$owner")"
	echo "    controller: true"
	echo "    blockOwnerDeletion: true"
	echo "spec:"
	echo "  nodeName: $NODE"
	echo "  containers:"
	echo "  - name: $container"
	echo "    image: npw-lab/$container:lab"
	# Resources that give the pod the QoS class its cgroup is placed by.
	case ${QOS[$key]} in
	Guaranteed)
		echo "    resources:"
		echo "      requests: {cpu: 100m, memory: 64Mi}"
		echo "      limits: {cpu: 100m, memory: 64Mi}"
		;;
	Burstable)
		echo "    resources:"
		echo "      requests: {cpu: 50m, memory: 32Mi}"
		;;
	esac
	[ -z "${PORTS[$key]}" ] || echo "    ports:"
	for entry in ${PORTS[$key]}; do
		parse_port_spec "$entry"
		echo "    - name: $SPEC_NAME"
		echo "      containerPort: $SPEC_PORT"
		echo "      protocol: ${SPEC_PROTO^^}"
	done
	cat <<EOF
status:
  phase: Running
  qosClass: ${QOS[$key]}
  hostIP: $NODE_V4
  hostIPs:
  - ip: $NODE_V4
  - ip: "$NODE_V6"
  podIP: ${V4[$key]}
  podIPs:
  - ip: ${V4[$key]}
  - ip: "${V6[$key]}"
  containerStatuses:
  - name: $container
    containerID: containerd://${CONTAINER_ID[$key]}
    ready: true
    started: true
EOF
}

write_service() {
	local spec ip target families=()
	parse_service "$1"
	for ip in $SVC_IPS; do
		if [[ $ip == *:* ]]; then families+=(IPv6); else families+=(IPv4); fi
	done
	echo "---"
	echo "apiVersion: v1"
	echo "kind: Service"
	echo "metadata:"
	echo "  name: $SVC_NAME"
	echo "  namespace: $SVC_NS"
	echo "  uid: $(uuid_of "service $SVC_NS/$SVC_NAME")"
	echo "spec:"
	echo "  type: ClusterIP"
	echo "  selector:"
	yaml_labels "    " "$SVC_SELECTOR"
	echo "  clusterIP: \"${SVC_IPS%% *}\""
	echo "  clusterIPs:"
	for ip in $SVC_IPS; do echo "  - \"$ip\""; done
	echo "  ipFamilies:"
	for ip in "${families[@]}"; do echo "  - $ip"; done
	if [ ${#families[@]} -gt 1 ]; then
		echo "  ipFamilyPolicy: RequireDualStack"
	else
		echo "  ipFamilyPolicy: SingleStack"
	fi
	echo "  ports:"
	for spec in $SVC_PORTS; do
		parse_port_spec "$spec"
		target=$SPEC_TARGET
		[[ $target =~ ^[0-9]+$ ]] || target="\"$target\""
		echo "  - name: $SPEC_NAME"
		echo "    port: $SPEC_PORT"
		echo "    protocol: ${SPEC_PROTO^^}"
		echo "    targetPort: $target"
	done
}

# One EndpointSlice per address family of the Service, as kube's
# EndpointSlice controller writes them: each port carries the Service port's
# name and the target port resolved against the pod.
write_slices() {
	local spec ip family address service_uid slice_uid key
	parse_service "$1"
	key=$SVC_POD
	service_uid=$(uuid_of "service $SVC_NS/$SVC_NAME")
	for ip in $SVC_IPS; do
		if [[ $ip == *:* ]]; then
			family=IPv6 address=${V6[$key]}
		else
			family=IPv4 address=${V4[$key]}
		fi
		slice_uid=$(uuid_of "slice $SVC_NS/$SVC_NAME $family")
		cat <<EOF
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $SVC_NAME-${slice_uid:0:5}
  namespace: $SVC_NS
  uid: $slice_uid
  labels:
    kubernetes.io/service-name: $SVC_NAME
    endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
  ownerReferences:
  - apiVersion: v1
    kind: Service
    name: $SVC_NAME
    uid: $service_uid
    controller: true
    blockOwnerDeletion: true
addressType: $family
endpoints:
- addresses:
  - "$address"
  conditions:
    ready: true
    serving: true
    terminating: false
  nodeName: $NODE
  targetRef:
    kind: Pod
    namespace: ${NS[$key]}
    name: ${NAME[$key]}
    uid: ${POD_UID[$key]}
ports:
EOF
		for spec in $SVC_PORTS; do
			parse_port_spec "$spec"
			echo "- name: $SPEC_NAME"
			echo "  port: $(pod_port "$key" "$SPEC_TARGET")"
			echo "  protocol: ${SPEC_PROTO^^}"
		done
	done
}

# Written to a new directory that then replaces the old one, so a reader
# never sees half a cluster.
write_manifests() {
	local tmp key service
	tmp=$(mktemp -d "$LAB_DIR/.manifests.XXXXXX")
	write_namespaces >"$tmp/00-namespaces.yaml"
	write_node >"$tmp/10-node.yaml"
	for key in "${PODS[@]}"; do write_pod "$key"; done >"$tmp/20-pods.yaml"
	for service in "${SERVICES[@]}"; do write_service "$service"; done >"$tmp/30-services.yaml"
	for service in "${SERVICES[@]}"; do write_slices "$service"; done >"$tmp/40-endpointslices.yaml"
	chmod 755 "$tmp"
	rm -rf "$MANIFESTS"
	mv "$tmp" "$MANIFESTS"
}

# ---- down --------------------------------------------------------------------------------

# Kills every process of the lab: those in its cgroups (cgroup.kill takes a
# whole subtree at once where the kernel has it) and any other process in
# its network namespaces; waits until they are gone.
kill_lab_processes() {
	local top=$1 ns pids deadline=$((SECONDS + 10))
	while :; do
		pids=()
		if [ -d "$top" ]; then
			mapfile -t pids < <(find "$top" -name cgroup.procs -exec cat {} + 2>/dev/null)
		fi
		for ns in $(lab_netns); do
			mapfile -t -O ${#pids[@]} pids < <(ip netns pids "$ns" 2>/dev/null)
		done
		[ ${#pids[@]} -gt 0 ] || return 0
		[ $SECONDS -lt $deadline ] || die "processes ${pids[*]} of the lab do not exit"
		if [ -e "$top/cgroup.kill" ]; then
			echo 1 >"$top/cgroup.kill" 2>/dev/null || true
		fi
		kill -KILL "${pids[@]}" 2>/dev/null || true
		sleep 0.05
	done
}

cmd_down() {
	local top ns link
	need_root
	take_lock
	top="$(cgroup2_mount)/$CGROUP_TOP"
	kill_lab_processes "$top"
	if [ -d "$top" ]; then
		find "$top" -depth -type d -exec rmdir {} + || die "cannot remove the lab's cgroups in $top"
	fi
	if table_exists; then nft delete table "$NFT_TABLE"; fi
	# A namespace takes its end of each veth pair, and so the pair, with it.
	for ns in $(lab_netns); do ip netns delete "$ns"; done
	for link in $(lab_links); do
		# Deleting one end of a veth pair deletes the other.
		[ ! -e "/sys/class/net/$link" ] || ip link delete "$link"
	done
	rm -rf "$LAB_DIR/www"
	echo "lab: down"
}

# ---- status ------------------------------------------------------------------------------

cmd_status() {
	local key mount up=0 parts=2 state detail rules
	need_root
	mount=$(cgroup2_mount)
	if [ -e "/sys/class/net/$BRIDGE" ]; then
		up=$((up + 1))
		echo "node $NODE: bridge $BRIDGE:$(ip -br addr show dev "$BRIDGE" | awk '{ $1 = ""; print }')"
	else
		echo "node $NODE: bridge $BRIDGE absent"
	fi
	if rules=$(nft list chain "$NFT_TABLE" services 2>/dev/null); then
		up=$((up + 1))
		echo "nftables: table $NFT_TABLE, $(grep -c dnat <<<"$rules") Service rules"
	else
		echo "nftables: no Service rules in table $NFT_TABLE"
	fi
	for key in "${PODS[@]}"; do
		parts=$((parts + 1))
		pod_cgroup "$key"
		state=up detail=""
		if ! netns_exists "${NETNS[$key]}"; then
			state=down detail="no network namespace"
		elif [ ! -d "$mount${CGROUP[$key]}" ]; then
			state=down detail="no cgroup"
		elif [ -n "${PORTS[$key]}" ]; then
			detail="serving ${PORTS[$key]}"
			serving "$key" || state=down detail="not serving ${PORTS[$key]}"
		fi
		[ "$state" = down ] || up=$((up + 1))
		printf '%-4s %-38s %-11s %-9s %-8s %s\n' "$state" "${REF[$key]}" "${V4[$key]}" \
			"${V6[$key]}" "${DRIVER[$key]}" "$detail"
		echo "     cgroup ${CGROUP[$key]}"
	done
	if rules=$(nft list chain "$NFT_TABLE" drops 2>/dev/null); then
		sed -n 's/.*comment "\(.*\)".*/drop \1/p' <<<"$rules" | sort -u
	fi
	echo "manifests: $MANIFESTS"
	if [ "$up" -eq "$parts" ]; then
		echo "lab: up"
	elif [ "$up" -eq 0 ]; then
		echo "lab: down"
		return 3
	else
		echo "lab: partly up ($up of $parts parts); run lab.sh up or lab.sh down"
		return 1
	fi
}

# ---- exec --------------------------------------------------------------------------------

cmd_exec() {
	local cgroup
	[ $# -ge 2 ] || usage
	need_root
	resolve_pod "$1"
	shift
	pod_cgroup "$POD"
	cgroup="$(cgroup2_mount)${CGROUP[$POD]}"
	if [ ! -d "$cgroup" ] || ! netns_exists "${NETNS[$POD]}"; then
		die "pod ${REF[$POD]} is not up: run lab.sh up"
	fi
	# Join the pod's cgroup first: `ip netns exec` then execs the command in
	# this same process, so the command starts out in both.
	echo $$ >"$cgroup/cgroup.procs"
	exec ip netns exec "${NETNS[$POD]}" "$@"
}

# ---- drop --------------------------------------------------------------------------------

cmd_drop_add() {
	local from to port=${3%%/*} proto=TCP label rule
	[[ $3 != */* ]] || proto=${3#*/} proto=${proto^^}
	if ! [[ $port =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
		die "bad port '$port' in '$3': want PORT[/PROTO], e.g. 8080/TCP"
	fi
	[[ $proto == TCP || $proto == UDP ]] || die "bad protocol '$proto' in '$3': want TCP or UDP"
	resolve_pod "$1"
	from=$POD
	resolve_pod "$2"
	to=$POD
	take_lock
	table_exists || die "the lab is not up: run lab.sh up"
	label="${REF[$from]} -> ${REF[$to]} $port/$proto"
	if nft list chain "$NFT_TABLE" drops | grep -qF "comment \"$label\""; then
		echo "lab: already dropping $label"
		return
	fi
	rule="${proto,,} dport $port counter drop comment \"$label\""
	nft -f - <<EOF
add rule $NFT_TABLE drops ip saddr ${V4[$from]} ip daddr ${V4[$to]} $rule
add rule $NFT_TABLE drops ip6 saddr ${V6[$from]} ip6 daddr ${V6[$to]} $rule
EOF
	echo "lab: dropping $label"
}

cmd_drop() {
	need_root
	case "${1:-}" in
	add)
		[ $# -eq 4 ] || usage
		cmd_drop_add "$2" "$3" "$4"
		;;
	flush)
		[ $# -eq 1 ] || usage
		take_lock
		table_exists || die "the lab is not up: run lab.sh up"
		nft flush chain "$NFT_TABLE" drops
		echo "lab: no drops"
		;;
	*) usage ;;
	esac
}

# Real clients against the lab's real servers, through the Services as the
# workloads would. Blocked traffic fails fast (short timeouts) and is not an
# error here: seeing it is the point.
cmd_traffic() {
	need_root
	local ex=("$SELF" exec) i
	for i in 1 2 3; do
		"${ex[@]}" frontend dig +short +tries=1 +time=1 @10.96.0.10 backend.production.svc.cluster.local >/dev/null || true
		"${ex[@]}" frontend curl -s -o /dev/null --connect-timeout 1 http://10.96.0.30:8080/ || true
		"${ex[@]}" backend dig +short +tries=1 +time=1 @10.96.0.10 db.production.svc.cluster.local >/dev/null || true
		"${ex[@]}" backend socat -u /dev/null TCP:10.96.0.40:5432,connect-timeout=1 2>/dev/null || true
		curl -s -o /dev/null --connect-timeout 1 http://${V4[frontend]}:8080/ || true
	done
	"${ex[@]}" backend dig +tcp +short +tries=1 +time=1 @10.96.0.10 db.production.svc.cluster.local >/dev/null || true
	"${ex[@]}" loadgen dig +short +tries=1 +time=1 @10.96.0.10 frontend.production.svc.cluster.local >/dev/null || true
	"${ex[@]}" loadgen curl -s -o /dev/null --connect-timeout 1 http://10.96.0.20/ || true
	"${ex[@]}" loadgen curl -s -o /dev/null --connect-timeout 1 http://${V4[backend]}:8080/ || true
}

subcommand=${1:-}
[ $# -eq 0 ] || shift
case "$subcommand" in
up) [ $# -eq 0 ] || usage; cmd_up ;;
down) [ $# -eq 0 ] || usage; cmd_down ;;
status) [ $# -eq 0 ] || usage; cmd_status ;;
exec) cmd_exec "$@" ;;
drop) cmd_drop "$@" ;;
manifests-dir) [ $# -eq 0 ] || usage; echo "$MANIFESTS" ;;
traffic) [ $# -eq 0 ] || usage; cmd_traffic ;;
*) usage ;;
esac
