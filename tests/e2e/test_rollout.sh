#!/usr/bin/env bash
# End to end, the staged-rollout loop a platform team runs: the daemon
# watches the shop with the guide's baseline staged and writes snapshots;
# `report` renders them; `suggest` writes the allow policies; staged with
# them, the same traffic has nothing left that would be blocked; `diff`
# judges a policy change against what was observed.
set -u
. "$(dirname "$0")/lib.sh"
require_root_and_bpf
trap cleanup EXIT
lab_up

GUIDE=$E2E_REPO/policies/guide
REPORTS=$E2E_TMP/reports SUGGESTED=$E2E_TMP/suggested
mkdir -p "$REPORTS" "$E2E_TMP/none"

# ---- observe ---------------------------------------------------------------------------
start_daemon -f "$LAB_MANIFESTS" --staged "$GUIDE" --report-dir "$REPORTS" || exit 1
"$LAB" traffic
stop_daemon
check "the daemon wrote a snapshot at exit and said where" \
	grep -q "npwatch run: wrote $REPORTS/npwatch-lab-node-.*\.json\.gz" "$DAEMON_ERR"
SNAPSHOTS=("$REPORTS"/*.json.gz)
check "the snapshot is gzip-compressed JSON of the report format" \
	test "$(zcat "${SNAPSHOTS[0]}" | jq -r '.format + " " + (.version | tostring)')" = "npwatch-report 1"
WOULD_DENY_LINES=$(count_lines '.verdict == "would-deny"')
check "the baseline alone would block some of the shop's traffic" test "$WOULD_DENY_LINES" -gt 0

# ---- report ------------------------------------------------------------------------------
"$NPWATCH" report "$REPORTS" -o json >"$E2E_TMP/report.json" 2>"$E2E_TMP/report.err"
check "report -o json exits 0" test $? -eq 0
check "the report counts the would-deny flows the log showed" \
	test "$(jq '[.flows[] | select(.verdict == "would-deny") | .count] | add' "$E2E_TMP/report.json")" \
	-eq "$(sum_counts '.verdict == "would-deny"')"
check "frontend -> backend is in it by workload" \
	jq -e '.flows[] | select(.verdict == "would-deny" and .src.workload == "Deployment/frontend" and .dst.workload == "Deployment/backend")' \
	"$E2E_TMP/report.json" >/dev/null
"$NPWATCH" report "$REPORTS" -o html >"$E2E_TMP/report.html"
check "report -o html is a page xmllint parses" xmllint --html --noout "$E2E_TMP/report.html"
for format in text markdown; do
	"$NPWATCH" report "$REPORTS" -o "$format" >"$E2E_TMP/report.$format"
	check "report -o $format exits 0 and names the staged baseline" \
		grep -q "production/deny-all" "$E2E_TMP/report.$format"
done
printf 'not a snapshot' >"$E2E_TMP/bad.json.gz"
"$NPWATCH" report "${SNAPSHOTS[@]}" "$E2E_TMP/bad.json.gz" -o json >"$E2E_TMP/partial.json" 2>"$E2E_TMP/partial.err"
check "a bad snapshot among good ones: exit 2" test $? -eq 2
check "... the bad one is named" grep -q "bad.json.gz" "$E2E_TMP/partial.err"
check "... and the good ones are still merged" \
	test "$(jq '.flows | length' "$E2E_TMP/partial.json")" -eq "$(jq '.flows | length' "$E2E_TMP/report.json")"

# ---- suggest, stage, observe again ----------------------------------------------------------------
"$NPWATCH" suggest "$REPORTS" -f "$LAB_MANIFESTS" --staged "$GUIDE" --output-dir "$SUGGESTED" \
	>"$E2E_TMP/suggest.out" 2>"$E2E_TMP/suggest.err"
status=$?
check "suggest exits 0 with its suggestions verified by the engine" test $status -eq 0
check "... and says so" grep -q "verified:" "$E2E_TMP/suggest.err" "$E2E_TMP/suggest.out"
[ $status -eq 0 ] || sed 's/^/# /' "$E2E_TMP/suggest.err"

start_daemon -f "$LAB_MANIFESTS" --staged "$GUIDE" --staged "$SUGGESTED" || exit 1
"$LAB" traffic
stop_daemon
expect_lines "the same traffic with the suggestions staged: nothing would be blocked" \
	'.verdict == "would-deny"' 0
check "... while the baseline is still staged (it is in the model)" \
	grep -q "3 staged\|[4-9] staged\|[1-9][0-9] staged" "$DAEMON_ERR"

# ---- diff: a change judged against the observed traffic --------------------------------------------
"$NPWATCH" diff --report "$REPORTS" -f "$LAB_MANIFESTS" "$E2E_TMP/none" "$GUIDE" -o json \
	>"$E2E_TMP/diff.json" 2>"$E2E_TMP/diff.err" </dev/null
check "diff: adding the baseline to no policies would newly block observed flows (exit 1)" test $? -eq 1
check "... frontend -> backend among them" \
	jq -e '[.. | objects | select(.src? and .dst?)] | map(tostring) | any(test("frontend") and test("backend"))' \
	"$E2E_TMP/diff.json" >/dev/null
"$NPWATCH" diff --report "$REPORTS" -f "$LAB_MANIFESTS" "$GUIDE" "$GUIDE" >/dev/null 2>&1
check "diff: no change, nothing newly blocked (exit 0)" test $? -eq 0

exit $E2E_FAILED
