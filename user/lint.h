/* lint — finds NetworkPolicy mistakes that break a rollout before it happens.
 *
 * Rules run over a finalised model (policies, and when loaded the cluster's
 * namespaces, pods and services) and produce findings as data: the rule's
 * stable id, where (file, line of the object, policy, field path), what is
 * wrong and how to fix it, and the pods it concerns. Rules that need the
 * cluster are not checked when the model lacks it, and the report says so.
 * Alongside the findings comes the isolation coverage: per namespace and
 * direction, the pods no policy isolates. Policies are judged as in force
 * (the engine's NP_SCOPE_IN_FORCE): lint loads none as staged.
 *
 * A policy annotated npwatch.io/lint-ignore: "RULE[, RULE...]" suppresses
 * those rules' findings about itself and about the pods it selects; they are
 * kept in the report as suppressed, so an exception stays visible.
 */
#ifndef NPWATCH_LINT_H
#define NPWATCH_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "model.h"

#define NP_LINT_IGNORE_ANNOTATION "npwatch.io/lint-ignore"

/* The rule ids, stable: CI configurations and lint-ignore annotations name them. */
#define NP_LINT_SELECTS_NO_POD "selects-no-pod"
#define NP_LINT_NO_DNS_EGRESS "no-dns-egress"
#define NP_LINT_DNS_ONE_PROTOCOL "dns-one-protocol"
#define NP_LINT_SELECTOR_MATCHES_NOTHING "selector-matches-nothing"
#define NP_LINT_UNKNOWN_NAMED_PORT "unknown-named-port"
#define NP_LINT_IPBLOCK_COVERS_PODS "ipblock-covers-pods"
#define NP_LINT_DUPLICATE_RULE "duplicate-rule"
#define NP_LINT_SHADOWED_RULE "shadowed-rule"
#define NP_LINT_MISSING_ANNOTATION "missing-annotation"
#define NP_LINT_UNISOLATED_POD "unisolated-pod"

struct np_lint_options {
	const char *const *required_annotations; /* --require-annotation KEY... */
	size_t n_required_annotations;
	const char *const *isolated_namespaces; /* --require-isolation NS... */
	size_t n_isolated_namespaces;
};

struct np_lint_finding {
	const char *rule;
	const char *file; /* the policy's file, or the pod's for a pod finding */
	int line;         /* of the object; 0 when unknown */
	const struct np_policy *policy; /* NULL when the finding is about a pod alone */
	char *field;   /* "spec.egress[0].to[0].namespaceSelector"; "" for the object */
	char *message; /* what is wrong */
	char *fix;     /* how to fix it */
	const struct np_pod **pods; /* the pods concerned, in model order */
	size_t n_pods;
	const struct np_policy *suppressed_by; /* its lint-ignore annotation; NULL if in force */
};

/* Pods of one namespace that no policy isolates, per direction. */
struct np_lint_namespace_coverage {
	const char *namespace_name;
	size_t pods;         /* pods a policy can isolate (not host-network) */
	size_t host_network; /* pods NetworkPolicy never isolates */
	const struct np_pod **unisolated[2]; /* indexed by enum np_direction */
	size_t n_unisolated[2];
};

struct np_lint_coverage {
	struct np_lint_namespace_coverage *namespaces; /* those with pods, by name */
	size_t n_namespaces;
	size_t pods;           /* in all namespaces, host-network ones excluded */
	size_t isolated[2];    /* indexed by enum np_direction */
};

/* Rules, or parts of them, the model could not support. */
struct np_lint_unchecked {
	const char *const *rules;
	size_t n_rules;
	const char *reason;
};

struct np_lint_report {
	/* Sorted by file, line, policy, field and rule; suppressed ones included. */
	struct np_lint_finding *findings;
	size_t n_findings;
	size_t n_suppressed;
	struct np_lint_coverage coverage;
	struct np_lint_unchecked unchecked[2];
	size_t n_unchecked;
};

/* Runs every rule over a finalised model. The report points into the model:
 * free it before the model. */
void np_lint_run(const struct np_model *model, const struct np_lint_options *opts,
		 struct np_lint_report *out);
void np_lint_report_free(struct np_lint_report *report);

/* Findings in force: all but the suppressed ones. */
size_t np_lint_active(const struct np_lint_report *report);

#endif
