#!/usr/bin/env bash
# End to end: `npwatch report` and `npwatch diff` as a user runs them, on
# snapshot files written here in the documented format (gzip-compressed
# JSON): merging nodes and intervals, the four formats (the HTML checked
# with xmllint as HTML and as XML), the filters, ready to enforce, a
# corrupt snapshot named and left out, and every kind of bad usage. Needs
# no root.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli.sh"

SNAP=$E2E_TMP/snapshots
mkdir -p "$SNAP"

# An HTML page is long: a failure shows its start.
REPORT_STDOUT_LINES=60

# want_re REGEX: a line of stdout matches the extended regular expression.
want_re() { grep -qE -- "$1" "$OUT" || PROBLEMS+=("stdout matches no line: $1"); }

# ---- snapshots ---------------------------------------------------------------

pod() { printf '{"kind": "pod", "namespace": "%s", "workload": "%s"}' "$1" "$2"; }
world() { printf '{"kind": "world", "workload": "%s", "ip": "%s"}' "$1" "$1"; }

# flow SRC DST PORT VERDICT COUNT FIRST LAST DENIED_BY SRC_POD DST_POD
flow() {
	local denied=[] src_pods=[] dst_pods=[]
	[ -n "$8" ] && denied="[\"$8\"]"
	[ -n "$9" ] && src_pods="[\"$9\"]"
	[ -n "${10}" ] && dst_pods="[\"${10}\"]"
	printf '{"src": %s, "dst": %s, "service": null, "port": %s, "protocol": "TCP",
	  "verdict": "%s", "denied_by": %s, "rules_used": [], "count": %s,
	  "first_seen": "%s", "last_seen": "%s", "sample_src_pods": %s,
	  "sample_dst_pods": %s, "sample_processes": ["curl"]}' \
		"$1" "$2" "$3" "$4" "$denied" "$5" "$6" "$7" "$src_pods" "$dst_pods"
}

# snapshot FILE NODE START END LOST FLOW...
snapshot() {
	local file=$1 node=$2 start=$3 end=$4 lost=$5
	shift 5
	local flows
	flows=$(IFS=,; echo "$*")
	printf '{"format": "npwatch-report", "version": 1, "node": "%s",
	  "start": "%s", "end": "%s",
	  "coverage": {"observations": 500, "ringbuf_lost": %s, "socket_map_lost": 0,
	    "dedup_map_lost": 0, "undecodable": 0, "tracker_lost": 0, "aggregate_overflow": 0},
	  "policies": [
	    {"namespace": "production", "name": "deny-all", "staged": true,
	     "file": "policies/guide/deny-all.yaml", "rules": []},
	    {"namespace": "production", "name": "allow-db", "staged": false,
	     "file": "policies/example/allow-db.yaml",
	     "rules": [{"direction": "ingress", "index": 0, "admits_pods": 2, "admits_ports": 1}]}],
	  "flows": [%s]}' "$node" "$start" "$end" "$lost" "$flows" | gzip >"$file"
}

LOADGEN_END=$(pod staging Deployment/loadgen)
BACKEND_END=$(pod production Deployment/backend)
FRONTEND_END=$(pod production Deployment/frontend)
LOADGEN_TO_BACKEND_1=$(flow "$LOADGEN_END" "$BACKEND_END" 8080 would-deny 5 \
	2024-05-01T00:00:00Z 2024-05-01T01:00:00Z production/deny-all "$LOADGEN" "$BACKEND")
LOADGEN_TO_BACKEND_2=$(flow "$LOADGEN_END" "$BACKEND_END" 8080 would-deny 7 \
	2024-05-01T20:00:00Z 2024-05-01T21:00:00Z production/deny-all "$LOADGEN" "$BACKEND")
FRONTEND_TO_BACKEND=$(flow "$FRONTEND_END" "$BACKEND_END" 8080 allow 40 \
	2024-05-01T00:00:00Z 2024-05-02T00:00:00Z "" "$FRONTEND" "$BACKEND")
FRONTEND_TO_WORLD=$(flow "$FRONTEND_END" "$(world 192.0.2.7)" 443 deny-attempt 2 \
	2024-05-01T05:00:00Z 2024-05-01T06:00:00Z production/deny-all "$FRONTEND" "")

# Two nodes, two intervals each: the same flow in both of node-1's merges.
snapshot "$SNAP/node-1-a.json.gz" node-1 2024-05-01T00:00:00Z 2024-05-01T12:00:00Z 0 \
	"$LOADGEN_TO_BACKEND_1" "$FRONTEND_TO_BACKEND"
snapshot "$SNAP/node-1-b.json.gz" node-1 2024-05-01T12:00:00Z 2024-05-02T00:00:00Z 0 \
	"$LOADGEN_TO_BACKEND_2"
snapshot "$SNAP/node-2-a.json.gz" node-2 2024-05-01T00:00:00Z 2024-05-02T00:00:00Z 0 \
	"$FRONTEND_TO_WORLD"
snapshot "$E2E_TMP/lossy.json.gz" node-3 2024-05-01T00:00:00Z 2024-05-02T00:00:00Z 9
echo "not a snapshot" | gzip >"$E2E_TMP/corrupt.json.gz"
ALL=("$SNAP/node-1-a.json.gz" "$SNAP/node-1-b.json.gz" "$SNAP/node-2-a.json.gz")

# ---- help --------------------------------------------------------------------

run report --help
want_rc 0
for option in "-o, --output FORMAT" "-n, --namespace NS" "--verdict V" "--since T" "--until T" \
	"--quiet-for D" "Exit status:"; do
	want_out "$option"
done
want_empty err
run diff --help
want_rc 0
for option in "-r, --report FILE" "-f, --filename PATH" "-o, --output FORMAT" "OLD, NEW" \
	"Exit status: 0 nothing newly blocked, 1"; do
	want_out "$option"
done
run --help
want_out "report"
want_out "diff"
report "report --help and diff --help name every option"

# ---- merging and the text form -----------------------------------------------

run report "${ALL[@]}"
want_rc 0
want_empty err
want_out "npwatch report: 2024-05-01T00:00:00Z .. 2024-05-02T00:00:00Z (24h), 2 nodes, \
1500 observations"
want_re "^  node-1 +2024-05-01T00:00:00Z  2024-05-02T00:00:00Z +1000 "
want_re "^  all nodes +2024-05-01T00:00:00Z  2024-05-02T00:00:00Z +1500 "
want_not out "WARNING"
want_re "^  would-deny +staging/Deployment/loadgen +production/Deployment/backend +8080/TCP +12 \
 2024-05-01T00:00:00Z  2024-05-01T21:00:00Z  production/deny-all$"
want_out "Samples: $LOADGEN -> $BACKEND (curl)"
want_re "^  deny-attempt +production/Deployment/frontend +192.0.2.7 "
want_not out "allow "
want_re "^  production/allow-db +spec.ingress\[0\] +2 pods +1 port$"
report "snapshots of two nodes and two intervals merge: counts summed, first and last kept"

run report "${ALL[@]}"
want_re "^  namespace production \(1 policy\) +no-go +12 +1 +1 "
want_re "^  production/deny-all +no-go +12 +1 +1  2024-05-01T00:00:00Z  2024-05-01T21:00:00Z +0$"
want_out "Why: would-deny 3h before the end, within the 24h quiet period"
run report --quiet-for 2h "${ALL[@]}"
want_rc 0
want_re "^  production/deny-all +go +12 "
want_out "Why: no would-deny in the last 2h"
report "ready to enforce: no-go within --quiet-for, go after it"

run report "${ALL[@]}" "$E2E_TMP/lossy.json.gz" --quiet-for 2h
want_rc 0
want_out "WARNING: 9 events were lost (ring buffer 9): counts are lower bounds"
want_out "Why: 9 events lost: would-deny flows may have gone unseen"
want_not out " go "
report "lost events: a warning up front, and no-go everywhere"

run report "$SNAP"
want_rc 0
want_out "2 nodes, 1500 observations"
report "a folder stands for the snapshots in it"

# ---- formats -----------------------------------------------------------------

run report -o json "${ALL[@]}"
want_rc 0
want_json '.format == "npwatch-report" and (.nodes | length) == 2'
want_json '[.flows[] | select(.verdict == "would-deny")][0].count == 12'
want_json '(.ready_to_enforce.rows | length) == 2 and (.ready_to_enforce.rows[1].go == false)'
want_json '.ready_to_enforce.rows[1] | .policy == "deny-all" and .would_deny == 12'
want_json '(.unused_rules | length) == 1 and .unused_rules[0].policy == "production/allow-db"'
want_json '.over_broad_rules == []'
report "-o json: the merged report and the analyses"

run report -o markdown "${ALL[@]}"
want_rc 0
want_out "## npwatch report"
want_out "| Verdict | Source | Destination | Port | Count | First seen | Last seen | \
Policies at fault | Samples |"
want_out "| would-deny | staging/Deployment/loadgen | production/Deployment/backend | \
8080/TCP | 12 |"
report "-o markdown: tables for a pull request comment"

run report -o html "${ALL[@]}"
want_rc 0
cp "$OUT" "$E2E_TMP/report.html"
xmllint --html --noout "$E2E_TMP/report.html" >"$E2E_TMP/lint" 2>&1 ||
	PROBLEMS+=("xmllint --html failed")
[ ! -s "$E2E_TMP/lint" ] || PROBLEMS+=("xmllint --html: $(head -3 "$E2E_TMP/lint")")
xmllint --noout "$E2E_TMP/report.html" >"$E2E_TMP/lint" 2>&1 || PROBLEMS+=("xmllint (XML) failed")
[ ! -s "$E2E_TMP/lint" ] || PROBLEMS+=("xmllint: $(head -3 "$E2E_TMP/lint")")
# production, staging and the world: nine cells.
[ "$(grep -o '<rect class="cell"' "$OUT" | wc -l)" -eq 9 ] || PROBLEMS+=("not 9 heat map cells")
grep -q "staging → production: 12 would-deny in 1 flow" "$OUT" ||
	PROBLEMS+=("no staging → production cell")
report "-o html: one page that parses as HTML and as XML, a cell per namespace pair"

# ---- filters -----------------------------------------------------------------

run report --verdict allow "${ALL[@]}"
want_rc 0
want_out "FLOWS (allow)"
want_re "^  allow +production/Deployment/frontend +production/Deployment/backend +8080/TCP +40 "
want_not out "staging/Deployment/loadgen"
run report --verdict all -o json "${ALL[@]}"
want_json '(.flows | length) == 3'
run report --namespace staging -o json "${ALL[@]}"
want_json '(.flows | length) == 1 and .flows[0].src.namespace == "staging"'
run report --until 2024-05-01T04:00:00Z -o json "${ALL[@]}"
want_json '[.flows[].verdict] == ["would-deny"]'
want_json '.ready_to_enforce.window_end == "2024-05-01T04:00:00Z"'
run report --since 2024-05-01T05:30:00+00:00 --until 2024-05-01T20:00:00Z -o json "${ALL[@]}"
want_json '[.flows[].verdict] == ["would-deny", "deny-attempt"]'
run report --since 2024-05-01T21:30:00Z -o json "${ALL[@]}"
want_json '.flows == []'
run report --since 2h "${ALL[@]}"
want_out "FLOWS (would-deny, deny-attempt, enforcement-gap, deny)"
want_out "filters: since "
report "--verdict, --namespace, --since and --until select the flows"

# ---- bad input ---------------------------------------------------------------

run report "${ALL[@]}" "$E2E_TMP/corrupt.json.gz"
want_rc 2
want_err "$E2E_TMP/corrupt.json.gz"
want_err "(skipped)"
want_err "1 snapshot could not be read"
want_out "2 nodes, 1500 observations"
report "a corrupt snapshot is named and left out; the others are shown; exit 2"

run report "$E2E_TMP/corrupt.json.gz" "$E2E_TMP/missing.json.gz"
want_rc 2
want_err "$E2E_TMP/missing.json.gz"
want_err "no snapshot could be read"
want_empty out
report "no readable snapshot: exit 2 and nothing on stdout"

usage() { # MESSAGE ARGS...
	local message=$1
	shift
	run "$@"
	want_rc 2
	want_err "$message"
	want_err "Try 'npwatch ${1} --help'."
}
usage "no snapshots: give at least one FILE" report
usage "-o pdf: expected text, markdown, json or html" report -o pdf "${ALL[@]}"
usage "--verdict maybe: expected allow, would-deny" report --verdict maybe "${ALL[@]}"
usage "--since yesterday: expected RFC 3339" report --since yesterday "${ALL[@]}"
usage "--until 2024-05-01: expected RFC 3339" report --until 2024-05-01 "${ALL[@]}"
usage "--quiet-for 0s: expected a duration" report --quiet-for 0s "${ALL[@]}"
usage "is after --until" report --since 2024-05-02T00:00:00Z --until 2024-05-01T00:00:00Z \
	"${ALL[@]}"
report "usage errors: exit 2, what is wrong, and a pointer to --help"

# ---- diff --------------------------------------------------------------------

# Namespace isolation proposed for production: loadgen's calls from staging
# to the backend would be newly blocked, frontend's stay allowed.
mkdir -p "$E2E_TMP/before" "$E2E_TMP/after"
cp "$E2E_REPO/policies/guide/deny-cross-namespace.yaml" "$E2E_TMP/after/"
run diff -r "$SNAP/node-1-a.json.gz" -r "$SNAP/node-1-b.json.gz" -f "$SHOP" \
	"$E2E_TMP/before" "$E2E_TMP/after"
want_rc 1
want_out "npwatch diff: 2 observed flows (52 observations) judged"
want_out "NEWLY BLOCKED: 1 flow, 12 observations"
want_out "staging/Deployment/loadgen -> production/Deployment/backend 8080/TCP: 12 observations"
want_out "blocked by production/deny-cross-namespace"
want_out "NEWLY OPENED: none"
run diff -r "$SNAP/node-1-a.json.gz" -r "$SNAP/node-1-b.json.gz" -f "$SHOP" -o json \
	"$E2E_TMP/after" "$E2E_TMP/before"
want_rc 0
want_json '(.newly_blocked | length) == 0 and (.newly_opened | length) == 1'
want_json '.newly_opened[0].policies == ["production/deny-cross-namespace"]'
report "diff: newly blocked exits 1, only newly opened exits 0"

exit "$E2E_FAILED"
