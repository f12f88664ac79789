#!/usr/bin/env bash
# bench — speed and memory of npwatch, as ratios measured in one run.
#
#  - the engine on synthetic clusters of growing size (build/bench/bench_engine);
#  - the cost the kernel programs add to the workloads they watch: loopback
#    TCP connects and UDP sends, without and with `npwatch run` attached
#    (build/bench/bench_datapath; needs root).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build

"$BUILD/bench/bench_engine"
echo

if [ "$(id -u)" -ne 0 ]; then
	echo "datapath: skipped, it needs root to attach the BPF programs" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'kill -INT "$daemon" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

"$BUILD/bench/bench_datapath" >"$work/without"
"$BUILD/npwatch" run -f "$REPO/examples/shop-cluster.yaml" -f "$REPO/policies" \
	--log "$work/log.jsonl" 2>"$work/daemon.err" &
daemon=$!
until grep -q "npwatch run: watching" "$work/daemon.err"; do
	kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.err" >&2; exit 1; }
	sleep 0.1
done
"$BUILD/bench/bench_datapath" >"$work/with"
kill -INT "$daemon"
wait "$daemon" || true

value() { awk -v key="$1" '$1 == key { print $2 }' "$2"; }
echo "datapath: loopback, ns per operation, without and with npwatch attached"
for key in tcp_connect_ns udp_sendto_ns; do
	without=$(value $key "$work/without") with=$(value $key "$work/with")
	awk -v k="$key" -v a="$without" -v b="$with" \
		'BEGIN { printf "  %-16s %8d %8d   ratio %.2fx\n", k, a, b, b / a }'
done
grep "npwatch run: stopped" "$work/daemon.err" | sed 's/^/  /'
