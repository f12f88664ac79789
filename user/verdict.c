/* verdict — the daemon's judgement of an observed flow; see verdict.h. */
#include "verdict.h"

static enum np_flow_verdict denied_in_force(enum np_outcome outcome)
{
	switch (outcome) {
	case NP_OUTCOME_ESTABLISHED: return NP_VERDICT_ENFORCEMENT_GAP;
	case NP_OUTCOME_FAILED: return NP_VERDICT_DENY_ATTEMPT;
	case NP_OUTCOME_UNKNOWN:
	case NP_OUTCOME_PENDING: break;
	}
	return NP_VERDICT_DENY;
}

void np_judge(const struct np_model *model, const struct np_flow *flow, enum np_outcome outcome,
	      bool has_staged, struct np_judgement *out)
{
	np_evaluate(model, flow, NP_SCOPE_IN_FORCE, &out->in_force);
	out->has_staged = has_staged;
	out->deciding = &out->in_force;
	if (!out->in_force.allowed) {
		out->verdict = denied_in_force(outcome);
		return;
	}
	out->verdict = NP_VERDICT_ALLOW;
	if (!has_staged)
		return;
	np_evaluate(model, flow, NP_SCOPE_WITH_STAGED, &out->with_staged);
	if (!out->with_staged.allowed) {
		out->verdict = NP_VERDICT_WOULD_DENY;
		out->deciding = &out->with_staged;
	}
}

const char *np_flow_verdict_name(enum np_flow_verdict verdict)
{
	switch (verdict) {
	case NP_VERDICT_ALLOW: return "allow";
	case NP_VERDICT_WOULD_DENY: return "would-deny";
	case NP_VERDICT_DENY_ATTEMPT: return "deny-attempt";
	case NP_VERDICT_ENFORCEMENT_GAP: return "enforcement-gap";
	case NP_VERDICT_DENY: return "deny";
	}
	return "?";
}

const char *np_outcome_name(enum np_outcome outcome)
{
	switch (outcome) {
	case NP_OUTCOME_UNKNOWN: return "unknown";
	case NP_OUTCOME_PENDING: return "pending";
	case NP_OUTCOME_ESTABLISHED: return "established";
	case NP_OUTCOME_FAILED: return "failed";
	}
	return "?";
}
