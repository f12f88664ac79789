#!/usr/bin/env bash
# End to end: `npwatch suggest` as a user runs it, on a snapshot of the
# example cluster (examples/shop-cluster.yaml, the shop's policies in force,
# the guide's staged): the YAML stream, the folder of files and the JSON; the
# suggestions staged and judged again by `npwatch check`; flows left denied
# on request; a verification that fails; bad input. Needs no root.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli.sh"

# More pods of the example cluster, besides those cli.sh names.
FRONTEND_2=production/frontend-7d9c6b5f4-m9n3b
BACKEND_2=production/backend-5f6b8c7d9-t7y2u
STAGING_BACKEND=staging/backend-5f6b8c7d9-q4w7e

# ---- helpers ------------------------------------------------------------------------------

# end_pod NS WORKLOAD, end_address KIND NAME IP: a flow end of a snapshot.
end_pod() { printf '{"kind":"pod","namespace":"%s","workload":"%s"}' "$1" "$2"; }
end_address() { printf '{"kind":"%s","workload":"%s","ip":"%s"}' "$1" "$2" "$3"; }

# flow SRC DST PORT PROTOCOL VERDICT COUNT SRC_POD DST_POD: one flow of a
# snapshot ("" for no sample pod).
flow() {
	local src_pods='[]' dst_pods='[]'
	[ -n "$7" ] && src_pods="[\"$7\"]"
	[ -n "$8" ] && dst_pods="[\"$8\"]"
	printf '{"src":%s,"dst":%s,"service":null,' "$1" "$2"
	printf '"port":%s,"protocol":"%s","verdict":"%s",' "$3" "$4" "$5"
	printf '"denied_by":[],"rules_used":[],"count":%s,' "$6"
	printf '"first_seen":"2026-11-26T08:00:00Z","last_seen":"2026-11-26T08:29:00Z",'
	printf '"sample_src_pods":%s,"sample_dst_pods":%s,"sample_processes":[]}' \
		"$src_pods" "$dst_pods"
}

# snapshot FILE FLOW...: a gzip-compressed report of node-1, 08:00..08:30,
# with $LOST events lost in the ring buffer (none by default).
snapshot() {
	local file=$1 first=1
	shift
	{
		printf '{"format":"npwatch-report","version":1,"node":"node-1",'
		printf '"start":"2026-11-26T08:00:00Z","end":"2026-11-26T08:30:00Z",'
		printf '"coverage":{"observations":1000,"ringbuf_lost":%s,"socket_map_lost":0,' \
			"${LOST:-0}"
		printf '"dedup_map_lost":0,"undecodable":0,"tracker_lost":0,'
		printf '"aggregate_overflow":0},'
		printf '"policies":[],"flows":['
		for f in "$@"; do
			[ $first -eq 1 ] || printf ','
			first=0
			printf '%s' "$f"
		done
		printf ']}\n'
	} | gzip >"$file"
}

probe() { # FROM TO PORT PROTOCOL EXPECT: one JSON line
	printf '{"from":"%s","to":"%s","port":%s,"protocol":"%s","expect":"%s"}\n' "$@"
}

# A day of the shop: what flowed, allowed or not, with the guide's policies staged.
W_FRONTEND=$(end_pod production Deployment/frontend)
W_BACKEND=$(end_pod production Deployment/backend)
W_DB=$(end_pod production StatefulSet/db)
W_COREDNS=$(end_pod kube-system Deployment/coredns)
W_LOADGEN=$(end_pod staging Deployment/loadgen)
REPORT=$E2E_TMP/shop.json.gz
snapshot "$REPORT" \
	"$(flow "$W_FRONTEND" "$W_BACKEND" 8080 TCP allow 120 "$FRONTEND" "$BACKEND")" \
	"$(flow "$W_FRONTEND" "$W_BACKEND" 9090 TCP deny-attempt 12 "$FRONTEND_2" "$BACKEND_2")" \
	"$(flow "$W_DB" "$W_COREDNS" 53 UDP would-deny 40 "$DB" "$COREDNS_1")" \
	"$(flow "$W_FRONTEND" "$W_COREDNS" 53 UDP deny 300 "$FRONTEND" "$COREDNS_2")" \
	"$(flow "$W_LOADGEN" "$W_BACKEND" 8080 TCP deny-attempt 9 "$LOADGEN" "$BACKEND")" \
	"$(flow "$W_BACKEND" "$(end_address world 203.0.113.50 203.0.113.50)" \
		443 TCP deny-attempt 17 "$BACKEND_2" "")" \
	"$(flow "$(end_address node "node node-1" 172.18.0.11)" "$W_BACKEND" \
		8080 TCP deny-attempt 60 "" "$BACKEND")"

# suggest_shop ARGS...: suggest on the shop's snapshot, policies in force and staged.
suggest_shop() {
	run suggest "$REPORT" -f "$SHOP" -f "$POLICIES/example" --staged "$POLICIES/guide" "$@"
}

# What the observed flows need, and what nobody asked for.
PROBES=$E2E_TMP/probes.jsonl
{
	probe "$FRONTEND_2" "$BACKEND_2" 9090 TCP allow
	probe "$DB" "$COREDNS_1" 53 UDP allow
	probe "$DB" "$COREDNS_2" 53 TCP allow
	probe "$LOADGEN" "$BACKEND" 8080 TCP allow
	probe "$BACKEND_2" 203.0.113.50 443 TCP allow
	probe 172.18.0.11 "$BACKEND" 8080 TCP allow
	probe "$FRONTEND" "$BACKEND" 8080 TCP allow
	probe "$STAGING_BACKEND" "$DB" 5432 TCP deny
	probe "$LOADGEN" "$BACKEND" 9090 TCP deny
	probe "$LOADGEN" "$DB" 5432 TCP deny
	probe "$FRONTEND" 203.0.113.50 443 TCP deny
	probe "$BACKEND" 203.0.113.51 443 TCP deny
	probe 172.18.0.12 "$BACKEND" 8080 TCP deny
	probe "$DB" 203.0.113.50 443 TCP deny
} >"$PROBES"

# ---- help and usage ------------------------------------------------------------------------

run suggest --help
want_rc 0
want_out "Usage: npwatch suggest REPORT... -f PATH..."
want_out "Exit status: 0 verified, 1 verification failed or runtime failure,"
run --help
want_out "suggest"
report "suggest --help exits 0 and is listed in npwatch --help"

run suggest -f "$SHOP"
want_rc 2
want_err "no report: give at least one REPORT file"
run suggest "$REPORT"
want_rc 2
want_err "no cluster model: give at least one -f PATH"
run suggest "$REPORT" -f -
want_rc 2
want_err "standard input cannot be read twice"
suggest_shop -o xml
want_rc 2
want_err "-o xml: expected yaml or json"
echo "not a report" >"$E2E_TMP/bad.json.gz"
run suggest "$E2E_TMP/bad.json.gz" -f "$SHOP"
want_rc 2
want_err "$E2E_TMP/bad.json.gz"
report "bad usage and a file that is no report exit 2, naming what is wrong"

# ---- the YAML stream -------------------------------------------------------------------------

suggest_shop
want_rc 0
want_err "verified: 5 of 5 observed blocked flows now allowed; 0 previously denied flows opened"
want_out "# npwatch suggest: report window 2026-11-26T08:00Z..08:30Z"
want_out "# Patch to NetworkPolicy production/allow-frontend (in force, from "
want_out "#   spec.egress[0].ports: added TCP 9090"
want_out "# Both sides are rendered from the cluster model, not from the original"
want_out "# +          port: 9090"
want_out "#   spec.ingress[0].from: added staging/Deployment/loadgen"
want_out "#   spec.ingress[0].from: added ipBlock 172.18.0.11/32"
want_out "# New NetworkPolicy production/db-egress"
want_out "#   egress to kube-system/Deployment/coredns: TCP 53, UDP 53"
want_out 'cidr: "203.0.113.50/32"'
want_out 'npwatch.io/suggested-from: "report window 2026-11-26T08:00Z..08:30Z, 17 flows"'
want_not out "pod-template-hash"
want_not out "statefulset.kubernetes.io/pod-name"
report "the YAML stream: patches with their diff, new policies annotated, the summary on stderr"

cp "$OUT" "$E2E_TMP/suggestions.yaml"
run check -f "$SHOP" -f "$POLICIES/example" --staged "$POLICIES/guide" \
	--staged "$E2E_TMP/suggestions.yaml" --probes "$PROBES"
want_rc 0
want_err "14 passed, 0 failed"
report "staged, the YAML stream admits the observed flows and nothing else (npwatch check)"

# ---- a folder of files ----------------------------------------------------------------------

suggest_shop --output-dir "$E2E_TMP/suggested"
want_rc 0
want_out "suggested/production.allow-frontend.yaml: patched production/allow-frontend"
want_out "$E2E_TMP/suggested/production.db-egress.yaml: new production/db-egress"
[ "$(ls "$E2E_TMP/suggested" | wc -l)" -eq 4 ] || PROBLEMS+=("not 4 files in the folder")
want_err "verified: 5 of 5"
report "--output-dir writes one file per policy"

run check -f "$SHOP" -f "$POLICIES/example" --staged "$POLICIES/guide" \
	--staged "$E2E_TMP/suggested" --probes "$PROBES"
want_rc 0
want_err "14 passed, 0 failed"
report "the folder passed as --staged admits the observed flows and nothing else"

suggest_shop --output-dir "$E2E_TMP/suggested"
want_rc 2
want_err "is not empty"
report "--output-dir refuses a folder that is not empty"

# ---- JSON -------------------------------------------------------------------------------------

suggest_shop -o json
want_rc 0
want_json '.format == "npwatch-suggestions" and .verification.ok and .verification.blocked == 5'
want_json '[.suggestions[] | .kind] == ["patch", "patch", "new", "new"]'
want_json '.suggestions[0].patched.file | endswith("policies/example/allow-backend.yaml")'
want_json '.suggestions[1].diff | contains("+          port: 9090")'
want_json '.suggestions[3].policy.spec.egress[0].ports
	== [{"protocol": "TCP", "port": 53}, {"protocol": "UDP", "port": 53}]'
report "-o json: the suggestions, their diffs and the verification as data"

# ---- left denied -------------------------------------------------------------------------------

suggest_shop --no-world
want_rc 0
want_err "left denied: production/Deployment/backend -> 203.0.113.50 443/TCP"
want_err "verified: 4 of 4 observed blocked flows now allowed"
want_err "1 of 1 left denied still denied"
want_not out "backend-egress"
report "--no-world leaves the world denied, and the proof checks it stays so"

# ---- lost events ------------------------------------------------------------------------------

LOST=5 snapshot "$E2E_TMP/lossy.json.gz" \
	"$(flow "$W_DB" "$W_COREDNS" 53 UDP would-deny 40 "$DB" "$COREDNS_1")"
run suggest "$E2E_TMP/lossy.json.gz" -f "$SHOP" -f "$POLICIES/example" --staged "$POLICIES/guide"
want_rc 0
want_out "# 1000 observations, 5 events lost: flows may be missing from what follows"
want_err "warning: 5 events were lost while observing"
report "events lost while observing are said up front and on stderr"

# ---- a verification that fails ---------------------------------------------------------------

# web-2 is isolated (it alone has the canary label), web-1 is not: a policy
# for Deployment/web selects both and would close web-1 to everyone else.
CANARY=$E2E_TMP/canary.yaml
cat >"$CANARY" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata:
  namespace: shop
  name: web-5f6b8c7d9-aaaaa
  labels: {app: web, pod-template-hash: 5f6b8c7d9}
  ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5f6b8c7d9, uid: u1, controller: true}
spec: {containers: [{name: web, ports: [{containerPort: 80}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata:
  namespace: shop
  name: web-5f6b8c7d9-bbbbb
  labels: {app: web, canary: "true", pod-template-hash: 5f6b8c7d9}
  ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5f6b8c7d9, uid: u1, controller: true}
spec: {containers: [{name: web, ports: [{containerPort: 80}]}]}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {namespace: shop, name: client, labels: {app: client}}
spec: {containers: [{name: client}]}
status: {podIP: 10.0.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: shop, name: lock-canary}
spec: {podSelector: {matchLabels: {canary: "true"}}, policyTypes: [Ingress]}
EOF
CANARY_REPORT=$E2E_TMP/canary.json.gz
snapshot "$CANARY_REPORT" \
	"$(flow "$(end_pod shop Pod/client)" "$(end_pod shop Deployment/web)" \
		80 TCP deny-attempt 3 shop/client shop/web-5f6b8c7d9-bbbbb)"
run suggest "$CANARY_REPORT" -f "$CANARY"
want_rc 1
want_err "NOT verified: 1 of 1 observed blocked flows now allowed"
want_err "verification failed: "
want_err "allowed before, denied now"
report "a suggestion that would close other traffic fails the verification: exit 1"

exit "$E2E_FAILED"
