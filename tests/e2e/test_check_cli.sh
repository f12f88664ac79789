#!/usr/bin/env bash
# End to end: `npwatch check` as a user runs it, against the example cluster
# (examples/shop-cluster.yaml) and the policies in policies/: output in both
# formats, probe files, expectations, Services, staged policies, and the exit
# status and message of every kind of bad input. Needs no root.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli.sh"

# ---- helpers ------------------------------------------------------------------------------

# check_shop ARGS...: `npwatch check` on the example cluster and all its policies.
check_shop() { run check -f "$SHOP" -f "$POLICIES" "$@"; }

probes() { # FILE LINE...: a probe file
	local file=$1
	shift
	printf '%s\n' "$@" >"$file"
}

probe() { # FROM TO PORT [PROTOCOL [EXPECT]]: one JSON line
	local line
	line=$(printf '{"from":"%s","to":"%s","port":%s' "$1" "$2" "$3")
	[ -n "${4:-}" ] && line+=$(printf ',"protocol":"%s"' "$4")
	[ -n "${5:-}" ] && line+=$(printf ',"expect":"%s"' "$5")
	echo "$line}"
}

# ---- help and version -------------------------------------------------------------------------

run --version
want_rc 0
want_first_line "npwatch $(cat "$E2E_REPO/VERSION")"
run --help
want_rc 0
want_out "Usage: npwatch COMMAND"
want_out "check"
run check --help
want_rc 0
want_out "Usage: npwatch check -f PATH..."
want_out "Exit status: 0 done, 1 an expectation failed, 2 bad usage or bad input."
want_empty err
run check -h
want_rc 0
want_out "--probes FILE|-"
report "--version, --help and check --help exit 0 and print to stdout"

run frobnicate
want_rc 2
want_err 'unknown command "frobnicate"'
report "an unknown command exits 2"

# ---- one probe -----------------------------------------------------------------------------------

check_shop --from "$LOADGEN" --to "$DB" --port 5432
want_rc 0
want_first_line "$LOADGEN -> $DB 5432/TCP: DENY"
want_out "egress  $LOADGEN: allowed (no policy isolates $LOADGEN for egress)"
want_out "ingress $DB: denied (isolated by production/allow-db, production/deny-all, production/"
want_out "nearest: production/allow-db spec.ingress[0]: port 5432/TCP matched, from[0] podSelector"
want_out "component=backend only selects pods of namespace production"
want_empty err
report "a denied probe: DENY, the isolating policies and the nearest miss"

check_shop --from "$FRONTEND" --to "$BACKEND" --port 8080 --protocol TCP
want_rc 0
want_first_line "$FRONTEND -> $BACKEND 8080/TCP: ALLOW"
want_out "egress  $FRONTEND: allowed by production/allow-frontend spec.egress[0] (to[0], ports[0])"
want_out "ingress $BACKEND: allowed by production/allow-backend spec.ingress[0] (from[0], ports[0])"
report "an allowed probe: ALLOW and the rules that allow each direction"

check_shop --from "$LOADGEN" --to "$DB" --port 5432 -o json
want_rc 0
want_json_lines 'length == 1'
want_json_lines ".[0] | .from == \"$LOADGEN\" and .to == \"$DB\" and .port == 5432
	and .protocol == \"TCP\""
want_json_lines '.[0] | .verdict == "deny" and .egress == "allow" and .ingress == "deny"'
want_json_lines '.[0].explanation.ingress | .allowed == false and .isolated and .allowed_by == null'
want_json_lines '.[0].explanation.ingress.policies
	== ["production/allow-db", "production/deny-all", "production/deny-cross-namespace"]'
want_json_lines '.[0].explanation.ingress.nearest_miss
	| .policy == "production/allow-db" and .rule == "spec.ingress[0]" and .kind == "peer"'
want_json_lines ".[0].explanation.egress
	| .endpoint == \"$LOADGEN\" and .allowed and (.isolated | not) and .policies == []"
report "-o json: the probe's fields, verdict, egress, ingress and the explanation"

check_shop --from "$FRONTEND" --to "$BACKEND" --port 8080 --protocol UDP -o json
want_rc 0
want_json_lines '.[0] | .protocol == "UDP" and .verdict == "deny" and .egress == "deny"
	and .ingress == "allow"'
want_json_lines '.[0].explanation.egress.nearest_miss
	| .kind == "port" and (.reason | contains("8080/UDP not in ports [8080/TCP]"))'
report "--protocol UDP is judged as UDP (allow-frontend's egress names TCP only)"

check_shop --from 198.51.100.7 --to 10.244.1.11 --port 8080
want_rc 0
want_first_line "198.51.100.7 -> $FRONTEND 8080/TCP: ALLOW"
check_shop --from 198.51.100.7 --to 10.244.1.21 --port 8080
want_rc 0
want_first_line "198.51.100.7 -> $BACKEND 8080/TCP: DENY"
report "IP addresses name pods, and the world"

# ---- probe files ---------------------------------------------------------------------------------

probes "$E2E_TMP/four.jsonl" \
	"$(probe "$FRONTEND" "$BACKEND" 8080)" \
	"$(probe "$LOADGEN" "$DB" 5432)" \
	"$(probe "$BACKEND" "$DB" 5432 TCP)" \
	"$(probe "$FRONTEND" "$COREDNS_1" 53 UDP)" \
	"$(probe "$DB" "$COREDNS_1" 53 UDP)"
check_shop --probes "$E2E_TMP/four.jsonl"
want_rc 0
want_json_lines 'length == 5'
want_json_lines 'map(.verdict) == ["allow", "deny", "allow", "allow", "deny"]'
want_json_lines "map(.to) == [\"$BACKEND\", \"$DB\", \"$DB\", \"$COREDNS_1\", \"$COREDNS_1\"]"
want_json_lines 'map(.protocol // "TCP") == ["TCP", "TCP", "TCP", "UDP", "UDP"]'
want_json_lines 'map(has("error") or has("line")) | any | not'
want_empty err
report "--probes FILE: one JSON answer per probe, in order (json by default)"

{
	echo
	probe "$LOADGEN" "$DB" 5432
	echo "   "
	probe "$FRONTEND" "$BACKEND" 8080
} >"$E2E_TMP/stdin.jsonl"
run_input "$E2E_TMP/stdin.jsonl" check -f "$SHOP" -f "$POLICIES" --probes -
want_rc 0
want_json_lines 'map(.verdict) == ["deny", "allow"]'
report "--probes - reads stdin; blank lines are skipped"

run_input "$E2E_TMP/stdin.jsonl" check -f "$SHOP" -f "$POLICIES" --probes - -o text
want_rc 0
want_first_line "$LOADGEN -> $DB 5432/TCP: DENY"
want_out "$FRONTEND -> $BACKEND 8080/TCP: ALLOW"
report "--probes with -o text answers in words"

probes "$E2E_TMP/bad.jsonl" \
	"$(probe "$FRONTEND" "$BACKEND" 8080)" \
	'{not json' \
	'[1, 2]' \
	"{\"from\":\"$FRONTEND\",\"port\":80}" \
	"{\"from\":\"$FRONTEND\",\"to\":\"$BACKEND\",\"port\":\"8080\"}" \
	"$(probe "$FRONTEND" "$BACKEND" 0)" \
	"$(probe "$FRONTEND" "$BACKEND" 8080 ICMP)" \
	"$(probe "$FRONTEND" "$BACKEND" 8080 TCP maybe)" \
	"$(probe production/ghost "$BACKEND" 8080)" \
	"$(probe production/backend "$DB" 5432)" \
	"$(probe "$LOADGEN" "$DB" 5432)"
check_shop --probes "$E2E_TMP/bad.jsonl"
want_rc 2
want_json_lines 'length == 11'
want_json_lines '.[0].verdict == "allow" and .[10].verdict == "deny"'
want_json_lines '.[1:10] | all(has("error") and (has("verdict") | not))'
want_json_lines '[.[1:10][] | .line] == [2, 3, 4, 5, 6, 7, 8, 9, 10]'
want_json_lines '.[1].error | startswith("not a JSON object")'
want_json_lines '.[3].error == "a probe needs \"from\" and \"to\" as strings"'
want_json_lines '.[4].error == "\"port\" must be a number from 1 to 65535"
	and .[5].error == .[4].error'
want_json_lines '.[6].error == "\"protocol\" must be TCP, UDP or SCTP"'
want_json_lines '.[7].error == "\"expect\" must be \"allow\" or \"deny\""'
want_json_lines '.[8].error == "production/ghost: no pod or service ghost in namespace production"'
want_json_lines '.[9].error | startswith("from: production/backend is a Service")'
want_json_lines ".[4].from == \"$FRONTEND\" and .[4].port == \"8080\""
report "bad probe lines: an error answer each, the run goes on, exit 2"

check_shop --probes "$E2E_TMP/bad.jsonl" -o text
want_rc 2
want_first_line "$FRONTEND -> $BACKEND 8080/TCP: ALLOW"
want_out "line 2: error: not a JSON object"
want_out "line 3: error: not a JSON object"
want_out "$FRONTEND -> $BACKEND: error: \"port\" must be a number from 1 to 65535"
want_out "production/ghost -> $BACKEND: error: production/ghost: no pod or service ghost"
want_out "$LOADGEN -> $DB 5432/TCP: DENY"
want_not out "(null)"
report "bad probe lines in text mode: one error line each, no placeholders"

run check -f "$SHOP" --probes "$E2E_TMP/missing.jsonl"
want_rc 2
want_err "$E2E_TMP/missing.jsonl: cannot open probes"
report "a probes file that does not exist: exit 2, named"

# ---- expectations --------------------------------------------------------------------------------

probes "$E2E_TMP/pass.jsonl" \
	"$(probe "$FRONTEND" "$BACKEND" 8080 TCP allow)" \
	"$(probe "$LOADGEN" "$DB" 5432 TCP deny)" \
	"$(probe "$FRONTEND" kube-system/kube-dns 53 UDP allow)"
check_shop --probes "$E2E_TMP/pass.jsonl"
want_rc 0
want_json_lines 'length == 3 and (map(.expect) == ["allow", "deny", "allow"])'
want_err "3 passed, 0 failed"
want_not err "FAIL"
want_not out "passed"
report "expectations that all hold: exit 0, \"3 passed, 0 failed\" on stderr in json mode"

check_shop --probes "$E2E_TMP/pass.jsonl" -o text
want_rc 0
want_out "3 passed, 0 failed"
report "expectations in text mode: the summary on stdout"

probes "$E2E_TMP/fail.jsonl" \
	"$(probe "$FRONTEND" "$BACKEND" 8080 TCP allow)" \
	"$(probe "$LOADGEN" "$DB" 5432 TCP allow)" \
	"$(probe "$BACKEND" "$DB" 5432 TCP allow)"
check_shop --probes "$E2E_TMP/fail.jsonl"
want_rc 1
want_json_lines 'length == 3'
want_err "FAIL line 2: $LOADGEN -> $DB 5432/TCP: expected allow, got deny"
want_err "2 passed, 1 failed"
want_not err "FAIL line 1"
want_not err "FAIL line 3"
report "one expectation fails: exit 1, the mismatch and \"2 passed, 1 failed\""

check_shop --probes "$E2E_TMP/fail.jsonl" -o text
want_rc 1
want_out "FAIL line 2: $LOADGEN -> $DB 5432/TCP: expected allow, got deny"
want_out "2 passed, 1 failed"
report "a failed expectation in text mode: on stdout"

probes "$E2E_TMP/fail-bad.jsonl" \
	"$(probe production/ghost "$DB" 5432 TCP deny)" \
	"$(probe "$LOADGEN" "$DB" 5432 TCP allow)"
check_shop --probes "$E2E_TMP/fail-bad.jsonl"
want_rc 2
want_err "FAIL line 1: production/ghost -> $DB 5432/TCP: expected deny, got production/ghost:"
want_err "0 passed, 2 failed"
report "an expectation on a bad probe fails, and bad input decides the status (2)"

# ---- Services ------------------------------------------------------------------------------------

check_shop --from "$FRONTEND" --to kube-system/kube-dns --port 53 --protocol UDP
want_rc 0
want_first_line "$FRONTEND -> service kube-system/kube-dns 53/UDP: ALLOW (2 backends)"
want_out "$FRONTEND -> $COREDNS_1 53/UDP: ALLOW"
want_out "$FRONTEND -> $COREDNS_2 53/UDP: ALLOW"
want_out "egress  $FRONTEND: allowed by production/allow-dns-egress spec.egress[0] (to[0], ports[0]"
report "a Service: the overall verdict, then each backend judged"

check_shop --from "$FRONTEND" --to kube-system/kube-dns --port 53 --protocol UDP -o json
want_rc 0
want_json_lines '.[0] | .service == "kube-system/kube-dns" and .verdict == "allow"
	and .egress == "allow" and .ingress == "allow"'
want_json_lines ".[0].backends | map(.backend) == [\"$COREDNS_1\", \"$COREDNS_2\"]"
want_json_lines '.[0].backends
	| all(.target_port == 53 and .verdict == "allow" and (.explanation | has("egress")))'
report "a Service in json: service, overall verdicts and a backends list"

check_shop --from "$FRONTEND" --to 10.96.0.10 --port 53 --protocol TCP -o json
want_rc 0
want_json_lines '.[0] | .service == "kube-system/kube-dns" and .verdict == "allow"
	and (.backends | length) == 2'
report "a ClusterIP names its Service"

check_shop --from 198.51.100.7 --to production/frontend --port 80 -o json
want_rc 0
want_json_lines '.[0] | .verdict == "allow" and (.backends | length) == 2
	and all(.backends[]; .target_port == 8080)'
report "a Service port (80) reaches its backends on the named targetPort (http = 8080)"

check_shop --from "$LOADGEN" --to production/backend --port 8080 -o json
want_rc 0
want_json_lines '.[0] | .verdict == "deny" and .egress == "allow" and .ingress == "deny"'
want_json_lines '.[0].backends | length == 2 and all(.verdict == "deny")'
report "a Service all of whose backends deny: deny"

cat >"$E2E_TMP/partial.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: p}
---
apiVersion: v1
kind: Pod
metadata: {namespace: p, name: web-1, labels: {app: web, locked: 'yes'}}
spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
status: {podIPs: [{ip: 10.1.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {namespace: p, name: web-2, labels: {app: web}}
spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
status: {podIPs: [{ip: 10.1.0.2}]}
---
apiVersion: v1
kind: Pod
metadata: {namespace: p, name: client, labels: {app: client}}
spec: {containers: [{name: client}]}
status: {podIPs: [{ip: 10.1.0.3}]}
---
apiVersion: v1
kind: Service
metadata: {namespace: p, name: web}
spec:
  clusterIP: 10.1.255.1
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {namespace: p, name: nobody}
spec:
  clusterIP: 10.1.255.2
  selector: {app: nobody}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: p, name: lock}
spec:
  podSelector: {matchLabels: {locked: 'yes'}}
  policyTypes: [Ingress]
EOF
run check -f "$E2E_TMP/partial.yaml" --from p/client --to p/web --port 80 -o json
want_rc 0
want_json_lines '.[0] | .verdict == "partial" and .egress == "allow" and .ingress == "partial"'
want_json_lines '.[0].backends | map([.backend, .verdict])
	== [["p/web-1", "deny"], ["p/web-2", "allow"]]'
run check -f "$E2E_TMP/partial.yaml" --from p/client --to p/web --port 80
want_first_line "p/client -> service p/web 80/TCP: PARTIAL (2 backends)"
probes "$E2E_TMP/partial.jsonl" \
	"$(probe p/client p/web 80 TCP allow)" \
	"$(probe p/client p/web 80 TCP deny)"
run check -f "$E2E_TMP/partial.yaml" --probes "$E2E_TMP/partial.jsonl"
want_rc 1
want_err "FAIL line 1: p/client -> p/web 80/TCP: expected allow, got partial"
want_err "FAIL line 2: p/client -> p/web 80/TCP: expected deny, got partial"
want_err "0 passed, 2 failed"
report "a Service whose backends differ: partial, which meets neither expectation"

run check -f "$E2E_TMP/partial.yaml" --from p/client --to 10.1.255.2 --port 80 -o json
want_rc 2
want_json_lines '.[0].error == "service p/nobody has no ready backends for 80/TCP"'
report "a Service with no backends: an error, exit 2"

check_shop --from "$FRONTEND" --to kube-system/kube-dns --port 54 --protocol UDP -o json
want_rc 2
want_json_lines '.[0].error == "service kube-system/kube-dns has no port 54/UDP"'
check_shop --from "$FRONTEND" --to kube-system/kube-dns --port 54 --protocol UDP
want_rc 2
want_err "error: service kube-system/kube-dns has no port 54/UDP"
report "a port the Service does not have: an error, exit 2"

# ---- staged policies -----------------------------------------------------------------------------

run check -f "$SHOP" -f "$POLICIES/example" --from "$FRONTEND" --to kube-system/kube-dns \
	--port 53 --protocol UDP -o json
want_json_lines '.[0].verdict == "deny"'
run check -f "$SHOP" -f "$POLICIES/example" --staged "$POLICIES/guide/allow-dns-egress.yaml" \
	--from "$FRONTEND" --to kube-system/kube-dns --port 53 --protocol UDP -o json
want_rc 0
want_json_lines '.[0].verdict == "allow"'
want_json_lines '.[0].backends[0].explanation.egress.allowed_by.policy
	== "production/allow-dns-egress"'
report "--staged: an allow policy about to be applied turns deny into allow"

run check -f "$SHOP" --from "$FRONTEND" --to "$BACKEND" --port 8080 -o json
want_json_lines '.[0].verdict == "allow"'
run check -f "$SHOP" --staged "$POLICIES/guide" --from "$FRONTEND" --to "$BACKEND" --port 8080
want_rc 0
want_first_line "$FRONTEND -> $BACKEND 8080/TCP: DENY"
want_out "production/deny-all"
report "--staged: the guide's baseline turns allow into deny"

cat >"$E2E_TMP/allow-db-v2.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-db, namespace: production}
spec:
  podSelector: {matchLabels: {app: postgres}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {component: frontend}}}]
EOF
probes "$E2E_TMP/db.jsonl" "$(probe "$BACKEND" "$DB" 5432)" "$(probe "$FRONTEND" "$DB" 5432)"
run check -f "$SHOP" -f "$POLICIES/example/allow-db.yaml" --probes "$E2E_TMP/db.jsonl"
want_json_lines 'map(.verdict) == ["allow", "deny"]'
run check -f "$SHOP" -f "$POLICIES/example/allow-db.yaml" --staged "$E2E_TMP/allow-db-v2.yaml" \
	--probes "$E2E_TMP/db.jsonl"
want_rc 0
want_json_lines 'map(.verdict) == ["deny", "allow"]'
report "--staged: a staged policy replaces the one of the same name"

# ---- manifests -----------------------------------------------------------------------------------

cat >"$E2E_TMP/no-namespace.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress]}
EOF
run check -f "$SHOP" -f "$E2E_TMP/no-namespace.yaml" --from "$FRONTEND" --to "$BACKEND" \
	--port 8080 -o json
want_json_lines '.[0].verdict == "allow"'
run check -f "$SHOP" -f "$E2E_TMP/no-namespace.yaml" -n production \
	--from "$FRONTEND" --to "$BACKEND" --port 8080 -o json
want_json_lines '.[0].verdict == "deny"
	and .[0].explanation.ingress.policies == ["production/deny-all"]'
report "-n NAMESPACE places policies that state no namespace"

printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n   namespace: x\n' \
	>"$E2E_TMP/bad-syntax.yaml"
run check -f "$SHOP" -f "$E2E_TMP/bad-syntax.yaml" --from "$FRONTEND" --to "$BACKEND" --port 8080
want_rc 2
want_err "$E2E_TMP/bad-syntax.yaml:5: YAML syntax error"
want_empty out
report "a YAML syntax error: exit 2, the file and line named"

cat >"$E2E_TMP/bad-field.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: broken, namespace: production}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 70000}]
EOF
run check -f "$SHOP" -f "$E2E_TMP/bad-field.yaml" --from "$FRONTEND" --to "$BACKEND" --port 8080
want_rc 2
want_err "$E2E_TMP/bad-field.yaml: NetworkPolicy production/broken: spec.ingress[0].ports[0].port:"
run check -f "$SHOP" --staged "$E2E_TMP/bad-field.yaml" --from "$FRONTEND" --to "$BACKEND" \
	--port 8080
want_rc 2
want_err "$E2E_TMP/bad-field.yaml: NetworkPolicy production/broken"
report "a bad field, in force or staged: exit 2, file, object and field named"

run check -f "$E2E_TMP/nowhere.yaml" --from "$FRONTEND" --to "$BACKEND" --port 8080
want_rc 2
want_err "$E2E_TMP/nowhere.yaml"
report "a manifest path that does not exist: exit 2, named"

# ---- usage errors --------------------------------------------------------------------------------

usage_error() { # EXPECTED-MESSAGE ARGS...
	local message=$1
	shift
	run check "$@"
	want_rc 2
	want_err "$message"
	want_err "Try 'npwatch check --help'."
}
usage_error "no manifests" --from "$FRONTEND" --to "$BACKEND" --port 80
usage_error "give --from, --to and --port" -f "$SHOP" --from "$FRONTEND" --to "$BACKEND"
usage_error "--port 0: expected a number from 1 to 65535" -f "$SHOP" --from a/b --to c/d --port 0
usage_error "--port 65536:" -f "$SHOP" --from a/b --to c/d --port 65536
usage_error "--port http:" -f "$SHOP" --from a/b --to c/d --port http
usage_error "--port 80x:" -f "$SHOP" --from a/b --to c/d --port 80x
usage_error "--protocol ICMP: expected TCP, UDP or SCTP" -f "$SHOP" --from a/b --to c/d --port 80 \
	--protocol ICMP
usage_error "-o xml: expected text or json" -f "$SHOP" --from a/b --to c/d --port 80 -o xml
usage_error "exclude each other" -f "$SHOP" --probes - --from a/b
usage_error 'unexpected argument "stray"' -f "$SHOP" stray --from a/b --to c/d --port 80
report "usage errors: exit 2, what is wrong, and a pointer to --help"

check_shop --from production/ghost --to "$BACKEND" --port 8080
want_rc 2
want_err "production/ghost: no pod or service ghost in namespace production"
check_shop --from "$FRONTEND" --to nowhere/thing --port 8080
want_rc 2
want_err "no such namespace"
check_shop --from frontend --to "$BACKEND" --port 8080
want_rc 2
want_err "\"frontend\" is neither namespace/pod, namespace/service nor an IP address"
check_shop --from production/frontend --to "$BACKEND" --port 8080
want_rc 2
want_err "from: production/frontend is a Service"
report "a probe naming nothing in the model: exit 2 with what was not found"

exit "$E2E_FAILED"
