# cli.sh — shared by the end-to-end tests of the commands that need no root
# (check, lint, report, suggest); sourced after lib.sh.
#
# A test runs npwatch with run, gathers what is wrong with the answer with
# want_*, then prints one TAP line with report.

# No lab and no daemon: the temporary folder is all there is to clean up.
trap 'rm -rf "$E2E_TMP"' EXIT
require_npwatch

OUT=$E2E_TMP/out
ERR=$E2E_TMP/err
PROBLEMS=()

# The example cluster, the policies written for it, and pods of it the tests name.
SHOP=$E2E_REPO/examples/shop-cluster.yaml
POLICIES=$E2E_REPO/policies
FRONTEND=production/frontend-7d9c6b5f4-x2k8p
BACKEND=production/backend-5f6b8c7d9-q4w7e
DB=production/db-0
LOADGEN=staging/loadgen-8c9d7f6b5-z3x5v
COREDNS_1=kube-system/coredns-6d4b75cb6d-k9d2x
COREDNS_2=kube-system/coredns-6d4b75cb6d-p5l8h

# run ARGS...: runs npwatch with no input; stdout, stderr and status kept.
run() {
	"$NPWATCH" "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}

# run_input FILE ARGS...: the same with FILE on stdin.
run_input() {
	local input=$1
	shift
	"$NPWATCH" "$@" >"$OUT" 2>"$ERR" <"$input"
	RC=$?
}

want_rc() { [ "$RC" -eq "$1" ] || PROBLEMS+=("exit status $RC, want $1"); }
want_out() { grep -qF -- "$1" "$OUT" || PROBLEMS+=("stdout lacks: $1"); }
want_err() { grep -qF -- "$1" "$ERR" || PROBLEMS+=("stderr lacks: $1"); }
want_first_line() {
	[ "$(head -n 1 "$OUT")" = "$1" ] || PROBLEMS+=("first line is not: $1")
}
want_last_line() {
	[ "$(tail -n 1 "$OUT")" = "$1" ] || PROBLEMS+=("last line is not: $1")
}
want_not() { # out|err TEXT
	local file=$OUT
	[ "$1" = err ] && file=$ERR
	! grep -qF -- "$2" "$file" || PROBLEMS+=("std$1 has: $2")
}
want_empty() { # out|err
	local file=$OUT
	[ "$1" = err ] && file=$ERR
	[ ! -s "$file" ] || PROBLEMS+=("std$1 is not empty")
}

# want_json FILTER: jq FILTER over the JSON document on stdout is true.
want_json() { want_jq_true "$1"; }
# want_json_lines FILTER: jq FILTER over the JSON lines on stdout, slurped
# into an array (jq -s), is true.
want_json_lines() { want_jq_true "$1" -s; }
want_jq_true() { # FILTER [JQ_OPTION]
	local result
	result=$(jq ${2:+"$2"} "$1" "$OUT" 2>&1)
	[ "$result" = true ] || PROBLEMS+=("jq ${2:+$2 }'$1' gave ${result:-nothing}")
}

# report NAME: the TAP line for the problems gathered since the last one. A
# failure lists them, then stdout (only its first $REPORT_STDOUT_LINES lines
# where a script sets that) and stderr.
report() {
	if [ ${#PROBLEMS[@]} -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   %s\n' "${PROBLEMS[@]}"
		awk -v max="${REPORT_STDOUT_LINES:-0}" 'max && NR > max { exit }
			{ print "#   stdout: " $0 }' "$OUT"
		sed 's/^/#   stderr: /' "$ERR"
	fi
	PROBLEMS=()
}
