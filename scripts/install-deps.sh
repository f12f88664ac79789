#!/usr/bin/env bash
# Installs the Debian packages npwatch needs to build, test and run its lab.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
	# build
	build-essential pkg-config clang llvm bpftool
	libbpf-dev libelf-dev zlib1g-dev libjansson-dev libyaml-dev libcurl4-openssl-dev
	# tests
	libcmocka-dev jq libxml2-utils
	# the lab: namespaces, veth, bridge, NAT and real clients and servers
	iproute2 nftables iptables socat curl bind9-dnsutils inotify-tools dnsmasq-base python3 procps
)

missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or install them with apt-get" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
