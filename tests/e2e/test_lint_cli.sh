#!/usr/bin/env bash
# End to end: `npwatch lint` as a user runs it, on the deliberately broken
# rollout (policies/broken) and the fixed one (policies/guide with
# policies/example) against the example cluster: each pitfall reported with
# its file, line, policy and field, text and JSON output, the isolation
# coverage, stdin and kubectl's JSON Lists, and the exit status of every kind
# of input. Needs no root.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli.sh"

# ---- helpers ------------------------------------------------------------------------------

# Messages name paths as given: the repository's are given relative to it.
cd "$E2E_REPO" || exit 1
lint_broken() { run lint -f policies/broken -f examples/shop-cluster.yaml "$@"; }
lint_fixed() {
	run lint -f policies/guide -f policies/example -f examples/shop-cluster.yaml \
		--require-annotation owner "$@"
}

# ---- help -------------------------------------------------------------------------------------

run lint --help
want_rc 0
want_out "Usage: npwatch lint -f PATH..."
want_out "npwatch.io/lint-ignore"
want_out "Exit status: 0 no findings, 1 findings, 2 bad usage or unreadable input."
want_empty err
run --help
want_out "lint"
report "lint --help exits 0 and names the rules and the exit status"

# ---- the broken rollout ---------------------------------------------------------------------------

lint_broken --require-annotation owner --require-annotation justification
want_rc 1
want_out "policies/broken/deny-all.yaml:6: staging/deny-all: spec.podSelector: podSelector team=shop selects no pod of namespace staging (4 pods there; no pod there has a label team) [selects-no-pod]"
want_out "policies/broken/allow-dns-egress.yaml:4: staging/allow-dns-egress: spec.egress[0].ports: allows DNS over UDP 53 but not TCP 53"
want_out "    pods: staging/backend-5f6b8c7d9-q4w7e, staging/frontend-7d9c6b5f4-x2k8p"
want_out "    fix: add {protocol: TCP, port: 53} next to the UDP entry"
want_out "policies/broken/allow-db.yaml:6: staging/allow-db: spec.policyTypes: these pods are isolated for egress (by staging/allow-db) and no rule allows them DNS"
want_out "policies/broken/deny-cross-namespace.yaml:5: staging/deny-cross-namespace: spec.ingress[0].from[0].namespaceSelector: namespaceSelector env=staging matches no namespace"
want_out "policies/broken/allow-db.yaml:6: staging/allow-db: spec.ingress[0].from[0].podSelector: podSelector component=api matches no pod of namespace staging"
want_out "policies/broken/allow-frontend.yaml:6: staging/allow-frontend: spec.ingress[0].ports[0].port: port \"htpp\" (TCP)"
want_out "policies/broken/allow-frontend.yaml:6: staging/allow-frontend: spec.egress[1]: repeats spec.egress[0]"
want_out "policies/broken/allow-backend.yaml:9: staging/allow-backend: spec.ingress[0]: is shadowed by spec.ingress[1]"
want_out "policies/broken/allow-backend.yaml:9: staging/allow-backend: spec.egress[0].to[0].ipBlock: ipBlock 10.244.0.0/16 takes in the addresses of 11 pods"
want_out "policies/broken/deny-all.yaml:6: staging/deny-all: metadata.annotations: missing annotations owner, justification"
want_out "policies/broken/allow-backend.yaml:9: staging/allow-backend: metadata.annotations: missing annotation justification:"
want_last_line "6 policies, 11 pods: 13 findings in 6 files"
report "the broken rollout: every pitfall named with file:line, policy, field and rule; exit 1"

lint_broken
want_rc 1
# Grouped by file, in name order; findings of one file together.
files=$(grep -o '^policies/broken/[a-z-]*\.yaml' "$OUT" | uniq | tr '\n' ' ')
[ "$files" = "policies/broken/allow-backend.yaml policies/broken/allow-db.yaml policies/broken/allow-dns-egress.yaml policies/broken/allow-frontend.yaml policies/broken/deny-all.yaml policies/broken/deny-cross-namespace.yaml " ] ||
	PROBLEMS+=("files not grouped in order: $files")
want_not out "[missing-annotation]"
want_out "Isolation coverage: pods isolated of pods, then those no policy isolates"
want_out "  staging      ingress 4/4"
want_out "               egress  3/4  not: loadgen-8c9d7f6b5-z3x5v"
want_out "Zero-trust baseline: 4 of 11 pods isolated for ingress (36%), 3 of 11 for egress (27%)"
want_last_line "6 policies, 11 pods: 9 findings in 6 files"
report "text: grouped by file and sorted; coverage and the baseline; no annotation rule unless asked"

lint_broken --require-annotation owner -o json
want_rc 1
want_json '.summary == {"findings": 12, "suppressed": 0, "files": 6, "policies": 6, "pods": 11}'
want_json '[.findings[].rule] | unique == ["dns-one-protocol", "duplicate-rule", "ipblock-covers-pods",
	"missing-annotation", "no-dns-egress", "selector-matches-nothing", "selects-no-pod",
	"shadowed-rule", "unknown-named-port"]'
want_json '.findings | all(.file | startswith("policies/broken/"))'
want_json '.findings | all(.line > 0 and (.policy | startswith("staging/")) and (.field | length > 0)
	and (.message | length > 0) and (.fix | length > 0))'
want_json '.findings[] | select(.rule == "ipblock-covers-pods") | .pods | length == 11'
want_json '.suppressed == [] and .not_checked == []'
want_json '.coverage.pods == 11 and .coverage.ingress_isolated == 4 and .coverage.egress_isolated == 3'
want_json '.coverage.namespaces[] | select(.namespace == "staging")
	| .egress.unisolated == ["staging/loadgen-8c9d7f6b5-z3x5v"] and .ingress.isolated == 4'
report "-o json: findings with rule, file, line, policy, field, message, fix; coverage; summary"

# ---- the fixed rollout -----------------------------------------------------------------------------

lint_fixed
want_rc 0
want_out "Suppressed by npwatch.io/lint-ignore:"
want_out "  policies/guide/deny-all.yaml:4: production/deny-all: spec.policyTypes: [no-dns-egress] by production/allow-db for production/db-0"
want_out "  production   ingress 5/5"
want_out "               egress  5/5"
want_last_line "6 policies, 11 pods: no findings (1 suppressed by npwatch.io/lint-ignore)"
want_empty err
report "the fixed rollout is clean; db's lack of DNS is suppressed, and said so"

lint_fixed -o json
want_rc 0
want_json '.findings == [] and .summary.findings == 0 and .summary.suppressed == 1'
want_json '.suppressed[0] | .rule == "no-dns-egress" and .policy == "production/deny-all"
	and .suppressed_by == "production/allow-db" and .pods == ["production/db-0"]'
report "-o json on the fixed rollout: no findings, the suppressed one kept"

run lint -f policies -f examples/shop-cluster.yaml --require-annotation owner -o json
want_rc 1
want_json '.findings | length > 0 and all(.file | startswith("policies/broken/"))'
report "all of policies/ at once: findings in the broken rollout only"

# ---- isolation required ------------------------------------------------------------------------------

lint_fixed --require-isolation staging
want_rc 1
want_out "examples/shop-cluster.yaml:325: pod staging/loadgen-8c9d7f6b5-z3x5v is not isolated for ingress or egress: no policy of namespace staging selects it, so any traffic to or from it is allowed [unisolated-pod]"
want_out "    fix: apply a default deny to namespace staging"
want_last_line "6 policies, 11 pods: 4 findings in 1 file (1 suppressed by npwatch.io/lint-ignore)"
report "--require-isolation staging: each unisolated pod is a finding, placed at the pod"

lint_fixed --require-isolation production,kube-system -o json
want_rc 1
want_json '[.findings[].rule] == ["unisolated-pod", "unisolated-pod"]'
want_json '[.findings[].pods[]] == ["kube-system/coredns-6d4b75cb6d-k9d2x", "kube-system/coredns-6d4b75cb6d-p5l8h"]'
lint_fixed --require-isolation production
want_rc 0
report "--require-isolation takes NS,NS; production is fully isolated"

lint_fixed --require-isolation prod
want_rc 2
want_err "npwatch lint: --require-isolation prod: no namespace prod in the model"
report "--require-isolation of a namespace the model lacks: exit 2, named"

# ---- without the cluster ----------------------------------------------------------------------------

run lint -f "$POLICIES/guide"
want_rc 0
want_out "Not checked: selects-no-pod, no-dns-egress, dns-one-protocol, unknown-named-port, ipblock-covers-pods, selector-matches-nothing (the model has no pods"
want_out "Not checked: selector-matches-nothing (namespaceSelector peers: no Namespace objects were loaded"
want_out "Isolation coverage: the model has no pods"
want_last_line "3 policies, 0 pods: no findings"
report "policies alone: the rules that need the cluster are said to be unchecked"

# ---- stdin and kubectl's JSON ---------------------------------------------------------------------------

for f in "$POLICIES"/guide/*.yaml; do
	echo "---"
	cat "$f"
done >"$E2E_TMP/guide-stream.yaml"
run_input "$E2E_TMP/guide-stream.yaml" lint -f - -f "$POLICIES/example" -f "$SHOP" \
	--require-annotation owner -o json
want_rc 0
want_json '.suppressed[0].file == "<stdin>" and .suppressed[0].line > 0'
report "-f - reads policies from stdin, their annotations included"

run lint -f <(cat "$POLICIES/guide/deny-all.yaml") -f <(cat "$POLICIES/example/allow-db.yaml") \
	-f "$SHOP" --require-annotation owner -o json
want_rc 1
want_json '[.findings[].rule] == ["no-dns-egress"] and (.findings[0].file | startswith("/dev/fd/"))'
want_json '.suppressed[0].suppressed_by == "production/allow-db"'
report "a pipe (-f <(...)) is read once, its annotations included"

cat >"$E2E_TMP/list.json" <<'EOF'
{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "networking.k8s.io/v1",
      "kind": "NetworkPolicy",
      "metadata": {"name": "owned", "namespace": "production",
                   "annotations": {"owner": "shop-team"}},
      "spec": {"podSelector": {"matchLabels": {"app": "my-app"}}, "policyTypes": ["Ingress"]}
    },
    {
      "apiVersion": "networking.k8s.io/v1",
      "kind": "NetworkPolicy",
      "metadata": {"name": "orphan"},
      "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}
    }
  ]
}
EOF
run lint -f "$E2E_TMP/list.json" -f "$SHOP" -n production --require-annotation owner -o json
want_rc 1
want_json '[.findings[] | [.rule, .policy, .field]] == [["missing-annotation", "production/orphan", "metadata.annotations"]]'
want_json '.findings[0].line == null'
report "a kubectl JSON List: annotations read per policy, -n places a policy that states none"

# ---- bad input and bad usage ------------------------------------------------------------------------------

run lint -f "$E2E_TMP/missing.yaml"
want_rc 2
want_err "$E2E_TMP/missing.yaml: No such file or directory"
want_empty out
report "a manifest that does not exist: exit 2, named"

printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: [x\n' >"$E2E_TMP/bad.yaml"
run lint -f "$E2E_TMP/bad.yaml"
want_rc 2
want_err "$E2E_TMP/bad.yaml:4: YAML syntax error"
report "a manifest that does not parse: exit 2, with its line"

cat >"$E2E_TMP/bad-policy.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: production}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 0}]}]
EOF
run lint -f "$E2E_TMP/bad-policy.yaml"
want_rc 2
want_err "NetworkPolicy production/bad: spec.ingress[0].ports[0].port"
report "a policy the API would refuse: exit 2, naming the object and field"

run lint
want_rc 2
want_err "npwatch lint: no manifests: give at least one -f PATH"
want_err "Try 'npwatch lint --help'."
run lint -f "$SHOP" -o xml
want_rc 2
want_err "-o xml: expected text or json"
run lint -f "$SHOP" stray
want_rc 2
want_err 'unexpected argument "stray"'
run lint -f - -f -
want_rc 2
want_err "-f - given twice: it can be read once"
run lint -f "$SHOP" --require-annotation ""
want_rc 2
want_err "--require-annotation: empty key"
report "bad usage: exit 2 with a hint at --help"

exit $E2E_FAILED
