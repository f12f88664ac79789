#!/usr/bin/env bash
# demo — npwatch's main job on the built-in lab, no cluster needed.
#
# A staged zero-trust rollout, with real traffic between the lab's pods and
# the real daemon watching:
#   1. stage the guide's baseline alone (deny-all, allow-dns-egress,
#      deny-cross-namespace): npwatch shows what it would break, and writes
#      an observation-window report (HTML, text);
#   2. stage it with the shop's hand-written allow policies: only the traffic
#      meant to be blocked (staging probing production) is left;
#   3. stage it with the allow policies `npwatch suggest` wrote from the
#      report instead: nothing observed is left blocked.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
NPWATCH=$REPO/build/npwatch
LAB=$REPO/scripts/lab.sh
OUT=$REPO/build/demo
DAEMON_PID=

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (it builds network namespaces and loads BPF programs)" >&2
	exit 1
fi

cleanup() {
	[ -z "$DAEMON_PID" ] || kill -INT "$DAEMON_PID" 2>/dev/null || true
	"$LAB" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

# One line per violation, as it comes; repeats folded by the daemon come
# back as one line with their count.
pretty() {
	jq --unbuffered -r '
		def name_of: if .kind == "pod" then "\(.namespace)/\(.pod)" elif .kind == "node" then "node \(.node // .ip)" else .ip end;
		def at(dir; what): if .[dir] == "deny" then ["\(what) by \(.explanation[dir].policies | join(", "))"] else [] end;
		"\(.src | name_of) -> \(.dst | name_of)" as $flow
		| if .folded then "  " + " " * 16 + "... and \(.count) more of \($flow) \(.protocol)/\(.port)"
		  else "  \(.verdict | . + " " * (15 - length)) \(.protocol)/\(.port)  \($flow)"
		       + (if .dst.service then " (via service \(.dst.service))" else "" end)
		       + "\n  " + " " * 16 + "blocked: " + ((at("egress"; "egress") + at("ingress"; "ingress")) | join("; "))
		  end'
}

# observe NAME STAGED...: runs the daemon with these staged, makes the
# traffic, stops it; the lines land in $OUT/NAME.jsonl, the snapshots of its
# observation window in $OUT/NAME.reports/.
observe() {
	local name=$1 staged=() path
	shift
	for path in "$@"; do staged+=(--staged "$path"); done
	: >"$OUT/$name.jsonl"
	: >"$OUT/$name.log"
	rm -rf "$OUT/$name.reports"
	mkdir -p "$OUT/$name.reports"
	"$NPWATCH" run --node lab-node -f "$("$LAB" manifests-dir)" "${staged[@]}" \
		--report-dir "$OUT/$name.reports" >"$OUT/$name.jsonl" 2>"$OUT/$name.log" &
	DAEMON_PID=$!
	until grep -q "npwatch run: watching" "$OUT/$name.log"; do
		kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$OUT/$name.log" >&2; exit 1; }
		inotifywait -qq -t 1 -e modify "$OUT/$name.log" || true
	done
	tail -n +1 -f --pid="$DAEMON_PID" "$OUT/$name.jsonl" | pretty &
	local printer=$!
	"$LAB" traffic
	kill -INT "$DAEMON_PID"
	wait "$DAEMON_PID" || true
	DAEMON_PID=
	wait "$printer" || true
}

summary() { # FILE
	local n
	n=$(jq -s 'map(select(.verdict == "would-deny")) | length' "$1")
	if [ "$n" -eq 0 ]; then
		echo "  no would-be-blocked flows"
		return
	fi
	jq -s -r '
		def name_of: if .kind == "pod" then "\(.namespace)/\(.pod | sub("-[a-z0-9]{8,10}-[a-z0-9]{5}$"; ""))" elif .kind == "node" then "node" else .ip end;
		map(select(.verdict == "would-deny"))
		| group_by([(.src | name_of), (.dst | name_of), .port, .protocol])
		| map("  \(map(.count) | add | tostring | " " * (4 - length) + .)x  \(.[0].src | name_of) -> \(.[0].dst | name_of) \(.[0].port)/\(.[0].protocol)")
		| .[]' "$1"
}

mkdir -p "$OUT"
say "Bringing up the lab: production (frontend, backend, db), kube-system (DNS), staging (loadgen)"
"$LAB" up | sed 's/^/  /'

say "Step 1: stage the guide's baseline alone (policies/guide/) and watch the shop work"
observe step1 "$REPO/policies/guide"
say "Would be blocked by the baseline alone (flows, grouped by workload):"
summary "$OUT/step1.jsonl"

say "Step 2: stage the baseline with the shop's allow policies (policies/example/)"
observe step2 "$REPO/policies/guide" "$REPO/policies/example"
say "Would be blocked now (flows, grouped by workload):"
summary "$OUT/step2.jsonl"

"$NPWATCH" report "$OUT/step1.reports" -o html >"$OUT/report.html"
"$NPWATCH" report "$OUT/step1.reports" -o text >"$OUT/report.txt"

say "Step 3: let npwatch write the allow policies from step 1's report (npwatch suggest)"
rm -rf "$OUT/suggested"
"$NPWATCH" suggest "$OUT/step1.reports" -f "$("$LAB" manifests-dir)" --staged "$REPO/policies/guide" \
	--output-dir "$OUT/suggested" 2>&1 | sed 's/^/  /'
observe step3 "$REPO/policies/guide" "$OUT/suggested"
say "Would be blocked with the suggestions staged (flows, grouped by workload):"
summary "$OUT/step3.jsonl"
echo "  (review them before applying: they admit what was observed, the staging probe too)"

say "Results"
echo "  observation-window report of step 1: $OUT/report.html (and report.txt)"
echo "  suggested policies:                  $OUT/suggested/"
echo "  the daemon's JSON lines:             $OUT/step1.jsonl, step2.jsonl, step3.jsonl"
