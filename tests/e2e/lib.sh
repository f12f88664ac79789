# lib.sh — shared by the end-to-end tests: TAP output, the lab, the daemon.
#
# Tests print "ok - NAME" or "not ok - NAME" lines; scripts/run-tests.sh
# counts them. A test that needs root or BPF and cannot have it fails: it
# never passes by skipping.

E2E_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NPWATCH=$E2E_REPO/build/npwatch
LAB=$E2E_REPO/scripts/lab.sh
E2E_TMP=$(mktemp -d /tmp/npwatch-e2e.XXXXXX)
E2E_FAILED=0
DAEMON_PID=

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	E2E_FAILED=1
}

# check NAME COMMAND...: one TAP line from a command's status.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

require_root_and_bpf() {
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "end-to-end tests need root (they load BPF programs and build network namespaces)"
		exit 1
	fi
	if [ ! -r /sys/kernel/btf/vmlinux ]; then
		not_ok "end-to-end tests need kernel BTF at /sys/kernel/btf/vmlinux"
		exit 1
	fi
	require_npwatch
}

require_npwatch() {
	if [ ! -x "$NPWATCH" ]; then
		not_ok "build/npwatch is missing: run make first"
		exit 1
	fi
}

lab_up() {
	if ! "$LAB" up >"$E2E_TMP/lab-up.log" 2>&1; then
		not_ok "lab up"
		sed 's/^/# /' "$E2E_TMP/lab-up.log"
		exit 1
	fi
	LAB_MANIFESTS=$("$LAB" manifests-dir)
}

# in_pod POD CMD...: runs CMD in the lab pod (its netns and cgroup).
in_pod() { "$LAB" exec "$@"; }

cleanup() {
	stop_daemon
	"$LAB" down >/dev/null 2>&1 || true
	rm -rf "$E2E_TMP"
}

# start_daemon ARGS...: starts `npwatch run ARGS` and waits until it has
# attached its programs (its "watching" line), or fails the test.
start_daemon() {
	DAEMON_OUT=$E2E_TMP/daemon.out
	DAEMON_ERR=$E2E_TMP/daemon.err
	: >"$DAEMON_OUT"
	: >"$DAEMON_ERR"
	"$NPWATCH" run --node lab-node "$@" >"$DAEMON_OUT" 2>"$DAEMON_ERR" &
	DAEMON_PID=$!
	wait_for_line "$DAEMON_ERR" "npwatch run: watching" 20 || {
		not_ok "daemon started: $*"
		sed 's/^/# /' "$DAEMON_ERR"
		stop_daemon
		return 1
	}
}

# wait_for_line FILE TEXT SECONDS: the daemon's readiness and reload
# announcements are lines on stderr; wait for one, or for the daemon to die.
wait_for_line() {
	local file=$1 text=$2 deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		grep -qF -- "$text" "$file" && return 0
		if [ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			return 1
		fi
		inotifywait_or_nap "$file"
	done
	return 1
}

# Waits for the file to change, briefly; falls back to a short nap where
# inotify-tools is not installed.
inotifywait_or_nap() {
	if command -v inotifywait >/dev/null 2>&1; then
		inotifywait -qq -t 1 -e modify "$1" 2>/dev/null || true
	else
		sleep 0.1
	fi
}

# stop_daemon: SIGINT, then wait: the daemon flushes everything pending
# (ring buffer, kernel dedup counts, TCP connects, folded lines) before it
# exits, so its output is complete once it has.
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -INT "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_STATUS=$?
	DAEMON_PID=
}

# lines JQ_FILTER: the daemon's lines that match a jq select() condition.
lines() { jq -c "select($1)" "$DAEMON_OUT"; }
count_lines() { lines "$1" | wc -l; }
# sum_counts JQ_FILTER: flows represented by the matching lines.
sum_counts() { jq -s "map(select($1) | .count) | add // 0" "$DAEMON_OUT"; }

show_daemon_output() {
	echo "# daemon stderr:"
	sed 's/^/#   /' "$DAEMON_ERR"
	echo "# daemon stdout:"
	jq -c '{verdict, direction, protocol, port, outcome, src: (.src.namespace + "/" + (.src.pod // .src.ip)), dst: (.dst.namespace + "/" + (.dst.pod // .dst.ip)), service: .dst.service, count}' "$DAEMON_OUT" 2>/dev/null | sed 's/^/#   /'
}

# expect_lines NAME JQ_FILTER N: exactly N lines match.
expect_lines() {
	local n
	n=$(count_lines "$2")
	if [ "$n" -eq "$3" ]; then
		ok "$1"
	else
		not_ok "$1 (want $3 lines matching $2, got $n)"
		show_daemon_output
	fi
}

# expect_some NAME JQ_FILTER: at least one line matches.
expect_some() {
	local n
	n=$(count_lines "$2")
	if [ "$n" -gt 0 ]; then
		ok "$1"
	else
		not_ok "$1 (no line matches $2)"
		show_daemon_output
	fi
}
