/* suggest — the allow policies that would keep observed traffic working.
 *
 * Input: an observation report (what flowed, by workload) and the cluster
 * model with the policies in force and the staged ones. Every observed flow
 * that the policies about to be in force deny gets what would admit exactly
 * that traffic:
 *   - preferably the smallest patch to an existing policy: the port, or the
 *     peer, that the rule which nearly matched lacks (the engine's nearest
 *     miss), as long as the patched rule admits nothing else that was not
 *     observed;
 *   - otherwise new NetworkPolicies, one per destination workload for
 *     ingress and one per source workload for egress, selecting pods by
 *     their workload's stable labels, namespaces by kubernetes.io/metadata.name,
 *     addresses outside the cluster by /32 or /128 ipBlocks, DNS on UDP and
 *     TCP 53 both.
 * Suggestions are data: each is a NetworkPolicy object as a JSON tree,
 * rendered as YAML (policyyaml.h) for people and for the manifest loader.
 *
 * Nothing is trusted by construction alone: np_suggest_prove() judges every
 * observed flow again with the suggestions staged, and sweeps the flows
 * between the workloads the suggestions touch for anything opened beyond
 * what was observed.
 */
#ifndef NPWATCH_SUGGEST_H
#define NPWATCH_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model.h"
#include "report.h"

struct np_suggest_options {
	bool skip_world; /* leave flows with an end outside the cluster denied */
};

enum np_suggestion_kind {
	NP_SUGGEST_PATCH, /* an existing policy with a port or peer added */
	NP_SUGGEST_NEW,   /* a new policy */
};

struct np_suggestion {
	enum np_suggestion_kind kind;
	const char *namespace_name; /* owned by policy */
	const char *name;
	json_t *policy;   /* the NetworkPolicy to stage, as the API takes it */
	json_t *original; /* PATCH: the policy as the model holds it */
	const struct np_policy *patched; /* PATCH: in the model given to np_suggest() */
	char **changes;   /* PATCH: "spec.ingress[0].ports: added TCP 9090", in order */
	size_t n_changes;
	char **admits;    /* one line per peer: "ingress from x/Deployment/a: TCP 80" */
	size_t n_admits;
	size_t n_flows;        /* observed flows it admits */
	uint64_t observations; /* how often they were seen */
};

enum np_suggest_flow_state {
	NP_FLOW_ALLOWED,   /* allowed by the policies about to be in force */
	NP_FLOW_SUGGESTED, /* denied; the suggestions admit it */
	NP_FLOW_SKIPPED,   /* denied, and left so: see reason */
	NP_FLOW_UNKNOWN,   /* an end the model does not have: not judged */
};

struct np_suggest_flow {
	const struct np_report_flow *observed;
	enum np_suggest_flow_state state;
	char reason[256]; /* SKIPPED and UNKNOWN */
};

struct np_suggest_state;

/* Everything np_suggest() found. It points into the model and the report it
 * was made from: they must outlive it. */
struct np_suggestions {
	struct np_suggestion *items; /* patches, then new policies; by namespace/name */
	size_t n_items;
	struct np_suggest_flow *flows; /* one per report flow, in report order */
	size_t n_flows;
	char window[64]; /* "2026-11-26T08:00Z..08:30Z" */
	struct np_suggest_state *state;
};

/* Builds the suggestions for report against model. Returns 0, or -1 with a
 * message in err when the manifest loader refused a suggestion (a bug worth
 * reporting: every suggestion is loaded back before it is kept). */
int np_suggest(const struct np_model *model, const struct np_report *report,
	       const struct np_suggest_options *opts, struct np_suggestions *out, char *err,
	       size_t err_len);
void np_suggestions_free(struct np_suggestions *suggestions);

/* The staged set the suggestions make, as one YAML stream to load as staged
 * next to the policies in force: the staged policies of model (rendered from
 * the model), a patched one replaced by its patch, then every suggestion.
 * Returns a malloc'd string. */
char *np_suggest_staged_yaml(const struct np_suggestions *suggestions,
			     const struct np_model *model);

#define NP_PROOF_EXAMPLES 8

/* What np_suggest_prove() found: flows are observed flows (report entries),
 * judged for every pair of their sample pods. */
struct np_suggest_proof {
	size_t blocked, now_allowed;     /* SUGGESTED flows, and those now allowed */
	size_t allowed, still_allowed;   /* ALLOWED flows, and those still allowed */
	size_t skipped, still_denied;    /* SKIPPED flows, and those still denied */
	size_t unknown;                  /* UNKNOWN flows, not judged */
	size_t swept;         /* flows judged between the workloads, nodes and addresses known */
	size_t opened_beyond; /* of those: denied before, allowed after, not observed */
	size_t closed;        /* of those: allowed before, denied after */
	char failures[NP_PROOF_EXAMPLES][256]; /* the first failures, in words */
	size_t n_failures;
	bool ok;
};

/* Judges the flows of suggestions in before (the model they were made from)
 * and after (the same cluster and policies in force, with
 * np_suggest_staged_yaml() loaded as the staged set): every SUGGESTED flow
 * must be allowed after, every ALLOWED flow stay allowed, every SKIPPED flow
 * stay denied, and no other flow be opened or closed. */
void np_suggest_prove(const struct np_suggestions *suggestions, const struct np_model *before,
		      const struct np_model *after, struct np_suggest_proof *out);

/* "verified: 12 of 12 observed blocked flows now allowed; 0 previously
 * denied flows opened beyond them", then what else was checked. */
void np_suggest_proof_summary(const struct np_suggest_proof *proof, char *buf, size_t len);

#endif
