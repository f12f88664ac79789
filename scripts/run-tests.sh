#!/usr/bin/env bash
# Runs test programs and prints one closing line: "N passed, M failed".
#
# Unit tests are cmocka binaries; end-to-end tests are scripts that print
# TAP-style "ok - name" / "not ok - name" lines. Counts are of test cases, not
# of programs; a program that crashes or exits non-zero without reporting a
# failure counts as one failed case, so nothing fails silently.
set -u
suite=$1; shift
passed=0 failed=0
failures=()

count_cases() { # file, pattern
	grep -cE "$2" "$1" || true
}

for test in "$@"; do
	name=$test
	case "$test" in
	*/tests-san/*) name="$test (asan+ubsan)" ;;
	esac
	log=$(mktemp)
	if [[ $test == *.sh ]]; then
		bash "$test" >"$log" 2>&1
	else
		"$test" >"$log" 2>&1
	fi
	rc=$?
	if [[ $test == *.sh ]]; then
		ok=$(count_cases "$log" '^ok ')
		bad=$(count_cases "$log" '^not ok ')
	else
		ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	fi
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$bad" -ne 0 ]; then
		failures+=("$name")
		echo "FAIL $name ($ok passed, $bad failed, exit $rc)"
		sed 's/^/    /' "$log"
	else
		echo "PASS $name ($ok passed)"
	fi
	rm -f "$log"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed programs:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
